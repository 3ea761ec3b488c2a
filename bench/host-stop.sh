#!/bin/bash
# host-stop.sh - wall time of `xlctl host stop` with N domains (xld saves
# them several at a time) against the same work done one domain at a
# time, as upstream's xendomains does (one `save` after the other), and
# of `xlctl host start` against one `restore` after the other.
#
#   bench/host-stop.sh [XLD [XLCTL]]
#
# Environment: BENCH_DOMAINS (50), BENCH_MEMORY (MiB a domain, 1024),
# BENCH_SAVE_MS_PER_GIB (2000: 512 MiB/s a save stream),
# BENCH_RESTORE_MS_PER_GIB (1000), BENCH_PARALLEL ("1 4 8 16 50").
# Runs on the simulated hypervisor in a temporary folder.
set -u
XLD=${1:-daemon/xld}
XLCTL=${2:-cli/xlctl}
N=${BENCH_DOMAINS:-50}
MEM=${BENCH_MEMORY:-1024}
SAVE_MS=${BENCH_SAVE_MS_PER_GIB:-2000}
RESTORE_MS=${BENCH_RESTORE_MS_PER_GIB:-1000}
PARALLEL=${BENCH_PARALLEL:-1 4 8 16 50}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xld-bench.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
x() { "$XLCTL" --socket "$tmp/s" "$@"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

settings() {
    printf 'XENDOMAINS_SAVE=%s\nXENDOMAINS_AUTO=%s\nXENDOMAINS_PARALLEL=%s\n' \
        "$tmp/save" "$tmp/auto" "$1" >"$tmp/xendomains"
    echo "XENDOMAINS_STOP_MAXWAIT=3600" >>"$tmp/xendomains"
}

settings 8
"$XLD" --backend=sim -f --socket="$tmp/s" --ro-socket="$tmp/ro" \
    --state-dir="$tmp/state" --backend-options="dir=$tmp/sim,sync=0" \
    --xendomains-file="$tmp/xendomains" >"$tmp/xld.log" 2>&1 &
pid=$!
for _ in $(seq 100); do x list >/dev/null 2>&1 && break; sleep 0.05; done
x sim-inject save-ms-per-gib "$SAVE_MS"
x sim-inject restore-ms-per-gib "$RESTORE_MS"

make_domains() {
    for i in $(seq 1 "$N"); do
        printf 'name = "b%s"\ntype = "pvh"\nkernel = "/boot/vmlinuz"\nmemory = %s\n' \
            "$i" "$MEM" >"$tmp/b$i.cfg"
        x create -q "$tmp/b$i.cfg" || exit 1
    done
}

echo "host stop and start of $N domains of $MEM MiB (sim: save $SAVE_MS ms/GiB,"
echo "restore $RESTORE_MS ms/GiB a stream)"
printf '%-44s %10s\n' "what" "seconds"

# Upstream's way: one save after the other, then one restore after the other.
make_domains
mkdir -p "$tmp/save"
t0=$(now)
for i in $(seq 1 "$N"); do x save "b$i" "$tmp/save/b$i" || exit 1; done
t1=$(now)
printf '%-44s %10s\n' "one save at a time (as xendomains)" "$(secs "$t0" "$t1")"
t0=$(now)
for i in $(seq 1 "$N"); do
    x restore "$tmp/save/b$i" || exit 1
    rm -f "$tmp/save/b$i"
done
t1=$(now)
printf '%-44s %10s\n' "one restore at a time (as xendomains)" "$(secs "$t0" "$t1")"

for p in $PARALLEL; do
    settings "$p"
    t0=$(now)
    x host stop -q || exit 1
    t1=$(now)
    printf '%-44s %10s\n' "xlctl host stop, XENDOMAINS_PARALLEL=$p" "$(secs "$t0" "$t1")"
    t0=$(now)
    x host start -q || exit 1
    t1=$(now)
    printf '%-44s %10s\n' "xlctl host start, XENDOMAINS_PARALLEL=$p" "$(secs "$t0" "$t1")"
done
