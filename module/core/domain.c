// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs and the domain (Xen: do_vcpu_op() and domain_shutdown() in
 * xen/common/domain.c, arch_set_info_guest() and the runstate area in
 * xen/arch/x86/domain.c, the time records in xen/arch/x86/time.c):
 * vcpu_op, a vCPU's first state, VCPUOP_initialise's context, up and
 * down, register_vcpu_info and the time area, runstate, the vCPU's time
 * record and shared_info's wall clock, the VM's end.
 */
#include "core.h"

#define PERIODIC_DEFAULT_NS	10000000ULL	/* Xen's 10 ms for PV vCPUs */
#define PERIODIC_MIN_NS		1000000ULL

void pvmx_vcpu_events_init(struct pvmx_vcpu_core *v)
{
	pvmx_stats_init(&v->stats);
	v->stats.nr_vcpus = 1;
	v->periodic_ns = PERIODIC_DEFAULT_NS;
	v->up = v->id == 0;
	v->initialised = v->up;
	/* The first entry looks at everything (what came before it was created too). */
	v->entry_work = PVMX_WORK_ALL;
	if (v->vm->shared_info && v->id < XEN_LEGACY_MAX_VCPUS)
		v->entry_vi = &v->vm->shared_info->vcpu_info[v->id];
	v->runstate.state = v->up ? RUNSTATE_runnable : RUNSTATE_offline;
	v->runstate.state_entry_time = pvmx_host_now_ns();
}

bool pvmx_vm_end(struct pvmx_vcpu_core *v)
{
	struct pvmx_vm_core *vm = v->vm;
	struct pvmx_vcpu_core *other;
	bool first;
	u32 i;

	spin_lock(&vm->lock);
	first = !vm->ended;
	vm->ended = true;
	spin_unlock(&vm->lock);
	pvmx_entry_work_set_all(vm, PVMX_WORK_ENDED);
	/* Every time: the host layer may have set ended itself with its record. */
	for (i = 0; i < PVMX_MAX_VCPUS; i++) {
		other = READ_ONCE(vm->vcpus[i]);
		if (other && other != v)
			pvmx_host_kick(other);
	}
	return first;
}

/* ---- runstate ----------------------------------------------------------- */

#define XEN_RUNSTATE_UPDATE	BIT_ULL(63)

/*
 * With VMASST_TYPE_runstate_update_flag, Xen marks state_entry_time with
 * XEN_RUNSTATE_UPDATE while it rewrites the area, so other vCPUs reading it
 * can tell a torn copy.
 */
static void write_runstate_area(struct pvmx_vcpu_core *v)
{
	struct xen_vcpu_runstate_info rs = v->runstate;
	u32 time_va = v->runstate_va + offsetof(struct xen_vcpu_runstate_info, state_entry_time);

	if (!(v->vm->vm_assist & BIT(VMASST_TYPE_runstate_update_flag))) {
		pvmx_copy_to_guest(v, v->runstate_va, &rs, sizeof(rs));
		return;
	}
	rs.state_entry_time |= XEN_RUNSTATE_UPDATE;
	if (pvmx_copy_to_guest(v, time_va, &rs.state_entry_time, 8))
		return;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	pvmx_copy_to_guest(v, v->runstate_va, &rs, sizeof(rs));
	__atomic_thread_fence(__ATOMIC_RELEASE);
	rs.state_entry_time &= ~XEN_RUNSTATE_UPDATE;
	pvmx_copy_to_guest(v, time_va, &rs.state_entry_time, 8);
}

/* The vCPU's own thread; locked because other vCPUs read it (get_runstate_info). */
void pvmx_runstate_change(struct pvmx_vcpu_core *v, int state)
{
	u64 now = pvmx_host_now_ns();
	struct xen_vcpu_runstate_info *rs = &v->runstate;

	spin_lock(&v->vm->lock);
	if (rs->state >= 0 && rs->state < 4 && now > rs->state_entry_time)
		rs->time[rs->state] += now - rs->state_entry_time;
	rs->state = state;
	rs->state_entry_time = now;
	if (v->runstate_va && state == RUNSTATE_running)
		write_runstate_area(v);
	spin_unlock(&v->vm->lock);
}

/* ---- time --------------------------------------------------------------- */

/* Xen's time scale: ns = ((tsc << shift) * mul) >> 32, shift applied first. */
/*
 * The copy at the register_vcpu_time_memory_area address, as Xen's
 * update_secondary_system_time(): version odd, the record, version even;
 * nothing if the address cannot be written now.  Under the VM lock: the
 * walk must not race page-type changes.
 */
static void write_time_area(struct pvmx_vcpu_core *v, const struct xen_vcpu_time_info *t)
{
	struct xen_vcpu_time_info u = *t;
	u32 version = u.version | 1;

	lockdep_assert_held(&v->vm->lock);
	if (pvmx_copy_to_guest(v, v->time_area_va, &version, sizeof(version)))
		return;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	u.version = version;
	pvmx_copy_to_guest(v, v->time_area_va, &u, sizeof(u));
	__atomic_thread_fence(__ATOMIC_RELEASE);
	version++;
	pvmx_copy_to_guest(v, v->time_area_va, &version, sizeof(version));
}

static void update_time_info(struct pvmx_vcpu_core *v, bool locked)
{
	struct xen_vcpu_time_info *t = &pvmx_vcpu_info(v)->time;
	struct pvmx_time_sample now;

	pvmx_host_time(&now);
	WRITE_ONCE(t->version, t->version | 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t->tsc_timestamp = now.tsc;
	t->system_time = now.ns;
	t->tsc_to_system_mul = now.tsc_to_system_mul;
	t->tsc_shift = now.tsc_shift;
	t->flags = 1;		/* XEN_PVCLOCK_TSC_STABLE_BIT */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	WRITE_ONCE(t->version, (t->version | 1) + 1);
	if (!READ_ONCE(v->time_area_va))
		return;
	if (locked) {
		write_time_area(v, t);
	} else {
		spin_lock(&v->vm->lock);
		if (v->time_area_va)
			write_time_area(v, t);
		spin_unlock(&v->vm->lock);
	}
}

void pvmx_update_time_info(struct pvmx_vcpu_core *v)
{
	update_time_info(v, false);
}

void pvmx_set_wallclock(struct pvmx_vm_core *vm, u64 real_ns_at_zero)
{
	struct xen_shared_info *si = vm->shared_info;
	u64 sec = real_ns_at_zero / 1000000000ULL;

	WRITE_ONCE(si->wc_version, si->wc_version | 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	si->wc_sec = (u32)sec;
	si->wc_sec_hi = (u32)(sec >> 32);
	si->wc_nsec = real_ns_at_zero % 1000000000ULL;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	WRITE_ONCE(si->wc_version, (si->wc_version | 1) + 1);
}

/* ---- vcpu_op ------------------------------------------------------------ */

/*
 * VCPUOP_register_vcpu_info: the vCPU's vcpu_info moves from shared_info
 * into a RAM frame of the guest's (Xen's map_guest_area() with
 * vcpu_info_populate()).  Once per vCPU; on the caller itself or a vCPU
 * that is down (Xen before 4.18 required that; later Xen pauses the
 * target).  The frame keeps a writable type reference for the VM's life,
 * so it can never become a page table the hypervisor would then write.
 */
static long register_vcpu_info(struct pvmx_vcpu_core *v, struct pvmx_vcpu_core *t, u32 arg)
{
	struct pvmx_vm_core *vm = v->vm;
	struct xen_vcpu_register_vcpu_info info;
	struct xen_vcpu_info *vi;
	u8 *page;

	if (pvmx_copy_from_guest(v, &info, arg, sizeof(info)))
		return -XEN_EFAULT;
	/* gaddr = (mfn << 12) + offset must not wrap nor leave the frame. */
	if (info.mfn >> (64 - PVMX_PAGE_SHIFT) || info.offset >= PVMX_PAGE_BYTES)
		return -XEN_EINVAL;
	if (t->vcpu_info)
		return -XEN_EBUSY;
	if (t != v && t->up)
		return -XEN_EINVAL;
	if (info.offset + sizeof(*vi) > PVMX_PAGE_BYTES || (info.offset & 3))
		return -XEN_ENXIO;
	if (info.mfn >= vm->mem.nr_ram_frames)
		return -XEN_EINVAL;
	if (pvmx_get_page_type(vm, info.mfn, PVMX_PGT_WRITABLE))
		return -XEN_EACCES;
	page = pvmx_gfn_to_host(&vm->mem, info.mfn);
	vi = (struct xen_vcpu_info *)(page + info.offset);
	memcpy(vi, pvmx_vcpu_info(t), sizeof(*vi));
	WRITE_ONCE(t->vcpu_info, vi);
	WRITE_ONCE(t->entry_vi, vi);
	/* Everything pending, so nothing is lost: a spurious upcall at worst. */
	WRITE_ONCE(vi->evtchn_pending_sel, ~0u);
	WRITE_ONCE(vi->evtchn_upcall_pending, 1);
	update_time_info(t, true);
	/*
	 * The int $0x80 fast path reads the mask from shared_info: not any
	 * more.  Another vCPU's gate is its own to rewrite: it may still be
	 * in the guest (downed, not yet out), so it does that before it next
	 * enters.
	 */
	if (t == v)
		pvmx_arch_traps_changed(t);
	else
		pvmx_make_request(t, PVMX_REQ_TRAPS_CHANGED);
	return 0;
}

/*
 * VCPUOP_register_vcpu_time_memory_area (compat): a 32-bit guest address
 * below the hypervisor hole (else -EFAULT), 0 to stop; the vCPU's time
 * record is copied there whenever it is updated, starting now if the
 * target is the caller.
 */
static long register_time_area(struct pvmx_vcpu_core *v, struct pvmx_vcpu_core *t, u32 arg)
{
	u32 va;

	if (pvmx_copy_from_guest(v, &va, arg, sizeof(va)))
		return -XEN_EFAULT;
	if ((u64)va + sizeof(struct xen_vcpu_time_info) > XEN_HYPERVISOR_VIRT_START)
		return -XEN_EFAULT;
	t->time_area_va = va;
	if (va && t == v)
		update_time_info(t, true);
	return 0;
}

/* ---- VCPUOP_initialise: Xen's arch_set_info_guest() for a compat guest ---- */

#define VGC			struct xen_vcpu_guest_context
#define VGC_SIZE		((u32)sizeof(VGC))
#define VGC_CHUNK		512u
#define VGC_TRAPS_PER_CHUNK	(VGC_CHUNK / sizeof(struct xen_trap_info))
#define LDT_MAX_ENTS		8192u
#define PVMX_CR0_TS		0x8u

static u16 code_selector(u32 sel)
{
	/* Xen's fixup_guest_{code,stack}_selector(): RPL 0 becomes 1. */
	return (sel & 3) ? (u16)sel : (u16)(sel | 1);
}

/*
 * The context is 2800 bytes, too big for the stack: it is read in pieces.
 * A first pass checks the whole of it can be read (Xen copies it before
 * anything else: -EFAULT changes nothing).  Xen's checks follow, then the
 * loads; as in Xen a failure in set_gdt or the new cr3 leaves the vCPU
 * uninitialised.
 */
/*
 * The 512-byte buffers live in these helpers, not in vcpu_initialise():
 * with KASAN's redzones one frame holding them all passed the kernel's
 * 1024-byte frame limit (-Werror=frame-larger-than on the debug kernel).
 */
static noinline_for_stack bool vgc_readable(struct pvmx_vcpu_core *v, u32 arg)
{
	u8 buf[VGC_CHUNK];
	u32 off;

	for (off = 0; off < VGC_SIZE; off += VGC_CHUNK)
		if (pvmx_copy_from_guest(v, buf, arg + off, min_t(u32, VGC_CHUNK, VGC_SIZE - off)))
			return false;
	return true;
}

static noinline_for_stack void vgc_load_traps(struct pvmx_vcpu_core *v,
					      struct pvmx_vcpu_core *t, u32 arg)
{
	struct xen_trap_info traps[VGC_TRAPS_PER_CHUNK];
	u32 off, i, j;

	for (off = offsetof(VGC, trap_ctxt), i = 0; i < ARRAY_SIZE(t->trap_ctxt);
	     off += sizeof(traps), i += VGC_TRAPS_PER_CHUNK) {
		if (pvmx_copy_from_guest(v, traps, arg + off, sizeof(traps)))
			memset(traps, 0, sizeof(traps));	/* changed under us */
		for (j = 0; j < VGC_TRAPS_PER_CHUNK; j++) {
			t->trap_ctxt[i + j].address = traps[j].address;
			t->trap_ctxt[i + j].cs = code_selector(traps[j].cs);
			t->trap_ctxt[i + j].flags = traps[j].flags;
		}
	}
}

static noinline_for_stack void vgc_load_context(struct pvmx_vcpu_core *v,
						struct pvmx_vcpu_core *t, u32 arg,
						const u16 *sregs, bool i387_valid)
{
	struct xen_trap_info fpu[VGC_TRAPS_PER_CHUNK];	/* the 512-byte FXSAVE area */

	if (i387_valid) {
		if (pvmx_copy_from_guest(v, fpu, arg, sizeof(fpu)))
			memset(fpu, 0, sizeof(fpu));
		pvmx_arch_load_context(t, sregs, fpu);
	} else {
		pvmx_arch_load_context(t, sregs, NULL);
	}
}

static long vcpu_initialise(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc,
			    struct pvmx_vcpu_core *t, u32 arg)
{
	struct {
		u32 flags;
		struct xen_cpu_user_regs r;
	} head;
	struct {
		u32 ldt_base, ldt_ents, gdt_frames[16], gdt_ents, kernel_ss, kernel_sp;
		u32 ctrlreg[8], debugreg[8];
		u32 event_cs, event_eip, failsafe_cs, failsafe_eip, vm_assist;
	} tail;
	u32 nr_gdt_frames;
	u16 sregs[6];
	long rc;

	if (!vgc_readable(v, arg))
		return -XEN_EFAULT;
	if (pvmx_copy_from_guest(v, &head, arg + offsetof(VGC, flags), sizeof(head)) ||
	    pvmx_copy_from_guest(v, &tail, arg + offsetof(VGC, ldt_base), sizeof(tail)))
		return -XEN_EFAULT;
	if (t->initialised)
		return -XEN_EEXIST;
	/*
	 * The target is not initialised, so it has never run: its thread can
	 * only be waiting for VCPUOP_up, and its context is written here, under
	 * the VM lock.  Unless PVMX_SET_REGS is writing it: then retry once that
	 * is done (as Xen's -ERESTART continuation), to find it initialised.
	 */
	if (t->regs_busy) {
		hc->preempted = true;
		hc->action = PVMX_YIELD;
		return 0;
	}
	if ((tail.ldt_base & PVMX_PAGE_OFFSET_MASK) || tail.ldt_ents > LDT_MAX_ENTS)
		return -XEN_EINVAL;
	if (!pvmx_debug_context_ok(tail.debugreg))
		return -XEN_EINVAL;
	nr_gdt_frames = (tail.gdt_ents + 511) / 512;
	if (nr_gdt_frames > ARRAY_SIZE(tail.gdt_frames) ||
	    tail.gdt_ents > XEN_FIRST_RESERVED_GDT_ENTRY)
		return -XEN_EINVAL;
	/*
	 * Xen fixes up the RPLs and takes the selectors as they are (a zeroed
	 * context is fine, XSA-296): whether the vCPU can load them is only
	 * found out when it first runs (new_context_loadable()).
	 */
	sregs[0] = head.r.es;
	sregs[1] = code_selector(head.r.cs);
	sregs[2] = code_selector(head.r.ss);
	sregs[3] = head.r.ds;
	sregs[4] = head.r.fs;
	sregs[5] = head.r.gs;

	if (tail.gdt_ents) {
		rc = pvmx_set_gdt(t, tail.gdt_frames, tail.gdt_ents);
		if (rc)
			return rc;
	}
	rc = pvmx_new_baseptr(t, XEN_CR3_TO_PFN(tail.ctrlreg[3]));
	if (rc) {
		if (tail.gdt_ents)
			pvmx_set_gdt(t, NULL, 0);
		return rc;
	}
	if (tail.ldt_ents)
		pvmx_set_ldt(t, tail.ldt_base, tail.ldt_ents);

	vgc_load_traps(v, t, arg);
	t->cpu.gpr[PVMX_EAX] = head.r.eax;
	t->cpu.gpr[PVMX_EBX] = head.r.ebx;
	t->cpu.gpr[PVMX_ECX] = head.r.ecx;
	t->cpu.gpr[PVMX_EDX] = head.r.edx;
	t->cpu.gpr[PVMX_ESI] = head.r.esi;
	t->cpu.gpr[PVMX_EDI] = head.r.edi;
	t->cpu.gpr[PVMX_EBP] = head.r.ebp;
	t->cpu.gpr[PVMX_ESP] = head.r.esp;
	t->cpu.eip = head.r.eip;
	/* IOPL is virtualised and the real IF always on, as in Xen; no VM86. */
	t->cpu.eflags = (head.r.eflags & PVMX_EFLAGS_LEGAL & ~PVMX_EFLAGS_IOPL &
			 ~PVMX_EFLAGS_VM) | PVMX_EFLAGS_IF | PVMX_EFLAGS_FIXED;
	t->cpu.cs = sregs[1];
	t->cpu.ss = sregs[2];
	/* The virtual IOPL comes from the context's EFLAGS, as in Xen. */
	t->iopl = (head.r.eflags & PVMX_EFLAGS_IOPL) >> 12;
	t->cpu.kernel_ss = code_selector(tail.kernel_ss);
	t->cpu.kernel_sp = tail.kernel_sp;
	t->event_cb = (struct pvmx_callback){
		.cs = code_selector(tail.event_cs), .eip = tail.event_eip, .mask_events = true,
	};
	t->failsafe_cb = (struct pvmx_callback){
		.cs = code_selector(tail.failsafe_cs), .eip = tail.failsafe_eip,
		.mask_events = head.flags & VGCF_failsafe_disables_events,
	};
	t->fpu_ts = tail.ctrlreg[0] & PVMX_CR0_TS;
	pvmx_load_debug_context(t, tail.ctrlreg[4], tail.debugreg);
	/* Xen takes vm_assist from vCPU 0's context only (a restore). */
	if (t->id == 0)
		v->vm->vm_assist = tail.vm_assist;
	vgc_load_context(v, t, arg, sregs, head.flags & VGCF_i387_valid);
	t->initialised = true;
	t->new_context = true;
	if (head.flags & VGCF_online)
		t->up = true;
	pvmx_entry_work_set(t, PVMX_WORK_STATE);
	if (head.flags & VGCF_online)
		pvmx_host_kick(t);
	return 0;
}

/* The last vCPU to go down takes the VM with it (Xen: SHUTDOWN_poweroff). */
static long vcpu_down(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc,
		      struct pvmx_vcpu_core *t)
{
	struct pvmx_vcpu_core *other;
	u32 i;

	for (i = 0; i < PVMX_MAX_VCPUS; i++) {
		other = v->vm->vcpus[i];
		if (other && other != t && other->up)
			break;
	}
	if (i == PVMX_MAX_VCPUS) {
		pvmx_shutdown(v, hc, SHUTDOWN_poweroff);
		return 0;
	}
	if (!t->up)
		return 0;
	t->up = false;
	pvmx_entry_work_set(t, PVMX_WORK_STATE);
	if (t == v)
		hc->action = PVMX_OFFLINE;	/* resumes after the call once up */
	else
		pvmx_host_kick(t);
	return 0;
}

long do_vcpu_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	struct pvmx_vcpu_core *target = pvmx_vcpu_of(v->vm, hc->arg[1]);
	u32 arg = hc->arg[2];
	u64 period;
	struct xen_vcpu_set_singleshot_timer sshot;
	struct xen_vcpu_runstate_info rs;

	/* All but the caller's own singleshot timer (hypercall.c's table). */
	lockdep_assert(hc->arg[0] == VCPUOP_set_singleshot_timer ||
		       hc->arg[0] == VCPUOP_stop_singleshot_timer ||
		       lockdep_is_held(&v->vm->lock));
	if (!target)
		return -XEN_ENOENT;	/* beyond the VM's vCPUs, as Xen's domain_vcpu() */
	switch (hc->arg[0]) {
	case VCPUOP_initialise:
		return vcpu_initialise(v, hc, target, arg);
	case VCPUOP_up:
		if (!target->initialised)
			return -XEN_EINVAL;
		if (!target->up) {
			target->up = true;
			pvmx_entry_work_set(target, PVMX_WORK_STATE);
			pvmx_host_kick(target);
		}
		return 0;
	case VCPUOP_down:
		return vcpu_down(v, hc, target);
	case VCPUOP_is_up:
		return target->up;
	case VCPUOP_get_runstate_info:
		rs = target->runstate;
		if (target == v) {
			/* Account the time up to now to the running state. */
			rs.time[RUNSTATE_running] += pvmx_host_now_ns() - rs.state_entry_time;
			rs.state_entry_time = pvmx_host_now_ns();
		}
		return pvmx_copy_to_guest(v, arg, &rs, sizeof(rs)) ? -XEN_EFAULT : 0;
	case VCPUOP_register_runstate_memory_area:
		if (pvmx_copy_from_guest(v, &target->runstate_va, arg, 4))
			return -XEN_EFAULT;
		/* Like Xen, an area that cannot be written now is kept, not refused. */
		if (target->runstate_va)
			pvmx_copy_to_guest(v, target->runstate_va, &target->runstate,
					   sizeof(target->runstate));
		return 0;
	case VCPUOP_register_vcpu_info:
		return register_vcpu_info(v, target, arg);
	case VCPUOP_register_vcpu_time_memory_area:
		return register_time_area(v, target, arg);
	case VCPUOP_set_periodic_timer:
		if (pvmx_copy_from_guest(v, &period, arg, sizeof(period)))
			return -XEN_EFAULT;
		if (period < PERIODIC_MIN_NS || period > PVMX_TIMER_MAX_DELTA_NS)
			return -XEN_EINVAL;
		target->periodic_ns = period;
		if (target->virq_port[VIRQ_TIMER])
			pvmx_host_set_periodic(target, period);
		return 0;
	case VCPUOP_stop_periodic_timer:
		target->periodic_ns = 0;
		pvmx_host_set_periodic(target, 0);
		return 0;
	case VCPUOP_set_singleshot_timer:
		if (target != v)
			return -XEN_EINVAL;
		if (pvmx_copy_from_guest(v, &sshot, arg, sizeof(sshot)))
			return -XEN_EFAULT;
		/* Current Xen ignores VCPU_SSHOTTMR_future: a past deadline fires at once. */
		pvmx_host_set_timer(v, sshot.timeout_abs_ns ? sshot.timeout_abs_ns : 1);
		return 0;
	case VCPUOP_stop_singleshot_timer:
		if (target != v)
			return -XEN_EINVAL;
		pvmx_host_set_timer(v, 0);
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}
