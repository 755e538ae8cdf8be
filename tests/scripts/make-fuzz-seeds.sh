#!/bin/sh
# Fills tests/fuzz/corpus/<target>/ with seed inputs taken from corpora/.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
c=$root/corpora; s=$root/tests/fuzz/corpus
rm -rf "$s"; mkdir -p "$s"
seed() { t=$1; shift; mkdir -p "$s/$t"; for f in "$@"; do [ -f "$f" ] && cp "$f" "$s/$t/"; done; }
style() { awk -F'\t' -v st="$1" 'NR>1 && index($4, st)==1 {print "'"$c"'/public/" $1}' "$c/public/expected.tsv"; }
seed log_default $c/synthetic/relay-log-stream-default.log $c/synthetic/relay-log-show-default-no-ttl.log $(style log-stream-default) $(style log-show-default)
seed log_syslog $c/synthetic/relay-log-show-syslog.log $(style syslog)
seed log_compact $c/synthetic/relay-log-show-compact.log $(style compact)
seed log_json $c/synthetic/relay-log-show.json $(style json)
seed log_ndjson $c/synthetic/relay-log-show.ndjson
seed jsonl $c/synthetic/relay-mandiant.jsonl
seed loose $(style other)
seed console $(style console-copy)
seed crash_text $(style crash-report-text)
seed crash_ips $(style crash-report-ips)
seed notarytool $(style notarytool-json)
seed tool_output $(style codesign-output)
seed detect $c/synthetic/* $(ls $c/public/*.txt | head -40)
seed pipeline $c/synthetic/* $c/public/*.txt
seed rules $root/rules/*.yml
mkdir -p "$s/io"
( cd "$s/io" && gzip -c "$c/synthetic/relay-log-show-syslog.log" > syslog.gz &&
  zstd -q -c "$c/synthetic/relay-log-show.ndjson" > ndjson.zst &&
  tar -czf small.tar.gz -C "$c" synthetic/relay-log-show-compact.log )
echo "seeds: $(find "$s" -type f | wc -l) files"
