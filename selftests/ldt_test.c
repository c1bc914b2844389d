// SPDX-License-Identifier: GPL-2.0
/*
 * ldt_test IMAGE: a launcher process with its own LDT (modify_ldt(2)) runs
 * a guest to its end (built on libpvmx), then uses its LDT segment again.
 * VM exits leave LDTR null; the module must reload the host's, or the
 * process faults (SIGSEGV) loading a selector of its LDT after PVMX_RUN.
 * Exit: 0 ok, 1 failure, 4 no modify_ldt(2) on this kernel (skip).
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libpvmx.h"

#define LDT_ENTRY	0
#define LDT_SEL		((LDT_ENTRY << 3) | 4 | 3)	/* TI = LDT, RPL 3 */

static sigjmp_buf fault_jmp;

static void on_segv(int sig)
{
	siglongjmp(fault_jmp, sig);
}

/* Load the LDT selector into %gs and read the 32-bit word at %gs:0. */
static int use_ldt_segment(unsigned int *word)
{
	struct sigaction sa = { .sa_handler = on_segv };
	unsigned short saved;

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	asm volatile("mov %%gs, %0" : "=r"(saved));
	if (sigsetjmp(fault_jmp, 1)) {
		asm volatile("mov %0, %%gs" : : "r"(saved));
		return -1;
	}
	asm volatile("mov %1, %%gs\n\t"
		     "movl %%gs:0, %0\n\t"
		     : "=r"(*word) : "r"((unsigned short)LDT_SEL) : "memory");
	asm volatile("mov %0, %%gs" : : "r"(saved));
	return 0;
}

static int run_guest(const char *path)
{
	struct pvmx_load_opts opts;
	struct pvmx_layout L;
	struct pvmx_vcpu vcpu;
	struct pvmx_dev dev;
	struct pvmx_vm vm;
	char err[PVMX_ERR_MAX];
	struct pvmx_image_info info;
	unsigned long exits = 0;
	size_t len;
	void *img;

	if (pvmx_read_file(path, &img, &len, err) || pvmx_parse_image(img, len, &info, err) ||
	    pvmx_open(&dev, err) || pvmx_vm_create(&dev, &vm, err) ||
	    pvmx_vm_set_memory(&vm, 32ULL << 20, err)) {
		fprintf(stderr, "ldt_test: %s\n", err);
		return -1;
	}
	memset(&opts, 0, sizeof(opts));
	if (pvmx_vm_load_image(&vm, img, len, &opts, &L, err) ||
	    pvmx_vcpu_create(&vm, 0, &vcpu, err)) {
		fprintf(stderr, "ldt_test: %s\n", err);
		return -1;
	}
	if (pvmx_vcpu_set_regs(&vcpu, &L.regs)) {
		fprintf(stderr, "ldt_test: PVMX_SET_REGS failed\n");
		return -1;
	}
	for (;;) {
		int rc = pvmx_vcpu_run(&vcpu);

		exits++;
		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc) {
			fprintf(stderr, "ldt_test: PVMX_RUN: %s\n", strerror(-rc));
			return -1;
		}
		switch (vcpu.run->exit_reason) {
		case PVMX_EXIT_CONSOLE:
		case PVMX_EXIT_NOTIFY:
		case PVMX_EXIT_INTR:
		case PVMX_EXIT_TRACE:
			continue;
		case PVMX_EXIT_SHUTDOWN:
			printf("# ldt_test: guest shut down (reason %u) after %lu PVMX_RUN calls\n",
			       vcpu.run->shutdown.reason, exits);
			return vcpu.run->shutdown.reason == 0 ? 0 : -1;
		default:
			fprintf(stderr, "ldt_test: exit reason %u\n", vcpu.run->exit_reason);
			return -1;
		}
	}
}

int main(int argc, char **argv)
{
	static unsigned int target = 0x5eed1d7;
	struct user_desc d = {
		.entry_number = LDT_ENTRY,
		.base_addr = (unsigned int)(unsigned long)&target,
		.limit = 4095,
		.seg_32bit = 1,
		.contents = 0,		/* data, expand-up */
		.read_exec_only = 0,
		.limit_in_pages = 0,
		.seg_not_present = 0,
		.useable = 1,
	};
	unsigned int word = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: ldt_test IMAGE\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if ((unsigned long)&target >> 32) {
		fprintf(stderr, "ldt_test: %p is above 4 GiB (need a static, non-PIE build)\n",
			(void *)&target);
		return 1;
	}
	if (syscall(SYS_modify_ldt, 1, &d, sizeof(d))) {
		if (errno == ENOSYS) {
			printf("ldt_test: skip: no modify_ldt(2) (CONFIG_MODIFY_LDT_SYSCALL=n)\n");
			return 4;
		}
		perror("ldt_test: modify_ldt");
		return 1;
	}
	if (use_ldt_segment(&word) || word != target) {
		fprintf(stderr, "ldt_test: the LDT segment does not work before any guest ran\n");
		return 1;
	}
	if (run_guest(argv[1]))
		return 1;
	if (use_ldt_segment(&word)) {
		fprintf(stderr, "ldt_test: loading LDT selector 0x%x faulted after PVMX_RUN: the host LDTR was not restored\n",
			LDT_SEL);
		return 1;
	}
	if (word != target) {
		fprintf(stderr, "ldt_test: %%gs:0 through the LDT reads 0x%x, want 0x%x\n",
			word, target);
		return 1;
	}
	printf("ldt_test: ok: LDT selector 0x%x usable after the guest ran\n", LDT_SEL);
	return 0;
}
