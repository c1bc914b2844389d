// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim faking /dev/pvmx for the CLI tests of `pvmx run` and
 * `pvmx info`: open() of $PVMX_DEVICE ("fake:...") returns fake fds, ioctl()s
 * on them follow $FAKE_PVMX_SCRIPT, a comma-separated list of exits:
 *   console:TEXT   PVMX_EXIT_CONSOLE with TEXT
 *   shutdown:N     PVMX_EXIT_SHUTDOWN, reason N
 *   crash          PVMX_EXIT_CRASH (unhandled trap, vector 14)
 *   internal       PVMX_EXIT_INTERNAL (VM entry failed)
 *   intr           PVMX_EXIT_INTR
 *   block          PVMX_RUN sleeps until a signal, then fails with EINTR
 * Checks the launcher's calls (SET_BOOT_INFO, SET_REGS) and writes what it
 * saw to $FAKE_PVMX_LOG.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/pvmx.h>

enum { FAKE_DEV = 1000, FAKE_VM, FAKE_VCPU };
static void *run_page;
static const char *script_pos;
static uint64_t mem_size;

static void fake_log(const char *fmt, ...)
{
	const char *path = getenv("FAKE_PVMX_LOG");
	va_list ap;
	FILE *f;

	if (!path || !(f = fopen(path, "a")))
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

int open(const char *path, int flags, ...)
{
	static int (*real_open)(const char *, int, ...);
	const char *dev = getenv("PVMX_DEVICE");
	va_list ap;
	int mode;

	if (dev && !strcmp(path, dev) && !strncmp(dev, "fake:", 5)) {
		script_pos = getenv("FAKE_PVMX_SCRIPT");
		return FAKE_DEV;
	}
	if (!real_open)
		real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	return real_open(path, flags, mode);
}

int close(int fd)
{
	static int (*real_close)(int);

	if (fd >= FAKE_DEV && fd <= FAKE_VCPU)
		return 0;
	if (!real_close)
		real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	return real_close(fd);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (fd == FAKE_VM || fd == FAKE_VCPU) {
		void *p = mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, off);

		if (fd == FAKE_VCPU)
			run_page = p;
		return p;
	}
	return (void *)syscall(9 /* SYS_mmap */, addr, len, prot, flags, fd, off);
}

static int next_exit(struct pvmx_run *run)
{
	char item[256];
	size_t n;

	if (!script_pos || !*script_pos) {
		run->exit_reason = PVMX_EXIT_SHUTDOWN;
		run->shutdown.reason = 0;
		return 0;
	}
	n = strcspn(script_pos, ",");
	snprintf(item, sizeof(item), "%.*s", (int)n, script_pos);
	script_pos += n + (script_pos[n] == ',');
	memset(run, 0, 64 + 8);
	run->exits++;
	if (!strncmp(item, "console:", 8)) {
		run->exit_reason = PVMX_EXIT_CONSOLE;
		run->console.len = (uint32_t)strlen(item + 8);
		memcpy(run->console.data, item + 8, run->console.len);
	} else if (!strncmp(item, "shutdown:", 9)) {
		run->exit_reason = PVMX_EXIT_SHUTDOWN;
		run->shutdown.reason = (uint32_t)strtoul(item + 9, NULL, 0);
	} else if (!strcmp(item, "crash")) {
		run->exit_reason = PVMX_EXIT_CRASH;
		run->crash.kind = PVMX_CRASH_UNHANDLED_TRAP;
		run->crash.vector = 14;
		run->crash.error_code = 2;
		run->crash.eip = 0x100123;
		run->crash.cs = 0xe019;
		run->crash.address = 0xdead000;
		strcpy(run->crash.reason, "page fault with no handler");
	} else if (!strcmp(item, "internal")) {
		run->exit_reason = PVMX_EXIT_INTERNAL;
		run->internal.suberror = PVMX_INTERNAL_VMENTRY_FAIL;
		run->internal.data[0] = 7;
	} else if (!strcmp(item, "intr")) {
		run->exit_reason = PVMX_EXIT_INTR;
	} else if (!strcmp(item, "block")) {
		script_pos -= n + 1;	/* stay on "block" */
		pause();
		errno = EINTR;
		return -1;
	}
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real_ioctl)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd < FAKE_DEV || fd > FAKE_VCPU) {
		if (!real_ioctl)
			real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
		return real_ioctl(fd, req, arg);
	}
	switch (req) {
	case PVMX_GET_API_VERSION:
		return PVMX_API_VERSION;
	case PVMX_CHECK_CAP:
		return (int)(uintptr_t)arg == PVMX_CAP_MAX_VCPUS ? 32 : 1;
	case PVMX_GET_VMX_INFO: {
		struct pvmx_vmx_info *vi = arg;

		memset(vi, 0, sizeof(*vi));
		vi->vmcs_revision = 0x12;
		vi->ept_vpid_cap = (1ULL << 6) | (1ULL << 14) | (1ULL << 32);
		vi->procbased2 = 0x22;
		vi->nr_vms = 3;
		return 0;
	}
	case PVMX_CREATE_VM:
		return FAKE_VM;
	case PVMX_SET_MEMORY: {
		struct pvmx_memory *m = arg;

		mem_size = m->size;
		m->shared_info_gpa = m->size;
		fake_log("memory %llu\n", (unsigned long long)m->size);
		return 0;
	}
	case PVMX_SET_BOOT_INFO: {
		struct pvmx_boot_info *b = arg;
		const uint32_t *p2m = (const uint32_t *)(uintptr_t)b->p2m;

		fake_log("boot hc 0x%llx si 0x%llx con 0x%llx store 0x%llx nr %llu p2m[last] %u evtchn %u %u domid %u\n",
		     (unsigned long long)b->hypercall_page_gpa,
		     (unsigned long long)b->start_info_gpa,
		     (unsigned long long)b->console_gpa, (unsigned long long)b->store_gpa,
		     (unsigned long long)b->nr_pfns, p2m ? p2m[b->nr_pfns - 1] : ~0u,
		     b->console_evtchn, b->store_evtchn, b->domid);
		return 0;
	}
	case PVMX_CREATE_VCPU:
		return FAKE_VCPU;
	case PVMX_SET_REGS: {
		struct pvmx_regs *r = arg;

		fake_log("regs eip 0x%x esp 0x%x esi 0x%x cr3 0x%llx cs 0x%x ss 0x%x eflags 0x%x\n",
		     r->eip, r->esp, r->esi, (unsigned long long)r->cr3, r->cs, r->ss, r->eflags);
		return 0;
	}
	case PVMX_RUN:
		return next_exit(run_page);
	}
	errno = ENOTTY;
	return -1;
}
