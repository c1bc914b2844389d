// SPDX-License-Identifier: GPL-2.0
/*
 * Events and time: 2-level event channels with Xen's exact semantics
 * (reference section 9.4), VIRQs, the event upcall, set_timer_op and the
 * vcpu_op timers, SCHEDOP_block/poll, runstate and the time fields of
 * shared_info.
 *
 * Everything here runs on a vCPU's thread under the VM lock (core.h),
 * except the *_async entry points, which only set atomic bits and kick the
 * vCPU: timers (hard IRQ) and the launcher queue events; a vCPU applies them
 * before it enters the guest.  Any vCPU may change another's pending bits
 * (IPIs, events bound to other vCPUs): it kicks the target, which notices
 * at once whether it runs guest code on another CPU or waits.  The guest
 * changes the pending/mask/selector words itself concurrently, so every
 * access to them is atomic.
 */
#include "core.h"

#define DOMID_LAUNCHER		0	/* the launcher plays dom0's backends */
#define POLL_MAX_PORTS		128
/* set_timer_op: deadlines this far away are replaced by now + 100 ms. */
#define TIMER_MAX_DELTA_NS	BIT_ULL(50)
#define TIMER_FALLBACK_NS	100000000ULL
#define PERIODIC_DEFAULT_NS	10000000ULL	/* Xen's 10 ms for PV vCPUs */
#define PERIODIC_MIN_NS		1000000ULL

/* Xen's VIRQ_VCPU type: TIMER, DEBUG, XENOPROF (7), XENPMU (13). */
#define PER_VCPU_VIRQS	(BIT(VIRQ_TIMER) | BIT(VIRQ_DEBUG) | BIT(7) | BIT(13))
#define GLOBAL_VIRQS	((u32)(BIT(XEN_NR_VIRQS) - 1) & ~(u32)PER_VCPU_VIRQS)

static bool virq_is_per_vcpu(u32 virq)
{
	return virq < 32 && (PER_VCPU_VIRQS & BIT(virq));
}

static struct pvmx_vcpu_core *vcpu_of(struct pvmx_vm_core *vm, u32 id)
{
	return id < PVMX_MAX_VCPUS ? vm->vcpus[id] : NULL;
}

/* ---- pending, mask, upcall ------------------------------------------------ */

/*
 * Xen's evtchn_check_pollers(): every vCPU polling this port wakes, whether
 * the port is masked or its selector bit was already set (no upcall then).
 * Under the VM lock, which guards v->wait.
 */
_Static_assert(PVMX_MAX_VCPUS <= 32, "poll_mask has a bit per vCPU");

static void wake_pollers(struct pvmx_vm_core *vm, u32 port)
{
	struct pvmx_vcpu_core *p;
	u32 mask = __atomic_load_n(&vm->poll_mask, __ATOMIC_RELAXED), id, i;

	/* Xen's evtchn_port_set_pending(): only the vCPUs in the poll mask. */
	while (unlikely(mask)) {
		id = __builtin_ctz(mask);
		mask &= mask - 1;
		p = vm->vcpus[id];
		if (!p || !p->wait.polling)
			continue;
		for (i = 0; i < p->wait.nr_ports && i < ARRAY_SIZE(p->wait.ports); i++) {
			if (p->wait.ports[i] == port) {
				pvmx_host_kick(p);
				break;
			}
		}
	}
}

/*
 * Xen's evtchn_2l_set_pending(): pending, then selector and upcall if
 * unmasked, then the pollers.  self is the vCPU whose thread runs this:
 * like Xen's vcpu_kick() of current, it is not kicked (no wake-up, no
 * IPI), its own pvmx_prepare_entry() sees the upcall before it enters.
 */
static void set_pending(struct pvmx_vm_core *vm, struct pvmx_vcpu_core *self, u32 port)
{
	struct xen_shared_info *si = vm->shared_info;
	struct pvmx_vcpu_core *target = vcpu_of(vm, vm->evtchn[port].vcpu);
	struct xen_vcpu_info *vi;

	if (pvmx_test_and_set_bit32(&si->evtchn_pending[port / 32], port % 32))
		return;
	if (!pvmx_test_bit32(&si->evtchn_mask[port / 32], port % 32) && target) {
		vi = pvmx_vcpu_info(target);
		if (!pvmx_test_and_set_bit32(&vi->evtchn_pending_sel, port / 32)) {
			WRITE_ONCE(vi->evtchn_upcall_pending, 1);
			if (target->up && target != self)
				pvmx_host_kick(target);
		}
	}
	wake_pollers(vm, port);
}

/* v's VIRQ, raised by self's thread. */
static void send_virq(struct pvmx_vcpu_core *self, struct pvmx_vcpu_core *v, u32 virq)
{
	u32 port = v->virq_port[virq];

	if (port)
		set_pending(v->vm, self, port);
}

/*
 * A global VIRQ is raised on vCPU 0, whose table holds it, but its port may
 * notify another vCPU (bind_vcpu), and vCPU 0 may be down: the vCPU the port
 * names is kicked, and any vCPU applies vCPU 0's global VIRQs.  No VM lock:
 * the port's vCPU is only a hint.
 */
void pvmx_raise_virq_async(struct pvmx_vcpu_core *v, u32 virq)
{
	struct pvmx_vcpu_core *target = v;
	u32 port;

	__atomic_fetch_or(&v->async_virqs, 1u << virq, __ATOMIC_SEQ_CST);
	if (virq >= XEN_NR_VIRQS || virq_is_per_vcpu(virq)) {
		pvmx_entry_work_set(v, PVMX_WORK_EVENTS);
	} else {
		/* Any vCPU applies vCPU 0's global VIRQs: every one looks. */
		pvmx_entry_work_set_all(v->vm, PVMX_WORK_EVENTS);
		port = READ_ONCE(v->virq_port[virq]) % XEN_NR_EVTCHN_PORTS;
		target = READ_ONCE(v->vm->vcpus[READ_ONCE(v->vm->evtchn[port].vcpu) %
						 PVMX_MAX_VCPUS]);
		if (!target || !READ_ONCE(target->up))
			target = v;
	}
	pvmx_host_kick(target);
}

/* No VM lock: the launcher's ports stay theirs; the bound vCPU is only a hint. */
int pvmx_raise_port_async(struct pvmx_vm_core *vm, u32 port)
{
	struct pvmx_vcpu_core *target;

	if (port >= XEN_NR_EVTCHN_PORTS || !READ_ONCE(vm->evtchn[port].to_launcher))
		return -XEN_EINVAL;
	pvmx_test_and_set_bit32(&vm->raised_ports[port / 32], port % 32);
	pvmx_test_and_set_bit32(&vm->raised_words, port / 32);
	pvmx_entry_work_set_all(vm, PVMX_WORK_EVENTS);
	/* Whichever vCPU looks first applies it; the one notified is kicked. */
	target = READ_ONCE(vm->vcpus[READ_ONCE(vm->evtchn[port].vcpu) % PVMX_MAX_VCPUS]);
	if (!target)
		target = READ_ONCE(vm->vcpus[0]);
	if (target)
		pvmx_host_kick(target);
	return 0;
}

static void apply_async_events(struct pvmx_vcpu_core *v)
{
	struct pvmx_vcpu_core *v0;
	u32 virqs, words, word, bits, i;

	if (__atomic_load_n(&v->async_virqs, __ATOMIC_RELAXED)) {
		virqs = pvmx_xchg32(&v->async_virqs, 0);
		for (i = 0; i < XEN_NR_VIRQS; i++)
			if (virqs & (1u << i))
				send_virq(v, v, i);
	}
	v0 = v->vm->vcpus[0];
	if (v0 && v0 != v && (__atomic_load_n(&v0->async_virqs, __ATOMIC_RELAXED) & GLOBAL_VIRQS)) {
		virqs = __atomic_fetch_and(&v0->async_virqs, ~GLOBAL_VIRQS, __ATOMIC_SEQ_CST);
		for (i = 0; i < XEN_NR_VIRQS; i++)
			if (virqs & GLOBAL_VIRQS & (1u << i))
				send_virq(v, v0, i);
	}
	/* One load on the hot path: which words to look at. */
	if (!__atomic_load_n(&v->vm->raised_words, __ATOMIC_RELAXED))
		return;
	words = pvmx_xchg32(&v->vm->raised_words, 0);
	for (word = 0; word < ARRAY_SIZE(v->vm->raised_ports); word++) {
		if (!(words & (1u << word)))
			continue;
		bits = pvmx_xchg32(&v->vm->raised_ports[word], 0);
		for (i = 0; i < 32; i++)
			if (bits & (1u << i))
				set_pending(v->vm, v, word * 32 + i);
	}
}

/* Xen's time scale: ns = ((tsc << shift) * mul) >> 32, shift applied first. */
/*
 * The copy at the register_vcpu_time_memory_area address, as Xen's
 * update_secondary_system_time(): version odd, the record, version even;
 * nothing if the address cannot be written now.  The VM lock is held (the
 * walk must not race page-type changes).
 */
static void write_time_area(struct pvmx_vcpu_core *v, const struct xen_vcpu_time_info *t)
{
	struct xen_vcpu_time_info u = *t;
	u32 version = u.version | 1;

	if (pvmx_copy_to_guest(v, v->time_area_va, &version, sizeof(version)))
		return;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	u.version = version;
	pvmx_copy_to_guest(v, v->time_area_va, &u, sizeof(u));
	__atomic_thread_fence(__ATOMIC_RELEASE);
	version++;
	pvmx_copy_to_guest(v, v->time_area_va, &version, sizeof(version));
}

static void update_time_info(struct pvmx_vcpu_core *v, bool locked)
{
	struct xen_vcpu_time_info *t = &pvmx_vcpu_info(v)->time;
	struct pvmx_time_sample now;

	pvmx_host_time(&now);
	WRITE_ONCE(t->version, t->version | 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t->tsc_timestamp = now.tsc;
	t->system_time = now.ns;
	t->tsc_to_system_mul = now.tsc_to_system_mul;
	t->tsc_shift = now.tsc_shift;
	t->flags = 1;		/* XEN_PVCLOCK_TSC_STABLE_BIT */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	WRITE_ONCE(t->version, (t->version | 1) + 1);
	if (!READ_ONCE(v->time_area_va))
		return;
	if (locked) {
		write_time_area(v, t);
	} else {
		spin_lock(&v->vm->lock);
		if (v->time_area_va)
			write_time_area(v, t);
		spin_unlock(&v->vm->lock);
	}
}

void pvmx_update_time_info(struct pvmx_vcpu_core *v)
{
	update_time_info(v, false);
}

/*
 * A data selector the vCPU could hold at its privilege level (null is fine):
 * the hardware's rule for loading DS..GS at CPL c (the context's CS RPL,
 * never below 1): a present data or readable code segment with DPL >=
 * max(c, RPL), or readable conforming code.  Linux starts its APs with FS
 * = __KERNEL_PERCPU, RPL 0, whose DPL Xen's descriptor check raised to 1.
 */
#define SEL_DESC_S		BIT_ULL(44)
#define SEL_DESC_P		BIT_ULL(47)
#define SEL_DESC_CODE		BIT_ULL(43)
#define SEL_DESC_CONFORMING	BIT_ULL(42)
#define SEL_DESC_READABLE	BIT_ULL(41)
static bool data_selector_ok(struct pvmx_vcpu_core *t, u16 sel)
{
	u32 cpl = (t->cpu.cs & 3) ? (t->cpu.cs & 3) : 1, rpl = sel & 3, dpl;
	u64 d;

	if (!(sel & ~3u))
		return true;
	if (pvmx_read_descriptor(t, sel, &d) || !(d & SEL_DESC_P) || !(d & SEL_DESC_S))
		return false;
	if (d & SEL_DESC_CODE) {
		if (!(d & SEL_DESC_READABLE))
			return false;
		if (d & SEL_DESC_CONFORMING)
			return true;
	}
	dpl = (d >> 45) & 3;
	return dpl >= cpl && dpl >= rpl;
}

/*
 * The first entry after VCPUOP_initialise, with the GDT the guest has now:
 * on Xen an unloadable CS or SS faults its return to the guest and data
 * selectors go through the failsafe callback; pvmx crashes the guest with
 * the reason instead (Documentation/guest-abi.rst, vcpu_op).
 */
static bool new_context_loadable(struct pvmx_vcpu_core *v)
{
	u16 segs[4];
	int i;

	v->new_context = false;
	if (!pvmx_arch_selector_usable(v, v->cpu.cs, PVMX_SEG_CODE) ||
	    !pvmx_arch_selector_usable(v, v->cpu.ss, PVMX_SEG_STACK) ||
	    (v->cpu.cs & 3) != (v->cpu.ss & 3))
		return false;
	pvmx_arch_get_data_segs(v, segs);
	for (i = 0; i < 4; i++)
		if (!data_selector_ok(v, segs[i]))
			return false;
	return true;
}

void pvmx_entry_work_set_all(struct pvmx_vm_core *vm, u32 bits)
{
	struct pvmx_vcpu_core *t;
	u32 i;

	for (i = 0; i < PVMX_MAX_VCPUS; i++) {
		t = READ_ONCE(vm->vcpus[i]);
		if (t)
			pvmx_entry_work_set(t, bits);
	}
}

#ifndef __KERNEL__
void (*pvmx_entry_slow_test_hook)(struct pvmx_vcpu_core *v);
#endif

/*
 * pvmx_prepare_entry() found entry_work set (every bit at a vCPU's first
 * entry, which caches entry_vi here) or an upcall to deliver.  The word is taken before any field is read
 * (core.h): a writer that stores its field and sets its bit after this
 * xchg is seen at the next entry.  Then exactly what the entry path did
 * before the word existed, under the VM lock; a condition that makes it
 * leave without doing the rest puts the bits back, so none is lost.
 */
enum pvmx_action pvmx_prepare_entry_slow(struct pvmx_vcpu_core *v)
{
	u32 work = pvmx_xchg32(&v->entry_work, 0);
	enum pvmx_action act = PVMX_RESUME;
	struct xen_vcpu_info *vi;

	if (v->trace_nr) {
		/* The records first; the rest of the work at the next entry. */
		if (work & ~PVMX_WORK_TRACE)
			pvmx_entry_work_set(v, work & ~PVMX_WORK_TRACE);
		act = pvmx_trace_flush(v);
		pvmx_entry_slow_hook(v);
		return act;
	}
	spin_lock(&v->vm->lock);
	vi = pvmx_vcpu_info(v);
	if (unlikely(v->entry_vi != vi))
		WRITE_ONCE(v->entry_vi, vi);
	if (v->vm->ended) {
		/* Another vCPU ended the VM: the caller reports the VM's end. */
		pvmx_entry_work_set(v, work | PVMX_WORK_ENDED);	/* every later entry too */
		v->run->exit_reason = PVMX_EXIT_NONE;
		act = PVMX_EXIT_TO_USER;
	} else if (!v->up) {
		/* VCPUOP_down by another vCPU; the work waits for VCPUOP_up. */
		pvmx_entry_work_set(v, work | PVMX_WORK_STATE);
		act = PVMX_OFFLINE;
	} else if (unlikely(v->new_context) && !new_context_loadable(v)) {
		act = pvmx_crash(v, PVMX_CRASH_BAD_STATE, ~0u, 0, 0,
				 "vCPU %u: the VCPUOP_initialise context has selectors it cannot load (cs %04x ss %04x)",
				 v->id, v->cpu.cs, v->cpu.ss);
	} else {
		pvmx_process_requests(v);
		apply_async_events(v);
		if (READ_ONCE(vi->evtchn_upcall_pending) && !READ_ONCE(vi->evtchn_upcall_mask))
			act = pvmx_deliver_upcall(v);
	}
	pvmx_entry_slow_hook(v);
	spin_unlock(&v->vm->lock);
	return act;
}

static bool should_wake(struct pvmx_vcpu_core *v)
{
	struct xen_shared_info *si = v->vm->shared_info;
	struct xen_vcpu_info *vi = pvmx_vcpu_info(v);
	u32 i, port;

	if (v->vm->ended)
		return true;
	if (!v->up)
		return false;	/* downed while blocked: it blocks on once up */
	apply_async_events(v);
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
	bool wake;

	spin_lock(&v->vm->lock);
	wake = should_wake(v);
	spin_unlock(&v->vm->lock);
	return wake;
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

void pvmx_set_wallclock(struct pvmx_vm_core *vm, u64 real_ns_at_zero)
{
	struct xen_shared_info *si = vm->shared_info;
	u64 sec = real_ns_at_zero / 1000000000ULL;

	WRITE_ONCE(si->wc_version, si->wc_version | 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	si->wc_sec = (u32)sec;
	si->wc_sec_hi = (u32)(sec >> 32);
	si->wc_nsec = real_ns_at_zero % 1000000000ULL;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	WRITE_ONCE(si->wc_version, (si->wc_version | 1) + 1);
}

/* ---- event_channel_op ------------------------------------------------------ */

struct evtchn_alloc_unbound { u16 dom, remote_dom; u32 port; };
struct evtchn_bind_interdomain { u16 remote_dom, pad; u32 remote_port, local_port; };
struct evtchn_bind_virq { u32 virq, vcpu, port; };
struct evtchn_bind_ipi { u32 vcpu, port; };
struct evtchn_port { u32 port; };
struct evtchn_bind_vcpu { u32 port, vcpu; };
struct evtchn_status {
	u16 dom, pad;
	u32 port, status, vcpu;
	union {
		u16 unbound_dom;
		struct { u16 dom, pad; u32 port; } interdomain;
		u32 virq;
	} u;
};

static bool is_self(const struct pvmx_vm_core *vm, u32 dom)
{
	return dom == DOMID_SELF || dom == vm->domid;
}

static int alloc_port(struct pvmx_vm_core *vm)
{
	u32 port;

	for (port = 1; port < XEN_NR_EVTCHN_PORTS; port++)
		if (vm->evtchn[port].state == EVTCHNSTAT_closed)
			return port;
	return -XEN_ENOSPC;
}

/*
 * Which vCPU's table holds a VIRQ port: a per-vCPU VIRQ's own, a global
 * VIRQ's always vCPU 0's, whichever vCPU bind_vcpu made it notify since
 * (Xen's evtchn_bind_virq() and evtchn_close(), xen/common/event_channel.c).
 */
static struct pvmx_vcpu_core *virq_owner(struct pvmx_vm_core *vm, u32 virq, u32 vcpu)
{
	return vcpu_of(vm, virq_is_per_vcpu(virq) ? vcpu : 0);
}

static void unbind_virq(struct pvmx_vm_core *vm, const struct pvmx_evtchn *chn, u32 port)
{
	struct pvmx_vcpu_core *owner;

	if (chn->virq >= XEN_NR_VIRQS)
		return;
	owner = virq_owner(vm, chn->virq, chn->vcpu);
	if (owner && owner->virq_port[chn->virq] == port)
		owner->virq_port[chn->virq] = 0;
}

static void close_port(struct pvmx_vm_core *vm, u32 port)
{
	struct pvmx_evtchn *chn = &vm->evtchn[port];

	if (chn->state == EVTCHNSTAT_virq)
		unbind_virq(vm, chn, port);
	if (chn->state == EVTCHNSTAT_interdomain && !chn->to_launcher) {
		/* The peer (ourselves) goes back to waiting for a bind. */
		struct pvmx_evtchn *peer = &vm->evtchn[chn->remote_port];

		peer->state = EVTCHNSTAT_unbound;
		peer->remote_dom = vm->domid;
	}
	pvmx_test_and_clear_bit32(&vm->shared_info->evtchn_pending[port / 32], port % 32);
	memset(chn, 0, sizeof(*chn));
}

static long evtchn_alloc_unbound(struct pvmx_vcpu_core *v, u32 arg)
{
	struct pvmx_vm_core *vm = v->vm;
	struct evtchn_alloc_unbound a;
	int port;

	if (pvmx_copy_from_guest(v, &a, arg, sizeof(a)))
		return -XEN_EFAULT;
	if (!is_self(vm, a.dom))
		return -XEN_EPERM;
	port = alloc_port(vm);
	if (port < 0)
		return port;
	vm->evtchn[port] = (struct pvmx_evtchn){
		.state = EVTCHNSTAT_unbound,
		.remote_dom = is_self(vm, a.remote_dom) ? vm->domid : a.remote_dom,
	};
	a.port = port;
	if (pvmx_copy_to_guest(v, arg, &a, sizeof(a))) {
		close_port(vm, port);
		return -XEN_EFAULT;
	}
	return 0;
}

static long evtchn_bind_interdomain(struct pvmx_vcpu_core *v, u32 arg)
{
	struct pvmx_vm_core *vm = v->vm;
	struct evtchn_bind_interdomain b;
	struct pvmx_evtchn *remote;
	int port;

	if (pvmx_copy_from_guest(v, &b, arg, sizeof(b)))
		return -XEN_EFAULT;
	if (!is_self(vm, b.remote_dom))
		return -XEN_ESRCH;	/* pvmx guests see no other domain */
	if (b.remote_port == 0 || b.remote_port >= XEN_NR_EVTCHN_PORTS)
		return -XEN_EINVAL;
	remote = &vm->evtchn[b.remote_port];
	if (remote->state != EVTCHNSTAT_unbound || remote->remote_dom != vm->domid)
		return -XEN_EINVAL;
	port = alloc_port(vm);
	if (port < 0)
		return port;
	vm->evtchn[port] = (struct pvmx_evtchn){
		.state = EVTCHNSTAT_interdomain, .vcpu = v->id,
		.remote_dom = vm->domid, .remote_port = b.remote_port,
	};
	remote->state = EVTCHNSTAT_interdomain;
	remote->remote_dom = vm->domid;
	remote->remote_port = port;
	b.local_port = port;
	if (pvmx_copy_to_guest(v, arg + 8, &b.local_port, 4)) {
		close_port(vm, port);
		return -XEN_EFAULT;
	}
	/* Xen marks the new local port pending so no notification is lost. */
	set_pending(vm, v, port);
	return 0;
}

static long evtchn_bind_virq(struct pvmx_vcpu_core *v, u32 arg)
{
	struct pvmx_vm_core *vm = v->vm;
	struct evtchn_bind_virq b;
	struct pvmx_vcpu_core *target;
	int port;

	if (pvmx_copy_from_guest(v, &b, arg, sizeof(b)))
		return -XEN_EFAULT;
	if (b.virq >= XEN_NR_VIRQS || (!virq_is_per_vcpu(b.virq) && b.vcpu != 0))
		return -XEN_EINVAL;
	target = vcpu_of(vm, b.vcpu);
	if (!target)
		return -XEN_ENOENT;
	if (target->virq_port[b.virq])
		return -XEN_EEXIST;
	port = alloc_port(vm);
	if (port < 0)
		return port;
	vm->evtchn[port] = (struct pvmx_evtchn){
		.state = EVTCHNSTAT_virq, .vcpu = b.vcpu, .virq = b.virq,
	};
	target->virq_port[b.virq] = port;
	b.port = port;
	if (pvmx_copy_to_guest(v, arg + 8, &b.port, 4)) {
		close_port(vm, port);
		return -XEN_EFAULT;
	}
	if (b.virq == VIRQ_TIMER)
		pvmx_host_set_periodic(target, target->periodic_ns);
	return 0;
}

static long evtchn_bind_ipi(struct pvmx_vcpu_core *v, u32 arg)
{
	struct pvmx_vm_core *vm = v->vm;
	struct evtchn_bind_ipi b;
	int port;

	if (pvmx_copy_from_guest(v, &b, arg, sizeof(b)))
		return -XEN_EFAULT;
	if (!vcpu_of(vm, b.vcpu))
		return -XEN_ENOENT;
	port = alloc_port(vm);
	if (port < 0)
		return port;
	vm->evtchn[port] = (struct pvmx_evtchn){ .state = EVTCHNSTAT_ipi, .vcpu = b.vcpu };
	b.port = port;
	if (pvmx_copy_to_guest(v, arg + 4, &b.port, 4)) {
		close_port(vm, port);
		return -XEN_EFAULT;
	}
	return 0;
}

static long evtchn_close(struct pvmx_vcpu_core *v, u32 port)
{
	struct pvmx_vm_core *vm = v->vm;

	if (port >= XEN_NR_EVTCHN_PORTS || vm->evtchn[port].state == EVTCHNSTAT_closed)
		return -XEN_EINVAL;
	if (vm->evtchn[port].state == EVTCHNSTAT_virq &&
	    vm->evtchn[port].virq == VIRQ_TIMER && vcpu_of(vm, vm->evtchn[port].vcpu))
		pvmx_host_set_periodic(vm->vcpus[vm->evtchn[port].vcpu], 0);
	close_port(vm, port);
	return 0;
}

static long evtchn_send(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc, u32 port)
{
	struct pvmx_vm_core *vm = v->vm;
	struct pvmx_evtchn *chn;

	if (port >= XEN_NR_EVTCHN_PORTS)
		return -XEN_EINVAL;
	chn = &vm->evtchn[port];
	switch (chn->state) {
	case EVTCHNSTAT_interdomain:
		if (chn->to_launcher) {
			v->run->notify.port = port;
			v->run->notify.pad = 0;
			v->run->exit_reason = PVMX_EXIT_NOTIFY;
			hc->action = PVMX_EXIT_TO_USER;
		} else {
			set_pending(vm, v, chn->remote_port);
		}
		return 0;
	case EVTCHNSTAT_ipi:
		set_pending(vm, v, port);
		return 0;
	case EVTCHNSTAT_unbound:
		return 0;		/* dropped silently, as Xen does */
	default:
		return -XEN_EINVAL;
	}
}

static long evtchn_status(struct pvmx_vcpu_core *v, u32 arg)
{
	struct pvmx_vm_core *vm = v->vm;
	struct evtchn_status st;
	struct pvmx_evtchn *chn;

	if (pvmx_copy_from_guest(v, &st, arg, 8))
		return -XEN_EFAULT;
	if (!is_self(vm, st.dom))
		return -XEN_ESRCH;
	if (st.port >= XEN_NR_EVTCHN_PORTS)
		return -XEN_EINVAL;
	chn = &vm->evtchn[st.port];
	memset(&st.u, 0, sizeof(st.u));
	st.status = chn->state;
	st.vcpu = chn->vcpu;
	switch (chn->state) {
	case EVTCHNSTAT_unbound:
		st.u.unbound_dom = chn->remote_dom;
		break;
	case EVTCHNSTAT_interdomain:
		st.u.interdomain.dom = chn->to_launcher ? DOMID_LAUNCHER : vm->domid;
		st.u.interdomain.port = chn->remote_port;
		break;
	case EVTCHNSTAT_virq:
		st.u.virq = chn->virq;
		break;
	}
	if (pvmx_copy_to_guest(v, arg + 8, &st.status, sizeof(st) - 8))
		return -XEN_EFAULT;
	return 0;
}

static long evtchn_unmask(struct pvmx_vcpu_core *v, u32 port)
{
	struct pvmx_vm_core *vm = v->vm;
	struct xen_shared_info *si = vm->shared_info;
	struct pvmx_vcpu_core *target;
	struct xen_vcpu_info *vi;

	if (port >= XEN_NR_EVTCHN_PORTS)
		return -XEN_EINVAL;
	target = vcpu_of(vm, vm->evtchn[port].vcpu);
	if (pvmx_test_and_clear_bit32(&si->evtchn_mask[port / 32], port % 32) &&
	    pvmx_test_bit32(&si->evtchn_pending[port / 32], port % 32) && target) {
		vi = pvmx_vcpu_info(target);
		if (!pvmx_test_and_set_bit32(&vi->evtchn_pending_sel, port / 32)) {
			WRITE_ONCE(vi->evtchn_upcall_pending, 1);
			if (target != v)
				pvmx_host_kick(target);
		}
	}
	return 0;
}

static long evtchn_bind_vcpu(struct pvmx_vcpu_core *v, u32 arg)
{
	struct pvmx_vm_core *vm = v->vm;
	struct evtchn_bind_vcpu b;
	struct pvmx_evtchn *chn;

	if (pvmx_copy_from_guest(v, &b, arg, sizeof(b)))
		return -XEN_EFAULT;
	if (b.port >= XEN_NR_EVTCHN_PORTS)
		return -XEN_EINVAL;
	if (!vcpu_of(vm, b.vcpu))
		return -XEN_ENOENT;
	chn = &vm->evtchn[b.port];
	switch (chn->state) {
	case EVTCHNSTAT_virq:
		if (virq_is_per_vcpu(chn->virq))
			return -XEN_EINVAL;
		fallthrough;
	case EVTCHNSTAT_unbound:
	case EVTCHNSTAT_interdomain:
		chn->vcpu = b.vcpu;
		return 0;
	default:
		return -XEN_EINVAL;
	}
}

/*
 * The FIFO ABI is not offered: the calls are checked as Xen's
 * evtchn_fifo_init_control() checks them (xen/common/event_fifo.c), so a
 * malformed request gets Xen's answer, and a well-formed one is refused as
 * by a Xen built without CONFIG_EVTCHN_FIFO (-EOPNOTSUPP).  Guests then stay
 * with the 2-level ABI, as Linux does when init_control fails.
 */
struct evtchn_init_control {
	u64 control_gfn;
	u32 offset, vcpu;
	u8 link_bits, pad[7];
} __packed;
struct evtchn_set_priority { u32 port, priority; };

#define EVTCHN_FIFO_CONTROL_BLOCK	72u	/* ready, rsvd, 16 queue heads */

static long evtchn_init_control(struct pvmx_vcpu_core *v, u32 arg)
{
	struct evtchn_init_control ic;

	if (pvmx_copy_from_guest(v, &ic, arg, sizeof(ic)))
		return -XEN_EFAULT;
	if (!vcpu_of(v->vm, ic.vcpu))
		return -XEN_ENOENT;
	/* Within one page, 8-byte aligned. */
	if (ic.offset > PVMX_PAGE_BYTES - EVTCHN_FIFO_CONTROL_BLOCK || (ic.offset & 7))
		return -XEN_EINVAL;
	/* map_guest_page(): a RAM frame that can take a writable type. */
	if (ic.control_gfn >= v->vm->mem.nr_ram_frames ||
	    pvmx_get_page_type(v->vm, ic.control_gfn, PVMX_PGT_WRITABLE))
		return -XEN_EINVAL;
	pvmx_put_page_type(v->vm, ic.control_gfn);
	return -XEN_EOPNOTSUPP;
}

static long evtchn_set_priority(struct pvmx_vcpu_core *v, u32 arg)
{
	struct evtchn_set_priority sp;

	if (pvmx_copy_from_guest(v, &sp, arg, sizeof(sp)))
		return -XEN_EFAULT;
	if (sp.port >= XEN_NR_EVTCHN_PORTS)
		return -XEN_EINVAL;
	return -XEN_ENOSYS;	/* the 2-level ABI has no priorities */
}

static long evtchn_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc, u32 cmd, u32 arg)
{
	u64 array_gfn;
	u32 port;

	switch (cmd) {
	case EVTCHNOP_alloc_unbound:
		return evtchn_alloc_unbound(v, arg);
	case EVTCHNOP_bind_interdomain:
		return evtchn_bind_interdomain(v, arg);
	case EVTCHNOP_bind_virq:
		return evtchn_bind_virq(v, arg);
	case EVTCHNOP_bind_ipi:
		return evtchn_bind_ipi(v, arg);
	case EVTCHNOP_status:
		return evtchn_status(v, arg);
	case EVTCHNOP_bind_vcpu:
		return evtchn_bind_vcpu(v, arg);
	case EVTCHNOP_close:
	case EVTCHNOP_send:
	case EVTCHNOP_unmask:
		if (pvmx_copy_from_guest(v, &port, arg, sizeof(port)))
			return -XEN_EFAULT;
		if (cmd == EVTCHNOP_close)
			return evtchn_close(v, port);
		if (cmd == EVTCHNOP_send)
			return evtchn_send(v, hc, port);
		return evtchn_unmask(v, port);
	case EVTCHNOP_init_control:
		return evtchn_init_control(v, arg);
	case EVTCHNOP_expand_array:
		/* Xen's evtchn_fifo_expand_array() before any init_control. */
		return pvmx_copy_from_guest(v, &array_gfn, arg, sizeof(array_gfn)) ?
		       -XEN_EFAULT : -XEN_EOPNOTSUPP;
	case EVTCHNOP_set_priority:
		return evtchn_set_priority(v, arg);
	default:
		/* bind_pirq and reset are not offered. */
		return -XEN_ENOSYS;
	}
}

long pvmx_do_event_channel_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	return evtchn_op(v, hc, hc->arg[0], hc->arg[1]);
}

/* event_channel_op_compat (16): {u32 cmd; union} behind one pointer. */
long pvmx_do_event_channel_op_compat(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 cmd;

	if (pvmx_copy_from_guest(v, &cmd, hc->arg[0], sizeof(cmd)))
		return -XEN_EFAULT;
	return evtchn_op(v, hc, cmd, hc->arg[0] + 4);
}

int pvmx_events_init(struct pvmx_vm_core *vm, u32 console_port, u32 store_port)
{
	u32 ports[2] = { console_port, store_port };
	int i;

	/* Check both before binding either: a refused call changes nothing. */
	for (i = 0; i < 2; i++)
		if (ports[i] && (ports[i] >= XEN_NR_EVTCHN_PORTS || vm->evtchn[ports[i]].state ||
				 (i && ports[1] == ports[0])))
			return -XEN_EINVAL;
	for (i = 0; i < 2; i++) {
		if (!ports[i])
			continue;
		vm->evtchn[ports[i]] = (struct pvmx_evtchn){
			.state = EVTCHNSTAT_interdomain, .to_launcher = 1,
			.remote_dom = DOMID_LAUNCHER,
		};
	}
	return 0;
}

/*
 * PVMX_BIND_EVTCHN: a back end in the launcher binds the guest's port
 * allocated for domain 0, as Xen's evtchn_bind_interdomain() run by dom0
 * (xen/common/event_channel.c); unbinding is the back end's evtchn_close():
 * the guest's port goes back to unbound for domain 0.  The VM lock orders
 * it against the guest's own event_channel_op calls.
 */
int pvmx_launcher_bind_port(struct pvmx_vm_core *vm, u32 port, bool unbind)
{
	struct pvmx_evtchn *chn;
	int ret = -XEN_EINVAL;

	if (port == 0 || port >= XEN_NR_EVTCHN_PORTS || vm->domid == DOMID_LAUNCHER)
		return -XEN_EINVAL;
	spin_lock(&vm->lock);
	chn = &vm->evtchn[port];
	if (!unbind && chn->state == EVTCHNSTAT_unbound &&
	    chn->remote_dom == DOMID_LAUNCHER) {
		chn->state = EVTCHNSTAT_interdomain;
		WRITE_ONCE(chn->to_launcher, 1);
		ret = 0;
	} else if (unbind && chn->state == EVTCHNSTAT_interdomain && chn->to_launcher) {
		WRITE_ONCE(chn->to_launcher, 0);
		chn->state = EVTCHNSTAT_unbound;
		chn->remote_dom = DOMID_LAUNCHER;
		chn->remote_port = 0;
		ret = 0;
	}
	spin_unlock(&vm->lock);
	return ret;
}

void pvmx_vcpu_events_init(struct pvmx_vcpu_core *v)
{
	pvmx_stats_init(&v->stats);
	v->stats.nr_vcpus = 1;
	v->periodic_ns = PERIODIC_DEFAULT_NS;
	v->up = v->id == 0;
	v->initialised = v->up;
	/* The first entry looks at everything (what came before it was created too). */
	v->entry_work = PVMX_WORK_ALL;
	if (v->vm->shared_info && v->id < XEN_LEGACY_MAX_VCPUS)
		v->entry_vi = &v->vm->shared_info->vcpu_info[v->id];
	v->runstate.state = v->up ? RUNSTATE_runnable : RUNSTATE_offline;
	v->runstate.state_entry_time = pvmx_host_now_ns();
}

/* ---- timers, block, poll --------------------------------------------------- */

long pvmx_do_set_timer_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u64 deadline = ((u64)hc->arg[1] << 32) | hc->arg[0];
	u64 now = pvmx_host_now_ns();

	/* Xen: negative, or 2^50 ns or more ahead (a wrapped guest clock). */
	if (deadline && ((s64)deadline < 0 ||
			 (deadline > now && (deadline - now) >= TIMER_MAX_DELTA_NS)))
		deadline = now + TIMER_FALLBACK_NS;
	pvmx_host_set_timer(v, deadline);
	return 0;
}

long pvmx_sched_block(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	struct xen_vcpu_info *vi = pvmx_vcpu_info(v);

	/* Unmask first, then block unless something is already pending. */
	WRITE_ONCE(vi->evtchn_upcall_mask, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	apply_async_events(v);
	if (!READ_ONCE(vi->evtchn_upcall_pending)) {
		pvmx_poll_done(v);
		v->wait.deadline = 0;
		hc->action = PVMX_BLOCK;
	}
	return 0;
}

long pvmx_sched_poll(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	struct xen_shared_info *si = v->vm->shared_info;
	struct xen_vcpu_info *vi = pvmx_vcpu_info(v);
	struct xen_sched_poll p;
	u32 ports[POLL_MAX_PORTS], i;

	if (pvmx_copy_from_guest(v, &p, hc->arg[1], sizeof(p)))
		return -XEN_EFAULT;
	if (p.nr_ports > POLL_MAX_PORTS)
		return -XEN_EINVAL;
	if (pvmx_copy_from_guest(v, ports, p.ports, p.nr_ports * sizeof(u32)))
		return -XEN_EFAULT;
	for (i = 0; i < p.nr_ports; i++)
		if (ports[i] >= XEN_NR_EVTCHN_PORTS)
			return -XEN_EINVAL;
	apply_async_events(v);
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

/* ---- vcpu_op ----------------------------------------------------------------- */

#define XEN_RUNSTATE_UPDATE	BIT_ULL(63)

/*
 * With VMASST_TYPE_runstate_update_flag, Xen marks state_entry_time with
 * XEN_RUNSTATE_UPDATE while it rewrites the area, so other vCPUs reading it
 * can tell a torn copy.
 */
static void write_runstate_area(struct pvmx_vcpu_core *v)
{
	struct xen_vcpu_runstate_info rs = v->runstate;
	u32 time_va = v->runstate_va + offsetof(struct xen_vcpu_runstate_info, state_entry_time);

	if (!(v->vm->vm_assist & BIT(VMASST_TYPE_runstate_update_flag))) {
		pvmx_copy_to_guest(v, v->runstate_va, &rs, sizeof(rs));
		return;
	}
	rs.state_entry_time |= XEN_RUNSTATE_UPDATE;
	if (pvmx_copy_to_guest(v, time_va, &rs.state_entry_time, 8))
		return;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	pvmx_copy_to_guest(v, v->runstate_va, &rs, sizeof(rs));
	__atomic_thread_fence(__ATOMIC_RELEASE);
	rs.state_entry_time &= ~XEN_RUNSTATE_UPDATE;
	pvmx_copy_to_guest(v, time_va, &rs.state_entry_time, 8);
}

/* The vCPU's own thread; locked because other vCPUs read it (get_runstate_info). */
void pvmx_runstate_change(struct pvmx_vcpu_core *v, int state)
{
	u64 now = pvmx_host_now_ns();
	struct xen_vcpu_runstate_info *rs = &v->runstate;

	spin_lock(&v->vm->lock);
	if (rs->state >= 0 && rs->state < 4 && now > rs->state_entry_time)
		rs->time[rs->state] += now - rs->state_entry_time;
	rs->state = state;
	rs->state_entry_time = now;
	if (v->runstate_va && state == RUNSTATE_running)
		write_runstate_area(v);
	spin_unlock(&v->vm->lock);
}

bool pvmx_vm_end(struct pvmx_vcpu_core *v)
{
	struct pvmx_vm_core *vm = v->vm;
	struct pvmx_vcpu_core *other;
	bool first;
	u32 i;

	spin_lock(&vm->lock);
	first = !vm->ended;
	vm->ended = true;
	spin_unlock(&vm->lock);
	pvmx_entry_work_set_all(vm, PVMX_WORK_ENDED);
	/* Every time: the host layer may have set ended itself with its record. */
	for (i = 0; i < PVMX_MAX_VCPUS; i++) {
		other = READ_ONCE(vm->vcpus[i]);
		if (other && other != v)
			pvmx_host_kick(other);
	}
	return first;
}

/*
 * VCPUOP_register_vcpu_info: the vCPU's vcpu_info moves from shared_info
 * into a RAM frame of the guest's (Xen's map_guest_area() with
 * vcpu_info_populate()).  Once per vCPU; on the caller itself or a vCPU
 * that is down (Xen before 4.18 required that; later Xen pauses the
 * target).  The frame keeps a writable type reference for the VM's life,
 * so it can never become a page table the hypervisor would then write.
 */
static long register_vcpu_info(struct pvmx_vcpu_core *v, struct pvmx_vcpu_core *t, u32 arg)
{
	struct pvmx_vm_core *vm = v->vm;
	struct xen_vcpu_register_vcpu_info info;
	struct xen_vcpu_info *vi;
	u8 *page;

	if (pvmx_copy_from_guest(v, &info, arg, sizeof(info)))
		return -XEN_EFAULT;
	/* gaddr = (mfn << 12) + offset must not wrap nor leave the frame. */
	if (info.mfn >> (64 - PVMX_PAGE_SHIFT) || info.offset >= PVMX_PAGE_BYTES)
		return -XEN_EINVAL;
	if (t->vcpu_info)
		return -XEN_EBUSY;
	if (t != v && t->up)
		return -XEN_EINVAL;
	if (info.offset + sizeof(*vi) > PVMX_PAGE_BYTES || (info.offset & 3))
		return -XEN_ENXIO;
	if (info.mfn >= vm->mem.nr_ram_frames)
		return -XEN_EINVAL;
	if (pvmx_get_page_type(vm, info.mfn, PVMX_PGT_WRITABLE))
		return -XEN_EACCES;
	page = pvmx_gfn_to_host(&vm->mem, info.mfn);
	vi = (struct xen_vcpu_info *)(page + info.offset);
	memcpy(vi, pvmx_vcpu_info(t), sizeof(*vi));
	WRITE_ONCE(t->vcpu_info, vi);
	WRITE_ONCE(t->entry_vi, vi);
	/* Everything pending, so nothing is lost: a spurious upcall at worst. */
	WRITE_ONCE(vi->evtchn_pending_sel, ~0u);
	WRITE_ONCE(vi->evtchn_upcall_pending, 1);
	update_time_info(t, true);
	/*
	 * The int $0x80 fast path reads the mask from shared_info: not any
	 * more.  Another vCPU's gate is its own to rewrite: it may still be
	 * in the guest (downed, not yet out), so it does that before it next
	 * enters.
	 */
	if (t == v)
		pvmx_arch_traps_changed(t);
	else
		pvmx_make_request(t, PVMX_REQ_TRAPS_CHANGED);
	return 0;
}

/*
 * VCPUOP_register_vcpu_time_memory_area (compat): a 32-bit guest address
 * below the hypervisor hole (else -EFAULT), 0 to stop; the vCPU's time
 * record is copied there whenever it is updated, starting now if the
 * target is the caller.
 */
static long register_time_area(struct pvmx_vcpu_core *v, struct pvmx_vcpu_core *t, u32 arg)
{
	u32 va;

	if (pvmx_copy_from_guest(v, &va, arg, sizeof(va)))
		return -XEN_EFAULT;
	if ((u64)va + sizeof(struct xen_vcpu_time_info) > XEN_HYPERVISOR_VIRT_START)
		return -XEN_EFAULT;
	t->time_area_va = va;
	if (va && t == v)
		update_time_info(t, true);
	return 0;
}

/* ---- VCPUOP_initialise: Xen's arch_set_info_guest() for a compat guest ---- */

#define VGC			struct xen_vcpu_guest_context
#define VGC_SIZE		((u32)sizeof(VGC))
#define VGC_CHUNK		512u
#define VGC_TRAPS_PER_CHUNK	(VGC_CHUNK / sizeof(struct xen_trap_info))
#define LDT_MAX_ENTS		8192u
#define PVMX_CR0_TS		0x8u

static u16 code_selector(u32 sel)
{
	/* Xen's fixup_guest_{code,stack}_selector(): RPL 0 becomes 1. */
	return (sel & 3) ? (u16)sel : (u16)(sel | 1);
}

/*
 * The context is 2800 bytes, too big for the stack: it is read in pieces.
 * A first pass checks the whole of it can be read (Xen copies it before
 * anything else: -EFAULT changes nothing).  Xen's checks follow, then the
 * loads; as in Xen a failure in set_gdt or the new cr3 leaves the vCPU
 * uninitialised.
 */
/*
 * The 512-byte buffers live in these helpers, not in vcpu_initialise():
 * with KASAN's redzones one frame holding them all passed the kernel's
 * 1024-byte frame limit (-Werror=frame-larger-than on the debug kernel).
 */
static noinline_for_stack bool vgc_readable(struct pvmx_vcpu_core *v, u32 arg)
{
	u8 buf[VGC_CHUNK];
	u32 off;

	for (off = 0; off < VGC_SIZE; off += VGC_CHUNK)
		if (pvmx_copy_from_guest(v, buf, arg + off, min_t(u32, VGC_CHUNK, VGC_SIZE - off)))
			return false;
	return true;
}

static noinline_for_stack void vgc_load_traps(struct pvmx_vcpu_core *v,
					      struct pvmx_vcpu_core *t, u32 arg)
{
	struct xen_trap_info traps[VGC_TRAPS_PER_CHUNK];
	u32 off, i, j;

	for (off = offsetof(VGC, trap_ctxt), i = 0; i < ARRAY_SIZE(t->trap_ctxt);
	     off += sizeof(traps), i += VGC_TRAPS_PER_CHUNK) {
		if (pvmx_copy_from_guest(v, traps, arg + off, sizeof(traps)))
			memset(traps, 0, sizeof(traps));	/* changed under us */
		for (j = 0; j < VGC_TRAPS_PER_CHUNK; j++) {
			t->trap_ctxt[i + j].address = traps[j].address;
			t->trap_ctxt[i + j].cs = code_selector(traps[j].cs);
			t->trap_ctxt[i + j].flags = traps[j].flags;
		}
	}
}

static noinline_for_stack void vgc_load_context(struct pvmx_vcpu_core *v,
						struct pvmx_vcpu_core *t, u32 arg,
						const u16 *sregs, bool i387_valid)
{
	struct xen_trap_info fpu[VGC_TRAPS_PER_CHUNK];	/* the 512-byte FXSAVE area */

	if (i387_valid) {
		if (pvmx_copy_from_guest(v, fpu, arg, sizeof(fpu)))
			memset(fpu, 0, sizeof(fpu));
		pvmx_arch_load_context(t, sregs, fpu);
	} else {
		pvmx_arch_load_context(t, sregs, NULL);
	}
}

static long vcpu_initialise(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc,
			    struct pvmx_vcpu_core *t, u32 arg)
{
	struct {
		u32 flags;
		struct xen_cpu_user_regs r;
	} head;
	struct {
		u32 ldt_base, ldt_ents, gdt_frames[16], gdt_ents, kernel_ss, kernel_sp;
		u32 ctrlreg[8], debugreg[8];
		u32 event_cs, event_eip, failsafe_cs, failsafe_eip, vm_assist;
	} tail;
	u32 nr_gdt_frames;
	u16 sregs[6];
	long rc;

	if (!vgc_readable(v, arg))
		return -XEN_EFAULT;
	if (pvmx_copy_from_guest(v, &head, arg + offsetof(VGC, flags), sizeof(head)) ||
	    pvmx_copy_from_guest(v, &tail, arg + offsetof(VGC, ldt_base), sizeof(tail)))
		return -XEN_EFAULT;
	if (t->initialised)
		return -XEN_EEXIST;
	/*
	 * The target is not initialised, so it has never run: its thread can
	 * only be waiting for VCPUOP_up, and its context is written here, under
	 * the VM lock.  Unless PVMX_SET_REGS is writing it: then retry once that
	 * is done (as Xen's -ERESTART continuation), to find it initialised.
	 */
	if (t->regs_busy) {
		hc->preempted = true;
		hc->action = PVMX_YIELD;
		return 0;
	}
	if ((tail.ldt_base & PVMX_PAGE_OFFSET_MASK) || tail.ldt_ents > LDT_MAX_ENTS)
		return -XEN_EINVAL;
	if (!pvmx_debug_context_ok(tail.debugreg))
		return -XEN_EINVAL;
	nr_gdt_frames = (tail.gdt_ents + 511) / 512;
	if (nr_gdt_frames > ARRAY_SIZE(tail.gdt_frames) ||
	    tail.gdt_ents > XEN_FIRST_RESERVED_GDT_ENTRY)
		return -XEN_EINVAL;
	/*
	 * Xen fixes up the RPLs and takes the selectors as they are (a zeroed
	 * context is fine, XSA-296): whether the vCPU can load them is only
	 * found out when it first runs (new_context_loadable()).
	 */
	sregs[0] = head.r.es;
	sregs[1] = code_selector(head.r.cs);
	sregs[2] = code_selector(head.r.ss);
	sregs[3] = head.r.ds;
	sregs[4] = head.r.fs;
	sregs[5] = head.r.gs;

	if (tail.gdt_ents) {
		rc = pvmx_set_gdt(t, tail.gdt_frames, tail.gdt_ents);
		if (rc)
			return rc;
	}
	rc = pvmx_new_baseptr(t, XEN_CR3_TO_PFN(tail.ctrlreg[3]));
	if (rc) {
		if (tail.gdt_ents)
			pvmx_set_gdt(t, NULL, 0);
		return rc;
	}
	if (tail.ldt_ents)
		pvmx_set_ldt(t, tail.ldt_base, tail.ldt_ents);

	vgc_load_traps(v, t, arg);
	t->cpu.gpr[PVMX_EAX] = head.r.eax;
	t->cpu.gpr[PVMX_EBX] = head.r.ebx;
	t->cpu.gpr[PVMX_ECX] = head.r.ecx;
	t->cpu.gpr[PVMX_EDX] = head.r.edx;
	t->cpu.gpr[PVMX_ESI] = head.r.esi;
	t->cpu.gpr[PVMX_EDI] = head.r.edi;
	t->cpu.gpr[PVMX_EBP] = head.r.ebp;
	t->cpu.gpr[PVMX_ESP] = head.r.esp;
	t->cpu.eip = head.r.eip;
	/* IOPL is virtualised and the real IF always on, as in Xen; no VM86. */
	t->cpu.eflags = (head.r.eflags & PVMX_EFLAGS_LEGAL & ~PVMX_EFLAGS_IOPL &
			 ~PVMX_EFLAGS_VM) | PVMX_EFLAGS_IF | PVMX_EFLAGS_FIXED;
	t->cpu.cs = sregs[1];
	t->cpu.ss = sregs[2];
	/* The virtual IOPL comes from the context's EFLAGS, as in Xen. */
	t->iopl = (head.r.eflags & PVMX_EFLAGS_IOPL) >> 12;
	t->cpu.kernel_ss = code_selector(tail.kernel_ss);
	t->cpu.kernel_sp = tail.kernel_sp;
	t->event_cb = (struct pvmx_callback){
		.cs = code_selector(tail.event_cs), .eip = tail.event_eip, .mask_events = true,
	};
	t->failsafe_cb = (struct pvmx_callback){
		.cs = code_selector(tail.failsafe_cs), .eip = tail.failsafe_eip,
		.mask_events = head.flags & VGCF_failsafe_disables_events,
	};
	t->fpu_ts = tail.ctrlreg[0] & PVMX_CR0_TS;
	pvmx_load_debug_context(t, tail.ctrlreg[4], tail.debugreg);
	/* Xen takes vm_assist from vCPU 0's context only (a restore). */
	if (t->id == 0)
		v->vm->vm_assist = tail.vm_assist;
	vgc_load_context(v, t, arg, sregs, head.flags & VGCF_i387_valid);
	t->initialised = true;
	t->new_context = true;
	if (head.flags & VGCF_online)
		t->up = true;
	pvmx_entry_work_set(t, PVMX_WORK_STATE);
	if (head.flags & VGCF_online)
		pvmx_host_kick(t);
	return 0;
}

/* The last vCPU to go down takes the VM with it (Xen: SHUTDOWN_poweroff). */
static long vcpu_down(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc,
		      struct pvmx_vcpu_core *t)
{
	struct pvmx_vcpu_core *other;
	u32 i;

	for (i = 0; i < PVMX_MAX_VCPUS; i++) {
		other = v->vm->vcpus[i];
		if (other && other != t && other->up)
			break;
	}
	if (i == PVMX_MAX_VCPUS) {
		pvmx_shutdown(v, hc, SHUTDOWN_poweroff);
		return 0;
	}
	if (!t->up)
		return 0;
	t->up = false;
	pvmx_entry_work_set(t, PVMX_WORK_STATE);
	if (t == v)
		hc->action = PVMX_OFFLINE;	/* resumes after the call once up */
	else
		pvmx_host_kick(t);
	return 0;
}

long pvmx_do_vcpu_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	struct pvmx_vcpu_core *target = vcpu_of(v->vm, hc->arg[1]);
	u32 arg = hc->arg[2];
	u64 period;
	struct { u64 timeout_abs_ns; u32 flags; } __packed sshot;
	struct xen_vcpu_runstate_info rs;

	if (!target)
		return -XEN_ENOENT;	/* beyond the VM's vCPUs, as Xen's domain_vcpu() */
	switch (hc->arg[0]) {
	case VCPUOP_initialise:
		return vcpu_initialise(v, hc, target, arg);
	case VCPUOP_up:
		if (!target->initialised)
			return -XEN_EINVAL;
		if (!target->up) {
			target->up = true;
			pvmx_entry_work_set(target, PVMX_WORK_STATE);
			pvmx_host_kick(target);
		}
		return 0;
	case VCPUOP_down:
		return vcpu_down(v, hc, target);
	case VCPUOP_is_up:
		return target->up;
	case VCPUOP_get_runstate_info:
		rs = target->runstate;
		if (target == v) {
			/* Account the time up to now to the running state. */
			rs.time[RUNSTATE_running] += pvmx_host_now_ns() - rs.state_entry_time;
			rs.state_entry_time = pvmx_host_now_ns();
		}
		return pvmx_copy_to_guest(v, arg, &rs, sizeof(rs)) ? -XEN_EFAULT : 0;
	case VCPUOP_register_runstate_memory_area:
		if (pvmx_copy_from_guest(v, &target->runstate_va, arg, 4))
			return -XEN_EFAULT;
		/* Like Xen, an area that cannot be written now is kept, not refused. */
		if (target->runstate_va)
			pvmx_copy_to_guest(v, target->runstate_va, &target->runstate,
					   sizeof(target->runstate));
		return 0;
	case VCPUOP_register_vcpu_info:
		return register_vcpu_info(v, target, arg);
	case VCPUOP_register_vcpu_time_memory_area:
		return register_time_area(v, target, arg);
	case VCPUOP_set_periodic_timer:
		if (pvmx_copy_from_guest(v, &period, arg, sizeof(period)))
			return -XEN_EFAULT;
		if (period < PERIODIC_MIN_NS || period > TIMER_MAX_DELTA_NS)
			return -XEN_EINVAL;
		target->periodic_ns = period;
		if (target->virq_port[VIRQ_TIMER])
			pvmx_host_set_periodic(target, period);
		return 0;
	case VCPUOP_stop_periodic_timer:
		target->periodic_ns = 0;
		pvmx_host_set_periodic(target, 0);
		return 0;
	case VCPUOP_set_singleshot_timer:
		if (target != v)
			return -XEN_EINVAL;
		if (pvmx_copy_from_guest(v, &sshot, arg, sizeof(sshot)))
			return -XEN_EFAULT;
		/* Current Xen ignores VCPU_SSHOTTMR_future: a past deadline fires at once. */
		pvmx_host_set_timer(v, sshot.timeout_abs_ns ? sshot.timeout_abs_ns : 1);
		return 0;
	case VCPUOP_stop_singleshot_timer:
		if (target != v)
			return -XEN_EINVAL;
		pvmx_host_set_timer(v, 0);
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}
