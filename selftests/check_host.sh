#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check_host.sh PVMX GUESTDIR: the part of the suite that needs no /dev/pvmx.
# `pvmx load --dry-run` must accept every good guest (exit 0) and refuse every
# malformed image (exit 1, "pvmx: IMAGE: ..." on stderr).  KTAP output.

PVMX=$1
DIR=${2:-guests}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ ! -x "$PVMX" ]; then
	echo "check_host: launcher $PVMX not built (make -C userspace)" >&2
	exit 1
fi

# Every guest run_all.sh uses must have been built (a missing one would
# otherwise just not be checked here).
REQUIRED="hello xen_version console hypercall shutdown crash crash_pf spin ring3
cpuid bad_memory privileged busy notes_legacy notes_section highbase traps ring3_traps
callbacks failsafe multicall events timers console_ring wait_virq block syscall xenstore"
REQUIRED="$REQUIRED fastcall"

good=$(ls "$DIR"/*.elf)
bad=$(ls "$DIR"/bad/*.elf)
set -- $good $bad $REQUIRED
echo "KTAP version 1"
echo "1..$(( $# + 1 ))"
n=0; pass=0; fail=0

res() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		pass=$((pass + 1)); echo "ok $n $2"
	else
		fail=$((fail + 1)); echo "not ok $n $2"
		sed -e 's/^/#   /' "$TMP/out" "$TMP/err" | head -n 20
	fi
}

for g in $REQUIRED; do
	: >"$TMP/out"; : >"$TMP/err"
	ok=0
	[ -f "$DIR/$g.elf" ] || { echo "# $DIR/$g.elf was not built"; ok=1; }
	res $ok "built_$g"
done
for img in $good; do
	"$PVMX" load --dry-run "$img" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ $rc = 0 ] || echo "# $img: exit status $rc, want 0"
	res $rc "dry_run_$(basename "$img" .elf)"
done
for img in $bad; do
	"$PVMX" load --dry-run "$img" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	ok=0
	if [ $rc != 1 ]; then
		echo "# $img: exit status $rc, want 1"; ok=1
	elif ! grep -qF "pvmx: $img: " "$TMP/err"; then
		echo "# $img: stderr lacks 'pvmx: $img: '"; ok=1
	fi
	res $ok "dry_run_refuses_$(basename "$img" .elf)"
done
"$PVMX" load --dry-run "$DIR/does-not-exist.elf" >"$TMP/out" 2>"$TMP/err"
rc=$?
ok=0
if [ $rc != 1 ] || ! grep -qF "pvmx: $DIR/does-not-exist.elf: " "$TMP/err"; then
	echo "# missing image: exit status $rc, want 1 and 'pvmx: IMAGE: ...'"; ok=1
fi
res $ok dry_run_refuses_missing_file

echo "# Totals: pass:$pass fail:$fail skip:0"
[ $fail = 0 ]
