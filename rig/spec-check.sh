#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rig/spec-check.sh - pvmx's speculation mitigations at VM entry and exit,
# in the test VM booted with mitigations on (rig/vmtest.sh --mitigations,
# after the suite; busybox sh).  Documentation/design.rst, "Security".
#
#   - what pvmx says it applies (/sys/module/pvmx/parameters/mitigations,
#     and the one line it logs at load) agrees with the host's own report
#     (/sys/devices/system/cpu/vulnerabilities/*): L1D flush where the
#     host has L1TF, VERW, RSB fill, IBRS restore, BHB clearing, IBPB before
#     user space (VMSCAPE);
#   - guests pass with each L1D flush mode (never, cond, always; the
#     software sequence forced with l1d_flush_sw=1, MSR_IA32_FLUSH_CMD where
#     the CPU has it), and the flush counter moves exactly when flushes are
#     due;
#   - a bad vmentry_l1d_flush= is refused with one line;
#   - no kernel splat on the way.
# KTAP on stdout; exit 0 iff every check passed.
# Environment: PVMX_KO (/pvmx/pvmx.ko), PVMX_GUESTS (/guests: hello.elf,
# events.elf, cpuid.elf); for the script's own host test
# (rig/tests/spec_check_test.sh): PVMX_SPEC_PARAMS, PVMX_SPEC_VULNS,
# PVMX_SPEC_PROC (the module's parameters, the vulnerabilities directory,
# a stand-in for /proc).

KO=${PVMX_KO:-/pvmx/pvmx.ko}
G=${PVMX_GUESTS:-/guests}
P=${PVMX_SPEC_PARAMS:-/sys/module/pvmx/parameters}
V=${PVMX_SPEC_VULNS:-/sys/devices/system/cpu/vulnerabilities}
PROC=${PVMX_SPEC_PROC:-/proc}
T=$(mktemp -d /tmp/spec-check.XXXXXX)
# The kernel's log from here on is this script's to judge; the boot's
# (a 6.12 kernel warns about Bochs's CPU topology) and the suite's (judged
# by its own dmesg_clean) are not.
dmesg -c >"$T/before.kmsg"
: >"$T/kmsg"

nr=0
fail=0
diag() { echo "# $*"; }
diag_file() { [ -s "$1" ] && sed -e 's/^/#   /' "$1" | tail -n "${2:-20}"; }
result() { # NAME STATUS
	nr=$((nr + 1))
	if [ "$2" = 0 ]; then
		echo "ok $nr $1"
	else
		fail=$((fail + 1))
		echo "not ok $nr $1"
	fi
}
skip() { nr=$((nr + 1)); echo "ok $nr $1 # SKIP $2"; }

loaded() { grep -q "^pvmx " "$PROC/modules"; }
reload() { # PARAMS...: pvmx loaded with them
	! loaded || rmmod pvmx || { diag "rmmod pvmx failed"; return 1; }
	dmesg -c >>"$T/kmsg"
	insmod "$KO" "$@" 2>"$T/insmod.err" || { diag "insmod $* failed:"; diag_file "$T/insmod.err"; return 1; }
}
vuln() { cat "$V/$1" 2>/dev/null || echo "?"; }
field() { # NAME: its value in the mitigations string
	tr ' ' '\n' <"$P/mitigations" | sed -n "s/^$1=//p"
}
flushes() { cat "$P/l1d_flushes"; }
run_guest() { # IMAGE: passes
	pvmx run --timeout 120 "$G/$1" >"$T/out" 2>&1 || { diag "pvmx run $1 failed:"; diag_file "$T/out"; return 1; }
}

echo "KTAP version 1"
echo "1..8"
for f in "$V"/*; do
	diag "$(basename "$f"): $(cat "$f")"
done
diag "cmdline: $(cat "$PROC/cmdline")"
diag "cpu flags: $(grep -m1 '^flags' "$PROC/cpuinfo" | tr ' ' '\n' |
	grep -xE 'ibrs|ibpb|stibp|ssbd|md_clear|flush_l1d|arch_capabilities|spec_ctrl|ibrs_enhanced|retpoline' | tr '\n' ' ')"
diag "cpu bugs: $(sed -n 's/^bugs[[:space:]]*: //p' "$PROC/cpuinfo" | head -n 1)"

# 1: the default (auto) reports what the host's flags say.
t_reported() {
	reload || return 1
	m=$(cat "$P/mitigations")
	diag "mitigations: $m"
	line=$(dmesg | sed -n 's/^.*pvmx: speculation mitigations at VM entry\/exit: //p')
	[ "$line" = "$m" ] || { diag "load line '$line' differs from the parameter"; return 1; }
	bad=0
	l1d=$(field l1d_flush)
	case "$(vuln l1tf)" in
	"Not affected"*) case "$l1d" in never) ;; *) diag "no L1TF, yet l1d_flush=$l1d"; bad=1 ;; esac ;;
	*) case "$l1d" in cond* | always*) ;; *) diag "L1TF host with mitigations on, yet l1d_flush=$l1d"; bad=1 ;; esac ;;
	esac
	[ "$(cat "$P/vmentry_l1d_flush")" = "${l1d%%(*}" ] ||
		{ diag "vmentry_l1d_flush reads $(cat "$P/vmentry_l1d_flush"), mitigations say $l1d"; bad=1; }
	case "$(vuln mds)" in
	*"Clear CPU buffers"*) [ "$(field verw)" = 1 ] || { diag "MDS cleared by VERW on the host, verw=$(field verw)"; bad=1; } ;;
	esac
	s2=$(vuln spectre_v2)
	case "$s2" in
	"Mitigation: Retpolines"* | "Mitigation: IBRS"*)
		[ "$(field rsb_fill)" = full ] || { diag "spectre_v2 '$s2': rsb_fill=$(field rsb_fill), want full"; bad=1 ;} ;;
	esac
	case "$s2" in
	"Mitigation: IBRS"*) want=1 ;;
	*) want=0 ;;
	esac
	[ "$(field ibrs_restore)" = "$want" ] || { diag "spectre_v2 '$s2': ibrs_restore=$(field ibrs_restore), want $want"; bad=1; }
	case "$s2" in
	*"PBRSB-eIBRS: SW sequence"*)
		[ "$(field rsb_fill)" != none ] || { diag "PBRSB sequence on the host, rsb_fill=none"; bad=1; } ;;
	esac
	case "$s2" in
	*"BHI: SW loop"*) [ "$(field bhb_clear)" = 1 ] || { diag "BHI loop on the host, bhb_clear=$(field bhb_clear)"; bad=1; } ;;
	*"BHI: Not affected"* | *"BHI: BHI_DIS_S"* | *"BHI: Vulnerable"*)
		[ "$(field bhb_clear)" = 0 ] || { diag "no BHI loop on the host, bhb_clear=$(field bhb_clear)"; bad=1; } ;;
	esac
	case "$(vuln vmscape)" in
	*"IBPB before exit to userspace"*) want=1 ;;
	*) want=0 ;;
	esac
	[ "$(field ibpb_exit_to_user)" = "$want" ] ||
		{ diag "vmscape '$(vuln vmscape)': ibpb_exit_to_user=$(field ibpb_exit_to_user), want $want"; bad=1; }
	[ "$bad" = 0 ] && run_guest hello.elf
}
t_reported
result mitigations_reported $?

# 2-5: each mode, with the software sequence: the flush counter against
# the VM's own exit counts (pvmx stats).  A 1-vCPU VM enters once per exit:
# "always" flushes exactly once per exit, "never" not at all, "cond" at
# most that and at least once per exit but the CPUID and external-interrupt
# ones (and the last, which nothing follows).
json_num() { # KEY FILE: the first "KEY":N or "KEY":{"count":N
	sed -n "s/.*\"$1\":\({\"count\":\)\{0,1\}\([0-9]*\).*/\2/p" "$2" | head -n 1
}
run_stats() { # IMAGE: EXITS CPUIDS EXTINTS FLUSHED of one run
	f0=$(flushes)
	pvmx stats --timeout 120 "$G/$1" >"$T/stats" 2>"$T/out" || { diag "pvmx stats $1 failed:"; diag_file "$T/out"; return 1; }
	FLUSHED=$(($(flushes) - f0))
	EXITS=$(json_num exits "$T/stats")
	CPUIDS=$(json_num cpuid "$T/stats")
	EXTINTS=$(json_num external_interrupt "$T/stats")
	EXITS=${EXITS:-0} CPUIDS=${CPUIDS:-0} EXTINTS=${EXTINTS:-0}
	diag "$1: $EXITS exits ($CPUIDS CPUID, $EXTINTS external interrupt), $FLUSHED L1D flushes"
	[ "$EXITS" -gt 0 ] || { diag "no exits counted"; return 1; }
}
t_mode() { # MODE IMAGE
	reload vmentry_l1d_flush="$1" l1d_flush_sw=1 || return 1
	m=$(field l1d_flush)
	diag "vmentry_l1d_flush=$1: $(cat "$P/mitigations")"
	run_stats "$2" || return 1
	case "$1:$m" in
	never:never)
		[ "$FLUSHED" = 0 ] ;;
	always:"always(software)" | cond:"always(software)")
		# cond without the kernel's per-CPU interrupt flag is always.
		[ "$FLUSHED" = "$EXITS" ] ;;
	cond:"cond(software)")
		lo=$((EXITS - CPUIDS - EXTINTS - 1))
		[ "$FLUSHED" -ge "$lo" ] && [ "$FLUSHED" -le "$EXITS" ] || return 1
		# Back-to-back CPUID exits: most see no interrupt in between.
		[ "$CPUIDS" -lt 10 ] || [ "$FLUSHED" -lt "$EXITS" ] ;;
	*)
		diag "l1d_flush=$m for vmentry_l1d_flush=$1 l1d_flush_sw=1"
		return 1 ;;
	esac
}
t_mode never hello.elf
result l1d_flush_never $?
t_mode always events.elf
result l1d_flush_always $?
t_mode cond events.elf
result l1d_flush_cond $?
t_mode cond cpuid.elf
result l1d_flush_cond_cpuid $?

# 6: MSR_IA32_FLUSH_CMD, where the CPU has it.
if grep -qw flush_l1d "$PROC/cpuinfo"; then
	t_flush_cmd() {
		reload vmentry_l1d_flush=always || return 1
		[ "$(field l1d_flush)" = "always(flush_cmd)" ] || { diag "l1d_flush=$(field l1d_flush)"; return 1; }
		run_stats hello.elf && [ "$FLUSHED" = "$EXITS" ]
	}
	t_flush_cmd
	result l1d_flush_cmd $?
else
	skip l1d_flush_cmd "the CPU has no MSR_IA32_FLUSH_CMD (no flush_l1d flag)"
fi

# 7: a bad mode is refused, with a line naming it, and nothing stays loaded.
t_refused() {
	! loaded || rmmod pvmx || return 1
	dmesg -c >>"$T/kmsg"
	if insmod "$KO" vmentry_l1d_flush=sometimes 2>"$T/insmod.err"; then
		diag "insmod vmentry_l1d_flush=sometimes succeeded"
		return 1
	fi
	dmesg | grep 'pvmx' | sed 's/^/#   /'
	! loaded && dmesg | grep -q 'pvmx: cannot load: vmentry_l1d_flush=sometimes'
}
t_refused
result bad_l1d_mode_refused $?

# 8: back to the default, and no splat since the checks began.
t_clean() {
	reload || return 1
	dmesg >>"$T/kmsg"
	! grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace:|UBSAN:|KASAN:|kernel BUG' "$T/kmsg"
}
t_clean
result spec_dmesg_clean $?

rm -rf "$T"
[ "$fail" = 0 ]
