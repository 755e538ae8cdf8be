#!/bin/sh
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for SECONDS
# on a scratch copy of its seed corpus (tests/fuzz/corpus/<target>/) and of its
# past findings (tests/fuzz/regressions/<target>/).
# Prints per target the executions and findings, then "fuzz: N passed, N failed"
# (exit status 1 when a target failed; its artifacts are kept and named).
# usage: fuzz.sh BUILD_DIR SECONDS [TARGET...]
set -u
build=${1:-build-fuzz}
seconds=${2:-10}
# (a plain `shift 2` with fewer arguments ends a POSIX sh)
if [ $# -ge 2 ]; then shift 2; else shift $#; fi
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" "$root" -Dfuzzing=true -Dtests=false -Dbuildtype=debugoptimized \
        -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || { echo "fuzz: 0 passed, 1 failed"; exit 1; }
fi
ninja -C "$build" >/dev/null || { echo "fuzz build failed"; echo "fuzz: 0 passed, 1 failed"; exit 1; }
targets="$*"
[ -n "$targets" ] || targets=$(ls "$root"/tests/fuzz/fuzz_*.c | sed 's/.*fuzz_\(.*\)\.c/\1/')
passed=0; failed=0
work=$(mktemp -d)
for t in $targets; do
    bin="$build/tests/fuzz/fuzz_$t"
    [ -x "$bin" ] || { echo "fuzz_$t: not built"; failed=$((failed+1)); continue; }
    mkdir -p "$work/$t" "$work/$t.art"
    # seeds, and the findings kept as regression tests (they start the run)
    for d in "$root/tests/fuzz/corpus/$t" "$root/tests/fuzz/regressions/$t"; do
        [ -d "$d" ] && cp -r "$d/." "$work/$t/" 2>/dev/null
    done
    log="$work/$t.log"
    if ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/$t.art/" "$work/$t" >"$log" 2>&1; then
        execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
        [ -n "$execs" ] || execs=$(grep -o '#[0-9]*' "$log" | tail -1 | tr -d '#')
        echo "fuzz_$t: ok, ${execs:-?} executions in ${seconds}s"
        passed=$((passed+1))
    else
        echo "fuzz_$t: FAILED (artifacts in $work/$t.art)"; tail -30 "$log"
        failed=$((failed+1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
rm -rf "$work"
