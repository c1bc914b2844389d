/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvmx kernel objects: VMs and vCPUs behind their file descriptors, the
 * Linux glue's own services (pvmx_linux_*) and the interface the VMX back
 * end (module/x86/) implements for the glue (pvmx_vmx_*).  The core's two
 * interfaces, pvmx_arch_* and pvmx_host_*, are in core.h.
 */
#ifndef _PVMX_H
#define _PVMX_H

#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/wait.h>
#include <linux/mutex.h>
#include <linux/mm.h>
#include <linux/version.h>
#include "../core/core.h"
#include "../x86/vmx.h"

#define PVMX_DEV_NAME	"pvmx"

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void pvmx_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#else
#define pvmx_vm_flags_set vm_flags_set
#endif

struct pvmx_vm {
	struct pvmx_vm_core core;
	struct kref kref;
	struct mutex lock;		/* memory, boot info, vCPU creation */
	struct page **ram_pages;	/* nr_ram_frames pages of RAM */
	struct page *shared_info_page;
	/* The grant frames, a page each (core.gnttab_va maps them). */
	struct page *gnttab_pages[PVMX_GNTTAB_MAX_FRAMES];
	bool boot_info_set;
	struct pvmx_vcpu *vcpus[PVMX_MAX_VCPUS];
	/* The VM's end (first shutdown or crash), under core.lock: every vCPU reports it. */
	enum pvmx_vcpu_state end_state;
	struct {
		u8 bytes[offsetof(struct pvmx_run, crash) + sizeof_field(struct pvmx_run, crash)];
	} end;
	struct pvmx_vm_arch arch;
};

struct pvmx_vcpu {
	struct pvmx_vcpu_core core;
	struct pvmx_vm *vm;
	struct mutex run_lock;		/* one PVMX_RUN/regs ioctl at a time */
	struct page *run_page;
	bool regs_set;
	u64 exits;
	struct task_struct *run_task;	/* thread inside PVMX_RUN, for kicks */
	bool kicked;			/* kick since the last look at events */
	wait_queue_head_t wq;		/* SCHEDOP_block/poll sleep here */
	struct hrtimer singleshot;	/* set_timer_op, VCPUOP_set_singleshot_timer */
	struct hrtimer periodic;	/* VCPUOP_set_periodic_timer (10 ms default) */
	/* How the guest ended: the run header and the crash/shutdown/internal exit. */
	struct {
		u8 bytes[offsetof(struct pvmx_run, crash) + sizeof_field(struct pvmx_run, crash)];
	} end;
	struct pvmx_vcpu_arch arch;
};

/* vm.c / vcpu.c: the glue's own. */
int pvmx_create_vm(unsigned long flags);
void pvmx_vm_put(struct pvmx_vm *vm);
int pvmx_create_vcpu(struct pvmx_vm *vm, unsigned long id);
void pvmx_vcpu_free(struct pvmx_vcpu *vcpu);

/*
 * host.c: the glue's services to itself and to the back end (the run loop
 * sleeps in pvmx_linux_vcpu_wait*()); what the core asks of it is pvmx_host_*.
 */
void pvmx_linux_init_clock(void);
void pvmx_linux_vcpu_init(struct pvmx_vcpu *vcpu);
void pvmx_linux_vcpu_destroy(struct pvmx_vcpu *vcpu);
int pvmx_linux_vcpu_wait(struct pvmx_vcpu *vcpu);
int pvmx_linux_vcpu_wait_up(struct pvmx_vcpu *vcpu);

/* Glue -> back end: main.c, vm.c and vcpu.c call them, module/x86/ implements them. */
int pvmx_vmx_init(void);
void pvmx_vmx_exit(void);
int pvmx_vmx_enable(void);		/* VMX on for the first VM */
void pvmx_vmx_disable(void);		/* ... off after the last */
void pvmx_vmx_get_info(struct pvmx_vmx_info *info);
int pvmx_vmx_check_cap(unsigned long cap);
int pvmx_vmx_vm_init(struct pvmx_vm *vm);
void pvmx_vmx_vm_destroy(struct pvmx_vm *vm);
int pvmx_vmx_map_memory(struct pvmx_vm *vm);	/* unmaps all on failure */
void pvmx_vmx_unmap_memory(struct pvmx_vm *vm);
int pvmx_vmx_vcpu_create(struct pvmx_vcpu *vcpu);
void pvmx_vmx_vcpu_destroy(struct pvmx_vcpu *vcpu);
int pvmx_vmx_set_regs(struct pvmx_vcpu *vcpu, const struct pvmx_regs *regs);
void pvmx_vmx_get_regs(struct pvmx_vcpu *vcpu, struct pvmx_regs *regs);
int pvmx_vmx_run(struct pvmx_vcpu *vcpu);

#endif /* _PVMX_H */
