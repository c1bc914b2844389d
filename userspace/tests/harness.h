/* SPDX-License-Identifier: GPL-2.0 */
/* A tiny test harness: CHECK() records a failure and goes on. */
#ifndef PVMX_TEST_HARNESS_H
#define PVMX_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

extern int t_failures;		/* failures in the current test */
extern const char *t_pvmx;	/* path of the pvmx binary, or NULL */
extern const char *t_images;	/* directory for sample images, or NULL */
extern const char *t_fake_pvmx;	/* unsanitized pvmx for the fake device */
extern const char *t_fake_so;	/* tests/fakedev.c shim */

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		t_failures++;						\
		fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	unsigned long long _a = (unsigned long long)(a);		\
	unsigned long long _b = (unsigned long long)(b);		\
	if (_a != _b) {							\
		t_failures++;						\
		fprintf(stderr, "  FAIL %s:%d: %s == %s (0x%llx != 0x%llx)\n", \
			__FILE__, __LINE__, #a, #b, _a, _b);		\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (strcmp(_a, _b)) {						\
		t_failures++;						\
		fprintf(stderr, "  FAIL %s:%d: %s == \"%s\" (got \"%s\")\n", \
			__FILE__, __LINE__, #a, _b, _a);		\
	}								\
} while (0)

/* err contains the substring sub */
#define CHECK_HAS(err, sub) do {					\
	if (!strstr((err), (sub))) {					\
		t_failures++;						\
		fprintf(stderr, "  FAIL %s:%d: \"%s\" does not contain \"%s\"\n", \
			__FILE__, __LINE__, (err), (sub));		\
	}								\
} while (0)

struct test {
	const char *name;
	void (*fn)(void);
};

extern const struct test loader_tests[];
extern const struct test util_tests[];
extern const struct test cli_tests[];
extern const struct test trace_tests[];
extern const struct test xenstore_tests[];
extern const struct test console_tests[];
extern const struct test blkback_tests[];
extern const struct test netback_tests[];

#endif
