// SPDX-License-Identifier: GPL-2.0
/*
 * set_trap_table (0) and trap delivery from ring 1 (Documentation/guest-abi.rst
 * "Traps and callbacks", "Exceptions", "Bounce frames"):
 * merge semantics, NULL clearing, -EFAULT; #DE #UD #GP #PF int3 and
 * int $0x40/$0x41/$0x80 delivered with Xen's exact frame (EIP, CS word with
 * the saved upcall mask in bits 16-23, EFLAGS.IF = !mask, error code),
 * vcpu_info.arch.cr2 and the recomputed #PF U bit, flag bit 2 masking
 * events, and returns through the iret hypercall and a hardware iret.
 */
#include "runtime.h"

/* Provocations: callable from C, clobber only eax/ecx/edx. */
void do_de(void), do_ud(void), do_gp(void), do_pf_read(void), do_pf_write(void),
	do_int3(void), do_int40(void), do_int41(void), do_int80(void);
u32 i40_esp;
extern u8 de_insn[], de_after[], ud_insn[], ud_after[], gp_insn[], gp_after[],
	pfr_insn[], pfr_after[], pfw_insn[], pfw_after[], int3_insn[], int3_after[],
	i40_insn[], i40_after[], i41_insn[], i41_after[], i80_insn[], i80_after[];
asm(".text\n"
    "do_de: xor %ecx, %ecx\n mov $1, %eax\n xor %edx, %edx\n"
    "de_insn: div %ecx\n de_after: ret\n"
    "do_ud:\n ud_insn: ud2\n ud_after: ret\n"
    "do_gp:\n gp_insn: hlt\n gp_after: ret\n"
    "do_pf_read:\n pfr_insn: mov 0x40000000, %eax\n pfr_after: ret\n"
    "do_pf_write:\n pfw_insn: movl $1, 0x40001ff8\n pfw_after: ret\n"
    "do_int3:\n int3_insn: int3\n int3_after: ret\n"
    "do_int40: mov %esp, i40_esp\n i40_insn: int $0x40\n i40_after: ret\n"
    "do_int41:\n i41_insn: int $0x41\n i41_after: ret\n"
    "do_int80:\n i80_insn: int $0x80\n i80_after: ret\n");

#define CS1 FLAT_RING1_CS

static struct xen_trap_info full_table[] = {
	{ 0, 0, CS1, (u32)trap_stub_0 },
	{ 3, 3, CS1, (u32)trap_stub_3 },
	{ 6, 0, CS1, (u32)trap_stub_6 },
	{ 13, 0, CS1, (u32)trap_stub_13 },
	{ 14, 0, CS1, (u32)trap_stub_14 },
	{ 0x40, 1, FLAT_RING1_CS & ~3, (u32)trap_stub_64 },	/* RPL 0: raised to 1 */
	{ 0x41, 0, CS1, (u32)trap_stub_65 },
	{ 0x80, 3, CS1, (u32)trap_stub_128 },
	{ 0, 0, 0, 0 },
};

/*
 * Provoke with fn, expect one new record for vector vec, frame EIP eip
 * (error code ec when has_ec), saved mask `mask`, upcall mask `entry_mask`
 * in the handler, resumed at `after`.
 */
static int provoke_m(void (*fn)(void), u32 vec, int has_ec, u32 ec, u32 eip, u32 after,
		     u32 mask, u32 entry_mask, int fault)
{
	const volatile struct trap_record *r;
	u32 before = trap_count, o;
	int ok = 1;

	trap_resume[vec] = fault ? after : 0;
	fn();
	trap_resume[vec] = 0;
	if (trap_count != before + 1) {
		test_diag("  vector 0x%x: %u handler runs, want 1", vec, trap_count - before);
		return 0;
	}
	r = last_trap();
	o = has_ec ? 1 : 0;
	ok &= check_word("vector", r->vector, vec);
	if (has_ec)
		ok &= check_word("error code", r->w[0], ec);
	ok &= check_word("frame EIP", r->w[o], eip);
	ok &= check_word("frame CS word (cs | saved mask << 16)", r->w[o + 1],
			 FLAT_RING1_CS | (mask << 16));
	ok &= check_word("frame EFLAGS.IF", r->w[o + 2] & EFLAGS_IF, mask ? 0 : EFLAGS_IF);
	ok &= check_word("frame EFLAGS IOPL", r->w[o + 2] & 0x3000, 0);
	ok &= check_word("handler CS", r->handler_cs, FLAT_RING1_CS);
	ok &= check_word("mask on entry", r->mask, entry_mask);
	return ok;
}

/* The same for a handler that does not mask events: the mask on entry is the saved one. */
static int provoke(void (*fn)(void), u32 vec, int has_ec, u32 ec, u32 eip, u32 after,
		   u32 mask, int fault)
{
	return provoke_m(fn, vec, has_ec, ec, eip, after, mask, mask, fault);
}

void test_main(void)
{
	static struct xen_trap_info one_ud[] = {
		{ 6, 0, CS1, (u32)trap_stub_alt }, { 0, 0, 0, 0 },
	};
	static struct xen_trap_info one_gp[] = {
		{ 13, 0, CS1, (u32)trap_stub_13 }, { 0, 0, 0, 0 },
	};
	static struct xen_trap_info masking[] = {
		{ 0x40, 1 | TI_MASK_EVENTS, CS1, (u32)trap_stub_64 },
		{ 6, TI_MASK_EVENTS, CS1, (u32)trap_stub_6 }, { 0, 0, 0, 0 },
	};
	const volatile struct trap_record *r;
	int ok;

	test_plan(25);

	CHECK(map_shared_info(), "map_shared_info");
	CHECK_EQ(upcall_mask(), 1, "upcall_mask_starts_at_1");
	CHECK_EQ(set_trap_table((void *)0x40000000), -XEN_EFAULT, "set_trap_table_bad_pointer_efault");
	CHECK_EQ(set_trap_table(full_table), 0, "set_trap_table_returns_0");

	/* Mask 1 (initial): saved mask 1, IF clear in every frame. */
	CHECK(provoke(do_de, 0, 0, 0, (u32)de_insn, (u32)de_after, 1, 1), "de_frame_mask1");
	CHECK(provoke(do_ud, 6, 0, 0, (u32)ud_insn, (u32)ud_after, 1, 1), "ud_frame_mask1");
	CHECK(provoke(do_gp, 13, 1, 0, (u32)gp_insn, (u32)gp_after, 1, 1), "gp_hlt_frame_error_0");
	ok = provoke(do_pf_read, 14, 1, 0, (u32)pfr_insn, (u32)pfr_after, 1, 1);
	ok &= check_word("vcpu_info.arch.cr2", last_trap()->cr2, 0x40000000);
	CHECK(ok, "pf_read_frame_error_0_cr2");
	ok = provoke(do_pf_write, 14, 1, 2, (u32)pfw_insn, (u32)pfw_after, 1, 1);
	ok &= check_word("vcpu_info.arch.cr2", last_trap()->cr2, 0x40001ff8);
	CHECK(ok, "pf_write_frame_error_2_u_bit_0_cr2");

	/* Mask 0: saved mask 0, IF set; the iret hypercall restores mask 0. */
	set_upcall_mask(0);
	CHECK(provoke(do_int3, 3, 0, 0, (u32)int3_after, 0, 0, 0) && upcall_mask() == 0,
	      "int3_dpl3_eip_after_mask0");
	ok = provoke(do_int40, 0x40, 0, 0, (u32)i40_after, 0, 0, 0);
	/* No error code: EIP, CS, EFLAGS right below the ESP of the int. */
	ok &= check_word("frame ESP", last_trap()->esp, i40_esp - 12);
	CHECK(ok, "int40_dpl1_delivered_eip_after_no_error_code_rpl0_cs_raised");
	CHECK(provoke(do_int41, 13, 1, (0x41 << 3) | 2, (u32)i41_insn, (u32)i41_after, 0, 1),
	      "int41_dpl0_gp_error_20a_eip_on_int");
	CHECK(provoke(do_int80, 0x80, 0, 0, (u32)i80_after, 0, 0, 0), "int80_dpl3_delivered_from_ring1");
	set_upcall_mask(1);
	CHECK(provoke(do_int80, 0x80, 0, 0, (u32)i80_after, 0, 1, 0) && upcall_mask() == 1,
	      "int80_frame_saved_mask1_if_clear");
	set_upcall_mask(0);
	CHECK_EQ(upcall_mask(), 0, "iret_hypercall_left_mask_0");

	/* Flag bit 2: events masked on entry; the saved mask is the old one (0). */
	CHECK_EQ(set_trap_table(masking), 0, "set_trap_table_mask_events_entries");
	ok = provoke_m(do_int40, 0x40, 0, 0, (u32)i40_after, 0, 0, 1, 0);
	ok &= check_word("upcall mask after the iret hypercall", upcall_mask(), 0);
	CHECK(ok, "flag_bit2_masks_events_on_entry_iret_restores");

	/* Hardware iret from the handler: resumes, does not touch the mask. */
	trap_hw_iret = 1;
	trap_resume[6] = (u32)ud_after;
	{
		u32 before = trap_count;

		do_ud();
		r = last_trap();
		CHECK(trap_count == before + 1 && r->mask == 1 && upcall_mask() == 1,
		      "hardware_iret_returns_mask_stays_1");
	}
	trap_hw_iret = 0;
	trap_resume[6] = 0;
	set_upcall_mask(0);

	/* Merge: a one-entry table changes only #UD. */
	CHECK_EQ(set_trap_table(one_ud), 0, "set_trap_table_one_entry");
	trap_resume_any = (u32)ud_after;
	do_ud();
	trap_resume_any = 0;
	CHECK_EQ(last_trap()->vector, 0x106, "one_entry_table_replaced_ud");
	CHECK(provoke(do_de, 0, 0, 0, (u32)de_insn, (u32)de_after, 0, 1), "one_entry_table_kept_de");
	CHECK(provoke(do_int80, 0x80, 0, 0, (u32)i80_after, 0, 0, 0), "one_entry_table_kept_int80");

	/* NULL clears everything: with only #GP back, int $0x40 is refused. */
	CHECK_EQ(set_trap_table(NULL), 0, "set_trap_table_null_returns_0");
	CHECK_EQ(set_trap_table(one_gp), 0, "set_trap_table_gp_only");
	CHECK(provoke(do_int40, 13, 1, (0x40 << 3) | 2, (u32)i40_insn, (u32)i40_after, 0, 1),
	      "null_cleared_int40_now_gp_402");
	set_upcall_mask(1);
}
