// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of the statistics and the trace records. */
#include "harness.h"
#include "fixture.h"
#include "unit_tests.h"

#define LIST_VA	0x220000u

static void put_entry(unsigned int i, u32 op, u32 a0)
{
	u32 e[8] = { op, 0, a0, 0, 0, 0, 0, 0 };

	memcpy(fx_gpa(LIST_VA + i * 32), e, sizeof(e));
}

static void hypercalls_counted_per_op(void)
{
	unsigned int i;

	/* cycle_stats off (the default): counted, not timed. */
	pvmx_cycle_stats = false;
	fx_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	CHECK_EQ(fx.v.stats.hypercall_count[__HYPERVISOR_xen_version], 1);
	CHECK_EQ(fx.v.stats.hypercall_cycles[__HYPERVISOR_xen_version], 0);
	fx.v.stats.hypercall_count[__HYPERVISOR_xen_version] = 0;
	pvmx_cycle_stats = true;
	for (i = 0; i < 3; i++)
		fx_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	pvmx_cycle_stats = false;
	fx_hypercall(60, 0, 0, 0, 0, 0);
	fx_hypercall(1000, 0, 0, 0, 0, 0);
	CHECK_EQ(fx.v.stats.hypercall_count[__HYPERVISOR_xen_version], 3);
	CHECK(fx.v.stats.hypercall_cycles[__HYPERVISOR_xen_version] >= 3);
	CHECK_EQ(fx.v.stats.hypercall_count[60], 1);
	CHECK_EQ(fx.v.stats.hypercall_other, 1);
	CHECK_EQ(fx.v.stats.version, PVMX_STATS_VERSION);
	CHECK_EQ(fx.v.stats.size, sizeof(struct pvmx_stats));
}

static void multicall_histogram_and_stops(void)
{
	unsigned int i;

	for (i = 0; i < 40; i++)
		put_entry(i, __HYPERVISOR_xen_version, XENVER_version);
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, 1, 0, 0, 0);
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, 5, 0, 0, 0);
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, 40, 0, 0, 0);
	CHECK_EQ(fx.v.stats.multicall_batches[0], 1);	/* 1 */
	CHECK_EQ(fx.v.stats.multicall_batches[2], 1);	/* 4..7 */
	CHECK_EQ(fx.v.stats.multicall_batches[5], 1);	/* 32..63 */
	CHECK_EQ(fx.v.stats.multicall_entries, 46);
	CHECK_EQ(fx.v.stats.multicall_stops[PVMX_MC_STOP_END], 3);
	CHECK_EQ(fx.v.stats.hypercall_count[__HYPERVISOR_xen_version], 46);
	CHECK_EQ(fx.v.stats.hypercall_count[__HYPERVISOR_multicall], 3);

	/* A preempted batch counts once, with all its entries, when it ends. */
	fx.preempt_every = 4;
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, 40, 0, 0, 0);
	while (fx.v.cpu.eip == 0x1000)
		pvmx_hypercall(&fx.v, 2);
	CHECK_EQ(fx.v.stats.multicall_batches[5], 2);
	CHECK(fx.v.stats.multicall_stops[PVMX_MC_STOP_PREEMPTED] >= 1);
	CHECK_EQ(fx.v.stats.continuations, fx.v.stats.multicall_stops[PVMX_MC_STOP_PREEMPTED]);
	CHECK_EQ(fx.v.stats.multicall_entries, 86);

	fx.preempt_every = 0;
	fx_hypercall(__HYPERVISOR_multicall, FX_UNMAPPED_VA, 2, 0, 0, 0);
	CHECK_EQ(fx.v.stats.multicall_stops[PVMX_MC_STOP_ERROR], 1);
}

static void stats_add_sums_everything(void)
{
	struct pvmx_stats a, b;

	pvmx_stats_init(&a);
	pvmx_stats_init(&b);
	a.nr_vcpus = b.nr_vcpus = 1;
	a.exits = 3;
	b.exits = 4;
	a.reserved[15] = 1;
	b.failsafes = 2;
	b.exit_cycles[79] = 9;
	pvmx_stats_add(&a, &b);
	CHECK_EQ(a.exits, 7);
	CHECK_EQ(a.failsafes, 2);
	CHECK_EQ(a.exit_cycles[79], 9);
	CHECK_EQ(a.nr_vcpus, 2);
	CHECK_EQ(a.version, PVMX_STATS_VERSION);
}

static void trace_records_flush_before_entry(void)
{
	fx.v.trace_flags = PVMX_TRACE_HYPERCALLS;
	fx.v.trace_ops = ~0ULL;
	fx_hypercall(__HYPERVISOR_xen_version, XENVER_version, 7, 8, 9, 10);
	CHECK_EQ(fx.v.trace_nr, 1);
	CHECK_EQ(fx.tracepoints, 1);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.run.exit_reason, PVMX_EXIT_TRACE);
	CHECK_EQ(fx.run.trace.nr, 1);
	CHECK_EQ(fx.run.trace.rec_size, sizeof(struct pvmx_trace_rec));
	CHECK_EQ(fx.run.trace.rec[0].kind, PVMX_TRACE_KIND_HYPERCALL);
	CHECK_EQ(fx.run.trace.rec[0].op, __HYPERVISOR_xen_version);
	CHECK_EQ(fx.run.trace.rec[0].result, (4u << 16) | 19);
	CHECK_EQ(fx.run.trace.rec[0].args[1], 7);
	CHECK_EQ(fx.run.trace.rec[0].args[4], 10);
	CHECK_EQ(fx.v.trace_nr, 0);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	/* Off: tracepoints only. */
	fx.v.trace_flags = 0;
	fx_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	CHECK_EQ(fx.v.trace_nr, 0);
	CHECK_EQ(fx.tracepoints, 2);
	/* Nobody listening: no record is built, not even the time is taken. */
	pvmx_host_tracepoints = 0;
	fx.v.trace_call_ns = 0;
	fx.now_ns = 5000;
	fx_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	CHECK_EQ(fx.v.trace_nr, 0);
	CHECK_EQ(fx.tracepoints, 2);
	CHECK_EQ(fx.v.trace_call_ns, 0);
}

/* Time, vCPU and duration: the hypercall's from its start to the re-entry. */
static void trace_record_times_and_vcpu(void)
{
	struct pvmx_trace_rec *r = &fx.run.trace.rec[0];

	fx.v.id = 3;
	fx.v.trace_flags = PVMX_TRACE_HYPERCALLS;
	fx.v.trace_ops = ~0ULL;
	fx.now_ns = 1000000;
	fx_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	fx.now_ns += 2500;		/* the guest is entered 2.5 us later */
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.run.trace.nr, 1);
	CHECK_EQ(r->vcpu, 3);
	CHECK_EQ(r->time_ns, 1000000);
	CHECK(r->tsc != 0);
	CHECK_EQ(r->duration_ns, 2500);
	CHECK_EQ(r->eip, 0x1000);
	CHECK_EQ(r->detail, PVMX_TRACE_DETAIL_NONE);
	/* The trip to userspace and back is not the next one's. */
	fx.now_ns += 100000;
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
}

/* PVMX_SET_TRACE's hypercall mask: entries by their own op; others not kept. */
static void trace_filter_by_op(void)
{
	unsigned int i;

	put_entry(0, __HYPERVISOR_xen_version, XENVER_version);
	put_entry(1, __HYPERVISOR_get_debugreg, 7);
	put_entry(2, __HYPERVISOR_xen_version, XENVER_version);
	fx.v.trace_flags = PVMX_TRACE_HYPERCALLS;
	fx.v.trace_ops = 1ULL << __HYPERVISOR_multicall;
	fx_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	CHECK_EQ(fx.v.trace_nr, 0);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, 3, 0, 0, 0);
	CHECK_EQ(fx.v.trace_nr, 1);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.run.trace.rec[0].op, __HYPERVISOR_multicall);
	/* The multicall says what its entries were, even unrecorded. */
	CHECK_EQ(fx.run.trace.rec[0].detail, PVMX_TRACE_DETAIL_MC_OPS);
	CHECK_EQ(fx.run.trace.rec[0].detail_nr, 3);
	CHECK_EQ(fx.run.trace.rec[0].data[0], __HYPERVISOR_xen_version);
	CHECK_EQ(fx.run.trace.rec[0].data[1], __HYPERVISOR_get_debugreg);
	CHECK_EQ(fx.run.trace.rec[0].data[2], __HYPERVISOR_xen_version);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_RESUME);

	/* Only xen_version: the two entries, not the multicall nor get_debugreg. */
	fx.v.trace_ops = 1ULL << __HYPERVISOR_xen_version;
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, 3, 0, 0, 0);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_EXIT_TO_USER);
	CHECK_EQ(fx.run.trace.nr, 2);
	for (i = 0; i < 2; i++) {
		CHECK_EQ(fx.run.trace.rec[i].kind, PVMX_TRACE_KIND_MC_ENTRY);
		CHECK_EQ(fx.run.trace.rec[i].op, __HYPERVISOR_xen_version);
		CHECK_EQ(fx.run.trace.rec[i].index, i * 2);
	}
	/* Op 63 stands for 63 and above. */
	fx.v.trace_ops = 1ULL << 63;
	fx_hypercall(1000, 0, 0, 0, 0, 0);
	CHECK_EQ(fx.v.trace_nr, 1);
	fx_hypercall(62, 0, 0, 0, 0, 0);
	CHECK_EQ(fx.v.trace_nr, 1);
}

/* Buffers: mmu_update's first requests, a console write's text, a fault. */
static void trace_buffer_details(void)
{
	u64 req[3] = { 0x123450ULL | MMU_MACHPHYS_UPDATE, 0x42, 0x999 };
	struct pvmx_trace_rec *r = &fx.run.trace.rec[0];

	memcpy(fx_gpa(LIST_VA), req, sizeof(req));
	memcpy(fx_gpa(LIST_VA + 0x100), "hello, trace\n", 13);
	fx.v.trace_flags = PVMX_TRACE_HYPERCALLS;
	fx.v.trace_ops = ~0ULL;
	fx_hypercall(__HYPERVISOR_mmu_update, LIST_VA, 1, 0, DOMID_SELF, 0);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_EXIT_TO_USER);
	CHECK_EQ(r->detail, PVMX_TRACE_DETAIL_BUFFER);
	CHECK_EQ(r->detail_nr, 16);		/* one request, whole */
	CHECK(!memcmp(r->data, req, 16));

	fx_hypercall(__HYPERVISOR_mmu_update, FX_UNMAPPED_VA, 5, 0, DOMID_SELF, 0);
	CHECK_EQ(pvmx_prepare_entry(&fx.v), PVMX_EXIT_TO_USER);
	CHECK_EQ(r->detail, PVMX_TRACE_DETAIL_NONE);
	CHECK(r->flags & PVMX_TRACE_F_DATA_FAULT);

	fx_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 13, LIST_VA + 0x100, 0, 0);
	while (pvmx_prepare_entry(&fx.v) == PVMX_EXIT_TO_USER)
		if (fx.run.exit_reason == PVMX_EXIT_TRACE)
			break;
	CHECK_EQ(fx.run.exit_reason, PVMX_EXIT_TRACE);
	CHECK_EQ(r->op, __HYPERVISOR_console_io);
	CHECK_EQ(r->detail, PVMX_TRACE_DETAIL_BUFFER);
	CHECK_EQ(r->detail_nr, 13);
	CHECK(!memcmp(r->data, "hello, trace\n", 13));
}

static void full_trace_buffer_continues_multicall(void)
{
	unsigned int i, exits = 0, entries = 0, rounds = 0;

	for (i = 0; i < 200; i++)
		put_entry(i, __HYPERVISOR_xen_version, XENVER_version);
	fx.v.trace_flags = PVMX_TRACE_HYPERCALLS;
	fx.v.trace_ops = ~0ULL;
	fx_hypercall(__HYPERVISOR_multicall, LIST_VA, 200, 0, 0, 0);
	for (;;) {
		/* The guest only runs on once userspace took the records. */
		while (pvmx_prepare_entry(&fx.v) == PVMX_EXIT_TO_USER) {
			CHECK_EQ(fx.run.exit_reason, PVMX_EXIT_TRACE);
			for (i = 0; i < fx.run.trace.nr; i++)
				if (fx.run.trace.rec[i].kind == PVMX_TRACE_KIND_MC_ENTRY) {
					CHECK_EQ(fx.run.trace.rec[i].index, entries % 200);
					entries++;
				}
			exits++;
		}
		if (fx.v.cpu.eip != 0x1000 || rounds++ > 20)
			break;
		pvmx_hypercall(&fx.v, 2);
	}
	CHECK_EQ(entries, 200);
	CHECK(exits >= 3);
	CHECK_EQ(fx_eax(), 0);
}

const struct unit_test stats_tests[] = {
	UNIT_TEST(hypercalls_counted_per_op),
	UNIT_TEST(multicall_histogram_and_stops),
	UNIT_TEST(stats_add_sums_everything),
	UNIT_TEST(trace_records_flush_before_entry),
	UNIT_TEST(full_trace_buffer_continues_multicall),
	UNIT_TEST(trace_record_times_and_vcpu),
	UNIT_TEST(trace_filter_by_op),
	UNIT_TEST(trace_buffer_details),
	{ NULL, NULL },
};
