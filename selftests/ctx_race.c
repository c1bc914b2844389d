// SPDX-License-Identifier: GPL-2.0
/*
 * ctx_race IMAGE [TRIALS]: PVMX_SET_REGS from the launcher against the
 * guest's VCPUOP_initialise of the same vCPU (issue 15 point 4).  IMAGE is
 * guests/ctx_race.elf.  Each trial is a new VM with vCPUs 0 and 1; vCPU 0
 * runs in a second thread, vCPU 1 never runs.  The guest prints where its go
 * flag is; the main thread sets the flag in guest RAM and at once calls
 * PVMX_SET_REGS on vCPU 1 with context A while the guest calls
 * VCPUOP_initialise(1) with context B.  Whatever the interleaving, the
 * result is one of two serial orders: initialise first (0), then SET_REGS
 * (A); or SET_REGS first, then initialise -EEXIST (A).  So vCPU 1 must read
 * back exactly A: a B register means SET_REGS was lost after it returned 0,
 * a mix of A and B means both wrote at once.
 *
 * The window is microseconds; the module parameter set_regs_delay_us
 * (/sys/module/pvmx/parameters/) widens it, and run_all.sh sets it.
 * Exit: 0 ok, 1 failure (or setup error).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libpvmx.h"

/* Context A (the guest's context B differs in each of these). */
#define A_GPR(n)	(0xA0000000u + (n))
#define A_EIP		0xA0001000u
#define A_ESP		0xA0002000u
#define A_KERNEL_SP	0xA0003000u
#define A_EFLAGS	0x203u		/* CF */

struct trial {
	struct pvmx_vm vm;
	struct pvmx_vcpu v0, v1;
	volatile int flag_known;	/* the guest said where its flag is */
	uint32_t flag_mfn, flag_off;
	volatile int done;		/* vCPU 0's thread is finished */
	int result;			/* 0 powered off, else failure */
	int init_rc;			/* what the guest's initialise returned */
	char line[256];
	size_t line_len;
};

static void guest_line(struct trial *t)
{
	unsigned mfn, off;
	int rc;

	t->line[t->line_len] = 0;
	printf("# guest: %s\n", t->line);
	if (sscanf(t->line, "ctx_race: flag mfn=0x%x off=0x%x", &mfn, &off) == 2) {
		t->flag_mfn = mfn;
		t->flag_off = off;
		__atomic_store_n(&t->flag_known, 1, __ATOMIC_SEQ_CST);
	} else if (sscanf(t->line, "ctx_race: initialise rc=%d", &rc) == 1) {
		t->init_rc = rc;
	}
	t->line_len = 0;
}

static void *run_vcpu0(void *arg)
{
	struct trial *t = arg;

	t->result = 1;
	for (;;) {
		int rc = pvmx_vcpu_run(&t->v0);
		uint32_t i;

		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc) {
			fprintf(stderr, "ctx_race: PVMX_RUN: %s\n", strerror(-rc));
			break;
		}
		switch (t->v0.run->exit_reason) {
		case PVMX_EXIT_CONSOLE:
			for (i = 0; i < t->v0.run->console.len; i++) {
				char c = t->v0.run->console.data[i];

				if (c == '\n' || t->line_len == sizeof(t->line) - 1)
					guest_line(t);
				else
					t->line[t->line_len++] = c;
			}
			continue;
		case PVMX_EXIT_NOTIFY:
		case PVMX_EXIT_INTR:
		case PVMX_EXIT_TRACE:
			continue;
		case PVMX_EXIT_SHUTDOWN:
			t->result = t->v0.run->shutdown.reason == SHUTDOWN_poweroff ? 0 : 1;
			break;
		case PVMX_EXIT_CRASH:
			fprintf(stderr, "ctx_race: guest crashed: %.*s\n", PVMX_CRASH_REASON_MAX,
				t->v0.run->crash.reason);
			break;
		default:
			fprintf(stderr, "ctx_race: exit reason %u\n", t->v0.run->exit_reason);
			break;
		}
		break;
	}
	__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int check_u32(const char *name, uint64_t got, uint64_t want)
{
	if (got == want)
		return 0;
	fprintf(stderr, "ctx_race: vCPU 1 %s = 0x%llx, want 0x%llx (context A)%s\n", name,
		(unsigned long long)got, (unsigned long long)want,
		(got >> 28) == 0xB ? ": the guest's context B" : "");
	return 1;
}

static int trial(const void *img, size_t len, int n)
{
	struct pvmx_load_opts opts;
	struct pvmx_layout L;
	struct pvmx_regs a, got;
	struct pvmx_dev dev;
	struct trial *t = calloc(1, sizeof(*t));
	char err[PVMX_ERR_MAX];
	pthread_t th;
	int bad = 0, set_rc;

	if (!t)
		return 1;
	t->init_rc = 1;
	if (pvmx_open(&dev, err) || pvmx_vm_create(&dev, &t->vm, err) ||
	    pvmx_vm_set_memory(&t->vm, 32ULL << 20, err)) {
		fprintf(stderr, "ctx_race: %s\n", err);
		return 1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.shared_info_gpa = t->vm.shared_info_gpa;
	if (pvmx_vm_load_image(&t->vm, img, len, &opts, &L, err) ||
	    pvmx_vcpu_create(&t->vm, 0, &t->v0, err) || pvmx_vcpu_create(&t->vm, 1, &t->v1, err)) {
		fprintf(stderr, "ctx_race: %s\n", err);
		return 1;
	}
	if (pvmx_vcpu_set_regs(&t->v0, &L.regs)) {
		fprintf(stderr, "ctx_race: PVMX_SET_REGS of vCPU 0 failed\n");
		return 1;
	}
	a = L.regs;
	a.eax = A_GPR(0);
	a.ecx = A_GPR(1);
	a.edx = A_GPR(2);
	a.ebx = A_GPR(3);
	a.ebp = A_GPR(5);
	a.esi = A_GPR(6);
	a.edi = A_GPR(7);
	a.esp = A_ESP;
	a.eip = A_EIP;
	a.eflags = A_EFLAGS;
	a.kernel_ss = FLAT_RING1_SS;
	a.kernel_sp = A_KERNEL_SP;

	pthread_create(&th, NULL, run_vcpu0, t);
	while (!__atomic_load_n(&t->flag_known, __ATOMIC_SEQ_CST) &&
	       !__atomic_load_n(&t->done, __ATOMIC_SEQ_CST))
		usleep(100);
	if (!t->flag_known || (uint64_t)t->flag_mfn * 4096 + t->flag_off + 4 > t->vm.mem_size) {
		fprintf(stderr, "ctx_race: the guest did not say where its flag is\n");
		pthread_join(th, NULL);
		return 1;
	}
	/* Go: the guest's initialise now races this SET_REGS. */
	__atomic_store_n((uint32_t *)((char *)t->vm.ram + (uint64_t)t->flag_mfn * 4096 +
				      t->flag_off), 1, __ATOMIC_SEQ_CST);
	set_rc = pvmx_vcpu_set_regs(&t->v1, &a);
	printf("# ctx_race: trial %d: SET_REGS returned %d\n", n, set_rc);
	pthread_join(th, NULL);

	if (set_rc) {
		fprintf(stderr, "ctx_race: PVMX_SET_REGS of vCPU 1: %s\n", strerror(-set_rc));
		bad = 1;
	}
	if (t->result) {
		fprintf(stderr, "ctx_race: the guest did not power off\n");
		bad = 1;
	}
	if (t->init_rc != 0 && t->init_rc != -XEN_EEXIST) {
		fprintf(stderr, "ctx_race: VCPUOP_initialise returned %d, want 0 or -EEXIST\n",
			t->init_rc);
		bad = 1;
	}
	if (pvmx_vcpu_get_regs(&t->v1, &got)) {
		fprintf(stderr, "ctx_race: PVMX_GET_REGS failed\n");
		bad = 1;
	} else {
		bad |= check_u32("eax", got.eax, a.eax);
		bad |= check_u32("ecx", got.ecx, a.ecx);
		bad |= check_u32("edx", got.edx, a.edx);
		bad |= check_u32("ebx", got.ebx, a.ebx);
		bad |= check_u32("ebp", got.ebp, a.ebp);
		bad |= check_u32("esi", got.esi, a.esi);
		bad |= check_u32("edi", got.edi, a.edi);
		bad |= check_u32("esp", got.esp, a.esp);
		bad |= check_u32("eip", got.eip, a.eip);
		bad |= check_u32("eflags", got.eflags, a.eflags | 0x202);
		bad |= check_u32("kernel_sp", got.kernel_sp, a.kernel_sp);
		bad |= check_u32("cr3", got.cr3, a.cr3);
	}
	printf("# ctx_race: trial %d: initialise %d, SET_REGS %d: %s\n", n, t->init_rc, set_rc,
	       bad ? "FAIL" : "context A whole");
	pvmx_vcpu_destroy(&t->v1);
	pvmx_vcpu_destroy(&t->v0);
	pvmx_vm_destroy(&t->vm);
	pvmx_close(&dev);
	free(t);
	return bad;
}

int main(int argc, char **argv)
{
	int trials = 3, i, bad = 0;
	char err[PVMX_ERR_MAX];
	size_t len;
	void *img;

	if (argc < 2) {
		fprintf(stderr, "usage: ctx_race IMAGE [TRIALS]\n");
		return 1;
	}
	if (argc > 2)
		trials = atoi(argv[2]);
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(120);	/* SIGALRM ends a hung run: a failure, not a stuck suite */
	if (pvmx_read_file(argv[1], &img, &len, err)) {
		fprintf(stderr, "ctx_race: %s\n", err);
		return 1;
	}
	for (i = 0; i < trials; i++)
		bad |= trial(img, len, i);
	if (bad)
		return 1;
	printf("ctx_race: ok: %d trials, vCPU 1 always had one whole context\n", trials);
	return 0;
}
