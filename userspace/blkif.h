/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The launcher's block back end, over the blkif ring as a 32-bit x86 front
 * end lays it out (protocol "x86_32-abi": include/pvmx/xen_io.h).  See
 * Documentation/devices.rst.
 */
#ifndef PVMX_BLKIF_H
#define PVMX_BLKIF_H

#include <stdbool.h>
#include <stdint.h>

#include <pvmx/xen_io.h>

#include "gnttab.h"

/*
 * The back end takes at most this many segments in an indirect request
 * (advertised as feature-max-indirect-segments), Linux's xen-blkback's
 * MAX_INDIRECT_SEGMENTS (drivers/block/xen-blkback/common.h): 256
 * segments, 1 MiB, in one indirect page.
 */
#define PVMX_BLKIF_MAX_INDIRECT_SEGMENTS	256

/* One virtual block device's ring and backing file. */
struct pvmx_blkback {
	int fd;
	bool ro;
	uint64_t sectors;		/* of 512 bytes */
	bool discard;			/* fallocate(PUNCH_HOLE) works on fd */
	/* Connected ring. */
	uint8_t *sring;			/* the pinned ring page, or NULL */
	uint32_t ring_ref;
	uint32_t req_cons, rsp_prod_pvt;
	bool broken;
	char why[160];			/* why it broke */
	uint64_t reads, writes, flushes, discards, errors, unsupported;
	uint64_t indirect;		/* BLKIF_OP_INDIRECT requests served */
};

/* Pin ring_ref (writable) as the ring; 0, or -EINVAL with b->why set. */
int pvmx_blkback_connect(struct pvmx_blkback *b, struct pvmx_gnttab *gt, uint32_t ring_ref);
void pvmx_blkback_disconnect(struct pvmx_blkback *b, struct pvmx_gnttab *gt);

/*
 * Answer the requests on the ring (every one copied out of the shared page
 * once, every index and segment bounded), as Linux's blkback
 * (__do_block_io_op, RING_FINAL_CHECK_FOR_REQUESTS, then
 * RING_PUSH_RESPONSES_AND_CHECK_NOTIFY).  Returns true when the front end
 * should be notified.  A front end whose request producer runs more than a
 * ring ahead breaks the device: b->broken, b->why, nothing more served.
 */
bool pvmx_blkback_service(struct pvmx_blkback *b, struct pvmx_gnttab *gt);

/*
 * One request, already copied out of the ring: its BLKIF_RSP_* status.  An
 * indirect request's segment pages are pinned read-only and their
 * segments copied out once, as xen-blkback's xen_blkbk_parse_indirect().
 */
int pvmx_blkback_request(struct pvmx_blkback *b, struct pvmx_gnttab *gt,
			 const struct blkif_x86_32_request *req);

#endif
