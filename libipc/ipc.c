// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The front end: backend choice, and every check that does not depend on
 * the backend, in the order the kernel makes them, so that both backends
 * fail a bad call with the same errno.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "front.h"

/*
 * The backend, chosen once (libuv-style: the fast one if it works, the
 * portable one otherwise, an environment override) and kept for the life
 * of the process, children included.
 *
 * Only a definite answer is kept: the module is there and speaks our ABI,
 * or there is no module (no /dev/kmbox: ENOENT; a node with no driver:
 * ENODEV, ENXIO), or the environment names no backend.  Any other failure
 * to use /dev/kmbox (EACCES, EMFILE, ENOMEM, an ioctl that fails) fails
 * the call at hand and the next call tries again: falling back to posix
 * then would put this process's mailboxes in another world than its
 * peers', for good.
 */
static pthread_mutex_t ipc_choice_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct ipc_backend_ops *ipc_ops;
static int ipc_ops_err;
static bool ipc_chosen;

static bool ipc_kernel_absent(int err)
{
	return err == -ENOENT || err == -ENODEV || err == -ENXIO;
}

/* The backend to use (*ops) or why none (-errno); *keep: a final answer. */
static int ipc_choose(const struct ipc_backend_ops **ops, bool *keep)
{
	/* Not for set-user-ID programs: their caller's environment is not theirs. */
	const char *want = secure_getenv("LIBIPC_BACKEND");
	int ret;

	*ops = NULL;
	*keep = true;
	if (want && *want) {
		if (!strcmp(want, "kernel"))
			*ops = &ipc_kernel_ops;
		else if (!strcmp(want, "posix"))
			*ops = &ipc_posix_ops;
		else
			return -EINVAL;
		/* Forced: no fallback, the caller asked for this one. */
		ret = (*ops)->init();
		if (ret) {
			*ops = NULL;
			*keep = ipc_kernel_absent(ret);
		}
		return ret;
	}
	ret = ipc_kernel_ops.init();
	if (!ret) {
		*ops = &ipc_kernel_ops;
		return 0;
	}
	if (!ipc_kernel_absent(ret)) {
		*keep = false;
		return ret;
	}
	ret = ipc_posix_ops.init();
	if (!ret)
		*ops = &ipc_posix_ops;
	return ret;
}

/* The backend in use, or NULL with *err set. */
const struct ipc_backend_ops *ipc_get_ops(int *err)
{
	const struct ipc_backend_ops *ops;
	bool keep;
	int ret;

	if (!__atomic_load_n(&ipc_chosen, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&ipc_choice_lock);
		if (!ipc_chosen) {
			ret = ipc_choose(&ops, &keep);
			if (!keep) {
				pthread_mutex_unlock(&ipc_choice_lock);
				*err = ret;
				return NULL;
			}
			ipc_ops = ops;
			ipc_ops_err = ret;
			__atomic_store_n(&ipc_chosen, true, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&ipc_choice_lock);
	}
	*err = ipc_ops_err;
	return ipc_ops;
}

IPC_EXPORT const char *ipc_backend(void)
{
	const struct ipc_backend_ops *ops;
	int err;

	ops = ipc_get_ops(&err);
	return ops ? ops->name : NULL;
}

/* ---- helpers for the backends ------------------------------------------- */

int64_t ipc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Copy len bytes starting at byte off of the iovec into dst; returns len copied. */
size_t ipc_iov_copy_from(void *dst, const struct iovec *iov, int iovcnt,
			 size_t off, size_t len)
{
	char *d = dst;
	size_t done = 0;
	int i;

	for (i = 0; i < iovcnt && done < len; i++) {
		size_t n = iov[i].iov_len;

		if (off >= n) {
			off -= n;
			continue;
		}
		n -= off;
		if (n > len - done)
			n = len - done;
		memcpy(d + done, (const char *)iov[i].iov_base + off, n);
		done += n;
		off = 0;
	}
	return done;
}

/* Copy len bytes of src into the iovec starting at byte off; returns len copied. */
size_t ipc_iov_copy_to(const struct iovec *iov, int iovcnt, size_t off,
		       const void *src, size_t len)
{
	const char *s = src;
	size_t done = 0;
	int i;

	for (i = 0; i < iovcnt && done < len; i++) {
		size_t n = iov[i].iov_len;

		if (off >= n) {
			off -= n;
			continue;
		}
		n -= off;
		if (n > len - done)
			n = len - done;
		memcpy((char *)iov[i].iov_base + off, s + done, n);
		done += n;
		off = 0;
	}
	return done;
}

/* ---- argument checks ----------------------------------------------------- */

static bool ipc_access_valid(unsigned int access)
{
	return access && !(access & ~(IPC_RECV | IPC_SEND));
}

/* 1..IPC_NAME_MAX bytes, no '/': the kernel's rules and errnos. */
static int ipc_check_name(const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, IPC_NAME_MAX + 1);
	if (len > IPC_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len || memchr(name, '/', len))
		return -EINVAL;
	return 0;
}

int ipc_check_wait(const struct ipc_wait *w)
{
	if (w->__reserved)
		return -EINVAL;
	switch (w->mode) {
	case IPC_BLOCK:
	case IPC_NONBLOCK:
		return w->ns ? -EINVAL : 0;
	case IPC_TIMEOUT:
	case IPC_DEADLINE:
		return w->ns < 0 ? -EINVAL : 0;
	}
	return -EINVAL;
}

/*
 * Check an iovec as writev(2) would: count in 0..IOV_MAX, no NULL base for
 * a non-empty element, a total that fits.  *total gets the total length.
 */
int ipc_check_iov(const struct iovec *iov, int iovcnt, size_t *total)
{
	size_t sum = 0;
	int i;

	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	if (iovcnt && !iov)
		return -EFAULT;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len && !iov[i].iov_base)
			return -EFAULT;
		if (iov[i].iov_len > SSIZE_MAX - sum)
			return -EINVAL;
		sum += iov[i].iov_len;
	}
	*total = sum;
	return 0;
}

const struct ipc_wait ipc_wait_block = { .mode = IPC_BLOCK };

int ipc_check_attr(const struct ipc_attr *a, unsigned int allowed)
{
	if (a->flags & ~allowed || a->mode & ~0777u ||
	    a->__reserved0 || a->__reserved[0] || a->__reserved[1] || a->__reserved[2])
		return -EINVAL;
	return 0;
}

/* ---- the API --------------------------------------------------------------- */

static int ipc_do_create(const char *name, const struct ipc_attr *attr,
			 unsigned int access, struct ipc_mbox **out, bool *created)
{
	struct ipc_attr a = { .mode = 0600 };
	const struct ipc_backend_ops *ops;
	int ret;

	if (out)
		*out = NULL;		/* whatever fails */
	ops = ipc_get_ops(&ret);
	if (!ops)
		return ret;
	if (!out)
		return -EFAULT;
	if (attr)
		a = *attr;
	if (ipc_check_attr(&a, IPC_EXCL | IPC_OWNER_CLOSE | IPC_PRIO | IPC_SELECT) ||
	    !ipc_access_valid(access))
		return -EINVAL;
	if (name) {
		ret = ipc_check_name(name);
		if (ret)
			return ret;
	} else if (a.flags & IPC_EXCL) {
		return -EINVAL;		/* nothing to be exclusive about */
	}
	return ops->create(name, &a, access, out, created);
}

IPC_EXPORT int ipc_create(const char *name, const struct ipc_attr *attr,
			  unsigned int access, struct ipc_mbox **out)
{
	bool created;

	return ipc_do_create(name, attr, access, out, &created);
}

IPC_EXPORT int ipc_create_or_open(const char *name, const struct ipc_attr *attr,
				  unsigned int access, struct ipc_mbox **out)
{
	bool created = false;
	int ret;

	ret = ipc_do_create(name, attr, access, out, &created);
	return ret ? ret : created;
}

IPC_EXPORT int ipc_open(const char *name, unsigned int access, struct ipc_mbox **out)
{
	const struct ipc_backend_ops *ops;
	int ret;

	if (out)
		*out = NULL;		/* whatever fails */
	ops = ipc_get_ops(&ret);
	if (!ops)
		return ret;
	if (!out)
		return -EFAULT;
	if (!ipc_access_valid(access))
		return -EINVAL;
	ret = ipc_check_name(name);
	if (ret)
		return ret;
	return ops->open(name, access, out);
}

IPC_EXPORT int ipc_unlink(const char *name)
{
	const struct ipc_backend_ops *ops;
	int ret;

	ops = ipc_get_ops(&ret);
	if (!ops)
		return ret;
	ret = ipc_check_name(name);
	if (ret)
		return ret;
	return ops->unlink(name);
}

IPC_EXPORT int ipc_close(struct ipc_mbox *mb)
{
	if (!mb)
		return -EINVAL;
	if (!(mb->access & IPC_SEND))
		return -EBADF;
	return mb->ops->close(mb);
}

IPC_EXPORT int ipc_destroy(struct ipc_mbox *mb)
{
	if (!mb)
		return -EINVAL;
	return mb->ops->destroy(mb);
}

IPC_EXPORT int ipc_release(struct ipc_mbox *mb)
{
	if (mb)
		mb->ops->release(mb);
	return 0;
}

IPC_EXPORT int ipc_sendv(struct ipc_mbox *mb, const struct iovec *iov,
			 int iovcnt, const struct ipc_wait *w, unsigned int flags)
{
	struct ipc_msg_req req = {
		.iov = iov, .iovcnt = iovcnt, .wait = w ? w : &ipc_wait_block,
		.flags = flags,
	};
	int ret;

	if (!mb)
		return -EINVAL;
	if (!(mb->access & IPC_SEND))
		return -EBADF;
	if (flags & ~IPC_SYNC)
		return -EINVAL;
	ret = ipc_check_wait(req.wait);
	if (!ret)
		ret = ipc_check_iov(iov, iovcnt, &req.len);
	if (ret)
		return ret;
	return mb->ops->send(mb, &req);
}

IPC_EXPORT int ipc_send(struct ipc_mbox *mb, const void *buf, size_t len,
			const struct ipc_wait *w, unsigned int flags)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return ipc_sendv(mb, &iov, 1, w, flags);
}

IPC_EXPORT ssize_t ipc_recvv(struct ipc_mbox *mb, const struct iovec *iov,
			     int iovcnt, const struct ipc_wait *w,
			     unsigned int flags, struct ipc_msginfo *info)
{
	struct ipc_msg_req req = {
		.iov = iov, .iovcnt = iovcnt, .wait = w ? w : &ipc_wait_block,
		.flags = flags,
	};
	struct ipc_msginfo dummy;
	int ret;

	if (!mb)
		return -EINVAL;
	if (!(mb->access & IPC_RECV))
		return -EBADF;
	if (flags & ~IPC_PEEK)
		return -EINVAL;
	ret = ipc_check_wait(req.wait);
	if (!ret)
		ret = ipc_check_iov(iov, iovcnt, &req.len);
	if (ret)
		return ret;
	if (!info) {
		info = &dummy;
		req.no_info = true;
	}
	memset(info, 0, sizeof(*info));
	return mb->ops->recv(mb, &req, info);
}

IPC_EXPORT ssize_t ipc_recv(struct ipc_mbox *mb, void *buf, size_t size,
			    const struct ipc_wait *w, unsigned int flags,
			    struct ipc_msginfo *info)
{
	struct iovec iov = { .iov_base = buf, .iov_len = size };

	return ipc_recvv(mb, &iov, 1, w, flags, info);
}

/* ---- batches ------------------------------------------------------------- */

/*
 * The entries' reserved fields, and the count: the kernel's errnos.  A
 * NULL buffer of a non-zero length ends the batch there, as a bad buffer
 * does in the kernel, but before anything else about that message is
 * looked at, as ipc_send and ipc_recv check theirs: *count is cut to the
 * entries before it, and one at entry 0 is EFAULT.
 */
static int ipc_check_vec(const struct ipc_msgvec *vec, unsigned int *count)
{
	unsigned int i, n = *count;

	if (n > IPC_BATCH_MAX)
		return -EINVAL;
	if (n && !vec)
		return -EFAULT;
	for (i = 0; i < n; i++)
		if (vec[i].__reserved[0] || vec[i].__reserved[1])
			return -EINVAL;
	for (i = 0; i < n; i++)
		if (!vec[i].buf && vec[i].len) {
			*count = i;
			return i ? 0 : -EFAULT;
		}
	return 0;
}

/*
 * How the messages of a batch done one call at a time wait: the first as
 * w says, the rest not at all, or with IPC_WAITALL each until the one
 * deadline (a relative timeout is made absolute once, here).
 */
static void ipc_batch_waits(const struct ipc_wait *w, unsigned int flags,
			    struct ipc_wait *first, struct ipc_wait *later)
{
	int64_t now;

	*first = *w;
	if (w->mode == IPC_TIMEOUT && (flags & IPC_WAITALL)) {
		now = ipc_now_ns();
		first->mode = IPC_DEADLINE;
		first->ns = w->ns > INT64_MAX - now ? INT64_MAX : now + w->ns;
	}
	*later = *first;
	if (!(flags & IPC_WAITALL)) {
		later->mode = IPC_NONBLOCK;
		later->ns = 0;
	}
}

int ipc_send_batch_loop(struct ipc_mbox *mb, const struct ipc_msgvec *vec,
			unsigned int count, const struct ipc_wait *w,
			unsigned int flags)
{
	struct ipc_wait first, later;
	unsigned int i;
	int ret = 0;

	ipc_batch_waits(w, flags, &first, &later);
	for (i = 0; i < count; i++) {
		struct iovec iov = { .iov_base = vec[i].buf, .iov_len = vec[i].len };
		struct ipc_msg_req req = {
			.iov = &iov, .iovcnt = 1, .len = vec[i].len,
			.wait = i ? &later : &first, .flags = flags & IPC_SYNC,
		};

		ret = ipc_check_iov(&iov, 1, &req.len);
		if (!ret)
			ret = mb->ops->send(mb, &req);
		if (ret)
			break;
	}
	return i ? (int)i : ret;
}

int ipc_recv_batch_loop(struct ipc_mbox *mb, struct ipc_msgvec *vec,
			unsigned int count, const struct ipc_wait *w,
			unsigned int flags)
{
	struct ipc_wait first, later;
	struct ipc_msginfo info;
	unsigned int i;
	ssize_t ret = 0;

	ipc_batch_waits(w, flags, &first, &later);
	for (i = 0; i < count; i++) {
		struct iovec iov = { .iov_base = vec[i].buf, .iov_len = vec[i].len };
		struct ipc_msg_req req = {
			.iov = &iov, .iovcnt = 1, .wait = i ? &later : &first,
		};

		memset(&info, 0, sizeof(info));
		ret = ipc_check_iov(&iov, 1, &req.len);
		if (!ret)
			ret = mb->ops->recv(mb, &req, &info);
		if (ret < 0)
			break;
		vec[i].len = info.len;
		vec[i].pid = info.pid;
		vec[i].uid = info.uid;
		vec[i].gid = info.gid;
		vec[i].flags = info.flags;
	}
	if (!i && ret == -EMSGSIZE)
		vec[0].len = info.len;
	return i ? (int)i : (int)ret;
}

IPC_EXPORT int ipc_send_batch(struct ipc_mbox *mb, const struct ipc_msgvec *vec,
			      unsigned int count, const struct ipc_wait *w,
			      unsigned int flags)
{
	int ret;

	if (!mb)
		return -EINVAL;
	if (!(mb->access & IPC_SEND))
		return -EBADF;
	if (flags & ~(IPC_SYNC | IPC_WAITALL))
		return -EINVAL;
	if (!w)
		w = &ipc_wait_block;
	ret = ipc_check_wait(w);
	if (!ret)
		ret = ipc_check_vec(vec, &count);
	if (ret || !count)
		return ret;
	if (mb->ops->send_batch)
		return mb->ops->send_batch(mb, vec, count, w, flags);
	return ipc_send_batch_loop(mb, vec, count, w, flags);
}

IPC_EXPORT int ipc_recv_batch(struct ipc_mbox *mb, struct ipc_msgvec *vec,
			      unsigned int count, const struct ipc_wait *w,
			      unsigned int flags)
{
	int ret;

	if (!mb)
		return -EINVAL;
	if (!(mb->access & IPC_RECV))
		return -EBADF;
	if (flags & ~IPC_WAITALL)
		return -EINVAL;
	if (!w)
		w = &ipc_wait_block;
	ret = ipc_check_wait(w);
	if (!ret)
		ret = ipc_check_vec(vec, &count);
	if (ret || !count)
		return ret;
	if (mb->ops->recv_batch)
		return mb->ops->recv_batch(mb, vec, count, w, flags);
	return ipc_recv_batch_loop(mb, vec, count, w, flags);
}

IPC_EXPORT int ipc_info(struct ipc_mbox *mb, struct ipc_info *info)
{
	if (!mb)
		return -EINVAL;
	if (!info)
		return -EFAULT;
	memset(info, 0, sizeof(*info));
	return mb->ops->info(mb, info);
}

IPC_EXPORT int ipc_fd(struct ipc_mbox *mb)
{
	if (!mb)
		return -EINVAL;
	return mb->ops->fd(mb);
}

IPC_EXPORT int ipc_stat(const char *name, struct ipc_stat *st)
{
	const struct ipc_backend_ops *ops;
	int ret;

	ops = ipc_get_ops(&ret);
	if (!ops)
		return ret;
	if (!st)
		return -EFAULT;
	memset(st, 0, sizeof(*st));
	ret = ipc_check_name(name);
	if (ret)
		return ret;
	return ops->stat(name, st);
}

IPC_EXPORT int ipc_list(ipc_list_fn fn, void *arg)
{
	const struct ipc_backend_ops *ops;
	int ret;

	ops = ipc_get_ops(&ret);
	if (!ops)
		return ret;
	if (!fn)
		return -EINVAL;
	return ops->list(fn, arg);
}

struct ipc_id_search {
	uint64_t id;
	struct ipc_stat *st;
};

static int ipc_id_match(const struct ipc_stat *st, void *arg)
{
	struct ipc_id_search *s = arg;

	if ((st->flags & IPC_STAT_PARTIAL) || st->info.id != s->id)
		return 0;
	*s->st = *st;
	return 1;
}

/* ipc_stat_id with the backend's list: what it lists, it finds. */
int ipc_stat_id_by_list(const struct ipc_backend_ops *ops, uint64_t id,
			struct ipc_stat *st)
{
	struct ipc_id_search s = { .id = id, .st = st };
	int ret = ops->list(ipc_id_match, &s);

	if (ret < 0)
		return ret;
	return ret ? 0 : -ENOENT;
}

/*
 * ipc_destroy_id through the mailbox's name, for a backend (or a module)
 * with no destroy by id: found by the list, opened by name with any access
 * the mode grants, and destroyed only if the name still leads to that id.
 * One without a name cannot be reached so: ENOTSUP.
 */
int ipc_destroy_id_by_name(const struct ipc_backend_ops *ops, uint64_t id)
{
	struct ipc_mbox *mb = NULL;
	struct ipc_info info;
	struct ipc_stat st;
	int ret;

	memset(&st, 0, sizeof(st));
	ret = ipc_stat_id_by_list(ops, id, &st);
	if (ret)
		return ret;
	if (!st.info.name[0])
		return -ENOTSUP;
	ret = ops->open(st.info.name, IPC_RECV, &mb);
	if (ret == -EACCES)
		ret = ops->open(st.info.name, IPC_SEND, &mb);
	if (ret)
		return ret;
	memset(&info, 0, sizeof(info));
	ret = ops->info(mb, &info);
	if (!ret && info.id != id)
		ret = -ENOENT;	/* the name is another mailbox's now */
	if (!ret)
		ret = ops->destroy(mb);
	ops->release(mb);
	return ret;
}

IPC_EXPORT int ipc_stat_id(uint64_t id, struct ipc_stat *st)
{
	const struct ipc_backend_ops *ops;
	int ret;

	ops = ipc_get_ops(&ret);
	if (!ops)
		return ret;
	if (!st)
		return -EFAULT;
	memset(st, 0, sizeof(*st));
	if (ops->stat_id)
		return ops->stat_id(id, st);
	return ipc_stat_id_by_list(ops, id, st);
}

IPC_EXPORT int ipc_destroy_id(uint64_t id)
{
	const struct ipc_backend_ops *ops;
	int ret;

	ops = ipc_get_ops(&ret);
	if (!ops)
		return ret;
	if (ops->destroy_id)
		return ops->destroy_id(id);
	return ipc_destroy_id_by_name(ops, id);
}
