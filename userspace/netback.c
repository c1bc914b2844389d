// SPDX-License-Identifier: GPL-2.0
/*
 * The netif rings of one virtual interface (netif.h), served the way
 * Linux's xen-netback serves them on its copy path (netback.c:
 * xenvif_tx_build_gops(), xenvif_count_requests(), xenvif_get_extras(),
 * make_tx_response(); rx.c) and QEMU's hw/net/xen_nic.c: every request
 * copied out of the shared ring once, the producer checked against the
 * ring size, every slot's grant pinned only while its bytes are copied
 * and its offset + size kept inside the page.  A front end breaking the
 * protocol (Linux's xenvif_fatal_tx_err() cases) breaks the device; a
 * frame that merely cannot be sent (a bad grant, a short frame, more
 * fragments than the frame's size) is answered NETIF_RSP_ERROR.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "netif.h"

#define PAGE_SIZE	4096u
/* Slots served per call at most: a front end on another vCPU cannot keep us here. */
#define MAX_TX_SLOTS_PER_SERVICE	(4 * NETIF_TX_RING_SIZE)

int pvmx_netback_connect(struct pvmx_netback *nb, struct pvmx_gnttab *gt, uint32_t tx_ref,
			 uint32_t rx_ref)
{
	const char *why;

	pvmx_netback_disconnect(nb, gt);
	nb->broken = false;
	nb->why[0] = '\0';
	nb->tx = pvmx_gnttab_pin(gt, tx_ref, true, &why);
	if (!nb->tx) {
		snprintf(nb->why, sizeof(nb->why), "tx-ring-ref %u: %s", tx_ref, why);
		return -EINVAL;
	}
	nb->tx_ref = tx_ref;
	nb->rx = pvmx_gnttab_pin(gt, rx_ref, true, &why);
	if (!nb->rx) {
		snprintf(nb->why, sizeof(nb->why), "rx-ring-ref %u: %s", rx_ref, why);
		pvmx_netback_disconnect(nb, gt);
		return -EINVAL;
	}
	if (nb->rx == nb->tx) {
		snprintf(nb->why, sizeof(nb->why), "tx-ring-ref %u and rx-ring-ref %u are one page",
			 tx_ref, rx_ref);
		pvmx_gnttab_unpin(gt, rx_ref, true);
		nb->rx = NULL;
		pvmx_netback_disconnect(nb, gt);
		return -EINVAL;
	}
	nb->rx_ref = rx_ref;
	/* BACK_RING_INIT: the front end initialised the shared indices. */
	nb->tx_req_cons = nb->tx_rsp_prod_pvt = 0;
	nb->rx_req_cons = nb->rx_rsp_prod_pvt = 0;
	return 0;
}

void pvmx_netback_disconnect(struct pvmx_netback *nb, struct pvmx_gnttab *gt)
{
	if (nb->tx)
		pvmx_gnttab_unpin(gt, nb->tx_ref, true);
	if (nb->rx)
		pvmx_gnttab_unpin(gt, nb->rx_ref, true);
	nb->tx = nb->rx = NULL;
}

static struct xen_sring_hdr *hdr(uint8_t *ring)
{
	return (struct xen_sring_hdr *)ring;
}

static uint8_t *tx_slot(struct pvmx_netback *nb, uint32_t idx)
{
	return nb->tx + sizeof(struct xen_sring_hdr) +
	       (idx & (NETIF_TX_RING_SIZE - 1)) * NETIF_TX_ENTRY_SIZE;
}

static uint8_t *rx_slot(struct pvmx_netback *nb, uint32_t idx)
{
	return nb->rx + sizeof(struct xen_sring_hdr) +
	       (idx & (NETIF_RX_RING_SIZE - 1)) * NETIF_RX_ENTRY_SIZE;
}

static void fatal(struct pvmx_netback *nb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fatal(struct pvmx_netback *nb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(nb->why, sizeof(nb->why), fmt, ap);
	va_end(ap);
	nb->broken = true;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

/* QEMU's net_checksum_calculate() for IPv4: the pseudo header and the segment. */
bool pvmx_netback_fill_csum(uint8_t *f, size_t len)
{
	size_t ihl, tot, l4len, off;
	uint32_t sum;
	uint16_t c;
	uint8_t proto;

	if (len < ETH_HLEN + 20 || f[12] != 0x08 || f[13] != 0x00)
		return false;
	ihl = (size_t)(f[ETH_HLEN] & 0xF) * 4;
	if ((f[ETH_HLEN] >> 4) != 4 || ihl < 20 || ETH_HLEN + ihl > len)
		return false;
	tot = (size_t)f[ETH_HLEN + 2] << 8 | f[ETH_HLEN + 3];
	if (tot < ihl || ETH_HLEN + tot > len)
		return false;
	/* Fragments past the first carry no L4 header. */
	if (((f[ETH_HLEN + 6] & 0x1F) | f[ETH_HLEN + 7]) != 0)
		return false;
	proto = f[ETH_HLEN + 9];
	l4len = tot - ihl;
	if (proto == 6)
		off = 16;		/* TCP checksum */
	else if (proto == 17)
		off = 6;		/* UDP checksum */
	else
		return false;
	if (l4len < off + 2)
		return false;
	off += ETH_HLEN + ihl;
	f[off] = f[off + 1] = 0;
	sum = csum_add(0, f + ETH_HLEN + 12, 8);	/* source and destination */
	sum += proto + (uint32_t)l4len;
	sum = csum_add(sum, f + ETH_HLEN + ihl, l4len);
	c = csum_fold(sum);
	if (proto == 17 && !c)
		c = 0xFFFF;
	f[off] = (uint8_t)(c >> 8);
	f[off + 1] = (uint8_t)c;
	return true;
}

static void tx_respond(struct pvmx_netback *nb, uint16_t id, int16_t st)
{
	struct netif_tx_response rsp = { .id = id, .status = st };

	memcpy(tx_slot(nb, nb->tx_rsp_prod_pvt), &rsp, sizeof(rsp));
	nb->tx_rsp_prod_pvt++;
}

/* Copy one slot's bytes to dst; false with nb->last_grant_error when the grant fails. */
static bool tx_copy(struct pvmx_netback *nb, struct pvmx_gnttab *gt,
		    const struct netif_tx_request *r, uint8_t *dst, size_t len)
{
	const char *why;
	uint8_t *page;

	if (!len)
		return true;
	page = pvmx_gnttab_pin(gt, r->gref, false, &why);
	if (!page) {
		nb->last_grant_error = why;
		return false;
	}
	memcpy(dst, page + r->offset, len);
	pvmx_gnttab_unpin(gt, r->gref, false);
	return true;
}

/*
 * One frame starting at tx_req_cons, rp the producer seen.  Consumes and
 * answers its slots; false when the front end broke the protocol.
 */
static bool tx_frame(struct pvmx_netback *nb, struct pvmx_gnttab *gt, uint32_t rp,
		     pvmx_netback_out_fn out, void *ctx)
{
	struct netif_tx_request first, frag[NETBK_FATAL_SLOTS];
	struct netif_extra_info extra;
	uint32_t cons = nb->tx_req_cons, nfrags = 0, nextras = 0, i;
	uint32_t first_len, total, more;
	bool drop = false;
	size_t at;
	int16_t st;

	/* RING_COPY_REQUEST: each slot read once. */
	memcpy(&first, tx_slot(nb, cons++), sizeof(first));
	if (first.flags & NETTXF_extra_info) {
		do {
			if (cons == rp) {
				fatal(nb, "tx request %u: missing extra info", nb->tx_req_cons);
				return false;
			}
			memcpy(&extra, tx_slot(nb, cons++), sizeof(extra));
			nextras++;
			if (!extra.type || extra.type >= XEN_NETIF_EXTRA_TYPE_MAX) {
				fatal(nb, "tx request %u: invalid extra type %u", nb->tx_req_cons,
				      extra.type);
				return false;
			}
			/* GSO is not offered: such a frame cannot be sent as it is. */
			if (extra.type == XEN_NETIF_EXTRA_TYPE_GSO)
				drop = true;
		} while (extra.flags & XEN_NETIF_EXTRA_FLAG_MORE);
	}
	/* xenvif_count_requests(): the fragments, their sizes taken off the first's. */
	total = first.size;
	first_len = first.size;
	more = first.flags & NETTXF_more_data;
	while (more) {
		if (cons == rp) {
			fatal(nb, "tx request %u: asked for more slots than the front end queued",
			      nb->tx_req_cons);
			return false;
		}
		if (nfrags == NETBK_FATAL_SLOTS) {
			fatal(nb, "tx request %u: more than %u slots for one frame",
			      nb->tx_req_cons, NETBK_FATAL_SLOTS);
			return false;
		}
		memcpy(&frag[nfrags], tx_slot(nb, cons++), sizeof(frag[0]));
		/* A frame of 64 KiB or more wrapped the first size: drop, not fatal. */
		if (frag[nfrags].size > first_len)
			drop = true;
		else
			first_len -= frag[nfrags].size;
		if ((uint32_t)frag[nfrags].offset + frag[nfrags].size > PAGE_SIZE) {
			fatal(nb, "tx request %u: fragment crosses its page (offset %u, size %u)",
			      cons - 1, frag[nfrags].offset, frag[nfrags].size);
			return false;
		}
		more = frag[nfrags].flags & NETTXF_more_data;
		nfrags++;
	}
	if (nfrags >= XEN_NETIF_NR_SLOTS_MIN)
		drop = true;		/* more than a front end may use */
	if (!drop && (uint32_t)first.offset + first_len > PAGE_SIZE) {
		fatal(nb, "tx request %u: crosses its page (offset %u, size %u)",
		      nb->tx_req_cons, first.offset, first_len);
		return false;
	}
	if (total < ETH_HLEN)
		drop = true;
	nb->tx_req_cons = cons;
	nb->tx_slots += 1 + nextras + nfrags;

	/* Copy it out, frame as one buffer (QEMU's tmpbuf), the checksum filled. */
	if (!drop) {
		drop = !tx_copy(nb, gt, &first, nb->frame, first_len);
		at = first_len;
		for (i = 0; i < nfrags && !drop; i++) {
			drop = !tx_copy(nb, gt, &frag[i], nb->frame + at, frag[i].size);
			at += frag[i].size;
		}
	}
	if (!drop) {
		if ((first.flags & NETTXF_csum_blank) && pvmx_netback_fill_csum(nb->frame, total))
			nb->csum_filled++;
		drop = out(ctx, nb->frame, total) != 0;
	}
	if (drop) {
		nb->tx_errors++;
		st = NETIF_RSP_ERROR;
	} else {
		nb->tx_frames++;
		nb->tx_bytes += total;
		st = NETIF_RSP_OKAY;
	}
	/* make_tx_response(): the first, a null response per extra, then each fragment. */
	tx_respond(nb, first.id, st);
	for (i = 0; i < nextras; i++)
		tx_respond(nb, 0, NETIF_RSP_NULL);
	for (i = 0; i < nfrags; i++)
		tx_respond(nb, frag[i].id, st);
	return true;
}

bool pvmx_netback_tx(struct pvmx_netback *nb, struct pvmx_gnttab *gt, pvmx_netback_out_fn out,
		     void *ctx)
{
	struct xen_sring_hdr *h;
	uint32_t rp, old, start;
	bool more;

	if (!nb->tx || nb->broken)
		return false;
	h = hdr(nb->tx);
	old = nb->tx_rsp_prod_pvt;
	start = nb->tx_req_cons;
	do {
		rp = __atomic_load_n(&h->req_prod, __ATOMIC_ACQUIRE);
		if (rp - nb->tx_req_cons > NETIF_TX_RING_SIZE) {
			fatal(nb, "impossible number of tx requests: req_prod %u, req_cons %u, ring %u",
			      rp, nb->tx_req_cons, NETIF_TX_RING_SIZE);
			break;
		}
		while (nb->tx_req_cons != rp &&
		       nb->tx_req_cons - start < MAX_TX_SLOTS_PER_SERVICE) {
			if (!tx_frame(nb, gt, rp, out, ctx))
				break;
		}
		if (nb->broken)
			break;
		/* RING_FINAL_CHECK_FOR_REQUESTS */
		__atomic_store_n(&h->req_event, nb->tx_req_cons + 1, __ATOMIC_SEQ_CST);
		more = __atomic_load_n(&h->req_prod, __ATOMIC_SEQ_CST) != nb->tx_req_cons;
	} while (more && nb->tx_req_cons - start < MAX_TX_SLOTS_PER_SERVICE);
	/* RING_PUSH_RESPONSES_AND_CHECK_NOTIFY */
	if (nb->tx_rsp_prod_pvt == old)
		return false;
	__atomic_store_n(&h->rsp_prod, nb->tx_rsp_prod_pvt, __ATOMIC_SEQ_CST);
	return (uint32_t)(nb->tx_rsp_prod_pvt - __atomic_load_n(&h->rsp_event, __ATOMIC_SEQ_CST)) <
	       (uint32_t)(nb->tx_rsp_prod_pvt - old);
}

int pvmx_netback_rx(struct pvmx_netback *nb, struct pvmx_gnttab *gt, const void *frame,
		    size_t len, bool *notify)
{
	struct netif_rx_response rsp;
	struct netif_rx_request req;
	struct xen_sring_hdr *h;
	const char *why;
	uint32_t rp, old;
	uint8_t *page;

	*notify = false;
	if (!nb->rx || nb->broken)
		return -1;
	if (len > PAGE_SIZE || len < ETH_HLEN) {
		nb->rx_errors++;	/* one buffer a frame: a bigger frame is dropped */
		return 1;
	}
	h = hdr(nb->rx);
	rp = __atomic_load_n(&h->req_prod, __ATOMIC_ACQUIRE);
	if (rp - nb->rx_rsp_prod_pvt > NETIF_RX_RING_SIZE) {
		fatal(nb, "impossible number of rx requests: req_prod %u, rsp_prod %u, ring %u",
		      rp, nb->rx_rsp_prod_pvt, NETIF_RX_RING_SIZE);
		return -1;
	}
	if (rp == nb->rx_req_cons) {
		/* No buffer: ask to hear when one is posted, then look again. */
		__atomic_store_n(&h->req_event, nb->rx_req_cons + 1, __ATOMIC_SEQ_CST);
		rp = __atomic_load_n(&h->req_prod, __ATOMIC_SEQ_CST);
		if (rp == nb->rx_req_cons || rp - nb->rx_rsp_prod_pvt > NETIF_RX_RING_SIZE) {
			nb->rx_no_buffer++;
			return 0;
		}
	}
	memcpy(&req, rx_slot(nb, nb->rx_req_cons), sizeof(req));
	nb->rx_req_cons++;
	rsp.id = req.id;
	rsp.offset = 0;
	rsp.flags = 0;
	page = pvmx_gnttab_pin(gt, req.gref, true, &why);
	if (page) {
		memcpy(page, frame, len);
		pvmx_gnttab_unpin(gt, req.gref, true);
		rsp.status = (int16_t)len;
		nb->rx_frames++;
		nb->rx_bytes += len;
	} else {
		nb->last_grant_error = why;
		rsp.status = NETIF_RSP_ERROR;
		nb->rx_errors++;
	}
	old = nb->rx_rsp_prod_pvt;
	memcpy(rx_slot(nb, nb->rx_rsp_prod_pvt), &rsp, sizeof(rsp));
	nb->rx_rsp_prod_pvt++;
	__atomic_store_n(&h->rsp_prod, nb->rx_rsp_prod_pvt, __ATOMIC_SEQ_CST);
	*notify = (uint32_t)(nb->rx_rsp_prod_pvt -
			     __atomic_load_n(&h->rsp_event, __ATOMIC_SEQ_CST)) <
		  (uint32_t)(nb->rx_rsp_prod_pvt - old);
	return 1;
}
