// SPDX-License-Identifier: GPL-2.0
/*
 * Speculative-execution protection around VM entry and exit, as KVM does
 * it (arch/x86/kvm/vmx/vmx.c: vmx_setup_l1d_flush(), vmx_l1d_flush(),
 * vmx_vcpu_load_vmcs(), vmx_spec_ctrl_restore_host(); vmenter.S), driven
 * by the host's bug and feature flags, so pvmx follows the host's own
 * mitigation choices (mitigations=, l1tf=, spectre_v2=, ...):
 *
 *  - L1D flush before VM entry on X86_BUG_L1TF hosts (vmentry_l1d_flush=
 *    auto|never|cond|always): MSR_IA32_FLUSH_CMD where the CPU has it,
 *    else KVM's software sequence over a 64 KiB buffer;
 *  - VERW before entry (X86_FEATURE_CLEAR_CPU_BUF{,_VM}), RSB fill or the
 *    PBRSB guard after exit (X86_FEATURE_RSB_VMEXIT{,_LITE}), the host's
 *    IA32_SPEC_CTRL back before any RET on KERNEL_IBRS hosts, and the
 *    branch-history clearing loop (X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT):
 *    vmenter.S;
 *  - IBPB when a CPU starts running another vCPU than the one it last ran
 *    (pvmx_spec_vcpu_load()), and before the return to user space after
 *    guest execution where the host asks for it (VMSCAPE,
 *    X86_FEATURE_IBPB_ON_VMEXIT).
 *
 * The guest runs with the host's IA32_SPEC_CTRL (x86_spec_ctrl_current):
 * pvmx's CPUID policy hides IBRS, STIBP, SSBD and the other speculation
 * controls and the MSR emulation refuses their MSRs (cpuid.c), as the
 * guest cannot save or restore a value of its own across exits.  So no
 * write is needed before entry, nor after exit unless the host uses legacy
 * IBRS, whose IBRS bit must be written again after running in a less
 * privileged predictor mode (VMX non-root).
 *
 * /sys/module/pvmx/parameters/mitigations says what is applied, and the
 * module logs it in one line at load.
 */
#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/jump_label.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/hardirq.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>
#include "vmx_ops.h"

/* KVM's L1D_CACHE_ORDER: 64 KiB, twice the L1D of the affected CPUs. */
#define PVMX_L1D_CACHE_ORDER	4

enum pvmx_l1d_mode {
	PVMX_L1D_AUTO,
	PVMX_L1D_NEVER,
	PVMX_L1D_COND,
	PVMX_L1D_ALWAYS,
};

static const char * const l1d_mode_names[] = {
	[PVMX_L1D_AUTO] = "auto",
	[PVMX_L1D_NEVER] = "never",
	[PVMX_L1D_COND] = "cond",
	[PVMX_L1D_ALWAYS] = "always",
};

static enum pvmx_l1d_mode l1d_mode = PVMX_L1D_AUTO;
static bool l1d_flush_sw;
static void *l1d_flush_pages;
static char mitigations[256];
static atomic64_t vm_seq;

DEFINE_STATIC_KEY_FALSE(pvmx_l1d_flush_key);
DEFINE_STATIC_KEY_FALSE(pvmx_l1d_flush_cond_key);
static DEFINE_PER_CPU(unsigned long, l1d_flushes);
/* The (VM, vCPU) this CPU last ran, 0 for none: see pvmx_spec_vcpu_load(). */
static DEFINE_PER_CPU(u64, last_guest);

static int l1d_mode_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(l1d_mode_names, val);

	if (i < 0) {
		pr_err("pvmx: cannot load: vmentry_l1d_flush=%s: want auto, never, cond or always\n",
		       val);
		return -EINVAL;
	}
	l1d_mode = i;
	return 0;
}

static int l1d_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", l1d_mode_names[l1d_mode]);
}

static const struct kernel_param_ops l1d_mode_ops = {
	.set = l1d_mode_set,
	.get = l1d_mode_get,
};
module_param_cb(vmentry_l1d_flush, &l1d_mode_ops, NULL, 0444);
MODULE_PARM_DESC(vmentry_l1d_flush,
		 "L1D flush before VM entry (L1TF): auto (default: as the host's l1tf= mitigation, like KVM), never, cond, always; reads back what is in force");

module_param(l1d_flush_sw, bool, 0444);
MODULE_PARM_DESC(l1d_flush_sw,
		 "flush the L1D by KVM's software sequence even where the CPU has MSR_IA32_FLUSH_CMD (testing)");

static int l1d_flushes_get(char *buf, const struct kernel_param *kp)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(l1d_flushes, cpu);
	return sysfs_emit(buf, "%lu\n", sum);
}

static const struct kernel_param_ops l1d_flushes_ops = {
	.get = l1d_flushes_get,
};
module_param_cb(l1d_flushes, &l1d_flushes_ops, NULL, 0444);
MODULE_PARM_DESC(l1d_flushes, "L1D flushes done before VM entries since load (read-only)");

static int mitigations_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", mitigations);
}

static const struct kernel_param_ops mitigations_ops = {
	.get = mitigations_get,
};
module_param_cb(mitigations, &mitigations_ops, NULL, 0444);
MODULE_PARM_DESC(mitigations, "the speculation mitigations pvmx applies at VM entry and exit (read-only)");

/*
 * KVM's "auto": the host's L1TF policy (l1tf=, mitigations=), which only
 * kernels built with KVM_INTEL export; elsewhere "cond" unless the host
 * turned mitigations off.
 */
static enum pvmx_l1d_mode l1d_auto(void)
{
	u64 arch_cap = 0;

	if (!boot_cpu_has_bug(X86_BUG_L1TF))
		return PVMX_L1D_NEVER;
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, arch_cap);
	if (arch_cap & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH)
		return PVMX_L1D_NEVER;
#if IS_ENABLED(CONFIG_KVM_INTEL)
	switch (l1tf_mitigation) {
	case L1TF_MITIGATION_OFF:
		return PVMX_L1D_NEVER;
	case L1TF_MITIGATION_FULL:
	case L1TF_MITIGATION_FULL_FORCE:
		return PVMX_L1D_ALWAYS;
	default:
		return PVMX_L1D_COND;
	}
#else
	return cpu_mitigations_off() ? PVMX_L1D_NEVER : PVMX_L1D_COND;
#endif
}

/*
 * "cond" (KVM's semantics, vmx_l1d_flush()): flush only when the host may
 * have pulled data the guest must not see into the L1D since the last
 * entry: at the first entry of each stretch (the thread may have slept,
 * been preempted or run the launcher's ioctls: KVM's vcpu_run() and
 * sched_in), after every exit the core handled in host code (hypercalls,
 * emulation and exception bounces read and write guest memory and walk
 * page-type state through host mappings: KVM flushes after emulation,
 * kvm_write_guest_virt_system() and MMU faults), and after any host
 * interrupt or softirq (the kernel's per-CPU flag, kept by kernels built
 * with KVM_INTEL).  What it skips: entries after a CPUID exit (registers
 * and the VM's own policy only) or an external-interrupt exit (its handler
 * sets the per-CPU flag).  Without that flag in the kernel, "cond" cannot
 * see interrupts and flushes at every entry: "always".
 */
static enum pvmx_l1d_mode l1d_effective(enum pvmx_l1d_mode mode)
{
	if (mode == PVMX_L1D_AUTO)
		mode = l1d_auto();
#if !IS_ENABLED(CONFIG_KVM_INTEL)
	if (mode == PVMX_L1D_COND)
		mode = PVMX_L1D_ALWAYS;
#else
	/* l1tf=full,force: as KVM, whatever the parameter says. */
	if (boot_cpu_has_bug(X86_BUG_L1TF) && l1tf_mitigation == L1TF_MITIGATION_FULL_FORCE)
		mode = PVMX_L1D_ALWAYS;
#endif
	return mode;
}

void pvmx_spec_l1d_flush(void)
{
	int size = PAGE_SIZE << PVMX_L1D_CACHE_ORDER;

	this_cpu_inc(l1d_flushes);
	if (!l1d_flush_pages) {
		native_wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
		return;
	}
	/* KVM's sequence: the pages into the TLB first, then the lines into the L1D. */
	asm volatile("xorl %%eax, %%eax\n"
		     "1:\n\t"
		     "movzbl (%[pages], %%rax), %%ecx\n\t"
		     "addl $4096, %%eax\n\t"
		     "cmpl %%eax, %[size]\n\t"
		     "jne 1b\n\t"
		     "xorl %%eax, %%eax\n\t"
		     "cpuid\n\t"
		     "xorl %%eax, %%eax\n"
		     "2:\n\t"
		     "movzbl (%[pages], %%rax), %%ecx\n\t"
		     "addl $64, %%eax\n\t"
		     "cmpl %%eax, %[size]\n\t"
		     "jne 2b\n\t"
		     "lfence\n"
		     : : [pages] "r" (l1d_flush_pages), [size] "r" (size)
		     : "eax", "ebx", "ecx", "edx", "memory");
}

/*
 * KVM's IBPB on a VMCS switch (vmx_vcpu_load_vmcs()), and Xen's on a
 * context switch to another vCPU: each vCPU is its own branch-prediction
 * domain (a PV guest cannot issue IBPB itself: pvmx hides it).  A token
 * of the VM's sequence number and the vCPU's id, not a pointer, so a vCPU
 * allocated where a dead one was is still told apart (Xen's last_id).
 * Preemption off.
 */
void pvmx_spec_vcpu_load(struct pvmx_vcpu *vcpu)
{
	u64 token = vcpu->vm->arch.spec_id << 16 | vcpu->core.id;

	if (likely(this_cpu_read(last_guest) == token))
		return;
	this_cpu_write(last_guest, token);
	indirect_branch_prediction_barrier();
}

/*
 * The end of a stretch, preemption still off: VMSCAPE, an IBPB before this
 * CPU next returns to user space (KVM's vcpu_enter_guest()), where the
 * host mitigates it that way.
 */
void pvmx_spec_stretch_end(void)
{
	if (cpu_feature_enabled(X86_FEATURE_IBPB_ON_VMEXIT))
		this_cpu_write(x86_ibpb_exit_to_user, true);
}

void pvmx_spec_vm_init(struct pvmx_vm *vm)
{
	vm->arch.spec_id = atomic64_inc_return(&vm_seq);
}

static void describe(enum pvmx_l1d_mode mode)
{
	const char *rsb = "none";
	int n;

	if (cpu_feature_enabled(X86_FEATURE_RSB_VMEXIT))
		rsb = "full";
	else if (cpu_feature_enabled(X86_FEATURE_RSB_VMEXIT_LITE))
		rsb = "pbrsb";
	n = scnprintf(mitigations, sizeof(mitigations), "l1d_flush=%s", l1d_mode_names[mode]);
	if (mode != PVMX_L1D_NEVER)
		n += scnprintf(mitigations + n, sizeof(mitigations) - n, "(%s)",
			       l1d_flush_pages ? "software" : "flush_cmd");
	n += scnprintf(mitigations + n, sizeof(mitigations) - n,
		       " verw=%d rsb_fill=%s bhb_clear=%d ibrs_restore=%d ibpb_vcpu_switch=%d ibpb_exit_to_user=%d",
		       cpu_feature_enabled(X86_FEATURE_CLEAR_CPU_BUF) ||
		       cpu_feature_enabled(X86_FEATURE_CLEAR_CPU_BUF_VM),
		       rsb, cpu_feature_enabled(X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT),
		       cpu_feature_enabled(X86_FEATURE_KERNEL_IBRS),
		       cpu_feature_enabled(X86_FEATURE_USE_IBPB),
		       cpu_feature_enabled(X86_FEATURE_IBPB_ON_VMEXIT));
}

int pvmx_spec_init(void)
{
	enum pvmx_l1d_mode mode = l1d_effective(l1d_mode);
	struct page *page;
	int i;

	/*
	 * Legacy IBRS needs the MSR written after every exit (vmenter.S):
	 * a host claiming it without the MSR is not one pvmx can protect.
	 */
	if (cpu_feature_enabled(X86_FEATURE_KERNEL_IBRS) &&
	    !cpu_feature_enabled(X86_FEATURE_MSR_SPEC_CTRL)) {
		pr_err("pvmx: cannot load: the host uses IBRS on kernel entry but has no IA32_SPEC_CTRL to restore it after a VM exit\n");
		return -ENODEV;
	}
	if (mode != PVMX_L1D_NEVER && (l1d_flush_sw || !boot_cpu_has(X86_FEATURE_FLUSH_L1D))) {
		/* Each page a different pattern, as KVM (against KSM when nested). */
		page = alloc_pages(GFP_KERNEL, PVMX_L1D_CACHE_ORDER);
		if (!page) {
			pr_err("pvmx: cannot load: no memory for the L1D flush buffer (vmentry_l1d_flush=%s; the CPU has no MSR_IA32_FLUSH_CMD)\n",
			       l1d_mode_names[mode]);
			return -ENOMEM;
		}
		l1d_flush_pages = page_address(page);
		for (i = 0; i < 1 << PVMX_L1D_CACHE_ORDER; i++)
			memset(l1d_flush_pages + i * PAGE_SIZE, i + 1, PAGE_SIZE);
	}
	l1d_mode = mode;
	if (mode != PVMX_L1D_NEVER)
		static_branch_enable(&pvmx_l1d_flush_key);
	if (mode == PVMX_L1D_COND)
		static_branch_enable(&pvmx_l1d_flush_cond_key);
	describe(mode);
	pr_info("pvmx: speculation mitigations at VM entry/exit: %s\n", mitigations);
	return 0;
}

void pvmx_spec_exit(void)
{
	static_branch_disable(&pvmx_l1d_flush_cond_key);
	static_branch_disable(&pvmx_l1d_flush_key);
	if (l1d_flush_pages)
		free_pages((unsigned long)l1d_flush_pages, PVMX_L1D_CACHE_ORDER);
	l1d_flush_pages = NULL;
}
