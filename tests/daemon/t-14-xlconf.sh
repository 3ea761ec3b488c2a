#!/bin/bash
# xld converts every config with the host's xl.conf (--xl-conf), as xl
# converts every config with the /etc/xen/xl.conf it read: its settings
# show in the config a domain runs with; a file with errors makes xld
# refuse to convert any config, as xl would run no command; SIGHUP reads
# the file again, and a broken file does not replace good settings.
. "$(dirname "$0")/cli-lib.sh"
conf=$tmp/xl.conf
reads() { grep -c "xl.conf\|has errors" "$tmp/xld.log"; }
more_reads() { [ "$(reads)" -gt "$1" ]; }
hup() {   # hup: SIGHUP, and wait until xld has read the file again
    local n
    n=$(reads)
    kill -HUP "$xld_pid"
    eventually 5 more_reads "$n"
}
long() { x list -l "$1"; }

# Settings that change what a config means: vif.default.bridge goes into
# every vif before its own spec; claim_mode into every domain.
printf 'vif.default.bridge = "xenbr7"\nclaim_mode = 0\n' >"$conf"
start_xld
cfg a 'vif = [ "mac=00:16:3e:00:00:01" ]'
cfg b 'vif = [ "mac=00:16:3e:00:00:02,bridge=br1" ]'
run x create "$tmp/a.cfg"
check "create with xl.conf" test "$rc" -eq 0
run long a
check "vif.default.bridge applied" grep -q '"bridge": "xenbr7"' "$tmp/out"
check "claim_mode=0 applied" grep -q '"claim_mode": "False"' "$tmp/out"
run x create "$tmp/b.cfg"
run long b
check "a vif's own bridge wins" grep -q '"bridge": "br1"' "$tmp/out"

# A broken file read by SIGHUP: the good settings stay.
printf 'max_grant_frames = "lots"\n' >"$conf"
check "SIGHUP read the broken file" hup
check "the error is logged with its place" \
    grep -q "xl.conf:1:20: max_grant_frames" "$tmp/xld.log"
check "the good settings are kept" \
    grep -q "keeps the settings it read before" "$tmp/xld.log"
cfg c 'vif = [ "mac=00:16:3e:00:00:03" ]'
run x create "$tmp/c.cfg"
check "create still works with the kept settings" test "$rc" -eq 0
run long c
check "kept settings applied" grep -q '"bridge": "xenbr7"' "$tmp/out"
x destroy c >/dev/null 2>&1

# Fixed and read again: the new settings (here: none, xl's defaults).
: >"$conf"
check "SIGHUP read the fixed file" hup
run x create "$tmp/c.cfg"
run long c
check "the new settings replace the old" \
    sh -c "! grep -q xenbr7 '$tmp/out'"
check "claim_mode back to its default" \
    sh -c "! grep -q '\"claim_mode\": \"False\"' '$tmp/out'"
stop_xld

# xld started with a broken xl.conf: it runs (domains keep their
# events), and refuses every config it would convert, saying why.
printf 'vif.default.bridge = "xenbr7"\nmax_maptrack_frames = "-1"\n' >"$conf"
start_xld
check "the error is logged at start" \
    grep -q "xl.conf:2:.*max_maptrack_frames" "$tmp/xld.log"
check "the domains are found again, managed" \
    sh -c "! grep -q 'will not handle' '$tmp/xld.log'"
# Their guest events are still handled: a reboot restarts a from the
# config it runs with.
id=$(col a 2)
run x sim-inject reboot a
restarted() { local n; n=$(col a 2); [ -n "$n" ] && [ "$n" != "$id" ]; }
check "a restarted with a broken xl.conf" eventually 10 restarted
cfg d
run x create "$tmp/d.cfg"
check "create refused with a broken xl.conf" test "$rc" -ne 0
check "the refusal names xl.conf" grep -q "xl.conf has errors" "$tmp/err"
check "no domain d" gone d
check "a and b still listed" exists a
printf 'vif.default.bridge = "xenbr7"\n' >"$conf"
check "SIGHUP read the fixed file" hup
run x create "$tmp/d.cfg"
check "create works once fixed" test "$rc" -eq 0
stop_xld
finish
