// SPDX-License-Identifier: GPL-2.0
/*
 * The blkif ring of one virtual block device (blkif.h), served the way
 * Linux's xen-blkback serves it (drivers/block/xen-blkback/blkback.c) and
 * QEMU's xen-block dataplane: requests copied out of the shared ring once,
 * the producer index checked against the ring size, every segment's grant
 * pinned for the duration of its I/O and its sector range checked, the
 * I/O done with pread/pwrite straight into the granted pages.  Indirect
 * descriptors (BLKIF_OP_INDIRECT, up to PVMX_BLKIF_MAX_INDIRECT_SEGMENTS
 * segments) as xen-blkback takes them; no persistent grants (the launcher
 * maps all of the guest's memory already: a pin is a check of the grant
 * entry, not a mapping to save).  Requests
 * are answered synchronously, in order, so a write acknowledged before a
 * flush is on the file when the flush (fdatasync) is acknowledged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "blkif.h"

/* Requests served per call at most: a front end on another vCPU cannot keep us here. */
#define MAX_REQUESTS_PER_SERVICE	(64 * BLKIF_RING_SIZE)

int pvmx_blkback_connect(struct pvmx_blkback *b, struct pvmx_gnttab *gt, uint32_t ring_ref)
{
	const char *why;

	pvmx_blkback_disconnect(b, gt);
	b->broken = false;
	b->why[0] = '\0';
	b->sring = pvmx_gnttab_pin(gt, ring_ref, true, &why);
	if (!b->sring) {
		snprintf(b->why, sizeof(b->why), "ring-ref %u: %s", ring_ref, why);
		return -EINVAL;
	}
	b->ring_ref = ring_ref;
	/* BACK_RING_INIT: the front end initialised the shared indices. */
	b->req_cons = 0;
	b->rsp_prod_pvt = 0;
	return 0;
}

void pvmx_blkback_disconnect(struct pvmx_blkback *b, struct pvmx_gnttab *gt)
{
	if (!b->sring)
		return;
	pvmx_gnttab_unpin(gt, b->ring_ref, true);
	b->sring = NULL;
}

static struct xen_sring_hdr *hdr(struct pvmx_blkback *b)
{
	return (struct xen_sring_hdr *)b->sring;
}

static uint8_t *slot(struct pvmx_blkback *b, uint32_t idx)
{
	return b->sring + sizeof(struct xen_sring_hdr) +
	       (idx & (BLKIF_RING_SIZE - 1)) * BLKIF_ENTRY_SIZE;
}

static int flush(struct pvmx_blkback *b)
{
	b->flushes++;
	return fdatasync(b->fd) ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY;
}

static int discard(struct pvmx_blkback *b, const struct blkif_x86_32_request *req)
{
	struct blkif_x86_32_request_discard d;

	memcpy(&d, req, sizeof(d));
	if (b->ro || d.sector_number > b->sectors || d.nr_sectors > b->sectors - d.sector_number)
		return BLKIF_RSP_ERROR;
	if (!b->discard)
		return BLKIF_RSP_EOPNOTSUPP;
	b->discards++;
	if (d.nr_sectors &&
	    fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(d.sector_number << BLKIF_SECTOR_SHIFT),
		      (off_t)(d.nr_sectors << BLKIF_SECTOR_SHIFT)))
		return errno == EOPNOTSUPP ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_ERROR;
	return BLKIF_RSP_OKAY;
}

/* pread/pwrite all of it; false on an error or end of file. */
static bool full_io(int fd, bool write, uint8_t *buf, size_t len, uint64_t off)
{
	ssize_t n;

	while (len) {
		n = write ? pwrite(fd, buf, len, (off_t)off) : pread(fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return true;
}

/* One segment, copied out of the request or of an indirect page. */
struct seg {
	uint32_t gref;
	uint8_t first_sect, last_sect;
};

/*
 * xen_blkbk_parse_indirect(): pin each indirect page read-only (the back end
 * only reads it), copy its segments out once, unpin it.  The caller bounded
 * nseg to 1..PVMX_BLKIF_MAX_INDIRECT_SEGMENTS.
 */
static int parse_indirect(struct pvmx_gnttab *gt, const struct blkif_x86_32_request_indirect *ind,
			  unsigned int nseg, struct seg *seg)
{
	unsigned int pages = (nseg + BLKIF_SEGS_PER_INDIRECT_FRAME - 1) / BLKIF_SEGS_PER_INDIRECT_FRAME;
	unsigned int p, i, n = 0;
	const char *why;

	for (p = 0; p < pages; p++) {
		struct blkif_request_segment s[BLKIF_SEGS_PER_INDIRECT_FRAME];
		unsigned int cnt = nseg - n;
		uint8_t *page;

		if (cnt > BLKIF_SEGS_PER_INDIRECT_FRAME)
			cnt = BLKIF_SEGS_PER_INDIRECT_FRAME;
		page = pvmx_gnttab_pin(gt, ind->indirect_grefs[p], false, &why);
		if (!page)
			return -1;
		memcpy(s, page, cnt * sizeof(s[0]));
		pvmx_gnttab_unpin(gt, ind->indirect_grefs[p], false);
		for (i = 0; i < cnt; i++, n++) {
			seg[n].gref = s[i].gref;
			seg[n].first_sect = s[i].first_sect;
			seg[n].last_sect = s[i].last_sect;
		}
	}
	return 0;
}

int pvmx_blkback_request(struct pvmx_blkback *b, struct pvmx_gnttab *gt,
			 const struct blkif_x86_32_request *req)
{
	struct seg seg[PVMX_BLKIF_MAX_INDIRECT_SEGMENTS];
	uint8_t *page[PVMX_BLKIF_MAX_INDIRECT_SEGMENTS];
	struct blkif_x86_32_request_indirect ind;
	bool write, flushing = false, indirect = false;
	uint64_t nr_sects = 0, off, sector = req->sector_number;
	unsigned int i, nseg = req->nr_segments, pinned = 0;
	uint8_t op = req->operation;
	const char *why;
	int st = BLKIF_RSP_OKAY;

	if (op == BLKIF_OP_INDIRECT) {
		/* The same slot read as the indirect layout (the union of blkif.h). */
		_Static_assert(sizeof(ind) <= sizeof(*req), "indirect request fits the slot");
		memcpy(&ind, req, sizeof(ind));
		op = ind.indirect_op;
		nseg = ind.nr_segments;
		sector = ind.sector_number;
		indirect = true;
		/* dispatch_rw_block_io(): only reads and writes go indirect. */
		if (op != BLKIF_OP_READ && op != BLKIF_OP_WRITE)
			return BLKIF_RSP_ERROR;
	}
	switch (op) {
	case BLKIF_OP_READ:
		write = false;
		break;
	case BLKIF_OP_WRITE:
		write = true;
		break;
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		/* blkback: a write (possibly of nothing) with REQ_PREFLUSH. */
		write = true;
		flushing = true;
		break;
	case BLKIF_OP_DISCARD:
		return discard(b, req);
	default:
		b->unsupported++;
		return BLKIF_RSP_EOPNOTSUPP;
	}
	/* blkback's checks: segment count, segment bounds, the device's end. */
	if ((nseg == 0 && !flushing) ||
	    nseg > (indirect ? PVMX_BLKIF_MAX_INDIRECT_SEGMENTS : BLKIF_MAX_SEGMENTS_PER_REQUEST))
		return BLKIF_RSP_ERROR;
	if (indirect) {
		if (parse_indirect(gt, &ind, nseg, seg))
			return BLKIF_RSP_ERROR;
	} else {
		for (i = 0; i < nseg; i++) {
			seg[i].gref = req->seg[i].gref;
			seg[i].first_sect = req->seg[i].first_sect;
			seg[i].last_sect = req->seg[i].last_sect;
		}
	}
	for (i = 0; i < nseg; i++) {
		if (seg[i].last_sect >= BLKIF_SECTORS_PER_PAGE || seg[i].last_sect < seg[i].first_sect)
			return BLKIF_RSP_ERROR;
		nr_sects += seg[i].last_sect - seg[i].first_sect + 1u;
	}
	if (write && b->ro)
		return BLKIF_RSP_ERROR;
	/*
	 * xen_vbd_translate(): the range only when there is one.  An empty
	 * flush carries whatever sector its request had (blk-mq's flush
	 * request: (sector_t)-1), and Linux's blkfront turns flushes off
	 * for good when one fails.
	 */
	if (nr_sects && (sector > b->sectors || nr_sects > b->sectors - sector))
		return BLKIF_RSP_ERROR;
	/* Pin every segment first (blkback maps them all); a read writes the guest's page. */
	for (pinned = 0; pinned < nseg; pinned++) {
		page[pinned] = pvmx_gnttab_pin(gt, seg[pinned].gref, !write, &why);
		if (!page[pinned]) {
			st = BLKIF_RSP_ERROR;
			goto out;
		}
	}
	if (flushing && flush(b)) {
		st = BLKIF_RSP_ERROR;
		goto out;
	}
	off = sector << BLKIF_SECTOR_SHIFT;
	for (i = 0; i < nseg; i++) {
		size_t first = (size_t)seg[i].first_sect << BLKIF_SECTOR_SHIFT;
		size_t len = ((size_t)seg[i].last_sect + 1 - seg[i].first_sect)
			     << BLKIF_SECTOR_SHIFT;

		if (!full_io(b->fd, write, page[i] + first, len, off)) {
			st = BLKIF_RSP_ERROR;
			goto out;
		}
		off += len;
	}
	if (flushing && nseg)
		st = flush(b);		/* FUA: the data is stable when acknowledged */
	if (write)
		b->writes++;
	else
		b->reads++;
	if (indirect)
		b->indirect++;
out:
	while (pinned)
		pvmx_gnttab_unpin(gt, seg[--pinned].gref, !write);
	return st;
}

/* blkback answers an indirect request with its indirect_op (pending_req->operation). */
static uint8_t response_op(const struct blkif_x86_32_request *req)
{
	struct blkif_x86_32_request_indirect ind;

	if (req->operation != BLKIF_OP_INDIRECT)
		return req->operation;
	memcpy(&ind, req, sizeof(ind));
	return ind.indirect_op;
}

static void respond(struct pvmx_blkback *b, uint64_t id, uint8_t op, int st)
{
	struct blkif_x86_32_response rsp = { .id = id, .operation = op, .status = (int16_t)st };

	if (st != BLKIF_RSP_OKAY)
		b->errors++;
	memcpy(slot(b, b->rsp_prod_pvt), &rsp, sizeof(rsp));
	b->rsp_prod_pvt++;
}

bool pvmx_blkback_service(struct pvmx_blkback *b, struct pvmx_gnttab *gt)
{
	struct xen_sring_hdr *h;
	struct blkif_x86_32_request req;
	uint32_t rp, old, served = 0;
	bool more;

	if (!b->sring || b->broken)
		return false;
	h = hdr(b);
	old = b->rsp_prod_pvt;
	do {
		rp = __atomic_load_n(&h->req_prod, __ATOMIC_ACQUIRE);
		/* RING_REQUEST_PROD_OVERFLOW */
		if (rp - b->rsp_prod_pvt > BLKIF_RING_SIZE) {
			snprintf(b->why, sizeof(b->why),
				 "front end's req_prod %u is more than a ring (%u) ahead of %u",
				 rp, BLKIF_RING_SIZE, b->rsp_prod_pvt);
			b->broken = true;
			break;
		}
		while (b->req_cons != rp && served < MAX_REQUESTS_PER_SERVICE) {
			/* RING_COPY_REQUEST: read the slot once. */
			memcpy(&req, slot(b, b->req_cons), sizeof(req));
			b->req_cons++;
			served++;
			respond(b, req.id, response_op(&req), pvmx_blkback_request(b, gt, &req));
		}
		/* RING_FINAL_CHECK_FOR_REQUESTS */
		__atomic_store_n(&h->req_event, b->req_cons + 1, __ATOMIC_SEQ_CST);
		more = __atomic_load_n(&h->req_prod, __ATOMIC_SEQ_CST) != b->req_cons;
	} while (more && served < MAX_REQUESTS_PER_SERVICE);
	/* RING_PUSH_RESPONSES_AND_CHECK_NOTIFY */
	if (b->rsp_prod_pvt == old)
		return false;
	__atomic_store_n(&h->rsp_prod, b->rsp_prod_pvt, __ATOMIC_SEQ_CST);
	return (uint32_t)(b->rsp_prod_pvt - __atomic_load_n(&h->rsp_event, __ATOMIC_SEQ_CST)) <
	       (uint32_t)(b->rsp_prod_pvt - old);
}
