// SPDX-License-Identifier: GPL-2.0
/*
 * vm_assist (21), physdev_op (33) and physdev_op_compat (19), with the
 * results Xen gives an unprivileged 32-bit PV domain (xen/common/domain.c's
 * vm_assist(), xen/arch/x86/physdev.c).  A pvmx guest owns no physical
 * device and no physical IRQ (Xen's nr_pirqs is 0 for it): what it can do
 * is set its virtual IOPL and I/O bitmap, which emulate.c consults for
 * in/out and cli/sti, and register the PIRQ EOI page.  Everything that
 * needs a privileged domain is -EPERM after the argument is read, as Xen's
 * XSM check comes after its copy_from_guest().
 */
#include "core.h"

/* Xen's PV32_VM_ASSIST_MASK (writable_pagetables: ptwr.c). */
#define PVMX_VM_ASSIST_MASK	(BIT(VMASST_TYPE_4gb_segments) |		\
				 BIT(VMASST_TYPE_4gb_segments_notify) |	\
				 BIT(VMASST_TYPE_writable_pagetables) |	\
				 BIT(VMASST_TYPE_pae_extended_cr3) |		\
				 BIT(VMASST_TYPE_architectural_iopl) |		\
				 BIT(VMASST_TYPE_runstate_update_flag))

/* Bytes of the I/O bitmap Xen checks is guest-addressable (IOBMP_BYTES). */
#define IOBMP_BYTES		8192u
#define IOBMP_MAX_PORTS		65536u

long do_vm_assist(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 cmd = hc->arg[0], type = hc->arg[1];

	lockdep_assert_held(&v->vm->lock);
	if (type >= 32 || !(BIT(type) & PVMX_VM_ASSIST_MASK))
		return -XEN_EINVAL;
	switch (cmd) {
	case VMASST_CMD_enable:
		v->vm->vm_assist |= BIT(type);
		return 0;
	case VMASST_CMD_disable:
		v->vm->vm_assist &= ~BIT(type);
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}

/* Size of each sub-op's argument in the 32-bit layout, 0: not a known sub-op. */
static u32 physdev_arg_size(u32 cmd)
{
	switch (cmd) {
	case PHYSDEVOP_set_iopl:
	case PHYSDEVOP_eoi:
	case PHYSDEVOP_pirq_eoi_gmfn_v1:
	case PHYSDEVOP_pirq_eoi_gmfn_v2:
	case PHYSDEVOP_prepare_msix:
	case PHYSDEVOP_release_msix:
	case PHYSDEVOP_pci_device_remove:
	case PHYSDEVOP_restore_msi_ext:
		return 4;
	case PHYSDEVOP_manage_pci_add:
	case PHYSDEVOP_manage_pci_remove:
	case PHYSDEVOP_restore_msi:
		return 2;
	case PHYSDEVOP_irq_status_query:
	case PHYSDEVOP_set_iobitmap:
	case PHYSDEVOP_alloc_irq_vector:
	case PHYSDEVOP_unmap_pirq:
	case PHYSDEVOP_setup_gsi:
	case PHYSDEVOP_get_free_pirq:
	case PHYSDEVOP_pci_device_reset:
		return 8;
	case PHYSDEVOP_apic_read:
	case PHYSDEVOP_apic_write:
	case PHYSDEVOP_pci_device_add:
		return 12;
	case PHYSDEVOP_manage_pci_add_ext:
	case PHYSDEVOP_pci_mmcfg_reserved:
		return 16;
	case PHYSDEVOP_map_pirq:
		return 36;
	case PHYSDEVOP_dbgp_op:
		return 1;
	default:
		return 0;
	}
}

/* PHYSDEVOP_pirq_eoi_gmfn_v1/v2: a writable RAM frame, registered once. */
static long pirq_eoi_gmfn(struct pvmx_vcpu_core *v, u32 gmfn)
{
	struct pvmx_vm_core *vm = v->vm;

	if (gmfn >= vm->mem.nr_ram_frames ||
	    pvmx_get_page_type(vm, gmfn, PVMX_PGT_WRITABLE))
		return -XEN_EINVAL;
	if (vm->pirq_eoi_mapped) {
		pvmx_put_page_type(vm, gmfn);
		return -XEN_EBUSY;
	}
	/* The typed reference is kept for the VM's life, as Xen keeps the page. */
	vm->pirq_eoi_mapped = true;
	vm->pirq_eoi_gfn = gmfn;
	return 0;
}

long do_physdev_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 cmd = hc->arg[0], size = physdev_arg_size(cmd);
	u32 arg[9];

	lockdep_assert_held(&v->vm->lock);
	if (!size)
		return -XEN_ENOSYS;
	if (pvmx_copy_from_guest(v, arg, hc->arg[1], size))
		return -XEN_EFAULT;

	switch (cmd) {
	case PHYSDEVOP_set_iopl:
		if (arg[0] > 3)
			return -XEN_EINVAL;
		v->iopl = arg[0];
		return 0;
	case PHYSDEVOP_set_iobitmap:
		/* {bitmap, nr_ports}: the whole 8 KiB must be guest-addressable. */
		if ((u64)arg[0] + IOBMP_BYTES > XEN_HYPERVISOR_VIRT_START ||
		    arg[1] > IOBMP_MAX_PORTS)
			return -XEN_EINVAL;
		v->iobmp = arg[0];
		v->iobmp_limit = arg[1];
		return 0;
	case PHYSDEVOP_eoi:
	case PHYSDEVOP_irq_status_query:
		return -XEN_EINVAL;		/* irq >= nr_pirqs (0) */
	case PHYSDEVOP_get_free_pirq:
		return -XEN_ENOSPC;		/* no PIRQ to hand out */
	case PHYSDEVOP_pirq_eoi_gmfn_v1:
	case PHYSDEVOP_pirq_eoi_gmfn_v2:
		return pirq_eoi_gmfn(v, arg[0]);
	default:
		return -XEN_EPERM;		/* needs a privileged domain */
	}
}

/*
 * physdev_op_compat(struct physdev_op *): {u32 cmd; union} in one guest
 * struct (16 bytes for a 32-bit guest), read whole; then Xen's compat.c
 * forwards every cmd to physdev_op with the union as its argument.
 */
long do_physdev_op_compat(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	struct pvmx_hcall sub = *hc;
	u32 op[4];

	lockdep_assert_held(&v->vm->lock);
	if (pvmx_copy_from_guest(v, op, hc->arg[0], sizeof(op)))
		return -XEN_EFAULT;
	sub.arg[0] = op[0];
	sub.arg[1] = hc->arg[0] + 4;
	return do_physdev_op(v, &sub);
}
