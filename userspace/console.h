/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The launcher's console output: what the guest writes with console_io
 * (PVMX_EXIT_CONSOLE) and into its PV console ring, to one fd.  See
 * Documentation/launcher.rst, "Console".
 */
#ifndef PVMX_CONSOLE_H
#define PVMX_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

enum pvmx_console_mode {
	PVMX_CONSOLE_AUTO,	/* both, each line the guest mirrors shown once */
	PVMX_CONSOLE_RING,	/* the PV console ring only (what `xl console` shows) */
	PVMX_CONSOLE_IO,	/* console_io only (what Xen's own console shows) */
	PVMX_CONSOLE_BOTH,	/* everything, as it comes */
};

enum pvmx_console_source { PVMX_CONSOLE_SRC_IO, PVMX_CONSOLE_SRC_RING };

/* Bytes of each stream remembered for matching in auto mode. */
#define PVMX_CONSOLE_HISTORY	8192
/* A partial overlap counts from this many bytes on. */
#define PVMX_CONSOLE_MIN_OVERLAP 16

struct pvmx_console {
	enum pvmx_console_mode mode;
	int fd;
	bool failed;		/* a write error was reported: output is discarded */
	/* auto: per source, what was printed and not yet seen on the other ('\r' dropped) */
	char pending[2][PVMX_CONSOLE_HISTORY];
	size_t npending[2];
	unsigned long long suppressed;	/* bytes not printed as mirrored */
};

void pvmx_console_init(struct pvmx_console *c, int fd, enum pvmx_console_mode mode);
/* Parse "auto", "ring", "io", "both".  0 or -1. */
int pvmx_console_parse_mode(const char *s, enum pvmx_console_mode *mode);

/*
 * Output from one source.  Writes what the mode lets through; in auto mode
 * a chunk the guest already wrote to the other source (the same bytes, '\r'
 * aside, in the same order) is not written again.
 */
void pvmx_console_output(struct pvmx_console *c, enum pvmx_console_source src,
			 const char *p, size_t n);

/*
 * Write all of p[0..n) to fd: retries EINTR, waits out EAGAIN (poll), goes
 * on after partial writes.  0, or -errno on a real error.
 */
int pvmx_write_all(int fd, const void *p, size_t n);

#endif
