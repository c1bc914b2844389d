/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arch-neutral core of pvmx: the hypercall dispatcher, the Xen PV
 * hypercalls themselves and checked guest-memory access.  Nothing here knows
 * about VMX; the same sources build into pvmx.ko and into the host unit tests
 * (tests/unit/), which provide core_env.h's host flavour.
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

struct pvmx_vm_core {
	struct pvmx_gmem mem;
	u32 domid;
	u32 shared_info_gfn;
};

struct pvmx_vcpu_core {
	struct pvmx_cpu cpu;
	struct pvmx_vm_core *vm;
	struct pvmx_run *run;
	u32 id;
	enum pvmx_vcpu_state state;
};

/* What the arch back end does after a core call. */
enum pvmx_action {
	PVMX_RESUME,		/* re-enter the guest */
	PVMX_EXIT_TO_USER,	/* run->exit_reason says why */
	PVMX_YIELD,		/* give up the host CPU, then re-enter */
	PVMX_RESCHED,		/* let the host schedule if it wants, then re-enter */
};

/* One hypercall in flight: from registers or from a multicall entry. */
struct pvmx_hcall {
	u32 op;
	u32 arg[5];
	bool preempted;		/* continuation: re-issue with the rewritten arg[] */
	enum pvmx_action action;
};

/* ---- gmem.c: the one checked path to guest memory ---------------------- */
void *pvmx_gfn_to_host(const struct pvmx_gmem *mem, u64 gfn);
int pvmx_gpa_read(const struct pvmx_gmem *mem, u64 gpa, void *dst, u32 len);
int pvmx_gpa_write(const struct pvmx_gmem *mem, u64 gpa, const void *src, u32 len);
int pvmx_gva_to_gpa(const struct pvmx_vcpu_core *v, u32 gva, bool write, u64 *gpa);
int pvmx_copy_from_guest(const struct pvmx_vcpu_core *v, void *dst, u32 gva, u32 len);
int pvmx_copy_to_guest(const struct pvmx_vcpu_core *v, u32 gva, const void *src, u32 len);
int pvmx_clear_guest(const struct pvmx_vcpu_core *v, u32 gva, u32 len);
/* Guest-physical address of the L1 entry mapping gva, or -XEN_EINVAL. */
int pvmx_l1e_gpa(const struct pvmx_vcpu_core *v, u32 gva, u64 *gpa);

/* ---- hypercall.c ------------------------------------------------------- */
/* Handle the hypercall in the registers; insn_len is the `int $0x82` size. */
enum pvmx_action pvmx_hypercall(struct pvmx_vcpu_core *v, u32 insn_len);
long pvmx_dispatch(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc);
void pvmx_fill_hypercall_page(u8 *page);
/* Kill the guest with a reason the launcher prints. */
enum pvmx_action pvmx_crash(struct pvmx_vcpu_core *v, u32 kind, u32 vector,
			    u32 error_code, u64 address, const char *fmt, ...)
	__printf(6, 7);

/* ---- provided by the arch back end (or the unit-test harness) ---------- */
/* Drop cached translations of the guest's linear address (all if !one). */
void pvmx_arch_flush_guest_tlb(struct pvmx_vcpu_core *v, u32 gva, bool one);

#endif /* _PVMX_CORE_H */
