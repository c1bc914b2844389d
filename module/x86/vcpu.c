// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU of the VMX back end outside the run loop: its creation (VMCS,
 * VPID, the vCPU's hypervisor GDT and TSS pages and their EPT mappings) and
 * destruction, PVMX_SET_REGS/GET_REGS, and the context VCPUOP_initialise
 * loads.  Registers and contexts stay software state until the next stretch
 * writes them into the VMCS (run.c): the VMCS may be active on another CPU
 * meanwhile.
 */
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/fpu/types.h>
#include <asm/io.h>
#include <asm/processor.h>
#include "vmx_ops.h"

DEFINE_IDA(pvmx_vpids);

int pvmx_vmx_vcpu_create(struct pvmx_vcpu *vcpu)
{
	struct pvmx_vcpu_arch *arch = &vcpu->arch;
	int ret;

	arch->cpu = -1;
	INIT_LIST_HEAD(&arch->loaded_link);
	arch->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	arch->gdt_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	arch->tss_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	arch->fpu = kzalloc(sizeof(*arch->fpu), GFP_KERNEL_ACCOUNT);
	if (!arch->vmcs || !arch->gdt_page || !arch->tss_page || !arch->fpu)
		return -ENOMEM;
	arch->vmcs->revision_id = VMX_BASIC_REVISION(pvmx_caps.basic);
	arch->fpu->cwd = 0x37F;
	arch->fpu->mxcsr = 0x1F80;
	if (pvmx_caps.vpid) {
		ret = ida_alloc_range(&pvmx_vpids, 1, 0xFFFF, GFP_KERNEL);
		if (ret < 0)
			return ret;
		arch->vpid = ret;
	}
	pvmx_build_vcpu_tables(vcpu);
	ret = pvmx_ept_map(vcpu->vm, PVMX_HV_GPA(PVMX_HV_FRAME_GDT(vcpu->core.id)),
			   page_to_phys(arch->gdt_page), PVMX_EPT_R);
	if (!ret)
		ret = pvmx_ept_map(vcpu->vm, PVMX_HV_GPA(PVMX_HV_FRAME_TSS(vcpu->core.id)),
				   page_to_phys(arch->tss_page), PVMX_EPT_R | PVMX_EPT_X);
	if (ret)
		return ret;
	/* VMCLEAR once to initialise the launch state; VMX is on (a VM exists). */
	preempt_disable();
	vmcs_clear_insn(arch->vmcs);
	preempt_enable();
	return 0;
}

void pvmx_vmx_vcpu_destroy(struct pvmx_vcpu *vcpu)
{
	struct pvmx_vcpu_arch *arch = &vcpu->arch;
	u32 id = vcpu->core.id;

	/* No mapping may outlive the pages (a vCPU can fail after this point). */
	pvmx_ept_unmap(vcpu->vm, PVMX_HV_GPA(PVMX_HV_FRAME_GDT(id)));
	pvmx_ept_unmap(vcpu->vm, PVMX_HV_GPA(PVMX_HV_FRAME_TSS(id)));
	pvmx_ept_flush_everywhere(vcpu->vm);
	if (arch->vmcs) {
		vmcs_clear_anywhere(vcpu);
		free_page((unsigned long)arch->vmcs);
	}
	if (arch->vpid)
		ida_free(&pvmx_vpids, arch->vpid);
	if (arch->gdt_page)
		__free_page(arch->gdt_page);
	if (arch->tss_page)
		__free_page(arch->tss_page);
	kfree(arch->fpu);
}

/* ---- registers ------------------------------------------------------------ */

#define EFLAGS_REFUSED	(X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_RF | \
			 X86_EFLAGS_VM | X86_EFLAGS_VIF | X86_EFLAGS_VIP | 0xFFC08028UL)

/*
 * SET_REGS selectors: Xen's flat ones or the guest's GDT (the LDT is found
 * through the guest's page tables, which SET_REGS may be replacing), used
 * as the CPU would let the guest: CS and SS at their RPL = CPL, DS..GS data
 * segments only.
 */
static bool set_regs_selector_ok(struct pvmx_vcpu *vcpu, u32 sel, enum pvmx_seg_use use,
				 u32 cpl)
{
	struct pvmx_seg seg;

	if (sel > 0xFFFF || (sel & 4))
		return false;
	switch (use) {
	case PVMX_SEG_CODE:
	case PVMX_SEG_STACK:
		return (sel & 3) == cpl && pvmx_selector_usable(&vcpu->core, sel, use);
	default:
		/* 0, or a data segment loadable with an RPL no more privileged than CPL. */
		if (!(sel & ~3))
			return sel == 0;
		return (sel & 3) >= cpl && pvmx_guest_segment(&vcpu->core, sel, &seg) &&
		       !(seg.ar & 8) && ((seg.ar >> 5) & 3) >= (sel & 3);
	}
}

int pvmx_vmx_set_regs(struct pvmx_vcpu *vcpu, const struct pvmx_regs *regs)
{
	struct pvmx_cpu *cpu = &vcpu->core.cpu;
	u32 cpl = regs->cs & 3;
	long ret;

	if ((cpl != 1 && cpl != 3) ||
	    !set_regs_selector_ok(vcpu, regs->cs, PVMX_SEG_CODE, cpl) ||
	    !set_regs_selector_ok(vcpu, regs->ss, PVMX_SEG_STACK, cpl) ||
	    !set_regs_selector_ok(vcpu, regs->ds, PVMX_SEG_USER_DATA, cpl) ||
	    !set_regs_selector_ok(vcpu, regs->es, PVMX_SEG_USER_DATA, cpl) ||
	    !set_regs_selector_ok(vcpu, regs->fs, PVMX_SEG_USER_DATA, cpl) ||
	    !set_regs_selector_ok(vcpu, regs->gs, PVMX_SEG_USER_DATA, cpl))
		return -EINVAL;
	if (regs->eflags & EFLAGS_REFUSED)
		return -EINVAL;
	if (regs->kernel_ss && !set_regs_selector_ok(vcpu, regs->kernel_ss, PVMX_SEG_STACK, 1))
		return -EINVAL;
	/* The initial tables are validated and pinned, as Xen's domain builder does. */
	spin_lock(&vcpu->vm->core.lock);	/* page types are VM-wide */
	ret = pvmx_mm_boot_baseptr(&vcpu->core, regs->cr3);
	spin_unlock(&vcpu->vm->core.lock);
	if (ret) {
		pr_warn_ratelimited("pvmx: initial page tables at cr3 0x%llx refused (Xen error %ld): the L3 must be page aligned with slot 3 present, page-table pages mapped read-only, no 2 MiB pages, only the VM's frames\n",
				    regs->cr3, ret);
		return -EINVAL;
	}

	cpu->gpr[PVMX_EAX] = regs->eax;
	cpu->gpr[PVMX_EBX] = regs->ebx;
	cpu->gpr[PVMX_ECX] = regs->ecx;
	cpu->gpr[PVMX_EDX] = regs->edx;
	cpu->gpr[PVMX_ESI] = regs->esi;
	cpu->gpr[PVMX_EDI] = regs->edi;
	cpu->gpr[PVMX_EBP] = regs->ebp;
	cpu->gpr[PVMX_ESP] = regs->esp;
	cpu->eip = regs->eip;
	cpu->eflags = regs->eflags | X86_EFLAGS_IF | X86_EFLAGS_FIXED;
	cpu->cs = regs->cs;
	cpu->ss = regs->ss;
	cpu->kernel_ss = regs->kernel_ss;
	cpu->kernel_sp = regs->kernel_sp;
	vcpu->arch.sregs[PVMX_SREG_ES] = regs->es;
	vcpu->arch.sregs[PVMX_SREG_CS] = regs->cs;
	vcpu->arch.sregs[PVMX_SREG_SS] = regs->ss;
	vcpu->arch.sregs[PVMX_SREG_DS] = regs->ds;
	vcpu->arch.sregs[PVMX_SREG_FS] = regs->fs;
	vcpu->arch.sregs[PVMX_SREG_GS] = regs->gs;
	vcpu->arch.state_dirty = true;
	pvmx_build_vcpu_tables(vcpu);
	return 0;
}

void pvmx_vmx_get_regs(struct pvmx_vcpu *vcpu, struct pvmx_regs *regs)
{
	const struct pvmx_cpu *cpu = &vcpu->core.cpu;

	regs->eax = cpu->gpr[PVMX_EAX];
	regs->ebx = cpu->gpr[PVMX_EBX];
	regs->ecx = cpu->gpr[PVMX_ECX];
	regs->edx = cpu->gpr[PVMX_EDX];
	regs->esi = cpu->gpr[PVMX_ESI];
	regs->edi = cpu->gpr[PVMX_EDI];
	regs->ebp = cpu->gpr[PVMX_EBP];
	regs->esp = cpu->gpr[PVMX_ESP];
	regs->eip = cpu->eip;
	regs->eflags = cpu->eflags;
	regs->cs = vcpu->arch.sregs[PVMX_SREG_CS];
	regs->ss = vcpu->arch.sregs[PVMX_SREG_SS];
	regs->ds = vcpu->arch.sregs[PVMX_SREG_DS];
	regs->es = vcpu->arch.sregs[PVMX_SREG_ES];
	regs->fs = vcpu->arch.sregs[PVMX_SREG_FS];
	regs->gs = vcpu->arch.sregs[PVMX_SREG_GS];
	regs->cr3 = cpu->cr3;
	regs->kernel_ss = cpu->kernel_ss;
	regs->kernel_sp = cpu->kernel_sp;
}

/* ---- VCPUOP_initialise -------------------------------------------------- */

/*
 * VCPUOP_initialise for a vCPU that is down, from another vCPU's thread
 * under the VM lock: software state only (the VMCS may be active anywhere);
 * the next stretch writes it (state_dirty).
 */
void pvmx_arch_load_context(struct pvmx_vcpu_core *core, const u16 sregs[6], const void *fpu)
{
	struct pvmx_vcpu *vcpu = container_of(core, struct pvmx_vcpu, core);
	struct fxregs_state *fx = vcpu->arch.fpu;
	int i;

	/* The core's order is the VMCS's: ES, CS, SS, DS, FS, GS. */
	for (i = PVMX_SREG_ES; i <= PVMX_SREG_GS; i++)
		vcpu->arch.sregs[i] = sregs[i];
	if (fpu) {
		memcpy(fx, fpu, sizeof(*fx));
		/* Reserved MXCSR bits would make FXRSTOR fault in the host. */
		fx->mxcsr &= 0xFFBF;
	} else {
		memset(fx, 0, sizeof(*fx));
		fx->cwd = 0x37F;
		fx->mxcsr = 0x1F80;
	}
	vcpu->arch.state_dirty = true;
	pvmx_build_vcpu_tables(vcpu);
}
