/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake guest for the core: RAM frames in host memory, PAE tables mapping
 * the first 4 MiB 1:1 (one page and the page tables read-only), validated
 * and pinned as Xen's builder leaves them, a 2 MiB page above planted behind
 * the validator's back (gmem must still walk one), a vCPU.
 */
#ifndef PVMX_UNIT_FIXTURE_H
#define PVMX_UNIT_FIXTURE_H

#include "core.h"

#define FX_RAM_FRAMES	2048u		/* 8 MiB */
#define FX_L3_GPA	0x100000u	/* L3, then 4 L2s, then 2 L1s */
#define FX_L2_GPA	0x101000u	/* under L3 slot 0 */
#define FX_L1_GPA	0x105000u	/* maps 0..2 MiB */
#define FX_RO_VA	0x300000u	/* mapped read-only */
#define FX_BIGPAGE_VA	0x400000u	/* a 2 MiB page mapping gpa 0x400000 */
/* What pvmx_arch_fill_hv_l2() writes into L2 slot 511 in the fixture. */
#define FX_HV_L2_MARKER	0x100000063ULL
#define FX_UNMAPPED_VA	0x40000000u
/* Host MSR values pvmx_arch_read_host_msr() returns in the fixture. */
#define FX_HOST_EFER		0xD01ULL
#define FX_HOST_MISC_ENABLE	0x00850089ULL
#define FX_HOST_PLATFORM_ID	0x0004000000000000ULL
#define FX_HOST_UCODE_REV	0x000000F000000000ULL

struct fixture {
	struct pvmx_vm_core vm;
	struct pvmx_vcpu_core v;
	struct pvmx_run run;
	void *frames[FX_RAM_FRAMES + 1];
	struct pvmx_frame frame_table[FX_RAM_FRAMES];
	int baseptr_loads;
	unsigned char *ram;
	int flushes;
	unsigned int preempt_every;	/* preempt_pending() true every Nth call */
	unsigned int preempt_calls;
	u16 data_segs[4];
	bool hw_ts;
	u64 now_ns;
	u64 timer_deadline;
	u64 periodic_ns;
	int kicks;
	struct pvmx_vcpu_core *last_kick;
	/* Run by pvmx_host_kick(): the kicked vCPU's last guest stores, its exit. */
	void (*on_kick)(struct pvmx_vcpu_core *v);
	u64 cycles;
	u64 lock_held_max;	/* longest VM-lock hold of a hypercall (pvmx_host_lock_held) */
	int tracepoints;
	int traps_changed;
	int desc_changed;
	struct {		/* pvmx_arch_load_context() (VCPUOP_initialise) */
		int loads;
		u16 sregs[6];
		bool fpu;
		u8 fpu_first;
	} context;
	u32 last_flush_va;
	bool last_flush_one;
};

extern struct fixture fx;

void fixture_setup(void);
void fixture_teardown(void);
u8 *fx_gpa(u64 gpa);
/* Issue a hypercall as `int $0x82` (2 bytes) at EIP 0x1000 with these registers. */
enum pvmx_action fx_hypercall(u32 op, u32 a1, u32 a2, u32 a3, u32 a4, u32 a5);
/*
 * A core call that asserts the VM lock, made by a test outside a hypercall:
 * under the lock, as its callers in the core and the back end make it.
 */
#define fx_locked(call)		pvmx_locked_call(&fx.v, call)
u32 fx_eax(void);
/* Add vCPU id of the fixture's VM, runnable, in v (zeroed) with run (zeroed). */
void fx_add_vcpu(struct pvmx_vcpu_core *v, struct pvmx_run *run, u32 id);

#endif
