// SPDX-License-Identifier: GPL-2.0
/*
 * The PV console ring (start_info->console.domU): messages written into
 * out[] and signalled on the console event channel are printed by the
 * launcher, which drains the ring and raises the port back.  A message
 * longer than the 2048-byte ring is written in pieces, waiting for out_cons.
 * Then a hostile ring (out_prod - out_cons > 2048): the launcher reports
 * "console ring indices out of range" and carries on.
 *
 * Output checked by the suite: "RING: hello from the console ring",
 * "RINGLONG:" + 5000 chars (char k = '0' + k % 10), "RING: after resync".
 */
#include "runtime.h"

static struct xen_console_ring *ring;
static u32 port;
static u32 waits;

/* Wait (SCHEDOP_poll on the console port) until the ring has room / is empty. */
static int wait_cons(u32 room)
{
	u32 ports[1] = { port };
	u64 t0 = now_ns();

	while (2048 - (*(volatile u32 *)&ring->out_prod - *(volatile u32 *)&ring->out_cons) < room) {
		struct xen_sched_poll p = { (u32)ports, 1, now_ns() + 100000000ull };

		if (now_ns() - t0 > 10000000000ull)
			return 0;
		sched_op(SCHEDOP_poll, &p);
		clear_bit(shared_info->evtchn_pending, port);
		waits++;
	}
	return 1;
}

static int ring_write(const char *s, u32 len)
{
	while (len) {
		u32 prod, cons, n, i;

		if (!wait_cons(1))
			return 0;
		prod = ring->out_prod;
		cons = *(volatile u32 *)&ring->out_cons;
		n = 2048 - (prod - cons);
		if (n > len)
			n = len;
		for (i = 0; i < n; i++)
			ring->out[(prod + i) % 2048] = s[i];
		mb();
		*(volatile u32 *)&ring->out_prod = prod + n;
		if (evtchn_simple(EVTCHNOP_send, port))
			return 0;
		s += n;
		len -= n;
	}
	return wait_cons(2048);
}

void test_main(void)
{
	static const char hello[] = "RING: hello from the console ring\n";
	static const char after[] = "RING: after resync\n";
	static char longmsg[9 + 5000 + 1];
	u32 i;

	test_plan(6);
	CHECK(map_shared_info(), "map_shared_info");
	ring = console_ring();
	port = start_info->console_evtchn;
	test_diag("  console ring at %p, port %u", ring, port);
	CHECK(ring && port, "console_ring_found");
	if (!ring)
		return;
	CHECK(ring_write(hello, sizeof(hello) - 1), "short_message_consumed");
	memcpy(longmsg, "RINGLONG:", 9);
	for (i = 0; i < 5000; i++)
		longmsg[9 + i] = '0' + i % 10;
	longmsg[9 + 5000] = '\n';
	waits = 0;
	CHECK(ring_write(longmsg, sizeof(longmsg)), "long_message_in_pieces_consumed");
	test_diag("  %u waits for out_cons", waits);

	/* Hostile indices: prod 4096 ahead of cons. */
	*(volatile u32 *)&ring->out_prod = ring->out_cons + 4096;
	mb();
	evtchn_simple(EVTCHNOP_send, port);
	CHECK(wait_cons(2048), "hostile_indices_resynchronised");
	CHECK(ring_write(after, sizeof(after) - 1), "ring_works_after_resync");
}
