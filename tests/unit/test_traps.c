// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of traps, callbacks, bounce frames, iret and multicall:
 * exact frame layouts and Xen's results.
 */
#include "harness.h"
#include "fixture.h"
#include "unit_tests.h"

#define XEN_ERR(e)	((u32)-(e))
#define TABLE_VA	0x210000u
#define STACK_TOP	0x280000u	/* ring-1 stack */
#define KSTACK_TOP	0x290000u	/* stack_switch stack */
#define LIST_VA		0x220000u
#define HANDLER		0x00123450u

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

static void put_trap(u32 va, u8 vector, u8 flags, u16 cs, u32 address)
{
	fx_gpa(va)[0] = vector;
	fx_gpa(va)[1] = flags;
	memcpy(fx_gpa(va) + 2, &cs, 2);
	wr32(va + 4, address);
}

static u8 *mask_byte(void)
{
	return &fx.vm.shared_info->vcpu_info[0].evtchn_upcall_mask;
}

static void trap_table_merges_and_clears(void)
{
	put_trap(TABLE_VA, 14, 4, FLAT_RING1_CS, HANDLER);
	put_trap(TABLE_VA + 8, 0x80, 3, 0xE018, HANDLER + 0x80);	/* RPL 0 -> 1 */
	put_trap(TABLE_VA + 16, 0, 0, 0, 0);
	fx_hypercall(__HYPERVISOR_set_trap_table, TABLE_VA, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.trap_ctxt[14].address, HANDLER);
	CHECK_EQ(fx.v.trap_ctxt[14].flags, 4);
	CHECK_EQ(fx.v.trap_ctxt[0x80].cs, 0xE019);
	/* A one-entry table changes only that vector. */
	put_trap(TABLE_VA, 6, 0, FLAT_RING1_CS, HANDLER + 6);
	put_trap(TABLE_VA + 8, 0, 0, 0, 0);
	fx_hypercall(__HYPERVISOR_set_trap_table, TABLE_VA, 0, 0, 0, 0);
	CHECK_EQ(fx.v.trap_ctxt[14].address, HANDLER);
	CHECK_EQ(fx.v.trap_ctxt[6].address, HANDLER + 6);
	fx_hypercall(__HYPERVISOR_set_trap_table, FX_UNMAPPED_VA, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
	fx_hypercall(__HYPERVISOR_set_trap_table, 0, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.trap_ctxt[14].address, 0);
	CHECK_EQ(fx.v.trap_ctxt[6].address, 0);
}

static void trap_table_long_table_continues(void)
{
	unsigned int i, rounds = 0;

	for (i = 0; i < 300; i++)
		put_trap(TABLE_VA + i * 8, i & 0xFF, 0, FLAT_RING1_CS, HANDLER + i);
	put_trap(TABLE_VA + 300 * 8, 0, 0, 0, 0);
	/* No host preemption: the per-hold budget alone splits it (300 > 2 * 128). */
	fx_hypercall(__HYPERVISOR_set_trap_table, TABLE_VA, 0, 0, 0, 0);
	while (fx.v.cpu.eip == 0x1000 && rounds++ < 20)
		pvmx_hypercall(&fx.v, 2);
	CHECK_EQ(rounds, 300 / PVMX_HOLD_BUDGET);
	CHECK_EQ(fx.v.cpu.eip, 0x1002);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.trap_ctxt[1].address, HANDLER + 257);	/* the later entry wins */
}

static void ring1_fault_frame(void)
{
	fx.v.trap_ctxt[13] = (struct pvmx_trap_entry){ HANDLER, FLAT_RING1_CS, 0 };
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
	fx.v.cpu.eip = 0x4444;
	fx.v.cpu.eflags = 0x246;	/* real IF on, ZF, PF */
	*mask_byte() = 0;
	CHECK_EQ(pvmx_deliver_exception(&fx.v, 13, true, 0x1234), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], STACK_TOP - 16);
	CHECK_EQ(rd32(STACK_TOP - 16), 0x1234);			/* error code */
	CHECK_EQ(rd32(STACK_TOP - 12), 0x4444);			/* EIP */
	CHECK_EQ(rd32(STACK_TOP - 8), FLAT_RING1_CS);		/* CS, mask 0 */
	CHECK_EQ(rd32(STACK_TOP - 4), 0x246);			/* IF = !mask = 1 */
	CHECK_EQ(fx.v.cpu.eip, HANDLER);
	CHECK_EQ(fx.v.cpu.cs, FLAT_RING1_CS);
	CHECK_EQ(*mask_byte(), 0);				/* flags bit 2 clear */

	/* With the mask set and a masking entry: saved mask 1, IF clear. */
	fx.v.trap_ctxt[3] = (struct pvmx_trap_entry){ HANDLER + 3, FLAT_RING1_CS, 4 };
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
	fx.v.cpu.eip = 0x5555;
	fx.v.cpu.eflags = 0x3302 | 0x100;	/* IOPL 3, TF, IF */
	*mask_byte() = 1;
	pvmx_deliver_exception(&fx.v, 3, false, 0);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], STACK_TOP - 12);
	CHECK_EQ(rd32(STACK_TOP - 12), 0x5555);
	CHECK_EQ(rd32(STACK_TOP - 8), FLAT_RING1_CS | (1 << 16));
	CHECK_EQ(rd32(STACK_TOP - 4), 0x102);			/* IF and IOPL cleared */
	CHECK_EQ(fx.v.cpu.eflags & 0x100, 0);			/* TF cleared */
	CHECK_EQ(*mask_byte(), 1);
}

/*
 * sysenter and syscall enter their callbacks with compat Xen's frames
 * (sysenter_entry/compat_sysenter, cstar_enter/compat_syscall).
 */
static void sysenter_and_syscall_callbacks(void)
{
	u32 k = KSTACK_TOP, i;

	fx.v.cpu.kernel_ss = FLAT_RING1_SS;
	fx.v.cpu.kernel_sp = KSTACK_TOP;
	fx.v.trap_ctxt[13] = (struct pvmx_trap_entry){ HANDLER + 13, FLAT_RING1_CS, 0 };
	fx.v.trap_ctxt[6] = (struct pvmx_trap_entry){ HANDLER + 6, FLAT_RING1_CS, 0 };

	/* No sysenter address: #GP(0) through the trap table, Xen's sysenter frame. */
	fx.v.cpu.cs = FLAT_RING3_CS;
	fx.v.cpu.ss = FLAT_RING3_SS;
	fx.v.cpu.eip = 0x8000;
	fx.v.cpu.gpr[PVMX_ESP] = 0x7000;
	fx.v.cpu.eflags = 0x10246;		/* RF, IF, ZF, PF */
	*mask_byte() = 0;
	CHECK_EQ(pvmx_fast_syscall(&fx.v, true, 2), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, HANDLER + 13);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], k - 24);
	CHECK_EQ(rd32(k - 24), 0);			/* error code */
	CHECK_EQ(rd32(k - 20), 0);			/* EIP: sysenter saves none */
	CHECK_EQ(rd32(k - 16), 3);			/* CS: null ring-3 selector */
	CHECK_EQ(rd32(k - 12), 0x246);			/* RF cleared */
	CHECK_EQ(rd32(k - 8), 0);			/* ESP */
	CHECK_EQ(rd32(k - 4), FLAT_RING3_SS);
	CHECK_EQ(fx.v.stats.traps, 1);

	/* Registered, masking events: entered with the 5-word frame, mask set. */
	fx.v.sysenter_cb = (struct pvmx_callback){ HANDLER + 0x34, FLAT_RING1_CS, true };
	fx.v.cpu.cs = FLAT_RING3_CS;
	fx.v.cpu.ss = FLAT_RING3_SS;
	fx.v.cpu.eip = 0x8000;
	fx.v.cpu.gpr[PVMX_ESP] = 0x7000;
	fx.v.cpu.gpr[PVMX_EBP] = 0x7abc;
	fx.v.cpu.eflags = 0x246;
	*mask_byte() = 0;
	CHECK_EQ(pvmx_fast_syscall(&fx.v, true, 2), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, HANDLER + 0x34);
	CHECK_EQ(fx.v.cpu.cs, FLAT_RING1_CS);
	CHECK_EQ(fx.v.cpu.ss, FLAT_RING1_SS);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], k - 20);
	CHECK_EQ(rd32(k - 20), 0);
	CHECK_EQ(rd32(k - 16), 3);
	CHECK_EQ(rd32(k - 12), 0x246);
	CHECK_EQ(rd32(k - 8), 0);
	CHECK_EQ(rd32(k - 4), FLAT_RING3_SS);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_EBP], 0x7abc);	/* registers as the guest left them */
	CHECK_EQ(*mask_byte(), 1);
	CHECK_EQ(fx.v.stats.traps, 2);

	/* From ring 1 too: Xen reports ring 3, so the stack_switch stack is used. */
	fx.v.cpu.cs = FLAT_RING1_CS;
	fx.v.cpu.ss = FLAT_RING1_SS;
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
	*mask_byte() = 1;
	CHECK_EQ(pvmx_fast_syscall(&fx.v, true, 2), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], k - 20);
	CHECK_EQ(rd32(k - 16), 3 | (1 << 16));		/* saved mask 1 */
	CHECK_EQ(rd32(k - 12), 0x046);			/* IF = !mask */

	/* syscall without a syscall32 CS: the CPU's #UD, as Xen on Intel gives. */
	fx.v.cpu.cs = FLAT_RING3_CS;
	fx.v.cpu.ss = FLAT_RING3_SS;
	fx.v.cpu.eip = 0x9000;
	fx.v.cpu.gpr[PVMX_ESP] = 0x6000;
	fx.v.cpu.gpr[PVMX_ECX] = 0x1111;
	fx.v.cpu.eflags = 0x202;
	*mask_byte() = 0;
	CHECK_EQ(pvmx_fast_syscall(&fx.v, false, 2), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, HANDLER + 6);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], k - 20);
	CHECK_EQ(rd32(k - 20), 0x9000);
	CHECK_EQ(rd32(k - 16), FLAT_RING3_CS);
	CHECK_EQ(rd32(k - 8), 0x6000);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ECX], 0x1111);	/* a #UD writes no ECX */

	/* syscall32 registered without masking: EIP after it, ECX = return EIP. */
	fx.v.syscall32_cb = (struct pvmx_callback){ HANDLER + 5, FLAT_RING1_CS, false };
	fx.v.cpu.cs = FLAT_RING3_CS;
	fx.v.cpu.ss = FLAT_RING3_SS;
	fx.v.cpu.eip = 0x9000;
	fx.v.cpu.gpr[PVMX_ESP] = 0x6000;
	fx.v.cpu.eflags = 0x202;
	*mask_byte() = 0;
	CHECK_EQ(pvmx_fast_syscall(&fx.v, false, 2), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, HANDLER + 5);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], k - 20);
	CHECK_EQ(rd32(k - 20), 0x9002);
	CHECK_EQ(rd32(k - 16), FLAT_RING3_CS);
	CHECK_EQ(rd32(k - 12), 0x202);
	CHECK_EQ(rd32(k - 8), 0x6000);
	CHECK_EQ(rd32(k - 4), FLAT_RING3_SS);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ECX], 0x9002);
	CHECK_EQ(*mask_byte(), 0);

	/*
	 * A callback CS that is no code segment (a data segment, an LDT
	 * selector without an LDT) is entered as compat Xen enters it: the
	 * frame is written and CS holds the selector, which the arch code
	 * turns into the guest's #GP before VM entry.
	 */
	fx.v.syscall32_cb = (struct pvmx_callback){ HANDLER + 7, FLAT_RING1_DS, false };
	fx.v.sysenter_cb = (struct pvmx_callback){ HANDLER + 8, 0xFFF9, false };
	for (i = 0; i < 2; i++) {
		fx.v.cpu.cs = FLAT_RING3_CS;
		fx.v.cpu.ss = FLAT_RING3_SS;
		fx.v.cpu.eip = 0x9000;
		fx.v.cpu.gpr[PVMX_ESP] = 0x6000;
		fx.v.cpu.eflags = 0x202;
		CHECK_EQ(pvmx_fast_syscall(&fx.v, i, 2), PVMX_RESUME);
		CHECK_EQ(fx.v.state, PVMX_VCPU_RUNNABLE);
		CHECK_EQ(fx.v.cpu.cs, i ? 0xFFF9 : FLAT_RING1_DS);
		CHECK_EQ(fx.v.cpu.eip, HANDLER + 7 + i);
		CHECK_EQ(fx.v.cpu.ss, FLAT_RING1_SS);
		CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], k - 20);
		CHECK_EQ(rd32(k - 20), i ? 0 : 0x9002);
		CHECK_EQ(rd32(k - 4), FLAT_RING3_SS);
	}

	/* A null sysenter CS takes the #GP entry's; null too: crashed, with a reason. */
	fx.v.sysenter_cb = (struct pvmx_callback){ HANDLER, 0, false };
	fx.v.trap_ctxt[13] = (struct pvmx_trap_entry){ HANDLER, 0, 0 };
	fx.v.cpu.cs = FLAT_RING3_CS;
	CHECK_EQ(pvmx_fast_syscall(&fx.v, true, 2), PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.v.state, PVMX_VCPU_CRASHED);
	CHECK(strstr(fx.run.crash.reason, "sysenter") != NULL);
}

static void ring3_fault_switches_stack(void)
{
	fx.v.trap_ctxt[14] = (struct pvmx_trap_entry){ HANDLER, FLAT_RING1_CS, 4 };
	fx.v.cpu.kernel_ss = FLAT_RING1_SS;
	fx.v.cpu.kernel_sp = KSTACK_TOP;
	fx.v.cpu.cs = FLAT_RING3_CS;
	fx.v.cpu.ss = FLAT_RING3_SS;
	fx.v.cpu.gpr[PVMX_ESP] = 0x123450;
	fx.v.cpu.eip = 0x8000;
	*mask_byte() = 0;
	fx.vm.shared_info->vcpu_info[0].cr2 = 0xDEAD000;
	pvmx_deliver_exception(&fx.v, 14, true, 6);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], KSTACK_TOP - 24);
	CHECK_EQ(rd32(KSTACK_TOP - 24), 6);
	CHECK_EQ(rd32(KSTACK_TOP - 20), 0x8000);
	CHECK_EQ(rd32(KSTACK_TOP - 16), FLAT_RING3_CS);
	CHECK_EQ(rd32(KSTACK_TOP - 12), 0x202);
	CHECK_EQ(rd32(KSTACK_TOP - 8), 0x123450);
	CHECK_EQ(rd32(KSTACK_TOP - 4), FLAT_RING3_SS);
	CHECK_EQ(fx.v.cpu.ss, FLAT_RING1_SS);
	CHECK_EQ(fx.v.cpu.cs, FLAT_RING1_CS);
	CHECK_EQ(*mask_byte(), 1);
}

static void software_interrupts_follow_xen(void)
{
	fx.v.trap_ctxt[13] = (struct pvmx_trap_entry){ HANDLER + 13, FLAT_RING1_CS, 0 };
	fx.v.trap_ctxt[0x40] = (struct pvmx_trap_entry){ HANDLER + 0x40, FLAT_RING1_CS, 1 };
	fx.v.trap_ctxt[0x41] = (struct pvmx_trap_entry){ HANDLER + 0x41, FLAT_RING1_CS, 0 };
	fx.v.trap_ctxt[0x80] = (struct pvmx_trap_entry){ HANDLER + 0x80, FLAT_RING1_CS, 0 };
	fx.v.cpu.kernel_ss = FLAT_RING1_SS;
	fx.v.cpu.kernel_sp = KSTACK_TOP;

	/* DPL 1 allows ring 1: EIP moves past `int $0x40`, no error code. */
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
	fx.v.cpu.eip = 0x6000;
	pvmx_software_interrupt(&fx.v, 0x40, 2);
	CHECK_EQ(fx.v.cpu.eip, HANDLER + 0x40);
	CHECK_EQ(rd32(STACK_TOP - 12), 0x6002);

	/* DPL 0 refuses ring 1: #GP with (n << 3) | 2, EIP stays on the int. */
	fx.v.cpu.cs = FLAT_RING1_CS;
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
	fx.v.cpu.eip = 0x6000;
	pvmx_software_interrupt(&fx.v, 0x41, 2);
	CHECK_EQ(fx.v.cpu.eip, HANDLER + 13);
	CHECK_EQ(rd32(STACK_TOP - 16), (0x41 << 3) | 2);
	CHECK_EQ(rd32(STACK_TOP - 12), 0x6000);

	/* DPL 1 refuses ring 3. */
	fx.v.cpu.cs = FLAT_RING3_CS;
	fx.v.cpu.ss = FLAT_RING3_SS;
	fx.v.cpu.gpr[PVMX_ESP] = 0x100000;
	fx.v.cpu.eip = 0x7000;
	pvmx_software_interrupt(&fx.v, 0x40, 2);
	CHECK_EQ(fx.v.cpu.eip, HANDLER + 13);
	CHECK_EQ(rd32(KSTACK_TOP - 24), (0x40 << 3) | 2);

	/* int $0x80 with a handler: no DPL check. */
	fx.v.cpu.cs = FLAT_RING3_CS;
	fx.v.cpu.ss = FLAT_RING3_SS;
	fx.v.cpu.gpr[PVMX_ESP] = 0x100000;
	fx.v.cpu.eip = 0x7000;
	pvmx_software_interrupt(&fx.v, 0x80, 2);
	CHECK_EQ(fx.v.cpu.eip, HANDLER + 0x80);
	CHECK_EQ(rd32(KSTACK_TOP - 20), 0x7002);
}

static void no_handler_crashes_with_reason(void)
{
	fx.v.cpu.eip = 0x4321;
	fx.vm.shared_info->vcpu_info[0].cr2 = 0x40000000;
	CHECK_EQ(pvmx_deliver_exception(&fx.v, 14, true, 2), PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.run.exit_reason, PVMX_EXIT_CRASH);
	CHECK_EQ(fx.run.crash.vector, 14);
	CHECK_EQ(fx.run.crash.address, 0x40000000);
	CHECK(strstr(fx.run.crash.reason, "#PF page fault at address 0x40000000"));
	CHECK(strstr(fx.run.crash.reason, "no trap handler registered"));
	CHECK(strstr(fx.run.crash.reason, "e019:00004321"));
}

static void unwritable_stack_uses_failsafe_or_crashes(void)
{
	fx.v.trap_ctxt[6] = (struct pvmx_trap_entry){ HANDLER, FLAT_RING1_CS, 0 };
	fx.v.cpu.gpr[PVMX_ESP] = FX_RO_VA + 0x100;	/* read-only stack */
	CHECK_EQ(pvmx_deliver_exception(&fx.v, 6, false, 0), PVMX_EXIT_TO_USER);
	CHECK(strstr(fx.run.crash.reason, "cannot write the frame for #UD"));
	CHECK(strstr(fx.run.crash.reason, "no usable failsafe callback"));

	fixture_teardown();
	fixture_setup();
	fx.v.trap_ctxt[6] = (struct pvmx_trap_entry){ HANDLER, FLAT_RING1_CS, 0 };
	fx.v.failsafe_cb = (struct pvmx_callback){ HANDLER + 0x100, FLAT_RING1_CS, false };
	fx.v.cpu.gpr[PVMX_ESP] = FX_RO_VA + 0x100;
	CHECK_EQ(pvmx_deliver_exception(&fx.v, 6, false, 0), PVMX_EXIT_TO_USER);
	CHECK(strstr(fx.run.crash.reason, "failsafe frame did not fit either"));
}

static void iret_restores_context(void)
{
	/* Ring 1: eax, eip, cs, eflags. */
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP - 16;
	wr32(STACK_TOP - 16, 0xAAAA5555);
	wr32(STACK_TOP - 12, 0x9000);
	wr32(STACK_TOP - 8, FLAT_RING1_CS | (1 << 16));	/* saved-mask bits ignored */
	wr32(STACK_TOP - 4, 0x3046);			/* IOPL 3, IF clear */
	*mask_byte() = 0;
	fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0xAAAA5555);
	CHECK_EQ(fx.v.cpu.eip, 0x9000);
	CHECK_EQ(fx.v.cpu.cs, FLAT_RING1_CS);
	CHECK_EQ(fx.v.cpu.eflags, 0x246);			/* IOPL cleared, real IF on */
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], STACK_TOP);
	CHECK_EQ(*mask_byte(), 1);				/* popped IF was 0 */

	/* Ring 3: also esp, ss; DPL-1 data segments dropped. */
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP - 24;
	wr32(STACK_TOP - 24, 7);
	wr32(STACK_TOP - 20, 0xA000);
	wr32(STACK_TOP - 16, FLAT_RING3_CS);
	wr32(STACK_TOP - 12, 0x202);
	wr32(STACK_TOP - 8, 0xB0000);
	wr32(STACK_TOP - 4, FLAT_RING3_SS);
	fx.data_segs[0] = FLAT_RING1_DS;
	fx.data_segs[1] = FLAT_RING3_DS;
	fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), 7);
	CHECK_EQ(fx.v.cpu.cs, FLAT_RING3_CS);
	CHECK_EQ(fx.v.cpu.ss, FLAT_RING3_SS);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], 0xB0000);
	CHECK_EQ(*mask_byte(), 0);
	CHECK_EQ(fx.data_segs[0], 0);
	CHECK_EQ(fx.data_segs[1], FLAT_RING3_DS);
}

static void iret_bad_frames(void)
{
	/* Unloadable CS: the failsafe callback gets the popped context and DS..GS. */
	fx.v.failsafe_cb = (struct pvmx_callback){ HANDLER, FLAT_RING1_CS, true };
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP - 16;
	wr32(STACK_TOP - 16, 0);
	wr32(STACK_TOP - 12, 0x9000);
	wr32(STACK_TOP - 8, 0x0069);			/* RPL 1, no such descriptor */
	wr32(STACK_TOP - 4, 0x202);
	*mask_byte() = 0;
	CHECK_EQ(fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0), PVMX_RESUME);
	CHECK_EQ(fx.v.cpu.eip, HANDLER);
	CHECK_EQ(fx.v.cpu.cs, FLAT_RING1_CS);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], STACK_TOP - 28);
	CHECK_EQ(rd32(STACK_TOP - 28), FLAT_RING1_DS);	/* DS */
	CHECK_EQ(rd32(STACK_TOP - 16), FLAT_RING1_DS);	/* GS */
	CHECK_EQ(rd32(STACK_TOP - 12), 0x9000);		/* EIP */
	CHECK_EQ(rd32(STACK_TOP - 8), 0x0069);		/* CS */
	CHECK_EQ(*mask_byte(), 1);

	/* Ring 0 is never returned to. */
	fx.v.cpu.cs = FLAT_RING1_CS;
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP - 16;
	wr32(STACK_TOP - 8, 0xE018);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0), PVMX_EXIT_TO_USER);
	CHECK(strstr(fx.run.crash.reason, "iret to ring 0"));
}

/*
 * iret with EFLAGS.VM: compat Xen's #GP "on the first VM86 instruction"
 * (pv/iret.c): the nine VM86 words move under an error code of 0 to
 * kernel_sp - 40, the #GP handler runs there with EAX restored, the frame's
 * EFLAGS without VM/RF/NT/TF, and the mask from the frame's IF.
 */
static void iret_vm86_moves_frame_to_gp_handler(void)
{
	static const u32 vm86[10] = { 0xEAEAEAEA, 0x1234, 0x5678, 0x00037102,
				      0x9ABC, 0xDEF0, 0x11, 0x22, 0x33, 0x44 };
	u32 i;

	fx.v.trap_ctxt[13] = (struct pvmx_trap_entry){ HANDLER, FLAT_RING1_CS, 0 };
	fx.v.cpu.kernel_ss = FLAT_RING1_SS;
	fx.v.cpu.kernel_sp = KSTACK_TOP;
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP - 40;
	for (i = 0; i < 10; i++)
		wr32(STACK_TOP - 40 + 4 * i, vm86[i]);
	*mask_byte() = 1;
	CHECK_EQ(fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0), PVMX_RESUME);
	CHECK_EQ(fx_eax(), 0xEAEAEAEA);
	CHECK_EQ(fx.v.cpu.eip, HANDLER);
	CHECK_EQ(fx.v.cpu.cs, FLAT_RING1_CS);
	CHECK_EQ(fx.v.cpu.ss, FLAT_RING1_SS);
	CHECK_EQ(fx.v.cpu.gpr[PVMX_ESP], KSTACK_TOP - 40);
	CHECK_EQ(rd32(KSTACK_TOP - 40), 0);			/* error code */
	for (i = 1; i < 10; i++)
		CHECK_EQ(rd32(KSTACK_TOP - 40 + 4 * i), vm86[i]);	/* verbatim */
	/* IOPL dropped, VM RF NT TF cleared, IF on. */
	CHECK_EQ(fx.v.cpu.eflags, 0x00000202);
	CHECK_EQ(*mask_byte(), 1);	/* the frame's IF was clear */

	/* IF set in the frame unmasks, unless the #GP handler masks events. */
	wr32(STACK_TOP - 40 + 12, 0x00020202);
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP - 40;
	CHECK_EQ(fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0), PVMX_RESUME);
	CHECK_EQ(*mask_byte(), 0);
	fx.v.trap_ctxt[13].flags = PVMX_TRAP_MASK_EVENTS;
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP - 40;
	CHECK_EQ(fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0), PVMX_RESUME);
	CHECK_EQ(*mask_byte(), 1);

	/* No #GP handler: the guest is crashed. */
	fx.v.trap_ctxt[13] = (struct pvmx_trap_entry){ 0 };
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP - 40;
	CHECK_EQ(fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0), PVMX_EXIT_TO_USER);
	CHECK(strstr(fx.run.crash.reason, "iret to VM86 mode (#GP), and no usable #GP handler"));
}

/* A stack_switch stack that cannot take the frame crashes the guest. */
static void iret_vm86_unwritable_kernel_stack_crashes(void)
{
	fx.v.trap_ctxt[13] = (struct pvmx_trap_entry){ HANDLER, FLAT_RING1_CS, 0 };
	fx.v.cpu.kernel_ss = FLAT_RING1_SS;
	fx.v.cpu.kernel_sp = FX_RO_VA + 0x100;
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP - 40;
	wr32(STACK_TOP - 40 + 12, 0x00020202);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0), PVMX_EXIT_TO_USER);
	CHECK(strstr(fx.run.crash.reason, "iret to VM86 mode: cannot move the frame"));
}

static void iret_unreadable_frame_crashes(void)
{
	fx.v.cpu.gpr[PVMX_ESP] = FX_UNMAPPED_VA;
	CHECK_EQ(fx_hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0), PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.v.state, PVMX_VCPU_CRASHED);
	CHECK(strstr(fx.run.crash.reason, "iret: cannot read the frame"));
}

static void callbacks_register_as_compat_xen(void)
{
	u32 reg = TABLE_VA;

	fx_hypercall(__HYPERVISOR_set_callbacks, 0xE018, 0x1111, FLAT_RING1_CS, 0x2222, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.event_cb.cs, 0xE019);
	CHECK_EQ(fx.v.event_cb.eip, 0x1111);
	CHECK(fx.v.event_cb.mask_events);
	CHECK_EQ(fx.v.failsafe_cb.eip, 0x2222);
	CHECK(!fx.v.failsafe_cb.mask_events);

	/* {u16 type, u16 flags, u32 cs, u32 eip} */
	memcpy(fx_gpa(reg), &(u16){ 1 }, 2);
	memcpy(fx_gpa(reg + 2), &(u16){ 1 }, 2);
	wr32(reg + 4, FLAT_RING1_CS);
	wr32(reg + 8, 0x3333);
	fx_hypercall(__HYPERVISOR_callback_op, 0, reg, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK(fx.v.failsafe_cb.mask_events);
	memcpy(fx_gpa(reg), &(u16){ 7 }, 2);
	fx_hypercall(__HYPERVISOR_callback_op, 0, reg, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.syscall32_cb.eip, 0x3333);
	memcpy(fx_gpa(reg), &(u16){ 5 }, 2);
	fx_hypercall(__HYPERVISOR_callback_op, 0, reg, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	memcpy(fx_gpa(reg), &(u16){ 4 }, 2);
	fx_hypercall(__HYPERVISOR_callback_op, 0, reg, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.trap_ctxt[2].address, 0x3333);
	CHECK_EQ(fx.v.trap_ctxt[2].flags, 4);
	memcpy(fx_gpa(reg), &(u16){ 2 }, 2);
	fx_hypercall(__HYPERVISOR_callback_op, 0, reg, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOSYS));
	memcpy(fx_gpa(reg), &(u16){ 3 }, 2);
	fx_hypercall(__HYPERVISOR_callback_op, 0, reg, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOSYS));

	/* Unregister: event -EINVAL, nmi 0, unknown -ENOSYS. */
	memcpy(fx_gpa(reg), &(u16){ 0 }, 2);
	fx_hypercall(__HYPERVISOR_callback_op, 1, reg, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	memcpy(fx_gpa(reg), &(u16){ 4 }, 2);
	fx_hypercall(__HYPERVISOR_callback_op, 1, reg, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.trap_ctxt[2].address, 0);
	memcpy(fx_gpa(reg), &(u16){ 9 }, 2);
	fx_hypercall(__HYPERVISOR_callback_op, 1, reg, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOSYS));
	fx_hypercall(__HYPERVISOR_callback_op, 2, reg, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
	fx_hypercall(__HYPERVISOR_callback_op, 0, FX_UNMAPPED_VA, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
}

static void stack_switch_and_fpu_taskswitch(void)
{
	fx_hypercall(__HYPERVISOR_stack_switch, 0xE020, 0x5000, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.cpu.kernel_ss, 0xE021);
	CHECK_EQ(fx.v.cpu.kernel_sp, 0x5000);
	fx_hypercall(__HYPERVISOR_fpu_taskswitch, 1, 0, 0, 0, 0);
	CHECK(fx.hw_ts);
	CHECK(fx.v.fpu_ts);
	/* #NM delivery clears the virtual TS. */
	fx.v.trap_ctxt[7] = (struct pvmx_trap_entry){ HANDLER, FLAT_RING1_CS, 0 };
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP;
	pvmx_deliver_exception(&fx.v, 7, false, 0);
	CHECK(!fx.hw_ts);
	CHECK(!fx.v.fpu_ts);
	fx_hypercall(__HYPERVISOR_fpu_taskswitch, 0, 0, 0, 0, 0);
	CHECK(!fx.hw_ts);
}

/* ---- multicall ---------------------------------------------------------- */

static void put_entry(unsigned int i, u32 op, u32 a0, u32 a1, u32 a2)
{
	u32 e[8] = { op, 0xFFFFFFFF, a0, a1, a2, 0, 0, 0 };

	memcpy(fx_gpa(LIST_VA + i * 32), e, sizeof(e));
}

static u32 result(unsigned int i)
{
	return rd32(LIST_VA + i * 32 + 4);
}

static void multicall_results_and_errors(void)
{
	put_entry(0, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	put_entry(1, 60, 0, 0, 0);
	put_entry(2, __HYPERVISOR_multicall, LIST_VA, 1, 0);
	put_entry(3, __HYPERVISOR_xen_version, XENVER_pagesize, 0, 0);
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, 4, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.cpu.eip, 0x1002);
	CHECK_EQ(result(0), (4u << 16) | 19);
	CHECK_EQ(result(1), XEN_ERR(XEN_ENOSYS));
	CHECK_EQ(result(2), XEN_ERR(XEN_EINVAL));	/* nested */
	CHECK_EQ(result(3), 4096);
	/* Only result is written: the op and args stay. */
	CHECK_EQ(rd32(LIST_VA + 32), 60);
	fx_hypercall(__HYPERVISOR_multicall, FX_UNMAPPED_VA, 2, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
	fx_hypercall(__HYPERVISOR_multicall, FX_RO_VA, 1, 0, 0, 0);	/* result unwritable */
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
}

static void multicall_iret_ends_batch(void)
{
	fx.v.cpu.gpr[PVMX_ESP] = STACK_TOP - 16;
	wr32(STACK_TOP - 16, 0x1234);
	wr32(STACK_TOP - 12, 0x9000);
	wr32(STACK_TOP - 8, FLAT_RING1_CS);
	wr32(STACK_TOP - 4, 0x202);
	put_entry(0, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	put_entry(1, __HYPERVISOR_iret, 0, 0, 0);
	put_entry(2, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, 3, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0x1234);
	CHECK_EQ(fx.v.cpu.eip, 0x9000);
	CHECK_EQ(result(1), 0x1234);
	CHECK_EQ(result(2), 0xFFFFFFFF);		/* never ran */
}

/* Drives the guest side: re-issue the trap while EIP stays on it. */
static unsigned int run_to_completion(char *out, unsigned int *len, unsigned int max_rounds)
{
	unsigned int rounds = 1;

	for (;;) {
		if (fx.run.exit_reason == PVMX_EXIT_CONSOLE) {
			memcpy(out + *len, fx.run.console.data, fx.run.console.len);
			*len += fx.run.console.len;
		}
		if (fx.v.cpu.eip != 0x1000 || rounds > max_rounds)
			return rounds;
		fx.run.exit_reason = PVMX_EXIT_NONE;
		pvmx_hypercall(&fx.v, 2);
		rounds++;
	}
}

static void multicall_preempted_runs_each_entry_once(void)
{
	static char out[4000];
	unsigned int i, len = 0, n = 1500, rounds;

	/* Each entry prints its own character: the output proves exactly-once. */
	for (i = 0; i < n; i++) {
		fx_gpa(0x260000)[i] = 'A' + i % 26;
		put_entry(i, __HYPERVISOR_console_io, CONSOLEIO_write, 1, 0x260000 + i);
	}
	for (i = 0; i < n; i++)
		put_entry(n + i, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	fx.preempt_every = 7;
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, 2 * n, 0, 0, 0);
	rounds = run_to_completion(out, &len, 100000);
	CHECK_EQ(len, n);
	for (i = 0; i < n; i++)
		if (out[i] != (char)fx_gpa(0x260000)[i]) {
			printf("#   first difference at %u: '%c' vs '%c'\n", i, out[i],
			       fx_gpa(0x260000)[i]);
			CHECK(0);
			break;
		}
	CHECK(rounds > n);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.cpu.eip, 0x1002);
	for (i = 0; i < 2 * n; i++)
		if (result(i) != (i < n ? 0 : (4u << 16) | 19)) {
			CHECK_EQ(result(i), i < n ? 0 : (4u << 16) | 19);
			break;
		}
}

static void multicall_entry_continuation_is_written_back(void)
{
	static char out[6000];
	unsigned int i, len = 0;

	for (i = 0; i < 5000; i++)
		fx_gpa(0x260000)[i] = '0' + i % 10;
	put_entry(0, __HYPERVISOR_console_io, CONSOLEIO_write, 5000, 0x260000);
	put_entry(1, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, 2, 0, 0, 0);
	/* After the first chunk the entry in the list carries the rest. */
	CHECK_EQ(rd32(LIST_VA + 12), 5000 - PVMX_CONSOLE_MAX);
	CHECK_EQ(rd32(LIST_VA + 16), 0x260000 + PVMX_CONSOLE_MAX);
	run_to_completion(out, &len, 10);
	CHECK_EQ(len, 5000);
	CHECK(!memcmp(out, fx_gpa(0x260000), 5000));
	CHECK_EQ(result(0), 0);
	CHECK_EQ(result(1), (4u << 16) | 19);
	CHECK_EQ(fx_eax(), 0);
}

/* An entry that remaps the list's own page: later entries come from the new page. */
static void multicall_sees_its_own_remap(void)
{
	u32 other = 0x300;	/* frame 0x300 becomes the list page */

	put_entry(0, __HYPERVISOR_update_va_mapping, LIST_VA, (other << 12) | 0x67, 0);
	put_entry(1, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
	/* The same slot in the other frame says something else. */
	memcpy(fx_gpa((other << 12) + 32), (u32[8]){ __HYPERVISOR_xen_version, 0xFFFFFFFF,
		XENVER_pagesize, 0, 0, 0, 0, 0 }, 32);
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, 2, 0, 0, 0);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(rd32((other << 12) + 32 + 4), 4096);	/* ran the new entry 1 */
	CHECK_EQ(rd32(LIST_VA + 32 + 4), 0xFFFFFFFF);	/* old page untouched */
}

const struct unit_test trap_tests[] = {
	UNIT_TEST(multicall_sees_its_own_remap),
	UNIT_TEST(trap_table_merges_and_clears),
	UNIT_TEST(trap_table_long_table_continues),
	UNIT_TEST(ring1_fault_frame),
	UNIT_TEST(ring3_fault_switches_stack),
	UNIT_TEST(sysenter_and_syscall_callbacks),
	UNIT_TEST(software_interrupts_follow_xen),
	UNIT_TEST(no_handler_crashes_with_reason),
	UNIT_TEST(unwritable_stack_uses_failsafe_or_crashes),
	UNIT_TEST(iret_restores_context),
	UNIT_TEST(iret_bad_frames),
	UNIT_TEST(iret_unreadable_frame_crashes),
	UNIT_TEST(iret_vm86_moves_frame_to_gp_handler),
	UNIT_TEST(iret_vm86_unwritable_kernel_stack_crashes),
	UNIT_TEST(callbacks_register_as_compat_xen),
	UNIT_TEST(stack_switch_and_fpu_taskswitch),
	UNIT_TEST(multicall_results_and_errors),
	UNIT_TEST(multicall_iret_ends_batch),
	UNIT_TEST(multicall_preempted_runs_each_entry_once),
	UNIT_TEST(multicall_entry_continuation_is_written_back),
	{ NULL, NULL },
};
