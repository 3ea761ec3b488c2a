#!/bin/bash
# t-18-devices.sh - devices while a domain runs, against a real xld on the
# simulator: block-attach/-detach/-list and network-attach/-detach/-list
# with xl's arguments and output shapes; every bad input with a clear
# error; the record following, so that a reboot (on_reboot restart) and a
# save/restore keep an attached device and drop a detached one; the
# read-only socket for the lists.
. "$(dirname "$0")/cli-lib.sh"
printf 'vif.default.bridge = "xenbr7"\n' >"$tmp/xl.conf"
start_xld
cfg web 'disk = [ "/dev/vg/web,raw,xvda,rw" ]' 'vif = [ "bridge=xenbr0" ]'
x create -q "$tmp/web.cfg"
check "web is listed" eventually 10 exists web
id=$(col web 2)

bl_header=$(printf '%-5s %-3s %-6s %-5s %-6s %-8s %-30s' Vdev BE handle \
    state evt-ch ring-ref BE-path)
nl_header=$(printf '%-3s %-2s %-17s %-6s %-5s %-6s %5s/%-5s %-30s' Idx BE \
    'Mac Addr.' handle state evt-ch tx- rx-ring-ref BE-path)
# The vdev numbers of the block-list, and the devids of the network-list.
vdevs() { x block-list "$1" | awk 'NR > 1 { print $1 }' | tr '\n' ' '; }
devids() { x network-list "$1" | awk 'NR > 1 { print $1 }' | tr '\n' ' '; }
mac_of() { x network-list "$1" | awk -v d="$2" 'NR > 1 && $1 == d { print $3 }'; }

# ---- block devices ----
run x block-list web
check "block-list exits 0" [ "$rc" -eq 0 ]
check "block-list has xl's header" [ "$(head -1 "$tmp/out")" = "$bl_header" ]
check "block-list: the config's disk, in xl's columns" \
    [ "$(sed -n 2p "$tmp/out")" = "$(printf '%-5d %-3d %-6d %-5d %-6d %-8d %-30s' \
        51712 0 "$id" 4 8 8 "/local/domain/0/backend/vbd/$id/51712")" ]
run x block-attach web phy:/dev/vg/data,xvdb,w
check "block-attach exits 0" [ "$rc" -eq 0 ]
check "block-attach prints nothing" eval '[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]'
check "xvdb (51728) is listed" [ "$(vdevs web)" = "51712 51728 " ]
run x block-attach web format=raw, vdev=xvdc, access=ro, target=/img/c.raw
check "a spec in several arguments, as xl takes it" [ "$rc" -eq 0 ]
check "xvdc (51744) is listed" [ "$(vdevs web)" = "51712 51728 51744 " ]

run x block-attach web phy:/dev/vg/other,xvdb,w
check "a vdev in use: exit 1" [ "$rc" -eq 1 ]
check "... says so" grep -q "web has a disk xvdb already" "$tmp/err"
run x block-attach web /img/a.raw
check "a spec without vdev: exit 1" [ "$rc" -eq 1 ]
check "... with the parser's message" \
    grep -q 'disk spec "/img/a.raw": no vdev' "$tmp/err"
run x block-attach web format=raw,format=qcow2,vdev=xvdd,target=/x
check "a format given twice: the parser's message" \
    grep -q 'format "qcow2" conflicts' "$tmp/err"
run x block-attach web phy:/x,vda
check "a vdev Xen has no number for: exit 1" [ "$rc" -eq 1 ]
check "... says so" grep -q "vdev 'vda' is no name of Xen's" "$tmp/err"
run x block-attach web
check "block-attach without a spec: usage, exit 2" [ "$rc" -eq 2 ]
run x block-attach no-such phy:/x,xvdd
check "an unknown domain: exit 1" [ "$rc" -eq 1 ]
check "... says which" grep -q "no domain 'no-such'" "$tmp/err"
run x block-detach web xvdz
check "an unknown vdev: exit 1" [ "$rc" -eq 1 ]
check "... says so" grep -q "web has no disk xvdz (not connected)" "$tmp/err"
run x block-detach web
check "block-detach without a vdev: usage, exit 2" [ "$rc" -eq 2 ]
run x block-detach 0 xvda
check "Domain-0's disks are not xld's" grep -q "domain 0" "$tmp/err"
check "no failed attach changed the list" \
    [ "$(vdevs web)" = "51712 51728 51744 " ]

run x block-detach web xvdc
check "block-detach exits 0" [ "$rc" -eq 0 ]
run x block-detach -f web xvda
check "block-detach -f exits 0" [ "$rc" -eq 0 ]
check "xvdb is left" [ "$(vdevs web)" = "51728 " ]

# ---- network devices ----
run x network-list web
check "network-list has xl's header" [ "$(head -1 "$tmp/out")" = "$nl_header" ]
mac0=$(mac_of web 0)
check "network-list: the config's vif, in xl's columns" \
    [ "$(sed -n 2p "$tmp/out")" = "$(printf '%-3d %-2d %s%6d %5d %6d %5d/%-11d %-30s' \
        0 0 "$mac0" 0 4 9 9 10 "/local/domain/0/backend/vif/$id/0")" ]
check "a MAC libxl would make (00:16:3e:...)" \
    eval '[[ "$mac0" =~ ^00:16:3e:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$ ]]'
run x network-attach web
check "network-attach without a spec exits 0" [ "$rc" -eq 0 ]
run x network-attach web mac=00:16:3e:00:00:01 bridge=br1
check "network-attach with a spec in two arguments exits 0" [ "$rc" -eq 0 ]
check "devids 0 1 2" [ "$(devids web)" = "0 1 2 " ]
check "the MAC given" [ "$(mac_of web 2)" = 00:16:3e:00:00:01 ]
run x network-attach web mac=00:16:3e:00:00:01
check "a MAC in use: exit 1" [ "$rc" -eq 1 ]
check "... says so" grep -q "vif of MAC 00:16:3e:00:00:01 already" "$tmp/err"
run x network-attach web devid=2
check "a devid in use: exit 1" [ "$rc" -eq 1 ]
check "... says so" grep -q "vif of devid 2 already" "$tmp/err"
run x network-attach web rate=10Mb/s@xyz
check "a bad rate: exit 1, the parser's message" \
    eval '[ "$rc" -eq 1 ] && grep -q "rate" "$tmp/err"'
run x network-detach web 7
check "an unknown devid: exit 1" [ "$rc" -eq 1 ]
check "... says so" grep -q "web has no vif 7 (not connected)" "$tmp/err"
run x network-detach web 00:16:3e:99:99:99
check "an unknown MAC: exit 1" [ "$rc" -eq 1 ]
run x network-detach web zz
check "neither a devid nor a MAC: exit 1" [ "$rc" -eq 1 ]
check "... says so" grep -q "'zz' is neither a devid nor a MAC" "$tmp/err"
run x network-detach web 00:16:3e:00:00:01
check "network-detach by MAC exits 0" [ "$rc" -eq 0 ]
run x network-detach web 0
check "network-detach by devid exits 0" [ "$rc" -eq 0 ]
check "vif 1 is left" [ "$(devids web)" = "1 " ]
mac1=$(mac_of web 1)

# ---- the read-only socket ----
run "$XLCTL" --socket "$ro" block-list web
check "block-list on the read-only socket" \
    eval '[ "$rc" -eq 0 ] && [ "$(sed -n 2p "$tmp/out" | cut -d" " -f1)" = 51728 ]'
run "$XLCTL" --socket "$ro" network-list web
check "network-list on the read-only socket" [ "$rc" -eq 0 ]
run "$XLCTL" --socket "$ro" block-attach web phy:/y,xvdk
check "block-attach is refused there" \
    eval '[ "$rc" -eq 1 ] && grep -q "read-only" "$tmp/err"'
run "$XLCTL" --socket "$ro" network-detach web 1
check "network-detach is refused there" [ "$rc" -eq 1 ]

# ---- the record follows: a reboot, a save and restore ----
x sim-inject reboot web
check "web restarts" eventually 10 eval '[ -n "$(col web 2)" ] && [ "$(col web 2)" != "$id" ]'
check "after the reboot: xvdb, not xvda nor xvdc" [ "$(vdevs web)" = "51728 " ]
check "after the reboot: vif 1 alone" [ "$(devids web)" = "1 " ]
check "after the reboot: vif 1 keeps its MAC" [ "$(mac_of web 1)" = "$mac1" ]
run x network-attach web
check "attach after the reboot" [ "$(devids web)" = "1 2 " ]
check "the attached vif has xl.conf's bridge (in the record's config)" \
    grep -q xenbr7 "$tmp"/state/domains/*.json
x save web "$tmp/web.img"
check "web is saved" gone web
run x restore "$tmp/web.img"
check "web is restored" eventually 10 exists web
check "after the restore: xvdb" [ "$(vdevs web)" = "51728 " ]
check "after the restore: vifs 1 and 2" [ "$(devids web)" = "1 2 " ]
check "after the restore: vif 1 keeps its MAC" [ "$(mac_of web 1)" = "$mac1" ]
# xld restarted: the record is read again.
stop_xld
start_xld
check "after xld restarts: xvdb" [ "$(vdevs web)" = "51728 " ]
x sim-inject reboot web
sleep 1
check "a reboot after xld restarted: still xvdb" eventually 10 \
    eval '[ "$(vdevs web)" = "51728 " ]'

# ---- a domain that is not running ----
cfg down 'on_poweroff = "preserve"'
x create -q "$tmp/down.cfg"
check "down is listed" eventually 10 exists down
x sim-inject poweroff down
check "down has shut down" eventually 10 eval 'col down 5 | grep -q s'
run x block-attach down phy:/x,xvdb
check "attach to a shut-down domain: exit 1" [ "$rc" -eq 1 ]
check "... says why" grep -q "down has shut down" "$tmp/err"
run x network-detach down 0
check "detach from a shut-down domain: exit 1" [ "$rc" -eq 1 ]

finish
