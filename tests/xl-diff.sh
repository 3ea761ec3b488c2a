#!/bin/bash
# xl-diff.sh [-q] CFG [KEY=VALUE...] - compare `xlctl create --dry-run`
# with upstream's `xl -N create` (tests/oracle/xl-dry-run) on one config.
#
# They must agree on accepting or rejecting it and, when both accept it,
# print the same JSON, once the random parts that the config does not fix
# are set aside: the domain's uuid (when the config sets none) and a
# generated ms_vm_genid.  Exit 0 when they agree, 1 when not (with a
# diff), 77 when the oracle cannot run here.  -q: say nothing on success.
#
# Both read the same xl.conf: $XL_DIFF_XL_CONF, or else Debian's stock
# one from the oracle (never the one of the machine running the test).
set -u
here=$(cd "$(dirname "$0")" && pwd)
xlctl=${XLCTL:-${XLD_BUILDDIR:-$here/..}/cli/xlctl}
quiet=
[ "${1:-}" = -q ] && { quiet=1; shift; }
cfg=${1:?usage: xl-diff.sh [-q] CFG [KEY=VALUE...]}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

xlconf=${XL_DIFF_XL_CONF:-}
if [ -z "$xlconf" ]; then
    xlconf=$("$here/oracle/xl-dry-run" --stock-xl-conf 2>"$tmp/xl.err")
    [ $? -eq 77 ] && { cat "$tmp/xl.err" >&2; exit 77; }
fi
XL_ORACLE_GLOBAL_CONFIG=$xlconf "$here/oracle/xl-dry-run" "$@" \
    >"$tmp/xl.json" 2>"$tmp/xl.err"
xrc=$?
[ "$xrc" -eq 77 ] && { cat "$tmp/xl.err" >&2; exit 77; }
"$xlctl" create --dry-run --xl-conf "$xlconf" "$@" >"$tmp/ours.json" \
    2>"$tmp/ours.err"
orc=$?

if [ "$xrc" -ne 0 ] || [ "$orc" -ne 0 ]; then
    if [ "$xrc" -ne 0 ] && [ "$orc" -ne 0 ]; then
        [ -n "$quiet" ] || echo "agree: $cfg rejected"
        exit 0
    fi
    echo "DISAGREE: $cfg: xl exit $xrc, xlctl exit $orc"
    sed 's/^/  xl:    /' "$tmp/xl.err"
    sed 's/^/  xlctl: /' "$tmp/ours.err"
    exit 1
fi

# The first "uuid" of the JSON is c_info's.
normalise() {
    local f=$1
    if ! grep -Eq '^[[:space:]]*uuid[[:space:]]*(\+?=)' "$cfg" &&
        ! printf '%s\n' "${@:2}" | grep -q '^uuid='; then
        awk 'BEGIN { done = 0 }
             !done && /"uuid": "/ { sub(/"uuid": "[^"]*"/, "\"uuid\": \"(random)\""); done = 1 }
             { print }' "$f" >"$f.n" && mv "$f.n" "$f"
    fi
    # A generated VM generation id is random too (16 numbers in a list).
    awk '/"ms_vm_genid": \[/ { print "            \"ms_vm_genid\": (generated)"; skip = 1; next }
         skip && /\]/ { skip = 0; next }
         !skip { print }' "$f" >"$f.n" && mv "$f.n" "$f"
}
normalise "$tmp/xl.json" "${@:2}"
normalise "$tmp/ours.json" "${@:2}"
if ! diff -u "$tmp/xl.json" "$tmp/ours.json" >"$tmp/diff"; then
    echo "DISAGREE: $cfg: the JSON differs (--- xl, +++ xlctl)"
    cat "$tmp/diff"
    exit 1
fi
[ -n "$quiet" ] || echo "agree: $cfg"
exit 0
