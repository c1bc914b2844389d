#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh - what `make bench` runs (Documentation/benchmarks.rst).
#
# Builds the benchmark guest, runs it once in the emulated-VMX rig
# (rig/vmtest.sh --guests ... --cmd 'pvmx run ...'), extracts its
# `name cycles-per-op` lines and writes into build/bench/:
#   raw.log       the rig's whole output
#   results.txt   a table with ratios and the issue's targets (PASS/MISS)
#   results.csv   name,cycles_per_op,x_cpuid,x_hypercall
#   multicall.png per-entry multicall cost against batch size (gnuplot)
#   host/callgrind.txt  the core dispatcher's instructions per operation on
#                 the host (make -C bench host), also appended to results.txt
# Targets are reported, not asserted: the script exits 0 when they are
# missed, non-zero only when the benchmark itself could not run.
#
# usage: bench/run.sh [--iters N] [--reps R] [--timeout S] [--no-host] [--from-log FILE]
#   --no-host         skip the host callgrind microbenchmark
#   --from-log FILE   do not run the rig: re-derive the outputs from a raw log
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
OUT=${PVMX_BENCH_OUT:-$REPO/build/bench}
ITERS=128
REPS=11
TIMEOUT=1200
FROM_LOG=
HOST=1

while [ "$#" -gt 0 ]; do
	case "$1" in
	--iters) ITERS=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--from-log) FROM_LOG=$2; shift ;;
	--no-host) HOST=0 ;;
	-h|--help) sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
case "$ITERS$REPS$TIMEOUT" in *[!0-9]*) echo "bench: --iters/--reps/--timeout take numbers" >&2; exit 2 ;; esac

say() { echo "bench: $*" >&2; }
now() { date +%s; }
t_start=$(now)
mkdir -p "$OUT"
RAW=$OUT/raw.log

if [ -z "$FROM_LOG" ]; then
	make -s -C "$BENCH_DIR" guest OUT="$OUT"

	# rig/vmtest.sh serialises emulator runs itself (flock on its lock file).

	# Kernel messages must not land in the middle of the guest's lines:
	# console log level 1 while the guest runs, its output collected in a file.
	cmd="echo 1 > /proc/sys/kernel/printk
pvmx run --timeout $((TIMEOUT - 60)) --cmdline 'iters=$ITERS reps=$REPS' /guests/bench.elf > /tmp/bench.out 2>&1
st=\$?
pvmx run --fast-int80 --timeout $((TIMEOUT - 60)) --cmdline 'iters=$ITERS reps=$REPS' /guests/bench.elf > /tmp/bench-fast.out 2>&1 || st=\$?
echo BENCH-OUTPUT-BEGIN
cat /tmp/bench.out
sed -n 's/^trap_int80_ring3 /trap_int80_ring3_fast /p' /tmp/bench-fast.out
echo BENCH-OUTPUT-END
exit \$st"
	say "running the benchmark guest in the rig (iters=$ITERS reps=$REPS)"
	rc=0
	"$REPO/rig/vmtest.sh" --guests "$OUT/guests" --timeout "$TIMEOUT" --cmd "$cmd" \
		>"$RAW" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		tail -n 40 "$RAW" >&2
		say "error: the rig run failed (status $rc); full log: $RAW"
		exit 1
	fi
else
	[ "$FROM_LOG" -ef "$RAW" ] || cp "$FROM_LOG" "$RAW"
fi
t_rig=$(now)

# `name value` lines between the markers (CRs from the serial line removed).
RES=$OUT/results.raw
tr -d '\r' <"$RAW" | sed -n '/^BENCH-OUTPUT-BEGIN$/,/^BENCH-OUTPUT-END$/p' |
	grep -E '^([a-z][a-z0-9_]* [0-9]+(\.[0-9]+)?|# .*)$' >"$RES" || true
if ! grep -q '^cpuid ' "$RES" || ! grep -q '^hypercall_page ' "$RES"; then
	tail -n 40 "$RAW" >&2
	say "error: no benchmark results in the rig output ($RAW)"
	exit 1
fi
grep -q '^# pvmx bench: done' "$RES" || say "warning: the guest did not finish all cases"

# ---- results.csv --------------------------------------------------------------
CSV=$OUT/results.csv
awk '
	/^#/ { next }
	{ name[NR] = $1; val[NR] = $2; v[$1] = $2; n = NR }
	END {
		print "name,cycles_per_op,x_cpuid,x_hypercall"
		for (i = 1; i <= n; i++) if (name[i] != "")
			printf "%s,%s,%.3f,%.3f\n", name[i], val[i],
				val[i] / v["cpuid"], val[i] / v["hypercall_page"]
	}' "$RES" >"$CSV"

# ---- host: the core dispatcher under callgrind ----------------------------------
HOSTTXT=$OUT/host/callgrind.txt
rm -f "$HOSTTXT"
if [ "$HOST" = 1 ]; then
	say "host microbenchmark of the dispatcher (callgrind)"
	make -s -C "$BENCH_DIR" host OUT="$OUT" >"$OUT/host.log" 2>&1 ||
		{ tail -n 20 "$OUT/host.log" >&2; say "warning: the host microbenchmark failed"; rm -f "$HOSTTXT"; }
fi

# ---- results.txt --------------------------------------------------------------
TXT=$OUT/results.txt
GIT_REV=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)
{
	echo "pvmx benchmark results  ($(date -u '+%Y-%m-%d %H:%M UTC'), tree $GIT_REV)"
	grep '^# pvmx bench: iters' "$RES" | sed 's/^# pvmx bench: /guest: /'
	echo "unit: guest TSC ticks per operation, median of the repetitions"
	echo "      (rig/Bochs: emulated instructions, host path included; real VT-x: cycles)"
	echo
	awk '
	/^#/ { if ($0 !~ /pvmx bench:/) cmt[++nc] = $0; next }
	{ v[$1] = $2 }
	function row(label, val, note) {
		if (val == "") return
		printf "  %-22s %10.1f %9.2f   %s\n", label, val, val / cpu, note
	}
	END {
		cpu = v["cpuid"]; hc = v["hypercall_page"]
		printf "  %-22s %10s %9s   %s\n", "case", "cycles/op", "x cpuid", ""
		row("cpuid", v["cpuid"], "bare VM exit round trip (baseline)")
		row("hypercall_page", v["hypercall_page"], "xen_version(XENVER_version) via the hypercall page")
		row("hypercall_int82", v["hypercall_int82"], "the same, direct int $0x82")
		row("event_roundtrip", v["event_roundtrip"], "EVTCHNOP_send to self IPI + upcall + iret hypercall")
		row("trap_pf_ring1", v["trap_pf_ring1"], "#PF in ring 1 -> guest handler -> iret hypercall")
		row("trap_pf_ring3", v["trap_pf_ring3"], "#PF in ring 3 (events unmasked) -> handler -> iret hypercall")
		row("trap_int80_ring3", v["trap_int80_ring3"], "int $0x80 from ring 3 (events unmasked) -> handler -> hardware iret")
		row("trap_int80_ring3_masked", v["trap_int80_ring3_masked"], "the same with events masked (no fast path)")
		row("trap_int80_ring3_fast", v["trap_int80_ring3_fast"], "int $0x80 from ring 3 with pvmx run --fast-int80 (hardware gate, no VM exit)")
		print ""
		print "  multicall of N null hypercalls (xen_version)"
		printf "  %6s %12s %12s %9s %14s\n", "N", "per entry", "per batch", "x cpuid", "x hypercall"
		for (n = 1; n <= 128; n *= 2) {
			e = v["multicall_" n]; b = v["multicall_batch_" n]
			if (e == "") continue
			printf "  %6d %12.1f %12.1f %9.2f %14.3f\n", n, e, b, e / cpu, e / hc
		}
		print ""
		print "  page-table updates, cost per PTE"
		printf "  %6s %14s %14s %16s %10s\n", "N", "uvm (N calls)", "multicall", "mmu_update", "mc / uvm"
		split("1 8 32 128", ps, " ")
		for (i = 1; i <= 4; i++) {
			n = ps[i]; u = v["pte_uvm_" n]; m = v["pte_mc_" n]; x = v["pte_mmu_update_" n]
			if (u == "" && m == "") continue
			printf "  %6d %14.1f %14.1f %16s %10.2f\n", n, u, m,
				(x == "" ? "-" : sprintf("%.1f", x)), (u > 0 ? m / u : 0)
		}
		print ""
		print "  targets (reported, not asserted)"
		r1 = hc / cpu
		printf "  %-58s %7.2fx  %s\n", "null hypercall <= 1.10 x bare exit (hypercall_page/cpuid)",
			r1, (r1 <= 1.10 ? "PASS" : "MISS")
		e32 = v["multicall_32"]
		if (e32 != "") {
			r2 = e32 / hc
			printf "  %-58s %7.3f   %s\n", "multicall per entry at N=32 <= 1/20 (0.050) of a hypercall",
				r2, (r2 <= 0.05 ? "PASS" : "MISS")
			printf "  %-58s %7.1fx\n", "  (a batch of 32 is this many times cheaper per call)", hc / e32
		}
		f80 = v["trap_int80_ring3_fast"]
		if (f80 != "") {
			r3 = f80 / cpu
			printf "  %-58s %7.2fx  %s\n", "int $0x80 fast path <= 0.2 x bare exit (fast/cpuid)",
				r3, (r3 <= 0.2 ? "PASS" : "MISS")
			printf "  %-58s %7.1fx\n", "  (fast path vs the reflected int $0x80)",
				v["trap_int80_ring3"] / f80
		}
		if (nc) { print ""; for (i = 1; i <= nc; i++) print "  " cmt[i] }
	}' "$RES"
	if [ -s "$HOSTTXT" ]; then
		echo
		echo "  host: the core dispatcher alone (bench/host, callgrind instructions per op)"
		awk '{ printf "  %-40s %10s\n", $1, $2 }' "$HOSTTXT"
	fi
} >"$TXT"

# ---- multicall.png ------------------------------------------------------------
PNG=$OUT/multicall.png
if ! command -v gnuplot >/dev/null 2>&1; then
	say "gnuplot missing: apt-get install -y gnuplot-nox"
	if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >/dev/null 2>&1 ||
	       { apt-get update -q >/dev/null 2>&1 &&
		 DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >/dev/null 2>&1; }; }; then
		say "warning: could not install gnuplot-nox; no plot"
	fi
fi
awk '/^multicall_[0-9]+ / { sub("multicall_", "", $1); print $1, $2 }' "$RES" >"$OUT/multicall.dat"
awk '/^pte_mc_[0-9]+ / { sub("pte_mc_", "", $1); print $1, $2 }' "$RES" >"$OUT/pte_mc.dat"
if command -v gnuplot >/dev/null 2>&1; then
	gnuplot -e "outfile='$PNG'; datafile='$OUT/multicall.dat'; ptefile='$OUT/pte_mc.dat';
		hypercall=$(awk '$1 == "hypercall_page" { print $2 }' "$RES");
		bare=$(awk '$1 == "cpuid" { print $2 }' "$RES");
		subtitle='$GIT_REV, iters=$ITERS reps=$REPS'" \
		"$BENCH_DIR/multicall.gp"
else
	PNG="(not drawn: no gnuplot)"
fi
t_end=$(now)

cat "$TXT"
echo
echo "bench: results  $TXT"
echo "bench: csv      $CSV"
echo "bench: plot     $PNG"
echo "bench: raw log  $RAW"
echo "bench: time     rig $((t_rig - t_start))s, total $((t_end - t_start))s"
