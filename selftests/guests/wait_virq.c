// SPDX-License-Identifier: GPL-2.0
/*
 * wait_virq: bind VIRQ_DEBUG, register the event callback and block
 * (SCHEDOP_block unmasks) until its upcall arrives; the host
 * (selftests/virq_test.c, guest_wait_virq) raises VIRQ_DEBUG with
 * PVMX_RAISE_EVENT a little after stage 1, while the guest blocks.
 *
 *   stage 1 (port)     bound, about to block
 *   stage 2 (blocks)   the upcall came, once; events masked again.  The host
 *                      raises VIRQ_DEBUG again before it resumes the guest
 *   stage 3 (0)        masked: the port is pending, no upcall came
 *   done               unmasked, a hypercall: the second upcall came
 */
#include "guest_sync.h"

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

	GUEST_ASSERT(map_shared_info());
	set_callbacks(FLAT_RING1_CS, event_stub, FLAT_RING1_CS, event_stub);
	event_hook = ev_hook;
	GUEST_ASSERT_EQ(evtchn_bind_virq(VIRQ_DEBUG, 0, &port), 0);
	printf("wait_virq: ready, port %u\n", port);
	GUEST_SYNC(1, port);
	t0 = now_ns();
	while (!got && now_ns() - t0 < 20000000000ull) {
		sched_op(SCHEDOP_block, NULL);
		blocks++;
	}
	set_upcall_mask(1);
	printf("wait_virq: upcall %s after %u ms, %u blocks, %u other upcalls\n",
	       got ? "arrived" : "never came", (u32)div64(now_ns() - t0, 1000000), blocks, other);
	GUEST_ASSERT_EQ(got, 1);
	GUEST_ASSERT(upcall_mask() == 1);
	GUEST_SYNC(2, blocks);

	/* Raised while masked: pending, no upcall (xen/common/event_channel.c). */
	xen_version(XENVER_version, NULL);
	GUEST_ASSERT_EQ(got, 1);
	GUEST_ASSERT(test_bit(shared_info->evtchn_pending, port));
	GUEST_ASSERT(upcall_pending());
	GUEST_SYNC(3, 0);

	/* Unmasked, then a hypercall: Linux's xen_irq_enable() (arch/x86/xen/irq.c). */
	set_upcall_mask(0);
	xen_version(XENVER_version, NULL);
	set_upcall_mask(1);
	GUEST_ASSERT_EQ(got, 2);
	GUEST_DONE();
}
