// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_xs: a guest attacking the launcher's xenstore through the ring it
 * owns (issue 15, "beyond the list").  Expected results are xenstored's
 * (tools/xenstore: xenstored_core.c process_message()/handle_input(),
 * xenstored_domain.c's ring checks, xenstored_transaction.c and its
 * XSA-326 quotas) as Documentation/guest-abi.rst "Xenstore" states them.
 *
 *   (default)  KTAP:
 *     errors     unknown and dom0-only types, a WATCH_EVENT from the guest,
 *                a path of 3000 characters, a payload without its NUL, an
 *                unknown transaction id: each an error reply, nothing else
 *     perms      SET_PERMS giving a node to dom0 (EPERM), six entries
 *                (ENOSPC), malformed entries (EINVAL), on dom0's nodes and
 *                on another domain's (EACCES)
 *     floods     200 watches (ENOSPC after 128), 12 transactions (ENOSPC
 *                after 10), one transaction touching 1100 nodes (ENOSPC,
 *                XSA-326), 300 values of 2048 bytes (ENOSPC at the store's
 *                byte quota); the store still answers
 *     unread     600 requests without reading a reply (the response ring
 *                holds 60): the launcher queues the rest and answers
 *                every one as the guest reads
 *     wrap       all four ring indices set near 2^32 while idle: requests
 *                cross the wrap and are answered
 *   mode=bad_len  a header with len 4097: the connection is broken with
 *                XENSTORE_ERROR_PROTO in the page, nothing more is answered
 *   mode=bad_idx  req_prod 2000 past req_cons: XENSTORE_ERROR_RINGIDX
 *   mode=rsp_idx  rsp_cons 5000 past rsp_prod: XENSTORE_ERROR_RINGIDX
 *   mode=flood rounds=N  N rounds of every flood above (watches,
 *                transactions at their quota, the store filled and emptied),
 *                printing "XS-ROUND k" after each and "XS-LAST" at the end,
 *                then idling 3 s so the suite can read the launcher's RSS
 */
#include "runtime.h"
#include <pvmx/xen_io.h>

static struct xenstore_domain_interface *xs;
static u32 xs_port;
static char reply[4097];
static u32 reply_type;
static u32 next_id = 1;

#define V(x) (*(volatile u32 *)&(x))
/* A request whose payload is a string literal with its NULs, all of it. */
#define CALLS(type, lit) call((type), 0, (lit), sizeof(lit))

static int put(const void *data, u32 n)
{
	const char *p = data;

	while (n) {
		u32 prod = V(xs->req_prod), cons = V(xs->req_cons);

		if (prod - cons >= XENSTORE_RING_SIZE) {
			evtchn_simple(EVTCHNOP_send, xs_port);
			if (!wait_port(xs_port, 5000))
				return 0;
			continue;
		}
		xs->req[prod % XENSTORE_RING_SIZE] = *p++;
		mb();
		V(xs->req_prod) = prod + 1;
		n--;
	}
	return 1;
}

static int get(void *data, u32 n, u32 ms)
{
	char *p = data;

	while (n) {
		u32 prod = V(xs->rsp_prod), cons = V(xs->rsp_cons);

		if (prod == cons) {
			if (!wait_port(xs_port, ms))
				return 0;
			continue;
		}
		mb();
		*p++ = xs->rsp[cons % XENSTORE_RING_SIZE];
		mb();
		V(xs->rsp_cons) = cons + 1;
		n--;
	}
	return 1;
}

/* The reply to want_id; watch events are skipped. */
static int get_reply(u32 want_id, u32 ms)
{
	struct xsd_sockmsg h;

	for (;;) {
		if (!get(&h, sizeof(h), ms) || h.len > 4096 || !get(reply, h.len, ms))
			return 0;
		reply[h.len] = '\0';
		if (h.type == XS_WATCH_EVENT)
			continue;
		if (h.req_id != want_id)
			return 0;
		reply_type = h.type;
		return 1;
	}
}

static int send(u32 type, u32 tx, const void *payload, u32 len)
{
	struct xsd_sockmsg h = { type, next_id, tx, len };

	if (!put(&h, sizeof(h)) || !put(payload, len))
		return 0;
	evtchn_simple(EVTCHNOP_send, xs_port);
	return 1;
}

/* A request with a raw payload; its reply type, or 0 if none came. */
static u32 call(u32 type, u32 tx, const void *payload, u32 len)
{
	if (!send(type, tx, payload, len) || !get_reply(next_id++, 5000))
		return 0;
	return reply_type;
}

static u32 call1(u32 type, u32 tx, const char *s)
{
	return call(type, tx, s, strlen(s) + 1);
}

/* The reply is the error string err. */
static int err_is(u32 type, const char *err, const char *what)
{
	if (type == XS_ERROR && !strcmp(reply, err))
		return 1;
	test_diag("  %s: reply type %u '%s', want %s", what, type, reply, err);
	return 0;
}

static u32 xwrite(u32 tx, const char *path, const char *val)
{
	static char b[4096];
	u32 pl = strlen(path) + 1, vl = strlen(val);

	memcpy(b, path, pl);
	memcpy(b + pl, val, vl);
	return call(XS_WRITE, tx, b, pl + vl);
}

static u32 tx_start(void)
{
	u32 tx = 0;
	const char *p = reply;

	if (call(XS_TRANSACTION_START, 0, "", 1) != XS_TRANSACTION_START)
		return 0;
	while (*p >= '0' && *p <= '9')
		tx = tx * 10 + (u32)(*p++ - '0');
	return tx;
}

static int alive(void)
{
	return call1(XS_READ, 0, "domid") == XS_READ && !strcmp(reply, "1");
}

static void errors(void)
{
	static char big[3100];
	u32 ok;

	ok = err_is(call(99, 0, "x", 2), "ENOSYS", "type 99");
	ok &= err_is(call(0xFFFFFFFF, 0, "x", 2), "ENOSYS", "type ~0");
	ok &= err_is(CALLS(XS_WATCH_EVENT, "a\0b"), "ENOSYS", "WATCH_EVENT");
	ok &= err_is(call(XS_ERROR, 0, "EINVAL", 7), "ENOSYS", "ERROR");
	CHECK(ok, "unknown_types_enosys");
	ok = err_is(call1(XS_CONTROL, 0, "log"), "EACCES", "CONTROL");
	ok &= err_is(CALLS(XS_INTRODUCE, "2\0" "99\0" "3"), "EACCES", "INTRODUCE");
	CHECK(ok, "dom0_only_types_eacces");
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "data/", 5);
	ok = err_is(call1(XS_READ, 0, big), "EINVAL", "3099-byte path");
	ok &= err_is(xwrite(0, big, "v"), "EINVAL", "write 3099-byte path");
	ok &= err_is(call(XS_READ, 0, "domid", 5), "EINVAL", "path without NUL");
	ok &= err_is(call1(XS_READ, 12345, "domid"), "ENOENT", "unknown transaction");
	ok &= err_is(call(XS_WRITE, 0, "", 0), "EINVAL", "empty WRITE");
	CHECK(ok, "malformed_requests_errors");
	CHECK(alive(), "store_answers_after_errors");
}

static void perms(void)
{
	u32 ok;

	ok = xwrite(0, "data/p", "1") == XS_WRITE;
	ok &= err_is(CALLS(XS_SET_PERMS, "data/p\0n0"), "EPERM", "give to dom0");
	ok &= err_is(CALLS(XS_SET_PERMS, "data/p\0n1\0r2\0r3\0r4\0r5\0r6"),
		     "ENOSPC", "six entries");
	ok &= err_is(CALLS(XS_SET_PERMS, "data/p\0x1"), "EINVAL", "bad letter");
	ok &= err_is(CALLS(XS_SET_PERMS, "data/p\0r99999999999999"), "EINVAL",
		     "huge domid");
	ok &= err_is(CALLS(XS_SET_PERMS, "data/p\0n"), "EINVAL", "no domid");
	CHECK(ok, "set_perms_games_refused");
	ok = err_is(xwrite(0, "/local/domain/0/x", "1"), "EACCES", "dom0's node");
	ok &= err_is(xwrite(0, "/local/domain/2/x", "1"), "EACCES", "another domain");
	ok &= err_is(CALLS(XS_SET_PERMS, "/local/domain/0\0n1"), "EACCES",
		     "perms of dom0's node");
	ok &= err_is(call1(XS_RM, 0, "/local"), "EACCES", "rm /local");
	CHECK(ok, "other_domains_nodes_eacces");
}

/* Every flood; quiet = no KTAP lines (mode=flood). */
static u32 floods(int quiet)
{
	static char path[64], val[2049];
	u32 i, n, tx, txs[12], bad = 0, ok;

	/* Watches: 128, then ENOSPC. */
	for (i = 0, n = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "data/w%u%ctok%u", i, 0, i);
		if (call(XS_WATCH, 0, path, strlen(path) + 1 + strlen(path + strlen(path) + 1) + 1) ==
		    XS_WATCH)
			n++;
		else if (!(reply_type == XS_ERROR && !strcmp(reply, "ENOSPC")))
			bad++;
	}
	ok = n == 128 && !bad;
	if (!quiet && !ok)
		test_diag("  watches accepted %u, other errors %u", n, bad);
	if (!quiet)
		CHECK(ok, "watch_flood_enospc_after_128");
	call(XS_RESET_WATCHES, 0, "", 1);

	/* Transactions: 10, then ENOSPC; one touching 1100 nodes. */
	for (i = 0, n = 0; i < 12; i++) {
		txs[i] = tx_start();
		n += txs[i] != 0;
	}
	ok = n == 10 && err_is(XS_ERROR, "ENOSPC", "11th transaction");
	tx = txs[0];
	for (i = 0; i < 1100; i++) {
		snprintf(path, sizeof(path), "data/none%u", i);
		if (call1(XS_READ, tx, path) != XS_ERROR || strcmp(reply, "ENOENT"))
			break;
	}
	ok &= i < 1100 && err_is(reply_type, "ENOSPC", "1100 nodes in a transaction");
	ok &= err_is(call(XS_TRANSACTION_END, tx, "T", 2), "ENOSPC", "its commit");
	for (i = 1; i < 12; i++)
		if (txs[i])
			call(XS_TRANSACTION_END, txs[i], "F", 2);
	if (!quiet)
		CHECK(ok, "transaction_floods_enospc");

	/* Values: 2048 bytes each until the store's byte quota. */
	memset(val, 'v', 2048);
	val[2048] = '\0';
	for (i = 0, n = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "data/big/%u", i);
		if (xwrite(0, path, val) == XS_WRITE)
			n++;
		else
			break;
	}
	ok = n > 100 && n < 300 && err_is(reply_type, "ENOSPC", "byte quota");
	ok &= call1(XS_RM, 0, "data/big") == XS_RM;
	if (!quiet)
		CHECK(ok, "value_flood_enospc_at_quota");
	return ok;
}

static void unread(void)
{
	u32 i, first = next_id, got = 0, sent = 0;
	struct xsd_sockmsg h;

	for (i = 0; i < 600; i++) {
		h = (struct xsd_sockmsg){ XS_READ, next_id++, 0, 6 };
		/* put() waits (5 s) when the request ring is full: stop there. */
		if (!put(&h, sizeof(h)) || !put("domid", 6))
			break;
		sent++;
		evtchn_simple(EVTCHNOP_send, xs_port);
	}
	for (i = 0; i < 600 && got < sent + 1; i++) {
		/* Reading replies frees the launcher to read the rest. */
		if (!get_reply(first + got, 5000) || reply_type != XS_READ)
			break;
		got++;
		evtchn_simple(EVTCHNOP_send, xs_port);
		if (got == sent)
			break;
	}
	if (got != sent || sent < 100)
		test_diag("  sent %u, answered %u", sent, got);
	CHECK(sent >= 100 && got == sent && alive(), "unread_replies_queued_all_answered");
}

static void wrap(void)
{
	u32 i, ok = 1;

	/* Idle: both rings empty.  The guest owns the page; xenstored reads it. */
	V(xs->req_cons) = V(xs->req_prod) = 0xFFFFFF00u;
	V(xs->rsp_cons) = V(xs->rsp_prod) = 0xFFFFFF00u;
	mb();
	for (i = 0; i < 40; i++)
		ok &= alive();
	CHECK(ok && V(xs->req_prod) < 0x1000 && xs->error == 0, "indices_wrap_2_32");
}

/* Broken connections: the page's error field says why; nothing answers. */
static void broken(const char *mode)
{
	struct xsd_sockmsg h = { XS_READ, 1, 0, 4097 };
	u32 want = XENSTORE_ERROR_RINGIDX, i;

	test_plan(3);
	if (!strcmp(mode, "bad_len")) {
		want = XENSTORE_ERROR_PROTO;
		put(&h, sizeof(h));
		evtchn_simple(EVTCHNOP_send, xs_port);
	} else if (!strcmp(mode, "bad_idx")) {
		V(xs->req_prod) = V(xs->req_cons) + 2000;
		evtchn_simple(EVTCHNOP_send, xs_port);
	} else {
		/* A request whose reply will meet the bad index. */
		h = (struct xsd_sockmsg){ XS_READ, 1, 0, 6 };
		put(&h, sizeof(h));
		put("domid", 6);
		V(xs->rsp_cons) = V(xs->rsp_prod) + 5000;
		mb();
		evtchn_simple(EVTCHNOP_send, xs_port);
	}
	for (i = 0; i < 100 && !V(xs->error); i++)
		wait_port(xs_port, 20);
	CHECK_EQ(V(xs->error), want, "connection_error_in_page");
	/* Nothing more: a fresh, valid ring gets no answer. */
	V(xs->req_cons) = V(xs->req_prod) = V(xs->rsp_cons) = V(xs->rsp_prod) = 0;
	CHECK(send(XS_READ, 0, "domid", 6) && !get_reply(next_id, 1000), "no_reply_after_break");
	CHECK(console_io(CONSOLEIO_write, 9, "# alive\n\n") >= 0, "guest_runs_on");
}

void test_main(void)
{
	const char *cmd = (const char *)start_info->cmd_line;
	const char *m = strstr(cmd, "mode=");
	u32 i, rounds;

	if (!map_shared_info() || !(xs = mfn_to_va(start_info->store_mfn))) {
		printf("hostile_xs: no store ring\n");
		shutdown(SHUTDOWN_crash);
	}
	xs_port = start_info->store_evtchn;
	clear_bit(shared_info->evtchn_pending, xs_port);
	if (m && (!strncmp(m + 5, "bad_len", 7) || !strncmp(m + 5, "bad_idx", 7) ||
		  !strncmp(m + 5, "rsp_idx", 7))) {
		char mode[8];

		memcpy(mode, m + 5, 7);
		mode[7] = '\0';
		broken(mode);
		return;
	}
	if (m && !strncmp(m + 5, "flood", 5)) {
		rounds = cmdline_uint(cmd, "rounds", 10);
		test_plan(1);
		for (i = 1; i <= rounds; i++) {
			if (!floods(1) || !alive()) {
				test_diag("round %u failed", i);
				break;
			}
			printf("XS-ROUND %u\n", i);
		}
		printf("XS-LAST\n");
		{
			u64 end = now_ns() + 3000000000ull;

			while (now_ns() < end)
				wait_port(xs_port, 100);
		}
		CHECK(i > rounds, "flood_rounds");
		return;
	}
	test_plan(12);
	errors();
	perms();
	floods(0);
	unread();
	wrap();
	CHECK(alive() && xs->error == 0, "store_alive_at_end");
}
