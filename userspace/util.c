// SPDX-License-Identifier: GPL-2.0
/* libpvmx: file reading, size parsing, names for uapi numbers. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libpvmx.h"

/*
 * Images and ramdisks are read whole into the launcher's memory.  Either
 * must fit in the guest's RAM (at most PVMX_MAX_MEMORY, 2 GiB) next to the
 * start-of-day layout, and a PV kernel's start-of-day mapping ends below
 * 0xF5800000, so 1 GiB bounds the allocation far above any real kernel
 * while refusing a runaway file (or a pipe) early.
 */
#define MAX_IMAGE_SIZE	(1ULL << 30)

int pvmx_read_file(const char *path, void **buf, size_t *len, char *err)
{
	struct stat st;
	size_t cap, n = 0;
	char *b = NULL, *nb;
	int fd, rc;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
	if (cap > MAX_IMAGE_SIZE) {
		errno = EFBIG;
		goto fail;
	}
	b = malloc(cap);
	if (!b)
		goto fail;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap >= MAX_IMAGE_SIZE) {
				errno = EFBIG;
				goto fail;
			}
			nb = realloc(b, cap * 2);
			if (!nb)
				goto fail;
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
fail:
	rc = -errno;
	if (fd >= 0)
		close(fd);
	free(b);
	if (err && rc == -EFBIG)
		snprintf(err, PVMX_ERR_MAX, "%s: larger than %llu MiB, the most the launcher reads",
			 path, MAX_IMAGE_SIZE >> 20);
	else if (err)
		snprintf(err, PVMX_ERR_MAX, "%s: %s", path, strerror(-rc));
	return rc;
}

/*
 * Leading decimal digits of s: *v, and where they end.  -EINVAL without a
 * digit, -ERANGE past 2^64 - 1.  No sign, no blanks, no base prefix: a
 * leading 0 is a decimal 0 (strtoull's base 0 would make "064" octal).
 */
static int parse_digits(const char *s, uint64_t *v, const char **end)
{
	uint64_t x = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
	}
	if (p == s)
		return -EINVAL;
	*v = x;
	*end = p;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pvmx_parse_uint(const char *s, uint64_t *out, bool allow_hex)
{
	const char *end;
	uint64_t v = 0;
	int rc, d;

	if (!s)
		return -EINVAL;
	if (allow_hex && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		if (!*s)
			return -EINVAL;
		for (; *s; s++) {
			d = hex_digit(*s);
			if (d < 0)
				return -EINVAL;
			if (v >> 60)
				return -ERANGE;
			v = v << 4 | (unsigned)d;
		}
		*out = v;
		return 0;
	}
	rc = parse_digits(s, &v, &end);
	if (rc)
		return rc;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int pvmx_parse_size(const char *s, uint64_t *out)
{
	const char *end;
	unsigned shift = 0;
	uint64_t v;

	if (!s || parse_digits(s, &v, &end))
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (shift && (!strcasecmp(end, "iB") || !strcasecmp(end, "B")))
		end += strlen(end);
	if (*end || !v)
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

int pvmx_parse_seconds(const char *s, double *out)
{
	const char *p = s;
	double v = 0, scale = 1;
	bool digits = false;

	if (!s)
		return -EINVAL;
	/* digits[.digits] or .digits, in decimal: no sign, exponent, hex, inf. */
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		digits = true;
	}
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++) {
			scale /= 10;
			v += (*p - '0') * scale;
			digits = true;
		}
	if (!digits || *p || !(v > 0) || v > PVMX_MAX_SECONDS)
		return -EINVAL;
	*out = v;
	return 0;
}

const char *pvmx_exit_name(unsigned r)
{
	switch (r) {
	case PVMX_EXIT_NONE:		return "none";
	case PVMX_EXIT_CONSOLE:		return "console";
	case PVMX_EXIT_SHUTDOWN:	return "shutdown";
	case PVMX_EXIT_CRASH:		return "crash";
	case PVMX_EXIT_INTR:		return "intr";
	case PVMX_EXIT_INTERNAL:	return "internal";
	case PVMX_EXIT_NOTIFY:		return "notify";
	case PVMX_EXIT_TRACE:		return "trace";
	}
	return "unknown";
}

const char *pvmx_shutdown_name(unsigned r)
{
	switch (r) {
	case PVMX_SHUTDOWN_POWEROFF:	return "poweroff";
	case PVMX_SHUTDOWN_REBOOT:	return "reboot";
	case PVMX_SHUTDOWN_SUSPEND:	return "suspend";
	case PVMX_SHUTDOWN_CRASH:	return "crash";
	case PVMX_SHUTDOWN_WATCHDOG:	return "watchdog";
	case PVMX_SHUTDOWN_SOFT_RESET:	return "soft_reset";
	}
	return "unknown";
}

const char *pvmx_crash_kind_name(unsigned k)
{
	switch (k) {
	case PVMX_CRASH_UNHANDLED_TRAP:	return "unhandled trap";
	case PVMX_CRASH_TRIPLE_FAULT:	return "triple fault";
	case PVMX_CRASH_BAD_MEMORY:	return "bad memory access";
	case PVMX_CRASH_BAD_STATE:	return "bad guest state";
	case PVMX_CRASH_UNSUPPORTED:	return "unsupported";
	}
	return "unknown";
}

const char *pvmx_cap_name(unsigned cap)
{
	switch (cap) {
	case PVMX_CAP_API_VERSION:	return "api_version";
	case PVMX_CAP_MAX_VCPUS:	return "max_vcpus";
	case PVMX_CAP_MAX_MEMORY_MB:	return "max_memory_mb";
	case PVMX_CAP_RUN_MMAP_SIZE:	return "run_mmap_size";
	case PVMX_CAP_CONSOLE_MAX:	return "console_max";
	case PVMX_CAP_VPID:		return "vpid";
	case PVMX_CAP_EVENTS:		return "events";
	case PVMX_CAP_STATS:		return "stats";
	case PVMX_CAP_TRACE:		return "trace";
	}
	return NULL;
}

int pvmx_shutdown_status(unsigned reason)
{
	if (reason == PVMX_SHUTDOWN_POWEROFF)
		return PVMX_STATUS_POWEROFF;
	if (reason <= PVMX_SHUTDOWN_SOFT_RESET)
		return PVMX_STATUS_SHUTDOWN + (int)reason;
	return PVMX_STATUS_SHUTDOWN + 9;
}

/* splitmix64: small, good enough to scatter frames, fixed across hosts. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

void pvmx_shuffle_p2m(uint32_t *p2m, uint64_t nr, uint64_t seed)
{
	uint64_t i, j, state = seed;
	uint32_t t;

	for (i = 0; i < nr; i++)
		p2m[i] = (uint32_t)i;
	/* Fisher-Yates. */
	for (i = nr; i > 1; i--) {
		j = splitmix64(&state) % i;
		t = p2m[i - 1];
		p2m[i - 1] = p2m[j];
		p2m[j] = t;
	}
}
