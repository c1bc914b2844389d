// SPDX-License-Identifier: GPL-2.0
/*
 * crash: `ud2` with no trap table registered.  Nowhere to deliver #UD, so the
 * hypervisor crashes the guest (launcher exit 20, reason naming vector 6 and
 * the eip printed below).  Stage 1 gives the host (selftests/crash_test.c,
 * guest_crash_ud2) that eip.
 */
#include "guest_sync.h"

extern u8 crash_ud2[];

void test_main(void)
{
	printf("crash: executing ud2 at eip 0x%08x\n", (u32)crash_ud2);
	GUEST_SYNC(1, (u32)crash_ud2);
	asm volatile(".globl crash_ud2\ncrash_ud2: ud2");
	printf("crash: FAIL: execution continued after ud2\n");
	GUEST_ASSERT(!"execution continued after ud2");
}
