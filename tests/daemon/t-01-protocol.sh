#!/bin/bash
# The protocol's edges: greeting, bad lines, oversized requests, unknown
# commands, wrong arguments, the read-only socket.  xld answers each with
# the right error and stays up.
. "$(dirname "$0")/lib.sh"
start_xld

# Greetings say the access each socket gives.
g=$(printf '' | $XLDC raw "$S" | head -1)
[ "$(get 'r["xld"]["access"]' <<<"$g")" = admin ] || fail "admin greeting: $g"
[ "$(get 'r["xld"]["protocol"]' <<<"$g")" = 1 ] || fail "greeting: $g"
g=$(printf '' | $XLDC raw "$RO" | head -1)
[ "$(get 'r["xld"]["access"]' <<<"$g")" = read-only ] || fail "ro greeting: $g"

# Lines that are not requests.
out=$(printf 'not json\n{"execute": \n[1,2]\n"str"\n\n\r\n{"execute":"info","id":7}\n' \
      | $XLDC raw "$S")
[ "$(sed -n 2p <<<"$out" | get 'r["error"]["class"]')" = ParseError ] || fail "not json: $out"
[ "$(sed -n 3p <<<"$out" | get 'r["error"]["class"]')" = ParseError ] || fail "cut: $out"
[ "$(sed -n 4p <<<"$out" | get 'r["error"]["class"]')" = ParseError ] || fail "array: $out"
[ "$(sed -n 5p <<<"$out" | get 'r["error"]["class"]')" = ParseError ] || fail "string: $out"
# Blank lines are ignored; the next request is answered with its id.
[ "$(sed -n 6p <<<"$out" | get 'r["id"]')" = 7 ] || fail "after errors: $out"
alive

# Nesting too deep to parse safely.
out=$($PYTHON -c 'print("{\"execute\":\"info\",\"x\":" + "["*100000 + "]"*100000 + "}")' \
      | $XLDC raw "$S" | sed -n 2p)
expect_error ParseError "$out"
alive

# Requests without a command, with a command that does not exist, with
# arguments of the wrong kind; ids of every JSON type are echoed.
expect_error InvalidArgument "$(printf '{"id":1}\n' | $XLDC raw "$S" | sed -n 2p)"
r=$(call nosuchcommand)
expect_error CommandNotFound "$r"
[ "$(get 'r["id"]' <<<"$r")" = 1 ] || fail "id not echoed: $r"
for id in '"abc"' '{"a":[1,2.5,null,true]}' '[1,"x"]' '-3' '1.5' 'null' 'false'; do
    r=$(printf '{"execute":"subscribe","id":%s}\n' "$id" | $XLDC raw "$S" | sed -n 2p)
    [ "$(get 'json.dumps(r["id"]) if "id" in r else "missing"' <<<"$r" 2>/dev/null \
         || get 'r["id"]' <<<"$r")" != missing ] || fail "id $id: $r"
    $PYTHON -c "import json,sys; r=json.loads(sys.argv[1]); assert r['id']==json.loads(sys.argv[2]), r" \
        "$r" "$id" || fail "id $id echoed as: $r"
done
expect_error InvalidArgument "$(call list '{"domain": true}')"
expect_error InvalidArgument "$(call list '{"domain": -1}')"
expect_error InvalidArgument "$(call list '{"bogus": 1}')"
expect_error InvalidArgument "$(call domid)"
expect_error InvalidArgument "$(call mem-set '{"domain": 0, "memkb": -5}')"
expect_error InvalidArgument "$(call mem-set '{"domain": 0, "memkb": 1.5}')"
expect_error InvalidArgument "$(call create '{"config": 42}')"
expect_error InvalidArgument "$(call create '{"config": "", "overrides": [1]}')"
expect_error InvalidArgument "$(call create '{"config": "", "overrides": ["noequals"]}')"
expect_error InvalidArgument "$(call shutdown '{"domain": "x", "wait": "yes"}')"
expect_error InvalidArgument "$(printf '{"execute":"list","arguments":[1]}\n' | $XLDC raw "$S" | sed -n 2p)"
expect_error InvalidArgument "$(printf '{"execute":7}\n' | $XLDC raw "$S" | sed -n 2p)"
expect_error DomainNotFound "$(call domid '{"domain": "nosuchdomain"}')"
expect_error DomainNotFound "$(call domname '{"domain": 4000}')"
alive

# Invalid UTF-8 is not JSON.
expect_error ParseError "$(printf '{"execute":"info","id":"\xff\xfe"}\n' | $XLDC raw "$S" | sed -n 2p)"

# A request over 1 MiB: TooLarge, and the connection is closed (raw
# returns only when xld closes it).
out=$($PYTHON -c 'import sys; sys.stdout.write("{\"execute\":\"info\",\"x\":\"" + "a"*(1100*1024) + "\"}\n{\"execute\":\"info\"}\n")' \
      | timeout 20 $XLDC raw "$S")
[ "$(wc -l <<<"$out")" -eq 2 ] || fail "after TooLarge, more came: $(cut -c1-200 <<<"$out")"
expect_error TooLarge "$(sed -n 2p <<<"$out")"
# The same without a newline at all.
out=$($PYTHON -c 'import sys; sys.stdout.write("x"*(2*1024*1024))' | timeout 20 $XLDC raw "$S")
expect_error TooLarge "$(sed -n 2p <<<"$out")"
# Just under the limit is fine.
r=$($PYTHON -c 'import sys; sys.stdout.write("{\"execute\":\"info\",\"id\":\"" + "a"*(1000*1024) + "\"}\n")' \
    | timeout 20 $XLDC raw "$S" | sed -n 2p)
expect_ok "$r"
alive

# The read-only socket answers queries and refuses changes.
expect_ok "$(call_ro list)"
expect_ok "$(call_ro info)"
expect_ok "$(call_ro subscribe)"
expect_error PermissionDenied "$(call_ro create "{\"config\": $(config ro1 | json_str)}")"
expect_error PermissionDenied "$(call_ro destroy '{"domain": 0}')"
expect_error PermissionDenied "$(call_ro sim-inject '{"what": "crash", "domain": 0}')"
# Permission comes before the arguments: nothing leaks about them.
expect_error PermissionDenied "$(call_ro destroy)"
[ "$(domains)" = Domain-0 ] || fail "a domain appeared: $(domains)"

# A client that sends and leaves at once does not disturb xld.
pids=
for _ in $(seq 1 20); do
    printf '{"execute":"list"}\n{"execute":"info"}\n' | timeout 5 $XLDC raw "$S" >/dev/null &
    pids="$pids $!"
done
wait $pids
# A client that never reads its replies is dropped past 4 MiB queued,
# and the others are served meanwhile.
$PYTHON - "$S" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
req = b'{"execute":"list","id":"' + b"x" * 60000 + b'"}\n'
try:
    for _ in range(400):
        s.sendall(req)
except OSError:
    pass
time.sleep(3)
PY
reader=$!
sleep 1
alive
wait $reader
grep -q "dropping the client" "$TMP/xld.log" || fail "the slow client was not dropped"
alive

stop_xld
echo "t-01-protocol: ok"
