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
# Environment: PVMX_KO (/pvmx/pvmx.ko), PVMX_GUESTS (/guests: hello.elf, events.elf).

KO=${PVMX_KO:-/pvmx/pvmx.ko}
G=${PVMX_GUESTS:-/guests}
P=/sys/module/pvmx/parameters
V=/sys/devices/system/cpu/vulnerabilities
T=$(mktemp -d /tmp/spec-check.XXXXXX)
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

loaded() { grep -q "^pvmx " /proc/modules; }
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
diag "cmdline: $(cat /proc/cmdline)"
diag "cpu flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
	grep -xE 'ibrs|ibpb|stibp|ssbd|md_clear|flush_l1d|arch_capabilities|spec_ctrl|ibrs_enhanced|retpoline' | tr '\n' ' ')"
diag "cpu bugs: $(sed -n 's/^bugs[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"

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

# 2-4: each mode; the software sequence.
t_mode() { # MODE: guests pass, flushes counted as the mode says
	reload vmentry_l1d_flush="$1" l1d_flush_sw=1 || return 1
	diag "mitigations: $(cat "$P/mitigations")"
	f0=$(flushes)
	run_guest hello.elf && run_guest events.elf || return 1
	f1=$(flushes)
	diag "$1: $((f1 - f0)) L1D flushes for hello.elf and events.elf"
	case "$1" in
	never)
		[ "$(field l1d_flush)" = never ] && [ "$f1" = "$f0" ] ;;
	*)
		case "$(field l1d_flush)" in
		"$1(software)" | "always(software)") ;;
		*) diag "l1d_flush=$(field l1d_flush) for vmentry_l1d_flush=$1 l1d_flush_sw=1"; return 1 ;;
		esac
		# Two guests of several hundred exits each.
		[ "$((f1 - f0))" -ge 100 ] || { diag "too few flushes"; return 1; }
		;;
	esac
}
for mode in never cond always; do
	t_mode "$mode"
	result "l1d_flush_$mode" $?
done

# 5: MSR_IA32_FLUSH_CMD, where the CPU has it.
if grep -qw flush_l1d /proc/cpuinfo; then
	t_flush_cmd() {
		reload vmentry_l1d_flush=always || return 1
		[ "$(field l1d_flush)" = "always(flush_cmd)" ] || { diag "l1d_flush=$(field l1d_flush)"; return 1; }
		f0=$(flushes)
		run_guest hello.elf || return 1
		[ "$(flushes)" -gt "$f0" ]
	}
	t_flush_cmd
	result l1d_flush_cmd $?
else
	skip l1d_flush_cmd "the CPU has no MSR_IA32_FLUSH_CMD (no flush_l1d flag)"
fi

# 6: cond flushes less often than always on the same guest, where "cond"
# stays cond (kernels that keep the per-CPU interrupt flag).
t_cond_fewer() {
	reload vmentry_l1d_flush=cond l1d_flush_sw=1 || return 1
	if [ "$(cat "$P/vmentry_l1d_flush")" != cond ]; then
		diag "cond reads back as $(cat "$P/vmentry_l1d_flush"): this kernel keeps no per-CPU interrupt flag (no KVM_INTEL)"
		return 0
	fi
	f0=$(flushes); run_guest hello.elf || return 1; c=$(($(flushes) - f0))
	reload vmentry_l1d_flush=always l1d_flush_sw=1 || return 1
	f0=$(flushes); run_guest hello.elf || return 1; a=$(($(flushes) - f0))
	diag "hello.elf: $c flushes with cond, $a with always"
	[ "$c" -gt 0 ] && [ "$c" -le "$a" ]
}
t_cond_fewer
result l1d_flush_cond_bounded $?

# 7: a bad mode is refused, in one line, and nothing stays loaded.
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

# 8: back to the default, and no splat on the way.
t_clean() {
	reload || return 1
	dmesg >>"$T/kmsg"
	! grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace:|UBSAN:|KASAN:|kernel BUG' "$T/kmsg"
}
t_clean
result spec_dmesg_clean $?

rm -rf "$T"
[ "$fail" = 0 ]
