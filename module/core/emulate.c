// SPDX-License-Identifier: GPL-2.0
/*
 * Privileged-instruction emulation for a PV guest, after Xen's
 * xen/arch/x86/pv/emul-priv-op.c.  The guest kernel runs in ring 1 with the
 * real IOPL 0, so in/out, cli/sti, mov to and from control and debug
 * registers, clts, wbinvd, rdmsr and wrmsr raise #GP(0).  Xen decodes the
 * instruction and emulates the ones in its validate() list against the
 * vCPU's virtual state; everything else (hlt, invd, lgdt, ...) goes back
 * to the guest as the #GP it was.  Guest-visible rules, per instruction, are
 * in Documentation/guest-abi.rst ("Privileged instructions").
 *
 * Segments are taken as flat (base 0) for the data accesses of ins/outs:
 * the PV ABI's flat selectors are what guests use.  The instruction itself
 * is fetched at the code segment's base the back end passes in.
 */
#include "core.h"

/* Iterations of a rep ins/outs per exit; the guest re-executes the rest. */
#define EMUL_REP_BATCH		256

#define EFLAGS_DF	0x00000400u

/* What the guest reads in CR0: the host's bits with the virtual TS. */
#define CR0_PE		0x00000001u
#define CR0_MP		0x00000002u
#define CR0_TS		0x00000008u
#define CR0_ET		0x00000010u
#define CR0_NE		0x00000020u
#define CR0_WP		0x00010000u
#define CR0_AM		0x00040000u
#define CR0_PG		0x80000000u
#define GUEST_CR0	(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG)
/* Xen's PV_CR4_GUEST_VISIBLE_MASK as set on the host: PAE, MCE, OSFXSR, OSXMMEXCPT. */
#define GUEST_CR4	0x00000660u
/* The guest-controlled bits pvmx offers (Xen's PV_CR4_GUEST_MASK, policy permitting). */
#define CR4_DE		0x00000008u
#define GUEST_CR4_MASK	CR4_DE

/*
 * Debug registers (Xen's set_debugreg(), x86_adj_dr{6,7}_rsvd() for a
 * policy without RTM and bus-lock detection).
 */
#define DR6_FIXED_1	0xFFFF0FF0u
#define DR6_FIXED_0	0x00001000u
#define DR6_BS		0x00004000u
#define DR7_FIXED_1	0x00000400u
#define DR7_FIXED_0	0x0000D800u
#define DR7_GD		0x00002000u
#define DR7_ACTIVE	0x000000FFu
#define DR7_RW_IO	2u

/* MSR_DEBUGCTL: the bits Xen accepts (LBR, BTF); the rest are reserved. */
#define GUEST_MSR_IA32_DEBUGCTL		0x000001D9u
#define DEBUGCTL_LBR			0x00000001ULL
#define DEBUGCTL_BTF			0x00000002ULL

/* MSRs a PV domU may use (Xen's guest_{rd,wr}msr() and read/write_msr()). */
#define GUEST_MSR_IA32_TSC			0x00000010u
#define GUEST_MSR_IA32_PLATFORM_ID		0x00000017u
#define GUEST_MSR_IA32_UCODE_REV		0x0000008Bu
#define GUEST_MSR_INTEL_PLATFORM_INFO		0x000000CEu
#define GUEST_MSR_INTEL_MISC_FEATURES		0x00000140u
#define GUEST_MSR_IA32_MISC_ENABLE		0x000001A0u
#define GUEST_MSR_IA32_CR_PAT			0x00000277u
#define GUEST_MSR_IA32_PERF_CAPABILITIES	0x00000345u
#define GUEST_MSR_EFER			0xC0000080u
#define GUEST_MSR_TSC_AUX		0xC0000103u
#define GUEST_MSR_XEN_HYPERCALL_PAGE		0x40000000u

#define XEN_MSR_PAT			0x0000050100070406ULL
#define EFER_NXE			0x00000800ULL
#define MISC_ENABLE_PERF_AVAIL		BIT_ULL(7)
#define MISC_ENABLE_BTS_UNAVAIL		BIT_ULL(11)
#define MISC_ENABLE_PEBS_UNAVAIL	BIT_ULL(12)
#define MISC_ENABLE_MONITOR		BIT_ULL(18)
#define MISC_ENABLE_XTPR_DISABLE	BIT_ULL(23)
#define PLATFORM_INFO_CPUID_FAULTING	BIT_ULL(31)
#define MISC_FEATURES_CPUID_FAULTING	BIT_ULL(0)

/* ---- decoder -------------------------------------------------------------- */

int pvmx_decode_insn(const u8 *buf, u32 avail, struct pvmx_insn *insn)
{
	u32 i = 0, imm = 0;

	memset(insn, 0, sizeof(*insn));
	insn->op_bytes = 4;
	insn->ad_bytes = 4;
	for (;; i++) {
		if (i >= X86_MAX_INSN_LEN)
			return -XEN_EINVAL;
		if (i >= avail)
			return -XEN_EFAULT;
		switch (buf[i]) {
		case 0x66:
			insn->op_bytes = 2;
			continue;
		case 0x67:
			insn->ad_bytes = 2;
			continue;
		case 0xf0:
			insn->lock = true;
			continue;
		case 0xf2: case 0xf3:
			insn->rep = buf[i];
			continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
			insn->seg = buf[i];
			continue;
		}
		break;
	}

	insn->opcode = buf[i++];
	switch (insn->opcode) {
	case 0xe4 ... 0xe7:		/* in/out with an imm8 port */
		imm = 1;
		break;
	case 0x6c ... 0x6f:		/* ins, outs */
	case 0xec ... 0xef:		/* in/out with the port in dx */
	case 0xfa: case 0xfb:		/* cli, sti */
		break;
	case 0x0f:
		insn->twobyte = true;
		if (i >= avail)
			return -XEN_EFAULT;
		insn->opcode = buf[i++];
		switch (insn->opcode) {
		case 0x06:		/* clts */
		case 0x09:		/* wbinvd */
		case 0x30: case 0x31: case 0x32:	/* wrmsr, rdtsc, rdmsr */
			break;
		case 0x01:		/* only 0f 01 f9, rdtscp */
		case 0x20 ... 0x23:	/* mov to/from cr, dr: always register form */
			if (i >= avail)
				return -XEN_EFAULT;
			insn->modrm = buf[i++];
			if (insn->opcode == 0x01 && insn->modrm != 0xf9)
				return -XEN_EINVAL;
			break;
		default:
			return -XEN_EINVAL;
		}
		break;
	default:
		return -XEN_EINVAL;
	}
	if (imm) {
		if (i >= avail)
			return -XEN_EFAULT;
		insn->imm8 = buf[i++];
	}
	if (i > X86_MAX_INSN_LEN)
		return -XEN_EINVAL;
	insn->len = i;
	return 0;
}

/* ---- helpers -------------------------------------------------------------- */

static bool kernel_mode(const struct pvmx_vcpu_core *v)
{
	return (v->cpu.cs & 3) == 1;
}

bool pvmx_iopl_ok(const struct pvmx_vcpu_core *v)
{
	u32 cpl = 3;

	if (kernel_mode(v))
		cpl = (v->vm->vm_assist & BIT(VMASST_TYPE_architectural_iopl)) ? 0 : 1;
	return cpl <= v->iopl;
}

/* Xen's guest_io_okay(): the virtual IOPL, else the set_iobitmap bitmap. */
static bool io_allowed(const struct pvmx_vcpu_core *v, u32 port, u32 bytes)
{
	u8 map[2] = { 0xff, 0xff };
	u32 mask;

	if (pvmx_iopl_ok(v))
		return true;
	if (port + bytes > v->iobmp_limit)
		return false;
	/* Bytes of the bitmap the guest cannot supply count as "denied". */
	if (pvmx_copy_from_guest(v, map, v->iobmp + port / 8, 2)) {
		map[1] = 0xff;
		if (pvmx_copy_from_guest(v, map, v->iobmp + port / 8, 1))
			map[0] = 0xff;
	}
	mask = map[0] | ((u32)map[1] << 8);
	return !(mask & (((1u << bytes) - 1) << (port & 7)));
}

static enum pvmx_action reflect_gp(struct pvmx_vcpu_core *v)
{
	return pvmx_deliver_exception_locked(v, PVMX_TRAP_GP, true, 0);
}

/*
 * Past the instruction; then a #DB if an I/O breakpoint matched (bpmatch:
 * B0-B3) or single-stepping traps, as after a real instruction (Xen's
 * pv_emulate_privileged_op(): bpmatch | DR_STEP, one pv_inject_DB()).
 */
static enum pvmx_action retire_bp(struct pvmx_vcpu_core *v, u32 len, u32 bpmatch)
{
	v->cpu.eip += len;
	v->cpu.eflags &= ~PVMX_EFLAGS_RF;
	if (v->cpu.eflags & PVMX_EFLAGS_TF)
		bpmatch |= DR6_BS;
	if (bpmatch)
		return pvmx_deliver_db_locked(v, bpmatch);
	return PVMX_RESUME;
}

enum pvmx_action pvmx_insn_retire(struct pvmx_vcpu_core *v, u32 len)
{
	lockdep_assert_held(&v->vm->lock);
	return retire_bp(v, len, 0);
}

static enum pvmx_action done(struct pvmx_vcpu_core *v, const struct pvmx_insn *insn)
{
	return pvmx_insn_retire(v, insn->len);
}

/* Width of breakpoint i from its DR7 LEN field (Xen's x86_bp_width()). */
static u32 bp_width(u32 dr7, u32 i)
{
	static const u8 width[4] = { 1, 2, 8, 4 };

	return width[(dr7 >> (18 + 4 * i)) & 3];
}

/*
 * Xen's check_guest_io_breakpoint(): the enabled I/O breakpoints (with
 * CR4.DE) whose port range overlaps [port, port + len), as DR6 B0-B3.
 */
static u32 io_breakpoints(const struct pvmx_vcpu_core *v, u32 port, u32 len)
{
	u32 i, start, width, match = 0;

	if (!v->dr7_emul || !(v->cr4 & CR4_DE))
		return 0;
	for (i = 0; i < 4; i++) {
		if (!(v->dr7_emul & (3u << (2 * i))))
			continue;
		width = bp_width(v->dr[7], i);
		start = v->dr[i] & ~(width - 1);
		if (start < port + len && start + width > port)
			match |= 1u << i;
	}
	return match;
}

/* A data access of ins/outs faulted: #PF with the linear address, as the CPU would. */
static enum pvmx_action page_fault(struct pvmx_vcpu_core *v, u32 addr, bool write)
{
	bool user = (v->cpu.cs & 3) == 3;
	u64 gpa;
	u32 error = (write ? 2 : 0) | (user ? 4 : 0);

	if (!pvmx_gva_to_gpa(v, addr, false, &gpa))
		error |= 1;		/* present: a protection fault */
	WRITE_ONCE(pvmx_vcpu_info(v)->cr2, addr);
	return pvmx_deliver_exception_locked(v, PVMX_TRAP_PF, true, error);
}

static int data_access(struct pvmx_vcpu_core *v, u32 addr, void *buf, u32 len, bool write)
{
	if ((v->cpu.cs & 3) == 3 && pvmx_check_user_access(v, addr, len, write))
		return -XEN_EFAULT;
	return write ? pvmx_copy_to_guest(v, addr, buf, len) :
		       pvmx_copy_from_guest(v, buf, addr, len);
}

/* ---- in, out, ins, outs ----------------------------------------------------- */

/* No port is granted to a domU: reads float high (all ones), writes vanish. */
static void set_accumulator(struct pvmx_vcpu_core *v, u32 bytes, u32 value)
{
	unsigned long *eax = &v->cpu.gpr[PVMX_EAX];

	if (bytes == 1)
		*eax = (*eax & ~0xFFul) | (value & 0xFF);
	else if (bytes == 2)
		*eax = (*eax & ~0xFFFFul) | (value & 0xFFFF);
	else
		*eax = value;
}

static enum pvmx_action emulate_port_io(struct pvmx_vcpu_core *v, const struct pvmx_insn *insn)
{
	u32 bytes = (insn->opcode & 1) ? insn->op_bytes : 1;
	bool in = !(insn->opcode & 2);
	u32 port = insn->opcode < 0xec ? insn->imm8 : v->cpu.gpr[PVMX_EDX] & 0xFFFF;

	if (!io_allowed(v, port, bytes))
		return reflect_gp(v);
	if (in)
		set_accumulator(v, bytes, ~0u);
	return retire_bp(v, insn->len, io_breakpoints(v, port, bytes));
}

static void set_index(unsigned long *reg, u32 ad_mask, u32 value)
{
	*reg = (*reg & ~(unsigned long)ad_mask) | (value & ad_mask);
}

static enum pvmx_action emulate_string_io(struct pvmx_vcpu_core *v,
					  const struct pvmx_insn *insn)
{
	unsigned long *gpr = v->cpu.gpr;
	u32 bytes = (insn->opcode & 1) ? insn->op_bytes : 1;
	bool in = insn->opcode <= 0x6d;
	enum pvmx_gpr index = in ? PVMX_EDI : PVMX_ESI;
	u32 ad_mask = insn->ad_bytes == 2 ? 0xFFFF : 0xFFFFFFFF;
	u32 count = insn->rep ? gpr[PVMX_ECX] & ad_mask : 1;
	u32 step = (v->cpu.eflags & EFLAGS_DF) ? -bytes : bytes;
	u32 port = gpr[PVMX_EDX] & 0xFFFF;
	u32 n, addr, data, bpmatch;

	if (!io_allowed(v, port, bytes))
		return reflect_gp(v);
	bpmatch = io_breakpoints(v, port, bytes);
	for (n = 0; count && n < EMUL_REP_BATCH; n++) {
		addr = gpr[index] & ad_mask;
		data = ~0u;
		if (data_access(v, addr, &data, bytes, in))
			return page_fault(v, addr, in);
		set_index(&gpr[index], ad_mask, addr + step);
		count--;
		if (insn->rep)
			set_index(&gpr[PVMX_ECX], ad_mask, count);
		/* An I/O breakpoint traps after the iteration that hit it (Xen's rep_ins). */
		if (bpmatch)
			break;
	}
	/* A long rep stops here with EIP on it; the guest re-executes the rest. */
	if (count)
		return bpmatch ? pvmx_deliver_db_locked(v, bpmatch) : PVMX_RESUME;
	return retire_bp(v, insn->len, bpmatch);
}

/* ---- control and debug registers ------------------------------------------ */

static u32 guest_cr0(const struct pvmx_vcpu_core *v)
{
	return GUEST_CR0 | (v->fpu_ts ? CR0_TS : 0);
}

static void set_fpu_ts(struct pvmx_vcpu_core *v, bool ts)
{
	v->fpu_ts = ts;
	pvmx_arch_set_fpu_ts(v, ts);
}

/* Xen's read_cr(): 0 with *val, or -XEN_EINVAL (the #GP is reflected). */
static int read_cr(struct pvmx_vcpu_core *v, u32 reg, u32 *val)
{
	u32 mfn;

	switch (reg) {
	case 0:
		*val = guest_cr0(v);
		return 0;
	case 2:
		*val = READ_ONCE(pvmx_vcpu_info(v)->cr2);
		return 0;
	case 3:
		/* xen_pfn_to_cr3(): the frame number rotated left by 12. */
		mfn = v->cpu.cr3 >> PVMX_PAGE_SHIFT;
		*val = (mfn << 12) | (mfn >> 20);
		return 0;
	case 4:
		*val = GUEST_CR4 | v->cr4;
		return 0;
	default:
		return -XEN_EINVAL;
	}
}

static int write_cr(struct pvmx_vcpu_core *v, u32 reg, u32 val)
{
	switch (reg) {
	case 0:
		/* Only TS may change, as fpu_taskswitch. */
		if ((val ^ guest_cr0(v)) & ~CR0_TS)
			return -XEN_EINVAL;
		set_fpu_ts(v, val & CR0_TS);
		return 0;
	case 2:
		WRITE_ONCE(pvmx_vcpu_info(v)->cr2, val);
		return 0;
	case 3:
		/* xen_cr3_to_pfn(): rotate back; Xen's new_guest_cr3(), #GP on failure. */
		return pvmx_new_baseptr(v, (val >> 12) | (val << 20)) ? -XEN_EINVAL : 0;
	case 4:
		/*
		 * Xen's pv_fixup_guest_cr4(): any value is accepted; the host's
		 * bits stay, and of the guest-controlled ones (TSD, DE, FSGSBASE,
		 * OSXSAVE, as its policy permits) pvmx offers DE.
		 */
		v->cr4 = val & GUEST_CR4_MASK;
		return 0;
	default:
		return -XEN_EINVAL;
	}
}

/* Xen's x86emul_read_dr(). */
int pvmx_get_debugreg(struct pvmx_vcpu_core *v, u32 reg, u32 *val)
{
	switch (reg) {
	case 0 ... 3:
		*val = v->dr[reg];
		return 0;
	case 4:
		if (v->cr4 & CR4_DE)
			return -XEN_ENODEV;
		fallthrough;
	case 6:
		*val = v->dr[6] | DR6_FIXED_1;
		return 0;
	case 5:
		if (v->cr4 & CR4_DE)
			return -XEN_ENODEV;
		fallthrough;
	case 7:
		*val = v->dr[7] | v->dr7_emul | DR7_FIXED_1;
		return 0;
	default:
		return -XEN_ENODEV;
	}
}

/*
 * Xen's set_debugreg().  DR0-3 must lie below the hypervisor area (Xen's
 * 32-bit rule: pvmx's own pages are in the guest's address space); DR7 may
 * not set GD, and enabled I/O breakpoints need CR4.DE.  A refused write
 * changes nothing.  The values reach the CPU at the next VM entry
 * (pvmx_hw_dr7(), the back end).
 */
int pvmx_set_debugreg(struct pvmx_vcpu_core *v, u32 reg, u32 val)
{
	u32 i, io_enable = 0;

	switch (reg) {
	case 0 ... 3:
		if (val >= XEN_HYPERVISOR_VIRT_START)
			return -XEN_EPERM;
		v->dr[reg] = val;
		return 0;
	case 4:
		if (v->cr4 & CR4_DE)
			return -XEN_ENODEV;
		fallthrough;
	case 6:
		v->dr[6] = val & ~DR6_FIXED_0;
		return 0;
	case 5:
		if (v->cr4 & CR4_DE)
			return -XEN_ENODEV;
		fallthrough;
	case 7:
		val &= ~DR7_FIXED_0;
		if (val & DR7_GD)
			return -XEN_EPERM;
		/* DR7.{L,G}n all clear: nothing is checked, the value is kept as is. */
		if (val & DR7_ACTIVE) {
			for (i = 0; i < 4; i++) {
				if (((val >> (16 + 4 * i)) & 3) != DR7_RW_IO)
					continue;
				if (!(v->cr4 & CR4_DE))
					return -XEN_EPERM;
				io_enable |= val & (3u << (2 * i));
			}
		}
		v->dr7_emul = io_enable;
		v->dr[7] = (val & ~io_enable) & ~DR7_FIXED_1;
		return 0;
	default:
		return -XEN_ENODEV;
	}
}

/*
 * What the CPU's DR7 holds while the guest runs: the guest's value without
 * its I/O breakpoints (they are emulated; the CPU runs the guest with
 * CR4.DE clear, where R/W = 10 is undefined), so their R/W and LEN fields
 * are cleared too.
 */
u32 pvmx_hw_dr7_slow(const struct pvmx_vcpu_core *v)
{
	u32 dr7 = v->dr[7] | DR7_FIXED_1;
	u32 i;

	for (i = 0; i < 4; i++)
		if (((dr7 >> (16 + 4 * i)) & 3) == DR7_RW_IO)
			dr7 &= ~((3u << (2 * i)) | (0xFu << (16 + 4 * i)));
	return dr7;
}

bool pvmx_debug_context_ok(const u32 debugreg[8])
{
	u32 i;

	for (i = 0; i < 4; i++)
		if (debugreg[i] >= XEN_HYPERVISOR_VIRT_START)
			return false;
	return true;
}

/*
 * Xen's arch_set_info_guest() for a PV vCPU: the guest's CR4 bits as
 * pv_fixup_guest_cr4() keeps them, the debug registers reset and then
 * written through set_debugreg() (whose refusals are ignored; DR4/DR5 are
 * not used).
 */
void pvmx_load_debug_context(struct pvmx_vcpu_core *v, u32 cr4, const u32 debugreg[8])
{
	u32 i;

	v->cr4 = cr4 & GUEST_CR4_MASK;
	memset(v->dr, 0, sizeof(v->dr));
	v->dr7_emul = 0;
	for (i = 0; i < 4; i++)
		pvmx_set_debugreg(v, i, debugreg[i]);
	pvmx_set_debugreg(v, 6, debugreg[6]);
	pvmx_set_debugreg(v, 7, debugreg[7]);
}

/* set_debugreg (8): Xen's errors, -EPERM for a forbidden value, -ENODEV for #UD. */
long do_set_debugreg(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	return pvmx_set_debugreg(v, hc->arg[0], hc->arg[1]);
}

/* get_debugreg (9): the value itself (DR6/DR7 look negative), or -ENODEV. */
long do_get_debugreg(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 val;

	if (pvmx_get_debugreg(v, hc->arg[0], &val))
		return -XEN_ENODEV;
	return (long)(s32)val;
}

static enum pvmx_action emulate_mov_crdr(struct pvmx_vcpu_core *v,
					 const struct pvmx_insn *insn)
{
	u32 reg = (insn->modrm >> 3) & 7, rm = insn->modrm & 7;
	bool dr = insn->opcode & 1, to = insn->opcode & 2;
	u32 val = v->cpu.gpr[rm];
	int err;

	if (to)
		err = dr ? pvmx_set_debugreg(v, reg, val) : write_cr(v, reg, val);
	else
		err = dr ? pvmx_get_debugreg(v, reg, &val) : read_cr(v, reg, &val);
	/* Xen's x86emul_{read,write}_dr(): -ENODEV is #UD, anything else #GP(0). */
	if (err == -XEN_ENODEV && dr)
		return pvmx_deliver_exception_locked(v, PVMX_TRAP_UD, false, 0);
	if (err)
		return reflect_gp(v);
	if (!to)
		v->cpu.gpr[rm] = val;
	return done(v, insn);
}

/* ---- MSRs ------------------------------------------------------------------- */

static bool vpmu_msr(u32 msr)
{
	return (msr >= 0xC1 && msr <= 0xC8) ||		/* P6_PERFCTR0-7 */
	       (msr >= 0x186 && msr <= 0x18D) ||	/* P6_EVNTSEL0-7 */
	       (msr >= 0x309 && msr <= 0x30B) ||	/* CORE_PERF_FIXED_CTR0-2 */
	       (msr >= 0x38D && msr <= 0x390);		/* FIXED_CTR_CTRL..GLOBAL_OVF_CTRL */
}

static u64 guest_misc_enable(u64 host)
{
	host &= ~(MISC_ENABLE_PERF_AVAIL | MISC_ENABLE_MONITOR);
	return host | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL |
	       MISC_ENABLE_XTPR_DISABLE;
}

/* Xen's guest_efer() on Intel for a 32-bit guest: NXE is all that is left. */
static int guest_efer(u64 *val)
{
	if (pvmx_arch_read_host_msr(GUEST_MSR_EFER, val))
		return -XEN_EINVAL;
	*val &= EFER_NXE;
	return 0;
}

static int read_msr(struct pvmx_vcpu_core *v, u32 msr, u64 *val)
{
	struct pvmx_time_sample t;

	switch (msr) {
	case GUEST_MSR_IA32_TSC:
		pvmx_host_time(&t);
		*val = t.tsc;
		return 0;
	case GUEST_MSR_IA32_PLATFORM_ID:
	case GUEST_MSR_IA32_UCODE_REV:
		return pvmx_arch_read_host_msr(msr, val);
	case GUEST_MSR_INTEL_PLATFORM_INFO:
		/* Xen's policy: only CPUID_FAULTING, offered as every CPUID exits. */
		*val = PLATFORM_INFO_CPUID_FAULTING;
		return 0;
	case GUEST_MSR_INTEL_MISC_FEATURES:
		*val = v->cpuid_faulting ? MISC_FEATURES_CPUID_FAULTING : 0;
		return 0;
	case GUEST_MSR_IA32_PERF_CAPABILITIES:	/* no extra capabilities */
	case GUEST_MSR_XEN_HYPERCALL_PAGE:
		*val = 0;
		return 0;
	case GUEST_MSR_IA32_MISC_ENABLE:
		if (pvmx_arch_read_host_msr(msr, val))
			return -XEN_EINVAL;
		*val = guest_misc_enable(*val);
		return 0;
	case GUEST_MSR_IA32_CR_PAT:
		*val = XEN_MSR_PAT;
		return 0;
	case GUEST_MSR_IA32_DEBUGCTL:
		/* Xen's PV read of the hardware value: 0, Xen does not use LBR. */
		*val = 0;
		return 0;
	case GUEST_MSR_EFER:
		return guest_efer(val);
	case GUEST_MSR_TSC_AUX:
		/* Xen's guest_rdmsr(): only with RDTSCP or RDPID in the policy. */
		if (!v->vm->tsc_aux_msr)
			return -XEN_EINVAL;
		*val = v->tsc_aux;
		return 0;
	default:
		if (vpmu_msr(msr)) {		/* vPMU off: counters read 0 */
			*val = 0;
			return 0;
		}
		return -XEN_EINVAL;
	}
}

/* The hypercall page MSR: Xen's guest_wrmsr_xen() index 0. */
static int write_hypercall_page(struct pvmx_vcpu_core *v, u64 val)
{
	u64 gfn = val >> PVMX_PAGE_SHIFT;
	u8 *page;

	if (val & PVMX_PAGE_OFFSET_MASK || gfn >= v->vm->mem.nr_ram_frames)
		return -XEN_EINVAL;
	if (pvmx_get_page_type(v->vm, gfn, PVMX_PGT_WRITABLE))
		return -XEN_EINVAL;
	page = pvmx_gfn_to_host(&v->vm->mem, gfn);
	if (page)
		pvmx_fill_hypercall_page(page);
	pvmx_put_page_type(v->vm, gfn);
	return page ? 0 : -XEN_EINVAL;
}

static int write_msr(struct pvmx_vcpu_core *v, u32 msr, u64 val)
{
	u64 cur;

	switch (msr) {
	case GUEST_MSR_IA32_UCODE_REV:
		/* Intel's "write 0, cpuid, read" sequence; anything else #GP. */
		return val ? -XEN_EINVAL : 0;
	case GUEST_MSR_INTEL_MISC_FEATURES:
		/* Xen's guest_wrmsr(): every other bit is reserved. */
		if (val & ~MISC_FEATURES_CPUID_FAULTING)
			return -XEN_EINVAL;
		v->cpuid_faulting = val & MISC_FEATURES_CPUID_FAULTING;
		return 0;
	case GUEST_MSR_IA32_MISC_ENABLE:
		/* A different value is ignored (Xen logs it), not refused. */
		return 0;
	case GUEST_MSR_IA32_DEBUGCTL:
		/*
		 * Xen's reserved-bit check (only LBR and BTF may be set); what is
		 * left is dropped, as Xen's PV write_msr() dropped it, and reads
		 * stay 0.
		 */
		return (val & ~(DEBUGCTL_LBR | DEBUGCTL_BTF)) ? -XEN_EINVAL : 0;
	case GUEST_MSR_EFER:
		/* Linux writes the value back; changing it is refused. */
		if (guest_efer(&cur) || val != cur)
			return -XEN_EINVAL;
		return 0;
	case GUEST_MSR_XEN_HYPERCALL_PAGE:
		return write_hypercall_page(v, val);
	case GUEST_MSR_TSC_AUX:
		/* Xen's guest_wrmsr(): 32 bits; the back end loads it before entry. */
		if (!v->vm->tsc_aux_msr || val >> 32)
			return -XEN_EINVAL;
		v->tsc_aux = val;
		return 0;
	default:
		return vpmu_msr(msr) ? 0 : -XEN_EINVAL;	/* vPMU off: dropped */
	}
}

static enum pvmx_action emulate_msr(struct pvmx_vcpu_core *v, const struct pvmx_insn *insn)
{
	unsigned long *gpr = v->cpu.gpr;
	u32 msr = gpr[PVMX_ECX];
	u64 val;

	if (insn->opcode == 0x32) {
		if (read_msr(v, msr, &val))
			return reflect_gp(v);
		gpr[PVMX_EAX] = (u32)val;
		gpr[PVMX_EDX] = (u32)(val >> 32);
	} else {
		val = ((u64)(u32)gpr[PVMX_EDX] << 32) | (u32)gpr[PVMX_EAX];
		if (write_msr(v, msr, val))
			return reflect_gp(v);
	}
	return done(v, insn);
}

/* rdtsc/rdtscp reach here only if the TSC is made to fault; the host TSC, TSC_AUX 0. */
static enum pvmx_action emulate_rdtsc(struct pvmx_vcpu_core *v, const struct pvmx_insn *insn)
{
	struct pvmx_time_sample t;

	pvmx_host_time(&t);
	v->cpu.gpr[PVMX_EAX] = (u32)t.tsc;
	v->cpu.gpr[PVMX_EDX] = (u32)(t.tsc >> 32);
	if (insn->opcode == 0x01)
		v->cpu.gpr[PVMX_ECX] = 0;
	return done(v, insn);
}

/* ---- entry ------------------------------------------------------------------ */

u32 pvmx_insn_fetch(struct pvmx_vcpu_core *v, u32 linear, u8 *buf)
{
	u32 first = min_t(u32, X86_MAX_INSN_LEN,
			  PVMX_PAGE_BYTES - (linear & PVMX_PAGE_OFFSET_MASK));

	if (pvmx_copy_from_guest(v, buf, linear, first))
		return 0;
	if (first < X86_MAX_INSN_LEN &&
	    !pvmx_copy_from_guest(v, buf + first, linear + first, X86_MAX_INSN_LEN - first))
		return X86_MAX_INSN_LEN;
	return first;
}

/* mov to CR3 and the I/O bitmap touch VM-wide state. */
static enum pvmx_action emulate_privileged(struct pvmx_vcpu_core *v, u32 cs_base)
{
	struct pvmx_insn insn;
	u8 buf[X86_MAX_INSN_LEN];
	u32 avail = pvmx_insn_fetch(v, cs_base + v->cpu.eip, buf);

	lockdep_assert_held(&v->vm->lock);
	if (pvmx_decode_insn(buf, avail, &insn))
		return reflect_gp(v);
	/* None of these takes a lock prefix: #UD, as the CPU and Xen's emulator. */
	if (insn.lock)
		return pvmx_deliver_exception_locked(v, PVMX_TRAP_UD, false, 0);

	if (!insn.twobyte) {
		switch (insn.opcode) {
		case 0x6c ... 0x6f:
			return emulate_string_io(v, &insn);
		case 0xe4 ... 0xe7:
		case 0xec ... 0xef:
			return emulate_port_io(v, &insn);
		default:	/* cli, sti: no-ops when allowed, as in Xen */
			return pvmx_iopl_ok(v) ? done(v, &insn) : reflect_gp(v);
		}
	}

	/* The time stamp counter is as available to ring 3 as to the kernel. */
	if (insn.opcode == 0x31 || insn.opcode == 0x01)
		return emulate_rdtsc(v, &insn);
	if (!kernel_mode(v))
		return reflect_gp(v);
	switch (insn.opcode) {
	case 0x06:		/* clts */
		set_fpu_ts(v, false);
		return done(v, &insn);
	case 0x09:		/* wbinvd: a domU has no cache to flush */
		return done(v, &insn);
	case 0x20 ... 0x23:
		return emulate_mov_crdr(v, &insn);
	default:		/* 0x30 wrmsr, 0x32 rdmsr */
		return emulate_msr(v, &insn);
	}
}

enum pvmx_action pvmx_emulate_privileged(struct pvmx_vcpu_core *v, u32 cs_base)
{
	return pvmx_locked_call(v, emulate_privileged(v, cs_base));
}
