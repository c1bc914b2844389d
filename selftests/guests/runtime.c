// SPDX-License-Identifier: GPL-2.0
/*
 * The pvmx test-guest runtime: start-up, string helpers, printf, KTAP.
 */
#include "runtime.h"
#include <pvmx/xen_io.h>

struct xen_start_info *start_info;
unsigned test_failed;
static unsigned test_nr, test_planned, test_passed;

u32 va_to_pfn(const void *va)
{
	return ((u32)va - (u32)__virt_base) >> 12;
}

u32 va_to_mfn(const void *va)
{
	return ((const u32 *)start_info->mfn_list)[va_to_pfn(va)];
}

void *mfn_to_va(u64 mfn)
{
	const u32 *p2m = (const u32 *)start_info->mfn_list;
	u32 pfn;

	for (pfn = 0; pfn < start_info->nr_pages; pfn++)
		if (p2m[pfn] == mfn)
			return (void *)((u32)__virt_base + (pfn << 12));
	printf("FAIL: mfn 0x%x is not in the P2M\n", (u32)mfn);
	shutdown(SHUTDOWN_crash);
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			break;
	}
	return 0;
}

const char *strstr(const char *h, const char *n)
{
	size_t ln = strlen(n);

	for (; *h; h++)
		if (!strncmp(h, n, ln))
			return h;
	return ln ? NULL : h;
}

/* GCC may emit calls to these four even with -ffreestanding. */
void *memset(void *d, int c, size_t n)
{
	u8 *p = d;

	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *p = d;
	const u8 *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

void *memmove(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n)
{
	u8 *p = d;
	const u8 *q = s;

	if (p < q)
		return memcpy(d, s, n);
	while (n--)
		p[n] = q[n];
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

u32 cmdline_uint(const char *s, const char *key, u32 dflt)
{
	size_t lk = strlen(key);
	const char *p;

	for (p = s; *p; p++) {
		u32 v = 0, base = 10;

		if ((p != s && p[-1] != ' ') || strncmp(p, key, lk) || p[lk] != '=')
			continue;
		p += lk + 1;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			base = 16, p += 2;
		for (;; p++) {
			u32 d;

			if (*p >= '0' && *p <= '9')
				d = *p - '0';
			else if (base == 16 && *p >= 'a' && *p <= 'f')
				d = *p - 'a' + 10;
			else if (base == 16 && *p >= 'A' && *p <= 'F')
				d = *p - 'A' + 10;
			else
				break;
			v = v * base + d;
		}
		return v;
	}
	return dflt;
}

/* ---- printf ------------------------------------------------------------ */

struct out {
	char *buf;
	size_t size, len;
};

static void out_c(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_num(struct out *o, u32 v, unsigned base, int neg, int width, char pad)
{
	char tmp[12];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	for (; width > n; width--)
		out_c(o, pad);
	while (n)
		out_c(o, tmp[--n]);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		int width = 0;
		char pad = ' ';

		if (*fmt != '%') {
			out_c(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		switch (*fmt) {
		case 'd': {
			int v = va_arg(ap, int);

			out_num(&o, v < 0 ? -(u32)v : (u32)v, 10, v < 0, width, pad);
			break;
		}
		case 'u':
			out_num(&o, va_arg(ap, u32), 10, 0, width, pad);
			break;
		case 'x':
			out_num(&o, va_arg(ap, u32), 16, 0, width, pad);
			break;
		case 'p':
			out_c(&o, '0');
			out_c(&o, 'x');
			out_num(&o, (u32)va_arg(ap, void *), 16, 0, 8, '0');
			break;
		case 'c':
			out_c(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int l;

			if (!s)
				s = "(null)";
			l = strlen(s);
			for (; width > l; width--)
				out_c(&o, ' ');
			while (*s)
				out_c(&o, *s++);
			break;
		}
		case '%':
			out_c(&o, '%');
			break;
		default:
			out_c(&o, '%');
			out_c(&o, *fmt);
			if (!*fmt)
				fmt--;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void puts_n(const char *s, size_t n)
{
	console_io(CONSOLEIO_write, n, s);
}

void printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	puts_n(buf, n);
}

/* ---- shutdown and tests ----------------------------------------------- */

noreturn void shutdown(u32 reason)
{
	struct { u32 reason; } arg = { reason };

	for (;;) {
		/* For SHUTDOWN_suspend Xen wants the start_info MFN in EDX. */
		u32 si_mfn = va_to_mfn(start_info);

		hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown, &arg, si_mfn, 0, 0);
		/* Only suspend may return; anything else is a hypervisor bug. */
		printf("# shutdown(%u) returned\n", reason);
		if (reason != SHUTDOWN_suspend)
			arg.reason = SHUTDOWN_crash;
	}
}

void test_plan(unsigned n)
{
	test_planned = n;
	printf("KTAP version 1\n1..%u\n", n);
}

int test_check(int pass, const char *name)
{
	test_nr++;
	if (pass)
		test_passed++;
	else
		test_failed++;
	printf("%sok %u %s\n", pass ? "" : "not ", test_nr, name);
	return pass;
}

void test_diag(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("#%s%s\n", buf[0] == ' ' ? "" : " ", buf);
	(void)n;
}

noreturn void test_done(void)
{
	if (test_nr != test_planned) {
		printf("# planned %u tests, ran %u\n", test_planned, test_nr);
		test_failed++;
	}
	printf("# Totals: pass:%u fail:%u skip:0\n", test_passed, test_failed);
	shutdown(test_failed ? SHUTDOWN_crash : SHUTDOWN_poweroff);
}

/* Called by head.S with ESI (the start_info VA) as argument. */
noreturn void guest_start(struct xen_start_info *si);
noreturn void guest_start(struct xen_start_info *si)
{
	static const char bad[] = "pvmx-test: hypercall page not initialised\n";

	start_info = si;
	/* Slot 0 must start with `mov $0,%eax` (B8); the image ships 0xC3. */
	if (hypercall_page[0] != 0xB8) {
		struct { u32 reason; } arg = { SHUTDOWN_crash };

		raw_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write,
			      sizeof(bad) - 1, bad, 0, 0);
		for (;;)
			raw_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown,
				      &arg, 0, 0, 0);
	}
	test_main();
	test_done();
}

/* ---- PV ABI helpers ----------------------------------------------------- */

struct xen_shared_info *shared_info;
static u8 shared_info_va[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

struct xen_shared_info *map_shared_info(void)
{
	u64 pte = (u64)start_info->shared_info | 0x63;	/* P|RW|A|D */
	long r;

	if (shared_info)
		return shared_info;
	r = update_va_mapping((u32)shared_info_va, pte, UVMF_INVLPG);
	if (r) {
		printf("# map_shared_info: update_va_mapping = %d\n", (int)r);
		return NULL;
	}
	shared_info = (struct xen_shared_info *)shared_info_va;
	return shared_info;
}

struct xen_shared_info *need_shared_info(void)
{
	if (shared_info)
		return shared_info;
	if (!map_shared_info()) {
		printf("FAIL: cannot map shared_info (mfn 0x%x)\n", (u32)start_info->shared_info);
		shutdown(SHUTDOWN_crash);
	}
	return shared_info;
}

struct xen_console_ring *console_ring(void)
{
	const u32 *p2m = (const u32 *)start_info->mfn_list;
	u32 pfn;

	for (pfn = 0; pfn < start_info->nr_pages; pfn++)
		if (p2m[pfn] == start_info->console_mfn)
			return (struct xen_console_ring *)((u32)__virt_base + (pfn << 12));
	return NULL;
}

/* ---- vCPU ids and time ---------------------------------------------------- */

extern u8 boot_stack[], boot_stack_top[];	/* head.S */
static struct { u32 lo, hi, id; } vcpu_stacks[MAX_VCPU_STACKS];
static volatile u32 nr_vcpu_stacks, nr_ap_stacks;

void vcpu_stack(u32 id, const void *base, u32 size)
{
	u32 i, n = nr_vcpu_stacks, lo = (u32)base;

	if (id >= XEN_LEGACY_MAX_VCPUS || lo + size < lo) {
		printf("FAIL: vcpu_stack(%u, %p, %u): no such vCPU or stack\n", id, base, size);
		shutdown(SHUTDOWN_crash);
	}
	/* The same stack named again (a context built twice): its id now. */
	for (i = 0; i < n; i++) {
		if (vcpu_stacks[i].lo == lo && vcpu_stacks[i].hi == lo + size) {
			if (id && !vcpu_stacks[i].id)
				nr_ap_stacks++;
			vcpu_stacks[i].id = id;
			return;
		}
	}
	if (n == MAX_VCPU_STACKS) {
		printf("FAIL: vcpu_stack: more than %u stacks\n", MAX_VCPU_STACKS);
		shutdown(SHUTDOWN_crash);
	}
	vcpu_stacks[n].lo = lo;
	vcpu_stacks[n].hi = lo + size;
	vcpu_stacks[n].id = id;
	barrier();
	nr_vcpu_stacks = n + 1;
	if (id)
		nr_ap_stacks++;
}

u32 smp_id(void)
{
	u32 esp, i, n = nr_vcpu_stacks;

	asm volatile("mov %%esp, %0" : "=r"(esp));
	if (esp >= (u32)boot_stack && esp <= (u32)boot_stack_top)
		return 0;
	for (i = 0; i < n; i++)
		if (esp >= vcpu_stacks[i].lo && esp <= vcpu_stacks[i].hi)
			return vcpu_stacks[i].id;
	if (!nr_ap_stacks)
		return 0;
	printf("FAIL: smp_id: ESP 0x%x is on no vCPU's stack (vcpu_stack())\n", esp);
	shutdown(SHUTDOWN_crash);
}

/* rdtsc after every earlier load (Linux's rdtsc_ordered()). */
static inline u64 rdtsc_ordered(void)
{
	u32 lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((u64)hi << 32) | lo;
}

/*
 * Xen's vcpu_time_info protocol (Linux's pvclock_clocksource_read()): the
 * record and the TSC read between two reads of an even, unchanged version.
 */
u64 vcpu_now_ns(u32 id)
{
	volatile struct xen_vcpu_time_info *t;
	u32 ver, mul;
	u64 sys, ts, tsc, delta;
	s32 shift;

	if (id >= XEN_LEGACY_MAX_VCPUS) {
		printf("FAIL: vcpu_now_ns(%u): no vcpu_info in shared_info\n", id);
		shutdown(SHUTDOWN_crash);
	}
	t = &need_shared_info()->vcpu_info[id].time;
	do {
		ver = t->version;
		barrier();
		ts = t->tsc_timestamp;
		sys = t->system_time;
		mul = t->tsc_to_system_mul;
		shift = (__s8)t->tsc_shift;
		tsc = rdtsc_ordered();
		barrier();
	} while ((ver & 1) || ver != t->version);
	/* A TSC behind the record (another CPU's, a moment ago): no time passed. */
	delta = (long long)(tsc - ts) < 0 ? 0 : tsc - ts;
	if (shift >= 0)
		delta <<= shift;
	else
		delta >>= -shift;
	/* (delta * mul) >> 32 without 128-bit arithmetic. */
	return sys + (((delta & 0xffffffffu) * mul) >> 32) + (delta >> 32) * mul;
}

u64 now_ns(void)
{
	return vcpu_now_ns(smp_id());
}

u64 vcpu_record_ns(u32 id, u32 *version)
{
	volatile struct xen_vcpu_time_info *t;
	u64 sys;
	u32 ver;

	if (id >= XEN_LEGACY_MAX_VCPUS) {
		printf("FAIL: vcpu_record_ns(%u): no vcpu_info in shared_info\n", id);
		shutdown(SHUTDOWN_crash);
	}
	t = &need_shared_info()->vcpu_info[id].time;
	do {
		ver = t->version;
		barrier();
		sys = t->system_time;
		barrier();
	} while ((ver & 1) || ver != t->version);
	if (version)
		*version = ver;
	return sys;
}

int wait_port(u32 port, u32 ms)
{
	u32 ports[1] = { port };
	u64 end = now_ns() + (u64)ms * 1000000ull;

	while (!test_bit(need_shared_info()->evtchn_pending, port)) {
		struct xen_sched_poll p = { (u32)ports, 1, end };

		if (now_ns() >= end)
			return 0;
		sched_op(SCHEDOP_poll, &p);
	}
	clear_bit(shared_info->evtchn_pending, port);
	return 1;
}

long evtchn_simple(int cmd, u32 port)
{
	u32 p = port;

	return evtchn_op(cmd, &p);
}

long evtchn_bind_virq(u32 virq, u32 vcpu, u32 *port)
{
	struct evtchn_bind_virq b = { virq, vcpu, 0xdeadbeef };
	long r = evtchn_op(EVTCHNOP_bind_virq, &b);

	if (port)
		*port = b.port;
	return r;
}

long evtchn_status_of(u32 port, struct evtchn_status *st)
{
	memset(st, 0, sizeof(*st));
	st->dom = DOMID_SELF;
	st->port = port;
	return evtchn_op(EVTCHNOP_status, st);
}

volatile struct trap_record trap_log[TRAP_LOG];
volatile u32 trap_count, trap_hw_iret, trap_resume_any;
volatile u32 trap_resume[256];
void (*volatile trap_hook)(u32 vec, u32 *frame);
void (*volatile event_hook)(u32 *frame);
static volatile u32 trap_eax;

const volatile struct trap_record *last_trap(void)
{
	static const struct trap_record none;

	return trap_count ? &trap_log[(trap_count - 1) % TRAP_LOG] : &none;
}

int check_word(const char *what, u32 got, u32 want)
{
	if (got != want)
		test_diag("  %s: got 0x%x, want 0x%x", what, got, want);
	return got == want;
}

void trap_record_c(u32 vec, u32 ec, u32 *frame);
void trap_record_c(u32 vec, u32 ec, u32 *frame)
{
	volatile struct trap_record *r = &trap_log[trap_count % TRAP_LOG];
	u32 i, resume;

	r->vector = vec;
	r->has_ec = ec;
	r->esp = (u32)frame;
	r->handler_cs = read_cs();
	r->mask = shared_info ? shared_info->vcpu_info[0].evtchn_upcall_mask : 0xff;
	r->cr2 = shared_info ? shared_info->vcpu_info[0].cr2 : 0;
	r->eax = trap_eax;
	for (i = 0; i < 8; i++)
		r->w[i] = frame[i];
	trap_count++;
	resume = vec < 256 && trap_resume[vec] ? trap_resume[vec] : trap_resume_any;
	if (resume && vec != 0x100)
		frame[ec] = resume;
	if (vec == 0x100) {
		if (event_hook)
			event_hook(frame);
	} else if (trap_hook) {
		trap_hook(vec, frame);
	}
}

#define TRAP_STUB(name, vec, ec)					\
	".globl trap_stub_" #name "\n"					\
	"trap_stub_" #name ":\n"					\
	"	mov %eax, trap_eax\n"					\
	"	push %eax\n	push %ecx\n	push %edx\n"		\
	"	lea 12(%esp), %eax\n"					\
	"	push %eax\n	push $" #ec "\n	push $" #vec "\n"	\
	"	cld\n	call trap_record_c\n	add $12, %esp\n"	\
	"	pop %edx\n	pop %ecx\n	pop %eax\n"		\
	"	.if " #ec "\n	add $4, %esp\n	.endif\n"		\
	"	jmp trap_return\n"

asm(".text\n"
    "trap_return:\n"
    "	cmpl $0, trap_hw_iret\n"
    "	jne 1f\n"
    "	jmp hypercall_page + 23 * 32\n"
    "1:	iret\n"
    TRAP_STUB(0, 0, 0)
    TRAP_STUB(3, 3, 0)
    TRAP_STUB(6, 6, 0)
    TRAP_STUB(7, 7, 0)
    TRAP_STUB(13, 13, 1)
    TRAP_STUB(14, 14, 1)
    TRAP_STUB(64, 0x40, 0)
    TRAP_STUB(65, 0x41, 0)
    TRAP_STUB(128, 0x80, 0)
    TRAP_STUB(130, 0x82, 0)
    TRAP_STUB(alt, 0x106, 0)
    ".globl event_stub\n"
    "event_stub:\n"
    "	mov %eax, trap_eax\n"
    "	push %eax\n	push %ecx\n	push %edx\n"
    "	lea 12(%esp), %eax\n"
    "	push %eax\n	push $0\n	push $0x100\n"
    "	cld\n	call trap_record_c\n	add $12, %esp\n"
    "	pop %edx\n	pop %ecx\n	pop %eax\n"
    "	jmp hypercall_page + 23 * 32\n");

u64 div64(u64 n, u32 d)
{
	u64 q = 0, r = 0;
	int i;

	for (i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ull << i;
		}
	}
	return q;
}

/*
 * enter_ring3(entry, stack_top): saves the callee-saved registers, loads the
 * flat user data selectors and irets to entry in ring 3.  A ring-1 handler
 * comes back by setting its frame's EIP to ring3_exit: the registers are
 * restored and enter_ring3() returns.
 */
static u32 ring3_saved_esp __attribute__((used));
asm(".text\n"
    ".globl enter_ring3, ring3_exit\n"
    "enter_ring3:\n"
    "	push %ebp\n	push %ebx\n	push %esi\n	push %edi\n"
    "	mov %esp, ring3_saved_esp\n"
    "	mov 20(%esp), %ecx\n	mov 24(%esp), %edx\n"
    "	mov $0xE033, %eax\n	mov %eax, %ds\n	mov %eax, %es\n"
    "	push $0xE033\n	push %edx\n	push $0x202\n"
    "	push $0xE02B\n	push %ecx\n"
    "	iret\n"
    "ring3_exit:\n"
    "	mov ring3_saved_esp, %esp\n"
    "	mov $0xE021, %eax\n	mov %eax, %ds\n	mov %eax, %es\n"
    "	pop %edi\n	pop %esi\n	pop %ebx\n	pop %ebp\n"
    "	ret\n");

/* ---- xenbus client (io/xs_wire.h: <pvmx/xen_io.h>) ---- */

static struct xenstore_domain_interface *xb;
static u32 xb_evtchn, xb_next_id = 1, xb_reply_type;
static char xb_reply[4097];

#define XBV(x) (*(volatile u32 *)&(x))

void xb_init(void)
{
	xb = mfn_to_va(start_info->store_mfn);
	xb_evtchn = start_info->store_evtchn;
	clear_bit(need_shared_info()->evtchn_pending, xb_evtchn);
}

u32 xb_port(void)
{
	return xb_evtchn;
}

static int xb_put(const void *d, u32 n)
{
	const char *p = d;

	while (n) {
		u32 prod = XBV(xb->req_prod);

		if (prod - XBV(xb->req_cons) == XENSTORE_RING_SIZE) {
			evtchn_simple(EVTCHNOP_send, xb_evtchn);
			if (!wait_port(xb_evtchn, 5000))
				return 0;
			continue;
		}
		xb->req[prod % XENSTORE_RING_SIZE] = *p++;
		mb();
		XBV(xb->req_prod) = prod + 1;
		n--;
	}
	return 1;
}

static int xb_get(void *d, u32 n)
{
	char *p = d;

	while (n) {
		u32 cons = XBV(xb->rsp_cons);

		if (XBV(xb->rsp_prod) == cons) {
			if (!wait_port(xb_evtchn, 5000))
				return 0;
			continue;
		}
		mb();
		*p++ = xb->rsp[cons % XENSTORE_RING_SIZE];
		mb();
		XBV(xb->rsp_cons) = cons + 1;
		n--;
	}
	return 1;
}

static int xb_request(u32 type, const char *a, const char *b)
{
	/* A watch's token ends in a NUL as its path does (xs_wire.h); a value does not. */
	u32 la = (u32)strlen(a) + 1, lb = b ? (u32)strlen(b) + (type == XS_WATCH) : 0;
	struct xsd_sockmsg h = { type, xb_next_id, 0, la + lb };

	if (!xb_put(&h, sizeof(h)) || !xb_put(a, la) || (lb && !xb_put(b, lb)))
		return 0;
	evtchn_simple(EVTCHNOP_send, xb_evtchn);
	for (;;) {
		if (!xb_get(&h, sizeof(h)) || h.len > 4096 || !xb_get(xb_reply, h.len))
			return 0;
		xb_reply[h.len] = '\0';
		if (h.type == XS_WATCH_EVENT)
			continue;
		xb_reply_type = h.type;
		return h.req_id == xb_next_id++;
	}
}

int xb_read(const char *path, char *out, u32 max)
{
	if (!xb_request(XS_READ, path, NULL) || xb_reply_type != XS_READ)
		return 0;
	snprintf(out, max, "%s", xb_reply);
	return 1;
}

int xb_write(const char *path, const char *val)
{
	return xb_request(XS_WRITE, path, val) && xb_reply_type == XS_WRITE;
}

int xb_watch(const char *path, const char *token)
{
	return xb_request(XS_WATCH, path, token) && xb_reply_type == XS_WATCH;
}

int xb_write_uint(const char *path, u32 v)
{
	char s[16];

	snprintf(s, sizeof(s), "%u", v);
	return xb_write(path, s);
}

u32 xb_read_uint(const char *path)
{
	char s[32], *p = s;
	u32 v = 0;

	if (!xb_read(path, s, sizeof(s)) || !*p)
		return ~0u;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return ~0u;
		v = v * 10 + (u32)(*p - '0');
	}
	return v;
}
