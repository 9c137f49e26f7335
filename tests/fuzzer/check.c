// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: the checks: their names, the log, violations, the documented errno
 * sets, the watchdog's view of a call.
 */
#include "fuzz.h"

/* ---- operations and checks -------------------------------------------- */


const char *const op_name[OP_MAX] = {
	"none", "LIMITS", "CREATE", "OPEN", "UNLINK", "SEND", "RECV",
	"SEND_BATCH", "RECV_BATCH", "INFO",
	"CLOSE", "DESTROY", "read", "write", "poll", "epoll", "dup", "close",
	"raw-ioctl", "fork", "exit", "delete_module", "open-dev", "sigaction",
	"scenario", "SCM_RIGHTS", "io_uring", "/proc/kmbox",
	"STAT_ID/LIST/DESTROY_ID", "PORT_OPEN", "CALL", "REPLY",
};

/* Weights, per ten thousand. */
const int op_weight[OP_MAX] = {
	[OP_LIMITS] = 100, [OP_CREATE] = 700, [OP_OPEN] = 600,
	[OP_UNLINK] = 150, [OP_SEND] = 1700, [OP_RECV] = 1700,
	[OP_SEND_BATCH] = 300, [OP_RECV_BATCH] = 300,
	[OP_INFO] = 600, [OP_CLOSE] = 120, [OP_DESTROY] = 80,
	[OP_READ] = 600, [OP_WRITE] = 600, [OP_POLL] = 350,
	[OP_EPOLL] = 200, [OP_DUP] = 200, [OP_FDCLOSE] = 400,
	[OP_RAW] = 300, [OP_FORK] = 60, [OP_EXIT] = 1,
	[OP_UNLOAD] = 5, [OP_DEVOPEN] = 40, [OP_SIGACT] = 20,
	[OP_SCENARIO] = 120, [OP_SCM] = 150, [OP_URING] = 250,
	[OP_PROC] = 60, [OP_ADMIN] = 150,
	[OP_PORT_OPEN] = 80, [OP_CALL] = 250, [OP_REPLY] = 120,
};

const char *const check_name[C_N] = {
	[C_ERRNO] = "errno: every error is one the ABI documents for the call",
	[C_DISPATCH] = "dispatch: wrong command/size/pointer gives the exact errno",
	[C_VALID] = "validation: bad input is refused with the documented errno",
	[C_INFO] = "info: INFO attributes fixed, counters consistent and monotonic",
	[C_PAYLOAD] = "payload: messages arrive whole, in their mailbox, with sender pid/uid",
	[C_ONCE] = "once: no message is received twice",
	[C_AMBIG] = "ambiguity: no message is received whose send failed",
	[C_TIMING] = "timing: non-blocking and timed calls end in time, not early",
	[C_SIGNAL] = "signals: blocked calls end on a signal",
	[C_SCENARIO] = "scenarios: close/destroy/kill/timeouts/requeue on private mailboxes",
	[C_POLL] = "poll: revents only what the handle's access and state allow",
	[C_UNLOAD] = "unload: delete_module fails while handles are open",
	[C_PROC] = "processes: none dies of an unsent signal, all die on SIGKILL",
	[C_RAN] = "ran: calls were made and messages went through",
};

const char *const check_tag[C_N] = {
	"errno", "dispatch", "validation", "info", "payload", "once",
	"ambiguity", "timing", "signals", "scenario", "poll", "unload",
	"processes", "ran",
};

const char *const stat_name[ST_N] = {
	"messages sent (tracked or not)", "messages received", "payloads verified",
	"bytes received", "children forked", "scenarios played",
	"signals sent", "SIGKILLs", "SIGSTOPs", "unload attempts",
	"limit changes", "worker processes started", "worker exits",
	"max msgs over a bounded capacity", "ENOMEM seen",
	"blocked calls interrupted by the watchdog",
	"scenario messages accounted for exactly",
};

/* ---- the log ------------------------------------------------------------ */

void log_line(const char *fmt, ...)
{
	uint32_t slot = atomic_fetch_add(&S->log_head, 1);
	va_list ap;

	if (slot >= LOG_N)
		return;
	va_start(ap, fmt);
	vsnprintf(S->log[slot], LOG_LEN, fmt, ap);
	va_end(ap);
	atomic_store(&S->log_ready[slot], 1);
}

void violation(int check, const char *fmt, ...)
{
	uint64_t n = atomic_fetch_add(&S->viol[check], 1);
	char msg[LOG_LEN];
	va_list ap;

	if (n >= LOG_PER_CHECK)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line("VIOLATION %s: [%s it %ld] %s", check_tag[check], who, iter, msg);
}

const char *ename(int e)
{
	static const struct { int e; const char *n; } t[] = {
		{ 0, "0" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" },
		{ EINTR, "EINTR" }, { EBADF, "EBADF" }, { E2BIG, "E2BIG" },
		{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
		{ EINVAL, "EINVAL" }, { ENFILE, "ENFILE" }, { EMFILE, "EMFILE" },
		{ ENOTTY, "ENOTTY" }, { ENOSPC, "ENOSPC" }, { EPIPE, "EPIPE" },
		{ ENAMETOOLONG, "ENAMETOOLONG" }, { EIDRM, "EIDRM" },
		{ EMSGSIZE, "EMSGSIZE" }, { ENOBUFS, "ENOBUFS" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { ENOSYS, "ENOSYS" },
		{ ECANCELED, "ECANCELED" }, { ETOOMANYREFS, "ETOOMANYREFS" },
		{ EWOULDBLOCK, "EWOULDBLOCK" }, { ECHILD, "ECHILD" },
		{ ESRCH, "ESRCH" }, { ECONNREFUSED, "ECONNREFUSED" },
		{ ECONNRESET, "ECONNRESET" }, { EPROTO, "EPROTO" },
	};
	static __thread char buf[4][24];
	static __thread unsigned int next;
	char *b = buf[next++ % 4];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		if (t[i].e == e)
			return t[i].n;
	snprintf(b, sizeof(buf[0]), "errno %d", e);
	return b;
}

/* ---- documented errno sets ------------------------------------------- */

#define SET(...)	((const int[]){ __VA_ARGS__, 0 })

static bool in_set(const int *set, int e)
{
	for (; *set; set++)
		if (*set == e)
			return true;
	return false;
}

/* Per uapi/linux/kmbox.h; ENOTTY for every one: wrong descriptor. */
static const int *const op_errs[OP_MAX] = {
	[OP_LIMITS] = SET(EINVAL, E2BIG, EFAULT, ENOTTY),
	[OP_CREATE] = SET(EINVAL, E2BIG, EFAULT, ENOTTY, ENAMETOOLONG, EEXIST,
			  EACCES, ENOSPC),
	[OP_OPEN] = SET(EINVAL, E2BIG, EFAULT, ENOTTY, ENAMETOOLONG, ENOENT,
			EACCES),
	[OP_UNLINK] = SET(EINVAL, E2BIG, EFAULT, ENOTTY, ENAMETOOLONG, ENOENT,
			  EACCES),
	[OP_SEND] = SET(EINVAL, E2BIG, EFAULT, ENOTTY, EBADF, EMSGSIZE, EAGAIN,
			ETIMEDOUT, EINTR, EPIPE, EIDRM, ENOBUFS),
	/* ESRCH: KMBOX_RECV_FROM a process that does not exist */
	[OP_RECV] = SET(EINVAL, E2BIG, EFAULT, ENOTTY, EBADF, EMSGSIZE, EAGAIN,
			ETIMEDOUT, EINTR, EPIPE, EIDRM, ESRCH),
	/* Those of SEND and RECV: a batch fails only as its first message */
	[OP_SEND_BATCH] = SET(EINVAL, E2BIG, EFAULT, ENOTTY, EBADF, EMSGSIZE,
			      EAGAIN, ETIMEDOUT, EINTR, EPIPE, EIDRM, ENOBUFS),
	[OP_RECV_BATCH] = SET(EINVAL, E2BIG, EFAULT, ENOTTY, EBADF, EMSGSIZE,
			      EAGAIN, ETIMEDOUT, EINTR, EPIPE, EIDRM),
	[OP_INFO] = SET(EINVAL, E2BIG, EFAULT, ENOTTY),
	[OP_ADMIN] = SET(EINVAL, E2BIG, EFAULT, ENOTTY, ENOENT, EACCES, EIDRM),
	/* EPIPE: closed already; EACCES: an owner-close mailbox, not ours */
	[OP_CLOSE] = SET(EINVAL, EBADF, EPIPE, EIDRM, ENOTTY, EACCES),
	[OP_DESTROY] = SET(EINVAL, EACCES, EIDRM, ENOTTY),
	/* Those of RECV and SEND, and the VFS's own checks (EBADF, EINVAL). */
	[OP_READ] = SET(EINVAL, EFAULT, EBADF, EMSGSIZE, EAGAIN, EINTR, EPIPE,
			EIDRM),
	/* EPERM: a handle opened by a worker of another uid (SCM_RIGHTS) */
	[OP_WRITE] = SET(EINVAL, EFAULT, EBADF, EMSGSIZE, EAGAIN, EINTR, EPIPE,
			 EIDRM, ENOBUFS, EPERM),
	[OP_POLL] = SET(EINTR),
	/* EPERM: the handle became the placeholder, which has no poll */
	[OP_EPOLL] = SET(EINTR, EEXIST, ENOENT, EBADF, ENOSPC, EPERM),
	[OP_DUP] = SET(EMFILE),
	[OP_FDCLOSE] = SET(EBADF),
	/* the admin commands' among them (ENOENT, EACCES, EIDRM) */
	[OP_RAW] = SET(EINVAL, E2BIG, EFAULT, ENOTTY, ENAMETOOLONG, ENOENT,
		       EEXIST, EACCES, ENOSPC, EBADF, EMSGSIZE, EAGAIN,
		       ETIMEDOUT, EINTR, EPIPE, EIDRM, ENOBUFS, ESRCH,
		       ECONNREFUSED, ECONNRESET, ENFILE, EMFILE),
	[OP_PORT_OPEN] = SET(EINVAL, E2BIG, EFAULT, ENOTTY, ESRCH, ECONNREFUSED,
			     EACCES, EMFILE, ENFILE),
	/* a failed SEND's, and ECONNRESET: dropped after receipt */
	[OP_CALL] = SET(EINVAL, E2BIG, EFAULT, ENOTTY, EBADF, EMSGSIZE,
			ETIMEDOUT, EINTR, EPIPE, EIDRM, ENOBUFS, ECONNRESET),
	[OP_REPLY] = SET(EINVAL, E2BIG, EFAULT, ENOTTY, ENOENT, ECONNRESET,
			 EMSGSIZE, EIDRM, ENOBUFS),
	[OP_UNLOAD] = SET(EWOULDBLOCK, EBUSY, EPERM),
	[OP_DEVOPEN] = SET(EMFILE),
	[OP_FORK] = SET(EAGAIN),
	/* only in the unload race: the module is gone, or going */
	[OP_PROC] = SET(ENOENT, EIO),
	/* io_uring completions: those of read/write, and cancellation */
	[OP_URING] = SET(EINVAL, EFAULT, EBADF, EMSGSIZE, EAGAIN, EINTR, EPIPE,
			 EIDRM, ENOBUFS, ECANCELED),
};

void count_op(int op, int e)
{
	atomic_fetch_add(&S->ops, 1);
	atomic_fetch_add(&S->op_count[op], 1);
	if (e >= 0 && e < MAX_ERRNO)
		atomic_fetch_add(&S->op_err[op][e], 1);
}

/* Check e (0: success) against op's documented set. */
void check_errno(int op, int e, const char *desc)
{
	count_op(op, e);
	if (!e)
		return;
	if (e == ENOMEM) {
		stat_add(ST_ENOMEM, 1);
		return;
	}
	if (!op_errs[op] || !in_set(op_errs[op], e))
		violation(C_ERRNO, "%s: %s, not documented for it", desc, ename(e));
}

/* ---- the watchdog's view of a call -------------------------------------- */

void call_begin(int op, int64_t bound, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(W->desc, sizeof(W->desc), fmt, ap);
	va_end(ap);
	atomic_store(&W->bound, bound);
	atomic_store(&W->start, now_ns());
	atomic_fetch_add(&W->seq, 1);
	atomic_store(&W->op, op);
}

void call_end(void)
{
	atomic_store(&W->op, OP_NONE);
}

int64_t slack_ns(void)
{
	return (int64_t)opt.slack * SEC;
}
