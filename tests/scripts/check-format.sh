#!/bin/sh
# Lint: every C file of the tree is formatted by clang-format with the repo's
# .clang-format. Skipped (exit 77) without clang-format 14, the version the
# tree is formatted with (other versions place some breaks differently).
# usage: check-format.sh SOURCE_ROOT
root=${1:-.}
cf=$(command -v clang-format-14 || command -v clang-format) || { echo "clang-format not installed: skipped"; exit 77; }
"$cf" --version | grep -q 'version 14\.' || { echo "$("$cf" --version): not version 14, skipped"; exit 77; }
cd "$root" || exit 1
bad=0; n=0
for f in $(find src include tests -name '*.[ch]' -not -path '*/out/*' | sort); do
    n=$((n+1))
    if ! "$cf" --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "$f: not clang-formatted (run: clang-format -i $f)"
        bad=$((bad+1))
    fi
done
echo "format: $n files, $bad not formatted"
[ "$bad" -eq 0 ]
