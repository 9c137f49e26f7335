// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The kernel backend's ports (KMBOX_CREATE_PORT, KMBOX_IOC_PORT_OPEN) and
 * calls (KMBOX_IOC_CALL, KMBOX_IOC_REPLY): one ioctl each.  A module
 * without the feature (KMBOX_FEATURE_PORT, KMBOX_FEATURE_CALL) gets
 * ENOTSUP here, never the EINVAL it would answer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

int kbox_port_create(const struct ipc_attr *attr, struct ipc_mbox **out, uint64_t *port)
{
	/*
	 * The port's one receiving handle also sends, so that its owner can
	 * close the port (ipc_close) or post to itself.
	 */
	struct kmbox_create c = {
		.flags = KMBOX_FD_CLOEXEC | KMBOX_CREATE_PORT | KMBOX_CREATE_SELECT |
			 ((attr->flags & IPC_OWNER_CLOSE) ? KMBOX_CREATE_OWNER_CLOSE : 0) |
			 ((attr->flags & IPC_PRIO) ? KMBOX_CREATE_PRIO : 0),
		.access = KMBOX_ACCESS_RECV | KMBOX_ACCESS_SEND,
		.capacity = attr->capacity,
		.max_msg_size = attr->max_msg_size,
		.mode = attr->mode,
	};
	int ret;

	if (!kbox_has(KMBOX_FEATURE_PORT | KMBOX_FEATURE_SELECT))
		return -ENOTSUP;
	ret = kbox_wrap(kmbox_raw_create(kbox_dev, &c), IPC_RECV | IPC_SEND, out);
	if (!ret)
		*port = c.id;
	return ret;
}

int kbox_port_open(pid_t pid, uint64_t port, struct ipc_mbox **out)
{
	struct kmbox_port_open p = {
		.flags = KMBOX_FD_CLOEXEC,
		.access = KMBOX_ACCESS_SEND,
		.pid = pid,
		.port = port,
	};

	if (!kbox_has(KMBOX_FEATURE_PORT))
		return -ENOTSUP;
	return kbox_wrap(kmbox_raw_port_open(kbox_dev, &p), IPC_SEND, out);
}

ssize_t kbox_call(struct ipc_mbox *mb, const struct ipc_msg_req *req,
		  void *reply, size_t size, struct ipc_callinfo *ci)
{
	struct kmbox_call c = {
		.flags = kbox_mode(req->wait),
		.len = req->len,
		.timeout_ns = req->wait->ns,
		.reply_buf = (uintptr_t)reply,
		.reply_len = size,
	};
	void *buf, *to_free;
	int ret;

	if (!kbox_has(KMBOX_FEATURE_CALL))
		return -ENOTSUP;
	if (req->sopt) {
		if (!kbox_has(KMBOX_FEATURE_SELECT))
			return -ENOTSUP;
		c.prio = req->sopt->prio;
		c.tag = req->sopt->tag;
	}
	buf = kbox_bounce(req, req->len, &to_free);
	if (!buf && req->len)
		return -ENOMEM;
	if (to_free)
		ipc_iov_copy_from(buf, req->iov, req->iovcnt, 0, req->len);
	c.buf = (uintptr_t)buf;
	ret = kmbox_raw_call(to_kbox(mb)->fd, &c);
	free(to_free);
	if (c.result & KMBOX_CALL_RECEIVED)
		ci->flags |= IPC_CALL_RECEIVED;
	if (ret < 0)
		return ret;
	ci->len = c.reply_len;
	ci->pid = c.pid;
	ci->uid = c.uid;
	ci->gid = c.gid;
	ci->flags |= IPC_MSG_CRED_VERIFIED;
	return (ssize_t)c.reply_len;
}

int kbox_reply(struct ipc_mbox *mb, const struct ipc_reply_req *r)
{
	struct kmbox_reply k = {
		.call = r->call,
		.buf = (uintptr_t)r->buf,
		.len = r->len,
	};

	if (!kbox_has(KMBOX_FEATURE_CALL))
		return -ENOTSUP;
	return kmbox_raw_reply(to_kbox(mb)->fd, &k);
}
