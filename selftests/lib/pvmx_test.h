/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvmx_test: C host tests of test guests, on libpvmx, after KVM's selftests
 * (tools/testing/selftests/kvm: lib/kvm_util.c, include/ucall_common.h,
 * TEST_REQUIRE).  Documentation/testing.rst, "C host tests", shows a test.
 *
 * A test program is a table of tests and pvmx_test_main():
 *
 *   static void crash_ud2(const struct pvmx_test *t)
 *   {
 *           struct pvmx_test_vm *vm = pvmx_test_vm_create("crash.elf", NULL);
 *           uint64_t eip = pvmx_test_expect_sync(vm, 0, 1);
 *           struct pvmx_ucall uc;
 *
 *           TEST_ASSERT(pvmx_test_run(vm, 0, &uc) == PVMX_TEST_CRASH, ...);
 *           ...
 *   }
 *   static const struct pvmx_test tests[] = { { "guest_crash_ud2", crash_ud2 } };
 *   int main(int argc, char **argv) { return PVMX_TEST_MAIN(argc, argv, tests); }
 *
 * `prog [NAME...]` runs the named tests (all without a name) as one KTAP
 * document, exit 0 (passed, skips allowed), 1 (one failed) or 4 (all
 * skipped), kselftest's statuses.  A test passes by returning; TEST_ASSERT
 * fails it and TEST_REQUIRE* skips it (both leave the test at once, the
 * VMs it made are destroyed).  On a failure the console output of its VMs
 * is shown as diagnostics.
 *
 * The guests find their stages in guests/guest_sync.h; the channel
 * is described in pvmx_sync.h.  Environment: PVMX_GUESTS (the guests'
 * directory; default guests/ next to the program), PVMX_TIME_SCALE
 * (multiplies each run's time limit, as in run_all.sh), PVMX_TEST_VERBOSE
 * (print the guests' console as it comes).
 */
#ifndef _PVMX_TEST_H
#define _PVMX_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include "libpvmx.h"
#include "pvmx_sync.h"

/* ---- tests and KTAP ------------------------------------------------------ */

struct pvmx_test {
	const char *name;
	void (*fn)(const struct pvmx_test *t);
	const void *arg;		/* for tests sharing one function */
};

int pvmx_test_main(int argc, char **argv, const struct pvmx_test *tests, unsigned int n);
#define PVMX_TEST_MAIN(argc, argv, tests) \
	pvmx_test_main((argc), (argv), (tests), sizeof(tests) / sizeof((tests)[0]))

/* KTAP lines, for pvmx_test_main() and programs of their own. */
void ktap_plan(unsigned int n);
void ktap_result(bool pass, const char *name);
void ktap_skip(const char *name, const char *reason);
void ktap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "# Totals: ..." and the exit status (0, 1 or 4). */
int ktap_finish(void);

/* Leave the running test: failed (with a diagnostic), or skipped with a reason. */
void pvmx_test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
void pvmx_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define TEST_ASSERT(cond, fmt, ...) do {					\
	if (!(cond))								\
		pvmx_test_fail(__FILE__, __LINE__, "%s: " fmt, #cond, ##__VA_ARGS__); \
} while (0)
#define TEST_ASSERT_EQ(got, want) do {						\
	unsigned long long _tg = (unsigned long long)(got);			\
	unsigned long long _tw = (unsigned long long)(want);			\
										\
	if (_tg != _tw)								\
		pvmx_test_fail(__FILE__, __LINE__, "%s: 0x%llx, want %s: 0x%llx", \
			       #got, _tg, #want, _tw);				\
} while (0)
#define TEST_FAIL(fmt, ...) pvmx_test_fail(__FILE__, __LINE__, fmt, ##__VA_ARGS__)

/* KVM's TEST_REQUIRE: skip the test when a requirement is not met. */
#define TEST_REQUIRE(cond) do {							\
	if (!(cond))								\
		pvmx_test_skip("requirement not met: %s", #cond);		\
} while (0)
/*
 * Skip without /dev/pvmx, or when PVMX_CHECK_CAP says 0 for cap (the
 * module does not have it); fail when the device cannot be opened.
 */
#define TEST_REQUIRE_CAP(cap)	pvmx_test_require_cap((cap), #cap)
long pvmx_test_require_cap(unsigned int cap, const char *name);

/* /dev/pvmx, opened once (skips the test without it). */
struct pvmx_dev *pvmx_test_dev(void);
/* $PVMX_TIME_SCALE, at least 1. */
unsigned int pvmx_test_time_scale(void);

/* ---- VMs ------------------------------------------------------------------ */

struct pvmx_test_opts {
	const char *cmdline;		/* the guest's command line (NULL: "") */
	unsigned int vcpus;		/* 0: 1 */
	uint64_t memory;		/* bytes; 0: 32 MiB */
	unsigned int timeout_s;		/* each pvmx_test_run(); 0: 60 (times the scale) */
};

struct pvmx_test_vm {
	char image[64];			/* the guest's file name, for diagnostics */
	struct pvmx_vm vm;
	struct pvmx_layout layout;
	struct pvmx_vcpu vcpu[PVMX_SYNC_SLOTS];
	unsigned int nr_vcpus;
	volatile struct pvmx_sync_page *sync;	/* in vm.ram */
	uint32_t sync_port;		/* start_info's store port */
	uint32_t seq[PVMX_SYNC_SLOTS];	/* the last call seen of each vCPU */
	unsigned int timeout_s;
	pthread_mutex_t lock;		/* console */
	char *console;			/* everything the guest wrote, NUL-terminated */
	size_t console_len, console_cap;
	struct pvmx_test_vm *next;	/* the running test's VMs */
};

/*
 * A VM running image (a file in the guests' directory, or a path with a
 * '/') with opts (NULL: the defaults): RAM, the image, the sync page's
 * header, every vCPU created and vCPU 0's registers set.  Any failure fails
 * the test; no /dev/pvmx or no PVMX_CAP_EVENTS (the channel) skips it.
 * Destroyed when the test ends.
 */
struct pvmx_test_vm *pvmx_test_vm_create(const char *image, const struct pvmx_test_opts *opts);

/* ---- running to the next stage --------------------------------------------- */

enum pvmx_test_stop {
	PVMX_TEST_SYNC = 1,		/* GUEST_SYNC: stage, value */
	PVMX_TEST_DONE,			/* GUEST_DONE */
	PVMX_TEST_ASSERT,		/* a GUEST_ASSERT failed: file, line, text, values */
	PVMX_TEST_SHUTDOWN,		/* the guest shut down: shutdown_reason */
	PVMX_TEST_CRASH,		/* the hypervisor crashed it: crash */
	PVMX_TEST_NOTIFY,		/* a send on another launcher port: port */
	PVMX_TEST_ERROR,		/* PVMX_RUN failed, an internal exit, a bad
					 * call, the time limit: error */
};

/* What stopped the vCPU; each field is valid for the stops named. */
struct pvmx_ucall {
	enum pvmx_test_stop stop;
	uint32_t stage;				/* SYNC */
	uint64_t value;				/* SYNC */
	char file[PVMX_SYNC_FILE_MAX];		/* ASSERT */
	uint32_t line;				/* ASSERT */
	char text[PVMX_SYNC_TEXT_MAX];		/* ASSERT */
	uint32_t nr_values;			/* ASSERT: 2 after GUEST_ASSERT_EQ(got, want) */
	uint64_t values[2];			/* ASSERT */
	uint32_t shutdown_reason;		/* SHUTDOWN: SHUTDOWN_* */
	uint32_t port;				/* NOTIFY */
	struct {				/* CRASH: struct pvmx_run's crash */
		uint32_t kind, vector, error_code, eip, cs;
		uint64_t address;
		char reason[PVMX_CRASH_REASON_MAX + 1];
	} crash;
	char error[PVMX_ERR_MAX];		/* ERROR */
};

/*
 * Run vCPU id until the guest's next call, its end, or an error; console
 * output is collected on the way.  Safe to call from one thread per vCPU.
 */
enum pvmx_test_stop pvmx_test_run(struct pvmx_test_vm *vm, unsigned int id, struct pvmx_ucall *uc);
/* What uc says, as one line ("GUEST_SYNC(2, 0x5)", "crashed: ..."). */
const char *pvmx_test_describe(const struct pvmx_ucall *uc, char *buf, size_t len);

/*
 * Run vCPU id to its next call, which must be GUEST_SYNC(stage, ...):
 * returns the value.  Anything else fails the test with what it was (a
 * guest assertion with its file, line and values) at the caller's line.
 */
#define pvmx_test_expect_sync(vm, id, stage) \
	pvmx_test_expect_sync_at(__FILE__, __LINE__, (vm), (id), (stage))
/* The same for GUEST_DONE. */
#define pvmx_test_expect_done(vm, id) \
	pvmx_test_expect_done_at(__FILE__, __LINE__, (vm), (id))
/* The same for a crash by the hypervisor: fills uc (its crash). */
#define pvmx_test_expect_crash(vm, id, uc) \
	pvmx_test_expect_crash_at(__FILE__, __LINE__, (vm), (id), (uc))
uint64_t pvmx_test_expect_sync_at(const char *file, int line, struct pvmx_test_vm *vm,
				  unsigned int id, uint32_t stage);
void pvmx_test_expect_done_at(const char *file, int line, struct pvmx_test_vm *vm,
			      unsigned int id);
void pvmx_test_expect_crash_at(const char *file, int line, struct pvmx_test_vm *vm,
			       unsigned int id, struct pvmx_ucall *uc);

/* The console output so far (NUL-terminated; valid until the next run). */
const char *pvmx_test_console(struct pvmx_test_vm *vm);
/*
 * A helper thread (one that raises events while a vCPU runs, say), with
 * SIGALRM blocked so that the run's time limit interrupts PVMX_RUN.  Only
 * the test's own thread may use TEST_ASSERT and the expect functions.
 */
int pvmx_test_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg);
/* PVMX_GET_STATS of vCPU id; fails the test when it fails. */
void pvmx_test_vcpu_stats(struct pvmx_test_vm *vm, unsigned int id, struct pvmx_stats *st);

#endif /* _PVMX_TEST_H */
