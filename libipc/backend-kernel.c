// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The kernel backend: each call is one ioctl of the raw layer.  The module
 * does the work and the checking; this file only translates structs.  The
 * ABI has no vectored send or receive, so the iovec variants go through a
 * bounce buffer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "raw.h"

static_assert(IPC_RECV == KMBOX_ACCESS_RECV && IPC_SEND == KMBOX_ACCESS_SEND,
	      "access bits are the ABI's");
static_assert(IPC_UNBOUNDED == KMBOX_CAPACITY_UNBOUNDED, "unbounded");
static_assert(IPC_NAME_MAX == KMBOX_NAME_MAX, "name length");
static_assert(IPC_STATE_OPEN == KMBOX_STATE_OPEN &&
	      IPC_STATE_CLOSED == KMBOX_STATE_CLOSED &&
	      IPC_STATE_DESTROYED == KMBOX_STATE_DESTROYED, "states");

struct kbox {
	struct ipc_mbox base;
	int fd;
};

/* The control device, opened once at backend choice and kept. */
static int kbox_dev = -1;

static struct kbox *to_kbox(struct ipc_mbox *mb)
{
	return (struct kbox *)mb;
}

static int kbox_init(void)
{
	struct kmbox_limits lim;
	int dev, ret;

	dev = kmbox_raw_dev_open();
	if (dev < 0)
		return dev;
	memset(&lim, 0, sizeof(lim));
	ret = kmbox_raw_limits(dev, &lim);
	if (!ret && lim.abi_version != KMBOX_ABI_VERSION)
		ret = -EPROTO;
	if (ret) {
		close(dev);
		return ret;
	}
	kbox_dev = dev;
	return 0;
}

/* Wrap a new handle fd; closes it on failure. */
static int kbox_wrap(int fd, unsigned int access, struct ipc_mbox **out)
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
		       unsigned int access, struct ipc_mbox **out)
{
	struct kmbox_create c = {
		.flags = KMBOX_FD_CLOEXEC |
			 (attr->flags & IPC_EXCL ? KMBOX_CREATE_EXCL : 0),
		.access = access,
		.capacity = attr->capacity,
		.max_msg_size = attr->max_msg_size,
		.mode = attr->mode,
		.name = (uintptr_t)name,
	};

	return kbox_wrap(kmbox_raw_create(kbox_dev, &c), access, out);
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

static uint32_t kbox_mode(const struct ipc_wait *w)
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
 * A buffer for the whole message when it is spread over several iovec
 * elements: a single element is used in place.
 */
static void *kbox_bounce(const struct ipc_msg_req *req, void **to_free)
{
	*to_free = NULL;
	if (req->iovcnt == 1)
		return req->iov[0].iov_base;
	if (!req->len)
		return NULL;
	*to_free = malloc(req->len);
	return *to_free;
}

static int kbox_send(struct ipc_mbox *mb, const struct ipc_msg_req *req)
{
	struct kmbox_send s = {
		.flags = kbox_mode(req->wait) |
			 (req->flags & IPC_SYNC ? KMBOX_SEND_SYNC : 0),
		.len = req->len,
		.timeout_ns = req->wait->ns,
	};
	void *buf, *to_free;
	int ret;

	buf = kbox_bounce(req, &to_free);
	if (!buf && req->len)
		return -ENOMEM;
	if (to_free)
		ipc_iov_copy_from(buf, req->iov, req->iovcnt, 0, req->len);
	s.buf = (uintptr_t)buf;
	ret = kmbox_raw_send(to_kbox(mb)->fd, &s);
	free(to_free);
	return ret;
}

static ssize_t kbox_recv(struct ipc_mbox *mb, const struct ipc_msg_req *req,
			 struct ipc_msginfo *info)
{
	struct kmbox_recv r = {
		.flags = kbox_mode(req->wait) |
			 (req->flags & IPC_PEEK ? KMBOX_RECV_PEEK : 0),
		.len = req->len,
		.timeout_ns = req->wait->ns,
	};
	void *buf, *to_free;
	int ret;

	buf = kbox_bounce(req, &to_free);
	if (!buf && req->len)
		return -ENOMEM;
	r.buf = (uintptr_t)buf;
	ret = kmbox_raw_recv(to_kbox(mb)->fd, &r);
	if (ret >= 0 || ret == -EMSGSIZE)
		info->len = r.len;
	if (ret >= 0) {
		info->pid = r.pid;
		info->uid = r.uid;
		info->gid = r.gid;
		info->flags = IPC_MSG_CRED_VERIFIED;
		if (to_free)
			ipc_iov_copy_to(req->iov, req->iovcnt, 0, buf, ret);
	}
	free(to_free);
	return ret;
}

static int kbox_info(struct ipc_mbox *mb, struct ipc_info *info)
{
	struct kmbox_info ki;
	int ret;

	memset(&ki, 0, sizeof(ki));
	ret = kmbox_raw_info(to_kbox(mb)->fd, &ki);
	if (ret)
		return ret;
	info->id = ki.id;
	info->capacity = ki.capacity;
	info->max_msg_size = ki.max_msg_size;
	info->mode = ki.mode;
	info->uid = ki.uid;
	info->gid = ki.gid;
	info->access = ki.access;
	info->state = ki.state;
	info->msgs = ki.msgs;
	info->bytes = ki.bytes;
	info->senders_waiting = ki.senders_waiting;
	info->receivers_waiting = ki.receivers_waiting;
	info->sent = ki.sent;
	info->received = ki.received;
	info->dropped = ki.dropped;
	memcpy(info->name, ki.name, sizeof(info->name));
	info->name[sizeof(info->name) - 1] = '\0';
	return 0;
}

static int kbox_fd(struct ipc_mbox *mb)
{
	return to_kbox(mb)->fd;
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
	.info = kbox_info,
	.fd = kbox_fd,
};
