/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMX back end: per-VM EPT and hypervisor pages, per-vCPU VMCS.
 *
 * The hypervisor's part of every guest address space is the 2 MiB at
 * PVMX_HV_AREA_VA (L2 slot 511 of the L2 under L3 slot 3).  vCPU i owns the
 * 64 KiB at PVMX_HV_AREA_VA + i * PVMX_HV_VCPU_STRIDE: 15 pages of GDT (14 for
 * the guest's own GDT frames, then the page holding Xen's reserved entries
 * 7168..7679 with the flat selectors and the TSS and LDT descriptors) and
 * one page holding the TSS and the IDT.  The 14 guest GDT pages map the
 * guest's set_gdt frames (guest RAM, read-only here) or a zero page; the
 * guest's LDT pages go to the vCPU's 64 KiB in L2 slot 509.  All of it is
 * read-only to the guest.  The hypervisor's own frames live at
 * guest-physical addresses above 4 GiB, which the hypercalls refuse to map,
 * and are read-only in EPT too; guest frames used as descriptor tables are
 * kept free of writable mappings by their SEG_DESC page type.
 */
#ifndef _PVMX_X86_VMX_H
#define _PVMX_X86_VMX_H

#include <linux/types.h>
#include <linux/list.h>
#include <asm/fpu/types.h>

#define PVMX_HV_AREA_VA		0xFFE00000u
#define PVMX_HV_L2_SLOT		511
#define PVMX_HV_VCPU_STRIDE	0x10000u
#define PVMX_GDT_PAGES		15
#define PVMX_GDT_LIMIT		(PVMX_GDT_PAGES * 4096 - 1)
#define PVMX_TSS_PAGE		15		/* page index inside a vCPU's area */
#define PVMX_STUB_OFFSET	512		/* int $0x80 fast-path stub, TSS page */
#define PVMX_IDT_OFFSET		2048		/* inside the TSS page */
/* shared_info, read-only, for the stub: L2 slot 510 (unused M2P range). */
#define PVMX_HV_SHINFO_VA	0xFFC00000u
#define PVMX_HV_SHINFO_L2_SLOT	510
#define PVMX_IDT_LIMIT		(256 * 8 - 1)
/*
 * The guest's LDT pages, mapped read-only on first use: L2 slot 509, 64 KiB
 * (8192 descriptors) per vCPU at PVMX_HV_LDT_VA + id * PVMX_HV_VCPU_STRIDE.
 */
#define PVMX_HV_LDT_VA		0xFFA00000u
#define PVMX_HV_LDT_L2_SLOT	509
/* Our entries in the reserved GDT page (index - 7168). */
#define PVMX_GDT_TSS_INDEX	(XEN_FIRST_RESERVED_GDT_ENTRY + 8)
#define PVMX_TSS_SELECTOR	(PVMX_GDT_TSS_INDEX << 3)
#define PVMX_GDT_LDT_INDEX	(XEN_FIRST_RESERVED_GDT_ENTRY + 9)
#define PVMX_LDT_SELECTOR	(PVMX_GDT_LDT_INDEX << 3)

/*
 * Guest-physical frames of the hypervisor's pages: above the guest's RAM,
 * shared_info and grant frames, below 4 GiB.  A 32-bit guest sees them in
 * the L2 entries of Xen's slots and may do 32-bit arithmetic on them: Linux's
 * xen_find_pt_base() takes the lowest frame its kernel L2 points to as the
 * start of its boot page tables, and a frame at 4 GiB wraps to 0 there, so
 * Linux reserved page 0 and freed the page tables it still maps read-only.
 * On Xen these are real machine frames, below 4 GiB on a small host.
 */
#define PVMX_HV_GPA_BASE	0xF0000000ULL
#define PVMX_HV_FRAME_L1	0
#define PVMX_HV_FRAME_ZERO	1
#define PVMX_HV_FRAME_GDT(i)	(2 + 2 * (i))
#define PVMX_HV_FRAME_TSS(i)	(3 + 2 * (i))
#define PVMX_HV_FRAME_L1_SHINFO	(PVMX_HV_FRAME_TSS(PVMX_MAX_VCPUS))
#define PVMX_HV_FRAME_L1_LDT	(PVMX_HV_FRAME_L1_SHINFO + 1)
/*
 * The M2P: up to PVMX_M2P_MAX_L1 hypervisor L1s in L2 slots 428.. map the
 * VM's table (2 GiB of RAM plus shared_info and the grant frames need two).
 */
#define PVMX_M2P_L2_SLOT	XEN_L2_FIRST_HYPERVISOR_SLOT
#define PVMX_M2P_MAX_L1		2
#define PVMX_HV_FRAME_L1_M2P(j)	(PVMX_HV_FRAME_L1_LDT + 1 + (j))
#define PVMX_HV_FRAME_M2P(i)	(PVMX_HV_FRAME_L1_M2P(PVMX_M2P_MAX_L1) + (i))
#define PVMX_HV_GPA(frame)	(PVMX_HV_GPA_BASE + (u64)(frame) * 4096)

/* DR7 bits the back end looks at (the core keeps the guest's DR7). */
#define PVMX_DR7_FIXED_1		0x00000400u
#define PVMX_DR7_ENABLES		0x000000FFu

/* Segment registers in VMCS field order. */
enum pvmx_sreg {
	PVMX_SREG_ES, PVMX_SREG_CS, PVMX_SREG_SS, PVMX_SREG_DS,
	PVMX_SREG_FS, PVMX_SREG_GS, PVMX_SREG_LDTR, PVMX_SREG_TR,
	PVMX_NR_SREGS
};

struct pvmx_vmcs {
	u32 revision_id;
	u32 abort;
	u8 data[];
};

struct pvmx_vm_arch {
	u64 *ept_pml4;
	u64 eptp;
	struct page *hv_l1;		/* maps the hypervisor area */
	struct page *hv_l1_shinfo;	/* maps shared_info read-only for the stub */
	struct page *hv_zero;		/* stands in for absent guest GDT frames */
	struct page *hv_l1_ldt;		/* maps the vCPUs' LDT areas (slot 509) */
	struct page *hv_l1_m2p[PVMX_M2P_MAX_L1];	/* map the M2P read-only */
	u32 nr_m2p_l1;			/* of them in use: L2 slots 428.. */
	u32 nr_m2p_pages;		/* M2P pages mapped in EPT */
	u64 spec_id;			/* never reused: IBPB between vCPUs (spec.c) */
};

struct pvmx_vcpu_arch {
	struct pvmx_vmcs *vmcs;
	int cpu;			/* CPU the VMCS is active on, or -1 */
	struct list_head loaded_link;	/* on that CPU's list */
	bool launched;
	bool vmcs_ready;		/* constant fields written */
	bool state_dirty;		/* SET_REGS state not yet in the VMCS */
	bool desc_dirty;		/* GDT/LDT changed: LDTR and a TLB flush due */
	bool l1d_flush_pending;		/* vmentry_l1d_flush=cond: flush before the next entry */
	u16 sregs[PVMX_SREG_GS + 1];	/* selectors as of the last stretch */
	u16 vmcs_cs, vmcs_ss;		/* CS/SS selectors the VMCS holds */
	bool cs_ss_stale;		/* reload (and check) CS/SS before entry */
	u32 vmcs_esp, vmcs_eflags;	/* ESP/EFLAGS the VMCS holds */
	u32 vmcs_dr7;			/* GUEST_DR7 the VMCS holds */
	u16 vpid;			/* 0: no VPID */
	unsigned long host_rsp;		/* cached HOST_RSP (entry asm) */
	unsigned long host_cr3;
	unsigned long host_cr4;
	struct page *gdt_page;		/* reserved GDT entries of this vCPU */
	struct page *tss_page;		/* TSS and IDT of this vCPU */
	struct fxregs_state *fpu;	/* guest x87/SSE state between stretches */
	u32 exit_reason;
	u32 exit_intr_info;
};

#endif /* _PVMX_X86_VMX_H */
