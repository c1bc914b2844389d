// SPDX-License-Identifier: GPL-2.0
/*
 * The launcher's network interfaces (--net tap=NAME): the tap, the
 * xenstore directories xl writes for a vif (tools/libs/light/libxl_nic.c:
 * backend/vif/<domid>/<devid> and device/vif/<devid>, mac and handle in
 * both), the features and state machine of Linux's xen-netback
 * (drivers/net/xen-netback/xenbus.c: netback_probe(), frontend_changed(),
 * connect_rings(), connect_data_rings()), and the rings of netback.c.
 * Offered: feature-rx-copy, feature-sg (multi-slot tx frames); not
 * offered: GSO, split event channels, multiple queues, rx flip.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "backend.h"

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int i, v;
	char *end;

	for (i = 0; i < 6; i++) {
		if (!((s[0] >= '0' && s[0] <= '9') || (s[0] >= 'a' && s[0] <= 'f') ||
		      (s[0] >= 'A' && s[0] <= 'F')))
			return -EINVAL;
		v = (unsigned int)strtoul(s, &end, 16);
		if (end - s != 2 || v > 0xFF || (i < 5 ? *end != ':' : *end != '\0'))
			return -EINVAL;
		mac[i] = (uint8_t)v;
		s = end + 1;
	}
	/* A unicast address: the group bit clear, as xl requires. */
	return mac[0] & 1 ? -EINVAL : 0;
}

int pvmx_net_parse(const char *spec, struct pvmx_net_opt *o, char *err, size_t errlen)
{
	char buf[256], *tok, *save = NULL;

	memset(o, 0, sizeof(*o));
	o->fd_in = o->fd_out = -1;
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "--net: option too long");
		return -EINVAL;
	}
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "tap=", 4)) {
			if (!tok[4] || strlen(tok + 4) >= sizeof(o->tap) || strchr(tok + 4, '/')) {
				snprintf(err, errlen,
					 "--net tap=NAME: an interface name of 1 to %zu characters",
					 sizeof(o->tap) - 1);
				return -EINVAL;
			}
			strcpy(o->tap, tok + 4);
		} else if (!strncmp(tok, "fd=", 3)) {
			char *end;
			long r, w;

			errno = 0;
			r = strtol(tok + 3, &end, 10);
			w = r;
			if (*end == ':')
				w = strtol(end + 1, &end, 10);
			if (errno || end == tok + 3 || *end || r < 0 || w < 0 || r > 65535 ||
			    w > 65535) {
				snprintf(err, errlen, "--net fd=R[:W]: descriptor numbers, not \"%s\"",
					 tok + 3);
				return -EINVAL;
			}
			o->fd_in = (int)r;
			o->fd_out = (int)w;
		} else if (!strncmp(tok, "mac=", 4)) {
			if (parse_mac(tok + 4, o->mac)) {
				snprintf(err, errlen,
					 "--net mac=%s: want six hex bytes XX:XX:XX:XX:XX:XX, unicast",
					 tok + 4);
				return -EINVAL;
			}
			o->mac_set = true;
		} else {
			snprintf(err, errlen,
				 "--net: unknown option \"%s\" (tap=NAME|fd=R[:W][,mac=MAC])", tok);
			return -EINVAL;
		}
	}
	if (!o->tap[0] == (o->fd_in < 0)) {
		snprintf(err, errlen,
			 "--net needs a tap or descriptors, one of them: --net tap=NAME|fd=R[:W][,mac=MAC]");
		return -EINVAL;
	}
	return 0;
}

int pvmx_tap_open(const char *name, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, rc;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "--net tap=%s: /dev/net/tun: %s", name, strerror(errno));
		return rc;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		rc = -errno;
		snprintf(err, errlen, "--net tap=%s: TUNSETIFF: %s", name, strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

static int vnode(struct pvmx_backends *bk, const char *dir, const char *name,
		 const char *perms, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int vnode(struct pvmx_backends *bk, const char *dir, const char *name,
		 const char *perms, const char *fmt, ...)
{
	char value[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	return pvmx_backend_write(bk, dir, name, perms, value);
}

static int switch_state(struct pvmx_backends *bk, struct pvmx_vif *v, int state)
{
	return pvmx_xenbus_switch_state(bk, &v->xb, state);
}

static void vif_connect(struct pvmx_backends *bk, struct pvmx_vif *v);
static void vif_disconnect(struct pvmx_backends *bk, struct pvmx_vif *v);

static void vif_xb_connect(struct pvmx_backends *bk, struct pvmx_xenbus_dev *xb)
{
	vif_connect(bk, pvmx_container_of(xb, struct pvmx_vif, xb));
}

static void vif_xb_disconnect(struct pvmx_backends *bk, struct pvmx_xenbus_dev *xb)
{
	vif_disconnect(bk, pvmx_container_of(xb, struct pvmx_vif, xb));
}

int pvmx_backends_add_vif(struct pvmx_backends *bk, const struct pvmx_net_opt *o, int fd,
			  int out_fd, char *err, size_t errlen)
{
	char beperm[32], feperm[32], mac[18];
	struct pvmx_vif *v;
	int rc = 0;

	if (bk->nr_vifs == PVMX_MAX_NICS) {
		snprintf(err, errlen, "--net: at most %d interfaces", PVMX_MAX_NICS);
		return -E2BIG;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "--net: out of memory");
		return -ENOMEM;
	}
	v->xb.connect = vif_xb_connect;
	v->xb.disconnect = vif_xb_disconnect;
	v->opt = *o;
	v->fd = fd;
	v->out_fd = out_fd;
	if (o->tap[0])
		snprintf(v->name, sizeof(v->name), "tap %s", o->tap);
	else
		snprintf(v->name, sizeof(v->name), "fd %d:%d", fd, out_fd);
	v->nb.sg = true;
	if (!v->opt.mac_set) {
		/* libxl__device_nic_setdefault(): Xen's OUI and three random bytes. */
		v->opt.mac[0] = 0x00;
		v->opt.mac[1] = 0x16;
		v->opt.mac[2] = 0x3e;
		if (getrandom(v->opt.mac + 3, 3, 0) != 3)
			v->opt.mac[5] = (uint8_t)bk->nr_vifs;
		v->opt.mac[3] &= 0x7f;
	}
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", v->opt.mac[0],
		 v->opt.mac[1], v->opt.mac[2], v->opt.mac[3], v->opt.mac[4], v->opt.mac[5]);
	v->devid = bk->nr_vifs;
	snprintf(v->xb.be, sizeof(v->xb.be), "/local/domain/0/backend/vif/%u/%u", bk->domid, v->devid);
	snprintf(v->xb.fe, sizeof(v->xb.fe), "/local/domain/%u/device/vif/%u", bk->domid, v->devid);
	snprintf(beperm, sizeof(beperm), "n0 r%u", bk->domid);
	snprintf(feperm, sizeof(feperm), "n%u r0", bk->domid);

	/* libxl__device_nic_add(): back end first, then the front end. */
	rc = rc ? rc : vnode(bk, v->xb.be, "", beperm, "%s", "");
	rc = rc ? rc : vnode(bk, v->xb.be, "frontend", beperm, "%s", v->xb.fe);
	rc = rc ? rc : vnode(bk, v->xb.be, "frontend-id", beperm, "%u", bk->domid);
	rc = rc ? rc : vnode(bk, v->xb.be, "online", beperm, "1");
	rc = rc ? rc : vnode(bk, v->xb.be, "state", beperm, "%d", XenbusStateInitialising);
	rc = rc ? rc : vnode(bk, v->xb.be, "mac", beperm, "%s", mac);
	rc = rc ? rc : vnode(bk, v->xb.be, "handle", beperm, "%u", v->devid);
	rc = rc ? rc : vnode(bk, v->xb.be, "type", beperm, "vif");
	rc = rc ? rc : vnode(bk, v->xb.fe, "", feperm, "%s", "");
	rc = rc ? rc : vnode(bk, v->xb.fe, "backend", feperm, "%s", v->xb.be);
	rc = rc ? rc : vnode(bk, v->xb.fe, "backend-id", feperm, "0");
	rc = rc ? rc : vnode(bk, v->xb.fe, "state", feperm, "%d", XenbusStateInitialising);
	rc = rc ? rc : vnode(bk, v->xb.fe, "handle", feperm, "%u", v->devid);
	rc = rc ? rc : vnode(bk, v->xb.fe, "mac", feperm, "%s", mac);
	/* netback_probe(): its features; the hotplug step done at once; InitWait. */
	rc = rc ? rc : vnode(bk, v->xb.be, "feature-sg", NULL, "%d", v->nb.sg);
	rc = rc ? rc : vnode(bk, v->xb.be, "feature-gso-tcpv4", NULL, "0");
	rc = rc ? rc : vnode(bk, v->xb.be, "feature-gso-tcpv6", NULL, "0");
	rc = rc ? rc : vnode(bk, v->xb.be, "feature-ipv6-csum-offload", NULL, "0");
	rc = rc ? rc : vnode(bk, v->xb.be, "feature-rx-copy", NULL, "1");
	rc = rc ? rc : vnode(bk, v->xb.be, "feature-rx-flip", NULL, "0");
	rc = rc ? rc : vnode(bk, v->xb.be, "hotplug-status", NULL, "connected");
	rc = rc ? rc : switch_state(bk, v, XenbusStateInitWait);
	if (rc) {
		snprintf(err, errlen, "--net (%s): xenstore: %s", v->name, strerror(-rc));
		free(v);
		return rc;
	}
	bk->vif[bk->nr_vifs++] = v;
	return 0;
}

static void vif_disconnect(struct pvmx_backends *bk, struct pvmx_vif *v)
{
	if (v->port) {
		bk->ops.bind(bk->ops.ctx, v->port, true);
		v->port = 0;
	}
	pvmx_netback_disconnect(&v->nb, &bk->gt);
	v->pending_len = 0;
}

void pvmx_vifs_fini(struct pvmx_backends *bk)
{
	unsigned int i;

	for (i = 0; i < bk->nr_vifs; i++) {
		pvmx_netback_disconnect(&bk->vif[i]->nb, &bk->gt);
		if (bk->vif[i]->out_fd != bk->vif[i]->fd)
			close(bk->vif[i]->out_fd);
		close(bk->vif[i]->fd);
		free(bk->vif[i]);
		bk->vif[i] = NULL;
	}
	bk->nr_vifs = 0;
}

/* xenbus_dev_fatal(): say why, and close our end. */
static void vif_fatal(struct pvmx_backends *bk, struct pvmx_vif *v, const char *why)
{
	fprintf(bk->log, "pvmx: vif %u (%s): %s: the device is closed\n", v->devid, v->name,
		why);
	vif_disconnect(bk, v);
	switch_state(bk, v, XenbusStateClosing);
}

/* connect_rings() and connect_data_rings(), then connect(). */
static void vif_connect(struct pvmx_backends *bk, struct pvmx_vif *v)
{
	uint32_t tx, rx, port, val;
	char why[200];

	vif_disconnect(bk, v);
	if (!pvmx_backend_read_uint(bk, v->xb.fe, "request-rx-copy", &val) || val != 1) {
		vif_fatal(bk, v, "front end did not ask for request-rx-copy (rx flip is not offered)");
		return;
	}
	/*
	 * feature-rx-notify is not required: Linux's xen-netback refuses a
	 * front end without it (since 3.19), but QEMU's xen_nic.c does not
	 * read it, and Mini-OS's netfront (which does notify as req_event asks,
	 * RING_PUSH_REQUESTS_AND_CHECK_NOTIFY) does not write it.  The back end
	 * sets req_event when a frame waits either way (netback.c) and retries
	 * the waiting frame on the front end's next notification.
	 */
	if (pvmx_backend_read_uint(bk, v->xb.fe, "multi-queue-num-queues", &val) && val > 1) {
		vif_fatal(bk, v, "multi-queue-num-queues: one queue is offered");
		return;
	}
	if (!pvmx_backend_read_uint(bk, v->xb.fe, "tx-ring-ref", &tx) ||
	    !pvmx_backend_read_uint(bk, v->xb.fe, "rx-ring-ref", &rx)) {
		vif_fatal(bk, v, "front end wrote no valid tx-ring-ref/rx-ring-ref");
		return;
	}
	if (!pvmx_backend_read_uint(bk, v->xb.fe, "event-channel", &port)) {
		vif_fatal(bk, v, "front end wrote no valid event-channel (split channels are not offered)");
		return;
	}
	if (pvmx_netback_connect(&v->nb, &bk->gt, tx, rx)) {
		vif_fatal(bk, v, v->nb.why);
		return;
	}
	if (pvmx_xenbus_bind(bk, port, why, sizeof(why))) {
		vif_fatal(bk, v, why);
		return;
	}
	v->port = port;
	v->raise_failed = false;
	v->grant_error_said = false;
	switch_state(bk, v, XenbusStateConnected);
}

static void vif_raise(struct pvmx_backends *bk, struct pvmx_vif *v)
{
	int rc = bk->ops.raise(bk->ops.ctx, v->port);

	/* Once per connection: the guest may have closed the port. */
	if (rc && !v->raise_failed)
		fprintf(bk->log, "pvmx: vif %u: PVMX_RAISE_EVENT on port %u: %s\n", v->devid,
			v->port, strerror(-rc));
	v->raise_failed |= rc != 0;
}

/* A bad grant costs the frame, not the device: say so once per connection. */
static void say_grant_error(struct pvmx_backends *bk, struct pvmx_vif *v)
{
	if (v->nb.last_grant_error && !v->grant_error_said)
		fprintf(bk->log, "pvmx: vif %u: a frame dropped: %s (said once)\n", v->devid,
			v->nb.last_grant_error);
	v->grant_error_said |= v->nb.last_grant_error != NULL;
}

/* A frame from the guest: write it to the tap whole (a short write is an error). */
static int tap_out(void *ctx, const uint8_t *frame, size_t len)
{
	struct pvmx_vif *v = ctx;
	ssize_t n;

	do
		n = write(v->out_fd, frame, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Deliver the waiting frame and then more from the fd; *notify as pvmx_netback_rx(). */
static void vif_rx(struct pvmx_backends *bk, struct pvmx_vif *v, bool *notify,
		   bool *store_changed)
{
	bool n;
	ssize_t got;
	int rc;

	/* At most a ring's worth a call: the caller comes back when the fd is readable. */
	for (unsigned int i = 0; i < NETIF_RX_RING_SIZE && v->nb.rx && !v->nb.broken; i++) {
		if (!v->pending_len) {
			got = read(v->fd, v->pending, sizeof(v->pending));
			if ((!got || (got < 0 && errno != EAGAIN && errno != EINTR)) &&
			    !v->tap_failed) {
				/* The tap or peer went away: stop polling it rather than spin. */
				fprintf(bk->log, "pvmx: vif %u: reading %s: %s: no more frames to the guest\n",
					v->devid, v->name, got ? strerror(errno) : "end of file");
				v->tap_failed = true;
			}
			if (got <= 0)
				break;
			v->pending_len = (size_t)got;
		}
		rc = pvmx_netback_rx(&v->nb, &bk->gt, v->pending, v->pending_len, &n);
		*notify |= n;
		if (rc <= 0)
			break;
		v->pending_len = 0;
	}
	say_grant_error(bk, v);
	if (v->nb.broken && v->xb.be_state == XenbusStateConnected) {
		vif_fatal(bk, v, v->nb.why);
		*store_changed = true;
	}
}

bool pvmx_vifs_notify(struct pvmx_backends *bk, uint32_t port, bool *store_changed)
{
	struct pvmx_vif *v;
	bool notify;
	unsigned int i;

	*store_changed = false;
	for (i = 0; i < bk->nr_vifs; i++) {
		v = bk->vif[i];
		if (!port || v->port != port)
			continue;
		notify = pvmx_netback_tx(&v->nb, &bk->gt, tap_out, v);
		say_grant_error(bk, v);
		if (v->nb.broken) {
			vif_fatal(bk, v, v->nb.why);
			*store_changed = true;
			return true;
		}
		/* The guest may have posted rx buffers: a waiting frame goes now. */
		if (v->pending_len)
			vif_rx(bk, v, &notify, store_changed);
		if (notify && v->port)
			vif_raise(bk, v);
		return true;
	}
	return false;
}

bool pvmx_vif_input(struct pvmx_backends *bk, unsigned int i, bool *store_changed)
{
	struct pvmx_vif *v;
	bool notify = false;

	*store_changed = false;
	if (i >= bk->nr_vifs)
		return false;
	v = bk->vif[i];
	if (!v->nb.rx || v->nb.broken)
		return false;
	vif_rx(bk, v, &notify, store_changed);
	if (notify && v->port)
		vif_raise(bk, v);
	return v->pending_len != 0;
}

bool pvmx_vif_wants_input(struct pvmx_backends *bk, unsigned int i)
{
	return i < bk->nr_vifs && bk->vif[i]->nb.rx && !bk->vif[i]->nb.broken &&
	       !bk->vif[i]->pending_len && !bk->vif[i]->tap_failed;
}
