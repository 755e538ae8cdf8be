#!/bin/sh
# Fills tests/fuzz/corpus/<target>/ with seed inputs taken from corpora/ and
# rules/ (committed: keep them small; the per-format targets get every excerpt
# of their style, detect and pipeline a few of each style).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
c=$root/corpora; s=$root/tests/fuzz/corpus
rm -rf "$s"; mkdir -p "$s"
# seed TARGET FILE...: copies the files that exist (a missing one is not an error).
seed() {
    t=$1; shift; mkdir -p "$s/$t"
    for f in "$@"; do
        if [ -f "$f" ]; then cp "$f" "$s/$t/"; fi
    done
}
# style STYLE [N]: the public excerpts of that style (the first N when given).
style() {
    awk -F'\t' -v st="$1" -v n="${2:-0}" -v dir="$c/public" \
        'NR > 1 && $4 == st && (n == 0 || k++ < n) { print dir "/" $1 }' "$c/public/expected.tsv"
}
styles="log-stream-default log-show-default syslog compact json console-copy crash-report-text
        crash-report-ips notarytool-json codesign-output other"
few() { for st in $styles; do style "$st" 2; done; }

seed log_default $c/synthetic/relay-log-stream-default.log $c/synthetic/relay-log-show-default-no-ttl.log \
    $c/cases/*.log $c/cases/app-crash-plus-log/system.log $c/demo/launch-failure.log \
    $(style log-stream-default) $(style log-show-default)
seed log_syslog $c/synthetic/relay-log-show-syslog.log $(style syslog)
seed log_compact $c/synthetic/relay-log-show-compact.log $(style compact)
seed log_json $c/synthetic/relay-log-show.json $(style json)
seed log_ndjson $c/synthetic/relay-log-show.ndjson
seed jsonl $c/synthetic/relay-mandiant.jsonl
seed loose $(style other)
seed console $(style console-copy)
seed crash_text $c/cases/app-crash-plus-log/Beacon-*.txt $(style crash-report-text)
seed crash_ips $c/cases/complete-codesigning.ips $(style crash-report-ips)
seed notarytool $c/cases/notarytool-invalid.json $(style notarytool-json)
seed tool_output $(style codesign-output)
seed detect $c/synthetic/* $c/cases/complete-codesigning.ips $c/cases/notarytool-invalid.json $(few)
seed pipeline $c/synthetic/* $c/cases/*.log $c/cases/*.ips $c/cases/*.json $c/cases/app-crash-plus-log/* $(few)
seed rules $root/rules/*.yml

# io: each container kind the io layer knows, made deterministic (-n, fixed
# owner and time) so that regenerating does not change the committed bytes.
io=$s/io; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$io" "$tmp/logs/sub"
cp "$c/synthetic/relay-log-show-compact.log" "$tmp/logs/compact.log"
cp "$c/cases/notarytool-invalid.json" "$tmp/logs/sub/notary.json"
ln -s ../../../etc/passwd "$tmp/logs/escape"
touch -h -d 2026-01-01T00:00:00Z "$tmp/logs" "$tmp/logs/sub" "$tmp/logs"/*.log "$tmp/logs/sub"/* "$tmp/logs/escape"
gzip -n -c "$c/synthetic/relay-log-show-syslog.log" > "$io/syslog.gz"
head -c 300 "$io/syslog.gz" > "$io/truncated.gz"
if command -v zstd >/dev/null; then zstd -q -c "$c/synthetic/relay-log-show.ndjson" > "$io/ndjson.zst"; fi
if command -v bzip2 >/dev/null; then bzip2 -c "$c/cases/two-launches.log" > "$io/two.bz2"; fi
if command -v xz >/dev/null; then xz -c "$c/cases/benign-noise.log" > "$io/benign.xz"; fi
tarit() { tar --owner=0 --group=0 --numeric-owner --mtime=2026-01-01 --sort=name "$@"; }
tarit -cf - -C "$tmp" logs | gzip -n > "$io/small.tar.gz"
# members named with ../ and an absolute path (the io layer must only read them)
tarit -cf "$io/dotdot.tar" -C "$tmp/logs" --transform 's,^compact,../../compact,;s,^sub/notary,/tmp/notary,' \
    compact.log sub/notary.json
if command -v zip >/dev/null; then (cd "$tmp" && TZ=UTC zip -q -X -r "$io/small.zip" logs/compact.log logs/sub); fi
echo "seeds: $(find "$s" -type f | wc -l) files, $(du -sk "$s" | cut -f1) KiB"
