/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The launcher's xenstore: a small store served to the guest on its
 * xenstore ring (start_info.store_mfn / store_evtchn), speaking the wire
 * protocol of Xen's xen/include/public/io/xs_wire.h (include/pvmx/xen_io.h)
 * with the semantics of tools/xenstored (core.c, watch.c, transaction.c,
 * domain.c) for one unprivileged client, the guest (domain N), while the
 * launcher plays dom0.  See Documentation/guest-abi.rst, "The xenstore".
 *
 * Not thread-safe by itself: the launcher serialises every call with one
 * lock (any vCPU may notify the store port).
 */
#ifndef PVMX_XENSTORE_H
#define PVMX_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvmx/xen_io.h>

/* Node permissions (xenstore_lib.h). */
#define XS_PERM_NONE	0x00
#define XS_PERM_READ	0x01
#define XS_PERM_WRITE	0x02
#define XS_PERM_OWNER	0x08

/* Limits (xenstored's default quotas where it has one). */
#define PVMX_XS_MAX_NODES	2048	/* nodes in the store */
#define PVMX_XS_MAX_BYTES	(512 * 1024)	/* path + value bytes in the store */
#define PVMX_XS_MAX_VALUE	2048	/* bytes of one node's value */
#define PVMX_XS_MAX_PERMS	5	/* permission entries of a node */
#define PVMX_XS_MAX_WATCHES	128
#define PVMX_XS_MAX_TRANSACTIONS 10
#define PVMX_XS_MAX_TXN_NODES	1024	/* nodes one transaction may access (quota_trans_nodes) */
#define PVMX_XS_OUT_THROTTLE	16384	/* queued output above which requests wait */
#define PVMX_XS_OUT_EVENTS_MAX	65536	/* queued output above which events are dropped */

struct pvmx_xs;

/* What the launcher seeds /local/domain/<domid> with (as xl does). */
struct pvmx_xs_domain {
	unsigned int domid;
	const char *name;		/* domain name */
	uint64_t memory_kb;
	unsigned int vcpus;
	uint64_t store_mfn;
	uint32_t store_port;
	uint64_t console_mfn;		/* ~0: no console ring */
	uint32_t console_port;
};

/* An empty store (root, /local/domain/0, the special @ nodes) for domain domid. */
struct pvmx_xs *pvmx_xs_new(unsigned int domid);
void pvmx_xs_free(struct pvmx_xs *xs);
/* Seed the tree with a domU's nodes.  0 or -errno. */
int pvmx_xs_seed_domain(struct pvmx_xs *xs, const struct pvmx_xs_domain *d);

/*
 * dom0's side (privileged, no permission checks, fires the guest's
 * watches): write a node, creating missing parents (they inherit their
 * parent's permissions); perms, if not NULL, is a space-separated list as
 * in SET_PERMS ("n0 r1": owner dom0, domain 1 may read).  0 or -errno.
 */
int pvmx_xs_write(struct pvmx_xs *xs, const char *path, const char *value,
		  const char *perms);
/* Read a node as dom0 into buf (NUL-terminated, truncated to max).  0 or -errno. */
int pvmx_xs_read(struct pvmx_xs *xs, const char *path, char *buf, size_t max);
int pvmx_xs_rm(struct pvmx_xs *xs, const char *path);

/* Set the ring's server_features (call once, before the guest runs). */
void pvmx_xs_attach(struct pvmx_xs *xs, void *ring);

/*
 * Serve the ring: write queued replies and events into rsp, read and
 * answer complete requests from req, until neither moves.  Returns true
 * when something was consumed or produced (notify the guest), false
 * otherwise.  A guest that breaks the protocol (ring indices out of range,
 * a payload over XENSTORE_PAYLOAD_MAX) has its connection ignored from
 * then on, as xenstored does, with the reason in ring->error;
 * pvmx_xs_broken() returns a description once.
 */
bool pvmx_xs_service(struct pvmx_xs *xs, void *ring);
/* NULL, or (the first time after the connection broke) why. */
const char *pvmx_xs_broken(struct pvmx_xs *xs);

/* Counters, for tests and the curious. */
struct pvmx_xs_stats {
	uint64_t requests, errors, events, events_dropped;
	uint64_t commits, conflicts;
	size_t nodes, bytes, out_bytes;
	size_t txn_records;	/* nodes and commit events open transactions remember */
};
void pvmx_xs_get_stats(const struct pvmx_xs *xs, struct pvmx_xs_stats *st);

/* "EINVAL" etc. for an errno xenstored can send (others: "EINVAL"). */
const char *pvmx_xs_errstring(int err);

#endif
