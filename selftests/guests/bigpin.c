// SPDX-License-Identifier: GPL-2.0
/*
 * bigpin: one MMUEXT_PIN_L3_TABLE of a large tree (issue 15 point 16).  The
 * tree: an L3 whose slots 0..2 name L2s holding l1s=N (default 256, at most
 * 1536) distinct L1s, every entry of each present (entry 0 maps a data page
 * writable, the rest a page read-only), and a pae_xen_l2 in slot 3.
 * pvmx validates it in steps (Xen's PGT_partial and -ERESTART: the
 * hypercall continues where the validation stopped), so no lock hold is
 * long; the guest sees one hypercall with Xen's result, and the test
 * script reads the continuations in `pvmx stats`.  The checks: the pin
 * succeeds, every table and data page is typed as one uninterrupted pin
 * would leave it, and unpinning releases all of it.
 */
#include "runtime.h"

#define PTE_ADDR	0x000ffffffffff000ull
#define PTE_RO		0x021ull	/* P | A */
#define PTE_RW		0x063ull	/* P | RW | A | D */
#define PDE		0x067ull
#define MAX_L1S		1536u
#define PER_L2		512u

static u8 l1s[MAX_L1S][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 l2s[4][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 l3[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 data[3][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 target[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static struct mmu_update reqs[MAX_L1S + 8];

static u64 *boot_l3(void)
{
	return (u64 *)start_info->pt_base;
}

/* Machine address of the boot tables' L1 entry for va. */
static u64 l1e_maddr(const void *p)
{
	u32 va = (u32)p;
	u64 l3e = boot_l3()[va >> 30];
	const u64 *l2 = mfn_to_va((l3e & PTE_ADDR) >> 12);
	u64 l2e = l2[(va >> 21) & 511];

	return (l2e & PTE_ADDR) + ((va >> 12) & 511) * 8;
}

static u64 mpte(const void *va, u64 flags)
{
	return ((u64)va_to_mfn(va) << 12) | flags;
}

static long ext(u32 cmd, u32 arg1)
{
	struct mmuext_op op = { cmd, arg1, 0 };

	return mmuext_op(&op, 1, NULL, DOMID_SELF);
}

/*
 * The boot mappings of the tree's n L1s, its L2s, L3 and data pages (so
 * only the tree holds those writable): one mmu_update.
 */
static long remap_tree(u32 n, u64 flags)
{
	u32 i, k = 0;
	long r;

	for (i = 0; i < n; i++)
		reqs[k++] = (struct mmu_update){ l1e_maddr(l1s[i]), mpte(l1s[i], flags) };
	for (i = 0; i < 4; i++)
		reqs[k++] = (struct mmu_update){ l1e_maddr(l2s[i]), mpte(l2s[i], flags) };
	for (i = 0; i < 3; i++)
		reqs[k++] = (struct mmu_update){ l1e_maddr(data[i]), mpte(data[i], flags) };
	reqs[k++] = (struct mmu_update){ l1e_maddr(l3), mpte(l3, flags) };
	r = mmu_update(reqs, k, NULL, DOMID_SELF);
	if (r)
		test_diag("  remap_tree(0x%x): %d", (u32)flags, (int)r);
	/* Our own stale translations of these pages go too. */
	ext(MMUEXT_TLB_FLUSH_LOCAL, 0);
	return r;
}

static void build(u32 n)
{
	u32 i, j;
	u64 *e;

	memset(l2s, 0, sizeof(l2s));
	memset(l3, 0, sizeof(l3));
	for (i = 0; i < n; i++) {
		e = (u64 *)l1s[i];
		e[0] = mpte(data[i % 3], PTE_RW);
		for (j = 1; j < 512; j++)
			e[j] = mpte(target, PTE_RO);
		((u64 *)l2s[i / PER_L2])[i % PER_L2] = mpte(l1s[i], PDE);
	}
	for (i = 0; i < 4; i++)
		((u64 *)l3)[i] = mpte(l2s[i], 1);
}

void test_main(void)
{
	u32 n = cmdline_uint((const char *)start_info->cmd_line, "l1s", 256);
	u64 t0, t1;
	long r;

	if (n > MAX_L1S)
		n = MAX_L1S;
	map_shared_info();
	test_plan(9);
	build(n);
	CHECK_EQ(remap_tree(n, PTE_RO), 0, "tree_read_only");
	t0 = now_ns();
	r = ext(MMUEXT_PIN_L3_TABLE, va_to_mfn(l3));
	t1 = now_ns();
	CHECK_EQ(r, 0, "pin_l3_large_tree");
	printf("# bigpin: %u L1s (%u entries) pinned in %u ms\n", n, n * 512,
	       (u32)div64(t1 - t0, 1000000));
	/* Typed as one pin leaves them: the tables not writable, the data pages writable. */
	CHECK_EQ(update_va_mapping((u32)l1s[0], mpte(l1s[0], PTE_RW), UVMF_INVLPG), -XEN_EBUSY,
		 "first_l1_typed");
	CHECK_EQ(update_va_mapping((u32)l1s[n - 1], mpte(l1s[n - 1], PTE_RW), UVMF_INVLPG),
		 -XEN_EBUSY, "last_l1_typed");
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, va_to_mfn(data[(n - 1) % 3])), -XEN_EINVAL,
		 "data_page_held_writable");
	CHECK_EQ(ext(MMUEXT_PIN_L3_TABLE, va_to_mfn(l3)), -XEN_EINVAL, "pinned_once");
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, va_to_mfn(l3)), 0, "unpin");
	/* Nothing holds the tree now: the data page may become a table, all of it writable. */
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, va_to_mfn(data[0])) == 0 &&
		 ext(MMUEXT_UNPIN_TABLE, va_to_mfn(data[0])) == 0, 1, "data_page_released");
	CHECK_EQ(remap_tree(n, PTE_RW), 0, "tree_writable_again");
}
