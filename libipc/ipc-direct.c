// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The front end of LIBIPC_1.3: priorities and tags (ipc_send_opt,
 * ipc_recv_opt), ports (direct communication) and calls (RPC).  As in
 * ipc.c, everything that does not depend on the backend is checked here,
 * so that both backends fail a bad call with the same errno; a backend
 * without an operation fails it with ENOTSUP.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "front.h"

#define IPC_SEL_ALL	(IPC_SEL_TAG | IPC_SEL_TAG_LE | IPC_SEL_FROM | IPC_SEL_CALLS)

/* A buffer and its length, as one iovec element: EFAULT for NULL with a length. */
static int ipc_one_iov(struct iovec *iov, const void *buf, size_t len, size_t *total)
{
	iov->iov_base = (void *)buf;
	iov->iov_len = len;
	return ipc_check_iov(iov, 1, total);
}

/* ---- priorities and tags ----------------------------------------------------- */

IPC_EXPORT int ipc_send_opt(struct ipc_mbox *mb, const void *buf, size_t len,
			    const struct ipc_wait *w, unsigned int flags,
			    const struct ipc_sendopt *opt)
{
	struct iovec iov;
	struct ipc_msg_req req = {
		.iov = &iov, .iovcnt = 1, .wait = w ? w : &ipc_wait_block,
		.flags = flags,
	};
	int ret;

	if (!mb)
		return -EINVAL;
	if (!(mb->access & IPC_SEND))
		return -EBADF;
	if (flags & ~IPC_SYNC)
		return -EINVAL;
	if (opt && (opt->__reserved0 || opt->__reserved[0] || opt->__reserved[1] ||
		    opt->prio > IPC_PRIO_MAX))
		return -EINVAL;
	ret = ipc_check_wait(req.wait);
	if (!ret)
		ret = ipc_one_iov(&iov, buf, len, &req.len);
	if (ret)
		return ret;
	/* Priority 0 and tag 0 are every plain message's: the plain path. */
	if (opt && (opt->prio || opt->tag))
		req.sopt = opt;
	return mb->ops->send(mb, &req);
}

/*
 * The selection of a receive, checked, into *sel: the fields a flag does
 * not name are zeroed (they are ignored), and so are the out fields.
 */
static int ipc_check_recvopt(const struct ipc_recvopt *opt, struct ipc_recvopt *sel)
{
	memset(sel, 0, sizeof(*sel));
	if (opt->flags & ~IPC_SEL_ALL ||
	    (opt->flags & IPC_SEL_TAG && opt->flags & IPC_SEL_TAG_LE) ||
	    opt->__reserved[0] || opt->__reserved[1])
		return -EINVAL;
	/* No process has a pid <= 0: as the kernel says of a pid it cannot find. */
	if (opt->flags & IPC_SEL_FROM && opt->from <= 0)
		return -ESRCH;
	sel->flags = opt->flags;
	if (opt->flags & IPC_SEL_FROM)
		sel->from = opt->from;
	if (opt->flags & (IPC_SEL_TAG | IPC_SEL_TAG_LE))
		sel->tag = opt->tag;
	return 0;
}

static void ipc_recvopt_out(struct ipc_recvopt *opt, const struct ipc_recvopt *sel)
{
	opt->prio = sel->prio;
	opt->msg_tag = sel->msg_tag;
	opt->call = sel->call;
	opt->reply_size = sel->reply_size;
}

/*
 * A receive with a selection (sel, checked) and, if r is not NULL, a
 * reply first.  opt gets the out fields, also on error (zeroes then).
 */
static ssize_t ipc_do_recv_opt(struct ipc_mbox *mb, void *buf, size_t size,
			       const struct ipc_wait *w, unsigned int flags,
			       struct ipc_msginfo *info, struct ipc_recvopt *opt,
			       struct ipc_recvopt *sel, const struct ipc_reply_req *r)
{
	struct iovec iov;
	struct ipc_msg_req req = {
		.iov = &iov, .iovcnt = 1, .wait = w ? w : &ipc_wait_block,
		.flags = flags, .ropt = sel, .reply = r,
	};
	struct ipc_msginfo dummy;
	ssize_t ret;

	ret = ipc_check_wait(req.wait);
	if (!ret)
		ret = ipc_one_iov(&iov, buf, size, &req.len);
	if (ret)
		return ret;
	if (!info) {
		info = &dummy;
		req.no_info = true;
	}
	memset(info, 0, sizeof(*info));
	ret = mb->ops->recv(mb, &req, info);
	ipc_recvopt_out(opt, sel);
	return ret;
}

IPC_EXPORT ssize_t ipc_recv_opt(struct ipc_mbox *mb, void *buf, size_t size,
				const struct ipc_wait *w, unsigned int flags,
				struct ipc_msginfo *info, struct ipc_recvopt *opt)
{
	struct ipc_recvopt sel;
	int ret;

	if (!opt)
		return ipc_recv(mb, buf, size, w, flags, info);
	if (!mb)
		return -EINVAL;
	if (!(mb->access & IPC_RECV))
		return -EBADF;
	if (flags & ~IPC_PEEK)
		return -EINVAL;
	ret = ipc_check_recvopt(opt, &sel);
	if (ret)
		return ret;
	return ipc_do_recv_opt(mb, buf, size, w, flags, info, opt, &sel, NULL);
}

/* ---- ports ------------------------------------------------------------------- */

IPC_EXPORT int ipc_port_create(const struct ipc_attr *attr, struct ipc_mbox **out,
			       uint64_t *port)
{
	struct ipc_attr a = { .mode = 0600 };
	const struct ipc_backend_ops *ops;
	int ret;

	if (out)
		*out = NULL;		/* whatever fails */
	if (port)
		*port = 0;
	ops = ipc_get_ops(&ret);
	if (!ops)
		return ret;
	if (!out || !port)
		return -EFAULT;
	if (attr)
		a = *attr;
	/* IPC_EXCL: a port has no name to be exclusive about, as ipc_create(NULL). */
	ret = ipc_check_attr(&a, IPC_OWNER_CLOSE | IPC_PRIO | IPC_SELECT);
	if (ret)
		return ret;
	if (!ops->port_create)
		return -ENOTSUP;
	a.flags |= IPC_SELECT;
	return ops->port_create(&a, out, port);
}

IPC_EXPORT int ipc_port_open(pid_t pid, uint64_t port, struct ipc_mbox **out)
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
	if (pid <= 0)
		return -ESRCH;		/* no process has it */
	if (!ops->port_open)
		return -ENOTSUP;
	return ops->port_open(pid, port, out);
}

/*
 * The pid of the process pidfd refers to, in our pid namespace, from the
 * "Pid:" line of its fdinfo (Linux 5.10 on; the kernel exports no call
 * that would let the module resolve a pidfd itself).  -1 there means the
 * process has exited, 0 that it is not visible in our namespace: both
 * ESRCH.  A file that is not a pidfd has no such line: EBADF, as
 * pidfd_send_signal(2) says of one.
 */
static int ipc_pidfd_pid(int pidfd, pid_t *pid)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	long v;
	int fd;

	if (pidfd < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -EBADF : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	p = strstr(buf, "\nPid:");
	if (!p)
		return -EBADF;
	v = strtol(p + 5, NULL, 10);
	if (v <= 0 || v > INT_MAX)
		return -ESRCH;
	*pid = (pid_t)v;
	return 0;
}

IPC_EXPORT int ipc_port_open_pidfd(int pidfd, uint64_t port, struct ipc_mbox **out)
{
	pid_t pid = 0;
	int ret;

	if (out)
		*out = NULL;
	ret = ipc_pidfd_pid(pidfd, &pid);
	if (ret) {
		/* The backend's own failure (none forced, say) comes first. */
		if (!ipc_get_ops(&pid))
			return pid;
		return ret;
	}
	/*
	 * The process may exit and its pid be reused from here on: the port
	 * id, never reused, makes the open of someone else's port fail.
	 */
	return ipc_port_open(pid, port, out);
}

IPC_EXPORT int ipc_send_to(pid_t pid, uint64_t port, const void *buf, size_t len,
			   const struct ipc_wait *w, unsigned int flags)
{
	struct ipc_mbox *mb;
	int ret;

	/* The message's own checks first: a bad one needs no port. */
	if (flags & ~IPC_SYNC)
		return -EINVAL;
	if (w && ipc_check_wait(w))
		return -EINVAL;
	if (!buf && len)
		return -EFAULT;
	ret = ipc_port_open(pid, port, &mb);
	if (ret)
		return ret;
	ret = ipc_send(mb, buf, len, w, flags);
	ipc_release(mb);
	return ret;
}

/* ---- calls ------------------------------------------------------------------- */

IPC_EXPORT ssize_t ipc_call(struct ipc_mbox *mb, const void *req, size_t len,
			    void *reply, size_t size, const struct ipc_wait *w,
			    unsigned int flags, struct ipc_callinfo *ci)
{
	struct iovec iov, riov;
	struct ipc_msg_req mr = {
		.iov = &iov, .iovcnt = 1, .wait = w ? w : &ipc_wait_block,
	};
	struct ipc_callinfo dummy;
	size_t rsize;
	int ret;

	if (!ci)
		ci = &dummy;
	memset(ci, 0, sizeof(*ci));
	if (!mb)
		return -EINVAL;
	if (!(mb->access & IPC_SEND))
		return -EBADF;
	if (flags)
		return -EINVAL;
	ret = ipc_check_wait(mr.wait);
	if (!ret && mr.wait->mode == IPC_NONBLOCK)
		ret = -EINVAL;		/* a call always waits for its reply */
	if (!ret)
		ret = ipc_one_iov(&iov, req, len, &mr.len);
	if (!ret)
		ret = ipc_one_iov(&riov, reply, size, &rsize);
	if (ret)
		return ret;
	if (!mb->ops->call)
		return -ENOTSUP;
	return mb->ops->call(mb, &mr, reply, size, ci);
}

IPC_EXPORT int ipc_reply(struct ipc_mbox *mb, uint64_t call, const void *buf, size_t len)
{
	struct ipc_reply_req r = { .call = call, .buf = buf, .len = len };
	struct iovec iov;
	size_t total;
	int ret;

	if (!mb)
		return -EINVAL;
	/* Only a receiving handle takes calls, so only one has any to answer. */
	if (!(mb->access & IPC_RECV))
		return -EBADF;
	ret = ipc_one_iov(&iov, buf, len, &total);
	if (ret)
		return ret;
	if (!mb->ops->reply)
		return -ENOTSUP;
	if (!call)
		return -ENOENT;		/* never a reply id */
	return mb->ops->reply(mb, &r);
}

/* What ipc_reply_recv's reply did, before the backend says: not tried. */
#define IPC_REPLY_UNTRIED	1

static ssize_t ipc_do_reply_recv(struct ipc_mbox *mb, struct ipc_reply_req *r,
				 void *buf, size_t size, const struct ipc_wait *w,
				 unsigned int flags, struct ipc_msginfo *info,
				 struct ipc_recvopt *opt)
{
	struct ipc_recvopt sel;
	struct iovec iov;
	size_t total;
	ssize_t ret;

	if (!mb)
		return -EINVAL;
	if (!(mb->access & IPC_RECV))
		return -EBADF;
	if (flags & ~IPC_PEEK)
		return -EINVAL;
	if (!opt)
		return -EFAULT;		/* the next call's reply id goes there */
	ret = ipc_check_recvopt(opt, &sel);
	if (!ret && w)
		ret = ipc_check_wait(w);
	if (!ret)
		ret = ipc_one_iov(&iov, r->buf, r->len, &total);
	if (!ret)
		ret = ipc_one_iov(&iov, buf, size, &total);
	if (ret)
		return ret;
	if (!mb->ops->reply)
		return -ENOTSUP;
	sel.flags |= IPC_SEL_CALLS;
	/* call 0: nothing to answer yet, the first receive of a server's loop. */
	if (!r->call)
		*r->result = 0;
	return ipc_do_recv_opt(mb, buf, size, w, flags, info, opt, &sel,
			       r->call ? r : NULL);
}

IPC_EXPORT ssize_t ipc_reply_recv(struct ipc_mbox *mb, uint64_t call, const void *reply,
				  size_t rlen, int *reply_result, void *buf, size_t size,
				  const struct ipc_wait *w, unsigned int flags,
				  struct ipc_msginfo *info, struct ipc_recvopt *opt)
{
	int result = IPC_REPLY_UNTRIED;
	struct ipc_reply_req r = {
		.call = call, .buf = reply, .len = rlen, .result = &result,
	};
	ssize_t ret;

	ret = ipc_do_reply_recv(mb, &r, buf, size, w, flags, info, opt);
	/* A call that failed before the reply was tried: the reply failed so too. */
	if (result == IPC_REPLY_UNTRIED)
		result = ret < 0 ? (int)ret : 0;
	if (reply_result)
		*reply_result = result;
	return ret;
}
