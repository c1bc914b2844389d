// SPDX-License-Identifier: GPL-2.0
/*
 * ptwr: VMASST_TYPE_writable_pagetables as a 32-bit PV guest sees it.  This
 * image requires the feature (FEATURES "!writable_page_tables", as XTF's),
 * so its loading at all is the launcher accepting such images.
 *
 * With the assist on, the guest writes the boot L1 entry of one of its pages
 * (`window`) directly, through the read-only mapping of the L1, with each
 * instruction form guests use: mov r32, mov imm32, xchg, lock cmpxchg (won
 * and lost), lock cmpxchg8b (won and lost), two 4-byte halves, and the
 * lock and/or/btr of Linux's clear_bit()/set_bit()/test_and_clear_bit();
 * after each, an INVLPG_LOCAL and an access through the window show the
 * new mapping.
 * Xen's rules: a high half written first that would make the entry refused
 * lands not present; a value mapping a page table writable is refused and
 * the #PF (P|W, CR2 the entry's address) reaches the guest's handler; so is
 * a write to an L2; with the assist off, every direct write faults.
 */
#include "runtime.h"

#define PTE_P		0x001ull
#define PTE_ADDR	0x000ffffffffff000ull
#define PTE_KERNEL_RW	0x063ull	/* P | RW | A | D */
#define PFEC_PW		0x3u

typedef u64 __attribute__((regparm(3))) (*store_fn)(u32 eax, u32 edx, u32 ecx);

/*
 * A store as a function: EAX, EDX, ECX in, EDX:EAX out; name_insn is the
 * store, name_after where the #PF handler resumes.
 */
#define STORE(name, pre, insn, post)					\
	asm(".text\n.globl " #name ", " #name "_insn, " #name "_after\n"	\
	    #name ":\n\t" pre "\n" #name "_insn:\n\t" insn "\n"		\
	    #name "_after:\n\t" post "\n\tret\n");			\
	extern u8 name##_insn[], name##_after[];			\
	u64 __attribute__((regparm(3))) name(u32 eax, u32 edx, u32 ecx)

/* (addr): a store that may fault; the #PF handler skips it */
STORE(st_write, "", "movl $0x5A5A5A5A, (%eax)", "");
/* (addr, value) */
STORE(st_mov, "", "movl %edx, (%eax)", "");
/* (addr): a not-present entry */
STORE(st_mov_zero, "", "movl $0, (%eax)", "");
/* (addr, value) -> the old value */
STORE(st_xchg, "", "xchgl %edx, (%eax)", "movl %edx, %eax");
/* (addr, new, expected) -> what the entry held */
STORE(st_cmpxchg, "xchgl %eax, %ecx", "lock cmpxchgl %edx, (%ecx)", "");
/* (addr, &{expected, new}) -> what the entry held */
#define CX8_PRE	"push %ebx\n\tpush %esi\n\tmovl %eax, %esi\n\tmovl %edx, %ecx\n\t"	\
		"movl 8(%ecx), %ebx\n\tmovl (%ecx), %eax\n\tmovl 4(%ecx), %edx\n\t"	\
		"movl 12(%ecx), %ecx"
STORE(st_cmpxchg8b, CX8_PRE, "lock cmpxchg8b (%esi)", "pop %esi\n\tpop %ebx");
/* (addr): clear_bit(1, addr), set_bit(1, addr) as Linux compiles them */
STORE(st_clear_rw, "", "lock andb $0xfd, (%eax)", "");
STORE(st_set_rw, "", "lock orb $0x02, (%eax)", "");
/* (addr): test_and_clear_bit(5, addr) -> 1 if the bit was set */
STORE(st_test_clear_a, "", "lock btrl $5, (%eax)", "sbbl %eax, %eax\n\tnegl %eax");
/* (addr): a load that may fault; ~0 if the handler skipped it */
STORE(ld, "movl %eax, %ecx\n\tmovl $0xFFFFFFFF, %eax", "movl (%ecx), %eax", "");

static u8 window[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 page_a[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 page_b[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static struct xen_trap_info pf_table[] = {
	{ 14, 0, FLAT_RING1_CS, (u32)trap_stub_14 }, { 0, 0, 0, 0 },
};

/* The boot tables' L2 entry for va, through the L2's (read-only) mapping. */
static volatile u64 *l2e_of(u32 va)
{
	u64 l3e = ((const u64 *)start_info->pt_base)[va >> 30];

	return (volatile u64 *)mfn_to_va((l3e & PTE_ADDR) >> 12) + ((va >> 21) & 511);
}

/* ... and its L1 entry, through the L1's read-only mapping. */
static volatile u64 *l1e_of(u32 va)
{
	return (volatile u64 *)mfn_to_va((*l2e_of(va) & PTE_ADDR) >> 12) + ((va >> 12) & 511);
}

static u64 pte_of(const void *page, u64 flags)
{
	return ((u64)va_to_mfn(page) << 12) | flags;
}

static long vm_assist(u32 cmd, u32 type)
{
	return hypercall(__HYPERVISOR_vm_assist, cmd, type, 0, 0, 0);
}

static void invlpg(const void *va)
{
	struct mmuext_op op = { MMUEXT_INVLPG_LOCAL, (u32)va, 0 };

	mmuext_op(&op, 1, NULL, DOMID_SELF);
}

/* What the window shows now (~0: the read faulted). */
static u32 through_window(void)
{
	u32 v;

	invlpg(window);
	trap_resume[14] = (u32)ld_after;
	v = (u32)ld((u32)window, 0, 0);
	trap_resume[14] = 0;
	return v;
}

struct outcome {
	u32 traps, ec, cr2, eip;
};

/* Run a store; a #PF resumes after it and is described in the outcome. */
static struct outcome run(store_fn fn, const u8 *after, u32 eax, u32 edx, u32 ecx, u64 *ret)
{
	u32 before = trap_count;
	struct outcome o = { 0 };
	u64 r;

	trap_resume[14] = (u32)after;
	r = fn(eax, edx, ecx);
	trap_resume[14] = 0;
	if (ret)
		*ret = r;
	o.traps = trap_count - before;
	if (o.traps) {
		o.ec = last_trap()->w[0];
		o.cr2 = last_trap()->cr2;
		o.eip = last_trap()->w[1];
	}
	return o;
}

#define RUN(name, a, d, c, ret)	run(name, name##_after, a, d, c, ret)

static int ran(struct outcome o)
{
	if (!o.traps)
		return 1;
	test_diag("  %u traps, error code 0x%x, cr2 0x%x, eip 0x%x", o.traps, o.ec, o.cr2, o.eip);
	return 0;
}

/* The #PF the CPU raised, reflected unchanged. */
static int reflected(struct outcome o, const u8 *insn, u32 addr)
{
	if (o.traps == 1 && o.ec == PFEC_PW && o.cr2 == addr && o.eip == (u32)insn)
		return 1;
	test_diag("  %u traps, error code 0x%x, cr2 0x%x, eip 0x%x (insn 0x%x, addr 0x%x)",
		  o.traps, o.ec, o.cr2, o.eip, (u32)insn, addr);
	return 0;
}

static void instruction_forms(void)
{
	volatile u64 *e = l1e_of((u32)window);
	u32 lo = (u32)e;
	u64 a = pte_of(page_a, PTE_KERNEL_RW), b = pte_of(page_b, PTE_KERNEL_RW), ret = 0;
	u32 pair[4];

	CHECK_EQ(through_window(), 0, "window_initially_zero");
	CHECK(ran(RUN(st_mov, lo, (u32)a, 0, NULL)) && *e == a, "mov_r32_stores_entry");
	CHECK_EQ(through_window(), 0xA1A1A1A1, "mov_r32_maps_page_a");
	CHECK(ran(RUN(st_mov_zero, lo, 0, 0, NULL)) && *e == 0, "mov_imm32_stores_entry");
	CHECK_EQ(through_window(), 0xFFFFFFFF, "mov_imm32_unmapped_read_faults");
	CHECK_EQ(last_trap()->w[0], 0, "unmapped_read_fault_not_present");

	CHECK(ran(RUN(st_xchg, lo, (u32)b, 0, &ret)), "xchg_emulated");
	CHECK_EQ((u32)ret, 0, "xchg_returns_old_entry");
	CHECK_EQ(through_window(), 0xB2B2B2B2, "xchg_maps_page_b");

	CHECK(ran(RUN(st_cmpxchg, lo, (u32)a, (u32)b, &ret)), "cmpxchg_emulated");
	CHECK(*e == a && (u32)ret == (u32)b, "cmpxchg_won_stores");
	CHECK_EQ(through_window(), 0xA1A1A1A1, "cmpxchg_maps_page_a");
	CHECK(ran(RUN(st_cmpxchg, lo, (u32)b, (u32)b, &ret)), "cmpxchg_lost_emulated");
	CHECK(*e == a && (u32)ret == (u32)a, "cmpxchg_lost_returns_entry_no_store");

	pair[0] = (u32)a;
	pair[1] = (u32)(a >> 32);
	pair[2] = (u32)b;
	pair[3] = (u32)(b >> 32);
	CHECK(ran(RUN(st_cmpxchg8b, lo, (u32)pair, 0, &ret)), "cmpxchg8b_emulated");
	CHECK(*e == b && ret == a, "cmpxchg8b_won_stores");
	CHECK_EQ(through_window(), 0xB2B2B2B2, "cmpxchg8b_maps_page_b");
	CHECK(ran(RUN(st_cmpxchg8b, lo, (u32)pair, 0, &ret)), "cmpxchg8b_lost_emulated");
	CHECK(*e == b && ret == b, "cmpxchg8b_lost_returns_entry_no_store");

	/* Two halves, high first (as native_set_pte does). */
	CHECK(ran(RUN(st_mov, lo + 4, (u32)(a >> 32), 0, NULL)), "high_half_emulated");
	CHECK(ran(RUN(st_mov, lo, (u32)a, 0, NULL)) && *e == a, "low_half_completes_entry");
	CHECK_EQ(through_window(), 0xA1A1A1A1, "halves_map_page_a");
}

/* set_bit()/clear_bit() on an entry, as Linux's ptep_set_wrprotect() and friends. */
static void bit_operations(void)
{
	volatile u64 *e = l1e_of((u32)window);
	u32 lo = (u32)e;
	u64 a = pte_of(page_a, PTE_KERNEL_RW), ret = 0;
	struct outcome o;

	CHECK(*e == a, "window_maps_page_a");
	CHECK(ran(RUN(st_clear_rw, lo, 0, 0, NULL)) && *e == (a & ~2ull), "lock_andb_clears_rw");
	invlpg(window);
	o = RUN(st_write, (u32)window, 0, 0, NULL);
	CHECK(o.traps == 1 && o.ec == PFEC_PW && o.cr2 == (u32)window &&
	      page_a[0] == 0xA1, "write_through_read_only_window_faults");
	CHECK(ran(RUN(st_set_rw, lo, 0, 0, NULL)) && *e == a, "lock_orb_sets_rw");
	invlpg(window);
	CHECK(ran(RUN(st_write, (u32)window, 0, 0, NULL)) && *(volatile u32 *)page_a == 0x5A5A5A5A,
	      "write_through_window_again");
	memset(page_a, 0xA1, PAGE_SIZE);
	CHECK(ran(RUN(st_test_clear_a, lo, 0, 0, &ret)) && (u32)ret == 1 && *e == (a & ~0x20ull),
	      "lock_btrl_clears_accessed_cf_set");
	CHECK(ran(RUN(st_test_clear_a, lo, 0, 0, &ret)) && (u32)ret == 0,
	      "lock_btrl_again_cf_clear");
}

static void refusals(void)
{
	volatile u64 *e = l1e_of((u32)window), *l2e = l2e_of((u32)window);
	u32 lo = (u32)e;
	u64 a = pte_of(page_a, PTE_KERNEL_RW), before = *e;
	u64 l1_rw = (*l2e & PTE_ADDR) | PTE_KERNEL_RW;
	struct outcome o;

	/* The L1 itself writable: refused, the #PF reflected as it was. */
	o = RUN(st_mov, lo, (u32)l1_rw, 0, NULL);
	CHECK(reflected(o, st_mov_insn, lo) && *e == before, "l1_mapped_writable_refused_pf");
	o = RUN(st_cmpxchg, lo, (u32)l1_rw, (u32)before, NULL);
	CHECK(reflected(o, st_cmpxchg_insn, lo) && *e == before,
	      "cmpxchg_l1_mapped_writable_refused_pf");
	/* An L2 entry, even rewritten with its own value: not an L1. */
	o = RUN(st_mov, (u32)l2e, (u32)*l2e, 0, NULL);
	CHECK(reflected(o, st_mov_insn, (u32)l2e), "l2_write_pf");

	/* Xen: a high half making the entry refused (not our frame) lands not present. */
	CHECK(ran(RUN(st_mov, lo + 4, 1, 0, NULL)), "bad_high_half_emulated");
	CHECK(*e == ((1ull << 32) | (before & ~PTE_P)), "bad_high_half_entry_not_present");
	CHECK_EQ(through_window(), 0xFFFFFFFF, "bad_high_half_window_unmapped");
	/*
	 * Restored by hypercall: clearing the high half alone would leave a
	 * not-present entry naming a guest frame, which an L1TF-affected host
	 * refuses (XSA-273) and crashes the guest for, as Xen does.
	 */
	CHECK_EQ(update_va_mapping((u32)window, a, UVMF_INVLPG), 0, "high_half_restored");
	CHECK(*e == a, "low_half_after_fixup");
	CHECK_EQ(through_window(), 0xA1A1A1A1, "window_back_after_fixup");

	/* Assist off: a direct write faults, whatever it writes. */
	CHECK_EQ(vm_assist(VMASST_CMD_disable, VMASST_TYPE_writable_pagetables), 0,
		 "vm_assist_disable");
	o = RUN(st_mov, lo, (u32)a, 0, NULL);
	CHECK(reflected(o, st_mov_insn, lo), "assist_off_write_pf");
	o = RUN(st_mov_zero, lo, 0, 0, NULL);
	CHECK(reflected(o, st_mov_zero_insn, lo) && *e == a, "assist_off_mov_imm_pf");
}

void test_main(void)
{
	u64 orig;

	test_plan(46);
	CHECK(map_shared_info(), "map_shared_info");	/* the handler records CR2 */
	CHECK_EQ(set_trap_table(pf_table), 0, "set_trap_table");
	memset(page_a, 0xA1, PAGE_SIZE);
	memset(page_b, 0xB2, PAGE_SIZE);
	orig = *l1e_of((u32)window);
	CHECK_EQ(vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), 0,
		 "vm_assist_enable");
	instruction_forms();
	bit_operations();
	refusals();
	CHECK_EQ(update_va_mapping((u32)window, orig, UVMF_INVLPG), 0, "window_restored");
	CHECK_EQ(*(volatile u32 *)window, 0, "window_shows_its_page");
}
