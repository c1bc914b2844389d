// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of event channels, upcalls, timers and block/poll, with
 * Xen's exact results (xen/common/event_channel.c, xen/common/sched/core.c).
 */
#include "harness.h"
#include "fixture.h"
#include "unit_tests.h"

#define XEN_ERR(e)	((u32)-(e))
#define ARG		0x210000u
#define STACK_TOP	0x280000u
#define CALLBACK	0x00123400u

static struct xen_shared_info *si(void)
{
	return fx.vm.shared_info;
}

static struct xen_vcpu_info *vi(void)
{
	return &si()->vcpu_info[0];
}

static void wr32(u32 va, u32 x)
{
	memcpy(fx_gpa(va), &x, 4);
}

static u32 rd32(u32 va)
{
	u32 x;

	memcpy(&x, fx_gpa(va), 4);
	return x;
}

static bool pending(u32 port)
{
	return si()->evtchn_pending[port / 32] & (1u << (port % 32));
}

static u32 evtchn(u32 cmd)
{
	fx_hypercall(__HYPERVISOR_event_channel_op, cmd, ARG, 0, 0, 0);
	return fx_eax();
}

static u32 alloc_unbound(void)
{
	wr32(ARG, DOMID_SELF | (DOMID_SELF << 16));
	CHECK_EQ(evtchn(EVTCHNOP_alloc_unbound), 0);
	return rd32(ARG + 4);
}

static u32 port_op(u32 cmd, u32 port)
{
	wr32(ARG, port);
	return evtchn(cmd);
}

static void unbound_interdomain_and_status(void)
{
	u32 a = alloc_unbound(), b;

	CHECK_EQ(a, 1);
	/* status with DOMID_SELF: unbound to our own domid (1). */
	wr32(ARG, DOMID_SELF);
	wr32(ARG + 4, a);
	CHECK_EQ(evtchn(EVTCHNOP_status), 0);
	CHECK_EQ(rd32(ARG + 8), EVTCHNSTAT_unbound);
	CHECK_EQ(rd32(ARG + 16) & 0xFFFF, 1);

	/* Send on an unbound port: dropped, 0. */
	CHECK_EQ(port_op(EVTCHNOP_send, a), 0);
	CHECK(!pending(a));

	/* Bind to it: the new local port starts pending. */
	wr32(ARG, DOMID_SELF);
	wr32(ARG + 4, a);
	CHECK_EQ(evtchn(EVTCHNOP_bind_interdomain), 0);
	b = rd32(ARG + 8);
	CHECK_EQ(b, 2);
	CHECK(pending(b));
	CHECK(!pending(a));
	CHECK_EQ(port_op(EVTCHNOP_send, b), 0);
	CHECK(pending(a));
	wr32(ARG, DOMID_SELF);
	wr32(ARG + 4, b);
	evtchn(EVTCHNOP_status);
	CHECK_EQ(rd32(ARG + 8), EVTCHNSTAT_interdomain);
	CHECK_EQ(rd32(ARG + 16) & 0xFFFF, 1);
	CHECK_EQ(rd32(ARG + 20), a);

	/* Closing one end leaves the other unbound; closing twice fails. */
	CHECK_EQ(port_op(EVTCHNOP_close, b), 0);
	wr32(ARG, DOMID_SELF);
	wr32(ARG + 4, a);
	evtchn(EVTCHNOP_status);
	CHECK_EQ(rd32(ARG + 8), EVTCHNSTAT_unbound);
	CHECK_EQ(port_op(EVTCHNOP_close, b), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(port_op(EVTCHNOP_close, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(port_op(EVTCHNOP_close, 5000), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(port_op(EVTCHNOP_send, b), XEN_ERR(XEN_EINVAL));
	/* Binding to a port that is not unbound fails. */
	wr32(ARG, DOMID_SELF);
	wr32(ARG + 4, 77);
	CHECK_EQ(evtchn(EVTCHNOP_bind_interdomain), XEN_ERR(XEN_EINVAL));
	wr32(ARG, 5);
	CHECK_EQ(evtchn(EVTCHNOP_bind_interdomain), XEN_ERR(XEN_ESRCH));
	CHECK_EQ(evtchn(99), XEN_ERR(XEN_ENOSYS));
	fx_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, FX_UNMAPPED_VA, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
}

static void virq_and_ipi_binding(void)
{
	/* {virq, vcpu, OUT port} */
	wr32(ARG, VIRQ_TIMER);
	wr32(ARG + 4, 0);
	CHECK_EQ(evtchn(EVTCHNOP_bind_virq), 0);
	CHECK_EQ(rd32(ARG + 8), 1);
	CHECK_EQ(fx.periodic_ns, 10000000);	/* the default 10 ms tick starts */
	CHECK_EQ(evtchn(EVTCHNOP_bind_virq), XEN_ERR(XEN_EEXIST));
	wr32(ARG, VIRQ_CONSOLE);
	wr32(ARG + 4, 1);
	CHECK_EQ(evtchn(EVTCHNOP_bind_virq), XEN_ERR(XEN_EINVAL));
	wr32(ARG, 24);
	wr32(ARG + 4, 0);
	CHECK_EQ(evtchn(EVTCHNOP_bind_virq), XEN_ERR(XEN_EINVAL));
	wr32(ARG, VIRQ_DEBUG);
	wr32(ARG + 4, 5);
	CHECK_EQ(evtchn(EVTCHNOP_bind_virq), XEN_ERR(XEN_ENOENT));
	/* A per-vCPU VIRQ cannot move. */
	wr32(ARG, 1);
	wr32(ARG + 4, 0);
	CHECK_EQ(evtchn(EVTCHNOP_bind_vcpu), XEN_ERR(XEN_EINVAL));

	/* The timer raises its port from outside, applied before entry. */
	pvmx_raise_virq_async(&fx.v, VIRQ_TIMER);
	CHECK(fx.kicks >= 1);
	CHECK(!pending(1));
	pvmx_prepare_entry(&fx.v);
	CHECK(pending(1));
	CHECK_EQ(vi()->evtchn_upcall_pending, 1);
	CHECK_EQ(vi()->evtchn_pending_sel, 1);

	/* IPI to ourselves. */
	wr32(ARG, 0);
	CHECK_EQ(evtchn(EVTCHNOP_bind_ipi), 0);
	CHECK_EQ(rd32(ARG + 4), 2);
	CHECK_EQ(port_op(EVTCHNOP_send, 2), 0);
	CHECK(pending(2));
	wr32(ARG, 3);
	CHECK_EQ(evtchn(EVTCHNOP_bind_ipi), XEN_ERR(XEN_ENOENT));

	/* Closing the VIRQ_TIMER port stops the periodic tick. */
	CHECK_EQ(port_op(EVTCHNOP_close, 1), 0);
	CHECK_EQ(fx.periodic_ns, 0);
}

static void ports_run_out_with_enospc(void)
{
	unsigned int n = 0;

	for (;;) {
		wr32(ARG, DOMID_SELF | (DOMID_SELF << 16));
		if (evtchn(EVTCHNOP_alloc_unbound))
			break;
		n++;
	}
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOSPC));
	CHECK_EQ(n, XEN_NR_EVTCHN_PORTS - 1);
}

static void mask_unmask_and_upcall(void)
{
	u32 port = alloc_unbound(), b;

	wr32(ARG, DOMID_SELF);
	wr32(ARG + 4, port);
	evtchn(EVTCHNOP_bind_interdomain);
	b = rd32(ARG + 8);
	/* Clear what the bind left pending, then mask `port` and send to it. */
	memset(si()->evtchn_pending, 0, sizeof(si()->evtchn_pending));
	vi()->evtchn_pending_sel = 0;
	vi()->evtchn_upcall_pending = 0;
	si()->evtchn_mask[0] = 1u << port;
	port_op(EVTCHNOP_send, b);
	CHECK(pending(port));
	CHECK_EQ(vi()->evtchn_pending_sel, 0);
	CHECK_EQ(vi()->evtchn_upcall_pending, 0);
	CHECK_EQ(port_op(EVTCHNOP_unmask, port), 0);
	CHECK_EQ(si()->evtchn_mask[0], 0);
	CHECK_EQ(vi()->evtchn_pending_sel, 1);
	CHECK_EQ(vi()->evtchn_upcall_pending, 1);
	CHECK_EQ(port_op(EVTCHNOP_unmask, 4096), XEN_ERR(XEN_EINVAL));

	/* Mask byte 1 (the initial state): no upcall. */
	CHECK_EQ(vi()->evtchn_upcall_mask, 1);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, 0x1002);

	/* Unmasked without a callback: the guest is crashed. */
	vi()->evtchn_upcall_mask = 0;
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_EXIT_TO_USER);
	CHECK(strstr(fx.run.crash.reason, "no event callback registered"));
}

/* Slow paths run (pvmx_entry_slow_test_hook), and what one runs at its end. */
static int slow_paths;
static void (*during_slow)(void);

static void count_slow(struct pvmx_vcpu_core *v)
{
	void (*f)(void) = during_slow;

	(void)v;
	slow_paths++;
	during_slow = NULL;
	if (f)
		f();
}

static void entry_hook_on(void)
{
	slow_paths = 0;
	during_slow = NULL;
	pvmx_entry_slow_test_hook = count_slow;
}

static void entry_hook_off(void)
{
	pvmx_entry_slow_test_hook = NULL;
	during_slow = NULL;
}

/*
 * The entry check (core.h pvmx_prepare_entry(), KVM's vcpu->requests):
 * nothing pending, one word and the upcall bytes, no slow path and no VM
 * lock (the host VM lock traps if it were taken while held); each writer
 * sets its bit, and that bit sends the entry through the slow path, which
 * does the work and leaves the word clear.
 */
static void entry_without_work_takes_no_lock(void)
{
	u32 port;

	/* A new vCPU looks at everything once, then is idle. */
	CHECK_EQ(fx.v.entry_work, PVMX_WORK_ALL);
	CHECK(fx.v.entry_vi == vi());
	entry_hook_on();
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK_EQ(slow_paths, 1);
	CHECK_EQ(fx.v.entry_work, 0);

	CHECK_EQ(vi()->evtchn_upcall_mask, 1);
	spin_lock(&fx.vm.lock);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	vi()->evtchn_upcall_pending = 1;	/* masked: still nothing to do */
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	spin_unlock(&fx.vm.lock);
	CHECK_EQ(slow_paths, 1);
	vi()->evtchn_upcall_pending = 0;

	/* A request another vCPU made: its bit, then the work, then idle. */
	pvmx_make_request(&fx.v, PVMX_REQ_TRAPS_CHANGED);
	CHECK(fx.v.requests);
	CHECK_EQ(fx.v.entry_work, PVMX_WORK_REQUEST);
	fx.traps_changed = 0;
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK_EQ(slow_paths, 2);
	CHECK_EQ(fx.traps_changed, 1);
	CHECK_EQ(fx.v.requests, 0);
	CHECK_EQ(fx.v.entry_work, 0);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK_EQ(slow_paths, 2);

	/* A VIRQ raised from outside. */
	wr32(ARG, VIRQ_TIMER);
	wr32(ARG + 4, 0);
	CHECK_EQ(evtchn(EVTCHNOP_bind_virq), 0);
	port = rd32(ARG + 8);
	pvmx_raise_virq_async(&fx.v, VIRQ_TIMER);
	CHECK_EQ(fx.v.entry_work, PVMX_WORK_EVENTS);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK(pending(port));
	CHECK_EQ(fx.v.async_virqs, 0);
	CHECK_EQ(fx.v.entry_work, 0);
	CHECK_EQ(slow_paths, 3);

	/* Down (VCPUOP_down's bit): offline, and it stays so until up. */
	fx.v.up = false;
	pvmx_entry_work_set(&fx.v, PVMX_WORK_STATE);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_OFFLINE);
	CHECK(fx.v.entry_work & PVMX_WORK_STATE);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_OFFLINE);
	fx.v.up = true;
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK_EQ(fx.v.entry_work, 0);

	/* The VM's end (pvmx_vm_end): reported on this and every later entry. */
	CHECK(pvmx_vm_end(&fx.v));
	CHECK(fx.v.entry_work & PVMX_WORK_ENDED);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_EXIT_TO_USER);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_EXIT_TO_USER);
	CHECK(fx.v.entry_work & PVMX_WORK_ENDED);
	fx.vm.ended = false;
	entry_hook_off();
}

static u32 race_port;

static void raise_timer_virq(void)
{
	pvmx_raise_virq_async(&fx.v, VIRQ_TIMER);
}

/*
 * A writer racing the slow path: its state and bit land after the slow
 * path read every field (the test hook at its end).  The word was taken
 * before the reads, so the bit is still there and the next entry does the
 * work; an entry path that cleared the word after looking would lose it
 * (a guest waiting on that VIRQ would hang).
 */
static void entry_work_racing_the_slow_path_is_not_lost(void)
{
	wr32(ARG, VIRQ_TIMER);
	wr32(ARG + 4, 0);
	CHECK_EQ(evtchn(EVTCHNOP_bind_virq), 0);
	race_port = rd32(ARG + 8);
	entry_hook_on();
	pvmx_prepare_entry(&fx.v);		/* the new vCPU's first look */
	pvmx_make_request(&fx.v, PVMX_REQ_TRAPS_CHANGED);
	during_slow = raise_timer_virq;
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK_EQ(slow_paths, 2);
	CHECK(!pending(race_port));		/* came after the slow path looked */
	CHECK_EQ(fx.v.entry_work, PVMX_WORK_EVENTS);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK_EQ(slow_paths, 3);
	CHECK(pending(race_port));
	CHECK_EQ(fx.v.entry_work, 0);

	/*
	 * Trace records go first; the work that came with them waits for
	 * the next entry and is not lost either.
	 */
	fx.v.trace_flags = PVMX_TRACE_HYPERCALLS;
	fx.v.trace_ops = ~0ULL;
	fx_hypercall(__HYPERVISOR_xen_version, 0, 0, 0, 0, 0);
	CHECK(fx.v.trace_nr);
	CHECK_EQ(fx.v.entry_work, PVMX_WORK_TRACE);
	pvmx_make_request(&fx.v, PVMX_REQ_TRAPS_CHANGED);
	fx.traps_changed = 0;
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.run.exit_reason, PVMX_EXIT_TRACE);
	CHECK_EQ(fx.v.trace_nr, 0);
	CHECK_EQ(fx.traps_changed, 0);
	CHECK_EQ(fx.v.entry_work, PVMX_WORK_REQUEST);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK_EQ(fx.traps_changed, 1);
	CHECK_EQ(fx.v.entry_work, 0);
	fx.v.trace_flags = 0;
	entry_hook_off();
}

/*
 * A port raised by the launcher is VM-wide: every vCPU gets the bit, and
 * whichever looks first applies it (here vCPU 1 while vCPU 0 is down).
 */
static void launcher_port_bit_on_every_vcpu(void)
{
	static struct pvmx_vcpu_core v1;
	static struct pvmx_run run1;

	memset(&v1, 0, sizeof(v1));
	v1.vm = &fx.vm;
	v1.id = 1;
	v1.run = &run1;
	v1.state = PVMX_VCPU_RUNNABLE;
	v1.cpu = fx.v.cpu;
	pvmx_vcpu_events_init(&v1);
	v1.up = true;
	fx.vm.vcpus[1] = &v1;
	CHECK_EQ(pvmx_events_init(&fx.vm, 1, 2), 0);
	pvmx_prepare_entry(&fx.v);
	pvmx_prepare_entry(&v1);
	CHECK_EQ(fx.v.entry_work | v1.entry_work, 0);
	CHECK_EQ(pvmx_raise_port_async(&fx.vm, 1), 0);
	CHECK_EQ(fx.v.entry_work, PVMX_WORK_EVENTS);
	CHECK_EQ(v1.entry_work, PVMX_WORK_EVENTS);
	CHECK(!pending(1));
	CHECK_EQ(pvmx_prepare_entry(&v1), PVMX_RESUME);
	CHECK(pending(1));
	CHECK_EQ(v1.entry_work, 0);
	/* vCPU 0's look finds nothing left: a spurious slow path, no harm. */
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK_EQ(fx.v.entry_work, 0);

	/* A global VIRQ raised on vCPU 0: vCPU 1 may apply it too. */
	wr32(ARG, VIRQ_CONSOLE);
	wr32(ARG + 4, 0);
	CHECK_EQ(evtchn(EVTCHNOP_bind_virq), 0);
	race_port = rd32(ARG + 8);
	pvmx_raise_virq_async(&fx.v, VIRQ_CONSOLE);
	CHECK_EQ(v1.entry_work, PVMX_WORK_EVENTS);
	CHECK_EQ(pvmx_prepare_entry(&v1), PVMX_RESUME);
	CHECK(pending(race_port));
	CHECK_EQ(fx.v.async_virqs, 0);
	fx.vm.vcpus[1] = NULL;
}

static void upcall_frame_and_iret(void)
{
	fx.v.event_cb = (struct pvmx_callback){ CALLBACK, FLAT_RING1_CS, true };
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
	fx.v.cpu.eip = 0x7777;
	fx.v.cpu.eflags = 0x202;
	vi()->evtchn_upcall_pending = 1;
	vi()->evtchn_upcall_mask = 0;
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, CALLBACK);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], STACK_TOP - 12);
	CHECK_EQ(rd32(STACK_TOP - 12), 0x7777);
	CHECK_EQ(rd32(STACK_TOP - 8), FLAT_RING1_CS);		/* saved mask 0 */
	CHECK_EQ(rd32(STACK_TOP - 4), 0x202);			/* IF = !mask */
	CHECK_EQ(vi()->evtchn_upcall_mask, 1);
	/* A second check does not stack another frame: masked now. */
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], STACK_TOP - 12);
}

static void block_and_poll(void)
{
	u32 port = alloc_unbound();

	/* block: unmasks, and with nothing pending asks the host to sleep. */
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0, 0), PVMX_BLOCK);
	CHECK_EQ(vi()->evtchn_upcall_mask, 0);
	CHECK(!pvmx_vcpu_should_wake(&fx.v));
	vi()->evtchn_upcall_pending = 1;
	CHECK(pvmx_vcpu_should_wake(&fx.v));
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0, 0), PVMX_RESUME);
	vi()->evtchn_upcall_pending = 0;

	/* poll {ports, nr_ports, timeout} */
	wr32(ARG + 64, port);
	wr32(ARG, ARG + 64);
	wr32(ARG + 4, 1);
	wr32(ARG + 8, 0);
	wr32(ARG + 12, 0);
	vi()->evtchn_upcall_mask = 1;
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG, 0, 0, 0), PVMX_BLOCK);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(vi()->evtchn_upcall_mask, 1);		/* poll leaves the mask */
	CHECK(!pvmx_vcpu_should_wake(&fx.v));
	si()->evtchn_mask[0] = 1u << port;		/* masked ports count too */
	si()->evtchn_pending[0] = 1u << port;
	CHECK(pvmx_vcpu_should_wake(&fx.v));
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG, 0, 0, 0), PVMX_RESUME);
	si()->evtchn_pending[0] = 0;
	/* A deadline already passed returns at once. */
	wr32(ARG + 8, 5);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG, 0, 0, 0), PVMX_RESUME);
	wr32(ARG + 4, 129);
	fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	wr32(ARG + 4, 1);
	wr32(ARG + 64, 2000);
	fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	wr32(ARG, FX_UNMAPPED_VA);
	fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
}

/*
 * Xen's evtchn_check_pollers(): a send to a polled port wakes the poller
 * even when no upcall is raised (the selector bit was already set, or the
 * port is masked).  Missing it left SMP guests' IPI ping-pong asleep until
 * each poll's deadline.
 */
static void send_wakes_poller(void)
{
	u32 port;
	int kicks;

	wr32(ARG, 0);
	CHECK_EQ(evtchn(EVTCHNOP_bind_ipi), 0);
	port = rd32(ARG + 4);
	vi()->evtchn_pending_sel = 1u << (port / 32);	/* an earlier event's, never cleared */
	vi()->evtchn_upcall_mask = 1;
	wr32(ARG + 64, port);
	wr32(ARG, ARG + 64);
	wr32(ARG + 4, 1);
	wr32(ARG + 8, 0);
	wr32(ARG + 12, 0);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG, 0, 0, 0), PVMX_BLOCK);
	kicks = fx.kicks;
	CHECK_EQ(port_op(EVTCHNOP_send, port), 0);
	CHECK(fx.kicks > kicks);
	CHECK(pvmx_vcpu_should_wake(&fx.v));
	/* Masked: no upcall, the poller still wakes. */
	si()->evtchn_pending[port / 32] = 0;
	si()->evtchn_mask[port / 32] = 1u << (port % 32);
	vi()->evtchn_pending_sel = 0;
	wr32(ARG + 64, port);
	wr32(ARG, ARG + 64);
	wr32(ARG + 4, 1);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG, 0, 0, 0), PVMX_BLOCK);
	CHECK_EQ(fx.vm.poll_mask, 1u << fx.v.id);	/* the send looks only here */
	kicks = fx.kicks;
	CHECK_EQ(port_op(EVTCHNOP_send, port), 0);
	CHECK(fx.kicks > kicks);
	CHECK_EQ(vi()->evtchn_pending_sel, 0);
	/* Done polling: out of the mask, and a send to the masked port kicks nobody. */
	pvmx_poll_done(&fx.v);
	CHECK_EQ(fx.vm.poll_mask, 0);
	si()->evtchn_pending[port / 32] = 0;
	kicks = fx.kicks;
	CHECK_EQ(port_op(EVTCHNOP_send, port), 0);
	CHECK_EQ(fx.kicks, kicks);
	/* SCHEDOP_block ends a poll too. */
	si()->evtchn_pending[port / 32] = 0;
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_poll, ARG, 0, 0, 0), PVMX_BLOCK);
	CHECK_EQ(fx.vm.poll_mask, 1u << fx.v.id);
	vi()->evtchn_upcall_pending = 0;
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0, 0), PVMX_BLOCK);
	CHECK_EQ(fx.vm.poll_mask, 0);
	CHECK(!fx.v.wait.polling);
}

static void timers_follow_xen(void)
{
	u64 big = fx.now_ns + (1ULL << 51);
	u64 soon = fx.now_ns + 5000;

	fx_hypercall(__HYPERVISOR_set_timer_op, (u32)soon, (u32)(soon >> 32), 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.timer_deadline, fx.now_ns + 5000);
	fx_hypercall(__HYPERVISOR_set_timer_op, (u32)big, (u32)(big >> 32), 0, 0, 0);
	CHECK_EQ(fx.timer_deadline, fx.now_ns + 100000000);
	fx_hypercall(__HYPERVISOR_set_timer_op, 0, 0x80000000, 0, 0, 0);
	CHECK_EQ(fx.timer_deadline, fx.now_ns + 100000000);
	fx_hypercall(__HYPERVISOR_set_timer_op, 0, 0, 0, 0, 0);
	CHECK_EQ(fx.timer_deadline, 0);

	/* vcpu_op(set_periodic_timer): below 1 ms is refused. */
	wr32(ARG, 500000);
	wr32(ARG + 4, 0);
	fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, ARG, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	wr32(ARG, 2000000);
	fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, ARG, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.periodic_ns, 2000000);
	fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0, 0, 0);
	CHECK_EQ(fx.v.periodic_ns, 0);
	/* {u64 timeout_abs_ns; u32 flags} */
	wr32(ARG, 777);
	wr32(ARG + 4, 0);
	wr32(ARG + 8, 1);
	fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, ARG, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.timer_deadline, 777);
	fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 0, 0, 0, 0);
	CHECK_EQ(fx.timer_deadline, 0);
	fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 1, ARG, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOENT));
	fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), 1);
	fx_hypercall(__HYPERVISOR_vcpu_op, 99, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOSYS));
}

static void runstate_and_time(void)
{
	struct xen_vcpu_runstate_info rs;

	pvmx_runstate_change(&fx.v, RUNSTATE_running);
	fx.now_ns += 5000;
	fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, ARG, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	memcpy(&rs, fx_gpa(ARG), sizeof(rs));
	CHECK_EQ(rs.state, RUNSTATE_running);
	CHECK_EQ(rs.time[RUNSTATE_running], 5000);

	pvmx_update_time_info(&fx.v);
	CHECK_EQ(vi()->time.version % 2, 0);
	CHECK(vi()->time.version > 0);
	CHECK_EQ(vi()->time.system_time, fx.now_ns);
	CHECK_EQ(vi()->time.tsc_timestamp, fx.now_ns * 3);
	pvmx_set_wallclock(&fx.vm, 1700000000123456789ULL);
	CHECK_EQ(si()->wc_version % 2, 0);
	CHECK_EQ(si()->wc_sec, 1700000000);
	CHECK_EQ(si()->wc_nsec, 123456789);
}

static void launcher_ports(void)
{
	CHECK_EQ(pvmx_events_init(&fx.vm, 1, 2), 0);
	CHECK_EQ(pvmx_events_init(&fx.vm, 1, 0), -XEN_EINVAL);	/* already bound */
	/* The guest's send on the console port goes to the launcher. */
	wr32(ARG, 1);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, ARG, 0, 0, 0),
		 PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.run.exit_reason, PVMX_EXIT_NOTIFY);
	CHECK_EQ(fx.run.notify.port, 1);
	/* The launcher raises it back; only launcher ports can be raised. */
	CHECK_EQ(pvmx_raise_port_async(&fx.vm, 1), 0);
	CHECK_EQ(pvmx_raise_port_async(&fx.vm, 3), -XEN_EINVAL);
	CHECK_EQ(pvmx_raise_port_async(&fx.vm, 5000), -XEN_EINVAL);
	CHECK(!pending(1));
	pvmx_prepare_entry(&fx.v);
	CHECK(pending(1));
	/* A new port skips the launcher's. */
	CHECK_EQ(alloc_unbound(), 3);
}

/*
 * A back end in the launcher binds the port a front end allocated for
 * domain 0 (PVMX_BIND_EVTCHN), as dom0's bind_interdomain; unbinding puts
 * it back to unbound for domain 0.
 */
static void launcher_binds_frontend_port(void)
{
	u32 p, q;

	wr32(ARG, DOMID_SELF | (0u << 16));	/* alloc_unbound(self, remote dom 0) */
	CHECK_EQ(evtchn(EVTCHNOP_alloc_unbound), 0);
	p = rd32(ARG + 4);
	q = alloc_unbound();			/* for ourselves: not the launcher's */
	CHECK_EQ(pvmx_launcher_bind_port(&fx.vm, q, false), -XEN_EINVAL);
	CHECK_EQ(pvmx_launcher_bind_port(&fx.vm, 0, false), -XEN_EINVAL);
	CHECK_EQ(pvmx_launcher_bind_port(&fx.vm, 5000, false), -XEN_EINVAL);
	CHECK_EQ(pvmx_launcher_bind_port(&fx.vm, p, true), -XEN_EINVAL);	/* not bound */
	/* Before the bind: the send is dropped, the launcher cannot raise it. */
	CHECK_EQ(port_op(EVTCHNOP_send, p), 0);
	CHECK(fx.run.exit_reason != PVMX_EXIT_NOTIFY);
	CHECK_EQ(pvmx_raise_port_async(&fx.vm, p), -XEN_EINVAL);

	CHECK_EQ(pvmx_launcher_bind_port(&fx.vm, p, false), 0);
	CHECK_EQ(pvmx_launcher_bind_port(&fx.vm, p, false), -XEN_EINVAL);	/* twice */
	wr32(ARG, DOMID_SELF);
	wr32(ARG + 4, p);
	CHECK_EQ(evtchn(EVTCHNOP_status), 0);
	CHECK_EQ(rd32(ARG + 8), EVTCHNSTAT_interdomain);
	CHECK_EQ(rd32(ARG + 16) & 0xFFFF, 0);	/* the peer is domain 0 */
	CHECK(!pending(p));
	CHECK_EQ(port_op(EVTCHNOP_send, p), 0);
	CHECK_EQ(fx.run.exit_reason, PVMX_EXIT_NOTIFY);
	CHECK_EQ(fx.run.notify.port, p);
	fx.run.exit_reason = 0;
	CHECK_EQ(pvmx_raise_port_async(&fx.vm, p), 0);
	pvmx_prepare_entry(&fx.v);
	CHECK(pending(p));

	/* The back end closes its end: unbound for domain 0 again, rebindable. */
	CHECK_EQ(pvmx_launcher_bind_port(&fx.vm, p, true), 0);
	wr32(ARG, DOMID_SELF);
	wr32(ARG + 4, p);
	CHECK_EQ(evtchn(EVTCHNOP_status), 0);
	CHECK_EQ(rd32(ARG + 8), EVTCHNSTAT_unbound);
	CHECK_EQ(rd32(ARG + 16) & 0xFFFF, 0);
	CHECK_EQ(pvmx_raise_port_async(&fx.vm, p), -XEN_EINVAL);
	CHECK_EQ(pvmx_launcher_bind_port(&fx.vm, p, false), 0);
	/* The guest closes its port: gone for the launcher too. */
	CHECK_EQ(port_op(EVTCHNOP_close, p), 0);
	CHECK_EQ(pvmx_raise_port_async(&fx.vm, p), -XEN_EINVAL);
	CHECK_EQ(pvmx_launcher_bind_port(&fx.vm, p, true), -XEN_EINVAL);
}

/*
 * A send to the sender's own vCPU (Xen's vcpu_kick() of current) kicks
 * nobody: its own entry path delivers the upcall.  A VIRQ applied at entry
 * is the same: upcall in that entry, no second pass through the loop.
 */
static void self_send_upcalls_without_a_kick(void)
{
	u32 port;
	int kicks;

	fx.v.event_cb = (struct pvmx_callback){ CALLBACK, FLAT_RING1_CS, true };
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
	fx.v.cpu.eip = 0x7777;
	vi()->evtchn_upcall_mask = 0;
	wr32(ARG, 0);
	CHECK_EQ(evtchn(EVTCHNOP_bind_ipi), 0);
	port = rd32(ARG + 4);
	kicks = fx.kicks;
	CHECK_EQ(port_op(EVTCHNOP_send, port), 0);
	CHECK(pending(port));
	CHECK_EQ(vi()->evtchn_upcall_pending, 1);
	CHECK_EQ(fx.kicks, kicks);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, CALLBACK);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], STACK_TOP - 12);

	/* Handled and unmasked again; the timer's VIRQ comes from outside. */
	si()->evtchn_pending[0] = 0;
	vi()->evtchn_pending_sel = 0;
	vi()->evtchn_upcall_pending = 0;
	vi()->evtchn_upcall_mask = 0;
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
	fx.v.cpu.eip = 0x7777;
	wr32(ARG, VIRQ_TIMER);
	wr32(ARG + 4, 0);
	CHECK_EQ(evtchn(EVTCHNOP_bind_virq), 0);
	port = rd32(ARG + 8);
	pvmx_raise_virq_async(&fx.v, VIRQ_TIMER);
	kicks = fx.kicks;
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK(pending(port));
	CHECK_EQ(fx.kicks, kicks);
	CHECK_EQ(fx.v.cpu.eip, CALLBACK);
}

const struct unit_test event_tests[] = {
	UNIT_TEST(unbound_interdomain_and_status),
	UNIT_TEST(virq_and_ipi_binding),
	UNIT_TEST(ports_run_out_with_enospc),
	UNIT_TEST(mask_unmask_and_upcall),
	UNIT_TEST(upcall_frame_and_iret),
	UNIT_TEST(self_send_upcalls_without_a_kick),
	UNIT_TEST(entry_without_work_takes_no_lock),
	UNIT_TEST(entry_work_racing_the_slow_path_is_not_lost),
	UNIT_TEST(launcher_port_bit_on_every_vcpu),
	UNIT_TEST(block_and_poll),
	UNIT_TEST(send_wakes_poller),
	UNIT_TEST(timers_follow_xen),
	UNIT_TEST(runstate_and_time),
	UNIT_TEST(launcher_ports),
	UNIT_TEST(launcher_binds_frontend_port),
	{ NULL, NULL },
};
