#!/bin/bash
# t-54-ops.sh - the quick operations against a real xld: pause, unpause,
# mem-set and mem-max (xl's size syntax), vcpu-set, rename and destroy,
# with domains named by name, domid or UUID.
. "$(dirname "$0")/cli-lib.sh"
start_xld
cfg web1
x create -q "$tmp/web1.cfg"
check "web1 is listed" eventually 10 exists web1
id=$(col web1 2)

run x pause web1
check "pause exits 0" [ "$rc" -eq 0 ]
check "pause prints nothing" eval '[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]'
check "paused" eventually 5 state_is web1 --p---
run x unpause web1
check "unpause exits 0" [ "$rc" -eq 0 ]
check "unpaused" eventually 5 eval '[[ $(col web1 5) =~ ^[r-][b-]----$ ]]'
run x pause "$id"
check "pause DOMID" eventually 5 state_is web1 --p---
uuid=$(x list -v | awk '$1 == "web1" { print $7 }')
run x unpause "$uuid"
check "unpause UUID exits 0" [ "$rc" -eq 0 ]
check "unpause UUID" eventually 5 eval '[[ $(col web1 5) =~ ^[r-][b-]----$ ]]'
run x pause no-such
check "pause of an unknown domain exits 1" [ "$rc" -eq 1 ]
check "pause of an unknown domain says why" grep -q "no-such" "$tmp/err"

# Memory: a number of MiB, or b/k/m/g/t.
run x mem-set web1 128
check "mem-set MiB exits 0" [ "$rc" -eq 0 ]
check "mem-set 128: 128 MiB" eventually 5 eval '[ "$(col web1 3)" = 128 ]'
x mem-set web1 200m
check "mem-set 200m" eventually 5 eval '[ "$(col web1 3)" = 200 ]'
x mem-set web1 196608k
check "mem-set 196608k" eventually 5 eval '[ "$(col web1 3)" = 192 ]'
x mem-set web1 134217728b
check "mem-set 134217728b" eventually 5 eval '[ "$(col web1 3)" = 128 ]'
run x mem-max web1 1g
check "mem-max 1g exits 0" [ "$rc" -eq 0 ]
check "mem-max 1g: maxmemkb" eval 'x list --json web1 | grep -q "\"maxmemkb\": 1048576"'
x mem-set web1 1G
check "mem-set 1G within the new maximum" eventually 5 eval '[ "$(col web1 3)" = 1024 ]'
run x mem-set web1 12q
check "a bad size is a usage error" [ "$rc" -eq 2 ]
check "a bad size says so" grep -q "invalid memory size: 12q" "$tmp/err"
run x mem-set no-such 128
check "mem-set of an unknown domain exits 1" [ "$rc" -eq 1 ]

# vCPUs.
run x vcpu-set web1 3
check "vcpu-set exits 0" [ "$rc" -eq 0 ]
check "vcpu-set 3" eventually 5 eval '[ "$(col web1 4)" = 3 ]'
run x vcpu-set web1 9
check "vcpu-set over maxvcpus exits 1" [ "$rc" -eq 1 ]
check "vcpu-set over maxvcpus says why" [ -s "$tmp/err" ]

# rename.
run x rename web1 web9
check "rename exits 0" [ "$rc" -eq 0 ]
check "renamed" eventually 5 exists web9
check "the old name is gone" gone web1
check "the domid stays" [ "$(col web9 2)" = "$id" ]
run x rename web9 Domain-0
check "rename to a name in use exits 1" [ "$rc" -eq 1 ]
run x rename no-such web8
check "rename of an unknown domain exits 1" [ "$rc" -eq 1 ]

# destroy.
run x destroy web9
check "destroy exits 0" [ "$rc" -eq 0 ]
check "destroy prints nothing" [ ! -s "$tmp/out" ]
check "destroyed" gone web9
run x destroy web9
check "destroy of a domain that is gone exits 1" [ "$rc" -eq 1 ]

# The changes are refused on the read-only socket, with the reason.
cfg web2
x create -q "$tmp/web2.cfg"
check "web2 is listed" eventually 10 exists web2
for op in "pause web2" "unpause web2" "destroy web2" "mem-set web2 128" \
    "mem-max web2 1g" "vcpu-set web2 1" "rename web2 web3" "shutdown web2" \
    "reboot web2" "save web2 $tmp/x.img" "sim-inject crash web2" \
    "console web2" "adopt web2"; do
    run "$XLCTL" --socket "$ro" $op
    check "'$op' on the read-only socket exits 1" [ "$rc" -eq 1 ]
    check "'$op' on the read-only socket says why" grep -q "read-only" "$tmp/err"
done
check "web2 is untouched" exists web2

# console: the options are xl's (attaching to the simulator's consoles
# is t-20-console.sh's).
run x console -t serial -n 0 web2 </dev/null
check "console -t serial -n 0 is understood" \
    grep -q "web2 has no serial console 0" "$tmp/err"
run x console no-such </dev/null
check "console of an unknown domain exits 1" [ "$rc" -eq 1 ]
finish
