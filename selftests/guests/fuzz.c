// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: a hostile guest.  seed=<n> n=<hypercalls> on the command line
 * (defaults 1 and 100000).  A seeded PRNG issues random hypercalls with
 * `int $0x82` directly (any number, not only the hypercall page's), random
 * arguments and random pointers: into a scratch region (misaligned,
 * page-crossing), the guest's own page tables (mapped read-only: writes must
 * fail), unmapped memory, the hypervisor hole and the top of the address
 * space; and random multicall lists (nested, huge, entries that overwrite
 * later entries).
 *
 * The fuzzer must survive its own calls, so pointers that the hypervisor
 * may write through only reach the scratch region or hostile addresses,
 * never its code, stack or tables; and the calls that would end or stop it
 * (shutdown, block, watchdog, remote_shutdown, VCPUOP_down, iret to a
 * random frame, set_trap_table/mmu_update/mmuext_op/set_gdt with writable
 * data) get hostile pointers only or are replaced by a yield.  The host
 * must not crash, hang or leak; the guest must not be crashed.  Prints the
 * count and per-result classes, then KTAP.
 */
#include "runtime.h"

#define SCRATCH_BYTES	(64u * 1024)
/*
 * Pointers only reach the first SCRATCH_USE bytes: the rest absorbs what a
 * hypervisor write at the last byte puts past it (XENVER_commandline writes
 * 1024 bytes); past scratch come the p2m and start_info.
 */
#define SCRATCH_USE	(SCRATCH_BYTES - 8192)
#define ML_ENTRIES	512

/* Hypervisor writes land here only. */
static u8 scratch[SCRATCH_BYTES] __attribute__((aligned(4096)));
/*
 * Multicall lists: only the fuzzer writes entries (results and the
 * overwriting entries aside); past the last one written, zero entries are
 * set_trap_table(NULL), harmless; then an unmapped guard page (a huge count
 * ends there with -EFAULT).
 */
#define ML_TOTAL	(ML_ENTRIES + 64)
static struct {
	struct multicall_entry ml[ML_TOTAL];
	u8 guard[PAGE_SIZE] __attribute__((aligned(4096)));
} mlarea __attribute__((aligned(4096)));
#define ml mlarea.ml

static u64 rng_state;

static u32 rnd(void)
{
	u64 z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return (u32)(z ^ (z >> 31));
}

static u32 below(u32 n)
{
	return rnd() % n;
}

/*
 * What console writes print: random bytes on the serial console could stop
 * it (XOFF) or mangle the log, and the content is not what is tested.
 */
static char printable[2 * PAGE_SIZE] __attribute__((aligned(4096)));

static u32 printable_pointer(void)
{
	/* Mostly just before the page boundary: the write crosses it. */
	return (u32)printable + PAGE_SIZE - below(2) * below(64) - 1;
}

/* Somewhere the hypervisor may not write (or read). */
static u32 hostile_pointer(void)
{
	switch (below(6)) {
	case 0:
		return XEN_HYPERVISOR_VIRT_START + below(0u - XEN_HYPERVISOR_VIRT_START);
	case 1:
		return 0xFFFFF000u + below(4096);	/* wraps at 4 GiB */
	case 2:
		return 0x80000000u + below(1u << 24);	/* not mapped */
	case 3:		/* the page tables: mapped read-only */
		return start_info->pt_base + below(start_info->nr_pt_frames * PAGE_SIZE);
	case 4:
		return below(16);			/* NULL and a bit */
	default:
		return rnd() | 0xC0000000u;
	}
}

/*
 * Nothing mapped there, ever (update_va_mapping below never maps a present
 * frame): what a multicall list may point at outside mlarea, since a list
 * in readable memory would turn our code into entries and results.
 */
static u32 unreadable_pointer(void)
{
	switch (below(3)) {
	case 0:
		return XEN_HYPERVISOR_VIRT_START + below(0u - XEN_HYPERVISOR_VIRT_START);
	case 1:
		return 0xFFFFF000u + below(4096);
	default:
		return 0x40000000u + below(0x40000000u);
	}
}

/* Anywhere the hypervisor may write: scratch, misaligned, crossing pages. */
static u32 scratch_pointer(void)
{
	u32 base = (u32)scratch;

	switch (below(4)) {
	case 0:		/* the end of a page, for structs that cross it */
		return base + (1 + below(SCRATCH_USE / PAGE_SIZE - 1)) * PAGE_SIZE - 1 - below(32);
	case 1:
		return base + (below(SCRATCH_USE / 4 - 64)) * 4;
	default:
		return base + below(SCRATCH_USE - 256);
	}
}

static u32 any_pointer(void)
{
	return below(3) ? scratch_pointer() : hostile_pointer();
}

static int in_scratch(u32 p)
{
	return p >= (u32)scratch && p < (u32)scratch + SCRATCH_USE;
}

/*
 * Any argument may be used as a pointer: a value that lands in the
 * fuzzer's own image, stack or tables (everything mapped from 1 MiB up) is
 * moved above 1 GiB, where nothing is mapped.  Page 0..0xFFFFF is free RAM.
 */
static u32 safe(u32 v)
{
	if (v >= 0x100000 && v < 0x40000000 && !in_scratch(v))
		v |= 0x40000000;
	return v;
}

/*
 * A console write from readable memory (the page tables, page 0, the
 * printable buffer) prints what it reads: keep it short.  Long and wrapping
 * lengths go with unreadable pointers.
 */
static u32 console_len(u32 ptr, u32 len)
{
	return ptr < 0x40000000 ? len & 63 : len;
}

static u32 random_arg(void)
{
	switch (below(8)) {
	case 0:
		return below(16);
	case 1:
		return 0u - below(4);
	case 2:
	case 3:
		return any_pointer();
	case 4:
		return 0x7FF0 + below(8);		/* DOMID_SELF ... */
	case 5:
		return safe(1u << below(32));
	default:
		return safe(rnd());
	}
}

static void fill_scratch(void)
{
	u32 i, off = below(SCRATCH_USE - 256), n = below(64);

	for (i = 0; i < n; i++)
		scratch[off + i] = below(4) ? (u8)below(8) : (u8)rnd();
}

/*
 * Rewrite a call so it cannot end, stop or corrupt the fuzzer (see the top).
 * Returns the op to issue.
 */
static u32 sanitize(u32 op, u32 a[5])
{
	switch (op) {
	case __HYPERVISOR_set_trap_table:
	case __HYPERVISOR_mmu_update:
	case __HYPERVISOR_set_gdt:
	case __HYPERVISOR_update_descriptor:
	case __HYPERVISOR_memory_op:
	case __HYPERVISOR_mmuext_op:
	case __HYPERVISOR_update_va_mapping_otherdomain:
	case __HYPERVISOR_grant_table_op:
	case __HYPERVISOR_physdev_op:
	case __HYPERVISOR_physdev_op_compat:
		/*
		 * They could remap or retype the fuzzer's own memory: only
		 * pointers where nothing is mapped (page 0 reads as zeros: a
		 * valid request).
		 */
		a[0] = unreadable_pointer();
		a[1] = below(2) ? unreadable_pointer() : a[1];
		a[2] = unreadable_pointer();
		break;
	case __HYPERVISOR_update_va_mapping:
		/*
		 * Never one of our pages; and a present PTE names a frame past
		 * RAM: mapping our own frames at an address we hand out as a
		 * pointer would let the hypervisor's writes reach them.
		 */
		a[0] = hostile_pointer();
		if (a[1] & 1)	/* present: a frame past RAM, to be refused */
			a[1] = (start_info->nr_pages + below(1u << 20)) << 12 | (a[1] & 0xFFF);
		break;
	case __HYPERVISOR_sched_op_compat:
		a[0] = SCHEDOP_yield;
		break;
	case __HYPERVISOR_sched_op:
		if (a[0] == SCHEDOP_block || a[0] == SCHEDOP_shutdown ||
		    a[0] == SCHEDOP_remote_shutdown || a[0] == SCHEDOP_watchdog ||
		    a[0] == SCHEDOP_poll)
			a[1] = unreadable_pointer();	/* fails before acting */
		if (a[0] == SCHEDOP_block)
			a[0] = SCHEDOP_yield;
		break;
	case __HYPERVISOR_iret:
		return __HYPERVISOR_xen_version;	/* would jump to a random frame */
	case __HYPERVISOR_console_io:
		/* Long writes only from hostile pointers: no floods of our memory. */
		if (a[0] == CONSOLEIO_write && a[2] < 0x40000000) {
			a[1] &= 63;
			a[2] = printable_pointer();
		}
		a[1] = console_len(a[2], a[1]);
		break;
	case __HYPERVISOR_vcpu_op:
		if (a[0] <= VCPUOP_down)		/* initialise, up, down */
			a[1] = 1 + below(40);	/* other vCPUs, which do not exist */
		break;
	case __HYPERVISOR_multicall:
		a[0] = unreadable_pointer();	/* lists: see fuzz_multicall() */
		break;
	default:
		break;
	}
	return op;
}

static u32 random_op(void)
{
	u32 r = below(100);

	if (r < 85)
		return below(40);
	if (r < 95)
		return 40 + below(24);
	return rnd();
}

static u32 counts[4];	/* 0, -EFAULT, -EINVAL/-ENOSYS, other */
static u32 total;

static void account(long ret)
{
	if (ret == 0)
		counts[0]++;
	else if (ret == -14)
		counts[1]++;
	else if (ret == -22 || ret == -38)
		counts[2]++;
	else
		counts[3]++;
	total++;
}

static void fuzz_one_hypercall(void)
{
	u32 a[5], i, op;

	for (i = 0; i < 5; i++)
		a[i] = random_arg();
	op = sanitize(random_op(), a);
	account(raw_hypercall(op, a[0], a[1], a[2], a[3], a[4]));
}

/* A list of sanitized entries; a few overwrite later ones; nested calls. */
static u32 mc_entries;

static void fuzz_multicall(void)
{
	u32 nr = 1 + below(ML_ENTRIES / 4), start, i, j, count, mode = below(4);
	struct multicall_entry *e;

	/* A huge count runs to the guard page: keep that stretch short. */
	start = mode == 0 ? ML_TOTAL - nr - below(8) : below(ML_ENTRIES - nr);
	mc_entries += nr;

	for (i = 0; i < nr; i++) {
		e = &ml[start + i];
		for (j = 0; j < 6; j++)
			e->args[j] = random_arg();
		e->op = sanitize(random_op(), e->args);
		e->result = rnd();
		switch (below(16)) {
		case 0:		/* overwrite a later entry with a version string */
			if (start + i + 4 >= ML_TOTAL)
				break;
			e->op = __HYPERVISOR_xen_version;
			e->args[0] = XENVER_extraversion;
			e->args[1] = (u32)&ml[start + i + 1 + below(3)];
			break;
		case 1:		/* nested: the same list, or part of it */
			e->op = __HYPERVISOR_multicall;
			e->args[0] = (u32)&ml[start];
			e->args[1] = below(2) ? nr : rnd();
			break;
		case 2:
			e->op = __HYPERVISOR_console_io;
			e->args[0] = CONSOLEIO_write;
			e->args[2] = hostile_pointer();
			e->args[1] = console_len(e->args[2], below(2) ? rnd() : 0u - below(64));
			break;
		}
	}
	/* Entries past the list are zero: set_trap_table(NULL). */
	memset(&ml[start + nr], 0, sizeof(ml[0]) * (ML_TOTAL - start - nr));
	switch (mode) {
	case 0:
		count = rnd();		/* huge: runs into the zero entries, then faults */
		break;
	case 1:
		count = 0;
		break;
	default:
		count = nr;
		break;
	}
	account(raw_hypercall(__HYPERVISOR_multicall,
			      /*
			       * Not misaligned: shifted entries would be
			       * unsanitized calls (tests/fuzz covers that).
			       */
			      below(8) ? (u32)&ml[start] : unreadable_pointer(),
			      count, 0, 0, 0));
}

/* console_io with huge, wrapping and page-crossing lengths. */
static void fuzz_console(void)
{
	u32 len, p = hostile_pointer();

	switch (below(4)) {
	case 0:
		len = 0u - below(4096);
		break;
	case 1:
		len = rnd();
		break;
	default:
		len = below(64);
		break;
	}
	/* From scratch: a page-crossing few bytes; else anything from hostile. */
	if (below(4))
		account(raw_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write,
				      console_len(p, len), p, 0, 0));
	else
		account(raw_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write,
				      len & 15, printable_pointer(), 0, 0));
}

void test_main(void)
{
	u32 seed = cmdline_uint(start_info->cmd_line, "seed", 1);
	u32 n = cmdline_uint(start_info->cmd_line, "n", 100000);
	u32 step = n / 10 ? n / 10 : 1, next = step;
	u64 t0;

	/* now_ns() reads shared_info; page 0 may be unmapped by the fuzzing. */
	map_shared_info();
	t0 = now_ns();

	rng_state = seed;
	memset(printable, '.', sizeof(printable));
	printable[PAGE_SIZE - 1] = '\n';
	test_plan(3);
	/* The guard page after the multicall lists (ours: a legitimate unmap). */
	CHECK_EQ(update_va_mapping((u32)mlarea.guard, 0, UVMF_INVLPG), 0, "fuzz_guard_unmapped");
	printf("fuzz: seed %u, %u hypercalls\n", seed, n);
	while (total < n) {
		switch (below(32)) {
		case 0:
			fuzz_multicall();
			break;
		case 1:
			fuzz_console();
			break;
		case 2:
			fill_scratch();
			break;
		default:
			fuzz_one_hypercall();
			break;
		}
		if (total >= next) {
			printf("fuzz: %u hypercalls\n", total);
			next += step;
		}
	}
	printf("fuzz: %u hypercalls (%u multicall entries) in %u ms: %u returned 0, %u -EFAULT, %u -EINVAL/-ENOSYS, %u other\n",
	       total, mc_entries, (u32)div64(now_ns() - t0, 1000000), counts[0], counts[1],
	       counts[2], counts[3]);
	CHECK(total >= n, "fuzz_ran_all_hypercalls");
	/* Still in ring 1 with the flat selectors: nothing took the fuzzer over. */
	CHECK_EQ(read_cs(), FLAT_RING1_CS, "fuzz_still_ring1");
	test_done();
}
