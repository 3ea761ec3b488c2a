#!/bin/bash
# The life of a domain through every command: create, the queries,
# pause, memory, vcpus, rename, reboot (a restart keeps the uuid),
# shutdown --wait, destroy; and the errors on the way.
. "$(dirname "$0")/lib.sh"
start_xld

r=$(create web1 256)
expect_ok "$r"
[ "$(get 'r["return"]["name"]' <<<"$r")" = web1 ] || fail "create: $r"
id=$(get 'r["return"]["domid"]' <<<"$r")
[ "$id" -gt 0 ] || fail "domid: $r"

# The queries.
[ "$(get 'r["return"]' <<<"$(call domid '{"domain":"web1"}')")" = "$id" ] || fail domid
[ "$(get 'r["return"]' <<<"$(call domname "{\"domain\":$id}")")" = web1 ] || fail domname
[ "$(get 'r["return"]' <<<"$(call domname "{\"domain\":\"$id\"}")")" = web1 ] || fail "domname digits"
l=$(call list '{"domain":"web1"}')
[ "$(get 'r["return"][0]["managed"]' <<<"$l")" = true ] || fail "list: $l"
[ "$(get 'r["return"][0]["memkb"]' <<<"$l")" = 262144 ] || fail "memory: $l"
uuid=$(get 'r["return"][0]["uuid"]' <<<"$l")
[ "$(get 'r["return"]' <<<"$(call domname "{\"domain\":\"$uuid\"}")")" = web1 ] || fail "by uuid"
[ "$(get 'r["return"][0]["managed"]' <<<"$(call list '{"domain":0}')")" = false ] || fail "dom0 managed"
c=$(call config '{"domain":"web1"}')
[ "$(get 'r["return"]["filename"]' <<<"$c")" = web1.cfg ] || fail "config: $c"
[[ "$(get 'r["return"]["text"]' <<<"$c")" == *"memory = 256"* ]] || fail "config text: $c"
[ "$(get 'r["return"]["json"]["c_info"]["name"]' <<<"$c")" = web1 ] || fail "config json: $c"
[ "$(get 'r["return"]["json"]["c_info"]["uuid"]' <<<"$c")" = "$uuid" ] || fail "config uuid: $c"
expect_error Failed "$(call config '{"domain":0}')"
u=$(call uptime)
[ "$(get 'len(r["return"])' <<<"$u")" = 2 ] || fail "uptime: $u"

# The name is taken, and so is the uuid.
expect_error AlreadyExists "$(create web1)"
expect_error AlreadyExists "$(call create "{\"config\": $(printf 'name=\"other\"\nmemory=64\nkernel=\"/k\"\nuuid=\"%s\"\n' "$uuid" | json_str)}")"

# Quick operations, with their events.
$XLDC events "$S" 60 >"$TMP/events" &
evpid=$!
sleep 0.5
expect_ok "$(call pause '{"domain":"web1"}')"
[ "$(get 'r["return"][0]["state"]' <<<"$(call list '{"domain":"web1"}')")" = paused ] || fail paused
expect_ok "$(call unpause '{"domain":"web1"}')"
expect_ok "$(call mem-set '{"domain":"web1","memkb":131072}')"
[ "$(get 'r["return"][0]["memkb"]' <<<"$(call list '{"domain":"web1"}')")" = 131072 ] || fail mem-set
expect_ok "$(call mem-max '{"domain":"web1","memkb":524288}')"
expect_ok "$(call vcpu-set '{"domain":"web1","count":1}')"
expect_error InvalidArgument "$(call vcpu-set '{"domain":"web1","count":0}')"
expect_ok "$(call rename '{"domain":"web1","name":"web2"}')"
expect_error DomainNotFound "$(call domid '{"domain":"web1"}')"
[ "$(get 'r["return"]' <<<"$(call domid '{"domain":"web2"}')")" = "$id" ] || fail rename
expect_error InvalidArgument "$(call rename '{"domain":"web2","name":"123"}')"
expect_error InvalidArgument "$(call rename '{"domain":"web2","name":""}')"
expect_ok "$(create web3)"
expect_error AlreadyExists "$(call rename '{"domain":"web2","name":"web3"}')"
expect_error InvalidArgument "$(call destroy '{"domain":0}')"
wait_for 10 grep -q '"state":"created"' "$TMP/events" || fail "no created event"
kill $evpid
wait $evpid 2>/dev/null
grep -q '"state":"paused"' "$TMP/events" || fail "no paused event: $(cat "$TMP/events")"
grep -q '"state":"renamed"' "$TMP/events" || fail "no renamed event"

# A reboot restarts the domain (on_reboot defaults to restart): a new
# domid, the same uuid and name, its memory as set at run time.
expect_ok "$(call reboot '{"domain":"web2"}')"
restarted() {
    local l
    l=$(call list '{"domain":"web2"}')
    [ "$(get 'r["return"][0]["domid"]' <<<"$l" 2>/dev/null)" != "$id" ] \
        && [ "$(get 'r["return"][0]["state"]' <<<"$l")" != shutdown ]
}
wait_for 10 restarted || fail "web2 was not restarted: $(call list)"
l=$(call list '{"domain":"web2"}')
[ "$(get 'r["return"][0]["uuid"]' <<<"$l")" = "$uuid" ] || fail "uuid changed: $l"
[ "$(get 'r["return"][0]["memkb"]' <<<"$l")" = 131072 ] || fail "mem-set lost: $l"
[ "$(get 'r["return"][0]["maxmemkb"]' <<<"$l")" = 524288 ] || fail "mem-max lost: $l"

# shutdown --wait answers once the guest is down (on_poweroff: destroy).
r=$(call shutdown '{"domain":"web2","wait":true}')
expect_ok "$r"
expect_error DomainNotFound "$(call domid '{"domain":"web2"}')"

# destroy answers once it is gone; its record goes with it.
expect_ok "$(call destroy '{"domain":"web3"}')"
[ "$(domains)" = Domain-0 ] || fail "left: $(domains)"
[ -z "$(ls "$TMP/state/domains")" ] || fail "records left: $(ls "$TMP/state/domains")"

# A guest that ignores the request: shutdown --wait waits, and a
# destroy from another client is not stuck behind it.
expect_ok "$(create stubborn)"
expect_ok "$(call sim-inject '{"what":"ignore-shutdown","domain":"stubborn","value":1}')"
call shutdown '{"domain":"stubborn","wait":true}' >"$TMP/waited" &
wpid=$!
sleep 1
[ -s "$TMP/waited" ] && fail "shutdown --wait returned early: $(cat "$TMP/waited")"
expect_ok "$(call destroy '{"domain":"stubborn"}')"
wait $wpid
expect_ok "$(cat "$TMP/waited")"

# sim-inject errors.
expect_error InvalidArgument "$(call sim-inject '{"what":"no-such-thing"}')"
expect_error DomainNotFound "$(call sim-inject '{"what":"crash","domain":"nope"}')"

stop_xld
echo "t-02-lifecycle: ok"
