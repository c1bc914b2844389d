// SPDX-License-Identifier: GPL-2.0
/*
 * virq_test: VIRQ_DEBUG raised from the host with PVMX_RAISE_EVENT
 * (selftests/lib; the guest is guests/wait_virq.c).
 *
 *   guest_wait_virq   the raise wakes the guest blocked in SCHEDOP_block and
 *                     its upcall comes once; between the stages the host
 *                     checks the vCPU's statistics (no upcall before the
 *                     raise, exactly one after it, a sched_op for each
 *                     block the guest counted), then raises VIRQ_DEBUG
 *                     again while the guest is stopped with events masked:
 *                     pending without an upcall until the guest unmasks.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "pvmx_test.h"

#define RAISE_DELAY_MS	300

struct raiser {
	struct pvmx_test_vm *vm;
	int rc;
};

/* Raise VIRQ_DEBUG a little after the guest has gone on to block. */
static void *raise_later(void *arg)
{
	struct raiser *r = arg;
	struct timespec ts = { 0, RAISE_DELAY_MS * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	r->rc = pvmx_vm_raise_event(&r->vm->vm, VIRQ_DEBUG, true);
	return NULL;
}

static void wait_virq(const struct pvmx_test *t)
{
	struct pvmx_test_vm *vm;
	struct pvmx_stats st;
	struct raiser r = { 0 };
	struct pvmx_ucall uc;
	uint64_t port, blocks, sched_ops;
	pthread_t th;
	char buf[512];

	(void)t;
	TEST_REQUIRE_CAP(PVMX_CAP_STATS);
	vm = pvmx_test_vm_create("wait_virq.elf", NULL);

	port = pvmx_test_expect_sync(vm, 0, 1);
	pvmx_test_vcpu_stats(vm, 0, &st);
	ktap_diag("stage 1: VIRQ_DEBUG bound to port %llu; %llu upcalls so far",
		  (unsigned long long)port, (unsigned long long)st.upcalls);
	TEST_ASSERT_EQ(st.upcalls, 0);
	sched_ops = st.hypercall_count[__HYPERVISOR_sched_op];

	r.vm = vm;
	TEST_ASSERT(!pvmx_test_thread_create(&th, raise_later, &r), "pthread_create");
	pvmx_test_run(vm, 0, &uc);
	pthread_join(th, NULL);
	TEST_ASSERT(r.rc == 0, "PVMX_RAISE_EVENT(VIRQ_DEBUG): %s", strerror(-r.rc));
	TEST_ASSERT(uc.stop == PVMX_TEST_SYNC && uc.stage == 2, "want GUEST_SYNC(2, ...), got %s",
		    pvmx_test_describe(&uc, buf, sizeof(buf)));
	blocks = uc.value;
	pvmx_test_vcpu_stats(vm, 0, &st);
	sched_ops = st.hypercall_count[__HYPERVISOR_sched_op] - sched_ops;
	ktap_diag("stage 2: the upcall came after %llu blocks; %llu upcalls, %llu sched_op calls",
		  (unsigned long long)blocks, (unsigned long long)st.upcalls,
		  (unsigned long long)sched_ops);
	TEST_ASSERT_EQ(st.upcalls, 1);
	TEST_ASSERT(blocks >= 1 && sched_ops >= blocks,
		    "the guest blocked %llu times, the hypervisor counted %llu sched_op calls",
		    (unsigned long long)blocks, (unsigned long long)sched_ops);

	/* The guest is stopped, events masked: raise it now. */
	TEST_ASSERT_EQ(pvmx_vm_raise_event(&vm->vm, VIRQ_DEBUG, true), 0);
	pvmx_test_expect_sync(vm, 0, 3);
	pvmx_test_vcpu_stats(vm, 0, &st);
	TEST_ASSERT_EQ(st.upcalls, 1);

	pvmx_test_expect_done(vm, 0);
	pvmx_test_vcpu_stats(vm, 0, &st);
	ktap_diag("done: %llu upcalls", (unsigned long long)st.upcalls);
	TEST_ASSERT_EQ(st.upcalls, 2);
}

static const struct pvmx_test tests[] = {
	{ "guest_wait_virq", wait_virq, NULL },
};

int main(int argc, char **argv)
{
	return PVMX_TEST_MAIN(argc, argv, tests);
}
