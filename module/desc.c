// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's GDT and LDT.  Placeholder: being written (issue 5).
 */
#include "core.h"

long pvmx_set_gdt(struct pvmx_vcpu_core *v, const u32 *frames, u32 entries)
{
	return -XEN_ENOSYS;
}

long pvmx_set_ldt(struct pvmx_vcpu_core *v, u32 va, u32 entries)
{
	return -XEN_ENOSYS;
}
