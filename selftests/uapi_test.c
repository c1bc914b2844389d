// SPDX-License-Identifier: GPL-2.0
/*
 * uapi_test: the /dev/pvmx, VM fd and vCPU fd ioctls, raw (no libpvmx), each
 * subtest asserting the exact errno the module returns.  KTAP output; every
 * subtest runs in its own process with a time limit.
 *
 *   uapi_test [NAME...]          run all subtests (or the named ones)
 *   uapi_test --list             print the subtest names, one a line
 *   uapi_test --hold-vm SECONDS  create a VM (memory, boot info, vCPU), print
 *                                "holding vm" and sleep (rmmod-refused test)
 *   uapi_test --exec-sigdfl CMD [ARG...]
 *                                exec CMD with SIGINT/SIGQUIT/SIGTERM reset to
 *                                default (a non-interactive sh starts background
 *                                jobs with SIGINT ignored)
 *
 * Exit: 0 all passed (or skipped), 1 something failed, 4 everything skipped
 * (no /dev/pvmx and no VMX).  PVMX_DEVICE overrides /dev/pvmx.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/pvmx.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

#define TEST_TIMEOUT	300	/* seconds per subtest (Bochs is slow) */

/* Guest-physical layout of the hand-built test guest (identity p2m, VA = GPA). */
#define RAM_SIZE	(8ULL << 20)
#define GPA_L3		0x1000ULL
#define GPA_L2_0	0x2000ULL
#define GPA_L2_3	0x3000ULL
#define GPA_L1		0x4000ULL
#define GPA_HCALL	0x5000ULL
#define GPA_SI		0x6000ULL
#define GPA_STACK_TOP	0x8000ULL	/* stack page 0x7000 */
#define GPA_CON		0x8000ULL
#define GPA_STORE	0x9000ULL
#define GPA_L3_BAD	0xA000ULL	/* an L3 whose slot 3 is not present */
#define GPA_CODE	0x10000ULL
#define GPA_DATA	0x11000ULL

#define PTE_P		0x1ULL
#define PTE_RW		0x2ULL
#define PTE_US		0x4ULL
#define PTE_A		0x20ULL
#define PTE_D		0x40ULL

#define SEL_R1_CS	0xE019
#define SEL_R1_DS	0xE021
#define SEL_R3_CS	0xE02B
#define SEL_R3_DS	0xE033

static const char *dev_path = "/dev/pvmx";
static int failed;	/* in the subtest's process */
struct ctx;
/* Called by setup() just before PVMX_SET_BOOT_INFO (to prepare guest RAM). */
static void (*pre_boot_hook)(struct ctx *c);

#define diag(fmt, ...)	printf("# " fmt "\n", ##__VA_ARGS__)

#define FAILED(fmt, ...) do {						\
	diag("%s:%d: " fmt, __func__, __LINE__, ##__VA_ARGS__);		\
	failed = 1;							\
} while (0)

#define ASSERT(cond) do {						\
	if (!(cond)) {							\
		diag("%s:%d: assertion failed: %s (errno %d %s)",	\
		     __func__, __LINE__, #cond, errno, strerror(errno));\
		exit(KSFT_FAIL);					\
	}								\
} while (0)

#define EXPECT(cond) do {						\
	if (!(cond))							\
		FAILED("expected %s", #cond);				\
} while (0)

#define EXPECT_EQ(got, want) do {					\
	unsigned long long g_ = (unsigned long long)(got);		\
	unsigned long long w_ = (unsigned long long)(want);		\
	if (g_ != w_)							\
		FAILED("%s = %llu (0x%llx), want %llu (0x%llx)",	\
		       #got, g_, g_, w_, w_);				\
} while (0)

/* The call must fail with exactly errno err. */
#define EXPECT_ERRNO(call, err) do {					\
	long r_;							\
	int e_;								\
	errno = 0;							\
	r_ = (long)(call);						\
	e_ = errno;							\
	if (r_ != -1 || e_ != (err))					\
		FAILED("%s: got %ld errno %d (%s), want -1 errno %s",	\
		       #call, r_, e_, strerror(e_), #err);		\
	if (r_ >= 0 && r_ < 1024 && r_ > 2)				\
		close((int)r_);	/* an fd we did not want */		\
} while (0)

static long expect_ok(long r, const char *call, const char *func, int line)
{
	if (r < 0) {
		diag("%s:%d: %s: got %ld errno %d (%s), want success",
		     func, line, call, r, errno, strerror(errno));
		failed = 1;
	}
	return r;
}
#define EXPECT_OK(call) (errno = 0, expect_ok((long)(call), #call, __func__, __LINE__))

/* ---- fixture ----------------------------------------------------------- */

struct ctx {
	int dev, vm, vcpu;
	uint8_t *ram;
	uint64_t size;
	uint64_t shared_info_gpa;
	uint32_t *p2m;
	struct pvmx_boot_info bi;
	struct pvmx_regs regs;
	struct pvmx_run *run;
};

enum stage { ST_DEV, ST_VM, ST_MEM, ST_BOOT, ST_VCPU, ST_REGS };

static void *bad_ptr(void)
{
	/* A page that is never accessible. */
	static void *p;

	if (!p) {
		p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT(p != MAP_FAILED);
	}
	return p;
}

static int open_dev(void)
{
	int fd = open(dev_path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		diag("open %s: %s", dev_path, strerror(errno));
		exit(KSFT_FAIL);
	}
	return fd;
}

static void put64(uint8_t *ram, uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

/*
 * Page tables: L3[0] -> L2_0 -> L1 mapping 0..2 MiB (not page 0; the
 * page-table pages read-only), L3[3] -> an empty L2 (entries 428..511 are
 * the hypervisor's).  L3 entries (frame << 12) | P.
 */
static void build_pagetables(uint8_t *ram)
{
	uint64_t i;

	put64(ram, GPA_L3 + 0 * 8, GPA_L2_0 | PTE_P);
	put64(ram, GPA_L3 + 3 * 8, GPA_L2_3 | PTE_P);
	put64(ram, GPA_L2_0, GPA_L1 | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
	for (i = 1; i < 512; i++) {
		uint64_t pa = i << 12, pte = pa | PTE_P | PTE_RW | PTE_A | PTE_D;

		if (pa == GPA_L3 || pa == GPA_L2_0 || pa == GPA_L2_3 || pa == GPA_L1 ||
		    pa == GPA_L3_BAD)
			pte &= ~PTE_RW;
		put64(ram, GPA_L1 + i * 8, pte);
	}
	/* A second L3 with slot 3 missing. */
	put64(ram, GPA_L3_BAD + 0 * 8, GPA_L2_0 | PTE_P);
	/* start_info magic and size, for good measure. */
	memcpy(ram + GPA_SI, "xen-3.0-x86_32p", 16);
}

static void default_boot_info(struct ctx *c)
{
	memset(&c->bi, 0, sizeof(c->bi));
	c->bi.hypercall_page_gpa = GPA_HCALL;
	c->bi.start_info_gpa = GPA_SI;
	c->bi.console_gpa = GPA_CON;
	c->bi.store_gpa = GPA_STORE;
	c->bi.p2m = (uintptr_t)c->p2m;
	c->bi.nr_pfns = c->size / PVMX_PAGE_SIZE;
	c->bi.console_evtchn = 1;
	c->bi.store_evtchn = 2;
	c->bi.domid = 1;
}

static void default_regs(struct ctx *c)
{
	memset(&c->regs, 0, sizeof(c->regs));
	c->regs.eip = GPA_CODE;
	c->regs.esp = GPA_STACK_TOP;
	c->regs.esi = GPA_SI;
	c->regs.eflags = 0x2;
	c->regs.cs = SEL_R1_CS;
	c->regs.ss = c->regs.ds = c->regs.es = c->regs.fs = c->regs.gs = SEL_R1_DS;
	c->regs.cr3 = GPA_L3;
	c->regs.kernel_ss = SEL_R1_DS;
	c->regs.kernel_sp = GPA_STACK_TOP;
}

static void set_memory(struct ctx *c, uint64_t size)
{
	struct pvmx_memory m = { .size = size };
	uint64_t i;

	ASSERT(ioctl(c->vm, PVMX_SET_MEMORY, &m) == 0);
	c->size = size;
	c->shared_info_gpa = m.shared_info_gpa;
	c->ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, c->vm, 0);
	ASSERT(c->ram != MAP_FAILED);
	c->p2m = calloc(size / PVMX_PAGE_SIZE, sizeof(uint32_t));
	ASSERT(c->p2m);
	for (i = 0; i < size / PVMX_PAGE_SIZE; i++)
		c->p2m[i] = i;
	build_pagetables(c->ram);
}

/* Bring a fresh VM up to the given stage with valid arguments. */
static void setup(struct ctx *c, enum stage st)
{
	memset(c, 0, sizeof(*c));
	c->vm = c->vcpu = -1;
	c->dev = open_dev();
	if (st == ST_DEV)
		return;
	c->vm = ioctl(c->dev, PVMX_CREATE_VM, 0);
	ASSERT(c->vm >= 0);
	if (st == ST_VM)
		return;
	set_memory(c, RAM_SIZE);
	default_boot_info(c);
	if (st == ST_MEM)
		return;
	if (pre_boot_hook)
		pre_boot_hook(c);
	ASSERT(ioctl(c->vm, PVMX_SET_BOOT_INFO, &c->bi) == 0);
	if (st == ST_BOOT)
		return;
	c->vcpu = ioctl(c->vm, PVMX_CREATE_VCPU, 0);
	ASSERT(c->vcpu >= 0);
	c->run = mmap(NULL, PVMX_RUN_MMAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, c->vcpu, 0);
	ASSERT(c->run != MAP_FAILED);
	default_regs(c);
	if (st == ST_VCPU)
		return;
	ASSERT(ioctl(c->vcpu, PVMX_SET_REGS, &c->regs) == 0);
}

/* ---- /dev/pvmx --------------------------------------------------------- */

static void t_api_version(void)
{
	int dev = open_dev();

	EXPECT_EQ(ioctl(dev, PVMX_GET_API_VERSION, 0), PVMX_API_VERSION);
}

static void t_check_cap(void)
{
	int dev = open_dev();

	EXPECT_EQ(ioctl(dev, PVMX_CHECK_CAP, PVMX_CAP_API_VERSION), 1);
	EXPECT_EQ(ioctl(dev, PVMX_CHECK_CAP, PVMX_CAP_MAX_VCPUS), 32);
	EXPECT_EQ(ioctl(dev, PVMX_CHECK_CAP, PVMX_CAP_RUN_MMAP_SIZE), 4096);
	EXPECT_EQ(ioctl(dev, PVMX_CHECK_CAP, PVMX_CAP_MAX_MEMORY_MB), PVMX_MAX_MEMORY >> 20);
	EXPECT_EQ(ioctl(dev, PVMX_CHECK_CAP, PVMX_CAP_CONSOLE_MAX), PVMX_CONSOLE_MAX);
	diag("PVMX_CAP_VPID = %d", ioctl(dev, PVMX_CHECK_CAP, PVMX_CAP_VPID));
}

static void t_check_cap_unknown(void)
{
	int dev = open_dev();

	EXPECT_EQ(ioctl(dev, PVMX_CHECK_CAP, 1000), 0);
	EXPECT_EQ(ioctl(dev, PVMX_CHECK_CAP, PVMX_CAP_NR), 0);
}

static void t_create_vm_flags(void)
{
	int dev = open_dev();

	EXPECT_ERRNO(ioctl(dev, PVMX_CREATE_VM, 1), EINVAL);
	EXPECT_ERRNO(ioctl(dev, PVMX_CREATE_VM, 0x80000000UL), EINVAL);
}

static void t_dev_unknown_ioctl(void)
{
	int dev = open_dev();
	struct pvmx_memory m = { .size = RAM_SIZE };

	EXPECT_ERRNO(ioctl(dev, _IO(PVMXIO, 0x7f), 0), ENOTTY);
	EXPECT_ERRNO(ioctl(dev, _IO(0xAE, 0x00), 0), ENOTTY);
	/* A VM ioctl on /dev/pvmx. */
	EXPECT_ERRNO(ioctl(dev, PVMX_SET_MEMORY, &m), ENOTTY);
}

static void t_vmx_info_efault(void)
{
	int dev = open_dev();

	EXPECT_ERRNO(ioctl(dev, PVMX_GET_VMX_INFO, bad_ptr()), EFAULT);
	EXPECT_ERRNO(ioctl(dev, PVMX_GET_VMX_INFO, NULL), EFAULT);
}

static void t_vmx_info(void)
{
	int dev = open_dev();
	struct pvmx_vmx_info vi;
	unsigned i;

	memset(&vi, 0xAA, sizeof(vi));
	EXPECT_OK(ioctl(dev, PVMX_GET_VMX_INFO, &vi));
	diag("vmx_basic 0x%llx revision 0x%x pinbased 0x%x procbased 0x%x/0x%x "
	     "exit 0x%x entry 0x%x ept_vpid 0x%llx cpus_on %u vms %u",
	     (unsigned long long)vi.vmx_basic, vi.vmcs_revision, vi.pinbased,
	     vi.procbased, vi.procbased2, vi.exit_ctls, vi.entry_ctls,
	     (unsigned long long)vi.ept_vpid_cap, vi.nr_cpus_vmx_on, vi.nr_vms);
	EXPECT_EQ(vi.vmcs_revision, vi.vmx_basic & 0x7fffffff);
	EXPECT(vi.vmcs_revision != 0);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(vi.reserved[i], 0);
}

/* ---- VM fd: memory ----------------------------------------------------- */

static void t_vm_unknown_ioctl(void)
{
	struct ctx c;

	setup(&c, ST_VM);
	EXPECT_ERRNO(ioctl(c.vm, _IO(PVMXIO, 0x7f), 0), ENOTTY);
	/* A vCPU ioctl on a VM fd. */
	EXPECT_ERRNO(ioctl(c.vm, PVMX_RUN, 0), ENOTTY);
}

static void t_set_memory_flags(void)
{
	struct ctx c;
	struct pvmx_memory m = { .size = RAM_SIZE, .flags = 1 };

	setup(&c, ST_VM);
	EXPECT_ERRNO(ioctl(c.vm, PVMX_SET_MEMORY, &m), EINVAL);
	m.flags = 1ULL << 63;
	EXPECT_ERRNO(ioctl(c.vm, PVMX_SET_MEMORY, &m), EINVAL);
}

static void t_set_memory_reserved(void)
{
	struct ctx c;
	struct pvmx_memory m = { .size = RAM_SIZE };
	unsigned i;

	setup(&c, ST_VM);
	for (i = 0; i < 5; i++) {
		memset(m.reserved, 0, sizeof(m.reserved));
		m.reserved[i] = 1;
		EXPECT_ERRNO(ioctl(c.vm, PVMX_SET_MEMORY, &m), EINVAL);
	}
}

static void t_set_memory_bad_size(void)
{
	static const uint64_t sizes[] = {
		0, 4096, RAM_SIZE + 100, RAM_SIZE + 2048, PVMX_MIN_MEMORY - 4096,
		PVMX_MAX_MEMORY + 4096, PVMX_MAX_MEMORY * 2, 1ULL << 40,
		~0ULL & ~0xfffULL,
	};
	struct ctx c;
	unsigned i;

	setup(&c, ST_VM);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct pvmx_memory m = { .size = sizes[i] };

		errno = 0;
		if (ioctl(c.vm, PVMX_SET_MEMORY, &m) != -1 || errno != EINVAL)
			FAILED("size 0x%llx: errno %d (%s), want EINVAL",
			       (unsigned long long)sizes[i], errno, strerror(errno));
	}
}

static void t_set_memory_min(void)
{
	struct ctx c;
	struct pvmx_memory m = { .size = PVMX_MIN_MEMORY };

	setup(&c, ST_VM);
	EXPECT_EQ(ioctl(c.vm, PVMX_SET_MEMORY, &m), 0);
	EXPECT_EQ(m.shared_info_gpa, PVMX_MIN_MEMORY);
}

static void t_set_memory_efault(void)
{
	struct ctx c;

	setup(&c, ST_VM);
	EXPECT_ERRNO(ioctl(c.vm, PVMX_SET_MEMORY, bad_ptr()), EFAULT);
	EXPECT_ERRNO(ioctl(c.vm, PVMX_SET_MEMORY, NULL), EFAULT);
}

static void t_set_memory(void)
{
	struct ctx c;
	struct pvmx_memory m = { .size = RAM_SIZE, .shared_info_gpa = 0x1234 };
	unsigned i;

	setup(&c, ST_VM);
	EXPECT_EQ(ioctl(c.vm, PVMX_SET_MEMORY, &m), 0);
	EXPECT_EQ(m.shared_info_gpa, RAM_SIZE);
	EXPECT_EQ(m.size, RAM_SIZE);
	EXPECT_EQ(m.flags, 0);
	for (i = 0; i < 5; i++)
		EXPECT_EQ(m.reserved[i], 0);
}

static void t_set_memory_twice(void)
{
	struct ctx c;
	struct pvmx_memory m = { .size = RAM_SIZE };

	setup(&c, ST_MEM);
	EXPECT_ERRNO(ioctl(c.vm, PVMX_SET_MEMORY, &m), EEXIST);
	m.size = 2 * RAM_SIZE;
	EXPECT_ERRNO(ioctl(c.vm, PVMX_SET_MEMORY, &m), EEXIST);
}

static void t_mmap_ram_beyond(void)
{
	struct ctx c;

	setup(&c, ST_MEM);
	EXPECT(mmap(NULL, RAM_SIZE + 4096, PROT_READ | PROT_WRITE, MAP_SHARED, c.vm, 0) == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
	EXPECT(mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, c.vm, 4096) == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
	EXPECT(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, c.vm, RAM_SIZE) == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
}

static void t_mmap_ram_private(void)
{
	struct ctx c;

	setup(&c, ST_MEM);
	EXPECT(mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, c.vm, 0) == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
}

static void t_mmap_ram_shared(void)
{
	struct ctx c;
	struct pvmx_memory m = { .size = RAM_SIZE };
	uint8_t *a, *b;
	uint64_t i;
	int nonzero = 0;

	setup(&c, ST_VM);
	ASSERT(ioctl(c.vm, PVMX_SET_MEMORY, &m) == 0);
	a = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, c.vm, 0);
	ASSERT(a != MAP_FAILED);
	for (i = 0; i < RAM_SIZE; i += 8)
		nonzero |= *(volatile uint64_t *)(a + i) != 0;
	EXPECT(!nonzero);
	for (i = 0; i < RAM_SIZE; i += 4096)
		*(volatile uint32_t *)(a + i + 12) = (uint32_t)i ^ 0x5a5a5a5a;
	/* A second mapping (of the tail only) sees the same memory. */
	b = mmap(NULL, 4096 * 2, PROT_READ, MAP_SHARED, c.vm, RAM_SIZE - 8192);
	ASSERT(b != MAP_FAILED);
	EXPECT_EQ(*(volatile uint32_t *)(b + 4096 + 12), (uint32_t)(RAM_SIZE - 4096) ^ 0x5a5a5a5a);
	munmap(b, 8192);
	for (i = 0; i < RAM_SIZE; i += 4096)
		if (*(volatile uint32_t *)(a + i + 12) != ((uint32_t)i ^ 0x5a5a5a5a))
			nonzero = 2;
	EXPECT(nonzero != 2);
}

/*
 * The grant frames: PVMX_GNTTAB_FRAMES (64, Xen's default max_grant_frames)
 * separate zeroed pages at PVMX_GNTTAB_MMAP_OFFSET, shared between mappings;
 * nothing past them, and nothing before the VM has memory.
 */
static void t_mmap_gnttab(void)
{
	const size_t len = PVMX_GNTTAB_FRAMES * 4096;
	const off_t off = (off_t)PVMX_GNTTAB_MMAP_OFFSET;
	struct ctx early, c;
	uint8_t *a, *b;
	size_t i;
	int bad = 0;

	EXPECT_EQ(PVMX_GNTTAB_FRAMES, 64);
	setup(&early, ST_VM);
	EXPECT(mmap(NULL, 4096, PROT_READ, MAP_SHARED, early.vm, off) == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
	setup(&c, ST_MEM);
	a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, c.vm, off);
	ASSERT(a != MAP_FAILED);
	for (i = 0; i < len; i += 8)
		bad |= *(volatile uint64_t *)(a + i) != 0;
	EXPECT(!bad);
	for (i = 0; i < PVMX_GNTTAB_FRAMES; i++)
		*(volatile uint32_t *)(a + i * 4096 + 8) = 0x6e740000 + (uint32_t)i;
	/* The last frame alone, mapped again: the same page. */
	b = mmap(NULL, 4096, PROT_READ, MAP_SHARED, c.vm, off + len - 4096);
	ASSERT(b != MAP_FAILED);
	EXPECT_EQ(*(volatile uint32_t *)(b + 8), 0x6e740000 + PVMX_GNTTAB_FRAMES - 1);
	munmap(b, 4096);
	for (i = 0; i < PVMX_GNTTAB_FRAMES; i++)
		bad |= *(volatile uint32_t *)(a + i * 4096 + 8) != 0x6e740000 + (uint32_t)i;
	EXPECT(!bad);
	munmap(a, len);
	/* One frame more, or a frame past the last: EINVAL. */
	EXPECT(mmap(NULL, len + 4096, PROT_READ, MAP_SHARED, c.vm, off) == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
	EXPECT(mmap(NULL, 4096, PROT_READ, MAP_SHARED, c.vm, off + len) == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
	EXPECT(mmap(NULL, 8192, PROT_READ, MAP_SHARED, c.vm, off + len - 4096) == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
	EXPECT(mmap(NULL, len, PROT_READ, MAP_PRIVATE, c.vm, off) == MAP_FAILED);
}

/* ---- VM fd: boot info -------------------------------------------------- */

/* PVMX_SET_BOOT_INFO with c->bi must fail with err; c->bi is reset afterwards. */
static void boot_info_fails(struct ctx *c, int err, const char *what)
{
	errno = 0;
	if (ioctl(c->vm, PVMX_SET_BOOT_INFO, &c->bi) != -1 || errno != err)
		FAILED("%s: errno %d (%s), want %s", what, errno, strerror(errno),
		       err == EINVAL ? "EINVAL" : err == EFAULT ? "EFAULT" : "?");
	default_boot_info(c);
}

static void t_boot_info_before_memory(void)
{
	struct ctx c;

	setup(&c, ST_VM);
	c.size = RAM_SIZE;
	c.p2m = calloc(RAM_SIZE / 4096, 4);
	default_boot_info(&c);
	boot_info_fails(&c, EINVAL, "before SET_MEMORY");
}

static void t_boot_info_flags_pad_reserved(void)
{
	struct ctx c;
	unsigned i;

	setup(&c, ST_MEM);
	c.bi.flags = 2;		/* 1 is PVMX_BOOT_FAST_INT80 */
	boot_info_fails(&c, EINVAL, "flags 2");
	c.bi.flags = 1ULL << 63;
	boot_info_fails(&c, EINVAL, "flags 1<<63");
	c.bi.pad = 1;
	boot_info_fails(&c, EINVAL, "pad 1");
	for (i = 0; i < 6; i++) {
		c.bi.reserved[i] = 1;
		boot_info_fails(&c, EINVAL, "reserved");
	}
	/* Still settable afterwards. */
	EXPECT_EQ(ioctl(c.vm, PVMX_SET_BOOT_INFO, &c.bi), 0);
}

/* PVMX_BOOT_FAST_INT80 (1) is the one known flag: accepted, alone and once. */
static void t_boot_info_fast_int80(void)
{
	struct ctx c;

	setup(&c, ST_MEM);
	EXPECT_EQ(PVMX_BOOT_FAST_INT80, 1);
	c.bi.flags = PVMX_BOOT_FAST_INT80 | 2;
	boot_info_fails(&c, EINVAL, "flags FAST_INT80|2");
	c.bi.flags = PVMX_BOOT_FAST_INT80;
	EXPECT_EQ(ioctl(c.vm, PVMX_SET_BOOT_INFO, &c.bi), 0);
	EXPECT_ERRNO(ioctl(c.vm, PVMX_SET_BOOT_INFO, &c.bi), EEXIST);
}

static void t_boot_info_start_info(void)
{
	struct ctx c;

	setup(&c, ST_MEM);
	c.bi.start_info_gpa = GPA_SI + 8;
	boot_info_fails(&c, EINVAL, "start_info unaligned");
	c.bi.start_info_gpa = GPA_SI + 2048;
	boot_info_fails(&c, EINVAL, "start_info half-page");
	c.bi.start_info_gpa = RAM_SIZE;
	boot_info_fails(&c, EINVAL, "start_info = RAM size (shared_info)");
	c.bi.start_info_gpa = RAM_SIZE + 0x100000;
	boot_info_fails(&c, EINVAL, "start_info beyond RAM");
	c.bi.start_info_gpa = PVMX_NO_PAGE;
	boot_info_fails(&c, EINVAL, "start_info PVMX_NO_PAGE");
	c.bi.start_info_gpa = 1ULL << 32;
	boot_info_fails(&c, EINVAL, "start_info 4 GiB");
}

static void t_boot_info_hypercall_page(void)
{
	struct ctx c;

	setup(&c, ST_MEM);
	c.bi.hypercall_page_gpa = RAM_SIZE;
	boot_info_fails(&c, EINVAL, "hypercall page = RAM size");
	c.bi.hypercall_page_gpa = RAM_SIZE + 0x10000;
	boot_info_fails(&c, EINVAL, "hypercall page beyond RAM");
	c.bi.hypercall_page_gpa = (1ULL << 32) + GPA_HCALL;
	boot_info_fails(&c, EINVAL, "hypercall page above 4 GiB");
	c.bi.console_gpa = RAM_SIZE + 0x10000;
	boot_info_fails(&c, EINVAL, "console page beyond RAM");
	c.bi.store_gpa = RAM_SIZE + 0x10000;
	boot_info_fails(&c, EINVAL, "store page beyond RAM");
}

static void t_boot_info_same_gpa(void)
{
	struct ctx c;

	setup(&c, ST_MEM);
	c.bi.hypercall_page_gpa = GPA_SI;
	boot_info_fails(&c, EINVAL, "hypercall page == start_info");
	c.bi.console_gpa = GPA_STORE;
	boot_info_fails(&c, EINVAL, "console == store");
	c.bi.console_gpa = GPA_SI;
	boot_info_fails(&c, EINVAL, "console == start_info");
	c.bi.store_gpa = GPA_HCALL;
	boot_info_fails(&c, EINVAL, "store == hypercall page");
}

static void t_boot_info_no_pages(void)
{
	struct ctx c;

	setup(&c, ST_MEM);
	c.bi.hypercall_page_gpa = PVMX_NO_PAGE;
	c.bi.console_gpa = PVMX_NO_PAGE;
	c.bi.store_gpa = PVMX_NO_PAGE;
	EXPECT_EQ(ioctl(c.vm, PVMX_SET_BOOT_INFO, &c.bi), 0);
}

static void t_boot_info_nr_pfns(void)
{
	struct ctx c;

	setup(&c, ST_MEM);
	c.bi.nr_pfns = RAM_SIZE / 4096 - 1;
	boot_info_fails(&c, EINVAL, "nr_pfns - 1");
	c.bi.nr_pfns = RAM_SIZE / 4096 + 1;
	boot_info_fails(&c, EINVAL, "nr_pfns + 1");
	c.bi.nr_pfns = 0;
	boot_info_fails(&c, EINVAL, "nr_pfns 0");
	c.bi.nr_pfns = 1ULL << 40;
	boot_info_fails(&c, EINVAL, "nr_pfns 1<<40");
}

static void t_boot_info_p2m_efault(void)
{
	struct ctx c;

	setup(&c, ST_MEM);
	c.bi.p2m = (uintptr_t)bad_ptr();
	boot_info_fails(&c, EFAULT, "p2m PROT_NONE");
	c.bi.p2m = 0;
	boot_info_fails(&c, EFAULT, "p2m NULL");
}

static void t_boot_info_p2m_bad_entry(void)
{
	struct ctx c;
	uint32_t nr = RAM_SIZE / 4096;

	setup(&c, ST_MEM);
	c.p2m[100] = nr;
	boot_info_fails(&c, EINVAL, "p2m entry == nr_pfns");
	c.p2m[100] = 100;
	c.p2m[nr - 1] = 0x7fffffff;
	boot_info_fails(&c, EINVAL, "p2m entry 0x7fffffff");
	c.p2m[nr - 1] = nr - 1;
	c.p2m[100] = 101;
	boot_info_fails(&c, EINVAL, "p2m duplicate entry");
	c.p2m[100] = 100;
	EXPECT_EQ(ioctl(c.vm, PVMX_SET_BOOT_INFO, &c.bi), 0);
}

static void t_boot_info_p2m_invalid_marker(void)
{
	struct ctx c;

	setup(&c, ST_MEM);
	c.p2m[100] = 0xFFFFFFFFu;	/* a pfn with no frame, as Xen's P2M has */
	EXPECT_EQ(ioctl(c.vm, PVMX_SET_BOOT_INFO, &c.bi), 0);
}

static void t_boot_info_domid(void)
{
	struct ctx c;

	setup(&c, ST_MEM);
	c.bi.domid = 0x7FF0;	/* DOMID_SELF */
	boot_info_fails(&c, EINVAL, "domid 0x7ff0");
	c.bi.domid = 0xFFFF;
	boot_info_fails(&c, EINVAL, "domid 0xffff");
	c.bi.domid = 0x10000;
	boot_info_fails(&c, EINVAL, "domid 0x10000");
	c.bi.domid = 0x7FEF;
	EXPECT_EQ(ioctl(c.vm, PVMX_SET_BOOT_INFO, &c.bi), 0);
}

static void t_boot_info(void)
{
	struct ctx c;

	setup(&c, ST_MEM);
	EXPECT_EQ(ioctl(c.vm, PVMX_SET_BOOT_INFO, &c.bi), 0);
	EXPECT_ERRNO(ioctl(c.vm, PVMX_SET_BOOT_INFO, &c.bi), EEXIST);
}

static void t_create_vcpu_before_boot_info(void)
{
	struct ctx c;

	setup(&c, ST_VM);
	EXPECT_ERRNO(ioctl(c.vm, PVMX_CREATE_VCPU, 0), EINVAL);
	setup(&c, ST_MEM);
	EXPECT_ERRNO(ioctl(c.vm, PVMX_CREATE_VCPU, 0), EINVAL);
}

static void t_create_vcpu_bad_id(void)
{
	struct ctx c;

	setup(&c, ST_BOOT);
	EXPECT_ERRNO(ioctl(c.vm, PVMX_CREATE_VCPU, PVMX_MAX_VCPUS), EINVAL);
	EXPECT_ERRNO(ioctl(c.vm, PVMX_CREATE_VCPU, 1000), EINVAL);
	EXPECT_ERRNO(ioctl(c.vm, PVMX_CREATE_VCPU, ~0UL), EINVAL);
}

static void t_create_vcpu(void)
{
	struct ctx c;
	int fd;

	setup(&c, ST_BOOT);
	fd = EXPECT_OK(ioctl(c.vm, PVMX_CREATE_VCPU, 0));
	EXPECT_ERRNO(ioctl(c.vm, PVMX_CREATE_VCPU, 0), EEXIST);
	if (fd >= 0)
		EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

/*
 * No fd left for the vCPU: EMFILE, and nothing of it stays behind (the
 * module allocates the fd before it publishes the vCPU to the VM's
 * lock-free readers), so the same id can be created once fds are back.
 */
static void t_create_vcpu_out_of_fds(void)
{
	struct rlimit old, lim;
	struct ctx c;
	int lowest;

	setup(&c, ST_BOOT);
	lowest = dup(0);
	ASSERT(lowest >= 0);
	close(lowest);
	ASSERT(getrlimit(RLIMIT_NOFILE, &old) == 0);
	lim = old;
	lim.rlim_cur = lowest;
	ASSERT(setrlimit(RLIMIT_NOFILE, &lim) == 0);
	EXPECT_ERRNO(ioctl(c.vm, PVMX_CREATE_VCPU, 0), EMFILE);
	ASSERT(setrlimit(RLIMIT_NOFILE, &old) == 0);
	EXPECT_OK(ioctl(c.vm, PVMX_CREATE_VCPU, 0));
	EXPECT_ERRNO(ioctl(c.vm, PVMX_CREATE_VCPU, 0), EEXIST);
}

/* ---- vCPU fd ----------------------------------------------------------- */

static void t_vcpu_unknown_ioctl(void)
{
	struct ctx c;
	struct pvmx_memory m = { .size = RAM_SIZE };

	setup(&c, ST_VCPU);
	EXPECT_ERRNO(ioctl(c.vcpu, _IO(PVMXIO, 0x7f), 0), ENOTTY);
	/* A VM ioctl on a vCPU fd. */
	EXPECT_ERRNO(ioctl(c.vcpu, PVMX_SET_MEMORY, &m), ENOTTY);
}

static void t_vcpu_mmap(void)
{
	struct ctx c;
	struct pvmx_run *r;

	setup(&c, ST_VCPU);
	r = mmap(NULL, PVMX_RUN_MMAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, c.vcpu, 0);
	ASSERT(r != MAP_FAILED);
	EXPECT_EQ(r->exit_reason, PVMX_EXIT_NONE);
	EXPECT_EQ(r->flags, 0);
	/* The same page as the fixture's mapping. */
	EXPECT(r->exits == c.run->exits);
}

static void t_vcpu_mmap_bad(void)
{
	struct ctx c;

	setup(&c, ST_VCPU);
	EXPECT(mmap(NULL, PVMX_RUN_MMAP_SIZE, PROT_READ, MAP_SHARED, c.vcpu, 4096) == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
	EXPECT(mmap(NULL, 2 * PVMX_RUN_MMAP_SIZE, PROT_READ, MAP_SHARED, c.vcpu, 0) == MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
}

static void set_regs_fails(struct ctx *c, int err, const char *what)
{
	errno = 0;
	if (ioctl(c->vcpu, PVMX_SET_REGS, &c->regs) != -1 || errno != err)
		FAILED("%s: errno %d (%s), want %s", what, errno, strerror(errno),
		       err == EINVAL ? "EINVAL" : err == EFAULT ? "EFAULT" : "?");
	default_regs(c);
}

static void t_set_regs_flags_reserved(void)
{
	struct ctx c;
	unsigned i;

	setup(&c, ST_VCPU);
	c.regs.flags = 1;
	set_regs_fails(&c, EINVAL, "flags 1");
	for (i = 0; i < 4; i++) {
		c.regs.reserved[i] = 1ULL << 40;
		set_regs_fails(&c, EINVAL, "reserved");
	}
}

static void t_set_regs_bad_cs(void)
{
	static const uint32_t bad[] = { 0, 0x10, 0xE018, 0xE01B, SEL_R1_DS, SEL_R3_DS,
					0xE028, 0x1E019, 0xFFFFFFFF };
	struct ctx c;
	unsigned i;

	setup(&c, ST_VCPU);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[32];

		snprintf(what, sizeof(what), "cs 0x%x", bad[i]);
		c.regs.cs = bad[i];
		set_regs_fails(&c, EINVAL, what);
	}
}

static void t_set_regs_ss_mismatch(void)
{
	struct ctx c;

	setup(&c, ST_VCPU);
	c.regs.ss = SEL_R3_DS;
	set_regs_fails(&c, EINVAL, "cs ring 1, ss ring 3");
	c.regs.cs = SEL_R3_CS;
	c.regs.ss = SEL_R1_DS;
	set_regs_fails(&c, EINVAL, "cs ring 3, ss ring 1");
	c.regs.ss = 0;
	set_regs_fails(&c, EINVAL, "ss null");
	c.regs.ss = SEL_R1_CS;
	set_regs_fails(&c, EINVAL, "ss = code selector");
}

static void t_set_regs_bad_data_selector(void)
{
	static const uint32_t bad[] = { 0x23, 0x7, SEL_R1_CS, SEL_R3_CS, 0xE020, 0xE022,
					0x10000 | SEL_R1_DS };
	struct ctx c;
	unsigned i, r;

	setup(&c, ST_VCPU);
	for (r = 0; r < 4; r++) {
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char what[32];
			uint32_t *sel = r == 0 ? &c.regs.ds : r == 1 ? &c.regs.es :
					r == 2 ? &c.regs.fs : &c.regs.gs;

			snprintf(what, sizeof(what), "%s 0x%x", (const char *[]){ "ds", "es", "fs", "gs" }[r], bad[i]);
			*sel = bad[i];
			set_regs_fails(&c, EINVAL, what);
		}
	}
}

static void t_set_regs_data_selectors_ok(void)
{
	struct ctx c;

	setup(&c, ST_VCPU);
	/* Null and FLAT_RING3_DS are fine in ring 1 (XTF loads 0xE033 there). */
	c.regs.ds = SEL_R3_DS;
	c.regs.es = 0;
	c.regs.fs = 0;
	c.regs.gs = SEL_R3_DS;
	EXPECT_EQ(ioctl(c.vcpu, PVMX_SET_REGS, &c.regs), 0);
	/* Ring 3 state. */
	c.regs.cs = SEL_R3_CS;
	c.regs.ss = SEL_R3_DS;
	EXPECT_EQ(ioctl(c.vcpu, PVMX_SET_REGS, &c.regs), 0);
}

static void t_set_regs_bad_eflags(void)
{
	static const struct { uint32_t bit; const char *name; } bad[] = {
		{ 0x1000, "IOPL 1" }, { 0x3000, "IOPL 3" }, { 1u << 14, "NT" },
		{ 1u << 16, "RF" }, { 1u << 17, "VM" }, { 1u << 3, "reserved bit 3" },
		{ 1u << 5, "reserved bit 5" }, { 1u << 15, "reserved bit 15" },
		{ 1u << 22, "reserved bit 22" }, { 1u << 31, "reserved bit 31" },
	};
	struct ctx c;
	unsigned i;

	setup(&c, ST_VCPU);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c.regs.eflags = 0x202 | bad[i].bit;
		set_regs_fails(&c, EINVAL, bad[i].name);
	}
}

static void t_set_regs_bad_cr3(void)
{
	struct ctx c;

	setup(&c, ST_VCPU);
	c.regs.cr3 = GPA_L3 + 16;
	set_regs_fails(&c, EINVAL, "cr3 16-byte aligned");
	c.regs.cr3 = GPA_L3 + 1;
	set_regs_fails(&c, EINVAL, "cr3 + 1");
	c.regs.cr3 = RAM_SIZE;
	set_regs_fails(&c, EINVAL, "cr3 = RAM size");
	c.regs.cr3 = 1ULL << 32;
	set_regs_fails(&c, EINVAL, "cr3 4 GiB");
}

static void t_set_regs_cr3_no_slot3(void)
{
	struct ctx c;

	setup(&c, ST_VCPU);
	c.regs.cr3 = GPA_L3_BAD;
	set_regs_fails(&c, EINVAL, "L3 slot 3 not present");
	/* Slot 3 pointing outside RAM. */
	put64(c.ram, GPA_L3_BAD + 3 * 8, (RAM_SIZE + 0x100000) | PTE_P);
	c.regs.cr3 = GPA_L3_BAD;
	set_regs_fails(&c, EINVAL, "L3 slot 3 outside RAM");
}

static void t_set_regs_efault(void)
{
	struct ctx c;

	setup(&c, ST_VCPU);
	EXPECT_ERRNO(ioctl(c.vcpu, PVMX_SET_REGS, bad_ptr()), EFAULT);
	EXPECT_ERRNO(ioctl(c.vcpu, PVMX_GET_REGS, bad_ptr()), EFAULT);
}

static void t_set_regs_get_regs(void)
{
	struct ctx c;
	struct pvmx_regs r;
	unsigned i;

	setup(&c, ST_VCPU);
	c.regs.eax = 0x11111111;
	c.regs.ebx = 0x22222222;
	c.regs.ecx = 0x33333333;
	c.regs.edx = 0x44444444;
	c.regs.edi = 0x55555555;
	c.regs.ebp = 0x66666666;
	c.regs.eflags = 0x47;		/* CF PF ZF and bit 1; IF off */
	c.regs.ds = SEL_R3_DS;
	c.regs.fs = 0;
	EXPECT_EQ(ioctl(c.vcpu, PVMX_SET_REGS, &c.regs), 0);
	memset(&r, 0xAA, sizeof(r));
	EXPECT_EQ(ioctl(c.vcpu, PVMX_GET_REGS, &r), 0);
	EXPECT_EQ(r.eax, c.regs.eax);
	EXPECT_EQ(r.ebx, c.regs.ebx);
	EXPECT_EQ(r.ecx, c.regs.ecx);
	EXPECT_EQ(r.edx, c.regs.edx);
	EXPECT_EQ(r.esi, c.regs.esi);
	EXPECT_EQ(r.edi, c.regs.edi);
	EXPECT_EQ(r.ebp, c.regs.ebp);
	EXPECT_EQ(r.esp, c.regs.esp);
	EXPECT_EQ(r.eip, c.regs.eip);
	EXPECT_EQ(r.eflags, 0x247);	/* IF and bit 1 forced on */
	EXPECT_EQ(r.cs, SEL_R1_CS);
	EXPECT_EQ(r.ss, SEL_R1_DS);
	EXPECT_EQ(r.ds, SEL_R3_DS);
	EXPECT_EQ(r.es, SEL_R1_DS);
	EXPECT_EQ(r.fs, 0);
	EXPECT_EQ(r.gs, SEL_R1_DS);
	EXPECT_EQ(r.cr3, GPA_L3);
	EXPECT_EQ(r.kernel_ss, SEL_R1_DS);
	EXPECT_EQ(r.kernel_sp, GPA_STACK_TOP);
	EXPECT_EQ(r.flags, 0);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(r.reserved[i], 0);
}

static void t_run_flags(void)
{
	struct ctx c;

	setup(&c, ST_REGS);
	EXPECT_ERRNO(ioctl(c.vcpu, PVMX_RUN, 1), EINVAL);
	EXPECT_ERRNO(ioctl(c.vcpu, PVMX_RUN, 0x100), EINVAL);
}

static void t_run_before_set_regs(void)
{
	struct ctx c;

	setup(&c, ST_VCPU);
	EXPECT_ERRNO(ioctl(c.vcpu, PVMX_RUN, 0), EINVAL);
}

/* ---- running a hand-built guest ---------------------------------------- */

struct code {
	uint8_t *p;
};

static void emit8(struct code *k, uint8_t b)
{
	*k->p++ = b;
}

static void emit32(struct code *k, uint32_t v)
{
	memcpy(k->p, &v, 4);
	k->p += 4;
}

/* mov $imm, %reg (B8 + reg: eax 0, ecx 1, edx 2, ebx 3). */
static void mov_imm(struct code *k, int reg, uint32_t imm)
{
	emit8(k, 0xB8 + reg);
	emit32(k, imm);
}

static void int82(struct code *k)
{
	emit8(k, 0xCD);
	emit8(k, 0x82);
}

enum { EAX, ECX, EDX, EBX };

/*
 * Run until an exit other than CONSOLE/INTR; console bytes are collected.
 * Returns the exit reason, or -1 when PVMX_RUN itself failed.
 */
static int run_guest(struct ctx *c, char *con, size_t con_size, size_t *con_len)
{
	unsigned i;

	*con_len = 0;
	for (i = 0; i < 100000; i++) {
		if (ioctl(c->vcpu, PVMX_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			FAILED("PVMX_RUN: %s", strerror(errno));
			return -1;
		}
		switch (c->run->exit_reason) {
		case PVMX_EXIT_CONSOLE:
			if (c->run->console.len > PVMX_CONSOLE_MAX) {
				FAILED("console.len %u", c->run->console.len);
				return -1;
			}
			if (*con_len + c->run->console.len < con_size) {
				memcpy(con + *con_len, c->run->console.data, c->run->console.len);
				*con_len += c->run->console.len;
			}
			continue;
		case PVMX_EXIT_INTR:
			continue;
		case PVMX_EXIT_CRASH:
			c->run->crash.reason[PVMX_CRASH_REASON_MAX - 1] = 0;
			diag("crash: kind %u vector %u error 0x%x eip 0x%x cs 0x%x address 0x%llx: %s",
			     c->run->crash.kind, c->run->crash.vector, c->run->crash.error_code,
			     c->run->crash.eip, c->run->crash.cs,
			     (unsigned long long)c->run->crash.address, c->run->crash.reason);
			return PVMX_EXIT_CRASH;
		case PVMX_EXIT_INTERNAL:
			diag("internal error: suberror %u data 0x%llx 0x%llx",
			     c->run->internal.suberror,
			     (unsigned long long)c->run->internal.data[0],
			     (unsigned long long)c->run->internal.data[1]);
			return PVMX_EXIT_INTERNAL;
		default:
			return c->run->exit_reason;
		}
	}
	FAILED("guest did not stop");
	return -1;
}

static void t_run_console_shutdown(void)
{
	struct code k;
	struct ctx c;
	char con[64];
	size_t len;
	uint32_t reason = PVMX_SHUTDOWN_REBOOT;

	setup(&c, ST_REGS);
	k.p = c.ram + GPA_CODE;
	memcpy(c.ram + GPA_DATA, "hi from a raw guest\n", 20);
	memcpy(c.ram + GPA_DATA + 64, &reason, 4);
	/* console_io(CONSOLEIO_write, 20, msg) */
	mov_imm(&k, EAX, 18);
	mov_imm(&k, EBX, 0);
	mov_imm(&k, ECX, 20);
	mov_imm(&k, EDX, GPA_DATA);
	int82(&k);
	/* store the result at DATA+128: mov %eax, moffs32 (A3) */
	emit8(&k, 0xA3);
	emit32(&k, GPA_DATA + 128);
	/* sched_op(SCHEDOP_shutdown, &reason) */
	mov_imm(&k, EAX, 29);
	mov_imm(&k, EBX, 2);
	mov_imm(&k, ECX, GPA_DATA + 64);
	int82(&k);
	emit8(&k, 0x0F);
	emit8(&k, 0x0B);

	EXPECT_EQ(run_guest(&c, con, sizeof(con), &len), PVMX_EXIT_SHUTDOWN);
	EXPECT_EQ(c.run->shutdown.reason, PVMX_SHUTDOWN_REBOOT);
	EXPECT_EQ(len, 20);
	EXPECT(len == 20 && !memcmp(con, "hi from a raw guest\n", 20));
	EXPECT_EQ(*(uint32_t *)(c.ram + GPA_DATA + 128), 0);
	EXPECT(c.run->exits > 0);
	diag("%llu exits", (unsigned long long)c.run->exits);
}

static void fill_hypercall_page_c3(struct ctx *c)
{
	memset(c->ram + GPA_HCALL, 0xC3, 4096);
}

static void t_run_hypercall_page(void)
{
	static const unsigned slots[] = { 0, 17, 18, 29, 127 };
	struct ctx c;
	char con[16];
	size_t len;
	unsigned i, j;
	uint8_t *pg;

	/* The image ships the page as 0xC3 (like XTF); the hypervisor fills it. */
	pre_boot_hook = fill_hypercall_page_c3;
	setup(&c, ST_REGS);
	/* call hypercall_page + 29*32 with EBX = shutdown, ECX = &reason(0) */
	{
		struct code k = { c.ram + GPA_CODE };

		mov_imm(&k, EBX, 2);
		mov_imm(&k, ECX, GPA_DATA);
		emit8(&k, 0xE8);	/* call rel32 */
		emit32(&k, (uint32_t)(GPA_HCALL + 29 * 32 - (GPA_CODE + (k.p + 4 - (c.ram + GPA_CODE)))));
		emit8(&k, 0x0F);
		emit8(&k, 0x0B);
	}
	EXPECT_EQ(run_guest(&c, con, sizeof(con), &len), PVMX_EXIT_SHUTDOWN);
	EXPECT_EQ(c.run->shutdown.reason, PVMX_SHUTDOWN_POWEROFF);
	pg = c.ram + GPA_HCALL;
	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		const uint8_t *s = pg + slots[i] * 32;
		uint8_t want[8] = { 0xB8, (uint8_t)slots[i], 0, 0, 0, 0xCD, 0x82, 0xC3 };

		if (memcmp(s, want, 8))
			FAILED("slot %u: %02x %02x %02x %02x %02x %02x %02x %02x", slots[i],
			       s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
		for (j = 8; j < 32; j++)
			if (s[j] != 0xCC)
				FAILED("slot %u byte %u = 0x%02x, want 0xcc", slots[i], j, s[j]);
	}
	{
		const uint8_t want[8] = { 0x50, 0xB8, 23, 0, 0, 0, 0xCD, 0x82 };

		EXPECT(!memcmp(pg + 23 * 32, want, 8));
	}
}

static void t_run_ud2_crash(void)
{
	struct ctx c;
	char con[16];
	size_t len;

	setup(&c, ST_REGS);
	c.ram[GPA_CODE + 0] = 0x90;	/* nop */
	c.ram[GPA_CODE + 1] = 0x0F;	/* ud2 */
	c.ram[GPA_CODE + 2] = 0x0B;
	EXPECT_EQ(run_guest(&c, con, sizeof(con), &len), PVMX_EXIT_CRASH);
	EXPECT_EQ(c.run->crash.kind, PVMX_CRASH_UNHANDLED_TRAP);
	EXPECT_EQ(c.run->crash.vector, 6);
	EXPECT_EQ(c.run->crash.eip, GPA_CODE + 1);
	EXPECT_EQ(c.run->crash.cs & 0xffff, SEL_R1_CS);
	EXPECT(c.run->crash.reason[0] != 0);
	EXPECT(memchr(c.run->crash.reason, 0, PVMX_CRASH_REASON_MAX) != NULL);
}

static void t_run_pf_crash(void)
{
	struct ctx c;
	char con[16];
	size_t len;

	setup(&c, ST_REGS);
	/* mov 0x40000000, %eax */
	c.ram[GPA_CODE + 0] = 0xA1;
	put64(c.ram, GPA_CODE + 1, 0x40000000);
	EXPECT_EQ(run_guest(&c, con, sizeof(con), &len), PVMX_EXIT_CRASH);
	EXPECT_EQ(c.run->crash.kind, PVMX_CRASH_UNHANDLED_TRAP);
	EXPECT_EQ(c.run->crash.vector, 14);
	EXPECT_EQ(c.run->crash.eip, GPA_CODE);
	EXPECT_EQ(c.run->crash.address, 0x40000000);
	/* Read, not present, supervisor (U recomputed to 0 for ring 1). */
	EXPECT_EQ(c.run->crash.error_code, 0);
}

/* ---- lifetime ----------------------------------------------------------- */

static long mem_free_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static long nr_vms(int dev)
{
	struct pvmx_vmx_info vi;

	if (ioctl(dev, PVMX_GET_VMX_INFO, &vi))
		return -1;
	return vi.nr_vms;
}

static void t_close_any_order(void)
{
	int dev = open_dev();
	long before, after, vms0, vms1;
	unsigned i;

	vms0 = nr_vms(dev);
	before = mem_free_kb();
	for (i = 0; i < 50; i++) {
		struct ctx c;
		int vdev;
		uint64_t j;

		memset(&c, 0, sizeof(c));
		vdev = open_dev();
		c.vm = ioctl(vdev, PVMX_CREATE_VM, 0);
		ASSERT(c.vm >= 0);
		set_memory(&c, PVMX_MIN_MEMORY);
		for (j = 0; j < c.size; j += 16 * 4096)
			c.ram[j + 64] = 1;
		default_boot_info(&c);
		ASSERT(ioctl(c.vm, PVMX_SET_BOOT_INFO, &c.bi) == 0);
		c.vcpu = ioctl(c.vm, PVMX_CREATE_VCPU, 0);
		ASSERT(c.vcpu >= 0);
		c.run = mmap(NULL, PVMX_RUN_MMAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, c.vcpu, 0);
		ASSERT(c.run != MAP_FAILED);
		default_regs(&c);
		ASSERT(ioctl(c.vcpu, PVMX_SET_REGS, &c.regs) == 0);
		if (i == 0)
			EXPECT_EQ(nr_vms(dev), vms0 + 1);
		switch (i % 4) {
		case 0:		/* vCPU, VM, /dev, then the mappings */
			close(c.vcpu);
			close(c.vm);
			close(vdev);
			munmap(c.run, PVMX_RUN_MMAP_SIZE);
			munmap(c.ram, c.size);
			break;
		case 1:		/* VM first; the mappings still work */
			close(c.vm);
			close(vdev);
			c.ram[4096 * 5 + 7] = 0x42;
			EXPECT_EQ(c.ram[4096 * 5 + 7], 0x42);
			EXPECT_EQ(c.run->exit_reason, PVMX_EXIT_NONE);
			close(c.vcpu);
			munmap(c.ram, c.size);
			munmap(c.run, PVMX_RUN_MMAP_SIZE);
			break;
		case 2:		/* mappings first, then /dev, VM, vCPU */
			munmap(c.ram, c.size);
			munmap(c.run, PVMX_RUN_MMAP_SIZE);
			close(vdev);
			close(c.vm);
			close(c.vcpu);
			break;
		case 3:		/* the VM fd goes, the vCPU fd is used, then goes */
			close(c.vm);
			close(vdev);
			munmap(c.ram, c.size);
			{
				struct pvmx_regs r;
				int ret = ioctl(c.vcpu, PVMX_GET_REGS, &r);

				if (i == 3)
					diag("GET_REGS on a vCPU whose VM fd is closed: %d (%s)",
					     ret, ret ? strerror(errno) : "ok");
			}
			close(c.vcpu);
			munmap(c.run, PVMX_RUN_MMAP_SIZE);
			break;
		}
		free(c.p2m);
	}
	after = mem_free_kb();
	vms1 = nr_vms(dev);
	diag("MemFree before %ld kB, after %ld kB (%+ld kB); live VMs %ld -> %ld",
	     before, after, after - before, vms0, vms1);
	EXPECT_EQ(vms1, vms0);
	if (before > 0 && after > 0 && before - after > 50 * 1024)
		diag("WARNING-SOFT: MemFree dropped by %ld kB over 50 VMs of 4 MiB",
		     before - after);
}

/* ---- PVMX_RAISE_EVENT ---------------------------------------------------- */

static int raise_ev(struct ctx *c, uint32_t port, uint32_t virq, uint32_t flags)
{
	struct pvmx_event ev = { .port = port, .virq = virq, .flags = flags };

	return ioctl(c->vm, PVMX_RAISE_EVENT, &ev);
}

static void t_raise_event(void)
{
	struct pvmx_event ev;
	struct ctx c;

	EXPECT_EQ(ioctl(open_dev(), PVMX_CHECK_CAP, PVMX_CAP_EVENTS), 1);
	setup(&c, ST_MEM);
	EXPECT_ERRNO(raise_ev(&c, 1, 0, 0), EINVAL);		/* before SET_BOOT_INFO */
	ASSERT(ioctl(c.vm, PVMX_SET_BOOT_INFO, &c.bi) == 0);
	EXPECT_ERRNO(raise_ev(&c, 1, 0, 2), EINVAL);		/* unknown flag */
	memset(&ev, 0, sizeof(ev));
	ev.port = 1;
	ev.pad = 1;
	EXPECT_ERRNO(ioctl(c.vm, PVMX_RAISE_EVENT, &ev), EINVAL);
	ev.pad = 0;
	ev.reserved[1] = 1;
	EXPECT_ERRNO(ioctl(c.vm, PVMX_RAISE_EVENT, &ev), EINVAL);
	EXPECT_ERRNO(raise_ev(&c, 5, 0, 0), EINVAL);		/* not a launcher port */
	EXPECT_ERRNO(raise_ev(&c, 0, 0, 0), EINVAL);
	EXPECT_ERRNO(raise_ev(&c, 5000, 0, 0), EINVAL);
	EXPECT_OK(raise_ev(&c, 1, 0, 0));			/* the console port */
	EXPECT_OK(raise_ev(&c, 2, 0, 0));			/* the store port */
	EXPECT_ERRNO(raise_ev(&c, 0, 24, PVMX_EVENT_VIRQ), EINVAL);
	EXPECT_ERRNO(raise_ev(&c, 0, 1, PVMX_EVENT_VIRQ), EINVAL);	/* no vCPU 0 yet */
	EXPECT_ERRNO(ioctl(c.vm, PVMX_RAISE_EVENT, bad_ptr()), EFAULT);
	c.vcpu = ioctl(c.vm, PVMX_CREATE_VCPU, 0);
	ASSERT(c.vcpu >= 0);
	EXPECT_OK(raise_ev(&c, 0, 1, PVMX_EVENT_VIRQ));		/* VIRQ_DEBUG, unbound */
	EXPECT_OK(raise_ev(&c, 0, 0, PVMX_EVENT_VIRQ));
	EXPECT_ERRNO(raise_ev(&c, 0, 24, PVMX_EVENT_VIRQ), EINVAL);
	EXPECT_ERRNO(raise_ev(&c, 0, 0xFFFFFFFF, PVMX_EVENT_VIRQ), EINVAL);
}

/* Statistics and trace controls: versions, bad flags, bad pointers. */
static void t_stats_and_trace(void)
{
	struct pvmx_trace_config tc;
	struct pvmx_stats st;
	struct ctx c;

	EXPECT_EQ(ioctl(open_dev(), PVMX_CHECK_CAP, PVMX_CAP_STATS), PVMX_STATS_VERSION);
	EXPECT_EQ(ioctl(open_dev(), PVMX_CHECK_CAP, PVMX_CAP_TRACE), PVMX_TRACE_VERSION);
	setup(&c, ST_VCPU);
	memset(&st, 0xAA, sizeof(st));
	EXPECT_OK(ioctl(c.vcpu, PVMX_GET_STATS, &st));
	EXPECT_EQ(st.version, PVMX_STATS_VERSION);
	EXPECT_EQ(st.size, sizeof(st));
	EXPECT_EQ(st.nr_vcpus, 1);
	EXPECT_EQ(st.exits, 0);
	EXPECT_EQ(st.reserved[15], 0);
	memset(&st, 0xAA, sizeof(st));
	EXPECT_OK(ioctl(c.vm, PVMX_GET_VM_STATS, &st));
	EXPECT_EQ(st.nr_vcpus, 1);
	EXPECT_EQ(st.hypercall_other, 0);
	EXPECT_ERRNO(ioctl(c.vcpu, PVMX_GET_STATS, bad_ptr()), EFAULT);
	EXPECT_ERRNO(ioctl(c.vm, PVMX_GET_VM_STATS, bad_ptr()), EFAULT);
	memset(&tc, 0, sizeof(tc));
	tc.version = PVMX_TRACE_VERSION;
	tc.size = sizeof(tc);
	tc.flags = PVMX_TRACE_HYPERCALLS | PVMX_TRACE_DELIVERIES;
	tc.hypercalls = ~0ULL;
	EXPECT_OK(ioctl(c.vcpu, PVMX_SET_TRACE, &tc));
	tc.hypercalls = 1ULL << 13;
	EXPECT_OK(ioctl(c.vcpu, PVMX_SET_TRACE, &tc));
	tc.flags = 0;
	EXPECT_OK(ioctl(c.vcpu, PVMX_SET_TRACE, &tc));
	tc.flags = 4;
	EXPECT_ERRNO(ioctl(c.vcpu, PVMX_SET_TRACE, &tc), EINVAL);
	tc.flags = PVMX_TRACE_HYPERCALLS;
	tc.pad = 1;
	EXPECT_ERRNO(ioctl(c.vcpu, PVMX_SET_TRACE, &tc), EINVAL);
	tc.pad = 0;
	tc.reserved[4] = 1;
	EXPECT_ERRNO(ioctl(c.vcpu, PVMX_SET_TRACE, &tc), EINVAL);
	tc.reserved[4] = 0;
	/* Another version or size: EPROTO. */
	tc.version = 1;
	EXPECT_ERRNO(ioctl(c.vcpu, PVMX_SET_TRACE, &tc), EPROTO);
	tc.version = PVMX_TRACE_VERSION;
	tc.size = 48;
	EXPECT_ERRNO(ioctl(c.vcpu, PVMX_SET_TRACE, &tc), EPROTO);
	EXPECT_ERRNO(ioctl(c.vcpu, PVMX_SET_TRACE, bad_ptr()), EFAULT);
	/* A version-1 launcher's call (flags by value, _IO(PVMXIO, 0x24)) is unknown. */
	EXPECT_ERRNO(ioctl(c.vcpu, _IO(PVMXIO, 0x24), PVMX_TRACE_HYPERCALLS), ENOTTY);
}

/* ---- table and main ---------------------------------------------------- */

struct test {
	const char *name;
	void (*fn)(void);
};

#define T(n) { #n, t_##n }
static const struct test tests[] = {
	T(api_version),
	T(check_cap),
	T(check_cap_unknown),
	T(create_vm_flags),
	T(dev_unknown_ioctl),
	T(vmx_info_efault),
	T(vmx_info),
	T(vm_unknown_ioctl),
	T(set_memory_flags),
	T(set_memory_reserved),
	T(set_memory_bad_size),
	T(set_memory_min),
	T(set_memory_efault),
	T(set_memory),
	T(set_memory_twice),
	T(mmap_ram_beyond),
	T(mmap_ram_private),
	T(mmap_ram_shared),
	T(mmap_gnttab),
	T(boot_info_before_memory),
	T(boot_info_flags_pad_reserved),
	T(boot_info_fast_int80),
	T(boot_info_start_info),
	T(boot_info_hypercall_page),
	T(boot_info_same_gpa),
	T(boot_info_no_pages),
	T(boot_info_nr_pfns),
	T(boot_info_p2m_efault),
	T(boot_info_p2m_bad_entry),
	T(boot_info_p2m_invalid_marker),
	T(boot_info_domid),
	T(boot_info),
	T(create_vcpu_before_boot_info),
	T(create_vcpu_bad_id),
	T(create_vcpu),
	T(create_vcpu_out_of_fds),
	T(vcpu_unknown_ioctl),
	T(vcpu_mmap),
	T(vcpu_mmap_bad),
	T(set_regs_flags_reserved),
	T(set_regs_bad_cs),
	T(set_regs_ss_mismatch),
	T(set_regs_bad_data_selector),
	T(set_regs_data_selectors_ok),
	T(set_regs_bad_eflags),
	T(set_regs_bad_cr3),
	T(set_regs_cr3_no_slot3),
	T(set_regs_efault),
	T(set_regs_get_regs),
	T(run_flags),
	T(run_before_set_regs),
	T(run_console_shutdown),
	T(run_hypercall_page),
	T(run_ud2_crash),
	T(run_pf_crash),
	T(close_any_order),
	T(raise_event),
	T(stats_and_trace),
};
#define NR_TESTS (sizeof(tests) / sizeof(tests[0]))

static int run_one(const struct test *t)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		diag("fork: %s", strerror(errno));
		return KSFT_FAIL;
	}
	if (pid == 0) {
		alarm(TEST_TIMEOUT);
		failed = 0;
		t->fn();
		fflush(stdout);
		_exit(failed ? KSFT_FAIL : KSFT_PASS);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return KSFT_FAIL;
	if (WIFSIGNALED(status)) {
		diag("%s: killed by signal %d%s", t->name, WTERMSIG(status),
		     WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
		return KSFT_FAIL;
	}
	return WEXITSTATUS(status);
}

static int hold_vm(int seconds)
{
	struct ctx c;

	setup(&c, ST_VCPU);
	printf("holding vm\n");
	fflush(stdout);
	sleep(seconds);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned pass = 0, fail = 0, skip = 0, n = 0, i;
	int a;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("PVMX_DEVICE"))
		dev_path = getenv("PVMX_DEVICE");

	if (argc >= 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < NR_TESTS; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--hold-vm"))
		return hold_vm(atoi(argv[2]));
	if (argc >= 3 && !strcmp(argv[1], "--exec-sigdfl")) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "uapi_test: exec %s: %s\n", argv[2], strerror(errno));
		return 127;
	}
	for (a = 1; a < argc; a++) {
		if (argv[a][0] == '-') {
			fprintf(stderr, "usage: uapi_test [--list | --hold-vm SECONDS | "
				"--exec-sigdfl CMD [ARG...] | NAME...]\n");
			return 2;
		}
	}

	for (i = 0; i < NR_TESTS; i++) {
		int want = argc == 1;

		for (a = 1; a < argc; a++)
			want |= !strcmp(argv[a], tests[i].name);
		n += want;
	}
	printf("KTAP version 1\n1..%u\n", n);

	if (access(dev_path, F_OK)) {
		const char *why = "no /dev/pvmx (module not loaded)";
		FILE *f = fopen("/proc/cpuinfo", "r");
		char line[4096];
		int vmx = 0;

		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "flags", 5) && strstr(line, " vmx"))
				vmx = 1;
		if (f)
			fclose(f);
		if (!vmx) {
			why = "CPU has no VMX";
			for (i = 0, n = 0; i < NR_TESTS; i++) {
				int want = argc == 1;

				for (a = 1; a < argc; a++)
					want |= !strcmp(argv[a], tests[i].name);
				if (want)
					printf("ok %u %s # SKIP %s\n", ++n, tests[i].name, why);
			}
			printf("# Totals: pass:0 fail:0 skip:%u\n", n);
			return KSFT_SKIP;
		}
		diag("%s: %s", dev_path, why);
	}

	for (i = 0, n = 0; i < NR_TESTS; i++) {
		int want = argc == 1, r;

		for (a = 1; a < argc; a++)
			want |= !strcmp(argv[a], tests[i].name);
		if (!want)
			continue;
		r = run_one(&tests[i]);
		n++;
		if (r == KSFT_PASS) {
			pass++;
			printf("ok %u %s\n", n, tests[i].name);
		} else if (r == KSFT_SKIP) {
			skip++;
			printf("ok %u %s # SKIP\n", n, tests[i].name);
		} else {
			fail++;
			printf("not ok %u %s\n", n, tests[i].name);
		}
	}
	printf("# Totals: pass:%u fail:%u skip:%u\n", pass, fail, skip);
	return fail ? KSFT_FAIL : 0;
}
