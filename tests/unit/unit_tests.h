/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PVMX_UNIT_TESTS_H
#define PVMX_UNIT_TESTS_H
#include "harness.h"
extern const struct unit_test core_tests[];
extern const struct unit_test trap_tests[];
extern const struct unit_test event_tests[];
extern const struct unit_test stats_tests[];
extern const struct unit_test emulate_tests[];
extern const struct unit_test desc_tests[];
extern const struct unit_test mm_tests[];
extern const struct unit_test memory_tests[];
extern const struct unit_test smp_tests[];
extern const struct unit_test ptwr_tests[];
extern const struct unit_test xenabi_tests[];
extern const struct unit_test debugreg_tests[];
extern const struct unit_test locking_tests[];
#endif
