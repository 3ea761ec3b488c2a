#!/bin/bash
# demo.sh - a short tour of xld (run from the build tree after make).
#
# It checks the sample configs, shows what one means to libxl, then
# starts xld on its simulated hypervisor (a private socket and state
# directory under a temporary directory: nothing on the host is touched)
# and drives it with xlctl: create, list, pause, memory, save and
# restore, a guest that crashes and is restarted by its on_crash
# action, and a kill -9 of xld after which every domain is found again.
set -u
srcdir=$(cd "$(dirname "$0")" && pwd)
xlctl=${XLCTL:-./cli/xlctl}
xld=${XLD:-./daemon/xld}
for b in "$xlctl" "$xld"; do
    [ -x "$b" ] || { echo "demo: build first (make), or set XLCTL/XLD" >&2; exit 1; }
done
ex=$srcdir/etc/examples
tmp=$(mktemp -d /tmp/xld-demo.XXXXXX)
xld_pid=
cleanup() {
    [ -n "$xld_pid" ] && kill "$xld_pid" 2>/dev/null && wait "$xld_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }

start_xld() {
    "$xld" --backend=sim -f --socket="$tmp/xld.sock" --ro-socket="$tmp/xld-ro.sock" \
        --state-dir="$tmp/state" --backend-options="dir=$tmp/sim" 2>>"$tmp/xld.log" &
    xld_pid=$!
    # Ready when it answers: after a kill -9, the old xld's socket file is
    # still there before the new one listens on it.
    for _ in $(seq 100); do
        XLD_SOCKET=$tmp/xld.sock "$xlctl" info >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    cat "$tmp/xld.log" >&2
    fail "xld did not start"
}

echo "== Configs, without a daemon"
step "$xlctl" config check "$ex"/*.cfg || fail "config check"
echo
echo "What a config means to libxl, exactly as 'xl -N create' prints it,"
echo "with a setting overridden on the command line (first lines):"
step "$xlctl" create --dry-run "$ex/pvh-web.cfg" memory=2048 | head -12
echo
echo "A broken config: every error, with its line and column, in one run:"
step "$xlctl" config check "$srcdir/tests/cfg/fail-many-errors.cfg"
[ $? -eq 1 ] || fail "a broken config was accepted"

echo
echo "== xld on the simulated hypervisor (socket $tmp/xld.sock)"
export XLD_SOCKET=$tmp/xld.sock
start_xld
step "$xlctl" create "$ex/pvh-web.cfg" || fail "create"
step "$xlctl" create "$ex/pv-minimal.cfg" 'on_crash="restart"' || fail "create"
step "$xlctl" create -p "$ex/pvh-router.cfg" || fail "create -p"
step "$xlctl" list || fail "list"
step "$xlctl" unpause router || fail "unpause"
step "$xlctl" mem-set web01 1536m || fail "mem-set"
step "$xlctl" save web01 "$tmp/web01.save" || fail "save"
ls -l "$tmp/web01.save"
step "$xlctl" restore "$tmp/web01.save" || fail "restore"
echo
echo "The guest pv-minimal crashes; its on_crash=\"restart\" makes xld create it again:"
step "$xlctl" sim-inject crash pv-minimal || fail "sim-inject"
sleep 1
step "$xlctl" list || fail "list"
echo
echo "kill -9 xld; the guests run on, and a new xld finds them all again:"
kill -9 "$xld_pid"
wait "$xld_pid" 2>/dev/null
xld_pid=
start_xld
step "$xlctl" list || fail "list after restart"
step "$xlctl" shutdown -w router || fail "shutdown -w"
step "$xlctl" uptime || fail "uptime"
echo
echo "demo: done"
