#!/bin/bash
# t-58-access.sh - who may do what: the read-only socket answers queries
# and refuses changes with a clear message; a user who may not use the
# admin socket gets the read-only one for queries and "permission
# denied ... run as root or join group ..." for changes.
. "$(dirname "$0")/cli-lib.sh"
start_xld
cfg web1
x create -q "$tmp/web1.cfg"
check "web1 is listed" eventually 10 exists web1

run "$XLCTL" --socket "$ro" list
check "list on the read-only socket" [ "$rc" -eq 0 ]
check "list on the read-only socket shows web1" grep -q '^web1 ' "$tmp/out"
run "$XLCTL" --socket "$ro" destroy web1
check "destroy on the read-only socket exits 1" [ "$rc" -eq 1 ]
check "destroy on the read-only socket: a clear message" \
    grep -q "^xlctl: destroy: $ro is xld's read-only socket, which only answers queries; run as root" "$tmp/err"
check "web1 survives" exists web1

# The rest needs another user than root.
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
    echo "not root, or no setpriv: the permission checks are skipped"
    finish
    exit
fi
chmod 755 "$tmp"
as_nobody() {
    setpriv --reuid=65534 --regid=65534 --clear-groups "$XLCTL" "$@"
}
# The admin socket is xld's (mode 0660): nobody cannot connect to it.
run as_nobody --socket "$sock" list
check "a query as nobody falls back to the read-only socket" [ "$rc" -eq 0 ]
check "a query as nobody gets the answer" grep -q '^web1 ' "$tmp/out"
run as_nobody --socket "$sock" uptime web1
check "uptime as nobody" [ "$rc" -eq 0 ]
run env XLD_SOCKET="$sock" setpriv --reuid=65534 --regid=65534 --clear-groups "$XLCTL" info
check "info as nobody, the socket from XLD_SOCKET" [ "$rc" -eq 0 ]
run as_nobody --socket "$sock" pause web1
check "a change as nobody exits 1" [ "$rc" -eq 1 ]
check "a change as nobody: permission denied, and what to do" \
    grep -q "^xlctl: permission denied on $sock: run as root" "$tmp/err"
cfg web2
run as_nobody --socket "$sock" create -q "$tmp/web2.cfg"
check "create as nobody exits 1" [ "$rc" -eq 1 ]
check "create as nobody: permission denied" grep -q "permission denied on $sock" "$tmp/err"
check "nothing was created" gone web2
# An explicit read-only socket, when the names do not match the pattern.
ln -s "$ro" "$tmp/other-ro"
run env XLD_RO_SOCKET="$tmp/other-ro" setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$XLCTL" --socket "$tmp/xld.sock" domid web1
check "XLD_RO_SOCKET names the read-only socket" [ "$rc" -eq 0 ]

# xld checks who connects (SO_PEERCRED) whatever the file mode says.
chmod 666 "$sock"
run as_nobody --socket "$sock" list
check "refused by xld, a query falls back to the read-only socket" [ "$rc" -eq 0 ]
run as_nobody --socket "$sock" destroy web1
check "refused by xld, a change exits 1" [ "$rc" -eq 1 ]
check "refused by xld: permission denied" grep -q "permission denied on $sock" "$tmp/err"
check "web1 survives" exists web1

# With an admin group, the message names it.
stop_xld
grp=$(getent group daemon | cut -d: -f1)
if [ -n "$grp" ]; then
    start_xld --group="$grp"
    run as_nobody --socket "$sock" destroy web1
    check "with --group, a change as nobody exits 1" [ "$rc" -eq 1 ]
    check "with --group, the message names the group" \
        grep -q "^xlctl: permission denied on $sock: run as root or join group $grp\$" "$tmp/err"
    run setpriv --reuid=65534 --regid=65534 --groups="$(getent group "$grp" | cut -d: -f3)" \
        "$XLCTL" --socket "$sock" pause web1
    check "a member of the group may change things" [ "$rc" -eq 0 ]
fi
finish
