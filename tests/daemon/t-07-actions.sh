#!/bin/bash
# What xld does when a managed guest shuts down by itself: the on_*
# actions of xl.cfg(5), and the limit on restart loops.
. "$(dirname "$0")/lib.sh"
start_xld

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
start_xld
sleep 0.5
is_state p1 shutdown || fail "p1 after an xld restart: $(call list '{"domain":"p1"}')"
expect_ok "$(call destroy '{"domain":"p1"}')"

# rename-restart: the old domain is kept under a new name, unmanaged,
# and a new one runs under the name.
create_with rr 'on_crash = "rename-restart"'
id=$(domid_of rr)
inject crash rr
wait_for 10 new_domid rr "$id" || fail "rr was not restarted"
old=$(call list | get '[d for d in r["return"] if d["name"].startswith("rr-")][0]')
[ "$(get 'r["domid"]' <<<"$old")" = "$id" ] || fail "the old rr: $old"
[ "$(get 'r["managed"]' <<<"$old")" = false ] || fail "the old rr is managed: $old"
[ "$(get 'r["state"]' <<<"$old")" = crashed ] || fail "the old rr: $old"

# coredump-destroy: this backend cannot dump a core; it goes on and
# destroys, as xl does when the dump fails.
create_with cd 'on_watchdog = "coredump-destroy"'
inject watchdog cd
wait_for 10 gone cd || fail "cd not destroyed"
grep -q "cannot dump a core" "$TMP/xld.log" || fail "no warning about the core"

# soft-reset: not in this backend; the domain is restarted instead.
create_with sr
id=$(domid_of sr)
inject soft-reset sr
wait_for 10 new_domid sr "$id" || fail "sr was not restarted"

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
