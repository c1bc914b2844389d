/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The launcher's PV back ends (it plays dom0): devices set up in the
 * xenstore as xl sets them up (backend and frontend directories, the
 * XenbusState handshake), grant access (gnttab.h), the event channel the
 * front end allocated for domain 0 (bound with PVMX_BIND_EVTCHN) and the
 * ring served on each notification: block devices (blkif.h) and network
 * interfaces (netif.h, vif.c).  See Documentation/devices.rst.
 *
 * Not thread-safe: the launcher calls it under its store lock.
 */
#ifndef PVMX_BACKEND_H
#define PVMX_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "blkif.h"
#include "gnttab.h"
#include "netif.h"
#include "xenstore.h"

#define PVMX_MAX_DISKS		16
#define PVMX_VBD_XVDA		51712	/* xl's vbd number of xvda (202 << 8) */

/* XenbusState (xen/include/public/io/xenbus.h). */
enum {
	XenbusStateUnknown = 0,
	XenbusStateInitialising = 1,
	XenbusStateInitWait = 2,
	XenbusStateInitialised = 3,
	XenbusStateConnected = 4,
	XenbusStateClosing = 5,
	XenbusStateClosed = 6,
	XenbusStateReconfiguring = 7,
	XenbusStateReconfigured = 8,
};

struct pvmx_backends;

#define pvmx_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/*
 * A device's xenbus side: its two directories and the back end's state,
 * which pvmx_xenbus_frontend_changed() drives from the front end's as
 * Linux's xen-blkback and xen-netback do (frontend_changed()): connect on
 * Initialised/Connected from InitWait, Closing on Closing, disconnect and
 * Closed on Closed (or a vanished front end), InitWait again on
 * Initialising after Closed.
 */
struct pvmx_xenbus_dev {
	char be[96], fe[96];		/* backend and frontend directories */
	int be_state;
	void (*connect)(struct pvmx_backends *bk, struct pvmx_xenbus_dev *xb);
	void (*disconnect)(struct pvmx_backends *bk, struct pvmx_xenbus_dev *xb);
};
/* Write the back end's state node: 0 or -errno. */
int pvmx_xenbus_switch_state(struct pvmx_backends *bk, struct pvmx_xenbus_dev *xb, int state);
/* Bind the front end's event channel to the launcher: 0, or -errno with why set. */
int pvmx_xenbus_bind(struct pvmx_backends *bk, uint32_t port, char *why, size_t len);
/* Follow the front end's state once; true when the back end's changed. */
bool pvmx_xenbus_frontend_changed(struct pvmx_backends *bk, struct pvmx_xenbus_dev *xb);

/* --disk FILE[,ro][,direct][,vdev=NAME] */
struct pvmx_disk_opt {
	char path[4096];
	bool ro;
	bool direct;		/* O_DIRECT instead of the page cache */
	char vdev[16];		/* xl's vdev= (xvdb, hda, sdc, 768), "" by default */
	unsigned int devid;	/* its vbd number, 0 without vdev= */
};
/* 0, or -EINVAL with err (PVMX_ERR_MAX-sized) saying why. */
int pvmx_disk_parse(const char *spec, struct pvmx_disk_opt *o, char *err, size_t errlen);
/*
 * A vdev name's vbd number as libxl's libxl__device_disk_dev_number()
 * gives it for a whole disk: xvd<a..p> 202 << 8 | n << 4, hd<a..d> 3 << 8
 * (hda, hdb: | 64) and 22 << 8 (hdc, hdd), sd<a..p> 8 << 8 | n << 4, or a
 * decimal vbd number.  0 for a name it does not take.
 */
unsigned int pvmx_vdev_number(const char *name);

struct pvmx_vbd {
	struct pvmx_blkback blk;
	struct pvmx_disk_opt opt;
	unsigned int devid;
	struct pvmx_xenbus_dev xb;
	uint32_t port;			/* bound event channel, 0: none */
	bool raise_failed;		/* said so once this connection */
};

/* --net tap=NAME|fd=R[:W][,mac=XX:XX:XX:XX:XX:XX] (vif.c) */
#define PVMX_MAX_NICS		4
struct pvmx_net_opt {
	char tap[16];			/* IFNAMSIZ; "" with fd= */
	int fd_in, fd_out;		/* fd=R[:W]: inherited descriptors, else -1 */
	uint8_t mac[6];
	bool mac_set;			/* else xl's: 00:16:3e and three random bytes */
};
/* 0, or -EINVAL with err saying why. */
int pvmx_net_parse(const char *spec, struct pvmx_net_opt *o, char *err, size_t errlen);
/* Open (or create) tap NAME, IFF_TAP | IFF_NO_PI, non-blocking: the fd or -errno with err. */
int pvmx_tap_open(const char *name, char *err, size_t errlen);

struct pvmx_vif {
	struct pvmx_netback nb;
	struct pvmx_net_opt opt;
	int fd;				/* the tap, or any fd keeping frame boundaries */
	int out_fd;			/* where frames from the guest go (fd for a tap) */
	char name[24];			/* "tap NAME" or "fd R:W", for messages */
	unsigned int devid;
	struct pvmx_xenbus_dev xb;
	uint32_t port;
	bool raise_failed;
	bool grant_error_said;		/* a bad grant said once per connection */
	bool tap_failed;		/* reading fd failed: it is not polled */
	size_t pending_len;		/* a frame read from fd, waiting for a buffer */
	uint8_t pending[65536];
};

/* How the back ends reach the VM (PVMX_BIND_EVTCHN, PVMX_RAISE_EVENT). */
struct pvmx_backend_ops {
	int (*bind)(void *ctx, uint32_t port, bool unbind);	/* 0 or -errno */
	int (*raise)(void *ctx, uint32_t port);			/* 0 or -errno */
	void *ctx;
};

struct pvmx_backends {
	struct pvmx_xs *xs;
	unsigned int domid;
	struct pvmx_gnttab gt;
	struct pvmx_backend_ops ops;
	FILE *log;			/* messages about misbehaving front ends */
	unsigned int nr_vbds;
	struct pvmx_vbd vbd[PVMX_MAX_DISKS];
	unsigned int nr_vifs;
	struct pvmx_vif *vif[PVMX_MAX_NICS];
};

/* gnttab: the mapped grant frames; ram: guest RAM by machine frame.  0 or -errno. */
int pvmx_backends_init(struct pvmx_backends *bk, struct pvmx_xs *xs, unsigned int domid,
		       void *gnttab, uint32_t gnttab_frames, void *ram, uint64_t nr_ram_frames,
		       const struct pvmx_backend_ops *ops, FILE *log);
void pvmx_backends_fini(struct pvmx_backends *bk);

/*
 * Open the disk and write its xenstore nodes as xl does, back end in
 * InitWait (the hotplug step done at once).  The i-th disk is xvd<a+i>
 * (vbd 51712 + 16 i) unless its vdev= names it; two disks may not share a
 * vbd number.  0, or -errno with err set.
 */
int pvmx_backends_add_disk(struct pvmx_backends *bk, const struct pvmx_disk_opt *o,
			   char *err, size_t errlen);

/*
 * Follow the front ends' state nodes after the guest changed the store:
 * connect, close, reconnect as Linux's xen-blkback does (frontend_changed).
 * Returns true when it wrote to the store (serve the store ring again).
 */
bool pvmx_backends_poll(struct pvmx_backends *bk);

/*
 * The guest notified port: serve the device bound to it, raise the port
 * back when the front end wants to hear.  Returns false when no device has
 * that port.  *store_changed: the device broke and its state changed.
 */
bool pvmx_backends_notify(struct pvmx_backends *bk, uint32_t port, bool *store_changed);

/*
 * Network interfaces (vif.c).  Add one reading frames from fd and writing
 * them to out_fd (the tap twice, or fd=R:W; owned by the vif from here)
 * with the xenstore nodes xl writes, back end in InitWait: the i-th is vif
 * devid i.  0, or -errno with err set.
 */
int pvmx_backends_add_vif(struct pvmx_backends *bk, const struct pvmx_net_opt *o, int fd,
			  int out_fd, char *err, size_t errlen);
/* Their parts of pvmx_backends_notify() and _fini(). */
bool pvmx_vifs_notify(struct pvmx_backends *bk, uint32_t port, bool *store_changed);
void pvmx_vifs_fini(struct pvmx_backends *bk);
/*
 * Frames from vif i's fd into the guest while it has buffers posted.
 * Returns true when vif i has a frame waiting for a buffer (do not poll
 * its fd until the guest notifies).  *store_changed as for _notify().
 */
bool pvmx_vif_input(struct pvmx_backends *bk, unsigned int i, bool *store_changed);
/* Whether to poll vif i's fd for input: connected and no frame waiting. */
bool pvmx_vif_wants_input(struct pvmx_backends *bk, unsigned int i);

/* For vif.c: backend.c's xenstore helpers. */
int pvmx_backend_write(struct pvmx_backends *bk, const char *dir, const char *name,
		       const char *perms, const char *value);
bool pvmx_backend_read_uint(struct pvmx_backends *bk, const char *dir, const char *name,
			    uint32_t *val);

#endif
