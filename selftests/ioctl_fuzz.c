// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_fuzz: a local user with /dev/pvmx hammering the uapi.  Several
 * threads issue random ioctls (known numbers, the same with wrong sizes and
 * directions, and random ones) with random argument structs and hostile
 * pointers on /dev/pvmx, VM and vCPU fds; create VMs and vCPUs, set memory,
 * mmap and munmap, touch guest RAM, and close fds.  Meanwhile a runner
 * thread keeps a real guest running (busy.elf through libpvmx) whose fds and
 * mappings the fuzz threads may close and unmap under it; a kicker sends
 * signals so blocked calls return.  With -G SMP.elf every other guest is
 * that one (smp.elf pingpong) with two vCPUs run by two threads, so fds are
 * closed while both vCPUs run.  Every thread's sequence comes from the
 * seed (the interleaving does not).
 *
 *   ioctl_fuzz [-s SEED] [-n CALLS] [-t THREADS] [-g GUEST.elf] [-G SMP.elf]
 *
 * At the end every fd is closed and every mapping unmapped; then
 * PVMX_GET_VMX_INFO must report no live VM (nothing leaked).  Prints the
 * calls made.  Exit 0, 1 on a failed check, 4 without /dev/pvmx.  The host
 * side (oops, KASAN, lockdep) is judged from dmesg by run_all.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "libpvmx.h"
#include <linux/pvmx.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_FDS		24
#define MAX_MAPS	16
#define MAX_THREADS	8
#define BUF_BYTES	8192

enum fd_kind { FD_FREE, FD_DEV, FD_VM, FD_VCPU };

/* Every pvmx fd and mapping the threads share; taken out under the lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct { int fd; enum fd_kind kind; } fds[MAX_FDS];
static struct { void *addr; size_t len; } maps[MAX_MAPS];

static atomic_ulong calls, errors_by_kind[4], successes;
static atomic_int stop, fuzz_threads_done;
static unsigned long seed = 1, calls_per_thread = 20000;
static int nr_threads = 4;
static const char *guest_path = "/selftests/guests/busy.elf";
static void *guest_img;
static size_t guest_len;
static const char *smp_path;
static void *smp_img;
static size_t smp_len;
static void *ro_page, *none_page;
static pthread_t threads[MAX_THREADS + 2];

/* splitmix64: one state per thread, from the seed. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint32_t below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rnd(s) % n);
}

static void add_fd(int fd, enum fd_kind kind)
{
	int i;

	if (fd < 0)
		return;
	pthread_mutex_lock(&lock);
	for (i = 0; i < MAX_FDS; i++) {
		if (fds[i].kind == FD_FREE) {
			fds[i].fd = fd;
			fds[i].kind = kind;
			pthread_mutex_unlock(&lock);
			return;
		}
	}
	pthread_mutex_unlock(&lock);
	close(fd);		/* table full */
}

/* A random fd of the table (or of a kind), -1 if none. */
static int pick_fd(uint64_t *s, enum fd_kind want, enum fd_kind *kind)
{
	int i, start = below(s, MAX_FDS), fd = -1;

	pthread_mutex_lock(&lock);
	for (i = 0; i < MAX_FDS; i++) {
		int j = (start + i) % MAX_FDS;

		if (fds[j].kind != FD_FREE && (want == FD_FREE || fds[j].kind == want)) {
			fd = fds[j].fd;
			if (kind)
				*kind = fds[j].kind;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	return fd;
}

static void close_random_fd(uint64_t *s)
{
	int j = below(s, MAX_FDS), fd = -1;

	pthread_mutex_lock(&lock);
	if (fds[j].kind != FD_FREE) {
		fd = fds[j].fd;
		fds[j].kind = FD_FREE;
	}
	pthread_mutex_unlock(&lock);
	if (fd >= 0)
		close(fd);
}

static void add_map(void *addr, size_t len)
{
	int i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < MAX_MAPS; i++) {
		if (!maps[i].addr) {
			maps[i].addr = addr;
			maps[i].len = len;
			pthread_mutex_unlock(&lock);
			return;
		}
	}
	pthread_mutex_unlock(&lock);
	munmap(addr, len);
}

static void unmap_random(uint64_t *s)
{
	int j = below(s, MAX_MAPS);
	void *addr;
	size_t len;

	pthread_mutex_lock(&lock);
	addr = maps[j].addr;
	len = maps[j].len;
	maps[j].addr = NULL;
	pthread_mutex_unlock(&lock);
	if (addr)
		munmap(addr, len);
}

/*
 * Write into a random mapping (guest RAM, a run structure) under the lock,
 * through read() from /dev/zero: a page the module refuses to back gives
 * EFAULT instead of killing the fuzzer with SIGBUS.
 */
static int zero_fd = -1;

static void touch_map(uint64_t *s)
{
	int j = below(s, MAX_MAPS);

	pthread_mutex_lock(&lock);
	if (maps[j].addr && read(zero_fd, (uint8_t *)maps[j].addr + below(s, maps[j].len), 1) < 0)
		atomic_fetch_add(&errors_by_kind[3], 1);
	pthread_mutex_unlock(&lock);
}

static const unsigned long known[] = {
	PVMX_GET_API_VERSION, PVMX_CHECK_CAP, PVMX_CREATE_VM, PVMX_GET_VMX_INFO,
	PVMX_SET_MEMORY, PVMX_SET_BOOT_INFO, PVMX_CREATE_VCPU, PVMX_RAISE_EVENT,
	PVMX_GET_VM_STATS, PVMX_GET_REGS, PVMX_SET_REGS, PVMX_RUN, PVMX_GET_STATS,
	PVMX_SET_TRACE,
};

static unsigned long random_cmd(uint64_t *s)
{
	unsigned long cmd = known[below(s, ARRAY_SIZE(known))];

	switch (below(s, 8)) {
	case 0:		/* another size */
		return (cmd & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
		       ((unsigned long)below(s, 1 << _IOC_SIZEBITS) << _IOC_SIZESHIFT);
	case 1:		/* another direction */
		return (cmd & ~((unsigned long)_IOC_DIRMASK << _IOC_DIRSHIFT)) |
		       ((unsigned long)below(s, 4) << _IOC_DIRSHIFT);
	case 2:		/* another number of ours */
		return _IOC(below(s, 4), PVMXIO, below(s, 0x40), below(s, 1024));
	case 3:
		return (uint32_t)rnd(s);
	default:
		return cmd;
	}
}

/* The argument: a buffer of random or plausible bytes, or a hostile pointer. */
static unsigned long random_arg(uint64_t *s, uint8_t *buf, unsigned long cmd)
{
	uint32_t i, n;

	switch (below(s, 10)) {
	case 0:
		return 0;
	case 1:
		return below(s, 40);				/* ids, caps, flags */
	case 2:
		return (unsigned long)ro_page;			/* ioctls that write */
	case 3:
		return (unsigned long)none_page + below(s, 4096);	/* unmapped */
	case 4:
		return 0xFFFF888000000000ul + below(s, 1 << 20);	/* kernel */
	case 5:		/* the struct straddles into the unmapped page */
		return (unsigned long)ro_page + 4096 - below(s, 64) - 1;
	default:
		break;
	}
	n = BUF_BYTES / 8;
	for (i = 0; i < n; i++) {
		uint64_t v = rnd(s);

		switch (below(s, 4)) {
		case 0:
			v = 0;
			break;
		case 1:
			v &= 0xFF;
			break;
		case 2:
			v = 4096ull << below(s, 20);	/* sizes, addresses */
			break;
		}
		memcpy(buf + i * 8, &v, 8);
	}
	(void)cmd;
	return (unsigned long)buf;
}

static void fuzz_one(uint64_t *s, uint8_t *buf)
{
	enum fd_kind kind = FD_FREE;
	unsigned long cmd, arg;
	int fd, r;
	void *p;
	size_t len;
	struct pvmx_memory mem;

	switch (below(s, 32)) {
	case 0:
		add_fd(open("/dev/pvmx", O_RDWR | O_CLOEXEC), FD_DEV);
		break;
	case 1:
	case 2:
		fd = pick_fd(s, FD_DEV, NULL);
		if (fd >= 0)
			add_fd(ioctl(fd, PVMX_CREATE_VM, 0), FD_VM);
		break;
	case 3:
		fd = pick_fd(s, FD_VM, NULL);
		if (fd >= 0)
			add_fd(ioctl(fd, PVMX_CREATE_VCPU, below(s, PVMX_MAX_VCPUS + 2)), FD_VCPU);
		break;
	case 4:		/* memory: usually small, sometimes absurd */
		fd = pick_fd(s, FD_VM, NULL);
		if (fd < 0)
			break;
		memset(&mem, 0, sizeof(mem));
		mem.size = below(s, 4) ? (uint64_t)(1 + below(s, 1024)) * 4096 : rnd(s);
		if (!below(s, 8))
			mem.flags = rnd(s);
		ioctl(fd, PVMX_SET_MEMORY, &mem);
		break;
	case 5:
		close_random_fd(s);
		break;
	case 6:
	case 7:		/* mmap a VM (RAM) or vCPU (run structure) */
		fd = pick_fd(s, FD_FREE, &kind);
		if (fd < 0)
			break;
		len = (size_t)(1 + below(s, kind == FD_VM ? 1024 : 2)) * 4096;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 below(s, 4) ? 0 : (off_t)below(s, 64) * 4096);
		if (p != MAP_FAILED)
			add_map(p, len);
		break;
	case 8:
		unmap_random(s);
		break;
	case 9:
		touch_map(s);
		break;
	default:
		fd = pick_fd(s, FD_FREE, NULL);
		if (fd < 0 || !below(s, 50))
			fd = below(s, 2) ? -1 : 999;	/* bad fds (never a tty) */
		cmd = random_cmd(s);
		arg = random_arg(s, buf, cmd);
		/* PVMX_RUN on a live vCPU blocks until the kicker's signal. */
		r = ioctl(fd, cmd, arg);
		if (r < 0) {
			atomic_fetch_add(&errors_by_kind[errno == EINVAL ? 0 : errno == EFAULT ? 1 :
							  errno == ENOTTY ? 2 : 3], 1);
		} else {
			atomic_fetch_add(&successes, 1);
			if (cmd == PVMX_CREATE_VM || cmd == PVMX_CREATE_VCPU)
				add_fd(r, cmd == PVMX_CREATE_VM ? FD_VM : FD_VCPU);
		}
		break;
	}
	atomic_fetch_add(&calls, 1);
}

static void *fuzz_thread(void *arg)
{
	uint64_t s = seed * 0x100 + (uintptr_t)arg;
	uint8_t *buf = malloc(BUF_BYTES);
	unsigned long i;

	for (i = 0; i < calls_per_thread && !atomic_load(&stop); i++)
		fuzz_one(&s, buf);
	free(buf);
	atomic_fetch_add(&fuzz_threads_done, 1);
	return NULL;
}

/* The second vCPU of an SMP guest, run by its own thread. */
static struct pvmx_vcpu vcpu1;
static atomic_int vcpu1_over, vcpu1_done;
static atomic_ulong vcpu1_runs;

static void *vcpu1_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&vcpu1_over)) {
		int rc = ioctl(vcpu1.fd, PVMX_RUN, 0);

		atomic_fetch_add(&vcpu1_runs, 1);
		if (rc < 0 && errno != EINTR && errno != EAGAIN)
			break;
		if (rc == 0 && (vcpu1.run->exit_reason == PVMX_EXIT_SHUTDOWN ||
				vcpu1.run->exit_reason == PVMX_EXIT_CRASH ||
				vcpu1.run->exit_reason == PVMX_EXIT_INTERNAL))
			break;
	}
	atomic_store(&vcpu1_done, 1);
	return NULL;
}

/* Stop the vCPU 1 thread: interrupt its PVMX_RUN until it has seen the flag. */
static void stop_vcpu1(pthread_t t)
{
	struct timespec ts = { 0, 1000 * 1000 };

	atomic_store(&vcpu1_over, 1);
	while (!atomic_load(&vcpu1_done)) {
		pthread_kill(t, SIGUSR1);
		nanosleep(&ts, NULL);
	}
	pthread_join(t, NULL);
}

/* Keep a real guest running; its fds and RAM go into the shared tables. */
static void *runner_thread(void *arg)
{
	struct pvmx_load_opts opts = { .cmdline = "n=100000000" };
	struct pvmx_load_opts smp_opts = { .cmdline = "pingpong=100000000" };
	char err[PVMX_ERR_MAX];
	struct pvmx_layout L;
	struct pvmx_vcpu vcpu;
	struct pvmx_dev dev;
	struct pvmx_vm vm;
	unsigned long runs = 0, guests = 0, smp_guests = 0;
	pthread_t t1;
	int smp;

	(void)arg;
	while (!atomic_load(&stop)) {
		smp = smp_img && guests % 2;
		if (pvmx_open(&dev, err) || pvmx_vm_create(&dev, &vm, err)) {
			fprintf(stderr, "ioctl_fuzz: runner: %s\n", err);
			break;
		}
		if (pvmx_vm_set_memory(&vm, 16ull << 20, err) ||
		    (smp ? pvmx_vm_load_image(&vm, smp_img, smp_len, &smp_opts, &L, err) :
			   pvmx_vm_load_image(&vm, guest_img, guest_len, &opts, &L, err)) ||
		    pvmx_vcpu_create(&vm, 0, &vcpu, err) || pvmx_vcpu_set_regs(&vcpu, &L.regs) ||
		    (smp && pvmx_vcpu_create(&vm, 1, &vcpu1, err))) {
			fprintf(stderr, "ioctl_fuzz: runner setup: %s\n", err);
			pvmx_vm_destroy(&vm);
			pvmx_close(&dev);
			break;
		}
		guests++;
		if (smp) {
			smp_guests++;
			atomic_store(&vcpu1_over, 0);
			atomic_store(&vcpu1_done, 0);
			add_fd(dup(vcpu1.fd), FD_VCPU);
			pthread_create(&t1, NULL, vcpu1_thread, NULL);
		}
		/*
		 * The VM fd and its RAM now belong to the fuzz threads, which may
		 * close and unmap them while the vCPU runs; the vCPU fd too (a
		 * duplicate: this thread keeps reading its run structure).
		 */
		add_fd(vm.fd, FD_VM);
		add_map(vm.ram, vm.mem_size);
		vm.fd = -1;
		vm.ram = NULL;
		add_fd(dup(vcpu.fd), FD_VCPU);
		while (!atomic_load(&stop)) {
			int rc = ioctl(vcpu.fd, PVMX_RUN, 0);

			runs++;
			if (rc < 0 && errno != EINTR && errno != EAGAIN)
				break;
			/* A new VM now and then: more lifecycles under fire. */
			if (runs % 64 == 0)
				break;
			if (rc == 0 && (vcpu.run->exit_reason == PVMX_EXIT_SHUTDOWN ||
					vcpu.run->exit_reason == PVMX_EXIT_CRASH ||
					vcpu.run->exit_reason == PVMX_EXIT_INTERNAL))
				break;
		}
		if (smp) {
			stop_vcpu1(t1);
			pvmx_vcpu_destroy(&vcpu1);
		}
		pvmx_vcpu_destroy(&vcpu);
		pvmx_vm_destroy(&vm);
		pvmx_close(&dev);
	}
	printf("# runner: %lu guests started (%lu with 2 vCPUs), %lu + %lu PVMX_RUN calls\n",
	       guests, smp_guests, runs, atomic_load(&vcpu1_runs));
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

/* Interrupt blocked ioctls (PVMX_RUN) of every thread now and then. */
static void *kicker_thread(void *arg)
{
	int i, n = *(int *)arg;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	while (!atomic_load(&stop)) {
		nanosleep(&ts, NULL);
		for (i = 0; i < n; i++)
			pthread_kill(threads[i], SIGUSR1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	struct pvmx_vmx_info info;
	pthread_t runner, kicker;
	char err[PVMX_ERR_MAX];
	int opt, i, devfd, n, failed = 0;
	struct timespec t0, t1, poll_ts = { 0, 10 * 1000 * 1000 };

	while ((opt = getopt(argc, argv, "s:n:t:g:G:")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			calls_per_thread = strtoul(optarg, NULL, 0);
			break;
		case 't':
			nr_threads = atoi(optarg);
			break;
		case 'g':
			guest_path = optarg;
			break;
		case 'G':
			smp_path = optarg;
			break;
		default:
			fprintf(stderr, "usage: ioctl_fuzz [-s SEED] [-n CALLS] [-t THREADS] [-g GUEST] [-G SMP_GUEST]\n");
			return 2;
		}
	}
	if (nr_threads < 1 || nr_threads > MAX_THREADS)
		nr_threads = 4;
	setvbuf(stdout, NULL, _IOLBF, 0);
	devfd = open("/dev/pvmx", O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		printf("# ioctl_fuzz: no /dev/pvmx: %s\n", strerror(errno));
		return 4;
	}
	if (pvmx_read_file(guest_path, &guest_img, &guest_len, err)) {
		fprintf(stderr, "ioctl_fuzz: %s\n", err);
		return 1;
	}
	if (smp_path && pvmx_read_file(smp_path, &smp_img, &smp_len, err)) {
		fprintf(stderr, "ioctl_fuzz: %s\n", err);
		return 1;
	}
	zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	ro_page = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap((char *)ro_page + 4096, 4096);
	none_page = (char *)ro_page + 4096;
	sigaction(SIGUSR1, &sa, NULL);
	printf("# ioctl_fuzz: seed %lu, %d threads x %lu calls, guest %s%s%s\n",
	       seed, nr_threads, calls_per_thread, guest_path,
	       smp_path ? " and 2-vCPU " : "", smp_path ? smp_path : "");
	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (i = 0; i < nr_threads; i++)
		pthread_create(&threads[i], NULL, fuzz_thread, (void *)(uintptr_t)i);
	pthread_create(&runner, NULL, runner_thread, NULL);
	threads[nr_threads] = runner;
	n = nr_threads + 1;
	pthread_create(&kicker, NULL, kicker_thread, &n);
	/*
	 * The kicker signals every thread of threads[] until it stops: a
	 * joined thread's descriptor may be freed (pthread_kill() on it then
	 * faulted), so the kicker stops before any join.
	 */
	while (atomic_load(&fuzz_threads_done) < nr_threads)
		nanosleep(&poll_ts, NULL);
	atomic_store(&stop, 1);
	pthread_join(kicker, NULL);
	for (i = 0; i < nr_threads; i++)
		pthread_join(threads[i], NULL);
	pthread_join(runner, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	for (i = 0; i < MAX_FDS; i++)
		if (fds[i].kind != FD_FREE)
			close(fds[i].fd);
	for (i = 0; i < MAX_MAPS; i++)
		if (maps[i].addr)
			munmap(maps[i].addr, maps[i].len);

	printf("# ioctl_fuzz: %lu calls in %.1f s (%lu succeeded; EINVAL %lu, EFAULT %lu, ENOTTY %lu, other %lu)\n",
	       atomic_load(&calls), (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       atomic_load(&successes), atomic_load(&errors_by_kind[0]),
	       atomic_load(&errors_by_kind[1]), atomic_load(&errors_by_kind[2]),
	       atomic_load(&errors_by_kind[3]));

	/* Every VM is gone once its last fd and mapping are (release is synchronous). */
	memset(&info, 0, sizeof(info));
	if (ioctl(devfd, PVMX_GET_VMX_INFO, &info)) {
		printf("# ioctl_fuzz: PVMX_GET_VMX_INFO: %s\n", strerror(errno));
		failed = 1;
	} else if (info.nr_vms) {
		printf("# ioctl_fuzz: %u VMs still live after everything was closed\n", info.nr_vms);
		failed = 1;
	}
	close(devfd);
	printf("# ioctl_fuzz: %s\n", failed ? "FAIL" : "ok");
	return failed;
}
