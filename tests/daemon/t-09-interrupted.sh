#!/bin/bash
# Operations that a crash of xld (kill -9) cuts short are never lost:
# the next xld reports each (log, event, `info`'s recovery list, the
# domain's `interrupted` flag in `list`) and finishes what it can.
. "$(dirname "$0")/lib.sh"
start_xld
expect_ok "$(create keep 1024)"
expect_ok "$(create rs)"
expect_ok "$(call create "{\"config\": $( (config rs2; echo 'on_crash = "restart"') | json_str)}")"
expect_ok "$(call sim-inject '{"what":"save-ms-per-gib","value":20000}')"
expect_ok "$(call sim-inject '{"what":"create-ms","value":3000}')"

# A save, a create and a restart in flight when xld dies.
call save "{\"domain\":\"keep\",\"path\":\"$TMP/keep.img\"}" >/dev/null &
call create "{\"config\": $(config newborn | json_str)}" >/dev/null &
expect_ok "$(call sim-inject '{"what":"crash","domain":"rs2"}')"
wait_for 5 grep -q "rs2 (domid [0-9]*) shut down (crash): on_crash is restart" "$TMP/xld.log" \
    || fail "rs2's restart did not start"
sleep 0.5
[ -e "$TMP/keep.img.tmp" ] || fail "the save has not started"
kill9_xld
wait
[ -e "$TMP/keep.img" ] && fail "a half image under the final name"

start_xld
info=$(call info)
ops=$(get 'sorted(x["operation"] for x in r["return"]["recovery"])' <<<"$info")
[ "$ops" = '["create", "restart", "save"]' ] || fail "recovery: $info"
[ "$(get '[x["name"] for x in r["return"]["recovery"] if x["operation"] == "create"][0]' <<<"$info")" = newborn ] \
    || fail "create report: $info"
grep -q "xld stopped during its save" "$TMP/xld.log" || fail "no log of the save"
# The domain whose save was cut is there, flagged, and the unfinished
# image is gone.
l=$(call list '{"domain":"keep"}')
[ "$(get 'r["return"][0].get("interrupted")' <<<"$l")" = save ] || fail "no flag: $l"
[ -e "$TMP/keep.img.tmp" ] && fail "the unfinished image was left"
# The restart is finished: rs2 is created again from its record.
rs2_runs() {
    [ "$(call list '{"domain":"rs2"}' | get 'r.get("return", [{}])[0].get("state")')" = running ]
}
wait_for 10 rs2_runs || fail "rs2 was not created again: $(call list)"
# The admin acting on the domain clears the flag.
expect_ok "$(call pause '{"domain":"keep"}')"
[ "$(call list '{"domain":"keep"}' | get 'r["return"][0].get("interrupted", "none")')" = none ] \
    || fail "the flag stays"
# The create that never finished left no domain and no record.
expect_error DomainNotFound "$(call domid '{"domain":"newborn"}')"
[ "$(ls "$TMP/state/domains" | grep -c '\.json$')" -eq 3 ] || fail "records: $(ls "$TMP/state/domains")"

# A destroy cut short is finished by the hypervisor; the record goes.
expect_ok "$(call sim-inject '{"what":"destroy-ms","value":3000}')"
call destroy '{"domain":"rs"}' >/dev/null &
sleep 0.5
kill9_xld
wait
start_xld
rs_gone() {
    [ "$(call domid '{"domain":"rs"}' | get 'r.get("error",{}).get("class")')" = DomainNotFound ]
}
wait_for 10 rs_gone || fail "rs is still there"
[ "$(ls "$TMP/state/domains" | grep -c '\.json$')" -eq 2 ] || fail "records: $(ls "$TMP/state/domains")"
alive
stop_xld
echo "t-09-interrupted: ok"
