#!/bin/sh
# Installs the Debian packages that are missing (as root, with apt-get).
# Usage: install-deps.sh REQUIRED... -- OPTIONAL...
# Optional packages are installed when available; their absence is not an error.
required=""
optional=""
mode=required
for p in "$@"; do
    if [ "$p" = "--" ]; then mode=optional; continue; fi
    if [ "$mode" = required ]; then required="$required $p"; else optional="$optional $p"; fi
done
missing() {
    out=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out="$out $p"
    done
    echo $out
}
need=$(missing $required)
want=$(missing $optional)
[ -z "$need" ] && [ -z "$want" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    [ -n "$need" ] && echo "missing packages:$need (install them with your package manager)" >&2 && exit 1
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    [ -n "$need" ] && echo "missing packages:$need; run as root or: sudo apt-get install$need" >&2 && exit 1
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
if [ -n "$need" ]; then
    apt-get install -y -qq --no-install-recommends $need || exit 1
fi
for p in $want; do
    apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 || echo "optional package $p not installed" >&2
done
exit 0
