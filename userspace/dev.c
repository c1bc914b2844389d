// SPDX-License-Identifier: GPL-2.0
/*
 * libpvmx: wrappers around the /dev/pvmx, VM and vCPU file descriptors
 * (include/uapi/linux/pvmx.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libpvmx.h"
#include <pvmx/xen_abi.h>

/* The uapi layouts libpvmx was built against (the module pins the same). */
_Static_assert(sizeof(struct pvmx_run) == PVMX_RUN_MMAP_SIZE, "pvmx_run size");
_Static_assert(sizeof(struct pvmx_vmx_info) == 80, "pvmx_vmx_info size");
_Static_assert(sizeof(struct pvmx_memory) == 64, "pvmx_memory size");
_Static_assert(sizeof(struct pvmx_boot_info) == 120, "pvmx_boot_info size");
_Static_assert(sizeof(struct pvmx_regs) == 120, "pvmx_regs size");
_Static_assert(sizeof(struct pvmx_trace_rec) == 112, "pvmx_trace_rec size");
_Static_assert(sizeof(struct pvmx_trace_config) == 64, "pvmx_trace_config size");
_Static_assert(sizeof(struct pvmx_stats) == 16 + 8 * (1 + 2 * PVMX_STATS_EXIT_REASONS +
	       2 * PVMX_STATS_HYPERCALLS + 2 + PVMX_STATS_BATCH_BUCKETS +
	       PVMX_MC_STOP_REASONS + 4 + 16), "pvmx_stats size");

static int errf(char *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int errf(char *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err, PVMX_ERR_MAX, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static const char *dev_path(void)
{
	const char *p = getenv(PVMX_DEVICE_ENV);

	return p && *p ? p : PVMX_DEVICE_PATH;
}

int pvmx_open(struct pvmx_dev *dev, char *err)
{
	const char *path = dev_path();
	int fd, rc, v;

	dev->fd = -1;
	dev->api_version = 0;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ENOENT || rc == -ENODEV || rc == -ENXIO)
			return errf(err, rc, "%s not found: is the module loaded? (modprobe pvmx)",
				    path);
		return errf(err, rc, "%s: %s", path, strerror(-rc));
	}
	v = ioctl(fd, PVMX_GET_API_VERSION, 0);
	if (v < 0) {
		rc = -errno;
		close(fd);
		return errf(err, rc, "%s: PVMX_GET_API_VERSION: %s (not a pvmx device?)",
			    path, strerror(-rc));
	}
	if (v != PVMX_API_VERSION) {
		close(fd);
		return errf(err, -EPROTO, "%s: API version %d, this pvmx needs %d",
			    path, v, PVMX_API_VERSION);
	}
	dev->fd = fd;
	dev->api_version = v;
	return 0;
}

void pvmx_close(struct pvmx_dev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

long pvmx_check_cap(struct pvmx_dev *dev, unsigned cap)
{
	int v = ioctl(dev->fd, PVMX_CHECK_CAP, (unsigned long)cap);

	return v < 0 ? -errno : v;
}

int pvmx_get_vmx_info(struct pvmx_dev *dev, struct pvmx_vmx_info *info, char *err)
{
	memset(info, 0, sizeof(*info));
	if (ioctl(dev->fd, PVMX_GET_VMX_INFO, info) < 0)
		return errf(err, -errno, "PVMX_GET_VMX_INFO: %s", strerror(errno));
	return 0;
}

int pvmx_vm_create(struct pvmx_dev *dev, struct pvmx_vm *vm, char *err)
{
	int fd;

	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
	fd = ioctl(dev->fd, PVMX_CREATE_VM, 0UL);
	if (fd < 0)
		return errf(err, -errno, "PVMX_CREATE_VM: %s", strerror(errno));
	vm->fd = fd;
	return 0;
}

int pvmx_vm_set_memory(struct pvmx_vm *vm, uint64_t size, char *err)
{
	struct pvmx_memory m;
	void *p;

	if (!size || size % PVMX_PAGE_SIZE || size > SIZE_MAX)
		return errf(err, -EINVAL, "memory size %llu is not a positive multiple of %llu",
			    (unsigned long long)size, PVMX_PAGE_SIZE);
	memset(&m, 0, sizeof(m));
	m.size = size;
	if (ioctl(vm->fd, PVMX_SET_MEMORY, &m) < 0) {
		int rc = -errno;

		if (rc == -EINVAL && (size < PVMX_MIN_MEMORY || size > PVMX_MAX_MEMORY))
			return errf(err, rc, "PVMX_SET_MEMORY: %llu MiB refused (pvmx allows %llu MiB .. %llu MiB)",
				    (unsigned long long)(size >> 20), PVMX_MIN_MEMORY >> 20,
				    PVMX_MAX_MEMORY >> 20);
		return errf(err, rc, "PVMX_SET_MEMORY (%llu MiB): %s",
			    (unsigned long long)(size >> 20), strerror(-rc));
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->fd, 0);
	if (p == MAP_FAILED)
		return errf(err, -errno, "mmap of guest memory (%llu MiB): %s",
			    (unsigned long long)(size >> 20), strerror(errno));
	vm->ram = p;
	vm->mem_size = size;
	vm->shared_info_gpa = m.shared_info_gpa;
	return 0;
}

int pvmx_vm_set_boot_info(struct pvmx_vm *vm, const struct pvmx_boot_info *bi,
			  char *err)
{
	if (ioctl(vm->fd, PVMX_SET_BOOT_INFO, bi) < 0)
		return errf(err, -errno, "PVMX_SET_BOOT_INFO: %s", strerror(errno));
	return 0;
}

int pvmx_vm_load_image(struct pvmx_vm *vm, const void *elf, size_t len,
		       const struct pvmx_load_opts *opts,
		       struct pvmx_layout *layout, char *err)
{
	struct pvmx_load_opts o;
	uint64_t i, n;
	int rc;

	if (!vm->ram)
		return errf(err, -EINVAL, "no guest memory (call pvmx_vm_set_memory first)");
	n = vm->mem_size / PVMX_PAGE_SIZE;
	if (!vm->p2m) {
		vm->p2m = malloc(n * sizeof(*vm->p2m));
		if (!vm->p2m)
			return errf(err, -ENOMEM, "out of memory");
		for (i = 0; i < n; i++)
			vm->p2m[i] = (uint32_t)i;
	}
	memset(&o, 0, sizeof(o));
	if (opts)
		o = *opts;
	o.shared_info_gpa = vm->shared_info_gpa;
	o.p2m = vm->p2m;
	rc = pvmx_build_image(elf, len, vm->ram, vm->mem_size, &o, layout, err);
	if (rc)
		return rc;
	return pvmx_vm_set_boot_info(vm, &layout->boot, err);
}

void pvmx_vm_destroy(struct pvmx_vm *vm)
{
	if (vm->ram)
		munmap(vm->ram, vm->mem_size);
	vm->ram = NULL;
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
	free(vm->p2m);
	vm->p2m = NULL;
}

int pvmx_vcpu_create(struct pvmx_vm *vm, unsigned id, struct pvmx_vcpu *vcpu,
		     char *err)
{
	void *p;
	int fd;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->fd = -1;
	fd = ioctl(vm->fd, PVMX_CREATE_VCPU, (unsigned long)id);
	if (fd < 0)
		return errf(err, -errno, "PVMX_CREATE_VCPU %u: %s", id, strerror(errno));
	p = mmap(NULL, PVMX_RUN_MMAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		int rc = -errno;

		close(fd);
		return errf(err, rc, "mmap of vCPU %u run structure: %s", id, strerror(-rc));
	}
	vcpu->fd = fd;
	vcpu->id = id;
	vcpu->run = p;
	return 0;
}

int pvmx_vcpu_get_regs(struct pvmx_vcpu *vcpu, struct pvmx_regs *regs)
{
	return ioctl(vcpu->fd, PVMX_GET_REGS, regs) < 0 ? -errno : 0;
}

int pvmx_vcpu_set_regs(struct pvmx_vcpu *vcpu, const struct pvmx_regs *regs)
{
	return ioctl(vcpu->fd, PVMX_SET_REGS, regs) < 0 ? -errno : 0;
}

int pvmx_vm_raise_event(struct pvmx_vm *vm, uint32_t port_or_virq, bool virq)
{
	struct pvmx_event ev;

	memset(&ev, 0, sizeof(ev));
	if (virq) {
		ev.virq = port_or_virq;
		ev.flags = PVMX_EVENT_VIRQ;
	} else {
		ev.port = port_or_virq;
	}
	return ioctl(vm->fd, PVMX_RAISE_EVENT, &ev) < 0 ? -errno : 0;
}

int pvmx_vm_bind_evtchn(struct pvmx_vm *vm, uint32_t port, bool unbind)
{
	struct pvmx_evtchn_bind b;

	memset(&b, 0, sizeof(b));
	b.port = port;
	b.flags = unbind ? PVMX_BIND_UNBIND : 0;
	return ioctl(vm->fd, PVMX_BIND_EVTCHN, &b) < 0 ? -errno : 0;
}

void *pvmx_vm_map_gnttab(struct pvmx_vm *vm, uint32_t *nr_frames)
{
	uint32_t n = PVMX_GNTTAB_FRAMES;
	void *p = mmap(NULL, n * PVMX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, vm->fd,
		       (off_t)PVMX_GNTTAB_MMAP_OFFSET);

	if (p == MAP_FAILED && errno == EINVAL) {
		/* A module from before the table grew to 64 frames (uapi.rst). */
		n = PVMX_GNTTAB_FRAMES_OLD;
		p = mmap(NULL, n * PVMX_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, vm->fd,
			 (off_t)PVMX_GNTTAB_MMAP_OFFSET);
	}
	if (p == MAP_FAILED)
		return NULL;
	*nr_frames = n;
	return p;
}

size_t pvmx_console_ring_drain(void *ring_page, char *buf, size_t max, bool *bad)
{
	struct xen_console_ring *ring = ring_page;
	uint32_t cons = __atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE);
	uint32_t prod = __atomic_load_n(&ring->out_prod, __ATOMIC_ACQUIRE);
	size_t n = 0;

	*bad = false;
	if (prod - cons > sizeof(ring->out)) {
		*bad = true;
		__atomic_store_n(&ring->out_cons, prod, __ATOMIC_RELEASE);
		return 0;
	}
	while (cons != prod && n < max)
		buf[n++] = ring->out[cons++ % sizeof(ring->out)];
	__atomic_store_n(&ring->out_cons, cons, __ATOMIC_RELEASE);
	return n;
}

int pvmx_vcpu_run(struct pvmx_vcpu *vcpu)
{
	return ioctl(vcpu->fd, PVMX_RUN, 0UL) < 0 ? -errno : 0;
}

void pvmx_vcpu_destroy(struct pvmx_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, PVMX_RUN_MMAP_SIZE);
	vcpu->run = NULL;
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->fd = -1;
}

static int check_stats(struct pvmx_stats *s)
{
	if (s->version != PVMX_STATS_VERSION || s->size != sizeof(*s))
		return -EPROTO;
	return 0;
}

int pvmx_vcpu_get_stats(struct pvmx_vcpu *vcpu, struct pvmx_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	if (ioctl(vcpu->fd, PVMX_GET_STATS, stats) < 0)
		return -errno;
	return check_stats(stats);
}

int pvmx_vm_get_stats(struct pvmx_vm *vm, struct pvmx_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	if (ioctl(vm->fd, PVMX_GET_VM_STATS, stats) < 0)
		return -errno;
	return check_stats(stats);
}

int pvmx_vcpu_set_trace(struct pvmx_vcpu *vcpu, uint32_t flags, uint64_t hypercalls)
{
	struct pvmx_trace_config c;

	memset(&c, 0, sizeof(c));
	c.version = PVMX_TRACE_VERSION;
	c.size = sizeof(c);
	c.flags = flags;
	c.hypercalls = hypercalls;
	return ioctl(vcpu->fd, PVMX_SET_TRACE, &c) < 0 ? -errno : 0;
}
