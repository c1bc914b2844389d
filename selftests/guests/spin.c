// SPDX-License-Identifier: GPL-2.0
/* spin: prints "spinning" and loops forever (for --timeout and signals). */
#include "runtime.h"

void test_main(void)
{
	volatile u32 n = 0;

	printf("spinning\n");
	for (;;)
		n++;
}
