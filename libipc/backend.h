/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The interface between the front end (ipc.c) and the two backends.
 *
 * The front end checks everything that does not depend on the backend
 * (null pointers, flags, reserved fields, names, access of the handle) and
 * passes only well-formed requests down.  Backends return 0, a count or
 * -errno like the API.
 */
#ifndef LIBIPC_BACKEND_H
#define LIBIPC_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "ipc.h"

#define IPC_HIDDEN __attribute__((visibility("hidden")))

/* What every backend's handle starts with. */
struct ipc_mbox {
	const struct ipc_backend_ops *ops;
	unsigned int access;		/* IPC_RECV | IPC_SEND */
};

/* A checked send or receive request. */
struct ipc_msg_req {
	const struct iovec *iov;
	int iovcnt;
	size_t len;			/* send: total length; recv: buffer size */
	const struct ipc_wait *wait;	/* never NULL */
	unsigned int flags;		/* IPC_SYNC or IPC_PEEK */
	bool no_info;			/* recv: the caller wants no msginfo */
	/* send: checked (prio in range), or NULL for prio 0, tag 0 */
	const struct ipc_sendopt *sopt;
	/*
	 * recv: the selection in, prio/msg_tag/call out, or NULL for none
	 * (calls then dropped).  With reply set, reply to reply->call first
	 * (ipc_reply_recv) and store its outcome in *reply->result.
	 */
	struct ipc_recvopt *ropt;
	const struct ipc_reply_req *reply;
};

/* ipc_reply, alone or before a receive. */
struct ipc_reply_req {
	uint64_t call;
	const void *buf;
	size_t len;
	int *result;			/* ipc_reply_recv: the reply's outcome */
};

struct ipc_backend_ops {
	const char *name;
	/* Called once, at backend choice: 0 if the backend can be used. */
	int (*init)(void);
	/*
	 * attr is complete (defaults applied only by the backend:
	 * max_msg_size 0).  *created says whether the call made the mailbox.
	 */
	int (*create)(const char *name, const struct ipc_attr *attr,
		      unsigned int access, struct ipc_mbox **out, bool *created);
	int (*open)(const char *name, unsigned int access, struct ipc_mbox **out);
	int (*unlink)(const char *name);
	int (*close)(struct ipc_mbox *mb);
	int (*destroy)(struct ipc_mbox *mb);
	void (*release)(struct ipc_mbox *mb);
	int (*send)(struct ipc_mbox *mb, const struct ipc_msg_req *req);
	ssize_t (*recv)(struct ipc_mbox *mb, const struct ipc_msg_req *req,
			struct ipc_msginfo *info);
	/*
	 * Checked batches (count 1..IPC_BATCH_MAX, reserved fields zero):
	 * the count or -errno.  NULL: ipc_send_batch_loop and
	 * ipc_recv_batch_loop do them with send and recv.
	 */
	int (*send_batch)(struct ipc_mbox *mb, const struct ipc_msgvec *vec,
			  unsigned int count, const struct ipc_wait *w,
			  unsigned int flags);
	int (*recv_batch)(struct ipc_mbox *mb, struct ipc_msgvec *vec,
			  unsigned int count, const struct ipc_wait *w,
			  unsigned int flags);
	int (*info)(struct ipc_mbox *mb, struct ipc_info *info);
	/*
	 * Ports: port_create makes an anonymous port (attr complete, with
	 * IPC_SELECT), port_open a send handle to one (pid > 0).
	 */
	int (*port_create)(const struct ipc_attr *attr, struct ipc_mbox **out,
			   uint64_t *port);
	int (*port_open)(pid_t pid, uint64_t port, struct ipc_mbox **out);
	/* RPC: req's wait is never IPC_NONBLOCK; ci is zeroed, never NULL. */
	ssize_t (*call)(struct ipc_mbox *mb, const struct ipc_msg_req *req,
			void *reply, size_t size, struct ipc_callinfo *ci);
	int (*reply)(struct ipc_mbox *mb, const struct ipc_reply_req *r);
	int (*fd)(struct ipc_mbox *mb);
	/* st is zeroed. */
	int (*stat)(const char *name, struct ipc_stat *st);
	int (*list)(ipc_list_fn fn, void *arg);
	/*
	 * By id; NULL: ipc_stat_id_by_list and ipc_destroy_id_by_name do it
	 * with the calls above.  st is zeroed.
	 */
	int (*stat_id)(uint64_t id, struct ipc_stat *st);
	int (*destroy_id)(uint64_t id);
};

IPC_HIDDEN extern const struct ipc_backend_ops ipc_kernel_ops;
IPC_HIDDEN extern const struct ipc_backend_ops ipc_posix_ops;

/* Helpers shared by the backends (ipc.c). */
IPC_HIDDEN size_t ipc_iov_copy_from(void *dst, const struct iovec *iov,
				    int iovcnt, size_t off, size_t len);
IPC_HIDDEN size_t ipc_iov_copy_to(const struct iovec *iov, int iovcnt,
				  size_t off, const void *src, size_t len);
IPC_HIDDEN int64_t ipc_now_ns(void);
IPC_HIDDEN int ipc_stat_id_by_list(const struct ipc_backend_ops *ops, uint64_t id,
				   struct ipc_stat *st);
IPC_HIDDEN int ipc_destroy_id_by_name(const struct ipc_backend_ops *ops, uint64_t id);
IPC_HIDDEN int ipc_send_batch_loop(struct ipc_mbox *mb, const struct ipc_msgvec *vec,
				   unsigned int count, const struct ipc_wait *w,
				   unsigned int flags);
IPC_HIDDEN int ipc_recv_batch_loop(struct ipc_mbox *mb, struct ipc_msgvec *vec,
				   unsigned int count, const struct ipc_wait *w,
				   unsigned int flags);

#endif /* LIBIPC_BACKEND_H */
