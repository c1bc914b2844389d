#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/check-outputs.sh - host test of bench/run.sh's outputs without the
# rig (make -C bench check; part of `make unit`): a synthetic raw log, as
# the rig would write it, through `bench/run.sh --from-log --no-host`, then
# checks of results.csv's shape (platform header, column documentation,
# per-op vs per-batch columns, baselines, spread), results.txt's unit and,
# when gnuplot is there, multicall.png and multicall.svg.  Also an old log
# (medians only, no platform lines): still a CSV, spread columns empty.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TMP=$(mktemp -d /tmp/pvmx-bench-check.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
fails=0
fail() { echo "not ok: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
check() {	# DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then ok "$d"; else fail "$d"; fi
}

# name median -> "name median min q1 q3 max" (spread around the median).
spread() { awk -v k="${3:-1}" '{ printf "%s %.1f %.1f %.1f %.1f %.1f\r\n", $1, $2 * k,
	$2 * k * 0.98, $2 * k * 0.99, $2 * k * 1.01, $2 * k * 1.05 }' <<<"$1 $2"; }
{
	echo "vmtest: booting the test VM"
	printf 'BENCH-PLATFORM vm_kernel=6.1.99-test vm_cpus=1\r\n'
	echo "BENCH-OUTPUT-BEGIN"
	echo "# pvmx bench: iters=128 reps=11 (per op: median min q1 q3 max of the reps; TSC ticks)"
	spread cpuid 400
	spread cpuid_full 450
	spread hypercall_page 600
	spread hypercall_int82 610
	for n in 1 2 4 8 16 32 64 128; do
		e=$((300 + 800 / n))
		spread "multicall_$n" "$e"
		spread "multicall_batch_$n" "$e" "$n"
	done
	for n in 1 8 32 128; do
		spread "pte_uvm_$n" 800
		spread "pte_mc_$n" $((600 + 800 / n))
	done
	for n in 1 8 32 128; do spread "pte_mmu_update_$n" $((400 + 600 / n)); done
	spread event_roundtrip 2800
	spread trap_int80_ring3 1400
	spread trap_int80_ring3_fast 14
	echo "# pvmx bench: done"
	echo "BENCH-OUTPUT-END"
	echo "BENCH-HOST pvmx_commit=feed123 emulator=bochs-9.9 emulator_host=Linux-6.1.0-x86_64 date=2026-01-01T00:00Z"
} >"$TMP/raw.log"

PVMX_BENCH_OUT=$TMP/out PVMX_BENCH_NO_INSTALL=1 \
	"$BENCH_DIR/run.sh" --from-log "$TMP/raw.log" --no-host >"$TMP/run.out" 2>&1 ||
	{ cat "$TMP/run.out"; fail "run.sh --from-log failed"; exit 1; }
CSV=$TMP/out/results.csv
HEADER="case,series,n,per,per_op_median,per_op_min,per_op_q1,per_op_q3,per_op_max,per_batch_median,baseline,x_baseline,x_cpuid"

check "csv: the header row follows the # lines" \
	test "$(grep -v '^#' "$CSV" | head -n 1)" = "$HEADER"
check "csv: the platform is recorded (emulator, the kernel pvmx ran on, commit)" \
	grep -q '^# platform: emulator=bochs-9.9 .*pvmx_host_kernel=6.1.99-test .*emulator_host=Linux-6.1.0-x86_64' "$CSV"
check "csv: commit, guest parameters" grep -q '^# date=2026-01-01T00:00Z pvmx_commit=feed123 guest=bench.elf iters=128 reps=11' "$CSV"
check "csv: the unit is rig ticks, one per emulated instruction" \
	grep -q '^# unit: rig ticks = .*one per emulated instruction' "$CSV"
undocumented=
for col in ${HEADER//,/ }; do
	grep -qE "^#   $col +[a-z]" "$CSV" || undocumented="$undocumented $col"
done
check "csv: every column is described in the header${undocumented:+ (missing:$undocumented)}" test -z "$undocumented"
check "csv: 13 fields in every row" \
	awk -F, '!/^#/ && NF != 13 { bad = 1 } END { exit bad }' "$CSV"
check "csv: one row per case, no multicall_batch_N rows (per-batch is a column)" \
	awk -F, '!/^#/ && NR > 1 && $1 != "case" { n++ } /^multicall_batch/ { bad = 1 } END { exit bad || n != 27 }' "$CSV"
row() { grep "^$1," "$CSV"; }
check "csv: multicall_32 per entry, per batch = 32 x, against one hypercall" \
	test "$(row multicall_32)" = "multicall_32,multicall,32,entry,325.0,318.5,321.8,328.2,341.2,10400.0,hypercall_page,0.5417,0.8125"
check "csv: update_va_mapping batches against one update_va_mapping call" \
	test "$(row pte_mc_128 | cut -d, -f2-4,11,12)" = "pte_mc,128,pte,pte_uvm_1,0.7575"
check "csv: mmu_update included, per PTE, against one update_va_mapping call" \
	test "$(row pte_mmu_update_8 | cut -d, -f2-4,10-12)" = "pte_mmu_update,8,pte,3800.0,pte_uvm_1,0.5938"
check "csv: single operations have no per-batch value, cpuid no baseline" \
	test "$(row cpuid)" = "cpuid,cpuid,1,op,400.0,392.0,396.0,404.0,420.0,,,,1.0000"
check "csv: the fast int \$0x80 against the reflected one" \
	test "$(row trap_int80_ring3_fast | cut -d, -f11,12)" = "trap_int80_ring3,0.0100"
check "txt: the unit is rig ticks" grep -q '^unit: rig ticks per operation' "$TMP/out/results.txt"
check "txt: no 'cycles' column heading" bash -c "! grep -q 'cycles/op' '$TMP/out/results.txt'"
# The fast-path table of issue 16: each row, its target and PASS/MISS;
# the multicall slope from the batches ((39168 - 1100) / 127 = 299.7 here: the synthetic 800/n is integer division).
TXT=$TMP/out/results.txt
check "txt: fast-path table, bare exit row" grep -Eq '^  bare exit \(cpuid\) round trip +400\.0 +<= 220  MISS$' "$TXT"
check "txt: fast-path table, null hypercall against cpuid + 40" \
	grep -Eq '^  null hypercall \(hypercall page\) +600\.0 +<= 440  MISS  \(cpuid \+ 40\)$' "$TXT"
check "txt: the full-path exit row" grep -Eq '^  cpuid_full +450\.0 +1\.12 ' "$TXT"
check "txt: the dispatch alone (null hypercall - cpuid_full)" \
	grep -Eq '^    \(null hypercall - cpuid_full: the dispatch alone\) +150\.0$' "$TXT"
check "txt: fast-path table, multicall slope" grep -Eq '^  multicall, each additional entry .* +299\.7 +<= 60  MISS$' "$TXT"
check "txt: fast-path table, event round trip" grep -Eq '^  event_roundtrip .* +2800\.0 +<= 1500  MISS$' "$TXT"
check "txt: fast-path table, mmu_update at 128" grep -Eq '^  mmu_update per PTE at N = 128 +404\.0 +<= 200  MISS$' "$TXT"
check "txt: fast-path table, int 0x80 kept" grep -Eq '^  int \$0x80 fast path .* +14\.0 +<= 80  PASS$' "$TXT"
check "txt: fast-path table, no row for a case the log lacks" bash -c "! grep -q '^  trap_pf_ring1 (bounce' '$TXT'"
if command -v gnuplot >/dev/null 2>&1; then
	check "plot: PNG" bash -c "head -c 8 '$TMP/out/multicall.png' | od -An -c | grep -q 'P   N   G'"
	check "plot: SVG with the rig-ticks axis and both panels" bash -c \
		"grep -q '<svg' '$TMP/out/multicall.svg' && grep -q 'rig ticks per entry' '$TMP/out/multicall.svg' &&
		 grep -q 'rig ticks per PTE' '$TMP/out/multicall.svg' && grep -q 'mmu_update of N requests' '$TMP/out/multicall.svg' &&
		 ! grep -q 'guest TSC' '$TMP/out/multicall.svg'"
	check "plot: min-max bars from the spread columns" \
		test "$(head -n 1 "$TMP/out/multicall.dat")" = "1 1100.0 1078.0 1155.0"
else
	echo "ok: plot # SKIP gnuplot not installed"
fi

# An old log: medians only, no platform lines.
sed -e 's/^\([a-z_0-9]*\) \([0-9.]*\) .*/\1 \2/' -e '/^BENCH-\(HOST\|PLATFORM\)/d' "$TMP/raw.log" >"$TMP/old.log"
PVMX_BENCH_OUT=$TMP/old PVMX_BENCH_NO_INSTALL=1 \
	"$BENCH_DIR/run.sh" --from-log "$TMP/old.log" --no-host >"$TMP/old.out" 2>&1 ||
	{ cat "$TMP/old.out"; fail "run.sh --from-log on an old log failed"; }
check "old log: spread columns empty, platform unknown" bash -c \
	"grep -q '^cpuid,cpuid,1,op,400.0,,,,,,,,1.0000\$' '$TMP/old/results.csv' &&
	 grep -q '^# platform: emulator=unknown ' '$TMP/old/results.csv'"

echo "bench outputs: $fails failed"
[ "$fails" = 0 ]
