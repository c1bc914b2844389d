// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory access: the only way the hypervisor reads or writes what a
 * guest points at.  A guest linear address is translated by walking the
 * guest's own PAE tables in software, exactly as a ring-1 data access would
 * go (present bits, RW for writes with CR0.WP=1, 2 MiB pages), and every
 * frame is looked up in the VM's frame table, so nothing outside the guest's
 * frames is ever touched.  Addresses in the hypervisor hole are refused
 * before any walk, as Xen's compat_access_ok() does.  A per-vCPU cache of
 * translations that checks, on every hit, that the entries its walk read
 * still hold the same values (Documentation/design.rst, "Guest-memory
 * access").
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

/* Walks to the L2 entry for gva.  Returns 0 with *l2e, or -XEN_EFAULT. */
static int walk_l2(const struct pvmx_vcpu_core *v, u32 gva, u64 *l2e_gpa, u64 *l2e)
{
	u64 pdpte = v->cpu.pdpte[gva >> 30];

	if (!(pdpte & PVMX_PTE_P))
		return -XEN_EFAULT;
	*l2e_gpa = (pdpte & PVMX_PTE_ADDR) + ((gva >> 21) & 511) * 8;
	if (read_pte(&v->vm->mem, *l2e_gpa, l2e))
		return -XEN_EFAULT;
	if (!(*l2e & PVMX_PTE_P) || (*l2e & PVMX_PTE_RESERVED_HIGH))
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
	if (!(l1e & PVMX_PTE_P) || (l1e & PVMX_PTE_RESERVED_HIGH))
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

/* ---- the translation cache (struct pvmx_xlate in core.h) ------------------ */

/* Bits the walk's result does not depend on: the CPU sets them behind our back. */
#define XLATE_IGNORED	(PVMX_PTE_A | PVMX_PTE_D)

/* Slot i of the table in frame gfn, or NULL when the VM has no such frame. */
static const u64 *table_slot(const struct pvmx_gmem *mem, u64 gfn, u32 i)
{
	const u64 *t = pvmx_gfn_to_host(mem, gfn);

	return t ? t + i : NULL;
}

/*
 * The walk of pvmx_gva_to_gpa() keeping what it read: the host page of gva
 * or NULL (not mapped, not writable for a write, no such frame).  Fills *e
 * when e is given; its tag only when every frame on the way is RAM, whose
 * host addresses never change (anything else is not cached).
 */
static u8 *xlate_walk(const struct pvmx_vcpu_core *v, u32 gva, bool write,
		      struct pvmx_xlate_entry *e)
{
	const struct pvmx_gmem *mem = &v->vm->mem;
	u64 pdpte = READ_ONCE(v->cpu.pdpte[gva >> 30]), l2e, l1e = 0, gfn;
	const u64 *l2p, *l1p = NULL;
	bool rw, ram;
	u8 *host;

	if (gva >= XEN_HYPERVISOR_VIRT_START || !(pdpte & PVMX_PTE_P))
		return NULL;
	l2p = table_slot(mem, (pdpte & PVMX_PTE_ADDR) >> PVMX_PAGE_SHIFT, (gva >> 21) & 511);
	if (!l2p)
		return NULL;
	l2e = READ_ONCE(*l2p);
	if (!(l2e & PVMX_PTE_P) || (l2e & PVMX_PTE_RESERVED_HIGH))
		return NULL;
	rw = l2e & PVMX_PTE_RW;
	ram = (pdpte & PVMX_PTE_ADDR) >> PVMX_PAGE_SHIFT < mem->nr_ram_frames;
	if (l2e & PVMX_PTE_PS) {
		gfn = ((l2e & PVMX_PTE_ADDR & ~0x1FFFFFULL) >> PVMX_PAGE_SHIFT) +
		      ((gva >> 12) & 511);
	} else {
		ram = ram && (l2e & PVMX_PTE_ADDR) >> PVMX_PAGE_SHIFT < mem->nr_ram_frames;
		l1p = table_slot(mem, (l2e & PVMX_PTE_ADDR) >> PVMX_PAGE_SHIFT, (gva >> 12) & 511);
		if (!l1p)
			return NULL;
		l1e = READ_ONCE(*l1p);
		if (!(l1e & PVMX_PTE_P) || (l1e & PVMX_PTE_RESERVED_HIGH))
			return NULL;
		rw = rw && (l1e & PVMX_PTE_RW);
		gfn = (l1e & PVMX_PTE_ADDR) >> PVMX_PAGE_SHIFT;
	}
	if (write && !rw)
		return NULL;
	host = pvmx_gfn_to_host(mem, gfn);
	if (!host)
		return NULL;
	if (!e)
		return host;
	e->tag = ram && gfn < mem->nr_ram_frames ? (gva >> PVMX_PAGE_SHIFT) + 1 : 0;
	e->where[0] = gfn;
	e->where[1] = l1p ? (l2e & PVMX_PTE_ADDR) + ((gva >> 12) & 511) * 8 : ~0ULL;
	e->where[2] = (pdpte & PVMX_PTE_ADDR) + ((gva >> 21) & 511) * 8;
	e->writable = rw;
	e->host = host;
	e->l2e = l2p;
	e->l1e = l1p;
	e->pdpte = pdpte;
	e->l2e_val = l2e & ~XLATE_IGNORED;
	e->l1e_val = l1e & ~XLATE_IGNORED;
	return host;
}

/*
 * gva's host page through the cache: a hit is an entry for this page whose
 * PDPTE, L2 and L1 entries still hold the values the walk read (so a walk
 * now would take the same frames and find the same rights), else a walk.
 */
static inline struct pvmx_xlate_entry *xlate_slot(struct pvmx_xlate *x, u32 gva)
{
	return &x->e[(gva >> PVMX_PAGE_SHIFT) % PVMX_XLATE_ENTRIES];
}

static u8 *xlate_miss(struct pvmx_xlate *x, const struct pvmx_vcpu_core *v, u32 gva,
		      bool write, struct pvmx_xlate_entry *e)
{
	e->tag = 0;
	x->fills++;
	return xlate_walk(v, gva, write, e);
}

static inline u8 *xlate(struct pvmx_xlate *x, const struct pvmx_vcpu_core *v, u32 gva,
			bool write)
{
	struct pvmx_xlate_entry *e = xlate_slot(x, gva);

	if (likely(e->tag == (gva >> PVMX_PAGE_SHIFT) + 1 && (e->writable || !write) &&
		   READ_ONCE(v->cpu.pdpte[gva >> 30]) == e->pdpte &&
		   (READ_ONCE(*e->l2e) & ~XLATE_IGNORED) == e->l2e_val &&
		   (!e->l1e || (READ_ONCE(*e->l1e) & ~XLATE_IGNORED) == e->l1e_val)))
		return e->host;
	return xlate_miss(x, v, gva, write, e);
}

/*
 * Copies page by page through the guest's translation; buf NULL clears.
 * The cache is the vCPU's; when another thread is using it (a vCPU writing
 * another one's time area under the VM lock while that one fetches an
 * instruction), this access walks without it.  The cache only holds what
 * the copy path would compute anyway, so v stays logically const.
 */
static int guest_access(const struct pvmx_vcpu_core *v, u32 gva, void *buf,
			u32 len, bool write)
{
	struct pvmx_xlate *x = (struct pvmx_xlate *)&v->xlate;
	bool mine;
	int rc = 0;
	u8 *p = buf;

	if (!len)
		return 0;
	/* A guest write's walk must not race a page-type change (design.rst). */
	if (write)
		lockdep_assert_held(&v->vm->lock);
	if ((u64)gva + len > XEN_HYPERVISOR_VIRT_START)
		return -XEN_EFAULT;
	mine = !__atomic_exchange_n(&x->busy, 1, __ATOMIC_ACQUIRE);
	while (len) {
		u32 chunk = min_t(u32, len, PVMX_PAGE_BYTES - (gva & PVMX_PAGE_OFFSET_MASK));
		u8 *host = mine ? xlate(x, v, gva, write) : xlate_walk(v, gva, write, NULL);

		if (!host) {
			rc = -XEN_EFAULT;
			break;
		}
		host += gva & PVMX_PAGE_OFFSET_MASK;
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
	if (mine)
		__atomic_store_n(&x->busy, 0, __ATOMIC_RELEASE);
	return rc;
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

/*
 * pvmx_copy_from_guest() of [gva, gva+len) inside one page, also saying
 * what the read went through: where[0] the page's frame, [1] the guest
 * physical address of the L1 entry that maps it (~0 for a 2 MiB page), [2]
 * that of the L2 entry.  While neither entry nor the page is written and
 * the vCPU's PDPTEs stay, another read would find the same bytes.
 */
int pvmx_copy_from_guest_page(const struct pvmx_vcpu_core *v, void *dst, u32 gva, u32 len,
			      u64 where[3])
{
	struct pvmx_xlate *x = (struct pvmx_xlate *)&v->xlate;
	struct pvmx_xlate_entry walked, *e = &walked;
	bool mine;
	u8 *host;

	if (!len || (gva & PVMX_PAGE_OFFSET_MASK) + len > PVMX_PAGE_BYTES)
		return -XEN_EINVAL;
	if (gva >= XEN_HYPERVISOR_VIRT_START)
		return -XEN_EFAULT;
	mine = !__atomic_exchange_n(&x->busy, 1, __ATOMIC_ACQUIRE);
	if (mine) {
		/* A hit or a fresh walk: either way the slot describes this page. */
		host = xlate(x, v, gva, false);
		e = xlate_slot(x, gva);
	} else {
		host = xlate_walk(v, gva, false, &walked);
	}
	if (host) {
		memcpy(dst, host + (gva & PVMX_PAGE_OFFSET_MASK), len);
		memcpy(where, e->where, sizeof(e->where));
	}
	if (mine)
		__atomic_store_n(&x->busy, 0, __ATOMIC_RELEASE);
	return host ? 0 : -XEN_EFAULT;
}
