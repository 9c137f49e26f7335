/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libipc: mailboxes for inter-process communication.
 *
 * One API over two backends (see libipc/README.md):
 *  - "kernel": the kmbox module's ioctls, when /dev/kmbox can be opened;
 *  - "posix":  POSIX shared memory with robust process-shared locks, when it
 *              cannot.
 * LIBIPC_BACKEND=kernel|posix in the environment forces one.
 *
 * Every call returns 0, a count, or a negative errno value; errno itself is
 * never the way an error is reported.  The errors are those of the kernel
 * ABI (uapi/linux/kmbox.h), whichever backend is in use.
 *
 * Extensibility: every struct has a flags word and reserved fields that
 * must be zero on input (EINVAL otherwise) and are zeroed on output.  A
 * later version gives a reserved field a meaning only together with a new
 * flag, so old callers keep working and the structs never change size.
 */
#ifndef LIBIPC_IPC_H
#define LIBIPC_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A handle to one mailbox, private to the process (inherited by fork). */
struct ipc_mbox;

/* Access of a handle: what it may do.  Checked against the mode bits. */
#define IPC_RECV		0x0001u	/* receive: needs the read bit */
#define IPC_SEND		0x0002u	/* send, close: needs the write bit */

/* Capacity of a mailbox whose sends never wait. */
#define IPC_UNBOUNDED		UINT64_MAX

/* Longest name, in bytes, without the terminating NUL. */
#define IPC_NAME_MAX		255

/* struct ipc_attr flags */
#define IPC_EXCL		0x0001u	/* create only: EEXIST if the name exists */
/* Only the owner may ipc_close it (kernel backend; posix: ENOTSUP). */
#define IPC_OWNER_CLOSE		0x0002u
/*
 * Messages carry a priority, 0..IPC_PRIO_MAX (ipc_send_opt): the highest
 * is received first, FIFO within a priority.  Without it a send with a
 * non-zero priority fails with EINVAL.
 */
#define IPC_PRIO		0x0004u
/*
 * Messages carry a 64-bit tag (ipc_send_opt), and ipc_recv_opt can select
 * by tag or by sender.  Without it a non-zero tag or a selection fails
 * with EINVAL.
 */
#define IPC_SELECT		0x0008u
/* Out only (struct ipc_info): the mailbox is a port (ipc_port_create). */
#define IPC_PORT		0x0010u

/* Highest message priority, as mq_send(3)'s. */
#define IPC_PRIO_MAX		32767

/**
 * struct ipc_attr - attributes of a new mailbox (ipc_create)
 * @capacity:	0 (rendezvous), n (bounded, n messages) or IPC_UNBOUNDED
 * @max_msg_size: largest message in bytes, 0 for the backend's default
 * @mode:	permission bits, 0777 at most: read = receive, write = send
 * @flags:	IPC_EXCL, IPC_OWNER_CLOSE, IPC_PRIO, IPC_SELECT (ENOTSUP from
 *		a kernel module older than the last two)
 * @__reserved0, @__reserved: must be zero
 *
 * A NULL attr means a rendezvous mailbox with the default message size and
 * mode 0600.  Creating a name that exists without IPC_EXCL opens it instead
 * and keeps its attributes (like O_CREAT).
 */
struct ipc_attr {
	uint64_t capacity;
	uint32_t max_msg_size;
	uint32_t mode;
	uint32_t flags;
	uint32_t __reserved0;
	uint64_t __reserved[3];
};

/* How long a send or receive may wait: struct ipc_wait.mode */
#define IPC_BLOCK		0	/* wait as long as it takes */
#define IPC_NONBLOCK		1	/* never wait: EAGAIN */
#define IPC_TIMEOUT		2	/* ns: relative, >= 0: ETIMEDOUT */
#define IPC_DEADLINE		3	/* ns: absolute CLOCK_MONOTONIC time */

/**
 * struct ipc_wait - the waiting mode of one call; NULL means IPC_BLOCK
 * @mode:	IPC_BLOCK, IPC_NONBLOCK, IPC_TIMEOUT or IPC_DEADLINE
 * @__reserved:	must be zero
 * @ns:		IPC_TIMEOUT, IPC_DEADLINE: nanoseconds (>= 0); otherwise 0
 */
struct ipc_wait {
	uint32_t mode;
	uint32_t __reserved;
	int64_t ns;
};

/* Shorthands, for C callers: ipc_send(mb, buf, len, IPC_WAIT_NONE, 0). */
#define IPC_WAIT_NONE		(&(const struct ipc_wait){ .mode = IPC_NONBLOCK })
#define IPC_WAIT_NS(t)		(&(const struct ipc_wait){ .mode = IPC_TIMEOUT, .ns = (t) })
#define IPC_WAIT_UNTIL(t)	(&(const struct ipc_wait){ .mode = IPC_DEADLINE, .ns = (t) })

/* ipc_send flags */
#define IPC_SYNC		0x0001u	/* return once a receiver took it */

/* ipc_recv flags */
#define IPC_PEEK		0x0001u	/* copy the next message, leave it queued */

/* struct ipc_msginfo flags (out) */
#define IPC_MSG_CRED_VERIFIED	0x0001u	/* pid/uid/gid stamped by the kernel */

/**
 * struct ipc_msginfo - what ipc_recv says about the message (may be NULL)
 * @len:	message length; also filled on EMSGSIZE (the size needed)
 * @pid, @uid, @gid: the sender's pid, effective uid and gid
 * @flags:	IPC_MSG_CRED_VERIFIED when the kernel vouches for the above;
 *		the posix backend's credentials are what the sender said
 * @__reserved:	zeroed
 */
struct ipc_msginfo {
	uint64_t len;
	int32_t pid;
	uint32_t uid;
	uint32_t gid;
	uint32_t flags;
	uint64_t __reserved[2];
};

/* struct ipc_info state */
#define IPC_STATE_OPEN		0
#define IPC_STATE_CLOSED	1	/* ipc_close was called */
#define IPC_STATE_DESTROYED	2	/* ipc_destroy was called */

/**
 * struct ipc_info - what a mailbox is and holds now (ipc_info)
 * @id:		unique id of the mailbox
 * @capacity, @max_msg_size, @mode: as created (defaults filled in)
 * @uid, @gid:	owner
 * @access:	IPC_RECV / IPC_SEND of this handle
 * @state:	IPC_STATE_*
 * @msgs:	messages queued (rendezvous: senders offering one)
 * @bytes:	bytes queued (message lengths)
 * @senders_waiting, @receivers_waiting: calls blocked now
 * @sent, @received, @dropped: totals (dropped: by ipc_destroy)
 * @flags:	IPC_PRIO, IPC_SELECT, IPC_PORT, IPC_OWNER_CLOSE, as created
 *		(0 from a kernel module older than them)
 * @port_pid:	a port's process (0 for a mailbox, or when not visible)
 * @calls_pending: calls received and not yet replied to
 * @__reserved:	zeroed
 * @name:	NUL-terminated name, empty if anonymous or unlinked
 */
struct ipc_info {
	uint64_t id;
	uint64_t capacity;
	uint32_t max_msg_size;
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint32_t access;
	uint32_t state;
	uint64_t msgs;
	uint64_t bytes;
	uint32_t senders_waiting;
	uint32_t receivers_waiting;
	uint64_t sent;
	uint64_t received;
	uint64_t dropped;
	uint32_t flags;
	int32_t port_pid;
	uint64_t calls_pending;
	uint64_t __reserved[2];
	char name[IPC_NAME_MAX + 1];
};

/*
 * The backend in use, "kernel" or "posix" (chosen at the first call and
 * kept), or NULL when none can be had: LIBIPC_BACKEND forced one that is
 * not available, and every call then fails with that reason (ENOENT,
 * ENODEV or ENXIO for a missing kernel module, EINVAL for an unknown
 * name).  Also NULL, for now, when /dev/kmbox exists but cannot be used
 * (EACCES, EMFILE, ...): the call fails with that reason and the next one
 * tries again; only a missing module makes the posix backend the choice.
 */
const char *ipc_backend(void);

/*
 * Create a mailbox, named (1..IPC_NAME_MAX bytes, no '/') or anonymous
 * (name NULL: shared with children through fork), and get a handle with
 * the given access (IPC_RECV and/or IPC_SEND) in *out.
 */
int ipc_create(const char *name, const struct ipc_attr *attr,
	       unsigned int access, struct ipc_mbox **out);

/*
 * ipc_create, telling which it did: 1 if this call made the mailbox, 0 if
 * it opened an existing one of that name (someone else's, perhaps: see
 * its owner with ipc_info), -errno on failure.
 */
int ipc_create_or_open(const char *name, const struct ipc_attr *attr,
		       unsigned int access, struct ipc_mbox **out);

/* Open a named mailbox: ENOENT if there is none, EACCES if the mode denies access. */
int ipc_open(const char *name, unsigned int access, struct ipc_mbox **out);

/* Remove a name (owner only); the mailbox lives on while handles to it do. */
int ipc_unlink(const char *name);

/*
 * Close the mailbox, Go-style (needs IPC_SEND): sends fail with EPIPE,
 * blocked senders are woken with EPIPE and their messages withdrawn,
 * receivers drain what is queued and then get EPIPE.
 */
int ipc_close(struct ipc_mbox *mb);

/*
 * Destroy the mailbox (owner only): the name goes away, queued messages are
 * dropped, every blocked call and every later call on any handle fails
 * with EIDRM.
 */
int ipc_destroy(struct ipc_mbox *mb);

/*
 * Destroy the mailbox with this id, as ipc_destroy does, without a handle
 * (as ipcrm -q does): for one nobody can name, anonymous or unlinked,
 * found with ipc_list.  The same permission: its owner (kernel backend:
 * or CAP_IPC_OWNER).  ENOENT if there is none, EIDRM if destroyed already.
 * Posix backend, and a kernel module older than KMBOX_IOC_DESTROY_ID: the
 * mailbox is opened by its name, so one without a name gets ENOTSUP.
 */
int ipc_destroy_id(uint64_t id);

/* Free the handle (not the mailbox).  Returns 0; NULL is allowed. */
int ipc_release(struct ipc_mbox *mb);

/*
 * Send one message of len bytes.  Returns 0 once it is queued or, for a
 * rendezvous mailbox or with IPC_SYNC, taken by a receiver.  On error the
 * message was not and will not be delivered.
 */
int ipc_send(struct ipc_mbox *mb, const void *buf, size_t len,
	     const struct ipc_wait *w, unsigned int flags);
int ipc_sendv(struct ipc_mbox *mb, const struct iovec *iov, int iovcnt,
	      const struct ipc_wait *w, unsigned int flags);

/*
 * Receive one message into buf (size bytes).  Returns its length.  On
 * error nothing was consumed; EMSGSIZE leaves the message queued and puts
 * the size needed in info->len.
 */
ssize_t ipc_recv(struct ipc_mbox *mb, void *buf, size_t size,
		 const struct ipc_wait *w, unsigned int flags,
		 struct ipc_msginfo *info);
ssize_t ipc_recvv(struct ipc_mbox *mb, const struct iovec *iov, int iovcnt,
		  const struct ipc_wait *w, unsigned int flags,
		  struct ipc_msginfo *info);

/* Most messages one ipc_send_batch or ipc_recv_batch call takes. */
#define IPC_BATCH_MAX		1024

/* ipc_send_batch and ipc_recv_batch flags: every message may wait. */
#define IPC_WAITALL		0x0100u

/**
 * struct ipc_msgvec - one message of ipc_send_batch or ipc_recv_batch
 * @buf:	the message (send) or the buffer for it (receive)
 * @len:	send: its length; receive: in, the buffer's size, out, the
 *		message's length (on EMSGSIZE in entry 0: the size needed)
 * @pid, @uid, @gid: receive, out: the sender's, as struct ipc_msginfo's
 * @flags:	receive, out: IPC_MSG_CRED_VERIFIED as struct ipc_msginfo's
 * @__reserved:	must be zero
 *
 * The out fields of the entries the call did not receive are left as
 * they were; on input they are ignored.
 */
struct ipc_msgvec {
	void *buf;
	size_t len;
	int32_t pid;
	uint32_t uid;
	uint32_t gid;
	uint32_t flags;
	uint64_t __reserved[2];
};

/*
 * Send (receive) up to count messages in one call, in order, as sendmmsg
 * and recvmmsg do (kernel backend: one system call).  flags: IPC_WAITALL,
 * and for sends IPC_SYNC (for each message).  Returns how many went:
 * entries [0, ret) were sent (received), entries [ret, count) were not and
 * nothing of theirs was delivered or consumed.  Only the first message
 * waits as w says, the others go only if they can without waiting, unless
 * IPC_WAITALL lets each wait (all within one timeout or deadline).  An
 * error at the first message is the call's (-errno, as ipc_send or
 * ipc_recv would fail); at a later one the call returns the count and the
 * error, if it persists, comes with the next call.  count 0 returns 0.
 */
int ipc_send_batch(struct ipc_mbox *mb, const struct ipc_msgvec *vec,
		   unsigned int count, const struct ipc_wait *w,
		   unsigned int flags);
int ipc_recv_batch(struct ipc_mbox *mb, struct ipc_msgvec *vec,
		   unsigned int count, const struct ipc_wait *w,
		   unsigned int flags);

/**
 * struct ipc_sendopt - a message's priority and tag (ipc_send_opt)
 * @prio:	0..IPC_PRIO_MAX; non-zero needs an IPC_PRIO mailbox
 * @__reserved0: must be zero
 * @tag:	any value; non-zero needs an IPC_SELECT mailbox
 * @__reserved:	must be zero
 */
struct ipc_sendopt {
	uint32_t prio;
	uint32_t __reserved0;
	uint64_t tag;
	uint64_t __reserved[2];
};

/*
 * ipc_send with a priority and a tag; opt NULL is ipc_send.  EINVAL for a
 * priority above IPC_PRIO_MAX, or one (a tag) the mailbox was not created
 * for; ENOTSUP from a kernel module without them.
 */
int ipc_send_opt(struct ipc_mbox *mb, const void *buf, size_t len,
		 const struct ipc_wait *w, unsigned int flags,
		 const struct ipc_sendopt *opt);

/* struct ipc_recvopt flags (in) */
#define IPC_SEL_TAG		0x0001u	/* only a message tagged @tag */
#define IPC_SEL_TAG_LE		0x0002u	/* the lowest tag <= @tag first */
#define IPC_SEL_FROM		0x0004u	/* only a message from process @from */
#define IPC_SEL_CALLS		0x0008u	/* take calls, reply ids in @call */

/**
 * struct ipc_recvopt - which message a receive takes, and what it was
 * @flags:	in: IPC_SEL_TAG or IPC_SEL_TAG_LE, IPC_SEL_FROM (these three
 *		need an IPC_SELECT mailbox), IPC_SEL_CALLS
 * @from:	in: IPC_SEL_FROM: the sender's pid (kernel backend: verified)
 * @tag:	in: IPC_SEL_TAG, IPC_SEL_TAG_LE
 * @prio:	out: the message's priority
 * @reply_size:	out: with IPC_SEL_CALLS and a call, its reply capacity: the
 *		caller's reply buffer size, at most the mailbox's
 *		max_msg_size (a longer reply fails EMSGSIZE); 0 for a plain
 *		message.  Ignored on input.
 * @msg_tag:	out: the message's tag
 * @call:	out: with IPC_SEL_CALLS, the reply id of a call (ipc_reply);
 *		0 for a plain message
 * @__reserved:	must be zero
 *
 * The first message in delivery order (highest priority, then oldest)
 * that matches is taken.  A call taken without IPC_SEL_CALLS (or by
 * ipc_recv) is dropped: its caller gets ECONNRESET.  @from and @tag are
 * ignored without their flag.  EINVAL: IPC_SEL_TAG with IPC_SEL_TAG_LE, a
 * selection on a mailbox without IPC_SELECT; ESRCH: IPC_SEL_FROM of a pid
 * no process has; ENOTSUP: a kernel module without selection.
 */
struct ipc_recvopt {
	uint32_t flags;
	int32_t from;
	uint64_t tag;
	uint32_t prio;
	uint32_t reply_size;
	uint64_t msg_tag;
	uint64_t call;
	uint64_t __reserved[2];
};

/* ipc_recv with a selection and a message's priority, tag and call. */
ssize_t ipc_recv_opt(struct ipc_mbox *mb, void *buf, size_t size,
		     const struct ipc_wait *w, unsigned int flags,
		     struct ipc_msginfo *info, struct ipc_recvopt *opt);

/*
 * Direct communication.  A port is a mailbox of the process that creates
 * it, with no name, which only its creator's handle receives from and
 * which goes away when that handle is released (or the process exits).
 * *port gets the port id: others reach the port by the process's pid (or
 * pidfd) and that id, so a reused pid never matches.  attr as
 * ipc_create's (IPC_SELECT is implied, IPC_EXCL is meaningless).
 */
int ipc_port_create(const struct ipc_attr *attr, struct ipc_mbox **out,
		    uint64_t *port);

/*
 * A send-only handle to port @port of process @pid (in the caller's pid
 * namespace), or of the process @pidfd refers to.  ESRCH if there is no
 * such process, ECONNREFUSED if it has no such port, EACCES if the mode
 * denies sending.  The pidfd's pid is read from /proc/self/fdinfo (no
 * kernel call lets a module resolve a pidfd): EBADF if pidfd is not one,
 * ESRCH if its process has exited; the port id, never reused, makes a
 * pid reused meanwhile harmless.
 */
int ipc_port_open(pid_t pid, uint64_t port, struct ipc_mbox **out);
int ipc_port_open_pidfd(int pidfd, uint64_t port, struct ipc_mbox **out);

/* send(P, message): ipc_port_open, ipc_send, ipc_release in one call. */
int ipc_send_to(pid_t pid, uint64_t port, const void *buf, size_t len,
		const struct ipc_wait *w, unsigned int flags);

/* struct ipc_callinfo flags (out) */
#define IPC_CALL_RECEIVED	0x0001u	/* a server took the request */

/**
 * struct ipc_callinfo - what ipc_call says besides the reply (may be NULL)
 * @len:	the reply's length
 * @pid, @uid, @gid: the replier's
 * @flags:	out, also on error: IPC_CALL_RECEIVED if a server took the
 *		request, IPC_MSG_CRED_VERIFIED as struct ipc_msginfo's
 * @__reserved:	zeroed
 */
struct ipc_callinfo {
	uint64_t len;
	int32_t pid;
	uint32_t uid;
	uint32_t gid;
	uint32_t flags;
	uint64_t __reserved[2];
};

/*
 * Remote procedure call: send request req (len bytes) and wait for its
 * reply, in one call (kernel backend: one system call).  Returns the
 * reply's length.  w bounds the whole call (IPC_NONBLOCK: EINVAL); flags
 * must be 0.  On error, IPC_CALL_RECEIVED in ci->flags says whether a
 * server had taken the request: without it nothing was delivered; with
 * it, ECONNRESET (the server dropped it or went away), ETIMEDOUT or EINTR.
 */
ssize_t ipc_call(struct ipc_mbox *mb, const void *req, size_t len,
		 void *reply, size_t size, const struct ipc_wait *w,
		 unsigned int flags, struct ipc_callinfo *ci);

/*
 * Answer call @call (a reply id from ipc_recv_opt with IPC_SEL_CALLS),
 * through the handle that took it.  ENOENT: no such pending call;
 * ECONNRESET: the caller stopped waiting; EMSGSIZE: longer than the
 * caller's buffer (the receive's opt->reply_size; the call stays pending).
 */
int ipc_reply(struct ipc_mbox *mb, uint64_t call, const void *buf, size_t len);

/*
 * A server's loop in one call: ipc_reply(mb, call, reply, rlen), its
 * outcome in *reply_result (0 or -errno; reply_result may be NULL), then
 * ipc_recv_opt (IPC_SEL_CALLS implied; opt must not be NULL).  call 0
 * replies to nothing (the loop's first receive).  A reply's failure does
 * not stop the receive; when the call fails before the reply was tried
 * (bad arguments), *reply_result is the call's error.  A reply longer
 * than the call's opt->reply_size fails EMSGSIZE and leaves the call
 * pending while the receive waits: choose one that fits first.
 */
ssize_t ipc_reply_recv(struct ipc_mbox *mb, uint64_t call, const void *reply,
		       size_t rlen, int *reply_result, void *buf, size_t size,
		       const struct ipc_wait *w, unsigned int flags,
		       struct ipc_msginfo *info, struct ipc_recvopt *opt);

/* Fill *info with what the mailbox is and holds now. */
int ipc_info(struct ipc_mbox *mb, struct ipc_info *info);

/* struct ipc_stat flags (out) */
#define IPC_STAT_PARTIAL	0x0001u	/* posix: only name and owner known */

/* Most pids of blocked callers struct ipc_stat holds, each way. */
#define IPC_STAT_PIDS		16

/**
 * struct ipc_stat - a mailbox as anyone may see it (ipc_stat, ipc_list)
 * @info:	as ipc_info fills it, except @info.access, which is 0 (no
 *		handle); with IPC_STAT_PARTIAL only name, uid and gid are set
 * @flags:	IPC_STAT_PARTIAL
 * @nsenders:	pids in @senders (the first IPC_STAT_PIDS of
 *		@info.senders_waiting)
 * @nreceivers:	pids in @receivers (of @info.receivers_waiting)
 * @__reserved0, @__reserved: zeroed
 * @senders:	pids of the processes blocked in a send now
 * @receivers:	pids of the processes blocked in a receive (or peek) now
 *
 * The pids are in the caller's pid namespace, 0 when not visible there.
 */
struct ipc_stat {
	struct ipc_info info;
	uint32_t flags;
	uint32_t nsenders;
	uint32_t nreceivers;
	uint32_t __reserved0;
	int32_t senders[IPC_STAT_PIDS];
	int32_t receivers[IPC_STAT_PIDS];
	uint64_t __reserved[4];
};

/*
 * What the named mailbox is and holds now, without a handle and without
 * any access to it (as ipcs(1) shows message queues).  ENOENT if there is
 * none.  Kernel backend: from /proc/kmbox.  Posix backend: from the
 * segment, read under its lock; one the caller may not open gives
 * IPC_STAT_PARTIAL.
 */
int ipc_stat(const char *name, struct ipc_stat *st);

/*
 * ipc_stat of the mailbox with this id (ipc_info's id), named or not, as
 * ipcs -q -i does: ENOENT if there is none.  Kernel backend: any mailbox,
 * anonymous and unlinked ones included.  Posix backend: a mailbox
 * ipc_list shows in full (not IPC_STAT_PARTIAL).
 */
int ipc_stat_id(uint64_t id, struct ipc_stat *st);

/* Called by ipc_list for each mailbox: 0 to go on, anything else stops. */
typedef int (*ipc_list_fn)(const struct ipc_stat *st, void *arg);

/*
 * Call fn for every mailbox of the backend in use, as ipc_stat sees it.
 * Returns 0 when all were seen, fn's value when fn stopped the walk, or
 * -errno.  Kernel backend: every mailbox, anonymous and unlinked ones
 * included (name empty).  Posix backend: named ones only (an anonymous
 * mailbox is a private mapping nobody else can see); an unreadable one
 * whose name is too long to be its file's name is left out.  Mailboxes
 * created or removed meanwhile may or may not be seen.
 */
int ipc_list(ipc_list_fn fn, void *arg);

/*
 * The handle's file descriptor, for poll/epoll (POLLIN: a receive would not
 * block, POLLOUT: a send would not, or closed, POLLHUP: closed and drained,
 * POLLERR: destroyed).  The kernel backend only; ENOTSUP on posix.  It belongs to
 * the handle: do not close it.
 */
int ipc_fd(struct ipc_mbox *mb);

#ifdef __cplusplus
}
#endif

#endif /* LIBIPC_IPC_H */
