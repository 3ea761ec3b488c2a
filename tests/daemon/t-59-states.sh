#!/bin/bash
# t-59-states.sh - what guests do by themselves, as xlctl list shows it
# (xl's state letters), the simulator's injections, and what xlctl says
# when xld dies under it.
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

# A crashed guest kept for inspection: shut down (s) for a crash (c).
cfg c1 'on_crash = "preserve"'
x create -q "$tmp/c1.cfg"
check "c1 is listed" eventually 10 exists c1
run x sim-inject crash c1
check "sim-inject crash exits 0" [ "$rc" -eq 0 ]
check "a crashed guest shows ---sc-" eventually 5 state_is c1 ---sc-
check "list -v gives the reason code 3" eventually 5 eval 'x list -v | grep -Eq "^c1 .* +3 +-\$"'
x destroy c1

# Powered off and preserved: s, and '-' for the reason poweroff.
cfg p1 'on_poweroff = "preserve"'
x create -q "$tmp/p1.cfg"
check "p1 is listed" eventually 10 exists p1
x sim-inject poweroff p1
check "a guest that powered off shows ---s--" eventually 5 state_is p1 ---s--
x destroy p1

# Gone when on_poweroff is destroy (xl's default).
cfg p2
x create -q "$tmp/p2.cfg"
check "p2 is listed" eventually 10 exists p2
x sim-inject poweroff p2
check "a guest that powered off is destroyed" eventually 5 gone p2

# The injections' own errors.
run x sim-inject no-such-thing Domain-0
check "an unknown injection exits 1" [ "$rc" -eq 1 ]
run x sim-inject crash no-such
check "an injection on an unknown domain exits 1" [ "$rc" -eq 1 ]
run x sim-inject fail-next abc
check "an injection value that is not a number exits 2" [ "$rc" -eq 2 ]

# xld goes away between two commands, or dies: plain messages.
stop_xld
run x list
check "after xld stopped: exit 1" [ "$rc" -eq 1 ]
check "after xld stopped: not running" grep -q "^xlctl: xld is not running" "$tmp/err"
start_xld
kill -9 "$xld_pid"
wait "$xld_pid" 2>/dev/null
xld_pid=
run x list
check "after xld died: exit 1" [ "$rc" -eq 1 ]
check "after xld died: not running" grep -q "^xlctl: xld is not running" "$tmp/err"
finish
