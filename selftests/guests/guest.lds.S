/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Linker script of the test guests, run through cpp:
 *   LINK_BASE     VA of the image's first byte (0x100000 like XTF)
 *   VIRT_BASE     VA of pseudo-physical 0 (the VIRT_BASE note)
 *   NOTES_SHT     Xen notes only in a non-allocated SHT_NOTE section, no PT_NOTE
 *   NOTES_LEGACY  no notes; the __xen_guest section instead
 * Two PT_LOADs (text RX, data RW) so malformed images can make them overlap.
 */
OUTPUT_FORMAT("elf32-i386")
OUTPUT_ARCH(i386)
ENTRY(_start)

PHDRS
{
	text PT_LOAD FLAGS(5);
	data PT_LOAD FLAGS(6);
#if !defined(NOTES_SHT) && !defined(NOTES_LEGACY)
	note PT_NOTE FLAGS(4);
#endif
}

SECTIONS
{
	. = LINK_BASE;
	__virt_base = VIRT_BASE;
	_image_start = .;
	.text : {
		*(.text.head)
		. = ALIGN(4096);
		*(.hypercall_page)
		*(.text .text.*)
	} :text
	.rodata : { *(.rodata .rodata.*) } :text
#if !defined(NOTES_SHT) && !defined(NOTES_LEGACY)
	.note.Xen : { *(.note.Xen) } :text :note
#endif
	/* Pages ring3.elf maps with _PAGE_USER. */
	. = ALIGN(4096);
	.user_text : {
		user_text_start = .;
		*(.user_text)
		. = ALIGN(4096);
		user_text_end = .;
	} :text
	. = ALIGN(4096);
	_data_start = .;
	.data : { *(.data .data.*) } :data
	.bss : { *(.bss .bss.* COMMON) } :data
	. = ALIGN(4096);
	_end = .;

#ifdef NOTES_SHT
	/* Non-allocated input (notes.c -DNOTES_SHT): stays SHT_NOTE, no segment. */
	.note.Xen 0 : { *(.note.Xen) }
#endif
#ifdef NOTES_LEGACY
	__xen_guest 0 (INFO) : { *(__xen_guest) }
#endif
	/DISCARD/ : {
		*(.note.GNU-stack) *(.note.gnu.property) *(.comment)
		*(.eh_frame) *(.eh_frame_hdr)
	}
}

ASSERT(hypercall_page == LINK_BASE + 0x1000, "hypercall_page must be the image's second page")
ASSERT(_start == LINK_BASE, "_start must be the image's first byte")
