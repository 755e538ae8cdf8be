#!/bin/sh
# make bench: runs tests/bench/bench.py with the built tediag (see tests/bench/README.md).
bin=${1:-build/src/cli/tediag}
[ $# -gt 0 ] && shift
exec python3 "$(dirname "$0")/bench.py" --tediag "$bin" "$@"
