#!/bin/bash
# t-51-list.sh - xlctl list against a real xld (sim backend): xl's exact
# header and columns, one domain or all, --json, --long and --verbose.
. "$(dirname "$0")/cli-lib.sh"
start_xld
header=$(printf 'Name                                        ID   Mem VCPUs\tState\tTime(s)')

run x list
check "list exits 0" [ "$rc" -eq 0 ]
check "list prints xl's header" [ "$(head -1 "$tmp/out")" = "$header" ]
check "list shows Domain-0 as domain 0" [ "$(col Domain-0 2)" = 0 ]

cfg web1
run x create -q "$tmp/web1.cfg"
check "create web1" [ "$rc" -eq 0 ]
check "web1 is listed" eventually 10 exists web1

# Every column exactly as xl prints it: "%-40s %5d %5lu %5d     %s  %8.1f".
line=$(row web1)
read -r name id mem vcpus state time <<<"$line"
expected=$(printf '%-40s %5d %5d %5d     %s  %8.1f' "$name" "$id" "$mem" "$vcpus" "$state" "$time")
check "web1's row has xl's format" [ "$line" = "$expected" ]
check "web1's memory is 256 MiB" [ "$mem" = 256 ]
check "web1 has 2 vCPUs" [ "$vcpus" = 2 ]
check "web1's state letters" eval '[[ $state =~ ^[r-][b-]----$ ]]'
check "web1's domid is a guest's" [ "$id" -gt 0 ]
check "Time(s) has one decimal" eval '[[ $time =~ ^[0-9]+\.[0-9]$ ]]'
dom0=$(row Domain-0)
read -r name0 id0 mem0 vcpus0 state0 time0 <<<"$dom0"
check "Domain-0's row has xl's format" \
    [ "$dom0" = "$(printf '%-40s %5d %5d %5d     %s  %8.1f' "$name0" "$id0" "$mem0" "$vcpus0" "$state0" "$time0")" ]

# One domain, by name or by domid.
run x list web1
check "list web1 exits 0" [ "$rc" -eq 0 ]
check "list web1: the header and one row" [ "$(wc -l <"$tmp/out")" -eq 2 ]
check "list web1: the header" [ "$(head -1 "$tmp/out")" = "$header" ]
check "list web1: its row" [ "$(sed -n 2p "$tmp/out" | awk '{print $1}')" = web1 ]
run x list "$id"
check "list DOMID" [ "$(sed -n 2p "$tmp/out" | awk '{print $1}')" = web1 ]
run x list no-such-domain
check "list of an unknown domain exits 1" [ "$rc" -eq 1 ]
check "list of an unknown domain prints nothing on stdout" [ ! -s "$tmp/out" ]
check "list of an unknown domain says why" grep -q "no-such-domain" "$tmp/err"

# Paused: the p letter.
x pause web1
check "a paused domain shows --p---" eventually 5 state_is web1 --p---
x unpause web1

# --json: what xld knows, as JSON.
run x list --json
check "list --json exits 0" [ "$rc" -eq 0 ]
for k in name domid uuid state memkb maxmemkb vcpus maxvcpus cpu_time uptime managed; do
    check "list --json has '$k'" grep -q "\"$k\":" "$tmp/out"
done
check "list --json names web1" grep -q '"name": "web1"' "$tmp/out"
if python3 -c 'import json' 2>/dev/null; then
    check "list --json is valid JSON" python3 -c '
import json, sys
doms = json.load(open(sys.argv[1]))
assert isinstance(doms, list)
w = [d for d in doms if d["name"] == "web1"][0]
assert w["memkb"] == 262144 and w["vcpus"] == 2 and w["managed"] is True
' "$tmp/out"
fi
run x list --json web1
check "list --json web1: one domain" [ "$(grep -c '"name":' "$tmp/out")" -eq 1 ]

# --long: xl's list -l, the libxl config of each domain xld created.
run x list -l
check "list -l exits 0" [ "$rc" -eq 0 ]
check "list -l has the domid" grep -q "\"domid\": $id" "$tmp/out"
check "list -l has libxl's config" grep -q '"c_info"' "$tmp/out"
check "list -l has web1's name" grep -q '"name": "web1"' "$tmp/out"
if python3 -c 'import json' 2>/dev/null; then
    check "list -l is valid JSON" python3 -c '
import json, sys
doms = json.load(open(sys.argv[1]))
assert [d["config"]["c_info"]["name"] for d in doms] == ["web1"]
' "$tmp/out"
fi
run x list --long web1
check "list --long web1" grep -q '"c_info"' "$tmp/out"

# --verbose: the UUID and the reason code.
run x list -v
check "list -v exits 0" [ "$rc" -eq 0 ]
check "list -v's header" grep -q "^${header}   UUID                            Reason-Code	Security Label\$" "$tmp/out"
check "list -v shows web1's UUID" \
    eval "grep -Eq '^web1 .* [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} +- +-\$' \"\$tmp/out\""

# The bash completion offers the domains' names, from xlctl list --json.
"$XLCTL" completion bash >"$tmp/completion.bash"
complete_words() {
    bash -c '
        source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _xlctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$tmp/completion.bash" "$@" | LC_ALL=C sort
}
check "completion of a domain name" \
    [ "$(complete_words "$XLCTL" --socket "$sock" pause we)" = web1 ]
check "completion of save's domain" \
    [ "$(complete_words "$XLCTL" --socket "$sock" save -c D)" = Domain-0 ]

# Several domains, listed in domid order.
cfg web2
x create -q "$tmp/web2.cfg"
check "web2 is listed" eventually 10 exists web2
check "list: Domain-0, web1, web2" \
    [ "$(x list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" = "Domain-0 web1 web2 " ]
finish
