// SPDX-License-Identifier: GPL-2.0
/*
 * xenabi: corners of the Xen ABI that XTF's XSA tests probe, answered as
 * Xen answers them (Documentation/guest-abi.rst):
 *   - EVTCHNOP_init_control checked as Xen's FIFO code checks it (bad gfn
 *     -EINVAL, no such vCPU -ENOENT, bad offset -EINVAL), then refused as by
 *     a Xen without FIFO (-EOPNOTSUPP); expand_array -EOPNOTSUPP,
 *     set_priority -ENOSYS; 2-level events keep working (XSA-188);
 *   - sysctl: -EACCES for a wrong interface version (the probe), -EPERM for a
 *     domU otherwise (livepatch-priv-check);
 *   - with 2 vCPUs: VCPUOP_initialise with only flags and cr3 is accepted
 *     (XSA-296).  With zeroup=1 vCPU 1 is then brought up: it cannot load
 *     its null CS, and the guest is crashed with the reason.
 */
#include "runtime.h"

static u8 control_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static long init_control(u64 gfn, u32 offset, u32 vcpu)
{
	struct evtchn_init_control ic = { .control_gfn = gfn, .offset = offset, .vcpu = vcpu };

	return evtchn_op(EVTCHNOP_init_control, &ic);
}

static void fifo(void)
{
	u32 mfn = va_to_mfn(control_page), prio[2] = { 1, 3 };
	u64 gfn;
	struct evtchn_bind_ipi ipi = { .vcpu = 0 };

	CHECK_EQ(init_control((u64)-2, 0, 0), -XEN_EINVAL, "init_control_bad_gfn_einval");
	CHECK_EQ(init_control(va_to_mfn((void *)start_info->pt_base), 0, 0), -XEN_EINVAL,
		 "init_control_page_table_einval");
	CHECK_EQ(init_control(mfn, 0, 31), -XEN_ENOENT, "init_control_no_such_vcpu_enoent");
	CHECK_EQ(init_control(mfn, 4, 0), -XEN_EINVAL, "init_control_unaligned_offset_einval");
	CHECK_EQ(init_control(mfn, 4096 - 64, 0), -XEN_EINVAL,
		 "init_control_offset_past_page_einval");
	CHECK_EQ(init_control(mfn, 0, 0), -XEN_EOPNOTSUPP, "init_control_well_formed_eopnotsupp");
	CHECK_EQ(evtchn_op(EVTCHNOP_init_control, (void *)0x3FFFF000), -XEN_EFAULT,
		 "init_control_unreadable_efault");
	gfn = mfn;
	CHECK_EQ(evtchn_op(EVTCHNOP_expand_array, &gfn), -XEN_EOPNOTSUPP,
		 "expand_array_eopnotsupp");
	CHECK_EQ(evtchn_op(EVTCHNOP_set_priority, prio), -XEN_ENOSYS, "set_priority_enosys");
	/* The 2-level ABI is untouched: an IPI to ourselves is pending. */
	if (CHECK_EQ(evtchn_op(EVTCHNOP_bind_ipi, &ipi), 0, "bind_ipi_after_init_control")) {
		set_upcall_mask(1);
		evtchn_simple(EVTCHNOP_send, ipi.port);
		CHECK(test_bit(shared_info->evtchn_pending, ipi.port),
		      "two_level_event_pending_after_init_control");
		clear_bit(shared_info->evtchn_pending, ipi.port);
		evtchn_simple(EVTCHNOP_close, ipi.port);
	} else {
		CHECK(0, "two_level_event_pending_after_init_control");
	}
}

static long sysctl(u32 cmd, u32 version)
{
	u32 op[34] = { cmd, version };

	return hypercall(__HYPERVISOR_sysctl, op, 0, 0, 0, 0);
}

static void sysctls(void)
{
	u32 v, found = ~0u;

	/* XTF's xtf_probe_sysctl_interface_version(). */
	for (v = 0; v < 128 && found == ~0u; v++)
		if (sysctl(0, v) != -XEN_EACCES)
			found = v;
	if (!CHECK(found == 0x15, "sysctl_probe_finds_version_0x15"))
		test_diag("  found 0x%x", found);
	CHECK_EQ(sysctl(27, 0x15), -XEN_EPERM, "sysctl_livepatch_eperm");
	CHECK_EQ(sysctl(3, 0x15), -XEN_EPERM, "sysctl_physinfo_eperm");
	CHECK_EQ(hypercall(__HYPERVISOR_sysctl, 0x3FFFF000, 0, 0, 0, 0), -XEN_EFAULT,
		 "sysctl_unreadable_efault");
}

static struct xen_vcpu_guest_context ctx;

static void zeroed_context(int up)
{
	memset(&ctx, 0, sizeof(ctx));
	ctx.flags = VGCF_in_kernel;
	ctx.ctrlreg[3] = XEN_PFN_TO_CR3(va_to_mfn((void *)start_info->pt_base));
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, &ctx), 0, "initialise_zeroed_context_accepted");
	CHECK_EQ(vcpu_op(VCPUOP_is_up, 1, NULL), 0, "zeroed_context_vcpu_still_down");
	CHECK_EQ(vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_EEXIST, "initialise_again_eexist");
	if (!up)
		return;
	printf("xenabi: bringing up vCPU 1 with a null CS\n");
	vcpu_op(VCPUOP_up, 1, NULL);
	for (;;)
		sched_op(SCHEDOP_yield, NULL);
}

void test_main(void)
{
	u32 vcpus = cmdline_uint(start_info->cmd_line, "vcpus", 1);
	u32 up = cmdline_uint(start_info->cmd_line, "zeroup", 0);

	test_plan(16 + (vcpus > 1 ? 3 : 0));
	if (!CHECK(map_shared_info(), "map_shared_info"))
		return;
	fifo();
	sysctls();
	if (vcpus > 1)
		zeroed_context(up);
}
