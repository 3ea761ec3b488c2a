#!/bin/bash
# t-59-states.sh - what guests do by themselves, as xlctl list shows it
# (xl's state letters), the simulator's injections, and what xlctl says
# when xld dies under it.
. "$(dirname "$0")/cli-lib.sh"
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
