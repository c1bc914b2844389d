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
 *   trace          PVMX_EXIT_TRACE with a few records (see trace_records)
 *   trace:end      PVMX_EXIT_TRACE with the record of a SCHEDOP_shutdown
 *   ring:TEXT      TEXT into the PV console ring, PVMX_EXIT_NOTIFY on its port
 *   notify:console PVMX_EXIT_NOTIFY on the console port, the ring unchanged
 *   xsread:PATH    an XS_READ of PATH into the xenstore ring, PVMX_EXIT_NOTIFY
 *                  on the store port; the reply is logged at the next PVMX_RUN
 *                  ("xs reply TYPE PAYLOAD")
 * Like the module, a vCPU that shut down or crashed reports the same end
 * again on every PVMX_RUN.
 * PVMX_RAISE_EVENT is logged ("raise PORT").
 * PVMX_GET_VM_STATS and PVMX_GET_STATS return synthetic counters (see
 * fake_stats), PVMX_SET_TRACE is logged ("trace flags F ops 0xMASK");
 * $FAKE_PVMX_NOCAP=N makes PVMX_CHECK_CAP(N) return 0;
 * $FAKE_PVMX_TRACE_VERSION=V makes PVMX_CAP_TRACE V (default 2).
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
#include <pvmx/xen_abi.h>

#include "xenstore.h"

enum { FAKE_DEV = 1000, FAKE_VM, FAKE_VCPU };
static void *run_page;
static const char *script_pos;
static uint64_t mem_size;
static struct pvmx_run end_run;		/* the end reported, once there is one */
static int ended;
static char *ram;			/* the VM's RAM mapping */
static struct pvmx_boot_info boot;	/* from PVMX_SET_BOOT_INFO */

/* vCPU 0, time_ns 0 (before the launcher's start: printed as 0.000000). */
#define REC(k, fl, o, res, a0, a1, a2, a3, a4, idx, ip) \
	{ .kind = (k), .flags = (fl), .op = (o), .result = (res), \
	  .args = { (a0), (a1), (a2), (a3), (a4) }, .index = (idx), .eip = (ip), \
	  .tsc = 3000000 + (idx), .duration_ns = 1250 }

static const struct pvmx_trace_rec trace_records[] = {
	REC(PVMX_TRACE_KIND_HYPERCALL, 0, 17, 0x40013, 0, 0, 0, 0, 0, 0, 0x100100),
	REC(PVMX_TRACE_KIND_HYPERCALL, 0, 18, 0, 0, 14, 0x103020, 0, 0, 0, 0x100200),
	REC(PVMX_TRACE_KIND_MC_ENTRY, 0, 14, 0, 0x7000, 0x42067, 0, 2, 0, 0, 0x100300),
	REC(PVMX_TRACE_KIND_MC_ENTRY, 0, 32, (uint32_t)-22, 4, 0x12ff4, 0, 0, 0, 1, 0x100300),
	{ .kind = PVMX_TRACE_KIND_HYPERCALL, .op = 13, .args = { 0x220000, 2 },
	  .eip = 0x100300, .duration_ns = 9000, .detail = PVMX_TRACE_DETAIL_MC_OPS,
	  .detail_nr = 2, .data = { 14, 32 } },
	REC(PVMX_TRACE_KIND_UPCALL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x101000),
	REC(PVMX_TRACE_KIND_TRAP, 0, 14, 2, 0, 0, 0, 0, 0, 0, 0x101234),
};

static const struct pvmx_trace_rec trace_end_records[] = {
	REC(PVMX_TRACE_KIND_HYPERCALL, 0, 29, 0, 2, 0x12ff0, 0, 0, 0, 0, 0x100400),
};

static void fake_stats(struct pvmx_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->version = PVMX_STATS_VERSION;
	s->size = sizeof(*s);
	s->nr_vcpus = 1;
	s->exits = 4123;
	s->exit_count[0] = 4100;	/* exception_nmi */
	s->exit_cycles[0] = 4100000;
	s->exit_count[1] = 20;		/* external_interrupt */
	s->exit_cycles[1] = 60000;
	s->exit_count[10] = 3;		/* cpuid */
	s->exit_cycles[10] = 3003;
	s->hypercall_count[17] = 2001;	/* xen_version */
	s->hypercall_cycles[17] = 400200;
	s->hypercall_count[29] = 2000;	/* sched_op */
	s->hypercall_cycles[29] = 3000000;
	s->hypercall_count[13] = 5;	/* multicall */
	s->hypercall_cycles[13] = 5000;
	s->hypercall_count[14] = 40;	/* update_va_mapping */
	s->hypercall_cycles[14] = 8000;
	s->hypercall_other = 2;
	s->multicall_entries = 40;
	s->multicall_batches[0] = 1;	/* 1 */
	s->multicall_batches[3] = 3;	/* 8-15 */
	s->multicall_stops[PVMX_MC_STOP_END] = 3;
	s->multicall_stops[PVMX_MC_STOP_PREEMPTED] = 2;
	s->multicall_stops[PVMX_MC_STOP_IRET] = 1;
	s->continuations = 2;
	s->upcalls = 7;
	s->traps = 1;
}

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
		else if ((uint64_t)off < PVMX_GNTTAB_MMAP_OFFSET)
			ram = p;		/* not the grant frames */
		return p;
	}
	return (void *)syscall(9 /* SYS_mmap */, addr, len, prot, flags, fd, off);
}

/* Log a xenstore reply waiting in the store ring. */
static void log_store_reply(void)
{
	struct xenstore_domain_interface *x;
	struct xsd_sockmsg h;
	char b[XENSTORE_RING_SIZE + 1];
	uint32_t i, n;

	if (!ram || boot.store_gpa == PVMX_NO_PAGE)
		return;
	x = (void *)(ram + boot.store_gpa);
	n = x->rsp_prod - x->rsp_cons;
	if (n < sizeof(h) || n > XENSTORE_RING_SIZE)
		return;
	for (i = 0; i < n; i++)
		b[i] = x->rsp[(x->rsp_cons + i) % XENSTORE_RING_SIZE];
	memcpy(&h, b, sizeof(h));
	if (h.len > n - sizeof(h))
		return;
	b[sizeof(h) + h.len] = '\0';
	fake_log("xs reply %u %s\n", h.type, b + sizeof(h));
	x->rsp_cons += (uint32_t)sizeof(h) + h.len;
}

static int next_exit(struct pvmx_run *run)
{
	char item[256];
	size_t n;

	log_store_reply();
	if (ended) {
		memcpy(run, &end_run, sizeof(end_run));
		return 0;
	}
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
	} else if (!strncmp(item, "ring:", 5) && ram) {
		struct xen_console_ring *r = (void *)(ram + boot.console_gpa);
		const char *t = item + 5;

		while (*t)
			r->out[r->out_prod++ % sizeof(r->out)] = *t++;
		run->exit_reason = PVMX_EXIT_NOTIFY;
		run->notify.port = boot.console_evtchn;
	} else if (!strcmp(item, "notify:console")) {
		run->exit_reason = PVMX_EXIT_NOTIFY;
		run->notify.port = boot.console_evtchn;
	} else if (!strncmp(item, "xsread:", 7) && ram) {
		struct xenstore_domain_interface *x = (void *)(ram + boot.store_gpa);
		struct xsd_sockmsg h = { XS_READ, 42, 0, (uint32_t)strlen(item + 7) + 1 };
		char msg[300];
		uint32_t i;

		memcpy(msg, &h, sizeof(h));
		memcpy(msg + sizeof(h), item + 7, h.len);
		for (i = 0; i < sizeof(h) + h.len; i++)
			x->req[x->req_prod++ % XENSTORE_RING_SIZE] = msg[i];
		run->exit_reason = PVMX_EXIT_NOTIFY;
		run->notify.port = boot.store_evtchn;
	} else if (!strcmp(item, "intr")) {
		run->exit_reason = PVMX_EXIT_INTR;
	} else if (!strcmp(item, "trace") || !strcmp(item, "trace:end")) {
		const struct pvmx_trace_rec *r = item[5] ? trace_end_records : trace_records;
		size_t nr = item[5] ? sizeof(trace_end_records) / sizeof(*r) :
				      sizeof(trace_records) / sizeof(*r);

		run->exit_reason = PVMX_EXIT_TRACE;
		run->trace.nr = (uint32_t)nr;
		run->trace.rec_size = sizeof(*r);
		memcpy(run->trace.rec, r, nr * sizeof(*r));
		return 0;
	} else if (!strcmp(item, "block")) {
		script_pos -= n + 1;	/* stay on "block" */
		pause();
		errno = EINTR;
		return -1;
	}
	if (run->exit_reason == PVMX_EXIT_SHUTDOWN || run->exit_reason == PVMX_EXIT_CRASH) {
		memcpy(&end_run, run, sizeof(end_run));
		ended = 1;
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
	case PVMX_CHECK_CAP: {
		const char *nocap = getenv("FAKE_PVMX_NOCAP");

		if (nocap && *nocap && (uintptr_t)arg == strtoul(nocap, NULL, 0))
			return 0;
		if ((uintptr_t)arg == PVMX_CAP_TRACE)
			return getenv("FAKE_PVMX_TRACE_VERSION") ?
			       atoi(getenv("FAKE_PVMX_TRACE_VERSION")) : PVMX_TRACE_VERSION;
		return (int)(uintptr_t)arg == PVMX_CAP_MAX_VCPUS ? 32 : 1;
	}
	case PVMX_GET_VM_STATS:
	case PVMX_GET_STATS:
		fake_log("%s\n", req == PVMX_GET_VM_STATS ? "vm stats" : "vcpu stats");
		fake_stats(arg);
		return 0;
	case PVMX_SET_TRACE: {
		const struct pvmx_trace_config *c = arg;

		if (c->version != PVMX_TRACE_VERSION || c->size != sizeof(*c)) {
			errno = EPROTO;
			return -1;
		}
		fake_log("trace flags %u ops %#llx\n", c->flags, (unsigned long long)c->hypercalls);
		return 0;
	}
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

		boot = *b;

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
	case PVMX_RAISE_EVENT: {
		struct pvmx_event *ev = arg;

		fake_log("raise %u%s\n", ev->port, ev->flags & PVMX_EVENT_VIRQ ? " virq" : "");
		return 0;
	}
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
