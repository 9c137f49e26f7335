/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The front end's own checks, shared by its two files: ipc.c (mailboxes,
 * messages, batches, introspection) and ipc-direct.c (priorities and tags,
 * ports, calls).  Not for the backends: they get checked requests.
 */
#ifndef LIBIPC_FRONT_H
#define LIBIPC_FRONT_H

#include "backend.h"

#define IPC_EXPORT __attribute__((visibility("default")))

/* The backend in use, or NULL with *err set (see ipc.c). */
IPC_HIDDEN const struct ipc_backend_ops *ipc_get_ops(int *err);
/* struct ipc_wait as the kernel checks its mode and timeout: 0 or -EINVAL. */
IPC_HIDDEN int ipc_check_wait(const struct ipc_wait *w);
/* An iovec as writev(2) checks it; *total gets its length. */
IPC_HIDDEN int ipc_check_iov(const struct iovec *iov, int iovcnt, size_t *total);
/* struct ipc_attr's mode and reserved fields, and flags within allowed. */
IPC_HIDDEN int ipc_check_attr(const struct ipc_attr *a, unsigned int allowed);

IPC_HIDDEN extern const struct ipc_wait ipc_wait_block;

#endif /* LIBIPC_FRONT_H */
