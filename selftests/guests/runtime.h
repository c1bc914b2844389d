/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pvmx test-guest runtime: types, hypercall wrappers, console output, a
 * tiny printf and a KTAP test API.  Guests are freestanding 32-bit ring-1
 * Xen PV kernels; see head.S, notes.c and runtime.c.
 */
#ifndef _GUEST_RUNTIME_H
#define _GUEST_RUNTIME_H

#include <pvmx/xen_abi.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef unsigned int size_t;
typedef __builtin_va_list va_list;
#define va_start(ap, last)	__builtin_va_start(ap, last)
#define va_arg(ap, type)	__builtin_va_arg(ap, type)
#define va_end(ap)		__builtin_va_end(ap)

#define NULL		((void *)0)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE_SIZE	4096u
#define noreturn	__attribute__((noreturn))

/* The page Xen (pvmx) fills with 32-byte stubs: mov $nr,%eax; int $0x82; ret. */
extern u8 hypercall_page[4096];
/* Image bounds and VIRT_BASE (linker script). */
extern u8 _image_start[], _end[], __virt_base[];

/* The start_info page the hypervisor gave us (ESI at entry). */
extern struct xen_start_info *start_info;

/*
 * Call hypercall slot nr through the hypercall page.  All five argument
 * registers are treated as clobbered (a debug Xen clobbers them).
 */
static inline long hypercall5(unsigned nr, u32 a1, u32 a2, u32 a3, u32 a4, u32 a5)
{
	long ret;
	u32 b = a1, c = a2, d = a3, s = a4, D = a5;

	asm volatile("call hypercall_page + %c[off]"
		     : "=a"(ret), "+b"(b), "+c"(c), "+d"(d), "+S"(s), "+D"(D)
		     : [off] "i"(nr * 32)
		     : "memory", "cc");
	return ret;
}
#define hypercall(nr, a1, a2, a3, a4, a5) \
	hypercall5((nr), (u32)(a1), (u32)(a2), (u32)(a3), (u32)(a4), (u32)(a5))

/* The same without the page: `int $0x82` with EAX = nr (any 32-bit value). */
static inline long raw_hypercall5(u32 nr, u32 a1, u32 a2, u32 a3, u32 a4, u32 a5)
{
	long ret;
	u32 b = a1, c = a2, d = a3, s = a4, D = a5;

	asm volatile("int $0x82"
		     : "=a"(ret), "+b"(b), "+c"(c), "+d"(d), "+S"(s), "+D"(D)
		     : "a"(nr)
		     : "memory", "cc");
	return ret;
}
#define raw_hypercall(nr, a1, a2, a3, a4, a5) \
	raw_hypercall5((u32)(nr), (u32)(a1), (u32)(a2), (u32)(a3), (u32)(a4), (u32)(a5))

static inline long xen_version(int cmd, void *arg)
{
	return hypercall(__HYPERVISOR_xen_version, cmd, arg, 0, 0, 0);
}

static inline long console_io(int cmd, u32 count, const void *buf)
{
	return hypercall(__HYPERVISOR_console_io, cmd, count, buf, 0, 0);
}

static inline long sched_op(int cmd, void *arg)
{
	return hypercall(__HYPERVISOR_sched_op, cmd, arg, 0, 0, 0);
}

static inline long update_va_mapping(u32 va, u64 pte, u32 flags)
{
	return hypercall(__HYPERVISOR_update_va_mapping, va, (u32)pte,
			 (u32)(pte >> 32), flags, 0);
}

static inline long mmu_update(const struct mmu_update *req, u32 count, u32 *done,
			      u32 foreigndom)
{
	return hypercall(__HYPERVISOR_mmu_update, req, count, done, foreigndom, 0);
}

static inline long mmuext_op(const struct mmuext_op *op, u32 count, u32 *done,
			     u32 foreigndom)
{
	return hypercall(__HYPERVISOR_mmuext_op, op, count, done, foreigndom, 0);
}

static inline u32 read_cs(void)
{
	u32 cs;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 0xffff;
}

/*
 * Run entry in ring 3 (flat user selectors, IF on) on the stack ending at
 * stack_top; returns once a ring-1 handler resumes at ring3_exit.
 */
void enter_ring3(const void *entry, u32 stack_top);
extern u8 ring3_exit[];

/* Pseudo-physical frame of a VA, and its machine frame (start_info->mfn_list). */
u32 va_to_pfn(const void *va);
u32 va_to_mfn(const void *va);
/* The VA of a machine frame of RAM (a P2M search); crashes the guest if none. */
void *mfn_to_va(u64 mfn);

/* Strings and memory. */
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
const char *strstr(const char *h, const char *n);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
/* Value of KEY=<number> in s (decimal or 0x hex), or dflt. */
u32 cmdline_uint(const char *s, const char *key, u32 dflt);

/* Output through console_io(CONSOLEIO_write).  %s %d %u %x %c %p, width, 0. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void puts_n(const char *s, size_t n);

/* Shut down with a SHUTDOWN_* reason; never returns. */
noreturn void shutdown(u32 reason);

/*
 * KTAP test API.  test_plan(n) prints the header; each check prints one
 * `ok N name` / `not ok N name` line; test_done() prints the totals and
 * powers off when everything passed, or shuts down with SHUTDOWN_crash.
 */
void test_plan(unsigned n);
int test_check(int pass, const char *name);
void test_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void test_done(void);
extern unsigned test_failed;

#define CHECK(cond, name) test_check(!!(cond), name)
/* Check a signed result against an exact expected value, print both on failure. */
#define CHECK_EQ(got, want, name) ({					\
	long _g = (long)(got), _w = (long)(want);			\
	if (!test_check(_g == _w, name))				\
		test_diag("  got %d (0x%x), want %d (0x%x)",		\
			  (int)_g, (u32)_g, (int)_w, (u32)_w);		\
	_g == _w;							\
})

/* Each guest provides this; it returns into test_done() (or shuts down itself). */
void test_main(void);


/*
 * ---- PV ABI helpers (traps, events, time): runtime.c -------------------
 * The argument layouts (struct xen_trap_info, xen_multicall_entry,
 * xen_callback_register, evtchn_*) are in <pvmx/xen_abi.h>.
 */

static inline long set_trap_table(const void *t)
{
	return hypercall(__HYPERVISOR_set_trap_table, t, 0, 0, 0, 0);
}
static inline long stack_switch(u32 ss, u32 esp)
{
	return hypercall(__HYPERVISOR_stack_switch, ss, esp, 0, 0, 0);
}
static inline long set_callbacks(u32 ecs, void *eip, u32 fcs, void *feip)
{
	return hypercall(__HYPERVISOR_set_callbacks, ecs, eip, fcs, feip, 0);
}
static inline long callback_op(int cmd, void *arg)
{
	return hypercall(__HYPERVISOR_callback_op, cmd, arg, 0, 0, 0);
}
static inline long evtchn_op(int cmd, void *arg)
{
	return hypercall(__HYPERVISOR_event_channel_op, cmd, arg, 0, 0, 0);
}
static inline long vcpu_op(int cmd, u32 vcpu, void *arg)
{
	return hypercall(__HYPERVISOR_vcpu_op, cmd, vcpu, arg, 0, 0);
}
static inline long multicall(void *list, u32 nr)
{
	return hypercall(__HYPERVISOR_multicall, list, nr, 0, 0, 0);
}
static inline long set_timer_op(u64 t)
{
	return hypercall(__HYPERVISOR_set_timer_op, (u32)t, (u32)(t >> 32), 0, 0, 0);
}
static inline long fpu_taskswitch(int set)
{
	return hypercall(__HYPERVISOR_fpu_taskswitch, set, 0, 0, 0, 0);
}

/* Wait up to ms for port to be pending (SCHEDOP_poll), then clear it: 1, or 0 on timeout. */
int wait_port(u32 port, u32 ms);
long evtchn_simple(int cmd, u32 port);	/* close, send, unmask */
long evtchn_bind_virq(u32 virq, u32 vcpu, u32 *port);
long evtchn_status_of(u32 port, struct evtchn_status *st);

/*
 * A xenbus client on the store ring (start_info->store_mfn/store_evtchn),
 * one request at a time, watch events skipped.  xb_init() maps shared_info
 * if needed.  Paths relative to /local/domain/<domid> or absolute.
 */
void xb_init(void);
u32 xb_port(void);
/* 1 on success; xb_read() NUL-terminates what fits in max. */
int xb_read(const char *path, char *out, u32 max);
int xb_write(const char *path, const char *val);
int xb_write_uint(const char *path, u32 v);
/* Register a watch; its events wake the store port and are then skipped. */
int xb_watch(const char *path, const char *token);
/* The node as a decimal number, or ~0u when absent or not a number. */
u32 xb_read_uint(const char *path);

/*
 * shared_info, mapped by map_shared_info() (update_va_mapping); NULL until
 * then.  need_shared_info() maps it if needed, or crashes the guest with the
 * reason; now_ns() and wait_port() go through it, so they work before a
 * guest's own map_shared_info().
 */
extern struct xen_shared_info *shared_info;
struct xen_shared_info *map_shared_info(void);
struct xen_shared_info *need_shared_info(void);
#define vcpu0 (&shared_info->vcpu_info[0])
static inline void barrier(void) { asm volatile("" ::: "memory"); }
static inline void mb(void) { asm volatile("lock; addl $0,0(%%esp)" ::: "memory"); }
static inline int test_bit(const volatile u32 *w, u32 b) { return (w[b / 32] >> (b % 32)) & 1; }
static inline void set_bit(volatile u32 *w, u32 b) { asm volatile("lock; btsl %1,%0" : "+m"(w[b / 32]) : "Ir"(b % 32) : "memory"); }
static inline void clear_bit(volatile u32 *w, u32 b) { asm volatile("lock; btrl %1,%0" : "+m"(w[b / 32]) : "Ir"(b % 32) : "memory"); }
static inline u8 upcall_mask(void) { return *(volatile u8 *)&vcpu0->evtchn_upcall_mask; }
static inline void set_upcall_mask(u8 m) { *(volatile u8 *)&vcpu0->evtchn_upcall_mask = m; barrier(); }
static inline u8 upcall_pending(void) { return *(volatile u8 *)&vcpu0->evtchn_upcall_pending; }
/* The PV console ring (start_info->console_mfn), or NULL. */
struct xen_console_ring *console_ring(void);
/*
 * Which vCPU is running.  The runtime tells its vCPUs apart by their stacks,
 * as i386 Linux once found its thread_info: vCPU 0 runs on the boot stack
 * (head.S); a guest that starts vCPU n names the stacks it gives it (the
 * context's ESP and kernel_sp) with vcpu_stack(n, base, size) before
 * VCPUOP_up.  smp_id() is the vCPU whose stack ESP is on.  An ESP on no
 * named stack is vCPU 0 while no other vCPU has one (a uniprocessor guest's
 * stack_switch stack); once one has, the guest is crashed with the reason.
 */
#define MAX_VCPU_STACKS	16
void vcpu_stack(u32 id, const void *base, u32 size);
u32 smp_id(void);
/*
 * System time in ns from the calling vCPU's vcpu_info[smp_id()].time, with
 * Xen's version protocol (odd: an update is in progress, read again); maps
 * shared_info on first use.  vcpu_now_ns(id) reads vCPU id's record (the
 * TSC is stable, so any vCPU's record gives the time; Linux reads its own).
 */
u64 now_ns(void);
u64 vcpu_now_ns(u32 id);
/*
 * vCPU id's record itself, not extrapolated: its system_time and, if
 * version is not NULL, the (even) version it was read at.
 */
u64 vcpu_record_ns(u32 id, u32 *version);
u64 div64(u64 n, u32 d);
static inline u64 rdtsc(void) { u32 lo, hi; asm volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }

/*
 * Trap capture.  trap_stub_<vec> (vectors 0 3 6 7 13 14 0x40 0x41 0x80 0x82,
 * and trap_stub_alt which records vector 0x106) log the frame into
 * trap_log[], replace the frame's EIP by trap_resume[vec] (or trap_resume_any)
 * when nonzero, call trap_hook, then return with the iret hypercall, or with
 * a hardware iret when trap_hw_iret is set.  Event upcalls: event_stub logs
 * vector 0x100 and calls event_hook (which should clear pending bits).
 */
struct trap_record {
	u32 vector, has_ec, esp, handler_cs, mask, cr2, eax;
	u32 w[8];
};
#define TRAP_LOG	32
extern volatile struct trap_record trap_log[TRAP_LOG];
extern volatile u32 trap_count, trap_hw_iret, trap_resume_any;
extern volatile u32 trap_resume[256];
extern void (*volatile trap_hook)(u32 vec, u32 *frame);
extern void (*volatile event_hook)(u32 *frame);
extern u8 trap_stub_0[], trap_stub_3[], trap_stub_6[], trap_stub_7[], trap_stub_13[],
	trap_stub_14[], trap_stub_64[], trap_stub_65[], trap_stub_128[], trap_stub_130[],
	trap_stub_alt[], event_stub[];
/* The last record (trap_count > 0), or a zeroed one. */
const volatile struct trap_record *last_trap(void);
/* Check a frame word; print got/want on failure. */
int check_word(const char *what, u32 got, u32 want);
#define EFLAGS_IF	0x200u

#endif
