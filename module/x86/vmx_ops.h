/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMX instructions and the back end's internal interfaces (module/x86/
 * only).  What the back end offers the others is declared where they call
 * it: pvmx_arch_* (the core's hooks) in core.h, pvmx_vmx_* (the glue's) in
 * pvmx.h.
 */
#ifndef _PVMX_X86_VMX_OPS_H
#define _PVMX_X86_VMX_OPS_H

#include <linux/types.h>
#include <linux/idr.h>
#include <linux/jump_label.h>
#include <linux/percpu-defs.h>
#include <linux/smp.h>
#include <asm/vmx.h>
#include "../linux/pvmx.h"

/* Capability MSR bits pvmx relies on (SDM Vol. 3 App. A). */
#define VMX_BASIC_REVISION(b)		((u32)(b) & 0x7FFFFFFF)
#define VMX_BASIC_SIZE(b)		(((b) >> 32) & 0x1FFF)
#define VMX_BASIC_MEMTYPE(b)		(((b) >> 50) & 0xF)
#define VMX_BASIC_HAS_TRUE_CTLS		BIT_ULL(55)
#define VMX_MEMTYPE_WB			6
#define EPTCAP_WALK4			BIT_ULL(6)
#define EPTCAP_WB			BIT_ULL(14)
#define EPTCAP_INVEPT			BIT_ULL(20)
#define EPTCAP_INVEPT_SINGLE		BIT_ULL(25)
#define EPTCAP_INVEPT_ALL		BIT_ULL(26)
#define VPIDCAP_INVVPID			BIT_ULL(32)
#define VPIDCAP_INVVPID_ADDR		BIT_ULL(40)
#define VPIDCAP_INVVPID_SINGLE		BIT_ULL(41)
#define VPIDCAP_INVVPID_ALL		BIT_ULL(42)

#define INVEPT_SINGLE	1
#define INVEPT_ALL	2
#define INVVPID_ADDR	0
#define INVVPID_SINGLE	1
#define INVVPID_ALL	2

/* vmx.c: the controls and capabilities read at load (read_capabilities()). */
struct pvmx_caps {
	u64 basic;
	u64 ept_vpid;
	u32 pin, proc, proc2, exit, entry;
	bool vpid;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

extern struct pvmx_caps pvmx_caps;

/* vmx.c: per CPU, VMX on/off and the VMCSs active there (run.c's vcpu_load() adds). */
struct pvmx_percpu {
	struct pvmx_vmcs *vmxon_region;
	bool vmx_on;
	struct list_head loaded_vcpus;	/* vCPUs whose VMCS is active here */
	struct pvmx_vmcs *current_vmcs;
};

DECLARE_PER_CPU(struct pvmx_percpu, pvmx_pcpu);

/* vmx.c: the "enable RDTSCP" control is there (RDTSCP and RDPID for guests). */
bool pvmx_has_vmx_rdtscp(void);
/* vmx.c: VMCLEAR of the vCPU's VMCS on the CPU where it is active (an IPI's function). */
void pvmx_vmcs_clear_ipi(void *vcpu);
/* run.c: a failed vmcs_write() reports here. */
void pvmx_vmwrite_error(unsigned long field, unsigned long value);

/* vcpu.c: VPIDs of the vCPUs, 1..0xFFFF (none without the VPID capability). */
extern struct ida pvmx_vpids;

static __always_inline unsigned long vmcs_read(unsigned long field)
{
	unsigned long value;

	asm volatile("vmread %[field], %[value]"
		     : [value] "=r" (value) : [field] "r" (field) : "cc");
	return value;
}

static __always_inline void vmcs_write(unsigned long field, unsigned long value)
{
	bool failed;

	asm volatile("vmwrite %[value], %[field]\n\t"
		     "setna %[failed]"
		     : [failed] "=qm" (failed)
		     : [field] "r" (field), [value] "rm" (value)
		     : "cc", "memory");
	if (unlikely(failed))
		pvmx_vmwrite_error(field, value);
}

static inline void vmcs_clear_insn(struct pvmx_vmcs *vmcs)
{
	u64 pa = __pa(vmcs);

	asm volatile("vmclear %0" : : "m" (pa) : "cc", "memory");
}

static inline void vmcs_load_insn(struct pvmx_vmcs *vmcs)
{
	u64 pa = __pa(vmcs);

	asm volatile("vmptrld %0" : : "m" (pa) : "cc", "memory");
}

static inline void invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, gpa; } desc = { eptp, 0 };

	asm volatile("invept %0, %1" : : "m" (desc), "r" (type) : "cc", "memory");
}

static inline void invvpid(unsigned long type, u16 vpid, u64 gva)
{
	struct { u64 vpid; u64 gva; } desc = { vpid, gva };

	asm volatile("invvpid %0, %1" : : "m" (desc), "r" (type) : "cc", "memory");
}

static inline void vmcs_clear_anywhere(struct pvmx_vcpu *vcpu)
{
	int cpu = READ_ONCE(vcpu->arch.cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, pvmx_vmcs_clear_ipi, vcpu, 1);
}

/* A segment register as VMX keeps it: selector plus descriptor cache. */
struct pvmx_seg {
	u16 selector;
	u32 base;
	u32 limit;
	u32 ar;			/* VMX access-rights format; bit 16 = unusable */
};

#define PVMX_AR_UNUSABLE	BIT(16)

/* entry asm (vmenter.S): 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed */
int pvmx_vmenter(unsigned long *gprs, unsigned long *host_rsp, bool launched);
extern const char pvmx_vmexit[];

/* segments.c */
bool pvmx_guest_segment(struct pvmx_vcpu_core *v, u16 selector, struct pvmx_seg *seg);
void pvmx_load_desc_state(struct pvmx_vcpu *vcpu);
u32 pvmx_vcpu_ldt_va(const struct pvmx_vcpu *vcpu);
void pvmx_build_vcpu_tables(struct pvmx_vcpu *vcpu);
void pvmx_write_guest_segment(int seg_index, const struct pvmx_seg *seg);
u32 pvmx_vcpu_area_va(const struct pvmx_vcpu *vcpu);
void pvmx_map_shared_info_ro(struct pvmx_vm *vm);

/* ept.c */
int pvmx_ept_map(struct pvmx_vm *vm, u64 gpa, phys_addr_t hpa, u64 perms);
#define PVMX_EPT_R	1ULL
#define PVMX_EPT_W	2ULL
#define PVMX_EPT_X	4ULL
void pvmx_ept_unmap(struct pvmx_vm *vm, u64 gpa);
void pvmx_ept_flush_everywhere(struct pvmx_vm *vm);

/* spec.c: speculation mitigations at VM entry and exit */
DECLARE_STATIC_KEY_FALSE(pvmx_l1d_flush_key);
DECLARE_STATIC_KEY_FALSE(pvmx_l1d_flush_cond_key);
int pvmx_spec_init(void);
void pvmx_spec_exit(void);
void pvmx_spec_vm_init(struct pvmx_vm *vm);
void pvmx_spec_vcpu_load(struct pvmx_vcpu *vcpu);
void pvmx_spec_l1d_flush(void);
void pvmx_spec_stretch_end(void);

/* exits.c */
enum pvmx_action pvmx_handle_exit(struct pvmx_vcpu *vcpu);
void pvmx_fast_cpuid(struct pvmx_vcpu *vcpu);

#endif /* _PVMX_X86_VMX_OPS_H */
