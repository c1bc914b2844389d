// SPDX-License-Identifier: GPL-2.0
/* The launcher's console output (console.c): modes, de-duplication, write_all. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "console.h"
#include "libpvmx.h"

/* A console writing into a pipe; out() returns what came out so far. */
struct cap {
	struct pvmx_console c;
	int rd, wr;
	char buf[65536];
	size_t n;
};

static void cap_init(struct cap *k, enum pvmx_console_mode mode)
{
	int p[2];

	CHECK_EQ(pipe(p), 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	k->rd = p[0];
	k->wr = p[1];
	k->n = 0;
	pvmx_console_init(&k->c, k->wr, mode);
}

static const char *out(struct cap *k)
{
	ssize_t r;

	while ((r = read(k->rd, k->buf + k->n, sizeof(k->buf) - 1 - k->n)) > 0)
		k->n += (size_t)r;
	k->buf[k->n] = '\0';
	return k->buf;
}

static void cap_fini(struct cap *k)
{
	close(k->rd);
	close(k->wr);
}

static void io(struct cap *k, const char *s)
{
	pvmx_console_output(&k->c, PVMX_CONSOLE_SRC_IO, s, strlen(s));
}

static void ring(struct cap *k, const char *s)
{
	pvmx_console_output(&k->c, PVMX_CONSOLE_SRC_RING, s, strlen(s));
}

static void test_console_modes(void)
{
	enum pvmx_console_mode m;
	struct cap k;

	CHECK_EQ(pvmx_console_parse_mode("auto", &m), 0);
	CHECK_EQ(m, PVMX_CONSOLE_AUTO);
	CHECK_EQ(pvmx_console_parse_mode("ring", &m), 0);
	CHECK_EQ(m, PVMX_CONSOLE_RING);
	CHECK_EQ(pvmx_console_parse_mode("io", &m), 0);
	CHECK_EQ(m, PVMX_CONSOLE_IO);
	CHECK_EQ(pvmx_console_parse_mode("both", &m), 0);
	CHECK_EQ(m, PVMX_CONSOLE_BOTH);
	CHECK_EQ(pvmx_console_parse_mode("Auto", &m), -1);

	cap_init(&k, PVMX_CONSOLE_BOTH);
	io(&k, "one\n");
	ring(&k, "one\n");
	CHECK_STR(out(&k), "one\none\n");
	cap_fini(&k);
	cap_init(&k, PVMX_CONSOLE_RING);
	io(&k, "io\n");
	ring(&k, "ring\n");
	CHECK_STR(out(&k), "ring\n");
	cap_fini(&k);
	cap_init(&k, PVMX_CONSOLE_IO);
	io(&k, "io\n");
	ring(&k, "ring\n");
	CHECK_STR(out(&k), "io\n");
	cap_fini(&k);
}

static void test_console_auto(void)
{
	struct cap k;

	/* XTF: each line to console_io, then the ring. */
	cap_init(&k, PVMX_CONSOLE_AUTO);
	io(&k, "--- Xen Test Framework ---\n");
	ring(&k, "--- Xen Test Framework ---\n");
	io(&k, "Test: Xenstore read\n");
	ring(&k, "Test: Xenstore read\n");
	io(&k, "Test result: SUCCESS\n");
	ring(&k, "Test result: SUCCESS\n");
	CHECK_STR(out(&k), "--- Xen Test Framework ---\nTest: Xenstore read\nTest result: SUCCESS\n");
	CHECK_EQ(k.c.suppressed, 68);
	cap_fini(&k);

	/*
	 * Mini-OS: console_io at once, the ring ("\n" as "\r\n") buffered until
	 * the console is set up, then both.
	 */
	cap_init(&k, PVMX_CONSOLE_AUTO);
	io(&k, "Xen Minimal OS!\n");
	io(&k, "  start_info: 0x1000\n");
	io(&k, "Initialising console ... ");
	ring(&k, "Xen Minimal OS!\r\n  start_info: 0x1000\r\nInitialising console ... ");
	io(&k, "done.\n");
	ring(&k, "done.\r\n");
	CHECK_STR(out(&k), "Xen Minimal OS!\n  start_info: 0x1000\nInitialising console ... done.\n");
	cap_fini(&k);

	/* Only the ring after set-up: still shown. */
	cap_init(&k, PVMX_CONSOLE_AUTO);
	io(&k, "early\n");
	ring(&k, "early\r\n");
	ring(&k, "MINIOS-TEST: PASS\r\n");
	CHECK_STR(out(&k), "early\nMINIOS-TEST: PASS\r\n");
	cap_fini(&k);

	/* The ring first, console_io after. */
	cap_init(&k, PVMX_CONSOLE_AUTO);
	ring(&k, "ring first\n");
	io(&k, "ring first\n");
	CHECK_STR(out(&k), "ring first\n");
	cap_fini(&k);

	/* Only console_io (pvmx's own guests): everything. */
	cap_init(&k, PVMX_CONSOLE_AUTO);
	io(&k, "a\n");
	io(&k, "a\n");
	io(&k, "b");
	CHECK_STR(out(&k), "a\na\nb");
	cap_fini(&k);

	/* Linux: earlyprintk on console_io, then hvc0 on the ring: both. */
	cap_init(&k, PVMX_CONSOLE_AUTO);
	io(&k, "[    0.000000] Linux version 4.19\n");
	ring(&k, "[    0.500000] console [hvc0] enabled\n");
	io(&k, "[    0.600000] late early line\n");
	CHECK_STR(out(&k), "[    0.000000] Linux version 4.19\n[    0.500000] console [hvc0] enabled\n"
		  "[    0.600000] late early line\n");
	cap_fini(&k);

	/* Repeated identical lines are matched one for one. */
	cap_init(&k, PVMX_CONSOLE_AUTO);
	io(&k, ".");
	io(&k, ".");
	ring(&k, ".");
	io(&k, ".");
	ring(&k, ".");
	ring(&k, ".");
	ring(&k, ".");
	CHECK_STR(out(&k), "....");
	cap_fini(&k);

	/* A ring chunk that starts with the end of console_io output. */
	cap_init(&k, PVMX_CONSOLE_AUTO);
	io(&k, "0123456789abcdefXYZ\n");
	ring(&k, "0123456789abcdefXYZ\nmore\n");
	CHECK_STR(out(&k), "0123456789abcdefXYZ\nmore\n");
	cap_fini(&k);

	/* Chunks longer than the history. */
	cap_init(&k, PVMX_CONSOLE_AUTO);
	{
		char *big = malloc(3 * PVMX_CONSOLE_HISTORY + 1);

		memset(big, 'z', 3 * PVMX_CONSOLE_HISTORY);
		big[3 * PVMX_CONSOLE_HISTORY] = '\0';
		io(&k, big);
		CHECK_EQ(strlen(out(&k)), 3 * PVMX_CONSOLE_HISTORY);
		free(big);
	}
	cap_fini(&k);
}

struct drain_arg {
	int fd;
	size_t got;
	unsigned int sum;
};

static void *slow_reader(void *p)
{
	struct drain_arg *a = p;
	char b[512];
	ssize_t r;

	for (;;) {
		r = read(a->fd, b, sizeof(b));
		if (r > 0) {
			ssize_t i;

			for (i = 0; i < r; i++)
				a->sum = a->sum * 31 + (unsigned char)b[i];
			a->got += (size_t)r;
			usleep(100);
		} else if (r == 0) {
			break;
		} else if (errno != EINTR && errno != EAGAIN) {
			break;
		}
	}
	return NULL;
}

/* write_all() on a non-blocking pipe slower than the writer: nothing lost. */
static void test_write_all(void)
{
	size_t n = 256 * 1024, i;
	char *data = malloc(n);
	struct drain_arg a = { 0, 0, 0 };
	unsigned int sum = 0;
	pthread_t th;
	int p[2];
	void (*old)(int);

	for (i = 0; i < n; i++) {
		data[i] = (char)(i * 7 + (i >> 9));
		sum = sum * 31 + (unsigned char)data[i];
	}
	CHECK_EQ(pipe(p), 0);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	a.fd = p[0];
	pthread_create(&th, NULL, slow_reader, &a);
	CHECK_EQ(pvmx_write_all(p[1], data, n), 0);
	close(p[1]);
	pthread_join(th, NULL);
	close(p[0]);
	CHECK_EQ(a.got, n);
	CHECK_EQ(a.sum, sum);
	free(data);

	/* A reader gone: EPIPE, reported once by the console, never a crash. */
	old = signal(SIGPIPE, SIG_IGN);
	CHECK_EQ(pipe(p), 0);
	close(p[0]);
	CHECK_EQ(pvmx_write_all(p[1], "x", 1), -EPIPE);
	{
		struct pvmx_console c;
		int saved = dup(2), devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2);	/* the one message */
		pvmx_console_init(&c, p[1], PVMX_CONSOLE_AUTO);
		pvmx_console_output(&c, PVMX_CONSOLE_SRC_IO, "lost\n", 5);
		CHECK(c.failed);
		pvmx_console_output(&c, PVMX_CONSOLE_SRC_RING, "lost too\n", 9);
		dup2(saved, 2);
		close(saved);
		close(devnull);
	}
	close(p[1]);
	signal(SIGPIPE, old);
}

/*
 * The guest owns the console ring page: indices more than the ring apart
 * (either way, wrapped, or far behind) are resynchronised without reading,
 * indices across 2^32 work, and a drain never reads past max or the ring.
 */
static void test_ring_hostile(void)
{
	struct xen_console_ring *r = calloc(1, 4096);
	static const uint32_t bad[][2] = {	/* cons, prod */
		{ 0, 2049 }, { 0, 0xFFFFFFFFu }, { 100, 99 }, { 0x80000000u, 0 },
		{ 0xFFFFFF00u, 0x00000901u },
	};
	char buf[4096];
	size_t i, n;
	bool b;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r->out_cons = bad[i][0];
		r->out_prod = bad[i][1];
		CHECK_EQ(pvmx_console_ring_drain(r, buf, sizeof(buf), &b), 0);
		CHECK(b);
		CHECK_EQ(r->out_cons, bad[i][1]);
	}
	/* A full ring across 2^32, drained in pieces of 100. */
	r->out_cons = 0xFFFFFC00u;
	r->out_prod = r->out_cons + 2048;
	for (i = 0; i < 2048; i++)
		r->out[(r->out_cons + i) % 2048] = (char)('a' + i % 26);
	for (i = 0; i < 2048; i += n) {
		n = pvmx_console_ring_drain(r, buf, 100, &b);
		CHECK(!b && n == (2048 - i < 100 ? 2048 - i : 100));
		CHECK(n && buf[0] == (char)('a' + i % 26));
		if (!n)
			break;
	}
	CHECK_EQ(r->out_cons, 0x400u);
	CHECK_EQ(pvmx_console_ring_drain(r, buf, sizeof(buf), &b), 0);
	CHECK(!b);
	free(r);
}

const struct test console_tests[] = {
	{ "console: --console modes", test_console_modes },
	{ "console: auto shows mirrored output once", test_console_auto },
	{ "console: write_all never drops output", test_write_all },
	{ "console: hostile ring indices", test_ring_hostile },
	{ NULL, NULL },
};
