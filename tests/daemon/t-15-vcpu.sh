#!/bin/bash
# t-15-vcpu.sh - CPU placement against a real xld on the simulator:
# vcpu-list, vcpu-pin with xl's cpu-list syntax, cpupool-list and
# sched-credit2, in xl's output shapes; bad input with clear errors; the
# read-only socket; what survives a restart of xld (everything: the
# simulated hypervisor keeps it) and a reboot of the guest (the weight
# and cap, not the pinning, as with xl).
. "$(dirname "$0")/cli-lib.sh"
start_xld
cfg web1 'cpus = "0-3"'
x create -q "$tmp/web1.cfg"
check "web1 is listed" eventually 10 exists web1
id=$(col web1 2)

# xl's header and line shapes (xl_vcpu.c): the vcpu and cpu columns touch,
# an offline vcpu is "-" on "--p".
vl_header=$(printf '%-32s %5s %5s %5s %5s %9s %s' Name ID VCPU CPU State \
    'Time(s)' 'Affinity (Hard / Soft)')
# vrow DOM VCPU: the vcpu-list line of one vcpu.
vrow() { x vcpu-list "$1" | awk -v v="$2" 'NR > 1 && $3 == v'; }
# aff DOM VCPU: its "HARD / SOFT".
aff() { vrow "$1" "$2" | sed 's/.*  //'; }
run x vcpu-list
check "vcpu-list exits 0" [ "$rc" -eq 0 ]
check "vcpu-list has xl's header" [ "$(head -1 "$tmp/out")" = "$vl_header" ]
check "vcpu-list lists Domain-0's 8 vcpus" \
    [ "$(awk '$1 == "Domain-0"' "$tmp/out" | wc -l)" -eq 8 ]
check "vcpu-list lists web1's 4 vcpus" \
    [ "$(awk '$1 == "web1"' "$tmp/out" | wc -l)" -eq 4 ]
check "Domain-0 runs anywhere" \
    eval '[ "$(awk '\''$1 == "Domain-0" && $3 == 0'\'' "$tmp/out" | sed "s/.*  //")" = "all / all" ]'
check "web1's vcpus have the config's cpus=" [ "$(aff web1 0)" = "0-3 / all" ]
check "an online vcpu: its cpu (of its affinity) and r or b" \
    eval '[[ "$(vrow web1 0)" =~ ^web1\ +$id\ +0\ +[0-3]\ +[r-][b-]-\ +[0-9]+\.[0-9]\ \ 0-3\ /\ all$ ]]'
check "an offline vcpu, exactly as xl prints it" \
    [ "$(vrow web1 3)" = "$(printf '%-32s %5d %5d%5s %3s%sp %9.1f  %s' web1 \
        "$id" 3 - - - 0 '0-3 / all')" ]
run x vcpu-list web1 Domain-0
check "vcpu-list DOM DOM: both, in order" \
    eval '[ "$(awk '\''NR > 1 { print $1 }'\'' "$tmp/out" | uniq | tr "\n" " ")" = "web1 Domain-0 " ]'
run x vcpu-list no-such
check "vcpu-list of an unknown domain exits 1" [ "$rc" -eq 1 ]
check "... prints nothing on stdout" [ ! -s "$tmp/out" ]
check "... says which" grep -q "no domain 'no-such'" "$tmp/err"
t1=$(vrow web1 0 | awk '{ print $6 }')
sleep 2
t2=$(vrow web1 0 | awk '{ print $6 }')
check "a running vcpu's time goes on ($t1 -> $t2)" \
    awk -v a="$t1" -v b="$t2" 'BEGIN { exit !(b > a) }'

# vcpu-pin: hard, soft, '-' for unchanged, all, ranges, ^, node(s):.
run x vcpu-pin web1 1 5 6-7
check "vcpu-pin DOM VCPU HARD SOFT exits 0" [ "$rc" -eq 0 ]
check "vcpu-pin prints nothing" eval '[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]'
check "vcpu 1: 5 / 6-7" [ "$(aff web1 1)" = "5 / 6-7" ]
check "vcpu 1 runs on cpu 5 (its only cpu)" \
    [ "$(vrow web1 1 | awk '{ print $4 }')" = 5 ]
check "vcpu 0 untouched" [ "$(aff web1 0)" = "0-3 / all" ]
x vcpu-pin web1 all - 2
check "all - SOFT: every soft affinity, hard ones left" \
    eval '[ "$(aff web1 0)" = "0-3 / 2" ] && [ "$(aff web1 1)" = "5 / 2" ] && [ "$(aff web1 3)" = "0-3 / 2" ]'
x vcpu-pin web1 0 "0-7,^3-5"
check "ranges and ^ exclusions: 0-7,^3-5" [ "$(aff web1 0)" = "0-2,6-7 / 2" ]
x vcpu-pin web1 0 "all,^0" -
check "all,^0 and '-' for the soft one" [ "$(aff web1 0)" = "1-7 / 2" ]
x vcpu-pin web1 0 "1,3,5,7"
check "single cpus" [ "$(aff web1 0)" = "1,3,5,7 / 2" ]
x vcpu-pin web1 0 "nodes:0" "node:0"
check "nodes:0 and node:0: the host's one node" [ "$(aff web1 0)" = "all / all" ]
x vcpu-pin "$id" 2 "0-3,12"
check "a domid; cpus the host lacks are dropped, as Xen drops them" \
    [ "$(aff web1 2)" = "0-3 / 2" ]
run x vcpu-pin --force web1 3 7
check "--force on one vcpu exits 0" [ "$rc" -eq 0 ]
check "--force pins" [ "$(aff web1 3)" = "7 / 2" ]

# Bad input.
run x vcpu-pin web1 1 12
check "a hard affinity without a cpu of the host exits 1" [ "$rc" -eq 1 ]
check "... says so" grep -q "'12' leaves no cpu of this host, which has cpus 0 to 7" "$tmp/err"
run x vcpu-pin web1 9 0
check "a vcpu out of range exits 1" [ "$rc" -eq 1 ]
check "... says which vcpus there are" grep -q "web1 has vcpus 0 to 3: there is no vcpu 9" "$tmp/err"
run x vcpu-pin web1 1 0-x
check "a bad cpu list exits 1" [ "$rc" -eq 1 ]
check "... says what is wrong" grep -q 'invalid cpu range "0-x"' "$tmp/err"
run x vcpu-pin web1 1 1 "^all"
check "^all exits 1" [ "$rc" -eq 1 ]
check "... says why" grep -q '"^all" makes no sense' "$tmp/err"
run x vcpu-pin web1 1 - -
check "nothing to change exits 1" [ "$rc" -eq 1 ]
check "... says so" grep -q "nothing to change" "$tmp/err"
run x vcpu-pin no-such 0 1
check "vcpu-pin of an unknown domain exits 1" [ "$rc" -eq 1 ]
check "... says which" grep -q "no domain 'no-such'" "$tmp/err"
run x vcpu-pin web1 x 1
check "a VCPU that is not a number nor all is a usage error" [ "$rc" -eq 2 ]
check "... says so" grep -q "invalid vcpu 'x'" "$tmp/err"
run x vcpu-pin -f web1 all 1
check "-f with all is a usage error, as in xl" [ "$rc" -eq 2 ]
run x vcpu-pin web1 1
check "vcpu-pin without HARD is a usage error" [ "$rc" -eq 2 ]
check "affinities unchanged by the errors" [ "$(aff web1 1)" = "5 / 2" ]

# cpupool-list: one pool, Pool-0, every cpu, credit2.
run x cpupool-list
check "cpupool-list exits 0" [ "$rc" -eq 0 ]
check "cpupool-list: xl's shape" [ "$out" = "$(printf '%-19sCPUs   Sched     Active   Domain count\n%-19s%3d %9s       y       %4d' Name Pool-0 8 credit2 2)" ]
run x cpupool-list -c
check "cpupool-list -c: the cpus" [ "$out" = "$(printf '%-19sCPU list\n%-19s0,1,2,3,4,5,6,7' Name Pool-0)" ]
run x cpupool-list --cpus Pool-0
check "cpupool-list --cpus POOL" [ "$(echo "$out" | tail -1 | awk '{ print $1 }')" = Pool-0 ]
run x cpupool-list 0
check "cpupool-list POOLID" eval '[ "$rc" -eq 0 ] && echo "$out" | grep -q "^Pool-0 "'
run x cpupool-list Pool-9
check "an unknown pool exits 1" [ "$rc" -eq 1 ]
check "... says so" grep -q "pool 'Pool-9' does not exist" "$tmp/err"

# sched-credit2.
sc_header=$(printf '%-33s %4s %6s %4s' Name ID Weight Cap)
run x sched-credit2
check "sched-credit2 exits 0" [ "$rc" -eq 0 ]
check "sched-credit2: the pool, then its domains, in xl's shape" \
    [ "$out" = "$(printf 'Cpupool Pool-0: ratelimit=1000us\n%s\n%-33s %4d %6d %4d\n%-33s %4d %6d %4d' \
        "$sc_header" Domain-0 0 256 0 web1 "$id" 256 0)" ]
run x sched-credit2 -d web1 -w 512 -c 50
check "sched-credit2 -d -w -c exits 0" [ "$rc" -eq 0 ]
check "... prints nothing" eval '[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]'
run x sched-credit2 -d web1
check "sched-credit2 -d: the new weight and cap" \
    [ "$out" = "$(printf '%s\n%-33s %4d %6d %4d' "$sc_header" web1 "$id" 512 50)" ]
x sched-credit2 --domain=web1 --weight=300
check "--weight alone leaves the cap" \
    [ "$(x sched-credit2 -d web1 | awk 'NR == 2 { print $3, $4 }')" = "300 50" ]
x sched-credit2 -d web1 -w 512
run x sched-credit2 -p Pool-0
check "sched-credit2 -p POOL" eval '[ "$rc" -eq 0 ] && echo "$out" | grep -q "^web1 .* 512   50$"'
run x sched-credit2 -s
check "sched-credit2 -s: the pool's rate limit" [ "$out" = "Cpupool Pool-0: ratelimit=1000us" ]
run x sched-credit2 -d web1 -w 0
check "a weight of 0 exits 1" [ "$rc" -eq 1 ]
check "... says the range" grep -q "a weight is from 1 to 65535, not 0" "$tmp/err"
run x sched-credit2 -d web1 -w 70000
check "a weight over 65535 exits 1" [ "$rc" -eq 1 ]
run x sched-credit2 -d web1 -c 500
check "a cap over 100 a vcpu exits 1" [ "$rc" -eq 1 ]
check "... says the range" grep -q "a cap is from 0 (none) to 400" "$tmp/err"
run x sched-credit2 -d web1 -w abc
check "a weight that is not a number is a usage error" [ "$rc" -eq 2 ]
run x sched-credit2 -w 5
check "-w without -d is a usage error" [ "$rc" -eq 2 ]
run x sched-credit2 -p Pool-0 -d web1
check "-p with -d is a usage error" [ "$rc" -eq 2 ]
run x sched-credit2 -p Pool-9
check "an unknown pool exits 1" [ "$rc" -eq 1 ]
check "... says so" grep -q "unknown cpupool 'Pool-9'" "$tmp/err"
run x sched-credit2 -d no-such
check "an unknown domain exits 1" [ "$rc" -eq 1 ]
check "weight and cap unchanged by the errors" \
    [ "$(x sched-credit2 -d web1 | awk 'NR == 2 { print $3, $4 }')" = "512 50" ]

# The queries on the read-only socket; the changes need the admin one.
xro() { "$XLCTL" --socket "$ro" "$@"; }
run xro vcpu-list web1
check "vcpu-list on the read-only socket" [ "$rc" -eq 0 ]
run xro cpupool-list
check "cpupool-list on the read-only socket" [ "$rc" -eq 0 ]
run xro sched-credit2 -d web1
check "sched-credit2 -d on the read-only socket" [ "$rc" -eq 0 ]
run xro vcpu-pin web1 0 1
check "vcpu-pin on the read-only socket exits 1" [ "$rc" -eq 1 ]
check "... says it needs the admin socket" grep -q "read-only socket" "$tmp/err"
run xro sched-credit2 -d web1 -w 100
check "sched-credit2 -w on the read-only socket exits 1" [ "$rc" -eq 1 ]

# A paused guest's vcpus neither run nor wait.
x pause web1
check "paused: ---" eventually 5 eval '[[ "$(vrow web1 0)" =~ \ ---\  ]]'
x unpause web1

# A restart of xld: the simulated hypervisor kept everything.
stop_xld
start_xld
check "after a restart of xld: the pinning" \
    eval '[ "$(aff web1 1)" = "5 / 2" ] && [ "$(aff web1 3)" = "7 / 2" ]'
check "after a restart of xld: weight and cap" \
    [ "$(x sched-credit2 -d web1 | awk 'NR == 2 { print $3, $4 }')" = "512 50" ]

# A reboot of the guest: the config's cpus= again (libxl keeps no pinning
# in the domain's config), the weight and cap kept (libxl reads them back
# for xl's restart).
x reboot web1
check "web1 restarted with a new domid" \
    eventually 10 eval '[ -n "$(col web1 2)" ] && [ "$(col web1 2)" != "$id" ]'
check "after the reboot: the config's affinity" \
    eventually 5 eval '[ "$(aff web1 1)" = "0-3 / all" ]'
check "after the reboot: weight and cap kept" \
    [ "$(x sched-credit2 -d web1 | awk 'NR == 2 { print $3, $4 }')" = "512 50" ]

# Domain-0 is the simulator's, which does not change it.
run x vcpu-pin 0 0 1
check "pinning Domain-0 on the simulator exits 1" [ "$rc" -eq 1 ]
check "... says why" grep -q "the backend does not change this domain" "$tmp/err"

# The verbs are in the command table, with xl's option letters.
run x help
check "help lists the verbs" eval 'for v in vcpu-list vcpu-pin cpupool-list sched-credit2; do grep -q "^  $v " "$tmp/out" || exit 1; done'
run x help vcpu-pin
check "help vcpu-pin: xl's usage" grep -q "usage: xlctl vcpu-pin \[-f|--force\] DOM VCPU|all HARD \[SOFT\]" "$tmp/out"
run x help sched-credit2
check "help sched-credit2: xl's letters" grep -q -- "-d DOM \[-w WEIGHT\] \[-c CAP\]" "$tmp/out"

finish
