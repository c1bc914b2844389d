// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of emulate.c and physdev.c: the decoder, every emulated
 * privileged instruction and every refusal (Xen's results: emulated, or the
 * #GP(0) reflected through the guest's trap table), vm_assist and
 * physdev_op.
 */
#include "harness.h"
#include "fixture.h"
#include "unit_tests.h"

#define XEN_ERR(e)	((u32)-(e))
#define CODE_VA		0x2000u
#define STACK_TOP	0x280000u
#define KSTACK_TOP	0x290000u
#define BUF_VA		0x200000u
#define ARG_VA		0x220000u
#define BITMAP_VA	0x230000u
#define USER_VA		0x240000u	/* made user-accessible by the tests */
#define GP_HANDLER	0x00131300u
#define UD_HANDLER	0x00060600u
#define PF_HANDLER	0x00141400u
#define DB_HANDLER	0x00010100u

static u32 rd32(u32 va)
{
	u32 x;

	memcpy(&x, fx_gpa(va), 4);
	return x;
}

static void wr32(u32 va, u32 x)
{
	memcpy(fx_gpa(va), &x, 4);
}

static u8 *mask_byte(void)
{
	return &fx.vm.shared_info->vcpu_info[0].evtchn_upcall_mask;
}

static void handlers(void)
{
	static const struct { u32 vector, address; } h[] = {
		{ 13, GP_HANDLER }, { 6, UD_HANDLER }, { 14, PF_HANDLER }, { 1, DB_HANDLER },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(h); i++) {
		fx.v.trap_ctxt[h[i].vector].address = h[i].address;
		fx.v.trap_ctxt[h[i].vector].cs = FLAT_RING1_CS;
	}
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
	fx.v.cpu.kernel_ss = FLAT_RING1_SS;
	fx.v.cpu.kernel_sp = KSTACK_TOP;
}

/* Run the emulator on these bytes at CODE_VA (or at va). */
static enum pvmx_action emul_at(u32 va, const char *bytes, u32 len)
{
	memcpy(fx_gpa(va), bytes, len);
	fx.v.cpu.eip = va;
	return pvmx_emulate_privileged(&fx.v, 0);
}

#define EMUL(s)	emul_at(CODE_VA, s, sizeof(s) - 1)

static void ring3(void)
{
	fx.v.cpu.cs = FLAT_RING3_CS;
	fx.v.cpu.ss = FLAT_RING3_SS;
	fx.v.cpu.gpr[PVMX_ESP] = USER_VA + 0x800;
}

/* #GP(0) went to the guest's handler, the frame naming the instruction. */
static void check_gp(u32 insn_va)
{
	u32 esp = fx.v.cpu.gpr[PVMX_ESP];

	CHECK_EQ(fx.v.cpu.eip, GP_HANDLER);
	CHECK_EQ(rd32(esp), 0);			/* error code */
	CHECK_EQ(rd32(esp + 4), insn_va);	/* faulting EIP */
}

static void user_page(u32 va)
{
	u64 pte = va | 0x27;

	memcpy(fx_gpa(FX_L1_GPA + (va >> 12) * 8), &pte, 8);
}

static long physdev(u32 cmd, u32 arg)
{
	fx_hypercall(__HYPERVISOR_physdev_op, cmd, arg, 0, 0, 0);
	return (long)(int)fx_eax();
}

static void set_iopl(u32 iopl)
{
	wr32(ARG_VA, iopl);
	CHECK_EQ(physdev(PHYSDEVOP_set_iopl, ARG_VA), 0);
}

/* ---- decoder ---------------------------------------------------------------- */

static void decode_lengths_and_prefixes(void)
{
	static const u8 fifteen[15] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0xec };
	static const u8 sixteen[16] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
					0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0xec };
	struct pvmx_insn i;

	CHECK_EQ(pvmx_decode_insn((const u8 *)"\x66\xed", 2, &i), 0);
	CHECK_EQ(i.len, 2);
	CHECK_EQ(i.op_bytes, 2);
	CHECK_EQ(i.opcode, 0xed);
	CHECK(!i.twobyte);
	CHECK_EQ(pvmx_decode_insn((const u8 *)"\x67\xf3\x66\x2e\x6f", 5, &i), 0);
	CHECK_EQ(i.len, 5);
	CHECK_EQ(i.ad_bytes, 2);
	CHECK_EQ(i.op_bytes, 2);
	CHECK_EQ(i.rep, 0xf3);
	CHECK_EQ(i.seg, 0x2e);
	CHECK_EQ(pvmx_decode_insn((const u8 *)"\xe4\x80", 2, &i), 0);
	CHECK_EQ(i.len, 2);
	CHECK_EQ(i.imm8, 0x80);
	CHECK_EQ(pvmx_decode_insn((const u8 *)"\xe4\x80", 1, &i), -XEN_EFAULT);
	CHECK_EQ(pvmx_decode_insn((const u8 *)"\x0f\x20\xc3", 3, &i), 0);
	CHECK(i.twobyte);
	CHECK_EQ(i.len, 3);
	CHECK_EQ(i.modrm, 0xc3);
	CHECK_EQ(pvmx_decode_insn((const u8 *)"\x0f\x20", 2, &i), -XEN_EFAULT);
	CHECK_EQ(pvmx_decode_insn((const u8 *)"\x0f\x01\xf9", 3, &i), 0);
	CHECK_EQ(pvmx_decode_insn((const u8 *)"\x0f\x01\xd0", 3, &i), -XEN_EINVAL);	/* xgetbv */
	CHECK_EQ(pvmx_decode_insn((const u8 *)"\xf0\x0f\x06", 3, &i), 0);
	CHECK(i.lock);
	CHECK_EQ(pvmx_decode_insn((const u8 *)"\xf4", 1, &i), -XEN_EINVAL);		/* hlt */
	CHECK_EQ(pvmx_decode_insn((const u8 *)"\x0f\x08", 2, &i), -XEN_EINVAL);	/* invd */
	CHECK_EQ(pvmx_decode_insn((const u8 *)"\x0f\x01\x10", 3, &i), -XEN_EINVAL);	/* lgdt */
	CHECK_EQ(pvmx_decode_insn(fifteen, 15, &i), 0);
	CHECK_EQ(i.len, 15);
	CHECK_EQ(pvmx_decode_insn(sixteen, 16, &i), -XEN_EINVAL);
	CHECK_EQ(pvmx_decode_insn(sixteen, 3, &i), -XEN_EFAULT);
}

/* ---- in, out, cli, sti -------------------------------------------------------- */

static void port_io_refused_at_iopl0(void)
{
	handlers();
	fx.v.cpu.gpr[PVMX_EAX] = 0x12345678;
	CHECK_EQ(EMUL("\xe4\x80"), PVMX_RESUME);	/* in $0x80,%al */
	check_gp(CODE_VA);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0x12345678);
	handlers();
	EMUL("\xee");				/* out %al,(%dx) */
	check_gp(CODE_VA);
	handlers();
	EMUL("\x6c");				/* insb */
	check_gp(CODE_VA);
}

static void port_io_reads_ones_at_iopl1(void)
{
	handlers();
	set_iopl(1);
	fx.v.cpu.gpr[PVMX_EAX] = 0x12345678;
	fx.v.cpu.gpr[PVMX_EDX] = 0x3f8;
	EMUL("\xe4\x80");				/* in $0x80,%al */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0x123456ff);
	EMUL("\x66\xed");				/* in (%dx),%ax */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0x1234ffff);
	EMUL("\xe5\x70");				/* in $0x70,%eax */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0xffffffff);
	fx.v.cpu.gpr[PVMX_EAX] = 0x42;
	EMUL("\xe6\x80");				/* out %al,$0x80: dropped */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0x42);
	EMUL("\xef");					/* out %eax,(%dx) */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 1);
	EMUL("\x66\xe7\x80");				/* out %ax,$0x80 */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 3);
	CHECK_EQ(fx.v.stats.traps, 0);
}

static void port_io_ring3_needs_iopl3(void)
{
	handlers();
	user_page(USER_VA);
	set_iopl(2);
	ring3();
	EMUL("\xec");
	CHECK_EQ(fx.v.cpu.eip, GP_HANDLER);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], KSTACK_TOP - 24);	/* ss, esp, eflags, cs, eip, ec */
	CHECK_EQ(rd32(KSTACK_TOP - 20), CODE_VA);
	handlers();
	set_iopl(3);
	ring3();
	fx.v.cpu.gpr[PVMX_EAX] = 0;
	EMUL("\xec");
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 1);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0xff);
	/* cli from ring 3 is allowed at IOPL 3 too, and still a no-op. */
	*mask_byte() = 0;
	EMUL("\xfa");
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 1);
	CHECK_EQ(*mask_byte(), 0);
}

static void cli_sti_follow_iopl_and_leave_mask(void)
{
	handlers();
	*mask_byte() = 0;
	EMUL("\xfa");
	check_gp(CODE_VA);
	handlers();
	EMUL("\xfb");
	check_gp(CODE_VA);
	set_iopl(1);
	handlers();
	*mask_byte() = 0;
	EMUL("\xfa");				/* cli: allowed, a no-op as in Xen */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 1);
	CHECK_EQ(*mask_byte(), 0);
	*mask_byte() = 1;
	EMUL("\xfb");				/* sti */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 1);
	CHECK_EQ(*mask_byte(), 1);
}

static void architectural_iopl(void)
{
	u32 esp;

	handlers();
	fx_hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable,
		     VMASST_TYPE_architectural_iopl, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	/* The kernel counts as CPL 0: IOPL 0 is enough. */
	EMUL("\xec");
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 1);
	/* Frames report the virtual IOPL... */
	set_iopl(2);
	handlers();
	EMUL("\x0f\x08");			/* invd: #GP */
	esp = fx.v.cpu.gpr[PVMX_ESP];
	CHECK_EQ(rd32(esp + 12) & PVMX_EFLAGS_IOPL, 0x2000);
	/* ... and iret loads it. */
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP - 16;
	wr32(STACK_TOP - 16, 0);			/* eax */
	wr32(STACK_TOP - 12, CODE_VA);
	wr32(STACK_TOP - 8, FLAT_RING1_CS);
	wr32(STACK_TOP - 4, 0x3202);			/* IOPL 3 */
	fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0);
	CHECK_EQ(fx.v.iopl, 3);
	CHECK_EQ(fx.v.cpu.eflags & PVMX_EFLAGS_IOPL, 0);	/* the real IOPL stays 0 */
	/* Without the assist iret leaves the virtual IOPL alone. */
	fx_hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_disable,
		     VMASST_TYPE_architectural_iopl, 0, 0, 0);
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP - 16;
	wr32(STACK_TOP - 4, 0x0202);
	fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0);
	CHECK_EQ(fx.v.iopl, 3);
	handlers();
	EMUL("\x0f\x08");
	CHECK_EQ(rd32(fx.v.cpu.gpr[PVMX_ESP] + 12) & PVMX_EFLAGS_IOPL, 0);
}

static void io_bitmap(void)
{
	handlers();
	memset(fx_gpa(BITMAP_VA), 0xff, 8192);
	fx_gpa(BITMAP_VA)[0x80 / 8] = 0xfe;		/* port 0x80 allowed */
	wr32(ARG_VA, BITMAP_VA);
	wr32(ARG_VA + 4, 0x100);
	CHECK_EQ(physdev(PHYSDEVOP_set_iobitmap, ARG_VA), 0);
	EMUL("\xe4\x80");
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	EMUL("\x66\xe5\x80");				/* port 0x81 is denied */
	check_gp(CODE_VA);
	handlers();
	EMUL("\xe4\x81");
	check_gp(CODE_VA);
	/* Ports at or past nr_ports are denied whatever the bitmap says. */
	handlers();
	memset(fx_gpa(BITMAP_VA), 0, 8192);
	EMUL("\xe4\xff");
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	fx.v.cpu.gpr[PVMX_EDX] = 0x100;
	EMUL("\xec");
	check_gp(CODE_VA);
	wr32(ARG_VA + 4, 65537);
	CHECK_EQ(physdev(PHYSDEVOP_set_iobitmap, ARG_VA), -XEN_EINVAL);
	wr32(ARG_VA, 0xF5800000u - 4096);
	wr32(ARG_VA + 4, 8);
	CHECK_EQ(physdev(PHYSDEVOP_set_iobitmap, ARG_VA), -XEN_EINVAL);
}

/* ---- ins, outs ------------------------------------------------------------------- */

static void string_io(void)
{
	handlers();
	set_iopl(1);
	memset(fx_gpa(BUF_VA), 0, 64);
	fx.v.cpu.gpr[PVMX_EDI] = BUF_VA;
	fx.v.cpu.gpr[PVMX_ECX] = 3;
	EMUL("\xf3\x6c");				/* rep insb */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ECX], 0);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EDI], BUF_VA + 3);
	CHECK_EQ(rd32(BUF_VA), 0x00ffffff);
	/* Backwards with DF, dwords, no rep. */
	fx.v.cpu.eflags |= 0x400;
	fx.v.cpu.gpr[PVMX_EDI] = BUF_VA + 16;
	EMUL("\x6d");					/* insl */
	CHECK_EQ(rd32(BUF_VA + 16), 0xffffffff);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EDI], BUF_VA + 12);
	fx.v.cpu.eflags &= ~0x400u;
	/* outs reads the source (it must be readable) and drops it. */
	fx.v.cpu.gpr[PVMX_ESI] = BUF_VA;
	fx.v.cpu.gpr[PVMX_ECX] = 2;
	EMUL("\xf3\x66\x6f");				/* rep outsw */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 3);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESI], BUF_VA + 4);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ECX], 0);
	/* rep with ECX 0 does nothing but move on. */
	EMUL("\xf3\x6e");
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESI], BUF_VA + 4);
	/* 16-bit addressing: DI and CX wrap, the high halves stay. */
	fx.v.cpu.gpr[PVMX_EDI] = 0x0020ffff;
	fx.v.cpu.gpr[PVMX_ECX] = 0xabcd0002;
	EMUL("\x67\xf3\x6c");
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EDI], 0x00200001);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ECX], 0xabcd0000);
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 3);
}

static void string_io_long_rep_and_faults(void)
{
	u32 esp;

	handlers();
	set_iopl(1);
	fx.v.cpu.gpr[PVMX_EDI] = BUF_VA;
	fx.v.cpu.gpr[PVMX_ECX] = 1000;
	EMUL("\xf3\x6c");
	/* One batch per exit: EIP stays for the guest to re-execute the rest. */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ECX], 1000 - 256);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EDI], BUF_VA + 256);
	/* A write to a read-only page: #PF, error code P|W, CR2 the address. */
	fx.v.cpu.gpr[PVMX_EDI] = FX_RO_VA;
	EMUL("\x6c");
	esp = fx.v.cpu.gpr[PVMX_ESP];
	CHECK_EQ(fx.v.cpu.eip, PF_HANDLER);
	CHECK_EQ(rd32(esp), 3);
	CHECK_EQ(rd32(esp + 4), CODE_VA);
	CHECK_EQ(fx.vm.shared_info->vcpu_info[0].cr2, FX_RO_VA);
	/* Reading an unmapped source: not present, read. */
	handlers();
	fx.v.cpu.gpr[PVMX_ESI] = FX_UNMAPPED_VA;
	EMUL("\x6e");
	CHECK_EQ(fx.v.cpu.eip, PF_HANDLER);
	CHECK_EQ(rd32(fx.v.cpu.gpr[PVMX_ESP]), 0);
	CHECK_EQ(fx.vm.shared_info->vcpu_info[0].cr2, FX_UNMAPPED_VA);
}

static void string_io_ring3_checks_user_bit(void)
{
	handlers();
	user_page(USER_VA);
	set_iopl(3);
	ring3();
	fx.v.cpu.gpr[PVMX_EDI] = USER_VA + 0x100;
	EMUL("\x6c");
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 1);
	CHECK_EQ(fx_gpa(USER_VA + 0x100)[0], 0xff);
	/* A kernel-only page: #PF with U, W and P. */
	fx_gpa(BUF_VA)[0] = 0;
	fx.v.cpu.gpr[PVMX_EDI] = BUF_VA;
	EMUL("\x6c");
	CHECK_EQ(fx.v.cpu.eip, PF_HANDLER);
	CHECK_EQ(rd32(KSTACK_TOP - 24), 7);
	CHECK_EQ(fx_gpa(BUF_VA)[0], 0);
}

/* ---- control and debug registers ------------------------------------------------ */

static void mov_from_cr(void)
{
	handlers();
	EMUL("\x0f\x20\xc3");				/* mov %cr0,%ebx */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 3);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EBX], 0x80050033);
	fx_hypercall(__HYPERVISOR_fpu_taskswitch, 1, 0, 0, 0, 0);
	EMUL("\x0f\x20\xc0");
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0x8005003b);
	fx.vm.shared_info->vcpu_info[0].cr2 = 0xdeadb000;
	EMUL("\x0f\x20\xd1");				/* mov %cr2,%ecx */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ECX], 0xdeadb000);
	fx.v.cpu.cr3 = 0x1ff000;
	EMUL("\x0f\x20\xdf");				/* mov %cr3,%edi */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EDI], 0x1ff000);	/* (mfn << 12) | (mfn >> 20) */
	EMUL("\x0f\x20\xe6");				/* mov %cr4,%esi */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESI], 0x660);
	/* CR1 does not exist. */
	EMUL("\x0f\x20\xc8");
	check_gp(CODE_VA);
}

static void mov_to_cr_and_clts(void)
{
	handlers();
	fx.v.cpu.gpr[PVMX_EAX] = 0x8005003b;
	EMUL("\x0f\x22\xc0");				/* mov %eax,%cr0: TS on */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 3);
	CHECK(fx.v.fpu_ts);
	CHECK(fx.hw_ts);
	EMUL("\x0f\x06");				/* clts */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	CHECK(!fx.v.fpu_ts);
	CHECK(!fx.hw_ts);
	fx.v.cpu.gpr[PVMX_EAX] = 0x80050032;		/* PE off: refused */
	EMUL("\x0f\x22\xc0");
	check_gp(CODE_VA);
	handlers();
	fx.v.cpu.gpr[PVMX_EDX] = 0x1234;
	EMUL("\x0f\x22\xd2");				/* mov %edx,%cr2 */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 3);
	CHECK_EQ(fx.vm.shared_info->vcpu_info[0].cr2, 0x1234);
	/* A frame that is not the guest's: new_baseptr fails, #GP. */
	fx.v.cpu.gpr[PVMX_EAX] = 0x7ffff000;
	EMUL("\x0f\x22\xd8");
	check_gp(CODE_VA);
	handlers();
	fx.v.cpu.gpr[PVMX_EAX] = 0x6f0;
	EMUL("\x0f\x22\xe0");				/* mov %eax,%cr4: accepted */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 3);
	EMUL("\x0f\x20\xe0");
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0x660);
	EMUL("\xf0\x0f\x06");				/* lock clts: #UD */
	CHECK_EQ(fx.v.cpu.eip, UD_HANDLER);
}

static void mov_dr(void)
{
	handlers();
	EMUL("\x0f\x21\xf8");				/* mov %dr7,%eax */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0x400);
	EMUL("\x0f\x21\xf3");				/* mov %dr6,%ebx */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EBX], 0xffff0ff0);
	fx.v.cpu.gpr[PVMX_ECX] = 0x1000;
	EMUL("\x0f\x23\xc1");				/* mov %ecx,%dr0 */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 3);
	EMUL("\x0f\x21\xc2");				/* mov %dr0,%edx */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EDX], 0x1000);
	fx.v.cpu.gpr[PVMX_ECX] = 0x00000001;		/* L0 */
	EMUL("\x0f\x23\xf9");
	EMUL("\x0f\x21\xfa");
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EDX], 0x401);
	EMUL("\x0f\x21\xea");				/* dr5 reads dr7 */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EDX], 0x401);
	fx.v.cpu.gpr[PVMX_ECX] = 0xF6000000;		/* in the hypervisor hole */
	EMUL("\x0f\x23\xc9");
	check_gp(CODE_VA);
	handlers();
	fx.v.cpu.gpr[PVMX_ECX] = 0x2000;		/* GD */
	EMUL("\x0f\x23\xf9");
	check_gp(CODE_VA);
	handlers();
	fx.v.cpu.gpr[PVMX_ECX] = 0x00020001;		/* an I/O breakpoint */
	EMUL("\x0f\x23\xf9");
	check_gp(CODE_VA);
}

static void ring3_gets_no_kernel_insn(void)
{
	static const char *const insns[] = {
		"\x0f\x20\xc0", "\x0f\x22\xc0", "\x0f\x21\xc0", "\x0f\x06", "\x0f\x09",
		"\x0f\x32", "\x0f\x30",
	};
	unsigned int i;

	user_page(USER_VA);
	for (i = 0; i < ARRAY_SIZE(insns); i++) {
		handlers();
		ring3();
		emul_at(CODE_VA, insns[i], 3);
		CHECK_EQ(fx.v.cpu.eip, GP_HANDLER);
		CHECK_EQ(rd32(KSTACK_TOP - 20), CODE_VA);
	}
	/* The TSC is not privileged. */
	handlers();
	ring3();
	EMUL("\x0f\x31");
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
}

static void other_instructions(void)
{
	handlers();
	EMUL("\x0f\x09");				/* wbinvd: no-op */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	EMUL("\x0f\x08");				/* invd: #GP */
	check_gp(CODE_VA);
	handlers();
	EMUL("\xf4");					/* hlt: #GP, as Xen */
	check_gp(CODE_VA);
	handlers();
	EMUL("\x0f\x01\x15\0\0\0\0");			/* lgdt */
	check_gp(CODE_VA);
	handlers();
	fx.now_ns = 1000;
	EMUL("\x0f\x31");				/* rdtsc */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 3000);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EDX], 0);
	fx.v.cpu.gpr[PVMX_ECX] = 5;
	EMUL("\x0f\x01\xf9");				/* rdtscp */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 3);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ECX], 0);
	/* The last byte of a mapped page, the rest unmapped: not decodable. */
	emul_at(0x5fffff, "\x0f", 1);
	check_gp(0x5fffff);
	/* ... but a one-byte instruction there is fine. */
	handlers();
	set_iopl(1);
	emul_at(0x5fffff, "\xec", 1);
	CHECK_EQ(fx.v.cpu.eip, 0x600000);
}

static void single_step_traps_after(void)
{
	handlers();
	fx.v.cpu.eflags |= PVMX_EFLAGS_TF;
	EMUL("\x0f\x09");
	CHECK_EQ(fx.v.cpu.eip, DB_HANDLER);
	CHECK_EQ(rd32(fx.v.cpu.gpr[PVMX_ESP]), CODE_VA + 2);
	CHECK(fx.v.dr[6] & 0x4000);
}

/* ---- MSRs ------------------------------------------------------------------------ */

static u64 rdmsr(u32 msr)
{
	fx.v.cpu.gpr[PVMX_ECX] = msr;
	EMUL("\x0f\x32");
	return ((u64)fx.v.cpu.gpr[PVMX_EDX] << 32) | fx.v.cpu.gpr[PVMX_EAX];
}

static void wrmsr(u32 msr, u64 val)
{
	fx.v.cpu.gpr[PVMX_ECX] = msr;
	fx.v.cpu.gpr[PVMX_EAX] = (u32)val;
	fx.v.cpu.gpr[PVMX_EDX] = (u32)(val >> 32);
	EMUL("\x0f\x30");
}

static void rdmsr_allowed_and_refused(void)
{
	handlers();
	CHECK_EQ(rdmsr(0xC0000080), 0x800);		/* EFER: NXE only */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	CHECK_EQ(rdmsr(0x277), 0x0000050100070406ULL);	/* Xen's PAT */
	CHECK_EQ(rdmsr(0x1A0), (FX_HOST_MISC_ENABLE & ~0x40080ULL) | 0x801800);
	CHECK_EQ(rdmsr(0x345), 0);
	CHECK_EQ(rdmsr(0xC1), 0);			/* vPMU off */
	CHECK_EQ(rdmsr(0x38F), 0);
	CHECK_EQ(rdmsr(0x40000000), 0);
	CHECK_EQ(rdmsr(0x17), FX_HOST_PLATFORM_ID);
	CHECK_EQ(rdmsr(0x8B), FX_HOST_UCODE_REV);
	CHECK_EQ(rdmsr(0xCE), 0x80000000ULL);		/* CPUID_FAULTING offered */
	fx.now_ns = 7;
	CHECK_EQ(rdmsr(0x10), 21);
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	rdmsr(0x1B);					/* APIC_BASE */
	check_gp(CODE_VA);
	handlers();
	rdmsr(0x40000001);
	check_gp(CODE_VA);
	handlers();
	rdmsr(0xC0000100);				/* FS_BASE: 64-bit only */
	check_gp(CODE_VA);
}

/* TSC_AUX (Xen's guest_{rd,wr}msr()): only with RDTSCP/RDPID offered; 32 bits. */
static void tsc_aux_msr_follows_the_policy(void)
{
	handlers();
	rdmsr(0xC0000103);
	check_gp(CODE_VA);
	handlers();
	wrmsr(0xC0000103, 1);
	check_gp(CODE_VA);
	CHECK_EQ(fx.v.tsc_aux, 0);

	fx.vm.tsc_aux_msr = true;
	handlers();
	CHECK_EQ(rdmsr(0xC0000103), 0);			/* Xen's default */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	wrmsr(0xC0000103, 0xFEDC1234);
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	CHECK_EQ(fx.v.tsc_aux, 0xFEDC1234);
	CHECK_EQ(rdmsr(0xC0000103), 0xFEDC1234);
	wrmsr(0xC0000103, 1ULL << 32);			/* not 32 bits */
	check_gp(CODE_VA);
	CHECK_EQ(fx.v.tsc_aux, 0xFEDC1234);
}

static void wrmsr_allowed_and_refused(void)
{
	const u8 *page = fx_gpa(0x7000);

	handlers();
	wrmsr(0xC0000080, 0x800);			/* EFER unchanged */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	wrmsr(0xC0000080, 0x801);
	check_gp(CODE_VA);
	handlers();
	wrmsr(0x1A0, 0);				/* ignored */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	wrmsr(0x8B, 0);
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	wrmsr(0x8B, 1);
	check_gp(CODE_VA);
	handlers();
	wrmsr(0x186, 0x12345);				/* vPMU off: dropped */
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	wrmsr(0x277, 0);				/* PAT */
	check_gp(CODE_VA);
	handlers();
	wrmsr(0x10, 0);					/* TSC */
	check_gp(CODE_VA);
	handlers();
	wrmsr(0x140, 2);				/* reserved MISC_FEATURES bit */
	check_gp(CODE_VA);
	CHECK(!fx.v.cpuid_faulting);
	/* CPUID faulting: MISC_FEATURES_ENABLES bit 0 sticks and reads back. */
	handlers();
	wrmsr(0x140, 1);
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	CHECK(fx.v.cpuid_faulting);
	CHECK_EQ(rdmsr(0x140), 1);
	wrmsr(0x140, 3);
	check_gp(CODE_VA);
	CHECK(fx.v.cpuid_faulting);			/* a refused write changes nothing */
	handlers();
	wrmsr(0x140, 0);
	CHECK(!fx.v.cpuid_faulting);
	CHECK_EQ(rdmsr(0x140), 0);
	wrmsr(0xCE, 0);					/* PLATFORM_INFO is read-only */
	check_gp(CODE_VA);
	/* The hypercall page MSR fills the page at that address. */
	handlers();
	wrmsr(0x40000000, 0x7000);
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + 2);
	CHECK(!memcmp(page, "\xb8\x00\x00\x00\x00\xcd\x82\xc3", 8));
	CHECK(!memcmp(page + 23 * 32, "\x50\xb8\x17\x00\x00\x00\xcd\x82", 8));
	wrmsr(0x40000000, 0x7001);			/* not page aligned */
	check_gp(CODE_VA);
	handlers();
	wrmsr(0x40000000, (u64)FX_RAM_FRAMES << 12);	/* shared_info, not RAM */
	check_gp(CODE_VA);
	handlers();
	wrmsr(0x40000000, 1ULL << 40);
	check_gp(CODE_VA);
}

/* ---- vm_assist, physdev_op ---------------------------------------------------------- */

static void vm_assist_types(void)
{
	static const u32 ok[] = { 0, 1, 2, 3, 4, 5 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		fx_hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable, ok[i], 0, 0, 0);
		CHECK_EQ(fx_eax(), 0);
		CHECK(fx.vm.vm_assist & (1u << ok[i]));
	}
	fx_hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_disable, 3, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.vm.vm_assist, 0x37);
	fx_hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable, 6, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	fx_hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable, 32, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	fx_hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable, 0xffffffff, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	/* The type is checked first, then the command. */
	fx_hypercall(__HYPERVISOR_vm_assist, 2, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOSYS));
	fx_hypercall(__HYPERVISOR_vm_assist, 2, 9, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(fx.vm.vm_assist, 0x37);
}

static void runstate_update_flag(void)
{
	struct xen_vcpu_runstate_info rs;

	fx_hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable,
		     VMASST_TYPE_runstate_update_flag, 0, 0, 0);
	fx.v.runstate_va = BUF_VA;
	fx.now_ns += 500;
	pvmx_runstate_change(&fx.v, RUNSTATE_running);
	memcpy(&rs, fx_gpa(BUF_VA), sizeof(rs));
	CHECK_EQ(rs.state, RUNSTATE_running);
	CHECK_EQ(rs.state_entry_time, fx.now_ns);	/* XEN_RUNSTATE_UPDATE clear again */
}

static void physdev_set_iopl(void)
{
	wr32(ARG_VA, 3);
	CHECK_EQ(physdev(PHYSDEVOP_set_iopl, ARG_VA), 0);
	CHECK_EQ(fx.v.iopl, 3);
	wr32(ARG_VA, 4);
	CHECK_EQ(physdev(PHYSDEVOP_set_iopl, ARG_VA), -XEN_EINVAL);
	CHECK_EQ(fx.v.iopl, 3);
	CHECK_EQ(physdev(PHYSDEVOP_set_iopl, FX_UNMAPPED_VA), -XEN_EFAULT);
	wr32(ARG_VA, 0);
	CHECK_EQ(physdev(PHYSDEVOP_set_iopl, ARG_VA), 0);
	CHECK_EQ(fx.v.iopl, 0);
}

static void physdev_domu_answers(void)
{
	static const u32 eperm[] = {
		PHYSDEVOP_apic_read, PHYSDEVOP_apic_write, PHYSDEVOP_alloc_irq_vector,
		PHYSDEVOP_map_pirq, PHYSDEVOP_unmap_pirq, PHYSDEVOP_manage_pci_add,
		PHYSDEVOP_manage_pci_remove, PHYSDEVOP_restore_msi, PHYSDEVOP_setup_gsi,
		PHYSDEVOP_pci_device_add, PHYSDEVOP_pci_device_remove, PHYSDEVOP_dbgp_op,
		PHYSDEVOP_prepare_msix, PHYSDEVOP_pci_device_reset,
	};
	unsigned int i;

	memset(fx_gpa(ARG_VA), 0, 64);
	for (i = 0; i < ARRAY_SIZE(eperm); i++) {
		CHECK_EQ(physdev(eperm[i], ARG_VA), -XEN_EPERM);
		CHECK_EQ(physdev(eperm[i], FX_UNMAPPED_VA), -XEN_EFAULT);
	}
	CHECK_EQ(physdev(PHYSDEVOP_eoi, ARG_VA), -XEN_EINVAL);
	CHECK_EQ(physdev(PHYSDEVOP_irq_status_query, ARG_VA), -XEN_EINVAL);
	CHECK_EQ(physdev(PHYSDEVOP_get_free_pirq, ARG_VA), -XEN_ENOSPC);
	CHECK_EQ(physdev(PHYSDEVOP_free_irq_vector, ARG_VA), -XEN_ENOSYS);
	CHECK_EQ(physdev(99, ARG_VA), -XEN_ENOSYS);
	/* The PIRQ EOI page: a RAM frame, once. */
	wr32(ARG_VA, FX_RAM_FRAMES);
	CHECK_EQ(physdev(PHYSDEVOP_pirq_eoi_gmfn_v2, ARG_VA), -XEN_EINVAL);
	wr32(ARG_VA, 0x30);
	CHECK_EQ(physdev(PHYSDEVOP_pirq_eoi_gmfn_v2, ARG_VA), 0);
	CHECK_EQ(physdev(PHYSDEVOP_pirq_eoi_gmfn_v1, ARG_VA), -XEN_EBUSY);
}

static void physdev_op_compat(void)
{
	wr32(ARG_VA, PHYSDEVOP_set_iopl);
	wr32(ARG_VA + 4, 2);
	fx_hypercall(__HYPERVISOR_physdev_op_compat, ARG_VA, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.iopl, 2);
	wr32(ARG_VA + 4, 7);
	fx_hypercall(__HYPERVISOR_physdev_op_compat, ARG_VA, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	wr32(ARG_VA, PHYSDEVOP_apic_read);
	fx_hypercall(__HYPERVISOR_physdev_op_compat, ARG_VA, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EPERM));
	wr32(ARG_VA, PHYSDEVOP_irq_status_query);
	fx_hypercall(__HYPERVISOR_physdev_op_compat, ARG_VA, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	/* Every cmd is forwarded, the newer ones too. */
	wr32(ARG_VA, PHYSDEVOP_eoi);
	fx_hypercall(__HYPERVISOR_physdev_op_compat, ARG_VA, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	wr32(ARG_VA, PHYSDEVOP_get_free_pirq);
	fx_hypercall(__HYPERVISOR_physdev_op_compat, ARG_VA, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOSPC));
	/* The union's 12 bytes must be readable even for a 4-byte sub-op. */
	wr32(0x5ffff4, PHYSDEVOP_set_iopl);
	wr32(0x5ffff8, 1);
	fx_hypercall(__HYPERVISOR_physdev_op_compat, 0x5ffff4, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
	wr32(ARG_VA, PHYSDEVOP_IRQ_UNMASK_NOTIFY);
	fx_hypercall(__HYPERVISOR_physdev_op_compat, ARG_VA, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOSYS));
	fx_hypercall(__HYPERVISOR_physdev_op_compat, FX_UNMAPPED_VA, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
}

/* ---- random input ---------------------------------------------------------------- */

static u32 xorshift(u32 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/*
 * Random instruction bytes (biased towards the prefixes and opcodes the
 * emulator knows), registers and IOPL, in ring 1 and ring 3: the guest is
 * never crashed, ASan/UBSan see nothing, and the vCPU ends either past an
 * instruction of at most 15 bytes, on it (a rep continuation), or in a
 * handler.
 */
static void emulate_random_input(void)
{
	static const u8 likely_bytes[] = {
		0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x26, 0x0f, 0x0f, 0x6c, 0x6d, 0x6e, 0x6f,
		0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef, 0xfa, 0xfb, 0xf4, 0x06, 0x08,
		0x09, 0x20, 0x21, 0x22, 0x23, 0x30, 0x31, 0x32, 0x01, 0xf9,
	};
	u32 seed = 0x9e3779b9, i, j, eip;
	u8 bytes[15];
	struct pvmx_insn insn;

	user_page(USER_VA);
	for (i = 0; i < 20000; i++) {
		handlers();
		for (j = 0; j < sizeof(bytes); j++) {
			u32 r = xorshift(&seed);

			bytes[j] = (r & 3) ? likely_bytes[(r >> 8) % sizeof(likely_bytes)] : r >> 16;
		}
		if (!pvmx_decode_insn(bytes, sizeof(bytes), &insn))
			CHECK(insn.len >= 1 && insn.len <= 15);
		for (j = 0; j < PVMX_NR_GPRS; j++)
			if (j != PVMX_ESP)
				fx.v.cpu.gpr[j] = (xorshift(&seed) & 1) ? xorshift(&seed) :
						  BUF_VA + (xorshift(&seed) & 0xfff);
		fx.v.iopl = xorshift(&seed) & 3;
		fx.v.cpu.eflags = 0x202 | (xorshift(&seed) & 0x400);
		if (xorshift(&seed) & 1)
			ring3();
		else
			fx.v.cpu.cs = FLAT_RING1_CS;
		eip = (xorshift(&seed) & 1) ? USER_VA : CODE_VA;
		emul_at(eip, (const char *)bytes, sizeof(bytes));
		CHECK_EQ(fx.v.state, PVMX_VCPU_RUNNABLE);
		CHECK((fx.v.cpu.eip > eip && fx.v.cpu.eip <= eip + 15) || fx.v.cpu.eip == eip ||
		      fx.v.cpu.eip == GP_HANDLER || fx.v.cpu.eip == UD_HANDLER ||
		      fx.v.cpu.eip == PF_HANDLER || fx.v.cpu.eip == DB_HANDLER);
		if (unit_failures)
			break;
		fx.v.cpu.cs = FLAT_RING1_CS;
		fx.v.cpu.ss = FLAT_RING1_SS;
	}
}

const struct unit_test emulate_tests[] = {
	UNIT_TEST(decode_lengths_and_prefixes),
	UNIT_TEST(port_io_refused_at_iopl0),
	UNIT_TEST(port_io_reads_ones_at_iopl1),
	UNIT_TEST(port_io_ring3_needs_iopl3),
	UNIT_TEST(cli_sti_follow_iopl_and_leave_mask),
	UNIT_TEST(architectural_iopl),
	UNIT_TEST(io_bitmap),
	UNIT_TEST(string_io),
	UNIT_TEST(string_io_long_rep_and_faults),
	UNIT_TEST(string_io_ring3_checks_user_bit),
	UNIT_TEST(mov_from_cr),
	UNIT_TEST(mov_to_cr_and_clts),
	UNIT_TEST(mov_dr),
	UNIT_TEST(ring3_gets_no_kernel_insn),
	UNIT_TEST(other_instructions),
	UNIT_TEST(single_step_traps_after),
	UNIT_TEST(rdmsr_allowed_and_refused),
	UNIT_TEST(wrmsr_allowed_and_refused),
	UNIT_TEST(tsc_aux_msr_follows_the_policy),
	UNIT_TEST(vm_assist_types),
	UNIT_TEST(runstate_update_flag),
	UNIT_TEST(physdev_set_iopl),
	UNIT_TEST(physdev_domu_answers),
	UNIT_TEST(physdev_op_compat),
	UNIT_TEST(emulate_random_input),
	{ NULL, NULL },
};
