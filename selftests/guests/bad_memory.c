// SPDX-License-Identifier: GPL-2.0
/*
 * bad_memory: a guest trying to reach memory it does not own through its own
 * page tables.  Xen's direct paging stops it at the hypercalls: a frame
 * outside the guest cannot be mapped (-EPERM) and a page table cannot be
 * mapped writable (-EBUSY); writing the read-only L1 directly faults.  What
 * would stop it otherwise, EPT (module/x86/exits.c, handle_ept_violation) and
 * the read-only guest PTEs of the hypervisor area, stays behind that.  The
 * mode comes from the command line:
 *
 *   mode=outside  try to map guest-physical 0x80000000 (far beyond RAM);
 *   mode=hvwrite  try to map vCPU 0's reserved-GDT frame (guest-physical
 *                 0xF0000000 + 2 * 4096);
 *                 both check the refusals (update_va_mapping and mmu_update
 *                 -EPERM, the L1 writable -EBUSY), then write the victim's
 *                 entry in the read-only L1: with no trap table the #PF
 *                 crashes the guest ("#PF page fault at address <entry>");
 *   mode=hvread   read that descriptor at its place in the hypervisor area
 *                 (0xffe0e018, GDT entry 7171 of vCPU 0), then write it: the
 *                 read-only guest PTE makes that a #PF, which with no trap
 *                 table crashes the guest ("#PF page fault at address
 *                 0xffe0e018").
 *
 * The host (selftests/crash_test.c, guest_bad_memory_*) gets the address
 * the #PF must name as stage 1 (and for hvread the store's eip as stage 2);
 * something that must not happen is a GUEST_ASSERT, printed as
 * "bad_memory: FAIL: ..." too.
 */
#include "guest_sync.h"

#define PTE_P		0x001ull
#define PTE_PS		0x080ull
#define PTE_ADDR	0x000ffffffffff000ull
#define PTE_KERNEL_RW	0x63ull		/* P | RW | A | D */
#define PTE_USER_RW	0x67ull		/* P | RW | US | A | D */

#define OUTSIDE_GPA	0x80000000ull
#define HV_GPA_BASE	0xF0000000ull
#define HV_FRAME_GDT0	2		/* PVMX_HV_FRAME_GDT(0) */
#define HV_AREA_VA	0xFFE00000u
#define FLAT_CS_VA	(HV_AREA_VA + 14 * PAGE_SIZE + 3 * 8)	/* entry 7171 */

/* Never touched before its PTE is rewritten. */
static u8 victim[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

#define fail(what) do {						\
	printf("bad_memory: FAIL: %s\n", what);			\
	guest_assert_fail(__FILE__, __LINE__, what, 0, 0, 0);		\
} while (0)

/* got must be want (a refusal, a value): both reach the host. */
#define expect_eq(got, want, what) do {					\
	u64 _eg = (u64)(got), _ew = (u64)(want);			\
									\
	if (_eg != _ew) {						\
		printf("bad_memory: FAIL: %s\n", what);		\
		guest_assert_fail(__FILE__, __LINE__, #got " == " #want, \
				  2, _eg, _ew);				\
	}								\
} while (0)

/* VA of a machine frame, through the P2M (identity on pvmx, but look it up). */
/* The L1 page mapping va, found from start_info->pt_base (the L3). */
static volatile u64 *l1_of(u32 va, u32 *l1_mfn)
{
	const u64 *l3 = (const u64 *)start_info->pt_base;
	const u64 *l2;
	u64 l3e, l2e;

	l3e = l3[va >> 30];
	if (!(l3e & PTE_P))
		fail("L3 entry not present");
	l2 = mfn_to_va((l3e & PTE_ADDR) >> 12);
	l2e = l2[(va >> 21) & 511];
	if (!(l2e & PTE_P) || (l2e & PTE_PS))
		fail("L2 entry not present or a superpage");
	*l1_mfn = (u32)((l2e & PTE_ADDR) >> 12);
	return mfn_to_va(*l1_mfn);
}

/*
 * Try to point victim's L1 entry at gpa: every hypercall route is refused,
 * so write the entry directly through the read-only mapping of the L1,
 * which faults.
 */
static void map_victim(u64 gpa)
{
	u32 va = (u32)victim, l1_mfn;
	volatile u64 *l1 = l1_of(va, &l1_mfn);
	struct mmu_update req = { ((u64)l1_mfn << 12) + ((va >> 12) & 511) * 8,
				  gpa | PTE_KERNEL_RW };
	volatile u32 *pte = (volatile u32 *)&l1[(va >> 12) & 511];
	long r;

	printf("bad_memory: victim va 0x%08x, its L1: mfn 0x%x at va 0x%08x, pt_base 0x%08x\n",
	       va, l1_mfn, (u32)l1, start_info->pt_base);
	r = update_va_mapping(va, gpa | PTE_KERNEL_RW, UVMF_INVLPG);
	printf("bad_memory: mapping guest-physical 0x%x%08x\n", (u32)(gpa >> 32), (u32)gpa);
	printf("bad_memory: update_va_mapping(victim) = %d\n", (int)r);
	expect_eq(r, -XEN_EPERM, "update_va_mapping did not refuse the frame with -EPERM");
	r = mmu_update(&req, 1, NULL, DOMID_SELF);
	printf("bad_memory: mmu_update(victim's entry) = %d\n", (int)r);
	expect_eq(r, -XEN_EPERM, "mmu_update did not refuse the frame with -EPERM");
	r = update_va_mapping((u32)l1, ((u64)l1_mfn << 12) | PTE_USER_RW, UVMF_INVLPG);
	printf("bad_memory: update_va_mapping(0x%08x, L1 writable) = %d\n", (u32)l1, (int)r);
	expect_eq(r, -XEN_EBUSY, "mapping the L1 writable was not refused with -EBUSY");
	printf("bad_memory: writing the read-only PTE at 0x%08x\n", (u32)pte);
	GUEST_SYNC(1, (u32)pte);
	pte[0] = (u32)gpa | (u32)PTE_KERNEL_RW;
	pte[1] = (u32)(gpa >> 32);
	fail("wrote a page table through its read-only mapping");
}

static void mode_outside(void)
{
	map_victim(OUTSIDE_GPA);
}

static void mode_hvwrite(void)
{
	map_victim(HV_GPA_BASE + HV_FRAME_GDT0 * PAGE_SIZE);
}

/* The faulting store, at a known address. */
void hv_store(void);
extern u8 hv_store_insn[];
asm(".text\n"
    ".globl hv_store, hv_store_insn\n"
    "hv_store:\n"
    "hv_store_insn:\n"
    "	movl $0, " "0xffe0e018" "\n"
    "	ret\n");

static void mode_hvread(void)
{
	u64 desc = *(volatile u64 *)FLAT_CS_VA;

	printf("bad_memory: GDT entry 7171 at 0x%08x = 0x%08x%08x\n", FLAT_CS_VA,
	       (u32)(desc >> 32), (u32)desc);
	expect_eq(desc, XEN_FLAT_RING1_CS_DESC,
		  "GDT entry 7171 is not the flat ring-1 CS descriptor 0x00cfbb000000ffff");
	printf("bad_memory: descriptor ok\n");
	printf("bad_memory: writing 0x%08x at eip 0x%08x\n", FLAT_CS_VA, (u32)hv_store_insn);
	GUEST_SYNC(1, FLAT_CS_VA);
	GUEST_SYNC(2, (u32)hv_store_insn);
	hv_store();
	printf("bad_memory: FAIL: wrote the read-only hypervisor area (now 0x%08x)\n",
	       *(volatile u32 *)FLAT_CS_VA);
	fail("wrote the read-only hypervisor area");
}

void test_main(void)
{
	const char *cmd = start_info->cmd_line;

	printf("bad_memory: cmdline \"%s\"\n", cmd);
	if (strstr(cmd, "mode=outside"))
		mode_outside();
	else if (strstr(cmd, "mode=hvwrite"))
		mode_hvwrite();
	else if (strstr(cmd, "mode=hvread"))
		mode_hvread();
	else
		fail("no mode=outside|hvwrite|hvread on the command line");
	fail("the mode returned");
}
