/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal TAP harness for the host unit tests. */
#ifndef PVMX_UNIT_HARNESS_H
#define PVMX_UNIT_HARNESS_H

#include <stdio.h>

extern int unit_failures;		/* failed checks in the current test */

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		unit_failures++;					\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b) {							\
		printf("#   %s:%d: %s == %lld, expected %s == %lld\n",	\
		       __FILE__, __LINE__, #a, _a, #b, _b);		\
		unit_failures++;					\
	}								\
} while (0)

struct unit_test {
	const char *name;
	void (*fn)(void);
};

#define UNIT_TEST(fn) { #fn, fn }

#endif
