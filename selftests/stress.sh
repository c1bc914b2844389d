#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# stress.sh: host-side stress of pvmx (run_all.sh's stress_* tests).
#
#   stress.sh concurrent N GUESTS_DIR   N VMs of 2 vCPUs each running at once
#                                       (smp.elf pingpong: IPIs back and forth,
#                                       hypercalls between), each must finish
#                                       cleanly (exit 0, every IPI answered)
#   stress.sh cycles N GUESTS_DIR       N create/run/destroy cycles of hello.elf
#   stress.sh exhaust GUESTS_DIR        a VM bigger than the host can back is
#                                       refused with ENOMEM, no OOM kill, and
#                                       memory comes back (MemAvailable, slab)
#
# PVMX names the launcher (default: pvmx in PATH); STRESS_ROUNDS the IPI
# round trips per VM (default 2000).  Prints "# ..." diagnostics and a summary
# line; exit 0 pass, 1 fail.
set -u
PVMX=${PVMX:-pvmx}
TMP=${TMPDIR:-/tmp}/pvmx-stress.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT

die() { echo "# stress: $*"; exit 1; }
now() { cut -d' ' -f1 /proc/uptime; }
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

concurrent() {
	n=$1; g=$2; i=0; pids=""
	t0=$(now)
	while [ "$i" -lt "$n" ]; do
		"$PVMX" run --memory 8M --vcpus 2 --timeout 500 \
			--cmdline "pingpong=${STRESS_ROUNDS:-2000}" "$g/smp.elf" \
			>"$TMP/c$i.out" 2>"$TMP/c$i.err" &
		pids="$pids $!"
		i=$((i + 1))
	done
	i=0; bad=0
	for p in $pids; do
		wait "$p"; rc=$?
		if [ "$rc" != 0 ] || ! grep -q 'smp: pingpong' "$TMP/c$i.out" ||
			! grep -q '^# Totals: pass:[0-9]* fail:0' "$TMP/c$i.out"; then
			echo "# stress: VM $i: exit status $rc"
			tail -n 5 "$TMP/c$i.out" "$TMP/c$i.err" | sed 's/^/#   /'
			bad=$((bad + 1))
		fi
		i=$((i + 1))
	done
	grep -h 'smp: pingpong' "$TMP"/c*.out | sed 's/^/#   /'
	echo "# stress: $n concurrent VMs (2 vCPUs each), $bad failed, $(echo "$(now) $t0" | awk '{ printf "%.1f", $1 - $2 }') s"
	[ "$bad" = 0 ]
}

cycles() {
	n=$1; g=$2; i=0
	t0=$(now)
	before=$(meminfo MemAvailable)
	while [ "$i" -lt "$n" ]; do
		if ! "$PVMX" run --memory 4M --timeout 60 --quiet "$g/hello.elf" >"$TMP/cy.out" 2>&1; then
			echo "# stress: cycle $i failed"
			tail -n 5 "$TMP/cy.out" | sed 's/^/#   /'
			return 1
		fi
		i=$((i + 1))
	done
	after=$(meminfo MemAvailable)
	echo "# stress: $n create/run/destroy cycles in $(echo "$(now) $t0" | awk '{ printf "%.1f", $1 - $2 }') s; MemAvailable $before -> $after kB"
	# 100 leaked 4 MiB VMs would be 400 MiB: allow noise (page cache, slab).
	[ $((before - after)) -lt 16384 ] || die "MemAvailable dropped by $((before - after)) kB"
}

exhaust() {
	g=$1
	total=$(meminfo MemTotal)
	# Twice the host's RAM, within the launcher's limit (2 GiB).
	mb=$((total * 2 / 1024))
	[ "$mb" -gt 2048 ] && mb=2048
	if [ "$((mb * 1024))" -le "$total" ]; then
		echo "# stress: host has $total kB, cannot ask for more than 2 GiB: skip"
		return 0
	fi
	sync
	echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
	avail0=$(meminfo MemAvailable); slab0=$(meminfo Slab)
	oom0=$(dmesg | grep -c -i -E 'invoked oom-killer|Out of memory')
	"$PVMX" run --memory "${mb}M" --timeout 120 "$g/hello.elf" >"$TMP/ex.out" 2>"$TMP/ex.err"
	rc=$?
	echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
	avail1=$(meminfo MemAvailable); slab1=$(meminfo Slab)
	oom1=$(dmesg | grep -c -i -E 'invoked oom-killer|Out of memory')
	echo "# stress: ${mb} MiB VM on a $((total / 1024)) MiB host: exit $rc: $(head -c 200 "$TMP/ex.err")"
	echo "# stress: MemAvailable $avail0 -> $avail1 kB, Slab $slab0 -> $slab1 kB"
	[ "$rc" = 1 ] || die "want exit status 1 (refused), got $rc"
	grep -q -i 'cannot allocate memory\|ENOMEM' "$TMP/ex.err" || die "no ENOMEM in the launcher's message"
	[ "$oom0" = "$oom1" ] || die "the OOM killer ran"
	[ $((avail0 - avail1)) -lt 8192 ] || die "MemAvailable dropped by $((avail0 - avail1)) kB"
	[ $((slab1 - slab0)) -lt 4096 ] || die "Slab grew by $((slab1 - slab0)) kB"
}

case "${1:-}" in
concurrent) concurrent "${2:-8}" "${3:-/selftests/guests}" ;;
cycles) cycles "${2:-100}" "${3:-/selftests/guests}" ;;
exhaust) exhaust "${2:-/selftests/guests}" ;;
*) echo "usage: stress.sh concurrent N DIR | cycles N DIR | exhaust DIR" >&2; exit 2 ;;
esac
