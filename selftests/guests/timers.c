// SPDX-License-Identifier: GPL-2.0
/*
 * Time and timers (Documentation/guest-abi.rst "Time", "Timers", "Blocking and
 * polling", "vcpu_op"): vcpu_time_info and the wall clock, the default 10 ms
 * periodic VIRQ_TIMER and stopping it, set_timer_op + SCHEDOP_block,
 * cancelling, SCHEDOP_poll (timeout, errors,
 * already-pending masked port), singleshot timers, is_up, runstate.
 */
#include "runtime.h"

#define MS	1000000ull

static volatile u32 tick_count, other_count;
static u32 pt;

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
		if (w == pt / 32 && (bits & (1u << (pt % 32)))) {
			tick_count++;
			bits &= ~(1u << (pt % 32));
		}
		if (bits)
			other_count++;
	}
}

static long poll(u32 *ports, u32 n, u64 timeout)
{
	struct xen_sched_poll p = { (u32)ports, n, timeout };

	return sched_op(SCHEDOP_poll, &p);
}

/* Block (events unmasked) until tick_count > start or deadline; returns ns waited. */
static u64 block_until_tick(u32 start, u64 limit_ns)
{
	u64 t0 = now_ns();

	while (tick_count <= start && now_ns() - t0 < limit_ns)
		sched_op(SCHEDOP_block, NULL);
	set_upcall_mask(1);
	return now_ns() - t0;
}

void test_main(void)
{
	volatile struct xen_vcpu_time_info *t;
	static struct xen_vcpu_runstate_info rs, area;
	struct xen_vcpu_set_singleshot_timer ss;
	u64 a, b, el, period;
	u32 wcv, start, pi, ports[1], bigports[129], i;
	struct evtchn_bind_ipi ipi = { 0, 0 };
	struct { u32 addr, hi; } rma;
	volatile u32 spin;
	int ok;

	test_plan(28);
	CHECK(map_shared_info(), "map_shared_info");
	t = &vcpu0->time;
	CHECK(!(t->version & 1) && t->version && t->system_time && t->tsc_to_system_mul,
	      "time_info_version_even_fields_set");
	a = now_ns();
	for (spin = 0; spin < 200000; spin++)
		;
	b = now_ns();
	test_diag("  now %u ms -> %u ms", (u32)div64(a, MS), (u32)div64(b, MS));
	CHECK(b > a, "system_time_advances");
	wcv = shared_info->wc_version;
	test_diag("  wc_version %u wc_sec %u", wcv, shared_info->wc_sec);
	CHECK(!(wcv & 1) && shared_info->wc_sec > 1600000000u, "wallclock_plausible");

	set_callbacks(FLAT_RING1_CS, event_stub, FLAT_RING1_CS, event_stub);
	event_hook = ev_hook;

	/* Default periodic timer: >= 3 ticks in ~50 ms. */
	CHECK_EQ(evtchn_bind_virq(VIRQ_TIMER, 0, &pt), 0, "bind_virq_timer");
	start = tick_count;
	a = now_ns();
	while (now_ns() - a < 50 * MS)
		sched_op(SCHEDOP_block, NULL);
	set_upcall_mask(1);
	test_diag("  %u ticks in %u ms", tick_count - start, (u32)div64((now_ns() - a), MS));
	CHECK(tick_count - start >= 3, "default_periodic_10ms_ticks");
	CHECK_EQ(vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0, "stop_periodic_timer");

	CHECK_EQ(evtchn_op(EVTCHNOP_bind_ipi, &ipi), 0, "bind_ipi");
	pi = ipi.port;
	ports[0] = pi;
	clear_bit(shared_info->evtchn_pending, pt);
	a = now_ns();
	CHECK_EQ(poll(ports, 1, a + 30 * MS), 0, "poll_timeout_returns_0");
	el = now_ns() - a;
	test_diag("  poll waited %u us", (u32)div64(el, 1000));
	CHECK(el >= 30 * MS && !test_bit(shared_info->evtchn_pending, pt),
	      "stopped_periodic_no_tick_in_30ms_poll");

	period = 500000;
	CHECK_EQ(vcpu_op(VCPUOP_set_periodic_timer, 0, &period), -XEN_EINVAL,
		 "set_periodic_500us_einval");

	/* set_timer_op + block */
	start = tick_count;
	a = now_ns();
	CHECK_EQ(set_timer_op(a + 5 * MS), 0, "set_timer_op_returns_0");
	block_until_tick(start, 2000 * MS);
	/* From the clock the deadline was computed from, not from the block. */
	el = now_ns() - a;
	test_diag("  set_timer_op: tick after %u us", (u32)div64(el, 1000));
	CHECK(tick_count == start + 1 && el >= 5 * MS, "set_timer_op_block_wakes_after_5ms");

	/* set_timer_op(0) cancels; poll on an unrelated port times out. */
	set_timer_op(now_ns() + 10 * MS);
	CHECK_EQ(set_timer_op(0), 0, "set_timer_op_0");
	a = now_ns();
	CHECK_EQ(poll(ports, 1, a + 20 * MS), 0, "poll_20ms");
	el = now_ns() - a;
	CHECK(el >= 20 * MS && !test_bit(shared_info->evtchn_pending, pt) &&
	      !test_bit(shared_info->evtchn_pending, pi), "cancelled_timer_poll_20ms_nothing_pending");

	for (i = 0; i < 129; i++)
		bigports[i] = pi;
	CHECK_EQ(poll(bigports, 129, 0), -XEN_EINVAL, "poll_129_ports_einval");
	ports[0] = 2000;
	CHECK_EQ(poll(ports, 1, 0), -XEN_EINVAL, "poll_port_2000_einval");
	CHECK_EQ(sched_op(SCHEDOP_poll, (void *)0x40000000), -XEN_EFAULT, "poll_bad_pointer_efault");
	CHECK_EQ(poll((u32 *)0x40000000, 1, 0), -XEN_EFAULT, "poll_bad_ports_pointer_efault");

	/* Already pending (and masked): at once. */
	ports[0] = pi;
	set_bit(shared_info->evtchn_mask, pi);
	evtchn_simple(EVTCHNOP_send, pi);
	a = now_ns();
	ok = poll(ports, 1, a + 1000 * MS) == 0;
	el = now_ns() - a;
	test_diag("  pending masked port: poll returned after %u us", (u32)div64(el, 1000));
	CHECK(ok && el < 500 * MS, "poll_pending_masked_port_returns_at_once");
	clear_bit(shared_info->evtchn_pending, pi);

	/* Singleshot */
	start = tick_count;
	ss = (struct xen_vcpu_set_singleshot_timer){ now_ns() + 5 * MS, 0 };
	CHECK_EQ(vcpu_op(VCPUOP_set_singleshot_timer, 0, &ss), 0, "set_singleshot_timer_vcpu0");
	el = block_until_tick(start, 2000 * MS);
	CHECK(tick_count == start + 1, "singleshot_fires");
	CHECK_EQ(vcpu_op(VCPUOP_set_singleshot_timer, 1, &ss), -XEN_ENOENT,
		 "set_singleshot_timer_vcpu1_enoent");

	CHECK_EQ(vcpu_op(VCPUOP_is_up, 0, NULL), 1, "is_up_0");
	memset(&rs, 0xff, sizeof(rs));
	CHECK(vcpu_op(VCPUOP_get_runstate_info, 0, &rs) == 0 && rs.state == RUNSTATE_running &&
	      rs.time[RUNSTATE_running] > 0 && rs.time[RUNSTATE_running] != ~0ull,
	      "runstate_running_time_positive");
	memset(&area, 0xff, sizeof(area));
	rma.addr = (u32)&area;
	rma.hi = 0;
	ok = vcpu_op(VCPUOP_register_runstate_memory_area, 0, &rma) == 0;
	sched_op(SCHEDOP_yield, NULL);
	test_diag("  runstate area: state %d entry %u ms", area.state,
		  (u32)div64(area.state_entry_time, MS));
	CHECK(ok && area.state == RUNSTATE_running && area.state_entry_time != ~0ull &&
	      area.time[RUNSTATE_running] != ~0ull, "register_runstate_memory_area_updates");
	CHECK_EQ(vcpu_op(99, 0, NULL), -XEN_ENOSYS, "unknown_vcpu_op_enosys");
	event_hook = NULL;
}
