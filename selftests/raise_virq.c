// SPDX-License-Identifier: GPL-2.0
/*
 * raise_virq IMAGE [DELAY_MS]: run a guest (built on libpvmx) and, from a
 * second thread, raise VIRQ_DEBUG with PVMX_RAISE_EVENT once the guest has
 * printed "ready" and DELAY_MS (200) more have passed.  Guest console goes
 * to stdout.  Exit: 0 guest powered off, 13 guest crashed itself, 20
 * hypervisor crashed the guest, 1 setup error, 124 the guest ran > 60 s.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libpvmx.h"
#include <pvmx/xen_abi.h>

static struct pvmx_vm vm;
static volatile int ready, raised;
static int delay_ms = 200;

static void *raiser(void *arg)
{
	int rc;

	(void)arg;
	while (!ready)
		usleep(1000);
	usleep(delay_ms * 1000);
	rc = pvmx_vm_raise_event(&vm, VIRQ_DEBUG, true);
	fprintf(stderr, "raise_virq: PVMX_RAISE_EVENT(VIRQ_DEBUG) = %d\n", rc);
	raised = rc == 0 ? 1 : -1;
	return NULL;
}

int main(int argc, char **argv)
{
	struct pvmx_image_info info;
	struct pvmx_load_opts opts;
	struct pvmx_layout L;
	struct pvmx_vcpu vcpu;
	struct pvmx_dev dev;
	char err[PVMX_ERR_MAX], seen[64] = "";
	size_t len;
	void *img;
	pthread_t th;
	time_t t0 = time(NULL);

	if (argc < 2) {
		fprintf(stderr, "usage: raise_virq IMAGE [DELAY_MS]\n");
		return 1;
	}
	if (argc > 2)
		delay_ms = atoi(argv[2]);
	setvbuf(stdout, NULL, _IONBF, 0);
	if (pvmx_read_file(argv[1], &img, &len, err) || pvmx_parse_image(img, len, &info, err) ||
	    pvmx_open(&dev, err) || pvmx_vm_create(&dev, &vm, err) ||
	    pvmx_vm_set_memory(&vm, 32ULL << 20, err)) {
		fprintf(stderr, "raise_virq: %s\n", err);
		return 1;
	}
	memset(&opts, 0, sizeof(opts));
	if (pvmx_vm_load_image(&vm, img, len, &opts, &L, err) ||
	    pvmx_vcpu_create(&vm, 0, &vcpu, err)) {
		fprintf(stderr, "raise_virq: %s\n", err);
		return 1;
	}
	if (pvmx_vcpu_set_regs(&vcpu, &L.regs)) {
		fprintf(stderr, "raise_virq: PVMX_SET_REGS failed\n");
		return 1;
	}
	pthread_create(&th, NULL, raiser, NULL);
	for (;;) {
		int rc = pvmx_vcpu_run(&vcpu);

		if (time(NULL) - t0 > 60) {
			fprintf(stderr, "raise_virq: guest still running after 60 s\n");
			return 124;
		}
		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc) {
			fprintf(stderr, "raise_virq: PVMX_RUN: %s\n", strerror(-rc));
			return 1;
		}
		switch (vcpu.run->exit_reason) {
		case PVMX_EXIT_CONSOLE: {
			uint32_t n = vcpu.run->console.len, i;

			fwrite(vcpu.run->console.data, 1, n, stdout);
			for (i = 0; i < n; i++) {
				size_t l = strlen(seen);

				if (l == sizeof(seen) - 1)
					memmove(seen, seen + 1, --l);
				seen[l] = vcpu.run->console.data[i];
				seen[l + 1] = 0;
			}
			if (strstr(seen, "wait_virq: ready"))
				ready = 1;
			break;
		}
		case PVMX_EXIT_NOTIFY:
		case PVMX_EXIT_INTR:
			break;
		case PVMX_EXIT_SHUTDOWN:
			fprintf(stderr, "raise_virq: guest shut down, reason %u (raised %d)\n",
				vcpu.run->shutdown.reason, raised);
			return vcpu.run->shutdown.reason == 0 ? 0 : 10 + vcpu.run->shutdown.reason;
		case PVMX_EXIT_CRASH:
			fprintf(stderr, "raise_virq: guest crashed: %.*s\n", PVMX_CRASH_REASON_MAX,
				vcpu.run->crash.reason);
			return 20;
		default:
			fprintf(stderr, "raise_virq: exit reason %u\n", vcpu.run->exit_reason);
			return 21;
		}
	}
}
