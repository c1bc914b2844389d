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
#define UVMF_INVLPG	2u

static inline u32 read_cs(void)
{
	u32 cs;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 0xffff;
}

/* Pseudo-physical frame of a VA, and its machine frame (start_info->mfn_list). */
u32 va_to_pfn(const void *va);
u32 va_to_mfn(const void *va);

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

#endif
