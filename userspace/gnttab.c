// SPDX-License-Identifier: GPL-2.0
/*
 * Grant entries as the launcher's back ends use them; see gnttab.h.  The
 * entries are shared with a guest that may change them at any time: every
 * read of one is a single atomic load of its first word (flags and domid)
 * or of its frame, and the flags are changed only by compare-and-swap or
 * atomic and, as Xen does (guest_cmpxchg, gnttab_clear_flags).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gnttab.h"

#define PAGE_SIZE	4096u
/* Xen gives up after five tries: the guest is changing the entry under us. */
#define CMPXCHG_TRIES	5

int pvmx_gnttab_init(struct pvmx_gnttab *gt, void *shared, uint32_t nr_frames,
		     void *ram, uint64_t nr_ram_frames)
{
	memset(gt, 0, sizeof(*gt));
	gt->shared = shared;
	gt->nr_entries = nr_frames * PVMX_GNTTAB_ENTRIES_PER_FRAME;
	gt->ram = ram;
	gt->nr_frames = nr_ram_frames;
	gt->active = calloc(gt->nr_entries ? gt->nr_entries : 1, sizeof(*gt->active));
	return gt->active ? 0 : -ENOMEM;
}

void pvmx_gnttab_fini(struct pvmx_gnttab *gt)
{
	free(gt->active);
	gt->active = NULL;
	gt->nr_entries = 0;
}

static uint32_t *entry_word(struct pvmx_gnttab *gt, uint32_t ref)
{
	/* flags (low half) and domid (high half), little-endian. */
	return (uint32_t *)&gt->shared[ref];
}

void *pvmx_gnttab_pin(struct pvmx_gnttab *gt, uint32_t ref, bool write, const char **why)
{
	struct pvmx_gnt_active *act;
	uint32_t *word, old, new, frame;
	uint16_t flags;
	int tries;

	if (ref >= gt->nr_entries) {
		*why = "grant reference out of range";
		goto fail;
	}
	act = &gt->active[ref];
	if (act->readers == UINT16_MAX) {
		*why = "grant pinned too many times";
		goto fail;
	}
	word = entry_word(gt, ref);
	old = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	for (tries = 0;; tries++) {
		flags = old & 0xFFFF;
		/* Xen checks type and domid only when it first pins the entry. */
		if (!act->readers &&
		    ((flags & (GTF_type_mask | GTF_sub_page)) != GTF_permit_access ||
		     (old >> 16) != PVMX_BACKEND_DOMID)) {
			*why = "grant not permitting access to domain 0";
			goto fail;
		}
		if (write && (flags & GTF_readonly)) {
			*why = "write to a read-only grant";
			goto fail;
		}
		new = old | GTF_reading | (write ? GTF_writing : 0);
		if (__atomic_compare_exchange_n(word, &old, new, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			break;
		if (tries == CMPXCHG_TRIES - 1) {
			*why = "grant entry unstable";
			goto fail;
		}
	}
	if (!act->readers) {
		frame = __atomic_load_n(&gt->shared[ref].frame, __ATOMIC_ACQUIRE);
		if (frame >= gt->nr_frames) {
			/* Undo what we set, as Xen's unlock_out_clear path. */
			__atomic_fetch_and(word, ~(uint32_t)(GTF_reading | GTF_writing),
					   __ATOMIC_RELEASE);
			*why = "grant of a frame outside the guest's RAM";
			goto fail;
		}
		act->frame = frame;
	}
	act->readers++;
	if (write)
		act->writers++;
	gt->pins++;
	return gt->ram + (uint64_t)act->frame * PAGE_SIZE;
fail:
	gt->failures++;
	return NULL;
}

void pvmx_gnttab_unpin(struct pvmx_gnttab *gt, uint32_t ref, bool write)
{
	struct pvmx_gnt_active *act;
	uint32_t clear = 0;

	if (ref >= gt->nr_entries)
		return;
	act = &gt->active[ref];
	if (!act->readers || (write && !act->writers))
		return;
	act->readers--;
	if (write && !--act->writers)
		clear |= GTF_writing;
	if (!act->readers)
		clear |= GTF_reading | GTF_writing;
	if (clear)
		__atomic_fetch_and(entry_word(gt, ref), ~clear, __ATOMIC_RELEASE);
}
