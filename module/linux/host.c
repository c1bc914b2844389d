// SPDX-License-Identifier: GPL-2.0
/*
 * Host services the core asks for: the clock and the TSC scale guests use,
 * per-vCPU timers that raise VIRQ_TIMER (hrtimers), waking or kicking a vCPU
 * thread, and the sleep behind SCHEDOP_block/poll.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>
#include <asm/tsc.h>
#include "pvmx.h"

#define CREATE_TRACE_POINTS
#include "pvmx_trace.h"

static u32 tsc_mul;
static s8 tsc_shift;

/* Scale so that ns = ((tsc << shift) * mul) >> 32 (Xen's set_time_scale()). */
void pvmx_linux_init_clock(void)
{
	u64 tps = (u64)tsc_khz * 1000, ns_per_sec = NSEC_PER_SEC;
	s8 shift = 0;
	u64 tps32;

	if (!tps)
		tps = ns_per_sec;
	tps32 = tps;
	while (tps32 > (ns_per_sec << 1)) {	/* TSC faster than 2 GHz: shift right */
		tps32 >>= 1;
		shift--;
	}
	while (tps32 <= ns_per_sec) {		/* slower than 1 GHz: shift left */
		tps32 <<= 1;
		shift++;
	}
	tsc_mul = div64_u64(ns_per_sec << 32, tps32);
	tsc_shift = shift;
}

void pvmx_host_time(struct pvmx_time_sample *t)
{
	t->tsc = rdtsc_ordered();
	t->ns = ktime_get_ns();
	t->tsc_to_system_mul = tsc_mul;
	t->tsc_shift = tsc_shift;
}

u64 pvmx_host_now_ns(void)
{
	return ktime_get_ns();
}

u64 pvmx_host_cycles(void)
{
	return rdtsc();
}

/*
 * The record tracepoints' first probe attaches / last one detaches: the
 * core builds records while any is on.  Called under the tracepoint core's
 * mutex, so the updates do not race; the vCPUs read the count locklessly.
 */
int pvmx_tracepoint_reg(void)
{
	WRITE_ONCE(pvmx_host_tracepoints, pvmx_host_tracepoints + 1);
	return 0;
}

void pvmx_tracepoint_unreg(void)
{
	WRITE_ONCE(pvmx_host_tracepoints, pvmx_host_tracepoints - 1);
}

void pvmx_host_tracepoint(struct pvmx_vcpu_core *v, const struct pvmx_trace_rec *r)
{
	switch (r->kind) {
	case PVMX_TRACE_KIND_HYPERCALL:
		trace_pvmx_hypercall(v->id, r);
		break;
	case PVMX_TRACE_KIND_MC_ENTRY:
		trace_pvmx_multicall_entry(v->id, r);
		break;
	default:
		trace_pvmx_delivery(v->id, r);
	}
}

static struct pvmx_vcpu *to_vcpu(struct pvmx_vcpu_core *core)
{
	return container_of(core, struct pvmx_vcpu, core);
}

static enum hrtimer_restart singleshot_fired(struct hrtimer *t)
{
	struct pvmx_vcpu *vcpu = container_of(t, struct pvmx_vcpu, singleshot);

	pvmx_raise_virq_async(&vcpu->core, VIRQ_TIMER);
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart periodic_fired(struct hrtimer *t)
{
	struct pvmx_vcpu *vcpu = container_of(t, struct pvmx_vcpu, periodic);

	pvmx_raise_virq_async(&vcpu->core, VIRQ_TIMER);
	hrtimer_forward_now(t, ns_to_ktime(READ_ONCE(vcpu->core.periodic_ns)));
	return HRTIMER_RESTART;
}

void pvmx_host_set_timer(struct pvmx_vcpu_core *core, u64 deadline_ns)
{
	struct pvmx_vcpu *vcpu = to_vcpu(core);

	hrtimer_cancel(&vcpu->singleshot);
	if (deadline_ns)
		hrtimer_start(&vcpu->singleshot, ns_to_ktime(deadline_ns), HRTIMER_MODE_ABS);
}

void pvmx_host_set_periodic(struct pvmx_vcpu_core *core, u64 period_ns)
{
	struct pvmx_vcpu *vcpu = to_vcpu(core);

	hrtimer_cancel(&vcpu->periodic);
	if (period_ns)
		hrtimer_start(&vcpu->periodic, ns_to_ktime(period_ns), HRTIMER_MODE_REL);
}

void pvmx_host_kick(struct pvmx_vcpu_core *core)
{
	struct pvmx_vcpu *vcpu = to_vcpu(core);
	struct task_struct *task;

	/* Seen by the entry path with interrupts off: no kick falls between look and entry. */
	WRITE_ONCE(vcpu->kicked, true);
	smp_mb();	/* kicked before the wake-up and IPI; pairs with run_stretch() */
	wake_up_interruptible(&vcpu->wq);
	/* In guest mode on another CPU: an IPI makes it exit and look. */
	rcu_read_lock();
	task = READ_ONCE(vcpu->run_task);
	if (task)
		kick_process(task);
	rcu_read_unlock();
}

void pvmx_linux_vcpu_init(struct pvmx_vcpu *vcpu)
{
	init_waitqueue_head(&vcpu->wq);
	hrtimer_init(&vcpu->singleshot, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	vcpu->singleshot.function = singleshot_fired;
	hrtimer_init(&vcpu->periodic, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	vcpu->periodic.function = periodic_fired;
}

void pvmx_linux_vcpu_destroy(struct pvmx_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->singleshot);
	hrtimer_cancel(&vcpu->periodic);
}

/*
 * SCHEDOP_block/poll: sleep until the core says there is something to do,
 * the poll deadline passes, or a signal comes (-EINTR: the launcher sees an
 * INTR exit; the hypercall already returned, so waking early is harmless).
 */
int pvmx_linux_vcpu_wait(struct pvmx_vcpu *vcpu)
{
	struct pvmx_vcpu_core *core = &vcpu->core;
	u64 deadline = core->wait.deadline, now;
	int ret = 0;

	pvmx_runstate_change(core, RUNSTATE_blocked);
	while (!pvmx_vcpu_should_wake(core)) {
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (!deadline) {
			wait_event_interruptible(vcpu->wq, pvmx_vcpu_should_wake(core));
			continue;
		}
		now = ktime_get_ns();
		if (now >= deadline)
			break;
		wait_event_interruptible_hrtimeout(vcpu->wq, pvmx_vcpu_should_wake(core),
						   ns_to_ktime(deadline - now));
	}
	pvmx_poll_done(core);
	pvmx_runstate_change(core, RUNSTATE_running);
	return ret;
}

/*
 * A vCPU that is down (never brought up, or VCPUOP_down): PVMX_RUN waits
 * here until VCPUOP_up or the VM's end; a signal returns -EINTR.
 */
int pvmx_linux_vcpu_wait_up(struct pvmx_vcpu *vcpu)
{
	struct pvmx_vcpu_core *core = &vcpu->core;
	int ret;

	pvmx_runstate_change(core, RUNSTATE_offline);
	ret = wait_event_interruptible(vcpu->wq, pvmx_vcpu_may_run(core));
	pvmx_runstate_change(core, RUNSTATE_running);
	return ret ? -EINTR : 0;
}
