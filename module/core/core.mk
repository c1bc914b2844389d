# SPDX-License-Identifier: GPL-2.0
# The arch-neutral core: one list, used by Kbuild, the host unit tests, the
# fuzzers and the host benchmark.  Names are relative to module/core/.
PVMX_CORE_SRCS := hypercall gmem traps multicall event_channel entry sched domain trace mm desc emulate physdev memory ptwr cpuid
