// SPDX-License-Identifier: GPL-2.0
/*
 * fastcall: `sysenter` and `syscall` from ring 3 reach the sysenter and
 * syscall32 callbacks with the frames 64-bit Xen builds for a compat guest
 * (xen/arch/x86/x86_64/entry.S sysenter_entry, cstar_enter;
 * x86_64/compat/entry.S compat_sysenter, compat_syscall;
 * Documentation/guest-abi.rst "Fast system calls"):
 *
 * - sysenter before a callback is registered: #GP(0) with the sysenter frame
 *   (EIP 0, CS 3, ESP 0, SS FLAT_RING3_SS) on the stack_switch stack;
 * - sysenter with the callback (CALLBACKF_mask_events): the same 5-word
 *   frame, events masked, registers (EBP, the user stack by Linux's
 *   convention) as ring 3 left them;
 * - syscall before syscall32 is registered: the CPU's #UD (Xen on Intel),
 *   EIP on the instruction, ECX untouched;
 * - syscall with the callback: EIP after it, CS FLAT_RING3_CS, the ring-3
 *   ESP, ECX = the return EIP (the instruction's).
 *
 * Then it times round trips through int $0x80 and sysenter (diagnostic).
 * cmdline n=<round trips> (default 200).
 */
#include "runtime.h"

#define PTE_USER_RW	0x67u	/* P | RW | US | A | D */
#define V_SYSENTER	0x134u	/* trap_log vectors of the callback stubs */
#define V_SYSCALL	0x105u

extern u8 user_text_start[], user_text_end[], fc_entry[], fc_se0_after[], fc_se1_after[],
	fc_sc0[], fc_sc0_after[], fc_sc1_after[], fc_ud[], fc_loop[], se_stub[], sc_stub[],
	i80_stub[];
static u8 user_stack[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* Written by ring 3: ESP/EBP/ECX after each step, TSC; [16] the round trips. */
volatile u32 fc_data[PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));
static u8 kstack[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
volatile u32 fc_mask_at_entry;
#define fc_rounds fc_data[16]

#define KSTACK_TOP	((u32)kstack + sizeof(kstack))
#define USTACK_TOP	((u32)user_stack + PAGE_SIZE)

asm(".pushsection .user_text, \"ax\"\n"
    ".globl fc_entry\n"
    "fc_entry:\n"
    "	mov $0x5e5e0001, %ebp\n"
    "	sysenter\n"
    "fc_se0_after:\n"
    "	mov %esp, fc_data + 0*4\n	mov %ebp, fc_data + 1*4\n"
    "	mov $0x5e5e0002, %ebp\n"
    "	sysenter\n"
    "fc_se1_after:\n"
    "	mov %esp, fc_data + 2*4\n	mov %ebp, fc_data + 3*4\n"
    "	mov $0x1110, %ecx\n"
    "fc_sc0:\n"
    "	syscall\n"
    "fc_sc0_after:\n"
    "	mov %esp, fc_data + 4*4\n	mov %ecx, fc_data + 5*4\n"
    "	mov $0x1111, %ecx\n"
    "	syscall\n"
    "fc_sc1_after:\n"
    "	mov %esp, fc_data + 6*4\n	mov %ecx, fc_data + 8*4\n"
    /* Timing: fc_rounds int $0x80 round trips, then as many sysenters. */
    "	mov fc_data + 16*4, %esi\n"
    "1:	int $0x80\n	dec %esi\n	jnz 1b\n"
    "	rdtsc\n	mov %eax, fc_data + 9*4\n	mov %edx, fc_data + 10*4\n"
    "	mov fc_data + 16*4, %esi\n"
    "fc_loop:\n"
    "	mov %esp, %ebp\n	sysenter\n"
    ".globl fc_loop_back\n"
    "fc_loop_back:\n"
    "	dec %esi\n	jnz fc_loop\n"
    "	rdtsc\n	mov %eax, fc_data + 11*4\n	mov %edx, fc_data + 12*4\n"
    "fc_ud:	ud2\n"
    ".popsection\n");

/*
 * Callback stubs: log the frame as vectors 0x134 / 0x105 (trap_hook fixes
 * the return), then the iret hypercall.  In the timing loop (fc_timing set)
 * they return at once, as a system call would.
 */
void trap_record_c(u32 vec, u32 ec, u32 *frame);
volatile u32 fc_timing, fc_t0_lo, fc_t0_hi;
extern u8 fc_loop_back[];
asm(".text\n"
    ".globl se_stub, sc_stub, i80_stub\n"
    "se_stub:\n"
    "	cmpl $0, fc_timing\n	jne 2f\n"
    "	push %eax\n	push %ecx\n	push %edx\n"
    "	mov shared_info, %eax\n	movzbl 1(%eax), %eax\n	mov %eax, fc_mask_at_entry\n"
    "	lea 12(%esp), %eax\n"
    "	push %eax\n	push $0\n	push $0x134\n"
    "	cld\n	call trap_record_c\n	add $12, %esp\n"
    "	pop %edx\n	pop %ecx\n	pop %eax\n"
    "	jmp hypercall_page + 23 * 32\n"
    /* Timing: return to fc_loop_back on the ring-3 stack in EBP. */
    "2:	movl $fc_loop_back, 0(%esp)\n	movl $0xE02B, 4(%esp)\n"
    "	mov %ebp, 12(%esp)\n"
    "	jmp hypercall_page + 23 * 32\n"
    "sc_stub:\n"
    "	push %eax\n	push %ecx\n	push %edx\n"
    "	lea 12(%esp), %eax\n"
    "	push %eax\n	push $0\n	push $0x105\n"
    "	cld\n	call trap_record_c\n	add $12, %esp\n"
    "	pop %edx\n	pop %ecx\n	pop %eax\n"
    "	jmp hypercall_page + 23 * 32\n"
    "i80_stub:\n"
    "	jmp hypercall_page + 23 * 32\n");

static int register_cb(u16 type, u16 flags, void *eip)
{
	struct xen_callback_register cb = { type, flags, FLAT_RING1_CS, (u32)eip };

	return callback_op(CALLBACKOP_register, &cb) == 0;
}

static volatile int reg_ok = 1;

static void hook(u32 vec, u32 *frame)
{
	u32 o = vec == 13 ? 1 : 0;

	frame[o + 2] &= ~EFLAGS_IF;	/* keep the mask set for the next step */
	switch (vec) {
	case 13:
		if (frame[o] == 0) {	/* sysenter's #GP: EIP and ESP are 0 */
			frame[o] = (u32)fc_se0_after;
			frame[o + 1] = FLAT_RING3_CS;
			frame[o + 3] = USTACK_TOP;
			reg_ok &= register_cb(CALLBACKTYPE_sysenter, CALLBACKF_mask_events,
					      se_stub);
		}
		break;
	case V_SYSENTER:
		frame[0] = (u32)fc_se1_after;
		frame[1] = FLAT_RING3_CS;
		frame[3] = USTACK_TOP;
		fc_timing = 1;
		break;
	case 6:
		if (frame[0] == (u32)fc_sc0) {	/* syscall's #UD: skip it */
			frame[0] += 2;
			reg_ok &= register_cb(CALLBACKTYPE_syscall32, 0, sc_stub);
			break;
		}
		/* the end: back to ring 1 */
		frame[0] = (u32)ring3_exit;
		frame[1] = FLAT_RING1_CS;
		break;
	}
}

static int map_user(u32 va)
{
	u64 pte = ((u64)va_to_mfn((void *)va) << 12) | PTE_USER_RW;

	return update_va_mapping(va, pte, UVMF_INVLPG) == 0;
}

/* The frame every sysenter gets: [ec] EIP 0, CS 3, EFLAGS, ESP 0, SS. */
static int check_sysenter_frame(const volatile struct trap_record *r, u32 vec, int has_ec)
{
	u32 o = has_ec ? 1 : 0;
	int ok = check_word("vector", r->vector, vec);

	if (has_ec)
		ok &= check_word("error code", r->w[0], 0);
	ok &= check_word("frame EIP", r->w[o], 0);
	ok &= check_word("frame CS word (null ring-3 CS, saved mask 1)", r->w[o + 1],
			 3 | (1u << 16));
	ok &= check_word("frame EFLAGS.IF (mask 1)", r->w[o + 2] & EFLAGS_IF, 0);
	ok &= check_word("frame ESP", r->w[o + 3], 0);
	ok &= check_word("frame SS", r->w[o + 4], FLAT_RING3_SS);
	ok &= check_word("frame on the stack_switch stack", r->esp, KSTACK_TOP - 4 * (5 + o));
	return ok;
}

static int check_syscall_frame(const volatile struct trap_record *r, u32 vec, int has_ec,
			       u32 eip)
{
	u32 o = has_ec ? 1 : 0;
	int ok = check_word("vector", r->vector, vec);

	if (has_ec)
		ok &= check_word("error code", r->w[0], 0);
	ok &= check_word("frame EIP", r->w[o], eip);
	ok &= check_word("frame CS word", r->w[o + 1], FLAT_RING3_CS | (1u << 16));
	ok &= check_word("frame ESP", r->w[o + 3], USTACK_TOP);
	ok &= check_word("frame SS", r->w[o + 4], FLAT_RING3_SS);
	ok &= check_word("frame on the stack_switch stack", r->esp, KSTACK_TOP - 4 * (5 + o));
	return ok;
}

void test_main(void)
{
	static struct xen_trap_info table[] = {
		{ 6, 0, FLAT_RING1_CS, (u32)trap_stub_6 },
		{ 13, 0, FLAT_RING1_CS, (u32)trap_stub_13 },
		{ 0x80, 3, FLAT_RING1_CS, (u32)i80_stub },
		{ 0, 0, 0, 0 },
	};
	const volatile struct trap_record *r;
	u32 va, base;
	u64 t80, tse;
	int ok;

	fc_rounds = cmdline_uint((const char *)start_info->cmd_line, "n", 200);
	if (!fc_rounds)
		fc_rounds = 1;
	test_plan(10);
	CHECK(map_shared_info(), "map_shared_info");
	for (ok = 1, va = (u32)user_text_start; va < (u32)user_text_end; va += PAGE_SIZE)
		ok &= map_user(va);
	ok &= map_user((u32)user_stack) && map_user((u32)fc_data);
	CHECK(ok, "map_user_pages");
	CHECK(stack_switch(FLAT_RING1_SS, KSTACK_TOP) == 0 && set_trap_table(table) == 0,
	      "stack_switch_and_trap_table");
	trap_hook = hook;
	base = trap_count;

	fc_data[9] = fc_data[10] = 0;
	t80 = rdtsc();
	enter_ring3(fc_entry, USTACK_TOP);
	trap_hook = NULL;
	fc_timing = 0;

	CHECK_EQ(trap_count - base, 5, "five_deliveries");
	CHECK(reg_ok, "callbacks_registered_from_the_gp_handler");
	r = &trap_log[base % TRAP_LOG];
	CHECK(check_sysenter_frame(r, 13, 1) &&
	      check_word("ESP back in ring 3", fc_data[0], USTACK_TOP) &&
	      check_word("EBP kept", fc_data[1], 0x5e5e0001),
	      "sysenter_without_callback_gp0_with_xen_sysenter_frame");
	r = &trap_log[(base + 1) % TRAP_LOG];
	CHECK(check_sysenter_frame(r, V_SYSENTER, 0) &&
	      check_word("events masked on entry", fc_mask_at_entry, 1) &&
	      check_word("EBP kept", fc_data[3], 0x5e5e0002),
	      "sysenter_callback_xen_frame_events_masked");
	r = &trap_log[(base + 2) % TRAP_LOG];
	CHECK(check_syscall_frame(r, 6, 0, (u32)fc_sc0) &&
	      check_word("ECX kept", fc_data[5], 0x1110),
	      "syscall_without_syscall32_ud_on_the_instruction");
	r = &trap_log[(base + 3) % TRAP_LOG];
	CHECK(check_syscall_frame(r, V_SYSCALL, 0, (u32)fc_sc1_after) &&
	      check_word("ECX = return EIP", fc_data[8], (u32)fc_sc1_after) &&
	      check_word("ESP back in ring 3", fc_data[6], USTACK_TOP),
	      "syscall32_callback_frame_ecx_return_eip");
	CHECK_EQ(last_trap()->w[0], (u32)fc_ud, "back_in_ring1_after_timing");

	tse = (((u64)fc_data[12] << 32) | fc_data[11]) - (((u64)fc_data[10] << 32) | fc_data[9]);
	t80 = (((u64)fc_data[10] << 32) | fc_data[9]) - t80;
	printf("# %u round trips: int $0x80 %u TSC ticks each (including set-up), sysenter %u\n",
	       fc_rounds, (u32)div64(t80, fc_rounds), (u32)div64(tse, fc_rounds));
}
