#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# stats_trace.sh: in-VM checks of the launcher's statistics and tracing
# (busybox sh compatible; needs pvmx.ko loaded and the test guests).
#
#   - `pvmx stats --cmdline n=2000 busy.elf`: one JSON object on stdout with
#     hypercalls.xen_version.count >= 2000, sched_op count >= 2000 and
#     exits >= 4000; the guest console on stderr;
#   - `pvmx run --trace hello.elf`: strace-like lines on stderr for the
#     console writes (with their text), XENVER_version (= 0x40013, a
#     duration, the guest EIP) and the final shutdown;
#   - `pvmx run --vcpus 2 --trace --trace-format=json smp.elf` (pingpong):
#     JSON Lines (checked by jsonl_check) with records of both vCPUs, times
#     and durations; `--trace=xen_version,vcpu_op`: only those, from both
#     vCPUs; an unknown name is a usage error (2);
#   - `pvmx run --stats hello.elf`: the table on stderr names console_io and
#     the exception_nmi exits (hypercalls are int $0x82).
#
# KTAP subtest lines (`ok N name` / `not ok N name`, from 1) and diagnostics
# on stdout, then "# stats_trace: P passed, F failed"; exit 0 iff all passed.
#
# Environment:
#   PVMX              launcher (pvmx in PATH, /pvmx/pvmx, ...)
#   PVMX_GUESTS       directory of the test guests (<this dir>/guests, /guests)
#   PVMX_RUN_TIMEOUT  --timeout for each guest (120)

HERE=$(cd "$(dirname "$0")" && pwd)
if [ -n "$PVMX_GUESTS" ]; then
	GUESTS=$PVMX_GUESTS
elif [ -f "$HERE/guests/busy.elf" ]; then
	GUESTS=$HERE/guests
else
	GUESTS=/guests
fi
if [ -z "$PVMX" ]; then
	for p in "$(command -v pvmx 2>/dev/null)" /pvmx/pvmx "$HERE/../pvmx" \
		 "$HERE/../userspace/pvmx" /usr/local/bin/pvmx /usr/bin/pvmx; do
		if [ -n "$p" ] && [ -x "$p" ]; then PVMX=$p; break; fi
	done
fi
PVMX=${PVMX:-pvmx}
T=${PVMX_RUN_TIMEOUT:-120}
TMP=$(mktemp -d /tmp/pvmx-stats-trace.XXXXXX 2>/dev/null || echo /tmp/pvmx-stats-trace.$$)
mkdir -p "$TMP"

nr=0; pass=0; fail=0

diag() { echo "# $*"; }
diag_file() { [ -s "$1" ] && sed -e 's/^/#   /' "$1" | tail -n "${2:-20}"; }

ok() {		# ok COND-STATUS NAME [FILE-TO-SHOW-ON-FAILURE]
	nr=$((nr + 1))
	if [ "$1" -eq 0 ]; then
		pass=$((pass + 1)); echo "ok $nr $2"
	else
		fail=$((fail + 1)); echo "not ok $nr $2"
		[ -n "$3" ] && diag_file "$3"
	fi
}

# The number after "KEY": in a one-line JSON object, when KEY names a
# {"count":N,...} object ("count" of it) or a plain number.
json_count() {	# json_count FILE KEY
	sed -n "s/.*\"$2\":{\"count\":\([0-9][0-9]*\).*/\1/p" "$1" | head -n 1
}
json_num() {	# json_num FILE KEY
	sed -n "s/.*\"$2\":\([0-9][0-9]*\).*/\1/p" "$1" | head -n 1
}
at_least() {	# at_least VALUE MIN: status 0 when VALUE is a number >= MIN
	[ -n "$1" ] && [ "$1" -ge "$2" ] 2>/dev/null
}

diag "stats_trace: launcher $PVMX, guests $GUESTS"

# --- (a) pvmx stats on busy.elf ------------------------------------------
"$PVMX" stats --timeout "$T" --cmdline n=2000 "$GUESTS/busy.elf" \
	>"$TMP/stats.json" 2>"$TMP/stats.err"
rc=$?
[ $rc -eq 0 ]; ok $? "stats_busy_exit_status" "$TMP/stats.err"
[ $rc -ne 0 ] && diag "pvmx stats exited with $rc"
# One line, one object; the console went to stderr.
lines=$(wc -l <"$TMP/stats.json")
{ [ "$lines" -eq 1 ] && grep -q '^{"version":1,"nr_vcpus":1,"exits":[0-9]*,"exit_reasons":{.*,"failsafes":[0-9]*}$' "$TMP/stats.json" &&
  grep -q 'busy: done 2000 iterations' "$TMP/stats.err" &&
  ! grep -q 'busy:' "$TMP/stats.json"; }
ok $? "stats_json_on_stdout_console_on_stderr" "$TMP/stats.json"
xv=$(json_count "$TMP/stats.json" xen_version)
so=$(json_count "$TMP/stats.json" sched_op)
ex=$(json_num "$TMP/stats.json" exits)
diag "busy n=2000: xen_version $xv, sched_op $so, exits $ex"
at_least "$xv" 2000; ok $? "stats_xen_version_count_ge_2000" "$TMP/stats.json"
at_least "$so" 2000; ok $? "stats_sched_op_count_ge_2000" "$TMP/stats.json"
at_least "$ex" 4000; ok $? "stats_exits_ge_4000" "$TMP/stats.json"

# --- (b) pvmx run --trace on hello.elf ------------------------------------
"$PVMX" run --trace --timeout "$T" "$GUESTS/hello.elf" >"$TMP/trace.out" 2>"$TMP/trace.err"
rc=$?
[ $rc -eq 0 ] && grep -q 'Bye.' "$TMP/trace.out"
ok $? "trace_hello_runs" "$TMP/trace.err"
# "   0.001234 v0 call(...) = result {buffer} <1.234us> at 0x00101234"
P='^ *[0-9][0-9]*\.[0-9]\{6\} v0 '
grep "${P}console_io(CONSOLEIO_write, " "$TMP/trace.err" | grep -q ' = [^ ]* ".*"\(\.\.\.\)\{0,1\} <[0-9]*\.[0-9]\{3\}us> at 0x[0-9a-f]\{8\}$'
ok $? "trace_console_io_write_text" "$TMP/trace.err"
grep "${P}xen_version(XENVER_version, " "$TMP/trace.err" | grep -q ' = 0x40013 <[0-9]*\.[0-9]\{3\}us> at 0x[0-9a-f]\{8\}$'
ok $? "trace_xen_version_result" "$TMP/trace.err"
grep -q "${P}sched_op(SCHEDOP_shutdown, .* {0} <" "$TMP/trace.err"
ok $? "trace_sched_op_shutdown" "$TMP/trace.err"
# Trace lines stay off stdout (the guest console).
! grep -q 'CONSOLEIO_write' "$TMP/trace.out"
ok $? "trace_not_on_stdout" "$TMP/trace.out"

# --- (b2) two vCPUs, JSON Lines, the filter --------------------------------
JSONL_CHECK=$HERE/jsonl_check
"$PVMX" run --vcpus 2 --cmdline pingpong=3 --trace --trace-format=json \
	--trace-output="$TMP/smp.jsonl" --timeout "$T" "$GUESTS/smp.elf" \
	>"$TMP/smp.out" 2>"$TMP/smp.err"
rc=$?
[ $rc -eq 0 ] && grep -q 'smp: pingpong 3 rounds' "$TMP/smp.out"
ok $? "trace_smp_json_runs" "$TMP/smp.err"
if [ -x "$JSONL_CHECK" ]; then
	"$JSONL_CHECK" "$TMP/smp.jsonl" 2>"$TMP/jsonl.err"
	ok $? "trace_json_valid" "$TMP/jsonl.err"
else
	diag "no $JSONL_CHECK"; ok 1 "trace_json_valid"
fi
n0=$(grep -c '^{"vcpu":0,"time_ns":[1-9][0-9]*,"tsc":[1-9][0-9]*,"kind":"hypercall",' "$TMP/smp.jsonl")
n1=$(grep -c '^{"vcpu":1,"time_ns":[1-9][0-9]*,"tsc":[1-9][0-9]*,"kind":"hypercall",' "$TMP/smp.jsonl")
diag "smp JSON trace: $n0 hypercalls on vCPU 0, $n1 on vCPU 1, $(wc -l <"$TMP/smp.jsonl") records"
at_least "$n0" 10 && at_least "$n1" 10
ok $? "trace_json_both_vcpus" "$TMP/smp.jsonl"
grep '^{"vcpu":1,' "$TMP/smp.jsonl" | grep -q '"name":"xen_version",.*"duration_ns":[0-9][0-9]*,.*"eip":[1-9]'
ok $? "trace_json_fields" "$TMP/smp.jsonl"
# Only what the filter names, from both vCPUs, nothing on stdout.
"$PVMX" run --vcpus 2 --cmdline pingpong=3 --trace=xen_version,vcpu_op \
	--timeout "$T" "$GUESTS/smp.elf" >"$TMP/filt.out" 2>"$TMP/filt.err"
rc=$?
grep -v '^pvmx: ' "$TMP/filt.err" | grep -v '^ *[0-9]*\.[0-9]\{6\} v[01] \(  \[[0-9]*\] \)\{0,1\}\(xen_version\|vcpu_op\)(' >"$TMP/filt.other"
[ $rc -eq 0 ] && [ ! -s "$TMP/filt.other" ] &&
	grep -q ' v1 xen_version(' "$TMP/filt.err" && grep -q ' v0 vcpu_op(VCPUOP_up, 1, ' "$TMP/filt.err"
ok $? "trace_filter_both_vcpus" "$TMP/filt.other"
diag "filtered trace: $(wc -l <"$TMP/filt.err") lines"
# Unknown names: a usage error listing the valid ones.
"$PVMX" run --trace=xen_version,nosuchcall "$GUESTS/hello.elf" >/dev/null 2>"$TMP/bad.err"
rc=$?
[ $rc -eq 2 ] && grep -q "unknown name 'nosuchcall'; valid names: deliveries, set_trap_table, mmu_update," "$TMP/bad.err"
ok $? "trace_filter_unknown_name" "$TMP/bad.err"

# --- (c) pvmx run --stats on hello.elf ------------------------------------
"$PVMX" run --stats --timeout "$T" "$GUESTS/hello.elf" >"$TMP/table.out" 2>"$TMP/table.err"
rc=$?
[ $rc -eq 0 ] && grep -q '^pvmx statistics (1 vCPU):$' "$TMP/table.err"
ok $? "stats_table_printed" "$TMP/table.err"
grep -q '^  console_io  *[1-9][0-9]* ' "$TMP/table.err"
ok $? "stats_table_console_io" "$TMP/table.err"
grep -q '^  exception_nmi  *[1-9][0-9]* ' "$TMP/table.err"
ok $? "stats_table_exception_nmi" "$TMP/table.err"
diag "pvmx run --stats hello.elf:"
diag_file "$TMP/table.err" 40

rm -rf "$TMP"
echo "# stats_trace: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
