#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/linux.sh - the Linux PV guest's boot and /init workload measured in
# the rig (Documentation/benchmarks.rst, "Linux").
#
# Boots $PVMX_GUESTS_DIR/linux-pv32/vmlinux (default ../shared/guests next
# to the checkout) once with --trace and --stats=json, splits the trace at
# the first system call from ring 3 (bench/linux/summarise.awk) into the
# boot and /init's 200 fork+execve of /bin/true, and writes into
# build/bench/linux/:
#   raw.log        the rig's whole output
#   summary.txt    counters per phase, and per fork+execve
#   stats.json     the VM's statistics (pvmx stats JSON)
#   mc_hist.dat    multicall batch sizes: N boot work
#   mc_hist.png    their histogram (gnuplot, if installed)
# Skips (exit 0, with a reason) when the guest image is absent.
#
# With --fast-int80 on|off the guest runs with `pvmx run --fast-int80` or
# `--no-fast-int80` (default: the launcher's default); summary.txt then has
# the work phase's ticks, exits and int $0x80 exits per fork+execve.
#
# usage: bench/linux.sh [--vcpus N] [--image PATH-IN-GUESTS-DIR] [--timeout S]
#                       [--fast-int80 on|off] [--from-log FILE]
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
OUT=${PVMX_BENCH_OUT:-$REPO/build/bench}/linux
GDIR=${PVMX_GUESTS_DIR:-$REPO/../shared/guests}
IMAGE=linux-pv32/vmlinux
VCPUS=1
TIMEOUT=600
FROM_LOG=
FORKS=200	# /init's loop (linux-pv32/init.c)
RUNFLAGS=

while [ "$#" -gt 0 ]; do
	case "$1" in
	--vcpus) VCPUS=$2; shift ;;
	--image) IMAGE=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--from-log) FROM_LOG=$2; shift ;;
	--fast-int80)
		case "$2" in
		on) RUNFLAGS=--fast-int80 ;;
		off) RUNFLAGS=--no-fast-int80 ;;
		*) echo "bench/linux: --fast-int80 on|off" >&2; exit 2 ;;
		esac
		shift ;;
	-h|--help) sed -n '3,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/linux: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
say() { echo "bench/linux: $*" >&2; }
mkdir -p "$OUT"
RAW=$OUT/raw.log

if [ -z "$FROM_LOG" ]; then
	if [ ! -f "$GDIR/$IMAGE" ]; then
		say "SKIP: no $GDIR/$IMAGE (set PVMX_GUESTS_DIR)"
		exit 0
	fi
	stage=$(mktemp -d -t pvmx-linux-bench.XXXXXX)
	trap 'rm -rf "$stage"' EXIT
	cp "$GDIR/$IMAGE" "$stage/vmlinux"
	cp "$BENCH_DIR/linux/summarise.awk" "$stage/"
	cpus=1
	[ "$VCPUS" -gt 1 ] && cpus=2
	# Trace to fd 3, summarised in the VM (a Linux boot is ~10^6 records).
	cmd="echo 1 > /proc/sys/kernel/printk
t0=\$(cat /proc/uptime)
pvmx run $RUNFLAGS --vcpus $VCPUS --memory 128M --cmdline 'console=hvc0 earlyprintk=xen' \\
  --timeout $TIMEOUT --trace --trace-output=/proc/self/fd/3 --stats=json /guests/vmlinux \\
  3>&1 >/tmp/console.out 2>/tmp/stats.out | awk -f /guests/summarise.awk > /tmp/summary
t1=\$(cat /proc/uptime)
echo \"LINUXBENCH uptime \$t0 \$t1\"
grep -c . /tmp/console.out | sed 's/^/LINUXBENCH console_lines /'
grep -q 'LINUX-PV32: PASS' /tmp/console.out && echo 'LINUXBENCH PASS' || { echo 'LINUXBENCH FAIL'; tail -40 /tmp/console.out; head -20 /tmp/stats.out; }
sed 's/^/LINUXBENCH C /' /tmp/summary
grep '^{' /tmp/stats.out | sed 's/^/LINUXBENCH J /'"
	say "booting $IMAGE with $VCPUS vCPU(s) in the rig (Bochs, --cpus $cpus)"
	"$REPO/rig/vmtest.sh" --no-deps --cpus "$cpus" --guests "$stage" \
		--timeout $((TIMEOUT * 4 + 600)) --cmd "$cmd" > "$RAW" 2>&1 || true
else
	RAW=$FROM_LOG
fi

tr -d '\r' < "$RAW" | sed -n 's/.*LINUXBENCH J //p' > "$OUT/stats.json"
tr -d '\r' < "$RAW" | sed -n 's/.*LINUXBENCH C //p' | sort > "$OUT/counters.txt"
result=$(tr -d '\r' < "$RAW" | sed -n 's/.*LINUXBENCH \(PASS\|FAIL\).*/\1/p' | head -n 1)
read -r _ _ up0 _ up1 _ < <(tr -d '\r' < "$RAW" | grep -o 'LINUXBENCH uptime .*' | head -n 1) || true
run_s=$(tr -d '\r' < "$RAW" | sed -n 's/.*timings:.* run=\([0-9]*\)s.*/\1/p' | tail -n 1)

{
	echo "Linux PV guest: $IMAGE, $VCPUS vCPU(s)${RUNFLAGS:+, $RUNFLAGS}: ${result:-no result}"
	[ -n "${up0:-}" ] && awk -v a="$up0" -v b="$up1" 'BEGIN { printf "boot to power-off: %.1f s of the test VM'\''s time\n", b - a }'
	[ -n "${run_s:-}" ] && echo "rig command phase: ${run_s} s of wall time (Bochs)"
	# 100 ticks per microsecond of the VM's clock (rig/vmtest.sh ips=100000000).
	awk -v forks="$FORKS" '
		{ v[$1, $2] = $3 }
		END {
			if (!v["work", "usec"]) exit
			printf "per fork+execve (work phase / %d): %.0f ticks, %.1f exits, %.1f int $0x80 exits\n",
			       forks, v["work", "usec"] * 100 / forks,
			       (v["work", "hc"] + v["work", "traps"]) / forks, v["work", "int80"] / forks
		}' "$OUT/counters.txt"
	echo
	printf '%-28s %12s %12s %14s\n' counter boot work "work/fork+exec"
	awk -v forks="$FORKS" '
		{ v[$2, $1] = $3; k[$2] = 1 }
		END {
			for (n in k) if (n !~ /^mc_hist:/)
				printf "%-28s %12d %12d %14.1f\n", n, v[n, "boot"], v[n, "work"],
				       v[n, "work"] / forks
		}' "$OUT/counters.txt" | sort
} > "$OUT/summary.txt"

awk '$2 ~ /^mc_hist:/ { split($2, a, ":"); v[a[2], $1] = $3; n[a[2]] = 1 }
     END { for (i in n) printf "%d %d %d\n", i, v[i, "boot"], v[i, "work"] }' \
	"$OUT/counters.txt" | sort -n > "$OUT/mc_hist.dat"

if command -v gnuplot > /dev/null && [ -s "$OUT/mc_hist.dat" ]; then
	gnuplot -e "datafile='$OUT/mc_hist.dat'; outfile='$OUT/mc_hist.png'" \
		"$BENCH_DIR/linux/mc_hist.gp" || say "gnuplot failed"
fi
cat "$OUT/summary.txt"
[ "$result" = PASS ]
