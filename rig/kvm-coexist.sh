#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rig/kvm-coexist.sh - pvmx next to KVM on a 6.12 host, in the test VM
# (rig/vmtest.sh --kernel debian-6.12 --kvm-coexist; busybox sh).
#
# Since 6.12 kvm_intel turns VMX on as soon as it loads
# (kvm.enable_virt_at_load=1, the default); with enable_virt_at_load=0 it
# does so only while a KVM VM exists, as before 6.12.  Checked here
# (Documentation/install.rst, "KVM"):
#   - with the default, pvmx refuses to load, with one line naming KVM;
#   - pvmx loaded first: KVM's load takes VMX, pvmx's VMs are refused (EBUSY
#     and one line), KVM's work; and KVM refuses to load while a pvmx VM
#     exists, and loads once it is gone;
#   - with enable_virt_at_load=0 they take turns: each one's VM is refused
#     while the other's exists (pvmx: EBUSY and one line; KVM: EIO and
#     "kvm: enabling virtualization on CPU<n> failed"), and works once it is
#     gone;
#   - no kernel splat on the way.
# KTAP on stdout; exit 0 iff every check passed.
#
# Environment: PVMX_KO (/pvmx/pvmx.ko), PVMX_KMOD (/kmod: irqbypass.ko,
# kvm.ko, kvm-intel.ko), PVMX_GUESTS (/guests: hello.elf, spin.elf).

KO=${PVMX_KO:-/pvmx/pvmx.ko}
KMOD=${PVMX_KMOD:-/kmod}
G=${PVMX_GUESTS:-/guests}
T=$(mktemp -d /tmp/kvm-coexist.XXXXXX)
NCPU=$(grep -c '^processor' /proc/cpuinfo)
REMEDY="unload kvm_intel, or load kvm with enable_virt_at_load=0"

nr=0
fail=0
BG=
diag() { echo "# $*"; }
diag_file() { [ -s "$1" ] && sed -e 's/^/#   /' "$1" | tail -n "${2:-20}"; }
result() { # NAME: judged by $? of the test function
	nr=$((nr + 1))
	if [ "$2" = 0 ]; then
		echo "ok $nr $1"
	else
		fail=$((fail + 1))
		echo "not ok $nr $1"
	fi
}

loaded() { grep -q "^$1 " /proc/modules; }
kvm_load() { # [kvm.ko PARAMS]: irqbypass, kvm and kvm-intel; status of the last
	loaded irqbypass || insmod-once "$KMOD/irqbypass.ko" || return 1
	insmod-once "$KMOD/kvm.ko" "$@" 2>"$T/kvm.err" || { diag_file "$T/kvm.err"; return 1; }
	insmod-once "$KMOD/kvm-intel.ko" 2>"$T/kvm.err"
}
kvm_unload() {
	! loaded kvm_intel || rmmod kvm_intel || return 1
	! loaded kvm || rmmod kvm
}
pvmx_unload() { ! loaded pvmx || rmmod pvmx; }

# The module's own lines in the kernel log since mark(): not the kernel's
# taint notices about an out-of-tree, unsigned module.
MARKN=0
mark() { MARKN=$((MARKN + 1)); echo "kvm-coexist-mark-$$-$MARKN" >/dev/kmsg; }
klog_since_mark() { dmesg | sed -n "/kvm-coexist-mark-$$-$MARKN\$/,\$p" | sed '1d; s/^\[[^]]*\] //'; }
pvmx_lines() {
	klog_since_mark | grep '^pvmx:' |
		grep -vE 'loading out-of-tree module taints kernel|module verification failed' >"$T/pvmx.klog"
}
# expect_one_line TEXT: exactly one pvmx line since mark(), and it is TEXT.
expect_one_line() {
	pvmx_lines
	n=$(grep -c . "$T/pvmx.klog")
	if [ "$n" != 1 ] || ! grep -qxF "$1" "$T/pvmx.klog"; then
		diag "want exactly one kernel log line: $1"
		diag "got $n:"
		diag_file "$T/pvmx.klog"
		return 1
	fi
}

run_hello() { # status in $rc, output in $T/hello.{out,err}
	timeout -s KILL 180 pvmx run --timeout 60 "$G/hello.elf" >"$T/hello.out" 2>"$T/hello.err"
	rc=$?
}
hello_ok() {
	run_hello
	if [ "$rc" != 0 ] || ! grep -q '^Bye\.' "$T/hello.out"; then
		diag "pvmx run hello.elf: status $rc, want 0 and 'Bye.'"
		diag_file "$T/hello.out"
		diag_file "$T/hello.err"
		return 1
	fi
}
# hello_refused: the launcher fails creating the VM (EBUSY) and the module
# logs one line saying why.
hello_refused() {
	mark
	run_hello
	if [ "$rc" != 1 ] || ! grep -q 'PVMX_CREATE_VM: Device or resource busy' "$T/hello.err"; then
		diag "pvmx run hello.elf: status $rc, want 1 and 'PVMX_CREATE_VM: Device or resource busy'"
		diag_file "$T/hello.out"
		diag_file "$T/hello.err"
		return 1
	fi
	expect_one_line "pvmx: cannot turn VMX on ($NCPU CPUs refused); another hypervisor may be using VMX: $REMEDY"
}

# A pvmx VM that stays: spin.elf in the background, until stop_spin.  Up
# once the guest prints (the launcher is in its run loop, its signal
# handling set up) and the module counts the VM.
# wait_up PID CHECK...: 0 once CHECK succeeds (polled every 0.5 s, 60 s at
# most); 1 if the background process PID ends first or time runs out.
wait_up() {
	wpid=$1
	shift
	i=0
	while [ $i -lt 120 ]; do
		"$@" && return 0
		kill -0 "$wpid" 2>/dev/null || return 1
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}
spin_is_up() { grep -q spinning "$T/spin.out" && pvmx info 2>/dev/null | grep -qE '^ *live VMs +1$'; }
start_spin() {
	pvmx run --timeout 600 "$G/spin.elf" >"$T/spin.out" 2>"$T/spin.err" &
	BG=$!
	wait_up "$BG" spin_is_up && return 0
	diag "the spinning pvmx guest did not come up"
	diag_file "$T/spin.err"
	return 1
}
stop_spin() {
	[ -n "$BG" ] || return 0
	kill "$BG" 2>/dev/null
	{ wait "$BG"; } 2>/dev/null
	src=$?
	BG=
	# The launcher's status for SIGTERM (130, or 128 + 15 = 143).
	case $src in
	130 | 143) ;;
	*)
		diag "the spinning pvmx guest ended with status $src, want 130 or 143 (SIGTERM)"
		diag_file "$T/spin.err"
		return 1
		;;
	esac
	# Its VM is gone: pvmx holds VMX no more.
	pvmx info 2>/dev/null | grep -qE '^ *live VMs +0$' ||
		{ diag "pvmx info still counts a VM after the guest ended"; return 1; }
}
# A KVM VM that stays: kvm-vm hold in the background, until stop_hold.
KBG=
start_hold() {
	kvm-vm hold >"$T/hold.out" 2>"$T/hold.err" &
	KBG=$!
	wait_up "$KBG" grep -q 'VM created' "$T/hold.out" && return 0
	diag "kvm-vm hold did not create its VM"
	diag_file "$T/hold.err"
	return 1
}
stop_hold() {
	[ -n "$KBG" ] || return 0
	kill "$KBG" 2>/dev/null
	{ wait "$KBG"; } 2>/dev/null
	KBG=
}
kvm_create() { # a KVM VM, created and closed; status in $krc
	kvm-vm create >"$T/kvmvm.out" 2>"$T/kvmvm.err"
	krc=$?
}

# ---- the checks --------------------------------------------------------------

t_kvm_loads_virt_at_load() {
	kvm_load || { diag "kvm_intel does not load:"; diag_file "$T/kvm.err"; return 1; }
	p=$(cat /sys/module/kvm/parameters/enable_virt_at_load 2>/dev/null)
	[ "$p" = Y ] || { diag "kvm.enable_virt_at_load is '$p', want Y (the 6.12 default)"; return 1; }
	kvm_create
	[ "$krc" = 0 ] || { diag "KVM cannot create a VM:"; diag_file "$T/kvmvm.err"; return 1; }
}

t_pvmx_refuses_to_load() {
	mark
	insmod-once "$KO" 2>"$T/insmod.err"
	irc=$?
	if [ "$irc" = 0 ] || ! grep -q 'Device or resource busy' "$T/insmod.err"; then
		diag "insmod pvmx.ko with KVM holding VMX: status $irc, want EBUSY"
		diag_file "$T/insmod.err"
		pvmx_unload
		return 1
	fi
	[ ! -e /dev/pvmx ] || { diag "/dev/pvmx exists after the refusal"; return 1; }
	expect_one_line "pvmx: cannot load: VMX is already in use by another hypervisor (CR4.VMXE set on $NCPU CPUs); $REMEDY"
}

t_kvm_load_refuses_pvmx_vm() {
	kvm_unload || { diag "rmmod kvm_intel kvm failed"; return 1; }
	insmod-once "$KO" || return 1
	kvm_load || { diag "kvm_intel does not load after pvmx:"; diag_file "$T/kvm.err"; return 1; }
	hello_refused || return 1
	pvmx info >"$T/info" 2>&1
	grep -qE '^ *CPUs in VMX mode +0$' "$T/info" ||
		{ diag "pvmx info after the refusal:"; diag_file "$T/info"; return 1; }
	# pvmx's failed attempt left KVM's VMX alone.
	kvm_create
	[ "$krc" = 0 ] || { diag "KVM cannot create a VM after pvmx's refusal:"; diag_file "$T/kvmvm.err"; return 1; }
}

# KVM's refusal: its enable fails on a CPU where CR4.VMXE is already set
# (vmx_enable_virtualization_cpu(): EBUSY), which it reports as EIO with
# "kvm: enabling virtualization on CPU<n> failed".
kvm_refused() { # WHAT ERRFILE
	if ! grep -q 'Input/output error' "$2"; then
		diag "$1 failed, but not with KVM's refusal (EIO):"
		diag_file "$2"
		return 1
	fi
	klog_since_mark | grep -q '^kvm: enabling virtualization on CPU[0-9]* failed' ||
		{ diag "no 'kvm: enabling virtualization on CPU<n> failed' in the kernel log"; return 1; }
}

t_pvmx_vm_refuses_kvm_load() {
	kvm_unload || { diag "rmmod kvm_intel kvm failed"; return 1; }
	start_spin || { stop_spin; return 1; }
	mark
	if kvm_load; then
		diag "kvm_intel loaded (enable_virt_at_load=1) while a pvmx VM held VMX"
		stop_spin
		return 1
	fi
	kvm_refused "insmod kvm-intel.ko" "$T/kvm.err" || { stop_spin; return 1; }
	! loaded kvm_intel || { diag "kvm_intel is loaded after its refusal"; stop_spin; return 1; }
	loaded kvm && rmmod kvm
	stop_spin || return 1
	kvm_load || { diag "kvm_intel does not load once the pvmx VM is gone:"; diag_file "$T/kvm.err"; return 1; }
	kvm_create
	[ "$krc" = 0 ] || { diag "KVM cannot create a VM:"; diag_file "$T/kvmvm.err"; return 1; }
}

t_no_virt_at_load_pvmx_runs() {
	kvm_unload || { diag "rmmod kvm_intel kvm failed"; return 1; }
	pvmx_unload || { diag "rmmod pvmx failed"; return 1; }
	kvm_load enable_virt_at_load=0 || { diag "kvm_intel with enable_virt_at_load=0 does not load:"; diag_file "$T/kvm.err"; return 1; }
	p=$(cat /sys/module/kvm/parameters/enable_virt_at_load 2>/dev/null)
	[ "$p" = N ] || { diag "kvm.enable_virt_at_load is '$p', want N"; return 1; }
	insmod-once "$KO" || { diag "pvmx does not load next to kvm_intel with enable_virt_at_load=0"; return 1; }
	hello_ok
}

t_no_virt_at_load_kvm_vm_refuses_pvmx() {
	start_hold || { stop_hold; return 1; }
	hello_refused
	r=$?
	stop_hold
	[ "$r" = 0 ] || return 1
	hello_ok || { diag "(once the KVM VM is gone)"; return 1; }
}

t_no_virt_at_load_pvmx_vm_refuses_kvm() {
	start_spin || { stop_spin; return 1; }
	mark
	kvm_create
	if [ "$krc" = 0 ]; then
		diag "KVM_CREATE_VM succeeded while a pvmx VM held VMX"
		stop_spin
		return 1
	fi
	kvm_refused KVM_CREATE_VM "$T/kvmvm.err" || { stop_spin; return 1; }
	stop_spin || return 1
	kvm_create
	[ "$krc" = 0 ] || { diag "KVM cannot create a VM once the pvmx VM is gone:"; diag_file "$T/kvmvm.err"; return 1; }
	hello_ok
}

t_kernel_log_clean() {
	dmesg | sed -n "/kvm-coexist-start-$$\$/,\$p" >"$T/dmesg"
	grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace:|UBSAN:|KASAN:|kernel BUG|refcount_t:|INFO: (possible|inconsistent|trying|task .* blocked)|list_(add|del) corruption|invoked oom-killer|Kernel panic' \
		"$T/dmesg" >"$T/dmesg.bad"
	if [ -s "$T/dmesg.bad" ]; then
		diag "kernel log problems:"
		diag_file "$T/dmesg.bad" 40
		return 1
	fi
}

TESTS="kvm_loads_virt_at_load pvmx_refuses_to_load kvm_load_refuses_pvmx_vm
pvmx_vm_refuses_kvm_load no_virt_at_load_pvmx_runs no_virt_at_load_kvm_vm_refuses_pvmx
no_virt_at_load_pvmx_vm_refuses_kvm kernel_log_clean"
# shellcheck disable=SC2086 # the list, split
set -- $TESTS
echo "KTAP version 1"
echo "1..$#"
diag "pvmx and KVM on $(uname -r), $NCPU CPUs: module $KO, KVM modules from $KMOD"
for f in "$KMOD/irqbypass.ko" "$KMOD/kvm.ko" "$KMOD/kvm-intel.ko" "$KO" "$G/hello.elf" "$G/spin.elf"; do
	[ -f "$f" ] || { diag "missing $f"; for t in $TESTS; do result "kvm_$t" 1; done; exit 1; }
done
echo "kvm-coexist-start-$$" >/dev/kmsg
pvmx_unload
kvm_unload
for t in $TESTS; do
	# After the first check, the others need KVM (or their predecessor's
	# state); each starts from what the previous one left.
	"t_$t"
	result "kvm_$t" $?
done
stop_spin >/dev/null 2>&1
stop_hold
kvm_unload
pvmx_unload
echo "# kvm-coexist: $((nr - fail)) passed, $fail failed"
rm -rf "$T"
[ "$fail" = 0 ]
