// SPDX-License-Identifier: GPL-2.0
/*
 * cpuid: the CPUID policy a PV guest sees (Documentation/guest-abi.rst):
 * Xen's leaves at 0x40000000, the hypervisor bit, VMX and everything XSAVE
 * manages hidden, leaf 0xD empty, ordinary leaves passed through, and CPUID
 * itself behaving like one instruction (EBP/ESP/ESI/EDI kept, EIP advanced
 * exactly past it).
 */
#include "runtime.h"

#define BIT(n)	(1u << (n))

struct regs {
	u32 a, b, c, d;
};

static struct regs cpuid(u32 leaf, u32 subleaf)
{
	struct regs r;

	asm volatile("cpuid"
		     : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
		     : "a"(leaf), "c"(subleaf)
		     : "memory");
	return r;
}

/* Xen's forced-emulation prefix, `ud2; .ascii "xen"; cpuid`: the hypervisor's CPUID. */
static struct regs forced_cpuid(u32 leaf, u32 subleaf)
{
	struct regs r;

	asm volatile(".byte 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2"
		     : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
		     : "a"(leaf), "c"(subleaf)
		     : "memory");
	return r;
}

static int expect(const char *what, struct regs got, struct regs want)
{
	if (got.a == want.a && got.b == want.b && got.c == want.c && got.d == want.d)
		return 1;
	test_diag("  %s: eax %08x ebx %08x ecx %08x edx %08x, want %08x %08x %08x %08x",
		  what, got.a, got.b, got.c, got.d, want.a, want.b, want.c, want.d);
	return 0;
}

/*
 * cpuid_probe(): CPUID leaf 0 with EBP, ESI, EDI set to markers; the
 * instruction after it increments `cpuid_counter` (it must run once) and the
 * registers are stored for the C side to compare.
 */
u32 cpuid_counter, cpuid_esp_before, cpuid_esp_after, cpuid_ebp_after;
u32 cpuid_esi_after, cpuid_edi_after, cpuid_after_marker;
void cpuid_probe(void);
asm(".text\n"
    ".globl cpuid_probe\n"
    "cpuid_probe:\n"
    "	push %ebp\n"
    "	push %ebx\n"
    "	push %esi\n"
    "	push %edi\n"
    "	mov $0x5A5A1234, %ebp\n"
    "	mov $0x0E51E51E, %esi\n"
    "	mov $0x0ED10ED1, %edi\n"
    "	mov %esp, cpuid_esp_before\n"
    "	xor %eax, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	incl cpuid_counter\n"
    "	mov %esp, cpuid_esp_after\n"
    "	mov %ebp, cpuid_ebp_after\n"
    "	mov %esi, cpuid_esi_after\n"
    "	mov %edi, cpuid_edi_after\n"
    "	movl $0xC0FFEE, cpuid_after_marker\n"
    "	pop %edi\n"
    "	pop %esi\n"
    "	pop %ebx\n"
    "	pop %ebp\n"
    "	ret\n");

void test_main(void)
{
	struct regs r;
	long ver;
	int ok;

	test_plan(13);

	r = cpuid(0x40000000, 0);
	expect("leaf 0x40000000", r,
	       (struct regs){ 0x40000002, 0x566e6558, 0x65584d4d, 0x4d4d566e });
	CHECK(r.a == 0x40000002, "xen_leaf_max_0x40000002");
	{
		char sig[13];

		memcpy(sig, &r.b, 4);
		memcpy(sig + 4, &r.c, 4);
		memcpy(sig + 8, &r.d, 4);
		sig[12] = 0;
		test_diag("hypervisor signature \"%s\"", sig);
		CHECK(!memcmp(sig, "XenVMMXenVMM", 12), "xen_signature_XenVMMXenVMM");
	}

	ver = xen_version(XENVER_version, NULL);
	r = cpuid(0x40000001, 0);
	test_diag("leaf 0x40000001 eax 0x%x, XENVER_version 0x%x", r.a, (u32)ver);
	CHECK(ver > 0 && r.a == (u32)ver, "xen_leaf_version_matches_xen_version");

	r = cpuid(0x40000002, 0);
	CHECK(r.a == 1 && r.b == 0x40000000, "xen_leaf_hypercall_page_count_and_msr");
	if (r.a != 1 || r.b != 0x40000000)
		test_diag("  leaf 0x40000002: eax 0x%x ebx 0x%x, want 1 0x40000000", r.a, r.b);

	r = cpuid(1, 0);
	test_diag("leaf 1: ecx 0x%08x edx 0x%08x", r.c, r.d);
	CHECK(r.c & BIT(31), "leaf1_hypervisor_bit_set");
	CHECK(!(r.c & BIT(5)), "leaf1_vmx_hidden");
	ok = !(r.c & (BIT(26) | BIT(27) | BIT(28)));
	if (!ok)
		test_diag("  XSAVE %u OSXSAVE %u AVX %u", !!(r.c & BIT(26)),
			  !!(r.c & BIT(27)), !!(r.c & BIT(28)));
	CHECK(ok, "leaf1_xsave_osxsave_avx_hidden");

	r = cpuid(7, 0);
	test_diag("leaf 7.0: ebx 0x%08x ecx 0x%08x edx 0x%08x", r.b, r.c, r.d);
	CHECK(!(r.b & (BIT(5) | BIT(16))), "leaf7_avx2_avx512f_hidden");

	CHECK(expect("leaf 0xD.0", cpuid(0xD, 0), (struct regs){ 0, 0, 0, 0 }) &
	      expect("leaf 0xD.1", cpuid(0xD, 1), (struct regs){ 0, 0, 0, 0 }) &
	      expect("leaf 0xD.2", cpuid(0xD, 2), (struct regs){ 0, 0, 0, 0 }),
	      "leaf_0xd_all_zero");

	r = cpuid(0, 0);
	{
		char vendor[13];

		memcpy(vendor, &r.b, 4);
		memcpy(vendor + 4, &r.d, 4);
		memcpy(vendor + 8, &r.c, 4);
		vendor[12] = 0;
		test_diag("leaf 0: max %u vendor \"%s\"", r.a, vendor);
		CHECK(r.a >= 7 && r.b != 0 && r.c != 0 && r.d != 0, "leaf0_vendor_passed_through");
	}

	cpuid_counter = 0;
	cpuid_after_marker = 0;
	cpuid_probe();
	ok = cpuid_esp_after == cpuid_esp_before && cpuid_ebp_after == 0x5A5A1234u &&
	     cpuid_esi_after == 0x0E51E51Eu && cpuid_edi_after == 0x0ED10ED1u;
	if (!ok)
		test_diag("  esp 0x%x -> 0x%x, ebp 0x%x esi 0x%x edi 0x%x after cpuid",
			  cpuid_esp_before, cpuid_esp_after, cpuid_ebp_after,
			  cpuid_esi_after, cpuid_edi_after);
	CHECK(ok, "cpuid_preserves_ebp_esp_esi_edi");
	if (cpuid_counter != 1 || cpuid_after_marker != 0xC0FFEE)
		test_diag("  the instruction after cpuid ran %u times, marker 0x%x",
			  cpuid_counter, cpuid_after_marker);
	CHECK(cpuid_counter == 1 && cpuid_after_marker == 0xC0FFEE, "cpuid_eip_advances_once");

	/* Emulated (not a #UD), the same policy, and execution goes on after it. */
	CHECK(expect("forced 0x40000000", forced_cpuid(0x40000000, 0), cpuid(0x40000000, 0)) &
	      expect("forced leaf 1", forced_cpuid(1, 0), cpuid(1, 0)),
	      "forced_emulation_prefix_cpuid");
}
