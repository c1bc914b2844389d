// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile guest, hardening round 2 (issue 15): contexts VMX could not enter,
 * iret to VM86 mode, grant frames past the table, RDTSCP/RDPID.
 *
 *   (default)     each case below in one guest, KTAP
 *     trap_cs3      a #UD trap-table entry with a ring-3 CS, raised in ring 1:
 *                   the frame goes onto the ring-1 stack, so CS ring 3 / SS
 *                   ring 1.  Xen's return to the guest (iretq) faults; the
 *                   guest gets #GP(SS selector) with that context as the
 *                   interrupted one (on the stack_switch stack)
 *     iret_mix      iret hypercall to CS ring 3 with SS ring 1: the same #GP
 *     vm86          iret with EFLAGS.VM: Xen's #GP with the VM86 frame moved
 *                   to the stack_switch stack (pv/iret.c)
 *     grant         a grant frame past the size setup_table set cannot be
 *                   mapped; once the table grows, it can
 *     rdtscp        RDTSCP and RDPID run where CPUID offers them, and read
 *                   the guest's TSC_AUX
 *     event_cs3     an event callback with a ring-3 CS: the upcall's frame
 *                   cannot be returned to, the #GP again
 *   mode=loop     n=N (10000) trap_cs3 cases in a row
 *   mode=l1tf     not-present L1 entries through update_va_mapping: address 0
 *                 and an inverted (all ones) address are accepted; then one
 *                 with a low address (0x1000), which crashes the guest on an
 *                 L1TF-affected host (XSA-273) and is accepted elsewhere
 *   mode=kss3     stack_switch to a ring-3 SS, then a trap from ring 3: the
 *                 frame's SS is ring 3 under a ring-1 handler CS, and the
 *                 #GP for it cannot be entered either: the guest is crashed
 *                 (Xen would fault on every return), never a VM-entry failure
 *
 * Before the fixes each of these made VM entry fail (and the host log it),
 * delivered #GP with the wrong frame, mapped the frame or took #UD.
 */
#include "runtime.h"

#define ERR_SEL(sel)	((sel) & 0xFFFCu)
#define MSR_TSC_AUX	0xC0000103u
#define PTE_KERNEL_RW	0x63ull		/* P | RW | A | D */

/* The stack_switch stack: #GP frames from "ring 3" contexts land here. */
static u8 kstack[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
#define KSTACK_TOP	((u32)kstack + sizeof(kstack))
/* Ring-3 stack for mode=kss3. */
static u8 ustack[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* A page whose mapping the grant test replaces. */
static u8 scratch[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* A page whose L1 entry mode=l1tf rewrites. */
static u8 l1tf_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/*
 * catch_call(fn): run fn(); returns 0 if it returned, or the vector (13, 6)
 * whose catch handler ran: the handler records the frame (10 words), ESP,
 * SS and EAX, reloads the ring-1 data selectors and unwinds to catch_call's
 * caller on the saved stack.
 */
int catch_call(void (*fn)(void));
extern u8 catch_gp[], catch_ud[];
volatile u32 catch_esp, caught_vec, caught_esp, caught_ss, caught_eax, caught_w[10];
asm(".text\n"
    ".globl catch_call, catch_gp, catch_ud\n"
    "catch_call:\n"
    "	push %ebp\n	push %ebx\n	push %esi\n	push %edi\n"
    "	mov %esp, catch_esp\n"
    "	call *20(%esp)\n"
    "	xor %eax, %eax\n"
    "	jmp 2f\n"
    "catch_gp:\n"
    "	mov %eax, %ss:caught_eax\n"
    "	movl $13, %ss:caught_vec\n"
    "	jmp 1f\n"
    "catch_ud:\n"
    "	mov %eax, %ss:caught_eax\n"
    "	movl $6, %ss:caught_vec\n"
    "1:	mov $0xE021, %eax\n	mov %eax, %ds\n	mov %eax, %es\n"
    "	mov %esp, caught_esp\n"
    "	mov %ss, %eax\n	mov %eax, caught_ss\n"
    "	xor %ecx, %ecx\n"
    "3:	mov (%esp,%ecx,4), %eax\n	mov %eax, caught_w(,%ecx,4)\n"
    "	inc %ecx\n	cmp $10, %ecx\n	jne 3b\n"
    "	mov caught_vec, %eax\n"
    "	mov catch_esp, %esp\n"
    "2:	pop %edi\n	pop %esi\n	pop %ebx\n	pop %ebp\n"
    "	ret\n");

/* Provocations. */
void do_ud2(void), ud_cs3_target(void), iret_mix(void), iret_vm86(void);
volatile u32 mix_esp;
asm(".text\n"
    "do_ud2:\n"
    "ud_insn: ud2\n"
    "	ret\n"
    "ud_cs3_target:\n"		/* never runs: the #GP comes first */
    "	ud2\n"
    /*
     * iret frames below EAX, which the hypercall page's slot 23 pushes:
     * EIP CS EFLAGS ESP SS = ud_cs3_target, ring-3 CS, IF=0, mix_esp, ring-1 SS
     */
    "iret_mix:\n"
    "	push $0xE021\n	push mix_esp\n	push $0x2\n	push $0xE02B\n"
    "	push $ud_cs3_target\n	mov $0x1ced, %eax\n"
    "	jmp hypercall_page + 23 * 32\n"
    /* VM86: EIP CS EFLAGS(VM, IF=0) ESP SS ES DS FS GS */
    "iret_vm86:\n"
    "	push $0x44\n	push $0x33\n	push $0x22\n	push $0x11\n"
    "	push $0xDEF0\n	push $0x9ABC\n	push $0x00020002\n	push $0x5678\n"
    "	push $0x1234\n	mov $0xea86, %eax\n"
    "	jmp hypercall_page + 23 * 32\n"
    /* Ring-3 code, alone in the .user_text pages (mode=kss3). */
    ".pushsection .user_text, \"ax\"\n"
    "user_ud2:\n"
    "	ud2\n"
    ".popsection\n");
extern u8 user_text_start[], user_text_end[], user_ud2[];

static void set_traps(u16 ud_cs, u32 ud_eip)
{
	struct xen_trap_info t[] = {
		{ 6, 0, ud_cs, ud_eip },
		{ 13, 0, FLAT_RING1_CS, (u32)catch_gp },
		{ 0, 0, 0, 0 },
	};

	set_trap_table(t);
}

static void test_trap_cs3(void)
{
	int ok = 1;

	set_traps(FLAT_RING3_CS, (u32)ud_cs3_target);
	CHECK_EQ(catch_call(do_ud2), 13, "trap_cs3_gp_not_vmentry_failure");
	ok &= check_word("error code (SS selector)", caught_w[0], ERR_SEL(FLAT_RING1_SS));
	ok &= check_word("EIP (the #UD handler)", caught_w[1], (u32)ud_cs3_target);
	ok &= check_word("CS (ring 3)", caught_w[2] & 0xFFFF, FLAT_RING3_CS);
	ok &= check_word("SS (ring 1)", caught_w[5], FLAT_RING1_SS);
	ok &= check_word("frame on the stack_switch stack", caught_esp, KSTACK_TOP - 24);
	/* ESP: below the #UD frame (3 words) under do_ud2's return address. */
	ok &= check_word("ESP (the #UD frame's)", caught_w[4], catch_esp - 4 - 12);
	CHECK(ok, "trap_cs3_gp_frame_is_xens");
}

static void test_iret_mix(void)
{
	int ok = 1;

	set_traps(FLAT_RING1_CS, (u32)catch_ud);
	mix_esp = (u32)ustack + 0x800;
	CHECK_EQ(catch_call(iret_mix), 13, "iret_cs3_ss1_gp_not_vmentry_failure");
	ok &= check_word("error code (SS selector)", caught_w[0], ERR_SEL(FLAT_RING1_SS));
	ok &= check_word("EIP", caught_w[1], (u32)ud_cs3_target);
	ok &= check_word("CS", caught_w[2] & 0xFFFF, FLAT_RING3_CS);
	ok &= check_word("ESP", caught_w[4], mix_esp);
	ok &= check_word("SS", caught_w[5], FLAT_RING1_SS);
	ok &= check_word("EAX (restored by the iret)", caught_eax, 0x1ced);
	ok &= check_word("frame on the stack_switch stack", caught_esp, KSTACK_TOP - 24);
	CHECK(ok, "iret_cs3_ss1_gp_frame_is_xens");
}

static void test_vm86(void)
{
	static const u32 want[10] = { 0, 0x1234, 0x5678, 0x00020002, 0x9ABC, 0xDEF0,
				      0x11, 0x22, 0x33, 0x44 };
	int ok = 1;
	u32 i;

	set_traps(FLAT_RING1_CS, (u32)catch_ud);
	CHECK_EQ(catch_call(iret_vm86), 13, "iret_vm86_gp");
	ok &= check_word("ESP (stack_switch stack - 40)", caught_esp, KSTACK_TOP - 40);
	ok &= check_word("SS (kernel_ss)", caught_ss, FLAT_RING1_SS);
	ok &= check_word("EAX (restored by the iret)", caught_eax, 0xea86);
	for (i = 0; i < 10; i++)
		ok &= check_word("VM86 frame word", caught_w[i], want[i]);
	CHECK(ok, "iret_vm86_frame_is_xens");
}

static long grant_setup(u32 nr, u32 *frames)
{
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = nr,
					 .frame_list = (u32)frames };
	long r = hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &st, 1, 0, 0);

	return r ? r : st.status;
}

static void test_grant(void)
{
	u32 frames[2] = { 0, 0 }, va = (u32)scratch;
	u64 own = (u64)va_to_mfn(scratch) << 12 | PTE_KERNEL_RW;
	volatile u32 *p = (volatile u32 *)scratch;

	CHECK_EQ(grant_setup(1, frames), GNTST_okay, "grant_setup_table_1");
	CHECK_EQ(update_va_mapping(va, (u64)(frames[0] + 1) << 12 | PTE_KERNEL_RW, UVMF_INVLPG),
		 -XEN_EPERM, "grant_frame_past_the_table_not_mappable");
	CHECK_EQ(update_va_mapping(va, (u64)(frames[0] + 3) << 12 | 0x21, UVMF_INVLPG),
		 -XEN_EPERM, "grant_frame_past_the_table_not_mappable_ro");
	CHECK_EQ(grant_setup(2, frames), GNTST_okay, "grant_setup_table_2");
	CHECK_EQ(update_va_mapping(va, (u64)frames[1] << 12 | PTE_KERNEL_RW, UVMF_INVLPG), 0,
		 "grant_frame_mappable_once_the_table_grew");
	p[0] = 0x9a9a;
	CHECK_EQ(p[0], 0x9a9a, "grant_frame_writable");
	CHECK_EQ(update_va_mapping(va, own, UVMF_INVLPG), 0, "grant_scratch_restored");
}

static int do_rdtscp(u32 *aux)
{
	u32 lo, hi, c;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c));
	*aux = c;
	return 0;
}

static u32 rdmsr_lo(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo;
}

static void wrmsr32(u32 msr, u32 lo)
{
	asm volatile("wrmsr" : : "a"(lo), "d"(0), "c"(msr));
}

static volatile u32 aux_rdtscp, aux_rdpid;
static void probe_rdtscp(void)
{
	u32 aux;

	do_rdtscp(&aux);
	aux_rdtscp = aux;
}

static void probe_rdpid(void)
{
	u32 aux;

	asm volatile(".byte 0xf3, 0x0f, 0xc7, 0xf8" : "=a"(aux));	/* rdpid %eax */
	aux_rdpid = aux;
}

static u32 has_rdtscp, has_rdpid;

static void probe_cpuid(void)
{
	u32 a, b, c, d;

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000000u), "c"(0));
	if (a >= 0x80000001u) {
		asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001u), "c"(0));
		has_rdtscp = (d >> 27) & 1;
	}
	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
	has_rdpid = (c >> 22) & 1;
	printf("# harden: CPUID offers rdtscp %u rdpid %u\n", has_rdtscp, has_rdpid);
}

static unsigned rdtscp_checks(void)
{
	return has_rdtscp || has_rdpid ? 2 + 2 * has_rdtscp + 2 * has_rdpid : 1;
}

static void test_rdtscp(void)
{
	set_traps(FLAT_RING1_CS, (u32)catch_ud);
	if (!has_rdtscp && !has_rdpid) {
		CHECK(1, "rdtscp_rdpid_not_offered # SKIP nothing to execute");
		return;
	}
	CHECK_EQ(rdmsr_lo(MSR_TSC_AUX), 0, "tsc_aux_starts_at_0");
	wrmsr32(MSR_TSC_AUX, 0x1d15);
	CHECK_EQ(rdmsr_lo(MSR_TSC_AUX), 0x1d15, "tsc_aux_reads_back");
	if (has_rdtscp) {
		CHECK_EQ(catch_call(probe_rdtscp), 0, "rdtscp_runs_no_ud");
		CHECK_EQ(aux_rdtscp, 0x1d15, "rdtscp_reads_guest_tsc_aux");
	}
	if (has_rdpid) {
		CHECK_EQ(catch_call(probe_rdpid), 0, "rdpid_runs_no_ud");
		CHECK_EQ(aux_rdpid, 0x1d15, "rdpid_reads_guest_tsc_aux");
	}
	wrmsr32(MSR_TSC_AUX, 0);
}

/* Unmasks with the upcall pending, then enters the hypervisor: the upcall is next. */
static void unmask_and_hypercall(void)
{
	set_upcall_mask(0);
	xen_version(0, NULL);
}

static void test_event_cs3(void)
{
	struct evtchn_bind_ipi ipi = { 0, 0 };
	int ok = 1;

	set_traps(FLAT_RING1_CS, (u32)catch_ud);
	CHECK(map_shared_info(), "map_shared_info");
	set_upcall_mask(1);
	CHECK_EQ(set_callbacks(FLAT_RING3_CS, ud_cs3_target, FLAT_RING1_CS, catch_ud), 0,
		 "event_callback_cs3_registered");
	CHECK_EQ(evtchn_op(EVTCHNOP_bind_ipi, &ipi), 0, "bind_ipi");
	CHECK_EQ(evtchn_simple(EVTCHNOP_send, ipi.port), 0, "send_ipi");
	CHECK_EQ(catch_call(unmask_and_hypercall), 13, "event_cs3_gp_not_vmentry_failure");
	ok &= check_word("error code (SS selector)", caught_w[0], ERR_SEL(FLAT_RING1_SS));
	ok &= check_word("EIP (the event callback)", caught_w[1], (u32)ud_cs3_target);
	ok &= check_word("CS", caught_w[2] & 0xFFFF, FLAT_RING3_CS);
	ok &= check_word("SS", caught_w[5], FLAT_RING1_SS);
	CHECK(ok, "event_cs3_gp_frame_is_xens");
	set_upcall_mask(1);
}

/* mode=kss3: a ring-3 kernel stack segment; the guest cannot go on. */
static int map_user(u32 va)
{
	return !update_va_mapping(va, ((u64)va_to_mfn((void *)va) << 12) | 0x67, UVMF_INVLPG);
}

static void mode_kss3(void)
{
	u32 va;
	int ok = 1;

	test_plan(2);
	set_traps(FLAT_RING1_CS, (u32)catch_ud);
	for (va = (u32)user_text_start; va < (u32)user_text_end; va += PAGE_SIZE)
		ok &= map_user(va);
	CHECK(ok && map_user((u32)ustack), "map_user_pages");
	CHECK_EQ(stack_switch(FLAT_RING3_DS, (u32)ustack + sizeof(ustack)), 0,
		 "stack_switch_ring3_ss_accepted");
	printf("harden: kss3: ud2 in ring 3\n");
	enter_ring3(user_ud2, (u32)ustack + 0x800);
	printf("harden: kss3: survived\n");
	shutdown(SHUTDOWN_poweroff);
}

/*
 * mode=l1tf: XSA-273.  The unsafe entry names frame 1 with the bits a
 * PROT_NONE PTE keeps (RW, A, D, not present); run_all.sh expects the crash
 * (status 20, "L1TF-vulnerable L1e ...") where the host CPU has L1TF.
 */
static void mode_l1tf(void)
{
	u32 va = (u32)l1tf_page;
	u64 own = (u64)va_to_mfn(l1tf_page) << 12 | PTE_KERNEL_RW;
	long rc;

	test_plan(3);
	CHECK_EQ(update_va_mapping(va, 0x62, UVMF_INVLPG), 0, "l1tf_zero_address_accepted");
	CHECK_EQ(update_va_mapping(va, 0x000FFFFFFFFFF062ull, UVMF_INVLPG), 0,
		 "l1tf_inverted_address_accepted");
	CHECK_EQ(update_va_mapping(va, own, UVMF_INVLPG), 0, "l1tf_page_restored");
	printf("harden: l1tf: writing an unsafe not-present entry\n");
	rc = update_va_mapping(va, 0x1062, UVMF_INVLPG);
	printf("harden: l1tf: unsafe entry accepted: %ld\n", rc);
	update_va_mapping(va, own, UVMF_INVLPG);
}

/*
 * mode=loop n=N: N times (10000) the trap_cs3 case, each of which made VM
 * entry fail, and the host log it, before the fix: run_all.sh checks that
 * the host log gains no line meanwhile.
 */
static void mode_loop(u32 n)
{
	u32 i, bad = 0;

	test_plan(2);
	CHECK_EQ(stack_switch(FLAT_RING1_DS, KSTACK_TOP), 0, "stack_switch");
	set_traps(FLAT_RING3_CS, (u32)ud_cs3_target);
	for (i = 0; i < n; i++)
		if (catch_call(do_ud2) != 13 || caught_w[0] != ERR_SEL(FLAT_RING1_SS))
			bad++;
	printf("harden: loop: %u contexts VMX could not enter, %u wrong\n", n, bad);
	CHECK_EQ(bad, 0, "loop_every_bad_context_is_the_guests_gp");
}

void test_main(void)
{
	const char *cmd = start_info->cmd_line;

	if (strstr(cmd, "mode=kss3")) {
		mode_kss3();
		return;
	}
	if (strstr(cmd, "mode=l1tf")) {
		mode_l1tf();
		return;
	}
	if (strstr(cmd, "mode=loop")) {
		mode_loop(cmdline_uint(cmd, "n", 10000));
		return;
	}
	probe_cpuid();
	test_plan(20 + rdtscp_checks());
	CHECK_EQ(stack_switch(FLAT_RING1_DS, KSTACK_TOP), 0, "stack_switch");
	test_trap_cs3();
	test_iret_mix();
	test_vm86();
	test_grant();
	test_rdtscp();
	test_event_cs3();
}
