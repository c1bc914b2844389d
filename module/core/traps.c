// SPDX-License-Identifier: GPL-2.0
/*
 * Traps and callbacks: the guest's virtual IDT (set_trap_table), its
 * callbacks (set_callbacks, callback_op), stack_switch, fpu_taskswitch, and
 * the bounce frames through which exceptions, software interrupts and the
 * failsafe callback reach the guest, built exactly as compat Xen builds them
 * (xen/arch/x86/pv/traps.c, compat_create_bounce_frame in
 * xen/arch/x86/x86_64/compat/entry.S; Documentation/guest-abi.rst, "Traps
 * and callbacks"), plus the iret hypercall that unwinds them.
 */
#include "core.h"

/* shared_info's slot, or where VCPUOP_register_vcpu_info moved it (events.c). */
struct xen_vcpu_info *pvmx_vcpu_info(struct pvmx_vcpu_core *v)
{
	struct xen_vcpu_info *vi = READ_ONCE(v->vcpu_info);

	return vi ? vi : &v->vm->shared_info->vcpu_info[v->id];
}

/* Xen's fixup_guest_{code,stack}_selector(): RPL at least the kernel's (1). */
static u16 fixup_selector(u32 sel)
{
	return (sel & 3) >= 1 ? (u16)sel : (u16)((sel & ~3u) | 1);
}

/* ---- registration hypercalls -------------------------------------------- */

long do_set_trap_table(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 table = hc->arg[0];
	struct xen_trap_info ti;
	u32 i;

	lockdep_assert_held(&v->vm->lock);
	if (!table) {
		memset(v->trap_ctxt, 0, sizeof(v->trap_ctxt));
		pvmx_arch_traps_changed(v);
		return 0;
	}
	for (i = 1; ; i++, table += sizeof(ti)) {
		if (pvmx_copy_from_guest(v, &ti, table, sizeof(ti)))
			return -XEN_EFAULT;
		if (!ti.address) {
			pvmx_arch_traps_changed(v);
			return 0;
		}
		v->trap_ctxt[ti.vector].address = ti.address;
		v->trap_ctxt[ti.vector].cs = fixup_selector(ti.cs);
		v->trap_ctxt[ti.vector].flags = ti.flags;
		/* A table without an end must not hold the CPU: continue later. */
		if (pvmx_preempt_check(v)) {
			pvmx_arch_traps_changed(v);
			hc->arg[0] = table + sizeof(ti);
			hc->preempted = true;
			return 0;
		}
	}
}

long do_stack_switch(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	lockdep_assert_held(&v->vm->lock);
	v->cpu.kernel_ss = fixup_selector(hc->arg[0]);
	v->cpu.kernel_sp = hc->arg[1];
	pvmx_arch_traps_changed(v);
	return 0;
}

long do_fpu_taskswitch(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	v->fpu_ts = hc->arg[0] != 0;
	pvmx_arch_set_fpu_ts(v, v->fpu_ts);
	return 0;
}

static long register_callback(struct pvmx_vcpu_core *v, const struct xen_callback_register *r)
{
	struct pvmx_callback cb = {
		.cs = fixup_selector(r->cs),
		.eip = r->eip,
		.mask_events = r->flags & CALLBACKF_mask_events,
	};

	switch (r->type) {
	case CALLBACKTYPE_event:
		cb.mask_events = true;		/* always, flags ignored */
		v->event_cb = cb;
		return 0;
	case CALLBACKTYPE_failsafe:
		v->failsafe_cb = cb;
		return 0;
	case CALLBACKTYPE_syscall32:
		v->syscall32_cb = cb;
		return 0;
	case CALLBACKTYPE_sysenter:
		v->sysenter_cb = cb;
		return 0;
	case CALLBACKTYPE_nmi:
		/* The NMI trap entry: flat kernel CS, masks events. */
		v->trap_ctxt[PVMX_TRAP_NMI].cs = FLAT_RING1_CS;
		v->trap_ctxt[PVMX_TRAP_NMI].address = r->eip;
		v->trap_ctxt[PVMX_TRAP_NMI].flags = PVMX_TRAP_MASK_EVENTS;
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}

long do_set_callbacks(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	struct xen_callback_register event = {
		.type = CALLBACKTYPE_event, .cs = hc->arg[0], .eip = hc->arg[1],
	};
	struct xen_callback_register failsafe = {
		.type = CALLBACKTYPE_failsafe, .cs = hc->arg[2], .eip = hc->arg[3],
	};

	register_callback(v, &event);
	register_callback(v, &failsafe);
	return 0;
}

long do_callback_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	struct xen_callback_register reg;
	u16 type;

	switch (hc->arg[0]) {
	case CALLBACKOP_register:
		if (pvmx_copy_from_guest(v, &reg, hc->arg[1], sizeof(reg)))
			return -XEN_EFAULT;
		return register_callback(v, &reg);
	case CALLBACKOP_unregister:
		if (pvmx_copy_from_guest(v, &type, hc->arg[1], sizeof(type)))
			return -XEN_EFAULT;
		switch (type) {
		case CALLBACKTYPE_event:
		case CALLBACKTYPE_failsafe:
		case CALLBACKTYPE_syscall32:
		case CALLBACKTYPE_sysenter:
			return -XEN_EINVAL;
		case CALLBACKTYPE_nmi:
			memset(&v->trap_ctxt[PVMX_TRAP_NMI], 0, sizeof(struct pvmx_trap_entry));
			return 0;
		default:
			return -XEN_ENOSYS;
		}
	default:
		return -XEN_EINVAL;
	}
}

/* ---- bounce frames -------------------------------------------------------- */

enum bounce_kind {
	BOUNCE_EXCEPTION, BOUNCE_SOFT_INT, BOUNCE_UPCALL, BOUNCE_FAILSAFE,
	BOUNCE_FAST_SYSCALL,	/* vector: 1 sysenter, 0 syscall */
};

struct bounce {
	enum bounce_kind kind;
	u32 vector;		/* exception or `int n` */
	u64 address;		/* #PF address, for crash reasons */
	u16 cs;
	u32 eip;
	bool mask_events;
	bool has_error;
	u32 error;
	bool failsafe;		/* push DS, ES, FS, GS below EIP */
};

static const char *const vector_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
};

/* What is being delivered, in words: only built when it went wrong. */
static void describe(const struct bounce *b, char *buf, size_t len)
{
	int n;

	switch (b->kind) {
	case BOUNCE_UPCALL:
		snprintf(buf, len, "event upcall");
		return;
	case BOUNCE_FAILSAFE:
		snprintf(buf, len, "failsafe callback");
		return;
	case BOUNCE_SOFT_INT:
		snprintf(buf, len, "int $0x%x", b->vector);
		return;
	case BOUNCE_FAST_SYSCALL:
		snprintf(buf, len, "%s", b->vector ? "sysenter" : "syscall");
		return;
	case BOUNCE_EXCEPTION:
		break;
	}
	if (b->vector < ARRAY_SIZE(vector_names) && vector_names[b->vector])
		n = snprintf(buf, len, "%s", vector_names[b->vector]);
	else
		n = snprintf(buf, len, "vector %u", b->vector);
	if (b->vector == PVMX_TRAP_PF)
		snprintf(buf + n, len - n, " at address 0x%llx (error code 0x%x)",
			 b->address, b->error);
	else if (b->has_error)
		snprintf(buf + n, len - n, " (error code 0x%x)", b->error);
}

/* The frame's EFLAGS.IOPL: the virtual IOPL with architectural_iopl, else 0. */
static u32 frame_iopl(const struct pvmx_vcpu_core *v)
{
	if (!(v->vm->vm_assist & BIT(VMASST_TYPE_architectural_iopl)))
		return 0;
	return (u32)v->iopl << 12;
}

/*
 * pvmx_selector_usable() for CS and SS, without the descriptor lookup
 * for Xen's flat selectors, which nearly every bounce and iret names: their
 * descriptors are fixed (the reserved GDT page), ring 1 and ring 3 code and
 * data with DPL = RPL, so usable as code and stack.
 */
static inline bool selector_usable(struct pvmx_vcpu_core *v, u16 sel, enum pvmx_seg_use use)
{
	if (use == PVMX_SEG_CODE && (sel == FLAT_RING1_CS || sel == FLAT_RING3_CS))
		return true;
	if (use == PVMX_SEG_STACK && (sel == FLAT_RING1_SS || sel == FLAT_RING3_SS))
		return true;
	return pvmx_selector_usable(v, sel, use);
}

/* Base of a stack segment from the guest's GDT or LDT (0 if it has none). */
static u32 guest_stack_base(struct pvmx_vcpu_core *v, u16 ss)
{
	u64 desc;

	return pvmx_read_descriptor(v, ss, &desc) ? 0 : pvmx_desc_base(desc);
}

/* Linear address of ss:offset: Xen's flat stacks, the usual case, have base 0. */
static inline u32 stack_linear(struct pvmx_vcpu_core *v, u16 ss, u32 offset)
{
	if (likely(ss >= (XEN_FIRST_RESERVED_GDT_ENTRY << 3) && !(ss & 4)))
		return offset;
	return guest_stack_base(v, ss) + offset;
}

/*
 * Pushes the frame for the interrupted context in v->cpu and enters the
 * handler.  Returns 0, or -XEN_EFAULT when the stack cannot take the frame
 * (nothing changed then).
 */
static int push_frame(struct pvmx_vcpu_core *v, const struct bounce *b)
{
	struct pvmx_cpu *cpu = &v->cpu;
	struct xen_vcpu_info *vi = pvmx_vcpu_info(v);
	u8 saved_mask = READ_ONCE(vi->evtchn_upcall_mask);
	u32 frame[10], *p = frame + ARRAY_SIZE(frame);
	u32 esp = cpu->gpr[PVMX_ESP], bytes;
	u16 ss = cpu->ss;
	u16 segs[4];
	int i;

	if (cpu->cs & 2) {
		/* From ring 2/3: onto the stack_switch stack, saving SS:ESP. */
		*--p = cpu->ss;
		*--p = esp;
		ss = v->cpu.kernel_ss;
		esp = v->cpu.kernel_sp;
		if (!selector_usable(v, ss, PVMX_SEG_STACK))
			return -XEN_EFAULT;
	}
	*--p = ((cpu->eflags & ~(PVMX_EFLAGS_IF | PVMX_EFLAGS_IOPL)) |
		(saved_mask ? 0 : PVMX_EFLAGS_IF) | frame_iopl(v));
	*--p = cpu->cs | ((u32)saved_mask << 16);
	*--p = cpu->eip;
	if (b->failsafe) {
		pvmx_arch_get_data_segs(v, segs);
		for (i = 3; i >= 0; i--)
			*--p = segs[i];
	}
	if (b->has_error)
		*--p = b->error;

	bytes = (frame + ARRAY_SIZE(frame) - p) * sizeof(u32);
	if (esp < bytes || pvmx_copy_to_guest(v, stack_linear(v, ss, esp - bytes), p, bytes))
		return -XEN_EFAULT;

	cpu->gpr[PVMX_ESP] = esp - bytes;
	cpu->ss = ss;
	cpu->cs = b->cs;
	cpu->eip = b->eip;
	cpu->eflags &= ~(PVMX_EFLAGS_TF | PVMX_EFLAGS_VM | PVMX_EFLAGS_RF | PVMX_EFLAGS_NT);
	if (b->mask_events)
		WRITE_ONCE(vi->evtchn_upcall_mask, 1);
	return 0;
}

static bool callback_usable(struct pvmx_vcpu_core *v, u16 cs)
{
	return (cs & ~3u) && selector_usable(v, cs, PVMX_SEG_CODE);
}

/*
 * Whether bounce b may enter its CS.  Never a null one (compat Xen crashes
 * the domain: compat_bounce_null_selector in compat_create_bounce_frame).
 * The sysenter and syscall32 callbacks take any other selector, as Xen's
 * compat_sysenter and compat_syscall do (callback.c's registration only
 * fixes up RPL 0): the frame is built, and a CS that is no usable code
 * segment faults on the way back into the guest -- Xen's iretq -- which the
 * arch code turns into the guest's #GP from that context before VM entry
 * (guest-abi.rst, "Contexts the CPU cannot enter").  Other bounces still
 * refuse a CS they cannot load.
 */
static bool bounce_cs_ok(struct pvmx_vcpu_core *v, const struct bounce *b)
{
	if (b->kind == BOUNCE_FAST_SYSCALL)
		return b->cs & ~3u;
	return callback_usable(v, b->cs);
}

/*
 * The failsafe callback: entered when the normal frame cannot be built (or,
 * from iret, the context cannot be loaded).  When that fails as well, or
 * there is no failsafe callback, the guest is crashed with both reasons.
 */
static enum pvmx_action deliver_failsafe(struct pvmx_vcpu_core *v, const char *why)
{
	struct bounce b = {
		.kind = BOUNCE_FAILSAFE,
		.cs = v->failsafe_cb.cs,
		.eip = v->failsafe_cb.eip,
		.mask_events = v->failsafe_cb.mask_events,
		.failsafe = true,
	};
	u32 eip = v->cpu.eip;

	lockdep_assert_held(&v->vm->lock);
	if (!callback_usable(v, b.cs))
		return pvmx_crash(v, PVMX_CRASH_UNHANDLED_TRAP, ~0u, 0, v->cpu.gpr[PVMX_ESP],
				  "%s, and no usable failsafe callback (cs %04x)", why, b.cs);
	if (push_frame(v, &b))
		return pvmx_crash(v, PVMX_CRASH_UNHANDLED_TRAP, ~0u, 0, v->cpu.gpr[PVMX_ESP],
				  "%s, and the failsafe frame did not fit either", why);
	v->stats.failsafes++;
	pvmx_trace(v, PVMX_TRACE_KIND_FAILSAFE, 0, 0, 0, NULL, 0, eip);
	return PVMX_RESUME;
}

/* eip: where the guest was, for the trace (the frame may report another). */
static enum pvmx_action bounce_from(struct pvmx_vcpu_core *v, const struct bounce *b, u32 eip)
{
	char what[80], why[128];

	if (bounce_cs_ok(v, b) && !push_frame(v, b)) {
		if (b->kind == BOUNCE_UPCALL) {
			v->stats.upcalls++;
			pvmx_trace(v, PVMX_TRACE_KIND_UPCALL, 0, 0, 0, NULL, 0, eip);
		} else if (b->kind == BOUNCE_FAST_SYSCALL) {
			v->stats.traps++;
			pvmx_trace(v, PVMX_TRACE_KIND_FAST_SYSCALL, 0, b->vector, 0, NULL, 0, eip);
		} else {
			v->stats.traps++;
			pvmx_trace(v, PVMX_TRACE_KIND_TRAP, 0, b->vector, b->error, NULL, 0, eip);
		}
		return PVMX_RESUME;
	}
	describe(b, what, sizeof(what));
	if (!bounce_cs_ok(v, b))
		return pvmx_crash(v, PVMX_CRASH_UNHANDLED_TRAP,
				  b->kind == BOUNCE_UPCALL ? ~0u : b->vector,
				  b->has_error ? b->error : 0, b->address,
				  "unhandled %s in ring %u at %04x:%08x; no %s registered%s",
				  what, v->cpu.cs & 3, v->cpu.cs, v->cpu.eip,
				  b->kind == BOUNCE_UPCALL ? "event callback" :
				  b->kind == BOUNCE_FAST_SYSCALL ? "callback" : "trap handler",
				  b->cs ? " (unusable cs)" : "");
	snprintf(why, sizeof(why), "cannot write the frame for %s at %04x:%08x",
		 what, (v->cpu.cs & 2) ? v->cpu.kernel_ss : v->cpu.ss,
		 (v->cpu.cs & 2) ? v->cpu.kernel_sp : (u32)v->cpu.gpr[PVMX_ESP]);
	return deliver_failsafe(v, why);
}

static enum pvmx_action bounce(struct pvmx_vcpu_core *v, const struct bounce *b)
{
	return bounce_from(v, b, v->cpu.eip);
}

static enum pvmx_action deliver_exception(struct pvmx_vcpu_core *v, u32 vector,
					  bool has_error, u32 error)
{
	const struct pvmx_trap_entry *t = &v->trap_ctxt[vector & 0xFF];
	struct bounce b = {
		.kind = BOUNCE_EXCEPTION,
		.vector = vector,
		.cs = t->cs,
		.eip = t->address,
		.mask_events = t->flags & PVMX_TRAP_MASK_EVENTS,
		.has_error = has_error,
		.error = error,
	};

	lockdep_assert_held(&v->vm->lock);
	if (vector == PVMX_TRAP_PF)
		b.address = READ_ONCE(pvmx_vcpu_info(v)->cr2);
	/* #NM reaches the guest only with its virtual TS set, which it clears. */
	if (vector == PVMX_TRAP_NM && v->fpu_ts) {
		v->fpu_ts = false;
		pvmx_arch_set_fpu_ts(v, false);
	}
	return bounce(v, &b);
}

enum pvmx_action pvmx_deliver_exception_locked(struct pvmx_vcpu_core *v, u32 vector,
					       bool has_error, u32 error)
{
	lockdep_assert_held(&v->vm->lock);
	return deliver_exception(v, vector, has_error, error);
}

enum pvmx_action pvmx_deliver_exception(struct pvmx_vcpu_core *v, u32 vector,
					bool has_error, u32 error)
{
	return pvmx_locked_call(v, deliver_exception(v, vector, has_error, error));
}

/* DR6 bits with positive polarity that a #DB reports (Xen's X86_DR6_KNOWN_MASK, no RTM/BLD). */
#define DR6_BP_MASK	0x0000000Fu	/* B0-B3 */
#define DR6_KNOWN	0x0000E00Fu	/* B0-B3, BD, BS, BT */
#define DR6_DEFAULT	0xFFFF0FF0u
#define DR6_FIXED_0	0x00001000u

/*
 * Xen's x86_merge_dr6(): the breakpoint bits are replaced by this #DB's,
 * the others (BD, BS, BT) accumulate until the guest clears them.
 * v->dr[6] is kept without its fixed-1 bits (emulate.c).
 */
static void merge_dr6(struct pvmx_vcpu_core *v, u32 pending)
{
	u32 dr6 = (v->dr[6] | DR6_DEFAULT) ^ DR6_DEFAULT;

	dr6 = (dr6 & ~DR6_BP_MASK) | (pending & DR6_KNOWN);
	v->dr[6] = ((dr6 ^ DR6_DEFAULT) & ~DR6_FIXED_0) & ~DR6_DEFAULT;
}

/* Xen's pv_inject_DB(): DR6 first, then the bounce like any exception. */
enum pvmx_action pvmx_deliver_db_locked(struct pvmx_vcpu_core *v, u32 pending)
{
	lockdep_assert_held(&v->vm->lock);
	merge_dr6(v, pending);
	return deliver_exception(v, PVMX_TRAP_DB, false, 0);
}

enum pvmx_action pvmx_deliver_db(struct pvmx_vcpu_core *v, u32 pending)
{
	return pvmx_locked_call(v, pvmx_deliver_db_locked(v, pending));
}

static enum pvmx_action software_interrupt(struct pvmx_vcpu_core *v, u32 vector, u32 insn_len)
{
	const struct pvmx_trap_entry *t = &v->trap_ctxt[vector & 0xFF];
	u32 cpl = v->cpu.cs & 3;
	bool allowed;

	lockdep_assert_held(&v->vm->lock);
	/* Xen's int $0x80 fast path ignores the DPL when a handler exists. */
	if (vector == 0x80 && (t->cs & ~3u))
		allowed = true;
	else
		allowed = t->address && (t->flags & PVMX_TRAP_DPL_MASK) >= cpl;
	if (!allowed)
		return deliver_exception(v, PVMX_TRAP_GP, true, (vector << 3) | 2);

	v->cpu.eip += insn_len;
	return bounce(v, &(struct bounce){ .kind = BOUNCE_SOFT_INT, .vector = vector,
			.cs = t->cs, .eip = t->address,
			.mask_events = t->flags & PVMX_TRAP_MASK_EVENTS });
}

enum pvmx_action pvmx_software_interrupt(struct pvmx_vcpu_core *v, u32 vector, u32 insn_len)
{
	return pvmx_locked_call(v, software_interrupt(v, vector, insn_len));
}

/* ---- int $0x80: Xen's int80 direct trap ------------------------------------ */

/*
 * A descriptor the hardware gate can use as it stands (segments.c): present,
 * DPL 1, base 0, limit 4 GiB, 32-bit; for CS non-conforming code, for SS
 * writable expand-up data.  Type, S, DPL, P, D/B, G and the limit bits: the
 * flat ring-1 descriptors', but for the bits that may be either.
 */
#define INT80_FLAT_MASK		0x00EFFF000000FFFFULL	/* limit, type, S, DPL, P, L, D, G */
#define INT80_BASE_MASK		0xFF0000FFFFFF0000ULL
#define INT80_CODE_ANY		(BIT_ULL(41) | BIT_ULL(40))	/* readable, accessed */
#define INT80_DATA_ANY		BIT_ULL(40)			/* accessed */
#define INT80_FLAT_CODE		(XEN_FLAT_RING1_CS_DESC & ~INT80_CODE_ANY)
#define INT80_FLAT_DATA		(XEN_FLAT_RING1_DS_DESC & ~INT80_DATA_ANY)

static bool int80_flat(u64 d, u64 want, u64 any)
{
	return !(d & INT80_BASE_MASK) && (d & INT80_FLAT_MASK & ~any) == want;
}

/*
 * Xen builds the int80 bounce from trap_ctxt[0x80] (entry_int80 in
 * xen/arch/x86/x86_64/entry.S, init_int80_direct_trap() in
 * xen/arch/x86/pv/traps.c) and writes the compat frame without looking at
 * the trap table again.  pvmx checks here, when the trap table, the
 * stack_switch pair or the GDT entries they name change, what the general
 * path (bounce(), push_frame()) would check at every delivery: a usable
 * code selector and a usable kernel_ss, both in the GDT (an LDT entry can
 * change under a plain store once its page is unmapped, so those take the
 * general path).  Side-effect free; the vCPU's own thread, or its requests.
 */
static void int80_watch(struct pvmx_vm_core *vm, u16 sel)
{
	u32 slot = (sel >> 3) % PVMX_DESCS_PER_FRAME;

	if (!(sel & 4) && !pvmx_test_bit32(&vm->int80_slots[slot / 32], slot % 32))
		pvmx_test_and_set_bit32(&vm->int80_slots[slot / 32], slot % 32);
}

void pvmx_int80_refresh(struct pvmx_vcpu_core *v)
{
	const struct pvmx_trap_entry *t = &v->trap_ctxt[0x80];
	u16 ss = v->cpu.kernel_ss;
	bool fast = v->vm->fast_int80;
	u64 cs_d, ss_d;

	/* Nothing it depends on changed (Linux's stack_switch on every context switch). */
	if (v->int80.checked && !READ_ONCE(v->int80.stale) && v->int80.cs == t->cs &&
	    v->int80.ss == ss && v->int80.fast == fast)
		return;
	WRITE_ONCE(v->int80.stale, false);
	v->int80.checked = true;
	v->int80.cs = t->cs;
	v->int80.ss = ss;
	v->int80.fast = fast;
	v->int80.direct = false;
	v->int80.flat = false;
	if (!fast)
		return;
	/* Before the descriptors are read: update_descriptor tests these after its write. */
	int80_watch(v->vm, t->cs);
	int80_watch(v->vm, ss);
	if ((t->cs & 4) || (ss & 4) || !callback_usable(v, t->cs) ||
	    !pvmx_selector_usable(v, ss, PVMX_SEG_STACK) ||
	    pvmx_read_descriptor(v, t->cs, &cs_d) || pvmx_read_descriptor(v, ss, &ss_d))
		return;
	v->int80.ss_base = pvmx_desc_base(ss_d);
	v->int80.flat = int80_flat(cs_d, INT80_FLAT_CODE, INT80_CODE_ANY) &&
			int80_flat(ss_d, INT80_FLAT_DATA, INT80_DATA_ANY) &&
			(t->cs & 3) == 1 && (ss & 3) == 1;
	v->int80.direct = true;
}

/* Whether GDT selector sel is in slot `slot` of frame mfn of v's GDT. */
static bool gdt_slot_is(struct pvmx_vcpu_core *v, u16 sel, u32 mfn, u32 slot)
{
	u32 index = sel >> 3, frame = index / PVMX_DESCS_PER_FRAME;

	return !(sel & 4) && index < XEN_FIRST_RESERVED_GDT_ENTRY &&
	       index % PVMX_DESCS_PER_FRAME == slot &&
	       frame * PVMX_DESCS_PER_FRAME < READ_ONCE(v->desc.gdt_ents) &&
	       READ_ONCE(v->desc.gdt_frames[frame]) == mfn;
}

/*
 * update_descriptor changed a descriptor in place: every vCPU whose int80
 * selectors name it rechecks (another vCPU before its next entry).
 */
void pvmx_int80_desc_written(struct pvmx_vcpu_core *v, u32 mfn, u32 slot)
{
	struct pvmx_vcpu_core *t;
	u32 i;

	lockdep_assert_held(&v->vm->lock);
	if (!v->vm->fast_int80 ||
	    !pvmx_test_bit32(&v->vm->int80_slots[slot / 32], slot % 32))
		return;		/* no vCPU's int80 check read such a slot: Linux's TLS updates */
	for (i = 0; i < PVMX_MAX_VCPUS; i++) {
		t = READ_ONCE(v->vm->vcpus[i]);
		if (!t || (!gdt_slot_is(t, READ_ONCE(t->trap_ctxt[0x80].cs), mfn, slot) &&
			   !gdt_slot_is(t, READ_ONCE(t->cpu.kernel_ss), mfn, slot)))
			continue;
		WRITE_ONCE(t->int80.stale, true);
		if (t == v)
			pvmx_arch_traps_changed(t);
		else
			pvmx_make_request(t, PVMX_REQ_TRAPS_CHANGED);
	}
}

/*
 * int $0x80 that exited (a handler that masks events, or selectors the
 * hardware gate cannot take): the frame push_frame() writes from ring 2/3,
 * with what pvmx_int80_refresh() checked.  Only the frame's write takes
 * the VM lock: a guest write's walk must not race another vCPU's page-type
 * change (pinning the stack page as a page table would let unvalidated
 * frame words into it); the rest is the vCPU's own state.  Anything else,
 * or a frame that does not fit, takes the general path, which gives the
 * failsafe callback.
 */
enum pvmx_action pvmx_int80(struct pvmx_vcpu_core *v, u32 insn_len)
{
	const struct pvmx_trap_entry *t = &v->trap_ctxt[0x80];
	struct pvmx_cpu *cpu = &v->cpu;
	struct xen_vcpu_info *vi;
	u32 frame[5], esp = cpu->kernel_sp, eip = cpu->eip + insn_len;
	u8 saved_mask;
	int fault;

	if (!v->int80.direct || !(cpu->cs & 2) || esp < sizeof(frame))
		return pvmx_software_interrupt(v, 0x80, insn_len);
	vi = pvmx_vcpu_info(v);
	saved_mask = READ_ONCE(vi->evtchn_upcall_mask);
	frame[0] = eip;
	frame[1] = cpu->cs | ((u32)saved_mask << 16);
	frame[2] = (cpu->eflags & ~(PVMX_EFLAGS_IF | PVMX_EFLAGS_IOPL)) |
		   (saved_mask ? 0 : PVMX_EFLAGS_IF) | frame_iopl(v);
	frame[3] = cpu->gpr[PVMX_ESP];
	frame[4] = cpu->ss;
	esp -= sizeof(frame);
	fault = pvmx_locked_call(v, pvmx_copy_to_guest(v, v->int80.ss_base + esp, frame,
						       sizeof(frame)));
	if (fault)
		return pvmx_software_interrupt(v, 0x80, insn_len);
	cpu->gpr[PVMX_ESP] = esp;
	cpu->ss = cpu->kernel_ss;
	cpu->cs = t->cs;
	cpu->eip = t->address;
	cpu->eflags &= ~(PVMX_EFLAGS_TF | PVMX_EFLAGS_VM | PVMX_EFLAGS_RF | PVMX_EFLAGS_NT);
	if (t->flags & PVMX_TRAP_MASK_EVENTS)
		WRITE_ONCE(vi->evtchn_upcall_mask, 1);
	v->stats.traps++;
	pvmx_trace(v, PVMX_TRACE_KIND_TRAP, 0, 0x80, 0, NULL, 0, eip);
	return PVMX_RESUME;
}

enum pvmx_action pvmx_deliver_upcall(struct pvmx_vcpu_core *v)
{
	struct bounce b = {
		.kind = BOUNCE_UPCALL,
		.cs = v->event_cb.cs,
		.eip = v->event_cb.eip,
		.mask_events = true,
	};

	lockdep_assert_held(&v->vm->lock);
	return bounce(v, &b);
}

/* ---- sysenter and syscall -------------------------------------------------- */

/*
 * A guest `sysenter` (#GP(0): its SYSENTER_CS is 0) or `syscall` (#UD in
 * 32-bit mode), EIP on the instruction: enter the sysenter or syscall32
 * callback as 64-bit Xen does for a compat guest (sysenter_entry and
 * compat_sysenter, cstar_enter and compat_syscall in
 * xen/arch/x86/x86_64/{,compat/}entry.S).  The interrupted context is
 * always reported as ring 3, so the frame goes to the stack_switch stack
 * and holds ESP and SS:
 *
 * - sysenter saves no return address: the frame has EIP 0, CS 3 (a null
 *   ring-3 selector), ESP 0 and SS FLAT_RING3_SS, and EFLAGS without VM and
 *   RF (what the instruction clears; IF is the saved upcall mask as in
 *   every frame).  Without a sysenter address the guest gets #GP(0) through
 *   its trap table with that same frame; a null callback CS is replaced by
 *   the #GP entry's.
 * - syscall reports EIP after the instruction, CS FLAT_RING3_CS, SS
 *   FLAT_RING3_SS, the guest's ESP and EFLAGS, and leaves ECX holding the
 *   return EIP, as the instruction does.  With a null syscall32 CS the guest
 *   gets the #UD the CPU raised, EIP on the instruction.
 *
 * Any other callback CS is entered as Xen enters it (bounce_cs_ok()): one
 * that is no code segment, such as a data segment, becomes the guest's #GP
 * with that selector as error code, raised from the callback's address.
 */
static enum pvmx_action fast_syscall(struct pvmx_vcpu_core *v, bool sysenter, u32 insn_len)
{
	const struct pvmx_trap_entry *gp = &v->trap_ctxt[PVMX_TRAP_GP];
	const struct pvmx_callback *cb = sysenter ? &v->sysenter_cb : &v->syscall32_cb;
	struct pvmx_cpu *cpu = &v->cpu;
	u32 eip = cpu->eip;
	struct bounce b = {
		.kind = BOUNCE_FAST_SYSCALL,
		.vector = sysenter,
		.cs = cb->cs,
		.eip = cb->eip,
		.mask_events = cb->mask_events,
	};

	lockdep_assert_held(&v->vm->lock);
	/*
	 * syscall is #UD in compatibility mode on Intel CPUs, which is what a
	 * guest of Xen on Intel always gets; pvmx delivers it only to a guest
	 * that registered a syscall32 callback (as Xen on AMD does).
	 */
	if (!sysenter && !(cb->cs & ~3u))
		return deliver_exception(v, PVMX_TRAP_UD, false, 0);
	if (sysenter) {
		cpu->eflags &= ~(PVMX_EFLAGS_VM | PVMX_EFLAGS_RF);
		cpu->cs = 3;
		cpu->eip = 0;
		cpu->gpr[PVMX_ESP] = 0;
		if (!(b.cs & ~3u))
			b.cs = gp->cs;
	} else {
		cpu->eip += insn_len;
		cpu->gpr[PVMX_ECX] = cpu->eip;
		cpu->cs = FLAT_RING3_CS;
	}
	cpu->ss = FLAT_RING3_SS;
	if (sysenter && !cb->eip) {
		b = (struct bounce){
			.kind = BOUNCE_EXCEPTION,
			.vector = PVMX_TRAP_GP,
			.cs = gp->cs,
			.eip = gp->address,
			.mask_events = gp->flags & PVMX_TRAP_MASK_EVENTS,
			.has_error = true,
		};
	}
	return bounce_from(v, &b, eip);
}

enum pvmx_action pvmx_fast_syscall(struct pvmx_vcpu_core *v, bool sysenter, u32 insn_len)
{
	return pvmx_locked_call(v, fast_syscall(v, sysenter, insn_len));
}

/* ---- iret (23) ------------------------------------------------------------ */

/*
 * iret to VM86 mode, which a PV guest cannot have: compat Xen's
 * compat_iret() (xen/arch/x86/pv/iret.c) injects #GP "on the first VM86
 * mode instruction": the VM86 frame the guest gave (EIP CS EFLAGS ESP SS
 * ES DS FS GS) moves to the top of the stack_switch stack under an error
 * code of 0, and the guest enters its #GP handler there with EAX restored,
 * EFLAGS from the frame without VM, RF, NT and TF, and the upcall mask from
 * the frame's IF (set as well if the handler masks events).  The frame is
 * the guest's own, so its CS word carries no saved mask.  f[] holds the
 * first four words (EAX EIP CS EFLAGS) at ss:esp.
 */
static enum pvmx_action iret_to_vm86(struct pvmx_vcpu_core *v, const u32 *f, u32 esp, u16 ss)
{
	const struct pvmx_trap_entry *t = &v->trap_ctxt[PVMX_TRAP_GP];
	struct pvmx_cpu *cpu = &v->cpu;
	u32 ksp = v->cpu.kernel_sp - 40, frame[10], eflags = f[3];

	lockdep_assert_held(&v->vm->lock);
	if (v->vm->vm_assist & BIT(VMASST_TYPE_architectural_iopl))
		v->iopl = (eflags & PVMX_EFLAGS_IOPL) >> 12;
	frame[0] = 0;
	if (pvmx_copy_from_guest(v, frame + 1, stack_linear(v, ss, esp + 4), 36) ||
	    pvmx_copy_to_guest(v, stack_linear(v, v->cpu.kernel_ss, ksp), frame, 40))
		return pvmx_crash(v, PVMX_CRASH_BAD_STATE, ~0u, 0, esp,
				  "iret to VM86 mode: cannot move the frame at %08x to %04x:%08x",
				  esp, v->cpu.kernel_ss, ksp);
	if (!callback_usable(v, t->cs))
		return pvmx_crash(v, PVMX_CRASH_UNHANDLED_TRAP, PVMX_TRAP_GP, 0, 0,
				  "iret to VM86 mode (#GP), and no usable #GP handler (cs %04x)",
				  t->cs);
	if (t->flags & PVMX_TRAP_MASK_EVENTS)
		eflags &= ~PVMX_EFLAGS_IF;
	WRITE_ONCE(pvmx_vcpu_info(v)->evtchn_upcall_mask, !(eflags & PVMX_EFLAGS_IF));
	cpu->gpr[PVMX_EAX] = f[0];
	cpu->eflags = (f[3] & PVMX_EFLAGS_LEGAL & ~PVMX_EFLAGS_IOPL &
		       ~(PVMX_EFLAGS_VM | PVMX_EFLAGS_RF | PVMX_EFLAGS_NT | PVMX_EFLAGS_TF)) |
		      PVMX_EFLAGS_IF | PVMX_EFLAGS_FIXED;
	cpu->gpr[PVMX_ESP] = ksp;
	cpu->ss = v->cpu.kernel_ss;
	cpu->cs = t->cs;
	cpu->eip = t->address;
	v->stats.traps++;
	pvmx_trace(v, PVMX_TRACE_KIND_TRAP, 0, PVMX_TRAP_GP, 0, NULL, 0, f[1]);
	return PVMX_RESUME;
}

long do_iret(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	struct pvmx_cpu *cpu = &v->cpu;
	u32 esp = cpu->gpr[PVMX_ESP];
	u32 f[6];	/* eax, eip, cs, eflags, esp, ss */
	u16 cs, ss = cpu->ss, segs[4];
	u32 new_esp, i, lin = stack_linear(v, ss, esp);
	/* The outer ESP/SS too when on the same page: one guest access, no fault more. */
	u32 got = (lin & PVMX_PAGE_OFFSET_MASK) <= 4096 - 24 ? 24 : 16;

	hc->regs_replaced = true;
	if (pvmx_copy_from_guest(v, f, lin, got)) {
		hc->action = pvmx_crash(v, PVMX_CRASH_BAD_STATE, ~0u, 0, esp,
					"iret: cannot read the frame at %08x", esp);
		return 0;
	}
	/* Xen's order: VM86 first, its frame's CS is a real-mode segment. */
	if (f[3] & PVMX_EFLAGS_VM) {
		pvmx_hcall_lock(v);	/* it writes a frame */
		hc->action = iret_to_vm86(v, f, esp, ss);
		return cpu->gpr[PVMX_EAX];
	}
	cs = f[2] & 0xFFFF;
	if (!(cs & 3)) {
		hc->action = pvmx_crash(v, PVMX_CRASH_BAD_STATE, ~0u, 0, esp,
					"iret to ring 0 (cs %04x)", cs);
		return 0;
	}
	new_esp = esp + 16;
	if (cs & 2) {
		if (got < 24 && pvmx_copy_from_guest(v, f + 4, lin + 16, 8)) {
			hc->action = pvmx_crash(v, PVMX_CRASH_BAD_STATE, ~0u, 0, esp,
						"iret: cannot read the frame at %08x", esp);
			return 0;
		}
		new_esp = f[4];
		ss = f[5] & 0xFFFF;
	}

	/* With architectural_iopl the popped IOPL becomes the virtual one. */
	if (v->vm->vm_assist & BIT(VMASST_TYPE_architectural_iopl))
		v->iopl = (f[3] & PVMX_EFLAGS_IOPL) >> 12;
	/* The upcall mask follows the popped IF; the real IF stays on. */
	WRITE_ONCE(pvmx_vcpu_info(v)->evtchn_upcall_mask, !(f[3] & PVMX_EFLAGS_IF));
	cpu->gpr[PVMX_EAX] = f[0];
	cpu->eip = f[1];
	cpu->cs = cs;
	cpu->eflags = (f[3] & PVMX_EFLAGS_LEGAL & ~PVMX_EFLAGS_IOPL) |
		      PVMX_EFLAGS_IF | PVMX_EFLAGS_FIXED;
	cpu->gpr[PVMX_ESP] = new_esp;
	cpu->ss = ss;

	if (!selector_usable(v, cs, PVMX_SEG_CODE) || !selector_usable(v, ss, PVMX_SEG_STACK)) {
		char why[64];

		snprintf(why, sizeof(why), "iret: cannot load cs %04x / ss %04x", cs, ss);
		pvmx_hcall_lock(v);	/* the failsafe frame is a guest write */
		hc->action = deliver_failsafe(v, why);
		return cpu->gpr[PVMX_EAX];
	}
	if (cs & 2) {
		/* Like a hardware iret to an outer ring: drop more privileged data segments. */
		pvmx_arch_get_data_segs(v, segs);
		for (i = 0; i < 4; i++)
			if (!pvmx_selector_usable(v, segs[i], PVMX_SEG_USER_DATA))
				segs[i] = 0;
		pvmx_arch_set_data_segs(v, segs);
	}
	return f[0];
}
