// SPDX-License-Identifier: GPL-2.0
/*
 * libpvmx: names for Xen hypercall numbers, their sub-operations, Xen errno
 * values and VMX basic exit reasons (for the trace decoder and the
 * statistics).  Sources: Xen's public headers (xen.h, errno.h, sched.h,
 * version.h, event_channel.h, vcpu.h, callback.h, memory.h, grant_table.h,
 * physdev.h, nmi.h) and the Intel SDM, appendix C.
 */
#include <stddef.h>

#include "libpvmx.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *lookup(const char *const *tab, size_t n, unsigned i)
{
	return i < n ? tab[i] : NULL;
}

static const char *const hypercall_names[] = {
	[0] = "set_trap_table",		[1] = "mmu_update",
	[2] = "set_gdt",		[3] = "stack_switch",
	[4] = "set_callbacks",		[5] = "fpu_taskswitch",
	[6] = "sched_op_compat",	[7] = "platform_op",
	[8] = "set_debugreg",		[9] = "get_debugreg",
	[10] = "update_descriptor",	[11] = "set_fast_trap",
	[12] = "memory_op",		[13] = "multicall",
	[14] = "update_va_mapping",	[15] = "set_timer_op",
	[16] = "event_channel_op_compat", [17] = "xen_version",
	[18] = "console_io",		[19] = "physdev_op_compat",
	[20] = "grant_table_op",	[21] = "vm_assist",
	[22] = "update_va_mapping_otherdomain", [23] = "iret",
	[24] = "vcpu_op",		[25] = "set_segment_base",
	[26] = "mmuext_op",		[27] = "xsm_op",
	[28] = "nmi_op",		[29] = "sched_op",
	[30] = "callback_op",		[31] = "xenoprof_op",
	[32] = "event_channel_op",	[33] = "physdev_op",
	[34] = "hvm_op",		[35] = "sysctl",
	[36] = "domctl",		[37] = "kexec_op",
	[38] = "tmem_op",		[39] = "argo_op",
	[40] = "xenpmu_op",		[41] = "dm_op",
	[42] = "hypfs_op",
	[48] = "mca",			[49] = "arch_1",
};

const char *pvmx_hypercall_name(unsigned op)
{
	return lookup(hypercall_names, N(hypercall_names), op);
}

static const char *const consoleio_names[] = { "CONSOLEIO_write", "CONSOLEIO_read" };

static const char *const schedop_names[] = {
	"SCHEDOP_yield", "SCHEDOP_block", "SCHEDOP_shutdown", "SCHEDOP_poll",
	"SCHEDOP_remote_shutdown", "SCHEDOP_shutdown_code", "SCHEDOP_watchdog",
	"SCHEDOP_pin_override",
};

static const char *const xenver_names[] = {
	"XENVER_version", "XENVER_extraversion", "XENVER_compile_info",
	"XENVER_capabilities", "XENVER_changeset", "XENVER_platform_parameters",
	"XENVER_get_features", "XENVER_pagesize", "XENVER_guest_handle",
	"XENVER_commandline", "XENVER_build_id", "XENVER_extraversion2",
	"XENVER_capabilities2", "XENVER_changeset2", "XENVER_commandline2",
};

static const char *const evtchnop_names[] = {
	"EVTCHNOP_bind_interdomain", "EVTCHNOP_bind_virq", "EVTCHNOP_bind_pirq",
	"EVTCHNOP_close", "EVTCHNOP_send", "EVTCHNOP_status", "EVTCHNOP_alloc_unbound",
	"EVTCHNOP_bind_ipi", "EVTCHNOP_bind_vcpu", "EVTCHNOP_unmask", "EVTCHNOP_reset",
	"EVTCHNOP_init_control", "EVTCHNOP_expand_array", "EVTCHNOP_set_priority",
};

static const char *const vcpuop_names[] = {
	"VCPUOP_initialise", "VCPUOP_up", "VCPUOP_down", "VCPUOP_is_up",
	"VCPUOP_get_runstate_info", "VCPUOP_register_runstate_memory_area",
	"VCPUOP_set_periodic_timer", "VCPUOP_stop_periodic_timer",
	"VCPUOP_set_singleshot_timer", "VCPUOP_stop_singleshot_timer",
	"VCPUOP_register_vcpu_info", "VCPUOP_send_nmi", "VCPUOP_get_physid",
	"VCPUOP_register_vcpu_time_memory_area", "VCPUOP_register_runstate_phys_area",
	"VCPUOP_register_vcpu_time_phys_area",
};

static const char *const callbackop_names[] = { "CALLBACKOP_register", "CALLBACKOP_unregister" };

static const char *const xenmem_names[] = {
	[0] = "XENMEM_increase_reservation",	[1] = "XENMEM_decrease_reservation",
	[2] = "XENMEM_maximum_ram_page",	[3] = "XENMEM_current_reservation",
	[4] = "XENMEM_maximum_reservation",	[5] = "XENMEM_machphys_mfn_list",
	[6] = "XENMEM_populate_physmap",	[7] = "XENMEM_add_to_physmap",
	[8] = "XENMEM_translate_gpfn_list",	[9] = "XENMEM_memory_map",
	[10] = "XENMEM_machine_memory_map",	[11] = "XENMEM_exchange",
	[12] = "XENMEM_machphys_mapping",	[13] = "XENMEM_set_memory_map",
	[14] = "XENMEM_maximum_gpfn",		[15] = "XENMEM_remove_from_physmap",
	[16] = "XENMEM_set_pod_target",		[17] = "XENMEM_get_pod_target",
	[18] = "XENMEM_get_sharing_freed_pages", [19] = "XENMEM_get_sharing_shared_pages",
	[20] = "XENMEM_paging_op",		[21] = "XENMEM_access_op",
	[22] = "XENMEM_sharing_op",		[23] = "XENMEM_add_to_physmap_batch",
	[24] = "XENMEM_claim_pages",		[25] = "XENMEM_machphys_compat_mfn_list",
	[26] = "XENMEM_get_vnumainfo",		[27] = "XENMEM_reserved_device_memory_map",
	[28] = "XENMEM_acquire_resource",
};

static const char *const gnttabop_names[] = {
	"GNTTABOP_map_grant_ref", "GNTTABOP_unmap_grant_ref", "GNTTABOP_setup_table",
	"GNTTABOP_dump_table", "GNTTABOP_transfer", "GNTTABOP_copy",
	"GNTTABOP_query_size", "GNTTABOP_unmap_and_replace", "GNTTABOP_set_version",
	"GNTTABOP_get_status_frames", "GNTTABOP_get_version", "GNTTABOP_swap_grant_ref",
	"GNTTABOP_cache_flush",
};

static const char *const physdevop_names[] = {
	[4] = "PHYSDEVOP_IRQ_UNMASK_NOTIFY",	[5] = "PHYSDEVOP_irq_status_query",
	[6] = "PHYSDEVOP_set_iopl",		[7] = "PHYSDEVOP_set_iobitmap",
	[8] = "PHYSDEVOP_apic_read",		[9] = "PHYSDEVOP_apic_write",
	[10] = "PHYSDEVOP_alloc_irq_vector",	[11] = "PHYSDEVOP_free_irq_vector",
	[12] = "PHYSDEVOP_eoi",			[13] = "PHYSDEVOP_map_pirq",
	[14] = "PHYSDEVOP_unmap_pirq",		[15] = "PHYSDEVOP_manage_pci_add",
	[16] = "PHYSDEVOP_manage_pci_remove",	[17] = "PHYSDEVOP_pirq_eoi_gmfn_v1",
	[19] = "PHYSDEVOP_restore_msi",		[20] = "PHYSDEVOP_manage_pci_add_ext",
	[21] = "PHYSDEVOP_setup_gsi",		[23] = "PHYSDEVOP_get_free_pirq",
	[24] = "PHYSDEVOP_pci_mmcfg_reserved",	[25] = "PHYSDEVOP_pci_device_add",
	[26] = "PHYSDEVOP_pci_device_remove",	[27] = "PHYSDEVOP_restore_msi_ext",
	[28] = "PHYSDEVOP_pirq_eoi_gmfn_v2",	[29] = "PHYSDEVOP_dbgp_op",
	[30] = "PHYSDEVOP_prepare_msix",	[31] = "PHYSDEVOP_release_msix",
	[32] = "PHYSDEVOP_pci_device_reset",
};

static const char *const vmasst_cmd_names[] = { "VMASST_CMD_enable", "VMASST_CMD_disable" };

static const char *const vmasst_type_names[] = {
	"VMASST_TYPE_4gb_segments", "VMASST_TYPE_4gb_segments_notify",
	"VMASST_TYPE_writable_pagetables", "VMASST_TYPE_pae_extended_cr3",
	"VMASST_TYPE_architectural_iopl", "VMASST_TYPE_runstate_update_flag",
};

static const char *const nmiop_names[] = { "XENNMI_register_callback", "XENNMI_unregister_callback" };

static const char *const mmuext_names[] = {
	[0] = "MMUEXT_PIN_L1_TABLE",	[1] = "MMUEXT_PIN_L2_TABLE",
	[2] = "MMUEXT_PIN_L3_TABLE",	[3] = "MMUEXT_PIN_L4_TABLE",
	[4] = "MMUEXT_UNPIN_TABLE",	[5] = "MMUEXT_NEW_BASEPTR",
	[6] = "MMUEXT_TLB_FLUSH_LOCAL",	[7] = "MMUEXT_INVLPG_LOCAL",
	[8] = "MMUEXT_TLB_FLUSH_MULTI",	[9] = "MMUEXT_INVLPG_MULTI",
	[10] = "MMUEXT_TLB_FLUSH_ALL",	[11] = "MMUEXT_INVLPG_ALL",
	[12] = "MMUEXT_FLUSH_CACHE",	[13] = "MMUEXT_SET_LDT",
	[15] = "MMUEXT_NEW_USER_BASEPTR", [16] = "MMUEXT_CLEAR_PAGE",
	[17] = "MMUEXT_COPY_PAGE",	[18] = "MMUEXT_FLUSH_CACHE_GLOBAL",
	[19] = "MMUEXT_MARK_SUPER",	[20] = "MMUEXT_UNMARK_SUPER",
};

const char *pvmx_subop_name(unsigned op, unsigned cmd)
{
	switch (op) {
	case __HYPERVISOR_console_io:
		return lookup(consoleio_names, N(consoleio_names), cmd);
	case __HYPERVISOR_sched_op:
	case __HYPERVISOR_sched_op_compat:
		return lookup(schedop_names, N(schedop_names), cmd);
	case __HYPERVISOR_xen_version:
		return lookup(xenver_names, N(xenver_names), cmd);
	case __HYPERVISOR_event_channel_op:
		return lookup(evtchnop_names, N(evtchnop_names), cmd);
	case __HYPERVISOR_vcpu_op:
		return lookup(vcpuop_names, N(vcpuop_names), cmd);
	case __HYPERVISOR_callback_op:
		return lookup(callbackop_names, N(callbackop_names), cmd);
	case __HYPERVISOR_memory_op:
		return lookup(xenmem_names, N(xenmem_names), cmd);
	case __HYPERVISOR_grant_table_op:
		return lookup(gnttabop_names, N(gnttabop_names), cmd);
	case __HYPERVISOR_physdev_op:
		return lookup(physdevop_names, N(physdevop_names), cmd);
	case __HYPERVISOR_vm_assist:
		return lookup(vmasst_cmd_names, N(vmasst_cmd_names), cmd);
	case __HYPERVISOR_nmi_op:
		return lookup(nmiop_names, N(nmiop_names), cmd);
	}
	return NULL;
}

const char *pvmx_mmuext_cmd_name(unsigned cmd)
{
	return lookup(mmuext_names, N(mmuext_names), cmd);
}

const char *pvmx_vm_assist_type_name(unsigned type)
{
	if (type == 32)
		return "VMASST_TYPE_m2p_strict";
	return lookup(vmasst_type_names, N(vmasst_type_names), type);
}

const char *pvmx_xen_shutdown_reason_name(unsigned reason)
{
	static const char *const names[] = {
		"SHUTDOWN_poweroff", "SHUTDOWN_reboot", "SHUTDOWN_suspend",
		"SHUTDOWN_crash", "SHUTDOWN_watchdog", "SHUTDOWN_soft_reset",
	};

	return lookup(names, N(names), reason);
}

static const char *const errno_names[] = {
	[1] = "EPERM",		[2] = "ENOENT",		[3] = "ESRCH",
	[4] = "EINTR",		[5] = "EIO",		[6] = "ENXIO",
	[7] = "E2BIG",		[8] = "ENOEXEC",	[9] = "EBADF",
	[10] = "ECHILD",	[11] = "EAGAIN",	[12] = "ENOMEM",
	[13] = "EACCES",	[14] = "EFAULT",	[16] = "EBUSY",
	[17] = "EEXIST",	[18] = "EXDEV",		[19] = "ENODEV",
	[20] = "ENOTDIR",	[21] = "EISDIR",	[22] = "EINVAL",
	[23] = "ENFILE",	[24] = "EMFILE",	[28] = "ENOSPC",
	[30] = "EROFS",		[31] = "EMLINK",	[33] = "EDOM",
	[34] = "ERANGE",	[35] = "EDEADLK",	[36] = "ENAMETOOLONG",
	[37] = "ENOLCK",	[38] = "ENOSYS",	[39] = "ENOTEMPTY",
	[61] = "ENODATA",	[62] = "ETIME",		[74] = "EBADMSG",
	[75] = "EOVERFLOW",	[84] = "EILSEQ",	[85] = "ERESTART",
	[88] = "ENOTSOCK",	[90] = "EMSGSIZE",	[95] = "EOPNOTSUPP",
	[98] = "EADDRINUSE",	[99] = "EADDRNOTAVAIL",	[105] = "ENOBUFS",
	[106] = "EISCONN",	[107] = "ENOTCONN",	[110] = "ETIMEDOUT",
	[111] = "ECONNREFUSED",
};

const char *pvmx_xen_errno_name(unsigned err)
{
	return lookup(errno_names, N(errno_names), err);
}

/* Lower-case versions of Linux's VMX_EXIT_REASONS names (as `perf kvm stat` shows). */
static const char *const vmx_exit_names[] = {
	[0] = "exception_nmi",		[1] = "external_interrupt",
	[2] = "triple_fault",		[3] = "init_signal",
	[4] = "sipi_signal",		[5] = "io_smi",
	[6] = "other_smi",		[7] = "interrupt_window",
	[8] = "nmi_window",		[9] = "task_switch",
	[10] = "cpuid",			[11] = "getsec",
	[12] = "hlt",			[13] = "invd",
	[14] = "invlpg",		[15] = "rdpmc",
	[16] = "rdtsc",			[17] = "rsm",
	[18] = "vmcall",		[19] = "vmclear",
	[20] = "vmlaunch",		[21] = "vmptrld",
	[22] = "vmptrst",		[23] = "vmread",
	[24] = "vmresume",		[25] = "vmwrite",
	[26] = "vmxoff",		[27] = "vmxon",
	[28] = "cr_access",		[29] = "dr_access",
	[30] = "io_instruction",	[31] = "msr_read",
	[32] = "msr_write",		[33] = "invalid_state",
	[34] = "msr_load_fail",		[36] = "mwait_instruction",
	[37] = "monitor_trap_flag",	[39] = "monitor_instruction",
	[40] = "pause_instruction",	[41] = "mce_during_vmentry",
	[43] = "tpr_below_threshold",	[44] = "apic_access",
	[45] = "eoi_induced",		[46] = "gdtr_idtr",
	[47] = "ldtr_tr",		[48] = "ept_violation",
	[49] = "ept_misconfig",		[50] = "invept",
	[51] = "rdtscp",		[52] = "preemption_timer",
	[53] = "invvpid",		[54] = "wbinvd",
	[55] = "xsetbv",		[56] = "apic_write",
	[57] = "rdrand",		[58] = "invpcid",
	[59] = "vmfunc",		[60] = "encls",
	[61] = "rdseed",		[62] = "pml_full",
	[63] = "xsaves",		[64] = "xrstors",
	[65] = "pconfig",		[66] = "spp",
	[67] = "umwait",		[68] = "tpause",
	[69] = "loadiwkey",		[70] = "enclv",
	[72] = "enqcmd_pasid_fail",	[73] = "enqcmds_pasid_fail",
	[74] = "bus_lock",		[75] = "notify",
	[76] = "seamcall",		[77] = "tdcall",
	[78] = "rdmsrlist",		[79] = "wrmsrlist",
};

const char *pvmx_vmx_exit_reason_name(unsigned reason)
{
	return lookup(vmx_exit_names, N(vmx_exit_names), reason);
}

static const char *const vector_names[] = {
	[0] = "#DE", [1] = "#DB", [2] = "NMI", [3] = "#BP", [4] = "#OF", [5] = "#BR",
	[6] = "#UD", [7] = "#NM", [8] = "#DF", [10] = "#TS", [11] = "#NP", [12] = "#SS",
	[13] = "#GP", [14] = "#PF", [16] = "#MF", [17] = "#AC", [18] = "#MC", [19] = "#XM",
	[20] = "#VE", [21] = "#CP",
};

const char *pvmx_vector_name(unsigned vector)
{
	return lookup(vector_names, N(vector_names), vector);
}
