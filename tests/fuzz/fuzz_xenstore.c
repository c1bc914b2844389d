// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of the launcher's xenstore (userspace/xenstore.c): the
 * guest owns the ring page and may write anything, in any order, at any
 * time.  The input is a script of guest actions on a ring page:
 *   op 0..3  put the next n input bytes into req and notify
 *   op 4     take up to n bytes of rsp and notify
 *   op 5     overwrite one of the four ring indices with input bytes
 *   op 6     a dom0 write (fires watches), path chosen by n
 *   op 7     notify with nothing new
 * The store must never crash, leak or write outside the ring, and must
 * keep its bounds (queued output, nodes, bytes, what open transactions
 * remember).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xenstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pvmx_xs_domain d = {
		.domid = 1, .name = "fuzz", .memory_kb = 4096, .vcpus = 1,
		.store_mfn = 5, .store_port = 2, .console_mfn = 6, .console_port = 1,
	};
	struct xenstore_domain_interface *ring;
	struct pvmx_xs_stats st;
	struct pvmx_xs *xs;
	size_t pos = 0;

	ring = aligned_alloc(4096, 4096);
	memset(ring, 0, 4096);
	xs = pvmx_xs_new(1);
	if (!xs || pvmx_xs_seed_domain(xs, &d))
		abort();
	pvmx_xs_attach(xs, ring);
	while (pos + 2 <= size) {
		uint8_t op = data[pos] & 7, n = data[pos + 1];
		uint32_t i, v = 0;

		pos += 2;
		switch (op) {
		case 0: case 1: case 2: case 3:
			for (i = 0; i < n && pos < size; i++, pos++)
				ring->req[ring->req_prod++ % XENSTORE_RING_SIZE] = (char)data[pos];
			break;
		case 4:
			for (i = 0; i < n && ring->rsp_cons != ring->rsp_prod; i++)
				ring->rsp_cons++;
			break;
		case 5:
			for (i = 0; i < 4 && pos < size; i++, pos++)
				v = v << 8 | data[pos];
			(&ring->req_cons)[n & 3] = v;
			break;
		case 6: {
			char path[64];

			snprintf(path, sizeof(path), "/local/domain/1/data/%u/%u", n & 7, n >> 3);
			pvmx_xs_write(xs, path, "v", NULL);
			if (n & 1)
				pvmx_xs_rm(xs, "/local/domain/1/data");
			break;
		}
		default:
			break;
		}
		pvmx_xs_service(xs, ring);
		pvmx_xs_broken(xs);
		pvmx_xs_get_stats(xs, &st);
		if (st.out_bytes > PVMX_XS_OUT_EVENTS_MAX + PVMX_XS_OUT_THROTTLE + 2 * 4112 ||
		    st.nodes > PVMX_XS_MAX_NODES ||
		    st.txn_records > PVMX_XS_MAX_TRANSACTIONS *
				     (PVMX_XS_MAX_TXN_NODES + 2 * PVMX_XS_MAX_NODES + 16))
			abort();
	}
	pvmx_xs_free(xs);
	free(ring);
	return 0;
}
