// SPDX-License-Identifier: GPL-2.0
/*
 * wait_virq: bind VIRQ_DEBUG, register the event callback and block
 * (SCHEDOP_block unmasks) until its upcall arrives; the host side
 * (selftests/raise_virq) raises VIRQ_DEBUG with PVMX_RAISE_EVENT after a
 * short delay.  Prints "wait_virq: ready" before blocking.
 */
#include "runtime.h"

static volatile u32 got, other;
static u32 port;

static void ev_hook(u32 *frame)
{
	(void)frame;
	vcpu0->evtchn_upcall_pending = 0;
	vcpu0->evtchn_pending_sel = 0;
	if (test_bit(shared_info->evtchn_pending, port)) {
		clear_bit(shared_info->evtchn_pending, port);
		got++;
	} else {
		other++;
	}
}

void test_main(void)
{
	u64 t0;
	u32 blocks = 0;

	test_plan(4);
	CHECK(map_shared_info(), "map_shared_info");
	set_callbacks(FLAT_RING1_CS, event_stub, FLAT_RING1_CS, event_stub);
	event_hook = ev_hook;
	CHECK_EQ(evtchn_bind_virq(VIRQ_DEBUG, 0, &port), 0, "bind_virq_debug");
	printf("wait_virq: ready, port %u\n", port);
	t0 = now_ns();
	while (!got && now_ns() - t0 < 20000000000ull) {
		sched_op(SCHEDOP_block, NULL);
		blocks++;
	}
	set_upcall_mask(1);
	printf("wait_virq: upcall %s after %u ms, %u blocks, %u other upcalls\n",
	       got ? "arrived" : "never came", (u32)div64(now_ns() - t0, 1000000), blocks, other);
	CHECK_EQ(got, 1, "virq_debug_upcall_arrived_once");
	CHECK(upcall_mask() == 1, "mask_back_to_1");
}
