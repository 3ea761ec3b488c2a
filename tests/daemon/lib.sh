# lib.sh - what the daemon tests share; sourced by each t-*.sh.
#
# Each test gets a private folder ($TMP) for xld's sockets, its state
# directory and the simulated hypervisor, starts xld on the sim backend
# with start_xld, talks to it with call/raw/many (tests/daemon/xldc.py),
# and fails with fail.  xld runs as $XLD (daemon/xld, or daemon/xld-san
# under the sanitizers); a clean stop must exit 0, which under ASan also
# means that nothing leaked.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${XLD:=${XLD_BUILDDIR:-.}/daemon/xld}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/xld-test.XXXXXX")
S=$TMP/s
RO=$TMP/ro
XLD_PID=
# Debian's python3 when there is one: a version manager's shim costs
# most of a second per call, and the tests make hundreds.
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
XLDC="$PYTHON $HERE/xldc.py"

cleanup() {
    if [ -n "$XLD_PID" ] && kill -0 "$XLD_PID" 2>/dev/null; then
        kill -9 "$XLD_PID" 2>/dev/null
        wait "$XLD_PID" 2>/dev/null
    fi
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    if [ -f "$TMP/xld.log" ]; then
        echo "--- xld's log (last 30 lines):"
        tail -30 "$TMP/xld.log"
    fi
    exit 1
}

# start_xld [EXTRA OPTIONS...]: start xld and wait until it is ready
# (with $TMP/xl.conf as its xl.conf, so the host's /etc/xen/xl.conf
# changes nothing; a missing file means xl's defaults)
# (its "ready" line in the log: the socket files of an xld killed
# earlier are still there, so their presence says nothing).
start_xld() {
    local ready
    ready=$(grep -c "notice: ready:" "$TMP/xld.log" 2>/dev/null)
    "$XLD" --backend=sim -f -v --socket="$S" --ro-socket="$RO" \
        --state-dir="$TMP/state" --backend-options="dir=$TMP/sim,sync=0" \
        --xl-conf="$TMP/xl.conf" "$@" >>"$TMP/xld.log" 2>&1 &
    XLD_PID=$!
    for _ in $(seq 1 200); do
        [ "$(grep -c "notice: ready:" "$TMP/xld.log")" -gt "${ready:-0}" ] \
            && return 0
        kill -0 "$XLD_PID" 2>/dev/null || fail "xld exited at start"
        sleep 0.05
    done
    fail "xld did not listen within 10 s"
}

# stop_xld: SIGTERM, and xld must exit 0 (under ASan: without a leak).
stop_xld() {
    kill -TERM "$XLD_PID" || fail "xld is not running"
    wait "$XLD_PID"
    local rc=$?
    XLD_PID=
    [ "$rc" -eq 0 ] || fail "xld exited with $rc after SIGTERM"
}

# kill9_xld: xld dies as in a crash.
kill9_xld() {
    kill -9 "$XLD_PID"
    wait "$XLD_PID" 2>/dev/null
    XLD_PID=
}

# xld is still there and answers.
alive() {
    kill -0 "$XLD_PID" 2>/dev/null || fail "xld died"
    local r
    r=$(call info) || fail "no answer to info"
    [ "$(get 'r["return"]["backend"]' <<<"$r")" = sim ] \
        || fail "info after: $r"
}

# call COMMAND [ARGUMENTS-JSON]: one request on the admin socket.
call() {
    $XLDC call "$S" "$@"
}

# call_ro COMMAND [ARGUMENTS-JSON]: the same on the read-only socket.
call_ro() {
    $XLDC call "$RO" "$@"
}

# get EXPR < JSON: a value of a reply (r is the reply).
get() {
    $XLDC get "$1"
}

# expect_ok REPLY: the reply is a success.
expect_ok() {
    [ "$(get '"return" in r' <<<"$1")" = true ] || fail "expected success: $1"
}

# expect_error CLASS REPLY
expect_error() {
    local cls
    cls=$(get 'r.get("error", {}).get("class", "")' <<<"$2")
    [ "$cls" = "$1" ] || fail "expected error $1: $2"
}

# A small config for domain NAME: config NAME [MEMORY-MIB]
config() {
    printf 'name = "%s"\nmemory = %s\nvcpus = 1\nkernel = "/boot/vmlinuz"\n' \
        "$1" "${2:-128}"
}

# JSON string of stdin.
json_str() {
    $PYTHON -c 'import json,sys; print(json.dumps(sys.stdin.read()))'
}

# create NAME [MEMORY-MIB]: create a domain; prints the reply.
create() {
    call create "{\"config\": $(config "$1" "${2:-128}" | json_str), \"filename\": \"$1.cfg\"}"
}

# domains: the names in `list`, one per line, sorted.
domains() {
    call list | get '"\n".join(sorted(d["name"] for d in r["return"]))'
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
    local n=$(( $1 * 20 ))
    shift
    for _ in $(seq 1 "$n"); do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}
