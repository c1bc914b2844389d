// SPDX-License-Identifier: GPL-2.0
/*
 * Hypercall entry (Documentation/guest-abi.rst "Calling convention", "The
 * hypercall page", "sched_op"): the hypercall page's
 * exact bytes, unknown numbers, what `int $0x82` preserves and where it
 * resumes, sched_op yield and unknown commands.
 */
#include "runtime.h"

u32 saved_esp, after_esp, after_ebp, after_es, after_fs, after_gs, after_ds, after_ss;
u32 counter;
long int82_probe(u32 nr, u32 ebx);

/*
 * int82_probe(nr, ebx): `int $0x82` with EAX = nr, EBX = ebx, ECX = EDX = 0,
 * EBP = a marker, ES/FS/GS = FLAT_RING3_DS (XTF loads it in ring 1).  The
 * instruction after the int increments `counter`: it must run exactly once.
 */
asm(".text\n"
    ".globl int82_probe\n"
    "int82_probe:\n"
    "	push %ebp\n"
    "	push %ebx\n"
    "	push %esi\n"
    "	push %edi\n"
    "	mov 20(%esp), %eax\n"
    "	mov 24(%esp), %ebx\n"
    "	push %es\n"
    "	push %fs\n"
    "	push %gs\n"
    "	mov $0xE033, %ecx\n"
    "	mov %ecx, %es\n"
    "	mov %ecx, %fs\n"
    "	mov %ecx, %gs\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	mov $0x5A5A1234, %ebp\n"
    "	mov %esp, saved_esp\n"
    "	int $0x82\n"
    "	incl counter\n"
    "	mov %esp, after_esp\n"
    "	mov %ebp, after_ebp\n"
    "	mov %es, %ecx\n"
    "	mov %ecx, after_es\n"
    "	mov %fs, %ecx\n"
    "	mov %ecx, after_fs\n"
    "	mov %gs, %ecx\n"
    "	mov %ecx, after_gs\n"
    "	mov %ds, %ecx\n"
    "	mov %ecx, after_ds\n"
    "	mov %ss, %ecx\n"
    "	mov %ecx, after_ss\n"
    "	pop %gs\n"
    "	pop %fs\n"
    "	pop %es\n"
    "	pop %edi\n"
    "	pop %esi\n"
    "	pop %ebx\n"
    "	pop %ebp\n"
    "	ret\n");

static int probe(u32 nr, u32 ebx, long want, const char *what)
{
	u32 ds, ss;
	long r;
	int ok = 1;

	asm volatile("mov %%ds, %0; mov %%ss, %1" : "=r"(ds), "=r"(ss));
	counter = 0;
	after_es = after_fs = after_gs = after_ds = after_ss = 0;
	r = int82_probe(nr, ebx);
	if (want != 1 ? r != want : r <= 0) {
		test_diag("  %s: returned %d (0x%x)", what, (int)r, (u32)r);
		ok = 0;
	}
	if (counter != 1) {
		test_diag("  %s: the instruction after int $0x82 ran %u times", what, counter);
		ok = 0;
	}
	if (after_esp != saved_esp || after_ebp != 0x5A5A1234u) {
		test_diag("  %s: esp 0x%x -> 0x%x, ebp 0x5a5a1234 -> 0x%x", what,
			  saved_esp, after_esp, after_ebp);
		ok = 0;
	}
	if ((after_es & 0xffff) != FLAT_RING3_DS || (after_fs & 0xffff) != FLAT_RING3_DS ||
	    (after_gs & 0xffff) != FLAT_RING3_DS || (after_ds & 0xffff) != (ds & 0xffff) ||
	    (after_ss & 0xffff) != (ss & 0xffff)) {
		test_diag("  %s: segments changed: es %x fs %x gs %x ds %x->%x ss %x->%x", what,
			  after_es & 0xffff, after_fs & 0xffff, after_gs & 0xffff,
			  ds & 0xffff, after_ds & 0xffff, ss & 0xffff, after_ss & 0xffff);
		ok = 0;
	}
	return ok;
}

static int check_page(void)
{
	unsigned i, j;

	for (i = 0; i < 128; i++) {
		const u8 *s = hypercall_page + i * 32;
		u8 want[32];

		memset(want, 0xCC, sizeof(want));
		if (i == __HYPERVISOR_iret) {
			const u8 iret[8] = { 0x50, 0xB8, 23, 0, 0, 0, 0xCD, 0x82 };

			memcpy(want, iret, 8);
		} else {
			want[0] = 0xB8;
			want[1] = i;
			want[2] = want[3] = want[4] = 0;
			want[5] = 0xCD;
			want[6] = 0x82;
			want[7] = 0xC3;
		}
		for (j = 0; j < 32; j++) {
			if (s[j] != want[j]) {
				test_diag("  slot %u byte %u is 0x%02x, want 0x%02x", i, j, s[j], want[j]);
				return 0;
			}
		}
	}
	return 1;
}

void test_main(void)
{
	test_plan(14);

	CHECK(check_page(), "hypercall_page_bytes_match_xen");

	CHECK_EQ(hypercall(11, 0, 0, 0, 0, 0), -XEN_ENOSYS, "page_slot_11_enosys");
	CHECK_EQ(hypercall(60, 0, 0, 0, 0, 0), -XEN_ENOSYS, "page_slot_60_enosys");
	CHECK_EQ(hypercall(127, 0, 0, 0, 0, 0), -XEN_ENOSYS, "page_slot_127_enosys");
	CHECK_EQ(raw_hypercall(128, 0, 0, 0, 0, 0), -XEN_ENOSYS, "raw_128_enosys");
	CHECK_EQ(raw_hypercall(0xFFFFFFFFu, 0, 0, 0, 0, 0), -XEN_ENOSYS, "raw_ffffffff_enosys");
	CHECK_EQ(raw_hypercall(0x80000011u, 0, 0, 0, 0, 0), -XEN_ENOSYS,
		 "raw_80000011_enosys_not_xen_version");
	CHECK(raw_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0) > 0,
	      "raw_xen_version_works");

	/* Known call (xen_version(XENVER_version) > 0) and unknown call (60). */
	CHECK(probe(__HYPERVISOR_xen_version, XENVER_version, 1, "xen_version"),
	      "known_call_preserves_ebp_esp_segments_resumes_after_int");
	CHECK(probe(60, 0, -XEN_ENOSYS, "hypercall 60"),
	      "unknown_call_preserves_ebp_esp_segments_resumes_after_int");
	CHECK(probe(__HYPERVISOR_console_io, 0xDEAD, -XEN_ENOSYS, "console_io(0xdead)"),
	      "failed_call_preserves_ebp_esp_segments_resumes_after_int");

	CHECK_EQ(sched_op(SCHEDOP_yield, NULL), 0, "sched_op_yield_returns_0");
	CHECK_EQ(sched_op(99, NULL), -XEN_ENOSYS, "sched_op_unknown_cmd_enosys");
	CHECK_EQ(hypercall(__HYPERVISOR_sched_op, 0x1000, 0, 0, 0, 0), -XEN_ENOSYS,
		 "sched_op_cmd_0x1000_enosys");
}
