// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of the launcher's network back end (userspace/netback.c
 * over gnttab.c): the guest owns both rings, the grant table and every
 * buffer page, and may write anything there.  The input fills, in order,
 * the tx ring page, the rx ring page, the first grant frame (512 entries,
 * copied into the last of the PVMX_GNTTAB_FRAMES frames too, so references
 * up to the table's end are live and one past it is out of range), then
 * the guest's other RAM pages; the back end then serves the tx ring
 * and delivers frames into the rx ring, the input's tail moving both
 * producers between rounds.  The back end must never crash, touch memory
 * outside the guest's RAM and grant table, hand out a frame longer than
 * XEN_NETIF_MAX_TX_SIZE, keep a buffer grant pinned after a call, or
 * answer more slots than it consumed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pvmx.h>
#include "netif.h"

#define PG	4096u
#define NR_RAM	16
#define TX_REF	0
#define RX_REF	1
#define GNT_LAST	((PVMX_GNTTAB_FRAMES - 1) * PG / 8)	/* first entry of the last frame */

static uint64_t sink;

static int out(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	if (len > XEN_NETIF_MAX_TX_SIZE || len < ETH_HLEN)
		abort();
	/* Read every byte: ASan checks the copy. */
	for (size_t i = 0; i < len; i++)
		sink += frame[i];
	return len & 1 ? -5 : 0;	/* the tap refuses some */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The whole table (256 KiB), allocated once: all but two frames stay zero. */
	static struct grant_entry_v1 gtab[PVMX_GNTTAB_FRAMES * PG / 8] __attribute__((aligned(PG)));
	uint8_t *ram = aligned_alloc(PG, NR_RAM * PG);
	struct xen_sring_hdr *tx = (struct xen_sring_hdr *)ram;
	struct xen_sring_hdr *rx = (struct xen_sring_hdr *)(ram + PG);
	struct pvmx_netback *nb = calloc(1, sizeof(*nb));
	static uint8_t frame[PG + 100];
	struct pvmx_gnttab gt;
	size_t pos, n, i;
	bool notify;
	int round, rc;

	memset(gtab, 0, PG);
	memset(gtab + GNT_LAST, 0, PG);
	memset(ram, 0, NR_RAM * PG);
	n = size < 2 * PG ? size : 2 * PG;
	memcpy(ram, data, n);
	pos = n;
	n = size - pos < PG ? size - pos : PG;
	memcpy(gtab, data + pos, n);
	memcpy(gtab + GNT_LAST, data + pos, n);
	pos += n;
	n = size - pos < (NR_RAM - 2) * PG ? size - pos : (NR_RAM - 2) * PG;
	memcpy(ram + 2 * PG, data + pos, n);
	/* The rings: refs 0 and 1, frames 0 and 1, writable, as a front end grants them. */
	gtab[TX_REF] = (struct grant_entry_v1){ GTF_permit_access, 0, 0 };
	gtab[RX_REF] = (struct grant_entry_v1){ GTF_permit_access, 0, 1 };
	if (pvmx_gnttab_init(&gt, gtab, PVMX_GNTTAB_FRAMES, ram, NR_RAM))
		abort();
	nb->sg = true;
	if (pvmx_netback_connect(nb, &gt, TX_REF, RX_REF))
		abort();
	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	for (round = 0; round < 4; round++) {
		uint32_t tx_before = nb->tx_req_cons, rx_before = nb->rx_req_cons;

		pvmx_netback_tx(nb, &gt, out, NULL);
		if (nb->tx_rsp_prod_pvt != nb->tx_req_cons ||
		    nb->tx_req_cons - tx_before > 4 * NETIF_TX_RING_SIZE + NETBK_FATAL_SLOTS + 8)
			abort();
		/* Frames of sizes from the input into the rx ring. */
		for (i = 0; i < 8 && !nb->broken; i++) {
			size_t len = size > i ? (size_t)data[size - 1 - i] * 17 : 60;

			rc = pvmx_netback_rx(nb, &gt, frame, len > sizeof(frame) ? sizeof(frame) : len,
					     &notify);
			if (rc <= 0)
				break;
		}
		if (nb->rx_rsp_prod_pvt != nb->rx_req_cons ||
		    nb->rx_req_cons - rx_before > NETIF_RX_RING_SIZE)
			abort();
		/* Only frames 0 and the last hold entries that can be pinned. */
		for (i = 2; i < 2 * 512; i++) {
			size_t ref = i < 512 ? i : GNT_LAST + i - 512;

			if (gt.active[ref].readers || gt.active[ref].writers)
				abort();
		}
		if (nb->broken)
			break;
		/* The guest moves on: new producers from the input. */
		if (size >= 8 + (size_t)round * 8) {
			memcpy(&tx->req_prod, data + size - 8 - round * 8, 4);
			memcpy(&rx->req_prod, data + size - 4 - round * 8, 4);
		}
	}
	pvmx_netback_disconnect(nb, &gt);
	if (gt.active[TX_REF].readers || gt.active[RX_REF].readers ||
	    (gtab[TX_REF].flags & (GTF_reading | GTF_writing)) ||
	    (gtab[RX_REF].flags & (GTF_reading | GTF_writing)))
		abort();
	pvmx_gnttab_fini(&gt);
	free(nb);
	free(ram);
	return 0;
}
