// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_vcpu: a guest (3 vCPUs) attacking the per-vCPU areas and the
 * cross-vCPU operations added since the last hardening round (issue 15,
 * "beyond the list").  Expected results are Xen's, as
 * Documentation/guest-abi.rst "vcpu_op (24)" states them: map_guest_area()
 * and the VCPUOP_* handlers of xen/common/domain.c, the compat time and
 * runstate areas (xen/arch/x86/time.c update_secondary_system_time(),
 * xen/common/domain.c update_runstate_area(): the copies go through the
 * guest's own page tables and are skipped when they cannot be written).
 *
 *   vcpu_info   register_vcpu_info for vCPU 1 (down) with a wrapping or
 *               huge mfn, offset 4096, a record crossing the frame's end,
 *               an unaligned offset, frames that are not RAM (shared_info,
 *               a grant frame, the hypervisor's), a page-table frame (the
 *               L3 and an L1) and a GDT frame: each refused; then a good
 *               one, a second one (-EBUSY), and vCPU 2 while it is up
 *               (-EINVAL).  The registered frame can be neither pinned as
 *               an L1 nor made a GDT, even with no writable mapping left
 *   time_area   register_vcpu_time_memory_area reaching the hypervisor
 *               hole: -EFAULT; on the (read-only) L3 page, straddling the
 *               end of a RW page into a read-only L1, at the M2P: the page
 *               tables and the M2P are never written, the guest goes on
 *   runstate    register_runstate_memory_area on the L3 page, on the M2P
 *               (0xF5800000), wrapping at 4 GiB: nothing outside the guest's
 *               writable memory changes
 *   updown      vCPU 0 takes vCPU 1 down and up 200 times while vCPU 1 runs
 *               hypercalls (its runstate, its time area, timers); initialise
 *               of a running vCPU: -EEXIST; then vCPU 1 takes vCPU 0 down
 *               and up 50 times; both still run
 */
#include "runtime.h"

#define PTE_P		0x1u
#define PTE_RW		0x2u
#define PTE_KERNEL_RW	0x63u
#define PTE_KERNEL_RO	0x61u
#define WAIT_NS		5000000000ULL

static struct xen_vcpu_guest_context ctx;
static u8 ap_stack[2][8192] __attribute__((aligned(16)));
static volatile u32 ap_spins[3], ap_cmd, ap_bad, ap_done;
/* Frames for vcpu_info, a scratch GDT, the straddled time area. */
static u8 vi_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 gdt_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 rw_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static struct xen_vcpu_runstate_info ap_rs;
static struct xen_vcpu_time_info ap_time;

void ap_entry(void);
void ap_main(u32 id) __attribute__((__noreturn__, regparm(1), used));
/* vCPU n starts here with ESI = n. */
asm(".text\n"
    ".globl ap_entry\n"
    "ap_entry:\n"
    "	mov %esi, %eax\n"
    "	call ap_main\n"
    "	ud2\n");

static long register_runstate(u32 vcpu, u32 va)
{
	return vcpu_op(VCPUOP_register_runstate_memory_area, vcpu, &va);
}

static long register_time(u32 vcpu, u32 va)
{
	return vcpu_op(VCPUOP_register_vcpu_time_memory_area, vcpu, &va);
}

void __attribute__((regparm(1))) ap_main(u32 id)
{
	u32 i;

	if (id == 1) {
		if (register_runstate(1, (u32)&ap_rs) || register_time(1, (u32)&ap_time))
			ap_bad++;
	}
	for (;;) {
		ap_spins[id]++;
		if (id != 1)
			continue;
		if (xen_version(XENVER_version, NULL) <= 0)
			ap_bad++;
		set_timer_op(0);
		if (ap_cmd == 1) {
			/* vCPU 0 down and up again, 50 times. */
			for (i = 0; i < 50; i++) {
				if (vcpu_op(VCPUOP_down, 0, NULL) || vcpu_op(VCPUOP_up, 0, NULL))
					ap_bad++;
			}
			ap_cmd = 0;
			ap_done = 1;
		}
	}
}

static long start_ap(u32 id)
{
	vcpu_stack(id, ap_stack[id - 1], sizeof(ap_stack[0]));
	memset(&ctx, 0, sizeof(ctx));
	ctx.flags = VGCF_in_kernel;
	ctx.user_regs.eip = (u32)ap_entry;
	ctx.user_regs.esp = (u32)(ap_stack[id - 1] + sizeof(ap_stack[0]));
	ctx.user_regs.esi = id;
	ctx.user_regs.cs = FLAT_RING1_CS;
	ctx.user_regs.ss = FLAT_RING1_DS;
	ctx.user_regs.ds = FLAT_RING1_DS;
	ctx.user_regs.es = FLAT_RING1_DS;
	ctx.user_regs.eflags = 0x2;
	ctx.kernel_ss = FLAT_RING1_DS;
	ctx.kernel_sp = ctx.user_regs.esp;
	ctx.ctrlreg[3] = XEN_PFN_TO_CR3(va_to_mfn((void *)start_info->pt_base));
	return vcpu_op(VCPUOP_initialise, id, &ctx);
}

static int spinning(u32 id)
{
	u32 before = ap_spins[id];
	u64 end = now_ns() + WAIT_NS;

	while (ap_spins[id] == before && now_ns() < end)
		sched_op(SCHEDOP_yield, NULL);
	return ap_spins[id] != before;
}

static long reg_vi(u32 vcpu, u64 mfn, u32 offset)
{
	struct xen_vcpu_register_vcpu_info info = { mfn, offset, 0 };

	return vcpu_op(VCPUOP_register_vcpu_info, vcpu, &info);
}

/* The VA of the guest's L1 table that maps va (pt_base's tree, walked by the M2P). */
static u32 l1_va_of(const void *va)
{
	const u64 *l3 = (const u64 *)start_info->pt_base;
	const u64 *l2 = mfn_to_va(l3[(u32)va >> 30] >> 12 & 0xFFFFFF);

	return (u32)mfn_to_va(l2[((u32)va >> 21) & 511] >> 12 & 0xFFFFFF);
}

static void vcpu_info(void)
{
	u32 nr = start_info->nr_pages, l3 = va_to_mfn((void *)start_info->pt_base);
	u32 l1 = va_to_mfn((void *)l1_va_of(vi_page)), vi = va_to_mfn(vi_page);
	u32 gdt = va_to_mfn(gdt_page), frames[1] = { gdt };
	struct mmuext_op op;
	u32 done;

	CHECK_EQ(reg_vi(1, ~0ull, 0), -XEN_EINVAL, "vcpu_info_mfn_wraps_einval");
	CHECK_EQ(reg_vi(1, 1ull << 40, 0), -XEN_EINVAL, "vcpu_info_huge_mfn_einval");
	CHECK_EQ(reg_vi(1, vi, 4096), -XEN_EINVAL, "vcpu_info_offset_4096_einval");
	CHECK_EQ(reg_vi(1, vi, 4096 - 32), -XEN_ENXIO, "vcpu_info_crossing_frame_enxio");
	CHECK_EQ(reg_vi(1, vi, 2), -XEN_ENXIO, "vcpu_info_unaligned_enxio");
	CHECK_EQ(reg_vi(1, nr, 0), -XEN_EINVAL, "vcpu_info_on_shared_info_einval");
	CHECK_EQ(reg_vi(1, nr + 1, 0), -XEN_EINVAL, "vcpu_info_on_grant_frame_einval");
	CHECK_EQ(reg_vi(1, 0xF0000, 0), -XEN_EINVAL, "vcpu_info_on_hypervisor_frame_einval");
	CHECK_EQ(reg_vi(1, l3, 0), -XEN_EACCES, "vcpu_info_on_l3_eacces");
	CHECK_EQ(reg_vi(1, l1, 0), -XEN_EACCES, "vcpu_info_on_l1_eacces");
	/* A GDT frame: read-only mapping, empty descriptors. */
	memset(gdt_page, 0, PAGE_SIZE);
	CHECK(update_va_mapping((u32)gdt_page, ((u64)gdt << 12) | PTE_KERNEL_RO, UVMF_INVLPG) == 0 &&
	      hypercall(__HYPERVISOR_set_gdt, frames, 16, 0, 0, 0) == 0, "set_gdt_scratch");
	CHECK_EQ(reg_vi(1, gdt, 0), -XEN_EACCES, "vcpu_info_on_gdt_frame_eacces");

	CHECK_EQ(reg_vi(1, vi, 64), 0, "vcpu_info_vcpu1_down_accepted");
	CHECK_EQ(reg_vi(1, vi, 128), -XEN_EBUSY, "vcpu_info_twice_ebusy");
	/* Retyping the frame: no writable mapping left, still no L1, no GDT. */
	CHECK(update_va_mapping((u32)vi_page, ((u64)vi << 12) | PTE_KERNEL_RO, UVMF_INVLPG) == 0,
	      "vcpu_info_frame_mapped_read_only");
	op = (struct mmuext_op){ MMUEXT_PIN_L1_TABLE, vi, 0 };
	CHECK(mmuext_op(&op, 1, &done, DOMID_SELF) < 0, "vcpu_info_frame_cannot_be_pinned_l1");
	frames[0] = vi;
	CHECK(hypercall(__HYPERVISOR_set_gdt, frames, 16, 0, 0, 0) < 0,
	      "vcpu_info_frame_cannot_be_gdt");
	update_va_mapping((u32)vi_page, ((u64)vi << 12) | PTE_KERNEL_RW, UVMF_INVLPG);

	/* vCPU 2 up: someone else's running vCPU. */
	CHECK(start_ap(2) == 0 && vcpu_op(VCPUOP_up, 2, NULL) == 0 && spinning(2), "vcpu2_up");
	CHECK_EQ(reg_vi(2, vi, 256), -XEN_EINVAL, "vcpu_info_other_running_vcpu_einval");
	CHECK_EQ(start_ap(2), -XEN_EEXIST, "initialise_running_vcpu_eexist");
}

/* Read-only memory the hypervisor must not write through an area. */
static u8 snap_l3[64], snap_l1[64], snap_m2p[64];
#define M2P_VA	XEN_MACH2PHYS_VIRT_START

static void snapshot(void)
{
	memcpy(snap_l3, (void *)start_info->pt_base, 64);
	memcpy(snap_l1, (void *)l1_va_of(rw_page), 64);
	memcpy(snap_m2p, (void *)M2P_VA, 64);
}

static int unchanged(void)
{
	int ok = memcmp(snap_l3, (void *)start_info->pt_base, 64) == 0;

	ok &= memcmp(snap_l1, (void *)l1_va_of(rw_page), 64) == 0;
	ok &= memcmp(snap_m2p, (void *)M2P_VA, 64) == 0;
	return ok;
}

/* Exits that update the time record and the runstate: yields, timers. */
static void churn(void)
{
	u32 i;

	for (i = 0; i < 20; i++) {
		sched_op(SCHEDOP_yield, NULL);
		set_timer_op(now_ns() + 100000);
		xen_version(XENVER_version, NULL);
	}
	set_timer_op(0);
}

static void time_area(void)
{
	u32 l1 = l1_va_of(rw_page);

	snapshot();
	CHECK_EQ(register_time(0, M2P_VA - 16), -XEN_EFAULT, "time_area_reaching_hole_efault");
	CHECK_EQ(register_time(0, 0xFFFFFFF0), -XEN_EFAULT, "time_area_wrapping_efault");
	CHECK_EQ(register_time(0, M2P_VA - 32), 0, "time_area_last_fit_accepted");
	CHECK_EQ(register_time(0, start_info->pt_base), 0, "time_area_on_l3_accepted");
	churn();
	CHECK(unchanged(), "time_area_on_l3_never_written");
	/* The rw page, then l1's read-only page: straddling when they are adjacent. */
	CHECK_EQ(register_time(0, l1 - 16), 0, "time_area_straddling_into_l1_accepted");
	churn();
	CHECK(unchanged(), "time_area_straddling_l1_never_written");
	CHECK_EQ(register_time(0, 0), 0, "time_area_stopped");
}

/* Whether VA 0 is mapped (the wrapped end of a 0xFFFFFFF0 area). */
static int va0_mapped(void)
{
	const u64 *l3 = (const u64 *)start_info->pt_base;
	const u64 *l2, *l1;

	if (!(l3[0] & PTE_P))
		return 0;
	l2 = mfn_to_va(l3[0] >> 12 & 0xFFFFFF);
	if (!(l2[0] & PTE_P))
		return 0;
	l1 = mfn_to_va(l2[0] >> 12 & 0xFFFFFF);
	return l1[0] & PTE_P;
}

static void runstate(void)
{
	const u8 *volatile zero = NULL;	/* VA 0, opaque to the compiler */
	u8 va0[32];
	int low = va0_mapped();

	if (low)
		memcpy(va0, zero, sizeof(va0));
	snapshot();
	CHECK_EQ(register_runstate(0, start_info->pt_base), 0, "runstate_on_l3_accepted");
	churn();
	CHECK_EQ(register_runstate(0, M2P_VA), 0, "runstate_on_m2p_accepted");
	churn();
	CHECK_EQ(register_runstate(0, 0xFFFFFFF0), 0, "runstate_wrapping_accepted");
	churn();
	CHECK(unchanged(), "runstate_read_only_memory_never_written");
	CHECK(!low || memcmp(va0, zero, sizeof(va0)) == 0, "runstate_wrap_never_reaches_va_0");
	CHECK_EQ(register_runstate(0, 0), 0, "runstate_stopped");
}

static void updown(void)
{
	u32 i, bad = 0;
	u64 end;

	CHECK(start_ap(1) == 0 && vcpu_op(VCPUOP_up, 1, NULL) == 0 && spinning(1), "vcpu1_up");
	for (i = 0; i < 200; i++) {
		if (vcpu_op(VCPUOP_down, 1, NULL) || start_ap(1) != -XEN_EEXIST ||
		    reg_vi(1, va_to_mfn(vi_page), 0) != -XEN_EBUSY ||
		    vcpu_op(VCPUOP_up, 1, NULL))
			bad++;
	}
	CHECK(bad == 0 && spinning(1) && ap_bad == 0, "vcpu1_down_up_200_while_in_hypercalls");
	ap_cmd = 1;
	end = now_ns() + 6 * WAIT_NS;
	while (!ap_done && now_ns() < end)
		sched_op(SCHEDOP_yield, NULL);
	CHECK(ap_done && ap_bad == 0 && spinning(1) && spinning(2),
	      "vcpu0_taken_down_and_up_50_by_vcpu1");
	CHECK(ap_rs.state == RUNSTATE_running || ap_rs.state == RUNSTATE_runnable,
	      "vcpu1_runstate_area_kept");
}

void test_main(void)
{
	test_plan(40);
	CHECK(map_shared_info() != NULL, "setup");
	if (vcpu_op(VCPUOP_is_up, 2, NULL) < 0) {
		test_diag("needs 3 vCPUs (--vcpus 3)");
		return;
	}
	vcpu_info();
	time_area();
	runstate();
	updown();
	/* Leave vCPUs 1 and 2 down so the guest's end is orderly. */
	vcpu_op(VCPUOP_down, 1, NULL);
	vcpu_op(VCPUOP_down, 2, NULL);
	CHECK_EQ(read_cs(), FLAT_RING1_CS, "back_in_ring1");
}
