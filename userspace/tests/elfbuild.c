// SPDX-License-Identifier: GPL-2.0
/* Build ELF32 test images in memory (see elfbuild.h). */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "elfbuild.h"
#include <pvmx/xen_abi.h>

struct eb_offsets eb_last;

void eb_init(struct eb_image *im)
{
	memset(im, 0, sizeof(*im));
	im->ei_class = ELFCLASS32;
	im->ei_data = ELFDATA2LSB;
	im->machine = EM_386;
	im->type = ET_EXEC;
	im->where = EB_NOTES_PHDR;
}

void eb_seg(struct eb_image *im, uint32_t paddr, uint32_t vaddr, uint32_t filesz,
	    uint32_t memsz)
{
	struct eb_seg *s = &im->segs[im->nsegs];

	s->paddr = paddr;
	s->vaddr = vaddr;
	s->filesz = filesz;
	s->memsz = memsz;
	s->fill = (uint8_t)(0x5A + 0x31 * im->nsegs);
	im->nsegs++;
}

void eb_note_raw(struct eb_image *im, const char *name, uint32_t type,
		 const void *desc, uint32_t descsz)
{
	struct eb_note *n = &im->notes[im->nnotes++];

	n->name = name;
	n->type = type;
	n->descsz = descsz;
	memcpy(n->desc, desc, descsz);
}

void eb_note_str(struct eb_image *im, uint32_t type, const char *s)
{
	eb_note_raw(im, "Xen", type, s, (uint32_t)strlen(s) + 1);
}

void eb_note_u32(struct eb_image *im, uint32_t type, uint32_t v)
{
	eb_note_raw(im, "Xen", type, &v, 4);
}

void eb_note_u64(struct eb_image *im, uint32_t type, uint64_t v)
{
	eb_note_raw(im, "Xen", type, &v, 8);
}

void eb_note_del(struct eb_image *im, uint32_t type)
{
	int i, j = 0;

	for (i = 0; i < im->nnotes; i++)
		if (im->notes[i].type != type)
			im->notes[j++] = im->notes[i];
	im->nnotes = j;
}

void eb_xtf(struct eb_image *im)
{
	eb_init(im);
	im->entry = 0x100000;
	eb_seg(im, 0x100000, 0x100000, 0xa000, 0x10000);
	eb_note_str(im, XEN_ELFNOTE_GUEST_OS, "XTF");
	eb_note_str(im, XEN_ELFNOTE_GUEST_VERSION, "0");
	eb_note_str(im, XEN_ELFNOTE_LOADER, "generic");
	eb_note_u32(im, XEN_ELFNOTE_HYPERCALL_PAGE, 0x105000);
	eb_note_str(im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
	/* XTF's own FEATURES: it requires writable_page_tables. */
	eb_note_str(im, XEN_ELFNOTE_FEATURES, "!writable_page_tables|pae_pgdir_above_4gb");
	eb_note_str(im, XEN_ELFNOTE_PAE_MODE, "yes");
}

void eb_linux(struct eb_image *im)
{
	eb_init(im);
	im->entry = 0xC0100000;	/* overridden by the ENTRY note */
	eb_seg(im, 0x100000, 0xC0100000, 0x300000, 0x300000);	/* text+data */
	eb_seg(im, 0x400000, 0xC0400000, 0x1000, 0x80000);	/* data+bss */
	eb_note_str(im, XEN_ELFNOTE_GUEST_OS, "linux");
	eb_note_str(im, XEN_ELFNOTE_GUEST_VERSION, "2.6");
	eb_note_str(im, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
	eb_note_u32(im, XEN_ELFNOTE_VIRT_BASE, 0xC0000000);
	eb_note_u32(im, XEN_ELFNOTE_PADDR_OFFSET, 0);
	eb_note_u32(im, XEN_ELFNOTE_ENTRY, 0xC0100040);
	eb_note_u32(im, XEN_ELFNOTE_HYPERCALL_PAGE, 0xC0102000);
	eb_note_str(im, XEN_ELFNOTE_FEATURES,
		    "writable_page_tables|writable_descriptor_tables|auto_translated_physmap|"
		    "pae_pgdir_above_4gb|supervisor_mode_kernel");
	eb_note_str(im, XEN_ELFNOTE_PAE_MODE, "yes");
	eb_note_str(im, XEN_ELFNOTE_LOADER, "generic");
}

struct out {
	uint8_t *b;
	size_t len, cap;
};

static size_t emit(struct out *o, const void *p, size_t n, size_t align)
{
	size_t off = (o->len + align - 1) & ~(align - 1);

	while (off + n > o->cap) {
		o->cap = o->cap ? o->cap * 2 : 4096;
		o->b = realloc(o->b, o->cap);
		if (!o->b)
			abort();
	}
	memset(o->b + o->len, 0, off - o->len);
	if (p)
		memcpy(o->b + off, p, n);
	else
		memset(o->b + off, 0, n);
	o->len = off + n;
	return off;
}

static void put_shdr(Elf32_Shdr *sh, uint32_t name, uint32_t type, uint32_t off,
		     uint32_t size)
{
	memset(sh, 0, sizeof(*sh));
	sh->sh_name = name;
	sh->sh_type = type;
	sh->sh_offset = off;
	sh->sh_size = size;
	sh->sh_addralign = 1;
}

uint8_t *eb_build(const struct eb_image *im, size_t *len)
{
	static const char shstr[] = "\0.note.Xen\0__xen_guest\0.shstrtab\0.symtab\0.strtab";
	enum { N_NOTE = 1, N_XG = 11, N_SHSTR = 23, N_SYM = 33, N_STR = 41 };
	struct out o = { 0 };
	Elf32_Ehdr eh;
	Elf32_Phdr ph[EB_MAX_SEGS + 1];
	Elf32_Shdr sh[6];
	size_t notes_off = 0, notes_len = 0, xg_off = 0, xg_len = 0, str_off, seg_off[EB_MAX_SEGS];
	size_t sym_off = 0, strtab_off = 0;
	int nph = 0, nsh = 0, i;
	bool pt_note = im->nnotes && im->where == EB_NOTES_PHDR;

	memset(&eb_last, 0, sizeof(eb_last));
	emit(&o, NULL, sizeof(eh), 1);
	emit(&o, NULL, sizeof(Elf32_Phdr) * (size_t)(im->nsegs + pt_note), 1);

	/* Notes blob. */
	for (i = 0; i < im->nnotes; i++) {
		const struct eb_note *n = &im->notes[i];
		const char *name = n->name ? n->name : "Xen";
		uint32_t hdr[3] = { (uint32_t)strlen(name) + 1, n->descsz, n->type };
		size_t off = emit(&o, hdr, sizeof(hdr), 4);

		if (!i)
			notes_off = off;
		emit(&o, name, hdr[0], 1);
		emit(&o, n->desc, n->descsz, 4);
		emit(&o, NULL, 0, 4);
		notes_len = o.len - notes_off;
	}
	if (im->xen_guest) {
		xg_len = strlen(im->xen_guest) + 1;
		xg_off = emit(&o, im->xen_guest, xg_len, 16);
	}
	str_off = emit(&o, shstr, sizeof(shstr), 16);
	if (im->symtab_size) {
		uint32_t j;

		sym_off = emit(&o, NULL, im->symtab_size, 4);
		for (j = 0; j < im->symtab_size; j++)
			o.b[sym_off + j] = eb_sym_byte(j);
		strtab_off = emit(&o, NULL, im->strtab_size, 1);
		for (j = 0; j < im->strtab_size; j++)
			o.b[strtab_off + j] = eb_str_byte(j);
	}
	for (i = 0; i < im->nsegs; i++) {
		const struct eb_seg *s = &im->segs[i];
		uint32_t j;

		seg_off[i] = emit(&o, NULL, s->filesz, 16);
		for (j = 0; j < s->filesz; j++)
			o.b[seg_off[i] + j] = eb_byte(s, j);
	}

	/* Program headers. */
	for (i = 0; i < im->nsegs; i++) {
		const struct eb_seg *s = &im->segs[i];

		memset(&ph[nph], 0, sizeof(ph[0]));
		ph[nph].p_type = PT_LOAD;
		ph[nph].p_offset = (uint32_t)seg_off[i];
		ph[nph].p_vaddr = s->vaddr;
		ph[nph].p_paddr = s->paddr;
		ph[nph].p_filesz = s->filesz;
		ph[nph].p_memsz = s->memsz;
		ph[nph].p_flags = PF_R | PF_W | PF_X;
		ph[nph].p_align = 4096;
		nph++;
	}
	if (pt_note) {
		memset(&ph[nph], 0, sizeof(ph[0]));
		ph[nph].p_type = PT_NOTE;
		ph[nph].p_offset = (uint32_t)notes_off;
		ph[nph].p_filesz = (uint32_t)notes_len;
		ph[nph].p_flags = PF_R;
		ph[nph].p_align = 4;
		nph++;
	}
	memcpy(o.b + sizeof(eh), ph, sizeof(ph[0]) * (size_t)nph);

	/* Section headers. */
	put_shdr(&sh[nsh++], 0, SHT_NULL, 0, 0);
	if (im->nnotes)
		put_shdr(&sh[nsh++], N_NOTE, SHT_NOTE, (uint32_t)notes_off, (uint32_t)notes_len);
	if (im->xen_guest)
		put_shdr(&sh[nsh++], N_XG, SHT_PROGBITS, (uint32_t)xg_off, (uint32_t)xg_len);
	if (im->symtab_size) {
		eb_last.symtab_shndx = (unsigned)nsh;
		put_shdr(&sh[nsh], N_SYM, SHT_SYMTAB, (uint32_t)sym_off, im->symtab_size);
		sh[nsh].sh_link = (uint32_t)nsh + 1;
		sh[nsh].sh_info = 1;
		sh[nsh].sh_entsize = sizeof(Elf32_Sym);
		sh[nsh].sh_addralign = 4;
		nsh++;
		eb_last.strtab_shndx = (unsigned)nsh;
		put_shdr(&sh[nsh++], N_STR, SHT_STRTAB, (uint32_t)strtab_off, im->strtab_size);
	}
	put_shdr(&sh[nsh++], N_SHSTR, SHT_STRTAB, (uint32_t)str_off, sizeof(shstr));

	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = im->ei_class;
	eh.e_ident[EI_DATA] = im->ei_data;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = im->type;
	eh.e_machine = im->machine;
	eh.e_version = EV_CURRENT;
	eh.e_entry = im->entry;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf32_Phdr);
	eh.e_phnum = (uint16_t)nph;
	if (!im->no_sections) {
		eh.e_shoff = (uint32_t)emit(&o, sh, sizeof(sh[0]) * (size_t)nsh, 4);
		eh.e_shentsize = sizeof(Elf32_Shdr);
		eh.e_shnum = (uint16_t)nsh;
		eh.e_shstrndx = (uint16_t)(nsh - 1);
	}
	memcpy(o.b, &eh, sizeof(eh));

	eb_last.phoff = sizeof(eh);
	eb_last.shoff = eh.e_shoff;
	eb_last.notes_off = notes_off;
	eb_last.notes_len = notes_len;
	eb_last.xen_guest_off = xg_off;
	eb_last.shstrtab_off = str_off;
	eb_last.symtab_off = sym_off;
	eb_last.strtab_off = strtab_off;
	eb_last.shnum = im->no_sections ? 0 : (unsigned)nsh;
	memcpy(eb_last.seg_off, seg_off, sizeof(seg_off[0]) * (size_t)im->nsegs);
	*len = o.len;
	return o.b;
}
