/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The Xen 32-bit PAE PV guest ABI as pvmx implements it: numbers, errno
 * values and every guest-visible layout, shared by the module, the launcher,
 * the test guests and the host unit tests.  Source of truth: Xen's public
 * headers, xen/include/public/ (xen.h, arch-x86/xen.h, arch-x86/xen-x86_32.h,
 * event_channel.h, callback.h, vcpu.h, sched.h, memory.h, grant_table.h,
 * version.h, features.h, elfnote.h, errno.h), in their 32-bit (compat)
 * layouts; what pvmx does with each is in Documentation/guest-abi.rst.  The
 * PV device rings and the xenstore ring are in xen_io.h.
 *
 * Structures carry Xen's names (struct evtchn_status, gnttab_query_size),
 * some with a xen_ prefix that keeps a generic one apart (struct
 * xen_trap_info for trap_info_t).  Only fixed-size types, so the same header
 * serves the 64-bit kernel and launcher and the 32-bit guests.  Layouts are
 * pinned at the end, with the sizes and offsets of Xen's 32-bit layouts.
 */
#ifndef _PVMX_XEN_ABI_H
#define _PVMX_XEN_ABI_H

#include <linux/types.h>

/* Hypercall numbers (xen.h). */
#define __HYPERVISOR_set_trap_table		0
#define __HYPERVISOR_mmu_update			1
#define __HYPERVISOR_set_gdt			2
#define __HYPERVISOR_stack_switch		3
#define __HYPERVISOR_set_callbacks		4
#define __HYPERVISOR_fpu_taskswitch		5
#define __HYPERVISOR_sched_op_compat		6
#define __HYPERVISOR_platform_op		7
#define __HYPERVISOR_set_debugreg		8
#define __HYPERVISOR_get_debugreg		9
#define __HYPERVISOR_update_descriptor		10
#define __HYPERVISOR_memory_op			12
#define __HYPERVISOR_multicall			13
#define __HYPERVISOR_update_va_mapping		14
#define __HYPERVISOR_set_timer_op		15
#define __HYPERVISOR_event_channel_op_compat	16
#define __HYPERVISOR_xen_version		17
#define __HYPERVISOR_console_io			18
#define __HYPERVISOR_physdev_op_compat		19
#define __HYPERVISOR_grant_table_op		20
#define __HYPERVISOR_vm_assist			21
#define __HYPERVISOR_update_va_mapping_otherdomain 22
#define __HYPERVISOR_iret			23
#define __HYPERVISOR_vcpu_op			24
#define __HYPERVISOR_set_segment_base		25
#define __HYPERVISOR_mmuext_op			26
#define __HYPERVISOR_xsm_op			27
#define __HYPERVISOR_nmi_op			28
#define __HYPERVISOR_sched_op			29
#define __HYPERVISOR_callback_op		30
#define __HYPERVISOR_xenoprof_op		31
#define __HYPERVISOR_event_channel_op		32
#define __HYPERVISOR_physdev_op			33
#define __HYPERVISOR_hvm_op			34
#define __HYPERVISOR_sysctl			35
#define __HYPERVISOR_domctl			36
/* Slots in the hypercall page (and the dispatch table size). */
#define XEN_NR_HYPERCALL_SLOTS			128

/* Xen errno values (errno.h); hypercalls return them negated. */
#define XEN_EPERM		1
#define XEN_ENOENT		2
#define XEN_ESRCH		3
#define XEN_EINTR		4
#define XEN_EIO			5
#define XEN_E2BIG		7
#define XEN_EBADF		9
#define XEN_EAGAIN		11
#define XEN_ENOMEM		12
#define XEN_EACCES		13
#define XEN_EFAULT		14
#define XEN_EBUSY		16
#define XEN_ENXIO		6
#define XEN_EEXIST		17
#define XEN_ENODEV		19
#define XEN_EINVAL		22
#define XEN_ENOSPC		28
#define XEN_ERANGE		34
#define XEN_ENOSYS		38
#define XEN_ENODATA		61
#define XEN_EOPNOTSUPP		95

/* mmu_update (xen.h): the command is in the low bits of ptr. */
#define MMU_NORMAL_PT_UPDATE		0
#define MMU_MACHPHYS_UPDATE		1
#define MMU_PT_UPDATE_PRESERVE_AD	2
#define MMU_PT_UPDATE_NO_TRANSLATE	3
/* Set in count by a continuation of mmu_update or mmuext_op. */
#define MMU_UPDATE_PREEMPTED		0x80000000u

struct mmu_update {
	__u64 ptr;
	__u64 val;
};

/* mmuext_op (xen.h); 12 bytes for a 32-bit guest. */
#define MMUEXT_PIN_L1_TABLE		0
#define MMUEXT_PIN_L2_TABLE		1
#define MMUEXT_PIN_L3_TABLE		2
#define MMUEXT_PIN_L4_TABLE		3
#define MMUEXT_UNPIN_TABLE		4
#define MMUEXT_NEW_BASEPTR		5
#define MMUEXT_TLB_FLUSH_LOCAL		6
#define MMUEXT_INVLPG_LOCAL		7
#define MMUEXT_TLB_FLUSH_MULTI		8
#define MMUEXT_INVLPG_MULTI		9
#define MMUEXT_TLB_FLUSH_ALL		10
#define MMUEXT_INVLPG_ALL		11
#define MMUEXT_FLUSH_CACHE		12
#define MMUEXT_SET_LDT			13
#define MMUEXT_NEW_USER_BASEPTR		15
#define MMUEXT_CLEAR_PAGE		16
#define MMUEXT_COPY_PAGE		17
#define MMUEXT_FLUSH_CACHE_GLOBAL	18
#define MMUEXT_MARK_SUPER		19
#define MMUEXT_UNMARK_SUPER		20

struct mmuext_op {
	__u32 cmd;
	__u32 arg1;	/* mfn or linear_addr */
	__u32 arg2;	/* nr_ents, vcpumask pointer or src_mfn */
};

/* multicall (xen.h multicall_entry_t): op, result and args are 32-bit words. */
struct xen_multicall_entry {
	__u32 op;
	__u32 result;
	__u32 args[6];
};

/* update_va_mapping flags: a flush type, and whom it is for. */
#define UVMF_NONE		0u
#define UVMF_TLB_FLUSH		1u
#define UVMF_INVLPG		2u
#define UVMF_FLUSHTYPE_MASK	3u
#define UVMF_LOCAL		0u
#define UVMF_ALL		4u
/* Any other value in bits 2..31 is a pointer to a vCPU bitmap (UVMF_MULTI). */

/* Guest virtual layout. */
#define XEN_HYPERVISOR_VIRT_START	0xF5800000u
#define XEN_MACH2PHYS_VIRT_START	0xF5800000u
#define XEN_MACH2PHYS_VIRT_END		0xFFE00000u
/* First L2 slot (of the L2 under L3 slot 3) that belongs to the hypervisor. */
#define XEN_L2_FIRST_HYPERVISOR_SLOT	428

/* Flat selectors in the hypervisor's reserved GDT page (entries 7171..7174). */
#define XEN_FIRST_RESERVED_GDT_ENTRY	7168
#define FLAT_RING1_CS		0xE019
#define FLAT_RING1_DS		0xE021
#define FLAT_RING1_SS		0xE021
#define FLAT_RING3_CS		0xE02B
#define FLAT_RING3_DS		0xE033
#define FLAT_RING3_SS		0xE033
#define FLAT_KERNEL_CS		FLAT_RING1_CS
#define FLAT_KERNEL_DS		FLAT_RING1_DS
#define FLAT_KERNEL_SS		FLAT_RING1_SS
#define FLAT_USER_CS		FLAT_RING3_CS
#define FLAT_USER_DS		FLAT_RING3_DS
#define FLAT_USER_SS		FLAT_RING3_SS

/*
 * The descriptors behind them, as compat Xen's boot GDT holds them
 * (boot_compat_gdt, xen/arch/x86/desc.c): base 0, limit 4 GiB, 32-bit,
 * accessed; code readable, data writable.
 */
#define XEN_FLAT_RING1_CS_DESC	0x00cfbb000000ffffULL
#define XEN_FLAT_RING1_DS_DESC	0x00cfb3000000ffffULL
#define XEN_FLAT_RING3_CS_DESC	0x00cffb000000ffffULL
#define XEN_FLAT_RING3_DS_DESC	0x00cff3000000ffffULL

/* console_io */
#define CONSOLEIO_write		0
#define CONSOLEIO_read		1

/* sched_op */
#define SCHEDOP_yield		0
#define SCHEDOP_block		1
#define SCHEDOP_shutdown	2
#define SCHEDOP_poll		3
#define SCHEDOP_remote_shutdown	4
#define SCHEDOP_shutdown_code	5
#define SCHEDOP_watchdog	6

#define SHUTDOWN_poweroff	0
#define SHUTDOWN_reboot		1
#define SHUTDOWN_suspend	2
#define SHUTDOWN_crash		3
#define SHUTDOWN_watchdog	4
#define SHUTDOWN_soft_reset	5

/* xen_version */
#define XENVER_version		0
#define XENVER_extraversion	1
#define XENVER_compile_info	2
#define XENVER_capabilities	3
#define XENVER_changeset	4
#define XENVER_platform_parameters 5
#define XENVER_get_features	6
#define XENVER_pagesize		7
#define XENVER_guest_handle	8
#define XENVER_commandline	9

#define XEN_EXTRAVERSION_LEN	16
#define XEN_CAPABILITIES_LEN	1024
#define XEN_CHANGESET_LEN	64
#define XEN_COMMANDLINE_LEN	1024
#define XEN_GUEST_HANDLE_LEN	16

struct xen_compile_info {
	char compiler[64];
	char compile_by[16];
	char compile_domain[32];
	char compile_date[32];
};

struct xen_feature_info {
	__u32 submap_idx;
	__u32 submap;
};

#define XENFEAT_writable_page_tables		0
#define XENFEAT_writable_descriptor_tables	1
#define XENFEAT_auto_translated_physmap		2
#define XENFEAT_supervisor_mode_kernel		3
#define XENFEAT_pae_pgdir_above_4gb		4
#define XENFEAT_mmu_pt_update_preserve_ad	5
#define XENFEAT_highmem_assist			6
#define XENFEAT_gnttab_map_avail_bits		7
#define XENFEAT_hvm_callback_vector		8
#define XENFEAT_dom0				11

/* start_info (i386 layout, 1112 bytes). */
#define XEN_START_INFO_MAGIC	"xen-3.0-x86_32p"
#define XEN_MAX_GUEST_CMDLINE	1024
#define SIF_PRIVILEGED		(1u << 0)
#define SIF_INITDOMAIN		(1u << 1)
#define SIF_MOD_START_PFN	(1u << 3)	/* mod_start is a pfn, not a VA */

struct xen_start_info {
	char magic[32];
	__u32 nr_pages;
	__u32 shared_info;		/* machine address */
	__u32 flags;
	__u32 store_mfn;
	__u32 store_evtchn;
	__u32 console_mfn;
	__u32 console_evtchn;
	__u32 pt_base;			/* VA of the L3 */
	__u32 nr_pt_frames;
	__u32 mfn_list;			/* VA of the P2M */
	__u32 mod_start;
	__u32 mod_len;
	char cmd_line[XEN_MAX_GUEST_CMDLINE];
	__u32 first_p2m_pfn;
	__u32 nr_p2m_frames;
};

/* vcpu_info and shared_info (i386 layouts). */
struct xen_vcpu_time_info {
	__u32 version;
	__u32 pad0;
	__u64 tsc_timestamp __attribute__((aligned(4)));
	__u64 system_time __attribute__((aligned(4)));
	__u32 tsc_to_system_mul;
	__s8 tsc_shift;
	__u8 flags;
	__u8 pad1[2];
} __attribute__((packed, aligned(4)));

struct xen_vcpu_info {
	__u8 evtchn_upcall_pending;
	__u8 evtchn_upcall_mask;
	__u8 pad[2];
	__u32 evtchn_pending_sel;
	__u32 cr2;
	__u32 arch_pad[5];
	struct xen_vcpu_time_info time;
};

#define XEN_LEGACY_MAX_VCPUS	32
#define XEN_NR_EVTCHN_WORDS	32

struct xen_shared_info {
	struct xen_vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
	__u32 evtchn_pending[XEN_NR_EVTCHN_WORDS];
	__u32 evtchn_mask[XEN_NR_EVTCHN_WORDS];
	__u32 wc_version;
	__u32 wc_sec;
	__u32 wc_nsec;
	__u32 max_pfn;
	__u32 pfn_to_mfn_frame_list_list;
	__u32 nmi_reason;
	__u32 p2m_cr3;
	__u32 p2m_vaddr;
	__u32 p2m_generation;
	__u32 wc_sec_hi;
};

/* callback_op (callback.h) */
#define CALLBACKOP_register		0
#define CALLBACKOP_unregister		1
#define CALLBACKTYPE_event		0
#define CALLBACKTYPE_failsafe		1
#define CALLBACKTYPE_syscall		2
#define CALLBACKTYPE_sysenter_deprecated 3
#define CALLBACKTYPE_nmi		4
#define CALLBACKTYPE_sysenter		5
#define CALLBACKTYPE_syscall32		7
#define CALLBACKF_mask_events		1

/* CALLBACKOP_register's argument; set_callbacks takes the same cs:eip pairs. */
struct xen_callback_register {
	__u16 type;		/* CALLBACKTYPE_* */
	__u16 flags;		/* CALLBACKF_* */
	__u32 cs;		/* xen_callback_t, 32-bit: cs then eip */
	__u32 eip;
};

/* CALLBACKOP_unregister's argument. */
struct xen_callback_unregister {
	__u16 type;
	__u16 _unused;
};

/* vm_assist (xen.h): commands and the types valid for a 32-bit PV guest. */
#define VMASST_CMD_enable			0
#define VMASST_CMD_disable			1
#define VMASST_TYPE_4gb_segments		0
#define VMASST_TYPE_4gb_segments_notify		1
#define VMASST_TYPE_writable_pagetables		2
#define VMASST_TYPE_pae_extended_cr3		3
#define VMASST_TYPE_architectural_iopl		4
#define VMASST_TYPE_runstate_update_flag	5

/* physdev_op (physdev.h); the compat form uses the upper-case aliases. */
#define PHYSDEVOP_IRQ_UNMASK_NOTIFY	4
#define PHYSDEVOP_irq_status_query	5
#define PHYSDEVOP_set_iopl		6
#define PHYSDEVOP_set_iobitmap		7
#define PHYSDEVOP_apic_read		8
#define PHYSDEVOP_apic_write		9
#define PHYSDEVOP_alloc_irq_vector	10
#define PHYSDEVOP_free_irq_vector	11
#define PHYSDEVOP_eoi			12
#define PHYSDEVOP_map_pirq		13
#define PHYSDEVOP_unmap_pirq		14
#define PHYSDEVOP_manage_pci_add	15
#define PHYSDEVOP_manage_pci_remove	16
#define PHYSDEVOP_pirq_eoi_gmfn_v1	17
#define PHYSDEVOP_restore_msi		19
#define PHYSDEVOP_manage_pci_add_ext	20
#define PHYSDEVOP_setup_gsi		21
#define PHYSDEVOP_get_free_pirq		23
#define PHYSDEVOP_pci_mmcfg_reserved	24
#define PHYSDEVOP_pci_device_add	25
#define PHYSDEVOP_pci_device_remove	26
#define PHYSDEVOP_restore_msi_ext	27
#define PHYSDEVOP_pirq_eoi_gmfn_v2	28
#define PHYSDEVOP_dbgp_op		29
#define PHYSDEVOP_prepare_msix		30
#define PHYSDEVOP_release_msix		31
#define PHYSDEVOP_pci_device_reset	32

/* Event channels (event_channel.h), 2-level ABI on 32-bit: 1024 ports. */
#define XEN_NR_EVTCHN_PORTS	1024
#define EVTCHNOP_bind_interdomain	0
#define EVTCHNOP_bind_virq		1
#define EVTCHNOP_bind_pirq		2
#define EVTCHNOP_close			3
#define EVTCHNOP_send			4
#define EVTCHNOP_status			5
#define EVTCHNOP_alloc_unbound		6
#define EVTCHNOP_bind_ipi		7
#define EVTCHNOP_bind_vcpu		8
#define EVTCHNOP_unmask			9
#define EVTCHNOP_reset			10
#define EVTCHNOP_init_control		11
#define EVTCHNOP_expand_array		12
#define EVTCHNOP_set_priority		13

#define EVTCHNSTAT_closed	0
#define EVTCHNSTAT_unbound	1
#define EVTCHNSTAT_interdomain	2
#define EVTCHNSTAT_pirq		3
#define EVTCHNSTAT_virq		4
#define EVTCHNSTAT_ipi		5

#define VIRQ_TIMER	0
#define VIRQ_DEBUG	1
#define VIRQ_CONSOLE	2
#define XEN_NR_VIRQS	24

#define DOMID_SELF	0x7FF0
#define DOMID_IO	0x7FF1
#define DOMID_XEN	0x7FF2

/*
 * event_channel_op's arguments (event_channel.h).  domid_t is 16 bits and
 * evtchn_port_t 32; the padding after a lone domid_t is written out (pad).
 */
struct evtchn_alloc_unbound {
	__u16 dom, remote_dom;
	__u32 port;		/* out */
};

struct evtchn_bind_interdomain {
	__u16 remote_dom, pad;
	__u32 remote_port;
	__u32 local_port;	/* out */
};

struct evtchn_bind_virq {
	__u32 virq, vcpu;
	__u32 port;		/* out */
};

struct evtchn_bind_ipi {
	__u32 vcpu;
	__u32 port;		/* out */
};

/* EVTCHNOP_close, EVTCHNOP_send and EVTCHNOP_unmask: one port. */
struct evtchn_close {
	__u32 port;
};

struct evtchn_send {
	__u32 port;
};

struct evtchn_unmask {
	__u32 port;
};

struct evtchn_status {
	__u16 dom, pad;
	__u32 port;
	__u32 status, vcpu;	/* out: EVTCHNSTAT_*, the vCPU notified */
	union {
		__u16 unbound_dom;
		struct {
			__u16 dom, pad;
			__u32 port;
		} interdomain;
		__u32 virq;
	} u;
};

struct evtchn_bind_vcpu {
	__u32 port, vcpu;
};

/* The FIFO ABI's calls, which pvmx checks and then refuses (guest-abi.rst). */
struct evtchn_init_control {
	__u64 control_gfn;
	__u32 offset, vcpu;
	__u8 link_bits, pad[7];	/* out: link_bits */
};

struct evtchn_set_priority {
	__u32 port, priority;
};

/* vcpu_op (vcpu.h) */
#define VCPUOP_initialise		0
#define VCPUOP_up			1
#define VCPUOP_down			2
#define VCPUOP_is_up			3
#define VCPUOP_get_runstate_info	4
#define VCPUOP_register_runstate_memory_area 5
#define VCPUOP_set_periodic_timer	6
#define VCPUOP_stop_periodic_timer	7
#define VCPUOP_set_singleshot_timer	8
#define VCPUOP_stop_singleshot_timer	9
#define VCPUOP_register_vcpu_info	10
#define VCPUOP_register_vcpu_time_memory_area 13

/* VCPUOP_set_singleshot_timer's argument: 12 bytes, as a 32-bit guest packs it. */
#define VCPU_SSHOTTMR_future		0x1u
struct xen_vcpu_set_singleshot_timer {
	__u64 timeout_abs_ns;	/* system time */
	__u32 flags;		/* VCPU_SSHOTTMR_* */
} __attribute__((packed));

/* VCPUOP_register_vcpu_info's argument. */
struct xen_vcpu_register_vcpu_info {
	__u64 mfn;		/* frame holding the vcpu_info */
	__u32 offset;		/* its offset in the frame */
	__u32 rsvd;
};

/* vcpu_guest_context.flags (VGCF_*). */
#define VGCF_i387_valid			(1u << 0)
#define VGCF_in_kernel			(1u << 2)
#define VGCF_failsafe_disables_events	(1u << 3)
#define VGCF_syscall_disables_events	(1u << 4)
#define VGCF_online			(1u << 5)

/* cpu_user_regs, 32-bit (68 bytes). */
struct xen_cpu_user_regs {
	__u32 ebx, ecx, edx, esi, edi, ebp, eax;
	__u16 error_code, entry_vector;
	__u32 eip;
	__u16 cs;
	__u8 saved_upcall_mask, _pad0;
	__u32 eflags, esp;
	__u16 ss, _pad1, es, _pad2, ds, _pad3, fs, _pad4, gs, _pad5;
};

/* trap_info_t, 32-bit (8 bytes); set_trap_table takes a list ending in address 0. */
struct xen_trap_info {
	__u8 vector;
	__u8 flags;		/* bits 0-1 DPL, TI_MASK_EVENTS */
	__u16 cs;
	__u32 address;
};

#define TI_MASK_EVENTS	4	/* entering the handler masks events (Xen's TI_SET_IF) */

/* vcpu_guest_context, 32-bit (2800 bytes): VCPUOP_initialise. */
struct xen_vcpu_guest_context {
	__u8 fpu_ctxt[512];	/* FXSAVE image, with VGCF_i387_valid */
	__u32 flags;		/* VGCF_* */
	struct xen_cpu_user_regs user_regs;
	struct xen_trap_info trap_ctxt[256];
	__u32 ldt_base, ldt_ents;
	__u32 gdt_frames[16];
	__u32 gdt_ents;
	__u32 kernel_ss, kernel_sp;
	__u32 ctrlreg[8];	/* ctrlreg[3]: L3 mfn in rotated cr3 format */
	__u32 debugreg[8];
	__u32 event_callback_cs, event_callback_eip;
	__u32 failsafe_callback_cs, failsafe_callback_eip;
	__u32 vm_assist;
};

/* The rotated cr3 format: mfn bits 20..31 in cr3 bits 0..11. */
#define XEN_CR3_TO_PFN(cr3)	(((__u32)(cr3) >> 12) | ((__u32)(cr3) << 20))
#define XEN_PFN_TO_CR3(pfn)	(((__u32)(pfn) << 12) | ((__u32)(pfn) >> 20))

#define RUNSTATE_running	0
#define RUNSTATE_runnable	1
#define RUNSTATE_blocked	2
#define RUNSTATE_offline	3

struct xen_vcpu_runstate_info {
	__s32 state;
	__u64 state_entry_time __attribute__((aligned(4)));
	__u64 time[4] __attribute__((aligned(4)));
} __attribute__((packed, aligned(4)));

struct xen_sched_poll {
	__u32 ports;		/* guest pointer to u32[] */
	__u32 nr_ports;
	__u64 timeout __attribute__((aligned(4)));
} __attribute__((packed, aligned(4)));

/* PV console ring (io/console.h). */
struct xen_console_ring {
	char in[1024];
	char out[2048];
	__u32 in_cons, in_prod;
	__u32 out_cons, out_prod;
};

/* memory_op (memory.h): the low 6 bits of cmd, the rest a start extent. */
#define XENMEM_increase_reservation	0
#define XENMEM_decrease_reservation	1
#define XENMEM_maximum_ram_page		2
#define XENMEM_current_reservation	3
#define XENMEM_maximum_reservation	4
#define XENMEM_machphys_mfn_list	5
#define XENMEM_populate_physmap		6
#define XENMEM_add_to_physmap		7
#define XENMEM_memory_map		9
#define XENMEM_machine_memory_map	10
#define XENMEM_exchange			11
#define XENMEM_machphys_mapping		12
#define XENMEM_maximum_gpfn		14
#define XENMEM_remove_from_physmap	15
#define XENMEM_machphys_compat_mfn_list	25
#define XENMEM_CMD_MASK			0x3F
#define XENMEM_EXTENT_SHIFT		6

/* XENMEM_machphys_mfn_list, compat layout. */
struct xen_machphys_mfn_list {
	__u32 max_extents;
	__u32 extent_start;	/* guest address of a u32 array */
	__u32 nr_extents;
};

/* XENMEM_machphys_mapping, compat layout. */
struct xen_machphys_mapping {
	__u32 v_start;
	__u32 v_end;
	__u32 max_mfn;
};

/* XENMEM_memory_map / machine_memory_map, compat layout. */
struct xen_memory_map {
	__u32 nr_entries;
	__u32 buffer;		/* guest pointer to e820 entries */
};

/* grant_table_op (grant_table.h) */
#define GNTTABOP_map_grant_ref		0
#define GNTTABOP_unmap_grant_ref	1
#define GNTTABOP_setup_table		2
#define GNTTABOP_dump_table		3
#define GNTTABOP_transfer		4
#define GNTTABOP_copy			5
#define GNTTABOP_query_size		6
#define GNTTABOP_unmap_and_replace	7
#define GNTTABOP_set_version		8
#define GNTTABOP_get_status_frames	9
#define GNTTABOP_get_version		10
#define GNTTABOP_swap_grant_ref		11
#define GNTTABOP_cache_flush		12
/* The bits above the op carry a continuation argument (cache_flush only). */
#define GNTTABOP_CMD_MASK		0xFFF

#define GNTST_okay			0
#define GNTST_general_error		(-1)
#define GNTST_bad_domain		(-2)
#define GNTST_bad_gntref		(-3)
#define GNTST_bad_handle		(-4)
#define GNTST_bad_virt_addr		(-5)
#define GNTST_bad_dev_addr		(-6)
#define GNTST_no_device_space		(-7)
#define GNTST_permission_denied		(-8)
#define GNTST_bad_page			(-9)
#define GNTST_bad_copy_arg		(-10)
#define GNTST_address_too_big		(-11)
#define GNTST_eagain			(-12)

struct gnttab_setup_table {
	__u16 dom;
	__u16 pad;
	__u32 nr_frames;
	__s16 status;
	__u16 pad2;
	__u32 frame_list;	/* guest pointer to u32 MFNs (compat xen_pfn_t) */
};

struct gnttab_query_size {
	__u16 dom;
	__u16 pad;
	__u32 nr_frames;
	__u32 max_nr_frames;
	__s16 status;
	__u16 pad2;
};

struct gnttab_set_version {
	__u32 version;
};

struct gnttab_get_version {
	__u16 dom;
	__u16 pad;
	__u32 version;
};

struct gnttab_get_status_frames {
	__u32 nr_frames;
	__u16 dom;
	__s16 status;
	__u32 frame_list;	/* guest pointer to u64 */
};

/* A version-1 grant entry, 512 to a frame; the front end fills it. */
struct grant_entry_v1 {
	__u16 flags;		/* GTF_* */
	__u16 domid;		/* who may use the grant */
	__u32 frame;
};

#define GTF_invalid		0
#define GTF_permit_access	1
#define GTF_accept_transfer	2
#define GTF_transitive		3
#define GTF_type_mask		3
/* Set by the front end. */
#define GTF_readonly		0x4u
/* Set by the back end while it uses the grant. */
#define GTF_reading		0x8u
#define GTF_writing		0x10u
/* Cache attributes of a mapping, and a sub-page grant. */
#define GTF_PWT			0x20u
#define GTF_PCD			0x40u
#define GTF_PAT			0x80u
#define GTF_sub_page		0x100u

/* ELF notes (elfnote.h). */
#define XEN_ELFNOTE_INFO		0
#define XEN_ELFNOTE_ENTRY		1
#define XEN_ELFNOTE_HYPERCALL_PAGE	2
#define XEN_ELFNOTE_VIRT_BASE		3
#define XEN_ELFNOTE_PADDR_OFFSET	4
#define XEN_ELFNOTE_XEN_VERSION		5
#define XEN_ELFNOTE_GUEST_OS		6
#define XEN_ELFNOTE_GUEST_VERSION	7
#define XEN_ELFNOTE_LOADER		8
#define XEN_ELFNOTE_PAE_MODE		9
#define XEN_ELFNOTE_FEATURES		10
#define XEN_ELFNOTE_BSD_SYMTAB		11
#define XEN_ELFNOTE_HV_START_LOW	12
#define XEN_ELFNOTE_L1_MFN_VALID	13
#define XEN_ELFNOTE_SUSPEND_CANCEL	14
#define XEN_ELFNOTE_INIT_P2M		15
#define XEN_ELFNOTE_MOD_START_PFN	16
#define XEN_ELFNOTE_SUPPORTED_FEATURES	17
#define XEN_ELFNOTE_PHYS32_ENTRY	18
#define XEN_ELFNOTE_PHYS32_RELOC	19

/* Layout pins: the sizes and offsets of Xen's layouts for a 32-bit guest. */
#ifdef __cplusplus
#define XEN_ABI_ASSERT(c, m) static_assert(c, m)
#else
#define XEN_ABI_ASSERT(c, m) _Static_assert(c, m)
#endif
XEN_ABI_ASSERT(sizeof(struct xen_start_info) == 1112, "start_info size");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_start_info, cmd_line) == 80, "cmd_line");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_start_info, pt_base) == 60, "pt_base");
XEN_ABI_ASSERT(sizeof(struct xen_vcpu_time_info) == 32, "vcpu_time_info size");
XEN_ABI_ASSERT(sizeof(struct xen_vcpu_info) == 64, "vcpu_info size");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_vcpu_info, cr2) == 8, "arch.cr2");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_shared_info, evtchn_pending) == 2048, "pending");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_shared_info, evtchn_mask) == 2176, "mask");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_shared_info, wc_version) == 2304, "wc_version");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_shared_info, wc_sec_hi) == 2340, "wc_sec_hi");
XEN_ABI_ASSERT(sizeof(struct xen_compile_info) == 144, "compile_info");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_console_ring, out_prod) == 3084, "console ring");
XEN_ABI_ASSERT(sizeof(struct xen_vcpu_runstate_info) == 44, "runstate info");
XEN_ABI_ASSERT(sizeof(struct xen_sched_poll) == 16, "sched_poll");
XEN_ABI_ASSERT(sizeof(struct mmu_update) == 16, "mmu_update");
XEN_ABI_ASSERT(sizeof(struct mmuext_op) == 12, "mmuext_op");
XEN_ABI_ASSERT(sizeof(struct xen_machphys_mapping) == 12, "machphys_mapping");
XEN_ABI_ASSERT(sizeof(struct xen_memory_map) == 8, "memory_map");
XEN_ABI_ASSERT(sizeof(struct gnttab_setup_table) == 16, "gnttab_setup_table");
XEN_ABI_ASSERT(__builtin_offsetof(struct gnttab_setup_table, status) == 8, "setup status");
XEN_ABI_ASSERT(__builtin_offsetof(struct gnttab_setup_table, frame_list) == 12, "frame_list");
XEN_ABI_ASSERT(sizeof(struct gnttab_query_size) == 16, "gnttab_query_size");
XEN_ABI_ASSERT(__builtin_offsetof(struct gnttab_query_size, status) == 12, "query status");
XEN_ABI_ASSERT(sizeof(struct gnttab_get_version) == 8, "gnttab_get_version");
XEN_ABI_ASSERT(sizeof(struct gnttab_get_status_frames) == 12, "get_status_frames");
XEN_ABI_ASSERT(sizeof(struct grant_entry_v1) == 8, "grant_entry_v1");
XEN_ABI_ASSERT(sizeof(struct xen_cpu_user_regs) == 68, "cpu_user_regs");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_cpu_user_regs, eip) == 32, "user_regs.eip");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_cpu_user_regs, saved_upcall_mask) == 38, "mask");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_cpu_user_regs, ss) == 48, "user_regs.ss");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_cpu_user_regs, gs) == 64, "user_regs.gs");
XEN_ABI_ASSERT(sizeof(struct xen_trap_info) == 8, "trap_info");
XEN_ABI_ASSERT(sizeof(struct xen_vcpu_guest_context) == 2800, "vcpu_guest_context size");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_vcpu_guest_context, flags) == 512, "vgc flags");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_vcpu_guest_context, user_regs) == 516, "vgc regs");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_vcpu_guest_context, trap_ctxt) == 584, "vgc traps");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_vcpu_guest_context, ldt_base) == 2632, "vgc ldt");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_vcpu_guest_context, gdt_frames) == 2640, "vgc gdt");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_vcpu_guest_context, gdt_ents) == 2704, "gdt_ents");
XEN_ABI_ASSERT(sizeof(struct xen_vcpu_register_vcpu_info) == 16, "register_vcpu_info");
XEN_ABI_ASSERT(sizeof(struct xen_machphys_mfn_list) == 12, "machphys_mfn_list (compat)");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_vcpu_guest_context, kernel_ss) == 2708, "vgc ss");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_vcpu_guest_context, ctrlreg) == 2716, "ctrlreg");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_vcpu_guest_context, debugreg) == 2748, "dr");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_vcpu_guest_context, event_callback_cs) == 2780,
	       "vgc event cb");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_vcpu_guest_context, failsafe_callback_eip) == 2792,
	       "vgc failsafe cb");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_vcpu_guest_context, vm_assist) == 2796, "vm_assist");
XEN_ABI_ASSERT(sizeof(struct xen_multicall_entry) == 32, "multicall_entry");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_multicall_entry, args) == 8, "multicall args");
XEN_ABI_ASSERT(sizeof(struct xen_callback_register) == 12, "callback_register");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_callback_register, cs) == 4, "callback cs");
XEN_ABI_ASSERT(sizeof(struct xen_callback_unregister) == 4, "callback_unregister");
XEN_ABI_ASSERT(sizeof(struct evtchn_alloc_unbound) == 8, "alloc_unbound");
XEN_ABI_ASSERT(__builtin_offsetof(struct evtchn_alloc_unbound, port) == 4, "alloc port");
XEN_ABI_ASSERT(sizeof(struct evtchn_bind_interdomain) == 12, "bind_interdomain");
XEN_ABI_ASSERT(__builtin_offsetof(struct evtchn_bind_interdomain, remote_port) == 4,
	       "bind_interdomain remote_port");
XEN_ABI_ASSERT(__builtin_offsetof(struct evtchn_bind_interdomain, local_port) == 8,
	       "bind_interdomain local_port");
XEN_ABI_ASSERT(sizeof(struct evtchn_bind_virq) == 12, "bind_virq");
XEN_ABI_ASSERT(__builtin_offsetof(struct evtchn_bind_virq, port) == 8, "bind_virq port");
XEN_ABI_ASSERT(sizeof(struct evtchn_bind_ipi) == 8, "bind_ipi");
XEN_ABI_ASSERT(__builtin_offsetof(struct evtchn_bind_ipi, port) == 4, "bind_ipi port");
XEN_ABI_ASSERT(sizeof(struct evtchn_close) == 4, "evtchn_close");
XEN_ABI_ASSERT(sizeof(struct evtchn_send) == 4, "evtchn_send");
XEN_ABI_ASSERT(sizeof(struct evtchn_unmask) == 4, "evtchn_unmask");
XEN_ABI_ASSERT(sizeof(struct evtchn_status) == 24, "evtchn_status");
XEN_ABI_ASSERT(__builtin_offsetof(struct evtchn_status, port) == 4, "status port");
XEN_ABI_ASSERT(__builtin_offsetof(struct evtchn_status, status) == 8, "status status");
XEN_ABI_ASSERT(__builtin_offsetof(struct evtchn_status, u) == 16, "status u");
XEN_ABI_ASSERT(__builtin_offsetof(struct evtchn_status, u.interdomain.port) == 20,
	       "status u.interdomain.port");
XEN_ABI_ASSERT(sizeof(struct evtchn_bind_vcpu) == 8, "bind_vcpu");
XEN_ABI_ASSERT(sizeof(struct evtchn_init_control) == 24, "init_control");
XEN_ABI_ASSERT(__builtin_offsetof(struct evtchn_init_control, vcpu) == 12, "init_control vcpu");
XEN_ABI_ASSERT(__builtin_offsetof(struct evtchn_init_control, link_bits) == 16, "link_bits");
XEN_ABI_ASSERT(sizeof(struct evtchn_set_priority) == 8, "set_priority");
XEN_ABI_ASSERT(sizeof(struct xen_vcpu_set_singleshot_timer) == 12, "set_singleshot_timer");
XEN_ABI_ASSERT(__builtin_offsetof(struct xen_vcpu_set_singleshot_timer, flags) == 8,
	       "singleshot flags");
XEN_ABI_ASSERT(__builtin_offsetof(struct grant_entry_v1, frame) == 4, "grant frame");

#endif /* _PVMX_XEN_ABI_H */
