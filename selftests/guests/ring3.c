// SPDX-License-Identifier: GPL-2.0
/*
 * ring3: `int $0x82` from ring 3.  Vector 0x82 is a DPL-1 gate, so from ring
 * 3 it is not a hypercall: the CPU raises #GP with error code
 * (0x82 << 3) | 2 = 0x412, and with no trap table the hypervisor crashes the
 * guest (launcher exit 20, reason naming #GP / vector 13 and 0x412).
 *
 * First it makes its ring-3 code and stack pages user-accessible with
 * update_va_mapping (hypercall 14) and checks two refusals of that call.
 */
#include "runtime.h"

#define __stringify_1(x) #x
#define __stringify(x) __stringify_1(x)

#define PTE_USER_RW	0x67u	/* P | RW | US | A | D */

extern u8 user_text_start[], user_text_end[], user_entry[];
static u8 user_stack[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static volatile u32 scratch[PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));

/*
 * Ring-3 code, alone in the .user_text pages.  If int $0x82 were (wrongly)
 * taken as a hypercall, console_io would print the FAIL line; the ud2 then
 * crashes the guest with #UD instead of the expected #GP.
 */
asm(".pushsection .user_text, \"ax\"\n"
    ".globl user_entry\n"
    "user_entry:\n"
    "	mov $" __stringify(__HYPERVISOR_console_io) ", %eax\n"
    "	mov $" __stringify(CONSOLEIO_write) ", %ebx\n"
    "	mov $(user_msg_end - user_msg), %ecx\n"
    "	mov $user_msg, %edx\n"
    "	int $0x82\n"
    "	ud2\n"
    "user_msg:\n"
    "	.ascii \"ring3: FAIL: int $0x82 from ring 3 was taken as a hypercall\\n\"\n"
    "user_msg_end:\n"
    ".popsection\n");

static int map_user(u32 va)
{
	u64 pte = ((u64)va_to_mfn((void *)va) << 12) | PTE_USER_RW;
	long r = update_va_mapping(va, pte, UVMF_INVLPG);

	if (r)
		test_diag("  update_va_mapping(0x%x, 0x%x) = %d", va, (u32)pte, (int)r);
	return r == 0;
}

void test_main(void)
{
	u32 va, scratch_pte;
	int ok;

	test_plan(5);

	scratch[0] = 0x12345678;
	scratch_pte = (va_to_mfn((void *)scratch) << 12) | 0x63;	/* P|RW|A|D */
	CHECK_EQ(update_va_mapping(XEN_HYPERVISOR_VIRT_START, scratch_pte, UVMF_INVLPG),
		 -XEN_EINVAL, "update_va_mapping_hypervisor_hole_einval");
	CHECK_EQ(update_va_mapping((u32)scratch,
				   ((u64)(start_info->nr_pages + 0x100) << 12) | 0x63,
				   UVMF_INVLPG),
		 -XEN_EPERM, "update_va_mapping_frame_beyond_ram_eperm");
	CHECK(scratch[0] == 0x12345678, "refused_update_left_mapping_alone");

	for (ok = 1, va = (u32)user_text_start; va < (u32)user_text_end; va += PAGE_SIZE)
		ok &= map_user(va);
	CHECK(ok && (u32)user_text_end > (u32)user_text_start, "map_user_code_pages");
	CHECK(map_user((u32)user_stack), "map_user_stack_page");

	printf("ring3: iret to ring 3 at eip 0x%08x; int $0x82 there must #GP (error 0x412)\n",
	       (u32)user_entry);
	asm volatile("push %[ss]\n\t"
		     "push %[sp]\n\t"
		     "push %[fl]\n\t"
		     "push %[cs]\n\t"
		     "push %[ip]\n\t"
		     "iret"
		     :
		     : [ss] "i"(FLAT_RING3_SS), [sp] "r"(user_stack + PAGE_SIZE),
		       [fl] "i"(0x202), [cs] "i"(FLAT_RING3_CS), [ip] "i"(user_entry)
		     : "memory");
	__builtin_unreachable();
}
