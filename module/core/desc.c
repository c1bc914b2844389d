// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's GDT and LDT: Xen's check_descriptor for compat guests,
 * set_gdt (2), update_descriptor (10), MMUEXT_SET_LDT, and reading the
 * descriptor a selector names.
 *
 * The CPU uses the guest's own frames as descriptor tables: the back end
 * maps the GDT frames read-only into the vCPU's GDT pages (entries
 * 0..7167, Xen's reserved page after them) and the LDT pages into the
 * vCPU's LDT area.  So every descriptor in such a frame must be safe for
 * the hardware at all times: a frame is checked (and fixed up in place, as
 * Xen does) by the type change that makes it PVMX_PGT_SEG_DESC (mm.c's
 * get_type(), after the TLB flush that ends every writable translation of
 * it, as Xen's _get_page_type() and alloc_segdesc_page()), and while typed
 * it can only change through update_descriptor, which checks again; the
 * type keeps writable mappings away.  Fixed-up descriptors carry the accessed
 * bit, so the CPU never writes to the read-only tables.
 *
 * LDT pages are mapped on first use, as Xen's shadow LDT is: SET_LDT only
 * records base and size, and the #PF the CPU takes in the LDT area maps the
 * page (pvmx_ldt_fault()) or is reflected at the guest's LDT address.
 */
#include "core.h"

#define DESC_A		BIT_ULL(40)	/* accessed (code/data type bit 0) */
#define DESC_TYPE	(0xFULL << 40)
#define DESC_S		BIT_ULL(44)	/* code/data, not system */
#define DESC_DPL_SHIFT	45
#define DESC_DPL	(3ULL << DESC_DPL_SHIFT)
#define DESC_P		BIT_ULL(47)
#define DESC_L		BIT_ULL(53)
#define DESC_G		BIT_ULL(55)
#define DESC_CODE	BIT_ULL(43)	/* type bit 3 */
#define DESC_CONFORMING	BIT_ULL(42)	/* code: type bit 2 */
#define DESC_RW		BIT_ULL(41)	/* code: readable, data: writable */
#define DESC_CALL_GATE	(0xCULL << 40)	/* 32-bit call gate */
#define GUEST_KERNEL_RPL	1
#define PF_PRESENT	1u	/* #PF error code: the page was present */

/* Compat Xen's boot GDT entries the guest sees at 7171..7174 (xen_abi.h). */
static const u64 xen_reserved_descriptors[][2] = {
	{ FLAT_RING1_CS >> 3, XEN_FLAT_RING1_CS_DESC },
	{ FLAT_RING1_DS >> 3, XEN_FLAT_RING1_DS_DESC },
	{ FLAT_RING3_CS >> 3, XEN_FLAT_RING3_CS_DESC },
	{ FLAT_RING3_DS >> 3, XEN_FLAT_RING3_DS_DESC },
};

/* Xen's guest_gate_selector_okay() for a compat guest. */
static bool gate_selector_ok(u16 sel)
{
	return (sel >> 3) < XEN_FIRST_RESERVED_GDT_ENTRY || sel == FLAT_RING1_CS || (sel & 4);
}

bool pvmx_check_descriptor(u64 *d)
{
	u64 desc = *d, base, limit;
	u32 dpl;
	u16 cs;

	/* A not-present descriptor always faults, so it is safe as it is. */
	if (!(desc & DESC_P))
		return true;

	dpl = (desc >> DESC_DPL_SHIFT) & 3;
	if (dpl < GUEST_KERNEL_RPL)
		dpl = GUEST_KERNEL_RPL;
	desc = (desc & ~DESC_DPL) | ((u64)dpl << DESC_DPL_SHIFT);

	if (desc & DESC_S) {
		if (desc & DESC_L)
			return false;
		/*
		 * Old PAE guests limit their segments to 0xF6800000; compat Xen
		 * widens any base-0 segment reaching into the hole to 4 GiB.
		 */
		base = pvmx_desc_base(desc);
		limit = ((desc & 0xFFFF) | ((desc >> 32) & 0xF0000)) + 1ULL;
		if (desc & DESC_G)
			limit <<= 12;
		if (base == 0 && limit > XEN_HYPERVISOR_VIRT_START)
			desc |= 0xFFFFULL | (0xFULL << 48);
		/* Set here so the CPU never writes the read-only table. */
		desc |= DESC_A;
		*d = desc;
		return true;
	}

	/* Type 0 is harmless: it is the second half of a call gate. */
	if (!(desc & DESC_TYPE))
		return true;
	/* Call gates are the only system descriptors a guest may have. */
	if ((desc & DESC_TYPE) != DESC_CALL_GATE)
		return false;
	cs = (desc >> 16) & 0xFFFF;
	if (!gate_selector_ok(cs))
		return false;
	/*
	 * As compat Xen: DPL 0, so every use faults with the gate's selector,
	 * and the guest's DPL kept in the target selector's RPL.
	 */
	desc &= ~DESC_DPL;
	cs = (cs & ~3) | dpl;
	desc = (desc & ~0xFFFF0000ULL) | ((u64)cs << 16);
	/* Reserved bits (the parameter count's top bits) must be zero. */
	if (desc & (0xE0ULL << 32))
		return false;
	*d = desc;
	return true;
}

static u64 *frame_descriptors(struct pvmx_vm_core *vm, u32 mfn)
{
	/* RAM only: shared_info and the hypervisor's pages never hold descriptors. */
	if (mfn >= vm->mem.nr_ram_frames)
		return NULL;
	return pvmx_gfn_to_host(&vm->mem, mfn);
}

int pvmx_validate_desc_frame(struct pvmx_vm_core *vm, u32 mfn)
{
	u64 *descs = frame_descriptors(vm, mfn), d;
	u32 i;

	lockdep_assert_held(&vm->lock);
	if (!descs)
		return -XEN_EINVAL;
	/* As Xen's alloc_segdesc_page: fixed in place, up to the first bad one. */
	for (i = 0; i < PVMX_DESCS_PER_FRAME; i++) {
		d = READ_ONCE(descs[i]);
		if (!pvmx_check_descriptor(&d))
			return -XEN_EINVAL;
		WRITE_ONCE(descs[i], d);
	}
	return 0;
}

static u32 gdt_nr_frames(u32 entries)
{
	return (entries + PVMX_DESCS_PER_FRAME - 1) / PVMX_DESCS_PER_FRAME;
}

/*
 * A SEG_DESC reference on mfn.  As Xen's get_page_type(PGT_seg_desc_page),
 * the frame's descriptors are checked and fixed up by the type change itself
 * (mm.c), after the TLB flush and only when the frame is not typed yet: a
 * frame held already (by this vCPU or another) is never checked again (a
 * second check would move call-gate DPLs the first one stored), and a
 * refused frame (another type, a bad descriptor) is left as it was.
 */
static int get_desc_frame(struct pvmx_vcpu_core *v, u32 mfn)
{
	if (!frame_descriptors(v->vm, mfn))
		return -XEN_EINVAL;
	return pvmx_get_page_type(v->vm, mfn, PVMX_PGT_SEG_DESC) ? -XEN_EINVAL : 0;
}

/* Xen's pv_destroy_ldt: drop the LDT pages mapped so far. */
static bool destroy_ldt_mappings(struct pvmx_vcpu_core *v)
{
	struct pvmx_desc_tables *t = &v->desc;
	bool had = t->ldt_mapped;
	u32 i;

	for (i = 0; i < PVMX_LDT_FRAMES; i++)
		if (t->ldt_mapped & (1u << i))
			pvmx_put_page_type(v->vm, t->ldt_frames[i]);
	t->ldt_mapped = 0;
	return had;
}

long pvmx_set_gdt(struct pvmx_vcpu_core *v, const u32 *frames, u32 entries)
{
	struct pvmx_desc_tables *t = &v->desc;
	u32 i, nr = gdt_nr_frames(entries), old_nr = gdt_nr_frames(t->gdt_ents);

	lockdep_assert_held(&v->vm->lock);
	if (entries > XEN_FIRST_RESERVED_GDT_ENTRY)
		return -XEN_EINVAL;
	for (i = 0; i < nr; i++)
		if (get_desc_frame(v, frames[i]))
			goto fail;
	/* The new references are taken: drop the old ones, install the new. */
	for (i = 0; i < old_nr; i++)
		pvmx_put_page_type(v->vm, t->gdt_frames[i]);
	memset(t->gdt_frames, 0, sizeof(t->gdt_frames));
	memcpy(t->gdt_frames, frames, nr * sizeof(*frames));
	t->gdt_ents = entries;
	pvmx_arch_desc_changed(v);
	return 0;
fail:
	while (i-- > 0)
		pvmx_put_page_type(v->vm, frames[i]);
	return -XEN_EINVAL;
}

/* set_gdt(frame_list, entries): compat_set_gdt, frames are 32-bit MFNs. */
long do_set_gdt(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 frames[PVMX_GDT_GUEST_FRAMES], entries = hc->arg[1];

	lockdep_assert_held(&v->vm->lock);
	if (entries > XEN_FIRST_RESERVED_GDT_ENTRY)
		return -XEN_EINVAL;
	if (pvmx_copy_from_guest(v, frames, hc->arg[0], gdt_nr_frames(entries) * 4))
		return -XEN_EFAULT;
	return pvmx_set_gdt(v, frames, entries);
}

/*
 * update_descriptor(pa_lo, pa_hi, desc_lo, desc_hi): one 8-byte slot of a
 * descriptor page, or of any page that may be writable (Xen takes a
 * writable type ref for the write, so page tables are refused).
 */
long do_update_descriptor(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u64 pa = hc->arg[0] | ((u64)hc->arg[1] << 32);
	u64 d = hc->arg[2] | ((u64)hc->arg[3] << 32);
	u64 *descs;
	u32 mfn;

	lockdep_assert_held(&v->vm->lock);
	if ((pa & 7) || !pvmx_check_descriptor(&d))
		return -XEN_EINVAL;
	if ((pa >> PVMX_PAGE_SHIFT) >= v->vm->mem.nr_ram_frames)
		return -XEN_EINVAL;
	mfn = pa >> PVMX_PAGE_SHIFT;
	descs = frame_descriptors(v->vm, mfn);
	if (!descs)
		return -XEN_EINVAL;
	if (pvmx_get_page_type(v->vm, mfn, PVMX_PGT_WRITABLE) &&
	    pvmx_get_page_type(v->vm, mfn, PVMX_PGT_SEG_DESC))
		return -XEN_EINVAL;
	WRITE_ONCE(descs[(pa & PVMX_PAGE_OFFSET_MASK) / 8], d);
	pvmx_put_page_type(v->vm, mfn);
	pvmx_int80_desc_written(v, mfn, (pa & PVMX_PAGE_OFFSET_MASK) / 8);
	return 0;
}

/* MMUEXT_SET_LDT (the mm helper's mmuext_op calls it). */
long pvmx_set_ldt(struct pvmx_vcpu_core *v, u32 va, u32 entries)
{
	struct pvmx_desc_tables *t = &v->desc;
	u32 base = entries ? va : 0;

	lockdep_assert_held(&v->vm->lock);
	if ((base & PVMX_PAGE_OFFSET_MASK) || entries > PVMX_LDT_MAX_ENTRIES)
		return -XEN_EINVAL;
	if (t->ldt_ents == entries && t->ldt_base == base)
		return 0;
	destroy_ldt_mappings(v);
	t->ldt_base = base;
	t->ldt_ents = entries;
	pvmx_arch_desc_changed(v);
	return 0;
}

/* Xen's pv_map_ldt_shadow_page: the LDT page at this byte offset, on first use. */
static int map_ldt_page(struct pvmx_vcpu_core *v, u32 offset)
{
	struct pvmx_desc_tables *t = &v->desc;
	u32 page = offset >> PVMX_PAGE_SHIFT;
	u64 gpa;

	if (offset / 8 >= t->ldt_ents)
		return -XEN_EINVAL;
	if (t->ldt_mapped & (1u << page))
		return 0;
	if (pvmx_gva_to_gpa(v, (u32)(t->ldt_base + (page << PVMX_PAGE_SHIFT)), false, &gpa) ||
	    (gpa >> PVMX_PAGE_SHIFT) > 0xFFFFFFFFULL ||
	    get_desc_frame(v, gpa >> PVMX_PAGE_SHIFT))
		return -XEN_EFAULT;
	t->ldt_frames[page] = gpa >> PVMX_PAGE_SHIFT;
	t->ldt_mapped |= 1u << page;
	pvmx_arch_desc_changed(v);
	return 0;
}

/* Mapping an LDT page takes a page-type reference: VM-wide state. */
static enum pvmx_action ldt_fault(struct pvmx_vcpu_core *v, u32 offset, u32 error)
{
	struct pvmx_desc_tables *t = &v->desc;

	lockdep_assert_held(&v->vm->lock);
	/*
	 * Past the LDT, or a protection fault on a page already mapped (the
	 * CPU writing an accessed bit the guest cleared behind the page type's
	 * back): not a missing mapping, so the #PF at the address it hit.
	 */
	if (offset / 8 >= t->ldt_ents || (error & PF_PRESENT))
		return pvmx_deliver_exception_locked(v, PVMX_TRAP_PF, true, error);
	if (!map_ldt_page(v, offset))
		return PVMX_RESUME;	/* the CPU retries the access */
	/* As Xen: the #PF, at the guest's own LDT address. */
	WRITE_ONCE(pvmx_vcpu_info(v)->cr2, (u32)(t->ldt_base + offset));
	return pvmx_deliver_exception_locked(v, PVMX_TRAP_PF, true, error);
}

enum pvmx_action pvmx_ldt_fault(struct pvmx_vcpu_core *v, u32 offset, u32 error)
{
	return pvmx_locked_call(v, ldt_fault(v, offset, error));
}

void pvmx_desc_release(struct pvmx_vcpu_core *v)
{
	struct pvmx_desc_tables *t = &v->desc;
	u32 i;

	lockdep_assert_held(&v->vm->lock);
	for (i = 0; i < gdt_nr_frames(t->gdt_ents); i++)
		pvmx_put_page_type(v->vm, t->gdt_frames[i]);
	destroy_ldt_mappings(v);
	memset(t, 0, sizeof(*t));
}

/*
 * A descriptor read from a guest frame, as the CPU would take it: a
 * code/data descriptor goes through the check on a copy (the identity for
 * one in a validated frame), so a read racing with the frame's type change
 * never yields more than a checked descriptor would; one the check refuses
 * reads as not present.  System descriptors (call gates) are returned as
 * stored: no caller loads them.
 */
static u64 read_guest_descriptor(const u64 *descs, u32 slot)
{
	u64 d = READ_ONCE(descs[slot]);

	if (!(d & DESC_S))
		return d;
	return pvmx_check_descriptor(&d) ? d : 0;
}

/*
 * The frame an LDT page not mapped yet would come from, if mapping it would
 * succeed (map_ldt_page): the guest maps it, it is not held with another
 * type, and every descriptor in it passes the check.  Nothing is taken.
 */
static u64 *unmapped_ldt_frame(struct pvmx_vcpu_core *v, u32 base, u32 page)
{
	struct pvmx_vm_core *vm = v->vm;
	const struct pvmx_frame *f;
	u64 gpa, *descs, d;
	u32 mfn, i;

	if (pvmx_gva_to_gpa(v, (u32)(base + (page << PVMX_PAGE_SHIFT)), false, &gpa) ||
	    (gpa >> PVMX_PAGE_SHIFT) > 0xFFFFFFFFULL)
		return NULL;
	mfn = gpa >> PVMX_PAGE_SHIFT;
	descs = frame_descriptors(vm, mfn);
	if (!descs)
		return NULL;
	f = &vm->frame_table[mfn];
	if (READ_ONCE(f->type_count) && READ_ONCE(f->type) != PVMX_PGT_SEG_DESC)
		return NULL;
	for (i = 0; i < PVMX_DESCS_PER_FRAME; i++) {
		d = READ_ONCE(descs[i]);
		if (!pvmx_check_descriptor(&d))
			return NULL;
	}
	return descs;
}

/*
 * Side-effect free (it takes no page-type reference and maps no LDT page),
 * so callable with or without the VM lock: by the vCPU's own thread, or by
 * any thread under the VM lock.  An LDT page not mapped yet is read where
 * mapping it would read it; the CPU maps it (pvmx_ldt_fault()) on its own
 * first access.
 */
int pvmx_read_descriptor(struct pvmx_vcpu_core *v, u16 sel, u64 *desc)
{
	struct pvmx_desc_tables *t = &v->desc;
	u32 index = sel >> 3, frame, i, page;
	u64 *descs;

	*desc = 0;
	if (sel & 4) {
		u32 base = READ_ONCE(t->ldt_base);

		if (index >= READ_ONCE(t->ldt_ents))
			return -XEN_EINVAL;
		page = index / PVMX_DESCS_PER_FRAME;
		if (READ_ONCE(t->ldt_mapped) & (1u << page))
			descs = frame_descriptors(v->vm, READ_ONCE(t->ldt_frames[page]));
		else
			descs = unmapped_ldt_frame(v, base, page);
		if (!descs)
			return -XEN_EINVAL;
		*desc = read_guest_descriptor(descs, index % PVMX_DESCS_PER_FRAME);
		return 0;
	}
	if (index >= PVMX_GDT_ENTRIES)
		return -XEN_EINVAL;	/* past the GDT limit */
	if (index >= XEN_FIRST_RESERVED_GDT_ENTRY) {
		/* Xen's page: the flat selectors; the rest are not the guest's. */
		for (i = 0; i < ARRAY_SIZE(xen_reserved_descriptors); i++)
			if (xen_reserved_descriptors[i][0] == index)
				*desc = xen_reserved_descriptors[i][1];
		return 0;
	}
	frame = index / PVMX_DESCS_PER_FRAME;
	if (frame >= gdt_nr_frames(READ_ONCE(t->gdt_ents)))
		return 0;	/* a page of zeroes, as Xen maps there */
	descs = frame_descriptors(v->vm, READ_ONCE(t->gdt_frames[frame]));
	if (!descs)
		return -XEN_EINVAL;
	*desc = read_guest_descriptor(descs, index % PVMX_DESCS_PER_FRAME);
	return 0;
}

bool pvmx_selector_usable(struct pvmx_vcpu_core *v, u16 sel, enum pvmx_seg_use use)
{
	u32 rpl = sel & 3, dpl;
	u64 d;

	if (!(sel & ~3))
		return use == PVMX_SEG_USER_DATA;
	if (pvmx_read_descriptor(v, sel, &d) || !(d & DESC_P) || !(d & DESC_S))
		return false;
	dpl = (d >> DESC_DPL_SHIFT) & 3;
	switch (use) {
	case PVMX_SEG_CODE:		/* CPL becomes RPL */
		if (!(d & DESC_CODE))
			return false;
		return (d & DESC_CONFORMING) ? dpl <= rpl : dpl == rpl;
	case PVMX_SEG_STACK:		/* writable data: DPL == CPL == RPL */
		return !(d & DESC_CODE) && (d & DESC_RW) && dpl == rpl;
	case PVMX_SEG_USER_DATA:	/* what an iret to ring 3 leaves loaded */
		if ((d & DESC_CODE) && !(d & DESC_RW))
			return false;
		return dpl == 3 || ((d & DESC_CODE) && (d & DESC_CONFORMING));
	}
	return false;
}
