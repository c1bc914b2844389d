// SPDX-License-Identifier: GPL-2.0
/*
 * The launcher's xenstore (xenstore.c), driven through its ring as a guest
 * drives it: framing, every operation, permissions, watches, transactions,
 * error strings, hostile input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "xenstore.h"

#define MASK(i) ((i) & (XENSTORE_RING_SIZE - 1))

struct cl {
	struct pvmx_xs *xs;
	struct xenstore_domain_interface *ring;
	unsigned int notifies;		/* pvmx_xs_service() said "notify" */
	unsigned int services;
	/* Watch events received while waiting for replies. */
	char ev[64][2][128];
	unsigned int nev;
	uint32_t next_req;
};

static void cl_init(struct cl *c, uint32_t start_idx)
{
	struct pvmx_xs_domain d = {
		.domid = 1, .name = "guest", .memory_kb = 65536, .vcpus = 2,
		.store_mfn = 0x1234, .store_port = 2, .console_mfn = 0x1235, .console_port = 1,
	};

	memset(c, 0, sizeof(*c));
	c->ring = calloc(1, 4096);
	c->xs = pvmx_xs_new(1);
	CHECK(c->xs != NULL);
	CHECK_EQ(pvmx_xs_seed_domain(c->xs, &d), 0);
	c->ring->req_cons = c->ring->req_prod = start_idx;
	c->ring->rsp_cons = c->ring->rsp_prod = start_idx;
	pvmx_xs_attach(c->xs, c->ring);
	c->next_req = 100;
}

static void cl_fini(struct cl *c)
{
	pvmx_xs_free(c->xs);
	free(c->ring);
}

static bool service(struct cl *c)
{
	bool n = pvmx_xs_service(c->xs, c->ring);

	c->services++;
	if (n)
		c->notifies++;
	return n;
}

/* Put bytes into req, servicing (the guest notifying) whenever it is full. */
static void put(struct cl *c, const void *data, size_t n)
{
	const char *p = data;

	while (n) {
		uint32_t prod = c->ring->req_prod, cons = c->ring->req_cons;
		uint32_t space = XENSTORE_RING_SIZE - (prod - cons);
		uint32_t chunk = XENSTORE_RING_SIZE - MASK(prod);
		uint32_t k = (uint32_t)n;

		if (!space) {
			service(c);
			if (c->ring->req_cons == cons)
				return;	/* the store stopped reading: caller checks */
			continue;
		}
		if (k > space)
			k = space;
		if (k > chunk)
			k = chunk;
		memcpy(c->ring->req + MASK(prod), p, k);
		c->ring->req_prod = prod + k;
		p += k;
		n -= k;
	}
}

/* Take n bytes from rsp, servicing when empty.  False if none come. */
static bool get(struct cl *c, void *data, size_t n)
{
	char *p = data;

	while (n) {
		uint32_t prod = c->ring->rsp_prod, cons = c->ring->rsp_cons;
		uint32_t chunk = XENSTORE_RING_SIZE - MASK(cons);
		uint32_t k = (uint32_t)n;

		if (prod == cons) {
			if (!service(c) && c->ring->rsp_prod == cons)
				return false;
			continue;
		}
		if (k > prod - cons)
			k = prod - cons;
		if (k > chunk)
			k = chunk;
		memcpy(p, c->ring->rsp + MASK(cons), k);
		c->ring->rsp_cons = cons + k;
		p += k;
		n -= k;
	}
	return true;
}

static void send_raw(struct cl *c, uint32_t type, uint32_t req_id, uint32_t tx,
		     const void *payload, uint32_t len)
{
	struct xsd_sockmsg h = { type, req_id, tx, len };

	put(c, &h, sizeof(h));
	put(c, payload, len);
}

/* One message from rsp into h / buf (NUL-terminated).  False if none. */
static bool recv_msg(struct cl *c, struct xsd_sockmsg *h, char *buf)
{
	if (!get(c, h, sizeof(*h)))
		return false;
	CHECK(h->len <= XENSTORE_PAYLOAD_MAX);
	if (h->len > XENSTORE_PAYLOAD_MAX)
		return false;
	if (!get(c, buf, h->len))
		return false;
	buf[h->len] = '\0';
	return true;
}

static void note_event(struct cl *c, const char *buf, uint32_t len)
{
	if (c->nev < 64) {
		snprintf(c->ev[c->nev][0], 128, "%s", buf);
		if (strlen(buf) + 1 < len)
			snprintf(c->ev[c->nev][1], 128, "%s", buf + strlen(buf) + 1);
		c->nev++;
	}
}

/*
 * A request and its reply (events before it are noted).  Returns the reply
 * type; the payload is in buf (NUL-terminated), its length in *len.
 */
static uint32_t call_raw(struct cl *c, uint32_t type, uint32_t tx, const void *payload,
			 uint32_t plen, char *buf, uint32_t *len)
{
	struct xsd_sockmsg h;
	uint32_t id = c->next_req++;

	send_raw(c, type, id, tx, payload, plen);
	for (;;) {
		if (!recv_msg(c, &h, buf)) {
			CHECK(!"no reply");
			return ~0u;
		}
		if (h.type == XS_WATCH_EVENT) {
			CHECK_EQ(h.req_id, 0);
			note_event(c, buf, h.len);
			continue;
		}
		CHECK_EQ(h.req_id, id);
		CHECK_EQ(h.tx_id, tx);
		if (len)
			*len = h.len;
		return h.type;
	}
}

/* Request with NUL-separated string arguments given as "a\0b" + length. */
static char rbuf[XENSTORE_PAYLOAD_MAX + 1];

static uint32_t call(struct cl *c, uint32_t type, uint32_t tx, const char *args, size_t alen)
{
	return call_raw(c, type, tx, args, (uint32_t)alen, rbuf, NULL);
}

/* Single-argument request. */
static uint32_t call1(struct cl *c, uint32_t type, uint32_t tx, const char *arg)
{
	return call(c, type, tx, arg, strlen(arg) + 1);
}

static uint32_t xwrite(struct cl *c, uint32_t tx, const char *path, const char *value)
{
	char b[XENSTORE_PAYLOAD_MAX];
	size_t pl = strlen(path) + 1, vl = strlen(value);

	memcpy(b, path, pl);
	memcpy(b + pl, value, vl);
	return call(c, XS_WRITE, tx, b, pl + vl);
}

/* Expect an XS_ERROR with the string err. */
#define CHECK_ERR(expr, err) do {					\
	uint32_t _t = (expr);						\
	CHECK_EQ(_t, XS_ERROR);						\
	if (_t == XS_ERROR)						\
		CHECK_STR(rbuf, err);					\
} while (0)

#define CHECK_OK(expr, type) do {					\
	uint32_t _t = (expr);						\
	CHECK_EQ(_t, type);						\
	if (_t == XS_ERROR)						\
		fprintf(stderr, "  (error %s)\n", rbuf);		\
} while (0)

static void expect_read(struct cl *c, uint32_t tx, const char *path, const char *value)
{
	CHECK_OK(call1(c, XS_READ, tx, path), XS_READ);
	CHECK_STR(rbuf, value);
}

static void test_seed(void)
{
	struct cl c;

	cl_init(&c, 0);
	expect_read(&c, 0, "domid", "1");
	expect_read(&c, 0, "/local/domain/1/domid", "1");
	expect_read(&c, 0, "name", "guest");
	expect_read(&c, 0, "store/port", "2");
	expect_read(&c, 0, "store/ring-ref", "4660");
	expect_read(&c, 0, "console/port", "1");
	expect_read(&c, 0, "console/ring-ref", "4661");
	expect_read(&c, 0, "console/type", "xenconsoled");
	expect_read(&c, 0, "memory/target", "65536");
	expect_read(&c, 0, "cpu/1/availability", "online");
	expect_read(&c, 0, "control/platform-feature-xs_reset_watches", "1");
	expect_read(&c, 0, "control/shutdown", "");
	CHECK_OK(call1(&c, XS_READ, 0, "vm"), XS_READ);
	CHECK_OK(call1(&c, XS_READ, 0, rbuf), XS_READ);	/* /vm/<uuid> readable */
	/* The frontend is the guest's, its backend dom0's and readable. */
	expect_read(&c, 0, "console/backend", "/local/domain/0/backend/console/1/0");
	expect_read(&c, 0, "/local/domain/0/backend/console/1/0/frontend", "/local/domain/1");
	CHECK_OK(call1(&c, XS_GET_DOMAIN_PATH, 0, "1"), XS_GET_DOMAIN_PATH);
	CHECK_STR(rbuf, "/local/domain/1");
	CHECK_OK(call1(&c, XS_GET_DOMAIN_PATH, 0, "0"), XS_GET_DOMAIN_PATH);
	CHECK_STR(rbuf, "/local/domain/0");
	CHECK_ERR(call1(&c, XS_GET_DOMAIN_PATH, 0, "x1"), "EINVAL");
	CHECK_ERR(call1(&c, XS_GET_DOMAIN_PATH, 0, "65536"), "EINVAL");
	CHECK_ERR(call(&c, XS_GET_DOMAIN_PATH, 0, "1", 1), "EINVAL");	/* no NUL */
	cl_fini(&c);
}

static void test_errors(void)
{
	char big[XENSTORE_REL_PATH_MAX + 8];
	struct cl c;

	cl_init(&c, 0);
	CHECK_ERR(call1(&c, XS_READ, 0, "nothing"), "ENOENT");
	CHECK_ERR(call1(&c, XS_READ, 0, "data/nothing/deeper"), "ENOENT");
	/* dom0's and the root: not readable, so not even ENOENT. */
	CHECK_ERR(call1(&c, XS_READ, 0, "/local/domain/0/nothing"), "EACCES");
	CHECK_ERR(call1(&c, XS_READ, 0, "/local/domain/0"), "EACCES");
	CHECK_ERR(call1(&c, XS_DIRECTORY, 0, "/"), "EACCES");
	CHECK_ERR(call1(&c, XS_READ, 0, "/tool/xenstored"), "EACCES");
	/* Paths. */
	CHECK_ERR(call1(&c, XS_READ, 0, "bad path"), "EINVAL");
	CHECK_ERR(call1(&c, XS_READ, 0, "a//b"), "EINVAL");
	CHECK_ERR(call1(&c, XS_READ, 0, "data/"), "EINVAL");
	CHECK_ERR(call1(&c, XS_READ, 0, ""), "EINVAL");
	CHECK_ERR(call1(&c, XS_READ, 0, "@releaseDomain"), "EINVAL");
	CHECK_ERR(call1(&c, XS_READ, 0, "a.b"), "EINVAL");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_ERR(call1(&c, XS_READ, 0, big), "EINVAL");
	/* Payloads: no NUL, two strings for one, empty. */
	CHECK_ERR(call(&c, XS_READ, 0, "domid", 5), "EINVAL");
	CHECK_ERR(call(&c, XS_READ, 0, "domid\0x", 8), "EINVAL");
	CHECK_ERR(call(&c, XS_READ, 0, "", 0), "EINVAL");
	CHECK_ERR(call(&c, XS_WRITE, 0, "data", 4), "EINVAL");
	/* Types: unknown, reply-only, dom0-only. */
	CHECK_ERR(call1(&c, 99, 0, "x"), "ENOSYS");
	CHECK_ERR(call1(&c, 20, 0, "x"), "ENOSYS");	/* XS_RESTRICT, removed */
	CHECK_ERR(call1(&c, XS_WATCH_EVENT, 0, "x"), "ENOSYS");
	CHECK_ERR(call1(&c, XS_ERROR, 0, "x"), "ENOSYS");
	CHECK_ERR(call1(&c, XS_GET_FEATURE, 0, "1"), "ENOSYS");
	CHECK_ERR(call1(&c, XS_INTRODUCE, 0, "2"), "EACCES");
	CHECK_ERR(call1(&c, XS_RELEASE, 0, "1"), "EACCES");
	CHECK_ERR(call1(&c, XS_CONTROL, 0, "print"), "EACCES");
	CHECK_ERR(call1(&c, XS_SET_TARGET, 0, "1"), "EACCES");
	/* A transaction that does not exist. */
	CHECK_ERR(call1(&c, XS_READ, 77, "domid"), "ENOENT");
	cl_fini(&c);
}

static void test_write_mkdir_rm_directory(void)
{
	static const char bin[] = "a\0b\0c";
	char big[PVMX_XS_MAX_VALUE + 2];
	uint32_t len;
	struct cl c;

	cl_init(&c, 0);
	CHECK_OK(xwrite(&c, 0, "data/a/b", "v1"), XS_WRITE);
	CHECK_STR(rbuf, "OK");
	expect_read(&c, 0, "data/a/b", "v1");
	expect_read(&c, 0, "data/a", "");
	CHECK_OK(xwrite(&c, 0, "/local/domain/1/data/a/b", "v2"), XS_WRITE);
	expect_read(&c, 0, "data/a/b", "v2");
	CHECK_OK(xwrite(&c, 0, "data/a/c", ""), XS_WRITE);
	CHECK_OK(call1(&c, XS_MKDIR, 0, "data/a/d/e"), XS_MKDIR);
	CHECK_OK(call1(&c, XS_MKDIR, 0, "data/a/b"), XS_MKDIR);	/* exists: fine */
	expect_read(&c, 0, "data/a/b", "v2");			/* and unchanged */
	CHECK_OK(call_raw(&c, XS_DIRECTORY, 0, "data/a", 7, rbuf, &len), XS_DIRECTORY);
	CHECK_EQ(len, 6);
	CHECK(!memcmp(rbuf, "b\0c\0d\0", 6));			/* creation order */
	CHECK_OK(call_raw(&c, XS_DIRECTORY, 0, "data/a/b", 9, rbuf, &len), XS_DIRECTORY);
	CHECK_EQ(len, 0);
	/* Binary values come back as written. */
	CHECK_OK(call(&c, XS_WRITE, 0, "data/bin\0a\0b\0c", 9 + sizeof(bin) - 1), XS_WRITE);
	CHECK_OK(call_raw(&c, XS_READ, 0, "data/bin", 9, rbuf, &len), XS_READ);
	CHECK_EQ(len, sizeof(bin) - 1);
	CHECK(!memcmp(rbuf, bin, sizeof(bin) - 1));
	/* Values: 2048 bytes at most (xenstored's node-size quota). */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_ERR(xwrite(&c, 0, "data/big", big), "ENOSPC");
	CHECK_ERR(xwrite(&c, 0, "data/a/b", big), "ENOSPC");
	big[PVMX_XS_MAX_VALUE] = '\0';
	CHECK_OK(xwrite(&c, 0, "data/big", big), XS_WRITE);
	expect_read(&c, 0, "data/big", big);
	/* RM: the subtree; a missing node is fine if its parent exists. */
	CHECK_OK(call1(&c, XS_RM, 0, "data/a"), XS_RM);
	CHECK_ERR(call1(&c, XS_READ, 0, "data/a/d/e"), "ENOENT");
	CHECK_ERR(call1(&c, XS_READ, 0, "data/a"), "ENOENT");
	CHECK_OK(call1(&c, XS_RM, 0, "data/a"), XS_RM);
	CHECK_ERR(call1(&c, XS_RM, 0, "data/a/b"), "ENOENT");
	CHECK_OK(call_raw(&c, XS_DIRECTORY, 0, "data", 5, rbuf, &len), XS_DIRECTORY);
	CHECK_EQ(len, sizeof("bin\0big"));
	/* Read-only nodes and directories of the domain, dom0's nodes. */
	CHECK_ERR(xwrite(&c, 0, "domid", "2"), "EACCES");
	CHECK_ERR(xwrite(&c, 0, "control/new", "1"), "EACCES");
	CHECK_ERR(xwrite(&c, 0, "newtop", "1"), "EACCES");
	CHECK_ERR(call1(&c, XS_MKDIR, 0, "memory/x"), "EACCES");
	CHECK_ERR(xwrite(&c, 0, "/local/domain/0/x", "1"), "EACCES");
	CHECK_ERR(xwrite(&c, 0, "/local/domain/2/x", "1"), "EACCES");
	CHECK_ERR(call1(&c, XS_RM, 0, "domid"), "EACCES");
	CHECK_ERR(call1(&c, XS_RM, 0, "/"), "EACCES");
	CHECK_OK(xwrite(&c, 0, "control/shutdown", "poweroff"), XS_WRITE);
	CHECK_OK(xwrite(&c, 0, "control/feature-poweroff", "1"), XS_WRITE);
	CHECK_OK(xwrite(&c, 0, "device/suspend/event-channel", "5"), XS_WRITE);
	CHECK_OK(xwrite(&c, 0, "console/tty-extra", "x"), XS_WRITE);	/* the frontend is ours */
	CHECK_ERR(xwrite(&c, 0, "console/ring-ref", "1"), "EACCES");
	{
		char v[16];

		CHECK_EQ(pvmx_xs_read(c.xs, "/local/domain/1/control/shutdown", v, sizeof(v)), 0);
		CHECK_STR(v, "poweroff");
	}
	cl_fini(&c);
}

static void test_perms(void)
{
	uint32_t len;
	struct cl c;

	cl_init(&c, 0);
	CHECK_OK(call_raw(&c, XS_GET_PERMS, 0, "domid", 6, rbuf, &len), XS_GET_PERMS);
	CHECK_EQ(len, 6);
	CHECK(!memcmp(rbuf, "n0\0r1\0", 6));
	/* Created by the guest: its own, inheriting the rest from the parent. */
	CHECK_OK(xwrite(&c, 0, "data/p", "x"), XS_WRITE);
	CHECK_OK(call_raw(&c, XS_GET_PERMS, 0, "data/p", 7, rbuf, &len), XS_GET_PERMS);
	CHECK_EQ(len, 3);
	CHECK(!memcmp(rbuf, "n1\0", 3));
	CHECK_OK(call(&c, XS_SET_PERMS, 0, "data/p\0n1\0r0\0b7", 16), XS_SET_PERMS);
	CHECK_OK(call_raw(&c, XS_GET_PERMS, 0, "data/p", 7, rbuf, &len), XS_GET_PERMS);
	CHECK_EQ(len, 9);
	CHECK(!memcmp(rbuf, "n1\0r0\0b7\0", 9));
	/* Children inherit, owned by the creator. */
	CHECK_OK(xwrite(&c, 0, "data/p/q", "y"), XS_WRITE);
	CHECK_OK(call_raw(&c, XS_GET_PERMS, 0, "data/p/q", 9, rbuf, &len), XS_GET_PERMS);
	CHECK(len == 9 && !memcmp(rbuf, "n1\0r0\0b7\0", 9));
	/* Not the owner's to give away; not ours; malformed. */
	CHECK_ERR(call(&c, XS_SET_PERMS, 0, "data/p\0n0", 10), "EPERM");
	CHECK_ERR(call(&c, XS_SET_PERMS, 0, "domid\0n0\0r1", 12), "EACCES");
	CHECK_ERR(call(&c, XS_SET_PERMS, 0, "data/p\0x1", 10), "EINVAL");
	CHECK_ERR(call(&c, XS_SET_PERMS, 0, "data/p\0r", 9), "EINVAL");
	CHECK_ERR(call(&c, XS_SET_PERMS, 0, "data/p\0r1z", 11), "EINVAL");
	CHECK_ERR(call(&c, XS_SET_PERMS, 0, "data/p", 7), "EINVAL");
	CHECK_ERR(call(&c, XS_SET_PERMS, 0, "data/p\0n1\0r2\0r3\0r4\0r5\0r6", 25), "ENOSPC");
	CHECK_ERR(call(&c, XS_SET_PERMS, 0, "data/nothing\0n1", 16), "ENOENT");
	/* Below a node the guest may only read: EACCES, not ENOENT (errno_from_parents). */
	CHECK_ERR(call(&c, XS_SET_PERMS, 0, "nothing\0n1", 11), "EACCES");
	/* The guest takes its own read permission away: owner still reads. */
	CHECK_OK(call(&c, XS_SET_PERMS, 0, "data/p\0n1", 10), XS_SET_PERMS);
	expect_read(&c, 0, "data/p", "x");
	/* dom0 makes a node the guest may only read, then one it may not. */
	CHECK_EQ(pvmx_xs_write(c.xs, "/local/domain/1/data/ro", "r", "n0 r1"), 0);
	expect_read(&c, 0, "data/ro", "r");
	CHECK_ERR(xwrite(&c, 0, "data/ro", "w"), "EACCES");
	CHECK_EQ(pvmx_xs_write(c.xs, "/local/domain/1/data/hidden", "h", "n0"), 0);
	CHECK_ERR(call1(&c, XS_READ, 0, "data/hidden"), "EACCES");
	/* Below an unreadable node: EACCES, not ENOENT. */
	CHECK_ERR(call1(&c, XS_READ, 0, "data/hidden/x"), "EACCES");
	/* One it may write but not read. */
	CHECK_EQ(pvmx_xs_write(c.xs, "/local/domain/1/data/wo", "", "n0 w1"), 0);
	CHECK_OK(xwrite(&c, 0, "data/wo", "w"), XS_WRITE);
	CHECK_ERR(call1(&c, XS_READ, 0, "data/wo"), "EACCES");
	CHECK_ERR(call1(&c, XS_GET_PERMS, 0, "@releaseDomain"), "EACCES");
	cl_fini(&c);
}

static bool has_event(struct cl *c, const char *path, const char *token)
{
	unsigned int i;

	for (i = 0; i < c->nev; i++)
		if (!strcmp(c->ev[i][0], path) && !strcmp(c->ev[i][1], token))
			return true;
	return false;
}

/* Collect events already waiting (a READ as a barrier). */
static void sync_events(struct cl *c)
{
	CHECK_OK(call1(c, XS_READ, 0, "domid"), XS_READ);
}

static void test_watches(void)
{
	struct pvmx_xs_stats st;
	unsigned int i;
	struct cl c;

	cl_init(&c, 0);
	/* Relative watch: fired on registration, with relative paths. */
	CHECK_OK(call(&c, XS_WATCH, 0, "data\0tok", 9), XS_WATCH);
	sync_events(&c);
	CHECK_EQ(c.nev, 1);
	CHECK(has_event(&c, "data", "tok"));
	CHECK_OK(xwrite(&c, 0, "data/x", "1"), XS_WRITE);
	CHECK(has_event(&c, "data/x", "tok"));
	/* Absolute watch. */
	CHECK_OK(call(&c, XS_WATCH, 0, "/local/domain/1/control\0abs", 28), XS_WATCH);
	sync_events(&c);
	CHECK(has_event(&c, "/local/domain/1/control", "abs"));
	c.nev = 0;
	/* dom0's write (xl shutdown) fires it. */
	CHECK_EQ(pvmx_xs_write(c.xs, "/local/domain/1/control/shutdown", "reboot", NULL), 0);
	sync_events(&c);
	CHECK_EQ(c.nev, 1);
	CHECK(has_event(&c, "/local/domain/1/control/shutdown", "abs"));
	/* Duplicates, the same path with another token. */
	CHECK_ERR(call(&c, XS_WATCH, 0, "data\0tok", 9), "EEXIST");
	CHECK_OK(call(&c, XS_WATCH, 0, "/local/domain/1/data\0tok2", 26), XS_WATCH);
	sync_events(&c);
	c.nev = 0;
	CHECK_OK(xwrite(&c, 0, "data/y", "1"), XS_WRITE);
	CHECK_EQ(c.nev, 2);
	CHECK(has_event(&c, "data/y", "tok") && has_event(&c, "/local/domain/1/data/y", "tok2"));
	/* Not on siblings with a common prefix. */
	CHECK_OK(call(&c, XS_WATCH, 0, "data/x\0sib", 11), XS_WATCH);
	sync_events(&c);
	c.nev = 0;
	CHECK_OK(xwrite(&c, 0, "data/xx", "1"), XS_WRITE);
	CHECK(!has_event(&c, "data/xx", "sib"));
	/* RM: each node below and the node itself. */
	CHECK_OK(xwrite(&c, 0, "data/x/deep", "1"), XS_WRITE);
	CHECK_OK(call(&c, XS_WATCH, 0, "data/x/deep\0exact", 18), XS_WATCH);
	sync_events(&c);
	c.nev = 0;
	CHECK_OK(call1(&c, XS_RM, 0, "data/x"), XS_RM);
	CHECK(has_event(&c, "data/x/deep", "exact"));
	CHECK(!has_event(&c, "data/x/deep", "tok"));	/* the removed root only */
	CHECK(has_event(&c, "data/x", "tok"));
	CHECK(has_event(&c, "data/x", "sib"));
	CHECK(!has_event(&c, "data/x/deep", "sib"));	/* exact match only below */
	/* SET_PERMS and MKDIR fire. */
	c.nev = 0;
	CHECK_OK(call(&c, XS_SET_PERMS, 0, "data/y\0n1\0r0", 13), XS_SET_PERMS);
	CHECK(has_event(&c, "data/y", "tok"));
	CHECK_OK(call1(&c, XS_MKDIR, 0, "data/m"), XS_MKDIR);
	CHECK(has_event(&c, "data/m", "tok"));
	/* Events only for nodes the guest may read. */
	CHECK_OK(call(&c, XS_WATCH, 0, "/local/domain/0\0dom0", 21), XS_WATCH);
	sync_events(&c);
	CHECK(has_event(&c, "/local/domain/0", "dom0"));	/* registration: always */
	c.nev = 0;
	CHECK_EQ(pvmx_xs_write(c.xs, "/local/domain/0/secret", "s", NULL), 0);
	sync_events(&c);
	CHECK_EQ(c.nev, 0);
	/* Special paths can be watched (nothing fires them here). */
	CHECK_OK(call(&c, XS_WATCH, 0, "@releaseDomain\0rel", 19), XS_WATCH);
	sync_events(&c);
	CHECK(has_event(&c, "@releaseDomain", "rel"));
	CHECK_ERR(call(&c, XS_WATCH, 0, "bad path\0t", 11), "EINVAL");
	CHECK_ERR(call(&c, XS_WATCH, 0, "data", 5), "EINVAL");
	CHECK_ERR(call(&c, XS_WATCH, 0, "data\0t\0x\0y", 11), "EINVAL");
	/* UNWATCH. */
	CHECK_OK(call(&c, XS_UNWATCH, 0, "data\0tok", 9), XS_UNWATCH);
	CHECK_ERR(call(&c, XS_UNWATCH, 0, "data\0tok", 9), "ENOENT");
	CHECK_ERR(call(&c, XS_UNWATCH, 0, "data", 5), "EINVAL");
	c.nev = 0;
	CHECK_OK(xwrite(&c, 0, "data/z", "1"), XS_WRITE);
	CHECK(!has_event(&c, "data/z", "tok"));
	CHECK(has_event(&c, "/local/domain/1/data/z", "tok2"));
	/* Identical events still waiting are sent once. */
	c.nev = 0;
	CHECK_EQ(pvmx_xs_write(c.xs, "/local/domain/1/data/z", "2", NULL), 0);
	CHECK_EQ(pvmx_xs_write(c.xs, "/local/domain/1/data/z", "3", NULL), 0);
	sync_events(&c);
	CHECK_EQ(c.nev, 1);
	/* RESET_WATCHES: none left. */
	CHECK_OK(call(&c, XS_RESET_WATCHES, 0, "", 1), XS_RESET_WATCHES);
	c.nev = 0;
	CHECK_OK(xwrite(&c, 0, "data/z", "4"), XS_WRITE);
	CHECK_OK(call1(&c, XS_RM, 0, "data"), XS_RM);
	sync_events(&c);
	CHECK_EQ(c.nev, 0);
	/* At most 128 watches. */
	for (i = 0; i < PVMX_XS_MAX_WATCHES; i++) {
		char b[32];
		int n = snprintf(b, sizeof(b), "w%u", i);

		b[n + 1] = 't';
		b[n + 2] = '\0';
		CHECK_OK(call(&c, XS_WATCH, 0, b, (size_t)n + 3), XS_WATCH);
	}
	CHECK_ERR(call(&c, XS_WATCH, 0, "one-more\0t", 11), "ENOSPC");
	pvmx_xs_get_stats(c.xs, &st);
	CHECK(st.events > 0);
	cl_fini(&c);
}

static void test_transactions(void)
{
	uint32_t t1, t2, ids[PVMX_XS_MAX_TRANSACTIONS];
	struct pvmx_xs_stats st;
	unsigned int i;
	struct cl c;

	cl_init(&c, 0);
	CHECK_OK(call(&c, XS_WATCH, 0, "data\0tok", 9), XS_WATCH);
	sync_events(&c);
	c.nev = 0;
	/* Commit: invisible before, visible after, watches fire at commit. */
	CHECK_OK(call(&c, XS_TRANSACTION_START, 0, "", 1), XS_TRANSACTION_START);
	t1 = (uint32_t)strtoul(rbuf, NULL, 10);
	CHECK(t1 != 0);
	CHECK_OK(xwrite(&c, t1, "data/t", "1"), XS_WRITE);
	expect_read(&c, t1, "data/t", "1");
	CHECK_ERR(call1(&c, XS_READ, 0, "data/t"), "ENOENT");
	sync_events(&c);
	CHECK_EQ(c.nev, 0);
	CHECK_OK(call(&c, XS_TRANSACTION_END, t1, "T", 2), XS_TRANSACTION_END);
	CHECK_STR(rbuf, "OK");
	expect_read(&c, 0, "data/t", "1");
	CHECK(has_event(&c, "data/t", "tok"));
	CHECK_ERR(call(&c, XS_TRANSACTION_END, t1, "T", 2), "ENOENT");	/* gone */
	/* Abort. */
	CHECK_OK(call(&c, XS_TRANSACTION_START, 0, "", 1), XS_TRANSACTION_START);
	t1 = (uint32_t)strtoul(rbuf, NULL, 10);
	CHECK_OK(xwrite(&c, t1, "data/t", "2"), XS_WRITE);
	CHECK_OK(call1(&c, XS_RM, t1, "data/t"), XS_RM);
	CHECK_OK(call(&c, XS_TRANSACTION_END, t1, "F", 2), XS_TRANSACTION_END);
	expect_read(&c, 0, "data/t", "1");
	/* Conflict: a node read in the transaction changed outside it. */
	CHECK_OK(xwrite(&c, 0, "data/c", "0"), XS_WRITE);
	CHECK_OK(call(&c, XS_TRANSACTION_START, 0, "", 1), XS_TRANSACTION_START);
	t1 = (uint32_t)strtoul(rbuf, NULL, 10);
	expect_read(&c, t1, "data/c", "0");
	CHECK_OK(xwrite(&c, 0, "data/c", "1"), XS_WRITE);
	CHECK_OK(xwrite(&c, t1, "data/d", "from-t1"), XS_WRITE);
	CHECK_ERR(call(&c, XS_TRANSACTION_END, t1, "T", 2), "EAGAIN");
	CHECK_ERR(call1(&c, XS_READ, 0, "data/d"), "ENOENT");
	/* ... and a node written in it, created outside meanwhile. */
	CHECK_OK(call(&c, XS_TRANSACTION_START, 0, "", 1), XS_TRANSACTION_START);
	t1 = (uint32_t)strtoul(rbuf, NULL, 10);
	CHECK_OK(xwrite(&c, t1, "data/e", "t1"), XS_WRITE);
	CHECK_OK(xwrite(&c, 0, "data/e", "outside"), XS_WRITE);
	CHECK_ERR(call(&c, XS_TRANSACTION_END, t1, "T", 2), "EAGAIN");
	expect_read(&c, 0, "data/e", "outside");
	/* Unrelated changes outside do not conflict. */
	CHECK_OK(xwrite(&c, 0, "data/other", "0"), XS_WRITE);
	CHECK_OK(call(&c, XS_TRANSACTION_START, 0, "", 1), XS_TRANSACTION_START);
	t1 = (uint32_t)strtoul(rbuf, NULL, 10);
	CHECK_OK(xwrite(&c, t1, "data/e", "t1"), XS_WRITE);
	CHECK_OK(xwrite(&c, 0, "data/other", "1"), XS_WRITE);
	CHECK_OK(call(&c, XS_TRANSACTION_END, t1, "T", 2), XS_TRANSACTION_END);
	expect_read(&c, 0, "data/e", "t1");
	expect_read(&c, 0, "data/other", "1");
	/* Two at once: the second to commit after touching the same node loses. */
	CHECK_OK(call(&c, XS_TRANSACTION_START, 0, "", 1), XS_TRANSACTION_START);
	t1 = (uint32_t)strtoul(rbuf, NULL, 10);
	CHECK_OK(call(&c, XS_TRANSACTION_START, 0, "", 1), XS_TRANSACTION_START);
	t2 = (uint32_t)strtoul(rbuf, NULL, 10);
	CHECK(t1 != t2);
	CHECK_OK(xwrite(&c, t1, "data/f/g", "1"), XS_WRITE);
	CHECK_OK(xwrite(&c, t2, "data/f/h", "2"), XS_WRITE);
	CHECK_OK(call(&c, XS_TRANSACTION_END, t1, "T", 2), XS_TRANSACTION_END);
	CHECK_ERR(call(&c, XS_TRANSACTION_END, t2, "T", 2), "EAGAIN");
	expect_read(&c, 0, "data/f/g", "1");
	CHECK_ERR(call1(&c, XS_READ, 0, "data/f/h"), "ENOENT");
	/* RM, MKDIR, SET_PERMS, DIRECTORY inside one. */
	CHECK_OK(call(&c, XS_TRANSACTION_START, 0, "", 1), XS_TRANSACTION_START);
	t1 = (uint32_t)strtoul(rbuf, NULL, 10);
	CHECK_OK(call1(&c, XS_RM, t1, "data/f"), XS_RM);
	CHECK_OK(call1(&c, XS_MKDIR, t1, "data/n/o"), XS_MKDIR);
	CHECK_OK(call(&c, XS_SET_PERMS, t1, "data/n\0n1\0r0", 13), XS_SET_PERMS);
	CHECK_OK(call1(&c, XS_DIRECTORY, t1, "data/n"), XS_DIRECTORY);
	CHECK_STR(rbuf, "o");
	expect_read(&c, 0, "data/f/g", "1");
	CHECK_OK(call(&c, XS_TRANSACTION_END, t1, "T", 2), XS_TRANSACTION_END);
	CHECK_ERR(call1(&c, XS_READ, 0, "data/f/g"), "ENOENT");
	CHECK_ERR(call1(&c, XS_READ, 0, "data/f"), "ENOENT");
	expect_read(&c, 0, "data/n/o", "");
	CHECK_OK(call1(&c, XS_GET_PERMS, 0, "data/n"), XS_GET_PERMS);
	CHECK_STR(rbuf, "n1");	/* first string */
	/* Errors: nested, bad argument, no transaction, unknown id, too many. */
	CHECK_OK(call(&c, XS_TRANSACTION_START, 0, "", 1), XS_TRANSACTION_START);
	t1 = (uint32_t)strtoul(rbuf, NULL, 10);
	CHECK_ERR(call(&c, XS_TRANSACTION_START, t1, "", 1), "EBUSY");
	CHECK_ERR(call(&c, XS_TRANSACTION_END, t1, "X", 2), "EINVAL");
	CHECK_ERR(call(&c, XS_TRANSACTION_END, t1, "T", 1), "EINVAL");
	CHECK_ERR(call(&c, XS_TRANSACTION_END, 0, "T", 2), "ENOENT");
	CHECK_ERR(call(&c, XS_TRANSACTION_END, 12345, "T", 2), "ENOENT");
	CHECK_OK(call(&c, XS_TRANSACTION_END, t1, "F", 2), XS_TRANSACTION_END);
	for (i = 0; i < PVMX_XS_MAX_TRANSACTIONS; i++) {
		CHECK_OK(call(&c, XS_TRANSACTION_START, 0, "", 1), XS_TRANSACTION_START);
		ids[i] = (uint32_t)strtoul(rbuf, NULL, 10);
	}
	CHECK_ERR(call(&c, XS_TRANSACTION_START, 0, "", 1), "ENOSPC");
	/* WATCH ignores the tx_id; RESET_WATCHES ends them all. */
	CHECK_OK(call(&c, XS_WATCH, 999, "data\0tok9", 10), XS_WATCH);
	CHECK_OK(call(&c, XS_RESET_WATCHES, 0, "", 1), XS_RESET_WATCHES);
	for (i = 0; i < PVMX_XS_MAX_TRANSACTIONS; i++)
		CHECK_ERR(call1(&c, XS_READ, ids[i], "domid"), "ENOENT");
	CHECK_OK(call(&c, XS_TRANSACTION_START, 0, "", 1), XS_TRANSACTION_START);
	pvmx_xs_get_stats(c.xs, &st);
	CHECK(st.commits >= 4);
	CHECK(st.conflicts >= 3);
	cl_fini(&c);
}

/*
 * A transaction's bookkeeping is bounded (XSA-326: xenstored's
 * quota_trans_nodes, "limit max number of nodes accessed in a
 * transaction", 1024 by default): the access past the quota is ENOSPC and
 * the transaction can no longer commit; and a node written again and
 * again inside one is remembered once and fires its watches once at the
 * commit, as xenstored's commit walks its accessed nodes once each.
 */
static void test_transaction_bounds(void)
{
	struct pvmx_xs_stats st;
	uint32_t t, type = 0;
	unsigned int i, n = 0;
	char path[64];
	struct cl c;

	cl_init(&c, 0);
	CHECK_OK(call(&c, XS_TRANSACTION_START, 0, "", 1), XS_TRANSACTION_START);
	t = (uint32_t)strtoul(rbuf, NULL, 10);
	for (i = 0; i < 4 * PVMX_XS_MAX_TXN_NODES; i++) {
		snprintf(path, sizeof(path), "data/none-%u", i);
		type = call1(&c, XS_READ, t, path);
		if (type != XS_ERROR || strcmp(rbuf, "ENOENT"))
			break;
	}
	CHECK_EQ(type, XS_ERROR);
	CHECK_STR(rbuf, "ENOSPC");
	CHECK(i <= PVMX_XS_MAX_TXN_NODES && i >= PVMX_XS_MAX_TXN_NODES - 8);
	CHECK_ERR(call(&c, XS_TRANSACTION_END, t, "T", 2), "ENOSPC");
	/* The store is unharmed; a new transaction works. */
	CHECK_OK(xwrite(&c, 0, "data/x", "1"), XS_WRITE);

	CHECK_OK(call(&c, XS_WATCH, 0, "data/ev\0tok", 12), XS_WATCH);
	sync_events(&c);
	c.nev = 0;
	CHECK_OK(call(&c, XS_TRANSACTION_START, 0, "", 1), XS_TRANSACTION_START);
	t = (uint32_t)strtoul(rbuf, NULL, 10);
	for (i = 0; i < 5000; i++)
		CHECK_OK(xwrite(&c, t, "data/ev", i & 1 ? "a" : "b"), XS_WRITE);
	/* What it remembers: a few nodes and one event, not 5000. */
	pvmx_xs_get_stats(c.xs, &st);
	CHECK(st.txn_records > 0 && st.txn_records < 16);
	CHECK_OK(call(&c, XS_TRANSACTION_END, t, "T", 2), XS_TRANSACTION_END);
	sync_events(&c);
	for (i = 0; i < c.nev; i++)
		n += !strcmp(c.ev[i][0], "data/ev");
	CHECK_EQ(n, 1);
	expect_read(&c, 0, "data/ev", "a");
	cl_fini(&c);
}

static void test_directory_part(void)
{
	char buf[64];
	uint32_t len;
	unsigned int i;
	struct cl c;

	cl_init(&c, 0);
	/* More children than one reply holds: 300 names of 20 bytes. */
	for (i = 0; i < 300; i++) {
		snprintf(buf, sizeof(buf), "/local/domain/1/data/child-%014u", i);
		CHECK_EQ(pvmx_xs_write(c.xs, buf, "", NULL), 0);
	}
	CHECK_ERR(call1(&c, XS_DIRECTORY, 0, "data"), "E2BIG");
	CHECK_OK(call_raw(&c, XS_DIRECTORY_PART, 0, "data\0" "0", 7, rbuf, &len), XS_DIRECTORY_PART);
	CHECK(len <= XENSTORE_PAYLOAD_MAX);
	{
		size_t gl = strlen(rbuf) + 1, got = 0, off = gl;
		char gen[24], arg[32];

		snprintf(gen, sizeof(gen), "%.23s", rbuf);
		while (off < len && rbuf[off]) {
			off += strlen(rbuf + off) + 1;
			got++;
		}
		CHECK(got > 100 && got < 300);
		CHECK(off == len);		/* not the end: no empty string */
		/* The rest, from the byte offset reached. */
		snprintf(arg, sizeof(arg), "data%c%zu", 0, (off - gl));
		CHECK_OK(call_raw(&c, XS_DIRECTORY_PART, 0, arg, (uint32_t)(5 + strlen(arg + 5) + 1),
				  rbuf, &len), XS_DIRECTORY_PART);
		CHECK_STR(rbuf, gen);		/* unchanged node, same generation */
		off = strlen(rbuf) + 1;
		while (off < len && rbuf[off]) {
			off += strlen(rbuf + off) + 1;
			got++;
		}
		CHECK_EQ(got, 300);
		CHECK(off + 1 == len && rbuf[off] == '\0');	/* the end */
	}
	cl_fini(&c);
}

/* Requests and replies across the ring's wrap and the index wrap, in pieces. */
static void test_ring_framing(void)
{
	struct xsd_sockmsg h = { XS_READ, 7, 0, 6 };
	char big[PVMX_XS_MAX_VALUE + 1];
	struct cl c;
	unsigned int i;

	cl_init(&c, 0xffffff00u);
	/* Nothing there: no notification. */
	CHECK(!service(&c));
	for (i = 0; i < 200; i++)
		expect_read(&c, 0, "domid", "1");
	CHECK(c.ring->req_cons < 0x10000);	/* wrapped around 2^32 */
	CHECK_EQ(c.ring->error, XENSTORE_ERROR_NONE);
	CHECK_EQ(c.ring->server_features, XENSTORE_SERVER_FEATURE_ERROR);
	/* A request in pieces: half a header, the rest, the payload. */
	put(&c, &h, 8);
	c.notifies = 0;
	CHECK(service(&c));		/* consumed 8 bytes: notify */
	CHECK_EQ(c.ring->rsp_prod, c.ring->rsp_cons);
	put(&c, (char *)&h + 8, 8);
	service(&c);
	put(&c, "dom", 3);
	service(&c);
	CHECK_EQ(c.ring->rsp_prod, c.ring->rsp_cons);
	put(&c, "id", 3);
	CHECK(service(&c));
	{
		struct xsd_sockmsg r;
		char b[16];

		CHECK(recv_msg(&c, &r, b));
		CHECK_EQ(r.type, XS_READ);
		CHECK_EQ(r.req_id, 7);
		CHECK_STR(b, "1");
	}
	/* A reply longer than the ring: written as the guest makes room. */
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_OK(xwrite(&c, 0, "data/big", big), XS_WRITE);
	expect_read(&c, 0, "data/big", big);
	/* A request longer than the ring. */
	big[1500] = '\0';
	CHECK_OK(xwrite(&c, 0, "data/big", big), XS_WRITE);
	expect_read(&c, 0, "data/big", big);
	/* A zero-length request. */
	CHECK_ERR(call(&c, XS_READ, 0, "", 0), "EINVAL");
	cl_fini(&c);
}

/* Requests wait while the guest does not read its replies; nothing is lost. */
static void test_ring_backpressure(void)
{
	char big[PVMX_XS_MAX_VALUE + 1], b[XENSTORE_PAYLOAD_MAX + 1];
	struct xsd_sockmsg r;
	struct pvmx_xs_stats st;
	unsigned int i, got = 0;
	struct cl c;

	cl_init(&c, 0);
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_OK(xwrite(&c, 0, "data/big", big), XS_WRITE);
	for (i = 0; i < 40; i++) {
		struct xsd_sockmsg q = { XS_READ, 1000 + i, 0, 9 };

		put(&c, &q, sizeof(q));
		put(&c, "data/big", 9);
		service(&c);
	}
	pvmx_xs_get_stats(c.xs, &st);
	CHECK(st.out_bytes <= PVMX_XS_OUT_THROTTLE + 2 * (XENSTORE_PAYLOAD_MAX + 16));
	CHECK(c.ring->req_prod != c.ring->req_cons);	/* requests wait in the ring */
	while (got < 40 && recv_msg(&c, &r, b)) {
		CHECK_EQ(r.req_id, 1000 + got);
		CHECK_EQ(r.len, PVMX_XS_MAX_VALUE);
		got++;
	}
	CHECK_EQ(got, 40);
	/* Events while the ring is full are queued, then flushed. */
	CHECK_OK(call(&c, XS_WATCH, 0, "data\0t", 7), XS_WATCH);
	CHECK(recv_msg(&c, &r, b) && r.type == XS_WATCH_EVENT);
	for (i = 0; i < 200; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/local/domain/1/data/e%u", i);
		CHECK_EQ(pvmx_xs_write(c.xs, p, "", NULL), 0);
	}
	service(&c);
	CHECK_EQ(c.ring->rsp_prod - c.ring->rsp_cons, XENSTORE_RING_SIZE);
	for (i = 0; i < 200; i++) {
		char p[64];

		snprintf(p, sizeof(p), "data/e%u", i);
		if (!recv_msg(&c, &r, b))
			break;
		CHECK_EQ(r.type, XS_WATCH_EVENT);
		CHECK_STR(b, p);
	}
	CHECK_EQ(i, 200);
	/* A flood past the cap drops events, never replies. */
	for (i = 0; i < 50; i++) {
		char w[32];
		int n = snprintf(w, sizeof(w), "data%cflood%u", 0, i);

		CHECK_OK(call(&c, XS_WATCH, 0, w, (size_t)n + 1), XS_WATCH);
	}
	for (i = 0; i < 300; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/local/domain/1/data/e%u", i);
		pvmx_xs_write(c.xs, p, i & 1 ? "a" : "", NULL);
	}
	pvmx_xs_get_stats(c.xs, &st);
	CHECK(st.out_bytes <= PVMX_XS_OUT_EVENTS_MAX);
	CHECK(st.events_dropped > 0);
	c.nev = 0;
	expect_read(&c, 0, "domid", "1");
	CHECK(c.nev > 0);
	cl_fini(&c);
}

/* A guest that breaks the protocol is ignored; the launcher survives. */
static void test_ring_hostile(void)
{
	struct xsd_sockmsg h = { XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };
	const char *why;
	struct cl c;

	/* Request indices too far apart. */
	cl_init(&c, 0);
	c.ring->req_prod = c.ring->req_cons + XENSTORE_RING_SIZE + 1;
	service(&c);
	CHECK_EQ(c.ring->error, XENSTORE_ERROR_RINGIDX);
	why = pvmx_xs_broken(c.xs);
	CHECK(why && strstr(why, "indices"));
	CHECK(pvmx_xs_broken(c.xs) == NULL);	/* reported once */
	c.ring->req_prod = c.ring->req_cons;
	CHECK(!service(&c));			/* ignored from now on */
	cl_fini(&c);
	/* Response indices too far apart. */
	cl_init(&c, 0);
	c.ring->rsp_cons = c.ring->rsp_prod + 5000;
	send_raw(&c, XS_READ, 1, 0, "domid", 6);
	service(&c);
	CHECK_EQ(c.ring->error, XENSTORE_ERROR_RINGIDX);
	cl_fini(&c);
	/* A payload over XENSTORE_PAYLOAD_MAX. */
	cl_init(&c, 0);
	put(&c, &h, sizeof(h));
	service(&c);
	CHECK_EQ(c.ring->error, XENSTORE_ERROR_PROTO);
	CHECK(pvmx_xs_broken(c.xs) != NULL);
	CHECK_EQ(c.ring->rsp_prod, c.ring->rsp_cons);
	cl_fini(&c);
	/* Random requests with valid framing: one reply each, no crash. */
	cl_init(&c, 0);
	{
		uint64_t s = 0x1234567;
		unsigned int i, replies = 0, events = 0;
		char payload[600], b[XENSTORE_PAYLOAD_MAX + 1];
		static const char *const words[] = {
			"data", "data/a", "domid", "/local/domain/1", "/", "@releaseDomain",
			"control/shutdown", "T", "F", "n1", "r0", "b1", "x", "..", "data/a/b",
		};

		for (i = 0; i < 3000; i++) {
			struct xsd_sockmsg q, r;
			uint32_t len = 0, k, nw;

			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			q.type = (uint32_t)(s >> 33) % 30;
			q.req_id = i;
			q.tx_id = (s >> 20) & 3 ? 0 : (uint32_t)(s >> 40) % 4;
			nw = (uint32_t)(s >> 50) % 4;
			for (k = 0; k < nw; k++) {
				const char *w = words[(s >> (k * 4)) % 15];

				memcpy(payload + len, w, strlen(w) + 1);
				len += (uint32_t)strlen(w) + 1;
			}
			if ((s >> 7) & 1 && len)
				len--;		/* no final NUL */
			if (!((s >> 9) & 15)) {	/* binary junk */
				for (k = 0; k < 500; k++)
					payload[k] = (char)(s >> (k % 56));
				len = 500;
			}
			q.len = len;
			put(&c, &q, sizeof(q));
			put(&c, payload, len);
			for (;;) {
				if (!recv_msg(&c, &r, b)) {
					CHECK(!"no reply to a random request");
					break;
				}
				if (r.type == XS_WATCH_EVENT) {
					events++;
					continue;
				}
				CHECK_EQ(r.req_id, i);
				replies++;
				break;
			}
		}
		CHECK_EQ(replies, 3000);
		CHECK(pvmx_xs_broken(c.xs) == NULL);
	}
	cl_fini(&c);
}

static void test_errstrings(void)
{
	CHECK_STR(pvmx_xs_errstring(EINVAL), "EINVAL");
	CHECK_STR(pvmx_xs_errstring(EACCES), "EACCES");
	CHECK_STR(pvmx_xs_errstring(ENOENT), "ENOENT");
	CHECK_STR(pvmx_xs_errstring(EAGAIN), "EAGAIN");
	CHECK_STR(pvmx_xs_errstring(E2BIG), "E2BIG");
	CHECK_STR(pvmx_xs_errstring(EPERM), "EPERM");
	CHECK_STR(pvmx_xs_errstring(ENOSYS), "ENOSYS");
	CHECK_STR(pvmx_xs_errstring(ENOTTY), "EINVAL");	/* untranslatable */
}

const struct test xenstore_tests[] = {
	{ "xenstore: the seeded domU tree, GET_DOMAIN_PATH", test_seed },
	{ "xenstore: error strings for bad paths, payloads, types", test_errors },
	{ "xenstore: WRITE, MKDIR, RM, DIRECTORY", test_write_mkdir_rm_directory },
	{ "xenstore: permissions, GET_PERMS, SET_PERMS", test_perms },
	{ "xenstore: WATCH, UNWATCH, events, RESET_WATCHES", test_watches },
	{ "xenstore: transactions, conflicts, EAGAIN", test_transactions },
	{ "xenstore: DIRECTORY_PART", test_directory_part },
	{ "xenstore: ring framing, wrap, partial messages", test_ring_framing },
	{ "xenstore: ring back-pressure, queued events", test_ring_backpressure },
	{ "xenstore: hostile rings and random requests", test_ring_hostile },
	{ "xenstore: transaction bookkeeping bounded (XSA-326 quota)", test_transaction_bounds },
	{ "xenstore: xs_wire.h error strings", test_errstrings },
	{ NULL, NULL },
};
