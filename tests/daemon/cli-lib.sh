# cli-lib.sh - what the xlctl integration tests (t-5*.sh) share: a private
# xld on the simulator, check/run helpers, and config and list helpers.
# Sourced by each test, which then calls start_xld and its checks.
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
        --state-dir="$tmp/state" --backend-options=dir="$tmp/sim" \
        --xl-conf="$tmp/xl.conf" "$@" \
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
