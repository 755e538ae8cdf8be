#!/bin/sh
# The exact cost of a full diagnosis, for comparing changes: regenerates the fixed
# 20 MB default-style capture (gen.py --style default --mb 20 --seed 1) and prints the
# number of instructions `tediag --format json --no-live` executes on it under
# valgrind's callgrind (instruction counts do not depend on machine load), then the
# functions that cost the most. The recorded count is in tests/bench/README.md.
#
#   tests/bench/callgrind.sh [TEDIAG] [STYLE]   (defaults: build/src/cli/tediag, default)
#
# STYLE may be ndjson for the same measurement on the ndjson capture.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-build/src/cli/tediag}
style=${2:-default}
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 2; }
out="$here/out"
mkdir -p "$out"
ext=log
[ "$style" = ndjson ] && ext=ndjson
capture="$out/callgrind-$style-20mb.$ext"
[ -s "$capture" ] || python3 "$here/gen.py" --style "$style" --mb 20 --seed 1 --out "$capture" >/dev/null
profile="$out/callgrind-$style.out"
valgrind --tool=callgrind --callgrind-out-file="$profile" "$bin" --format json --no-live "$capture" \
    >"$out/callgrind-$style.json" 2>"$out/callgrind-$style.log" || [ $? -eq 1 ] # 1: incidents found
total=$(sed -n 's/.*I *refs: *//p' "$out/callgrind-$style.log")
echo "$style style, 20 MB (seed 1): $total instructions"
if command -v callgrind_annotate >/dev/null; then
    callgrind_annotate "$profile" 2>/dev/null | sed -n '/file:function/,$p' | sed -n '3,17p'
fi
