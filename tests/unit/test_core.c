// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the arch-neutral core: guest memory access and the
 * hypercall dispatcher, with Xen's exact results.
 */
#include <stdlib.h>
#include "harness.h"
#include "fixture.h"
#include "unit_tests.h"

int unit_failures;

#define XEN_ERR(e)	((u32)-(e))
#define BUF_VA		0x200000u

/* ---- guest memory ------------------------------------------------------ */

static void gmem_identity_and_page_crossing(void)
{
	char out[16] = { 0 };
	u64 gpa;

	CHECK_EQ(pvmx_gva_to_gpa(&fx.v, 0x123456, false, &gpa), 0);
	CHECK_EQ(gpa, 0x123456);
	memcpy(fx_gpa(0x1FF8), "abcdefghijklmnop", 16);
	CHECK_EQ(pvmx_copy_from_guest(&fx.v, out, 0x1FF8, 16), 0);
	CHECK(!memcmp(out, "abcdefghijklmnop", 16));
	/* Guest writes hold the VM lock (gmem.c asserts it). */
	spin_lock(&fx.vm.lock);
	CHECK_EQ(pvmx_copy_to_guest(&fx.v, 0x2FFC, "WXYZ1234", 8), 0);
	CHECK(!memcmp(fx_gpa(0x2FFC), "WXYZ1234", 8));
	CHECK_EQ(pvmx_clear_guest(&fx.v, 0x2FFE, 4), 0);
	spin_unlock(&fx.vm.lock);
	{
		static const char expect[8] = { 'W', 'X', 0, 0, 0, 0, '3', '4' };

		CHECK(!memcmp(fx_gpa(0x2FFC), expect, 8));
	}
}

static void gmem_refuses_bad_addresses(void)
{
	char buf[8];
	u64 gpa;

	/* The hypervisor hole, wrapping ranges, unmapped and read-only pages. */
	CHECK_EQ(pvmx_copy_from_guest(&fx.v, buf, XEN_HYPERVISOR_VIRT_START, 1), -XEN_EFAULT);
	CHECK_EQ(pvmx_copy_from_guest(&fx.v, buf, XEN_HYPERVISOR_VIRT_START - 4, 8), -XEN_EFAULT);
	CHECK_EQ(pvmx_copy_from_guest(&fx.v, buf, 0xFFFFFFFC, 8), -XEN_EFAULT);
	CHECK_EQ(pvmx_copy_from_guest(&fx.v, buf, FX_UNMAPPED_VA, 1), -XEN_EFAULT);
	CHECK_EQ(pvmx_copy_from_guest(&fx.v, buf, FX_RO_VA, 8), 0);
	spin_lock(&fx.vm.lock);
	CHECK_EQ(pvmx_copy_to_guest(&fx.v, FX_RO_VA, buf, 8), -XEN_EFAULT);
	CHECK_EQ(pvmx_copy_to_guest(&fx.v, FX_RO_VA - 4, buf, 8), -XEN_EFAULT);
	spin_unlock(&fx.vm.lock);
	/* An L1 entry naming a frame the VM does not have. */
	{
		u64 bad = (0x100000ULL << 12) | 0x23;

		memcpy(fx_gpa(0x105000 + 5 * 8), &bad, 8);
		CHECK_EQ(pvmx_gva_to_gpa(&fx.v, 0x5000, false, &gpa), 0);
		CHECK_EQ(pvmx_copy_from_guest(&fx.v, buf, 0x5000, 1), -XEN_EFAULT);
		/* Reserved bits 52..62 fault as on hardware. */
		bad = 0x0010000000006023ULL;
		memcpy(fx_gpa(0x105000 + 6 * 8), &bad, 8);
		CHECK_EQ(pvmx_gva_to_gpa(&fx.v, 0x6000, false, &gpa), -XEN_EFAULT);
	}
	CHECK_EQ(pvmx_gpa_read(&fx.vm.mem, (u64)(FX_RAM_FRAMES + 1) << 12, buf, 1), -XEN_EFAULT);
	CHECK_EQ(pvmx_gpa_read(&fx.vm.mem, ((u64)(FX_RAM_FRAMES + 1) << 12) - 4, buf, 8), -XEN_EFAULT);
}

static void gmem_large_page(void)
{
	u64 gpa;

	CHECK_EQ(pvmx_gva_to_gpa(&fx.v, FX_BIGPAGE_VA + 0x12345, true, &gpa), 0);
	CHECK_EQ(gpa, FX_BIGPAGE_VA + 0x12345);
	CHECK_EQ(pvmx_l1e_gpa(&fx.v, FX_BIGPAGE_VA, &gpa), -XEN_EINVAL);
}

/* ---- dispatcher -------------------------------------------------------- */

static void unknown_hypercalls_return_enosys(void)
{
	u32 ops[] = { 11, 60, 127, 128, 1000, 0xFFFFFFFF };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		CHECK_EQ(fx_hypercall(ops[i], 1, 2, 3, 4, 5), PVMX_RESUME);
		CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOSYS));
		CHECK_EQ(fx.v.cpu.eip, 0x1002);
		CHECK_EQ(fx.v.cpu.gpr[PVMX_EBX], 1);
	}
}

static void console_write_small(void)
{
	memcpy(fx_gpa(BUF_VA), "hello", 5);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 5, BUF_VA, 0, 0),
		 PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.run.exit_reason, PVMX_EXIT_CONSOLE);
	CHECK_EQ(fx.run.console.len, 5);
	CHECK(!memcmp(fx.run.console.data, "hello", 5));
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.cpu.eip, 0x1002);
	/* Zero bytes: nothing to show. */
	CHECK_EQ(fx_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 0, BUF_VA, 0, 0),
		 PVMX_RESUME);
	CHECK_EQ(fx_eax(), 0);
}

static void console_write_large_continues(void)
{
	static char out[5000];
	u32 total = 0, rounds = 0, i;

	for (i = 0; i < sizeof(out); i++)
		fx_gpa(BUF_VA)[i] = 'a' + i % 26;
	fx_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, sizeof(out), BUF_VA, 0, 0);
	for (;;) {
		CHECK_EQ(fx.run.exit_reason, PVMX_EXIT_CONSOLE);
		memcpy(out + total, fx.run.console.data, fx.run.console.len);
		total += fx.run.console.len;
		rounds++;
		if (fx.v.cpu.eip == 0x1002)
			break;
		/* Preempted: EIP still on the int, arguments rewritten. */
		CHECK_EQ(fx.v.cpu.eip, 0x1000);
		CHECK_EQ(fx.v.cpu.gpr[PVMX_ECX], sizeof(out) - total);
		CHECK_EQ(fx.v.cpu.gpr[PVMX_EDX], BUF_VA + total);
		if (rounds > 10)
			break;
		fx.run.exit_reason = PVMX_EXIT_NONE;
		pvmx_hypercall(&fx.v, 2);
	}
	CHECK_EQ(total, sizeof(out));
	CHECK_EQ(rounds, 3);
	CHECK(!memcmp(out, fx_gpa(BUF_VA), sizeof(out)));
	CHECK_EQ(fx_eax(), 0);
}

static void console_errors(void)
{
	fx_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 4, FX_UNMAPPED_VA, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
	CHECK_EQ(fx.run.exit_reason, PVMX_EXIT_NONE);
	fx_hypercall(__HYPERVISOR_console_io, CONSOLEIO_read, 16, BUF_VA, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	fx_hypercall(__HYPERVISOR_console_io, CONSOLEIO_read, 0x80000000u, BUF_VA, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_E2BIG));
	fx_hypercall(__HYPERVISOR_console_io, 7, 1, BUF_VA, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOSYS));
}

static void xen_version_values(void)
{
	u8 *buf = fx_gpa(BUF_VA);
	u32 i;

	fx_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), (4u << 16) | 19);

	memset(buf, 0xAA, 2048);
	fx_hypercall(__HYPERVISOR_xen_version, XENVER_extraversion, BUF_VA, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK(!strcmp((char *)buf, ".0-pvmx"));
	for (i = strlen((char *)buf); i < XEN_EXTRAVERSION_LEN; i++)
		CHECK_EQ(buf[i], 0);
	CHECK_EQ(buf[XEN_EXTRAVERSION_LEN], 0xAA);

	memset(buf, 0xAA, 2048);
	fx_hypercall(__HYPERVISOR_xen_version, XENVER_capabilities, BUF_VA, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK(!strcmp((char *)buf, "xen-3.0-x86_32p"));
	for (i = strlen((char *)buf); i < XEN_CAPABILITIES_LEN; i++)
		if (buf[i]) {
			CHECK_EQ(buf[i], 0);
			break;
		}
	CHECK_EQ(buf[XEN_CAPABILITIES_LEN], 0xAA);

	fx_hypercall(__HYPERVISOR_xen_version, XENVER_platform_parameters, BUF_VA, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(*(u32 *)buf, 0xF5800000u);

	fx_hypercall(__HYPERVISOR_xen_version, XENVER_pagesize, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), 4096);
	fx_hypercall(__HYPERVISOR_xen_version, XENVER_pagesize, BUF_VA, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));

	((u32 *)buf)[0] = 1;
	fx_hypercall(__HYPERVISOR_xen_version, XENVER_get_features, BUF_VA, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	((u32 *)buf)[0] = 0;
	fx_hypercall(__HYPERVISOR_xen_version, XENVER_get_features, BUF_VA, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(((u32 *)buf)[1], (1u << XENFEAT_pae_pgdir_above_4gb) |
		 (1u << XENFEAT_mmu_pt_update_preserve_ad) | (1u << XENFEAT_highmem_assist));

	fx_hypercall(__HYPERVISOR_xen_version, 0x7777, BUF_VA, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOSYS));
	fx_hypercall(__HYPERVISOR_xen_version, XENVER_capabilities, XEN_HYPERVISOR_VIRT_START, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
	fx_hypercall(__HYPERVISOR_xen_version, XENVER_capabilities, FX_RO_VA, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
}

static void sched_op_yield_and_shutdown(void)
{
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0), PVMX_YIELD);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op, 99, 0, 0, 0, 0), PVMX_RESUME);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOSYS));
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown, FX_UNMAPPED_VA, 0, 0, 0),
		 PVMX_RESUME);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
	CHECK_EQ(fx.v.state, PVMX_VCPU_RUNNABLE);

	*(u32 *)fx_gpa(BUF_VA) = SHUTDOWN_reboot;
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown, BUF_VA, 0, 0, 0),
		 PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.run.exit_reason, PVMX_EXIT_SHUTDOWN);
	CHECK_EQ(fx.run.shutdown.reason, SHUTDOWN_reboot);
	CHECK_EQ(fx.v.state, PVMX_VCPU_SHUTDOWN);
}

static void sched_op_compat_by_value(void)
{
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op_compat, SCHEDOP_shutdown, 0x103, 0, 0, 0),
		 PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.run.shutdown.reason, 3);	/* kept as a u8, like Xen */
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op_compat, SCHEDOP_block, 0, 0, 0, 0), PVMX_BLOCK);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op_compat, SCHEDOP_poll, 0, 0, 0, 0), PVMX_RESUME);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOSYS));
}

static void hypercall_page_layout(void)
{
	static const u8 slot1[] = { 0xB8, 1, 0, 0, 0, 0xCD, 0x82, 0xC3, 0xCC };
	static const u8 iret[] = { 0x50, 0xB8, 23, 0, 0, 0, 0xCD, 0x82, 0xCC };
	u8 page[4096];
	unsigned int i;

	pvmx_fill_hypercall_page(page);
	CHECK(!memcmp(page + 32, slot1, sizeof(slot1)));
	CHECK(!memcmp(page + 23 * 32, iret, sizeof(iret)));
	CHECK_EQ(page[127 * 32 + 1], 127);
	for (i = 0; i < 24; i++)
		CHECK_EQ(page[5 * 32 + 8 + i], 0xCC);
}

static void crash_records_reason(void)
{
	fx.v.cpu.eip = 0xC0DE;
	fx.v.cpu.cs = FLAT_RING1_CS;
	CHECK_EQ(pvmx_crash(&fx.v, PVMX_CRASH_UNHANDLED_TRAP, 6, 0, 0, "unhandled %s", "#UD"),
		 PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.run.exit_reason, PVMX_EXIT_CRASH);
	CHECK_EQ(fx.run.crash.vector, 6);
	CHECK_EQ(fx.run.crash.eip, 0xC0DE);
	CHECK(!strcmp(fx.run.crash.reason, "unhandled #UD"));
	CHECK_EQ(fx.v.state, PVMX_VCPU_CRASHED);
}

const struct unit_test core_tests[] = {
	UNIT_TEST(gmem_identity_and_page_crossing),
	UNIT_TEST(gmem_refuses_bad_addresses),
	UNIT_TEST(gmem_large_page),
	UNIT_TEST(unknown_hypercalls_return_enosys),
	UNIT_TEST(console_write_small),
	UNIT_TEST(console_write_large_continues),
	UNIT_TEST(console_errors),
	UNIT_TEST(xen_version_values),
	UNIT_TEST(sched_op_yield_and_shutdown),
	UNIT_TEST(sched_op_compat_by_value),
	UNIT_TEST(hypercall_page_layout),
	UNIT_TEST(crash_records_reason),
	{ NULL, NULL },
};

int main(void)
{
	const struct unit_test *const suites[] = { core_tests, trap_tests, event_tests,
						     stats_tests, emulate_tests, desc_tests, mm_tests, memory_tests, smp_tests, ptwr_tests,
						     xenabi_tests, debugreg_tests, locking_tests };
	unsigned int s, i, n = 0, passed = 0, failed = 0;

	for (s = 0; s < ARRAY_SIZE(suites); s++)
		for (i = 0; suites[s][i].fn; i++)
			n++;
	printf("TAP version 13\n1..%u\n", n);
	n = 0;
	for (s = 0; s < ARRAY_SIZE(suites); s++) {
		for (i = 0; suites[s][i].fn; i++) {
			fixture_setup();
			unit_failures = 0;
			suites[s][i].fn();
			fixture_teardown();
			printf("%sok %u %s\n", unit_failures ? "not " : "", ++n, suites[s][i].name);
			if (unit_failures)
				failed++;
			else
				passed++;
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
