// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer targets of the arch-neutral core: a hostile guest, built from the
 * fuzzer's input, driving the core the way the x86 back end does (hypercalls,
 * exceptions, `int n`, events raised from outside, time passing, guest stores
 * into its own memory and page tables between traps).
 *
 * One source, three targets (FUZZ_TARGET, see Makefile):
 *   dispatch   any hypercall number with any arguments
 *   multicall  multicall lists: nested, huge, self-modifying, preempted
 *   evtchn     event-channel, poll/block, timer and vcpu_op traffic
 * They differ only in how the input's bytes are biased into calls.
 *
 * The guest is tests/unit/fixture.c's (8 MiB of RAM, PAE tables mapping the
 * low 4 MiB 1:1), rebuilt for every input so a crash reproduces from the
 * input alone.  Beyond ASan/UBSan the driver checks what must hold whatever
 * the guest does: the vCPU never reaches ring 0 or VM86, and a continuation
 * always finishes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fixture.h"

#define FUZZ_DISPATCH	1
#define FUZZ_MULTICALL	2
#define FUZZ_EVTCHN	3

#ifndef FUZZ_TARGET
#define FUZZ_TARGET	FUZZ_DISPATCH
#endif

/* Where the guest's `int $0x82` is, and a scratch area for arguments. */
#define HCALL_EIP	0x1000u
#define SCRATCH_VA	0x2000u		/* 0x2000..0x9fff, identity-mapped RW */
#define SCRATCH_BYTES	0x8000u
#define MAX_STEPS	96
/*
 * Continuations re-issued per input.  A guest may legitimately spin for long
 * (console_io of 4 GiB, a multicall of 2^32 entries: preemption bounds each
 * trap, not the loop), so past this the input just ends: it is the fuzzer's
 * time, not a bug.
 */
#define MAX_RESTARTS	2000

static unsigned int restarts;

struct input {
	const u8 *p;
	size_t left;
};

static u8 in_u8(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static u16 in_u16(struct input *in)
{
	return in_u8(in) | (u16)in_u8(in) << 8;
}

static u32 in_u32(struct input *in)
{
	return in_u16(in) | (u32)in_u16(in) << 16;
}

/* A guest pointer: mostly somewhere interesting, sometimes anything. */
static u32 in_pointer(struct input *in)
{
	u8 kind = in_u8(in);
	u32 off = in_u16(in);

	switch (kind % 10) {
	case 0:
	case 1:
	case 2:
		return SCRATCH_VA + off % SCRATCH_BYTES;
	case 3:		/* the page tables themselves (0x100000..0x106fff) */
		return FX_L3_GPA + off % 0x7000;
	case 4:
		return FX_RO_VA + (off & 0xFFF);
	case 5:		/* a page boundary, a few bytes before it */
		return ((in_u8(in) % 1024u) << 12) - (off & 0x3F);
	case 6:
		return FX_UNMAPPED_VA + off;
	case 7:		/* the hypervisor hole and the top of the address space */
		return XEN_HYPERVISOR_VIRT_START + (in_u32(in) % (0u - XEN_HYPERVISOR_VIRT_START));
	case 8:
		return FX_BIGPAGE_VA + (in_u32(in) & 0x1FFFFF);
	default:
		return in_u32(in);
	}
}

/* A hypercall argument: small numbers, pointers, lengths near the limits. */
static u32 in_arg(struct input *in)
{
	u8 kind = in_u8(in);

	switch (kind % 8) {
	case 0:
	case 1:
		return kind >> 3;
	case 2:
	case 3:
		return in_pointer(in);
	case 4:
		return 0u - (in_u8(in) % 4);	/* -1, -2, ... and 0 */
	case 5:
		return in_u16(in);
	case 6:
		return 0x7FF0 + (kind >> 4);	/* DOMID_SELF and friends */
	default:
		return in_u32(in);
	}
}

static u32 in_hypercall_op(struct input *in)
{
	u8 b = in_u8(in);

	if (b < 0xF0)
		return b % 40;
	return in_u32(in);
}

/* The guest writes bytes of the input into its memory (by guest-physical address). */
static void guest_store(struct input *in, u64 gpa)
{
	u32 len = in_u8(in) % 65;

	while (len-- && in->left) {
		if (gpa >= (u64)FX_RAM_FRAMES * PVMX_PAGE_BYTES)
			return;
		*fx_gpa(gpa++) = in_u8(in);
	}
}

/* Small structured words (ports, VIRQs, vCPU ids, domids) into scratch. */
static void guest_store_words(struct input *in, u32 va)
{
	u32 n = in_u8(in) % 16, w;

	va %= SCRATCH_BYTES - 64;
	while (n--) {
		u8 k = in_u8(in);

		w = k & 0x80 ? in_arg(in) : (u32)(k % 40);
		memcpy(fx_gpa(SCRATCH_VA + va), &w, 4);
		va += 4;
	}
}

static void check_invariants(void)
{
	if (fx.v.state != PVMX_VCPU_RUNNABLE)
		return;
	if (!(fx.v.cpu.cs & 3) || !(fx.v.cpu.ss & 3)) {
		fprintf(stderr, "fuzz: guest reached ring 0: cs %04x ss %04x eip %08x\n",
			fx.v.cpu.cs, fx.v.cpu.ss, fx.v.cpu.eip);
		abort();
	}
	if (fx.v.cpu.eflags & (PVMX_EFLAGS_VM | PVMX_EFLAGS_IOPL)) {
		fprintf(stderr, "fuzz: guest EFLAGS %08x has VM or IOPL\n", fx.v.cpu.eflags);
		abort();
	}
}

/* What the back end does with an action (x86/run.c run_stretch / pvmx_vmx_run). */
static void handle_action(enum pvmx_action act)
{
	check_invariants();
	switch (act) {
	case PVMX_EXIT_TO_USER:
		/* The launcher consumed the exit (console, notify, trace); run again. */
		fx.run.exit_reason = PVMX_EXIT_NONE;
		break;
	case PVMX_BLOCK:
		if (!pvmx_vcpu_should_wake(&fx.v)) {
			/* Sleep until the timer (or a while), as the host would. */
			fx.now_ns = fx.timer_deadline > fx.now_ns ? fx.timer_deadline
								 : fx.now_ns + 1000000;
			pvmx_raise_virq_async(&fx.v, VIRQ_TIMER);
		}
		break;
	default:
		break;
	}
	if (fx.v.trace_nr)
		pvmx_trace_flush(&fx.v);
}

/* The guest runs `int $0x82` at HCALL_EIP; continuations are re-issued. */
static void guest_hypercall(u32 op, const u32 a[5])
{
	unsigned long *gpr = fx.v.cpu.gpr;
	enum pvmx_action act;

	if ((fx.v.cpu.cs & 3) != 1) {
		/* From ring 3 the back end reflects it as `int $0x82` (no DPL). */
		fx.v.cpu.eip = HCALL_EIP;
		handle_action(pvmx_software_interrupt(&fx.v, 0x82, 2));
		return;
	}
	gpr[PVMX_EAX] = op;
	gpr[PVMX_EBX] = a[0];
	gpr[PVMX_ECX] = a[1];
	gpr[PVMX_EDX] = a[2];
	gpr[PVMX_ESI] = a[3];
	gpr[PVMX_EDI] = a[4];
	for (;;) {
		fx.v.cpu.eip = HCALL_EIP;
		act = pvmx_hypercall(&fx.v, 2);
		handle_action(act);
		if (fx.v.state != PVMX_VCPU_RUNNABLE || fx.v.cpu.eip != HCALL_EIP ||
		    (fx.v.cpu.cs & 3) != 1 || gpr[PVMX_EAX] != op)
			return;
		/* EIP still on the `int $0x82` with EAX intact: a continuation. */
		if (++restarts > MAX_RESTARTS)
			return;
		handle_action(pvmx_prepare_entry(&fx.v));
		if (fx.v.state != PVMX_VCPU_RUNNABLE || fx.v.cpu.eip != HCALL_EIP)
			return;
	}
}

static void random_hypercall(struct input *in)
{
	u32 a[5], op = in_hypercall_op(in);
	int i;

	for (i = 0; i < 5; i++)
		a[i] = in_arg(in);
	guest_hypercall(op, a);
}

#if FUZZ_TARGET == FUZZ_MULTICALL
static u32 mc_op(struct input *in)
{
	static const u8 ops[] = {
		__HYPERVISOR_multicall, __HYPERVISOR_iret, __HYPERVISOR_console_io,
		__HYPERVISOR_sched_op, __HYPERVISOR_update_va_mapping,
		__HYPERVISOR_xen_version, __HYPERVISOR_set_trap_table,
		__HYPERVISOR_stack_switch, __HYPERVISOR_event_channel_op,
		__HYPERVISOR_vcpu_op, __HYPERVISOR_set_timer_op, __HYPERVISOR_fpu_taskswitch,
		__HYPERVISOR_callback_op, __HYPERVISOR_set_callbacks,
		__HYPERVISOR_mmu_update, __HYPERVISOR_mmuext_op, __HYPERVISOR_set_gdt,
		__HYPERVISOR_update_descriptor, __HYPERVISOR_memory_op, __HYPERVISOR_vm_assist,
	};
	u8 b = in_u8(in);

	return b < 0xF8 ? ops[b % sizeof(ops)] : in_u32(in);
}

/* A multicall list in scratch (entries: op, result, args[6]); then issue it. */
static void multicall_step(struct input *in)
{
	u32 list = SCRATCH_VA + (in_u16(in) % (SCRATCH_BYTES - 32 * 64)), nr = in_u8(in) % 64;
	u32 i, j, e[8], a[5] = { 0 };

	for (i = 0; i < nr; i++) {
		e[0] = mc_op(in);
		e[1] = in_u32(in);
		for (j = 2; j < 8; j++)
			e[j] = in_arg(in);
		if (e[0] == __HYPERVISOR_multicall && (in_u8(in) & 1)) {
			e[2] = list;		/* itself */
			e[3] = nr;
		} else if (e[0] == __HYPERVISOR_update_va_mapping && (in_u8(in) & 1)) {
			e[2] = list & ~0xFFFu;	/* remap the list's own page */
		}
		memcpy(fx_gpa(list + i * 32), e, sizeof(e));
	}
	a[0] = in_u8(in) & 1 ? list : in_pointer(in);
	switch (in_u8(in) % 4) {
	case 0:
		a[1] = nr;
		break;
	case 1:
		a[1] = in_u32(in);		/* huge: preemption must bound it */
		break;
	default:
		a[1] = nr ? nr - 1 : 0;
		break;
	}
	guest_hypercall(__HYPERVISOR_multicall, a);
}
#endif

#if FUZZ_TARGET == FUZZ_EVTCHN
static void evtchn_step(struct input *in)
{
	u32 a[5] = { 0 }, kind = in_u8(in);

	guest_store_words(in, in_u16(in) % 64);
	a[1] = in_u8(in) & 7 ? SCRATCH_VA + (in_u8(in) & 0x3C) : in_pointer(in);
	switch (kind % 6) {
	case 0:
	case 1:
		a[0] = in_u8(in) % 16;
		guest_hypercall(__HYPERVISOR_event_channel_op, a);
		break;
	case 2:		/* SCHEDOP_poll { ports ptr, nr_ports, timeout } */
		memcpy(fx_gpa(SCRATCH_VA + 0x100), &(u32){ SCRATCH_VA }, 4);
		a[0] = in_u8(in) & 1 ? SCHEDOP_poll : SCHEDOP_block;
		a[1] = SCRATCH_VA + 0x100;
		memcpy(fx_gpa(SCRATCH_VA + 0x104), &(u32){ in_u8(in) % 140 }, 4);
		memcpy(fx_gpa(SCRATCH_VA + 0x108), &(u64){ in_u8(in) * 1000000ull }, 8);
		guest_hypercall(__HYPERVISOR_sched_op, a);
		break;
	case 3:
		a[0] = in_u8(in) % 12;
		a[1] = in_u8(in) % 4;
		a[2] = SCRATCH_VA + (in_u8(in) & 0x3C);
		guest_hypercall(__HYPERVISOR_vcpu_op, a);
		break;
	case 4:
		a[0] = in_u32(in);
		a[1] = in_u8(in) & 3;
		guest_hypercall(__HYPERVISOR_set_timer_op, a);
		break;
	default:	/* the old interface: evtchn_op_t (cmd + union) in memory */
		a[0] = in_u8(in) & 7 ? SCRATCH_VA : in_pointer(in);
		memcpy(fx_gpa(SCRATCH_VA), &(u32){ in_u8(in) % 16 }, 4);
		guest_hypercall(__HYPERVISOR_event_channel_op_compat, a);
		break;
	}
}
#endif

/* What the guest can do between two traps into the core. */
static void step(struct input *in)
{
	u8 kind = in_u8(in);
	u32 x;

	switch (kind % 16) {
	case 0:
	case 1:
	case 2:
	case 3:
#if FUZZ_TARGET == FUZZ_MULTICALL
		multicall_step(in);
#elif FUZZ_TARGET == FUZZ_EVTCHN
		evtchn_step(in);
#else
		random_hypercall(in);
#endif
		break;
	case 4:
		random_hypercall(in);
		break;
	case 5:		/* store into scratch */
		guest_store(in, SCRATCH_VA + in_u16(in) % SCRATCH_BYTES);
		break;
	case 6:		/* store into the page tables (an L1, an L2, the L3) */
		guest_store(in, FX_L3_GPA + in_u16(in) % 0x7000);
		break;
	case 7:		/* anywhere in RAM */
		guest_store(in, in_u32(in) % ((u64)FX_RAM_FRAMES * PVMX_PAGE_BYTES));
		break;
	case 8:
		guest_store_words(in, in_u16(in));
		break;
	case 9:		/* a CPU exception (EIP: where the guest resumes) */
		x = in_u8(in);
		fx.v.cpu.eip = in_pointer(in);
		if ((x % 32) == 14)
			fx.vm.shared_info->vcpu_info[0].cr2 = in_pointer(in);
		handle_action(pvmx_deliver_exception(&fx.v, x % 32, x & 0x20, in_u16(in)));
		break;
	case 10:	/* `int n` the IDT refused */
		fx.v.cpu.eip = in_pointer(in);
		handle_action(pvmx_software_interrupt(&fx.v, in_u8(in), 2));
		break;
	case 11:	/* the launcher or a timer raises something */
		if (in_u8(in) & 1)
			pvmx_raise_port_async(&fx.vm, in_u16(in) % (XEN_NR_EVTCHN_PORTS + 64));
		else
			pvmx_raise_virq_async(&fx.v, in_u8(in) % (XEN_NR_VIRQS + 4));
		break;
	case 12:	/* time passes; the vCPU thread is about to enter the guest */
		fx.now_ns += (u64)in_u32(in) << (in_u8(in) % 24);
		handle_action(pvmx_prepare_entry(&fx.v));
		break;
	case 13:	/* the guest's own registers (it can load its own CS only via iret) */
		fx.v.cpu.gpr[PVMX_ESP] = in_pointer(in);
		fx.v.cpu.eflags = (in_u32(in) & PVMX_EFLAGS_LEGAL & ~PVMX_EFLAGS_IOPL &
				   ~PVMX_EFLAGS_VM) | PVMX_EFLAGS_FIXED | PVMX_EFLAGS_IF;
		for (x = 0; x < 4; x++)
			fx.data_segs[x] = in_u8(in) & 1 ? FLAT_RING1_DS : in_u16(in);
		break;
	case 14:	/* shared_info: upcall mask/pending, evtchn pending/mask bits */
		x = in_u16(in) % (PVMX_PAGE_BYTES - 4);
		memcpy((u8 *)fx.vm.shared_info + x, &(u32){ in_u32(in) }, 4);
		break;
	default:
		handle_action(pvmx_prepare_entry(&fx.v));
		break;
	}
}

/*
 * A fresh fixture for every input, cheaply: fixture_setup() once, its RAM
 * (and shared_info) moved into a memfd, and every input gets a private
 * copy-on-write mapping of that memfd at the same address, so only the pages
 * the previous input dirtied are thrown away (copying 8 MiB per input cost
 * 90% of the time).  The fixture's own state is copied back from the
 * pristine one.
 */
static struct fixture pristine;
static int ram_fd = -1;
#define FX_BYTES	((FX_RAM_FRAMES + 1) * (size_t)PVMX_PAGE_BYTES)

static void map_ram(u8 *at)
{
	void *p = mmap(at, FX_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | (at ? MAP_FIXED : 0), ram_fd, 0);

	if (p == MAP_FAILED || (at && p != at)) {
		perror("fuzz: mmap");
		abort();
	}
	fx.ram = p;
}

static void fresh_fixture(void)
{
	unsigned int i;
	u8 *old;

	if (ram_fd >= 0) {
		memcpy(&fx, &pristine, sizeof(fx));
		map_ram(fx.ram);
		return;
	}
	fixture_setup();
	ram_fd = memfd_create("pvmx-fuzz-ram", 0);
	if (ram_fd < 0 || write(ram_fd, fx.ram, FX_BYTES) != (ssize_t)FX_BYTES) {
		perror("fuzz: memfd");
		abort();
	}
	old = fx.ram;
	map_ram(NULL);
	for (i = 0; i <= FX_RAM_FRAMES; i++)
		fx.frames[i] = fx.ram + i * (size_t)PVMX_PAGE_BYTES;
	fx.vm.shared_info = fx.frames[FX_RAM_FRAMES];
	free(old);
	pristine = fx;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = { data, size };
	unsigned int steps;
	u8 flags;

	fresh_fixture();

	flags = in_u8(&in);
	fx.v.trace_flags = flags & (PVMX_TRACE_HYPERCALLS | PVMX_TRACE_DELIVERIES);
	fx.v.trace_ops = ~0ULL;
	fx.vm.fast_int80 = flags & 4;
	/* The host wants its CPU back every so often, as need_resched() would. */
	fx.preempt_every = 1 + in_u8(&in) % 64;
	restarts = 0;
	for (steps = 0; steps < MAX_STEPS && in.left && restarts <= MAX_RESTARTS; steps++) {
		step(&in);
		if (fx.v.state != PVMX_VCPU_RUNNABLE)
			break;
	}
	return 0;
}
