// SPDX-License-Identifier: GPL-2.0
/*
 * crash_pf: read an unmapped address with no trap table registered.  The
 * #PF has nowhere to go, so the hypervisor crashes the guest (launcher exit
 * 20, reason naming vector 14 and the address).  Stage 1 gives the host
 * (selftests/crash_test.c, guest_crash_pf) the address of the load, stage 2
 * the address it reads.
 */
#include "guest_sync.h"

#define UNMAPPED_VA	0x40000000u

extern u8 crash_pf_load[];

void test_main(void)
{
	u32 v;

	printf("crash_pf: reading unmapped address 0x%08x\n", UNMAPPED_VA);
	GUEST_SYNC(1, (u32)crash_pf_load);
	GUEST_SYNC(2, UNMAPPED_VA);
	asm volatile(".globl crash_pf_load\ncrash_pf_load: movl (%1), %0"
		     : "=r"(v) : "r"(UNMAPPED_VA) : "memory");
	printf("crash_pf: FAIL: read 0x%x from an unmapped address\n", v);
	GUEST_ASSERT(!"read from an unmapped address");
}
