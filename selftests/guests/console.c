// SPDX-License-Identifier: GPL-2.0
/*
 * console_io (hypercall 18): write, a write longer than one
 * PVMX_EXIT_CONSOLE chunk (2048), bad buffers, read, unknown commands.
 *
 * The long write is 100 lines "CONnnn:" + 42 letters + '\n' (5000 bytes),
 * letter j of line i = 'a' + (i + j) % 26; the test script checks every
 * line arrived, in order, and the sum/len on the "console-check" line.
 */
#include "runtime.h"

#define LINES		100
#define LINE_LEN	50
#define BIG		(LINES * LINE_LEN)

void test_main(void)
{
	static char big[BIG];
	char rbuf[16];
	u32 sum = 0;
	unsigned i, j;
	long r;

	test_plan(7);

	CHECK_EQ(console_io(CONSOLEIO_write, 6, "hello\n"), 0, "write_returns_0");
	CHECK_EQ(console_io(CONSOLEIO_write, 0, "x"), 0, "write_zero_bytes_returns_0");

	for (i = 0; i < LINES; i++) {
		char *l = big + i * LINE_LEN;

		snprintf(l, 8, "CON%03u:", i);
		for (j = 0; j < LINE_LEN - 8; j++)
			l[7 + j] = 'a' + (i + j) % 26;
		l[LINE_LEN - 1] = '\n';
	}
	for (i = 0; i < BIG; i++)
		sum += (u8)big[i];
	r = console_io(CONSOLEIO_write, BIG, big);
	printf("console-check: sum=%u len=%u\n", sum, BIG);
	CHECK_EQ(r, 0, "write_5000_bytes_returns_0");

	CHECK_EQ(console_io(CONSOLEIO_write, 16, (void *)XEN_HYPERVISOR_VIRT_START),
		 -XEN_EFAULT, "write_bad_buffer_efault");

	memset(rbuf, 0, sizeof(rbuf));
	CHECK_EQ(console_io(CONSOLEIO_read, sizeof(rbuf), rbuf), 0, "read_returns_0");
	CHECK_EQ(console_io(7, 4, rbuf), -XEN_ENOSYS, "unknown_cmd_enosys");
	CHECK_EQ(console_io(0x1234, 4, rbuf), -XEN_ENOSYS, "unknown_cmd_0x1234_enosys");
}
