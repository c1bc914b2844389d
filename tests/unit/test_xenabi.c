// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of Xen ABI corners the XTF suite probes: the CPUID policy
 * (cpuid.c) against a made-up host CPU, the FIFO event-channel calls that
 * are checked and then refused (XSA-188), and sysctl's answers to a domU
 * (livepatch-priv-check).
 */
#include "harness.h"
#include "fixture.h"
#include "unit_tests.h"

#define XEN_ERR(e)	((u32)-(e))
#define ARG		0x210000u
#define DATA_GFN	7u		/* an ordinary RAM frame */

/* ---- CPUID ---------------------------------------------------------------- */

static u32 host_max_basic, host_max_extd;
/* Leaf 1 EBX/EDX and leaf 4 EAX[31:14] of the fake host (topology tests). */
static u32 host_1b = 0x05100800, host_1d = ~0u, host_4a_topo = 0xFC004000;

/* An Intel host with every feature bit set where the policy looks. */
static void fake_host(u32 leaf, u32 subleaf, struct pvmx_cpuid_leaf *r)
{
	*r = (struct pvmx_cpuid_leaf){ 0 };
	switch (leaf) {
	case 0:
		*r = (struct pvmx_cpuid_leaf){ host_max_basic, 0x756e6547, 0x6c65746e, 0x49656e69 };
		break;
	case 1:
		*r = (struct pvmx_cpuid_leaf){ 0x000031EA, host_1b, ~0u, host_1d };
		break;
	case 2:
		*r = (struct pvmx_cpuid_leaf){ 0x00FEFF01, 0xF0, 0, 0 };
		break;
	case 4:
		*r = (struct pvmx_cpuid_leaf){ host_4a_topo | 0x121 | (subleaf << 5),
					       0x01C0003F, 0x3F, ~0u };
		break;
	case 7:
		*r = (struct pvmx_cpuid_leaf){ subleaf ? ~0u : 3, ~0u, ~0u, ~0u };
		break;
	case 0x80000000:
		r->a = host_max_extd;
		r->b = 0x11111111;
		break;
	case 0x80000008:
		*r = (struct pvmx_cpuid_leaf){ 0x3027, ~0u, ~0u, ~0u };
		break;
	default:
		/* Every other leaf: recognisable, to see it passed or emptied. */
		*r = (struct pvmx_cpuid_leaf){ ~0u, ~0u, ~0u, ~0u };
		break;
	}
}

static struct pvmx_cpuid_leaf cpuid(u32 leaf, u32 subleaf)
{
	struct pvmx_cpuid_leaf r;

	pvmx_guest_cpuid(&fx.v, leaf, subleaf, fake_host, &r);
	return r;
}

#define B(n)	(1u << (n))

static void cpuid_hides_what_a_pv_guest_must_not_use(void)
{
	struct pvmx_cpuid_leaf r;

	host_max_basic = 0x16;
	host_max_extd = 0x80000008;
	r = cpuid(0, 0);
	CHECK_EQ(r.a, 0xD);				/* Xen's last basic leaf */
	CHECK_EQ(r.b, 0x756e6547);			/* vendor passed through */
	r = cpuid(1, 0);
	CHECK_EQ(r.a, 0x000001EA);			/* no processor type */
	CHECK_EQ(r.b, 0x00100800);			/* no APIC id */
	/* Issue 13: VME, PSE, MTRR, PGE, PSE36 would let Linux map what it must not. */
	CHECK(!(r.d & (B(1) | B(3) | B(12) | B(13) | B(17))));
	/* DS, PSN, TM1, PBE, and reserved bits: not 'A' in Xen's featureset. */
	CHECK(!(r.d & (B(10) | B(18) | B(20) | B(21) | B(29) | B(30) | B(31))));
	CHECK_EQ(r.d & (B(0) | B(2) | B(4) | B(6) | B(8) | B(11) | B(25) | B(26)),
		 B(0) | B(2) | B(4) | B(6) | B(8) | B(11) | B(25) | B(26));
	/* MONITOR, VMX, SMX, EIST, FMA, PCID, X2APIC, TSC_DEADLINE, XSAVE family. */
	CHECK(!(r.c & (B(3) | B(5) | B(6) | B(7) | B(12) | B(17) | B(21) | B(24) | B(26) |
		       B(27) | B(28) | B(29))));
	CHECK(r.c & B(31));				/* hypervisor */
	CHECK(r.c & (B(0) | B(19) | B(20) | B(25)));	/* SSE3, SSE4.x, AESNI */
	CHECK_EQ(cpuid(2, 0).a, 0x00FEFF01);
	CHECK_EQ(cpuid(3, 0).a, 0);			/* PSN */
	/* Cache leaf: subleaves 0..5 with reserved fields cleared, then nothing. */
	r = cpuid(4, 1);
	/* 64 cores per package clamped to leaf 1's 16 logical processors. */
	CHECK_EQ(r.a, (0x3C004121 | (1 << 5)) & 0xFFFFC3FF);
	CHECK_EQ(r.d, 7);
	CHECK_EQ(cpuid(4, 6).a, 0);
	CHECK_EQ(cpuid(5, 0).a, 0);			/* MONITOR */
	CHECK_EQ(cpuid(6, 0).a, 0);
	/* Leaf 7: Xen's 3 subleaves, AVX2/AVX-512/PKU/speculation MSRs hidden. */
	r = cpuid(7, 0);
	CHECK_EQ(r.a, 2);
	CHECK(!(r.b & (B(5) | B(7) | B(10) | B(16) | B(20) | B(31))));	/* AVX2 SMEP INVPCID AVX512F SMAP */
	CHECK(r.b & (B(3) | B(8) | B(9)));		/* BMI1 BMI2 ERMS */
	CHECK(!(r.c & (B(3) | B(4))));			/* PKU OSPKE */
	CHECK(!(r.d & (B(26) | B(27) | B(29) | B(31))));	/* IBRSB STIBP ARCH_CAPS SSBD */
	CHECK_EQ(r.d, B(4) | B(10) | B(14));		/* FSRM MD_CLEAR SERIALIZE */
	r = cpuid(7, 1);
	CHECK_EQ(r.a, B(10) | B(11) | B(12));
	CHECK_EQ(r.d, B(14));
	CHECK_EQ(cpuid(7, 2).d, B(5));
	CHECK_EQ(cpuid(7, 3).b, 0);
	/* Emptied: DCA, vPMU, topology, XSAVE; and past Xen's last basic leaf. */
	CHECK_EQ(cpuid(9, 0).a, 0);
	CHECK_EQ(cpuid(0xA, 0).a, 0);
	CHECK_EQ(cpuid(0xB, 0).b, 0);
	CHECK_EQ(cpuid(0xD, 0).a, 0);
	CHECK_EQ(cpuid(0xD, 1).a, 0);
	CHECK_EQ(cpuid(0x14, 0).a, 0);
	CHECK_EQ(cpuid(0x20000000, 0).a, 0);
	/* Extended leaves, Intel: no LM, SYSCALL or 1 GiB pages for a 32-bit guest. */
	r = cpuid(0x80000000, 0);
	CHECK_EQ(r.a, 0x80000008);
	CHECK_EQ(r.b, 0);
	r = cpuid(0x80000001, 0);
	CHECK_EQ(r.a, 0);
	CHECK(!(r.d & (B(11) | B(26) | B(29))));
	CHECK(r.d & (B(20) | B(27)));			/* NX RDTSCP */
	CHECK(!(r.c & (B(2) | B(11) | B(16))));		/* SVM XOP FMA4 */
	CHECK_EQ(cpuid(0x80000002, 0).a, ~0u);		/* brand string */
	CHECK_EQ(cpuid(0x80000005, 0).a, 0);
	r = cpuid(0x80000006, 0);
	CHECK_EQ(r.a, 0);
	CHECK_EQ(r.c, ~0u);
	CHECK_EQ(cpuid(0x80000007, 0).d, 0);		/* invariant TSC: opt-in */
	r = cpuid(0x80000008, 0);
	CHECK_EQ(r.a, 0x2027);				/* 39-bit physical, 32-bit linear */
	CHECK_EQ(r.b, B(0) | B(2) | B(26) | B(29) | B(30));
	CHECK_EQ(cpuid(0x80000009, 0).a, 0);
	/* A host with fewer leaves: those past its maximum are empty. */
	host_max_basic = 7;
	host_max_extd = 0x80000004;
	CHECK_EQ(cpuid(0, 0).a, 7);
	CHECK_EQ(cpuid(0xA, 0).a, 0);
	CHECK_EQ(cpuid(0x80000000, 0).a, 0x80000004);
	CHECK_EQ(cpuid(0x80000008, 0).a, 0);
	host_max_basic = 3;
	CHECK_EQ(cpuid(7, 0).b, 0);
}

/*
 * Leaf 4's core and sharing counts never exceed leaf 1's logical processor
 * count: Bochs' Haswell shows 1 logical processor but 8 cores, and Linux
 * 4.19 then divides its way to zero SMT siblings and never onlines CPU 1.
 */
static void cpuid_cache_topology_fits_leaf1(void)
{
	struct pvmx_cpuid_leaf r;

	host_max_basic = 0xD;
	host_max_extd = 0x80000008;
	/* Bochs corei7_haswell_4770, count=2: HTT, 1 logical, 8 cores, 2 sharing. */
	host_1b = 0x00010800;
	host_4a_topo = 0x1C004000;
	r = cpuid(4, 0);
	CHECK_EQ(r.a >> 26, 0);
	CHECK_EQ((r.a >> 14) & 0xFFF, 0);
	CHECK_EQ(r.a & 0x3FFF, 0x121);
	CHECK_EQ((cpuid(1, 0).b >> 16) & 0xFF, 1);
	/* No HTT: leaf 1's count is 1 whatever EBX[23:16] says. */
	host_1b = 0x00080800;
	host_1d = ~0u & ~B(28);
	CHECK_EQ(cpuid(4, 0).a >> 26, 0);
	/* A real package (8 logical, 4 cores, 2 sharing) passes untouched. */
	host_1d = ~0u;
	host_4a_topo = 0x0C004000;
	CHECK_EQ(cpuid(4, 0).a, 0x0C004121);
	/* A count that is no power of two: the largest 2^n - 1 below it. */
	host_1b = 0x00060800;
	host_4a_topo = 0xFC3FC000;
	r = cpuid(4, 0);
	CHECK_EQ(r.a >> 26, 3);
	CHECK_EQ((r.a >> 14) & 0xFFF, 3);
	host_1b = 0x05100800;
	host_4a_topo = 0xFC004000;
}

static void cpuid_xen_leaves(void)
{
	struct pvmx_cpuid_leaf r;

	host_max_basic = 0x16;
	host_max_extd = 0x80000008;
	r = cpuid(0x40000000, 0);
	CHECK_EQ(r.a, 0x40000005);
	CHECK(!memcmp(&r.b, "XenVMMXenVMM", 12));
	CHECK_EQ(cpuid(0x40000001, 0).a, 0x00040013);
	r = cpuid(0x40000002, 0);
	CHECK_EQ(r.a, 1);
	CHECK_EQ(r.b, 0x40000000);
	CHECK_EQ(r.c, 1);				/* MMU_PT_UPDATE_PRESERVE_AD */
	/* Time: native TSC, reliable, RDTSCP; the fixture's 3 GHz scale. */
	r = cpuid(0x40000003, 0);
	CHECK_EQ(r.a, 6);
	CHECK_EQ(r.b, 0);
	CHECK_EQ(r.c, 3000000);
	r = cpuid(0x40000003, 1);
	CHECK_EQ(r.c, 0x55555555);
	CHECK_EQ(r.d, 0);
	CHECK_EQ(cpuid(0x40000003, 2).a, 3000000);
	CHECK_EQ(cpuid(0x40000004, 0).a, 0);		/* HVM only */
	/* Machine address width: the last grant frame is the highest frame. */
	fx.vm.gnttab_gfn = FX_RAM_FRAMES + 1;
	CHECK_EQ(cpuid(0x40000005, 0).b, 12 + 12);	/* frames below 4096 */
	fx.vm.gnttab_gfn = 0x20000 - PVMX_GNTTAB_MAX_FRAMES;	/* the last is 0x1FFFF */
	CHECK_EQ(cpuid(0x40000005, 0).b, 17 + 12);
	fx.vm.gnttab_gfn++;					/* the last is 0x20000 */
	CHECK_EQ(cpuid(0x40000005, 0).b, 18 + 12);
	CHECK_EQ(cpuid(0x40000005, 1).b, 0);
	CHECK_EQ(cpuid(0x40000006, 0).a, 0);
	CHECK_EQ(cpuid(0x40000100, 0).a, 0);		/* no Viridian */
	CHECK_EQ(cpuid(0x400001FF, 0).a, 0);
}

/* ---- FIFO event channels: checked as Xen, refused as without FIFO ---------- */

static u32 init_control(u64 gfn, u32 offset, u32 vcpu)
{
	struct evtchn_init_control ic = { .control_gfn = gfn, .offset = offset, .vcpu = vcpu,
					  .link_bits = 0xAA };

	memcpy(fx_gpa(ARG), &ic, sizeof(ic));
	fx_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, ARG, 0, 0, 0);
	/* Nothing is written back: Xen copies out only on success. */
	memcpy(&ic, fx_gpa(ARG), sizeof(ic));
	CHECK_EQ(ic.link_bits, 0xAA);
	return fx_eax();
}

static void fifo_init_control_checked_then_refused(void)
{
	u32 l3 = FX_L3_GPA >> 12;
	u32 count = fx.vm.frame_table[DATA_GFN].type_count;

	/* XSA-188's call: a bad gfn is -EINVAL. */
	CHECK_EQ(init_control((u64)-2, 0, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(init_control(FX_RAM_FRAMES, 0, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(init_control(1ULL << 32 | DATA_GFN, 0, 0), XEN_ERR(XEN_EINVAL));
	/* A page table cannot become the control block. */
	CHECK_EQ(init_control(l3, 0, 0), XEN_ERR(XEN_EINVAL));
	/* The vCPU first, then the offset: in one page, 8-byte aligned. */
	CHECK_EQ(init_control((u64)-2, 0, 1), XEN_ERR(XEN_ENOENT));
	CHECK_EQ(init_control(DATA_GFN, 0, PVMX_MAX_VCPUS), XEN_ERR(XEN_ENOENT));
	CHECK_EQ(init_control(DATA_GFN, 4096 - 72 + 8, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(init_control(DATA_GFN, 4, 0), XEN_ERR(XEN_EINVAL));
	CHECK_EQ(init_control(DATA_GFN, 0xFFFFFFF8u, 0), XEN_ERR(XEN_EINVAL));
	/* Well formed: refused as by a Xen without CONFIG_EVTCHN_FIFO, no type kept. */
	CHECK_EQ(init_control(DATA_GFN, 4096 - 72, 0), XEN_ERR(XEN_EOPNOTSUPP));
	CHECK_EQ(init_control(DATA_GFN, 0, 0), XEN_ERR(XEN_EOPNOTSUPP));
	CHECK_EQ(fx.vm.frame_table[DATA_GFN].type_count, count);
	/* Unreadable argument. */
	fx_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, FX_UNMAPPED_VA,
		     0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
	/* 2-level events still work afterwards: the ABI did not change. */
	CHECK(!fx.vm.evtchn[1].state);
}

static void fifo_expand_array_and_set_priority(void)
{
	u32 arg[2] = { DATA_GFN, 0 };

	memcpy(fx_gpa(ARG), arg, sizeof(arg));
	fx_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_expand_array, ARG, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EOPNOTSUPP));
	fx_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_expand_array, FX_UNMAPPED_VA,
		     0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
	/* set_priority: the 2-level ABI has none (-ENOSYS), a bad port -EINVAL. */
	arg[0] = 1;
	arg[1] = 7;
	memcpy(fx_gpa(ARG), arg, sizeof(arg));
	fx_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_set_priority, ARG, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_ENOSYS));
	arg[0] = XEN_NR_EVTCHN_PORTS;
	memcpy(fx_gpa(ARG), arg, sizeof(arg));
	fx_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_set_priority, ARG, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EINVAL));
}

/* ---- sysctl ------------------------------------------------------------------- */

static u32 sysctl(u32 cmd, u32 version)
{
	u32 op[34] = { cmd, version };

	memcpy(fx_gpa(ARG), op, sizeof(op));
	fx_hypercall(__HYPERVISOR_sysctl, ARG, 0, 0, 0, 0);
	return fx_eax();
}

static void sysctl_version_probe_then_eperm(void)
{
	u32 v;

	/* XTF's probe: -EACCES for every version but Xen's. */
	for (v = 0; v < 0x15; v++)
		CHECK_EQ(sysctl(0, v), XEN_ERR(XEN_EACCES));
	CHECK_EQ(sysctl(0, 0x16), XEN_ERR(XEN_EACCES));
	/* The right version: a domU is refused, whatever it asks (livepatch 27). */
	CHECK_EQ(sysctl(0, 0x15), XEN_ERR(XEN_EPERM));
	CHECK_EQ(sysctl(27, 0x15), XEN_ERR(XEN_EPERM));
	CHECK_EQ(sysctl(3, 0x15), XEN_ERR(XEN_EPERM));
	/* The whole 136-byte struct is read first. */
	fx_hypercall(__HYPERVISOR_sysctl, FX_UNMAPPED_VA - 8, 0, 0, 0, 0);
	CHECK_EQ(fx_eax(), XEN_ERR(XEN_EFAULT));
}

const struct unit_test xenabi_tests[] = {
	UNIT_TEST(cpuid_hides_what_a_pv_guest_must_not_use),
	UNIT_TEST(cpuid_cache_topology_fits_leaf1),
	UNIT_TEST(cpuid_xen_leaves),
	UNIT_TEST(fifo_init_control_checked_then_refused),
	UNIT_TEST(fifo_expand_array_and_set_priority),
	UNIT_TEST(sysctl_version_probe_then_eperm),
	{ NULL, NULL },
};
