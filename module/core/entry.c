// SPDX-License-Identifier: GPL-2.0
/*
 * The work before a guest entry: pvmx_prepare_entry() (core.h) looks at
 * the entry_work word and the vcpu_info's upcall bytes without the VM
 * lock; when they say there is work, pvmx_prepare_entry_slow() does it
 * under the lock (Documentation/design.rst, "The entry check in one
 * word").  Xen looks on every return to a 32-bit PV guest
 * (compat_test_all_events, xen/arch/x86/x86_64/compat/entry.S); KVM has
 * its requests in vcpu_enter_guest().
 */
#include "core.h"

/*
 * A data selector the vCPU could hold at its privilege level (null is fine):
 * the hardware's rule for loading DS..GS at CPL c (the context's CS RPL,
 * never below 1): a present data or readable code segment with DPL >=
 * max(c, RPL), or readable conforming code.  Linux starts its APs with FS
 * = __KERNEL_PERCPU, RPL 0, whose DPL Xen's descriptor check raised to 1.
 */
#define SEL_DESC_S		BIT_ULL(44)
#define SEL_DESC_P		BIT_ULL(47)
#define SEL_DESC_CODE		BIT_ULL(43)
#define SEL_DESC_CONFORMING	BIT_ULL(42)
#define SEL_DESC_READABLE	BIT_ULL(41)
static bool data_selector_ok(struct pvmx_vcpu_core *t, u16 sel)
{
	u32 cpl = (t->cpu.cs & 3) ? (t->cpu.cs & 3) : 1, rpl = sel & 3, dpl;
	u64 d;

	if (!(sel & ~3u))
		return true;
	if (pvmx_read_descriptor(t, sel, &d) || !(d & SEL_DESC_P) || !(d & SEL_DESC_S))
		return false;
	if (d & SEL_DESC_CODE) {
		if (!(d & SEL_DESC_READABLE))
			return false;
		if (d & SEL_DESC_CONFORMING)
			return true;
	}
	dpl = (d >> 45) & 3;
	return dpl >= cpl && dpl >= rpl;
}

/*
 * The first entry after VCPUOP_initialise, with the GDT the guest has now:
 * on Xen an unloadable CS or SS faults its return to the guest and data
 * selectors go through the failsafe callback; pvmx crashes the guest with
 * the reason instead (Documentation/guest-abi.rst, vcpu_op).
 */
static bool new_context_loadable(struct pvmx_vcpu_core *v)
{
	u16 segs[4];
	int i;

	v->new_context = false;
	if (!pvmx_selector_usable(v, v->cpu.cs, PVMX_SEG_CODE) ||
	    !pvmx_selector_usable(v, v->cpu.ss, PVMX_SEG_STACK) ||
	    (v->cpu.cs & 3) != (v->cpu.ss & 3))
		return false;
	pvmx_arch_get_data_segs(v, segs);
	for (i = 0; i < 4; i++)
		if (!data_selector_ok(v, segs[i]))
			return false;
	return true;
}

#ifndef __KERNEL__
void (*pvmx_entry_slow_test_hook)(struct pvmx_vcpu_core *v);
#endif

/*
 * pvmx_prepare_entry() found entry_work set (every bit at a vCPU's first
 * entry, which caches entry_vi here) or an upcall to deliver.  The word is
 * taken before any field is read (core.h): a writer that stores its field
 * and sets its bit after this xchg is seen at the next entry.  Then exactly
 * what the entry path did before the word existed, under the VM lock; a
 * condition that makes it leave without doing the rest puts the bits back,
 * so none is lost.
 */
enum pvmx_action pvmx_prepare_entry_slow(struct pvmx_vcpu_core *v)
{
	u32 work = pvmx_xchg32(&v->entry_work, 0);
	enum pvmx_action act = PVMX_RESUME;
	struct xen_vcpu_info *vi;

	if (v->trace_nr) {
		/* The records first; the rest of the work at the next entry. */
		if (work & ~PVMX_WORK_TRACE)
			pvmx_entry_work_set(v, work & ~PVMX_WORK_TRACE);
		act = pvmx_trace_flush(v);
		pvmx_entry_slow_hook(v);
		return act;
	}
	spin_lock(&v->vm->lock);
	vi = pvmx_vcpu_info(v);
	if (unlikely(v->entry_vi != vi))
		WRITE_ONCE(v->entry_vi, vi);
	if (v->vm->ended) {
		/* Another vCPU ended the VM: the caller reports the VM's end. */
		pvmx_entry_work_set(v, work | PVMX_WORK_ENDED);	/* every later entry too */
		v->run->exit_reason = PVMX_EXIT_NONE;
		act = PVMX_EXIT_TO_USER;
	} else if (!v->up) {
		/* VCPUOP_down by another vCPU; the work waits for VCPUOP_up. */
		pvmx_entry_work_set(v, work | PVMX_WORK_STATE);
		act = PVMX_OFFLINE;
	} else if (unlikely(v->new_context) && !new_context_loadable(v)) {
		act = pvmx_crash(v, PVMX_CRASH_BAD_STATE, ~0u, 0, 0,
				 "vCPU %u: the VCPUOP_initialise context has selectors it cannot load (cs %04x ss %04x)",
				 v->id, v->cpu.cs, v->cpu.ss);
	} else {
		pvmx_process_requests(v);
		pvmx_apply_async_events(v);
		if (READ_ONCE(vi->evtchn_upcall_pending) && !READ_ONCE(vi->evtchn_upcall_mask))
			act = pvmx_deliver_upcall(v);
	}
	pvmx_entry_slow_hook(v);
	spin_unlock(&v->vm->lock);
	return act;
}
