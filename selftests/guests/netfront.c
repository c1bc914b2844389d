// SPDX-License-Identifier: GPL-2.0
/*
 * A PV network front end of our own, against the launcher's netback
 * (`pvmx run --net tap=NAME`): the handshake as Linux's xen-netfront does
 * it (talk_to_netback(): tx-ring-ref, rx-ring-ref, event-channel,
 * request-rx-copy, feature-rx-notify, feature-sg, then Connected from
 * Initialising), rx buffers posted, then frames on the rings.  The peer is
 * the rig VM's own IPv4 stack on the tap (10.0.2.1/24); the guest is
 * 10.0.2.15 and answers ARP for itself.
 *
 *   mode=ping     an ARP request for the peer and its reply, an ICMP echo
 *                 and its reply, then frames=N (default 200) echo requests
 *                 of 1400 bytes, every other one in two tx slots, at most
 *                 16 in flight, each reply checked (checksum, payload):
 *                 frames, bytes and Mb/s both ways on the console
 *   mode=hostile  a bad grant reference and fragments longer than their
 *                 frame (errors, the device lives); then, each closing the
 *                 device and followed by a reconnection: a slot crossing
 *                 its page, a tx producer a ring ahead, 25 slots for one
 *                 frame, an rx producer a ring ahead; then a tx flood
 *                 (seconds=N, default 2) after which a ping still works
 *
 * Layouts (netif rings, grant entries) from <pvmx/xen_io.h> and
 * <pvmx/xen_abi.h>, which the launcher's back end uses too.
 */
#include "runtime.h"
#include <pvmx/xen_io.h>

#define PTE_KERNEL_RW		0x63ull
#define NRX			32	/* rx buffers posted */
#define NTX			64	/* tx buffer pages, one per slot in flight */

#define REF_TX_RING		8
#define REF_RX_RING		9
#define REF_RX			16	/* + buffer index */
#define REF_TX			64	/* + slot % NTX */

#define VIF			"device/vif/0"

static u8 gnt_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static volatile struct grant_entry_v1 *gnt = (volatile struct grant_entry_v1 *)gnt_page;
static struct netif_tx_sring tx_page __attribute__((aligned(PAGE_SIZE)));
static struct netif_rx_sring rx_page __attribute__((aligned(PAGE_SIZE)));
static volatile struct netif_tx_sring *txr = &tx_page;
static volatile struct netif_rx_sring *rxr = &rx_page;
static u8 rx_buf[NRX][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 tx_buf[NTX][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u32 port, tx_prod, tx_cons, rx_prod, rx_cons;
static u32 tx_errors, tx_nulls;
static char be_path[128];
static u8 my_mac[6], peer_mac[6];
static const u8 my_ip[4] = { 10, 0, 2, 15 }, peer_ip[4] = { 10, 0, 2, 1 };
static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

#define V(x) (*(volatile u32 *)&(x))

static void grant(u32 ref, const void *page, u32 flags)
{
	gnt[ref].frame = va_to_mfn(page);
	gnt[ref].domid = 0;
	mb();
	gnt[ref].flags = (u16)flags;
}

static u32 be_uint(const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", be_path, name);
	return xb_read_uint(path);
}

static int wait_be_state(u32 want)
{
	u64 end = now_ns() + 5000000000ull;
	u32 st;

	do {
		st = be_uint("state");
		if (st == want)
			return 1;
		wait_port(xb_port(), 10);
	} while (now_ns() < end);
	test_diag("  back end state %u, want %u", st, want);
	return 0;
}

static int fe_state(u32 st)
{
	return xb_write_uint(VIF "/state", st);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int read_mac(void)
{
	char s[32];
	int i, hi, lo;

	if (!xb_read(VIF "/mac", s, sizeof(s)) || strlen(s) != 17)
		return 0;
	for (i = 0; i < 6; i++) {
		hi = hexval(s[i * 3]);
		lo = hexval(s[i * 3 + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		my_mac[i] = (u8)(hi << 4 | lo);
	}
	return 1;
}

/* ---- rings ---- */

static void rx_post(u32 id)
{
	volatile struct netif_rx_request *r =
		(volatile struct netif_rx_request *)rxr->ring[rx_prod % NETIF_RX_RING_SIZE];

	r->id = (u16)id;
	r->gref = REF_RX + id;
	rx_prod++;
}

/* RING_PUSH_REQUESTS_AND_CHECK_NOTIFY */
static void push(volatile struct xen_sring_hdr *h, u32 prod)
{
	u32 old = V(h->req_prod);

	mb();
	V(h->req_prod) = prod;
	mb();
	if (prod - V(h->req_event) < prod - old)
		evtchn_simple(EVTCHNOP_send, port);
}

static int connect(void)
{
	struct evtchn_alloc_unbound a = { DOMID_SELF, 0, 0 };
	u32 i;

	memset((void *)txr, 0, PAGE_SIZE);
	memset((void *)rxr, 0, PAGE_SIZE);
	txr->hdr.req_event = txr->hdr.rsp_event = 1;
	rxr->hdr.req_event = rxr->hdr.rsp_event = 1;
	tx_prod = tx_cons = rx_prod = rx_cons = 0;
	grant(REF_TX_RING, (const void *)txr, GTF_permit_access);
	grant(REF_RX_RING, (const void *)rxr, GTF_permit_access);
	for (i = 0; i < NRX; i++) {
		grant(REF_RX + i, rx_buf[i], GTF_permit_access);
		rx_post(i);
	}
	V(rxr->hdr.req_prod) = rx_prod;
	if (evtchn_op(EVTCHNOP_alloc_unbound, &a))
		return 0;
	port = a.port;
	clear_bit(shared_info->evtchn_mask, port);
	return wait_be_state(2) &&
	       xb_write_uint(VIF "/tx-ring-ref", REF_TX_RING) &&
	       xb_write_uint(VIF "/rx-ring-ref", REF_RX_RING) &&
	       xb_write_uint(VIF "/event-channel", port) &&
	       xb_write(VIF "/request-rx-copy", "1") &&
	       xb_write(VIF "/feature-rx-notify", "1") &&
	       xb_write(VIF "/feature-sg", "1") &&
	       fe_state(4) && wait_be_state(4);
}

/* Closing (by the back end), Closed, Initialising: InitWait again, then connect(). */
static int reconnect(void)
{
	if (!(wait_be_state(5) && fe_state(6) && wait_be_state(6)))
		return 0;
	evtchn_simple(EVTCHNOP_close, port);
	return fe_state(1) && wait_be_state(2) && connect();
}

/* Collect tx responses; returns how many slots are still in flight. */
static u32 tx_reap(void)
{
	volatile struct netif_tx_response *r;
	u32 prod = V(txr->hdr.rsp_prod);

	mb();
	for (; tx_cons != prod; tx_cons++) {
		r = (volatile struct netif_tx_response *)txr->ring[tx_cons % NETIF_TX_RING_SIZE];
		if (r->status == 1)
			tx_nulls++;
		else if (r->status != NETIF_RSP_OKAY)
			tx_errors++;
	}
	V(txr->hdr.rsp_event) = tx_cons + 1;
	return tx_prod - tx_cons;
}

/* A free tx slot, waiting up to a second; 0 if none. */
static int tx_room(u32 slots)
{
	u64 end = now_ns() + 1000000000ull;

	while (tx_reap() + slots > NTX) {
		if (now_ns() >= end)
			return 0;
		wait_port(port, 10);
	}
	return 1;
}

static void tx_put(u32 gref, u16 off, u16 flags, u16 size)
{
	volatile struct netif_tx_request *r =
		(volatile struct netif_tx_request *)txr->ring[tx_prod % NETIF_TX_RING_SIZE];

	r->gref = gref;
	r->offset = off;
	r->flags = flags;
	r->id = (u16)(tx_prod % NETIF_TX_RING_SIZE);
	r->size = size;
	tx_prod++;
}

/* Send a frame in nslots slots (1 or 2): each slot's bytes in its own page. */
static int send_frame(const u8 *f, u32 len, u32 nslots)
{
	u32 first = nslots == 2 ? len / 2 : len, b;

	if (!tx_room(nslots))
		return 0;
	b = tx_prod % NTX;
	memcpy(tx_buf[b] + 100, f, first);
	grant(REF_TX + b, tx_buf[b], GTF_permit_access | GTF_readonly);
	tx_put(REF_TX + b, 100, nslots == 2 ? NETTXF_more_data : 0, (u16)len);
	if (nslots == 2) {
		b = tx_prod % NTX;
		memcpy(tx_buf[b], f + first, len - first);
		grant(REF_TX + b, tx_buf[b], GTF_permit_access | GTF_readonly);
		tx_put(REF_TX + b, 0, 0, (u16)(len - first));
	}
	push(&txr->hdr, tx_prod);
	return 1;
}

static u16 csum(const u8 *p, u32 len, u32 sum)
{
	u32 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (u32)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (u16)~sum;
}

static u32 eth(u8 *f, const u8 *dst, u16 type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, my_mac, 6);
	f[12] = (u8)(type >> 8);
	f[13] = (u8)type;
	return 14;
}

static u32 arp(u8 *f, u16 op, const u8 *tha, const u8 *tpa)
{
	u32 n = eth(f, op == 1 ? bcast : tha, 0x0806);
	u8 *a = f + n;

	memcpy(a, "\x00\x01\x08\x00\x06\x04", 6);
	a[6] = 0;
	a[7] = (u8)op;
	memcpy(a + 8, my_mac, 6);
	memcpy(a + 14, my_ip, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, tpa, 4);
	return n + 28;
}

static u8 payload_byte(u32 seq, u32 i)
{
	return (u8)(seq * 31 + i * 7 + (i >> 8));
}

/* An ICMP echo request to the peer, seq, with n payload bytes. */
static u32 echo(u8 *f, u16 seq, u32 n)
{
	u32 o = eth(f, peer_mac, 0x0800), i, tot = 20 + 8 + n;
	u8 *ip = f + o, *ic = ip + 20;

	memset(ip, 0, 28);
	ip[0] = 0x45;
	ip[2] = (u8)(tot >> 8);
	ip[3] = (u8)tot;
	ip[4] = (u8)(seq >> 8);
	ip[5] = (u8)seq;
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, my_ip, 4);
	memcpy(ip + 16, peer_ip, 4);
	i = csum(ip, 20, 0);
	ip[10] = (u8)(i >> 8);
	ip[11] = (u8)i;
	ic[0] = 8;
	ic[4] = 0x50;
	ic[5] = 0x56;			/* identifier "PV" */
	ic[6] = (u8)(seq >> 8);
	ic[7] = (u8)seq;
	for (i = 0; i < n; i++)
		ic[8 + i] = payload_byte(seq, i);
	i = csum(ic, 8 + n, 0);
	ic[2] = (u8)(i >> 8);
	ic[3] = (u8)i;
	return o + tot;
}

/* Frames received: what the checks look for. */
static u32 rx_frames, rx_bytes, arp_replies, arp_answered, echo_ok, echo_bad, rx_err;
static u32 echo_seen[4096 / 32];

static void handle(const u8 *f, u32 len)
{
	const u8 *ip = f + 14, *ic;
	u32 tot, n, i, seq;
	u8 out[64];

	rx_frames++;
	rx_bytes += len;
	if (len >= 42 && f[12] == 0x08 && f[13] == 0x06) {
		if (ip[7] == 2 && !memcmp(ip + 14, peer_ip, 4) && !memcmp(ip + 18, my_mac, 6)) {
			memcpy(peer_mac, ip + 8, 6);
			arp_replies++;
		} else if (ip[7] == 1 && !memcmp(ip + 24, my_ip, 4)) {
			/* Who has 10.0.2.15: we do. */
			send_frame(out, arp(out, 2, ip + 8, ip + 14), 1);
			arp_answered++;
		}
		return;
	}
	if (len < 42 || f[12] != 0x08 || f[13] != 0x00 || ip[9] != 1)
		return;
	tot = (u32)ip[2] << 8 | ip[3];
	ic = ip + 20;
	if (tot < 28 || 14 + tot > len || csum(ip, 20, 0) || ic[0] != 0 || ic[4] != 0x50 ||
	    ic[5] != 0x56) {
		echo_bad++;
		return;
	}
	n = tot - 28;
	seq = (u32)ic[6] << 8 | ic[7];
	if (csum(ic, 8 + n, 0)) {
		echo_bad++;
		return;
	}
	for (i = 0; i < n; i++)
		if (ic[8 + i] != payload_byte(seq, i)) {
			echo_bad++;
			return;
		}
	echo_ok++;
	if (seq < 4096)
		echo_seen[seq / 32] |= 1u << (seq % 32);
}

/* Take what the back end put on the rx ring, repost the buffers. */
static void rx_poll(void)
{
	volatile struct netif_rx_response *r;
	u32 prod = V(rxr->hdr.rsp_prod), id;

	mb();
	for (; rx_cons != prod; rx_cons++) {
		r = (volatile struct netif_rx_response *)rxr->ring[rx_cons % NETIF_RX_RING_SIZE];
		id = r->id;
		if (id >= NRX) {
			rx_err++;
			continue;
		}
		if (r->status > 0 && r->offset + (u32)r->status <= PAGE_SIZE)
			handle(rx_buf[id] + r->offset, (u32)r->status);
		else
			rx_err++;
		rx_post(id);
	}
	V(rxr->hdr.rsp_event) = rx_cons + 1;
	push(&rxr->hdr, rx_prod);
}

/* Serve the rings until cond() or ms pass: 1 if cond() held. */
static int run_until(int (*cond)(void), u32 ms)
{
	u64 end = now_ns() + (u64)ms * 1000000ull;

	for (;;) {
		rx_poll();
		tx_reap();
		if (cond())
			return 1;
		if (now_ns() >= end)
			return 0;
		wait_port(port, 20);
	}
}

static u32 want_echo;
static int got_arp(void) { return arp_replies > 0; }
static int got_echoes(void) { return echo_ok >= want_echo; }
static int tx_drained(void) { return tx_reap() == 0; }

static int arp_peer(void)
{
	u8 f[64];
	u32 i;

	for (i = 0; i < 3 && !arp_replies; i++) {
		if (!send_frame(f, arp(f, 1, (const u8 *)"\0\0\0\0\0\0", peer_ip), 1))
			return 0;
		run_until(got_arp, 1000);
	}
	return arp_replies > 0;
}

static int ping_once(u16 seq)
{
	static u8 f[200];

	want_echo = echo_ok + 1;
	return send_frame(f, echo(f, seq, 56), 1) && run_until(got_echoes, 3000);
}

static void mode_ping(void)
{
	static u8 f[1500];
	u32 frames = cmdline_uint(start_info->cmd_line, "frames", 200), seq, base, sent;
	u32 tx_bytes = 0, rxb0, err0;
	u64 t0, ns, us, mbps_x10;

	if (frames > 4000)
		frames = 4000;
	CHECK(arp_peer(), "arp_reply_from_peer");
	CHECK(ping_once(1), "icmp_echo_reply");
	CHECK_EQ(echo_bad, 0, "echo_reply_intact");

	/* Bulk: 1400-byte echoes both ways, a window of 16. */
	memset(echo_seen, 0, sizeof(echo_seen));
	base = echo_ok;
	rxb0 = rx_bytes;
	err0 = tx_errors;
	want_echo = base + frames;
	t0 = now_ns();
	for (seq = 0, sent = 0; seq < frames; seq++) {
		u32 len = echo(f, (u16)seq, 1400 - 28);

		while (sent - (echo_ok - base) >= 16 && now_ns() - t0 < 60000000000ull) {
			rx_poll();
			tx_reap();
			if (sent - (echo_ok - base) >= 16)
				wait_port(port, 20);
		}
		if (!send_frame(f, len, 1 + (seq & 1)))
			break;
		tx_bytes += len;
		sent++;
	}
	run_until(got_echoes, 5000);
	ns = now_ns() - t0;
	CHECK_EQ(echo_ok - base, frames, "bulk_all_echoes_back");
	for (seq = 0; seq < frames; seq++)
		if (!(echo_seen[seq / 32] >> (seq % 32) & 1))
			break;
	CHECK_EQ(seq, frames, "bulk_every_sequence_number");
	CHECK_EQ(echo_bad, 0, "bulk_payloads_and_checksums");
	CHECK_EQ(tx_errors - err0, 0, "bulk_tx_responses_okay");
	us = div64(ns, 1000) + 1;
	mbps_x10 = div64((u64)(tx_bytes + rx_bytes - rxb0) * 80, (u32)us);
	printf("NETBULK: frames %u each way, %u bytes out, %u bytes in, %u ms, %u.%u Mb/s\n",
	       frames, tx_bytes, rx_bytes - rxb0, (u32)div64(ns, 1000000),
	       (u32)div64(mbps_x10, 10), (u32)(mbps_x10 - div64(mbps_x10, 10) * 10));
	CHECK(run_until(tx_drained, 2000), "tx_ring_drained");
	CHECK_EQ(gnt[REF_TX].flags, GTF_permit_access | GTF_readonly, "tx_grant_flags_cleared");
	CHECK_EQ(gnt[REF_RX].flags, GTF_permit_access, "rx_grant_flags_cleared");
}

static int drained(void)
{
	return run_until(tx_drained, 2000);
}

static void mode_hostile(void)
{
	static u8 f[200];
	u32 i, secs = cmdline_uint(start_info->cmd_line, "seconds", 2), rounds = 0, len;
	u64 end;

	CHECK(arp_peer(), "arp_reply_from_peer");
	grant(REF_TX, tx_buf[0], GTF_permit_access | GTF_readonly);
	/* Errors, the device lives. */
	tx_errors = 0;
	tx_put(99999, 0, 0, 60);
	push(&txr->hdr, tx_prod);
	tx_put(REF_TX, 0, NETTXF_more_data, 100);
	tx_put(REF_TX, 0, 0, 300);		/* longer than the frame */
	push(&txr->hdr, tx_prod);
	CHECK(drained(), "errors_answered");
	CHECK_EQ(tx_errors, 3, "bad_gref_and_long_fragment_errors");
	CHECK(ping_once(100), "device_lives_after_errors");

	/* A slot crossing its page. */
	tx_put(REF_TX, 4000, 0, 200);
	push(&txr->hdr, tx_prod);
	CHECK(reconnect(), "page_crossing_closes_reconnects");
	CHECK(ping_once(101), "ping_after_reconnect_1");
	/* A tx producer a ring ahead. */
	V(txr->hdr.req_prod) = tx_prod + NETIF_TX_RING_SIZE + 3;
	evtchn_simple(EVTCHNOP_send, port);
	CHECK(reconnect(), "tx_req_prod_closes_reconnects");
	CHECK(ping_once(102), "ping_after_reconnect_2");
	/* 25 slots for one frame. */
	tx_put(REF_TX, 0, NETTXF_more_data, 1000);
	for (i = 0; i < 24; i++)
		tx_put(REF_TX, 0, i < 23 ? NETTXF_more_data : 0, 10);
	push(&txr->hdr, tx_prod);
	CHECK(reconnect(), "too_many_slots_closes_reconnects");
	CHECK(ping_once(103), "ping_after_reconnect_3");
	/* An rx producer a ring ahead: the next frame from the tap closes it. */
	V(rxr->hdr.req_prod) = rx_prod + NETIF_RX_RING_SIZE + 3;
	send_frame(f, arp(f, 1, (const u8 *)"\0\0\0\0\0\0", peer_ip), 1);
	CHECK(reconnect(), "rx_req_prod_closes_reconnects");
	CHECK(ping_once(104), "ping_after_reconnect_4");

	/* A flood: full rings of frames to nobody for a while. */
	len = eth(f, (const u8 *)"\x02\0\0\0\0\x99", 0x88b5);
	memset(f + len, 0xAB, 46);
	len += 46;
	tx_errors = 0;
	end = now_ns() + (u64)secs * 1000000000ull;
	while (now_ns() < end) {
		if (!send_frame(f, len, 1))
			break;
		rounds++;
		rx_poll();
	}
	test_diag("  flood: %u frames in %u s", rounds, secs);
	CHECK(rounds > 100, "flood_sent");
	CHECK(drained() && tx_errors == 0, "flood_answered");
	CHECK(ping_once(105), "ping_after_flood");
}

void test_main(void)
{
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
	const char *mode = strstr(start_info->cmd_line, "mode=");
	u32 frame = 0;

	mode = mode ? mode + 5 : "ping";
	test_plan(!strncmp(mode, "hostile", 7) ? 20 : 15);
	CHECK(map_shared_info(), "map_shared_info");
	xb_init();
	st.frame_list = (u32)&frame;
	if (!CHECK(!hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &st, 1, 0, 0) &&
		   st.status == GNTST_okay &&
		   !update_va_mapping((u32)gnt_page, (u64)frame << 12 | PTE_KERNEL_RW, UVMF_INVLPG),
		   "grant_table_mapped"))
		return;
	if (!CHECK(xb_read(VIF "/backend", be_path, sizeof(be_path)) &&
		   !strcmp(be_path, "/local/domain/0/backend/vif/1/0") && read_mac(),
		   "frontend_dir_and_mac"))
		return;
	if (!CHECK(connect(), "connected"))
		return;
	if (!strncmp(mode, "hostile", 7))
		mode_hostile();
	else
		mode_ping();
	CHECK(fe_state(5) && wait_be_state(5) && fe_state(6) && wait_be_state(6), "closed_cleanly");
}
