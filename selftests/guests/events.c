// SPDX-License-Identifier: GPL-2.0
/*
 * Event channels (32) and the compat op (16) (Documentation/guest-abi.rst
 * "Event channels", "The event upcall"): alloc_unbound/status, bind_interdomain
 * to ourselves, send, close, bind_virq and its errors, bind_ipi, unmask,
 * bind_vcpu, port exhaustion, bad ports/commands/pointers; the initial upcall
 * mask in all 32 vcpu_infos; the upcall frame, masking on entry,
 * unmask-on-iret, and no upcall while
 * masked until a cheap hypercall after unmasking.
 */
#include "runtime.h"

static volatile u32 ev_count, ev_last_port;

/* Event hook: clear pending, scan the selector, clear the unmasked pending bits. */
static void ev_hook(u32 *frame)
{
	u32 sel, w, bits;

	(void)frame;
	vcpu0->evtchn_upcall_pending = 0;
	sel = __atomic_exchange_n(&vcpu0->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	for (w = 0; w < 32; w++) {
		if (!(sel & (1u << w)))
			continue;
		bits = shared_info->evtchn_pending[w] & ~shared_info->evtchn_mask[w];
		__atomic_fetch_and(&shared_info->evtchn_pending[w], ~bits, __ATOMIC_SEQ_CST);
		if (bits)
			ev_last_port = w * 32 + __builtin_ctz(bits);
	}
	ev_count++;
}

static int pending(u32 port) { return test_bit(shared_info->evtchn_pending, port); }
static void clear_pending(u32 port) { clear_bit(shared_info->evtchn_pending, port); }

static u32 status_of(u32 port, struct evtchn_status *st)
{
	long r = evtchn_status_of(port, st);

	return r ? 0xdead0000u | (u32)-r : st->status;
}

void test_main(void)
{
	struct evtchn_alloc_unbound au = { DOMID_SELF, DOMID_SELF, 0 };
	struct evtchn_bind_interdomain bi;
	struct evtchn_bind_ipi ipi = { 0, 0 };
	struct evtchn_bind_vcpu bv;
	struct evtchn_status st;
	struct { u32 cmd; struct evtchn_alloc_unbound a; u32 pad[4]; } compat;
	u32 p1, p2, pt, pi, pc, domid, i, n, ours, before;
	const volatile struct trap_record *r;
	long ret;
	int ok;

	test_plan(42);
	CHECK(map_shared_info(), "map_shared_info");
	for (ok = 1, i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
		if (shared_info->vcpu_info[i].evtchn_upcall_mask != 1) {
			test_diag("  vcpu_info[%u].evtchn_upcall_mask = %u", i,
				  shared_info->vcpu_info[i].evtchn_upcall_mask);
			ok = 0;
		}
	CHECK(ok, "upcall_mask_1_in_all_32_vcpu_infos");
	CHECK(status_of(start_info->console_evtchn, &st) == EVTCHNSTAT_interdomain &&
	      status_of(start_info->store_evtchn, &st) == EVTCHNSTAT_interdomain,
	      "console_and_store_ports_interdomain");
	test_diag("  console port %u, store port %u", start_info->console_evtchn,
		  start_info->store_evtchn);

	/* alloc_unbound, status */
	CHECK_EQ(evtchn_op(EVTCHNOP_alloc_unbound, &au), 0, "alloc_unbound");
	p1 = au.port;
	CHECK(p1 >= 1 && p1 < 1024, "alloc_unbound_port_in_range");
	CHECK_EQ(status_of(p1, &st), EVTCHNSTAT_unbound, "status_unbound");
	domid = st.u.unbound_dom;
	test_diag("  unbound port %u, u.unbound.dom %u", p1, domid);
	CHECK(domid != DOMID_SELF && domid < 0x7FF0, "unbound_dom_is_real_domid");

	/* bind_interdomain to ourselves */
	bi = (struct evtchn_bind_interdomain){ DOMID_SELF, 0, p1, 0xdeadbeef };
	CHECK_EQ(evtchn_op(EVTCHNOP_bind_interdomain, &bi), 0, "bind_interdomain_self");
	p2 = bi.local_port;
	CHECK(p2 != p1 && p2 >= 1 && p2 < 1024 && pending(p2), "new_local_port_starts_pending");
	ok = status_of(p1, &st) == EVTCHNSTAT_interdomain && st.u.interdomain.port == p2;
	ok &= status_of(p2, &st) == EVTCHNSTAT_interdomain && st.u.interdomain.port == p1;
	CHECK(ok, "status_interdomain_both_ends");
	clear_pending(p1);
	clear_pending(p2);
	CHECK(evtchn_simple(EVTCHNOP_send, p2) == 0 && pending(p1) && !pending(p2),
	      "send_sets_other_end_pending");
	clear_pending(p1);
	CHECK(evtchn_simple(EVTCHNOP_send, p1) == 0 && pending(p2) && !pending(p1),
	      "send_other_direction");
	clear_pending(p2);
	CHECK_EQ(evtchn_simple(EVTCHNOP_close, p2), 0, "close_one_end");
	CHECK(status_of(p1, &st) == EVTCHNSTAT_unbound && status_of(p2, &st) == EVTCHNSTAT_closed,
	      "other_end_unbound_closed_end_closed");
	clear_pending(p1);
	CHECK(evtchn_simple(EVTCHNOP_send, p1) == 0 && !pending(p1), "send_unbound_0_nothing_pending");
	CHECK_EQ(evtchn_simple(EVTCHNOP_send, p2), -XEN_EINVAL, "send_closed_port_einval");

	/* VIRQs */
	CHECK_EQ(evtchn_bind_virq(VIRQ_TIMER, 0, &pt), 0, "bind_virq_timer");
	CHECK(status_of(pt, &st) == EVTCHNSTAT_virq && st.u.virq == VIRQ_TIMER, "status_virq");
	CHECK_EQ(evtchn_bind_virq(VIRQ_TIMER, 0, NULL), -XEN_EEXIST, "bind_virq_twice_eexist");
	CHECK_EQ(evtchn_bind_virq(VIRQ_CONSOLE, 1, NULL), -XEN_EINVAL, "bind_virq_global_vcpu1_einval");
	CHECK_EQ(evtchn_bind_virq(24, 0, NULL), -XEN_EINVAL, "bind_virq_24_einval");
	CHECK_EQ(evtchn_bind_virq(VIRQ_TIMER, 5, NULL), -XEN_ENOENT, "bind_virq_vcpu5_enoent");
	bv = (struct evtchn_bind_vcpu){ pt, 0 };
	CHECK_EQ(evtchn_op(EVTCHNOP_bind_vcpu, &bv), -XEN_EINVAL, "bind_vcpu_per_vcpu_virq_einval");
	CHECK_EQ(evtchn_simple(EVTCHNOP_close, pt), 0, "close_virq");
	clear_pending(pt);

	/* IPI, unmask */
	CHECK_EQ(evtchn_op(EVTCHNOP_bind_ipi, &ipi), 0, "bind_ipi");
	pi = ipi.port;
	CHECK(evtchn_simple(EVTCHNOP_send, pi) == 0 && pending(pi), "send_ipi_pending");
	clear_pending(pi);
	set_bit(shared_info->evtchn_mask, pi);
	vcpu0->evtchn_pending_sel = 0;
	vcpu0->evtchn_upcall_pending = 0;
	evtchn_simple(EVTCHNOP_send, pi);
	ok = pending(pi) && !vcpu0->evtchn_pending_sel && !upcall_pending();
	ret = evtchn_simple(EVTCHNOP_unmask, pi);
	ok &= ret == 0 && !test_bit(shared_info->evtchn_mask, pi) &&
	      (vcpu0->evtchn_pending_sel & (1u << (pi / 32))) && upcall_pending();
	CHECK(ok, "unmask_pending_sets_selector_and_upcall_pending");
	clear_pending(pi);
	vcpu0->evtchn_pending_sel = 0;
	vcpu0->evtchn_upcall_pending = 0;

	/* closes and other errors */
	CHECK_EQ(evtchn_simple(EVTCHNOP_close, 0), -XEN_EINVAL, "close_port0_einval");
	au = (struct evtchn_alloc_unbound){ DOMID_SELF, DOMID_SELF, 0 };
	evtchn_op(EVTCHNOP_alloc_unbound, &au);
	ok = evtchn_simple(EVTCHNOP_close, au.port) == 0;
	CHECK(ok && evtchn_simple(EVTCHNOP_close, au.port) == -XEN_EINVAL,
	      "close_closed_port_einval");
	CHECK_EQ(evtchn_simple(EVTCHNOP_close, 5000), -XEN_EINVAL, "close_port5000_einval");
	CHECK(status_of(1000, &st) == EVTCHNSTAT_closed && status_of(0, &st) == EVTCHNSTAT_closed,
	      "status_unused_and_port0_closed");
	CHECK_EQ(evtchn_op(99, &st), -XEN_ENOSYS, "unknown_cmd_enosys");
	ok = evtchn_op(EVTCHNOP_alloc_unbound, (void *)0x40000000) == -XEN_EFAULT;
	ok &= evtchn_op(EVTCHNOP_status, (void *)0x40000000) == -XEN_EFAULT;
	ok &= evtchn_op(EVTCHNOP_send, (void *)0x40000000) == -XEN_EFAULT;
	ok &= hypercall(__HYPERVISOR_event_channel_op_compat, 0x40000000, 0, 0, 0, 0) == -XEN_EFAULT;
	CHECK(ok, "bad_pointers_efault");

	/* compat op (16) */
	memset(&compat, 0, sizeof(compat));
	compat.cmd = EVTCHNOP_alloc_unbound;
	compat.a = (struct evtchn_alloc_unbound){ DOMID_SELF, DOMID_SELF, 0 };
	ret = hypercall(__HYPERVISOR_event_channel_op_compat, &compat, 0, 0, 0, 0);
	pc = compat.a.port;
	CHECK(ret == 0 && pc >= 1 && pc < 1024 && status_of(pc, &st) == EVTCHNSTAT_unbound,
	      "compat_op_alloc_unbound");

	/* Exhaustion: open now are 1, 2 (launcher), p1, pi, pc. */
	ours = 3;
	for (n = 0; n < 1100; n++) {
		au = (struct evtchn_alloc_unbound){ DOMID_SELF, DOMID_SELF, 0 };
		ret = evtchn_op(EVTCHNOP_alloc_unbound, &au);
		if (ret)
			break;
	}
	test_diag("  %u more ports before %d", n, (int)ret);
	CHECK(ret == -XEN_ENOSPC && n == 1023 - 2 - ours, "exhaust_ports_enospc_at_1023");
	for (i = 1; i < 1024; i++)
		if (i != start_info->console_evtchn && i != start_info->store_evtchn &&
		    i != pi && status_of(i, &st) == EVTCHNSTAT_unbound)
			evtchn_simple(EVTCHNOP_close, i);
	CHECK(evtchn_bind_virq(VIRQ_DEBUG, 0, NULL) == 0, "ports_free_again");

	/* The upcall. */
	CHECK_EQ(set_callbacks(FLAT_RING1_CS, event_stub, FLAT_RING1_CS, event_stub), 0,
		 "set_callbacks");
	event_hook = ev_hook;
	before = ev_count;
	set_upcall_mask(0);
	evtchn_simple(EVTCHNOP_send, pi);
	r = last_trap();
	ok = ev_count == before + 1 && ev_last_port == pi && r->vector == 0x100;
	ok &= check_word("event frame EIP", r->w[0],
			 (u32)hypercall_page + __HYPERVISOR_event_channel_op * 32 + 7);
	ok &= check_word("event frame CS word (saved mask 0)", r->w[1], FLAT_RING1_CS);
	ok &= check_word("event frame EFLAGS.IF", r->w[2] & EFLAGS_IF, EFLAGS_IF);
	ok &= check_word("mask on entry", r->mask, 1);
	CHECK(ok, "upcall_frame_exact_mask_1_on_entry");
	CHECK(upcall_mask() == 0 && !pending(pi), "iret_if_set_unmasks_pending_cleared");

	set_upcall_mask(1);
	before = ev_count;
	evtchn_simple(EVTCHNOP_send, pi);
	CHECK(ev_count == before && pending(pi) && upcall_pending(), "no_upcall_while_masked");
	set_upcall_mask(0);
	xen_version(XENVER_version, NULL);
	CHECK(ev_count == before + 1 && ev_last_port == pi && upcall_mask() == 0,
	      "unmask_then_cheap_hypercall_delivers");
	/*
	 * The same with CPUID, which exits but is no hypercall: the run loop's
	 * fast exit must not skip the upcall the full path delivers before
	 * re-entering (the vcpu_info words change without an exit).
	 */
	set_upcall_mask(1);
	before = ev_count;
	evtchn_simple(EVTCHNOP_send, pi);
	set_upcall_mask(0);
	{
		u32 a = 0, b, c = 0, d;

		asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
	}
	CHECK(ev_count == before + 1 && ev_last_port == pi && upcall_mask() == 0,
	      "unmask_then_cpuid_delivers");
	set_upcall_mask(1);
	event_hook = NULL;
}
