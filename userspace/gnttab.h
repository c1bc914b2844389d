/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The launcher as a grant user (a back end in "dom0"): it reads the guest's
 * version-1 grant entries (mmapped from the VM fd, uapi.rst) and pins a
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

/* xen/include/public/grant_table.h, version 1. */
#define GTF_invalid		0
#define GTF_permit_access	1
#define GTF_accept_transfer	2
#define GTF_transitive		3
#define GTF_type_mask		3
#define GTF_readonly		(1u << 2)
#define GTF_reading		(1u << 3)
#define GTF_writing		(1u << 4)
#define GTF_PWT			(1u << 5)
#define GTF_PCD			(1u << 6)
#define GTF_PAT			(1u << 7)
#define GTF_sub_page		(1u << 8)

/* The domain the launcher's back ends play (dom0 in xl's world). */
#define PVMX_BACKEND_DOMID	0

struct pvmx_grant_v1 {
	uint16_t flags;
	uint16_t domid;
	uint32_t frame;
};
_Static_assert(sizeof(struct pvmx_grant_v1) == 8, "grant_entry_v1");

#define PVMX_GNTTAB_ENTRIES_PER_FRAME	512

/* Xen's active grant entry: pins held by the launcher and the frame pinned. */
struct pvmx_gnt_active {
	uint16_t readers;	/* pins for reading (read-only and writable) */
	uint16_t writers;	/* pins for writing */
	uint32_t frame;		/* the frame, fixed while pinned */
};

struct pvmx_gnttab {
	struct pvmx_grant_v1 *shared;	/* the guest's grant frames */
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
