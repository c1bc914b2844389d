// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of desc.c: Xen's check_descriptor rules for compat guests,
 * set_gdt, update_descriptor, SET_LDT and the descriptor lookup, with Xen's
 * results and errnos.
 */
#include "harness.h"
#include "fixture.h"
#include "unit_tests.h"

#define XEN_ERR(e)	((u32)-(e))
#define LIST_VA		0x220000u	/* set_gdt frame list */
#define GDT0_GPA	0x200000u	/* two GDT frames */
#define GDT1_GPA	0x201000u
#define LDT_VA		0x230000u	/* an LDT page, mapped 1:1 */
#define STACK_TOP	0x280000u
#define HANDLER		0x00123450u

/* Flags nibble and access byte in descriptor bit positions. */
#define G_D		0xCu		/* 4 KiB granularity, 32-bit */
#define CODE_DPL0	0x9A		/* present, code, readable */
#define CODE_DPL1	0xBA
#define CODE_DPL3	0xFA
#define DATA_DPL0	0x92		/* present, data, writable */
#define DATA_DPL1	0xB2
#define DATA_DPL3	0xF2

static u64 mkdesc(u32 base, u32 limit, u32 access, u32 flags)
{
	return (limit & 0xFFFF) | ((u64)(base & 0xFFFFFF) << 16) | ((u64)access << 40) |
	       ((u64)((limit >> 16) & 0xF) << 48) | ((u64)flags << 52) |
	       ((u64)(base >> 24) << 56);
}

static u64 mkgate(u16 sel, u32 offset, u32 dpl, u32 params)
{
	return (offset & 0xFFFF) | ((u64)sel << 16) | ((u64)params << 32) |
	       ((u64)(0x8C | (dpl << 5)) << 40) | ((u64)(offset >> 16) << 48);
}

static u64 *desc_at(u32 gpa)
{
	return (u64 *)fx_gpa(gpa);
}

static void wr32(u32 va, u32 x)
{
	memcpy(fx_gpa(va), &x, 4);
}

static bool check(u64 in, u64 *out)
{
	*out = in;
	return pvmx_check_descriptor(out);
}

static void check_descriptor_code_and_data(void)
{
	u64 d;

	/* DPL 0 is raised to 1 (compat guest kernel RPL); accessed bit set. */
	CHECK(check(mkdesc(0, 0xFFFFF, CODE_DPL0, G_D), &d));
	CHECK_EQ(d, 0x00cfbb000000ffffULL);
	CHECK(check(mkdesc(0, 0xFFFFF, DATA_DPL0, G_D), &d));
	CHECK_EQ(d, 0x00cfb3000000ffffULL);
	/* DPL 1 and 3 stay; the accessed bit is set. */
	CHECK(check(mkdesc(0x12345678, 0xFF, DATA_DPL3, 0x4), &d));
	CHECK_EQ(d, mkdesc(0x12345678, 0xFF, DATA_DPL3 | 1, 0x4));
	CHECK(check(mkdesc(0x1000, 0x10, CODE_DPL1, G_D), &d));
	CHECK_EQ(d, mkdesc(0x1000, 0x10, CODE_DPL1 | 1, G_D));
	/* Checking again changes nothing. */
	CHECK(check(d, &d));
	CHECK_EQ(d, mkdesc(0x1000, 0x10, CODE_DPL1 | 1, G_D));
	/* 64-bit code segments are refused, whatever the DPL. */
	CHECK(!check(mkdesc(0, 0xFFFFF, CODE_DPL3, 0xA), &d));
	CHECK(!check(mkdesc(0, 0xFFFFF, CODE_DPL0, 0xA), &d));
	/* Not present: accepted untouched, whatever else it says. */
	CHECK(check(0x0000090012345678ULL, &d));
	CHECK_EQ(d, 0x0000090012345678ULL);
	CHECK(check(mkdesc(0, 0xFFFFF, CODE_DPL0 & 0x7F, 0xA), &d));
	CHECK_EQ(d, mkdesc(0, 0xFFFFF, CODE_DPL0 & 0x7F, 0xA));
}

static void check_descriptor_widens_limits_into_the_hole(void)
{
	u64 d;

	/* Old PAE Linux: base 0, limit 0xF67FFFFF -> 4 GiB. */
	CHECK(check(mkdesc(0, 0xF67FF, DATA_DPL1, G_D), &d));
	CHECK_EQ(d, mkdesc(0, 0xFFFFF, DATA_DPL1 | 1, G_D));
	/* Reaching one page into the hole is enough. */
	CHECK(check(mkdesc(0, 0xF5800, CODE_DPL3, G_D), &d));
	CHECK_EQ(d, mkdesc(0, 0xFFFFF, CODE_DPL3 | 1, G_D));
	/* Ending exactly at the hole: kept. */
	CHECK(check(mkdesc(0, 0xF57FF, DATA_DPL1, G_D), &d));
	CHECK_EQ(d, mkdesc(0, 0xF57FF, DATA_DPL1 | 1, G_D));
	/* A non-zero base is never widened. */
	CHECK(check(mkdesc(0x1000, 0xF67FF, DATA_DPL1, G_D), &d));
	CHECK_EQ(d, mkdesc(0x1000, 0xF67FF, DATA_DPL1 | 1, G_D));
}

static void check_descriptor_system_descriptors(void)
{
	static const u32 refused[] = { 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x9, 0xB, 0xE, 0xF };
	u64 d;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(refused); i++)
		CHECK(!check(mkdesc(0x1000, 0x67, 0x80 | (3 << 5) | refused[i], 0), &d));
	/* Present type 0: the harmless upper half of a call gate. */
	CHECK(check(0x0000800000000000ULL | 0x1234, &d));
	CHECK_EQ(d, 0x0000800000000000ULL | 0x1234);
	/* A call gate: DPL 0, the guest's DPL kept in the target's RPL. */
	CHECK(check(mkgate(0x0008, 0x12345678, 3, 0), &d));
	CHECK_EQ(d, mkgate(0x000B, 0x12345678, 0, 0));
	CHECK(check(mkgate(0x0008, 0x100, 0, 0), &d));		/* DPL 0 -> 1 */
	CHECK_EQ(d, mkgate(0x0009, 0x100, 0, 0));
	CHECK(check(mkgate(FLAT_RING1_CS, 0x100, 1, 2), &d));	/* Xen's kernel CS */
	CHECK_EQ(d, mkgate(FLAT_RING1_CS, 0x100, 0, 2));
	CHECK(check(mkgate(0xE00C, 0x100, 1, 0), &d));		/* LDT selector */
	/* Other targets in Xen's page, and reserved parameter bits, are refused. */
	CHECK(!check(mkgate(FLAT_RING3_CS, 0x100, 3, 0), &d));
	CHECK(!check(mkgate(0xE008, 0x100, 1, 0), &d));
	CHECK(!check(mkgate(0x0008, 0x100, 1, 0x20), &d));
}

/* Guest GDT frames at GDT0/GDT1, listed at LIST_VA. */
/* Descriptor frames may not be mapped writable (page types): map gpa read-only. */
static void map_read_only(u32 gpa)
{
	fx_hypercall(__HYPERVISOR_update_va_mapping, gpa, gpa | PVMX_PTE_P | PVMX_PTE_A, 0,
		     UVMF_INVLPG, 0);
	CHECK_EQ(fx_eax(), 0);
}

static void setup_gdt_frames(void)
{
	map_read_only(GDT0_GPA);
	map_read_only(GDT1_GPA);
	memset(fx_gpa(GDT0_GPA), 0, 8192);
	desc_at(GDT0_GPA)[1] = mkdesc(0, 0xFFFFF, CODE_DPL0, G_D);
	desc_at(GDT0_GPA)[2] = mkdesc(0x10000, 0xFFF, DATA_DPL1, 0x4);
	desc_at(GDT0_GPA)[3] = mkdesc(0x20000, 0xFFF, DATA_DPL3, 0x4);
	desc_at(GDT0_GPA)[100] = mkdesc(0x30000, 0xFF, DATA_DPL1, 0x4);
	desc_at(GDT1_GPA)[0] = mkdesc(0x40000, 0xFF, DATA_DPL1, 0x4);
	wr32(LIST_VA, GDT0_GPA >> 12);
	wr32(LIST_VA + 4, GDT1_GPA >> 12);
}

static void set_gdt_installs_checked_frames(void)
{
	u64 d;

	setup_gdt_frames();
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 513, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.desc.gdt_ents, 513);
	CHECK_EQ(fx.v.desc.gdt_frames[0], GDT0_GPA >> 12);
	CHECK_EQ(fx.v.desc.gdt_frames[1], GDT1_GPA >> 12);
	CHECK_EQ(fx.desc_changed, 1);
	/* Fixed up in the guest's frame, as Xen does. */
	CHECK_EQ(desc_at(GDT0_GPA)[1], 0x00cfbb000000ffffULL);
	CHECK_EQ(desc_at(GDT0_GPA)[2], mkdesc(0x10000, 0xFFF, DATA_DPL1 | 1, 0x4));
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 0x0010, &d), 0);
	CHECK_EQ(d, mkdesc(0x10000, 0xFFF, DATA_DPL1 | 1, 0x4));
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 512 << 3, &d), 0);
	CHECK_EQ(d, mkdesc(0x40000, 0xFF, DATA_DPL1 | 1, 0x4));
	/* Past the frames: zeroes; Xen's page: the flat selectors; past it: nothing. */
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 1024 << 3, &d), 0);
	CHECK_EQ(d, 0);
	CHECK_EQ(pvmx_read_descriptor(&fx.v, FLAT_RING3_DS, &d), 0);
	CHECK_EQ(d, 0x00cff3000000ffffULL);
	CHECK_EQ(pvmx_read_descriptor(&fx.v, FLAT_RING1_CS, &d), 0);
	CHECK_EQ(d, 0x00cfbb000000ffffULL);
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 7680 << 3, &d), -XEN_EINVAL);

	/* Selectors as the hardware would take them. */
	CHECK(pvmx_selector_usable(&fx.v, 0x0009, PVMX_SEG_CODE));	/* DPL 0 -> 1 */
	CHECK(!pvmx_selector_usable(&fx.v, 0x000B, PVMX_SEG_CODE));
	CHECK(pvmx_selector_usable(&fx.v, 0x0011, PVMX_SEG_STACK));
	CHECK(!pvmx_selector_usable(&fx.v, 0x0013, PVMX_SEG_STACK));
	CHECK(pvmx_selector_usable(&fx.v, 0x001B, PVMX_SEG_STACK));
	CHECK(pvmx_selector_usable(&fx.v, 0x001B, PVMX_SEG_USER_DATA));
	CHECK(!pvmx_selector_usable(&fx.v, 0x0011, PVMX_SEG_USER_DATA));
	CHECK(!pvmx_selector_usable(&fx.v, 1024 << 3, PVMX_SEG_USER_DATA));
	CHECK(pvmx_selector_usable(&fx.v, FLAT_RING1_CS, PVMX_SEG_CODE));
	CHECK(pvmx_selector_usable(&fx.v, FLAT_RING3_SS, PVMX_SEG_STACK));
	CHECK(pvmx_selector_usable(&fx.v, 0, PVMX_SEG_USER_DATA));
	CHECK(!pvmx_selector_usable(&fx.v, 0, PVMX_SEG_STACK));

	/* A second set_gdt of one frame: the old state goes. */
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 3, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.desc.gdt_ents, 3);
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 512 << 3, &d), 0);
	CHECK_EQ(d, 0);
	/* Entries past gdt_ents in a mapped frame are still there, as on Xen. */
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 100 << 3, &d), 0);
	CHECK_EQ(d, mkdesc(0x30000, 0xFF, DATA_DPL1 | 1, 0x4));
	/* And none at all. */
	fx_hypercall(__HYPERVISOR_set_gdt, 0, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 0x0010, &d), 0);
	CHECK_EQ(d, 0);
	CHECK(pvmx_selector_usable(&fx.v, FLAT_RING1_DS, PVMX_SEG_STACK));
}

/* A call gate's DPL, kept in its selector's RPL, survives re-use of its frame. */
static void set_gdt_checks_a_frame_once(void)
{
	setup_gdt_frames();
	desc_at(GDT0_GPA)[9] = mkgate(0x0008, 0x100, 3, 0);
	wr32(LIST_VA + 4, GDT0_GPA >> 12);		/* the same frame twice */
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 600, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(desc_at(GDT0_GPA)[9], mkgate(0x000B, 0x100, 0, 0));
	/* Installing it again while this vCPU holds it: not checked again. */
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 16, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(desc_at(GDT0_GPA)[9], mkgate(0x000B, 0x100, 0, 0));
	/* A gate whose DPL became 0: a fresh check raises it to 1, as Xen's would. */
	fx_hypercall(__HYPERVISOR_set_gdt, 0, 0, 0, 0, 0);
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 16, 0, 0, 0);
	CHECK_EQ(desc_at(GDT0_GPA)[9], mkgate(0x0009, 0x100, 0, 0));
}

static void set_gdt_refusals(void)
{
	u32 bad = FX_RAM_FRAMES;

	setup_gdt_frames();
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 1, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	fx.desc_changed = 0;

	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 7169, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	fx_hypercall(__HYPERVISOR_set_gdt, FX_UNMAPPED_VA, 1, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
	/* Frames outside the guest's RAM (shared_info included). */
	wr32(LIST_VA + 4, bad);
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 600, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	wr32(LIST_VA + 4, 0x12345678);
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 600, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	/* A frame holding a system descriptor, or a 64-bit code segment. */
	wr32(LIST_VA + 4, GDT1_GPA >> 12);
	desc_at(GDT1_GPA)[7] = mkdesc(0x1000, 0x67, 0x89, 0);
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 600, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	desc_at(GDT1_GPA)[7] = mkdesc(0, 0xFFFFF, CODE_DPL1, 0xA);
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 600, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	/* Nothing changed by any of them. */
	CHECK_EQ(fx.desc_changed, 0);
	CHECK_EQ(fx.v.desc.gdt_ents, 1);
	CHECK_EQ(fx.v.desc.gdt_frames[0], GDT0_GPA >> 12);
	CHECK_EQ(fx.v.desc.gdt_frames[1], 0);
	/* The whole frame is checked, not only the first `entries`. */
	desc_at(GDT1_GPA)[7] = 0;
	desc_at(GDT1_GPA)[511] = mkdesc(0x1000, 0x67, 0x89, 0);
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 513, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
}

/* A second vCPU (down, uninitialised), for frames two vCPUs share. */
static struct pvmx_vcpu_core v1;
static struct pvmx_run run1;
static void add_vcpu1(void)
{
	fx_add_vcpu(&v1, &run1, 1);
}

/*
 * Issue 15 points 3 and 11: a set_gdt or LDT page refused because the frame
 * is a live page table writes nothing into it (the check's fix-ups come
 * after the type is taken, as in Xen's alloc_segdesc_page()).
 */
static void refused_desc_frame_is_left_alone(void)
{
	u32 l1b = FX_L1_GPA + 0x1000;	/* the L1 mapping 2..4 MiB */
	u64 looks_like_code = mkdesc(0, 0xFFFFF, CODE_DPL0, G_D), d;

	setup_gdt_frames();
	/* Entries the check would rewrite, planted behind the validator's back. */
	desc_at(l1b)[500] = looks_like_code;
	desc_at(FX_L3_GPA)[100] = looks_like_code;
	wr32(LIST_VA, l1b >> 12);
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 16, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(desc_at(l1b)[500], looks_like_code);
	wr32(LIST_VA, GDT0_GPA >> 12);
	wr32(LIST_VA + 4, FX_L3_GPA >> 12);
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 600, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(desc_at(FX_L3_GPA)[100], looks_like_code);
	CHECK_EQ(fx.frame_table[GDT0_GPA >> 12].type_count, 0);
	CHECK_EQ(fx.v.desc.gdt_ents, 0);
	/* The L1 as an LDT page (mapped read-only at its address): the #PF. */
	fx.v.trap_ctxt[14].address = HANDLER;
	fx.v.trap_ctxt[14].cs = FLAT_RING1_CS;
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
	CHECK_EQ(fx_locked(pvmx_set_ldt(&fx.v, l1b, 512)), 0);
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 500 << 3 | 4, &d), -XEN_EINVAL);
	CHECK_EQ(pvmx_ldt_fault(&fx.v, 500 * 8, 0), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, HANDLER);
	CHECK_EQ(fx.v.desc.ldt_mapped, 0);
	CHECK_EQ(desc_at(l1b)[500], looks_like_code);
	CHECK_EQ(fx.frame_table[l1b >> 12].type, PVMX_PGT_L1);
}

/* Issue 15 point 3: a frame another vCPU holds as its GDT is not checked again. */
static void frame_held_by_another_vcpu_not_rechecked(void)
{
	u32 frames[1] = { GDT0_GPA >> 12 };

	add_vcpu1();
	setup_gdt_frames();
	desc_at(GDT0_GPA)[9] = mkgate(0x0008, 0x100, 3, 0);
	CHECK_EQ(fx_locked(pvmx_set_gdt(&v1, frames, 16)), 0);
	CHECK_EQ(desc_at(GDT0_GPA)[9], mkgate(0x000B, 0x100, 0, 0));
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 16, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(desc_at(GDT0_GPA)[9], mkgate(0x000B, 0x100, 0, 0));
	CHECK_EQ(fx.frame_table[GDT0_GPA >> 12].type_count, 2);
	spin_lock(&fx.vm.lock);
	pvmx_desc_release(&v1);
	spin_unlock(&fx.vm.lock);
	fx.vm.vcpus[1] = NULL;
}

/*
 * What another vCPU stores through a stale writable translation until the
 * type change's flush reaches it (the kick): the check must come after.
 */
static u64 stale_store;
static void store_then_exit(struct pvmx_vcpu_core *v)
{
	if (v != &v1)
		return;
	desc_at(GDT0_GPA)[4] = stale_store;
	__atomic_store_n(&v->in_guest, 0, __ATOMIC_SEQ_CST);
}

static void stale_writable_translation_checked_after_flush(void)
{
	u64 d;

	add_vcpu1();
	setup_gdt_frames();	/* GDT0 was mapped writable: typed writable, unreferenced */
	fx.on_kick = store_then_exit;
	/* A DPL-0 code segment: fixed to DPL 1 in the live GDT. */
	stale_store = mkdesc(0, 0xFFFFF, CODE_DPL0, G_D);
	v1.in_guest = 1;
	fx.kicks = 0;
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 16, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.kicks, 1);
	CHECK_EQ(desc_at(GDT0_GPA)[4], 0x00cfbb000000ffffULL);
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 4 << 3, &d), 0);
	CHECK_EQ(d, 0x00cfbb000000ffffULL);
	fx_hypercall(__HYPERVISOR_set_gdt, 0, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);

	/* A TSS descriptor: the frame is refused, not installed. */
	map_read_only(GDT0_GPA);	/* writable once more, then read-only */
	fx_hypercall(__HYPERVISOR_update_descriptor, GDT0_GPA + 8 * 4, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	stale_store = mkdesc(0x1000, 0x67, 0x89, 0);
	v1.in_guest = 1;
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 16, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(fx.v.desc.gdt_ents, 0);
	CHECK_EQ(fx.frame_table[GDT0_GPA >> 12].type_count, 0);
	fx.on_kick = NULL;
	fx.vm.vcpus[1] = NULL;
}

static void update_descriptor_checks_and_writes(void)
{
	u64 good = mkdesc(0x50000, 0xFF, DATA_DPL0, 0x4), d;
	u32 pa = GDT0_GPA + 5 * 8;

	setup_gdt_frames();
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 16, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	fx_hypercall(__HYPERVISOR_update_descriptor, pa, 0, (u32)good, good >> 32, 0);
	CHECK_EQ(fx_eax(), 0);
	/* Stored checked: DPL 1, accessed. */
	CHECK_EQ(desc_at(pa)[0], mkdesc(0x50000, 0xFF, DATA_DPL1 | 1, 0x4));
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 5 << 3, &d), 0);
	CHECK_EQ(d, mkdesc(0x50000, 0xFF, DATA_DPL1 | 1, 0x4));
	/* Any ordinary page may be written too. */
	fx_hypercall(__HYPERVISOR_update_descriptor, 0x240008, 0, (u32)good, good >> 32, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(desc_at(0x240008)[0], mkdesc(0x50000, 0xFF, DATA_DPL1 | 1, 0x4));

	/* Refusals leave the slot alone. */
	fx_hypercall(__HYPERVISOR_update_descriptor, pa + 4, 0, (u32)good, good >> 32, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	d = mkdesc(0x1000, 0x67, 0x89, 0);
	fx_hypercall(__HYPERVISOR_update_descriptor, pa, 0, (u32)d, d >> 32, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	d = mkdesc(0, 0xFFFFF, CODE_DPL1, 0xA);
	fx_hypercall(__HYPERVISOR_update_descriptor, pa, 0, (u32)d, d >> 32, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	fx_hypercall(__HYPERVISOR_update_descriptor, FX_RAM_FRAMES << 12, 0, (u32)good,
		     good >> 32, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	fx_hypercall(__HYPERVISOR_update_descriptor, pa, 1, (u32)good, good >> 32, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(desc_at(pa)[0], mkdesc(0x50000, 0xFF, DATA_DPL1 | 1, 0x4));
}

static void set_ldt_records_and_maps_on_use(void)
{
	u64 d;

	map_read_only(LDT_VA);
	memset(fx_gpa(LDT_VA), 0, 4096);
	desc_at(LDT_VA)[1] = mkdesc(0x60000, 0xFF, DATA_DPL0, 0x4);
	desc_at(LDT_VA)[2] = mkdesc(0x1000, 0x67, 0x89, 0);	/* refused when mapped */

	/* Xen's argument checks. */
	CHECK_EQ(fx_locked(pvmx_set_ldt(&fx.v, LDT_VA + 8, 4)), -XEN_EINVAL);
	CHECK_EQ(fx_locked(pvmx_set_ldt(&fx.v, LDT_VA, 8193)), -XEN_EINVAL);
	CHECK_EQ(fx_locked(pvmx_set_ldt(&fx.v, LDT_VA + 8, 0)), 0);	/* no LDT: no address */
	CHECK_EQ(fx.v.desc.ldt_base, 0);
	CHECK_EQ(fx.desc_changed, 0);

	CHECK_EQ(fx_locked(pvmx_set_ldt(&fx.v, LDT_VA, 3)), 0);
	CHECK_EQ(fx.v.desc.ldt_base, LDT_VA);
	CHECK_EQ(fx.v.desc.ldt_ents, 3);
	CHECK_EQ(fx.v.desc.ldt_mapped, 0);	/* pages are mapped on first use */
	CHECK_EQ(fx.desc_changed, 1);
	/* The page holds a TSS descriptor: it cannot become an LDT page. */
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 0x000C, &d), -XEN_EINVAL);
	CHECK_EQ(fx.v.desc.ldt_mapped, 0);
	desc_at(LDT_VA)[2] = 0;
	/* Read as it would be mapped, checked on a copy: nothing taken, nothing written. */
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 0x000C, &d), 0);
	CHECK_EQ(d, mkdesc(0x60000, 0xFF, DATA_DPL1 | 1, 0x4));
	CHECK_EQ(fx.v.desc.ldt_mapped, 0);
	CHECK_EQ(fx.frame_table[LDT_VA >> 12].type_count, 0);
	CHECK_EQ(desc_at(LDT_VA)[1], mkdesc(0x60000, 0xFF, DATA_DPL0, 0x4));
	CHECK(pvmx_selector_usable(&fx.v, 0x000D, PVMX_SEG_STACK));
	/* The CPU's first access maps it, checked in place. */
	CHECK_EQ(pvmx_ldt_fault(&fx.v, 8, 0), PVMX_RESUME);
	CHECK_EQ(fx.v.desc.ldt_mapped, 1);
	CHECK_EQ(fx.v.desc.ldt_frames[0], LDT_VA >> 12);
	CHECK_EQ(desc_at(LDT_VA)[1], mkdesc(0x60000, 0xFF, DATA_DPL1 | 1, 0x4));
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 0x000C, &d), 0);
	CHECK_EQ(d, mkdesc(0x60000, 0xFF, DATA_DPL1 | 1, 0x4));
	/* Past the LDT's entries. */
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 3 << 3 | 4, &d), -XEN_EINVAL);
	/* The same LDT again changes nothing; a new one drops the mappings. */
	CHECK_EQ(fx_locked(pvmx_set_ldt(&fx.v, LDT_VA, 3)), 0);
	CHECK_EQ(fx.v.desc.ldt_mapped, 1);
	CHECK_EQ(fx_locked(pvmx_set_ldt(&fx.v, 0, 0)), 0);
	CHECK_EQ(fx.v.desc.ldt_mapped, 0);
	CHECK_EQ(fx.v.desc.ldt_ents, 0);
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 0x000C, &d), -XEN_EINVAL);
	/* A page held as another type (a live L1) is not read as an LDT. */
	CHECK_EQ(fx_locked(pvmx_set_ldt(&fx.v, FX_L1_GPA, 3)), 0);
	CHECK_EQ(pvmx_read_descriptor(&fx.v, 0x000C, &d), -XEN_EINVAL);
}

static void ldt_fault_maps_or_reflects(void)
{
	u32 frame[4];

	fx.v.trap_ctxt[14].address = HANDLER;
	fx.v.trap_ctxt[14].cs = FLAT_RING1_CS;
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
	map_read_only(LDT_VA);
	fx.v.cpu.eip = 0x1000;		/* where the hypercall above left it */
	memset(fx_gpa(LDT_VA), 0, 4096);
	memset(fx_gpa(FX_L1_GPA + ((LDT_VA + 4096) >> 12) * 8), 0, 8);	/* not present */
	CHECK_EQ(fx_locked(pvmx_set_ldt(&fx.v, LDT_VA, 600)), 0);

	/* A mappable page: mapped, the access is retried. */
	CHECK_EQ(pvmx_ldt_fault(&fx.v, 8, 0), PVMX_RESUME);
	CHECK_EQ(fx.v.desc.ldt_mapped, 1);
	CHECK_EQ(fx.v.cpu.eip, 0x1000);
	/* The second page is not mapped by the guest: #PF at the guest's address. */
	CHECK_EQ(pvmx_ldt_fault(&fx.v, 4096 + 16, 0), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, HANDLER);
	CHECK_EQ(fx.vm.shared_info->vcpu_info[0].cr2, LDT_VA + 4096 + 16);
	memcpy(frame, fx_gpa(STACK_TOP - 16), 16);
	CHECK_EQ(frame[0], 0);		/* error code */
	CHECK_EQ(frame[1], 0x1000);
	/* A write fault on a mapped page, and a fault past the LDT: as they are. */
	fx.v.cpu.eip = 0x2000;
	fx.vm.shared_info->vcpu_info[0].cr2 = 0xFFA00010;
	CHECK_EQ(pvmx_ldt_fault(&fx.v, 16, 3), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, HANDLER);
	CHECK_EQ(fx.vm.shared_info->vcpu_info[0].cr2, 0xFFA00010);
	fx.v.cpu.eip = 0x2000;
	CHECK_EQ(pvmx_ldt_fault(&fx.v, 600 * 8, 0), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, HANDLER);
	CHECK_EQ(fx.v.desc.ldt_mapped, 1);
}

/* Bounce frames and iret go through the stack segment's base, as Xen's %fs does. */
static void stack_segment_base_for_frames(void)
{
	u32 esp = 0x8000, base = 0x270000, f[5];

	setup_gdt_frames();
	desc_at(GDT0_GPA)[2] = mkdesc(base, 0xFFFF, DATA_DPL1, 0x4);
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 16, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	fx.v.trap_ctxt[14].address = HANDLER;
	fx.v.trap_ctxt[14].cs = FLAT_RING1_CS;
	fx.v.cpu.ss = 0x0011;
	fx.v.cpu.gpr[PVMX_ESP] = esp;
	fx.v.cpu.eip = 0x1234;
	CHECK_EQ(pvmx_deliver_exception(&fx.v, 14, true, 2), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, HANDLER);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], esp - 16);
	memcpy(f, fx_gpa(base + esp - 16), 16);
	CHECK_EQ(f[0], 2);
	CHECK_EQ(f[1], 0x1234);
	CHECK_EQ(f[2] & 0xFFFF, FLAT_RING1_CS);

	/* iret reads its frame there too: eax, eip, cs, eflags. */
	f[0] = 0xAA;
	f[1] = 0x5678;
	f[2] = FLAT_RING1_CS;
	f[3] = 0x202;
	memcpy(fx_gpa(base + 0x7000), f, 16);
	fx.v.cpu.gpr[PVMX_ESP] = 0x7000;
	fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0);
	CHECK_EQ(fx.v.cpu.eip, 0x5678);
	CHECK_EQ(fx_eax(), 0xAA);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], 0x7010);
	CHECK_EQ(fx.v.cpu.ss, 0x0011);
}

/* What one `int $0x80` from ring 3 left: the frame (and a word each side), the state. */
struct int80_result {
	u32 words[7];
	u32 cs, ss, esp, eip, eflags, traps;
	u8 mask;
	enum pvmx_action act;
};

static void int80_once(bool fast, u16 cs, u16 ss, u32 ss_base, u8 flags, u8 mask,
		       struct int80_result *r)
{
	u32 sp = 0xF00;

	memset(r, 0, sizeof(*r));
	fx.vm.fast_int80 = fast;
	fx.v.trap_ctxt[0x80] = (struct pvmx_trap_entry){ HANDLER, cs, flags };
	fx.v.cpu.kernel_ss = ss;
	fx.v.cpu.kernel_sp = sp;
	pvmx_int80_refresh(&fx.v);
	fx.v.cpu.cs = FLAT_RING3_CS;
	fx.v.cpu.ss = FLAT_RING3_SS;
	fx.v.cpu.gpr[PVMX_ESP] = 0x100000;
	fx.v.cpu.eip = 0x7000;
	fx.v.cpu.eflags = 0x3302;	/* IOPL 3, TF, IF */
	fx.v.stats.traps = 0;
	fx.vm.shared_info->vcpu_info[0].evtchn_upcall_mask = mask;
	memset(fx_gpa(ss_base + sp - 24), 0xA5, 28);
	r->act = pvmx_int80(&fx.v, 2);
	memcpy(r->words, fx_gpa(ss_base + sp - 24), 28);
	r->cs = fx.v.cpu.cs;
	r->ss = fx.v.cpu.ss;
	r->esp = fx.v.cpu.gpr[PVMX_ESP];
	r->eip = fx.v.cpu.eip;
	r->eflags = fx.v.cpu.eflags;
	r->traps = fx.v.stats.traps;
	r->mask = fx.vm.shared_info->vcpu_info[0].evtchn_upcall_mask;
}

/*
 * pvmx_int80(): with fast_int80, GDT selectors are checked once (refresh)
 * and the frame is written by the short path; without it, by the general
 * path.  Both must leave exactly the same frame and state, Xen's.
 */
static void int80_short_path_matches_general_path(void)
{
	static const struct { u16 cs, ss; u32 base; bool flat; } sel[] = {
		{ 0x61, 0x69, 0, true },	/* Linux's __KERNEL_CS/__KERNEL_DS */
		{ 0x09, 0x11, 0x10000, false },	/* data segment with a base */
		{ FLAT_RING1_CS, FLAT_RING1_SS, 0, true },
	};
	struct int80_result on, off;
	u32 i, m, f;

	setup_gdt_frames();
	desc_at(GDT0_GPA)[12] = mkdesc(0, 0xFFFFF, CODE_DPL0, G_D);
	desc_at(GDT0_GPA)[13] = mkdesc(0, 0xFFFFF, DATA_DPL0, G_D);
	fx_hypercall(__HYPERVISOR_set_gdt, LIST_VA, 16, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	for (i = 0; i < ARRAY_SIZE(sel); i++)
		for (m = 0; m < 2; m++)
			for (f = 3; f <= 7; f += 4) {
				int80_once(true, sel[i].cs, sel[i].ss, sel[i].base, f, m, &on);
				CHECK(fx.v.int80.direct);
				CHECK_EQ(fx.v.int80.flat, sel[i].flat);
				int80_once(false, sel[i].cs, sel[i].ss, sel[i].base, f, m, &off);
				CHECK(!fx.v.int80.direct && !fx.v.int80.flat);
				CHECK_EQ(on.act, PVMX_RESUME);
				CHECK(!memcmp(&on, &off, sizeof(on)));
				/* Xen's frame: EIP, CS | mask << 16, EFLAGS, ESP, SS. */
				CHECK_EQ(on.words[0], 0xA5A5A5A5);
				CHECK_EQ(on.words[1], 0x7002);
				CHECK_EQ(on.words[2], FLAT_RING3_CS | m << 16);
				CHECK_EQ(on.words[3], m ? 0x0102u : 0x0302u);
				CHECK_EQ(on.words[4], 0x100000);
				CHECK_EQ(on.words[5], FLAT_RING3_SS);
				CHECK_EQ(on.words[6], 0xA5A5A5A5);
				CHECK_EQ(on.esp, 0xF00 - 20);
				CHECK_EQ(on.ss, sel[i].ss);
				CHECK_EQ(on.cs, sel[i].cs);
				CHECK_EQ(on.eip, HANDLER);
				CHECK_EQ(on.eflags & 0x100, 0);
				CHECK_EQ(on.mask, (f & 4) ? 1 : m);
				CHECK_EQ(on.traps, 1);
			}

	/* An LDT selector, an unusable SS, a null CS: not direct. */
	fx.vm.fast_int80 = true;
	fx.v.trap_ctxt[0x80] = (struct pvmx_trap_entry){ HANDLER, 0x0D, 3 };
	pvmx_int80_refresh(&fx.v);
	CHECK(!fx.v.int80.direct);
	fx.v.trap_ctxt[0x80] = (struct pvmx_trap_entry){ HANDLER, 0x61, 3 };
	fx.v.cpu.kernel_ss = 0x61;
	pvmx_int80_refresh(&fx.v);
	CHECK(!fx.v.int80.direct);
	fx.v.trap_ctxt[0x80] = (struct pvmx_trap_entry){ HANDLER, 1, 3 };
	fx.v.cpu.kernel_ss = 0x69;
	pvmx_int80_refresh(&fx.v);
	CHECK(!fx.v.int80.direct);

	/* update_descriptor of the entry CS names: checked again; of another: not. */
	fx.v.trap_ctxt[0x80] = (struct pvmx_trap_entry){ HANDLER, 0x61, 3 };
	pvmx_int80_refresh(&fx.v);
	CHECK(fx.v.int80.flat);
	fx.traps_changed = 0;
	fx_hypercall(__HYPERVISOR_update_descriptor, GDT0_GPA + 5 * 8, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.traps_changed, 0);
	fx_hypercall(__HYPERVISOR_update_descriptor, GDT0_GPA + 12 * 8, 0,
		     (u32)mkdesc(0, 0x7FFFF, CODE_DPL0, G_D),
		     mkdesc(0, 0x7FFFF, CODE_DPL0, G_D) >> 32, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.traps_changed, 1);
	fx_hypercall(__HYPERVISOR_update_descriptor, GDT0_GPA + 13 * 8, 0,
		     (u32)mkdesc(0, 0xFFFFF, DATA_DPL0, G_D),
		     mkdesc(0, 0xFFFFF, DATA_DPL0, G_D) >> 32, 0);
	CHECK_EQ(fx.traps_changed, 2);
	pvmx_int80_refresh(&fx.v);
	CHECK(fx.v.int80.direct && !fx.v.int80.flat);	/* code limit 2 GiB */
	fx.vm.fast_int80 = false;
}

const struct unit_test desc_tests[] = {
	UNIT_TEST(check_descriptor_code_and_data),
	UNIT_TEST(check_descriptor_widens_limits_into_the_hole),
	UNIT_TEST(check_descriptor_system_descriptors),
	UNIT_TEST(set_gdt_installs_checked_frames),
	UNIT_TEST(set_gdt_checks_a_frame_once),
	UNIT_TEST(set_gdt_refusals),
	UNIT_TEST(refused_desc_frame_is_left_alone),
	UNIT_TEST(frame_held_by_another_vcpu_not_rechecked),
	UNIT_TEST(stale_writable_translation_checked_after_flush),
	UNIT_TEST(update_descriptor_checks_and_writes),
	UNIT_TEST(set_ldt_records_and_maps_on_use),
	UNIT_TEST(ldt_fault_maps_or_reflects),
	UNIT_TEST(stack_segment_base_for_frames),
	UNIT_TEST(int80_short_path_matches_general_path),
	{ NULL, NULL },
};
