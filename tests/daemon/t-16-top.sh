#!/bin/bash
# xlctl top (xentop's table, --batch, --json) and xlctl metrics
# (Prometheus text) on the simulator: the columns and their order, the
# CPU % from two samples, the I/O counters of the guests' vifs and
# disks, the read-only socket, and bad options.
. "$(dirname "$0")/cli-lib.sh"
start_xld
cfg web 'vif = [ "mac=00:16:3e:00:00:01", "mac=00:16:3e:00:00:02" ]' \
    'disk = [ "/dev/vg/web,raw,xvda,rw" ]'
cfg idle
x create -q "$tmp/web.cfg"
x create -q -p "$tmp/idle.cfg"
check "two guests" eventually 10 exists idle

# Batch: xentop -b's shape, one table per iteration, sorted by name.
run x top -b -d 1 -i 2
check "top -b exits 0" [ "$rc" -eq 0 ]
check "two tables" [ "$(grep -c '^      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS NETS NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID$' "$tmp/out")" -eq 2 ]
check "rows in name order" [ "$(awk '$1 != "NAME" { print $1 }' "$tmp/out" | head -3 | tr '\n' ' ')" = "Domain-0 idle web " ]
web2=$(awk '$1 == "web"' "$tmp/out" | tail -1)
# The simulator's guests keep each online vcpu busy a tenth of the time:
# web's 2 vcpus make 20 % of one cpu.
check "web's CPU % from two samples ($web2)" \
    awk -v l="$web2" 'BEGIN { split(l, f); exit !(f[4] >= 15 && f[4] <= 25) }'
check "web is running" awk -v l="$web2" 'BEGIN { split(l, f); exit !(f[2] == "-----r") }'
check "web has 2 vifs and 1 disk" \
    awk -v l="$web2" 'BEGIN { split(l, f); exit !(f[10] == 2 && f[13] == 1) }'
idle2=$(awk '$1 == "idle"' "$tmp/out" | tail -1)
check "idle is paused, and uses no cpu ($idle2)" \
    awk -v l="$idle2" 'BEGIN { split(l, f); exit !(f[2] == "----p-" && f[4] == 0.0) }'
check "MEM(k) is the guest's 256 MiB" \
    awk -v l="$web2" 'BEGIN { split(l, f); exit !(f[5] == 262144) }'

# JSON, one line per sample, on the read-only socket too.
run "$XLCTL" --socket "$ro" top --json -i 1
check "top --json on the read-only socket exits 0" [ "$rc" -eq 0 ]
check "one line of JSON with the counters" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1
d = json.loads(lines[0])
web = [x for x in d["domains"] if x["name"] == "web"][0]
assert web["nets"] == 2 and web["vbds"] == 1, web
assert web["net_tx_bytes"] > 0 and web["vbd_rd"] > 0, web
assert "cpu_pct" in web and web["flags"] == "-----r"
' "$tmp/out"

# The table's NETTX(k) and NETRX(k) are the vif's counters in dom0, as
# xentop's are (seen on Xen 4.17, e2e step 10): NETTX is what the guest
# received, NETRX what it sent; the JSON keeps the guest's view.
# The counters grow while the guest runs: the table's sample is taken
# between two JSON ones, and must lie between them.
x top --json -i 1 >"$tmp/js1"
x top -b -i 1 >"$tmp/tab"
x top --json -i 1 >"$tmp/js2"
check "NETTX(k) is what web received, NETRX(k) what it sent" python3 -c '
import json, sys
row = [l.split() for l in open(sys.argv[1]) if l.split()[:1] == ["web"]][0]
def web(f):
    d = json.loads(open(f).read().splitlines()[0])
    return [x for x in d["domains"] if x["name"] == "web"][0]
a, b = web(sys.argv[2]), web(sys.argv[3])
# The two directions must be told apart for the check to mean anything.
assert b["net_rx_bytes"] // 1024 < a["net_tx_bytes"] // 1024 \
    or a["net_rx_bytes"] // 1024 > b["net_tx_bytes"] // 1024, (a, b)
assert a["net_rx_bytes"] // 1024 <= int(row[10]) <= b["net_rx_bytes"] // 1024, (row, a, b)
assert a["net_tx_bytes"] // 1024 <= int(row[11]) <= b["net_tx_bytes"] // 1024, (row, a, b)
' "$tmp/tab" "$tmp/js1" "$tmp/js2"

# Prometheus text.
run x metrics
check "metrics exits 0" [ "$rc" -eq 0 ]
check "every metric has its HELP and TYPE" \
    [ "$(grep -c '^# HELP ' "$tmp/out")" -eq "$(grep -c '^# TYPE ' "$tmp/out")" ]
check "web's cpu seconds" grep -Eq '^xld_domain_cpu_seconds_total\{domain="web",domid="[0-9]+",uuid="[0-9a-f-]{36}"\} [0-9.e+]+$' "$tmp/out"
check "web's transmitted bytes are counted" grep -Eq '^xld_domain_network_transmit_bytes_total\{domain="web",[^}]*\} [1-9]' "$tmp/out"
check "idle's state is a label" grep -q '^xld_domain_info{domain="idle",.*state="paused"} 1$' "$tmp/out"
check "the host's memory" grep -Eq '^xld_host_memory_total_bytes [1-9][0-9]+$' "$tmp/out"
check "every sample line is NAME{...} VALUE or NAME VALUE" \
    sh -c "! grep -v '^#' '$tmp/out' | grep -Evq '^xld_[a-z_]+(\{[^}]*\})? [0-9.e+-]+$'"
run "$XLCTL" --socket "$ro" metrics
check "metrics on the read-only socket" [ "$rc" -eq 0 ]
# Counters only grow.
a=$(awk '/^xld_domain_network_receive_bytes_total\{domain="web"/ { print $2 }' "$tmp/out")
sleep 1
b=$(x metrics | awk '/^xld_domain_network_receive_bytes_total\{domain="web"/ { print $2 }')
check "counters grow ($a -> $b)" awk -v a="$a" -v b="$b" 'BEGIN { exit !(b > a) }'

# Bad options.
run x top -d 0 -b
check "top -d 0 is a usage error" [ "$rc" -eq 2 ]
run x top -i x
check "top -i x is a usage error" [ "$rc" -eq 2 ]
run x metrics extra
check "metrics takes no operand" [ "$rc" -eq 2 ]
stop_xld
finish
