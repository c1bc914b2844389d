/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stages a C host test can check between, after KVM's selftests
 * (tools/testing/selftests/kvm/include/ucall_common.h):
 *
 *   GUEST_SYNC(stage, value)   stop; the host's pvmx_test_run() returns
 *                              PVMX_TEST_SYNC with both, checks what it
 *                              likes (registers, statistics, guest RAM),
 *                              may raise events, and runs the guest on
 *   GUEST_ASSERT(cond)         if cond is false: PVMX_TEST_ASSERT with this
 *   GUEST_ASSERT_EQ(a, b)      file and line, the text and (EQ) both values;
 *                              the guest never goes on past it
 *   GUEST_DONE()               PVMX_TEST_DONE; the guest powers off after it
 *
 * The channel (selftests/lib/pvmx_sync.h) is start_info's xenstore page and
 * port, so a guest using these has no xenstore.  Under plain `pvmx run`
 * (no host header in the page) the calls print what they would have sent:
 * a failed assertion crashes the guest (SHUTDOWN_crash), GUEST_DONE powers
 * it off.  Link guest_sync.o (SYNC_GUESTS in the Makefile).
 */
#ifndef _GUEST_SYNC_H
#define _GUEST_SYNC_H

#include "runtime.h"

void guest_sync(u32 stage, u64 value);
noreturn void guest_done(void);
noreturn void guest_assert_fail(const char *file, u32 line, const char *text,
				u32 nr_values, u64 a, u64 b);

#define GUEST_SYNC(stage, value)	guest_sync((stage), (u64)(value))
#define GUEST_DONE()			guest_done()

#define GUEST_ASSERT(cond) do {						\
	if (!(cond))							\
		guest_assert_fail(__FILE__, __LINE__, #cond, 0, 0, 0);	\
} while (0)

/* Both sides as 64-bit values (a negative long sign-extended). */
#define GUEST_ASSERT_EQ(a, b) do {					\
	u64 _ga = (u64)(a), _gb = (u64)(b);				\
									\
	if (_ga != _gb)							\
		guest_assert_fail(__FILE__, __LINE__, #a " == " #b, 2,	\
				  _ga, _gb);				\
} while (0)

#endif /* _GUEST_SYNC_H */
