// SPDX-License-Identifier: GPL-2.0
/*
 * clock: the runtime's now_ns() as the first thing a guest does, before it
 * maps shared_info (what xs_shutdown.elf once did: now_ns() then read
 * whatever pfn 0 held).  now_ns() maps shared_info itself, and its value is
 * the hypervisor's system time: it agrees with the vcpu_info time record
 * (guest-abi.rst, "Time"), advances, and a SCHEDOP_poll whose absolute
 * timeout is now_ns() + 50 ms returns 50 ms later by it.  smp_id() is 0 on
 * the boot stack and on any other stack while no other vCPU has one.
 *
 * With `--cmdline mode=unknown_stack` it names a stack for vCPU 1 and then
 * calls now_ns() on a third stack: the runtime crashes the guest with the
 * reason (exit 13) instead of reading some vCPU's record.
 */
#include "runtime.h"

#define MS	1000000ull
#define SEC	1000000000ull

static u8 alt_stack[4096] __attribute__((aligned(16)));
static u8 ap_stack[4096] __attribute__((aligned(16)));
static volatile u32 alt_id = ~0u;
static volatile u64 alt_now;

/* call_on_stack(fn, top): fn() with ESP = top, back on our own stack. */
void call_on_stack(void (*fn)(void), u32 top);
asm(".text\n"
    ".globl call_on_stack\n"
    "call_on_stack:\n"
    "	push %ebp\n"
    "	mov %esp, %ebp\n"
    "	mov 8(%ebp), %eax\n"
    "	mov 12(%ebp), %esp\n"
    "	call *%eax\n"
    "	mov %ebp, %esp\n"
    "	pop %ebp\n"
    "	ret\n");

static void on_alt_stack(void)
{
	alt_id = smp_id();
	alt_now = now_ns();
}

static void unknown_stack(void)
{
	vcpu_stack(1, ap_stack, sizeof(ap_stack));
	printf("clock: now_ns() on a stack of no vCPU\n");
	call_on_stack(on_alt_stack, (u32)(alt_stack + sizeof(alt_stack)));
	printf("clock: it returned vCPU %u's time\n", alt_id);
}

void test_main(void)
{
	/* Before anything else, shared_info unmapped. */
	u64 t0 = now_ns(), t1, rec, a, b;
	struct evtchn_alloc_unbound au = { DOMID_SELF, DOMID_SELF, 0 };
	struct xen_sched_poll p;
	u32 port, i;

	if (strstr((const char *)start_info->cmd_line, "mode=unknown_stack")) {
		unknown_stack();
		shutdown(SHUTDOWN_poweroff);
	}
	test_plan(6);
	CHECK(shared_info && map_shared_info() == shared_info,
	      "now_ns_before_map_maps_shared_info");
	t1 = now_ns();
	rec = vcpu_record_ns(0, NULL);
	if (!CHECK(t0 && t0 <= t1 && t1 - t0 < 5 * SEC && rec <= t1 + MS && t1 - rec < 5 * SEC,
		   "first_now_ns_is_system_time"))
		test_diag("  ns: first 0x%x%08x, second 0x%x%08x, record 0x%x%08x",
			  (u32)(t0 >> 32), (u32)t0, (u32)(t1 >> 32), (u32)t1,
			  (u32)(rec >> 32), (u32)rec);

	/* An absolute timeout in now_ns()'s time is the hypervisor's. */
	CHECK_EQ(evtchn_op(EVTCHNOP_alloc_unbound, &au), 0, "alloc_unbound");
	port = au.port;
	a = now_ns();
	p = (struct xen_sched_poll){ (u32)&port, 1, a + 50 * MS };
	/* A few tries: a signal to the vCPU thread may end a poll early. */
	for (i = 0, b = a; i < 4 && b < a + 50 * MS; i++) {
		sched_op(SCHEDOP_poll, &p);
		b = now_ns();
	}
	if (!CHECK(b >= a + 50 * MS && b - a < 5 * SEC, "poll_timeout_now_plus_50ms_takes_50ms"))
		test_diag("  %u polls took %u us", i, (u32)div64(b - a, 1000));

	CHECK_EQ(smp_id(), 0, "smp_id_on_the_boot_stack_is_0");
	call_on_stack(on_alt_stack, (u32)(alt_stack + sizeof(alt_stack)));
	b = now_ns();
	CHECK(alt_id == 0 && alt_now >= a && alt_now <= b,
	      "another_stack_is_vcpu_0_while_no_other_vcpu_has_one");
}
