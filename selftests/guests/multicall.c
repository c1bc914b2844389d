// SPDX-License-Identifier: GPL-2.0
/*
 * multicall (13) (Documentation/guest-abi.rst "multicall"): per-entry results,
 * the multicall's own 0, only `result` written, -EFAULT for a bad list,
 * nr_calls 0, nested multicall -EINVAL, an iret entry ending the batch, a
 * 6000-entry batch of one-character console writes and xen_version calls (every
 * console entry exits to the launcher: continuations), and a 5000-byte console
 * write inside a multicall (entry continuation).
 *
 * Output the suite checks: "MCPAT:" + 3000 chars + '\n' where char k is
 * 'a' + k % 26; "MCBIG:" + 4993 chars + '\n' where char k is 'A' + k % 26.
 *
 * mode=storm [batches=N]: N batches (10) of 2000 entries: 1000 console
 * writes of one char, 500 xen_version, 500 update_va_mapping toggling a
 * scratch PTE; each batch prints "MCSIG<b>:" + 1000 chars + '\n', char k
 * being 'a' + (k + b) % 26.  The suite signals the launcher meanwhile.
 */
#include "runtime.h"

#define NBIG	6000
#define BIGW	5000
static struct xen_multicall_entry big[NBIG];
static char pat[NBIG / 2], bigw[BIGW];
static long version;

static void fill(struct xen_multicall_entry *e, u32 op, u32 a0, u32 a1, u32 a2, u32 a3, u32 a4)
{
	e->op = op;
	e->result = 0xAAAAAAAA;
	e->args[0] = a0, e->args[1] = a1, e->args[2] = a2, e->args[3] = a3, e->args[4] = a4;
	e->args[5] = 0x55555555;
}

/* mc_iret(list, nr): multicall with an iret frame [EAX EIP CS EFLAGS] on the stack. */
long mc_iret(void *list, u32 nr);
u32 mc_iret_esp, mc_iret_landed_esp, mc_iret_fellthrough;
extern u8 mc_landing[];
asm(".text\n"
    "mc_iret:\n"
    "	push %ebp\n	push %ebx\n	push %esi\n	push %edi\n"
    "	mov 20(%esp), %ebx\n	mov 24(%esp), %ecx\n"
    "	mov %esp, mc_iret_esp\n"
    "	push $0x2\n	push $0xE019\n	push $mc_landing\n	push $0x5EED1234\n"
    "	mov $13, %eax\n"
    "	int $0x82\n"
    "	movl $1, mc_iret_fellthrough\n"
    "	add $16, %esp\n"
    "mc_landing:\n"
    "	mov %esp, mc_iret_landed_esp\n"
    "	pop %edi\n	pop %esi\n	pop %ebx\n	pop %ebp\n"
    "	ret\n");

static void storm(void)
{
	static struct xen_multicall_entry e[2000];
	static char chars[1000];
	static u8 scratch[2][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
	static u8 window[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
	u32 nb = cmdline_uint(start_info->cmd_line, "batches", 10), b, i, bad = 0;
	u64 pte[2];

	test_plan(nb + 1);
	scratch[0][0] = 0x11;
	scratch[1][0] = 0x22;
	for (i = 0; i < 2; i++)
		pte[i] = ((u64)va_to_mfn(scratch[i]) << 12) | 0x63;
	for (b = 0; b < nb; b++) {
		u32 c = 0, v = 0, t = 0;

		for (i = 0; i < 1000; i++)
			chars[i] = 'a' + (i + b) % 26;
		for (i = 0; i < 2000; i++) {
			if (i % 2 == 0) {
				fill(&e[i], __HYPERVISOR_console_io, CONSOLEIO_write, 1,
				     (u32)&chars[c++], 0, 0);
			} else if (i % 4 == 1) {
				fill(&e[i], __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
				v++;
			} else {
				u64 p = pte[t++ & 1];

				fill(&e[i], __HYPERVISOR_update_va_mapping, (u32)window, (u32)p,
				     (u32)(p >> 32), UVMF_INVLPG, 0);
			}
		}
		printf("MCSIG%u:", b);
		bad = multicall(e, 2000) != 0;
		printf("\n");
		for (i = 0; i < 2000; i++) {
			u32 want = e[i].op == __HYPERVISOR_xen_version ? (u32)version : 0;

			if (e[i].result != want) {
				if (bad++ < 4)
					test_diag("  batch %u entry %u (op %u): result 0x%x, want 0x%x",
						  b, i, e[i].op, e[i].result, want);
			}
		}
		/* 500 toggles: the last one mapped scratch[1]. */
		if (window[0] != 0x22) {
			test_diag("  batch %u: window reads 0x%x, want 0x22", b, window[0]);
			bad++;
		}
		test_check(!bad, "storm_batch_results");
	}
	/* Put the window page back. */
	update_va_mapping((u32)window, ((u64)va_to_mfn(window) << 12) | 0x63, UVMF_INVLPG);
	CHECK(1, "storm_done");
}

void test_main(void)
{
	static struct xen_multicall_entry m[8];
	static struct xen_multicall_entry copy[8];
	u32 i, bad;
	long r;
	int ok;

	if (strstr(start_info->cmd_line, "mode=storm")) {
		version = xen_version(XENVER_version, NULL);
		storm();
		return;
	}
	test_plan(19);
	version = xen_version(XENVER_version, NULL);

	fill(&m[0], __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	fill(&m[1], 60, 1, 2, 3, 4, 5);
	fill(&m[2], __HYPERVISOR_multicall, (u32)&m[0], 1, 0, 0, 0);
	fill(&m[3], __HYPERVISOR_console_io, 0xDEAD, 0, 0, 0, 0);
	fill(&m[4], __HYPERVISOR_xen_version, XENVER_pagesize, 0, 0, 0, 0);
	fill(&m[5], 0x1000, 0, 0, 0, 0, 0);
	memcpy(copy, m, sizeof(m));
	r = multicall(m, 6);
	CHECK_EQ(r, 0, "multicall_returns_0_with_failing_entries");
	CHECK_EQ(m[0].result, version, "entry_xen_version_result");
	CHECK_EQ(m[1].result, -XEN_ENOSYS, "entry_unknown_op_enosys");
	CHECK_EQ(m[2].result, -XEN_EINVAL, "entry_nested_multicall_einval");
	CHECK_EQ(m[3].result, -XEN_ENOSYS, "entry_console_io_bad_cmd_enosys");
	CHECK_EQ(m[4].result, 4096, "entry_pagesize_4096");
	CHECK_EQ(m[5].result, -XEN_ENOSYS, "entry_op_0x1000_enosys");
	for (ok = 1, i = 0; i < 6; i++) {
		copy[i].result = m[i].result;
		if (memcmp(&copy[i], &m[i], sizeof(m[i]))) {
			test_diag("  entry %u: op/args changed", i);
			ok = 0;
		}
	}
	CHECK(ok, "only_result_written");

	CHECK_EQ(multicall((void *)0x40000000, 1), -XEN_EFAULT, "bad_list_efault");
	CHECK_EQ(multicall(NULL, 0), 0, "nr_calls_0_returns_0");

	/* iret entry ends the batch. */
	fill(&m[0], __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	fill(&m[1], __HYPERVISOR_iret, 0, 0, 0, 0, 0);
	fill(&m[2], __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	r = mc_iret(m, 3);
	CHECK_EQ(r, 0x5EED1234, "iret_entry_multicall_returns_frame_eax");
	CHECK(!mc_iret_fellthrough && mc_iret_landed_esp == mc_iret_esp,
	      "iret_entry_resumes_at_frame_eip_esp_popped");
	CHECK_EQ(m[0].result, version, "iret_batch_entry_before_ran");
	test_diag("  iret entry result 0x%x", m[1].result);
	CHECK(m[2].result == 0xAAAAAAAA, "iret_batch_later_entry_untouched");

	/* 3000 one-character console writes + 3000 xen_version. */
	for (i = 0; i < NBIG / 2; i++) {
		pat[i] = 'a' + i % 26;
		fill(&big[2 * i], __HYPERVISOR_console_io, CONSOLEIO_write, 1, (u32)&pat[i], 0, 0);
		fill(&big[2 * i + 1], __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	}
	printf("MCPAT:");
	r = multicall(big, NBIG);
	printf("\n");
	CHECK_EQ(r, 0, "big_batch_returns_0");
	for (bad = 0, i = 0; i < NBIG; i++) {
		u32 want = i % 2 ? (u32)version : 0;

		if (big[i].result != want && bad++ < 4)
			test_diag("  entry %u: result 0x%x, want 0x%x", i, big[i].result, want);
	}
	CHECK(!bad, "big_batch_every_result");

	/* A 5000-byte write inside a multicall. */
	memcpy(bigw, "MCBIG:", 6);
	for (i = 6; i < BIGW - 1; i++)
		bigw[i] = 'A' + (i - 6) % 26;
	bigw[BIGW - 1] = '\n';
	fill(&m[0], __HYPERVISOR_console_io, CONSOLEIO_write, BIGW, (u32)bigw, 0, 0);
	fill(&m[1], __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	r = multicall(m, 2);
	CHECK_EQ(r, 0, "console_5000_in_multicall_returns_0");
	CHECK(m[0].result == 0 && m[1].result == (u32)version, "console_5000_entry_results");
	CHECK_EQ(xen_version(XENVER_version, NULL), version, "hypercalls_still_work");
}
