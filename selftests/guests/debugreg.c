// SPDX-License-Identifier: GPL-2.0
/*
 * debugreg: the guest's debug registers really armed, as on Xen
 * (Documentation/guest-abi.rst "Debug registers"):
 *
 *   - the reset state (DR0-3 0, DR6 0xFFFF0FF0, DR7 0x400, CR4.DE clear,
 *     MSR_DEBUGCTL 0), through mov %drN and the get_debugreg hypercall;
 *   - set_debugreg/get_debugreg and mov %drN share one state;
 *   - a data breakpoint armed by a single mov to %dr7 fires on the very
 *     next store (XTF debug-regs' latch test), with B0 in DR6; DR7 = 0
 *     disarms it; an instruction breakpoint fires once, and the handler's
 *     EFLAGS.RF lets the instruction run;
 *   - `mov %ss` deferring its data breakpoint: past a nop and past an
 *     emulated cpuid the #DB comes right after that instruction; across a
 *     hypercall, and across a faulting ring-3 instruction (ud2, syscall:
 *     XTF's xsa-260), it is dropped as Xen drops it -- the guest's #UD
 *     handler runs and no #DB reaches the kernel (XSA-260), and so is a
 *     single step deferred past a ring-1 ud2;
 *   - a data breakpoint hit in ring 3;
 *   - CR4.DE sticks; with it an I/O breakpoint is accepted and traps after
 *     the out; without it a new one is #GP(0) and the old one stays; DR4
 *     is #UD while DE is set.
 */
#include "runtime.h"

#define PTE_USER_RW	0x67u	/* P | RW | US | A | D */
#define EFLAGS_RF	0x10000u
#define DR6_DEFAULT	0xffff0ff0u
#define DR7_DEFAULT	0x400u
#define CR4_DE		0x8u
/* Breakpoint n global, R/W and LEN fields. */
#define DR7_G(n)	(2u << (2 * (n)))
#define DR7_L(n)	(1u << (2 * (n)))
#define DR7_RW(n, rw)	((rw) << (16 + 4 * (n)))
#define DR7_LEN4(n)	(3u << (18 + 4 * (n)))
#define RW_WRITE	1u
#define RW_IO		2u
#define RW_RW		3u

static inline u32 get_dr(int n)
{
	u32 v;

	switch (n) {
	case 0: asm volatile("mov %%dr0, %0" : "=r"(v)); break;
	case 1: asm volatile("mov %%dr1, %0" : "=r"(v)); break;
	case 2: asm volatile("mov %%dr2, %0" : "=r"(v)); break;
	case 3: asm volatile("mov %%dr3, %0" : "=r"(v)); break;
	case 6: asm volatile("mov %%dr6, %0" : "=r"(v)); break;
	default: asm volatile("mov %%dr7, %0" : "=r"(v)); break;
	}
	return v;
}

static inline void set_dr(int n, u32 v)
{
	switch (n) {
	case 0: asm volatile("mov %0, %%dr0" : : "r"(v) : "memory"); break;
	case 1: asm volatile("mov %0, %%dr1" : : "r"(v) : "memory"); break;
	case 2: asm volatile("mov %0, %%dr2" : : "r"(v) : "memory"); break;
	case 3: asm volatile("mov %0, %%dr3" : : "r"(v) : "memory"); break;
	case 6: asm volatile("mov %0, %%dr6" : : "r"(v) : "memory"); break;
	default: asm volatile("mov %0, %%dr7" : : "r"(v) : "memory"); break;
	}
}

static inline u32 read_cr4(void)
{
	u32 v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(u32 v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static long get_debugreg(u32 reg)
{
	return hypercall(__HYPERVISOR_get_debugreg, reg, 0, 0, 0, 0);
}

static long set_debugreg(u32 reg, u32 val)
{
	return hypercall(__HYPERVISOR_set_debugreg, reg, val, 0, 0, 0);
}

/* The #DB handler: trap_record_c() logs vector 1, resumes where told. */
void trap_record_c(u32 vec, u32 ec, u32 *frame);
extern u8 db_stub[];
asm(".text\n"
    ".globl db_stub\n"
    "db_stub:\n"
    "	push %eax\n	push %ecx\n	push %edx\n"
    "	lea 12(%esp), %eax\n"
    "	push %eax\n	push $0\n	push $1\n"
    "	cld\n	call trap_record_c\n	add $12, %esp\n"
    "	pop %edx\n	pop %ecx\n	pop %eax\n"
    "	jmp hypercall_page + 23 * 32\n");

static volatile u32 watch, ss_var, bp_runs;
extern u8 ss_step_ud2[], ss_step_after[];
static u32 rf_on_db;

static void hook(u32 vec, u32 *frame)
{
	if (vec == 1 && rf_on_db)
		frame[2] |= EFLAGS_RF;
	if (vec == 6 && frame[0] == (u32)ss_step_after)	/* stop single-stepping */
		frame[2] &= ~0x100u;
	if (vec == 6 && (frame[1] & 3) == 3) {	/* the end of a ring-3 run */
		frame[0] = (u32)ring3_exit;
		frame[1] = FLAT_RING1_CS;
	}
}

/* Ring-1 sequences; labels mark where a #DB frame's EIP should be. */
extern u8 store_insn[], store_after[], ss_nop_after[], ss_hcall_done[], ss_cpuid_after[],
	ss_cpuid_nop_after[], out_after[], bp_target[], read_dr4_after[], write_dr7_after[];
asm(".text\n"
    "store_watch:\n"
    "store_insn:	movl $1, watch\n"
    "store_after:	ret\n"
    "ss_nop:\n"
    "	mov ss_var, %ss\n"
    "	nop\n"
    "ss_nop_after:	ret\n"
    "ss_hcall:\n"
    "	push %ebx\n"
    "	mov $17, %eax\n	xor %ebx, %ebx\n	xor %ecx, %ecx\n"	/* xen_version(0) */
    "	mov ss_var, %ss\n"
    "	int $0x82\n"
    "ss_hcall_done:	nop\n"
    "	pop %ebx\n	ret\n"
    "ss_cpuid:\n"
    "	push %ebx\n	xor %eax, %eax\n	xor %ecx, %ecx\n"
    "	mov ss_var, %ss\n"
    "	cpuid\n"
    "ss_cpuid_after:	nop\n"
    "ss_cpuid_nop_after:	pop %ebx\n	ret\n"
    "out80:	outb %al, $0x80\n"
    "out_after:	ret\n"
    "read_dr4:	mov %dr4, %eax\n"
    "read_dr4_after:	ret\n"
    "write_dr7:	mov %eax, %dr7\n"
    "write_dr7_after:	ret\n"
    "bp_target:	incl bp_runs\n	ret\n"
    "ss_step_ud:\n"
    "	pushf\n	orl $0x100, (%esp)\n	popf\n"	/* TF: a trap after the next insn, */
    "	mov ss_var, %ss\n"			/* which mov ss defers past the ud2 */
    "ss_step_ud2:	ud2\n"
    "ss_step_after:	ret\n");
void store_watch(void);
void ss_nop(void);
u32 ss_hcall(void);
void ss_cpuid(void);
void ss_step_ud(void);
void out80(void);
u32 read_dr4(void);
void __attribute__((regparm(1))) write_dr7(u32 val);
typedef void (*fn_t)(void);

/* Ring 3: the user pages, its code, its data. */
extern u8 user_text_start[], user_text_end[], u_xsa_ud[], u_xsa_syscall[], u_store[],
	u_store_after[], u_ud2a[], u_ud2b[], u_ud2c[];
static u8 user_stack[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
volatile u32 user_page[PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));
static u8 kstack[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
#define KSTACK_TOP	((u32)kstack + sizeof(kstack))
#define USTACK_TOP	((u32)user_stack + PAGE_SIZE)
#define USER_SS		user_page[0]	/* the selector `mov %ss` loads */
#define USER_WATCH	user_page[1]

asm(".pushsection .user_text, \"ax\"\n"
    "u_xsa_ud:\n"
    "	mov user_page, %ss\n"
    "u_ud2a:	ud2\n"
    "u_xsa_syscall:\n"
    "	mov user_page, %ss\n"
    "u_ud2b:	syscall\n"
    "u_store:\n"
    "	movl $2, user_page + 4\n"
    "u_store_after:\n"
    "u_ud2c:	ud2\n"
    ".popsection\n");

static int map_user(u32 va)
{
	u64 pte = ((u64)va_to_mfn((void *)va) << 12) | PTE_USER_RW;

	return update_va_mapping(va, pte, UVMF_INVLPG) == 0;
}

/* Run fn; how many traps, and the last one's vector and frame EIP. */
struct outcome {
	u32 traps, vector, eip;
};

static struct outcome trapped_since(u32 base)
{
	struct outcome o = { trap_count - base, 0, 0 };
	const volatile struct trap_record *t;

	if (o.traps) {
		t = last_trap();
		o.vector = t->vector;
		o.eip = t->w[t->has_ec];
	}
	return o;
}

static struct outcome run(fn_t fn)
{
	u32 base = trap_count;

	fn();
	return trapped_since(base);
}

static struct outcome run_user(const void *entry)
{
	u32 base = trap_count;

	enter_ring3(entry, USTACK_TOP);
	return trapped_since(base);
}

static int one_trap(struct outcome o, u32 vector, const void *eip, const char *what)
{
	if (o.traps == 1 && o.vector == vector && o.eip == (u32)eip)
		return 1;
	test_diag("  %s: %u traps, last vector %u at 0x%x; want one, vector %u at 0x%x",
		  what, o.traps, o.vector, o.eip, vector, (u32)eip);
	return 0;
}

static void reset_state(void)
{
	u32 ok = 1, i;

	for (i = 0; i < 4; i++)
		ok &= check_word("dr0-3", get_dr(i), 0);
	ok &= check_word("dr6", get_dr(6), DR6_DEFAULT);
	ok &= check_word("dr7", get_dr(7), DR7_DEFAULT);
	CHECK(ok, "initial_dr0_3_dr6_dr7");
	CHECK_EQ(read_cr4() & CR4_DE, 0, "initial_cr4_de_clear");
	{
		u32 lo, hi, base = trap_count;

		asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x1d9));
		CHECK(trap_count == base && lo == 0 && hi == 0, "rdmsr_debugctl_reads_0");
	}
	CHECK(get_debugreg(6) == (long)DR6_DEFAULT && get_debugreg(7) == DR7_DEFAULT &&
	      get_debugreg(0) == 0, "get_debugreg_reset_values");
	CHECK_EQ(get_debugreg(8), -XEN_ENODEV, "get_debugreg_8_enodev");
}

static void shared_state(void)
{
	CHECK(set_debugreg(1, 0x1234) == 0 && get_dr(1) == 0x1234, "set_debugreg_then_mov_reads");
	set_dr(2, 0x5678);
	CHECK_EQ(get_debugreg(2), 0x5678, "mov_then_get_debugreg_reads");
	CHECK_EQ(set_debugreg(7, 0x2000), -XEN_EPERM, "set_debugreg_gd_eperm");
	CHECK_EQ(set_debugreg(0, 0xf5800000), -XEN_EPERM, "set_debugreg_hypervisor_address_eperm");
	set_dr(1, 0);
	set_dr(2, 0);
}

static void breakpoints_ring1(void)
{
	struct outcome o;
	u32 dr6;

	set_dr(6, 0);
	set_dr(0, (u32)&watch);
	set_dr(7, DR7_G(0) | DR7_RW(0, RW_WRITE) | DR7_LEN4(0) | DR7_DEFAULT);
	o = run(store_watch);
	CHECK(one_trap(o, 1, store_after, "store"), "data_breakpoint_fires_after_one_dr7_write");
	dr6 = get_dr(6);
	CHECK(check_word("dr6", dr6, DR6_DEFAULT | 1), "dr6_b0_after_data_breakpoint");
	CHECK_EQ(get_debugreg(6), (long)(DR6_DEFAULT | 1), "get_debugreg_6_b0");
	set_dr(6, DR6_DEFAULT);

	set_dr(7, 0);
	o = run(store_watch);
	CHECK(o.traps == 0 && watch == 1, "dr7_0_disarms");

	/* An instruction breakpoint: a fault at the instruction, RF lets it run. */
	bp_runs = 0;
	rf_on_db = 1;
	set_dr(1, (u32)bp_target);
	set_dr(7, DR7_L(1) | DR7_DEFAULT);
	o = run((fn_t)bp_target);
	set_dr(7, 0);
	rf_on_db = 0;
	CHECK(one_trap(o, 1, bp_target, "insn bp") && bp_runs == 1 && (get_dr(6) & 0xf) == 2,
	      "instruction_breakpoint_once_then_rf");
	set_dr(6, DR6_DEFAULT);
}

static void mov_ss_deferral(void)
{
	struct outcome o;
	u32 ret, base;

	ss_var = FLAT_RING1_SS;
	set_dr(0, (u32)&ss_var);
	set_dr(7, DR7_G(0) | DR7_RW(0, RW_RW) | DR7_LEN4(0) | DR7_DEFAULT);

	/* XTF xsa-260's sanity check: the #DB comes after the next instruction. */
	o = run(ss_nop);
	CHECK(one_trap(o, 1, ss_nop_after, "mov ss; nop"), "mov_ss_breakpoint_after_next_insn");

	/* Across a hypercall it fires in the hypervisor, where Xen drops it. */
	set_dr(6, DR6_DEFAULT);
	base = trap_count;
	ret = ss_hcall();
	o = trapped_since(base);
	CHECK(o.traps == 0 && ret == ((4u << 16) | 19) && (get_dr(6) & 0xf) == 0,
	      "mov_ss_then_hypercall_no_db");
	if (o.traps)
		test_diag("  %u traps, vector %u at 0x%x (hypercall returns to 0x%x)",
			  o.traps, o.vector, o.eip, (u32)ss_hcall_done);

	/* cpuid runs natively on Xen: the #DB right after it. */
	o = run(ss_cpuid);
	CHECK(one_trap(o, 1, ss_cpuid_after, "mov ss; cpuid"), "mov_ss_then_cpuid_db_after_cpuid");

	set_dr(7, 0);
	set_dr(6, DR6_DEFAULT);

	/*
	 * A single step deferred by mov ss past a faulting ud2: on Xen it
	 * fires in Xen and is dropped; the guest sees the #UD only (and
	 * VMX must not enter its handler with the shadow and a pending BS).
	 */
	trap_resume[6] = (u32)ss_step_after;
	o = run(ss_step_ud);
	trap_resume[6] = 0;
	CHECK(one_trap(o, 6, ss_step_ud2, "TF; mov ss; ud2") && (get_dr(6) & 0x4000) == 0,
	      "mov_ss_deferred_single_step_across_ud2_dropped");
}

static void ring3(void)
{
	struct outcome o;
	u32 va, ok = 1;

	for (va = (u32)user_text_start; va < (u32)user_text_end; va += PAGE_SIZE)
		ok &= map_user(va);
	ok &= map_user((u32)user_stack) && map_user((u32)user_page);
	CHECK(ok && stack_switch(FLAT_RING1_SS, KSTACK_TOP) == 0, "ring3_setup");

	/* XSA-260: the deferred #DB must not reach the kernel's #UD handler. */
	USER_SS = FLAT_RING3_DS;
	set_dr(6, DR6_DEFAULT);
	set_dr(0, (u32)&USER_SS);
	set_dr(7, DR7_G(0) | DR7_RW(0, RW_RW) | DR7_LEN4(0) | DR7_DEFAULT);
	o = run_user(u_xsa_ud);
	CHECK(one_trap(o, 6, u_ud2a, "mov ss; ud2") && (get_dr(6) & 0xf) == 0,
	      "xsa260_mov_ss_ud2_no_db_in_kernel");
	o = run_user(u_xsa_syscall);
	CHECK(one_trap(o, 6, u_ud2b, "mov ss; syscall") && (get_dr(6) & 0xf) == 0,
	      "xsa260_mov_ss_syscall_ud_no_db_in_kernel");

	/* A ring-3 store hits its data breakpoint: #DB, then the ud2 ends the run. */
	set_dr(1, (u32)&USER_WATCH);
	set_dr(7, DR7_G(1) | DR7_RW(1, RW_WRITE) | DR7_LEN4(1) | DR7_DEFAULT);
	{
		u32 base = trap_count;

		enter_ring3(u_store, USTACK_TOP);
		ok = check_word("traps", trap_count - base, 2);
		ok &= check_word("#DB", trap_log[base % TRAP_LOG].vector, 1);
		ok &= check_word("#DB EIP", trap_log[base % TRAP_LOG].w[0], (u32)u_store_after);
		ok &= check_word("#DB CS", trap_log[base % TRAP_LOG].w[1] & 3, 3);
		ok &= check_word("user store", USER_WATCH, 2);
		ok &= check_word("dr6", get_dr(6), DR6_DEFAULT | 2);
		CHECK(ok, "ring3_data_breakpoint");
	}
	set_dr(7, 0);
	set_dr(6, DR6_DEFAULT);
}

static void cr4_de_io_breakpoints(void)
{
	u32 iopl = 1, cr4 = read_cr4(), io2, base;
	struct outcome o;

	CHECK_EQ(hypercall(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, &iopl, 0, 0, 0), 0,
		 "set_iopl_1");
	write_cr4(cr4 | CR4_DE);
	CHECK_EQ(read_cr4(), cr4 | CR4_DE, "cr4_de_sticks");
	io2 = DR7_G(2) | DR7_RW(2, RW_IO) | DR7_DEFAULT;
	set_dr(2, 0x80);
	set_dr(6, DR6_DEFAULT);
	set_dr(7, io2);
	CHECK_EQ(get_dr(7), io2, "io_breakpoint_accepted_with_de");
	o = run(out80);
	CHECK(one_trap(o, 1, out_after, "out") && get_dr(6) == (DR6_DEFAULT | 4),
	      "io_breakpoint_traps_after_out");
	base = trap_count;
	trap_resume[6] = (u32)read_dr4_after;
	read_dr4();
	trap_resume[6] = 0;
	o = trapped_since(base);
	CHECK(o.traps == 1 && o.vector == 6, "dr4_ud_with_de");

	write_cr4(cr4);
	CHECK_EQ(read_cr4(), cr4, "cr4_de_cleared");
	base = trap_count;
	trap_resume[13] = (u32)write_dr7_after;
	write_dr7(io2);
	trap_resume[13] = 0;
	o = trapped_since(base);
	CHECK(o.traps == 1 && o.vector == 13 && get_dr(7) == io2,
	      "io_breakpoint_without_de_gp_keeps_old");
	set_dr(7, 0);
	set_dr(6, DR6_DEFAULT);
	iopl = 0;
	hypercall(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, &iopl, 0, 0, 0);
}

void test_main(void)
{
	static struct xen_trap_info table[] = {
		{ 1, 3, FLAT_RING1_CS, (u32)db_stub },
		{ 6, 0, FLAT_RING1_CS, (u32)trap_stub_6 },
		{ 13, 0, FLAT_RING1_CS, (u32)trap_stub_13 },
		{ 14, 0, FLAT_RING1_CS, (u32)trap_stub_14 },
		{ 0, 0, 0, 0 },
	};

	test_plan(31);
	CHECK(map_shared_info() && set_trap_table(table) == 0, "setup");
	trap_hook = hook;
	reset_state();
	shared_state();
	breakpoints_ring1();
	mov_ss_deferral();
	ring3();
	cr4_de_io_breakpoints();
	trap_hook = NULL;
	CHECK_EQ(read_cs(), FLAT_RING1_CS, "back_in_ring1");
}
