#!/bin/bash
# t-65-host-stop-migrate.sh - host stop with XENDOMAINS_MIGRATE migrates
# every domain first, as upstream's xendomains runs `xl migrate ID
# $XENDOMAINS_MIGRATE`: to a second xld on the simulator here; a domain
# the target refuses is saved instead, as when the migration fails.
. "$(dirname "$0")/cli-lib.sh"
. "$(dirname "$0")/host-lib.sh"
bsock=$tmp/b.sock
mkdir -p "$tmp/b-state" "$tmp/b-sim"
"$XLD" --backend=sim -f --socket="$bsock" --ro-socket="$tmp/b-ro.sock" \
    --state-dir="$tmp/b-state" --backend-options=dir="$tmp/b-sim" \
    --xl-conf="$tmp/xl.conf" >>"$tmp/b.log" 2>&1 &
b_pid=$!
trap 'kill "$b_pid" 2>/dev/null; wait "$b_pid" 2>/dev/null; cleanup' EXIT
y() { "$XLCTL" --socket "$bsock" "$@"; }
bguests() { y list | awk 'NR > 1 && $1 != "Domain-0" { print $1 }' | sort; }
# The setting as an admin would write it, quotes and all.
xendomains "XENDOMAINS_MIGRATE=\"-s '' 'XLD_SOCKET=$bsock $XLCTL migrate-receive' --live\""
start_host_xld
if ! eventually 20 y list >/dev/null 2>&1; then
    echo "xld B did not start:"
    cat "$tmp/b.log"
    exit 1
fi
cfg m1; x create -q "$tmp/m1.cfg"
cfg m2; x create -q "$tmp/m2.cfg"
cfg m3; x create -q "$tmp/m3.cfg"
y create -q "$tmp/m3.cfg"
check "three guests run on A, m3 on B too" eventually 10 eval '[ "$(nguests)" -eq 3 ] && [ "$(bguests)" = m3 ]'
x mem-set m1 200

run x host stop
check "host stop exits 0" [ "$rc" -eq 0 ]
check "m1 and m2 were migrated" [ "$(grep -c ': migrated: migrated to ' "$tmp/out")" -eq 2 ]
check "m3, refused by the target, was saved instead" grep -q '^m3: saved' "$tmp/out"
check "and the log says why" grep -q "m3: migrating it to .* failed (.*already exists.*); saved instead" "$tmp/xld.log"
check "no guest is left on A" eventually 5 eval '[ "$(nguests)" -eq 0 ]'
check "m1 and m2 run on B" eval '[ "$(bguests | tr "\n" " ")" = "m1 m2 m3 " ]'
check "m1 kept its memory" [ "$(y list | awk '$1 == "m1" { print $3 }')" = 200 ]
check "m3's image is in the save folder" [ -s "$save/m3" ]
check "B's log has no sanitizer report" eval '! grep -Eq "Sanitizer|runtime error:" "$tmp/b.log"'
finish_host
