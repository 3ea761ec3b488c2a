#!/bin/bash
# t-60-host-stop-start.sh - host stop saves 50 domains in parallel, host
# start restores them all with their state, autostarts what does not
# run, and a second host start starts nothing twice.
. "$(dirname "$0")/cli-lib.sh"
. "$(dirname "$0")/host-lib.sh"
xendomains XENDOMAINS_PARALLEL=8
start_host_xld
N=50
for i in $(seq 1 $N); do
    cfg "g$i"
    x create -q "$tmp/g$i.cfg" || bad "create g$i"
done
check "$N guests run" eventually 20 eval '[ "$(nguests)" -eq $N ]'
# Each guest gets its own state: memory and vCPUs set at run time.
for i in $(seq 1 $N); do
    x mem-set "g$i" $((128 + i)) && x vcpu-set "g$i" $((1 + i % 4)) \
        || bad "setting the state of g$i"
done
# Autostart: some of the saved ones, and one that is not running.
for i in 1 2 3; do x autostart add -q "$tmp/g$i.cfg" || bad "autostart g$i"; done
cfg extra
x autostart add -q "$tmp/extra.cfg" || bad "autostart extra"

# 256 MiB at 4 s/GiB: 1 s a guest, 50 s one at a time.
x sim-inject save-ms-per-gib 4000
x sim-inject restore-ms-per-gib 1000
t0=$(date +%s.%N)
run x host stop
t1=$(date +%s.%N)
check "host stop exits 0" [ "$rc" -eq 0 ]
check "host stop says every domain was saved" \
    [ "$(grep -c ': saved: saved to ' "$tmp/out")" -eq $N ]
check "host stop prints its summary" grep -q "host stop: $N domains, 0 failed" "$tmp/out"
check "no guest runs after host stop" [ "$(nguests)" -eq 0 ]
check "$N images are written" [ "$(ls "$save" | wc -l)" -eq $N ]
check "no unfinished image is left" eval '! ls "$save" | grep -q "\.tmp$"'
check "the saves ran side by side (well under the 50 s of one at a time)" \
    awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 20) }'
check "at most 8 saves at once" eval \
    '[ "$(grep -c "host stop: .* 8 at a time" "$tmp/xld.log")" -ge 1 ]'

# A host stop with nothing left to do.
run x host stop
check "a second host stop exits 0" [ "$rc" -eq 0 ]
check "and has nothing to do" grep -q "host stop: 0 domains, 0 failed" "$tmp/out"

run x host start
check "host start exits 0" [ "$rc" -eq 0 ]
check "host start restores every image" \
    [ "$(grep -c ': restored: ' "$tmp/out")" -eq $N ]
check "host start creates the autostart domain that was not saved" \
    grep -q '^extra: created' "$tmp/out"
check "host start skips the autostart domains it restored" \
    [ "$(grep -c '^g[123]: skipped: already running' "$tmp/out")" -eq 3 ]
check "every guest is back" [ "$(nguests)" -eq $((N + 1)) ]
check "the save folder is empty again" [ -z "$(ls "$save")" ]
state_ok=0
for i in $(seq 1 $N); do
    [ "$(col "g$i" 3)" = $((128 + i)) ] && [ "$(col "g$i" 4)" = $((1 + i % 4)) ] \
        && state_ok=$((state_ok + 1))
done
check "every guest has its memory and vCPUs back ($state_ok of $N)" [ $state_ok -eq $N ]

ids=$(x list | awk 'NR > 1 { print $1, $2 }' | sort)
run x host start
check "a second host start exits 0" [ "$rc" -eq 0 ]
check "a second host start creates nothing" eval '! grep -q ": created" "$tmp/out"'
check "a second host start restores nothing" eval '! grep -q ": restored" "$tmp/out"'
check "a second host start skips the 4 autostart domains" \
    [ "$(grep -c ': skipped: already running' "$tmp/out")" -eq 4 ]
check "the same domains run, with the same ids" \
    [ "$ids" = "$(x list | awk 'NR > 1 { print $1, $2 }' | sort)" ]
check "xld is still there" kill -0 "$xld_pid"
finish_host
