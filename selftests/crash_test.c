// SPDX-License-Identifier: GPL-2.0
/*
 * crash_test: guests the hypervisor crashes, checked against struct
 * pvmx_run's crash fields (selftests/lib).  The guest gives the addresses
 * to expect as GUEST_SYNC stages before the faulting instruction.
 *
 *   guest_crash_ud2          crash.elf: ud2, no trap table: #UD at its eip
 *   guest_crash_pf           crash_pf.elf: a read of 0x40000000: #PF, the
 *                            address, error code 0, the load's eip
 *   guest_bad_memory_MODE    bad_memory.elf mode=MODE (outside, hvwrite:
 *                            the hypercalls refused, then a write to the
 *                            read-only L1; hvread: a write to the
 *                            hypervisor area): #PF, error code 3, the
 *                            address; for hvread the store's eip
 *   guest_privileged_MODE    privileged.elf mode=MODE (hlt, out, cli: #GP(0);
 *                            int80: #GP(0x402); int3: #BP, a trap: the eip
 *                            of int3 or of the next instruction)
 */
#include <stdio.h>
#include <string.h>

#include "pvmx_test.h"

#define TRAP_UD		6
#define TRAP_BP		3
#define TRAP_GP		13
#define TRAP_PF		14

/* The reason starts with prefix. */
static void expect_reason(const struct pvmx_ucall *uc, const char *prefix)
{
	TEST_ASSERT(!strncmp(uc->crash.reason, prefix, strlen(prefix)),
		    "reason \"%s\", want it to start \"%s\"", uc->crash.reason, prefix);
}

/* An unhandled trap in ring 1, at the flat ring-1 code segment. */
static void expect_trap(const struct pvmx_ucall *uc, uint32_t vector, uint32_t error_code)
{
	ktap_diag("crash: %s; vector %u, error code 0x%x, eip %04x:%08x, address 0x%llx",
		  uc->crash.reason, uc->crash.vector, uc->crash.error_code, uc->crash.cs,
		  uc->crash.eip, (unsigned long long)uc->crash.address);
	TEST_ASSERT_EQ(uc->crash.kind, PVMX_CRASH_UNHANDLED_TRAP);
	TEST_ASSERT_EQ(uc->crash.vector, vector);
	TEST_ASSERT_EQ(uc->crash.error_code, error_code);
	TEST_ASSERT_EQ(uc->crash.cs, FLAT_RING1_CS);
}

static void crash_ud2(const struct pvmx_test *t)
{
	struct pvmx_test_vm *vm = pvmx_test_vm_create("crash.elf", NULL);
	uint64_t eip = pvmx_test_expect_sync(vm, 0, 1);
	struct pvmx_ucall uc;
	char want[128];

	(void)t;
	pvmx_test_expect_crash(vm, 0, &uc);
	expect_trap(&uc, TRAP_UD, 0);
	TEST_ASSERT_EQ(uc.crash.eip, eip);
	snprintf(want, sizeof(want), "unhandled #UD invalid opcode in ring 1 at e019:%08llx;",
		 (unsigned long long)eip);
	expect_reason(&uc, want);
}

static void crash_pf(const struct pvmx_test *t)
{
	struct pvmx_test_vm *vm = pvmx_test_vm_create("crash_pf.elf", NULL);
	uint64_t eip = pvmx_test_expect_sync(vm, 0, 1);
	uint64_t addr = pvmx_test_expect_sync(vm, 0, 2);
	struct pvmx_ucall uc;
	char want[128];

	(void)t;
	TEST_ASSERT_EQ(addr, 0x40000000);
	pvmx_test_expect_crash(vm, 0, &uc);
	/* A ring-1 read of a not-present page: P, W/R and U/S all clear. */
	expect_trap(&uc, TRAP_PF, 0);
	TEST_ASSERT_EQ(uc.crash.eip, eip);
	TEST_ASSERT_EQ(uc.crash.address, addr);
	snprintf(want, sizeof(want),
		 "unhandled #PF page fault at address 0x%llx (error code 0x0) in ring 1 at e019:%08llx;",
		 (unsigned long long)addr, (unsigned long long)eip);
	expect_reason(&uc, want);
}

struct privileged {
	const char *mode;
	uint32_t vector, error_code;
	const char *what;		/* the reason's description of the trap */
	bool trap;			/* the eip may be the next instruction's */
};

/*
 * privileged.elf mode=MODE.  hlt, out and cli: CPL 1 > IOPL 0 and the
 * emulator refuses them as Xen does; int $0x80: no gate for the guest in
 * the hypervisor's IDT; int3: intercepted before IDT delivery, a trap
 * (Xen's #BP frame holds the address after int3).
 */
static void privileged(const struct pvmx_test *t)
{
	const struct privileged *p = t->arg;
	struct pvmx_test_opts opts = { 0 };
	struct pvmx_test_vm *vm;
	uint64_t eip, next;
	struct pvmx_ucall uc;
	char cmdline[32], want[128];

	snprintf(cmdline, sizeof(cmdline), "mode=%s", p->mode);
	opts.cmdline = cmdline;
	vm = pvmx_test_vm_create("privileged.elf", &opts);
	eip = pvmx_test_expect_sync(vm, 0, 1);
	next = pvmx_test_expect_sync(vm, 0, 2);
	pvmx_test_expect_crash(vm, 0, &uc);
	expect_trap(&uc, p->vector, p->error_code);
	if (p->trap && uc.crash.eip == next) {
		ktap_diag("reported eip 0x%08llx: the instruction after int3 (trap semantics)",
			  (unsigned long long)next);
		eip = next;
	}
	TEST_ASSERT_EQ(uc.crash.eip, eip);
	snprintf(want, sizeof(want), "unhandled %s in ring 1 at e019:%08llx;", p->what,
		 (unsigned long long)eip);
	expect_reason(&uc, want);
}

#define GP0	"#GP general protection (error code 0x0)"
static const struct privileged hlt = { "hlt", TRAP_GP, 0, GP0, false };
static const struct privileged out = { "out", TRAP_GP, 0, GP0, false };
static const struct privileged cli = { "cli", TRAP_GP, 0, GP0, false };
static const struct privileged int80 = {
	"int80", TRAP_GP, 0x402, "#GP general protection (error code 0x402)", false
};

static const struct privileged int3 = { "int3", TRAP_BP, 0, "#BP breakpoint", true };

/*
 * bad_memory.elf mode=MODE: the guest's hypercalls to map memory it does
 * not own are refused with Xen's errnos (its own GUEST_ASSERT_EQs), then a
 * ring-1 write through a read-only mapping -- the L1 of its victim page
 * (outside, hvwrite) or the hypervisor area's GDT (hvread) -- is a #PF
 * (present, write: error code 3) at the address of stage 1 that crashes
 * the guest; for hvread at the store's eip, stage 2.
 */
static void bad_memory(const struct pvmx_test *t)
{
	const char *mode = t->arg;
	struct pvmx_test_opts opts = { 0 };
	struct pvmx_test_vm *vm;
	uint64_t addr, eip = 0;
	struct pvmx_ucall uc;
	char cmdline[32], want[128];

	snprintf(cmdline, sizeof(cmdline), "mode=%s", mode);
	opts.cmdline = cmdline;
	vm = pvmx_test_vm_create("bad_memory.elf", &opts);
	addr = pvmx_test_expect_sync(vm, 0, 1);
	if (!strcmp(mode, "hvread")) {
		/* GDT entry 7171 of vCPU 0, in the hypervisor area. */
		TEST_ASSERT_EQ(addr, 0xffe0e018);
		eip = pvmx_test_expect_sync(vm, 0, 2);
	}
	pvmx_test_expect_crash(vm, 0, &uc);
	expect_trap(&uc, TRAP_PF, 3);
	TEST_ASSERT_EQ(uc.crash.address, addr);
	snprintf(want, sizeof(want),
		 "unhandled #PF page fault at address 0x%llx (error code 0x3) in ring 1 at e019:",
		 (unsigned long long)addr);
	expect_reason(&uc, want);
	if (eip)
		TEST_ASSERT_EQ(uc.crash.eip, eip);
}

static const struct pvmx_test tests[] = {
	{ "guest_crash_ud2", crash_ud2, NULL },
	{ "guest_crash_pf", crash_pf, NULL },
	{ "guest_bad_memory_outside", bad_memory, "outside" },
	{ "guest_bad_memory_hvwrite", bad_memory, "hvwrite" },
	{ "guest_bad_memory_hvread", bad_memory, "hvread" },
	{ "guest_privileged_hlt", privileged, &hlt },
	{ "guest_privileged_out", privileged, &out },
	{ "guest_privileged_cli", privileged, &cli },
	{ "guest_privileged_int80", privileged, &int80 },
	{ "guest_privileged_int3", privileged, &int3 },
};

int main(int argc, char **argv)
{
	return PVMX_TEST_MAIN(argc, argv, tests);
}
