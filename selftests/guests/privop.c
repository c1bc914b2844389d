// SPDX-License-Identifier: GPL-2.0
/*
 * privop: the privileged instructions Xen emulates for a ring-1 PV kernel
 * (Documentation/guest-abi.rst "Privileged instructions", "vm_assist",
 * "physdev_op"), and every refusal with Xen's exact result:
 *
 *   - in/out/ins/outs and cli/sti at virtual IOPL 0: #GP(0) through the
 *     trap table, EIP on the instruction, registers untouched;
 *   - PHYSDEVOP_set_iopl (4 -> -EINVAL; 1): then every in form reads all
 *     ones in its width, out is dropped, ins fills memory with ones, outs
 *     reads and drops, cli/sti are no-ops that leave the upcall mask alone;
 *   - hlt, invd, lock-prefixed ones: refused (#GP(0), #UD);
 *   - mov from CR0 (virtual TS), CR2 (last #PF), CR3 (rotated frame), CR4;
 *     mov to CR0 (only TS), CR3 with a frame not ours (#GP), clts;
 *   - rdmsr/wrmsr: the MSRs Xen lets a domU use, #GP for others; the
 *     hypercall-page MSR writes the hypercall page;
 *   - mov to/from DRn with Xen's checks; wbinvd a no-op;
 *   - vm_assist: writable_pagetables accepted, architectural_iopl honoured
 *     (kernel counts as CPL 0, IOPL shown in frames);
 *   - physdev_op answers for a domU, and physdev_op_compat.
 */
#include "runtime.h"

typedef u64 __attribute__((regparm(3))) (*priv_fn)(u32 eax, u32 edx, u32 ecx);

/*
 * One instruction as a function: EAX, EDX, ECX in, EDX:EAX out.  name_insn
 * is the instruction, name_after where a trap handler resumes.
 */
#define PRIV(name, text)						\
	asm(".text\n.globl " #name ", " #name "_insn, " #name "_after\n"	\
	    #name ":\n" #name "_insn:\n\t" text "\n"			\
	    #name "_after:\n\tret\n");					\
	extern u8 name##_insn[], name##_after[];			\
	u64 __attribute__((regparm(3))) name(u32 eax, u32 edx, u32 ecx)

/* The same for string instructions: EAX is the address (EDI or ESI), returned updated. */
#define PRIV_STR(name, reg, text)					\
	asm(".text\n.globl " #name ", " #name "_insn, " #name "_after\n"	\
	    #name ":\n\tpush %" reg "\n\tmov %eax, %" reg "\n"		\
	    #name "_insn:\n\t" text "\n"				\
	    #name "_after:\n\tmov %" reg ", %eax\n\tpop %" reg "\n\tret\n");	\
	extern u8 name##_insn[], name##_after[];			\
	u64 __attribute__((regparm(3))) name(u32 eax, u32 edx, u32 ecx)

PRIV(in_al_imm, "inb $0x80, %al");
PRIV(in_ax_imm, "inw $0x80, %ax");
PRIV(in_eax_imm, "inl $0x80, %eax");
PRIV(in_al_dx, "inb %dx, %al");
PRIV(in_ax_dx, "inw %dx, %ax");
PRIV(in_eax_dx, "inl %dx, %eax");
PRIV(out_al_imm, "outb %al, $0x80");
PRIV(out_ax_imm, "outw %ax, $0x80");
PRIV(out_eax_imm, "outl %eax, $0x80");
PRIV(out_al_dx, "outb %al, %dx");
PRIV(out_ax_dx, "outw %ax, %dx");
PRIV(out_eax_dx, "outl %eax, %dx");
PRIV_STR(rep_insb, "edi", "rep insb");
PRIV_STR(rep_insw, "edi", "rep insw");
PRIV_STR(insl, "edi", "insl");
PRIV_STR(rep_outsb, "esi", "rep outsb");
PRIV_STR(outsw, "esi", "outsw");
PRIV(cli_insn, "cli");
PRIV(sti_insn, "sti");
PRIV(hlt_insn, "hlt");
PRIV(invd_insn, "invd");
PRIV(wbinvd_insn, "wbinvd");
PRIV(clts_insn, "clts");
PRIV(lock_clts, ".byte 0xf0, 0x0f, 0x06");
PRIV(read_cr0, "mov %cr0, %eax");
PRIV(read_cr2, "mov %cr2, %eax");
PRIV(read_cr3, "mov %cr3, %eax");
PRIV(read_cr4, "mov %cr4, %eax");
PRIV(write_cr0, "mov %eax, %cr0");
PRIV(write_cr3, "mov %eax, %cr3");
PRIV(read_dr0, "mov %dr0, %eax");
PRIV(read_dr6, "mov %dr6, %eax");
PRIV(read_dr7, "mov %dr7, %eax");
PRIV(write_dr0, "mov %eax, %dr0");
PRIV(write_dr7, "mov %eax, %dr7");
PRIV(rdmsr_insn, "rdmsr");
PRIV(wrmsr_insn, "wrmsr");
PRIV(pf_read, "mov 0x40000000, %eax");

struct result {
	u64 ret;
	u32 traps, vector, ec, eip, eflags;
};

static struct result run(priv_fn fn, const u8 *after, u32 eax, u32 edx, u32 ecx)
{
	u32 before = trap_count;
	struct result r = { 0 };
	const volatile struct trap_record *t;

	trap_resume[6] = (u32)after;
	trap_resume[13] = (u32)after;
	trap_resume[14] = (u32)after;
	r.ret = fn(eax, edx, ecx);
	trap_resume[6] = 0;
	trap_resume[13] = 0;
	trap_resume[14] = 0;
	r.traps = trap_count - before;
	if (r.traps) {
		t = last_trap();
		r.vector = t->vector;
		r.ec = t->has_ec ? t->w[0] : 0;
		r.eip = t->w[t->has_ec];
		r.eflags = t->w[t->has_ec + 2];
	}
	return r;
}

#define RUN(name, a, d, c)	run(name, name##_after, a, d, c)

/* Ran without a trap. */
#define RAN(r)		((r).traps == 0)
static int gp(struct result r, const u8 *insn)
{
	if (r.traps == 1 && r.vector == 13 && r.ec == 0 && r.eip == (u32)insn)
		return 1;
	test_diag("  %u traps, vector %u, error code 0x%x, eip 0x%x (insn 0x%x)",
		  r.traps, r.vector, r.ec, r.eip, (u32)insn);
	return 0;
}

#define CHECK_GP(name, a, d, c, what)	\
	CHECK(gp(RUN(name, a, d, c), name##_insn), what)

static long physdev(u32 cmd, void *arg)
{
	return hypercall(__HYPERVISOR_physdev_op, cmd, arg, 0, 0, 0);
}

static long set_iopl(u32 iopl)
{
	u32 arg = iopl;

	return physdev(PHYSDEVOP_set_iopl, &arg);
}

static long vm_assist(u32 cmd, u32 type)
{
	return hypercall(__HYPERVISOR_vm_assist, cmd, type, 0, 0, 0);
}

static u64 rdmsr(u32 msr, struct result *r)
{
	*r = RUN(rdmsr_insn, 0, 0, msr);
	return r->ret;
}

static u8 buf[64];
static u8 hcall_page[4096] __attribute__((aligned(4096)));

static struct xen_trap_info table[] = {
	{ 6, 0, FLAT_RING1_CS, (u32)trap_stub_6 },
	{ 13, 0, FLAT_RING1_CS, (u32)trap_stub_13 },
	{ 14, 0, FLAT_RING1_CS, (u32)trap_stub_14 },
	{ 0, 0, 0, 0 },
};

static void io_refused(void)
{
	struct result r;

	r = RUN(in_al_imm, 0x12345678, 0, 0);
	CHECK(gp(r, in_al_imm_insn) && (u32)r.ret == 0x12345678, "in_iopl0_gp_eax_untouched");
	CHECK_GP(in_eax_dx, 0, 0x3f8, 0, "in_dx_iopl0_gp");
	CHECK_GP(out_al_imm, 0, 0, 0, "out_iopl0_gp");
	CHECK_GP(out_ax_dx, 0, 0x3f8, 0, "out_dx_iopl0_gp");
	r = RUN(rep_insb, (u32)buf, 0x80, 4);
	CHECK(gp(r, rep_insb_insn) && (u32)r.ret == (u32)buf && buf[0] == 0, "rep_insb_iopl0_gp");
	CHECK_GP(rep_outsb, (u32)buf, 0x80, 4, "rep_outsb_iopl0_gp");
	set_upcall_mask(0);
	CHECK_GP(cli_insn, 0, 0, 0, "cli_iopl0_gp");
	CHECK(upcall_mask() == 0, "cli_iopl0_mask_untouched");
	CHECK_GP(sti_insn, 0, 0, 0, "sti_iopl0_gp");
	set_upcall_mask(1);
}

static void io_allowed(void)
{
	struct result r;
	u32 i;

	CHECK_EQ(set_iopl(4), -XEN_EINVAL, "set_iopl_4_einval");
	CHECK_EQ(physdev(PHYSDEVOP_set_iopl, (void *)0x40000000), -XEN_EFAULT,
		 "set_iopl_bad_pointer_efault");
	CHECK_EQ(set_iopl(1), 0, "set_iopl_1");

	r = RUN(in_al_imm, 0x12345678, 0, 0);
	CHECK(RAN(r) && (u32)r.ret == 0x123456ff, "in_al_imm_reads_ff");
	r = RUN(in_ax_imm, 0x12345678, 0, 0);
	CHECK(RAN(r) && (u32)r.ret == 0x1234ffff, "in_ax_imm_reads_ffff");
	r = RUN(in_eax_imm, 0x12345678, 0, 0);
	CHECK(RAN(r) && (u32)r.ret == 0xffffffff, "in_eax_imm_reads_ffffffff");
	r = RUN(in_al_dx, 0, 0x3f8, 0);
	CHECK(RAN(r) && (u32)r.ret == 0xff, "in_al_dx_reads_ff");
	r = RUN(in_ax_dx, 0xabcd0000, 0x3fd, 0);
	CHECK(RAN(r) && (u32)r.ret == 0xabcdffff, "in_ax_dx_reads_ffff");
	r = RUN(in_eax_dx, 0, 0xcfc, 0);
	CHECK(RAN(r) && (u32)r.ret == 0xffffffff, "in_eax_dx_reads_ffffffff");
	CHECK(RAN(RUN(out_al_imm, 0x55, 0, 0)) && RAN(RUN(out_ax_imm, 0x55, 0, 0)) &&
	      RAN(RUN(out_eax_imm, 0x55, 0, 0)) && RAN(RUN(out_al_dx, 0x55, 0x80, 0)) &&
	      RAN(RUN(out_ax_dx, 0x55, 0x80, 0)) && RAN(RUN(out_eax_dx, 0x55, 0x80, 0)),
	      "out_all_forms_dropped");

	memset(buf, 0, sizeof(buf));
	r = RUN(rep_insb, (u32)buf, 0x80, 5);
	CHECK(RAN(r) && (u32)r.ret == (u32)buf + 5 && buf[4] == 0xff && buf[5] == 0,
	      "rep_insb_fills_ones");
	r = RUN(rep_insw, (u32)buf + 8, 0x80, 3);
	CHECK(RAN(r) && (u32)r.ret == (u32)buf + 14 && buf[13] == 0xff && buf[14] == 0,
	      "rep_insw_fills_ones");
	r = RUN(insl, (u32)buf + 16, 0x80, 0);
	CHECK(RAN(r) && (u32)r.ret == (u32)buf + 20 && buf[19] == 0xff && buf[20] == 0,
	      "insl_fills_ones");
	r = RUN(rep_outsb, (u32)buf, 0x80, 7);
	CHECK(RAN(r) && (u32)r.ret == (u32)buf + 7, "rep_outsb_dropped");
	r = RUN(outsw, (u32)buf, 0x80, 0);
	CHECK(RAN(r) && (u32)r.ret == (u32)buf + 2, "outsw_dropped");
	/* A long rep continues across exits. */
	memset(hcall_page, 0, sizeof(hcall_page));
	r = RUN(rep_insb, (u32)hcall_page, 0x80, 1000);
	for (i = 0; i < 1000 && hcall_page[i] == 0xff; i++)
		;
	CHECK(RAN(r) && (u32)r.ret == (u32)hcall_page + 1000 && i == 1000 && hcall_page[1000] == 0,
	      "rep_insb_1000_bytes");
	/* ins into memory it cannot write: #PF, not #GP. */
	r = RUN(rep_insb, 0x40000000, 0x80, 4);
	CHECK(r.traps == 1 && r.vector == 14 && r.eip == (u32)rep_insb_insn &&
	      last_trap()->cr2 == 0x40000000 && (r.ec & 2), "rep_insb_unmapped_pf_write");

	set_upcall_mask(0);
	r = RUN(cli_insn, 0, 0, 0);
	CHECK(RAN(r) && upcall_mask() == 0, "cli_iopl1_noop_mask_untouched");
	set_upcall_mask(1);
	r = RUN(sti_insn, 0, 0, 0);
	CHECK(RAN(r) && upcall_mask() == 1, "sti_iopl1_noop_mask_untouched");
	CHECK_EQ(set_iopl(0), 0, "set_iopl_0");
	CHECK_GP(in_al_imm, 0, 0, 0, "in_iopl0_again_gp");
}

static void refused_instructions(void)
{
	struct result r;

	CHECK_GP(hlt_insn, 0, 0, 0, "hlt_gp_as_xen");
	CHECK_GP(invd_insn, 0, 0, 0, "invd_gp");
	CHECK(RAN(RUN(wbinvd_insn, 0, 0, 0)), "wbinvd_noop");
	r = RUN(lock_clts, 0, 0, 0);
	CHECK(r.traps == 1 && r.vector == 6 && r.eip == (u32)lock_clts_insn, "lock_clts_ud");
}

static void control_registers(void)
{
	u32 mfn = va_to_mfn((void *)start_info->pt_base);
	struct result r;

	r = RUN(read_cr0, 0, 0, 0);
	CHECK(RAN(r) && (u32)r.ret == 0x80050033, "cr0_reads_host_bits_ts_clear");
	fpu_taskswitch(1);
	r = RUN(read_cr0, 0, 0, 0);
	CHECK(RAN(r) && (u32)r.ret == 0x8005003b, "cr0_shows_virtual_ts");
	CHECK(RAN(RUN(clts_insn, 0, 0, 0)) && (u32)RUN(read_cr0, 0, 0, 0).ret == 0x80050033,
	      "clts_clears_ts");
	CHECK(RAN(RUN(write_cr0, 0x8005003b, 0, 0)) &&
	      (u32)RUN(read_cr0, 0, 0, 0).ret == 0x8005003b, "mov_to_cr0_sets_ts");
	CHECK(RAN(RUN(write_cr0, 0x80050033, 0, 0)) &&
	      (u32)RUN(read_cr0, 0, 0, 0).ret == 0x80050033, "mov_to_cr0_clears_ts");
	CHECK_GP(write_cr0, 0x80050032, 0, 0, "mov_to_cr0_other_bits_gp");

	r = RUN(pf_read, 0, 0, 0);
	CHECK(r.traps == 1 && r.vector == 14 &&
	      (u32)RUN(read_cr2, 0, 0, 0).ret == 0x40000000, "cr2_reads_fault_address");
	r = RUN(read_cr3, 0, 0, 0);
	if (!CHECK(RAN(r) && (u32)r.ret == ((mfn << 12) | (mfn >> 20)),
		   "cr3_reads_rotated_l3_frame"))
		test_diag("  cr3 0x%x, L3 mfn 0x%x", (u32)r.ret, mfn);
	r = RUN(read_cr4, 0, 0, 0);
	CHECK(RAN(r) && (u32)r.ret == 0x660, "cr4_reads_pae_mce_osfxsr_osxmmexcpt");
	/* A frame that is not the guest's can never be a base pointer. */
	CHECK_GP(write_cr3, 0xfffff000, 0, 0, "mov_to_cr3_foreign_frame_gp");
}

static void debug_registers(void)
{
	struct result r;

	r = RUN(read_dr7, 0, 0, 0);
	CHECK(RAN(r) && (u32)r.ret == 0x400, "dr7_reads_0x400");
	r = RUN(read_dr6, 0, 0, 0);
	CHECK(RAN(r) && (u32)r.ret == 0xffff0ff0, "dr6_reads_0xffff0ff0");
	CHECK(RAN(RUN(write_dr0, 0x123000, 0, 0)) && (u32)RUN(read_dr0, 0, 0, 0).ret == 0x123000,
	      "dr0_write_read_back");
	CHECK_GP(write_dr0, 0xf6000000, 0, 0, "dr0_hypervisor_address_gp");
	CHECK_GP(write_dr7, 0x2000, 0, 0, "dr7_gd_gp");
	CHECK(RAN(RUN(write_dr7, 0, 0, 0)), "dr7_write_0");
}

static void msrs(void)
{
	struct result r;
	u64 v, t1, t2;

	v = rdmsr(0xc0000080, &r);
	CHECK(RAN(r) && !(v & ~0x800ull), "rdmsr_efer_nxe_at_most");
	CHECK(RAN(RUN(wrmsr_insn, (u32)v, 0, 0xc0000080)), "wrmsr_efer_same_value");
	CHECK_GP(wrmsr_insn, (u32)v ^ 1, 0, 0xc0000080, "wrmsr_efer_change_gp");
	v = rdmsr(0x277, &r);
	CHECK(RAN(r) && v == 0x0000050100070406ull, "rdmsr_pat_xen_value");
	v = rdmsr(0x1a0, &r);
	CHECK(RAN(r) && (v & 0x801800) == 0x801800 && !(v & 0x40080), "rdmsr_misc_enable_masked");
	v = rdmsr(0x345, &r);
	CHECK(RAN(r) && v == 0, "rdmsr_perf_capabilities_0");
	v = rdmsr(0xc1, &r);
	CHECK(RAN(r) && v == 0, "rdmsr_perfctr0_0_vpmu_off");
	t1 = rdmsr(0x10, &r);
	t2 = rdmsr(0x10, &r);
	CHECK(RAN(r) && t2 > t1, "rdmsr_tsc_advances");
	CHECK_GP(rdmsr_insn, 0, 0, 0x1b, "rdmsr_apic_base_gp");
	CHECK_GP(rdmsr_insn, 0, 0, 0xc0000100, "rdmsr_fs_base_gp");
	CHECK_GP(wrmsr_insn, 0, 0, 0x277, "wrmsr_pat_gp");
	CHECK(RAN(RUN(wrmsr_insn, 0, 0, 0x8b)), "wrmsr_ucode_rev_0");
	CHECK_GP(wrmsr_insn, 1, 0, 0x8b, "wrmsr_ucode_rev_1_gp");
	memset(hcall_page, 0, sizeof(hcall_page));
	r = RUN(wrmsr_insn, va_to_mfn(hcall_page) << 12, va_to_mfn(hcall_page) >> 20,
		0x40000000);
	CHECK(RAN(r) && !memcmp(hcall_page, hypercall_page, sizeof(hcall_page)),
	      "wrmsr_hypercall_page_msr_fills_page");
	CHECK_GP(wrmsr_insn, (va_to_mfn(hcall_page) << 12) | 1, 0, 0x40000000,
		 "wrmsr_hypercall_page_unaligned_gp");
}

static void assists(void)
{
	struct result r;

	/* Accepted (ptwr.c; guests/ptwr.c tests what it does), then off again. */
	CHECK_EQ(vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), 0,
		 "vm_assist_writable_pagetables");
	CHECK_EQ(vm_assist(VMASST_CMD_disable, VMASST_TYPE_writable_pagetables), 0,
		 "vm_assist_writable_pagetables_disable");
	CHECK_EQ(vm_assist(VMASST_CMD_enable, 6), -XEN_EINVAL, "vm_assist_type6_einval");
	CHECK_EQ(vm_assist(2, VMASST_TYPE_pae_extended_cr3), -XEN_ENOSYS,
		 "vm_assist_bad_cmd_enosys");
	CHECK_EQ(vm_assist(VMASST_CMD_enable, VMASST_TYPE_pae_extended_cr3), 0,
		 "vm_assist_pae_extended_cr3");
	CHECK_EQ(vm_assist(VMASST_CMD_enable, VMASST_TYPE_architectural_iopl), 0,
		 "vm_assist_architectural_iopl");
	/* The kernel now counts as CPL 0: IOPL 0 lets it reach ports. */
	r = RUN(in_al_imm, 0, 0, 0);
	CHECK(RAN(r) && (u32)r.ret == 0xff, "arch_iopl_kernel_in_at_iopl0");
	CHECK_EQ(set_iopl(2), 0, "set_iopl_2");
	r = RUN(hlt_insn, 0, 0, 0);
	CHECK(gp(r, hlt_insn_insn) && (r.eflags & 0x3000) == 0x2000, "arch_iopl_frame_shows_iopl");
	CHECK_EQ(vm_assist(VMASST_CMD_disable, VMASST_TYPE_architectural_iopl), 0,
		 "vm_assist_disable_architectural_iopl");
	r = RUN(hlt_insn, 0, 0, 0);
	CHECK(gp(r, hlt_insn_insn) && (r.eflags & 0x3000) == 0, "frame_iopl_0_without_assist");
	CHECK_EQ(set_iopl(0), 0, "set_iopl_0_again");
}

static void physdev_ops(void)
{
	u32 arg[9] = { 0 };
	u32 compat[4] = { PHYSDEVOP_set_iopl, 1, 0, 0 };

	CHECK_EQ(physdev(PHYSDEVOP_eoi, arg), -XEN_EINVAL, "physdev_eoi_einval");
	CHECK_EQ(physdev(PHYSDEVOP_irq_status_query, arg), -XEN_EINVAL,
		 "physdev_irq_status_query_einval");
	CHECK_EQ(physdev(PHYSDEVOP_map_pirq, arg), -XEN_EPERM, "physdev_map_pirq_eperm");
	CHECK_EQ(physdev(PHYSDEVOP_apic_read, arg), -XEN_EPERM, "physdev_apic_read_eperm");
	CHECK_EQ(physdev(PHYSDEVOP_get_free_pirq, arg), -XEN_ENOSPC,
		 "physdev_get_free_pirq_enospc");
	CHECK_EQ(physdev(99, arg), -XEN_ENOSYS, "physdev_unknown_enosys");
	CHECK_EQ(hypercall(__HYPERVISOR_physdev_op_compat, compat, 0, 0, 0, 0), 0,
		 "physdev_op_compat_set_iopl");
	CHECK(RAN(RUN(in_al_imm, 0, 0, 0)), "compat_set_iopl_took_effect");
	compat[0] = PHYSDEVOP_eoi;
	CHECK_EQ(hypercall(__HYPERVISOR_physdev_op_compat, compat, 0, 0, 0, 0), -XEN_EINVAL,
		 "physdev_op_compat_forwards_eoi");
	compat[0] = PHYSDEVOP_IRQ_UNMASK_NOTIFY;
	CHECK_EQ(hypercall(__HYPERVISOR_physdev_op_compat, compat, 0, 0, 0, 0), -XEN_ENOSYS,
		 "physdev_op_compat_irq_unmask_notify_enosys");
	set_iopl(0);
}


/* ---- ring 3: IOPL 3 needed for I/O and cli, never the kernel-only ones ---- */

#define PTE_USER_RW	0x67u	/* P | RW | US | A | D */

static u8 user_stack[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
volatile u32 user_data[PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));
static u8 kstack[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
#define KSTACK_TOP	((u32)kstack + sizeof(kstack))

/*
 * Ring-3 code: in, cli, mov %cr0, rdmsr, insb to a user page and to a
 * kernel page, then ud2 (back to ring 1).  user_data[0] gets EAX after the in.
 */
extern u8 user_text_start[], user_text_end[];
extern u8 user_entry[], u_in[], u_in_after[], u_cli[], u_cli_after[], u_cr0[],
	u_cr0_after[], u_rdmsr[], u_rdmsr_after[], u_ins[], u_ins_after[], u_insk[],
	u_insk_after[], u_ud[];
asm(".pushsection .user_text, \"ax\"\n"
    ".globl user_entry\n"
    "user_entry:\n"
    "	xor %eax, %eax\n	mov $0x80, %edx\n"
    "u_in:	inb $0x80, %al\n"
    "u_in_after:\n"
    "	mov %eax, user_data\n"
    "u_cli:	cli\n"
    "u_cli_after:\n"
    "u_cr0:	mov %cr0, %eax\n"
    "u_cr0_after:\n"
    "	mov $0xc0000080, %ecx\n"
    "u_rdmsr:	rdmsr\n"
    "u_rdmsr_after:\n"
    "	mov $user_data + 64, %edi\n"
    "u_ins:	insb\n"
    "u_ins_after:\n"
    "	mov $buf, %edi\n"
    "u_insk:	insb\n"
    "u_insk_after:\n"
    "u_ud:	ud2\n"
    ".popsection\n");

static const struct {
	const u8 *insn, *after;
} r3_sites[] = {
	{ u_in, u_in_after }, { u_cli, u_cli_after }, { u_cr0, u_cr0_after },
	{ u_rdmsr, u_rdmsr_after }, { u_ins, u_ins_after }, { u_insk, u_insk_after },
};

/* Record where each trap came from; resume after it; ud2 ends ring 3. */
static u32 r3_trapped[8], r3_vector[8], r3_ec[8];

static void r3_hook(u32 vec, u32 *frame)
{
	u32 o = (vec == 13 || vec == 14) ? 1 : 0, i;

	frame[o + 2] &= ~EFLAGS_IF;
	if (vec == 6) {
		frame[0] = (u32)ring3_exit;
		frame[1] = FLAT_RING1_CS;
		return;
	}
	for (i = 0; i < ARRAY_SIZE(r3_sites); i++) {
		if (frame[o] == (u32)r3_sites[i].insn) {
			r3_trapped[i]++;
			r3_vector[i] = vec;
			r3_ec[i] = o ? frame[0] : 0;
			frame[o] = (u32)r3_sites[i].after;
			return;
		}
	}
}

static int map_user(u32 va)
{
	u64 pte = ((u64)va_to_mfn((void *)va) << 12) | PTE_USER_RW;

	return update_va_mapping(va, pte, UVMF_INVLPG) == 0;
}

static void run_ring3(void)
{
	memset(r3_trapped, 0, sizeof(r3_trapped));
	memset(r3_vector, 0, sizeof(r3_vector));
	memset(r3_ec, 0, sizeof(r3_ec));
	user_data[0] = 0x12345678;
	user_data[16] = 0;
	buf[0] = 0;
	trap_hook = r3_hook;
	enter_ring3(user_entry, (u32)user_stack + PAGE_SIZE);
	trap_hook = NULL;
}

static int r3_gp(u32 i)
{
	if (r3_trapped[i] == 1 && r3_vector[i] == 13 && r3_ec[i] == 0)
		return 1;
	test_diag("  site %u: %u traps, vector %u, error code 0x%x", i, r3_trapped[i],
		  r3_vector[i], r3_ec[i]);
	return 0;
}

static void ring3(void)
{
	u32 va;
	int ok;

	for (ok = 1, va = (u32)user_text_start; va < (u32)user_text_end; va += PAGE_SIZE)
		ok &= map_user(va);
	ok &= map_user((u32)user_stack) && map_user((u32)user_data);
	CHECK(ok, "ring3_map_user_pages");
	CHECK_EQ(stack_switch(FLAT_RING1_SS, KSTACK_TOP), 0, "ring3_stack_switch");

	/* IOPL 1 is the kernel's: ring 3 gets #GP(0) for everything. */
	CHECK_EQ(set_iopl(1), 0, "ring3_set_iopl_1");
	run_ring3();
	CHECK(r3_gp(0) && user_data[0] == 0, "ring3_in_iopl1_gp");
	CHECK(r3_gp(1), "ring3_cli_iopl1_gp");
	CHECK(r3_gp(2) && r3_gp(3), "ring3_mov_cr0_rdmsr_gp");
	CHECK(r3_gp(4) && r3_gp(5) && user_data[16] == 0, "ring3_ins_iopl1_gp");

	/* IOPL 3: I/O and cli are allowed, the kernel-only ones still #GP. */
	CHECK_EQ(set_iopl(3), 0, "ring3_set_iopl_3");
	set_upcall_mask(1);
	run_ring3();
	CHECK(!r3_trapped[0] && user_data[0] == 0xff, "ring3_in_iopl3_reads_ff");
	CHECK(!r3_trapped[1] && upcall_mask() == 1, "ring3_cli_iopl3_noop");
	CHECK(r3_gp(2) && r3_gp(3), "ring3_iopl3_mov_cr0_rdmsr_still_gp");
	CHECK(!r3_trapped[4] && (user_data[16] & 0xff) == 0xff, "ring3_insb_user_page");
	CHECK(r3_trapped[5] == 1 && r3_vector[5] == 14 && r3_ec[5] == 7 && buf[0] == 0,
	      "ring3_insb_kernel_page_pf_uwp");
	CHECK_EQ(read_cs(), FLAT_RING1_CS, "ring3_back_in_ring1");
	CHECK_EQ(set_iopl(0), 0, "ring3_set_iopl_0");
}

void test_main(void)
{
	test_plan(104);
	CHECK(map_shared_info(), "map_shared_info");
	CHECK_EQ(set_trap_table(table), 0, "set_trap_table");
	io_refused();
	io_allowed();
	refused_instructions();
	control_registers();
	debug_registers();
	msrs();
	assists();
	physdev_ops();
	ring3();
}
