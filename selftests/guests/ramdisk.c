// SPDX-License-Identifier: GPL-2.0
/*
 * ramdisk: the initial ramdisk (`pvmx run --ramdisk FILE`, xl's ramdisk=)
 * and the BSD_SYMTAB symbols, as the guest finds them.  The suite passes the
 * guest's own image as the ramdisk, with its size on the command line
 * ("len=N", from wc -c), so the guest can check every byte that matters: the
 * ELF header and the text segment against its own code, and the symbol
 * table against the one the loader copied.
 *
 * Built twice:
 *   ramdisk.elf      BSD_SYMTAB "yes": the block libelf's elf_load_bsdsyms()
 *                    writes after the image (size word, ELF header with 3
 *                    section headers, symtab, strtab), its own symbol
 *                    "test_main" found in it; the ramdisk right after it,
 *                    mapped, mod_start its VA, mod_len the file's size, the
 *                    P2M next (xc_dom_build_image's order).
 *   ramdisk_pfn.elf  MOD_START_PFN 1 (-DRAMDISK_PFN): the ramdisk after the
 *                    start-of-day mapping, unmapped, mod_start its pfn,
 *                    mod_len whole pages, SIF_MOD_START_PFN; mapped here page
 *                    by page to be read.  No symbols (none requested).
 * Without "len=" the guest checks that it got no module.
 */
#include "runtime.h"

#define NOTE_NUM(var, type, val)					\
	static const struct {						\
		u32 namesz, descsz, ntype;				\
		char name[4];						\
		u32 desc;						\
	} var __attribute__((section(".note.Xen"), used, aligned(4))) = \
		{ 4, 4, type, "Xen", (u32)(val) }
#define NOTE_STR(var, type, str)					\
	static const struct {						\
		u32 namesz, descsz, ntype;				\
		char name[4];						\
		char desc[(sizeof(str) + 3) & ~3u];			\
	} var __attribute__((section(".note.Xen"), used, aligned(4))) = \
		{ 4, sizeof(str), type, "Xen", str }

#ifdef RAMDISK_PFN
NOTE_NUM(note_mod_start_pfn, XEN_ELFNOTE_MOD_START_PFN, 1);
#else
NOTE_STR(note_bsd_symtab, XEN_ELFNOTE_BSD_SYMTAB, "yes");
#endif

/* ELF32 layouts (the guest has no <elf.h>). */
struct ehdr {
	u8 ident[16];
	u16 type, machine;
	u32 version, entry, phoff, shoff, flags;
	u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr { u32 type, offset, vaddr, paddr, filesz, memsz, flags, align; };
struct shdr { u32 name, type, flags, addr, offset, size, link, info, addralign, entsize; };
struct sym { u32 name, value, size; u8 info, other; u16 shndx; };
#define PT_LOAD		1
#define PF_X		1
#define SHT_SYMTAB	2
#define SHT_STRTAB	3

extern u8 _start[];

static u32 round_up(u32 v, u32 a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Is f[off, off + n) inside a file of len bytes? */
static int in_file(u32 off, u32 n, u32 len)
{
	return off <= len && n <= len - off;
}

/* The file's ELF header, or NULL (with a diagnostic) when it is not ours. */
static const struct ehdr *file_ehdr(const u8 *f, u32 len)
{
	const struct ehdr *e = (const void *)f;

	if (len < sizeof(*e) || memcmp(f, "\177ELF", 4) || e->ident[4] != 1 ||
	    e->entry != (u32)_start || e->phentsize != sizeof(struct phdr) ||
	    !in_file(e->phoff, e->phnum * sizeof(struct phdr), len) ||
	    e->shentsize != sizeof(struct shdr) ||
	    !in_file(e->shoff, e->shnum * sizeof(struct shdr), len)) {
		test_diag("the ramdisk is not this guest's image");
		return NULL;
	}
	return e;
}

/* The text segment's file bytes equal the code running (hypercall page aside). */
static int text_matches(const u8 *f, u32 len, const struct ehdr *e)
{
	const struct phdr *ph = (const void *)(f + e->phoff);
	unsigned int i, n = 0;
	u32 j, bad = 0;

	for (i = 0; i < e->phnum; i++) {
		const u8 *mem = (const u8 *)ph[i].vaddr;

		if (ph[i].type != PT_LOAD || !(ph[i].flags & PF_X))
			continue;
		if (!in_file(ph[i].offset, ph[i].filesz, len))
			return 0;
		for (j = 0; j < ph[i].filesz; j++) {
			if (mem + j >= hypercall_page && mem + j < hypercall_page + PAGE_SIZE)
				continue;
			bad += f[ph[i].offset + j] != mem[j];
		}
		n += ph[i].filesz > PAGE_SIZE;
	}
	if (bad)
		test_diag("%u text bytes differ", bad);
	return n == 1 && !bad;
}

/* The image's end (highest p_paddr + p_memsz; VIRT_BASE and PADDR_OFFSET 0). */
static u32 image_end(const u8 *f, const struct ehdr *e)
{
	const struct phdr *ph = (const void *)(f + e->phoff);
	u32 end = 0;
	unsigned int i;

	for (i = 0; i < e->phnum; i++)
		if (ph[i].type == PT_LOAD && ph[i].paddr + ph[i].memsz > end)
			end = ph[i].paddr + ph[i].memsz;
	return end;
}

static int all_zero(const u8 *p, u32 n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

#ifndef RAMDISK_PFN
/*
 * The BSD_SYMTAB block at the image's end rounded to 4: checked as XTF's
 * xsa-194 and a BSD kernel read it, and against the file's own tables.
 * Returns the block's end (0 on failure).
 */
static u32 check_symbols(const u8 *f, u32 len, const struct ehdr *fe)
{
	u32 base = round_up(image_end(f, fe), 4);
	const u32 *size = (const u32 *)base;
	const struct ehdr *e = (const void *)(base + 4);
	const struct shdr *sh = (const void *)(base + 4 + 64);
	const struct shdr *fsh = (const void *)(f + fe->shoff);
	const struct sym *syms;
	const char *strs;
	u32 i, nsym, found = 0;
	int ok = 1;

	ok &= CHECK(!memcmp(e->ident, "\177ELF", 4) && e->ident[4] == 1,
		    "symbols: an ELF32 header after the image");
	ok &= CHECK(e->shnum == 3 && e->shentsize == sizeof(struct shdr) &&
		    e->ehsize == sizeof(struct ehdr) && e->shoff == 64 && !e->phoff &&
		    !e->phnum && !e->shstrndx, "symbols: 3 section headers at e_shoff 64");
	if (!ok)
		return 0;
	ok &= CHECK(all_zero((const u8 *)e + e->ehsize, e->shoff - e->ehsize),
		    "symbols: nothing leaked between the header and e_shoff (XSA-194)");
	ok &= CHECK(all_zero((const u8 *)&sh[0], sizeof(sh[0])) &&
		    sh[1].type == SHT_SYMTAB && sh[1].link == 2 && sh[2].type == SHT_STRTAB,
		    "symbols: section headers null, symtab (sh_link 2), strtab");
	ok &= CHECK(*size == sh[2].offset + sh[2].size && sh[1].offset == 256 &&
		    sh[2].offset == round_up(sh[1].offset + sh[1].size, 4),
		    "symbols: size word and offsets as libelf lays them out");
	if (!ok)
		return 0;
	/* The same bytes as the file's symtab and its strtab. */
	for (i = 1; i < fe->shnum; i++)
		if (fsh[i].type == SHT_SYMTAB)
			break;
	ok &= CHECK(i < fe->shnum && fsh[i].size == sh[1].size &&
		    in_file(fsh[i].offset, fsh[i].size, len) &&
		    !memcmp((const u8 *)e + sh[1].offset, f + fsh[i].offset, sh[1].size) &&
		    fsh[i].link < fe->shnum &&
		    fsh[fsh[i].link].size == sh[2].size &&
		    in_file(fsh[fsh[i].link].offset, sh[2].size, len) &&
		    !memcmp((const u8 *)e + sh[2].offset, f + fsh[fsh[i].link].offset,
			    sh[2].size),
		    "symbols: symtab and strtab equal the file's");
	/* Look ourselves up, as a debugger in the guest would. */
	syms = (const void *)((const u8 *)e + sh[1].offset);
	strs = (const char *)e + sh[2].offset;
	nsym = sh[1].size / sizeof(struct sym);
	for (i = 0; ok && i < nsym; i++)
		if (syms[i].name < sh[2].size && !strcmp(strs + syms[i].name, "test_main"))
			found = syms[i].value;
	ok &= CHECK_EQ(found, (u32)test_main, "symbols: test_main found at its address");
	return ok ? base + 4 + *size : 0;
}
#endif

#ifdef RAMDISK_PFN
/* A window of VAs the unmapped ramdisk's frames are mapped at to be read. */
#define WINDOW_PAGES 64
static u8 window[WINDOW_PAGES * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
#endif

void test_main(void)
{
	const struct xen_start_info *si = start_info;
	u32 len = cmdline_uint(si->cmd_line, "len", 0);
	const struct ehdr *fe;
	const u8 *f;
	u32 pages;

	if (!len) {
		test_plan(1);
		CHECK(!si->mod_start && !si->mod_len && !(si->flags & SIF_MOD_START_PFN),
		      "no ramdisk: mod_start, mod_len and SIF_MOD_START_PFN clear");
		return;
	}
	pages = round_up(len, PAGE_SIZE) / PAGE_SIZE;
#ifdef RAMDISK_PFN
	test_plan(8);
	{
		const u32 *p2m = (const u32 *)si->mfn_list;
		u32 stack_end = si->pt_base + (si->nr_pt_frames + 1) * PAGE_SIZE;
		u32 i;
		long rc = 0;

		CHECK(si->flags & SIF_MOD_START_PFN, "SIF_MOD_START_PFN set");
		CHECK_EQ(si->mod_len, pages * PAGE_SIZE, "mod_len: the file's size in whole pages");
		/* After the mapping: 4 MiB aligned, >= 512 KiB after the boot stack. */
		CHECK(!(si->mod_start & 1023) &&
		      si->mod_start * PAGE_SIZE >= stack_end + 512 * 1024 &&
		      si->mod_start + pages <= si->nr_pages,
		      "mod_start: a pfn after the start-of-day mapping, inside RAM");
		if (!CHECK(pages <= WINDOW_PAGES, "the ramdisk fits the guest's window"))
			return;
		for (i = 0; i < pages && !rc && si->mod_start + pages <= si->nr_pages; i++)
			rc = update_va_mapping((u32)window + i * PAGE_SIZE,
					       (u64)p2m[si->mod_start + i] << 12 | 0x21,
					       UVMF_INVLPG);
		if (!CHECK_EQ(rc, 0, "the ramdisk's frames map"))
			return;
		f = window;
	}
#else
	test_plan(12);
	CHECK(!(si->flags & SIF_MOD_START_PFN), "SIF_MOD_START_PFN clear");
	CHECK_EQ(si->mod_len, len, "mod_len: the file's size");
	f = (const u8 *)si->mod_start;
#endif
	fe = file_ehdr(f, len);
	if (!CHECK(fe && text_matches(f, len, fe),
		   "the ramdisk holds the file: ELF header and text"))
		return;
	CHECK(all_zero(f + len, pages * PAGE_SIZE - len),
	      "zeroes after the file to its page's end");
#ifdef RAMDISK_PFN
	{
		u32 end = image_end(f, fe);

		CHECK(all_zero((const u8 *)end, round_up(end, PAGE_SIZE) - end),
		      "no symbols after the image (none requested)");
	}
#else
	{
		u32 end = check_symbols(f, len, fe);

		CHECK(end && si->mod_start == round_up(end, PAGE_SIZE) &&
		      si->mfn_list == si->mod_start + pages * PAGE_SIZE,
		      "layout: image, symbols, ramdisk, P2M");
	}
#endif
}
