// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the debug registers (emulate.c, traps.c): Xen's
 * set_debugreg()/x86emul_read_dr() through mov %drN and through the
 * set_debugreg/get_debugreg hypercalls alike, DR7 latching, CR4.DE with
 * I/O breakpoints and DR4/DR5, the emulated I/O breakpoints, the DR6 merge
 * of every #DB delivered (x86_merge_dr6()), the DR7 the CPU is given, and
 * MSR_DEBUGCTL.
 */
#include "harness.h"
#include "fixture.h"
#include "unit_tests.h"

#define CODE_VA		0x2000u
#define STACK_TOP	0x280000u
#define ARG_VA		0x220000u
#define GP_HANDLER	0x00131300u
#define UD_HANDLER	0x00060600u
#define DB_HANDLER	0x00010100u

#define DR6_DEFAULT	0xffff0ff0u
#define DR7_DEFAULT	0x00000400u
#define CR4_DE		0x8u
/* DR7: breakpoint 0 global, I/O, 1 byte; breakpoint 1 the same, not enabled. */
#define DR7_IO0		(0x2u | (2u << 16) | DR7_DEFAULT)
#define DR7_IO1_OFF	((2u << 20) | DR7_DEFAULT)
/* Breakpoint 0 global, write, 4 bytes, GE: XTF's data breakpoint. */
#define DR7_W0		(0x2u | 0x200u | (1u << 16) | (3u << 18) | DR7_DEFAULT)

static u32 rd32(u32 va)
{
	u32 x;

	memcpy(&x, fx_gpa(va), 4);
	return x;
}

static void handlers(void)
{
	static const struct { u32 vector, address; } h[] = {
		{ 13, GP_HANDLER }, { 6, UD_HANDLER }, { 1, DB_HANDLER },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(h); i++) {
		fx.v.trap_ctxt[h[i].vector].address = h[i].address;
		fx.v.trap_ctxt[h[i].vector].cs = FLAT_RING1_CS;
	}
	fx.v.cpu.cs = FLAT_RING1_CS;
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
	fx.v.cpu.eflags = PVMX_EFLAGS_IF | PVMX_EFLAGS_FIXED;
}

static enum pvmx_action emul(const char *bytes, u32 len)
{
	memcpy(fx_gpa(CODE_VA), bytes, len);
	fx.v.cpu.eip = CODE_VA;
	return pvmx_emulate_privileged(&fx.v, 0);
}

#define EMUL(s)	emul(s, sizeof(s) - 1)

/* mov %eax,%drN / mov %drN,%eax: EIP past it, or the handler it went to. */
static u32 mov_to_dr(u32 n, u32 val)
{
	char insn[3] = { 0x0f, 0x23, (char)(0xc0 | (n << 3)) };

	handlers();
	fx.v.cpu.gpr[PVMX_EAX] = val;
	emul(insn, 3);
	return fx.v.cpu.eip;
}

static u32 mov_from_dr(u32 n, u32 *val)
{
	char insn[3] = { 0x0f, 0x21, (char)(0xc0 | (n << 3)) };

	handlers();
	fx.v.cpu.gpr[PVMX_EAX] = 0xdeadbeef;
	emul(insn, 3);
	*val = fx.v.cpu.gpr[PVMX_EAX];
	return fx.v.cpu.eip;
}

static void write_cr4(u32 val)
{
	handlers();
	fx.v.cpu.gpr[PVMX_EAX] = val;
	EMUL("\x0f\x22\xe0");
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 3);
}

static u32 read_cr4(void)
{
	handlers();
	EMUL("\x0f\x20\xe0");
	return fx.v.cpu.gpr[PVMX_EAX];
}

static long get_debugreg(u32 reg)
{
	fx_hypercall(__HYPERVISOR_get_debugreg, reg, 0, 0, 0, 0);
	return (long)(int)fx_eax();
}

static long set_debugreg(u32 reg, u32 val)
{
	fx_hypercall(__HYPERVISOR_set_debugreg, reg, val, 0, 0, 0);
	return (long)(int)fx_eax();
}

static void set_iopl1(void)
{
	u32 iopl = 1;

	memcpy(fx_gpa(ARG_VA), &iopl, 4);
	fx_hypercall(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, ARG_VA, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
}

/* The #DB went to the guest's handler; the frame's EIP is where it was. */
static void check_db(u32 eip)
{
	CHECK_EQ(fx.v.cpu.eip, DB_HANDLER);
	CHECK_EQ(rd32(fx.v.cpu.gpr[PVMX_ESP]), eip);
}

static void reset_state_reads_xen_defaults(void)
{
	u32 val, i;

	for (i = 0; i < 4; i++)
		CHECK_EQ(get_debugreg(i), 0);
	CHECK_EQ((u32)get_debugreg(6), DR6_DEFAULT);
	CHECK_EQ((u32)get_debugreg(7), DR7_DEFAULT);
	/* CR4.DE clear: DR4/DR5 are DR6/DR7. */
	CHECK_EQ((u32)get_debugreg(4), DR6_DEFAULT);
	CHECK_EQ((u32)get_debugreg(5), DR7_DEFAULT);
	CHECK_EQ(get_debugreg(8), -XEN_ENODEV);
	CHECK_EQ(get_debugreg(0xffffffff), -XEN_ENODEV);
	CHECK_EQ(set_debugreg(8, 0), -XEN_ENODEV);
	CHECK_EQ(mov_from_dr(7, &val), CODE_VA + 3);
	CHECK_EQ(val, DR7_DEFAULT);
	CHECK_EQ(mov_from_dr(6, &val), CODE_VA + 3);
	CHECK_EQ(val, DR6_DEFAULT);
	CHECK_EQ(read_cr4(), 0x660);
	CHECK_EQ(pvmx_hw_dr7(&fx.v), DR7_DEFAULT);
}

/* One implementation: what one path writes, the other reads. */
static void hypercalls_and_mov_share_state(void)
{
	u32 val;

	CHECK_EQ(set_debugreg(0, 0x123000), 0);
	CHECK_EQ(mov_from_dr(0, &val), CODE_VA + 3);
	CHECK_EQ(val, 0x123000);
	CHECK_EQ(mov_to_dr(3, 0x456004), CODE_VA + 3);
	CHECK_EQ(get_debugreg(3), 0x456004);
	CHECK_EQ(mov_to_dr(7, DR7_W0), CODE_VA + 3);
	CHECK_EQ((u32)get_debugreg(7), DR7_W0);
	CHECK_EQ(set_debugreg(6, 0), 0);
	CHECK_EQ(mov_from_dr(6, &val), CODE_VA + 3);
	CHECK_EQ(val, DR6_DEFAULT);			/* fixed bits read as 1 */
	CHECK_EQ(set_debugreg(6, 0xffffffff), 0);
	CHECK_EQ((u32)get_debugreg(6), 0xffffefff);	/* bit 12 reads as 0 */
	/* Refusals are -EPERM from the hypercall, #GP(0) from mov; nothing changes. */
	CHECK_EQ(set_debugreg(1, 0xf5800000), -XEN_EPERM);
	CHECK_EQ(mov_to_dr(1, 0xfffff000), GP_HANDLER);
	CHECK_EQ(get_debugreg(1), 0);
	CHECK_EQ(set_debugreg(7, 0x2000 | DR7_DEFAULT), -XEN_EPERM);	/* GD */
	CHECK_EQ(mov_to_dr(7, 0x2000), GP_HANDLER);
	CHECK_EQ((u32)get_debugreg(7), DR7_W0);
	/* The CPU gets the data breakpoint as it is. */
	CHECK_EQ(pvmx_hw_dr7(&fx.v), DR7_W0);
}

/* Xen 4.11's latching fix: a DR7 without enables still reads back whole. */
static void dr7_latches_every_write(void)
{
	u32 val;

	CHECK_EQ(mov_to_dr(7, DR7_IO1_OFF | (3u << 24)), CODE_VA + 3);
	CHECK_EQ(mov_from_dr(7, &val), CODE_VA + 3);
	CHECK_EQ(val, DR7_IO1_OFF | (3u << 24));
	/* Reserved bits 11, 12, 14, 15 read as 0, bit 10 as 1. */
	CHECK_EQ(mov_to_dr(7, 0xd800), CODE_VA + 3);
	CHECK_EQ((u32)get_debugreg(7), DR7_DEFAULT);
	CHECK_EQ(mov_to_dr(7, 0), CODE_VA + 3);
	CHECK_EQ((u32)get_debugreg(7), DR7_DEFAULT);
}

/* XTF debug-regs' test_pv_dr7_io_breakpoints(), and Xen's DR4/DR5 rules. */
static void cr4_de_and_io_breakpoints(void)
{
	u32 val;

	/* Without CR4.DE an enabled I/O breakpoint is refused. */
	CHECK_EQ(set_debugreg(7, DR7_IO0), -XEN_EPERM);
	CHECK_EQ(mov_to_dr(7, DR7_IO0), GP_HANDLER);
	CHECK_EQ((u32)get_debugreg(7), DR7_DEFAULT);

	write_cr4(0x660 | CR4_DE | 0x80);		/* PGE is not the guest's */
	CHECK_EQ(read_cr4(), 0x660 | CR4_DE);
	CHECK_EQ(mov_to_dr(7, DR7_IO0), CODE_VA + 3);
	CHECK_EQ(mov_from_dr(7, &val), CODE_VA + 3);
	CHECK_EQ(val, DR7_IO0);
	/* The CPU never sees an I/O breakpoint: enables, R/W and LEN cleared. */
	CHECK_EQ(pvmx_hw_dr7(&fx.v), DR7_DEFAULT);
	/* An inactive one in DR1 replaces it whole (Xen's first shadow bug). */
	CHECK_EQ(mov_to_dr(7, DR7_IO1_OFF), CODE_VA + 3);
	CHECK_EQ((u32)get_debugreg(7), DR7_IO1_OFF);
	CHECK_EQ(pvmx_hw_dr7(&fx.v), DR7_DEFAULT);
	CHECK_EQ(mov_to_dr(7, DR7_IO0), CODE_VA + 3);

	/* With CR4.DE, DR4 and DR5 are #UD (and -ENODEV from the hypercalls). */
	CHECK_EQ(mov_from_dr(4, &val), UD_HANDLER);
	CHECK_EQ(mov_to_dr(5, 0), UD_HANDLER);
	CHECK_EQ(get_debugreg(5), -XEN_ENODEV);
	CHECK_EQ(set_debugreg(4, 0), -XEN_ENODEV);

	/* CR4.DE cleared: the I/O breakpoint stays, a new one is refused... */
	write_cr4(0x660);
	CHECK_EQ(read_cr4(), 0x660);
	CHECK_EQ((u32)get_debugreg(7), DR7_IO0);
	CHECK_EQ(mov_to_dr(7, DR7_IO0), GP_HANDLER);
	CHECK_EQ(rd32(fx.v.cpu.gpr[PVMX_ESP]), 0);	/* #GP(0) */
	/* ... and the refusal drops nothing (Xen's second shadow bug). */
	CHECK_EQ((u32)get_debugreg(7), DR7_IO0);
	/* DR4/DR5 alias again. */
	CHECK_EQ(mov_from_dr(5, &val), CODE_VA + 3);
	CHECK_EQ(val, DR7_IO0);
}

static void io_breakpoints_trap_after_the_access(void)
{
	set_iopl1();
	write_cr4(0x660 | CR4_DE);
	CHECK_EQ(set_debugreg(0, 0x80), 0);
	CHECK_EQ(set_debugreg(7, DR7_IO0), 0);
	CHECK_EQ(set_debugreg(6, 0), 0);

	/* out %al,$0x80: done, then #DB with B0 after it. */
	handlers();
	EMUL("\xe6\x80");
	check_db(CODE_VA + 2);
	CHECK_EQ((u32)get_debugreg(6), DR6_DEFAULT | 1);
	/* in %dx,%eax at 0x7e..0x81 overlaps port 0x80. */
	handlers();
	fx.v.cpu.gpr[PVMX_EDX] = 0x7e;
	EMUL("\xed");
	check_db(CODE_VA + 1);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0xffffffff);
	/* Another port: no #DB. */
	handlers();
	EMUL("\xe6\x81");
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);

	/* rep outsb: one iteration, then #DB with EIP on the instruction. */
	handlers();
	fx.v.cpu.gpr[PVMX_EDX] = 0x80;
	fx.v.cpu.gpr[PVMX_ECX] = 4;
	fx.v.cpu.gpr[PVMX_ESI] = 0x200000;
	EMUL("\xf3\x6e");
	check_db(CODE_VA);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ECX], 3);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESI], 0x200001);
	/* The last iteration: EIP past it. */
	handlers();
	fx.v.cpu.gpr[PVMX_ECX] = 1;
	EMUL("\xf3\x6e");
	check_db(CODE_VA + 2);

	/* Single-stepping too: one #DB with B0 and BS. */
	handlers();
	fx.v.cpu.eflags |= PVMX_EFLAGS_TF;
	CHECK_EQ(set_debugreg(6, 0), 0);
	EMUL("\xe6\x80");
	check_db(CODE_VA + 2);
	CHECK_EQ((u32)get_debugreg(6), DR6_DEFAULT | 0x4001);

	/* CR4.DE clear: the breakpoint is kept but does not match. */
	write_cr4(0x660);
	handlers();
	EMUL("\xe6\x80");
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	/* Nor does a disabled one. */
	write_cr4(0x660 | CR4_DE);
	CHECK_EQ(set_debugreg(7, DR7_IO1_OFF), 0);
	CHECK_EQ(set_debugreg(1, 0x80), 0);
	handlers();
	EMUL("\xe6\x80");
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
}

/* x86_merge_dr6(): B0-B3 replaced by this #DB's, BD/BS/BT accumulate. */
static void db_merges_into_dr6(void)
{
	handlers();
	CHECK_EQ(set_debugreg(6, 0x2002), 0);		/* BD, B1 */
	CHECK_EQ(pvmx_deliver_db(&fx.v, 0x1), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, DB_HANDLER);
	CHECK_EQ((u32)get_debugreg(6), DR6_DEFAULT | 0x2001);
	handlers();
	CHECK_EQ(pvmx_deliver_db(&fx.v, 0x4000), PVMX_RESUME);
	CHECK_EQ((u32)get_debugreg(6), DR6_DEFAULT | 0x6000);
	/* Unknown bits (RTM, BLD, reserved) are not taken. */
	handlers();
	CHECK_EQ(pvmx_deliver_db(&fx.v, 0x11808), PVMX_RESUME);
	CHECK_EQ((u32)get_debugreg(6), DR6_DEFAULT | 0x6008);
	/* Without a #DB handler the guest is crashed, DR6 still updated. */
	memset(&fx.v.trap_ctxt[1], 0, sizeof(fx.v.trap_ctxt[1]));
	CHECK_EQ(pvmx_deliver_db(&fx.v, 0x2), PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.v.state, PVMX_VCPU_CRASHED);
	CHECK_EQ((u32)get_debugreg(6), DR6_DEFAULT | 0x6002);
}

static u64 rdmsr(u32 msr)
{
	handlers();
	fx.v.cpu.gpr[PVMX_ECX] = msr;
	EMUL("\x0f\x32");
	return ((u64)fx.v.cpu.gpr[PVMX_EDX] << 32) | fx.v.cpu.gpr[PVMX_EAX];
}

static u32 wrmsr(u32 msr, u64 val)
{
	handlers();
	fx.v.cpu.gpr[PVMX_ECX] = msr;
	fx.v.cpu.gpr[PVMX_EAX] = (u32)val;
	fx.v.cpu.gpr[PVMX_EDX] = (u32)(val >> 32);
	EMUL("\x0f\x30");
	return fx.v.cpu.eip;
}

static void debugctl_reads_zero(void)
{
	fx.v.cpu.gpr[PVMX_EDX] = 0x1234;
	CHECK_EQ(rdmsr(0x1d9), 0);
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	CHECK_EQ(wrmsr(0x1d9, 0), CODE_VA + 2);
	CHECK_EQ(wrmsr(0x1d9, 3), CODE_VA + 2);		/* LBR, BTF: accepted, dropped */
	CHECK_EQ(rdmsr(0x1d9), 0);
	CHECK_EQ(wrmsr(0x1d9, 4), GP_HANDLER);		/* reserved */
	CHECK_EQ(wrmsr(0x1d9, 1ull << 32), GP_HANDLER);
}

/* VCPUOP_initialise's part (Xen's arch_set_info_guest()). */
static void initialise_context_goes_through_set_debugreg(void)
{
	u32 dr[8] = { 0x1000, 0x2000, 0x3000, 0x4000, 0x5555, 0x5555, 0, DR7_IO0 };

	CHECK(pvmx_debug_context_ok(dr));
	dr[2] = 0xf5800000;
	CHECK(!pvmx_debug_context_ok(dr));
	dr[2] = 0x3000;
	/* Without CR4.DE the I/O breakpoint is refused: DR7 stays at reset. */
	fx.v.dr7_emul = 3;
	pvmx_load_debug_context(&fx.v, 0, dr);
	CHECK_EQ(get_debugreg(0), 0x1000);
	CHECK_EQ(get_debugreg(3), 0x4000);
	CHECK_EQ((u32)get_debugreg(6), DR6_DEFAULT);
	CHECK_EQ((u32)get_debugreg(7), DR7_DEFAULT);
	CHECK_EQ(read_cr4(), 0x660);
	/* With it (and only its DE bit kept), accepted. */
	pvmx_load_debug_context(&fx.v, 0xffffffff, dr);
	CHECK_EQ(read_cr4(), 0x660 | CR4_DE);
	CHECK_EQ((u32)get_debugreg(7), DR7_IO0);
	CHECK_EQ(pvmx_hw_dr7(&fx.v), DR7_DEFAULT);
}

const struct unit_test debugreg_tests[] = {
	UNIT_TEST(reset_state_reads_xen_defaults),
	UNIT_TEST(hypercalls_and_mov_share_state),
	UNIT_TEST(dr7_latches_every_write),
	UNIT_TEST(cr4_de_and_io_breakpoints),
	UNIT_TEST(io_breakpoints_trap_after_the_access),
	UNIT_TEST(db_merges_into_dr6),
	UNIT_TEST(debugctl_reads_zero),
	UNIT_TEST(initialise_context_goes_through_set_debugreg),
	{ NULL, NULL },
};
