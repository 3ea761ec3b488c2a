#!/bin/bash
# t-55-shutdown.sh - shutdown and reboot against a real xld: without -w
# they return once the guest is asked, with -w once it is down; -a takes
# every domain but Domain-0; scripts see no progress output.
. "$(dirname "$0")/cli-lib.sh"
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
# matters for a guest that cannot be asked at all).
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

# A guest without PV drivers cannot be asked: shutdown says so, and -F
# presses its ACPI power button instead, as xl's -F does; it never
# destroys.  reboot -F resets it.
cfg hvm1
x create -q "$tmp/hvm1.cfg"
check "hvm1 is listed" eventually 10 exists hvm1
x sim-inject no-pv-control hvm1 1
run x shutdown hvm1
check "shutdown of a guest without PV control exits 1" [ "$rc" -eq 1 ]
check "and says why" grep -q "no PV control" "$tmp/err"
check "hvm1 is still there" exists hvm1
id=$(col hvm1 2)
run x reboot -F hvm1
check "reboot -F of a guest without PV control exits 0" [ "$rc" -eq 0 ]
check "reboot -F resets it: hvm1 comes back" eventually 15 eval 'exists hvm1 && [ "$(col hvm1 2)" != "$id" ]'
# The restarted guest has no PV drivers either (the sim forgets that
# across a restart: set it again once its create is over).
check "hvm1 again without PV control" eventually 10 x sim-inject no-pv-control hvm1 1
run x shutdown -F -w hvm1
check "shutdown -F -w of a guest without PV control exits 0" [ "$rc" -eq 0 ]
check "the power button shut hvm1 down" eventually 10 gone hvm1
check "xld logged the ACPI event" grep -q "hvm1 (domid [0-9]*) has no PV control: sending it an ACPI power button event" "$tmp/xld.log"

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
