#!/bin/bash
# t-61-host-stop-faults.sh - host stop with guests that misbehave: one
# ignores the shutdown request (left running, or destroyed only when
# XENDOMAINS_STOP_DESTROY says so), a save that fails (shut down
# instead, reported), and settings that xld does not take.
. "$(dirname "$0")/cli-lib.sh"
. "$(dirname "$0")/host-lib.sh"
start_host_xld
for n in calm stubborn; do cfg $n; x create -q "$tmp/$n.cfg"; done
check "both run" eventually 10 eval '[ "$(nguests)" -eq 2 ]'
x sim-inject ignore-shutdown stubborn 1

# Shutting down, not saving; a short deadline; no destroy.
xendomains XENDOMAINS_SAVE= XENDOMAINS_STOP_MAXWAIT=2
t0=$(date +%s)
run x host stop
t1=$(date +%s)
check "host stop with a guest that ignores it exits 1" [ "$rc" -eq 1 ]
check "the calm guest is shut down" grep -q '^calm: shut-down' "$tmp/out"
check "the stubborn one is reported as left running" \
    grep -q '^stubborn: left-running: it did not stop within XENDOMAINS_STOP_MAXWAIT (2 s)' "$tmp/err"
check "host stop keeps its deadline" [ $((t1 - t0)) -lt 10 ]
check "the calm guest is gone" eventually 5 gone calm
check "the stubborn guest is left running" exists stubborn
check "nothing was saved" [ ! -e "$save" ]

# The same with XENDOMAINS_STOP_DESTROY: destroyed, and said so.
xendomains XENDOMAINS_SAVE= XENDOMAINS_STOP_MAXWAIT=1 XENDOMAINS_STOP_DESTROY=true
run x host stop
check "host stop that destroys exits 1" [ "$rc" -eq 1 ]
check "the stubborn guest is destroyed, and why" \
    grep -q '^stubborn: destroyed: it did not stop within .*destroyed, as XENDOMAINS_STOP_DESTROY says' "$tmp/err"
check "the stubborn guest is gone" eventually 5 gone stubborn
check "xld logged it" grep -q 'host stop: stubborn: destroyed' "$tmp/xld.log"

# A save that fails: that guest is shut down instead, the others saved.
for n in s1 s2 s3; do cfg $n; x create -q "$tmp/$n.cfg"; done
check "three guests run" eventually 10 eval '[ "$(nguests)" -eq 3 ]'
xendomains XENDOMAINS_PARALLEL=1
x sim-inject fail-next 2
run x host stop
check "host stop with a failed save exits 1" [ "$rc" -eq 1 ]
check "one save failed and that guest was shut down instead" \
    [ "$(grep -c ': shut-down: saving it failed (.*); shut down instead' "$tmp/err")" -eq 1 ]
check "the two others were saved" [ "$(grep -c ': saved: ' "$tmp/out")" -eq 2 ]
check "the summary counts the failure" grep -q 'host stop: 3 domains, 1 failed' "$tmp/err"
check "two images, no partial one" [ "$(ls "$save" | wc -l)" -eq 2 ]
check "no guest is left" eventually 5 eval '[ "$(nguests)" -eq 0 ]'

# Settings xld does not take are warnings; a line that would run a
# command is not run.
cfg w1; x create -q "$tmp/w1.cfg"
xendomains 'XENDOMAINS_SYSRQ="s xy u"' 'XENDOMAINS_USLEEP=300000' \
    'XENDOMAINS_MIGRATE="-s false host2 --live"' \
    "XENDOMAINS_STOP_MAXWAIT=\$(touch $tmp/pwned)" "touch $tmp/pwned2" \
    'XENDOMAINS_BOGUS=1'
run x host stop
check "host stop with odd settings still works" [ "$rc" -eq 0 ]
check "w1 is saved" grep -q '^w1: saved' "$tmp/out"
check "a SysRq word that is not one key is a warning" \
    grep -q "XENDOMAINS_SYSRQ: 'xy' is not one SysRq key" "$tmp/err"
sysrq_order() {   # what w1 got, in order: the keys, then its save
    grep -o "w1 (domid [0-9]*) got SysRq '.'\|saved w1 " "$tmp/xld.log" \
        | sed "s/.*SysRq //" | tr '\n' ' '
}
check "the SysRq keys reached the guest, in order, before its save" \
    [ "$(sysrq_order)" = "'s' 'u' saved w1  " ]
sysrq_gap() {   # the ms between the two keys, from xld's log
    grep "w1 (domid [0-9]*) got SysRq" "$tmp/xld.log" | awk '{ split($1, t, ":"); ms[NR] = (t[1] * 3600 + t[2] * 60 + t[3]) * 1000 } END { print int(ms[2] - ms[1]) }'
}
check "XENDOMAINS_USLEEP passed between the keys" [ "$(sysrq_gap)" -ge 290 ]
check "a failed migration falls back to the save" grep -q 'w1: migrating it to host2 failed (.*); saved instead' "$tmp/xld.log"
check "an expansion is refused with its line" grep -q 'xendomains:[0-9]*: XENDOMAINS_STOP_MAXWAIT: expansions' "$tmp/err"
check "a command is refused with its line" grep -q 'xendomains:[0-9]*: not an assignment' "$tmp/err"
check "an unknown setting is a warning" grep -q 'XENDOMAINS_BOGUS: unknown setting' "$tmp/err"
check "nothing of the file ran" eval '[ ! -e "$tmp/pwned" ] && [ ! -e "$tmp/pwned2" ]'

# One job at a time; the read-only socket cannot run one.
run "$XLCTL" --socket "$ro" host stop
check "host stop on the read-only socket exits 1" [ "$rc" -eq 1 ]
check "xld is still there" kill -0 "$xld_pid"
finish_host
