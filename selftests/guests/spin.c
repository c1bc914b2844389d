// SPDX-License-Identifier: GPL-2.0
/*
 * spin: prints "spinning" and loops forever (for --timeout and signals).
 * With `--cmdline cpuid=1` the loop runs CPUID, so the vCPU exits all the
 * time through the run loop's fast exit (Documentation/design.rst): a
 * signal and the timeout must still stop it.
 */
#include "runtime.h"

void test_main(void)
{
	volatile u32 n = 0;
	u32 a, b, c, d;

	if (cmdline_uint(start_info->cmd_line, "cpuid", 0)) {
		printf("spinning on cpuid\n");
		for (;;) {
			a = 0;
			c = 0;
			asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
			n++;
		}
	}
	printf("spinning\n");
	for (;;)
		n++;
}
