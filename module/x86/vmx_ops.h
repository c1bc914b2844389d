/* SPDX-License-Identifier: GPL-2.0 */
/* VMX instructions and the back end's internal interfaces. */
#ifndef _PVMX_X86_VMX_OPS_H
#define _PVMX_X86_VMX_OPS_H

#include <linux/types.h>
#include <linux/jump_label.h>
#include <asm/vmx.h>
#include "../pvmx.h"

void pvmx_vmwrite_error(unsigned long field, unsigned long value);
bool pvmx_vmx_rdtscp(void);

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

/* A segment register as VMX keeps it: selector plus descriptor cache. */
struct pvmx_seg {
	u16 selector;
	u32 base;
	u32 limit;
	u32 ar;			/* VMX access-rights format; bit 16 = unusable */
};

#define PVMX_AR_UNUSABLE	BIT(16)

/* entry asm (vmenter.S): 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed */
int pvmx_vmx_enter(unsigned long *gprs, unsigned long *host_rsp, bool launched);
extern const char pvmx_vmx_exit[];

/* segments.c */
bool pvmx_guest_segment(struct pvmx_vcpu_core *v, u16 selector, struct pvmx_seg *seg);
void pvmx_load_desc_state(struct pvmx_vcpu *vcpu);
u32 pvmx_vcpu_ldt_va(const struct pvmx_vcpu *vcpu);
void pvmx_build_vcpu_tables(struct pvmx_vcpu *vcpu);
void pvmx_write_guest_segment(int seg_index, const struct pvmx_seg *seg);
u32 pvmx_vcpu_area_va(const struct pvmx_vcpu *vcpu);
void pvmx_map_shared_info_ro(struct pvmx_vm *vm);

/* vmx.c */
int pvmx_ept_map(struct pvmx_vm *vm, u64 gpa, phys_addr_t hpa, u64 perms);
#define PVMX_EPT_R	1ULL
#define PVMX_EPT_W	2ULL
#define PVMX_EPT_X	4ULL

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
