#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig/tests/spec_check_test.sh - rig/spec-check.sh judged on the host, no
# emulator: stub insmod, rmmod, dmesg and pvmx play a pvmx module with the
# speculation mitigations a host reports (a fake vulnerabilities directory)
# and flush counts for each mode, after a boot that warned (as the 6.12
# kernel does under Bochs).  A module that behaves must pass every
# check; each way of misbehaving must fail the check meant to catch it.
# Run by `make rig-test`; exit 0 iff every case came out as expected.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT=$HERE/../spec-check.sh
W=$(mktemp -d "${TMPDIR:-/tmp}/spec-check-test.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
fail=0
n=0

mkdir -p "$W/bin"
# insmod KO [vmentry_l1d_flush=M] [l1d_flush_sw=1]: the fake module's load.
cat >"$W/bin/insmod" <<'EOF'
#!/bin/bash
F=$FAKE_DIR
mode=auto sw=0
for a in "${@:2}"; do
	case "$a" in
	vmentry_l1d_flush=*) mode=${a#*=} ;;
	l1d_flush_sw=*) sw=${a#*=} ;;
	esac
done
case "$mode" in
auto | never | cond | always) ;;
*)
	if [ "${FAKE_ACCEPT_BAD:-0}" = 0 ]; then
		echo "pvmx: cannot load: vmentry_l1d_flush=$mode: want auto, never, cond or always" >>"$F/kmsg"
		echo "insmod: can't insert '$1': invalid parameter" >&2
		exit 1
	fi
	mode=auto ;;
esac
[ "$mode" != auto ] || mode=$FAKE_AUTO
[ "$mode" != cond ] || [ "${FAKE_IRQ_FLAG:-1}" = 1 ] || mode=always
how=flush_cmd
[ "$sw" = 0 ] || how=software
grep -qw flush_l1d "$F/proc/cpuinfo" || how=software
l1d=$mode
[ "$mode" = never ] || l1d="$mode($how)"
echo "l1d_flush=$l1d $FAKE_MIT" >"$F/params/mitigations"
echo "$mode" >"$F/params/vmentry_l1d_flush"
echo 0 >"$F/params/l1d_flushes"
echo "pvmx: speculation mitigations at VM entry/exit: l1d_flush=$l1d $FAKE_MIT" >>"$F/kmsg"
echo "pvmx 1 0 - Live 0x0" >"$F/proc/modules"
[ "${FAKE_RUN_WARN:-0}" = 0 ] || echo "WARNING: CPU: 0 PID: 1 at module/x86/vmx.c:1 pvmx_vmx_init" >>"$F/kmsg"
EOF
cat >"$W/bin/rmmod" <<'EOF'
#!/bin/bash
: >"$FAKE_DIR/proc/modules"
EOF
cat >"$W/bin/dmesg" <<'EOF'
#!/bin/bash
cat "$FAKE_DIR/kmsg"
[ "${1:-}" != -c ] || : >"$FAKE_DIR/kmsg"
EOF
# pvmx run|stats [--timeout S] IMAGE: exits per image; the flushes the mode
# (and the misbehaviour asked for) does.
cat >"$W/bin/pvmx" <<'EOF'
#!/bin/bash
F=$FAKE_DIR
img=${!#}
case "$(basename "$img")" in
cpuid.elf) e=300 c=40 x=3 ;;
*) e=500 c=2 x=5 ;;
esac
mode=$(cat "$F/params/vmentry_l1d_flush")
case "$mode" in
never) fl=${FAKE_NEVER_FLUSHES:-0} ;;
always) fl=$((e - ${FAKE_ALWAYS_SHORT:-0})) ;;
cond) fl=$((e - c - x + 1)); [ "${FAKE_COND_NO_SKIP:-0}" = 0 ] || fl=$e ;;
esac
echo $(($(cat "$F/params/l1d_flushes") + fl)) >"$F/params/l1d_flushes"
echo "Bye." >&2
if [ "$1" = stats ]; then
	printf '{"version":1,"nr_vcpus":1,"exits":%d,"exit_reasons":{"exception_nmi":{"count":%d,"cycles":9},"external_interrupt":{"count":%d,"cycles":9},"cpuid":{"count":%d,"cycles":9}},"hypercalls":{}}\n' \
		"$e" $((e - c - x)) "$x" "$c"
fi
EOF
chmod +x "$W/bin/"*

# case NAME EXPECT_FAILING_CHECK(or -) [VAR=VALUE...]: one run of the script.
case_() {
	local name=$1 want=$2 d
	shift 2
	n=$((n + 1))
	d=$W/case$n
	mkdir -p "$d/params" "$d/proc" "$d/vulns"
	echo "[    0.000000] WARNING: CPU: 0 PID: 0 at arch/x86/kernel/cpu/topology_common.c:57 parse_legacy" >"$d/kmsg"
	: >"$d/proc/modules"
	echo "console=ttyS0 mitigations=auto" >"$d/proc/cmdline"
	printf 'flags\t\t: fpu vme msr pae vmx ept\nbugs\t\t: l1tf mds spectre_v2\n' >"$d/proc/cpuinfo"
	echo "Mitigation: PTE Inversion" >"$d/vulns/l1tf"
	echo "Vulnerable: Clear CPU buffers attempted, no microcode; SMT disabled" >"$d/vulns/mds"
	echo "Mitigation: Retpolines; STIBP: disabled; RSB filling; PBRSB-eIBRS: Not affected; BHI: Not affected" >"$d/vulns/spectre_v2"
	echo "Vulnerable" >"$d/vulns/vmscape"
	(
		export FAKE_DIR=$d FAKE_AUTO=cond
		export FAKE_MIT="verw=1 rsb_fill=full bhb_clear=0 ibrs_restore=0 ibpb_vcpu_switch=0 ibpb_exit_to_user=0"
		for kv in "$@"; do
			case "$kv" in
			vuln:*=*) kv=${kv#vuln:}; echo "${kv#*=}" >"$d/vulns/${kv%%=*}" ;;
			cpuflag=*) sed -i "s/^flags.*/& ${kv#*=}/" "$d/proc/cpuinfo" ;;
			*) export "${kv?}" ;;
			esac
		done
		PATH=$W/bin:$PATH PVMX_SPEC_PARAMS=$d/params PVMX_SPEC_VULNS=$d/vulns \
			PVMX_SPEC_PROC=$d/proc PVMX_KO=/pvmx.ko PVMX_GUESTS=/guests sh "$SCRIPT"
	) >"$d/out" 2>&1
	local rc=$? failing
	failing=$(sed -n 's/^not ok [0-9]* \([a-z_0-9]*\).*/\1/p' "$d/out" | tr '\n' ' ')
	failing=${failing% }
	if [ "$want" = - ]; then
		if [ "$rc" = 0 ] && [ -z "$failing" ] && [ "$(grep -c '^ok ' "$d/out")" = 8 ]; then
			echo "ok $n $name"
			return
		fi
	elif [ "$rc" != 0 ] && [ "$failing" = "$want" ]; then
		echo "ok $n $name"
		return
	fi
	echo "not ok $n $name # want failing: $want; got status $rc, failing: ${failing:-none}"
	sed 's/^/#   /' "$d/out"
	fail=1
}

echo "KTAP version 1"
echo "1..12"
case_ "a module that behaves passes" -
case_ "without the per-CPU interrupt flag cond is always" - FAKE_IRQ_FLAG=0
case_ "FLUSH_CMD where the CPU has it" - cpuflag=flush_l1d
case_ "no L1TF: never" - FAKE_AUTO=never "vuln:l1tf=Not affected"
case_ "VERW missing where MDS is cleared" mitigations_reported \
	FAKE_MIT="verw=0 rsb_fill=full bhb_clear=0 ibrs_restore=0 ibpb_vcpu_switch=0 ibpb_exit_to_user=0"
case_ "no RSB fill under retpolines" mitigations_reported \
	FAKE_MIT="verw=1 rsb_fill=none bhb_clear=0 ibrs_restore=0 ibpb_vcpu_switch=0 ibpb_exit_to_user=0"
case_ "no L1D flush on an L1TF host" mitigations_reported FAKE_AUTO=never
case_ "no IBPB before user space where VMSCAPE wants it" mitigations_reported \
	"vuln:vmscape=Mitigation: IBPB before exit to userspace"
case_ "always misses a flush" l1d_flush_always FAKE_ALWAYS_SHORT=1
case_ "cond never skips" l1d_flush_cond_cpuid FAKE_COND_NO_SKIP=1
case_ "a bad mode is accepted" bad_l1d_mode_refused FAKE_ACCEPT_BAD=1
case_ "a splat while the checks run" spec_dmesg_clean FAKE_RUN_WARN=1
exit "$fail"
