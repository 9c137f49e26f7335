/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * kmbox: kernel mailboxes for inter-process communication.
 *
 * This header is the whole ABI between kmbox.ko, libipc and the tests.
 *
 * Two kinds of file descriptor take these ioctls:
 *
 *  - /dev/kmbox (the control device): KMBOX_IOC_LIMITS, KMBOX_IOC_CREATE,
 *    KMBOX_IOC_OPEN, KMBOX_IOC_UNLINK, and for administration
 *    KMBOX_IOC_STAT_ID, KMBOX_IOC_DESTROY_ID, KMBOX_IOC_LIST.  CREATE and
 *    OPEN return a new file descriptor, a "handle", for one mailbox.
 *  - a mailbox handle: KMBOX_IOC_SEND, KMBOX_IOC_RECV, KMBOX_IOC_INFO,
 *    KMBOX_IOC_CLOSE, KMBOX_IOC_DESTROY, KMBOX_IOC_SEND_BATCH,
 *    KMBOX_IOC_RECV_BATCH, plus read(2) (receive one message),
 *    write(2) (send one message, honouring O_NONBLOCK) and poll(2).
 *
 * read(2), readv(2) receive one message and write(2), writev(2) send one
 * (the buffers of one call make one message), honouring O_NONBLOCK; their
 * errors are those of RECV and SEND (after close and drain, read fails with
 * EPIPE rather than returning 0, and write raises no SIGPIPE).
 *
 * poll(2) on a handle reports only what its access allows: POLLIN when a
 * receive would not block (a message queued; capacity 0: a sender offering
 * one), POLLOUT when a send would not block (room in the queue; capacity 0:
 * a receiver waiting right now; once closed, always, as a send fails at
 * once with EPIPE), POLLHUP once the mailbox is closed and drained (on a
 * send-only handle: once closed, as nothing is left for it to do), POLLERR
 * once destroyed.
 *
 * Names are per IPC namespace: CREATE, OPEN and UNLINK see only the
 * caller's.  A handle works from any namespace.
 *
 * INFO keeps working after DESTROY (state KMBOX_STATE_DESTROYED); every
 * other call on a destroyed mailbox fails with EIDRM.
 *
 * Versioning: every struct is passed by an _IOWR command whose size field is
 * the size userspace was built with.  The kernel accepts any size from the
 * struct's *_SIZE_VER0 up: a shorter struct is EINVAL, a longer one must be
 * zero past the kernel's size (else E2BIG), as with openat2(2).  Fields are
 * only ever appended; a reserved field gains a meaning only with a new flag.
 * Every flags field rejects unknown bits and every __reserved field must be
 * zero (EINVAL).  A struct that grew has a *_SIZE_VER<n> per size; a caller
 * built with a bigger struct than the module knows gets E2BIG only if it
 * put something non-zero past the module's size, so a caller that zeroes
 * the struct works with older modules, whose fields past their own size
 * it finds untouched.  What a module can do beyond version 0 is said by
 * KMBOX_IOC_LIMITS's features (KMBOX_FEATURE_*), so that a library can
 * tell a module too old for a call from bad input.  KMBOX_ABI_VERSION
 * changes only with an incompatible change, which these rules exclude.
 *
 * A mailbox handle's /proc/PID/fdinfo/FD shows, after the lines every
 * file has, "kmbox-id:", "kmbox-name:" (escaped as in /proc/kmbox, "-" if
 * anonymous or unlinked), "kmbox-access:" ("recv", "send" or
 * "recv,send") and "kmbox-port:" (the pid of a port's process as in
 * struct kmbox_info's @port_pid, "-" for a mailbox that is not a port,
 * followed by " owner" on the port's owning handle), one per line with a
 * tab after the colon; lines are only ever appended.
 *
 * Errors (ioctl returns -1 with errno set):
 *   EINVAL       unknown flag, non-zero reserved field, bad name, bad
 *                capacity/size/mode, struct shorter than *_SIZE_VER0,
 *                batch count above KMBOX_BATCH_MAX
 *   E2BIG        struct longer than the kernel's with non-zero tail bytes
 *   ENOTTY       command not valid on this kind of descriptor
 *   EFAULT       a bad pointer; nothing was changed or consumed (a struct
 *                with results is proven writable first; SEND's has none)
 *   ENAMETOOLONG name longer than KMBOX_NAME_MAX
 *   ENOENT       OPEN/UNLINK of a name that does not exist; STAT_ID or
 *                DESTROY_ID of an id no mailbox has
 *   EEXIST       CREATE with KMBOX_CREATE_EXCL of a name that exists
 *   EACCES       mode bits deny the access asked for (OPEN, CREATE of an
 *                existing name), or UNLINK/DESTROY/DESTROY_ID by someone
 *                not the owner (nor CAP_IPC_OWNER in the user namespace
 *                owning the mailbox's IPC namespace), or CLOSE of a
 *                KMBOX_CREATE_OWNER_CLOSE mailbox by such a caller
 *   EPERM        write(2) on a handle by a task whose effective uid or gid
 *                is not its opener's (write acts for the opener)
 *   ENOSPC       the user owns max_mailboxes_per_user mailboxes already,
 *                or the owner of its user namespace (or of one above) does,
 *                counting what its namespaces' ids own
 *   ENOBUFS      the sender's user has max_bytes_per_user bytes queued, or
 *                the owner of its user namespace (or of one above) has,
 *                counting what its namespaces' ids queued
 *   EBADF        SEND on a handle without KMBOX_ACCESS_SEND, RECV without
 *                KMBOX_ACCESS_RECV
 *   EMSGSIZE     SEND longer than the mailbox's max_msg_size; RECV into a
 *                buffer shorter than the message (len reports the size
 *                needed, the message stays queued)
 *   EAGAIN       KMBOX_MSG_NONBLOCK (or O_NONBLOCK for read/write) and the
 *                call would have to wait (also a RECV on a closed mailbox
 *                with nothing queued while a message another receiver is
 *                copying out may still come back: not drained yet)
 *   ETIMEDOUT    the timeout or deadline passed first
 *   EINTR        a signal arrived first (calls that are blocking or have an
 *                absolute deadline restart instead when the handler has
 *                SA_RESTART; a relative timeout never restarts)
 *   EPIPE        the mailbox was closed: no more sends; receives fail once
 *                the queue is drained; CLOSE of a mailbox closed already
 *   EIDRM        the mailbox was destroyed (also DESTROY_ID of a mailbox
 *                destroyed already)
 *   ENOMEM       the kernel could not allocate a mailbox or a message
 *   EMFILE       CREATE or OPEN: the process has no file descriptor free
 *   ENFILE       CREATE or OPEN: the system has no file free
 *
 * SEND_BATCH and RECV_BATCH return the number of messages sent or
 * received, all of them or a counted prefix, and fail only when the first
 * message fails, with its error: see struct kmbox_batch.
 *
 * Whenever SEND, RECV, read or write fail, nothing was delivered or
 * consumed (though a failed RECV or read may have written to its buffer:
 * its contents are then unspecified); when SEND returns 0 the message was
 * queued, or, for a rendezvous mailbox or KMBOX_SEND_SYNC, taken by a
 * receiver.  A non-blocking send never waits, not even for the receiver it
 * met to finish copying the message out: should that receiver's copy
 * fault, the message goes back first in line for the next receiver.
 */
#ifndef _UAPI_LINUX_KMBOX_H
#define _UAPI_LINUX_KMBOX_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KMBOX_ABI_VERSION	1
#define KMBOX_DEVICE		"/dev/kmbox"

/* Longest name, in bytes, not counting the terminating NUL. */
#define KMBOX_NAME_MAX		255

/* Capacity of a mailbox that never makes a sender wait. */
#define KMBOX_CAPACITY_UNBOUNDED	(~(__u64)0)

/* Handle access: what a file descriptor for a mailbox may do. */
#define KMBOX_ACCESS_RECV	0x0001	/* needs the mode's read bit */
#define KMBOX_ACCESS_SEND	0x0002	/* needs the mode's write bit */
#define KMBOX_ACCESS_ALL	(KMBOX_ACCESS_RECV | KMBOX_ACCESS_SEND)

/* Flags of the new descriptor, for CREATE and OPEN. */
#define KMBOX_FD_CLOEXEC	0x0001
#define KMBOX_FD_NONBLOCK	0x0002	/* O_NONBLOCK: read/write only */

/**
 * struct kmbox_limits - KMBOX_IOC_LIMITS: ABI version and module limits
 * @flags:	in: must be 0
 * @abi_version: out: KMBOX_ABI_VERSION of the running module
 * @max_msg_size: out: largest max_msg_size a mailbox may have
 * @default_msg_size: out: max_msg_size of a mailbox created with 0
 * @max_capacity: out: largest bounded capacity
 * @max_mailboxes_per_user: out: mailboxes one user may own at once
 * @max_bytes_per_user: out: bytes one user may have queued, all mailboxes
 * @msg_overhead: out: what an empty message is charged, the least any
 *		message costs.  A message is charged the memory it pins, which
 *		is not its length plus a constant: below a page at most
 *		max(len + 128, len * 5 / 4) bytes, header included; above,
 *		len rounded up to pages plus a header that holds the vector of
 *		pages (at most the greater of 128 bytes and 1% of len).
 *		INFO's @charged tells a mailbox's.
 * @__reserved: must be 0
 * @features:	out (KMBOX_LIMITS_SIZE_VER1): KMBOX_FEATURE_* bits, what this
 *		module can do beyond ABI version 1 as first released; 0 from
 *		a module older than the field (it leaves it as passed in)
 */
struct kmbox_limits {
	__u32 flags;
	__u32 abi_version;
	__u64 max_msg_size;
	__u64 default_msg_size;
	__u64 max_capacity;
	__u64 max_mailboxes_per_user;
	__u64 max_bytes_per_user;
	__u64 msg_overhead;
	__u64 __reserved[4];
	__u64 features;
};

#define KMBOX_LIMITS_SIZE_VER0	88
#define KMBOX_LIMITS_SIZE_VER1	96	/* features */

/*
 * Features, one bit per capability a module added after ABI version 1 was
 * first released.  A bit is never taken back or given another meaning.
 *
 * KMBOX_FEATURE_ADMIN: KMBOX_IOC_STAT_ID, KMBOX_IOC_DESTROY_ID and
 * KMBOX_IOC_LIST; struct kmbox_info up to KMBOX_INFO_SIZE_VER1 (the pids
 * of blocked callers, from INFO and STAT_ID alike); a handle's fdinfo.
 */
#define KMBOX_FEATURE_ADMIN	0x0001ULL
/*
 * KMBOX_FEATURE_CREATE_RESULT: struct kmbox_create up to
 * KMBOX_CREATE_SIZE_VER1 (result: created or opened) and
 * KMBOX_CREATE_OWNER_CLOSE.
 */
#define KMBOX_FEATURE_CREATE_RESULT	0x0002ULL
/*
 * KMBOX_FEATURE_CHARGED: struct kmbox_info's @charged, the memory a
 * mailbox's queued messages pin and are charged for.
 */
#define KMBOX_FEATURE_CHARGED		0x0008ULL

/*
 * KMBOX_FEATURE_BATCH: KMBOX_IOC_SEND_BATCH and KMBOX_IOC_RECV_BATCH.
 */
#define KMBOX_FEATURE_BATCH	0x0004ULL
/*
 * KMBOX_FEATURE_SELECT: KMBOX_CREATE_PRIO and KMBOX_CREATE_SELECT,
 * struct kmbox_send up to KMBOX_SEND_SIZE_VER1 (prio, tag), struct
 * kmbox_recv up to KMBOX_RECV_SIZE_VER1 with KMBOX_RECV_TAG,
 * KMBOX_RECV_TAG_LE and KMBOX_RECV_FROM (prio and tag out), struct
 * kmbox_info's @create_flags (KMBOX_INFO_SIZE_VER2).
 */
#define KMBOX_FEATURE_SELECT	0x0010ULL
/*
 * KMBOX_FEATURE_PORT: KMBOX_CREATE_PORT, KMBOX_IOC_PORT_OPEN, struct
 * kmbox_info's @port_pid.
 */
#define KMBOX_FEATURE_PORT	0x0020ULL
/*
 * KMBOX_FEATURE_CALL: KMBOX_IOC_CALL, KMBOX_IOC_REPLY, KMBOX_RECV_CALL and
 * KMBOX_RECV_REPLY, struct kmbox_info's @calls_pending.
 */
#define KMBOX_FEATURE_CALL	0x0040ULL

/* CREATE flags, on top of the KMBOX_FD_* flags. */
#define KMBOX_CREATE_EXCL	0x0100	/* fail with EEXIST if it exists */
/*
 * Only the owner (or CAP_IPC_OWNER in its namespace) may CLOSE the new
 * mailbox: for a server's mailbox that its clients send to but must not
 * end.  Kept by the mailbox; ignored when an existing one is opened.
 */
#define KMBOX_CREATE_OWNER_CLOSE 0x0200
/*
 * KMBOX_CREATE_PRIO: messages carry a priority, 0..KMBOX_PRIO_MAX (struct
 * kmbox_send's @prio): the highest is received first, FIFO within one
 * priority.  Without it every message has priority 0 and a send with
 * another fails with EINVAL.
 */
#define KMBOX_CREATE_PRIO	0x0400
/*
 * KMBOX_CREATE_SELECT: messages carry a 64-bit tag (struct kmbox_send's
 * @tag), and RECV may select by tag (KMBOX_RECV_TAG, KMBOX_RECV_TAG_LE) and
 * by sender (KMBOX_RECV_FROM).  Without it a non-zero tag, or a selecting
 * RECV, fails with EINVAL.  The mailbox keeps indexes by tag and by
 * sender, so a selecting receive never scans the queue.
 */
#define KMBOX_CREATE_SELECT	0x0800
/*
 * KMBOX_CREATE_PORT: the new mailbox is a port of the calling process, for
 * direct communication.  It has no name (@name must be 0: EINVAL), the
 * returned handle must have KMBOX_ACCESS_RECV, and it implies
 * KMBOX_CREATE_SELECT, so that its owner can receive from one sender.  Its
 * id (@id) is the port id.  Others open a send handle to it with
 * KMBOX_IOC_PORT_OPEN, by the process's pid and the port id.  The port
 * lives as long as the handle CREATE returned: when that file is released
 * (closed by every process holding it, or at exit) the port is destroyed
 * (as by KMBOX_IOC_DESTROY: queued messages are dropped, every handle to
 * it gets EIDRM).
 */
#define KMBOX_CREATE_PORT	0x1000

/* struct kmbox_create result (out, KMBOX_CREATE_SIZE_VER1) */
#define KMBOX_CREATE_CREATED	0x0001	/* this call made the mailbox */

/**
 * struct kmbox_create - KMBOX_IOC_CREATE: make a mailbox, return a handle
 * @flags:	KMBOX_FD_* and KMBOX_CREATE_* bits
 * @access:	KMBOX_ACCESS_* bits of the returned handle (at least one)
 * @capacity:	0 (rendezvous), 1..max_capacity, or KMBOX_CAPACITY_UNBOUNDED
 * @max_msg_size: largest message, 0 for the module's default_msg_size
 * @mode:	permission bits (0777 at most), as for mq_open(3)
 * @name:	pointer to a NUL-terminated name of 1..KMBOX_NAME_MAX bytes
 *		without '/', or 0 for an anonymous mailbox
 * @id:		out: the mailbox's id, unique while the module is loaded
 * @__reserved:	must be 0
 * @result:	out: KMBOX_CREATE_CREATED if this call made the mailbox, 0
 *		if it opened an existing one (ignored on input)
 * @__reserved1: must be 0
 *
 * Returns the new file descriptor.  Without KMBOX_CREATE_EXCL an existing
 * mailbox of that name is opened instead (its attributes are kept, the
 * access asked for is checked against its mode), as with O_CREAT; result
 * tells which happened, so that a name squatted by someone else is noticed
 * (check the owner with INFO).
 */
struct kmbox_create {
	__u32 flags;
	__u32 access;
	__u64 capacity;
	__u32 max_msg_size;
	__u32 mode;
	__u64 name;
	__u64 id;
	__u64 __reserved[2];
	__u32 result;
	__u32 __reserved1;
};

#define KMBOX_CREATE_SIZE_VER0	56
#define KMBOX_CREATE_SIZE_VER1	64	/* result */

/**
 * struct kmbox_open - KMBOX_IOC_OPEN: open a named mailbox, return a handle
 * @flags:	KMBOX_FD_* bits
 * @access:	KMBOX_ACCESS_* bits, checked against the mailbox's mode
 * @name:	pointer to the NUL-terminated name
 * @id:		out: the mailbox's id
 * @__reserved:	must be 0
 */
struct kmbox_open {
	__u32 flags;
	__u32 access;
	__u64 name;
	__u64 id;
	__u64 __reserved[2];
};

#define KMBOX_OPEN_SIZE_VER0	40

/**
 * struct kmbox_unlink - KMBOX_IOC_UNLINK: remove a name
 * @flags:	must be 0
 * @__reserved0: must be 0
 * @name:	pointer to the NUL-terminated name
 * @__reserved:	must be 0
 *
 * The mailbox lives on, anonymous, while handles to it are open.
 */
struct kmbox_unlink {
	__u32 flags;
	__u32 __reserved0;
	__u64 name;
	__u64 __reserved[2];
};

#define KMBOX_UNLINK_SIZE_VER0	32

/*
 * Per-call mode of SEND and RECV: blocking when none of these is set.  At
 * most one of them may be set.  The descriptor's O_NONBLOCK does not apply
 * to the ioctls, only to read(2) and write(2).
 */
#define KMBOX_MSG_NONBLOCK	0x0001	/* fail with EAGAIN, never wait */
#define KMBOX_MSG_TIMEOUT	0x0002	/* timeout_ns: relative, >= 0 */
/*
 * KMBOX_MSG_DEADLINE: timeout_ns is a time of CLOCK_MONOTONIC as the
 * caller reads it (clock_gettime), in its time namespace: a namespace's
 * monotonic offset is taken off, as for clock_nanosleep(TIMER_ABSTIME).
 */
#define KMBOX_MSG_DEADLINE	0x0004	/* timeout_ns: CLOCK_MONOTONIC */

/* SEND only: return once a receiver has taken this message. */
#define KMBOX_SEND_SYNC		0x0100
/* RECV only: copy the next message out but leave it queued. */
#define KMBOX_RECV_PEEK		0x0100
/*
 * RECV selection (KMBOX_RECV_SIZE_VER1, a KMBOX_CREATE_SELECT mailbox, else
 * EINVAL): take the first message, in delivery order (priority, then
 * arrival), that is tagged @want_tag (KMBOX_RECV_TAG), or the first of
 * those with the lowest tag <= @want_tag (KMBOX_RECV_TAG_LE, as msgrcv(2)
 * with a negative msgtyp), and/or sent by process @want_pid
 * (KMBOX_RECV_FROM, the kernel-verified sender).  TAG and TAG_LE exclude
 * each other.  A receiver waiting with a selection is woken only by a
 * message that matches it.
 */
#define KMBOX_RECV_TAG		0x0200
#define KMBOX_RECV_TAG_LE	0x0400
#define KMBOX_RECV_FROM		0x0800
/*
 * KMBOX_RECV_CALL (VER1): this receiver can reply.  A call it takes (see
 * KMBOX_IOC_CALL) gets a reply id in @call, which only this handle (this
 * open file, whichever process uses it) can reply to.  A call taken by a
 * receive without it (read(2), RECV_BATCH, a RECV without this flag) is
 * dropped: its caller fails with ECONNRESET, received.
 */
#define KMBOX_RECV_CALL		0x1000
/*
 * KMBOX_RECV_REPLY (VER1): first reply to call @reply_call with the
 * message at @reply_buf, @reply_len, as KMBOX_IOC_REPLY would, then
 * receive.  The reply's own outcome is in @reply_result (0 or -errno);
 * only a bad @reply_buf (EFAULT) or @reply_call of 0 (EINVAL) fails the
 * call, before anything is done.
 */
#define KMBOX_RECV_REPLY	0x2000

/* Highest message priority (KMBOX_CREATE_PRIO), as mq_send(3)'s. */
#define KMBOX_PRIO_MAX		32767

/**
 * struct kmbox_send - KMBOX_IOC_SEND: send one message
 * @flags:	one KMBOX_MSG_* mode at most, KMBOX_SEND_SYNC
 * @__reserved0: must be 0
 * @buf:	pointer to the message
 * @len:	its length, 0..max_msg_size
 * @timeout_ns:	with KMBOX_MSG_TIMEOUT or KMBOX_MSG_DEADLINE, else 0
 * @__reserved:	must be 0
 * @prio:	(KMBOX_SEND_SIZE_VER1) 0..KMBOX_PRIO_MAX; non-zero needs a
 *		KMBOX_CREATE_PRIO mailbox (else EINVAL)
 * @__reserved1: must be 0
 * @tag:	(VER1) any value; non-zero needs a KMBOX_CREATE_SELECT mailbox
 *		(else EINVAL)
 * @__reserved2: must be 0
 *
 * SEND only reads this struct (it writes nothing back): it may be in
 * read-only memory.
 */
struct kmbox_send {
	__u32 flags;
	__u32 __reserved0;
	__u64 buf;
	__u64 len;
	__s64 timeout_ns;
	__u64 __reserved[2];
	__u32 prio;
	__u32 __reserved1;
	__u64 tag;
	__u64 __reserved2[2];
};

#define KMBOX_SEND_SIZE_VER0	48
#define KMBOX_SEND_SIZE_VER1	80	/* prio, tag */

/**
 * struct kmbox_recv - KMBOX_IOC_RECV: receive one message
 * @flags:	one KMBOX_MSG_* mode at most, KMBOX_RECV_PEEK
 * @__reserved0: must be 0
 * @buf:	pointer to the buffer
 * @len:	in: buffer size; out: message length (also on EMSGSIZE)
 * @timeout_ns:	with KMBOX_MSG_TIMEOUT or KMBOX_MSG_DEADLINE, else 0
 * @pid:	out: sender's thread-group id in the receiver's pid namespace
 *		(0 when not visible there)
 * @uid:	out: sender's effective uid in the receiver's user namespace
 * @gid:	out: sender's effective gid in the receiver's user namespace
 * @__reserved1: must be 0
 * @__reserved:	must be 0
 * @want_tag:	(KMBOX_RECV_SIZE_VER1) in: KMBOX_RECV_TAG, KMBOX_RECV_TAG_LE
 * @want_pid:	(VER1) in: KMBOX_RECV_FROM: the sender's thread-group id, in
 *		the receiver's pid namespace (ESRCH if no such process)
 * @prio:	(VER1) out: the message's priority
 * @tag:	(VER1) out: the message's tag
 * @call:	(VER1) out: with KMBOX_RECV_CALL, the reply id of the call
 *		taken; 0 for a plain message
 * @reply_call: (VER1) in: KMBOX_RECV_REPLY: the call to reply to first
 * @reply_buf:	(VER1) in: KMBOX_RECV_REPLY: the reply
 * @reply_len:	(VER1) in: KMBOX_RECV_REPLY: its length
 * @reply_result: (VER1) out: KMBOX_RECV_REPLY: 0, or the -errno
 *		KMBOX_IOC_REPLY would have failed with
 * @reply_size: (VER1) out: with KMBOX_RECV_CALL, a call's reply capacity:
 *		the caller's reply buffer size, at most max_msg_size (a
 *		reply longer fails EMSGSIZE); 0 for a plain message.
 *		Ignored on input.  A server chooses a reply that fits before
 *		a RECV_REPLY, whose receive would otherwise wait with the
 *		call left pending by EMSGSIZE.
 * @__reserved3: must be 0
 *
 * Returns the message length.  Only that many bytes of the buffer are
 * the message; after an error its contents are unspecified (they may be
 * bytes of a message withdrawn by its sender while being copied out).
 */
struct kmbox_recv {
	__u32 flags;
	__u32 __reserved0;
	__u64 buf;
	__u64 len;
	__s64 timeout_ns;
	__s32 pid;
	__u32 uid;
	__u32 gid;
	__u32 __reserved1;
	__u64 __reserved[2];
	__u64 want_tag;
	__s32 want_pid;
	__u32 prio;
	__u64 tag;
	__u64 call;
	__u64 reply_call;
	__u64 reply_buf;
	__u64 reply_len;
	__s32 reply_result;
	__u32 reply_size;
	__u64 __reserved3[2];
};

#define KMBOX_RECV_SIZE_VER0	64
#define KMBOX_RECV_SIZE_VER1	144	/* want_tag ... reply_size */

/* Most messages one SEND_BATCH or RECV_BATCH call takes (count). */
#define KMBOX_BATCH_MAX		1024

/*
 * SEND_BATCH and RECV_BATCH: every message of the batch may wait as the
 * call's mode says (all of them within the one timeout or deadline), not
 * only the first.
 */
#define KMBOX_BATCH_WAITALL	0x0200

/**
 * struct kmbox_msgvec - one message of a batch
 * @buf:	pointer to the message (SEND_BATCH) or to its buffer (RECV_BATCH)
 * @len:	SEND_BATCH: the message's length, 0..max_msg_size;
 *		RECV_BATCH: in, the buffer's size; out, the message's length
 * @pid:	RECV_BATCH, out: as struct kmbox_recv's (ignored on input, and
 *		by SEND_BATCH)
 * @uid:	RECV_BATCH, out: as struct kmbox_recv's (ignored as @pid)
 * @gid:	RECV_BATCH, out: as struct kmbox_recv's (ignored as @pid)
 * @__reserved:	must be 0
 *
 * The array's entries have this fixed size: a later meaning of @__reserved
 * comes with a new flag of struct kmbox_batch, never a bigger entry.
 */
struct kmbox_msgvec {
	__u64 buf;
	__u64 len;
	__s32 pid;
	__u32 uid;
	__u32 gid;
	__u32 __reserved;
};

#define KMBOX_MSGVEC_SIZE	32

/**
 * struct kmbox_batch - KMBOX_IOC_SEND_BATCH, KMBOX_IOC_RECV_BATCH (as
 *	sendmmsg(2) and recvmmsg(2): many messages per call)
 * @flags:	one KMBOX_MSG_* mode at most, KMBOX_BATCH_WAITALL; SEND_BATCH
 *		also KMBOX_SEND_SYNC (for every message).  KMBOX_RECV_PEEK is
 *		not taken (EINVAL)
 * @count:	entries in @vec, 0..KMBOX_BATCH_MAX (more: EINVAL)
 * @vec:	pointer to an array of @count struct kmbox_msgvec
 * @timeout_ns:	with KMBOX_MSG_TIMEOUT or KMBOX_MSG_DEADLINE, else 0: one
 *		timeout or deadline for the whole call
 * @__reserved:	must be 0
 *
 * Messages go (or are taken) in the order of @vec, each as one SEND (or
 * RECV) of its entry would, with the call's flags.  Returns how many were:
 * entries [0, ret) were sent (received, their out fields set); entries
 * [ret, count) were not, nothing of theirs was delivered or consumed, and
 * their entries are left as they were.  The no-ambiguity rule of SEND and
 * RECV holds per message.
 *
 * Waiting: the first message waits as the call's mode says; the others
 * go only if they can without waiting (as MSG_WAITFORONE does for
 * recvmmsg), unless KMBOX_BATCH_WAITALL lets each wait within the same
 * timeout or deadline.  So a blocking RECV_BATCH returns as soon as it has
 * one message, with as many more as were queued; a blocking SEND_BATCH to
 * a full queue returns once one fits, with as many more as fit then.
 *
 * Errors: a bad struct, flag, count, @vec (EFAULT) or reserved field of
 * any entry (EINVAL) fails the call before any message.  Otherwise the
 * first message's error is the call's (as SEND or RECV would fail: EAGAIN,
 * ETIMEDOUT, EFAULT for its @buf, EMSGSIZE, with its needed length in
 * entry 0's @len, ...), while an error at a later message k ends the
 * batch and the call returns k: that message, and those after it, were not
 * touched, and the same error, if it persists, is the first of the next
 * call.  A signal that arrives after the first message ends a WAITALL
 * batch with the count (never EINTR).  count 0 returns 0 and does nothing.
 */
struct kmbox_batch {
	__u32 flags;
	__u32 count;
	__u64 vec;
	__s64 timeout_ns;
	__u64 __reserved[2];
};

#define KMBOX_BATCH_SIZE_VER0	40

/* Most pids of blocked callers struct kmbox_info holds, each way. */
#define KMBOX_INFO_PIDS		16

/* State of a mailbox, in struct kmbox_info. */
#define KMBOX_STATE_OPEN	0
#define KMBOX_STATE_CLOSED	1	/* KMBOX_IOC_CLOSE was called */
#define KMBOX_STATE_DESTROYED	2	/* KMBOX_IOC_DESTROY was called */

/**
 * struct kmbox_info - KMBOX_IOC_INFO: what a mailbox is and holds now
 * @flags:	in: must be 0
 * @access:	out: KMBOX_ACCESS_* of this handle
 * @id:		out: the mailbox's id
 * @capacity:	out: as created
 * @max_msg_size: out: as created (the default filled in)
 * @mode:	out: permission bits
 * @uid:	out: owner, in the caller's user namespace
 * @gid:	out: owner's group, in the caller's user namespace
 * @state:	out: KMBOX_STATE_*
 * @msgs:	out: messages queued (rendezvous: senders offering one)
 * @bytes:	out: bytes queued (message lengths, offers included)
 * @senders_waiting: out: senders blocked now
 * @receivers_waiting: out: receivers blocked now
 * @sent:	out: messages ever queued or handed over, less those
 *		withdrawn by their sender (timeout, signal, close, destroy)
 * @received:	out: messages ever received
 * @dropped:	out: messages dropped by DESTROY
 * @charged:	out (KMBOX_FEATURE_CHARGED; 0 from older modules): bytes the
 *		messages counted in @bytes are charged to their senders'
 *		max_bytes_per_user, which is the memory they pin (see
 *		struct kmbox_limits); ignored on input
 * @__reserved:	out: 0
 * @name:	out: NUL-terminated name, empty if anonymous or unlinked
 * @nsenders:	out (KMBOX_INFO_SIZE_VER1): pids in @senders, the first
 *		KMBOX_INFO_PIDS of @senders_waiting
 * @nreceivers:	out (VER1): pids in @receivers (of @receivers_waiting)
 * @senders:	out (VER1): thread-group ids of the tasks blocked in send, in
 *		the caller's pid namespace (0 when not visible there)
 * @receivers:	out (VER1): those of the tasks blocked in receive or peek
 * @create_flags: out (KMBOX_INFO_SIZE_VER2): the mailbox's KMBOX_CREATE_PRIO,
 *		KMBOX_CREATE_SELECT, KMBOX_CREATE_PORT and
 *		KMBOX_CREATE_OWNER_CLOSE, as created (PORT implies SELECT)
 * @port_pid:	out (VER2): a port's process, in the caller's pid namespace
 *		(0 for a mailbox, or when not visible there)
 * @calls_pending: out (VER2): calls received and not yet replied to (their
 *		callers wait for the reply)
 * @__reserved4: out: 0
 *
 * The VER1 fields and @senders_waiting and @receivers_waiting are read at
 * one instant, so the counts agree with the pids.
 *
 * KMBOX_IOC_STAT_ID takes this struct too, on the control device: in,
 * @flags 0 and @id the mailbox to describe; out, all of it as INFO fills it
 * with @access 0 (no handle).  It needs no access to the mailbox, as
 * /proc/kmbox shows every mailbox to everyone.
 */
struct kmbox_info {
	__u32 flags;
	__u32 access;
	__u64 id;
	__u64 capacity;
	__u32 max_msg_size;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 state;
	__u32 __reserved0;
	__u64 msgs;
	__u64 bytes;
	__u32 senders_waiting;
	__u32 receivers_waiting;
	__u64 sent;
	__u64 received;
	__u64 dropped;
	__u64 charged;
	__u64 __reserved[3];
	char name[KMBOX_NAME_MAX + 1];
	__u32 nsenders;
	__u32 nreceivers;
	__s32 senders[KMBOX_INFO_PIDS];
	__s32 receivers[KMBOX_INFO_PIDS];
	__u32 create_flags;
	__s32 port_pid;
	__u64 calls_pending;
	__u64 __reserved4[2];
};

#define KMBOX_INFO_SIZE_VER0	384
#define KMBOX_INFO_SIZE_VER1	520	/* nsenders ... receivers */
#define KMBOX_INFO_SIZE_VER2	552	/* create_flags, port_pid, calls_pending */

/**
 * struct kmbox_destroy_id - KMBOX_IOC_DESTROY_ID: destroy a mailbox by id
 * @flags:	must be 0
 * @__reserved0: must be 0
 * @id:		the mailbox's id
 * @__reserved:	must be 0
 *
 * As KMBOX_IOC_DESTROY on a handle, and with the same permission (the
 * owner, or CAP_IPC_OWNER), for a mailbox nobody can name: an anonymous or
 * unlinked one, found with KMBOX_IOC_LIST or a handle's fdinfo.
 */
struct kmbox_destroy_id {
	__u32 flags;
	__u32 __reserved0;
	__u64 id;
	__u64 __reserved[2];
};

#define KMBOX_DESTROY_ID_SIZE_VER0	32

/**
 * struct kmbox_list - KMBOX_IOC_LIST: the ids of the mailboxes, in order
 * @flags:	must be 0
 * @count:	in: how many ids @ids holds; out: how many were stored
 * @cursor:	in: list the ids greater than this (0 to start)
 * @ids:	pointer to an array of @count __u64
 * @__reserved:	must be 0
 *
 * Stores the smallest ids above @cursor, ascending, and returns how many
 * (also in @count).  Fewer than @count means there were no more when the
 * call looked; to page through all, call again with @cursor the last id
 * stored, until a call stores fewer than asked.  Every mailbox /proc/kmbox
 * shows is listed, anonymous, unlinked and destroyed ones included; one
 * created or freed meanwhile may or may not be.  A bad @ids is EFAULT, with
 * @count left as it was.
 */
struct kmbox_list {
	__u32 flags;
	__u32 count;
	__u64 cursor;
	__u64 ids;
	__u64 __reserved[2];
};

#define KMBOX_LIST_SIZE_VER0	40

/**
 * struct kmbox_port_open - KMBOX_IOC_PORT_OPEN: a send handle to a port
 * @flags:	KMBOX_FD_* bits
 * @access:	must be KMBOX_ACCESS_SEND (only the port's own handle
 *		receives), checked against the port's mode
 * @pid:	the port's process: its thread-group id in the caller's pid
 *		namespace
 * @__reserved0: must be 0
 * @port:	the port id (the port's mailbox id, from CREATE)
 * @__reserved:	must be 0
 *
 * Returns a new handle, which, like any handle, may be passed to another
 * process over a UNIX socket.  A port id is never reused while the module
 * is loaded, so a pid reused by another process never matches.  Errors:
 * EINVAL, @pid not positive; ESRCH, no process @pid in the caller's pid
 * namespace (a thread id other than its process's is none); ECONNREFUSED,
 * it has no port @port visible in the caller's IPC namespace (never had,
 * or closed it); EACCES, the port's mode denies sending.  A pidfd names
 * a process too: the kernel offers modules no way to resolve one, so
 * libipc reads its pid from /proc/self/fdinfo and the port id keeps that
 * race-free.
 */
struct kmbox_port_open {
	__u32 flags;
	__u32 access;
	__s32 pid;
	__u32 __reserved0;
	__u64 port;
	__u64 __reserved[2];
};

#define KMBOX_PORT_OPEN_SIZE_VER0	40

/* struct kmbox_call result (out) */
#define KMBOX_CALL_RECEIVED	0x0001	/* a server took the request */

/**
 * struct kmbox_call - KMBOX_IOC_CALL: send a request, wait for its reply
 * @flags:	KMBOX_MSG_TIMEOUT or KMBOX_MSG_DEADLINE at most, for the whole
 *		call (KMBOX_MSG_NONBLOCK: EINVAL)
 * @result:	out: KMBOX_CALL_RECEIVED if a server took the request;
 *		written on success and on every error found once the struct
 *		is known writable (an EBADF, EINVAL or EMSGSIZE found first,
 *		or EFAULT for the struct itself, leave it as it was: nothing
 *		was sent).  Ignored on input
 * @buf:	pointer to the request
 * @len:	its length, 0..max_msg_size
 * @timeout_ns:	with KMBOX_MSG_TIMEOUT or KMBOX_MSG_DEADLINE, else 0
 * @reply_buf:	pointer to the buffer for the reply, proven writable first
 * @reply_len:	in: its size; out: the reply's length
 * @prio:	as struct kmbox_send's
 * @__reserved0: must be 0
 * @tag:	as struct kmbox_send's
 * @pid:	out: the replier's thread-group id, in the caller's pid namespace
 * @uid:	out: the replier's effective uid, in the caller's user namespace
 * @gid:	out: the replier's effective gid, in the caller's user namespace
 * @__reserved1: must be 0
 * @__reserved:	must be 0
 *
 * The request is a message like SEND's, which must be taken by a receiver
 * (as with KMBOX_SEND_SYNC) and carries a one-shot reply slot.  A receiver
 * that takes it with KMBOX_RECV_CALL gets a reply id, usable only through
 * its handle (KMBOX_IOC_REPLY, KMBOX_RECV_REPLY).  Returns the reply's
 * length.  No ambiguity: on error, KMBOX_CALL_RECEIVED in @result says
 * whether a server had taken the request.  Without it the request was
 * withdrawn, as a failed SEND's (ETIMEDOUT, EINTR, EPIPE, EIDRM, ...).
 * With it: ECONNRESET, the server dropped the request (released its
 * handle, or took it without KMBOX_RECV_CALL); ETIMEDOUT or EINTR, the
 * caller stopped waiting (a call a server has received never restarts
 * after a signal); the server's late reply then fails with ECONNRESET;
 * EIDRM, the mailbox was destroyed while the call was pending (a late
 * reply fails with EIDRM).  A bad or read-only @reply_buf fails with
 * EFAULT before anything is sent (as much of it as a reply may fill:
 * @reply_len, at most max_msg_size, is faulted in, which may write it).
 */
struct kmbox_call {
	__u32 flags;
	__u32 result;
	__u64 buf;
	__u64 len;
	__s64 timeout_ns;
	__u64 reply_buf;
	__u64 reply_len;
	__u32 prio;
	__u32 __reserved0;
	__u64 tag;
	__s32 pid;
	__u32 uid;
	__u32 gid;
	__u32 __reserved1;
	__u64 __reserved[2];
};

#define KMBOX_CALL_SIZE_VER0	96

/**
 * struct kmbox_reply - KMBOX_IOC_REPLY: answer a call taken by this handle
 * @flags:	must be 0
 * @__reserved0: must be 0
 * @call:	the reply id, from RECV's @call
 * @buf:	pointer to the reply
 * @len:	its length, at most the caller's reply buffer size
 * @__reserved:	must be 0
 *
 * Errors: ENOENT, this handle has no pending call @call (never had, or
 * replied already); ECONNRESET, the caller stopped waiting (timeout,
 * signal, exit; the call is gone now); EMSGSIZE, longer than the
 * caller's reply buffer or the mailbox's max_msg_size (the call stays
 * pending: reply again); EIDRM, the mailbox was destroyed; EFAULT;
 * ENOBUFS, ENOMEM (the reply is charged to the replier, as a message).
 */
struct kmbox_reply {
	__u32 flags;
	__u32 __reserved0;
	__u64 call;
	__u64 buf;
	__u64 len;
	__u64 __reserved[2];
};

#define KMBOX_REPLY_SIZE_VER0	48

#define KMBOX_IOC_MAGIC		0xB8

/* On /dev/kmbox. */
#define KMBOX_IOC_LIMITS	_IOWR(KMBOX_IOC_MAGIC, 0x00, struct kmbox_limits)
#define KMBOX_IOC_CREATE	_IOWR(KMBOX_IOC_MAGIC, 0x01, struct kmbox_create)
#define KMBOX_IOC_OPEN		_IOWR(KMBOX_IOC_MAGIC, 0x02, struct kmbox_open)
#define KMBOX_IOC_UNLINK	_IOWR(KMBOX_IOC_MAGIC, 0x03, struct kmbox_unlink)
/* KMBOX_FEATURE_ADMIN */
#define KMBOX_IOC_STAT_ID	_IOWR(KMBOX_IOC_MAGIC, 0x04, struct kmbox_info)
#define KMBOX_IOC_DESTROY_ID	_IOWR(KMBOX_IOC_MAGIC, 0x05, struct kmbox_destroy_id)
#define KMBOX_IOC_LIST		_IOWR(KMBOX_IOC_MAGIC, 0x06, struct kmbox_list)
/* KMBOX_FEATURE_PORT */
#define KMBOX_IOC_PORT_OPEN	_IOWR(KMBOX_IOC_MAGIC, 0x07, struct kmbox_port_open)

/* On a mailbox handle. */
#define KMBOX_IOC_SEND		_IOWR(KMBOX_IOC_MAGIC, 0x10, struct kmbox_send)
#define KMBOX_IOC_RECV		_IOWR(KMBOX_IOC_MAGIC, 0x11, struct kmbox_recv)
#define KMBOX_IOC_INFO		_IOWR(KMBOX_IOC_MAGIC, 0x12, struct kmbox_info)
/*
 * CLOSE: Go-style close: later sends fail with EPIPE, blocked senders are
 * woken with EPIPE (their messages withdrawn), receivers drain what is
 * queued and then get EPIPE.  Needs KMBOX_ACCESS_SEND, and for a mailbox
 * created with KMBOX_CREATE_OWNER_CLOSE, to be its owner (or CAP_IPC_OWNER
 * in its namespace; else EACCES).  Closing a closed mailbox fails with
 * EPIPE (a destroyed one: EIDRM) and changes nothing.  The argument is a
 * flags word and must be 0.
 *
 * DESTROY: the name goes away, queued messages are dropped, every blocked
 * call and every later call on any handle fails with EIDRM.  Only the owner
 * (or CAP_IPC_OWNER in its namespace) may destroy.  The argument must be 0.
 */
#define KMBOX_IOC_CLOSE		_IO(KMBOX_IOC_MAGIC, 0x13)
#define KMBOX_IOC_DESTROY	_IO(KMBOX_IOC_MAGIC, 0x14)
/* KMBOX_FEATURE_BATCH */
#define KMBOX_IOC_SEND_BATCH	_IOWR(KMBOX_IOC_MAGIC, 0x15, struct kmbox_batch)
#define KMBOX_IOC_RECV_BATCH	_IOWR(KMBOX_IOC_MAGIC, 0x16, struct kmbox_batch)
/* KMBOX_FEATURE_CALL */
#define KMBOX_IOC_CALL		_IOWR(KMBOX_IOC_MAGIC, 0x17, struct kmbox_call)
#define KMBOX_IOC_REPLY		_IOWR(KMBOX_IOC_MAGIC, 0x18, struct kmbox_reply)

#endif /* _UAPI_LINUX_KMBOX_H */
