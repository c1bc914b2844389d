// SPDX-License-Identifier: GPL-2.0
/*
 * Running a vCPU: its VMCS made current on this CPU (and set up the first
 * time), the hooks the core calls while it handles an exit, the entry and
 * the exit, and the run loop.  The loop's helpers stay in this one file, so
 * the compiler inlines them into the entry/exit path (the exit handlers are
 * exits.c's, the descriptor tables segments.c's).
 *
 * A vCPU runs in "stretches": with preemption disabled the VMCS is current
 * on this CPU, the guest's FPU state is in the registers, and the loop enters
 * the guest, takes the exit with interrupts enabled (host interrupts are
 * serviced there) and handles it, until the host needs the CPU, a signal is
 * pending, or userspace must see an exit.  Between stretches the vCPU's
 * thread may sleep or move to another CPU; the VMCS follows it (VMCLEAR on
 * the old CPU by IPI, VMPTRLD on the new one, TLB tags flushed), KVM-style.
 */
#include <linux/interrupt.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <asm/cpu_entry_area.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/hardirq.h>
#include <asm/mce.h>
#include <asm/trapnr.h>
#include <asm/mmu_context.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include "vmx_ops.h"
#include "../linux/pvmx_trace.h"

/* A VMWRITE failed (vmcs_write() in vmx_ops.h). */
void pvmx_vmwrite_error(unsigned long field, unsigned long value)
{
	pr_err_ratelimited("pvmx: vmwrite(0x%lx, 0x%lx) failed: error %lu\n",
			   field, value, vmcs_read(VM_INSTRUCTION_ERROR));
}

/* ---- the VMCS: set up on first use, made current on this CPU ------------- */

static unsigned long guest_cr0(void)
{
	return (X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP |
		X86_CR0_PG | pvmx_caps.cr0_fixed0) & pvmx_caps.cr0_fixed1;
}

#define GUEST_CR4_VISIBLE	(X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)

/*
 * CR4.MCE as the host has it (KVM's vmx_set_cr4()): with it clear a
 * machine check in guest mode shuts the CPU down instead of exiting to the
 * host's #MC handler (host_nmi_or_mce()).  The guest's reads of CR4 are
 * emulated (emulate.c) and never see it.
 */
static unsigned long guest_cr4(void)
{
	return (GUEST_CR4_VISIBLE | X86_CR4_VMXE | (cr4_read_shadow() & X86_CR4_MCE) |
		pvmx_caps.cr4_fixed0) & pvmx_caps.cr4_fixed1;
}

/* Host state that is the same on every CPU and for the vCPU's lifetime. */
static void vmcs_setup(struct pvmx_vcpu *vcpu)
{
	u32 area = pvmx_vcpu_area_va(vcpu);
	struct desc_ptr idt;
	struct pvmx_seg seg;
	u64 msr;

	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, pvmx_caps.pin);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, pvmx_caps.proc);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, pvmx_caps.proc2);
	vmcs_write(VM_EXIT_CONTROLS, pvmx_caps.exit);
	vmcs_write(VM_ENTRY_CONTROLS, pvmx_caps.entry);
	/* Every exception exits: the guest's IDT is the hypervisor's business. */
	vmcs_write(EXCEPTION_BITMAP, ~0u);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(CR0_GUEST_HOST_MASK, ~0UL);
	vmcs_write(CR4_GUEST_HOST_MASK, ~0UL);
	vmcs_write(CR0_READ_SHADOW, guest_cr0() & ~X86_CR0_NE);
	vmcs_write(CR4_READ_SHADOW, GUEST_CR4_VISIBLE);
	vmcs_write(EPT_POINTER, vcpu->vm->arch.eptp);
	if (vcpu->arch.vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, vcpu->arch.vpid);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);

	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	store_idt(&idt);
	vmcs_write(HOST_IDTR_BASE, idt.address);
	vmcs_write(HOST_RIP, (unsigned long)pvmx_vmexit);
	rdmsrl(MSR_EFER, msr);
	vmcs_write(HOST_IA32_EFER, msr);
	rdmsrl(MSR_IA32_SYSENTER_CS, msr);
	vmcs_write(HOST_IA32_SYSENTER_CS, msr);
	rdmsrl(MSR_IA32_SYSENTER_EIP, msr);
	vmcs_write(HOST_IA32_SYSENTER_EIP, msr);
	vcpu->arch.host_rsp = 0;
	vcpu->arch.host_cr3 = 0;
	vcpu->arch.host_cr4 = 0;
	vcpu->arch.vmcs_ready = true;

	/* Guest state that never changes: it is all the hypervisor's. */
	vmcs_write(GUEST_CR0, guest_cr0());
	vmcs_write(GUEST_CR4, guest_cr4());
	vmcs_write(GUEST_IA32_EFER, EFER_NX);
	vmcs_write(GUEST_GDTR_BASE, area);
	vmcs_write(GUEST_GDTR_LIMIT, PVMX_GDT_LIMIT);
	vmcs_write(GUEST_IDTR_BASE, area + PVMX_TSS_PAGE * PAGE_SIZE + PVMX_IDT_OFFSET);
	vmcs_write(GUEST_IDTR_LIMIT, PVMX_IDT_LIMIT);
	seg = (struct pvmx_seg){ .selector = PVMX_TSS_SELECTOR,
		.base = area + PVMX_TSS_PAGE * PAGE_SIZE, .limit = 0x67, .ar = 0x8B };
	pvmx_write_guest_segment(PVMX_SREG_TR, &seg);
	seg = (struct pvmx_seg){ .ar = PVMX_AR_UNUSABLE };
	pvmx_write_guest_segment(PVMX_SREG_LDTR, &seg);
	vmcs_write(GUEST_DR7, PVMX_DR7_FIXED_1);	/* reset; run_stretch() keeps it current */
	vcpu->arch.vmcs_dr7 = PVMX_DR7_FIXED_1;
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);	/* sysenter #GPs: exits.c enters the callback */
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
}

/* Host state that differs per CPU (SDM 27.2.4: per-CPU GDT and TSS). */
static void vmcs_set_host_percpu(int cpu)
{
	u64 msr;

	vmcs_write(HOST_TR_BASE, (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	vmcs_write(HOST_GDTR_BASE, (unsigned long)get_current_gdt_ro());
	rdmsrl(MSR_GS_BASE, msr);
	vmcs_write(HOST_GS_BASE, msr);
	rdmsrl(MSR_IA32_SYSENTER_ESP, msr);
	vmcs_write(HOST_IA32_SYSENTER_ESP, msr);
}

/* Make the vCPU's VMCS current on this CPU.  Preemption off. */
static void vcpu_load(struct pvmx_vcpu *vcpu)
{
	struct pvmx_percpu *pc = this_cpu_ptr(&pvmx_pcpu);
	int cpu = smp_processor_id();

	if (vcpu->arch.cpu != cpu) {
		vmcs_clear_anywhere(vcpu);
		/* Pairs with the smp_wmb() in vmcs_clear_here(). */
		smp_rmb();
		local_irq_disable();
		list_add(&vcpu->arch.loaded_link, &pc->loaded_vcpus);
		local_irq_enable();
		vmcs_load_insn(vcpu->arch.vmcs);
		pc->current_vmcs = vcpu->arch.vmcs;
		WRITE_ONCE(vcpu->arch.cpu, cpu);
		if (!vcpu->arch.vmcs_ready)
			vmcs_setup(vcpu);
		vmcs_set_host_percpu(cpu);
		/* Cached translations on this CPU may predate the vCPU's last stay. */
		invept(pvmx_caps.ept_vpid & EPTCAP_INVEPT_SINGLE ? INVEPT_SINGLE : INVEPT_ALL,
		       vcpu->vm->arch.eptp);
		if (vcpu->arch.vpid)
			invvpid(pvmx_caps.ept_vpid & VPIDCAP_INVVPID_SINGLE ? INVVPID_SINGLE :
				INVVPID_ALL, vcpu->arch.vpid, 0);
	} else if (pc->current_vmcs != vcpu->arch.vmcs) {
		vmcs_load_insn(vcpu->arch.vmcs);
		pc->current_vmcs = vcpu->arch.vmcs;
	}
	pvmx_spec_vcpu_load(vcpu);
}

void pvmx_arch_flush_guest_tlb(struct pvmx_vcpu_core *core, u32 gva, bool one)
{
	struct pvmx_vcpu *vcpu = container_of(core, struct pvmx_vcpu, core);

	/* Without a VPID every VM entry flushes the guest's translations. */
	if (!vcpu->arch.vpid)
		return;
	if (one && (pvmx_caps.ept_vpid & VPIDCAP_INVVPID_ADDR))
		invvpid(INVVPID_ADDR, vcpu->arch.vpid, gva);
	else
		invvpid(pvmx_caps.ept_vpid & VPIDCAP_INVVPID_SINGLE ? INVVPID_SINGLE : INVVPID_ALL,
			vcpu->arch.vpid, 0);
}

/* ---- hooks the core calls while handling an exit (VMCS current) ---------- */

/* Only MOV to CR3 reloads PDPTEs from memory; the VMCS copy is what counts. */
void pvmx_arch_load_baseptr(struct pvmx_vcpu_core *core)
{
	const struct pvmx_cpu *cpu = &core->cpu;

	vmcs_write(GUEST_CR3, cpu->cr3);
	vmcs_write(GUEST_PDPTR0, cpu->pdpte[0]);
	vmcs_write(GUEST_PDPTR1, cpu->pdpte[1]);
	vmcs_write(GUEST_PDPTR2, cpu->pdpte[2]);
	vmcs_write(GUEST_PDPTR3, cpu->pdpte[3]);
}

/*
 * need_resched(), signal_pending(current) or softirqs: the thread flags in
 * one read, as KVM's xfer_to_guest_mode_work_pending().
 */
static __always_inline bool host_preempt_pending(void)
{
	return (read_thread_flags() & (_TIF_NEED_RESCHED | _TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL)) ||
	       local_softirq_pending();
}

bool pvmx_arch_preempt_pending(struct pvmx_vcpu_core *core)
{
	return host_preempt_pending();
}

void pvmx_arch_get_data_segs(struct pvmx_vcpu_core *core, u16 segs[4])
{
	segs[0] = vmcs_read(GUEST_DS_SELECTOR);
	segs[1] = vmcs_read(GUEST_ES_SELECTOR);
	segs[2] = vmcs_read(GUEST_FS_SELECTOR);
	segs[3] = vmcs_read(GUEST_GS_SELECTOR);
}

void pvmx_arch_set_data_segs(struct pvmx_vcpu_core *core, const u16 segs[4])
{
	static const int sreg[4] = { PVMX_SREG_DS, PVMX_SREG_ES, PVMX_SREG_FS, PVMX_SREG_GS };
	struct pvmx_seg seg;
	int i;

	for (i = 0; i < 4; i++) {
		if (!pvmx_guest_segment(core, segs[i], &seg))
			pvmx_guest_segment(core, 0, &seg);
		pvmx_write_guest_segment(sreg[i], &seg);
	}
}

void pvmx_arch_set_fpu_ts(struct pvmx_vcpu_core *core, bool ts)
{
	unsigned long cr0 = guest_cr0() | (ts ? X86_CR0_TS : 0);

	vmcs_write(GUEST_CR0, cr0);
	vmcs_write(CR0_READ_SHADOW, cr0 & ~X86_CR0_NE);
}

/* ---- registers: vcpu.c's software state into the VMCS and back ----------- */

/*
 * SET_REGS keeps the state in software (the VMCS may be active on another
 * CPU while the ioctl runs); the next stretch writes it.  VMCS current.
 */
static void vmcs_write_guest_state(struct pvmx_vcpu *vcpu)
{
	const struct pvmx_cpu *cpu = &vcpu->core.cpu;
	struct pvmx_seg seg;
	int i;

	for (i = PVMX_SREG_ES; i <= PVMX_SREG_GS; i++) {
		pvmx_guest_segment(&vcpu->core, vcpu->arch.sregs[i], &seg);
		pvmx_write_guest_segment(i, &seg);
	}
	vmcs_write(GUEST_CR3, cpu->cr3);
	vmcs_write(GUEST_PDPTR0, cpu->pdpte[0]);
	vmcs_write(GUEST_PDPTR1, cpu->pdpte[1]);
	vmcs_write(GUEST_PDPTR2, cpu->pdpte[2]);
	vmcs_write(GUEST_PDPTR3, cpu->pdpte[3]);
	/* CS and SS are checked as a pair before the first entry (sync_cs_ss()). */
	vcpu->arch.cs_ss_stale = true;
	/* Force the first entry to write ESP and EFLAGS. */
	vcpu->arch.vmcs_esp = ~(u32)cpu->gpr[PVMX_ESP];
	vcpu->arch.vmcs_eflags = ~cpu->eflags;
	pvmx_arch_set_fpu_ts(&vcpu->core, vcpu->core.fpu_ts);
	vcpu->arch.state_dirty = false;
}

/* Reads back the selectors the guest may have loaded itself.  VMCS current. */
static void vmcs_read_guest_selectors(struct pvmx_vcpu *vcpu)
{
	int i;

	for (i = PVMX_SREG_ES; i <= PVMX_SREG_GS; i++)
		vcpu->arch.sregs[i] = vmcs_read(GUEST_ES_SELECTOR + 2 * i);
}

/* ---- running -------------------------------------------------------------- */

struct host_segments {
	u16 ds, es, fs, gs, ldt;
	unsigned long fs_base, kernel_gs_base;
	unsigned long debugctl;
};

static void save_host_segments(struct pvmx_vcpu *vcpu, struct host_segments *h)
{
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	/* A process that used modify_ldt(2) has an LDT loaded (KVM's kvm_read_ldt()). */
	asm volatile("sldt %0" : "=g" (h->ldt));
	rdmsrl(MSR_FS_BASE, h->fs_base);
	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	h->debugctl = get_debugctlmsr();
	vmcs_write(HOST_FS_BASE, h->fs_base);
}

/*
 * VM exits load null DS/ES/FS/GS and LDTR, limit GDTR/TR, clear DR7 and
 * DEBUGCTL.  LDTR first: the selectors may name the process's LDT.
 */
static void restore_host_segments(const struct host_segments *h)
{
	if (h->ldt)
		asm volatile("lldt %0" : : "rm" (h->ldt));
	if (h->ds)
		loadsegment(ds, h->ds);
	if (h->es)
		loadsegment(es, h->es);
	if (h->fs) {
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, h->fs_base);
	}
	if (h->gs) {
		load_gs_index(h->gs);
		wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	}
	invalidate_tss_limit();
	load_fixmap_gdt(raw_smp_processor_id());
	if (h->debugctl)
		update_debugctlmsr(h->debugctl);
#ifdef CONFIG_HAVE_HW_BREAKPOINT
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
#endif
}

static void sync_host_control_regs(struct pvmx_vcpu *vcpu)
{
	unsigned long cr3 = __get_current_cr3_fast();
	unsigned long cr4 = cr4_read_shadow();

	if (unlikely(cr3 != vcpu->arch.host_cr3)) {
		vmcs_write(HOST_CR3, cr3);
		vcpu->arch.host_cr3 = cr3;
	}
	if (unlikely(cr4 != vcpu->arch.host_cr4)) {
		vmcs_write(HOST_CR4, cr4);
		vcpu->arch.host_cr4 = cr4;
	}
}

static enum pvmx_action vmentry_failed(struct pvmx_vcpu *vcpu)
{
	struct pvmx_run *run = vcpu->core.run;
	u32 error = vmcs_read(VM_INSTRUCTION_ERROR);

	pr_warn_ratelimited("pvmx: VM entry failed: VM-instruction error %u\n", error);
	memset(&run->internal, 0, sizeof(run->internal));
	run->internal.suberror = PVMX_INTERNAL_VMENTRY_FAIL;
	run->internal.data[0] = error;
	run->exit_reason = PVMX_EXIT_INTERNAL;
	vcpu->core.state = PVMX_VCPU_CRASHED;
	return PVMX_EXIT_TO_USER;
}

#define SEG_AR_ACCESSED	0x1
#define SEG_AR_RW		0x2	/* code: readable, data: writable */
#define SEG_AR_CONFORMING	0x4
#define SEG_AR_CODE		0x8
#define SEG_AR_S			0x10
#define SEG_AR_DPL(ar)		(((ar) >> 5) & 3)
#define SEG_AR_P			0x80

/*
 * The #GP error code a hardware iret to cs:ss raises (SDM IRET, return to
 * an outer or the same level from ring 0), or -1 when it can return there.
 * It implies what VM entry checks for a 32-bit guest's CS and SS (SDM
 * 26.3.1.2: accessed code with CS.DPL = SS.DPL, or <= for conforming code;
 * accessed writable data with SS.RPL = SS.DPL = CS.RPL), so a pair it
 * accepts never fails VM entry.
 */
static int return_fault(u16 csel, const struct pvmx_seg *cs, u16 ssel, const struct pvmx_seg *ss)
{
	u32 rpl = csel & 3, ct = cs->ar & 0xF, st = ss->ar & 0xF;

	if ((cs->ar & PVMX_AR_UNUSABLE) || !(cs->ar & SEG_AR_S) || !(cs->ar & SEG_AR_P) || !rpl ||
	    !(ct & SEG_AR_CODE) || !(ct & SEG_AR_ACCESSED) ||
	    ((ct & SEG_AR_CONFORMING) ? SEG_AR_DPL(cs->ar) > rpl : SEG_AR_DPL(cs->ar) != rpl))
		return csel & 0xFFFC;
	if ((ss->ar & PVMX_AR_UNUSABLE) || !(ss->ar & SEG_AR_S) || !(ss->ar & SEG_AR_P) ||
	    (ssel & 3) != rpl || (st & SEG_AR_CODE) || !(st & SEG_AR_RW) ||
	    !(st & SEG_AR_ACCESSED) || SEG_AR_DPL(ss->ar) != rpl)
		return ssel & 0xFFFC;
	return -1;
}

/*
 * A bounce frame, callback, iret or stack_switch may have switched rings
 * or stacks: CS and SS into the VMCS, for the entry that follows.  The core
 * checks each selector on its own, not the pair: a trap-table or callback
 * CS of ring 3 entered from ring 1, a stack_switch SS of ring 3, an iret to
 * CS ring 3 with SS ring 1 or 2.  Xen returns to its guest with an iretq,
 * which faults on such a pair; the fault is taken as the guest's own #GP
 * with that context as the interrupted one (entry.S,
 * exception_with_ints_disabled: "Check to see if the exception was on the
 * IRET to guest context").  pvmx does the same before VM entry, where VMX
 * would refuse the pair.  If the #GP's own frame cannot be returned to
 * either, Xen faults again for ever; pvmx crashes the guest.
 */
static noinline enum pvmx_action load_cs_ss(struct pvmx_vcpu *vcpu, enum pvmx_action act)
{
	struct pvmx_cpu *cpu = &vcpu->core.cpu;
	struct pvmx_seg cs, ss;
	u16 bad_cs, bad_ss;
	u32 bad_eip;
	int err;

	pvmx_guest_segment(&vcpu->core, cpu->cs, &cs);
	pvmx_guest_segment(&vcpu->core, cpu->ss, &ss);
	err = return_fault(cpu->cs, &cs, cpu->ss, &ss);
	if (unlikely(err >= 0)) {
		/* Not entering now (an exit to userspace): the next stretch looks again. */
		if (act != PVMX_RESUME)
			return act;
		bad_cs = cpu->cs;
		bad_ss = cpu->ss;
		bad_eip = cpu->eip;
		act = pvmx_deliver_exception(&vcpu->core, X86_TRAP_GP, true, err);
		if (act != PVMX_RESUME)
			return act;
		pvmx_guest_segment(&vcpu->core, cpu->cs, &cs);
		pvmx_guest_segment(&vcpu->core, cpu->ss, &ss);
		if (return_fault(cpu->cs, &cs, cpu->ss, &ss) >= 0)
			return pvmx_crash(&vcpu->core, PVMX_CRASH_BAD_STATE, X86_TRAP_GP, err, 0,
					  "cannot return to %04x:%08x on stack %04x (#GP 0x%x), nor to the #GP handler at %04x:%08x on stack %04x",
					  bad_cs, bad_eip, bad_ss, err, cpu->cs, cpu->eip,
					  cpu->ss);
	}
	pvmx_write_guest_segment(PVMX_SREG_CS, &cs);
	pvmx_write_guest_segment(PVMX_SREG_SS, &ss);
	vcpu->arch.vmcs_cs = cpu->cs;
	vcpu->arch.vmcs_ss = cpu->ss;
	vcpu->arch.cs_ss_stale = false;
	return act;
}

/* The common case, inline: CS and SS are what the VMCS holds. */
static __always_inline enum pvmx_action sync_cs_ss(struct pvmx_vcpu *vcpu, enum pvmx_action act)
{
	const struct pvmx_cpu *cpu = &vcpu->core.cpu;

	if (likely(cpu->cs == vcpu->arch.vmcs_cs && cpu->ss == vcpu->arch.vmcs_ss &&
		   !vcpu->arch.cs_ss_stale))
		return act;
	return load_cs_ss(vcpu, act);
}

static void host_nmi_or_mce(struct pvmx_vcpu *vcpu)
{
	u32 reason = vcpu->arch.exit_reason & 0xFFFF, info = vcpu->arch.exit_intr_info;
	bool exception = reason == EXIT_REASON_EXCEPTION_NMI;

	if (exception && (info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR) {
		asm volatile("int $2");
	} else if (reason == EXIT_REASON_MCE_DURING_VMENTRY ||
		   (exception && (info & INTR_INFO_VECTOR_MASK) == X86_TRAP_MC)) {
#ifdef CONFIG_X86_MCE
		/* As KVM does: the host's handler, as if from user mode. */
		struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

		do_machine_check(&regs);
#endif
	}
}

/*
 * The guest's breakpoints, armed for the entry that follows (interrupts
 * off): GUEST_DR7 is loaded by VM entry, DR0-3 must be in the CPU, as
 * Xen's activate_debugregs() loads them while the guest's DR7 is active.
 * The host's DR7 goes first, so no host breakpoint is ever armed on a
 * guest address (KVM's order).  Only while the guest has a breakpoint
 * enabled: DR0-3 are reloaded before every entry then, as an interrupt
 * handler may have installed a host breakpoint since the last one.
 */
static void load_guest_debugregs(struct pvmx_vcpu *vcpu)
{
	const u32 *dr = vcpu->core.dr;
	u32 dr7 = pvmx_hw_dr7(&vcpu->core);

	if (unlikely(dr7 != vcpu->arch.vmcs_dr7)) {
		vmcs_write(GUEST_DR7, dr7);
		vcpu->arch.vmcs_dr7 = dr7;
	}
	if (likely(!(dr7 & PVMX_DR7_ENABLES)))
		return;
	set_debugreg(0UL, 7);
	set_debugreg((unsigned long)dr[0], 0);
	set_debugreg((unsigned long)dr[1], 1);
	set_debugreg((unsigned long)dr[2], 2);
	set_debugreg((unsigned long)dr[3], 3);
}

/*
 * Right after an exit (interrupts off): the exit left DR7 at 0x400 and,
 * if the guest had breakpoints, its addresses in DR0-3; the host's
 * breakpoints are back before any host code could need them.  The guest's
 * DR6 is not in the CPU: a #DB exit reports its bits in the exit
 * qualification and leaves DR6 alone.
 */
static void restore_host_debugregs(void)
{
#ifdef CONFIG_HAVE_HW_BREAKPOINT
	if (unlikely(hw_breakpoint_active()))
		hw_breakpoint_restore();
#endif
}

static void account_exit(struct pvmx_vcpu *vcpu, u64 exit_tsc)
{
	struct pvmx_stats *st = &vcpu->core.stats;
	u32 reason = vcpu->arch.exit_reason & 0xFFFF;

	st->exits++;
	if (reason < PVMX_STATS_EXIT_REASONS) {
		st->exit_count[reason]++;
		if (unlikely(exit_tsc))
			st->exit_cycles[reason] += rdtsc() - exit_tsc;
	}
}

/*
 * L1TF: the L1D flushed before VM entry (spec.c says when), interrupts
 * off, as close to the entry as the VMCS writes allow: KVM's
 * vmx_vcpu_enter_exit().  The VERW of MDS follows in vmenter.S.
 */
static __always_inline void l1d_flush_before_entry(struct pvmx_vcpu *vcpu)
{
	bool flush;

	if (!static_branch_unlikely(&pvmx_l1d_flush_key))
		return;
	if (static_branch_likely(&pvmx_l1d_flush_cond_key)) {
		flush = vcpu->arch.l1d_flush_pending;
		vcpu->arch.l1d_flush_pending = false;
#if IS_ENABLED(CONFIG_KVM_INTEL)
		/* A host interrupt or softirq since the last entry (irq_stat). */
		flush |= kvm_get_cpu_l1tf_flush_l1d();
		kvm_clear_cpu_l1tf_flush_l1d();
#endif
		if (!flush)
			return;
	}
	pvmx_spec_l1d_flush();
}

/*
 * vmentry_l1d_flush=cond: every exit but CPUID's (registers and the VM's
 * own policy) and an external interrupt's (its handler sets the kernel's
 * per-CPU flag) ran host code over guest memory and host state.
 */
static __always_inline void l1d_flush_after_exit(struct pvmx_vcpu *vcpu)
{
	u32 reason = vcpu->arch.exit_reason & 0xFFFF;

	if (static_branch_unlikely(&pvmx_l1d_flush_cond_key) &&
	    reason != EXIT_REASON_CPUID && reason != EXIT_REASON_EXTERNAL_INTERRUPT)
		vcpu->arch.l1d_flush_pending = true;
}

/*
 * Exits handled with interrupts still off and the guest re-entered at
 * once, KVM's fastpath exits (vmx_exit_handlers_fastpath(),
 * EXIT_FASTPATH_REENTER_GUEST in vcpu_enter_guest()).  Called by the run
 * loop right after a CPUID exit with CPUID faulting off (interrupts off,
 * in_guest cleared, the host debug registers back, the exit counted in
 * vcpu->exits); it handles CPUID exits for as long as they come and the
 * conditions below hold, and returns with the run loop's state after an
 * exit it did not handle: the exit reason in vcpu->arch.exit_reason, the
 * rest still in the VMCS.  True when a VM entry failed (in_guest cleared;
 * the run loop reports it).
 *
 * The run loop's full path between an exit and the next entry looks at
 * more than the exit; each of those looks is either repeated here or
 * cannot have changed since the full path made it, because interrupts
 * have stayed off since then and a CPUID exit changes nothing but EIP and
 * four GPRs (Documentation/design.rst, "The fast exit"):
 *
 * - pvmx_prepare_entry(): its idle test, pvmx_entry_idle(), repeated
 *   here (the entry_work word and the vcpu_info upcall bytes the guest
 *   writes without an exit), with the kick flag;
 * - the host's need_resched, signals and softirqs: looked at here, as the
 *   full path does with interrupts off;
 * - CS/SS, ESP, EFLAGS: CPUID changes none of them, and the VMCS holds the
 *   guest's own (the entry writes only RIP);
 * - the host CR3/CR4, the guest's DR7 and TSC_AUX: changed only by a
 *   context switch, an interrupt handler or a hypercall, none of which ran;
 * - the guest's DR0-3: a guest with a breakpoint enabled takes the full
 *   path, which loads them before every entry (the host's may be back in
 *   the CPU after an exit: restore_host_debugregs());
 * - the descriptor reload and the mm requests (a remote vCPU's flush):
 *   looked at here, as before every entry;
 * - the L1D flush: CPUID needs none (l1d_flush_after_exit()); an always
 *   flush stays before every entry;
 * - tracing and cycle accounting: the full path takes the exits while the
 *   pvmx_exit tracepoint or cycle_stats is on, from the first exit that is
 *   not a CPUID after either is switched on (a host timer interrupt at the
 *   latest: it exits).
 */
static noinline bool fast_exits(struct pvmx_vcpu *vcpu)
{
	struct pvmx_cpu *cpu = &vcpu->core.cpu;
	struct pvmx_stats *st = &vcpu->core.stats;

	if (trace_pvmx_exit_enabled() || READ_ONCE(pvmx_cycle_stats) ||
	    (vcpu->arch.vmcs_dr7 & PVMX_DR7_ENABLES))
		return false;
	do {
		if (host_preempt_pending() || READ_ONCE(vcpu->kicked) ||
		    !pvmx_entry_idle(&vcpu->core))
			return false;
		pvmx_fast_cpuid(vcpu);
		st->exits++;
		st->exit_count[EXIT_REASON_CPUID]++;

		if (unlikely(vcpu->arch.desc_dirty))
			pvmx_load_desc_state(vcpu);
		__atomic_store_n(&vcpu->core.in_guest, 1, __ATOMIC_SEQ_CST);
		if (unlikely(READ_ONCE(vcpu->core.mm_requests)))
			pvmx_mm_before_entry(&vcpu->core);
		vmcs_write(GUEST_RIP, cpu->eip);
		l1d_flush_before_entry(vcpu);
		if (unlikely(pvmx_vmenter(cpu->gpr, &vcpu->arch.host_rsp, true))) {
			WRITE_ONCE(vcpu->core.in_guest, 0);
			return true;
		}
		restore_host_debugregs();
		WRITE_ONCE(vcpu->core.in_guest, 0);
		vcpu->exits++;
		vcpu->arch.exit_reason = vmcs_read(VM_EXIT_REASON);
	} while (vcpu->arch.exit_reason == EXIT_REASON_CPUID);
	return false;
}

/* One stretch of guest execution on this CPU; see the comment at the top. */
static enum pvmx_action run_stretch(struct pvmx_vcpu *vcpu)
{
	struct pvmx_cpu *cpu = &vcpu->core.cpu;
	struct host_segments host;
	bool tsc_aux = vcpu->vm->core.tsc_aux_msr;
	u64 host_tsc_aux = 0, hw_tsc_aux = 0;
	enum pvmx_action act;
	u64 exit_tsc;

	preempt_disable();
	vcpu_load(vcpu);
	/* The thread may have slept or run other code since its last entry. */
	vcpu->arch.l1d_flush_pending = true;
	if (vcpu->arch.state_dirty)
		vmcs_write_guest_state(vcpu);
	save_host_segments(vcpu, &host);
	pvmx_update_time_info(&vcpu->core);
	kernel_fpu_begin();
	asm volatile("fxrstor %0" : : "m" (*vcpu->arch.fpu));
	/*
	 * The guest's TSC_AUX for the stretch, the host's (its CPU and node
	 * for the vDSO's getcpu) back before preemption is enabled: the host
	 * kernel itself does not read it (KVM defers the restore to the
	 * return to userspace).
	 */
	if (tsc_aux) {
		rdmsrl(MSR_TSC_AUX, host_tsc_aux);
		hw_tsc_aux = host_tsc_aux;
	}

	for (;;) {
		/* A kick from now on is seen below, with interrupts off. */
		WRITE_ONCE(vcpu->kicked, false);
		smp_mb();	/* cleared before looking; pairs with pvmx_host_kick() */
		/* Queued events, and the upcall if one is deliverable now. */
		act = sync_cs_ss(vcpu, pvmx_prepare_entry(&vcpu->core));
		if (act != PVMX_RESUME)
			break;

		local_irq_disable();
		if (host_preempt_pending()) {
			local_irq_enable();
			act = PVMX_RESUME;
			break;
		}
		if (READ_ONCE(vcpu->kicked)) {
			/* Another vCPU or a timer changed our events after we looked. */
			local_irq_enable();
			continue;
		}
		if (unlikely(vcpu->arch.desc_dirty))
			pvmx_load_desc_state(vcpu);
		/*
		 * From here to the exit remote vCPUs wait for us before relying
		 * on a flush or base reload they request (see mm.c).
		 */
		__atomic_store_n(&vcpu->core.in_guest, 1, __ATOMIC_SEQ_CST);
		/* in_guest is set (a full barrier): a plain look, a call only with work. */
		if (unlikely(READ_ONCE(vcpu->core.mm_requests)))
			pvmx_mm_before_entry(&vcpu->core);
		sync_host_control_regs(vcpu);
		load_guest_debugregs(vcpu);
		if (tsc_aux && unlikely(vcpu->core.tsc_aux != hw_tsc_aux)) {
			hw_tsc_aux = vcpu->core.tsc_aux;
			wrmsrl(MSR_TSC_AUX, hw_tsc_aux);
		}
		/* RIP almost always moved; ESP and EFLAGS only on frames and iret. */
		vmcs_write(GUEST_RIP, cpu->eip);
		if ((u32)cpu->gpr[PVMX_ESP] != vcpu->arch.vmcs_esp)
			vmcs_write(GUEST_RSP, (u32)cpu->gpr[PVMX_ESP]);
		if (cpu->eflags != vcpu->arch.vmcs_eflags)
			vmcs_write(GUEST_RFLAGS, cpu->eflags);
		l1d_flush_before_entry(vcpu);
		if (pvmx_vmenter(cpu->gpr, &vcpu->arch.host_rsp, vcpu->arch.launched)) {
			WRITE_ONCE(vcpu->core.in_guest, 0);
			restore_host_debugregs();
			local_irq_enable();
			act = vmentry_failed(vcpu);
			break;
		}
		/* Cycle accounting only when asked for (pvmx_cycle_stats). */
		exit_tsc = unlikely(READ_ONCE(pvmx_cycle_stats)) ? rdtsc() : 0;
		restore_host_debugregs();
		WRITE_ONCE(vcpu->core.in_guest, 0);
		vcpu->arch.launched = true;
		vcpu->exits++;
		vcpu->arch.exit_reason = vmcs_read(VM_EXIT_REASON);
		/* CPUID faulting makes the result depend on the CPL: the full path. */
		if (vcpu->arch.exit_reason == EXIT_REASON_CPUID && !vcpu->core.cpuid_faulting &&
		    unlikely(fast_exits(vcpu))) {
			local_irq_enable();
			act = vmentry_failed(vcpu);
			break;
		}
		vcpu->arch.exit_intr_info = vmcs_read(VM_EXIT_INTR_INFO);
		l1d_flush_after_exit(vcpu);
		/* NMIs and machine checks that exited are the host's: hand them over. */
		host_nmi_or_mce(vcpu);
		local_irq_enable();

		/* What the VMCS holds now, and the core's copy of it. */
		vcpu->arch.vmcs_esp = vmcs_read(GUEST_RSP);
		vcpu->arch.vmcs_eflags = vmcs_read(GUEST_RFLAGS);
		vcpu->arch.vmcs_cs = vmcs_read(GUEST_CS_SELECTOR);
		vcpu->arch.vmcs_ss = vmcs_read(GUEST_SS_SELECTOR);
		cpu->eip = vmcs_read(GUEST_RIP);
		cpu->gpr[PVMX_ESP] = vcpu->arch.vmcs_esp;
		cpu->eflags = vcpu->arch.vmcs_eflags;
		cpu->cs = vcpu->arch.vmcs_cs;
		cpu->ss = vcpu->arch.vmcs_ss;
		trace_pvmx_exit(vcpu->core.id, vcpu->arch.exit_reason, cpu->eip,
				vcpu->arch.exit_intr_info);
		act = sync_cs_ss(vcpu, pvmx_handle_exit(vcpu));
		account_exit(vcpu, exit_tsc);
		if (act != PVMX_RESUME)
			break;
	}

	/* The guest may have moved on since the last entry: keep what GET_REGS shows. */
	vmcs_read_guest_selectors(vcpu);
	if (hw_tsc_aux != host_tsc_aux)
		wrmsrl(MSR_TSC_AUX, host_tsc_aux);
	asm volatile("fxsave %0" : "=m" (*vcpu->arch.fpu));
	kernel_fpu_end();
	restore_host_segments(&host);
	/* On the CPU that ran the guest, before another task can run here. */
	pvmx_spec_stretch_end();
	preempt_enable();
	return act;
}

int pvmx_vmx_run(struct pvmx_vcpu *vcpu)
{
	struct pvmx_run *run = vcpu->core.run;
	enum pvmx_action act;

	run->exit_reason = PVMX_EXIT_NONE;
	for (;;) {
		if (signal_pending(current)) {
			run->exit_reason = PVMX_EXIT_INTR;
			return 0;
		}
		if (READ_ONCE(vcpu->vm->core.ended))
			return 0;	/* PVMX_EXIT_NONE: the caller reports the VM's end */
		if (!pvmx_vcpu_may_run(&vcpu->core)) {
			/* Down: wait for VCPUOP_up; a signal is seen above. */
			pvmx_linux_vcpu_wait_up(vcpu);
			continue;
		}
		act = run_stretch(vcpu);
		switch (act) {
		case PVMX_EXIT_TO_USER:
			return 0;
		case PVMX_YIELD:
			/* SCHEDOP_yield: what sched_yield() does for a thread. */
			yield();
			break;
		case PVMX_BLOCK:
			pvmx_linux_vcpu_wait(vcpu);	/* a signal is seen above */
			break;
		case PVMX_OFFLINE:
			break;			/* the wait for VCPUOP_up is above */
		default:
			cond_resched();
		}
	}
}
