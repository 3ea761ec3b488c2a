#!/bin/bash
# What xld does when a managed guest shuts down by itself: the on_*
# actions of xl.cfg(5), and the limit on restart loops.
. "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/dump"
start_xld --dump-dir="$TMP/dump"

# create_with NAME SETTINGS...: a domain with extra settings.
create_with() {
    local name=$1
    shift
    expect_ok "$(call create "{\"config\": $( (config "$name"; printf '%s\n' "$@") | json_str)}")"
}
inject() {   # inject WHAT DOMAIN
    expect_ok "$(call sim-inject "{\"what\":\"$1\",\"domain\":\"$2\"}")"
}
state_of() { call list "{\"domain\":\"$1\"}" | get 'r["return"][0]["state"] if "return" in r else "none"'; }
domid_of() { call domid "{\"domain\":\"$1\"}" | get 'r.get("return", -1)'; }
field_of() { call list "{\"domain\":\"$1\"}" | get 'r["return"][0].get("'"$2"'", "")'; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
gone() { [ "$(state_of "$1")" = none ]; }
new_domid() { local d; d=$(domid_of "$1"); [ "$d" != -1 ] && [ "$d" != "$2" ] && is_state "$1" running; }

# on_crash = restart (the default is destroy): a new domid, same uuid.
create_with cr 'on_crash = "restart"'
id=$(domid_of cr)
uuid=$(field_of cr uuid)
inject crash cr
wait_for 10 new_domid cr "$id" || fail "cr was not restarted: $(call list)"
[ "$(field_of cr uuid)" = "$uuid" ] || fail "the uuid changed"
# Three restarts in a minute is a loop: the third crash is not restarted
# and the domain is kept as it is, crashed, for the admin to look at.
id=$(domid_of cr); inject crash cr
wait_for 10 new_domid cr "$id" || fail "second restart"
id=$(domid_of cr); inject crash cr
wait_for 10 new_domid cr "$id" || fail "third restart"
id=$(domid_of cr); inject crash cr
wait_for 10 is_state cr crashed || fail "cr: $(call list '{"domain":"cr"}')"
sleep 0.5
[ "$(domid_of cr)" = "$id" ] || fail "cr was restarted a fourth time"
[ "$(field_of cr held)" = restart-limit ] || fail "no held flag"
grep -q "cr restarted 3 times in 60 s: not restarting it" "$TMP/xld.log" || fail "no log of the loop"
expect_ok "$(call destroy '{"domain":"cr"}')"

# The defaults: on_poweroff and on_crash destroy, on_reboot restarts.
create_with d1
inject poweroff d1
wait_for 10 gone d1 || fail "d1 not destroyed on poweroff"
create_with d2
inject crash d2
wait_for 10 gone d2 || fail "d2 not destroyed on crash"
create_with d3
id=$(domid_of d3)
inject reboot d3
wait_for 10 new_domid d3 "$id" || fail "d3 not restarted on reboot"

# preserve: the domain stays, shut down, and xld leaves it alone, even
# across a restart of xld.
create_with p1 'on_poweroff = "preserve"'
inject poweroff p1
wait_for 10 is_state p1 shutdown || fail "p1: $(call list '{"domain":"p1"}')"
[ "$(field_of p1 held)" = preserve ] || fail "p1 not held"
stop_xld
start_xld --dump-dir="$TMP/dump"
sleep 0.5
is_state p1 shutdown || fail "p1 after an xld restart: $(call list '{"domain":"p1"}')"
expect_ok "$(call destroy '{"domain":"p1"}')"

# rename-restart: the old domain is kept under a new name and a new
# uuid, unmanaged, and a new one runs under the name and the uuid.
create_with rr 'on_crash = "rename-restart"'
id=$(domid_of rr)
uuid=$(field_of rr uuid)
inject crash rr
wait_for 10 new_domid rr "$id" || fail "rr was not restarted"
old=$(call list | get '[d for d in r["return"] if d["name"].startswith("rr-")][0]')
[ "$(get 'r["domid"]' <<<"$old")" = "$id" ] || fail "the old rr: $old"
[ "$(get 'r["managed"]' <<<"$old")" = false ] || fail "the old rr is managed: $old"
[ "$(get 'r["state"]' <<<"$old")" = crashed ] || fail "the old rr: $old"
[ "$(field_of rr uuid)" = "$uuid" ] || fail "the new rr has another uuid"
[ "$(get 'r["uuid"]' <<<"$old")" != "$uuid" ] || fail "the old rr kept the uuid: $old"
[ "$(field_of rr managed)" = True ] || [ "$(field_of rr managed)" = true ] || fail "the new rr is not managed"

# coredump-destroy: the core goes to DUMP_DIR/NAME, then the domain is
# destroyed.
create_with cd 'on_watchdog = "coredump-destroy"'
inject watchdog cd
wait_for 10 gone cd || fail "cd not destroyed"
head -1 "$TMP/dump/cd" | grep -qx "XLDSIMCORE 1" || fail "no core of cd"
grep -qx "reason: watchdog" "$TMP/dump/cd" || fail "the core of cd: $(head -6 "$TMP/dump/cd")"
grep -q "cd: dumped its core to $TMP/dump/cd" "$TMP/xld.log" || fail "no log of the dump"
# coredump-restart: the core, then a new domain.
create_with cr2 'on_crash = "coredump-restart"'
id=$(domid_of cr2)
inject crash cr2
wait_for 10 new_domid cr2 "$id" || fail "cr2 was not restarted"
grep -qx "reason: crash" "$TMP/dump/cr2" || fail "no core of cr2"
expect_ok "$(call destroy '{"domain":"cr2"}')"
# A dump that cannot be written (a directory is in the way, which
# stops root too) is logged and the action goes on, as in xl.
mkdir "$TMP/dump/cd2"
create_with cd2 'on_crash = "coredump-destroy"'
inject crash cd2
wait_for 10 gone cd2 || fail "cd2 not destroyed"
grep -q "cd2: the core dump to $TMP/dump/cd2 failed" "$TMP/xld.log" || grep -q "cd2: cannot dump its core to $TMP/dump/cd2" "$TMP/xld.log" || fail "no log of the failed dump"

# soft-reset (the default on_soft_reset): the same domid, built again
# and running.
create_with sr
id=$(domid_of sr)
expect_ok "$(call mem-set '{"domain":"sr","memkb":65536}')"
inject soft-reset sr
wait_for 10 grep -q "sr (domid $id) was soft-reset" "$TMP/xld.log" || fail "sr was not soft-reset"
wait_for 10 is_state sr running || fail "sr: $(call list '{"domain":"sr"}')"
[ "$(domid_of sr)" = "$id" ] || fail "sr changed domid"
[ "$(field_of sr memkb)" = 65536 ] || fail "sr lost its run-time memory: $(call list '{"domain":"sr"}')"
# on_soft_reset = "destroy" is honoured too.
create_with sr2 'on_soft_reset = "destroy"'
inject soft-reset sr2
wait_for 10 gone sr2 || fail "sr2 not destroyed"

# Events tell subscribers what happened.
$XLDC events "$S" 20 >"$TMP/events" &
ev=$!
sleep 0.3
create_with ev1 'on_crash = "restart"'
id=$(domid_of ev1)
inject crash ev1
wait_for 10 new_domid ev1 "$id" || fail "ev1 was not restarted"
wait_for 10 grep -q '"state":"restarted"' "$TMP/events" || fail "events: $(cat "$TMP/events")"
kill $ev; wait $ev 2>/dev/null
for st in created shutdown restarting destroyed restarted; do
    grep '"name":"ev1"' "$TMP/events" | grep -q "\"state\":\"$st\"" || fail "no $st event: $(cat "$TMP/events")"
done
grep -q '"reason":"crash"' "$TMP/events" || fail "no crash reason"

alive
stop_xld
echo "t-07-actions: ok"
