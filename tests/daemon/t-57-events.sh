#!/bin/bash
# t-57-events.sh - xlctl events against a real xld: one line per event
# as the domains change, --json lines as xld sends them, a clean exit on
# SIGTERM or SIGINT, and an error when xld goes away.
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

# events_until FILE PATTERN: wait for a line.
seen() { grep -Eq "$2" "$1"; }

"$XLCTL" --socket "$sock" events >"$tmp/ev" 2>"$tmp/ev.err" &
ev=$!
"$XLCTL" --socket "$ro" events --json >"$tmp/evj" 2>"$tmp/evj.err" &
evj=$!
# Subscribed once a first event arrives: make them until one does.
cfg probe
for _ in $(seq 50); do
    x create -q "$tmp/probe.cfg" 2>/dev/null
    eventually 2 exists probe
    x destroy probe 2>/dev/null
    if seen "$tmp/ev" 'name=probe' && seen "$tmp/evj" '"probe"'; then break; fi
done
check "events: the first events come" seen "$tmp/ev" 'name=probe'

cfg web1
x create -q "$tmp/web1.cfg"
check "web1 is listed" eventually 10 exists web1
id=$(col web1 2)
x pause web1
x unpause web1
x rename web1 web2
x destroy web2
stamp='^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} '
check "an event for the creation" eventually 5 seen "$tmp/ev" "${stamp}DOMAIN_STATE .*domid=$id .*name=web1 .*state=created"
check "an event for pause" eventually 5 seen "$tmp/ev" "${stamp}DOMAIN_STATE .*name=web1 .*state=paused"
check "an event for unpause" eventually 5 seen "$tmp/ev" "${stamp}DOMAIN_STATE .*name=web1 .*state=unpaused"
check "an event for rename" eventually 5 seen "$tmp/ev" "${stamp}DOMAIN_STATE .*name=web2 .*state=renamed"
check "an event for destroy" eventually 5 seen "$tmp/ev" "${stamp}DOMAIN_STATE .*name=web2 .*state=destroyed"
check "every line is an event with its time" eval '! grep -Ev "${stamp}[A-Z_]+( |\$)" "$tmp/ev"'
check "the events come in order" eval '[ "$(grep -E "name=web[12] " "$tmp/ev" | sed -E "s/.* state=([a-z-]+).*/\\1/" | tr "\n" " ")" = "created paused unpaused renamed destroyed " ]'

# A guest's own shutdown, with its reason.
cfg web3 'on_poweroff = "destroy"'
x create -q "$tmp/web3.cfg"
check "web3 is listed" eventually 10 exists web3
x sim-inject poweroff web3
check "an event for the guest's poweroff" eventually 5 seen "$tmp/ev" "DOMAIN_STATE .*name=web3 .*state=shutdown .*reason=poweroff"

# --json: xld's own lines, on the read-only socket too.
check "events --json: web1's creation" eventually 5 seen "$tmp/evj" '"event": *"DOMAIN_STATE"'
if python3 -c 'import json' 2>/dev/null; then
    check "events --json: every line is a JSON event" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    assert "event" in m and "timestamp" in m, m
' "$tmp/evj"
fi

# Stopped by a signal: a clean end, status 0.
kill -TERM $ev
wait $ev
rc=$?
check "events ends with status 0 on SIGTERM" [ "$rc" -eq 0 ]
check "events prints nothing on stderr" [ ! -s "$tmp/ev.err" ]
"$XLCTL" --socket "$sock" events >/dev/null 2>"$tmp/ev2.err" &
ev2=$!
sleep 0.5
kill -INT $ev2
wait $ev2
rc=$?
check "events ends with status 0 on SIGINT" [ "$rc" -eq 0 ]

# xld goes away: events says so and exits 1.
stop_xld
wait $evj
rc=$?
check "events ends with status 1 when xld stops" [ "$rc" -eq 1 ]
check "events says that xld closed the connection" grep -q "closed the connection" "$tmp/evj.err"
finish
