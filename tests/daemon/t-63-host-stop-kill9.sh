#!/bin/bash
# t-63-host-stop-kill9.sh - xld killed with -9 in the middle of host stop
# loses no image: every domain either has a whole image or still runs;
# the next xld cleans up the unfinished saves, a second host stop saves
# the rest, and host start brings every domain back.
. "$(dirname "$0")/cli-lib.sh"
. "$(dirname "$0")/host-lib.sh"
xendomains XENDOMAINS_PARALLEL=4
start_host_xld
N=20
for i in $(seq 1 $N); do cfg "k$i"; x create -q "$tmp/k$i.cfg"; done
check "$N guests run" eventually 20 eval '[ "$(nguests)" -eq $N ]'
# 256 MiB at 16 s/GiB: 4 s a save, 4 at a time.
x sim-inject save-ms-per-gib 16000
x host stop >"$tmp/stop.out" 2>&1 &
stopper=$!
images() { ls "$save" 2>/dev/null | grep -cv '\.tmp$'; }
check "some saves finish" eventually 30 eval '[ "$(images)" -ge 4 ]'
check "others are in progress" eval 'ls "$save" | grep -q "\.tmp$"'
kill -9 "$xld_pid"
wait "$xld_pid" 2>/dev/null
xld_pid=
wait "$stopper"
check "xlctl host stop fails when xld dies" [ $? -ne 0 ]
saved=$(images)

# Every image under its final name is whole: a fresh xld can read it.
start_host_xld
check "the next xld removed the unfinished saves" \
    eventually 10 eval '! ls "$save" | grep -q "\.tmp$"'
check "no image was lost: saved + running = $N" \
    [ $(( $(images) + $(nguests) )) -eq $N ]
check "the images written before the kill are all there" [ "$(images)" -eq "$saved" ]
check "the interrupted saves are reported" \
    grep -q 'xld stopped during its save: the domain is still there; the unfinished image was removed' "$tmp/xld.log"

x sim-inject save-ms-per-gib 400
run x host stop
check "a second host stop exits 0" [ "$rc" -eq 0 ]
check "it saves the rest" [ "$(grep -c ': saved: ' "$tmp/out")" -eq $((N - saved)) ]
check "every domain has its image" [ "$(images)" -eq $N ]
run x host start
check "host start exits 0" [ "$rc" -eq 0 ]
check "host start restores all $N" [ "$(grep -c ': restored: ' "$tmp/out")" -eq $N ]
check "all $N run again" [ "$(nguests)" -eq $N ]

# One job at a time.
x sim-inject save-ms-per-gib 8000
x host stop >"$tmp/stop2.out" 2>&1 &
stopper=$!
eventually 10 eval 'ls "$save" 2>/dev/null | grep -q "\.tmp$"'
run x host start
check "host start while host stop runs exits 1" [ "$rc" -eq 1 ]
check "and says why" grep -q 'host stop is running' "$tmp/err"
wait "$stopper"
check "the running host stop finishes" [ $? -eq 0 ]
check "xld is still there" kill -0 "$xld_pid"
finish_host
