#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig/selfcheck.sh [rig/vmtest.sh options] - the rig checks its own judging
# in Bochs (make rig-selfcheck), two short runs:
#   1. a guest that prints "Kernel panic - not syncing: ..." through the
#      launcher, and a shell line that does too, do not end the run: it
#      finishes with the command's own status;
#   2. a real panic of the VM's kernel (/init exits: "Attempted to kill
#      init!") ends the run as a kernel panic, status 1.
# KTAP on stdout; with PVMX_RIG_SUMMARY set, appends "passed failed 0
# rig-selfcheck" to it.  Exit 0 iff both pass.
set -uo pipefail

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/pvmx-selfcheck.XXXXXX")
trap 'rm -rf "$T"' EXIT

nr=0
pass=0
fail=0
result() { # NAME: judged by the checks' status in $why (empty: pass)
	nr=$((nr + 1))
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		echo "ok $nr $1"
	else
		fail=$((fail + 1))
		echo "# $why"
		echo "# rig output (tail):"
		tail -n 30 "$T/$nr.all" | sed 's/^/#   /'
		echo "not ok $nr $1"
	fi
}

echo "KTAP version 1"
echo "1..2"

# 1. Panic text from a guest (hello.elf prints its command line) and from
# user space.
PANIC_GUEST="Kernel panic - not syncing: a guest says so"
PANIC_USER="[    1.000000] Kernel panic - not syncing: user space says so"
"$RIG_DIR/vmtest.sh" "$@" --cmd "pvmx run --cmdline '$PANIC_GUEST' /guests/hello.elf || exit \$?
echo '$PANIC_USER'
exit 3" >"$T/1.out" 2>"$T/1.err"
rc=$?
cat "$T/1.out" "$T/1.err" >"$T/1.all"
why=
if grep -q 'kernel panic in the VM' "$T/1.err"; then
	why="the rig took the guest's panic message for the kernel's"
elif [ "$rc" != 3 ]; then
	why="rig status $rc, want 3 (the command's)"
elif ! grep -qF "cmdline \"$PANIC_GUEST\"" "$T/1.out"; then
	why="the guest's line is missing from the output"
elif ! grep -qxF "$PANIC_USER" "$T/1.out"; then
	why="the user-space line is missing from the output"
fi
result "rig: a guest's panic message does not end the run"

# 2. The VM's kernel panics.
"$RIG_DIR/vmtest.sh" "$@" --host-panic-test --cmd 'echo before the panic' >"$T/2.out" 2>"$T/2.err"
rc=$?
cat "$T/2.out" "$T/2.err" >"$T/2.all"
why=
if ! grep -q 'kernel panic in the VM' "$T/2.err"; then
	why="the rig did not report the kernel's panic"
elif ! grep -q 'Kernel panic - not syncing: Attempted to kill init' "$T/2.err"; then
	why="the kernel's panic line is not in the tail the rig shows"
elif [ "$rc" != 1 ]; then
	why="rig status $rc, want 1"
elif ! grep -qx 'before the panic' "$T/2.out"; then
	why="the command's output is missing"
fi
result "rig: the VM kernel's panic ends the run"

echo "# rig-selfcheck: $pass passed, $fail failed"
[ -z "${PVMX_RIG_SUMMARY:-}" ] || echo "$pass $fail 0 rig-selfcheck" >>"$PVMX_RIG_SUMMARY"
[ "$fail" = 0 ]
