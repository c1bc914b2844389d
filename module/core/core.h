/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arch-neutral core of pvmx: the hypercall dispatcher, the Xen PV
 * hypercalls themselves and checked guest-memory access.  Nothing here knows
 * about VMX; the same sources build into pvmx.ko and into the host unit tests
 * (tests/unit/), with core_env_host.h standing in for the kernel headers.
 *
 * The arch back end (module/x86/) owns the real CPU state.  Before it calls
 * into the core it syncs the registers a hypercall may read into struct
 * pvmx_cpu; afterwards it writes back what the core changed.
 */
#ifndef _PVMX_CORE_H
#define _PVMX_CORE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/compiler.h>
#include <linux/spinlock.h>
#define pvmx_entry_slow_hook(v)	do { } while (0)	/* core_env_host.h */
#else
#include "core_env_host.h"
#endif

#include <linux/pvmx.h>
#include <pvmx/xen_abi.h>

/* General registers in the order of the x86 ModRM encoding. */
enum pvmx_gpr {
	PVMX_EAX, PVMX_ECX, PVMX_EDX, PVMX_EBX,
	PVMX_ESP, PVMX_EBP, PVMX_ESI, PVMX_EDI,
	PVMX_NR_GPRS
};

/* PAE paging bits the core interprets. */
#define PVMX_PTE_P		0x001ULL
#define PVMX_PTE_RW		0x002ULL
#define PVMX_PTE_US		0x004ULL
#define PVMX_PTE_PWT		0x008ULL
#define PVMX_PTE_PCD		0x010ULL
#define PVMX_PTE_A		0x020ULL
#define PVMX_PTE_D		0x040ULL
#define PVMX_PTE_PS		0x080ULL
#define PVMX_PTE_NX		BIT_ULL(63)
/* Bits 52..62, reserved in PAE: the CPU walks the guest's tables itself. */
#define PVMX_PTE_RESERVED_HIGH	0x7FF0000000000000ULL
#define PVMX_PTE_ADDR		0x000FFFFFFFFFF000ULL
/* Bits of an L1 entry a PV guest may set (no reserved bits 52..62). */
#define PVMX_L1_ALLOWED		(PVMX_PTE_ADDR | PVMX_PTE_NX | 0xFFFULL)

#define PVMX_PAGE_SHIFT		12
#define PVMX_PAGE_BYTES		4096u
#define PVMX_PAGE_OFFSET_MASK	0xFFFu

/* Guest memory as the core sees it: one host pointer per guest frame. */
struct pvmx_gmem {
	void **frames;		/* frames[gfn]: host address of the 4 KiB frame */
	u32 nr_frames;		/* RAM frames plus the shared_info frame */
	u32 nr_ram_frames;
};

/* What the vCPU is doing, as far as PVMX_RUN cares. */
enum pvmx_vcpu_state {
	PVMX_VCPU_RUNNABLE,
	PVMX_VCPU_SHUTDOWN,	/* guest asked; run->shutdown holds the reason */
	PVMX_VCPU_CRASHED,	/* hypervisor killed it; run->crash says why */
};

/* Register state shared between the core and the arch back end. */
struct pvmx_cpu {
	unsigned long gpr[PVMX_NR_GPRS];	/* gpr[PVMX_ESP] is synced, not saved by asm */
	u32 eip;
	u32 eflags;
	u16 cs;
	u16 ss;
	u32 cr3;		/* guest-physical address of the PAE L3 */
	u64 pdpte[4];		/* PDPTEs as loaded into the CPU (masked) */
	u32 kernel_ss;		/* stack_switch */
	u32 kernel_sp;
};

/* One event channel (2-level ABI). */
struct pvmx_evtchn {
	u8 state;		/* EVTCHNSTAT_* */
	u8 vcpu;		/* vCPU notified */
	u8 virq;		/* EVTCHNSTAT_virq */
	u8 to_launcher;		/* interdomain with the launcher (console, store) */
	u16 remote_dom;		/* unbound: who may bind; interdomain: the peer */
	u16 remote_port;	/* interdomain with ourselves */
};

struct pvmx_vcpu_core;

/*
 * Grant-table frames a VM may grow its table to (after shared_info): Xen's
 * default max_grant_frames (opt_max_grant_frames, xen/common/grant_table.c,
 * 64 since Xen 4.10), what GNTTABOP_query_size reports as max_nr_frames.
 */
#define PVMX_GNTTAB_MAX_FRAMES	64

/*
 * Locking (Documentation/design.rst): vm->lock, a spinlock, is held around
 * everything that reads or changes VM-wide state on behalf of a vCPU: each
 * hypercall the dispatch table does not mark lock-free (multicall entries
 * included; every guest write holds it), exception and interrupt bounces,
 * and the event work before each guest entry.  Nothing under it sleeps: a
 * handler that must wait returns PVMX_BLOCK or PVMX_OFFLINE and the arch
 * waits after the lock is dropped.  Timers and PVMX_RAISE_EVENT never take it:
 * they set atomic bits (async_virqs, raised_ports) and kick the vCPU.
 * PVMX_BIND_EVTCHN takes it briefly, from a launcher thread.  Every core
 * function that needs it says so with lockdep_assert_held(&vm->lock) (the
 * host tests' stand-in traps: core_env_host.h), so the rule is checked, not
 * only written down.
 */
struct pvmx_vm_core {
	spinlock_t lock;	/* the VM lock: see above */
	bool ended;		/* a vCPU shut down or crashed: every vCPU stops */
	struct pvmx_gmem mem;
	struct xen_shared_info *shared_info;	/* host mapping of the frame */
	u32 domid;
	u32 shared_info_gfn;
	u32 vm_assist;		/* BIT(VMASST_TYPE_*) enabled by vm_assist */
	bool pirq_eoi_mapped;	/* PHYSDEVOP_pirq_eoi_gmfn done (typed ref held) */
	u32 pirq_eoi_gfn;
	struct pvmx_frame *frame_table;	/* page types, nr_ram_frames entries (mm.c) */
	u32 *m2p;		/* machine-to-physical table, one entry per frame */
	u32 nr_m2p;		/* its entries */
	u32 gnttab_gfn;		/* first of PVMX_GNTTAB_MAX_FRAMES grant frames */
	u32 nr_gnttab_frames;	/* frames the table has grown to (Xen starts at 1) */
	/* Host mappings of the grant frames, one page each (not contiguous). */
	void *gnttab_va[PVMX_GNTTAB_MAX_FRAMES];
	bool fast_int80;	/* PVMX_BOOT_FAST_INT80 */
	/* GDT slots (index % 512) some vCPU's int80 check read: atomic, never cleared. */
	u32 int80_slots[16];
	bool tsc_aux_msr;	/* RDTSCP/RDPID offered: the guest has TSC_AUX (back end) */
	/*
	 * XSA-273 (mm.c, set by the back end from the host CPU): with l1tf_check,
	 * a not-present page-table entry whose address bits under l1tf_addr_mask
	 * are non-zero and below l1tf_safe_maddr (or a not-present L2/L3 entry
	 * with PSE) crashes the VM; l1tf_bad_level/pte record the first one until
	 * the hypercall dispatcher (or ptwr) reports it.
	 */
	bool l1tf_check;
	u64 l1tf_addr_mask;
	u64 l1tf_safe_maddr;
	u32 l1tf_bad_level;
	u64 l1tf_bad_pte;
	/*
	 * mm.c: the vCPU whose hypercall runs a preemptible page-table
	 * validation (NULL: none); its work counts in that vCPU's hold_work.
	 */
	struct pvmx_vcpu_core *pgt_preempt;
	struct pvmx_vcpu_core *vcpus[PVMX_MAX_VCPUS];
	struct pvmx_evtchn evtchn[XEN_NR_EVTCHN_PORTS];
	/* Ports raised from outside (launcher), applied by any vCPU: atomic. */
	u32 raised_ports[XEN_NR_EVTCHN_PORTS / 32];
	u32 raised_words;	/* bit w: raised_ports[w] may be non-zero */
	/*
	 * Bit n: vCPU n may be in SCHEDOP_poll (Xen's d->poll_mask): set with
	 * wait.polling under the VM lock, cleared (atomically) after it, so a
	 * send looks only at the vCPUs that poll.
	 */
	u32 poll_mask;
};

/*
 * v's VM lock held around call, whose value this is: the one way the core
 * writes lock-then-call, chiefly the locked entry point of an inner
 * function that needs the lock (and asserts it).  The back end calls such
 * entry points and never holds the lock itself.
 */
#define pvmx_locked_call(v, call)					\
	({								\
		struct pvmx_vcpu_core *__lc_v = (v);			\
		typeof(call) __lc_ret;					\
									\
		spin_lock(&__lc_v->vm->lock);				\
		__lc_ret = (call);					\
		spin_unlock(&__lc_v->vm->lock);				\
		__lc_ret;						\
	})

/* One virtual IDT entry (set_trap_table). */
struct pvmx_trap_entry {
	u32 address;
	u16 cs;
	u8 flags;		/* trap_info's: bits 0-1 DPL for `int n`; bit 2 masks events */
};

#define PVMX_TRAP_DPL_MASK	3
#define PVMX_TRAP_MASK_EVENTS	TI_MASK_EVENTS

/* A registered callback: where, and whether entering it masks events. */
struct pvmx_callback {
	u32 eip;
	u16 cs;
	bool mask_events;
};

/* Xen's descriptor-table geometry (xen/include/public/arch-x86/xen.h). */
#define PVMX_GDT_GUEST_FRAMES	14	/* entries 0..7167: the guest's set_gdt frames */
#define PVMX_GDT_ENTRIES	(XEN_FIRST_RESERVED_GDT_ENTRY + 512)	/* + Xen's page */
#define PVMX_LDT_MAX_ENTRIES	8192
#define PVMX_LDT_FRAMES		16
#define PVMX_DESCS_PER_FRAME	512

/* The guest's GDT and LDT (desc.c); each frame held holds a SEG_DESC type ref. */
struct pvmx_desc_tables {
	u32 gdt_frames[PVMX_GDT_GUEST_FRAMES];
	u32 gdt_ents;		/* frames used: DIV_ROUND_UP(gdt_ents, 512) */
	u32 ldt_base;		/* linear address (MMUEXT_SET_LDT) */
	u32 ldt_ents;		/* 0: no LDT */
	u32 ldt_frames[PVMX_LDT_FRAMES];	/* valid where ldt_mapped has the bit */
	u32 ldt_mapped;		/* LDT pages mapped so far (on first use, as Xen) */
};

/*
 * gmem.c's translation cache: one guest page per entry, with the host
 * addresses and the values of the entries its walk read (PDPTE, L2 entry,
 * L1 entry but for a 2 MiB page).  A hit re-reads those entries and
 * compares them (Accessed and Dirty aside), so an entry is never stale:
 * nothing has to invalidate it (Documentation/design.rst, "Guest memory
 * access").  Only RAM frames (host addresses fixed for the VM's life).
 */
#define PVMX_XLATE_ENTRIES	8
struct pvmx_xlate_entry {
	u32 tag;		/* gva >> 12, plus 1; 0: empty */
	bool writable;		/* R/W at both levels */
	u8 *host;		/* the 4 KiB page */
	const u64 *l2e, *l1e;	/* l1e NULL: a 2 MiB page */
	u64 pdpte, l2e_val, l1e_val;
	u64 where[3];		/* the page's frame, its L1 and L2 entries' gpas (~0: none) */
};

struct pvmx_xlate {
	u32 busy;		/* atomic: one user at a time, others walk */
	u32 fills;		/* entries (re)filled, for tests and the bench */
	struct pvmx_xlate_entry e[PVMX_XLATE_ENTRIES];
};

struct pvmx_vcpu_core {
	struct pvmx_cpu cpu;
	struct pvmx_vm_core *vm;
	struct pvmx_run *run;
	u32 id;
	enum pvmx_vcpu_state state;
	struct pvmx_trap_entry trap_ctxt[256];
	struct pvmx_callback event_cb, failsafe_cb, syscall32_cb, sysenter_cb;
	struct pvmx_desc_tables desc;
	/*
	 * int $0x80 (traps.c pvmx_int80_refresh(), Xen's int80_bounce): checked
	 * whenever the trap table, stack_switch or the GDT entries it names
	 * change, with the VM's fast_int80.  direct: pvmx_int80() bounces
	 * it from ring 2/3 without the general machinery (GDT selectors, both
	 * usable); flat: both are flat 32-bit ring-1 segments, as the hardware
	 * gate needs (segments.c).
	 */
	struct {
		bool direct;
		bool flat;
		bool stale;	/* a descriptor changed: check again (atomic) */
		bool checked;	/* cs, ss and fast below are what was checked */
		bool fast;
		u16 cs, ss;
		u32 ss_base;	/* kernel_ss's base */
	} int80;
	bool fpu_ts;		/* virtual CR0.TS (fpu_taskswitch) */
	u8 iopl;		/* virtual IOPL 0..3 (PHYSDEVOP_set_iopl, iret) */
	u32 iobmp;		/* PHYSDEVOP_set_iobitmap: guest VA of the bitmap */
	u32 iobmp_limit;	/* ports covered by it (0: none) */
	/*
	 * Debug registers (emulate.c, Xen's set_debugreg()): dr[0..3]; dr[6]
	 * and dr[7] without their fixed-1 bits (zero is the reset state), and
	 * dr[7] without the enables of I/O breakpoints, which are in dr7_emul
	 * (emulated on in/out, never given to the CPU); dr[4], dr[5] unused.
	 */
	u32 dr[8];
	u32 dr7_emul;
	u32 cr4;		/* guest-controlled CR4 bits: DE */
	bool in_multicall;
	u32 pt_generation;	/* bumped whenever a hypercall writes page tables */
	struct pvmx_xlate xlate;	/* gmem.c; touched only there */
	bool base_ref;		/* holds an L3 type reference on cpu.cr3's frame */
	u32 mm_requests;	/* PVMX_MM_*, done before the next entry: atomic */
	u32 in_guest;		/* the arch is between the request check and the exit */
	u16 virq_port[XEN_NR_VIRQS];
	u32 async_virqs;	/* VIRQs raised from timers/launcher: atomic */
	struct {		/* SCHEDOP_block / SCHEDOP_poll in progress */
		bool polling;
		u32 nr_ports;
		u16 ports[128];
		u64 deadline;	/* 0: none */
	} wait;
	u64 periodic_ns;	/* 0: stopped */
	u32 runstate_va;	/* register_runstate_memory_area, 0: none */
	/* register_vcpu_info: the vcpu_info in a guest frame (typed ref held), or NULL */
	struct xen_vcpu_info *vcpu_info;
	u32 time_area_va;	/* register_vcpu_time_memory_area, 0: none */
	struct xen_vcpu_runstate_info runstate;
	bool up;		/* VCPUOP_up/down; vCPU 0 starts up, the others down */
	bool initialised;	/* has a context: vCPU 0, SET_REGS or VCPUOP_initialise */
	bool regs_busy;		/* PVMX_SET_REGS is writing the context (VM lock) */
	/*
	 * Cross-vCPU work (KVM's vcpu->requests): another thread sets a
	 * PVMX_REQ_* bit with pvmx_make_request(), which kicks; the vCPU does
	 * the work itself before it next enters the guest.  Atomic.
	 */
	u32 requests;
	/*
	 * The entry check in one word (KVM's vcpu->requests, read in
	 * pvmx_prepare_entry()): a PVMX_WORK_* bit per reason the entry
	 * path must look under the VM lock.  Invariant: every writer of a
	 * field that pvmx_prepare_entry_slow() acts on (trace_nr, vm->ended,
	 * up, new_context, requests, async_virqs, vCPU 0's global VIRQs,
	 * vm->raised_ports) stores the field FIRST, then sets the bit
	 * (pvmx_entry_work_set(), a full barrier) on every vCPU that must
	 * act on it, then kicks as before.  The slow path takes the word
	 * with an xchg BEFORE it reads any field, so a writer racing it
	 * leaves its bit for the next entry; a condition that outlives the
	 * slow path (records to flush first, the VM's end, the vCPU down)
	 * puts the bits it took back.  Zero, with no deliverable upcall in
	 * *entry_vi, means nothing to do (Documentation/design.rst).
	 */
	u32 entry_work;
	/*
	 * pvmx_vcpu_info(this vCPU), cached for the entry check: the
	 * shared_info slot from pvmx_vcpu_events_init(), the guest frame
	 * from register_vcpu_info (VM lock).  The slow path sets it too, and
	 * a vCPU starts with every entry_work bit set, so the idle test
	 * never reads it before one slow path ran.
	 */
	struct xen_vcpu_info *entry_vi;
	u32 hold_work;		/* work items done in this VM-lock hold (pvmx_preempt_check) */
	bool hc_locked;		/* pvmx_hypercall() holds the VM lock for this call (own thread) */
	u64 hc_lock_start;	/* when it took it, with cycle_stats on */
	bool new_context;	/* VCPUOP_initialise's selectors not yet checked */
	bool cpuid_faulting;	/* MISC_FEATURES_ENABLES.CPUID_FAULTING */
	u32 tsc_aux;		/* the guest's MSR_TSC_AUX (RDTSCP, RDPID) */
	struct pvmx_stats stats;
	u32 mc_done;		/* entries run by the multicall in progress */
	bool mc_continuing;	/* its continuation is pending */
	u32 trace_flags;	/* PVMX_TRACE_* */
	u32 trace_nr;		/* records waiting for a PVMX_EXIT_TRACE */
	u64 trace_ops;		/* hypercalls recorded: bit n = op n, bit 63: 63 and above */
	u64 trace_call_ns, trace_call_tsc;	/* the hypercall in progress began */
	u64 trace_mark_ns, trace_mark_tsc;	/* the previous multicall entry ended */
	u32 trace_open;		/* 1 + index of the record waiting for its duration; 0 none */
	u32 trace_mc_nr;	/* entries run by the multicall (part) in progress */
	u8 trace_mc_ops[PVMX_TRACE_DATA_MAX];
	struct pvmx_trace_rec trace_buf[PVMX_TRACE_MAX];
};

/* What the arch back end does after a core call. */
enum pvmx_action {
	PVMX_RESUME,		/* re-enter the guest */
	PVMX_EXIT_TO_USER,	/* run->exit_reason says why */
	PVMX_YIELD,		/* give up the host CPU, then re-enter */
	PVMX_RESCHED,		/* let the host schedule if it wants, then re-enter */
	PVMX_BLOCK,		/* sleep until an event (v->wait), then re-enter */
	PVMX_OFFLINE,		/* the vCPU is down: wait for VCPUOP_up (or the VM's end) */
};

/* One hypercall in flight: from registers or from a multicall entry. */
struct pvmx_hcall {
	u32 op;
	u32 arg[5];
	bool preempted;		/* continuation: re-issue with the rewritten arg[] */
	bool regs_replaced;	/* iret or a bounce loaded a new context: keep EIP */
	enum pvmx_action action;
};

/* How a selector is about to be used, for pvmx_selector_usable(). */
enum pvmx_seg_use {
	PVMX_SEG_CODE,		/* CS at privilege level = selector RPL */
	PVMX_SEG_STACK,		/* SS at privilege level = selector RPL */
	PVMX_SEG_USER_DATA,	/* DS..GS that stay loaded at CPL 3 (null counts) */
};

/* Exception vectors the core delivers or checks. */
#define PVMX_TRAP_DB		1
#define PVMX_TRAP_NMI		2
#define PVMX_TRAP_UD		6
#define PVMX_TRAP_NM		7
#define PVMX_TRAP_GP		13
#define PVMX_TRAP_PF		14

#define PVMX_EFLAGS_IF		0x00000200u
#define PVMX_EFLAGS_IOPL	0x00003000u
#define PVMX_EFLAGS_TF		0x00000100u
#define PVMX_EFLAGS_NT		0x00004000u
#define PVMX_EFLAGS_RF		0x00010000u
#define PVMX_EFLAGS_VM		0x00020000u
#define PVMX_EFLAGS_FIXED	0x00000002u
/* Bits a guest may hold in EFLAGS (the rest are reserved). */
#define PVMX_EFLAGS_LEGAL	0x003F7FD7u

/* ---- gmem.c: the one checked path to guest memory ---------------------- */
void *pvmx_gfn_to_host(const struct pvmx_gmem *mem, u64 gfn);
int pvmx_gpa_read(const struct pvmx_gmem *mem, u64 gpa, void *dst, u32 len);
int pvmx_gva_to_gpa(const struct pvmx_vcpu_core *v, u32 gva, bool write, u64 *gpa);
int pvmx_copy_from_guest(const struct pvmx_vcpu_core *v, void *dst, u32 gva, u32 len);
/* A copy inside one page that also says what it went through (gmem.c). */
int pvmx_copy_from_guest_page(const struct pvmx_vcpu_core *v, void *dst, u32 gva, u32 len,
			      u64 where[3]);
int pvmx_copy_to_guest(const struct pvmx_vcpu_core *v, u32 gva, const void *src, u32 len);
int pvmx_clear_guest(const struct pvmx_vcpu_core *v, u32 gva, u32 len);
/* Guest-physical address of the L1 entry mapping gva, or -XEN_EINVAL. */
int pvmx_l1e_gpa(const struct pvmx_vcpu_core *v, u32 gva, u64 *gpa);

/* Fails unless ring 3 may access [gva, gva+len) (U/S set at every level). */
int pvmx_check_user_access(const struct pvmx_vcpu_core *v, u32 gva, u32 len, bool write);

/* The Xen version pvmx answers to (xen_version, CPUID 0x40000001). */
#define PVMX_XEN_MAJOR		4
#define PVMX_XEN_MINOR		19

/* ---- cpuid.c: the guest's CPUID ---------------------------------------- */
struct pvmx_cpuid_leaf {
	u32 a, b, c, d;
};

/* The host CPU's leaf (the arch's cpuid_count()). */
typedef void (*pvmx_host_cpuid_fn)(u32 leaf, u32 subleaf, struct pvmx_cpuid_leaf *r);
/* What CPUID leaf/subleaf gives the guest (Documentation/guest-abi.rst, CPUID). */
void pvmx_guest_cpuid(const struct pvmx_vcpu_core *v, u32 leaf, u32 subleaf,
		      pvmx_host_cpuid_fn host, struct pvmx_cpuid_leaf *r);

/* ---- hypercall.c ------------------------------------------------------- */
/*
 * The handler of hypercall X is do_X(), as in Xen (do_mmu_update() for
 * mmu_update): declared below with the file that holds it, listed in
 * hypercall.c's table.  The helpers of one sub-operation are static and
 * never named do_*.
 */
/* Handle the hypercall in the registers; insn_len is the `int $0x82` size. */
enum pvmx_action pvmx_hypercall(struct pvmx_vcpu_core *v, u32 insn_len);
long pvmx_dispatch(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
/*
 * Whether pvmx_hypercall() runs this call without the VM lock: the dispatch
 * table's per-hypercall (and per-sub-op) flag (Documentation/design.rst,
 * "Hypercalls without the VM lock").  A multicall may ask it of each entry.
 */
bool pvmx_hcall_lockfree(const struct pvmx_hcall *hc);
/*
 * A handler started without the lock that finds it needs VM-wide state (a
 * guest write, a bounce frame) takes it here for the rest of the call;
 * pvmx_hypercall() drops it.  A no-op when the call already holds it.
 */
void pvmx_hcall_lock(struct pvmx_vcpu_core *v);
void pvmx_fill_hypercall_page(u8 *page);
/* Kill the guest with a reason the launcher prints. */
enum pvmx_action pvmx_crash(struct pvmx_vcpu_core *v, u32 kind, u32 vector,
			    u32 error_code, u64 address, const char *fmt, ...)
	__printf(6, 7);

/*
 * Cross-vCPU requests (KVM's kvm_make_request()/kvm_check_request()): work on
 * another vCPU's state that only that vCPU may do, because it may be in
 * the guest using that state.  pvmx_make_request() sets the bit and kicks;
 * the target runs pvmx_process_requests() in its own thread, under the VM
 * lock, before each entry (pvmx_prepare_entry()).
 */
#define PVMX_REQ_TRAPS_CHANGED	0	/* pvmx_arch_traps_changed(): vcpu_info moved */
void pvmx_make_request(struct pvmx_vcpu_core *t, u32 req);
void pvmx_process_requests(struct pvmx_vcpu_core *v);

/*
 * Xen's hypercall_preempt_check() for the loops over guest-supplied counts
 * (mmu_update, mmuext_op, multicall): true when the caller should stop and
 * continue later (a continuation), because the host wants the CPU or this
 * VM-lock hold has done PVMX_HOLD_BUDGET work items.  pvmx_preempt_check_n()
 * counts n items (for work of several items' cost).
 */
#define PVMX_HOLD_BUDGET	128
extern u32 pvmx_hold_budget;	/* the budget in force (0: none); main.c's hold_budget */
/*
 * Cycle accounting (main.c's cycle_stats, off by default): the statistics'
 * exit_cycles/hypercall_cycles and lock_hold_max_us.  Off, the counters
 * still count and no cycle counter is read.
 */
extern bool pvmx_cycle_stats;
bool pvmx_arch_preempt_pending(struct pvmx_vcpu_core *v);
/* Inline: the budget is a counter; only the host's own signals need a call. */
static inline bool pvmx_preempt_check_n(struct pvmx_vcpu_core *v, u32 n)
{
	u32 budget = READ_ONCE(pvmx_hold_budget);

	v->hold_work += n;
	return (budget && v->hold_work >= budget) || pvmx_arch_preempt_pending(v);
}

static inline bool pvmx_preempt_check(struct pvmx_vcpu_core *v)
{
	return pvmx_preempt_check_n(v, 1);
}

/* ---- traps.c: trap table, callbacks and bounce frames ------------------- */
long do_set_trap_table(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_stack_switch(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_set_callbacks(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_fpu_taskswitch(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_callback_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_iret(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
/* A CPU exception in the guest; EIP is where the guest resumes after the handler. */
enum pvmx_action pvmx_deliver_exception(struct pvmx_vcpu_core *v, u32 vector,
					bool has_error, u32 error);
/* The same with the VM lock already held (emulation paths that run under it). */
enum pvmx_action pvmx_deliver_exception_locked(struct pvmx_vcpu_core *v, u32 vector,
					       bool has_error, u32 error);
/*
 * A #DB for the guest: pending (DR6 bits with positive polarity: B0-B3, BD,
 * BS, BT) merged into its DR6 as Xen's x86_merge_dr6(), then bounced.  The
 * unlocked form is for the back end's #DB exits.
 */
enum pvmx_action pvmx_deliver_db_locked(struct pvmx_vcpu_core *v, u32 pending);
enum pvmx_action pvmx_deliver_db(struct pvmx_vcpu_core *v, u32 pending);
/* `int n` (n = vector) that the hardware refused; EIP is on the instruction. */
enum pvmx_action pvmx_software_interrupt(struct pvmx_vcpu_core *v, u32 vector, u32 insn_len);
/* int $0x80 of insn_len bytes at EIP: Xen's int80 direct trap, else as any int n. */
enum pvmx_action pvmx_int80(struct pvmx_vcpu_core *v, u32 insn_len);
/* Recheck v->int80 (the arch's pvmx_arch_traps_changed() calls it). */
void pvmx_int80_refresh(struct pvmx_vcpu_core *v);
/* update_descriptor wrote GDT slot `slot` of frame mfn: recheck who uses it. */
void pvmx_int80_desc_written(struct pvmx_vcpu_core *v, u32 mfn, u32 slot);
/*
 * `sysenter` (true; #GP(0) at it) or `syscall` (#UD at it, insn_len its
 * length): the sysenter or syscall32 callback, or #GP(0) without one.
 */
enum pvmx_action pvmx_fast_syscall(struct pvmx_vcpu_core *v, bool sysenter, u32 insn_len);
/* The event callback, for a pending unmasked upcall. */
enum pvmx_action pvmx_deliver_upcall(struct pvmx_vcpu_core *v);
struct xen_vcpu_info *pvmx_vcpu_info(struct pvmx_vcpu_core *v);

/* The vCPU with this id, or NULL (Xen's domain_vcpu()). */
static inline struct pvmx_vcpu_core *pvmx_vcpu_of(struct pvmx_vm_core *vm, u32 id)
{
	return id < PVMX_MAX_VCPUS ? vm->vcpus[id] : NULL;
}

/* ---- event_channel.c: event channels, VIRQs, events from outside -------- */
long do_event_channel_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_event_channel_op_compat(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
/* Boot: the launcher's console/xenstore ports. */
int pvmx_events_init(struct pvmx_vm_core *vm, u32 console_port, u32 store_port);
/* From any context: queue an event for the vCPU and wake it. */
void pvmx_raise_virq_async(struct pvmx_vcpu_core *v, u32 virq);
int pvmx_raise_port_async(struct pvmx_vm_core *vm, u32 port);
/* The vCPU's own thread, VM lock held: send what the *_async calls queued. */
void pvmx_apply_async_events(struct pvmx_vcpu_core *v);
/* PVMX_BIND_EVTCHN: the launcher binds (or unbinds) a port the guest allocated for dom 0. */
int pvmx_launcher_bind_port(struct pvmx_vm_core *vm, u32 port, bool unbind);

/* ---- entry.c: the work before a guest entry ------------------------------ */
/* The reasons in vcpu->entry_work (core.h, struct pvmx_vcpu_core). */
#define PVMX_WORK_TRACE		BIT(0)	/* trace_nr: records to hand over */
#define PVMX_WORK_ENDED		BIT(1)	/* vm->ended */
#define PVMX_WORK_STATE		BIT(2)	/* up, new_context */
#define PVMX_WORK_REQUEST	BIT(3)	/* requests */
#define PVMX_WORK_EVENTS	BIT(4)	/* async_virqs, vCPU 0's global VIRQs, raised ports */
#define PVMX_WORK_ALL		0x1Fu

/* Set work bits after the state they stand for; a full barrier, any context. */
static inline void pvmx_entry_work_set(struct pvmx_vcpu_core *v, u32 bits)
{
	__atomic_fetch_or(&v->entry_work, bits, __ATOMIC_SEQ_CST);
}

/* The same on every vCPU of the VM (VM-wide state any vCPU may apply). */
static inline void pvmx_entry_work_set_all(struct pvmx_vm_core *vm, u32 bits)
{
	struct pvmx_vcpu_core *t;
	u32 i;

	for (i = 0; i < PVMX_MAX_VCPUS; i++) {
		t = READ_ONCE(vm->vcpus[i]);
		if (t)
			pvmx_entry_work_set(t, bits);
	}
}

/* Everything pvmx_prepare_entry() does when it has work (entry.c). */
enum pvmx_action pvmx_prepare_entry_slow(struct pvmx_vcpu_core *v);

/*
 * Nothing for the entry path to do: no entry_work bit, and no upcall
 * pending and unmasked in the vCPU's vcpu_info, which the guest writes
 * without an exit (Xen's test_guest_events on every return).
 */
static inline bool pvmx_entry_idle(const struct pvmx_vcpu_core *v)
{
	const struct xen_vcpu_info *vi = READ_ONCE(v->entry_vi);

	return !READ_ONCE(v->entry_work) &&
	       !(READ_ONCE(vi->evtchn_upcall_pending) && !READ_ONCE(vi->evtchn_upcall_mask));
}

/*
 * vCPU thread, before entering the guest: apply queued events, time,
 * upcall.  The run loop clears its kick flag and fences before the call,
 * so a bit set after this look is seen as a kick with interrupts off and
 * the loop looks again.
 */
static inline enum pvmx_action pvmx_prepare_entry(struct pvmx_vcpu_core *v)
{
	if (likely(pvmx_entry_idle(v)))
		return PVMX_RESUME;
	return pvmx_prepare_entry_slow(v);
}

/* ---- sched.c: sched_op, set_timer_op, block and poll --------------------- */
long do_sched_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_sched_op_compat(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_set_timer_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
/* SCHEDOP_shutdown: the VM ends with this reason (reported by this vCPU). */
void pvmx_shutdown(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc, u32 reason);
/*
 * Timer deadlines and periods this far ahead are a wrapped guest clock:
 * set_timer_op replaces the deadline, VCPUOP_set_periodic_timer refuses.
 */
#define PVMX_TIMER_MAX_DELTA_NS	BIT_ULL(50)
/* Whether a blocked or polling vCPU has something to do (vCPU thread). */
bool pvmx_vcpu_should_wake(struct pvmx_vcpu_core *v);
/* Whether a down vCPU may run again: it is up, or the VM has ended. */
bool pvmx_vcpu_may_run(struct pvmx_vcpu_core *v);

/* ---- domain.c: vcpu_op, vCPU state, runstate, time, the VM's end -------- */
long do_vcpu_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
/* A new vCPU's event, timer and run state. */
void pvmx_vcpu_events_init(struct pvmx_vcpu_core *v);
/* vcpu_time_info from the host clock; wall clock at system time 0. */
void pvmx_update_time_info(struct pvmx_vcpu_core *v);
void pvmx_set_wallclock(struct pvmx_vm_core *vm, u64 real_ns_at_zero);
/*
 * The vCPU shut down or crashed: the VM ends, every other vCPU is kicked to
 * report the same end.  True if the VM had not ended before.
 */
bool pvmx_vm_end(struct pvmx_vcpu_core *v);
/* Runstate bookkeeping around host-side waits. */
void pvmx_runstate_change(struct pvmx_vcpu_core *v, int state);

/* ---- trace.c: statistics and trace records -------------------------------- */
/* Enabled pvmx tracepoints (host.c counts them as perf/tracefs attach). */
extern int pvmx_host_tracepoints;

/* Anyone listening: PVMX_SET_TRACE on this vCPU or a tracepoint. */
static inline bool pvmx_tracing(const struct pvmx_vcpu_core *v)
{
	return unlikely(v->trace_flags | READ_ONCE(pvmx_host_tracepoints));
}

void pvmx_trace_record(struct pvmx_vcpu_core *v, u32 kind, u32 flags, u32 op, u32 result,
		       const u32 args[5], u32 index, u32 eip);
void pvmx_trace_stamp(struct pvmx_vcpu_core *v);

/*
 * A record of what the guest did; eip: where the guest was (the
 * hypercall's `int $0x82`, the trapping instruction).  Nothing is built
 * unless someone listens: the common case is one test and a branch.
 */
static inline void pvmx_trace(struct pvmx_vcpu_core *v, u32 kind, u32 flags, u32 op,
			      u32 result, const u32 args[5], u32 index, u32 eip)
{
	if (pvmx_tracing(v))
		pvmx_trace_record(v, kind, flags, op, result, args, index, eip);
}

/* A hypercall begins (right after its VM exit): its records' time. */
static inline void pvmx_trace_begin(struct pvmx_vcpu_core *v)
{
	if (pvmx_tracing(v))
		pvmx_trace_stamp(v);
}

/* Records waiting: hand them to userspace before the guest runs on. */
enum pvmx_action pvmx_trace_flush(struct pvmx_vcpu_core *v);
/* Room for this many records before a flush (always, without PVMX_SET_TRACE). */
static inline bool pvmx_trace_room(const struct pvmx_vcpu_core *v, u32 records)
{
	return likely(!v->trace_flags) || v->trace_nr + records <= PVMX_TRACE_MAX;
}

void pvmx_stats_init(struct pvmx_stats *s);
void pvmx_stats_add(struct pvmx_stats *sum, const struct pvmx_stats *s);
void pvmx_stats_batch(struct pvmx_vcpu_core *v, u32 entries, u32 stop);

/* ---- mm.c: page types and the PV page-table hypercalls ------------------ */
/* Xen's page types: a frame has one type at a time while references hold it. */
enum pvmx_page_type {
	PVMX_PGT_NONE,
	PVMX_PGT_WRITABLE,	/* mapped writable somewhere */
	PVMX_PGT_L1,
	PVMX_PGT_L2,
	PVMX_PGT_L3,
	PVMX_PGT_SEG_DESC,	/* GDT/LDT frame */
};

/* One RAM frame's type, as Xen's page_info type_info has it. */
struct pvmx_frame {
	u32 type_count;		/* references on the type */
	u8 type;		/* enum pvmx_page_type; kept when the count drops to 0 */
	u8 flags;		/* PVMX_FRAME_* */
	u16 nr_validated;	/* PARTIAL: entries whose references are held */
};

#define PVMX_FRAME_PINNED	0x01	/* MMUEXT_PIN_*: holds one type reference */
#define PVMX_FRAME_VALIDATED	0x02	/* entries checked, child references held */
#define PVMX_FRAME_PAE_XEN_L2	0x04	/* the L2 under L3 slot 3 (Xen's slots filled) */
/*
 * Xen's PGT_partial: a preemptible validation (mm.c) stopped after
 * nr_validated entries, type_count 1.  Nobody owns that reference: the next
 * get of the same type continues the validation and, when it completes,
 * the reference is the caller's.
 */
#define PVMX_FRAME_PARTIAL	0x08

/* vcpu->mm_requests: what the arch does before the vCPU next enters the guest. */
#define PVMX_MM_FLUSH_TLB	0x01	/* drop all cached translations */
#define PVMX_MM_LOAD_BASE	0x02	/* load cpu.cr3 and cpu.pdpte (flushes too) */

/*
 * Take a typed reference on one of the VM's RAM frames (Xen's
 * get_page_type): 0, or a negated Xen errno if the frame is not the VM's
 * RAM or holds another type that is still referenced.
 */
int pvmx_get_page_type(struct pvmx_vm_core *vm, u32 mfn, enum pvmx_page_type type);
void pvmx_put_page_type(struct pvmx_vm_core *vm, u32 mfn);
/* Load the L3 at mfn as the vCPU's base (NEW_BASEPTR, mov to cr3, initialise). */
long pvmx_new_baseptr(struct pvmx_vcpu_core *v, u32 mfn);
/* Boot: validate and pin the launcher's L3 (as Xen's builder does), load it. */
long pvmx_mm_boot_baseptr(struct pvmx_vcpu_core *v, u64 cr3);
/* Arch, VMCS current, irqs off, in_guest set: carry out v->mm_requests. */
void pvmx_mm_before_entry(struct pvmx_vcpu_core *v);
long do_mmu_update(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_mmuext_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_update_va_mapping(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_update_va_mapping_otherdomain(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);

/*
 * XSA-273: if an L1TF-unsafe not-present entry was refused, crash the guest
 * (as Xen's domain_crash()) and return the action; else PVMX_RESUME.
 */
enum pvmx_action pvmx_mm_l1tf_crash(struct pvmx_vcpu_core *v);
/*
 * A checked store into an L1 entry (ptwr.c): 0, 1 (*expected was stale), -errno.
 * zapped: Xen's high-half fix-up made it not present (no XSA-273 check, as Xen).
 */
int pvmx_ptwr_update_l1(struct pvmx_vcpu_core *v, u32 mfn, u32 slot, u64 new, u64 *expected,
			bool zapped);

/* ---- ptwr.c: VMASST_TYPE_writable_pagetables ---------------------------- */
/*
 * A #PF at addr with this error code, CS:EIP the faulting instruction
 * (cs_base: the code segment's base): if it is a guest kernel store into one
 * of its L1 tables mapped read-only and the assist is on, emulate it as Xen's
 * ptwr does and return true with *action set.  False: reflect the #PF.
 */
bool pvmx_ptwr_fault(struct pvmx_vcpu_core *v, u32 cs_base, u32 addr, u32 error,
		     enum pvmx_action *action);

/* ---- desc.c: guest GDT and LDT ------------------------------------------ */
/* set_gdt with frames already copied in (the hypercall and VCPUOP_initialise). */
long pvmx_set_gdt(struct pvmx_vcpu_core *v, const u32 *frames, u32 entries);
/* The LDT at linear address va (MMUEXT_SET_LDT, VCPUOP_initialise). */
long pvmx_set_ldt(struct pvmx_vcpu_core *v, u32 va, u32 entries);
long do_set_gdt(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_update_descriptor(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
/*
 * Xen's check_descriptor for a compat guest: true if *d may go into a GDT or
 * LDT, with *d fixed up as Xen fixes it (DPL >= 1, limits widened over the
 * hole, call gates) and its accessed bit set.
 */
bool pvmx_check_descriptor(u64 *d);
/*
 * Check (and fix up) all 512 descriptors of one of the VM's RAM frames: only
 * mm.c's type change calls it, for a frame becoming PVMX_PGT_SEG_DESC.
 */
int pvmx_validate_desc_frame(struct pvmx_vm_core *vm, u32 mfn);
/*
 * The descriptor a selector names (guest GDT, Xen's entries, LDT): 0 or
 * -XEN_EINVAL.  Side-effect free (no page-type reference, no LDT mapping):
 * callable by the vCPU's own thread without the VM lock, or under it.
 */
int pvmx_read_descriptor(struct pvmx_vcpu_core *v, u16 sel, u64 *desc);
/* Could the CPU load this selector for that use (descriptor present, right DPL)? */
bool pvmx_selector_usable(struct pvmx_vcpu_core *v, u16 sel, enum pvmx_seg_use use);
/* A #PF at this offset into the vCPU's LDT area: map the page, or reflect it. */
enum pvmx_action pvmx_ldt_fault(struct pvmx_vcpu_core *v, u32 offset, u32 error);
/* Drop every GDT/LDT frame reference (vCPU teardown and reset). */
void pvmx_desc_release(struct pvmx_vcpu_core *v);

/* Descriptor fields. */
static inline u32 pvmx_desc_base(u64 d)
{
	return ((d >> 16) & 0xFFFFFF) | (u32)((d >> 56) << 24);
}

static inline u32 pvmx_desc_limit(u64 d)
{
	u32 raw = (d & 0xFFFF) | ((d >> 32) & 0xF0000);

	return (d & BIT_ULL(55)) ? (raw << 12) | 0xFFF : raw;
}

/* ---- emulate.c: the privileged instructions Xen emulates for a PV guest - */
/* One decoded instruction (only the forms emulate.c knows are decoded). */
struct pvmx_insn {
	u32 len;		/* prefixes included */
	u8 opcode;		/* after 0x0f when twobyte */
	bool twobyte;
	u8 modrm;		/* 0f 01, 0f 20..23 */
	u8 imm8;		/* in/out imm8 */
	u8 op_bytes;		/* 4, or 2 with 0x66 */
	u8 ad_bytes;		/* 4, or 2 with 0x67 */
	u8 rep;			/* 0, 0xf2 or 0xf3 (the last one) */
	u8 seg;			/* segment override prefix byte, 0: none */
	bool lock;
};

/* The longest x86 instruction. */
#define X86_MAX_INSN_LEN	15

/* Fetch up to X86_MAX_INSN_LEN bytes at linear; returns how many could be read. */
u32 pvmx_insn_fetch(struct pvmx_vcpu_core *v, u32 linear, u8 *buf);
/* An emulated instruction of len bytes retired: EIP past it, #DB if single-stepping. */
enum pvmx_action pvmx_insn_retire(struct pvmx_vcpu_core *v, u32 len);
/* 0, or -XEN_EFAULT (needs more than avail bytes), -XEN_EINVAL (not emulated). */
int pvmx_decode_insn(const u8 *buf, u32 avail, struct pvmx_insn *insn);
/*
 * A #GP with error code 0 at CS:EIP (cs_base: the code segment's base):
 * emulate the instruction as Xen's emul-priv-op.c does, or reflect the #GP.
 */
enum pvmx_action pvmx_emulate_privileged(struct pvmx_vcpu_core *v, u32 cs_base);
/* Xen's iopl_ok(): may the current context run cli/sti and reach every port? */
bool pvmx_iopl_ok(const struct pvmx_vcpu_core *v);
/*
 * Xen's set_debugreg()/x86emul_read_dr(), shared by mov %drN and the
 * set_debugreg/get_debugreg hypercalls: 0, -XEN_ENODEV (#UD: DR4/DR5 with
 * CR4.DE, or no such register), -XEN_EPERM (#GP: not allowed).
 */
int pvmx_set_debugreg(struct pvmx_vcpu_core *v, u32 reg, u32 val);
int pvmx_get_debugreg(struct pvmx_vcpu_core *v, u32 reg, u32 *val);
/* DR7 as the CPU gets it while the guest runs: I/O breakpoints left out. */
u32 pvmx_hw_dr7_slow(const struct pvmx_vcpu_core *v);
static inline u32 pvmx_hw_dr7(const struct pvmx_vcpu_core *v)
{
	/* No R/W fields (bits 16-31): no I/O breakpoint to leave out. */
	if (likely(!(v->dr[7] >> 16)))
		return v->dr[7] | 0x400;	/* bit 10 reads as 1 */
	return pvmx_hw_dr7_slow(v);
}

/* VCPUOP_initialise (Xen's arch_set_info_guest()): DR0-3 acceptable? */
bool pvmx_debug_context_ok(const u32 debugreg[8]);
/* ... then CR4's guest bits and debugreg[0-3, 6, 7] through set_debugreg. */
void pvmx_load_debug_context(struct pvmx_vcpu_core *v, u32 cr4, const u32 debugreg[8]);
long do_set_debugreg(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_get_debugreg(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);

/* ---- physdev.c: vm_assist, physdev_op ---------------------------------- */
long do_vm_assist(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_physdev_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_physdev_op_compat(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);

/* ---- memory.c: memory_op and grant_table_op ---------------------------- */
long do_memory_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
long do_grant_table_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);

/* ---- multicall.c -------------------------------------------------------- */
long do_multicall(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);

/*
 * ---- provided by the arch back end (or the unit-test harness) ----------
 * Core -> back end: module/core calls, module/x86 implements (run.c,
 * segments.c, exits.c); tests/unit/fixture.c and bench/host stand in.
 */
/* Drop cached translations of the guest's linear address (all if !one). */
void pvmx_arch_flush_guest_tlb(struct pvmx_vcpu_core *v, u32 gva, bool one);
/* The host wants the CPU back or a signal is pending: time for a continuation. */
bool pvmx_arch_preempt_pending(struct pvmx_vcpu_core *v);
/* DS, ES, FS, GS as the guest has them now / load new ones. */
void pvmx_arch_get_data_segs(struct pvmx_vcpu_core *v, u16 segs[4]);
void pvmx_arch_set_data_segs(struct pvmx_vcpu_core *v, const u16 segs[4]);
/* Virtual CR0.TS changed: make the next FPU use trap (#NM) or not. */
void pvmx_arch_set_fpu_ts(struct pvmx_vcpu_core *v, bool ts);
/* The trap table or the stack_switch stack changed (hardware fast paths). */
void pvmx_arch_traps_changed(struct pvmx_vcpu_core *v);
/* rdmsr on the host CPU (only for MSRs emulate.c forwards): 0 or -XEN_EINVAL. */
int pvmx_arch_read_host_msr(u32 msr, u64 *val);
/*
 * The guest's GDT frames, LDT or LDT mappings (v->desc) changed: remap them
 * and reload the LDT before the vCPU next enters the guest.
 */
void pvmx_arch_desc_changed(struct pvmx_vcpu_core *v);
/* Load v->cpu.cr3 and v->cpu.pdpte into the CPU (VMCS current). */
void pvmx_arch_load_baseptr(struct pvmx_vcpu_core *v);
/*
 * VCPUOP_initialise gave a vCPU that is down a new context: v->cpu holds the
 * registers and cr3/pdpte; sregs[] the selectors in the order ES, CS, SS,
 * DS, FS, GS (checked); fpu an FXSAVE image to load, or NULL for the reset
 * state.  The vCPU is not running: the arch takes it at its next entry.
 */
void pvmx_arch_load_context(struct pvmx_vcpu_core *v, const u16 sregs[6], const void *fpu);
/* Write Xen's entries 428..511 into the L2 that L3 slot 3 points at. */
void pvmx_arch_fill_hv_l2(struct pvmx_vm_core *vm, u64 *l2);
/* The machine frame (hypervisor GPA frame) holding page `page` of vm->m2p. */
u32 pvmx_arch_m2p_mfn(struct pvmx_vm_core *vm, u32 page);

/*
 * ---- provided by the host kernel layer (host.c) or the test harness ----
 * Core -> Linux glue: module/core calls, module/linux implements (host.c,
 * main.c); tests/unit/fixture.c and bench/host stand in.
 */
struct pvmx_time_sample {
	u64 tsc;
	u64 ns;			/* system time: host monotonic ns */
	u32 tsc_to_system_mul;
	s8 tsc_shift;
};

void pvmx_host_time(struct pvmx_time_sample *t);
u64 pvmx_host_now_ns(void);
/* One-shot VIRQ_TIMER deadline in system ns (0 cancels); periodic (0 stops). */
void pvmx_host_set_timer(struct pvmx_vcpu_core *v, u64 deadline_ns);
void pvmx_host_set_periodic(struct pvmx_vcpu_core *v, u64 period_ns);
/* Wake the vCPU's thread, or make it leave the guest to look at events. */
void pvmx_host_kick(struct pvmx_vcpu_core *v);
/* Cycle counter for the statistics; tracepoints (pvmx_host_tracepoints: how many are on). */
u64 pvmx_host_cycles(void);
/* A hypercall held the VM lock this many cycles (the longest is kept: main.c). */
void pvmx_host_lock_held(u64 cycles);
void pvmx_host_tracepoint(struct pvmx_vcpu_core *v, const struct pvmx_trace_rec *r);

/* 32-bit atomics on guest-shared words (the guest updates them concurrently). */
static inline bool pvmx_test_and_set_bit32(u32 *word, u32 bit)
{
	return __atomic_fetch_or(word, 1u << bit, __ATOMIC_SEQ_CST) & (1u << bit);
}

static inline bool pvmx_test_and_clear_bit32(u32 *word, u32 bit)
{
	return __atomic_fetch_and(word, ~(1u << bit), __ATOMIC_SEQ_CST) & (1u << bit);
}

static inline bool pvmx_test_bit32(const u32 *word, u32 bit)
{
	return __atomic_load_n(word, __ATOMIC_SEQ_CST) & (1u << bit);
}

static inline u32 pvmx_xchg32(u32 *word, u32 value)
{
	return __atomic_exchange_n(word, value, __ATOMIC_SEQ_CST);
}

/* The vCPU no longer polls: the flag, then its poll_mask bit (sched.c). */
static inline void pvmx_poll_done(struct pvmx_vcpu_core *v)
{
	WRITE_ONCE(v->wait.polling, false);
	pvmx_test_and_clear_bit32(&v->vm->poll_mask, v->id);
}

#endif /* _PVMX_CORE_H */
