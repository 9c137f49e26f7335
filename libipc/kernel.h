/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What the kernel backend's two files share: backend-kernel.c (mailboxes,
 * messages, introspection) and kernel-direct.c (ports and calls).
 */
#ifndef LIBIPC_KERNEL_H
#define LIBIPC_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "raw.h"

struct kbox {
	struct ipc_mbox base;
	int fd;
	uint32_t max_msg_size;		/* 0 until a receive needs it */
};

static inline struct kbox *to_kbox(struct ipc_mbox *mb)
{
	return (struct kbox *)mb;
}

/* The control device, opened once at backend choice and kept. */
IPC_HIDDEN extern int kbox_dev;

/* Whether the module has all of these KMBOX_FEATURE_* bits. */
IPC_HIDDEN bool kbox_has(uint64_t feature);
/* Wrap a new handle fd (or pass on -errno); closes it on failure. */
IPC_HIDDEN int kbox_wrap(int fd, unsigned int access, struct ipc_mbox **out);
/* KMBOX_MSG_* of a wait. */
IPC_HIDDEN uint32_t kbox_mode(const struct ipc_wait *w);
/* A buffer with the whole message (send) or for it (receive): see there. */
IPC_HIDDEN void *kbox_bounce(const struct ipc_msg_req *req, size_t size, void **to_free);

IPC_HIDDEN int kbox_port_create(const struct ipc_attr *attr, struct ipc_mbox **out,
				uint64_t *port);
IPC_HIDDEN int kbox_port_open(pid_t pid, uint64_t port, struct ipc_mbox **out);
IPC_HIDDEN ssize_t kbox_call(struct ipc_mbox *mb, const struct ipc_msg_req *req,
			     void *reply, size_t size, struct ipc_callinfo *ci);
IPC_HIDDEN int kbox_reply(struct ipc_mbox *mb, const struct ipc_reply_req *r);

#endif /* LIBIPC_KERNEL_H */
