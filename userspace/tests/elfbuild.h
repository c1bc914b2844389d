/* SPDX-License-Identifier: GPL-2.0 */
/* Build ELF32 test images in memory. */
#ifndef PVMX_TEST_ELFBUILD_H
#define PVMX_TEST_ELFBUILD_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define EB_MAX_SEGS	8
#define EB_MAX_NOTES	24

struct eb_seg {
	uint32_t paddr, vaddr;
	uint32_t filesz, memsz;
	uint8_t fill;		/* data byte i is fill ^ (i * 13) */
};

struct eb_note {
	const char *name;	/* "Xen" by default */
	uint32_t type;
	uint32_t descsz;
	uint8_t desc[160];
};

enum eb_where {
	EB_NOTES_PHDR,		/* a PT_NOTE segment (and a SHT_NOTE section) */
	EB_NOTES_SHDR,		/* only a SHT_NOTE section, not loaded */
};

struct eb_image {
	uint8_t ei_class, ei_data;
	uint16_t machine, type;
	uint32_t entry;
	struct eb_seg segs[EB_MAX_SEGS];
	int nsegs;
	struct eb_note notes[EB_MAX_NOTES];
	int nnotes;
	enum eb_where where;
	const char *xen_guest;	/* add a __xen_guest section with this string */
	bool no_sections;
	/*
	 * A .symtab (SHT_SYMTAB, sh_link to .strtab, after the note and
	 * __xen_guest sections) of symtab_size bytes and a .strtab of
	 * strtab_size bytes, their bytes eb_sym_byte()/eb_str_byte(); none
	 * when symtab_size is 0.
	 */
	uint32_t symtab_size, strtab_size;
};

/* A valid ELF32 EM_386 ET_EXEC skeleton with no segments and no notes. */
void eb_init(struct eb_image *im);
void eb_seg(struct eb_image *im, uint32_t paddr, uint32_t vaddr, uint32_t filesz,
	    uint32_t memsz);
void eb_note_str(struct eb_image *im, uint32_t type, const char *s);
void eb_note_u32(struct eb_image *im, uint32_t type, uint32_t v);
void eb_note_u64(struct eb_image *im, uint32_t type, uint64_t v);
void eb_note_raw(struct eb_image *im, const char *name, uint32_t type,
		 const void *desc, uint32_t descsz);
/* Remove every note of this type. */
void eb_note_del(struct eb_image *im, uint32_t type);

/*
 * XTF test-pv32pae-example: PT_LOAD 0x100000-0x110000 (filesz 0xa000, bss
 * after), e_entry 0x100000, notes as XTF emits them, hypercall page 0x105000.
 */
void eb_xtf(struct eb_image *im);
/* A Linux-like kernel: VIRT_BASE 0xC0000000, p_paddr 0x100000 (PADDR_OFFSET 0). */
void eb_linux(struct eb_image *im);

/* Serialise; returns a malloc'd buffer and its length in *len. */
uint8_t *eb_build(const struct eb_image *im, size_t *len);
/* Expected byte at offset i of segment s's file data. */
static inline uint8_t eb_byte(const struct eb_seg *s, uint32_t i)
{
	return (uint8_t)(s->fill ^ (i * 13u));
}

static inline uint8_t eb_sym_byte(uint32_t i)
{
	return (uint8_t)(0xA7 ^ (i * 7u) ^ (i >> 8));
}
static inline uint8_t eb_str_byte(uint32_t i)
{
	return (uint8_t)(0x3C + (i * 11u) % 151u);
}

/* Where things ended up in the last eb_build() output (for mutation tests). */
struct eb_offsets {
	size_t phoff, shoff, notes_off, notes_len, xen_guest_off, shstrtab_off;
	size_t seg_off[EB_MAX_SEGS];
	size_t symtab_off, strtab_off;	/* file offsets of the tables' bytes */
	unsigned symtab_shndx, strtab_shndx, shnum;
};
extern struct eb_offsets eb_last;

#endif
