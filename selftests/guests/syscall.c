// SPDX-License-Identifier: GPL-2.0
/*
 * syscall: ring-3 "system calls" through `int $0x80`
 * (Documentation/guest-abi.rst "Software interrupts"), with events unmasked,
 * the way a PV Linux runs user mode.
 *
 * Vector 0x80 has DPL 3 and a flat ring-1 handler that does not mask events
 * (flags bit 2 clear); stack_switch gives the ring-1 stack; the upcall mask
 * is 0 (nothing is bound, so no event callback is needed).  Ring 3 then makes
 * n (cmdline n=, default 1000) calls with EAX = call number 1..n; the handler
 * returns EAX * 2.  Every `every`-th call (cmdline every=, default 50)
 * returns with the iret hypercall, the others with a hardware iret from ring
 * 1 to ring 3; ring 3 checks each result, that EBX/ESI/EDI/EBP survived and
 * its ESP/SS/CS after the return.  The handler checks every frame on the
 * stack_switch stack against Xen's: EIP after the int, CS word exactly
 * 0xE02B (bits 16-23 = saved mask 0, bits 24-31 = 0), EFLAGS.IF set (mask 0),
 * IOPL 0, ESP/SS of ring 3.  The ring-1 stack is filled with a poison
 * pattern first, so frame words written only in part show.  Call 0 ends ring
 * 3 (back to ring 1 through the iret hypercall).
 *
 * With `pvmx run --fast-int80` these calls take no VM exit (the hardware
 * gate); without it each is a #GP exit reflected by the hypervisor.  Either
 * way the frames must be the same.
 */
#include "runtime.h"

#define PTE_USER_RW	0x67u	/* P | RW | US | A | D */
#define POISON		0xA5A5A5A5u

extern u8 user_text_start[], user_text_end[], user_entry[], u_int80_after[];
extern u8 sys_entry[];
static u8 user_stack[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/*
 * Shared with ring 3: [0] n, [1] results wrong, [2] first wrong call,
 * [3] its EAX, [4] registers clobbered, [5] ESP/SS/CS wrong after a return,
 * [6] calls made.
 */
volatile u32 user_data[PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));
static u8 kstack[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

#define KSTACK_TOP	((u32)kstack + sizeof(kstack))
#define USTACK_TOP	((u32)user_stack + PAGE_SIZE)

/*
 * Ring 3: for i = 1..n: EAX = i, int $0x80, expect EAX = 2 i with EBX, ESI
 * (i), EDI, EBP and ESP/SS/CS unchanged.  Then EAX = 0, int $0x80.
 */
asm(".pushsection .user_text, \"ax\"\n"
    ".globl user_entry\n"
    "user_entry:\n"
    "	mov $1, %esi\n"
    "	mov $0x1b2b3b4b, %ebx\n	mov $0x5d6d7d8d, %edi\n	mov $0x13572468, %ebp\n"
    "1:	cmp user_data, %esi\n"
    "	ja 9f\n"
    "	mov %esi, %eax\n"
    "	int $0x80\n"
    ".globl u_int80_after\n"
    "u_int80_after:\n"
    "	incl user_data + 6*4\n"
    "	lea (%esi,%esi), %edx\n"
    "	cmp %edx, %eax\n"
    "	je 2f\n"
    "	cmpl $0, user_data + 1*4\n"
    "	jne 3f\n"
    "	mov %esi, user_data + 2*4\n	mov %eax, user_data + 3*4\n"
    "3:	incl user_data + 1*4\n"
    "2:	cmp $0x1b2b3b4b, %ebx\n	jne 4f\n"
    "	cmp $0x5d6d7d8d, %edi\n	jne 4f\n"
    "	cmp $0x13572468, %ebp\n	je 5f\n"
    "4:	incl user_data + 4*4\n"
    "	mov $0x1b2b3b4b, %ebx\n	mov $0x5d6d7d8d, %edi\n	mov $0x13572468, %ebp\n"
    "5:	cmp $user_stack + 4096, %esp\n	jne 6f\n"
    "	mov %ss, %eax\n	cmp $0xE033, %ax\n	jne 6f\n"
    "	mov %cs, %eax\n	cmp $0xE02B, %ax\n	je 7f\n"
    "6:	incl user_data + 5*4\n"
    "7:	inc %esi\n"
    "	jmp 1b\n"
    "9:	xor %eax, %eax\n"
    "	int $0x80\n"
    "	ud2\n"
    ".popsection\n");

/*
 * The handler: EAX = syscall_c(frame, eax); return by a hardware iret, or by
 * the iret hypercall (its stub pushes EAX, which it restores) when
 * sys_hyper is set.  ECX/EDX saved, the rest is callee-saved in C.
 */
volatile u32 sys_hyper;
asm(".text\n"
    ".globl sys_entry\n"
    "sys_entry:\n"
    "	push %ecx\n	push %edx\n"
    "	lea 8(%esp), %ecx\n"
    "	push %eax\n	push %ecx\n"
    "	cld\n	call syscall_c\n	add $8, %esp\n"
    "	pop %edx\n	pop %ecx\n"
    "	cmpl $0, sys_hyper\n"
    "	jne 1f\n"
    "	iret\n"
    "1:	jmp hypercall_page + 23 * 32\n");

static u32 every;
static u32 calls, hyper_returns, hw_returns, bad_frames, first_bad_call;
static u32 first[6], bad[6];
static u32 handler_cs, handler_mask, bad_handler;

static int frame_ok(const u32 *f)
{
	return (u32)f == KSTACK_TOP - 20 && f[0] == (u32)u_int80_after &&
	       f[1] == FLAT_RING3_CS && (f[2] & EFLAGS_IF) && !(f[2] & 0x3000) &&
	       f[3] == USTACK_TOP && f[4] == FLAT_RING3_SS;
}

u32 syscall_c(u32 *frame, u32 eax);
u32 syscall_c(u32 *frame, u32 eax)
{
	u32 i;

	if (eax == 0) {		/* the end: back to ring 1 */
		frame[0] = (u32)ring3_exit;
		frame[1] = FLAT_RING1_CS;
		sys_hyper = 1;
		return 0;
	}
	if (calls == 0) {
		first[0] = (u32)frame;
		for (i = 0; i < 5; i++)
			first[i + 1] = frame[i];
		handler_cs = read_cs();
		handler_mask = upcall_mask();
	}
	if (read_cs() != FLAT_RING1_CS || upcall_mask() != 0)
		bad_handler++;
	calls++;
	if (!frame_ok(frame) && bad_frames++ == 0) {
		first_bad_call = eax;
		bad[0] = (u32)frame;
		for (i = 0; i < 5; i++)
			bad[i + 1] = frame[i];
	}
	sys_hyper = every && eax % every == 0;
	if (sys_hyper)
		hyper_returns++;
	else
		hw_returns++;
	return eax * 2;
}

static int map_user(u32 va)
{
	u64 pte = ((u64)va_to_mfn((void *)va) << 12) | PTE_USER_RW;
	long r = update_va_mapping(va, pte, UVMF_INVLPG);

	if (r)
		test_diag("  update_va_mapping(0x%x) = %d", va, (int)r);
	return r == 0;
}

static int check_frame(const u32 *f)
{
	int ok = 1;

	ok &= check_word("frame address (stack_switch stack - 20)", f[0], KSTACK_TOP - 20);
	ok &= check_word("frame EIP (after the int)", f[1], (u32)u_int80_after);
	ok &= check_word("frame CS word", f[2], FLAT_RING3_CS);
	ok &= check_word("frame EFLAGS.IF (mask 0)", f[3] & EFLAGS_IF, EFLAGS_IF);
	ok &= check_word("frame EFLAGS.IOPL", f[3] & 0x3000, 0);
	ok &= check_word("frame ESP (ring 3)", f[4], USTACK_TOP);
	ok &= check_word("frame SS (ring 3)", f[5], FLAT_RING3_SS);
	return ok;
}

void test_main(void)
{
	static struct xen_trap_info table[] = {
		{ 0x80, 3, FLAT_RING1_CS, (u32)sys_entry }, { 0, 0, 0, 0 },
	};
	u32 n = cmdline_uint(start_info->cmd_line, "n", 1000);
	u32 va, want_hyper;
	int ok;

	every = cmdline_uint(start_info->cmd_line, "every", 50);
	want_hyper = every ? n / every : 0;
	test_plan(14);
	CHECK(map_shared_info(), "map_shared_info");
	for (ok = 1, va = (u32)user_text_start; va < (u32)user_text_end; va += PAGE_SIZE)
		ok &= map_user(va);
	ok &= map_user((u32)user_stack) && map_user((u32)user_data);
	CHECK(ok, "map_user_pages");
	CHECK_EQ(stack_switch(FLAT_RING1_SS, KSTACK_TOP), 0, "stack_switch_returns_0");
	CHECK_EQ(set_trap_table(table), 0, "set_trap_table_int80_dpl3_no_mask");

	memset(kstack, 0xA5, sizeof(kstack));
	user_data[0] = n;
	set_upcall_mask(0);
	/* This hypercall is also the VM exit after which the mask is 0. */
	printf("# syscall: %u int $0x80 calls from ring 3, every %u-th returning "
	       "with the iret hypercall, events unmasked\n", n, every);
	enter_ring3(user_entry, USTACK_TOP);

	CHECK_EQ(read_cs(), FLAT_RING1_CS, "back_in_ring1");
	CHECK_EQ(upcall_mask(), 0, "upcall_mask_still_0");
	CHECK_EQ(user_data[6], n, "ring3_made_n_calls");
	CHECK_EQ(calls, n, "handler_ran_n_times");
	if (!CHECK_EQ(user_data[1], 0, "every_result_is_eax_times_2"))
		test_diag("  first wrong: call %u returned 0x%x, want 0x%x",
			  user_data[2], user_data[3], user_data[2] * 2);
	ok = check_word("EBX/EDI/EBP clobbered (calls)", user_data[4], 0);
	ok &= check_word("ESP/SS/CS wrong after return (calls)", user_data[5], 0);
	CHECK(ok, "ring3_registers_and_stack_intact");

	test_diag("first frame at 0x%x: %08x %08x %08x %08x %08x", first[0], first[1],
		  first[2], first[3], first[4], first[5]);
	test_diag("  (CS word 0x%x: selector 0x%x, bits 16-23 0x%x, bits 24-31 0x%x)",
		  first[2], first[2] & 0xffff, (first[2] >> 16) & 0xff, first[2] >> 24);
	ok = check_frame(first);
	ok &= check_word("handler CS", handler_cs, FLAT_RING1_CS);
	ok &= check_word("upcall mask in the handler", handler_mask, 0);
	CHECK(ok, "first_frame_exact_xen_layout");
	if (!CHECK_EQ(bad_frames, 0, "every_frame_exact_xen_layout")) {
		test_diag("  first bad frame: call %u", first_bad_call);
		check_frame(bad);
	}
	CHECK_EQ(bad_handler, 0, "every_handler_run_ring1_mask0");
	ok = check_word("iret hypercall returns", hyper_returns, want_hyper);
	ok &= check_word("hardware iret returns", hw_returns, n - want_hyper);
	CHECK(ok && (n < 2 || !every || every > n || (hyper_returns && hw_returns)),
	      "both_return_paths_used");
	printf("# syscall: %u calls, %u returned by the iret hypercall, %u by iret\n",
	       calls, hyper_returns, hw_returns);
}
