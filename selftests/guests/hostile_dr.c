// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_dr: a guest attacking the debug-register and fast-system-call
 * surfaces with hostile values (issue 15, "beyond the list").  Expected
 * results are Xen's: set_debugreg() in xen/arch/x86/pv/misc-hypercalls.c,
 * x86emul_read_dr()/x86emul_write_dr() in xen/arch/x86/pv/emul-priv-op.c,
 * x86_adj_dr{6,7}_rsvd() in xen/lib/x86/, handle_DB() in
 * xen/arch/x86/traps.c (a #DB raised by Xen's own access to guest memory is
 * dropped: XSA-260's "debug exceptions in hypervisor context"), and
 * compat callback registration (xen/arch/x86/pv/callback.c) with the
 * return-to-guest fault rule of entry.S.
 *
 *   (default)  every case below in one guest, KTAP
 *     dr_hv      DR0-3 on the hypervisor area (0xF5800000 up: the M2P, LDT,
 *                shared_info and GDT/TSS/stub slots of Xen's L2) refused,
 *                by set_debugreg (-EPERM) and mov (#GP(0)), nothing changed;
 *                the last address below it accepted
 *     dr7        GD refused both ways; the reserved bits (RTM's bit 11
 *                among them) read back clear, bit 10 set; every enable
 *                with every breakpoint an I/O one is refused without
 *                CR4.DE; I/O fields without an enable bit are kept
 *     dr_nr      get/set_debugreg of registers 8, 15, 0x80000000 and
 *                0xFFFFFFFF: -ENODEV; DR4/DR5 -ENODEV with CR4.DE
 *     dr6        DR6 0 and ~0 read back with the fixed bits; a value
 *                survives 200 exits of every kind (hypercalls, cpuid,
 *                emulated privileged instructions, faults)
 *     hv_write   write watchpoints on a hypercall's output buffer and on
 *                the kernel-stack slots a bounce frame is written to: the
 *                hypervisor's writes raise no #DB and leave DR6 alone; the
 *                guest's own store still does
 *     all_armed  all four breakpoints armed (8 bytes) on the trap table
 *                (R/W), a hypercall output buffer and vcpu_info (writes)
 *                while 100 set_trap_table, xen_version and #GP bounces
 *                run: the guest gets the 100 #GPs and no #DB
 *     fastcall   sysenter/syscall32 callbacks with a CS a return to the
 *                guest refuses -- ring-3 code over the ring-1 stack, a data
 *                segment, an LDT selector without an LDT: registration
 *                succeeds (Xen only fixes up RPL 0), the call becomes the
 *                guest's #GP from the callback's CS:EIP, with the refused
 *                selector (SS, or CS itself) as error code, as Xen's
 *                faulting iretq gives it; a callback EIP in the hypervisor
 *                area faults in the guest (#PF)
 *   mode=fastcall_unusable  a syscall32 callback CS that is a data segment
 *                and a #GP trap entry whose CS is one too: the guest is
 *                crashed with the reason (Xen would fault on the #GP's
 *                own frame for ever; see fastcall_unusable())
 *   mode=db_recurse  an instruction breakpoint on the #DB handler's first
 *                instruction, on a one-page stack with nothing mapped below:
 *                each #DB's frame goes below the last until the stack runs
 *                out and the guest is crashed (Xen: domain_crash when the
 *                bounce frame cannot be written), the host unharmed
 */
#include "runtime.h"

#define DR6_DEFAULT	0xffff0ff0u
#define DR7_DEFAULT	0x400u
#define CR4_DE		0x8u
#define DR7_G(n)	(2u << (2 * (n)))
#define DR7_L(n)	(1u << (2 * (n)))
#define DR7_RW(n, rw)	((rw) << (16 + 4 * (n)))
#define DR7_LEN(n, l)	((l) << (18 + 4 * (n)))
#define RW_EXEC		0u
#define RW_WRITE	1u
#define RW_IO		2u
#define RW_RW		3u
#define LEN4		3u
#define LEN8		2u
#define DR7_GD		0x2000u
#define HV_START	XEN_HYPERVISOR_VIRT_START
#define PTE_KERNEL_RW	0x63u

static long get_debugreg(u32 reg)
{
	return hypercall(__HYPERVISOR_get_debugreg, reg, 0, 0, 0, 0);
}

static long set_debugreg(u32 reg, u32 val)
{
	return hypercall(__HYPERVISOR_set_debugreg, reg, val, 0, 0, 0);
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

static u32 get_dr(u32 n)
{
	return (u32)get_debugreg(n);
}

/* #DB: trap_record_c() logs vector 1 (debugreg.c's stub). */
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

/* mov to %drN with EAX = value; a #GP resumes at the matching _after label. */
#define MOV_DR(n)							\
	"mov_dr" #n ":	mov %eax, %dr" #n "\n"				\
	"mov_dr" #n "_after:	ret\n"
asm(".text\n"
    MOV_DR(0) MOV_DR(1) MOV_DR(2) MOV_DR(3) MOV_DR(6) MOV_DR(7)
    /* sysenter/syscall from ring 1: the callback or the #GP/#UD resumes after. */
    "do_sysenter:	sysenter\n"
    "do_sysenter_after:	ret\n"
    "do_syscall:	syscall\n"
    "do_syscall_after:	ret\n");
typedef void __attribute__((regparm(1))) (*mov_fn)(u32);
void __attribute__((regparm(1))) mov_dr0(u32), mov_dr1(u32), mov_dr2(u32), mov_dr3(u32),
	mov_dr6(u32), mov_dr7(u32);
extern u8 mov_dr0_after[], mov_dr1_after[], mov_dr2_after[], mov_dr3_after[],
	mov_dr6_after[], mov_dr7_after[];
void do_sysenter(void), do_syscall(void);
extern u8 do_sysenter_after[], do_syscall_after[];

static const struct {
	mov_fn fn;
	u8 *after;
} movs[8] = {
	[0] = { mov_dr0, mov_dr0_after }, [1] = { mov_dr1, mov_dr1_after },
	[2] = { mov_dr2, mov_dr2_after }, [3] = { mov_dr3, mov_dr3_after },
	[6] = { mov_dr6, mov_dr6_after }, [7] = { mov_dr7, mov_dr7_after },
};

/* mov val to %drN: 0, or the vector it raised. */
static u32 mov_to_dr(u32 n, u32 val)
{
	u32 base = trap_count;

	trap_resume_any = (u32)movs[n].after;
	movs[n].fn(val);
	trap_resume_any = 0;
	if (trap_count == base)
		return 0;
	if (last_trap()->vector == 13 && last_trap()->w[0] != 0)
		test_diag("  mov %%dr%u: #GP error code 0x%x", n, last_trap()->w[0]);
	return last_trap()->vector;
}

static void disarm(void)
{
	set_debugreg(7, 0);
	set_debugreg(6, DR6_DEFAULT);
}

static void dr_hv(void)
{
	static const u32 bad[] = { HV_START, 0xF5BFFFFC, 0xFFA00000, 0xFFC00000,
				   0xFFE00000, 0xFFE0F200, 0xFFFFFFF8, 0xFFFFFFFF };
	u32 r, i, ok = 1;

	for (r = 0; r < 4; r++) {
		ok &= set_debugreg(r, 0x1000 * (r + 1)) == 0;
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			if (set_debugreg(r, bad[i]) != -XEN_EPERM) {
				test_diag("  set_debugreg(%u, 0x%x) accepted", r, bad[i]);
				ok = 0;
			}
			if (mov_to_dr(r, bad[i]) != 13) {
				test_diag("  mov 0x%x to %%dr%u: no #GP", bad[i], r);
				ok = 0;
			}
		}
		ok &= check_word("dr kept", get_dr(r), 0x1000 * (r + 1));
	}
	CHECK(ok, "dr0_3_hypervisor_area_refused_unchanged");
	ok = 1;
	for (r = 0; r < 4; r++) {
		ok &= set_debugreg(r, HV_START - 1) == 0 && get_dr(r) == HV_START - 1;
		ok &= mov_to_dr(r, HV_START - 4) == 0 && get_dr(r) == HV_START - 4;
		set_debugreg(r, 0);
	}
	CHECK(ok, "dr0_3_last_address_below_accepted");
}

static void dr7(void)
{
	u32 all_io = DR7_G(0) | DR7_G(1) | DR7_G(2) | DR7_G(3) | DR7_L(0) | DR7_L(1) |
		     DR7_L(2) | DR7_L(3) | DR7_RW(0, RW_IO) | DR7_RW(1, RW_IO) |
		     DR7_RW(2, RW_IO) | DR7_RW(3, RW_IO);
	u32 keep = DR7_RW(1, RW_WRITE) | DR7_LEN(1, LEN4) | DR7_DEFAULT;

	set_debugreg(7, keep);
	CHECK(set_debugreg(7, DR7_GD) == -XEN_EPERM &&
	      set_debugreg(7, DR7_GD | DR7_G(0)) == -XEN_EPERM &&
	      set_debugreg(7, 0xFFFFFFFF) == -XEN_EPERM && get_dr(7) == keep,
	      "dr7_gd_refused_by_hypercall");
	CHECK(mov_to_dr(7, DR7_GD) == 13 && mov_to_dr(7, ~0u) == 13 && get_dr(7) == keep,
	      "dr7_gd_refused_by_mov");
	/* Bits 11 (RTM: no RTM in the policy), 12, 14, 15 read 0; bit 10 reads 1. */
	CHECK(set_debugreg(7, 0xD800) == 0 && get_dr(7) == DR7_DEFAULT, "dr7_reserved_read_clear");
	CHECK(mov_to_dr(7, 0xFFFFDFFF & ~0xFFu) == 0 && get_dr(7) == (0xFFFFDFFF & ~0xFFu & ~0xD800u),
	      "dr7_all_fields_without_enables_kept");
	set_debugreg(7, keep);
	CHECK(!(read_cr4() & CR4_DE) && set_debugreg(7, all_io) == -XEN_EPERM &&
	      mov_to_dr(7, all_io) == 13 && get_dr(7) == keep,
	      "dr7_io_breakpoints_without_de_refused");
	/* Xen keeps an inactive value whole (XTF debug-regs' latch). */
	CHECK(set_debugreg(7, all_io & ~0xFFu) == 0 && get_dr(7) == ((all_io & ~0xFFu) | DR7_DEFAULT),
	      "dr7_io_fields_without_enables_kept");
	disarm();
}

static void dr_nr(void)
{
	static const u32 regs[] = { 8, 15, 16, 0x80000000u, 0xFFFFFFFFu };
	u32 i, ok = 1, cr4 = read_cr4();

	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		ok &= get_debugreg(regs[i]) == -XEN_ENODEV;
		ok &= set_debugreg(regs[i], 0) == -XEN_ENODEV;
	}
	CHECK(ok, "debugreg_out_of_range_enodev");
	write_cr4(cr4 | CR4_DE);
	CHECK(get_debugreg(4) == -XEN_ENODEV && get_debugreg(5) == -XEN_ENODEV &&
	      set_debugreg(4, 0) == -XEN_ENODEV && set_debugreg(5, 0) == -XEN_ENODEV,
	      "dr4_dr5_enodev_with_de");
	write_cr4(cr4);
	CHECK(get_debugreg(4) == (long)DR6_DEFAULT && get_debugreg(5) == DR7_DEFAULT,
	      "dr4_dr5_alias_dr6_dr7_without_de");
}

static void dr6(void)
{
	u32 i, a, b, c, d, base, ok;
	struct xen_shared_info *si = shared_info;
	u32 val = DR6_DEFAULT | 0x4000 | 0xF;	/* BS, B0-3 */

	CHECK(set_debugreg(6, 0) == 0 && get_dr(6) == DR6_DEFAULT, "dr6_0_reads_fixed_bits");
	CHECK(mov_to_dr(6, ~0u) == 0 && get_dr(6) == 0xFFFFEFFF, "dr6_ones_reads_bit12_clear");
	set_debugreg(6, val);
	base = trap_count;
	trap_resume[6] = 0;
	for (i = 0; i < 50; i++) {
		xen_version(0, NULL);
		a = 0; c = 0;
		asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
		(void)read_cr4();
		(void)si->vcpu_info[0].evtchn_upcall_mask;
	}
	/* Faults bounced to the guest: #GP from mov to %dr7. */
	for (i = 0; i < 50; i++)
		mov_to_dr(7, DR7_GD);
	ok = check_word("dr6 after exits", get_dr(6), val);
	ok &= check_word("traps", trap_count - base, 50);
	CHECK(ok, "dr6_survives_exits");
	disarm();
}

/* Watchpoints on what the hypervisor writes. */
static char extraversion[16] __attribute__((aligned(16)));
extern u8 stack_watch_ud2[], stack_watch_after[];
volatile u32 watch_addr;
asm(".text\n"
    "stack_watch:\n"
    /* DR0 = the slot for the frame's CS, 8 bytes below ESP (EFLAGS above). */
    "	lea -8(%esp), %eax\n"
    "	mov %eax, %dr0\n"
    "	mov %eax, watch_addr\n"
    "	mov $0x000d0402, %eax\n"	/* G0, R/W 01 (write), LEN 11 (4) */
    "	mov %eax, %dr7\n"
    "stack_watch_ud2:	ud2\n"
    "stack_watch_after:\n"
    "	xor %eax, %eax\n"
    "	mov %eax, %dr7\n"
    "	ret\n");
void stack_watch(void);

static void hv_write(void)
{
	u32 base, ok = 1;
	struct outcome { u32 n, v; } o;

	set_debugreg(6, DR6_DEFAULT);
	set_debugreg(0, (u32)extraversion);
	set_debugreg(1, (u32)extraversion + 8);
	set_debugreg(7, DR7_G(0) | DR7_RW(0, RW_WRITE) | DR7_LEN(0, LEN8) |
		     DR7_G(1) | DR7_RW(1, RW_RW) | DR7_LEN(1, LEN8) | DR7_DEFAULT);
	base = trap_count;
	memset(extraversion, 0x55, sizeof(extraversion));
	o.n = trap_count - base;	/* the guest's own stores: #DB */
	ok &= check_word("#DB of the guest's own stores", o.n != 0, 1);
	set_debugreg(6, DR6_DEFAULT);
	base = trap_count;
	ok &= xen_version(XENVER_extraversion, extraversion) == 0;
	ok &= check_word("#DB of the hypervisor's write", trap_count - base, 0);
	ok &= check_word("dr6", get_dr(6), DR6_DEFAULT);
	ok &= extraversion[0] != 0x55;
	disarm();
	CHECK(ok, "hypercall_output_watchpoint_no_db");

	base = trap_count;
	trap_resume[6] = (u32)stack_watch_after;
	stack_watch();
	trap_resume[6] = 0;
	o.n = trap_count - base;
	o.v = o.n ? trap_log[base % TRAP_LOG].vector : 0;
	CHECK(o.n == 1 && o.v == 6 && (get_dr(6) & 0xF) == 0, "bounce_frame_watchpoint_no_db");
	if (o.n != 1 || o.v != 6)
		test_diag("  %u traps, first vector %u (watch at 0x%x)", o.n, o.v, watch_addr);
	disarm();
}

/* The trap table: the hypervisor reads it on every set_trap_table. */
static struct xen_trap_info table[] = {
	{ 1, 3, FLAT_RING1_CS, (u32)db_stub },
	{ 6, 0, FLAT_RING1_CS, (u32)trap_stub_6 },
	{ 13, 0, FLAT_RING1_CS, (u32)trap_stub_13 },
	{ 14, 0, FLAT_RING1_CS, (u32)trap_stub_14 },
	{ 0, 0, 0, 0 },
};

/*
 * All four armed over guest memory the hypervisor reads or writes while
 * 100 hypercalls and #GP bounces run: every trap the guest gets is a #GP.
 */
static void all_armed(void)
{
	static char buf[16] __attribute__((aligned(16)));
	u32 i, base, ok = 1;

	set_debugreg(0, (u32)table);
	set_debugreg(1, (u32)buf);
	set_debugreg(2, (u32)buf + 8);
	set_debugreg(3, (u32)&shared_info->vcpu_info[0]);
	set_debugreg(7, DR7_G(0) | DR7_RW(0, RW_RW) | DR7_LEN(0, LEN8) |
		     DR7_G(1) | DR7_RW(1, RW_WRITE) | DR7_LEN(1, LEN8) |
		     DR7_L(2) | DR7_RW(2, RW_WRITE) | DR7_LEN(2, LEN8) |
		     DR7_G(3) | DR7_RW(3, RW_WRITE) | DR7_LEN(3, LEN8) | DR7_DEFAULT);
	base = trap_count;
	for (i = 0; i < 100; i++) {
		ok &= set_trap_table(table) == 0;
		ok &= xen_version(XENVER_extraversion, buf) == 0;
		ok &= mov_to_dr(7, DR7_GD) == 13;
	}
	ok &= check_word("traps", trap_count - base, 100);
	for (i = base; i < trap_count && ok; i++)
		ok &= check_word("vector", trap_log[i % TRAP_LOG].vector, 13);
	ok &= check_word("dr6", get_dr(6), DR6_DEFAULT);
	disarm();
	for (i = 0; i < 4; i++)
		set_debugreg(i, 0);
	CHECK(ok, "four_watchpoints_on_hypervisor_touched_memory");
}

/*
 * catch_call(fn) (harden.c's): run fn(); 0 if it returned, or the vector
 * (13, 14) whose catch handler ran: it reloads the ring-1 data selectors
 * and unwinds to catch_call's caller on the saved stack, whatever stack and
 * CS the fault came from.
 */
int catch_call(void (*fn)(void));
extern u8 catch_gp[], catch_pf[];
volatile u32 catch_esp, caught_vec, caught_ec, caught_eip, caught_cs;
asm(".text\n"
    ".globl catch_call, catch_gp, catch_pf\n"
    "catch_call:\n"
    "	push %ebp\n	push %ebx\n	push %esi\n	push %edi\n"
    "	mov %esp, %ss:catch_esp\n"
    "	call *20(%esp)\n"
    "	xor %eax, %eax\n"
    "	jmp 2f\n"
    "catch_gp:\n"
    "	movl $13, %ss:caught_vec\n"
    "	jmp 1f\n"
    "catch_pf:\n"
    "	movl $14, %ss:caught_vec\n"
    "1:	mov $0xE021, %eax\n	mov %eax, %ds\n	mov %eax, %es\n"
    "	mov (%esp), %eax\n	mov %eax, caught_ec\n"
    "	mov 4(%esp), %eax\n	mov %eax, caught_eip\n"
    "	mov 8(%esp), %eax\n	mov %eax, caught_cs\n"
    "	mov caught_vec, %eax\n"
    "	mov catch_esp, %esp\n"
    "2:	pop %edi\n	pop %esi\n	pop %ebx\n	pop %ebp\n"
    "	ret\n");

static u8 kstack[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* sysenter/syscall32 callbacks with selectors a return to the guest refuses. */
static void fastcall(void)
{
	/*
	 * The #GP's error code: the selector the return to the guest refuses
	 * (compat_syscall and compat_sysenter build the frame whatever the
	 * callback CS is; the iretq to it faults).  0x000D: LDT entry 1, RPL 1,
	 * and this guest has no LDT.
	 */
	static const struct { u16 cs, ec; const char *what; } bad[] = {
		{ FLAT_RING3_CS, FLAT_RING1_SS & 0xFFFC, "ring-3 code over the ring-1 stack" },
		{ FLAT_RING1_DS, FLAT_RING1_DS & 0xFFFC, "a data segment" },
		{ 0x000D, 0x000C, "an LDT selector without an LDT" },
	};
	struct xen_trap_info catch[] = {
		{ 13, 0, FLAT_RING1_CS, (u32)catch_gp },
		{ 14, 0, FLAT_RING1_CS, (u32)catch_pf },
		{ 0, 0, 0, 0 },
	};
	struct xen_callback_register cb;
	u32 i, ok, vec;

	CHECK(stack_switch(FLAT_RING1_SS, (u32)kstack + sizeof(kstack)) == 0 &&
	      set_trap_table(catch) == 0, "fastcall_setup");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ok = 1;
		cb = (struct xen_callback_register){ CALLBACKTYPE_syscall32, 0, bad[i].cs,
						 (u32)do_syscall_after };
		ok &= callback_op(CALLBACKOP_register, &cb) == 0;
		cb.type = CALLBACKTYPE_sysenter;
		cb.eip = (u32)do_sysenter_after;
		ok &= callback_op(CALLBACKOP_register, &cb) == 0;
		vec = catch_call(do_syscall);
		ok &= check_word("syscall: #GP", vec, 13);
		ok &= check_word("syscall: #GP error code", caught_ec, bad[i].ec);
		ok &= check_word("syscall: #GP from the callback EIP", caught_eip,
				 (u32)do_syscall_after);
		ok &= check_word("syscall: #GP from the callback CS", caught_cs & 0xFFFF, bad[i].cs);
		vec = catch_call(do_sysenter);
		ok &= check_word("sysenter: #GP", vec, 13);
		ok &= check_word("sysenter: #GP error code", caught_ec, bad[i].ec);
		ok &= check_word("sysenter: #GP from the callback EIP", caught_eip,
				 (u32)do_sysenter_after);
		ok &= check_word("sysenter: #GP from the callback CS", caught_cs & 0xFFFF,
				 bad[i].cs);
		if (!ok)
			test_diag("  callback CS 0x%x (%s)", bad[i].cs, bad[i].what);
		CHECK(ok, "fast_syscall_bad_callback_cs_gp");
	}
	/* A callback EIP in the hypervisor area (L2 slots 430..508, empty): #PF. */
	cb = (struct xen_callback_register){ CALLBACKTYPE_syscall32, 0, FLAT_RING1_CS, 0xF5C00000 };
	ok = callback_op(CALLBACKOP_register, &cb) == 0;
	vec = catch_call(do_syscall);
	ok &= check_word("callback EIP in the hypervisor area: #PF", vec, 14);
	ok &= check_word("#PF EIP", caught_eip, 0xF5C00000);
	CHECK(ok, "fast_syscall_callback_eip_in_hypervisor_area_pf");
	cb = (struct xen_callback_register){ CALLBACKTYPE_syscall32, 0, 0, 0 };
	callback_op(CALLBACKOP_register, &cb);
	cb.type = CALLBACKTYPE_sysenter;
	callback_op(CALLBACKOP_register, &cb);
}

/*
 * mode=fastcall_unusable: a syscall32 callback whose CS is a data segment,
 * and a #GP trap entry whose CS is a data segment too.  Xen (compat_syscall,
 * no check of the CS) builds the frame and faults on the iretq to it: #GP
 * 0xE020 from E021:do_syscall_after, whose own bounce faults the same way,
 * for ever.  pvmx does not bounce to a trap entry it cannot load and
 * crashes the guest ("unhandled #GP ... (unusable cs)",
 * Documentation/guest-abi.rst): contained, never a VM-entry failure.
 */
static noreturn void fastcall_unusable(void)
{
	struct xen_trap_info catch[] = {
		{ 13, 0, FLAT_RING1_DS, (u32)catch_gp },
		{ 0, 0, 0, 0 },
	};
	struct xen_callback_register cb = { CALLBACKTYPE_syscall32, 0, FLAT_RING1_DS,
					(u32)do_syscall_after };
	u32 vec;

	if (stack_switch(FLAT_RING1_SS, (u32)kstack + sizeof(kstack)) ||
	    set_trap_table(catch) || callback_op(CALLBACKOP_register, &cb)) {
		printf("fastcall_unusable: setup failed\n");
		shutdown(SHUTDOWN_poweroff);
	}
	printf("fastcall_unusable: syscall with callback CS 0xE021, #GP entry CS 0xE021\n");
	vec = catch_call(do_syscall);
	printf("fastcall_unusable: vector %u, error code 0x%x\n", vec, caught_ec);
	shutdown(SHUTDOWN_poweroff);
}

/* mode=db_recurse: the #DB handler's first instruction is a breakpoint. */
static u8 small_stack[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static noreturn void db_recurse(void)
{
	u32 low = (u32)small_stack;

	/* Nothing mapped below the top page: the recursion runs out of stack. */
	if (update_va_mapping(low, 0, UVMF_INVLPG)) {
		printf("db_recurse: cannot unmap the guard page\n");
		shutdown(SHUTDOWN_poweroff);
	}
	set_debugreg(0, (u32)db_stub);
	printf("db_recurse: arming an instruction breakpoint on the #DB handler\n");
	asm volatile("mov %0, %%esp\n"
		     "mov %1, %%eax\n"
		     "mov %%eax, %%dr7\n"
		     "jmp db_stub\n"
		     : : "r"(low + 2 * PAGE_SIZE), "i"(DR7_G(0) | DR7_DEFAULT) : "eax", "memory");
	__builtin_unreachable();
}

void test_main(void)
{
	const char *cmd = (const char *)start_info->cmd_line;

	if (!map_shared_info() || set_trap_table(table)) {
		printf("hostile_dr: setup failed\n");
		shutdown(SHUTDOWN_crash);
	}
	if (strstr(cmd, "mode=db_recurse"))
		db_recurse();
	if (strstr(cmd, "mode=fastcall_unusable"))
		fastcall_unusable();
	test_plan(23);
	dr_hv();
	dr7();
	dr_nr();
	dr6();
	hv_write();
	all_armed();
	fastcall();
	CHECK_EQ(read_cs(), FLAT_RING1_CS, "back_in_ring1");
}
