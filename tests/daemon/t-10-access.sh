#!/bin/bash
# Who may use which socket: the modes and group of the socket files, and
# xld's own check of every client (SO_PEERCRED), which holds even when
# the file's mode would let anyone in.  Needs root and setpriv.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
    echo "t-10-access: skipped (needs root and setpriv)"
    exit 0
fi
# A group for the admins, by number: no need to add one to the system.
GID=4242
start_xld --group=$GID
[ "$(stat -c '%a %g' "$S")" = "660 $GID" ] || fail "admin socket: $(stat -c '%a %g' "$S")"
[ "$(stat -c '%a' "$RO")" = 666 ] || fail "ro socket: $(stat -c '%a' "$RO")"
chmod 755 "$TMP"

as() {   # as GROUPS COMMAND...: run as nobody with these groups
    local groups=$1
    shift
    if [ -n "$groups" ]; then
        setpriv --reuid=65534 --regid=65534 --groups="$groups" "$@"
    else
        setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
    fi
}

# nobody may use the read-only socket.
r=$(as "" $XLDC call "$RO" list)
expect_ok "$r"
expect_error PermissionDenied "$(as "" $XLDC call "$RO" create '{"config":""}')"

# A member of the admin group (supplementary) may use the admin socket.
r=$(as "$GID" $XLDC call "$S" create "{\"config\": $(config grp | json_str)}")
expect_ok "$r"

# Opened to all by mistake, the admin socket still refuses others: the
# greeting is an error, and the connection is closed.
chmod 666 "$S"
out=$(printf '{"execute":"destroy","arguments":{"domain":"grp"}}\n' | as "" $XLDC raw "$S")
expect_error PermissionDenied "$(sed -n 1p <<<"$out")"
[ "$(wc -l <<<"$out")" -eq 1 ] || fail "a refused client got more: $out"
grep -q "refused on the admin socket" "$TMP/xld.log" || fail "no log of the refusal"
[ "$(domains)" = "$(printf 'Domain-0\ngrp')" ] || fail "domains: $(domains)"
alive
stop_xld

# --group names a group that does not exist: xld refuses to start.
"$XLD" --backend=sim -f --socket="$TMP/s2" --ro-socket="$TMP/ro2" --group=no-such-group-xld \
    --state-dir="$TMP/state2" --backend-options="dir=$TMP/sim2" >"$TMP/bad.log" 2>&1 \
    && fail "started with an unknown group"
grep -q "no group 'no-such-group-xld'" "$TMP/bad.log" || fail "$(cat "$TMP/bad.log")"
echo "t-10-access: ok"
