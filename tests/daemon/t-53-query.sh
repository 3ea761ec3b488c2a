#!/bin/bash
# t-53-query.sh - the queries against a real xld: domid, domname, uptime
# (xl's formats) and info (xl's `key : value` lines), on both sockets.
. "$(dirname "$0")/cli-lib.sh"
start_xld
cfg web1
x create -q "$tmp/web1.cfg"
check "web1 is listed" eventually 10 exists web1
id=$(col web1 2)

# domid and domname.
run x domid web1
check "domid exits 0" [ "$rc" -eq 0 ]
check "domid prints the domid alone" [ "$out" = "$id" ]
run x domid Domain-0
check "domid Domain-0" [ "$out" = 0 ]
run x domname "$id"
check "domname exits 0" [ "$rc" -eq 0 ]
check "domname prints the name alone" [ "$out" = web1 ]
run x domname 0
check "domname 0" [ "$out" = Domain-0 ]
run x domid no-such
check "domid of an unknown name exits 1" [ "$rc" -eq 1 ]
check "domid of an unknown name prints nothing" [ ! -s "$tmp/out" ]
check "domid of an unknown name says why" [ -s "$tmp/err" ]
run x domname 4000
check "domname of an unknown domid exits 1" [ "$rc" -eq 1 ]
run x domname web1
check "domname of a name is a usage error" [ "$rc" -eq 2 ]

# uptime, as xl prints it: "%-33s %4d %s", the time as [D day[s], ]H:MM:SS.
upre='( [0-9]|[0-9][0-9]):[0-5][0-9]:[0-5][0-9]'
run x uptime
check "uptime exits 0" [ "$rc" -eq 0 ]
check "uptime's header" [ "$(head -1 "$tmp/out")" = "$(printf '%-33s %4s %s' Name ID Uptime)" ]
line=$(grep '^web1 ' "$tmp/out")
prefix=$(printf '%-33s %4d ' web1 "$id")
check "uptime's row for web1" eval '[ "${line:0:${#prefix}}" = "$prefix" ] && [[ ${line:${#prefix}} =~ ^$upre$ ]]'
check "uptime lists Domain-0" grep -q "^$(printf '%-33s %4d ' Domain-0 0)" "$tmp/out"
run x uptime web1
check "uptime DOM: the header and one row" [ "$(wc -l <"$tmp/out")" -eq 2 ]
run x uptime web1 Domain-0
check "uptime DOM DOM: two rows" [ "$(wc -l <"$tmp/out")" -eq 3 ]
check "uptime DOM DOM: in the order asked" [ "$(awk 'NR > 1 { print $1 }' "$tmp/out" | tr '\n' ' ')" = "web1 Domain-0 " ]
run x uptime -s web1
check "uptime -s exits 0" [ "$rc" -eq 0 ]
check "uptime -s: xl's short form" \
    eval '[[ $out =~ ^\ [0-9][0-9]:[0-9][0-9]:[0-9][0-9]\ up\ ( [0-9]|[0-9][0-9]):[0-5][0-9],\ web1\ \($id\)$ ]]'
run x uptime no-such
check "uptime of an unknown domain exits 1" [ "$rc" -eq 1 ]
check "uptime of an unknown domain prints nothing" [ ! -s "$tmp/out" ]
sleep 2.2
up=$(x uptime web1 | awk 'NR == 2 { print $3 }')
check "uptime counts" eval '[ "${up##*:}" -ge 2 ]'

# info: xl's "key                    : value" lines.
run x info
check "info exits 0" [ "$rc" -eq 0 ]
check "every info line is 'key : value'" eval '! grep -Ev "^[a-z_]+ +: " "$tmp/out"'
check "info's keys are padded to xl's width" eval '! grep -Ev "^.{23}: " "$tmp/out"'
for k in host nr_cpus nr_nodes total_memory free_memory xen_version backend xld_version; do
    check "info has $k" grep -q "^$k  *: ." "$tmp/out"
done
check "info: the backend is sim" grep -q '^backend  *: sim$' "$tmp/out"
run x info nr_cpus
check "info KEY prints the value alone" eval '[[ $out =~ ^[0-9]+$ ]]'
run x info --json
check "info --json" grep -q '"nr_cpus":' "$tmp/out"

# Every query works on the read-only socket.
for q in "list" "info" "domid web1" "domname $id" "uptime" "uptime web1" "list -l" "config show web1"; do
    run "$XLCTL" --socket "$ro" $q
    check "'$q' on the read-only socket" [ "$rc" -eq 0 ]
done
finish
