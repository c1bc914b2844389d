// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of ptwr.c (VMASST_TYPE_writable_pagetables): each store
 * form into an L1 entry through the fixture's read-only mapping of its L1
 * (VA == GPA), merged half-entry stores, Xen's high-half fix-up, the page
 * type references moving as for mmu_update, and every case that is not
 * emulated (the #PF is reflected: pvmx_ptwr_fault() returns false and
 * nothing changed).
 */
#include "harness.h"
#include "fixture.h"
#include "unit_tests.h"

#define CODE_VA		0x2000u
#define STACK_TOP	0x280000u
#define DB_HANDLER	0x00010100u
/* The L1 entry mapping VA 0x10000 (frame 0x10), in the L1 at FX_L1_GPA. */
#define PTE_VA		(FX_L1_GPA + 0x10 * 8)
#define PFEC_PW		0x3u	/* present, write (ring 1) */
#define PTE_RW_A	0x23ULL
#define WPT		BIT(VMASST_TYPE_writable_pagetables)

static u64 entry(void)
{
	u64 e;

	memcpy(&e, fx_gpa(PTE_VA), 8);
	return e;
}

static u32 refs(u32 mfn)
{
	return fx.vm.frame_table[mfn].type_count;
}

static void setup(void)
{
	fx.vm.vm_assist |= WPT;
	fx.v.trap_ctxt[1].address = DB_HANDLER;
	fx.v.trap_ctxt[1].cs = FLAT_RING1_CS;
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
}

static enum pvmx_action last_act;

static bool fault_at(u32 addr, u32 error, const char *code, u32 len)
{
	memcpy(fx_gpa(CODE_VA), code, len);
	fx.v.cpu.eip = CODE_VA;
	last_act = PVMX_EXIT_TO_USER;
	return pvmx_ptwr_fault(&fx.v, 0, addr, error, &last_act);
}

#define FAULT(addr, code)	fault_at(addr, PFEC_PW, code, sizeof(code) - 1)

/* Emulated: past the instruction, resumed. */
static void check_done(bool handled, u32 len)
{
	CHECK(handled);
	CHECK_EQ(last_act, PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, CODE_VA + len);
}

/* Not emulated: the caller reflects the #PF; nothing moved. */
static void check_refused(bool handled, u64 pte)
{
	CHECK(!handled);
	CHECK_EQ(fx.v.cpu.eip, CODE_VA);
	CHECK_EQ(entry(), pte);
}

static void mov_r32_moves_the_references(void)
{
	u32 gen = fx.v.pt_generation;

	setup();
	CHECK_EQ(refs(0x10), 1);
	CHECK_EQ(refs(0x20), 1);
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA;
	fx.v.cpu.gpr[PVMX_ECX] = 0x20000 | PTE_RW_A;
	check_done(FAULT(PTE_VA, "\x89\x08"), 2);	/* mov %ecx,(%eax) */
	CHECK_EQ(entry(), 0x20000 | PTE_RW_A);
	CHECK_EQ(refs(0x10), 0);
	CHECK_EQ(refs(0x20), 2);
	CHECK(fx.v.pt_generation != gen);
	/* The high half: NX, merged with the low half just written. */
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA + 4;
	fx.v.cpu.gpr[PVMX_ECX] = 0x80000000u;
	check_done(FAULT(PTE_VA + 4, "\x89\x08"), 2);
	CHECK_EQ(entry(), PVMX_PTE_NX | 0x20000 | PTE_RW_A);
	CHECK_EQ(refs(0x20), 2);
}

static void mov_imm32_and_addressing_forms(void)
{
	setup();
	/* movl $0x30021,(%ebx): read-only, no writable reference. */
	fx.v.cpu.gpr[PVMX_EBX] = PTE_VA;
	check_done(FAULT(PTE_VA, "\xc7\x03\x21\x00\x03\x00"), 6);
	CHECK_EQ(entry(), 0x30021);
	CHECK_EQ(refs(0x10), 0);
	CHECK_EQ(refs(0x30), 1);
	/* mov %ecx,0x10(%eax) (disp8) */
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA - 0x10;
	fx.v.cpu.gpr[PVMX_ECX] = 0x10000 | PTE_RW_A;
	check_done(FAULT(PTE_VA, "\x89\x48\x10"), 3);
	CHECK_EQ(entry(), 0x10000 | PTE_RW_A);
	/* mov %edx,0x105000(,%esi,8) (SIB, no base, disp32) */
	fx.v.cpu.gpr[PVMX_ESI] = 0x10;
	fx.v.cpu.gpr[PVMX_EDX] = 0x11000 | PTE_RW_A;
	check_done(FAULT(PTE_VA, "\x89\x14\xf5\x00\x50\x10\x00"), 7);
	CHECK_EQ(entry(), 0x11000 | PTE_RW_A);
	/* %ds: mov %ecx,-0x8(%ebp,%edi,4) (SIB, base, disp8) */
	fx.v.cpu.gpr[PVMX_EBP] = FX_L1_GPA + 8;
	fx.v.cpu.gpr[PVMX_EDI] = 0x20;
	fx.v.cpu.gpr[PVMX_ECX] = 0x10000 | PTE_RW_A;
	check_done(FAULT(PTE_VA, "\x3e\x89\x4c\xbd\xf8"), 5);
	CHECK_EQ(entry(), 0x10000 | PTE_RW_A);
	CHECK_EQ(refs(0x11), 1);
	CHECK_EQ(refs(0x10), 1);
}

static void sub_word_stores_merge(void)
{
	setup();
	/* movw $0x21,(%eax): clears RW, keeps the rest. */
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA;
	check_done(FAULT(PTE_VA, "\x66\xc7\x00\x21\x00"), 5);
	CHECK_EQ(entry(), 0x10021);
	CHECK_EQ(refs(0x10), 0);
	/* movb %cl,(%eax) with %cl = 0x23: RW again. */
	fx.v.cpu.gpr[PVMX_ECX] = 0x1223;
	check_done(FAULT(PTE_VA, "\x88\x08"), 2);
	CHECK_EQ(entry(), 0x10023);
	CHECK_EQ(refs(0x10), 1);
	/* movb %ch,1(%eax): bits 8..15. */
	fx.v.cpu.gpr[PVMX_ECX] = 0x0e00;
	check_done(FAULT(PTE_VA + 1, "\x88\x68\x01"), 3);
	CHECK_EQ(entry(), 0x10e23);
}

static void xchg_returns_the_old_half(void)
{
	setup();
	fx.v.cpu.gpr[PVMX_EBX] = PTE_VA;
	fx.v.cpu.gpr[PVMX_EDX] = 0;
	check_done(FAULT(PTE_VA, "\x87\x13"), 2);	/* xchg %edx,(%ebx) */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EDX], 0x10000 | PTE_RW_A);
	CHECK_EQ(entry(), 0);
	CHECK_EQ(refs(0x10), 0);
}

static void cmpxchg_success_and_failure(void)
{
	setup();
	fx.v.cpu.gpr[PVMX_EBX] = PTE_VA;
	fx.v.cpu.gpr[PVMX_EAX] = 0x10000 | PTE_RW_A;
	fx.v.cpu.gpr[PVMX_ECX] = 0x10021;
	fx.v.cpu.eflags = 0x202 | 0x8D5;	/* all arithmetic flags set */
	/* lock cmpxchg %ecx,(%ebx) */
	check_done(FAULT(PTE_VA, "\xf0\x0f\xb1\x0b"), 4);
	CHECK_EQ(entry(), 0x10021);
	CHECK_EQ(fx.v.cpu.eflags, 0x202 | 0x44);	/* ZF, PF */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0x10000 | PTE_RW_A);
	CHECK_EQ(refs(0x10), 0);
	/* Again: the entry no longer holds %eax: %eax gets it, no write. */
	fx.v.cpu.gpr[PVMX_ECX] = 0x20023;
	check_done(FAULT(PTE_VA, "\xf0\x0f\xb1\x0b"), 4);
	CHECK_EQ(entry(), 0x10021);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0x10021);
	/* cmp 0x10023, 0x10021: 2 (no CF, ZF, SF, OF; PF clear: one bit set). */
	CHECK_EQ(fx.v.cpu.eflags, 0x202);
	CHECK_EQ(refs(0x20), 1);
	/* Failing below: CF and SF. */
	fx.v.cpu.gpr[PVMX_EAX] = 0x10020;
	check_done(FAULT(PTE_VA, "\x0f\xb1\x0b"), 3);
	CHECK_EQ(fx.v.cpu.eflags & 0x8D5, 0x01 | 0x80 | 0x10 | 0x04);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0x10021);
	/* A refused new value is refused even when the comparison fails (Xen). */
	fx.v.cpu.gpr[PVMX_EAX] = 0;
	fx.v.cpu.gpr[PVMX_ECX] = FX_L1_GPA | PTE_RW_A;
	check_refused(FAULT(PTE_VA, "\xf0\x0f\xb1\x0b"), 0x10021);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0);
}

static void cmpxchg8b_success_and_failure(void)
{
	setup();
	fx.v.cpu.gpr[PVMX_ESI] = PTE_VA;
	fx.v.cpu.gpr[PVMX_EDX] = 0;
	fx.v.cpu.gpr[PVMX_EAX] = 0x10000 | PTE_RW_A;
	fx.v.cpu.gpr[PVMX_ECX] = 0x80000000u;
	fx.v.cpu.gpr[PVMX_EBX] = 0x40000 | PTE_RW_A;
	/* lock cmpxchg8b (%esi) */
	check_done(FAULT(PTE_VA, "\xf0\x0f\xc7\x0e"), 4);
	CHECK_EQ(entry(), PVMX_PTE_NX | 0x40000 | PTE_RW_A);
	CHECK(fx.v.cpu.eflags & 0x40);
	CHECK_EQ(refs(0x10), 0);
	CHECK_EQ(refs(0x40), 2);
	/* Stale comparand: EDX:EAX gets the entry, ZF clear, nothing written. */
	check_done(FAULT(PTE_VA, "\xf0\x0f\xc7\x0e"), 4);
	CHECK(!(fx.v.cpu.eflags & 0x40));
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EDX], 0x80000000u);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EAX], 0x40000 | PTE_RW_A);
	CHECK_EQ(entry(), PVMX_PTE_NX | 0x40000 | PTE_RW_A);
	CHECK_EQ(refs(0x40), 2);
	/* Misaligned for 8 bytes: reflected. */
	fx.v.cpu.gpr[PVMX_ESI] = PTE_VA + 4;
	check_refused(FAULT(PTE_VA + 4, "\xf0\x0f\xc7\x0e"),
		      PVMX_PTE_NX | 0x40000 | PTE_RW_A);
}

/* Xen: a high half written first, making a present entry refused, lands not present. */
static void high_half_first_is_fixed_up(void)
{
	setup();
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA + 4;
	fx.v.cpu.gpr[PVMX_ECX] = 1;	/* frame 0x100010: not the VM's */
	check_done(FAULT(PTE_VA + 4, "\x89\x08"), 2);
	CHECK_EQ(entry(), 0x100010022ULL);
	CHECK_EQ(refs(0x10), 0);
	/* The low half completes it: still out of RAM, so refused. */
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA;
	fx.v.cpu.gpr[PVMX_ECX] = 0x20023;
	check_refused(FAULT(PTE_VA, "\x89\x08"), 0x100010022ULL);
	/* The high half back to 0, then the low half: mapped. */
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA + 4;
	fx.v.cpu.gpr[PVMX_ECX] = 0;
	check_done(FAULT(PTE_VA + 4, "\x89\x08"), 2);
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA;
	fx.v.cpu.gpr[PVMX_ECX] = 0x20023;
	check_done(FAULT(PTE_VA, "\x89\x08"), 2);
	CHECK_EQ(entry(), 0x20023);
	CHECK_EQ(refs(0x20), 2);
	/* No fix-up for the low half, or for a cmpxchg of the high half. */
	fx.v.cpu.gpr[PVMX_ECX] = FX_L1_GPA | PTE_RW_A;
	check_refused(FAULT(PTE_VA, "\x89\x08"), 0x20023);
	fx.v.cpu.gpr[PVMX_EBX] = PTE_VA + 4;
	fx.v.cpu.gpr[PVMX_EAX] = 0;
	fx.v.cpu.gpr[PVMX_ECX] = 1;
	check_refused(FAULT(PTE_VA + 4, "\x0f\xb1\x0b"), 0x20023);
}

static void refused_values(void)
{
	setup();
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA;
	/* A page table mapped writable: -EBUSY in mmu_update. */
	fx.v.cpu.gpr[PVMX_ECX] = FX_L1_GPA | PTE_RW_A;
	check_refused(FAULT(PTE_VA, "\x89\x08"), 0x10023);
	fx.v.cpu.gpr[PVMX_ECX] = FX_L3_GPA | PTE_RW_A;
	check_refused(FAULT(PTE_VA, "\x89\x08"), 0x10023);
	/* PCD: a cache attribute Xen does not allow. */
	fx.v.cpu.gpr[PVMX_ECX] = 0x10033;
	check_refused(FAULT(PTE_VA, "\x89\x08"), 0x10023);
	CHECK_EQ(refs(0x10), 1);
	/* ...but it may map them read-only. */
	fx.v.cpu.gpr[PVMX_ECX] = FX_L1_GPA | 0x21;
	check_done(FAULT(PTE_VA, "\x89\x08"), 2);
	CHECK_EQ(entry(), FX_L1_GPA | 0x21);
}

static void not_emulated(void)
{
	u32 l2e_va = FX_L2_GPA;		/* the L2's read-only mapping */

	setup();
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA;
	fx.v.cpu.gpr[PVMX_ECX] = 0x20023;
	/* Assist off. */
	fx.vm.vm_assist = 0;
	check_refused(FAULT(PTE_VA, "\x89\x08"), 0x10023);
	setup();
	/* Not a write to a present page, or reserved bits, or a fetch. */
	check_refused(fault_at(PTE_VA, 0x2, "\x89\x08", 2), 0x10023);
	check_refused(fault_at(PTE_VA, 0x1, "\x89\x08", 2), 0x10023);
	check_refused(fault_at(PTE_VA, 0xb, "\x89\x08", 2), 0x10023);
	check_refused(fault_at(PTE_VA, 0x13, "\x89\x08", 2), 0x10023);
	/* Ring 3 (error code U, or CS at ring 3). */
	check_refused(fault_at(PTE_VA, 0x7, "\x89\x08", 2), 0x10023);
	fx.v.cpu.cs = FLAT_RING3_CS;
	check_refused(FAULT(PTE_VA, "\x89\x08"), 0x10023);
	fx.v.cpu.cs = FLAT_RING1_CS;
	/* Another instruction: add %ecx,(%eax); xor; bt; rep; fs; 16-bit addressing. */
	check_refused(FAULT(PTE_VA, "\x01\x08"), 0x10023);
	check_refused(FAULT(PTE_VA, "\xf0\x31\x08"), 0x10023);
	check_refused(FAULT(PTE_VA, "\x0f\xba\x20\x01"), 0x10023);	/* bt: no store */
	check_refused(FAULT(PTE_VA, "\x83\x30\x01"), 0x10023);	/* 83 /6: xor */
	check_refused(FAULT(PTE_VA, "\xf0\x0f\xab\x08"), 0x10023);	/* bts r32 */
	check_refused(FAULT(PTE_VA, "\xf3\x89\x08"), 0x10023);
	check_refused(FAULT(PTE_VA, "\x64\x89\x08"), 0x10023);
	check_refused(FAULT(PTE_VA, "\x67\x89\x08"), 0x10023);
	check_refused(FAULT(PTE_VA, "\xf0\x89\x08"), 0x10023);
	check_refused(FAULT(PTE_VA, "\x89\xc8"), 0x10023);	/* register */
	check_refused(FAULT(PTE_VA, "\xc7\x08\0\0\0\0"), 0x10023);	/* C7 /1 */
	check_refused(FAULT(PTE_VA, "\x0f\xc7\x00"), 0x10023);	/* 0F C7 /0 */
	/* The decoded address is not the fault address; misaligned. */
	check_refused(FAULT(PTE_VA + 8, "\x89\x08"), 0x10023);
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA + 2;
	check_refused(FAULT(PTE_VA + 2, "\x89\x08"), 0x10023);
	/* Another level: the L2 and L3, read-only but not L1s; an ordinary page. */
	fx.v.cpu.gpr[PVMX_EAX] = l2e_va;
	check_refused(FAULT(l2e_va, "\x89\x08"), 0x10023);
	fx.v.cpu.gpr[PVMX_EAX] = FX_L3_GPA;
	check_refused(FAULT(FX_L3_GPA, "\x89\x08"), 0x10023);
	fx.v.cpu.gpr[PVMX_EAX] = FX_RO_VA;
	check_refused(FAULT(FX_RO_VA, "\x89\x08"), 0x10023);
	/* Mapped writable (not a protection fault on a read-only mapping). */
	fx.v.cpu.gpr[PVMX_EAX] = 0x10000;
	check_refused(FAULT(0x10000, "\x89\x08"), 0x10023);
	/* An L1 no longer typed as one (unpinned, unreferenced). */
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA;
	fx.vm.frame_table[FX_L1_GPA >> 12].type = PVMX_PGT_WRITABLE;
	check_refused(FAULT(PTE_VA, "\x89\x08"), 0x10023);
	fx.vm.frame_table[FX_L1_GPA >> 12].type = PVMX_PGT_L1;
}

/* set_bit()/clear_bit() on an entry: or, and, bts, btr, btc. */
static void bit_operations(void)
{
	setup();
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA;
	fx.v.cpu.eflags = 0x202 | 0x8D5;
	/* lock andb $0xfd,(%eax): clear_bit(_PAGE_BIT_RW) */
	check_done(FAULT(PTE_VA, "\xf0\x80\x20\xfd"), 4);
	CHECK_EQ(entry(), 0x10021);
	CHECK_EQ(refs(0x10), 0);
	CHECK_EQ(fx.v.cpu.eflags, 0x202 | 0x04);	/* 0x21: PF (even), CF OF ZF SF clear */
	/* lock orl %ecx,(%eax) */
	fx.v.cpu.gpr[PVMX_ECX] = 2;
	check_done(FAULT(PTE_VA, "\xf0\x09\x08"), 3);
	CHECK_EQ(entry(), 0x10023);
	CHECK_EQ(refs(0x10), 1);
	/* lock btrl $5,(%eax): test_and_clear_bit(_PAGE_BIT_ACCESSED), CF = 1 */
	fx.v.cpu.eflags = 0x202;
	check_done(FAULT(PTE_VA, "\xf0\x0f\xba\x30\x05"), 5);
	CHECK_EQ(entry(), 0x10003);
	CHECK_EQ(fx.v.cpu.eflags, 0x203);
	/* btsl $37,(%eax): the bit number taken modulo 32, CF = old bit 5 = 0 */
	check_done(FAULT(PTE_VA, "\x0f\xba\x28\x25"), 4);
	CHECK_EQ(entry(), 0x10023);
	CHECK_EQ(fx.v.cpu.eflags, 0x202);
	/* btcl $1,(%eax): RW off */
	check_done(FAULT(PTE_VA, "\x0f\xba\x38\x01"), 4);
	CHECK_EQ(entry(), 0x10021);
	CHECK_EQ(fx.v.cpu.eflags, 0x203);
	/* orl $0x2,(%eax) (83 /1, sign-extended imm8); andl $0xfffff0ff (81 /4) */
	check_done(FAULT(PTE_VA, "\x83\x08\x02"), 3);
	CHECK_EQ(entry(), 0x10023);
	check_done(FAULT(PTE_VA, "\x81\x20\xff\xf0\xff\xff"), 6);
	CHECK_EQ(entry(), 0x10023);
	/* andl $-1 keeps it; andl $0 (83 /4) clears it: ZF */
	check_done(FAULT(PTE_VA, "\x83\x20\xff"), 3);
	CHECK_EQ(entry(), 0x10023);
	check_done(FAULT(PTE_VA, "\x83\x20\x00"), 3);
	CHECK_EQ(entry(), 0);
	CHECK_EQ(fx.v.cpu.eflags & 0x8D5, 0x44);
	CHECK_EQ(refs(0x10), 0);
	/* orb %cl,(%eax) making it present RW on a page table: refused */
	fx.v.cpu.gpr[PVMX_ECX] = 0x23;
	memcpy(fx_gpa(PTE_VA), &(u64){ FX_L1_GPA }, 8);
	check_refused(FAULT(PTE_VA, "\x08\x08"), FX_L1_GPA);
	/* The high half: a plain or is fixed up (not present), a locked one refused. */
	check_done(FAULT(PTE_VA, "\xc7\x00\x23\x00\x01\x00"), 6);
	CHECK_EQ(refs(0x10), 1);
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA + 4;
	fx.v.cpu.gpr[PVMX_ECX] = 1;
	check_refused(FAULT(PTE_VA + 4, "\xf0\x09\x08"), 0x10023);
	check_done(FAULT(PTE_VA + 4, "\x09\x08"), 2);
	CHECK_EQ(entry(), 0x100010022ULL);
	CHECK_EQ(refs(0x10), 0);
}

static void single_step_traps_after(void)
{
	setup();
	fx.v.cpu.eflags |= PVMX_EFLAGS_TF;
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA;
	fx.v.cpu.gpr[PVMX_ECX] = 0x20023;
	CHECK(FAULT(PTE_VA, "\x89\x08"));
	CHECK_EQ(entry(), 0x20023);
	CHECK_EQ(fx.v.cpu.eip, DB_HANDLER);
	CHECK(fx.v.dr[6] & 0x4000);
}

static void vm_assist_toggles_it(void)
{
	fx_hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable,
		     VMASST_TYPE_writable_pagetables, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.vm.vm_assist, WPT);
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA;
	fx.v.cpu.gpr[PVMX_ECX] = 0x20023;
	check_done(FAULT(PTE_VA, "\x89\x08"), 2);
	fx_hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_disable,
		     VMASST_TYPE_writable_pagetables, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.vm.vm_assist, 0);
	fx.v.cpu.gpr[PVMX_EAX] = PTE_VA;
	fx.v.cpu.gpr[PVMX_ECX] = 0x10023;
	check_refused(FAULT(PTE_VA, "\x89\x08"), 0x20023);
}

const struct unit_test ptwr_tests[] = {
	UNIT_TEST(mov_r32_moves_the_references),
	UNIT_TEST(mov_imm32_and_addressing_forms),
	UNIT_TEST(sub_word_stores_merge),
	UNIT_TEST(xchg_returns_the_old_half),
	UNIT_TEST(cmpxchg_success_and_failure),
	UNIT_TEST(cmpxchg8b_success_and_failure),
	UNIT_TEST(high_half_first_is_fixed_up),
	UNIT_TEST(refused_values),
	UNIT_TEST(not_emulated),
	UNIT_TEST(bit_operations),
	UNIT_TEST(single_step_traps_after),
	UNIT_TEST(vm_assist_toggles_it),
	{ NULL, NULL }
};
