#!/bin/bash
# t-54-ops.sh - the quick operations against a real xld: pause, unpause,
# mem-set and mem-max (xl's size syntax), vcpu-set, rename and destroy,
# with domains named by name, domid or UUID.
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
id=$(col web1 2)

run x pause web1
check "pause exits 0" [ "$rc" -eq 0 ]
check "pause prints nothing" eval '[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]'
check "paused" eventually 5 state_is web1 --p---
run x unpause web1
check "unpause exits 0" [ "$rc" -eq 0 ]
check "unpaused" eventually 5 eval '[[ $(col web1 5) =~ ^[r-][b-]----$ ]]'
run x pause "$id"
check "pause DOMID" eventually 5 state_is web1 --p---
uuid=$(x list -v | awk '$1 == "web1" { print $7 }')
run x unpause "$uuid"
check "unpause UUID exits 0" [ "$rc" -eq 0 ]
check "unpause UUID" eventually 5 eval '[[ $(col web1 5) =~ ^[r-][b-]----$ ]]'
run x pause no-such
check "pause of an unknown domain exits 1" [ "$rc" -eq 1 ]
check "pause of an unknown domain says why" grep -q "no-such" "$tmp/err"

# Memory: a number of MiB, or b/k/m/g/t.
run x mem-set web1 128
check "mem-set MiB exits 0" [ "$rc" -eq 0 ]
check "mem-set 128: 128 MiB" eventually 5 eval '[ "$(col web1 3)" = 128 ]'
x mem-set web1 200m
check "mem-set 200m" eventually 5 eval '[ "$(col web1 3)" = 200 ]'
x mem-set web1 196608k
check "mem-set 196608k" eventually 5 eval '[ "$(col web1 3)" = 192 ]'
x mem-set web1 134217728b
check "mem-set 134217728b" eventually 5 eval '[ "$(col web1 3)" = 128 ]'
run x mem-max web1 1g
check "mem-max 1g exits 0" [ "$rc" -eq 0 ]
check "mem-max 1g: maxmemkb" eval 'x list --json web1 | grep -q "\"maxmemkb\": 1048576"'
x mem-set web1 1G
check "mem-set 1G within the new maximum" eventually 5 eval '[ "$(col web1 3)" = 1024 ]'
run x mem-set web1 12q
check "a bad size is a usage error" [ "$rc" -eq 2 ]
check "a bad size says so" grep -q "invalid memory size: 12q" "$tmp/err"
run x mem-set no-such 128
check "mem-set of an unknown domain exits 1" [ "$rc" -eq 1 ]

# vCPUs.
run x vcpu-set web1 3
check "vcpu-set exits 0" [ "$rc" -eq 0 ]
check "vcpu-set 3" eventually 5 eval '[ "$(col web1 4)" = 3 ]'
run x vcpu-set web1 9
check "vcpu-set over maxvcpus exits 1" [ "$rc" -eq 1 ]
check "vcpu-set over maxvcpus says why" [ -s "$tmp/err" ]

# rename.
run x rename web1 web9
check "rename exits 0" [ "$rc" -eq 0 ]
check "renamed" eventually 5 exists web9
check "the old name is gone" gone web1
check "the domid stays" [ "$(col web9 2)" = "$id" ]
run x rename web9 Domain-0
check "rename to a name in use exits 1" [ "$rc" -eq 1 ]
run x rename no-such web8
check "rename of an unknown domain exits 1" [ "$rc" -eq 1 ]

# destroy.
run x destroy web9
check "destroy exits 0" [ "$rc" -eq 0 ]
check "destroy prints nothing" [ ! -s "$tmp/out" ]
check "destroyed" gone web9
run x destroy web9
check "destroy of a domain that is gone exits 1" [ "$rc" -eq 1 ]

# The changes are refused on the read-only socket, with the reason.
cfg web2
x create -q "$tmp/web2.cfg"
check "web2 is listed" eventually 10 exists web2
for op in "pause web2" "unpause web2" "destroy web2" "mem-set web2 128" \
    "mem-max web2 1g" "vcpu-set web2 1" "rename web2 web3" "shutdown web2" \
    "reboot web2" "save web2 $tmp/x.img" "sim-inject crash web2"; do
    run "$XLCTL" --socket "$ro" $op
    check "'$op' on the read-only socket exits 1" [ "$rc" -eq 1 ]
    check "'$op' on the read-only socket says why" grep -q "read-only" "$tmp/err"
done
check "web2 is untouched" exists web2
finish
