#!/bin/bash
# A config with errors is refused with ConfigError carrying every
# diagnostic, with its file, line and column; overrides are parsed as
# `xl create CFG key=value` does them, and their errors are on the
# "command line".
. "$(dirname "$0")/lib.sh"
start_xld

bad=$(printf 'name = "bad"\nmemory = \nvcpus = 2\nType = pv\nkernel = /boot/vmlinuz\n')
r=$(call create "{\"config\": $(json_str <<<"$bad"), \"filename\": \"/etc/xen/bad.cfg\"}")
expect_error ConfigError "$r"
n=$(get 'len([d for d in r["error"]["diagnostics"] if d["severity"] == "error"])' <<<"$r")
[ "$n" -ge 3 ] || fail "expected 3 errors or more: $r"
[ "$(get 'r["error"]["diagnostics"][0]["file"]' <<<"$r")" = /etc/xen/bad.cfg ] || fail "file: $r"
[ "$(get 'r["error"]["diagnostics"][0]["line"]' <<<"$r")" = 2 ] || fail "line: $r"
[ "$(get 'r["error"]["diagnostics"][0]["column"]' <<<"$r")" = 10 ] || fail "column: $r"
[ "$(get 'sorted(set(d["line"] for d in r["error"]["diagnostics"]))' <<<"$r")" = "[2, 4, 5]" ] \
    || fail "lines: $r"

# Valid syntax, wrong meaning: the converter's errors have places too.
sem=$(printf 'name = "sem"\nmemory = 128\nkernel = "/k"\non_crash = "explode"\n')
r=$(call create "{\"config\": $(json_str <<<"$sem"), \"filename\": \"sem.cfg\"}")
expect_error ConfigError "$r"
[ "$(get 'r["error"]["diagnostics"][0]["line"]' <<<"$r")" = 4 ] || fail "semantic line: $r"

# No name at all.
r=$(call create "{\"config\": $(printf 'memory = 128\nkernel = "/k"\n' | json_str)}")
expect_error ConfigError "$r"

# Overrides: a good one wins over the file, a bad one is on the command
# line, numbered by its position.
good=$(config ov 128)
r=$(call create "{\"config\": $(json_str <<<"$good"), \"filename\": \"ov.cfg\", \"overrides\": [\"memory=256\", \"kernel=/boot/x\"]}")
expect_error ConfigError "$r"
[ "$(get 'r["error"]["diagnostics"][0]["file"]' <<<"$r")" = "command line" ] || fail "override file: $r"
[ "$(get 'r["error"]["diagnostics"][0]["line"]' <<<"$r")" = 2 ] || fail "override line: $r"
r=$(call create "{\"config\": $(json_str <<<"$good"), \"filename\": \"ov.cfg\", \"overrides\": [\"memory=256\", \"name=\\\"ov2\\\"\"]}")
expect_ok "$r"
[ "$(get 'r["return"]["name"]' <<<"$r")" = ov2 ] || fail "override name: $r"
[ "$(get 'r["return"][0]["memkb"]' <<<"$(call list '{"domain":"ov2"}')")" = 262144 ] \
    || fail "override memory"
c=$(call config '{"domain":"ov2"}')
[ "$(get 'r["return"]["overrides"]' <<<"$c")" = '["memory=256", "name=\"ov2\""]' ] || fail "overrides kept: $c"

# Warnings do not stop a create and come back with it.
w=$(printf 'name = "warn"\nmemory = 128\nkernel = "/k"\nmemroy = 5\n')
r=$(call create "{\"config\": $(json_str <<<"$w"), \"filename\": \"warn.cfg\"}")
expect_ok "$r"
[ "$(get 'r["return"]["warnings"][0]["line"]' <<<"$r")" = 4 ] || fail "warning: $r"

# The host cannot fit it: NoMemory (the sim host has 256 GiB).
r=$(create huge $((1024 * 1024)))
expect_error NoMemory "$r"
[ "$(domains)" = "$(printf 'Domain-0\nov2\nwarn')" ] || fail "domains: $(domains)"
alive
stop_xld
echo "t-03-config-error: ok"
