#!/bin/bash
# golden.sh XLCTL - the golden-file tests of the config verbs.
#
# The syntax layer (`config check --syntax`):
# For tests/cfg/pass-NAME.cfg: `xlctl config check` says "pass-NAME.cfg: OK"
# and exits 0, and `xlctl config show` prints exactly pass-NAME.out, with
# exactly pass-NAME.err (warnings) or nothing on stderr.
# For tests/cfg/fail-NAME.cfg: `xlctl config check` exits 1, prints nothing
# on stdout and exactly fail-NAME.err on stderr: every error with its
# FILE:LINE:COLUMN.
#
# GOLDEN_UPDATE=1 rewrites the expected files from the current output;
# review the diff before committing it.
set -u

xlctl=${1:?usage: golden.sh XLCTL}
srcdir=${XLD_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
update=${GOLDEN_UPDATE:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# same EXPECTED ACTUAL WHAT: compare a file with what was expected (a
# missing expected file means "empty").
same() {
    local exp=$1 act=$2 what=$3
    if [ -n "$update" ]; then
        if [ -s "$act" ]; then cp "$act" "$exp"; else rm -f "$exp"; fi
        return 0
    fi
    if [ -f "$exp" ]; then
        diff -u "$exp" "$act" >"$tmp/diff" && return 0
    else
        [ -s "$act" ] || return 0
        diff -u /dev/null "$act" >"$tmp/diff"
    fi
    bad "$what"
    cat "$tmp/diff"
    return 1
}

cd "$srcdir/tests/cfg" || exit 99
for f in pass-*.cfg; do
    base=${f%.cfg}
    "$xlctl" config check --syntax "$f" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne 0 ] || [ "$(cat "$tmp/out")" != "$f: OK" ]; then
        bad "$f: config check exited $rc"
        cat "$tmp/out" "$tmp/err"
        continue
    fi
    "$xlctl" config show "$f" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        bad "$f: config show exited $rc"
        continue
    fi
    same "$base.out" "$tmp/out" "$f: normalised output" &&
        same "$base.err" "$tmp/err" "$f: warnings" && ok
done
for f in fail-*.cfg; do
    base=${f%.cfg}
    "$xlctl" config check --syntax "$f" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne 1 ] || [ -s "$tmp/out" ]; then
        bad "$f: config check exited $rc (expected 1) or printed on stdout"
        cat "$tmp/out" "$tmp/err"
        continue
    fi
    if [ -z "$update" ] && [ ! -f "$base.err" ]; then
        bad "$f: no $base.err"
        continue
    fi
    same "$base.err" "$tmp/err" "$f: errors" && ok
done

# The semantic layer (`config check`, which also converts the config as
# `xl create` would): tests/cfg/sem/pass-* are valid, with exactly the
# warnings of their .err file; fail-* are rejected with exactly the
# errors of theirs, each at its FILE:LINE:COLUMN.
cd "$srcdir/tests/cfg/sem" || exit 99
for f in pass-*.cfg fail-*.cfg; do
    [ -e "$f" ] || continue
    base=${f%.cfg}
    "$xlctl" config check "$f" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    case $f in
    pass-*)
        if [ "$rc" -ne 0 ] || [ "$(cat "$tmp/out")" != "$f: OK" ]; then
            bad "sem/$f: config check exited $rc"
            cat "$tmp/out" "$tmp/err"
            continue
        fi ;;
    fail-*)
        if [ "$rc" -ne 1 ] || [ -s "$tmp/out" ]; then
            bad "sem/$f: config check exited $rc (expected 1) or printed on stdout"
            cat "$tmp/out" "$tmp/err"
            continue
        fi
        if [ -z "$update" ] && [ ! -f "$base.err" ]; then
            bad "sem/$f: no $base.err"
            continue
        fi ;;
    esac
    same "$base.err" "$tmp/err" "sem/$f: diagnostics" && ok
done
cd "$srcdir/tests/cfg" || exit 99

# Several files in one run: each reported, the status is the worst.
"$xlctl" config check --syntax pass-basic.cfg fail-missing-value.cfg >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -qx 'pass-basic.cfg: OK' "$tmp/out" &&
    grep -q '^fail-missing-value.cfg:' "$tmp/err"; then ok; else bad "mixed files: rc=$rc"; fi
# Usage errors exit 2; a missing file is an error of its own.
"$xlctl" config check >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then ok; else bad "config check without a file exited $rc"; fi
"$xlctl" config check /nonexistent.cfg >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q '^/nonexistent.cfg: cannot open: No such file' "$tmp/err"; then ok; else bad "missing file: rc=$rc"; fi
"$xlctl" no-such-verb >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then ok; else bad "unknown verb exited $rc"; fi

echo "golden: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
