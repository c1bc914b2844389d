// SPDX-License-Identifier: GPL-2.0
/*
 * set_callbacks (4), callback_op (30) and fpu_taskswitch (5)
 * (Documentation/guest-abi.rst "Traps and callbacks"): the event callback
 * registered with an RPL-0 selector runs in ring 1 (RPL raised), every callback
 * type's answer on register and unregister, unknown commands, bad pointers;
 * fpu_taskswitch(1) makes the next FPU instruction #NM (once: delivering it
 * clears the virtual TS), fpu_taskswitch(0) does not.
 */
#include "runtime.h"

void do_fpu(void);
extern u8 fpu_insn[];
asm(".text\n"
    "do_fpu:\n"
    "fpu_insn: fninit\n"
    "	fld1\n"
    "	fstp %st(0)\n"
    "	ret\n");

static u32 ipi_port;

static void ev_hook(u32 *frame)
{
	(void)frame;
	vcpu0->evtchn_upcall_pending = 0;
	vcpu0->evtchn_pending_sel = 0;
	clear_bit(shared_info->evtchn_pending, ipi_port);
}

static long reg(u16 type, u16 flags, u32 cs, void *eip)
{
	struct xen_callback_register r = { type, flags, cs, (u32)eip };

	return callback_op(CALLBACKOP_register, &r);
}

static long unreg(u16 type)
{
	struct xen_callback_unregister u = { type, 0 };

	return callback_op(CALLBACKOP_unregister, &u);
}

void test_main(void)
{
	static struct xen_trap_info nm[] = {
		{ 7, 0, FLAT_RING1_CS, (u32)trap_stub_7 }, { 0, 0, 0, 0 }
	};
	struct evtchn_bind_ipi ipi = { 0, 0 };
	const volatile struct trap_record *r;
	u32 before;

	test_plan(28);
	CHECK(map_shared_info(), "map_shared_info");

	/* set_callbacks with RPL-0 selectors; delivery shows ring 1. */
	CHECK_EQ(set_callbacks(FLAT_RING1_CS & ~3, event_stub, FLAT_RING1_CS & ~3, event_stub), 0,
		 "set_callbacks_returns_0");
	event_hook = ev_hook;
	CHECK_EQ(evtchn_op(EVTCHNOP_bind_ipi, &ipi), 0, "bind_ipi");
	ipi_port = ipi.port;
	before = trap_count;
	set_upcall_mask(0);
	CHECK_EQ(evtchn_simple(EVTCHNOP_send, ipi_port), 0, "send_ipi");
	set_upcall_mask(1);
	r = last_trap();
	CHECK(trap_count == before + 1 && r->vector == 0x100, "event_callback_ran_once");
	CHECK(check_word("handler CS", r->handler_cs, FLAT_RING1_CS) &&
	      check_word("frame CS word", r->w[1], FLAT_RING1_CS),
	      "event_callback_rpl0_selector_raised_to_1");

	CHECK_EQ(reg(CALLBACKTYPE_event, 0, FLAT_RING1_CS, event_stub), 0, "register_event");
	CHECK_EQ(reg(CALLBACKTYPE_failsafe, CALLBACKF_mask_events, FLAT_RING1_CS, event_stub), 0,
		 "register_failsafe_mask_events");
	CHECK_EQ(reg(CALLBACKTYPE_syscall32, 0, FLAT_RING1_CS, event_stub), 0, "register_syscall32_0");
	CHECK_EQ(reg(CALLBACKTYPE_sysenter, 0, FLAT_RING1_CS, event_stub), 0, "register_sysenter_0");
	CHECK_EQ(reg(CALLBACKTYPE_syscall, 0, FLAT_RING1_CS, event_stub), -XEN_ENOSYS,
		 "register_syscall_enosys");
	CHECK_EQ(reg(CALLBACKTYPE_sysenter_deprecated, 0, FLAT_RING1_CS, event_stub), -XEN_ENOSYS,
		 "register_sysenter_deprecated_enosys");
	CHECK_EQ(reg(CALLBACKTYPE_nmi, 0, FLAT_RING1_CS, event_stub), 0, "register_nmi_0");
	CHECK_EQ(unreg(CALLBACKTYPE_event), -XEN_EINVAL, "unregister_event_einval");
	CHECK_EQ(unreg(CALLBACKTYPE_failsafe), -XEN_EINVAL, "unregister_failsafe_einval");
	CHECK_EQ(unreg(CALLBACKTYPE_syscall32), -XEN_EINVAL, "unregister_syscall32_einval");
	CHECK_EQ(unreg(CALLBACKTYPE_sysenter), -XEN_EINVAL, "unregister_sysenter_einval");
	CHECK_EQ(unreg(CALLBACKTYPE_nmi), 0, "unregister_nmi_0");
	CHECK_EQ(unreg(9), -XEN_ENOSYS, "unregister_unknown_type_enosys");
	CHECK_EQ(callback_op(5, NULL), -XEN_EINVAL, "unknown_cmd_einval");
	CHECK_EQ(callback_op(CALLBACKOP_register, (void *)0x40000000), -XEN_EFAULT,
		 "register_bad_pointer_efault");
	CHECK_EQ(callback_op(CALLBACKOP_unregister, (void *)0x40000000), -XEN_EFAULT,
		 "unregister_bad_pointer_efault");

	/* fpu_taskswitch */
	CHECK_EQ(set_trap_table(nm), 0, "set_trap_table_nm");
	CHECK_EQ(fpu_taskswitch(1), 0, "fpu_taskswitch_1_returns_0");
	before = trap_count;
	do_fpu();
	r = last_trap();
	CHECK(trap_count == before + 1 && r->vector == 7 &&
	      check_word("#NM frame EIP", r->w[0], (u32)fpu_insn) &&
	      check_word("#NM frame CS", r->w[1], FLAT_RING1_CS | (1u << 16)),
	      "fpu_after_ts_one_nm_at_the_instruction");
	before = trap_count;
	do_fpu();
	CHECK_EQ(trap_count - before, 0, "nm_cleared_virtual_ts_no_second_nm");
	fpu_taskswitch(1);
	CHECK_EQ(fpu_taskswitch(0), 0, "fpu_taskswitch_0");
	before = trap_count;
	do_fpu();
	test_check(trap_count == before, "fpu_taskswitch_0_no_nm");
	event_hook = NULL;
}
