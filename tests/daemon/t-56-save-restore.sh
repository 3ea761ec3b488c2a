#!/bin/bash
# t-56-save-restore.sh - save and restore against a real xld: a round
# trip keeps the domain, -c leaves it running, -p restores it paused,
# relative paths work, failures exit 1 and leave no image behind.
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
x mem-set web1 192

run x save web1 "$tmp/web1.img"
check "save exits 0" [ "$rc" -eq 0 ]
check "save prints nothing in a script" eval '[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]'
check "the image is written" [ -s "$tmp/web1.img" ]
check "a saved domain is gone" gone web1
run x restore "$tmp/web1.img"
check "restore exits 0" [ "$rc" -eq 0 ]
check "restore prints nothing in a script" eval '[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]'
check "the domain is back" eventually 10 exists web1
check "with its memory" [ "$(col web1 3)" = 192 ]
check "with its vCPUs" [ "$(col web1 4)" = 2 ]
check "and running" eval '[[ $(col web1 5) =~ ^[r-][b-]----$ ]]'
check "and its config" eval 'x config show web1 | grep -q "^name = \"web1\""'

# -c: a checkpoint, the domain stays.
run x save -c web1 "$tmp/web1-c.img"
check "save -c exits 0" [ "$rc" -eq 0 ]
check "save -c writes the image" [ -s "$tmp/web1-c.img" ]
check "save -c leaves the domain running" exists web1

# A relative path is relative to where xlctl runs, not to xld.
run bash -c 'cd "$1" && "$2" --socket "$3" save web1 rel.img' _ "$tmp" "$XLCTL" "$sock"
check "save to a relative path exits 0" [ "$rc" -eq 0 ]
check "the relative path is ours" [ -s "$tmp/rel.img" ]
check "web1 is gone again" gone web1
run bash -c 'cd "$1" && "$2" --socket "$3" restore -p rel.img' _ "$tmp" "$XLCTL" "$sock"
check "restore -p from a relative path exits 0" [ "$rc" -eq 0 ]
check "restore -p leaves it paused" eventually 10 state_is web1 --p---
x unpause web1

# Errors.
run x restore "$tmp/no-such.img"
check "restore of a missing file exits 1" [ "$rc" -eq 1 ]
check "restore of a missing file says why" grep -q "no-such.img" "$tmp/err"
run x save no-such "$tmp/x.img"
check "save of an unknown domain exits 1" [ "$rc" -eq 1 ]
run x save web1 "$tmp/no/such/dir/x.img"
check "save to a directory that does not exist exits 1" [ "$rc" -eq 1 ]
check "web1 survives a failed save" exists web1
x sim-inject fail-next 2
run x save web1 "$tmp/fail.img"
check "a save the backend fails exits 1" [ "$rc" -eq 1 ]
check "a failed save leaves no image" [ ! -e "$tmp/fail.img" ]
check "a failed save leaves the domain" exists web1
run x restore "$tmp/web1-c.img"
check "restoring a domain whose name is in use exits 1" [ "$rc" -eq 1 ]

# A slow save: the request waits as long as it takes (256 MiB at
# 8 s/GiB: 1.5 s or more), with progress for a terminal only.
x destroy web1
cfg big
x create -q "$tmp/big.cfg"
check "big is listed" eventually 10 exists big
x sim-inject save-ms-per-gib 8000
x sim-inject restore-ms-per-gib 8000
run x save big "$tmp/big.img"
check "a slow save exits 0" [ "$rc" -eq 0 ]
check "a slow save prints nothing in a script" [ ! -s "$tmp/err" ]
if command -v script >/dev/null; then
    run script -qec "$XLCTL --socket $sock restore $tmp/big.img" /dev/null
    check "a slow restore on a terminal exits 0" [ "$rc" -eq 0 ]
    check "a slow restore on a terminal shows its progress" grep -q '%' "$tmp/out"
    check "the progress line is erased at the end" grep -q $'\r\033\\[K' "$tmp/out"
else
    x restore "$tmp/big.img"
fi
check "big is back" eventually 10 exists big
finish
