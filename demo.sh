#!/bin/bash
# demo.sh - a short tour of what xld does today (run from the build tree
# after make).  It checks the sample configs, shows a normalised config,
# and shows how a broken config is reported.
set -u
srcdir=$(cd "$(dirname "$0")" && pwd)
xlctl=${XLCTL:-./cli/xlctl}
[ -x "$xlctl" ] || { echo "demo: build first (make), or set XLCTL" >&2; exit 1; }

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step "$xlctl" config check "$srcdir"/etc/examples/*.cfg || exit 1
step "$xlctl" config show "$srcdir/etc/examples/pvh-web.cfg" || exit 1
echo
echo "What the config means to libxl, exactly as 'xl -N create' prints it,"
echo "with two settings overridden on the command line:"
step "$xlctl" create --dry-run "$srcdir/etc/examples/pvh-web.cfg" memory=2048 'vcpus=4' || exit 1
echo
echo "A broken config: every error, with its line and column, in one run:"
step "$xlctl" config check "$srcdir/tests/cfg/fail-many-errors.cfg"
[ $? -eq 1 ] || exit 1
echo
echo "demo: done"
