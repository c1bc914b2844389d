// SPDX-License-Identifier: GPL-2.0
/*
 * The launcher's xenstore (see xenstore.h).
 *
 * The store is a flat table of nodes keyed by absolute path; a node's
 * children are the nodes whose parent path is its path, listed in creation
 * order.  Semantics follow Xen's tools/xenstored:
 *  - paths: canonicalize() in core.c (characters, relative paths below
 *    /local/domain/N, no "//" or trailing '/', the 2048-byte limit on the
 *    part below /local/domain/N);
 *  - permissions: perm_for_conn(), errno_from_parents() (an error on a node
 *    the guest may not know about is EACCES), construct_node() (new nodes
 *    inherit their parent's permissions, the guest owns what it creates),
 *    do_set_perms() (only the owner, who may not give the node away);
 *  - watches: watch.c (an event on registration, events for the changed
 *    path and below, relative paths for relative watches, duplicate
 *    pending events dropped, only for nodes the guest may read);
 *  - transactions: "when a transaction is started the whole db is copied;
 *    reads and writes happen on the copy" (docs/misc/xenstore.txt).  Each
 *    node the transaction looks at (read, written, created, removed, or a
 *    parent whose child list it changed) is remembered with the
 *    generation it had; the commit fails with EAGAIN if any of them was
 *    changed outside the transaction since, and otherwise copies the nodes
 *    the transaction changed back.  This is xenstored's generation-count
 *    rule, made stricter in one point: a node the transaction wrote is
 *    checked too (xenstored checks only nodes it read), so that a commit
 *    can never leave a child without its parent.  Watches fire on commit.
 *
 * Internal functions return 0 or a positive errno, as xenstored's do (it
 * becomes the error string of the reply); the exported ones return -errno.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenstore.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct xs_perm {
	uint32_t id;
	uint32_t perms;
};

struct xs_node {
	char *path;
	char *value;
	uint32_t len;
	uint32_t nperms;
	struct xs_perm perms[PVMX_XS_MAX_PERMS];
	uint64_t gen;		/* generation of its last change */
	uint64_t seq;		/* creation order, for child lists */
};

struct xs_tree {
	struct xs_node *nodes;
	size_t nr, cap;
	size_t bytes;		/* path + value bytes */
};

/* A node a transaction looked at: as it was when it first did. */
struct xs_access {
	char *path;
	bool existed;
	uint64_t gen;
};

/* A watch to fire when the transaction commits. */
struct xs_event {
	char *path;
	int match;
};

struct xs_txn {
	uint32_t id;
	bool failed;		/* out of memory inside: commit says ENOMEM */
	bool over_quota;	/* PVMX_XS_MAX_TXN_NODES reached: ENOSPC from now on */
	struct xs_tree tree;
	struct xs_access *acc;
	size_t nr_acc, cap_acc;
	struct xs_event *ev;
	size_t nr_ev, cap_ev;
};

struct xs_watch {
	char *node;		/* canonical path */
	char *token;
	size_t prefix_len;	/* relative watch: strip "/local/domain/N/" */
};

struct xs_msg {
	struct xs_msg *next;
	uint32_t len;		/* header + payload */
	uint32_t off;		/* bytes already in the ring */
	bool event;
	unsigned char data[];
};

struct pvmx_xs {
	unsigned int domid;
	char home[32];		/* /local/domain/N */
	struct xs_tree main;
	uint64_t generation, seq;
	struct xs_watch watches[PVMX_XS_MAX_WATCHES];
	size_t nr_watches;
	struct xs_txn *txns[PVMX_XS_MAX_TRANSACTIONS];
	uint32_t next_txid;
	struct xs_msg *out_head, *out_tail;
	size_t out_bytes;
	/* The request being read from the ring. */
	unsigned char in_hdr[sizeof(struct xsd_sockmsg)];
	uint32_t in_used;	/* header bytes, then payload bytes */
	bool in_body;
	char in_buf[XENSTORE_PAYLOAD_MAX + 1];
	/* A guest that broke the protocol is ignored, as xenstored does. */
	bool broken, broken_reported;
	char broken_why[128];
	struct pvmx_xs_stats st;
};

/* The context of one operation. */
struct xs_ctx {
	struct pvmx_xs *xs;
	struct xs_tree *tree;	/* main, or the transaction's copy */
	struct xs_txn *txn;
	bool priv;		/* dom0 (the launcher itself) */
};

enum { MATCH_EXACT, MATCH_SUBTREE };

static const struct {
	int err;
	const char *str;
} xs_errors[] = {
	/* xs_wire.h's xsd_errors, in its order. */
	{ EINVAL, "EINVAL" }, { EACCES, "EACCES" }, { EEXIST, "EEXIST" },
	{ EISDIR, "EISDIR" }, { ENOENT, "ENOENT" }, { ENOMEM, "ENOMEM" },
	{ ENOSPC, "ENOSPC" }, { EIO, "EIO" }, { ENOTEMPTY, "ENOTEMPTY" },
	{ ENOSYS, "ENOSYS" }, { EROFS, "EROFS" }, { EBUSY, "EBUSY" },
	{ EAGAIN, "EAGAIN" }, { EISCONN, "EISCONN" }, { E2BIG, "E2BIG" },
	{ EPERM, "EPERM" },
};

const char *pvmx_xs_errstring(int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(xs_errors); i++)
		if (xs_errors[i].err == err)
			return xs_errors[i].str;
	return "EINVAL";
}

/* ---------------------------------------------------------------------- */
/* The node table                                                          */
/* ---------------------------------------------------------------------- */

static struct xs_node *tree_lookup(struct xs_tree *t, const char *path)
{
	size_t i;

	for (i = 0; i < t->nr; i++)
		if (!strcmp(t->nodes[i].path, path))
			return &t->nodes[i];
	return NULL;
}

static void node_free(struct xs_node *n)
{
	free(n->path);
	free(n->value);
}

static void tree_free(struct xs_tree *t)
{
	size_t i;

	for (i = 0; i < t->nr; i++)
		node_free(&t->nodes[i]);
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

/* Room for add more nodes and bytes, within the limits?  0 or ENOSPC/ENOMEM. */
/* Make room for `need` elements of `size` bytes in *arr (capacity *cap). */
static int grow(void *arr, size_t *cap, size_t need, size_t size, size_t first)
{
	void **p = arr;
	size_t c = *cap ? *cap : first;
	void *n;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	n = realloc(*p, c * size);
	if (!n)
		return ENOMEM;
	*p = n;
	*cap = c;
	return 0;
}

static int tree_reserve(struct xs_tree *t, size_t add, size_t bytes)
{
	if (t->nr + add > PVMX_XS_MAX_NODES || t->bytes + bytes > PVMX_XS_MAX_BYTES)
		return ENOSPC;
	return grow(&t->nodes, &t->cap, t->nr + add, sizeof(*t->nodes), 64);
}

static void tree_remove(struct xs_tree *t, struct xs_node *n)
{
	size_t i = (size_t)(n - t->nodes);

	t->bytes -= strlen(n->path) + n->len;
	node_free(n);
	t->nodes[i] = t->nodes[--t->nr];
}

static int tree_copy(struct xs_tree *dst, const struct xs_tree *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->nodes = calloc(src->nr ? src->nr : 1, sizeof(*dst->nodes));
	if (!dst->nodes)
		return ENOMEM;
	dst->cap = src->nr ? src->nr : 1;
	for (i = 0; i < src->nr; i++) {
		struct xs_node *d = &dst->nodes[i];

		*d = src->nodes[i];
		d->path = strdup(src->nodes[i].path);
		d->value = malloc(d->len + 1);
		if (!d->path || !d->value) {
			free(d->path);
			free(d->value);
			dst->nr = i;
			tree_free(dst);
			return ENOMEM;
		}
		memcpy(d->value, src->nodes[i].value, d->len + 1);
	}
	dst->nr = src->nr;
	dst->bytes = src->bytes;
	return 0;
}

static int set_value(struct xs_tree *t, struct xs_node *n, const void *v, uint32_t len)
{
	char *nv = malloc(len + 1);

	if (!nv)
		return ENOMEM;
	memcpy(nv, v, len);
	nv[len] = '\0';
	t->bytes = t->bytes - n->len + len;
	free(n->value);
	n->value = nv;
	n->len = len;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Lookups through a context (a transaction remembers what it saw)         */
/* ---------------------------------------------------------------------- */

static void txn_record(struct xs_txn *txn, const char *path, const struct xs_node *n)
{
	size_t i;

	for (i = 0; i < txn->nr_acc; i++)
		if (!strcmp(txn->acc[i].path, path))
			return;
	/*
	 * xenstored's quota_trans_nodes (XSA-326): a transaction may not make
	 * the store remember more nodes than that.  This access goes on
	 * unrecorded; the transaction is doomed (process() answers ENOSPC to
	 * its next requests and to its commit), so nothing unrecorded can
	 * ever be committed.
	 */
	if (txn->nr_acc >= PVMX_XS_MAX_TXN_NODES) {
		txn->over_quota = true;
		return;
	}
	if (grow(&txn->acc, &txn->cap_acc, txn->nr_acc + 1, sizeof(*txn->acc), 16)) {
		txn->failed = true;
		return;
	}
	txn->acc[txn->nr_acc].path = strdup(path);
	if (!txn->acc[txn->nr_acc].path) {
		txn->failed = true;
		return;
	}
	txn->acc[txn->nr_acc].existed = n;
	txn->acc[txn->nr_acc].gen = n ? n->gen : 0;
	txn->nr_acc++;
}

static struct xs_node *find(struct xs_ctx *c, const char *path)
{
	struct xs_node *n = tree_lookup(c->tree, path);

	if (c->txn)
		txn_record(c->txn, path, n);
	return n;
}

/* The parent's path ("/" for top-level and special nodes), malloc'd. */
static char *get_parent(const char *path)
{
	const char *slash = strrchr(path + 1, '/');

	if (!slash)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static unsigned int perm_for(struct xs_ctx *c, const struct xs_perm *p, uint32_t np)
{
	uint32_t i;

	if (c->priv || p[0].id == c->xs->domid)
		return XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;
	for (i = 1; i < np; i++)
		if (p[i].id == c->xs->domid)
			return p[i].perms & (XS_PERM_READ | XS_PERM_WRITE);
	return p[0].perms & (XS_PERM_READ | XS_PERM_WRITE);
}

static unsigned int node_perm(struct xs_ctx *c, const struct xs_node *n)
{
	return perm_for(c, n->perms, n->nperms);
}

/* Nearest existing ancestor of path, or NULL. */
static struct xs_node *existing_ancestor(struct xs_ctx *c, const char *path)
{
	char *p = strdup(path);
	struct xs_node *n = NULL;

	while (p && strcmp(p, "/")) {
		char *parent = get_parent(p);

		free(p);
		p = parent;
		n = p ? find(c, p) : NULL;
		if (n)
			break;
	}
	free(p);
	return n;
}

/*
 * errno_from_parents(): an error about a node is only told as it is if the
 * guest has the wanted permission on the nearest existing ancestor;
 * otherwise it is EACCES.
 */
static int errno_from_parents(struct xs_ctx *c, const char *path, int err, unsigned int perm)
{
	struct xs_node *a;

	if (err == ENOMEM)
		return err;
	a = existing_ancestor(c, path);
	if (a && (node_perm(c, a) & perm))
		return err;
	return EACCES;
}

/* get_node(): the node at path if the guest has perm on it, else NULL and *err. */
static struct xs_node *get_node(struct xs_ctx *c, const char *path, unsigned int perm, int *err)
{
	struct xs_node *n = find(c, path);

	*err = 0;
	if (n && (node_perm(c, n) & perm) != perm) {
		*err = EACCES;
		n = NULL;
	} else if (!n) {
		*err = ENOENT;
	}
	if (*err)
		*err = errno_from_parents(c, path, *err, perm);
	return n;
}

/* ---------------------------------------------------------------------- */
/* Paths                                                                   */
/* ---------------------------------------------------------------------- */

static bool valid_chars(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789-/_@") == strlen(s);
}

/* canonicalize(): a malloc'd absolute path, or NULL with *err (EINVAL, ENOMEM). */
static char *canonicalize(struct xs_ctx *c, const char *node, bool allow_special, int *err)
{
	char *name;
	size_t len, local_off = 0;
	unsigned int id;
	int off = 0;

	*err = EINVAL;
	if (!node || !valid_chars(node) || (node[0] == '@' && !allow_special))
		return NULL;
	if (node[0] != '/' && node[0] != '@') {
		if (strlen(node) > XENSTORE_ABS_PATH_MAX)
			return NULL;
		if (asprintf(&name, "%s/%s", c->xs->home, node) < 0) {
			*err = ENOMEM;
			return NULL;
		}
	} else {
		name = strdup(node);
		if (!name) {
			*err = ENOMEM;
			return NULL;
		}
	}
	len = strlen(name);
	if (sscanf(name, "/local/domain/%5u/%n", &id, &off) == 1 && off > 0)
		local_off = (size_t)off;
	if ((len > 1 && name[len - 1] == '/') || strstr(name, "//") ||
	    (!c->priv && len - local_off > XENSTORE_REL_PATH_MAX) ||
	    len > XENSTORE_ABS_PATH_MAX) {
		free(name);
		return NULL;
	}
	*err = 0;
	return name;
}

/* Is child equal to parent or below it? */
static bool is_child(const char *child, const char *parent)
{
	size_t len = strlen(parent);

	if (strncmp(child, parent, len))
		return false;
	return len == 1 || child[len] == '/' || child[len] == '\0';
}

/* ---------------------------------------------------------------------- */
/* Output                                                                  */
/* ---------------------------------------------------------------------- */

static int queue_msg(struct pvmx_xs *xs, uint32_t type, uint32_t req_id, uint32_t tx_id,
		     const void *a, size_t alen, const void *b, size_t blen, bool event)
{
	struct xsd_sockmsg h = { type, req_id, tx_id, (uint32_t)(alen + blen) };
	struct xs_msg *m = malloc(sizeof(*m) + sizeof(h) + alen + blen);

	if (!m)
		return ENOMEM;
	m->next = NULL;
	m->len = (uint32_t)(sizeof(h) + alen + blen);
	m->off = 0;
	m->event = event;
	memcpy(m->data, &h, sizeof(h));
	if (alen)
		memcpy(m->data + sizeof(h), a, alen);
	if (blen)
		memcpy(m->data + sizeof(h) + alen, b, blen);
	if (xs->out_tail)
		xs->out_tail->next = m;
	else
		xs->out_head = m;
	xs->out_tail = m;
	xs->out_bytes += m->len;
	return 0;
}

static void free_output(struct pvmx_xs *xs)
{
	while (xs->out_head) {
		struct xs_msg *m = xs->out_head;

		xs->out_head = m->next;
		free(m);
	}
	xs->out_tail = NULL;
	xs->out_bytes = 0;
}

/* send_event(): path and token, unless an identical event is still waiting. */
static void send_event(struct pvmx_xs *xs, const char *path, const char *token)
{
	size_t plen = strlen(path) + 1, tlen = strlen(token) + 1;
	struct xs_msg *m;

	if (plen + tlen > XENSTORE_PAYLOAD_MAX)
		return;
	if (xs->out_bytes + sizeof(struct xsd_sockmsg) + plen + tlen > PVMX_XS_OUT_EVENTS_MAX) {
		xs->st.events_dropped++;
		return;
	}
	if (path[0] != '@') {
		for (m = xs->out_head; m; m = m->next) {
			struct xsd_sockmsg h;

			memcpy(&h, m->data, sizeof(h));
			if (m->event && !m->off && h.len == plen + tlen &&
			    !memcmp(m->data + sizeof(h), path, plen) &&
			    !memcmp(m->data + sizeof(h) + plen, token, tlen))
				return;
		}
	}
	if (queue_msg(xs, XS_WATCH_EVENT, 0, 0, path, plen, token, tlen, true)) {
		xs->st.events_dropped++;
		return;
	}
	xs->st.events++;
}

/* watch_permitted(): may the guest read the node (or its parent)? */
static bool watch_permitted(struct xs_ctx *c, const char *name,
			    const struct xs_perm *old, uint32_t nold)
{
	struct xs_node *n;
	char *parent;
	bool ok;

	if (old && (perm_for(c, old, nold) & XS_PERM_READ))
		return true;
	n = tree_lookup(c->tree, name);
	if (n)
		return node_perm(c, n) & XS_PERM_READ;
	parent = get_parent(name);
	if (!parent)
		return false;
	n = tree_lookup(c->tree, parent);
	ok = n && (node_perm(c, n) & XS_PERM_READ);
	free(parent);
	return ok;
}

static void fire_now(struct pvmx_xs *xs, const char *name, int match,
		     const struct xs_perm *old, uint32_t nold)
{
	struct xs_ctx gc = { .xs = xs, .tree = &xs->main };
	size_t i;

	if (!watch_permitted(&gc, name, old, nold))
		return;
	for (i = 0; i < xs->nr_watches; i++) {
		struct xs_watch *w = &xs->watches[i];
		bool send = match == MATCH_EXACT ? !strcmp(name, w->node) : is_child(name, w->node);

		if (send)
			send_event(xs, name + (strlen(name) >= w->prefix_len ? w->prefix_len : 0),
				   w->token);
	}
}

/* fire_watches(): now, or when the transaction commits. */
static void fire_watches(struct xs_ctx *c, const char *name, int match,
			 const struct xs_perm *old, uint32_t nold)
{
	struct xs_txn *t = c->txn;
	size_t i;

	if (!t) {
		fire_now(c->xs, name, match, old, nold);
		return;
	}
	/* Once per node and kind at the commit, however often it changed (bounded). */
	for (i = 0; i < t->nr_ev; i++)
		if (t->ev[i].match == match && !strcmp(t->ev[i].path, name))
			return;
	if (grow(&t->ev, &t->cap_ev, t->nr_ev + 1, sizeof(*t->ev), 8)) {
		t->failed = true;
		return;
	}
	t->ev[t->nr_ev].path = strdup(name);
	if (!t->ev[t->nr_ev].path) {
		t->failed = true;
		return;
	}
	t->ev[t->nr_ev++].match = match;
}

/* ---------------------------------------------------------------------- */
/* Tree operations                                                         */
/* ---------------------------------------------------------------------- */

static void touch(struct xs_ctx *c, struct xs_node *n)
{
	n->gen = ++c->xs->generation;
}

/*
 * create_node(): name and its missing parents, which inherit permissions
 * from their parent (the guest owns what it creates).  Returns 0 or an
 * errno; *out is the new node.
 */
static int create_node(struct xs_ctx *c, const char *name, const void *data, uint32_t len,
		       struct xs_node **out)
{
	char *names[256], *top = NULL;
	size_t levels = 0, bytes = len, i;
	struct xs_node *parent;
	int err = 0;

	/* Walk up to an existing node: names[0] is name, names[1] its parent, ... */
	names[levels] = strdup(name);
	if (!names[levels])
		return ENOMEM;
	levels++;
	for (;;) {
		char *pp = get_parent(names[levels - 1]);

		bytes += strlen(names[levels - 1]);
		if (!pp) {
			err = ENOMEM;
			break;
		}
		if (find(c, pp)) {
			top = pp;
			break;
		}
		if (!strcmp(pp, "/") || levels == sizeof(names) / sizeof(names[0])) {
			err = strcmp(pp, "/") ? EINVAL : EIO;	/* EIO: no root */
			free(pp);
			break;
		}
		names[levels++] = pp;
	}
	if (!err)
		err = tree_reserve(c->tree, levels, bytes);
	if (err) {
		for (i = 0; i < levels; i++)
			free(names[i]);
		free(top);
		return err;
	}
	/* tree_reserve() may have moved the nodes: look the parent up again. */
	parent = tree_lookup(c->tree, top);
	free(top);
	touch(c, parent);	/* its child list changes */
	/* Walk down creating them (there is room: no realloc below). */
	for (i = levels; i-- > 0;) {
		struct xs_node *n = &c->tree->nodes[c->tree->nr];
		bool last = i == 0;

		memset(n, 0, sizeof(*n));
		n->nperms = parent->nperms;
		memcpy(n->perms, parent->perms, sizeof(n->perms));
		if (!c->priv)
			n->perms[0].id = c->xs->domid;	/* the guest owns what it creates */
		n->value = malloc(last ? len + 1 : 1);
		if (!n->value) {
			/* The parents created so far stay: they are valid nodes. */
			do
				free(names[i]);
			while (i-- > 0);
			if (c->txn)
				c->txn->failed = true;
			return ENOMEM;
		}
		n->path = names[i];
		if (last && len)
			memcpy(n->value, data, len);
		n->len = last ? len : 0;
		n->value[n->len] = '\0';
		n->seq = ++c->xs->seq;
		touch(c, n);
		c->tree->nr++;
		c->tree->bytes += strlen(n->path) + n->len;
		parent = n;
	}
	*out = parent;
	return 0;
}

/* Remove name and everything below it, firing watches as xenstored does. */
static int rm_node(struct xs_ctx *c, const char *name)
{
	size_t i, nlen = strlen(name);
	char *parent = get_parent(name);
	struct xs_node *pn;

	if (!parent)
		return ENOMEM;
	pn = find(c, parent);
	free(parent);
	if (!pn)
		return EINVAL;
	/* Children first (MATCH_EXACT), then the node itself (MATCH_SUBTREE). */
	for (i = 0; i < c->tree->nr;) {
		struct xs_node *n = &c->tree->nodes[i];

		if (strncmp(n->path, name, nlen) || n->path[nlen] != '/') {
			i++;
			continue;
		}
		if (c->txn)
			txn_record(c->txn, n->path, n);
		fire_watches(c, n->path, MATCH_EXACT, NULL, 0);
		tree_remove(c->tree, n);	/* moves the last node to i */
	}
	pn = find(c, name);
	if (pn) {
		fire_watches(c, name, MATCH_SUBTREE, NULL, 0);
		tree_remove(c->tree, pn);
	}
	/* The parent's child list changed. */
	parent = get_parent(name);
	pn = parent ? find(c, parent) : NULL;
	if (pn)
		touch(c, pn);
	free(parent);
	return 0;
}

/* Children of path, NUL-separated, in creation order.  malloc'd; *len bytes. */
static char *children(struct xs_tree *t, const char *path, size_t *len)
{
	size_t plen = strlen(path), i, n = 0, total = 0, k;
	struct xs_node **list;
	char *out;

	list = malloc((t->nr ? t->nr : 1) * sizeof(*list));
	if (!list)
		return NULL;
	for (i = 0; i < t->nr; i++) {
		const char *p = t->nodes[i].path;
		const char *rest;

		if (p[0] != '/' || !strcmp(p, "/"))
			continue;
		if (plen == 1) {
			rest = p + 1;
		} else {
			if (strncmp(p, path, plen) || p[plen] != '/')
				continue;
			rest = p + plen + 1;
		}
		if (strchr(rest, '/'))
			continue;
		list[n++] = &t->nodes[i];
		total += strlen(rest) + 1;
	}
	/* Creation order (insertion sort: lists are short). */
	for (i = 1; i < n; i++) {
		struct xs_node *x = list[i];

		for (k = i; k > 0 && list[k - 1]->seq > x->seq; k--)
			list[k] = list[k - 1];
		list[k] = x;
	}
	out = malloc(total ? total : 1);
	if (!out) {
		free(list);
		return NULL;
	}
	for (i = 0, k = 0; i < n; i++) {
		const char *base = strrchr(list[i]->path, '/') + 1;
		size_t bl = strlen(base) + 1;

		memcpy(out + k, base, bl);
		k += bl;
	}
	free(list);
	*len = total;
	return out;
}

/* "r1" etc. for a node's permissions, NUL-separated. */
static size_t perms_to_strings(const struct xs_node *n, char *buf, size_t max)
{
	static const char letter[4] = { 'n', 'r', 'w', 'b' };
	size_t off = 0;
	uint32_t i;

	for (i = 0; i < n->nperms; i++) {
		int w = snprintf(buf + off, max - off, "%c%u",
				 letter[n->perms[i].perms & 3], n->perms[i].id);

		if (w < 0 || (size_t)w + 1 > max - off)
			break;
		off += (size_t)w + 1;
	}
	return off;
}

/* xenstore_strings_to_perms(): num NUL-terminated strings at s.  0 or EINVAL. */
static int strings_to_perms(struct xs_perm *p, uint32_t num, const char *s)
{
	uint32_t i;

	for (i = 0; i < num; i++) {
		unsigned long id;
		char *end;

		switch (*s) {
		case 'r':
			p[i].perms = XS_PERM_READ;
			break;
		case 'w':
			p[i].perms = XS_PERM_WRITE;
			break;
		case 'b':
			p[i].perms = XS_PERM_READ | XS_PERM_WRITE;
			break;
		case 'n':
			p[i].perms = XS_PERM_NONE;
			break;
		default:
			return EINVAL;
		}
		s++;
		if (*s < '0' || *s > '9')
			return EINVAL;
		errno = 0;
		id = strtoul(s, &end, 0);
		if (*end || errno || id > 0xffff)
			return EINVAL;
		p[i].id = (uint32_t)id;
		s = end + 1;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Requests                                                                */
/* ---------------------------------------------------------------------- */

struct xs_req {
	struct xsd_sockmsg h;
	char *data;		/* h.len bytes, plus a NUL after them */
};

/* Number of NUL-terminated strings in the payload; vec gets up to num of them. */
static unsigned int get_strings(const struct xs_req *r, const char **vec, unsigned int num)
{
	unsigned int i = 0;
	size_t off = 0;

	while (off < r->h.len) {
		const char *nul = memchr(r->data + off, 0, r->h.len - off);

		if (!nul)
			break;
		if (i < num)
			vec[i] = r->data + off;
		i++;
		off = (size_t)(nul - r->data) + 1;
	}
	return i;
}

/* onearg(): the payload is exactly one string and its NUL. */
static const char *onearg(const struct xs_req *r)
{
	if (!r->h.len || memchr(r->data, 0, r->h.len) != r->data + r->h.len - 1)
		return NULL;
	return r->data;
}

static int reply(struct pvmx_xs *xs, const struct xs_req *r, uint32_t type,
		 const void *data, size_t len)
{
	if (len > XENSTORE_PAYLOAD_MAX)
		return E2BIG;
	return queue_msg(xs, type, r->h.req_id, r->h.tx_id, data, len, NULL, 0, false);
}

static int ack(struct pvmx_xs *xs, const struct xs_req *r)
{
	return reply(xs, r, r->h.type, "OK", 3);
}

static int do_read(struct xs_ctx *c, const struct xs_req *r)
{
	int err;
	char *name = canonicalize(c, onearg(r), false, &err);
	struct xs_node *n;

	if (!name)
		return err;
	n = get_node(c, name, XS_PERM_READ, &err);
	free(name);
	if (!n)
		return err;
	return reply(c->xs, r, XS_READ, n->value, n->len);
}

static int do_directory(struct xs_ctx *c, const struct xs_req *r)
{
	int err;
	char *name = canonicalize(c, onearg(r), false, &err), *list;
	size_t len;

	if (!name)
		return err;
	if (!get_node(c, name, XS_PERM_READ, &err)) {
		free(name);
		return err;
	}
	list = children(c->tree, name, &len);
	free(name);
	if (!list)
		return ENOMEM;
	err = reply(c->xs, r, XS_DIRECTORY, list, len);
	free(list);
	return err;
}

/* DIRECTORY_PART <path>|<offset>| -> <generation>|<children from offset>|... */
static int do_directory_part(struct xs_ctx *c, const struct xs_req *r)
{
	const char *vec[2];
	char gen[24], *name, *list, *out;
	size_t len, off, genlen, n;
	struct xs_node *node;
	int err;

	if (get_strings(r, vec, 2) != 2)
		return EINVAL;
	name = canonicalize(c, vec[0], false, &err);
	if (!name)
		return err;
	node = get_node(c, name, XS_PERM_READ, &err);
	if (!node) {
		free(name);
		return err;
	}
	list = children(c->tree, name, &len);
	free(name);
	if (!list)
		return ENOMEM;
	off = strtoul(vec[1], NULL, 10);
	genlen = (size_t)snprintf(gen, sizeof(gen), "%llu", (unsigned long long)node->gen) + 1;
	out = malloc(genlen + len + 1);
	if (!out) {
		free(list);
		return ENOMEM;
	}
	memcpy(out, gen, genlen);
	n = 0;
	if (off < len) {
		/* Whole names, as many as fit. */
		while (off + n < len) {
			size_t l = strlen(list + off + n) + 1;

			if (genlen + n + l + 1 > XENSTORE_PAYLOAD_MAX)
				break;
			n += l;
		}
		memcpy(out + genlen, list + off, n);
	}
	if (off + n >= len)
		out[genlen + n++] = '\0';	/* the end of the list */
	err = reply(c->xs, r, XS_DIRECTORY_PART, out, genlen + n);
	free(out);
	free(list);
	return err;
}

static int do_write(struct xs_ctx *c, const struct xs_req *r)
{
	const char *vec[1];
	uint32_t off, len;
	struct xs_node *n;
	char *name;
	int err;

	if (get_strings(r, vec, 1) < 1)
		return EINVAL;
	off = (uint32_t)strlen(vec[0]) + 1;
	len = r->h.len - off;
	name = canonicalize(c, vec[0], false, &err);
	if (!name)
		return err;
	n = get_node(c, name, XS_PERM_WRITE, &err);
	if (err == ENOENT || (n && !err)) {
		if (len > PVMX_XS_MAX_VALUE)
			err = ENOSPC;	/* xenstored's node-size quota */
		else if (!n)
			err = create_node(c, name, r->data + off, len, &n);
		else if (c->tree->bytes - n->len + len > PVMX_XS_MAX_BYTES)
			err = ENOSPC;
		else
			err = set_value(c->tree, n, r->data + off, len);
		if (!err)
			touch(c, n);
	}
	if (err) {
		free(name);
		return err;
	}
	fire_watches(c, name, MATCH_SUBTREE, NULL, 0);
	free(name);
	return ack(c->xs, r);
}

static int do_mkdir(struct xs_ctx *c, const struct xs_req *r)
{
	struct xs_node *n;
	int err;
	char *name = canonicalize(c, onearg(r), false, &err);

	if (!name)
		return err;
	n = get_node(c, name, XS_PERM_WRITE, &err);
	if (err == ENOENT) {	/* if it exists already, fine */
		err = create_node(c, name, NULL, 0, &n);
		if (!err)
			fire_watches(c, name, MATCH_SUBTREE, NULL, 0);
	}
	free(name);
	return err ? err : ack(c->xs, r);
}

static int do_rm(struct xs_ctx *c, const struct xs_req *r)
{
	struct xs_node *n;
	int err;
	char *name = canonicalize(c, onearg(r), false, &err);

	if (!name)
		return err;
	n = get_node(c, name, XS_PERM_WRITE, &err);
	if (!n) {
		if (err == ENOENT) {
			/* Already gone: fine if the parent exists. */
			char *parent = get_parent(name);

			if (parent && find(c, parent))
				err = 0;
			free(parent);
		}
		free(name);
		return err ? err : ack(c->xs, r);
	}
	if (!strcmp(name, "/")) {
		free(name);
		return EINVAL;
	}
	err = rm_node(c, name);
	free(name);
	return err ? err : ack(c->xs, r);
}

static int do_get_perms(struct xs_ctx *c, const struct xs_req *r)
{
	char buf[PVMX_XS_MAX_PERMS * 16];
	struct xs_node *n;
	int err;
	char *name = canonicalize(c, onearg(r), true, &err);

	if (!name)
		return err;
	n = get_node(c, name, XS_PERM_READ, &err);
	free(name);
	if (!n)
		return err;
	return reply(c->xs, r, XS_GET_PERMS, buf, perms_to_strings(n, buf, sizeof(buf)));
}

static int do_set_perms(struct xs_ctx *c, const struct xs_req *r)
{
	struct xs_perm perms[PVMX_XS_MAX_PERMS], old[PVMX_XS_MAX_PERMS];
	const char *vec[1];
	unsigned int num = get_strings(r, vec, 1);
	uint32_t nold;
	struct xs_node *n;
	char *name;
	int err;

	if (num < 2)
		return EINVAL;
	num--;
	if (num > PVMX_XS_MAX_PERMS)
		return ENOSPC;
	err = strings_to_perms(perms, num, r->data + strlen(r->data) + 1);
	if (err)
		return err;
	name = canonicalize(c, r->data, true, &err);
	if (!name)
		return err;
	n = get_node(c, name, XS_PERM_WRITE | XS_PERM_OWNER, &err);
	if (!n) {
		free(name);
		return err;
	}
	/* Unprivileged domains may not change the owner. */
	if (!c->priv && perms[0].id != n->perms[0].id) {
		free(name);
		return EPERM;
	}
	nold = n->nperms;
	memcpy(old, n->perms, sizeof(old));
	memset(n->perms, 0, sizeof(n->perms));
	memcpy(n->perms, perms, num * sizeof(perms[0]));
	n->nperms = num;
	touch(c, n);
	fire_watches(c, name, MATCH_SUBTREE, old, nold);
	free(name);
	return ack(c->xs, r);
}

static void free_watch(struct xs_watch *w)
{
	free(w->node);
	free(w->token);
}

static int do_watch(struct xs_ctx *c, const struct xs_req *r)
{
	struct pvmx_xs *xs = c->xs;
	const char *vec[2];
	struct xs_watch *w;
	bool relative;
	char *name;
	size_t i;
	int err;

	if (get_strings(r, vec, 2) != 2)
		return EINVAL;
	relative = vec[0][0] != '/' && vec[0][0] != '@';
	name = canonicalize(c, vec[0], true, &err);
	if (!name)
		return err;
	for (i = 0; i < xs->nr_watches; i++)
		if (!strcmp(xs->watches[i].node, name) && !strcmp(xs->watches[i].token, vec[1])) {
			free(name);
			return EEXIST;
		}
	if (xs->nr_watches == PVMX_XS_MAX_WATCHES) {
		free(name);
		return ENOSPC;
	}
	w = &xs->watches[xs->nr_watches];
	w->node = name;
	w->token = strdup(vec[1]);
	if (!w->token) {
		free(name);
		return ENOMEM;
	}
	w->prefix_len = relative ? strlen(xs->home) + 1 : 0;
	xs->nr_watches++;
	err = ack(xs, r);
	/* Fired once up front, as xenstored does. */
	send_event(xs, w->node + w->prefix_len, w->token);
	return err;
}

static int do_unwatch(struct xs_ctx *c, const struct xs_req *r)
{
	struct pvmx_xs *xs = c->xs;
	const char *vec[2];
	char *name;
	size_t i;
	int err;

	if (get_strings(r, vec, 2) != 2)
		return EINVAL;
	name = canonicalize(c, vec[0], true, &err);
	if (!name)
		return err;
	for (i = 0; i < xs->nr_watches; i++) {
		if (strcmp(xs->watches[i].node, name) || strcmp(xs->watches[i].token, vec[1]))
			continue;
		free_watch(&xs->watches[i]);
		memmove(&xs->watches[i], &xs->watches[i + 1],
			(xs->nr_watches - i - 1) * sizeof(xs->watches[0]));
		xs->nr_watches--;
		free(name);
		return ack(xs, r);
	}
	free(name);
	return ENOENT;
}

static void txn_free(struct xs_txn *t)
{
	size_t i;

	if (!t)
		return;
	tree_free(&t->tree);
	for (i = 0; i < t->nr_acc; i++)
		free(t->acc[i].path);
	for (i = 0; i < t->nr_ev; i++)
		free(t->ev[i].path);
	free(t->acc);
	free(t->ev);
	free(t);
}

static struct xs_txn **txn_slot(struct pvmx_xs *xs, uint32_t id)
{
	size_t i;

	for (i = 0; i < PVMX_XS_MAX_TRANSACTIONS; i++)
		if (xs->txns[i] && xs->txns[i]->id == id)
			return &xs->txns[i];
	return NULL;
}

static void delete_all(struct pvmx_xs *xs)
{
	size_t i;

	for (i = 0; i < xs->nr_watches; i++)
		free_watch(&xs->watches[i]);
	xs->nr_watches = 0;
	for (i = 0; i < PVMX_XS_MAX_TRANSACTIONS; i++) {
		txn_free(xs->txns[i]);
		xs->txns[i] = NULL;
	}
}

static int do_transaction_start(struct xs_ctx *c, const struct xs_req *r)
{
	struct pvmx_xs *xs = c->xs;
	struct xs_txn *t;
	char id[16];
	size_t i, slot = PVMX_XS_MAX_TRANSACTIONS;

	if (c->txn)
		return EBUSY;	/* no nested transactions */
	for (i = 0; i < PVMX_XS_MAX_TRANSACTIONS; i++)
		if (!xs->txns[i]) {
			slot = i;
			break;
		}
	if (slot == PVMX_XS_MAX_TRANSACTIONS)
		return ENOSPC;
	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	if (tree_copy(&t->tree, &xs->main)) {
		free(t);
		return ENOMEM;
	}
	do {
		t->id = xs->next_txid++;
	} while (!t->id || txn_slot(xs, t->id));
	xs->txns[slot] = t;
	snprintf(id, sizeof(id), "%u", t->id);
	return reply(xs, r, XS_TRANSACTION_START, id, strlen(id) + 1);
}

/* Copy what the transaction changed into the main tree.  0, EAGAIN or ENOMEM. */
static int commit(struct pvmx_xs *xs, struct xs_txn *t)
{
	size_t i;

	for (i = 0; i < t->nr_acc; i++) {
		struct xs_node *m = tree_lookup(&xs->main, t->acc[i].path);

		if (!!m != t->acc[i].existed || (m && m->gen != t->acc[i].gen))
			return EAGAIN;
	}
	/* Room first, so that the commit cannot stop half-way. */
	if (grow(&xs->main.nodes, &xs->main.cap, xs->main.nr + t->nr_acc,
		 sizeof(*xs->main.nodes), 64))
		return ENOMEM;
	for (i = 0; i < t->nr_acc; i++) {
		struct xs_access *a = &t->acc[i];
		struct xs_node *tn = tree_lookup(&t->tree, a->path);
		struct xs_node *m = tree_lookup(&xs->main, a->path);

		if (tn && (!a->existed || tn->gen != a->gen)) {
			char *v = malloc(tn->len + 1), *p = m ? NULL : strdup(tn->path);

			if (!v || (!m && !p)) {
				/* Nothing sensible to do half-way: keep the old value. */
				free(v);
				free(p);
				continue;
			}
			memcpy(v, tn->value, tn->len + 1);
			if (!m) {
				m = &xs->main.nodes[xs->main.nr++];
				memset(m, 0, sizeof(*m));
				m->path = p;
				m->seq = tn->seq;
				xs->main.bytes += strlen(p);
			}
			xs->main.bytes = xs->main.bytes - m->len + tn->len;
			free(m->value);
			m->value = v;
			m->len = tn->len;
			m->nperms = tn->nperms;
			memcpy(m->perms, tn->perms, sizeof(m->perms));
			m->gen = ++xs->generation;
		} else if (!tn && a->existed && m) {
			tree_remove(&xs->main, m);
		}
	}
	return 0;
}

static int do_transaction_end(struct xs_ctx *c, const struct xs_req *r)
{
	struct pvmx_xs *xs = c->xs;
	const char *arg = onearg(r);
	struct xs_txn **slot, *t;
	int err = 0;
	size_t i;

	if (!arg || (strcmp(arg, "T") && strcmp(arg, "F")))
		return EINVAL;
	if (!c->txn)
		return ENOENT;
	slot = txn_slot(xs, c->txn->id);
	t = *slot;
	*slot = NULL;
	c->txn = NULL;
	c->tree = &xs->main;
	if (!strcmp(arg, "T")) {
		err = t->over_quota ? ENOSPC : t->failed ? ENOMEM : commit(xs, t);
		if (err == EAGAIN)
			xs->st.conflicts++;
		if (!err) {
			xs->st.commits++;
			for (i = 0; i < t->nr_ev; i++)
				fire_now(xs, t->ev[i].path, t->ev[i].match, NULL, 0);
		}
	}
	txn_free(t);
	return err ? err : ack(xs, r);
}

static int do_get_domain_path(struct xs_ctx *c, const struct xs_req *r)
{
	const char *arg = onearg(r);
	char path[32], *end;
	unsigned long id;

	if (!arg)
		return EINVAL;
	errno = 0;
	id = strtoul(arg, &end, 10);
	if (*end || errno || id > 65535)
		return EINVAL;
	snprintf(path, sizeof(path), "/local/domain/%lu", id);
	return reply(c->xs, r, XS_GET_DOMAIN_PATH, path, strlen(path) + 1);
}

static int do_reset_watches(struct xs_ctx *c, const struct xs_req *r)
{
	delete_all(c->xs);
	c->txn = NULL;
	return ack(c->xs, r);
}

typedef int (*xs_op)(struct xs_ctx *c, const struct xs_req *r);

static const struct {
	xs_op fn;
	bool notid;		/* the tx_id is ignored */
	bool priv;		/* dom0 only: EACCES */
} ops[XS_TYPE_COUNT] = {
	[XS_CONTROL] = { .priv = true },
	[XS_DIRECTORY] = { .fn = do_directory },
	[XS_READ] = { .fn = do_read },
	[XS_GET_PERMS] = { .fn = do_get_perms },
	[XS_WATCH] = { .fn = do_watch, .notid = true },
	[XS_UNWATCH] = { .fn = do_unwatch, .notid = true },
	[XS_TRANSACTION_START] = { .fn = do_transaction_start },
	[XS_TRANSACTION_END] = { .fn = do_transaction_end },
	[XS_INTRODUCE] = { .priv = true },
	[XS_RELEASE] = { .priv = true },
	[XS_GET_DOMAIN_PATH] = { .fn = do_get_domain_path },
	[XS_WRITE] = { .fn = do_write },
	[XS_MKDIR] = { .fn = do_mkdir },
	[XS_RM] = { .fn = do_rm },
	[XS_SET_PERMS] = { .fn = do_set_perms },
	[XS_IS_DOMAIN_INTRODUCED] = { .priv = true },
	[XS_RESUME] = { .priv = true },
	[XS_SET_TARGET] = { .priv = true },
	[XS_RESET_WATCHES] = { .fn = do_reset_watches },
	[XS_DIRECTORY_PART] = { .fn = do_directory_part },
	[XS_SET_FEATURE] = { .priv = true },
	[XS_GET_QUOTA] = { .priv = true },
	[XS_SET_QUOTA] = { .priv = true },
};

static void send_error(struct pvmx_xs *xs, const struct xs_req *r, int err)
{
	const char *s = pvmx_xs_errstring(err);

	xs->st.errors++;
	queue_msg(xs, XS_ERROR, r->h.req_id, r->h.tx_id, s, strlen(s) + 1, NULL, 0, false);
}

/* process_message(): one whole request from the guest. */
static void process(struct pvmx_xs *xs, const struct xs_req *r)
{
	struct xs_ctx c = { .xs = xs, .tree = &xs->main };
	uint32_t type = r->h.type;
	int err;

	xs->st.requests++;
	if (type >= XS_TYPE_COUNT || (!ops[type].fn && !ops[type].priv)) {
		send_error(xs, r, ENOSYS);
		return;
	}
	if (ops[type].priv) {
		send_error(xs, r, EACCES);
		return;
	}
	if (!ops[type].notid && r->h.tx_id) {
		struct xs_txn **slot = txn_slot(xs, r->h.tx_id);

		if (!slot) {
			send_error(xs, r, ENOENT);
			return;
		}
		c.txn = *slot;
		c.tree = &c.txn->tree;
		if (c.txn->over_quota && type != XS_TRANSACTION_END) {
			send_error(xs, r, ENOSPC);
			return;
		}
	}
	err = ops[type].fn(&c, r);
	if (err)
		send_error(xs, r, err);
}

/* ---------------------------------------------------------------------- */
/* The ring                                                                */
/* ---------------------------------------------------------------------- */

static void break_connection(struct pvmx_xs *xs, struct xenstore_domain_interface *ring,
			     uint32_t err, const char *why)
{
	xs->broken = true;
	snprintf(xs->broken_why, sizeof(xs->broken_why), "%s", why);
	__atomic_store_n(&ring->error, err, __ATOMIC_RELEASE);
	delete_all(xs);
	free_output(xs);
	xs->in_used = 0;
	xs->in_body = false;
}

/* Write queued output into rsp.  Returns bytes written, or -1 on bad indices. */
static long flush_output(struct pvmx_xs *xs, struct xenstore_domain_interface *ring)
{
	uint32_t cons = __atomic_load_n(&ring->rsp_cons, __ATOMIC_ACQUIRE);
	uint32_t prod = __atomic_load_n(&ring->rsp_prod, __ATOMIC_RELAXED);
	long done = 0;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (prod - cons > XENSTORE_RING_SIZE)
		return -1;
	while (xs->out_head && prod - cons < XENSTORE_RING_SIZE) {
		struct xs_msg *m = xs->out_head;
		uint32_t space = XENSTORE_RING_SIZE - (prod - cons);
		uint32_t chunk = XENSTORE_RING_SIZE - (prod & (XENSTORE_RING_SIZE - 1));
		uint32_t n = m->len - m->off;

		if (n > space)
			n = space;
		if (n > chunk)
			n = chunk;
		memcpy(ring->rsp + (prod & (XENSTORE_RING_SIZE - 1)), m->data + m->off, n);
		m->off += n;
		prod += n;
		done += n;
		if (m->off == m->len) {
			xs->out_head = m->next;
			if (!xs->out_head)
				xs->out_tail = NULL;
			xs->out_bytes -= m->len;
			free(m);
		}
	}
	if (done) {
		/* The data before the index that publishes it. */
		__atomic_store_n(&ring->rsp_prod, prod, __ATOMIC_RELEASE);
	}
	return done;
}

/* Read request bytes; process each whole request.  Bytes consumed, or -1. */
static long read_input(struct pvmx_xs *xs, struct xenstore_domain_interface *ring)
{
	uint32_t cons = __atomic_load_n(&ring->req_cons, __ATOMIC_RELAXED);
	uint32_t prod = __atomic_load_n(&ring->req_prod, __ATOMIC_ACQUIRE);
	long done = 0;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (prod - cons > XENSTORE_RING_SIZE) {
		break_connection(xs, ring, XENSTORE_ERROR_RINGIDX,
				 "request ring indices more than the ring apart");
		return -1;
	}
	while (cons != prod && xs->out_bytes < PVMX_XS_OUT_THROTTLE) {
		uint32_t avail = prod - cons;
		uint32_t chunk = XENSTORE_RING_SIZE - (cons & (XENSTORE_RING_SIZE - 1));
		struct xsd_sockmsg h;
		uint32_t want, n;
		unsigned char *dst;

		memcpy(&h, xs->in_hdr, sizeof(h));
		if (!xs->in_body) {
			want = sizeof(h) - xs->in_used;
			dst = xs->in_hdr + xs->in_used;
		} else {
			want = h.len - xs->in_used;
			dst = (unsigned char *)xs->in_buf + xs->in_used;
		}
		n = want;
		if (n > avail)
			n = avail;
		if (n > chunk)
			n = chunk;
		memcpy(dst, ring->req + (cons & (XENSTORE_RING_SIZE - 1)), n);
		cons += n;
		done += n;
		xs->in_used += n;
		if (!xs->in_body && xs->in_used == sizeof(h)) {
			memcpy(&h, xs->in_hdr, sizeof(h));
			if (h.len > XENSTORE_PAYLOAD_MAX) {
				__atomic_store_n(&ring->req_cons, cons, __ATOMIC_RELEASE);
				break_connection(xs, ring, XENSTORE_ERROR_PROTO,
						 "request payload longer than XENSTORE_PAYLOAD_MAX");
				return -1;
			}
			xs->in_body = true;
			xs->in_used = 0;
		}
		if (xs->in_body && xs->in_used == h.len) {
			struct xs_req r = { .h = h, .data = xs->in_buf };

			xs->in_buf[h.len] = '\0';
			process(xs, &r);
			xs->in_body = false;
			xs->in_used = 0;
		}
	}
	if (done)
		__atomic_store_n(&ring->req_cons, cons, __ATOMIC_RELEASE);
	return done;
}

bool pvmx_xs_service(struct pvmx_xs *xs, void *ring_page)
{
	struct xenstore_domain_interface *ring = ring_page;
	bool moved = false;

	if (xs->broken)
		return false;
	for (;;) {
		long out = flush_output(xs, ring), in;

		if (out < 0) {
			break_connection(xs, ring, XENSTORE_ERROR_RINGIDX,
					 "response ring indices more than the ring apart");
			return moved;
		}
		in = read_input(xs, ring);
		if (in < 0)
			return true;	/* consumed up to the bad header */
		if (!out && !in)
			break;
		moved = true;
	}
	return moved;
}

const char *pvmx_xs_broken(struct pvmx_xs *xs)
{
	if (!xs->broken || xs->broken_reported)
		return NULL;
	xs->broken_reported = true;
	return xs->broken_why;
}

void pvmx_xs_attach(struct pvmx_xs *xs, void *ring_page)
{
	struct xenstore_domain_interface *ring = ring_page;

	(void)xs;
	ring->server_features = XENSTORE_SERVER_FEATURE_ERROR;
	ring->connection = 0;
	ring->error = XENSTORE_ERROR_NONE;
}

/* ---------------------------------------------------------------------- */
/* dom0's side and setup                                                   */
/* ---------------------------------------------------------------------- */

static struct xs_node *raw_node(struct pvmx_xs *xs, const char *path, const char *value,
				const struct xs_perm *perms, uint32_t nperms)
{
	struct xs_node *n;

	if (tree_reserve(&xs->main, 1, strlen(path) + strlen(value)))
		return NULL;
	n = &xs->main.nodes[xs->main.nr];
	memset(n, 0, sizeof(*n));
	n->path = strdup(path);
	n->value = strdup(value);
	if (!n->path || !n->value) {
		node_free(n);
		return NULL;
	}
	n->len = (uint32_t)strlen(value);
	n->nperms = nperms;
	memcpy(n->perms, perms, nperms * sizeof(*perms));
	n->gen = ++xs->generation;
	n->seq = ++xs->seq;
	xs->main.nr++;
	xs->main.bytes += strlen(path) + n->len;
	return n;
}

struct pvmx_xs *pvmx_xs_new(unsigned int domid)
{
	static const struct xs_perm none0 = { 0, XS_PERM_NONE };
	struct pvmx_xs *xs = calloc(1, sizeof(*xs));

	if (!xs)
		return NULL;
	xs->domid = domid;
	xs->next_txid = 1;
	snprintf(xs->home, sizeof(xs->home), "/local/domain/%u", domid);
	/* setup_structure(): the root and the special watch nodes, dom0's. */
	if (!raw_node(xs, "/", "", &none0, 1) || !raw_node(xs, "@releaseDomain", "", &none0, 1) ||
	    !raw_node(xs, "@introduceDomain", "", &none0, 1) ||
	    pvmx_xs_write(xs, "/tool/xenstored", "", NULL) ||
	    pvmx_xs_write(xs, "/local/domain/0", "", NULL)) {
		pvmx_xs_free(xs);
		return NULL;
	}
	return xs;
}

void pvmx_xs_free(struct pvmx_xs *xs)
{
	if (!xs)
		return;
	delete_all(xs);
	free_output(xs);
	tree_free(&xs->main);
	free(xs);
}

/* "n0 r1" -> perms.  0 or EINVAL. */
static int parse_perm_list(const char *s, struct xs_perm *p, uint32_t *num)
{
	char buf[128], *tok, *save;
	uint32_t n = 0;

	if (strlen(s) >= sizeof(buf))
		return EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char one[32];

		if (n == PVMX_XS_MAX_PERMS || strlen(tok) + 2 > sizeof(one))
			return EINVAL;
		memcpy(one, tok, strlen(tok) + 1);
		one[strlen(tok) + 1] = '\0';
		if (strings_to_perms(&p[n], 1, one))
			return EINVAL;
		n++;
	}
	if (!n)
		return EINVAL;
	*num = n;
	return 0;
}

int pvmx_xs_write(struct pvmx_xs *xs, const char *path, const char *value, const char *perms)
{
	struct xs_ctx c = { .xs = xs, .tree = &xs->main, .priv = true };
	struct xs_perm p[PVMX_XS_MAX_PERMS];
	uint32_t np = 0;
	struct xs_node *n;
	int err;
	char *name;

	if (perms && parse_perm_list(perms, p, &np))
		return -EINVAL;
	name = canonicalize(&c, path, false, &err);
	if (!name)
		return -err;
	n = find(&c, name);
	if (!n) {
		err = create_node(&c, name, value, (uint32_t)strlen(value), &n);
	} else {
		err = set_value(c.tree, n, value, (uint32_t)strlen(value));
		touch(&c, n);
	}
	if (!err && np) {
		memset(n->perms, 0, sizeof(n->perms));
		memcpy(n->perms, p, np * sizeof(p[0]));
		n->nperms = np;
	}
	if (!err)
		fire_watches(&c, name, MATCH_SUBTREE, NULL, 0);
	free(name);
	return -err;
}

int pvmx_xs_read(struct pvmx_xs *xs, const char *path, char *buf, size_t max)
{
	struct xs_node *n = tree_lookup(&xs->main, path);

	if (!n)
		return -ENOENT;
	if (max)
		snprintf(buf, max, "%s", n->value);
	return 0;
}

int pvmx_xs_rm(struct pvmx_xs *xs, const char *path)
{
	struct xs_ctx c = { .xs = xs, .tree = &xs->main, .priv = true };

	if (!tree_lookup(&xs->main, path))
		return -ENOENT;
	if (!strcmp(path, "/"))
		return -EINVAL;
	return -rm_node(&c, path);
}

void pvmx_xs_get_stats(const struct pvmx_xs *xs, struct pvmx_xs_stats *st)
{
	size_t i;

	*st = xs->st;
	st->nodes = xs->main.nr;
	st->bytes = xs->main.bytes;
	st->out_bytes = xs->out_bytes;
	st->txn_records = 0;
	for (i = 0; i < PVMX_XS_MAX_TRANSACTIONS; i++)
		if (xs->txns[i])
			st->txn_records += xs->txns[i]->nr_acc + xs->txns[i]->nr_ev;
}

/*
 * What xl (libxl__domain_make(), libxl__build_post(), the console device)
 * writes for a PV domU: the domain's directory readable by it, "device",
 * "control", "memory", "cpu" readable, the directories it may write
 * ("data", "drivers", "feature", "attr", "error", control/shutdown and the
 * feature-* nodes), the console frontend and its dom0 backend.
 */
int pvmx_xs_seed_domain(struct pvmx_xs *xs, const struct pvmx_xs_domain *d)
{
	char dom[32], ro[32], rw[32], vm[64], buf[64], key[96];
	unsigned int i;
	int rc = 0;

#define W(k, v, p) do {							\
		snprintf(key, sizeof(key), "%s/%s", dom, (k));		\
		rc = rc ? rc : pvmx_xs_write(xs, key, (v), (p));	\
	} while (0)

	snprintf(dom, sizeof(dom), "/local/domain/%u", d->domid);
	snprintf(ro, sizeof(ro), "n0 r%u", d->domid);
	snprintf(rw, sizeof(rw), "n%u", d->domid);
	snprintf(vm, sizeof(vm), "/vm/00000000-0000-0000-0000-%012x", d->domid);

	rc = pvmx_xs_write(xs, dom, "", ro);
	rc = rc ? rc : pvmx_xs_write(xs, vm, "", ro);
	snprintf(key, sizeof(key), "%s/uuid", vm);
	rc = rc ? rc : pvmx_xs_write(xs, key, vm + 4, NULL);
	snprintf(key, sizeof(key), "%s/name", vm);
	rc = rc ? rc : pvmx_xs_write(xs, key, d->name, NULL);
	W("vm", vm, NULL);
	W("name", d->name, NULL);
	snprintf(buf, sizeof(buf), "%u", d->domid);
	W("domid", buf, NULL);
	W("cpu", "", ro);
	for (i = 0; i < d->vcpus; i++) {
		char k[32];

		snprintf(k, sizeof(k), "cpu/%u/availability", i);
		W(k, "online", NULL);
	}
	W("memory", "", ro);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)d->memory_kb);
	W("memory/static-max", buf, NULL);
	W("memory/target", buf, NULL);
	W("memory/videoram", "0", NULL);
	W("device", "", ro);
	W("device/suspend/event-channel", "", rw);
	W("control", "", ro);
	W("control/shutdown", "", rw);
	W("control/feature-poweroff", "", rw);
	W("control/feature-reboot", "", rw);
	W("control/feature-suspend", "", rw);
	W("control/sysrq", "", rw);
	W("control/platform-feature-multiprocessor-suspend", "1", NULL);
	W("control/platform-feature-xs_reset_watches", "1", NULL);
	W("data", "", rw);
	W("drivers", "", rw);
	W("feature", "", rw);
	W("attr", "", rw);
	W("error", "", rw);
	snprintf(buf, sizeof(buf), "%u", d->store_port);
	W("store/port", buf, NULL);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)d->store_mfn);
	W("store/ring-ref", buf, NULL);
	if (d->console_mfn != ~0ULL) {
		char back[64], front[32];

		snprintf(back, sizeof(back), "/local/domain/0/backend/console/%u/0", d->domid);
		snprintf(front, sizeof(front), "n%u r0", d->domid);
		W("console", "", front);
		W("console/backend", back, NULL);
		W("console/backend-id", "0", NULL);
		W("console/limit", "1048576", ro);
		W("console/type", "xenconsoled", ro);
		W("console/output", "pty", ro);
		W("console/tty", "", ro);
		snprintf(buf, sizeof(buf), "%u", d->console_port);
		W("console/port", buf, ro);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)d->console_mfn);
		W("console/ring-ref", buf, ro);
		rc = rc ? rc : pvmx_xs_write(xs, back, "", ro);
		snprintf(key, sizeof(key), "%s/frontend", back);
		rc = rc ? rc : pvmx_xs_write(xs, key, dom, NULL);
		snprintf(buf, sizeof(buf), "%u", d->domid);
		snprintf(key, sizeof(key), "%s/frontend-id", back);
		rc = rc ? rc : pvmx_xs_write(xs, key, buf, NULL);
		snprintf(key, sizeof(key), "%s/online", back);
		rc = rc ? rc : pvmx_xs_write(xs, key, "1", NULL);
		snprintf(key, sizeof(key), "%s/state", back);
		rc = rc ? rc : pvmx_xs_write(xs, key, "4", NULL);	/* XenbusStateConnected */
		snprintf(key, sizeof(key), "%s/protocol", back);
		rc = rc ? rc : pvmx_xs_write(xs, key, "vt100", NULL);
		W("console/state", "1", NULL);	/* XenbusStateInitialising */
		W("console/protocol", "vt100", NULL);
	}
#undef W
	return rc;
}
