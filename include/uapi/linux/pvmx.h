/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pvmx: run 32-bit Xen-style paravirtualized (PAE, ring-1) guests on VMX.
 *
 * Userspace API, version 1.  Documented in Documentation/uapi.rst.
 *
 * Every structure is made of fixed-size fields with explicit padding; every
 * "flags", "pad" and "reserved" field must be zero on input (-EINVAL
 * otherwise) and is zero on output.  Layouts are pinned with build-time
 * asserts on both sides (module and userspace).
 */
#ifndef _UAPI_LINUX_PVMX_H
#define _UAPI_LINUX_PVMX_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define PVMX_API_VERSION	1

/* Unique ioctl magic (free in Documentation/userspace-api/ioctl/ioctl-number.rst). */
#define PVMXIO			0xB8

/* Guest-physical layout constants shared by the launcher and the module. */
#define PVMX_PAGE_SIZE		4096ULL
/* Largest guest RAM one VM may have (also PVMX_CAP_MAX_MEMORY). */
#define PVMX_MAX_MEMORY		(2048ULL << 20)
/* Smallest guest RAM one VM may have. */
#define PVMX_MIN_MEMORY		(4ULL << 20)
#define PVMX_MAX_VCPUS		32
/* Bytes of console output carried by one PVMX_EXIT_CONSOLE. */
#define PVMX_CONSOLE_MAX	2048
#define PVMX_CRASH_REASON_MAX	256
/* Size of the run structure mapped at offset 0 of a vCPU fd. */
#define PVMX_RUN_MMAP_SIZE	4096

/* ---------------------------------------------------------------------- */
/* ioctls on /dev/pvmx                                                      */
/* ---------------------------------------------------------------------- */

/* Returns PVMX_API_VERSION. */
#define PVMX_GET_API_VERSION	_IO(PVMXIO, 0x00)
/* Argument: a PVMX_CAP_* number.  Returns its value, 0 when unknown. */
#define PVMX_CHECK_CAP		_IO(PVMXIO, 0x01)
/* Argument: flags, must be 0.  Returns a new VM file descriptor. */
#define PVMX_CREATE_VM		_IO(PVMXIO, 0x02)
/* Fills struct pvmx_vmx_info: what the module found on this machine. */
#define PVMX_GET_VMX_INFO	_IOR(PVMXIO, 0x03, struct pvmx_vmx_info)

#define PVMX_CAP_API_VERSION	0	/* = PVMX_API_VERSION */
#define PVMX_CAP_MAX_VCPUS	1	/* vCPUs per VM */
#define PVMX_CAP_MAX_MEMORY_MB	2	/* largest PVMX_SET_MEMORY size, MiB */
#define PVMX_CAP_RUN_MMAP_SIZE	3	/* bytes to mmap on a vCPU fd */
#define PVMX_CAP_CONSOLE_MAX	4	/* bytes per PVMX_EXIT_CONSOLE */
#define PVMX_CAP_VPID		5	/* 1 when VPID tags the guest TLB */
#define PVMX_CAP_EVENTS		6	/* PVMX_RAISE_EVENT and PVMX_EXIT_NOTIFY */
#define PVMX_CAP_STATS		7	/* = PVMX_STATS_VERSION supported */
#define PVMX_CAP_TRACE		8	/* = PVMX_TRACE_VERSION supported */
#define PVMX_CAP_NR		9

struct pvmx_vmx_info {
	__u64 vmx_basic;		/* IA32_VMX_BASIC */
	__u64 ept_vpid_cap;		/* IA32_VMX_EPT_VPID_CAP */
	__u32 pinbased;			/* controls pvmx runs with */
	__u32 procbased;
	__u32 procbased2;
	__u32 exit_ctls;
	__u32 entry_ctls;
	__u32 vmcs_revision;
	__u32 nr_cpus_vmx_on;		/* CPUs currently in VMX operation */
	__u32 nr_vms;			/* live VMs */
	__u64 reserved[4];
};

/* ---------------------------------------------------------------------- */
/* ioctls on a VM fd                                                        */
/* ---------------------------------------------------------------------- */

/*
 * Give the VM its RAM: size bytes of zeroed kernel memory, mapped by EPT at
 * guest-physical 0 and mmap()able (MAP_SHARED) at offset 0 of the VM fd.
 * Once per VM.  On return shared_info_gpa holds the guest-physical address of
 * the shared_info page the hypervisor owns (the frame right after RAM).
 */
struct pvmx_memory {
	__u64 size;			/* in: bytes, PVMX_PAGE_SIZE multiple */
	__u64 flags;			/* in: must be 0 */
	__u64 shared_info_gpa;		/* out */
	__u64 reserved[5];
};
#define PVMX_SET_MEMORY		_IOWR(PVMXIO, 0x10, struct pvmx_memory)

#define PVMX_NO_PAGE		(~0ULL)

/*
 * The guest's grant table (version 1 entries, PVMX_GNTTAB_FRAMES frames,
 * Xen's default max_grant_frames) is mmap()able (MAP_SHARED, read/write) at
 * this offset of the VM fd, for a back end in the launcher: it reads the
 * entries the guest wrote and sets GTF_reading/GTF_writing while it uses a
 * grant.  Frames the guest has not set up yet read as zero.  Modules before
 * the table grew to 64 frames had 4 (PVMX_GNTTAB_FRAMES_OLD): a mapping of
 * more than they have fails with EINVAL.
 */
#define PVMX_GNTTAB_MMAP_OFFSET	PVMX_MAX_MEMORY
#define PVMX_GNTTAB_FRAMES	64
#define PVMX_GNTTAB_FRAMES_OLD	4

/*
 * What the hypervisor needs to know about the image the launcher built.
 * Once per VM, after PVMX_SET_MEMORY and before the first PVMX_RUN.
 */
struct pvmx_boot_info {
	__u64 flags;			/* PVMX_BOOT_* */
	__u64 hypercall_page_gpa;	/* page to fill with stubs, or PVMX_NO_PAGE */
	__u64 start_info_gpa;		/* the guest's start_info page */
	__u64 console_gpa;		/* PV console ring page, or PVMX_NO_PAGE */
	__u64 store_gpa;		/* xenstore ring page, or PVMX_NO_PAGE */
	__u64 p2m;			/* user pointer to __u32[nr_pfns]: pfn -> mfn */
	__u64 nr_pfns;			/* must equal RAM size / PVMX_PAGE_SIZE */
	__u32 console_evtchn;
	__u32 store_evtchn;
	__u32 domid;			/* < 0x7FF0 */
	__u32 pad;
	__u64 reserved[6];
};
#define PVMX_SET_BOOT_INFO	_IOW(PVMXIO, 0x11, struct pvmx_boot_info)
/*
 * Let `int $0x80` reach the guest's handler through a hardware gate and a
 * small hypervisor stub, with no VM exit, when vector 0x80 has a flat ring-1
 * handler that does not mask events.  The frame is Xen's (the stub adds the
 * saved upcall mask and EFLAGS.IF); the stub uses 8 bytes below it.
 */
#define PVMX_BOOT_FAST_INT80	(1ULL << 0)

/* Argument: vCPU id, 0 .. PVMX_MAX_VCPUS-1.  Returns a vCPU file descriptor. */
#define PVMX_CREATE_VCPU	_IO(PVMXIO, 0x12)

/*
 * Raise an event from outside the guest, as a backend in another domain
 * would: on a port the launcher owns (the console or xenstore port of
 * struct pvmx_boot_info), or with PVMX_EVENT_VIRQ on vCPU 0's binding of a
 * global or per-vCPU VIRQ.  Returns 0 also when the VIRQ is not bound (the
 * event is dropped, as Xen drops it).
 */
struct pvmx_event {
	__u32 port;			/* without PVMX_EVENT_VIRQ */
	__u32 virq;			/* with PVMX_EVENT_VIRQ, < 24 */
	__u32 flags;
	__u32 pad;
	__u64 reserved[2];
};
#define PVMX_EVENT_VIRQ		(1u << 0)
#define PVMX_RAISE_EVENT	_IOW(PVMXIO, 0x13, struct pvmx_event)

/*
 * A back end in the launcher binds the guest's port, as a back end in dom0
 * binds a front end's with EVTCHNOP_bind_interdomain: the port must be
 * unbound and allocated for remote domain 0 (EVTCHNOP_alloc_unbound with
 * remote_dom 0).  It becomes an interdomain port of the launcher's: the
 * guest's EVTCHNOP_send on it returns PVMX_EXIT_NOTIFY, PVMX_RAISE_EVENT
 * raises it.  With PVMX_BIND_UNBIND the launcher closes its end: the port
 * goes back to unbound (remote domain 0), as in Xen when the back end
 * closes.  -EINVAL when the port is not in that state.
 */
struct pvmx_evtchn_bind {
	__u32 port;
	__u32 flags;			/* PVMX_BIND_* */
	__u64 reserved[3];
};
#define PVMX_BIND_UNBIND	(1u << 0)
#define PVMX_BIND_EVTCHN	_IOW(PVMXIO, 0x15, struct pvmx_evtchn_bind)

/*
 * Statistics, cheap enough to leave on.  Version 1.  Counted per vCPU;
 * PVMX_GET_VM_STATS returns the sum over the VM's vCPUs.  Cycles are host
 * TSC cycles spent handling (from VM exit to the next entry).
 */
#define PVMX_STATS_VERSION		1
#define PVMX_STATS_EXIT_REASONS		80	/* VMX basic exit reasons */
#define PVMX_STATS_HYPERCALLS		64	/* ops >= 64 count in hypercall_other */
#define PVMX_STATS_BATCH_BUCKETS	16	/* [0]: 1 entry, [b]: 2^b..2^(b+1)-1, [15]: more */
#define PVMX_MC_STOP_END		0	/* ran to the last entry */
#define PVMX_MC_STOP_IRET		1	/* an iret entry ended it */
#define PVMX_MC_STOP_PREEMPTED		2	/* continued later (host, exit, full trace) */
#define PVMX_MC_STOP_ERROR		3	/* the list faulted: -EFAULT */
#define PVMX_MC_STOP_REASONS		4

struct pvmx_stats {
	__u32 version;			/* PVMX_STATS_VERSION */
	__u32 size;			/* sizeof(struct pvmx_stats) */
	__u32 nr_vcpus;			/* vCPUs summed */
	__u32 pad;
	__u64 exits;
	__u64 exit_count[PVMX_STATS_EXIT_REASONS];
	__u64 exit_cycles[PVMX_STATS_EXIT_REASONS];
	__u64 hypercall_count[PVMX_STATS_HYPERCALLS];	/* direct and in multicalls */
	__u64 hypercall_cycles[PVMX_STATS_HYPERCALLS];
	__u64 hypercall_other;
	__u64 multicall_entries;
	__u64 multicall_batches[PVMX_STATS_BATCH_BUCKETS];	/* by entries run */
	__u64 multicall_stops[PVMX_MC_STOP_REASONS];
	__u64 continuations;		/* hypercalls re-issued (EIP rewound) */
	__u64 upcalls;			/* event callback entries */
	__u64 traps;			/* exceptions and int n bounced to the guest */
	__u64 failsafes;		/* failsafe callback entries */
	__u64 reserved[16];
};
/* On a VM fd: the sum over its vCPUs. */
#define PVMX_GET_VM_STATS	_IOR(PVMXIO, 0x14, struct pvmx_stats)

/* ---------------------------------------------------------------------- */
/* ioctls on a vCPU fd                                                      */
/* ---------------------------------------------------------------------- */

/*
 * The guest's user-visible state.  Segment selectors must name the flat
 * selectors (FLAT_RING1_CS/DS, FLAT_RING3_CS/DS) or be null (data only).
 * cr3 is the guest-physical address of the PAE L3 (page aligned, in RAM);
 * the tables must pass Xen's validation (slot 3 present, page-table pages
 * mapped read-only, ...) and the L3 is pinned; entries 428..511 of the L2
 * under slot 3 are the hypervisor's.  eflags: IF and bit 1 are forced on; IOPL, NT, RF, VM,
 * VIF, VIP and reserved bits are refused.
 */
struct pvmx_regs {
	__u32 eax, ebx, ecx, edx;
	__u32 esi, edi, ebp, esp;
	__u32 eip, eflags;
	__u32 cs, ss, ds, es, fs, gs;
	__u64 cr3;
	__u32 kernel_ss, kernel_sp;	/* stack_switch state */
	__u64 flags;			/* must be 0 */
	__u64 reserved[4];
};
#define PVMX_GET_REGS		_IOR(PVMXIO, 0x20, struct pvmx_regs)
#define PVMX_SET_REGS		_IOW(PVMXIO, 0x21, struct pvmx_regs)
/* Run the vCPU until something needs userspace; see struct pvmx_run. */
#define PVMX_RUN		_IO(PVMXIO, 0x22)
#define PVMX_GET_STATS		_IOR(PVMXIO, 0x23, struct pvmx_stats)
/*
 * Tracing, version 2 (PVMX_CAP_TRACE is the version the module speaks).
 * Argument: struct pvmx_trace_config.  While on, the records of what the
 * guest did come back as PVMX_EXIT_TRACE exits (lossless: the guest waits
 * until userspace has taken them).  Version 1 took the flags by value
 * (_IO(PVMXIO, 0x24)); that ioctl number is gone (ENOTTY), so a version-1
 * launcher stops at PVMX_SET_TRACE instead of misreading records.
 */
#define PVMX_TRACE_VERSION	2
#define PVMX_TRACE_HYPERCALLS	(1u << 0)	/* hypercalls and multicall entries */
#define PVMX_TRACE_DELIVERIES	(1u << 1)	/* traps, upcalls, failsafe callbacks */

struct pvmx_trace_config {
	__u32 version;			/* PVMX_TRACE_VERSION */
	__u32 size;			/* sizeof(struct pvmx_trace_config) */
	__u32 flags;			/* PVMX_TRACE_*; 0 turns tracing off */
	__u32 pad;
	__u64 hypercalls;		/* bit n: record hypercall n; bit 63: 63 and above */
	__u64 reserved[5];
};
#define PVMX_SET_TRACE		_IOW(PVMXIO, 0x24, struct pvmx_trace_config)

#define PVMX_TRACE_DATA_MAX	32

/* One trace record (version 2). */
struct pvmx_trace_rec {
	__u32 kind;			/* PVMX_TRACE_KIND_* */
	__u32 flags;			/* PVMX_TRACE_F_* */
	__u32 op;			/* hypercall number, or vector */
	__u32 result;			/* EAX the guest sees, or error code */
	__u32 args[5];			/* hypercall arguments; 0 for deliveries */
	__u32 index;			/* multicall entry index */
	__u32 eip;			/* where the guest was: its int $0x82, the trap */
	__u32 vcpu;			/* the vCPU's id */
	__u64 tsc;			/* guest TSC (= host TSC) when it began */
	__u64 time_ns;			/* host CLOCK_MONOTONIC when it began */
	__u64 duration_ns;		/* hypercall: exit to re-entry; entry: its share */
	__u32 detail;			/* PVMX_TRACE_DETAIL_*: what data[] holds */
	__u32 detail_nr;		/* MC_OPS: entries run; BUFFER: bytes in data[] */
	__u8 data[PVMX_TRACE_DATA_MAX];
};
#define PVMX_TRACE_KIND_HYPERCALL	1
#define PVMX_TRACE_KIND_MC_ENTRY	2	/* inside the multicall recorded next */
#define PVMX_TRACE_KIND_TRAP		3
#define PVMX_TRACE_KIND_UPCALL		4
#define PVMX_TRACE_KIND_FAILSAFE	5
#define PVMX_TRACE_KIND_FAST_SYSCALL	6	/* sysenter (op 1) or syscall (op 0) callback */
#define PVMX_TRACE_F_PREEMPTED		(1u << 0)	/* continuation: re-issued */
#define PVMX_TRACE_F_DATA_FAULT		(1u << 1)	/* the buffer could not be read */
#define PVMX_TRACE_DETAIL_NONE		0
#define PVMX_TRACE_DETAIL_MC_OPS	1	/* data[i]: op of entry i (255: >= 255) */
#define PVMX_TRACE_DETAIL_BUFFER	2	/* data[]: the buffer argument's first bytes */
#define PVMX_TRACE_MAX			35

/* Exit reasons in pvmx_run.exit_reason. */
#define PVMX_EXIT_NONE		0
#define PVMX_EXIT_CONSOLE	1	/* console.data[0..len) to print; PVMX_RUN again */
#define PVMX_EXIT_SHUTDOWN	2	/* guest shut down: shutdown.reason (SHUTDOWN_*) */
#define PVMX_EXIT_CRASH		3	/* hypervisor crashed the guest: crash.* */
#define PVMX_EXIT_INTR		4	/* a signal is pending; PVMX_RUN again to go on */
#define PVMX_EXIT_INTERNAL	5	/* pvmx could not run the guest: internal.* */
#define PVMX_EXIT_NOTIFY	6	/* guest signalled a launcher port: notify.port */
#define PVMX_EXIT_TRACE		7	/* trace.rec[0..nr) to consume; PVMX_RUN again */

/* Xen's shutdown reasons (sched.h). */
#define PVMX_SHUTDOWN_POWEROFF	0
#define PVMX_SHUTDOWN_REBOOT	1
#define PVMX_SHUTDOWN_SUSPEND	2
#define PVMX_SHUTDOWN_CRASH	3
#define PVMX_SHUTDOWN_WATCHDOG	4
#define PVMX_SHUTDOWN_SOFT_RESET	5

/* crash.kind: why the hypervisor crashed the guest. */
#define PVMX_CRASH_UNHANDLED_TRAP	1	/* fault with nowhere to deliver it */
#define PVMX_CRASH_TRIPLE_FAULT		2
#define PVMX_CRASH_BAD_MEMORY		3	/* access outside the guest's memory */
#define PVMX_CRASH_BAD_STATE		4	/* guest state VMX refused */
#define PVMX_CRASH_UNSUPPORTED		5	/* instruction or exit pvmx does not handle */

/* internal.suberror */
#define PVMX_INTERNAL_VMENTRY_FAIL	1	/* data[0] = VM-instruction error */

struct pvmx_run {
	__u32 exit_reason;		/* PVMX_EXIT_* */
	__u32 flags;			/* 0 */
	__u64 exits;			/* VM exits since the vCPU was created */
	__u64 reserved[6];
	union {
		struct {
			__u32 len;
			__u32 pad;
			char data[PVMX_CONSOLE_MAX];
		} console;
		struct {
			__u32 reason;
			__u32 pad;
		} shutdown;
		struct {
			__u32 kind;		/* PVMX_CRASH_* */
			__u32 vector;		/* exception vector, or ~0 */
			__u32 error_code;
			__u32 eip;
			__u32 cs;
			__u32 pad;
			__u64 address;		/* faulting linear/physical address */
			char reason[PVMX_CRASH_REASON_MAX];	/* NUL-terminated */
		} crash;
		struct {
			__u32 suberror;
			__u32 pad;
			__u64 data[4];
		} internal;
		struct {
			__u32 port;
			__u32 pad;
		} notify;
		struct {
			__u32 nr;
			__u32 rec_size;	/* sizeof(struct pvmx_trace_rec) */
			struct pvmx_trace_rec rec[PVMX_TRACE_MAX];
		} trace;
		char padding[PVMX_RUN_MMAP_SIZE - 64];
	};
};

#endif /* _UAPI_LINUX_PVMX_H */
