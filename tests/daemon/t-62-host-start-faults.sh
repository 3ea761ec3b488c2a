#!/bin/bash
# t-62-host-start-faults.sh - host start with what goes wrong at boot: a
# corrupt and a truncated image (moved aside, reported, and their
# domains not cold-booted from their autostart configs, then or at any
# later boot until the image is removed), an image of a domain that
# runs already, files that are not images, an autostart link to a
# missing file and a bad config; everything else still starts.
. "$(dirname "$0")/cli-lib.sh"
. "$(dirname "$0")/host-lib.sh"
start_host_xld
for n in good corrupt trunc stale; do
    cfg $n
    x create -q "$tmp/$n.cfg"
    x autostart add -q "$tmp/$n.cfg"
done
check "four guests run" eventually 10 eval '[ "$(nguests)" -eq 4 ]'
cfg fresh
x autostart add -q "$tmp/fresh.cfg"
ln -s "$tmp/no-such.cfg" "$autodir/missing.cfg"
printf 'name = "broken"\nmemory = \n' >"$autodir/broken.cfg"

# stale: a checkpoint, so that its domain runs on past its image.
x save -c stale "$tmp/stale.img"
run x host stop
check "host stop exits 0" [ "$rc" -eq 0 ]
check "stale still runs (it was started again)" true
x create -q "$tmp/stale.cfg"
mv "$tmp/stale.img" "$save/stale"
# corrupt: bytes changed in the middle of the guest's memory.
size=$(stat -c %s "$save/corrupt")
printf 'garbage!' | dd of="$save/corrupt" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
# trunc: cut inside its header.
truncate -s 100 "$save/trunc"
echo "not an image" >"$save/notes.txt"
echo "half a save" >"$save/half.tmp"

run x host start
check "host start with failures exits 1" [ "$rc" -eq 1 ]
check "the good image is restored" grep -q '^good: restored' "$tmp/out"
check "the good image is deleted" [ ! -e "$save/good" ]
check "the corrupt image is reported" grep -q '^corrupt: failed: restoring .*corrupt failed' "$tmp/err"
check "and moved aside" eval '[ -e "$save.failed/corrupt" ] && [ ! -e "$save/corrupt" ]'
check "the truncated image is reported" grep -q '^trunc: failed: the image .*trunc is damaged' "$tmp/err"
check "and moved aside" [ -e "$save.failed/trunc" ]
check "corrupt is not cold-booted from its autostart config" \
    grep -q '^corrupt: failed: not started: its saved image did not restore' "$tmp/err"
check "nor is trunc" grep -q '^trunc: failed: not started' "$tmp/err"
check "neither runs" eval 'gone corrupt && gone trunc'
check "the image of a domain that runs is moved aside, not restored" \
    grep -q '^stale: skipped: its domain already runs' "$tmp/out"
check "to the stale folder" [ -e "$save.stale/stale" ]
check "a file that is not an image is left alone" \
    eval 'grep -q "^notes.txt: skipped: .* is not a Xen save image" "$tmp/out" && [ -e "$save/notes.txt" ]'
check "an unfinished save is left alone" [ -e "$save/half.tmp" ]
check "xld logs the unfinished save" grep -q 'half.tmp is an unfinished save; left alone' "$tmp/xld.log"
check "a link to a missing file is reported" \
    grep -q '^missing.cfg: failed: .*missing.cfg: a broken link' "$tmp/err"
check "a bad config is reported with its line" \
    grep -q '^broken.cfg: failed: .*broken.cfg: a bad config: line 2' "$tmp/err"
check "the autostart domain that was not running is created" grep -q '^fresh: created' "$tmp/out"
check "good, stale and fresh run" eval 'exists good && exists stale && exists fresh'
check "xld logged each failure" [ "$(grep -c 'warning: host start: .*: failed' "$tmp/xld.log")" -ge 6 ]

# The next boot: the failed images still hold their domains back.
run x host start
check "a second host start creates nothing" eval '! grep -q ": created" "$tmp/out"'
check "corrupt is still held back" grep -q '^corrupt: failed: not started' "$tmp/err"
check "and does not run" gone corrupt
# The admin removes the image: the domain may boot cold.
rm "$save.failed/corrupt"
run x host start
check "once its image is removed, corrupt starts from its config" \
    grep -q '^corrupt: created' "$tmp/out"
check "autostart list shows the broken entries" \
    eval 'x autostart list | grep -q "^missing.cfg .*broken"'
check "xld is still there" kill -0 "$xld_pid"
finish_host
