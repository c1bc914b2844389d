/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMX back end: per-VM EPT and hypervisor pages, per-vCPU VMCS.
 *
 * The hypervisor's part of every guest address space is the 2 MiB at
 * PVMX_HV_AREA_VA (L2 slot 511 of the L2 under L3 slot 3).  vCPU i owns the
 * 64 KiB at PVMX_HV_AREA_VA + i * PVMX_HV_VCPU_STRIDE: 15 pages of GDT (14 for
 * the guest's own GDT frames, then the page holding Xen's reserved entries
 * 7168..7679 with the flat selectors and the TSS descriptor) and one page
 * holding the TSS and the IDT.  All of it is read-only to the guest, both in
 * the guest's page tables and in EPT; the frames live at guest-physical
 * addresses above 4 GiB, which the hypercalls refuse to map.  What protects
 * them from a guest writing its own page tables is the read-only EPT entry.
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
/* Our entries in the reserved GDT page (index - 7168). */
#define PVMX_GDT_TSS_INDEX	(XEN_FIRST_RESERVED_GDT_ENTRY + 8)
#define PVMX_TSS_SELECTOR	(PVMX_GDT_TSS_INDEX << 3)

/* Guest-physical frames of the hypervisor's pages, above 4 GiB. */
#define PVMX_HV_GPA_BASE	BIT_ULL(32)
#define PVMX_HV_FRAME_L1	0
#define PVMX_HV_FRAME_ZERO	1
#define PVMX_HV_FRAME_GDT(i)	(2 + 2 * (i))
#define PVMX_HV_FRAME_TSS(i)	(3 + 2 * (i))
#define PVMX_HV_FRAME_L1_SHINFO	(PVMX_HV_FRAME_TSS(PVMX_MAX_VCPUS))
#define PVMX_HV_GPA(frame)	(PVMX_HV_GPA_BASE + (u64)(frame) * 4096)

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
};

struct pvmx_vcpu_arch {
	struct pvmx_vmcs *vmcs;
	int cpu;			/* CPU the VMCS is active on, or -1 */
	struct list_head loaded_link;	/* on that CPU's list */
	bool launched;
	bool vmcs_ready;		/* constant fields written */
	bool state_dirty;		/* SET_REGS state not yet in the VMCS */
	bool in_guest;			/* between the last look at requests and the exit */
	bool tlb_flush_pending;		/* another vCPU asked for a guest TLB flush */
	u16 sregs[PVMX_SREG_GS + 1];	/* selectors as of the last stretch */
	u16 vmcs_cs, vmcs_ss;		/* CS/SS selectors the VMCS holds */
	u32 vmcs_esp, vmcs_eflags;	/* ESP/EFLAGS the VMCS holds */
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
