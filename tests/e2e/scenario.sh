#!/bin/bash
# scenario.sh - xld's end-to-end scenario, run inside the test's dom0 on a
# real Xen 4.17 (see README.md; dom0-init runs it once the toolstack is up).
#
#   scenario.sh            every step in /etc/e2e/steps (default 1 to 12)
#   scenario.sh step N     one step (what the first form runs, each step in
#                          a process of its own, under its own time limit)
#
# Each step prints "E2E-STEP N NAME: PASS|FAIL (SECONDS s)" and, when it
# fails, "E2E-FAIL N: WHY" lines.  A step checks the hypervisor's own view
# (upstream xl list, xenstore), not only what xld says; after every step
# the driver checks that no domain leaked, that no process crashed in dom0
# (the kernel logs every segfault) and that xld still runs.  The last line
# is "E2E-RESULT: PASS|FAIL".
#
# The steps share no guest: each creates what it needs and destroys it,
# so that one failing step does not take the others with it.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

CFG=/etc/e2e/cfg
CONLOG=/var/log/xen/console
XLD_LOG=/var/log/xld.log
XLD_PID_FILE=/run/e2e-xld.pid
IMAGES=/srv/e2e
SAVE=/var/lib/xen/save
AUTO=/etc/xen/auto
STEP_LIMIT=300

# ---- helpers -------------------------------------------------------------

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
log() { echo "  [step ${STEP:-?}] $*"; }
fail() {
    echo "E2E-FAIL ${STEP:-?}: $*"
    exit 1
}
# flag: a failure after which the step can go on checking; the step then
# fails at its end (see "step N" below).
flag() {
    echo "E2E-FAIL ${STEP:-?}: $*"
    touch /tmp/e2e-flagged
}

# wait_for SECONDS COMMAND...: run COMMAND every half second until it
# succeeds; fail if it never does.
wait_for() {
    local limit=$1 t0=$SECONDS
    shift
    until "$@"; do
        ((SECONDS - t0 < limit)) || return 1
        sleep 0.5
    done
}

# The hypervisor's view, from upstream xl.
xl_id() { xl domid "$1" 2>/dev/null; }
xl_has() { xl domid "$1" >/dev/null 2>&1; }
xl_gone() { ! xl_has "$1"; }
# xl_col NAME N: column N of xl list's line of NAME (3 Mem, 4 VCPUs, 5 State).
xl_col() { xl list "$1" 2>/dev/null | awk -v n="$2" 'NR == 2 {print $n}'; }
xl_uuid() { xl list -v "$1" 2>/dev/null | awk 'NR == 2 {print $7}'; }
xl_count() { xl list 2>/dev/null | awk -v n="$1" '$1 == n' | wc -l; }

# What xld says, from its JSON list.
xld_field() {
    xlctl list --json 2>/dev/null |
        jq -r --arg n "$1" --arg f "$2" '.[] | select(.name == $n) | .[$f] | tostring'
}

# xenstore's view: a live domain has its name there; a gone one has no
# /local/domain/ID at all.
xs_name() { xenstore-read "/local/domain/$1/name" 2>/dev/null; }
xs_gone() { ! xenstore-exists "/local/domain/$1" 2>/dev/null; }

# lists_agree: xlctl list and xl list show the same domains with the same
# name, id, memory and vCPUs (the state and time columns move on their own).
lists_agree() {
    local a b
    a=$(xl list | awk 'NR > 1 {print $1, $2, $3, $4}' | sort)
    b=$(xlctl list | awk 'NR > 1 {print $1, $2, $3, $4}' | sort)
    [ "$a" = "$b" ] && return 0
    log "xl list and xlctl list differ:"
    diff <(echo "$a") <(echo "$b") | sed 's/^/    /'
    return 1
}

# The guest's console, as xenconsoled logs it (appended across restarts).
glog() { echo "$CONLOG/guest-$1.log"; }
# marks NAME WHAT: how many "E2E-GUEST: WHAT" lines NAME has printed.
marks() { grep -c "E2E-GUEST: $2 " "$(glog "$1")" 2>/dev/null || true; }
marks_reach() { [ "$(marks "$1" "$2")" -ge "$3" ]; }
# last_boot NAME WHAT: the boot id of the last such line.
last_boot() { grep "E2E-GUEST: $2 " "$(glog "$1")" 2>/dev/null | tail -1 | sed 's/.* boot=//; s/[^0-9a-f-]//g'; }

# wait_ready NAME COUNT: wait until NAME has booted COUNT times.
wait_ready() {
    wait_for 120 marks_reach "$1" READY "$2" ||
        { tail -15 "$(glog "$1")" 2>/dev/null | sed 's/^/    console: /'; fail "$1 did not print its READY marker (boot $2)"; }
}

# tell NAME COMMAND: type COMMAND on NAME's console.  xenconsoled keeps
# the pty's other end open, so a write to it reaches the guest whether or
# not a console client is attached.
tell() {
    local id tty
    id=$(xl_id "$1") || fail "tell $1 $2: no such domain"
    tty=$(xenstore-read "/local/domain/$id/console/tty") || fail "$1 has no console tty in xenstore"
    # (under a time limit: a write to a tty can block, and a stuck step
    # should say so rather than wait for its deadline)
    timeout 10 bash -c 'printf "%s\n" "$1" >"$2"' _ "$2" "$tty" || fail "typing '$2' on $1's console ($tty) failed"
}

# ping NAME: the guest answers on its console; prints its boot id (the
# same one as before a save, a restore or an xld restart: it ran on).
ping_guest() {
    local n
    n=$(marks "$1" pong)
    tell "$1" ping
    wait_for 30 marks_reach "$1" pong $((n + 1)) || fail "$1 does not answer on its console"
    last_boot "$1" pong
}

start_xld() {
    setsid xld -f >>"$XLD_LOG" 2>&1 </dev/null &
    echo $! >"$XLD_PID_FILE"
    wait_for 60 xlctl info >/dev/null 2>&1 || fail "xld did not answer within 60 s of its start"
}
xld_pid() { cat "$XLD_PID_FILE" 2>/dev/null; }
xld_alive() { local p; p=$(xld_pid) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# fresh_log NAME: a domain about to be created starts a new console log,
# so that counting its markers counts this create's boots only.
# (xenconsoled opens the file when the domain appears.)
fresh_log() { xl_has "$1" || rm -f "$(glog "$1")"; }

# create NAME: xlctl create from the test config.
create() {
    local t0
    fresh_log "$1"
    t0=$(now)
    xlctl create "$CFG/$1.cfg" >/tmp/create.out 2>&1 || { sed 's/^/    /' /tmp/create.out; fail "xlctl create $1 failed"; }
    log "xlctl create $1: $(since "$t0") s, domid $(xl_id "$1")"
    xl_has "$1" || fail "xlctl create $1 succeeded but xl list does not show it"
    [ "$(xld_field "$1" managed)" = true ] || fail "xlctl list does not show $1 as managed"
}

# gone NAME ID: the domain is gone from xl list and from xenstore.
check_gone() {
    wait_for 30 xl_gone "$1" || fail "$1 is still in xl list: $(xl list "$1" | tail -1)"
    [ -z "${2:-}" ] || wait_for 30 xs_gone "$2" || fail "xenstore still has /local/domain/$2 ($1)"
}

is_image() { [ "$(head -c 16 "$1" 2>/dev/null)" = "Xen saved domain" ]; }

# ---- the steps -------------------------------------------------------------

# 1. xld starts on the libxl backend, by default, and sees the real host.
step_1() {
    [ -e /dev/xen/privcmd ] || fail "no /dev/xen/privcmd: this dom0 does not run on Xen"
    start_xld
    xlctl info >/tmp/info.out || fail "xlctl info failed"
    xl info >/tmp/xlinfo.out || fail "xl info failed"
    sed 's/^/    /' /tmp/info.out
    grep -Eq '^backend +: libxl$' /tmp/info.out || fail "xld's backend is not libxl"
    local k a b
    for k in xen_version nr_cpus total_memory nr_nodes; do
        a=$(awk -F': ' -v k="$k" '$1 ~ "^"k" *$" {print $2}' /tmp/xlinfo.out)
        b=$(awk -F': ' -v k="$k" '$1 ~ "^"k" *$" {print $2}' /tmp/info.out)
        log "$k: xl '$a', xlctl '$b'"
        [ -n "$a" ] && [ "$a" = "$b" ] || flag "xlctl info's $k '$b' is not xl info's '$a'"
    done
    case $(awk -F': ' '$1 ~ /^xen_version/ {print $2}' /tmp/info.out) in
        4.17*) ;;
        *) fail "this is not Xen 4.17" ;;
    esac
    [ -S /run/xld/xld.sock ] || fail "no admin socket at /run/xld/xld.sock"
    lists_agree || fail "xlctl list and xl list disagree"
    xlctl list | sed 's/^/    /'
}

# 2. Create a guest; its console; both lists agree.
step_2() {
    create e2e1
    wait_ready e2e1 1
    local id
    id=$(xl_id e2e1)
    [ "$(xlctl domid e2e1)" = "$id" ] || fail "xlctl domid e2e1 is not xl's $id"
    [ "$(xs_name "$id")" = e2e1 ] || fail "xenstore's /local/domain/$id/name is not e2e1"
    xenstore-ls "/local/domain/$id/device/vif" >/dev/null 2>&1 || fail "e2e1 has no vif in xenstore"
    ip link show "vif$id.0" >/dev/null 2>&1 || fail "no vif$id.0 in dom0 (the hotplug script did not run)"
    [ "$(xl_col e2e1 3)" = 128 ] && [ "$(xl_col e2e1 4)" = 1 ] ||
        fail "xl list shows e2e1 with $(xl_col e2e1 3) MiB and $(xl_col e2e1 4) vCPUs, not 128 and 1"
    lists_agree || fail "xlctl list and xl list disagree"
    # xlctl console execs xenconsole, which wants a terminal: script gives
    # it one.  It is sent "ping" and then Ctrl-] (which leaves).
    local before
    before=$(marks e2e1 pong)
    { sleep 3; printf 'ping\r'; sleep 5; printf '\035'; } |
        timeout 40 script -qfec "xlctl console e2e1" /tmp/console.out >/dev/null 2>&1
    local rc=$?
    tr -d '\r' </tmp/console.out | grep 'E2E-GUEST' | sed 's/^/    console: /'
    grep -q 'E2E-GUEST: pong name=e2e1' /tmp/console.out ||
        fail "xlctl console did not show the guest's answer (status $rc)"
    marks_reach e2e1 pong $((before + 1)) || fail "the guest did not get the ping typed into xlctl console"
    [ $rc = 0 ] || fail "xlctl console exited with $rc after Ctrl-]"
    # Step 3 shuts this guest down.
    echo e2e1 >/run/e2e-handover
}

# 3. A clean shutdown, and on_poweroff="destroy".
step_3() {
    xl_has e2e1 || create e2e1
    wait_ready e2e1 1
    local id t0
    id=$(xl_id e2e1)
    t0=$(now)
    timeout 120 xlctl shutdown -w e2e1 || fail "xlctl shutdown -w e2e1 failed"
    log "xlctl shutdown -w: $(since "$t0") s"
    marks_reach e2e1 poweroff-requested 1 || fail "the guest never saw the poweroff request"
    check_gone e2e1 "$id"
    [ -z "$(xld_field e2e1 name)" ] || fail "xlctl list still shows e2e1"
    ip link show "vif$id.0" >/dev/null 2>&1 && fail "vif$id.0 is still in dom0"
    xenstore-exists "/local/domain/0/backend/vif/$id" 2>/dev/null && fail "the vif backend of domain $id is still in xenstore"
    return 0
}

# 4. on_reboot="restart"; on_crash restart, preserve and destroy.
step_4() {
    local g
    for g in e2e2 e2e3 e2e4; do create $g; done
    for g in e2e2 e2e3 e2e4; do wait_ready $g 1; done
    local id1 uuid boot1 id2 boot2 id3
    id1=$(xl_id e2e2) uuid=$(xl_uuid e2e2) boot1=$(last_boot e2e2 READY)

    # The guest reboots itself: xld makes a new domain, same name and uuid.
    tell e2e2 reboot
    wait_for 60 eval '[ -n "$(xl_id e2e2)" ] && [ "$(xl_id e2e2)" != "$id1" ]' ||
        fail "e2e2 was not restarted after its reboot (xl list: $(xl list e2e2 2>&1 | tail -1))"
    wait_ready e2e2 2
    id2=$(xl_id e2e2) boot2=$(last_boot e2e2 READY)
    log "e2e2 rebooted: domid $id1 -> $id2"
    [ "$boot2" != "$boot1" ] || fail "e2e2's second READY has the first boot's id"
    [ "$(xl_uuid e2e2)" = "$uuid" ] || fail "e2e2's uuid changed on restart"
    [ "$(xl_col e2e2 3)" = 128 ] && [ "$(xl_col e2e2 4)" = 1 ] || fail "e2e2 came back with another config"
    xs_gone "$id1" || fail "the old domain $id1 is still in xenstore"
    [ "$(xl_count e2e2)" = 1 ] || fail "xl list shows $(xl_count e2e2) domains named e2e2"
    [ "$(xld_field e2e2 domid)" = "$id2" ] || fail "xlctl list does not show e2e2 as domain $id2"

    # It crashes: on_crash="restart".
    tell e2e2 crash
    wait_for 60 eval '[ -n "$(xl_id e2e2)" ] && [ "$(xl_id e2e2)" != "$id2" ]' ||
        fail "e2e2 was not restarted after its crash"
    wait_ready e2e2 3
    log "e2e2 crashed: domid $id2 -> $(xl_id e2e2)"
    [ "$(xl_count e2e2)" = 1 ] || fail "xl list shows $(xl_count e2e2) domains named e2e2"

    # on_crash="preserve": the crashed domain stays, as xl shows it.
    id3=$(xl_id e2e3)
    tell e2e3 crash
    wait_for 60 eval '[[ "$(xl_col e2e3 5)" == *c* ]]' ||
        fail "e2e3 is not shown crashed by xl list: $(xl list e2e3 2>&1 | tail -1)"
    sleep 2
    [ "$(xl_id e2e3)" = "$id3" ] || fail "e2e3 (preserve) was restarted or destroyed"
    [[ "$(xl_col e2e3 5)" == *c* ]] || fail "e2e3 (preserve) did not stay crashed"
    [ "$(xld_field e2e3 held)" = preserve ] || log "note: xlctl list --json shows e2e3 held=$(xld_field e2e3 held)"
    xlctl destroy e2e3 || fail "xlctl destroy e2e3 failed"
    check_gone e2e3 "$id3"

    # on_crash="destroy".
    id3=$(xl_id e2e4)
    tell e2e4 crash
    check_gone e2e4 "$id3"

    for g in e2e2 e2e3 e2e4; do marks_reach $g crashing 1 || fail "$g never got its crash command"; done
    id3=$(xl_id e2e2)
    xlctl destroy e2e2 || fail "xlctl destroy e2e2 failed"
    check_gone e2e2 "$id3"
}

# 5. save and restore, by xlctl and across xlctl and xl.
step_5() {
    create e2e5
    wait_ready e2e5 1
    local boot img t0 id
    boot=$(ping_guest e2e5)

    img=$IMAGES/e2e5.xlctl
    id=$(xl_id e2e5)
    t0=$(now)
    xlctl save e2e5 "$img" || fail "xlctl save e2e5 failed"
    log "xlctl save: $(since "$t0") s, $(stat -c %s "$img" 2>/dev/null) bytes"
    check_gone e2e5 "$id"
    is_image "$img" || fail "$img is not a Xen save image"
    [ ! -e "$img.tmp" ] || fail "$img.tmp was left behind"
    t0=$(now)
    xlctl restore "$img" || fail "xlctl restore $img failed"
    log "xlctl restore: $(since "$t0") s, domid $(xl_id e2e5)"
    xl_has e2e5 || fail "xl list does not show the restored e2e5"
    [ "$(ping_guest e2e5)" = "$boot" ] || fail "the restored e2e5 is not the same boot"
    [ "$(xld_field e2e5 managed)" = true ] || fail "xld does not manage the restored e2e5"
    [ "$(marks e2e5 READY)" = 1 ] || fail "e2e5 booted again instead of running on"
    lists_agree || fail "xlctl list and xl list disagree after the restore"
    is_image "$img" || fail "the image was lost by its restore"
    rm -f "$img"

    # An xlctl image restored by upstream xl.
    img=$IMAGES/e2e5.for-xl
    id=$(xl_id e2e5)
    xlctl save e2e5 "$img" || fail "xlctl save e2e5 (for xl) failed"
    check_gone e2e5 "$id"
    t0=$(now)
    xl restore "$img" >/tmp/xl-restore.out 2>&1 || { sed 's/^/    /' /tmp/xl-restore.out; fail "xl restore of xlctl's image failed"; }
    log "xl restore of xlctl's image: $(since "$t0") s"
    [ "$(ping_guest e2e5)" = "$boot" ] || fail "e2e5 restored by xl is not the same boot"
    rm -f "$img"

    # An xl image restored by xlctl.
    img=$IMAGES/e2e5.by-xl
    id=$(xl_id e2e5)
    xl save e2e5 "$img" >/tmp/xl-save.out 2>&1 || { sed 's/^/    /' /tmp/xl-save.out; fail "xl save e2e5 failed"; }
    check_gone e2e5 "$id"
    sleep 1
    xl_gone e2e5 || fail "e2e5 came back after xl save (did xld restart it?)"
    is_image "$img" || fail "xl save wrote no image"
    t0=$(now)
    xlctl restore "$img" || fail "xlctl restore of xl's image failed"
    log "xlctl restore of xl's image: $(since "$t0") s"
    [ "$(ping_guest e2e5)" = "$boot" ] || fail "e2e5 restored from xl's image is not the same boot"
    [ "$(xld_field e2e5 managed)" = true ] || fail "xld does not manage e2e5 restored from xl's image"
    lists_agree || fail "xlctl list and xl list disagree"
    rm -f "$img"

    [ "$(marks e2e5 READY)" = 1 ] || fail "e2e5 booted again at some point"
    id=$(xl_id e2e5)
    xlctl destroy e2e5 || fail "xlctl destroy e2e5 failed"
    check_gone e2e5 "$id"
}

# 6. xld stops (SIGTERM) and dies (SIGKILL): the guest runs on, and the
# next xld finds it with its config and still restarts it on reboot.
step_6() {
    create e2e6
    wait_ready e2e6 1
    local id boot pid
    id=$(xl_id e2e6)
    boot=$(ping_guest e2e6)

    pid=$(xld_pid)
    kill -TERM "$pid"
    wait_for 20 eval '! kill -0 "$pid" 2>/dev/null' || fail "xld did not exit within 20 s of SIGTERM"
    log "xld stopped by SIGTERM"
    [ "$(xl_id e2e6)" = "$id" ] || fail "e2e6 did not survive xld's stop"
    [ "$(ping_guest e2e6)" = "$boot" ] || fail "e2e6 does not run on without xld"
    start_xld
    [ "$(xld_field e2e6 managed)" = true ] || fail "the new xld does not manage e2e6"
    [ "$(xld_field e2e6 domid)" = "$id" ] || fail "the new xld does not see e2e6 as domain $id"
    xlctl config show e2e6 >/tmp/cfg.out 2>&1 || fail "xlctl config show e2e6 failed"
    grep -q 'e2e6' /tmp/cfg.out && grep -q 'on_reboot' /tmp/cfg.out ||
        { sed 's/^/    /' /tmp/cfg.out; fail "the new xld does not have e2e6's config"; }

    pid=$(xld_pid)
    kill -KILL "$pid"
    wait_for 20 eval '! kill -0 "$pid" 2>/dev/null' || fail "xld did not die of SIGKILL"
    log "xld killed (SIGKILL)"
    [ "$(xl_id e2e6)" = "$id" ] || fail "e2e6 did not survive xld's death"
    [ "$(ping_guest e2e6)" = "$boot" ] || fail "e2e6 does not run on after xld's death"
    start_xld
    [ "$(xld_field e2e6 managed)" = true ] || fail "the xld after kill -9 does not manage e2e6"
    [ "$(xld_field e2e6 domid)" = "$id" ] || fail "the xld after kill -9 does not see e2e6 as domain $id"
    lists_agree || fail "xlctl list and xl list disagree"

    tell e2e6 reboot
    wait_for 60 eval '[ -n "$(xl_id e2e6)" ] && [ "$(xl_id e2e6)" != "$id" ]' ||
        fail "the new xld did not restart e2e6 on its reboot"
    wait_ready e2e6 2
    log "e2e6 rebooted: domid $id -> $(xl_id e2e6)"
    [ "$(xl_count e2e6)" = 1 ] || fail "xl list shows $(xl_count e2e6) domains named e2e6"
    id=$(xl_id e2e6)
    xlctl destroy e2e6 || fail "xlctl destroy e2e6 failed"
    check_gone e2e6 "$id"
}

# 7. A domain of plain xl: listed as unmanaged, never touched.
step_7() {
    fresh_log e2e7
    xl create "$CFG/e2e7.cfg" >/tmp/xl-create.out 2>&1 || { sed 's/^/    /' /tmp/xl-create.out; fail "xl create e2e7 failed"; }
    wait_ready e2e7 1
    local id
    id=$(xl_id e2e7)
    wait_for 10 eval '[ "$(xld_field e2e7 domid)" = "$id" ]' || fail "xld does not list e2e7 (domain $id)"
    [ "$(xld_field e2e7 managed)" = false ] || fail "xld lists e2e7 as managed"
    lists_agree || fail "xlctl list and xl list disagree"
    # Its reboot is xl's to handle (xl's own monitor restarts it): xld must
    # neither restart it too nor destroy it.
    tell e2e7 reboot
    wait_for 60 eval '[ -n "$(xl_id e2e7)" ] && [ "$(xl_id e2e7)" != "$id" ]' ||
        fail "xl's monitor did not restart e2e7 (xl list: $(xl list e2e7 2>&1 | tail -1))"
    wait_ready e2e7 2
    sleep 3
    [ "$(xl_count e2e7)" = 1 ] || fail "xl list shows $(xl_count e2e7) domains named e2e7"
    [ "$(marks e2e7 READY)" = 2 ] || fail "e2e7 booted $(marks e2e7 READY) times, not 2"
    id=$(xl_id e2e7)
    [ "$(xld_field e2e7 managed)" = false ] || fail "xld took e2e7 over"
    xl destroy e2e7 || fail "xl destroy e2e7 failed"
    check_gone e2e7 "$id"
    sleep 3
    xl_gone e2e7 || fail "e2e7 came back after xl destroy"
    [ -z "$(xld_field e2e7 name)" ] || fail "xlctl list still shows e2e7"
}

# saving_count: how many of h1 h2 h3 xl shows suspended (a save is under way).
saving_count() { xl list 2>/dev/null | awk '$1 ~ /^h[123]$/ && $5 ~ /s/' | wc -l; }

# 8. The host job: stop saves, start restores and autostarts; a corrupt
# image is kept aside and its domain not cold-booted.
step_8() {
    mkdir -p "$AUTO"
    rm -f "$AUTO"/*
    for g in h1 h2 h3 h4; do ln -s "$CFG/$g.cfg" "$AUTO/$g.cfg"; done
    cat >/etc/default/xendomains <<EOF
XENDOMAINS_SAVE=$SAVE
XENDOMAINS_AUTO=$AUTO
XENDOMAINS_RESTORE=true
XENDOMAINS_PARALLEL=3
XENDOMAINS_STOP_MAXWAIT=240
EOF
    local g boots=() t0 n
    for g in h1 h2 h3; do create $g; done
    for g in h1 h2 h3; do wait_ready $g 1; done
    for g in h1 h2; do boots+=("$(ping_guest $g)"); done

    # Watch xl list while the job runs: saves in parallel show as several
    # domains suspended at once.
    (
        max=0
        while [ ! -e /tmp/host-stop.done ]; do
            n=$(saving_count)
            ((n > max)) && max=$n && echo "$max" >/tmp/host-stop.max
            sleep 0.2
        done
    ) &
    local watcher=$!
    rm -f /tmp/host-stop.done /tmp/host-stop.max
    t0=$(now)
    timeout 280 xlctl host stop >/tmp/host-stop.out 2>&1
    local rc=$?
    touch /tmp/host-stop.done
    wait $watcher
    sed 's/^/    /' /tmp/host-stop.out
    log "xlctl host stop: $(since "$t0") s, status $rc, at most $(cat /tmp/host-stop.max 2>/dev/null || echo 0) saves at once"
    [ $rc = 0 ] || fail "xlctl host stop exited with $rc"
    for g in h1 h2 h3; do
        xl_gone $g || fail "$g still runs after host stop"
        is_image "$SAVE/$g" || fail "host stop left no image of $g in $SAVE"
    done
    [ "$(cat /tmp/host-stop.max 2>/dev/null || echo 0)" -ge 2 ] ||
        fail "host stop did not save in parallel (never two domains suspended at once)"
    [ "$(xl list | awk 'NR > 1' | wc -l)" = 1 ] || fail "domains other than dom0 remain after host stop"

    # h3's image is cut in half, as a save cut short by a power failure
    # leaves it (when written in place, as xl does), so that its restore
    # must fail.  A copy with its libxl stream header corrupted instead
    # serves the second half of the step.
    local off size
    cp "$SAVE/h3" "$IMAGES/h3.bad-header"
    size=$(($(stat -c %s "$SAVE/h3") / 2))
    truncate -s "$size" "$SAVE/h3"
    log "h3's image cut to $size bytes"

    t0=$(now)
    timeout 280 xlctl host start >/tmp/host-start.out 2>&1
    rc=$?
    sed 's/^/    /' /tmp/host-start.out
    log "xlctl host start: $(since "$t0") s, status $rc"
    [ $rc = 1 ] || fail "xlctl host start exited with $rc, not 1 (a restore failed)"
    n=0
    for g in h1 h2; do
        xl_has $g || fail "host start did not restore $g"
        [ "$(ping_guest $g)" = "${boots[$n]}" ] || fail "$g was not restored (a new boot)"
        [ "$(marks $g READY)" = 1 ] || fail "$g booted again"
        [ "$(xld_field $g managed)" = true ] || fail "xld does not manage the restored $g"
        [ ! -e "$SAVE/$g" ] || fail "host start left $g's image after restoring it"
        n=$((n + 1))
    done
    xl_gone h3 || fail "h3, whose restore failed, runs: it was cold-booted from $AUTO"
    [ -f "$SAVE.failed/h3" ] || fail "h3's failed image is not in $SAVE.failed/"
    [ "$(stat -c %s "$SAVE.failed/h3")" = "$size" ] || fail "h3's failed image changed size"
    [ ! -e "$SAVE/h3" ] || fail "h3's failed image is still in $SAVE"
    xl_has h4 || fail "host start did not create h4 from $AUTO"
    wait_ready h4 1
    [ "$(xld_field h4 managed)" = true ] || fail "xld does not manage h4"
    lists_agree || fail "xlctl list and xl list disagree"

    for g in h1 h2 h4; do
        n=$(xl_id $g)
        xlctl destroy $g || fail "xlctl destroy $g failed"
        check_gone $g "$n"
    done
    rm -rf "$SAVE.failed" "$AUTO"/*

    # An image whose libxl stream header (right after xl's 48-byte header
    # and its optional data) is corrupt: the restore must fail, and
    # nothing else happen (xld runs on, no domain is left behind).
    off=$((48 + $(od -An -tu4 -j44 -N4 "$IMAGES/h3.bad-header" | tr -d ' ')))
    printf 'CORRUPTED-BY-E2E' | dd of="$IMAGES/h3.bad-header" bs=1 seek="$off" conv=notrunc status=none
    log "a copy of h3's image with its stream header corrupted at offset $off"
    xlctl restore "$IMAGES/h3.bad-header" >/tmp/bad-restore.out 2>&1 &&
        flag "xlctl restore of an image with a corrupt stream header succeeded"
    sed 's/^/    /' /tmp/bad-restore.out
    sleep 2
    xld_alive || flag "xld died restoring an image with a corrupt stream header"
    xl_gone h3 || flag "the failed restore left a domain behind: $(xl list h3 2>&1 | tail -1)"
    rm -f "$IMAGES/h3.bad-header"
}

# 9. mem-set, vcpu-set, pause, unpause, destroy, as xl list shows them.
step_9() {
    create e2e9
    wait_ready e2e9 1
    local id
    id=$(xl_id e2e9)
    xlctl mem-set e2e9 96 || fail "xlctl mem-set e2e9 96 failed"
    [ "$(xenstore-read "/local/domain/$id/memory/target")" = 98304 ] ||
        fail "xenstore's memory/target is $(xenstore-read "/local/domain/$id/memory/target"), not 98304"
    wait_for 60 eval '[ "$(xl_col e2e9 3)" -le 97 ]' ||
        fail "xl list shows e2e9 with $(xl_col e2e9 3) MiB, not 96, a minute after mem-set"
    log "mem-set 96: xl list shows $(xl_col e2e9 3) MiB"

    xlctl vcpu-set e2e9 1 || fail "xlctl vcpu-set e2e9 1 failed"
    wait_for 60 eval '[ "$(xl_col e2e9 4)" = 1 ]' ||
        fail "xl list shows e2e9 with $(xl_col e2e9 4) vCPUs, not 1"
    [ "$(xenstore-read "/local/domain/$id/cpu/1/availability")" = offline ] || fail "xenstore's cpu/1 is not offline"
    xlctl vcpu-set e2e9 2 || fail "xlctl vcpu-set e2e9 2 failed"
    wait_for 60 eval '[ "$(xl_col e2e9 4)" = 2 ]' ||
        fail "xl list shows e2e9 with $(xl_col e2e9 4) vCPUs, not 2"
    log "vcpu-set 1 then 2: xl list followed"

    xlctl pause e2e9 || fail "xlctl pause e2e9 failed"
    [[ "$(xl_col e2e9 5)" == *p* ]] || fail "xl list does not show e2e9 paused: $(xl_col e2e9 5)"
    [ "$(xld_field e2e9 state)" = paused ] || fail "xlctl list does not show e2e9 paused"
    xlctl unpause e2e9 || fail "xlctl unpause e2e9 failed"
    [[ "$(xl_col e2e9 5)" != *p* ]] || fail "xl list still shows e2e9 paused"
    ping_guest e2e9 >/dev/null
    lists_agree || fail "xlctl list and xl list disagree"

    xlctl destroy e2e9 || fail "xlctl destroy e2e9 failed"
    check_gone e2e9 "$id"
    [ -z "$(xld_field e2e9 name)" ] || fail "xlctl list still shows e2e9"
}

# devs NAME: the guest's "devs" answer ("disks=xvdb nics=eth0,eth1").
devs() {
    local n
    n=$(marks "$1" devs)
    tell "$1" devs
    wait_for 30 marks_reach "$1" devs $((n + 1)) || fail "$1 does not answer devs"
    grep -a "E2E-GUEST: devs " "$(glog "$1")" | tail -1 | sed 's/.*E2E-GUEST: devs //; s/ name=.*//'
}

# top_row NAME TOOL...: the columns of NAME's row that xentop and xlctl top
# both have and that do not move on their own: MEM(k) MAXMEM(k) VCPUS
# NETS VBDS, then NETTX(k) NETRX(k).
top_row() {
    local n=$1
    shift
    "$@" -b -i 1 2>/dev/null | awk -v n="$n" '$1 == n {print $5, $7, $9, $10, $13, $11, $12}'
}

# 10. CPU placement, the credit2 scheduler, top and metrics.
step_10() {
    create e2e10
    wait_ready e2e10 1
    local id a b
    id=$(xl_id e2e10)
    xlctl vcpu-pin e2e10 0 1 || fail "xlctl vcpu-pin e2e10 0 1 failed"
    xlctl vcpu-pin e2e10 1 0 1 || fail "xlctl vcpu-pin e2e10 1 0 1 failed"
    # VCPU, then the hard and soft affinity ("1 / all").
    a=$(xl vcpu-list e2e10 | awk 'NR > 1 {print $3, $7, $8, $9}')
    b=$(xlctl vcpu-list e2e10 | awk 'NR > 1 {print $3, $7, $8, $9}')
    log "xl vcpu-list: $(echo $a)"
    [ "$a" = "$b" ] || fail "xl vcpu-list says '$(echo $a)', xlctl vcpu-list '$(echo $b)'"
    [ "$(echo $a)" = "0 1 / all 1 0 / 1" ] || fail "the affinities are '$(echo $a)', not what was pinned"

    xlctl sched-credit2 -d e2e10 -w 512 -c 50 || fail "xlctl sched-credit2 -w 512 -c 50 failed"
    a=$(xl sched-credit2 -d e2e10 | awk 'NR > 1 {print $3, $4}')
    [ "$a" = "512 50" ] || fail "xl sched-credit2 shows weight and cap '$a', not '512 50'"
    xl sched-credit2 -d e2e10 -w 300 || fail "xl sched-credit2 -w 300 failed"
    b=$(xlctl sched-credit2 -d e2e10 | awk 'NR > 1 {print $3, $4}')
    [ "$b" = "300 50" ] || fail "xlctl sched-credit2 shows '$b' after xl set the weight to 300"
    log "sched-credit2: xlctl set 512/50, xl saw it; xl set 300, xlctl saw it"

    # About 70 KB for the guest's vif: UDP datagrams from dom0 to an
    # address whose neighbour entry is the guest's MAC, so that no ARP
    # answer is needed; the guest drops them, its vif counts them.
    local mac i
    mac=$(xl network-list e2e10 | awk 'NR == 2 {print $3}')
    ip addr add 10.99.0.1/24 dev xenbr0 2>/dev/null
    ip neigh replace 10.99.0.2 lladdr "$mac" dev xenbr0 nud permanent || fail "ip neigh replace failed"
    for i in $(seq 50); do
        head -c 1400 /dev/zero >/dev/udp/10.99.0.2/9 || fail "sending to the guest failed"
    done
    ip neigh del 10.99.0.2 dev xenbr0
    ip addr del 10.99.0.1/24 dev xenbr0
    a=$(top_row e2e10 xentop)
    b=$(top_row e2e10 xlctl top)
    log "xentop:    $a"
    log "xlctl top: $b"
    [ -n "$a" ] || fail "xentop -b does not list e2e10"
    [ "$(echo "$a" | cut -d' ' -f1-5)" = "$(echo "$b" | cut -d' ' -f1-5)" ] ||
        fail "MEM, MAXMEM, VCPUS, NETS, VBDS differ: xentop '$a', xlctl top '$b'"
    # The counters (KiB) may move between the two looks, but not by much.
    echo "$a $b" | awk '{d1 = $6 - $13; d2 = $7 - $14; if (d1 < -4 || d1 > 4 || d2 < -4 || d2 > 4) exit 1}' ||
        fail "NETTX/NETRX differ: xentop '$a', xlctl top '$b'"
    echo "$b" | awk '{exit !($6 >= 60 || $7 >= 60)}' || fail "xlctl top does not count the 70 KB sent to the guest: '$b'"
    xlctl top --json -i 1 | jq -e '.domains[] | select(.name == "e2e10") | .vcpus == 2' >/dev/null ||
        fail "xlctl top --json has no e2e10 with 2 vcpus"
    a=$(xlctl metrics | awk -F'} ' '/^xld_domain_memory_bytes\{domain="e2e10"/ {print $2}')
    [ "$a" = "$(( $(echo "$b" | cut -d' ' -f1) * 1024 ))" ] ||
        fail "xlctl metrics gives e2e10 $a bytes of memory, top $(echo "$b" | cut -d' ' -f1) KiB"
    log "metrics: xld_domain_memory_bytes $a"
    xlctl destroy e2e10 || fail "xlctl destroy e2e10 failed"
    check_gone e2e10 "$id"
}

# 11. Devices while it runs: a disk and a vif, attached, kept across a
# reboot (the stored config follows), and detached.
step_11() {
    create e2e11
    wait_ready e2e11 1
    local id a b img=$IMAGES/disk11.img
    id=$(xl_id e2e11)
    dd if=/dev/zero of="$img" bs=1M count=16 status=none || fail "making $img failed"
    xlctl block-attach e2e11 "format=raw, vdev=xvdb, access=rw, target=$img" ||
        fail "xlctl block-attach failed"
    # xvdb is device 51728; state 4: the guest's front end connected.
    wait_for 30 eval '[ "$(xenstore-read /local/domain/0/backend/vbd/$id/51728/state 2>/dev/null)" = 4 ]' ||
        fail "the vbd backend of xvdb is not connected (state $(xenstore-read /local/domain/0/backend/vbd/$id/51728/state 2>&1))"
    xlctl network-attach e2e11 bridge=xenbr0 || fail "xlctl network-attach failed"
    wait_for 30 eval 'ip link show vif$id.0 >/dev/null 2>&1' || fail "no vif$id.0 in dom0 after network-attach"
    wait_for 30 eval '[ "$(devs e2e11)" = "disks=xvdb nics=eth0" ]' || fail "the guest sees '$(devs e2e11)', not xvdb and eth0"
    a=$(xl block-list e2e11 | awk 'NR > 1 {print $1, $2, $3, $4}')
    b=$(xlctl block-list e2e11 | awk 'NR > 1 {print $1, $2, $3, $4}')
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "xl block-list '$a', xlctl block-list '$b'"
    a=$(xl network-list e2e11 | awk 'NR > 1 {print $1, $2, $3, $5}')
    b=$(xlctl network-list e2e11 | awk 'NR > 1 {print $1, $2, $3, $5}')
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "xl network-list '$a', xlctl network-list '$b'"
    log "attached: the guest sees $(devs e2e11); xl and xlctl list the same"

    tell e2e11 reboot
    wait_ready e2e11 2
    id=$(xl_id e2e11)
    wait_for 30 eval '[ "$(devs e2e11)" = "disks=xvdb nics=eth0" ]' ||
        fail "after a reboot the guest sees '$(devs e2e11)': the attached devices were lost"
    log "after a reboot (domid $id): $(devs e2e11)"

    xlctl block-detach e2e11 xvdb || fail "xlctl block-detach failed"
    wait_for 30 eval '! xenstore-exists /local/domain/0/backend/vbd/$id/51728' ||
        fail "the vbd backend of xvdb is still in xenstore"
    xlctl network-detach e2e11 0 || fail "xlctl network-detach failed"
    wait_for 30 eval '! ip link show vif$id.0 >/dev/null 2>&1' || fail "vif$id.0 is still in dom0"
    wait_for 30 eval '[ "$(devs e2e11)" = "disks= nics=" ]' || fail "the guest still sees '$(devs e2e11)'"
    [ -z "$(xlctl block-list e2e11 | awk 'NR > 1')" ] || fail "xlctl block-list still lists a disk"
    log "detached: the guest sees '$(devs e2e11)'"
    xlctl destroy e2e11 || fail "xlctl destroy e2e11 failed"
    check_gone e2e11 "$id"
    rm -f "$img"
}

# 12. Migration to this very host (xl migrate DOM localhost), after a
# dry run: the guest runs on, the same boot, under a new domid.
step_12() {
    create e2e12
    wait_ready e2e12 1
    local id uuid boot new t0 recv="xlctl migrate-receive"
    id=$(xl_id e2e12)
    uuid=$(xl_uuid e2e12)
    boot=$(ping_guest e2e12)
    # A PV guest migrates live only where Xen has shadow paging, for its
    # log-dirty mode; Debian's Xen is built without.  There xlctl must
    # say so before anything starts, and --no-live is the way.
    local live=--no-live
    if xl info | grep -E '^virt_caps' | grep -qw shadow; then
        live=
        log "this Xen has shadow paging: the migration is live"
    else
        xlctl migrate -s "" e2e12 "$recv" >/tmp/mig.out 2>&1 &&
            fail "xlctl migrate (live) of a PV guest succeeded on a Xen without shadow paging"
        grep -q "no shadow paging.*--no-live" /tmp/mig.out ||
            { sed 's/^/    /' /tmp/mig.out; fail "xlctl migrate did not say why it cannot migrate live"; }
        [ "$(xl_id e2e12)" = "$id" ] && xl_gone e2e12--incoming ||
            fail "the refused live migration changed something: $(xl list | awk 'NR > 1 {print $1 "(" $2 ")"}' | paste -sd' ')"
        log "no shadow paging: live migration refused up front ($(tail -1 /tmp/mig.out | cut -c1-90)...); using --no-live"
    fi
    xlctl migrate $live --dry-run -s "" e2e12 "$recv" >/tmp/dry.out 2>&1 ||
        { sed 's/^/    /' /tmp/dry.out; fail "migrate --dry-run failed"; }
    grep -q "would take it" /tmp/dry.out || fail "migrate --dry-run did not say the target would take it"
    [ "$(xl_id e2e12)" = "$id" ] && [[ "$(xl_col e2e12 5)" != *[ps]* ]] ||
        fail "after the dry run e2e12 is $(xl_id e2e12) in state $(xl_col e2e12 5)"
    xl_gone e2e12--incoming || fail "the dry run left an e2e12--incoming"

    t0=$(now)
    xlctl migrate $live -s "" e2e12 "$recv" >/tmp/mig.out 2>&1 ||
        { sed 's/^/    /' /tmp/mig.out; fail "xlctl migrate $live to this host failed"; }
    new=$(xl_id e2e12)
    log "migrated in $(since "$t0") s: domid $id to $new"
    [ -n "$new" ] && [ "$new" != "$id" ] || fail "e2e12 did not get a new domid ($new)"
    [ "$(xl_count e2e12)" = 1 ] || fail "xl list shows $(xl_count e2e12) domains named e2e12"
    xl_gone e2e12--incoming && xl_gone e2e12--migratedaway || fail "a copy is left: $(xl list | awk 'NR > 1 {print $1}' | paste -sd' ')"
    [ "$(xl_uuid e2e12)" = "$uuid" ] || fail "the uuid changed: $(xl_uuid e2e12), was $uuid"
    wait_for 30 xs_gone "$id" || fail "xenstore still has /local/domain/$id"
    [ "$(xs_name "$new")" = e2e12 ] || fail "xenstore's name of $new is $(xs_name "$new")"
    wait_for 30 eval 'ip link show vif$new.0 >/dev/null 2>&1' || fail "no vif$new.0 in dom0"
    ! ip link show "vif$id.0" >/dev/null 2>&1 || fail "vif$id.0 is still in dom0"
    [ "$(xld_field e2e12 managed)" = true ] || fail "xlctl does not list e2e12 as managed"
    lists_agree || fail "xlctl list and xl list disagree"
    # xenconsoled named the new domain's log when it appeared, as
    # e2e12--incoming: the answer is looked for in both logs.
    local n
    n=$(cat "$CONLOG"/guest-e2e12*.log 2>/dev/null | grep -ac "E2E-GUEST: pong ")
    tell e2e12 ping
    wait_for 30 eval '[ "$(cat "$CONLOG"/guest-e2e12*.log | grep -ac "E2E-GUEST: pong ")" -gt $n ]' ||
        fail "e2e12 does not answer after the migration"
    [ "$(cat "$CONLOG"/guest-e2e12*.log | grep -a "E2E-GUEST: pong " | tail -1 | sed 's/.* boot=//; s/[^0-9a-f-]//g')" = "$boot" ] ||
        fail "e2e12 answers with another boot: it was restarted, not migrated"
    log "e2e12 runs on, boot $boot, managed"
    xlctl destroy e2e12 || fail "xlctl destroy e2e12 failed"
    check_gone e2e12 "$new"
}

# ---- the driver --------------------------------------------------------------

NAMES=([1]=info-list [2]=create-console [3]=shutdown [4]=reboot-crash [5]=save-restore
    [6]=xld-restart [7]=unmanaged [8]=host-job [9]=mem-vcpu-pause-destroy
    [10]=pin-sched-top [11]=block-network-attach [12]=migrate-localhost)

if [ "${1:-}" = step ]; then
    STEP=$2
    rm -f /tmp/e2e-flagged
    "step_$STEP"
    [ ! -e /tmp/e2e-flagged ]
    exit
fi

# cleanup: what a failed step may leave behind goes, so that the next
# step starts on an empty host with an xld running.
cleanup() {
    local d
    for d in $(xl list 2>/dev/null | awk 'NR > 2 {print $1}'); do
        echo "  [cleanup] destroying $d"
        xl destroy "$d" 2>&1 | sed 's/^/    /'
    done
    rm -f "$IMAGES"/* "$SAVE"/* 2>/dev/null
    rm -rf "$SAVE.failed" 2>/dev/null
    if [ -n "$(xld_pid)" ] && ! xld_alive; then
        echo "  [cleanup] starting xld again"
        setsid xld -f >>"$XLD_LOG" 2>&1 </dev/null &
        echo $! >"$XLD_PID_FILE"
        sleep 5
    fi
}

# The kernel logs every process that dies of a signal such as SIGSEGV.
crashes() { dmesg | grep -E 'segfault at|general protection|traps: |invalid opcode' ; }

all=PASS
steps=$(cat /etc/e2e/steps 2>/dev/null || echo 1 2 3 4 5 6 7 8 9 10 11 12)
[[ " $steps " == *" 1 "* ]] || start_xld
for n in $steps; do
    echo "E2E: step $n ${NAMES[$n]} begins"
    crashes_before=$(crashes | wc -l)
    t0=$(now)
    timeout -k 5 $STEP_LIMIT bash "$0" step "$n"
    rc=$?
    secs=$(since "$t0")
    STEP=$n
    problems=()
    [ $rc = 124 ] || [ $rc = 137 ] && problems+=("the step hit its ${STEP_LIMIT}s limit")
    # A step may hand a running guest over to the next one (2 to 3);
    # any other domain still there is a leak.
    keep=$(cat /run/e2e-handover 2>/dev/null)
    rm -f /run/e2e-handover
    leaked=$(xl list 2>/dev/null | awk -v keep="$keep" 'NR > 2 && $1 != keep {print $1 "(" $2 ")"}' | paste -sd' ')
    [ $rc != 0 ] || [ -z "$leaked" ] || problems+=("domains left behind: $leaked")
    xld_alive || problems+=("xld is not running (it crashed or the step left it stopped)")
    if [ "$(crashes | wc -l)" != "$crashes_before" ]; then
        problems+=("a process crashed in dom0: $(crashes | tail -n +$((crashes_before + 1)) | head -3 | paste -sd'|')")
    fi
    for p in "${problems[@]}"; do echo "E2E-FAIL $n: $p"; done
    if [ $rc = 0 ] && [ ${#problems[@]} = 0 ]; then
        echo "E2E-STEP $n ${NAMES[$n]}: PASS ($secs s)"
    else
        echo "E2E-STEP $n ${NAMES[$n]}: FAIL ($secs s)"
        all=FAIL
        echo "  ---- xld's log, last 25 lines"
        tail -25 "$XLD_LOG" | sed 's/^/    /'
        cleanup
    fi
done

echo "E2E-XLD-LOG-BEGIN"
cat "$XLD_LOG"
echo "E2E-XLD-LOG-END"
if [ "$all" = FAIL ]; then
    echo "---- guests' consoles (E2E lines and kernel errors)"
    for f in "$CONLOG"/guest-*.log; do
        [ -e "$f" ] || continue
        grep -aE 'E2E-GUEST|Kernel panic|BUG|Oops' "$f" | tail -20 | sed "s|^|    ${f##*/}: |"
    done
fi
echo "E2E-RESULT: $all"
[ "$all" = PASS ]
