// SPDX-License-Identifier: GPL-2.0
/*
 * cpuid: the CPUID policy a PV guest sees (Documentation/guest-abi.rst):
 * Xen's leaves at 0x40000000, the hypervisor bit, what Xen's PV policy
 * hides (VME, PSE, MTRR, PGE, PSE36, VMX, long mode, everything XSAVE
 * manages), leaf 0xD empty, the vendor passed through, and CPUID itself
 * behaving like one instruction (EBP/ESP/ESI/EDI kept, EIP advanced exactly
 * past it).  Then CPUID faulting as Xen offers it on Intel: PLATFORM_INFO
 * bit 31, MISC_FEATURES_ENABLES bit 0; when on, CPUID and the forced-
 * emulation CPUID from ring 3 raise #GP(0), from the ring-1 kernel they work.
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

/* ---- CPUID faulting ------------------------------------------------------- */

/* rdmsr/wrmsr that come back with a #GP noted instead of ending the guest. */
u64 msr_read(u32 msr);
u32 msr_write(u32 msr, u32 lo, u32 hi);	/* 0, or 1 after a #GP */
extern u8 msr_read_fault[], msr_write_fault[];
asm(".text\n"
    ".globl msr_read, msr_write, msr_read_fault, msr_write_fault\n"
    "msr_read:\n"
    "	mov 4(%esp), %ecx\n"
    "	rdmsr\n"
    "	ret\n"
    "msr_read_fault:\n"
    "	mov $0xdead, %eax\n"
    "	mov $0xdead, %edx\n"
    "	ret\n"
    "msr_write:\n"
    "	mov 4(%esp), %ecx\n"
    "	mov 8(%esp), %eax\n"
    "	mov 12(%esp), %edx\n"
    "	wrmsr\n"
    "	xor %eax, %eax\n"
    "	ret\n"
    "msr_write_fault:\n"
    "	mov $1, %eax\n"
    "	ret\n");

#define MSR_PLATFORM_INFO	0xCEu
#define MSR_MISC_FEATURES	0x140u
#define PTE_USER_RW		0x67u	/* P | RW | US | A | D */

/*
 * Leaf 4's cores per package and threads sharing a cache never exceed leaf
 * 1's logical processors (EBX[23:16] with HTT, else 1): the rig's Bochs
 * Haswell shows 1 and 8, and Linux 4.19 then finds zero SMT siblings and
 * never onlines CPU 1 (Documentation/guest-abi.rst, CPUID).
 */
static void cache_topology_fits(struct regs l1)
{
	u32 lp = (l1.d & BIT(28)) && ((l1.b >> 16) & 0xFF) ? (l1.b >> 16) & 0xFF : 1;
	struct regs r;
	u32 i, bad = 0;

	for (i = 0; i < 6; i++) {
		r = cpuid(4, i);
		if (!(r.a & 0x1F))
			break;
		if ((r.a >> 26) + 1 > lp || ((r.a >> 14) & 0xFFF) + 1 > lp) {
			test_diag("  leaf 4.%u eax 0x%08x, leaf 1 logical processors %u",
				  i, r.a, lp);
			bad++;
		}
	}
	CHECK(!bad, "leaf4_topology_within_leaf1_logical_processors");
}

static u64 rdmsr_gp(u32 msr, int *gp)
{
	u32 before = trap_count;
	u64 v;

	trap_resume[13] = (u32)msr_read_fault;
	v = msr_read(msr);
	trap_resume[13] = 0;
	*gp = trap_count != before;
	return v;
}

static int wrmsr_ok(u32 msr, u64 v)
{
	u32 r;

	trap_resume[13] = (u32)msr_write_fault;
	r = msr_write(msr, (u32)v, (u32)(v >> 32));
	trap_resume[13] = 0;
	return !r;
}

/*
 * Ring 3: CPUID leaf 0, then the forced-emulation CPUID, each result stored
 * in user_data; ud2 ends it.  A #GP resumes after the faulting instruction.
 */
static u8 user_stack[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static volatile u32 user_data[PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));
static u8 kstack[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
extern u8 user_text_start[], user_text_end[];
extern u8 u_entry[], u_cpuid[], u_cpuid_after[], u_fep[], u_fep_cpuid[], u_fep_after[];
asm(".pushsection .user_text, \"ax\"\n"
    ".globl u_entry, u_cpuid, u_cpuid_after, u_fep, u_fep_cpuid, u_fep_after\n"
    "u_entry:\n"
    "	xor %ecx, %ecx\n"
    "	mov $0x40000000, %eax\n"
    "u_cpuid:	cpuid\n"
    "u_cpuid_after:\n"
    "	mov %eax, user_data\n"
    "	mov $0x40000000, %eax\n"
    "u_fep:	.byte 0x0f, 0x0b, 0x78, 0x65, 0x6e\n"
    "u_fep_cpuid:	cpuid\n"
    "u_fep_after:\n"
    "	mov %eax, user_data + 4\n"
    "	ud2\n"
    ".popsection\n");

static struct {
	u32 traps, vector, ec, eip;
} r3[2];

static void r3_hook(u32 vec, u32 *frame)
{
	u32 o = vec == 13 ? 1 : 0, i;

	frame[o + 2] &= ~EFLAGS_IF;
	if (vec == 6) {
		frame[0] = (u32)ring3_exit;
		frame[1] = FLAT_RING1_CS;
		return;
	}
	i = frame[o] == (u32)u_cpuid ? 0 : 1;
	r3[i].traps++;
	r3[i].vector = vec;
	r3[i].ec = o ? frame[0] : ~0u;
	r3[i].eip = frame[o];
	frame[o] = i ? (u32)u_fep_after : (u32)u_cpuid_after;
}

static void run_ring3(void)
{
	memset(r3, 0, sizeof(r3));
	user_data[0] = user_data[1] = 0;
	trap_hook = r3_hook;
	enter_ring3(u_entry, (u32)user_stack + PAGE_SIZE);
	trap_hook = NULL;
}

static int r3_ran(u32 want)
{
	if (!r3[0].traps && !r3[1].traps && user_data[0] == want && user_data[1] == want)
		return 1;
	test_diag("  ring 3: %u/%u traps, eax 0x%x/0x%x, want 0x%x", r3[0].traps,
		  r3[1].traps, user_data[0], user_data[1], want);
	return 0;
}

static int r3_gp(u32 i, const u8 *insn)
{
	if (r3[i].traps == 1 && r3[i].vector == 13 && r3[i].ec == 0 && r3[i].eip == (u32)insn)
		return 1;
	test_diag("  ring 3 %s: %u traps, vector %u, error code 0x%x, eip 0x%x (want 0x%x)",
		  i ? "forced cpuid" : "cpuid", r3[i].traps, r3[i].vector, r3[i].ec,
		  r3[i].eip, (u32)insn);
	return 0;
}

static struct xen_trap_info table[] = {
	{ 6, 0, FLAT_RING1_CS, (u32)trap_stub_6 },
	{ 13, 0, FLAT_RING1_CS, (u32)trap_stub_13 },
	{ 0, 0, 0, 0 },
};

static int map_user(u32 va)
{
	return !update_va_mapping(va, ((u64)va_to_mfn((void *)va) << 12) | PTE_USER_RW,
				  UVMF_INVLPG);
}

static void cpuid_faulting(void)
{
	u32 va, want = cpuid(0x40000000, 0).a;
	u64 v;
	int ok, gp;

	ok = !set_trap_table(table) && !stack_switch(FLAT_RING1_SS, (u32)kstack + sizeof(kstack));
	for (va = (u32)user_text_start; va < (u32)user_text_end; va += PAGE_SIZE)
		ok &= map_user(va);
	ok &= map_user((u32)user_stack) && map_user((u32)user_data);
	CHECK(ok, "faulting_setup_traps_and_user_pages");

	run_ring3();
	CHECK(r3_ran(want), "ring3_cpuid_and_forced_cpuid_run_without_faulting");

	v = rdmsr_gp(MSR_PLATFORM_INFO, &gp);
	if (!CHECK(!gp && v == 0x80000000ull, "platform_info_cpuid_faulting_only"))
		test_diag("  PLATFORM_INFO 0x%x%08x, #GP %d", (u32)(v >> 32), (u32)v, gp);
	CHECK(!wrmsr_ok(MSR_PLATFORM_INFO, v), "platform_info_write_gp");
	v = rdmsr_gp(MSR_MISC_FEATURES, &gp);
	CHECK(!gp && v == 0, "misc_features_enables_starts_0");
	CHECK(!wrmsr_ok(MSR_MISC_FEATURES, 2), "misc_features_reserved_bit_gp");
	CHECK(wrmsr_ok(MSR_MISC_FEATURES, 1), "misc_features_enable_cpuid_faulting");
	v = rdmsr_gp(MSR_MISC_FEATURES, &gp);
	CHECK(!gp && v == 1, "misc_features_reads_back_1");

	/* The kernel's CPUID, plain and forced, still works. */
	CHECK(cpuid(0x40000000, 0).a == want && forced_cpuid(0x40000000, 0).a == want,
	      "faulting_ring1_cpuid_and_forced_cpuid_work");
	run_ring3();
	CHECK(r3_gp(0, u_cpuid), "faulting_ring3_cpuid_gp0");
	CHECK(r3_gp(1, u_fep_cpuid), "faulting_ring3_forced_cpuid_gp0_at_cpuid");
	/* Not executed: EAX still holds the leaf number. */
	if (!CHECK(user_data[0] == 0x40000000 && user_data[1] == 0x40000000,
		   "faulting_ring3_cpuid_eax_untouched"))
		test_diag("  eax after: 0x%x / 0x%x", user_data[0], user_data[1]);

	CHECK(wrmsr_ok(MSR_MISC_FEATURES, 0), "misc_features_disable_cpuid_faulting");
	run_ring3();
	CHECK(r3_ran(want), "ring3_cpuid_runs_again");
	CHECK_EQ(read_cs(), FLAT_RING1_CS, "back_in_ring1");
}

void test_main(void)
{
	struct regs r;
	long ver;
	int ok;
	u32 first_before, first_after, first_ebp;

	/*
	 * The guest's very first VM exit, before any hypercall: a CPUID, which
	 * the run loop's fast exit handles without reading ESP and EFLAGS back.
	 * The entry after it must not write back the stale copies it started
	 * the stretch with (the stack would jump back to the boot stack).
	 */
	cpuid_probe();
	first_before = cpuid_esp_before;
	first_after = cpuid_esp_after;
	first_ebp = cpuid_ebp_after;

	test_plan(39);
	if (first_after != first_before || first_ebp != 0x5A5A1234u)
		test_diag("  first exit: esp 0x%x -> 0x%x, ebp 0x%x", first_before, first_after,
			  first_ebp);
	CHECK(first_after == first_before && first_ebp == 0x5A5A1234u,
	      "first_exit_cpuid_keeps_esp_ebp");

	r = cpuid(0x40000000, 0);
	expect("leaf 0x40000000", r,
	       (struct regs){ 0x40000005, 0x566e6558, 0x65584d4d, 0x4d4d566e });
	CHECK(r.a == 0x40000005, "xen_leaf_max_0x40000005");
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
	CHECK(r.c == 1, "xen_leaf_mmu_pt_update_preserve_ad");
	r = cpuid(0x40000003, 0);
	test_diag("leaf 0x40000003: flags 0x%x tsc_mode %u tsc_khz %u", r.a, r.b, r.c);
	CHECK((r.a & 2) && r.b == 0 && r.c > 1000, "xen_time_leaf_reliable_native_khz");
	r = cpuid(0x40000005, 0);
	CHECK(r.b >= 20 && r.b <= 36, "xen_leaf_machine_address_width");
	CHECK(expect("leaf 0x40000100", cpuid(0x40000100, 0), (struct regs){ 0, 0, 0, 0 }),
	      "no_viridian_leaves");

	r = cpuid(1, 0);
	test_diag("leaf 1: ecx 0x%08x edx 0x%08x", r.c, r.d);
	CHECK(r.c & BIT(31), "leaf1_hypervisor_bit_set");
	CHECK(!(r.c & BIT(5)), "leaf1_vmx_hidden");
	/* Issue 13: with these a PV Linux builds mappings it must not. */
	ok = !(r.d & (BIT(1) | BIT(3) | BIT(12) | BIT(13) | BIT(17)));
	if (!ok)
		test_diag("  VME %u PSE %u MTRR %u PGE %u PSE36 %u", !!(r.d & BIT(1)),
			  !!(r.d & BIT(3)), !!(r.d & BIT(12)), !!(r.d & BIT(13)),
			  !!(r.d & BIT(17)));
	CHECK(ok, "leaf1_vme_pse_mtrr_pge_pse36_hidden");
	CHECK((r.d & (BIT(0) | BIT(6) | BIT(24) | BIT(25))) == (BIT(0) | BIT(6) | BIT(24) | BIT(25)),
	      "leaf1_fpu_pae_fxsr_sse_shown");
	CHECK(!(r.b >> 24), "leaf1_no_apic_id");
	ok = !(r.c & (BIT(26) | BIT(27) | BIT(28)));
	if (!ok)
		test_diag("  XSAVE %u OSXSAVE %u AVX %u", !!(r.c & BIT(26)),
			  !!(r.c & BIT(27)), !!(r.c & BIT(28)));
	CHECK(ok, "leaf1_xsave_osxsave_avx_hidden");
	cache_topology_fits(r);

	r = cpuid(7, 0);
	test_diag("leaf 7.0: ebx 0x%08x ecx 0x%08x edx 0x%08x", r.b, r.c, r.d);
	CHECK(!(r.b & (BIT(5) | BIT(16))), "leaf7_avx2_avx512f_hidden");

	CHECK(expect("leaf 0xD.0", cpuid(0xD, 0), (struct regs){ 0, 0, 0, 0 }) &
	      expect("leaf 0xD.1", cpuid(0xD, 1), (struct regs){ 0, 0, 0, 0 }) &
	      expect("leaf 0xD.2", cpuid(0xD, 2), (struct regs){ 0, 0, 0, 0 }),
	      "leaf_0xd_all_zero");

	r = cpuid(0x80000001, 0);
	test_diag("leaf 0x80000001: ecx 0x%08x edx 0x%08x", r.c, r.d);
	CHECK(!(r.d & (BIT(11) | BIT(26) | BIT(29))), "leaf_80000001_no_lm_syscall_1gb");
	CHECK(expect("leaf 0xB", cpuid(0xB, 0), (struct regs){ 0, 0, 0, 0 }) &
	      expect("leaf 0xA", cpuid(0xA, 0), (struct regs){ 0, 0, 0, 0 }),
	      "topology_and_pmu_leaves_empty");

	r = cpuid(0, 0);
	{
		char vendor[13];

		memcpy(vendor, &r.b, 4);
		memcpy(vendor + 4, &r.d, 4);
		memcpy(vendor + 8, &r.c, 4);
		vendor[12] = 0;
		test_diag("leaf 0: max %u vendor \"%s\"", r.a, vendor);
		CHECK(r.a >= 7 && r.a <= 0xD && r.b != 0 && r.c != 0 && r.d != 0,
		      "leaf0_vendor_passed_through_max_0xd");
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

	cpuid_faulting();
}
