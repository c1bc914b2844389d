// SPDX-License-Identifier: GPL-2.0
/*
 * memory: the machine-to-physical table at 0xF5800000 (read-only, the
 * inverse of start_info->mfn_list, ~0 for frames no pfn maps), memory_op
 * (12) and grant_table_op (20) with Xen's answers to a 32-bit PV domU, and
 * the grant frames mapped read/write with update_va_mapping.
 *
 * Command line: "shuffled=1" when run with --shuffle-p2m: the P2M must then
 * not be the identity.
 */
#include "runtime.h"

#define M2P		((const volatile u32 *)XEN_MACH2PHYS_VIRT_START)
#define INVALID_M2P	0xFFFFFFFFu
#define PTE_KERNEL_RW	0x63ull		/* P | RW | A | D */
#define PF_WRITE	2u
#define PF_PRESENT	1u
#define GNTTAB_FRAMES	64		/* pvmx's max_grant_frames: Xen's default */

void m2p_store(void), m2p_load(void);
extern u8 m2p_store_insn[], m2p_store_after[], m2p_load_insn[], m2p_load_after[];
u32 m2p_load_addr;
asm(".text\n"
    "m2p_store:\n m2p_store_insn: movl $0xDEAD0000, 0xF5800000\n m2p_store_after: ret\n"
    "m2p_load: mov m2p_load_addr, %eax\n"
    " m2p_load_insn: mov (%eax), %eax\n m2p_load_after: ret\n");

static struct xen_trap_info pf_table[] = {
	{ 14, 0, FLAT_RING1_CS, (u32)trap_stub_14 },
	{ 0, 0, 0, 0 },
};

/* Pages whose mappings the test replaces with the grant frames. */
static u8 grant_va[2][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static long memory_op(u32 cmd, void *arg)
{
	return hypercall(__HYPERVISOR_memory_op, cmd, arg, 0, 0, 0);
}

static long grant_op(u32 cmd, void *uop, u32 count)
{
	return hypercall(__HYPERVISOR_grant_table_op, cmd, uop, count, 0, 0);
}

/* A #PF at the faulting instruction insn, resumed at after: its record. */
static int expect_pf(void (*fn)(void), u8 *insn, u8 *after, u32 ec, u32 cr2)
{
	const volatile struct trap_record *r;
	u32 before = trap_count;
	int ok = 1;

	trap_resume[14] = (u32)after;
	fn();
	trap_resume[14] = 0;
	if (trap_count != before + 1) {
		test_diag("  %u #PF handler runs, want 1", trap_count - before);
		return 0;
	}
	r = last_trap();
	ok &= check_word("vector", r->vector, 14);
	ok &= check_word("error code", r->w[0], ec);
	ok &= check_word("frame EIP", r->w[1], (u32)insn);
	ok &= check_word("cr2", r->cr2, cr2);
	return ok;
}

static void test_m2p(int shuffled)
{
	const u32 *p2m = (const u32 *)start_info->mfn_list;
	u32 nr = start_info->nr_pages, pfn, bad = 0, moved = 0, pfn_of_mfn0 = ~0u;
	u32 si_mfn = start_info->shared_info >> 12, end, before;

	for (pfn = 0; pfn < nr; pfn++) {
		if (M2P[p2m[pfn]] != pfn) {
			if (bad++ < 4)
				test_diag("  m2p[p2m[0x%x] = 0x%x] = 0x%x", pfn, p2m[pfn],
					  M2P[p2m[pfn]]);
		}
		moved += p2m[pfn] != pfn;
		if (!p2m[pfn])
			pfn_of_mfn0 = pfn;
	}
	CHECK_EQ(bad, 0, "m2p_inverts_p2m_for_every_pfn");
	test_diag("  %u of %u pfns have mfn != pfn", moved, nr);
	if (shuffled)
		CHECK(moved > nr / 2, "p2m_shuffled_not_identity");
	else
		CHECK_EQ(moved, 0, "p2m_identity_by_default");
	CHECK_EQ(M2P[si_mfn], INVALID_M2P, "m2p_shared_info_frame_invalid");
	CHECK_EQ(M2P[si_mfn + 1], INVALID_M2P, "m2p_grant_frame_invalid");

	CHECK_EQ(set_trap_table(pf_table), 0, "set_trap_table_pf");
	CHECK(expect_pf(m2p_store, m2p_store_insn, m2p_store_after, PF_PRESENT | PF_WRITE,
			XEN_MACH2PHYS_VIRT_START), "m2p_write_faults_pf_error_3");
	CHECK_EQ(M2P[0], pfn_of_mfn0, "m2p_unchanged_after_write");
	/* Past the table's last page nothing is mapped. */
	end = XEN_MACH2PHYS_VIRT_START +
	      (((nr + 1 + GNTTAB_FRAMES) * 4 + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	m2p_load_addr = end;
	CHECK(expect_pf(m2p_load, m2p_load_insn, m2p_load_after, 0, end),
	      "m2p_beyond_table_not_present");
	m2p_load_addr = end - 4;
	before = trap_count;
	m2p_load();
	CHECK_EQ(trap_count, before, "m2p_last_page_readable");
}

static void test_memory_op(void)
{
	struct xen_machphys_mapping map;
	struct xen_memory_map mm = { 1, 0 };
	u32 nr = start_info->nr_pages;
	u16 domid = DOMID_SELF;

	CHECK_EQ(memory_op(XENMEM_maximum_ram_page, NULL), nr + 1 + GNTTAB_FRAMES,
		 "maximum_ram_page");
	CHECK_EQ(memory_op(XENMEM_current_reservation, &domid), nr, "current_reservation");
	CHECK_EQ(memory_op(XENMEM_maximum_reservation, &domid), nr, "maximum_reservation");
	domid = 0;
	CHECK_EQ(memory_op(XENMEM_current_reservation, &domid), -XEN_ESRCH,
		 "current_reservation_other_domain_esrch");
	domid = DOMID_SELF;
	CHECK_EQ(memory_op(XENMEM_current_reservation | 1 << XENMEM_EXTENT_SHIFT, &domid),
		 -XEN_EINVAL, "current_reservation_start_extent_einval");
	CHECK_EQ(memory_op(XENMEM_maximum_reservation, (void *)0xF5800000), -XEN_EFAULT,
		 "maximum_reservation_bad_pointer_efault");
	CHECK_EQ(memory_op(XENMEM_maximum_gpfn, &domid), 0, "maximum_gpfn_before_max_pfn");
	shared_info->max_pfn = nr;
	CHECK_EQ(memory_op(XENMEM_maximum_gpfn, &domid), nr - 1, "maximum_gpfn_from_max_pfn");

	memset(&map, 0xAA, sizeof(map));
	CHECK_EQ(memory_op(XENMEM_machphys_mapping, &map), 0, "machphys_mapping");
	CHECK_EQ(map.v_start, 0xF5800000u, "machphys_mapping_v_start");
	CHECK_EQ(map.v_end, 0xFFE00000u, "machphys_mapping_v_end");
	CHECK_EQ(map.max_mfn, 0x297FFFFu, "machphys_mapping_max_mfn");
	CHECK_EQ(memory_op(XENMEM_memory_map, &mm), -XEN_ENOSYS, "memory_map_enosys_for_domu");
	CHECK_EQ(memory_op(XENMEM_increase_reservation, &mm), -XEN_ENOSYS,
		 "increase_reservation_enosys");
}

static void test_grant_table(void)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = GNTTAB_FRAMES };
	struct gnttab_set_version sv = { 2 };
	struct gnttab_get_version gv = { .dom = DOMID_SELF };
	struct gnttab_get_status_frames gs = { .nr_frames = 1, .dom = DOMID_SELF };
	u32 frames[GNTTAB_FRAMES + 1], si_mfn = start_info->shared_info >> 12, i, ok;
	volatile u32 *a = (volatile u32 *)grant_va[0], *b = (volatile u32 *)grant_va[1];
	u64 frame_list;

	CHECK_EQ(grant_op(GNTTABOP_query_size, &q, 1), 0, "query_size");
	CHECK_EQ(q.status, GNTST_okay, "query_size_status_okay");
	CHECK_EQ(q.nr_frames, 1, "query_size_starts_at_1_frame");
	CHECK_EQ(q.max_nr_frames, GNTTAB_FRAMES, "query_size_max_frames");

	st.frame_list = (u32)frames;
	CHECK_EQ(grant_op(GNTTABOP_setup_table, &st, 1), 0, "setup_table");
	CHECK_EQ(st.status, GNTST_okay, "setup_table_status_okay");
	ok = 1;
	for (i = 0; i < GNTTAB_FRAMES; i++)
		ok &= check_word("grant frame", frames[i], si_mfn + 1 + i);
	CHECK(ok, "setup_table_frames_follow_shared_info");
	CHECK_EQ(grant_op(GNTTABOP_query_size, &q, 1), 0, "query_size_again");
	CHECK_EQ(q.nr_frames, GNTTAB_FRAMES, "query_size_grown");

	/* The frames are the guest's to map and write. */
	CHECK_EQ(update_va_mapping((u32)a, (u64)frames[0] << 12 | PTE_KERNEL_RW, UVMF_INVLPG),
		 0, "map_grant_frame_0");
	CHECK_EQ(a[0], 0, "grant_frame_starts_zeroed");
	a[0] = 0x5eed0001;
	a[1023] = 0x5eed0002;
	CHECK_EQ(update_va_mapping((u32)b, (u64)frames[3] << 12 | PTE_KERNEL_RW, UVMF_INVLPG),
		 0, "map_grant_frame_3");
	b[0] = 0x5eed0003;
	CHECK(a[0] == 0x5eed0001 && a[1023] == 0x5eed0002, "grant_frames_distinct");
	CHECK_EQ(update_va_mapping((u32)b, (u64)frames[0] << 12 | PTE_KERNEL_RW, UVMF_INVLPG),
		 0, "map_grant_frame_0_twice");
	CHECK(b[0] == 0x5eed0001 && b[1023] == 0x5eed0002, "grant_frame_same_page_twice");

	st.nr_frames = GNTTAB_FRAMES + 1;
	CHECK_EQ(grant_op(GNTTABOP_setup_table, &st, 1), 0, "setup_table_too_many");
	CHECK_EQ(st.status, GNTST_general_error, "setup_table_too_many_general_error");
	st.nr_frames = 1;
	st.dom = 0;
	CHECK_EQ(grant_op(GNTTABOP_setup_table, &st, 1), 0, "setup_table_other_domain");
	CHECK_EQ(st.status, GNTST_bad_domain, "setup_table_other_domain_bad_domain");
	CHECK_EQ(grant_op(GNTTABOP_setup_table, &st, 2), -XEN_EINVAL, "setup_table_count_2_einval");

	CHECK_EQ(grant_op(GNTTABOP_set_version, &sv, 1), -XEN_ENOSYS, "set_version_2_enosys");
	CHECK_EQ(sv.version, 1, "set_version_2_reports_1");
	sv.version = 1;
	CHECK_EQ(grant_op(GNTTABOP_set_version, &sv, 1), 0, "set_version_1");
	CHECK_EQ(grant_op(GNTTABOP_get_version, &gv, 1), 0, "get_version");
	CHECK_EQ(gv.version, 1, "get_version_1");
	gs.frame_list = (u32)&frame_list;
	CHECK_EQ(grant_op(GNTTABOP_get_status_frames, &gs, 1), 0, "get_status_frames");
	CHECK_EQ(gs.status, GNTST_general_error, "get_status_frames_v1_general_error");
	CHECK_EQ(grant_op(GNTTABOP_map_grant_ref, &gs, 1), -XEN_ENOSYS, "map_grant_ref_enosys");
}

void test_main(void)
{
	int shuffled = cmdline_uint(start_info->cmd_line, "shuffled", 0);

	test_plan(52);
	CHECK(map_shared_info(), "map_shared_info");
	test_m2p(shuffled);
	test_memory_op();
	test_grant_table();
}
