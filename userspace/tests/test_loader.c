// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of the image loader (loader.c). */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "elfbuild.h"
#include "libpvmx.h"

#define MiB (1ULL << 20)

static char err[PVMX_ERR_MAX];

/* Build im into a fresh zeroed RAM buffer of mem bytes. */
static int build(const struct eb_image *im, uint64_t mem, const struct pvmx_load_opts *o,
		 struct pvmx_layout *L, uint8_t **ram_out)
{
	size_t len;
	uint8_t *elf = eb_build(im, &len);
	uint8_t *ram = calloc(1, mem);
	int rc;

	err[0] = '\0';
	rc = pvmx_build_image(elf, len, ram, mem, o, L, err);
	free(elf);
	if (ram_out)
		*ram_out = ram;
	else
		free(ram);
	return rc;
}

/* Expect a refusal whose message contains sub. */
static void refuse(const struct eb_image *im, uint64_t mem, int want_rc, const char *sub,
		   int line)
{
	struct pvmx_layout L;
	int rc = build(im, mem, NULL, &L, NULL);

	if (rc != want_rc || !strstr(err, sub)) {
		t_failures++;
		fprintf(stderr, "  FAIL line %d: want %d \"%s\", got %d \"%s\"\n", line,
			want_rc, sub, rc, err);
	}
	if (rc && (strchr(err, '\n') || !err[0])) {
		t_failures++;
		fprintf(stderr, "  FAIL line %d: message not one non-empty line\n", line);
	}
}
#define REFUSE(im, mem, rc, sub) refuse(im, mem, rc, sub, __LINE__)

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * Walk the PAE tables at cr3 in ram: returns the final L1 entry for va, 0 if
 * not present at some level.  *lvl_ok is cleared if an upper-level entry has
 * unexpected flags.
 */
static uint64_t walk(const uint8_t *ram, uint64_t mem, uint64_t cr3, uint32_t va, bool *ok)
{
	const uint64_t addr_mask = 0x000FFFFFFFFFF000ULL;
	uint64_t e3, e2;

	e3 = rd64(ram + cr3 + (va >> 30) * 8);
	if (!(e3 & 1))
		return 0;
	if ((e3 & ~addr_mask) != 0x1 || (e3 & addr_mask) >= mem)
		*ok = false;
	e2 = rd64(ram + (e3 & addr_mask) + ((va >> 21) & 511) * 8);
	if (!(e2 & 1))
		return 0;
	if ((e2 & ~addr_mask) != 0x67 || (e2 & addr_mask) >= mem)
		*ok = false;
	return rd64(ram + (e2 & addr_mask) + ((va >> 12) & 511) * 8);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Every invariant of a built layout, with p2m (NULL = identity). */
static void check_tables(const uint8_t *ram, uint64_t mem, const struct pvmx_layout *L,
			 const uint32_t *p2m)
{
	const struct pvmx_image_info *in = &L->image;
	uint64_t pfn, i;
	bool ok = true;
	int bad = 0;

#define MFN(p) (p2m ? p2m[p] : (p))
	/* L3: entries from the first slot up to 3 present, P only. */
	for (i = 0; i < 4; i++) {
		uint64_t e = rd64(ram + L->l3_gpa + i * 8);

		if (i >= (in->virt_base >> 30))
			CHECK_EQ(e & 0xFFF, 1);
		else
			CHECK_EQ(e, 0);
	}
	CHECK_EQ(L->nr_l2, 4 - (in->virt_base >> 30));
	for (i = 4; i < 512; i++)
		CHECK_EQ(rd64(ram + L->l3_gpa + i * 8), 0);
	/* Slot-3 L2 present; entries 428..511 left to the hypervisor. */
	{
		uint64_t e3 = rd64(ram + L->l3_gpa + 3 * 8);
		uint64_t l2 = e3 & 0x000FFFFFFFFFF000ULL;

		CHECK(e3 & 1);
		for (i = XEN_L2_FIRST_HYPERVISOR_SLOT; i < 512; i++)
			if (rd64(ram + l2 + i * 8))
				bad++;
		CHECK_EQ(bad, 0);
	}
	/* Every page of the mapped region 1:1, page tables read-only. */
	bad = 0;
	for (pfn = 0; pfn < L->mapped_pages; pfn++) {
		uint32_t va = (uint32_t)(in->virt_base + pfn * 4096);
		uint64_t e = walk(ram, mem, L->l3_gpa, va, &ok);
		bool pt = pfn >= L->pgtables.pfn && pfn < L->pgtables.pfn + L->pgtables.nr;
		uint64_t want = (uint64_t)MFN(pfn) << 12 | (pt ? 0x21 : 0x23);

		if (e != want) {
			if (bad++ < 3)
				fprintf(stderr, "  va 0x%x: pte 0x%llx want 0x%llx\n", va,
					(unsigned long long)e, (unsigned long long)want);
		}
	}
	CHECK_EQ(bad, 0);
	CHECK(ok);
	/* Nothing mapped beyond the region (next 4 MiB), nor below virt_base. */
	for (i = 0; i < 1024; i++) {
		uint64_t va = L->virt_mapped_end + i * 4096;

		if (va < XEN_HYPERVISOR_VIRT_START)
			CHECK_EQ(walk(ram, mem, L->l3_gpa, (uint32_t)va, &ok), 0);
	}
	if (in->virt_base)
		CHECK_EQ(walk(ram, mem, L->l3_gpa, (uint32_t)in->virt_base - 4096, &ok), 0);
	/* Table count as the layout says. */
	CHECK_EQ(L->pgtables.nr, 1 + L->nr_l2 + L->nr_l1);

	/* P2M. */
	bad = 0;
	for (i = 0; i < L->p2m.nr * 1024; i++) {
		uint32_t v = rd32(ram + ((uint64_t)MFN(L->p2m.pfn + i / 1024) << 12) + (i % 1024) * 4);

		if (v != (i < L->nr_pages ? MFN(i) : 0xFFFFFFFFu))
			bad++;
	}
	CHECK_EQ(bad, 0);

	/* start_info. */
	{
		struct xen_start_info si;

		memcpy(&si, ram + ((uint64_t)MFN(L->start_info.pfn) << 12), sizeof(si));
		CHECK_STR(si.magic, "xen-3.0-x86_32p");
		CHECK_EQ(si.nr_pages, L->nr_pages);
		CHECK_EQ(si.flags, L->si_flags);
		CHECK_EQ(si.store_mfn, MFN(L->store.pfn));
		CHECK_EQ(si.store_evtchn, 2);
		CHECK_EQ(si.console_mfn, MFN(L->console.pfn));
		CHECK_EQ(si.console_evtchn, 1);
		CHECK_EQ(si.pt_base, L->pgtables.va);
		CHECK_EQ(si.nr_pt_frames, L->pgtables.nr);
		CHECK_EQ(si.mfn_list, L->p2m.va);
		CHECK_EQ(si.mod_start, L->mod_start);
		CHECK_EQ(si.mod_len, L->mod_len);
		if (!L->ramdisk.nr)
			CHECK_EQ(si.mod_start | si.mod_len | si.flags, 0);
		CHECK_EQ(si.first_p2m_pfn, 0);
		CHECK_EQ(si.nr_p2m_frames, 0);
	}
	/* Registers. */
	CHECK_EQ(L->regs.eip, in->entry);
	CHECK_EQ(L->regs.esp, in->virt_base + (L->stack.pfn + 1) * 4096);
	CHECK_EQ(L->regs.esi, L->start_info.va);
	CHECK_EQ(L->regs.eax | L->regs.ebx | L->regs.ecx | L->regs.edx | L->regs.edi |
		 L->regs.ebp, 0);
	CHECK_EQ(L->regs.eflags, 0x200);
	CHECK_EQ(L->regs.cs, FLAT_RING1_CS);
	CHECK_EQ(L->regs.ss, FLAT_RING1_DS);
	CHECK_EQ(L->regs.ds, FLAT_RING1_DS);
	CHECK_EQ(L->regs.es, FLAT_RING1_DS);
	CHECK_EQ(L->regs.fs, FLAT_RING1_DS);
	CHECK_EQ(L->regs.gs, FLAT_RING1_DS);
	CHECK_EQ(L->regs.cr3, (uint64_t)MFN(L->pgtables.pfn) << 12);
	CHECK_EQ(L->regs.kernel_ss, FLAT_RING1_DS);
	CHECK_EQ(L->regs.kernel_sp, L->regs.esp);
	CHECK_EQ(L->regs.flags, 0);
	/* Boot info. */
	CHECK_EQ(L->boot.flags, 0);
	CHECK_EQ(L->boot.start_info_gpa, (uint64_t)MFN(L->start_info.pfn) << 12);
	CHECK_EQ(L->boot.console_gpa, (uint64_t)MFN(L->console.pfn) << 12);
	CHECK_EQ(L->boot.store_gpa, (uint64_t)MFN(L->store.pfn) << 12);
	CHECK_EQ(L->boot.nr_pfns, L->nr_pages);
	CHECK_EQ(L->boot.console_evtchn, 1);
	CHECK_EQ(L->boot.store_evtchn, 2);
	CHECK_EQ(L->boot.domid, 1);
	if (in->hypercall_page == PVMX_UNSET)
		CHECK_EQ(L->boot.hypercall_page_gpa, PVMX_NO_PAGE);
	else
		CHECK_EQ(L->boot.hypercall_page_gpa,
			 (uint64_t)MFN((in->hypercall_page - in->virt_base) >> 12) << 12);
	/* ≥ 512 KiB free after the stack, end on 4 MiB. */
	CHECK_EQ(L->virt_mapped_end % (4 * MiB), 0);
	CHECK(L->virt_mapped_end - (L->stack.va + 4096) >= 512 * 1024);
	CHECK(L->mapped_pages <= L->nr_pages);
#undef MFN
}

/* The segment bytes landed at p_paddr - PADDR_OFFSET, bss zero. */
static void check_segments(const uint8_t *ram, const struct eb_image *im,
			   const struct pvmx_layout *L, const uint32_t *p2m)
{
	int s, bad = 0;

	for (s = 0; s < im->nsegs; s++) {
		const struct eb_seg *sg = &im->segs[s];
		uint64_t base = sg->paddr - L->image.paddr_offset;
		uint32_t i;

		for (i = 0; i < sg->memsz; i++) {
			uint64_t a = base + i;
			uint64_t m = p2m ? p2m[a >> 12] : a >> 12;
			uint8_t want = i < sg->filesz ? eb_byte(sg, i) : 0;

			if (ram[(m << 12) + (a & 4095)] != want)
				bad++;
		}
	}
	CHECK_EQ(bad, 0);
}

/* ---------------------------------------------------------------------- */

static void test_xtf_layout(void)
{
	struct eb_image im;
	struct pvmx_layout L;
	struct pvmx_load_opts o = { .cmdline = "console=hvc0 xtf", .shared_info_gpa = 128 * MiB };
	uint8_t *ram;
	const struct pvmx_image_info *in = &L.image;

	eb_xtf(&im);
	CHECK_EQ(build(&im, 128 * MiB, &o, &L, &ram), 0);
	CHECK_EQ(in->source, PVMX_NOTES_PHDR);
	CHECK_EQ(in->nr_notes, 7);
	CHECK_STR(in->guest_os, "XTF");
	CHECK_STR(in->loader, "generic");
	CHECK_STR(in->xen_version, "xen-3.0");
	CHECK_STR(in->pae_mode, "yes");
	CHECK_EQ(in->features_required, 1u << XENFEAT_writable_page_tables);
	CHECK_EQ(in->features_wanted, (1u << XENFEAT_writable_page_tables) |
		 (1u << XENFEAT_pae_pgdir_above_4gb));
	CHECK_EQ(in->note_virt_base, PVMX_UNSET);
	CHECK_EQ(in->virt_base, 0);			/* VIRT_BASE unset → 0 */
	CHECK_EQ(in->paddr_offset, 0);
	CHECK_EQ(in->entry, 0x100000);			/* no ENTRY → e_entry */
	CHECK_EQ(in->virt_kstart, 0x100000);
	CHECK_EQ(in->virt_kend, 0x110000);
	CHECK_EQ(in->hypercall_page, 0x105000);

	/* The layout xg_dom_x86.c builds for XTF's image, exactly. */
	CHECK_EQ(L.nr_pages, 32768);
	CHECK_EQ(L.kernel.pfn, 0x100);
	CHECK_EQ(L.kernel.nr, 0x10);
	CHECK_EQ(L.p2m.pfn, 0x110);
	CHECK_EQ(L.p2m.nr, 32);
	CHECK_EQ(L.p2m.va, 0x110000);
	CHECK_EQ(L.start_info.pfn, 0x130);
	CHECK_EQ(L.store.pfn, 0x131);
	CHECK_EQ(L.console.pfn, 0x132);
	CHECK_EQ(L.pgtables.pfn, 0x133);
	CHECK_EQ(L.pgtables.nr, 7);
	CHECK_EQ(L.nr_l2, 4);
	CHECK_EQ(L.nr_l1, 2);
	CHECK_EQ(L.stack.pfn, 0x13A);
	CHECK_EQ(L.regs.esp, 0x13B000);
	CHECK_EQ(L.regs.esi, 0x130000);
	CHECK_EQ(L.regs.eip, 0x100000);
	CHECK_EQ(L.regs.cr3, 0x133000);
	CHECK_EQ(L.l3_gpa, 0x133000);
	CHECK_EQ(L.virt_mapped_end, 0x400000);
	CHECK_EQ(L.mapped_pages, 1024);
	CHECK_EQ(L.boot.hypercall_page_gpa, 0x105000);
	CHECK_EQ(L.boot.start_info_gpa, 0x130000);
	CHECK_EQ(L.boot.store_gpa, 0x131000);
	CHECK_EQ(L.boot.console_gpa, 0x132000);
	CHECK_EQ(L.boot.nr_pfns, 32768);
	CHECK_EQ(L.boot.p2m, 0);

	check_tables(ram, 128 * MiB, &L, NULL);
	check_segments(ram, &im, &L, NULL);
	{
		struct xen_start_info si;

		memcpy(&si, ram + 0x130000, sizeof(si));
		CHECK_EQ(si.shared_info, 128 * MiB);
		CHECK_EQ(si.pt_base, 0x133000);
		CHECK_EQ(si.mfn_list, 0x110000);
		CHECK_EQ(si.nr_pt_frames, 7);
		CHECK_EQ(si.store_mfn, 0x131);
		CHECK_EQ(si.console_mfn, 0x132);
		CHECK_STR(si.cmd_line, "console=hvc0 xtf");
	}
	/* L3 entries: exact values. */
	CHECK_EQ(rd64(ram + 0x133000), 0x134001);
	CHECK_EQ(rd64(ram + 0x133008), 0x135001);
	CHECK_EQ(rd64(ram + 0x133010), 0x136001);
	CHECK_EQ(rd64(ram + 0x133018), 0x137001);
	/* L2 (slot 0): two L1s. */
	CHECK_EQ(rd64(ram + 0x134000), 0x138067);
	CHECK_EQ(rd64(ram + 0x134008), 0x139067);
	CHECK_EQ(rd64(ram + 0x134010), 0);
	/* L1 entries. */
	CHECK_EQ(rd64(ram + 0x138000 + 0x100 * 8), 0x100023);
	CHECK_EQ(rd64(ram + 0x138000 + 0x133 * 8), 0x133021);
	CHECK_EQ(rd64(ram + 0x138000 + 0x139 * 8), 0x139021);
	CHECK_EQ(rd64(ram + 0x138000 + 0x13A * 8), 0x13A023);
	CHECK_EQ(rd64(ram + 0x138000), 0x000023);	/* pfn 0 mapped too */
	free(ram);
}

static void test_xtf_small_memory(void)
{
	struct eb_image im;
	struct pvmx_layout L;
	uint8_t *ram;

	eb_xtf(&im);
	/* 4 MiB: P2M is a single page, everything still fits in the 4 MiB map. */
	CHECK_EQ(build(&im, 4 * MiB, NULL, &L, &ram), 0);
	CHECK_EQ(L.p2m.nr, 1);
	CHECK_EQ(L.start_info.pfn, 0x111);
	CHECK_EQ(L.stack.pfn, 0x11B);
	CHECK_EQ(L.mapped_pages, 1024);
	check_tables(ram, 4 * MiB, &L, NULL);
	free(ram);
	/* Not a power of two, odd page count: the P2M's last page is padded. */
	CHECK_EQ(build(&im, 32 * MiB + 4096, NULL, &L, &ram), 0);
	CHECK_EQ(L.nr_pages, 8193);
	CHECK_EQ(L.p2m.nr, 9);
	CHECK_EQ(rd32(ram + L.p2m.va + 8192 * 4), 8192);
	CHECK_EQ(rd32(ram + L.p2m.va + 8193 * 4), 0xFFFFFFFF);
	check_tables(ram, 32 * MiB + 4096, &L, NULL);
	free(ram);
	/* Too small. */
	REFUSE(&im, 2 * MiB, -ENOMEM, "guest memory too small");
	REFUSE(&im, 4 * MiB - 4096, -ENOMEM, "guest memory too small");
}

static void test_mapping_grows(void)
{
	struct eb_image im;
	struct pvmx_layout L;
	uint8_t *ram;

	/* An image ending just below 4 MiB: the map needs another 4 MiB. */
	eb_xtf(&im);
	im.segs[0].memsz = 0x2F0000;	/* 0x100000-0x3F0000 */
	CHECK_EQ(build(&im, 64 * MiB, NULL, &L, &ram), 0);
	CHECK_EQ(L.virt_mapped_end, 0x800000);
	CHECK_EQ(L.nr_l1, 4);
	check_tables(ram, 64 * MiB, &L, NULL);
	check_segments(ram, &im, &L, NULL);
	free(ram);
	/* Large memory: P2M of 2 GiB = 512 pages pushes the map to 8 MiB. */
	eb_xtf(&im);
	CHECK_EQ(build(&im, 1024 * MiB, NULL, &L, &ram), 0);
	CHECK_EQ(L.p2m.nr, 256);
	CHECK_EQ(L.start_info.pfn, 0x210);
	check_tables(ram, 1024 * MiB, &L, NULL);
	free(ram);
}

static void test_notes_from_sections(void)
{
	struct eb_image im;
	struct pvmx_layout L;
	uint8_t *ram;

	eb_xtf(&im);
	im.where = EB_NOTES_SHDR;	/* no PT_NOTE: SHT_NOTE section, not loaded */
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, &ram), 0);
	CHECK_EQ(L.image.source, PVMX_NOTES_SHDR);
	CHECK_EQ(L.image.hypercall_page, 0x105000);
	CHECK_STR(L.image.guest_os, "XTF");
	check_tables(ram, 32 * MiB, &L, NULL);
	free(ram);

	/* A PT_NOTE with only non-Xen notes: the sections hold the same blob. */
	eb_init(&im);
	im.entry = 0x100000;
	eb_seg(&im, 0x100000, 0x100000, 0x1000, 0x1000);
	eb_note_raw(&im, "GNU", 3, "abcd", 4);
	REFUSE(&im, 32 * MiB, -ENOEXEC, "not a Xen PV image");
	/* 8-byte numeric notes and a non-Xen note mixed in. */
	eb_xtf(&im);
	eb_note_del(&im, XEN_ELFNOTE_HYPERCALL_PAGE);
	eb_note_raw(&im, "GNU", XEN_ELFNOTE_ENTRY, "\x10\x00\x10\x00", 4);
	eb_note_u64(&im, XEN_ELFNOTE_HYPERCALL_PAGE, 0x106000);
	eb_note_u64(&im, XEN_ELFNOTE_ENTRY, 0x100020);
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);
	CHECK_EQ(L.image.hypercall_page, 0x106000);
	CHECK_EQ(L.image.entry, 0x100020);
	CHECK_EQ(L.regs.eip, 0x100020);
	/* An unaligned hypercall page address names its page. */
	eb_note_del(&im, XEN_ELFNOTE_HYPERCALL_PAGE);
	eb_note_u32(&im, XEN_ELFNOTE_HYPERCALL_PAGE, 0x106123);
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);
	CHECK_EQ(L.boot.hypercall_page_gpa, 0x106000);
	/* No hypercall page. */
	eb_note_del(&im, XEN_ELFNOTE_HYPERCALL_PAGE);
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);
	CHECK_EQ(L.boot.hypercall_page_gpa, PVMX_NO_PAGE);
}

static void test_xen_guest(void)
{
	struct eb_image im;
	struct pvmx_layout L;
	uint8_t *ram;

	eb_init(&im);
	im.entry = 0xC0100000;
	eb_seg(&im, 0xC0100000, 0xC0100000, 0x4000, 0x8000);
	im.xen_guest = "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,"
		       "ELF_PADDR_OFFSET=0xC0000000,HYPERCALL_PAGE=0x101,LOADER=generic,"
		       "PAE=yes[extended-cr3],FEATURES=writable_page_tables,UNKNOWN_KEY=1";
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, &ram), 0);
	CHECK_EQ(L.image.source, PVMX_NOTES_XEN_GUEST);
	CHECK_STR(L.image.guest_os, "linux");
	CHECK_STR(L.image.pae_mode, "yes[extended-cr3]");
	CHECK_EQ(L.image.virt_base, 0xC0000000);
	CHECK_EQ(L.image.paddr_offset, 0xC0000000);
	CHECK_EQ(L.image.hypercall_page, 0xC0101000);	/* page 0x101 from VIRT_BASE */
	CHECK_EQ(L.image.virt_kstart, 0xC0100000);
	CHECK_EQ(L.kernel.pfn, 0x100);
	CHECK_EQ(L.boot.hypercall_page_gpa, 0x101000);
	CHECK_EQ(L.regs.eip, 0xC0100000);
	CHECK_EQ(L.nr_l2, 1);
	check_tables(ram, 32 * MiB, &L, NULL);
	check_segments(ram, &im, &L, NULL);
	free(ram);

	/* No ELF_PADDR_OFFSET: defaults to VIRT_BASE; key order does not matter. */
	im.xen_guest = "HYPERCALL_PAGE=0x102,VIRT_BASE=0xC0000000,XEN_VER=xen-3.0.4,"
		       "LOADER=generic,PAE=yes,VIRT_ENTRY=0xC0100010,BSD_SYMTAB";
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);
	CHECK_EQ(L.image.paddr_offset, 0xC0000000);
	CHECK_EQ(L.image.hypercall_page, 0xC0102000);
	CHECK_EQ(L.image.entry, 0xC0100010);
	CHECK(L.image.bsd_symtab);
	/* Without VIRT_BASE the section's p_paddr are physical. */
	eb_init(&im);
	im.entry = 0x100000;
	eb_seg(&im, 0x100000, 0x100000, 0x4000, 0x4000);
	im.xen_guest = "XEN_VER=xen-3.0,LOADER=generic,PAE=yes,HYPERCALL_PAGE=0x101";
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);
	CHECK_EQ(L.image.virt_base, 0);
	CHECK_EQ(L.image.hypercall_page, 0x101000);
	/* Refusals. */
	im.xen_guest = "XEN_VER=xen-3.0,LOADER=generic";
	REFUSE(&im, 32 * MiB, -ENOEXEC, "image is not PAE (xen-3.0-x86_32); pvmx runs xen-3.0-x86_32p guests");
	im.xen_guest = "XEN_VER=xen-3.0,LOADER=generic,PAE=no";
	REFUSE(&im, 32 * MiB, -ENOEXEC, "not PAE");
	im.xen_guest = "XEN_VER=xen-3.0,LOADER=generic,PAE=yes,VIRT_BASE=zero";
	REFUSE(&im, 32 * MiB, -ENOEXEC, "not a number");
	im.xen_guest = "XEN_VER=xen-3.0,LOADER=generic,PAE=yes,ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456=1";
	REFUSE(&im, 32 * MiB, -ENOEXEC, "key longer than 31");
	im.xen_guest = "XEN_VER=xen-3.0,LOADER=generic,PAE=yes,GUEST_OS="
		       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	REFUSE(&im, 32 * MiB, -ENOEXEC, "value longer than 127");
	im.xen_guest = "XEN_VER=xen-3.0,LOADER=generic,PAE=yes,ELF_PADDR_OFFSET=0";
	REFUSE(&im, 32 * MiB, -ENOEXEC, "PADDR_OFFSET set but VIRT_BASE unset");
	im.xen_guest = "XEN_VER=xen-3.0,LOADER=generic,PAE=yes,FEATURES=!nonsense";
	REFUSE(&im, 32 * MiB, -ENOEXEC, "unknown feature \"nonsense\"");
	im.xen_guest = "XEN_VER=xen-3.0,LOADER=generic,PAE=yes,HYPERCALL_PAGE=0x200";
	REFUSE(&im, 32 * MiB, -ENOEXEC, "hypercall page 0x200000 is outside the image");
	im.xen_guest = "";
	REFUSE(&im, 32 * MiB, -ENOEXEC, "__xen_guest section is empty");
	/* Notes take precedence over __xen_guest. */
	eb_xtf(&im);
	im.xen_guest = "XEN_VER=xen-3.0,LOADER=generic,PAE=no";
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);
	CHECK_EQ(L.image.source, PVMX_NOTES_PHDR);
}

static void test_linux_layout(void)
{
	struct eb_image im;
	struct pvmx_layout L;
	uint8_t *ram;

	eb_linux(&im);
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, &ram), 0);
	CHECK_EQ(L.image.virt_base, 0xC0000000);
	CHECK_EQ(L.image.paddr_offset, 0);
	CHECK_EQ(L.image.virt_kstart, 0xC0100000);
	CHECK_EQ(L.image.virt_kend, 0xC0480000);
	CHECK_EQ(L.image.entry, 0xC0100040);
	CHECK_EQ(L.image.features_required, 0);
	CHECK_EQ(L.kernel.pfn, 0x100);
	CHECK_EQ(L.kernel.nr, 0x380);
	CHECK_EQ(L.p2m.pfn, 0x480);
	CHECK_EQ(L.p2m.nr, 8);
	CHECK_EQ(L.p2m.va, 0xC0480000);
	CHECK_EQ(L.start_info.pfn, 0x488);
	CHECK_EQ(L.start_info.va, 0xC0488000);
	CHECK_EQ(L.store.pfn, 0x489);
	CHECK_EQ(L.console.pfn, 0x48A);
	CHECK_EQ(L.pgtables.pfn, 0x48B);
	CHECK_EQ(L.nr_l2, 1);
	CHECK_EQ(L.nr_l1, 4);
	CHECK_EQ(L.stack.pfn, 0x491);
	CHECK_EQ(L.regs.esp, 0xC0492000);
	CHECK_EQ(L.regs.esi, 0xC0488000);
	CHECK_EQ(L.regs.cr3, 0x48B000);
	CHECK_EQ(L.virt_mapped_end, 0xC0800000);
	CHECK_EQ(L.boot.hypercall_page_gpa, 0x102000);
	CHECK_EQ(rd64(ram + 0x48B000), 0);
	CHECK_EQ(rd64(ram + 0x48B000 + 24), 0x48C001);
	check_tables(ram, 32 * MiB, &L, NULL);
	check_segments(ram, &im, &L, NULL);
	free(ram);

	/* Old-style: PADDR_OFFSET = VIRT_BASE, p_paddr virtual: the same image. */
	eb_linux(&im);
	im.segs[0].paddr = 0xC0100000;
	im.segs[1].paddr = 0xC0400000;
	eb_note_del(&im, XEN_ELFNOTE_PADDR_OFFSET);
	eb_note_u32(&im, XEN_ELFNOTE_PADDR_OFFSET, 0xC0000000);
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, &ram), 0);
	CHECK_EQ(L.image.paddr_offset, 0xC0000000);
	CHECK_EQ(L.image.virt_kstart, 0xC0100000);
	CHECK_EQ(L.stack.pfn, 0x491);
	check_tables(ram, 32 * MiB, &L, NULL);
	check_segments(ram, &im, &L, NULL);
	free(ram);

	/* A VIRT_BASE in the 3rd GiB, mapping crossing into the 4th. */
	eb_linux(&im);
	eb_note_del(&im, XEN_ELFNOTE_VIRT_BASE);
	eb_note_del(&im, XEN_ELFNOTE_ENTRY);
	eb_note_del(&im, XEN_ELFNOTE_HYPERCALL_PAGE);
	eb_note_u32(&im, XEN_ELFNOTE_VIRT_BASE, 0xBFC00000);
	im.entry = 0xBFD00000;
	CHECK_EQ(build(&im, 64 * MiB, NULL, &L, &ram), 0);
	CHECK_EQ(L.nr_l2, 2);
	check_tables(ram, 64 * MiB, &L, NULL);
	free(ram);

	/* LOADER may be absent for GUEST_OS "linux". */
	eb_linux(&im);
	eb_note_del(&im, XEN_ELFNOTE_LOADER);
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);
	/* Memory too small for a kernel at 1 MiB + 3.5 MiB. */
	REFUSE(&im, 4 * MiB, -ENOMEM, "guest memory too small");
	/* The image must not reach the hypervisor hole. */
	eb_linux(&im);
	eb_note_del(&im, XEN_ELFNOTE_VIRT_BASE);
	eb_note_del(&im, XEN_ELFNOTE_ENTRY);
	eb_note_del(&im, XEN_ELFNOTE_HYPERCALL_PAGE);
	im.entry = 0xF5100000;
	eb_note_u32(&im, XEN_ELFNOTE_VIRT_BASE, 0xF5000000);
	/* The mapping ends exactly at the hole: fine, L2[428..511] stay free. */
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, &ram), 0);
	CHECK_EQ(L.virt_mapped_end, XEN_HYPERVISOR_VIRT_START);
	check_tables(ram, 32 * MiB, &L, NULL);
	free(ram);
	eb_note_del(&im, XEN_ELFNOTE_VIRT_BASE);
	eb_note_u32(&im, XEN_ELFNOTE_VIRT_BASE, 0xF5400000);
	im.entry = 0xF5500000;
	REFUSE(&im, 32 * MiB, -ENOEXEC, "image [0xf5500000, 0xf5880000) reaches the hypervisor hole");
	eb_note_del(&im, XEN_ELFNOTE_VIRT_BASE);
	eb_note_u32(&im, XEN_ELFNOTE_VIRT_BASE, 0xF5300000);
	im.entry = 0xF5400000;
	REFUSE(&im, 32 * MiB, -ENOEXEC, "start-of-day mapping from VIRT_BASE 0xf5300000 reaches the hypervisor hole");
	eb_note_del(&im, XEN_ELFNOTE_VIRT_BASE);
	eb_note_u32(&im, XEN_ELFNOTE_VIRT_BASE, 0xF5800000);
	REFUSE(&im, 32 * MiB, -ENOEXEC, "hypervisor hole");
	eb_note_del(&im, XEN_ELFNOTE_VIRT_BASE);
	eb_note_u32(&im, XEN_ELFNOTE_VIRT_BASE, 0xC0000800);
	REFUSE(&im, 32 * MiB, -ENOEXEC, "not page aligned");
}

static void test_shuffled_p2m(void)
{
	struct eb_image im;
	struct pvmx_layout L;
	struct pvmx_load_opts o = { 0 };
	uint64_t n = 32 * MiB / 4096, i;
	uint32_t *p2m = malloc(n * 4);
	uint32_t seed = 12345;
	uint8_t *ram;

	for (i = 0; i < n; i++)
		p2m[i] = (uint32_t)i;
	for (i = n - 1; i > 0; i--) {
		uint32_t j, t;

		seed = seed * 1103515245 + 12345;
		j = (seed >> 8) % (uint32_t)(i + 1);
		t = p2m[i];
		p2m[i] = p2m[j];
		p2m[j] = t;
	}
	o.p2m = p2m;
	eb_xtf(&im);
	CHECK_EQ(build(&im, 32 * MiB, &o, &L, &ram), 0);
	CHECK_EQ(L.boot.p2m, (uint64_t)(uintptr_t)p2m);
	CHECK_EQ(L.l3_gpa, (uint64_t)p2m[L.pgtables.pfn] << 12);
	check_tables(ram, 32 * MiB, &L, p2m);
	check_segments(ram, &im, &L, p2m);
	free(ram);
	/* Not a permutation. */
	p2m[5] = p2m[6];
	CHECK_EQ(build(&im, 32 * MiB, &o, &L, NULL), -EINVAL);
	CHECK_HAS(err, "permutation");
	p2m[5] = (uint32_t)n;
	CHECK_EQ(build(&im, 32 * MiB, &o, &L, NULL), -EINVAL);
	free(p2m);
}

static void test_cmdline(void)
{
	struct eb_image im;
	struct pvmx_layout L;
	struct pvmx_load_opts o = { 0 };
	char buf[1100];
	uint8_t *ram;

	eb_xtf(&im);
	memset(buf, 'x', sizeof(buf));
	buf[1023] = '\0';
	o.cmdline = buf;
	CHECK_EQ(build(&im, 32 * MiB, &o, &L, &ram), 0);
	CHECK_EQ(strlen((char *)ram + L.start_info.va + 80), 1023);
	free(ram);
	buf[1023] = 'x';
	buf[1024] = '\0';
	CHECK_EQ(build(&im, 32 * MiB, &o, &L, NULL), -EINVAL);
	CHECK_HAS(err, "command line too long");
	o.cmdline = NULL;
	CHECK_EQ(build(&im, 32 * MiB, &o, &L, &ram), 0);
	CHECK_EQ(ram[L.start_info.va + 80], 0);
	free(ram);
	/* Bad memory sizes and shared_info. */
	CHECK_EQ(build(&im, 32 * MiB + 100, NULL, &L, NULL), -EINVAL);
	o.shared_info_gpa = 1ULL << 32;
	CHECK_EQ(build(&im, 32 * MiB, &o, &L, NULL), -EINVAL);
}

static void test_refusals(void)
{
	struct eb_image im;

	eb_xtf(&im);
	im.machine = EM_X86_64;
	REFUSE(&im, 32 * MiB, -ENOEXEC, "64-bit image: pvmx runs 32-bit PAE guests");
	eb_xtf(&im);
	im.ei_class = ELFCLASS64;
	REFUSE(&im, 32 * MiB, -ENOEXEC, "64-bit image: pvmx runs 32-bit PAE guests");
	eb_xtf(&im);
	im.ei_class = 7;
	REFUSE(&im, 32 * MiB, -ENOEXEC, "bad ELF class");
	eb_xtf(&im);
	im.ei_data = ELFDATA2MSB;
	REFUSE(&im, 32 * MiB, -ENOEXEC, "little-endian");
	eb_xtf(&im);
	im.machine = EM_ARM;
	REFUSE(&im, 32 * MiB, -ENOEXEC, "not an i386 image");
	eb_xtf(&im);
	im.type = ET_DYN;
	REFUSE(&im, 32 * MiB, -ENOEXEC, "ET_EXEC");

	/* Segments. */
	eb_xtf(&im);
	eb_seg(&im, 0x108000, 0x108000, 0x100, 0x1000);
	REFUSE(&im, 32 * MiB, -ENOEXEC, "segments overlap");
	eb_xtf(&im);
	eb_seg(&im, 0x0FF000, 0x0FF000, 0x100, 0x1001);	/* one byte into the next */
	REFUSE(&im, 32 * MiB, -ENOEXEC, "segments overlap");
	eb_xtf(&im);
	eb_seg(&im, 0x0FF000, 0x0FF000, 0x100, 0x1000);	/* touching is fine */
	{
		struct pvmx_layout L;

		CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);
		CHECK_EQ(L.image.virt_kstart, 0xFF000);
		CHECK_EQ(L.image.nr_load, 2);
	}
	eb_xtf(&im);
	im.segs[0].memsz = 0xFFF00001;
	REFUSE(&im, 32 * MiB, -ENOEXEC, "wraps around 4 GiB");
	eb_xtf(&im);
	im.segs[0].memsz = 0x80000000;		/* fits in 4 GiB, not in memory */
	REFUSE(&im, 32 * MiB, -ENOMEM, "guest memory too small");
	eb_xtf(&im);
	im.segs[0].memsz = 0xF5800000;		/* reaches the hypervisor hole */
	REFUSE(&im, 32 * MiB, -ENOEXEC, "reaches the hypervisor hole");
	eb_xtf(&im);
	im.segs[0].memsz = 0x40000000;
	REFUSE(&im, 32 * MiB, -ENOMEM, "guest memory too small");
	eb_xtf(&im);
	im.segs[0].filesz = 0x10001;
	REFUSE(&im, 32 * MiB, -ENOEXEC, "p_filesz 0x10001 > p_memsz 0x10000");
	eb_xtf(&im);
	im.nsegs = 0;
	REFUSE(&im, 32 * MiB, -ENOEXEC, "no loadable (PT_LOAD) segment");
	eb_xtf(&im);
	im.segs[0].paddr = im.segs[0].vaddr = 0x100800;
	im.entry = 0x100800;
	eb_note_del(&im, XEN_ELFNOTE_HYPERCALL_PAGE);
	REFUSE(&im, 32 * MiB, -ENOEXEC, "image start 0x100800 is not page aligned");

	/* Entry and hypercall page. */
	eb_xtf(&im);
	im.entry = 0x110000;
	REFUSE(&im, 32 * MiB, -ENOEXEC, "entry point 0x110000 is outside the image");
	eb_xtf(&im);
	eb_note_u32(&im, XEN_ELFNOTE_ENTRY, 0xFFFFF);
	REFUSE(&im, 32 * MiB, -ENOEXEC, "entry point 0xfffff is outside");
	eb_xtf(&im);
	eb_note_del(&im, XEN_ELFNOTE_HYPERCALL_PAGE);
	eb_note_u32(&im, XEN_ELFNOTE_HYPERCALL_PAGE, 0x110000);
	REFUSE(&im, 32 * MiB, -ENOEXEC, "hypercall page 0x110000 is outside the image");

	/* Notes. */
	eb_xtf(&im);
	eb_note_del(&im, XEN_ELFNOTE_XEN_VERSION);
	eb_note_str(&im, XEN_ELFNOTE_XEN_VERSION, "xen-2.0");
	REFUSE(&im, 32 * MiB, -ENOEXEC, "XEN_VERSION \"xen-2.0\" does not start with \"xen-3.0\"");
	eb_note_del(&im, XEN_ELFNOTE_XEN_VERSION);
	REFUSE(&im, 32 * MiB, -ENOEXEC, "no XEN_VERSION");
	eb_xtf(&im);
	eb_note_del(&im, XEN_ELFNOTE_LOADER);
	eb_note_str(&im, XEN_ELFNOTE_LOADER, "elf");
	REFUSE(&im, 32 * MiB, -ENOEXEC, "LOADER \"elf\" is not \"generic\"");
	eb_note_del(&im, XEN_ELFNOTE_LOADER);
	REFUSE(&im, 32 * MiB, -ENOEXEC, "LOADER \"\" is not \"generic\"");
	eb_xtf(&im);
	eb_note_del(&im, XEN_ELFNOTE_PAE_MODE);
	REFUSE(&im, 32 * MiB, -ENOEXEC,
	       "image is not PAE (xen-3.0-x86_32); pvmx runs xen-3.0-x86_32p guests");
	eb_note_str(&im, XEN_ELFNOTE_PAE_MODE, "no");
	REFUSE(&im, 32 * MiB, -ENOEXEC, "image is not PAE");
	eb_note_del(&im, XEN_ELFNOTE_PAE_MODE);
	eb_note_str(&im, XEN_ELFNOTE_PAE_MODE, "maybe");
	REFUSE(&im, 32 * MiB, -ENOEXEC, "unsupported PAE mode \"maybe\"");
	{
		/* elf_xen_parse_note(): "yes", or anything containing "bimodal". */
		static const char *const ok[] = { "yes", "bimodal", "yes,bimodal",
						  "[extended-cr3],bimodal" };
		struct pvmx_layout L;

		for (unsigned i = 0; i < 4; i++) {
			eb_note_del(&im, XEN_ELFNOTE_PAE_MODE);
			eb_note_str(&im, XEN_ELFNOTE_PAE_MODE, ok[i]);
			CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);
		}
	}
	eb_note_del(&im, XEN_ELFNOTE_PAE_MODE);
	eb_note_str(&im, XEN_ELFNOTE_PAE_MODE, "yes[extended-cr3]");	/* __xen_guest only */
	REFUSE(&im, 32 * MiB, -ENOEXEC, "unsupported PAE mode \"yes[extended-cr3]\"");
	/* __xen_guest PAE: starts with "yes"; "bimodal" is not recognised there. */
	eb_init(&im);
	im.entry = 0x100000;
	eb_seg(&im, 0x100000, 0x100000, 0x1000, 0x1000);
	im.xen_guest = "XEN_VER=xen-3.0,LOADER=generic,PAE=bimodal";
	REFUSE(&im, 32 * MiB, -ENOEXEC, "unsupported PAE mode \"bimodal\"");
	im.xen_guest = "XEN_VER=xen-3.0,LOADER=generic,PAE=yes[extended-cr3]";
	{
		struct pvmx_layout L;

		CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);
	}
	eb_xtf(&im);
	eb_note_del(&im, XEN_ELFNOTE_FEATURES);
	eb_note_str(&im, XEN_ELFNOTE_FEATURES, "writable_page_tables|!frobnicate");
	REFUSE(&im, 32 * MiB, -ENOEXEC, "requires unknown feature \"frobnicate\"");
	eb_note_del(&im, XEN_ELFNOTE_FEATURES);
	eb_note_str(&im, XEN_ELFNOTE_FEATURES, "!auto_translated_physmap");
	REFUSE(&im, 32 * MiB, -ENOEXEC, "requires feature \"auto_translated_physmap\", which pvmx does not support (it can require only: writable_page_tables, pae_pgdir_above_4gb)");
	/* XTF's own FEATURES: direct page-table writes are emulated (ptwr). */
	eb_note_del(&im, XEN_ELFNOTE_FEATURES);
	eb_note_str(&im, XEN_ELFNOTE_FEATURES, "!writable_page_tables|pae_pgdir_above_4gb");
	{
		struct pvmx_layout L;

		CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);
		CHECK_EQ(L.image.features_required, 1u << XENFEAT_writable_page_tables);
		CHECK_EQ(L.image.features_wanted, (1u << XENFEAT_writable_page_tables) |
			 (1u << XENFEAT_pae_pgdir_above_4gb));
	}
	eb_note_del(&im, XEN_ELFNOTE_FEATURES);
	eb_note_str(&im, XEN_ELFNOTE_FEATURES, "!dom0");
	REFUSE(&im, 32 * MiB, -ENOEXEC, "requires feature \"dom0\"");
	eb_note_del(&im, XEN_ELFNOTE_FEATURES);
	eb_note_str(&im, XEN_ELFNOTE_FEATURES, "frobnicate||!pae_pgdir_above_4gb|");
	{
		struct pvmx_layout L;

		CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);	/* optional unknown ok */
		CHECK_EQ(L.image.features_required, 1u << XENFEAT_pae_pgdir_above_4gb);
	}
	eb_xtf(&im);
	eb_note_u32(&im, XEN_ELFNOTE_PADDR_OFFSET, 0);
	REFUSE(&im, 32 * MiB, -ENOEXEC, "PADDR_OFFSET set but VIRT_BASE unset");
	eb_xtf(&im);
	eb_note_raw(&im, "Xen", XEN_ELFNOTE_VIRT_BASE, "\0\0\0", 3);
	REFUSE(&im, 32 * MiB, -ENOEXEC, "VIRT_BASE has 3 bytes (numeric notes are 1, 2, 4 or 8)");
	/* elf_note_numeric() reads 1- and 2-byte notes too. */
	eb_xtf(&im);
	eb_note_raw(&im, "Xen", XEN_ELFNOTE_VIRT_BASE, "\0\0", 2);
	eb_note_raw(&im, "Xen", XEN_ELFNOTE_PADDR_OFFSET, "\0", 1);
	{
		struct pvmx_layout L;

		CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);
		CHECK_EQ(L.image.note_virt_base, 0);
		CHECK_EQ(L.image.note_paddr_offset, 0);
	}
	eb_init(&im);
	im.entry = 0x100000;
	eb_seg(&im, 0x100000, 0x100000, 0x1000, 0x1000);
	REFUSE(&im, 32 * MiB, -ENOEXEC, "not a Xen PV image");
	eb_xtf(&im);
	im.no_sections = true;	/* notes still in PT_NOTE */
	{
		struct pvmx_layout L;

		CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);
	}
	/* Unprintable note strings are sanitised in messages. */
	eb_xtf(&im);
	eb_note_del(&im, XEN_ELFNOTE_XEN_VERSION);
	eb_note_str(&im, XEN_ELFNOTE_XEN_VERSION, "bad\nversion\x7f");
	REFUSE(&im, 32 * MiB, -ENOEXEC, "\"bad?version?\"");
}

/* Corrupt a built image in place and expect a refusal containing sub. */
static void refuse_bytes(uint8_t *elf, size_t len, const char *sub, int line)
{
	struct pvmx_image_info info;
	int rc;

	err[0] = '\0';
	rc = pvmx_parse_image(elf, len, &info, err);
	if (rc != -ENOEXEC || !strstr(err, sub)) {
		t_failures++;
		fprintf(stderr, "  FAIL line %d: want \"%s\", got %d \"%s\"\n", line, sub, rc, err);
	}
}
#define REFUSE_BYTES(e, l, s) refuse_bytes(e, l, s, __LINE__)

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void test_bad_bytes(void)
{
	struct eb_image im;
	struct pvmx_image_info info;
	uint8_t *elf, *copy;
	size_t len, n, ph_note;

	eb_xtf(&im);
	elf = eb_build(&im, &len);
	copy = malloc(len);
	CHECK_EQ(pvmx_parse_image(elf, len, &info, err), 0);

	/* Truncated at every length: refused, never read past the end. */
	for (n = 0; n < len; n++) {
		uint8_t *t = malloc(n ? n : 1);
		int rc;

		memcpy(t, elf, n);
		rc = pvmx_parse_image(t, n, &info, err);
		if (rc != -ENOEXEC) {
			t_failures++;
			fprintf(stderr, "  FAIL: truncated at %zu accepted\n", n);
			free(t);
			break;
		}
		free(t);
	}
	REFUSE_BYTES(elf, 0, "bad magic");
	REFUSE_BYTES(elf, 20, "truncated ELF header");
	CHECK_EQ(pvmx_parse_image(NULL, 0, &info, err), -ENOEXEC);

#define RESET() memcpy(copy, elf, len)
	RESET();
	copy[1] = 'e';
	REFUSE_BYTES(copy, len, "not an ELF file (bad magic)");
	/* Program headers. */
	RESET();
	wr32(copy + offsetof(Elf32_Ehdr, e_phoff), (uint32_t)len - 10);
	REFUSE_BYTES(copy, len, "program headers extend past the end");
	RESET();
	wr32(copy + offsetof(Elf32_Ehdr, e_phoff), 0xFFFFFFF0);
	REFUSE_BYTES(copy, len, "program headers extend past the end");
	RESET();
	copy[offsetof(Elf32_Ehdr, e_phentsize)] = 16;
	REFUSE_BYTES(copy, len, "bad e_phentsize");
	RESET();
	copy[offsetof(Elf32_Ehdr, e_phnum)] = 0;
	REFUSE_BYTES(copy, len, "no program headers");
	RESET();
	copy[offsetof(Elf32_Ehdr, e_phnum)] = 0xFF;
	copy[offsetof(Elf32_Ehdr, e_phnum) + 1] = 0xFF;
	REFUSE_BYTES(copy, len, "program headers extend past the end");
	/* Section headers. */
	RESET();
	wr32(copy + offsetof(Elf32_Ehdr, e_shoff), 0xFFFFFF00);
	REFUSE_BYTES(copy, len, "section headers extend past the end");
	RESET();
	copy[offsetof(Elf32_Ehdr, e_shentsize)] = 8;
	REFUSE_BYTES(copy, len, "bad e_shentsize");
	RESET();
	copy[offsetof(Elf32_Ehdr, e_shstrndx)] = 50;
	REFUSE_BYTES(copy, len, "bad e_shstrndx");
	RESET();	/* section 1 (.note.Xen) sh_offset way out */
	wr32(copy + eb_last.shoff + sizeof(Elf32_Shdr) + offsetof(Elf32_Shdr, sh_offset), 0x7FFFFFFF);
	REFUSE_BYTES(copy, len, "section 1 extends past the end");
	/* PT_LOAD. */
	RESET();
	wr32(copy + eb_last.phoff + offsetof(Elf32_Phdr, p_offset), (uint32_t)len - 0x100);
	REFUSE_BYTES(copy, len, "segment 0 extends past the end");
	RESET();
	wr32(copy + eb_last.phoff + offsetof(Elf32_Phdr, p_filesz), 0xFFFFFFFF);
	REFUSE_BYTES(copy, len, "p_filesz");
	/* PT_NOTE (program header 1). */
	ph_note = eb_last.phoff + sizeof(Elf32_Phdr);
	RESET();
	wr32(copy + ph_note + offsetof(Elf32_Phdr, p_filesz), (uint32_t)len);
	REFUSE_BYTES(copy, len, "extends past the end of the file");
	RESET();
	wr32(copy + ph_note + offsetof(Elf32_Phdr, p_filesz), (uint32_t)eb_last.notes_len + 8);
	REFUSE_BYTES(copy, len, "truncated note header");
	RESET();	/* first note's descsz larger than the segment */
	wr32(copy + eb_last.notes_off + 4, 0x1000);
	REFUSE_BYTES(copy, len, "note extends past its segment");
	RESET();
	wr32(copy + eb_last.notes_off + 4, 0xFFFFFFFF);
	REFUSE_BYTES(copy, len, "note extends past its segment");
	RESET();
	wr32(copy + eb_last.notes_off, 0xFFFFFFFD);	/* namesz */
	REFUSE_BYTES(copy, len, "note extends past its segment");
	RESET();	/* PT_NOTE cut in the middle of a note */
	wr32(copy + ph_note + offsetof(Elf32_Phdr, p_filesz), 36);
	REFUSE_BYTES(copy, len, "note extends past its segment");
	RESET();	/* ... or in the middle of a note header */
	wr32(copy + ph_note + offsetof(Elf32_Phdr, p_filesz), 30);
	REFUSE_BYTES(copy, len, "truncated note header");
	/* Notes in the section only: out-of-bounds note in the section. */
	free(elf);
	eb_xtf(&im);
	im.where = EB_NOTES_SHDR;
	elf = eb_build(&im, &len);
	wr32(elf + eb_last.notes_off + 4, 0x100000);
	REFUSE_BYTES(elf, len, "note extends past its section");
#undef RESET
	free(copy);
	free(elf);
}

/* ---------------------------------------------------------------------- */
/* BSD_SYMTAB                                                             */
/* ---------------------------------------------------------------------- */

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* Byte at pseudo-physical addr of ram under p2m (NULL: identity). */
static uint8_t byte_at(const uint8_t *ram, const uint32_t *p2m, uint64_t addr)
{
	uint64_t m = p2m ? p2m[addr >> 12] : addr >> 12;

	return ram[(m << 12) + (addr & 4095)];
}

static void copy_out(uint8_t *dst, const uint8_t *ram, const uint32_t *p2m, uint64_t addr,
		     uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		dst[i] = byte_at(ram, p2m, addr + i);
}

/* The XTF image with an odd end (p_memsz 0x10001), BSD_SYMTAB and a symtab. */
static void xtf_symtab(struct eb_image *im, uint32_t symsz, uint32_t strsz)
{
	eb_xtf(im);
	im->segs[0].memsz = 0x10001;
	eb_note_str(im, XEN_ELFNOTE_BSD_SYMTAB, "yes");
	im->symtab_size = symsz;
	im->strtab_size = strsz;
}

/*
 * What elf_load_bsdsyms() writes, checked as a guest reads it (XTF's
 * xsa-194, NetBSD's ksyms): the size word at the image's end rounded to 4,
 * then an ELF header whose section headers locate the tables.
 */
static void check_bsdsyms(const uint8_t *ram, const uint32_t *p2m, const struct eb_image *im,
			  const uint8_t *file, const struct pvmx_layout *L, uint64_t pstart)
{
	const struct pvmx_image_info *in = &L->image;
	uint64_t base = pstart - in->paddr_offset, i, end;
	uint8_t hdr[260], *eh = hdr + 4;
	const uint8_t *sh0 = hdr + 68, *sh1 = sh0 + 40, *sh2 = sh1 + 40;
	const uint8_t *fsym = file + eb_last.shoff + eb_last.symtab_shndx * 40;
	const uint8_t *fstr = file + eb_last.shoff + eb_last.strtab_shndx * 40;
	uint32_t symoff, stroff, size;
	int bad = 0;

	copy_out(hdr, ram, p2m, base, sizeof(hdr));
	/* The ELF header: the image's, fixed up. */
	CHECK(!memcmp(eh, ELFMAG, SELFMAG));
	CHECK_EQ(eh[EI_CLASS], ELFCLASS32);
	CHECK(!memcmp(eh, file, EI_NIDENT));
	CHECK_EQ(rd16(eh + offsetof(Elf32_Ehdr, e_type)), ET_EXEC);
	CHECK_EQ(rd16(eh + offsetof(Elf32_Ehdr, e_machine)), EM_386);
	CHECK_EQ(rd32(eh + offsetof(Elf32_Ehdr, e_version)), EV_CURRENT);
	CHECK_EQ(rd32(eh + offsetof(Elf32_Ehdr, e_entry)), im->entry);
	CHECK_EQ(rd32(eh + offsetof(Elf32_Ehdr, e_phoff)), 0);
	CHECK_EQ(rd32(eh + offsetof(Elf32_Ehdr, e_shoff)), 64);
	CHECK_EQ(rd16(eh + offsetof(Elf32_Ehdr, e_ehsize)), 52);
	CHECK_EQ(rd16(eh + offsetof(Elf32_Ehdr, e_phentsize)), 0);
	CHECK_EQ(rd16(eh + offsetof(Elf32_Ehdr, e_phnum)), 0);
	CHECK_EQ(rd16(eh + offsetof(Elf32_Ehdr, e_shentsize)), 40);
	CHECK_EQ(rd16(eh + offsetof(Elf32_Ehdr, e_shnum)), 3);
	CHECK_EQ(rd16(eh + offsetof(Elf32_Ehdr, e_shstrndx)), 0);
	/* XSA-194: nothing between the header's end and e_shoff. */
	for (i = 52; i < 64; i++)
		CHECK_EQ(eh[i], 0);
	/* Section headers: null, the symtab's (sh_link 2), the strtab's. */
	for (i = 0; i < 40; i++)
		CHECK_EQ(sh0[i], 0);
	for (i = 0; i < 40; i++) {
		size_t f = i & ~3ULL;

		if (f == offsetof(Elf32_Shdr, sh_offset) || f == offsetof(Elf32_Shdr, sh_link))
			continue;
		if (sh1[i] != fsym[i] || sh2[i] != fstr[i])
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(rd32(sh1 + offsetof(Elf32_Shdr, sh_type)), SHT_SYMTAB);
	CHECK_EQ(rd32(sh1 + offsetof(Elf32_Shdr, sh_link)), 2);
	CHECK_EQ(rd32(sh2 + offsetof(Elf32_Shdr, sh_type)), SHT_STRTAB);
	CHECK_EQ(rd32(sh2 + offsetof(Elf32_Shdr, sh_link)), rd32(fstr + 24));
	/* Zeroes from the headers to the symtab (Xen's sizeof(elf_sym_header)). */
	for (i = 188; i < 260; i++)
		CHECK_EQ(hdr[i], 0);
	/* The tables, where the headers say, counted from the ELF header. */
	symoff = rd32(sh1 + offsetof(Elf32_Shdr, sh_offset));
	stroff = rd32(sh2 + offsetof(Elf32_Shdr, sh_offset));
	CHECK_EQ(symoff, 256);
	CHECK_EQ(stroff, (256 + im->symtab_size + 3) & ~3u);	/* base is 4-aligned */
	CHECK_EQ(rd32(sh1 + offsetof(Elf32_Shdr, sh_size)), im->symtab_size);
	CHECK_EQ(rd32(sh2 + offsetof(Elf32_Shdr, sh_size)), im->strtab_size);
	bad = 0;
	for (i = 0; i < im->symtab_size; i++)
		if (byte_at(ram, p2m, base + 4 + symoff + i) != file[eb_last.symtab_off + i])
			bad++;
	for (i = 0; i < im->strtab_size; i++)
		if (byte_at(ram, p2m, base + 4 + stroff + i) != file[eb_last.strtab_off + i])
			bad++;
	CHECK_EQ(bad, 0);
	/* The size word covers the header to the strtab's end. */
	size = rd32(hdr);
	CHECK_EQ(size, stroff + im->strtab_size);
	end = base + 4 + size;
	CHECK_EQ(end, in->bsd_symtab_end - in->paddr_offset);
	/* Zero from the image's end to the block, and after it to the page's end. */
	bad = 0;
	for (i = in->pend - in->paddr_offset; i < base; i++)
		bad += byte_at(ram, p2m, i) != 0;
	for (i = end; i < ((end + 4095) & ~4095ULL); i++)
		bad += byte_at(ram, p2m, i) != 0;
	CHECK_EQ(bad, 0);
	/* The kernel's pages hold it all; the P2M comes after. */
	CHECK(L->kernel.pfn + L->kernel.nr >= (end + 4095) >> 12);
	CHECK_EQ(L->p2m.pfn, L->kernel.pfn + L->kernel.nr);
}

static void test_bsd_symtab(void)
{
	struct eb_image im;
	struct pvmx_layout L;
	const struct pvmx_image_info *in = &L.image;
	uint8_t *ram, *file;
	size_t len;

	/* An odd-sized symtab, so the strtab's offset is rounded up. */
	xtf_symtab(&im, 0x323, 0x65);
	file = eb_build(&im, &len);
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, &ram), 0);
	CHECK(in->bsd_symtab);
	CHECK(in->bsd_symtab_loaded);
	CHECK_EQ(in->bsd_symtab_shndx, eb_last.symtab_shndx);
	CHECK_EQ(in->bsd_strtab_shndx, eb_last.strtab_shndx);
	CHECK_EQ(in->bsd_symtab_size, 0x323);
	CHECK_EQ(in->bsd_strtab_size, 0x65);
	CHECK_EQ(in->pend, 0x110001);
	CHECK_EQ(in->bsd_symtab_pstart, 0x110004);	/* rounded to 4 */
	/* elf_parse_bsdsyms(): 192 + 0x323 -> 0x3e4, + 0x65 -> 0x44c. */
	CHECK_EQ(in->bsd_symtab_pend, 0x110004 + 0x44c);
	CHECK_EQ(in->virt_kend, 0x110004 + 0x44c);	/* Xen's virt_kend */
	/* Written: 260 + 0x323 -> 0x428, + 0x65. */
	CHECK_EQ(in->bsd_symtab_end, 0x110004 + 0x428 + 0x65);
	CHECK_EQ(L.kernel.pfn, 0x100);
	CHECK_EQ(L.kernel.nr, 0x11);
	CHECK_EQ(L.p2m.pfn, 0x111);
	check_bsdsyms(ram, NULL, &im, file, &L, 0x110004);
	check_tables(ram, 32 * MiB, &L, NULL);
	check_segments(ram, &im, &L, NULL);
	/* pvmx_parse_image() says the same. */
	{
		struct pvmx_image_info info;

		CHECK_EQ(pvmx_parse_image(file, len, &info, err), 0);
		CHECK_EQ(info.bsd_symtab_pend, in->bsd_symtab_pend);
		CHECK_EQ(info.bsd_symtab_end, in->bsd_symtab_end);
		CHECK_EQ(info.virt_kend, in->virt_kend);
	}
	free(ram);
	free(file);

	/* Shuffled P2M: the block lands through it. */
	{
		uint64_t n = 32 * MiB / 4096;
		uint32_t *p2m = malloc(n * 4);
		struct pvmx_load_opts o = { .p2m = p2m };

		pvmx_shuffle_p2m(p2m, n, 7);
		xtf_symtab(&im, 0x1000, 0x801);
		file = eb_build(&im, &len);
		CHECK_EQ(build(&im, 32 * MiB, &o, &L, &ram), 0);
		check_bsdsyms(ram, p2m, &im, file, &L, 0x110004);
		check_tables(ram, 32 * MiB, &L, p2m);
		free(ram);
		free(file);
		free(p2m);
	}

	/* Where Xen's reservation ends just before a page, the kernel grows. */
	{
		/* pend_xen = 0x110004 + r4(192 + S) + r4(T): pick S so it is 0x111000 - 8. */
		uint32_t S = 0x1000 - 4 - 8 - 192 - 0x40;

		xtf_symtab(&im, S, 0x40);
		file = eb_build(&im, &len);
		CHECK_EQ(build(&im, 32 * MiB, NULL, &L, &ram), 0);
		CHECK_EQ(in->bsd_symtab_pend, 0x111000 - 8);
		CHECK(in->bsd_symtab_end > 0x111000);
		CHECK_EQ(L.kernel.nr, 0x12);
		check_bsdsyms(ram, NULL, &im, file, &L, 0x110004);
		check_tables(ram, 32 * MiB, &L, NULL);
		free(ram);
		free(file);
	}

	/* A page-aligned end: the block starts right there. */
	xtf_symtab(&im, 0x200, 0x100);
	im.segs[0].memsz = 0x10000;
	file = eb_build(&im, &len);
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, &ram), 0);
	CHECK_EQ(in->bsd_symtab_pstart, 0x110000);
	check_bsdsyms(ram, NULL, &im, file, &L, 0x110000);
	free(ram);
	free(file);

	/* A Linux-like high VIRT_BASE: placed by p_paddr, seen at VA. */
	eb_linux(&im);
	eb_note_str(&im, XEN_ELFNOTE_BSD_SYMTAB, "yes");
	im.symtab_size = 0x810;
	im.strtab_size = 0x333;
	file = eb_build(&im, &len);
	CHECK_EQ(build(&im, 64 * MiB, NULL, &L, &ram), 0);
	CHECK_EQ(in->bsd_symtab_pstart, 0x480000);
	CHECK_EQ(in->virt_kend, 0xC0480000 + in->bsd_symtab_pend - 0x480000);
	check_bsdsyms(ram, NULL, &im, file, &L, 0x480000);
	check_tables(ram, 64 * MiB, &L, NULL);
	free(ram);
	free(file);

	/* The legacy __xen_guest key requests it too. */
	eb_init(&im);
	im.entry = 0xC0100000;
	eb_seg(&im, 0xC0100000, 0xC0100000, 0x4000, 0x8000);
	im.xen_guest = "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,"
		       "HYPERCALL_PAGE=0x101,LOADER=generic,PAE=yes,BSD_SYMTAB";
	im.symtab_size = 0x40;
	im.strtab_size = 0x10;
	file = eb_build(&im, &len);
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, &ram), 0);
	CHECK(in->bsd_symtab_loaded);
	check_bsdsyms(ram, NULL, &im, file, &L, 0xC0108000);
	free(ram);
	free(file);

	/* Requested, but the image is stripped: loaded without symbols, as Xen. */
	xtf_symtab(&im, 0, 0);
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, &ram), 0);
	CHECK(in->bsd_symtab);
	CHECK(!in->bsd_symtab_loaded);
	CHECK_EQ(in->bsd_symtab_pstart, 0);
	CHECK_EQ(in->virt_kend, 0x110001);
	CHECK_EQ(L.kernel.nr, 0x11);
	for (unsigned i = 0x110001; i < 0x111000; i++)
		CHECK_EQ(ram[i], 0);
	free(ram);

	/* A symtab without the request, or with "no": nothing loaded. */
	xtf_symtab(&im, 0x100, 0x100);
	eb_note_del(&im, XEN_ELFNOTE_BSD_SYMTAB);
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, &ram), 0);
	CHECK(!in->bsd_symtab);
	CHECK(!in->bsd_symtab_loaded);
	CHECK_EQ(in->virt_kend, 0x110001);
	for (unsigned i = 0x110001; i < 0x111000; i++)
		CHECK_EQ(ram[i], 0);
	free(ram);
	eb_note_str(&im, XEN_ELFNOTE_BSD_SYMTAB, "no");
	CHECK_EQ(build(&im, 32 * MiB, NULL, &L, NULL), 0);
	CHECK(!in->bsd_symtab);
}

/* Build im, let mutate() patch the file, expect a refusal containing sub. */
static void refuse_patched(const struct eb_image *im, void (*mutate)(uint8_t *, size_t),
			   int want_rc, const char *sub, int line)
{
	struct pvmx_image_info info;
	struct pvmx_layout L;
	size_t len;
	uint8_t *file = eb_build(im, &len), *ram = calloc(1, 32 * MiB);
	int rc;

	mutate(file, len);
	err[0] = '\0';
	rc = pvmx_parse_image(file, len, &info, err);
	if (rc != want_rc || !strstr(err, sub) || strchr(err, '\n')) {
		t_failures++;
		fprintf(stderr, "  FAIL line %d: parse: want %d \"%s\", got %d \"%s\"\n", line,
			want_rc, sub, rc, err);
	}
	err[0] = '\0';
	rc = pvmx_build_image(file, len, ram, 32 * MiB, NULL, &L, err);
	if (rc != want_rc || !strstr(err, sub)) {
		t_failures++;
		fprintf(stderr, "  FAIL line %d: build: want %d \"%s\", got %d \"%s\"\n", line,
			want_rc, sub, rc, err);
	}
	free(file);
	free(ram);
}
#define REFUSE_PATCHED(im, fn, rc, sub) refuse_patched(im, fn, rc, sub, __LINE__)

static uint8_t *symsh(uint8_t *f)
{
	return f + eb_last.shoff + eb_last.symtab_shndx * sizeof(Elf32_Shdr);
}

static void mut_link0(uint8_t *f, size_t n)
{
	(void)n;
	wr32(symsh(f) + offsetof(Elf32_Shdr, sh_link), 0);
}

static void mut_link_past(uint8_t *f, size_t n)
{
	(void)n;
	wr32(symsh(f) + offsetof(Elf32_Shdr, sh_link), eb_last.shnum);
}

static void mut_link_huge(uint8_t *f, size_t n)
{
	(void)n;
	wr32(symsh(f) + offsetof(Elf32_Shdr, sh_link), 0xFFFFFFFF);
}

static void mut_link_note(uint8_t *f, size_t n)
{
	(void)n;
	wr32(symsh(f) + offsetof(Elf32_Shdr, sh_link), 1);	/* .note.Xen */
}

static void mut_link_self(uint8_t *f, size_t n)
{
	(void)n;
	wr32(symsh(f) + offsetof(Elf32_Shdr, sh_link), eb_last.symtab_shndx);
}

static void mut_sym_offset_past(uint8_t *f, size_t n)
{
	wr32(symsh(f) + offsetof(Elf32_Shdr, sh_offset), (uint32_t)n - 8);
}

static void mut_sym_size_huge(uint8_t *f, size_t n)
{
	(void)n;
	wr32(symsh(f) + offsetof(Elf32_Shdr, sh_size), 0xFFFFFFF0);
}

static void mut_str_size_huge(uint8_t *f, size_t n)
{
	(void)n;
	wr32(f + eb_last.shoff + eb_last.strtab_shndx * sizeof(Elf32_Shdr) +
	     offsetof(Elf32_Shdr, sh_size), 0x7FFFFFFF);
}

static void mut_shnum_huge(uint8_t *f, size_t n)
{
	uint16_t v = 0xFFFF;

	(void)n;
	memcpy(f + offsetof(Elf32_Ehdr, e_shnum), &v, 2);
}

static void test_bsd_symtab_malformed(void)
{
	struct eb_image im;
	struct pvmx_layout L;
	uint8_t *file, *ram;
	size_t len;

	xtf_symtab(&im, 0x180, 0x90);
	REFUSE_PATCHED(&im, mut_link0, -ENOEXEC,
		       "BSD_SYMTAB: the symbol table (section 2) links to section 0, out of range (5 sections)");
	REFUSE_PATCHED(&im, mut_link_past, -ENOEXEC, "links to section 5, out of range (5 sections)");
	REFUSE_PATCHED(&im, mut_link_huge, -ENOEXEC, "links to section 4294967295, out of range");
	REFUSE_PATCHED(&im, mut_link_note, -ENOEXEC,
		       "links to section 1, which is not a string table (sh_type 7)");
	REFUSE_PATCHED(&im, mut_link_self, -ENOEXEC,
		       "links to section 2, which is not a string table (sh_type 2)");
	REFUSE_PATCHED(&im, mut_sym_offset_past, -ENOEXEC,
		       "section 2 extends past the end of the file");
	REFUSE_PATCHED(&im, mut_sym_size_huge, -ENOEXEC,
		       "section 2 extends past the end of the file");
	REFUSE_PATCHED(&im, mut_str_size_huge, -ENOEXEC,
		       "section 3 extends past the end of the file");
	REFUSE_PATCHED(&im, mut_shnum_huge, -ENOEXEC,
		       "section headers extend past the end of the file");

	/* Without the request, the symtab is never looked at. */
	eb_note_del(&im, XEN_ELFNOTE_BSD_SYMTAB);
	file = eb_build(&im, &len);
	mut_link_huge(file, len);
	ram = calloc(1, 32 * MiB);
	CHECK_EQ(pvmx_build_image(file, len, ram, 32 * MiB, NULL, &L, err), 0);
	free(file);

	/* Overlapping tables in the file are copied each where it belongs. */
	xtf_symtab(&im, 0x180, 0x90);
	file = eb_build(&im, &len);
	wr32(file + eb_last.shoff + eb_last.strtab_shndx * sizeof(Elf32_Shdr) +
	     offsetof(Elf32_Shdr, sh_offset), (uint32_t)eb_last.symtab_off + 0x10);
	memset(ram, 0, 32 * MiB);
	CHECK_EQ(pvmx_build_image(file, len, ram, 32 * MiB, NULL, &L, err), 0);
	CHECK(!memcmp(ram + 0x110004 + 4 + 256, file + eb_last.symtab_off, 0x180));
	CHECK(!memcmp(ram + 0x110004 + 4 + 256 + 0x180, file + eb_last.symtab_off + 0x10, 0x90));
	free(file);
	free(ram);

	/* Symbols that do not fit in RAM, or reach the hypervisor hole. */
	xtf_symtab(&im, 3 * MiB, 0x10);
	REFUSE(&im, 4 * MiB, -ENOMEM, "guest memory too small: the start-of-day image needs");
	{
		struct pvmx_image_info info;

		eb_init(&im);
		im.entry = 0xF57E0000;
		eb_seg(&im, 0x357E0000, 0xF57E0000, 0x1000, 0x1F000);
		eb_note_str(&im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
		eb_note_str(&im, XEN_ELFNOTE_LOADER, "generic");
		eb_note_str(&im, XEN_ELFNOTE_PAE_MODE, "yes");
		eb_note_u32(&im, XEN_ELFNOTE_VIRT_BASE, 0xC0000000);
		im.symtab_size = 0x1000;
		im.strtab_size = 0x10;
		file = eb_build(&im, &len);
		CHECK_EQ(pvmx_parse_image(file, len, &info, err), 0);	/* no request */
		free(file);
		eb_note_str(&im, XEN_ELFNOTE_BSD_SYMTAB, "yes");
		file = eb_build(&im, &len);
		CHECK_EQ(pvmx_parse_image(file, len, &info, err), -ENOEXEC);
		CHECK_HAS(err, "image with its BSD symbols [0xf57e0000, 0xf5800114)");
		CHECK_HAS(err, ") reaches the hypervisor hole at 0xf5800000");
		free(file);
	}
}

/* ---------------------------------------------------------------------- */
/* Ramdisk                                                                */
/* ---------------------------------------------------------------------- */

static uint8_t rd_byte(uint64_t i)
{
	return (uint8_t)(0x91 ^ (i * 29) ^ (i >> 9));
}

static uint8_t *make_ramdisk(uint64_t n)
{
	uint8_t *r = malloc(n ? n : 1);

	for (uint64_t i = 0; i < n; i++)
		r[i] = rd_byte(i);
	return r;
}

/* The ramdisk's bytes at its pfn, zeroes to the end of its last page. */
static void check_ramdisk(const uint8_t *ram, const uint32_t *p2m, const struct pvmx_layout *L,
			  uint64_t n)
{
	uint64_t base = L->ramdisk.pfn << 12, i;
	int bad = 0;

	CHECK_EQ(L->ramdisk.nr, (n + 4095) >> 12);
	for (i = 0; i < L->ramdisk.nr << 12; i++)
		bad += byte_at(ram, p2m, base + i) != (i < n ? rd_byte(i) : 0);
	CHECK_EQ(bad, 0);
}

static void test_ramdisk(void)
{
	const uint64_t n = 0x3456;
	uint8_t *rd = make_ramdisk(n), *ram;
	struct pvmx_load_opts o = { .ramdisk = rd, .ramdisk_len = n };
	struct eb_image im;
	struct pvmx_layout L;
	struct xen_start_info si;

	/* XTF (no MOD_START_PFN): right after the kernel, mapped, mod_start a VA. */
	eb_xtf(&im);
	CHECK_EQ(build(&im, 128 * MiB, &o, &L, &ram), 0);
	CHECK(!L.image.unmapped_initrd);
	CHECK(!L.ramdisk_unmapped);
	CHECK_EQ(L.kernel.pfn + L.kernel.nr, 0x110);
	CHECK_EQ(L.ramdisk.pfn, 0x110);
	CHECK_EQ(L.ramdisk.nr, 4);
	CHECK_EQ(L.ramdisk.va, 0x110000);
	CHECK_EQ(L.mod_start, 0x110000);
	CHECK_EQ(L.mod_len, n);				/* the file's size */
	CHECK_EQ(L.si_flags, 0);
	CHECK_EQ(L.p2m.pfn, 0x114);			/* then the P2M, ... */
	CHECK_EQ(L.start_info.pfn, 0x134);
	memcpy(&si, ram + 0x134000, sizeof(si));
	CHECK_EQ(si.mod_start, 0x110000);
	CHECK_EQ(si.mod_len, n);
	CHECK_EQ(si.flags, 0);
	check_ramdisk(ram, NULL, &L, n);
	check_tables(ram, 128 * MiB, &L, NULL);		/* mapped, read-write */
	check_segments(ram, &im, &L, NULL);
	free(ram);

	/* With BSD symbols: the ramdisk follows the symbols' pages. */
	xtf_symtab(&im, 0x1800, 0x900);
	CHECK_EQ(build(&im, 32 * MiB, &o, &L, &ram), 0);
	CHECK_EQ(L.kernel.nr, 0x13);
	CHECK_EQ(L.ramdisk.pfn, 0x113);
	CHECK_EQ(L.mod_start, 0x113000);
	check_ramdisk(ram, NULL, &L, n);
	check_tables(ram, 32 * MiB, &L, NULL);
	free(ram);

	/* A Linux-like VIRT_BASE: mod_start is the VA. */
	eb_linux(&im);
	CHECK_EQ(build(&im, 64 * MiB, &o, &L, &ram), 0);
	CHECK_EQ(L.ramdisk.pfn, 0x480);
	CHECK_EQ(L.mod_start, 0xC0480000);
	check_ramdisk(ram, NULL, &L, n);
	check_tables(ram, 64 * MiB, &L, NULL);
	free(ram);

	/*
	 * MOD_START_PFN (Linux has it): after the start-of-day mapping,
	 * unmapped, mod_start its pfn, mod_len whole pages, SIF_MOD_START_PFN.
	 */
	eb_linux(&im);
	eb_note_u32(&im, XEN_ELFNOTE_MOD_START_PFN, 1);
	CHECK_EQ(build(&im, 64 * MiB, &o, &L, &ram), 0);
	CHECK(L.image.unmapped_initrd);
	CHECK(L.ramdisk_unmapped);
	CHECK_EQ(L.p2m.pfn, 0x480);			/* nothing between kernel and P2M */
	CHECK_EQ(L.ramdisk.pfn, L.mapped_pages);
	CHECK_EQ(L.mapped_pages, 0x800);		/* 8 MiB: 0xC0000000-0xC0800000 */
	CHECK_EQ(L.mod_start, 0x800);
	CHECK_EQ(L.mod_len, 0x4000);
	CHECK_EQ(L.si_flags, SIF_MOD_START_PFN);
	memcpy(&si, ram + (L.start_info.pfn << 12), sizeof(si));
	CHECK_EQ(si.mod_start, 0x800);
	CHECK_EQ(si.mod_len, 0x4000);
	CHECK_EQ(si.flags, SIF_MOD_START_PFN);
	check_ramdisk(ram, NULL, &L, n);
	check_tables(ram, 64 * MiB, &L, NULL);		/* and not mapped */
	free(ram);
	/* ... through a shuffled P2M. */
	{
		uint64_t np = 64 * MiB / 4096;
		uint32_t *p2m = malloc(np * 4);
		struct pvmx_load_opts os = o;

		pvmx_shuffle_p2m(p2m, np, 99);
		os.p2m = p2m;
		CHECK_EQ(build(&im, 64 * MiB, &os, &L, &ram), 0);
		check_ramdisk(ram, p2m, &L, n);
		check_tables(ram, 64 * MiB, &L, p2m);
		free(ram);
		free(p2m);
	}
	/* A 1-byte note value works too; 0 means mapped. */
	eb_note_del(&im, XEN_ELFNOTE_MOD_START_PFN);
	eb_note_raw(&im, "Xen", XEN_ELFNOTE_MOD_START_PFN, "\1", 1);
	CHECK_EQ(build(&im, 64 * MiB, &o, &L, NULL), 0);
	CHECK(L.ramdisk_unmapped);
	eb_note_del(&im, XEN_ELFNOTE_MOD_START_PFN);
	eb_note_u32(&im, XEN_ELFNOTE_MOD_START_PFN, 0);
	CHECK_EQ(build(&im, 64 * MiB, &o, &L, NULL), 0);
	CHECK(!L.ramdisk_unmapped);
	CHECK_EQ(L.mod_start, 0xC0480000);
	/* Without a ramdisk the note changes nothing. */
	eb_note_del(&im, XEN_ELFNOTE_MOD_START_PFN);
	eb_note_u32(&im, XEN_ELFNOTE_MOD_START_PFN, 1);
	CHECK_EQ(build(&im, 64 * MiB, NULL, &L, &ram), 0);
	CHECK_EQ(L.ramdisk.nr, 0);
	CHECK_EQ(L.mod_start | L.mod_len | L.si_flags, 0);
	check_tables(ram, 64 * MiB, &L, NULL);
	free(ram);
	free(rd);
}

static void test_ramdisk_bounds(void)
{
	uint8_t *rd = make_ramdisk(8 * MiB + 1);
	struct pvmx_load_opts o = { .ramdisk = rd };
	struct eb_image im;
	struct pvmx_layout L;

	eb_xtf(&im);
	o.ramdisk_len = 0;
	CHECK_EQ(build(&im, 32 * MiB, &o, &L, NULL), -EINVAL);
	CHECK_HAS(err, "the ramdisk is empty (zero length)");
	/* Larger than RAM. */
	o.ramdisk_len = 8 * MiB + 1;
	CHECK_EQ(build(&im, 8 * MiB, &o, &L, NULL), -ENOMEM);
	CHECK_HAS(err, "guest memory too small: the ramdisk alone is 8193 KiB, have 8192 KiB");
	/* Fits alone, not with the image: mapped. */
	o.ramdisk_len = 7 * MiB;
	CHECK_EQ(build(&im, 8 * MiB, &o, &L, NULL), -ENOMEM);
	CHECK_HAS(err, "guest memory too small: the start-of-day image (with the ramdisk) needs 12288 KiB (12 MiB), have 8192 KiB");
	/* Unmapped: after the 4 MiB mapping. */
	eb_note_u32(&im, XEN_ELFNOTE_MOD_START_PFN, 1);
	o.ramdisk_len = 4 * MiB + 1;
	CHECK_EQ(build(&im, 8 * MiB, &o, &L, NULL), -ENOMEM);
	CHECK_HAS(err, "guest memory too small: the start-of-day image and the ramdisk (placed after it: MOD_START_PFN) need 8196 KiB (9 MiB), have 8192 KiB");
	/* Exactly fits. */
	o.ramdisk_len = 4 * MiB;
	{
		uint8_t *ram;

		CHECK_EQ(build(&im, 8 * MiB, &o, &L, &ram), 0);
		CHECK_EQ(L.ramdisk.pfn, 1024);
		CHECK_EQ(L.ramdisk.pfn + L.ramdisk.nr, 2048);
		check_ramdisk(ram, NULL, &L, 4 * MiB);
		free(ram);
	}
	/* Mapped, exactly filling an 8 MiB mapping of 8 MiB of RAM. */
	eb_xtf(&im);
	{
		uint8_t *ram;
		uint64_t len;

		/* kernel 0x100000-0x110000, then the ramdisk, P2M 2 pages, 3 pages, tables, ... */
		for (len = 7 * MiB; len > 6 * MiB; len -= 4096) {
			o.ramdisk_len = len;
			if (build(&im, 8 * MiB, &o, &L, NULL) == 0)
				break;
			CHECK_EQ(build(&im, 8 * MiB, &o, &L, NULL), -ENOMEM);
		}
		CHECK_EQ(build(&im, 8 * MiB, &o, &L, &ram), 0);
		CHECK_EQ(L.mapped_pages, 2048);
		check_ramdisk(ram, NULL, &L, len);
		check_tables(ram, 8 * MiB, &L, NULL);
		free(ram);
	}
	free(rd);
}

/* Seeded mutations of valid images: accepted or refused, never a crash. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void test_fuzz(void)
{
	static const uint32_t interesting[] = {
		0, 1, 3, 4, 8, 12, 0x7F, 0x80, 0xFF, 0x1000, 0xFFF, 0x7FFFFFFF, 0x80000000,
		0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFF000, 0xC0000000, 0xF5800000, 0x100000,
	};
	const uint64_t mem = 16 * MiB;
	uint8_t *ram = malloc(mem);
	struct eb_image ims[5];
	uint8_t *bases[5];
	size_t lens[5];
	uint8_t *rd = make_ramdisk(0x1801);
	unsigned it, accepted = 0, refused = 0, k;
	int bad = 0;

	eb_xtf(&ims[0]);
	eb_linux(&ims[1]);
	eb_xtf(&ims[2]);
	ims[2].where = EB_NOTES_SHDR;
	eb_init(&ims[3]);
	ims[3].entry = 0xC0100000;
	eb_seg(&ims[3], 0xC0100000, 0xC0100000, 0x2000, 0x3000);
	ims[3].xen_guest = "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,"
			   "HYPERCALL_PAGE=0x101,LOADER=generic,PAE=yes";
	/* BSD symbols and MOD_START_PFN: the section table and the ramdisk paths. */
	xtf_symtab(&ims[4], 0x80, 0x40);
	eb_note_u32(&ims[4], XEN_ELFNOTE_MOD_START_PFN, 1);
	for (k = 0; k < 5; k++) {
		ims[k].segs[0].filesz = ims[k].segs[0].filesz > 0x2000 ? 0x2000 : ims[k].segs[0].filesz;
		bases[k] = eb_build(&ims[k], &lens[k]);
	}

	for (it = 0; it < 20000; it++) {
		unsigned which = rnd() % 5, nmut = 1 + rnd() % 6, m;
		size_t len = lens[which];
		uint8_t *img = malloc(len);
		struct pvmx_load_opts o = { 0 };
		struct pvmx_layout L;
		int rc;

		memcpy(img, bases[which], len);
		for (m = 0; m < nmut; m++) {
			unsigned kind = rnd() % 6;
			size_t off;

			if (!len)
				break;
			/* Bias towards the headers (first 256 bytes) and the tail (shdrs). */
			switch (rnd() % 3) {
			case 0: off = rnd() % (len < 256 ? len : 256); break;
			case 1: off = len - 1 - rnd() % (len < 256 ? len : 256); break;
			default: off = rnd() % len; break;
			}
			off &= kind >= 3 ? ~(size_t)3 : ~(size_t)0;
			if (kind == 0) {
				img[off] ^= (uint8_t)(1u << (rnd() % 8));
			} else if (kind == 1) {
				img[off] = (uint8_t)rnd();
			} else if (kind == 2) {
				len = rnd() % (len + 1);	/* truncate */
			} else if (off + 4 <= len) {
				uint32_t v = kind == 3 ? interesting[rnd() % (sizeof(interesting) / 4)] :
					     kind == 4 ? (uint32_t)len - (rnd() % 64) : rnd();
				memcpy(img + off, &v, 4);
			}
		}
		/* Give ASan exact bounds. */
		{
			uint8_t *t = malloc(len ? len : 1);

			memcpy(t, img, len);
			free(img);
			img = t;
		}
		err[0] = '\0';
		if (it & 1) {
			o.ramdisk = rd;
			o.ramdisk_len = 1 + rnd() % 0x1801;
		}
		rc = pvmx_build_image(img, len, ram, mem, &o, &L, err);
		if (rc == 0) {
			accepted++;
			if (L.mapped_pages > mem / 4096 || L.regs.eip < L.image.virt_kstart ||
			    L.regs.eip >= L.image.virt_kend ||
			    L.kernel.pfn + L.kernel.nr > mem / 4096 ||
			    L.ramdisk.pfn + L.ramdisk.nr > mem / 4096 ||
			    (L.image.bsd_symtab_loaded &&
			     L.image.bsd_symtab_end - L.image.paddr_offset >
			     (L.kernel.pfn + L.kernel.nr) << 12))
				bad++;
		} else if ((rc == -ENOEXEC || rc == -ENOMEM || rc == -EINVAL) && err[0] &&
			   !strchr(err, '\n')) {
			refused++;
		} else {
			if (bad++ < 5)
				fprintf(stderr, "  fuzz %u: rc %d err \"%s\"\n", it, rc, err);
		}
		free(img);
	}
	fprintf(stderr, "  fuzz: %u accepted, %u refused\n", accepted, refused);
	CHECK_EQ(bad, 0);
	CHECK(accepted > 100);
	CHECK(refused > 100);
	for (k = 0; k < 5; k++)
		free(bases[k]);
	free(rd);
	free(ram);
}

const struct test loader_tests[] = {
	{ "loader: XTF example layout (xg_dom_x86.c)", test_xtf_layout },
	{ "loader: small and odd memory sizes", test_xtf_small_memory },
	{ "loader: mapping grows by 4 MiB", test_mapping_grows },
	{ "loader: notes from SHT_NOTE sections, 8-byte notes", test_notes_from_sections },
	{ "loader: legacy __xen_guest", test_xen_guest },
	{ "loader: Linux-like VIRT_BASE 0xC0000000", test_linux_layout },
	{ "loader: shuffled P2M", test_shuffled_p2m },
	{ "loader: command line", test_cmdline },
	{ "loader: refusals", test_refusals },
	{ "loader: malformed bytes and truncation", test_bad_bytes },
	{ "loader: BSD_SYMTAB symbols as elf_load_bsdsyms()", test_bsd_symtab },
	{ "loader: BSD_SYMTAB malformed section tables", test_bsd_symtab_malformed },
	{ "loader: ramdisk placement (mapped, MOD_START_PFN)", test_ramdisk },
	{ "loader: ramdisk bounds", test_ramdisk_bounds },
	{ "loader: seeded mutation fuzzing", test_fuzz },
	{ NULL, NULL },
};
