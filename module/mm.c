// SPDX-License-Identifier: GPL-2.0
/*
 * Page types and the PV page-table hypercalls.  Placeholder: the frame
 * table and the hypercalls are being written (issue 5).
 */
#include "core.h"

int pvmx_get_page_type(struct pvmx_vm_core *vm, u32 mfn, enum pvmx_page_type type)
{
	return mfn < vm->mem.nr_ram_frames ? 0 : -XEN_EINVAL;
}

void pvmx_put_page_type(struct pvmx_vm_core *vm, u32 mfn)
{
}

long pvmx_new_baseptr(struct pvmx_vcpu_core *v, u32 mfn)
{
	return -XEN_ENOSYS;
}
