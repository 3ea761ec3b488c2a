#!/bin/bash
# SIGTERM (and SIGINT) stop xld cleanly and leave every guest as it was:
# running, paused, mid-shutdown.  The next xld finds them all.
. "$(dirname "$0")/lib.sh"
start_xld
for n in s1 s2 s3; do expect_ok "$(create $n)"; done
expect_ok "$(call pause '{"domain":"s2"}')"
before=$(call list | get '[(d["name"], d["domid"], d["uuid"], d["state"]) for d in r["return"]]')
# A client that is connected and subscribed when xld stops.
$XLDC events "$S" 30 >/dev/null &
ev=$!
sleep 0.3
stop_xld
wait $ev
[ -e "$S" ] && fail "the admin socket was left behind"
[ -e "$RO" ] && fail "the read-only socket was left behind"
grep -q "SIGTERM: stopping" "$TMP/xld.log" || fail "no stop message"
grep -qi "destroy\|shut down" <(grep -v "asked\|listening" "$TMP/xld.log" | sed -n '/SIGTERM/,$p') \
    && fail "xld touched a guest while stopping"

start_xld
after=$(call list | get '[(d["name"], d["domid"], d["uuid"], d["state"]) for d in r["return"]]')
[ "$before" = "$after" ] || fail "before: $before; after: $after"

# A long operation running at SIGTERM is given time to end, and its
# client gets the reply.
expect_ok "$(call sim-inject '{"what":"save-ms-per-gib","value":8000}')"
call save "{\"domain\":\"s3\",\"path\":\"$TMP/s3.img\"}" >"$TMP/save.reply" &
sp=$!
sleep 0.3
kill -INT "$XLD_PID"
wait $sp
expect_ok "$(cat "$TMP/save.reply")"
[ -f "$TMP/s3.img" ] || fail "no image"
wait "$XLD_PID" || fail "xld exited with $? after SIGINT"
XLD_PID=
grep -q "SIGINT: stopping" "$TMP/xld.log" || fail "no SIGINT message"

start_xld
[ "$(domains)" = "$(printf 'Domain-0\ns1\ns2')" ] || fail "after the save: $(domains)"
[ "$(get 'r["return"]["recovery"]' <<<"$(call info)")" = "[]" ] || fail "something was interrupted"
stop_xld
echo "t-06-sigterm: ok"
