// SPDX-License-Identifier: GPL-2.0
/*
 * crash_pf: read an unmapped address with no trap table registered.  The
 * #PF has nowhere to go, so the hypervisor crashes the guest (launcher exit
 * 20, reason naming vector 14 and the address).
 */
#include "runtime.h"

#define UNMAPPED_VA	0x40000000u

void test_main(void)
{
	u32 v;

	printf("crash_pf: reading unmapped address 0x%08x\n", UNMAPPED_VA);
	v = *(volatile u32 *)UNMAPPED_VA;
	printf("crash_pf: FAIL: read 0x%x from an unmapped address\n", v);
}
