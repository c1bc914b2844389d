/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libpvmx: the userspace side of pvmx, shared by the `pvmx` launcher and the
 * selftests.
 *
 * Two halves:
 *
 *  1. The image loader (loader.c).  Pure functions over buffers, no ioctls:
 *     pvmx_parse_image() reads a 32-bit Xen PV ELF image the way Xen's domain
 *     builder (libelf + libxenguest) does, and pvmx_build_image() writes the
 *     whole start-of-day image (kernel and its BSD symbols, ramdisk, P2M,
 *     start_info, xenstore and console rings, bootstrap PAE page tables, boot
 *     stack) into a caller-provided
 *     guest-RAM buffer and describes it in struct pvmx_layout, including the
 *     initial registers and the struct pvmx_boot_info to hand to the module.
 *
 *  2. Thin wrappers around /dev/pvmx, VM and vCPU fds (dev.c).
 *
 * Conventions: functions return 0 (or a non-negative value) on success and
 * -errno on failure.  Functions taking `char *err` write a one-line,
 * human-readable reason there on failure (at most PVMX_ERR_MAX bytes,
 * NUL-terminated, no trailing newline); err may be NULL.
 */
#ifndef LIBPVMX_H
#define LIBPVMX_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

#include <linux/pvmx.h>
#include <pvmx/xen_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PVMX_ERR_MAX		256
#define PVMX_DEVICE_PATH	"/dev/pvmx"
/* Environment variable overriding PVMX_DEVICE_PATH (used by tests). */
#define PVMX_DEVICE_ENV		"PVMX_DEVICE"

/* Default event channels and domain id the launcher gives a guest. */
#define PVMX_CONSOLE_EVTCHN	1
#define PVMX_STORE_EVTCHN	2
#define PVMX_DOMID		1

/* ====================================================================== */
/* Image loader                                                           */
/* ====================================================================== */

/* Where the Xen notes came from. */
enum pvmx_note_source {
	PVMX_NOTES_NONE = 0,
	PVMX_NOTES_PHDR,	/* PT_NOTE segments */
	PVMX_NOTES_SHDR,	/* SHT_NOTE sections */
	PVMX_NOTES_XEN_GUEST,	/* legacy __xen_guest section string */
};

#define PVMX_STR_MAX	128	/* note strings are truncated to 127 chars */
#define PVMX_UNSET	(~0ULL)

/* What pvmx_parse_image() learnt from the ELF headers and the Xen notes. */
struct pvmx_image_info {
	enum pvmx_note_source source;
	unsigned nr_notes;		/* Xen notes (or __xen_guest keys) seen */

	/* Strings, "" when absent. */
	char guest_os[PVMX_STR_MAX];
	char guest_version[PVMX_STR_MAX];
	char xen_version[PVMX_STR_MAX];
	char loader[PVMX_STR_MAX];
	char pae_mode[PVMX_STR_MAX];
	char features[PVMX_STR_MAX];

	/* Raw note values, PVMX_UNSET when absent. */
	uint64_t note_entry;
	uint64_t note_virt_base;
	uint64_t note_paddr_offset;
	uint64_t note_hypercall_page;	/* a VA (already converted for __xen_guest) */

	/* Features, as bit masks of XENFEAT_* numbers. */
	uint32_t features_wanted;	/* named (with or without '!') */
	uint32_t features_required;	/* named with '!' */
	bool unmapped_initrd;		/* MOD_START_PFN note != 0 (Xen's unmapped_initrd) */

	/*
	 * BSD_SYMTAB (elf_parse_bsdsyms/elf_load_bsdsyms in Xen's libelf): when
	 * requested and the image has a symbol table, a size word, an ELF
	 * header, 3 section headers (null, symtab, strtab), the symtab and the
	 * strtab are loaded from bsd_symtab_pstart (p_paddr space, the image's
	 * end rounded to 4); Xen's reservation ends at bsd_symtab_pend, the
	 * bytes written end at bsd_symtab_end (68 bytes further, see loader.c).
	 */
	bool bsd_symtab;		/* requested (note "yes" or __xen_guest key) */
	bool bsd_symtab_loaded;		/* requested and the image has a symtab */
	unsigned bsd_symtab_shndx;	/* the SHT_SYMTAB section loaded */
	unsigned bsd_strtab_shndx;	/* its sh_link, an SHT_STRTAB */
	uint64_t bsd_symtab_size, bsd_strtab_size;
	uint64_t bsd_symtab_pstart, bsd_symtab_pend, bsd_symtab_end;

	/* Resolved values (all fit in 32 bits once parsing succeeded). */
	uint64_t virt_base;		/* VA of pseudo-physical 0 */
	uint64_t paddr_offset;
	uint64_t virt_offset;		/* virt_base - paddr_offset (mod 2^64) */
	uint64_t entry;			/* VA */
	uint64_t hypercall_page;	/* VA of the page (page aligned), or PVMX_UNSET */
	uint64_t virt_kstart;		/* VA of the lowest p_paddr */
	uint64_t virt_kend;		/* VA just past the highest p_paddr + p_memsz,
					 * or past the BSD symbols (as Xen's virt_kend) */
	uint64_t pstart, pend;		/* lowest p_paddr, highest p_paddr + p_memsz */
	uint16_t e_machine;
	unsigned nr_load;		/* PT_LOAD segments with p_memsz != 0 */
};

/* Options of pvmx_build_image(). Zero-initialise, then set what you need. */
struct pvmx_load_opts {
	const char *cmdline;		/* NULL = "" ; at most 1023 chars */
	uint64_t shared_info_gpa;	/* from PVMX_SET_MEMORY (start_info.shared_info) */
	/*
	 * pfn -> mfn map of nr_pages entries, a permutation of 0..nr_pages-1,
	 * or NULL for the identity.  Page contents are placed at mfn * 4096 in
	 * the RAM buffer and page tables hold mfns.  Not copied: the pointer is
	 * stored in layout->boot.p2m, so it must outlive PVMX_SET_BOOT_INFO.
	 */
	const uint32_t *p2m;
	/* PVMX_BOOT_* flags for PVMX_SET_BOOT_INFO (e.g. PVMX_BOOT_FAST_INT80). */
	uint64_t boot_flags;
	/*
	 * The initial ramdisk (xl's ramdisk=, start_info.mod_start/mod_len), or
	 * NULL.  Copied as it is (no decompression), placed as Xen's domain
	 * builder places module 0: right after the kernel, mapped, mod_start a
	 * VA; or, for an image with the MOD_START_PFN note, after the
	 * start-of-day mapping, unmapped, mod_start a pfn, mod_len rounded up
	 * to pages and SIF_MOD_START_PFN set.  A non-NULL ramdisk must not be
	 * empty.
	 */
	const void *ramdisk;
	uint64_t ramdisk_len;
};

/* One start-of-day element: pfns [pfn, pfn + nr), VA virt_base + pfn*4096. */
struct pvmx_region {
	uint64_t pfn;
	uint64_t nr;
	uint64_t va;
};

/* Everything pvmx_build_image() built, plus what the module needs. */
struct pvmx_layout {
	struct pvmx_image_info image;
	uint64_t nr_pages;		/* RAM pages */

	struct pvmx_region kernel;	/* pages holding [virt_kstart, virt_kend) and
					 * the BSD symbols */
	struct pvmx_region ramdisk;	/* nr 0 without a ramdisk; va meaningless
					 * when ramdisk_unmapped */
	bool ramdisk_unmapped;		/* placed after the mapping (MOD_START_PFN) */
	uint32_t si_flags;		/* start_info.flags (SIF_MOD_START_PFN) */
	uint32_t mod_start, mod_len;	/* start_info.mod_start, mod_len */
	struct pvmx_region p2m;		/* mfn_list */
	struct pvmx_region start_info;
	struct pvmx_region store;	/* xenstore ring */
	struct pvmx_region console;	/* console ring */
	struct pvmx_region pgtables;	/* L3, then the L2s, then the L1s */
	struct pvmx_region stack;	/* boot stack page */
	unsigned nr_l2, nr_l1;
	uint64_t l3_gpa;		/* = cr3 */
	uint64_t virt_mapped_end;	/* the bootstrap mapping covers [virt_base, this) */
	uint64_t mapped_pages;

	struct pvmx_regs regs;		/* initial vCPU 0 state for PVMX_SET_REGS */
	struct pvmx_boot_info boot;	/* for PVMX_SET_BOOT_INFO (p2m = opts->p2m) */
};

/*
 * Parse and check an ELF32 Xen PV image held in elf[0..len).  Does not touch
 * guest memory.  Returns 0, or -ENOEXEC (not a usable image) with a message.
 */
int pvmx_parse_image(const void *elf, size_t len, struct pvmx_image_info *info,
		     char *err);

/*
 * Parse elf[0..len) and build the start-of-day image in ram[0..ram_size)
 * (ram_size a page multiple; the buffer is overwritten: every page the
 * layout uses is written, everything else is left alone, so pass zeroed
 * memory).  Fills *layout.  Returns 0; -ENOEXEC for a bad image; -ENOMEM
 * when ram_size is too small (for the image, or the image and the ramdisk);
 * -EINVAL for bad options (cmdline too long, bad p2m, empty ramdisk).
 */
int pvmx_build_image(const void *elf, size_t len, void *ram, uint64_t ram_size,
		     const struct pvmx_load_opts *opts, struct pvmx_layout *layout,
		     char *err);

/*
 * A P2M that is not the identity, so a guest that takes a pfn for an mfn is
 * caught: p2m[0..nr) becomes a permutation of 0..nr-1 drawn from seed (the
 * same seed gives the same permutation everywhere).
 */
void pvmx_shuffle_p2m(uint32_t *p2m, uint64_t nr, uint64_t seed);

/* Name of a XENFEAT_* number ("writable_page_tables"), NULL if unknown. */
const char *pvmx_xenfeat_name(unsigned feat);
/* Bit mask of XENFEAT_* the pvmx launcher accepts as required. */
uint32_t pvmx_xenfeat_supported(void);

/* ====================================================================== */
/* Device, VM and vCPU wrappers                                           */
/* ====================================================================== */

struct pvmx_dev {
	int fd;
	int api_version;
};

struct pvmx_vm {
	int fd;
	void *ram;			/* mmap of the guest RAM, or NULL */
	uint64_t mem_size;
	uint64_t shared_info_gpa;	/* PVMX_SET_MEMORY output */
	uint32_t *p2m;			/* owned by pvmx_vm_load_image(), or NULL */
};

struct pvmx_vcpu {
	int fd;
	unsigned id;
	struct pvmx_run *run;		/* mmap of PVMX_RUN_MMAP_SIZE bytes */
};

/*
 * Open /dev/pvmx (or $PVMX_DEVICE) and check the API version.  Missing
 * device: -ENOENT, "pvmx: /dev/pvmx not found: is the module loaded?
 * (modprobe pvmx)".  Version mismatch: -EPROTO.
 */
int pvmx_open(struct pvmx_dev *dev, char *err);
void pvmx_close(struct pvmx_dev *dev);
/* PVMX_CHECK_CAP: the capability's value (>= 0), or -errno. */
long pvmx_check_cap(struct pvmx_dev *dev, unsigned cap);
/* PVMX_GET_VMX_INFO. */
int pvmx_get_vmx_info(struct pvmx_dev *dev, struct pvmx_vmx_info *info, char *err);

/* PVMX_CREATE_VM. */
int pvmx_vm_create(struct pvmx_dev *dev, struct pvmx_vm *vm, char *err);
/* PVMX_SET_MEMORY of size bytes, then mmap it (MAP_SHARED) into vm->ram. */
int pvmx_vm_set_memory(struct pvmx_vm *vm, uint64_t size, char *err);
/* PVMX_SET_BOOT_INFO. */
int pvmx_vm_set_boot_info(struct pvmx_vm *vm, const struct pvmx_boot_info *bi,
			  char *err);
/*
 * Build the image into vm->ram (after pvmx_vm_set_memory), with an identity
 * P2M owned by vm, and issue PVMX_SET_BOOT_INFO.  opts may be NULL; its
 * shared_info_gpa and p2m are ignored (vm's are used).
 */
int pvmx_vm_load_image(struct pvmx_vm *vm, const void *elf, size_t len,
		       const struct pvmx_load_opts *opts,
		       struct pvmx_layout *layout, char *err);
/* Unmap, close, free.  Safe on a zeroed or partially set-up vm. */
void pvmx_vm_destroy(struct pvmx_vm *vm);

/* PVMX_CREATE_VCPU, then mmap its struct pvmx_run. */
int pvmx_vcpu_create(struct pvmx_vm *vm, unsigned id, struct pvmx_vcpu *vcpu,
		     char *err);
int pvmx_vcpu_get_regs(struct pvmx_vcpu *vcpu, struct pvmx_regs *regs);
int pvmx_vcpu_set_regs(struct pvmx_vcpu *vcpu, const struct pvmx_regs *regs);
/* PVMX_RAISE_EVENT on a launcher port, or (virq true) on vCPU 0's VIRQ binding. */
int pvmx_vm_raise_event(struct pvmx_vm *vm, uint32_t port_or_virq, bool virq);
/* PVMX_BIND_EVTCHN: bind (or unbind) a port the guest allocated for domain 0. */
int pvmx_vm_bind_evtchn(struct pvmx_vm *vm, uint32_t port, bool unbind);
/*
 * mmap the grant frames read/write: PVMX_GNTTAB_FRAMES pages, or the
 * PVMX_GNTTAB_FRAMES_OLD an older module has; *nr_frames says how many.
 * NULL with errno when neither maps.
 */
void *pvmx_vm_map_gnttab(struct pvmx_vm *vm, uint32_t *nr_frames);

/*
 * Consume the output half of a PV console ring (struct xen_console_ring in
 * guest memory): copy out[out_cons..out_prod) into buf (at most max bytes)
 * and advance out_cons.  A ring whose indices are more than its size apart
 * is hostile or corrupt: it is resynchronised (cons = prod) and *bad set.
 * Returns the number of bytes copied.
 */
size_t pvmx_console_ring_drain(void *ring, char *buf, size_t max, bool *bad);

/* PVMX_RUN: 0 with vcpu->run->exit_reason set, or -errno (-EINTR possible). */
int pvmx_vcpu_run(struct pvmx_vcpu *vcpu);
void pvmx_vcpu_destroy(struct pvmx_vcpu *vcpu);

/*
 * Statistics: PVMX_GET_STATS (one vCPU) and PVMX_GET_VM_STATS (the sum over
 * the VM's vCPUs).  0 or -errno; -EPROTO when the module's struct has another
 * version or size than the one libpvmx was built with.
 */
int pvmx_vcpu_get_stats(struct pvmx_vcpu *vcpu, struct pvmx_stats *stats);
int pvmx_vm_get_stats(struct pvmx_vm *vm, struct pvmx_stats *stats);
/*
 * PVMX_SET_TRACE (version PVMX_TRACE_VERSION): flags PVMX_TRACE_HYPERCALLS |
 * PVMX_TRACE_DELIVERIES (0 = off); hypercalls: bit n records hypercall n
 * (bit 63: 63 and above; ~0 all).  0 or -errno.
 */
int pvmx_vcpu_set_trace(struct pvmx_vcpu *vcpu, uint32_t flags, uint64_t hypercalls);

/* ====================================================================== */
/* Names, the trace decoder, statistics output                            */
/* ====================================================================== */

/* Each returns NULL for a number without a name. */
const char *pvmx_hypercall_name(unsigned op);		/* "xen_version" */
/*
 * Symbolic first argument of the hypercalls taking a command: console_io,
 * sched_op(_compat), xen_version, event_channel_op, vcpu_op, callback_op,
 * memory_op, grant_table_op, physdev_op, vm_assist, nmi_op
 * ("XENVER_version", "EVTCHNOP_send", ...).
 */
const char *pvmx_subop_name(unsigned op, unsigned cmd);
const char *pvmx_mmuext_cmd_name(unsigned cmd);	/* "MMUEXT_PIN_L1_TABLE" */
const char *pvmx_vm_assist_type_name(unsigned type);	/* "VMASST_TYPE_..." */
const char *pvmx_xen_shutdown_reason_name(unsigned r);	/* "SHUTDOWN_poweroff" */
const char *pvmx_xen_errno_name(unsigned err);		/* 22: "EINVAL" */
const char *pvmx_vmx_exit_reason_name(unsigned r);	/* 10: "cpuid" */
const char *pvmx_vector_name(unsigned vector);		/* 14: "#PF" */
const char *pvmx_mc_stop_name(unsigned stop);		/* PVMX_MC_STOP_*: "end" */
/* Histogram bucket b of multicall_batches: "1", "2-3", ..., "32768+". */
const char *pvmx_batch_bucket_name(unsigned b, char *buf, size_t len);

/*
 * One trace record's call as an strace-like string, without a newline:
 *   xen_version(XENVER_version, 0) = 0x40013
 *   event_channel_op(EVTCHNOP_send, 0x12ff4) = -EINVAL (-22)
 *     [3] update_va_mapping(0x7000, 0x42067, 0, UVMF_INVLPG) = 0   (MC_ENTRY)
 *   multicall(0x220000, 40) = <continued>                        (PREEMPTED)
 *   --- trap #PF (vector 14) error 0x2, at 0x00101234 ---
 * Pure; truncates to len.  Returns the length of the whole line (snprintf).
 */
int pvmx_trace_format(const struct pvmx_trace_rec *r, char *buf, size_t len);
/*
 * The whole --trace text line: seconds since t0_ns (CLOCK_MONOTONIC), vCPU,
 * the call as above, the buffer's contents, the duration and, for a
 * hypercall, the guest's EIP:
 *      0.001234 v1 sched_op(SCHEDOP_shutdown, 0x12ff0) = 0 {0} <2.100us> at 0x00101234
 */
int pvmx_trace_format_line(const struct pvmx_trace_rec *r, uint64_t t0_ns, char *buf,
			   size_t len);
/* The record as one JSON object, without a newline (--trace-format=json). */
int pvmx_trace_format_json(const struct pvmx_trace_rec *r, char *buf, size_t len);
/*
 * --trace=LIST: comma-separated Xen hypercall names and "deliveries" into
 * the PVMX_SET_TRACE flags and hypercall mask; list NULL: everything.
 * -1 with a message listing the valid names in err.
 */
int pvmx_trace_parse_filter(const char *list, uint32_t *flags, uint64_t *ops,
			    char *err, size_t errlen);

/*
 * Prints a record stream: text lines or JSON Lines.  In text, multicall
 * entries (recorded before their multicall) are held back and printed
 * under the multicall's line, unless hold_entries is false (the filter
 * leaves multicalls out).  One decoder per vCPU.
 */
struct pvmx_trace_decoder {
	struct pvmx_trace_rec *pending;
	unsigned nr_pending, cap_pending;
	bool json;			/* JSON Lines instead of text */
	bool hold_entries;		/* text: entries wait for their multicall (default) */
	uint64_t t0_ns;			/* text: times are seconds since this */
};
void pvmx_trace_decoder_init(struct pvmx_trace_decoder *d);
void pvmx_trace_feed(struct pvmx_trace_decoder *d, const struct pvmx_trace_rec *r, FILE *f);
/* Prints entries still held back (their multicall never came) and frees. */
void pvmx_trace_decoder_finish(struct pvmx_trace_decoder *d, FILE *f);

/* Statistics: a table of the non-zero counters, or one JSON object (+ newline). */
void pvmx_stats_print_table(FILE *f, const struct pvmx_stats *s);
void pvmx_stats_print_json(FILE *f, const struct pvmx_stats *s);

/* ====================================================================== */
/* Utilities                                                              */
/* ====================================================================== */

/*
 * Read a whole file into a malloc'd buffer (*buf, *len), at most 1 GiB
 * (-EFBIG beyond).  Message in err is "<path>: <strerror>", or for -EFBIG
 * "<path>: larger than 1024 MiB, the most the launcher reads".
 */
int pvmx_read_file(const char *path, void **buf, size_t *len, char *err);
/*
 * Parse a size: "32M", "1G", "512K", "4096" (decimal, a leading 0 too;
 * K/M/G, optional "iB"/"B", case-insensitive).  Returns 0 or -EINVAL
 * (garbage, zero, overflow).
 */
int pvmx_parse_size(const char *s, uint64_t *out);
/*
 * Parse an unsigned number: decimal digits only ("010" is ten), or with
 * allow_hex "0x" and hex digits.  No sign, blanks or suffix.  Returns 0,
 * -EINVAL (garbage) or -ERANGE (above 2^64 - 1).
 */
int pvmx_parse_uint(const char *s, uint64_t *out, bool allow_hex);
/*
 * Parse seconds: "30", "0.5", ".25" (decimal; no sign, exponent or hex),
 * > 0 and at most PVMX_MAX_SECONDS.  Returns 0 or -EINVAL.
 */
#define PVMX_MAX_SECONDS	1e8
int pvmx_parse_seconds(const char *s, double *out);

const char *pvmx_exit_name(unsigned exit_reason);	/* "console", ... */
const char *pvmx_shutdown_name(unsigned reason);	/* "poweroff", ... */
const char *pvmx_crash_kind_name(unsigned kind);	/* "unhandled trap", ... */
const char *pvmx_cap_name(unsigned cap);		/* "max_vcpus", ... */

/* Launcher exit statuses. */
#define PVMX_STATUS_POWEROFF	0
#define PVMX_STATUS_ERROR	1
#define PVMX_STATUS_USAGE	2	/* bad command line */
#define PVMX_STATUS_SHUTDOWN	10	/* + reason; unknown reasons: 19 */
#define PVMX_STATUS_CRASHED	20
#define PVMX_STATUS_INTERNAL	21
#define PVMX_STATUS_TIMEOUT	124
#define PVMX_STATUS_SIGNAL	128	/* + the signal that stopped the guest */
/* Exit status for a guest shutdown with this SHUTDOWN_* reason. */
int pvmx_shutdown_status(unsigned reason);

#ifdef __cplusplus
}
#endif

#endif /* LIBPVMX_H */
