/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host flavour of the kernel environment the core (module/ without
 * x86/) uses, so the same sources build into unit tests and fuzzers.
 */
#ifndef _PVMX_CORE_ENV_HOST_H
#define _PVMX_CORE_ENV_HOST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64;	/* as the kernel has it: %llx works */
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef long long s64;

#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))
#define min_t(type, a, b)	((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define fallthrough		__attribute__((__fallthrough__))
#define BIT(n)			(1UL << (n))
#define BIT_ULL(n)		(1ULL << (n))
#define __packed		__attribute__((__packed__))
#define noinline_for_stack	__attribute__((__noinline__))
#define __printf(a, b)		__attribute__((format(printf, a, b)))

/*
 * The VM lock for unit tests and fuzzers: a spinlock that aborts on
 * recursion, so a test catches a path that would deadlock in the kernel.
 * It records its holder for lockdep_assert_held() below; the benchmark
 * (PVMX_BENCH) counts instructions and keeps the bare flag.
 */
#ifndef PVMX_BENCH
/* A byte per thread, whose address names the thread (tests/unit/fixture.c). */
extern __thread char pvmx_host_thread;
#endif

typedef struct {
	int locked;
#ifndef PVMX_BENCH
	const char *owner;	/* &pvmx_host_thread of the holder, while locked */
#endif
} spinlock_t;

static inline void spin_lock_init(spinlock_t *l)
{
	l->locked = 0;
}

static inline void spin_lock(spinlock_t *l)
{
	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		fprintf(stderr, "pvmx: VM lock taken twice\n");
		__builtin_trap();
	}
#ifndef PVMX_BENCH
	l->owner = &pvmx_host_thread;
#endif
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(spinlock_t *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED);
}

/*
 * lockdep's checks, for the tests: held means held by the calling thread
 * (lockdep's "held by current"), so a thread that calls into the core
 * while another one holds the lock traps too.  A trap, not a report: the
 * tests see the process die of SIGILL (test_locking.c).  Off in the
 * benchmark, without evaluating anything: a bare ((void)(l)) already moves
 * instructions around there (the kernel's do { (void)(l); } while (0) does
 * not).
 */
#ifdef PVMX_BENCH
#define lockdep_assert(c)	do { } while (0)
#define lockdep_assert_held(l)	do { } while (0)
#else
static inline bool lockdep_is_held(spinlock_t *l)
{
	return spin_is_locked(l) && l->owner == &pvmx_host_thread;
}

#define pvmx_host_lockdep_fail(what)					\
	do {								\
		fprintf(stderr, "pvmx: %s: %s\n", __func__, what);	\
		__builtin_trap();					\
	} while (0)
#define lockdep_assert(c)						\
	do {								\
		if (!(c))						\
			pvmx_host_lockdep_fail("lockdep_assert(" #c ") failed"); \
	} while (0)
#define lockdep_assert_held(l)						\
	do {								\
		if (!lockdep_is_held(l))				\
			pvmx_host_lockdep_fail("VM lock not held");	\
	} while (0)
#endif

/*
 * The unit tests' hook into pvmx_prepare_entry_slow(), after it took the
 * entry word and read every field, just before it returns: a test sets
 * state and bits there, as a writer racing the slow path would, and
 * checks the next entry does the work.  Not in the kernel.
 */
struct pvmx_vcpu_core;
extern void (*pvmx_entry_slow_test_hook)(struct pvmx_vcpu_core *v);
#define pvmx_entry_slow_hook(v)					\
	do {								\
		if (unlikely(pvmx_entry_slow_test_hook))			\
			pvmx_entry_slow_test_hook(v);			\
	} while (0)

#endif /* _PVMX_CORE_ENV_HOST_H */
