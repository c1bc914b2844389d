// SPDX-License-Identifier: GPL-2.0
/*
 * Scheduling hypercalls (Xen: xen/common/sched/core.c): sched_op and
 * sched_op_compat (yield, block, poll, shutdown), set_timer_op, and what
 * the host's waits ask before a blocked, polling or down vCPU runs again.
 * A handler that must wait returns PVMX_BLOCK; the host layer waits
 * (module/linux/host.c) after the VM lock is dropped.
 */
#include "core.h"

#define POLL_MAX_PORTS		128
/* set_timer_op: a deadline PVMX_TIMER_MAX_DELTA_NS away or more becomes now + 100 ms. */
#define TIMER_FALLBACK_NS	100000000ULL

/* ---- set_timer_op (15), block, poll ------------------------------------- */

long do_set_timer_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u64 deadline = ((u64)hc->arg[1] << 32) | hc->arg[0];
	u64 now = pvmx_host_now_ns();

	/* Xen: negative, or 2^50 ns or more ahead (a wrapped guest clock). */
	if (deadline && ((s64)deadline < 0 ||
			 (deadline > now && (deadline - now) >= PVMX_TIMER_MAX_DELTA_NS)))
		deadline = now + TIMER_FALLBACK_NS;
	pvmx_host_set_timer(v, deadline);
	return 0;
}

static long sched_block(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	struct xen_vcpu_info *vi = pvmx_vcpu_info(v);

	lockdep_assert_held(&v->vm->lock);
	/* Unmask first, then block unless something is already pending. */
	WRITE_ONCE(vi->evtchn_upcall_mask, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pvmx_apply_async_events(v);
	if (!READ_ONCE(vi->evtchn_upcall_pending)) {
		pvmx_poll_done(v);
		v->wait.deadline = 0;
		hc->action = PVMX_BLOCK;
	}
	return 0;
}

static long sched_poll(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	struct xen_shared_info *si = v->vm->shared_info;
	struct xen_vcpu_info *vi = pvmx_vcpu_info(v);
	struct xen_sched_poll p;
	u32 ports[POLL_MAX_PORTS], i;

	lockdep_assert_held(&v->vm->lock);
	if (pvmx_copy_from_guest(v, &p, hc->arg[1], sizeof(p)))
		return -XEN_EFAULT;
	if (p.nr_ports > POLL_MAX_PORTS)
		return -XEN_EINVAL;
	if (pvmx_copy_from_guest(v, ports, p.ports, p.nr_ports * sizeof(u32)))
		return -XEN_EFAULT;
	for (i = 0; i < p.nr_ports; i++)
		if (ports[i] >= XEN_NR_EVTCHN_PORTS)
			return -XEN_EINVAL;
	pvmx_apply_async_events(v);
	if (READ_ONCE(vi->evtchn_upcall_pending) && !READ_ONCE(vi->evtchn_upcall_mask))
		return 0;
	for (i = 0; i < p.nr_ports; i++) {
		if (pvmx_test_bit32(&si->evtchn_pending[ports[i] / 32], ports[i] % 32))
			return 0;
		v->wait.ports[i] = ports[i];
	}
	if (p.timeout && p.timeout <= pvmx_host_now_ns())
		return 0;
	v->wait.nr_ports = p.nr_ports;
	pvmx_test_and_set_bit32(&v->vm->poll_mask, v->id);
	v->wait.polling = true;
	v->wait.deadline = p.timeout;
	hc->action = PVMX_BLOCK;
	return 0;
}

/* ---- sched_op (29) and sched_op_compat (6) ------------------------------ */

void pvmx_shutdown(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc, u32 reason)
{
	/* Xen keeps the reason as a u8 (domain_shutdown()). */
	v->run->shutdown.reason = (u8)reason;
	v->run->shutdown.pad = 0;
	v->run->exit_reason = PVMX_EXIT_SHUTDOWN;
	v->state = PVMX_VCPU_SHUTDOWN;
	hc->action = PVMX_EXIT_TO_USER;
}

static long sched_yield(struct pvmx_hcall *hc)
{
	hc->action = PVMX_YIELD;
	return 0;
}

long do_sched_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 reason;

	switch (hc->arg[0]) {
	case SCHEDOP_yield:
		return sched_yield(hc);
	case SCHEDOP_block:
		return sched_block(v, hc);
	case SCHEDOP_shutdown:
		if (pvmx_copy_from_guest(v, &reason, hc->arg[1], sizeof(reason)))
			return -XEN_EFAULT;
		pvmx_shutdown(v, hc, reason);
		return 0;
	case SCHEDOP_poll:
		return sched_poll(v, hc);
	case SCHEDOP_shutdown_code:
		/* Recorded by Xen for a later shutdown; pvmx reports reasons as they come. */
		if (pvmx_copy_from_guest(v, &reason, hc->arg[1], sizeof(reason)))
			return -XEN_EFAULT;
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}

long do_sched_op_compat(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	switch (hc->arg[0]) {
	case SCHEDOP_yield:
		return sched_yield(hc);
	case SCHEDOP_block:
		return sched_block(v, hc);
	case SCHEDOP_shutdown:
		pvmx_shutdown(v, hc, hc->arg[1]);
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}

/* ---- the host's waits --------------------------------------------------- */

static bool should_wake(struct pvmx_vcpu_core *v)
{
	struct xen_shared_info *si = v->vm->shared_info;
	struct xen_vcpu_info *vi = pvmx_vcpu_info(v);
	u32 i, port;

	lockdep_assert_held(&v->vm->lock);
	if (v->vm->ended)
		return true;
	if (!v->up)
		return false;	/* downed while blocked: it blocks on once up */
	pvmx_apply_async_events(v);
	if (READ_ONCE(vi->evtchn_upcall_pending) &&
	    (!v->wait.polling || !READ_ONCE(vi->evtchn_upcall_mask)))
		return true;
	if (v->wait.polling)
		for (i = 0; i < v->wait.nr_ports; i++) {
			port = v->wait.ports[i];
			if (pvmx_test_bit32(&si->evtchn_pending[port / 32], port % 32))
				return true;
		}
	return false;
}

/* vCPU thread only: applies queued events, then answers for block or poll. */
bool pvmx_vcpu_should_wake(struct pvmx_vcpu_core *v)
{
	return pvmx_locked_call(v, should_wake(v));
}

/* Taken under the lock so what VCPUOP_initialise wrote is seen once up is. */
bool pvmx_vcpu_may_run(struct pvmx_vcpu_core *v)
{
	bool run;

	spin_lock(&v->vm->lock);
	run = v->up || v->vm->ended;
	spin_unlock(&v->vm->lock);
	return run;
}
