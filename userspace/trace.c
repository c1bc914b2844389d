// SPDX-License-Identifier: GPL-2.0
/*
 * libpvmx: decoding of PVMX_EXIT_TRACE records into strace-like lines
 * (seconds since the run began, vCPU, call, result, buffer contents,
 * duration, guest EIP) or JSON Lines (Documentation/launcher.rst).
 *
 *   0.001234 v0 xen_version(XENVER_version, 0) = 0x40013 <1.250us> at 0x00101234
 *   0.001300 v0 multicall(0x220000, 2) = 0 [2 entries: update_va_mapping x2] <9.1us> at 0x...
 *   0.001260 v0   [0] update_va_mapping(0x7000, 0x42067, 0, UVMF_INVLPG) = 0 <3.000us>
 *   0.001400 v1 --- trap #PF (vector 14) error 0x2, at 0x00101234 ---
 *
 * The module records a multicall's entries before the multicall itself;
 * struct pvmx_trace_decoder holds them back and prints them under it (text;
 * JSON keeps the order of the records).
 */
#include <errno.h>
#include <inttypes.h>
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

/* ---- detail: what the record's data[] holds -------------------------------- */

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static const char *mmu_cmd_name(unsigned cmd)
{
	static const char *const names[] = { "MMU_NORMAL_PT_UPDATE", "MMU_MACHPHYS_UPDATE",
					     "MMU_PT_UPDATE_PRESERVE_AD",
					     "MMU_PT_UPDATE_NO_TRANSLATE" };

	return names[cmd & 3];
}

static const char *op_name(unsigned op, char *buf, size_t len)
{
	const char *n = op < 255 ? pvmx_hypercall_name(op) : NULL;

	if (n)
		return n;
	snprintf(buf, len, op < 255 ? "hypercall_%u" : "hypercall_255+", op);
	return buf;
}

static unsigned data_bytes(const struct pvmx_trace_rec *r)
{
	return r->detail_nr < PVMX_TRACE_DATA_MAX ? r->detail_nr : PVMX_TRACE_DATA_MAX;
}

static void format_detail(struct sbuf *b, const struct pvmx_trace_rec *r)
{
	unsigned i, n, run;
	char nb[32];

	if (r->flags & PVMX_TRACE_F_DATA_FAULT) {
		sb_printf(b, " {unreadable}");
		return;
	}
	n = data_bytes(r);
	if (r->detail == PVMX_TRACE_DETAIL_MC_OPS) {
		sb_printf(b, " [%u %s", r->detail_nr, r->detail_nr == 1 ? "entry" : "entries");
		for (i = 0; i < n; i += run) {
			for (run = 1; i + run < n && r->data[i + run] == r->data[i]; run++)
				;
			sb_printf(b, "%s%s", i ? ", " : ": ", op_name(r->data[i], nb, sizeof(nb)));
			if (run > 1)
				sb_printf(b, " x%u", run);
		}
		if (r->detail_nr > n)
			sb_printf(b, ", +%u more", r->detail_nr - n);
		sb_printf(b, "]");
		return;
	}
	if (r->detail != PVMX_TRACE_DETAIL_BUFFER)
		return;
	switch (r->op) {
	case __HYPERVISOR_mmu_update:
		for (i = 0; i + 16 <= n; i += 16) {
			uint64_t ptr = get64(r->data + i);

			sb_printf(b, " {%s ptr=%#" PRIx64 " val=%#" PRIx64 "}", mmu_cmd_name(ptr & 3),
				  ptr & ~(uint64_t)3, get64(r->data + i + 8));
		}
		if ((r->args[1] & ~MMU_UPDATE_PREEMPTED) > n / 16)
			sb_printf(b, " +%u more", (r->args[1] & ~MMU_UPDATE_PREEMPTED) - n / 16);
		return;
	case __HYPERVISOR_mmuext_op:
		for (i = 0; i + 12 <= n; i += 12) {
			const char *c = pvmx_mmuext_cmd_name(get32(r->data + i));

			if (c)
				sb_printf(b, " {%s", c);
			else
				sb_printf(b, " {cmd %u", get32(r->data + i));
			sb_printf(b, " %#x %#x}", get32(r->data + i + 4), get32(r->data + i + 8));
		}
		if ((r->args[1] & ~MMU_UPDATE_PREEMPTED) > n / 12)
			sb_printf(b, " +%u more", (r->args[1] & ~MMU_UPDATE_PREEMPTED) - n / 12);
		return;
	case __HYPERVISOR_console_io:
		sb_printf(b, " \"");
		for (i = 0; i < n; i++) {
			uint8_t c = r->data[i];

			if (c == '\n')
				sb_printf(b, "\\n");
			else if (c == '"' || c == '\\')
				sb_printf(b, "\\%c", c);
			else if (c < 0x20 || c >= 0x7f)
				sb_printf(b, "\\x%02x", c);
			else
				sb_printf(b, "%c", c);
		}
		sb_printf(b, "\"%s", r->args[1] > n ? "..." : "");
		return;
	default:
		sb_printf(b, " {");
		for (i = 0; i < n; i += 4) {
			uint8_t w[4] = { 0 };

			memcpy(w, r->data + i, n - i < 4 ? n - i : 4);
			sb_printf(b, "%s%#x", i ? " " : "", get32(w));
		}
		sb_printf(b, "}");
	}
}

static int is_call(const struct pvmx_trace_rec *r)
{
	return r->kind == PVMX_TRACE_KIND_HYPERCALL || r->kind == PVMX_TRACE_KIND_MC_ENTRY;
}

int pvmx_trace_format_line(const struct pvmx_trace_rec *r, uint64_t t0_ns, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0 };
	uint64_t t = r->time_ns > t0_ns ? r->time_ns - t0_ns : 0;

	if (len)
		buf[0] = '\0';
	sb_printf(&b, "%4" PRIu64 ".%06" PRIu64 " v%u ", t / 1000000000, t / 1000 % 1000000,
		  r->vcpu);
	b.pos += (size_t)pvmx_trace_format(r, b.pos < len ? buf + b.pos : NULL,
					   b.pos < len ? len - b.pos : 0);
	if (!is_call(r))
		return (int)b.pos;
	format_detail(&b, r);
	sb_printf(&b, " <%" PRIu64 ".%03" PRIu64 "us>", (uint64_t)r->duration_ns / 1000,
		  (uint64_t)r->duration_ns % 1000);
	if (r->kind == PVMX_TRACE_KIND_HYPERCALL)
		sb_printf(&b, " at 0x%08x", r->eip);
	return (int)b.pos;
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_str(struct sbuf *b, const char *s, size_t n)
{
	size_t i;

	sb_printf(b, "\"");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			sb_printf(b, "\\%c", c);
		else if (c == '\n')
			sb_printf(b, "\\n");
		else if (c < 0x20 || c >= 0x7f)
			sb_printf(b, "\\u%04x", c);
		else
			sb_printf(b, "%c", c);
	}
	sb_printf(b, "\"");
}

static const char *const kind_names[] = {
	[PVMX_TRACE_KIND_HYPERCALL] = "hypercall",
	[PVMX_TRACE_KIND_MC_ENTRY] = "multicall_entry",
	[PVMX_TRACE_KIND_TRAP] = "trap",
	[PVMX_TRACE_KIND_UPCALL] = "upcall",
	[PVMX_TRACE_KIND_FAILSAFE] = "failsafe",
	[PVMX_TRACE_KIND_FAST_SYSCALL] = "fast_syscall",
};

static void json_detail(struct sbuf *b, const struct pvmx_trace_rec *r)
{
	unsigned i, n = data_bytes(r);
	char nb[32];

	if (r->flags & PVMX_TRACE_F_DATA_FAULT) {
		sb_printf(b, ",\"buffer_fault\":true");
		return;
	}
	if (r->detail == PVMX_TRACE_DETAIL_MC_OPS) {
		sb_printf(b, ",\"multicall\":{\"entries\":%u,\"ops\":[", r->detail_nr);
		for (i = 0; i < n; i++) {
			const char *name = op_name(r->data[i], nb, sizeof(nb));

			sb_printf(b, i ? "," : "");
			json_str(b, name, strlen(name));
		}
		sb_printf(b, "]}");
		return;
	}
	if (r->detail != PVMX_TRACE_DETAIL_BUFFER)
		return;
	sb_printf(b, ",\"buffer\":\"");
	for (i = 0; i < n; i++)
		sb_printf(b, "%02x", r->data[i]);
	sb_printf(b, "\"");
	switch (r->op) {
	case __HYPERVISOR_mmu_update:
		sb_printf(b, ",\"requests\":[");
		for (i = 0; i + 16 <= n; i += 16) {
			uint64_t ptr = get64(r->data + i);

			sb_printf(b, "%s{\"cmd\":\"%s\",\"ptr\":%" PRIu64 ",\"val\":%" PRIu64 "}",
				  i ? "," : "", mmu_cmd_name(ptr & 3), ptr & ~(uint64_t)3,
				  get64(r->data + i + 8));
		}
		sb_printf(b, "]");
		break;
	case __HYPERVISOR_mmuext_op:
		sb_printf(b, ",\"ops\":[");
		for (i = 0; i + 12 <= n; i += 12) {
			const char *c = pvmx_mmuext_cmd_name(get32(r->data + i));

			sb_printf(b, "%s{\"cmd\":", i ? "," : "");
			if (c)
				json_str(b, c, strlen(c));
			else
				sb_printf(b, "%u", get32(r->data + i));
			sb_printf(b, ",\"arg1\":%u,\"arg2\":%u}", get32(r->data + i + 4),
				  get32(r->data + i + 8));
		}
		sb_printf(b, "]");
		break;
	case __HYPERVISOR_console_io:
		sb_printf(b, ",\"string\":");
		json_str(b, (const char *)r->data, n);
		break;
	}
}

int pvmx_trace_format_json(const struct pvmx_trace_rec *r, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0 };
	const char *kind = r->kind < sizeof(kind_names) / sizeof(kind_names[0]) ?
			   kind_names[r->kind] : NULL;
	char nb[32];

	if (len)
		buf[0] = '\0';
	sb_printf(&b, "{\"vcpu\":%u,\"time_ns\":%" PRIu64 ",\"tsc\":%" PRIu64 ",\"kind\":",
		  r->vcpu, (uint64_t)r->time_ns, (uint64_t)r->tsc);
	if (kind)
		sb_printf(&b, "\"%s\"", kind);
	else
		sb_printf(&b, "\"kind_%u\"", r->kind);
	if (is_call(r)) {
		const char *name = pvmx_hypercall_name(r->op);
		int32_t v = (int32_t)r->result;
		const char *err = NULL;
		char line[512];
		int n;

		if (!name) {
			snprintf(nb, sizeof(nb), "hypercall_%u", r->op);
			name = nb;
		}
		sb_printf(&b, ",\"op\":%u,\"name\":\"%s\",\"args\":[%u,%u,%u,%u,%u]", r->op, name,
			  r->args[0], r->args[1], r->args[2], r->args[3], r->args[4]);
		if (r->kind == PVMX_TRACE_KIND_MC_ENTRY)
			sb_printf(&b, ",\"index\":%u", r->index);
		sb_printf(&b, ",\"result\":%" PRId32, v);
		if (r->op != __HYPERVISOR_iret && v < 0 && v >= -130)
			err = pvmx_xen_errno_name((unsigned)-v);
		if (err)
			sb_printf(&b, ",\"errno\":\"%s\"", err);
		if (r->flags & PVMX_TRACE_F_PREEMPTED)
			sb_printf(&b, ",\"preempted\":true");
		sb_printf(&b, ",\"duration_ns\":%" PRIu64, (uint64_t)r->duration_ns);
		/* The strace-like rendering of the call, for people reading JSON. */
		{
			struct pvmx_trace_rec c = *r;

			c.kind = PVMX_TRACE_KIND_HYPERCALL;
			n = pvmx_trace_format(&c, line, sizeof(line));
			if (n >= (int)sizeof(line))
				n = sizeof(line) - 1;
			sb_printf(&b, ",\"text\":");
			json_str(&b, line, (size_t)n);
		}
		json_detail(&b, r);
	} else if (r->kind == PVMX_TRACE_KIND_TRAP) {
		const char *vn = pvmx_vector_name(r->op);

		sb_printf(&b, ",\"vector\":%u", r->op);
		if (vn)
			sb_printf(&b, ",\"name\":\"%s\"", vn);
		sb_printf(&b, ",\"error_code\":%u", r->result);
	} else if (r->kind == PVMX_TRACE_KIND_FAST_SYSCALL) {
		sb_printf(&b, ",\"via\":\"%s\"", r->op ? "sysenter" : "syscall32");
	}
	sb_printf(&b, ",\"eip\":%u}", r->eip);
	return (int)b.pos;
}

/* ---- the --trace filter ------------------------------------------------------ */

int pvmx_trace_parse_filter(const char *list, uint32_t *flags, uint64_t *ops,
			    char *err, size_t errlen)
{
	const char *p = list;

	*flags = 0;
	*ops = 0;
	if (!list) {
		*flags = PVMX_TRACE_HYPERCALLS | PVMX_TRACE_DELIVERIES;
		*ops = ~0ULL;
		return 0;
	}
	for (;;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		unsigned op;
		int found = 0;

		if (n == 10 && !strncmp(p, "deliveries", n)) {
			*flags |= PVMX_TRACE_DELIVERIES;
			found = 1;
		}
		for (op = 0; op < 64 && !found; op++) {
			const char *name = pvmx_hypercall_name(op);

			if (name && strlen(name) == n && !strncmp(p, name, n)) {
				*flags |= PVMX_TRACE_HYPERCALLS;
				*ops |= 1ULL << op;
				found = 1;
			}
		}
		if (!found) {
			struct sbuf b = { err, errlen, 0 };

			if (errlen)
				err[0] = '\0';
			if (n)
				sb_printf(&b, "--trace: unknown name '%.*s'", (int)n, p);
			else
				sb_printf(&b, "--trace: empty name in '%s'", list);
			if (strchr(list, '/'))
				sb_printf(&b, " (a file? that is --trace-output=FILE now)");
			sb_printf(&b, "; valid names: deliveries");
			for (op = 0; op < 64; op++)
				if (pvmx_hypercall_name(op))
					sb_printf(&b, ", %s", pvmx_hypercall_name(op));
			return -1;
		}
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* ---- the decoder --------------------------------------------------------------- */

void pvmx_trace_decoder_init(struct pvmx_trace_decoder *d)
{
	memset(d, 0, sizeof(d[0]));
	d->hold_entries = true;
}

static void put_line(struct pvmx_trace_decoder *d, const struct pvmx_trace_rec *r, FILE *f)
{
	char line[1024];

	if (d->json)
		pvmx_trace_format_json(r, line, sizeof(line));
	else
		pvmx_trace_format_line(r, d->t0_ns, line, sizeof(line));
	fprintf(f, "%s\n", line);
}

static void put_pending(struct pvmx_trace_decoder *d, FILE *f)
{
	unsigned i;

	for (i = 0; i < d->nr_pending; i++)
		put_line(d, &d->pending[i], f);
	d->nr_pending = 0;
}

static void put_orphans(struct pvmx_trace_decoder *d, FILE *f)
{
	fprintf(f, "%*s v%u multicall(?) = <unfinished>\n", 11, "", d->pending[0].vcpu);
	put_pending(d, f);
}

void pvmx_trace_feed(struct pvmx_trace_decoder *d, const struct pvmx_trace_rec *r, FILE *f)
{
	/* JSON keeps the records' order; so does text when no multicall comes. */
	if (d->json || !d->hold_entries) {
		put_line(d, r, f);
		return;
	}
	if (r->kind == PVMX_TRACE_KIND_MC_ENTRY) {
		if (d->nr_pending == d->cap_pending) {
			unsigned cap = d->cap_pending ? d->cap_pending * 2 : PVMX_TRACE_MAX;
			struct pvmx_trace_rec *p = realloc(d->pending, cap * sizeof(*p));

			if (!p) {	/* out of memory: print it out of place */
				put_line(d, r, f);
				return;
			}
			d->pending = p;
			d->cap_pending = cap;
		}
		d->pending[d->nr_pending++] = *r;
		return;
	}
	if (r->kind == PVMX_TRACE_KIND_HYPERCALL && r->op == __HYPERVISOR_multicall) {
		put_line(d, r, f);
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
	put_line(d, r, f);
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
