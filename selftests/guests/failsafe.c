// SPDX-License-Identifier: GPL-2.0
/*
 * The failsafe callback (Documentation/guest-abi.rst "Bounce frames", "iret"):
 *   (default)         iret hypercall to CS 0x0069 (RPL 1, not loadable): the
 *                     failsafe callback (CALLBACKF_mask_events) runs with the
 *                     frame DS ES FS GS EIP CS EFLAGS, EIP/CS from the iret
 *                     frame, EAX restored, events masked on entry
 *   mode=nofailsafe   the same without a failsafe callback: crash (exit 20)
 *   mode=badstack     #UD handler registered, ESP on a read-only page (the L3
 *                     at start_info->pt_base), ud2: crash, "cannot write the frame"
 */
#include "runtime.h"

u32 fs_esp, fs_words[8], fs_mask, fs_eax, fs_count, saved_esp, iret_esp;
void bad_iret(void);
extern u8 fs_handler[], fs_back[];

/*
 * bad_iret(): build [EIP 0x00badbad, CS 0x0069, EFLAGS 0x202] on the stack,
 * EAX = 0x1234abcd, jump to the iret slot.  The failsafe handler records the
 * frame and returns here through saved_esp.
 */
asm(".text\n"
    "bad_iret:\n"
    "	push %ebp\n	push %ebx\n	push %esi\n	push %edi\n"
    "	push %es\n	push %fs\n	push %gs\n"
    "	mov %esp, saved_esp\n"
    "	mov $0xE033, %eax\n	mov %eax, %es\n	mov %eax, %fs\n"
    "	xor %eax, %eax\n	mov %eax, %gs\n"
    "	push $0x202\n	push $0x0069\n	push $0x00badbad\n"
    "	mov %esp, iret_esp\n"
    "	mov $0x1234abcd, %eax\n"
    "	jmp hypercall_page + 23 * 32\n"
    "fs_handler:\n"
    "	mov %eax, fs_eax\n"
    "	mov %esp, fs_esp\n"
    "	incl fs_count\n"
    "	mov $0, %ecx\n"
    "1:	mov (%esp,%ecx,4), %eax\n"
    "	mov %eax, fs_words(,%ecx,4)\n"
    "	inc %ecx\n	cmp $8, %ecx\n	jne 1b\n"
    "	mov shared_info, %eax\n"
    "	movzbl 1(%eax), %eax\n"
    "	mov %eax, fs_mask\n"
    "fs_back:\n"
    "	mov saved_esp, %esp\n"
    "	pop %gs\n	pop %fs\n	pop %es\n"
    "	pop %edi\n	pop %esi\n	pop %ebx\n	pop %ebp\n"
    "	ret\n");

static void mode_default(void)
{
	struct xen_callback_register r = { CALLBACKTYPE_failsafe, CALLBACKF_mask_events,
				       FLAT_RING1_CS, (u32)fs_handler };
	u32 ds;
	int ok;

	test_plan(6);
	CHECK(map_shared_info(), "map_shared_info");
	CHECK_EQ(callback_op(CALLBACKOP_register, &r), 0, "register_failsafe_mask_events");
	set_upcall_mask(0);
	bad_iret();
	set_upcall_mask(1);
	asm volatile("mov %%ds, %0" : "=r"(ds));
	CHECK_EQ(fs_count, 1, "failsafe_callback_ran_once");
	ok = check_word("DS", fs_words[0], ds & 0xffff);
	ok &= check_word("ES", fs_words[1], FLAT_RING3_DS);
	ok &= check_word("FS", fs_words[2], FLAT_RING3_DS);
	ok &= check_word("GS", fs_words[3], 0);
	ok &= check_word("EIP (from the iret frame)", fs_words[4], 0x00badbad);
	ok &= check_word("CS word (iret frame CS, saved mask 0)", fs_words[5], 0x0069);
	ok &= check_word("EFLAGS.IF (= !saved mask)", fs_words[6] & EFLAGS_IF, EFLAGS_IF);
	CHECK(ok, "failsafe_frame_ds_es_fs_gs_eip_cs_eflags");
	/* The iret popped its 16 bytes (EAX EIP CS EFLAGS): the frame (7 words) sits
	 * right below where the iret frame ended. */
	ok = check_word("failsafe frame ESP", fs_esp, iret_esp + 12 - 28);
	ok &= check_word("EAX (restored by the iret)", fs_eax, 0x1234abcd);
	CHECK(ok, "failsafe_frame_position_and_eax");
	CHECK_EQ(fs_mask, 1, "failsafe_mask_events_masked_on_entry");
}

static void mode_nofailsafe(void)
{
	printf("failsafe: iret to cs 0x0069 without a failsafe callback; expect a crash\n");
	bad_iret();
	printf("failsafe: FAIL: the bad iret returned (%u failsafe runs)\n", fs_count);
}

static void mode_badstack(void)
{
	static struct xen_trap_info ud[] = {
		{ 6, 0, FLAT_RING1_CS, (u32)trap_stub_6 }, { 0, 0, 0, 0 }
	};
	struct xen_callback_register r = { CALLBACKTYPE_failsafe, 0, FLAT_RING1_CS,
					   (u32)fs_handler };
	u32 ro = start_info->pt_base + 0x800;

	set_trap_table(ud);
	callback_op(CALLBACKOP_register, &r);
	printf("failsafe: ud2 with esp 0x%x (read-only page-table page); expect a crash\n", ro);
	asm volatile("mov %%esp, saved_esp\n\t"
		     "mov %0, %%esp\n\t"
		     "ud2\n\t"
		     "mov saved_esp, %%esp" : : "r"(ro) : "memory");
	printf("failsafe: FAIL: the #UD frame was written (%u traps, %u failsafe runs)\n",
	       trap_count, fs_count);
}

void test_main(void)
{
	const char *cl = start_info->cmd_line;

	if (strstr(cl, "mode=nofailsafe"))
		mode_nofailsafe();
	else if (strstr(cl, "mode=badstack"))
		mode_badstack();
	else
		mode_default();
	if (strstr(cl, "mode="))
		shutdown(SHUTDOWN_crash);
}
