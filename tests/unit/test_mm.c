// SPDX-License-Identifier: GPL-2.0
/*
 * Page types and the page-table hypercalls (mm.c), with Xen's exact results.
 * The fixture boots like a domain built by Xen: L3 0x100 pinned and loaded,
 * L2s 0x101..0x104 (0x104 is the pae_xen_l2), L1s 0x105/0x106 mapping
 * 0..4 MiB with the page-table pages read-only.
 */
#include <pthread.h>
#include "harness.h"
#include "fixture.h"
#include "unit_tests.h"

#define XEN_ERR(e)	((u32)-(e))
#define REQ_VA		0x200000u	/* request lists */
#define DONE_VA		0x201000u	/* the *done word */
#define MASK_VA		0x202000u	/* a vCPU mask */
#define L3_MFN		0x100u
#define XEN_L2_MFN	0x104u
#define L1_MFN		0x105u
#define SPARE		0x500u		/* frames from here on are unmapped and untyped */
#define RW_PTE		0x23ull		/* P | RW | A */
#define RO_PTE		0x21ull

static struct pvmx_frame *frame(u32 mfn)
{
	return &fx.frame_table[mfn];
}

static u64 rd64(u64 gpa)
{
	u64 v;

	memcpy(&v, fx_gpa(gpa), 8);
	return v;
}

static void wr64(u64 gpa, u64 v)
{
	memcpy(fx_gpa(gpa), &v, 8);
}

static void wr32(u64 gpa, u32 v)
{
	memcpy(fx_gpa(gpa), &v, 4);
}

static u32 rd32(u64 gpa)
{
	u32 v;

	memcpy(&v, fx_gpa(gpa), 4);
	return v;
}

static u64 pte(u32 mfn, u64 flags)
{
	return ((u64)mfn << 12) | flags;
}

/* One mmu_update request; returns the hypercall's result. */
static u32 mmu(u64 ptr, u64 val, u32 foreigndom)
{
	wr64(REQ_VA, ptr);
	wr64(REQ_VA + 8, val);
	fx_hypercall(__HYPERVISOR_mmu_update, REQ_VA, 1, DONE_VA, foreigndom, 0);
	return fx_eax();
}

static u32 ext(u32 cmd, u32 arg1, u32 arg2)
{
	u32 op[3] = { cmd, arg1, arg2 };

	memcpy(fx_gpa(REQ_VA), op, sizeof(op));
	fx_hypercall(__HYPERVISOR_mmuext_op, REQ_VA, 1, 0, DOMID_SELF, 0);
	return fx_eax();
}

static void put_op(u32 index, u32 cmd)
{
	u32 op[3] = { cmd, 0, 0 };

	memcpy(fx_gpa(REQ_VA + index * 12), op, sizeof(op));
}

static u32 uvm(u32 va, u64 val, u32 flags)
{
	fx_hypercall(__HYPERVISOR_update_va_mapping, va, (u32)val, (u32)(val >> 32), flags, 0);
	return fx_eax();
}

/* An L1 at mfn mapping frame `target` with flags in slot 0. */
static void make_l1(u32 mfn, u32 target, u64 flags)
{
	memset(fx_gpa((u64)mfn << 12), 0, 4096);
	wr64((u64)mfn << 12, pte(target, flags));
}

static void boot_tables_are_typed_and_pinned(void)
{
	CHECK_EQ(frame(L3_MFN)->type, PVMX_PGT_L3);
	CHECK_EQ(frame(L3_MFN)->type_count, 2);		/* pin + the vCPU's base */
	CHECK(frame(L3_MFN)->flags & PVMX_FRAME_PINNED);
	CHECK_EQ(frame(0x101)->type, PVMX_PGT_L2);
	CHECK(!(frame(0x101)->flags & PVMX_FRAME_PAE_XEN_L2));
	CHECK(frame(XEN_L2_MFN)->flags & PVMX_FRAME_PAE_XEN_L2);
	CHECK_EQ(frame(L1_MFN)->type, PVMX_PGT_L1);
	CHECK_EQ(frame(0x42)->type, PVMX_PGT_WRITABLE);
	CHECK_EQ(frame(0x42)->type_count, 1);
	CHECK_EQ(frame(0x300)->type_count, 0);		/* mapped read-only */
	/* Xen's slots filled, compat's L3 bits added, PDPTEs masked. */
	CHECK_EQ(rd64(((u64)XEN_L2_MFN << 12) + 511 * 8), FX_HV_L2_MARKER);
	CHECK_EQ(rd64(FX_L3_GPA), 0x101000 | 0x67);
	CHECK_EQ(fx.v.cpu.pdpte[0], 0x101001);
	CHECK_EQ(fx.v.cpu.cr3, FX_L3_GPA);
	CHECK(fx.v.base_ref);
}

static void boot_refuses_bad_tables(void)
{
	struct pvmx_vcpu_core v1 = { .vm = &fx.vm };

	/* Not page aligned, beyond RAM. */
	CHECK_EQ(fx_locked(pvmx_mm_boot_baseptr(&v1, FX_L3_GPA + 32)), -XEN_EINVAL);
	CHECK_EQ(fx_locked(pvmx_mm_boot_baseptr(&v1, (u64)FX_RAM_FRAMES << 12)), -XEN_EINVAL);
	/* An L3 whose slot 3 is missing. */
	memset(fx_gpa(0x510000), 0, 4096);
	wr64(0x510000, pte(0x101, 1));
	CHECK_EQ(fx_locked(pvmx_mm_boot_baseptr(&v1, 0x510000)), -XEN_EINVAL);
	CHECK_EQ(frame(0x510)->type_count, 0);
	CHECK_EQ(frame(0x101)->type_count, 1);		/* unwound */
	/* The same L3 again: pinned already, just loaded. */
	CHECK_EQ(fx_locked(pvmx_mm_boot_baseptr(&v1, FX_L3_GPA)), 0);
	CHECK_EQ(frame(L3_MFN)->type_count, 3);
}

static void update_va_mapping_checks(void)
{
	/* Map va 0x7000 to frame 0x42, invlpg. */
	CHECK_EQ(uvm(0x7000, pte(0x42, 0x67), UVMF_INVLPG), 0);
	CHECK_EQ(rd64(FX_L1_GPA + 7 * 8), pte(0x42, 0x67));
	CHECK_EQ(frame(0x42)->type_count, 2);
	CHECK_EQ(frame(7)->type_count, 0);
	CHECK_EQ(fx.flushes, 1);
	CHECK_EQ(fx.last_flush_va, 0x7000);
	CHECK(fx.last_flush_one);
	CHECK_EQ(fx.v.pt_generation != 0, 1);

	CHECK_EQ(uvm(XEN_HYPERVISOR_VIRT_START, 0x42023, 0), XEN_ERR(XEN_EINVAL));
	/* A frame the VM does not have: Xen's "attempt to map I/O space". */
	CHECK_EQ(uvm(0x7000, pte(FX_RAM_FRAMES + 1, 1), 0), XEN_ERR(XEN_EPERM));
	/* Reserved bits, cache attributes. */
	CHECK_EQ(uvm(0x7000, 0x0010000000042023ULL, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(uvm(0x7000, pte(0x42, RW_PTE | PVMX_PTE_PCD), 0), XEN_ERR(XEN_EINVAL));
	/* No L1 there. */
	CHECK_EQ(uvm(FX_UNMAPPED_VA, 0x42023, 0), XEN_ERR(XEN_EINVAL));
	/* The shared_info frame (right after RAM) may be mapped writable. */
	CHECK_EQ(uvm(0x8000, pte(FX_RAM_FRAMES, RW_PTE), UVMF_TLB_FLUSH), 0);
	CHECK(!fx.last_flush_one);
	/* Unmapping drops the writable reference and takes effect. */
	CHECK_EQ(uvm(0x7000, 0, 0), 0);
	CHECK_EQ(frame(0x42)->type_count, 1);
	{
		char c;

		CHECK_EQ(pvmx_copy_from_guest(&fx.v, &c, 0x7000, 1), -XEN_EFAULT);
	}
	/* A vCPU-mask pointer that faults: the update is done, the flush not. */
	CHECK_EQ(uvm(0x7000, 0x42023, FX_UNMAPPED_VA | UVMF_INVLPG), XEN_ERR(XEN_EFAULT));
	CHECK_EQ(rd64(FX_L1_GPA + 7 * 8), 0x42023);
	/* With no flush type the mask is not read. */
	CHECK_EQ(uvm(0x7000, 0x42021, FX_UNMAPPED_VA), 0);
	/* The fast path: same frame, only A/D/US changing. */
	CHECK_EQ(uvm(0x7000, 0x42061, 0), 0);
	CHECK_EQ(frame(0x42)->type_count, 1);
}

static void page_tables_never_mapped_writable(void)
{
	/* Read-only is fine, writable is Xen's -EBUSY (could_not_pin). */
	CHECK_EQ(uvm(0x7000, pte(L1_MFN, RO_PTE), 0), 0);
	CHECK_EQ(uvm(0x7000, pte(L1_MFN, RW_PTE), 0), XEN_ERR(XEN_EBUSY));
	CHECK_EQ(uvm(0x7000, pte(L3_MFN, RW_PTE), 0), XEN_ERR(XEN_EBUSY));
	CHECK_EQ(rd64(FX_L1_GPA + 7 * 8), pte(L1_MFN, RO_PTE));
	CHECK_EQ(mmu(FX_L1_GPA + 7 * 8, pte(XEN_L2_MFN, RW_PTE), DOMID_SELF), XEN_ERR(XEN_EBUSY));
	CHECK_EQ(frame(L1_MFN)->type, PVMX_PGT_L1);
	/* And a frame mapped writable cannot become a table. */
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, 0x42, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(frame(0x42)->type, PVMX_PGT_WRITABLE);
}

static void pin_and_unpin(void)
{
	u32 generation;

	make_l1(SPARE, 0x42, RW_PTE);
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, SPARE, 0), 0);
	CHECK_EQ(frame(SPARE)->type, PVMX_PGT_L1);
	CHECK(frame(SPARE)->flags & PVMX_FRAME_PINNED);
	CHECK_EQ(frame(0x42)->type_count, 2);
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, SPARE, 0), XEN_ERR(XEN_EINVAL));	/* already */
	CHECK_EQ(ext(MMUEXT_PIN_L2_TABLE, SPARE, 0), XEN_ERR(XEN_EINVAL));	/* other type */
	CHECK_EQ(frame(SPARE)->type_count, 1);
	/* An L2 naming it; then the L1 unpinned stays typed through the L2. */
	memset(fx_gpa(0x501000), 0, 4096);
	wr64(0x501000, pte(SPARE, 0x67));
	CHECK_EQ(ext(MMUEXT_PIN_L2_TABLE, 0x501, 0), 0);
	CHECK_EQ(frame(SPARE)->type_count, 2);
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, SPARE, 0), 0);
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, SPARE, 0), XEN_ERR(XEN_EINVAL));	/* not pinned */
	CHECK_EQ(frame(SPARE)->type_count, 1);
	CHECK_EQ(frame(0x42)->type_count, 2);
	/* Unpinning the L2 devalidates both: the L1's references go. */
	generation = fx.v.mm_requests;
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, 0x501, 0), 0);
	CHECK_EQ(frame(SPARE)->type_count, 0);
	CHECK_EQ(frame(0x42)->type_count, 1);
	CHECK(!(frame(SPARE)->flags & PVMX_FRAME_VALIDATED));
	/* Now it may be mapped writable: a type change, so every vCPU flushes. */
	CHECK_EQ(generation & PVMX_MM_FLUSH_TLB, 0);
	CHECK_EQ(uvm(0x7000, pte(SPARE, RW_PTE), 0), 0);
	CHECK_EQ(frame(SPARE)->type, PVMX_PGT_WRITABLE);
	CHECK(fx.v.mm_requests & PVMX_MM_FLUSH_TLB);

	CHECK_EQ(ext(MMUEXT_PIN_L4_TABLE, 0x600, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, FX_RAM_FRAMES, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, FX_RAM_FRAMES + 5, 0), XEN_ERR(XEN_EINVAL));
}

static void validation_refusals(void)
{
	/* L1: reserved bits, a frame outside, a writable map of itself. */
	make_l1(0x600, 0x42, RW_PTE | 0x0010000000000000ULL);
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, 0x600, 0), XEN_ERR(XEN_EINVAL));
	make_l1(0x600, FX_RAM_FRAMES + 7, RO_PTE);
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, 0x600, 0), XEN_ERR(XEN_EPERM));
	make_l1(0x600, 0x42, RW_PTE);
	wr64(0x600000 + 8, pte(0x600, RW_PTE));
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, 0x600, 0), XEN_ERR(XEN_EBUSY));
	CHECK_EQ(frame(0x42)->type_count, 1);		/* slot 0 unwound */
	CHECK_EQ(frame(0x600)->type_count, 0);
	/* L2: a superpage, an L2 as L1, an L1 that fails its own checks. */
	make_l1(0x601, 0x400, 0xE7);
	CHECK_EQ(ext(MMUEXT_PIN_L2_TABLE, 0x601, 0), XEN_ERR(XEN_EINVAL));
	make_l1(0x601, 0x101, 0x67);
	CHECK_EQ(ext(MMUEXT_PIN_L2_TABLE, 0x601, 0), XEN_ERR(XEN_EINVAL));
	make_l1(0x601, 0x600, 0x67);
	CHECK_EQ(ext(MMUEXT_PIN_L2_TABLE, 0x601, 0), XEN_ERR(XEN_EBUSY));
	/* L3: the pae_xen_l2 of another L3 cannot be shared. */
	memset(fx_gpa(0x602000), 0, 4096);
	wr64(0x602000 + 3 * 8, pte(XEN_L2_MFN, 1));
	CHECK_EQ(ext(MMUEXT_PIN_L3_TABLE, 0x602, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(frame(XEN_L2_MFN)->type_count, 1);
	/* L3: an L2 used as a plain L2 cannot be slot 3's. */
	memset(fx_gpa(0x603000), 0, 4096);
	wr64(0x603000 + 3 * 8, pte(0x101, 1));
	CHECK_EQ(ext(MMUEXT_PIN_L3_TABLE, 0x603, 0), XEN_ERR(XEN_EINVAL));
	/* L3: flags compat Xen refuses (PWT, NX). */
	memset(fx_gpa(0x604000), 0, 4096);
	wr64(0x604000 + 3 * 8, pte(0x605, 1 | PVMX_PTE_PWT));
	CHECK_EQ(ext(MMUEXT_PIN_L3_TABLE, 0x604, 0), XEN_ERR(XEN_EINVAL));
	wr64(0x604000 + 3 * 8, pte(0x605, 1) | PVMX_PTE_NX);
	CHECK_EQ(ext(MMUEXT_PIN_L3_TABLE, 0x604, 0), XEN_ERR(XEN_EINVAL));
}

static void new_baseptr_switches_trees(void)
{
	/* A second tree: its own pae_xen_l2, slot 0 sharing L2 0x101. */
	memset(fx_gpa(0x605000), 0xAB, 4096);		/* junk Xen clears: slots 4..511 */
	memset(fx_gpa(0x605000), 0, 32);
	memset(fx_gpa(0x606000), 0, 4096);
	wr64(0x605000, pte(0x101, 1));
	wr64(0x605000 + 3 * 8, pte(0x606, 1));
	CHECK_EQ(ext(MMUEXT_NEW_BASEPTR, 0x605, 0), 0);
	CHECK_EQ(fx.v.cpu.cr3, 0x605000);
	CHECK_EQ(fx.v.cpu.pdpte[3], 0x606001);
	CHECK_EQ(fx.v.cpu.pdpte[1], 0);
	CHECK_EQ(rd64(0x605000 + 4 * 8), 0);
	CHECK_EQ(rd64(0x606000 + 511 * 8), FX_HV_L2_MARKER);
	CHECK_EQ(frame(0x605)->type_count, 1);
	CHECK_EQ(frame(L3_MFN)->type_count, 1);		/* only the pin now */
	CHECK_EQ(frame(0x101)->type_count, 2);
	CHECK(fx.v.mm_requests & PVMX_MM_LOAD_BASE);
	pvmx_mm_before_entry(&fx.v);
	CHECK_EQ(fx.baseptr_loads, 1);
	CHECK_EQ(fx.v.mm_requests, 0);
	/* Not an L3 / not RAM. */
	CHECK_EQ(ext(MMUEXT_NEW_BASEPTR, L1_MFN, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(ext(MMUEXT_NEW_BASEPTR, FX_RAM_FRAMES, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(fx.v.cpu.cr3, 0x605000);
	/* Back: the unpinned second tree goes away entirely. */
	CHECK_EQ(ext(MMUEXT_NEW_BASEPTR, L3_MFN, 0), 0);
	CHECK_EQ(frame(0x605)->type_count, 0);
	CHECK_EQ(frame(0x606)->type_count, 0);
	CHECK_EQ(frame(0x101)->type_count, 1);
	/* Now it can be written as plain memory. */
	CHECK_EQ(mmu(0x606000, 0x1234, DOMID_SELF), 0);
	CHECK_EQ(rd64(0x606000), 0x1234);
}

static void mmu_update_entries(void)
{
	u64 l2_slot = ((u64)XEN_L2_MFN << 12);

	/* L1 entry, with done. */
	CHECK_EQ(mmu(FX_L1_GPA + 7 * 8, pte(0x42, RW_PTE), DOMID_SELF), 0);
	CHECK_EQ(rd64(FX_L1_GPA + 7 * 8), pte(0x42, RW_PTE));
	CHECK_EQ(rd32(DONE_VA), 1);
	CHECK_EQ(frame(0x42)->type_count, 2);
	/* PRESERVE_AD keeps A/D the CPU set. */
	wr64(FX_L1_GPA + 7 * 8, pte(0x42, RW_PTE | PVMX_PTE_D));
	CHECK_EQ(mmu((FX_L1_GPA + 7 * 8) | MMU_PT_UPDATE_PRESERVE_AD, pte(0x42, 0x03),
		     DOMID_SELF), 0);
	CHECK_EQ(rd64(FX_L1_GPA + 7 * 8), pte(0x42, 0x63));
	CHECK_EQ(mmu((FX_L1_GPA + 7 * 8) | MMU_PT_UPDATE_NO_TRANSLATE, 0, DOMID_SELF), 0);
	CHECK_EQ(frame(0x42)->type_count, 1);
	/* A frame not the VM's, an unknown command. */
	CHECK_EQ(mmu((u64)(FX_RAM_FRAMES + 3) << 12, 0, DOMID_SELF), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(mmu(FX_L1_GPA | 5, 0, DOMID_SELF), XEN_ERR(XEN_ENOSYS));
	CHECK_EQ(rd32(DONE_VA), 0);
	/* Xen's slots of the pae_xen_l2: -EPERM; the slot below is the guest's. */
	CHECK_EQ(mmu(l2_slot + 428 * 8, 0, DOMID_SELF), XEN_ERR(XEN_EPERM));
	CHECK_EQ(mmu(l2_slot + 511 * 8, 0, DOMID_SELF), XEN_ERR(XEN_EPERM));
	CHECK_EQ(rd64(l2_slot + 511 * 8), FX_HV_L2_MARKER);
	make_l1(SPARE, 0x42, RO_PTE);
	CHECK_EQ(mmu(l2_slot + 427 * 8, pte(SPARE, 0x67), DOMID_SELF), 0);
	CHECK_EQ(frame(SPARE)->type, PVMX_PGT_L1);
	CHECK_EQ(mmu(l2_slot + 427 * 8, pte(SPARE, 0xE7), DOMID_SELF), XEN_ERR(XEN_EINVAL));
	/* L3: slot 3 and beyond refused; slot 1 reloads the PDPTEs. */
	CHECK_EQ(mmu(FX_L3_GPA + 3 * 8, pte(0x606, 1), DOMID_SELF), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(mmu(FX_L3_GPA + 4 * 8, 0, DOMID_SELF), XEN_ERR(XEN_EINVAL));
	pvmx_mm_before_entry(&fx.v);
	CHECK_EQ(mmu(FX_L3_GPA + 1 * 8, 0, DOMID_SELF), 0);
	CHECK_EQ(fx.v.cpu.pdpte[1], 0);
	CHECK_EQ(frame(0x102)->type_count, 0);
	CHECK(fx.v.mm_requests & PVMX_MM_LOAD_BASE);
	CHECK_EQ(mmu(FX_L3_GPA + 1 * 8, pte(0x102, 1), DOMID_SELF), 0);
	CHECK_EQ(rd64(FX_L3_GPA + 8), pte(0x102, 0x67));
	CHECK_EQ(fx.v.cpu.pdpte[1], 0x102001);
	/* A descriptor page takes no plain writes. */
	CHECK_EQ(fx_locked(pvmx_get_page_type(&fx.vm, 0x700, PVMX_PGT_SEG_DESC)), 0);
	CHECK_EQ(mmu(0x700000, 1, DOMID_SELF), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(uvm(0x7000, pte(0x700, RW_PTE), 0), XEN_ERR(XEN_EBUSY));
	spin_lock(&fx.vm.lock);
	pvmx_put_page_type(&fx.vm, 0x700);
	spin_unlock(&fx.vm.lock);
	CHECK_EQ(frame(0x700)->type_count, 0);
}

static void mmu_update_domains(void)
{
	CHECK_EQ(mmu(FX_L1_GPA + 7 * 8, 0, fx.vm.domid), XEN_ERR(XEN_ESRCH));	/* itself */
	CHECK_EQ(mmu(FX_L1_GPA + 7 * 8, 0, 9), XEN_ERR(XEN_ESRCH));
	CHECK_EQ(mmu(FX_L1_GPA + 7 * 8, 0, DOMID_IO), XEN_ERR(XEN_EPERM));
	CHECK_EQ(mmu(FX_L1_GPA + 7 * 8, 0, DOMID_XEN), XEN_ERR(XEN_EPERM));
	/* Page-table owner: ourselves + 1 is fine, others do not exist. */
	CHECK_EQ(mmu(FX_L1_GPA + 7 * 8, 0, ((fx.vm.domid + 1) << 16) | DOMID_SELF), 0);
	CHECK_EQ(mmu(FX_L1_GPA + 7 * 8, 0, (7u << 16) | DOMID_SELF), XEN_ERR(XEN_ESRCH));
	fx_hypercall(__HYPERVISOR_mmuext_op, REQ_VA, 0, 0, fx.vm.domid, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ESRCH));
	fx_hypercall(__HYPERVISOR_mmuext_op, REQ_VA, 0, 0, DOMID_IO, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EPERM));
	fx_hypercall(__HYPERVISOR_update_va_mapping_otherdomain, 0x7000, 0x42023, 0, 0,
		     DOMID_SELF);
	CHECK_EQ(fx_eax(), 0);
	fx_hypercall(__HYPERVISOR_update_va_mapping_otherdomain, 0x7000, 0, 0, 0, fx.vm.domid);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ESRCH));
	fx_hypercall(__HYPERVISOR_update_va_mapping_otherdomain, 0x7000, 0, 0, 0, DOMID_XEN);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EPERM));
	/* An unreadable request list. */
	fx_hypercall(__HYPERVISOR_mmu_update, FX_UNMAPPED_VA, 1, DONE_VA, DOMID_SELF, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
}

static void machphys_update(void)
{
	u32 m2p[16] = { 0 };

	/* No M2P mapped: accepted, nothing to write. */
	CHECK_EQ(mmu(((u64)5 << 12) | MMU_MACHPHYS_UPDATE, 9, DOMID_SELF), 0);
	fx.vm.m2p = m2p;
	fx.vm.nr_m2p = 16;
	CHECK_EQ(mmu(((u64)5 << 12) | MMU_MACHPHYS_UPDATE, 0x100000009ULL, DOMID_SELF), 0);
	CHECK_EQ(m2p[5], 9);
	CHECK_EQ(mmu(((u64)(FX_RAM_FRAMES + 1) << 12) | MMU_MACHPHYS_UPDATE, 9, DOMID_SELF),
		 XEN_ERR(XEN_EINVAL));
	CHECK_EQ(mmu(((u64)5 << 12) | MMU_MACHPHYS_UPDATE, 9, DOMID_IO), XEN_ERR(XEN_EPERM));
	fx.vm.m2p = NULL;
	fx.vm.nr_m2p = 0;
}

static void mmu_update_continues(void)
{
	u32 i;

	for (i = 0; i < 3; i++) {
		wr64(REQ_VA + i * 16, FX_L1_GPA + (7 + i) * 8);
		wr64(REQ_VA + i * 16 + 8, pte(0x40 + i, RO_PTE));
	}
	fx.preempt_every = 1;		/* preempt before every entry but the first */
	fx_hypercall(__HYPERVISOR_mmu_update, REQ_VA, 3, DONE_VA, DOMID_SELF, 0);
	CHECK_EQ(fx.v.cpu.eip, 0x1000);			/* re-executes int $0x82 */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EBX], REQ_VA + 16);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ECX], 2 | MMU_UPDATE_PREEMPTED);
	CHECK_EQ(rd32(DONE_VA), 1);
	CHECK_EQ(rd64(FX_L1_GPA + 7 * 8), pte(0x40, RO_PTE));
	CHECK_EQ(rd64(FX_L1_GPA + 8 * 8), pte(8, RW_PTE));
	fx.preempt_every = 0;
	fx_hypercall(__HYPERVISOR_mmu_update, fx.v.cpu.gpr[PVMX_EBX], fx.v.cpu.gpr[PVMX_ECX],
		     DONE_VA, DOMID_SELF, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(rd32(DONE_VA), 3);
	CHECK_EQ(rd64(FX_L1_GPA + 9 * 8), pte(0x42, RO_PTE));

	/* mmuext_op the same way. */
	for (i = 0; i < 3; i++)
		put_op(i, MMUEXT_TLB_FLUSH_LOCAL);
	fx.preempt_every = 1;
	fx_hypercall(__HYPERVISOR_mmuext_op, REQ_VA, 3, DONE_VA, DOMID_SELF, 0);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EBX], REQ_VA + 12);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ECX], 2 | MMU_UPDATE_PREEMPTED);
	CHECK_EQ(rd32(DONE_VA), 1);
	fx.preempt_every = 0;
	fx_hypercall(__HYPERVISOR_mmuext_op, fx.v.cpu.gpr[PVMX_EBX], fx.v.cpu.gpr[PVMX_ECX],
		     DONE_VA, DOMID_SELF, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(rd32(DONE_VA), 3);
	/* An error stops the batch; done counts what ran. */
	put_op(1, MMUEXT_FLUSH_CACHE);
	fx_hypercall(__HYPERVISOR_mmuext_op, REQ_VA, 3, DONE_VA, DOMID_SELF, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EACCES));
	CHECK_EQ(rd32(DONE_VA), 1);
}

static void flushes_and_other_ops(void)
{
	struct pvmx_vcpu_core v1 = { .vm = &fx.vm, .id = 1 };
	u32 mask;

	fx.vm.vcpus[1] = &v1;
	CHECK_EQ(ext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0), 0);
	CHECK_EQ(fx.flushes, 1);
	CHECK(!fx.last_flush_one);
	CHECK_EQ(ext(MMUEXT_INVLPG_LOCAL, 0x5000, 0), 0);
	CHECK_EQ(fx.last_flush_va, 0x5000);
	CHECK(fx.last_flush_one);
	CHECK_EQ(v1.mm_requests, 0);
	/* ALL: this vCPU now, the other before it runs again. */
	CHECK_EQ(ext(MMUEXT_TLB_FLUSH_ALL, 0, 0), 0);
	CHECK_EQ(fx.flushes, 3);
	CHECK_EQ(v1.mm_requests, PVMX_MM_FLUSH_TLB);
	v1.mm_requests = 0;
	CHECK_EQ(ext(MMUEXT_INVLPG_ALL, 0x6000, 0), 0);
	CHECK_EQ(v1.mm_requests, PVMX_MM_FLUSH_TLB);
	v1.mm_requests = 0;
	/* MULTI: only the vCPUs in the mask. */
	mask = 2;
	memcpy(fx_gpa(MASK_VA), &mask, 4);
	CHECK_EQ(ext(MMUEXT_TLB_FLUSH_MULTI, 0, MASK_VA), 0);
	CHECK_EQ(fx.flushes, 4);
	CHECK_EQ(v1.mm_requests, PVMX_MM_FLUSH_TLB);
	v1.mm_requests = 0;
	mask = 1;
	memcpy(fx_gpa(MASK_VA), &mask, 4);
	CHECK_EQ(ext(MMUEXT_INVLPG_MULTI, 0x9000, MASK_VA), 0);
	CHECK_EQ(fx.flushes, 5);
	CHECK_EQ(fx.last_flush_va, 0x9000);
	CHECK_EQ(v1.mm_requests, 0);
	CHECK_EQ(ext(MMUEXT_TLB_FLUSH_MULTI, 0, FX_UNMAPPED_VA), XEN_ERR(XEN_EINVAL));
	/* update_va_mapping's flavours. */
	CHECK_EQ(uvm(0x7000, 0x42023, UVMF_INVLPG | UVMF_ALL), 0);
	CHECK_EQ(v1.mm_requests, PVMX_MM_FLUSH_TLB);
	v1.mm_requests = 0;
	mask = 2;
	memcpy(fx_gpa(MASK_VA), &mask, 4);
	CHECK_EQ(uvm(0x7000, 0x42021, UVMF_TLB_FLUSH | MASK_VA), 0);
	CHECK_EQ(v1.mm_requests, PVMX_MM_FLUSH_TLB);
	/* A type change asks every vCPU. */
	v1.mm_requests = 0;
	CHECK_EQ(uvm(0x7000, 0, 0), 0);
	make_l1(SPARE, 0x42, RO_PTE);
	CHECK_EQ(uvm(0x7000, pte(SPARE, RW_PTE), 0), 0);	/* untyped -> writable */
	CHECK_EQ(v1.mm_requests, 0);
	CHECK_EQ(uvm(0x7000, 0, 0), 0);
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, SPARE, 0), 0);	/* writable -> L1 */
	CHECK_EQ(v1.mm_requests, PVMX_MM_FLUSH_TLB);

	CHECK_EQ(ext(MMUEXT_FLUSH_CACHE, 0, 0), XEN_ERR(XEN_EACCES));
	CHECK_EQ(ext(MMUEXT_FLUSH_CACHE_GLOBAL, 0, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(ext(MMUEXT_MARK_SUPER, 0, 0), XEN_ERR(XEN_EOPNOTSUPP));
	CHECK_EQ(ext(MMUEXT_UNMARK_SUPER, 0, 0), XEN_ERR(XEN_EOPNOTSUPP));
	CHECK_EQ(ext(14, 0, 0), XEN_ERR(XEN_ENOSYS));
	CHECK_EQ(ext(MMUEXT_NEW_USER_BASEPTR, 0, 0), XEN_ERR(XEN_ENOSYS));
	fx.vm.vcpus[1] = NULL;
}

/* Another vCPU on the same L3: an L3 write reloads its PDPTEs too. */
static void l3_write_reloads_every_vcpu_on_it(void)
{
	struct pvmx_vcpu_core v1 = { .vm = &fx.vm, .id = 1 };

	fx.vm.vcpus[1] = &v1;
	CHECK_EQ(fx_locked(pvmx_mm_boot_baseptr(&v1, FX_L3_GPA)), 0);	/* pinned already: loaded */
	CHECK_EQ(frame(L3_MFN)->type_count, 3);
	pvmx_mm_before_entry(&v1);
	CHECK_EQ(mmu(FX_L3_GPA + 2 * 8, 0, DOMID_SELF), 0);
	CHECK_EQ(v1.cpu.pdpte[2], 0);
	CHECK_EQ(fx.v.cpu.pdpte[2], 0);
	CHECK_EQ(v1.mm_requests, PVMX_MM_LOAD_BASE);
	CHECK(fx.v.mm_requests & PVMX_MM_LOAD_BASE);
	/* A vCPU on another tree is left alone. */
	v1.mm_requests = 0;
	memset(fx_gpa(0x610000), 0, 4096);
	memset(fx_gpa(0x611000), 0, 4096);
	wr64(0x610000 + 3 * 8, pte(0x611, 1));
	CHECK_EQ(fx_locked(pvmx_new_baseptr(&v1, 0x610)), 0);
	CHECK_EQ(frame(L3_MFN)->type_count, 2);
	v1.mm_requests = 0;
	CHECK_EQ(mmu(FX_L3_GPA + 2 * 8, pte(0x103, 1), DOMID_SELF), 0);
	CHECK_EQ(v1.mm_requests, 0);
	CHECK_EQ(fx.v.cpu.pdpte[2], 0x103001);
	fx.vm.vcpus[1] = NULL;
}

/* A vCPU "in guest mode" on another thread: it leaves when a request comes (the kick). */
static void *remote_vcpu(void *arg)
{
	struct pvmx_vcpu_core *t = arg;

	while (!__atomic_load_n(&t->mm_requests, __ATOMIC_SEQ_CST))
		;
	__atomic_store_n(&t->in_guest, 0, __ATOMIC_SEQ_CST);
	return NULL;
}

static void remote_flush_waits_for_guest_exit(void)
{
	struct pvmx_vcpu_core v1 = { .vm = &fx.vm, .id = 1, .in_guest = 1 };
	pthread_t thread;

	fx.vm.vcpus[1] = &v1;
	CHECK_EQ(pthread_create(&thread, NULL, remote_vcpu, &v1), 0);
	CHECK_EQ(ext(MMUEXT_TLB_FLUSH_ALL, 0, 0), 0);
	/* Returned only once the other vCPU had left guest mode. */
	CHECK_EQ(__atomic_load_n(&v1.in_guest, __ATOMIC_SEQ_CST), 0);
	CHECK_EQ(v1.mm_requests, PVMX_MM_FLUSH_TLB);
	CHECK_EQ(fx.kicks, 1);
	pthread_join(thread, NULL);
	/* It flushes before its next entry. */
	pvmx_mm_before_entry(&v1);
	CHECK_EQ(v1.mm_requests, 0);
	fx.vm.vcpus[1] = NULL;
}

static void clear_and_copy_page(void)
{
	memset(fx_gpa(0x43000), 0x5A, 4096);
	memset(fx_gpa(0x44000), 0x11, 4096);
	CHECK_EQ(ext(MMUEXT_COPY_PAGE, 0x44, 0x43), 0);
	CHECK_EQ(fx_gpa(0x44000)[4095], 0x5A);
	CHECK_EQ(ext(MMUEXT_CLEAR_PAGE, 0x43, 0), 0);
	CHECK_EQ(fx_gpa(0x43000)[0], 0);
	CHECK_EQ(fx_gpa(0x43000)[4095], 0);
	/* A page table is not overwritten; frames outside are refused. */
	CHECK_EQ(ext(MMUEXT_CLEAR_PAGE, L1_MFN, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(ext(MMUEXT_COPY_PAGE, L3_MFN, 0x43), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(ext(MMUEXT_COPY_PAGE, 0x43, FX_RAM_FRAMES + 2), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(ext(MMUEXT_CLEAR_PAGE, FX_RAM_FRAMES + 2, 0), XEN_ERR(XEN_EINVAL));
	/* Copying from a page table is fine. */
	CHECK_EQ(ext(MMUEXT_COPY_PAGE, 0x43, L1_MFN), 0);
	CHECK(!memcmp(fx_gpa(0x43000), fx_gpa(FX_L1_GPA), 4096));
}

/* ---- XSA-273: not-present entries with unsafe address bits --------------- */

/* A host as Xen sees a Skylake: L1D 46 bits, CPUID 39 bits, L1TF affected. */
#define L1TF_SAFE	(1ULL << 39)
#define L1TF_MASK	(((1ULL << 46) - 1) & ~0xFFFULL)
/* Linux 4.19 PAE: swap type 0 offset 1, inverted (__swp_pteval_entry). */
#define LINUX_SWAP_PTE	0x07FFFFFFFFFFFC00ULL
/* Linux 4.19 PAE: PROT_NONE (_PAGE_PROTNONE | A) of pfn 0x42, PFN inverted. */
#define LINUX_PROTNONE	0x00000FFFFFFBD120ULL
#define UNSAFE_PTE	0x42000ULL		/* not present, names frame 0x42 */

static void l1tf_on(void)
{
	fx.vm.l1tf_check = true;
	fx.vm.l1tf_addr_mask = L1TF_MASK;
	fx.vm.l1tf_safe_maddr = L1TF_SAFE;
}

/* The VM was crashed (Xen's domain_crash) for this entry at this level. */
static void check_l1tf_crash(u32 level, u64 e)
{
	char want[64];

	snprintf(want, sizeof(want), "L1TF-vulnerable L%ue %#018llx", level,
		 (unsigned long long)e);
	CHECK_EQ(fx.v.state, PVMX_VCPU_CRASHED);
	CHECK_EQ(fx.run.exit_reason, PVMX_EXIT_CRASH);
	CHECK_EQ(fx.run.crash.kind, PVMX_CRASH_BAD_MEMORY);
	CHECK_EQ(fx.run.crash.address, e);
	CHECK(!strcmp(fx.run.crash.reason, want));
}

/* Back to a live VM for the next case. */
static void l1tf_revive(void)
{
	fx.v.state = PVMX_VCPU_RUNNABLE;
	fx.run.exit_reason = 0;
	memset(&fx.run.crash, 0, sizeof(fx.run.crash));
	fx.vm.l1tf_bad_level = 0;
}

static void l1tf_safe_entries_pass(void)
{
	/* Not affected (the check off): any not-present entry, as before. */
	CHECK_EQ(uvm(0x7000, UNSAFE_PTE, 0), 0);
	CHECK_EQ(rd64(FX_L1_GPA + 7 * 8), UNSAFE_PTE);
	l1tf_on();
	/* Zero, bits outside the L1D's width, the boundary and above. */
	CHECK_EQ(uvm(0x7000, 0, 0), 0);
	CHECK_EQ(uvm(0x7000, PVMX_PTE_NX | (1ULL << 46) | 0x1E, 0), 0);
	CHECK_EQ(uvm(0x7000, L1TF_SAFE, 0), 0);
	CHECK_EQ(uvm(0x7000, L1TF_MASK | 0xFFE, 0), 0);
	/* Linux's inverted not-present PTEs. */
	CHECK_EQ(uvm(0x7000, LINUX_SWAP_PTE, 0), 0);
	CHECK_EQ(rd64(FX_L1_GPA + 7 * 8), LINUX_SWAP_PTE);
	CHECK_EQ(mmu(FX_L1_GPA + 8 * 8, LINUX_PROTNONE, DOMID_SELF), 0);
	CHECK_EQ(rd64(FX_L1_GPA + 8 * 8), LINUX_PROTNONE);
	CHECK_EQ(frame(8)->type_count, 0);		/* the old mapping's ref dropped */
	/* A not-present L2 entry with a safe address, and an L1 holding them. */
	make_l1(SPARE, 0, 0);
	wr64(((u64)SPARE << 12) + 8, LINUX_SWAP_PTE);
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, SPARE, 0), 0);
	CHECK_EQ(mmu(0x101000 + 300 * 8, L1TF_SAFE | 0x2, DOMID_SELF), 0);
	CHECK_EQ(fx.v.state, PVMX_VCPU_RUNNABLE);
	CHECK_EQ(fx.vm.l1tf_bad_level, 0);
}

static void l1tf_update_va_mapping_crashes(void)
{
	l1tf_on();
	CHECK_EQ(uvm(0x7000, pte(0x42, RO_PTE), 0), 0);
	/* Below the boundary, one frame under it, high bits with no address. */
	fx_hypercall(__HYPERVISOR_update_va_mapping, 0x7000, (u32)UNSAFE_PTE, 0, 0, 0);
	check_l1tf_crash(1, UNSAFE_PTE);
	CHECK_EQ(rd64(FX_L1_GPA + 7 * 8), pte(0x42, RO_PTE));	/* not written */
	CHECK_EQ(frame(0x42)->type_count, 1);
	l1tf_revive();
	CHECK_EQ(fx_hypercall(__HYPERVISOR_update_va_mapping, 0x7000, (u32)(L1TF_SAFE - 0x1000),
			      (u32)((L1TF_SAFE - 0x1000) >> 32), 0, 0), PVMX_EXIT_TO_USER);
	check_l1tf_crash(1, L1TF_SAFE - 0x1000);
	l1tf_revive();
	/* Address bits above the PAE guest's 36 but inside the L1D's width. */
	fx_hypercall(__HYPERVISOR_update_va_mapping, 0x7000, 0, 0x10, 0, 0);
	check_l1tf_crash(1, 0x1000000000ULL);
	CHECK_EQ(rd64(FX_L1_GPA + 7 * 8), pte(0x42, RO_PTE));
}

static void l1tf_mmu_update_crashes(void)
{
	l1tf_on();
	/* The L1 entry: the batch stops there, the entry keeps its value. */
	wr64(REQ_VA, FX_L1_GPA + 7 * 8);
	wr64(REQ_VA + 8, pte(0x42, RO_PTE));
	wr64(REQ_VA + 16, FX_L1_GPA + 8 * 8);
	wr64(REQ_VA + 24, UNSAFE_PTE | 0x1E);
	wr64(REQ_VA + 32, FX_L1_GPA + 9 * 8);
	wr64(REQ_VA + 40, 0);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_mmu_update, REQ_VA, 3, DONE_VA, DOMID_SELF, 0),
		 PVMX_EXIT_TO_USER);
	check_l1tf_crash(1, UNSAFE_PTE | 0x1E);
	CHECK_EQ(rd64(FX_L1_GPA + 7 * 8), pte(0x42, RO_PTE));
	CHECK_EQ(rd64(FX_L1_GPA + 8 * 8), pte(8, RW_PTE));
	CHECK_EQ(rd64(FX_L1_GPA + 9 * 8), pte(9, RW_PTE));
	l1tf_revive();
	/* A not-present L2 entry: an unsafe address, or PSE at any address. */
	CHECK_EQ(mmu(0x101000 + 300 * 8, UNSAFE_PTE, DOMID_SELF), XEN_ERR(XEN_EINVAL));
	check_l1tf_crash(2, UNSAFE_PTE);
	CHECK_EQ(rd64(0x101000 + 300 * 8), 0);
	l1tf_revive();
	mmu(0x101000 + 300 * 8, PVMX_PTE_PS, DOMID_SELF);
	check_l1tf_crash(2, PVMX_PTE_PS);
	l1tf_revive();
	/* A not-present L3 entry. */
	mmu(FX_L3_GPA + 2 * 8, UNSAFE_PTE, DOMID_SELF);
	check_l1tf_crash(3, UNSAFE_PTE);
	CHECK_EQ(rd64(FX_L3_GPA + 2 * 8), 0x103000 | 0x67);
}

static void l1tf_validation_crashes(void)
{
	l1tf_on();
	/* An L1 to pin with one unsafe entry among good ones: nothing taken. */
	make_l1(SPARE, 0x42, RW_PTE);
	wr64(((u64)SPARE << 12) + 511 * 8, UNSAFE_PTE);
	ext(MMUEXT_PIN_L1_TABLE, SPARE, 0);
	check_l1tf_crash(1, UNSAFE_PTE);
	CHECK_EQ(frame(SPARE)->type_count, 0);
	CHECK_EQ(frame(0x42)->type_count, 1);		/* the writable ref unwound */
	l1tf_revive();
	/* An L2 naming such an L1 (validated through the L2's entry). */
	memset(fx_gpa(0x501000), 0, 4096);
	wr64(0x501000, pte(SPARE, 0x67));
	ext(MMUEXT_PIN_L2_TABLE, SPARE + 1, 0);
	check_l1tf_crash(1, UNSAFE_PTE);
	CHECK_EQ(frame(SPARE + 1)->type_count, 0);
	CHECK_EQ(frame(SPARE)->type_count, 0);
	l1tf_revive();
	/* An L2 with an unsafe not-present entry of its own. */
	wr64(0x501000, 0);
	wr64(0x501000 + 5 * 8, UNSAFE_PTE);
	ext(MMUEXT_PIN_L2_TABLE, SPARE + 1, 0);
	check_l1tf_crash(2, UNSAFE_PTE);
	l1tf_revive();
	/* An L3 (new_baseptr) with one in a not-present slot. */
	memset(fx_gpa(0x502000), 0, 4096);
	wr64(0x502000 + 1 * 8, UNSAFE_PTE);
	wr64(0x502000 + 3 * 8, pte(0x503, 1));
	memset(fx_gpa(0x503000), 0, 4096);
	ext(MMUEXT_NEW_BASEPTR, SPARE + 2, 0);
	check_l1tf_crash(3, UNSAFE_PTE);
	CHECK_EQ(frame(SPARE + 2)->type_count, 0);
	CHECK_EQ(frame(SPARE + 3)->type_count, 0);
	CHECK_EQ(fx.v.cpu.cr3, FX_L3_GPA);
}

static void l1tf_boot_tables_refused(void)
{
	struct pvmx_vcpu_core v1 = { .vm = &fx.vm };

	l1tf_on();
	/* The launcher's L3 -> L2 -> L1 with an unsafe entry: refused, no crash left. */
	make_l1(SPARE, 0, 0);
	wr64(((u64)SPARE << 12) + 4 * 8, UNSAFE_PTE);
	memset(fx_gpa(0x501000), 0, 4096);
	wr64(0x501000, pte(SPARE, 0x67));
	memset(fx_gpa(0x502000), 0, 4096);
	wr64(0x502000, pte(0x501, 1));
	wr64(0x502000 + 3 * 8, pte(0x503, 1));
	memset(fx_gpa(0x503000), 0, 4096);
	CHECK_EQ(fx_locked(pvmx_mm_boot_baseptr(&v1, 0x502000)), -XEN_EINVAL);
	CHECK_EQ(fx.vm.l1tf_bad_level, 0);
	CHECK_EQ(frame(SPARE)->type_count, 0);
	CHECK_EQ(frame(0x502)->type_count, 0);
	/* Made safe, the same tables boot. */
	wr64(((u64)SPARE << 12) + 4 * 8, LINUX_SWAP_PTE);
	CHECK_EQ(fx_locked(pvmx_mm_boot_baseptr(&v1, 0x502000)), 0);
	CHECK_EQ(frame(SPARE)->type, PVMX_PGT_L1);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_xen_version, 0, 0, 0, 0, 0), PVMX_RESUME);
}

static void l1tf_multicall_stops(void)
{
	u32 e[2][8] = {
		{ __HYPERVISOR_update_va_mapping, 0, 0x7000, (u32)UNSAFE_PTE, 0, 0 },
		{ __HYPERVISOR_update_va_mapping, 0, 0x8000, 0, 0, 0 },
	};

	l1tf_on();
	memcpy(fx_gpa(REQ_VA), e, sizeof(e));
	CHECK_EQ(fx_hypercall(__HYPERVISOR_multicall, REQ_VA, 2, 0, 0, 0), PVMX_EXIT_TO_USER);
	check_l1tf_crash(1, UNSAFE_PTE);
	CHECK_EQ(rd64(FX_L1_GPA + 7 * 8), pte(7, RW_PTE));
	CHECK_EQ(rd64(FX_L1_GPA + 8 * 8), pte(8, RW_PTE));	/* the second never ran */
}

/* The guest's mov %ecx,(%eax) at 0x2000 storing val at addr: emulated. */
static void ptwr_mov(u32 addr, u32 val, enum pvmx_action *act)
{
	fx.v.cpu.eip = 0x2000;
	fx.v.cpu.gpr[PVMX_EAX] = addr;
	fx.v.cpu.gpr[PVMX_ECX] = val;
	*act = PVMX_RESUME;
	CHECK(pvmx_ptwr_fault(&fx.v, 0, addr, 3, act));
}

static void l1tf_ptwr_crashes(void)
{
	enum pvmx_action act = PVMX_RESUME;
	u64 slot = FX_L1_GPA + 0x10 * 8;

	l1tf_on();
	fx.vm.vm_assist |= BIT(VMASST_TYPE_writable_pagetables);
	/* mov %ecx,(%eax) through the read-only mapping of the L1. */
	memcpy(fx_gpa(0x2000), "\x89\x08", 2);
	/* Linux's native_set_pte() of PROT_NONE: the high half, then the low. */
	ptwr_mov(slot + 4, (u32)(LINUX_PROTNONE >> 32), &act);
	CHECK_EQ(act, PVMX_RESUME);
	CHECK_EQ(rd64(slot), 0x00000FFF00010022ULL);	/* Xen's zapped P, safe */
	CHECK_EQ(frame(0x10)->type_count, 0);
	ptwr_mov(slot, (u32)LINUX_PROTNONE, &act);
	CHECK_EQ(act, PVMX_RESUME);
	CHECK_EQ(rd64(slot), LINUX_PROTNONE);
	CHECK_EQ(fx.v.state, PVMX_VCPU_RUNNABLE);
	/* Clearing the high half first leaves an address under the boundary. */
	ptwr_mov(slot + 4, 0, &act);
	CHECK_EQ(act, PVMX_EXIT_TO_USER);
	check_l1tf_crash(1, LINUX_PROTNONE & 0xFFFFFFFFULL);
	CHECK_EQ(rd64(slot), LINUX_PROTNONE);
	l1tf_revive();
	/*
	 * Xen's fix-up of a refused high half (P zapped) is not checked, as in
	 * Xen's ptwr_emulated_update(): the entry lands not present.
	 */
	wr64(REQ_VA, slot);
	wr64(REQ_VA + 8, pte(0x10, RW_PTE));
	fx_hypercall(__HYPERVISOR_mmu_update, REQ_VA, 1, DONE_VA, DOMID_SELF, 0);
	CHECK_EQ(rd64(slot), pte(0x10, RW_PTE));
	ptwr_mov(slot + 4, 1, &act);		/* frame 0x100010: not the VM's */
	CHECK_EQ(act, PVMX_RESUME);
	CHECK_EQ(fx.v.state, PVMX_VCPU_RUNNABLE);
	CHECK_EQ(rd64(slot), 0x100010000ULL | (RW_PTE & ~PVMX_PTE_P));
	CHECK_EQ(frame(0x10)->type_count, 0);
}

/* ---- preemptible validation (issue 15 point 16) ------------------------------ */

#define T_L3		0x700u	/* the tree's L3 */
#define T_L2		0x701u	/* guest L2s 0x701, 0x702; 0x703 the pae_xen_l2 */
#define T_L1		0x710u	/* T_NL1 L1s, 40 under each guest L2 */
#define T_NL1		80u
#define T_DATA		0x780u	/* L1 k maps frame T_DATA + k writable */
#define T_PER_L2	40u	/* 5 work batches of 8 L1s */

static void build_tree(void)
{
	u32 k;

	for (k = 0; k < 4; k++)
		memset(fx_gpa((u64)(T_L3 + k) << 12), 0, 4096);
	wr64((u64)T_L3 << 12, pte(T_L2, 1));
	wr64(((u64)T_L3 << 12) + 8, pte(T_L2 + 1, 1));
	wr64(((u64)T_L3 << 12) + 24, pte(T_L2 + 2, 1));
	for (k = 0; k < T_NL1; k++) {
		wr64(((u64)(T_L2 + k / T_PER_L2) << 12) + (k % T_PER_L2) * 8, pte(T_L1 + k, 0x67));
		make_l1(T_L1 + k, T_DATA + k, RW_PTE);
	}
}

/* One mmuext_op call of a single op; true if it asks to be re-issued. */
static bool ext_step(bool first, u32 cmd, u32 arg1)
{
	unsigned long *gpr = fx.v.cpu.gpr;
	u32 op[3] = { cmd, arg1, 0 };

	if (first) {
		memcpy(fx_gpa(REQ_VA), op, sizeof(op));
		fx_hypercall(__HYPERVISOR_mmuext_op, REQ_VA, 1, DONE_VA, DOMID_SELF, 0);
	} else {
		fx_hypercall(__HYPERVISOR_mmuext_op, gpr[PVMX_EBX], gpr[PVMX_ECX],
			     gpr[PVMX_EDX], gpr[PVMX_ESI], 0);
	}
	return fx.v.cpu.eip == 0x1000;
}

/* The op and its continuations, as the guest re-executes them; *steps calls. */
static u32 ext_all(u32 cmd, u32 arg1, u32 *steps)
{
	bool more = ext_step(true, cmd, arg1);

	for (*steps = 1; more && *steps < 100000; (*steps)++)
		more = ext_step(false, cmd, arg1);
	return fx_eax();
}

static void check_tree_validated(u32 l1_count)
{
	u32 k;

	CHECK_EQ(frame(T_L3)->type, PVMX_PGT_L3);
	CHECK_EQ(frame(T_L3)->flags, PVMX_FRAME_PINNED | PVMX_FRAME_VALIDATED);
	CHECK_EQ(frame(T_L3)->type_count, 1);
	CHECK_EQ(frame(T_L2)->flags, PVMX_FRAME_VALIDATED);
	CHECK_EQ(frame(T_L2 + 2)->flags, PVMX_FRAME_VALIDATED | PVMX_FRAME_PAE_XEN_L2);
	for (k = 0; k < 3; k++) {
		CHECK_EQ(frame(T_L2 + k)->type_count, 1);
		CHECK_EQ(frame(T_L2 + k)->nr_validated, 0);
	}
	for (k = 0; k < T_NL1; k++) {
		CHECK_EQ(frame(T_L1 + k)->type, PVMX_PGT_L1);
		CHECK_EQ(frame(T_L1 + k)->type_count, l1_count);
		CHECK_EQ(frame(T_DATA + k)->type, PVMX_PGT_WRITABLE);
		CHECK_EQ(frame(T_DATA + k)->type_count, 1);
	}
	/* Completed as one validation would: compat's L3 bits, Xen's L2 slots. */
	CHECK_EQ(rd64((u64)T_L3 << 12), pte(T_L2, 0x67));
	CHECK_EQ(rd64(((u64)(T_L2 + 2) << 12) + 511 * 8), FX_HV_L2_MARKER);
}

static void check_tree_released(void)
{
	u32 k;

	for (k = 0; k < 4; k++)
		CHECK_EQ(frame(T_L3 + k)->type_count, 0);
	for (k = 0; k < T_NL1; k++) {
		CHECK_EQ(frame(T_L1 + k)->type_count, 0);
		CHECK_EQ(frame(T_DATA + k)->type_count, 0);
	}
}

static void pin_l3_is_preemptible(void)
{
	u64 before = fx.v.stats.continuations;
	u32 steps, k;

	build_tree();
	/* One step: a batch of L1s, then the tree is left partial. */
	CHECK(ext_step(true, MMUEXT_PIN_L3_TABLE, T_L3));
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EBX], REQ_VA);		/* the same op again */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ECX], 1 | MMU_UPDATE_PREEMPTED);
	CHECK_EQ(frame(T_L3)->flags, PVMX_FRAME_PARTIAL);
	CHECK_EQ(frame(T_L3)->type_count, 1);
	CHECK_EQ(frame(T_L3)->nr_validated, 0);
	CHECK_EQ(frame(T_L2)->flags, PVMX_FRAME_PARTIAL);
	CHECK_EQ(frame(T_L2)->nr_validated, 8);
	CHECK_EQ(frame(T_L1 + 7)->type_count, 1);
	CHECK_EQ(frame(T_L1 + 8)->type_count, 0);
	CHECK_EQ(fx.v.stats.continuations, before + 1);
	/* A partial table is typed: not writable, its entries not updatable, not unpinnable. */
	CHECK_EQ(uvm(0x7000, pte(T_L3, RW_PTE), 0), XEN_ERR(XEN_EBUSY));
	CHECK_EQ(mmu(((u64)T_L3 << 12) + 16, pte(T_L2 + 1, 1), DOMID_SELF), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, T_L3, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, T_L2, 0), XEN_ERR(XEN_EINVAL));
	/* The continuations finish it: the result of an uninterrupted pin. */
	CHECK_EQ(ext_all(MMUEXT_PIN_L3_TABLE, T_L3, &steps), 0);
	CHECK_EQ(rd32(DONE_VA), 1);
	/*
	 * 80 L1s in steps of 8, each L2's last one ending its step (the L3
	 * stops before its next slot): 11 steps, the first done above.
	 */
	CHECK_EQ(steps, 10);
	check_tree_validated(1);
	/* Unpinned, the whole tree goes. */
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, T_L3, 0), 0);
	check_tree_released();

	/* A small tree needs no continuation. */
	for (k = 0; k < T_NL1; k++)
		if (k % T_PER_L2 >= 3)
			wr64(((u64)(T_L2 + k / T_PER_L2) << 12) + (k % T_PER_L2) * 8, 0);
	before = fx.v.stats.continuations;
	CHECK_EQ(ext_all(MMUEXT_PIN_L3_TABLE, T_L3, &steps), 0);
	CHECK_EQ(steps, 1);
	CHECK_EQ(fx.v.stats.continuations, before);
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, T_L3, 0), 0);

	/* The host wanting the CPU stops it too, after one entry. */
	build_tree();
	fx.preempt_every = 1;
	CHECK(ext_step(true, MMUEXT_PIN_L3_TABLE, T_L3));
	fx.preempt_every = 0;
	CHECK_EQ(frame(T_L2)->nr_validated, 1);
	CHECK_EQ(ext_all(MMUEXT_PIN_L3_TABLE, T_L3, &steps), 0);
	check_tree_validated(1);
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, T_L3, 0), 0);
	check_tree_released();
}

/* Between two steps the guest changes what is not validated yet. */
static void pin_l3_tree_changed_between_steps(void)
{
	u32 steps;

	build_tree();
	CHECK(ext_step(true, MMUEXT_PIN_L3_TABLE, T_L3));
	/* An L1 not reached yet now maps the partial L3 writable: refused at the end. */
	wr64(((u64)(T_L1 + 50) << 12) + 8, pte(T_L3, RW_PTE));
	CHECK_EQ(ext_all(MMUEXT_PIN_L3_TABLE, T_L3, &steps), XEN_ERR(XEN_EBUSY));
	CHECK_EQ(rd32(DONE_VA), 0);
	check_tree_released();
	CHECK(!(frame(T_L3)->flags & (PVMX_FRAME_PARTIAL | PVMX_FRAME_PINNED)));
	/* Mapped read-only instead: accepted, and counted. */
	build_tree();
	CHECK(ext_step(true, MMUEXT_PIN_L3_TABLE, T_L3));
	wr64(((u64)(T_L1 + 50) << 12) + 8, pte(T_L1 + 3, RO_PTE));
	CHECK_EQ(ext_all(MMUEXT_PIN_L3_TABLE, T_L3, &steps), 0);
	check_tree_validated(1);
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, T_L3, 0), 0);
	check_tree_released();

	/*
	 * Another get continues a partial L2 (Xen's PGT_partial): pinning it
	 * takes it over; the L3's continuation then takes a reference of its own.
	 */
	build_tree();
	CHECK(ext_step(true, MMUEXT_PIN_L3_TABLE, T_L3));
	CHECK_EQ(ext_all(MMUEXT_PIN_L2_TABLE, T_L2, &steps), 0);
	CHECK_EQ(frame(T_L2)->flags, PVMX_FRAME_PINNED | PVMX_FRAME_VALIDATED);
	CHECK_EQ(frame(T_L2)->type_count, 1);
	CHECK_EQ(ext_all(MMUEXT_PIN_L3_TABLE, T_L3, &steps), 0);
	CHECK_EQ(frame(T_L2)->type_count, 2);
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, T_L3, 0), 0);
	CHECK_EQ(frame(T_L2)->type_count, 1);
	CHECK_EQ(frame(T_L1)->type_count, 1);
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, T_L2, 0), 0);
	check_tree_released();

	/* NEW_BASEPTR continues the same way and loads the tree when done. */
	build_tree();
	CHECK(ext_step(true, MMUEXT_NEW_BASEPTR, T_L3));
	CHECK_EQ(fx.v.cpu.cr3, FX_L3_GPA);
	CHECK_EQ(ext_all(MMUEXT_NEW_BASEPTR, T_L3, &steps), 0);
	CHECK_EQ(fx.v.cpu.cr3, (u64)T_L3 << 12);
	CHECK_EQ(frame(T_L3)->type_count, 1);
	/* Back (directly: the request list is not mapped in the new tree). */
	CHECK_EQ(fx_locked(pvmx_new_baseptr(&fx.v, L3_MFN)), 0);
	check_tree_released();
}

/* An L3 entry naming a large L2: mmu_update continues the same way. */
static void mmu_update_l3_entry_is_preemptible(void)
{
	unsigned long *gpr = fx.v.cpu.gpr;
	u64 slot1 = FX_L3_GPA + 8, old = rd64(FX_L3_GPA + 8);
	u32 steps = 1;

	build_tree();
	wr64(REQ_VA, slot1);
	wr64(REQ_VA + 8, pte(T_L2, 1));
	wr32(DONE_VA, 0);
	fx_hypercall(__HYPERVISOR_mmu_update, REQ_VA, 1, DONE_VA, DOMID_SELF, 0);
	CHECK_EQ(fx.v.cpu.eip, 0x1000);
	CHECK_EQ(gpr[PVMX_EBX], REQ_VA);
	CHECK_EQ(gpr[PVMX_ECX], 1 | MMU_UPDATE_PREEMPTED);
	CHECK_EQ(rd64(slot1), old);			/* not written yet */
	CHECK_EQ(frame(T_L2)->flags, PVMX_FRAME_PARTIAL);
	while (fx.v.cpu.eip == 0x1000 && steps++ < 100)
		fx_hypercall(__HYPERVISOR_mmu_update, gpr[PVMX_EBX], gpr[PVMX_ECX],
			     gpr[PVMX_EDX], gpr[PVMX_ESI], 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(rd32(DONE_VA), 1);
	CHECK_EQ(rd64(slot1), pte(T_L2, 0x67));
	CHECK_EQ(frame(T_L2)->flags, PVMX_FRAME_VALIDATED);
	CHECK_EQ(frame(T_L2)->type_count, 1);
	CHECK_EQ(frame(T_L1 + 39)->type_count, 1);
	CHECK_EQ(frame(T_L1 + 40)->type_count, 0);	/* under the other L2 */
	CHECK_EQ(mmu(slot1, old, DOMID_SELF), 0);
	CHECK_EQ(frame(T_L2)->type_count, 0);
	CHECK_EQ(frame(T_L1)->type_count, 0);
}

/*
 * Random trees pinned in random steps, the guest changing what it still may
 * (frames with no type) and pinning the partial L2 between the steps: every
 * pin ends with Xen's result, and once everything is unpinned no frame keeps
 * a type reference or a partial state.
 */
static void pin_l3_random_steps_keep_counts(void)
{
	static const u64 choices[] = { 0, RO_PTE, RW_PTE };
	u32 seed = 12345, round, k, steps, res, l2_pinned;
	bool more;

#define RND()	(seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7FFF)
	for (round = 0; round < 60; round++) {
		build_tree();
		l2_pinned = 0;
		fx.preempt_every = RND() % 4;	/* 0: only the work batch */
		fx.preempt_calls = 0;
		more = ext_step(true, MMUEXT_PIN_L3_TABLE, T_L3);
		for (steps = 1; more && steps < 10000; steps++) {
			k = RND() % T_NL1;
			if (!frame(T_L1 + k)->type_count) {
				u32 c = RND() % 4;
				u64 e = c < 3 ? choices[c] : RW_PTE;
				u32 target = c < 3 ? T_DATA + k : T_L3;

				wr64(((u64)(T_L1 + k) << 12) + 8 * (1 + RND() % 8),
				     e ? pte(target, e) : 0);
			}
			if (!l2_pinned && RND() % 8 == 0 &&
			    (frame(T_L2)->flags & PVMX_FRAME_PARTIAL)) {
				u32 s2;

				fx.preempt_every = 0;
				res = ext_all(MMUEXT_PIN_L2_TABLE, T_L2, &s2);
				CHECK(res == 0 || res == XEN_ERR(XEN_EBUSY));
				l2_pinned = res == 0;
			}
			/* Re-issue the L3 pin (the request list is at REQ_VA again). */
			more = ext_step(true, MMUEXT_PIN_L3_TABLE, T_L3);
		}
		res = fx_eax();
		fx.preempt_every = 0;
		CHECK(!more);
		CHECK(res == 0 || res == XEN_ERR(XEN_EBUSY));
		if (res == 0) {
			CHECK_EQ(frame(T_L3)->flags, PVMX_FRAME_PINNED | PVMX_FRAME_VALIDATED);
			CHECK_EQ(frame(T_L2)->type_count, 1 + l2_pinned);
			CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, T_L3, 0), 0);
		} else {
			CHECK(!(frame(T_L3)->flags & PVMX_FRAME_PARTIAL));
		}
		if (l2_pinned)
			CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, T_L2, 0), 0);
		check_tree_released();
		for (k = 0; k < 4; k++)
			CHECK(!(frame(T_L3 + k)->flags & PVMX_FRAME_PARTIAL));
	}
#undef RND
}

/* Guest writes run under the VM lock (gmem.c asserts it). */
static int locked_copy_to_guest(struct pvmx_vcpu_core *v, u32 va, const void *buf, u32 len)
{
	int rc;

	spin_lock(&fx.vm.lock);
	rc = pvmx_copy_to_guest(v, va, buf, len);
	spin_unlock(&fx.vm.lock);
	return rc;
}

/* ---- gmem.c's translation cache: never stale --------------------------------- */

#define XL_VA		0x8000u
#define XL_L1E		(FX_L1_GPA + (XL_VA >> 12) * 8)

static u32 xlate_fills(const struct pvmx_vcpu_core *v)
{
	return v->xlate.fills;
}

/* A write through the copy path, and where it went. */
static bool wrote_at(u64 gpa, const char *s)
{
	return !memcmp(fx_gpa(gpa), s, 4);
}

static void xlate_cache_hits_and_follows_l1_changes(void)
{
	u32 fills;
	char buf[4];

	CHECK_EQ(locked_copy_to_guest(&fx.v, XL_VA, "AAAA", 4), 0);
	fills = xlate_fills(&fx.v);
	CHECK_EQ(locked_copy_to_guest(&fx.v, XL_VA + 4, "BBBB", 4), 0);
	CHECK_EQ(pvmx_copy_from_guest(&fx.v, buf, XL_VA, 4), 0);
	CHECK_EQ(xlate_fills(&fx.v), fills);		/* hits */
	CHECK(wrote_at(XL_VA, "AAAA") && wrote_at(XL_VA + 4, "BBBB"));

	/* update_va_mapping moves the page: the next write follows it. */
	CHECK_EQ(uvm(XL_VA, pte(SPARE, RW_PTE), 0), 0);
	CHECK_EQ(locked_copy_to_guest(&fx.v, XL_VA, "CCCC", 4), 0);
	CHECK(wrote_at((u64)SPARE << 12, "CCCC"));
	CHECK(wrote_at(XL_VA, "AAAA"));

	/* mmu_update makes it read-only: writes fault, reads still work. */
	CHECK_EQ(mmu(XL_L1E, pte(SPARE, RO_PTE), DOMID_SELF), 0);
	CHECK_EQ(locked_copy_to_guest(&fx.v, XL_VA, "DDDD", 4), -XEN_EFAULT);
	spin_lock(&fx.vm.lock);
	CHECK_EQ(pvmx_clear_guest(&fx.v, XL_VA, 4), -XEN_EFAULT);
	spin_unlock(&fx.vm.lock);
	CHECK(wrote_at((u64)SPARE << 12, "CCCC"));
	CHECK_EQ(pvmx_copy_from_guest(&fx.v, buf, XL_VA, 4), 0);
	CHECK(!memcmp(buf, "CCCC", 4));

	/* Accessed and Dirty set behind our back (the CPU does): still a hit. */
	fills = xlate_fills(&fx.v);
	wr64(XL_L1E, rd64(XL_L1E) | PVMX_PTE_A | PVMX_PTE_D);
	CHECK_EQ(pvmx_copy_from_guest(&fx.v, buf, XL_VA, 4), 0);
	CHECK_EQ(xlate_fills(&fx.v), fills);

	/* Any other bit, even written behind the validator's back: a walk. */
	wr64(XL_L1E, pte(SPARE + 1, RW_PTE));
	CHECK_EQ(locked_copy_to_guest(&fx.v, XL_VA, "EEEE", 4), 0);
	CHECK(wrote_at((u64)(SPARE + 1) << 12, "EEEE"));
	CHECK_EQ(xlate_fills(&fx.v), fills + 1);

	/* Unmapped: faults. */
	CHECK_EQ(uvm(XL_VA, 0, 0), 0);
	CHECK_EQ(pvmx_copy_from_guest(&fx.v, buf, XL_VA, 4), -XEN_EFAULT);
}

/* A page the cache holds writable becomes a page table: no write gets in. */
static void xlate_cache_page_becoming_a_table(void)
{
	u64 before;

	CHECK_EQ(uvm(XL_VA, pte(SPARE, RW_PTE), 0), 0);
	memset(fx_gpa((u64)SPARE << 12), 0, 4096);
	CHECK_EQ(locked_copy_to_guest(&fx.v, XL_VA + 8, "FFFF", 4), 0);
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, SPARE, 0), XEN_ERR(XEN_EINVAL));	/* mapped writable */
	CHECK_EQ(uvm(XL_VA, pte(SPARE, RO_PTE), 0), 0);
	memset(fx_gpa((u64)SPARE << 12), 0, 4096);
	CHECK_EQ(ext(MMUEXT_PIN_L1_TABLE, SPARE, 0), 0);
	before = rd64((u64)SPARE << 12);
	CHECK_EQ(locked_copy_to_guest(&fx.v, XL_VA, "GGGGGGGG", 8), -XEN_EFAULT);
	CHECK_EQ(rd64((u64)SPARE << 12), before);
	CHECK_EQ(ext(MMUEXT_UNPIN_TABLE, SPARE, 0), 0);
}

/* The L2 entry, the PDPTE and a 2 MiB page change under a cached page. */
static void xlate_cache_follows_l2_and_pdpte(void)
{
	const u32 va = 0x1FF000;		/* L2 slot 0, L1 0x105 slot 511 */
	const u64 l2e_gpa = FX_L2_GPA, old_l2e = rd64(l2e_gpa);
	const u64 old_pdpte = fx.v.cpu.pdpte[0];

	CHECK_EQ(locked_copy_to_guest(&fx.v, va, "HHHH", 4), 0);
	CHECK(wrote_at(va, "HHHH"));
	/* A new L1 (SPARE + 1) mapping va to SPARE + 2, through mmu_update. */
	memset(fx_gpa((u64)(SPARE + 1) << 12), 0, 4096);
	wr64(((u64)(SPARE + 1) << 12) + 511 * 8, pte(SPARE + 2, RW_PTE));
	CHECK_EQ(mmu(l2e_gpa, pte(SPARE + 1, old_l2e & 0xFFF), DOMID_SELF), 0);
	CHECK_EQ(locked_copy_to_guest(&fx.v, va, "IIII", 4), 0);
	CHECK(wrote_at((u64)(SPARE + 2) << 12, "IIII"));
	CHECK(wrote_at(va, "HHHH"));
	CHECK_EQ(mmu(l2e_gpa, old_l2e, DOMID_SELF), 0);
	CHECK_EQ(locked_copy_to_guest(&fx.v, va, "JJJJ", 4), 0);
	CHECK(wrote_at(va, "JJJJ"));

	/* Another L2 under PDPTE 0 (as a new base pointer would load). */
	memcpy(fx_gpa((u64)(SPARE + 3) << 12), fx_gpa(FX_L2_GPA), 4096);
	wr64((u64)(SPARE + 3) << 12, pte(SPARE + 1, old_l2e & 0xFFF));
	fx.v.cpu.pdpte[0] = pte(SPARE + 3, PVMX_PTE_P);
	CHECK_EQ(locked_copy_to_guest(&fx.v, va, "KKKK", 4), 0);
	CHECK(wrote_at((u64)(SPARE + 2) << 12, "KKKK"));
	CHECK(wrote_at(va, "JJJJ"));
	fx.v.cpu.pdpte[0] = old_pdpte;

	/* A 2 MiB page moved to another 2 MiB of RAM. */
	CHECK_EQ(locked_copy_to_guest(&fx.v, FX_BIGPAGE_VA + 0x1000, "LLLL", 4), 0);
	CHECK(wrote_at(FX_BIGPAGE_VA + 0x1000, "LLLL"));
	wr64(FX_L2_GPA + (FX_BIGPAGE_VA >> 21) * 8, 0x600000 | 0xE7);
	CHECK_EQ(locked_copy_to_guest(&fx.v, FX_BIGPAGE_VA + 0x1000, "MMMM", 4), 0);
	CHECK(wrote_at(0x601000, "MMMM"));
	CHECK(wrote_at(FX_BIGPAGE_VA + 0x1000, "LLLL"));
}

/* Another vCPU changes the mapping; and frames that are not RAM are never cached. */
static void xlate_cache_other_vcpu_and_non_ram(void)
{
	static struct pvmx_vcpu_core v1;
	static struct pvmx_run run1;
	unsigned long *gpr = v1.cpu.gpr;
	u32 fills;
	char buf[4];

	memset(&v1, 0, sizeof(v1));
	v1.vm = &fx.vm;
	v1.id = 1;
	v1.run = &run1;
	v1.state = PVMX_VCPU_RUNNABLE;
	memcpy(v1.cpu.pdpte, fx.v.cpu.pdpte, sizeof(v1.cpu.pdpte));
	pvmx_vcpu_events_init(&v1);
	fx.vm.vcpus[1] = &v1;

	CHECK_EQ(locked_copy_to_guest(&fx.v, XL_VA, "NNNN", 4), 0);
	/* vCPU 1 issues the mmu_update. */
	wr64(REQ_VA, XL_L1E);
	wr64(REQ_VA + 8, pte(SPARE, RW_PTE));
	gpr[PVMX_EAX] = __HYPERVISOR_mmu_update;
	gpr[PVMX_EBX] = REQ_VA;
	gpr[PVMX_ECX] = 1;
	gpr[PVMX_EDX] = 0;
	gpr[PVMX_ESI] = DOMID_SELF;
	pvmx_hypercall(&v1, 2);
	CHECK_EQ((u32)gpr[PVMX_EAX], 0);
	CHECK_EQ(locked_copy_to_guest(&fx.v, XL_VA, "OOOO", 4), 0);
	CHECK(wrote_at((u64)SPARE << 12, "OOOO"));
	CHECK(wrote_at(XL_VA, "NNNN"));

	/* The cache in use by another thread: this access walks, correctly. */
	fx.v.xlate.busy = 1;
	fills = xlate_fills(&fx.v);
	wr64(XL_L1E, pte(SPARE + 1, RW_PTE));
	CHECK_EQ(locked_copy_to_guest(&fx.v, XL_VA, "PPPP", 4), 0);
	CHECK(wrote_at((u64)(SPARE + 1) << 12, "PPPP"));
	CHECK_EQ(xlate_fills(&fx.v), fills);
	CHECK_EQ(fx.v.xlate.busy, 1);
	fx.v.xlate.busy = 0;

	/* shared_info (not RAM): every access walks. */
	wr64(XL_L1E, pte(FX_RAM_FRAMES, RW_PTE));
	fills = xlate_fills(&fx.v);
	CHECK_EQ(pvmx_copy_from_guest(&fx.v, buf, XL_VA, 4), 0);
	CHECK_EQ(pvmx_copy_from_guest(&fx.v, buf, XL_VA, 4), 0);
	CHECK_EQ(xlate_fills(&fx.v), fills + 2);
	fx.vm.vcpus[1] = NULL;
}

/* mmu_update reads its requests in batches: never what Xen would not read. */
static void set_req(u64 gpa, u64 ptr, u64 val)
{
	wr64(gpa, ptr);
	wr64(gpa + 8, val);
}

static void mmu_update_batch_rereads_a_remapped_list(void)
{
	const u64 list_l1e = 0x106000;		/* maps REQ_VA */

	/* Request 0 maps the list's page to SPARE, which holds another request 1. */
	set_req(REQ_VA, list_l1e, pte(SPARE, RW_PTE));
	set_req(REQ_VA + 16, XL_L1E, pte(SPARE + 1, RW_PTE));
	memset(fx_gpa((u64)SPARE << 12), 0, 4096);
	set_req(((u64)SPARE << 12) + 16, XL_L1E, pte(SPARE + 2, RW_PTE));
	fx_hypercall(__HYPERVISOR_mmu_update, REQ_VA, 2, 0, DOMID_SELF, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(rd64(XL_L1E), pte(SPARE + 2, RW_PTE));
	CHECK_EQ(rd64(list_l1e), pte(SPARE, RW_PTE));
}

static void mmu_update_batch_rereads_a_rewritten_list(void)
{
	/* Request 0 rewrites request 1's value in the list page itself. */
	set_req(REQ_VA, REQ_VA + 24, pte(SPARE + 2, RW_PTE));
	set_req(REQ_VA + 16, XL_L1E, pte(SPARE + 1, RW_PTE));
	fx_hypercall(__HYPERVISOR_mmu_update, REQ_VA, 2, 0, DOMID_SELF, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(rd64(XL_L1E), pte(SPARE + 2, RW_PTE));
}

static void mmu_update_batch_across_pages(void)
{
	const u32 list = 0x20AFF8;		/* request 0 straddles two pages */
	u32 i;

	for (i = 0; i < 20; i++)
		set_req(list + i * 16, FX_L1_GPA + (16 + i) * 8, pte(SPARE + i, RW_PTE));
	wr32(DONE_VA, 0);
	fx_hypercall(__HYPERVISOR_mmu_update, list, 20, DONE_VA, DOMID_SELF, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(rd32(DONE_VA), 20);
	for (i = 0; i < 20; i++)
		CHECK_EQ(rd64(FX_L1_GPA + (16 + i) * 8), pte(SPARE + i, RW_PTE));
}

const struct unit_test mm_tests[] = {
	UNIT_TEST(boot_tables_are_typed_and_pinned),
	UNIT_TEST(boot_refuses_bad_tables),
	UNIT_TEST(update_va_mapping_checks),
	UNIT_TEST(page_tables_never_mapped_writable),
	UNIT_TEST(pin_and_unpin),
	UNIT_TEST(validation_refusals),
	UNIT_TEST(new_baseptr_switches_trees),
	UNIT_TEST(mmu_update_entries),
	UNIT_TEST(mmu_update_domains),
	UNIT_TEST(machphys_update),
	UNIT_TEST(mmu_update_continues),
	UNIT_TEST(flushes_and_other_ops),
	UNIT_TEST(l3_write_reloads_every_vcpu_on_it),
	UNIT_TEST(remote_flush_waits_for_guest_exit),
	UNIT_TEST(clear_and_copy_page),
	UNIT_TEST(l1tf_safe_entries_pass),
	UNIT_TEST(l1tf_update_va_mapping_crashes),
	UNIT_TEST(l1tf_mmu_update_crashes),
	UNIT_TEST(l1tf_validation_crashes),
	UNIT_TEST(l1tf_boot_tables_refused),
	UNIT_TEST(l1tf_multicall_stops),
	UNIT_TEST(l1tf_ptwr_crashes),
	UNIT_TEST(pin_l3_is_preemptible),
	UNIT_TEST(pin_l3_tree_changed_between_steps),
	UNIT_TEST(mmu_update_l3_entry_is_preemptible),
	UNIT_TEST(pin_l3_random_steps_keep_counts),
	UNIT_TEST(xlate_cache_hits_and_follows_l1_changes),
	UNIT_TEST(xlate_cache_page_becoming_a_table),
	UNIT_TEST(xlate_cache_follows_l2_and_pdpte),
	UNIT_TEST(xlate_cache_other_vcpu_and_non_ram),
	UNIT_TEST(mmu_update_batch_rereads_a_remapped_list),
	UNIT_TEST(mmu_update_batch_rereads_a_rewritten_list),
	UNIT_TEST(mmu_update_batch_across_pages),
	{ NULL, NULL },
};
