// SPDX-License-Identifier: GPL-2.0
/*
 * memory_op (12) and grant_table_op (20), as Xen answers a 32-bit PV domU
 * (the compat paths: xen/common/compat/memory.c, compat/grant_table.c and
 * xen/arch/x86/x86_64/compat/mm.c over the native handlers in
 * xen/common/memory.c and grant_table.c).
 *
 * pvmx guests see one domain, themselves: any domid other than DOMID_SELF or
 * their own is a domain that does not exist (-ESRCH, GNTST_bad_domain).
 * Machine frames are the VM's guest-physical frames: RAM, then shared_info,
 * then PVMX_GNTTAB_MAX_FRAMES grant frames (Xen's default max_grant_frames,
 * of which the table starts with one and grows by setup_table).
 */
#include "core.h"

#define GNTTAB_SETUP_ENTRY	sizeof(struct gnttab_setup_table)
#define GNTTAB_STATUS_ENTRY	sizeof(struct gnttab_get_status_frames)

static bool is_self(const struct pvmx_vm_core *vm, u32 dom)
{
	return dom == DOMID_SELF || dom == vm->domid;
}

/*
 * compat_array_access_ok(): count elements of size bytes at addr lie below
 * the hypervisor hole (and count * size does not wrap).
 */
static bool compat_array_ok(u32 addr, u32 count, u32 size)
{
	u64 bytes;

	if (count >= 0xFFFFFFFFu / size)
		return false;
	bytes = (u64)count * size;
	return (u64)addr + (bytes ? bytes - 1 : 0) < XEN_HYPERVISOR_VIRT_START;
}

/* ---- memory_op ----------------------------------------------------------- */

/* current_reservation, maximum_reservation, maximum_gpfn: a domid_t in. */
static long memory_op_domain(struct pvmx_vcpu_core *v, u32 op, u32 arg)
{
	struct pvmx_vm_core *vm = v->vm;
	u16 domid;
	u32 max_pfn;

	if (pvmx_copy_from_guest(v, &domid, arg, sizeof(domid)))
		return -XEN_EFAULT;
	if (!is_self(vm, domid))
		return -XEN_ESRCH;
	switch (op) {
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
		/* No ballooning: the VM has its RAM and may not grow. */
		return vm->mem.nr_ram_frames;
	default:
		/* PV: from the max_pfn the guest keeps in shared_info. */
		max_pfn = READ_ONCE(vm->shared_info->max_pfn);
		return (max_pfn ? max_pfn : 1) - 1;
	}
}

static long memory_op_machphys_mapping(struct pvmx_vcpu_core *v, u32 arg)
{
	/* Compat Xen: the window up to MACH2PHYS_COMPAT_VIRT_END, u32 entries. */
	struct xen_machphys_mapping map = {
		.v_start = XEN_MACH2PHYS_VIRT_START,
		.v_end = XEN_MACH2PHYS_VIRT_END,
		.max_mfn = (XEN_MACH2PHYS_VIRT_END - XEN_MACH2PHYS_VIRT_START) / 4 - 1,
	};

	if (pvmx_copy_to_guest(v, arg, &map, sizeof(map)))
		return -XEN_EFAULT;
	return 0;
}

/*
 * XENMEM_machphys_mfn_list / machphys_compat_mfn_list, compat Xen's loop
 * (xen/arch/x86/x86_64/compat/mm.c): the machine frame of each 2 MiB of
 * the M2P the guest sees (its first page), up to max_extents; nr_extents
 * says how many were written.
 */
static long memory_op_machphys_mfn_list(struct pvmx_vcpu_core *v, u32 arg)
{
	struct pvmx_vm_core *vm = v->vm;
	struct xen_machphys_mfn_list l;
	u32 i, mfn, pages = vm->nr_m2p / 1024 + !!(vm->nr_m2p % 1024);

	if (pvmx_copy_from_guest(v, &l, arg, sizeof(l)))
		return -XEN_EFAULT;
	for (i = 0; i != l.max_extents && i * 512 < pages; i++) {
		mfn = pvmx_arch_m2p_mfn(vm, i * 512);
		if (pvmx_copy_to_guest(v, l.extent_start + i * 4, &mfn, sizeof(mfn)))
			return -XEN_EFAULT;
	}
	l.nr_extents = i;
	if (pvmx_copy_to_guest(v, arg, &l, sizeof(l)))
		return -XEN_EFAULT;
	return 0;
}

long do_memory_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 cmd = hc->arg[0], arg = hc->arg[1];
	u32 op = cmd & XENMEM_CMD_MASK;
	bool extent = cmd >> XENMEM_EXTENT_SHIFT;
	struct xen_memory_map map;

	lockdep_assert_held(&v->vm->lock);
	switch (op) {
	case XENMEM_maximum_ram_page:
		if (extent)
			return -XEN_EINVAL;
		return v->vm->mem.nr_frames;	/* max_page: one past the last MFN */
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
	case XENMEM_maximum_gpfn:
		if (extent)
			return -XEN_EINVAL;
		return memory_op_domain(v, op, arg);
	}
	/* The arch ops switch on the whole cmd: extent bits make them unknown. */
	switch (cmd) {
	case XENMEM_machphys_mapping:
		return memory_op_machphys_mapping(v, arg);
	case XENMEM_machphys_mfn_list:
	case XENMEM_machphys_compat_mfn_list:
		return memory_op_machphys_mfn_list(v, arg);
	case XENMEM_memory_map:
		/*
		 * A PV domU has no memory map unless the toolstack set one
		 * (libxl: only with e820_host): Linux then makes one RAM
		 * entry of its own.
		 */
		if (pvmx_copy_from_guest(v, &map, arg, sizeof(map)))
			return -XEN_EFAULT;
		return -XEN_ENOSYS;
	default:
		/* Reservations, physmap, exchange: not provided. */
		return -XEN_ENOSYS;
	}
}

/* ---- grant_table_op ------------------------------------------------------ */

static long gnttab_setup_table(struct pvmx_vcpu_core *v, u32 uop, u32 count)
{
	struct pvmx_vm_core *vm = v->vm;
	struct gnttab_setup_table op;
	u32 i, mfn;

	if (!count)
		return 0;		/* the compat loop runs no iteration */
	if (count > 1)
		return -XEN_EINVAL;
	if (pvmx_copy_from_guest(v, &op, uop, sizeof(op)))
		return -XEN_EFAULT;
	if (!compat_array_ok(op.frame_list, op.nr_frames, sizeof(u32)))
		return -XEN_EFAULT;
	if (!is_self(vm, op.dom)) {
		op.status = GNTST_bad_domain;
	} else if (op.nr_frames > PVMX_GNTTAB_MAX_FRAMES) {
		op.status = GNTST_general_error;
	} else {
		/*
		 * gnttab_grow_table: frames past the table do not exist on Xen,
		 * so they reach the frame table (and become mappable) only now.
		 * vm.c allocated each of them (a page each) with the VM; frames
		 * already there, and the entries in them, stay as they are.
		 */
		for (i = vm->nr_gnttab_frames; i < op.nr_frames; i++)
			WRITE_ONCE(vm->mem.frames[vm->gnttab_gfn + i], vm->gnttab_va[i]);
		if (op.nr_frames > vm->nr_gnttab_frames)
			vm->nr_gnttab_frames = op.nr_frames;
		op.status = GNTST_okay;
		for (i = 0; i < op.nr_frames; i++) {
			mfn = vm->gnttab_gfn + i;
			if (pvmx_copy_to_guest(v, op.frame_list + i * 4, &mfn, sizeof(mfn)))
				op.status = GNTST_bad_virt_addr;
		}
	}
	if (pvmx_copy_to_guest(v, uop, &op, sizeof(op)))
		return -XEN_EFAULT;
	return 0;
}

static long gnttab_query_size(struct pvmx_vcpu_core *v, u32 uop, u32 count)
{
	struct gnttab_query_size op;

	if (count != 1)
		return -XEN_EINVAL;
	if (pvmx_copy_from_guest(v, &op, uop, sizeof(op)))
		return -XEN_EFAULT;
	if (!is_self(v->vm, op.dom)) {
		op.status = GNTST_bad_domain;
	} else {
		op.nr_frames = v->vm->nr_gnttab_frames;
		op.max_nr_frames = PVMX_GNTTAB_MAX_FRAMES;
		op.status = GNTST_okay;
	}
	if (pvmx_copy_to_guest(v, uop, &op, sizeof(op)))
		return -XEN_EFAULT;
	return 0;
}

/* Version 1 only: Xen with max_grant_version = 1. */
static long gnttab_set_version(struct pvmx_vcpu_core *v, u32 uop)
{
	struct gnttab_set_version op;
	long ret = 0;

	if (pvmx_copy_from_guest(v, &op, uop, sizeof(op)))
		return -XEN_EFAULT;
	if (op.version != 1 && op.version != 2)
		ret = -XEN_EINVAL;
	else if (op.version == 2)
		ret = -XEN_ENOSYS;
	op.version = 1;
	if (pvmx_copy_to_guest(v, uop, &op, sizeof(op)))
		return -XEN_EFAULT;
	return ret;
}

static long gnttab_get_version(struct pvmx_vcpu_core *v, u32 uop)
{
	struct gnttab_get_version op;

	if (pvmx_copy_from_guest(v, &op, uop, sizeof(op)))
		return -XEN_EFAULT;
	if (!is_self(v->vm, op.dom))
		return -XEN_ESRCH;
	op.version = 1;
	if (pvmx_copy_to_guest(v, uop + offsetof(struct gnttab_get_version, version),
			       &op.version, sizeof(op.version)))
		return -XEN_EFAULT;
	return 0;
}

/* Status frames exist with version 2 only. */
static long gnttab_get_status_frames(struct pvmx_vcpu_core *v, u32 uop, u32 count)
{
	struct gnttab_get_status_frames op;

	if (!count)
		return 0;
	if (count > 1)
		return -XEN_EINVAL;
	if (pvmx_copy_from_guest(v, &op, uop, sizeof(op)) ||
	    !compat_array_ok(op.frame_list, op.nr_frames, sizeof(u64)))
		return -XEN_EFAULT;
	op.status = is_self(v->vm, op.dom) ? GNTST_general_error : GNTST_bad_domain;
	if (pvmx_copy_to_guest(v, uop, &op, sizeof(op)))
		return -XEN_EFAULT;
	return 0;
}

long do_grant_table_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 cmd = hc->arg[0], uop = hc->arg[1], count = hc->arg[2];

	lockdep_assert_held(&v->vm->lock);
	/* The compat wrapper checks the whole array of its translated ops first. */
	switch (cmd) {
	case GNTTABOP_setup_table:
		if (!compat_array_ok(uop, count, GNTTAB_SETUP_ENTRY))
			return -XEN_EFAULT;
		return gnttab_setup_table(v, uop, count);
	case GNTTABOP_get_status_frames:
		if (!compat_array_ok(uop, count, GNTTAB_STATUS_ENTRY))
			return -XEN_EFAULT;
		return gnttab_get_status_frames(v, uop, count);
	}
	/* Then Xen's do_grant_table_op() itself (xen/common/grant_table.c). */
	if ((s32)count < 0)
		return -XEN_EINVAL;
	if ((cmd & GNTTABOP_CMD_MASK) != GNTTABOP_cache_flush && (cmd & ~GNTTABOP_CMD_MASK))
		return -XEN_EINVAL;
	switch (cmd & GNTTABOP_CMD_MASK) {
	case GNTTABOP_query_size:
		return gnttab_query_size(v, uop, count);
	case GNTTABOP_set_version:
		return gnttab_set_version(v, uop);
	case GNTTABOP_get_version:
		return gnttab_get_version(v, uop);
	default:
		/* Mapping, copying and transfers need a second domain: none here. */
		return -XEN_ENOSYS;
	}
}
