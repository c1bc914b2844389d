// SPDX-License-Identifier: GPL-2.0
/*
 * int80: `int $0x80` from ring 3 to a handler on the guest's own GDT
 * selectors, as PV Linux has them (__KERNEL_CS 0x61, __KERNEL_DS 0x69:
 * GDT entries 12 and 13, DPL 0 raised to 1), with the exact frame Xen
 * builds (compat_create_bounce_frame in xen/arch/x86/x86_64/compat/entry.S,
 * reached from entry_int80 in xen/arch/x86/x86_64/entry.S) whatever path
 * pvmx takes: the hardware gate (pvmx run --fast-int80, the default), the
 * short exit path, or the general reflection (--no-fast-int80).  The
 * selftests run it both ways and check the same things (run_all.sh
 * guest_int80, guest_int80_reflected), plus the exit counts.
 *
 * Phases of n calls each (cmdline n=, default 200), ring 3 checking that
 * EAX comes back doubled:
 *   1. trap gate (flags 3), the trap table and stack_switch set before
 *      set_gdt names the selectors (the gate follows set_gdt);
 *   2. the same after update_descriptor shrank entry 12 to 2 GiB: the
 *      hypervisor's stub at the top of the address space is outside it, so
 *      a gate left over from phase 1 would #GP where Xen bounces;
 *   3. interrupt gate (flags 3 | 4, "mask events", Linux's entry): the
 *      handler runs with the upcall mask set, its frame saving the mask ring
 *      3 had, and returns with the iret hypercall, which restores it.
 * In each phase, call n/2 masks ring 3 and sends itself an event (IPI
 * port): call n/2 + 1 arrives with the event pending and masked, so its
 * frame must carry mask 1 (CS bits 16-23, EFLAGS.IF 0) and no upcall may
 * come first; it returns unmasked, and the upcall must then come exactly
 * once, at the instruction after that `int $0x80` in ring 3 (the frame the
 * event callback sees).  Every frame is checked word for word: address
 * (stack_switch stack - 20), EIP after the int, CS word (0xE02B | saved
 * mask << 16), EFLAGS.IF = !saved mask, IOPL 0, ring-3 ESP and SS; and the
 * handler's CS, SS and upcall mask.
 */
#include "runtime.h"

#define PTE_RO		0x21u	/* P | A */
#define PTE_USER_RW	0x67u	/* P | RW | US | A | D */
#define SEL_KCS		0x61	/* GDT[12] | RPL 1 */
#define SEL_KDS		0x69	/* GDT[13] | RPL 1 */
#define GDT_ENTRIES	16

extern u8 user_text_start[], user_text_end[], user_entry[], u_int80_after[], int80_entry[],
	ev_entry[];
static u64 gdt[512] __attribute__((aligned(PAGE_SIZE)));
static u8 user_stack[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* Shared with ring 3: [0] n, [1] wrong results, [2] calls made. */
volatile u32 user_data[PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));
static u8 kstack[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

#define KSTACK_TOP	((u32)kstack + sizeof(kstack))
#define USTACK_TOP	((u32)user_stack + PAGE_SIZE)

asm(".pushsection .user_text, \"ax\"\n"
    ".globl user_entry\n"
    "user_entry:\n"
    "	mov $1, %esi\n"
    "1:	cmp user_data, %esi\n"
    "	ja 9f\n"
    "	mov %esi, %eax\n"
    "	int $0x80\n"
    ".globl u_int80_after\n"
    "u_int80_after:\n"
    "	incl user_data + 2*4\n"
    "	lea (%esi,%esi), %edx\n"
    "	cmp %edx, %eax\n"
    "	je 2f\n"
    "	incl user_data + 1*4\n"
    "2:	inc %esi\n"
    "	jmp 1b\n"
    "9:	xor %eax, %eax\n"
    "	int $0x80\n"
    "	ud2\n"
    ".popsection\n");

/* Both return with the iret hypercall (its page stub pushes EAX). */
asm(".text\n"
    ".globl int80_entry, ev_entry\n"
    "int80_entry:\n"
    "	push %ecx\n	push %edx\n"
    "	lea 8(%esp), %ecx\n"
    "	push %eax\n	push %ecx\n"
    "	cld\n	call int80_c\n	add $8, %esp\n"
    "	pop %edx\n	pop %ecx\n"
    "	jmp hypercall_page + 23 * 32\n"
    "ev_entry:\n"
    "	push %eax\n	push %ecx\n	push %edx\n"
    "	lea 12(%esp), %eax\n"
    "	push %eax\n"
    "	cld\n	call ev_c\n	add $4, %esp\n"
    "	pop %edx\n	pop %ecx\n	pop %eax\n"
    "	jmp hypercall_page + 23 * 32\n");

static u32 port, n, masking;
static u32 ring3_mask;		/* the mask ring 3 runs with */
static u32 calls, bad_frames, bad_handler, bad_pending, first_bad_call;
static u32 bad[6];
static u32 upcalls, bad_upcalls, upcall_frame[3];
static u32 upcalls_expected;

static u32 read_ss(void)
{
	u32 ss;

	asm volatile("mov %%ss, %0" : "=r"(ss));
	return ss & 0xffff;
}

static int frame_ok(const u32 *f, u32 mask)
{
	return (u32)f == KSTACK_TOP - 20 && f[0] == (u32)u_int80_after &&
	       f[1] == (0xE02Bu | mask << 16) && (f[2] & EFLAGS_IF) == (mask ? 0 : EFLAGS_IF) &&
	       !(f[2] & 0x3000) && f[3] == USTACK_TOP && f[4] == FLAT_RING3_SS;
}

void ev_c(u32 *frame);
void ev_c(u32 *frame)
{
	upcalls++;
	if (upcalls > upcalls_expected)
		bad_upcalls++;
	upcall_frame[0] = frame[0];
	upcall_frame[1] = frame[1];
	upcall_frame[2] = frame[2];
	if (frame[0] != (u32)u_int80_after || frame[1] != 0xE02B || !(frame[2] & EFLAGS_IF))
		bad_upcalls++;
	clear_bit(shared_info->evtchn_pending, port);
	vcpu0->evtchn_pending_sel = 0;
	vcpu0->evtchn_upcall_pending = 0;
}

u32 int80_c(u32 *frame, u32 eax);
u32 int80_c(u32 *frame, u32 eax)
{
	u32 i;

	if (eax == 0) {		/* the end: back to ring 1 */
		frame[0] = (u32)ring3_exit;
		frame[1] = FLAT_RING1_CS;
		return 0;
	}
	calls++;
	if (!frame_ok(frame, ring3_mask) && bad_frames++ == 0) {
		first_bad_call = eax;
		bad[0] = (u32)frame;
		for (i = 0; i < 5; i++)
			bad[i + 1] = frame[i];
	}
	if (read_cs() != SEL_KCS || read_ss() != SEL_KDS ||
	    upcall_mask() != (masking || ring3_mask) || upcalls != upcalls_expected)
		bad_handler++;
	if (eax == n / 2) {
		/* Mask, raise the event, and return to ring 3 masked. */
		set_upcall_mask(1);
		if (evtchn_simple(EVTCHNOP_send, port))
			bad_pending++;
		frame[2] &= ~EFLAGS_IF;
		ring3_mask = 1;
	} else if (eax == n / 2 + 1) {
		/* Pending and masked at the int: no upcall yet; it comes on return. */
		if (!upcall_pending() || !test_bit(shared_info->evtchn_pending, port))
			bad_pending++;
		frame[2] |= EFLAGS_IF;
		ring3_mask = 0;
		upcalls_expected++;
	}
	return eax * 2;
}

static int map(const void *va, u32 flags)
{
	u64 pte = ((u64)va_to_mfn(va) << 12) | flags;
	long r = update_va_mapping((u32)va, pte, UVMF_INVLPG);

	if (r)
		test_diag("  update_va_mapping(0x%x, 0x%x) = %d", (u32)va, (u32)pte, (int)r);
	return r == 0;
}

static u64 mkdesc(u32 base, u32 limit, u32 access, u32 flags)
{
	return (limit & 0xFFFF) | ((u64)(base & 0xFFFFFF) << 16) | ((u64)access << 40) |
	       ((u64)((limit >> 16) & 0xF) << 48) | ((u64)flags << 52) |
	       ((u64)(base >> 24) << 56);
}

static long update_descriptor(const void *va, u64 d)
{
	u64 ma = ((u64)va_to_mfn(va) << 12) | ((u32)va & 0xFFF);

	return hypercall(__HYPERVISOR_update_descriptor, (u32)ma, (u32)(ma >> 32),
			 (u32)d, (u32)(d >> 32), 0);
}

static void run_phase(const char *name)
{
	u32 before = calls;

	bad_frames = bad_handler = bad_pending = bad_upcalls = 0;
	user_data[1] = user_data[2] = 0;
	ring3_mask = 0;
	set_upcall_mask(0);
	memset(kstack, 0xA5, sizeof(kstack));
	enter_ring3(user_entry, USTACK_TOP);
	printf("# int80 %s: %u calls, %u upcall(s) so far\n", name, calls - before, upcalls);
	if (!CHECK(calls - before == n && user_data[2] == n && user_data[1] == 0 &&
		   bad_handler == 0 && bad_pending == 0 && upcall_mask() == 0, name))
		test_diag("  calls %u ring3 %u wrong results %u handler cs/ss/mask/upcall "
			  "wrong %u pending wrong %u mask %u", calls - before, user_data[2],
			  user_data[1], bad_handler, bad_pending, upcall_mask());
	if (bad_frames) {
		test_diag("  %u bad frame(s), first: call %u at 0x%x: %08x %08x %08x %08x %08x",
			  bad_frames, first_bad_call, bad[0], bad[1], bad[2], bad[3], bad[4],
			  bad[5]);
	}
	CHECK_EQ(bad_frames, 0, "every_frame_exact_xen_layout");
	if (!CHECK(upcalls == upcalls_expected && bad_upcalls == 0,
		   "pending_event_upcall_once_after_unmasking_return"))
		test_diag("  upcalls %u want %u, bad %u, last frame %08x %08x %08x", upcalls,
			  upcalls_expected, bad_upcalls, upcall_frame[0], upcall_frame[1],
			  upcall_frame[2]);
}

void test_main(void)
{
	static struct xen_trap_info trap_gate[] = {
		{ 0x80, 3, SEL_KCS, (u32)int80_entry }, { 0, 0, 0, 0 },
	};
	static struct xen_trap_info intr_gate[] = {
		{ 0x80, 3 | TI_MASK_EVENTS, SEL_KCS, (u32)int80_entry }, { 0, 0, 0, 0 },
	};
	struct evtchn_bind_ipi ipi = { 0, 0 };
	u32 frame, va;
	int ok;

	n = cmdline_uint(start_info->cmd_line, "n", 200);
	if (n < 4)
		n = 4;
	user_data[0] = n;
	test_plan(15);
	CHECK(map_shared_info(), "map_shared_info");
	for (ok = 1, va = (u32)user_text_start; va < (u32)user_text_end; va += PAGE_SIZE)
		ok &= map((void *)va, PTE_USER_RW);
	ok &= map(user_stack, PTE_USER_RW) && map((void *)user_data, PTE_USER_RW);
	CHECK(ok, "map_user_pages");
	CHECK(evtchn_op(EVTCHNOP_bind_ipi, &ipi) == 0 && set_callbacks(FLAT_RING1_CS, ev_entry,
	      FLAT_RING1_CS, ev_entry) == 0, "bind_ipi_and_event_callback");
	port = ipi.port;

	/* Trap table and stack first: the selectors mean nothing until set_gdt. */
	ok = set_trap_table(trap_gate) == 0 && stack_switch(SEL_KDS, KSTACK_TOP) == 0;
	gdt[12] = mkdesc(0, 0xFFFFF, 0x9A, 0xC);	/* DPL 0: Xen raises it to 1 */
	gdt[13] = mkdesc(0, 0xFFFFF, 0x92, 0xC);
	frame = va_to_mfn(gdt);
	ok &= map(gdt, PTE_RO) && hypercall(__HYPERVISOR_set_gdt, &frame, GDT_ENTRIES,
					     0, 0, 0) == 0;
	CHECK(ok, "trap_table_stack_switch_set_gdt_linux_selectors");

	masking = 0;
	run_phase("trap_gate_own_gdt_selectors");
	CHECK(update_descriptor(&gdt[12], mkdesc(0, 0x7FFFF, 0x9A, 0xC)) == 0,
	      "update_descriptor_code_limit_2g");
	run_phase("trap_gate_code_limit_2g");
	CHECK(update_descriptor(&gdt[12], mkdesc(0, 0xFFFFF, 0x9A, 0xC)) == 0 &&
	      set_trap_table(intr_gate) == 0, "flat_again_interrupt_gate");
	masking = 1;
	run_phase("interrupt_gate_masks_events");
	printf("# int80: %u calls, %u upcalls\n", calls, upcalls);
}
