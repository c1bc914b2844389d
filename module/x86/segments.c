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

/* Descriptors exactly as compat Xen's boot GDT has them (xen_abi.h). */
static const u64 flat_descriptors[][2] = {
	{ FLAT_RING1_CS, XEN_FLAT_RING1_CS_DESC },
	{ FLAT_RING1_DS, XEN_FLAT_RING1_DS_DESC },
	{ FLAT_RING3_CS, XEN_FLAT_RING3_CS_DESC },
	{ FLAT_RING3_DS, XEN_FLAT_RING3_DS_DESC },
};

#define DESC_P		BIT_ULL(47)
#define DESC_S		BIT_ULL(44)

/* VMX access rights of a descriptor: bits 40..55 with the limit nibble cleared. */
static u32 descriptor_ar(u64 desc)
{
	return (desc >> 40) & 0xF0FF;
}

/*
 * The segment register the CPU would have after loading selector: from the
 * descriptor it names in the guest's GDT, Xen's page or the LDT.  False
 * (and an unusable segment) if there is no present code/data descriptor.
 */
bool pvmx_guest_segment(struct pvmx_vcpu_core *v, u16 selector, struct pvmx_seg *seg)
{
	u64 desc;

	memset(seg, 0, sizeof(*seg));
	seg->selector = selector;
	seg->ar = PVMX_AR_UNUSABLE;
	if (!(selector & ~3))
		return true;
	if (pvmx_read_descriptor(v, selector, &desc) || !(desc & DESC_P) || !(desc & DESC_S))
		return false;
	seg->base = pvmx_desc_base(desc);
	seg->limit = pvmx_desc_limit(desc);
	seg->ar = descriptor_ar(desc);
	return true;
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

u32 pvmx_vcpu_ldt_va(const struct pvmx_vcpu *vcpu)
{
	return PVMX_HV_LDT_VA + vcpu->core.id * PVMX_HV_VCPU_STRIDE;
}

/* A guest frame as the CPU's descriptor table: read-only, supervisor, no-exec. */
static u64 guest_desc_pte(u32 mfn)
{
	return ((u64)mfn << PAGE_SHIFT) | PVMX_PTE_P | PVMX_PTE_A | PVMX_PTE_NX;
}

static u64 ldt_descriptor(u32 base, u32 entries)
{
	u32 limit = entries * 8 - 1;

	/* Present, DPL 0, type 2 (LDT), byte granular (at most 64 KiB). */
	return (limit & 0xFFFF) | ((u64)(base & 0xFFFFFF) << 16) | (0x82ULL << 40) |
	       ((u64)(limit >> 16) << 48) | ((u64)(base >> 24) << 56);
}

/*
 * The guest's GDT frames into the vCPU's 14 GDT pages (a zero page where it
 * has none, as Xen), its LDT pages mapped so far into its LDT area, and the
 * LDT descriptor in Xen's page for the LDTR the VMCS loads.
 */
static void map_desc_tables(struct pvmx_vcpu *vcpu)
{
	const struct pvmx_desc_tables *t = &vcpu->core.desc;
	u64 *gdt_l1 = page_address(vcpu->vm->arch.hv_l1);
	u64 *ldt_l1 = page_address(vcpu->vm->arch.hv_l1_ldt);
	u64 *gdt = page_address(vcpu->arch.gdt_page);
	u32 nr = (t->gdt_ents + PVMX_DESCS_PER_FRAME - 1) / PVMX_DESCS_PER_FRAME;
	int i;

	gdt_l1 += (pvmx_vcpu_area_va(vcpu) - PVMX_HV_AREA_VA) >> PAGE_SHIFT;
	for (i = 0; i < PVMX_GDT_GUEST_FRAMES; i++)
		WRITE_ONCE(gdt_l1[i], i < nr ? guest_desc_pte(t->gdt_frames[i]) :
			   hv_pte(PVMX_HV_FRAME_ZERO));
	ldt_l1 += vcpu->core.id * (PVMX_HV_VCPU_STRIDE >> PAGE_SHIFT);
	for (i = 0; i < PVMX_LDT_FRAMES; i++)
		WRITE_ONCE(ldt_l1[i], (t->ldt_mapped & BIT(i)) ?
			   guest_desc_pte(t->ldt_frames[i]) : 0);
	gdt[PVMX_GDT_LDT_INDEX - XEN_FIRST_RESERVED_GDT_ENTRY] =
		t->ldt_ents ? ldt_descriptor(pvmx_vcpu_ldt_va(vcpu), t->ldt_ents) : 0;
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
	l1[PVMX_GDT_PAGES - 1] = hv_pte(PVMX_HV_FRAME_GDT(id));
	/* Executable: it holds the int $0x80 fast-path stub. */
	l1[PVMX_TSS_PAGE] = hv_pte(PVMX_HV_FRAME_TSS(id)) & ~PVMX_PTE_NX;
	map_desc_tables(vcpu);
}

void pvmx_arch_desc_changed(struct pvmx_vcpu_core *v)
{
	struct pvmx_vcpu *vcpu = container_of(v, struct pvmx_vcpu, core);

	map_desc_tables(vcpu);
	/* The int $0x80 gate and bounce name GDT selectors: check them again. */
	WRITE_ONCE(v->int80.stale, true);
	pvmx_arch_traps_changed(v);
	/* LDTR and the TLB: before the vCPU's next entry (its VMCS may not be current). */
	WRITE_ONCE(vcpu->arch.desc_dirty, true);
}

/* LDTR from v->desc, and no stale translation of the tables.  VMCS current. */
void pvmx_load_desc_state(struct pvmx_vcpu *vcpu)
{
	const struct pvmx_desc_tables *t = &vcpu->core.desc;
	struct pvmx_seg seg = { .ar = PVMX_AR_UNUSABLE };

	vcpu->arch.desc_dirty = false;
	if (t->ldt_ents)
		seg = (struct pvmx_seg){ .selector = PVMX_LDT_SELECTOR,
			.base = pvmx_vcpu_ldt_va(vcpu), .limit = t->ldt_ents * 8 - 1, .ar = 0x82 };
	pvmx_write_guest_segment(PVMX_SREG_LDTR, &seg);
	pvmx_arch_flush_guest_tlb(&vcpu->core, 0, false);
}

/*
 * The int $0x80 fast path (Xen's own 32-bit hypervisor had it as the fast
 * trap), when the launcher asks for it (PVMX_BOOT_FAST_INT80): while the
 * guest's vector 0x80 has a flat ring-1 handler that does not mask events
 * and a stack_switch stack, the hardware IDT holds a DPL-3 trap gate, and
 * the TSS the stack, so a guest system call reaches its kernel with no VM
 * exit.  The gate enters a small ring-1 stub in this vCPU's TSS page that
 * makes the hardware frame Xen's (saved upcall mask in CS bits 16-23,
 * EFLAGS.IF = !mask, read from shared_info mapped read-only at
 * PVMX_HV_SHINFO_VA) and jumps to the guest's handler with the interrupted
 * flags and registers intact.  It uses 8 bytes of stack below the frame.
 *
 *	pushf
 *	push	%eax
 *	movzbl	%ss:MASK, %eax		; this vCPU's evtchn_upcall_mask
 *	test	%eax, %eax
 *	jz	1f
 *	shl	$16, %eax
 *	or	%eax, %ss:12(%esp)	; CS word
 *	andl	$~0x200, %ss:16(%esp)	; EFLAGS.IF
 * 1:	pop	%eax
 *	popf
 *	jmp	handler
 */
static const u8 fast_int80_stub[] = {
	0x9c,						/* pushf */
	0x50,						/* push %eax */
	0x36, 0x0f, 0xb6, 0x05, 0, 0, 0, 0,		/* movzbl %ss:MASK, %eax */
	0x85, 0xc0,					/* test %eax, %eax */
	0x74, 0x11,					/* jz 1f (17 bytes on) */
	0xc1, 0xe0, 0x10,				/* shl $16, %eax */
	0x36, 0x09, 0x44, 0x24, 0x0c,			/* or %eax, %ss:12(%esp) */
	0x36, 0x81, 0x64, 0x24, 0x10, 0xff, 0xfd, 0xff, 0xff, /* andl $~0x200, %ss:16(%esp) */
	0x58,						/* 1: pop %eax */
	0x9d,						/* popf */
	0xe9, 0, 0, 0, 0,				/* jmp handler */
};

#define STUB_MASK_DISP	6
#define STUB_JMP_REL	(sizeof(fast_int80_stub) - 4)

void pvmx_arch_traps_changed(struct pvmx_vcpu_core *v)
{
	struct pvmx_vcpu *vcpu = container_of(v, struct pvmx_vcpu, core);
	u8 *tss = page_address(vcpu->arch.tss_page);
	u64 *idt = (u64 *)(tss + PVMX_IDT_OFFSET);
	const struct pvmx_trap_entry *t = &v->trap_ctxt[0x80];
	u32 stub = pvmx_vcpu_area_va(vcpu) + PVMX_TSS_PAGE * PAGE_SIZE + PVMX_STUB_OFFSET;
	u32 mask = PVMX_HV_SHINFO_VA + v->id * sizeof(struct xen_vcpu_info) +
		   offsetof(struct xen_vcpu_info, evtchn_upcall_mask);
	u32 rel = t->address - (stub + sizeof(fast_int80_stub));
	bool fast;

	pvmx_int80_refresh(v);
	fast = v->int80.flat && t->address && !(t->flags & PVMX_TRAP_MASK_EVENTS) &&
	       !v->vcpu_info;	/* the mask is read from shared_info */
	BUILD_BUG_ON(PVMX_STUB_OFFSET + sizeof(fast_int80_stub) > PVMX_IDT_OFFSET);
	memcpy(tss + TSS32_ESP1, &v->cpu.kernel_sp, 4);
	memcpy(tss + TSS32_SS1, &v->cpu.kernel_ss, 4);
	memcpy(tss + PVMX_STUB_OFFSET, fast_int80_stub, sizeof(fast_int80_stub));
	memcpy(tss + PVMX_STUB_OFFSET + STUB_MASK_DISP, &mask, 4);
	memcpy(tss + PVMX_STUB_OFFSET + STUB_JMP_REL, &rel, 4);
	/* 32-bit trap gate (keeps IF), present, DPL 3, to the stub. */
	WRITE_ONCE(idt[0x80], !fast ? 0 :
		   (stub & 0xFFFF) | ((u64)t->cs << 16) | (0xEFULL << 40) |
		   ((u64)(stub >> 16) << 48));
}

/* The stub reads upcall masks here; the guest cannot write through it. */
void pvmx_map_shared_info_ro(struct pvmx_vm *vm)
{
	u64 *l1 = page_address(vm->arch.hv_l1_shinfo);

	l1[0] = ((u64)vm->core.shared_info_gfn << PAGE_SHIFT) | PVMX_PTE_P | PVMX_PTE_A |
		PVMX_PTE_NX;
}

u32 pvmx_arch_m2p_mfn(struct pvmx_vm_core *core, u32 page)
{
	return PVMX_HV_GPA(PVMX_HV_FRAME_M2P(page)) >> PAGE_SHIFT;
}

/*
 * Xen owns L2 entries 428..511 of the L2 under L3 slot 3: it overwrites them
 * with its own mappings.  We map the M2P from slot 428 (as many slots as the
 * VM's table needs), the LDT areas in slot 509, shared_info read-only in
 * slot 510 and the hypervisor area in slot 511; the slots between stay empty.
 */
void pvmx_arch_fill_hv_l2(struct pvmx_vm_core *core, u64 *l2)
{
	struct pvmx_vm *vm = container_of(core, struct pvmx_vm, core);
	u32 i;

	for (i = 0; i < PVMX_M2P_MAX_L1; i++)
		WRITE_ONCE(l2[PVMX_M2P_L2_SLOT + i], i >= vm->arch.nr_m2p_l1 ? 0 :
			   PVMX_HV_GPA(PVMX_HV_FRAME_L1_M2P(i)) | PVMX_PTE_P | PVMX_PTE_RW |
			   PVMX_PTE_A);
	for (i = PVMX_M2P_L2_SLOT + PVMX_M2P_MAX_L1; i < PVMX_HV_LDT_L2_SLOT; i++)
		WRITE_ONCE(l2[i], 0);
	WRITE_ONCE(l2[PVMX_HV_LDT_L2_SLOT], PVMX_HV_GPA(PVMX_HV_FRAME_L1_LDT) | PVMX_PTE_P |
		   PVMX_PTE_RW | PVMX_PTE_A);
	WRITE_ONCE(l2[PVMX_HV_SHINFO_L2_SLOT], PVMX_HV_GPA(PVMX_HV_FRAME_L1_SHINFO) |
		   PVMX_PTE_P | PVMX_PTE_RW | PVMX_PTE_A);
	WRITE_ONCE(l2[PVMX_HV_L2_SLOT], PVMX_HV_GPA(PVMX_HV_FRAME_L1) | PVMX_PTE_P |
		   PVMX_PTE_RW | PVMX_PTE_A);
}
