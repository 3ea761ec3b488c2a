#!/bin/bash
# t-58-access.sh - who may do what: the read-only socket answers queries
# and refuses changes with a clear message; a user who may not use the
# admin socket gets the read-only one for queries and "permission
# denied ... run as root or join group ..." for changes.
set -u
: "${XLD:?set XLD to the xld binary}" "${XLCTL:?set XLCTL to the xlctl binary}"
# Absolute: some checks run xlctl from another directory.
XLD=$(cd "$(dirname "$XLD")" && pwd)/$(basename "$XLD")
XLCTL=$(cd "$(dirname "$XLCTL")" && pwd)/$(basename "$XLCTL")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xld-t.XXXXXX")
sock=$tmp/xld.sock
ro=$tmp/xld-ro.sock
xld_pid=
passed=0
failed=0
cleanup() {
    if [ -n "$xld_pid" ]; then
        kill "$xld_pid" 2>/dev/null
        wait "$xld_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
ok() { passed=$((passed + 1)); }
bad() {
    failed=$((failed + 1))
    echo "FAIL: $*"
    [ -s "$tmp/out" ] && sed 's/^/  stdout: /' "$tmp/out" | head -20
    [ -s "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" | head -20
    return 0
}
# check WHAT TEST...: one check, counted.
check() {
    local what=$1
    shift
    if "$@"; then ok; else bad "$what"; fi
}
# run CMD...: run it; $rc is its status, $out and $err what it printed.
# Under ASan/UBSan a report exits 1 like an ordinary failure would, so
# every stderr is searched for one.
run() {
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
    if grep -Eq 'Sanitizer|runtime error:' "$tmp/err"; then
        bad "a sanitizer report from: $*"
    fi
}
x() { "$XLCTL" --socket "$sock" "$@"; }
# eventually SECONDS TEST...: wait until the test passes.
eventually() {
    local n=$(($1 * 20))
    shift
    while [ $n -gt 0 ]; do
        "$@" && return 0
        sleep 0.05
        n=$((n - 1))
    done
    return 1
}
start_xld() {
    mkdir -p "$tmp/state" "$tmp/sim"
    "$XLD" --backend=sim -f --socket="$sock" --ro-socket="$ro" \
        --state-dir="$tmp/state" --backend-options=dir="$tmp/sim" "$@" \
        >>"$tmp/xld.log" 2>&1 &
    xld_pid=$!
    if ! eventually 20 "$XLCTL" --socket "$sock" list >/dev/null 2>&1; then
        echo "xld did not start:"
        cat "$tmp/xld.log"
        exit 1
    fi
}
stop_xld() {
    kill "$xld_pid" 2>/dev/null
    wait "$xld_pid" 2>/dev/null
    xld_pid=
}
# A small guest; cfg NAME [SETTING...] writes $tmp/NAME.cfg.
cfg() {
    local name=$1
    shift
    {
        echo "name = \"$name\""
        echo 'type = "pvh"'
        echo 'kernel = "/boot/vmlinuz"'
        echo 'memory = 256'
        echo 'maxmem = 512'
        echo 'vcpus = 2'
        echo 'maxvcpus = 4'
        for s in "$@"; do echo "$s"; done
    } >"$tmp/$name.cfg"
}
# The list row of a domain, and one of its columns (1 name, 2 id, 3 mem,
# 4 vcpus, 5 state, 6 time).
row() { x list | awk -v n="$1" '$1 == n'; }
col() { row "$1" | awk -v c="$2" '{ print $c }'; }
exists() { [ -n "$(row "$1")" ]; }
gone() { [ -z "$(row "$1")" ]; }
state_is() { [ "$(col "$1" 5)" = "$2" ]; }
finish() {
    echo "$(basename "$0"): $passed passed, $failed failed"
    if [ "$failed" -ne 0 ] && [ -s "$tmp/xld.log" ]; then
        echo "--- the end of xld's log:"
        tail -40 "$tmp/xld.log"
    fi
    [ "$failed" -eq 0 ]
}
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
