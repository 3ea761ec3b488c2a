#!/bin/bash
# t-21-migrate-local.sh - migration from one xld to itself, the form `xl
# migrate DOM localhost` takes, and migrate --dry-run.  For a while two
# domains have one uuid, the one leaving (NAME--migratedaway) and the one
# arriving (NAME--incoming): xld must keep both apart in its table and
# in its state folder (UUID.json and UUID.incoming.json), end with one
# managed domain of that name and uuid and one record, and recover from
# a failure or from its own kill -9 on either side without losing the
# guest or leaving a copy behind.
. "$(dirname "$0")/cli-lib.sh"
start_xld
# The receiving command, as -s "" takes it: the whole command line.
recv="XLD_SOCKET=$sock $XLCTL migrate-receive"
running() { [[ $(col "$1" 5) =~ ^[r-][b-]----$ ]]; }
records() { (cd "$tmp/state/domains" && ls) 2>/dev/null | tr '\n' ' '; }
count() { x list | awk -v n="$1" '$1 == n' | wc -l; }
uuid_of() { x list -v | awk -v n="$1" '$1 == n { print $7 }'; }
managed() {
    x list --json | tr -d ' \n' | grep -o "\"name\":\"$1\"[^}]*" |
        grep -q '"managed":true'
}

cfg web1 'on_reboot = "restart"'
x create -q "$tmp/web1.cfg"
check "web1 runs" eventually 10 running web1
x mem-set web1 200
uuid=$(uuid_of web1)
domid=$(col web1 2)
check "one record, UUID.json" [ "$(records)" = "$uuid.json " ]

# --dry-run: the target checks everything and nothing moves.
run x migrate --dry-run -s "" web1 "$recv"
check "migrate --dry-run exits 0" [ "$rc" -eq 0 ]
check "and says the target would take it" eval 'grep -q "web1: the target would take it (dry run" "$tmp/out"'
check "the guest never stopped: same domid, running" eval '[ "$(col web1 2)" = "$domid" ] && running web1'
check "no web1--incoming was made" gone web1--incoming
check "the records are as they were" [ "$(records)" = "$uuid.json " ]
check "the receiver said it was a dry run" grep -q "dry run: the domain would be taken here" "$tmp/xld.log"

# A dry run refused: the host has not the memory for a second copy.
cfg big 'memory = 200000' 'maxmem = 200000'
x create -q "$tmp/big.cfg"
run x migrate --dry-run -s "" big "$recv"
check "a dry run without the memory exits 1" [ "$rc" -eq 1 ]
check "and says how much is needed" eval 'grep -q "needs 200000 MiB and the host has" "$tmp/err"'
check "and says it once" eval '[ "$(grep -o "needs 200000 MiB" "$tmp/err" | wc -l)" = 1 ]'
check "big still runs" running big
x destroy big

# The migration to itself.
run x migrate -s "" web1 "$recv"
check "migrate to this host exits 0" [ "$rc" -eq 0 ]
check "one web1 is listed" [ "$(count web1)" = 1 ]
check "with a new domid" eval '[ -n "$(col web1 2)" ] && [ "$(col web1 2)" != "$domid" ]'
check "running" running web1
check "with its uuid" [ "$(uuid_of web1)" = "$uuid" ]
check "with its memory" [ "$(col web1 3)" = 200 ]
check "no web1--incoming is left" gone web1--incoming
check "no web1--migratedaway is left" gone web1--migratedaway
check "the old domid is gone" eval '! x list | awk "\$2 == $domid" | grep -q .'
check "one record, UUID.json, no incoming file" [ "$(records)" = "$uuid.json " ]
check "the record names web1 and its domid" eval 'grep -q "\"name\": *\"web1\"" "$tmp/state/domains/$uuid.json" && grep -q "\"domid\": *$(col web1 2)[,}]" "$tmp/state/domains/$uuid.json"'
check "its config came along" eval 'x config show web1 | grep -q "^on_reboot = \"restart\""'
check "it is managed" managed web1

# It is xld's as before: a reboot is handled once.
old=$(col web1 2)
x reboot web1
check "a reboot restarts it" eventually 10 eval '[ -n "$(col web1 2)" ] && [ "$(col web1 2)" != "$old" ] && running web1'
check "still one web1" [ "$(count web1)" = 1 ]

# Twice more, back and forth on one host, and with -p.
x migrate -s "" web1 "$recv"
run x migrate -p -s "" web1 "$recv"
check "migrate -p to this host exits 0" [ "$rc" -eq 0 ]
check "-p leaves it paused" eventually 5 state_is web1 --p---
x unpause web1
check "it runs after unpause" eventually 5 running web1
check "still one record" [ "$(records)" = "$uuid.json " ]

# The stream fails: the guest resumes under its name, the copy goes.
domid=$(col web1 2)
x sim-inject fail-next 2
run x migrate -s "" web1 "$recv"
check "a failing stream exits 1" [ "$rc" -eq 1 ]
check "web1 resumes, same domid" eventually 5 eval '[ "$(col web1 2)" = "$domid" ] && running web1'
check "no copy is left" eval 'gone web1--incoming && gone web1--migratedaway'
check "one record after the failure" [ "$(records)" = "$uuid.json " ]

# The transport is cut midway.
x sim-inject save-ms-per-gib 4000
run x migrate -s "" web1 "stdbuf -o0 head -c 65536 | $recv"
check "a transport cut midway exits 1" [ "$rc" -eq 1 ]
check "web1 runs on, same domid" eventually 5 eval '[ "$(col web1 2)" = "$domid" ] && running web1'
check "no copy after the cut" eventually 5 eval 'gone web1--incoming && gone web1--migratedaway'
check "one record after the cut" eventually 5 eval '[ "$(records)" = "$uuid.json " ]'

# xld is killed midway (the stream is slow): the next xld keeps the
# guest, drops the incoming copy and its record, and says what it did.
x sim-inject save-ms-per-gib 30000
x migrate -s "" web1 "$recv" >/dev/null 2>&1 &
mig=$!
check "the copy appears" eventually 10 exists web1--incoming
check "two records meanwhile" eventually 5 eval '[ "$(records)" = "$uuid.incoming.json $uuid.json " ]'
kill -9 "$xld_pid"
wait "$xld_pid" 2>/dev/null
wait "$mig" 2>/dev/null
xld_pid=
start_xld
check "after kill -9, web1 is there, same domid" eval '[ "$(col web1 2)" = "$domid" ]'
check "and running" eventually 5 running web1
check "the incoming copy is gone" eventually 10 gone web1--incoming
check "one record after the restart" eventually 5 eval '[ "$(records)" = "$uuid.json " ]'
check "the log says the guest was never stopped" grep -q "never stopped" "$tmp/xld.log"
x sim-inject save-ms-per-gib 200

# And the whole of it again once xld was restarted, then a kill -9
# after it: the record left is the arriving domain's.
run x migrate -s "" web1 "$recv"
check "a migration after the restart exits 0" [ "$rc" -eq 0 ]
new=$(col web1 2)
stop_xld
start_xld
check "the next xld finds web1 managed, its new domid" eval '[ "$(col web1 2)" = "$new" ] && managed web1'
old=$(col web1 2)
x reboot web1
check "and handles its reboot" eventually 10 eval '[ -n "$(col web1 2)" ] && [ "$(col web1 2)" != "$old" ] && running web1'

# A Xen without shadow paging (Debian's): a PV guest has no log-dirty
# mode, so it cannot migrate live; --no-live suspends it, then sends it.
stop_xld
start_xld --backend-options=dir="$tmp/sim",shadow=0
cfg pv1 'type = "pv"'
x create -q "$tmp/pv1.cfg"
check "pv1, a PV guest, runs" eventually 10 running pv1
domid=$(col pv1 2)
uuid=$(uuid_of pv1)
# An HVM-type guest (PVH here) migrates live: it has HAP.
run x migrate -s "" web1 "$recv"
check "a PVH guest migrates live without shadow paging" [ "$rc" -eq 0 ]
run x migrate -s "" pv1 "$recv"
check "live migration without shadow paging exits 1" [ "$rc" -eq 1 ]
check "and says why and what to do" grep -q "no shadow paging.*--no-live" "$tmp/err"
check "pv1 runs on, untouched" eval '[ "$(col pv1 2)" = "$domid" ] && running pv1'
check "no copy was made" gone pv1--incoming
run x migrate --dry-run -s "" pv1 "$recv"
check "a dry run says the same" eval '[ "$rc" -eq 1 ] && grep -q "no shadow paging" "$tmp/err"'
x sim-inject save-ms-per-gib 4000
x migrate --no-live -s "" pv1 "$recv" >"$tmp/nolive.out" 2>&1 &
mig=$!
check "--no-live suspends the guest while it is sent" eventually 5 state_is pv1 --p---
wait "$mig"
check "migrate --no-live exits 0" [ $? -eq 0 ]
check "pv1 runs under a new domid" eval '[ "$(col pv1 2)" != "$domid" ] && running pv1'
check "one pv1 and one record after --no-live" eval '[ "$(count pv1)" = 1 ] && [ -e "$tmp/state/domains/$uuid.json" ] && [ ! -e "$tmp/state/domains/$uuid.incoming.json" ]'
x sim-inject save-ms-per-gib 200
# A --no-live migration that fails gives the guest back, running.
domid=$(col pv1 2)
x sim-inject fail-next 2
run x migrate --no-live -s "" pv1 "$recv"
check "a failing --no-live migration exits 1" [ "$rc" -eq 1 ]
check "and the guest runs again, same domid" eventually 5 eval '[ "$(col pv1 2)" = "$domid" ] && running pv1'

check "xld is still there" kill -0 "$xld_pid"
if grep -Eq 'Sanitizer|runtime error:' "$tmp/xld.log"; then
    bad "a sanitizer report in xld's log"
fi
finish
