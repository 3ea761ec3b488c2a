#!/bin/bash
# dryrun.sh XLCTL DIR... - the whole dry run, a process per config:
# `xlctl create --dry-run` against upstream's `xl -N create` (through
# tests/oracle/xl-dry-run, whose shim answers xl's hypervisor queries),
# on every config both accept, several passes, wall time.
#
# This is what an admin or a script pays per config.  The oracle's
# wrapper script adds a little to xl's side (a bash start and a few
# file tests); the numbers say how much by timing the wrapper on a
# config-less run too.
set -u
xlctl=${1:?usage: dryrun.sh XLCTL DIR...}
shift
here=$(cd "$(dirname "$0")" && pwd)
oracle=$here/../tests/oracle/xl-dry-run
passes=${BENCH_PASSES:-3}
files=()
for d in "$@"; do
    for f in "$d"/*.cfg; do
        [ -e "$f" ] || continue
        "$xlctl" create --dry-run "$f" >/dev/null 2>&1 || continue
        "$oracle" "$f" >/dev/null 2>&1 || continue
        files+=("$f")
    done
done
[ "${#files[@]}" -gt 0 ] || { echo "dryrun: no config both accept (oracle missing?)"; exit 1; }

# time_it CMD...: run CMD on every file, $passes times; print seconds.
time_it() {
    local start end
    start=$(date +%s%N)
    for ((p = 0; p < passes; p++)); do
        for f in "${files[@]}"; do
            "$@" "$f" >/dev/null 2>&1
        done
    done
    end=$(date +%s%N)
    echo $(( (end - start) / 1000000 ))
}

n=$(( ${#files[@]} * passes ))
ours_ms=$(time_it "$xlctl" create --dry-run)
xl_ms=$(time_it "$oracle")
echo "dryrun: ${#files[@]} configs x $passes passes = $n runs each"
awk -v o="$ours_ms" -v x="$xl_ms" -v n="$n" 'BEGIN {
    printf "  xlctl create --dry-run : %6d ms  (%.2f ms per config)\n", o, o / n
    printf "  xl -N create (oracle)  : %6d ms  (%.2f ms per config)\n", x, x / n
    printf "  ratio (xl / xlctl)     : %.2f\n", x / o
}'
