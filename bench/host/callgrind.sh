#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/host/callgrind.sh BINARY: run every case of dispatch_bench under
# callgrind, counting only bench_loop(), and print
#   <case> <instructions-per-op>
# (also written to $OUT/callgrind.txt; the callgrind.out files stay in $OUT
# for callgrind_annotate).
set -euo pipefail
BIN=$1
OUT=${OUT:-$(dirname "$BIN")}
N=${N:-1000}

if ! command -v valgrind >/dev/null 2>&1; then
	echo "bench: valgrind missing: apt-get install -y valgrind" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind >/dev/null 2>&1; } ||
		{ echo "bench: could not install valgrind" >&2; exit 1; }
fi

: >"$OUT/callgrind.txt"
"$BIN" --list | while read -r name per; do
	cg=$OUT/callgrind.out.$name
	valgrind --tool=callgrind --collect-atstart=no --toggle-collect=bench_loop \
		--callgrind-out-file="$cg" "$BIN" "$name" "$N" >/dev/null 2>"$OUT/valgrind.$name.log" ||
		{ echo "bench: $name failed:" >&2; cat "$OUT/valgrind.$name.log" >&2; exit 1; }
	ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$cg")
	[ -n "$ir" ] || ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$cg")
	awk -v n="$name" -v ir="$ir" -v ops="$((N * per))" \
		'BEGIN { printf "%s %.1f\n", n, ir / ops }' | tee -a "$OUT/callgrind.txt"
done
