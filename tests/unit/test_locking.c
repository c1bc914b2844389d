// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the locking rules (Documentation/design.rst,
 * Concurrency): bounded work per VM-lock hold for every loop over a
 * guest-supplied count (continuations without any host preemption),
 * VCPUOP_initialise against PVMX_SET_REGS (regs_busy), cross-vCPU
 * requests done by the target itself, the hypercalls that run without
 * the VM lock (hypercall.c's table), and the lock asserts
 * (lockdep_assert_held(): the host stand-in traps).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
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
	fx_add_vcpu(&v1, &run1, 1);
	memset(&fx.context, 0, sizeof(fx.context));
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

/* The hypercalls the table keeps under the lock, whatever the sub-op, and their handlers. */
static const struct {
	u32 op;
	const char *handler;
} locked[] = {
	{ __HYPERVISOR_set_trap_table, "do_set_trap_table" },
	{ __HYPERVISOR_mmu_update, "do_mmu_update" },
	{ __HYPERVISOR_set_gdt, "do_set_gdt" },
	{ __HYPERVISOR_stack_switch, "do_stack_switch" },
	{ __HYPERVISOR_update_descriptor, "do_update_descriptor" },
	{ __HYPERVISOR_memory_op, "do_memory_op" },
	{ __HYPERVISOR_multicall, "do_multicall" },
	{ __HYPERVISOR_update_va_mapping, "do_update_va_mapping" },
	{ __HYPERVISOR_event_channel_op_compat, "do_event_channel_op_compat" },
	{ __HYPERVISOR_grant_table_op, "do_grant_table_op" },
	{ __HYPERVISOR_vm_assist, "do_vm_assist" },
	{ __HYPERVISOR_mmuext_op, "do_mmuext_op" },
	{ __HYPERVISOR_event_channel_op, "do_event_channel_op" },
	{ __HYPERVISOR_physdev_op, "do_physdev_op" },
	{ __HYPERVISOR_physdev_op_compat, "do_physdev_op_compat" },
	{ __HYPERVISOR_update_va_mapping_otherdomain, "do_update_va_mapping_otherdomain" },
};

/* What the table must keep under the lock: guest writes and VM-wide state. */
static void calls_that_write_or_share_take_the_lock(void)
{
	u32 i, sub;

	for (i = 0; i < ARRAY_SIZE(locked); i++)
		for (sub = 0; sub < 40; sub++)
			CHECK(!lockfree(locked[i].op, sub));
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

/* ---- the lock asserts (lockdep_assert_held(), core_env_host.h) ----------- */

/*
 * Runs fn(arg) in a child: whether it died of the host stand-in's trap
 * (SIGILL, __builtin_trap()) after naming func as the function that found
 * the VM lock not held by its thread (lockdep_assert_held(), or a
 * lockdep_assert() of lockdep_is_held()).  func NULL: whether the child
 * ran fn(arg) to its end instead.
 */
static bool child_traps(void (*fn)(u32 arg), u32 arg, const char *func)
{
	static const struct rlimit no_core;
	char out[512] = "", want[128];
	int fds[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		return false;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	while (got < sizeof(out) - 1 && (n = read(fds[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += n;
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	if (!func)
		return WIFEXITED(status) && WEXITSTATUS(status) == 0;
	snprintf(want, sizeof(want), "pvmx: %s: ", func);
	if (!strstr(out, want) ||
	    (!strstr(out, "VM lock not held") && !strstr(out, "lockdep_is_held(&v->vm->lock)")))
		printf("#   %s: the child said \"%s\"\n", func, out);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGILL && strstr(out, want) &&
	       (strstr(out, "VM lock not held") || strstr(out, "lockdep_is_held(&v->vm->lock)"));
}

/* A hypercall as a multicall entry runs it: pvmx_dispatch(), the lock not taken. */
static void dispatch_unlocked(u32 op)
{
	struct pvmx_hcall hc = { .op = op };

	pvmx_dispatch(&fx.v, &hc);
}

/* The same, with arg[0] a sub-op the table keeps under the lock. */
static void vcpu_op_up_unlocked(u32 target)
{
	struct pvmx_hcall hc = { .op = __HYPERVISOR_vcpu_op, .arg = { VCPUOP_up, target } };

	pvmx_dispatch(&fx.v, &hc);
}

static void sched_op_unlocked(u32 cmd)
{
	struct pvmx_hcall hc = { .op = __HYPERVISOR_sched_op, .arg = { cmd, ARG } };

	pvmx_dispatch(&fx.v, &hc);
}

/* Core functions others call with the lock held, called without it. */
static void exception_unlocked(u32 vector)
{
	pvmx_deliver_exception_locked(&fx.v, vector, true, 0);
}

static void db_unlocked(u32 pending)
{
	pvmx_deliver_db_locked(&fx.v, pending);
}

static void upcall_unlocked(u32 unused)
{
	pvmx_deliver_upcall(&fx.v);
}

static void async_events_unlocked(u32 unused)
{
	pvmx_apply_async_events(&fx.v);
}

static void requests_unlocked(u32 unused)
{
	pvmx_process_requests(&fx.v);
}

static void page_type_unlocked(u32 mfn)
{
	pvmx_get_page_type(&fx.vm, mfn, PVMX_PGT_WRITABLE);
}

static void boot_baseptr_unlocked(u32 cr3)
{
	pvmx_mm_boot_baseptr(&fx.v, cr3);
}

static void set_ldt_unlocked(u32 va)
{
	pvmx_set_ldt(&fx.v, va, 1);
}

static void guest_write_unlocked(u32 va)
{
	pvmx_copy_to_guest(&fx.v, va, &va, sizeof(va));
}

/* The lock held, but by another thread: not this thread's to rely on. */
static void *hold_lock(void *unused)
{
	spin_lock(&fx.vm.lock);
	return NULL;
}

static void exception_other_thread_holds(u32 vector)
{
	pthread_t t;

	if (pthread_create(&t, NULL, hold_lock, NULL) || pthread_join(t, NULL))
		_exit(2);
	exception_unlocked(vector);
}

/* The same calls with the lock: they run to their end. */
static void exception_locked(u32 vector)
{
	fx_locked(pvmx_deliver_exception_locked(&fx.v, vector, true, 0));
}

static void hypercall_locked(u32 op)
{
	struct pvmx_hcall hc = { .op = op };

	fx_locked(pvmx_dispatch(&fx.v, &hc));
}

/*
 * Every kind of function that needs the VM lock asserts it, and the host
 * stand-in makes a call without it (or with another thread's) trap: the
 * unit tests and fuzzers check the rule, not only the comments.
 */
static void lock_asserts_trap_without_the_lock(void)
{
	u32 i;

	fx.v.trap_ctxt[PVMX_TRAP_GP] = (struct pvmx_trap_entry){ 0x5000, FLAT_RING1_CS, 0 };
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
	/* The handler of every hypercall the table runs locked. */
	for (i = 0; i < ARRAY_SIZE(locked); i++)
		CHECK(child_traps(dispatch_unlocked, locked[i].op, locked[i].handler));
	/* Sub-ops the table keeps locked in calls it runs without the lock otherwise. */
	add_vcpu1();
	CHECK(child_traps(vcpu_op_up_unlocked, 1, "do_vcpu_op"));
	CHECK(child_traps(sched_op_unlocked, SCHEDOP_block, "sched_block"));
	CHECK(child_traps(sched_op_unlocked, SCHEDOP_poll, "sched_poll"));
	/* The core's own callers' entry points (bounces, the entry work, mm, desc). */
	CHECK(child_traps(exception_unlocked, PVMX_TRAP_GP, "pvmx_deliver_exception_locked"));
	CHECK(child_traps(db_unlocked, 1, "pvmx_deliver_db_locked"));
	CHECK(child_traps(upcall_unlocked, 0, "pvmx_deliver_upcall"));
	CHECK(child_traps(async_events_unlocked, 0, "pvmx_apply_async_events"));
	CHECK(child_traps(requests_unlocked, 0, "pvmx_process_requests"));
	CHECK(child_traps(page_type_unlocked, 0x40, "pvmx_get_page_type"));
	CHECK(child_traps(boot_baseptr_unlocked, FX_L3_GPA, "pvmx_mm_boot_baseptr"));
	CHECK(child_traps(set_ldt_unlocked, 0x40000, "pvmx_set_ldt"));
	/* A guest write (gmem.c). */
	CHECK(child_traps(guest_write_unlocked, ARG, "guest_access"));
	/* Held, but by another thread. */
	CHECK(child_traps(exception_other_thread_holds, PVMX_TRAP_GP,
			  "pvmx_deliver_exception_locked"));

	/* With the lock: no trap, and the lock-free calls need none. */
	CHECK(child_traps(exception_locked, PVMX_TRAP_GP, NULL));
	for (i = 0; i < ARRAY_SIZE(locked); i++)
		CHECK(child_traps(hypercall_locked, locked[i].op, NULL));
	CHECK(child_traps(dispatch_unlocked, __HYPERVISOR_set_callbacks, NULL));
	CHECK(child_traps(dispatch_unlocked, __HYPERVISOR_iret, NULL));
	CHECK(child_traps(sched_op_unlocked, SCHEDOP_yield, NULL));
	CHECK(!spin_is_locked(&fx.vm.lock));
}

/*
 * The lookups a vCPU's own thread makes without the lock (descriptors,
 * selectors, translations, guest reads) take no reference and map nothing:
 * run without the lock, where taking a page-type reference would trap
 * (pvmx_get_page_type() asserts the lock), they leave the frame table and
 * the descriptor tables as they were.  An LDT page not mapped yet is read
 * where mapping it would read it.
 */
#define LDT_VA		0x240000u
/* LDT entry 1: a flat ring-1 data segment, accessed (the check keeps it as it is). */
static const u64 desc_at_ldt_1 = 0x00CFB3000000FFFFULL;

static void lookups_unlocked(u32 unused)
{
	struct pvmx_frame frames[FX_RAM_FRAMES];
	struct pvmx_desc_tables desc = fx.v.desc;
	u64 d, gpa, where[3];
	u8 buf[X86_MAX_INSN_LEN];
	u32 word;
	bool ok;

	memcpy(frames, fx.frame_table, sizeof(frames));
	ok = !pvmx_read_descriptor(&fx.v, 1 << 3 | 4, &d) && d == desc_at_ldt_1 &&
	     !pvmx_read_descriptor(&fx.v, FLAT_RING1_CS, &d) && (d & BIT_ULL(47)) &&
	     pvmx_selector_usable(&fx.v, 1 << 3 | 5, PVMX_SEG_STACK) &&
	     !pvmx_gva_to_gpa(&fx.v, ARG, true, &gpa) && gpa == ARG &&
	     !pvmx_l1e_gpa(&fx.v, ARG, &gpa) &&
	     !pvmx_copy_from_guest(&fx.v, &word, ARG, sizeof(word)) &&
	     !pvmx_copy_from_guest_page(&fx.v, &word, ARG, sizeof(word), where) &&
	     pvmx_check_user_access(&fx.v, ARG, 4, false) == -XEN_EFAULT &&	/* no U/S */
	     pvmx_insn_fetch(&fx.v, 0x1000, buf) == X86_MAX_INSN_LEN &&
	     pvmx_vcpu_info(&fx.v) == &fx.vm.shared_info->vcpu_info[0];
	ok = ok && !memcmp(frames, fx.frame_table, sizeof(frames)) &&
	     !memcmp(&desc, &fx.v.desc, sizeof(desc)) && !spin_is_locked(&fx.vm.lock);
	_exit(ok ? 0 : 1);
}

static void lookups_take_nothing_without_the_lock(void)
{
	memset(fx_gpa(LDT_VA), 0, 4096);
	memcpy(fx_gpa(LDT_VA + 8), &desc_at_ldt_1, 8);
	/* Mapped read-only, as a guest maps its LDT: no writable type on it. */
	fx_hypercall(__HYPERVISOR_update_va_mapping, LDT_VA, LDT_VA | PVMX_PTE_P | PVMX_PTE_A, 0,
		     UVMF_INVLPG, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx_locked(pvmx_set_ldt(&fx.v, LDT_VA, 2)), 0);
	CHECK_EQ(fx.v.desc.ldt_mapped, 0);
	CHECK(child_traps(lookups_unlocked, 0, NULL));
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
	UNIT_TEST(lock_asserts_trap_without_the_lock),
	UNIT_TEST(lookups_take_nothing_without_the_lock),
	{ NULL, NULL },
};
