// SPDX-License-Identifier: GPL-2.0
/* memory_op (12) and grant_table_op (20): Xen's answers to a 32-bit PV domU. */
#include <stdlib.h>
#include "fixture.h"
#include "unit_tests.h"

#define XEN_ERR(e)	((u32)-(e))
#define BUF_VA		0x200000u	/* mapped read/write 1:1 in the fixture */
#define NR_FRAMES	(FX_RAM_FRAMES + 1 + PVMX_GNTTAB_MAX_FRAMES)

static void *frames[NR_FRAMES];
static u8 gnttab[PVMX_GNTTAB_MAX_FRAMES][4096];

/* Grant frame i's host page: pages apart and out of order, as vm.c's may be. */
static u8 *gframe(u32 i)
{
	return gnttab[PVMX_GNTTAB_MAX_FRAMES - 1 - i];
}

/* The fixture's VM plus the grant frames vm.c appends after shared_info. */
static void add_grant_frames(void)
{
	u32 i;

	memcpy(frames, fx.frames, sizeof(fx.frames));
	memset(gnttab, 0, sizeof(gnttab));
	/* A page each; only the first frame exists until the table grows (vm.c). */
	for (i = 0; i < PVMX_GNTTAB_MAX_FRAMES; i++) {
		fx.vm.gnttab_va[i] = gframe(i);
		frames[FX_RAM_FRAMES + 1 + i] = i ? NULL : gframe(0);
	}
	fx.vm.mem.frames = frames;
	fx.vm.mem.nr_frames = NR_FRAMES;
	fx.vm.gnttab_gfn = FX_RAM_FRAMES + 1;
	fx.vm.nr_gnttab_frames = 1;
}

static void put_u16(u32 va, u16 val)
{
	memcpy(fx_gpa(va), &val, sizeof(val));
}

static u32 memory_op(u32 cmd, u32 arg)
{
	CHECK_EQ(fx_hypercall(__HYPERVISOR_memory_op, cmd, arg, 0, 0, 0), PVMX_RESUME);
	return fx_eax();
}

static u32 grant_op(u32 cmd, u32 uop, u32 count)
{
	CHECK_EQ(fx_hypercall(__HYPERVISOR_grant_table_op, cmd, uop, count, 0, 0),
		 PVMX_RESUME);
	return fx_eax();
}

/* ---- memory_op ------------------------------------------------------------ */

static void memory_op_maximum_ram_page(void)
{
	add_grant_frames();
	CHECK_EQ(memory_op(XENMEM_maximum_ram_page, 0), NR_FRAMES);
	/* A start extent is refused: the op is not continuable. */
	CHECK_EQ(memory_op(XENMEM_maximum_ram_page | 1 << XENMEM_EXTENT_SHIFT, 0),
		 XEN_ERR(XEN_EINVAL));
}

static void memory_op_reservations(void)
{
	static const u32 ops[] = { XENMEM_current_reservation, XENMEM_maximum_reservation };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		put_u16(BUF_VA, DOMID_SELF);
		CHECK_EQ(memory_op(ops[i], BUF_VA), FX_RAM_FRAMES);
		put_u16(BUF_VA, 1);		/* the VM's own domid */
		CHECK_EQ(memory_op(ops[i], BUF_VA), FX_RAM_FRAMES);
		put_u16(BUF_VA, 0);		/* no other domain exists */
		CHECK_EQ(memory_op(ops[i], BUF_VA), XEN_ERR(XEN_ESRCH));
		put_u16(BUF_VA, 2);
		CHECK_EQ(memory_op(ops[i], BUF_VA), XEN_ERR(XEN_ESRCH));
		CHECK_EQ(memory_op(ops[i], FX_UNMAPPED_VA), XEN_ERR(XEN_EFAULT));
		put_u16(BUF_VA, DOMID_SELF);
		CHECK_EQ(memory_op(ops[i] | 3 << XENMEM_EXTENT_SHIFT, BUF_VA),
			 XEN_ERR(XEN_EINVAL));
	}
}

static void memory_op_maximum_gpfn_follows_shared_info(void)
{
	put_u16(BUF_VA, DOMID_SELF);
	/* max_pfn 0 (nothing written yet) counts as 1. */
	CHECK_EQ(memory_op(XENMEM_maximum_gpfn, BUF_VA), 0);
	fx.vm.shared_info->max_pfn = FX_RAM_FRAMES;
	CHECK_EQ(memory_op(XENMEM_maximum_gpfn, BUF_VA), FX_RAM_FRAMES - 1);
	put_u16(BUF_VA, 7);
	CHECK_EQ(memory_op(XENMEM_maximum_gpfn, BUF_VA), XEN_ERR(XEN_ESRCH));
}

static void memory_op_machphys_mapping(void)
{
	struct xen_machphys_mapping map;

	memset(fx_gpa(BUF_VA), 0xAA, sizeof(map));
	CHECK_EQ(memory_op(XENMEM_machphys_mapping, BUF_VA), 0);
	memcpy(&map, fx_gpa(BUF_VA), sizeof(map));
	CHECK_EQ(map.v_start, 0xF5800000u);
	CHECK_EQ(map.v_end, 0xFFE00000u);
	CHECK_EQ(map.max_mfn, 0x297FFFFu);
	CHECK_EQ(memory_op(XENMEM_machphys_mapping, FX_RO_VA), XEN_ERR(XEN_EFAULT));
	/* The arch ops match the whole cmd: extent bits make an unknown op. */
	CHECK_EQ(memory_op(XENMEM_machphys_mapping | 1 << XENMEM_EXTENT_SHIFT, BUF_VA),
		 XEN_ERR(XEN_ENOSYS));
}

static void memory_op_memory_map_absent_for_domu(void)
{
	struct xen_memory_map map = { .nr_entries = 8, .buffer = BUF_VA + 64 };

	memcpy(fx_gpa(BUF_VA), &map, sizeof(map));
	CHECK_EQ(memory_op(XENMEM_memory_map, BUF_VA), XEN_ERR(XEN_ENOSYS));
	memcpy(&map, fx_gpa(BUF_VA), sizeof(map));
	CHECK_EQ(map.nr_entries, 8);	/* untouched */
	CHECK_EQ(memory_op(XENMEM_memory_map, FX_UNMAPPED_VA), XEN_ERR(XEN_EFAULT));
}

static void memory_op_machphys_mfn_list(void)
{
	struct xen_machphys_mfn_list l = { .max_extents = 8, .extent_start = BUF_VA + 64,
					   .nr_extents = 0x55 };
	u32 *ext = (u32 *)fx_gpa(BUF_VA + 64);

	/* 1025 M2P pages: three 2 MiB extents, the last one partial. */
	fx.vm.nr_m2p = 1025 * 1024;
	memset(ext, 0xAA, 32);
	memcpy(fx_gpa(BUF_VA), &l, sizeof(l));
	CHECK_EQ(memory_op(XENMEM_machphys_mfn_list, BUF_VA), 0);
	memcpy(&l, fx_gpa(BUF_VA), sizeof(l));
	CHECK_EQ(l.nr_extents, 3);
	CHECK_EQ(ext[0], 0x100000);
	CHECK_EQ(ext[1], 0x100000 + 512);
	CHECK_EQ(ext[2], 0x100000 + 1024);
	CHECK_EQ(ext[3], 0xAAAAAAAAu);
	/* max_extents bounds it; the compat command answers the same. */
	l.max_extents = 1;
	memcpy(fx_gpa(BUF_VA), &l, sizeof(l));
	CHECK_EQ(memory_op(XENMEM_machphys_compat_mfn_list, BUF_VA), 0);
	memcpy(&l, fx_gpa(BUF_VA), sizeof(l));
	CHECK_EQ(l.nr_extents, 1);
	/* An unwritable array or argument: -EFAULT. */
	l.max_extents = 8;
	l.extent_start = FX_RO_VA;
	memcpy(fx_gpa(BUF_VA), &l, sizeof(l));
	CHECK_EQ(memory_op(XENMEM_machphys_mfn_list, BUF_VA), XEN_ERR(XEN_EFAULT));
	CHECK_EQ(memory_op(XENMEM_machphys_mfn_list, FX_UNMAPPED_VA), XEN_ERR(XEN_EFAULT));
	CHECK_EQ(memory_op(XENMEM_machphys_mfn_list | 1 << XENMEM_EXTENT_SHIFT, BUF_VA),
		 XEN_ERR(XEN_ENOSYS));
}

static void memory_op_others_enosys(void)
{
	static const u32 cmds[] = {
		XENMEM_increase_reservation, XENMEM_decrease_reservation,
		XENMEM_populate_physmap, XENMEM_add_to_physmap,
		XENMEM_machine_memory_map, XENMEM_exchange, XENMEM_remove_from_physmap, 63,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		CHECK_EQ(memory_op(cmds[i], BUF_VA), XEN_ERR(XEN_ENOSYS));
}

/* ---- grant_table_op --------------------------------------------------------- */

static struct gnttab_setup_table setup(u16 dom, u32 nr, u32 list)
{
	struct gnttab_setup_table op = {
		.dom = dom, .nr_frames = nr, .status = 0x55, .frame_list = list,
	};

	return op;
}

static void gnttab_setup_table_hands_out_frames(void)
{
	struct gnttab_setup_table op = setup(DOMID_SELF, 4, BUF_VA + 64);
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	u32 list[4], i;

	add_grant_frames();
	memcpy(fx_gpa(BUF_VA + 128), &q, sizeof(q));
	CHECK_EQ(grant_op(GNTTABOP_query_size, BUF_VA + 128, 1), 0);
	memcpy(&q, fx_gpa(BUF_VA + 128), sizeof(q));
	CHECK_EQ(q.nr_frames, 1);
	CHECK_EQ(q.max_nr_frames, PVMX_GNTTAB_MAX_FRAMES);
	CHECK_EQ(q.status, GNTST_okay);

	memcpy(fx_gpa(BUF_VA), &op, sizeof(op));
	CHECK_EQ(grant_op(GNTTABOP_setup_table, BUF_VA, 1), 0);
	memcpy(&op, fx_gpa(BUF_VA), sizeof(op));
	CHECK_EQ(op.status, GNTST_okay);
	memcpy(list, fx_gpa(BUF_VA + 64), sizeof(list));
	for (i = 0; i < 4; i++) {
		CHECK_EQ(list[i], FX_RAM_FRAMES + 1 + i);
		CHECK(pvmx_gfn_to_host(&fx.vm.mem, list[i]) == gframe(i));
	}
	/* The table grew to what was asked for. */
	CHECK_EQ(grant_op(GNTTABOP_query_size, BUF_VA + 128, 1), 0);
	memcpy(&q, fx_gpa(BUF_VA + 128), sizeof(q));
	CHECK_EQ(q.nr_frames, 4);
	/* Asking for fewer does not shrink it. */
	op = setup(1, 2, BUF_VA + 64);
	memcpy(fx_gpa(BUF_VA), &op, sizeof(op));
	CHECK_EQ(grant_op(GNTTABOP_setup_table, BUF_VA, 1), 0);
	memcpy(&op, fx_gpa(BUF_VA), sizeof(op));
	CHECK_EQ(op.status, GNTST_okay);
	CHECK_EQ(fx.vm.nr_gnttab_frames, 4);
}

/* A grant frame past the table's size is not the VM's memory yet: it cannot be mapped. */
static void gnttab_frames_past_the_size_cannot_be_mapped(void)
{
	struct gnttab_setup_table op = setup(DOMID_SELF, 2, BUF_VA + 64);
	u64 pte = ((u64)(FX_RAM_FRAMES + 2) << 12) | PVMX_PTE_P | PVMX_PTE_RW;
	u64 ro = ((u64)(FX_RAM_FRAMES + 4) << 12) | PVMX_PTE_P;

	add_grant_frames();
	CHECK(pvmx_gfn_to_host(&fx.vm.mem, FX_RAM_FRAMES + 1) == gframe(0));
	CHECK(!pvmx_gfn_to_host(&fx.vm.mem, FX_RAM_FRAMES + 2));
	CHECK_EQ(fx_hypercall(__HYPERVISOR_update_va_mapping, BUF_VA + 0x10000, (u32)pte,
			      (u32)(pte >> 32), 0, 0), PVMX_RESUME);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EPERM));
	/* Grown to two: the second maps, the fourth still does not. */
	memcpy(fx_gpa(BUF_VA), &op, sizeof(op));
	CHECK_EQ(grant_op(GNTTABOP_setup_table, BUF_VA, 1), 0);
	CHECK(pvmx_gfn_to_host(&fx.vm.mem, FX_RAM_FRAMES + 2) == gframe(1));
	CHECK_EQ(fx_hypercall(__HYPERVISOR_update_va_mapping, BUF_VA + 0x10000, (u32)pte,
			      (u32)(pte >> 32), 0, 0), PVMX_RESUME);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_update_va_mapping, BUF_VA + 0x11000, (u32)ro,
			      (u32)(ro >> 32), 0, 0), PVMX_RESUME);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EPERM));
}

static struct gnttab_query_size query_size(void)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF, .nr_frames = 77, .max_nr_frames = 88 };

	memcpy(fx_gpa(BUF_VA + 128), &q, sizeof(q));
	CHECK_EQ(grant_op(GNTTABOP_query_size, BUF_VA + 128, 1), 0);
	memcpy(&q, fx_gpa(BUF_VA + 128), sizeof(q));
	CHECK_EQ(q.status, GNTST_okay);
	return q;
}

static int setup_status(u32 nr, u32 list)
{
	struct gnttab_setup_table op = setup(DOMID_SELF, nr, list);

	memcpy(fx_gpa(BUF_VA), &op, sizeof(op));
	CHECK_EQ(grant_op(GNTTABOP_setup_table, BUF_VA, 1), 0);
	memcpy(&op, fx_gpa(BUF_VA), sizeof(op));
	return op.status;
}

/*
 * Xen's default max_grant_frames (64): setup_table grows the table to it,
 * not past it (GNTST_general_error, nothing changed), and growing keeps the
 * frames and the entries already there (gnttab_grow_table() only adds).
 */
static void gnttab_grows_to_xens_default_max(void)
{
	struct gnttab_setup_table op;
	struct gnttab_query_size q;
	u32 list[PVMX_GNTTAB_MAX_FRAMES + 1], i;
	u64 pte;

	CHECK_EQ(PVMX_GNTTAB_MAX_FRAMES, 64);
	add_grant_frames();
	q = query_size();
	CHECK_EQ(q.nr_frames, 1);
	CHECK_EQ(q.max_nr_frames, 64);
	/* An entry in frame 0, one in frame 3 once the table has four. */
	memcpy(gframe(0) + 5 * 8, "\x01\x00\x00\x00\x2a\x00\x00\x00", 8);
	CHECK_EQ(setup_status(4, BUF_VA + 1024), GNTST_okay);
	CHECK_EQ(query_size().nr_frames, 4);
	memcpy(gframe(3) + 511 * 8, "\x05\x00\x00\x00\x2b\x00\x00\x00", 8);

	/* 65 frames: general_error, the list untouched, the table as it was. */
	memset(fx_gpa(BUF_VA + 1024), 0xAA, sizeof(list));
	CHECK_EQ(setup_status(65, BUF_VA + 1024), GNTST_general_error);
	memcpy(list, fx_gpa(BUF_VA + 1024), sizeof(list));
	for (i = 0; i < 65; i++)
		CHECK_EQ(list[i], 0xAAAAAAAA);
	q = query_size();
	CHECK_EQ(q.nr_frames, 4);
	CHECK_EQ(q.max_nr_frames, 64);
	CHECK(!pvmx_gfn_to_host(&fx.vm.mem, FX_RAM_FRAMES + 1 + 4));

	/* 64 frames: all handed out, each its own page, the old ones unchanged. */
	CHECK_EQ(setup_status(64, BUF_VA + 1024), GNTST_okay);
	memcpy(list, fx_gpa(BUF_VA + 1024), sizeof(list));
	for (i = 0; i < 64; i++) {
		CHECK_EQ(list[i], FX_RAM_FRAMES + 1 + i);
		CHECK(pvmx_gfn_to_host(&fx.vm.mem, list[i]) == gframe(i));
	}
	CHECK_EQ(list[64], 0xAAAAAAAA);
	q = query_size();
	CHECK_EQ(q.nr_frames, 64);
	CHECK_EQ(q.max_nr_frames, 64);
	CHECK(!memcmp(gframe(0) + 5 * 8, "\x01\x00\x00\x00\x2a\x00\x00\x00", 8));
	CHECK(!memcmp(gframe(3) + 511 * 8, "\x05\x00\x00\x00\x2b\x00\x00\x00", 8));
	/* The last frame maps read/write now; the frame past it is no frame. */
	pte = ((u64)(FX_RAM_FRAMES + 1 + 63) << 12) | PVMX_PTE_P | PVMX_PTE_RW;
	CHECK_EQ(fx_hypercall(__HYPERVISOR_update_va_mapping, BUF_VA + 0x10000, (u32)pte,
			      (u32)(pte >> 32), 0, 0), PVMX_RESUME);
	CHECK_EQ(fx_eax(), 0);
	CHECK(!pvmx_gfn_to_host(&fx.vm.mem, FX_RAM_FRAMES + 1 + 64));
	/* Asking again for 65 still fails; asking for 64 again changes nothing. */
	CHECK_EQ(setup_status(65, BUF_VA + 1024), GNTST_general_error);
	CHECK_EQ(setup_status(64, BUF_VA + 1024), GNTST_okay);
	CHECK_EQ(fx.vm.nr_gnttab_frames, 64);
	op = setup(DOMID_SELF, 1, BUF_VA + 1024);
	memcpy(fx_gpa(BUF_VA), &op, sizeof(op));
	CHECK_EQ(grant_op(GNTTABOP_setup_table, BUF_VA, 1), 0);
	CHECK_EQ(query_size().nr_frames, 64);
}

static void gnttab_setup_table_errors(void)
{
	struct gnttab_setup_table op;
	u32 list[2] = { 0xAAAAAAAA, 0xAAAAAAAA };

	add_grant_frames();
	/* More than max_grant_frames: general_error, the list untouched. */
	op = setup(DOMID_SELF, PVMX_GNTTAB_MAX_FRAMES + 1, BUF_VA + 64);
	memcpy(fx_gpa(BUF_VA), &op, sizeof(op));
	memcpy(fx_gpa(BUF_VA + 64), list, sizeof(list));
	CHECK_EQ(grant_op(GNTTABOP_setup_table, BUF_VA, 1), 0);
	memcpy(&op, fx_gpa(BUF_VA), sizeof(op));
	CHECK_EQ(op.status, GNTST_general_error);
	CHECK_EQ(fx.vm.nr_gnttab_frames, 1);
	memcpy(list, fx_gpa(BUF_VA + 64), sizeof(list));
	CHECK_EQ(list[0], 0xAAAAAAAA);
	/* Another domain. */
	op = setup(0, 1, BUF_VA + 64);
	memcpy(fx_gpa(BUF_VA), &op, sizeof(op));
	CHECK_EQ(grant_op(GNTTABOP_setup_table, BUF_VA, 1), 0);
	memcpy(&op, fx_gpa(BUF_VA), sizeof(op));
	CHECK_EQ(op.status, GNTST_bad_domain);
	/* A list Xen cannot write: bad_virt_addr in status, still 0. */
	op = setup(DOMID_SELF, 2, FX_RO_VA);
	memcpy(fx_gpa(BUF_VA), &op, sizeof(op));
	CHECK_EQ(grant_op(GNTTABOP_setup_table, BUF_VA, 1), 0);
	memcpy(&op, fx_gpa(BUF_VA), sizeof(op));
	CHECK_EQ(op.status, GNTST_bad_virt_addr);
	/* A list reaching the hypervisor hole: -EFAULT before anything. */
	op = setup(DOMID_SELF, 2, 0xF57FFFFC);
	memcpy(fx_gpa(BUF_VA), &op, sizeof(op));
	CHECK_EQ(grant_op(GNTTABOP_setup_table, BUF_VA, 1), XEN_ERR(XEN_EFAULT));
	memcpy(&op, fx_gpa(BUF_VA), sizeof(op));
	CHECK_EQ(op.status, 0x55);
	/* Counts: 0 does nothing, more than 1 is refused. */
	CHECK_EQ(grant_op(GNTTABOP_setup_table, BUF_VA, 0), 0);
	CHECK_EQ(grant_op(GNTTABOP_setup_table, BUF_VA, 2), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(grant_op(GNTTABOP_setup_table, FX_UNMAPPED_VA, 1), XEN_ERR(XEN_EFAULT));
	CHECK_EQ(grant_op(GNTTABOP_setup_table, 0xF57FFFF8, 1), XEN_ERR(XEN_EFAULT));
	/* Continuation bits on an op that has none. */
	CHECK_EQ(grant_op(GNTTABOP_setup_table | 1 << 12, BUF_VA, 1), XEN_ERR(XEN_EINVAL));
}

static void gnttab_query_size_errors(void)
{
	struct gnttab_query_size q = { .dom = 3, .nr_frames = 77, .max_nr_frames = 88 };

	memcpy(fx_gpa(BUF_VA), &q, sizeof(q));
	CHECK_EQ(grant_op(GNTTABOP_query_size, BUF_VA, 1), 0);
	memcpy(&q, fx_gpa(BUF_VA), sizeof(q));
	CHECK_EQ(q.status, GNTST_bad_domain);
	CHECK_EQ(q.nr_frames, 77);
	CHECK_EQ(grant_op(GNTTABOP_query_size, BUF_VA, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(grant_op(GNTTABOP_query_size, BUF_VA, 2), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(grant_op(GNTTABOP_query_size, BUF_VA, 0x80000000u), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(grant_op(GNTTABOP_query_size, FX_UNMAPPED_VA, 1), XEN_ERR(XEN_EFAULT));
}

static void gnttab_versions(void)
{
	struct gnttab_get_version gv = { .dom = DOMID_SELF, .pad = 0x1234, .version = 9 };
	u32 version;

	version = 1;
	memcpy(fx_gpa(BUF_VA), &version, 4);
	CHECK_EQ(grant_op(GNTTABOP_set_version, BUF_VA, 1), 0);
	memcpy(&version, fx_gpa(BUF_VA), 4);
	CHECK_EQ(version, 1);
	/* Version 2 not offered (max_grant_version 1): -ENOSYS, version 1 back. */
	version = 2;
	memcpy(fx_gpa(BUF_VA), &version, 4);
	CHECK_EQ(grant_op(GNTTABOP_set_version, BUF_VA, 1), XEN_ERR(XEN_ENOSYS));
	memcpy(&version, fx_gpa(BUF_VA), 4);
	CHECK_EQ(version, 1);
	version = 3;
	memcpy(fx_gpa(BUF_VA), &version, 4);
	CHECK_EQ(grant_op(GNTTABOP_set_version, BUF_VA, 1), XEN_ERR(XEN_EINVAL));
	memcpy(&version, fx_gpa(BUF_VA), 4);
	CHECK_EQ(version, 1);
	/* set_version and get_version ignore count. */
	version = 0;
	memcpy(fx_gpa(BUF_VA), &version, 4);
	CHECK_EQ(grant_op(GNTTABOP_set_version, BUF_VA, 5), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(grant_op(GNTTABOP_set_version, FX_RO_VA, 1), XEN_ERR(XEN_EFAULT));

	memcpy(fx_gpa(BUF_VA), &gv, sizeof(gv));
	CHECK_EQ(grant_op(GNTTABOP_get_version, BUF_VA, 0), 0);
	memcpy(&gv, fx_gpa(BUF_VA), sizeof(gv));
	CHECK_EQ(gv.version, 1);
	CHECK_EQ(gv.pad, 0x1234);	/* only the version field is written */
	gv.dom = 4;
	memcpy(fx_gpa(BUF_VA), &gv, sizeof(gv));
	CHECK_EQ(grant_op(GNTTABOP_get_version, BUF_VA, 1), XEN_ERR(XEN_ESRCH));
}

static void gnttab_status_frames_need_v2(void)
{
	struct gnttab_get_status_frames op = {
		.nr_frames = 1, .dom = DOMID_SELF, .status = 0x55, .frame_list = BUF_VA + 64,
	};

	memcpy(fx_gpa(BUF_VA), &op, sizeof(op));
	CHECK_EQ(grant_op(GNTTABOP_get_status_frames, BUF_VA, 1), 0);
	memcpy(&op, fx_gpa(BUF_VA), sizeof(op));
	CHECK_EQ(op.status, GNTST_general_error);
	op.dom = 9;
	memcpy(fx_gpa(BUF_VA), &op, sizeof(op));
	CHECK_EQ(grant_op(GNTTABOP_get_status_frames, BUF_VA, 1), 0);
	memcpy(&op, fx_gpa(BUF_VA), sizeof(op));
	CHECK_EQ(op.status, GNTST_bad_domain);
	CHECK_EQ(grant_op(GNTTABOP_get_status_frames, BUF_VA, 2), XEN_ERR(XEN_EINVAL));
}

static void gnttab_other_ops_enosys(void)
{
	static const u32 cmds[] = {
		GNTTABOP_map_grant_ref, GNTTABOP_unmap_grant_ref, GNTTABOP_dump_table,
		GNTTABOP_transfer, GNTTABOP_copy, GNTTABOP_unmap_and_replace,
		GNTTABOP_swap_grant_ref, GNTTABOP_cache_flush, 13, 0xFFF,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		CHECK_EQ(grant_op(cmds[i], BUF_VA, 1), XEN_ERR(XEN_ENOSYS));
}

const struct unit_test memory_tests[] = {
	UNIT_TEST(memory_op_maximum_ram_page),
	UNIT_TEST(memory_op_reservations),
	UNIT_TEST(memory_op_maximum_gpfn_follows_shared_info),
	UNIT_TEST(memory_op_machphys_mapping),
	UNIT_TEST(memory_op_machphys_mfn_list),
	UNIT_TEST(memory_op_memory_map_absent_for_domu),
	UNIT_TEST(memory_op_others_enosys),
	UNIT_TEST(gnttab_setup_table_hands_out_frames),
	UNIT_TEST(gnttab_frames_past_the_size_cannot_be_mapped),
	UNIT_TEST(gnttab_grows_to_xens_default_max),
	UNIT_TEST(gnttab_setup_table_errors),
	UNIT_TEST(gnttab_query_size_errors),
	UNIT_TEST(gnttab_versions),
	UNIT_TEST(gnttab_status_frames_need_v2),
	UNIT_TEST(gnttab_other_ops_enosys),
	{ NULL, NULL },
};
