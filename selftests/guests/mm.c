// SPDX-License-Identifier: GPL-2.0
/*
 * mm: Xen's direct paging as a 32-bit PV guest sees it (xen/arch/x86/mm.c,
 * Documentation/guest-abi.rst "Page tables"), each result Xen's exact one:
 * pinning and unpinning tables, the refusals (a writable mapping of a page
 * table, frames outside the guest, Xen's L2 slots, L3 slot 3), NEW_BASEPTR to a
 * second tree, the TLB flush flavours (each one shown to take effect),
 * CLEAR_PAGE/COPY_PAGE, MMU_MACHPHYS_UPDATE, foreign domains, `done`, and
 * finally a ring-3 process pair: two page-table trees mapping different pages
 * at the same user address, switched on every `int $0x80` by a multicall of
 * mmuext_op(NEW_BASEPTR) + update_va_mapping.
 */
#include "runtime.h"

#define PTE_P		0x001ull
#define PTE_RW		0x002ull
#define PTE_PS		0x080ull
#define PTE_ADDR	0x000ffffffffff000ull
#define PTE_RO		0x021ull	/* P | A */
#define PTE_KERNEL_RW	0x063ull	/* P | RW | A | D */
#define PTE_USER_RW	0x067ull	/* P | RW | US | A | D */
#define OUTSIDE_GPA	0x80000000ull
#define HV_GDT0_GPA	0xF0002000ull	/* vCPU 0's reserved GDT frame (bad_memory.c) */
#define XEN_SLOT	XEN_L2_FIRST_HYPERVISOR_SLOT
#define SECOND_VA	0xE5800000u	/* L2 slot 300 of the 4th GiB: unmapped at boot */
#define USER_VA		0x40000000u	/* per-process pages: data, stack, message */
#define MSG_VA		(USER_VA + 2 * PAGE_SIZE)
#define SWITCHES	40

static u8 pool[25][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 victim[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static u64 *boot_l3(void)
{
	return (u64 *)start_info->pt_base;
}

/* Machine address of the boot tables' L1 entry for va. */
static u64 l1e_maddr(u32 va)
{
	u64 l3e = boot_l3()[va >> 30];
	const u64 *l2 = mfn_to_va((l3e & PTE_ADDR) >> 12);
	u64 l2e = l2[(va >> 21) & 511];

	return (l2e & PTE_ADDR) + ((va >> 12) & 511) * 8;
}

static long uvm(const void *va, u64 pte, u32 flags)
{
	return update_va_mapping((u32)va, pte, flags);
}

static long map(const void *va, u32 mfn, u64 flags)
{
	return uvm(va, ((u64)mfn << 12) | flags, UVMF_INVLPG);
}

/* Page-table pages are mapped read-only before Xen will take them. */
static int make_ro(const void *va)
{
	return map(va, va_to_mfn(va), PTE_RO) == 0;
}

static int make_rw(const void *va)
{
	return map(va, va_to_mfn(va), PTE_KERNEL_RW) == 0;
}

static long ext(u32 cmd, u32 arg1, u32 arg2)
{
	struct mmuext_op op = { cmd, arg1, arg2 };

	return mmuext_op(&op, 1, NULL, DOMID_SELF);
}

static long mmu1(u64 ptr, u64 val, u32 foreigndom)
{
	struct mmu_update req = { ptr, val };

	return mmu_update(&req, 1, NULL, foreigndom);
}

static u64 *page(u32 i)
{
	return (u64 *)pool[i];
}

/* ---- pinning and the refusals ------------------------------------------ */

static void pin_and_refusals(void)
{
	u64 *l1 = page(0), *self = page(1), *out = page(2);
	u32 data = va_to_mfn(page(3));

	memset(l1, 0, PAGE_SIZE);
	l1[0] = ((u64)data << 12) | PTE_KERNEL_RW;
	l1[1] = ((u64)data << 12) | PTE_RO;
	CHECK(make_ro(l1), "l1_page_mapped_read_only");
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, va_to_mfn(l1), 0), 0, "pin_l1_table");
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, va_to_mfn(l1), 0), -XEN_EINVAL, "pin_twice_einval");
	CHECK_EQ(ext(MMUEXT_PIN_L2_TABLE, va_to_mfn(l1), 0), -XEN_EINVAL, "pin_as_other_type_einval");
	CHECK_EQ(map(l1, va_to_mfn(l1), PTE_KERNEL_RW), -XEN_EBUSY,
		 "pinned_table_mapped_writable_ebusy");
	CHECK_EQ(mmu1(l1e_maddr((u32)l1), ((u64)va_to_mfn(l1) << 12) | PTE_KERNEL_RW, DOMID_SELF),
		 -XEN_EBUSY, "pinned_table_mmu_update_writable_ebusy");
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, va_to_mfn(l1), 0), 0, "unpin_table");
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, va_to_mfn(l1), 0), -XEN_EINVAL, "unpin_not_pinned_einval");
	CHECK(make_rw(l1), "unpinned_table_mapped_writable_again");
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, va_to_mfn(l1), 0), -XEN_EINVAL,
		 "writable_page_pinned_einval");
	CHECK_EQ(ext(MMUEXT_PIN_L4_TABLE, va_to_mfn(l1), 0), -XEN_EINVAL, "pin_l4_einval");

	/* An L1 mapping itself writable; an L1 naming memory outside the guest. */
	memset(self, 0, PAGE_SIZE);
	self[5] = ((u64)va_to_mfn(self) << 12) | PTE_KERNEL_RW;
	memset(out, 0, PAGE_SIZE);
	out[5] = OUTSIDE_GPA | PTE_RO;
	make_ro(self);
	make_ro(out);
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, va_to_mfn(self), 0), -XEN_EBUSY,
		 "l1_mapping_itself_writable_ebusy");
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, va_to_mfn(out), 0), -XEN_EPERM,
		 "l1_naming_frame_outside_eperm");
	CHECK_EQ(map(victim, OUTSIDE_GPA >> 12, PTE_KERNEL_RW), -XEN_EPERM,
		 "map_frame_outside_guest_eperm");
	CHECK_EQ(map(victim, HV_GDT0_GPA >> 12, PTE_RO), -XEN_EPERM,
		 "map_hypervisor_frame_eperm");
	CHECK_EQ(uvm(victim, ((u64)data << 12) | PTE_KERNEL_RW | 0x10, UVMF_INVLPG),
		 -XEN_EINVAL, "cache_attribute_einval");
	make_rw(self);
	make_rw(out);
}

/*
 * The frames Xen's L2 slots point to lie above the guest's memory and below
 * 4 GiB: a 32-bit kernel may turn them into physical addresses in 32 bits
 * (Linux's xen_find_pt_base() does), and one at 4 GiB would wrap into RAM.
 */
static int xen_slot_frames_ok(const u64 *xen_l2)
{
	u64 ram_end = (u64)start_info->nr_pages << 12, a;
	u32 i, present = 0;

	for (i = XEN_SLOT; i < 512; i++) {
		if (!(xen_l2[i] & PTE_P))
			continue;
		present++;
		a = xen_l2[i] & PTE_ADDR;
		if (a < ram_end || a >= 0x100000000ull) {
			printf("# Xen slot %u: frame at 0x%x%08x (RAM ends at 0x%x%08x)\n", i,
			       (u32)(a >> 32), (u32)a, (u32)(ram_end >> 32), (u32)ram_end);
			return 0;
		}
	}
	return present > 0;
}

static void xen_slots_and_l3(void)
{
	u64 *l3 = boot_l3();
	u64 xen_l2 = l3[3] & PTE_ADDR;

	CHECK_EQ(mmu1(xen_l2 + XEN_SLOT * 8, 0, DOMID_SELF), -XEN_EPERM, "xen_l2_slot_428_eperm");
	CHECK_EQ(mmu1(xen_l2 + 511 * 8, 0, DOMID_SELF), -XEN_EPERM, "xen_l2_slot_511_eperm");
	CHECK_EQ(mmu1(((u64)va_to_mfn(l3) << 12) + 3 * 8, l3[3], DOMID_SELF), -XEN_EINVAL,
		 "l3_slot_3_update_einval");
	CHECK_EQ(mmu1(((u64)va_to_mfn(l3) << 12) + 4 * 8, 0, DOMID_SELF), -XEN_EINVAL,
		 "l3_slot_4_update_einval");
	CHECK_EQ(map(l3, va_to_mfn(l3), PTE_KERNEL_RW), -XEN_EBUSY, "boot_l3_writable_ebusy");
	/* Xen cleared what lies past slot 3 of our L3, and filled its L2 slots. */
	CHECK_EQ(l3[4] | l3[511], 0, "l3_entries_4_511_zero");
	CHECK(xen_slot_frames_ok(mfn_to_va(xen_l2 >> 12)), "xen_l2_slot_frames_above_ram_below_4gib");
}

/* ---- a second tree ------------------------------------------------------- */

/* L3 in page(l3i) with slots 0..2 of the boot L3 and its own pae_xen_l2 in page(l2i). */
static void build_tree(u32 l3i, u32 l2i)
{
	const u64 *boot = boot_l3();
	const u64 *boot_xen_l2 = mfn_to_va((boot[3] & PTE_ADDR) >> 12);
	u64 *l3 = page(l3i), *l2 = page(l2i);
	u32 i;

	memset(l3, 0, PAGE_SIZE);
	memset(l2, 0, PAGE_SIZE);
	for (i = 0; i < 3; i++)
		l3[i] = boot[i] & (PTE_ADDR | PTE_P);
	l3[3] = ((u64)va_to_mfn(l2) << 12) | PTE_P;
	for (i = 0; i < XEN_SLOT; i++)
		l2[i] = boot_xen_l2[i];
}

static void second_tree(void)
{
	u64 *l3 = page(4), *l2 = page(5), *l1 = page(6), *bad = page(8);
	u32 *marker = (u32 *)page(7);
	u32 boot_mfn = va_to_mfn(boot_l3());
	int ok;

	build_tree(4, 5);
	memset(l1, 0, PAGE_SIZE);
	l1[0] = ((u64)va_to_mfn(marker) << 12) | PTE_RO;
	l2[(SECOND_VA >> 21) & 511] = ((u64)va_to_mfn(l1) << 12) | PTE_KERNEL_RW;
	marker[0] = 0x5EC0DD;
	ok = make_ro(l1) && make_ro(l2) && make_ro(l3);
	CHECK(ok, "second_tree_pages_read_only");
	CHECK_EQ(ext(MMUEXT_NEW_BASEPTR, va_to_mfn(l3), 0), 0, "new_baseptr_second_l3");
	CHECK_EQ(*(volatile u32 *)SECOND_VA, 0x5EC0DD, "second_tree_mapping_visible");
	CHECK_EQ(ext(MMUEXT_NEW_BASEPTR, va_to_mfn(marker), 0), -XEN_EINVAL,
		 "new_baseptr_writable_page_einval");
	CHECK_EQ(ext(MMUEXT_NEW_BASEPTR, boot_mfn, 0), 0, "new_baseptr_back_to_boot_l3");
	/* The boot tree's slot-3 L2 is that L3's own: a second L3 may not share it. */
	memset(bad, 0, PAGE_SIZE);
	bad[3] = boot_l3()[3] & (PTE_ADDR | PTE_P);
	make_ro(bad);
	CHECK_EQ(ext(MMUEXT_PIN_L3_TABLE, va_to_mfn(bad), 0), -XEN_EINVAL,
		 "shared_pae_xen_l2_einval");
	/* Nothing holds the second tree now: its pages may be written again. */
	ok = make_rw(l3) && make_rw(l2) && make_rw(l1) && make_rw(bad);
	CHECK(ok, "dropped_tree_writable_again");
}

/* ---- flushes: each flavour makes a remap visible -------------------------- */

static void flushes(void)
{
	static u32 mask;
	u32 *x = (u32 *)page(9), *y = (u32 *)page(10);
	u64 pte_maddr = l1e_maddr((u32)victim);
	struct {
		const char *name;
		u32 cmd, arg2;
		u32 uvm_flags;	/* ~0: use mmuext_op */
	} f[] = {
		{ "tlb_flush_local", MMUEXT_TLB_FLUSH_LOCAL, 0, ~0u },
		{ "invlpg_local", MMUEXT_INVLPG_LOCAL, 0, ~0u },
		{ "tlb_flush_multi", MMUEXT_TLB_FLUSH_MULTI, (u32)&mask, ~0u },
		{ "invlpg_multi", MMUEXT_INVLPG_MULTI, (u32)&mask, ~0u },
		{ "tlb_flush_all", MMUEXT_TLB_FLUSH_ALL, 0, ~0u },
		{ "invlpg_all", MMUEXT_INVLPG_ALL, 0, ~0u },
		{ "uvmf_invlpg_local", 0, 0, UVMF_INVLPG },
		{ "uvmf_tlb_flush_all", 0, 0, UVMF_TLB_FLUSH | UVMF_ALL },
		{ "uvmf_invlpg_multi", 0, 0, UVMF_INVLPG | (u32)&mask },
	};
	char name[48];
	u32 i, got;
	long r;

	mask = 1;
	x[0] = 0x1111;
	y[0] = 0x2222;
	map(victim, va_to_mfn(x), PTE_RO);
	for (i = 0; i < ARRAY_SIZE(f); i++) {
		u32 *want = i % 2 ? x : y;
		u64 pte = ((u64)va_to_mfn(want) << 12) | PTE_RO;

		(void)*(volatile u32 *)victim;		/* the old translation is cached */
		if (f[i].uvm_flags == ~0u) {
			r = mmu1(pte_maddr, pte, DOMID_SELF);
			if (!r)
				r = ext(f[i].cmd, (u32)victim, f[i].arg2);
		} else {
			r = uvm(victim, pte, f[i].uvm_flags);
		}
		got = *(volatile u32 *)victim;
		snprintf(name, sizeof(name), "%s_takes_effect", f[i].name);
		if (!CHECK(r == 0 && got == want[0], name))
			test_diag("  result %d, read 0x%x, want 0x%x", (int)r, got, want[0]);
	}
	CHECK_EQ(ext(MMUEXT_TLB_FLUSH_MULTI, 0, OUTSIDE_GPA), -XEN_EINVAL,
		 "flush_multi_bad_mask_einval");
	CHECK_EQ(uvm(victim, ((u64)va_to_mfn(x) << 12) | PTE_RO, UVMF_INVLPG | 0xF6000000u),
		 -XEN_EFAULT, "uvmf_bad_mask_efault");
	CHECK_EQ(ext(MMUEXT_FLUSH_CACHE, 0, 0), -XEN_EACCES, "flush_cache_eacces");
	CHECK_EQ(ext(MMUEXT_FLUSH_CACHE_GLOBAL, 0, 0), -XEN_EINVAL, "flush_cache_global_einval");
	CHECK_EQ(ext(MMUEXT_MARK_SUPER, 0, 0), -XEN_EOPNOTSUPP, "mark_super_eopnotsupp");
	CHECK_EQ(ext(14, 0, 0), -XEN_ENOSYS, "mmuext_unknown_enosys");
}

/* ---- whole pages, the M2P, foreign domains, done -------------------------- */

/* A load that may fault: EAX stays ~0 when the #PF handler skips it. */
u32 m2p_read(u32 addr);
extern u8 m2p_after[];
asm(".text\n"
    "m2p_read:\n"
    "	mov 4(%esp), %ecx\n"
    "	mov $0xFFFFFFFF, %eax\n"
    "	mov (%ecx), %eax\n"
    "m2p_after:\n"
    "	ret\n");

/* The M2P entry of mfn read at 0xF5800000, if the M2P is mapped (-1 if not). */
static long m2p_entry(u32 mfn)
{
	u32 before = trap_count, v;

	trap_resume[14] = (u32)m2p_after;
	v = m2p_read(XEN_MACH2PHYS_VIRT_START + mfn * 4);
	trap_resume[14] = 0;
	return trap_count == before ? (long)v : -1;
}

static void pages_m2p_domains(void)
{
	u8 *a = pool[11], *b = pool[12];
	static struct xen_trap_info pf[] = {
		{ 14, 0, FLAT_RING1_CS, (u32)trap_stub_14 }, { 0, 0, 0, 0 },
	};
	struct mmu_update req[2];
	u32 done = 99, i, bad = 0;
	long m2p;

	set_trap_table(pf);
	memset(a, 0x5A, PAGE_SIZE);
	memset(b, 0x11, PAGE_SIZE);
	CHECK_EQ(ext(MMUEXT_COPY_PAGE, va_to_mfn(b), va_to_mfn(a)), 0, "copy_page");
	for (i = 0; i < PAGE_SIZE; i++)
		bad += b[i] != 0x5A;
	CHECK_EQ(bad, 0, "copy_page_copied");
	CHECK_EQ(ext(MMUEXT_CLEAR_PAGE, va_to_mfn(a), 0), 0, "clear_page");
	for (i = 0, bad = 0; i < PAGE_SIZE; i++)
		bad += a[i] != 0;
	CHECK_EQ(bad, 0, "clear_page_cleared");
	CHECK_EQ(ext(MMUEXT_CLEAR_PAGE, va_to_mfn(boot_l3()), 0), -XEN_EINVAL,
		 "clear_page_table_einval");
	CHECK_EQ(ext(MMUEXT_CLEAR_PAGE, OUTSIDE_GPA >> 12, 0), -XEN_EINVAL,
		 "clear_page_outside_einval");

	CHECK_EQ(mmu1(((u64)va_to_mfn(a) << 12) | MMU_MACHPHYS_UPDATE, 0x12345, DOMID_SELF),
		 0, "machphys_update");
	m2p = m2p_entry(va_to_mfn(a));
	if (m2p < 0)
		test_diag("  no M2P mapped at 0x%x: the update is not checked there",
			  XEN_MACH2PHYS_VIRT_START);
	CHECK(m2p < 0 || m2p == 0x12345, "machphys_update_seen_in_m2p_if_mapped");
	CHECK_EQ(mmu1(((u64)va_to_mfn(a) << 12) | MMU_MACHPHYS_UPDATE, va_to_pfn(a), DOMID_SELF),
		 0, "machphys_update_back");
	CHECK_EQ(mmu1(OUTSIDE_GPA | MMU_MACHPHYS_UPDATE, 0, DOMID_SELF), -XEN_EINVAL,
		 "machphys_update_outside_einval");

	CHECK_EQ(mmu1(l1e_maddr((u32)victim), 0, DOMID_IO), -XEN_EPERM,
		 "mmu_update_domid_io_eperm");
	CHECK_EQ(mmu1(l1e_maddr((u32)victim), 0, 0x1234), -XEN_ESRCH, "mmu_update_no_domain_esrch");
	CHECK_EQ(hypercall(__HYPERVISOR_update_va_mapping_otherdomain, victim, 0, 0, 0,
			   DOMID_SELF), 0, "uvm_otherdomain_self");
	CHECK_EQ(hypercall(__HYPERVISOR_update_va_mapping_otherdomain, victim, 0, 0, 0,
			   DOMID_XEN), -XEN_EPERM, "uvm_otherdomain_xen_eperm");

	req[0].ptr = l1e_maddr((u32)victim);
	req[0].val = ((u64)va_to_mfn(a) << 12) | PTE_RO;
	req[1].ptr = l1e_maddr((u32)victim) | 5;	/* no such command */
	req[1].val = 0;
	CHECK_EQ(mmu_update(req, 2, &done, DOMID_SELF), -XEN_ENOSYS, "mmu_update_bad_cmd_enosys");
	CHECK_EQ(done, 1, "mmu_update_done_counts_what_ran");
	CHECK_EQ(mmu_update(req, 1, &done, DOMID_SELF), 0, "mmu_update_one");
	CHECK_EQ(done, 1, "mmu_update_done_one");
}

/* ---- two ring-3 processes, two trees --------------------------------------- */

extern u8 user_text_start[], user_text_end[], user_loop[];
/*
 * Ring 3: bump the counter in this process's data page, then report it
 * (EAX) and the message page's word (EBX) with int $0x80.  Forever: the
 * kernel decides when it ends.
 */
asm(".pushsection .user_text, \"ax\"\n"
    ".globl user_loop\n"
    "user_loop:\n"
    "	incl 0x40000000\n"		/* USER_VA: this process's data */
    "	mov 0x40000000, %eax\n"
    "	mov 0x40002000, %ebx\n"		/* MSG_VA */
    "	int $0x80\n"
    "	jmp user_loop\n"
    ".popsection\n");

static u8 kstack[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* The int $0x80 handler: process_switch(frame, eax, ebx), return by the iret hypercall. */
extern u8 sys_entry[];
asm(".text\n"
    "sys_entry:\n"
    "	push %ecx\n	push %edx\n"
    "	lea 8(%esp), %ecx\n"
    "	push %ebx\n	push %eax\n	push %ecx\n"
    "	cld\n	call process_switch\n	add $12, %esp\n"
    "	pop %edx\n	pop %ecx\n"
    "	jmp hypercall_page + 23 * 32\n");

struct process {
	u64 *l3, *l2_user, *l1_user;
	u32 *data, *stack;
	u32 runs;
};

static struct process proc[2];
static u32 *msg[2];
static u32 current, switches, wrong_eax, wrong_msg, mc_failures, first_bad[3];
static struct xen_multicall_entry mc[2];
static struct mmuext_op mc_op;

u32 process_switch(u32 *frame, u32 eax, u32 ebx);
u32 process_switch(u32 *frame, u32 eax, u32 ebx)
{
	struct process *p = &proc[current];
	u32 next = !current;
	u64 pte;

	/* This process counted its own runs in its own page, at USER_VA. */
	p->runs++;
	if (eax != p->runs + current * 0x1000) {
		if (!wrong_eax++) {
			first_bad[0] = switches;
			first_bad[1] = eax;
		}
	}
	if (switches && ebx != msg[current][0]) {
		if (!wrong_msg++)
			first_bad[2] = ebx;
	}
	if (++switches == SWITCHES) {
		frame[0] = (u32)ring3_exit;	/* back to ring 1 */
		frame[1] = FLAT_RING1_CS;
		return 0;
	}
	/* Switch trees, then map the next message page in the new tree. */
	mc_op = (struct mmuext_op){ MMUEXT_NEW_BASEPTR, va_to_mfn(proc[next].l3), 0 };
	pte = ((u64)va_to_mfn(msg[next]) << 12) | PTE_USER_RW;
	mc[0] = (struct xen_multicall_entry){ __HYPERVISOR_mmuext_op, ~0u,
					   { (u32)&mc_op, 1, 0, DOMID_SELF } };
	mc[1] = (struct xen_multicall_entry){ __HYPERVISOR_update_va_mapping, ~0u,
					   { MSG_VA, (u32)pte, (u32)(pte >> 32), UVMF_INVLPG } };
	msg[next][0] = 0xC0DE0000 + switches;
	if (multicall(mc, 2) || mc[0].result || mc[1].result)
		mc_failures++;
	current = next;
	return 0;
}

static int setup_process(u32 i)
{
	struct process *p = &proc[i];
	u32 base = 13 + i * 5;
	int ok;

	build_tree(base, base + 1);
	p->l3 = page(base);
	p->l2_user = page(base + 2);
	p->l1_user = page(base + 3);
	p->data = (u32 *)page(base + 4);
	p->stack = (u32 *)(i ? pool[24] : pool[23]);
	memset(p->l2_user, 0, PAGE_SIZE);
	memset(p->l1_user, 0, PAGE_SIZE);
	p->data[0] = i * 0x1000;
	p->l3[USER_VA >> 30] = ((u64)va_to_mfn(p->l2_user) << 12) | PTE_P;
	p->l2_user[(USER_VA >> 21) & 511] = ((u64)va_to_mfn(p->l1_user) << 12) | PTE_USER_RW;
	p->l1_user[0] = ((u64)va_to_mfn(p->data) << 12) | PTE_USER_RW;
	p->l1_user[1] = ((u64)va_to_mfn(p->stack) << 12) | PTE_USER_RW;
	p->l1_user[2] = ((u64)va_to_mfn(msg[i]) << 12) | PTE_USER_RW;
	ok = make_ro(p->l1_user) && make_ro(p->l2_user) && make_ro(page(base + 1)) &&
	     make_ro(p->l3);
	return ok && ext(MMUEXT_PIN_L3_TABLE, va_to_mfn(p->l3), 0) == 0;
}

static void two_processes(void)
{
	static struct xen_trap_info table[] = {
		{ 0x80, 3, FLAT_RING1_CS, (u32)sys_entry }, { 0, 0, 0, 0 },
	};
	static u32 msgs[2][PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));
	u32 va;
	int ok = 1;

	/* Processes live in L3 slot 1, their own in each tree; the kernel below. */
	if ((u32)_end > USER_VA) {
		CHECK(0, "kernel_below_user_region");
		return;
	}
	msg[0] = msgs[0];
	msg[1] = msgs[1];
	for (va = (u32)user_text_start; va < (u32)user_text_end; va += PAGE_SIZE)
		ok &= map((void *)va, va_to_mfn((void *)va), PTE_USER_RW) == 0;
	CHECK(ok, "user_text_mapped");
	CHECK(setup_process(0) && setup_process(1), "two_trees_built_and_pinned");
	CHECK_EQ(stack_switch(FLAT_RING1_SS, (u32)kstack + sizeof(kstack)), 0, "stack_switch");
	CHECK_EQ(set_trap_table(table), 0, "set_trap_table_int80");
	CHECK_EQ(ext(MMUEXT_NEW_BASEPTR, va_to_mfn(proc[0].l3), 0), 0, "enter_first_tree");
	printf("# mm: two ring-3 processes at 0x%x, %u switches\n", USER_VA, SWITCHES);
	enter_ring3(user_loop, 0x40002000);

	CHECK_EQ(read_cs(), FLAT_RING1_CS, "back_in_ring1");
	CHECK_EQ(switches, SWITCHES, "process_switches");
	CHECK_EQ(mc_failures, 0, "multicall_new_baseptr_and_uvm_succeed");
	if (!CHECK_EQ(wrong_eax, 0, "each_process_sees_its_own_page"))
		test_diag("  first at switch %u: eax 0x%x", first_bad[0], first_bad[1]);
	if (!CHECK_EQ(wrong_msg, 0, "uvm_after_new_baseptr_maps_into_new_tree"))
		test_diag("  first wrong message 0x%x", first_bad[2]);
	CHECK_EQ(proc[0].data[0] + proc[1].data[0], SWITCHES + 0x1000, "runs_counted_in_own_pages");
	CHECK_EQ(ext(MMUEXT_NEW_BASEPTR, va_to_mfn(boot_l3()), 0), 0, "back_to_boot_tree");
	CHECK(ext(MMUEXT_UNPIN_TABLE, va_to_mfn(proc[0].l3), 0) == 0 &&
	      ext(MMUEXT_UNPIN_TABLE, va_to_mfn(proc[1].l3), 0) == 0, "unpin_process_trees");
	CHECK(make_rw(proc[0].l1_user) && make_rw(proc[1].l3), "process_tables_writable_again");
}

void test_main(void)
{
	test_plan(77);
	pin_and_refusals();
	xen_slots_and_l3();
	second_tree();
	flushes();
	pages_m2p_domains();
	two_processes();
}
