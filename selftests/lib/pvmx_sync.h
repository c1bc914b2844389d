/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sync channel between a test guest (GUEST_SYNC, GUEST_ASSERT,
 * GUEST_DONE: guests/guest_sync.h) and its C host test
 * (selftests/lib/pvmx_test.h).  Included by both, so it uses only the
 * <linux/types.h> types (the guests have a freestanding copy).
 *
 * The channel is the xenstore ring page and port of start_info
 * (store_mfn, store_evtchn), which a test run by the library has no other
 * use for: no xenstore serves it.  The port is a launcher port from boot
 * (PVMX_SET_BOOT_INFO's store_evtchn), so the guest's EVTCHNOP_send on it
 * is a PVMX_EXIT_NOTIFY on the vCPU that sent -- no module support beyond
 * the launcher's own.  Before the first PVMX_RUN the host writes the
 * header; a guest that finds no header (run by `pvmx run`, whose xenstore
 * owns the page) prints its stages instead of sending them.
 *
 * One slot per vCPU (the guest's smp_id()).  The guest fills its slot,
 * writes cmd last and sends; the host copies the slot out and sets cmd back
 * to PVMX_SYNC_NONE before it runs the vCPU again.  seq counts the calls
 * of that vCPU, so the host sees a lost or repeated call.
 */
#ifndef _PVMX_SYNC_H
#define _PVMX_SYNC_H

#include <linux/types.h>

#define PVMX_SYNC_MAGIC		0x434e5953u	/* "SYNC" */
#define PVMX_SYNC_VERSION	1
#define PVMX_SYNC_SLOTS		31
#define PVMX_SYNC_FILE_MAX	32		/* __FILE__, truncated, NUL-terminated */
#define PVMX_SYNC_TEXT_MAX	56		/* the assertion, likewise */

/* slot.cmd */
#define PVMX_SYNC_NONE		0
#define PVMX_SYNC_SYNC		1	/* GUEST_SYNC(stage, value): value[0] */
#define PVMX_SYNC_DONE		2	/* GUEST_DONE() */
#define PVMX_SYNC_ASSERT	3	/* a GUEST_ASSERT failed at file:line */

struct pvmx_sync_slot {
	__u32 cmd;
	__u32 seq;			/* this vCPU's calls, this one included */
	__u32 stage;			/* SYNC */
	__u32 line;			/* ASSERT */
	__u32 nr_values;		/* ASSERT: 2 for GUEST_ASSERT_EQ, else 0 */
	__u32 pad;
	__u64 value[2];			/* SYNC: value[0]; ASSERT_EQ: both sides */
	char file[PVMX_SYNC_FILE_MAX];
	char text[PVMX_SYNC_TEXT_MAX];
};

struct pvmx_sync_page {
	__u32 magic;			/* PVMX_SYNC_MAGIC, written by the host */
	__u32 version;			/* PVMX_SYNC_VERSION */
	__u32 nr_slots;			/* PVMX_SYNC_SLOTS */
	__u32 reserved[29];
	struct pvmx_sync_slot slot[PVMX_SYNC_SLOTS];
};

/* The same layout for the 32-bit guest and the 64-bit host. */
_Static_assert(__builtin_offsetof(struct pvmx_sync_slot, value) == 24, "sync slot layout");
_Static_assert(sizeof(struct pvmx_sync_slot) == 128, "sync slot layout");
_Static_assert(sizeof(struct pvmx_sync_page) == 4096, "sync page layout");

#endif /* _PVMX_SYNC_H */
