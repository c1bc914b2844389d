// SPDX-License-Identifier: GPL-2.0
/*
 * block: SCHEDOP_block with nothing bound, forever (the launcher's
 * --timeout and SIGINT must still end it).  Prints "blocking" first.
 */
#include "runtime.h"

void test_main(void)
{
	u32 n = 0;

	printf("blocking\n");
	for (;;) {
		sched_op(SCHEDOP_block, NULL);
		if (++n % 1000 == 0)
			printf("block: woke %u times\n", n);
	}
}
