// SPDX-License-Identifier: GPL-2.0
/*
 * Page types and the PV page-table hypercalls.  Placeholder: the frame
 * table and the hypercalls are being written (issue 5).
 */
#include "core.h"

int pvmx_get_page_type(struct pvmx_vm_core *vm, u32 mfn, enum pvmx_page_type type)
{
	return mfn < vm->mem.nr_ram_frames ? 0 : -XEN_EINVAL;
}

void pvmx_put_page_type(struct pvmx_vm_core *vm, u32 mfn)
{
}

/*
 * Minimal stand-in until the mm branch's page typing lands (the smp branch
 * needs it for VCPUOP_initialise): no type check, only that the L3 and the
 * L2 under slot 3 are RAM; the arch loads cpu.cr3/pdpte at the next entry.
 */
long pvmx_new_baseptr(struct pvmx_vcpu_core *v, u32 mfn)
{
	struct pvmx_gmem *mem = &v->vm->mem;
	u64 l3[4], pdpte[4];
	u64 *l2;
	int i;

	if (mfn >= mem->nr_ram_frames ||
	    pvmx_gpa_read(mem, (u64)mfn << PVMX_PAGE_SHIFT, l3, sizeof(l3)))
		return -XEN_EINVAL;
	for (i = 0; i < 4; i++) {
		pdpte[i] = 0;
		if (!(l3[i] & PVMX_PTE_P))
			continue;
		if (((l3[i] & PVMX_PTE_ADDR) >> PVMX_PAGE_SHIFT) >= mem->nr_ram_frames)
			return -XEN_EINVAL;
		/* PAE PDPTEs take only P, PWT and PCD. */
		pdpte[i] = l3[i] & (PVMX_PTE_ADDR | PVMX_PTE_P | PVMX_PTE_PWT | PVMX_PTE_PCD);
	}
	l2 = pvmx_gfn_to_host(mem, (pdpte[3] & PVMX_PTE_ADDR) >> PVMX_PAGE_SHIFT);
	if (!(pdpte[3] & PVMX_PTE_P) || !l2)
		return -XEN_EINVAL;
	pvmx_arch_fill_hv_l2(v->vm, l2);
	v->cpu.cr3 = mfn << PVMX_PAGE_SHIFT;
	memcpy(v->cpu.pdpte, pdpte, sizeof(pdpte));
	return 0;
}
