#!/bin/bash
# t-50-cli-offline.sh - xlctl without a daemon: help and usage come from
# the one command table, usage errors exit 2 before any connection, every
# verb that needs xld says plainly that it is not running, and the bash
# completion generated from the table works.
. "$(dirname "$0")/cli-lib.sh"
verbs="config check|config show|create|list|info|domid|domname|uptime|shutdown|reboot|destroy|pause|unpause|save|restore|mem-set|mem-max|vcpu-set|rename|sysrq|top|metrics|events|sim-inject|completion|help"

# help lists every verb, help VERB shows its usage.
run "$XLCTL" help
check "help exits 0" [ "$rc" -eq 0 ]
cp "$tmp/out" "$tmp/help"
IFS='|' read -ra vs <<<"$verbs"
for v in "${vs[@]}"; do
    check "help lists '$v'" grep -q "^  $v  *[a-z]" "$tmp/help"
    run "$XLCTL" help $v
    check "help $v" [ "$rc" -eq 0 ]
    check "help $v shows the usage" grep -q "^usage: xlctl $v" "$tmp/out"
done
run "$XLCTL" help no-such-verb
check "help of an unknown verb exits 2" [ "$rc" -eq 2 ]
run "$XLCTL" list --help
check "VERB --help exits 0" [ "$rc" -eq 0 ]
check "VERB --help shows its usage" grep -q '^usage: xlctl list ' "$tmp/out"

# Usage errors: status 2, a usage line, and no attempt to connect (there
# is no daemon here, so "not running" would mean one was made).
while read -r line; do
    eval "args=($line)"
    run "$XLCTL" --socket "$tmp/none.sock" "${args[@]}"
    check "'$line' exits 2" [ "$rc" -eq 2 ]
    check "'$line' does not connect" eval '! grep -q "not running" "$tmp/err"'
done <<'LIST'
list a b
list --bogus
info a b
domid
domid a b
domname
domname abc
domname -1
uptime -x
shutdown
shutdown -a web1
shutdown -x web1
reboot
reboot -a web1
destroy
destroy a b
pause
unpause
save web1
save web1 f g
restore
mem-set web1
mem-set web1 12q
mem-set web1 ''
mem-set web1 -5
mem-max web1
mem-max web1 1x
vcpu-set web1
vcpu-set web1 zero
vcpu-set web1 0
rename web1
adopt
console
console a b
console -t bogus web1
console -n x web1
console -n 300 web1
adopt web1 a.cfg b.cfg
adopt web1 memory=5
events extra
sim-inject
sim-inject crash
sim-inject fail-next
create
create -x a.cfg
create a.cfg b.cfg
config show
completion
completion zsh
no-such-verb
LIST

# No daemon: every verb that needs one says so, with the socket's path,
# and exits 1.
touch "$tmp/saved.img"
cfg web1
while read -r line; do
    eval "args=($line)"
    run "$XLCTL" --socket "$tmp/none.sock" "${args[@]}"
    check "'$line' without xld exits 1" [ "$rc" -eq 1 ]
    check "'$line' without xld says so" \
        grep -qx "xlctl: xld is not running (no socket at $tmp/none.sock)" "$tmp/err"
done <<LIST
list
list web1
info
domid web1
domname 3
uptime
shutdown web1
shutdown -a
reboot web1
destroy web1
pause web1
unpause web1
save web1 $tmp/x.img
restore $tmp/saved.img
mem-set web1 256
mem-max web1 1g
vcpu-set web1 2
rename web1 web2
events
sim-inject crash web1
config show web1
create -q $tmp/web1.cfg
LIST
run "$XLCTL" --socket "$tmp/none.sock" create "$tmp/web1.cfg"
check "create says what it parses, as xl does" \
    grep -qx "Parsing config from $tmp/web1.cfg" "$tmp/err"
run "$XLCTL" --socket "$tmp/none.sock" create -q "$tmp/web1.cfg"
check "create -q is quiet" [ "$(wc -l <"$tmp/err")" -eq 1 ]

# The socket comes from --socket, then $XLD_SOCKET, then the default.
XLD_SOCKET=$tmp/env.sock run "$XLCTL" list
check "XLD_SOCKET picks the socket" \
    grep -qx "xlctl: xld is not running (no socket at $tmp/env.sock)" "$tmp/err"
XLD_SOCKET=$tmp/env.sock run "$XLCTL" --socket "$tmp/opt.sock" list
check "--socket wins over XLD_SOCKET" grep -q "$tmp/opt.sock" "$tmp/err"
run "$XLCTL" --socket="$tmp/opt.sock" list
check "--socket=PATH" grep -q "no socket at $tmp/opt.sock" "$tmp/err"

# What is no daemon, and what is not xld.
if python3 -c 'import socket' 2>/dev/null; then
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$tmp/stale.sock"
    run "$XLCTL" --socket "$tmp/stale.sock" list
    check "a stale socket: exit 1" [ "$rc" -eq 1 ]
    check "a stale socket: not running" \
        grep -qx "xlctl: xld is not running (nothing listens on $tmp/stale.sock)" "$tmp/err"
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
print("up", flush=True)
c, _ = s.accept(); c.sendall(b"{\"hello\": 1}\n")
try: c.recv(100)
except OSError: pass' \
        "$tmp/other.sock" >"$tmp/py.out" &
    py=$!
    eventually 10 grep -q up "$tmp/py.out"
    run "$XLCTL" --socket "$tmp/other.sock" list
    check "not xld: exit 1" [ "$rc" -eq 1 ]
    check "not xld: a protocol error" grep -q "protocol error" "$tmp/err"
    kill $py 2>/dev/null
    wait $py 2>/dev/null
fi
mkdir "$tmp/dir.sock"
run "$XLCTL" --socket "$tmp/dir.sock" info
check "not a socket: exit 1" [ "$rc" -eq 1 ]
check "not a socket: says so" grep -q "$tmp/dir.sock" "$tmp/err"

# create --dry-run stays offline.
run "$XLCTL" --socket "$tmp/none.sock" create --dry-run "$tmp/web1.cfg" memory=300
check "create --dry-run works without xld" [ "$rc" -eq 0 ]
check "create --dry-run applies the overrides" grep -q '"target_memkb": 307200' "$tmp/out"

# The bash completion, generated from the table.
run "$XLCTL" completion bash
check "completion bash exits 0" [ "$rc" -eq 0 ]
check "the completion script is valid bash" bash -n "$tmp/out"
cp "$tmp/out" "$tmp/completion.bash"
# complete WORDS...: what the completion offers for the last word.
complete_words() {
    bash -c '
        source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _xlctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$tmp/completion.bash" "$@" | LC_ALL=C sort
}
for v in create list shutdown sim-inject completion help config; do
    check "completion offers '$v'" eval 'complete_words xlctl "" | grep -qx "$v"'
done
check "completion of 'li'" [ "$(complete_words xlctl li)" = list ]
check "completion of 'config s'" [ "$(complete_words xlctl config s)" = show ]
check "completion of shutdown's options" \
    [ "$(complete_words xlctl shutdown - | tr '\n' ' ')" = "--all --help --wait -F -a -w " ]
check "completion of help's operand" [ "$(complete_words xlctl help unp)" = unpause ]
check "completion after a global --socket" \
    [ "$(complete_words xlctl --socket /x paus)" = pause ]
check "completion of a file operand" \
    eval '[ "$(cd "$tmp" && complete_words xlctl create web)" = web1.cfg ]'
finish
