#!/bin/bash
# kill -9 of xld with domains running: the next xld finds every one of
# them again, with the config it was created from, what was changed at
# run time, and the shutdowns that happened while no xld was there.
. "$(dirname "$0")/lib.sh"
start_xld
for n in a1 a2 a3 a4; do expect_ok "$(create $n)"; done
expect_ok "$(call create "{\"config\": $(config ov 128 | json_str), \"filename\": \"/etc/xen/ov.cfg\", \"overrides\": [\"memory=192\"]}")"
expect_ok "$(call mem-set '{"domain":"a1","memkb":65536}')"
expect_ok "$(call pause '{"domain":"a2"}')"
before=$(call list | get '[(d["name"], d["domid"], d["uuid"]) for d in r["return"]]')

# A guest that takes 1.5 s to power off, asked just before the crash.
expect_ok "$(call sim-inject '{"what":"shutdown-delay-ms","domain":"a4","value":1500}')"
expect_ok "$(call shutdown '{"domain":"a4"}')"
kill9_xld
# A second xld cannot take the state folder while the first holds it;
# here the first is dead, so the socket files it left are stale.
[ -S "$S" ] || fail "the dead xld's socket is gone already?"
sleep 2

start_xld
# a4 powered off while xld was away: on_poweroff (destroy) is applied.
a4_gone() { call domid '{"domain":"a4"}' | grep -q DomainNotFound; }
wait_for 10 a4_gone || fail "a4 is still there: $(call list)"
l=$(call list)
[ "$(get 'sorted(d["name"] for d in r["return"])' <<<"$l")" = '["Domain-0", "a1", "a2", "a3", "ov"]' ] \
    || fail "found: $l"
[ "$(get 'all(d["managed"] for d in r["return"] if d["domid"])' <<<"$l")" = true ] || fail "managed: $l"
[ "$(get '[d["uuid"] for d in r["return"] if d["name"] != "a4"]' <<<"$l")" \
  = "$(get '[d[2] for d in r if d[0] != "a4"]' <<<"$before")" ] || fail "uuids: $before / $l"
[ "$(get '[d["domid"] for d in r["return"] if d["name"] != "a4"]' <<<"$l")" \
  = "$(get '[d[1] for d in r if d[0] != "a4"]' <<<"$before")" ] || fail "domids: $before / $l"
[ "$(get '[d["state"] for d in r["return"] if d["name"] == "a2"][0]' <<<"$l")" = paused ] || fail "a2 state"
c=$(call config '{"domain":"ov"}')
[ "$(get 'r["return"]["filename"]' <<<"$c")" = /etc/xen/ov.cfg ] || fail "config: $c"
[ "$(get 'r["return"]["overrides"]' <<<"$c")" = '["memory=192"]' ] || fail "overrides: $c"
[ "$(get 'r["return"]["json"]["b_info"]["target_memkb"]' <<<"$c")" = 196608 ] || fail "json: $c"
grep -q "a4 (domid [0-9]*) shut down (poweroff): on_poweroff is destroy" "$TMP/xld.log" \
    || fail "a4's shutdown was not handled"
[ "$(get 'r["return"]["recovery"]' <<<"$(call info)")" = "[]" ] || fail "nothing was interrupted"

# What was set at run time survives a restart of the guest too.
a1=$(call domid '{"domain":"a1"}' | get 'r["return"]')
expect_ok "$(call reboot '{"domain":"a1"}')"
rebooted() {
    call list '{"domain":"a1"}' \
        | get 'r["return"][0]["domid"] != '"$a1"' and r["return"][0]["state"] == "running"' \
        | grep -q true
}
wait_for 10 rebooted || fail "a1 did not reboot: $(call list '{"domain":"a1"}')"
[ "$(call list '{"domain":"a1"}' | get 'r["return"][0]["memkb"]')" = 65536 ] \
    || fail "a1 after reboot: $(call list '{"domain":"a1"}')"

# Without its state folder, xld still finds its domains, by the config
# stored with each of them in the hypervisor.
kill9_xld
rm -rf "$TMP/state"
start_xld
l=$(call list)
[ "$(get 'sorted(d["name"] for d in r["return"] if d["managed"])' <<<"$l")" = '["a1", "a2", "a3", "ov"]' ] \
    || fail "without records: $l"
[ "$(ls "$TMP/state/domains" | grep -c '\.json$')" -eq 4 ] || fail "records not written again"
c=$(call config '{"domain":"ov"}')
[ "$(get 'r["return"]["overrides"]' <<<"$c")" = '["memory=192"]' ] || fail "overrides from userdata: $c"

# One xld per state folder, and per socket.
"$XLD" --backend=sim -f --socket="$TMP/s2" --ro-socket="$TMP/ro2" --state-dir="$TMP/state" \
    --backend-options="dir=$TMP/sim2" >"$TMP/second.log" 2>&1 && fail "a second xld started"
grep -q "another xld is using this state folder" "$TMP/second.log" || fail "$(cat "$TMP/second.log")"
"$XLD" --backend=sim -f --socket="$S" --ro-socket="$TMP/ro2" --state-dir="$TMP/state2" \
    --backend-options="dir=$TMP/sim2" >"$TMP/second.log" 2>&1 && fail "a second xld started"
grep -q "another xld is listening there" "$TMP/second.log" || fail "$(cat "$TMP/second.log")"
alive
stop_xld
echo "t-05-crash-recovery: ok"
