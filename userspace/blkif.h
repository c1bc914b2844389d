/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The blkif ring as a 32-bit x86 front end lays it out (protocol
 * "x86_32-abi": xen/include/public/io/blkif.h with 4-byte alignment of
 * 64-bit fields, io/ring.h), and the launcher's block back end over it.
 * See Documentation/devices.rst.
 */
#ifndef PVMX_BLKIF_H
#define PVMX_BLKIF_H

#include <stdbool.h>
#include <stdint.h>

#include "gnttab.h"

#define BLKIF_OP_READ			0
#define BLKIF_OP_WRITE			1
#define BLKIF_OP_WRITE_BARRIER		2
#define BLKIF_OP_FLUSH_DISKCACHE	3
#define BLKIF_OP_RESERVED_1		4
#define BLKIF_OP_DISCARD		5
#define BLKIF_OP_INDIRECT		6

#define BLKIF_RSP_EOPNOTSUPP		(-2)
#define BLKIF_RSP_ERROR			(-1)
#define BLKIF_RSP_OKAY			0

#define BLKIF_MAX_SEGMENTS_PER_REQUEST	11
/*
 * Indirect descriptors (blkif.h, BLKIF_OP_INDIRECT): the request names up to
 * BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST granted pages of segments, 512 to a
 * page.  The back end takes at most PVMX_BLKIF_MAX_INDIRECT_SEGMENTS
 * (advertised as feature-max-indirect-segments), Linux's xen-blkback's
 * MAX_INDIRECT_SEGMENTS (drivers/block/xen-blkback/common.h): 256
 * segments, 1 MiB, in one indirect page.
 */
#define BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST	8
#define BLKIF_SEGS_PER_INDIRECT_FRAME		512
#define PVMX_BLKIF_MAX_INDIRECT_SEGMENTS	256
#define BLKIF_SECTOR_SHIFT		9
#define BLKIF_SECTORS_PER_PAGE		8

/* vdisk info bits (blkif.h). */
#define VDISK_CDROM			0x1
#define VDISK_REMOVABLE			0x2
#define VDISK_READONLY			0x4

#pragma pack(push, 4)
struct blkif_x86_32_segment {
	uint32_t gref;
	uint8_t first_sect, last_sect;
	uint16_t pad;
};

struct blkif_x86_32_request {
	uint8_t operation;
	uint8_t nr_segments;
	uint16_t handle;
	uint64_t id;
	uint64_t sector_number;
	struct blkif_x86_32_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

/* A segment in an indirect page (blkif.h struct blkif_request_segment). */
struct blkif_indirect_segment {
	uint32_t gref;
	uint8_t first_sect, last_sect;
	uint16_t pad;
};

/* Linux's xen-blkback common.h: struct blkif_x86_32_request_indirect. */
struct blkif_x86_32_request_indirect {
	uint8_t operation;		/* BLKIF_OP_INDIRECT */
	uint8_t indirect_op;		/* BLKIF_OP_READ or BLKIF_OP_WRITE */
	uint16_t nr_segments;
	uint64_t id;
	uint64_t sector_number;
	uint16_t handle;
	uint16_t pad1;
	uint32_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	uint64_t pad2;
};

struct blkif_x86_32_request_discard {
	uint8_t operation;
	uint8_t flag;
	uint16_t handle;
	uint64_t id;
	uint64_t sector_number;
	uint64_t nr_sectors;
};

struct blkif_x86_32_response {
	uint64_t id;
	uint8_t operation;
	int16_t status;
};
#pragma pack(pop)

_Static_assert(sizeof(struct blkif_x86_32_request) == 108, "x86_32 blkif request");
_Static_assert(__builtin_offsetof(struct blkif_x86_32_request, id) == 4, "request id");
_Static_assert(__builtin_offsetof(struct blkif_x86_32_request, seg) == 20, "request seg");
_Static_assert(sizeof(struct blkif_x86_32_response) == 12, "x86_32 blkif response");
_Static_assert(sizeof(struct blkif_indirect_segment) == 8, "blkif_request_segment");
_Static_assert(sizeof(struct blkif_x86_32_request_indirect) == 64, "x86_32 indirect request");
_Static_assert(__builtin_offsetof(struct blkif_x86_32_request_indirect, id) == 4, "indirect id");
_Static_assert(__builtin_offsetof(struct blkif_x86_32_request_indirect, indirect_grefs) == 24,
	       "indirect grefs");
_Static_assert(__builtin_offsetof(struct blkif_x86_32_response, status) == 10, "status");

/* io/ring.h: the shared ring header, then the entries from byte 64. */
struct blkif_sring_hdr {
	uint32_t req_prod, req_event;
	uint32_t rsp_prod, rsp_event;
	uint8_t pad[48];
};
#define BLKIF_ENTRY_SIZE	108	/* the union of request and response */
/* __RD32((4096 - 64) / 108) */
#define BLKIF_RING_SIZE		32

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
