// SPDX-License-Identifier: GPL-2.0
/*
 * VMASST_TYPE_writable_pagetables: direct writes to L1 page tables, after
 * Xen's "ptwr" (xen/arch/x86/pv/ro-page-fault.c).  A guest's page tables are
 * mapped read-only (a typed frame is never mapped writable), so a guest
 * kernel store into one of its L1s takes a write protection fault.  With the
 * assist on, that fault is emulated here: the instruction is decoded, the
 * store is checked and carried out as MMU_NORMAL_PT_UPDATE of that entry
 * would (mm.c: pvmx_ptwr_update_l1), and EIP moves past it.  Anything else
 * (another page-table level, a refused value, an instruction outside the set
 * below, a ring-3 fault) goes back to the guest as the #PF it was.
 *
 * The instructions are the ones guests use for PTE writes: MOV r/m, r
 * (88, 89) and MOV r/m, imm (C6 /0, C7 /0), XCHG r/m, r (87), CMPXCHG
 * r/m, r (0F B1) and CMPXCHG8B m64 (0F C7 /1), and the bit operations of
 * set_bit()/clear_bit() on an entry: OR and AND with a register or an
 * immediate (08, 09, 20, 21, 80/81/83 /1 /4) and BTS/BTR/BTC with an
 * immediate bit number (0F BA /5 /6 /7); 32-bit addressing.
 * Data segments are taken as flat, as emulate.c does: the decoded linear
 * address must be the fault address (so a store through a segment with a
 * base, or one straddling two pages, is not emulated).
 *
 * As Xen: a store must be naturally aligned within one entry; a store of
 * part of an entry is merged with the rest of the entry; and a 4-byte store
 * to the high half that would make an entry present but refused (the low
 * half still the old one: a guest writing high then low) is written with
 * the present bit cleared, expecting the low half right after.
 */
#include "core.h"

#define PFEC_PRESENT	0x01u
#define PFEC_WRITE	0x02u
#define PFEC_USER	0x04u
#define PFEC_RSVD	0x08u
#define PFEC_FETCH	0x10u

#define EFLAGS_CF	0x001u
#define EFLAGS_PF	0x004u
#define EFLAGS_AF	0x010u
#define EFLAGS_ZF	0x040u
#define EFLAGS_SF	0x080u
#define EFLAGS_OF	0x800u
#define EFLAGS_ARITH	(EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF | EFLAGS_SF | EFLAGS_OF)

/*
 * Tries of a store whose entry the CPU changed (A/D) between the read and the
 * swap; past them the guest re-executes the instruction and faults again.
 */
#define PTWR_TRIES	4

enum ptwr_op {
	PTWR_MOV,		/* 88, 89, C6 /0, C7 /0 */
	PTWR_XCHG,		/* 87 */
	PTWR_CMPXCHG,		/* 0F B1 */
	PTWR_CMPXCHG8B,		/* 0F C7 /1 */
	PTWR_OR,		/* 08, 09, 80 /1, 81 /1, 83 /1 */
	PTWR_AND,		/* 20, 21, 80 /4, 81 /4, 83 /4 */
	PTWR_BTS,		/* 0F BA /5 ib */
	PTWR_BTR,		/* 0F BA /6 ib */
	PTWR_BTC,		/* 0F BA /7 ib */
};

/* What ModRM.reg means for an opcode. */
enum ptwr_reg_use {
	REG_OPERAND,		/* a register operand */
	REG_MOV_IMM,		/* C6, C7: /0 */
	REG_ALU_IMM,		/* 80, 81, 83: /1 or, /4 and */
	REG_BT_IMM,		/* 0F BA: /5 bts, /6 btr, /7 btc */
	REG_CMPXCHG8B,		/* 0F C7: /1 */
};

/* A decoded store. */
struct ptwr_insn {
	enum ptwr_op op;
	u32 len;
	u32 bytes;		/* 1, 2, 4 or 8 */
	u32 addr;		/* linear address (flat segments) */
	u32 reg;		/* ModRM.reg */
	u64 src;		/* the operand: value stored or combined, bit number */
	bool lock;
};

struct decoder {
	const u8 *buf;
	u32 avail;
	u32 i;
};

static int next_byte(struct decoder *d, u8 *b)
{
	if (d->i >= d->avail)
		return -XEN_EFAULT;
	*b = d->buf[d->i++];
	return 0;
}

static int next_u32(struct decoder *d, u32 bytes, u32 *val)
{
	u32 k;
	u8 b;

	*val = 0;
	for (k = 0; k < bytes; k++) {
		if (next_byte(d, &b))
			return -XEN_EFAULT;
		*val |= (u32)b << (8 * k);
	}
	return 0;
}

/* A memory operand with 32-bit addressing; register operands are refused. */
static int decode_modrm(struct decoder *d, const unsigned long *gpr, u8 *modrm, u32 *ea)
{
	u32 mod, rm, disp = 0;
	u8 sib;

	if (next_byte(d, modrm))
		return -XEN_EFAULT;
	mod = *modrm >> 6;
	rm = *modrm & 7;
	if (mod == 3)
		return -XEN_EINVAL;
	if (rm == 4) {
		u32 index, base;

		if (next_byte(d, &sib))
			return -XEN_EFAULT;
		index = (sib >> 3) & 7;
		base = sib & 7;
		*ea = index == PVMX_ESP ? 0 : (u32)gpr[index] << (sib >> 6);
		if (base == PVMX_EBP && mod == 0) {
			if (next_u32(d, 4, &disp))
				return -XEN_EFAULT;
			*ea += disp;
		} else {
			*ea += (u32)gpr[base];
		}
	} else if (rm == PVMX_EBP && mod == 0) {
		if (next_u32(d, 4, &disp))
			return -XEN_EFAULT;
		*ea = disp;
	} else {
		*ea = (u32)gpr[rm];
	}
	if (mod == 1) {
		if (next_u32(d, 1, &disp))
			return -XEN_EFAULT;
		*ea += (u32)(s32)(s8)disp;
	} else if (mod == 2) {
		if (next_u32(d, 4, &disp))
			return -XEN_EFAULT;
		*ea += disp;
	}
	return 0;
}

/* r8 of a ModRM.reg: AL, CL, DL, BL, AH, CH, DH, BH. */
static u32 reg8(const unsigned long *gpr, u32 reg)
{
	return reg < 4 ? gpr[reg] & 0xFF : (gpr[reg - 4] >> 8) & 0xFF;
}

static u64 width_mask(u32 bytes)
{
	return bytes == 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

static int decode(const u8 *buf, u32 avail, const unsigned long *gpr, struct ptwr_insn *insn)
{
	static const enum ptwr_op alu[8] = { [1] = PTWR_OR, [4] = PTWR_AND };
	static const enum ptwr_op bt[8] = { [5] = PTWR_BTS, [6] = PTWR_BTR, [7] = PTWR_BTC };
	struct decoder d = { .buf = buf, .avail = avail };
	enum ptwr_reg_use use = REG_OPERAND;
	u32 op_bytes = 4, imm_bytes = 0, imm;
	bool twobyte = false, sign8 = false;
	u8 b, modrm;
	int rc;

	memset(insn, 0, sizeof(*insn));
	for (;;) {
		if (d.i >= X86_MAX_INSN_LEN)
			return -XEN_EINVAL;
		if (next_byte(&d, &b))
			return -XEN_EFAULT;
		if (b == 0x66)
			op_bytes = 2;
		else if (b == 0xf0)
			insn->lock = true;
		else if (b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e)
			break;	/* not ES, CS, SS, DS (flat); FS, GS, 0x67, rep: refused below */
	}
	if (b == 0x0f) {
		twobyte = true;
		if (next_byte(&d, &b))
			return -XEN_EFAULT;
	}
	insn->bytes = op_bytes;
	if (!twobyte) {
		/* Bit 0 of these opcodes: the byte form when clear. */
		switch (b) {
		case 0x88: case 0x89:
			insn->op = PTWR_MOV;
			break;
		case 0x87:
			insn->op = PTWR_XCHG;
			break;
		case 0x08: case 0x09:
			insn->op = PTWR_OR;
			break;
		case 0x20: case 0x21:
			insn->op = PTWR_AND;
			break;
		case 0xc6: case 0xc7:
			use = REG_MOV_IMM;
			break;
		case 0x80: case 0x81:
			use = REG_ALU_IMM;
			break;
		case 0x83:
			use = REG_ALU_IMM;
			imm_bytes = 1;
			sign8 = true;
			break;
		default:
			return -XEN_EINVAL;
		}
		if (!(b & 1))
			insn->bytes = 1;
	} else {
		switch (b) {
		case 0xb1:
			insn->op = PTWR_CMPXCHG;
			break;
		case 0xc7:
			use = REG_CMPXCHG8B;
			insn->bytes = 8;
			break;
		case 0xba:
			use = REG_BT_IMM;
			imm_bytes = 1;
			break;
		default:
			return -XEN_EINVAL;
		}
	}
	rc = decode_modrm(&d, gpr, &modrm, &insn->addr);
	if (rc)
		return rc;
	insn->reg = (modrm >> 3) & 7;
	switch (use) {
	case REG_OPERAND:
		break;
	case REG_MOV_IMM:
		if (insn->reg != 0)
			return -XEN_EINVAL;
		insn->op = PTWR_MOV;
		imm_bytes = insn->bytes;
		break;
	case REG_ALU_IMM:
		if (!alu[insn->reg])
			return -XEN_EINVAL;
		insn->op = alu[insn->reg];
		if (!imm_bytes)
			imm_bytes = insn->bytes;
		break;
	case REG_BT_IMM:
		if (!bt[insn->reg])
			return -XEN_EINVAL;
		insn->op = bt[insn->reg];
		break;
	case REG_CMPXCHG8B:
		if (insn->reg != 1)
			return -XEN_EINVAL;
		insn->op = PTWR_CMPXCHG8B;
		break;
	}
	/* A lock prefix on a MOV is #UD before any access: never this fault. */
	if (insn->lock && insn->op == PTWR_MOV)
		return -XEN_EINVAL;

	if (imm_bytes) {
		if (next_u32(&d, imm_bytes, &imm))
			return -XEN_EFAULT;
		if (sign8)
			imm = (u32)(s32)(s8)imm;
		insn->src = imm & width_mask(insn->bytes);
		if (use == REG_BT_IMM)
			insn->src = imm & (8 * insn->bytes - 1);
	} else if (insn->op == PTWR_CMPXCHG8B) {
		insn->src = ((u64)(u32)gpr[PVMX_ECX] << 32) | (u32)gpr[PVMX_EBX];
	} else if (insn->bytes == 1) {
		insn->src = reg8(gpr, insn->reg);
	} else {
		insn->src = gpr[insn->reg] & width_mask(insn->bytes);
	}
	if (d.i > X86_MAX_INSN_LEN)
		return -XEN_EINVAL;
	insn->len = d.i;
	return 0;
}

/* The operand's new value, from its old one. */
static u64 apply(const struct ptwr_insn *insn, u64 old)
{
	switch (insn->op) {
	case PTWR_OR:
		return old | insn->src;
	case PTWR_AND:
		return old & insn->src;
	case PTWR_BTS:
		return old | BIT_ULL(insn->src);
	case PTWR_BTR:
		return old & ~BIT_ULL(insn->src);
	case PTWR_BTC:
		return old ^ BIT_ULL(insn->src);
	default:
		return insn->src;
	}
}

/* SF, ZF, PF of a result at this width (CF, OF, AF clear), as and/or set them. */
static u32 logic_flags(u32 res, u32 bytes)
{
	u32 flags = 0, parity = res & 0xFF;

	res &= (u32)width_mask(bytes);
	parity ^= parity >> 4;
	parity ^= parity >> 2;
	parity ^= parity >> 1;
	if (!(parity & 1))
		flags |= EFLAGS_PF;
	if (!res)
		flags |= EFLAGS_ZF;
	if (res & (1u << (8 * bytes - 1)))
		flags |= EFLAGS_SF;
	return flags;
}

/* The flags of `cmp acc, dest` at this width, as CMPXCHG sets them. */
static u32 cmp_flags(u32 acc, u32 dest, u32 bytes)
{
	u32 mask = (u32)width_mask(bytes), sign = 1u << (8 * bytes - 1);
	u32 res = (acc - dest) & mask, flags = 0, parity;

	acc &= mask;
	dest &= mask;
	if (acc < dest)
		flags |= EFLAGS_CF;
	parity = res & 0xFF;
	parity ^= parity >> 4;
	parity ^= parity >> 2;
	parity ^= parity >> 1;
	if (!(parity & 1))
		flags |= EFLAGS_PF;
	if ((acc ^ dest ^ res) & 0x10)
		flags |= EFLAGS_AF;
	if (!res)
		flags |= EFLAGS_ZF;
	if (res & sign)
		flags |= EFLAGS_SF;
	if ((acc ^ dest) & (acc ^ res) & sign)
		flags |= EFLAGS_OF;
	return flags;
}

static void set_reg(unsigned long *gpr, u32 reg, u32 bytes, u32 val)
{
	if (bytes == 1 && reg >= 4)
		gpr[reg - 4] = (gpr[reg - 4] & ~0xFF00ul) | ((val & 0xFF) << 8);
	else
		gpr[reg] = (gpr[reg] & ~(unsigned long)width_mask(bytes)) | val;
}

/*
 * Carry out the store into entry `slot` of the L1 at mfn, `shift` bits into
 * it.  Returns false if it is refused (reflect the #PF); true with *action
 * set otherwise (done, or retried by re-executing the instruction).
 */
static bool store(struct pvmx_vcpu_core *v, const struct ptwr_insn *insn, u32 mfn,
		  u32 slot, u32 shift, enum pvmx_action *action)
{
	const u64 *l1 = pvmx_gfn_to_host(&v->vm->mem, mfn);
	u64 mask = width_mask(insn->bytes) << shift;
	unsigned long *gpr = v->cpu.gpr;
	u64 cmp = 0, full, expected, new, seen = 0;
	bool zap_present = false;
	u32 tries;
	int rc;

	if (!l1)
		return false;
	if (insn->op == PTWR_CMPXCHG8B)
		cmp = ((u64)(u32)gpr[PVMX_EDX] << 32) | (u32)gpr[PVMX_EAX];
	else if (insn->op == PTWR_CMPXCHG)
		cmp = gpr[PVMX_EAX] & width_mask(insn->bytes);

	for (tries = 0; tries < PTWR_TRIES; tries++) {
		full = READ_ONCE(l1[slot]);
		new = (full & ~mask) | ((apply(insn, (full & mask) >> shift) << shift) & mask);
		if (zap_present)
			new &= ~PVMX_PTE_P;
		expected = full;
		if (insn->op == PTWR_CMPXCHG || insn->op == PTWR_CMPXCHG8B)
			expected = (full & ~mask) | (cmp << shift);
		seen = expected;
		rc = pvmx_ptwr_update_l1(v, mfn, slot, new, &seen, zap_present);
		/* An L1TF-unsafe not-present value: crash. */
		if (rc < 0 && v->vm->l1tf_bad_level) {
			*action = pvmx_mm_l1tf_crash(v);
			return true;
		}
		if (rc < 0) {
			/*
			 * Xen: a high half written before its low half (a plain
			 * write, not one Xen's emulator does by cmpxchg).
			 */
			if (!insn->lock && insn->op != PTWR_XCHG && insn->op != PTWR_CMPXCHG &&
			    insn->op != PTWR_CMPXCHG8B && insn->bytes == 4 && shift == 32 &&
			    (new & PVMX_PTE_P) && !zap_present) {
				zap_present = true;
				continue;
			}
			return false;
		}
		if (!rc)
			break;
		/* The guest's comparison failed: the part it compared differs. */
		if (expected != full && ((seen ^ expected) & mask))
			break;
		/* Otherwise the CPU set A/D since the read: again. */
	}
	if (tries == PTWR_TRIES) {
		*action = PVMX_RESUME;	/* re-executed: faults and comes back */
		return true;
	}

	switch (insn->op) {
	case PTWR_MOV:
		break;
	case PTWR_OR:
	case PTWR_AND:
		v->cpu.eflags = (v->cpu.eflags & ~EFLAGS_ARITH) |
			logic_flags((u32)((new & mask) >> shift), insn->bytes);
		break;
	case PTWR_BTS:
	case PTWR_BTR:
	case PTWR_BTC:
		v->cpu.eflags &= ~EFLAGS_CF;
		if ((seen & mask) >> shift >> insn->src & 1)
			v->cpu.eflags |= EFLAGS_CF;
		break;
	case PTWR_XCHG:
		set_reg(gpr, insn->reg, insn->bytes, (u32)((seen & mask) >> shift));
		break;
	case PTWR_CMPXCHG:
		v->cpu.eflags = (v->cpu.eflags & ~EFLAGS_ARITH) |
			cmp_flags((u32)cmp, (u32)((seen & mask) >> shift), insn->bytes);
		if (rc)
			set_reg(gpr, PVMX_EAX, insn->bytes, (u32)((seen & mask) >> shift));
		break;
	case PTWR_CMPXCHG8B:
		v->cpu.eflags &= ~EFLAGS_ZF;
		if (!rc) {
			v->cpu.eflags |= EFLAGS_ZF;
		} else {
			gpr[PVMX_EAX] = (u32)seen;
			gpr[PVMX_EDX] = (u32)(seen >> 32);
		}
		break;
	}
	*action = pvmx_insn_retire(v, insn->len);
	return true;
}

/* The update takes and drops page-type references: VM-wide state. */
static bool ptwr_fault(struct pvmx_vcpu_core *v, u32 cs_base, u32 addr, u32 error,
		       enum pvmx_action *action)
{
	struct ptwr_insn insn;
	u8 buf[X86_MAX_INSN_LEN];
	u64 l1e_gpa, pte;
	u32 avail;

	lockdep_assert_held(&v->vm->lock);
	if (!(v->vm->vm_assist & BIT(VMASST_TYPE_writable_pagetables)))
		return false;
	/* A kernel-mode store to a present page (Xen: guest_kernel_mode, W|P). */
	if ((error & (PFEC_PRESENT | PFEC_WRITE | PFEC_USER | PFEC_RSVD | PFEC_FETCH)) !=
	    (PFEC_PRESENT | PFEC_WRITE) || (v->cpu.cs & 3) != 1)
		return false;
	/* Mapped present and read-only by its L1 entry (Xen's ptwr test). */
	if (pvmx_l1e_gpa(v, addr, &l1e_gpa) ||
	    pvmx_gpa_read(&v->vm->mem, l1e_gpa, &pte, sizeof(pte)) ||
	    (pte & (PVMX_PTE_P | PVMX_PTE_RW)) != PVMX_PTE_P)
		return false;

	avail = pvmx_insn_fetch(v, cs_base + v->cpu.eip, buf);
	if (decode(buf, avail, v->cpu.gpr, &insn))
		return false;
	/* The store that faulted, naturally aligned (so within one entry). */
	if (insn.addr != addr || (addr & (insn.bytes - 1)))
		return false;
	if ((pte & PVMX_PTE_ADDR) >> PVMX_PAGE_SHIFT >= v->vm->mem.nr_ram_frames)
		return false;
	return store(v, &insn, (u32)((pte & PVMX_PTE_ADDR) >> PVMX_PAGE_SHIFT),
		     (addr & PVMX_PAGE_OFFSET_MASK) / 8, (addr & 7) * 8, action);
}

bool pvmx_ptwr_fault(struct pvmx_vcpu_core *v, u32 cs_base, u32 addr, u32 error,
		     enum pvmx_action *action)
{
	return pvmx_locked_call(v, ptwr_fault(v, cs_base, addr, error, action));
}
