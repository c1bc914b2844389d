// SPDX-License-Identifier: GPL-2.0
/*
 * busy: a long run of hypercalls with console output, for the tests that
 * move the launcher between host CPUs (affinity flips, CPU hotplug) while the
 * vCPU runs.  n=<iterations> on the command line (default 20000); each
 * iteration does SCHEDOP_yield and XENVER_version and checks both results,
 * and also checks that a register-held running sum survives.  Progress every
 * n/10 iterations, then "busy: done" and the KTAP totals.
 */
#include "runtime.h"

void test_main(void)
{
	u32 n = cmdline_uint(start_info->cmd_line, "n", 20000);
	u32 step = n / 10 ? n / 10 : 1;
	u32 i, bad_yield = 0, bad_version = 0, sum = 0, want_sum = 0;
	long ver, r;

	test_plan(4);
	ver = xen_version(XENVER_version, NULL);
	CHECK(ver > 0, "xen_version_positive");
	printf("busy: %u iterations of yield + xen_version (0x%x)\n", n, (u32)ver);

	for (i = 1; i <= n; i++) {
		r = sched_op(SCHEDOP_yield, NULL);
		if (r != 0 && bad_yield++ < 5)
			test_diag("  iteration %u: yield returned %d", i, (int)r);
		r = xen_version(XENVER_version, NULL);
		if (r != ver && bad_version++ < 5)
			test_diag("  iteration %u: xen_version returned 0x%x", i, (u32)r);
		sum = sum * 31 + (u32)r + i;
		want_sum = want_sum * 31 + (u32)ver + i;
		if (i % step == 0)
			printf("busy: %u/%u checksum 0x%08x\n", i, n, sum);
	}
	CHECK_EQ(bad_yield, 0, "every_yield_returned_0");
	CHECK_EQ(bad_version, 0, "every_xen_version_matched");
	CHECK(sum == want_sum, "checksum_matches");
	printf("busy: done %u iterations, checksum 0x%08x\n", n, sum);
}
