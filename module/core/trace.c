// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics and trace records for people studying hypercall batching.
 * Counters are plain per-vCPU fields written only by the vCPU's thread.
 * Trace records go to the kernel tracepoints while one is enabled, and,
 * while userspace asked for them (PVMX_SET_TRACE), into a per-vCPU buffer
 * that is handed out as a PVMX_EXIT_TRACE before the guest runs on:
 * nothing is lost, the guest waits (multicalls continue later when the
 * buffer fills).  Documentation/uapi.rst, PVMX_SET_TRACE, has the fields.
 */
#include "core.h"

/* Enabled pvmx tracepoints; the kernel glue counts them (host.c). */
int pvmx_host_tracepoints;

/* A hypercall begins: the time of its record, and of its first entry's. */
void pvmx_trace_stamp(struct pvmx_vcpu_core *v)
{
	v->trace_call_ns = pvmx_host_now_ns();
	v->trace_call_tsc = pvmx_host_cycles();
	v->trace_mark_ns = v->trace_call_ns;
	v->trace_mark_tsc = v->trace_call_tsc;
	v->trace_mc_nr = 0;
}

static bool op_wanted(const struct pvmx_vcpu_core *v, u32 op)
{
	return v->trace_ops & (1ULL << (op < 63 ? op : 63));
}

/* Bytes of an event_channel_op / sched_op / vcpu_op argument (Xen's public headers). */
static u32 evtchn_op_bytes(u32 cmd)
{
	static const u8 bytes[] = {
		[EVTCHNOP_bind_interdomain] = 12, [EVTCHNOP_bind_virq] = 12,
		[EVTCHNOP_bind_pirq] = 12, [EVTCHNOP_close] = 4, [EVTCHNOP_send] = 4,
		[EVTCHNOP_status] = 24, [EVTCHNOP_alloc_unbound] = 8,
		[EVTCHNOP_bind_ipi] = 8, [EVTCHNOP_bind_vcpu] = 8, [EVTCHNOP_unmask] = 4,
		[EVTCHNOP_reset] = 2, [EVTCHNOP_init_control] = 24,
		[EVTCHNOP_expand_array] = 8, [EVTCHNOP_set_priority] = 8,
	};

	return cmd < ARRAY_SIZE(bytes) ? bytes[cmd] : 0;
}

static u32 sched_op_bytes(u32 cmd)
{
	switch (cmd) {
	case SCHEDOP_shutdown:
	case SCHEDOP_shutdown_code:
		return 4;		/* sched_shutdown: reason */
	case SCHEDOP_poll:
		return 16;		/* ports, nr_ports, timeout */
	case SCHEDOP_remote_shutdown:
	case SCHEDOP_watchdog:
		return 8;
	}
	return 0;
}

static u32 vcpu_op_bytes(u32 cmd)
{
	switch (cmd) {
	case VCPUOP_initialise:
		return PVMX_TRACE_DATA_MAX;	/* the context's first bytes */
	case VCPUOP_set_singleshot_timer:
		return 12;		/* timeout_abs_ns, flags */
	case VCPUOP_set_periodic_timer:
	case VCPUOP_register_runstate_memory_area:
	case VCPUOP_register_vcpu_time_memory_area:
		return 8;
	case VCPUOP_register_vcpu_info:
		return 16;		/* mfn, offset, rsvd */
	}
	return 0;
}

/*
 * The buffer a hypercall points at, as it is after the call: the first
 * requests of mmu_update (16 bytes each) and mmuext_op (12), the text of a
 * console write, the argument structure of event_channel_op, sched_op and
 * some vcpu_ops.  At most PVMX_TRACE_DATA_MAX bytes, whole requests only.
 */
static void buffer_detail(struct pvmx_vcpu_core *v, struct pvmx_trace_rec *r)
{
	const u32 *a = r->args;
	u32 gva = 0, len = 0;

	switch (r->op) {
	case __HYPERVISOR_mmu_update:
		gva = a[0];
		len = min_t(u32, a[1] & ~MMU_UPDATE_PREEMPTED, 2) * 16;
		break;
	case __HYPERVISOR_mmuext_op:
		gva = a[0];
		len = min_t(u32, a[1] & ~MMU_UPDATE_PREEMPTED, 2) * 12;
		break;
	case __HYPERVISOR_console_io:
		if (a[0] == CONSOLEIO_write) {
			gva = a[2];
			len = min_t(u32, a[1], PVMX_TRACE_DATA_MAX);
		}
		break;
	case __HYPERVISOR_event_channel_op:
		gva = a[1];
		len = evtchn_op_bytes(a[0]);
		break;
	case __HYPERVISOR_sched_op:
		gva = a[1];
		len = sched_op_bytes(a[0]);
		break;
	case __HYPERVISOR_vcpu_op:
		gva = a[2];
		len = vcpu_op_bytes(a[0]);
		break;
	}
	if (!len)
		return;
	if (pvmx_copy_from_guest(v, r->data, gva, len)) {
		r->flags |= PVMX_TRACE_F_DATA_FAULT;
		return;
	}
	r->detail = PVMX_TRACE_DETAIL_BUFFER;
	r->detail_nr = len;
}

void pvmx_trace_record(struct pvmx_vcpu_core *v, u32 kind, u32 flags, u32 op, u32 result,
		       const u32 args[5], u32 index, u32 eip)
{
	bool call = kind <= PVMX_TRACE_KIND_MC_ENTRY;
	u32 wanted = call ? PVMX_TRACE_HYPERCALLS : PVMX_TRACE_DELIVERIES;
	bool keep = (v->trace_flags & wanted) && (!call || op_wanted(v, op)) &&
		    v->trace_nr < PVMX_TRACE_MAX;
	u64 now = pvmx_host_now_ns();
	struct pvmx_trace_rec r = {
		.kind = kind, .flags = flags, .op = op, .result = result,
		.index = index, .eip = eip, .vcpu = v->id,
		.time_ns = now, .tsc = pvmx_host_cycles(),
	};

	if (args)
		memcpy(r.args, args, sizeof(r.args));
	if (kind == PVMX_TRACE_KIND_MC_ENTRY) {
		/* Its share of the batch: since the previous entry ended. */
		r.time_ns = v->trace_mark_ns;
		r.tsc = v->trace_mark_tsc;
		r.duration_ns = now - v->trace_mark_ns;
		v->trace_mark_ns = now;
		v->trace_mark_tsc = pvmx_host_cycles();
		if (v->trace_mc_nr < PVMX_TRACE_DATA_MAX)
			v->trace_mc_ops[v->trace_mc_nr] = min_t(u32, op, 255);
		v->trace_mc_nr++;
	} else if (kind == PVMX_TRACE_KIND_HYPERCALL) {
		/* From the exit; the duration is known at the re-entry (flush). */
		r.time_ns = v->trace_call_ns;
		r.tsc = v->trace_call_tsc;
		if (op == __HYPERVISOR_multicall) {
			r.detail = PVMX_TRACE_DETAIL_MC_OPS;
			r.detail_nr = v->trace_mc_nr;
			memcpy(r.data, v->trace_mc_ops,
			       min_t(u32, v->trace_mc_nr, PVMX_TRACE_DATA_MAX));
			v->trace_mc_nr = 0;
		}
	}
	if (keep && call && !r.detail)
		buffer_detail(v, &r);
	if (READ_ONCE(pvmx_host_tracepoints))
		pvmx_host_tracepoint(v, &r);
	if (!keep)
		return;
	if (kind == PVMX_TRACE_KIND_HYPERCALL)
		v->trace_open = v->trace_nr + 1;
	v->trace_buf[v->trace_nr++] = r;
	pvmx_entry_work_set(v, PVMX_WORK_TRACE);	/* flushed before the next entry */
}

enum pvmx_action pvmx_trace_flush(struct pvmx_vcpu_core *v)
{
	struct pvmx_run *run = v->run;

	/* The guest is about to run again: the hypercall's exit-to-entry time. */
	if (v->trace_open && v->trace_open <= v->trace_nr) {
		struct pvmx_trace_rec *r = &v->trace_buf[v->trace_open - 1];

		r->duration_ns = pvmx_host_now_ns() - r->time_ns;
	}
	v->trace_open = 0;
	run->trace.nr = v->trace_nr;
	run->trace.rec_size = sizeof(v->trace_buf[0]);
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
