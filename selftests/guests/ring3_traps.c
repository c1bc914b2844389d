// SPDX-License-Identifier: GPL-2.0
/*
 * Traps from ring 3 (Documentation/guest-abi.rst "Exceptions", "Software
 * interrupts", "Bounce frames"): stack_switch to a ring-1
 * stack, drop to ring 3, then #PF (U bit 1, frame with the ring-3 ESP/SS on
 * the stack_switch stack), int $0x80 with a DPL-3 handler and again with
 * DPL 0 (Xen's fast path ignores the DPL), int $0x82 registered with DPL 3
 * (a trap, not a hypercall), int $0x41 with DPL 1 (#GP (0x41<<3)|2).  Each
 * handler returns to ring 3 with the iret hypercall, which must load the
 * ring-3 ESP and SS from the frame; ring 3 records ESP/SS/CS after each.
 */
#include "runtime.h"

#define PTE_USER_RW	0x67u	/* P | RW | US | A | D */

extern u8 user_text_start[], user_text_end[], user_entry[], u_pf[], u_pf_after[],
	u_i80a[], u_i80a_after[], u_i80b_after[], u_i82_after[], u_i41[], u_i41_after[],
	u_ud[];
static u8 user_stack[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* Written by ring 3: [0..2] esp/ss/cs after #PF, [3..4] after int80a, ... */
volatile u32 user_data[PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));
static u8 kstack[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

#define KSTACK_TOP	((u32)kstack + sizeof(kstack))
#define USTACK_TOP	((u32)user_stack + PAGE_SIZE)

/* Ring-3 code: each step stores ESP, SS, CS (and EAX for int $0x82). */
#define STORE3(i) \
	"	mov %esp, user_data + " #i "*4\n" \
	"	mov %ss, %ebx\n	mov %ebx, user_data + (" #i "+1)*4\n" \
	"	mov %cs, %ebx\n	mov %ebx, user_data + (" #i "+2)*4\n"
asm(".pushsection .user_text, \"ax\"\n"
    ".globl user_entry\n"
    "user_entry:\n"
    "u_pf:	mov 0x40000000, %eax\n"
    "u_pf_after:\n"
    STORE3(0)
    "u_i80a:	int $0x80\n"
    "u_i80a_after:\n"
    STORE3(3)
    "	int $0x80\n"
    "u_i80b_after:\n"
    STORE3(6)
    "	mov $17, %eax\n	xor %ebx, %ebx\n	xor %ecx, %ecx\n"
    "	int $0x82\n"
    "u_i82_after:\n"
    "	mov %eax, user_data + 12*4\n"
    STORE3(9)
    "u_i41:	int $0x41\n"
    "u_i41_after:\n"
    STORE3(13)
    "u_ud:	ud2\n"
    ".popsection\n");

static struct xen_trap_info dpl0_80[] = {
	{ 0x80, 0, FLAT_RING1_CS, (u32)trap_stub_128 }, { 0, 0, 0, 0 },
};
static int n80;

static void hook(u32 vec, u32 *frame)
{
	u32 o = (vec == 13 || vec == 14) ? 1 : 0;

	/* Return with IF clear in the frame: the mask stays 1 for the next trap
	 * whatever this frame said (each step checks its own frame). */
	frame[o + 2] &= ~EFLAGS_IF;
	if (vec == 0x80 && ++n80 == 1)
		set_trap_table(dpl0_80);	/* the second int $0x80 sees DPL 0 */
	if (vec == 6) {			/* the end: back to ring 1 */
		frame[0] = (u32)ring3_exit;
		frame[1] = FLAT_RING1_CS;
	}
}

static int map_user(u32 va)
{
	u64 pte = ((u64)va_to_mfn((void *)va) << 12) | PTE_USER_RW;

	return update_va_mapping(va, pte, UVMF_INVLPG) == 0;
}

/* Frame from ring 3 at the stack_switch stack: [ec] EIP CS EFLAGS ESP SS. */
static int check_r3(const volatile struct trap_record *r, u32 vec, int has_ec, u32 ec, u32 eip)
{
	u32 o = has_ec ? 1 : 0;
	int ok = 1;

	ok &= check_word("vector", r->vector, vec);
	if (has_ec)
		ok &= check_word("error code", r->w[0], ec);
	ok &= check_word("frame EIP", r->w[o], eip);
	ok &= check_word("frame CS word", r->w[o + 1], FLAT_RING3_CS | (1u << 16));
	ok &= check_word("frame EFLAGS.IF (mask 1)", r->w[o + 2] & EFLAGS_IF, 0);
	ok &= check_word("frame ESP (ring 3)", r->w[o + 3], USTACK_TOP);
	ok &= check_word("frame SS (ring 3)", r->w[o + 4], FLAT_RING3_SS);
	ok &= check_word("frame on the stack_switch stack", r->esp, KSTACK_TOP - 4 * (5 + o));
	ok &= check_word("handler CS", r->handler_cs, FLAT_RING1_CS);
	return ok;
}

static int check_back(unsigned i, const char *what)
{
	int ok = check_word("ring-3 ESP after return", user_data[i], USTACK_TOP);

	ok &= check_word("ring-3 SS after return", user_data[i + 1] & 0xffff, FLAT_RING3_SS);
	ok &= check_word("ring-3 CS after return", user_data[i + 2] & 0xffff, FLAT_RING3_CS);
	if (!ok)
		test_diag("  (%s)", what);
	return ok;
}

void test_main(void)
{
	static struct xen_trap_info table[] = {
		{ 6, 0, FLAT_RING1_CS, (u32)trap_stub_6 },
		{ 13, 0, FLAT_RING1_CS, (u32)trap_stub_13 },
		{ 14, 0, FLAT_RING1_CS, (u32)trap_stub_14 },
		{ 0x41, 1, FLAT_RING1_CS, (u32)trap_stub_65 },
		{ 0x80, 3, FLAT_RING1_CS, (u32)trap_stub_128 },
		{ 0x82, 3, FLAT_RING1_CS, (u32)trap_stub_130 },
		{ 0, 0, 0, 0 },
	};
	u32 va, base;
	int ok;

	test_plan(12);
	CHECK(map_shared_info(), "map_shared_info");
	for (ok = 1, va = (u32)user_text_start; va < (u32)user_text_end; va += PAGE_SIZE)
		ok &= map_user(va);
	ok &= map_user((u32)user_stack) && map_user((u32)user_data);
	CHECK(ok, "map_user_pages");
	CHECK_EQ(stack_switch(FLAT_RING1_SS, KSTACK_TOP), 0, "stack_switch_returns_0");
	CHECK_EQ(set_trap_table(table), 0, "set_trap_table");
	trap_resume[14] = (u32)u_pf_after;
	trap_resume[13] = (u32)u_i41_after;
	trap_hook = hook;
	base = trap_count;

	printf("# entering ring 3 at 0x%x\n", (u32)user_entry);
	enter_ring3(user_entry, USTACK_TOP);
	trap_hook = NULL;

	CHECK_EQ(trap_count - base, 6, "six_traps_from_ring3");
	ok = check_r3(&trap_log[base % TRAP_LOG], 14, 1, 4, (u32)u_pf);
	ok &= check_word("cr2", trap_log[base % TRAP_LOG].cr2, 0x40000000);
	CHECK(ok && check_back(0, "#PF"), "pf_from_ring3_error_4_u_bit_frame_esp_ss");
	CHECK(check_r3(&trap_log[(base + 1) % TRAP_LOG], 0x80, 0, 0, (u32)u_i80a_after) &&
	      check_back(3, "int $0x80"), "int80_dpl3_syscall_path_back_to_ring3");
	CHECK(check_r3(&trap_log[(base + 2) % TRAP_LOG], 0x80, 0, 0, (u32)u_i80b_after) &&
	      check_back(6, "int $0x80 DPL 0"), "int80_dpl0_still_delivered_fast_path");
	ok = check_r3(&trap_log[(base + 3) % TRAP_LOG], 0x82, 0, 0, (u32)u_i82_after);
	ok &= check_word("eax after int $0x82 (not a hypercall)", user_data[12], 17);
	CHECK(ok && check_back(9, "int $0x82"), "int82_dpl3_from_ring3_is_a_trap");
	CHECK(check_r3(&trap_log[(base + 4) % TRAP_LOG], 13, 1, (0x41 << 3) | 2, (u32)u_i41) &&
	      check_back(13, "int $0x41"), "int41_dpl1_from_ring3_gp_20a");
	CHECK(check_r3(&trap_log[(base + 5) % TRAP_LOG], 6, 0, 0, (u32)u_ud),
	      "ud2_from_ring3_frame");
	CHECK_EQ(read_cs(), FLAT_RING1_CS, "back_in_ring1");
}
