// SPDX-License-Identifier: GPL-2.0
/*
 * longcall: hypercalls with long guest-supplied counts, each of which must
 * finish correctly however often the hypervisor splits it into
 * continuations (issue 15 point 9: bounded work per VM-lock hold).
 *   - mmu_update: 8192 MMU_MACHPHYS_UPDATE requests (each rewriting one of
 *     our frames' M2P entry with its own pfn), done = 8192;
 *   - mmuext_op: 8192 MMUEXT_TLB_FLUSH_LOCAL, done = 8192;
 *   - multicall: 4096 xen_version entries, every result right;
 *   - set_trap_table: a 4096-entry table, all for one unused vector.
 * run_all.sh runs it with and without the module's budget and compares the
 * longest VM-lock hold (/sys/module/pvmx/parameters/lock_hold_max_us) and
 * the continuations `pvmx run --stats` counts.
 */
#include "runtime.h"

#define NR_MMU		8192u
#define NR_MC		4096u
#define NR_TRAPS	4096u

static struct mmu_update reqs[NR_MMU];
static struct mmuext_op ops[NR_MMU];
static struct xen_multicall_entry calls[NR_MC];
static struct xen_trap_info traps[NR_TRAPS + 1];
static u8 victim[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static void trap_handler(void)
{
}

void test_main(void)
{
	u32 mfn = va_to_mfn(victim), pfn = va_to_pfn(victim), done, i, bad;

	test_plan(6);
	for (i = 0; i < NR_MMU; i++) {
		reqs[i].ptr = ((u64)mfn << 12) | MMU_MACHPHYS_UPDATE;
		reqs[i].val = pfn;
	}
	done = 0;
	CHECK_EQ(mmu_update(reqs, NR_MMU, &done, DOMID_SELF), 0, "mmu_update_8192_machphys");
	CHECK_EQ(done, NR_MMU, "mmu_update_done_8192");

	for (i = 0; i < NR_MMU; i++)
		ops[i].cmd = MMUEXT_TLB_FLUSH_LOCAL;
	done = 0;
	CHECK(mmuext_op(ops, NR_MMU, &done, DOMID_SELF) == 0 && done == NR_MMU,
	      "mmuext_op_8192_flushes");

	for (i = 0; i < NR_MC; i++) {
		calls[i].op = __HYPERVISOR_xen_version;
		calls[i].args[0] = XENVER_version;
		calls[i].result = 0xDEAD;
	}
	CHECK_EQ(multicall(calls, NR_MC), 0, "multicall_4096");
	for (i = 0, bad = 0; i < NR_MC; i++)
		bad += calls[i].result != calls[0].result || (calls[i].result >> 16) < 3;
	CHECK_EQ(bad, 0, "multicall_4096_every_result");

	/* Vector 0x99 over and over: nothing the runtime uses changes. */
	for (i = 0; i < NR_TRAPS; i++) {
		traps[i].vector = 0x99;
		traps[i].flags = 0;
		traps[i].cs = FLAT_RING1_CS;
		traps[i].address = (u32)trap_handler;
	}
	traps[NR_TRAPS].address = 0;
	CHECK_EQ(set_trap_table(traps), 0, "set_trap_table_4096");
	printf("longcall: done\n");
}
