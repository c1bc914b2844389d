// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the launcher's back ends: grant pinning (gnttab.c), the
 * blkif ring (blkback.c) with hostile front ends, and the xenstore
 * handshake (backend.c), against a fake guest memory, grant table and disk
 * file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/pvmx.h>
#include "backend.h"
#include "harness.h"

#define NR_RAM		64
#define PG		4096u
#define DOMID		1
#define RING_PFN	10
#define RING_REF	8
#define DISK_SECTORS	256	/* 128 KiB */
#define PVMX_GNTTAB_FRAMES_TEST	PVMX_GNTTAB_FRAMES	/* what the launcher maps */
/* The last grant reference of a full table (Xen's default 64 frames). */
#define LAST_REF		(PVMX_GNTTAB_FRAMES_TEST * PVMX_GNTTAB_ENTRIES_PER_FRAME - 1)

static uint8_t *ram;
static struct grant_entry_v1 *gtab;
static struct pvmx_gnttab gt;
static char disk_path[64];
static int disk_fd = -1;

static void grant(uint32_t ref, uint32_t frame, uint16_t flags, uint16_t domid)
{
	gtab[ref].frame = frame;
	gtab[ref].domid = domid;
	gtab[ref].flags = flags;
}

static void setup(void)
{
	ram = aligned_alloc(PG, NR_RAM * PG);
	gtab = aligned_alloc(PG, PVMX_GNTTAB_FRAMES_TEST * PG);
	memset(ram, 0, NR_RAM * PG);
	memset(gtab, 0, PVMX_GNTTAB_FRAMES_TEST * PG);
	CHECK_EQ(pvmx_gnttab_init(&gt, gtab, PVMX_GNTTAB_FRAMES_TEST, ram, NR_RAM), 0);
	strcpy(disk_path, "/tmp/pvmx-blk-XXXXXX");
	disk_fd = mkstemp(disk_path);
	CHECK(disk_fd >= 0);
	CHECK_EQ(ftruncate(disk_fd, DISK_SECTORS * 512), 0);
}

static void teardown(void)
{
	pvmx_gnttab_fini(&gt);
	free(ram);
	free(gtab);
	if (disk_fd >= 0)
		close(disk_fd);
	unlink(disk_path);
	disk_fd = -1;
}

static void grants_pinned_as_xen_does(void)
{
	const char *why = NULL;
	uint8_t *p;

	setup();
	grant(1, 5, GTF_permit_access, 0);
	grant(2, 6, GTF_permit_access | GTF_readonly, 0);
	grant(3, 7, GTF_permit_access, 2);		/* for another domain */
	grant(4, NR_RAM, GTF_permit_access, 0);		/* outside RAM */
	grant(5, 8, GTF_accept_transfer, 0);
	grant(6, 9, GTF_permit_access | GTF_sub_page, 0);
	grant(7, 9, GTF_transitive, 0);

	p = pvmx_gnttab_pin(&gt, 1, true, &why);
	CHECK(p == ram + 5 * PG);
	CHECK_EQ(gtab[1].flags, GTF_permit_access | GTF_reading | GTF_writing);
	/* A second, read-only pin; the guest changing the frame meanwhile changes nothing. */
	gtab[1].frame = 40;
	CHECK(pvmx_gnttab_pin(&gt, 1, false, &why) == ram + 5 * PG);
	pvmx_gnttab_unpin(&gt, 1, true);
	CHECK_EQ(gtab[1].flags, GTF_permit_access | GTF_reading);
	pvmx_gnttab_unpin(&gt, 1, false);
	CHECK_EQ(gtab[1].flags, GTF_permit_access);
	pvmx_gnttab_unpin(&gt, 1, false);		/* unbalanced: ignored */
	CHECK_EQ(gtab[1].flags, GTF_permit_access);

	CHECK(pvmx_gnttab_pin(&gt, 2, true, &why) == NULL);
	CHECK_STR(why, "write to a read-only grant");
	CHECK_EQ(gtab[2].flags, GTF_permit_access | GTF_readonly);
	CHECK(pvmx_gnttab_pin(&gt, 2, false, &why) == ram + 6 * PG);
	CHECK_EQ(gtab[2].flags, GTF_permit_access | GTF_readonly | GTF_reading);
	pvmx_gnttab_unpin(&gt, 2, false);
	CHECK_EQ(gtab[2].flags, GTF_permit_access | GTF_readonly);

	for (uint32_t ref = 3; ref <= 7; ref++) {
		uint16_t before = gtab[ref].flags;

		why = NULL;
		CHECK(pvmx_gnttab_pin(&gt, ref, false, &why) == NULL);
		CHECK(why != NULL);
		CHECK_EQ(gtab[ref].flags, before);	/* nothing left set */
	}
	CHECK(pvmx_gnttab_pin(&gt, 8, false, &why) == NULL);	/* never granted */
	CHECK(pvmx_gnttab_pin(&gt, PVMX_GNTTAB_FRAMES_TEST * 512, false, &why) == NULL);
	CHECK_STR(why, "grant reference out of range");
	CHECK(pvmx_gnttab_pin(&gt, UINT32_MAX, false, &why) == NULL);
	teardown();
}

/* ---- a front end on the fake memory ---- */

static struct xen_sring_hdr *sring(void)
{
	return (struct xen_sring_hdr *)(ram + RING_PFN * PG);
}

static void ring_init(void)
{
	memset(ram + RING_PFN * PG, 0, PG);
	sring()->req_event = 1;
	sring()->rsp_event = 1;
	grant(RING_REF, RING_PFN, GTF_permit_access, 0);
}

static uint32_t req_prod;

static void push(const struct blkif_x86_32_request *r)
{
	memcpy(ram + RING_PFN * PG + 64 + (req_prod % BLKIF_RING_SIZE) * 108, r, sizeof(*r));
	sring()->req_prod = ++req_prod;
	/* The front end waits for the response to its newest request. */
	sring()->rsp_event = req_prod;
}

static struct blkif_x86_32_response rsp(uint32_t i)
{
	struct blkif_x86_32_response r;

	memcpy(&r, ram + RING_PFN * PG + 64 + (i % BLKIF_RING_SIZE) * 108, sizeof(r));
	return r;
}

static struct blkif_x86_32_request rw(uint8_t op, uint64_t id, uint64_t sector, uint32_t gref,
				      uint8_t first, uint8_t last)
{
	struct blkif_x86_32_request r;

	memset(&r, 0, sizeof(r));
	r.operation = op;
	r.nr_segments = 1;
	r.id = id;
	r.sector_number = sector;
	r.seg[0].gref = gref;
	r.seg[0].first_sect = first;
	r.seg[0].last_sect = last;
	return r;
}

static void blkback_round_trip_and_refusals(void)
{
	struct pvmx_blkback b = { 0 };
	struct blkif_x86_32_request r;
	uint8_t buf[PG];
	uint32_t i;

	setup();
	req_prod = 0;
	ring_init();
	b.fd = disk_fd;
	b.sectors = DISK_SECTORS;
	CHECK_EQ(pvmx_blkback_connect(&b, &gt, RING_REF), 0);
	CHECK_EQ(gtab[RING_REF].flags, GTF_permit_access | GTF_reading | GTF_writing);
	for (i = 0; i < PG; i++)
		ram[20 * PG + i] = (uint8_t)(i * 7 + 1);
	grant(20, 20, GTF_permit_access | GTF_readonly, 0);	/* the data to write */
	grant(21, 21, GTF_permit_access, 0);			/* where to read */
	grant(22, 22, GTF_permit_access | GTF_readonly, 0);	/* read into a r/o grant */

	push(&(struct blkif_x86_32_request){ 0 });
	r = rw(BLKIF_OP_WRITE, 0x1122334455667788ull, 16, 20, 0, 7);
	memcpy(ram + RING_PFN * PG + 64, &r, sizeof(r));	/* replace slot 0 */
	CHECK(pvmx_blkback_service(&b, &gt));
	CHECK_EQ(sring()->rsp_prod, 1);
	CHECK_EQ(rsp(0).id, 0x1122334455667788ull);
	CHECK_EQ(rsp(0).operation, BLKIF_OP_WRITE);
	CHECK_EQ((uint16_t)rsp(0).status, (uint16_t)BLKIF_RSP_OKAY);
	CHECK_EQ(sring()->req_event, 2);
	CHECK_EQ(pread(disk_fd, buf, PG, 16 * 512), (ssize_t)PG);
	CHECK(!memcmp(buf, ram + 20 * PG, PG));
	CHECK_EQ(gtab[20].flags, GTF_permit_access | GTF_readonly);	/* released */

	/* Read sectors 17..19 back into the middle of page 21; flush. */
	r = rw(BLKIF_OP_READ, 2, 17, 21, 2, 4);
	push(&r);
	memset(&r, 0, sizeof(r));
	r.operation = BLKIF_OP_FLUSH_DISKCACHE;
	r.id = 3;
	push(&r);
	CHECK(pvmx_blkback_service(&b, &gt));
	CHECK_EQ(rsp(1).status, BLKIF_RSP_OKAY);
	CHECK_EQ(rsp(2).status, BLKIF_RSP_OKAY);
	CHECK_EQ(rsp(2).id, 3);
	CHECK(!memcmp(ram + 21 * PG + 2 * 512, ram + 20 * PG + 512, 3 * 512));
	CHECK_EQ(ram[21 * PG + 2 * 512 - 1], 0);
	CHECK_EQ(ram[21 * PG + 5 * 512], 0);
	CHECK_EQ(gtab[21].flags, GTF_permit_access);
	CHECK_EQ(b.flushes, 1);
	/* An empty flush at blk-mq's flush sector, (sector_t)-1: served, as Xen does. */
	memset(&r, 0, sizeof(r));
	r.operation = BLKIF_OP_FLUSH_DISKCACHE;
	r.id = 4;
	r.sector_number = UINT64_MAX;
	push(&r);
	CHECK(pvmx_blkback_service(&b, &gt));
	CHECK_EQ(rsp(3).id, 4);
	CHECK_EQ(rsp(3).status, BLKIF_RSP_OKAY);
	CHECK_EQ(b.flushes, 2);

	/* Refused: each answered BLKIF_RSP_ERROR, the disk untouched. */
	i = req_prod;
	push((r = rw(BLKIF_OP_READ, 10, 0, 22, 0, 7), &r));	/* read into r/o */
	push((r = rw(BLKIF_OP_READ, 11, 0, 999999, 0, 7), &r));	/* bad gref */
	push((r = rw(BLKIF_OP_READ, 12, 0, 23, 0, 7), &r));	/* not granted */
	push((r = rw(BLKIF_OP_READ, 13, 0, 21, 5, 4), &r));	/* last < first */
	push((r = rw(BLKIF_OP_READ, 14, 0, 21, 0, 8), &r));	/* past the page */
	push((r = rw(BLKIF_OP_READ, 15, DISK_SECTORS - 1, 21, 0, 1), &r));	/* past the end */
	push((r = rw(BLKIF_OP_READ, 16, UINT64_MAX, 21, 0, 0), &r));
	r = rw(BLKIF_OP_WRITE, 17, 0, 20, 0, 7);
	r.nr_segments = 12;
	push(&r);
	r.nr_segments = 0;
	r.id = 18;
	push(&r);
	r = rw(BLKIF_OP_WRITE, 19, 0, 21, 0, 0);
	r.nr_segments = 2;
	r.seg[1].gref = 23;				/* second segment not granted */
	push(&r);
	CHECK(pvmx_blkback_service(&b, &gt));
	for (; i < req_prod; i++) {
		CHECK_EQ(rsp(i).id, 10 + (i - 4));
		CHECK_EQ(rsp(i).status, BLKIF_RSP_ERROR);
	}
	CHECK_EQ(gtab[21].flags, GTF_permit_access);	/* the first segment released */
	CHECK_EQ(pread(disk_fd, buf, 512, 0), 512);
	CHECK_EQ(buf[0], 0);
	/* Unknown operations: EOPNOTSUPP. */
	push((r = rw(200, 31, 0, 21, 0, 0), &r));
	push((r = rw(BLKIF_OP_RESERVED_1, 32, 0, 21, 0, 0), &r));
	CHECK(pvmx_blkback_service(&b, &gt));
	CHECK_EQ(rsp(req_prod - 2).status, BLKIF_RSP_EOPNOTSUPP);
	CHECK_EQ(rsp(req_prod - 1).status, BLKIF_RSP_EOPNOTSUPP);

	/* Read-only disk: writes refused, reads served. */
	b.ro = true;
	push((r = rw(BLKIF_OP_WRITE, 40, 0, 20, 0, 7), &r));
	push((r = rw(BLKIF_OP_READ, 41, 16, 21, 0, 7), &r));
	CHECK(pvmx_blkback_service(&b, &gt));
	CHECK_EQ(rsp(req_prod - 2).status, BLKIF_RSP_ERROR);
	CHECK_EQ(rsp(req_prod - 1).status, BLKIF_RSP_OKAY);
	CHECK_EQ(pread(disk_fd, buf, 512, 0), 512);
	CHECK_EQ(buf[0], 0);
	b.ro = false;

	/* Nothing new: no notification, nothing answered twice. */
	i = sring()->rsp_prod;
	CHECK(!pvmx_blkback_service(&b, &gt));
	CHECK_EQ(sring()->rsp_prod, i);

	/* A producer more than a ring ahead breaks the device; nothing is served. */
	sring()->req_prod = req_prod + BLKIF_RING_SIZE + 1;
	CHECK(!pvmx_blkback_service(&b, &gt));
	CHECK(b.broken);
	CHECK_HAS(b.why, "more than a ring");
	CHECK_EQ(sring()->rsp_prod, i);
	CHECK(!pvmx_blkback_service(&b, &gt));
	pvmx_blkback_disconnect(&b, &gt);
	CHECK_EQ(gtab[RING_REF].flags, GTF_permit_access);

	/* A ring grant that is read-only, or for another domain: no connection. */
	grant(RING_REF, RING_PFN, GTF_permit_access | GTF_readonly, 0);
	CHECK_EQ(pvmx_blkback_connect(&b, &gt, RING_REF), -EINVAL);
	CHECK_HAS(b.why, "read-only");
	CHECK_EQ(pvmx_blkback_connect(&b, &gt, 4000), -EINVAL);
	teardown();
}

/*
 * A table grown to Xen's default max_grant_frames: references in its last
 * frame are served like any, the ring's included; one past it is refused.
 */
static void grant_refs_up_to_the_last_frame(void)
{
	struct pvmx_blkback b = { 0 };
	struct blkif_x86_32_request r;
	const char *why = NULL;
	uint8_t buf[PG];
	uint32_t i;

	CHECK_EQ(PVMX_GNTTAB_FRAMES, 64);
	CHECK_EQ(LAST_REF, 32767);
	setup();
	CHECK_EQ(gt.nr_entries, 32768);
	grant(LAST_REF, 20, GTF_permit_access, 0);
	CHECK(pvmx_gnttab_pin(&gt, LAST_REF, true, &why) == ram + 20 * PG);
	CHECK_EQ(gtab[LAST_REF].flags, GTF_permit_access | GTF_reading | GTF_writing);
	pvmx_gnttab_unpin(&gt, LAST_REF, true);
	CHECK_EQ(gtab[LAST_REF].flags, GTF_permit_access);
	CHECK(pvmx_gnttab_pin(&gt, LAST_REF + 1, false, &why) == NULL);
	CHECK_STR(why, "grant reference out of range");

	/* The ring in the last frame, data through the last reference. */
	req_prod = 0;
	ring_init();
	gtab[RING_REF].flags = 0;
	grant(LAST_REF - 1, RING_PFN, GTF_permit_access, 0);
	b.fd = disk_fd;
	b.sectors = DISK_SECTORS;
	CHECK_EQ(pvmx_blkback_connect(&b, &gt, LAST_REF - 1), 0);
	for (i = 0; i < PG; i++)
		ram[20 * PG + i] = (uint8_t)(i * 11 + 3);
	push((r = rw(BLKIF_OP_WRITE, 1, 8, LAST_REF, 0, 7), &r));
	push((r = rw(BLKIF_OP_READ, 2, 8, LAST_REF + 1, 0, 7), &r));	/* one past */
	CHECK(pvmx_blkback_service(&b, &gt));
	CHECK_EQ(rsp(0).status, BLKIF_RSP_OKAY);
	CHECK_EQ(rsp(1).status, BLKIF_RSP_ERROR);
	CHECK_EQ(pread(disk_fd, buf, PG, 8 * 512), (ssize_t)PG);
	CHECK(!memcmp(buf, ram + 20 * PG, PG));
	CHECK_EQ(gtab[LAST_REF].flags, GTF_permit_access);
	pvmx_blkback_disconnect(&b, &gt);
	CHECK_EQ(gtab[LAST_REF - 1].flags, GTF_permit_access);
	/* A ring reference one past the table: no connection. */
	CHECK_EQ(pvmx_blkback_connect(&b, &gt, LAST_REF + 1), -EINVAL);
	CHECK_HAS(b.why, "out of range");
	teardown();
}

/* ---- indirect descriptors ---- */

#define IND_PFN		30	/* the indirect page */
#define IND_REF		30
#define IND_DATA	32	/* 16 data pages from here, refs 100 + i */
#define IND_NSEG	16

static void ind_push(uint8_t op, uint64_t id, uint64_t sector, uint16_t nseg, uint32_t ind_ref)
{
	struct blkif_x86_32_request_indirect r;
	struct blkif_x86_32_request slot;

	memset(&r, 0, sizeof(r));
	r.operation = BLKIF_OP_INDIRECT;
	r.indirect_op = op;
	r.nr_segments = nseg;
	r.id = id;
	r.sector_number = sector;
	r.indirect_grefs[0] = ind_ref;
	memset(&slot, 0, sizeof(slot));
	memcpy(&slot, &r, sizeof(r));
	push(&slot);
}

static struct blkif_request_segment *ind_seg(void)
{
	return (struct blkif_request_segment *)(ram + IND_PFN * PG);
}

/* Segment i on page IND_DATA + page_off + i, ref 100 + page_off + i, sectors 0..7. */
static void ind_fill(unsigned int page_off)
{
	for (unsigned int i = 0; i < IND_NSEG; i++) {
		ind_seg()[i] = (struct blkif_request_segment){ 100 + page_off + i, 0, 7, 0 };
		grant(100 + page_off + i, IND_DATA + page_off + i, GTF_permit_access, 0);
	}
}

static bool no_data_pins(void)
{
	for (uint32_t ref = 100; ref < 100 + 2 * IND_NSEG; ref++)
		if (gtab[ref].flags & (GTF_reading | GTF_writing))
			return false;
	return !(gtab[IND_REF].flags & (GTF_reading | GTF_writing));
}

static void blkback_indirect(void)
{
	struct pvmx_blkback b = { 0 };
	uint8_t *disk = malloc(IND_NSEG * PG);
	uint32_t i, first;

	setup();
	req_prod = 0;
	ring_init();
	b.fd = disk_fd;
	b.sectors = DISK_SECTORS;
	CHECK_EQ(pvmx_blkback_connect(&b, &gt, RING_REF), 0);
	/* A read-only grant is enough for an indirect page: the back end only reads it. */
	grant(IND_REF, IND_PFN, GTF_permit_access | GTF_readonly, 0);
	for (i = 0; i < IND_NSEG * PG; i++)
		ram[IND_DATA * PG + i] = (uint8_t)(i * 13 + i / PG + 5);

	/* 16 segments (more than a direct request's 11), the first from sector 3. */
	ind_fill(0);
	ind_seg()[0].first_sect = 3;
	ind_push(BLKIF_OP_WRITE, 0xabcdef0123ull, 8, IND_NSEG, IND_REF);
	CHECK(pvmx_blkback_service(&b, &gt));
	CHECK_EQ(rsp(0).id, 0xabcdef0123ull);
	CHECK_EQ(rsp(0).operation, BLKIF_OP_WRITE);	/* the indirect_op, as blkback */
	CHECK_EQ(rsp(0).status, BLKIF_RSP_OKAY);
	CHECK_EQ(pread(disk_fd, disk, IND_NSEG * PG - 3 * 512, 8 * 512),
		 (ssize_t)(IND_NSEG * PG - 3 * 512));
	CHECK(!memcmp(disk, ram + IND_DATA * PG + 3 * 512, IND_NSEG * PG - 3 * 512));
	CHECK_EQ(b.indirect, 1);
	CHECK(no_data_pins());

	/* Read it back into the next 16 pages. */
	ind_fill(IND_NSEG);
	ind_seg()[0].first_sect = 3;
	ind_push(BLKIF_OP_READ, 2, 8, IND_NSEG, IND_REF);
	CHECK(pvmx_blkback_service(&b, &gt));
	CHECK_EQ(rsp(1).operation, BLKIF_OP_READ);
	CHECK_EQ(rsp(1).status, BLKIF_RSP_OKAY);
	CHECK(!memcmp(ram + (IND_DATA + IND_NSEG) * PG + 3 * 512,
		      ram + IND_DATA * PG + 3 * 512, IND_NSEG * PG - 3 * 512));
	CHECK_EQ(ram[(IND_DATA + IND_NSEG) * PG + 3 * 512 - 1], 0);	/* before first_sect */
	CHECK(no_data_pins());

	/* Exactly the limit: 256 one-sector segments of one page; 257 is refused. */
	for (i = 0; i < PVMX_BLKIF_MAX_INDIRECT_SEGMENTS; i++)
		ind_seg()[i] = (struct blkif_request_segment){ 100, (uint8_t)(i % 8),
								(uint8_t)(i % 8), 0 };
	ind_push(BLKIF_OP_READ, 3, 0, PVMX_BLKIF_MAX_INDIRECT_SEGMENTS, IND_REF);
	ind_seg()[PVMX_BLKIF_MAX_INDIRECT_SEGMENTS] = ind_seg()[0];
	ind_push(BLKIF_OP_READ, 4, 0, PVMX_BLKIF_MAX_INDIRECT_SEGMENTS + 1, IND_REF);
	CHECK(pvmx_blkback_service(&b, &gt));
	CHECK_EQ(rsp(2).status, BLKIF_RSP_OKAY);
	CHECK_EQ(rsp(3).status, BLKIF_RSP_ERROR);
	CHECK(no_data_pins());

	/* Refused, each BLKIF_RSP_ERROR with nothing left pinned and the disk untouched. */
	first = req_prod;
	ind_fill(0);
	ind_push(BLKIF_OP_WRITE, 10, 0, 0, IND_REF);			/* no segments */
	ind_push(BLKIF_OP_WRITE, 11, 0, 65535, IND_REF);		/* far too many */
	ind_push(BLKIF_OP_FLUSH_DISKCACHE, 12, 0, 1, IND_REF);	/* not read/write */
	ind_push(BLKIF_OP_INDIRECT, 13, 0, 1, IND_REF);
	ind_push(BLKIF_OP_WRITE, 14, 0, IND_NSEG, 999999);		/* bad indirect gref */
	ind_push(BLKIF_OP_WRITE, 15, 0, IND_NSEG, 29);			/* page not granted */
	ind_push(BLKIF_OP_WRITE, 16, DISK_SECTORS - 8 * IND_NSEG + 1, IND_NSEG, IND_REF);
	CHECK(pvmx_blkback_service(&b, &gt));
	/* A segment in the indirect page out of its page, or not granted. */
	ind_seg()[5].last_sect = 8;
	ind_push(BLKIF_OP_WRITE, 17, 0, IND_NSEG, IND_REF);
	CHECK(pvmx_blkback_service(&b, &gt));
	ind_seg()[5].last_sect = 7;
	ind_seg()[9].first_sect = 4;
	ind_seg()[9].last_sect = 3;
	ind_push(BLKIF_OP_WRITE, 18, 0, IND_NSEG, IND_REF);
	CHECK(pvmx_blkback_service(&b, &gt));
	ind_seg()[9].first_sect = 0;
	ind_seg()[9].last_sect = 7;
	ind_seg()[IND_NSEG - 1].gref = 23;
	ind_push(BLKIF_OP_WRITE, 19, 0, IND_NSEG, IND_REF);
	CHECK(pvmx_blkback_service(&b, &gt));
	/* A read into a read-only data grant; a write on a read-only disk. */
	ind_fill(0);
	grant(107, IND_DATA + 7, GTF_permit_access | GTF_readonly, 0);
	ind_push(BLKIF_OP_READ, 20, 0, IND_NSEG, IND_REF);
	b.ro = true;
	ind_push(BLKIF_OP_WRITE, 21, 0, IND_NSEG, IND_REF);
	CHECK(pvmx_blkback_service(&b, &gt));
	b.ro = false;
	for (i = first; i < req_prod; i++) {
		CHECK_EQ(rsp(i).id, 10 + (i - first));
		CHECK_EQ(rsp(i).status, BLKIF_RSP_ERROR);
	}
	CHECK(no_data_pins());
	CHECK_EQ(gtab[107].flags, GTF_permit_access | GTF_readonly);
	CHECK_EQ(pread(disk_fd, disk, 8 * 512, 0), 8 * 512);
	for (i = 0; i < 8 * 512; i++)
		if (disk[i])
			break;
	CHECK_EQ(i, 8 * 512);					/* sectors 0..7 untouched */
	CHECK_EQ(b.indirect, 3);
	CHECK(!b.broken);
	pvmx_blkback_disconnect(&b, &gt);
	free(disk);
	teardown();
}

/* ---- the xenstore handshake ---- */

static uint32_t bound_port, raised;
static int bind_result;

static int fake_bind(void *ctx, uint32_t port, bool unbind)
{
	(void)ctx;
	if (bind_result)
		return bind_result;
	bound_port = unbind ? 0 : port;
	return 0;
}

static int fake_raise(void *ctx, uint32_t port)
{
	(void)ctx;
	raised = port;
	return 0;
}

static void fe(struct pvmx_xs *xs, const char *name, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), "/local/domain/1/device/vbd/51712/%s", name);
	CHECK_EQ(pvmx_xs_write(xs, path, value, NULL), 0);
}

static const char *be(struct pvmx_xs *xs, const char *name)
{
	static char buf[256];
	char path[128];

	snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/1/51712/%s", name);
	if (pvmx_xs_read(xs, path, buf, sizeof(buf)))
		return "(none)";
	return buf;
}

static void xenbus_handshake_as_blkback(void)
{
	struct pvmx_backend_ops ops = { .bind = fake_bind, .raise = fake_raise };
	struct pvmx_backends bk;
	struct pvmx_disk_opt o;
	struct pvmx_xs *xs = pvmx_xs_new(DOMID);
	struct blkif_x86_32_request r;
	char err[256], buf[64];
	bool changed;
	FILE *log = tmpfile();

	setup();
	req_prod = 0;
	bound_port = raised = 0;
	bind_result = 0;
	CHECK_EQ(pvmx_disk_parse("a,b,ro,direct", &o, err, sizeof(err)), 0);
	CHECK_STR(o.path, "a,b");
	CHECK(o.ro && o.direct);
	CHECK_EQ(pvmx_disk_parse(",ro", &o, err, sizeof(err)), -EINVAL);
	CHECK_EQ(pvmx_disk_parse(disk_path, &o, err, sizeof(err)), 0);
	CHECK(!o.ro && !o.direct);

	CHECK_EQ(pvmx_backends_init(&bk, xs, DOMID, gtab, PVMX_GNTTAB_FRAMES_TEST, ram, NR_RAM,
				    &ops, log), 0);
	CHECK_EQ(pvmx_backends_add_disk(&bk, &o, err, sizeof(err)), 0);
	CHECK_STR(be(xs, "state"), "2");
	CHECK_STR(be(xs, "frontend"), "/local/domain/1/device/vbd/51712");
	CHECK_STR(be(xs, "mode"), "w");
	CHECK_STR(be(xs, "dev"), "xvda");
	CHECK_STR(be(xs, "feature-flush-cache"), "1");
	CHECK_STR(be(xs, "feature-max-indirect-segments"), "256");
	CHECK_EQ(pvmx_xs_read(xs, "/local/domain/1/device/vbd/51712/backend", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/local/domain/0/backend/vbd/1/51712");
	CHECK_EQ(pvmx_xs_read(xs, "/local/domain/1/device/vbd/51712/state", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "1");
	CHECK(!pvmx_backends_poll(&bk));

	/* The front end publishes its ring and port, Initialised: Connected. */
	ring_init();
	fe(xs, "ring-ref", "8");
	fe(xs, "event-channel", "9");
	fe(xs, "protocol", "x86_32-abi");
	fe(xs, "state", "3");
	CHECK(pvmx_backends_poll(&bk));
	CHECK_STR(be(xs, "state"), "4");
	CHECK_STR(be(xs, "sectors"), "256");
	CHECK_STR(be(xs, "info"), "0");
	CHECK_STR(be(xs, "sector-size"), "512");
	CHECK_EQ(bound_port, 9);
	CHECK(!pvmx_backends_poll(&bk));
	fe(xs, "state", "4");
	CHECK(!pvmx_backends_poll(&bk));

	/* A request and its notification. */
	grant(21, 21, GTF_permit_access, 0);
	push((r = rw(BLKIF_OP_READ, 1, 0, 21, 0, 0), &r));
	CHECK(!pvmx_backends_notify(&bk, 7, &changed));
	CHECK(pvmx_backends_notify(&bk, 9, &changed));
	CHECK(!changed);
	CHECK_EQ(raised, 9);

	/* Closing, Closed, then a reconnection. */
	fe(xs, "state", "5");
	CHECK(pvmx_backends_poll(&bk));
	CHECK_STR(be(xs, "state"), "5");
	fe(xs, "state", "6");
	CHECK(pvmx_backends_poll(&bk));
	CHECK_STR(be(xs, "state"), "6");
	CHECK_EQ(bound_port, 0);
	CHECK_EQ(gtab[RING_REF].flags, GTF_permit_access);
	fe(xs, "state", "1");
	CHECK(pvmx_backends_poll(&bk));
	CHECK_STR(be(xs, "state"), "2");
	fe(xs, "state", "3");
	CHECK(pvmx_backends_poll(&bk));
	CHECK_STR(be(xs, "state"), "4");

	/* A hostile ring: the device closes with a message, the port is released. */
	sring()->req_prod = 1000;
	raised = 0;
	CHECK(pvmx_backends_notify(&bk, 9, &changed));
	CHECK(changed);
	CHECK_STR(be(xs, "state"), "5");
	CHECK_EQ(bound_port, 0);
	CHECK(!pvmx_backends_notify(&bk, 9, &changed));

	/* Bad handshakes: no ring-ref, a port not for dom 0, a 64-bit protocol. */
	fe(xs, "state", "6");
	pvmx_backends_poll(&bk);
	fe(xs, "state", "1");
	pvmx_backends_poll(&bk);
	sring()->req_prod = 0;
	bind_result = -EINVAL;
	fe(xs, "state", "3");
	CHECK(pvmx_backends_poll(&bk));
	CHECK_STR(be(xs, "state"), "5");
	CHECK_EQ(gtab[RING_REF].flags, GTF_permit_access);
	bind_result = 0;
	fe(xs, "state", "6");
	pvmx_backends_poll(&bk);
	fe(xs, "state", "1");
	pvmx_backends_poll(&bk);
	fe(xs, "protocol", "x86_64-abi");
	fe(xs, "state", "3");
	CHECK(pvmx_backends_poll(&bk));
	CHECK_STR(be(xs, "state"), "5");
	fe(xs, "state", "6");
	pvmx_backends_poll(&bk);
	fe(xs, "state", "1");
	pvmx_backends_poll(&bk);
	fe(xs, "protocol", "x86_32-abi");
	fe(xs, "ring-ref", "junk");
	fe(xs, "state", "3");
	CHECK(pvmx_backends_poll(&bk));
	CHECK_STR(be(xs, "state"), "5");
	rewind(log);
	CHECK_EQ(fread(err, 1, sizeof(err) - 1, log) > 0, 1);
	err[sizeof(err) - 1] = '\0';
	CHECK_HAS(err, "pvmx: vbd 51712");

	/* A read-only disk says so. */
	CHECK_EQ(pvmx_disk_parse("/nonexistent/disk,ro", &o, err, sizeof(err)), 0);
	CHECK(pvmx_backends_add_disk(&bk, &o, err, sizeof(err)) < 0);
	CHECK_HAS(err, "/nonexistent/disk");
	snprintf(err, sizeof(err), "%s,ro", disk_path);
	CHECK_EQ(pvmx_disk_parse(err, &o, err + 128, sizeof(err) - 128), 0);
	CHECK_EQ(pvmx_backends_add_disk(&bk, &o, err, sizeof(err)), 0);
	CHECK_EQ(pvmx_xs_read(xs, "/local/domain/0/backend/vbd/1/51728/mode", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "r");
	CHECK_EQ(pvmx_xs_read(xs, "/local/domain/0/backend/vbd/1/51728/dev", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "xvdb");

	pvmx_backends_fini(&bk);
	pvmx_xs_free(xs);
	fclose(log);
	disk_fd = -1;		/* closed by pvmx_backends_fini */
	teardown();
}

/*
 * xl's vdev= names a disk's vbd number (Mini-OS's blkfront looks for
 * device/vbd/768, hda): libxl__device_disk_dev_number()'s numbers, the
 * nodes under that number, "dev" the name; a number used twice refused.
 */
static void disk_vdev_as_xl(void)
{
	struct pvmx_backend_ops ops = { .bind = fake_bind, .raise = fake_raise };
	struct pvmx_backends bk;
	struct pvmx_disk_opt o;
	struct pvmx_xs *xs = pvmx_xs_new(DOMID);
	char err[256], spec[4200], buf[64];
	FILE *log = tmpfile();

	CHECK_EQ(pvmx_vdev_number("xvda"), 51712);
	CHECK_EQ(pvmx_vdev_number("xvdb"), 51728);
	CHECK_EQ(pvmx_vdev_number("xvdp"), 51952);
	CHECK_EQ(pvmx_vdev_number("hda"), 768);
	CHECK_EQ(pvmx_vdev_number("hdb"), 832);
	CHECK_EQ(pvmx_vdev_number("hdc"), 5632);
	CHECK_EQ(pvmx_vdev_number("hdd"), 5696);
	CHECK_EQ(pvmx_vdev_number("sda"), 2048);
	CHECK_EQ(pvmx_vdev_number("sdc"), 2080);
	CHECK_EQ(pvmx_vdev_number("768"), 768);
	CHECK_EQ(pvmx_vdev_number("xvdq"), 0);
	CHECK_EQ(pvmx_vdev_number("hde"), 0);
	CHECK_EQ(pvmx_vdev_number("xvda1"), 0);
	CHECK_EQ(pvmx_vdev_number("xvd"), 0);
	CHECK_EQ(pvmx_vdev_number("0"), 0);
	CHECK_EQ(pvmx_vdev_number("268435456"), 0);
	CHECK_EQ(pvmx_vdev_number("12x"), 0);
	CHECK_EQ(pvmx_vdev_number("fd0"), 0);

	CHECK_EQ(pvmx_disk_parse("a,vdev=hda,ro", &o, err, sizeof(err)), 0);
	CHECK_STR(o.path, "a");
	CHECK(o.ro);
	CHECK_STR(o.vdev, "hda");
	CHECK_EQ(o.devid, 768);
	CHECK_EQ(pvmx_disk_parse("a,vdev=hdz", &o, err, sizeof(err)), -EINVAL);
	CHECK_HAS(err, "vdev=hdz");
	CHECK_EQ(pvmx_disk_parse("a,vdev=", &o, err, sizeof(err)), -EINVAL);

	setup();
	CHECK_EQ(pvmx_backends_init(&bk, xs, DOMID, gtab, PVMX_GNTTAB_FRAMES_TEST, ram, NR_RAM,
				    &ops, log), 0);
	snprintf(spec, sizeof(spec), "%s,vdev=hda", disk_path);
	CHECK_EQ(pvmx_disk_parse(spec, &o, err, sizeof(err)), 0);
	CHECK_EQ(pvmx_backends_add_disk(&bk, &o, err, sizeof(err)), 0);
	CHECK_EQ(pvmx_xs_read(xs, "/local/domain/0/backend/vbd/1/768/dev", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "hda");
	CHECK_EQ(pvmx_xs_read(xs, "/local/domain/0/backend/vbd/1/768/state", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "2");
	CHECK_EQ(pvmx_xs_read(xs, "/local/domain/1/device/vbd/768/virtual-device", buf,
			      sizeof(buf)), 0);
	CHECK_STR(buf, "768");
	CHECK_EQ(pvmx_xs_read(xs, "/local/domain/1/device/vbd/768/backend", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/local/domain/0/backend/vbd/1/768");
	CHECK(pvmx_xs_read(xs, "/local/domain/1/device/vbd/51712/state", buf, sizeof(buf)) != 0);
	/* The same number twice (768 by number) is refused; the second disk is xvdb. */
	snprintf(spec, sizeof(spec), "%s,ro,vdev=768", disk_path);
	CHECK_EQ(pvmx_disk_parse(spec, &o, err, sizeof(err)), 0);
	CHECK_EQ(pvmx_backends_add_disk(&bk, &o, err, sizeof(err)), -EEXIST);
	CHECK_HAS(err, "vbd 768");
	CHECK_EQ(pvmx_disk_parse(disk_path, &o, err, sizeof(err)), 0);
	CHECK_EQ(pvmx_backends_add_disk(&bk, &o, err, sizeof(err)), 0);
	CHECK_EQ(pvmx_xs_read(xs, "/local/domain/0/backend/vbd/1/51728/dev", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "xvdb");
	CHECK_EQ(bk.nr_vbds, 2);

	pvmx_backends_fini(&bk);
	pvmx_xs_free(xs);
	fclose(log);
	disk_fd = -1;		/* closed by pvmx_backends_fini */
	teardown();
}

const struct test blkback_tests[] = {
	{ "grants_pinned_as_xen_does", grants_pinned_as_xen_does },
	{ "blkback_round_trip_and_refusals", blkback_round_trip_and_refusals },
	{ "grant_refs_up_to_the_last_frame", grant_refs_up_to_the_last_frame },
	{ "blkback_indirect", blkback_indirect },
	{ "xenbus_handshake_as_blkback", xenbus_handshake_as_blkback },
	{ "disk_vdev_as_xl", disk_vdev_as_xl },
	{ NULL, NULL },
};
