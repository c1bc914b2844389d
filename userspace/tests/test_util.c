// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of util.c and the error paths of dev.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "libpvmx.h"

static void test_parse_size(void)
{
	uint64_t v = 0;

	CHECK_EQ(pvmx_parse_size("32M", &v), 0);
	CHECK_EQ(v, 32ULL << 20);
	CHECK_EQ(pvmx_parse_size("1G", &v), 0);
	CHECK_EQ(v, 1ULL << 30);
	CHECK_EQ(pvmx_parse_size("512k", &v), 0);
	CHECK_EQ(v, 512ULL << 10);
	CHECK_EQ(pvmx_parse_size("64MiB", &v), 0);
	CHECK_EQ(v, 64ULL << 20);
	CHECK_EQ(pvmx_parse_size("2GB", &v), 0);
	CHECK_EQ(v, 2ULL << 30);
	CHECK_EQ(pvmx_parse_size("33558528", &v), 0);
	CHECK_EQ(v, 33558528);
	/* Decimal only: a leading 0 is not octal, 0x is not hex. */
	CHECK_EQ(pvmx_parse_size("064M", &v), 0);
	CHECK_EQ(v, 64ULL << 20);
	CHECK_EQ(pvmx_parse_size("010", &v), 0);
	CHECK_EQ(v, 10);
	CHECK_EQ(pvmx_parse_size("0x2000000", &v), -EINVAL);
	CHECK_EQ(pvmx_parse_size(" 1M", &v), -EINVAL);
	CHECK_EQ(pvmx_parse_size("+1M", &v), -EINVAL);
	CHECK_EQ(pvmx_parse_size("1 M", &v), -EINVAL);
	CHECK_EQ(pvmx_parse_size("18446744073709551615", &v), 0);
	CHECK_EQ(v, UINT64_MAX);
	CHECK_EQ(pvmx_parse_size("18446744073709551616", &v), -EINVAL);
	CHECK_EQ(pvmx_parse_size("17179869183G", &v), 0);
	CHECK_EQ(v, 17179869183ULL << 30);
	CHECK_EQ(pvmx_parse_size("", &v), -EINVAL);
	CHECK_EQ(pvmx_parse_size("0", &v), -EINVAL);
	CHECK_EQ(pvmx_parse_size("-1M", &v), -EINVAL);
	CHECK_EQ(pvmx_parse_size("12X", &v), -EINVAL);
	CHECK_EQ(pvmx_parse_size("M", &v), -EINVAL);
	CHECK_EQ(pvmx_parse_size("1MM", &v), -EINVAL);
	CHECK_EQ(pvmx_parse_size("99999999999999999999", &v), -EINVAL);
	CHECK_EQ(pvmx_parse_size("17179869184G", &v), -EINVAL);
	CHECK_EQ(pvmx_parse_size(NULL, &v), -EINVAL);
}

static void test_parse_uint(void)
{
	uint64_t v = 0;

	CHECK_EQ(pvmx_parse_uint("010", &v, false), 0);
	CHECK_EQ(v, 10);
	CHECK_EQ(pvmx_parse_uint("0", &v, false), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(pvmx_parse_uint("18446744073709551615", &v, false), 0);
	CHECK_EQ(v, UINT64_MAX);
	CHECK_EQ(pvmx_parse_uint("18446744073709551616", &v, false), -ERANGE);
	CHECK_EQ(pvmx_parse_uint("99999999999999999999999", &v, false), -ERANGE);
	CHECK_EQ(pvmx_parse_uint("0x10", &v, false), -EINVAL);
	CHECK_EQ(pvmx_parse_uint("0x10", &v, true), 0);
	CHECK_EQ(v, 16);
	CHECK_EQ(pvmx_parse_uint("0XfFfFfFfFfFfFfFfF", &v, true), 0);
	CHECK_EQ(v, UINT64_MAX);
	CHECK_EQ(pvmx_parse_uint("0x10000000000000000", &v, true), -ERANGE);
	CHECK_EQ(pvmx_parse_uint("0x", &v, true), -EINVAL);
	CHECK_EQ(pvmx_parse_uint("0xg", &v, true), -EINVAL);
	CHECK_EQ(pvmx_parse_uint("010", &v, true), 0);
	CHECK_EQ(v, 10);
	CHECK_EQ(pvmx_parse_uint("", &v, true), -EINVAL);
	CHECK_EQ(pvmx_parse_uint("-1", &v, true), -EINVAL);
	CHECK_EQ(pvmx_parse_uint("+1", &v, true), -EINVAL);
	CHECK_EQ(pvmx_parse_uint(" 1", &v, true), -EINVAL);
	CHECK_EQ(pvmx_parse_uint("1 ", &v, true), -EINVAL);
	CHECK_EQ(pvmx_parse_uint(NULL, &v, true), -EINVAL);
}

static void test_parse_seconds(void)
{
	double d = 0;

	CHECK_EQ(pvmx_parse_seconds("30", &d), 0);
	CHECK(d == 30);
	CHECK_EQ(pvmx_parse_seconds("0.3", &d), 0);
	CHECK(d > 0.2999 && d < 0.3001);
	CHECK_EQ(pvmx_parse_seconds(".25", &d), 0);
	CHECK(d == 0.25);
	CHECK_EQ(pvmx_parse_seconds("010", &d), 0);
	CHECK(d == 10);
	CHECK_EQ(pvmx_parse_seconds("100000000", &d), 0);
	CHECK_EQ(pvmx_parse_seconds("100000001", &d), -EINVAL);
	CHECK_EQ(pvmx_parse_seconds("0", &d), -EINVAL);
	CHECK_EQ(pvmx_parse_seconds("0.0", &d), -EINVAL);
	CHECK_EQ(pvmx_parse_seconds(".", &d), -EINVAL);
	CHECK_EQ(pvmx_parse_seconds("", &d), -EINVAL);
	CHECK_EQ(pvmx_parse_seconds("-1", &d), -EINVAL);
	CHECK_EQ(pvmx_parse_seconds("1e3", &d), -EINVAL);
	CHECK_EQ(pvmx_parse_seconds("0x10", &d), -EINVAL);
	CHECK_EQ(pvmx_parse_seconds("inf", &d), -EINVAL);
	CHECK_EQ(pvmx_parse_seconds("nan", &d), -EINVAL);
	CHECK_EQ(pvmx_parse_seconds("1.", &d), 0);
	CHECK_EQ(pvmx_parse_seconds("1.2.3", &d), -EINVAL);
	CHECK_EQ(pvmx_parse_seconds(" 1", &d), -EINVAL);
	CHECK_EQ(pvmx_parse_seconds(NULL, &d), -EINVAL);
}

/* The launcher's 1 GiB limit (Documentation/launcher.rst), on a sparse file. */
static void test_read_file_limit(void)
{
	char err[PVMX_ERR_MAX], path[] = "/tmp/pvmx-unit-XXXXXX", want[128];
	void *buf = (void *)1;
	size_t len = 1;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, (1LL << 30) + 1), 0);
	close(fd);
	CHECK_EQ(pvmx_read_file(path, &buf, &len, err), -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than 1024 MiB, the most the launcher reads", path);
	CHECK_STR(err, want);
	CHECK(buf == NULL && len == 0);
	unlink(path);
}

static void test_names(void)
{
	CHECK_EQ(pvmx_shutdown_status(PVMX_SHUTDOWN_POWEROFF), 0);
	CHECK_EQ(pvmx_shutdown_status(PVMX_SHUTDOWN_REBOOT), 11);
	CHECK_EQ(pvmx_shutdown_status(PVMX_SHUTDOWN_SUSPEND), 12);
	CHECK_EQ(pvmx_shutdown_status(PVMX_SHUTDOWN_CRASH), 13);
	CHECK_EQ(pvmx_shutdown_status(PVMX_SHUTDOWN_WATCHDOG), 14);
	CHECK_EQ(pvmx_shutdown_status(PVMX_SHUTDOWN_SOFT_RESET), 15);
	CHECK_EQ(pvmx_shutdown_status(6), 19);
	CHECK_EQ(pvmx_shutdown_status(0xFFFFFFFF), 19);
	CHECK_STR(pvmx_shutdown_name(PVMX_SHUTDOWN_WATCHDOG), "watchdog");
	CHECK_STR(pvmx_shutdown_name(77), "unknown");
	CHECK_STR(pvmx_exit_name(PVMX_EXIT_CONSOLE), "console");
	CHECK_STR(pvmx_crash_kind_name(PVMX_CRASH_TRIPLE_FAULT), "triple fault");
	for (unsigned c = 0; c < PVMX_CAP_NR; c++)
		CHECK(pvmx_cap_name(c) != NULL);
	CHECK(pvmx_cap_name(PVMX_CAP_NR) == NULL);
	CHECK_STR(pvmx_xenfeat_name(XENFEAT_pae_pgdir_above_4gb), "pae_pgdir_above_4gb");
	CHECK(pvmx_xenfeat_name(31) == NULL);
	CHECK(pvmx_xenfeat_name(1000) == NULL);
}

static void test_read_file(void)
{
	char err[PVMX_ERR_MAX], path[] = "/tmp/pvmx-unit-XXXXXX";
	void *buf;
	size_t len;
	int fd;

	CHECK_EQ(pvmx_read_file("/nonexistent/x.elf", &buf, &len, err), -ENOENT);
	CHECK_STR(err, "/nonexistent/x.elf: No such file or directory");
	CHECK_EQ(pvmx_read_file("/", &buf, &len, err), -EISDIR);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "hello", 5), 5);
	close(fd);
	CHECK_EQ(pvmx_read_file(path, &buf, &len, err), 0);
	CHECK_EQ(len, 5);
	CHECK(!memcmp(buf, "hello", 5));
	free(buf);
	unlink(path);
}

static void test_open_errors(void)
{
	char err[PVMX_ERR_MAX];
	struct pvmx_dev dev;
	const char *old = getenv(PVMX_DEVICE_ENV);
	char *saved = old ? strdup(old) : NULL;

	setenv(PVMX_DEVICE_ENV, "/nonexistent/pvmx", 1);
	CHECK_EQ(pvmx_open(&dev, err), -ENOENT);
	CHECK_STR(err, "/nonexistent/pvmx not found: is the module loaded? (modprobe pvmx)");
	CHECK_EQ(dev.fd, -1);
	setenv(PVMX_DEVICE_ENV, "/dev/null", 1);
	CHECK(pvmx_open(&dev, err) < 0);
	CHECK_HAS(err, "/dev/null: PVMX_GET_API_VERSION");
	CHECK_HAS(err, "not a pvmx device");
	if (access(PVMX_DEVICE_PATH, F_OK)) {
		unsetenv(PVMX_DEVICE_ENV);
		CHECK_EQ(pvmx_open(&dev, err), -ENOENT);
		CHECK_STR(err, "/dev/pvmx not found: is the module loaded? (modprobe pvmx)");
	}
	if (saved) {
		setenv(PVMX_DEVICE_ENV, saved, 1);
		free(saved);
	} else {
		unsetenv(PVMX_DEVICE_ENV);
	}
	/* Destroying zeroed/failed objects is safe. */
	{
		struct pvmx_vm vm = { .fd = -1 };
		struct pvmx_vcpu vcpu = { .fd = -1 };
		struct pvmx_layout L;

		pvmx_vm_destroy(&vm);
		pvmx_vcpu_destroy(&vcpu);
		CHECK_EQ(pvmx_vm_load_image(&vm, "", 0, NULL, &L, err), -EINVAL);
	}
}

static void test_shuffle_p2m(void)
{
	enum { N = 8192 };
	uint32_t *a = malloc(N * 4), *b = malloc(N * 4);
	uint8_t *seen = calloc(N, 1);
	unsigned i, fixed = 0, same = 1;

	pvmx_shuffle_p2m(a, N, 1);
	for (i = 0; i < N; i++) {
		CHECK(a[i] < N && !seen[a[i]]);
		if (a[i] < N)
			seen[a[i]] = 1;
		fixed += a[i] == i;
	}
	CHECK(fixed < 16);		/* a permutation, far from the identity */
	pvmx_shuffle_p2m(b, N, 1);
	CHECK(!memcmp(a, b, N * 4));	/* reproducible */
	pvmx_shuffle_p2m(b, N, 2);
	for (i = 0; i < N; i++)
		same &= a[i] == b[i];
	CHECK(!same);
	pvmx_shuffle_p2m(b, 1, 9);
	CHECK_EQ(b[0], 0);
	free(a);
	free(b);
	free(seen);
}

const struct test util_tests[] = {
	{ "util: pvmx_shuffle_p2m", test_shuffle_p2m },
	{ "util: pvmx_parse_size", test_parse_size },
	{ "util: pvmx_parse_uint", test_parse_uint },
	{ "util: pvmx_parse_seconds", test_parse_seconds },
	{ "util: pvmx_read_file refuses more than 1 GiB", test_read_file_limit },
	{ "util: names and exit statuses", test_names },
	{ "util: pvmx_read_file", test_read_file },
	{ "dev: pvmx_open errors", test_open_errors },
	{ NULL, NULL },
};
