// SPDX-License-Identifier: GPL-2.0
/*
 * The hypervisor's descriptor tables in the guest address space, and segment
 * state as the VMCS holds it.
 *
 * Per vCPU (see vmx.h for the layout): Xen's reserved GDT page with the flat
 * ring-1/ring-3 selectors at entries 7171..7174 and our TSS descriptor, and a
 * page with the 32-bit TSS (SS1:ESP1 = the stack_switch stack) and an IDT of
 * empty gates, except the int $0x80 fast path below.  With every exception
 * intercepted, an empty gate means `int n` in the guest raises #GP with error
 * code (n << 3) | 2, which exits: that is how `int $0x82` reaches the
 * hypervisor.
 */
#include <linux/mm.h>
#include "vmx_ops.h"

/* Descriptors exactly as compat Xen's boot GDT has them (accessed bit set). */
static const u64 flat_descriptors[][2] = {
	{ FLAT_RING1_CS, 0x00cfbb000000ffffULL },
	{ FLAT_RING1_DS, 0x00cfb3000000ffffULL },
	{ FLAT_RING3_CS, 0x00cffb000000ffffULL },
	{ FLAT_RING3_DS, 0x00cff3000000ffffULL },
};

/* VMX access rights of a descriptor: bits 40..55 with the limit nibble cleared. */
static u32 descriptor_ar(u64 desc)
{
	return (desc >> 40) & 0xF0FF;
}

/* The descriptor a selector names, or NULL (only Xen's flat ones exist yet). */
static const u64 *flat_descriptor(u16 selector)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(flat_descriptors); i++)
		if ((flat_descriptors[i][0] >> 3) == (selector >> 3) && !(selector & 4))
			return &flat_descriptors[i][1];
	return NULL;
}

bool pvmx_flat_segment(u16 selector, struct pvmx_seg *seg)
{
	const u64 *desc = flat_descriptor(selector);

	memset(seg, 0, sizeof(*seg));
	seg->selector = selector;
	if (!(selector & ~3)) {
		seg->ar = PVMX_AR_UNUSABLE;
		return true;
	}
	if (!desc)
		return false;
	seg->limit = 0xFFFFFFFF;
	seg->ar = descriptor_ar(*desc);
	return true;
}

/* The checks a segment load makes (SDM: MOV to SS/CS via IRET, data at CPL 3). */
bool pvmx_arch_selector_usable(struct pvmx_vcpu_core *v, u16 sel, enum pvmx_seg_use use)
{
	const u64 *desc = flat_descriptor(sel);
	u32 rpl = sel & 3, dpl, type;

	if (!(sel & ~3))
		return use == PVMX_SEG_USER_DATA;
	if (!desc)
		return false;
	dpl = (*desc >> 45) & 3;
	type = (*desc >> 40) & 0xF;
	switch (use) {
	case PVMX_SEG_CODE:		/* non-conforming code: DPL == CPL == RPL */
		return (type & 8) && dpl == rpl;
	case PVMX_SEG_STACK:		/* writable data: DPL == CPL == RPL */
		return !(type & 8) && (type & 2) && dpl == rpl;
	case PVMX_SEG_USER_DATA:	/* data or readable code with DPL 3 */
		return dpl == 3 && (!(type & 8) || (type & 2));
	}
	return false;
}

void pvmx_write_guest_segment(int i, const struct pvmx_seg *seg)
{
	vmcs_write(GUEST_ES_SELECTOR + 2 * i, seg->selector);
	vmcs_write(GUEST_ES_BASE + 2 * i, seg->base);
	vmcs_write(GUEST_ES_LIMIT + 2 * i, seg->limit);
	vmcs_write(GUEST_ES_AR_BYTES + 2 * i, seg->ar);
}

u32 pvmx_vcpu_area_va(const struct pvmx_vcpu *vcpu)
{
	return PVMX_HV_AREA_VA + vcpu->core.id * PVMX_HV_VCPU_STRIDE;
}

/* 32-bit TSS fields we set. */
#define TSS32_ESP1		12
#define TSS32_SS1		16
#define TSS32_IOMAP_BASE	102
#define TSS32_SIZE		104

static u64 tss_descriptor(u32 base)
{
	u64 limit = TSS32_SIZE - 1;

	/* Present, DPL 0, type 0xB (busy 32-bit TSS): VM entry loads TR as busy. */
	return (limit & 0xFFFF) | ((u64)(base & 0xFFFFFF) << 16) | (0x8BULL << 40) |
	       ((limit >> 16) << 48) | ((u64)(base >> 24) << 56);
}

/* PAE entry of a hypervisor page: present, read-only, supervisor, no-exec. */
static u64 hv_pte(u32 frame)
{
	return PVMX_HV_GPA(frame) | PVMX_PTE_P | PVMX_PTE_A | PVMX_PTE_NX;
}

void pvmx_build_vcpu_tables(struct pvmx_vcpu *vcpu)
{
	u64 *gdt = page_address(vcpu->arch.gdt_page);
	u8 *tss = page_address(vcpu->arch.tss_page);
	u64 *l1 = page_address(vcpu->vm->arch.hv_l1);
	u32 area = pvmx_vcpu_area_va(vcpu);
	u32 id = vcpu->core.id;
	u16 iomap = TSS32_SIZE;		/* past the limit: no I/O bitmap */
	int i;

	for (i = 0; i < ARRAY_SIZE(flat_descriptors); i++)
		gdt[(flat_descriptors[i][0] >> 3) - XEN_FIRST_RESERVED_GDT_ENTRY] =
			flat_descriptors[i][1];
	gdt[PVMX_GDT_TSS_INDEX - XEN_FIRST_RESERVED_GDT_ENTRY] =
		tss_descriptor(area + PVMX_TSS_PAGE * PAGE_SIZE);

	memcpy(tss + TSS32_IOMAP_BASE, &iomap, 2);
	pvmx_arch_traps_changed(&vcpu->core);

	/* The 16 pages of this vCPU's area in the hypervisor's L1. */
	l1 += (area - PVMX_HV_AREA_VA) >> PAGE_SHIFT;
	for (i = 0; i < PVMX_GDT_PAGES - 1; i++)
		l1[i] = hv_pte(PVMX_HV_FRAME_ZERO);
	l1[PVMX_GDT_PAGES - 1] = hv_pte(PVMX_HV_FRAME_GDT(id));
	l1[PVMX_TSS_PAGE] = hv_pte(PVMX_HV_FRAME_TSS(id));
}

/*
 * The int $0x80 fast path (Xen's own 32-bit hypervisor had it as the fast
 * trap), when the launcher asks for it (PVMX_BOOT_FAST_INT80): while the
 * guest's vector 0x80 has a flat ring-1 handler that does not mask events
 * and a stack_switch stack, the hardware IDT can hold a
 * DPL-3 trap gate to it, and the TSS the stack, so a guest system call
 * reaches its kernel with no VM exit.  The frame is then the hardware's,
 * which equals Xen's only while the upcall mask is 0 (CS bits 16-23 are 0,
 * EFLAGS.IF is the real, always set, IF): pvmx_sync_fast_trap() installs the
 * gate at VM entry only when the mask is 0 (user mode runs unmasked), and
 * removes it otherwise, so `int $0x80` is reflected with Xen's frame.  A
 * guest that masks events without a hypercall and then executes `int $0x80`
 * before the next exit still gets the hardware frame: hence opt-in.
 */
void pvmx_arch_traps_changed(struct pvmx_vcpu_core *v)
{
	struct pvmx_vcpu *vcpu = container_of(v, struct pvmx_vcpu, core);
	u8 *tss = page_address(vcpu->arch.tss_page);
	const struct pvmx_trap_entry *t = &v->trap_ctxt[0x80];
	bool fast = v->vm->fast_int80 && t->address && t->cs == FLAT_RING1_CS &&
		    !(t->flags & PVMX_TRAP_MASK_EVENTS) && v->cpu.kernel_ss == FLAT_RING1_SS;

	memcpy(tss + TSS32_ESP1, &v->cpu.kernel_sp, 4);
	memcpy(tss + TSS32_SS1, &v->cpu.kernel_ss, 4);
	/* 32-bit trap gate (keeps IF), present, DPL 3. */
	vcpu->arch.fast_int80_gate = !fast ? 0 :
		(t->address & 0xFFFF) | ((u64)t->cs << 16) | (0xEFULL << 40) |
		((u64)(t->address >> 16) << 48);
	pvmx_sync_fast_trap(vcpu);
}

/* Before each VM entry: the gate only while events are unmasked. */
void pvmx_sync_fast_trap(struct pvmx_vcpu *vcpu)
{
	u64 *idt = (u64 *)((u8 *)page_address(vcpu->arch.tss_page) + PVMX_IDT_OFFSET);
	u64 gate;

	if (!vcpu->arch.fast_int80_gate && !idt[0x80])
		return;
	gate = READ_ONCE(pvmx_vcpu_info(&vcpu->core)->evtchn_upcall_mask) ? 0 :
	       vcpu->arch.fast_int80_gate;
	if (idt[0x80] != gate)
		WRITE_ONCE(idt[0x80], gate);
}

/*
 * Xen owns L2 entries 428..511 of the L2 under L3 slot 3: it overwrites them
 * with its own mappings.  We map the hypervisor area in slot 511 and leave
 * the M2P range unmapped for now.
 */
int pvmx_install_hv_slots(struct pvmx_vcpu *vcpu, u64 l2_gpa)
{
	u64 *l2 = pvmx_gfn_to_host(&vcpu->vm->core.mem, l2_gpa >> PAGE_SHIFT);
	int i;

	if (!l2)
		return -EINVAL;
	for (i = XEN_L2_FIRST_HYPERVISOR_SLOT; i < PVMX_HV_L2_SLOT; i++)
		WRITE_ONCE(l2[i], 0);
	WRITE_ONCE(l2[PVMX_HV_L2_SLOT], PVMX_HV_GPA(PVMX_HV_FRAME_L1) | PVMX_PTE_P |
		   PVMX_PTE_RW | PVMX_PTE_A);
	return 0;
}
