// SPDX-License-Identifier: GPL-2.0
/*
 * desc: the guest's own GDT and LDT (Documentation/guest-abi.rst "Descriptor
 * tables").  set_gdt with two of its own frames (mapped read-only first, as Xen
 * requires), then: Xen's fix-ups visible in the frames (DPL 0 raised to 1, a
 * base-0 limit into the hole widened, a call gate's DPL moved into its
 * selector's RPL), a data segment with a non-zero base loaded in ring 1, a
 * DPL-3 one loaded in ring 3 (and a DPL-1 one refused there with #GP(sel)), a
 * far return to the raised code segment, update_descriptor changing a live
 * descriptor, the flat selectors still usable, and the refusals (entries >
 * 7168, a frame outside the guest, a system descriptor, 64-bit code, a
 * misaligned update_descriptor).
 * Also an LDT through MMUEXT_SET_LDT, and mapping a GDT frame writable
 * refused (-EBUSY: the frame holds the seg_desc type).
 */
#include "runtime.h"


#define PTE_RO		0x21u	/* P | A */
#define PTE_RW		0x63u	/* P | RW | A | D */
#define PTE_USER_RW	0x67u	/* P | RW | US | A | D */

/* Access bytes (P, DPL, S, type) and flag nibbles (G, D/B, L). */
#define CODE_DPL0	0x9A
#define DATA_DPL0	0x92
#define DATA_DPL1	0xB2
#define DATA_DPL3	0xF2
#define G_D		0xC
#define BYTE_D		0x4
#define G_L		0xA

/* Our GDT: selectors (index << 3 | RPL). */
#define SEL_DATA1	0x0009	/* [1] data, DPL 0 -> 1, base data_a */
#define SEL_DATA3	0x0013	/* [2] data, DPL 3, base in user_data */
#define SEL_DATA3_RPL3	0x0013
#define SEL_DATA1_RPL3	0x000B
#define SEL_CODE	0x0019	/* [3] flat code, DPL 0 -> 1 */
#define IDX_HOLE	4	/* base 0, limit 0xF67FFFFF */
#define IDX_GATE	5	/* call gate, DPL 3 */
#define SEL_LIVE	0x0031	/* [6] changed by update_descriptor */
#define IDX_LIVE	6
#define SEL_LDT_DATA	0x000D	/* LDT [1], RPL 1 */
#define GDT_ENTRIES	1024

static u64 gdt[2][512] __attribute__((aligned(PAGE_SIZE)));
static u64 bad_tss[512] __attribute__((aligned(PAGE_SIZE)));
static u64 bad_l64[512] __attribute__((aligned(PAGE_SIZE)));
static u64 ldt[512] __attribute__((aligned(PAGE_SIZE)));
static volatile u32 data_a[1024] __attribute__((aligned(PAGE_SIZE)));
static volatile u32 data_b[1024] __attribute__((aligned(PAGE_SIZE)));
static volatile u32 data_c[1024] __attribute__((aligned(PAGE_SIZE)));
static u8 user_stack[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* Ring 3 writes [0] gs:0, [1] gs; [256] is what its DPL-3 segment starts at. */
volatile u32 user_data[PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));
static u8 kstack[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

#define KSTACK_TOP	((u32)kstack + sizeof(kstack))
#define USER_SEG_OFF	1024

extern u8 user_text_start[], user_text_end[], user_entry[], u_gp[], u_gp_after[];
asm(".pushsection .user_text, \"ax\"\n"
    ".globl user_entry\n"
    "user_entry:\n"
    "	mov $0x13, %eax\n"
    "	mov %eax, %gs\n"
    "	mov %gs:0, %eax\n"
    "	mov %eax, user_data\n"
    "	mov %gs, %eax\n"
    "	mov %eax, user_data + 4\n"
    "	mov $0x0b, %eax\n"
    "u_gp:	mov %eax, %fs\n"
    "u_gp_after:\n"
    "	ud2\n"
    ".popsection\n");

static u64 mkdesc(u32 base, u32 limit, u32 access, u32 flags)
{
	return (limit & 0xFFFF) | ((u64)(base & 0xFFFFFF) << 16) | ((u64)access << 40) |
	       ((u64)((limit >> 16) & 0xF) << 48) | ((u64)flags << 52) |
	       ((u64)(base >> 24) << 56);
}

static u64 mkgate(u16 sel, u32 offset, u32 dpl)
{
	return (offset & 0xFFFF) | ((u64)sel << 16) | ((u64)(0x8C | (dpl << 5)) << 40) |
	       ((u64)(offset >> 16) << 48);
}

static long mmuext(u32 cmd, u32 arg1, u32 arg2)
{
	struct mmuext_op op = { cmd, arg1, arg2 };

	return mmuext_op(&op, 1, NULL, DOMID_SELF);
}

static long set_gdt(const u32 *frames, u32 entries)
{
	return hypercall(__HYPERVISOR_set_gdt, frames, entries, 0, 0, 0);
}

static long update_descriptor(u64 ma, u64 d)
{
	return hypercall(__HYPERVISOR_update_descriptor, (u32)ma, (u32)(ma >> 32),
			 (u32)d, (u32)(d >> 32), 0);
}

static u64 ma_of(const void *va)
{
	return ((u64)va_to_mfn(va) << 12) | ((u32)va & 0xFFF);
}

static int map(const void *va, u32 flags)
{
	u64 pte = ((u64)va_to_mfn(va) << 12) | flags;
	long r = update_va_mapping((u32)va, pte, UVMF_INVLPG);

	if (r)
		test_diag("  update_va_mapping(0x%x, 0x%x) = %d", (u32)va, (u32)pte, (int)r);
	return r == 0;
}

/* Load sel into FS and read FS:off (ring 1). */
static u32 fs_read(u16 sel, u32 off)
{
	u32 v;

	asm volatile("mov %w1, %%fs\n\t"
		     "mov %%fs:(%2), %0\n\t"
		     : "=r"(v) : "r"((u32)sel), "r"(off) : "memory");
	return v;
}

static void fs_write(u16 sel, u32 off, u32 v)
{
	asm volatile("mov %w0, %%fs\n\t"
		     "mov %2, %%fs:(%1)\n\t"
		     : : "r"((u32)sel), "r"(off), "r"(v) : "memory");
}

static void fs_clear(void)
{
	asm volatile("mov %w0, %%fs" : : "r"(0u));
}

/* Far return to our raised code segment and back; the CS seen there. */
static u32 cs_via_gdt_code(void)
{
	u32 cs;

	asm volatile("pushl $%c1\n\t"
		     "pushl $1f\n\t"
		     "lret\n"
		     "1:\tmov %%cs, %0\n\t"
		     "pushl $%c2\n\t"
		     "pushl $2f\n\t"
		     "lret\n"
		     "2:"
		     : "=r"(cs) : "i"(SEL_CODE), "i"(FLAT_RING1_CS) : "memory");
	return cs & 0xffff;
}

static void hook(u32 vec, u32 *frame)
{
	if (vec == 6) {			/* ud2 at the end of ring 3: back to ring 1 */
		frame[0] = (u32)ring3_exit;
		frame[1] = FLAT_RING1_CS;
	}
}

static void ring3_part(void)
{
	static struct xen_trap_info table[] = {
		{ 6, 0, FLAT_RING1_CS, (u32)trap_stub_6 },
		{ 13, 0, FLAT_RING1_CS, (u32)trap_stub_13 },
		{ 0, 0, 0, 0 },
	};
	const volatile struct trap_record *r;
	u32 va, base;
	int ok;

	for (ok = 1, va = (u32)user_text_start; va < (u32)user_text_end; va += PAGE_SIZE)
		ok &= map((void *)va, PTE_USER_RW);
	ok &= map(user_stack, PTE_USER_RW) && map((void *)user_data, PTE_USER_RW);
	ok &= stack_switch(FLAT_RING1_SS, KSTACK_TOP) == 0 && set_trap_table(table) == 0;
	CHECK(ok, "ring3_setup");
	user_data[USER_SEG_OFF / 4] = 0xC0DE0003;
	trap_resume[13] = (u32)u_gp_after;
	trap_hook = hook;
	base = trap_count;
	enter_ring3(user_entry, (u32)user_stack + PAGE_SIZE);
	asm volatile("mov %0, %%fs\n\tmov %0, %%gs" : : "r"(0));
	trap_hook = NULL;
	trap_resume[13] = 0;

	CHECK_EQ(user_data[0], 0xC0DE0003, "ring3_loads_dpl3_gdt_segment_with_base");
	CHECK_EQ(user_data[1] & 0xffff, SEL_DATA3_RPL3, "ring3_gs_holds_gdt_selector");
	r = &trap_log[base % TRAP_LOG];
	ok = trap_count - base == 2;
	ok &= check_word("vector", r->vector, 13);
	ok &= check_word("error code (selector index)", r->w[0], SEL_DATA1_RPL3 & ~3u);
	ok &= check_word("frame EIP", r->w[1], (u32)u_gp);
	CHECK(ok, "ring3_dpl1_segment_gp_with_selector");
	CHECK_EQ(read_cs(), FLAT_RING1_CS, "back_in_ring1");
}

static void ldt_part(void)
{
	ldt[1] = mkdesc((u32)data_c, 0xFFF, DATA_DPL1, BYTE_D);
	data_c[2] = 0xC0DE000C;
	map(ldt, PTE_RO);
	CHECK(mmuext(MMUEXT_SET_LDT, (u32)ldt + 8, 4) == -XEN_EINVAL &&
	      mmuext(MMUEXT_SET_LDT, (u32)ldt, 8193) == -XEN_EINVAL, "ldt_set_ldt_errors");
	CHECK(mmuext(MMUEXT_SET_LDT, (u32)ldt, 512) == 0 &&
	      fs_read(SEL_LDT_DATA, 8) == 0xC0DE000C, "ldt_segment_loads_in_ring1");
	fs_clear();
	mmuext(MMUEXT_SET_LDT, 0, 0);
	CHECK_EQ(update_va_mapping((u32)gdt[0], ((u64)va_to_mfn(gdt[0]) << 12) | PTE_RW,
				   UVMF_INVLPG), -XEN_EBUSY, "gdt_frame_writable_mapping_refused");
}

void test_main(void)
{
	u32 frames[2], bad[2];
	u64 d;
	test_plan(26);

	gdt[0][1] = mkdesc((u32)data_a, 0xFFF, DATA_DPL0, BYTE_D);
	gdt[0][2] = mkdesc((u32)user_data + USER_SEG_OFF, 0xFF, DATA_DPL3, BYTE_D);
	gdt[0][3] = mkdesc(0, 0xFFFFF, CODE_DPL0, G_D);
	gdt[0][IDX_HOLE] = mkdesc(0, 0xF67FF, DATA_DPL1, G_D);
	gdt[0][IDX_GATE] = mkgate(SEL_CODE, 0x1234, 3);
	gdt[0][IDX_LIVE] = mkdesc((u32)data_a, 0xFFF, DATA_DPL1, BYTE_D);
	gdt[1][0] = mkdesc((u32)data_b, 0xFFF, DATA_DPL1, BYTE_D);
	bad_tss[7] = mkdesc(0x1000, 0x67, 0x89, 0);
	bad_l64[9] = mkdesc(0, 0xFFFFF, 0xBA, G_L);
	data_a[4] = 0xC0DE000A;
	data_b[5] = 0xC0DE000B;
	CHECK(map(gdt[0], PTE_RO) && map(gdt[1], PTE_RO) && map(bad_tss, PTE_RO) &&
	      map(bad_l64, PTE_RO), "descriptor_pages_mapped_read_only");

	frames[0] = va_to_mfn(gdt[0]);
	frames[1] = va_to_mfn(gdt[1]);
	CHECK_EQ(set_gdt(frames, GDT_ENTRIES), 0, "set_gdt_own_frames");
	CHECK(gdt[0][3] == 0x00cfbb000000ffffULL, "dpl0_code_raised_to_dpl1_accessed");
	CHECK(gdt[0][1] == mkdesc((u32)data_a, 0xFFF, DATA_DPL1 | 1, BYTE_D),
	      "dpl0_data_raised_to_dpl1");
	CHECK(gdt[0][IDX_HOLE] == mkdesc(0, 0xFFFFF, DATA_DPL1 | 1, G_D),
	      "limit_into_hole_widened_to_4g");
	CHECK(gdt[0][IDX_GATE] == mkgate(SEL_CODE | 3, 0x1234, 0), "call_gate_dpl_0_rpl_keeps_dpl");

	CHECK_EQ(fs_read(SEL_DATA1, 0x10), 0xC0DE000A, "ring1_loads_data_segment_with_base");
	fs_write(SEL_DATA1, 0x20, 0x12345678);
	CHECK_EQ(data_a[8], 0x12345678, "ring1_writes_through_segment_base");
	CHECK_EQ(fs_read(512 << 3 | 1, 0x14), 0xC0DE000B, "second_gdt_frame_used");
	fs_clear();
	CHECK_EQ(cs_via_gdt_code(), SEL_CODE, "far_return_to_raised_code_segment");

	/* update_descriptor: a live entry changes; refusals leave it alone. */
	d = mkdesc((u32)data_b, 0xFFF, DATA_DPL0, BYTE_D);
	CHECK(update_descriptor(ma_of(&gdt[0][IDX_LIVE]), d) == 0 &&
	      gdt[0][IDX_LIVE] == mkdesc((u32)data_b, 0xFFF, DATA_DPL1 | 1, BYTE_D) &&
	      fs_read(SEL_LIVE, 0x14) == 0xC0DE000B, "update_descriptor_live_change");
	fs_clear();
	CHECK(update_descriptor(ma_of(&gdt[0][IDX_LIVE]) + 4, d) == -XEN_EINVAL &&
	      update_descriptor(ma_of(&gdt[0][IDX_LIVE]), mkdesc(0x1000, 0x67, 0x89, 0)) ==
	      -XEN_EINVAL &&
	      update_descriptor(ma_of(&gdt[0][IDX_LIVE]), mkdesc(0, 0xFFFFF, 0xBA, G_L)) ==
	      -XEN_EINVAL &&
	      update_descriptor((u64)(start_info->nr_pages + 0x100) << 12, d) == -XEN_EINVAL &&
	      gdt[0][IDX_LIVE] == mkdesc((u32)data_b, 0xFFF, DATA_DPL1 | 1, BYTE_D),
	      "update_descriptor_refusals_einval");

	/* set_gdt refusals: nothing changes. */
	CHECK_EQ(set_gdt(frames, 7169), -XEN_EINVAL, "set_gdt_7169_entries_einval");
	bad[0] = frames[0];
	bad[1] = start_info->nr_pages + 0x100;
	CHECK_EQ(set_gdt(bad, GDT_ENTRIES), -XEN_EINVAL, "set_gdt_frame_outside_guest_einval");
	bad[1] = va_to_mfn(bad_tss);
	CHECK_EQ(set_gdt(bad, GDT_ENTRIES), -XEN_EINVAL, "set_gdt_system_descriptor_einval");
	bad[1] = va_to_mfn(bad_l64);
	CHECK_EQ(set_gdt(bad, GDT_ENTRIES), -XEN_EINVAL, "set_gdt_64bit_code_einval");
	CHECK_EQ(fs_read(512 << 3 | 1, 0x14), 0xC0DE000B, "gdt_unchanged_after_refusals");
	fs_clear();

	/* Xen's flat selectors stay, e.g. 0xE033 in DS from ring 1 (as XTF does). */
	asm volatile("mov %w0, %%ds\n\tmov %w0, %%es" : : "r"((u32)FLAT_RING3_DS));
	data_a[9] = 0x5a5a5a5a;
	CHECK_EQ(fs_read(FLAT_RING1_DS, (u32)&data_a[9]), 0x5a5a5a5a,
		 "flat_selectors_usable_after_set_gdt");
	asm volatile("mov %w0, %%ds\n\tmov %w0, %%es" : : "r"((u32)FLAT_RING1_DS));
	fs_clear();

	ring3_part();
	ldt_part();
}
