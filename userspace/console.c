// SPDX-License-Identifier: GPL-2.0
/*
 * Console output of the launcher (see console.h).
 *
 * Guests such as XTF and Mini-OS write each line twice: with console_io,
 * which on Xen goes to the hypervisor's own console, and into the PV
 * console ring, which xenconsoled shows as `xl console`.  In auto mode the
 * launcher prints both streams but drops a chunk of one stream that
 * repeats what the other stream printed and has not been matched yet
 * ('\r' ignored: Mini-OS turns "\n" into "\r\n" on the ring only).  A guest
 * using one stream only is printed in full, as is a guest that switches
 * from one to the other (Linux's earlyprintk=xen, then hvc0).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "console.h"

int pvmx_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };

				if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
					return -errno;
				continue;
			}
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void pvmx_console_init(struct pvmx_console *c, int fd, enum pvmx_console_mode mode)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->mode = mode;
}

int pvmx_console_parse_mode(const char *s, enum pvmx_console_mode *mode)
{
	static const char *const names[] = { "auto", "ring", "io", "both" };
	unsigned int i;

	for (i = 0; i < 4; i++)	/* the four modes */
		if (!strcmp(s, names[i])) {
			*mode = (enum pvmx_console_mode)i;
			return 0;
		}
	return -1;
}

static void emit(struct pvmx_console *c, const char *p, size_t n)
{
	int rc;

	if (c->failed || !n)
		return;
	rc = pvmx_write_all(c->fd, p, n);
	if (rc) {
		/* Once: the guest goes on, its further output is discarded. */
		c->failed = true;
		fprintf(stderr, "pvmx: guest console output: %s; further output is discarded\n",
			strerror(-rc));
	}
}

/* Append s[0..n) to a pending buffer, dropping the oldest bytes on overflow. */
static void remember(struct pvmx_console *c, int src, const char *s, size_t n)
{
	char *b = c->pending[src];
	size_t *len = &c->npending[src];

	if (n >= PVMX_CONSOLE_HISTORY) {
		memcpy(b, s + n - PVMX_CONSOLE_HISTORY, PVMX_CONSOLE_HISTORY);
		*len = PVMX_CONSOLE_HISTORY;
		return;
	}
	if (*len + n > PVMX_CONSOLE_HISTORY) {
		size_t drop = *len + n - PVMX_CONSOLE_HISTORY;

		memmove(b, b + drop, *len - drop);
		*len -= drop;
	}
	memcpy(b + *len, s, n);
	*len += n;
}

static void consume(struct pvmx_console *c, int src, size_t upto)
{
	memmove(c->pending[src], c->pending[src] + upto, c->npending[src] - upto);
	c->npending[src] -= upto;
}

void pvmx_console_output(struct pvmx_console *c, enum pvmx_console_source src,
			 const char *p, size_t n)
{
	char s[PVMX_CONSOLE_HISTORY];
	size_t sn = 0, i, m, skip;
	int other = src == PVMX_CONSOLE_SRC_IO ? PVMX_CONSOLE_SRC_RING : PVMX_CONSOLE_SRC_IO;
	const char *o = c->pending[other], *hit;
	size_t on = c->npending[other];

	switch (c->mode) {
	case PVMX_CONSOLE_BOTH:
		emit(c, p, n);
		return;
	case PVMX_CONSOLE_RING:
	case PVMX_CONSOLE_IO:
		if (c->mode == PVMX_CONSOLE_RING ? src == PVMX_CONSOLE_SRC_RING :
		    src == PVMX_CONSOLE_SRC_IO)
			emit(c, p, n);
		return;
	case PVMX_CONSOLE_AUTO:
		break;
	}
	while (n > sizeof(s)) {		/* longer than the history: in parts */
		pvmx_console_output(c, src, p, sizeof(s));
		p += sizeof(s);
		n -= sizeof(s);
	}
	for (i = 0; i < n; i++)
		if (p[i] != '\r')
			s[sn++] = p[i];
	if (!sn) {
		emit(c, p, n);
		return;
	}
	/* The whole chunk was already printed from the other stream. */
	hit = on >= sn ? memmem(o, on, s, sn) : NULL;
	if (hit) {
		consume(c, other, (size_t)(hit - o) + sn);
		c->suppressed += n;
		return;
	}
	/* Its beginning ends what the other stream printed: print the rest. */
	for (m = (on < sn ? on : sn - 1); m >= PVMX_CONSOLE_MIN_OVERLAP; m--)
		if (!memcmp(o + on - m, s, m))
			break;
	if (m >= PVMX_CONSOLE_MIN_OVERLAP) {
		c->npending[other] = 0;
		/* Skip m non-'\r' bytes of p. */
		for (i = 0, skip = 0; i < n && skip < m; i++)
			if (p[i] != '\r')
				skip++;
		c->suppressed += i;
		emit(c, p + i, n - i);
		remember(c, src, s + m, sn - m);
		return;
	}
	emit(c, p, n);
	remember(c, src, s, sn);
}
