#!/bin/bash
# 100 domains created and destroyed concurrently by four clients, each
# sending its 25 requests at once: every reply comes, every domain is
# there once, each with its record, and none is left after.
. "$(dirname "$0")/lib.sh"
start_xld
# Creates take a while, so that they overlap for real.
expect_ok "$(call sim-inject '{"what":"create-ms","value":100}')"
expect_ok "$(call sim-inject '{"what":"destroy-ms","value":50}')"

requests() {   # requests VERB CLIENT
    $PYTHON - "$1" "$2" <<'PY'
import json, sys
verb, client = sys.argv[1], sys.argv[2]
for i in range(1, 26):
    name = "c%s-d%d" % (client, i)
    if verb == "create":
        cfg = 'name = "%s"\nmemory = 64\nvcpus = 1\nkernel = "/boot/vmlinuz"\n' % name
        args = {"config": cfg, "filename": name + ".cfg"}
    else:
        args = {"domain": name}
    print(json.dumps({"execute": verb, "id": i, "arguments": args}))
PY
}

for verb in create destroy; do
    pids=
    for c in 1 2 3 4; do
        requests "$verb" "$c" >"$TMP/req.$c"
        $XLDC many "$S" <"$TMP/req.$c" >"$TMP/rep.$verb.$c" &
        pids="$pids $!"
    done
    # A reader meanwhile is never kept waiting by the operations.
    start=$(date +%s%N)
    expect_ok "$(call_ro list)"
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    [ "$ms" -lt 2000 ] || fail "list took $ms ms during the ${verb}s"
    wait $pids
    for c in 1 2 3 4; do
        $PYTHON -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 25, "%d replies" % len(lines)
for l in lines:
    assert "return" in json.loads(l), l
' "$TMP/rep.$verb.$c" || fail "client $c: $(head -3 "$TMP/rep.$verb.$c")"
    done
    if [ "$verb" = create ]; then
        n=$(call list | get 'len([d for d in r["return"] if d["managed"]])')
        [ "$n" -eq 100 ] || fail "$n managed domains"
        n=$(call list | get 'len(set(d["domid"] for d in r["return"]))')
        [ "$n" -eq 101 ] || fail "$n distinct domids"
        [ "$(ls "$TMP/state/domains" | grep -c '\.json$')" -eq 100 ] || fail "records"
    fi
done
[ "$(domains)" = Domain-0 ] || fail "left: $(domains | head)"
[ -z "$(ls "$TMP/state/domains")" ] || fail "records left"
alive
stop_xld
echo "t-04-concurrent: ok"
