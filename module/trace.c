// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics and trace records for people studying hypercall batching.
 * Counters are plain per-vCPU fields written only by the vCPU's thread.
 * Trace records go to the kernel tracepoints always, and, while userspace
 * asked for them (PVMX_SET_TRACE), into a per-vCPU buffer that is handed
 * out as a PVMX_EXIT_TRACE before the guest runs on: nothing is lost, the
 * guest waits (multicalls continue later when the buffer fills).
 */
#include "core.h"

void pvmx_trace(struct pvmx_vcpu_core *v, u32 kind, u32 flags, u32 op, u32 result,
		const u32 args[5], u32 index, u32 eip)
{
	u32 wanted = kind <= PVMX_TRACE_KIND_MC_ENTRY ? PVMX_TRACE_HYPERCALLS :
			PVMX_TRACE_DELIVERIES;
	struct pvmx_trace_rec r;

	/* The common case, nobody listening, costs a test and a branch. */
	if (!(v->trace_flags & wanted) && !pvmx_host_tracing())
		return;
	r = (struct pvmx_trace_rec){
		.kind = kind, .flags = flags, .op = op, .result = result,
		.index = index, .eip = eip,
	};
	if (args)
		memcpy(r.args, args, sizeof(r.args));
	pvmx_host_tracepoint(v, &r);
	if ((v->trace_flags & wanted) && v->trace_nr < PVMX_TRACE_MAX)
		v->trace_buf[v->trace_nr++] = r;
}

bool pvmx_trace_room(const struct pvmx_vcpu_core *v, u32 records)
{
	return !v->trace_flags || v->trace_nr + records <= PVMX_TRACE_MAX;
}

enum pvmx_action pvmx_trace_flush(struct pvmx_vcpu_core *v)
{
	struct pvmx_run *run = v->run;

	run->trace.nr = v->trace_nr;
	run->trace.pad = 0;
	memcpy(run->trace.rec, v->trace_buf, v->trace_nr * sizeof(v->trace_buf[0]));
	run->exit_reason = PVMX_EXIT_TRACE;
	v->trace_nr = 0;
	return PVMX_EXIT_TO_USER;
}

void pvmx_stats_init(struct pvmx_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->version = PVMX_STATS_VERSION;
	s->size = sizeof(*s);
}

/* Sums every counter (all of them u64 from .exits on). */
void pvmx_stats_add(struct pvmx_stats *sum, const struct pvmx_stats *s)
{
	const u64 *from = &s->exits;
	u64 *to = &sum->exits;
	u32 i, n = (sizeof(*s) - offsetof(struct pvmx_stats, exits)) / sizeof(u64);

	for (i = 0; i < n; i++)
		to[i] += from[i];
	sum->nr_vcpus += s->nr_vcpus;
}

/* A multicall batch stopped: histogram of entries run when it is over. */
void pvmx_stats_batch(struct pvmx_vcpu_core *v, u32 entries, u32 stop)
{
	u32 total = v->mc_done + entries, bucket = 0;

	v->stats.multicall_stops[stop]++;
	if (stop == PVMX_MC_STOP_PREEMPTED) {
		v->mc_done = total;
		v->mc_continuing = true;
		return;
	}
	while (bucket < PVMX_STATS_BATCH_BUCKETS - 1 && total >> (bucket + 1))
		bucket++;
	v->stats.multicall_batches[bucket]++;
	v->mc_done = 0;
	v->mc_continuing = false;
}
