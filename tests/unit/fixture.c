// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include "fixture.h"

struct fixture fx;
/* The host VM lock's holders are told apart by its address (core_env_host.h). */
__thread char pvmx_host_thread;

u8 *fx_gpa(u64 gpa)
{
	return fx.ram + gpa;
}

static void set_pte(u64 table_gpa, unsigned int index, u64 value)
{
	memcpy(fx_gpa(table_gpa + index * 8), &value, 8);
}

void fixture_setup(void)
{
	u64 l2 = FX_L3_GPA + 0x1000, l1 = FX_L3_GPA + 0x5000;
	unsigned int i;

	memset(&fx, 0, sizeof(fx));
	pvmx_entry_slow_test_hook = NULL;
	pvmx_host_tracepoints = 1;	/* count every record in fx.tracepoints */
	fx.ram = aligned_alloc(4096, (FX_RAM_FRAMES + 1) * 4096ul);
	memset(fx.ram, 0, (FX_RAM_FRAMES + 1) * 4096ul);
	for (i = 0; i <= FX_RAM_FRAMES; i++)
		fx.frames[i] = fx.ram + i * 4096ul;
	fx.vm.mem.frames = fx.frames;
	fx.vm.frame_table = fx.frame_table;
	fx.vm.mem.nr_ram_frames = FX_RAM_FRAMES;
	fx.vm.mem.nr_frames = FX_RAM_FRAMES + 1;
	fx.vm.shared_info_gfn = FX_RAM_FRAMES;
	fx.vm.shared_info = fx.frames[FX_RAM_FRAMES];
	/*
	 * No grant frames of its own (test_memory.c adds them): gnttab_gfn 0
	 * names RAM's first frames, which a setup_table leaves where they are.
	 */
	for (i = 0; i < PVMX_GNTTAB_MAX_FRAMES; i++)
		fx.vm.gnttab_va[i] = fx.frames[i];
	for (i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
		fx.vm.shared_info->vcpu_info[i].evtchn_upcall_mask = 1;
	fx.vm.domid = 1;

	/* L3 -> four L2s; L2[0] entries 0,1 -> two L1s mapping 0..4 MiB. */
	for (i = 0; i < 4; i++) {
		set_pte(FX_L3_GPA, i, (l2 + i * 0x1000) | PVMX_PTE_P);
		fx.v.cpu.pdpte[i] = (l2 + i * 0x1000) | PVMX_PTE_P;
	}
	for (i = 0; i < 2; i++)
		set_pte(l2, i, (l1 + i * 0x1000) | 0x67);
	for (i = 0; i < 1024; i++)
		set_pte(l1, i, ((u64)i << 12) | 0x23);
	set_pte(l1, FX_RO_VA >> 12, FX_RO_VA | 0x21);
	/* Page-table pages are mapped read-only, as the domain builder does. */
	for (i = 0; i < 7; i++)
		set_pte(l1, (FX_L3_GPA >> 12) + i, (FX_L3_GPA + i * 0x1000) | 0x21);

	fx.v.vm = &fx.vm;
	fx.v.run = &fx.run;
	fx.v.cpu.cr3 = FX_L3_GPA;
	fx.v.cpu.eip = 0x1000;
	fx.v.cpu.cs = FLAT_RING1_CS;
	fx.v.cpu.ss = FLAT_RING1_SS;
	fx.v.cpu.eflags = 0x202;
	fx.v.state = PVMX_VCPU_RUNNABLE;
	fx.now_ns = 1000000000ULL;
	fx.vm.vcpus[0] = &fx.v;
	pvmx_vcpu_events_init(&fx.v);
	for (i = 0; i < 4; i++)
		fx.data_segs[i] = FLAT_RING1_DS;
	/* As the back end's PVMX_SET_REGS: under the VM lock (page types). */
	spin_lock(&fx.vm.lock);
	if (pvmx_mm_boot_baseptr(&fx.v, FX_L3_GPA))
		abort();
	spin_unlock(&fx.vm.lock);
	pvmx_mm_before_entry(&fx.v);
	fx.flushes = 0;
	fx.baseptr_loads = 0;
	/* Xen refuses superpages in guest L2s; hardware (and gmem) still walk them. */
	set_pte(l2, FX_BIGPAGE_VA >> 21, FX_BIGPAGE_VA | 0xE7);
}

void fixture_teardown(void)
{
	free(fx.ram);
}

void fx_add_vcpu(struct pvmx_vcpu_core *v, struct pvmx_run *run, u32 id)
{
	memset(v, 0, sizeof(*v));
	memset(run, 0, sizeof(*run));
	v->vm = &fx.vm;
	v->id = id;
	v->run = run;
	v->state = PVMX_VCPU_RUNNABLE;
	pvmx_vcpu_events_init(v);
	fx.vm.vcpus[id] = v;
}

enum pvmx_action fx_hypercall(u32 op, u32 a1, u32 a2, u32 a3, u32 a4, u32 a5)
{
	unsigned long *gpr = fx.v.cpu.gpr;

	gpr[PVMX_EAX] = op;
	gpr[PVMX_EBX] = a1;
	gpr[PVMX_ECX] = a2;
	gpr[PVMX_EDX] = a3;
	gpr[PVMX_ESI] = a4;
	gpr[PVMX_EDI] = a5;
	fx.v.cpu.eip = 0x1000;
	fx.run.exit_reason = PVMX_EXIT_NONE;
	return pvmx_hypercall(&fx.v, 2);
}

u32 fx_eax(void)
{
	return fx.v.cpu.gpr[PVMX_EAX];
}

/* The arch hook the core calls. */
void pvmx_arch_flush_guest_tlb(struct pvmx_vcpu_core *v, u32 gva, bool one)
{
	(void)v;
	fx.flushes++;
	fx.last_flush_va = gva;
	fx.last_flush_one = one;
}

bool pvmx_arch_preempt_pending(struct pvmx_vcpu_core *v)
{
	(void)v;
	if (fx.preempt_every && ++fx.preempt_calls % fx.preempt_every == 0)
		return true;
	return false;
}

void pvmx_arch_get_data_segs(struct pvmx_vcpu_core *v, u16 segs[4])
{
	(void)v;
	memcpy(segs, fx.data_segs, sizeof(fx.data_segs));
}

void pvmx_arch_set_data_segs(struct pvmx_vcpu_core *v, const u16 segs[4])
{
	(void)v;
	memcpy(fx.data_segs, segs, sizeof(fx.data_segs));
}

void pvmx_arch_set_fpu_ts(struct pvmx_vcpu_core *v, bool ts)
{
	(void)v;
	fx.hw_ts = ts;
}

void pvmx_host_time(struct pvmx_time_sample *t)
{
	t->tsc = fx.now_ns * 3;		/* a 3 GHz TSC */
	t->ns = fx.now_ns;
	t->tsc_to_system_mul = 0x55555555;
	t->tsc_shift = 0;
}

u64 pvmx_host_now_ns(void)
{
	return fx.now_ns;
}

void pvmx_host_set_timer(struct pvmx_vcpu_core *v, u64 deadline_ns)
{
	(void)v;
	fx.timer_deadline = deadline_ns;
}

void pvmx_host_set_periodic(struct pvmx_vcpu_core *v, u64 period_ns)
{
	(void)v;
	fx.periodic_ns = period_ns;
}

void pvmx_host_kick(struct pvmx_vcpu_core *v)
{
	fx.kicks++;
	fx.last_kick = v;
	if (fx.on_kick)
		fx.on_kick(v);
}

u64 pvmx_host_cycles(void)
{
	return ++fx.cycles;
}

void pvmx_host_lock_held(u64 cycles)
{
	if (cycles > fx.lock_held_max)
		fx.lock_held_max = cycles;
}

void pvmx_host_tracepoint(struct pvmx_vcpu_core *v, const struct pvmx_trace_rec *r)
{
	(void)v;
	(void)r;
	fx.tracepoints++;
}

void pvmx_arch_traps_changed(struct pvmx_vcpu_core *v)
{
	(void)v;
	fx.traps_changed++;
}

void pvmx_arch_desc_changed(struct pvmx_vcpu_core *v)
{
	(void)v;
	fx.desc_changed++;
}

void pvmx_arch_load_baseptr(struct pvmx_vcpu_core *v)
{
	(void)v;
	fx.baseptr_loads++;
}

/* The M2P's frames as the fixture numbers them: 0x100000 + page. */
u32 pvmx_arch_m2p_mfn(struct pvmx_vm_core *vm, u32 page)
{
	(void)vm;
	return 0x100000 + page;
}

/* Xen's slots as the fixture has them: empty, except a marker in slot 511. */
void pvmx_arch_fill_hv_l2(struct pvmx_vm_core *vm, u64 *l2)
{
	unsigned int i;

	(void)vm;
	for (i = XEN_L2_FIRST_HYPERVISOR_SLOT; i < 512; i++)
		l2[i] = 0;
	l2[511] = FX_HV_L2_MARKER;
}

/* Host MSRs as a typical Intel host has them; anything else faults. */
int pvmx_arch_read_host_msr(u32 msr, u64 *val)
{
	switch (msr) {
	case 0xC0000080:		/* EFER: SCE, LME, LMA, NXE */
		*val = FX_HOST_EFER;
		return 0;
	case 0x1A0:			/* MISC_ENABLE: fast strings, perfmon, monitor... */
		*val = FX_HOST_MISC_ENABLE;
		return 0;
	case 0x17:
		*val = FX_HOST_PLATFORM_ID;
		return 0;
	case 0x8B:
		*val = FX_HOST_UCODE_REV;
		return 0;
	default:
		return -XEN_EINVAL;
	}
}

void pvmx_arch_load_context(struct pvmx_vcpu_core *v, const u16 sregs[6], const void *fpu)
{
	(void)v;
	fx.context.loads++;
	memcpy(fx.context.sregs, sregs, sizeof(fx.context.sregs));
	fx.context.fpu = fpu;
	fx.context.fpu_first = fpu ? *(const u8 *)fpu : 0;
}
