#!/bin/bash
# t-57-events.sh - xlctl events against a real xld: one line per event
# as the domains change, --json lines as xld sends them, a clean exit on
# SIGTERM or SIGINT, and an error when xld goes away.
. "$(dirname "$0")/cli-lib.sh"
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
