#!/bin/bash
# How xld starts, or refuses to: the backend choice, the options.
. "$(dirname "$0")/lib.sh"
run() {   # run ARGS...: xld with private paths; sets rc and out
    "$XLD" -f --socket="$TMP/s" --ro-socket="$TMP/ro" --state-dir="$TMP/state" "$@" \
        >"$TMP/out" 2>&1
    rc=$?
}
# --backend=libxl on a host without Xen is t-12's subject.
if [ ! -e /proc/xen/capabilities ] && [ ! -e /dev/xen/privcmd ]; then
    run
    [ "$rc" -eq 1 ] || fail "no backend on a host without Xen exited $rc"
    grep -q "pass --backend=sim" "$TMP/out" || fail "$(cat "$TMP/out")"
fi
run --backend=qemu
[ "$rc" -eq 1 ] || fail "unknown backend exited $rc"
run --no-such-option
[ "$rc" -eq 2 ] || fail "bad option exited $rc"
run extra-argument
[ "$rc" -eq 2 ] || fail "an argument exited $rc"
run --help
[ "$rc" -eq 0 ] && grep -q -- "--backend-options" "$TMP/out" || fail "--help: $(cat "$TMP/out")"
run --version
[ "$rc" -eq 0 ] && grep -q "^xld [0-9]" "$TMP/out" || fail "--version: $(cat "$TMP/out")"
[ -e "$TMP/s" ] && fail "a socket was made by a failed start"
# A regular file where the socket goes is not removed.
echo keep >"$TMP/s"
run --backend=sim --backend-options="dir=$TMP/sim"
[ "$rc" -eq 1 ] || fail "started over a regular file"
[ "$(cat "$TMP/s")" = keep ] || fail "the file was changed"
rm "$TMP/s"
# The sim's options reach it.
start_xld
stop_xld
XLD_PID=
"$XLD" --backend=sim -f --socket="$TMP/s" --ro-socket="$TMP/ro" --state-dir="$TMP/state" \
    --backend-options="dir=$TMP/sim3,cpus=3,memory=8192" >>"$TMP/xld.log" 2>&1 &
XLD_PID=$!
wait_for 10 test -S "$TMP/ro" || fail "xld did not start"
sleep 0.2
i=$(call info)
[ "$(get 'r["return"]["nr_cpus"]' <<<"$i")" = 3 ] || fail "info: $i"
[ "$(get 'r["return"]["total_memkb"]' <<<"$i")" = $((8192 * 1024)) ] || fail "info: $i"
stop_xld

# systemd hears READY=1 once the sockets listen, STOPPING=1 at the stop.
$PYTHON - "$TMP/notify" >"$TMP/notified" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
got = ""
while "STOPPING=1" not in got:
    got += s.recv(4096).decode() + "\n"
print(got)
PY
np=$!
wait_for 5 test -S "$TMP/notify" || fail "no notify socket"
NOTIFY_SOCKET=$TMP/notify start_xld
[ -S "$S" ] || fail "READY before the socket"
stop_xld
wait $np
grep -q "^READY=1" "$TMP/notified" || fail "no READY=1: $(cat "$TMP/notified")"
grep -q "^STATUS=.*domains" "$TMP/notified" || fail "no STATUS: $(cat "$TMP/notified")"
echo "t-11-startup: ok"
