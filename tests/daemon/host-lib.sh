# host-lib.sh - what the host job tests (t-6*.sh) add to cli-lib.sh: a
# private xendomains file, save and autostart folders, and the xld that
# reads them.  Sourced after cli-lib.sh.
save=$tmp/save
autodir=$tmp/auto
xdfile=$tmp/xendomains
mkdir -p "$autodir"
# xendomains [SETTING...]: write the settings file (the test's folders,
# no pause between autostarts), then the settings given.
xendomains() {
    {
        echo "# written by $(basename "$0")"
        echo "XENDOMAINS_SAVE=$save"
        echo "XENDOMAINS_AUTO=\"$autodir\""
        echo "XENDOMAINS_RESTORE=true"
        echo "XENDOMAINS_STOP_MAXWAIT=60"
        echo "XENDOMAINS_CREATE_USLEEP=0"
        for s in "$@"; do echo "$s"; done
    } >"$xdfile"
}
xendomains
start_host_xld() { start_xld --xendomains-file="$xdfile" "$@"; }
# The domains in xl list, but Domain-0, one name a line, sorted.
guests() { x list | awk 'NR > 1 && $1 != "Domain-0" { print $1 }' | sort; }
nguests() { guests | wc -l; }
# finish_host: stop xld with SIGTERM; it must exit 0 and its log must
# hold no sanitizer report (under ASan, a clean exit means no leak);
# then the counts.
finish_host() {
    if [ -n "$xld_pid" ]; then
        kill "$xld_pid" 2>/dev/null
        wait "$xld_pid"
        local st=$?
        xld_pid=
        check "xld exits 0 on SIGTERM" [ "$st" -eq 0 ]
    fi
    check "xld's log has no sanitizer report" \
        eval '! grep -Eq "Sanitizer|runtime error:" "$tmp/xld.log"'
    finish
}
