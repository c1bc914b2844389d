// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of the launcher's block back end (userspace/blkback.c
 * over gnttab.c): the guest owns the ring, the grant table and every data
 * page, and may write anything there.  The input fills, in order, the ring
 * page (indices and request slots), the first grant frame (512 entries,
 * copied into the last of the PVMX_GNTTAB_FRAMES frames too, so references
 * up to the table's end are live and one past it is out of range), then
 * the guest's other RAM pages; then the back end serves the ring,
 * the input flips bytes of the ring between services.  The back end must
 * never crash, touch memory outside the guest's RAM and grant table, keep
 * a data grant pinned after a service (an indirect page's included), answer
 * more than it consumed, or change a read-only disk.  The seed "indirect"
 * holds BLKIF_OP_INDIRECT requests over a read-only indirect page.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pvmx.h>
#include "blkif.h"

#define PG	4096u
#define NR_RAM	16
#define RING_REF 0
#define GNT_LAST	((PVMX_GNTTAB_FRAMES - 1) * PG / 8)	/* first entry of the last frame */

static int disk = -1;

/* FNV-1a of the disk's contents. */
static uint64_t disk_hash(void)
{
	uint8_t buf[64 * 512];
	uint64_t h = 14695981039346656037ull;
	size_t i;

	if (pread(disk, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		abort();
	for (i = 0; i < sizeof(buf); i++)
		h = (h ^ buf[i]) * 1099511628211ull;
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The whole table (256 KiB), allocated once: all but two frames stay zero. */
	static struct grant_entry_v1 gtab[PVMX_GNTTAB_FRAMES * PG / 8] __attribute__((aligned(PG)));
	uint8_t *ram = aligned_alloc(PG, NR_RAM * PG);
	struct xen_sring_hdr *h = (struct xen_sring_hdr *)ram;
	struct pvmx_blkback b;
	struct pvmx_gnttab gt;
	size_t pos = 0, n, i;
	uint64_t before = 0;
	int round;

	if (disk < 0) {
		disk = memfd_create("pvmx-fuzz-disk", 0);
		if (disk < 0 || ftruncate(disk, 64 * 512))
			abort();
	}
	memset(gtab, 0, PG);
	memset(gtab + GNT_LAST, 0, PG);
	memset(ram, 0, NR_RAM * PG);
	n = size < PG ? size : PG;
	memcpy(ram, data, n);
	pos = n;
	n = size - pos < PG ? size - pos : PG;
	memcpy(gtab, data + pos, n);
	memcpy(gtab + GNT_LAST, data + pos, n);
	pos += n;
	n = size - pos < (NR_RAM - 1) * PG ? size - pos : (NR_RAM - 1) * PG;
	memcpy(ram + PG, data + pos, n);
	/* The ring: ref 0, frame 0, writable, as a front end grants it. */
	gtab[RING_REF] = (struct grant_entry_v1){ GTF_permit_access, 0, 0 };
	if (pvmx_gnttab_init(&gt, gtab, PVMX_GNTTAB_FRAMES, ram, NR_RAM))
		abort();
	memset(&b, 0, sizeof(b));
	b.fd = disk;
	b.sectors = 64;
	b.ro = size & 1;
	b.discard = true;
	if (b.ro)
		before = disk_hash();
	if (pvmx_blkback_connect(&b, &gt, RING_REF))
		abort();
	/* The front end's indices as it left them; the back end starts at 0. */
	for (round = 0; round < 4; round++) {
		uint32_t cons_before = b.req_cons;

		pvmx_blkback_service(&b, &gt);
		if (b.rsp_prod_pvt != b.req_cons || b.req_cons - cons_before > 64 * BLKIF_RING_SIZE)
			abort();
		/* Only frames 0 and the last hold entries that can be pinned. */
		for (i = 1; i < 2 * 512; i++) {
			size_t ref = i < 512 ? i : GNT_LAST + i - 512;

			if (gt.active[ref].readers || gt.active[ref].writers)
				abort();
		}
		if (b.broken)
			break;
		/* The guest moves on: a new producer index from the input. */
		if (size >= 4 + (size_t)round * 4)
			memcpy(&h->req_prod, data + size - 4 - round * 4, 4);
	}
	if (b.ro && disk_hash() != before)
		abort();
	pvmx_blkback_disconnect(&b, &gt);
	if (gt.active[RING_REF].readers || (gtab[RING_REF].flags & (GTF_reading | GTF_writing)))
		abort();
	pvmx_gnttab_fini(&gt);
	free(ram);
	return 0;
}
