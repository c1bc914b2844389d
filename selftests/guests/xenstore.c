// SPDX-License-Identifier: GPL-2.0
/*
 * The launcher's xenstore and console backends, as a guest sees them:
 * requests on the store ring (start_info->store_mfn / store_evtchn), in one
 * piece and in parts; READ, WRITE, errors, a watch and its events, a
 * transaction; a notification with nothing to do is not answered (on the
 * store port and on the console port: the Mini-OS livelock); a line written
 * to console_io and the console ring is printed once.
 *
 * Output checked by the suite: "MIRRORED: once" exactly once,
 * "IO-ONLY: shown" and "RING-ONLY: shown".
 */
#include "runtime.h"
#include <pvmx/xen_io.h>

static struct xenstore_domain_interface *xs;
static u32 xs_port;
static char reply[4097];
static u32 reply_len, reply_type;
static char event[2][64];
static u32 nr_events;

#define V(x) (*(volatile u32 *)&(x))

/* Wait up to ms for port to become pending; clears it.  1 if it did. */
static int put(const void *data, u32 n)
{
	const char *p = data;

	while (n) {
		u32 prod = V(xs->req_prod), cons = V(xs->req_cons);

		if (prod - cons == XENSTORE_RING_SIZE) {
			evtchn_simple(EVTCHNOP_send, xs_port);
			if (!wait_port(xs_port, 5000))
				return 0;
			continue;
		}
		xs->req[prod % XENSTORE_RING_SIZE] = *p++;
		mb();	/* the byte before the index that publishes it */
		V(xs->req_prod) = prod + 1;
		n--;
	}
	return 1;
}

static int get(void *data, u32 n)
{
	char *p = data;

	while (n) {
		u32 prod = V(xs->rsp_prod), cons = V(xs->rsp_cons);

		if (prod == cons) {
			if (!wait_port(xs_port, 5000))
				return 0;
			continue;
		}
		mb();	/* the index before the byte it covers */
		*p++ = xs->rsp[cons % XENSTORE_RING_SIZE];
		mb();	/* the byte read before the slot is given back */
		V(xs->rsp_cons) = cons + 1;
		n--;
	}
	return 1;
}

/* One message; watch events are kept in event[] and skipped. */
static int get_reply(u32 want_id)
{
	struct xsd_sockmsg h;

	for (;;) {
		if (!get(&h, sizeof(h)) || h.len > 4096 || !get(reply, h.len))
			return 0;
		reply[h.len] = '\0';
		if (h.type == XS_WATCH_EVENT) {
			u32 l = (u32)strlen(reply);

			snprintf(event[0], sizeof(event[0]), "%s", reply);
			snprintf(event[1], sizeof(event[1]), "%s",
				 l + 1 < h.len ? reply + l + 1 : "");
			nr_events++;
			if (want_id == ~0u)
				return 1;
			continue;
		}
		if (h.req_id != want_id)
			return 0;
		reply_len = h.len;
		reply_type = h.type;
		return 1;
	}
}

static u32 next_id = 1;

/* A request of two parts (a: NUL-terminated path, b: raw bytes). */
static int request(u32 type, u32 tx, const char *a, const char *b)
{
	u32 la = (u32)strlen(a) + 1, lb = b ? (u32)strlen(b) : 0;
	struct xsd_sockmsg h = { type, next_id, tx, la + lb };

	if (!put(&h, sizeof(h)) || !put(a, la) || (lb && !put(b, lb)))
		return 0;
	evtchn_simple(EVTCHNOP_send, xs_port);
	return get_reply(next_id++);
}

static int read_is(const char *path, const char *want)
{
	if (!request(XS_READ, 0, path, NULL) || reply_type != XS_READ) {
		test_diag("  READ %s: type %u '%s'", path, reply_type, reply);
		return 0;
	}
	if (strcmp(reply, want)) {
		test_diag("  READ %s: '%s', want '%s'", path, reply, want);
		return 0;
	}
	return 1;
}

static int error_is(u32 type, const char *path, const char *err)
{
	if (!request(type, 0, path, NULL))
		return 0;
	if (reply_type != XS_ERROR || strcmp(reply, err)) {
		test_diag("  %s: type %u '%s', want %s", path, reply_type, reply, err);
		return 0;
	}
	return 1;
}

static void ring_print(struct xen_console_ring *r, u32 port, const char *s)
{
	u32 prod = r->out_prod;

	while (*s)
		r->out[prod++ % 2048] = *s++;
	mb();	/* the bytes before the index */
	V(r->out_prod) = prod;
	evtchn_simple(EVTCHNOP_send, port);
	wait_port(port, 5000);
}

void test_main(void)
{
	struct xen_console_ring *con;
	u32 cport, tx = 0;
	struct xsd_sockmsg h;

	test_plan(14);
	CHECK(map_shared_info(), "map_shared_info");
	xs = mfn_to_va(start_info->store_mfn);
	xs_port = start_info->store_evtchn;
	con = console_ring();
	cport = start_info->console_evtchn;
	CHECK(xs && xs_port && con, "rings_found");
	if (!xs || !con)
		return;
	clear_bit(shared_info->evtchn_pending, xs_port);

	CHECK(read_is("domid", "1") && read_is("/local/domain/1/domid", "1") &&
	      read_is("store/port", "2") && read_is("console/type", "xenconsoled"), "read");
	CHECK(request(XS_WRITE, 0, "data/test", "hello") && reply_type == XS_WRITE &&
	      !strcmp(reply, "OK") && read_is("data/test", "hello"), "write_read_back");
	CHECK(error_is(XS_READ, "/local/domain/0/x", "EACCES") &&
	      error_is(XS_READ, "data/none", "ENOENT") &&
	      error_is(XS_READ, "bad path", "EINVAL") &&
	      error_is(99, "x", "ENOSYS"), "error_strings");

	/* A request in two parts, a notification between them. */
	h = (struct xsd_sockmsg){ XS_READ, 777, 0, 6 };
	put(&h, 10);
	evtchn_simple(EVTCHNOP_send, xs_port);
	wait_port(xs_port, 1000);
	put((char *)&h + 10, 6);
	put("domid", 6);
	evtchn_simple(EVTCHNOP_send, xs_port);
	CHECK(get_reply(777) && reply_type == XS_READ && !strcmp(reply, "1"), "request_in_parts");

	/* Watches: an event on registration, then on a change below. */
	nr_events = 0;
	h = (struct xsd_sockmsg){ XS_WATCH, next_id, 0, 9 };
	put(&h, sizeof(h));
	put("data\0tok", 9);
	evtchn_simple(EVTCHNOP_send, xs_port);
	CHECK(get_reply(next_id++) && reply_type == XS_WATCH &&
	      (nr_events || get_reply(~0u)) && !strcmp(event[0], "data") &&
	      !strcmp(event[1], "tok"), "watch_fires_on_registration");
	nr_events = 0;
	request(XS_WRITE, 0, "data/w", "1");
	CHECK((nr_events || get_reply(~0u)) && !strcmp(event[0], "data/w") &&
	      !strcmp(event[1], "tok"), "watch_fires_on_write");

	/* A transaction: invisible outside until committed. */
	if (request(XS_TRANSACTION_START, 0, "", NULL) && reply_type == XS_TRANSACTION_START) {
		const char *p = reply;

		while (*p >= '0' && *p <= '9')
			tx = tx * 10 + (u32)(*p++ - '0');
	}
	CHECK(tx && request(XS_WRITE, tx, "data/t", "in-tx") && reply_type == XS_WRITE &&
	      error_is(XS_READ, "data/t", "ENOENT") &&
	      request(XS_TRANSACTION_END, tx, "T", NULL) && reply_type == XS_TRANSACTION_END &&
	      read_is("data/t", "in-tx"), "transaction_commit");

	/* Nothing to do: the store port is not raised back. */
	clear_bit(shared_info->evtchn_pending, xs_port);	/* raised for the last reply */
	evtchn_simple(EVTCHNOP_send, xs_port);
	CHECK(!wait_port(xs_port, 300), "idle_store_notify_not_answered");
	/* Nor the console port with an empty ring (Mini-OS's input handler). */
	clear_bit(shared_info->evtchn_pending, cport);
	evtchn_simple(EVTCHNOP_send, cport);
	CHECK(!wait_port(cport, 300), "idle_console_notify_not_answered");
	/* With output in the ring it is. */
	ring_print(con, cport, "RING-ONLY: shown\n");
	CHECK(V(con->out_cons) == V(con->out_prod), "console_ring_drained");

	/* The same line on console_io and the ring: shown once (--console=auto). */
	console_io(CONSOLEIO_write, 15, "MIRRORED: once\n");
	ring_print(con, cport, "MIRRORED: once\n");
	console_io(CONSOLEIO_write, 15, "IO-ONLY: shown\n");
	CHECK(1, "mirrored_written");
	CHECK(xs->error == 0, "no_store_error");
}
