// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the locking rules (Documentation/design.rst,
 * Concurrency): bounded work per VM-lock hold for every loop over a
 * guest-supplied count (continuations without any host preemption),
 * VCPUOP_initialise against PVMX_SET_REGS (regs_busy), cross-vCPU
 * requests done by the target itself, and the hypercalls that run without
 * the VM lock (hypercall.c's table).
 */
#include "harness.h"
#include "fixture.h"
#include "unit_tests.h"

#define XEN_ERR(e)	((u32)-(e))
#define LIST_VA		0x200000u	/* request lists: up to 16 KiB */
#define DONE_VA		0x208000u
#define CTX		0x20C000u	/* a vcpu_guest_context */
#define ARG		0x210000u
#define BIG		300u		/* > 2 * PVMX_HOLD_BUDGET */

static void wr64(u64 gpa, u64 v)
{
	memcpy(fx_gpa(gpa), &v, 8);
}

static u32 rd32(u64 gpa)
{
	u32 v;

	memcpy(&v, fx_gpa(gpa), 4);
	return v;
}

/* Re-issue a preempted hypercall until it completes; returns the re-issues. */
static u32 finish(void)
{
	u32 rounds = 0;

	while (fx.v.cpu.eip == 0x1000 && rounds++ < 1000)
		pvmx_hypercall(&fx.v, 2);
	return rounds;
}

static u32 m2p[FX_RAM_FRAMES];

static void use_m2p(void)
{
	memset(m2p, 0, sizeof(m2p));
	fx.vm.m2p = m2p;
	fx.vm.nr_m2p = FX_RAM_FRAMES;
}

static void drop_m2p(void)
{
	fx.vm.m2p = NULL;
	fx.vm.nr_m2p = 0;
}

static void mmu_update_bounded_per_hold(void)
{
	u32 i;

	use_m2p();
	pvmx_cycle_stats = true;	/* the holds are timed (lock_hold_max_us) */
	/* M2P updates: cheap, always valid, so only the budget can stop them. */
	for (i = 0; i < BIG; i++) {
		wr64(LIST_VA + i * 16, ((u64)(0x40 + i) << 12) | MMU_MACHPHYS_UPDATE);
		wr64(LIST_VA + i * 16 + 8, 0x1000 + i);
	}
	fx_hypercall(__HYPERVISOR_mmu_update, LIST_VA, BIG, DONE_VA, DOMID_SELF, 0);
	CHECK_EQ(fx.v.cpu.eip, 0x1000);			/* continued, not finished */
	CHECK_EQ(rd32(DONE_VA), PVMX_HOLD_BUDGET);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EBX], LIST_VA + PVMX_HOLD_BUDGET * 16);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ECX], (BIG - PVMX_HOLD_BUDGET) | MMU_UPDATE_PREEMPTED);
	CHECK_EQ(fx.vm.m2p[0x40 + PVMX_HOLD_BUDGET - 1], 0x1000 + PVMX_HOLD_BUDGET - 1);
	CHECK(fx.vm.m2p[0x40 + PVMX_HOLD_BUDGET] != 0x1000 + PVMX_HOLD_BUDGET);
	CHECK_EQ(finish(), BIG / PVMX_HOLD_BUDGET);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(rd32(DONE_VA), BIG);
	CHECK_EQ(fx.vm.m2p[0x40 + BIG - 1], 0x1000 + BIG - 1);
	CHECK_EQ(fx.v.stats.continuations, BIG / PVMX_HOLD_BUDGET);
	CHECK(fx.lock_held_max > 0);
	pvmx_cycle_stats = false;
	drop_m2p();
}

static void mmuext_op_bounded_per_hold(void)
{
	struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
	u32 i;

	for (i = 0; i < BIG; i++)
		memcpy(fx_gpa(LIST_VA + i * sizeof(op)), &op, sizeof(op));
	fx_hypercall(__HYPERVISOR_mmuext_op, LIST_VA, BIG, DONE_VA, DOMID_SELF, 0);
	CHECK_EQ(fx.v.cpu.eip, 0x1000);
	CHECK_EQ(rd32(DONE_VA), PVMX_HOLD_BUDGET);
	CHECK_EQ(finish(), BIG / PVMX_HOLD_BUDGET);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(rd32(DONE_VA), BIG);
}

static void multicall_bounded_per_hold(void)
{
	u32 e[8], i;

	for (i = 0; i < BIG; i++) {
		memset(e, 0, sizeof(e));
		e[0] = __HYPERVISOR_xen_version;	/* XENVER_version */
		e[1] = 0xDEAD;
		memcpy(fx_gpa(LIST_VA + i * 32), e, sizeof(e));
	}
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, BIG, 0, 0, 0);
	CHECK_EQ(fx.v.cpu.eip, 0x1000);
	CHECK_EQ(rd32(LIST_VA + (PVMX_HOLD_BUDGET - 1) * 32 + 4),
		 (PVMX_XEN_MAJOR << 16) | PVMX_XEN_MINOR);
	CHECK_EQ(rd32(LIST_VA + PVMX_HOLD_BUDGET * 32 + 4), 0xDEAD);
	CHECK_EQ(finish(), BIG / PVMX_HOLD_BUDGET);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(rd32(LIST_VA + (BIG - 1) * 32 + 4), (PVMX_XEN_MAJOR << 16) | PVMX_XEN_MINOR);
}

/* A multicall of mmu_updates: the entries' items count against the same hold. */
static void multicall_shares_the_budget(void)
{
	u32 e[8] = { __HYPERVISOR_mmu_update, 0xDEAD, LIST_VA + 0x1000, 100, DONE_VA,
		     DOMID_SELF };
	u32 i;

	use_m2p();
	for (i = 0; i < 100; i++) {
		wr64(LIST_VA + 0x1000 + i * 16, ((u64)(0x40 + i) << 12) | MMU_MACHPHYS_UPDATE);
		wr64(LIST_VA + 0x1000 + i * 16 + 8, 0x2000 + i);
	}
	memcpy(fx_gpa(LIST_VA), e, sizeof(e));
	memcpy(fx_gpa(LIST_VA + 32), e, sizeof(e));
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, 2, 0, 0, 0);
	/* Entry 0's 100 items, then the 2nd entry gets 127 - 100 more... */
	CHECK_EQ(fx.v.cpu.eip, 0x1000);
	CHECK_EQ(rd32(LIST_VA + 4), 0);
	CHECK(finish() >= 1);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(rd32(LIST_VA + 32 + 4), 0);
	CHECK_EQ(fx.vm.m2p[0x40 + 99], 0x2000 + 99);
	drop_m2p();
}

static struct pvmx_vcpu_core v1;
static struct pvmx_run run1;

static void add_vcpu1(void)
{
	memset(&v1, 0, sizeof(v1));
	memset(&run1, 0, sizeof(run1));
	memset(&fx.context, 0, sizeof(fx.context));
	v1.vm = &fx.vm;
	v1.id = 1;
	v1.run = &run1;
	v1.state = PVMX_VCPU_RUNNABLE;
	pvmx_vcpu_events_init(&v1);
	fx.vm.vcpus[1] = &v1;
}

static void put_context(u32 eip)
{
	struct xen_vcpu_guest_context *c = (void *)fx_gpa(CTX);

	memset(c, 0, sizeof(*c));
	c->flags = VGCF_in_kernel;
	c->user_regs.eip = eip;
	c->user_regs.cs = FLAT_RING1_CS;
	c->user_regs.ss = FLAT_RING1_SS;
	c->kernel_ss = FLAT_RING1_SS;
	c->ctrlreg[3] = XEN_PFN_TO_CR3(FX_L3_GPA >> 12);
}

/*
 * PVMX_SET_REGS (vcpu.c) marks the context busy while it writes it:
 * VCPUOP_initialise neither writes nor fails, it retries (continuation,
 * yielding), and once SET_REGS is done finds the vCPU initialised.
 */
static void initialise_waits_for_set_regs(void)
{
	add_vcpu1();
	put_context(0x4321);
	v1.regs_busy = true;
	v1.cpu.eip = 0xA000;		/* what SET_REGS is writing */
	CHECK_EQ(fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, CTX, 0, 0), PVMX_YIELD);
	CHECK_EQ(fx.v.cpu.eip, 0x1000);			/* re-issued later */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EBX], VCPUOP_initialise);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EDX], CTX);
	CHECK_EQ(v1.cpu.eip, 0xA000);			/* not touched */
	CHECK(!v1.initialised);
	CHECK_EQ(fx.context.loads, 0);
	CHECK_EQ(pvmx_hypercall(&fx.v, 2), PVMX_YIELD);	/* still busy: again */
	/* SET_REGS succeeded: the context is the launcher's, initialise -EEXIST. */
	v1.initialised = true;
	v1.regs_busy = false;
	CHECK_EQ(pvmx_hypercall(&fx.v, 2), PVMX_RESUME);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EEXIST));
	CHECK_EQ(fx.v.cpu.eip, 0x1002);
	CHECK_EQ(v1.cpu.eip, 0xA000);

	/* SET_REGS failed (nothing written): the retry initialises. */
	add_vcpu1();
	v1.regs_busy = true;
	fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, CTX, 0, 0);
	CHECK(!v1.initialised);
	v1.regs_busy = false;
	CHECK_EQ(finish(), 1);
	CHECK_EQ(fx_eax(), 0);
	CHECK(v1.initialised);
	CHECK_EQ(v1.cpu.eip, 0x4321);
	CHECK_EQ(fx.context.loads, 1);
}

/*
 * register_vcpu_info for another vCPU: its int $0x80 gate is rewritten by
 * that vCPU itself before it next enters (it may still be in the guest).
 */
static void register_vcpu_info_of_another_is_a_request(void)
{
	struct xen_vcpu_register_vcpu_info info = { .mfn = 0x230, .offset = 0 };
	int changed, kicks;

	add_vcpu1();
	put_context(0x4321);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_initialise, 1, CTX, 0, 0), PVMX_RESUME);
	CHECK_EQ(fx_eax(), 0);
	changed = fx.traps_changed;
	kicks = fx.kicks;
	memcpy(fx_gpa(ARG), &info, sizeof(info));
	fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 1, ARG, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.traps_changed, changed);		/* not from vCPU 0's thread */
	CHECK(v1.requests & (1u << PVMX_REQ_TRAPS_CHANGED));
	CHECK(fx.kicks > kicks && fx.last_kick == &v1);
	/* Down: nothing done yet; up, at its next entry, by itself. */
	CHECK_EQ(pvmx_prepare_entry(&v1), PVMX_OFFLINE);
	CHECK_EQ(fx.traps_changed, changed);
	v1.up = true;
	v1.new_context = false;
	pvmx_prepare_entry(&v1);
	CHECK_EQ(fx.traps_changed, changed + 1);
	CHECK_EQ(v1.requests, 0);
	pvmx_prepare_entry(&v1);
	CHECK_EQ(fx.traps_changed, changed + 1);	/* once */

	/* Its own: at once. */
	info.mfn = 0x231;
	memcpy(fx_gpa(ARG), &info, sizeof(info));
	fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, ARG, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.traps_changed, changed + 2);
	CHECK_EQ(fx.v.requests, 0);
}

/* ---- hypercalls without the VM lock (design.rst) ------------------------ */

#define STACK_TOP	0x280000u

static void wr32(u32 gpa, u32 v)
{
	memcpy(fx_gpa(gpa), &v, 4);
}

static bool lockfree(u32 op, u32 arg0)
{
	struct pvmx_hcall hc = { .op = op, .arg = { arg0 } };

	return pvmx_hcall_lockfree(&hc);
}

/*
 * The VM lock held by "another vCPU" (the host stand-in aborts when the
 * same thread takes it twice): the lock-free calls must complete without
 * it, and leave it as they found it.
 */
static void lockfree_calls_run_while_the_lock_is_held(void)
{
	spin_lock(&fx.vm.lock);

	CHECK_EQ(fx_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0), PVMX_RESUME);
	CHECK_EQ(fx_eax(), (PVMX_XEN_MAJOR << 16) | PVMX_XEN_MINOR);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_xen_version, XENVER_pagesize, 0, 0, 0, 0), PVMX_RESUME);
	CHECK_EQ(fx_eax(), PVMX_PAGE_BYTES);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_fpu_taskswitch, 1, 0, 0, 0, 0), PVMX_RESUME);
	CHECK(fx.v.fpu_ts);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_set_callbacks, FLAT_RING1_CS, 0x5000,
			      FLAT_RING1_CS, 0x6000, 0), PVMX_RESUME);
	CHECK_EQ(fx.v.event_cb.eip, 0x5000);
	CHECK_EQ(fx.v.failsafe_cb.eip, 0x6000);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_set_debugreg, 0, 0x1234, 0, 0, 0), PVMX_RESUME);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_get_debugreg, 0, 0, 0, 0, 0), PVMX_RESUME);
	CHECK_EQ(fx_eax(), 0x1234);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0), PVMX_YIELD);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_set_timer_op, 0, 0, 0, 0, 0), PVMX_RESUME);
	memset(fx_gpa(ARG), 0, 12);
	wr32(ARG, 0x12345678);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, ARG, 0, 0),
		 PVMX_RESUME);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.timer_deadline, 0x12345678);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 0, 0, 0, 0),
		 PVMX_RESUME);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.timer_deadline, 0);
	memcpy(fx_gpa(ARG), "hi", 2);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 2, ARG, 0, 0),
		 PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.run.console.len, 2);
	CHECK(!memcmp(fx.run.console.data, "hi", 2));

	/* iret to ring 1: the frame is read, the registers restored. */
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP - 16;
	wr32(STACK_TOP - 16, 0xAAAA5555);
	wr32(STACK_TOP - 12, 0x9000);
	wr32(STACK_TOP - 8, FLAT_RING1_CS);
	wr32(STACK_TOP - 4, 0x202);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0), PVMX_RESUME);
	CHECK_EQ(fx_eax(), 0xAAAA5555);
	CHECK_EQ(fx.v.cpu.eip, 0x9000);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], STACK_TOP);

	CHECK(spin_is_locked(&fx.vm.lock));
	CHECK(!fx.v.hc_locked);
	spin_unlock(&fx.vm.lock);
}

/* What the table must keep under the lock: guest writes and VM-wide state. */
static void calls_that_write_or_share_take_the_lock(void)
{
	static const u32 locked[] = {
		__HYPERVISOR_set_trap_table, __HYPERVISOR_mmu_update, __HYPERVISOR_set_gdt,
		__HYPERVISOR_stack_switch, __HYPERVISOR_update_descriptor,
		__HYPERVISOR_memory_op, __HYPERVISOR_multicall, __HYPERVISOR_update_va_mapping,
		__HYPERVISOR_event_channel_op_compat, __HYPERVISOR_grant_table_op,
		__HYPERVISOR_vm_assist, __HYPERVISOR_mmuext_op,
		__HYPERVISOR_event_channel_op, __HYPERVISOR_physdev_op,
		__HYPERVISOR_physdev_op_compat, __HYPERVISOR_update_va_mapping_otherdomain,
	};
	u32 i, sub;

	for (i = 0; i < ARRAY_SIZE(locked); i++)
		for (sub = 0; sub < 40; sub++)
			CHECK(!lockfree(locked[i], sub));
	/* Sub-ops that write guest memory or block. */
	for (sub = XENVER_extraversion; sub <= XENVER_commandline; sub++)
		CHECK_EQ(lockfree(__HYPERVISOR_xen_version, sub), sub == XENVER_pagesize);
	CHECK(!lockfree(__HYPERVISOR_xen_version, 32));
	CHECK(!lockfree(__HYPERVISOR_sched_op, SCHEDOP_block));
	CHECK(!lockfree(__HYPERVISOR_sched_op, SCHEDOP_poll));
	CHECK(!lockfree(__HYPERVISOR_sched_op, SCHEDOP_shutdown));
	CHECK(!lockfree(__HYPERVISOR_sched_op_compat, SCHEDOP_block));
	for (sub = 0; sub < 40; sub++)
		CHECK_EQ(lockfree(__HYPERVISOR_vcpu_op, sub),
			 sub == VCPUOP_set_singleshot_timer || sub == VCPUOP_stop_singleshot_timer);
	CHECK(lockfree(__HYPERVISOR_iret, 0x12345678));

	/* A locked call releases the lock; so does a lock-free one that took it. */
	CHECK_EQ(fx_hypercall(__HYPERVISOR_xen_version, XENVER_extraversion, ARG, 0, 0, 0),
		 PVMX_RESUME);
	CHECK_EQ(fx_eax(), 0);
	CHECK(!spin_is_locked(&fx.vm.lock) && !fx.v.hc_locked);
	/* iret to an unloadable CS: the failsafe frame is written under the lock. */
	fx.v.failsafe_cb = (struct pvmx_callback){ 0x6000, FLAT_RING1_CS, true };
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP - 16;
	wr32(STACK_TOP - 16, 0);
	wr32(STACK_TOP - 12, 0x9000);
	wr32(STACK_TOP - 8, 0x0069);		/* RPL 1, no such descriptor */
	wr32(STACK_TOP - 4, 0x202);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, 0x6000);
	CHECK_EQ(rd32(STACK_TOP - 12), 0x9000);
	CHECK(!spin_is_locked(&fx.vm.lock) && !fx.v.hc_locked);
}

const struct unit_test locking_tests[] = {
	UNIT_TEST(mmu_update_bounded_per_hold),
	UNIT_TEST(mmuext_op_bounded_per_hold),
	UNIT_TEST(multicall_bounded_per_hold),
	UNIT_TEST(multicall_shares_the_budget),
	UNIT_TEST(initialise_waits_for_set_regs),
	UNIT_TEST(register_vcpu_info_of_another_is_a_request),
	UNIT_TEST(lockfree_calls_run_while_the_lock_is_held),
	UNIT_TEST(calls_that_write_or_share_take_the_lock),
	{ NULL, NULL },
};
