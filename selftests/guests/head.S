/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry point of every pvmx test guest.  The hypervisor starts us in ring 1
 * (CS = FLAT_RING1_CS) with ESI = the start_info VA and ESP = the top of the
 * boot stack page; we switch to our own stack in .bss and go to C.
 *
 * The Xen ELF notes are in notes.c; the hypercall page is here.
 */
	.code32
	.section .text.head, "ax"
	.globl _start
_start:
	cld
	mov	$boot_stack_top, %esp
	xor	%ebp, %ebp
	push	%esi			/* struct xen_start_info * */
	call	guest_start
	ud2

/*
 * The hypercall page: the hypervisor overwrites it with 128 32-byte stubs
 * before the first instruction.  It ships as `ret` (0xC3) so guest_start()
 * can tell whether it was filled (like XTF).  The linker script places it at
 * the image's second page and asserts so (notes_legacy's __xen_guest string
 * names it by page number).
 */
	.section .hypercall_page, "ax"
	.balign 4096
	.globl hypercall_page
hypercall_page:
	.fill 4096, 1, 0xc3

	.section .note.GNU-stack, "", @progbits

	.section .bss.stack, "aw", @nobits
	.balign 16
	.globl boot_stack, boot_stack_top	/* runtime.c: vCPU 0's stack */
boot_stack:
	.skip 16384
boot_stack_top:
