// SPDX-License-Identifier: GPL-2.0
/*
 * libpvmx: decoding of PVMX_EXIT_TRACE records into strace-like lines.
 *
 *   xen_version(XENVER_version, 0) = 0x40013
 *   event_channel_op(EVTCHNOP_send, 0x12ff4) = -EINVAL (-22)
 *   multicall(0x220000, 40) = 0
 *     [3] update_va_mapping(0x7000, 0x42067, 0, UVMF_INVLPG) = 0
 *   --- trap #PF (vector 14) error 0x2, at 0x00101234 ---
 *
 * The module records a multicall's entries before the multicall itself;
 * struct pvmx_trace_decoder holds them back and prints them under it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpvmx.h"

#define MEMOP_EXTENT_SHIFT	6
#define MEMOP_CMD_MASK		((1u << MEMOP_EXTENT_SHIFT) - 1)

/* Bounded appends: the output is truncated, never overrun. */
struct sbuf {
	char *p;
	size_t len, pos;	/* pos may exceed len: the would-be length */
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	size_t room = b->pos < b->len ? b->len - b->pos : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? b->p + b->pos : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->pos += (size_t)n;
}

static void sb_hex(struct sbuf *b, uint32_t v)
{
	if (v)
		sb_printf(b, "%#x", v);
	else
		sb_printf(b, "0");
}

/*
 * Argument kinds, one character per argument:
 *   p  pointer (hex)       x  hex             u  unsigned decimal
 *   S  sub-op name         f  UVMF_* flags    c  count (+ MMU_UPDATE_PREEMPTED)
 *   D  domain id           V  VMASST_TYPE_*   R  sched_op_compat argument
 */
static const char *const arg_specs[] = {
	[__HYPERVISOR_set_trap_table]		= "p",
	[__HYPERVISOR_mmu_update]		= "pcpD",
	[__HYPERVISOR_set_gdt]			= "pu",
	[__HYPERVISOR_stack_switch]		= "xx",
	[__HYPERVISOR_set_callbacks]		= "xxxx",
	[__HYPERVISOR_fpu_taskswitch]		= "u",
	[__HYPERVISOR_sched_op_compat]		= "SR",
	[__HYPERVISOR_platform_op]		= "p",
	[__HYPERVISOR_set_debugreg]		= "ux",
	[__HYPERVISOR_get_debugreg]		= "u",
	[__HYPERVISOR_update_descriptor]	= "xxxx",
	[11]					= "u",
	[__HYPERVISOR_memory_op]		= "Sp",
	[__HYPERVISOR_multicall]		= "pu",
	[__HYPERVISOR_update_va_mapping]	= "xxxf",
	[__HYPERVISOR_set_timer_op]		= "xx",
	[__HYPERVISOR_event_channel_op_compat]	= "p",
	[__HYPERVISOR_xen_version]		= "Sp",
	[__HYPERVISOR_console_io]		= "Sup",
	[__HYPERVISOR_physdev_op_compat]	= "p",
	[__HYPERVISOR_grant_table_op]		= "Spu",
	[__HYPERVISOR_vm_assist]		= "SV",
	[__HYPERVISOR_update_va_mapping_otherdomain] = "xxxfD",
	[__HYPERVISOR_iret]			= "",
	[__HYPERVISOR_vcpu_op]			= "Sup",
	[__HYPERVISOR_set_segment_base]		= "ux",
	[__HYPERVISOR_mmuext_op]		= "pcpD",
	[__HYPERVISOR_xsm_op]			= "p",
	[__HYPERVISOR_nmi_op]			= "Sp",
	[__HYPERVISOR_sched_op]			= "Sp",
	[__HYPERVISOR_callback_op]		= "Sp",
	[__HYPERVISOR_xenoprof_op]		= "up",
	[__HYPERVISOR_event_channel_op]		= "Sp",
	[__HYPERVISOR_physdev_op]		= "Sp",
	[__HYPERVISOR_hvm_op]			= "up",
	[__HYPERVISOR_sysctl]			= "p",
	[__HYPERVISOR_domctl]			= "p",
	[37]					= "up",		/* kexec_op */
	[38]					= "p",		/* tmem_op */
	[39]					= "uxxxx",	/* argo_op */
	[40]					= "up",		/* xenpmu_op */
	[41]					= "Dup",	/* dm_op */
	[42]					= "upupu",	/* hypfs_op */
	[48]					= "p",		/* mca */
	[49]					= "xxxxx",	/* arch_1 */
};

static void format_uvmf(struct sbuf *b, uint32_t flags)
{
	static const char *const type[] = { "UVMF_NONE", "UVMF_TLB_FLUSH", "UVMF_INVLPG",
					    "UVMF_TLB_FLUSH|UVMF_INVLPG" };
	uint32_t mask = flags & ~3u;

	sb_printf(b, "%s", type[flags & 3]);
	if (mask == 4)
		sb_printf(b, "|UVMF_ALL");
	else if (mask)
		sb_printf(b, "|UVMF_MULTI(%#x)", mask);
}

static void format_domid(struct sbuf *b, uint32_t d)
{
	switch (d) {
	case DOMID_SELF:	sb_printf(b, "DOMID_SELF"); return;
	case DOMID_IO:		sb_printf(b, "DOMID_IO"); return;
	case DOMID_XEN:		sb_printf(b, "DOMID_XEN"); return;
	}
	if (d > 0xFFFF)
		sb_printf(b, "%#x", d);
	else
		sb_printf(b, "%u", d);
}

static void format_subop(struct sbuf *b, uint32_t op, uint32_t cmd)
{
	uint32_t c = op == __HYPERVISOR_memory_op ? cmd & MEMOP_CMD_MASK : cmd;
	const char *name = pvmx_subop_name(op, c);

	if (name)
		sb_printf(b, "%s", name);
	else
		sb_printf(b, "%u", c);
	if (c != cmd)
		sb_printf(b, "|start_extent=%u", cmd >> MEMOP_EXTENT_SHIFT);
}

static void format_call(struct sbuf *b, uint32_t op, const uint32_t args[5])
{
	const char *name = pvmx_hypercall_name(op);
	const char *spec = op < sizeof(arg_specs) / sizeof(arg_specs[0]) ? arg_specs[op] : NULL;
	unsigned i;

	if (!name || !spec) {
		sb_printf(b, "hypercall_%u(", op);
		spec = "xxxxx";
	} else {
		sb_printf(b, "%s(", name);
	}
	for (i = 0; spec[i] && i < 5; i++) {
		uint32_t a = args[i];
		const char *n;

		if (i)
			sb_printf(b, ", ");
		switch (spec[i]) {
		case 'u':
			sb_printf(b, "%u", a);
			break;
		case 'S':
			format_subop(b, op, a);
			break;
		case 'f':
			format_uvmf(b, a);
			break;
		case 'c':
			sb_printf(b, "%u", a & ~MMU_UPDATE_PREEMPTED);
			if (a & MMU_UPDATE_PREEMPTED)
				sb_printf(b, "|MMU_UPDATE_PREEMPTED");
			break;
		case 'D':
			format_domid(b, a);
			break;
		case 'V':
			n = pvmx_vm_assist_type_name(a);
			if (n)
				sb_printf(b, "%s", n);
			else
				sb_printf(b, "%u", a);
			break;
		case 'R':
			n = args[0] == SCHEDOP_shutdown ? pvmx_xen_shutdown_reason_name(a) : NULL;
			if (n)
				sb_printf(b, "%s", n);
			else
				sb_hex(b, a);
			break;
		default:	/* p, x */
			sb_hex(b, a);
		}
	}
	sb_printf(b, ")");
}

static void format_result(struct sbuf *b, const struct pvmx_trace_rec *r)
{
	int32_t v = (int32_t)r->result;
	const char *n;

	if (r->flags & PVMX_TRACE_F_PREEMPTED) {
		sb_printf(b, " = <continued>");
		return;
	}
	/* iret returns the EAX it restored: a value, never an error. */
	if (r->op != __HYPERVISOR_iret && v < 0 && v >= -130) {
		n = pvmx_xen_errno_name((unsigned)-v);
		if (n)
			sb_printf(b, " = -%s (%d)", n, v);
		else
			sb_printf(b, " = %d", v);
		return;
	}
	sb_printf(b, " = ");
	sb_hex(b, r->result);
}

static void format_trap(struct sbuf *b, const struct pvmx_trace_rec *r)
{
	uint32_t v = r->op;
	const char *n = pvmx_vector_name(v);
	/* Exceptions that push an error code. */
	int has_error = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;

	if (n)
		sb_printf(b, "--- trap %s (vector %u)", n, v);
	else if (v >= 32)
		sb_printf(b, "--- trap int %#x (vector %u)", v, v);
	else
		sb_printf(b, "--- trap vector %u", v);
	if (has_error)
		sb_printf(b, " error %#x", r->result);
	sb_printf(b, ", at 0x%08x ---", r->eip);
}

int pvmx_trace_format(const struct pvmx_trace_rec *r, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	switch (r->kind) {
	case PVMX_TRACE_KIND_MC_ENTRY:
		sb_printf(&b, "  [%u] ", r->index);
		/* fall through */
	case PVMX_TRACE_KIND_HYPERCALL:
		format_call(&b, r->op, r->args);
		format_result(&b, r);
		break;
	case PVMX_TRACE_KIND_TRAP:
		format_trap(&b, r);
		break;
	case PVMX_TRACE_KIND_UPCALL:
		sb_printf(&b, "--- event upcall, at 0x%08x ---", r->eip);
		break;
	case PVMX_TRACE_KIND_FAILSAFE:
		sb_printf(&b, "--- failsafe callback, at 0x%08x ---", r->eip);
		break;
	case PVMX_TRACE_KIND_FAST_SYSCALL:
		sb_printf(&b, "--- %s callback, at 0x%08x ---", r->op ? "sysenter" : "syscall32",
			  r->eip);
		break;
	default:
		sb_printf(&b, "--- unknown trace record kind %u (op %u, result %#x) ---",
			  r->kind, r->op, r->result);
	}
	return (int)b.pos;
}

void pvmx_trace_decoder_init(struct pvmx_trace_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

static void put_line(const struct pvmx_trace_rec *r, FILE *f)
{
	char line[512];

	pvmx_trace_format(r, line, sizeof(line));
	fprintf(f, "%s\n", line);
}

static void put_pending(struct pvmx_trace_decoder *d, FILE *f)
{
	unsigned i;

	for (i = 0; i < d->nr_pending; i++)
		put_line(&d->pending[i], f);
	d->nr_pending = 0;
}

static void put_orphans(struct pvmx_trace_decoder *d, FILE *f)
{
	fprintf(f, "multicall(?) = <unfinished>\n");
	put_pending(d, f);
}

void pvmx_trace_feed(struct pvmx_trace_decoder *d, const struct pvmx_trace_rec *r, FILE *f)
{
	if (r->kind == PVMX_TRACE_KIND_MC_ENTRY) {
		if (d->nr_pending == d->cap_pending) {
			unsigned cap = d->cap_pending ? d->cap_pending * 2 : PVMX_TRACE_MAX;
			struct pvmx_trace_rec *p = realloc(d->pending, cap * sizeof(*p));

			if (!p) {	/* out of memory: print it out of place */
				put_line(r, f);
				return;
			}
			d->pending = p;
			d->cap_pending = cap;
		}
		d->pending[d->nr_pending++] = *r;
		return;
	}
	if (r->kind == PVMX_TRACE_KIND_HYPERCALL && r->op == __HYPERVISOR_multicall) {
		put_line(r, f);
		put_pending(d, f);
		return;
	}
	/*
	 * Another hypercall: the entries held back cannot belong to a multicall
	 * recorded later (a batch's record follows its last entry).  Print them
	 * now rather than under the wrong multicall.
	 */
	if (r->kind == PVMX_TRACE_KIND_HYPERCALL && d->nr_pending)
		put_orphans(d, f);
	put_line(r, f);
}

void pvmx_trace_decoder_finish(struct pvmx_trace_decoder *d, FILE *f)
{
	/* Entries whose multicall never came (the guest stopped in between). */
	if (d->nr_pending)
		put_orphans(d, f);
	free(d->pending);
	d->pending = NULL;
	d->cap_pending = 0;
}
