/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The launcher's network back end over the netif rings
 * (include/pvmx/xen_io.h): the copy path of Linux's xen-netback
 * (drivers/net/xen-netback/netback.c, rx.c) and QEMU's hw/net/xen_nic.c.
 * See Documentation/devices.rst.
 */
#ifndef PVMX_NETIF_H
#define PVMX_NETIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvmx/xen_io.h>

#include "gnttab.h"

/* Slots a front end may use for one frame: Linux's fatal_skb_slots. */
#define NETBK_FATAL_SLOTS		20
#define ETH_HLEN			14

/*
 * One frame leaving the guest, copied out of its granted pages (valid
 * only during the call).  Returns 0, or -errno: the frame's slots are
 * answered NETIF_RSP_ERROR.
 */
typedef int (*pvmx_netback_out_fn)(void *ctx, const uint8_t *frame, size_t len);

/* One virtual interface's rings. */
struct pvmx_netback {
	bool sg;			/* feature-sg offered: multi-slot tx frames */
	/* Connected rings. */
	uint8_t *tx, *rx;		/* the pinned ring pages, or NULL */
	uint32_t tx_ref, rx_ref;
	uint32_t tx_req_cons, tx_rsp_prod_pvt;
	uint32_t rx_req_cons, rx_rsp_prod_pvt;
	bool broken;
	char why[160];			/* why it broke */
	/* Counters. */
	uint64_t tx_frames, tx_bytes, tx_errors, tx_slots;
	uint64_t rx_frames, rx_bytes, rx_errors, rx_no_buffer;
	uint64_t csum_filled;
	const char *last_grant_error;	/* a static string, for the log */
	uint8_t frame[XEN_NETIF_MAX_TX_SIZE + 1];	/* the tx frame being copied */
};

/* Pin tx_ref and rx_ref (writable) as the rings; 0, or -EINVAL with nb->why set. */
int pvmx_netback_connect(struct pvmx_netback *nb, struct pvmx_gnttab *gt, uint32_t tx_ref,
			 uint32_t rx_ref);
void pvmx_netback_disconnect(struct pvmx_netback *nb, struct pvmx_gnttab *gt);

/*
 * Take the frames the front end queued on the tx ring (every request
 * copied out of the shared page once, the producer bounded by the ring,
 * every slot's offset + size within its page, at most
 * NETBK_FATAL_SLOTS slots a frame), hand each to out, answer every slot
 * (RING_FINAL_CHECK_FOR_REQUESTS, RING_PUSH_RESPONSES_AND_CHECK_NOTIFY).
 * A blank checksum (NETTXF_csum_blank) of a TCP or UDP over IPv4 frame is
 * filled in first.  Returns true when the front end should be notified.
 * A front end breaking the protocol breaks the device: nb->broken and
 * nb->why, nothing more served.
 */
bool pvmx_netback_tx(struct pvmx_netback *nb, struct pvmx_gnttab *gt, pvmx_netback_out_fn out,
		     void *ctx);

/*
 * Deliver one frame into the next rx buffer the front end posted (a copy
 * into its granted page, written with GTF_writing held).  Returns 1 when
 * delivered (*notify: the front end wants to hear), 0 when the front end
 * has no buffer posted (req_event set: it notifies when it posts one),
 * -1 when the device is (now) broken.  A frame longer than a page is
 * dropped (counted, returns 1 without a response).
 */
int pvmx_netback_rx(struct pvmx_netback *nb, struct pvmx_gnttab *gt, const void *frame,
		    size_t len, bool *notify);

/* Fill in the blank TCP/UDP checksum of an IPv4 frame (NETTXF_csum_blank); true if done. */
bool pvmx_netback_fill_csum(uint8_t *frame, size_t len);

#endif
