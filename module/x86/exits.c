// SPDX-License-Identifier: GPL-2.0
/*
 * VM exit handlers, one per basic exit reason, KVM-style.  Each returns what
 * the run loop does next.  Exits a well-behaved PV guest causes are
 * `int $0x82` (as #GP) and CPUID; anything the hypervisor cannot reflect to
 * the guest yet crashes the guest with a reason the launcher prints, and the
 * host carries on.
 */
#include <linux/kernel.h>
#include <asm/processor.h>
#include <asm/trapnr.h>
#include <asm/trap_pf.h>
#include <asm/vmx.h>
#include "vmx_ops.h"

#define INT82_ERROR_CODE	((0x82 << 3) | 2)
#define INT80_ERROR_CODE	((0x80 << 3) | 2)

static u32 guest_cpl(const struct pvmx_vcpu *vcpu)
{
	return vcpu->core.cpu.cs & 3;
}

/* Length of `[prefixes] int $n` at CS:EIP, or 0 if that is not what is there. */
static u32 int_n_length(struct pvmx_vcpu *vcpu, u32 n)
{
	u32 linear = vmcs_read(GUEST_CS_BASE) + vcpu->core.cpu.eip;
	u32 len;
	u8 b[2];

	/* The usual case, `int $n` without prefixes, in one guest access. */
	if (!pvmx_copy_from_guest(&vcpu->core, b, linear, 2) && b[0] == 0xcd)
		return b[1] == n ? 2 : 0;

	for (len = 0; len < X86_MAX_INSN_LEN - 1; len++) {
		if (pvmx_copy_from_guest(&vcpu->core, b, linear + len, 1))
			return 0;
		switch (b[0]) {
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
		case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
			continue;
		case 0xcd:
			if (pvmx_copy_from_guest(&vcpu->core, b + 1, linear + len + 1, 1))
				return 0;
			return b[1] == n ? len + 2 : 0;
		default:
			return 0;
		}
	}
	return 0;
}

/*
 * The #GP came while delivering `int n`: VMX then reports the software
 * interrupt as IDT-vectoring information with the instruction's length
 * (prefixes included), so the guest's code need not be read.
 */
static u32 soft_int_length(struct pvmx_vcpu *vcpu, u32 n)
{
	u32 idt_info = vmcs_read(IDT_VECTORING_INFO_FIELD);

	if ((idt_info & VECTORING_INFO_VALID_MASK) &&
	    (idt_info & VECTORING_INFO_TYPE_MASK) == INTR_TYPE_SOFT_INTR &&
	    (idt_info & VECTORING_INFO_VECTOR_MASK) == n)
		return vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	return int_n_length(vcpu, n);
}

/* The forced-emulation prefix: `ud2; .ascii "xen"; cpuid`. */
static bool forced_emulation_cpuid(struct pvmx_vcpu *vcpu)
{
	static const u8 prefix[7] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };
	u8 insn[7];

	return !pvmx_copy_from_guest(&vcpu->core, insn,
				     vmcs_read(GUEST_CS_BASE) + vcpu->core.cpu.eip,
				     sizeof(insn)) &&
	       !memcmp(insn, prefix, sizeof(prefix));
}

/* Whether the two bytes at CS:EIP are 0F op (sysenter 0F 34, syscall 0F 05). */
static bool insn_is_0f(struct pvmx_vcpu *vcpu, u8 op)
{
	u8 b[2];

	return !pvmx_copy_from_guest(&vcpu->core, b, vmcs_read(GUEST_CS_BASE) + vcpu->core.cpu.eip,
				     sizeof(b)) &&
	       b[0] == 0x0f && b[1] == op;
}

static enum pvmx_action emulate_cpuid(struct pvmx_vcpu *vcpu, u32 insn_len, u32 fault_skip);

/*
 * The guest's exception has reached the hypervisor.  On Xen it enters Xen
 * through the IDT, so a #DB still pending from the instruction before -- a
 * data breakpoint or single step that `mov %ss`/`pop %ss` deferred past
 * this (faulting) instruction -- fires in Xen's context and is dropped
 * there (handle_DB(): "Hit #DB in Xen context", the XSA-260 fix; the
 * guest's DR6 is not touched), and the guest resumes through an iret, out
 * of the MOV SS shadow.  Under VMX the deferred #DB is in the pending
 * debug exceptions with blocking by MOV SS (the CPU saves them only then),
 * and would fire at the first instruction of wherever the guest is entered
 * next: the guest kernel's handler.  So drop both, whatever happens next.
 */
static void drop_deferred_debug(void)
{
	u32 intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);

	if (likely(!(intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))))
		return;
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
		   intr & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
}

/*
 * A #DB in the guest: the CPU does not touch DR6 when a #DB exits; the
 * exit qualification has its bits (B0-B3, BD, BS) with DR6's positive
 * polarity, which go into the guest's virtual DR6 as Xen's handle_DB() does.
 */
static enum pvmx_action guest_debug_exception(struct pvmx_vcpu *vcpu)
{
	return pvmx_deliver_db(&vcpu->core, vmcs_read(EXIT_QUALIFICATION));
}

static enum pvmx_action handle_exception(struct pvmx_vcpu *vcpu)
{
	struct pvmx_vcpu_core *v = &vcpu->core;
	u32 info = vcpu->arch.exit_intr_info;
	u32 vector = info & INTR_INFO_VECTOR_MASK;
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;
	bool has_error = info & INTR_INFO_DELIVER_CODE_MASK;
	u32 error = has_error ? vmcs_read(VM_EXIT_INTR_ERROR_CODE) : 0;
	enum pvmx_action action;
	u32 len, addr;

	if (type == INTR_TYPE_NMI_INTR)
		return PVMX_RESUME;		/* the host's, handled at exit */
	drop_deferred_debug();
	switch (type) {
	case INTR_TYPE_SOFT_EXCEPTION:		/* int3, into: no DPL check */
		v->cpu.eip += vmcs_read(VM_EXIT_INSTRUCTION_LEN);
		return pvmx_deliver_exception(v, vector, false, 0);
	case INTR_TYPE_PRIV_SW_EXCEPTION:	/* icebp: a #DB after the instruction */
		v->cpu.eip += vmcs_read(VM_EXIT_INSTRUCTION_LEN);
		return guest_debug_exception(vcpu);
	}

	switch (vector) {
	case X86_TRAP_DB:
		return guest_debug_exception(vcpu);
	case X86_TRAP_MC:
		/* The host's handler ran at exit; the guest cannot go on from it. */
		return pvmx_crash(v, PVMX_CRASH_UNSUPPORTED, vector, 0, 0,
				  "machine check (#MC) while the guest ran at %04x:%08x",
				  v->cpu.cs, v->cpu.eip);
	case X86_TRAP_GP:
		/* An `int n` the (empty) IDT refused: error code (n << 3) | 2. */
		if ((error & 7) == 2) {
			len = soft_int_length(vcpu, error >> 3);
			if (len && error == INT82_ERROR_CODE && guest_cpl(vcpu) == 1)
				return pvmx_hypercall(v, len);
			if (len && error == INT80_ERROR_CODE)
				return pvmx_int80(v, len);
			if (len)
				return pvmx_software_interrupt(v, error >> 3, len);
		}
		if (!error) {
			/* sysenter: the guest's SYSENTER_CS is 0 (run.c, vmcs_setup()). */
			if (insn_is_0f(vcpu, 0x34))
				return pvmx_fast_syscall(v, true, 2);
			/* in/out, cli/sti, mov cr/dr, rdmsr/wrmsr...: Xen emulates some. */
			return pvmx_emulate_privileged(v, vmcs_read(GUEST_CS_BASE));
		}
		break;
	case X86_TRAP_UD:
		if (forced_emulation_cpuid(vcpu))
			return emulate_cpuid(vcpu, 7, 5);
		/* syscall is #UD outside 64-bit mode. */
		if (insn_is_0f(vcpu, 0x05))
			return pvmx_fast_syscall(v, false, 2);
		break;
	case X86_TRAP_PF:
		addr = vmcs_read(EXIT_QUALIFICATION);
		/*
		 * A store into one of its L1s (VMASST_TYPE_writable_pagetables):
		 * a write to a present page (pvmx_ptwr_fault() checks the rest
		 * under the VM lock; other faults skip the lock and two VMREADs);
		 * not a fault while the CPU delivered an event (no store at EIP).
		 */
		if ((error & (X86_PF_PROT | X86_PF_WRITE)) == (X86_PF_PROT | X86_PF_WRITE) &&
		    !(vmcs_read(IDT_VECTORING_INFO_FIELD) & VECTORING_INFO_VALID_MASK) &&
		    pvmx_ptwr_fault(v, vmcs_read(GUEST_CS_BASE), addr, error, &action))
			return action;
		WRITE_ONCE(pvmx_vcpu_info(v)->cr2, addr);
		/* The guest's LDT pages are mapped on first use, as Xen's shadow LDT. */
		if (addr - pvmx_vcpu_ldt_va(vcpu) < PVMX_HV_VCPU_STRIDE)
			return pvmx_ldt_fault(v, addr - pvmx_vcpu_ldt_va(vcpu), error);
		break;
	}
	return pvmx_deliver_exception(v, vector, has_error, error);
}

/* VMX instructions are #UD for a PV guest, as on Xen (where the #UD enters Xen). */
static enum pvmx_action handle_vmx_instruction(struct pvmx_vcpu *vcpu)
{
	drop_deferred_debug();
	return pvmx_deliver_exception(&vcpu->core, X86_TRAP_UD, false, 0);
}

static enum pvmx_action handle_external_interrupt(struct pvmx_vcpu *vcpu)
{
	/*
	 * Taken by the host when the run loop re-enabled interrupts.  End the
	 * stretch too, so a guest that never exits otherwise still lets the
	 * host pass through quiescent states (RCU) at every host tick.
	 */
	return PVMX_RESCHED;
}

static enum pvmx_action handle_triple_fault(struct pvmx_vcpu *vcpu)
{
	return pvmx_crash(&vcpu->core, PVMX_CRASH_TRIPLE_FAULT, ~0u, 0, 0,
			  "triple fault at %04x:%08x", vcpu->core.cpu.cs, vcpu->core.cpu.eip);
}

#define CPUID_E1D_RDTSCP	BIT(27)		/* 0x80000001.edx */
#define CPUID_7C0_RDPID		BIT(22)		/* 7:0.ecx */

/* What the CPU offers, less what the VMCS cannot let the guest run. */
static void host_cpuid(u32 leaf, u32 subleaf, struct pvmx_cpuid_leaf *r)
{
	cpuid_count(leaf, subleaf, &r->a, &r->b, &r->c, &r->d);
	/* The leaf first: every CPUID exit comes here, these two leaves rarely. */
	if (leaf == 0x80000001u && !pvmx_has_vmx_rdtscp())
		r->d &= ~CPUID_E1D_RDTSCP;
	else if (leaf == 7 && subleaf == 0 && !pvmx_has_vmx_rdtscp())
		r->c &= ~CPUID_7C0_RDPID;
}

/*
 * CPUID through the policy (module/cpuid.c), insn_len bytes at EIP.  With
 * CPUID faulting enabled (MISC_FEATURES_ENABLES, emulate.c) it is #GP(0)
 * outside the guest kernel's ring 1, as in Xen; for the forced-emulation
 * form the fault points past the `ud2; "xen"` signature, at the cpuid, as
 * Xen's emulate_forced_invalid_op() leaves it (fault_skip 5).
 */
static __always_inline void cpuid_to_regs(struct pvmx_vcpu *vcpu, u32 insn_len)
{
	unsigned long *gpr = vcpu->core.cpu.gpr;
	struct pvmx_cpuid_leaf r;

	pvmx_guest_cpuid(&vcpu->core, gpr[PVMX_EAX], gpr[PVMX_ECX], host_cpuid, &r);
	gpr[PVMX_EAX] = r.a;
	gpr[PVMX_EBX] = r.b;
	gpr[PVMX_ECX] = r.c;
	gpr[PVMX_EDX] = r.d;
	vcpu->core.cpu.eip += insn_len;
}

static enum pvmx_action emulate_cpuid(struct pvmx_vcpu *vcpu, u32 insn_len, u32 fault_skip)
{
	if (vcpu->core.cpuid_faulting && guest_cpl(vcpu) != 1) {
		vcpu->core.cpu.eip += fault_skip;
		return pvmx_deliver_exception(&vcpu->core, X86_TRAP_GP, true, 0);
	}
	cpuid_to_regs(vcpu, insn_len);
	return PVMX_RESUME;
}

static enum pvmx_action handle_cpuid(struct pvmx_vcpu *vcpu)
{
	return emulate_cpuid(vcpu, vmcs_read(VM_EXIT_INSTRUCTION_LEN), 0);
}

static enum pvmx_action handle_ept_violation(struct pvmx_vcpu *vcpu)
{
	u64 gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	unsigned long qual = vmcs_read(EXIT_QUALIFICATION);
	const char *what = qual & 2 ? "write" : qual & 4 ? "instruction fetch" : "read";

	if (gpa >= PVMX_HV_GPA_BASE)
		return pvmx_crash(&vcpu->core, PVMX_CRASH_BAD_MEMORY, ~0u, 0, gpa,
				  "%s of hypervisor page 0x%llx (read-only to the guest) at %04x:%08x",
				  what, gpa, vcpu->core.cpu.cs, vcpu->core.cpu.eip);
	return pvmx_crash(&vcpu->core, PVMX_CRASH_BAD_MEMORY, ~0u, 0, gpa,
			  "%s of guest-physical 0x%llx outside the guest's memory at %04x:%08x",
			  what, gpa, vcpu->core.cpu.cs, vcpu->core.cpu.eip);
}

static enum pvmx_action handle_ept_misconfig(struct pvmx_vcpu *vcpu)
{
	u64 gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);

	pr_err_ratelimited("pvmx: EPT misconfiguration at gpa 0x%llx\n", gpa);
	return pvmx_crash(&vcpu->core, PVMX_CRASH_BAD_STATE, ~0u, 0, gpa,
			  "hypervisor error: EPT misconfiguration at guest-physical 0x%llx", gpa);
}

static enum pvmx_action handle_failed_entry(struct pvmx_vcpu *vcpu, u32 reason)
{
	unsigned long qual = vmcs_read(EXIT_QUALIFICATION);

	pr_warn_ratelimited("pvmx: VM entry failed: exit reason %u, qualification 0x%lx\n",
			    reason, qual);
	return pvmx_crash(&vcpu->core, PVMX_CRASH_BAD_STATE, ~0u, 0, qual,
			  "VM entry refused the guest state (exit reason %u%s, qualification 0x%lx)",
			  reason,
			  reason == EXIT_REASON_INVALID_STATE ? ": invalid guest state" : "", qual);
}

static enum pvmx_action handle_unsupported(struct pvmx_vcpu *vcpu)
{
	u32 reason = vcpu->arch.exit_reason & 0xFFFF;

	return pvmx_crash(&vcpu->core, PVMX_CRASH_UNSUPPORTED, ~0u, 0, 0,
			  "unsupported VM exit %u (%s) at %04x:%08x", reason,
			  reason == EXIT_REASON_IO_INSTRUCTION ? "I/O instruction" :
			  reason == EXIT_REASON_HLT ? "HLT" : "unexpected",
			  vcpu->core.cpu.cs, vcpu->core.cpu.eip);
}

/* For emulate.c: the MSRs whose host values a PV guest sees (masked there). */
int pvmx_arch_read_host_msr(u32 msr, u64 *val)
{
	return rdmsrl_safe(msr, val) ? -XEN_EINVAL : 0;
}

typedef enum pvmx_action (*pvmx_exit_handler)(struct pvmx_vcpu *vcpu);

static const pvmx_exit_handler exit_handlers[] = {
	[EXIT_REASON_EXCEPTION_NMI]		= handle_exception,
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT]		= handle_triple_fault,
	[EXIT_REASON_CPUID]			= handle_cpuid,
	[EXIT_REASON_VMCALL]			= handle_vmx_instruction,
	[EXIT_REASON_VMCLEAR]			= handle_vmx_instruction,
	[EXIT_REASON_VMLAUNCH]			= handle_vmx_instruction,
	[EXIT_REASON_VMPTRLD]			= handle_vmx_instruction,
	[EXIT_REASON_VMPTRST]			= handle_vmx_instruction,
	[EXIT_REASON_VMREAD]			= handle_vmx_instruction,
	[EXIT_REASON_VMRESUME]			= handle_vmx_instruction,
	[EXIT_REASON_VMWRITE]			= handle_vmx_instruction,
	[EXIT_REASON_VMOFF]			= handle_vmx_instruction,
	[EXIT_REASON_VMON]			= handle_vmx_instruction,
	[EXIT_REASON_INVEPT]			= handle_vmx_instruction,
	[EXIT_REASON_INVVPID]			= handle_vmx_instruction,
	[EXIT_REASON_VMFUNC]			= handle_vmx_instruction,
	[EXIT_REASON_EPT_VIOLATION]		= handle_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG]		= handle_ept_misconfig,
};

/*
 * An instruction the guest runs natively on Xen (CPUID) exited and was
 * emulated: like KVM's skip_emulated_instruction(), leave the STI/MOV SS
 * shadow behind with it, so a #DB that `mov %ss` deferred past it is
 * delivered right after it (from the pending debug exceptions, at entry),
 * as on Xen, not one instruction later.
 */
static void retired_in_hypervisor(struct pvmx_vcpu *vcpu, u32 exit_eip)
{
	u32 intr;

	if (vcpu->core.cpu.eip == exit_eip)
		return;
	intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	if (unlikely(intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)))
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
			   intr & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

/*
 * A CPUID exit for the run loop's fast path (run.c, fast_exits()), with
 * interrupts still off and CPUID faulting off (with it on the result
 * depends on the CPL, which the full path reads).  Only what CPUID needs
 * is read from the VMCS: RIP, the instruction length and, to retire it,
 * the interruptibility state; ESP, EFLAGS, CS and SS stay in the VMCS,
 * which CPUID does not change, and the next full exit reads them.
 */
void pvmx_fast_cpuid(struct pvmx_vcpu *vcpu)
{
	u32 eip;

	eip = vmcs_read(GUEST_RIP);
	vcpu->core.cpu.eip = eip;
	cpuid_to_regs(vcpu, vmcs_read(VM_EXIT_INSTRUCTION_LEN));
	retired_in_hypervisor(vcpu, eip);
}

enum pvmx_action pvmx_handle_exit(struct pvmx_vcpu *vcpu)
{
	u32 reason = vcpu->arch.exit_reason, eip = vcpu->core.cpu.eip;
	enum pvmx_action act;

	if (reason & VMX_EXIT_REASONS_FAILED_VMENTRY)
		return handle_failed_entry(vcpu, reason & 0xFFFF);
	reason &= 0xFFFF;
	if (reason < ARRAY_SIZE(exit_handlers) && exit_handlers[reason]) {
		act = exit_handlers[reason](vcpu);
		if (reason == EXIT_REASON_CPUID)
			retired_in_hypervisor(vcpu, eip);
		return act;
	}
	return handle_unsupported(vcpu);
}
