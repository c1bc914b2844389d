// SPDX-License-Identifier: GPL-2.0
/*
 * pvmx benchmark guest: rdtsc microbenchmarks of the paths a PV guest pays
 * for, in the shape of kvm-unit-tests x86/vmexit.c.  Each case runs a loop
 * of `iters` operations between two fenced rdtsc reads, repeats that
 * `reps` times (after one warm-up round) and prints the median cost per
 * operation and the spread of the repetitions (nearest-rank quartiles):
 *
 *	<name> <median> <min> <q1> <q3> <max>
 *
 * Lines starting with '#' are comments.  Under Bochs the TSC counts
 * emulated instructions, so the figures are path lengths; on real VT-x they
 * are cycles.  See Documentation/benchmarks.rst.
 *
 * Command line (pvmx run --cmdline): iters=N (default 64) reps=R (11).
 *
 * Only the base of the test-guest runtime (selftests/guests: start-up,
 * hypercall page, printf) and the Xen layouts (<pvmx/xen_abi.h>) are used;
 * everything else here has a bn_ prefix so the guest does not depend on the
 * runtime's trap and event helpers.
 */
#include "runtime.h"

#define BN_MAX_BATCH	128
#define BN_MAX_REPS	31
#define PTE_KERNEL_RW	0x63u	/* P | RW | A | D */
#define PTE_USER_RW	0x67u	/* P | RW | US | A | D */

static u32 iters = 64, reps = 11;

/* ---- timing ------------------------------------------------------------- */

static inline u64 bn_tsc(void)
{
	u32 lo, hi;

	asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((u64)hi << 32) | lo;
}

/* u64 / u32 without libgcc (__udivdi3): shift and subtract. */
static u64 bn_div(u64 n, u32 d)
{
	u64 q = 0, r = 0;
	int i;

	for (i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ULL << i;
		}
	}
	return q;
}

/* Cost per op in tenths of a cycle. */
static u32 per_op_x10(u64 cycles, u32 ops)
{
	return (u32)bn_div(cycles * 10 + ops / 2, ops);
}

/* The last measure()'s min, first quartile, third quartile and max (x10). */
static u32 spread[4];

static u32 median(u32 *v, u32 n)
{
	u32 i, j, x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	spread[0] = v[0];
	spread[1] = v[(n + 3) / 4 - 1];
	spread[2] = v[(3 * n + 3) / 4 - 1];
	spread[3] = v[n - 1];
	return v[n / 2];
}

/* The last measurement, median x10 and its spread, both times k. */
static void print_scaled(const char *name, u32 x10, u32 k)
{
	u32 i, v;

	printf("%s %u.%u", name, x10 * k / 10, x10 * k % 10);
	for (i = 0; i < 4; i++) {
		v = spread[i] * k;
		printf(" %u.%u", v / 10, v % 10);
	}
	printf("\n");
}

static void print_x10(const char *name, u32 x10)
{
	print_scaled(name, x10, 1);
}

/*
 * Run fn(loops) reps times after a warm-up; each returns the cycles of
 * `loops` iterations of `per_loop` ops.  Returns the median per op, x10.
 */
static u32 measure(u64 (*fn)(u32 loops, u32 arg), u32 arg, u32 loops, u32 per_loop)
{
	u32 v[BN_MAX_REPS], r;

	fn(loops, arg);
	for (r = 0; r < reps; r++)
		v[r] = per_op_x10(fn(loops, arg), loops * per_loop);
	return median(v, reps);
}

/* Loop count for a batch of n ops: about 4*iters ops per round, at least 4 loops. */
static u32 batch_loops(u32 n)
{
	u32 l = 4 * iters / n;

	return l < 4 ? 4 : l;
}

/* ---- hypercalls --------------------------------------------------------- */

static inline long bn_hypercall(u32 nr, u32 a1, u32 a2, u32 a3, u32 a4)
{
	return hypercall(nr, a1, a2, a3, a4, 0);
}

static long bn_update_va_mapping(u32 va, u64 pte, u32 flags)
{
	return bn_hypercall(__HYPERVISOR_update_va_mapping, va, (u32)pte, (u32)(pte >> 32), flags);
}

/* ---- cpuid, null hypercalls --------------------------------------------- */

static u64 b_cpuid(u32 n, u32 arg)
{
	u64 t0 = bn_tsc();
	u32 i;

	(void)arg;
	for (i = 0; i < n; i++) {
		u32 a = 0, b, c = 0, d;

		asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
	}
	return bn_tsc() - t0;
}

/*
 * CPUID faulting (MSR_INTEL_MISC_FEATURES_ENABLES bit 0) on or off from
 * ring 1, where CPUID still works with it on, if MSR_PLATFORM_INFO offers
 * it (as Linux's check_cpuid_faulting() asks).  pvmx's fast exit leaves a
 * faulting guest's CPUID to the full exit path, so cpuid_full measures a
 * bare exit through the path every hypercall takes.
 */
static int bn_cpuid_faulting(u32 on)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xCEu));
	if (!(lo & (1u << 31)))
		return 0;
	asm volatile("wrmsr" : : "c"(0x140u), "a"(on), "d"(0u) : "memory");
	return 1;
}

static u64 b_hc_page(u32 n, u32 arg)
{
	u64 t0 = bn_tsc();
	u32 i;

	(void)arg;
	for (i = 0; i < n; i++)
		hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	return bn_tsc() - t0;
}

static u64 b_hc_int82(u32 n, u32 arg)
{
	u64 t0 = bn_tsc();
	u32 i;

	(void)arg;
	for (i = 0; i < n; i++)
		raw_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	return bn_tsc() - t0;
}

/* ---- multicall ----------------------------------------------------------- */

static struct xen_multicall_entry mc_list[BN_MAX_BATCH];

static void mc_fill(u32 i, u32 op, u32 a0, u32 a1, u32 a2, u32 a3)
{
	struct xen_multicall_entry *e = &mc_list[i];

	e->op = op;
	e->result = 0xAAAAAAAA;
	e->args[0] = a0, e->args[1] = a1, e->args[2] = a2, e->args[3] = a3;
	e->args[4] = e->args[5] = 0;
}

static u64 b_multicall(u32 n, u32 nr)
{
	u64 t0 = bn_tsc();
	u32 i;

	for (i = 0; i < n; i++)
		bn_hypercall(__HYPERVISOR_multicall, (u32)mc_list, nr, 0, 0);
	return bn_tsc() - t0;
}

/* ---- page-table updates --------------------------------------------------- */

static u8 scratch[BN_MAX_BATCH][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u64 scratch_pte[BN_MAX_BATCH];
static struct mmu_update mmu_req[BN_MAX_BATCH];

static u64 b_pte_uvm(u32 n, u32 nr)
{
	u64 t0 = bn_tsc();
	u32 i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < nr; j++)
			bn_update_va_mapping((u32)scratch[j], scratch_pte[j], UVMF_INVLPG);
	return bn_tsc() - t0;
}

static u64 b_mmu_update(u32 n, u32 nr)
{
	u64 t0 = bn_tsc();
	u32 i;

	for (i = 0; i < n; i++)
		bn_hypercall(__HYPERVISOR_mmu_update, (u32)mmu_req, nr, 0, DOMID_SELF);
	return bn_tsc() - t0;
}

/* Machine address of the L1 entry mapping va (the tables are mapped read-only). */
static u64 l1e_maddr(u32 va)
{
	const u64 *l3 = (const u64 *)start_info->pt_base;
	const u64 *l2;
	u32 l2va;
	u64 l2e;

	l2va = (u32)mfn_to_va((l3[va >> 30] & 0x000FFFFFFFFFF000ULL) >> 12);
	l2 = (const u64 *)l2va;
	l2e = l2[(va >> 21) & 511];
	if (!(l2e & 1) || (l2e & 0x80))
		return 0;
	return (l2e & 0x000FFFFFFFFFF000ULL) + ((va >> 12) & 511) * 8;
}

static void bench_pte(void)
{
	static const u32 sizes[] = { 1, 8, 32, 128 };
	char name[40];
	u32 s, j, nr;
	long r;
	int mmu_ok = 0;

	for (j = 0; j < BN_MAX_BATCH; j++) {
		scratch[j][0] = (u8)j;
		scratch_pte[j] = ((u64)va_to_mfn(scratch[j]) << 12) | PTE_KERNEL_RW;
	}
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		nr = sizes[s];
		snprintf(name, sizeof(name), "pte_uvm_%u", nr);
		print_x10(name, measure(b_pte_uvm, nr, batch_loops(nr), nr));
	}
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		nr = sizes[s];
		for (j = 0; j < nr; j++)
			mc_fill(j, __HYPERVISOR_update_va_mapping, (u32)scratch[j],
				(u32)scratch_pte[j], (u32)(scratch_pte[j] >> 32), UVMF_INVLPG);
		snprintf(name, sizeof(name), "pte_mc_%u", nr);
		print_x10(name, measure(b_multicall, nr, batch_loops(nr), nr));
		for (j = 0; j < nr; j++)
			if (mc_list[j].result) {
				printf("# pte_mc_%u: entry %u result %d\n", nr, j, (int)mc_list[j].result);
				break;
			}
	}

	/* mmu_update: probe with one real request (rewrite scratch[0]'s PTE). */
	for (j = 0; j < BN_MAX_BATCH; j++) {
		u64 ma = l1e_maddr((u32)scratch[j]);

		mmu_req[j].ptr = ma;	/* MMU_NORMAL_PT_UPDATE: low bits 0 */
		mmu_req[j].val = scratch_pte[j];
		if (!ma) {
			printf("# pte_mmu_update skipped: no L1 entry found for scratch page %u\n", j);
			return;
		}
	}
	r = bn_hypercall(__HYPERVISOR_mmu_update, (u32)mmu_req, 1, 0, DOMID_SELF);
	if (r == -XEN_ENOSYS)
		printf("# pte_mmu_update skipped: mmu_update not implemented (-ENOSYS)\n");
	else if (r)
		printf("# pte_mmu_update skipped: mmu_update returned %d\n", (int)r);
	else
		mmu_ok = 1;
	if (!mmu_ok)
		return;
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		nr = sizes[s];
		snprintf(name, sizeof(name), "pte_mmu_update_%u", nr);
		print_x10(name, measure(b_mmu_update, nr, batch_loops(nr), nr));
	}
	/* mmu_update does not flush: drop stale translations of the scratch pages. */
	for (j = 0; j < BN_MAX_BATCH; j++)
		bn_update_va_mapping((u32)scratch[j], scratch_pte[j], UVMF_INVLPG);
}

/* ---- events ---------------------------------------------------------------- */

static u8 shinfo_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static struct xen_shared_info *shinfo;
static volatile u32 ev_count;
static u32 ev_port;

void bn_event_c(void);
void bn_event_c(void)
{
	struct xen_vcpu_info *vi = &shinfo->vcpu_info[0];

	vi->evtchn_upcall_pending = 0;
	__atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	__atomic_fetch_and(&shinfo->evtchn_pending[ev_port / 32], ~(1u << (ev_port % 32)),
			   __ATOMIC_SEQ_CST);
	ev_count++;
}

/*
 * Event upcall (ring 1, frame EIP CS EFLAGS): handle, then return with the
 * iret hypercall, whose EFLAGS.IF=1 unmasks events again.  The failsafe
 * callback is never expected; it just shuts the guest down.
 */
extern u8 bn_event_entry[], bn_failsafe_entry[];
asm(".text\n"
    "bn_event_entry:\n"
    "	push %eax\n	push %ecx\n	push %edx\n"
    "	cld\n	call bn_event_c\n"
    "	pop %edx\n	pop %ecx\n	pop %eax\n"
    "	jmp hypercall_page + 23 * 32\n"
    "bn_failsafe_entry:\n"
    "	ud2\n");

static u64 b_event(u32 n, u32 port)
{
	u64 t0 = bn_tsc();
	u32 i, p;

	for (i = 0; i < n; i++) {
		p = port;
		bn_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (u32)&p, 0, 0);
	}
	return bn_tsc() - t0;
}

static void bench_event(void)
{
	struct evtchn_bind_ipi ipi = { 0, 0 };
	u32 before;
	long r;

	r = bn_update_va_mapping((u32)shinfo_page, (u64)start_info->shared_info | PTE_KERNEL_RW,
				 UVMF_INVLPG);
	if (r) {
		printf("# event_roundtrip skipped: mapping shared_info failed (%d)\n", (int)r);
		return;
	}
	shinfo = (struct xen_shared_info *)shinfo_page;
	r = bn_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, (u32)&ipi, 0, 0);
	if (r) {
		printf("# event_roundtrip skipped: bind_ipi returned %d\n", (int)r);
		return;
	}
	ev_port = ipi.port;
	r = bn_hypercall(__HYPERVISOR_set_callbacks, FLAT_RING1_CS, (u32)bn_event_entry,
			 FLAT_RING1_CS, (u32)bn_failsafe_entry);
	if (r) {
		printf("# event_roundtrip skipped: set_callbacks returned %d\n", (int)r);
		return;
	}
	__atomic_fetch_and(&shinfo->evtchn_mask[ev_port / 32], ~(1u << (ev_port % 32)),
			   __ATOMIC_SEQ_CST);
	before = ev_count;
	*(volatile u8 *)&shinfo->vcpu_info[0].evtchn_upcall_mask = 0;
	print_x10("event_roundtrip", measure(b_event, ev_port, iters, 1));
	*(volatile u8 *)&shinfo->vcpu_info[0].evtchn_upcall_mask = 1;
	if (ev_count - before != iters * (reps + 1))
		printf("# event_roundtrip: %u upcalls for %u sends\n", ev_count - before,
		       iters * (reps + 1));
}

/* ---- traps ----------------------------------------------------------------- */

/* A page unmapped for the #PF cases. */
static u8 pf_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* Ring-3 arguments and results: [0] loops [1] kind (0 #PF, 1 int80) [2..3] t0 [4..5] t1. */
volatile u32 bn_uargs[PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));
static u8 user_stack[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static u8 kstack[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
u32 bn_r3_saved_esp;
extern u8 user_text_start[], user_text_end[];
extern u8 bn_pf_entry[], bn_ud_entry[], bn_int80_entry[], bn_user_entry[], bn_r3_exit[];

/*
 * #PF: the faulting instruction is always the 5-byte `mov pf_page, %eax`
 * (A1 imm32): skip it, drop the error code, iret.  int $0x80: a hardware
 * iret at once, as PV kernels return to user mode when events stay
 * unmasked (the frame's EIP is already after the int; a saved mask in the
 * CS word's high bits is ignored by iret).  #UD (the ring-3 loop's ud2):
 * return to ring 1 at bn_r3_exit.
 */
asm(".text\n"
    "bn_pf_entry:\n"
    "	addl $5, 4(%esp)\n"
    "	add $4, %esp\n"
    "	jmp hypercall_page + 23 * 32\n"
    "bn_int80_entry:\n"
    "	iret\n"
    "bn_ud_entry:\n"
    "	movl $bn_r3_exit, 0(%esp)\n"
    "	movl $0xE019, 4(%esp)\n"
    "	jmp hypercall_page + 23 * 32\n");

#define PF_INSN	".byte 0xa1; .long pf_page\n"

/* Ring 3: [1] == 0: loops x #PF, else loops x int $0x80, timed; then ud2. */
asm(".pushsection .user_text, \"ax\"\n"
    "bn_user_entry:\n"
    "	mov bn_uargs, %esi\n"
    "	cmpl $0, bn_uargs + 4\n"
    "	jne 3f\n"
    "	lfence\n	rdtsc\n	lfence\n"
    "	mov %eax, bn_uargs + 8\n	mov %edx, bn_uargs + 12\n"
    "1:	" PF_INSN
    "	dec %esi\n	jnz 1b\n"
    "	jmp 5f\n"
    "3:	lfence\n	rdtsc\n	lfence\n"
    "	mov %eax, bn_uargs + 8\n	mov %edx, bn_uargs + 12\n"
    "4:	int $0x80\n"
    "	dec %esi\n	jnz 4b\n"
    "5:	lfence\n	rdtsc\n	lfence\n"
    "	mov %eax, bn_uargs + 16\n	mov %edx, bn_uargs + 20\n"
    "	ud2\n"
    ".popsection\n");

/* Hardware iret to ring 3 at bn_user_entry; comes back at bn_r3_exit. */
void bn_enter_ring3(void);
asm(".text\n"
    "bn_enter_ring3:\n"
    "	push %ebp\n	push %ebx\n	push %esi\n	push %edi\n"
    "	mov %esp, bn_r3_saved_esp\n"
    "	mov $0xE033, %eax\n	mov %eax, %ds\n	mov %eax, %es\n"
    "	push $0xE033\n	push $user_stack + 4096\n	push $0x202\n"
    "	push $0xE02B\n	push $bn_user_entry\n"
    "	iret\n"
    "bn_r3_exit:\n"
    "	mov bn_r3_saved_esp, %esp\n"
    "	mov $0xE021, %eax\n	mov %eax, %ds\n	mov %eax, %es\n"
    "	pop %edi\n	pop %esi\n	pop %ebx\n	pop %ebp\n"
    "	ret\n");

static u64 b_pf_ring1(u32 n, u32 arg)
{
	u64 t0 = bn_tsc();
	u32 i;

	(void)arg;
	for (i = 0; i < n; i++)
		asm volatile(PF_INSN : : : "eax", "memory");
	return bn_tsc() - t0;
}

static u64 b_ring3(u32 n, u32 kind)
{
	bn_uargs[0] = n;
	bn_uargs[1] = kind;
	bn_enter_ring3();
	return ((((u64)bn_uargs[5] << 32) | bn_uargs[4]) -
		(((u64)bn_uargs[3] << 32) | bn_uargs[2]));
}

static int map_user(u32 va)
{
	u64 pte = ((u64)va_to_mfn((void *)va) << 12) | PTE_USER_RW;

	return bn_update_va_mapping(va, pte, UVMF_INVLPG) == 0;
}

static void bench_traps(void)
{
	static struct xen_trap_info table[] = {
		{ 6, 0, FLAT_RING1_CS, 0 },
		{ 14, 0, FLAT_RING1_CS, 0 },
		{ 0x80, 3, FLAT_RING1_CS, 0 },
		{ 0, 0, 0, 0 },
	};
	u32 va;
	long r;
	int ok = 1;

	table[0].address = (u32)bn_ud_entry;
	table[1].address = (u32)bn_pf_entry;
	table[2].address = (u32)bn_int80_entry;
	r = bn_hypercall(__HYPERVISOR_set_trap_table, (u32)table, 0, 0, 0);
	if (r) {
		printf("# traps skipped: set_trap_table returned %d\n", (int)r);
		return;
	}
	r = bn_update_va_mapping((u32)pf_page, 0, UVMF_INVLPG);
	if (r) {
		printf("# traps skipped: unmapping the #PF page returned %d\n", (int)r);
		return;
	}
	print_x10("trap_pf_ring1", measure(b_pf_ring1, 0, iters, 1));

	for (va = (u32)user_text_start; va < (u32)user_text_end; va += PAGE_SIZE)
		ok &= map_user(va);
	ok &= map_user((u32)user_stack) && map_user((u32)bn_uargs);
	r = bn_hypercall(__HYPERVISOR_stack_switch, FLAT_RING1_SS,
			 (u32)kstack + sizeof(kstack), 0, 0);
	if (!ok || r) {
		printf("# ring-3 traps skipped: user mappings %s, stack_switch %d\n",
		       ok ? "ok" : "failed", (int)r);
		return;
	}
	/*
	 * User mode normally runs with events unmasked: measure there, and
	 * int $0x80 once more with events masked (with --fast-int80 the stub
	 * then writes mask 1 into the frame; without it pvmx reflects both).
	 */
	if (shinfo) {
		*(volatile u8 *)&shinfo->vcpu_info[0].evtchn_upcall_mask = 0;
		hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
	}
	print_x10("trap_pf_ring3", measure(b_ring3, 0, iters, 1));
	print_x10("trap_int80_ring3", measure(b_ring3, 1, iters, 1));
	if (shinfo) {
		*(volatile u8 *)&shinfo->vcpu_info[0].evtchn_upcall_mask = 1;
		hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
		print_x10("trap_int80_ring3_masked", measure(b_ring3, 1, iters, 1));
	}
	bn_update_va_mapping((u32)pf_page, ((u64)va_to_mfn(pf_page) << 12) | PTE_KERNEL_RW,
			     UVMF_INVLPG);
}

/* ---- main -------------------------------------------------------------------- */

void test_main(void)
{
	static const u32 mc_sizes[] = { 1, 2, 4, 8, 16, 32, 64, 128 };
	u32 s, j, nr, x10;
	char name[40];

	iters = cmdline_uint(start_info->cmd_line, "iters", iters);
	reps = cmdline_uint(start_info->cmd_line, "reps", reps);
	if (iters < 1)
		iters = 1;
	if (reps < 1 || reps > BN_MAX_REPS)
		reps = 11;
	printf("# pvmx bench: iters=%u reps=%u (per op: median min q1 q3 max of the reps; TSC ticks)\n",
	       iters, reps);

	print_x10("cpuid", measure(b_cpuid, 0, iters, 1));
	if (bn_cpuid_faulting(1)) {
		print_x10("cpuid_full", measure(b_cpuid, 0, iters, 1));
		bn_cpuid_faulting(0);
	}
	print_x10("hypercall_page", measure(b_hc_page, 0, iters, 1));
	print_x10("hypercall_int82", measure(b_hc_int82, 0, iters, 1));

	for (s = 0; s < ARRAY_SIZE(mc_sizes); s++) {
		nr = mc_sizes[s];
		for (j = 0; j < nr; j++)
			mc_fill(j, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0);
		x10 = measure(b_multicall, nr, batch_loops(nr), nr);
		snprintf(name, sizeof(name), "multicall_%u", nr);
		print_x10(name, x10);
		snprintf(name, sizeof(name), "multicall_batch_%u", nr);
		print_scaled(name, x10, nr);
		if (mc_list[0].result != ((4u << 16) | 19u) && (long)mc_list[0].result < 0)
			printf("# multicall_%u: entry result %d\n", nr, (int)mc_list[0].result);
	}

	bench_pte();
	bench_event();
	bench_traps();
	printf("# pvmx bench: done\n");
	shutdown(SHUTDOWN_poweroff);
}
