// SPDX-License-Identifier: GPL-2.0
/*
 * The CPUID policy of a 32-bit PV guest, after Xen's guest_cpuid() with the
 * PV default policy (xen/arch/x86/cpuid.c, cpu-policy.c): the host's leaves
 * cut down to Xen's featureset words, where a bit is shown only if Xen's
 * public/arch-x86/cpufeatureset.h marks it 'A' (all guests, by default) and
 * pvmx can back it, with leaves Xen hides emptied and Xen's hypervisor
 * leaves at 0x40000000.  Leaf by leaf: Documentation/guest-abi.rst, CPUID.
 *
 * The arch passes the host's CPUID as a function, so this builds and is
 * tested on the host like the rest of the core.
 */
#include "core.h"

/* Xen's CPUID_GUEST_NR_* (xen/include/xen/lib/x86/cpu-policy.h), Intel. */
#define GUEST_MAX_BASIC		0xDu
#define GUEST_MAX_CACHE		5u
#define GUEST_MAX_FEAT		2u
#define GUEST_MAX_EXTD		0x80000008u

/* Xen's leaves: XEN_CPUID_MAX_NUM_LEAVES (public/arch-x86/cpuid.h). */
#define XEN_LEAF_BASE		0x40000000u
#define XEN_LEAF_LAST		0x400001FFu
#define XEN_LEAF_MAX		5u
#define XEN_FEAT1_MMU_PT_UPDATE_PRESERVE_AD	BIT(0)
#define XEN_TIME_HOST_TSC_RELIABLE		BIT(1)
#define XEN_TIME_RDTSCP_INSTR_AVAIL		BIT(2)

#define B(n)			(1u << (n))

/*
 * The 'A' bits of each featureset word, without the ones pvmx cannot back:
 * everything that needs XSAVE-managed state (XSAVE, AVX and all that builds
 * on it: the guest's CR4.OSXSAVE is always clear), and the speculation
 * controls whose MSRs (SPEC_CTRL, PRED_CMD, ARCH_CAPABILITIES, FLUSH_CMD)
 * the MSR emulation does not offer.  Xen's 32-bit PV rules drop LM, and
 * SYSCALL on Intel.
 */
/* 1.edx: FPU DE TSC MSR PAE MCE CX8 APIC SEP MCA CMOV PAT CLFLUSH ACPI MMX FXSR SSE SSE2 SS HTT */
#define PV_1D	(B(0) | B(2) | B(4) | B(5) | B(6) | B(7) | B(8) | B(9) | B(11) | B(14) | \
		 B(15) | B(16) | B(19) | B(22) | B(23) | B(24) | B(25) | B(26) | B(27) | B(28))
/* 1.ecx: SSE3 PCLMULQDQ SSSE3 CX16 SSE4_1 SSE4_2 MOVBE POPCNT AESNI RDRAND */
#define PV_1C	(B(0) | B(1) | B(9) | B(13) | B(19) | B(20) | B(22) | B(23) | B(25) | B(30))
#define CPUID_1C_HYPERVISOR	B(31)
/* 0x80000001.edx: NX MMXEXT FFXSR RDTSCP 3DNOWEXT 3DNOW */
#define PV_E1D	(B(20) | B(22) | B(25) | B(27) | B(30) | B(31))
/* 0x80000001.ecx: LAHF_LM CMP_LEGACY ABM SSE4A MISALIGNSSE 3DNOWPREFETCH TBM DBEXT ADDR_MSK_EXT */
#define PV_E1C	(B(0) | B(1) | B(5) | B(6) | B(7) | B(8) | B(21) | B(26) | B(30))
/*
 * 7:0.ebx: FSGSBASE BMI1 FDP_EXCP_ONLY BMI2 ERMS RTM NO_FPU_SEL RDSEED ADX
 * CLFLUSHOPT CLWB SHA (FDP_EXCP_ONLY and NO_FPU_SEL are the host's, as Xen folds them in)
 */
#define PV_7B0	(B(0) | B(3) | B(6) | B(8) | B(9) | B(11) | B(13) | B(18) | B(19) | \
		 B(23) | B(24) | B(29))
/* 7:0.ecx: PREFETCHWT1 GFNI RDPID CLDEMOTE */
#define PV_7C0	(B(0) | B(8) | B(22) | B(25))
/* 7:0.edx: FSRM MD_CLEAR SERIALIZE */
#define PV_7D0	(B(4) | B(10) | B(14))
/* 7:1.eax: FZRM FSRS FSRCS */
#define PV_7A1	(B(10) | B(11) | B(12))
/* 7:1.edx: PREFETCHI */
#define PV_7D1	B(14)
/* 7:2.edx: MCDT_NO */
#define PV_7D2	B(5)
/* 0x80000008.ebx: CLZERO RSTR_FP_ERR_PTRS SSB_NO BTC_NO IBPB_RET */
#define PV_E8B	(B(0) | B(2) | B(26) | B(29) | B(30))

static void empty(struct pvmx_cpuid_leaf *r)
{
	*r = (struct pvmx_cpuid_leaf){ 0 };
}

/* TSC frequency in kHz from the pvclock scale: ns = ((tsc << shift) * mul) >> 32. */
static u32 tsc_khz(const struct pvmx_time_sample *t)
{
	u64 num = 1000000ULL << 32, den = t->tsc_to_system_mul;

	if (!den)
		return 0;
	if (t->tsc_shift >= 0)
		den <<= t->tsc_shift;
	else
		num <<= -t->tsc_shift;
	return (u32)(num / den);
}

/* Xen's cpuid_hypervisor_leaves() for a PV domain without Viridian. */
static void xen_leaves(const struct pvmx_vcpu_core *v, u32 idx, u32 subleaf,
		       pvmx_host_cpuid_fn host, struct pvmx_cpuid_leaf *r)
{
	struct pvmx_time_sample t;
	struct pvmx_cpuid_leaf h;
	u32 bound;

	switch (idx) {
	case 0:
		r->a = XEN_LEAF_BASE + XEN_LEAF_MAX;
		r->b = 0x566e6558;	/* "XenVMMXenVMM" */
		r->c = 0x65584d4d;
		r->d = 0x4d4d566e;
		break;
	case 1:
		r->a = (PVMX_XEN_MAJOR << 16) | PVMX_XEN_MINOR;
		break;
	case 2:
		r->a = 1;			/* hypercall pages */
		r->b = XEN_LEAF_BASE;		/* the MSR that installs one */
		r->c = XEN_FEAT1_MMU_PT_UPDATE_PRESERVE_AD;
		break;
	case 3:				/* time: native TSC (tsc_mode 0), no offset */
		pvmx_host_time(&t);
		switch (subleaf) {
		case 0:
			host(0x80000001, 0, &h);
			r->a = XEN_TIME_HOST_TSC_RELIABLE |
			       ((h.d & B(27)) ? XEN_TIME_RDTSCP_INSTR_AVAIL : 0);
			r->c = tsc_khz(&t);
			break;
		case 1:
			r->c = t.tsc_to_system_mul;
			r->d = (u32)(s32)t.tsc_shift;
			break;
		case 2:
			r->a = tsc_khz(&t);
			break;
		}
		break;
	case 5:				/* PV: machine address width */
		if (subleaf)
			break;
		/* The highest frame the guest can name: its last grant frame. */
		bound = v->vm->gnttab_gfn + PVMX_GNTTAB_MAX_FRAMES - 1;
		r->b = 32 - __builtin_clz(bound) + PVMX_PAGE_SHIFT;
		break;
	}
}

/*
 * Leaf 4's EAX[31:26] (cores per package - 1) and EAX[25:14] (logical
 * processors sharing the cache - 1), the host's as on Xen for a PV guest
 * (tools/libs/guest/xg_cpuid_x86.c: "PV guests see real topology"), but
 * never above leaf 1's logical processor count (EBX[23:16] with HTT, else
 * 1): no real package has more cores than logical processors.  An emulated
 * host can (Bochs' Haswell: one logical processor, eight cores), and Linux
 * 4.19 then computes smp_num_siblings = 1 / 8 = 0, takes every AP for a
 * secondary SMT thread and silently rolls its bringup back (cpu_smt_allowed()
 * in kernel/cpu.c).  Clamped to 2^n - 1, the form these fields have.
 */
static void cache_topology_fit(struct pvmx_cpuid_leaf *r, pvmx_host_cpuid_fn host)
{
	struct pvmx_cpuid_leaf l1;
	u32 lp = 1, ids = 1, cores, sharing;

	host(1, 0, &l1);
	if ((l1.d & B(28)) && ((l1.b >> 16) & 0xFF))	/* HTT: EBX[23:16] counts */
		lp = (l1.b >> 16) & 0xFF;
	while (ids * 2 <= lp)
		ids *= 2;
	cores = r->a >> 26;
	sharing = (r->a >> 14) & 0xFFF;
	if (cores >= ids)
		cores = ids - 1;
	if (sharing >= ids)
		sharing = ids - 1;
	r->a = (r->a & 0x3FFF) | (sharing << 14) | (cores << 26);
}

void pvmx_guest_cpuid(const struct pvmx_vcpu_core *v, u32 leaf, u32 subleaf,
		      pvmx_host_cpuid_fn host, struct pvmx_cpuid_leaf *r)
{
	struct pvmx_cpuid_leaf max;

	empty(r);
	if (leaf >= XEN_LEAF_BASE && leaf <= XEN_LEAF_LAST) {
		if (leaf - XEN_LEAF_BASE <= XEN_LEAF_MAX)
			xen_leaves(v, leaf - XEN_LEAF_BASE, subleaf, host, r);
		return;
	}
	if (leaf <= GUEST_MAX_BASIC) {
		/* Leaf 0 is always there (and says the maximum): one query. */
		if (leaf) {
			host(0, 0, &max);
			if (leaf > min_t(u32, max.a, GUEST_MAX_BASIC))
				return;
		}
	} else if (leaf >= 0x80000000u && leaf <= GUEST_MAX_EXTD) {
		host(0x80000000u, 0, &max);
		if (leaf > min_t(u32, max.a, GUEST_MAX_EXTD))
			return;
	} else {
		return;		/* out of every range: all zero, Xen's "AMD model" */
	}

	host(leaf, subleaf, r);
	switch (leaf) {
	case 0:
		r->a = min_t(u32, r->a, GUEST_MAX_BASIC);
		break;
	case 1:
		r->a &= 0x0FFF0FFF;	/* no processor type */
		r->b &= 0x00FFFFFF;	/* no initial APIC id */
		r->c = (r->c & PV_1C) | CPUID_1C_HYPERVISOR;
		r->d &= PV_1D;
		break;
	case 2:
		r->a = (r->a & ~0xFFu) | 1;	/* one query */
		break;
	case 4:
		if (subleaf > GUEST_MAX_CACHE) {
			empty(r);
		} else if ((r->a & 0x1F) >= 1 && (r->a & 0x1F) <= 3) {
			r->a &= 0xFFFFC3FF;	/* reserved fields of a valid cache */
			r->d &= 0x00000007;
			cache_topology_fit(r, host);
		}
		break;
	case 7:
		switch (subleaf) {
		case 0:
			r->a = min_t(u32, r->a, GUEST_MAX_FEAT);
			r->b &= PV_7B0;
			r->c &= PV_7C0;		/* OSPKE: the guest has no CR4.PKE */
			r->d &= PV_7D0;
			break;
		case 1:
		case 2:
			host(7, 0, &max);
			if (subleaf > min_t(u32, max.a, GUEST_MAX_FEAT)) {
				empty(r);
				break;
			}
			r->a &= subleaf == 1 ? PV_7A1 : 0;
			r->b = 0;
			r->c = 0;
			r->d &= subleaf == 1 ? PV_7D1 : PV_7D2;
			break;
		default:
			empty(r);
		}
		break;
	case 3:		/* PSN */
	case 5:		/* MONITOR */
	case 6:		/* thermal and power */
	case 8:
	case 9:		/* DCA */
	case 0xA:	/* performance monitoring: no vPMU */
	case 0xB:	/* topology */
	case 0xC:
	case 0xD:	/* XSAVE: not offered */
		empty(r);
		break;
	case 0x80000000u:
		/* Intel: no vendor string here. */
		*r = (struct pvmx_cpuid_leaf){ .a = min_t(u32, r->a, GUEST_MAX_EXTD) };
		break;
	case 0x80000001u:
		*r = (struct pvmx_cpuid_leaf){ .c = r->c & PV_E1C, .d = r->d & PV_E1D };
		break;
	case 0x80000005u:
		empty(r);
		break;
	case 0x80000006u:
		*r = (struct pvmx_cpuid_leaf){ .c = r->c };	/* L2 cache in ECX only */
		break;
	case 0x80000007u:
		empty(r);			/* invariant TSC: opt-in only on Xen */
		break;
	case 0x80000008u:
		/* The host's physical address bits; no long mode: 32-bit linear. */
		*r = (struct pvmx_cpuid_leaf){ .a = (r->a & 0xFF) | (32 << 8), .b = r->b & PV_E8B };
		break;
	}
}
