// SPDX-License-Identifier: GPL-2.0
/*
 * The launcher's back ends; see backend.h.  The xenstore layout is xl's
 * (tools/libs/light/libxl_disk.c, libxl_device.c): the front end's
 * directory /local/domain/<domid>/device/vbd/<devid> owned by the guest
 * and readable by dom0, the back end's /local/domain/0/backend/vbd/
 * <domid>/<devid> owned by dom0 and readable by the guest.  The state
 * machine is Linux's xen-blkback's (drivers/block/xen-blkback/xenbus.c:
 * frontend_changed(), connect_ring(), connect()).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"

unsigned int pvmx_vdev_number(const char *name)
{
	unsigned long v;
	char *end;
	int n;

	if (name[0] >= '1' && name[0] <= '9') {
		errno = 0;
		v = strtoul(name, &end, 10);
		/* libxl: a number is the vbd number itself (below the extended bit's 1 << 28). */
		return errno || *end || v >= 1UL << 28 ? 0 : (unsigned int)v;
	}
	if (!strncmp(name, "xvd", 3) || !strncmp(name, "hd", 2) || !strncmp(name, "sd", 2)) {
		const char *l = name + (name[0] == 'x' ? 3 : 2);

		if (l[0] < 'a' || l[0] > 'z' || l[1])
			return 0;	/* partitions and xvdaa... are not taken */
		n = l[0] - 'a';
		if (name[0] == 'x')
			return n < 16 ? 202 << 8 | n << 4 : 0;
		if (name[0] == 's')
			return n < 16 ? 8 << 8 | n << 4 : 0;
		/* IDE: two disks a controller, majors 3 and 22 for the first two. */
		return n < 4 ? (n < 2 ? 3 : 22) << 8 | (n & 1) << 6 : 0;
	}
	return 0;
}

int pvmx_disk_parse(const char *spec, struct pvmx_disk_opt *o, char *err, size_t errlen)
{
	char *comma;

	memset(o, 0, sizeof(*o));
	if (strlen(spec) >= sizeof(o->path)) {
		snprintf(err, errlen, "--disk: file name too long");
		return -EINVAL;
	}
	strcpy(o->path, spec);
	/* Options from the end, so a file name may hold commas. */
	while ((comma = strrchr(o->path, ','))) {
		if (!strcmp(comma + 1, "ro"))
			o->ro = true;
		else if (!strcmp(comma + 1, "rw"))
			o->ro = false;
		else if (!strcmp(comma + 1, "direct"))
			o->direct = true;
		else if (!strncmp(comma + 1, "vdev=", 5) && !o->devid) {
			o->devid = pvmx_vdev_number(comma + 6);
			if (!o->devid || strlen(comma + 6) >= sizeof(o->vdev)) {
				snprintf(err, errlen,
					 "--disk: vdev=%.32s: want xvd<a..p>, hd<a..d>, sd<a..p> or a vbd number",
					 comma + 6);
				return -EINVAL;
			}
			strcpy(o->vdev, comma + 6);
		} else {
			break;
		}
		*comma = '\0';
	}
	if (!o->path[0]) {
		snprintf(err, errlen, "--disk needs a file name: --disk FILE[,ro][,direct][,vdev=NAME]");
		return -EINVAL;
	}
	return 0;
}

int pvmx_backends_init(struct pvmx_backends *bk, struct pvmx_xs *xs, unsigned int domid,
		       void *gnttab, uint32_t gnttab_frames, void *ram, uint64_t nr_ram_frames,
		       const struct pvmx_backend_ops *ops, FILE *log)
{
	memset(bk, 0, sizeof(*bk));
	bk->xs = xs;
	bk->domid = domid;
	bk->ops = *ops;
	bk->log = log;
	return pvmx_gnttab_init(&bk->gt, gnttab, gnttab_frames, ram, nr_ram_frames);
}

static void vbd_disconnect(struct pvmx_backends *bk, struct pvmx_vbd *d)
{
	if (d->port) {
		bk->ops.bind(bk->ops.ctx, d->port, true);
		d->port = 0;
	}
	pvmx_blkback_disconnect(&d->blk, &bk->gt);
}

void pvmx_backends_fini(struct pvmx_backends *bk)
{
	unsigned int i;

	for (i = 0; i < bk->nr_vbds; i++) {
		pvmx_blkback_disconnect(&bk->vbd[i].blk, &bk->gt);
		close(bk->vbd[i].blk.fd);
	}
	bk->nr_vbds = 0;
	pvmx_vifs_fini(bk);
	pvmx_gnttab_fini(&bk->gt);
}

static int node(struct pvmx_backends *bk, const char *dir, const char *name,
		const char *perms, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int node(struct pvmx_backends *bk, const char *dir, const char *name,
		const char *perms, const char *fmt, ...)
{
	char path[160], value[4200];
	va_list ap;

	snprintf(path, sizeof(path), "%s%s%s", dir, *name ? "/" : "", name);
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	return pvmx_xs_write(bk->xs, path, value, perms);
}

int pvmx_xenbus_switch_state(struct pvmx_backends *bk, struct pvmx_xenbus_dev *xb, int state)
{
	xb->be_state = state;
	return node(bk, xb->be, "state", NULL, "%d", state);
}

int pvmx_xenbus_bind(struct pvmx_backends *bk, uint32_t port, char *why, size_t len)
{
	int rc = bk->ops.bind(bk->ops.ctx, port, false);

	if (rc)
		snprintf(why, len, "event-channel %u: not a port allocated for domain 0 (%s)",
			 port, strerror(-rc));
	return rc;
}

static int switch_state(struct pvmx_backends *bk, struct pvmx_vbd *d, int state)
{
	return pvmx_xenbus_switch_state(bk, &d->xb, state);
}

static void vbd_connect(struct pvmx_backends *bk, struct pvmx_vbd *d);

static void vbd_xb_connect(struct pvmx_backends *bk, struct pvmx_xenbus_dev *xb)
{
	vbd_connect(bk, pvmx_container_of(xb, struct pvmx_vbd, xb));
}

static void vbd_xb_disconnect(struct pvmx_backends *bk, struct pvmx_xenbus_dev *xb)
{
	vbd_disconnect(bk, pvmx_container_of(xb, struct pvmx_vbd, xb));
}

int pvmx_backends_add_disk(struct pvmx_backends *bk, const struct pvmx_disk_opt *o,
			   char *err, size_t errlen)
{
	struct pvmx_vbd *d;
	struct stat st;
	uint64_t bytes;
	char beperm[32], feperm[32], dev[16];
	unsigned int devid, i;
	int fd, rc = 0;

	if (bk->nr_vbds == PVMX_MAX_DISKS) {
		snprintf(err, errlen, "--disk: at most %d disks", PVMX_MAX_DISKS);
		return -E2BIG;
	}
	devid = o->devid ? o->devid : PVMX_VBD_XVDA + 16 * bk->nr_vbds;
	for (i = 0; i < bk->nr_vbds; i++) {
		if (bk->vbd[i].devid == devid) {
			snprintf(err, errlen, "--disk %s: vbd %u is %s's already (vdev=)", o->path,
				 devid, bk->vbd[i].opt.path);
			return -EEXIST;
		}
	}
	if (o->vdev[0])
		snprintf(dev, sizeof(dev), "%s", o->vdev);
	else
		snprintf(dev, sizeof(dev), "xvd%c", 'a' + bk->nr_vbds);
	fd = open(o->path, (o->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | (o->direct ? O_DIRECT : 0));
	if (fd < 0 || fstat(fd, &st)) {
		rc = -errno;
		if (o->direct && errno == EINVAL)
			snprintf(err, errlen, "--disk %s: the file system does not support O_DIRECT (drop ,direct)",
				 o->path);
		else
			snprintf(err, errlen, "--disk %s: %s", o->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes))
			bytes = 0;
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else {
		snprintf(err, errlen, "--disk %s: not a file or block device", o->path);
		close(fd);
		return -EINVAL;
	}
	if (bytes < 512) {
		snprintf(err, errlen, "--disk %s: smaller than one 512-byte sector", o->path);
		close(fd);
		return -EINVAL;
	}
	d = &bk->vbd[bk->nr_vbds];
	memset(d, 0, sizeof(*d));
	d->xb.connect = vbd_xb_connect;
	d->xb.disconnect = vbd_xb_disconnect;
	d->opt = *o;
	d->blk.fd = fd;
	d->blk.ro = o->ro;
	d->blk.sectors = bytes >> BLKIF_SECTOR_SHIFT;
	d->blk.discard = S_ISREG(st.st_mode) && !o->ro;
	d->devid = devid;
	snprintf(d->xb.be, sizeof(d->xb.be), "/local/domain/0/backend/vbd/%u/%u", bk->domid, d->devid);
	snprintf(d->xb.fe, sizeof(d->xb.fe), "/local/domain/%u/device/vbd/%u", bk->domid, d->devid);
	snprintf(beperm, sizeof(beperm), "n0 r%u", bk->domid);
	snprintf(feperm, sizeof(feperm), "n%u r0", bk->domid);

	/* libxl__device_disk_add(): back end first, then the front end. */
	rc = rc ? rc : node(bk, d->xb.be, "", beperm, "%s", "");
	rc = rc ? rc : node(bk, d->xb.be, "frontend", beperm, "%s", d->xb.fe);
	rc = rc ? rc : node(bk, d->xb.be, "frontend-id", beperm, "%u", bk->domid);
	rc = rc ? rc : node(bk, d->xb.be, "online", beperm, "1");
	rc = rc ? rc : node(bk, d->xb.be, "removable", beperm, "0");
	rc = rc ? rc : node(bk, d->xb.be, "bootable", beperm, "1");
	rc = rc ? rc : node(bk, d->xb.be, "type", beperm, "%s", S_ISBLK(st.st_mode) ? "phy" : "file");
	rc = rc ? rc : node(bk, d->xb.be, "params", beperm, "%s", o->path);
	rc = rc ? rc : node(bk, d->xb.be, "mode", beperm, "%s", o->ro ? "r" : "w");
	rc = rc ? rc : node(bk, d->xb.be, "device-type", beperm, "disk");
	rc = rc ? rc : node(bk, d->xb.be, "dev", beperm, "%s", dev);
	rc = rc ? rc : node(bk, d->xb.be, "state", beperm, "%d", XenbusStateInitialising);
	rc = rc ? rc : node(bk, d->xb.fe, "", feperm, "%s", "");
	rc = rc ? rc : node(bk, d->xb.fe, "backend", feperm, "%s", d->xb.be);
	rc = rc ? rc : node(bk, d->xb.fe, "backend-id", feperm, "0");
	rc = rc ? rc : node(bk, d->xb.fe, "virtual-device", feperm, "%u", d->devid);
	rc = rc ? rc : node(bk, d->xb.fe, "device-type", feperm, "disk");
	rc = rc ? rc : node(bk, d->xb.fe, "state", feperm, "%d", XenbusStateInitialising);
	/* blkback's probe: its features, then InitWait. */
	rc = rc ? rc : node(bk, d->xb.be, "feature-flush-cache", NULL, "1");
	rc = rc ? rc : node(bk, d->xb.be, "feature-barrier", NULL, "1");
	/* xen-blkback's connect(): indirect descriptors (blkback.c). */
	rc = rc ? rc : node(bk, d->xb.be, "feature-max-indirect-segments", NULL, "%u",
			    PVMX_BLKIF_MAX_INDIRECT_SEGMENTS);
	if (d->blk.discard) {
		rc = rc ? rc : node(bk, d->xb.be, "feature-discard", NULL, "1");
		rc = rc ? rc : node(bk, d->xb.be, "discard-granularity", NULL, "4096");
		rc = rc ? rc : node(bk, d->xb.be, "discard-alignment", NULL, "0");
		rc = rc ? rc : node(bk, d->xb.be, "discard-secure", NULL, "0");
	}
	rc = rc ? rc : switch_state(bk, d, XenbusStateInitWait);
	if (rc) {
		snprintf(err, errlen, "--disk %s: xenstore: %s", o->path, strerror(-rc));
		close(fd);
		return rc;
	}
	bk->nr_vbds++;
	return 0;
}

static bool read_uint(struct pvmx_backends *bk, const char *dir, const char *name,
		      uint32_t *val)
{
	char path[160], buf[32], *end;
	unsigned long v;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (pvmx_xs_read(bk->xs, path, buf, sizeof(buf)))
		return false;
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || end == buf || *end || v > UINT32_MAX)
		return false;
	*val = (uint32_t)v;
	return true;
}

/* xenbus_dev_fatal(): say why, and close our end. */
static void vbd_fatal(struct pvmx_backends *bk, struct pvmx_vbd *d, const char *why)
{
	fprintf(bk->log, "pvmx: vbd %u (%s): %s: the device is closed\n", d->devid,
		d->opt.path, why);
	vbd_disconnect(bk, d);
	switch_state(bk, d, XenbusStateClosing);
}

/* connect_ring() and connect(). */
static void vbd_connect(struct pvmx_backends *bk, struct pvmx_vbd *d)
{
	char path[160], proto[32], why[200];
	uint32_t ref, port, order;

	vbd_disconnect(bk, d);
	if (!read_uint(bk, d->xb.fe, "ring-ref", &ref) ||
	    !read_uint(bk, d->xb.fe, "event-channel", &port)) {
		vbd_fatal(bk, d, "front end wrote no valid ring-ref/event-channel");
		return;
	}
	if (read_uint(bk, d->xb.fe, "ring-page-order", &order) && order) {
		vbd_fatal(bk, d, "multi-page rings are not offered (ring-page-order)");
		return;
	}
	snprintf(path, sizeof(path), "%s/protocol", d->xb.fe);
	if (!pvmx_xs_read(bk->xs, path, proto, sizeof(proto)) && strcmp(proto, "x86_32-abi")) {
		snprintf(why, sizeof(why), "unknown protocol \"%s\"", proto);
		vbd_fatal(bk, d, why);
		return;
	}
	if (pvmx_blkback_connect(&d->blk, &bk->gt, ref)) {
		vbd_fatal(bk, d, d->blk.why);
		return;
	}
	if (pvmx_xenbus_bind(bk, port, why, sizeof(why))) {
		vbd_fatal(bk, d, why);
		return;
	}
	d->port = port;
	d->raise_failed = false;
	node(bk, d->xb.be, "sectors", NULL, "%" PRIu64, d->blk.sectors);
	node(bk, d->xb.be, "info", NULL, "%u", d->opt.ro ? VDISK_READONLY : 0);
	node(bk, d->xb.be, "sector-size", NULL, "512");
	node(bk, d->xb.be, "physical-sector-size", NULL, "512");
	switch_state(bk, d, XenbusStateConnected);
}

bool pvmx_xenbus_frontend_changed(struct pvmx_backends *bk, struct pvmx_xenbus_dev *xb)
{
	uint32_t fe;
	int before = xb->be_state;

	if (!read_uint(bk, xb->fe, "state", &fe))
		fe = XenbusStateUnknown;
	switch (fe) {
	case XenbusStateInitialising:
		if (xb->be_state == XenbusStateClosed)
			pvmx_xenbus_switch_state(bk, xb, XenbusStateInitWait);	/* reconnect */
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (xb->be_state == XenbusStateInitWait)
			xb->connect(bk, xb);
		break;
	case XenbusStateClosing:
		if (xb->be_state != XenbusStateClosing && xb->be_state != XenbusStateClosed)
			pvmx_xenbus_switch_state(bk, xb, XenbusStateClosing);
		break;
	case XenbusStateClosed:
	case XenbusStateUnknown:
		if (xb->be_state != XenbusStateClosed) {
			xb->disconnect(bk, xb);
			pvmx_xenbus_switch_state(bk, xb, XenbusStateClosed);
		}
		break;
	default:
		break;
	}
	return xb->be_state != before;
}

bool pvmx_backends_poll(struct pvmx_backends *bk)
{
	bool changed = false;
	unsigned int i;

	for (i = 0; i < bk->nr_vbds; i++)
		changed |= pvmx_xenbus_frontend_changed(bk, &bk->vbd[i].xb);
	for (i = 0; i < bk->nr_vifs; i++)
		changed |= pvmx_xenbus_frontend_changed(bk, &bk->vif[i]->xb);
	return changed;
}

bool pvmx_backends_notify(struct pvmx_backends *bk, uint32_t port, bool *store_changed)
{
	struct pvmx_vbd *d;
	unsigned int i;
	int rc;

	*store_changed = false;
	for (i = 0; i < bk->nr_vbds; i++) {
		d = &bk->vbd[i];
		if (!port || d->port != port)
			continue;
		if (pvmx_blkback_service(&d->blk, &bk->gt)) {
			rc = bk->ops.raise(bk->ops.ctx, port);
			/* Once per connection: the guest may have closed the port. */
			if (rc && !d->raise_failed)
				fprintf(bk->log, "pvmx: vbd %u: PVMX_RAISE_EVENT on port %u: %s\n",
					d->devid, port, strerror(-rc));
			d->raise_failed |= rc != 0;
		}
		if (d->blk.broken) {
			vbd_fatal(bk, d, d->blk.why);
			*store_changed = true;
		}
		return true;
	}
	return pvmx_vifs_notify(bk, port, store_changed);
}

int pvmx_backend_write(struct pvmx_backends *bk, const char *dir, const char *name,
		       const char *perms, const char *value)
{
	return node(bk, dir, name, perms, "%s", value);
}

bool pvmx_backend_read_uint(struct pvmx_backends *bk, const char *dir, const char *name,
			    uint32_t *val)
{
	return read_uint(bk, dir, name, val);
}
