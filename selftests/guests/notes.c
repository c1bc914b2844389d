// SPDX-License-Identifier: GPL-2.0
/*
 * The Xen ELF notes (or the legacy __xen_guest string) of a test guest.
 *
 * Default: notes GUEST_OS "pvmx-test", XEN_VERSION "xen-3.0", LOADER
 * "generic", PAE_MODE "yes", HYPERCALL_PAGE, VIRT_BASE and ENTRY in the
 * allocated .note.Xen section, which the linker script also puts in a
 * PT_NOTE segment.
 *
 * -DNOTES_SHT           notes in a non-allocated SHT_NOTE section, for an
 *                       image without PT_NOTE (notes_section.elf)
 *
 * -DGUEST_FEATURES=\"...\"  also emit a FEATURES note (ptwr.elf: XTF's)
 * -DGUEST_VIRT_BASE=x   VIRT_BASE note value (default 0)
 * -DGUEST_PADDR_OFFSET=x  also emit a PADDR_OFFSET note
 * -DNOTES_LEGACY -DLEGACY_HCALL_PAGE=\"0x101\"  only a __xen_guest section
 */
#include "runtime.h"

extern u8 _start[];

#ifndef GUEST_VIRT_BASE
#define GUEST_VIRT_BASE 0
#endif

#define __stringify_1(x) #x
#define __stringify(x) __stringify_1(x)

#ifndef NOTES_LEGACY

#ifdef NOTES_SHT
/*
 * A non-allocated SHT_NOTE section: the flags GCC appends after the name are
 * commented out ('#' starts a comment in x86 gas).
 */
#define NOTE_SECTION	".note.Xen,\"\",@note #"
#else
#define NOTE_SECTION	".note.Xen"
#endif

#define NOTE_STR(var, type, str)					\
	static const struct {						\
		u32 namesz, descsz, ntype;				\
		char name[4];						\
		char desc[(sizeof(str) + 3) & ~3u];			\
	} var __attribute__((section(NOTE_SECTION), used, aligned(4))) = \
		{ 4, sizeof(str), type, "Xen", str }

#define NOTE_NUM(var, type, val)					\
	static const struct {						\
		u32 namesz, descsz, ntype;				\
		char name[4];						\
		u32 desc;						\
	} var __attribute__((section(NOTE_SECTION), used, aligned(4))) = \
		{ 4, 4, type, "Xen", (u32)(val) }

NOTE_STR(note_guest_os, XEN_ELFNOTE_GUEST_OS, "pvmx-test");
NOTE_STR(note_xen_version, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
NOTE_STR(note_loader, XEN_ELFNOTE_LOADER, "generic");
NOTE_STR(note_pae_mode, XEN_ELFNOTE_PAE_MODE, "yes");
NOTE_NUM(note_hypercall_page, XEN_ELFNOTE_HYPERCALL_PAGE, hypercall_page);
NOTE_NUM(note_virt_base, XEN_ELFNOTE_VIRT_BASE, GUEST_VIRT_BASE);
#ifdef GUEST_FEATURES
NOTE_STR(note_features, XEN_ELFNOTE_FEATURES, GUEST_FEATURES);
#endif
#ifdef GUEST_PADDR_OFFSET
NOTE_NUM(note_paddr_offset, XEN_ELFNOTE_PADDR_OFFSET, GUEST_PADDR_OFFSET);
#endif
NOTE_NUM(note_entry, XEN_ELFNOTE_ENTRY, _start);

#else /* NOTES_LEGACY */

/* HYPERCALL_PAGE: a page number relative to VIRT_BASE (xen/common/libelf/libelf-dominfo.c). */
static const char xen_guest[] __attribute__((section("__xen_guest"), used)) =
	"GUEST_OS=pvmx-test,XEN_VER=xen-3.0,LOADER=generic,PAE=yes,"
	"VIRT_BASE=" __stringify(GUEST_VIRT_BASE) ",ELF_PADDR_OFFSET="
	__stringify(GUEST_VIRT_BASE) ",HYPERCALL_PAGE=" LEGACY_HCALL_PAGE;

#endif
