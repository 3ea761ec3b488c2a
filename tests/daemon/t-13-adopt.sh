#!/bin/bash
# Domains xld did not create (plain `xl create`; the simulator's "spawn")
# are listed as unmanaged and left alone, until the admin has xld adopt
# one: from then on it is managed like a domain xld created.
. "$(dirname "$0")/lib.sh"
start_xld

spawn() {   # spawn MIB: prints the new domain's name
    local before after
    before=$(domains)
    expect_ok "$(call sim-inject "{\"what\":\"spawn\",\"value\":$1}")"
    for _ in $(seq 1 100); do
        after=$(domains)
        [ "$after" != "$before" ] && break
        sleep 0.05
    done
    comm -13 <(tr ' ' '\n' <<<"$before" | sort) <(tr ' ' '\n' <<<"$after" | sort) | grep foreign- | head -1
}
field_of() { call list "{\"domain\":\"$1\"}" | get 'r["return"][0].get("'"$2"'", "")'; }
state_of() { call list "{\"domain\":\"$1\"}" | get 'r["return"][0]["state"] if "return" in r else "none"'; }
adopt() {   # adopt DOMAIN [CONFIG-TEXT]
    if [ $# -gt 1 ]; then
        call adopt "{\"domain\":\"$1\",\"config\":$(printf '%s\n' "$2" | json_str),\"filename\":\"/etc/xen/$1.cfg\"}"
    else
        call adopt "{\"domain\":\"$1\"}"
    fi
}

# Found, listed, unmanaged; its shutdown is reported and not acted on.
f1=$(spawn 256)
[ -n "$f1" ] || fail "no foreign domain appeared: $(domains)"
wait_for 10 eval '[ "$(field_of "$f1" managed)" = false ]' || fail "$f1: $(call list "{\"domain\":\"$f1\"}")"
[ "$(field_of "$f1" memkb)" = 262144 ] || fail "$f1 memory"
grep -q "$f1.*unmanaged" "$TMP/xld.log" || fail "no log of the unmanaged domain"
expect_ok "$(call sim-inject "{\"what\":\"reboot\",\"domain\":\"$f1\"}")"
wait_for 10 eval '[ "$(state_of "$f1")" = shutdown ]' || fail "$f1: $(call list "{\"domain\":\"$f1\"}")"
sleep 0.5
[ "$(state_of "$f1")" = shutdown ] || fail "xld acted on an unmanaged domain's reboot"
expect_ok "$(call destroy "{\"domain\":\"$f1\"}")"

# Adopting needs a config this backend can give; the sim keeps none.
f2=$(spawn 128)
wait_for 10 eval '[ "$(field_of "$f2" managed)" = false ]' || fail "$f2 not found"
expect_error InvalidArgument "$(adopt "$f2")"
adopt "$f2" | grep -q "give its config file" || fail "no hint: $(adopt "$f2")"
# A config of another domain, or with errors, is refused, with the
# diagnostics of create.
expect_error InvalidArgument "$(adopt "$f2" "$(config other 128)")"
r=$(adopt "$f2" "$(config "$f2" 128; echo 'memory = ')")
expect_error ConfigError "$r"
get 'r["error"]["diagnostics"][0]["line"]' <<<"$r" | grep -qx 5 || fail "diagnostics: $r"
[ "$(field_of "$f2" managed)" = false ] || fail "a refused adopt changed $f2"

# Adopted: managed, same domid and uuid, its record written, its config
# kept, and its actions applied from now on.
domid=$(field_of "$f2" domid)
uuid=$(field_of "$f2" uuid)
expect_ok "$(adopt "$f2" "$(config "$f2" 128; echo 'on_crash = "restart"')")"
[ "$(field_of "$f2" managed)" = true ] || fail "$f2 is not managed after adopt"
[ "$(field_of "$f2" domid)" = "$domid" ] || fail "adopt changed the domid"
[ "$(field_of "$f2" uuid)" = "$uuid" ] || fail "adopt changed the uuid"
[ -f "$TMP/state/domains/$uuid.json" ] || fail "no record: $(ls "$TMP/state/domains")"
call config "{\"domain\":\"$f2\"}" | get 'r["return"]["text"]' | grep -q on_crash || fail "the config is not kept"
expect_error InvalidArgument "$(adopt "$f2" "$(config "$f2" 128)")"
expect_ok "$(call sim-inject "{\"what\":\"crash\",\"domain\":\"$f2\"}")"
new_domid() { local d; d=$(field_of "$f2" domid); [ -n "$d" ] && [ "$d" != "$domid" ] && [ "$(state_of "$f2")" = running ]; }
wait_for 10 new_domid || fail "$f2 was not restarted on its crash: $(call list)"
[ "$(field_of "$f2" uuid)" = "$uuid" ] || fail "the restart changed the uuid"

# It stays managed across a crash of xld.
kill9_xld
start_xld
wait_for 10 eval '[ "$(field_of "$f2" managed)" = true ]' || fail "$f2 after kill -9: $(call list "{\"domain\":\"$f2\"}")"
expect_ok "$(call destroy "{\"domain\":\"$f2\"}")"

alive
stop_xld
echo "t-13-adopt: ok"
