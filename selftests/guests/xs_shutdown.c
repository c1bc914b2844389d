// SPDX-License-Identifier: GPL-2.0
/*
 * `pvmx run --shutdown-after S`: the launcher writes "poweroff" to
 * control/shutdown as `xl shutdown` does.  This guest does what Linux's
 * drivers/xen/manage.c does with it: a watch on control/shutdown, the
 * value read and cleared (written back empty), then the shutdown asked
 * for.  Without the request within wait_s seconds (cmdline, default 20)
 * the test fails and the guest crashes.
 */
#include "runtime.h"

void test_main(void)
{
	u32 wait_s = cmdline_uint(start_info->cmd_line, "wait_s", 20);
	char val[32] = "";
	u64 end;

	test_plan(4);
	/* now_ns() reads shared_info: mapped first. */
	if (!map_shared_info())
		test_diag("shared_info not mapped");
	end = now_ns() + (u64)wait_s * 1000000000ull;
	xb_init();
	test_check(xb_watch("control/shutdown", "shutdown"), "watch_control_shutdown");
	while (now_ns() < end) {
		if (!xb_read("control/shutdown", val, sizeof(val)))
			val[0] = '\0';
		if (val[0])
			break;
		wait_port(xb_port(), 200);
	}
	if (!test_check(!strcmp(val, "poweroff"), "request_is_poweroff"))
		test_diag("control/shutdown is '%s' after %u s", val, wait_s);
	test_check(xb_write("control/shutdown", ""), "request_cleared");
	val[0] = 'x';
	test_check(xb_read("control/shutdown", val, sizeof(val)) && !val[0], "cleared_reads_empty");
	printf("XS-SHUTDOWN: powering off\n");
	test_done();
}
