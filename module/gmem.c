// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory access: the only way the hypervisor reads or writes what a
 * guest points at.  A guest linear address is translated by walking the
 * guest's own PAE tables in software, exactly as a ring-1 data access would
 * go (present bits, RW for writes with CR0.WP=1, 2 MiB pages), and every
 * frame is looked up in the VM's frame table, so nothing outside the guest's
 * frames is ever touched.  Addresses in the hypervisor hole are refused
 * before any walk, as Xen's compat_access_ok() does.
 */
#include "core.h"

void *pvmx_gfn_to_host(const struct pvmx_gmem *mem, u64 gfn)
{
	if (gfn >= mem->nr_frames)
		return NULL;
	return mem->frames[gfn];
}

/* Reads [gpa, gpa+len) frame by frame; -XEN_EFAULT if any frame is absent. */
int pvmx_gpa_read(const struct pvmx_gmem *mem, u64 gpa, void *dst, u32 len)
{
	u8 *p = dst;

	while (len) {
		u32 off = gpa & PVMX_PAGE_OFFSET_MASK;
		u32 chunk = min_t(u32, len, PVMX_PAGE_BYTES - off);
		u8 *host = pvmx_gfn_to_host(mem, gpa >> PVMX_PAGE_SHIFT);

		if (!host)
			return -XEN_EFAULT;
		memcpy(p, host + off, chunk);
		p += chunk;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

/* One aligned 8-byte page-table entry, read once. */
static int read_pte(const struct pvmx_gmem *mem, u64 gpa, u64 *pte)
{
	u64 *host = pvmx_gfn_to_host(mem, gpa >> PVMX_PAGE_SHIFT);

	if (!host)
		return -XEN_EFAULT;
	*pte = READ_ONCE(host[(gpa & PVMX_PAGE_OFFSET_MASK) / 8]);
	return 0;
}

/* Entry bits 52..62 are reserved in PAE (NX is bit 63). */
#define PTE_RESERVED_HIGH	0x7FF0000000000000ULL

/* Walks to the L2 entry for gva.  Returns 0 with *l2e, or -XEN_EFAULT. */
static int walk_l2(const struct pvmx_vcpu_core *v, u32 gva, u64 *l2e_gpa, u64 *l2e)
{
	u64 pdpte = v->cpu.pdpte[gva >> 30];

	if (!(pdpte & PVMX_PTE_P))
		return -XEN_EFAULT;
	*l2e_gpa = (pdpte & PVMX_PTE_ADDR) + ((gva >> 21) & 511) * 8;
	if (read_pte(&v->vm->mem, *l2e_gpa, l2e))
		return -XEN_EFAULT;
	if (!(*l2e & PVMX_PTE_P) || (*l2e & PTE_RESERVED_HIGH))
		return -XEN_EFAULT;
	return 0;
}

int pvmx_gva_to_gpa(const struct pvmx_vcpu_core *v, u32 gva, bool write, u64 *gpa)
{
	u64 l2e_gpa, l2e, l1e;

	if (gva >= XEN_HYPERVISOR_VIRT_START)
		return -XEN_EFAULT;
	if (walk_l2(v, gva, &l2e_gpa, &l2e))
		return -XEN_EFAULT;
	if (write && !(l2e & PVMX_PTE_RW))
		return -XEN_EFAULT;
	if (l2e & PVMX_PTE_PS) {
		*gpa = (l2e & PVMX_PTE_ADDR & ~0x1FFFFFULL) + (gva & 0x1FFFFF);
		return 0;
	}
	if (read_pte(&v->vm->mem, (l2e & PVMX_PTE_ADDR) + ((gva >> 12) & 511) * 8, &l1e))
		return -XEN_EFAULT;
	if (!(l1e & PVMX_PTE_P) || (l1e & PTE_RESERVED_HIGH))
		return -XEN_EFAULT;
	if (write && !(l1e & PVMX_PTE_RW))
		return -XEN_EFAULT;
	*gpa = (l1e & PVMX_PTE_ADDR) + (gva & PVMX_PAGE_OFFSET_MASK);
	return 0;
}

int pvmx_l1e_gpa(const struct pvmx_vcpu_core *v, u32 gva, u64 *gpa)
{
	u64 l2e_gpa, l2e;

	if (gva >= XEN_HYPERVISOR_VIRT_START)
		return -XEN_EINVAL;
	if (walk_l2(v, gva, &l2e_gpa, &l2e) || (l2e & PVMX_PTE_PS))
		return -XEN_EINVAL;
	*gpa = (l2e & PVMX_PTE_ADDR) + ((gva >> 12) & 511) * 8;
	if (!pvmx_gfn_to_host(&v->vm->mem, *gpa >> PVMX_PAGE_SHIFT))
		return -XEN_EINVAL;
	return 0;
}

/* One page's translation as ring 3 would use it: U/S (and R/W) at both levels. */
static int user_page_ok(const struct pvmx_vcpu_core *v, u32 gva, bool write)
{
	u64 l2e_gpa, l2e, l1e;

	if (gva >= XEN_HYPERVISOR_VIRT_START || walk_l2(v, gva, &l2e_gpa, &l2e))
		return -XEN_EFAULT;
	if (!(l2e & PVMX_PTE_US) || (write && !(l2e & PVMX_PTE_RW)))
		return -XEN_EFAULT;
	if (l2e & PVMX_PTE_PS)
		return 0;
	if (read_pte(&v->vm->mem, (l2e & PVMX_PTE_ADDR) + ((gva >> 12) & 511) * 8, &l1e))
		return -XEN_EFAULT;
	if (!(l1e & PVMX_PTE_P) || !(l1e & PVMX_PTE_US) || (write && !(l1e & PVMX_PTE_RW)))
		return -XEN_EFAULT;
	return 0;
}

int pvmx_check_user_access(const struct pvmx_vcpu_core *v, u32 gva, u32 len, bool write)
{
	u64 end = (u64)gva + len;
	u64 page;

	if (!len)
		return 0;
	for (page = gva & ~(u64)PVMX_PAGE_OFFSET_MASK; page < end; page += PVMX_PAGE_BYTES)
		if (page > 0xFFFFFFFFull || user_page_ok(v, (u32)page, write))
			return -XEN_EFAULT;
	return 0;
}

/* Copies page by page through the guest's translation; buf NULL clears. */
static int guest_access(const struct pvmx_vcpu_core *v, u32 gva, void *buf,
			u32 len, bool write)
{
	u8 *p = buf;

	/* A guest write's walk must not race a page-type change (design.rst). */
	if (write)
		lockdep_assert_held(&v->vm->lock);
	if (len && (u64)gva + len > XEN_HYPERVISOR_VIRT_START)
		return -XEN_EFAULT;
	while (len) {
		u32 chunk = min_t(u32, len, PVMX_PAGE_BYTES - (gva & PVMX_PAGE_OFFSET_MASK));
		u64 gpa;
		u8 *host;

		if (pvmx_gva_to_gpa(v, gva, write, &gpa))
			return -XEN_EFAULT;
		host = pvmx_gfn_to_host(&v->vm->mem, gpa >> PVMX_PAGE_SHIFT);
		if (!host)
			return -XEN_EFAULT;
		host += gpa & PVMX_PAGE_OFFSET_MASK;
		if (!write)
			memcpy(p, host, chunk);
		else if (p)
			memcpy(host, p, chunk);
		else
			memset(host, 0, chunk);
		if (p)
			p += chunk;
		gva += chunk;
		len -= chunk;
	}
	return 0;
}

int pvmx_copy_from_guest(const struct pvmx_vcpu_core *v, void *dst, u32 gva, u32 len)
{
	return guest_access(v, gva, dst, len, false);
}

int pvmx_copy_to_guest(const struct pvmx_vcpu_core *v, u32 gva, const void *src, u32 len)
{
	return guest_access(v, gva, (void *)src, len, true);
}

int pvmx_clear_guest(const struct pvmx_vcpu_core *v, u32 gva, u32 len)
{
	return guest_access(v, gva, NULL, len, true);
}
