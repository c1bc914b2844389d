// SPDX-License-Identifier: GPL-2.0
/*
 * shutdown: sched_op(SCHEDOP_shutdown) with the reason given on the command
 * line (`reason=N`, default 0); the launcher exits 0 for poweroff and
 * 10 + reason otherwise.
 */
#include "runtime.h"

void test_main(void)
{
	u32 reason = cmdline_uint(start_info->cmd_line, "reason", 0);

	printf("shutdown: cmdline \"%s\", shutting down with reason %u\n",
	       start_info->cmd_line, reason);
	shutdown(reason);
}
