/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The launcher as a grant user (a back end in "dom0"): it reads the guest's
 * version-1 grant entries (struct grant_entry_v1 and GTF_* in
 * include/pvmx/xen_abi.h, mmapped from the VM fd, uapi.rst) and pins a
 * grant while it uses the page, as Xen's grant code pins one for a map or
 * a copy (xen/common/grant_table.c: _set_status_v1(), then
 * gnttab_clear_flags() on release).  See Documentation/devices.rst.
 *
 * Not thread-safe by itself: the launcher serialises every back end with
 * one lock.
 */
#ifndef PVMX_GNTTAB_H
#define PVMX_GNTTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvmx/xen_abi.h>

/* The domain the launcher's back ends play (dom0 in xl's world). */
#define PVMX_BACKEND_DOMID	0

#define PVMX_GNTTAB_ENTRIES_PER_FRAME	512

/* Xen's active grant entry: pins held by the launcher and the frame pinned. */
struct pvmx_gnt_active {
	uint16_t readers;	/* pins for reading (read-only and writable) */
	uint16_t writers;	/* pins for writing */
	uint32_t frame;		/* the frame, fixed while pinned */
};

struct pvmx_gnttab {
	struct grant_entry_v1 *shared;	/* the guest's grant frames */
	uint32_t nr_entries;
	uint8_t *ram;			/* guest RAM, indexed by machine frame */
	uint64_t nr_frames;		/* frames of RAM */
	struct pvmx_gnt_active *active;	/* nr_entries of them */
	uint64_t pins, failures;	/* counters */
};

/* shared: nr_frames grant frames; ram: nr_ram_frames pages.  0 or -ENOMEM. */
int pvmx_gnttab_init(struct pvmx_gnttab *gt, void *shared, uint32_t nr_frames,
		     void *ram, uint64_t nr_ram_frames);
void pvmx_gnttab_fini(struct pvmx_gnttab *gt);

/*
 * Pin grant ref for reading (write false) or reading and writing (write
 * true), as a map or copy by domain PVMX_BACKEND_DOMID: the entry must
 * permit access to that domain (GTF_permit_access, not sub-page, not
 * transitive), not be GTF_readonly for a write pin, and name a frame of
 * RAM.  Sets GTF_reading (and GTF_writing) with compare-and-swap, giving up
 * when the guest keeps changing the entry.  Returns the host address of the
 * page, or NULL with *why set (a static string).
 */
void *pvmx_gnttab_pin(struct pvmx_gnttab *gt, uint32_t ref, bool write, const char **why);
/* Drop one pin taken with the same write; clears the flags when none is left. */
void pvmx_gnttab_unpin(struct pvmx_gnttab *gt, uint32_t ref, bool write);

#endif
