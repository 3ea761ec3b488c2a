#!/bin/bash
# t-56-save-restore.sh - save and restore against a real xld: a round
# trip keeps the domain, -c leaves it running, -p restores it paused,
# relative paths work, failures exit 1 and leave no image behind.
. "$(dirname "$0")/cli-lib.sh"
start_xld
cfg web1
x create -q "$tmp/web1.cfg"
check "web1 is listed" eventually 10 exists web1
x mem-set web1 192

run x save web1 "$tmp/web1.img"
check "save exits 0" [ "$rc" -eq 0 ]
check "save prints nothing in a script" eval '[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]'
check "the image is written" [ -s "$tmp/web1.img" ]
check "a saved domain is gone" gone web1
run x restore "$tmp/web1.img"
check "restore exits 0" [ "$rc" -eq 0 ]
check "restore prints nothing in a script" eval '[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]'
check "the domain is back" eventually 10 exists web1
check "with its memory" [ "$(col web1 3)" = 192 ]
check "with its vCPUs" [ "$(col web1 4)" = 2 ]
check "and running" eval '[[ $(col web1 5) =~ ^[r-][b-]----$ ]]'
check "and its config" eval 'x config show web1 | grep -q "^name = \"web1\""'

# -c: a checkpoint, the domain stays.
run x save -c web1 "$tmp/web1-c.img"
check "save -c exits 0" [ "$rc" -eq 0 ]
check "save -c writes the image" [ -s "$tmp/web1-c.img" ]
check "save -c leaves the domain running" exists web1

# A relative path is relative to where xlctl runs, not to xld.
run bash -c 'cd "$1" && "$2" --socket "$3" save web1 rel.img' _ "$tmp" "$XLCTL" "$sock"
check "save to a relative path exits 0" [ "$rc" -eq 0 ]
check "the relative path is ours" [ -s "$tmp/rel.img" ]
check "web1 is gone again" gone web1
run bash -c 'cd "$1" && "$2" --socket "$3" restore -p rel.img' _ "$tmp" "$XLCTL" "$sock"
check "restore -p from a relative path exits 0" [ "$rc" -eq 0 ]
check "restore -p leaves it paused" eventually 10 state_is web1 --p---
x unpause web1

# Errors.
run x restore "$tmp/no-such.img"
check "restore of a missing file exits 1" [ "$rc" -eq 1 ]
check "restore of a missing file says why" grep -q "no-such.img" "$tmp/err"
run x save no-such "$tmp/x.img"
check "save of an unknown domain exits 1" [ "$rc" -eq 1 ]
run x save web1 "$tmp/no/such/dir/x.img"
check "save to a directory that does not exist exits 1" [ "$rc" -eq 1 ]
check "web1 survives a failed save" exists web1
x sim-inject fail-next 2
run x save web1 "$tmp/fail.img"
check "a save the backend fails exits 1" [ "$rc" -eq 1 ]
check "a failed save leaves no image" [ ! -e "$tmp/fail.img" ]
check "a failed save leaves the domain" exists web1
run x restore "$tmp/web1-c.img"
check "restoring a domain whose name is in use exits 1" [ "$rc" -eq 1 ]

# A slow save: the request waits as long as it takes (256 MiB at
# 8 s/GiB: 1.5 s or more), with progress for a terminal only.
x destroy web1
cfg big
x create -q "$tmp/big.cfg"
check "big is listed" eventually 10 exists big
x sim-inject save-ms-per-gib 8000
x sim-inject restore-ms-per-gib 8000
run x save big "$tmp/big.img"
check "a slow save exits 0" [ "$rc" -eq 0 ]
check "a slow save prints nothing in a script" [ ! -s "$tmp/err" ]
if command -v script >/dev/null; then
    run script -qec "$XLCTL --socket $sock restore $tmp/big.img" /dev/null
    check "a slow restore on a terminal exits 0" [ "$rc" -eq 0 ]
    check "a slow restore on a terminal shows its progress" grep -q '%' "$tmp/out"
    check "the progress line is erased at the end" grep -q $'\r\033\\[K' "$tmp/out"
else
    x restore "$tmp/big.img"
fi
check "big is back" eventually 10 exists big
finish
