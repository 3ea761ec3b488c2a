#!/bin/bash
# t-17-migrate.sh - live migration between two xld on the simulator (two
# sockets, two state dirs, two sim dirs: two hosts), with `-s ""` and a
# command that runs xlctl migrate-receive against the second one.  The
# domain leaves A and runs on B with its name, uuid and memory, and B's
# record drives it (a reboot on B restarts it there); a target that
# refuses (the name is taken, not enough memory), a transport that fails
# or dies midway, and a failing stream leave it running on A, unpaused,
# with nothing left behind on B; -p and -C.
. "$(dirname "$0")/cli-lib.sh"
start_xld
a_pid=$xld_pid

# Host B: a second xld with its own everything, and less memory.
bsock=$tmp/b.sock
mkdir -p "$tmp/b-state" "$tmp/b-sim"
"$XLD" --backend=sim -f --socket="$bsock" --ro-socket="$tmp/b-ro.sock" \
    --state-dir="$tmp/b-state" \
    --backend-options=dir="$tmp/b-sim",memory=6144,dom0-memory=4096 \
    --xl-conf="$tmp/xl.conf" >>"$tmp/b.log" 2>&1 &
b_pid=$!
trap 'kill "$b_pid" 2>/dev/null; wait "$b_pid" 2>/dev/null; cleanup' EXIT
if ! eventually 20 "$XLCTL" --socket "$bsock" list >/dev/null 2>&1; then
    echo "xld B did not start:"
    cat "$tmp/b.log"
    exit 1
fi
y() { "$XLCTL" --socket "$bsock" "$@"; }
brow() { y list | awk -v n="$1" '$1 == n'; }
bcol() { brow "$1" | awk -v c="$2" '{ print $c }'; }
bexists() { [ -n "$(brow "$1")" ]; }
bgone() { [ -z "$(brow "$1")" ]; }
bstate_is() { [ "$(bcol "$1" 5)" = "$2" ]; }
running() { [[ $(col "$1" 5) =~ ^[r-][b-]----$ ]]; }
brunning() { [[ $(bcol "$1" 5) =~ ^[r-][b-]----$ ]]; }
# The receiving command, as -s "" takes it: the whole command line.
recv="XLD_SOCKET=$bsock $XLCTL migrate-receive"

cfg web1 'on_reboot = "restart"'
x create -q "$tmp/web1.cfg"
check "web1 runs on A" eventually 10 exists web1
x mem-set web1 200
uuid=$(x list -v | awk '$1 == "web1" { print $7 }')
check "web1 has a uuid" [ -n "$uuid" ]
domid_a=$(col web1 2)

# The migration itself.
run x migrate -s "" web1 "$recv"
check "migrate exits 0" [ "$rc" -eq 0 ]
check "migrate prints nothing in a script" eval '[ ! -s "$tmp/out" ]'
check "web1 has left A" gone web1
check "no web1--migratedaway is left on A" gone web1--migratedaway
check "A keeps no record of web1" eval '[ -z "$(ls "$tmp/state/domains")" ]'
check "web1 runs on B" eventually 10 brunning web1
check "no web1--incoming is left on B" bgone web1--incoming
check "with its uuid" [ "$(y list -v | awk '$1 == "web1" { print $7 }')" = "$uuid" ]
check "with its memory" [ "$(bcol web1 3)" = 200 ]
check "with its vCPUs" [ "$(bcol web1 4)" = 2 ]
check "B has web1's record" eval 'grep -q "\"web1\"" "$tmp"/b-state/domains/*.json'
check "B has web1's config" eval 'y config show web1 | grep -q "^on_reboot = \"restart\""'
check "the transport's stderr is in A's log" grep -q "transport:" "$tmp/xld.log"

# B owns it now: a reboot is handled there.
old=$(bcol web1 2)
y reboot web1
check "a reboot on B restarts it there" eventually 10 eval '[ -n "$(bcol web1 2)" ] && [ "$(bcol web1 2)" != "$old" ] && brunning web1'

# Back to A, paused there (-p), with an ordinary option order.
recv_a="XLD_SOCKET=$sock $XLCTL migrate-receive"
run y migrate -p web1 -s "" "$recv_a"
check "migrate -p back to A exits 0" [ "$rc" -eq 0 ]
check "web1 left B" bgone web1
check "migrate -p leaves it paused on A" eventually 10 state_is web1 --p---
x unpause web1
check "it runs on A again" eventually 10 running web1

# The target refuses: a domain of that name runs there.
cfg web2
y create -q "$tmp/web2.cfg"
x create -q "$tmp/web2.cfg"
check "web2 runs on both" eventually 10 eval 'exists web2 && bexists web2'
domid2=$(col web2 2)
run x migrate -s "" web2 "$recv"
check "migrating onto a taken name exits 1" [ "$rc" -eq 1 ]
check "and says the target refused" grep -q "refused" "$tmp/err"
check "and why" grep -q "already exists" "$tmp/err"
check "web2 still runs on A, as it was" eval 'running web2 && [ "$(col web2 2)" = "$domid2" ]'
check "B has one web2 only, and no web2--incoming" eval '[ "$(y list | grep -c "^web2")" = 1 ]'
y destroy web2

# The target refuses: not enough memory there (B has 6 GiB, 4 for dom0).
cfg big 'memory = 3072' 'maxmem = 3072'
x create -q "$tmp/big.cfg"
check "big runs on A" eventually 10 exists big
run x migrate -s "" big "$recv"
check "migrating to a host without the memory exits 1" [ "$rc" -eq 1 ]
check "and says so" grep -qi "memory" "$tmp/err"
check "big still runs on A" running big
check "B has no big" eval 'bgone big && bgone big--incoming'
x destroy big

# The transport fails before it answers.
run x migrate -s "" web1 "echo nope >&2; exit 3"
check "a failing transport exits 1" [ "$rc" -eq 1 ]
check "and says what the transport said" grep -q "nope" "$tmp/err"
check "web1 still runs on A" running web1

# Something else answers.
run x migrate -s "" web1 "echo hello; cat >/dev/null"
check "a transport that is not migrate-receive exits 1" [ "$rc" -eq 1 ]
check "web1 still runs on A after it" running web1

# ssh's form, with a "ssh" of our own that runs the command locally.
cat >"$tmp/fakessh" <<EOF
#!/bin/sh
host=\$1; shift
[ "\$host" = hostb ] || { echo "fakessh: unknown host \$host" >&2; exit 255; }
XLD_SOCKET=$bsock exec sh -c "\$*"
EOF
chmod +x "$tmp/fakessh"
mkdir -p "$tmp/bin"
ln -sf "$XLCTL" "$tmp/bin/xlctl"
run env PATH="$tmp/bin:$PATH" "$XLCTL" --socket "$sock" migrate -s "$tmp/fakessh" web1 nohost
check "an unknown host exits 1" [ "$rc" -eq 1 ]
check "with ssh's message" grep -q "unknown host nohost" "$tmp/err"
check "web1 still runs on A after it too" running web1

# The transport dies midway: the stream is cut after 64 KiB.
x sim-inject save-ms-per-gib 4000
run x migrate -s "" web1 "stdbuf -o0 head -c 65536 | $recv"
check "a transport cut midway exits 1" [ "$rc" -eq 1 ]
check "web1 still runs on A, unpaused" eventually 5 running web1
check "B has no web1 and no web1--incoming" eval 'bgone web1 && bgone web1--incoming'
check "B keeps no record" eval '[ -z "$(ls "$tmp/b-state/domains")" ]'

# The stream fails on A's side: the guest resumes.
x sim-inject fail-next 2
run x migrate -s "" web1 "$recv"
check "a failing stream exits 1" [ "$rc" -eq 1 ]
check "web1 resumes on A" eventually 5 running web1
check "B has no web1 after it" eval 'bgone web1 && bgone web1--incoming'
x sim-inject save-ms-per-gib 200

# -C: the target gets another config (its on_poweroff here).
cfg web1-c 'on_poweroff = "preserve"'
sed -i 's/^name = .*/name = "web1"/' "$tmp/web1-c.cfg"
run x migrate -C "$tmp/web1-c.cfg" -s "" web1 "$recv"
check "migrate -C exits 0" [ "$rc" -eq 0 ]
check "web1 runs on B with -C's config" eval 'brunning web1 && y config show web1 | grep -q "^on_poweroff = \"preserve\""'
check "and its memory still" [ "$(bcol web1 3)" = 200 ]
check "web1 has left A again" gone web1

# Progress for a terminal: PROGRESS events come while the stream runs.
check "migrating an unknown domain exits 1" eval '! x migrate -s "" nosuch "$recv" 2>/dev/null'
check "migrate without a host is a usage error" eval 'x migrate web1 2>/dev/null; [ $? -eq 2 ]'
run y migrate-receive </dev/null
check "migrate-receive without a sender exits 1" [ "$rc" -eq 1 ]

# B stops (SIGTERM) while a domain comes in: A's guest runs on, B's
# stop frees what the receiver held (the sanitizer check below), and the
# next B destroys the copy that never took its name, and its record.
x sim-inject save-ms-per-gib 30000
x migrate -s "" web2 "$recv" >/dev/null 2>&1 &
mig=$!
check "web2--incoming appears on B" eventually 10 bexists web2--incoming
kill "$b_pid"
wait "$b_pid" 2>/dev/null
wait "$mig"
check "a migration whose target stopped exits 1" [ $? -eq 1 ]
check "web2 still runs on A" eventually 5 running web2
x sim-inject save-ms-per-gib 200
"$XLD" --backend=sim -f --socket="$bsock" --ro-socket="$tmp/b-ro.sock" \
    --state-dir="$tmp/b-state" \
    --backend-options=dir="$tmp/b-sim",memory=6144,dom0-memory=4096 \
    --xl-conf="$tmp/xl.conf" >>"$tmp/b.log" 2>&1 &
b_pid=$!
check "B starts again" eventually 20 eval 'y list >/dev/null 2>&1'
check "B has no web2--incoming after its restart" eventually 10 bgone web2--incoming
check "and no record of it" eventually 5 eval '! ls "$tmp/b-state/domains" | grep -q incoming'

check "xld A is still there" kill -0 "$a_pid"
check "xld B is still there" kill -0 "$b_pid"
for log in "$tmp/xld.log" "$tmp/b.log"; do
    if grep -Eq 'Sanitizer|runtime error:' "$log"; then
        bad "a sanitizer report in $log"
    fi
done
finish
