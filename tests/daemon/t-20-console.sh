#!/bin/bash
# t-20-console.sh - the simulator's guest consoles, and xlctl console on
# them, driven on a pseudo-terminal as an admin types (ptyrun.py): the
# boot lines, what is typed coming back, Ctrl-] leaving with status 0 and
# the terminal given back, the console shown again to the next client, a
# reboot's new boot, the console ending with its domain, a paused guest
# reading nothing until unpaused, save and restore, consoles that do not
# exist, an HVM guest's serial port, create -c, a guest whose console
# nobody reads, the read-only socket, and xld restarted.
. "$(dirname "$0")/cli-lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
start_xld
cfg web
x create -q "$tmp/web.cfg"
check "web is listed" eventually 10 exists web
id=$(col web 2)

# con ACTION... -- COMMAND...: COMMAND on a terminal (ptyrun.py's
# actions); what it showed is in $tmp/pty, its status in $rc.
con() { run "$PYTHON" "$HERE/ptyrun.py" --log "$tmp/pty" "$@"; }
# shown TEXT: the session showed TEXT (bytes as they are, line ends
# included).
shown() {
    "$PYTHON" -c 'import sys
sys.exit(sys.argv[1].encode() not in open(sys.argv[2], "rb").read())' \
        "$1" "$tmp/pty"
}
X="$XLCTL --socket $sock"

# ---- the boot, typing, leaving ----
con expect:'web login: ' send:'hello world\r' expect:'sim: web: hello world' \
    send:'\x1d' -- $X console web
check "console: Ctrl-] leaves with status 0, the terminal as it was" \
    [ "$rc" -eq 0 ]
check "the boot lines are shown" shown "Linux version 6.1.0-sim"
check "the kernel's banner: name, domid, memory and vcpus" \
    shown "Xen: pvh guest web, domid $id, 256 MiB, 2 vcpus"
check "the PV console's device" shown "console=hvc0"
check "the login prompt, and what was typed, echoed" \
    shown "web login: hello world"
check "the guest answers the line" \
    shown $'sim: web: hello world\r\nweb login: '

con expect:'sim: web: hello world' send:'x' expect:'x' send:'\x7f' \
    expect:$'\b \b' send:'abc\x1d' -- $X console web
check "Ctrl-] after other keys leaves too" [ "$rc" -eq 0 ]
check "the next client sees the log once" \
    [ "$(grep -c "Linux version" "$tmp/pty")" -eq 1 ]
check "a backspace is echoed as a terminal does" shown $'x\b \b'

con expect:'web login: ' signal:TERM -- $X console web
check "SIGTERM ends a session with 0, the terminal given back" [ "$rc" -eq 0 ]

# ---- a paused guest reads nothing until it runs ----
x pause web
con expect:'web login: ' send:'later\r' sleep:0.5 absent:'sim: web: later' \
    run:"$X unpause web" expect:'sim: web: later' send:'\x1d' -- $X console web
check "a paused guest answers once unpaused" [ "$rc" -eq 0 ]

# ---- a reboot: the console ends with the old domain; a new boot ----
con expect:'web login: ' run:"$X reboot web" \
    expect:'reboot: Restarting system' -- $X console web
check "a reboot ends the session, with 0" [ "$rc" -eq 0 ]
check "web restarts" eventually 10 \
    eval '[ -n "$(col web 2)" ] && [ "$(col web 2)" != "$id" ]'
id2=$(col web 2)
con expect:"domid $id2," expect:'web login: ' send:'\x1d' -- $X console web
check "after the reboot: a new boot banner" [ "$rc" -eq 0 ]
check "... and not the old domain's log" \
    [ "$(grep -c "Linux version" "$tmp/pty")" -eq 1 ]

# ---- consoles that do not exist, and unknown domains ----
run timeout 10 $X console -t serial web </dev/null
check "-t serial of a PVH guest: exit 1" [ "$rc" -eq 1 ]
check "... says why" grep -q "web has no serial console 0 (only an HVM guest \
has a serial port)" "$tmp/err"
run timeout 10 $X console -n 5 web </dev/null
check "-n 5: exit 1" [ "$rc" -eq 1 ]
check "... says why" grep -q "web has no pv console 5" "$tmp/err"
run timeout 10 $X console -t vuart web </dev/null
check "-t vuart: exit 1" [ "$rc" -eq 1 ]
run timeout 10 $X console nosuch </dev/null
check "an unknown domain: exit 1" [ "$rc" -eq 1 ]
check "... says which" grep -q "no domain 'nosuch'" "$tmp/err"
run timeout 10 $X console 0 </dev/null
check "Domain-0 has no console here: exit 1" [ "$rc" -eq 1 ]
run timeout 10 "$XLCTL" --socket "$ro" console web </dev/null
check "the read-only socket does not attach" [ "$rc" -eq 1 ]
check "... and says why" grep -q "read-only" "$tmp/err"

# ---- an HVM guest: its serial port, the primary console ----
printf 'name = "hvm1"\ntype = "hvm"\nmemory = 128\nvcpus = 1\n' \
    >"$tmp/hvm1.cfg"
x create -q "$tmp/hvm1.cfg"
check "hvm1 is listed" eventually 10 exists hvm1
con expect:'hvm1 login: ' send:'\x1d' -- $X console hvm1
check "an HVM guest's console (its serial port)" [ "$rc" -eq 0 ]
check "... where its kernel writes" shown "console=ttyS0"
check "... named by the banner" shown "hvm guest hvm1"
con expect:'hvm1 login: ' send:'\x1d' -- $X console -t serial hvm1
check "-t serial of an HVM guest attaches" [ "$rc" -eq 0 ]
con expect:'hvm1 login: ' send:'\x1d' -- $X console -t pv hvm1
check "-t pv of an HVM guest attaches" [ "$rc" -eq 0 ]
x destroy hvm1

# ---- create -c ----
cfg conweb
con expect:'conweb login: ' send:'\x1d' -- $X create -c "$tmp/conweb.cfg"
check "create -c attaches, and leaves with 0" [ "$rc" -eq 0 ]
check "create -c shows the boot banner" shown "Xen: pvh guest conweb"
check "create -c created the domain" exists conweb
cfg conp
con sleep:0.5 absent:'Linux version' run:"$X unpause conp" \
    expect:'conp login: ' send:'\x1d' -- $X create -p -c "$tmp/conp.cfg"
check "create -p -c: the guest boots once unpaused" [ "$rc" -eq 0 ]

# ---- the console ends with its domain ----
con expect:'conweb login: ' run:"$X shutdown conweb" \
    expect:'reboot: Power down' -- $X console conweb
check "a poweroff ends the session, with 0" [ "$rc" -eq 0 ]
check "conweb is gone" eventually 10 gone conweb
con expect:'conp login: ' run:"$X destroy conp" -- $X console conp
check "destroy ends the session, with 0" [ "$rc" -eq 0 ]

# ---- save and restore ----
x save web "$tmp/web.img"
check "web is saved" gone web
x restore "$tmp/web.img"
check "web is restored" eventually 10 exists web
con expect:'restored' expect:'web login: ' send:'back\r' \
    expect:'sim: web: back' send:'\x1d' -- $X console web
check "the restored guest says so, and answers" [ "$rc" -eq 0 ]

# ---- nobody reads: the guest runs on, xld answers ----
tty=$("$PYTHON" "$HERE/xldc.py" call "$sock" console '{"domain": "web"}' |
    "$PYTHON" "$HERE/xldc.py" get 'r["return"]["tty"]')
backend=$("$PYTHON" "$HERE/xldc.py" call "$sock" console '{"domain": "web"}' |
    "$PYTHON" "$HERE/xldc.py" get 'r["return"]["backend"]')
check "the reply names the tty" eval '[[ "$tty" == /dev/pts/* ]]'
check "the reply names the backend" [ "$backend" = sim ]
# Three seconds of input, its echo never read.
"$PYTHON" - "$tty" <<'EOF' &
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
line = b"y" * 200 + b"\r"
end = time.monotonic() + 3
while time.monotonic() < end:
    try:
        os.write(fd, line * 20)
    except BlockingIOError:
        time.sleep(0.001)
os.close(fd)
EOF
flood=$!
slow=0
for _ in $(seq 1 10); do
    timeout 2 $X list >/dev/null || slow=$((slow + 1))
    sleep 0.2
done
wait "$flood"
check "xld answers while a console is flooded" [ "$slow" -eq 0 ]
check "the guest runs on" eval '[[ "$(col web 5)" =~ ^[rb-]+$ ]]'
con flood:1000000 send:'\x1d' -- $X console web
check "a flood from xlctl's terminal: Ctrl-] still leaves" [ "$rc" -eq 0 ]
con expect:'web login: ' send:'still\r' expect:'sim: web: still' \
    send:'\x1d' -- $X console web
check "then the guest still answers" [ "$rc" -eq 0 ]

# stop_clean: SIGTERM; xld must exit 0 (under ASan: nothing leaked, the
# consoles' ptys and logs included) and without a sanitizer's report.
stop_clean() {
    kill "$xld_pid"
    wait "$xld_pid"
    local xrc=$?
    xld_pid=
    check "xld stops cleanly (status $xrc)" [ "$xrc" -eq 0 ]
    check "xld's log has no sanitizer report" \
        eval '! grep -Eq "Sanitizer|runtime error:" "$tmp/xld.log"'
}

# ---- xld restarted: the tty is new, the guest answers ----
stop_clean
start_xld
con send:'again\r' expect:'sim: web: again' send:'\x1d' -- $X console web
check "after xld restarts, the console works" [ "$rc" -eq 0 ]
stop_clean
finish
