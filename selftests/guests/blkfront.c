// SPDX-License-Identifier: GPL-2.0
/*
 * A PV block front end of our own, against the launcher's blkback
 * (`pvmx run --disk FILE`): xenbus over the store ring, the handshake as
 * Linux's xen-blkfront and Mini-OS's blkfront do it (alloc_unbound for
 * domain 0, a granted ring page, ring-ref/event-channel/protocol, then
 * Initialised; the back end Connected), then requests on the ring.
 *
 *   mode=rw       read the host's sector 1, write sector 3 (the suite checks
 *                 the file), read it back, flush, a read past the end fails,
 *                 the grants' GTF_reading/GTF_writing are cleared after use
 *   mode=ro       --disk FILE,ro: info says read-only, writes fail, reads work
 *   mode=crash    write sector 5, flush, then crash without closing the
 *                 device (an ud2 with no handler: the hypervisor crashes
 *                 the guest); the suite checks the flushed data is in the file
 *   mode=hostile  bad grant refs, ungranted and out-of-page segments, too
 *                 many segments, malformed indirect requests, then a request
 *                 producer a ring ahead: the back end closes the device;
 *                 then Closed, Initialising and a fresh connection work
 *   mode=bigtable the grant table at Xen's default max_grant_frames (64):
 *                 query_size, setup_table(65) refused, setup_table(64)
 *                 keeping frame 0 and its grants (the ring's), then a write
 *                 and a read of sector 6 through the last reference of
 *                 frame 63 (the suite checks the file); one past it fails
 *
 * Layouts (x86_32 blkif ring, xenstore ring, grant entries) from
 * <pvmx/xen_io.h> and <pvmx/xen_abi.h>, which the launcher's back end uses too.
 */
#include "runtime.h"
#include <pvmx/xen_io.h>

#define PTE_KERNEL_RW		0x63ull

#define REF_RING		8
#define REF_DATA		9
#define REF_BUF			10
#define REF_RO			11

#define MAX_GRANT_FRAMES	64	/* Xen's default max_grant_frames */
#define REFS_PER_FRAME		(PAGE_SIZE / 8)
#define REF_LAST		(MAX_GRANT_FRAMES * REFS_PER_FRAME - 1)

static struct xenstore_domain_interface *xs;
static u32 xs_port, next_id = 1;
static char reply[4097];
static u32 reply_type;

static u8 gnt_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static volatile struct grant_entry_v1 *gnt = (volatile struct grant_entry_v1 *)gnt_page;
static struct blkif_x86_32_sring ring_page __attribute__((aligned(PAGE_SIZE)));
static u8 data[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 buf[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 ro_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* bigtable: the VA where grant frame 63 gets mapped. */
static u8 last_gnt_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u32 frame_list[MAX_GRANT_FRAMES + 1];
static u32 gnt_frame0;		/* grant frame 0, mapped at gnt_page */
static volatile struct blkif_x86_32_sring *ring = &ring_page;
static u32 port, req_prod, rsp_cons;
static char be_path[128];

#define V(x) (*(volatile u32 *)&(x))

/* ---- xenbus ---- */

static int put(const void *d, u32 n)
{
	const char *p = d;

	while (n) {
		u32 prod = V(xs->req_prod);

		if (prod - V(xs->req_cons) == XENSTORE_RING_SIZE) {
			evtchn_simple(EVTCHNOP_send, xs_port);
			if (!wait_port(xs_port, 5000))
				return 0;
			continue;
		}
		xs->req[prod % XENSTORE_RING_SIZE] = *p++;
		mb();
		V(xs->req_prod) = prod + 1;
		n--;
	}
	return 1;
}

static int get(void *d, u32 n)
{
	char *p = d;

	while (n) {
		u32 cons = V(xs->rsp_cons);

		if (V(xs->rsp_prod) == cons) {
			if (!wait_port(xs_port, 5000))
				return 0;
			continue;
		}
		mb();
		*p++ = xs->rsp[cons % XENSTORE_RING_SIZE];
		mb();
		V(xs->rsp_cons) = cons + 1;
		n--;
	}
	return 1;
}

static int request(u32 type, const char *a, const char *b)
{
	u32 la = (u32)strlen(a) + 1, lb = b ? (u32)strlen(b) : 0;
	struct xsd_sockmsg h = { type, next_id, 0, la + lb };

	if (!put(&h, sizeof(h)) || !put(a, la) || (lb && !put(b, lb)))
		return 0;
	evtchn_simple(EVTCHNOP_send, xs_port);
	for (;;) {
		if (!get(&h, sizeof(h)) || h.len > 4096 || !get(reply, h.len))
			return 0;
		reply[h.len] = '\0';
		if (h.type == XS_WATCH_EVENT)
			continue;
		reply_type = h.type;
		return h.req_id == next_id++;
	}
}

static int xs_read(const char *path, char *out, u32 max)
{
	if (!request(XS_READ, path, NULL) || reply_type != XS_READ)
		return 0;
	snprintf(out, max, "%s", reply);
	return 1;
}

static int xs_write(const char *path, const char *val)
{
	return request(XS_WRITE, path, val) && reply_type == XS_WRITE;
}

static int xs_write_uint(const char *path, u32 v)
{
	char s[16];

	snprintf(s, sizeof(s), "%u", v);
	return xs_write(path, s);
}

static u32 atou(const char *s)
{
	u32 v = 0;

	if (!*s)
		return ~0u;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return ~0u;
		v = v * 10 + (u32)(*s - '0');
	}
	return v;
}

static u32 be_read_uint(const char *name)
{
	char path[160], s[32];

	snprintf(path, sizeof(path), "%s/%s", be_path, name);
	if (!xs_read(path, s, sizeof(s)))
		return ~0u;
	return atou(s);
}

/* Wait (up to 5 s) for the back end's state to become want. */
static int wait_be_state(u32 want)
{
	u64 end = now_ns() + 5000000000ull;
	u32 st;

	do {
		st = be_read_uint("state");
		if (st == want)
			return 1;
		wait_port(xs_port, 10);
	} while (now_ns() < end);
	test_diag("  back end state %u, want %u", st, want);
	return 0;
}

static int fe_state(u32 st)
{
	return xs_write_uint("device/vbd/51712/state", st);
}

/* ---- grants and the ring ---- */

static void grant(u32 ref, const void *page, u32 flags)
{
	gnt[ref].frame = va_to_mfn(page);
	gnt[ref].domid = 0;
	mb();	/* frame and domid before the flags that publish them */
	gnt[ref].flags = (u16)flags;
}

/* The handshake up to Connected; 1 on success. */
static int connect(void)
{
	struct evtchn_alloc_unbound a = { DOMID_SELF, 0, 0 };

	memset((void *)ring, 0, PAGE_SIZE);
	ring->hdr.req_event = 1;
	ring->hdr.rsp_event = 1;
	req_prod = rsp_cons = 0;
	grant(REF_RING, (const void *)ring, GTF_permit_access);
	if (evtchn_op(EVTCHNOP_alloc_unbound, &a))
		return 0;
	port = a.port;
	clear_bit(shared_info->evtchn_mask, port);
	return wait_be_state(2) &&
	       xs_write_uint("device/vbd/51712/ring-ref", REF_RING) &&
	       xs_write_uint("device/vbd/51712/event-channel", port) &&
	       xs_write("device/vbd/51712/protocol", "x86_32-abi") &&
	       fe_state(3) && wait_be_state(4) && fe_state(4);
}

static volatile struct blkif_x86_32_request *slot(u32 i)
{
	return (volatile struct blkif_x86_32_request *)ring->ring[i % BLKIF_RING_SIZE];
}

static void put_req(u8 op, u32 nseg, u32 sector, u32 gref, u8 first, u8 last)
{
	struct blkif_x86_32_request r;

	memset(&r, 0, sizeof(r));
	r.operation = op;
	r.nr_segments = (u8)nseg;
	r.id = 0xB10C0000 + req_prod;
	r.sector_number = sector;
	r.seg[0].gref = gref;
	r.seg[0].first_sect = first;
	r.seg[0].last_sect = last;
	memcpy((void *)slot(req_prod), &r, sizeof(r));
	req_prod++;
}

/* Publish, notify, wait for the response to the newest request: its status. */
static int submit(void)
{
	volatile struct blkif_x86_32_response *rsp;
	u64 end = now_ns() + 5000000000ull;
	int st = 99;

	mb();
	ring->hdr.req_prod = req_prod;
	ring->hdr.rsp_event = req_prod;
	mb();
	evtchn_simple(EVTCHNOP_send, port);
	while (V(ring->hdr.rsp_prod) != req_prod) {
		if (now_ns() >= end) {
			test_diag("  no response: rsp_prod %u, req_prod %u", V(ring->hdr.rsp_prod),
				  req_prod);
			return 99;
		}
		wait_port(port, 100);
	}
	mb();
	for (; rsp_cons != req_prod; rsp_cons++) {
		rsp = (volatile struct blkif_x86_32_response *)
			ring->ring[rsp_cons % BLKIF_RING_SIZE];
		if (rsp->id != 0xB10C0000 + rsp_cons)
			test_diag("  response %u has id 0x%x", rsp_cons, (u32)rsp->id);
		st = rsp->status;
	}
	return st;
}

static int one(u8 op, u32 sector, u32 gref, u8 first, u8 last)
{
	put_req(op, 1, sector, gref, first, last);
	return submit();
}

static void mode_rw(void)
{
	u32 i, ok;

	grant(REF_DATA, data, GTF_permit_access | GTF_readonly);
	grant(REF_BUF, buf, GTF_permit_access);
	CHECK_EQ(be_read_uint("info"), 0, "info_read_write");
	/* The host wrote "HOST-SECTOR-1" at sector 1. */
	memset(buf, 0xEE, PAGE_SIZE);
	CHECK_EQ(one(BLKIF_OP_READ, 1, REF_BUF, 0, 0), BLKIF_RSP_OKAY, "read_sector_1");
	CHECK(!memcmp(buf, "HOST-SECTOR-1", 13) && buf[512] == 0xEE, "host_data_read");
	CHECK_EQ(gnt[REF_BUF].flags, GTF_permit_access, "read_grant_flags_cleared");

	for (i = 0; i < PAGE_SIZE; i++)
		data[i] = (u8)(i * 13 + 5);
	memcpy(data, "GUEST-WROTE-SECTOR-3", 20);
	CHECK_EQ(one(BLKIF_OP_WRITE, 3, REF_DATA, 0, 1), BLKIF_RSP_OKAY, "write_sectors_3_4");
	CHECK_EQ(gnt[REF_DATA].flags, GTF_permit_access | GTF_readonly,
		 "write_grant_flags_cleared");
	memset(buf, 0, PAGE_SIZE);
	CHECK_EQ(one(BLKIF_OP_READ, 3, REF_BUF, 2, 3), BLKIF_RSP_OKAY, "read_back");
	ok = !memcmp(buf + 1024, data, 1024);
	CHECK(ok, "read_back_matches");
	/* Several segments in one request. */
	put_req(BLKIF_OP_READ, 2, 3, REF_BUF, 0, 0);
	slot(req_prod - 1)->seg[1] = (struct blkif_request_segment){ REF_BUF, 7, 7, 0 };
	memset(buf, 0, PAGE_SIZE);
	CHECK_EQ(submit(), BLKIF_RSP_OKAY, "two_segments");
	CHECK(!memcmp(buf, data, 512) && !memcmp(buf + 7 * 512, data + 512, 512),
	      "two_segments_data");
	put_req(BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0, 0, 0);
	CHECK_EQ(submit(), BLKIF_RSP_OKAY, "flush");
	CHECK_EQ(one(BLKIF_OP_READ, be_read_uint("sectors"), REF_BUF, 0, 0), BLKIF_RSP_ERROR,
		 "read_past_end_error");
	/* A whole ring's worth of requests at once. */
	for (i = 0; i < BLKIF_RING_SIZE; i++)
		put_req(BLKIF_OP_READ, 1, 1, REF_BUF, 0, 0);
	CHECK_EQ(submit(), BLKIF_RSP_OKAY, "full_ring");
}

static void mode_ro(void)
{
	grant(REF_DATA, data, GTF_permit_access | GTF_readonly);
	grant(REF_BUF, buf, GTF_permit_access);
	CHECK_EQ(be_read_uint("info"), VDISK_READONLY, "info_readonly");
	memcpy(data, "MUST-NOT-APPEAR", 15);
	CHECK_EQ(one(BLKIF_OP_WRITE, 3, REF_DATA, 0, 0), BLKIF_RSP_ERROR, "write_refused");
	CHECK_EQ(one(BLKIF_OP_READ, 1, REF_BUF, 0, 0), BLKIF_RSP_OKAY, "read_allowed");
	CHECK(!memcmp(buf, "HOST-SECTOR-1", 13), "host_data_read");
}

/*
 * No data lost once a flush was acknowledged, however the guest ends: the
 * device is never closed, the vCPU dies on an unhandled #UD.
 */
static void mode_crash(void)
{
	grant(REF_DATA, data, GTF_permit_access | GTF_readonly);
	memset(data, 0, PAGE_SIZE);
	memcpy(data, "GUEST-FLUSHED-SECTOR-5", 22);
	CHECK_EQ(one(BLKIF_OP_WRITE, 5, REF_DATA, 0, 0), BLKIF_RSP_OKAY, "write_sector_5");
	put_req(BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0, 0, 0);
	CHECK_EQ(submit(), BLKIF_RSP_OKAY, "flush_acknowledged");
	printf("blkfront: flushed, crashing now\n");
	set_trap_table(NULL);	/* no handler left for the #UD */
	asm volatile("ud2");
}

static void mode_hostile(void)
{
	grant(REF_BUF, buf, GTF_permit_access);
	grant(REF_RO, ro_page, GTF_permit_access | GTF_readonly);
	CHECK_EQ(one(BLKIF_OP_READ, 0, 99999, 0, 0), BLKIF_RSP_ERROR, "bad_gref");
	CHECK_EQ(one(BLKIF_OP_READ, 0, 200, 0, 0), BLKIF_RSP_ERROR, "ungranted_ref");
	CHECK_EQ(one(BLKIF_OP_READ, 0, REF_RO, 0, 0), BLKIF_RSP_ERROR, "read_into_readonly_grant");
	CHECK_EQ(one(BLKIF_OP_READ, 0, REF_BUF, 0, 9), BLKIF_RSP_ERROR, "segment_past_page");
	CHECK_EQ(one(BLKIF_OP_READ, 0, REF_BUF, 5, 4), BLKIF_RSP_ERROR, "segment_reversed");
	put_req(BLKIF_OP_READ, 12, 0, REF_BUF, 0, 0);
	CHECK_EQ(submit(), BLKIF_RSP_ERROR, "too_many_segments");
	put_req(BLKIF_OP_READ, 0, 0, REF_BUF, 0, 0);
	CHECK_EQ(submit(), BLKIF_RSP_ERROR, "no_segments");
	/*
	 * Indirect requests (offered: feature-max-indirect-segments).  put_req's
	 * nseg byte is the indirect layout's indirect_op and its zero handle the
	 * segment count: a flush may not go indirect, nor may zero segments.
	 */
	put_req(BLKIF_OP_INDIRECT, BLKIF_OP_FLUSH_DISKCACHE, 0, REF_BUF, 0, 0);
	CHECK_EQ(submit(), BLKIF_RSP_ERROR, "indirect_flush_refused");
	put_req(BLKIF_OP_INDIRECT, BLKIF_OP_READ, 0, REF_BUF, 0, 0);
	CHECK_EQ(submit(), BLKIF_RSP_ERROR, "indirect_no_segments");
	CHECK_EQ(gnt[REF_BUF].flags, GTF_permit_access, "flags_clear_after_errors");
	/* The producer a ring and more ahead: the back end closes the device. */
	ring->hdr.req_prod = req_prod + BLKIF_RING_SIZE + 5;
	mb();
	evtchn_simple(EVTCHNOP_send, port);
	CHECK(wait_be_state(5), "bogus_req_prod_closes_device");
	CHECK_EQ(evtchn_simple(EVTCHNOP_send, port), 0, "send_after_close_harmless");
	CHECK_EQ(gnt[REF_RING].flags, GTF_permit_access, "ring_grant_released");
	/* Closed, then a fresh connection. */
	CHECK(fe_state(6) && wait_be_state(6), "closed");
	evtchn_simple(EVTCHNOP_close, port);
	CHECK(fe_state(1) && wait_be_state(2), "reinitialised");
	CHECK(connect(), "reconnected");
	CHECK_EQ(one(BLKIF_OP_READ, 1, REF_BUF, 0, 0), BLKIF_RSP_OKAY, "read_after_reconnect");
}

static int setup_table(u32 nr)
{
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = nr };
	long r;

	st.status = 0x55;
	st.frame_list = (u32)frame_list;
	r = hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &st, 1, 0, 0);
	return r ? (int)r : st.status;
}

/* query_size: nr_frames, and max_nr_frames in *max; -1000 when it fails. */
static int query_size(u32 *max)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };

	if (hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, &q, 1, 0, 0) ||
	    q.status != GNTST_okay)
		return -1000;
	*max = q.max_nr_frames;
	return (int)q.nr_frames;
}

/*
 * Xen's default grant-table size (xen/common/grant_table.c:
 * opt_max_grant_frames), grown as Linux's gnttab_expand() grows it: a
 * setup_table for all the frames, the ones it had included.
 */
static void mode_bigtable(void)
{
	volatile struct grant_entry_v1 *last = (volatile struct grant_entry_v1 *)last_gnt_page;
	u32 max = 0, i, ok;

	CHECK_EQ(query_size(&max), 1, "query_size_one_frame");
	CHECK_EQ(max, MAX_GRANT_FRAMES, "query_size_max_64");
	frame_list[0] = 0xAAAAAAAA;
	CHECK_EQ(setup_table(MAX_GRANT_FRAMES + 1), GNTST_general_error,
		 "setup_table_65_general_error");
	CHECK(frame_list[0] == 0xAAAAAAAA && query_size(&max) == 1, "setup_table_65_no_change");
	CHECK_EQ(setup_table(MAX_GRANT_FRAMES), GNTST_okay, "setup_table_64");
	CHECK_EQ(frame_list[0], gnt_frame0, "frame_0_kept");
	CHECK_EQ(query_size(&max), MAX_GRANT_FRAMES, "query_size_64_frames");
	CHECK_EQ(update_va_mapping((u32)last_gnt_page,
				   (u64)frame_list[MAX_GRANT_FRAMES - 1] << 12 | PTE_KERNEL_RW,
				   UVMF_INVLPG), 0, "frame_63_mapped");
	for (ok = 1, i = 0; i < REFS_PER_FRAME; i++)
		ok &= !last[i].flags && !last[i].domid && !last[i].frame;
	CHECK(ok, "frame_63_starts_empty");

	/* The ring's grant (frame 0) survived the growth: requests still work. */
	grant(REF_BUF, buf, GTF_permit_access);
	CHECK_EQ(one(BLKIF_OP_READ, 1, REF_BUF, 0, 0), BLKIF_RSP_OKAY, "read_after_growth");
	CHECK(!memcmp(buf, "HOST-SECTOR-1", 13), "host_data_read");

	/* Write sector 6 from the last reference there is, read it back through it. */
	memset(data, 0, PAGE_SIZE);
	memcpy(data, "GUEST-LAST-GRANT-REF", 20);
	last[REFS_PER_FRAME - 1].frame = va_to_mfn(data);
	last[REFS_PER_FRAME - 1].domid = 0;
	mb();
	last[REFS_PER_FRAME - 1].flags = GTF_permit_access | GTF_readonly;
	CHECK_EQ(one(BLKIF_OP_WRITE, 6, REF_LAST, 0, 0), BLKIF_RSP_OKAY, "write_through_ref_32767");
	CHECK_EQ(last[REFS_PER_FRAME - 1].flags, GTF_permit_access | GTF_readonly,
		 "ref_32767_released");
	memset(buf, 0, PAGE_SIZE);
	last[REFS_PER_FRAME - 1].flags = 0;
	mb();
	last[REFS_PER_FRAME - 1].frame = va_to_mfn(buf);
	mb();
	last[REFS_PER_FRAME - 1].flags = GTF_permit_access;
	CHECK_EQ(one(BLKIF_OP_READ, 6, REF_LAST, 0, 0), BLKIF_RSP_OKAY, "read_through_ref_32767");
	CHECK(!memcmp(buf, data, 512), "read_back_matches");
	CHECK_EQ(one(BLKIF_OP_READ, 6, REF_LAST + 1, 0, 0), BLKIF_RSP_ERROR, "ref_32768_refused");
}

void test_main(void)
{
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
	const char *mode = strstr(start_info->cmd_line, "mode=");

	mode = mode ? mode + 5 : "rw";
	test_plan(!strncmp(mode, "rw", 2) ? 18 : !strncmp(mode, "ro", 2) ? 9 :
		  !strncmp(mode, "crash", 5) ? 6 : !strncmp(mode, "bigtable", 8) ? 21 : 22);
	CHECK(map_shared_info(), "map_shared_info");
	xs = mfn_to_va(start_info->store_mfn);
	xs_port = start_info->store_evtchn;
	clear_bit(shared_info->evtchn_pending, xs_port);
	st.frame_list = (u32)&gnt_frame0;
	if (!CHECK(!hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &st, 1, 0, 0) &&
		   st.status == GNTST_okay &&
		   !update_va_mapping((u32)gnt_page, (u64)gnt_frame0 << 12 | PTE_KERNEL_RW,
				      UVMF_INVLPG),
		   "grant_table_mapped"))
		return;
	if (!CHECK(xs_read("device/vbd/51712/backend", be_path, sizeof(be_path)) &&
		   !strcmp(be_path, "/local/domain/0/backend/vbd/1/51712"), "frontend_dir"))
		return;
	if (!CHECK(connect(), "connected"))
		return;
	if (!strncmp(mode, "ro", 2))
		mode_ro();
	else if (!strncmp(mode, "hostile", 7))
		mode_hostile();
	else if (!strncmp(mode, "crash", 5))
		mode_crash();
	else if (!strncmp(mode, "bigtable", 8))
		mode_bigtable();
	else
		mode_rw();
	CHECK(fe_state(5) && wait_be_state(5) && fe_state(6) && wait_be_state(6), "closed_cleanly");
}
