#!/bin/bash
# t-64-autostart.sh - xlctl autostart list|add|remove manage the
# autostart folder (XENDOMAINS_AUTO) as links to the admin's configs.
. "$(dirname "$0")/cli-lib.sh"
. "$(dirname "$0")/host-lib.sh"
start_host_xld
cfg web
cfg db

run x autostart list
check "an empty folder lists nothing but the header" eval '[ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 1 ]'
run x autostart add "$tmp/web.cfg"
check "autostart add exits 0" [ "$rc" -eq 0 ]
check "and says where" grep -q "^added $autodir/web.cfg$" "$tmp/out"
check "the entry is a link to the config" [ "$(readlink "$autodir/web.cfg")" = "$tmp/web.cfg" ]
run bash -c 'cd "$1" && "$2" --socket "$3" autostart add -q db.cfg' _ "$tmp" "$XLCTL" "$sock"
check "a relative path works" [ "$(readlink "$autodir/db.cfg")" = "$tmp/db.cfg" ]
check "-q prints nothing" [ ! -s "$tmp/out" ]
run x autostart add "$tmp/web.cfg"
check "adding the same file again exits 1" [ "$rc" -eq 1 ]
mkdir -p "$tmp/other"
cp "$tmp/web.cfg" "$tmp/other/web2.cfg"
run x autostart add "$tmp/other/web2.cfg"
check "a second config for the same domain is refused" eval '[ "$rc" -eq 1 ] && grep -q "starts the domain web already" "$tmp/err"'
printf 'name = "bad"\nmemory = \n' >"$tmp/bad.cfg"
run x autostart add "$tmp/bad.cfg"
check "a bad config is refused" eval '[ "$rc" -eq 1 ] && grep -q "bad config: line 2" "$tmp/err"'
run x autostart add "$tmp/none.cfg"
check "a missing file is refused" [ "$rc" -eq 1 ]
check "nothing was added for them" [ "$(ls "$autodir" | wc -l)" -eq 2 ]

x create -q "$tmp/web.cfg"
ln -s "$tmp/gone.cfg" "$autodir/gone.cfg"
run x autostart list
check "list shows a running domain" grep -q "^web.cfg  *web  *running  *$tmp/web.cfg" "$tmp/out"
check "list shows a stopped one" grep -q "^db.cfg  *db  *stopped" "$tmp/out"
check "list shows a broken link and why" grep -q "^gone.cfg .*broken .*a broken link" "$tmp/out"
run "$XLCTL" --socket "$ro" autostart list
check "autostart list works on the read-only socket" [ "$rc" -eq 0 ]
run "$XLCTL" --socket "$ro" autostart remove web
check "autostart remove needs the admin socket" [ "$rc" -eq 1 ]

run x autostart remove web
check "remove by domain name exits 0" [ "$rc" -eq 0 ]
check "the link is gone" [ ! -e "$autodir/web.cfg" ]
check "the config itself stays" [ -e "$tmp/web.cfg" ]
run x autostart remove gone.cfg
check "remove a broken link by its file name" eval '[ "$rc" -eq 0 ] && [ ! -L "$autodir/gone.cfg" ]'
cp "$tmp/web.cfg" "$autodir/local.cfg"
run x autostart remove local.cfg
check "a real file is not removed" eval '[ "$rc" -eq 1 ] && [ -e "$autodir/local.cfg" ]'
run x autostart remove nothing
check "remove of an unknown entry exits 1" [ "$rc" -eq 1 ]

xendomains XENDOMAINS_AUTO=
run x autostart list
check "without an autostart folder, list says so" eval '[ "$rc" -eq 1 ] && grep -q "XENDOMAINS_AUTO is empty" "$tmp/err"'
run x help autostart add
check "help knows autostart add" grep -q 'usage: xlctl autostart add' "$tmp/out"
check "the completion knows host and autostart" eval 'x completion bash | grep -q "\"host stop\")"'
finish_host
