// SPDX-License-Identifier: GPL-2.0
/*
 * pvmx: run 32-bit Xen-style paravirtualized guests on VMX.
 *
 * Module entry points and /dev/pvmx.  The module refuses to load where VMX
 * cannot work (pvmx_vmx_init() says why in one line).  VMX is switched on
 * when the first VM is created and off when the last one goes, so pvmx and
 * KVM (with kvm.enable_virt_at_load=0) can take turns on one machine.
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/moduleparam.h>
#include <asm/tsc.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include "pvmx.h"

/*
 * The longest time a hypercall held a VM lock, over all VMs since load (or
 * since 0 was written): /sys/module/pvmx/parameters/lock_hold_max_us.  Kept
 * in TSC cycles (hypercall.c measures with pvmx_host_cycles()), shown in us.
 */
static atomic64_t lock_hold_max = ATOMIC64_INIT(0);

void pvmx_host_lock_held(u64 cycles)
{
	s64 old = atomic64_read(&lock_hold_max);

	while ((u64)old < cycles && !atomic64_try_cmpxchg(&lock_hold_max, &old, cycles))
		;
}

static int lock_hold_max_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (v)
		return -EINVAL;		/* only a reset */
	atomic64_set(&lock_hold_max, 0);
	return 0;
}

static int lock_hold_max_get(char *buf, const struct kernel_param *kp)
{
	u64 cycles = atomic64_read(&lock_hold_max);

	return sysfs_emit(buf, "%llu\n", tsc_khz ? div_u64(cycles * 1000, tsc_khz) : 0);
}

static const struct kernel_param_ops lock_hold_max_ops = {
	.set = lock_hold_max_set,
	.get = lock_hold_max_get,
};
module_param_cb(lock_hold_max_us, &lock_hold_max_ops, NULL, 0644);
MODULE_PARM_DESC(lock_hold_max_us, "longest VM-lock hold of a hypercall in us (write 0 to reset)");

/* Work items per VM-lock hold (hypercall.c); 0: unbounded, to measure the difference. */
module_param_named(hold_budget, pvmx_hold_budget, uint, 0644);
MODULE_PARM_DESC(hold_budget, "work items per VM-lock hold before a continuation (0: no limit)");
module_param_named(cycle_stats, pvmx_cycle_stats, bool, 0644);
MODULE_PARM_DESC(cycle_stats, "time exits, hypercalls and VM-lock holds (statistics cycles, lock_hold_max_us)");

static long pvmx_dev_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	switch (ioctl) {
	case PVMX_GET_API_VERSION:
		return arg ? -EINVAL : PVMX_API_VERSION;
	case PVMX_CHECK_CAP:
		return pvmx_vmx_check_cap(arg);
	case PVMX_CREATE_VM:
		return pvmx_create_vm(arg);
	case PVMX_GET_VMX_INFO: {
		struct pvmx_vmx_info info;

		pvmx_vmx_get_info(&info);
		if (copy_to_user((void __user *)arg, &info, sizeof(info)))
			return -EFAULT;
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

static const struct file_operations pvmx_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= pvmx_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice pvmx_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= PVMX_DEV_NAME,
	.fops	= &pvmx_dev_fops,
	.mode	= 0600,
};

static int __init pvmx_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct pvmx_run) != PVMX_RUN_MMAP_SIZE);
	BUILD_BUG_ON(offsetof(struct pvmx_run, console) != 64);
	BUILD_BUG_ON(sizeof(struct pvmx_regs) != 120);
	BUILD_BUG_ON(sizeof(struct pvmx_memory) != 64);
	BUILD_BUG_ON(sizeof(struct pvmx_boot_info) != 120);
	BUILD_BUG_ON(sizeof(struct pvmx_vmx_info) != 80);
	BUILD_BUG_ON(sizeof(struct pvmx_event) != 32);
	BUILD_BUG_ON(sizeof(struct pvmx_trace_rec) != 112);
	BUILD_BUG_ON(sizeof(struct pvmx_trace_config) != 64);
	BUILD_BUG_ON(sizeof(struct pvmx_stats) % 8);

	/*
	 * The VM lock is a spinlock_t taken while the vCPU thread has
	 * preemption off (design.rst, Concurrency): on PREEMPT_RT that lock
	 * sleeps, which would be a bug every time.
	 */
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		pr_err("pvmx: not supported on PREEMPT_RT kernels (the VM lock would sleep with preemption off)\n");
		return -EOPNOTSUPP;
	}
	ret = pvmx_vmx_init();
	if (ret)
		return ret;
	pvmx_linux_init_clock();
	ret = misc_register(&pvmx_dev);
	if (ret) {
		pr_err("pvmx: cannot register /dev/%s: %d\n", PVMX_DEV_NAME, ret);
		pvmx_vmx_exit();
		return ret;
	}
	pr_info("pvmx: ready, /dev/%s (API %d)\n", PVMX_DEV_NAME, PVMX_API_VERSION);
	return 0;
}

static void __exit pvmx_exit(void)
{
	misc_deregister(&pvmx_dev);
	pvmx_vmx_exit();
}

module_init(pvmx_init);
module_exit(pvmx_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Run 32-bit Xen PV guests on VMX");
MODULE_AUTHOR("pvmx developers");
