#!/bin/bash
# t-55-shutdown.sh - shutdown and reboot against a real xld: without -w
# they return once the guest is asked, with -w once it is down; -a takes
# every domain but Domain-0; scripts see no progress output.
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
now_ms() { date +%s%3N; }
start_xld

# The simulated guests take 1.5 s to answer a shutdown or reboot.
cfg web1
x create -q "$tmp/web1.cfg"
check "web1 is listed" eventually 10 exists web1
x sim-inject shutdown-delay-ms web1 1500
t0=$(now_ms)
run x shutdown web1
t1=$(now_ms)
check "shutdown exits 0" [ "$rc" -eq 0 ]
check "shutdown without -w does not wait" [ $((t1 - t0)) -lt 1200 ]
check "shutdown without -w: still there right after" exists web1
check "shutdown prints nothing in a script" eval '[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]'
check "shut down in the end" eventually 10 gone web1

cfg web2
x create -q "$tmp/web2.cfg"
check "web2 is listed" eventually 10 exists web2
x sim-inject shutdown-delay-ms web2 1500
t0=$(now_ms)
run x shutdown -w web2
t1=$(now_ms)
check "shutdown -w exits 0" [ "$rc" -eq 0 ]
check "shutdown -w waits for the guest" [ $((t1 - t0)) -ge 1400 ]
check "shutdown -w: gone when it returns" gone web2
check "shutdown -w prints nothing in a script" eval '[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]'

# --wait, by domid.
cfg web3
x create -q "$tmp/web3.cfg"
check "web3 is listed" eventually 10 exists web3
run x shutdown --wait "$(col web3 2)"
check "shutdown --wait DOMID exits 0" [ "$rc" -eq 0 ]
check "shutdown --wait DOMID: gone" gone web3

# -a -w: every guest, Domain-0 left alone.
for n in a1 a2 a3; do
    cfg $n
    x create -q "$tmp/$n.cfg"
done
check "three guests are listed" eventually 10 eval 'exists a1 && exists a2 && exists a3'
x sim-inject shutdown-delay-ms a2 1000
t0=$(now_ms)
run x shutdown -a -w
t1=$(now_ms)
check "shutdown -a -w exits 0" [ "$rc" -eq 0 ]
check "shutdown -a -w waits for the slowest" [ $((t1 - t0)) -ge 900 ]
check "shutdown -a -w: every guest is gone" eval 'gone a1 && gone a2 && gone a3'
check "shutdown -a -w: Domain-0 stays" exists Domain-0
run x shutdown -a
check "shutdown -a with no guest exits 0" [ "$rc" -eq 0 ]

# A guest that ignores the request stays, and -w waits for it (-F only
# destroys a guest that cannot be asked at all).
cfg deaf
x create -q "$tmp/deaf.cfg"
check "deaf is listed" eventually 10 exists deaf
x sim-inject ignore-shutdown deaf 1
run x shutdown deaf
check "shutdown of a deaf guest exits 0 (it was asked)" [ "$rc" -eq 0 ]
sleep 1
check "a deaf guest stays" exists deaf
run timeout 2 "$XLCTL" --socket "$sock" shutdown -w deaf
check "shutdown -w of a deaf guest keeps waiting" [ "$rc" -eq 124 ]
run x shutdown -F deaf
check "shutdown -F of a guest that can be asked only asks" [ "$rc" -eq 0 ]
check "the deaf guest is still there" exists deaf
x destroy deaf
check "deaf is gone" eventually 10 gone deaf

# Errors.
run x shutdown no-such
check "shutdown of an unknown domain exits 1" [ "$rc" -eq 1 ]
check "shutdown of an unknown domain says why" grep -q "no-such" "$tmp/err"
run x reboot no-such
check "reboot of an unknown domain exits 1" [ "$rc" -eq 1 ]

# reboot: the guest goes down and xld starts it again (on_reboot
# defaults to restart), as a new domain of the same name.
cfg r1
x create -q "$tmp/r1.cfg"
check "r1 is listed" eventually 10 exists r1
id=$(col r1 2)
run x reboot r1
check "reboot exits 0" [ "$rc" -eq 0 ]
check "reboot prints nothing in a script" eval '[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]'
check "r1 comes back as a new domain" eventually 15 eval 'exists r1 && [ "$(col r1 2)" != "$id" ]'
id=$(col r1 2)
x sim-inject shutdown-delay-ms r1 1000
t0=$(now_ms)
run timeout 30 "$XLCTL" --socket "$sock" reboot -w r1
t1=$(now_ms)
check "reboot -w exits 0" [ "$rc" -eq 0 ]
check "reboot -w waits until the guest went down" [ $((t1 - t0)) -ge 900 ]
check "after reboot -w, r1 comes back" eventually 15 eval 'exists r1 && [ "$(col r1 2)" != "$id" ]'
cfg r2
x create -q "$tmp/r2.cfg"
check "r2 is listed" eventually 10 exists r2
run timeout 30 "$XLCTL" --socket "$sock" reboot -a -w
check "reboot -a -w exits 0" [ "$rc" -eq 0 ]
check "after reboot -a -w, both come back" eventually 15 eval 'exists r1 && exists r2'
finish
