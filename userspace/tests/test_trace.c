// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of the names, the trace decoder and the statistics output. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "libpvmx.h"

#define JSONL_CHECK_NO_MAIN
#include "../../selftests/jsonl_check.c"

static struct pvmx_trace_rec rec(uint32_t kind, uint32_t flags, uint32_t op, uint32_t result,
				 uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
				 uint32_t a4, uint32_t index)
{
	struct pvmx_trace_rec r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.flags = flags;
	r.op = op;
	r.result = result;
	r.args[0] = a0;
	r.args[1] = a1;
	r.args[2] = a2;
	r.args[3] = a3;
	r.args[4] = a4;
	r.index = index;
	r.eip = 0x100100;
	return r;
}

#define HC(op, res, a0, a1, a2, a3, a4) \
	rec(PVMX_TRACE_KIND_HYPERCALL, 0, op, (uint32_t)(res), a0, a1, a2, a3, a4, 0)
#define MC(i, op, res, a0, a1, a2, a3, a4) \
	rec(PVMX_TRACE_KIND_MC_ENTRY, 0, op, (uint32_t)(res), a0, a1, a2, a3, a4, i)

static void golden(struct pvmx_trace_rec r, const char *want, int line)
{
	char buf[512];
	int n = pvmx_trace_format(&r, buf, sizeof(buf));

	if (strcmp(buf, want) || n != (int)strlen(want)) {
		t_failures++;
		fprintf(stderr, "  FAIL line %d: want \"%s\"\n                 got  \"%s\" (%d)\n",
			line, want, buf, n);
	}
}
#define GOLDEN(r, want) golden(r, want, __LINE__)

static void test_names(void)
{
	unsigned i;

	for (i = 0; i <= 42; i++)
		CHECK(pvmx_hypercall_name(i) != NULL);
	CHECK_STR(pvmx_hypercall_name(48), "mca");
	CHECK_STR(pvmx_hypercall_name(49), "arch_1");
	CHECK(pvmx_hypercall_name(43) == NULL);
	CHECK(pvmx_hypercall_name(64) == NULL);
	CHECK(pvmx_hypercall_name(~0u) == NULL);
	CHECK_STR(pvmx_hypercall_name(17), "xen_version");
	CHECK_STR(pvmx_hypercall_name(22), "update_va_mapping_otherdomain");
	CHECK_STR(pvmx_subop_name(29, 2), "SCHEDOP_shutdown");
	CHECK_STR(pvmx_subop_name(6, 0), "SCHEDOP_yield");
	CHECK_STR(pvmx_subop_name(17, 6), "XENVER_get_features");
	CHECK_STR(pvmx_subop_name(32, 6), "EVTCHNOP_alloc_unbound");
	CHECK_STR(pvmx_subop_name(24, 8), "VCPUOP_set_singleshot_timer");
	CHECK_STR(pvmx_subop_name(30, 0), "CALLBACKOP_register");
	CHECK_STR(pvmx_subop_name(12, 12), "XENMEM_machphys_mapping");
	CHECK_STR(pvmx_subop_name(20, 2), "GNTTABOP_setup_table");
	CHECK_STR(pvmx_subop_name(33, 6), "PHYSDEVOP_set_iopl");
	CHECK_STR(pvmx_subop_name(21, 1), "VMASST_CMD_disable");
	CHECK_STR(pvmx_subop_name(18, 1), "CONSOLEIO_read");
	CHECK(pvmx_subop_name(18, 2) == NULL);
	CHECK(pvmx_subop_name(33, 0) == NULL);
	CHECK(pvmx_subop_name(13, 0) == NULL);	/* multicall has no sub-ops */
	CHECK_STR(pvmx_mmuext_cmd_name(5), "MMUEXT_NEW_BASEPTR");
	CHECK_STR(pvmx_mmuext_cmd_name(13), "MMUEXT_SET_LDT");
	CHECK(pvmx_mmuext_cmd_name(14) == NULL);
	CHECK_STR(pvmx_vm_assist_type_name(2), "VMASST_TYPE_writable_pagetables");
	CHECK_STR(pvmx_xen_errno_name(1), "EPERM");
	CHECK_STR(pvmx_xen_errno_name(22), "EINVAL");
	CHECK_STR(pvmx_xen_errno_name(38), "ENOSYS");
	CHECK_STR(pvmx_xen_errno_name(95), "EOPNOTSUPP");
	CHECK_STR(pvmx_xen_errno_name(111), "ECONNREFUSED");
	CHECK(pvmx_xen_errno_name(0) == NULL);
	CHECK(pvmx_xen_errno_name(15) == NULL);
	CHECK(pvmx_xen_errno_name(130) == NULL);
	CHECK_STR(pvmx_vmx_exit_reason_name(0), "exception_nmi");
	CHECK_STR(pvmx_vmx_exit_reason_name(1), "external_interrupt");
	CHECK_STR(pvmx_vmx_exit_reason_name(2), "triple_fault");
	CHECK_STR(pvmx_vmx_exit_reason_name(10), "cpuid");
	CHECK_STR(pvmx_vmx_exit_reason_name(12), "hlt");
	CHECK_STR(pvmx_vmx_exit_reason_name(18), "vmcall");
	CHECK_STR(pvmx_vmx_exit_reason_name(30), "io_instruction");
	CHECK_STR(pvmx_vmx_exit_reason_name(31), "msr_read");
	CHECK_STR(pvmx_vmx_exit_reason_name(32), "msr_write");
	CHECK_STR(pvmx_vmx_exit_reason_name(33), "invalid_state");
	CHECK_STR(pvmx_vmx_exit_reason_name(48), "ept_violation");
	CHECK_STR(pvmx_vmx_exit_reason_name(49), "ept_misconfig");
	CHECK(pvmx_vmx_exit_reason_name(35) == NULL);
	CHECK(pvmx_vmx_exit_reason_name(PVMX_STATS_EXIT_REASONS) == NULL);
	CHECK_STR(pvmx_vector_name(14), "#PF");
	CHECK(pvmx_vector_name(15) == NULL);
	CHECK_STR(pvmx_mc_stop_name(PVMX_MC_STOP_PREEMPTED), "preempted");
	CHECK(pvmx_mc_stop_name(PVMX_MC_STOP_REASONS) == NULL);
	CHECK_STR(pvmx_exit_name(PVMX_EXIT_TRACE), "trace");
	CHECK_STR(pvmx_cap_name(PVMX_CAP_TRACE), "trace");
	CHECK_STR(pvmx_cap_name(PVMX_CAP_STATS), "stats");
	{
		char b[16];

		CHECK_STR(pvmx_batch_bucket_name(0, b, sizeof(b)), "1");
		CHECK_STR(pvmx_batch_bucket_name(1, b, sizeof(b)), "2-3");
		CHECK_STR(pvmx_batch_bucket_name(2, b, sizeof(b)), "4-7");
		CHECK_STR(pvmx_batch_bucket_name(14, b, sizeof(b)), "16384-32767");
		CHECK_STR(pvmx_batch_bucket_name(15, b, sizeof(b)), "32768+");
	}
}

static void test_format(void)
{
	struct pvmx_trace_rec r;
	char small[8];

	/* The families. */
	GOLDEN(HC(17, 0x40013, 0, 0, 0, 0, 0), "xen_version(XENVER_version, 0) = 0x40013");
	GOLDEN(HC(17, 0, 1, 0x12f00, 0, 0, 0), "xen_version(XENVER_extraversion, 0x12f00) = 0");
	GOLDEN(HC(18, 0, 0, 14, 0x103020, 0, 0), "console_io(CONSOLEIO_write, 14, 0x103020) = 0");
	GOLDEN(HC(32, -22, 4, 0x12ff4, 0, 0, 0),
	       "event_channel_op(EVTCHNOP_send, 0x12ff4) = -EINVAL (-22)");
	GOLDEN(HC(29, 0, 2, 0x12ff0, 0, 0, 0), "sched_op(SCHEDOP_shutdown, 0x12ff0) = 0");
	GOLDEN(HC(29, 0, 0, 0, 0, 0, 0), "sched_op(SCHEDOP_yield, 0) = 0");
	GOLDEN(HC(6, 0, 2, 1, 0, 0, 0), "sched_op_compat(SCHEDOP_shutdown, SHUTDOWN_reboot) = 0");
	GOLDEN(HC(6, 0, 0, 7, 0, 0, 0), "sched_op_compat(SCHEDOP_yield, 0x7) = 0");
	GOLDEN(HC(24, 1, 3, 0, 0, 0, 0), "vcpu_op(VCPUOP_is_up, 0, 0) = 0x1");
	GOLDEN(HC(24, -2, 1, 5, 0, 0, 0), "vcpu_op(VCPUOP_up, 5, 0) = -ENOENT (-2)");
	GOLDEN(HC(30, 0, 0, 0x12fe0, 0, 0, 0), "callback_op(CALLBACKOP_register, 0x12fe0) = 0");
	GOLDEN(HC(12, 0x8000, 2, 0, 0, 0, 0), "memory_op(XENMEM_maximum_ram_page, 0) = 0x8000");
	GOLDEN(HC(12, 0, 6 | (5 << 6), 0x12fc0, 0, 0, 0),
	       "memory_op(XENMEM_populate_physmap|start_extent=5, 0x12fc0) = 0");
	GOLDEN(HC(20, 0, 2, 0x12fd0, 1, 0, 0), "grant_table_op(GNTTABOP_setup_table, 0x12fd0, 1) = 0");
	GOLDEN(HC(33, -22, 6, 0x12fd8, 0, 0, 0), "physdev_op(PHYSDEVOP_set_iopl, 0x12fd8) = -EINVAL (-22)");
	GOLDEN(HC(21, 0, 0, 2, 0, 0, 0),
	       "vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables) = 0");
	GOLDEN(HC(21, -22, 0, 9, 0, 0, 0), "vm_assist(VMASST_CMD_enable, 9) = -EINVAL (-22)");
	GOLDEN(HC(28, 0, 0, 0x101000, 0, 0, 0), "nmi_op(XENNMI_register_callback, 0x101000) = 0");
	GOLDEN(HC(26, 0, 0x12f80, 2 | 0x80000000u, 0, DOMID_SELF, 0),
	       "mmuext_op(0x12f80, 2|MMU_UPDATE_PREEMPTED, 0, DOMID_SELF) = 0");
	GOLDEN(HC(1, -1, 0x12f80, 1, 0x12f7c, 0x7ff1, 0),
	       "mmu_update(0x12f80, 1, 0x12f7c, DOMID_IO) = -EPERM (-1)");
	GOLDEN(HC(0, 0, 0x104000, 0, 0, 0, 0), "set_trap_table(0x104000) = 0");
	GOLDEN(HC(4, 0, 0xe019, 0x101000, 0xe019, 0x101100, 0),
	       "set_callbacks(0xe019, 0x101000, 0xe019, 0x101100) = 0");
	GOLDEN(HC(3, 0, 0xe021, 0x13c000, 0, 0, 0), "stack_switch(0xe021, 0x13c000) = 0");
	GOLDEN(HC(5, 0, 1, 0, 0, 0, 0), "fpu_taskswitch(1) = 0");
	GOLDEN(HC(15, 0, 0x3b9aca00, 1, 0, 0, 0), "set_timer_op(0x3b9aca00, 0x1) = 0");
	GOLDEN(HC(16, -38, 0x12ff0, 0, 0, 0, 0), "event_channel_op_compat(0x12ff0) = -ENOSYS (-38)");
	GOLDEN(HC(13, 0, 0x220000, 40, 0, 0, 0), "multicall(0x220000, 40) = 0");
	GOLDEN(HC(23, 0xfffffff2, 0, 0, 0, 0, 0), "iret() = 0xfffffff2");
	/* update_va_mapping flags. */
	GOLDEN(HC(14, 0, 0x7000, 0x42067, 0, 2, 0),
	       "update_va_mapping(0x7000, 0x42067, 0, UVMF_INVLPG) = 0");
	GOLDEN(HC(14, 0, 0x7000, 0x42067, 0, 0, 0),
	       "update_va_mapping(0x7000, 0x42067, 0, UVMF_NONE) = 0");
	GOLDEN(HC(14, 0, 0x7000, 0x42067, 0x1, 1 | 4, 0),
	       "update_va_mapping(0x7000, 0x42067, 0x1, UVMF_TLB_FLUSH|UVMF_ALL) = 0");
	GOLDEN(HC(14, -22, 0x7000, 0, 0, 2 | 0x12f00, 0),
	       "update_va_mapping(0x7000, 0, 0, UVMF_INVLPG|UVMF_MULTI(0x12f00)) = -EINVAL (-22)");
	GOLDEN(HC(22, 0, 0x7000, 0x42067, 0, 2, DOMID_SELF),
	       "update_va_mapping_otherdomain(0x7000, 0x42067, 0, UVMF_INVLPG, DOMID_SELF) = 0");
	/* Unknown ops, sub-ops, errors. */
	GOLDEN(HC(60, -38, 1, 2, 0, 0, 0xffffffff),
	       "hypercall_60(0x1, 0x2, 0, 0, 0xffffffff) = -ENOSYS (-38)");
	GOLDEN(HC(0x1000, -38, 0, 0, 0, 0, 0), "hypercall_4096(0, 0, 0, 0, 0) = -ENOSYS (-38)");
	GOLDEN(HC(29, -38, 99, 0, 0, 0, 0), "sched_op(99, 0) = -ENOSYS (-38)");
	GOLDEN(HC(17, -45, 0, 0, 0, 0, 0), "xen_version(XENVER_version, 0) = -45");
	GOLDEN(HC(17, -130, 0, 0, 0, 0, 0), "xen_version(XENVER_version, 0) = -130");
	GOLDEN(HC(17, -131, 0, 0, 0, 0, 0), "xen_version(XENVER_version, 0) = 0xffffff7d");
	GOLDEN(HC(18, 0x80000000u, 1, 16, 0x1000, 0, 0),
	       "console_io(CONSOLEIO_read, 16, 0x1000) = 0x80000000");
	/* Continued (preempted) calls. */
	r = HC(13, 0, 0x220000, 40, 0, 0, 0);
	r.flags = PVMX_TRACE_F_PREEMPTED;
	GOLDEN(r, "multicall(0x220000, 40) = <continued>");
	/* Multicall entries. */
	GOLDEN(MC(3, 14, 0, 0x7000, 0x42067, 0, 2, 0),
	       "  [3] update_va_mapping(0x7000, 0x42067, 0, UVMF_INVLPG) = 0");
	GOLDEN(MC(0, 13, -22, 0x220000, 1, 0, 0, 0), "  [0] multicall(0x220000, 1) = -EINVAL (-22)");
	r = MC(12, 0, 0, 0x104000, 0, 0, 0, 0);
	r.flags = PVMX_TRACE_F_PREEMPTED;
	GOLDEN(r, "  [12] set_trap_table(0x104000) = <continued>");
	/* Deliveries. */
	r = rec(PVMX_TRACE_KIND_TRAP, 0, 14, 2, 0, 0, 0, 0, 0, 0);
	r.eip = 0x101234;
	GOLDEN(r, "--- trap #PF (vector 14) error 0x2, at 0x00101234 ---");
	r = rec(PVMX_TRACE_KIND_TRAP, 0, 13, 0, 0, 0, 0, 0, 0, 0);
	GOLDEN(r, "--- trap #GP (vector 13) error 0, at 0x00100100 ---");
	r = rec(PVMX_TRACE_KIND_TRAP, 0, 6, 0, 0, 0, 0, 0, 0, 0);
	GOLDEN(r, "--- trap #UD (vector 6), at 0x00100100 ---");
	r = rec(PVMX_TRACE_KIND_TRAP, 0, 0x80, 0, 0, 0, 0, 0, 0, 0);
	GOLDEN(r, "--- trap int 0x80 (vector 128), at 0x00100100 ---");
	r = rec(PVMX_TRACE_KIND_TRAP, 0, 15, 0, 0, 0, 0, 0, 0, 0);
	GOLDEN(r, "--- trap vector 15, at 0x00100100 ---");
	r = rec(PVMX_TRACE_KIND_UPCALL, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	r.eip = 0x101000;
	GOLDEN(r, "--- event upcall, at 0x00101000 ---");
	r = rec(PVMX_TRACE_KIND_FAILSAFE, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	r.eip = 0x101100;
	GOLDEN(r, "--- failsafe callback, at 0x00101100 ---");
	r = rec(PVMX_TRACE_KIND_FAST_SYSCALL, 0, 1, 0, 0, 0, 0, 0, 0, 0);
	r.eip = 0x8000;
	GOLDEN(r, "--- sysenter callback, at 0x00008000 ---");
	r = rec(PVMX_TRACE_KIND_FAST_SYSCALL, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	r.eip = 0x8000;
	GOLDEN(r, "--- syscall32 callback, at 0x00008000 ---");
	r = rec(9, 0, 1, 2, 0, 0, 0, 0, 0, 0);
	GOLDEN(r, "--- unknown trace record kind 9 (op 1, result 0x2) ---");
	/* Truncation: NUL-terminated, full length returned. */
	r = HC(17, 0x40013, 0, 0, 0, 0, 0);
	memset(small, 'x', sizeof(small));
	CHECK_EQ(pvmx_trace_format(&r, small, sizeof(small)), 40);
	CHECK_STR(small, "xen_ver");
	CHECK_EQ(pvmx_trace_format(&r, NULL, 0), 40);
}

/* Feed records through a decoder into a string. */
static char *decode(const struct pvmx_trace_rec *r, size_t n)
{
	struct pvmx_trace_decoder d;
	char *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);

	pvmx_trace_decoder_init(&d);
	for (i = 0; i < n; i++)
		pvmx_trace_feed(&d, &r[i], f);
	pvmx_trace_decoder_finish(&d, f);
	fclose(f);
	return out;
}

static void test_decoder(void)
{
	struct pvmx_trace_rec r[16];
	size_t n = 0;
	char *out;

	/* A batch of three, then a batch continued: entries 0-1, then 2-3. */
	r[n++] = HC(17, 0x40013, 0, 0, 0, 0, 0);
	r[n++] = MC(0, 14, 0, 0x7000, 0x42067, 0, 2, 0);
	r[n++] = MC(1, 32, -22, 4, 0x12ff4, 0, 0, 0);
	r[n++] = MC(2, 29, 0, 0, 0, 0, 0, 0);
	r[n++] = HC(13, 0, 0x220000, 3, 0, 0, 0);
	r[n++] = MC(0, 17, 0x40013, 0, 0, 0, 0, 0);
	r[n++] = MC(1, 18, 0, 0, 3, 0x103000, 0, 0);
	r[n] = HC(13, 0, 0x230000, 4, 0, 0, 0);
	r[n++].flags = PVMX_TRACE_F_PREEMPTED;
	r[n] = rec(PVMX_TRACE_KIND_UPCALL, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	r[n++].eip = 0x101000;
	r[n++] = MC(2, 14, 0, 0x8000, 0x43067, 0, 1, 0);
	r[n++] = MC(3, 23, 0, 0, 0, 0, 0, 0);
	r[n++] = HC(13, 0, 0x230040, 2, 0, 0, 0);
	r[n++] = HC(29, 0, 2, 0x12ff0, 0, 0, 0);
	out = decode(r, n);
#define P "   0.000000 v0 "
#define H " <0.000us> at 0x00100100\n"
#define E " <0.000us>\n"
	CHECK_STR(out,
		P "xen_version(XENVER_version, 0) = 0x40013" H
		P "multicall(0x220000, 3) = 0" H
		P "  [0] update_va_mapping(0x7000, 0x42067, 0, UVMF_INVLPG) = 0" E
		P "  [1] event_channel_op(EVTCHNOP_send, 0x12ff4) = -EINVAL (-22)" E
		P "  [2] sched_op(SCHEDOP_yield, 0) = 0" E
		P "multicall(0x230000, 4) = <continued>" H
		P "  [0] xen_version(XENVER_version, 0) = 0x40013" E
		P "  [1] console_io(CONSOLEIO_write, 3, 0x103000) = 0" E
		P "--- event upcall, at 0x00101000 ---\n"
		P "multicall(0x230040, 2) = 0" H
		P "  [2] update_va_mapping(0x8000, 0x43067, 0, UVMF_TLB_FLUSH) = 0" E
		P "  [3] iret() = 0" E
		P "sched_op(SCHEDOP_shutdown, 0x12ff0) = 0" H);
	free(out);

	/* Entries whose multicall never came. */
	n = 0;
	r[n++] = MC(0, 17, 0x40013, 0, 0, 0, 0, 0);
	out = decode(r, n);
	CHECK_STR(out, "            v0 multicall(?) = <unfinished>\n"
		  P "  [0] xen_version(XENVER_version, 0) = 0x40013" E);
	free(out);
	/* ... nor when another hypercall comes first (they are printed before it). */
	n = 0;
	r[n++] = MC(0, 17, 0x40013, 0, 0, 0, 0, 0);
	r[n++] = MC(1, 23, 0x5eed1234, 0, 0, 0, 0, 0);
	r[n++] = HC(0x5eed1234, 0x5eed1234, 0x120100, 3, 0, 0, 0);
	r[n++] = MC(0, 18, 0, 0, 1, 0x1215c0, 0, 0);
	r[n] = HC(13, 0, 0x122180, 6000, 0, 0, 0);
	r[n++].flags = PVMX_TRACE_F_PREEMPTED;
	out = decode(r, n);
	CHECK_STR(out,
		"            v0 multicall(?) = <unfinished>\n"
		P "  [0] xen_version(XENVER_version, 0) = 0x40013" E
		P "  [1] iret() = 0x5eed1234" E
		P "hypercall_1592594996(0x120100, 0x3, 0, 0, 0) = 0x5eed1234" H
		P "multicall(0x122180, 6000) = <continued>" H
		P "  [0] console_io(CONSOLEIO_write, 1, 0x1215c0) = 0" E);
	free(out);

/* Many entries across feeds (more than one PVMX_EXIT_TRACE worth). */
	{
		struct pvmx_trace_rec *big = calloc(2 * PVMX_TRACE_MAX + 1, sizeof(*big));
		const char *want = P "multicall(0x220000, 70) = 0" H P "  [0] xen_version";
		unsigned i;

		for (i = 0; i < 2 * PVMX_TRACE_MAX; i++)
			big[i] = MC(i, 17, 0x40013, 0, 0, 0, 0, 0);
		big[i] = HC(13, 0, 0x220000, 2 * PVMX_TRACE_MAX, 0, 0, 0);
		out = decode(big, 2 * PVMX_TRACE_MAX + 1);
		CHECK_EQ(2 * PVMX_TRACE_MAX, 70);
		CHECK(!strncmp(out, want, strlen(want)));
		CHECK_HAS(out, "  [69] xen_version(XENVER_version, 0) = 0x40013" E);
		free(out);
		free(big);
	}
}

/* The text line: time since t0, vCPU, buffers, duration, EIP. */
static void test_format_line(void)
{
	struct pvmx_trace_rec r = HC(1, 0, 0x220000, 3, 0, DOMID_SELF, 0);
	char buf[1024];
	uint64_t req[2] = { 0x3f3f008ULL | MMU_PT_UPDATE_PRESERVE_AD, 0x80000000deadb067ULL };

	r.vcpu = 1;
	r.time_ns = 5000000000ULL + 1234567;
	r.duration_ns = 1234567;
	r.eip = 0xc0101234;
	r.detail = PVMX_TRACE_DETAIL_BUFFER;
	r.detail_nr = 32;
	memcpy(r.data, req, 16);
	memcpy(r.data + 16, req, 16);
	pvmx_trace_format_line(&r, 5000000000ULL, buf, sizeof(buf));
	CHECK_STR(buf, "   0.001234 v1 mmu_update(0x220000, 3, 0, DOMID_SELF) = 0"
		  " {MMU_PT_UPDATE_PRESERVE_AD ptr=0x3f3f008 val=0x80000000deadb067}"
		  " {MMU_PT_UPDATE_PRESERVE_AD ptr=0x3f3f008 val=0x80000000deadb067} +1 more"
		  " <1234.567us> at 0xc0101234");
	/* Before t0 (clocks of another run): 0. */
	CHECK_EQ(pvmx_trace_format_line(&r, 6000000000ULL, buf, 14), 222);
	CHECK_STR(buf, "   0.000000 v");

	/* A multicall: its entries' ops, runs folded, the rest counted. */
	r = HC(13, 0, 0x220000, 40, 0, 0, 0);
	r.detail = PVMX_TRACE_DETAIL_MC_OPS;
	r.detail_nr = 40;
	memset(r.data, 14, 30);
	r.data[30] = 1;
	r.data[31] = 200;
	pvmx_trace_format_line(&r, 0, buf, sizeof(buf));
	CHECK_STR(buf, "   0.000000 v0 multicall(0x220000, 40) = 0 [40 entries: update_va_mapping x30,"
		  " mmu_update, hypercall_200, +8 more] <0.000us> at 0x00100100");

	/* mmuext_op, a console write (escaped, cut), other buffers as words, a fault. */
	r = HC(26, 0, 0x230000, 1, 0, DOMID_SELF, 0);
	r.detail = PVMX_TRACE_DETAIL_BUFFER;
	r.detail_nr = 12;
	memcpy(r.data, (uint32_t[]){ 2, 0x1234, 0 }, 12);
	pvmx_trace_format_line(&r, 0, buf, sizeof(buf));
	CHECK_HAS(buf, "= 0 {MMUEXT_PIN_L3_TABLE 0x1234 0} <");
	r = HC(18, 0, 0, 40, 0x103000, 0, 0);
	r.detail = PVMX_TRACE_DETAIL_BUFFER;
	r.detail_nr = 32;
	memcpy(r.data, "say \"hi\"\n\t\x80 and more text.......", 32);
	pvmx_trace_format_line(&r, 0, buf, sizeof(buf));
	CHECK_HAS(buf, "= 0 \"say \\\"hi\\\"\\n\\x09\\x80 and more text.......\"... <");
	r = HC(32, 0, 4, 0x12ff4, 0, 0, 0);
	r.detail = PVMX_TRACE_DETAIL_BUFFER;
	r.detail_nr = 6;
	memcpy(r.data, (uint8_t[]){ 5, 0, 0, 0, 1, 2 }, 6);
	pvmx_trace_format_line(&r, 0, buf, sizeof(buf));
	CHECK_HAS(buf, "event_channel_op(EVTCHNOP_send, 0x12ff4) = 0 {0x5 0x201} <");
	r.detail = PVMX_TRACE_DETAIL_NONE;
	r.flags = PVMX_TRACE_F_DATA_FAULT;
	pvmx_trace_format_line(&r, 0, buf, sizeof(buf));
	CHECK_HAS(buf, "= 0 {unreadable} <");
	/* A detail_nr beyond data[] reads only data[]. */
	r = HC(18, 0, 0, 4000, 0x103000, 0, 0);
	r.detail = PVMX_TRACE_DETAIL_BUFFER;
	r.detail_nr = 0xFFFFFFFF;
	memset(r.data, 'a', sizeof(r.data));
	pvmx_trace_format_line(&r, 0, buf, sizeof(buf));
	CHECK_HAS(buf, "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"... <");
}

/* Every kind of record, odd bytes included, is one valid JSON object. */
static void test_format_json(void)
{
	struct pvmx_trace_rec r[12];
	char buf[2048];
	const char *why = NULL;
	unsigned i, n = 0, k;

	r[n++] = HC(17, 0x40013, 0, 0, 0, 0, 0);
	r[n] = HC(13, 0, 0x220000, 40, 0, 0, 0);
	r[n].detail = PVMX_TRACE_DETAIL_MC_OPS;
	r[n].detail_nr = 40;
	memset(r[n++].data, 255, 32);
	r[n] = MC(3, 1, -22, 0x221000, 1, 0, DOMID_SELF, 0);
	r[n].detail = PVMX_TRACE_DETAIL_BUFFER;
	r[n].detail_nr = 16;
	memset(r[n++].data, 0xff, 16);
	r[n] = HC(18, 0, 0, 32, 0x103000, 0, 0);
	r[n].detail = PVMX_TRACE_DETAIL_BUFFER;
	r[n].detail_nr = 32;
	for (k = 0; k < 32; k++)
		r[n].data[k] = (uint8_t)(k * 8);	/* NUL, controls, quote, backslash, high */
	r[n].data[5] = '"';
	r[n++].data[6] = '\\';
	r[n] = HC(26, 0, 0x230000, 2, 0, DOMID_SELF, 0);
	r[n].detail = PVMX_TRACE_DETAIL_BUFFER;
	r[n].detail_nr = 24;
	memset(r[n++].data, 0x7f, 24);
	r[n] = HC(29, 0, 2, 0x12ff0, 0, 0, 0);
	r[n++].flags = PVMX_TRACE_F_DATA_FAULT | PVMX_TRACE_F_PREEMPTED;
	r[n++] = HC(1000, 0, 1, 2, 3, 4, 5);
	r[n++] = rec(PVMX_TRACE_KIND_TRAP, 0, 14, 2, 0, 0, 0, 0, 0, 0);
	r[n++] = rec(PVMX_TRACE_KIND_TRAP, 0, 0x80, 0, 0, 0, 0, 0, 0, 0);
	r[n++] = rec(PVMX_TRACE_KIND_UPCALL, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	r[n++] = rec(PVMX_TRACE_KIND_FAST_SYSCALL, 0, 1, 0, 0, 0, 0, 0, 0, 0);
	r[n++] = rec(99, 0, 1, 0, 0, 0, 0, 0, 0, 0);
	for (i = 0; i < n; i++) {
		r[i].vcpu = i;
		r[i].time_ns = 0xFFFFFFFFFFFFFFFFULL - i;
		r[i].tsc = 1ULL << 63;
		r[i].duration_ns = i * 1000;
		k = (unsigned)pvmx_trace_format_json(&r[i], buf, sizeof(buf));
		CHECK(k < sizeof(buf));
		if (jsonl_check_line(buf, strlen(buf), &why)) {
			t_failures++;
			fprintf(stderr, "  FAIL: record %u: %s: %s\n", i, why, buf);
		}
	}
	pvmx_trace_format_json(&r[2], buf, sizeof(buf));
	CHECK_HAS(buf, "\"kind\":\"multicall_entry\",\"op\":1,\"name\":\"mmu_update\","
		  "\"args\":[2232320,1,0,32752,0],\"index\":3,\"result\":-22,\"errno\":\"EINVAL\","
		  "\"duration_ns\":2000,\"text\":\"mmu_update(0x221000, 1, 0, DOMID_SELF) = -EINVAL (-22)\","
		  "\"buffer\":\"ffffffffffffffffffffffffffffffff\",\"requests\":[{\"cmd\":"
		  "\"MMU_PT_UPDATE_NO_TRANSLATE\",\"ptr\":18446744073709551612,"
		  "\"val\":18446744073709551615}],\"eip\":1048832}");
	pvmx_trace_format_json(&r[1], buf, sizeof(buf));
	CHECK_HAS(buf, "\"multicall\":{\"entries\":40,\"ops\":[\"hypercall_255+\",");
	pvmx_trace_format_json(&r[5], buf, sizeof(buf));
	CHECK_HAS(buf, "\"preempted\":true,");
	CHECK_HAS(buf, "\"buffer_fault\":true");
	pvmx_trace_format_json(&r[7], buf, sizeof(buf));
	CHECK_STR(buf, "{\"vcpu\":7,\"time_ns\":18446744073709551608,\"tsc\":9223372036854775808,"
		  "\"kind\":\"trap\",\"vector\":14,\"name\":\"#PF\",\"error_code\":2,\"eip\":1048832}");
	/* The checker itself refuses what is not JSON. */
	CHECK(jsonl_check_line("{\"a\":1,}", 8, &why) == -1);
	CHECK(jsonl_check_line("{\"a\":01}", 8, &why) == -1);
	CHECK(jsonl_check_line("{\"a\":\"\x01\"}", 9, &why) == -1);
	CHECK(jsonl_check_line("{\"a\":1} x", 10, &why) == -1);
	CHECK(jsonl_check_line("[1]", 3, &why) == -1);
	CHECK(jsonl_check_line("{\"a\":[1,{\"b\":null}],\"c\":-0.5e+3}", 32, &why) == 0);
}

/* --trace=LIST */
static void test_parse_filter(void)
{
	char err[2048];
	uint32_t flags;
	uint64_t ops;

	CHECK_EQ(pvmx_trace_parse_filter(NULL, &flags, &ops, err, sizeof(err)), 0);
	CHECK_EQ(flags, PVMX_TRACE_HYPERCALLS | PVMX_TRACE_DELIVERIES);
	CHECK_EQ(ops, ~0ULL);
	CHECK_EQ(pvmx_trace_parse_filter("mmu_update,multicall", &flags, &ops, err, sizeof(err)), 0);
	CHECK_EQ(flags, PVMX_TRACE_HYPERCALLS);
	CHECK_EQ(ops, (1ULL << 1) | (1ULL << 13));
	CHECK_EQ(pvmx_trace_parse_filter("deliveries", &flags, &ops, err, sizeof(err)), 0);
	CHECK_EQ(flags, PVMX_TRACE_DELIVERIES);
	CHECK_EQ(ops, 0);
	CHECK_EQ(pvmx_trace_parse_filter("arch_1,xen_version,deliveries", &flags, &ops, err,
					 sizeof(err)), 0);
	CHECK_EQ(flags, PVMX_TRACE_HYPERCALLS | PVMX_TRACE_DELIVERIES);
	CHECK_EQ(ops, (1ULL << 49) | (1ULL << 17));
	CHECK_EQ(pvmx_trace_parse_filter("xen_version,mmu_updat", &flags, &ops, err, sizeof(err)), -1);
	CHECK(!strncmp(err, "--trace: unknown name 'mmu_updat'; valid names: deliveries, "
		       "set_trap_table, mmu_update, set_gdt,", 94));
	CHECK_HAS(err, ", mca, arch_1");
	CHECK_EQ(pvmx_trace_parse_filter("xen_version,", &flags, &ops, err, sizeof(err)), -1);
	CHECK_HAS(err, "empty name in 'xen_version,'");
	CHECK_EQ(pvmx_trace_parse_filter("Xen_Version", &flags, &ops, err, sizeof(err)), -1);
	CHECK_EQ(pvmx_trace_parse_filter("./trace.log", &flags, &ops, err, 40), -1);
	CHECK_EQ(strlen(err), 39);
}

/* JSON decoders keep the module's order; text without multicalls does not wait. */
static void test_decoder_modes(void)
{
	struct pvmx_trace_decoder d;
	struct pvmx_trace_rec r[2] = { MC(0, 17, 0x40013, 0, 0, 0, 0, 0),
				       HC(13, 0, 0x220000, 1, 0, 0, 0) };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	pvmx_trace_decoder_init(&d);
	d.json = true;
	pvmx_trace_feed(&d, &r[0], f);
	fflush(f);
	CHECK(!strncmp(out, "{\"vcpu\":0,\"time_ns\":0,\"tsc\":0,\"kind\":\"multicall_entry\"", 53));
	pvmx_trace_feed(&d, &r[1], f);
	pvmx_trace_decoder_finish(&d, f);
	fclose(f);
	CHECK_HAS(out, "}\n{\"vcpu\":0,\"time_ns\":0,\"tsc\":0,\"kind\":\"hypercall\",\"op\":13,");
	free(out);

	f = open_memstream(&out, &len);
	pvmx_trace_decoder_init(&d);
	d.hold_entries = false;
	pvmx_trace_feed(&d, &r[0], f);
	fflush(f);
	CHECK_STR(out, "   0.000000 v0   [0] xen_version(XENVER_version, 0) = 0x40013 <0.000us>\n");
	pvmx_trace_decoder_finish(&d, f);
	fclose(f);
	free(out);
}

static void synthetic_stats(struct pvmx_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->version = PVMX_STATS_VERSION;
	s->size = sizeof(*s);
	s->nr_vcpus = 2;
	s->exits = 4023;
	s->exit_count[0] = 4000;
	s->exit_cycles[0] = 8000000;
	s->exit_count[10] = 20;
	s->exit_cycles[10] = 20020;
	s->exit_count[71] = 3;		/* no name */
	s->exit_cycles[71] = 30;
	s->hypercall_count[17] = 2001;
	s->hypercall_cycles[17] = 400200;
	s->hypercall_count[29] = 2000;
	s->hypercall_cycles[29] = 600000;
	s->hypercall_count[13] = 4;
	s->hypercall_cycles[13] = 40000;
	s->hypercall_count[14] = 30;
	s->hypercall_cycles[14] = 3000;
	s->hypercall_count[50] = 1;	/* no name */
	s->hypercall_cycles[50] = 10;
	s->hypercall_other = 3;
	s->multicall_entries = 30;
	s->multicall_batches[0] = 1;
	s->multicall_batches[1] = 1;
	s->multicall_batches[15] = 1;
	s->multicall_stops[PVMX_MC_STOP_END] = 2;
	s->multicall_stops[PVMX_MC_STOP_ERROR] = 1;
	s->multicall_stops[PVMX_MC_STOP_PREEMPTED] = 4;
	s->continuations = 4;
	s->upcalls = 9;
	s->failsafes = 1;
}

static char *to_string(void (*print)(FILE *, const struct pvmx_stats *),
		       const struct pvmx_stats *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	print(f, s);
	fclose(f);
	return out;
}

static void test_stats_table(void)
{
	struct pvmx_stats s;
	char *t;

	synthetic_stats(&s);
	t = to_string(pvmx_stats_print_table, &s);
	CHECK_HAS(t, "pvmx statistics (2 vCPUs):\n");
	CHECK_HAS(t, "  exception_nmi                          4000          8000000         2000\n");
	CHECK_HAS(t, "  cpuid                                    20            20020         1001\n");
	CHECK_HAS(t, "  exit_71                                   3               30           10\n");
	CHECK_HAS(t, "  all VM exits                           4023          8020050         1993\n");
	CHECK_HAS(t, "  xen_version                            2001           400200          200\n");
	CHECK_HAS(t, "  sched_op                               2000           600000          300\n");
	CHECK_HAS(t, "  hypercall_50                              1               10           10\n");
	CHECK_HAS(t, "  other (op >= 64)                          3\n");
	CHECK_HAS(t, "  all hypercalls                         4039\n");
	CHECK_HAS(t, "  1                                         1\n");
	CHECK_HAS(t, "  2-3                                       1\n");
	CHECK_HAS(t, "  32768+                                    1\n");
	CHECK_HAS(t, "  end                                       2\n");
	CHECK_HAS(t, "  preempted                                 4\n");
	CHECK_HAS(t, "  error                                     1\n");
	CHECK_HAS(t, "  multicall entries                        30\n");
	CHECK_HAS(t, "  multicall batches                         3\n");
	CHECK_HAS(t, "  continuations                             4\n");
	CHECK_HAS(t, "  event upcalls                             9\n");
	CHECK_HAS(t, "  failsafe callbacks                        1\n");
	/* Only non-zero rows. */
	CHECK(!strstr(t, "external_interrupt"));
	CHECK(!strstr(t, "console_io"));
	CHECK(!strstr(t, "4-7"));
	CHECK(!strstr(t, "iret"));
	CHECK(!strstr(t, "traps"));
	free(t);

	/* Nothing counted: the headers and totals only. */
	memset(&s, 0, sizeof(s));
	s.version = 1;
	s.nr_vcpus = 1;
	t = to_string(pvmx_stats_print_table, &s);
	CHECK_HAS(t, "pvmx statistics (1 vCPU):\n");
	CHECK_HAS(t, "  all VM exits                              0                0            0\n");
	CHECK(!strstr(t, "multicall"));
	CHECK(!strstr(t, "other  "));
	free(t);
}

/* Validate (and check the content of) JSON with python3, when there is one. */
static int python_check(const char *json, const char *script)
{
	char path[] = "/tmp/pvmx-json-XXXXXX", cmd[8192];
	int fd = mkstemp(path), rc;

	if (fd < 0)
		return -1;
	if (write(fd, json, strlen(json)) != (ssize_t)strlen(json)) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "python3 -c '%s' < %s", script, path);
	rc = system(cmd);
	unlink(path);
	return rc;
}

static void test_stats_json(void)
{
	struct pvmx_stats s;
	char *j;

	synthetic_stats(&s);
	j = to_string(pvmx_stats_print_json, &s);
	/* The exact text, for the key order and the zero-filtering. */
	CHECK_STR(j, "{\"version\":1,\"nr_vcpus\":2,\"exits\":4023,"
		  "\"exit_reasons\":{\"exception_nmi\":{\"count\":4000,\"cycles\":8000000},"
		  "\"cpuid\":{\"count\":20,\"cycles\":20020},\"exit_71\":{\"count\":3,\"cycles\":30}},"
		  "\"hypercalls\":{\"multicall\":{\"count\":4,\"cycles\":40000},"
		  "\"update_va_mapping\":{\"count\":30,\"cycles\":3000},"
		  "\"xen_version\":{\"count\":2001,\"cycles\":400200},"
		  "\"sched_op\":{\"count\":2000,\"cycles\":600000},"
		  "\"hypercall_50\":{\"count\":1,\"cycles\":10}},"
		  "\"hypercall_other\":3,\"multicall\":{\"entries\":30,"
		  "\"batches\":{\"1\":1,\"2-3\":1,\"32768+\":1},"
		  "\"stops\":{\"end\":2,\"preempted\":4,\"error\":1}},"
		  "\"continuations\":4,\"upcalls\":9,\"traps\":0,\"failsafes\":1}\n");
	if (system("python3 -c '' 2>/dev/null") != 0) {
		printf("  (python3 missing: JSON checked by text only)\n");
	} else {
		CHECK_EQ(python_check(j,
			"import json,sys; d=json.load(sys.stdin); "
			"assert d[\"version\"]==1 and d[\"nr_vcpus\"]==2 and d[\"exits\"]==4023; "
			"assert d[\"exit_reasons\"][\"cpuid\"]=={\"count\":20,\"cycles\":20020}; "
			"assert d[\"hypercalls\"][\"xen_version\"][\"count\"]==2001; "
			"assert d[\"hypercalls\"][\"sched_op\"][\"count\"]==2000; "
			"assert \"console_io\" not in d[\"hypercalls\"]; "
			"assert d[\"multicall\"][\"batches\"]=={\"1\":1,\"2-3\":1,\"32768+\":1}; "
			"assert d[\"multicall\"][\"stops\"][\"preempted\"]==4; "
			"assert d[\"failsafes\"]==1 and d[\"upcalls\"]==9"), 0);
		free(j);
		memset(&s, 0, sizeof(s));
		s.version = 1;
		j = to_string(pvmx_stats_print_json, &s);
		CHECK_EQ(python_check(j,
			"import json,sys; d=json.load(sys.stdin); "
			"assert d[\"exit_reasons\"]=={} and d[\"hypercalls\"]=={}; "
			"assert d[\"multicall\"]=={\"entries\":0,\"batches\":{},\"stops\":{}}"), 0);
	}
	free(j);
}

const struct test trace_tests[] = {
	{ "trace: names of hypercalls, sub-ops, errnos, exit reasons", test_names },
	{ "trace: pvmx_trace_format golden lines", test_format },
	{ "trace: decoder puts multicall entries under their multicall", test_decoder },
	{ "trace: text lines with time, vCPU, buffers, duration, EIP", test_format_line },
	{ "trace: JSON records are valid JSON objects", test_format_json },
	{ "trace: --trace=LIST parsing", test_parse_filter },
	{ "trace: JSON and unheld decoders keep the order", test_decoder_modes },
	{ "stats: table of non-zero counters", test_stats_table },
	{ "stats: JSON", test_stats_json },
	{ NULL, NULL },
};
