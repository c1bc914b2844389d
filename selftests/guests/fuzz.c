// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: a hostile guest.  seed=<n> n=<hypercalls> on the command line
 * (defaults 1 and 100000).  A seeded PRNG issues random hypercalls with
 * `int $0x82` directly (any number, not only the hypercall page's), random
 * arguments and random pointers: into a scratch region (misaligned,
 * page-crossing), the guest's own page tables (mapped read-only: writes must
 * fail), unmapped memory, the hypervisor hole and the top of the address
 * space; and random multicall lists (nested, huge, entries that overwrite
 * later entries).  Structured categories on top: random trap tables and
 * callbacks (the fuzzer's own handlers, which cover vectors 0..19, are put
 * back after each), random selector loads in ring 1 (mov to ds/es/fs/gs/ss,
 * far jumps and hardware iret frames; faults resume at a safe point),
 * mmu_update / mmuext_op / update_va_mapping on a scratch L1 the fuzzer owns
 * (L2 slot 511 of the first GiB), set_gdt / update_descriptor with every
 * kind of descriptor, and vcpu_op on vCPU 0 and vCPUs that do not exist.
 * Before all that, r3=<n> (default n/100) random instruction streams run in
 * ring 3.  Counts per category are printed at the end.  r1=<n> instead runs
 * only n random instruction streams in ring 1 (see ring1_streams()).
 *
 * The fuzzer must survive its own calls, so pointers that the hypervisor
 * may write through only reach the scratch region or hostile addresses,
 * never its code, stack or tables; and the calls that would end or stop it
 * (shutdown, block, watchdog, remote_shutdown, VCPUOP_down, iret to a
 * random frame, set_trap_table/mmu_update/mmuext_op/set_gdt with writable
 * data) get hostile pointers only or are replaced by a yield.  The host
 * must not crash, hang or leak; the guest must not be crashed.  Prints the
 * count and per-result classes, then KTAP.
 */
#include "runtime.h"

#define SCRATCH_BYTES	(64u * 1024)
/*
 * Pointers only reach the first SCRATCH_USE bytes: the rest absorbs what a
 * hypervisor write at the last byte puts past it (XENVER_commandline writes
 * 1024 bytes); past scratch come the p2m and start_info.
 */
#define SCRATCH_USE	(SCRATCH_BYTES - 8192)
#define ML_ENTRIES	512
#define PTE_PSE		0x80u
#define PTE_ADDR_BITS	0x000FFFFFFFFFF000ull	/* a PAE entry's address, bits 12-51 */

/* Hypervisor writes land here only. */
static u8 scratch[SCRATCH_BYTES] __attribute__((aligned(4096)));
/*
 * Multicall lists: only the fuzzer writes entries (results and the
 * overwriting entries aside); past the last one written, zero entries are
 * set_trap_table(NULL), harmless; then an unmapped guard page (a huge count
 * ends there with -EFAULT).
 */
#define ML_TOTAL	(ML_ENTRIES + 64)
static struct {
	struct xen_multicall_entry ml[ML_TOTAL];
	u8 guard[PAGE_SIZE] __attribute__((aligned(4096)));
} mlarea __attribute__((aligned(4096)));
#define ml mlarea.ml

static u64 rng_state;

static u32 rnd(void)
{
	u64 z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return (u32)(z ^ (z >> 31));
}

static u32 below(u32 n)
{
	return rnd() % n;
}

/*
 * What console writes print: random bytes on the serial console could stop
 * it (XOFF) or mangle the log, and the content is not what is tested.
 */
static char printable[2 * PAGE_SIZE] __attribute__((aligned(4096)));

static u32 printable_pointer(void)
{
	/* Mostly just before the page boundary: the write crosses it. */
	return (u32)printable + PAGE_SIZE - below(2) * below(64) - 1;
}

/* Somewhere the hypervisor may not write (or read). */
static u32 hostile_pointer(void)
{
	switch (below(6)) {
	case 0:
		return XEN_HYPERVISOR_VIRT_START + below(0u - XEN_HYPERVISOR_VIRT_START);
	case 1:
		return 0xFFFFF000u + below(4096);	/* wraps at 4 GiB */
	case 2:
		return 0x80000000u + below(1u << 24);	/* not mapped */
	case 3:		/* the page tables: mapped read-only */
		return start_info->pt_base + below(start_info->nr_pt_frames * PAGE_SIZE);
	case 4:
		return below(16);			/* NULL and a bit */
	default:
		return rnd() | 0xC0000000u;
	}
}

/*
 * Nothing mapped there, ever (update_va_mapping below never maps a present
 * frame): what a multicall list may point at outside mlarea, since a list
 * in readable memory would turn our code into entries and results.
 */
static u32 unreadable_pointer(void)
{
	switch (below(3)) {
	case 0:
		return XEN_HYPERVISOR_VIRT_START + below(0u - XEN_HYPERVISOR_VIRT_START);
	case 1:
		return 0xFFFFF000u + below(4096);
	default:
		return 0x40000000u + below(0x40000000u);
	}
}

/* Anywhere the hypervisor may write: scratch, misaligned, crossing pages. */
static u32 scratch_pointer(void)
{
	u32 base = (u32)scratch;

	switch (below(4)) {
	case 0:		/* the end of a page, for structs that cross it */
		return base + (1 + below(SCRATCH_USE / PAGE_SIZE - 1)) * PAGE_SIZE - 1 - below(32);
	case 1:
		return base + (below(SCRATCH_USE / 4 - 64)) * 4;
	default:
		return base + below(SCRATCH_USE - 256);
	}
}

static u32 any_pointer(void)
{
	return below(3) ? scratch_pointer() : hostile_pointer();
}

static int in_scratch(u32 p)
{
	return p >= (u32)scratch && p < (u32)scratch + SCRATCH_USE;
}

/*
 * Any argument may be used as a pointer: a value that lands in the
 * fuzzer's own image, stack or tables (everything mapped from 1 MiB up) is
 * moved above 1 GiB, where nothing is mapped.  Page 0..0xFFFFF is free RAM.
 */
static u32 safe(u32 v)
{
	if (v >= 0x100000 && v < 0x40000000 && !in_scratch(v))
		v |= 0x40000000;
	return v;
}

/*
 * A console write from readable memory (the page tables, page 0, the
 * printable buffer) prints what it reads: keep it short.  Long and wrapping
 * lengths go with unreadable pointers.
 */
static u32 console_len(u32 ptr, u32 len)
{
	return ptr < 0x40000000 ? len & 63 : len;
}

static u32 random_arg(void)
{
	switch (below(8)) {
	case 0:
		return below(16);
	case 1:
		return 0u - below(4);
	case 2:
	case 3:
		return any_pointer();
	case 4:
		return 0x7FF0 + below(8);		/* DOMID_SELF ... */
	case 5:
		return safe(1u << below(32));
	default:
		return safe(rnd());
	}
}

static void fill_scratch(void)
{
	u32 i, off = below(SCRATCH_USE - 256), n = below(64);

	for (i = 0; i < n; i++)
		scratch[off + i] = below(4) ? (u8)below(8) : (u8)rnd();
}

/*
 * Rewrite a call so it cannot end, stop or corrupt the fuzzer (see the top).
 * Returns the op to issue.
 */
static u32 sanitize(u32 op, u32 a[5])
{
	switch (op) {
	case __HYPERVISOR_set_trap_table:
	case __HYPERVISOR_mmu_update:
	case __HYPERVISOR_set_gdt:
	case __HYPERVISOR_update_descriptor:
	case __HYPERVISOR_memory_op:
	case __HYPERVISOR_mmuext_op:
	case __HYPERVISOR_update_va_mapping_otherdomain:
	case __HYPERVISOR_grant_table_op:
	case __HYPERVISOR_physdev_op:
	case __HYPERVISOR_physdev_op_compat:
		/*
		 * They could remap or retype the fuzzer's own memory: only
		 * pointers where nothing is mapped (page 0 reads as zeros: a
		 * valid request).
		 */
		a[0] = unreadable_pointer();
		a[1] = below(2) ? unreadable_pointer() : a[1];
		a[2] = unreadable_pointer();
		break;
	case __HYPERVISOR_update_va_mapping:
		/*
		 * Never one of our pages; and a present PTE names a frame past
		 * RAM: mapping our own frames at an address we hand out as a
		 * pointer would let the hypervisor's writes reach them.
		 */
		a[0] = hostile_pointer();
		if (a[1] & 1) {	/* present: a frame past RAM, to be refused */
			a[1] = (start_info->nr_pages + below(1u << 20)) << 12 | (a[1] & 0xFFF);
		} else {	/* not present: L1TF-safe (l1tf_safe()) */
			a[1] &= 0xFFF & ~PTE_PSE;
			a[2] = below(2) ? 0 : 0xFFFFF;
		}
		break;
	case __HYPERVISOR_sched_op_compat:
		a[0] = SCHEDOP_yield;
		break;
	case __HYPERVISOR_sched_op:
		if (a[0] == SCHEDOP_block || a[0] == SCHEDOP_shutdown ||
		    a[0] == SCHEDOP_remote_shutdown || a[0] == SCHEDOP_watchdog ||
		    a[0] == SCHEDOP_poll)
			a[1] = unreadable_pointer();	/* fails before acting */
		if (a[0] == SCHEDOP_block)
			a[0] = SCHEDOP_yield;
		break;
	case __HYPERVISOR_iret:
		return __HYPERVISOR_xen_version;	/* would jump to a random frame */
	case __HYPERVISOR_console_io:
		/* Long writes only from hostile pointers: no floods of our memory. */
		if (a[0] == CONSOLEIO_write && a[2] < 0x40000000) {
			a[1] &= 63;
			a[2] = printable_pointer();
		}
		a[1] = console_len(a[2], a[1]);
		break;
	case __HYPERVISOR_vcpu_op:
		if (a[0] <= VCPUOP_down)		/* initialise, up, down */
			a[1] = 1 + below(40);	/* other vCPUs, which do not exist */
		/* Moving our vcpu_info would move the event mask we rely on. */
		if (a[0] == VCPUOP_register_vcpu_info)
			a[0] = VCPUOP_get_runstate_info;
		break;
	case __HYPERVISOR_multicall:
		a[0] = unreadable_pointer();	/* lists: see fuzz_multicall() */
		break;
	case __HYPERVISOR_set_debugreg:
		/* Breakpoints are armed: only where the fuzzer never goes. */
		if (a[0] < 4)
			a[1] = unreadable_pointer();
		break;
	default:
		break;
	}
	return op;
}

static u32 random_op(void)
{
	u32 r = below(100);

	if (r < 85)
		return below(40);
	if (r < 95)
		return 40 + below(24);
	return rnd();
}

static u32 tracing;	/* trace=<n>: print each operation from call n on */
#define TRACE(...) do { if (tracing) printf(__VA_ARGS__); } while (0)

static u32 counts[4];	/* 0, -EFAULT, -EINVAL/-ENOSYS, other */
static u32 total;

static void account(long ret)
{
	if (ret == 0)
		counts[0]++;
	else if (ret == -14)
		counts[1]++;
	else if (ret == -22 || ret == -38)
		counts[2]++;
	else
		counts[3]++;
	total++;
}

static void fuzz_one_hypercall(void)
{
	u32 a[5], i, op;

	for (i = 0; i < 5; i++)
		a[i] = random_arg();
	op = sanitize(random_op(), a);
	TRACE("T%u op %u %x %x %x %x %x\n", total, op, a[0], a[1], a[2], a[3], a[4]);
	account(raw_hypercall(op, a[0], a[1], a[2], a[3], a[4]));
}

/* A list of sanitized entries; a few overwrite later ones; nested calls. */
static u32 mc_entries;

static void fuzz_multicall(void)
{
	u32 nr = 1 + below(ML_ENTRIES / 4), start, i, j, count, mode = below(4);
	struct xen_multicall_entry *e;

	/* A huge count runs to the guard page: keep that stretch short. */
	start = mode == 0 ? ML_TOTAL - nr - below(8) : below(ML_ENTRIES - nr);
	mc_entries += nr;

	for (i = 0; i < nr; i++) {
		e = &ml[start + i];
		for (j = 0; j < 6; j++)
			e->args[j] = random_arg();
		e->op = sanitize(random_op(), e->args);
		e->result = rnd();
		switch (below(16)) {
		case 0:		/* overwrite a later entry with a version string */
			if (start + i + 4 >= ML_TOTAL)
				break;
			e->op = __HYPERVISOR_xen_version;
			e->args[0] = XENVER_extraversion;
			e->args[1] = (u32)&ml[start + i + 1 + below(3)];
			break;
		case 1:		/* nested: the same list, or part of it */
			e->op = __HYPERVISOR_multicall;
			e->args[0] = (u32)&ml[start];
			e->args[1] = below(2) ? nr : rnd();
			break;
		case 2:
			e->op = __HYPERVISOR_console_io;
			e->args[0] = CONSOLEIO_write;
			e->args[2] = hostile_pointer();
			e->args[1] = console_len(e->args[2], below(2) ? rnd() : 0u - below(64));
			break;
		}
	}
	/* Entries past the list are zero: set_trap_table(NULL). */
	memset(&ml[start + nr], 0, sizeof(ml[0]) * (ML_TOTAL - start - nr));
	switch (mode) {
	case 0:
		count = rnd();		/* huge: runs into the zero entries, then faults */
		break;
	case 1:
		count = 0;
		break;
	default:
		count = nr;
		break;
	}
	TRACE("T%u mc start %u nr %u count %u\n", total, start, nr, count);
	account(raw_hypercall(__HYPERVISOR_multicall,
			      /*
			       * Not misaligned: shifted entries would be
			       * unsanitized calls (tests/fuzz covers that).
			       */
			      below(8) ? (u32)&ml[start] : unreadable_pointer(),
			      count, 0, 0, 0));
}

/* ---- structured categories (counted apart) ------------------------------ */

enum { CAT_PLAIN, CAT_MULTICALL, CAT_CONSOLE, CAT_TRAPS, CAT_SELECTORS, CAT_MM,
	CAT_DESC, CAT_VCPU, NR_CATS };
static const char *const cat_name[NR_CATS] = {
	"plain", "multicall", "console", "traps/callbacks", "selectors", "mmu",
	"gdt/descriptors", "vcpu_op",
};

static u32 cat_count[NR_CATS], sel_faults, sel_loaded;

static void account_cat(u32 cat, long ret)
{
	cat_count[cat]++;
	account(ret);
}

/*
 * The fuzzer's own exception handlers: every vector 0..19 resumes at
 * trap_resume_any (the safe point of the operation under way), so a
 * faulting selector load or iret frame returns to C.  Vectors with an error
 * code that runtime.c has no stub for go through fuzz_stub_ec.
 */
void trap_record_c(u32 vec, u32 ec, u32 *frame);
extern u8 fuzz_stub_ec[], fuzz_failsafe[];
asm(".text\n"
    ".globl fuzz_stub_ec\n"
    "fuzz_stub_ec:\n"
    "	push %eax\n	push %ecx\n	push %edx\n"
    "	lea 12(%esp), %eax\n"
    "	push %eax\n	push $1\n	push $0x10e\n"
    "	cld\n	call trap_record_c\n	add $12, %esp\n"
    "	pop %edx\n	pop %ecx\n	pop %eax\n"
    "	add $4, %esp\n"
    "	jmp hypercall_page + 23 * 32\n"
    /*
     * Segment reloads on return failed: after a ring-1 stream, which may
     * load any selector, that ends the stream; otherwise it is a bug of the
     * fuzzer's, stop with a reason.
     */
    ".globl fuzz_failsafe\n"
    "fuzz_failsafe:\n"
    "	mov $0xE021, %eax\n	mov %eax, %ds\n	mov %eax, %es\n"
    "	cmpl $1, stream_ring\n	jne 1f\n"
    "	incl stream_failsafes\n	jmp stream_back\n"
    "1:	call fuzz_failsafe_c\n");

void fuzz_failsafe_c(void);
void fuzz_failsafe_c(void)
{
	printf("fuzz: failsafe callback: a segment reload failed on return\n");
	shutdown(SHUTDOWN_crash);
}

static struct xen_trap_info own_traps[21];

/*
 * Entry wrappers: ring-3 code (or a selector load) may leave DS/ES null or
 * odd, and the hypervisor, like Xen, does not reload them on a bounce; the
 * runtime's stubs store through DS first thing.
 */
extern u8 wrap_alt[], wrap_13[], wrap_14[], wrap_ec[], wrap_event[];
#define DS_WRAPPER(name, target)					\
	".globl " #name "\n" #name ":\n"				\
	"	push %eax\n	mov $0xE021, %eax\n"			\
	"	mov %eax, %ds\n	mov %eax, %es\n	pop %eax\n"	\
	"	jmp " #target "\n"
asm(".text\n"
    DS_WRAPPER(wrap_alt, trap_stub_alt)
    DS_WRAPPER(wrap_13, trap_stub_13)
    DS_WRAPPER(wrap_14, trap_stub_14)
    DS_WRAPPER(wrap_ec, fuzz_stub_ec)
    DS_WRAPPER(wrap_event, event_stub));

/* A fault with no safe point to resume at: stop with a reason, not a loop. */
static void stream_redirect(u32 *eip_word, u32 kind);
static volatile u32 stream_ring;

static void unexpected_trap(u32 vec, u32 *frame)
{
	if (stream_ring) {	/* from the stream: the EIP word follows an error code */
		u32 ec = vec == 13 || vec == 14 || vec == 0x10e;

		if ((frame[ec + 1] & 3) == stream_ring) {
			stream_redirect(frame + ec, 0);
			return;
		}
	}
	if (trap_resume_any)
		return;
	printf("fuzz: unexpected trap (vector 0x%x) at %x:%x, word0 %x\n", vec, frame[1],
	       frame[0], frame[0]);
	shutdown(SHUTDOWN_crash);
}

static void install_own_handlers(void)
{
	u32 v;

	for (v = 0; v < 20; v++) {
		u8 *stub = wrap_alt;

		if (v == 13)
			stub = wrap_13;
		else if (v == 14)
			stub = wrap_14;
		else if (v == 8 || v == 10 || v == 11 || v == 12 || v == 17)
			stub = wrap_ec;
		own_traps[v] = (struct xen_trap_info){ v, v == 3 || v == 4 ? 3 : 0,
						   FLAT_RING1_CS, (u32)stub };
	}
	own_traps[20] = (struct xen_trap_info){ 0, 0, 0, 0 };
	trap_hook = unexpected_trap;
	account(set_trap_table(own_traps));
	account(set_callbacks(FLAT_RING1_CS, wrap_event, FLAT_RING1_CS, fuzz_failsafe));
}

/* A random code selector/offset pair for trap tables and callbacks. */
static u32 random_cs(void)
{
	static const u16 cs[] = { FLAT_RING1_CS, FLAT_RING3_CS, 0xE008, 0xE010, 0, 0xE019 | 2 };

	return below(4) ? cs[below(ARRAY_SIZE(cs))] : rnd() & 0xFFFF;
}

/*
 * Random trap tables (vectors, DPLs, selectors, addresses anywhere) and
 * random callbacks; afterwards the fuzzer's own handlers are reinstalled,
 * which cover every vector it can raise.
 */
static void fuzz_traps(void)
{
	struct xen_trap_info *t = (struct xen_trap_info *)(scratch + below(64) * 64);
	struct xen_callback_register *cb = (struct xen_callback_register *)scratch_pointer();
	u32 i, n = below(16);

	for (i = 0; i < n; i++)
		t[i] = (struct xen_trap_info){ (u8)rnd(), (u8)rnd(), (u16)random_cs(),
					   below(2) ? random_arg() : hostile_pointer() };
	t[n] = (struct xen_trap_info){ 0, 0, 0, 0 };
	TRACE("T%u traps\n", total);
	switch (below(3)) {
	case 0:
		account_cat(CAT_TRAPS, set_trap_table(t));
		break;
	case 1:
		account_cat(CAT_TRAPS, raw_hypercall(__HYPERVISOR_set_callbacks, random_cs(),
						     random_arg(), random_cs(), random_arg(), 0));
		break;
	default:
		cb->type = below(4) ? below(8) : (u16)rnd();
		cb->flags = (u16)rnd();
		cb->cs = random_cs();
		cb->eip = random_arg();
		account_cat(CAT_TRAPS, callback_op(below(4) ? CALLBACKOP_register :
						   CALLBACKOP_unregister, cb));
		break;
	}
	install_own_handlers();
}

/*
 * Selector loads in ring 1: mov to ds/es/fs/gs/ss, a far jump and a
 * hardware iret frame with a random selector.  Each resumes at its label on
 * a fault (trap_resume_any); fuzz_sel_restore puts the flat selectors back
 * (no memory access happens between a load and the restore).
 */
u32 fuzz_sel_op(u32 kind, u32 sel, u32 eflags);
extern u8 fuzz_sel_done[], fuzz_sel_ok[];
asm(".text\n"
    ".globl fuzz_sel_op, fuzz_sel_ok\n"
    "fuzz_sel_op:\n"
    "	push %ebp\n	mov %esp, %ebp\n"
    "	mov 8(%ebp), %ecx\n	mov 12(%ebp), %eax\n	mov 16(%ebp), %edx\n"
    "	cmp $0, %ecx\n	jne 1f\n	mov %eax, %ds\n	jmp fuzz_sel_ok\n"
    "1:	cmp $1, %ecx\n	jne 1f\n	mov %eax, %es\n	jmp fuzz_sel_ok\n"
    "1:	cmp $2, %ecx\n	jne 1f\n	mov %eax, %fs\n	jmp fuzz_sel_ok\n"
    "1:	cmp $3, %ecx\n	jne 1f\n	mov %eax, %gs\n	jmp fuzz_sel_ok\n"
    "1:	cmp $4, %ecx\n	jne 1f\n	mov %eax, %ss\n	jmp fuzz_sel_ok\n"
    "1:	cmp $5, %ecx\n	jne 1f\n"
    "	push %eax\n	push $fuzz_sel_ok\n	ljmp *(%esp)\n"
    "1:	push %edx\n	push %eax\n	push $fuzz_sel_ok\n	iret\n"
    "fuzz_sel_ok:\n"
    "	mov $1, %ecx\n	jmp 2f\n"
    ".globl fuzz_sel_done\n"
    "fuzz_sel_done:\n"
    "	xor %ecx, %ecx\n"
    "2:	mov $0xE021, %eax\n	mov %eax, %ss\n	mov %eax, %ds\n	mov %eax, %es\n"
    "	xor %eax, %eax\n	mov %eax, %fs\n	mov %eax, %gs\n"
    "	mov %ebp, %esp\n	pop %ebp\n"
    "	cld\n	mov %ecx, %eax\n	ret\n");

static u32 random_selector(void)
{
	static const u16 flat[] = { FLAT_RING1_CS, FLAT_RING1_DS, FLAT_RING3_CS, FLAT_RING3_DS,
				    0xE008, 0xE010, 0xE000, 0xE038 };

	switch (below(5)) {
	case 0:
		return below(4);				/* null, any RPL */
	case 1:
		return (flat[below(ARRAY_SIZE(flat))] & ~3u) | below(4);
	case 2:
		return (below(32) << 3) | 4 | below(4);		/* the LDT */
	case 3:
		return 0xE000 + below(256);			/* Xen's reserved area */
	default:
		return rnd() & 0xFFFF;
	}
}

static void fuzz_selectors(void)
{
	u32 kind = below(7), sel = random_selector();
	/* iret: flags only (no TF, NT, IF games); CS RPL 3 would leave ring 1. */
	u32 eflags = 0x2 | (rnd() & 0xCD5);

	if (kind >= 5 && (sel & 3) == 3)
		sel &= ~1u;
	/*
	 * Far transfers only to Xen's reserved selectors (or null): a code
	 * segment in the fuzzed GDT/LDT may have any base, and running the
	 * fuzzer's code at another address would run random code.
	 */
	if (kind >= 5 && sel >= 4 && sel < 0xE000)
		sel |= 0xE000;
	/* Random calls may have cleared the table (set_trap_table(NULL) does). */
	account(set_trap_table(own_traps));
	TRACE("T%u sel %u %x %x\n", total, kind, sel, eflags);
	trap_resume_any = (u32)fuzz_sel_done;
	if (fuzz_sel_op(kind, sel, eflags))
		sel_loaded++;
	else
		sel_faults++;
	trap_resume_any = 0;
	cat_count[CAT_SELECTORS]++;
	total++;	/* a fault is a trip through the hypervisor */
}

/*
 * mmu_update / mmuext_op / update_va_mapping on a scratch tree: L2 slot 511
 * of the first GiB (MM_VA, never handed out as a pointer) points at an L1
 * the fuzzer owns; the frames it maps come from mm_pool (spare tables and
 * data pages nothing else uses), the fuzzer's own tables (writable mappings
 * of those must be refused) and frames past RAM.  The fuzzer's other L2
 * slots, its L3 and its code/stack are never the target of an update.
 */
#define MM_VA		0x3FE00000u
#define MM_SPARE	3
#define MM_DATA		8
static u8 mm_pool[1 + MM_SPARE + MM_DATA][PAGE_SIZE] __attribute__((aligned(4096)));
static u64 mm_l2_slot;		/* machine address of L2 entry 511 */
static u32 mm_boot_tables[8], nr_boot_tables, mm_ready;

static u32 mfn_to_pfn_slow(u32 mfn)
{
	const u32 *p2m = (const u32 *)start_info->mfn_list;
	u32 pfn;

	for (pfn = 0; pfn < start_info->nr_pages; pfn++)
		if (p2m[pfn] == mfn)
			return pfn;
	return ~0u;
}

static long mmu1(u64 ptr, u64 val)
{
	struct mmu_update req = { ptr, val };

	return mmu_update(&req, 1, NULL, DOMID_SELF);
}

static void mm_setup(void)
{
	const u64 *l3 = (const u64 *)start_info->pt_base;
	u32 l2mfn = (u32)((l3[0] & 0xFFFFFFFFF000ull) >> 12), pfn = mfn_to_pfn_slow(l2mfn), i;
	const u64 *l2;

	if (pfn == ~0u)
		return;
	l2 = (const u64 *)((u32)__virt_base + (pfn << 12));
	if (l2[511] & 1)
		return;		/* a guest of > 1 GiB: no scratch slot */
	mm_l2_slot = ((u64)l2mfn << 12) + 511 * 8;
	mm_boot_tables[nr_boot_tables++] = va_to_mfn(l3);
	mm_boot_tables[nr_boot_tables++] = l2mfn;
	for (i = 0; i < 512 && nr_boot_tables < ARRAY_SIZE(mm_boot_tables); i++)
		if (l2[i] & 1)
			mm_boot_tables[nr_boot_tables++] = (u32)((l2[i] & 0xFFFFFFFFF000ull) >> 12);
	/* The scratch L1 and the spare tables: zeroed, then read-only. */
	for (i = 0; i <= MM_SPARE; i++)
		if (update_va_mapping((u32)mm_pool[i], ((u64)va_to_mfn(mm_pool[i]) << 12) | 0x21,
				      UVMF_INVLPG))
			return;
	mm_ready = mmu1(mm_l2_slot, ((u64)va_to_mfn(mm_pool[0]) << 12) | 0x27) == 0;
}

static u32 mm_frame(void)
{
	switch (below(6)) {
	case 0:
		return va_to_mfn(mm_pool[below(1 + MM_SPARE)]);
	case 1:
		return mm_boot_tables[below(nr_boot_tables)];
	case 2:
		return start_info->nr_pages + below(1u << 16);	/* past RAM */
	case 3:
		return rnd();
	default:
		return va_to_mfn(mm_pool[1 + MM_SPARE + below(MM_DATA)]);
	}
}

/* A frame the fuzzer may write tables into: the scratch L1, spares, data. */
static u32 mm_pool_frame(void)
{
	return va_to_mfn(mm_pool[below(ARRAY_SIZE(mm_pool))]);
}

/*
 * On an L1TF-affected host a not-present entry whose address is neither 0
 * nor above the L1D's safe boundary crashes the guest (XSA-273; harden.elf
 * mode=l1tf tests that), which would end the run: not-present entries get
 * address 0 or all ones, and no PSE.
 */
static u64 l1tf_safe(u64 e)
{
	if (e & 1)
		return e;
	e &= ~(PTE_ADDR_BITS | PTE_PSE);
	return below(2) ? e : e | PTE_ADDR_BITS;
}

static u64 mm_pte(void)
{
	static const u32 flags[] = { 0x21, 0x23, 0x63, 0x67, 0x25, 0xA3, 0x1 };

	switch (below(8)) {
	case 0:
		return 0;
	case 1:
		return l1tf_safe(((u64)rnd() << 32) | rnd());
	case 2:
		return l1tf_safe(((u64)mm_frame() << 12) | (rnd() & 0xFFF) | ((u64)below(2) << 63));
	default:
		return ((u64)mm_frame() << 12) | flags[below(ARRAY_SIZE(flags))];
	}
}

static u64 mm_ptr(void)
{
	u32 r = below(8);

	if (r == 0)
		return mm_l2_slot | below(4);		/* the scratch slot, any type */
	if (r == 1)	/* a spare table or a data page, as if it were an L1 */
		return ((u64)mm_pool_frame() << 12) + below(512) * 8 + (below(8) ? 0 : below(4));
	return ((u64)va_to_mfn(mm_pool[0]) << 12) + below(512) * 8 +
	       (below(8) ? MMU_NORMAL_PT_UPDATE : below(4));
}

/*
 * What the scratch L2 slot may hold: the pool's tables, nothing, or frames
 * past RAM.  Never one of the fuzzer's own L1s: update_va_mapping through
 * the slot would then rewrite the fuzzer's own mappings.
 */
static u64 mm_slot_value(void)
{
	switch (below(4)) {
	case 0:
		return 0;
	case 1:
		return ((u64)(start_info->nr_pages + below(1u << 16)) << 12) | 0x27;
	default:
		return ((u64)va_to_mfn(mm_pool[below(1 + MM_SPARE + MM_DATA)]) << 12) |
		       (below(4) ? 0x27 : 0x25 | (rnd() & 0xFC2));
	}
}

static void fuzz_mm(void)
{
	struct mmu_update *req = (struct mmu_update *)(scratch + 8192);
	struct mmuext_op *op = (struct mmuext_op *)(scratch + 16384);
	u32 i, n = 1 + below(8), *done = below(2) ? NULL : (u32 *)scratch_pointer();
	u32 flags;

	TRACE("T%u mm\n", total);
	switch (below(3)) {
	case 0:
		for (i = 0; i < n; i++) {
			req[i].ptr = mm_ptr();
			req[i].val = (req[i].ptr & ~7ull) == mm_l2_slot ? mm_slot_value() :
				     mm_pte();
		}
		for (i = 0; i < n; i++)
			TRACE(" req %x:%x %x:%x\n", (u32)(req[i].ptr >> 32), (u32)req[i].ptr,
			      (u32)(req[i].val >> 32), (u32)req[i].val);
		account_cat(CAT_MM, mmu_update(req, below(16) ? n : rnd(), done,
					       below(8) ? DOMID_SELF : random_arg()));
		break;
	case 1:
		flags = below(8);
		if (flags & 4 && below(2))	/* a vcpumask pointer */
			flags = (scratch_pointer() & ~7u) | (flags & 3);
		TRACE(" uvm flags %x\n", flags);
		account_cat(CAT_MM, update_va_mapping(MM_VA + below(512) * PAGE_SIZE +
						      (below(16) ? 0 : below(4096)),
						      mm_pte(), flags));
		break;
	default:
		for (i = 0; i < n; i++) {
			u32 cmd = below(22);

			if (cmd == MMUEXT_NEW_BASEPTR || cmd == MMUEXT_NEW_USER_BASEPTR)
				cmd = MMUEXT_TLB_FLUSH_LOCAL;	/* would leave our tables */
			op[i].cmd = cmd;
			op[i].arg1 = mm_frame();
			if (cmd == MMUEXT_UNPIN_TABLE && below(2))
				op[i].arg1 = va_to_mfn(mm_pool[below(1 + MM_SPARE)]);
			if (cmd == MMUEXT_UNPIN_TABLE && op[i].arg1 == mm_boot_tables[0])
				op[i].arg1 = 0;		/* the running L3's pin stays */
			if (cmd == MMUEXT_INVLPG_LOCAL || cmd == MMUEXT_INVLPG_ALL ||
			    cmd == MMUEXT_SET_LDT || cmd == MMUEXT_INVLPG_MULTI)
				op[i].arg1 = below(2) ? MM_VA + below(512) * PAGE_SIZE :
					     random_arg();
			op[i].arg2 = below(2) ? mm_frame() : (cmd == MMUEXT_SET_LDT ?
				     below(9000) : scratch_pointer());
		}
		for (i = 0; i < n; i++)
			TRACE(" ext %u %x %x\n", op[i].cmd, op[i].arg1, op[i].arg2);
		account_cat(CAT_MM, mmuext_op(op, below(16) ? n : rnd(), done,
					      below(8) ? DOMID_SELF : random_arg()));
		break;
	}
}

/* set_gdt from the fuzzer's pool and tables; update_descriptor of all kinds. */
static void fuzz_desc(void)
{
	static const u64 descs[] = {
		0, 0x00CFBA000000FFFFull,		/* code, DPL 1 */
		0x00CF9A000000FFFFull,			/* code, DPL 0 */
		0x00AFBA000000FFFFull,			/* 64-bit code */
		0,	/* call gate, DPL 3, to fuzz_sel_ok in ring 1: set below */
		0x0000EC00E0080000ull,			/* call gate to Xen's CS */
		0x00008900000000FFull,			/* TSS */
		0x00008200000000FFull,			/* LDT */
		0x00CFF2000000FFFFull,			/* data, DPL 3 */
		0x00CFB6000000FFFFull,			/* expand-down data, DPL 1 */
	};
	u32 *frames = (u32 *)(scratch + 24576), i, ok = (u32)fuzz_sel_ok;
	u64 gate = ((u64)((ok & 0xFFFF0000u) | 0xEC00) << 32) | FLAT_RING1_CS << 16 | (ok & 0xFFFF);

	TRACE("T%u desc\n", total);
	if (below(4) == 0) {
		for (i = 0; i < 16; i++)
			frames[i] = mm_frame();
		account_cat(CAT_DESC, hypercall(__HYPERVISOR_set_gdt, frames,
						below(4) ? below(16 * 512 + 64) : rnd(), 0, 0, 0));
	} else {
		u64 ma = ((u64)mm_frame() << 12) + (below(8) ? below(512) * 8 : below(4096));
		u64 d = below(4) ? descs[below(ARRAY_SIZE(descs))] : ((u64)rnd() << 32 | rnd());

		if (d == 0 && below(2))
			d = gate;

		account_cat(CAT_DESC, hypercall(__HYPERVISOR_update_descriptor, (u32)ma,
						(u32)(ma >> 32), (u32)d, (u32)(d >> 32), 0));
	}
}

/* vcpu_op on vCPU 0 (never down) and on vCPUs that do not exist. */
static void fuzz_vcpu(void)
{
	u32 cmd = below(12), vcpu = below(4) ? 0 : below(64);

	TRACE("T%u vcpu %u %u\n", total, cmd, vcpu);
	if (cmd == VCPUOP_down && vcpu == 0)
		cmd = VCPUOP_is_up;
	if (cmd == 10)		/* register_vcpu_info would move our vcpu_info */
		cmd = VCPUOP_get_runstate_info;
	account_cat(CAT_VCPU, vcpu_op(cmd, vcpu, below(8) ? (void *)scratch_pointer() :
				      (void *)hostile_pointer()));
}

/*
 * Random instruction streams.  Ring 3: a user page of seeded random bytes
 * entered with a hardware iret, events unmasked.  Ring 1 (r1=<n>): the same
 * page, sprinkled with the instructions a PV hypervisor must handle (int
 * $0x82 with a real hypercall number, iret, privileged and I/O
 * instructions, segment loads, int $n), entered with a jump, random
 * registers and the stack in a page with unmapped guards.  Every exception
 * from the stream (and the 10 ms periodic timer's event, which bounds
 * loops) ends it: the handler returns to stream_back in ring 1, which
 * restores the fuzzer's stack.  Ring-1 code can do what the guest kernel
 * can, so it may end or crash the guest; the harness runs many seeds.
 */
static u8 stream_code[PAGE_SIZE] __attribute__((aligned(4096)));
static u8 r3_stack[PAGE_SIZE] __attribute__((aligned(4096)));
static u8 r3_kstack[8192] __attribute__((aligned(16)));
/* Ring 1's stack is the middle page; the pages around it are unmapped. */
static u8 r1_stack[3][PAGE_SIZE] __attribute__((aligned(4096)));
static volatile u32 stream_saved_esp, stream_ends[2], stream_timer_port;
volatile u32 stream_failsafes;
/* What r1_enter loads: eax ebx ecx edx esi edi ebp esp eip. */
volatile u32 r1_regs[9];

void r3_enter(u32 eip, u32 esp);
void r1_enter(void);
extern u8 stream_back[];
asm(".text\n"
    ".globl r3_enter, r1_enter, stream_back\n"
    "r3_enter:\n"
    "	push %ebp\n	push %ebx\n	push %esi\n	push %edi\n"
    "	mov %esp, stream_saved_esp\n"
    "	mov 20(%esp), %eax\n	mov 24(%esp), %ecx\n"
    "	push $0xE033\n	push %ecx\n	push $0x202\n	push $0xE02B\n	push %eax\n"
    "	mov $0xE033, %eax\n	mov %eax, %ds\n	mov %eax, %es\n"
    "	xor %eax, %eax\n	xor %ebx, %ebx\n	xor %ecx, %ecx\n	xor %edx, %edx\n"
    "	xor %esi, %esi\n	xor %edi, %edi\n	xor %ebp, %ebp\n"
    "	iret\n"
    "r1_enter:\n"
    "	push %ebp\n	push %ebx\n	push %esi\n	push %edi\n"
    "	mov %esp, stream_saved_esp\n"
    "	mov r1_regs + 28, %esp\n"
    "	mov r1_regs + 4, %ebx\n	mov r1_regs + 8, %ecx\n	mov r1_regs + 12, %edx\n"
    "	mov r1_regs + 16, %esi\n	mov r1_regs + 20, %edi\n	mov r1_regs + 24, %ebp\n"
    "	mov r1_regs, %eax\n"
    "	jmp *r1_regs + 32\n"
    "stream_back:\n"
    "	mov $0xE021, %eax\n	mov %eax, %ds\n	mov %eax, %es\n	mov %eax, %ss\n"
    "	mov stream_saved_esp, %esp\n"
    "	xor %eax, %eax\n	mov %eax, %fs\n	mov %eax, %gs\n"
    "	cld\n"
    "	pop %edi\n	pop %esi\n	pop %ebx\n	pop %ebp\n"
    "	ret\n");

/*
 * The frame of a trap or event from the stream: back to stream_back in
 * ring 1, masked, and with the flags the stream may have set (TF, NT, AC,
 * DF) cleared.
 */
static void stream_redirect(u32 *eip_word, u32 kind)
{
	eip_word[0] = (u32)stream_back;
	eip_word[1] = FLAT_RING1_CS;
	eip_word[2] = 0x2;		/* IF clear: events masked again */
	stream_ends[kind]++;
}

static void stream_event(u32 *frame)
{
	vcpu0->evtchn_upcall_pending = 0;
	vcpu0->evtchn_pending_sel = 0;
	clear_bit(shared_info->evtchn_pending, stream_timer_port);
	if (stream_ring && (frame[1] & 3) == stream_ring)
		stream_redirect(frame, 1);
}

static int is_timer_port(u32 port)
{
	struct evtchn_status st;

	return evtchn_status_of(port, &st) == 0 && st.status == EVTCHNSTAT_virq &&
	       st.u.virq == VIRQ_TIMER;
}

/*
 * Bind the timer's VIRQ, again if a ring-1 stream closed our port; if the
 * stream bound the VIRQ to a port of its own, use that one.
 */
static int stream_timer_bound(void)
{
	u32 port;

	if (stream_timer_port && is_timer_port(stream_timer_port))
		return 1;
	if (evtchn_bind_virq(VIRQ_TIMER, 0, (u32 *)&stream_timer_port) == 0)
		return 1;
	for (port = 1; port < XEN_NR_EVTCHN_PORTS; port++) {
		if (is_timer_port(port)) {
			stream_timer_port = port;
			return 1;
		}
	}
	return 0;
}

/* Ring 3 runs the stream page as user code, ring 1 as supervisor code. */
static int streams_set_up(u32 ring)
{
	int ok = 1;

	ok &= update_va_mapping((u32)stream_code, ((u64)va_to_mfn(stream_code) << 12) |
				(ring == 3 ? 0x67 : 0x63), UVMF_INVLPG) == 0;
	ok &= update_va_mapping((u32)r3_stack, ((u64)va_to_mfn(r3_stack) << 12) | 0x67,
				UVMF_INVLPG) == 0;
	ok &= update_va_mapping((u32)r1_stack[0], 0, UVMF_INVLPG) == 0;
	ok &= update_va_mapping((u32)r1_stack[2], 0, UVMF_INVLPG) == 0;
	ok &= stack_switch(FLAT_RING1_SS, (u32)r3_kstack + sizeof(r3_kstack)) == 0;
	ok &= stream_timer_bound();
	event_hook = stream_event;
	return ok;
}

/* Instructions a PV hypervisor traps or emulates, for the ring-1 streams. */
static const u8 r1_insns[][4] = {
	{ 1, 0xcf },			/* iret */
	{ 1, 0xcb },			/* lret */
	{ 1, 0xf4 },			/* hlt */
	{ 1, 0xfa },			/* cli */
	{ 1, 0xfb },			/* sti */
	{ 1, 0x9d },			/* popf */
	{ 1, 0xec },			/* in (%dx), %al */
	{ 1, 0xef },			/* out %eax, (%dx) */
	{ 1, 0x6c },			/* insb */
	{ 2, 0xf3, 0x6f },		/* rep outsl */
	{ 2, 0xe4, 0x80 },		/* in $0x80, %al */
	{ 3, 0x0f, 0x22, 0xd8 },	/* mov %eax, %cr3 */
	{ 3, 0x0f, 0x22, 0xc0 },	/* mov %eax, %cr0 */
	{ 3, 0x0f, 0x22, 0xe0 },	/* mov %eax, %cr4 */
	{ 3, 0x0f, 0x20, 0xd0 },	/* mov %cr2, %eax */
	{ 3, 0x0f, 0x23, 0xf8 },	/* mov %eax, %dr7 */
	{ 3, 0x0f, 0x21, 0xf0 },	/* mov %dr6, %eax */
	{ 2, 0x0f, 0x06 },		/* clts */
	{ 2, 0x0f, 0x09 },		/* wbinvd */
	{ 2, 0x0f, 0x08 },		/* invd */
	{ 2, 0x0f, 0x30 },		/* wrmsr */
	{ 2, 0x0f, 0x32 },		/* rdmsr */
	{ 2, 0x0f, 0x31 },		/* rdtsc */
	{ 2, 0x0f, 0x33 },		/* rdpmc */
	{ 2, 0x0f, 0xa2 },		/* cpuid */
	{ 2, 0x0f, 0x34 },		/* sysenter */
	{ 2, 0x0f, 0x05 },		/* syscall */
	{ 3, 0x0f, 0x01, 0x10 },	/* lgdt (%eax) */
	{ 3, 0x0f, 0x01, 0x18 },	/* lidt (%eax) */
	{ 3, 0x0f, 0x01, 0x38 },	/* invlpg (%eax) */
	{ 3, 0x0f, 0x00, 0xd0 },	/* lldt %ax */
	{ 3, 0x0f, 0x00, 0xd8 },	/* ltr %ax */
	{ 3, 0x0f, 0x01, 0xf0 },	/* lmsw %ax */
	{ 2, 0x8e, 0xd8 },		/* mov %eax, %ds */
	{ 2, 0x8e, 0xe0 },		/* mov %eax, %fs */
	{ 2, 0x8e, 0xd0 },		/* mov %eax, %ss */
	{ 1, 0xcc },			/* int3 */
	{ 1, 0xce },			/* into */
	{ 2, 0x0f, 0x0b },		/* ud2 */
};

/*
 * Put a ring-1 instruction at p (at most 12 bytes): one from r1_insns, a
 * hypercall with a real number and random arguments, or an int $n, after a
 * mov of a random value to %eax (the port, MSR index, selector or CR value).
 */
static void r1_sprinkle(u8 *p)
{
	u32 k = below(ARRAY_SIZE(r1_insns) + 6), v = rnd();

	*p++ = 0xb8;				/* mov $v, %eax */
	if (k >= ARRAY_SIZE(r1_insns) + 2) {	/* a hypercall */
		v = below(48);
		memcpy(p, &v, 4);
		p += 4;
		*p++ = 0xbb;			/* mov $arg, %ebx */
		v = random_arg();
		memcpy(p, &v, 4);
		p += 4;
		*p++ = 0xcd;
		*p = 0x82;
		return;
	}
	switch (below(4)) {
	case 0:
		v = below(0x10000);		/* a port, MSR index or selector */
		break;
	case 1:
		v = 0xE000 + below(0x40);	/* near the flat selectors */
		break;
	default:
		break;
	}
	memcpy(p, &v, 4);
	p += 4;
	if (k >= ARRAY_SIZE(r1_insns)) {	/* int $n */
		*p++ = 0xcd;
		*p = (u8)rnd();
		return;
	}
	memcpy(p, &r1_insns[k][1], r1_insns[k][0]);
}

/* One stream in ring `ring`; returns 0 if the set-up it needs is gone. */
static int stream_one(u32 ring)
{
	u32 j, eip = (u32)stream_code + below(PAGE_SIZE - 16);

	for (j = 0; j < PAGE_SIZE; j++)
		stream_code[j] = (u8)rnd();
	if (ring == 1) {
		for (j = below(16); j; j--)
			r1_sprinkle(stream_code + eip - (u32)stream_code +
				    below((u32)stream_code + PAGE_SIZE - 16 - eip));
		for (j = 0; j < 7; j++)
			r1_regs[j] = below(2) ? 0 : below(2) ? random_arg() : rnd();
		r1_regs[7] = (u32)r1_stack[2] - 4 * below(256);
		if (below(4))	/* a frame pointer, so `leave` keeps the stack */
			r1_regs[6] = r1_regs[7] - 4 * below(64);
		r1_regs[8] = eip;
	}
	if (tracing)
		printf("S%u eip %x: %x %x %x %x\n", ring, eip,
		       ((u32 *)eip)[0], ((u32 *)eip)[1], ((u32 *)eip)[2], ((u32 *)eip)[3]);
	stream_ring = ring;
	trap_resume_any = (u32)stream_back;
	set_upcall_mask(0);
	if (ring == 3)
		r3_enter(eip, (u32)r3_stack + PAGE_SIZE - 4 * below(64));
	else
		r1_enter();
	set_upcall_mask(1);
	trap_resume_any = 0;
	stream_ring = 0;
	total++;
	if (ring == 3)
		return 1;
	/* The stream may have replaced our handlers or closed the timer. */
	install_own_handlers();
	return stream_timer_bound();
}

/* console_io with huge, wrapping and page-crossing lengths. */
static void fuzz_console(void)
{
	u32 len, p = hostile_pointer();

	switch (below(4)) {
	case 0:
		len = 0u - below(4096);
		break;
	case 1:
		len = rnd();
		break;
	default:
		len = below(64);
		break;
	}
	/* From scratch: a page-crossing few bytes; else anything from hostile. */
	if (below(4))
		account(raw_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write,
				      console_len(p, len), p, 0, 0));
	else
		account(raw_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write,
				      len & 15, printable_pointer(), 0, 0));
}

/*
 * r1=<n>: only ring-1 streams, which may end the guest any way; a
 * progress line every 32 streams tells the harness how far it got.
 */
static void ring1_streams(u32 seed, u32 nr)
{
	u32 i, ok;

	test_plan(2);
	ok = streams_set_up(1);
	CHECK(ok, "fuzz_ring1_streams_set_up");
	printf("fuzz: seed %u, %u ring-1 random instruction streams\n", seed, nr);
	for (i = 0; i < nr && ok; i++) {
		ok = stream_one(1);
		if (i % 32 == 31)
			printf("fuzz: ring-1 streams run: %u\n", i + 1);
	}
	printf("fuzz: %u ring-1 streams: %u ended by a trap, %u by the timer, %u by the failsafe callback\n",
	       i, stream_ends[0], stream_ends[1], stream_failsafes);
	CHECK_EQ(i, nr, "fuzz_ring1_streams_ran");
	test_done();
}

void test_main(void)
{
	u32 seed = cmdline_uint(start_info->cmd_line, "seed", 1);
	u32 n = cmdline_uint(start_info->cmd_line, "n", 100000);
	u32 trace_from = cmdline_uint(start_info->cmd_line, "trace", ~0u);
	u32 r1 = cmdline_uint(start_info->cmd_line, "r1", 0);
	u32 step = n / 10 ? n / 10 : 1, next = step, i, r3, ok;
	u64 t0;

	/* now_ns() reads shared_info; page 0 may be unmapped by the fuzzing. */
	map_shared_info();
	t0 = now_ns();

	rng_state = seed;
	memset(printable, '.', sizeof(printable));
	printable[PAGE_SIZE - 1] = '\n';
	tracing = trace_from == 0;
	if (r1) {
		install_own_handlers();
		ring1_streams(seed, r1);
		return;
	}
	test_plan(5);
	/* The guard page after the multicall lists (ours: a legitimate unmap). */
	CHECK_EQ(update_va_mapping((u32)mlarea.guard, 0, UVMF_INVLPG), 0, "fuzz_guard_unmapped");
	mm_setup();
	CHECK(mm_ready, "fuzz_scratch_page_table_tree");
	install_own_handlers();
	r3 = cmdline_uint(start_info->cmd_line, "r3", n / 100);
	ok = streams_set_up(3);
	for (i = 0; i < r3 && ok; i++)
		ok = stream_one(3);
	CHECK(ok, "fuzz_ring3_streams_set_up");
	printf("fuzz: %u ring-3 random instruction streams: %u ended by a trap, %u by the timer\n",
	       r3, stream_ends[0], stream_ends[1]);
	printf("fuzz: seed %u, %u hypercalls\n", seed, n);
	while (total < n) {
		switch (below(48)) {
		case 0:
			fuzz_multicall();
			cat_count[CAT_MULTICALL]++;
			break;
		case 1:
			fuzz_console();
			cat_count[CAT_CONSOLE]++;
			break;
		case 2:
			fill_scratch();
			break;
		case 3:
			fuzz_traps();
			break;
		case 4:
		case 5:
		case 6:
			fuzz_selectors();
			break;
		case 7:
		case 8:
		case 9:
		case 10:
			if (mm_ready)
				fuzz_mm();
			break;
		case 11:
		case 12:
			if (mm_ready)
				fuzz_desc();
			break;
		case 13:
			fuzz_vcpu();
			break;
		default:
			fuzz_one_hypercall();
			cat_count[CAT_PLAIN]++;
			break;
		}
		if (total >= trace_from)
			tracing = 1;
		if (total >= next) {
			printf("fuzz: %u hypercalls\n", total);
			next += step;
		}
	}
	printf("fuzz: %u hypercalls (%u multicall entries) in %u ms: %u returned 0, %u -EFAULT, %u -EINVAL/-ENOSYS, %u other\n",
	       total, mc_entries, (u32)div64(now_ns() - t0, 1000000), counts[0], counts[1],
	       counts[2], counts[3]);
	for (i = 0; i < NR_CATS; i++)
		printf("fuzz:   %s %u\n", cat_name[i], cat_count[i]);
	printf("fuzz:   selector loads: %u faulted and resumed, %u loaded\n",
	       sel_faults, sel_loaded);
	CHECK(total >= n, "fuzz_ran_all_hypercalls");
	/* Still in ring 1 with the flat selectors: nothing took the fuzzer over. */
	CHECK_EQ(read_cs(), FLAT_RING1_CS, "fuzz_still_ring1");
	test_done();
}
