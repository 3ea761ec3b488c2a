#!/bin/bash
# t-19-pci-cd.sh - PCI passthrough and CD-ROM media while a domain runs,
# against a real xld on the simulator: pci-attach/-detach/-list and
# pci-assignable-list/-add/-remove, cd-insert and cd-eject, with xl's
# arguments and output shapes; every bad input with a clear error; the
# record following, so that a reboot (on_reboot restart), a save/restore
# and a restarted xld keep an attached device and an inserted medium; the
# read-only socket for the lists only.
#
# The simulated host has 0000:00:02.0 and 0000:00:1f.2 (dom0's) and
# 0000:03:00.0, 0000:03:00.1 and 0000:04:00.0 (assignable).
. "$(dirname "$0")/cli-lib.sh"
xldc="python3 $(cd "$(dirname "$0")" && pwd)/xldc.py"
: >"$tmp/xl.conf"
start_xld
cfg web
cat >"$tmp/win.cfg" <<'EOF'
name = "win"
type = "hvm"
memory = 512
vcpus = 2
disk = [ "/dev/vg/win,raw,hda,w", ",raw,hdc:cdrom,r" ]
EOF
cat >"$tmp/pvg.cfg" <<'EOF'
name = "pvg"
type = "pv"
kernel = "/boot/vmlinuz"
memory = 256
disk = [ "/dev/vg/pvg,raw,xvda,w", "/iso/a.iso,raw,xvdc,r,devtype=cdrom" ]
EOF
x create -q "$tmp/web.cfg"
x create -q "$tmp/win.cfg"
x create -q "$tmp/pvg.cfg"
check "web, win and pvg are listed" eventually 10 \
    eval 'exists web && exists win && exists pvg'
web_id=$(col web 2)
win_id=$(col win 2)
echo iso1 >"$tmp/d1.iso"
echo iso2 >"$tmp/d2.iso"

# The PCI addresses of a domain's pci-list, and the medium of a drive as
# the simulated device model has it (the protocol's block-list).
pcis() { x pci-list "$1" | awk 'NR > 1 { print $1 "=" $2 }' | tr '\n' ' '; }
medium() {
    $xldc call "$sock" block-list "{\"domain\": \"$1\"}" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print([d.get("target", "") for d in r["return"]["devices"]
       if d["vdev"] == sys.argv[1]][0])' "$2"
}
assignable() { x pci-assignable-list | tr '\n' '|'; }

# ---- the host's assignable devices ----
run x pci-assignable-list
check "pci-assignable-list exits 0" [ "$rc" -eq 0 ]
check "pci-assignable-list: the three, as xl prints them (a space ends each)" \
    [ "$(tr '\n' '|' <"$tmp/out")" = \
      "0000:03:00.0 |0000:03:00.1 |0000:04:00.0 |" ]
run x pci-list web
check "pci-list of a domain without a device: nothing, exit 0" \
    eval '[ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ]'

# ---- pci-attach, pci-list ----
run x pci-attach web 03:00.0
check "pci-attach exits 0" [ "$rc" -eq 0 ]
check "pci-attach prints nothing" \
    eval '[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]'
run x pci-list web
check "pci-list has xl's header" [ "$(head -1 "$tmp/out")" = "Vdev Device" ]
check "pci-list: xl's columns (a PVH guest's device: no slot)" \
    [ "$(sed -n 2p "$tmp/out")" = "00.0 0000:03:00.0" ]
check "03:00.0 is no longer assignable" \
    [ "$(assignable)" = "0000:03:00.1 |0000:04:00.0 |" ]
run x pci-attach win 0000:03:00.1
check "pci-attach to an HVM guest exits 0" [ "$rc" -eq 0 ]
check "the HVM guest sees it at the first free slot, 04" \
    [ "$(pcis win)" = "04.0=0000:03:00.1 " ]

run x pci-attach win 03:00.0
check "a device another domain has: exit 1" [ "$rc" -eq 1 ]
check "... says which domain has it" \
    grep -q "0000:03:00.0 is attached to web already" "$tmp/err"
busy_class() {
    $xldc call "$sock" pci-attach \
        '{"domain": "win", "spec": "03:00.0"}' | grep -q '"Busy"'
}
check "... class Busy on the protocol" busy_class
run x pci-attach web 03:00.0
check "a device the domain has already: exit 1" [ "$rc" -eq 1 ]
check "... says so" grep -q "web has 0000:03:00.0 already" "$tmp/err"
run x pci-attach web 00:02.0
check "a device that is not assignable: exit 1" [ "$rc" -eq 1 ]
check "... says so, and where to look" \
    grep -q "0000:00:02.0 is not an assignable device.*pci-assignable-list" \
    "$tmp/err"
run x pci-attach web 0000:0a:00.0
check "a device the host does not have: not assignable either" \
    eval '[ "$rc" -eq 1 ] && grep -q "not an assignable device" "$tmp/err"'
run x pci-attach web 03:00
check "a BDF without its function: exit 1" [ "$rc" -eq 1 ]
check "... with the parser's message" \
    grep -q 'pci "03:00": the device number must be followed by' "$tmp/err"
run x pci-attach web 03:00.9
check "a function past 7: the parser's message" \
    grep -q "function must be 0 to 7" "$tmp/err"
run x pci-attach web zz
check "no BDF at all: exit 1" [ "$rc" -eq 1 ]
check "... says what a BDF is" grep -q "DDDD:" "$tmp/err"
run x pci-attach web 04:00.0,bogus=1
check "an unknown option: the parser's message" \
    grep -q 'unknown option "bogus"' "$tmp/err"
run x pci-attach web
check "pci-attach without a spec: usage, exit 2" [ "$rc" -eq 2 ]
run x pci-attach no-such 04:00.0
check "an unknown domain: exit 1" [ "$rc" -eq 1 ]
check "... says which" grep -q "no domain 'no-such'" "$tmp/err"
run x pci-attach 0 04:00.0
check "Domain-0 is not xld's" grep -q "domain 0" "$tmp/err"
run x pci-detach web 04:00.0
check "detach of a device the domain does not have: exit 1" [ "$rc" -eq 1 ]
check "... says so" grep -q "web has no pci device 0000:04:00.0" "$tmp/err"
run x pci-detach web 03:00
check "detach with a bad BDF: the parser's message" \
    grep -q "the device number must be followed by" "$tmp/err"
check "no failed attach changed the lists" \
    eval '[ "$(pcis web)" = "00.0=0000:03:00.0 " ] &&
          [ "$(pcis win)" = "04.0=0000:03:00.1 " ]'

run x pci-detach -f win 03:00.1
check "pci-detach -f exits 0" [ "$rc" -eq 0 ]
check "win has no device left: pci-list prints nothing" \
    eval '[ -z "$(x pci-list win)" ]'
check "03:00.1 is assignable again" \
    [ "$(assignable)" = "0000:03:00.1 |0000:04:00.0 |" ]
run x pci-attach win 03:00.1@06
check "an explicit virtual slot" \
    eval '[ "$rc" -eq 0 ] && [ "$(pcis win)" = "06.0=0000:03:00.1 " ]'

# ---- names, and the host's side ----
run x pci-assignable-add -n nic2 04:00.0
check "pci-assignable-add -n exits 0" [ "$rc" -eq 0 ]
run x pci-assignable-list -n
check "pci-assignable-list -n shows the name" \
    grep -qx "0000:04:00.0 nic2" "$tmp/out"
check "... and without -n it does not" \
    eval '[ "$(assignable)" = "0000:04:00.0 |" ]'
run x pci-attach web name=nic2
check "pci-attach name=NAME exits 0" [ "$rc" -eq 0 ]
check "web has both devices" \
    [ "$(pcis web)" = "00.0=0000:03:00.0 00.0=0000:04:00.0 " ]
run x pci-detach web 04:00.0
check "pci-detach by address of a device attached by name" [ "$rc" -eq 0 ]
run x pci-attach web name=nic2
run x pci-detach web name=nic2
check "pci-detach name=NAME" \
    eval '[ "$rc" -eq 0 ] && [ "$(pcis web)" = "00.0=0000:03:00.0 " ]'
run x pci-assignable-remove 03:00.0
check "pci-assignable-remove of a device a domain has: exit 1" \
    eval '[ "$rc" -eq 1 ] && grep -q "attached to a domain" "$tmp/err"'
run x pci-assignable-remove nic2
check "pci-assignable-remove by name exits 0" [ "$rc" -eq 0 ]
check "04:00.0 is no longer assignable" [ -z "$(assignable)" ]
run x pci-attach web 04:00.0
check "a device given back to dom0 cannot be attached" \
    eval '[ "$rc" -eq 1 ] && grep -q "not an assignable device" "$tmp/err"'
run x pci-assignable-add 0000:04:00.0
check "pci-assignable-add exits 0" \
    eval '[ "$rc" -eq 0 ] && [ "$(assignable)" = "0000:04:00.0 |" ]'
run x pci-assignable-add 0000:04:00.0
check "pci-assignable-add is idempotent" [ "$rc" -eq 0 ]
run x pci-assignable-add 09:00.0
check "pci-assignable-add of a device the host lacks: exit 1" \
    eval '[ "$rc" -eq 1 ] && grep -q "no PCI device 09:00.0" "$tmp/err"'
run x pci-assignable-add 04:00.0,seize=1
check "pci-assignable-add of more than an address: exit 1" \
    eval '[ "$rc" -eq 1 ] && grep -q "nothing may follow" "$tmp/err"'
run x pci-assignable-add -n 'a b' 04:00.0
check "a name with a blank: exit 1" [ "$rc" -eq 1 ]
run x pci-assignable-remove no-such-name
check "pci-assignable-remove of neither a name nor a BDF: exit 1" \
    eval '[ "$rc" -eq 1 ] && grep -q "no device is named" "$tmp/err"'
run x pci-assignable-remove -r 00:02.0
check "pci-assignable-remove -r of a device dom0 has: nothing to do" \
    [ "$rc" -eq 0 ]

# ---- CD-ROM media ----
run x cd-insert win hdc "$tmp/d1.iso"
check "cd-insert exits 0" [ "$rc" -eq 0 ]
check "cd-insert prints nothing" \
    eval '[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]'
check "the drive has the medium" [ "$(medium win hdc)" = "$tmp/d1.iso" ]
run x cd-eject win hdc
check "cd-eject exits 0" [ "$rc" -eq 0 ]
check "the drive is empty" [ -z "$(medium win hdc)" ]
run x cd-insert win hdc "$tmp/missing.iso"
check "a medium that is not there: exit 1" [ "$rc" -eq 1 ]
check "... says so, as xl checks it" \
    grep -q "cannot stat the medium $tmp/missing.iso" "$tmp/err"
run x cd-insert win hdc "raw:$tmp/d1.iso"
check "raw:PATH is a target of that name, as for xl (not a prefix)" \
    eval '[ "$rc" -eq 1 ] && grep -q "cannot stat the medium raw:" "$tmp/err"'
run x cd-insert win hda "$tmp/d1.iso"
check "a drive that is no CD-ROM: exit 1" [ "$rc" -eq 1 ]
check "... says so" grep -q "win has no CD-ROM drive hda" "$tmp/err"
run x cd-insert win hdd "$tmp/d1.iso"
check "a drive the domain does not have: exit 1" \
    eval '[ "$rc" -eq 1 ] && grep -q "no CD-ROM drive hdd" "$tmp/err"'
run x cd-insert win vda "$tmp/d1.iso"
check "a vdev Xen has no number for: exit 1" \
    eval '[ "$rc" -eq 1 ] && grep -q "vdev .vda. is no name of Xen" "$tmp/err"'
run x cd-insert pvg xvdc "$tmp/d1.iso"
check "cd-insert on a PV guest: exit 1" [ "$rc" -eq 1 ]
check "... an HVM guest's only, as xl says" \
    grep -q "pvg is not an HVM guest" "$tmp/err"
run x cd-eject web xvdc
check "cd-eject on a PVH guest: exit 1" \
    eval '[ "$rc" -eq 1 ] && grep -q "web is not an HVM guest" "$tmp/err"'
run x cd-insert win hdc
check "cd-insert without a target: usage, exit 2" [ "$rc" -eq 2 ]
run x cd-eject no-such hdc
check "cd-eject of an unknown domain: exit 1" \
    eval '[ "$rc" -eq 1 ] && grep -q "no domain .no-such." "$tmp/err"'
run x cd-insert win hdc "$tmp/d2.iso"
check "cd-insert of the second medium" \
    eval '[ "$rc" -eq 0 ] && [ "$(medium win hdc)" = "$tmp/d2.iso" ]'

# ---- the read-only socket ----
run "$XLCTL" --socket "$ro" pci-list web
check "pci-list on the read-only socket" eval '[ "$rc" -eq 0 ] &&
    [ "$(sed -n 2p "$tmp/out")" = "00.0 0000:03:00.0" ]'
run "$XLCTL" --socket "$ro" pci-assignable-list
check "pci-assignable-list on the read-only socket" \
    eval '[ "$rc" -eq 0 ] && grep -q 0000:04:00.0 "$tmp/out"'
run "$XLCTL" --socket "$ro" pci-attach web 04:00.0
check "pci-attach is refused there" \
    eval '[ "$rc" -eq 1 ] && grep -q "read-only" "$tmp/err"'
run "$XLCTL" --socket "$ro" pci-detach web 03:00.0
check "pci-detach is refused there" [ "$rc" -eq 1 ]
run "$XLCTL" --socket "$ro" pci-assignable-remove 04:00.0
check "pci-assignable-remove is refused there" [ "$rc" -eq 1 ]
run "$XLCTL" --socket "$ro" cd-eject win hdc
check "cd-eject is refused there" [ "$rc" -eq 1 ]
check "nothing changed" eval '[ "$(pcis web)" = "00.0=0000:03:00.0 " ] \
    && [ "$(medium win hdc)" = "$tmp/d2.iso" ] \
    && [ "$(assignable)" = "0000:04:00.0 |" ]'

# ---- the record follows: a reboot, a save and restore, xld restarted ----
x sim-inject reboot web
check "web restarts" eventually 10 \
    eval '[ -n "$(col web 2)" ] && [ "$(col web 2)" != "$web_id" ]'
check "after the reboot: web has 03:00.0 again" \
    [ "$(pcis web)" = "00.0=0000:03:00.0 " ]
x sim-inject reboot win
check "win restarts" eventually 10 \
    eval '[ -n "$(col win 2)" ] && [ "$(col win 2)" != "$win_id" ]'
check "after the reboot: win has 03:00.1 at its slot" \
    [ "$(pcis win)" = "06.0=0000:03:00.1 " ]
check "after the reboot: the medium is in the drive" \
    [ "$(medium win hdc)" = "$tmp/d2.iso" ]
check "the record's config has the device with its flags spelt out" \
    grep -q "0000:03:00.1@06,permissive=0" "$tmp"/state/domains/*.json
x save win "$tmp/win.img"
check "win is saved" gone win
check "its device is free while it is saved" \
    [ "$(assignable)" = "0000:03:00.1 |0000:04:00.0 |" ]
run x restore "$tmp/win.img"
check "win is restored" eventually 10 exists win
check "after the restore: 03:00.1 at its slot" \
    [ "$(pcis win)" = "06.0=0000:03:00.1 " ]
check "after the restore: the medium" [ "$(medium win hdc)" = "$tmp/d2.iso" ]
x cd-eject win hdc
x pci-detach web 03:00.0
x pci-assignable-add -n spare 04:00.0
x pci-assignable-remove 04:00.0
x pci-assignable-add -n spare 04:00.0
x pci-assignable-remove 03:00.0
stop_xld
start_xld
check "after xld restarts: win keeps its device" \
    [ "$(pcis win)" = "06.0=0000:03:00.1 " ]
check "after xld restarts: the host's devices as they were left" \
    [ "$(x pci-assignable-list -n | tr '\n' '|')" = "0000:04:00.0 spare|" ]
x pci-assignable-add 03:00.0
web_id=$(col web 2)
x sim-inject reboot web
check "web restarts again" eventually 10 \
    eval '[ -n "$(col web 2)" ] && [ "$(col web 2)" != "$web_id" ]'
check "a detached device does not come back" [ -z "$(x pci-list web)" ]
win_id=$(col win 2)
x sim-inject reboot win
check "win restarts again" eventually 10 \
    eval '[ -n "$(col win 2)" ] && [ "$(col win 2)" != "$win_id" ]'
check "an ejected medium does not come back" [ -z "$(medium win hdc)" ]
check "... and the device stays" [ "$(pcis win)" = "06.0=0000:03:00.1 " ]

# ---- devices of the config: a whole slot, and the pci_* defaults ----
x pci-detach win 03:00.1
cfg multi 'pci_permissive = 1' 'pci = [ "0000:03:00.*" ]'
x create -q "$tmp/multi.cfg"
check "multi is listed" eventually 10 exists multi
check "multi has both functions of its config's slot" \
    [ "$(pcis multi)" = "00.0=0000:03:00.0 00.1=0000:03:00.1 " ]
# The permissive flag of each device, as bdf=true|false.
permissive() {
    $xldc call "$sock" pci-list "{\"domain\": \"$1\"}" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(" ".join("%s=%s" % (d["bdf"], str(d["permissive"]).lower())
               for d in r["return"]["devices"]))'
}
x pci-attach multi 04:00.0
check "the config's pci_permissive applies to its devices, not to one \
attached" [ "$(permissive multi)" = \
    "0000:03:00.0=true 0000:03:00.1=true 0000:04:00.0=false" ]
run x pci-detach multi 03:00.1
check "one function of the config's whole slot detached" eval \
    '[ "$rc" -eq 0 ] &&
     [ "$(pcis multi)" = "00.0=0000:03:00.0 00.0=0000:04:00.0 " ]'
multi_id=$(col multi 2)
x sim-inject reboot multi
check "multi restarts" eventually 10 \
    eval '[ -n "$(col multi 2)" ] && [ "$(col multi 2)" != "$multi_id" ]'
check "after the reboot: the function left, and the attached device" \
    [ "$(pcis multi)" = "00.0=0000:03:00.0 00.0=0000:04:00.0 " ]
check "after the reboot: each with the flags it had" [ "$(permissive multi)" \
    = "0000:03:00.0=true 0000:04:00.0=false" ]
x destroy multi
check "multi is gone" eventually 10 gone multi
check "its devices are free again" [ "$(assignable)" = \
    "0000:03:00.0 |0000:03:00.1 |0000:04:00.0 |" ]
x pci-attach win 03:00.1@06

# ---- a domain that is not running ----
cfg down 'on_poweroff = "preserve"'
x create -q "$tmp/down.cfg"
check "down is listed" eventually 10 exists down
x sim-inject poweroff down
check "down has shut down" eventually 10 eval 'col down 5 | grep -q s'
run x pci-attach down 04:00.0
check "pci-attach to a shut-down domain: exit 1" [ "$rc" -eq 1 ]
check "... says why" grep -q "down has shut down" "$tmp/err"
run x pci-detach down 04:00.0
check "pci-detach from a shut-down domain: exit 1" [ "$rc" -eq 1 ]
check "the device stayed free" \
    [ "$(assignable)" = "0000:03:00.0 |0000:04:00.0 |" ]

finish
