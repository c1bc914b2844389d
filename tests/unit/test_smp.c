// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of SMP guests: vcpu_op initialise/up/down/is_up with
 * Xen's checks and errnos (xen/common/domain.c do_vcpu_op), events across vCPUs, the
 * end of the VM from any vCPU, and the VM lock around the entry points.
 * The fixture has vCPU 0; these tests add vCPU 1 (down, uninitialised).
 */
#include "harness.h"
#include "fixture.h"
#include "unit_tests.h"

#define XEN_ERR(e)	((u32)-(e))
#define CTX		0x20000u	/* vcpu_guest_context of the tests */
#define ARG		0x210000u
#define AP_EIP		0x00012340u
#define AP_ESP		0x00280000u
#define AP_KSP		0x00270000u

static struct pvmx_vcpu_core v1;
static struct pvmx_run run1;
static void add_vcpu1(void)
{
	fx_add_vcpu(&v1, &run1, 1);
	memset(&fx.context, 0, sizeof(fx.context));
}

static struct xen_vcpu_guest_context *ctx(void)
{
	return (struct xen_vcpu_guest_context *)fx_gpa(CTX);
}

/* What Linux's cpu_initialize_context() gives an AP. */
static void good_context(void)
{
	struct xen_vcpu_guest_context *c = ctx();

	memset(c, 0, sizeof(*c));
	c->flags = VGCF_in_kernel;
	c->user_regs.eip = AP_EIP;
	c->user_regs.esp = AP_ESP;
	c->user_regs.cs = FLAT_RING1_CS;
	c->user_regs.ss = FLAT_RING1_SS;
	c->user_regs.ds = FLAT_RING1_DS;
	c->user_regs.es = FLAT_RING1_DS;
	c->user_regs.eflags = 0x1000 | 0x2;	/* IOPL 1: virtualised away */
	c->user_regs.eax = 0x11;
	c->user_regs.esi = 0x22;
	c->kernel_ss = FLAT_RING1_SS;
	c->kernel_sp = AP_KSP;
	c->event_callback_cs = FLAT_RING1_CS;
	c->event_callback_eip = 0x5000;
	c->failsafe_callback_cs = FLAT_RING1_CS & ~3u;	/* RPL 0: fixed up to 1 */
	c->failsafe_callback_eip = 0x6000;
	c->trap_ctxt[14] = (struct xen_trap_info){ .vector = 14, .flags = 4,
						    .cs = FLAT_RING1_CS, .address = 0x7000 };
	c->trap_ctxt[0x80] = (struct xen_trap_info){ .vector = 0x80, .flags = 3,
						      .cs = FLAT_RING1_CS, .address = 0x8000 };
	c->ctrlreg[3] = XEN_PFN_TO_CR3(FX_L3_GPA >> 12);
	c->fpu_ctxt[0] = 0x7f;
}

static u32 vcpu_op(u32 cmd, u32 id, u32 arg)
{
	fx_hypercall(__HYPERVISOR_vcpu_op, cmd, id, arg, 0, 0);
	return fx_eax();
}

static void vcpu_op_names_only_existing_vcpus(void)
{
	add_vcpu1();
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 0, 0), 1);
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 1, 0), 0);
	/* Xen's domain_vcpu(): an id with no vCPU, or past the maximum. */
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 2, 0), XEN_ERR(XEN_ENOENT));
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 2, CTX), XEN_ERR(XEN_ENOENT));
	CHECK_EQ(vcpu_op(VCPUOP_up, 31, 0), XEN_ERR(XEN_ENOENT));
	CHECK_EQ(vcpu_op(VCPUOP_up, 32, 0), XEN_ERR(XEN_ENOENT));
	CHECK_EQ(vcpu_op(VCPUOP_down, 0xFFFFFFFFu, 0), XEN_ERR(XEN_ENOENT));
	CHECK_EQ(v1.runstate.state, RUNSTATE_offline);
	/* Up before it has a context: Xen's -EINVAL. */
	CHECK_EQ(vcpu_op(VCPUOP_up, 1, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 1, 0), 0);
	CHECK(!spin_is_locked(&fx.vm.lock));
}

static void initialise_loads_the_context(void)
{
	int kicks;

	add_vcpu1();
	good_context();
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, CTX), 0);
	CHECK(v1.initialised);
	CHECK(!v1.up);
	CHECK_EQ(v1.cpu.eip, AP_EIP);
	CHECK_EQ(v1.cpu.gpr[PVMX_ESP], AP_ESP);
	CHECK_EQ(v1.cpu.gpr[PVMX_EAX], 0x11);
	CHECK_EQ(v1.cpu.gpr[PVMX_ESI], 0x22);
	CHECK_EQ(v1.cpu.eflags, 0x202);
	CHECK_EQ(v1.cpu.cs, FLAT_RING1_CS);
	CHECK_EQ(v1.cpu.ss, FLAT_RING1_SS);
	CHECK_EQ(v1.cpu.kernel_ss, FLAT_RING1_SS);
	CHECK_EQ(v1.cpu.kernel_sp, AP_KSP);
	CHECK_EQ(v1.cpu.cr3, FX_L3_GPA);
	CHECK_EQ(v1.cpu.pdpte[3], fx.v.cpu.pdpte[3]);
	CHECK_EQ(v1.event_cb.eip, 0x5000);
	CHECK(v1.event_cb.mask_events);
	CHECK_EQ(v1.failsafe_cb.cs, FLAT_RING1_CS);
	CHECK_EQ(v1.failsafe_cb.eip, 0x6000);
	CHECK_EQ(v1.trap_ctxt[14].address, 0x7000);
	CHECK_EQ(v1.trap_ctxt[14].flags, 4);
	CHECK_EQ(v1.trap_ctxt[0x80].address, 0x8000);
	CHECK_EQ(v1.trap_ctxt[0x80].flags, 3);
	/* The arch got the selectors, and no FPU image without VGCF_i387_valid. */
	CHECK_EQ(fx.context.loads, 1);
	CHECK_EQ(fx.context.sregs[0], FLAT_RING1_DS);
	CHECK_EQ(fx.context.sregs[1], FLAT_RING1_CS);
	CHECK_EQ(fx.context.sregs[2], FLAT_RING1_SS);
	CHECK_EQ(fx.context.sregs[4], 0);
	CHECK(!fx.context.fpu);
	/* vCPU 0 is untouched. */
	CHECK_EQ(fx.v.trap_ctxt[14].address, 0);

	/* Twice: Xen's -EEXIST, nothing changed. */
	ctx()->user_regs.eip = 0x999;
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, CTX), XEN_ERR(XEN_EEXIST));
	CHECK_EQ(v1.cpu.eip, AP_EIP);
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 0, CTX), XEN_ERR(XEN_EEXIST));

	kicks = fx.kicks;
	CHECK_EQ(vcpu_op(VCPUOP_up, 1, 0), 0);
	CHECK(v1.up);
	CHECK(fx.kicks > kicks);
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 1, 0), 1);
	CHECK_EQ(vcpu_op(VCPUOP_up, 1, 0), 0);	/* already up: 0 */
	CHECK(pvmx_vcpu_may_run(&v1));
}

static void initialise_online_and_fpu(void)
{
	add_vcpu1();
	good_context();
	ctx()->flags |= VGCF_online | VGCF_i387_valid | VGCF_failsafe_disables_events;
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, CTX), 0);
	CHECK(v1.up);
	CHECK(fx.context.fpu);
	CHECK_EQ(fx.context.fpu_first, 0x7f);
	CHECK(v1.failsafe_cb.mask_events);
}

/* Each refused context: the error, and the vCPU still uninitialised. */
static void check_refused(u32 expect)
{
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, CTX), expect);
	CHECK(!v1.initialised);
	CHECK(!v1.up);
	CHECK_EQ(vcpu_op(VCPUOP_up, 1, 0), XEN_ERR(XEN_EINVAL));
	good_context();
}

static void initialise_refuses_bad_contexts(void)
{
	add_vcpu1();
	good_context();
	/* Not all of it readable: -EFAULT. */
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, FX_UNMAPPED_VA), XEN_ERR(XEN_EFAULT));
	/* The last bytes (vm_assist) past the end of the mapped 6 MiB. */
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, 0x600000 - 2796), XEN_ERR(XEN_EFAULT));
	CHECK(!v1.initialised);
	/* Xen's LDT checks. */
	ctx()->ldt_base = 0x1234;
	ctx()->ldt_ents = 1;
	check_refused(XEN_ERR(XEN_EINVAL));
	ctx()->ldt_ents = 8193;
	check_refused(XEN_ERR(XEN_EINVAL));
	/* set_gdt: more entries than the guest's part of the GDT. */
	ctx()->gdt_ents = XEN_FIRST_RESERVED_GDT_ENTRY + 1;
	check_refused(XEN_ERR(XEN_EINVAL));
	/* cr3 naming a frame that is not the guest's RAM. */
	ctx()->ctrlreg[3] = XEN_PFN_TO_CR3(FX_RAM_FRAMES + 5);
	check_refused(XEN_ERR(XEN_EINVAL));
	ctx()->ctrlreg[3] = 0;	/* frame 0: no L2 under slot 3 */
	check_refused(XEN_ERR(XEN_EINVAL));
	/* Still fine after all that. */
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, CTX), 0);
	CHECK(v1.initialised);
	CHECK(!spin_is_locked(&fx.vm.lock));
}

static void initialise_fixes_rpl0_selectors(void)
{
	add_vcpu1();
	good_context();
	ctx()->user_regs.cs = FLAT_RING1_CS & ~3u;
	ctx()->user_regs.ss = FLAT_RING1_SS & ~3u;
	ctx()->trap_ctxt[3].cs = FLAT_RING1_CS & ~3u;
	ctx()->trap_ctxt[3].address = 0x4444;
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, CTX), 0);
	CHECK_EQ(v1.cpu.cs, FLAT_RING1_CS);
	CHECK_EQ(v1.cpu.ss, FLAT_RING1_SS);
	CHECK_EQ(v1.trap_ctxt[3].cs, FLAT_RING1_CS);
}

/* XSA-296's context: only flags and cr3.  Xen takes it (RPLs fixed up). */
static void initialise_takes_a_zeroed_context(void)
{
	struct xen_vcpu_guest_context *c;

	add_vcpu1();
	c = ctx();
	memset(c, 0, sizeof(*c));
	c->flags = VGCF_in_kernel;
	c->ctrlreg[3] = XEN_PFN_TO_CR3(FX_L3_GPA >> 12);
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, CTX), 0);
	CHECK(v1.initialised);
	CHECK(!v1.up);
	CHECK_EQ(v1.cpu.cs, 1);
	CHECK_EQ(v1.cpu.ss, 1);
	CHECK_EQ(v1.event_cb.cs, 1);
	CHECK_EQ(v1.trap_ctxt[13].cs, 1);
	CHECK_EQ(v1.cpu.cr3, FX_L3_GPA);
	CHECK(v1.new_context);
	/* Brought up, it cannot run: crashed at its first entry, with the reason. */
	CHECK_EQ(vcpu_op(VCPUOP_up, 1, 0), 0);
	CHECK_EQ(pvmx_prepare_entry(&v1), PVMX_EXIT_TO_USER);
	CHECK_EQ(run1.exit_reason, PVMX_EXIT_CRASH);
	CHECK_EQ(run1.crash.kind, PVMX_CRASH_BAD_STATE);
	CHECK(strstr(run1.crash.reason, "cannot load (cs 0001 ss 0001)"));
	CHECK(!spin_is_locked(&fx.vm.lock));
}

/* Selectors are checked once, at the first entry, against the GDT of then. */
static void new_context_checked_at_first_entry(void)
{
	static const struct {
		u16 cs, ss, ds;
		bool ok;
	} cases[] = {
		{ FLAT_RING1_CS, FLAT_RING1_SS, FLAT_RING1_DS, true },
		{ 0x1234, FLAT_RING1_SS, FLAT_RING1_DS, false },	/* past the GDT */
		{ FLAT_RING1_CS, FLAT_RING1_CS, FLAT_RING1_DS, false },	/* code as stack */
		{ FLAT_RING1_CS, FLAT_RING3_SS, FLAT_RING1_DS, false },	/* rings differ */
		{ FLAT_RING1_CS, FLAT_RING1_SS, 0x4321, false },	/* data past the GDT */
		{ FLAT_RING1_CS, FLAT_RING1_SS, 0, true },		/* null data is fine */
		/* RPL 0 under DPL 1 loads at CPL 1 (Linux's AP FS = __KERNEL_PERCPU) */
		{ FLAT_RING1_CS, FLAT_RING1_SS, FLAT_RING1_DS & ~3, true },
		{ FLAT_RING1_CS, FLAT_RING1_SS, FLAT_RING3_DS, true },	/* DPL 3 */
		{ FLAT_RING1_CS, FLAT_RING1_SS, FLAT_RING1_CS, true },	/* readable code */
	};
	u32 i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		add_vcpu1();
		good_context();
		ctx()->flags |= VGCF_online;
		ctx()->user_regs.cs = cases[i].cs;
		ctx()->user_regs.ss = cases[i].ss;
		ctx()->user_regs.ds = cases[i].ds;
		CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, CTX), 0);
		CHECK(v1.up);
		fx.data_segs[0] = cases[i].ds;	/* what the arch loaded */
		CHECK_EQ(pvmx_prepare_entry(&v1),
			 cases[i].ok ? PVMX_RESUME : PVMX_EXIT_TO_USER);
		CHECK_EQ(run1.exit_reason, cases[i].ok ? 0 : PVMX_EXIT_CRASH);
		CHECK(!v1.new_context);
		/* Checked once: later entries do not look again. */
		if (cases[i].ok)
			CHECK_EQ(pvmx_prepare_entry(&v1), PVMX_RESUME);
		fx.data_segs[0] = FLAT_RING1_DS;
	}
}

static void down_and_up(void)
{
	struct pvmx_hcall hc;

	add_vcpu1();
	good_context();
	ctx()->flags |= VGCF_online;
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, CTX), 0);
	CHECK_EQ(pvmx_prepare_entry(&v1), PVMX_RESUME);

	/* vCPU 0 takes vCPU 1 down: it leaves the guest and waits. */
	CHECK_EQ(vcpu_op(VCPUOP_down, 1, 0), 0);
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 1, 0), 0);
	CHECK_EQ(pvmx_prepare_entry(&v1), PVMX_OFFLINE);
	CHECK(!pvmx_vcpu_may_run(&v1));
	CHECK_EQ(vcpu_op(VCPUOP_down, 1, 0), 0);	/* already down: 0 */
	CHECK_EQ(vcpu_op(VCPUOP_up, 1, 0), 0);
	CHECK_EQ(pvmx_prepare_entry(&v1), PVMX_RESUME);
	CHECK(pvmx_vcpu_may_run(&v1));

	/* vCPU 1 takes itself down: it waits after the call returns 0. */
	memset(&hc, 0, sizeof(hc));
	hc.op = __HYPERVISOR_vcpu_op;
	hc.arg[0] = VCPUOP_down;
	hc.arg[1] = 1;
	spin_lock(&fx.vm.lock);
	CHECK_EQ(pvmx_dispatch(&v1, &hc), 0);
	spin_unlock(&fx.vm.lock);
	CHECK_EQ(hc.action, PVMX_OFFLINE);
	CHECK(!v1.up);

	/* vCPU 0 alone going down: the VM powers off (Xen's domain_shutdown). */
	CHECK_EQ(fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_down, 0, 0, 0, 0), PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.run.exit_reason, PVMX_EXIT_SHUTDOWN);
	CHECK_EQ(fx.run.shutdown.reason, SHUTDOWN_poweroff);
	CHECK_EQ(fx.v.state, PVMX_VCPU_SHUTDOWN);
}

static void self_down_with_another_up(void)
{
	add_vcpu1();
	good_context();
	ctx()->flags |= VGCF_online;
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, CTX), 0);
	CHECK_EQ(fx_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_down, 0, 0, 0, 0), PVMX_OFFLINE);
	CHECK_EQ(fx_eax(), 0);
	CHECK_EQ(fx.v.cpu.eip, 0x1002);	/* resumes after the call */
	CHECK(!fx.v.up);
	CHECK_EQ(fx.v.state, PVMX_VCPU_RUNNABLE);
	/* vCPU 1 brings vCPU 0 back. */
	fx.vm.shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
	CHECK(!pvmx_vcpu_may_run(&fx.v));
	v1.cpu.gpr[PVMX_EAX] = __HYPERVISOR_vcpu_op;
	v1.cpu.gpr[PVMX_EBX] = VCPUOP_up;
	v1.cpu.gpr[PVMX_ECX] = 0;
	CHECK_EQ(pvmx_hypercall(&v1, 2), PVMX_RESUME);
	CHECK_EQ(v1.cpu.gpr[PVMX_EAX], 0);
	CHECK(pvmx_vcpu_may_run(&fx.v));
}

static u32 evtchn_on(struct pvmx_vcpu_core *v, u32 cmd, u32 arg)
{
	v->cpu.gpr[PVMX_EAX] = __HYPERVISOR_event_channel_op;
	v->cpu.gpr[PVMX_EBX] = cmd;
	v->cpu.gpr[PVMX_ECX] = arg;
	pvmx_hypercall(v, 2);
	return v->cpu.gpr[PVMX_EAX];
}

static void ipi_reaches_the_other_vcpu(void)
{
	struct xen_vcpu_info *vi1 = &fx.vm.shared_info->vcpu_info[1];
	u32 b[2] = { 1, 0 }, port;
	int kicks;

	add_vcpu1();
	good_context();
	ctx()->flags |= VGCF_online;
	ctx()->user_regs.esp = 0x290000;
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, CTX), 0);
	vi1->evtchn_upcall_mask = 0;

	/* vCPU 0 binds an IPI to vCPU 1 and sends it. */
	memcpy(fx_gpa(ARG), b, sizeof(b));
	CHECK_EQ(evtchn_on(&fx.v, EVTCHNOP_bind_ipi, ARG), 0);
	memcpy(&port, fx_gpa(ARG + 4), 4);
	CHECK(port > 0);
	memcpy(fx_gpa(ARG), &port, 4);
	kicks = fx.kicks;
	CHECK_EQ(evtchn_on(&fx.v, EVTCHNOP_send, ARG), 0);
	CHECK(fx.kicks > kicks);
	CHECK(vi1->evtchn_upcall_pending);
	CHECK(vi1->evtchn_pending_sel & (1u << (port / 32)));
	CHECK(!fx.vm.shared_info->vcpu_info[0].evtchn_upcall_pending);
	/* vCPU 1, at its next entry, enters its event callback. */
	CHECK_EQ(pvmx_prepare_entry(&v1), PVMX_RESUME);
	CHECK_EQ(v1.cpu.eip, 0x5000);
	CHECK_EQ(vi1->evtchn_upcall_mask, 1);

	/* A down vCPU is not kicked; the event waits for it. */
	CHECK_EQ(vcpu_op(VCPUOP_down, 1, 0), 0);
	vi1->evtchn_upcall_pending = 0;
	vi1->evtchn_pending_sel = 0;
	fx.vm.shared_info->evtchn_pending[port / 32] = 0;
	kicks = fx.kicks;
	memcpy(fx_gpa(ARG), &port, 4);
	CHECK_EQ(evtchn_on(&fx.v, EVTCHNOP_send, ARG), 0);
	CHECK_EQ(fx.kicks, kicks);
	CHECK(vi1->evtchn_upcall_pending);
	CHECK(!pvmx_vcpu_should_wake(&v1));
}

/* VCPUOP_register_vcpu_info: Xen's map_guest_area() checks, then events land there. */
static void register_vcpu_info_moves_it(void)
{
	struct xen_vcpu_register_vcpu_info info = { .mfn = 0x230, .offset = 0x40 };
	struct xen_vcpu_info *shared1 = &fx.vm.shared_info->vcpu_info[1];
	struct xen_vcpu_info *moved = (struct xen_vcpu_info *)fx_gpa(0x230040);
	u32 b[2] = { 1, 0 }, port;

	add_vcpu1();
	memset(moved, 0, sizeof(*moved));
#define REG(id, m, o) ({ info.mfn = (m); info.offset = (o);			\
		memcpy(fx_gpa(ARG), &info, sizeof(info));			\
		vcpu_op(VCPUOP_register_vcpu_info, (id), ARG); })
	CHECK_EQ(vcpu_op(VCPUOP_register_vcpu_info, 1, FX_UNMAPPED_VA), XEN_ERR(XEN_EFAULT));
	CHECK_EQ(REG(1, 0x230, 4096), XEN_ERR(XEN_EINVAL));		/* gaddr leaves the frame */
	CHECK_EQ(REG(1, 1ULL << 52, 0), XEN_ERR(XEN_EINVAL));		/* wraps */
	CHECK_EQ(REG(1, 0x230, 4096 - 63), XEN_ERR(XEN_ENXIO));	/* crosses the frame */
	CHECK_EQ(REG(1, 0x230, 0x42), XEN_ERR(XEN_ENXIO));		/* misaligned */
	CHECK_EQ(REG(1, FX_RAM_FRAMES, 0), XEN_ERR(XEN_EINVAL));	/* not RAM (shared_info) */
	CHECK_EQ(REG(1, FX_L1_GPA >> 12, 0), XEN_ERR(XEN_EACCES));	/* a page table */
	CHECK(pvmx_vcpu_info(&v1) == shared1);

	/* vCPU 1 is down: vCPU 0 may move its vcpu_info; the mask comes along. */
	shared1->evtchn_upcall_mask = 1;
	shared1->evtchn_pending_sel = 0;
	shared1->evtchn_upcall_pending = 0;
	CHECK_EQ(REG(1, 0x230, 0x40), 0);
	CHECK(pvmx_vcpu_info(&v1) == moved);
	CHECK_EQ(moved->evtchn_upcall_mask, 1);
	CHECK_EQ(moved->evtchn_upcall_pending, 1);		/* everything pending */
	CHECK_EQ(moved->evtchn_pending_sel, 0xFFFFFFFFu);
	CHECK(moved->time.version && !(moved->time.version & 1));
	CHECK_EQ(REG(1, 0x231, 0), XEN_ERR(XEN_EBUSY));		/* once per vCPU */
	/* The frame can no longer become a page table. */
	CHECK(fx_locked(pvmx_get_page_type(&fx.vm, 0x230, PVMX_PGT_L1)) != 0);

	/* A running other vCPU cannot be changed under it; itself can. */
	good_context();
	ctx()->flags |= VGCF_online;
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, CTX), 0);
	CHECK_EQ(vcpu_op(VCPUOP_up, 1, 0), 0);
	CHECK_EQ(REG(0, 0x232, 0), 0);
	CHECK(pvmx_vcpu_info(&fx.v) == (struct xen_vcpu_info *)fx_gpa(0x232000));

	/* An IPI to vCPU 1 sets its bits in the moved vcpu_info only. */
	moved->evtchn_upcall_pending = 0;
	moved->evtchn_pending_sel = 0;
	memcpy(fx_gpa(ARG), b, sizeof(b));
	CHECK_EQ(evtchn_on(&fx.v, EVTCHNOP_bind_ipi, ARG), 0);
	memcpy(&port, fx_gpa(ARG + 4), 4);
	memcpy(fx_gpa(ARG), &port, 4);
	CHECK_EQ(evtchn_on(&fx.v, EVTCHNOP_send, ARG), 0);
	CHECK_EQ(moved->evtchn_upcall_pending, 1);
	CHECK(moved->evtchn_pending_sel & (1u << (port / 32)));
	CHECK_EQ(shared1->evtchn_upcall_pending, 0);
	/* The upcall is delivered from there, masking there. */
	moved->evtchn_upcall_mask = 0;
	CHECK_EQ(pvmx_prepare_entry(&v1), PVMX_RESUME);
	CHECK_EQ(v1.cpu.eip, 0x5000);
	CHECK_EQ(moved->evtchn_upcall_mask, 1);
#undef REG
}

/* VCPUOP_register_vcpu_time_memory_area: a second copy of the time record. */
static void vcpu_time_area_copies_the_time(void)
{
	struct xen_vcpu_time_info *area = (struct xen_vcpu_time_info *)fx_gpa(ARG + 0x100);
	struct xen_vcpu_time_info *t = &fx.vm.shared_info->vcpu_info[0].time;
	u32 va = ARG + 0x100;

	memset(area, 0, sizeof(*area));
	memcpy(fx_gpa(ARG), &va, 4);
	fx.now_ns = 1000;
	CHECK_EQ(vcpu_op(VCPUOP_register_vcpu_time_memory_area, 0, ARG), 0);
	CHECK_EQ(area->system_time, 1000);
	CHECK_EQ(area->tsc_timestamp, 3000);
	CHECK_EQ(area->flags, t->flags);
	CHECK_EQ(area->tsc_to_system_mul, t->tsc_to_system_mul);
	CHECK(area->version && !(area->version & 1));
	fx.now_ns = 5000;
	pvmx_update_time_info(&fx.v);
	CHECK_EQ(area->system_time, 5000);
	CHECK_EQ(t->system_time, 5000);
	CHECK(!(area->version & 1));
	/* Read-only or unmapped: kept, nothing written, no fault. */
	va = FX_RO_VA;
	memcpy(fx_gpa(ARG), &va, 4);
	CHECK_EQ(vcpu_op(VCPUOP_register_vcpu_time_memory_area, 0, ARG), 0);
	fx.now_ns = 6000;
	pvmx_update_time_info(&fx.v);
	CHECK_EQ(area->system_time, 5000);
	/* Into the hypervisor hole: -EFAULT; 0 stops the copies. */
	va = XEN_HYPERVISOR_VIRT_START - 8;
	memcpy(fx_gpa(ARG), &va, 4);
	CHECK_EQ(vcpu_op(VCPUOP_register_vcpu_time_memory_area, 0, ARG), XEN_ERR(XEN_EFAULT));
	CHECK_EQ(vcpu_op(VCPUOP_register_vcpu_time_memory_area, 0, FX_UNMAPPED_VA),
		 XEN_ERR(XEN_EFAULT));
	va = 0;
	memcpy(fx_gpa(ARG), &va, 4);
	CHECK_EQ(vcpu_op(VCPUOP_register_vcpu_time_memory_area, 0, ARG), 0);
	CHECK_EQ(fx.v.time_area_va, 0);
}

static void per_vcpu_timer_virq(void)
{
	u32 b[3] = { VIRQ_TIMER, 1, 0 }, port;

	add_vcpu1();
	memcpy(fx_gpa(ARG), b, sizeof(b));
	CHECK_EQ(evtchn_on(&fx.v, EVTCHNOP_bind_virq, ARG), 0);
	memcpy(&port, fx_gpa(ARG + 8), 4);
	CHECK_EQ(v1.virq_port[VIRQ_TIMER], port);
	CHECK_EQ(fx.v.virq_port[VIRQ_TIMER], 0);
	/* A timer raising vCPU 1's VIRQ marks the port; vCPU 0 does not see it. */
	v1.up = true;
	pvmx_raise_virq_async(&v1, VIRQ_TIMER);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	CHECK(!(fx.vm.shared_info->evtchn_pending[0] & (1u << port)));
	pvmx_prepare_entry(&v1);
	CHECK(fx.vm.shared_info->evtchn_pending[0] & (1u << port));
}

/*
 * A global VIRQ stays in vCPU 0's table whatever vCPU its port notifies
 * (Xen's evtchn_bind_virq/evtchn_close/send_guest_domain_virq): raised, it
 * reaches the port's current vCPU; closed after bind_vcpu, it binds again and
 * never fires the port reused for something else.
 */
static void global_virq_moved_closed_rebound(void)
{
	struct xen_shared_info *si = fx.vm.shared_info;
	u32 b[3] = { VIRQ_CONSOLE, 0, 0 }, port, ipi, again, st[6];

	add_vcpu1();
	v1.up = true;
	memcpy(fx_gpa(ARG), b, sizeof(b));
	CHECK_EQ(evtchn_on(&fx.v, EVTCHNOP_bind_virq, ARG), 0);
	memcpy(&port, fx_gpa(ARG + 8), 4);
	CHECK_EQ(fx.v.virq_port[VIRQ_CONSOLE], port);

	/* Moved to vCPU 1: raised (on vCPU 0, as the launcher does), it lands on vCPU 1. */
	memcpy(fx_gpa(ARG), (u32[2]){ port, 1 }, 8);
	CHECK_EQ(evtchn_on(&fx.v, EVTCHNOP_bind_vcpu, ARG), 0);
	CHECK_EQ(fx.v.virq_port[VIRQ_CONSOLE], port);
	CHECK_EQ(v1.virq_port[VIRQ_CONSOLE], 0);
	memset(st, 0, sizeof(st));
	st[0] = DOMID_SELF;
	st[1] = port;
	memcpy(fx_gpa(ARG), st, sizeof(st));
	CHECK_EQ(evtchn_on(&fx.v, EVTCHNOP_status, ARG), 0);
	memcpy(st, fx_gpa(ARG), sizeof(st));
	CHECK_EQ(st[2], EVTCHNSTAT_virq);
	CHECK_EQ(st[3], 1);			/* notified vCPU */
	CHECK_EQ(st[4], VIRQ_CONSOLE);
	si->vcpu_info[0].evtchn_upcall_pending = 0;
	si->vcpu_info[0].evtchn_pending_sel = 0;
	si->vcpu_info[1].evtchn_upcall_pending = 0;
	si->vcpu_info[1].evtchn_pending_sel = 0;
	pvmx_raise_virq_async(&fx.v, VIRQ_CONSOLE);
	pvmx_prepare_entry(&fx.v);
	CHECK(si->evtchn_pending[port / 32] & (1u << (port % 32)));
	CHECK_EQ(si->vcpu_info[1].evtchn_upcall_pending, 1);
	CHECK_EQ(si->vcpu_info[1].evtchn_pending_sel, 1u << (port / 32));
	CHECK_EQ(si->vcpu_info[0].evtchn_upcall_pending, 0);
	CHECK_EQ(si->vcpu_info[0].evtchn_pending_sel, 0);

	/* With vCPU 0 down, vCPU 1 is kicked and applies it. */
	si->evtchn_pending[port / 32] = 0;
	si->vcpu_info[1].evtchn_upcall_pending = 0;
	si->vcpu_info[1].evtchn_pending_sel = 0;
	fx.v.up = false;
	fx.last_kick = NULL;
	pvmx_raise_virq_async(&fx.v, VIRQ_CONSOLE);
	CHECK(fx.last_kick == &v1);
	CHECK(!pvmx_vcpu_should_wake(&fx.v));
	CHECK(pvmx_vcpu_should_wake(&v1));
	CHECK(si->evtchn_pending[port / 32] & (1u << (port % 32)));
	CHECK_EQ(si->vcpu_info[1].evtchn_upcall_pending, 1);
	/* vCPU 1 took only the global VIRQs: vCPU 0's timer stays its own. */
	fx.v.virq_port[VIRQ_TIMER] = 0;
	pvmx_raise_virq_async(&fx.v, VIRQ_TIMER);
	CHECK(fx.last_kick == &fx.v);
	pvmx_prepare_entry(&v1);
	CHECK_EQ(fx.v.async_virqs, 1u << VIRQ_TIMER);
	fx.v.async_virqs = 0;
	fx.v.up = true;

	/* Closed: vCPU 0's binding goes with it. */
	memcpy(fx_gpa(ARG), &port, 4);
	CHECK_EQ(evtchn_on(&fx.v, EVTCHNOP_close, ARG), 0);
	CHECK_EQ(fx.v.virq_port[VIRQ_CONSOLE], 0);
	CHECK_EQ(v1.virq_port[VIRQ_CONSOLE], 0);

	/* The port reused by an IPI never receives the old VIRQ. */
	memcpy(fx_gpa(ARG), (u32[1]){ 0 }, 4);
	CHECK_EQ(evtchn_on(&fx.v, EVTCHNOP_bind_ipi, ARG), 0);
	memcpy(&ipi, fx_gpa(ARG + 4), 4);
	CHECK_EQ(ipi, port);
	pvmx_raise_virq_async(&fx.v, VIRQ_CONSOLE);
	pvmx_prepare_entry(&fx.v);
	CHECK(!(si->evtchn_pending[ipi / 32] & (1u << (ipi % 32))));

	/* And the VIRQ binds again, on a fresh port, and fires that one. */
	memcpy(fx_gpa(ARG), b, sizeof(b));
	CHECK_EQ(evtchn_on(&fx.v, EVTCHNOP_bind_virq, ARG), 0);
	memcpy(&again, fx_gpa(ARG + 8), 4);
	CHECK(again != ipi);
	CHECK_EQ(fx.v.virq_port[VIRQ_CONSOLE], again);
	CHECK_EQ(evtchn_on(&fx.v, EVTCHNOP_bind_virq, ARG), XEN_ERR(XEN_EEXIST));
	pvmx_raise_virq_async(&fx.v, VIRQ_CONSOLE);
	pvmx_prepare_entry(&fx.v);
	CHECK(si->evtchn_pending[again / 32] & (1u << (again % 32)));
	CHECK(!(si->evtchn_pending[ipi / 32] & (1u << (ipi % 32))));
}

static void launcher_port_applied_by_any_vcpu(void)
{
	int kicks;

	add_vcpu1();
	CHECK_EQ(pvmx_events_init(&fx.vm, 3, 0), 0);
	fx.vm.evtchn[3].vcpu = 1;
	v1.up = true;
	kicks = fx.kicks;
	CHECK_EQ(pvmx_raise_port_async(&fx.vm, 3), 0);
	CHECK_EQ(fx.kicks, kicks + 1);
	/* vCPU 0 may be down: vCPU 1 applies it. */
	fx.v.up = false;
	CHECK(!pvmx_vcpu_should_wake(&fx.v));
	pvmx_prepare_entry(&v1);
	CHECK(fx.vm.shared_info->evtchn_pending[0] & (1u << 3));
	CHECK(fx.vm.shared_info->vcpu_info[1].evtchn_upcall_pending);
}

static void end_of_vm_stops_every_vcpu(void)
{
	int kicks;

	add_vcpu1();
	good_context();
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, CTX), 0);
	CHECK(!pvmx_vcpu_may_run(&v1));
	/* vCPU 0 shuts the VM down. */
	CHECK_EQ(fx_hypercall(__HYPERVISOR_sched_op_compat, SCHEDOP_shutdown, SHUTDOWN_reboot,
			      0, 0, 0), PVMX_EXIT_TO_USER);
	kicks = fx.kicks;
	CHECK(pvmx_vm_end(&fx.v));
	CHECK_EQ(fx.kicks, kicks + 1);	/* vCPU 1, to stop it */
	CHECK(!pvmx_vm_end(&v1));	/* the first end counts */
	CHECK(fx.vm.ended);
	/* vCPU 1, down or blocked or about to enter, stops too. */
	CHECK(pvmx_vcpu_may_run(&v1));
	CHECK(pvmx_vcpu_should_wake(&v1));
	v1.up = true;
	CHECK_EQ(pvmx_prepare_entry(&v1), PVMX_EXIT_TO_USER);
	CHECK_EQ(v1.state, PVMX_VCPU_RUNNABLE);	/* PVMX_RUN copies the VM's end */
}

static void lock_released_on_every_path(void)
{
	add_vcpu1();
	/* A multicall, an iret failing to #GP, a software interrupt, an exception. */
	fx_hypercall(__HYPERVISOR_multicall, ARG, 0, 0, 0, 0);
	CHECK(!spin_is_locked(&fx.vm.lock));
	pvmx_deliver_exception(&fx.v, 6, false, 0);
	CHECK(!spin_is_locked(&fx.vm.lock));
	pvmx_software_interrupt(&fx.v, 0x40, 2);
	CHECK(!spin_is_locked(&fx.vm.lock));
	pvmx_runstate_change(&fx.v, RUNSTATE_blocked);
	CHECK(!spin_is_locked(&fx.vm.lock));
	CHECK(!pvmx_vcpu_should_wake(&v1));
	CHECK(!spin_is_locked(&fx.vm.lock));
}

const struct unit_test smp_tests[] = {
	UNIT_TEST(vcpu_op_names_only_existing_vcpus),
	UNIT_TEST(initialise_loads_the_context),
	UNIT_TEST(initialise_online_and_fpu),
	UNIT_TEST(initialise_refuses_bad_contexts),
	UNIT_TEST(initialise_fixes_rpl0_selectors),
	UNIT_TEST(initialise_takes_a_zeroed_context),
	UNIT_TEST(new_context_checked_at_first_entry),
	UNIT_TEST(down_and_up),
	UNIT_TEST(self_down_with_another_up),
	UNIT_TEST(ipi_reaches_the_other_vcpu),
	UNIT_TEST(per_vcpu_timer_virq),
	UNIT_TEST(global_virq_moved_closed_rebound),
	UNIT_TEST(register_vcpu_info_moves_it),
	UNIT_TEST(vcpu_time_area_copies_the_time),
	UNIT_TEST(launcher_port_applied_by_any_vcpu),
	UNIT_TEST(end_of_vm_stops_every_vcpu),
	UNIT_TEST(lock_released_on_every_path),
	{ NULL, NULL },
};
