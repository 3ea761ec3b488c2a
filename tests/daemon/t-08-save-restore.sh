#!/bin/bash
# save writes xl's own image format (the header `xl restore` reads, the
# config as libxl JSON), atomically; restore reads it back.
. "$(dirname "$0")/lib.sh"
start_xld
expect_ok "$(call create "{\"config\": $(config sv 256 | json_str), \"filename\": \"/etc/xen/sv.cfg\", \"overrides\": [\"vcpus=2\"]}")"
uuid=$(call list '{"domain":"sv"}' | get 'r["return"][0]["uuid"]')
expect_ok "$(call mem-set '{"domain":"sv","memkb":200000}')"

# Errors first.
expect_error InvalidArgument "$(call save '{"domain":"sv","path":"relative.img"}')"
expect_error InvalidArgument "$(call save '{"domain":0,"path":"/tmp/x"}')"
expect_error Failed "$(call save "{\"domain\":\"sv\",\"path\":\"$TMP/no/such/dir/x.img\"}")"
expect_error InvalidArgument "$(call restore '{"path":"relative.img"}')"
expect_error InvalidArgument "$(call restore "{\"path\":\"$TMP/missing.img\"}")"
printf 'not an image at all, not at all, not at all, really\n' >"$TMP/junk.img"
r=$(call restore "{\"path\":\"$TMP/junk.img\"}")
expect_error InvalidArgument "$r"
[[ "$r" == *"wrong magic"* ]] || fail "junk: $r"

# A save that fails leaves no image, not even a temporary one.
expect_ok "$(call sim-inject '{"what":"fail-next","value":2}')"
expect_error Failed "$(call save "{\"domain\":\"sv\",\"path\":\"$TMP/sv.img\"}")"
[ -e "$TMP/sv.img" ] && fail "an image after a failed save"
[ -e "$TMP/sv.img.tmp" ] && fail "a temporary image after a failed save"
[ "$(call list '{"domain":"sv"}' | get 'r["return"][0]["state"]')" = running ] || fail "sv after the failure"

# A checkpoint leaves the domain running.
expect_ok "$(call save "{\"domain\":\"sv\",\"path\":\"$TMP/cp.img\",\"checkpoint\":true}")"
[ -s "$TMP/cp.img" ] || fail "no checkpoint image"
[ "$(call list '{"domain":"sv"}' | get 'r["return"][0]["state"]')" = running ] || fail "sv after checkpoint"

# A slow save reports its progress to the client that asked.
expect_ok "$(call sim-inject '{"what":"save-ms-per-gib","value":6000}')"
$PYTHON - "$S" "$TMP/sv.img" >"$TMP/save.out" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
f.write(json.dumps({"execute": "save", "id": "s1",
                    "arguments": {"domain": "sv", "path": sys.argv[2]}}) + "\n")
f.flush()
while True:
    line = f.readline()
    print(line.strip())
    if "event" not in json.loads(line):
        break
PY
expect_ok "$(tail -1 "$TMP/save.out")"
grep -q '"event":"PROGRESS"' "$TMP/save.out" || fail "no progress: $(cat "$TMP/save.out")"
grep '"PROGRESS"' "$TMP/save.out" | head -1 | get 'r["data"]["id"] == "s1" and r["data"]["operation"] == "save" and r["data"]["domain"] == "sv"' \
    | grep -q true || fail "progress event: $(head -1 "$TMP/save.out")"
[ "$(grep -c PROGRESS "$TMP/save.out")" -le 12 ] || fail "too many progress events"
# Saved without checkpoint: the domain is gone, and so is its record.
expect_error DomainNotFound "$(call domid '{"domain":"sv"}')"
[ -z "$(ls "$TMP/state/domains")" ] || fail "record left"
[ -e "$TMP/sv.img.tmp" ] && fail "temporary image left"

# The header is xl's: what xl's restore reads, as it reads it.
$PYTHON - "$TMP/sv.img" "$uuid" <<'PY' || fail "the header is not xl's"
import json, struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:32] == b"Xen saved domain, xl format\n \0 \r", data[:32]
order, mandatory, optional, optlen = struct.unpack("=IIII", data[32:48])
assert order == 0x01020304, hex(order)
assert mandatory & 1, "no JSON flag"
assert mandatory & ~3 == 0, hex(mandatory)
assert optional == 0
opt = data[48:48 + optlen]
(clen,) = struct.unpack("=I", opt[:4])
config = opt[4:4 + clen]
assert config.endswith(b"\0"), "the config has no final NUL"
cfg = json.loads(config[:-1])
assert cfg["c_info"]["name"] == "sv", cfg["c_info"]
assert cfg["c_info"]["uuid"] == sys.argv[2], cfg["c_info"]
assert cfg["b_info"]["target_memkb"] == 200000, cfg["b_info"]
assert len(data) > 48 + optlen, "no stream after the header"
PY

# restore: the same domain again, with its config and overrides.
r=$(call restore "{\"path\":\"$TMP/sv.img\"}")
expect_ok "$r"
[ "$(get 'r["return"]["name"]' <<<"$r")" = sv ] || fail "restore: $r"
l=$(call list '{"domain":"sv"}')
[ "$(get 'r["return"][0]["uuid"]' <<<"$l")" = "$uuid" ] || fail "uuid after restore: $l"
[ "$(get 'r["return"][0]["vcpus"]' <<<"$l")" = 2 ] || fail "vcpus after restore: $l"
[ "$(get 'r["return"][0]["managed"]' <<<"$l")" = true ] || fail "managed after restore: $l"
c=$(call config '{"domain":"sv"}')
[ "$(get 'r["return"]["overrides"]' <<<"$c")" = '["vcpus=2"]' ] || fail "config after restore: $c"
# The image of a running domain cannot be restored twice.
expect_error AlreadyExists "$(call restore "{\"path\":\"$TMP/cp.img\"}")"
# A truncated image is refused before anything starts.
head -c 60 "$TMP/sv.img" >"$TMP/short.img"
expect_error InvalidArgument "$(call restore "{\"path\":\"$TMP/short.img\"}")"
expect_ok "$(call destroy '{"domain":"sv"}')"
r=$(call restore "{\"path\":\"$TMP/cp.img\",\"paused\":true}")
expect_ok "$r"
[ "$(call list '{"domain":"sv"}' | get 'r["return"][0]["state"]')" = paused ] || fail "restore --paused"
alive
stop_xld
echo "t-08-save-restore: ok"
