/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints (perf trace -e 'pvmx:*', trace-cmd record -e pvmx).
 * The same records the launcher's --trace decodes, plus every VM exit and
 * guest crash.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pvmx

#if !defined(_PVMX_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PVMX_TRACE_H

#include <linux/tracepoint.h>

/* host.c: count the record tracepoints that are on (pvmx_host_tracepoints). */
int pvmx_tracepoint_reg(void);
void pvmx_tracepoint_unreg(void);

TRACE_EVENT(pvmx_exit,
	TP_PROTO(u32 vcpu, u32 reason, u32 eip, u32 intr_info),
	TP_ARGS(vcpu, reason, eip, intr_info),
	TP_STRUCT__entry(
		__field(u32, vcpu)
		__field(u32, reason)
		__field(u32, eip)
		__field(u32, intr_info)
	),
	TP_fast_assign(
		__entry->vcpu = vcpu;
		__entry->reason = reason;
		__entry->eip = eip;
		__entry->intr_info = intr_info;
	),
	TP_printk("vcpu %u reason %u eip 0x%08x intr_info 0x%x", __entry->vcpu,
		  __entry->reason, __entry->eip, __entry->intr_info)
);

DECLARE_EVENT_CLASS(pvmx_call_class,
	TP_PROTO(u32 vcpu, const struct pvmx_trace_rec *r),
	TP_ARGS(vcpu, r),
	TP_STRUCT__entry(
		__field(u32, vcpu)
		__field(u32, op)
		__field(u32, result)
		__field(u32, flags)
		__field(u32, index)
		__field(u32, eip)
		__array(u32, args, 5)
	),
	TP_fast_assign(
		__entry->vcpu = vcpu;
		__entry->op = r->op;
		__entry->result = r->result;
		__entry->flags = r->flags;
		__entry->index = r->index;
		__entry->eip = r->eip;
		memcpy(__entry->args, r->args, sizeof(__entry->args));
	),
	TP_printk("vcpu %u op %u (0x%x, 0x%x, 0x%x, 0x%x, 0x%x) = %d%s index %u at 0x%08x",
		  __entry->vcpu, __entry->op, __entry->args[0], __entry->args[1],
		  __entry->args[2], __entry->args[3], __entry->args[4], (int)__entry->result,
		  __entry->flags & PVMX_TRACE_F_PREEMPTED ? " (continued)" : "",
		  __entry->index, __entry->eip)
);

DEFINE_EVENT_FN(pvmx_call_class, pvmx_hypercall,
	TP_PROTO(u32 vcpu, const struct pvmx_trace_rec *r), TP_ARGS(vcpu, r),
	pvmx_tracepoint_reg, pvmx_tracepoint_unreg);
DEFINE_EVENT_FN(pvmx_call_class, pvmx_multicall_entry,
	TP_PROTO(u32 vcpu, const struct pvmx_trace_rec *r), TP_ARGS(vcpu, r),
	pvmx_tracepoint_reg, pvmx_tracepoint_unreg);

TRACE_EVENT_FN(pvmx_delivery,
	TP_PROTO(u32 vcpu, const struct pvmx_trace_rec *r),
	TP_ARGS(vcpu, r),
	TP_STRUCT__entry(
		__field(u32, vcpu)
		__field(u32, kind)
		__field(u32, vector)
		__field(u32, error)
		__field(u32, eip)
	),
	TP_fast_assign(
		__entry->vcpu = vcpu;
		__entry->kind = r->kind;
		__entry->vector = r->op;
		__entry->error = r->result;
		__entry->eip = r->eip;
	),
	TP_printk("vcpu %u %s vector %u error 0x%x at 0x%08x", __entry->vcpu,
		  __entry->kind == PVMX_TRACE_KIND_UPCALL ? "upcall" :
		  __entry->kind == PVMX_TRACE_KIND_FAILSAFE ? "failsafe" :
		  __entry->kind == PVMX_TRACE_KIND_FAST_SYSCALL ? "fast_syscall" : "trap",
		  __entry->vector, __entry->error, __entry->eip),
	pvmx_tracepoint_reg, pvmx_tracepoint_unreg
);

TRACE_EVENT(pvmx_crash,
	TP_PROTO(u32 vcpu, const struct pvmx_run *run),
	TP_ARGS(vcpu, run),
	TP_STRUCT__entry(
		__field(u32, vcpu)
		__field(u32, kind)
		__field(u32, eip)
		__array(char, reason, 128)
	),
	TP_fast_assign(
		__entry->vcpu = vcpu;
		__entry->kind = run->crash.kind;
		__entry->eip = run->crash.eip;
		strscpy(__entry->reason, run->crash.reason, sizeof(__entry->reason));
	),
	TP_printk("vcpu %u kind %u eip 0x%08x: %s", __entry->vcpu, __entry->kind,
		  __entry->eip, __entry->reason)
);

#endif /* _PVMX_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE pvmx_trace
#include <trace/define_trace.h>
