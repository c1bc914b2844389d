// SPDX-License-Identifier: GPL-2.0
/*
 * A VM's guest-physical memory in EPT: the tables, the mappings of the
 * guest's RAM, shared_info, grant frames and the M2P, the hypervisor's own
 * frames (read-only), INVEPT on every CPU after an unmap, and the per-VM
 * state of the back end (vmx.h: the hypervisor area and its frames).
 */
#include <linux/mm.h>
#include <linux/smp.h>
#include <linux/vmalloc.h>
#include <asm/io.h>
#include <asm/processor.h>
#include "vmx_ops.h"

#define EPT_MT_WB	(6ULL << 3)
#define EPT_LEVELS	4

int pvmx_ept_map(struct pvmx_vm *vm, u64 gpa, phys_addr_t hpa, u64 perms)
{
	u64 *table = vm->arch.ept_pml4;
	int level;

	for (level = EPT_LEVELS - 1; level > 0; level--) {
		u64 *entry = &table[(gpa >> (12 + 9 * level)) & 511];

		if (!(*entry & (PVMX_EPT_R | PVMX_EPT_W | PVMX_EPT_X))) {
			u64 *next = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

			if (!next)
				return -ENOMEM;
			*entry = __pa(next) | PVMX_EPT_R | PVMX_EPT_W | PVMX_EPT_X;
		}
		table = __va(*entry & PVMX_PTE_ADDR);
	}
	table[(gpa >> 12) & 511] = hpa | perms | EPT_MT_WB;
	return 0;
}

/* Clears the leaf for gpa, if its tables exist. */
void pvmx_ept_unmap(struct pvmx_vm *vm, u64 gpa)
{
	u64 *table = vm->arch.ept_pml4;
	int level;

	for (level = EPT_LEVELS - 1; level > 0; level--) {
		u64 entry = table[(gpa >> (12 + 9 * level)) & 511];

		if (!(entry & (PVMX_EPT_R | PVMX_EPT_W | PVMX_EPT_X)))
			return;
		table = __va(entry & PVMX_PTE_ADDR);
	}
	table[(gpa >> 12) & 511] = 0;
}

static void ept_flush_ipi(void *vm)
{
	u64 eptp = ((struct pvmx_vm *)vm)->arch.eptp;

	invept(pvmx_caps.ept_vpid & EPTCAP_INVEPT_SINGLE ? INVEPT_SINGLE : INVEPT_ALL, eptp);
}

/* After removing mappings: no CPU may keep a translation (VMX is on: a VM exists). */
void pvmx_ept_flush_everywhere(struct pvmx_vm *vm)
{
	on_each_cpu(ept_flush_ipi, vm, 1);
}

static void ept_free(u64 *table, int level)
{
	int i;

	if (!table)
		return;
	if (level > 0)
		for (i = 0; i < 512; i++)
			if (table[i] & (PVMX_EPT_R | PVMX_EPT_W | PVMX_EPT_X))
				ept_free(__va(table[i] & PVMX_PTE_ADDR), level - 1);
	free_page((unsigned long)table);
}

void pvmx_vmx_unmap_memory(struct pvmx_vm *vm)
{
	u64 gfn;
	u32 i;

	for (gfn = 0; gfn < vm->core.mem.nr_frames; gfn++)
		pvmx_ept_unmap(vm, gfn << PAGE_SHIFT);
	for (i = 0; i < vm->arch.nr_m2p_pages; i++)
		pvmx_ept_unmap(vm, PVMX_HV_GPA(PVMX_HV_FRAME_M2P(i)));
	vm->arch.nr_m2p_pages = 0;
	vm->arch.nr_m2p_l1 = 0;
	pvmx_ept_flush_everywhere(vm);
}

/*
 * The M2P's pages, read-only in EPT at hypervisor frames, and the L1s that
 * map them at 0xF5800000: present, read-only, supervisor (the ring-1 kernel
 * reads it, its ring-3 processes do not), not executable.  The core writes
 * vm->core.m2p; the guest sees it.
 */
static int map_m2p(struct pvmx_vm *vm)
{
	u32 pages = DIV_ROUND_UP(vm->core.nr_m2p, PAGE_SIZE / sizeof(u32));
	u32 i;
	int ret;

	if (pages > PVMX_M2P_MAX_L1 * 512)
		return -EINVAL;
	for (i = 0; i < PVMX_M2P_MAX_L1; i++)
		clear_page(page_address(vm->arch.hv_l1_m2p[i]));
	for (i = 0; i < pages; i++) {
		u64 gpa = PVMX_HV_GPA(PVMX_HV_FRAME_M2P(i));
		u64 *l1 = page_address(vm->arch.hv_l1_m2p[i / 512]);
		struct page *pg = vmalloc_to_page((u8 *)vm->core.m2p + i * PAGE_SIZE);

		ret = pvmx_ept_map(vm, gpa, page_to_phys(pg), PVMX_EPT_R);
		if (ret)
			return ret;
		vm->arch.nr_m2p_pages = i + 1;
		l1[i % 512] = gpa | PVMX_PTE_P | PVMX_PTE_A | PVMX_PTE_NX;
	}
	vm->arch.nr_m2p_l1 = DIV_ROUND_UP(pages, 512);
	return 0;
}

int pvmx_vmx_map_memory(struct pvmx_vm *vm)
{
	struct pvmx_gmem *mem = &vm->core.mem;
	u32 i;
	int ret;

	for (i = 0; i < mem->nr_ram_frames; i++) {
		ret = pvmx_ept_map(vm, (u64)i << PAGE_SHIFT, page_to_phys(vm->ram_pages[i]),
				   PVMX_EPT_R | PVMX_EPT_W | PVMX_EPT_X);
		if (ret)
			goto fail;
	}
	ret = pvmx_ept_map(vm, (u64)vm->core.shared_info_gfn << PAGE_SHIFT,
			   page_to_phys(vm->shared_info_page), PVMX_EPT_R | PVMX_EPT_W);
	if (ret)
		goto fail;
	/* Grant frames: ordinary data pages to the guest. */
	for (i = 0; i < PVMX_GNTTAB_MAX_FRAMES; i++) {
		ret = pvmx_ept_map(vm, (u64)(vm->core.gnttab_gfn + i) << PAGE_SHIFT,
				   page_to_phys(vm->gnttab_pages[i]),
				   PVMX_EPT_R | PVMX_EPT_W);
		if (ret)
			goto fail;
	}
	ret = map_m2p(vm);
	if (!ret) {
		pvmx_map_shared_info_ro(vm);
		return 0;
	}
fail:
	pvmx_vmx_unmap_memory(vm);
	return ret;
}

/*
 * XSA-273: the boundary for not-present guest entries (mm.c), as Xen's
 * l1tf_calculations(): the L1D's address width (x86_cache_bits, wider than
 * CPUID's on some models) masks the address; above CPUID's width is safe
 * when the L1D is wider, else the top quarter of physical address space.
 */
static void pvmx_l1tf_init(struct pvmx_vm_core *core)
{
	u8 paddr = boot_cpu_data.x86_phys_bits, l1d = boot_cpu_data.x86_cache_bits;

	core->l1tf_check = boot_cpu_has_bug(X86_BUG_L1TF);
	core->l1tf_addr_mask = (BIT_ULL(l1d) - 1) & PAGE_MASK;
	core->l1tf_safe_maddr = l1d > paddr ? BIT_ULL(paddr) : 3ULL << (paddr - 2);
}

int pvmx_vmx_vm_init(struct pvmx_vm *vm)
{
	struct pvmx_vm_arch *arch = &vm->arch;
	int ret, i;

	arch->ept_pml4 = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	arch->hv_l1 = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	arch->hv_l1_shinfo = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	arch->hv_zero = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	arch->hv_l1_ldt = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	for (i = 0; i < PVMX_M2P_MAX_L1; i++)
		arch->hv_l1_m2p[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!arch->ept_pml4 || !arch->hv_l1 || !arch->hv_l1_shinfo || !arch->hv_zero ||
	    !arch->hv_l1_ldt || !arch->hv_l1_m2p[0] || !arch->hv_l1_m2p[1])
		return -ENOMEM;
	arch->eptp = __pa(arch->ept_pml4) | ((EPT_LEVELS - 1) << 3) | VMX_MEMTYPE_WB;
	vm->core.tsc_aux_msr = pvmx_has_vmx_rdtscp() && (boot_cpu_has(X86_FEATURE_RDTSCP) ||
							 boot_cpu_has(X86_FEATURE_RDPID));
	pvmx_l1tf_init(&vm->core);
	pvmx_spec_vm_init(vm);
	/* The hypervisor's frames are read-only to the guest, in EPT too. */
	ret = pvmx_ept_map(vm, PVMX_HV_GPA(PVMX_HV_FRAME_L1), page_to_phys(arch->hv_l1),
			   PVMX_EPT_R);
	if (!ret)
		ret = pvmx_ept_map(vm, PVMX_HV_GPA(PVMX_HV_FRAME_ZERO),
				   page_to_phys(arch->hv_zero), PVMX_EPT_R);
	if (!ret)
		ret = pvmx_ept_map(vm, PVMX_HV_GPA(PVMX_HV_FRAME_L1_SHINFO),
				   page_to_phys(arch->hv_l1_shinfo), PVMX_EPT_R);
	if (!ret)
		ret = pvmx_ept_map(vm, PVMX_HV_GPA(PVMX_HV_FRAME_L1_LDT),
				   page_to_phys(arch->hv_l1_ldt), PVMX_EPT_R);
	for (i = 0; i < PVMX_M2P_MAX_L1 && !ret; i++)
		ret = pvmx_ept_map(vm, PVMX_HV_GPA(PVMX_HV_FRAME_L1_M2P(i)),
				   page_to_phys(arch->hv_l1_m2p[i]), PVMX_EPT_R);
	return ret;
}

void pvmx_vmx_vm_destroy(struct pvmx_vm *vm)
{
	int i;

	ept_free(vm->arch.ept_pml4, EPT_LEVELS - 1);
	if (vm->arch.hv_l1)
		__free_page(vm->arch.hv_l1);
	if (vm->arch.hv_l1_shinfo)
		__free_page(vm->arch.hv_l1_shinfo);
	if (vm->arch.hv_zero)
		__free_page(vm->arch.hv_zero);
	if (vm->arch.hv_l1_ldt)
		__free_page(vm->arch.hv_l1_ldt);
	for (i = 0; i < PVMX_M2P_MAX_L1; i++)
		if (vm->arch.hv_l1_m2p[i])
			__free_page(vm->arch.hv_l1_m2p[i]);
}
