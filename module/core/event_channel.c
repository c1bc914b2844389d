// SPDX-License-Identifier: GPL-2.0
/*
 * Event channels with Xen's semantics (xen/common/event_channel.c, the
 * 2-level ABI of xen/common/event_2l.c; Documentation/guest-abi.rst,
 * event_channel_op): the ports and event_channel_op, VIRQs, the pending
 * and selector bits that make an upcall, and the events raised from
 * outside a vCPU's thread.
 *
 * Everything here runs on a vCPU's thread under the VM lock (core.h),
 * except the *_async entry points, which only set atomic bits and kick the
 * vCPU: timers (hard IRQ) and the launcher queue events; a vCPU applies them
 * before it enters the guest (pvmx_apply_async_events()).  Any vCPU may
 * change another's pending bits (IPIs, events bound to other vCPUs): it
 * kicks the target, which notices at once whether it runs guest code on
 * another CPU or waits.  The guest changes the pending/mask/selector words
 * itself concurrently, so every access to them is atomic.
 */
#include "core.h"

#define DOMID_LAUNCHER		0	/* the launcher plays dom0's backends */

/* Xen's VIRQ_VCPU type: TIMER, DEBUG, XENOPROF (7), XENPMU (13). */
#define PER_VCPU_VIRQS	(BIT(VIRQ_TIMER) | BIT(VIRQ_DEBUG) | BIT(7) | BIT(13))
#define GLOBAL_VIRQS	((u32)(BIT(XEN_NR_VIRQS) - 1) & ~(u32)PER_VCPU_VIRQS)

static bool virq_is_per_vcpu(u32 virq)
{
	return virq < 32 && (PER_VCPU_VIRQS & BIT(virq));
}

/* ---- pending, mask, upcall ------------------------------------------------ */

/*
 * Xen's evtchn_check_pollers(): every vCPU polling this port wakes, whether
 * the port is masked or its selector bit was already set (no upcall then).
 * The VM lock guards v->wait.
 */
_Static_assert(PVMX_MAX_VCPUS <= 32, "poll_mask has a bit per vCPU");

static void wake_pollers(struct pvmx_vm_core *vm, u32 port)
{
	struct pvmx_vcpu_core *p;
	u32 mask = __atomic_load_n(&vm->poll_mask, __ATOMIC_RELAXED), id, i;

	lockdep_assert_held(&vm->lock);
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
	struct pvmx_vcpu_core *target = pvmx_vcpu_of(vm, vm->evtchn[port].vcpu);
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

void pvmx_apply_async_events(struct pvmx_vcpu_core *v)
{
	struct pvmx_vcpu_core *v0;
	u32 virqs, words, word, bits, i;

	lockdep_assert_held(&v->vm->lock);
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

/* ---- event_channel_op ------------------------------------------------------ */

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
	return pvmx_vcpu_of(vm, virq_is_per_vcpu(virq) ? vcpu : 0);
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
	target = pvmx_vcpu_of(vm, b.vcpu);
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
	if (!pvmx_vcpu_of(vm, b.vcpu))
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
	    vm->evtchn[port].virq == VIRQ_TIMER && pvmx_vcpu_of(vm, vm->evtchn[port].vcpu))
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
	target = pvmx_vcpu_of(vm, vm->evtchn[port].vcpu);
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
	if (!pvmx_vcpu_of(vm, b.vcpu))
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
#define EVTCHN_FIFO_CONTROL_BLOCK	72u	/* ready, rsvd, 16 queue heads */

static long evtchn_init_control(struct pvmx_vcpu_core *v, u32 arg)
{
	struct evtchn_init_control ic;

	if (pvmx_copy_from_guest(v, &ic, arg, sizeof(ic)))
		return -XEN_EFAULT;
	if (!pvmx_vcpu_of(v->vm, ic.vcpu))
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

long do_event_channel_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	lockdep_assert_held(&v->vm->lock);
	return evtchn_op(v, hc, hc->arg[0], hc->arg[1]);
}

/* event_channel_op_compat (16): {u32 cmd; union} behind one pointer. */
long do_event_channel_op_compat(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 cmd;

	lockdep_assert_held(&v->vm->lock);
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
