/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvmx kernel objects: VMs and vCPUs behind their file descriptors, and the
 * small interface the arch back end (module/x86/) implements for them.
 */
#ifndef _PVMX_H
#define _PVMX_H

#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/wait.h>
#include <linux/mutex.h>
#include <linux/mm.h>
#include <linux/version.h>
#include "core.h"
#include "x86/vmx.h"

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

/* vm.c / vcpu.c */
int pvmx_create_vm(unsigned long flags);
void pvmx_vm_put(struct pvmx_vm *vm);
int pvmx_create_vcpu(struct pvmx_vm *vm, unsigned long id);
void pvmx_vcpu_free(struct pvmx_vcpu *vcpu);

/* host.c */
void pvmx_host_init_clock(void);
void pvmx_host_vcpu_init(struct pvmx_vcpu *vcpu);
void pvmx_host_vcpu_destroy(struct pvmx_vcpu *vcpu);
int pvmx_host_vcpu_wait(struct pvmx_vcpu *vcpu);
int pvmx_host_vcpu_wait_up(struct pvmx_vcpu *vcpu);

/* Implemented by the arch back end. */
int pvmx_arch_init(void);
void pvmx_arch_exit(void);
int pvmx_arch_enable(void);		/* VMX on for the first VM */
void pvmx_arch_disable(void);		/* ... off after the last */
void pvmx_arch_get_info(struct pvmx_vmx_info *info);
int pvmx_arch_check_cap(unsigned long cap);
int pvmx_arch_vm_init(struct pvmx_vm *vm);
void pvmx_arch_vm_destroy(struct pvmx_vm *vm);
int pvmx_arch_map_memory(struct pvmx_vm *vm);	/* unmaps all on failure */
void pvmx_arch_unmap_memory(struct pvmx_vm *vm);
int pvmx_arch_vcpu_create(struct pvmx_vcpu *vcpu);
void pvmx_arch_vcpu_destroy(struct pvmx_vcpu *vcpu);
int pvmx_arch_set_regs(struct pvmx_vcpu *vcpu, const struct pvmx_regs *regs);
void pvmx_arch_get_regs(struct pvmx_vcpu *vcpu, struct pvmx_regs *regs);
int pvmx_arch_run(struct pvmx_vcpu *vcpu);

#endif /* _PVMX_H */
