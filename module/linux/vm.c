// SPDX-License-Identifier: GPL-2.0
/*
 * The VM file descriptor: guest RAM (kernel pages the launcher mmaps, mapped
 * by EPT), the boot information the hypervisor needs, vCPU creation.
 *
 * Lifetime: the VM fd and every vCPU fd hold a reference; the VM goes when
 * the last of them is closed.  Each fd also pins the module (fops owner).
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include "pvmx.h"

static void pvmx_vm_free_memory(struct pvmx_vm *vm)
{
	u32 i;

	if (vm->ram_pages) {
		for (i = 0; i < vm->core.mem.nr_ram_frames; i++)
			if (vm->ram_pages[i])
				__free_page(vm->ram_pages[i]);
		kvfree(vm->ram_pages);
	}
	kvfree(vm->core.mem.frames);
	kvfree(vm->core.frame_table);
	if (vm->shared_info_page)
		__free_page(vm->shared_info_page);
	for (i = 0; i < PVMX_GNTTAB_MAX_FRAMES; i++)
		if (vm->gnttab_pages[i])
			__free_page(vm->gnttab_pages[i]);
	vfree(vm->core.m2p);
}

static void pvmx_vm_release(struct kref *kref)
{
	struct pvmx_vm *vm = container_of(kref, struct pvmx_vm, kref);
	int i;

	for (i = 0; i < PVMX_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			pvmx_vcpu_free(vm->vcpus[i]);
	pvmx_vmx_vm_destroy(vm);
	pvmx_vm_free_memory(vm);
	kfree(vm);
	pvmx_vmx_disable();
}

void pvmx_vm_put(struct pvmx_vm *vm)
{
	kref_put(&vm->kref, pvmx_vm_release);
}

static int all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static int pvmx_vm_set_memory(struct pvmx_vm *vm, struct pvmx_memory __user *argp)
{
	struct pvmx_memory m;
	struct pvmx_gmem *mem = &vm->core.mem;
	u32 nr, nr_frames, i;
	int ret;

	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	if (m.flags || !all_zero(m.reserved, sizeof(m.reserved)))
		return -EINVAL;
	if (m.size < PVMX_MIN_MEMORY || m.size > PVMX_MAX_MEMORY ||
	    m.size % PVMX_PAGE_SIZE)
		return -EINVAL;

	mutex_lock(&vm->lock);
	ret = -EEXIST;
	if (vm->ram_pages)
		goto out;

	nr = m.size / PVMX_PAGE_SIZE;
	/* RAM, shared_info, the grant frames: the VM's machine frames. */
	nr_frames = nr + 1 + PVMX_GNTTAB_MAX_FRAMES;
	ret = -ENOMEM;
	/*
	 * A VM the host cannot back is refused, not paid for with the OOM
	 * killer: up front when it is more than the memory available, and
	 * while allocating (__GFP_RETRY_MAYFAIL fails instead of OOM-killing)
	 * when others took the memory meanwhile.
	 */
	if (nr > si_mem_available())
		goto out;
	vm->ram_pages = kvcalloc(nr, sizeof(*vm->ram_pages),
				 GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	mem->frames = kvcalloc(nr_frames, sizeof(*mem->frames),
			       GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	vm->core.frame_table = kvcalloc(nr, sizeof(*vm->core.frame_table),
					GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	vm->shared_info_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	/* The M2P, whole pages of it mapped into the guest: ~0 is "no pfn". */
	vm->core.m2p = __vmalloc(PAGE_ALIGN(nr_frames * sizeof(u32)),
				 GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	if (!vm->ram_pages || !mem->frames || !vm->core.frame_table || !vm->shared_info_page ||
	    !vm->core.m2p)
		goto fail;
	/*
	 * The grant frames, a page each (never one high-order block, which a
	 * fragmented host may not have): all of them now, as the table may
	 * grow to them under the VM lock, where nothing may sleep.
	 */
	for (i = 0; i < PVMX_GNTTAB_MAX_FRAMES; i++) {
		vm->gnttab_pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO |
						 __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
		if (!vm->gnttab_pages[i])
			goto fail;
		vm->core.gnttab_va[i] = page_address(vm->gnttab_pages[i]);
	}
	memset(vm->core.m2p, 0xFF, PAGE_ALIGN(nr_frames * sizeof(u32)));
	vm->core.nr_m2p = nr_frames;
	mem->nr_ram_frames = nr;
	for (i = 0; i < nr; i++) {
		vm->ram_pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO |
					      __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
		if (!vm->ram_pages[i])
			goto fail;
		mem->frames[i] = page_address(vm->ram_pages[i]);
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto fail;
		}
		cond_resched();
	}
	/* The shared_info frame sits right after RAM, as a machine frame. */
	vm->core.shared_info_gfn = nr;
	mem->frames[nr] = page_address(vm->shared_info_page);
	/*
	 * Then the grant frames, which the guest maps read/write itself: the
	 * table starts with one frame, as Xen's; setup_table adds the others
	 * to the frame table as it grows (memory.c), so a frame past the
	 * table's size cannot be mapped.
	 */
	vm->core.gnttab_gfn = nr + 1;
	vm->core.nr_gnttab_frames = 1;
	mem->frames[nr + 1] = vm->core.gnttab_va[0];
	mem->nr_frames = nr_frames;
	vm->core.shared_info = page_address(vm->shared_info_page);
	for (i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
		vm->core.shared_info->vcpu_info[i].evtchn_upcall_mask = 1;
	pvmx_set_wallclock(&vm->core, ktime_get_real_ns() - ktime_get_ns());

	ret = pvmx_vmx_map_memory(vm);
	if (ret)
		goto fail;

	m.shared_info_gpa = (u64)nr * PVMX_PAGE_SIZE;
	mutex_unlock(&vm->lock);
	if (copy_to_user(argp, &m, sizeof(m)))
		return -EFAULT;
	return 0;

fail:
	pvmx_vm_free_memory(vm);
	vm->ram_pages = NULL;
	vm->shared_info_page = NULL;
	memset(vm->gnttab_pages, 0, sizeof(vm->gnttab_pages));
	memset(vm->core.gnttab_va, 0, sizeof(vm->core.gnttab_va));
	vm->core.shared_info = NULL;
	vm->core.frame_table = NULL;
	vm->core.m2p = NULL;
	vm->core.nr_m2p = 0;
	memset(mem, 0, sizeof(*mem));
out:
	mutex_unlock(&vm->lock);
	return ret;
}

static bool ram_page_ok(const struct pvmx_vm *vm, u64 gpa)
{
	return !(gpa % PVMX_PAGE_SIZE) &&
	       gpa / PVMX_PAGE_SIZE < vm->core.mem.nr_ram_frames;
}

/* Checks the launcher's P2M: RAM frames only, each at most once. */
static int check_p2m(const u32 *p2m, u32 nr)
{
	unsigned long *seen = bitmap_zalloc(nr, GFP_KERNEL);
	int ret = 0;
	u32 i;

	if (!seen)
		return -ENOMEM;
	for (i = 0; i < nr && !ret; i++) {
		if (p2m[i] == ~0u)
			continue;
		if (p2m[i] >= nr || test_and_set_bit(p2m[i], seen))
			ret = -EINVAL;
	}
	bitmap_free(seen);
	return ret;
}

static int pvmx_vm_set_boot_info(struct pvmx_vm *vm, const void __user *argp)
{
	struct pvmx_boot_info b;
	u64 pages[4];
	u32 *p2m = NULL;
	int ret, i, j;

	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	if ((b.flags & ~PVMX_BOOT_FAST_INT80) || b.pad || !all_zero(b.reserved, sizeof(b.reserved)))
		return -EINVAL;
	if (b.domid >= 0x7FF0)
		return -EINVAL;

	mutex_lock(&vm->lock);
	ret = -EINVAL;
	if (!vm->ram_pages)
		goto out;
	ret = -EEXIST;
	if (vm->boot_info_set)
		goto out;
	ret = -EINVAL;
	if (b.nr_pfns != vm->core.mem.nr_ram_frames)
		goto out;
	if (!ram_page_ok(vm, b.start_info_gpa))
		goto out;
	pages[0] = b.start_info_gpa;
	pages[1] = b.hypercall_page_gpa;
	pages[2] = b.console_gpa;
	pages[3] = b.store_gpa;
	for (i = 1; i < 4; i++)
		if (pages[i] != PVMX_NO_PAGE && !ram_page_ok(vm, pages[i]))
			goto out;
	for (i = 0; i < 4; i++)
		for (j = i + 1; j < 4; j++)
			if (pages[i] != PVMX_NO_PAGE && pages[i] == pages[j])
				goto out;

	/*
	 * Copy the p2m without vm->lock: a fault takes mmap_lock, which
	 * mmap() of this VM holds while it takes vm->lock (lockdep found the
	 * ABBA).  RAM never changes once set; only a racing SET_BOOT_INFO can
	 * get in between, hence the second -EEXIST check.
	 */
	mutex_unlock(&vm->lock);
	p2m = vmemdup_array_user(u64_to_user_ptr(b.p2m), b.nr_pfns, sizeof(u32));
	if (IS_ERR(p2m))
		return PTR_ERR(p2m);
	ret = check_p2m(p2m, b.nr_pfns);
	if (ret) {
		kvfree(p2m);
		return ret;
	}
	mutex_lock(&vm->lock);
	ret = -EEXIST;
	if (vm->boot_info_set) {
		kvfree(p2m);
		goto out;
	}
	ret = -EINVAL;
	if (pvmx_events_init(&vm->core, b.console_evtchn, b.store_evtchn)) {
		kvfree(p2m);
		goto out;
	}
	/* The M2P inverts it; frames no pfn maps keep ~0 (INVALID_M2P_ENTRY). */
	for (i = 0; i < b.nr_pfns; i++)
		if (p2m[i] != ~0u)
			vm->core.m2p[p2m[i]] = i;
	kvfree(p2m);
	vm->core.domid = b.domid;
	vm->core.fast_int80 = b.flags & PVMX_BOOT_FAST_INT80;
	if (b.hypercall_page_gpa != PVMX_NO_PAGE)
		pvmx_fill_hypercall_page(vm->core.mem.frames[b.hypercall_page_gpa /
							     PVMX_PAGE_SIZE]);
	vm->boot_info_set = true;
	ret = 0;
out:
	mutex_unlock(&vm->lock);
	return ret;
}

static int pvmx_vm_raise_event(struct pvmx_vm *vm, const void __user *argp)
{
	struct pvmx_event ev;
	struct pvmx_vcpu_core *v0;

	if (copy_from_user(&ev, argp, sizeof(ev)))
		return -EFAULT;
	if ((ev.flags & ~PVMX_EVENT_VIRQ) || ev.pad ||
	    memchr_inv(ev.reserved, 0, sizeof(ev.reserved)))
		return -EINVAL;
	if (!vm->boot_info_set)
		return -EINVAL;
	if (!(ev.flags & PVMX_EVENT_VIRQ))
		return pvmx_raise_port_async(&vm->core, ev.port) ? -EINVAL : 0;
	v0 = READ_ONCE(vm->core.vcpus[0]);
	if (ev.virq >= XEN_NR_VIRQS || !v0)
		return -EINVAL;
	pvmx_raise_virq_async(v0, ev.virq);
	return 0;
}

static int pvmx_vm_bind_evtchn(struct pvmx_vm *vm, const void __user *argp)
{
	struct pvmx_evtchn_bind b;

	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	if ((b.flags & ~PVMX_BIND_UNBIND) || memchr_inv(b.reserved, 0, sizeof(b.reserved)))
		return -EINVAL;
	if (!vm->boot_info_set)
		return -EINVAL;
	return pvmx_launcher_bind_port(&vm->core, b.port, b.flags & PVMX_BIND_UNBIND) ?
		-EINVAL : 0;
}

static int pvmx_vm_get_stats(struct pvmx_vm *vm, void __user *argp)
{
	struct pvmx_stats *sum = kmalloc(sizeof(*sum), GFP_KERNEL);
	int i, ret = 0;

	if (!sum)
		return -ENOMEM;
	pvmx_stats_init(sum);
	mutex_lock(&vm->lock);
	for (i = 0; i < PVMX_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			pvmx_stats_add(sum, &vm->vcpus[i]->core.stats);
	mutex_unlock(&vm->lock);
	if (copy_to_user(argp, sum, sizeof(*sum)))
		ret = -EFAULT;
	kfree(sum);
	return ret;
}

static long pvmx_vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	struct pvmx_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case PVMX_SET_MEMORY:
		return pvmx_vm_set_memory(vm, argp);
	case PVMX_SET_BOOT_INFO:
		return pvmx_vm_set_boot_info(vm, argp);
	case PVMX_CREATE_VCPU:
		return pvmx_create_vcpu(vm, arg);
	case PVMX_RAISE_EVENT:
		return pvmx_vm_raise_event(vm, argp);
	case PVMX_BIND_EVTCHN:
		return pvmx_vm_bind_evtchn(vm, argp);
	case PVMX_GET_VM_STATS:
		return pvmx_vm_get_stats(vm, argp);
	default:
		return -ENOTTY;
	}
}

static vm_fault_t pvmx_vm_fault(struct vm_fault *vmf)
{
	struct pvmx_vm *vm = vmf->vma->vm_file->private_data;

	/* ram_pages never changes once set, and mmap checked it was set. */
	if (vmf->pgoff >= vm->core.mem.nr_ram_frames)
		return VM_FAULT_SIGBUS;
	vmf->page = vm->ram_pages[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct pvmx_vm_vm_ops = {
	.fault = pvmx_vm_fault,
};

#define GNTTAB_PGOFF	(PVMX_GNTTAB_MMAP_OFFSET / PAGE_SIZE)

/* The grant frames: separate pages, inserted on fault as RAM's are. */
static vm_fault_t pvmx_gnttab_fault(struct vm_fault *vmf)
{
	struct pvmx_vm *vm = vmf->vma->vm_file->private_data;
	unsigned long i = vmf->pgoff - GNTTAB_PGOFF;

	/* gnttab_pages never changes once RAM is set, and mmap checked it was. */
	if (vmf->pgoff < GNTTAB_PGOFF || i >= PVMX_GNTTAB_MAX_FRAMES)
		return VM_FAULT_SIGBUS;
	vmf->page = vm->gnttab_pages[i];
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct pvmx_gnttab_vm_ops = {
	.fault = pvmx_gnttab_fault,
};

static int pvmx_vm_mmap_gnttab(struct pvmx_vm *vm, struct vm_area_struct *vma)
{
	unsigned long first = vma->vm_pgoff - GNTTAB_PGOFF;

	BUILD_BUG_ON(PVMX_GNTTAB_FRAMES != PVMX_GNTTAB_MAX_FRAMES);
	if (first >= PVMX_GNTTAB_FRAMES || vma_pages(vma) > PVMX_GNTTAB_FRAMES - first)
		return -EINVAL;
	pvmx_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &pvmx_gnttab_vm_ops;
	return 0;
}

static int pvmx_vm_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct pvmx_vm *vm = filp->private_data;
	unsigned long pages = vma_pages(vma);
	int ret = -EINVAL;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->ram_pages && vma->vm_pgoff >= GNTTAB_PGOFF) {
		/* The grant frames, for back ends (uapi.rst); they live as long as the VM. */
		ret = pvmx_vm_mmap_gnttab(vm, vma);
	} else if (vm->ram_pages && vma->vm_pgoff < vm->core.mem.nr_ram_frames &&
	    pages <= vm->core.mem.nr_ram_frames - vma->vm_pgoff) {
		pvmx_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
		vma->vm_ops = &pvmx_vm_vm_ops;
		ret = 0;
	}
	mutex_unlock(&vm->lock);
	return ret;
}

static int pvmx_vm_release_file(struct inode *inode, struct file *filp)
{
	pvmx_vm_put(filp->private_data);
	return 0;
}

static const struct file_operations pvmx_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= pvmx_vm_release_file,
	.unlocked_ioctl	= pvmx_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= pvmx_vm_mmap,
	.llseek		= noop_llseek,
};

int pvmx_create_vm(unsigned long flags)
{
	struct pvmx_vm *vm;
	int ret;

	if (flags)
		return -EINVAL;
	ret = pvmx_vmx_enable();
	if (ret)
		return ret;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm) {
		pvmx_vmx_disable();
		return -ENOMEM;
	}
	kref_init(&vm->kref);
	mutex_init(&vm->lock);
	spin_lock_init(&vm->core.lock);
	ret = pvmx_vmx_vm_init(vm);
	if (ret) {
		pvmx_vm_put(vm);
		return ret;
	}
	ret = anon_inode_getfd("pvmx-vm", &pvmx_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (ret < 0)
		pvmx_vm_put(vm);
	return ret;
}
