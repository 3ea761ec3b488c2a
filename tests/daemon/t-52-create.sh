#!/bin/bash
# t-52-create.sh - xlctl create against a real xld: the config text goes
# to xld with the overrides, -p leaves the domain paused, config errors
# come back with their line and column, the read-only socket refuses,
# and config show DOM gives back the config a domain was created with.
. "$(dirname "$0")/cli-lib.sh"
start_xld

cfg web1
run x create "$tmp/web1.cfg"
check "create exits 0" [ "$rc" -eq 0 ]
check "create prints nothing on stdout" [ ! -s "$tmp/out" ]
check "create says what it parses, as xl does" \
    [ "$err" = "Parsing config from $tmp/web1.cfg" ]
check "web1 is listed" eventually 10 exists web1

# -p: paused; -q: quiet.
cfg web2
run x create -p -q "$tmp/web2.cfg"
check "create -p -q exits 0" [ "$rc" -eq 0 ]
check "create -q is quiet" [ ! -s "$tmp/err" ]
check "create -p leaves it paused" eventually 10 state_is web2 --p---

# Overrides, as xl create CFG KEY=VALUE...
cfg web3
run x create -q "$tmp/web3.cfg" 'name="web4"' memory=128 vcpus=1
check "create with overrides exits 0" [ "$rc" -eq 0 ]
check "the name override wins" eventually 10 exists web4
check "the file's name is not used" gone web3
check "the memory override wins" [ "$(col web4 3)" = 128 ]
check "the vcpus override wins" [ "$(col web4 4)" = 1 ]

# A relative config path.
cfg web5
run bash -c 'cd "$1" && "$2" --socket "$3" create -q web5.cfg' _ "$tmp" "$XLCTL" "$sock"
check "create with a relative path" [ "$rc" -eq 0 ]
check "web5 is listed" eventually 10 exists web5

# Errors: status 1 and a clear message.
run x create -q "$tmp/web1.cfg"
check "a second web1 exits 1" [ "$rc" -eq 1 ]
check "a second web1 says why" grep -q "web1" "$tmp/err"
printf 'name = "bad"\nmemory = \nvcpus = 2\n' >"$tmp/bad.cfg"
run x create -q "$tmp/bad.cfg"
check "a syntax error exits 1" [ "$rc" -eq 1 ]
check "a syntax error is reported with its line and column" \
    grep -Eq "bad\.cfg:2:[0-9]+: " "$tmp/err"
check "a config with errors creates nothing" gone bad
printf 'name = "bad2"\nkernel = "/boot/vmlinuz"\ntype = "bogus"\n' >"$tmp/bad2.cfg"
run x create -q "$tmp/bad2.cfg"
check "a semantic error exits 1" [ "$rc" -eq 1 ]
check "a semantic error is reported as config check does" \
    grep -q "bad2\.cfg:3:8: invalid domain type" "$tmp/err"
run x create -q "$tmp/web1.cfg" 'name="web6"' memory=
check "a broken override exits 1" [ "$rc" -eq 1 ]
check "a broken override is reported" grep -q "command line" "$tmp/err"
run x create -q "$tmp/no-such.cfg"
check "a missing file exits 1" [ "$rc" -eq 1 ]
check "a missing file is reported" grep -q "no-such.cfg: cannot open" "$tmp/err"
x sim-inject fail-next 1
cfg web7
run x create -q "$tmp/web7.cfg"
check "a create the backend fails exits 1" [ "$rc" -eq 1 ]
check "a create the backend fails says so" [ -s "$tmp/err" ]
check "a failed create leaves no domain" gone web7
run x create -q "$tmp/web7.cfg"
check "the failure is used up" [ "$rc" -eq 0 ]

# The read-only socket refuses, and says why.
cfg ro1
run "$XLCTL" --socket "$ro" create -q "$tmp/ro1.cfg"
check "create on the read-only socket exits 1" [ "$rc" -eq 1 ]
check "create on the read-only socket says so" grep -q "read-only" "$tmp/err"
check "create on the read-only socket names the verb" grep -q "create" "$tmp/err"
check "create on the read-only socket creates nothing" gone ro1

# config show: a domain's config as it was given; files as before.
run x config show web1
check "config show DOM exits 0" [ "$rc" -eq 0 ]
check "config show DOM prints the config given" cmp -s "$tmp/out" "$tmp/web1.cfg"
run x config show "$(col web1 2)"
check "config show DOMID" cmp -s "$tmp/out" "$tmp/web1.cfg"
run x config show --json web1
check "config show --json DOM: libxl's config" grep -q '"c_info"' "$tmp/out"
run x config show "$tmp/web1.cfg"
check "config show FILE still shows the file" [ "$rc" -eq 0 ]
check "config show FILE normalises" grep -q '^name = "web1"$' "$tmp/out"
run x config show no-such-domain
check "config show of an unknown domain exits 1" [ "$rc" -eq 1 ]
run x config show /no/such/file.cfg
check "config show of a missing file exits 1" [ "$rc" -eq 1 ]
check "config show of a missing file: the file's error" grep -q "/no/such/file.cfg" "$tmp/err"
run "$XLCTL" --socket "$ro" config show web1
check "config show DOM on the read-only socket" cmp -s "$tmp/out" "$tmp/web1.cfg"

# create -c: the domain is created, then xlctl attaches to its console
# (the simulator's, on a terminal, where Ctrl-] leaves; the console
# itself is t-20-console.sh's).
cfg conweb
run "$(command -v /usr/bin/python3 || command -v python3)" \
    "$(dirname "$0")/ptyrun.py" --log "$tmp/pty" expect:'conweb login: ' \
    send:'\x1d' -- "$XLCTL" --socket "$sock" create -c "$tmp/conweb.cfg"
check "create -c on the sim attaches; Ctrl-] leaves with 0" [ "$rc" -eq 0 ]
check "create -c shows the guest's boot" grep -q "guest conweb" "$tmp/pty"
check "create -c created the domain" exists conweb
finish
