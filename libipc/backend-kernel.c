// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The kernel backend: each call is one system call: an ioctl of the raw
 * layer, or readv/writev where they mean the same and cost less
 * (kbox_plain).  The module does the work and the checking; this file only
 * translates structs.  The ioctls have no vectored send or receive of one
 * message, so the iovec variants that need one go through a bounce buffer;
 * a batch of messages is one call.  Ports and calls are in kernel-direct.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "kernel.h"

static_assert(IPC_RECV == KMBOX_ACCESS_RECV && IPC_SEND == KMBOX_ACCESS_SEND,
	      "access bits are the ABI's");
static_assert(IPC_UNBOUNDED == KMBOX_CAPACITY_UNBOUNDED, "unbounded");
static_assert(IPC_NAME_MAX == KMBOX_NAME_MAX, "name length");
static_assert(IPC_STAT_PIDS == KMBOX_INFO_PIDS, "pids of blocked callers");
static_assert(IPC_STATE_OPEN == KMBOX_STATE_OPEN &&
	      IPC_STATE_CLOSED == KMBOX_STATE_CLOSED &&
	      IPC_STATE_DESTROYED == KMBOX_STATE_DESTROYED, "states");

static_assert(IPC_PRIO_MAX == KMBOX_PRIO_MAX, "priorities");

int kbox_dev = -1;
/*
 * The module's KMBOX_FEATURE_* bits, read with the control device: a
 * module older than a feature gets the older way of doing the same, where
 * there is one (/proc/kmbox for introspection), else ENOTSUP.
 */
static uint64_t kbox_features;

static int kbox_init(void)
{
	struct kmbox_limits lim;
	int dev, ret;

	dev = kmbox_raw_dev_open();
	if (dev < 0)
		return dev;
	memset(&lim, 0, sizeof(lim));
	ret = kmbox_raw_limits(dev, &lim);
	/*
	 * Later versions only add (structs grow, their size says which
	 * version a caller speaks): anything from version 1 on speaks ours.
	 */
	if (!ret && lim.abi_version < KMBOX_ABI_VERSION)
		ret = -EPROTO;
	if (ret) {
		close(dev);
		return ret;
	}
	kbox_features = lim.features;
	kbox_dev = dev;
	return 0;
}

bool kbox_has(uint64_t feature)
{
	return (kbox_features & feature) == feature;
}

int kbox_wrap(int fd, unsigned int access, struct ipc_mbox **out)
{
	struct kbox *kb;

	if (fd < 0)
		return fd;
	kb = calloc(1, sizeof(*kb));
	if (!kb) {
		close(fd);
		return -ENOMEM;
	}
	kb->base.ops = &ipc_kernel_ops;
	kb->base.access = access;
	kb->fd = fd;
	*out = &kb->base;
	return 0;
}

static int kbox_create(const char *name, const struct ipc_attr *attr,
		       unsigned int access, struct ipc_mbox **out, bool *created)
{
	struct kmbox_create c = {
		.flags = KMBOX_FD_CLOEXEC |
			 ((attr->flags & IPC_EXCL) ? KMBOX_CREATE_EXCL : 0) |
			 ((attr->flags & IPC_OWNER_CLOSE) ? KMBOX_CREATE_OWNER_CLOSE : 0) |
			 ((attr->flags & IPC_PRIO) ? KMBOX_CREATE_PRIO : 0) |
			 ((attr->flags & IPC_SELECT) ? KMBOX_CREATE_SELECT : 0),
		.access = access,
		.capacity = attr->capacity,
		.max_msg_size = attr->max_msg_size,
		.mode = attr->mode,
		.name = (uintptr_t)name,
	};
	bool reports = kbox_has(KMBOX_FEATURE_CREATE_RESULT);
	int ret;

	if (!reports && (attr->flags & IPC_OWNER_CLOSE))
		return -ENOTSUP;	/* a module older than the flag */
	if ((attr->flags & (IPC_PRIO | IPC_SELECT)) && !kbox_has(KMBOX_FEATURE_SELECT))
		return -ENOTSUP;
	/*
	 * A module older than the result word cannot say which it did: ask
	 * it to create first, and open only if the name exists.
	 */
	if (!reports && name && !(c.flags & KMBOX_CREATE_EXCL)) {
		c.flags |= KMBOX_CREATE_EXCL;
		ret = kbox_wrap(kmbox_raw_create(kbox_dev, &c), access, out);
		if (ret != -EEXIST) {
			*created = !ret;
			return ret;
		}
		c.flags &= ~KMBOX_CREATE_EXCL;
		ret = kbox_wrap(kmbox_raw_create(kbox_dev, &c), access, out);
		*created = false;
		return ret;
	}
	ret = kbox_wrap(kmbox_raw_create(kbox_dev, &c), access, out);
	*created = !ret && (!reports || (c.result & KMBOX_CREATE_CREATED));
	return ret;
}

static int kbox_open(const char *name, unsigned int access, struct ipc_mbox **out)
{
	struct kmbox_open o = {
		.flags = KMBOX_FD_CLOEXEC,
		.access = access,
		.name = (uintptr_t)name,
	};

	return kbox_wrap(kmbox_raw_open(kbox_dev, &o), access, out);
}

static int kbox_unlink(const char *name)
{
	struct kmbox_unlink u = { .name = (uintptr_t)name };

	return kmbox_raw_unlink(kbox_dev, &u);
}

static int kbox_close(struct ipc_mbox *mb)
{
	return kmbox_raw_close(to_kbox(mb)->fd);
}

static int kbox_destroy(struct ipc_mbox *mb)
{
	return kmbox_raw_destroy(to_kbox(mb)->fd);
}

static void kbox_release(struct ipc_mbox *mb)
{
	close(to_kbox(mb)->fd);
	free(mb);
}

uint32_t kbox_mode(const struct ipc_wait *w)
{
	switch (w->mode) {
	case IPC_NONBLOCK:
		return KMBOX_MSG_NONBLOCK;
	case IPC_TIMEOUT:
		return KMBOX_MSG_TIMEOUT;
	case IPC_DEADLINE:
		return KMBOX_MSG_DEADLINE;
	}
	return 0;
}

/*
 * A buffer of size bytes for the whole message when it is spread over
 * several iovec elements: a single element is used in place.
 */
void *kbox_bounce(const struct ipc_msg_req *req, size_t size, void **to_free)
{
	*to_free = NULL;
	if (req->iovcnt == 1)
		return req->iov[0].iov_base;
	if (!size)
		return NULL;
	*to_free = malloc(size);
	return *to_free;
}

/*
 * The cheapest path: a blocking send that need not wait for its receiver,
 * and a blocking receive whose caller wants no sender ids, are a writev or
 * a readv, as the module makes them one message (fewer copies than the
 * ioctl's struct, and no bounce buffer for several iovec elements).  They
 * are taken only where they mean the same as the ioctl: a write acts for
 * the handle's opener and the module refuses it (EPERM) to a caller with
 * other effective ids, and a descriptor someone made O_NONBLOCK gives
 * EAGAIN; in both cases nothing was sent or taken, and the ioctl follows.
 * A zero-length message or buffer always takes the ioctl.
 */
static bool kbox_plain(const struct ipc_msg_req *req, unsigned int flags)
{
	return req->wait->mode == IPC_BLOCK && !(req->flags & flags) &&
	       req->len > 0 && req->iovcnt <= IOV_MAX;
}

static bool kbox_plain_refused(int err)
{
	return err == EPERM || err == EAGAIN;
}

/*
 * A message with a priority or a tag is a VER1 SEND; any other passes only
 * the VER0 part, as before those fields were, so that the module copies
 * and checks no more than it did.
 */
static int kbox_send(struct ipc_mbox *mb, const struct ipc_msg_req *req)
{
	struct kmbox_send s = {
		.flags = kbox_mode(req->wait) |
			 ((req->flags & IPC_SYNC) ? KMBOX_SEND_SYNC : 0),
		.len = req->len,
		.timeout_ns = req->wait->ns,
	};
	void *buf, *to_free;
	int ret;

	if (req->sopt) {
		if (!kbox_has(KMBOX_FEATURE_SELECT))
			return -ENOTSUP;
		s.prio = req->sopt->prio;
		s.tag = req->sopt->tag;
	} else if (kbox_plain(req, IPC_SYNC)) {
		if (writev(to_kbox(mb)->fd, req->iov, req->iovcnt) >= 0)
			return 0;
		if (!kbox_plain_refused(errno))
			return -errno;
	}
	buf = kbox_bounce(req, req->len, &to_free);
	if (!buf && req->len)
		return -ENOMEM;
	if (to_free)
		ipc_iov_copy_from(buf, req->iov, req->iovcnt, 0, req->len);
	s.buf = (uintptr_t)buf;
	if (req->sopt)
		ret = kmbox_raw_send(to_kbox(mb)->fd, &s);
	else
		ret = kmbox_raw_send_ver0(to_kbox(mb)->fd, &s);
	free(to_free);
	return ret;
}

/* What reply_result holds until the module says how the reply went. */
#define KBOX_REPLY_UNTOLD	1

/*
 * The VER1 part of a RECV: the selection, the call flag and the reply
 * first.  A module without KMBOX_FEATURE_CALL has no calls to take, so
 * IPC_SEL_CALLS asks nothing of it; a selection or a reply it cannot do
 * is ENOTSUP, not the EINVAL it would say.
 */
static int kbox_recv_ver1(const struct ipc_msg_req *req, struct kmbox_recv *r)
{
	const struct ipc_recvopt *o = req->ropt;
	uint32_t sel = IPC_SEL_TAG | IPC_SEL_TAG_LE | IPC_SEL_FROM;

	if (o && (o->flags & sel) && !kbox_has(KMBOX_FEATURE_SELECT))
		return -ENOTSUP;
	if (req->reply && !kbox_has(KMBOX_FEATURE_CALL))
		return -ENOTSUP;
	if (o && (o->flags & IPC_SEL_TAG)) {
		r->flags |= KMBOX_RECV_TAG;
		r->want_tag = o->tag;
	}
	if (o && (o->flags & IPC_SEL_TAG_LE)) {
		r->flags |= KMBOX_RECV_TAG_LE;
		r->want_tag = o->tag;
	}
	if (o && (o->flags & IPC_SEL_FROM)) {
		r->flags |= KMBOX_RECV_FROM;
		r->want_pid = o->from;
	}
	if (o && (o->flags & IPC_SEL_CALLS) && kbox_has(KMBOX_FEATURE_CALL))
		r->flags |= KMBOX_RECV_CALL;
	if (req->reply) {
		r->flags |= KMBOX_RECV_REPLY;
		r->reply_call = req->reply->call;
		r->reply_buf = (uintptr_t)req->reply->buf;
		r->reply_len = req->reply->len;
		r->reply_result = KBOX_REPLY_UNTOLD;
	}
	return 0;
}

static void kbox_recv_ver1_out(const struct ipc_msg_req *req, const struct kmbox_recv *r,
			       int ret)
{
	if (req->ropt && ret >= 0) {
		req->ropt->prio = r->prio;
		req->ropt->msg_tag = r->tag;
		req->ropt->call = r->call;
		req->ropt->reply_size = r->reply_size;
	}
	/* Untold: the call failed before the reply was tried (EFAULT, EINVAL). */
	if (req->reply)
		*req->reply->result = r->reply_result == KBOX_REPLY_UNTOLD ?
				      (ret < 0 ? ret : 0) : r->reply_result;
}

static ssize_t kbox_recv(struct ipc_mbox *mb, const struct ipc_msg_req *req,
			 struct ipc_msginfo *info)
{
	bool ver1 = req->ropt || req->reply;
	struct kmbox_recv r = {
		.flags = kbox_mode(req->wait) |
			 ((req->flags & IPC_PEEK) ? KMBOX_RECV_PEEK : 0),
		.len = req->len,
		.timeout_ns = req->wait->ns,
	};
	struct kbox *kb = to_kbox(mb);
	uint32_t max = __atomic_load_n(&kb->max_msg_size, __ATOMIC_RELAXED);
	struct kmbox_info ki;
	void *buf, *to_free;
	ssize_t n;
	int ret;

	if (ver1) {
		ret = kbox_recv_ver1(req, &r);
		if (ret)
			return ret;
	} else if (req->no_info && kbox_plain(req, IPC_PEEK)) {
		n = readv(kb->fd, req->iov, req->iovcnt);
		if (n >= 0)
			return n;
		if (!kbox_plain_refused(errno))
			return -errno;
	}

	/*
	 * No message is longer than the mailbox's largest: a bounce buffer
	 * the size of the caller's (which may say anything) is not needed.
	 */
	if (req->iovcnt != 1 && req->len > 0) {
		if (!max) {
			memset(&ki, 0, sizeof(ki));
			ret = kmbox_raw_info(kb->fd, &ki);
			if (ret)
				return ret;
			max = ki.max_msg_size;
			__atomic_store_n(&kb->max_msg_size, max, __ATOMIC_RELAXED);
		}
		if (r.len > max)
			r.len = max;
	}
	buf = kbox_bounce(req, r.len, &to_free);
	if (!buf && r.len)
		return -ENOMEM;
	r.buf = (uintptr_t)buf;
	if (ver1) {
		ret = kmbox_raw_recv(kb->fd, &r);
		kbox_recv_ver1_out(req, &r, ret);
	} else {
		ret = kmbox_raw_recv_ver0(kb->fd, &r);
	}
	if (ret >= 0 || ret == -EMSGSIZE)
		info->len = r.len;
	if (ret >= 0) {
		info->pid = r.pid;
		info->uid = r.uid;
		info->gid = r.gid;
		info->flags = IPC_MSG_CRED_VERIFIED;
		if (to_free)
			ipc_iov_copy_to(req->iov, req->iovcnt, 0, buf, r.len);
		ret = (int)r.len;
	}
	free(to_free);
	return ret;
}

/*
 * Batches: one KMBOX_IOC_SEND_BATCH or RECV_BATCH, the entries translated
 * into the ABI's (on the stack for the usual sizes).  A module older than
 * the calls gets one call per message (ipc.c's loop), with the same rules.
 */
#define KBOX_BATCH_STACK	64

static struct kmbox_msgvec *kbox_vec(unsigned int count, struct kmbox_msgvec *stack)
{
	if (count <= KBOX_BATCH_STACK)
		return stack;
	return malloc(count * sizeof(struct kmbox_msgvec));
}

static uint32_t kbox_batch_flags(const struct ipc_wait *w, unsigned int flags)
{
	return kbox_mode(w) | ((flags & IPC_SYNC) ? KMBOX_SEND_SYNC : 0) |
	       ((flags & IPC_WAITALL) ? KMBOX_BATCH_WAITALL : 0);
}

static int kbox_send_batch(struct ipc_mbox *mb, const struct ipc_msgvec *vec,
			   unsigned int count, const struct ipc_wait *w,
			   unsigned int flags)
{
	struct kmbox_msgvec stack[KBOX_BATCH_STACK], *kv;
	struct kmbox_batch b = {
		.flags = kbox_batch_flags(w, flags),
		.count = count,
		.timeout_ns = w->ns,
	};
	unsigned int i;
	int ret;

	if (!kbox_has(KMBOX_FEATURE_BATCH))
		return ipc_send_batch_loop(mb, vec, count, w, flags);
	kv = kbox_vec(count, stack);
	if (!kv)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		memset(&kv[i], 0, sizeof(kv[i]));
		kv[i].buf = (uintptr_t)vec[i].buf;
		kv[i].len = vec[i].len;
	}
	b.vec = (uintptr_t)kv;
	ret = kmbox_raw_send_batch(to_kbox(mb)->fd, &b);
	if (kv != stack)
		free(kv);
	return ret;
}

static int kbox_recv_batch(struct ipc_mbox *mb, struct ipc_msgvec *vec,
			   unsigned int count, const struct ipc_wait *w,
			   unsigned int flags)
{
	struct kmbox_msgvec stack[KBOX_BATCH_STACK], *kv;
	struct kmbox_batch b = {
		.flags = kbox_batch_flags(w, flags),
		.count = count,
		.timeout_ns = w->ns,
	};
	unsigned int i;
	int ret;

	if (!kbox_has(KMBOX_FEATURE_BATCH))
		return ipc_recv_batch_loop(mb, vec, count, w, flags);
	kv = kbox_vec(count, stack);
	if (!kv)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		memset(&kv[i], 0, sizeof(kv[i]));
		kv[i].buf = (uintptr_t)vec[i].buf;
		kv[i].len = vec[i].len;
	}
	b.vec = (uintptr_t)kv;
	ret = kmbox_raw_recv_batch(to_kbox(mb)->fd, &b);
	for (i = 0; ret > 0 && i < (unsigned int)ret; i++) {
		vec[i].len = kv[i].len;
		vec[i].pid = kv[i].pid;
		vec[i].uid = kv[i].uid;
		vec[i].gid = kv[i].gid;
		vec[i].flags = IPC_MSG_CRED_VERIFIED;
	}
	if (ret == -EMSGSIZE)
		vec[0].len = kv[0].len;
	if (kv != stack)
		free(kv);
	return ret;
}

/* What INFO and STAT_ID say, as struct ipc_info. */
static void kbox_from_info(const struct kmbox_info *ki, struct ipc_info *info)
{
	info->id = ki->id;
	info->capacity = ki->capacity;
	info->max_msg_size = ki->max_msg_size;
	info->mode = ki->mode;
	info->uid = ki->uid;
	info->gid = ki->gid;
	info->access = ki->access;
	info->state = ki->state;
	info->msgs = ki->msgs;
	info->bytes = ki->bytes;
	info->senders_waiting = ki->senders_waiting;
	info->receivers_waiting = ki->receivers_waiting;
	info->sent = ki->sent;
	info->received = ki->received;
	info->dropped = ki->dropped;
	info->flags = ((ki->create_flags & KMBOX_CREATE_PRIO) ? IPC_PRIO : 0) |
		      ((ki->create_flags & KMBOX_CREATE_SELECT) ? IPC_SELECT : 0) |
		      ((ki->create_flags & KMBOX_CREATE_PORT) ? IPC_PORT : 0) |
		      ((ki->create_flags & KMBOX_CREATE_OWNER_CLOSE) ? IPC_OWNER_CLOSE : 0);
	info->port_pid = ki->port_pid;
	info->calls_pending = ki->calls_pending;
	memcpy(info->name, ki->name, sizeof(info->name));
	info->name[sizeof(info->name) - 1] = '\0';
}

static int kbox_info(struct ipc_mbox *mb, struct ipc_info *info)
{
	struct kmbox_info ki;
	int ret;

	memset(&ki, 0, sizeof(ki));
	ret = kmbox_raw_info(to_kbox(mb)->fd, &ki);
	if (ret)
		return ret;
	kbox_from_info(&ki, info);
	return 0;
}

static int kbox_fd(struct ipc_mbox *mb)
{
	return to_kbox(mb)->fd;
}

/* ---- introspection: by id (KMBOX_FEATURE_ADMIN) --------------------------- */

/* The mailbox with this id, as STAT_ID says; st is zeroed. */
static int kbox_stat_one(uint64_t id, struct ipc_stat *st)
{
	struct kmbox_info ki;
	int ret;

	memset(&ki, 0, sizeof(ki));
	ki.id = id;
	ret = kmbox_raw_stat_id(kbox_dev, &ki);
	if (ret)
		return ret;
	kbox_from_info(&ki, &st->info);
	st->nsenders = ki.nsenders < IPC_STAT_PIDS ? ki.nsenders : IPC_STAT_PIDS;
	st->nreceivers = ki.nreceivers < IPC_STAT_PIDS ? ki.nreceivers : IPC_STAT_PIDS;
	memcpy(st->senders, ki.senders, st->nsenders * sizeof(st->senders[0]));
	memcpy(st->receivers, ki.receivers, st->nreceivers * sizeof(st->receivers[0]));
	return 0;
}

/* Ids asked for per KMBOX_IOC_LIST. */
#define KBOX_LIST_BATCH	64

/*
 * Page through the module's ids: the mailbox called name into *one
 * (-ENOENT if there is none), or, name NULL, every mailbox to fn.  One
 * freed between the list and its stat was gone before fn could see it.
 */
static int kbox_walk_ids(const char *name, struct ipc_stat *one,
			 ipc_list_fn fn, void *arg)
{
	uint64_t ids[KBOX_LIST_BATCH], cursor = 0;
	struct kmbox_list l;
	struct ipc_stat st;
	int n, i, ret;

	do {
		memset(&l, 0, sizeof(l));
		l.count = KBOX_LIST_BATCH;
		l.cursor = cursor;
		l.ids = (uintptr_t)ids;
		n = kmbox_raw_list(kbox_dev, &l);
		if (n < 0)
			return n;
		for (i = 0; i < n; i++) {
			memset(&st, 0, sizeof(st));
			ret = kbox_stat_one(ids[i], &st);
			if (ret == -ENOENT)
				continue;
			if (ret)
				return ret;
			if (!name) {
				ret = fn(&st, arg);
				if (ret)
					return ret;
			} else if (!strcmp(st.info.name, name)) {
				*one = st;
				return 0;
			}
		}
		if (n)
			cursor = ids[n - 1];
	} while (n == KBOX_LIST_BATCH);
	return name ? -ENOENT : 0;
}

/* ---- introspection: /proc/kmbox, for a module without KMBOX_FEATURE_ADMIN - */

#define KBOX_PROC	"/proc/kmbox"
/* Fields of a mailbox line that this library knows; later ones are appended. */
#define KBOX_FIELDS	15

static int kbox_u64(const char *s, int base, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (*s < '0' || *s > '9')
		return -EPROTO;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno || *end)
		return -EPROTO;
	*v = x;
	return 0;
}

static int kbox_u32(const char *s, int base, uint32_t *v)
{
	uint64_t x = 0;
	int ret = kbox_u64(s, base, &x);

	if (!ret && x > UINT32_MAX)
		ret = -EPROTO;
	*v = (uint32_t)x;
	return ret;
}

/* Undo the octal escapes of a name (\040 for a space, \134 a backslash). */
static int kbox_unescape(const char *s, char *out, size_t size)
{
	size_t n = 0;

	while (*s) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			c = (unsigned char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
					    (s[3] - '0'));
			s += 4;
		} else {
			s++;
		}
		if (n + 1 >= size || !c)
			return -EPROTO;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

/* A pid list, "-" or "12,34": the first IPC_STAT_PIDS kept, all counted. */
static int kbox_pids(char *s, int32_t *pids, uint32_t *kept, uint32_t *count)
{
	char *tok, *save = NULL;
	uint64_t v;

	*kept = *count = 0;
	if (!strcmp(s, "-"))
		return 0;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (kbox_u64(tok, 10, &v) || v > INT32_MAX)
			return -EPROTO;
		if (*kept < IPC_STAT_PIDS)
			pids[(*kept)++] = (int32_t)v;
		(*count)++;
	}
	return 0;
}

/* One mailbox line of /proc/kmbox (kmod/procfs.c has the format). */
static int kbox_parse(char *line, struct ipc_stat *st)
{
	static const char *const states[] = {
		[IPC_STATE_OPEN] = "open",
		[IPC_STATE_CLOSED] = "closed",
		[IPC_STATE_DESTROYED] = "destroyed",
	};
	struct ipc_info *i = &st->info;
	char *f[KBOX_FIELDS], *tok, *save = NULL;
	int n = 0, ret;

	line[strcspn(line, "\n")] = '\0';
	for (tok = strtok_r(line, " ", &save); tok && n < KBOX_FIELDS;
	     tok = strtok_r(NULL, " ", &save))
		f[n++] = tok;
	if (n < KBOX_FIELDS)
		return -EPROTO;
	ret = kbox_u64(f[0], 10, &i->id);
	if (!ret && strcmp(f[1], "-") != 0)
		ret = kbox_unescape(f[1], i->name, sizeof(i->name));
	if (!ret) {
		if (!strcmp(f[2], "unbounded"))
			i->capacity = IPC_UNBOUNDED;
		else
			ret = kbox_u64(f[2], 10, &i->capacity);
	}
	ret = ret ?: kbox_u32(f[3], 10, &i->max_msg_size);
	ret = ret ?: kbox_u32(f[4], 10, &i->uid);
	ret = ret ?: kbox_u32(f[5], 10, &i->gid);
	ret = ret ?: kbox_u32(f[6], 8, &i->mode);
	if (!ret) {
		for (i->state = 0; i->state < 3; i->state++)
			if (!strcmp(f[7], states[i->state]))
				break;
		if (i->state == 3)
			ret = -EPROTO;
	}
	ret = ret ?: kbox_u64(f[8], 10, &i->msgs);
	ret = ret ?: kbox_u64(f[9], 10, &i->bytes);
	ret = ret ?: kbox_u64(f[10], 10, &i->sent);
	ret = ret ?: kbox_u64(f[11], 10, &i->received);
	ret = ret ?: kbox_u64(f[12], 10, &i->dropped);
	ret = ret ?: kbox_pids(f[13], st->senders, &st->nsenders,
			       &i->senders_waiting);
	ret = ret ?: kbox_pids(f[14], st->receivers, &st->nreceivers,
			       &i->receivers_waiting);
	return ret;
}

/*
 * Read /proc/kmbox: the line of the mailbox called name into *one
 * (-ENOENT if there is none), or, name NULL, every line to fn.
 */
static int kbox_walk(const char *name, struct ipc_stat *one, ipc_list_fn fn,
		     void *arg)
{
	struct ipc_stat st;
	char *line = NULL;
	size_t size = 0;
	bool header = true;
	int ret = name ? -ENOENT : 0;
	FILE *f;

	f = fopen(KBOX_PROC, "re");
	if (!f)
		return -errno;
	while (getline(&line, &size, f) >= 0) {
		if (header) {
			header = false;
			if (strncmp(line, "id name ", 8) != 0) {
				ret = -EPROTO;
				break;
			}
			continue;
		}
		memset(&st, 0, sizeof(st));
		ret = kbox_parse(line, &st);
		if (ret)
			break;
		if (name) {
			ret = -ENOENT;
			if (!strcmp(st.info.name, name)) {
				*one = st;
				ret = 0;
				break;
			}
			continue;
		}
		ret = fn(&st, arg);
		if (ret)
			break;
	}
	if (ferror(f) && (!ret || ret == -ENOENT))
		ret = -EIO;
	free(line);
	fclose(f);
	return ret;
}

static int kbox_stat(const char *name, struct ipc_stat *st)
{
	if (kbox_has(KMBOX_FEATURE_ADMIN))
		return kbox_walk_ids(name, st, NULL, NULL);
	return kbox_walk(name, st, NULL, NULL);
}

static int kbox_list(ipc_list_fn fn, void *arg)
{
	if (kbox_has(KMBOX_FEATURE_ADMIN))
		return kbox_walk_ids(NULL, NULL, fn, arg);
	return kbox_walk(NULL, NULL, fn, arg);
}

static int kbox_stat_id(uint64_t id, struct ipc_stat *st)
{
	if (kbox_has(KMBOX_FEATURE_ADMIN))
		return kbox_stat_one(id, st);
	return ipc_stat_id_by_list(&ipc_kernel_ops, id, st);
}

static int kbox_destroy_id(uint64_t id)
{
	struct kmbox_destroy_id d = { .id = id };

	if (kbox_has(KMBOX_FEATURE_ADMIN))
		return kmbox_raw_destroy_id(kbox_dev, &d);
	return ipc_destroy_id_by_name(&ipc_kernel_ops, id);
}

const struct ipc_backend_ops ipc_kernel_ops = {
	.name = "kernel",
	.init = kbox_init,
	.create = kbox_create,
	.open = kbox_open,
	.unlink = kbox_unlink,
	.close = kbox_close,
	.destroy = kbox_destroy,
	.release = kbox_release,
	.send = kbox_send,
	.recv = kbox_recv,
	.send_batch = kbox_send_batch,
	.recv_batch = kbox_recv_batch,
	.info = kbox_info,
	.port_create = kbox_port_create,
	.port_open = kbox_port_open,
	.call = kbox_call,
	.reply = kbox_reply,
	.fd = kbox_fd,
	.stat = kbox_stat,
	.list = kbox_list,
	.stat_id = kbox_stat_id,
	.destroy_id = kbox_destroy_id,
};
