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
 */
typedef struct {
	int locked;
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
 * lockdep's check that the lock is held, for the tests: any holder counts
 * (the host tests run one vCPU thread at a time).  Off in the benchmark.
 */
#ifdef PVMX_BENCH
#define lockdep_assert_held(l)	((void)(l))
#else
#define lockdep_assert_held(l)						\
	do {								\
		if (!spin_is_locked(l)) {				\
			fprintf(stderr, "pvmx: %s: VM lock not held\n", __func__); \
			__builtin_trap();				\
		}							\
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
