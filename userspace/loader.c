// SPDX-License-Identifier: GPL-2.0
/*
 * The pvmx image loader: a pure function from (ELF bytes, RAM buffer) to a
 * start-of-day guest image, following Xen's domain builder:
 *
 *   libelf (xen/common/libelf/libelf-dominfo.c)  - notes, __xen_guest, checks
 *   libelf (xen/common/libelf/libelf-loader.c)  - BSD_SYMTAB symbols
 *   libxenguest (tools/libs/guest/xg_dom_core.c, xg_dom_x86.c) - the layout:
 *       kernel [+ symbols] | ramdisk | P2M | start_info | xenstore | console |
 *       L3 L2.. L1.. | stack | (4 MiB) | ramdisk if unmapped (MOD_START_PFN)
 *
 * As Xen's domain builder (tools/libs/guest/xg_dom_core.c, xg_dom_x86.c)
 * and xen/common/libelf/libelf-dominfo.c; Documentation/launcher.rst.
 *
 * Nothing here trusts the image: every offset and size is checked against the
 * buffer with 64-bit arithmetic before it is used, and every refusal comes
 * with a one-line reason.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpvmx.h"

#define PAGE_SIZE	4096ULL
#define PAGE_SHIFT	12
#define PAGE_MASK	(PAGE_SIZE - 1)
#define GIB		(1ULL << 30)
#define FOUR_GIB	(1ULL << 32)

/* Bootstrap page-table entry bits (PAE). */
#define PTE_P		0x001ULL
#define PTE_RW		0x002ULL
#define PTE_US		0x004ULL
#define PTE_A		0x020ULL
#define PTE_D		0x040ULL
#define L3_PROT		(PTE_P)					/* 0x01 */
#define L2_PROT		(PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)	/* 0x67 */
#define L1_PROT		(PTE_P | PTE_RW | PTE_A)		/* 0x23 */
#define L1_PROT_RO	(PTE_P | PTE_A)				/* 0x21 */

/* Free space the builder leaves after the boot stack (xg_dom_x86.c). */
#define EXTRA_FREE_PAGES	((512 * 1024) / PAGE_SIZE)

static int errf(char *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int errf(char *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err, PVMX_ERR_MAX, fmt, ap);
		va_end(ap);
	}
	return rc;
}

#define BAD(...)	errf(err, -ENOEXEC, __VA_ARGS__)

/* ---------------------------------------------------------------------- */
/* Features                                                               */
/* ---------------------------------------------------------------------- */

/* Xen's elf_xen_feature_names[] (libelf-dominfo.c). */
static const char *const xenfeat_names[32] = {
	[XENFEAT_writable_page_tables] = "writable_page_tables",
	[XENFEAT_writable_descriptor_tables] = "writable_descriptor_tables",
	[XENFEAT_auto_translated_physmap] = "auto_translated_physmap",
	[XENFEAT_supervisor_mode_kernel] = "supervisor_mode_kernel",
	[XENFEAT_pae_pgdir_above_4gb] = "pae_pgdir_above_4gb",
	[XENFEAT_hvm_callback_vector] = "hvm_callback_vector",
	[XENFEAT_dom0] = "dom0",
};

const char *pvmx_xenfeat_name(unsigned feat)
{
	return feat < 32 ? xenfeat_names[feat] : NULL;
}

/*
 * What pvmx provides, so what an image may require: pae_pgdir_above_4gb, and
 * writable_page_tables (direct PTE writes, once the guest enables
 * VMASST_TYPE_writable_pagetables, as XTF and 32-bit Linux do).
 */
uint32_t pvmx_xenfeat_supported(void)
{
	return (1u << XENFEAT_writable_page_tables) | (1u << XENFEAT_pae_pgdir_above_4gb);
}

/* "a, b" list of the features pvmx_xenfeat_supported() names, for messages. */
static void supported_list(char *buf, size_t size)
{
	size_t n = 0;
	unsigned f;

	buf[0] = '\0';
	for (f = 0; f < 32; f++)
		if ((pvmx_xenfeat_supported() & (1u << f)) && xenfeat_names[f] && n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
					      xenfeat_names[f]);
}

/* ---------------------------------------------------------------------- */
/* Little-endian readers over the (checked) buffer                         */
/* ---------------------------------------------------------------------- */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Is [off, off + size) inside a buffer of len bytes? (no overflow: all < 2^33) */
static bool in_buf(uint64_t off, uint64_t size, uint64_t len)
{
	return off <= len && size <= len - off;
}

struct seg {
	uint64_t offset, filesz, memsz, paddr;
};

struct elf {
	const uint8_t *b;
	uint64_t len;
	uint32_t phoff, shoff;
	uint16_t phnum, phentsize, shnum, shentsize, shstrndx;
	uint32_t entry;
	struct seg *loads;
	unsigned nr_loads;
};

/* Copy a note/guest string, replacing unprintable bytes so messages stay one line. */
static void copy_str(char *dst, const uint8_t *src, uint64_t n)
{
	uint64_t i;

	if (n > PVMX_STR_MAX - 1)
		n = PVMX_STR_MAX - 1;
	for (i = 0; i < n && src[i]; i++)
		dst[i] = (src[i] < 0x20 || src[i] >= 0x7f) ? '?' : (char)src[i];
	dst[i] = '\0';
}

/* ---------------------------------------------------------------------- */
/* Xen notes                                                              */
/* ---------------------------------------------------------------------- */

static const char *note_name(uint32_t type)
{
	static const char *const n[] = {
		"INFO", "ENTRY", "HYPERCALL_PAGE", "VIRT_BASE", "PADDR_OFFSET",
		"XEN_VERSION", "GUEST_OS", "GUEST_VERSION", "LOADER", "PAE_MODE",
		"FEATURES", "BSD_SYMTAB", "HV_START_LOW", "L1_MFN_VALID",
		"SUSPEND_CANCEL", "INIT_P2M", "MOD_START_PFN", "SUPPORTED_FEATURES",
		"PHYS32_ENTRY", "PHYS32_RELOC",
	};
	return type < sizeof(n) / sizeof(n[0]) ? n[type] : "?";
}

static int handle_note(struct pvmx_image_info *info, uint32_t type,
		       const uint8_t *desc, uint64_t descsz, char *err)
{
	uint64_t num = 0;
	char *str = NULL;

	switch (type) {
	case XEN_ELFNOTE_ENTRY:
	case XEN_ELFNOTE_HYPERCALL_PAGE:
	case XEN_ELFNOTE_VIRT_BASE:
	case XEN_ELFNOTE_PADDR_OFFSET:
	case XEN_ELFNOTE_MOD_START_PFN:
		/* elf_note_numeric(): 1, 2, 4 or 8 bytes. */
		if (descsz == 1)
			num = desc[0];
		else if (descsz == 2)
			num = rd16(desc);
		else if (descsz == 4)
			num = rd32(desc);
		else if (descsz == 8)
			num = rd64(desc);
		else
			return BAD("Xen note %s has %llu bytes (numeric notes are 1, 2, 4 or 8)",
				   note_name(type), (unsigned long long)descsz);
		break;
	case XEN_ELFNOTE_XEN_VERSION:	str = info->xen_version; break;
	case XEN_ELFNOTE_GUEST_OS:	str = info->guest_os; break;
	case XEN_ELFNOTE_GUEST_VERSION:	str = info->guest_version; break;
	case XEN_ELFNOTE_LOADER:	str = info->loader; break;
	case XEN_ELFNOTE_PAE_MODE:	str = info->pae_mode; break;
	case XEN_ELFNOTE_FEATURES:	str = info->features; break;
	case XEN_ELFNOTE_BSD_SYMTAB: {
		char tmp[PVMX_STR_MAX];

		copy_str(tmp, desc, descsz);
		info->bsd_symtab = !strcmp(tmp, "yes");
		break;
	}
	default:
		break;	/* INFO and notes pvmx has no use for */
	}
	if (str)
		copy_str(str, desc, descsz);

	switch (type) {
	case XEN_ELFNOTE_ENTRY:		 info->note_entry = num; break;
	case XEN_ELFNOTE_HYPERCALL_PAGE: info->note_hypercall_page = num; break;
	case XEN_ELFNOTE_VIRT_BASE:	 info->note_virt_base = num; break;
	case XEN_ELFNOTE_PADDR_OFFSET:	 info->note_paddr_offset = num; break;
	case XEN_ELFNOTE_MOD_START_PFN:	 info->unmapped_initrd = num != 0; break;
	}
	return 0;
}

/*
 * Walk the notes in b[off, off + size).  what: "segment"/"section" for
 * messages.  Counts the Xen notes into info->nr_notes.
 */
static int parse_notes(const struct elf *e, uint64_t off, uint64_t size,
		       const char *what, struct pvmx_image_info *info, char *err)
{
	uint64_t pos = 0;

	if (!in_buf(off, size, e->len))
		return BAD("note %s at offset 0x%llx (%llu bytes) extends past the end of the file",
			   what, (unsigned long long)off, (unsigned long long)size);
	while (pos < size) {
		const uint8_t *p = e->b + off + pos;
		uint64_t namesz, descsz, type, nameoff, descoff, end;

		if (size - pos < 12)
			return BAD("truncated note header in note %s at offset 0x%llx",
				   what, (unsigned long long)off);
		namesz = rd32(p);
		descsz = rd32(p + 4);
		type = rd32(p + 8);
		nameoff = pos + 12;
		descoff = nameoff + ((namesz + 3) & ~3ULL);
		end = descoff + descsz;
		if (descoff > size || end > size)
			return BAD("note extends past its %s (offset 0x%llx, %llu bytes)",
				   what, (unsigned long long)off, (unsigned long long)size);
		if ((namesz == 4 && !memcmp(e->b + off + nameoff, "Xen", 4)) ||
		    (namesz == 3 && !memcmp(e->b + off + nameoff, "Xen", 3))) {
			int rc = handle_note(info, (uint32_t)type, e->b + off + descoff,
					     descsz, err);
			if (rc)
				return rc;
			info->nr_notes++;
		}
		pos = (end + 3) & ~3ULL;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Legacy __xen_guest string                                              */
/* ---------------------------------------------------------------------- */

static int parse_num(const char *key, const char *val, uint64_t *out, char *err)
{
	char *end;

	if (!*val)
		return BAD("__xen_guest: %s has no value", key);
	errno = 0;
	*out = strtoull(val, &end, 0);
	if (errno || *end || *val == '-')
		return BAD("__xen_guest: %s=%s is not a number", key, val);
	return 0;
}

static int parse_xen_guest(const uint8_t *s, uint64_t n,
			   struct pvmx_image_info *info, char *err)
{
	uint64_t i = 0, hc_page = PVMX_UNSET;
	int rc;

	/* The string ends at the first NUL or at the end of the section. */
	while (i < n && s[i]) {
		char key[32], val[128];
		uint64_t k = 0, v = 0;
		bool has_eq = false;

		for (; i < n && s[i] && s[i] != ','; i++) {
			char c = (s[i] < 0x20 || s[i] >= 0x7f) ? '?' : (char)s[i];

			if (!has_eq && c == '=') {
				has_eq = true;
				continue;
			}
			if (!has_eq) {
				if (k >= sizeof(key) - 1)
					return BAD("__xen_guest: key longer than 31 characters");
				key[k++] = c;
			} else {
				if (v >= sizeof(val) - 1)
					return BAD("__xen_guest: value longer than 127 characters");
				val[v++] = c;
			}
		}
		key[k] = '\0';
		val[v] = '\0';
		if (i < n && s[i] == ',')
			i++;
		if (!k)
			continue;
		info->nr_notes++;

		if (!strcmp(key, "LOADER")) {
			copy_str(info->loader, (const uint8_t *)val, v);
		} else if (!strcmp(key, "GUEST_OS")) {
			copy_str(info->guest_os, (const uint8_t *)val, v);
		} else if (!strcmp(key, "GUEST_VER")) {
			copy_str(info->guest_version, (const uint8_t *)val, v);
		} else if (!strcmp(key, "XEN_VER")) {
			copy_str(info->xen_version, (const uint8_t *)val, v);
		} else if (!strcmp(key, "PAE")) {
			copy_str(info->pae_mode, (const uint8_t *)val, v);
		} else if (!strcmp(key, "FEATURES")) {
			copy_str(info->features, (const uint8_t *)val, v);
		} else if (!strcmp(key, "BSD_SYMTAB")) {
			info->bsd_symtab = true;
		} else if (!strcmp(key, "VIRT_BASE")) {
			if ((rc = parse_num(key, val, &info->note_virt_base, err)))
				return rc;
		} else if (!strcmp(key, "VIRT_ENTRY")) {
			if ((rc = parse_num(key, val, &info->note_entry, err)))
				return rc;
		} else if (!strcmp(key, "ELF_PADDR_OFFSET")) {
			if ((rc = parse_num(key, val, &info->note_paddr_offset, err)))
				return rc;
		} else if (!strcmp(key, "HYPERCALL_PAGE")) {
			if ((rc = parse_num(key, val, &hc_page, err)))
				return rc;
			if (hc_page >= (FOUR_GIB >> PAGE_SHIFT))
				return BAD("__xen_guest: HYPERCALL_PAGE=%s is out of range", val);
		}
		/* Other keys are ignored, as Xen does. */
	}
	/* HYPERCALL_PAGE is a page number relative to VIRT_BASE. */
	if (hc_page != PVMX_UNSET)
		info->note_hypercall_page =
			(info->note_virt_base == PVMX_UNSET ? 0 : info->note_virt_base) +
			(hc_page << PAGE_SHIFT);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* ELF headers                                                            */
/* ---------------------------------------------------------------------- */

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

static int parse_headers(struct elf *e, char *err)
{
	const uint8_t *b = e->b;
	uint16_t type, machine;
	unsigned i;

	if (e->len < SELFMAG || memcmp(b, ELFMAG, SELFMAG))
		return BAD("not an ELF file (bad magic)");
	if (e->len < EI_NIDENT + 4)
		return BAD("truncated ELF header (%llu bytes)", (unsigned long long)e->len);
	machine = rd16(b + 18);
	if (b[EI_CLASS] == ELFCLASS64 || machine == EM_X86_64)
		return BAD("64-bit image: pvmx runs 32-bit PAE guests");
	if (b[EI_CLASS] != ELFCLASS32)
		return BAD("bad ELF class %u (want ELFCLASS32)", b[EI_CLASS]);
	if (b[EI_DATA] != ELFDATA2LSB)
		return BAD("not a little-endian ELF file");
	if (e->len < sizeof(Elf32_Ehdr))
		return BAD("truncated ELF header (%llu bytes)", (unsigned long long)e->len);
	if (machine != EM_386)
		return BAD("not an i386 image (e_machine %u)", machine);
	type = rd16(b + offsetof(Elf32_Ehdr, e_type));
	if (type != ET_EXEC)
		return BAD("not an executable ELF file (e_type %u, want ET_EXEC)", type);

	e->entry = rd32(b + offsetof(Elf32_Ehdr, e_entry));
	e->phoff = rd32(b + offsetof(Elf32_Ehdr, e_phoff));
	e->shoff = rd32(b + offsetof(Elf32_Ehdr, e_shoff));
	e->phentsize = rd16(b + offsetof(Elf32_Ehdr, e_phentsize));
	e->phnum = rd16(b + offsetof(Elf32_Ehdr, e_phnum));
	e->shentsize = rd16(b + offsetof(Elf32_Ehdr, e_shentsize));
	e->shnum = rd16(b + offsetof(Elf32_Ehdr, e_shnum));
	e->shstrndx = rd16(b + offsetof(Elf32_Ehdr, e_shstrndx));

	if (!e->phnum || !e->phoff)
		return BAD("no program headers");
	if (e->phentsize < sizeof(Elf32_Phdr))
		return BAD("bad e_phentsize %u", e->phentsize);
	if (!in_buf(e->phoff, (uint64_t)e->phnum * e->phentsize, e->len))
		return BAD("program headers extend past the end of the file");
	if (!e->shoff)
		e->shnum = 0;
	if (e->shnum) {
		if (e->shentsize < sizeof(Elf32_Shdr))
			return BAD("bad e_shentsize %u", e->shentsize);
		if (!in_buf(e->shoff, (uint64_t)e->shnum * e->shentsize, e->len))
			return BAD("section headers extend past the end of the file");
		if (e->shstrndx != SHN_UNDEF && e->shstrndx >= e->shnum)
			return BAD("bad e_shstrndx %u", e->shstrndx);
		for (i = 0; i < e->shnum; i++) {
			const uint8_t *sh = b + e->shoff + (uint64_t)i * e->shentsize;
			uint32_t st = rd32(sh + offsetof(Elf32_Shdr, sh_type));
			uint64_t off = rd32(sh + offsetof(Elf32_Shdr, sh_offset));
			uint64_t size = rd32(sh + offsetof(Elf32_Shdr, sh_size));

			if (st != SHT_NOBITS && st != SHT_NULL && !in_buf(off, size, e->len))
				return BAD("section %u extends past the end of the file", i);
		}
	}

	/* Loadable segments. */
	e->loads = calloc(e->phnum, sizeof(*e->loads));
	if (!e->loads)
		return errf(err, -ENOMEM, "out of memory");
	for (i = 0; i < e->phnum; i++) {
		const uint8_t *ph = b + e->phoff + (uint64_t)i * e->phentsize;
		struct seg s;

		if (rd32(ph + offsetof(Elf32_Phdr, p_type)) != PT_LOAD)
			continue;
		s.offset = rd32(ph + offsetof(Elf32_Phdr, p_offset));
		s.filesz = rd32(ph + offsetof(Elf32_Phdr, p_filesz));
		s.memsz = rd32(ph + offsetof(Elf32_Phdr, p_memsz));
		s.paddr = rd32(ph + offsetof(Elf32_Phdr, p_paddr));
		if (s.filesz > s.memsz)
			return BAD("segment %u: p_filesz 0x%llx > p_memsz 0x%llx", i,
				   (unsigned long long)s.filesz, (unsigned long long)s.memsz);
		if (!in_buf(s.offset, s.filesz, e->len))
			return BAD("segment %u extends past the end of the file", i);
		if (s.paddr + s.memsz > FOUR_GIB)
			return BAD("segment %u wraps around 4 GiB (p_paddr 0x%llx, p_memsz 0x%llx)",
				   i, (unsigned long long)s.paddr, (unsigned long long)s.memsz);
		if (!s.memsz)
			continue;
		e->loads[e->nr_loads++] = s;
	}
	if (!e->nr_loads)
		return BAD("no loadable (PT_LOAD) segment");
	qsort(e->loads, e->nr_loads, sizeof(*e->loads), cmp_seg);
	for (i = 1; i < e->nr_loads; i++)
		if (e->loads[i - 1].paddr + e->loads[i - 1].memsz > e->loads[i].paddr)
			return BAD("segments overlap (p_paddr 0x%llx+0x%llx and 0x%llx)",
				   (unsigned long long)e->loads[i - 1].paddr,
				   (unsigned long long)e->loads[i - 1].memsz,
				   (unsigned long long)e->loads[i].paddr);
	return 0;
}

/* Name of section sh (NULL when unavailable). */
static const char *section_name(const struct elf *e, const uint8_t *sh)
{
	const uint8_t *str;
	uint64_t off, size, name, i;

	if (e->shstrndx == SHN_UNDEF)
		return NULL;
	str = e->b + e->shoff + (uint64_t)e->shstrndx * e->shentsize;
	if (rd32(str + offsetof(Elf32_Shdr, sh_type)) == SHT_NOBITS)
		return NULL;
	off = rd32(str + offsetof(Elf32_Shdr, sh_offset));
	size = rd32(str + offsetof(Elf32_Shdr, sh_size));
	name = rd32(sh + offsetof(Elf32_Shdr, sh_name));
	if (!in_buf(off, size, e->len) || name >= size)
		return NULL;
	for (i = name; i < size; i++)
		if (!e->b[off + i])
			return (const char *)e->b + off + name;
	return NULL;	/* not NUL-terminated */
}

static int find_notes(const struct elf *e, struct pvmx_image_info *info, char *err)
{
	unsigned i;
	int rc;

	/* 1. PT_NOTE segments. */
	for (i = 0; i < e->phnum; i++) {
		const uint8_t *ph = e->b + e->phoff + (uint64_t)i * e->phentsize;

		if (rd32(ph + offsetof(Elf32_Phdr, p_type)) != PT_NOTE)
			continue;
		rc = parse_notes(e, rd32(ph + offsetof(Elf32_Phdr, p_offset)),
				 rd32(ph + offsetof(Elf32_Phdr, p_filesz)), "segment",
				 info, err);
		if (rc)
			return rc;
	}
	if (info->nr_notes) {
		info->source = PVMX_NOTES_PHDR;
		return 0;
	}

	/* 2. SHT_NOTE sections, loaded or not. */
	for (i = 0; i < e->shnum; i++) {
		const uint8_t *sh = e->b + e->shoff + (uint64_t)i * e->shentsize;

		if (rd32(sh + offsetof(Elf32_Shdr, sh_type)) != SHT_NOTE)
			continue;
		rc = parse_notes(e, rd32(sh + offsetof(Elf32_Shdr, sh_offset)),
				 rd32(sh + offsetof(Elf32_Shdr, sh_size)), "section",
				 info, err);
		if (rc)
			return rc;
	}
	if (info->nr_notes) {
		info->source = PVMX_NOTES_SHDR;
		return 0;
	}

	/* 3. The legacy __xen_guest section. */
	for (i = 0; i < e->shnum; i++) {
		const uint8_t *sh = e->b + e->shoff + (uint64_t)i * e->shentsize;
		const char *name = section_name(e, sh);

		if (!name || strcmp(name, "__xen_guest") ||
		    rd32(sh + offsetof(Elf32_Shdr, sh_type)) == SHT_NOBITS)
			continue;
		rc = parse_xen_guest(e->b + rd32(sh + offsetof(Elf32_Shdr, sh_offset)),
				     rd32(sh + offsetof(Elf32_Shdr, sh_size)), info, err);
		if (rc)
			return rc;
		info->source = PVMX_NOTES_XEN_GUEST;
		if (!info->nr_notes)
			return BAD("__xen_guest section is empty");
		return 0;
	}
	return BAD("not a Xen PV image (no Xen ELF notes and no __xen_guest section)");
}

/* ---------------------------------------------------------------------- */
/* Checks on the notes (elf_xen_note_check, elf_xen_addr_calc_check)       */
/* ---------------------------------------------------------------------- */

static int check_features(struct pvmx_image_info *info, char *err)
{
	const char *p = info->features;

	while (*p) {
		char name[PVMX_STR_MAX];
		size_t n = strcspn(p, "|");
		bool required = false;
		unsigned f;

		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		if (*p == '|')
			p++;
		if (name[0] == '!') {
			required = true;
			memmove(name, name + 1, n);
		}
		if (!name[0])
			continue;
		for (f = 0; f < 32; f++)
			if (xenfeat_names[f] && !strcmp(xenfeat_names[f], name))
				break;
		if (f == 32) {
			if (required)
				return BAD("image requires unknown feature \"%s\"", name);
			continue;	/* unknown optional features are ignored */
		}
		info->features_wanted |= 1u << f;
		if (required) {
			info->features_required |= 1u << f;
			if (!(pvmx_xenfeat_supported() & (1u << f))) {
				char list[128];

				supported_list(list, sizeof(list));
				return BAD("image requires feature \"%s\", which pvmx does not support (it can require only: %s)",
					   name, list);
			}
		}
	}
	return 0;
}

static int check_info(const struct elf *e, struct pvmx_image_info *info, char *err)
{
	const char *pae = info->pae_mode;
	bool pae_ok;
	int rc;

	/* Loader / OS. */
	if (strncmp(info->loader, "generic", 7) && strncmp(info->guest_os, "linux", 5))
		return BAD("LOADER \"%s\" is not \"generic\" (and GUEST_OS \"%s\" is not \"linux\")",
			   info->loader, info->guest_os);
	/* Xen version. */
	if (!info->xen_version[0])
		return BAD("no XEN_VERSION: pvmx loads images built for xen-3.0");
	if (strncmp(info->xen_version, "xen-3.0", 7))
		return BAD("XEN_VERSION \"%s\" does not start with \"xen-3.0\"",
			   info->xen_version);
	/*
	 * PAE, as elf_xen_parse_note()/elf_xen_parse_guest_info() and
	 * xc_dom_guest_type(): the note "yes" or anything containing "bimodal";
	 * the __xen_guest value anything starting with "yes".  Everything else
	 * is a non-PAE (xen-3.0-x86_32) image.
	 */
	if (info->source == PVMX_NOTES_XEN_GUEST)
		pae_ok = !strncmp(pae, "yes", 3);
	else
		pae_ok = !strcmp(pae, "yes") || strstr(pae, "bimodal");
	if (!pae[0] || !strcmp(pae, "no"))
		return BAD("image is not PAE (xen-3.0-x86_32); pvmx runs xen-3.0-x86_32p guests");
	if (!pae_ok)
		return BAD("unsupported PAE mode \"%s\"; pvmx runs xen-3.0-x86_32p guests", pae);
	/* Features. */
	if ((rc = check_features(info, err)))
		return rc;

	/* Addresses. */
	if (info->note_virt_base == PVMX_UNSET) {
		if (info->note_paddr_offset != PVMX_UNSET)
			return BAD("PADDR_OFFSET set but VIRT_BASE unset");
		info->virt_base = 0;
	} else {
		info->virt_base = info->note_virt_base;
	}
	if (info->note_paddr_offset != PVMX_UNSET)
		info->paddr_offset = info->note_paddr_offset;
	else if (info->source == PVMX_NOTES_XEN_GUEST)
		info->paddr_offset = info->virt_base;
	else
		info->paddr_offset = 0;

	if (info->virt_base >= XEN_HYPERVISOR_VIRT_START)
		return BAD("VIRT_BASE 0x%llx is in or above the hypervisor hole (0x%x)",
			   (unsigned long long)info->virt_base, XEN_HYPERVISOR_VIRT_START);
	if (info->virt_base & PAGE_MASK)
		return BAD("VIRT_BASE 0x%llx is not page aligned",
			   (unsigned long long)info->virt_base);
	info->virt_offset = info->virt_base - info->paddr_offset;
	info->pstart = e->loads[0].paddr;
	info->pend = 0;
	for (unsigned i = 0; i < e->nr_loads; i++)
		if (e->loads[i].paddr + e->loads[i].memsz > info->pend)
			info->pend = e->loads[i].paddr + e->loads[i].memsz;
	if (info->pstart < info->paddr_offset)
		return BAD("lowest p_paddr 0x%llx is below PADDR_OFFSET 0x%llx",
			   (unsigned long long)info->pstart,
			   (unsigned long long)info->paddr_offset);
	/* No wrap: pstart >= paddr_offset, so kstart = virt_base + (pstart - paddr_offset). */
	info->virt_kstart = info->virt_base + (info->pstart - info->paddr_offset);
	info->virt_kend = info->virt_base + (info->pend - info->paddr_offset);
	if (info->virt_kend > XEN_HYPERVISOR_VIRT_START)
		return BAD("image [0x%llx, 0x%llx) reaches the hypervisor hole at 0x%x",
			   (unsigned long long)info->virt_kstart,
			   (unsigned long long)info->virt_kend, XEN_HYPERVISOR_VIRT_START);
	if (info->virt_kstart & PAGE_MASK)
		return BAD("image start 0x%llx is not page aligned",
			   (unsigned long long)info->virt_kstart);

	info->entry = info->note_entry != PVMX_UNSET ? info->note_entry : e->entry;
	if (info->entry < info->virt_kstart || info->entry >= info->virt_kend)
		return BAD("entry point 0x%llx is outside the image [0x%llx, 0x%llx)",
			   (unsigned long long)info->entry,
			   (unsigned long long)info->virt_kstart,
			   (unsigned long long)info->virt_kend);
	info->hypercall_page = PVMX_UNSET;
	if (info->note_hypercall_page != PVMX_UNSET) {
		uint64_t hc = info->note_hypercall_page;

		if (hc < info->virt_kstart || hc >= info->virt_kend)
			return BAD("hypercall page 0x%llx is outside the image [0x%llx, 0x%llx)",
				   (unsigned long long)hc,
				   (unsigned long long)info->virt_kstart,
				   (unsigned long long)info->virt_kend);
		info->hypercall_page = hc & ~PAGE_MASK;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* BSD_SYMTAB (libelf-loader.c: elf_init, elf_parse_bsdsyms)              */
/* ---------------------------------------------------------------------- */

/*
 * The block elf_load_bsdsyms() writes for a 32-bit image, offsets from its
 * start (bsd_symtab_pstart, the image's end rounded up to 4 bytes):
 *
 *     0  uint32_t size: bytes from the ELF header to the end of the strtab
 *     4  Elf32_Ehdr (52 bytes), then zeroes up to sizeof(Elf64_Ehdr)
 *    68  3 Elf32_Shdr: null, symtab (sh_link 2), strtab
 *   260  the symtab (sizeof(struct elf_sym_header): the size word, an
 *        Elf64_Ehdr and 3 Elf64_Shdr, Xen's header struct being a packed
 *        union of the 32- and 64-bit layouts), then the strtab at the next
 *        4-byte boundary.
 *
 * sh_offset and e_shoff count from the ELF header.  elf_parse_bsdsyms()
 * reserves 4 + 68 + 3 * 40 bytes for the headers (not 260), so what Xen
 * reserves (bsd_symtab_pend, its virt_kend) ends 65 to 68 bytes before what
 * it writes; Xen's writes stay inside the kernel's pages unless that
 * difference crosses a page boundary, when its bounds checks drop the
 * strtab and the headers.  pvmx writes the whole block and sizes the
 * kernel's pages to cover it.
 */
#define BSD_ROUND(x)		(((x) + 3) & ~3ULL)	/* elf_round_up(), 32-bit */
#define BSD_EHDR_OFF		4
#define BSD_SHDR_OFF		68			/* e_shoff = 64 */
#define BSD_NR_SHDR		3
#define BSD_HDR_RESERVED	(4 + 68 + BSD_NR_SHDR * sizeof(Elf32_Shdr))
#define BSD_SYMTAB_OFF		(4 + 64 + BSD_NR_SHDR * 64)

static const uint8_t *shdr_at(const struct elf *e, unsigned i)
{
	return e->b + e->shoff + (uint64_t)i * e->shentsize;
}

static uint32_t sh32(const uint8_t *sh, size_t field)
{
	return rd32(sh + field);
}

/*
 * Offsets of the symtab and the strtab from bsd_symtab_pstart.  Xen rounds
 * guest pointers, i.e. pseudo-physical addresses (the kernel's first page
 * is page aligned), not p_paddr: the same unless PADDR_OFFSET is odd.
 */
static void bsd_offsets(const struct pvmx_image_info *info, uint64_t *sym_at,
			uint64_t *str_at)
{
	uint64_t hb = info->bsd_symtab_pstart - info->paddr_offset;

	*sym_at = BSD_ROUND(hb + BSD_SYMTAB_OFF) - hb;
	*str_at = BSD_ROUND(hb + *sym_at + info->bsd_symtab_size) - hb;
}

/*
 * Find the symtab as elf_init() does (the first SHT_SYMTAB from section 1)
 * and size the block as elf_parse_bsdsyms() does.  Where Xen's libelf
 * silently loads no symbols because the symtab's sh_link is out of range or
 * names no SHT_STRTAB, pvmx refuses the image (as it refuses every other
 * malformed section table); an image without a symtab (stripped) loads
 * without symbols, as on Xen.
 */
static int parse_bsdsyms(const struct elf *e, struct pvmx_image_info *info, char *err)
{
	const uint8_t *sym = NULL, *str;
	unsigned i, link;
	uint64_t pstart, sz, sym_at, str_at, end, top;

	if (!info->bsd_symtab)
		return 0;
	for (i = 1; i < e->shnum; i++) {
		if (sh32(shdr_at(e, i), offsetof(Elf32_Shdr, sh_type)) == SHT_SYMTAB) {
			sym = shdr_at(e, i);
			break;
		}
	}
	if (!sym)
		return 0;	/* stripped: nothing to load */
	link = sh32(sym, offsetof(Elf32_Shdr, sh_link));
	if (link == SHN_UNDEF || link >= e->shnum)
		return BAD("BSD_SYMTAB: the symbol table (section %u) links to section %u, out of range (%u sections)",
			   i, link, e->shnum);
	str = shdr_at(e, link);
	if (sh32(str, offsetof(Elf32_Shdr, sh_type)) != SHT_STRTAB)
		return BAD("BSD_SYMTAB: the symbol table (section %u) links to section %u, which is not a string table (sh_type %u)",
			   i, link, sh32(str, offsetof(Elf32_Shdr, sh_type)));

	info->bsd_symtab_loaded = true;
	info->bsd_symtab_shndx = i;
	info->bsd_strtab_shndx = link;
	/* Both inside the file (parse_headers() checked every section). */
	info->bsd_symtab_size = sh32(sym, offsetof(Elf32_Shdr, sh_size));
	info->bsd_strtab_size = sh32(str, offsetof(Elf32_Shdr, sh_size));

	pstart = BSD_ROUND(info->pend);
	sz = BSD_ROUND(BSD_HDR_RESERVED);
	sz = BSD_ROUND(sz + info->bsd_symtab_size);
	sz = BSD_ROUND(sz + info->bsd_strtab_size);
	info->bsd_symtab_pstart = pstart;
	info->bsd_symtab_pend = pstart + sz;
	bsd_offsets(info, &sym_at, &str_at);
	end = pstart + str_at + info->bsd_strtab_size;
	info->bsd_symtab_end = end;

	/* Xen's virt_kend; the region must also hold what is written. */
	info->virt_kend = info->bsd_symtab_pend + info->virt_offset;
	top = (end > info->bsd_symtab_pend ? end : info->bsd_symtab_pend) + info->virt_offset;
	if (top > XEN_HYPERVISOR_VIRT_START)
		return BAD("image with its BSD symbols [0x%llx, 0x%llx) reaches the hypervisor hole at 0x%x",
			   (unsigned long long)info->virt_kstart, (unsigned long long)top,
			   XEN_HYPERVISOR_VIRT_START);
	return 0;
}

static void info_init(struct pvmx_image_info *info)
{
	memset(info, 0, sizeof(*info));
	info->note_entry = PVMX_UNSET;
	info->note_virt_base = PVMX_UNSET;
	info->note_paddr_offset = PVMX_UNSET;
	info->note_hypercall_page = PVMX_UNSET;
	info->hypercall_page = PVMX_UNSET;
}

static int parse(struct elf *e, const void *buf, size_t len,
		 struct pvmx_image_info *info, char *err)
{
	int rc;

	memset(e, 0, sizeof(*e));
	info_init(info);
	if (!buf)
		len = 0;
	e->b = buf;
	e->len = len;
	if (len > 0xFFFFFFFFULL)
		return BAD("image larger than 4 GiB");
	if ((rc = parse_headers(e, err)))
		return rc;
	info->e_machine = EM_386;
	info->nr_load = e->nr_loads;
	if ((rc = find_notes(e, info, err)))
		return rc;
	if ((rc = check_info(e, info, err)))
		return rc;
	return parse_bsdsyms(e, info, err);
}

int pvmx_parse_image(const void *elf, size_t len, struct pvmx_image_info *info,
		     char *err)
{
	struct elf e;
	int rc = parse(&e, elf, len, info, err);

	free(e.loads);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Building the start-of-day image                                        */
/* ---------------------------------------------------------------------- */

struct builder {
	uint8_t *ram;
	uint64_t nr_pages;
	const uint32_t *p2m;
};

static uint64_t mfn(const struct builder *bd, uint64_t pfn)
{
	return bd->p2m ? bd->p2m[pfn] : pfn;
}

static uint8_t *page(const struct builder *bd, uint64_t pfn)
{
	return bd->ram + (mfn(bd, pfn) << PAGE_SHIFT);
}

/* Write n bytes (src, or zeroes when src is NULL) at pseudo-physical addr. */
static void put(const struct builder *bd, uint64_t addr, const uint8_t *src, uint64_t n)
{
	while (n) {
		uint64_t in_page = PAGE_SIZE - (addr & PAGE_MASK);
		uint64_t chunk = n < in_page ? n : in_page;
		uint8_t *dst = page(bd, addr >> PAGE_SHIFT) + (addr & PAGE_MASK);

		if (src) {
			memcpy(dst, src, chunk);
			src += chunk;
		} else {
			memset(dst, 0, chunk);
		}
		addr += chunk;
		n -= chunk;
	}
}

/* Little-endian stores into a header being built. */
static void st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void st32(uint8_t *p, uint32_t v)
{
	st16(p, (uint16_t)v);
	st16(p + 2, (uint16_t)(v >> 16));
}

/* Write the BSD_SYMTAB block elf_load_bsdsyms() writes (see parse_bsdsyms()). */
static void load_bsdsyms(const struct builder *bd, const struct elf *e,
			 const struct pvmx_image_info *info)
{
	uint8_t hdr[BSD_SYMTAB_OFF];
	const uint8_t *sym = shdr_at(e, info->bsd_symtab_shndx);
	const uint8_t *str = shdr_at(e, info->bsd_strtab_shndx);
	uint64_t base = info->bsd_symtab_pstart - info->paddr_offset;
	uint64_t symtab, strtab;
	uint8_t *eh = hdr + BSD_EHDR_OFF;
	uint8_t *sh1 = hdr + BSD_SHDR_OFF + sizeof(Elf32_Shdr);
	uint8_t *sh2 = sh1 + sizeof(Elf32_Shdr);

	bsd_offsets(info, &symtab, &strtab);
	memset(hdr, 0, sizeof(hdr));
	st32(hdr, (uint32_t)(strtab + info->bsd_strtab_size - BSD_EHDR_OFF));
	/* The image's ELF header, fixed up as Xen does. */
	memcpy(eh, e->b, sizeof(Elf32_Ehdr));
	st16(eh + offsetof(Elf32_Ehdr, e_ehsize), sizeof(Elf32_Ehdr));
	st16(eh + offsetof(Elf32_Ehdr, e_shentsize), sizeof(Elf32_Shdr));
	st32(eh + offsetof(Elf32_Ehdr, e_version), EV_CURRENT);
	st32(eh + offsetof(Elf32_Ehdr, e_shoff), BSD_SHDR_OFF - BSD_EHDR_OFF);
	st16(eh + offsetof(Elf32_Ehdr, e_shnum), BSD_NR_SHDR);
	st32(eh + offsetof(Elf32_Ehdr, e_phoff), 0);
	st16(eh + offsetof(Elf32_Ehdr, e_phentsize), 0);
	st16(eh + offsetof(Elf32_Ehdr, e_phnum), 0);
	st16(eh + offsetof(Elf32_Ehdr, e_shstrndx), 0);
	/* Section 0 stays zero; 1 and 2 are copies, offsets from the ELF header. */
	memcpy(sh1, sym, sizeof(Elf32_Shdr));
	st32(sh1 + offsetof(Elf32_Shdr, sh_offset), (uint32_t)(symtab - BSD_EHDR_OFF));
	st32(sh1 + offsetof(Elf32_Shdr, sh_link), 2);
	memcpy(sh2, str, sizeof(Elf32_Shdr));
	st32(sh2 + offsetof(Elf32_Shdr, sh_offset), (uint32_t)(strtab - BSD_EHDR_OFF));

	put(bd, base, hdr, sizeof(hdr));
	put(bd, base + symtab, e->b + sh32(sym, offsetof(Elf32_Shdr, sh_offset)),
	    info->bsd_symtab_size);
	put(bd, base + strtab, e->b + sh32(str, offsetof(Elf32_Shdr, sh_offset)),
	    info->bsd_strtab_size);
}

static void wr64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));	/* little-endian host */
}

static void region(struct pvmx_region *r, const struct pvmx_image_info *info,
		   uint64_t pfn, uint64_t nr)
{
	r->pfn = pfn;
	r->nr = nr;
	r->va = info->virt_base + (pfn << PAGE_SHIFT);
}

/* Page tables needed to map [from, to] (to inclusive), as count_pgtables(). */
static void count_pgtables(uint64_t from, uint64_t to, unsigned *nl2, unsigned *nl1)
{
	uint64_t l2_from = from & ~(GIB - 1), l2_to = to | (GIB - 1);
	uint64_t l1_from = from & ~((2ULL << 20) - 1), l1_to = to | ((2ULL << 20) - 1);

	/* Xen's "extra l2 page table for l3#3": L2s up to the 4th GiB. */
	if (to < 0xC0000000ULL)
		l2_to = FOUR_GIB - 1;
	*nl2 = (unsigned)(((l2_to - l2_from) >> 30) + 1);
	*nl1 = (unsigned)(((l1_to - l1_from) >> 21) + 1);
}

static void build_pgtables(const struct builder *bd, struct pvmx_layout *L)
{
	const struct pvmx_image_info *info = &L->image;
	uint64_t l3 = L->pgtables.pfn, l2 = l3 + 1, l1 = l2 + L->nr_l2;
	uint64_t slot0 = info->virt_base >> 30;
	uint64_t l1_from = info->virt_base & ~((2ULL << 20) - 1);
	uint64_t i;

	for (i = 0; i < L->pgtables.nr; i++)
		memset(page(bd, l3 + i), 0, PAGE_SIZE);
	/* L3: the L2s, from the first slot the mapping touches up to slot 3. */
	for (i = 0; i < L->nr_l2; i++)
		wr64(page(bd, l3) + (slot0 + i) * 8, mfn(bd, l2 + i) << PAGE_SHIFT | L3_PROT);
	/* L2s: the L1s. */
	for (i = 0; i < L->nr_l1; i++) {
		uint64_t va = l1_from + (i << 21);
		uint64_t which = (va >> 30) - slot0;

		wr64(page(bd, l2 + which) + ((va >> 21) & 511) * 8,
		     mfn(bd, l1 + i) << PAGE_SHIFT | L2_PROT);
	}
	/* L1s: every page of the mapped region, page tables read-only. */
	for (i = 0; i < L->mapped_pages; i++) {
		uint64_t va = info->virt_base + (i << PAGE_SHIFT);
		uint64_t which = (va - l1_from) >> 21;
		bool pt = i >= L->pgtables.pfn && i < L->pgtables.pfn + L->pgtables.nr;

		wr64(page(bd, l1 + which) + ((va >> PAGE_SHIFT) & 511) * 8,
		     mfn(bd, i) << PAGE_SHIFT | (pt ? L1_PROT_RO : L1_PROT));
	}
}

int pvmx_build_image(const void *elfbuf, size_t len, void *ram, uint64_t ram_size,
		     const struct pvmx_load_opts *opts, struct pvmx_layout *L,
		     char *err)
{
	static const struct pvmx_load_opts no_opts;
	const struct pvmx_image_info *info = &L->image;
	struct builder bd;
	struct elf e;
	struct xen_start_info si;
	const char *cmdline;
	uint64_t alloc, pages, try_end, extra, i, need, kend, rd_pages = 0;
	unsigned nl2 = 0, nl1 = 0, pgt;
	int rc;

	memset(L, 0, sizeof(*L));
	if (!opts)
		opts = &no_opts;
	cmdline = opts->cmdline ? opts->cmdline : "";
	if (strlen(cmdline) >= XEN_MAX_GUEST_CMDLINE)
		return errf(err, -EINVAL, "command line too long (%zu bytes, at most %d)",
			    strlen(cmdline), XEN_MAX_GUEST_CMDLINE - 1);
	if (!ram_size || (ram_size & PAGE_MASK) || ram_size > FOUR_GIB)
		return errf(err, -EINVAL, "bad guest memory size 0x%llx",
			    (unsigned long long)ram_size);
	if (opts->shared_info_gpa >= FOUR_GIB)
		return errf(err, -EINVAL, "shared_info_gpa 0x%llx above 4 GiB",
			    (unsigned long long)opts->shared_info_gpa);
	if (opts->ramdisk) {
		/* xc_dom_malloc_filemap() refuses an empty module. */
		if (!opts->ramdisk_len)
			return errf(err, -EINVAL, "the ramdisk is empty (zero length)");
		if (opts->ramdisk_len > ram_size)
			return errf(err, -ENOMEM,
				    "guest memory too small: the ramdisk alone is %llu KiB, have %llu KiB",
				    (unsigned long long)((opts->ramdisk_len + 1023) >> 10),
				    (unsigned long long)(ram_size >> 10));
		rd_pages = (opts->ramdisk_len + PAGE_MASK) >> PAGE_SHIFT;
	}

	bd.ram = ram;
	bd.nr_pages = ram_size >> PAGE_SHIFT;
	bd.p2m = opts->p2m;
	if (bd.p2m) {	/* must be a permutation of 0..nr_pages-1 */
		uint8_t *seen = calloc(bd.nr_pages, 1);

		if (!seen)
			return errf(err, -ENOMEM, "out of memory");
		for (i = 0; i < bd.nr_pages; i++) {
			if (bd.p2m[i] >= bd.nr_pages || seen[bd.p2m[i]]) {
				free(seen);
				return errf(err, -EINVAL, "p2m is not a permutation (entry %llu)",
					    (unsigned long long)i);
			}
			seen[bd.p2m[i]] = 1;
		}
		free(seen);
	}

	rc = parse(&e, elfbuf, len, &L->image, err);
	if (rc)
		goto out;
	L->nr_pages = bd.nr_pages;

	/*
	 * Plan: kernel (and its BSD symbols), ramdisk unless unmapped, P2M,
	 * start_info, xenstore, console (xc_dom_build_image).
	 */
	kend = info->virt_kend;
	if (info->bsd_symtab_loaded && info->bsd_symtab_end + info->virt_offset > kend)
		kend = info->bsd_symtab_end + info->virt_offset;
	region(&L->kernel, info, (info->virt_kstart - info->virt_base) >> PAGE_SHIFT,
	       (kend - info->virt_kstart + PAGE_MASK) >> PAGE_SHIFT);
	alloc = L->kernel.pfn + L->kernel.nr;
	if (opts->ramdisk && !info->unmapped_initrd) {
		/* xc_dom_build_module(): mod_start the VA, mod_len the size. */
		region(&L->ramdisk, info, alloc, rd_pages);
		alloc += rd_pages;
		L->mod_start = (uint32_t)L->ramdisk.va;
		L->mod_len = (uint32_t)opts->ramdisk_len;
	}
	region(&L->p2m, info, alloc, (bd.nr_pages * 4 + PAGE_MASK) >> PAGE_SHIFT);
	alloc += L->p2m.nr;
	region(&L->start_info, info, alloc++, 1);
	region(&L->store, info, alloc++, 1);
	region(&L->console, info, alloc++, 1);

	/* Page tables and the 4 MiB-rounded mapping (alloc_pgtables_pv). */
	alloc = info->virt_base + (alloc << PAGE_SHIFT);	/* now a VA */
	extra = 1 + EXTRA_FREE_PAGES;	/* boot stack + 512 KiB */
	pages = extra;
	for (;;) {
		try_end = (alloc + pages * PAGE_SIZE) | ((4ULL << 20) - 1);
		if (try_end >= XEN_HYPERVISOR_VIRT_START) {
			rc = BAD("start-of-day mapping from VIRT_BASE 0x%llx reaches the hypervisor hole at 0x%x",
				 (unsigned long long)info->virt_base, XEN_HYPERVISOR_VIRT_START);
			goto out;
		}
		count_pgtables(info->virt_base, try_end, &nl2, &nl1);
		pgt = 1 + nl2 + nl1;
		pages = pgt + extra;
		if (alloc + pages * PAGE_SIZE <= try_end + 1)
			break;
	}
	L->nr_l2 = nl2;
	L->nr_l1 = nl1;
	region(&L->pgtables, info, (alloc - info->virt_base) >> PAGE_SHIFT, pgt);
	region(&L->stack, info, L->pgtables.pfn + pgt, 1);
	L->virt_mapped_end = try_end + 1;
	L->mapped_pages = (L->virt_mapped_end - info->virt_base) >> PAGE_SHIFT;

	need = L->mapped_pages << PAGE_SHIFT;
	if (L->mapped_pages > bd.nr_pages) {
		rc = errf(err, -ENOMEM,
			  "guest memory too small: the start-of-day image%s needs %llu KiB (%llu MiB), have %llu KiB",
			  L->ramdisk.nr ? " (with the ramdisk)" : "",
			  (unsigned long long)(need >> 10),
			  (unsigned long long)((need + (1 << 20) - 1) >> 20),
			  (unsigned long long)(ram_size >> 10));
		goto out;
	}
	if (opts->ramdisk && info->unmapped_initrd) {
		/*
		 * MOD_START_PFN: after the mapping, unmapped; mod_start the pfn,
		 * mod_len whole pages, SIF_MOD_START_PFN (xc_dom_build_image).
		 */
		if (rd_pages > bd.nr_pages - L->mapped_pages) {
			need = (L->mapped_pages + rd_pages) << PAGE_SHIFT;
			rc = errf(err, -ENOMEM,
				  "guest memory too small: the start-of-day image and the ramdisk (placed after it: MOD_START_PFN) need %llu KiB (%llu MiB), have %llu KiB",
				  (unsigned long long)(need >> 10),
				  (unsigned long long)((need + (1 << 20) - 1) >> 20),
				  (unsigned long long)(ram_size >> 10));
			goto out;
		}
		region(&L->ramdisk, info, L->mapped_pages, rd_pages);
		L->ramdisk_unmapped = true;
		L->si_flags |= SIF_MOD_START_PFN;
		L->mod_start = (uint32_t)L->ramdisk.pfn;
		L->mod_len = (uint32_t)(rd_pages << PAGE_SHIFT);
	}
	/* Only now is the L3's pfn known to be inside the p2m. */
	L->l3_gpa = mfn(&bd, L->pgtables.pfn) << PAGE_SHIFT;

	/* Kernel: zero its pages, then copy the segments (bss stays zero). */
	put(&bd, L->kernel.pfn << PAGE_SHIFT, NULL, L->kernel.nr << PAGE_SHIFT);
	for (i = 0; i < e.nr_loads; i++) {
		const struct seg *s = &e.loads[i];

		put(&bd, s->paddr - info->paddr_offset, e.b + s->offset, s->filesz);
	}
	if (info->bsd_symtab_loaded)
		load_bsdsyms(&bd, &e, info);

	/* Ramdisk: its pages zeroed, then the file (xc_dom_alloc_segment). */
	if (L->ramdisk.nr) {
		put(&bd, L->ramdisk.pfn << PAGE_SHIFT, NULL, L->ramdisk.nr << PAGE_SHIFT);
		put(&bd, L->ramdisk.pfn << PAGE_SHIFT, opts->ramdisk, opts->ramdisk_len);
	}

	/* P2M: nr_pages u32 entries, the rest of the last page 0xFFFFFFFF. */
	for (i = 0; i < L->p2m.nr * (PAGE_SIZE / 4); i++) {
		uint32_t v = i < bd.nr_pages ? (uint32_t)mfn(&bd, i) : 0xFFFFFFFFu;

		memcpy(page(&bd, L->p2m.pfn + i / 1024) + (i % 1024) * 4, &v, 4);
	}

	/* start_info. */
	memset(&si, 0, sizeof(si));
	memcpy(si.magic, XEN_START_INFO_MAGIC, sizeof(XEN_START_INFO_MAGIC));
	si.nr_pages = (uint32_t)bd.nr_pages;
	si.shared_info = (uint32_t)opts->shared_info_gpa;
	si.flags = L->si_flags;
	si.mod_start = L->mod_start;
	si.mod_len = L->mod_len;
	si.store_mfn = (uint32_t)mfn(&bd, L->store.pfn);
	si.store_evtchn = PVMX_STORE_EVTCHN;
	si.console_mfn = (uint32_t)mfn(&bd, L->console.pfn);
	si.console_evtchn = PVMX_CONSOLE_EVTCHN;
	si.pt_base = (uint32_t)L->pgtables.va;
	si.nr_pt_frames = pgt;
	si.mfn_list = (uint32_t)L->p2m.va;
	memcpy(si.cmd_line, cmdline, strlen(cmdline) + 1);
	memset(page(&bd, L->start_info.pfn), 0, PAGE_SIZE);
	memcpy(page(&bd, L->start_info.pfn), &si, sizeof(si));

	/* Rings and stack, zeroed. */
	memset(page(&bd, L->store.pfn), 0, PAGE_SIZE);
	memset(page(&bd, L->console.pfn), 0, PAGE_SIZE);
	memset(page(&bd, L->stack.pfn), 0, PAGE_SIZE);

	build_pgtables(&bd, L);

	/* Initial registers (vcpu_x86_32). */
	L->regs.eip = (uint32_t)info->entry;
	L->regs.esp = (uint32_t)(info->virt_base + ((L->stack.pfn + 1) << PAGE_SHIFT));
	L->regs.esi = (uint32_t)L->start_info.va;
	L->regs.eflags = 0x200;
	L->regs.cs = FLAT_RING1_CS;
	L->regs.ds = L->regs.es = L->regs.fs = L->regs.gs = L->regs.ss = FLAT_RING1_DS;
	L->regs.cr3 = L->l3_gpa;
	L->regs.kernel_ss = L->regs.ss;
	L->regs.kernel_sp = L->regs.esp;

	/* What the module needs. */
	L->boot.hypercall_page_gpa = info->hypercall_page == PVMX_UNSET ? PVMX_NO_PAGE :
		mfn(&bd, (info->hypercall_page - info->virt_base) >> PAGE_SHIFT) << PAGE_SHIFT;
	L->boot.start_info_gpa = mfn(&bd, L->start_info.pfn) << PAGE_SHIFT;
	L->boot.console_gpa = mfn(&bd, L->console.pfn) << PAGE_SHIFT;
	L->boot.store_gpa = mfn(&bd, L->store.pfn) << PAGE_SHIFT;
	L->boot.p2m = (uint64_t)(uintptr_t)opts->p2m;
	L->boot.nr_pfns = bd.nr_pages;
	L->boot.console_evtchn = PVMX_CONSOLE_EVTCHN;
	L->boot.store_evtchn = PVMX_STORE_EVTCHN;
	L->boot.domid = PVMX_DOMID;
	L->boot.flags = opts->boot_flags;
	rc = 0;
out:
	free(e.loads);
	return rc;
}
