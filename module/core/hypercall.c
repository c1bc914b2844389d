// SPDX-License-Identifier: GPL-2.0
/*
 * The hypercall dispatcher: one table indexed by hypercall number, shared by
 * `int $0x82` and multicall entries.  Handlers take the five 32-bit
 * arguments and return what the guest sees in EAX: a value or a negated Xen
 * errno.  A handler that cannot finish now (console output larger than one
 * exit carries, a long trap table, a preempted multicall) rewrites its
 * arguments and marks the call preempted: the guest then re-executes
 * `int $0x82`, exactly like a Xen continuation.
 */
#include "core.h"

#define PVMX_XEN_EXTRAVERSION	".0-pvmx"
#define PVMX_XEN_CAPABILITIES	"xen-3.0-x86_32p"

typedef long (*pvmx_hypercall_fn)(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);

enum pvmx_action pvmx_crash(struct pvmx_vcpu_core *v, u32 kind, u32 vector,
			    u32 error_code, u64 address, const char *fmt, ...)
{
	struct pvmx_run *run = v->run;
	va_list ap;

	memset(&run->crash, 0, sizeof(run->crash));
	run->crash.kind = kind;
	run->crash.vector = vector;
	run->crash.error_code = error_code;
	run->crash.eip = v->cpu.eip;
	run->crash.cs = v->cpu.cs;
	run->crash.address = address;
	va_start(ap, fmt);
	vsnprintf(run->crash.reason, sizeof(run->crash.reason), fmt, ap);
	va_end(ap);
	run->exit_reason = PVMX_EXIT_CRASH;
	v->state = PVMX_VCPU_CRASHED;
	return PVMX_EXIT_TO_USER;
}

/* ---- console_io (18) ---------------------------------------------------- */

static long do_console_io(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 cmd = hc->arg[0], count = hc->arg[1], buf = hc->arg[2];
	u32 chunk;

	switch (cmd) {
	case CONSOLEIO_write:
		if (!count)
			return 0;
		chunk = min_t(u32, count, PVMX_CONSOLE_MAX);
		if (pvmx_copy_from_guest(v, v->run->console.data, buf, chunk))
			return -XEN_EFAULT;
		v->run->console.len = chunk;
		v->run->console.pad = 0;
		v->run->exit_reason = PVMX_EXIT_CONSOLE;
		hc->action = PVMX_EXIT_TO_USER;
		if (chunk < count) {
			hc->arg[1] = count - chunk;
			hc->arg[2] = buf + chunk;
			hc->preempted = true;
		}
		return 0;
	case CONSOLEIO_read:
		/* No console input yet: zero bytes, as Xen with an empty ring. */
		if (count > 0x7FFFFFFF)
			return -XEN_E2BIG;
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}

/* ---- xen_version (17) --------------------------------------------------- */

/* Xen copies whole fixed-size buffers, zero padded after the string. */
static long copy_string_out(struct pvmx_vcpu_core *v, u32 gva, const char *s, u32 size)
{
	u32 len = strlen(s);

	if (pvmx_copy_to_guest(v, gva, s, len) || pvmx_clear_guest(v, gva + len, size - len))
		return -XEN_EFAULT;
	return 0;
}

static long do_xen_version(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 arg = hc->arg[1];

	switch (hc->arg[0]) {
	case XENVER_version:
		return (PVMX_XEN_MAJOR << 16) | PVMX_XEN_MINOR;
	case XENVER_extraversion:
		return copy_string_out(v, arg, PVMX_XEN_EXTRAVERSION, XEN_EXTRAVERSION_LEN);
	case XENVER_compile_info: {
		struct xen_compile_info info = {
			.compiler = "gcc",
			.compile_by = "pvmx",
			.compile_domain = "pvmx",
		};

		if (pvmx_copy_to_guest(v, arg, &info, sizeof(info)))
			return -XEN_EFAULT;
		return 0;
	}
	case XENVER_capabilities:
		return copy_string_out(v, arg, PVMX_XEN_CAPABILITIES, XEN_CAPABILITIES_LEN);
	case XENVER_changeset:
		return copy_string_out(v, arg, "pvmx", XEN_CHANGESET_LEN);
	case XENVER_platform_parameters: {
		u32 virt_start = XEN_HYPERVISOR_VIRT_START;

		if (pvmx_copy_to_guest(v, arg, &virt_start, sizeof(virt_start)))
			return -XEN_EFAULT;
		return 0;
	}
	case XENVER_get_features: {
		struct xen_feature_info fi;

		if (pvmx_copy_from_guest(v, &fi, arg, sizeof(fi)))
			return -XEN_EFAULT;
		if (fi.submap_idx != 0)
			return -XEN_EINVAL;
		/*
		 * Xen's PV set (xen/common/kernel.c) where pvmx has the
		 * operation: MMU_PT_UPDATE_PRESERVE_AD and MMUEXT_{CLEAR,COPY}_PAGE;
		 * not gnttab_map_avail_bits (no grant mapping).
		 */
		fi.submap = (1u << XENFEAT_pae_pgdir_above_4gb) |
			    (1u << XENFEAT_mmu_pt_update_preserve_ad) |
			    (1u << XENFEAT_highmem_assist);
		if (pvmx_copy_to_guest(v, arg, &fi, sizeof(fi)))
			return -XEN_EFAULT;
		return 0;
	}
	case XENVER_pagesize:
		return arg ? -XEN_EINVAL : (long)PVMX_PAGE_BYTES;
	case XENVER_guest_handle:
		return pvmx_clear_guest(v, arg, XEN_GUEST_HANDLE_LEN) ? -XEN_EFAULT : 0;
	case XENVER_commandline:
		return copy_string_out(v, arg, "", XEN_COMMANDLINE_LEN);
	default:
		return -XEN_ENOSYS;
	}
}

/* ---- sysctl (35) -------------------------------------------------------- */

/*
 * Xen's do_sysctl() (xen/common/sysctl.c): the whole struct xen_sysctl is
 * copied in, a wrong interface_version is -EACCES (how tools and XTF probe
 * for it), then the XSM check, which refuses every domU: -EPERM.
 */
#define XEN_SYSCTL_INTERFACE_VERSION	0x00000015	/* Xen 4.19 */
#define XEN_SYSCTL_SIZE			136	/* cmd, interface_version, 128-byte union */

static long do_sysctl(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 op[XEN_SYSCTL_SIZE / 4];

	if (pvmx_copy_from_guest(v, op, hc->arg[0], sizeof(op)))
		return -XEN_EFAULT;
	if (op[1] != XEN_SYSCTL_INTERFACE_VERSION)
		return -XEN_EACCES;
	return -XEN_EPERM;
}

/* ---- the table ---------------------------------------------------------- */

/*
 * Which calls run without the VM lock (Documentation/design.rst,
 * "Hypercalls without the VM lock").  The default is the lock.  A call
 * runs without it only if it touches nothing but its own vCPU's state (its
 * registers, callbacks, debug registers, FPU flag, run page, the host timer
 * only it arms) and guest memory it only READS: a guest write's walk must
 * not race another vCPU's page-type change (pinning the written page as a
 * page table would let unvalidated words into it), so a handler that must
 * write takes the lock first (pvmx_hcall_lock()), as iret's failsafe and
 * VM86 paths do.
 *
 * nolock: bit n set when the call with arg[0] == n (n < 32) runs without
 * the lock; HC_NOLOCK_ALL (every bit) for every sub-op, arg[0] >= 32 too.
 */
#define HC_NOLOCK_ALL	0xFFFFFFFFu

struct hypercall_desc {
	pvmx_hypercall_fn fn;
	u32 nolock;
};

#define LOCKED(f)		{ .fn = (f) }
#define NOLOCK(f)		{ .fn = (f), .nolock = HC_NOLOCK_ALL }
#define NOLOCK_SUBOPS(f, m)	{ .fn = (f), .nolock = (m) }

static const struct hypercall_desc hypercall_table[XEN_NR_HYPERCALL_SLOTS] = {
	[__HYPERVISOR_set_trap_table]		= LOCKED(do_set_trap_table),
	[__HYPERVISOR_set_gdt]			= LOCKED(do_set_gdt),
	/* int80_refresh() against update_descriptor's int80_desc_written(). */
	[__HYPERVISOR_stack_switch]		= LOCKED(do_stack_switch),
	[__HYPERVISOR_set_callbacks]		= NOLOCK(do_set_callbacks),
	[__HYPERVISOR_fpu_taskswitch]		= NOLOCK(do_fpu_taskswitch),
	[__HYPERVISOR_set_debugreg]		= NOLOCK(do_set_debugreg),
	[__HYPERVISOR_get_debugreg]		= NOLOCK(do_get_debugreg),
	[__HYPERVISOR_sched_op_compat]		= NOLOCK_SUBOPS(do_sched_op_compat,
								BIT(SCHEDOP_yield)),
	[__HYPERVISOR_update_descriptor]	= LOCKED(do_update_descriptor),
	/* Writes each entry's result into the list. */
	[__HYPERVISOR_multicall]		= LOCKED(do_multicall),
	[__HYPERVISOR_memory_op]		= LOCKED(do_memory_op),
	/* The vCPU's own singleshot hrtimer (its only other user: vcpu_op on itself). */
	[__HYPERVISOR_set_timer_op]		= NOLOCK(do_set_timer_op),
	[__HYPERVISOR_event_channel_op_compat]	= LOCKED(do_event_channel_op_compat),
	[__HYPERVISOR_grant_table_op]		= LOCKED(do_grant_table_op),
	/* Reads the frame; a failsafe or VM86 bounce takes the lock (traps.c). */
	[__HYPERVISOR_iret]			= NOLOCK(do_iret),
	/* The caller's own singleshot timer (another vCPU's: -EINVAL, nothing touched). */
	[__HYPERVISOR_vcpu_op]			= NOLOCK_SUBOPS(do_vcpu_op,
								BIT(VCPUOP_set_singleshot_timer) |
								BIT(VCPUOP_stop_singleshot_timer)),
	/* callback_op reads its argument; the callbacks and NMI entry are the vCPU's. */
	[__HYPERVISOR_callback_op]		= NOLOCK(do_callback_op),
	[__HYPERVISOR_event_channel_op]		= LOCKED(do_event_channel_op),
	[__HYPERVISOR_mmu_update]		= LOCKED(do_mmu_update),
	[__HYPERVISOR_update_va_mapping]	= LOCKED(do_update_va_mapping),
	[__HYPERVISOR_update_va_mapping_otherdomain] =
		LOCKED(do_update_va_mapping_otherdomain),
	[__HYPERVISOR_mmuext_op]		= LOCKED(do_mmuext_op),
	/* The sub-ops that write no guest memory. */
	[__HYPERVISOR_xen_version]		= NOLOCK_SUBOPS(do_xen_version,
								BIT(XENVER_version) |
								BIT(XENVER_pagesize)),
	/* Reads the guest's buffer into the vCPU's own run page. */
	[__HYPERVISOR_console_io]		= NOLOCK(do_console_io),
	[__HYPERVISOR_physdev_op_compat]	= LOCKED(do_physdev_op_compat),
	[__HYPERVISOR_vm_assist]		= LOCKED(do_vm_assist),
	[__HYPERVISOR_physdev_op]		= LOCKED(do_physdev_op),
	/* Reads its argument only. */
	[__HYPERVISOR_sysctl]			= NOLOCK(do_sysctl),
	[__HYPERVISOR_sched_op]			= NOLOCK_SUBOPS(do_sched_op,
								BIT(SCHEDOP_yield) |
								BIT(SCHEDOP_shutdown_code)),
};

/* Unknown numbers: -ENOSYS, which touches nothing. */
static const struct hypercall_desc enosys_desc = { .nolock = HC_NOLOCK_ALL };

static inline const struct hypercall_desc *hcall_desc(u32 op)
{
	return op < ARRAY_SIZE(hypercall_table) ? &hypercall_table[op] : &enosys_desc;
}

static inline bool desc_lockfree(const struct hypercall_desc *d, u32 arg0)
{
	u32 m = d->nolock;

	/* An empty slot (-ENOSYS) takes the lock: rare, and harmless. */
	return m && (m == HC_NOLOCK_ALL || (arg0 < 32 && (m & BIT(arg0))));
}

bool pvmx_hcall_lockfree(const struct pvmx_hcall *hc)
{
	return desc_lockfree(hcall_desc(hc->op), hc->arg[0]);
}

/* ---- cross-vCPU requests and the per-hold work budget (core.h) ---------- */

void pvmx_make_request(struct pvmx_vcpu_core *t, u32 req)
{
	pvmx_test_and_set_bit32(&t->requests, req);
	pvmx_entry_work_set(t, PVMX_WORK_REQUEST);
	/* In the guest it exits, blocked it wakes, down it sees it once up. */
	pvmx_host_kick(t);
}

static bool check_request(struct pvmx_vcpu_core *v, u32 req)
{
	return pvmx_test_bit32(&v->requests, req) &&
	       pvmx_test_and_clear_bit32(&v->requests, req);
}

/* The vCPU's own thread, before an entry. */
void pvmx_process_requests(struct pvmx_vcpu_core *v)
{
	lockdep_assert_held(&v->vm->lock);
	if (likely(!READ_ONCE(v->requests)))
		return;
	if (check_request(v, PVMX_REQ_TRAPS_CHANGED))
		pvmx_arch_traps_changed(v);
}

/*
 * Xen bounds a hypercall's work by hypercall_preempt_check() (softirqs or
 * events pending) and continues it later.  A host kernel has no such
 * signal for "someone else wants this CPU soon" short of need_resched:
 * with nothing else runnable, a million-entry mmu_update would hold the VM
 * lock (and this CPU, preemption off) to the end.  So each VM-lock hold
 * also has a budget of pvmx_hold_budget items (PVMX_HOLD_BUDGET; the
 * module parameter hold_budget, 0 for none, is there to measure with).
 * Every loop over a guest-supplied count asks here before each item but
 * the first, so each hold makes progress.
 */
u32 pvmx_hold_budget = PVMX_HOLD_BUDGET;
bool pvmx_cycle_stats;

static __always_inline long dispatch(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc,
				     const struct hypercall_desc *d)
{
	bool timed = unlikely(READ_ONCE(pvmx_cycle_stats));
	u64 start = timed ? pvmx_host_cycles() : 0;
	long ret;

	hc->action = PVMX_RESUME;
	hc->preempted = false;
	hc->regs_replaced = false;
	ret = d->fn ? d->fn(v, hc) : -XEN_ENOSYS;
	/*
	 * mm.c refused an L1TF-unsafe entry (XSA-273): Xen's domain_crash().
	 * Sticky once a guest set it, so a lock-free call that reads it from
	 * another vCPU's refusal crashes the VM that is going down anyway.
	 */
	if (unlikely(READ_ONCE(v->vm->l1tf_bad_level)))
		hc->action = pvmx_mm_l1tf_crash(v);
	if (hc->op < PVMX_STATS_HYPERCALLS) {
		v->stats.hypercall_count[hc->op]++;
		if (timed)
			v->stats.hypercall_cycles[hc->op] += pvmx_host_cycles() - start;
	} else {
		v->stats.hypercall_other++;
	}
	return ret;
}

long pvmx_dispatch(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	return dispatch(v, hc, hcall_desc(hc->op));
}

static __always_inline void hcall_lock(struct pvmx_vcpu_core *v)
{
	spin_lock(&v->vm->lock);
	v->hc_locked = true;
	v->hold_work = 0;
	v->hc_lock_start = unlikely(READ_ONCE(pvmx_cycle_stats)) ? pvmx_host_cycles() : 0;
}

void pvmx_hcall_lock(struct pvmx_vcpu_core *v)
{
	if (!v->hc_locked)
		hcall_lock(v);
}

static __always_inline void hcall_unlock(struct pvmx_vcpu_core *v)
{
	u64 start = v->hc_lock_start, held = start ? pvmx_host_cycles() - start : 0;

	v->hc_locked = false;
	spin_unlock(&v->vm->lock);
	if (unlikely(start))
		pvmx_host_lock_held(held);
}

enum pvmx_action pvmx_hypercall(struct pvmx_vcpu_core *v, u32 insn_len)
{
	unsigned long *gpr = v->cpu.gpr;
	struct pvmx_hcall hc = {
		.op = gpr[PVMX_EAX],
		.arg = { gpr[PVMX_EBX], gpr[PVMX_ECX], gpr[PVMX_EDX],
			 gpr[PVMX_ESI], gpr[PVMX_EDI] },
	};
	/* For the trace: the call as issued (continuations rewrite hc, iret the registers). */
	const struct pvmx_hcall issued = hc;
	u32 eip = v->cpu.eip;
	const struct hypercall_desc *d = hcall_desc(hc.op);
	long ret;

	pvmx_trace_begin(v);
	/* VM-wide state (events, page types, other vCPUs) is shared: see core.h. */
	if (!desc_lockfree(d, hc.arg[0]))
		hcall_lock(v);
	ret = dispatch(v, &hc, d);
	if (v->hc_locked)
		hcall_unlock(v);

	pvmx_trace(v, PVMX_TRACE_KIND_HYPERCALL, hc.preempted ? PVMX_TRACE_F_PREEMPTED : 0,
		   issued.op, ret, issued.arg, 0, eip);
	if (hc.preempted)
		v->stats.continuations++;
	if (hc.regs_replaced) {
		/* iret (possibly ending a multicall) loaded a whole new context. */
		gpr[PVMX_EAX] = (u32)ret;
	} else if (hc.preempted) {
		/* Leave EIP on the `int $0x82`: the guest re-issues the rest. */
		gpr[PVMX_EBX] = hc.arg[0];
		gpr[PVMX_ECX] = hc.arg[1];
		gpr[PVMX_EDX] = hc.arg[2];
		gpr[PVMX_ESI] = hc.arg[3];
		gpr[PVMX_EDI] = hc.arg[4];
	} else {
		gpr[PVMX_EAX] = (u32)ret;
		v->cpu.eip += insn_len;
	}
	return hc.action;
}

/* Xen's byte layout: `mov $i,%eax; int $0x82; ret`, and the iret slot. */
void pvmx_fill_hypercall_page(u8 *page)
{
	u32 i;

	memset(page, 0xCC, PVMX_PAGE_BYTES);
	for (i = 0; i < XEN_NR_HYPERCALL_SLOTS; i++) {
		u8 *p = page + i * 32;

		if (i == __HYPERVISOR_iret) {
			*p++ = 0x50;			/* push %eax */
			*p++ = 0xB8;			/* mov $23,%eax */
			memcpy(p, &i, 4);
			p += 4;
			*p++ = 0xCD;			/* int $0x82 */
			*p++ = 0x82;
			continue;
		}
		*p++ = 0xB8;
		memcpy(p, &i, 4);
		p += 4;
		*p++ = 0xCD;
		*p++ = 0x82;
		*p++ = 0xC3;			/* ret */
	}
}
