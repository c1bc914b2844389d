// SPDX-License-Identifier: GPL-2.0
/*
 * hello: the demo guest.  Prints a friendly banner with its privilege level
 * and what the hypervisor says about itself, then powers off.  Also built as
 * notes_legacy.elf, notes_section.elf and highbase.elf (other image formats).
 */
#include "runtime.h"

extern u8 _start[];

void test_main(void)
{
	static char extra[XEN_EXTRAVERSION_LEN + 1];
	static char caps[XEN_CAPABILITIES_LEN + 1];
	u32 cpl = read_cs() & 3;
	long ver = xen_version(XENVER_version, NULL);

	xen_version(XENVER_extraversion, extra);
	xen_version(XENVER_capabilities, caps);

	printf("Hello from pvmx-test, a 32-bit Xen PV guest!\n");
	printf("  running in ring %u (CPL %u), image at %p, entry %p\n",
	       cpl, cpl, _image_start, _start);
	printf("  hypervisor: Xen %u.%u%s, capabilities \"%s\"\n",
	       (u32)ver >> 16, (u32)ver & 0xffff, extra, caps);
	printf("  start_info: magic \"%s\", %u pages, cmdline \"%s\"\n",
	       start_info->magic, start_info->nr_pages, start_info->cmd_line);
	if (cpl != 1) {
		printf("hello: FAIL: expected CPL 1 (a Xen PV kernel runs in ring 1)\n");
		shutdown(SHUTDOWN_crash);
	}
	if (ver <= 0) {
		printf("hello: FAIL: XENVER_version returned %d\n", (int)ver);
		shutdown(SHUTDOWN_crash);
	}
	printf("Bye.\n");
	shutdown(SHUTDOWN_poweroff);
}
