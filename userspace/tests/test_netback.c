// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the launcher's network back end: the netif rings
 * (netback.c) with well-behaved and hostile front ends, the checksum it
 * fills in, and the vif's xenstore handshake and tap I/O (vif.c) with a
 * datagram socket pair standing in for the tap, against a fake guest
 * memory and grant table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "harness.h"

#define NR_RAM		64
#define PG		4096u
#define DOMID		1
#define TX_PFN		10
#define RX_PFN		11
#define TX_REF		8
#define RX_REF		9
#define GNTTAB_FRAMES	4

static uint8_t *ram;
static struct grant_entry_v1 *gtab;
static struct pvmx_gnttab gt;
static struct pvmx_netback *nb;
static uint32_t tx_prod, rx_prod;

/* What the tx path handed out. */
static uint8_t out_frame[70000];
static size_t out_len;
static unsigned int out_count;
static int out_result;

static int capture(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	memcpy(out_frame, frame, len);
	out_len = len;
	out_count++;
	return out_result;
}

static void grant(uint32_t ref, uint32_t frame, uint16_t flags)
{
	gtab[ref].frame = frame;
	gtab[ref].domid = 0;
	gtab[ref].flags = flags;
}

static struct xen_sring_hdr *txh(void)
{
	return (struct xen_sring_hdr *)(ram + TX_PFN * PG);
}

static struct xen_sring_hdr *rxh(void)
{
	return (struct xen_sring_hdr *)(ram + RX_PFN * PG);
}

static void rings_init(void)
{
	memset(ram + TX_PFN * PG, 0, PG);
	memset(ram + RX_PFN * PG, 0, PG);
	txh()->req_event = txh()->rsp_event = 1;
	rxh()->req_event = rxh()->rsp_event = 1;
	tx_prod = rx_prod = 0;
	grant(TX_REF, TX_PFN, GTF_permit_access);
	grant(RX_REF, RX_PFN, GTF_permit_access);
}

static void setup(void)
{
	ram = aligned_alloc(PG, NR_RAM * PG);
	gtab = aligned_alloc(PG, GNTTAB_FRAMES * PG);
	nb = calloc(1, sizeof(*nb));
	memset(ram, 0, NR_RAM * PG);
	memset(gtab, 0, GNTTAB_FRAMES * PG);
	CHECK_EQ(pvmx_gnttab_init(&gt, gtab, GNTTAB_FRAMES, ram, NR_RAM), 0);
	rings_init();
	out_count = 0;
	out_result = 0;
}

static void teardown(void)
{
	pvmx_netback_disconnect(nb, &gt);
	pvmx_gnttab_fini(&gt);
	free(ram);
	free(gtab);
	free(nb);
}

static void tx_put(uint32_t gref, uint16_t offset, uint16_t flags, uint16_t id, uint16_t size)
{
	struct netif_tx_request r = { gref, offset, flags, id, size };

	memcpy(ram + TX_PFN * PG + 64 + (tx_prod % NETIF_TX_RING_SIZE) * 12, &r, sizeof(r));
	tx_prod++;
}

static void tx_put_extra(uint8_t type, uint8_t flags)
{
	struct netif_extra_info e = { .type = type, .flags = flags };

	memcpy(ram + TX_PFN * PG + 64 + (tx_prod % NETIF_TX_RING_SIZE) * 12, &e, sizeof(e));
	tx_prod++;
}

static bool tx_push(void)
{
	txh()->req_prod = tx_prod;
	return pvmx_netback_tx(nb, &gt, capture, NULL);
}

static struct netif_tx_response tx_rsp(uint32_t i)
{
	struct netif_tx_response r;

	memcpy(&r, ram + TX_PFN * PG + 64 + (i % NETIF_TX_RING_SIZE) * 12, sizeof(r));
	return r;
}

static void rx_post(uint16_t id, uint32_t gref)
{
	struct netif_rx_request r = { id, 0, gref };

	memcpy(ram + RX_PFN * PG + 64 + (rx_prod % NETIF_RX_RING_SIZE) * 8, &r, sizeof(r));
	rx_prod++;
	rxh()->req_prod = rx_prod;
}

static struct netif_rx_response rx_rsp(uint32_t i)
{
	struct netif_rx_response r;

	memcpy(&r, ram + RX_PFN * PG + 64 + (i % NETIF_RX_RING_SIZE) * 8, sizeof(r));
	return r;
}

/* An Ethernet + IPv4 + UDP frame of len bytes at p, checksum blank. */
static void udp_frame(uint8_t *p, size_t len)
{
	size_t i, ip = len - 14, udp = ip - 20;

	memset(p, 0, len);
	memcpy(p, "\x00\x16\x3e\x00\x00\x01\x00\x16\x3e\x00\x00\x02\x08\x00", 14);
	p[14] = 0x45;
	p[16] = (uint8_t)(ip >> 8);
	p[17] = (uint8_t)ip;
	p[22] = 64;
	p[23] = 17;
	memcpy(p + 26, "\x0a\x00\x02\x0f\x0a\x00\x02\x01", 8);
	p[34] = 0x12; p[35] = 0x34; p[36] = 0x00; p[37] = 0x07;
	p[38] = (uint8_t)(udp >> 8);
	p[39] = (uint8_t)udp;
	for (i = 42; i < len; i++)
		p[i] = (uint8_t)(i * 7 + 3);
}

/* The one's-complement sum over the pseudo header and UDP datagram: 0xFFFF when right. */
static uint16_t udp_verify(const uint8_t *p, size_t len)
{
	uint32_t sum = 17 + (uint32_t)(len - 34);
	size_t i;

	for (i = 26; i < 34; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	for (i = 34; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if ((len - 34) & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)sum;
}

static void netback_tx_frames(void)
{
	uint8_t frame[3000];
	uint32_t i;

	setup();
	CHECK_EQ(pvmx_netback_connect(nb, &gt, TX_REF, RX_REF), 0);
	CHECK_EQ(gtab[TX_REF].flags, GTF_permit_access | GTF_reading | GTF_writing);

	/* One slot, read-only grant, checksum filled in. */
	udp_frame(frame, 100);
	memcpy(ram + 20 * PG + 100, frame, 100);
	grant(20, 20, GTF_permit_access | GTF_readonly);
	tx_put(20, 100, NETTXF_csum_blank | NETTXF_data_validated, 7, 100);
	CHECK(tx_push());
	CHECK_EQ(out_count, 1);
	CHECK_EQ(out_len, 100);
	CHECK_EQ(udp_verify(out_frame, 100), 0xFFFF);
	CHECK_EQ(memcmp(out_frame, frame, 40), 0);
	CHECK_EQ(nb->csum_filled, 1);
	CHECK_EQ(tx_rsp(0).id, 7);
	CHECK_EQ(tx_rsp(0).status, NETIF_RSP_OKAY);
	CHECK_EQ(txh()->rsp_prod, 1);
	CHECK_EQ(txh()->req_event, 2);
	CHECK_EQ(gtab[20].flags, GTF_permit_access | GTF_readonly);

	/* Three slots (NETTXF_more_data): 2000 bytes = 1000 + 600 + 400. */
	udp_frame(frame, 2000);
	memcpy(ram + 21 * PG + 3000, frame, 1000);
	memcpy(ram + 22 * PG, frame + 1000, 600);
	memcpy(ram + 23 * PG + 3696, frame + 1600, 400);
	grant(21, 21, GTF_permit_access);
	grant(22, 22, GTF_permit_access);
	grant(23, 23, GTF_permit_access);
	tx_put(21, 3000, NETTXF_more_data, 10, 2000);
	tx_put(22, 0, NETTXF_more_data, 11, 600);
	tx_put(23, 3696, 0, 12, 400);
	txh()->rsp_event = 2;
	CHECK(tx_push());
	CHECK_EQ(out_count, 2);
	CHECK_EQ(out_len, 2000);
	CHECK_EQ(memcmp(out_frame, frame, 2000), 0);
	for (i = 1; i < 4; i++) {
		CHECK_EQ(tx_rsp(i).id, 9 + i);
		CHECK_EQ(tx_rsp(i).status, NETIF_RSP_OKAY);
	}
	/* The front end asked to hear only at response 10: no notification. */
	txh()->rsp_event = 10;
	tx_put(20, 100, 0, 13, 100);
	CHECK(!tx_push());
	CHECK_EQ(txh()->rsp_prod, 5);

	/* Dropped, not fatal: a bad grant, a short frame, fragments bigger than the frame, GSO. */
	tx_put(4000, 0, 0, 20, 60);
	tx_put(20, 0, 0, 21, 10);
	tx_put(21, 0, NETTXF_more_data, 22, 100);
	tx_put(22, 0, 0, 23, 200);
	tx_put(20, 0, NETTXF_extra_info, 24, 100);
	tx_put_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0);
	out_result = -EIO;		/* the tap refuses this one */
	tx_put(20, 0, 0, 25, 100);
	tx_push();
	CHECK(!nb->broken);
	CHECK_EQ(tx_rsp(5).status, NETIF_RSP_ERROR);
	CHECK_EQ(tx_rsp(6).status, NETIF_RSP_ERROR);
	CHECK_EQ(tx_rsp(7).status, NETIF_RSP_ERROR);
	CHECK_EQ(tx_rsp(8).status, NETIF_RSP_ERROR);
	CHECK_EQ(tx_rsp(8).id, 23);
	CHECK_EQ(tx_rsp(9).status, NETIF_RSP_ERROR);
	CHECK_EQ(tx_rsp(10).status, NETIF_RSP_NULL);
	CHECK_EQ(tx_rsp(11).status, NETIF_RSP_ERROR);
	CHECK_EQ(txh()->rsp_prod, 12);
	CHECK_EQ(nb->tx_errors, 5);
	CHECK(nb->last_grant_error != NULL);
	for (i = 20; i < 24; i++)
		CHECK_EQ(gtab[i].flags & (GTF_reading | GTF_writing), 0);
	teardown();
}

/* Each of these breaks the device with a message, whatever follows. */
static void netback_tx_fatal(void)
{
	static const struct { const char *why; int kind; } cases[] = {
		{ "impossible number of tx requests", 0 },
		{ "crosses its page", 1 },
		{ "fragment crosses its page", 2 },
		{ "more than 20 slots", 3 },
		{ "asked for more slots", 4 },
		{ "invalid extra type", 5 },
		{ "missing extra info", 6 },
	};
	unsigned int c, i;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		setup();
		grant(20, 20, GTF_permit_access);
		CHECK_EQ(pvmx_netback_connect(nb, &gt, TX_REF, RX_REF), 0);
		switch (cases[c].kind) {
		case 0:
			tx_prod = NETIF_TX_RING_SIZE + 1;
			break;
		case 1:
			tx_put(20, 4000, 0, 1, 100);
			break;
		case 2:
			tx_put(20, 0, NETTXF_more_data, 1, 200);
			tx_put(20, 4095, 0, 2, 2);
			break;
		case 3:
			tx_put(20, 0, NETTXF_more_data, 1, 2000);
			for (i = 0; i < 25; i++)
				tx_put(20, 0, NETTXF_more_data, 2, 10);
			break;
		case 4:
			tx_put(20, 0, NETTXF_more_data, 1, 200);
			break;
		case 5:
			tx_put(20, 0, NETTXF_extra_info, 1, 200);
			tx_put_extra(9, 0);
			break;
		case 6:
			tx_put(20, 0, NETTXF_extra_info, 1, 200);
			break;
		}
		tx_push();
		CHECK(nb->broken);
		CHECK_HAS(nb->why, cases[c].why);
		CHECK_EQ(out_count, 0);
		CHECK_EQ(gtab[20].flags, GTF_permit_access);
		/* Broken: nothing more is served. */
		tx_put(20, 0, 0, 3, 100);
		CHECK(!tx_push());
		CHECK_EQ(out_count, 0);
		teardown();
	}
}

static void netback_rx_frames(void)
{
	uint8_t frame[1600];
	bool notify;
	uint32_t i;

	setup();
	/* Bad rings: ungranted, one page for both. */
	CHECK_EQ(pvmx_netback_connect(nb, &gt, TX_REF, 300), -EINVAL);
	CHECK_HAS(nb->why, "rx-ring-ref 300");
	CHECK_EQ(gtab[TX_REF].flags, GTF_permit_access);
	CHECK_EQ(pvmx_netback_connect(nb, &gt, TX_REF, TX_REF), -EINVAL);
	CHECK_EQ(gtab[TX_REF].flags, GTF_permit_access);
	CHECK_EQ(pvmx_netback_connect(nb, &gt, TX_REF, RX_REF), 0);

	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i ^ 0x5A);
	/* No buffer: kept by the caller, the front end asked to notify. */
	CHECK_EQ(pvmx_netback_rx(nb, &gt, frame, 1500, &notify), 0);
	CHECK(!notify);
	CHECK_EQ(rxh()->req_event, 1);
	CHECK_EQ(nb->rx_no_buffer, 1);

	grant(30, 30, GTF_permit_access);
	grant(31, 31, GTF_permit_access | GTF_readonly);
	rx_post(100, 30);
	CHECK_EQ(pvmx_netback_rx(nb, &gt, frame, 1500, &notify), 1);
	CHECK(notify);
	CHECK_EQ(memcmp(ram + 30 * PG, frame, 1500), 0);
	CHECK_EQ(rx_rsp(0).id, 100);
	CHECK_EQ(rx_rsp(0).status, 1500);
	CHECK_EQ(rx_rsp(0).offset, 0);
	CHECK_EQ(rxh()->rsp_prod, 1);
	CHECK_EQ(gtab[30].flags, GTF_permit_access);
	/* A read-only grant and a bad reference: an error response, the device lives. */
	rx_post(101, 31);
	rx_post(102, 99999);
	CHECK_EQ(pvmx_netback_rx(nb, &gt, frame, 60, &notify), 1);
	CHECK_EQ(pvmx_netback_rx(nb, &gt, frame, 60, &notify), 1);
	CHECK_EQ(rx_rsp(1).status, NETIF_RSP_ERROR);
	CHECK_EQ(rx_rsp(2).status, NETIF_RSP_ERROR);
	CHECK_EQ(rx_rsp(2).id, 102);
	CHECK_EQ(nb->rx_errors, 2);
	CHECK(!nb->broken);
	/* Too big for a buffer, or shorter than a header: dropped, no buffer used. */
	CHECK_EQ(pvmx_netback_rx(nb, &gt, frame, 5000, &notify), 1);
	CHECK_EQ(pvmx_netback_rx(nb, &gt, frame, 3, &notify), 1);
	CHECK_EQ(nb->rx_req_cons, 3);
	/* A whole ring of buffers, then a producer more than a ring ahead. */
	for (i = 0; i < NETIF_RX_RING_SIZE; i++)
		rx_post((uint16_t)i, 30);
	for (i = 0; i < NETIF_RX_RING_SIZE; i++)
		CHECK_EQ(pvmx_netback_rx(nb, &gt, frame, 64 + i, &notify), 1);
	CHECK_EQ(rx_rsp(rx_prod - 1).status, 64 + NETIF_RX_RING_SIZE - 1);
	CHECK_EQ(pvmx_netback_rx(nb, &gt, frame, 64, &notify), 0);
	rxh()->req_prod = rx_prod + NETIF_RX_RING_SIZE + 1;
	CHECK_EQ(pvmx_netback_rx(nb, &gt, frame, 64, &notify), -1);
	CHECK(nb->broken);
	CHECK_HAS(nb->why, "impossible number of rx requests");
	teardown();
}

static void netback_csum(void)
{
	uint8_t f[200];

	udp_frame(f, 200);
	CHECK(pvmx_netback_fill_csum(f, 200));
	CHECK_EQ(udp_verify(f, 200), 0xFFFF);
	/* Odd length, TCP. */
	udp_frame(f, 99);
	f[23] = 6;
	CHECK(pvmx_netback_fill_csum(f, 99));
	/* Truncated or not IPv4: left alone. */
	udp_frame(f, 200);
	CHECK(!pvmx_netback_fill_csum(f, 30));
	f[16] = 0x10;			/* total length past the frame */
	CHECK(!pvmx_netback_fill_csum(f, 200));
	udp_frame(f, 200);
	f[12] = 0x86;
	CHECK(!pvmx_netback_fill_csum(f, 200));
}

/* ---- the vif: xenstore handshake, tap I/O over a socket pair ---- */

static uint32_t bound_port, raised;

static int fake_bind(void *ctx, uint32_t port, bool unbind)
{
	(void)ctx;
	bound_port = unbind ? 0 : port;
	return 0;
}

static int fake_raise(void *ctx, uint32_t port)
{
	(void)ctx;
	raised = port;
	return 0;
}

static void fe(struct pvmx_xs *xs, const char *name, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), "/local/domain/1/device/vif/0/%s", name);
	CHECK_EQ(pvmx_xs_write(xs, path, value, NULL), 0);
}

static const char *be(struct pvmx_xs *xs, const char *name)
{
	static char buf[256];
	char path[128];

	snprintf(path, sizeof(path), "/local/domain/0/backend/vif/1/0/%s", name);
	if (pvmx_xs_read(xs, path, buf, sizeof(buf)))
		return "(none)";
	return buf;
}

static void connect_fe(struct pvmx_xs *xs, struct pvmx_backends *bk)
{
	fe(xs, "tx-ring-ref", "8");
	fe(xs, "rx-ring-ref", "9");
	fe(xs, "event-channel", "5");
	fe(xs, "request-rx-copy", "1");
	fe(xs, "feature-rx-notify", "1");
	fe(xs, "feature-sg", "1");
	fe(xs, "state", "4");
	CHECK(pvmx_backends_poll(bk));
}

static void vif_handshake_and_tap(void)
{
	struct pvmx_backend_ops ops = { .bind = fake_bind, .raise = fake_raise };
	struct pvmx_backends *bk = calloc(1, sizeof(*bk));
	struct pvmx_xs *xs = pvmx_xs_new(DOMID);
	struct pvmx_net_opt o;
	uint8_t frame[200], got[300];
	char err[256], buf[64], log_text[1024];
	FILE *log = tmpfile();
	bool changed;
	int sv[2];

	setup();
	CHECK_EQ(pvmx_net_parse("tap=tap0,mac=00:16:3e:aa:bb:0c", &o, err, sizeof(err)), 0);
	CHECK_STR(o.tap, "tap0");
	CHECK(o.mac_set && o.mac[3] == 0xaa && o.mac[5] == 0x0c);
	CHECK_EQ(pvmx_net_parse("mac=00:16:3e:aa:bb:0c", &o, err, sizeof(err)), -EINVAL);
	CHECK_EQ(pvmx_net_parse("tap=a,mac=01:16:3e:aa:bb:0c", &o, err, sizeof(err)), -EINVAL);
	CHECK_EQ(pvmx_net_parse("tap=a,mac=00:16:3e:aa:bb", &o, err, sizeof(err)), -EINVAL);
	CHECK_EQ(pvmx_net_parse("tap=a,bridge=xenbr0", &o, err, sizeof(err)), -EINVAL);
	CHECK_HAS(err, "bridge=xenbr0");
	CHECK_EQ(pvmx_net_parse("tap=0123456789abcdef", &o, err, sizeof(err)), -EINVAL);
	CHECK_EQ(pvmx_net_parse("fd=3:4", &o, err, sizeof(err)), 0);
	CHECK(o.fd_in == 3 && o.fd_out == 4 && !o.tap[0]);
	CHECK_EQ(pvmx_net_parse("fd=5", &o, err, sizeof(err)), 0);
	CHECK(o.fd_in == 5 && o.fd_out == 5);
	CHECK_EQ(pvmx_net_parse("fd=-1", &o, err, sizeof(err)), -EINVAL);
	CHECK_EQ(pvmx_net_parse("fd=3,tap=a", &o, err, sizeof(err)), -EINVAL);
	CHECK_EQ(pvmx_net_parse("tap=tap0", &o, err, sizeof(err)), 0);
	CHECK(!o.mac_set && o.fd_in == -1);

	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	CHECK_EQ(pvmx_backends_init(bk, xs, DOMID, gtab, GNTTAB_FRAMES, ram, NR_RAM, &ops, log), 0);
	CHECK_EQ(pvmx_backends_add_vif(bk, &o, sv[0], sv[0], err, sizeof(err)), 0);
	CHECK_STR(be(xs, "state"), "2");
	CHECK_STR(be(xs, "frontend"), "/local/domain/1/device/vif/0");
	CHECK_STR(be(xs, "handle"), "0");
	CHECK_STR(be(xs, "feature-rx-copy"), "1");
	CHECK_STR(be(xs, "feature-sg"), "1");
	CHECK_EQ(strncmp(be(xs, "mac"), "00:16:3e:", 9), 0);
	CHECK_EQ(strlen(be(xs, "mac")), 17);
	CHECK_EQ(pvmx_xs_read(xs, "/local/domain/1/device/vif/0/mac", buf, sizeof(buf)), 0);
	CHECK_STR(buf, be(xs, "mac"));
	CHECK_EQ(pvmx_xs_read(xs, "/local/domain/1/device/vif/0/backend", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/local/domain/0/backend/vif/1/0");
	CHECK(!pvmx_vif_wants_input(bk, 0));

	/* Linux's netfront goes from Initialising straight to Connected. */
	connect_fe(xs, bk);
	CHECK_STR(be(xs, "state"), "4");
	CHECK_EQ(bound_port, 5);
	CHECK(pvmx_vif_wants_input(bk, 0));

	/* tx: a frame reaches the "tap" whole. */
	udp_frame(frame, 200);
	memcpy(ram + 20 * PG, frame, 200);
	grant(20, 20, GTF_permit_access | GTF_readonly);
	tx_put(20, 0, 0, 1, 200);
	txh()->req_prod = tx_prod;
	raised = 0;
	CHECK(pvmx_backends_notify(bk, 5, &changed));
	CHECK(!changed);
	CHECK_EQ(raised, 5);
	CHECK_EQ(read(sv[1], got, sizeof(got)), 200);
	CHECK_EQ(memcmp(got, frame, 200), 0);

	/* rx: two frames from the "tap", one buffer: the second waits for the next. */
	CHECK_EQ(write(sv[1], frame, 150), 150);
	CHECK_EQ(write(sv[1], frame, 90), 90);
	grant(30, 30, GTF_permit_access);
	rx_post(1, 30);
	raised = 0;
	CHECK(pvmx_vif_input(bk, 0, &changed));
	CHECK_EQ(raised, 5);
	CHECK_EQ(rx_rsp(0).status, 150);
	CHECK(!pvmx_vif_wants_input(bk, 0));
	/* The guest posts a buffer, moves rsp_event on, notifies: the waiting frame goes. */
	rx_post(2, 30);
	rxh()->rsp_event = 2;
	raised = 0;
	CHECK(pvmx_backends_notify(bk, 5, &changed));
	CHECK_EQ(rx_rsp(1).status, 90);
	CHECK_EQ(raised, 5);
	CHECK(pvmx_vif_wants_input(bk, 0));

	/* The peer closing its end: said once, the fd no longer polled (no spinning on EOF). */
	{
		int pp[2];
		int keep = bk->vif[0]->fd;

		CHECK_EQ(pipe(pp), 0);
		close(pp[1]);
		bk->vif[0]->fd = pp[0];
		CHECK(!pvmx_vif_input(bk, 0, &changed));
		CHECK(!pvmx_vif_wants_input(bk, 0));
		bk->vif[0]->fd = keep;
		bk->vif[0]->tap_failed = false;
		close(pp[0]);
	}

	/* A hostile tx ring: the device closes with a message. */
	txh()->req_prod = tx_prod + 1000;
	CHECK(pvmx_backends_notify(bk, 5, &changed));
	CHECK(changed);
	CHECK_STR(be(xs, "state"), "5");
	CHECK_EQ(bound_port, 0);
	CHECK_EQ(gtab[TX_REF].flags, GTF_permit_access);
	CHECK(!pvmx_vif_wants_input(bk, 0));
	CHECK(!pvmx_backends_notify(bk, 5, &changed));
	rewind(log);
	memset(log_text, 0, sizeof(log_text));
	CHECK(fread(log_text, 1, sizeof(log_text) - 1, log) > 0);
	CHECK_HAS(log_text, "pvmx: vif 0 (tap tap0): impossible number of tx requests");
	CHECK_HAS(log_text, "pvmx: vif 0: reading tap tap0: end of file: no more frames to the guest");

	/* Closed, Initialising, reconnected; then front ends the back end refuses. */
	fe(xs, "state", "6");
	CHECK(pvmx_backends_poll(bk));
	CHECK_STR(be(xs, "state"), "6");
	fe(xs, "state", "1");
	CHECK(pvmx_backends_poll(bk));
	CHECK_STR(be(xs, "state"), "2");
	rings_init();
	connect_fe(xs, bk);
	CHECK_STR(be(xs, "state"), "4");
	fe(xs, "state", "6");
	pvmx_backends_poll(bk);
	fe(xs, "state", "1");
	pvmx_backends_poll(bk);
	fe(xs, "request-rx-copy", "0");
	fe(xs, "state", "4");
	CHECK(pvmx_backends_poll(bk));
	CHECK_STR(be(xs, "state"), "5");
	fe(xs, "state", "6");
	pvmx_backends_poll(bk);
	fe(xs, "state", "1");
	pvmx_backends_poll(bk);
	fe(xs, "request-rx-copy", "1");
	fe(xs, "rx-ring-ref", "8");
	fe(xs, "state", "4");
	CHECK(pvmx_backends_poll(bk));
	CHECK_STR(be(xs, "state"), "5");
	CHECK_EQ(gtab[TX_REF].flags, GTF_permit_access);
	rewind(log);
	memset(log_text, 0, sizeof(log_text));
	CHECK(fread(log_text, 1, sizeof(log_text) - 1, log) > 0);
	CHECK_HAS(log_text, "request-rx-copy");
	CHECK_HAS(log_text, "are one page");

	pvmx_backends_fini(bk);		/* closes sv[0] */
	close(sv[1]);
	pvmx_xs_free(xs);
	fclose(log);
	free(bk);
	pvmx_gnttab_fini(&gt);
	free(ram);
	free(gtab);
	free(nb);
}

/* Bring tap name up as 10.99.<n>.1/24 with ioctls; false if not allowed. */
static bool tap_up(const char *name, unsigned int n, uint8_t mac[6])
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	char addr[32];
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (s < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	sin->sin_family = AF_INET;
	snprintf(addr, sizeof(addr), "10.99.%u.1", n);
	inet_pton(AF_INET, addr, &sin->sin_addr);
	ok = !ioctl(s, SIOCSIFADDR, &ifr);
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	ok = ok && !ioctl(s, SIOCSIFNETMASK, &ifr);
	ok = ok && !ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	ok = ok && !ioctl(s, SIOCSIFFLAGS, &ifr);
	ok = ok && !ioctl(s, SIOCGIFHWADDR, &ifr);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
	return ok;
}

/*
 * The host kernel as the peer on a real tap (skipped without /dev/net/tun
 * or CAP_NET_ADMIN): the guest's ARP request is answered, and a UDP
 * datagram sent with a blank checksum, filled in by the back end, reaches
 * the host's UDP layer (a checksum it got wrong would be dropped there):
 * the closed port's ICMP port unreachable comes back.
 */
static void vif_on_a_real_tap(void)
{
	struct pvmx_backend_ops ops = { .bind = fake_bind, .raise = fake_raise };
	struct pvmx_backends *bk;
	struct pvmx_xs *xs;
	struct pvmx_net_opt o;
	char err[256], name[16];
	uint8_t f[200], *p, tap_mac[6];
	unsigned int n = (unsigned int)getpid() % 200 + 20, i, got_arp = 0, got_unreach = 0;
	struct pollfd pfd;
	bool changed;
	int fd;

	snprintf(name, sizeof(name), "pvmxut%u", n);
	fd = pvmx_tap_open(name, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "  (vif_on_a_real_tap skipped: %s)\n", err);
		return;
	}
	if (!tap_up(name, n, tap_mac)) {
		fprintf(stderr, "  (vif_on_a_real_tap skipped: cannot address %s)\n", name);
		close(fd);
		return;
	}
	setup();
	bk = calloc(1, sizeof(*bk));
	xs = pvmx_xs_new(DOMID);
	CHECK_EQ(pvmx_net_parse("tap=x,mac=00:16:3e:00:00:0f", &o, err, sizeof(err)), 0);
	snprintf(o.tap, sizeof(o.tap), "%s", name);
	CHECK_EQ(pvmx_backends_init(bk, xs, DOMID, gtab, GNTTAB_FRAMES, ram, NR_RAM, &ops, stderr), 0);
	CHECK_EQ(pvmx_backends_add_vif(bk, &o, fd, fd, err, sizeof(err)), 0);
	connect_fe(xs, bk);
	CHECK_STR(be(xs, "state"), "4");
	for (i = 0; i < 8; i++) {
		grant(30 + i, 30 + i, GTF_permit_access);
		rx_post((uint16_t)i, 30 + i);
	}
	/* ARP: who has 10.99.n.1, tell 10.99.n.15. */
	p = ram + 20 * PG;
	memcpy(p, "\xff\xff\xff\xff\xff\xff\x00\x16\x3e\x00\x00\x0f\x08\x06"
		  "\x00\x01\x08\x00\x06\x04\x00\x01\x00\x16\x3e\x00\x00\x0f", 28);
	p[28] = 10; p[29] = 99; p[30] = (uint8_t)n; p[31] = 15;
	memset(p + 32, 0, 6);
	p[38] = 10; p[39] = 99; p[40] = (uint8_t)n; p[41] = 1;
	grant(20, 20, GTF_permit_access | GTF_readonly);
	tx_put(20, 0, 0, 1, 42);
	/* UDP 10.99.n.15:4660 -> 10.99.n.1:9 (discard, closed), checksum blank. */
	udp_frame(f, 100);
	memcpy(f, tap_mac, 6);
	memcpy(f + 6, "\x00\x16\x3e\x00\x00\x0f", 6);
	f[26 + 2] = (uint8_t)n; f[30] = 10; f[31] = 99; f[32] = (uint8_t)n; f[33] = 1;
	f[26] = 10; f[27] = 99; f[29] = 15;
	f[36] = 0; f[37] = 9;
	f[24] = f[25] = 0;
	{
		uint32_t sum = 0;

		for (i = 14; i < 34; i += 2)
			sum += (uint32_t)f[i] << 8 | f[i + 1];
		while (sum >> 16)
			sum = (sum & 0xFFFF) + (sum >> 16);
		f[24] = (uint8_t)(~sum >> 8);
		f[25] = (uint8_t)~sum;
	}
	f[40] = 0x12; f[41] = 0x34;	/* junk where the checksum goes: blank means "fill in" */
	memcpy(ram + 21 * PG, f, 100);
	grant(21, 21, GTF_permit_access | GTF_readonly);
	txh()->req_prod = tx_prod;
	CHECK(pvmx_backends_notify(bk, 5, &changed));
	usleep(100000);			/* let the kernel resolve our address from the ARP */
	tx_put(21, 0, NETTXF_csum_blank, 2, 100);
	txh()->req_prod = tx_prod;
	CHECK(pvmx_backends_notify(bk, 5, &changed));
	CHECK_EQ(tx_rsp(0).status, NETIF_RSP_OKAY);
	CHECK_EQ(tx_rsp(1).status, NETIF_RSP_OKAY);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (i = 0; i < 40 && !(got_arp && got_unreach) && poll(&pfd, 1, 100) >= 0; i++) {
		uint32_t j, before = rxh()->rsp_prod;

		pvmx_vif_input(bk, 0, &changed);
		for (j = before; j < rxh()->rsp_prod; j++) {
			struct netif_rx_response r = rx_rsp(j);
			uint8_t *b;

			if (r.status < 42 || r.id >= 8)
				continue;
			b = ram + (30 + r.id) * PG;
			if (b[12] == 0x08 && b[13] == 0x06 && b[21] == 2 && b[31] == 1)
				got_arp = 1;
			if (b[12] == 0x08 && b[13] == 0x00 && b[23] == 1 && b[34] == 3 && b[35] == 3)
				got_unreach = 1;
			rx_post(r.id, 30 + r.id);
		}
	}
	CHECK(got_arp);
	CHECK(got_unreach);
	pvmx_backends_fini(bk);		/* closes the tap: it goes away */
	pvmx_xs_free(xs);
	free(bk);
	pvmx_gnttab_fini(&gt);
	free(ram);
	free(gtab);
	free(nb);
}

/*
 * Mini-OS's netfront (229260e02faa) writes no feature-rx-notify but
 * notifies as req_event asks: it connects (as on QEMU's xen_nic), a frame
 * with no buffer waits and req_event asks for the notification, which
 * delivers it.
 */
static void vif_without_rx_notify(void)
{
	struct pvmx_backend_ops ops = { .bind = fake_bind, .raise = fake_raise };
	struct pvmx_backends *bk = calloc(1, sizeof(*bk));
	struct pvmx_xs *xs = pvmx_xs_new(DOMID);
	struct pvmx_net_opt o;
	uint8_t frame[200];
	char err[256];
	FILE *log = tmpfile();
	bool changed;
	int sv[2];

	setup();
	CHECK_EQ(pvmx_net_parse("tap=tap0", &o, err, sizeof(err)), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	CHECK_EQ(pvmx_backends_init(bk, xs, DOMID, gtab, GNTTAB_FRAMES, ram, NR_RAM, &ops, log), 0);
	CHECK_EQ(pvmx_backends_add_vif(bk, &o, sv[0], sv[0], err, sizeof(err)), 0);
	/* What Mini-OS's init_netfront() writes, in its order. */
	fe(xs, "tx-ring-ref", "8");
	fe(xs, "rx-ring-ref", "9");
	fe(xs, "event-channel", "5");
	fe(xs, "request-rx-copy", "1");
	fe(xs, "state", "4");
	CHECK(pvmx_backends_poll(bk));
	CHECK_STR(be(xs, "state"), "4");
	CHECK_EQ(bound_port, 5);
	CHECK(pvmx_vif_wants_input(bk, 0));

	/* A frame and no buffer: it waits, req_event asks for the next request. */
	udp_frame(frame, 120);
	CHECK_EQ(write(sv[1], frame, 120), 120);
	raised = 0;
	rxh()->req_event = 0;
	CHECK(pvmx_vif_input(bk, 0, &changed));
	CHECK(!changed);
	CHECK_EQ(raised, 0);
	CHECK_EQ(rxh()->req_event, 1);
	CHECK(!pvmx_vif_wants_input(bk, 0));
	/* The front end posts a buffer and notifies (req_event): delivered. */
	grant(30, 30, GTF_permit_access);
	rx_post(1, 30);
	CHECK(pvmx_backends_notify(bk, 5, &changed));
	CHECK(!changed);
	CHECK_EQ(rx_rsp(0).status, 120);
	CHECK_EQ(memcmp(ram + 30 * PG, frame, 120), 0);
	CHECK_EQ(raised, 5);
	CHECK(pvmx_vif_wants_input(bk, 0));
	rewind(log);
	CHECK_EQ(fread(err, 1, sizeof(err), log), 0);

	pvmx_backends_fini(bk);		/* closes sv[0] */
	close(sv[1]);
	pvmx_xs_free(xs);
	fclose(log);
	free(bk);
	pvmx_gnttab_fini(&gt);
	free(ram);
	free(gtab);
	free(nb);
}

const struct test netback_tests[] = {
	{ "netback_tx_frames", netback_tx_frames },
	{ "netback_tx_fatal", netback_tx_fatal },
	{ "netback_rx_frames", netback_rx_frames },
	{ "netback_csum", netback_csum },
	{ "vif_handshake_and_tap", vif_handshake_and_tap },
	{ "vif_without_rx_notify", vif_without_rx_notify },
	{ "vif_on_a_real_tap", vif_on_a_real_tap },
	{ NULL, NULL },
};
