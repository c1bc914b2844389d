// SPDX-License-Identifier: GPL-2.0
/*
 * pvmx_test: the host side of the C tests (pvmx_test.h), on libpvmx.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvmx_test.h"

/* ---- KTAP ------------------------------------------------------------------ */

static unsigned int ktap_planned, ktap_nr, ktap_pass, ktap_fail, ktap_skipped;

void ktap_plan(unsigned int n)
{
	ktap_planned = n;
	printf("KTAP version 1\n1..%u\n", n);
	fflush(stdout);
}

void ktap_result(bool pass, const char *name)
{
	ktap_nr++;
	if (pass)
		ktap_pass++;
	else
		ktap_fail++;
	printf("%sok %u %s\n", pass ? "" : "not ", ktap_nr, name);
	fflush(stdout);
}

void ktap_skip(const char *name, const char *reason)
{
	ktap_nr++;
	ktap_skipped++;
	printf("ok %u %s # SKIP %s\n", ktap_nr, name, reason);
	fflush(stdout);
}

void ktap_diag(const char *fmt, ...)
{
	char buf[1024], *line, *next;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One "# " per line: a message may hold several. */
	for (line = buf; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (next && !*next)
			next = NULL;
		printf("# %s\n", line);
	}
	fflush(stdout);
}

int ktap_finish(void)
{
	if (ktap_nr != ktap_planned) {
		ktap_diag("planned %u tests, ran %u", ktap_planned, ktap_nr);
		ktap_fail++;
	}
	printf("# Totals: pass:%u fail:%u skip:%u\n", ktap_pass, ktap_fail, ktap_skipped);
	fflush(stdout);
	if (ktap_fail)
		return 1;
	return ktap_skipped && !ktap_pass ? 4 : 0;	/* kselftest's KSFT_SKIP */
}

/* ---- the running test -------------------------------------------------------- */

enum { OUTCOME_PASS, OUTCOME_FAIL, OUTCOME_SKIP };

static jmp_buf test_env;
static bool in_test;
static char skip_reason[256];
static struct pvmx_test_vm *test_vms;

void pvmx_test_fail(const char *file, int line, const char *fmt, ...)
{
	char buf[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ktap_diag("%s:%d: %s", file, line, buf);
	if (!in_test)
		exit(1);
	longjmp(test_env, OUTCOME_FAIL);
}

void pvmx_test_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
	va_end(ap);
	if (!in_test) {
		ktap_diag("SKIP %s", skip_reason);
		exit(4);
	}
	longjmp(test_env, OUTCOME_SKIP);
}

static struct pvmx_dev dev = { .fd = -1 };
static int dev_rc = 1;			/* 1: not opened yet */
static char dev_err[PVMX_ERR_MAX];

struct pvmx_dev *pvmx_test_dev(void)
{
	if (dev_rc == 1)
		dev_rc = pvmx_open(&dev, dev_err);
	if (dev_rc == -ENOENT || dev_rc == -ENODEV || dev_rc == -ENXIO)
		pvmx_test_skip("%s", dev_err);
	if (dev_rc)
		TEST_FAIL("%s", dev_err);
	return &dev;
}

long pvmx_test_require_cap(unsigned int cap, const char *name)
{
	long v = pvmx_check_cap(pvmx_test_dev(), cap);

	if (v < 0)
		TEST_FAIL("PVMX_CHECK_CAP(%s): %s", name, strerror((int)-v));
	if (v == 0)
		pvmx_test_skip("this pvmx module lacks %s (PVMX_CHECK_CAP answers 0)", name);
	return v;
}

unsigned int pvmx_test_time_scale(void)
{
	const char *s = getenv("PVMX_TIME_SCALE");
	uint64_t v;

	if (!s || pvmx_parse_uint(s, &v, false) || v < 1 || v > 1000)
		return 1;
	return (unsigned int)v;
}

/* ---- VMs ------------------------------------------------------------------ */

static void guest_path(const char *image, char *path, size_t len)
{
	const char *dir = getenv("PVMX_GUESTS");
	char exe[PATH_MAX], *slash;
	ssize_t n;
	int l;

	if (strchr(image, '/')) {
		l = snprintf(path, len, "%s", image);
	} else if (dir && *dir) {
		l = snprintf(path, len, "%s/%s", dir, image);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		l = snprintf(path, len, "%s/guests/%s", slash ? exe : ".", image);
	}
	if (l < 0 || (size_t)l >= len)
		TEST_FAIL("the path of %s is too long", image);
}

static void vm_destroy(struct pvmx_test_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		pvmx_vcpu_destroy(&vm->vcpu[i]);
	pvmx_vm_destroy(&vm->vm);
	pthread_mutex_destroy(&vm->lock);
	free(vm->console);
	free(vm);
}

struct pvmx_test_vm *pvmx_test_vm_create(const char *image, const struct pvmx_test_opts *opts)
{
	static const struct pvmx_test_opts defaults;
	struct pvmx_load_opts lo = { 0 };
	char path[PATH_MAX], err[PVMX_ERR_MAX];
	struct pvmx_test_vm *vm;
	struct pvmx_dev *d;
	unsigned int i;
	uint64_t store;
	size_t len;
	void *img;
	int rc;

	if (!opts)
		opts = &defaults;
	d = pvmx_test_dev();
	/* The channel is a launcher port: PVMX_EXIT_NOTIFY. */
	TEST_REQUIRE_CAP(PVMX_CAP_EVENTS);
	TEST_ASSERT(opts->vcpus <= PVMX_SYNC_SLOTS, "%u vCPUs, the sync page has %u slots",
		    opts->vcpus, PVMX_SYNC_SLOTS);
	vm = calloc(1, sizeof(*vm));
	TEST_ASSERT(vm, "out of memory");
	vm->vm.fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	snprintf(vm->image, sizeof(vm->image), "%s", image);
	vm->timeout_s = (opts->timeout_s ? opts->timeout_s : 60) * pvmx_test_time_scale();
	vm->next = test_vms;
	test_vms = vm;		/* destroyed with the test, whatever happens next */

	guest_path(image, path, sizeof(path));
	if (pvmx_read_file(path, &img, &len, err))
		TEST_FAIL("%s", err);
	lo.cmdline = opts->cmdline;
	if (pvmx_vm_create(d, &vm->vm, err) ||
	    pvmx_vm_set_memory(&vm->vm, opts->memory ? opts->memory : 32ULL << 20, err) ||
	    pvmx_vm_load_image(&vm->vm, img, len, &lo, &vm->layout, err)) {
		free(img);
		TEST_FAIL("%s: %s", image, err);
	}
	free(img);

	store = vm->layout.boot.store_gpa;
	vm->sync_port = vm->layout.boot.store_evtchn;
	TEST_ASSERT(store != PVMX_NO_PAGE && store + PVMX_PAGE_SIZE <= vm->vm.mem_size &&
		    vm->sync_port, "no xenstore page and port in the layout");
	vm->sync = (volatile struct pvmx_sync_page *)((char *)vm->vm.ram + store);
	memset((void *)vm->sync, 0, sizeof(*vm->sync));
	vm->sync->magic = PVMX_SYNC_MAGIC;
	vm->sync->version = PVMX_SYNC_VERSION;
	vm->sync->nr_slots = PVMX_SYNC_SLOTS;

	for (i = 0; i < (opts->vcpus ? opts->vcpus : 1); i++) {
		if (pvmx_vcpu_create(&vm->vm, i, &vm->vcpu[i], err))
			TEST_FAIL("%s", err);
		vm->nr_vcpus++;
	}
	rc = pvmx_vcpu_set_regs(&vm->vcpu[0], &vm->layout.regs);
	TEST_ASSERT(rc == 0, "PVMX_SET_REGS: %s", strerror(-rc));
	return vm;
}

/* The last lines of vm's console, as diagnostics. */
static void show_console(struct pvmx_test_vm *vm, unsigned int lines)
{
	const char *p, *start;
	unsigned int n = 0;

	if (!vm->console_len) {
		ktap_diag("%s: no console output", vm->image);
		return;
	}
	start = vm->console;
	for (p = vm->console + vm->console_len; p > vm->console; p--) {
		if (p[-1] == '\n' && p != vm->console + vm->console_len && ++n == lines) {
			start = p;
			break;
		}
	}
	ktap_diag("%s: console%s:", vm->image, start != vm->console ? " (the end)" : "");
	while (*start) {
		const char *nl = strchr(start, '\n');
		int l = nl ? (int)(nl - start) : (int)strlen(start);

		printf("#   %.*s\n", l, start);
		start += l + (nl ? 1 : 0);
	}
	fflush(stdout);
}

const char *pvmx_test_console(struct pvmx_test_vm *vm)
{
	return vm->console ? vm->console : "";
}

static void console_add(struct pvmx_test_vm *vm, const char *data, size_t n)
{
	static int verbose = -1;

	if (verbose < 0)
		verbose = getenv("PVMX_TEST_VERBOSE") != NULL;
	if (verbose)
		fwrite(data, 1, n, stderr);
	pthread_mutex_lock(&vm->lock);
	if (vm->console_len + n + 1 > vm->console_cap) {
		size_t cap = (vm->console_len + n + 1) * 2;
		char *c = realloc(vm->console, cap);

		if (!c) {
			pthread_mutex_unlock(&vm->lock);
			return;
		}
		vm->console = c;
		vm->console_cap = cap;
	}
	memcpy(vm->console + vm->console_len, data, n);
	vm->console_len += n;
	vm->console[vm->console_len] = '\0';
	pthread_mutex_unlock(&vm->lock);
}

void pvmx_test_vcpu_stats(struct pvmx_test_vm *vm, unsigned int id, struct pvmx_stats *st)
{
	int rc = pvmx_vcpu_get_stats(&vm->vcpu[id], st);

	TEST_ASSERT(rc == 0, "PVMX_GET_STATS of vCPU %u: %s", id, strerror(-rc));
}

/* ---- running ------------------------------------------------------------------ */

static volatile sig_atomic_t alarm_fired;

static void on_alarm(int sig)
{
	(void)sig;
	alarm_fired = 1;
}

static enum pvmx_test_stop stop_error(struct pvmx_ucall *uc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static enum pvmx_test_stop stop_error(struct pvmx_ucall *uc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(uc->error, sizeof(uc->error), fmt, ap);
	va_end(ap);
	return uc->stop = PVMX_TEST_ERROR;
}

/* A send on the sync port: vCPU id's slot, taken and cleared. */
static enum pvmx_test_stop take_call(struct pvmx_test_vm *vm, unsigned int id,
				     struct pvmx_ucall *uc)
{
	volatile struct pvmx_sync_slot *s = &vm->sync->slot[id];
	struct pvmx_sync_slot c;

	memcpy(&c, (const void *)s, sizeof(c));
	if (c.cmd == PVMX_SYNC_NONE)
		return stop_error(uc, "vCPU %u sent on the sync port (%u) with no call in its slot",
			     id, vm->sync_port);
	s->cmd = PVMX_SYNC_NONE;
	if (c.seq != vm->seq[id] + 1)
		return stop_error(uc, "vCPU %u's call %u follows call %u: a call lost or repeated",
			     id, c.seq, vm->seq[id]);
	vm->seq[id] = c.seq;
	switch (c.cmd) {
	case PVMX_SYNC_SYNC:
		uc->stage = c.stage;
		uc->value = c.value[0];
		return uc->stop = PVMX_TEST_SYNC;
	case PVMX_SYNC_DONE:
		return uc->stop = PVMX_TEST_DONE;
	case PVMX_SYNC_ASSERT:
		memcpy(uc->file, c.file, sizeof(uc->file));
		uc->file[sizeof(uc->file) - 1] = '\0';
		memcpy(uc->text, c.text, sizeof(uc->text));
		uc->text[sizeof(uc->text) - 1] = '\0';
		uc->line = c.line;
		uc->nr_values = c.nr_values > 2 ? 2 : c.nr_values;
		uc->values[0] = c.value[0];
		uc->values[1] = c.value[1];
		return uc->stop = PVMX_TEST_ASSERT;
	default:
		return stop_error(uc, "vCPU %u: unknown call %u in its slot", id, c.cmd);
	}
}

enum pvmx_test_stop pvmx_test_run(struct pvmx_test_vm *vm, unsigned int id, struct pvmx_ucall *uc)
{
	static bool handler;
	struct pvmx_vcpu *v;
	struct pvmx_run *run;
	int rc;

	memset(uc, 0, sizeof(*uc));
	if (id >= vm->nr_vcpus)
		return stop_error(uc, "no vCPU %u (the VM has %u)", id, vm->nr_vcpus);
	v = &vm->vcpu[id];
	run = v->run;
	if (!handler) {
		/* No SA_RESTART: the alarm ends PVMX_RUN (PVMX_EXIT_INTR or EINTR). */
		struct sigaction sa = { .sa_handler = on_alarm };

		sigaction(SIGALRM, &sa, NULL);
		handler = true;
	}
	alarm_fired = 0;
	alarm(vm->timeout_s);
	for (;;) {
		if (alarm_fired) {
			stop_error(uc, "vCPU %u still running after %u s", id, vm->timeout_s);
			break;
		}
		rc = pvmx_vcpu_run(v);
		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc) {
			stop_error(uc, "PVMX_RUN on vCPU %u: %s", id, strerror(-rc));
			break;
		}
		switch (run->exit_reason) {
		case PVMX_EXIT_CONSOLE:
			console_add(vm, run->console.data,
				    run->console.len > PVMX_CONSOLE_MAX ? PVMX_CONSOLE_MAX :
				    run->console.len);
			continue;
		case PVMX_EXIT_INTR:
		case PVMX_EXIT_TRACE:		/* the library does not trace */
			continue;
		case PVMX_EXIT_SHUTDOWN:
			uc->shutdown_reason = run->shutdown.reason;
			uc->stop = PVMX_TEST_SHUTDOWN;
			break;
		case PVMX_EXIT_CRASH:
			uc->crash.kind = run->crash.kind;
			uc->crash.vector = run->crash.vector;
			uc->crash.error_code = run->crash.error_code;
			uc->crash.eip = run->crash.eip;
			uc->crash.cs = run->crash.cs;
			uc->crash.address = run->crash.address;
			memcpy(uc->crash.reason, run->crash.reason, PVMX_CRASH_REASON_MAX);
			uc->crash.reason[PVMX_CRASH_REASON_MAX] = '\0';
			uc->stop = PVMX_TEST_CRASH;
			break;
		case PVMX_EXIT_NOTIFY:
			if (run->notify.port == vm->sync_port) {
				take_call(vm, id, uc);
			} else {
				uc->port = run->notify.port;
				uc->stop = PVMX_TEST_NOTIFY;
			}
			break;
		case PVMX_EXIT_INTERNAL:
			stop_error(uc, "internal exit on vCPU %u: suberror %u, data 0x%llx 0x%llx",
				   id, run->internal.suberror,
				   (unsigned long long)run->internal.data[0],
				   (unsigned long long)run->internal.data[1]);
			break;
		default:
			stop_error(uc, "vCPU %u: exit reason %u", id, run->exit_reason);
			break;
		}
		break;
	}
	alarm(0);
	return uc->stop;
}

const char *pvmx_test_describe(const struct pvmx_ucall *uc, char *buf, size_t len)
{
	switch (uc->stop) {
	case PVMX_TEST_SYNC:
		snprintf(buf, len, "GUEST_SYNC(%u, 0x%llx)", uc->stage,
			 (unsigned long long)uc->value);
		break;
	case PVMX_TEST_DONE:
		snprintf(buf, len, "GUEST_DONE()");
		break;
	case PVMX_TEST_ASSERT:
		if (uc->nr_values)
			snprintf(buf, len,
				 "GUEST_ASSERT failed at %s:%u: %s (got 0x%llx = %lld, want 0x%llx = %lld)",
				 uc->file, uc->line, uc->text,
				 (unsigned long long)uc->values[0], (long long)uc->values[0],
				 (unsigned long long)uc->values[1], (long long)uc->values[1]);
		else
			snprintf(buf, len, "GUEST_ASSERT failed at %s:%u: %s", uc->file,
				 uc->line, uc->text);
		break;
	case PVMX_TEST_SHUTDOWN:
		snprintf(buf, len, "the guest shut down: %s (reason %u)",
			 pvmx_shutdown_name(uc->shutdown_reason), uc->shutdown_reason);
		break;
	case PVMX_TEST_CRASH:
		snprintf(buf, len, "the guest crashed: %s", uc->crash.reason[0] ?
			 uc->crash.reason : pvmx_crash_kind_name(uc->crash.kind));
		break;
	case PVMX_TEST_NOTIFY:
		snprintf(buf, len, "a send on port %u", uc->port);
		break;
	default:
		snprintf(buf, len, "%s", uc->error[0] ? uc->error : "no stop");
		break;
	}
	return buf;
}

/* Run vCPU id; fail the test (at file:line) unless it stops with want. */
static void expect(const char *file, int line, struct pvmx_test_vm *vm, unsigned int id,
		   enum pvmx_test_stop want, const char *what, struct pvmx_ucall *uc)
{
	char buf[512];

	if (pvmx_test_run(vm, id, uc) != want)
		pvmx_test_fail(file, line, "%s vCPU %u: want %s, got %s", vm->image, id, what,
			       pvmx_test_describe(uc, buf, sizeof(buf)));
}

uint64_t pvmx_test_expect_sync_at(const char *file, int line, struct pvmx_test_vm *vm,
				  unsigned int id, uint32_t stage)
{
	struct pvmx_ucall uc;
	char what[48];

	snprintf(what, sizeof(what), "GUEST_SYNC(%u, ...)", stage);
	expect(file, line, vm, id, PVMX_TEST_SYNC, what, &uc);
	if (uc.stage != stage)
		pvmx_test_fail(file, line, "%s vCPU %u: want %s, got GUEST_SYNC(%u, 0x%llx)",
			       vm->image, id, what, uc.stage, (unsigned long long)uc.value);
	return uc.value;
}

void pvmx_test_expect_done_at(const char *file, int line, struct pvmx_test_vm *vm,
			      unsigned int id)
{
	struct pvmx_ucall uc;

	expect(file, line, vm, id, PVMX_TEST_DONE, "GUEST_DONE()", &uc);
}

void pvmx_test_expect_crash_at(const char *file, int line, struct pvmx_test_vm *vm,
			       unsigned int id, struct pvmx_ucall *uc)
{
	expect(file, line, vm, id, PVMX_TEST_CRASH, "a crash", uc);
}

int pvmx_test_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t block, old;
	int rc;

	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* ---- main ------------------------------------------------------------------ */

static void run_one(const struct pvmx_test *t)
{
	static volatile int outcome;
	struct pvmx_test_vm *vm, *next;

	test_vms = NULL;
	skip_reason[0] = '\0';
	in_test = true;
	outcome = setjmp(test_env);
	if (outcome == 0) {
		t->fn(t);
		outcome = OUTCOME_PASS;
	}
	in_test = false;
	alarm(0);
	for (vm = test_vms; vm; vm = next) {
		next = vm->next;
		if (outcome == OUTCOME_FAIL)
			show_console(vm, 30);
		vm_destroy(vm);
	}
	test_vms = NULL;
	if (outcome == OUTCOME_SKIP)
		ktap_skip(t->name, skip_reason);
	else
		ktap_result(outcome == OUTCOME_PASS, t->name);
}

/* Named on the command line, or no name given. */
static bool selected(int argc, char **argv, const char *name)
{
	int a;

	for (a = 1; a < argc; a++)
		if (!strcmp(argv[a], name))
			return true;
	return argc == 1;
}

int pvmx_test_main(int argc, char **argv, const struct pvmx_test *tests, unsigned int n)
{
	unsigned int i, nr = 0;
	int a;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < n; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	for (a = 1; a < argc; a++) {
		for (i = 0; i < n && strcmp(argv[a], tests[i].name); i++)
			;
		if (i == n) {
			fprintf(stderr, "%s: no test %s (--list names them)\n", argv[0], argv[a]);
			return 2;
		}
	}
	for (i = 0; i < n; i++)
		nr += selected(argc, argv, tests[i].name);
	ktap_plan(nr);
	for (i = 0; i < n; i++)
		if (selected(argc, argv, tests[i].name))
			run_one(&tests[i]);
	if (dev_rc == 0)
		pvmx_close(&dev);
	return ktap_finish();
}
