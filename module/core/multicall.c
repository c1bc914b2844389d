// SPDX-License-Identifier: GPL-2.0
/*
 * multicall (13): a batch of hypercalls in one trap.  Entries run in order
 * through the same dispatch table; only each entry's result is written back;
 * the multicall itself returns 0 unless the list cannot be read or written.
 * Between entries the batch is preemptible: a continuation re-issues the
 * multicall for the entries left (EBX advanced, ECX reduced), so every entry
 * runs exactly once.  An entry that needs userspace (console output) or the
 * host CPU (yield) ends the trap the same way.  An iret entry ends the batch
 * and the multicall returns its value (XSA-213 semantics).
 */
#include "core.h"

#define MC_ENTRY_BYTES	sizeof(struct xen_multicall_entry)

/*
 * The list page translated once instead of twice per entry.  Only used for
 * 4-byte aligned entries inside one page that the guest can write (results
 * go back there); anything else takes the checked copy path.  Stale once an
 * entry changes page tables (v->pt_generation).
 */
struct mc_cursor {
	u32 page;		/* gva >> 12 of the cached page, ~0: none */
	u32 generation;
	u8 *host;
};

static struct xen_multicall_entry *mc_entry_slow(struct pvmx_vcpu_core *v, struct mc_cursor *c,
						 u32 gva)
{
	u64 gpa;
	u8 *host;

	/* A misaligned list is legal but must not be accessed as a struct. */
	if ((gva & 3) || (gva & PVMX_PAGE_OFFSET_MASK) > PVMX_PAGE_BYTES - MC_ENTRY_BYTES)
		return NULL;
	if (gva >= XEN_HYPERVISOR_VIRT_START || pvmx_gva_to_gpa(v, gva, true, &gpa))
		return NULL;
	host = pvmx_gfn_to_host(&v->vm->mem, gpa >> PVMX_PAGE_SHIFT);
	if (!host)
		return NULL;
	c->page = gva >> PVMX_PAGE_SHIFT;
	c->generation = v->pt_generation;
	c->host = host;
	return (void *)(host + (gva & PVMX_PAGE_OFFSET_MASK));
}

/*
 * The entry at gva through the cursor: inline while the page and the page
 * tables are the ones it was validated for and the entry lies inside the
 * page at 4-byte alignment (the checks mc_entry_slow() made for the page).
 */
static inline struct xen_multicall_entry *mc_entry(struct pvmx_vcpu_core *v, struct mc_cursor *c,
						   u32 gva)
{
	u32 off = gva & PVMX_PAGE_OFFSET_MASK;

	if (likely(c->page == gva >> PVMX_PAGE_SHIFT && c->generation == v->pt_generation &&
		   !(gva & 3) && off <= PVMX_PAGE_BYTES - MC_ENTRY_BYTES))
		return (void *)(c->host + off);
	return mc_entry_slow(v, c, gva);
}

static void mc_continue(struct pvmx_hcall *hc, u32 list, u32 left)
{
	hc->arg[0] = list;
	hc->arg[1] = left;
	hc->preempted = true;
}

long do_multicall(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 list = hc->arg[0], nr = hc->arg[1], eip = v->cpu.eip, i, left = 0;
	struct mc_cursor cursor = { .page = ~0u };
	struct xen_multicall_entry e, *fast = NULL;
	struct pvmx_hcall call;
	long ret;

	lockdep_assert_held(&v->vm->lock);
	if (v->in_multicall)
		return -XEN_EINVAL;		/* "Multicall reentry is disallowed" */
	if (!v->mc_continuing)
		v->mc_done = 0;
	v->mc_continuing = false;
	for (i = 0; i < nr; i++, list += MC_ENTRY_BYTES) {
		/*
		 * Room for this entry's records (an iret entry may add a delivery)
		 * and the multicall's own.
		 */
		if (i && (pvmx_preempt_check(v) || !pvmx_trace_room(v, 4))) {
			pvmx_stats_batch(v, i, PVMX_MC_STOP_PREEMPTED);
			mc_continue(hc, list, nr - i);
			return 0;
		}
		/*
		 * The next entry of the page the cursor validated, while no entry
		 * changed page tables; else the full check (mc_entry()).
		 */
		if (likely(left && fast && cursor.generation == v->pt_generation)) {
			fast++;
			left--;
		} else {
			fast = mc_entry(v, &cursor, list);
			left = fast ? (PVMX_PAGE_BYTES - MC_ENTRY_BYTES -
				       (list & PVMX_PAGE_OFFSET_MASK)) / MC_ENTRY_BYTES : 0;
		}
		if (fast) {
			memcpy(&e, fast, sizeof(e));
		} else if (pvmx_copy_from_guest(v, &e, list, sizeof(e))) {
			pvmx_stats_batch(v, i, PVMX_MC_STOP_ERROR);
			return -XEN_EFAULT;
		}
		/* pvmx_dispatch() sets the rest of call. */
		call.op = e.op;
		memcpy(call.arg, e.args, sizeof(call.arg));

		v->in_multicall = true;
		ret = pvmx_dispatch(v, &call);
		v->in_multicall = false;
		v->stats.multicall_entries++;
		pvmx_trace(v, PVMX_TRACE_KIND_MC_ENTRY, call.preempted ? PVMX_TRACE_F_PREEMPTED : 0,
			   e.op, ret, e.args, v->mc_done + i, eip);

		if (call.regs_replaced) {
			/* iret: the batch ends with the context it restored. */
			pvmx_stats_batch(v, i + 1, PVMX_MC_STOP_IRET);
			hc->regs_replaced = true;
			hc->action = call.action;
			if (v->state == PVMX_VCPU_RUNNABLE &&
			    pvmx_copy_to_guest(v, list + 4, &(u32){ ret }, 4))
				return -XEN_EFAULT;
			return ret;
		}
		if (call.preempted) {
			/* The entry itself continues: store its rewritten form. */
			e.op = call.op;
			memcpy(e.args, call.arg, sizeof(call.arg));
			if (pvmx_copy_to_guest(v, list, &e, sizeof(e))) {
				pvmx_stats_batch(v, i, PVMX_MC_STOP_ERROR);
				return -XEN_EFAULT;
			}
			pvmx_stats_batch(v, i, PVMX_MC_STOP_PREEMPTED);
			hc->action = call.action;
			mc_continue(hc, list, nr - i);
			return 0;
		}
		/* The same page, unless the entry changed page tables. */
		if (!fast || cursor.generation != v->pt_generation) {
			fast = mc_entry(v, &cursor, list);
			left = fast ? (PVMX_PAGE_BYTES - MC_ENTRY_BYTES -
				       (list & PVMX_PAGE_OFFSET_MASK)) / MC_ENTRY_BYTES : 0;
		}
		if (fast) {
			WRITE_ONCE(fast->result, (u32)ret);
		} else if (pvmx_copy_to_guest(v, list + 4, &(u32){ ret }, 4)) {
			pvmx_stats_batch(v, i + 1, PVMX_MC_STOP_ERROR);
			return -XEN_EFAULT;
		}
		if (call.action != PVMX_RESUME) {
			hc->action = call.action;
			if (v->state == PVMX_VCPU_RUNNABLE && i + 1 < nr) {
				pvmx_stats_batch(v, i + 1, PVMX_MC_STOP_PREEMPTED);
				mc_continue(hc, list + MC_ENTRY_BYTES, nr - i - 1);
				return 0;
			}
			pvmx_stats_batch(v, i + 1, PVMX_MC_STOP_END);
			return 0;
		}
	}
	pvmx_stats_batch(v, nr, PVMX_MC_STOP_END);
	return 0;
}
