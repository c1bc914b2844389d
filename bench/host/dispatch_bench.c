// SPDX-License-Identifier: GPL-2.0
/*
 * Host microbenchmark of the arch-neutral core (module/{hypercall,gmem,
 * traps,multicall,events,trace}.c): the dispatcher's own path length, with
 * no VM exit around it.  Built like the unit tests (tests/unit: a fake
 * guest whose RAM is host memory, PAE tables mapping 0..4 MiB), but -O2 and
 * without sanitizers, so the figures resemble the module's code.
 *
 *   dispatch_bench CASE N   runs N operations of CASE inside bench_loop()
 *
 * Run it under `valgrind --tool=callgrind --collect-atstart=no
 * --toggle-collect=bench_loop`: the instructions counted, divided by the
 * operations, are deterministic (bench/host/Makefile does this).
 */
#include <stdlib.h>
#include "core.h"

#define RAM_FRAMES	2048u		/* 8 MiB */
#define L3_GPA		0x100000u
#define LIST_VA		0x220000u	/* multicall list */
#define ARG_VA		0x230000u	/* hypercall argument structs */
#define STACK_TOP	0x280000u	/* ring-1 stack */
#define SCRATCH_VA	0x300000u	/* PTEs rewritten by update_va_mapping */
#define HANDLER		0x00123450u
#define MC_MAX		32u
#define MMU_N		128u		/* mmu_update requests per call */
#define MMU_LIST_VA	0x224000u	/* two request lists, 0x800 bytes apart */

static struct pvmx_vm_core vm;
static struct pvmx_vcpu_core vcpu;
static struct pvmx_run run;
static void *frames[RAM_FRAMES + 1];
static struct pvmx_frame frame_table[RAM_FRAMES];
static u8 *ram;
static u16 data_segs[4] = { FLAT_RING1_DS, FLAT_RING1_DS, FLAT_RING1_DS, FLAT_RING1_DS };
static u64 fake_cycles;
static u32 ipi_port;

static void wr32(u32 gpa, u32 x) { memcpy(ram + gpa, &x, 4); }
static u32 rd32(u32 gpa) { u32 x; memcpy(&x, ram + gpa, 4); return x; }
static void set_pte(u64 table, unsigned int i, u64 val) { memcpy(ram + table + i * 8, &val, 8); }

/* ---- the hooks the core calls (see tests/unit/fixture.c) ------------------- */
#ifdef HAVE_pvmx_arch_flush_guest_tlb
void pvmx_arch_flush_guest_tlb(struct pvmx_vcpu_core *v, u32 gva, bool one) { (void)v; (void)gva; (void)one; }
#endif
#ifdef HAVE_pvmx_arch_preempt_pending
bool pvmx_arch_preempt_pending(struct pvmx_vcpu_core *v) { (void)v; return false; }
#endif
#ifdef HAVE_pvmx_arch_get_data_segs
void pvmx_arch_get_data_segs(struct pvmx_vcpu_core *v, u16 segs[4]) { (void)v; memcpy(segs, data_segs, sizeof(data_segs)); }
#endif
#ifdef HAVE_pvmx_arch_set_data_segs
void pvmx_arch_set_data_segs(struct pvmx_vcpu_core *v, const u16 segs[4]) { (void)v; memcpy(data_segs, segs, sizeof(data_segs)); }
#endif
#ifdef HAVE_pvmx_arch_set_fpu_ts
void pvmx_arch_set_fpu_ts(struct pvmx_vcpu_core *v, bool ts) { (void)v; (void)ts; }
#endif
#ifdef HAVE_pvmx_arch_traps_changed
void pvmx_arch_traps_changed(struct pvmx_vcpu_core *v) { (void)v; }
#endif
#ifdef HAVE_pvmx_arch_desc_changed
void pvmx_arch_desc_changed(struct pvmx_vcpu_core *v) { (void)v; }
#endif
#ifdef HAVE_pvmx_arch_load_baseptr
void pvmx_arch_load_baseptr(struct pvmx_vcpu_core *v) { (void)v; }
#endif
#ifdef HAVE_pvmx_arch_fill_hv_l2
void pvmx_arch_fill_hv_l2(struct pvmx_vm_core *vm, u64 *l2) { (void)vm; (void)l2; }
#endif
#ifdef HAVE_pvmx_arch_m2p_mfn
u32 pvmx_arch_m2p_mfn(struct pvmx_vm_core *vm, u32 page) { (void)vm; return 0xF0100u + page; }
#endif
#ifdef HAVE_pvmx_arch_read_host_msr
int pvmx_arch_read_host_msr(u32 msr, u64 *val) { (void)msr; *val = 0; return 0; }
#endif
#ifdef HAVE_pvmx_arch_load_context
void pvmx_arch_load_context(struct pvmx_vcpu_core *v, const u16 sregs[6], const void *fpu)
{
	(void)v; (void)sregs; (void)fpu;
}
#endif
#ifdef HAVE_pvmx_host_time
void pvmx_host_time(struct pvmx_time_sample *t)
{
	t->tsc = 3000000000ULL;
	t->ns = 1000000000ULL;
	t->tsc_to_system_mul = 0x55555555;
	t->tsc_shift = 0;
}
#endif
#ifdef HAVE_pvmx_host_now_ns
u64 pvmx_host_now_ns(void) { return 1000000000ULL; }
#endif
#ifdef HAVE_pvmx_host_set_timer
void pvmx_host_set_timer(struct pvmx_vcpu_core *v, u64 deadline_ns) { (void)v; (void)deadline_ns; }
#endif
#ifdef HAVE_pvmx_host_set_periodic
void pvmx_host_set_periodic(struct pvmx_vcpu_core *v, u64 period_ns) { (void)v; (void)period_ns; }
#endif
#ifdef HAVE_pvmx_host_kick
void pvmx_host_kick(struct pvmx_vcpu_core *v) { (void)v; }
#endif
#ifdef HAVE_pvmx_host_cycles
/* rdtsc in the module: one instruction; a counter here. */
u64 pvmx_host_cycles(void) { return ++fake_cycles; }
#endif
#ifdef HAVE_pvmx_host_lock_held
void pvmx_host_lock_held(u64 cycles) { (void)cycles; }
#endif
#ifdef HAVE_pvmx_host_tracing
/* No tracepoint consumer attached. */
bool pvmx_host_tracing(void) { return false; }
#endif
#ifdef HAVE_pvmx_host_tracepoint
void pvmx_host_tracepoint(struct pvmx_vcpu_core *v, const struct pvmx_trace_rec *r) { (void)v; (void)r; }
#endif

/* ---- the fake guest ---------------------------------------------------------- */

static void setup(void)
{
	u64 l2 = L3_GPA + 0x1000, l1 = L3_GPA + 0x5000;
	unsigned int i;

	ram = aligned_alloc(4096, (RAM_FRAMES + 1) * 4096ul);
	memset(ram, 0, (RAM_FRAMES + 1) * 4096ul);
	for (i = 0; i <= RAM_FRAMES; i++)
		frames[i] = ram + i * 4096ul;
	vm.mem.frames = frames;
	vm.mem.nr_ram_frames = RAM_FRAMES;
	vm.mem.nr_frames = RAM_FRAMES + 1;
	vm.shared_info_gfn = RAM_FRAMES;
	vm.shared_info = frames[RAM_FRAMES];
	for (i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
		vm.shared_info->vcpu_info[i].evtchn_upcall_mask = 1;
	vm.domid = 1;
	for (i = 0; i < 4; i++) {
		set_pte(L3_GPA, i, (l2 + i * 0x1000) | PVMX_PTE_P);
		vcpu.cpu.pdpte[i] = (l2 + i * 0x1000) | PVMX_PTE_P;
	}
	for (i = 0; i < 2; i++)
		set_pte(l2, i, (l1 + i * 0x1000) | 0x67);
	for (i = 0; i < 1024; i++)
		set_pte(l1, i, ((u64)i << 12) | 0x63);
	/* The page tables read-only, validated and pinned, as Xen's builder leaves them. */
	for (i = 0; i < 7; i++)
		set_pte(l1, (L3_GPA >> 12) + i, (L3_GPA + i * 0x1000) | 0x21);
	vm.frame_table = frame_table;
	vcpu.vm = &vm;
	vcpu.run = &run;
	vcpu.cpu.cr3 = L3_GPA;
	vcpu.cpu.eip = 0x1000;
	vcpu.cpu.cs = FLAT_RING1_CS;
	vcpu.cpu.ss = FLAT_RING1_SS;
	vcpu.cpu.eflags = 0x202;
	vcpu.cpu.gpr[PVMX_ESP] = STACK_TOP;
	vcpu.state = PVMX_VCPU_RUNNABLE;
	vm.vcpus[0] = &vcpu;
	pvmx_vcpu_events_init(&vcpu);
	if (pvmx_mm_boot_baseptr(&vcpu, L3_GPA))
		abort();
}

/* `int $0x82` at EIP 0x1000 with these registers, as the exit handler calls it. */
static enum pvmx_action hypercall(u32 op, u32 a1, u32 a2, u32 a3, u32 a4, u32 a5)
{
	unsigned long *gpr = vcpu.cpu.gpr;

	gpr[PVMX_EAX] = op;
	gpr[PVMX_EBX] = a1;
	gpr[PVMX_ECX] = a2;
	gpr[PVMX_EDX] = a3;
	gpr[PVMX_ESI] = a4;
	gpr[PVMX_EDI] = a5;
	vcpu.cpu.eip = 0x1000;
	return pvmx_hypercall(&vcpu, 2);
}

static void mc_fill(u32 i, u32 op, u32 a0, u32 a1, u32 a2, u32 a3)
{
	u32 e = LIST_VA + i * 32;

	wr32(e, op);
	wr32(e + 4, 0xAAAAAAAA);
	wr32(e + 8, a0);
	wr32(e + 12, a1);
	wr32(e + 16, a2);
	wr32(e + 20, a3);
	wr32(e + 24, 0);
	wr32(e + 28, 0);
}

/* The guest's iret stub: push %eax, then the iret hypercall. */
static void guest_iret(void)
{
	u32 esp = vcpu.cpu.gpr[PVMX_ESP] - 4;

	wr32(esp, vcpu.cpu.gpr[PVMX_EAX]);
	vcpu.cpu.gpr[PVMX_ESP] = esp;
	hypercall(__HYPERVISOR_iret, 0, 0, 0, 0, 0);
}

enum bench_case {
	NULL_HYPERCALL, MULTICALL_1, MULTICALL_32, UVM, MULTICALL_UVM_32,
	EVENT_SEND, EVENT_ROUNDTRIP, TRAP_PF_BOUNCE_IRET, ENTRY_IDLE, MMU_UPDATE_128,
	NR_CASES
};

static const struct {
	const char *name;
	u32 ops_per_iter;	/* divide by this for the per-op figure */
} cases[NR_CASES] = {
	[NULL_HYPERCALL]	= { "dispatch_null_hypercall", 1 },
	[MULTICALL_1]		= { "dispatch_multicall_1", 1 },
	[MULTICALL_32]		= { "dispatch_multicall_32_per_entry", 32 },
	[UVM]			= { "dispatch_update_va_mapping", 1 },
	[MULTICALL_UVM_32]	= { "dispatch_multicall_uvm_32_per_entry", 32 },
	[EVENT_SEND]		= { "dispatch_evtchn_send_masked", 1 },
	[EVENT_ROUNDTRIP]	= { "dispatch_event_send_upcall_iret", 1 },
	[TRAP_PF_BOUNCE_IRET]	= { "dispatch_pf_bounce_iret", 1 },
	[ENTRY_IDLE]		= { "dispatch_prepare_entry_idle", 1 },
	[MMU_UPDATE_128]	= { "dispatch_mmu_update_128_per_pte", MMU_N },
};

static void prepare(enum bench_case c)
{
	struct xen_vcpu_info *vi = &vm.shared_info->vcpu_info[0];
	u32 i;

	switch (c) {
	case MULTICALL_1:
	case MULTICALL_32:
		for (i = 0; i < MC_MAX; i++)
			mc_fill(i, __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0);
		break;
	case MULTICALL_UVM_32:
		for (i = 0; i < MC_MAX; i++)
			mc_fill(i, __HYPERVISOR_update_va_mapping, SCRATCH_VA + i * 4096,
				(SCRATCH_VA + i * 4096) | 0x63, 0, 2);
		break;
	case MMU_UPDATE_128:
		/*
		 * The L1 entries of SCRATCH_VA's pages: one list makes them
		 * read-only, the other writable again (so every request changes
		 * an entry, as the rig's bench does).
		 */
		for (i = 0; i < MMU_N; i++) {
			u64 ptr = L3_GPA + 0x5000 + ((SCRATCH_VA >> 12) + i) * 8;
			u64 va = SCRATCH_VA + i * 4096;

			set_pte(MMU_LIST_VA, 2 * i, ptr);
			set_pte(MMU_LIST_VA, 2 * i + 1, va | 0x61);
			set_pte(MMU_LIST_VA + 0x800, 2 * i, ptr);
			set_pte(MMU_LIST_VA + 0x800, 2 * i + 1, va | 0x63);
		}
		break;
	case EVENT_SEND:
	case EVENT_ROUNDTRIP:
		wr32(ARG_VA, 0);			/* bind_ipi { vcpu 0, port } */
		hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, ARG_VA, 0, 0, 0);
		ipi_port = rd32(ARG_VA + 4);
		wr32(ARG_VA + 16, ipi_port);		/* send { port } */
		hypercall(__HYPERVISOR_set_callbacks, FLAT_RING1_CS, HANDLER,
			  FLAT_RING1_CS, HANDLER + 0x10, 0);
		vi->evtchn_upcall_mask = c == EVENT_SEND;
		break;
	case TRAP_PF_BOUNCE_IRET:
		wr32(ARG_VA, 14 | (0 << 8) | (FLAT_RING1_CS << 16));	/* trap_info */
		wr32(ARG_VA + 4, HANDLER);
		wr32(ARG_VA + 8, 0);
		wr32(ARG_VA + 12, 0);
		hypercall(__HYPERVISOR_set_trap_table, ARG_VA, 0, 0, 0, 0);
		break;
	default:
		break;
	}
}

static void one(enum bench_case c)
{
	struct xen_shared_info *si = vm.shared_info;
	struct xen_vcpu_info *vi = &si->vcpu_info[0];

	switch (c) {
	case NULL_HYPERCALL:
		hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
		break;
	case MULTICALL_1:
		hypercall(__HYPERVISOR_multicall, LIST_VA, 1, 0, 0, 0);
		break;
	case MULTICALL_32:
	case MULTICALL_UVM_32:
		hypercall(__HYPERVISOR_multicall, LIST_VA, MC_MAX, 0, 0, 0);
		break;
	case UVM:
		hypercall(__HYPERVISOR_update_va_mapping, SCRATCH_VA, SCRATCH_VA | 0x63, 0, 2, 0);
		break;
	case EVENT_SEND:
		hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, ARG_VA + 16, 0, 0, 0);
		/* What the guest's handler would do. */
		si->evtchn_pending[ipi_port / 32] = 0;
		vi->evtchn_pending_sel = 0;
		vi->evtchn_upcall_pending = 0;
		break;
	case EVENT_ROUNDTRIP:
		/* send; the run loop's pvmx_prepare_entry() bounces the upcall; iret. */
		hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, ARG_VA + 16, 0, 0, 0);
		pvmx_prepare_entry(&vcpu);
		si->evtchn_pending[ipi_port / 32] = 0;
		vi->evtchn_pending_sel = 0;
		vi->evtchn_upcall_pending = 0;
		guest_iret();
		break;
	case MMU_UPDATE_128: {
		static u32 flip;

		hypercall(__HYPERVISOR_mmu_update, MMU_LIST_VA + (flip ^= 0x800), MMU_N, 0,
			  DOMID_SELF, 0);
		if (vcpu.cpu.gpr[PVMX_EAX])
			abort();	/* every request must have been applied */
		break;
	}
	case ENTRY_IDLE:
		/* What every exit pays before the next entry when nothing is pending. */
		pvmx_prepare_entry(&vcpu);
		break;
	case TRAP_PF_BOUNCE_IRET:
		/* The exit handler's #PF path: cr2, then the bounce; the handler drops the error code. */
		vcpu.cpu.eip = 0x2000;
		WRITE_ONCE(vi->cr2, 0x40000000);
		pvmx_deliver_exception(&vcpu, 14, true, 2);
		vcpu.cpu.gpr[PVMX_ESP] += 4;
		guest_iret();
		break;
	default:
		break;
	}
}

/* Everything callgrind counts (--toggle-collect=bench_loop). */
__attribute__((noinline)) void bench_loop(enum bench_case c, unsigned long n);
__attribute__((noinline)) void bench_loop(enum bench_case c, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		one(c);
}

int main(int argc, char **argv)
{
	unsigned long n;
	int c;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (c = 0; c < NR_CASES; c++)
			printf("%s %u\n", cases[c].name, cases[c].ops_per_iter);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: dispatch_bench --list | CASE N\n");
		return 2;
	}
	for (c = 0; c < NR_CASES; c++)
		if (!strcmp(argv[1], cases[c].name))
			break;
	if (c == NR_CASES) {
		fprintf(stderr, "dispatch_bench: unknown case %s\n", argv[1]);
		return 2;
	}
	n = strtoul(argv[2], NULL, 0);
	setup();
	prepare(c);
	one(c);					/* warm up, and check it works */
	if (vcpu.state != PVMX_VCPU_RUNNABLE) {
		fprintf(stderr, "dispatch_bench: %s: the guest stopped: %s\n", argv[1],
			run.crash.reason);
		return 1;
	}
	bench_loop(c, n);
	if (vcpu.state != PVMX_VCPU_RUNNABLE || vcpu.cpu.gpr[PVMX_ESP] != STACK_TOP) {
		fprintf(stderr, "dispatch_bench: %s: bad state after the loop (esp %lx): %s\n",
			argv[1], vcpu.cpu.gpr[PVMX_ESP], run.crash.reason);
		return 1;
	}
	return 0;
}
