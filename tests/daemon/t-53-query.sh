#!/bin/bash
# t-53-query.sh - the queries against a real xld: domid, domname, uptime
# (xl's formats) and info (xl's `key : value` lines), on both sockets.
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

# domid and domname.
run x domid web1
check "domid exits 0" [ "$rc" -eq 0 ]
check "domid prints the domid alone" [ "$out" = "$id" ]
run x domid Domain-0
check "domid Domain-0" [ "$out" = 0 ]
run x domname "$id"
check "domname exits 0" [ "$rc" -eq 0 ]
check "domname prints the name alone" [ "$out" = web1 ]
run x domname 0
check "domname 0" [ "$out" = Domain-0 ]
run x domid no-such
check "domid of an unknown name exits 1" [ "$rc" -eq 1 ]
check "domid of an unknown name prints nothing" [ ! -s "$tmp/out" ]
check "domid of an unknown name says why" [ -s "$tmp/err" ]
run x domname 4000
check "domname of an unknown domid exits 1" [ "$rc" -eq 1 ]
run x domname web1
check "domname of a name is a usage error" [ "$rc" -eq 2 ]

# uptime, as xl prints it: "%-33s %4d %s", the time as [D day[s], ]H:MM:SS.
upre='( [0-9]|[0-9][0-9]):[0-5][0-9]:[0-5][0-9]'
run x uptime
check "uptime exits 0" [ "$rc" -eq 0 ]
check "uptime's header" [ "$(head -1 "$tmp/out")" = "$(printf '%-33s %4s %s' Name ID Uptime)" ]
line=$(grep '^web1 ' "$tmp/out")
prefix=$(printf '%-33s %4d ' web1 "$id")
check "uptime's row for web1" eval '[ "${line:0:${#prefix}}" = "$prefix" ] && [[ ${line:${#prefix}} =~ ^$upre$ ]]'
check "uptime lists Domain-0" grep -q "^$(printf '%-33s %4d ' Domain-0 0)" "$tmp/out"
run x uptime web1
check "uptime DOM: the header and one row" [ "$(wc -l <"$tmp/out")" -eq 2 ]
run x uptime web1 Domain-0
check "uptime DOM DOM: two rows" [ "$(wc -l <"$tmp/out")" -eq 3 ]
check "uptime DOM DOM: in the order asked" [ "$(awk 'NR > 1 { print $1 }' "$tmp/out" | tr '\n' ' ')" = "web1 Domain-0 " ]
run x uptime -s web1
check "uptime -s exits 0" [ "$rc" -eq 0 ]
check "uptime -s: xl's short form" \
    eval '[[ $out =~ ^\ [0-9][0-9]:[0-9][0-9]:[0-9][0-9]\ up\ ( [0-9]|[0-9][0-9]):[0-5][0-9],\ web1\ \($id\)$ ]]'
run x uptime no-such
check "uptime of an unknown domain exits 1" [ "$rc" -eq 1 ]
check "uptime of an unknown domain prints nothing" [ ! -s "$tmp/out" ]
sleep 2.2
up=$(x uptime web1 | awk 'NR == 2 { print $3 }')
check "uptime counts" eval '[ "${up##*:}" -ge 2 ]'

# info: xl's "key                    : value" lines.
run x info
check "info exits 0" [ "$rc" -eq 0 ]
check "every info line is 'key : value'" eval '! grep -Ev "^[a-z_]+ +: " "$tmp/out"'
check "info's keys are padded to xl's width" eval '! grep -Ev "^.{23}: " "$tmp/out"'
for k in host nr_cpus nr_nodes total_memory free_memory xen_version backend xld_version; do
    check "info has $k" grep -q "^$k  *: ." "$tmp/out"
done
check "info: the backend is sim" grep -q '^backend  *: sim$' "$tmp/out"
run x info nr_cpus
check "info KEY prints the value alone" eval '[[ $out =~ ^[0-9]+$ ]]'
run x info --json
check "info --json" grep -q '"nr_cpus":' "$tmp/out"

# Every query works on the read-only socket.
for q in "list" "info" "domid web1" "domname $id" "uptime" "uptime web1" "list -l" "config show web1"; do
    run "$XLCTL" --socket "$ro" $q
    check "'$q' on the read-only socket" [ "$rc" -eq 0 ]
done
finish
