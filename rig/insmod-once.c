// SPDX-License-Identifier: GPL-2.0
/*
 * insmod-once: load a module with a single finit_module(2) call.
 *
 * busybox insmod falls back to init_module(2) when finit_module(2) fails,
 * which runs a failing module_init() twice (and prints its messages
 * twice).  The rig uses this helper where exactly one attempt matters.
 *
 * Usage: insmod-once FILE.ko [PARAMS...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char params[4096] = "";
	size_t len = 0;
	int fd, i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE.ko [PARAMS...]\n", argv[0]);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		int n = snprintf(params + len, sizeof(params) - len, "%s%s",
				 len ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(params) - len) {
			fprintf(stderr, "insmod-once: parameters too long\n");
			return 2;
		}
		len += n;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "insmod-once: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (syscall(SYS_finit_module, fd, params, 0) != 0) {
		fprintf(stderr, "insmod-once: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}
