// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU file descriptor: registers, the mmap'd run structure, PVMX_RUN.
 * A vCPU lives as long as its VM; its fd holds a VM reference.
 */
#include <linux/anon_inodes.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "pvmx.h"
#include "pvmx_trace.h"

/*
 * Test knob (selftests/ctx_race.c): PVMX_SET_REGS sleeps this long after
 * writing the registers, widening the window in which VCPUOP_initialise
 * from another vCPU races it.  0 (the default): no delay.
 */
static unsigned int set_regs_delay_us;
module_param(set_regs_delay_us, uint, 0600);
MODULE_PARM_DESC(set_regs_delay_us, "test only: delay PVMX_SET_REGS by this many us (max 1 s)");

static void set_regs_window(void)
{
	unsigned int us = min(READ_ONCE(set_regs_delay_us), 1000000u);

	if (unlikely(us))
		fsleep(us);
}

void pvmx_vcpu_free(struct pvmx_vcpu *vcpu)
{
	pvmx_linux_vcpu_destroy(vcpu);
	pvmx_vmx_vcpu_destroy(vcpu);
	if (vcpu->run_page)
		__free_page(vcpu->run_page);
	kfree(vcpu);
}

static int pvmx_vcpu_set_regs(struct pvmx_vcpu *vcpu, const void __user *argp)
{
	struct pvmx_regs regs;
	int ret;

	if (copy_from_user(&regs, argp, sizeof(regs)))
		return -EFAULT;
	if (regs.flags || memchr_inv(regs.reserved, 0, sizeof(regs.reserved)))
		return -EINVAL;
	mutex_lock(&vcpu->run_lock);
	/*
	 * The run lock keeps the vCPU's own thread out; VCPUOP_initialise of
	 * this vCPU from another vCPU's thread writes the same context under
	 * the VM lock.  The context is this ioctl's until it is done: such an
	 * initialise retries meanwhile (a continuation), then finds the vCPU
	 * initialised, -EEXIST, as after Xen's setvcpucontext.  So the vCPU
	 * has one context or the other, never a mix (design.rst, Concurrency).
	 */
	spin_lock(&vcpu->vm->core.lock);
	vcpu->core.regs_busy = true;
	spin_unlock(&vcpu->vm->core.lock);
	ret = pvmx_vmx_set_regs(vcpu, &regs);
	set_regs_window();
	spin_lock(&vcpu->vm->core.lock);
	if (!ret)
		vcpu->core.initialised = true;
	vcpu->core.regs_busy = false;
	spin_unlock(&vcpu->vm->core.lock);
	if (!ret)
		vcpu->regs_set = true;
	mutex_unlock(&vcpu->run_lock);
	return ret;
}

static int pvmx_vcpu_get_regs(struct pvmx_vcpu *vcpu, void __user *argp)
{
	struct pvmx_regs regs;

	memset(&regs, 0, sizeof(regs));
	mutex_lock(&vcpu->run_lock);
	/* Not torn by a VCPUOP_initialise of this vCPU (VM lock) meanwhile. */
	spin_lock(&vcpu->vm->core.lock);
	pvmx_vmx_get_regs(vcpu, &regs);
	spin_unlock(&vcpu->vm->core.lock);
	mutex_unlock(&vcpu->run_lock);
	if (copy_to_user(argp, &regs, sizeof(regs)))
		return -EFAULT;
	return 0;
}

/*
 * The end of a guest (shutdown, crash, failed entry) is reported again on
 * every later PVMX_RUN, but only after any trace records still waiting:
 * those come first as PVMX_EXIT_TRACE, so the end is kept aside meanwhile.
 */
static void report_end(struct pvmx_vcpu *vcpu, bool first)
{
	struct pvmx_run *run = vcpu->core.run;

	if (first)
		memcpy(&vcpu->end, run, sizeof(vcpu->end));
	if (vcpu->core.trace_nr)
		pvmx_trace_flush(&vcpu->core);
	else
		memcpy(run, &vcpu->end, sizeof(vcpu->end));
}

/*
 * This vCPU ended the VM (shutdown, crash, failed entry): record the end for
 * the others, which stop and report the same (pvmx_vm_end kicks them).
 */
static void end_vm(struct pvmx_vcpu *vcpu)
{
	struct pvmx_vm *vm = vcpu->vm;

	/* Record and mark in one go: two vCPUs ending at once agree on the first. */
	spin_lock(&vm->core.lock);
	if (!vm->core.ended) {
		memcpy(&vm->end, &vcpu->end, sizeof(vm->end));
		vm->end_state = vcpu->core.state;
		vm->core.ended = true;
	}
	spin_unlock(&vm->core.lock);
	pvmx_vm_end(&vcpu->core);	/* kicks the others */
}

/* Another vCPU ended the VM: take its end as this vCPU's. */
static bool take_vm_end(struct pvmx_vcpu *vcpu)
{
	struct pvmx_vm *vm = vcpu->vm;
	bool ended;

	spin_lock(&vm->core.lock);
	ended = vm->core.ended;
	if (ended) {
		memcpy(&vcpu->end, &vm->end, sizeof(vcpu->end));
		vcpu->core.state = vm->end_state;
	}
	spin_unlock(&vm->core.lock);
	return ended;
}

static int pvmx_vcpu_run(struct pvmx_vcpu *vcpu, unsigned long arg)
{
	struct pvmx_vcpu_core *core = &vcpu->core;
	int ret;

	if (arg)
		return -EINVAL;
	if (mutex_lock_killable(&vcpu->run_lock))
		return -EINTR;
	ret = -EINVAL;
	/* vCPU 0 needs SET_REGS; the others start down and get VCPUOP_initialise. */
	if (vcpu->regs_set || core->id != 0) {
		ret = 0;
		if (core->state == PVMX_VCPU_RUNNABLE && take_vm_end(vcpu)) {
			report_end(vcpu, false);
		} else if (core->state == PVMX_VCPU_RUNNABLE) {
			WRITE_ONCE(vcpu->run_task, current);
			pvmx_runstate_change(core, RUNSTATE_running);
			ret = pvmx_vmx_run(vcpu);
			pvmx_runstate_change(core, RUNSTATE_runnable);
			WRITE_ONCE(vcpu->run_task, NULL);
			if (core->run->exit_reason == PVMX_EXIT_CRASH)
				trace_pvmx_crash(core->id, core->run);
			if (core->state != PVMX_VCPU_RUNNABLE) {
				report_end(vcpu, true);
				end_vm(vcpu);
			} else if (core->run->exit_reason == PVMX_EXIT_NONE && take_vm_end(vcpu)) {
				report_end(vcpu, false);
			}
		} else {
			report_end(vcpu, false);
		}
		core->run->exits = vcpu->exits;
	}
	mutex_unlock(&vcpu->run_lock);
	return ret;
}

static int pvmx_vcpu_set_trace(struct pvmx_vcpu *vcpu, void __user *argp)
{
	struct pvmx_trace_config c;
	u32 i;

	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	if (c.version != PVMX_TRACE_VERSION || c.size != sizeof(c))
		return -EPROTO;
	if (c.flags & ~(PVMX_TRACE_HYPERCALLS | PVMX_TRACE_DELIVERIES) || c.pad)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(c.reserved); i++)
		if (c.reserved[i])
			return -EINVAL;
	mutex_lock(&vcpu->run_lock);
	vcpu->core.trace_flags = c.flags;
	vcpu->core.trace_ops = c.hypercalls;
	if (!c.flags) {
		vcpu->core.trace_nr = 0;
		vcpu->core.trace_open = 0;
	}
	mutex_unlock(&vcpu->run_lock);
	return 0;
}

/* Counters are only written by the vCPU thread; a racing read is merely stale. */
static int pvmx_vcpu_get_stats(struct pvmx_vcpu *vcpu, void __user *argp)
{
	if (copy_to_user(argp, &vcpu->core.stats, sizeof(vcpu->core.stats)))
		return -EFAULT;
	return 0;
}

static long pvmx_vcpu_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	struct pvmx_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case PVMX_RUN:
		return pvmx_vcpu_run(vcpu, arg);
	case PVMX_GET_REGS:
		return pvmx_vcpu_get_regs(vcpu, argp);
	case PVMX_SET_REGS:
		return pvmx_vcpu_set_regs(vcpu, argp);
	case PVMX_GET_STATS:
		return pvmx_vcpu_get_stats(vcpu, argp);
	case PVMX_SET_TRACE:
		return pvmx_vcpu_set_trace(vcpu, argp);
	default:
		return -ENOTTY;
	}
}

static vm_fault_t pvmx_vcpu_fault(struct vm_fault *vmf)
{
	struct pvmx_vcpu *vcpu = vmf->vma->vm_file->private_data;

	if (vmf->pgoff != 0)
		return VM_FAULT_SIGBUS;
	vmf->page = vcpu->run_page;
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct pvmx_vcpu_vm_ops = {
	.fault = pvmx_vcpu_fault,
};

static int pvmx_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff != 0 || vma_pages(vma) != 1 || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	pvmx_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &pvmx_vcpu_vm_ops;
	return 0;
}

static int pvmx_vcpu_release(struct inode *inode, struct file *filp)
{
	struct pvmx_vcpu *vcpu = filp->private_data;

	pvmx_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations pvmx_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= pvmx_vcpu_release,
	.unlocked_ioctl	= pvmx_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= pvmx_vcpu_mmap,
	.llseek		= noop_llseek,
};

int pvmx_create_vcpu(struct pvmx_vm *vm, unsigned long id)
{
	struct pvmx_vcpu *vcpu;
	struct file *file;
	int ret, fd;

	if (id >= PVMX_MAX_VCPUS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	ret = -EINVAL;
	if (!vm->boot_info_set)
		goto out;
	ret = -EEXIST;
	if (vm->vcpus[id])
		goto out;
	ret = -ENOMEM;
	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		goto out;
	vcpu->vm = vm;
	vcpu->core.vm = &vm->core;
	vcpu->core.id = id;
	mutex_init(&vcpu->run_lock);
	pvmx_linux_vcpu_init(vcpu);
	pvmx_vcpu_events_init(&vcpu->core);
	vcpu->run_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vcpu->run_page) {
		pvmx_vcpu_free(vcpu);
		goto out;
	}
	vcpu->core.run = page_address(vcpu->run_page);
	ret = pvmx_vmx_vcpu_create(vcpu);
	if (ret) {
		pvmx_vcpu_free(vcpu);
		goto out;
	}
	/*
	 * Everything that can fail comes before the vCPU is published: the
	 * other vCPUs, timers and the launcher's raise ioctl find it in
	 * vm->core.vcpus[] without the VM lock (kicks, entry_work bits), so
	 * once published it lives as long as the VM.  The file holds a VM
	 * reference from here on (its release drops it).
	 */
	ret = get_unused_fd_flags(O_RDWR | O_CLOEXEC);
	if (ret < 0) {
		pvmx_vcpu_free(vcpu);
		goto out;
	}
	fd = ret;
	kref_get(&vm->kref);
	file = anon_inode_getfile("pvmx-vcpu", &pvmx_vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		put_unused_fd(fd);
		pvmx_vm_put(vm);	/* not the last: the caller's VM fd holds one */
		pvmx_vcpu_free(vcpu);
		goto out;
	}
	/*
	 * Published before userspace can reach it (KVM's order in
	 * kvm_vm_ioctl_create_vcpu()): from the moment the fd is installed
	 * another thread may run the vCPU, and a vCPU in guest mode must be
	 * one the others send their TLB flushes, kicks and requests to.
	 */
	vm->vcpus[id] = vcpu;
	spin_lock(&vm->core.lock);
	WRITE_ONCE(vm->core.vcpus[id], &vcpu->core);
	spin_unlock(&vm->core.lock);
	fd_install(fd, file);
	ret = fd;
out:
	mutex_unlock(&vm->lock);
	return ret;
}
