/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The wire formats of the PV devices, as a 32-bit front end lays them out:
 * the xenstore ring (xen/include/public/io/xs_wire.h), the shared-ring
 * header (io/ring.h), the blkif rings of protocol "x86_32-abi" (io/blkif.h,
 * 64-bit fields 4-byte aligned) and the netif rings (io/netif.h, no 64-bit
 * fields: every front end agrees).  Grant entries are hypercall ABI, in
 * xen_abi.h.  Shared by the launcher's back ends (userspace/) and the test
 * guests' front ends (selftests/guests/); what the back ends do with them
 * is in Documentation/devices.rst.  Layouts are pinned at the end.
 */
#ifndef _PVMX_XEN_IO_H
#define _PVMX_XEN_IO_H

#include <pvmx/xen_abi.h>

/* ---- xenstore (io/xs_wire.h) ---------------------------------------------- */

enum xsd_sockmsg_type {
	XS_CONTROL = 0,
	XS_DIRECTORY = 1,
	XS_READ = 2,
	XS_GET_PERMS = 3,
	XS_WATCH = 4,
	XS_UNWATCH = 5,
	XS_TRANSACTION_START = 6,
	XS_TRANSACTION_END = 7,
	XS_INTRODUCE = 8,
	XS_RELEASE = 9,
	XS_GET_DOMAIN_PATH = 10,
	XS_WRITE = 11,
	XS_MKDIR = 12,
	XS_RM = 13,
	XS_SET_PERMS = 14,
	XS_WATCH_EVENT = 15,
	XS_ERROR = 16,
	XS_IS_DOMAIN_INTRODUCED = 17,
	XS_RESUME = 18,
	XS_SET_TARGET = 19,
	XS_RESET_WATCHES = 21,
	XS_DIRECTORY_PART = 22,
	XS_GET_FEATURE = 23,
	XS_SET_FEATURE = 24,
	XS_GET_QUOTA = 25,
	XS_SET_QUOTA = 26,
	XS_TYPE_COUNT = 27,
};

/* Every request and reply: this header, then len bytes of payload. */
struct xsd_sockmsg {
	__u32 type;		/* XS_* */
	__u32 req_id;		/* echoed in the reply */
	__u32 tx_id;		/* transaction, 0 = none */
	__u32 len;		/* payload bytes after the header */
};

#define XENSTORE_RING_SIZE	1024
#define XENSTORE_PAYLOAD_MAX	4096
#define XENSTORE_ABS_PATH_MAX	3072
#define XENSTORE_REL_PATH_MAX	2048

/* The store page (start_info.store_mfn): two byte rings and their indices. */
struct xenstore_domain_interface {
	char req[XENSTORE_RING_SIZE];	/* guest -> store */
	char rsp[XENSTORE_RING_SIZE];	/* replies and watch events */
	__u32 req_cons, req_prod;
	__u32 rsp_cons, rsp_prod;
	__u32 server_features;
	__u32 connection;
	__u32 error;
	__u32 evtchn_port;
};

#define XENSTORE_SERVER_FEATURE_RECONNECTION	1
#define XENSTORE_SERVER_FEATURE_ERROR		2

#define XENSTORE_ERROR_NONE	0
#define XENSTORE_ERROR_COMM	1
#define XENSTORE_ERROR_RINGIDX	2	/* ring indices more than the ring apart */
#define XENSTORE_ERROR_PROTO	3	/* payload longer than XENSTORE_PAYLOAD_MAX */

/* ---- shared rings (io/ring.h) --------------------------------------------- */

/*
 * A ring page starts with the producer and event indices; its entries
 * follow from byte 64, 2^n slots, each big enough for a request or its
 * response (the union DEFINE_RING_TYPES makes), one of the two at a time.
 */
struct xen_sring_hdr {
	__u32 req_prod, req_event;
	__u32 rsp_prod, rsp_event;
	__u8 pad[48];
};

/* ---- block devices (io/blkif.h), x86_32 layouts --------------------------- */

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
 * BLKIF_OP_INDIRECT: the request names up to this many granted pages of
 * segments, 512 segments to a page.
 */
#define BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST	8
#define BLKIF_SEGS_PER_INDIRECT_FRAME		512
/* Segments count 512-byte sectors of their page (first_sect..last_sect). */
#define BLKIF_SECTOR_SHIFT		9
#define BLKIF_SECTORS_PER_PAGE		8

/* vdisk info bits (the back end's "info" node). */
#define VDISK_CDROM			0x1
#define VDISK_REMOVABLE			0x2
#define VDISK_READONLY			0x4

#pragma pack(push, 4)
/* One segment, in a request or in an indirect page. */
struct blkif_request_segment {
	__u32 gref;
	__u8 first_sect, last_sect;
	__u16 pad;
};

struct blkif_x86_32_request {
	__u8 operation;
	__u8 nr_segments;
	__u16 handle;
	__u64 id;
	__u64 sector_number;
	struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

/* As Linux's xen-blkback lays it out (drivers/block/xen-blkback/common.h). */
struct blkif_x86_32_request_indirect {
	__u8 operation;			/* BLKIF_OP_INDIRECT */
	__u8 indirect_op;		/* BLKIF_OP_READ or BLKIF_OP_WRITE */
	__u16 nr_segments;
	__u64 id;
	__u64 sector_number;
	__u16 handle;
	__u16 pad1;
	__u32 indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	__u64 pad2;
};

struct blkif_x86_32_request_discard {
	__u8 operation;
	__u8 flag;
	__u16 handle;
	__u64 id;
	__u64 sector_number;
	__u64 nr_sectors;
};

struct blkif_x86_32_response {
	__u64 id;
	__u8 operation;
	__s16 status;			/* BLKIF_RSP_* */
};

#pragma pack(pop)

#define BLKIF_ENTRY_SIZE	108	/* the union of request and response */
/* __RD32((4096 - 64) / 108) */
#define BLKIF_RING_SIZE		32

struct blkif_x86_32_sring {
	struct xen_sring_hdr hdr;
	__u8 ring[BLKIF_RING_SIZE][BLKIF_ENTRY_SIZE];
};

/* ---- network devices (io/netif.h) ----------------------------------------- */

#define NETTXF_csum_blank		0x1u
#define NETTXF_data_validated		0x2u
#define NETTXF_more_data		0x4u
#define NETTXF_extra_info		0x8u

#define XEN_NETIF_EXTRA_TYPE_NONE	0
#define XEN_NETIF_EXTRA_TYPE_GSO	1
#define XEN_NETIF_EXTRA_TYPE_MCAST_ADD	2
#define XEN_NETIF_EXTRA_TYPE_MCAST_DEL	3
#define XEN_NETIF_EXTRA_TYPE_HASH	4
#define XEN_NETIF_EXTRA_TYPE_MAX	5
#define XEN_NETIF_EXTRA_FLAG_MORE	0x1u

#define NETRXF_data_validated		0x1u
#define NETRXF_csum_blank		0x2u
#define NETRXF_more_data		0x4u
#define NETRXF_extra_info		0x8u

#define NETIF_RSP_DROPPED		(-2)
#define NETIF_RSP_ERROR			(-1)
#define NETIF_RSP_OKAY			0
#define NETIF_RSP_NULL			1

/* The largest frame a tx request may describe. */
#define XEN_NETIF_MAX_TX_SIZE		0xFFFF
/* Slots a back end must accept for one frame. */
#define XEN_NETIF_NR_SLOTS_MIN		18

struct netif_tx_request {
	__u32 gref;
	__u16 offset;
	__u16 flags;			/* NETTXF_* */
	__u16 id;
	__u16 size;
};

struct netif_extra_info {
	__u8 type;
	__u8 flags;
	__u16 u[3];
};

struct netif_tx_response {
	__u16 id;
	__s16 status;			/* NETIF_RSP_* */
};

struct netif_rx_request {
	__u16 id;
	__u16 pad;
	__u32 gref;
};

struct netif_rx_response {
	__u16 id;
	__u16 offset;
	__u16 flags;			/* NETRXF_* */
	__s16 status;			/* bytes, or NETIF_RSP_* */
};

#define NETIF_TX_ENTRY_SIZE	12	/* union of tx request and response */
#define NETIF_RX_ENTRY_SIZE	8	/* union of rx request and response */
/* __RD32((4096 - 64) / 12) and __RD32((4096 - 64) / 8) */
#define NETIF_TX_RING_SIZE	256
#define NETIF_RX_RING_SIZE	256

struct netif_tx_sring {
	struct xen_sring_hdr hdr;
	__u8 ring[NETIF_TX_RING_SIZE][NETIF_TX_ENTRY_SIZE];
};

struct netif_rx_sring {
	struct xen_sring_hdr hdr;
	__u8 ring[NETIF_RX_RING_SIZE][NETIF_RX_ENTRY_SIZE];
};

/* ---- layout pins ---------------------------------------------------------- */

XEN_ABI_ASSERT(sizeof(struct xsd_sockmsg) == 16, "xsd_sockmsg");
XEN_ABI_ASSERT(__builtin_offsetof(struct xenstore_domain_interface, req_cons) == 2048,
	       "xenstore ring indices");
XEN_ABI_ASSERT(__builtin_offsetof(struct xenstore_domain_interface, server_features) == 2064,
	       "xenstore server_features");
XEN_ABI_ASSERT(__builtin_offsetof(struct xenstore_domain_interface, evtchn_port) == 2076,
	       "xenstore evtchn_port");
XEN_ABI_ASSERT(sizeof(struct xen_sring_hdr) == 64, "sring entries at 64");
XEN_ABI_ASSERT(sizeof(struct blkif_request_segment) == 8, "blkif_request_segment");
XEN_ABI_ASSERT(sizeof(struct blkif_x86_32_request) == 108, "x86_32 blkif request");
XEN_ABI_ASSERT(__builtin_offsetof(struct blkif_x86_32_request, id) == 4, "request id");
XEN_ABI_ASSERT(__builtin_offsetof(struct blkif_x86_32_request, sector_number) == 12,
	       "request sector_number");
XEN_ABI_ASSERT(__builtin_offsetof(struct blkif_x86_32_request, seg) == 20, "request seg");
XEN_ABI_ASSERT(sizeof(struct blkif_x86_32_request_indirect) == 64, "x86_32 indirect request");
XEN_ABI_ASSERT(__builtin_offsetof(struct blkif_x86_32_request_indirect, id) == 4, "indirect id");
XEN_ABI_ASSERT(__builtin_offsetof(struct blkif_x86_32_request_indirect, indirect_grefs) == 24,
	       "indirect grefs");
XEN_ABI_ASSERT(sizeof(struct blkif_x86_32_request_discard) == 28, "x86_32 discard request");
XEN_ABI_ASSERT(sizeof(struct blkif_x86_32_response) == 12, "x86_32 blkif response");
XEN_ABI_ASSERT(__builtin_offsetof(struct blkif_x86_32_response, status) == 10, "status");
XEN_ABI_ASSERT(sizeof(struct blkif_x86_32_request) == BLKIF_ENTRY_SIZE, "blkif entry");
XEN_ABI_ASSERT(__builtin_offsetof(struct blkif_x86_32_sring, ring) == 64, "blkif ring");
XEN_ABI_ASSERT(sizeof(struct blkif_x86_32_sring) <= 4096, "blkif ring in a page");
XEN_ABI_ASSERT(sizeof(struct netif_tx_request) == 12, "netif_tx_request");
XEN_ABI_ASSERT(sizeof(struct netif_extra_info) == 8, "netif_extra_info");
XEN_ABI_ASSERT(sizeof(struct netif_tx_response) == 4, "netif_tx_response");
XEN_ABI_ASSERT(sizeof(struct netif_rx_request) == 8, "netif_rx_request");
XEN_ABI_ASSERT(sizeof(struct netif_rx_response) == 8, "netif_rx_response");
XEN_ABI_ASSERT(sizeof(struct netif_tx_request) == NETIF_TX_ENTRY_SIZE, "netif tx entry");
XEN_ABI_ASSERT(sizeof(struct netif_rx_request) == NETIF_RX_ENTRY_SIZE &&
	       sizeof(struct netif_rx_response) == NETIF_RX_ENTRY_SIZE, "netif rx entry");
XEN_ABI_ASSERT(__builtin_offsetof(struct netif_tx_sring, ring) == 64, "netif tx ring");
XEN_ABI_ASSERT(sizeof(struct netif_tx_sring) <= 4096, "netif tx ring in a page");
XEN_ABI_ASSERT(sizeof(struct netif_rx_sring) <= 4096, "netif rx ring in a page");

#endif /* _PVMX_XEN_IO_H */
