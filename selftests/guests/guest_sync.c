// SPDX-License-Identifier: GPL-2.0
/*
 * GUEST_SYNC, GUEST_ASSERT, GUEST_DONE (guest_sync.h) over the sync
 * page (selftests/lib/pvmx_sync.h): the slot of the calling vCPU, then
 * EVTCHNOP_send on start_info's store port, which the host sees as
 * PVMX_EXIT_NOTIFY.
 */
#include "guest_sync.h"
#include "pvmx_sync.h"

static volatile struct pvmx_sync_page *sync_page;
static volatile int no_host;

/* The page, or NULL when no test host wrote its header (plain `pvmx run`). */
static volatile struct pvmx_sync_page *page(void)
{
	volatile struct pvmx_sync_page *p;

	if (sync_page || no_host)
		return sync_page;
	p = mfn_to_va(start_info->store_mfn);
	if (p->magic != PVMX_SYNC_MAGIC || p->version != PVMX_SYNC_VERSION ||
	    p->nr_slots != PVMX_SYNC_SLOTS) {
		no_host = 1;
		printf("guest_sync: no test host: stages are printed, not sent\n");
		return NULL;
	}
	sync_page = p;
	return p;
}

static void copy_str(volatile char *dst, const char *src, u32 max)
{
	u32 i;

	for (i = 0; i + 1 < max && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

/* v in hex, without the high word when it is zero. */
static const char *hex64(char *buf, u64 v)
{
	if (v >> 32)
		snprintf(buf, 20, "0x%x%08x", (u32)(v >> 32), (u32)v);
	else
		snprintf(buf, 20, "0x%x", (u32)v);
	return buf;
}

/* Fill this vCPU's slot, cmd last, and tell the host.  0 without a host. */
static int sync_send(u32 cmd, u32 stage, const char *file, u32 line,
		     const char *text, u32 nr_values, u64 a, u64 b)
{
	volatile struct pvmx_sync_page *p = page();
	volatile struct pvmx_sync_slot *s;
	u32 id = smp_id();
	long r;

	if (!p)
		return 0;
	if (id >= PVMX_SYNC_SLOTS) {
		printf("FAIL: guest_sync: vCPU %u has no sync slot (%u)\n", id, PVMX_SYNC_SLOTS);
		shutdown(SHUTDOWN_crash);
	}
	s = &p->slot[id];
	s->seq = s->seq + 1;
	s->stage = stage;
	s->line = line;
	s->nr_values = nr_values;
	s->value[0] = a;
	s->value[1] = b;
	copy_str(s->file, file ? file : "", PVMX_SYNC_FILE_MAX);
	copy_str(s->text, text ? text : "", PVMX_SYNC_TEXT_MAX);
	barrier();
	s->cmd = cmd;
	r = evtchn_simple(EVTCHNOP_send, start_info->store_evtchn);
	if (r) {
		printf("FAIL: guest_sync: EVTCHNOP_send on port %u = %d\n",
		       start_info->store_evtchn, (int)r);
		shutdown(SHUTDOWN_crash);
	}
	return 1;
}

void guest_sync(u32 stage, u64 value)
{
	char buf[20];

	if (!sync_send(PVMX_SYNC_SYNC, stage, NULL, 0, NULL, 0, value, 0))
		printf("guest_sync: GUEST_SYNC(%u, %s)\n", stage, hex64(buf, value));
}

noreturn void guest_done(void)
{
	if (!sync_send(PVMX_SYNC_DONE, 0, NULL, 0, NULL, 0, 0, 0))
		printf("guest_sync: GUEST_DONE()\n");
	shutdown(SHUTDOWN_poweroff);
}

noreturn void guest_assert_fail(const char *file, u32 line, const char *text,
				u32 nr_values, u64 a, u64 b)
{
	char ba[20], bb[20];

	/* On the console too: the slot keeps only the first bytes of text. */
	printf("GUEST_ASSERT failed at %s:%u: %s\n", file, line, text);
	if (nr_values)
		printf("  got %s, want %s\n", hex64(ba, a), hex64(bb, b));
	sync_send(PVMX_SYNC_ASSERT, 0, file, line, text, nr_values, a, b);
	shutdown(SHUTDOWN_crash);
}
