#!/bin/bash
# The libxl backend on a host without Xen: xld refuses to start, exits 1,
# says why (no /dev/xen/privcmd), leaves no socket behind, and (under
# ASan) leaks nothing on the way out.  On a real dom0 there is nothing
# to check here: the QEMU tests run the backend for real.
. "$(dirname "$0")/lib.sh"
if [ -e /dev/xen/privcmd ]; then
    echo "SKIP: this host runs Xen"
    exit 0
fi
"$XLD" -f --backend=libxl --socket="$TMP/s" --ro-socket="$TMP/ro" \
    --state-dir="$TMP/state" >"$TMP/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "--backend=libxl without Xen exited $rc: $(cat "$TMP/out")"
grep -q "no /dev/xen/privcmd: this host does not run Xen" "$TMP/out" \
    || fail "no reason given: $(cat "$TMP/out")"
grep -q "the libxl backend did not start" "$TMP/out" \
    || fail "no final word: $(cat "$TMP/out")"
grep -qi "sanitizer\|leak" "$TMP/out" && fail "sanitizer report: $(cat "$TMP/out")"
[ -e "$TMP/s" ] && fail "a socket was made by a failed start"
# The libxl backend takes no options: a typo is not ignored.
"$XLD" -f --backend=libxl --backend-options=memory=1 --socket="$TMP/s" \
    --ro-socket="$TMP/ro" --state-dir="$TMP/state" >"$TMP/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "options: exited $rc"
exit 0
