// SPDX-License-Identifier: GPL-2.0
/*
 * SMP (Documentation/guest-abi.rst "vcpu_op"): vCPU 0 starts vCPU 1 with
 * VCPUOP_initialise (its own stack and entry, our page tables) and
 * VCPUOP_up; vCPU 1 reports through shared memory and an IPI event channel
 * bound to vCPU 0, waits in SCHEDOP_poll for an IPI back, then spins on
 * CPUID (exits the run loop's fast path handles).
 * VCPUOP_down stops it, VCPUOP_up lets it go on where it was, and it can
 * take itself down.  Bad contexts are refused with Xen's errors,
 * initialising twice is -EEXIST, vCPU ids past the VM's are -ENOENT.
 * Each vCPU reads the time from its own vcpu_info (the runtime knows vCPU
 * 1 by its stack, vcpu_stack()): vCPU 1's smp_id() is 1, its now_ns()
 * agrees with vCPU 0's, and its record advances as it runs.
 *
 * Run with `pvmx run --vcpus 2`.  With `--cmdline vcpus=1` (and --vcpus 1)
 * it checks Xen's answer for a vCPU the VM does not have: -ENOENT.
 *
 * With `--cmdline pingpong=N` (and --vcpus 2) it is a load for stress.sh:
 * vCPU 1 comes up and the two vCPUs bounce N IPIs back and forth, each
 * making hypercalls between them, so both stay busy; vCPU 1 is still
 * running when the VM shuts down.
 */
#include "runtime.h"

#define AP_ESI_MAGIC	0x5a5a1234u
#define WAIT_NS		2000000000ULL

static u8 ap_stack[8192] __attribute__((aligned(16)));
static volatile u32 ap_stage, ap_esi, ap_entry_esp, ap_pings, ap_spins, ap_cmd;
static volatile long ap_down_ret = 12345, ap_timer_bind = 12345;
static volatile u32 ap_timer_port, ap_timer_fired;
static volatile u32 ap_id = ~0u;
static volatile u64 ap_now;
static u32 port_to_0, port_to_1;
static struct xen_vcpu_guest_context ctx;
static volatile u32 pp_rounds, pp_ap_answers;

void ap_entry(void);
void ap_main(void) __attribute__((__noreturn__, used));

/* vCPU 1 starts here: ESI and ESP as the context gave them. */
asm(".text\n"
    ".globl ap_entry\n"
    "ap_entry:\n"
    "	movl %esi, ap_esi\n"
    "	movl %esp, ap_entry_esp\n"
    "	call ap_main\n"
    "	ud2\n");

static void poll_port(u32 port, u64 timeout)
{
	struct xen_sched_poll p = { (u32)&port, 1, timeout };

	sched_op(SCHEDOP_poll, &p);
}

/* Work between two IPIs: hypercalls whose results are known. */
static u32 pp_work(void)
{
	u32 i, bad = 0;

	for (i = 0; i < 8; i++)
		if (xen_version(XENVER_version, NULL) <= 0)
			bad++;
	return bad;
}

static volatile u32 pp_ap_bad;

/* vCPU 1 in pingpong mode: answer every IPI from vCPU 0 after some work. */
static void __attribute__((__noreturn__)) ap_pingpong(void)
{
	for (;;) {
		while (!test_bit(shared_info->evtchn_pending, port_to_1))
			poll_port(port_to_1, 0);
		clear_bit(shared_info->evtchn_pending, port_to_1);
		pp_ap_bad += pp_work();
		pp_ap_answers++;
		evtchn_simple(EVTCHNOP_send, port_to_0);
	}
}

static struct evtchn_bind_virq ap_virq = { VIRQ_TIMER, 1, 0 };

void ap_main(void)
{
	ap_stage = 1;
	evtchn_simple(EVTCHNOP_send, port_to_0);
	if (pp_rounds)
		ap_pingpong();
	/* Block until vCPU 0 sends the IPI bound to us. */
	while (!test_bit(shared_info->evtchn_pending, port_to_1))
		poll_port(port_to_1, 0);
	clear_bit(shared_info->evtchn_pending, port_to_1);
	printf("# smp: vCPU 1 got the IPI\n");
	/* Its own VIRQ_TIMER (the default 10 ms periodic timer) fires for it. */
	ap_timer_bind = evtchn_op(EVTCHNOP_bind_virq, &ap_virq);
	if (!ap_timer_bind) {
		ap_timer_port = ap_virq.port;
		while (!test_bit(shared_info->evtchn_pending, ap_timer_port))
			poll_port(ap_timer_port, 0);
		ap_timer_fired = 1;
	}
	ap_pings++;
	evtchn_simple(EVTCHNOP_send, port_to_0);
	for (;;) {
		/* CPUID exits: the fast exit must still see down and kicks. */
		u32 a = 0, b, c = 0, d;

		asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
		ap_spins++;
		if (ap_cmd == 1) {
			ap_cmd = 0;
			/* Returns 0 once vCPU 0 brings us back up. */
			ap_down_ret = vcpu_op(VCPUOP_down, 1, NULL);
		} else if (ap_cmd == 2) {
			/* An exit first: pvmx rewrites our time record before it resumes us. */
			xen_version(XENVER_version, NULL);
			ap_id = smp_id();
			ap_now = now_ns();
			barrier();
			ap_cmd = 0;
		}
	}
}

/* Wait (bounded) for an IPI on port_to_0 from vCPU 1; clears it. */
static int wait_ipi_ns(u64 wait)
{
	u64 end = now_ns() + wait;

	while (!test_bit(shared_info->evtchn_pending, port_to_0) && now_ns() < end)
		poll_port(port_to_0, end);
	if (!test_bit(shared_info->evtchn_pending, port_to_0))
		return 0;
	clear_bit(shared_info->evtchn_pending, port_to_0);
	return 1;
}

static int wait_ipi(void)
{
	return wait_ipi_ns(WAIT_NS);
}

/* Whether ap_spins moves within a while: vCPU 1 runs. */
static int ap_running(void)
{
	u32 before = ap_spins;
	u64 end = now_ns() + WAIT_NS;

	while (ap_spins == before && now_ns() < end)
		sched_op(SCHEDOP_yield, NULL);
	return ap_spins != before;
}

static int ap_stopped(void)
{
	u32 before;
	u64 end;

	/* Whatever it was doing when taken down has finished after a short while. */
	end = now_ns() + 50000000ULL;
	while (now_ns() < end)
		sched_op(SCHEDOP_yield, NULL);
	before = ap_spins;
	end = now_ns() + 200000000ULL;
	while (now_ns() < end)
		sched_op(SCHEDOP_yield, NULL);
	return ap_spins == before;
}

static void good_context(void)
{
	vcpu_stack(1, ap_stack, sizeof(ap_stack));
	memset(&ctx, 0, sizeof(ctx));
	ctx.flags = VGCF_in_kernel;
	ctx.user_regs.eip = (u32)ap_entry;
	ctx.user_regs.esp = (u32)(ap_stack + sizeof(ap_stack));
	ctx.user_regs.esi = AP_ESI_MAGIC;
	ctx.user_regs.cs = FLAT_RING1_CS;
	ctx.user_regs.ss = FLAT_RING1_DS;
	ctx.user_regs.ds = FLAT_RING1_DS;
	ctx.user_regs.es = FLAT_RING1_DS;
	ctx.user_regs.eflags = 0x202;
	ctx.kernel_ss = FLAT_RING1_DS;
	ctx.kernel_sp = (u32)(ap_stack + sizeof(ap_stack));
	ctx.ctrlreg[3] = XEN_PFN_TO_CR3(va_to_mfn((void *)start_info->pt_base));
}

/* vCPU 1 reads its clock now; 0 if it did not within WAIT_NS. */
static u64 ap_clock(void)
{
	u64 end = now_ns() + WAIT_NS;

	ap_now = 0;
	barrier();
	ap_cmd = 2;
	while (ap_cmd == 2 && now_ns() < end)
		sched_op(SCHEDOP_yield, NULL);
	barrier();
	return ap_cmd == 2 ? 0 : ap_now;
}

/*
 * Each vCPU reads its own vcpu_info time (Linux's xen_clocksource_read();
 * Xen's update_vcpu_system_time() writes each vCPU's as it is scheduled):
 * vCPU 1's now_ns() lies between two of vCPU 0's (1 ms of slack for the
 * two TSCs and records), both advance by what passed, and vCPU 1's record
 * itself is refreshed as it runs (by most of the 50 ms that passed).
 */
static void per_vcpu_clocks(void)
{
	const u64 slack = 1000000ULL;
	u64 a, b, c, b2, sys1, sys2, end;
	u32 ver1, ver2;

	a = now_ns();
	b = ap_clock();
	c = now_ns();
	CHECK_EQ(ap_id, 1, "vCPU 1's smp_id() is 1");
	if (!CHECK(b && a <= b + slack && b <= c + slack, "vCPU 1's now_ns() agrees with vCPU 0's"))
		test_diag("  ns: vCPU 0 0x%x%08x, vCPU 1 0x%x%08x, vCPU 0 0x%x%08x",
			  (u32)(a >> 32), (u32)a, (u32)(b >> 32), (u32)b, (u32)(c >> 32), (u32)c);
	sys1 = vcpu_record_ns(1, &ver1);
	end = now_ns() + 50000000ULL;
	while (now_ns() < end)
		sched_op(SCHEDOP_yield, NULL);
	b2 = ap_clock();
	c = now_ns();
	if (!CHECK(b2 >= b + 50000000ULL && b2 <= c + slack && c - b2 < WAIT_NS,
		   "both clocks advance together"))
		test_diag("  ns: vCPU 1 0x%x%08x -> 0x%x%08x, vCPU 0 0x%x%08x",
			  (u32)(b >> 32), (u32)b, (u32)(b2 >> 32), (u32)b2, (u32)(c >> 32), (u32)c);
	sys2 = vcpu_record_ns(1, &ver2);
	/* 40 ms: the record is the host's clock, now_ns() the TSC extrapolated. */
	if (!CHECK(sys2 >= sys1 + 40000000ULL && ver2 != ver1, "vCPU 1's own time record is refreshed"))
		test_diag("  system_time %u ms -> %u ms, version %u -> %u",
			  (u32)div64(sys1, 1000000), (u32)div64(sys2, 1000000), ver1, ver2);
}

static void refused(const char *name, long want)
{
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, &ctx), want, name);
	good_context();
}

static void single_vcpu(void)
{
	test_plan(5);
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 0, NULL), 1, "is_up(0) = 1");
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 1, NULL), -XEN_ENOENT, "is_up(1): no such vCPU, -ENOENT");
	good_context();
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_ENOENT, "initialise(1) -ENOENT");
	CHECK_EQ(vcpu_op(VCPUOP_up, 1, NULL), -XEN_ENOENT, "up(1) -ENOENT");
	CHECK_EQ(vcpu_op(VCPUOP_down, 1, NULL), -XEN_ENOENT, "down(1) -ENOENT");
}

/*
 * The stress load.  The wait for each answer is long: on a loaded host
 * (8 such VMs in an emulator) vCPU 1's thread may not run for seconds.
 */
static void pingpong(u32 rounds)
{
	struct evtchn_bind_ipi ipi;
	u64 t0 = now_ns();
	u32 i, bad = 0;

	test_plan(5);
	ipi.vcpu = 0;
	CHECK(!evtchn_op(EVTCHNOP_bind_ipi, &ipi), "bind_ipi to vCPU 0");
	port_to_0 = ipi.port;
	ipi.vcpu = 1;
	CHECK(!evtchn_op(EVTCHNOP_bind_ipi, &ipi), "bind_ipi to vCPU 1");
	port_to_1 = ipi.port;
	pp_rounds = rounds;
	good_context();
	CHECK(!vcpu_op(VCPUOP_initialise, 1, &ctx) && !vcpu_op(VCPUOP_up, 1, NULL) &&
	      wait_ipi_ns(60 * WAIT_NS), "vCPU 1 came up");
	for (i = 0; i < rounds; i++) {
		evtchn_simple(EVTCHNOP_send, port_to_1);
		bad += pp_work();
		if (!wait_ipi_ns(30 * WAIT_NS))
			break;
	}
	if (!CHECK(i == rounds && pp_ap_answers == rounds, "every IPI answered"))
		test_diag("  %u of %u rounds, vCPU 1 answered %u", i, rounds, pp_ap_answers);
	CHECK(!bad && !pp_ap_bad, "every hypercall between IPIs succeeded");
	printf("smp: pingpong %u rounds in %u ms\n", i, (u32)div64(now_ns() - t0, 1000000));
}

void test_main(void)
{
	struct evtchn_bind_ipi ipi;
	struct xen_vcpu_runstate_info rs;
	struct evtchn_status st;
	u32 top = (u32)(ap_stack + sizeof(ap_stack));
	u64 end;

	if (!map_shared_info()) {
		test_plan(1);
		CHECK(0, "map_shared_info");
		return;
	}
	if (cmdline_uint(start_info->cmd_line, "vcpus", 2) == 1) {
		single_vcpu();
		return;
	}
	if (cmdline_uint(start_info->cmd_line, "pingpong", 0)) {
		pingpong(cmdline_uint(start_info->cmd_line, "pingpong", 0));
		return;
	}
	test_plan(40);
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 0, NULL), 1, "is_up(0) = 1");
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 1, NULL), 0, "vCPU 1 starts down");
	CHECK(!vcpu_op(VCPUOP_get_runstate_info, 1, &rs) && rs.state == RUNSTATE_offline,
	      "vCPU 1 runstate offline");
	CHECK_EQ(vcpu_op(VCPUOP_up, 1, NULL), -XEN_EINVAL, "up before initialise: -EINVAL");
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 2, NULL), -XEN_ENOENT, "is_up(2): -ENOENT");
	CHECK_EQ(vcpu_op(VCPUOP_up, 32, NULL), -XEN_ENOENT, "up(32): -ENOENT");
	good_context();
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 0xFFFFFFFFu, &ctx), -XEN_ENOENT,
		 "initialise(~0): -ENOENT");

	/* Xen's checks: the vCPU stays uninitialised. */
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, (void *)0x3FFFF000), -XEN_EFAULT,
		 "unreadable context: -EFAULT");
	ctx.ldt_base = 0x1000 + 8;
	ctx.ldt_ents = 1;
	refused("ldt_base not page aligned: -EINVAL", -XEN_EINVAL);
	ctx.ldt_ents = 8193;
	refused("ldt_ents > 8192: -EINVAL", -XEN_EINVAL);
	ctx.gdt_ents = XEN_FIRST_RESERVED_GDT_ENTRY + 1;
	refused("gdt_ents past the guest's GDT: -EINVAL", -XEN_EINVAL);
	ctx.ctrlreg[3] = XEN_PFN_TO_CR3(0x7ffff);
	refused("cr3 outside the guest: -EINVAL", -XEN_EINVAL);
	CHECK_EQ(vcpu_op(VCPUOP_up, 1, NULL), -XEN_EINVAL, "still uninitialised: up -EINVAL");

	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, &ctx), 0, "initialise(1)");
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 1, NULL), 0, "initialised, still down");
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_EEXIST, "initialise twice: -EEXIST");

	ipi.vcpu = 0;
	CHECK_EQ(evtchn_op(EVTCHNOP_bind_ipi, &ipi), 0, "bind_ipi to vCPU 0");
	port_to_0 = ipi.port;
	ipi.vcpu = 1;
	CHECK_EQ(evtchn_op(EVTCHNOP_bind_ipi, &ipi), 0, "bind_ipi to vCPU 1");
	port_to_1 = ipi.port;

	CHECK_EQ(vcpu_op(VCPUOP_up, 1, NULL), 0, "up(1)");
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 1, NULL), 1, "is_up(1) = 1");
	CHECK(wait_ipi() && ap_stage == 1, "vCPU 1 ran and sent an IPI to vCPU 0");
	if (!CHECK(ap_esi == AP_ESI_MAGIC && ap_entry_esp == top,
		   "vCPU 1 started with the context's ESI and ESP"))
		test_diag("  esi 0x%x esp 0x%x, want 0x%x 0x%x", ap_esi, ap_entry_esp,
			  AP_ESI_MAGIC, top);
	CHECK_EQ(evtchn_simple(EVTCHNOP_send, port_to_1), 0, "send the IPI to vCPU 1");
	CHECK(wait_ipi() && ap_pings == 1, "blocked vCPU 1 woke on the IPI and answered");
	CHECK(ap_running(), "vCPU 1 runs alongside vCPU 0");
	per_vcpu_clocks();
	CHECK(!ap_timer_bind && ap_timer_fired, "vCPU 1's own VIRQ_TIMER fired on vCPU 1");
	CHECK(!evtchn_status_of(ap_timer_port, &st) && st.status == EVTCHNSTAT_virq &&
	      st.vcpu == 1, "its timer port is bound to vCPU 1");
	CHECK(!vcpu_op(VCPUOP_get_runstate_info, 1, &rs) && rs.state == RUNSTATE_running,
	      "vCPU 1 runstate running");

	CHECK_EQ(vcpu_op(VCPUOP_down, 1, NULL), 0, "down(1)");
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 1, NULL), 0, "is_up(1) = 0 after down");
	CHECK(ap_stopped(), "vCPU 1 no longer runs");
	CHECK(!vcpu_op(VCPUOP_get_runstate_info, 1, &rs) && rs.state == RUNSTATE_offline,
	      "vCPU 1 runstate offline after down");
	CHECK_EQ(vcpu_op(VCPUOP_up, 1, NULL), 0, "up(1) again");
	CHECK(ap_running(), "vCPU 1 runs on where it was");

	/* vCPU 1 takes itself down; its vcpu_op returns 0 once up again. */
	ap_cmd = 1;
	end = now_ns() + WAIT_NS;
	while (vcpu_op(VCPUOP_is_up, 1, NULL) == 1 && now_ns() < end)
		sched_op(SCHEDOP_yield, NULL);
	CHECK(vcpu_op(VCPUOP_is_up, 1, NULL) == 0 && ap_down_ret == 12345,
	      "vCPU 1 took itself down");
	vcpu_op(VCPUOP_up, 1, NULL);
	end = now_ns() + WAIT_NS;
	while (ap_down_ret == 12345 && now_ns() < end)
		sched_op(SCHEDOP_yield, NULL);
	CHECK_EQ(ap_down_ret, 0, "its VCPUOP_down returned 0 after up");
}
