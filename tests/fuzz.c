// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: random and adversarial use of kmbox from many processes and
 * threads at once, for a set time, checking everything userspace can check.
 *
 * usage: fuzz [--seed N] [--seconds N] [--procs N] [--threads N]
 *             [--iterations N] [--slack SECONDS] [--smoke] [--quiet]
 *             [--no-signals] [--no-kill] [--no-params] [--no-unload]
 *             [--no-nobody] [--no-scenarios]
 *        fuzz --unload-race CYCLES --module KMBOX.KO [--seed N]
 *
 * Run it as root on a kernel with kmbox.ko loaded (tests/run-fuzz does, in
 * the VM: 'make fuzz').  --iterations N stops each thread after N calls
 * (workers that end so are not restarted); --slack is how far past its
 * time a non-blocking or timed call may return before it counts as hung
 * (20 s: the VM is emulated).
 *
 * A coordinator process forks --procs worker processes of --threads threads
 * each (one in four runs as nobody), and keeps them busy until --seconds
 * have passed: killed or exited workers are started again.  The workers
 * share a handful of named mailboxes (so they collide) and create anonymous
 * ones that they pass to the children they fork and over UNIX sockets
 * (SCM_RIGHTS, sometimes left in flight in a cycle only the garbage
 * collector frees).  Each thread makes random calls: every ioctl on the
 * control device and on handles (and on the wrong kind of descriptor),
 * read, readv, write, writev, poll, epoll, io_uring reads, writes and polls
 * (rings dropped with requests in flight), dup, close, fork, exit,
 * delete_module, reads of /proc/kmbox.  Arguments are valid most of the time, so the
 * mailboxes reach deep states, and sometimes wrong: unknown flags and
 * reserved bits, bad, read-only, unmapped and half-mapped pointers (some in
 * pages another thread keeps mprotect()ing), huge and negative sizes, struct
 * sizes smaller and larger than the kernel's, with zero and non-zero tails.
 * Meanwhile the coordinator sends signals (to handlers with and without
 * SA_RESTART), SIGSTOP/SIGCONT and SIGKILL, tries to unload the module, and
 * changes the module's limits for a moment.  Some threads play scenarios on
 * private mailboxes whose outcome is known exactly: CLOSE/DESTROY/SIGKILL
 * against a blocked call, a timed sender against a timed receiver, a
 * message put back after EMSGSIZE and EFAULT, one sender's order seen by
 * one or two receivers.
 *
 * --unload-race CYCLES: a process uses the module every way that holds a
 * reference (blocked senders and receivers, queued messages, epoll,
 * io_uring, handles in flight in a socket) and is killed; the module must
 * refuse to unload before, unload the moment the last reference goes, and
 * load again (from --module), while another process reads /proc/kmbox.
 *
 * Checks (each one a line of the TAP output at the end):
 *  - every errno is in the set uapi/linux/kmbox.h documents for that call
 *    (ENOMEM is counted apart: the header does not list it);
 *  - the dispatcher's errnos (ENOTTY, short struct EINVAL, E2BIG, EFAULT)
 *    and input validation (EINVAL, ENAMETOOLONG, EFAULT, EBADF, EMSGSIZE)
 *    are exactly the documented ones, and bad input never succeeds;
 *  - INFO stays sane: attributes fixed, counters consistent
 *    (sent >= received + dropped + msgs), state and totals never go back;
 *  - every message received is one that was sent, whole, to that mailbox,
 *    with its sender's pid and uid; none is received twice; none is
 *    received whose send failed (every message carries an id, and a shared
 *    table records what happened to it);
 *  - calls that may not wait (non-blocking, timed) return in time, and
 *    timed ones not before their time; blocked calls end on a signal;
 *  - poll/epoll/io_uring polls report only what a handle's access and the
 *    mailbox's state allow; /proc/kmbox is well-formed and consistent;
 *  - delete_module fails while handles are open;
 *  - no process dies of a signal nobody sent it (SIGPIPE, SIGSEGV...) and
 *    every one is gone soon after SIGKILL (none stuck in the kernel).
 *
 * Replaying: the seed is printed first.  --seed N replays every thread's
 * sequence of choices; the interleaving between threads and the moments
 * signals arrive are the machine's, so a race may need a few runs (or
 * --procs 1 --threads 1 --no-signals to pin a sequential bug down).  A
 * violation names the worker, its generation, the thread and the call.
 *
 * Exit status 0 when no check failed, 1 otherwise; the output ends with a
 * kselftest "# Totals:" line.  --smoke (10 s, 2 processes of 2 threads, the
 * module's limits left alone) suits a test suite; built with
 * -DFUZZ_DEFAULT_SMOKE, the program does that when given no options, as
 * tests/run-all runs its programs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <linux/io_uring.h>
#include <linux/kmbox.h>

_Static_assert(sizeof(struct kmbox_limits) == KMBOX_LIMITS_SIZE_VER1, "limits");
_Static_assert(sizeof(struct kmbox_create) == KMBOX_CREATE_SIZE_VER1, "create");
_Static_assert(sizeof(struct kmbox_open) == KMBOX_OPEN_SIZE_VER0, "open");
_Static_assert(sizeof(struct kmbox_unlink) == KMBOX_UNLINK_SIZE_VER0, "unlink");
_Static_assert(sizeof(struct kmbox_send) == KMBOX_SEND_SIZE_VER0, "send");
_Static_assert(sizeof(struct kmbox_recv) == KMBOX_RECV_SIZE_VER0, "recv");
_Static_assert(sizeof(struct kmbox_info) == KMBOX_INFO_SIZE_VER1, "info");
_Static_assert(sizeof(struct kmbox_destroy_id) == KMBOX_DESTROY_ID_SIZE_VER0, "destroy_id");
_Static_assert(sizeof(struct kmbox_list) == KMBOX_LIST_SIZE_VER0, "list");

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE		4096UL
#define NS		1LL
#define US		(1000 * NS)
#define MS		(1000 * US)
#define SEC		(1000 * MS)

#define MAX_PROCS	16
#define MAX_THREADS	8
#define CHILD_WATCH	64	/* watch slots for the workers' children */
#define NWATCH		(MAX_PROCS * MAX_THREADS + CHILD_WATCH)
#define NHANDLES	16	/* handles a process keeps */
#define NNAMES		6	/* shared mailbox names */
#define MAX_CHILDREN	3	/* children a worker keeps */
/* A bound on tasks that may be inside one mailbox at once (all of ours). */
#define MAX_TASKS	(NWATCH + MAX_PROCS * MAX_THREADS * 2)
#define TRACK_N		(16U << 20)	/* messages whose fate is recorded */
#define LOG_N		1024
#define LOG_LEN		480
#define LOG_PER_CHECK	6	/* violations printed per check */
#define FUZZ_NOBODY	65534
#define EXIT_PLANNED	42	/* a worker's deliberate _exit */
#define EXIT_INTERNAL	99	/* the fuzzer itself failed */
#define MAX_ERRNO	134

/* The payload of a message: a header, then a pattern that depends on id. */
#define MAGIC		0x786d626bU	/* "kbmx" */
#define JUNK		0xa5		/* bytes of deliberately unchecked sends */
struct hdr {
	uint32_t magic;
	uint32_t len;
	uint64_t id;		/* index in the fate table, 0 when untracked */
	uint64_t mbox;		/* id of the mailbox it was sent to */
	uint32_t pid;		/* sender's tgid */
	uint32_t uid;		/* sender's euid */
};

/* ---- options ---------------------------------------------------------- */

static struct {
	uint64_t seed;
	int seconds;
	int procs;
	int threads;
	long iterations;	/* per thread, 0: no limit */
	int slack;		/* s a bounded call may overrun */
	bool smoke, quiet;
	bool no_signals, no_kill, no_params, no_unload, no_nobody;
	bool no_scenarios;
	int unload_race;	/* cycles of --unload-race */
	const char *module;	/* kmbox.ko, to load it again */
} opt = { .seconds = 60, .procs = 4, .threads = 3, .slack = 20 };

/* ---- operations and checks -------------------------------------------- */

enum op {
	OP_NONE, OP_LIMITS, OP_CREATE, OP_OPEN, OP_UNLINK, OP_SEND, OP_RECV,
	OP_INFO, OP_CLOSE, OP_DESTROY, OP_READ, OP_WRITE, OP_POLL, OP_EPOLL,
	OP_DUP, OP_FDCLOSE, OP_RAW, OP_FORK, OP_EXIT, OP_UNLOAD, OP_DEVOPEN,
	OP_SIGACT, OP_SCENARIO, OP_SCM, OP_URING, OP_PROC, OP_ADMIN, OP_MAX
};

static const char *const op_name[OP_MAX] = {
	"none", "LIMITS", "CREATE", "OPEN", "UNLINK", "SEND", "RECV", "INFO",
	"CLOSE", "DESTROY", "read", "write", "poll", "epoll", "dup", "close",
	"raw-ioctl", "fork", "exit", "delete_module", "open-dev", "sigaction",
	"scenario", "SCM_RIGHTS", "io_uring", "/proc/kmbox",
	"STAT_ID/LIST/DESTROY_ID",
};

/* Weights, per ten thousand. */
static const int op_weight[OP_MAX] = {
	[OP_LIMITS] = 100, [OP_CREATE] = 700, [OP_OPEN] = 600,
	[OP_UNLINK] = 150, [OP_SEND] = 2000, [OP_RECV] = 2000,
	[OP_INFO] = 600, [OP_CLOSE] = 120, [OP_DESTROY] = 80,
	[OP_READ] = 600, [OP_WRITE] = 600, [OP_POLL] = 350,
	[OP_EPOLL] = 200, [OP_DUP] = 200, [OP_FDCLOSE] = 400,
	[OP_RAW] = 300, [OP_FORK] = 60, [OP_EXIT] = 1,
	[OP_UNLOAD] = 5, [OP_DEVOPEN] = 40, [OP_SIGACT] = 20,
	[OP_SCENARIO] = 120, [OP_SCM] = 150, [OP_URING] = 250,
	[OP_PROC] = 60, [OP_ADMIN] = 150,
};

enum check {
	C_ERRNO, C_DISPATCH, C_VALID, C_INFO, C_PAYLOAD, C_ONCE, C_AMBIG,
	C_TIMING, C_SIGNAL, C_SCENARIO, C_POLL, C_UNLOAD, C_PROC, C_RAN, C_N
};

static const char *const check_name[C_N] = {
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

static const char *const check_tag[C_N] = {
	"errno", "dispatch", "validation", "info", "payload", "once",
	"ambiguity", "timing", "signals", "scenario", "poll", "unload",
	"processes", "ran",
};

enum fuzz_stat {
	ST_SENT, ST_RECEIVED, ST_VERIFIED, ST_BYTES, ST_FORKS, ST_SCENARIOS,
	ST_SIGNALS, ST_KILLS, ST_STOPS, ST_UNLOADS, ST_PARAMS, ST_WORKERS,
	ST_EXITS, ST_OVERCAP, ST_ENOMEM, ST_KICKS, ST_DELIVERIES, ST_N
};

static const char *const stat_name[ST_N] = {
	"messages sent (tracked or not)", "messages received", "payloads verified",
	"bytes received", "children forked", "scenarios played",
	"signals sent", "SIGKILLs", "SIGSTOPs", "unload attempts",
	"limit changes", "worker processes started", "worker exits",
	"max msgs over a bounded capacity", "ENOMEM seen",
	"blocked calls interrupted by the watchdog",
	"scenario messages accounted for exactly",
};

/* What a thread is doing, for the watchdog. */
struct watch {
	_Atomic int pid, tid;
	_Atomic int op;			/* OP_NONE between calls */
	_Atomic int64_t start;		/* ns */
	_Atomic int64_t bound;		/* ns the call may take, 0: any */
	_Atomic uint64_t seq;		/* calls begun */
	char desc[200];
	/* The coordinator's own. */
	uint64_t flagged_seq, kick_seq;
	int64_t last_kick;
	int kicks;
};

/* Fate of message ids. */
#define T_ATTEMPT	1
#define T_OK		2
#define T_FAIL		4
#define T_RECV		8

struct shared {
	uint64_t seed;
	int64_t t0, deadline;
	pid_t coordinator;
	_Atomic int stop;
	_Atomic uint64_t next_id;
	_Atomic uint64_t ops;
	_Atomic uint64_t op_count[OP_MAX];
	_Atomic uint64_t op_err[OP_MAX][MAX_ERRNO];
	_Atomic uint64_t viol[C_N];
	_Atomic uint64_t stat[ST_N];
	_Atomic uint32_t log_head;
	_Atomic int log_ready[LOG_N];
	char log[LOG_N][LOG_LEN];
	struct watch w[NWATCH];
	char names[NNAMES][64];
};

static struct shared *S;
static _Atomic uint8_t *track;
/* Who received each message first: tid, and the call's description. */
struct first_recv {
	_Atomic uint32_t tid;
	char desc[124];
};
static struct first_recv *track_who;
#define WHO_N	(1U << 20)	/* ids whose first receiver is recorded */

/* ---- per process, per thread ------------------------------------------ */

static struct kmbox_limits L;	/* at start-up: the largest limits */
static int ctl = -1;		/* this process's /dev/kmbox */
static int epfd = -1;
static pid_t mypid;
static uid_t myuid;
static bool is_child;		/* a worker's child, not a worker */
static bool limits_move;	/* the coordinator changes module limits */
static int worker_idx, worker_gen;
static volatile sig_atomic_t sig_count;

static __thread uint64_t rs;	/* random state */
static __thread char who[64];
static __thread struct watch *W;
static __thread struct watch W_dummy;
static __thread int tidx;
static __thread long iter;
static __thread uint8_t *sbuf, *rbuf;	/* message buffers */
static __thread uint8_t *strad;		/* a RW page, then a PROT_NONE one */
static size_t bufsz;

/* Shared pages: nothing mapped, read-only, and this process's flip area. */
static uint8_t *g_none;		/* PROT_NONE, NONE_SIZE bytes */
#define NONE_SIZE	(5 * PAGE)
static uint8_t *g_ro;		/* read-only: JUNK, then a pool name */
#define RO_NAME_OFF	2048
#define FLIP_WIN	(2 * PAGE)	/* per thread: a buffer page, a struct page */
#define FLIP_PAGES	(MAX_THREADS * 2)
#define ROWIN		512		/* per thread, in the read-only page */
static uint8_t *rwv, *flv;	/* one memfd: a RW view, a flipping view */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / SEC, ns % SEC };

	nanosleep(&ts, NULL);	/* a signal may cut it short: fine */
}

static uint64_t mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t seed_for(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t x = a;

	x ^= mix(&x) + b;
	x ^= mix(&x) + c;
	x ^= mix(&x) + d;
	mix(&x);
	return x;
}

static uint64_t rnd(void)
{
	return mix(&rs);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* True with probability p per thousand. */
static bool pml(unsigned int p)
{
	return below(1000) < p;
}

static bool pct(unsigned int p)
{
	return below(100) < p;
}

static uint64_t range(uint64_t lo, uint64_t hi)
{
	return lo + below(hi - lo + 1);
}

static void stat_add(int st, uint64_t n)
{
	atomic_fetch_add(&S->stat[st], n);
}

static void stat_max(int st, uint64_t v)
{
	uint64_t old = atomic_load(&S->stat[st]);

	while (v > old && !atomic_compare_exchange_weak(&S->stat[st], &old, v))
		;
}

/* ---- the log ------------------------------------------------------------ */

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...)
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

static void violation(int check, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void violation(int check, const char *fmt, ...)
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

static const char *ename(int e)
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
	[OP_RECV] = SET(EINVAL, E2BIG, EFAULT, ENOTTY, EBADF, EMSGSIZE, EAGAIN,
			ETIMEDOUT, EINTR, EPIPE, EIDRM),
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
		       ETIMEDOUT, EINTR, EPIPE, EIDRM, ENOBUFS),
	[OP_UNLOAD] = SET(EWOULDBLOCK, EBUSY, EPERM),
	[OP_DEVOPEN] = SET(EMFILE),
	[OP_FORK] = SET(EAGAIN),
	/* only in the unload race: the module is gone, or going */
	[OP_PROC] = SET(ENOENT, EIO),
	/* io_uring completions: those of read/write, and cancellation */
	[OP_URING] = SET(EINVAL, EFAULT, EBADF, EMSGSIZE, EAGAIN, EINTR, EPIPE,
			 EIDRM, ENOBUFS, ECANCELED),
};

static void count_op(int op, int e)
{
	atomic_fetch_add(&S->ops, 1);
	atomic_fetch_add(&S->op_count[op], 1);
	if (e >= 0 && e < MAX_ERRNO)
		atomic_fetch_add(&S->op_err[op][e], 1);
}

/* Check e (0: success) against op's documented set. */
static void check_errno(int op, int e, const char *desc)
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

static void call_begin(int op, int64_t bound, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void call_begin(int op, int64_t bound, const char *fmt, ...)
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

static void call_end(void)
{
	atomic_store(&W->op, OP_NONE);
}

static int64_t slack_ns(void)
{
	return (int64_t)opt.slack * SEC;
}

/* ---- memory ------------------------------------------------------------- */

static void *map(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("fuzz: mmap");
		_exit(EXIT_INTERNAL);
	}
	return p;
}

/* This process's flip area: a memfd seen through a RW and a flipping view. */
static void setup_flip(void)
{
	size_t len = (FLIP_PAGES + 1) * PAGE;
	int fd = memfd_create("fuzz-flip", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, len)) {
		perror("fuzz: memfd");
		_exit(EXIT_INTERNAL);
	}
	if (rwv)
		munmap(rwv, len);
	if (flv)
		munmap(flv, len);
	rwv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	flv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (rwv == MAP_FAILED || flv == MAP_FAILED) {
		perror("fuzz: mmap memfd");
		_exit(EXIT_INTERNAL);
	}
	/* The last page is read-only for good. */
	mprotect(flv + FLIP_PAGES * PAGE, PAGE, PROT_READ);
	close(fd);
}

static void setup_thread_memory(void)
{
	sbuf = map(bufsz, PROT_READ | PROT_WRITE);
	rbuf = map(bufsz, PROT_READ | PROT_WRITE);
	strad = map(2 * PAGE, PROT_READ | PROT_WRITE);
	mprotect(strad + PAGE, PAGE, PROT_NONE);
}

/* Where a pointer goes. */
enum place {
	P_NORMAL, P_RO, P_NONE, P_NULL, P_KERNEL, P_NONCANON, P_STRADDLE,
	P_FLIP, P_N
};

static const char *const place_name[P_N] = {
	"normal", "read-only", "PROT_NONE", "NULL", "kernel", "non-canonical",
	"half-mapped", "flipping",
};

static void *bad_addr(int place)
{
	switch (place) {
	case P_NONE:
		return g_none + below(PAGE);	/* and NONE_SIZE - PAGE more */
	case P_NULL:
		return (void *)(uintptr_t)below(16);
	case P_KERNEL:
		return (void *)(uintptr_t)(0xffffffff81000000ULL + below(1 << 20));
	default:
		return (void *)(uintptr_t)(pct(50) ? 0x0000800000000000ULL :
					   0xdead000000000000ULL + below(PAGE));
	}
}

/* ---- handles ------------------------------------------------------------ */

enum hstate { H_FREE, H_RESERVED, H_LIVE, H_DYING };

struct handle {
	int state;
	int fd;
	int refs;
	unsigned int gen;
	uint32_t access;
	int name;		/* index in S->names, -1: anonymous */
	bool nonblock;		/* KMBOX_FD_NONBLOCK */
	uint64_t id;
	uint64_t capacity;
	uint32_t max_msg_size;
	uid_t uid;
	/* What INFO showed last through this handle. */
	uint32_t state_seen;
	uint64_t received_seen, dropped_seen;
};

static struct handle H[NHANDLES];
static pthread_mutex_t hlock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int hgen;

static void hl(void)
{
	pthread_mutex_lock(&hlock);
}

static void hu(void)
{
	pthread_mutex_unlock(&hlock);
}

/*
 * Take a reference to a random live handle, preferably one with access
 * want; *h gets a copy.  -1 if none.
 */
static int h_get_for(struct handle *h, uint32_t want)
{
	int i, n, pass, start = below(NHANDLES);

	hl();
	for (pass = want ? 0 : 1; pass < 2; pass++)
	for (n = 0; n < NHANDLES; n++) {
		i = (start + n) % NHANDLES;
		if (H[i].state == H_LIVE && (pass || (H[i].access & want))) {
			H[i].refs++;
			*h = H[i];
			hu();
			return i;
		}
	}
	hu();
	return -1;
}

static int h_get(struct handle *h)
{
	return h_get_for(h, 0);
}

static void h_put(int i)
{
	int fd = -1;

	if (i < 0)
		return;
	hl();
	if (--H[i].refs == 0 && H[i].state == H_DYING) {
		fd = H[i].fd;
		H[i].state = H_FREE;
		H[i].gen = ++hgen;
	}
	hu();
	if (fd >= 0)
		close(fd);
}

/* Whether slot i still is the handle copied into h. */
static bool h_same(int i, const struct handle *h)
{
	bool same;

	hl();
	same = H[i].gen == h->gen && H[i].state == H_LIVE;
	hu();
	return same;
}

static int h_reserve(void)
{
	int i, n, start = below(NHANDLES);

	hl();
	for (n = 0; n < NHANDLES; n++) {
		i = (start + n) % NHANDLES;
		if (H[i].state == H_FREE) {
			H[i].state = H_RESERVED;
			hu();
			return i;
		}
	}
	hu();
	return -1;
}

static void h_unreserve(int i)
{
	if (i < 0)
		return;
	hl();
	H[i].state = H_FREE;
	hu();
}

static void h_install(int i, const struct handle *h)
{
	hl();
	H[i] = *h;
	H[i].state = H_LIVE;
	H[i].refs = 0;
	H[i].gen = ++hgen;
	hu();
}

/*
 * close(2) handle i (if it still is gen; any live one if i < 0).  If
 * another thread is inside a call on it, its number is taken over by a
 * duplicate of the control device until the last user is done, so that the
 * number is not reused behind that thread's back (its next call then goes
 * to the wrong kind of descriptor).
 */
static void h_close(int i, unsigned int gen)
{
	int n, fd = -1, start = below(NHANDLES), e = 0;

	hl();
	for (n = 0; n < NHANDLES; n++) {
		int k = i >= 0 ? i : (start + n) % NHANDLES;

		if (H[k].state != H_LIVE || (i >= 0 && H[k].gen != gen)) {
			if (i >= 0)
				break;
			continue;
		}
		if (H[k].refs == 0) {
			fd = H[k].fd;
			H[k].state = H_FREE;
		} else {
			if (dup3(ctl, H[k].fd, O_CLOEXEC) < 0)
				e = errno;
			H[k].state = H_DYING;
		}
		H[k].gen = ++hgen;
		break;
	}
	hu();
	if (fd >= 0 && close(fd))
		e = errno;
	check_errno(OP_FDCLOSE, e, "close");
}

static void h_close_random(void)
{
	h_close(-1, 0);
}

/* After a call on handle slot: a dead mailbox's handle is often dropped. */
static void h_done(int slot, const struct handle *h, int e)
{
	if (slot < 0)
		return;
	h_put(slot);
	if ((e == EIDRM && pct(50)) || (e == EPIPE && pct(15)))
		h_close(slot, h->gen);
}

static int h_live(void)
{
	int i, n = 0;

	hl();
	for (i = 0; i < NHANDLES; i++)
		n += H[i].state == H_LIVE;
	hu();
	return n;
}

/* In a new child: nothing is in use, what was dying goes. */
static void h_after_fork(void)
{
	int i;

	for (i = 0; i < NHANDLES; i++) {
		H[i].refs = 0;
		if (H[i].state == H_DYING)
			close(H[i].fd);
		if (H[i].state != H_LIVE)
			H[i].state = H_FREE;
	}
}

static void atfork_prepare(void)
{
	hl();
}

static void atfork_release(void)
{
	hu();
}

/* ---- the payload ------------------------------------------------------- */

static inline uint8_t pat(uint64_t id, size_t i)
{
	return (uint8_t)((id * 0x9e3779b97f4a7c15ULL) >> ((i & 7) * 8)) ^ (uint8_t)(i >> 3);
}

static uint64_t new_id(void)
{
	uint64_t id = atomic_fetch_add(&S->next_id, 1);

	return id < TRACK_N ? id : 0;
}

/* Fill p with a message of len bytes for mailbox mbox; its id (0: none). */
static uint64_t fill(uint8_t *p, size_t len, uint64_t mbox)
{
	struct hdr h;
	uint64_t id;
	size_t i;

	if (len < sizeof(h)) {
		for (i = 0; i < len; i++)
			p[i] = (uint8_t)(len * 17 + i * 3 + 1);
		return 0;
	}
	id = new_id();
	h.magic = MAGIC;
	h.len = (uint32_t)len;
	h.id = id;
	h.mbox = mbox;
	h.pid = mypid;
	h.uid = myuid;
	memcpy(p, &h, sizeof(h));
	for (i = sizeof(h); i < len; i++)
		p[i] = pat(id, i);
	return id;
}

static bool all_junk(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != JUNK)
			return false;
	return true;
}

/*
 * Check a received message.  mbox: the mailbox it came from (0: unknown).
 * Returns its id (0 if untracked), or -1 after reporting a violation.
 * *hp gets the header when there is one.
 */
static int64_t verify(const uint8_t *p, size_t len, uint64_t mbox,
		      const char *how, struct hdr *hp)
{
	struct hdr h;
	size_t i;

	memset(hp, 0, sizeof(*hp));
	if (!len || all_junk(p, len))
		return 0;
	if (len < sizeof(h)) {
		for (i = 0; i < len; i++)
			if (p[i] != (uint8_t)(len * 17 + i * 3 + 1)) {
				violation(C_PAYLOAD, "%s: short message of %zu bytes corrupt at byte %zu",
					  how, len, i);
				return -1;
			}
		return 0;
	}
	memcpy(&h, p, sizeof(h));
	if (h.magic != MAGIC || h.len != len) {
		violation(C_PAYLOAD, "%s: message of %zu bytes has magic %#x length %u",
			  how, len, h.magic, h.len);
		return -1;
	}
	for (i = sizeof(h); i < len; i++)
		if (p[i] != pat(h.id, i)) {
			violation(C_PAYLOAD, "%s: message id %" PRIu64 " of %zu bytes corrupt at byte %zu",
				  how, h.id, len, i);
			return -1;
		}
	if (mbox && h.mbox && h.mbox != mbox) {
		violation(C_PAYLOAD, "%s: message id %" PRIu64 " sent to mailbox %" PRIu64
			  " received from mailbox %" PRIu64, how, h.id, h.mbox, mbox);
		return -1;
	}
	*hp = h;
	stat_add(ST_VERIFIED, 1);
	return (int64_t)h.id;
}

static void track_send(uint64_t id, int e)
{
	if (!e)
		stat_add(ST_SENT, 1);
	if (id)
		atomic_fetch_or(&track[id], e ? T_FAIL : T_OK);
}

/* A message was consumed (not peeked). */
static void track_recv(int64_t id, const char *how)
{
	uint8_t old;

	stat_add(ST_RECEIVED, 1);
	if (id <= 0)
		return;
	old = atomic_fetch_or(&track[id], T_RECV);
	if (!(old & T_RECV) && id < WHO_N) {
		atomic_store(&track_who[id].tid, (uint32_t)syscall(SYS_gettid));
		memcpy(track_who[id].desc, W->desc, sizeof(track_who[id].desc) - 1);
	}
	if (old & T_RECV)
		violation(C_ONCE, "%s: message id %" PRId64 " received a second time, by task %d in %.150s; first by task %u in %.124s",
			  how, id, (int)syscall(SYS_gettid), W->desc,
			  id < WHO_N ? atomic_load(&track_who[id].tid) : 0,
			  id < WHO_N ? track_who[id].desc : "?");
	if (old & T_FAIL)
		violation(C_AMBIG, "%s: message id %" PRId64 " received, but its send had failed",
			  how, id);
	if (!(old & T_ATTEMPT))
		violation(C_PAYLOAD, "%s: message id %" PRId64 " received, but never sent", how, id);
}

/* ---- ioctl arguments ---------------------------------------------------- */

struct iarg {
	unsigned long cmd;
	void *arg;		/* passed to ioctl */
	void *rb;		/* where the struct can be read back, or NULL */
	size_t size;		/* in the command */
	int place;
	int expect, expect2;	/* errnos the dispatcher must give, or 0 */
	bool ok;		/* the dispatcher's checks will pass */
	char desc[96];
};

static __thread uint8_t argbuf[16384 + 64] __attribute__((aligned(64)));

/*
 * Lay out struct s (ksize bytes, the kernel's size; ver0: the oldest size)
 * for command cmd, most often as it is, sometimes with another size in the
 * command, a mangled command, or somewhere unreadable or read-only.
 * right: the descriptor is of the kind this command is for.
 */
static void mkarg(struct iarg *a, unsigned long cmd, const void *s,
		  size_t ksize, size_t ver0, bool right, bool weird)
{
	unsigned int dir = _IOC_READ | _IOC_WRITE, type = KMBOX_IOC_MAGIC;
	bool nonzero_tail = false, mangled = false;
	size_t size = ksize, room, k = 0;
	int r = below(1000), place = P_NORMAL;
	uint8_t *dst = argbuf;

	memset(a, 0, sizeof(*a));
	if (weird) {
		if (r < 250) {
			size = below(ver0);
		} else if (r < 500) {
			size = ksize + 1 + below(pct(80) ? 64 : _IOC_SIZEMASK - ksize);
		} else if (r < 700) {
			size = ksize + 1 + below(pct(80) ? 64 : _IOC_SIZEMASK - ksize);
			nonzero_tail = true;
		} else if (r < 800) {
			mangled = true;
			if (pct(50)) {
				static const unsigned int dirs[] = {
					_IOC_NONE, _IOC_READ, _IOC_WRITE };
				dir = dirs[below(3)];
			} else {
				static const unsigned int types[] = {
					'x', 'k', KMBOX_IOC_MAGIC - 1, KMBOX_IOC_MAGIC + 1 };
				type = types[below(4)];
			}
		}
		r = below(1000);
		if (r < 150)
			place = P_RO;
		else if (r < 250)
			place = P_NONE;
		else if (r < 290)
			place = P_NULL;
		else if (r < 330)
			place = P_KERNEL;
		else if (r < 370)
			place = P_NONCANON;
		else if (r < 470)
			place = P_STRADDLE;
		else if (r < 650)
			place = P_FLIP;
	}
	if (place == P_RO && size > ROWIN)
		place = P_NORMAL;
	if (place == P_FLIP && size > PAGE)
		place = P_NORMAL;
	if (place == P_STRADDLE && (size < 1 || size > PAGE))
		place = P_NORMAL;

	switch (place) {
	case P_NORMAL:
		dst = argbuf;
		a->arg = a->rb = dst;
		break;
	case P_RO:
		dst = rwv + FLIP_PAGES * PAGE + tidx * ROWIN;
		a->arg = flv + FLIP_PAGES * PAGE + tidx * ROWIN;
		a->rb = dst;
		break;
	case P_FLIP:
		/* the second page of the window: buffers use the first */
		room = PAGE - size;
		k = room ? below(room / 8 + 1) * 8 : 0;
		dst = rwv + tidx * FLIP_WIN + PAGE + k;
		a->arg = flv + tidx * FLIP_WIN + PAGE + k;
		a->rb = dst;
		break;
	case P_STRADDLE:
		k = below(size);	/* bytes readable: fewer than size */
		dst = argbuf;		/* built here, then copied */
		a->arg = strad + PAGE - k;
		break;
	default:
		dst = argbuf;
		a->arg = bad_addr(place);
		break;
	}
	memcpy(dst, s, size < ksize ? size : ksize);
	if (size > ksize) {
		memset(dst + ksize, 0, size - ksize);
		if (nonzero_tail)
			dst[ksize + below(size - ksize)] = 1 + below(255);
	}
	if (place == P_STRADDLE)
		memcpy(strad + PAGE - k, dst, k);

	a->cmd = _IOC(dir, type, _IOC_NR(cmd), size);
	a->size = size;
	a->place = place;
	if (!right || mangled)
		a->expect = ENOTTY;
	else if (size < ver0)
		a->expect = EINVAL;
	else if (place == P_FLIP)
		;	/* readable, writable or neither: anything goes */
	else if (place == P_NONE || place == P_NULL || place == P_KERNEL ||
		 place == P_NONCANON)
		a->expect = EFAULT;
	else if (place == P_STRADDLE)
		a->expect = EFAULT, a->expect2 = nonzero_tail ? E2BIG : 0;
	else if (nonzero_tail)
		a->expect = E2BIG;
	else if (place == P_RO)
		a->expect = EFAULT;	/* the struct cannot be written back */
	else
		a->ok = place == P_NORMAL;
	snprintf(a->desc, sizeof(a->desc), "size %zu%s%s, struct %s",
		 size, nonzero_tail ? " (non-zero tail)" : "",
		 mangled ? ", mangled command" : "", place_name[place]);
}

/*
 * The dispatcher's verdict must be exact.  Returns true when the call is
 * settled (failed as it had to); false when the op goes on to check more.
 */
static bool check_dispatch(const struct iarg *a, long ret, int e,
			   const char *what)
{
	if (!a->expect)
		return false;
	if (ret >= 0 || (e != a->expect && e != a->expect2))
		violation(C_DISPATCH, "%s (%s): returned %ld %s, expected %s%s%s",
			  what, a->desc, ret, ret < 0 ? ename(e) : "",
			  ename(a->expect), a->expect2 ? " or " : "",
			  a->expect2 ? ename(a->expect2) : "");
	return true;
}

/* ---- names ------------------------------------------------------------- */

enum name_kind {
	N_POOL, N_RO, N_NULL, N_EMPTY, N_SLASH, N_LONG, N_BAD, N_UNTERMINATED,
};

/* A name for CREATE/OPEN/UNLINK.  *err: what it alone must give. */
static uint64_t pick_name(int *idx, int *err, bool for_create, const char **desc)
{
	static __thread char longname[KMBOX_NAME_MAX + 2];
	int r = below(1000);
	size_t k;

	*idx = -1;
	*err = 0;
	if (r < 880) {
		*idx = below(NNAMES);
		*desc = S->names[*idx];
		if (*idx == 0 && pct(30)) {
			*desc = "pool name 0 in a read-only page";
			return (uintptr_t)(g_ro + RO_NAME_OFF);
		}
		return (uintptr_t)S->names[*idx];
	}
	if (r < 900) {
		*desc = "NULL name";
		*err = for_create ? 0 : EINVAL;
		return 0;
	}
	if (r < 920) {
		*desc = "empty name";
		*err = EINVAL;
		return (uintptr_t)"";
	}
	if (r < 940) {
		*desc = "name with '/'";
		*err = EINVAL;
		return (uintptr_t)(pct(50) ? "/" : "fz/x");
	}
	if (r < 960) {
		memset(longname, 'l', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		*desc = "name of 256 bytes";
		*err = ENAMETOOLONG;
		return (uintptr_t)longname;
	}
	if (r < 980) {
		uint64_t p = (uintptr_t)bad_addr(P_NONE + below(4));

		*desc = p ? "name at a bad address" : "NULL name";
		*err = p ? EFAULT : for_create ? 0 : EINVAL;
		return p;
	}
	k = 1 + below(40);
	memset(strad + PAGE - k, 'u', k);
	*desc = "name running into an unmapped page";
	*err = EFAULT;
	return (uintptr_t)(strad + PAGE - k);
}

/* ---- small helpers around handles ---------------------------------------- */

static int do_info(int fd, struct kmbox_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(fd, KMBOX_IOC_INFO, info) ? errno : 0;
}

static int expected_accmode(uint32_t access)
{
	if (access == KMBOX_ACCESS_ALL)
		return O_RDWR;
	return access == KMBOX_ACCESS_SEND ? O_WRONLY : O_RDONLY;
}

/*
 * A handle CREATE or OPEN just returned: check the descriptor, and keep it
 * in a free slot (or close it).  fresh: made by this call with these
 * attributes (anonymous, or EXCL).
 */
static void new_handle(int fd, int slot, uint32_t flags, uint32_t access,
		       int name, uint64_t id_out, bool have_id,
		       const struct kmbox_create *cr, bool fresh, const char *what)
{
	struct kmbox_info info;
	struct handle h;
	int fl, fdfl, e;

	fdfl = fcntl(fd, F_GETFD);
	fl = fcntl(fd, F_GETFL);
	if (!!(fdfl & FD_CLOEXEC) != !!(flags & KMBOX_FD_CLOEXEC) ||
	    (fl & O_ACCMODE) != expected_accmode(access) ||
	    !!(fl & O_NONBLOCK) != !!(flags & KMBOX_FD_NONBLOCK))
		violation(C_VALID, "%s: flags %#x access %#x gave a descriptor with FD %#x, FL %#x",
			  what, flags, access, fdfl, fl);
	e = do_info(fd, &info);
	if (e) {
		violation(C_INFO, "%s: INFO on the new handle: %s", what, ename(e));
		close(fd);
		h_unreserve(slot);
		return;
	}
	if (info.access != access)
		violation(C_INFO, "%s: asked access %#x, INFO says %#x", what, access, info.access);
	if (have_id && id_out != info.id)
		violation(C_INFO, "%s: returned id %" PRIu64 ", INFO says %" PRIu64,
			  what, id_out, (uint64_t)info.id);
	if (fresh && cr) {
		if (info.capacity != cr->capacity ||
		    (cr->max_msg_size && info.max_msg_size != cr->max_msg_size) ||
		    info.mode != (cr->mode & 0777) || info.uid != myuid)
			violation(C_INFO, "%s: created capacity %llu size %u mode %o, INFO says %llu %u %o uid %u",
				  what, (unsigned long long)cr->capacity, cr->max_msg_size,
				  cr->mode, (unsigned long long)info.capacity,
				  info.max_msg_size, info.mode, info.uid);
		if (!cr->name && (info.state != KMBOX_STATE_OPEN || info.msgs ||
				  info.sent || info.received || info.dropped ||
				  info.senders_waiting || info.receivers_waiting ||
				  info.name[0]))
			violation(C_INFO, "%s: a new anonymous mailbox is not empty and open: state %u msgs %llu sent %llu",
				  what, info.state, (unsigned long long)info.msgs,
				  (unsigned long long)info.sent);
	}
	if (slot < 0) {
		close(fd);
		return;
	}
	memset(&h, 0, sizeof(h));
	h.fd = fd;
	h.access = access;
	h.name = name;
	h.nonblock = flags & KMBOX_FD_NONBLOCK;
	h.id = info.id;
	h.capacity = info.capacity;
	h.max_msg_size = info.max_msg_size;
	h.uid = info.uid;
	h.state_seen = info.state;
	h.received_seen = info.received;
	h.dropped_seen = info.dropped;
	h_install(slot, &h);
}

/* ---- control device operations ------------------------------------------ */

/* The descriptor an op on the control device goes to: usually ctl. */
/* The wrong-kind target was closed meanwhile: it may be /dev/kmbox now. */
static bool ctl_raced(int slot, const struct handle *h)
{
	return slot >= 0 && !h_same(slot, h);
}

static int ctl_target(int *slot, struct handle *h, bool *right)
{
	*slot = -1;
	*right = true;
	if (pml(30)) {
		*slot = h_get(h);
		if (*slot >= 0) {
			*right = false;
			return h->fd;
		}
	}
	return ctl;
}

static void op_limits(void)
{
	struct kmbox_limits l;
	struct handle h;
	struct iarg a;
	bool right, inval = false;
	int slot, fd, e;
	long ret;

	memset(&l, 0, sizeof(l));
	if (pml(30)) {
		l.flags = 1U << below(32);
		inval = true;
	}
	if (pml(30)) {
		l.__reserved[below(4)] = rnd() | 1;
		inval = true;
	}
	fd = ctl_target(&slot, &h, &right);
	mkarg(&a, KMBOX_IOC_LIMITS, &l, sizeof(l), KMBOX_LIMITS_SIZE_VER0, right, pct(15));
	call_begin(OP_LIMITS, slack_ns(), "LIMITS %s", a.desc);
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	call_end();
	if (ctl_raced(slot, &h)) {
		h_put(slot);
		return;
	}
	h_put(slot);
	check_errno(OP_LIMITS, e, "LIMITS");
	if (check_dispatch(&a, ret, e, "LIMITS") || !a.ok)
		return;
	if (inval) {
		if (e != EINVAL)
			violation(C_VALID, "LIMITS with flags %#x / a reserved field set: %s, expected EINVAL",
				  l.flags, ename(e));
		return;
	}
	if (e) {
		violation(C_VALID, "LIMITS: %s", ename(e));
		return;
	}
	memcpy(&l, a.rb, sizeof(l));
	if (l.flags || l.abi_version != KMBOX_ABI_VERSION ||
	    l.default_msg_size > l.max_msg_size || l.max_msg_size > (64U << 20) ||
	    !l.msg_overhead || l.__reserved[0] || l.__reserved[1] ||
	    l.__reserved[2] || l.__reserved[3])
		violation(C_VALID, "LIMITS: flags %u abi %u default %llu max %llu overhead %llu",
			  l.flags, l.abi_version, (unsigned long long)l.default_msg_size,
			  (unsigned long long)l.max_msg_size,
			  (unsigned long long)l.msg_overhead);
}

static uint64_t pick_capacity(bool *inval)
{
	int r = below(1000);

	*inval = false;
	if (r < 250)
		return 0;
	if (r < 450)
		return 1;
	if (r < 650)
		return range(2, 8);
	if (r < 900)
		return KMBOX_CAPACITY_UNBOUNDED;
	if (r < 930)
		return range(9, 1000);
	*inval = true;
	if (r < 950)
		return L.max_capacity + 1 + below(1000);
	if (r < 970)
		return KMBOX_CAPACITY_UNBOUNDED - 1 - below(1000);
	return (rnd() | (1ULL << 63)) - 1;
}

static void op_create(void)
{
	struct kmbox_create c;
	struct handle h;
	struct iarg a;
	const char *ndesc = "anonymous";
	bool right, inval = false, bad, fresh, maybe_inval;
	int slot, hslot = -1, fd, e, name = -1, nerr = 0;
	long ret;

	memset(&c, 0, sizeof(c));
	if (pct(50))
		c.flags |= KMBOX_FD_CLOEXEC;
	if (pct(25))
		c.flags |= KMBOX_FD_NONBLOCK;
	if (pct(30))
		c.flags |= KMBOX_CREATE_EXCL;
	if (pct(10))
		c.flags |= KMBOX_CREATE_OWNER_CLOSE;
	if (pml(30)) {
		c.flags |= 1U << below(32);
		inval |= c.flags & ~(KMBOX_FD_CLOEXEC | KMBOX_FD_NONBLOCK | KMBOX_CREATE_EXCL |
				     KMBOX_CREATE_OWNER_CLOSE);
	}
	c.access = pct(60) ? KMBOX_ACCESS_ALL :
		   pct(50) ? KMBOX_ACCESS_RECV : KMBOX_ACCESS_SEND;
	if (pml(30)) {
		c.access = pct(50) ? 0 : (uint32_t)rnd();
		inval |= !c.access || (c.access & ~KMBOX_ACCESS_ALL);
	}
	c.capacity = pick_capacity(&bad);
	inval |= bad;
	if (pct(50))
		c.max_msg_size = 0;
	else if (pct(40))
		c.max_msg_size = range(1, 64);
	else if (pct(50))
		c.max_msg_size = pct(50) ? 4096 : 65536;
	else if (pct(90))
		c.max_msg_size = L.max_msg_size;
	else {
		c.max_msg_size = L.max_msg_size + 1 + below(UINT32_MAX - L.max_msg_size);
		inval = true;
	}
	c.mode = pct(75) ? 0666 : below(01000);
	if (pml(20)) {
		c.mode = (uint32_t)rnd() | 01000;
		inval = true;
	}
	if (pml(20)) {
		c.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	if (pml(10))
		c.result = rnd();	/* an out field: ignored */
	if (pct(60)) {
		c.name = pick_name(&name, &nerr, true, &ndesc);
	}
	if (!c.name && (c.flags & KMBOX_CREATE_EXCL) && pct(90))
		c.flags &= ~KMBOX_CREATE_EXCL;
	if (!c.name && (c.flags & KMBOX_CREATE_EXCL))
		inval = true;
	/* While the coordinator lowers a limit, valid sizes may not be. */
	maybe_inval = limits_move && ((c.capacity && c.capacity != KMBOX_CAPACITY_UNBOUNDED) ||
				      c.max_msg_size);

	fd = ctl_target(&slot, &h, &right);
	if (pml(10))
		c.id = rnd();	/* an out field: ignored */
	mkarg(&a, KMBOX_IOC_CREATE, &c, sizeof(c), KMBOX_CREATE_SIZE_VER0, right, pct(10));
	if (!a.expect && !inval && !nerr)
		hslot = h_reserve();
	call_begin(OP_CREATE, slack_ns(), "CREATE %s cap %llu size %u flags %#x access %#x, %s",
		   ndesc, (unsigned long long)c.capacity, c.max_msg_size, c.flags,
		   c.access, a.desc);
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	call_end();
	if (ctl_raced(slot, &h)) {
		h_put(slot);
		if (ret >= 0)
			close(ret);
		h_unreserve(hslot);
		return;
	}
	h_put(slot);
	check_errno(OP_CREATE, e, "CREATE");
	if (check_dispatch(&a, ret, e, "CREATE") || (!a.ok && ret < 0)) {
		if (ret >= 0)
			close(ret);
		h_unreserve(hslot);
		return;
	}
	if (inval || nerr) {
		int want = inval ? EINVAL : nerr;

		if (!a.ok)
			;
		else if (ret >= 0 || (e != want && !(maybe_inval && e == EINVAL)))
			violation(C_VALID, "CREATE %s flags %#x access %#x cap %#llx size %u mode %#o: %s, expected %s (%s)",
				  ndesc, c.flags, c.access, (unsigned long long)c.capacity,
				  c.max_msg_size, c.mode, ret >= 0 ? "success" : ename(e),
				  ename(want), a.desc);
		if (ret >= 0)
			close(ret);
		h_unreserve(hslot);
		return;
	}
	if (ret < 0) {
		if (e == EEXIST && !(c.flags & KMBOX_CREATE_EXCL))
			violation(C_VALID, "CREATE without EXCL: EEXIST");
		if (e == EACCES && (!c.name || myuid == 0))
			violation(C_VALID, "CREATE %s by uid %u: EACCES", ndesc, myuid);
		h_unreserve(hslot);
		return;
	}
	fresh = !c.name || (c.flags & KMBOX_CREATE_EXCL);
	new_handle(ret, hslot, c.flags, c.access, name,
		   a.rb && a.ok ? ((struct kmbox_create *)a.rb)->id : 0,
		   a.rb && a.ok, &c, fresh && a.ok, "CREATE");
}

static void op_open(void)
{
	struct kmbox_open o;
	struct handle h;
	struct iarg a;
	const char *ndesc;
	bool right, inval = false;
	int slot, hslot = -1, fd, e, name, nerr;
	long ret;

	memset(&o, 0, sizeof(o));
	if (pct(50))
		o.flags |= KMBOX_FD_CLOEXEC;
	if (pct(25))
		o.flags |= KMBOX_FD_NONBLOCK;
	if (pml(30)) {
		o.flags |= 1U << below(32);
		inval |= o.flags & ~(KMBOX_FD_CLOEXEC | KMBOX_FD_NONBLOCK);
	}
	o.access = pct(50) ? KMBOX_ACCESS_ALL :
		   pct(50) ? KMBOX_ACCESS_RECV : KMBOX_ACCESS_SEND;
	if (pml(30)) {
		o.access = pct(50) ? 0 : (uint32_t)rnd();
		inval |= !o.access || (o.access & ~KMBOX_ACCESS_ALL);
	}
	if (pml(20)) {
		o.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	o.name = pick_name(&name, &nerr, false, &ndesc);
	fd = ctl_target(&slot, &h, &right);
	mkarg(&a, KMBOX_IOC_OPEN, &o, sizeof(o), KMBOX_OPEN_SIZE_VER0, right, pct(10));
	if (!a.expect && !inval && !nerr)
		hslot = h_reserve();
	call_begin(OP_OPEN, slack_ns(), "OPEN %s flags %#x access %#x, %s", ndesc,
		   o.flags, o.access, a.desc);
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	call_end();
	if (ctl_raced(slot, &h)) {
		h_put(slot);
		if (ret >= 0)
			close(ret);
		h_unreserve(hslot);
		return;
	}
	h_put(slot);
	check_errno(OP_OPEN, e, "OPEN");
	if (check_dispatch(&a, ret, e, "OPEN") || (!a.ok && ret < 0)) {
		if (ret >= 0)
			close(ret);
		h_unreserve(hslot);
		return;
	}
	if (inval || nerr) {
		int want = inval ? EINVAL : nerr;

		if (a.ok && (ret >= 0 || e != want))
			violation(C_VALID, "OPEN %s flags %#x access %#x: %s, expected %s (%s)",
				  ndesc, o.flags, o.access, ret >= 0 ? "success" : ename(e),
				  ename(want), a.desc);
		if (ret >= 0)
			close(ret);
		h_unreserve(hslot);
		return;
	}
	if (ret < 0) {
		if (e == EACCES && myuid == 0)
			violation(C_VALID, "OPEN %s by root: EACCES", ndesc);
		h_unreserve(hslot);
		return;
	}
	new_handle(ret, hslot, o.flags, o.access, name,
		   a.rb && a.ok ? ((struct kmbox_open *)a.rb)->id : 0,
		   a.rb && a.ok, NULL, false, "OPEN");
}

static void op_unlink(void)
{
	struct kmbox_unlink u;
	struct handle h;
	struct iarg a;
	const char *ndesc;
	bool right, inval = false;
	int slot, fd, e, name, nerr;
	long ret;

	memset(&u, 0, sizeof(u));
	if (pml(30)) {
		u.flags = 1U << below(32);
		inval = true;
	}
	if (pml(20)) {
		u.__reserved0 = rnd() | 1;
		inval = true;
	}
	if (pml(20)) {
		u.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	u.name = pick_name(&name, &nerr, false, &ndesc);
	fd = ctl_target(&slot, &h, &right);
	mkarg(&a, KMBOX_IOC_UNLINK, &u, sizeof(u), KMBOX_UNLINK_SIZE_VER0, right, pct(10));
	call_begin(OP_UNLINK, slack_ns(), "UNLINK %s, %s", ndesc, a.desc);
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	call_end();
	if (ctl_raced(slot, &h)) {
		h_put(slot);
		return;
	}
	h_put(slot);
	check_errno(OP_UNLINK, e, "UNLINK");
	if (check_dispatch(&a, ret, e, "UNLINK") || !a.ok)
		return;
	if (inval || nerr) {
		int want = inval ? EINVAL : nerr;

		if (ret >= 0 || e != want)
			violation(C_VALID, "UNLINK %s flags %#x: %s, expected %s (%s)",
				  ndesc, u.flags, ret >= 0 ? "success" : ename(e),
				  ename(want), a.desc);
		return;
	}
	if (e == EACCES && myuid == 0)
		violation(C_VALID, "UNLINK by root: EACCES");
}

/* ---- message operations --------------------------------------------------- */

/* A send/recv mode: flags and timeout; *bound: how long it may take. */
static uint32_t pick_mode(int64_t *timeout, int64_t *bound, bool *inval)
{
	int r = below(1000);
	uint32_t flags;

	*timeout = 0;
	*inval = false;
	if (r < 120) {
		flags = 0;
		*bound = 0;
	} else if (r < 550) {
		flags = KMBOX_MSG_NONBLOCK;
		*bound = slack_ns();
	} else if (r < 880) {
		flags = KMBOX_MSG_TIMEOUT;
		r = below(100);
		*timeout = r < 20 ? 0 : r < 50 ? (int64_t)below(100 * US) :
			   r < 85 ? (int64_t)below(3 * MS) : (int64_t)below(60 * MS);
		*bound = *timeout + slack_ns();
	} else {
		flags = KMBOX_MSG_DEADLINE;
		r = below(100);
		*timeout = r < 15 ? (int64_t)below(SEC) :	/* long past */
			   now_ns() + (r < 30 ? -(int64_t)below(MS) :
			   r < 80 ? (int64_t)below(3 * MS) : (int64_t)below(60 * MS));
		*bound = (*timeout > now_ns() ? *timeout - now_ns() : 0) + slack_ns();
	}
	r = below(1000);
	if (r < 10) {
		flags |= 1U << below(32);	/* maybe valid after all */
		*inval = (flags & ~0x107U) || __builtin_popcount(flags & 7) > 1 ||
			 (!(flags & 6) && *timeout) || ((flags & 6) && *timeout < 0);
	} else if (r < 20) {
		flags = (flags & ~7U) | (pct(50) ? 3 : pct(50) ? 5 : 6 + below(2) * 1);
		*timeout = now_ns() + MS;
		*inval = true;
	} else if (r < 30) {
		flags &= ~(KMBOX_MSG_TIMEOUT | KMBOX_MSG_DEADLINE);
		*timeout = 1 + below(SEC);
		*inval = true;
	} else if (r < 40) {
		flags = (flags & ~7U) | (pct(50) ? KMBOX_MSG_TIMEOUT : KMBOX_MSG_DEADLINE);
		*timeout = -1 - (int64_t)below(SEC);
		if (pct(10))
			*timeout = INT64_MIN;
		*inval = true;
	}
	if (*inval)
		*bound = slack_ns();
	return flags;
}

static size_t pick_len(uint32_t max)
{
	int r = below(1000);
	size_t len;

	if (r < 600)
		len = below(97);
	else if (r < 850)
		len = range(32, 4096);
	else if (r < 950)
		len = range(4096, 65536);
	else
		len = range(65536, 1 << 20);
	if (len > max && !pml(30))
		len = max ? below(max + 1) : 0;
	if (len > bufsz - 2 * PAGE)
		len = bufsz - 2 * PAGE;
	return len;
}

/* The descriptor a handle op goes to: a random handle, or the wrong kind. */
static int mbox_target_for(int *slot, struct handle *h, bool *right, uint32_t want)
{
	*right = true;
	*slot = h_get_for(h, pct(90) ? want : 0);
	if (*slot < 0 || pml(15)) {
		h_put(*slot);
		*slot = -1;
		memset(h, 0, sizeof(*h));
		*right = false;
		return ctl;
	}
	return h->fd;
}

static int mbox_target(int *slot, struct handle *h, bool *right)
{
	return mbox_target_for(slot, h, right, 0);
}

static void check_timeout(const char *what, int e, uint32_t flags, int64_t timeout,
			  int64_t t0, int64_t t1)
{
	uint32_t mode = flags & 7;

	if (e == ETIMEDOUT) {
		if (mode == KMBOX_MSG_TIMEOUT && t1 - t0 < timeout)
			violation(C_TIMING, "%s: ETIMEDOUT after %" PRId64 " ns, timeout %" PRId64 " ns",
				  what, t1 - t0, timeout);
		if (mode == KMBOX_MSG_DEADLINE && t1 < timeout)
			violation(C_TIMING, "%s: ETIMEDOUT %" PRId64 " ns before its deadline",
				  what, timeout - t1);
		if (mode != KMBOX_MSG_TIMEOUT && mode != KMBOX_MSG_DEADLINE)
			violation(C_VALID, "%s with flags %#x: ETIMEDOUT without a timeout", what, flags);
	}
	if (e == EAGAIN && mode != KMBOX_MSG_NONBLOCK)
		violation(C_VALID, "%s with flags %#x: EAGAIN without KMBOX_MSG_NONBLOCK", what, flags);
}

static void op_send(void)
{
	struct kmbox_send s;
	struct handle h;
	struct iarg a;
	int64_t timeout, bound, t0, t1;
	bool right, inval, can_fail_buf = false, tracked = false;
	uint64_t id = 0;
	int slot, fd, e, bplace = P_NORMAL;
	size_t len;
	long ret;

	memset(&s, 0, sizeof(s));
	fd = mbox_target_for(&slot, &h, &right, KMBOX_ACCESS_SEND);
	s.flags = pick_mode(&timeout, &bound, &inval);
	s.timeout_ns = timeout;
	if (pct(20))
		s.flags |= KMBOX_SEND_SYNC;
	if (pml(10)) {
		s.__reserved0 = rnd() | 1;
		inval = true;
	}
	if (pml(10)) {
		s.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	len = pick_len(right ? h.max_msg_size : 4096);
	if (pml(40)) {
		bplace = 1 + below(P_N - 1);
		if (bplace == P_FLIP && len > PAGE)
			bplace = P_NORMAL;
		if (bplace == P_RO && len > RO_NAME_OFF)
			bplace = P_NORMAL;
	}
	switch (bplace) {
	case P_NORMAL:
		id = fill(sbuf, len, h.id);
		s.buf = (uintptr_t)sbuf;
		break;
	case P_FLIP:
		id = fill(rwv + tidx * FLIP_WIN, len, h.id);
		s.buf = (uintptr_t)(flv + tidx * FLIP_WIN);
		can_fail_buf = true;
		break;
	case P_RO:
		s.buf = (uintptr_t)(g_ro + below(RO_NAME_OFF - len + 1));
		break;
	case P_STRADDLE:
		if (len) {
			size_t k = below(len < PAGE ? len : PAGE);

			memset(strad + PAGE - k, JUNK, k);
			s.buf = (uintptr_t)(strad + PAGE - k);
			can_fail_buf = true;
		}
		break;
	default:
		s.buf = (uintptr_t)bad_addr(bplace);
		can_fail_buf = len > 0;
		break;
	}
	s.len = len;
	if (pml(10)) {
		static const uint64_t huge[] = {
			1ULL << 40, UINT64_MAX, 1ULL << 63, (64U << 20) + 1, UINT32_MAX + 1ULL };
		s.len = huge[below(ARRAY_SIZE(huge))];
		id = 0;
	}
	if (id) {
		atomic_fetch_or(&track[id], T_ATTEMPT);
		tracked = true;
	}
	mkarg(&a, KMBOX_IOC_SEND, &s, sizeof(s), KMBOX_SEND_SIZE_VER0, right, pct(8));
	if (a.place == P_FLIP)
		bound = 0;	/* may be anything once the kernel cannot read flags */
	call_begin(OP_SEND, a.ok ? bound : 0,
		   "SEND fd %d mbox %" PRIu64 " cap %llu flags %#x timeout %lld len %llu buf %s, %s",
		   fd, h.id, (unsigned long long)h.capacity, s.flags,
		   (long long)s.timeout_ns, (unsigned long long)s.len,
		   place_name[bplace], a.desc);
	t0 = now_ns();
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	t1 = now_ns();
	call_end();
	track_send(tracked ? id : 0, ret < 0 ? (e ? e : EIO) : 0);
	check_errno(OP_SEND, e, "SEND");
	/* A handle closed meanwhile may have sent it to the placeholder. */
	if (right && !h_same(slot, &h))
		goto out;
	if (check_dispatch(&a, ret, e, "SEND") || !a.ok || !right)
		goto out;
	if (!(h.access & KMBOX_ACCESS_SEND)) {
		if (e != EBADF)
			violation(C_VALID, "SEND on a receive-only handle: %s, expected EBADF",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (inval) {
		if (e != EINVAL)
			violation(C_VALID, "SEND flags %#x timeout %lld reserved %#x/%#llx/%#llx: %s, expected EINVAL",
				  s.flags, (long long)s.timeout_ns, s.__reserved0,
				  (unsigned long long)s.__reserved[0],
				  (unsigned long long)s.__reserved[1],
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (s.len > (64U << 20)) {
		if (e != EMSGSIZE)
			violation(C_VALID, "SEND of %llu bytes: %s, expected EMSGSIZE",
				  (unsigned long long)s.len, ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (ret >= 0 && s.len > h.max_msg_size)
		violation(C_VALID, "SEND of %llu bytes to a mailbox of max_msg_size %u succeeded",
			  (unsigned long long)s.len, h.max_msg_size);
	if (ret >= 0 && can_fail_buf && bplace != P_FLIP)
		violation(C_VALID, "SEND from a %s buffer of %llu bytes succeeded",
			  place_name[bplace], (unsigned long long)s.len);
	if (ret > 0)
		violation(C_VALID, "SEND returned %ld", ret);
	if (e == EMSGSIZE && s.len <= h.max_msg_size)
		violation(C_VALID, "SEND of %llu bytes, max_msg_size %u: EMSGSIZE",
			  (unsigned long long)s.len, h.max_msg_size);
	check_timeout("SEND", e, s.flags, s.timeout_ns, t0, t1);
out:
	h_done(slot, &h, e);
}

static void op_recv(void)
{
	struct kmbox_recv r, rb;
	struct handle h;
	struct iarg a;
	int64_t timeout, bound, t0, t1;
	bool right, inval, peek;
	int slot, fd, e, bplace = P_NORMAL;
	const uint8_t *data = NULL;
	size_t writable = 0;
	long ret;

	memset(&r, 0, sizeof(r));
	fd = mbox_target_for(&slot, &h, &right, KMBOX_ACCESS_RECV);
	r.flags = pick_mode(&timeout, &bound, &inval);
	r.timeout_ns = timeout;
	if (pct(15))
		r.flags |= KMBOX_RECV_PEEK;
	/* pick_mode()'s random bit may have set it too */
	peek = r.flags & KMBOX_RECV_PEEK;
	if (pml(10)) {
		r.__reserved0 = rnd() | 1;
		inval = true;
	}
	if (pml(10)) {
		r.__reserved1 = rnd() | 1;
		inval = true;
	}
	if (pml(10)) {
		r.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	if (pml(10))
		r.pid = rnd(), r.uid = rnd(), r.gid = rnd();	/* out fields */
	if (pct(60))
		r.len = right ? h.max_msg_size : bufsz - 2 * PAGE;
	else if (pct(40))
		r.len = bufsz - 2 * PAGE;
	else if (pct(70))
		r.len = below(65);
	else
		r.len = pct(50) ? UINT64_MAX : 1ULL << 40;
	if (r.len > bufsz - 2 * PAGE && r.len < (64U << 20))
		r.len = bufsz - 2 * PAGE;
	if (pml(80)) {
		bplace = 1 + below(P_N - 1);
		if (bplace == P_FLIP && r.len > PAGE)
			r.len = PAGE;
	}
	switch (bplace) {
	case P_NORMAL:
		r.buf = (uintptr_t)rbuf;
		data = rbuf;
		writable = SIZE_MAX;
		break;
	case P_FLIP:
		r.buf = (uintptr_t)(flv + tidx * FLIP_WIN);
		data = rwv + tidx * FLIP_WIN;
		writable = SIZE_MAX;
		break;
	case P_RO:
		r.buf = (uintptr_t)g_ro;
		break;
	case P_STRADDLE:
		writable = below(PAGE);
		r.buf = (uintptr_t)(strad + PAGE - writable);
		data = strad + PAGE - writable;
		break;
	default:
		r.buf = (uintptr_t)bad_addr(bplace);
		break;
	}
	mkarg(&a, KMBOX_IOC_RECV, &r, sizeof(r), KMBOX_RECV_SIZE_VER0, right, pct(8));
	if (a.place == P_FLIP)
		bound = 0;
	call_begin(OP_RECV, a.ok ? bound : 0,
		   "RECV fd %d mbox %" PRIu64 " cap %llu flags %#x timeout %lld len %llu buf %s, %s",
		   fd, h.id, (unsigned long long)h.capacity, r.flags,
		   (long long)r.timeout_ns, (unsigned long long)r.len,
		   place_name[bplace], a.desc);
	t0 = now_ns();
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	t1 = now_ns();
	call_end();
	check_errno(OP_RECV, e, "RECV");
	if (right && !h_same(slot, &h)) {
		/* It may have gone to the placeholder; a message still counts. */
		if (ret > 0 && !peek && data && (size_t)ret <= writable) {
			struct hdr hd;

			track_recv(verify(data, ret, 0, "RECV", &hd), "RECV");
		}
		goto out;
	}
	if (check_dispatch(&a, ret, e, "RECV"))
		goto out;
	if (!right) {
		if (ret >= 0)
			violation(C_DISPATCH, "RECV on the control device returned %ld", ret);
		goto out;
	}
	if (a.ok && !(h.access & KMBOX_ACCESS_RECV)) {
		if (e != EBADF)
			violation(C_VALID, "RECV on a send-only handle: %s, expected EBADF",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (a.ok && inval) {
		if (e != EINVAL)
			violation(C_VALID, "RECV flags %#x timeout %lld reserved: %s, expected EINVAL",
				  r.flags, (long long)r.timeout_ns, ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (a.ok)
		check_timeout("RECV", e, r.flags, r.timeout_ns, t0, t1);
	if (e == EINTR && (r.flags & 7) == KMBOX_MSG_NONBLOCK && a.ok)
		violation(C_VALID, "RECV with KMBOX_MSG_NONBLOCK: EINTR");
	memset(&rb, 0, sizeof(rb));
	if (a.rb && a.size >= sizeof(rb))
		memcpy(&rb, a.rb, sizeof(rb));
	if (e == EMSGSIZE && a.ok) {
		if (rb.len <= r.len && r.len < (64U << 20))
			violation(C_VALID, "RECV into %llu bytes: EMSGSIZE reporting len %llu",
				  (unsigned long long)r.len, (unsigned long long)rb.len);
		if (rb.len > h.max_msg_size)
			violation(C_VALID, "RECV: EMSGSIZE reports %llu bytes, max_msg_size %u",
				  (unsigned long long)rb.len, h.max_msg_size);
	}
	if (ret < 0)
		goto out;
	if ((uint64_t)ret > r.len || (uint64_t)ret > h.max_msg_size)
		violation(C_VALID, "RECV into %llu bytes from a mailbox of max_msg_size %u returned %ld",
			  (unsigned long long)r.len, h.max_msg_size, ret);
	if ((size_t)ret > writable) {
		if (a.ok || a.place == P_FLIP)
			violation(C_VALID, "RECV of %ld bytes into a %s buffer (%zu writable) succeeded",
				  ret, place_name[bplace], writable);
		goto out;
	}
	if (a.ok && rb.len != (uint64_t)ret)
		violation(C_VALID, "RECV returned %ld, struct says len %llu",
			  ret, (unsigned long long)rb.len);
	if (ret > 0 && data) {
		struct hdr hd;
		int64_t id = verify(data, ret, h.id, peek ? "RECV peek" : "RECV", &hd);

		if (a.ok && hd.magic && (rb.uid != hd.uid ||
		    (rb.pid != (int32_t)hd.pid && rb.pid != 0)))
			violation(C_PAYLOAD, "RECV: message from pid %u uid %u reported as pid %d uid %u",
				  hd.pid, hd.uid, rb.pid, rb.uid);
		if (!peek)
			track_recv(id, "RECV");
		stat_add(ST_BYTES, ret);
	} else if (!peek) {
		track_recv(0, "RECV");
	}
out:
	h_done(slot, &h, e);
}

static void op_info(void)
{
	struct kmbox_info in, i;
	struct handle h;
	struct iarg a;
	bool right, inval = false, locked = false;
	int slot, fd, e;
	long ret;

	memset(&in, 0, sizeof(in));
	if (pml(20)) {
		in.flags = 1U << below(32);
		inval = true;
	}
	if (pml(20)) {
		in.__reserved0 = rnd() | 1;
		inval = true;
	}
	if (pml(20)) {
		in.__reserved[below(4)] = rnd() | 1;
		inval = true;
	}
	if (pml(20))
		memset(in.name, 'n', sizeof(in.name));	/* out field */
	fd = mbox_target(&slot, &h, &right);
	mkarg(&a, KMBOX_IOC_INFO, &in, sizeof(in), KMBOX_INFO_SIZE_VER0, right, pct(10));
	if (a.ok && right && !inval) {
		hl();	/* so that the monotonic checks see INFOs in order */
		locked = true;
		if (H[slot].gen != h.gen || H[slot].state != H_LIVE) {
			hu();
			locked = false;
		}
	}
	call_begin(OP_INFO, slack_ns(), "INFO fd %d, %s", fd, a.desc);
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	call_end();
	check_errno(OP_INFO, e, "INFO");
	if (right && !locked && !h_same(slot, &h))
		goto out;
	if (check_dispatch(&a, ret, e, "INFO") || !a.ok || !right)
		goto out;
	if (inval) {
		if (e != EINVAL && h_same(slot, &h))
			violation(C_VALID, "INFO with flags %#x reserved0 %#x: %s, expected EINVAL",
				  in.flags, in.__reserved0, ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (!locked)
		goto out;
	if (ret) {
		violation(C_INFO, "INFO: %s", ename(e));
		goto out;
	}
	memcpy(&i, a.rb, sizeof(i));
	if (i.flags || i.access != h.access || i.id != h.id ||
	    i.capacity != h.capacity || i.max_msg_size != h.max_msg_size ||
	    i.mode & ~0777U || i.__reserved0 || i.__reserved[0] ||
	    i.__reserved[1] || i.__reserved[2] || i.__reserved[3])
		violation(C_INFO, "INFO: flags %u access %#x/%#x id %llu/%llu capacity %llu/%llu size %u/%u mode %o",
			  i.flags, i.access, h.access, (unsigned long long)i.id,
			  (unsigned long long)h.id, (unsigned long long)i.capacity,
			  (unsigned long long)h.capacity, i.max_msg_size,
			  h.max_msg_size, i.mode);
	if (i.state > KMBOX_STATE_DESTROYED || i.state < H[slot].state_seen ||
	    i.received < H[slot].received_seen || i.dropped < H[slot].dropped_seen)
		violation(C_INFO, "INFO went back: state %u after %u, received %llu after %llu, dropped %llu after %llu",
			  i.state, H[slot].state_seen, (unsigned long long)i.received,
			  (unsigned long long)H[slot].received_seen,
			  (unsigned long long)i.dropped,
			  (unsigned long long)H[slot].dropped_seen);
	H[slot].state_seen = i.state;
	H[slot].received_seen = i.received;
	H[slot].dropped_seen = i.dropped;
	if (!memchr(i.name, 0, sizeof(i.name)) ||
	    (i.name[0] && h.name != -2 && (h.name < 0 || strcmp(i.name, S->names[h.name]))))
		violation(C_INFO, "INFO: name \"%.40s\" for a handle %s%s", i.name,
			  h.name < 0 ? "of an anonymous mailbox" : "opened as ",
			  h.name < 0 ? "" : S->names[h.name]);
	if (i.state == KMBOX_STATE_DESTROYED && (i.msgs || i.bytes || i.name[0]))
		violation(C_INFO, "INFO: destroyed, yet msgs %llu bytes %llu name \"%.40s\"",
			  (unsigned long long)i.msgs, (unsigned long long)i.bytes, i.name);
	if ((!i.msgs && i.bytes) || i.bytes > i.msgs * (uint64_t)i.max_msg_size)
		violation(C_INFO, "INFO: %llu bytes in %llu messages of at most %u",
			  (unsigned long long)i.bytes, (unsigned long long)i.msgs, i.max_msg_size);
	if (i.sent < i.received + i.dropped + i.msgs ||
	    i.sent - (i.received + i.dropped + i.msgs) > MAX_TASKS)
		violation(C_INFO, "INFO: sent %llu, received %llu + dropped %llu + queued %llu",
			  (unsigned long long)i.sent, (unsigned long long)i.received,
			  (unsigned long long)i.dropped, (unsigned long long)i.msgs);
	if (i.capacity && i.capacity != KMBOX_CAPACITY_UNBOUNDED) {
		if (i.msgs > i.capacity + MAX_TASKS)
			violation(C_INFO, "INFO: %llu messages queued, capacity %llu",
				  (unsigned long long)i.msgs, (unsigned long long)i.capacity);
		if (i.msgs > i.capacity)
			stat_max(ST_OVERCAP, i.msgs - i.capacity);
	}
	if (i.senders_waiting + (uint64_t)i.receivers_waiting > MAX_TASKS)
		violation(C_INFO, "INFO: %u senders and %u receivers waiting",
			  i.senders_waiting, i.receivers_waiting);
out:
	if (locked)
		hu();
	h_put(slot);
}

/*
 * After CLOSE or DESTROY returned 0: INFO must say so, and a non-blocking
 * SEND (and after DESTROY a RECV) must fail.  Reported only if slot still
 * is that handle afterwards (another thread may close it meanwhile).
 */
static void after_end(int slot, int fd, const struct handle *h, bool destroyed)
{
	struct kmbox_send s = { .flags = KMBOX_MSG_NONBLOCK };
	struct kmbox_recv r = { .flags = KMBOX_MSG_NONBLOCK };
	const char *what = destroyed ? "DESTROY" : "CLOSE";
	char msg[3][160] = { "", "", "" };
	struct kmbox_info i;
	int e, k;

	e = do_info(fd, &i);
	if (e || i.state < (destroyed ? KMBOX_STATE_DESTROYED : KMBOX_STATE_CLOSED))
		snprintf(msg[0], sizeof(msg[0]), "%s returned 0, then INFO: %s state %u",
			 what, ename(e), i.state);
	else if (destroyed && (i.msgs || i.name[0]))
		snprintf(msg[0], sizeof(msg[0]), "DESTROY returned 0, then INFO: msgs %llu name \"%.40s\"",
			 (unsigned long long)i.msgs, i.name);
	if (h->access & KMBOX_ACCESS_SEND) {
		e = ioctl(fd, KMBOX_IOC_SEND, &s) ? errno : 0;
		if (e != EIDRM && (destroyed || e != EPIPE))
			snprintf(msg[1], sizeof(msg[1]), "%s returned 0, then SEND: %s", what, ename(e));
	}
	if (destroyed && (h->access & KMBOX_ACCESS_RECV)) {
		e = ioctl(fd, KMBOX_IOC_RECV, &r) ? errno : 0;
		if (e != EIDRM)
			snprintf(msg[2], sizeof(msg[2]), "DESTROY returned 0, then RECV: %s", ename(e));
	}
	if (!h_same(slot, h))
		return;
	for (k = 0; k < 3; k++)
		if (msg[k][0])
			violation(C_VALID, "%s", msg[k]);
}

static void op_close_destroy(int op)
{
	bool destroy = op == OP_DESTROY, right, mangled = false;
	unsigned long cmd = destroy ? KMBOX_IOC_DESTROY : KMBOX_IOC_CLOSE;
	unsigned long arg = 0;
	struct handle h;
	int slot, fd, e;
	long ret;

	fd = mbox_target(&slot, &h, &right);
	if (pml(30))
		arg = pct(50) ? 1 + below(1000) : (unsigned long)rnd() | 1;
	if (pml(20)) {
		cmd = _IOC(_IOC_READ | _IOC_WRITE, KMBOX_IOC_MAGIC, _IOC_NR(cmd), 8 * (1 + below(8)));
		mangled = true;
	}
	call_begin(op, slack_ns(), "%s fd %d arg %#lx%s", op_name[op], fd, arg,
		   mangled ? " mangled" : "");
	ret = ioctl(fd, cmd, arg);
	e = ret < 0 ? errno : 0;
	call_end();
	check_errno(op, e, op_name[op]);
	if (!right || mangled) {
		if (e != ENOTTY)
			violation(C_DISPATCH, "%s %son the %s: %s, expected ENOTTY", op_name[op],
				  mangled ? "(mangled) " : "", right ? "handle" : "control device",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (!h_same(slot, &h))
		goto out;
	if (arg) {
		if (e != EINVAL)
			violation(C_VALID, "%s with argument %#lx: %s, expected EINVAL",
				  op_name[op], arg, ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (!destroy && !(h.access & KMBOX_ACCESS_SEND)) {
		if (e != EBADF)
			violation(C_VALID, "CLOSE on a receive-only handle: %s, expected EBADF",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (e == EACCES) {
		if (myuid == 0 || h.uid == myuid)
			violation(C_VALID, "DESTROY by %s (uid %u, owner %u): EACCES",
				  myuid ? "the owner" : "root", myuid, h.uid);
		goto out;
	}
	if (e == EPIPE && !destroy) {
		struct kmbox_info i;

		/* Closed already; a mailbox never opens again. */
		if (!do_info(fd, &i) && i.state < KMBOX_STATE_CLOSED && h_same(slot, &h))
			violation(C_VALID, "CLOSE: EPIPE, then INFO: state %u", i.state);
		goto out;
	}
	if (!ret)
		after_end(slot, fd, &h, destroy);
out:
	h_done(slot, &h, e);
}

/*
 * Administration by id on the control device: STAT_ID of a handle's
 * mailbox (or of none), LIST (ascending ids above the cursor, at most as
 * many as asked), DESTROY_ID of a handle's mailbox now and then.
 */
static void op_admin(void)
{
	static __thread uint64_t ids[80];
	union {
		struct kmbox_info i;
		struct kmbox_list l;
		struct kmbox_destroy_id d;
	} u;
	int kind = below(100), slot, fd, e, hs;
	bool right, inval = false, badids = false;
	struct handle h, hh;
	struct iarg a;
	uint32_t k;
	long ret;

	memset(&u, 0, sizeof(u));
	/* The mailbox asked about: a handle's, pinned, or one that is none. */
	hs = h_get(&hh);
	if (kind < 45) {
		u.i.id = hs >= 0 && pct(90) ? hh.id : pct(50) ? 0 : ~0ULL - below(100);
		if (pml(20)) {
			u.i.flags = 1U << below(32);
			inval = true;
		}
		if (pml(20)) {
			u.i.__reserved[below(4)] = rnd() | 1;
			inval = true;
		}
	} else if (kind < 90) {
		u.l.count = below(ARRAY_SIZE(ids) + 1);
		u.l.cursor = pct(60) ? 0 : hs >= 0 && pct(70) ? hh.id : rnd();
		u.l.ids = (uintptr_t)ids;
		if (pml(50)) {
			u.l.ids = (uintptr_t)bad_addr(P_NONE + below(4));
			badids = true;
		}
		if (pml(20)) {
			u.l.flags = 1U << below(32);
			inval = true;
		}
		if (pml(20)) {
			u.l.__reserved[below(2)] = rnd() | 1;
			inval = true;
		}
	} else {
		u.d.id = hs >= 0 && pct(80) ? hh.id : ~0ULL - below(100);
		if (pml(20)) {
			u.d.flags = 1U << below(32);
			inval = true;
		}
	}
	fd = ctl_target(&slot, &h, &right);
	if (kind < 45)
		mkarg(&a, KMBOX_IOC_STAT_ID, &u.i, sizeof(u.i), KMBOX_INFO_SIZE_VER0, right, pct(10));
	else if (kind < 90)
		mkarg(&a, KMBOX_IOC_LIST, &u.l, sizeof(u.l), KMBOX_LIST_SIZE_VER0, right, pct(10));
	else
		mkarg(&a, KMBOX_IOC_DESTROY_ID, &u.d, sizeof(u.d), KMBOX_DESTROY_ID_SIZE_VER0,
		      right, pct(10));
	call_begin(OP_ADMIN, slack_ns(), "%s %s",
		   kind < 45 ? "STAT_ID" : kind < 90 ? "LIST" : "DESTROY_ID", a.desc);
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	call_end();
	if (ctl_raced(slot, &h))
		goto out;
	check_errno(OP_ADMIN, e, "STAT_ID/LIST/DESTROY_ID");
	if (check_dispatch(&a, ret, e, "STAT_ID/LIST/DESTROY_ID") || !a.ok)
		goto out;
	if (inval) {
		if (e != EINVAL)
			violation(C_VALID, "%s with a flag or reserved field set: %s, expected EINVAL",
				  kind < 45 ? "STAT_ID" : kind < 90 ? "LIST" : "DESTROY_ID",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (kind < 45) {
		struct kmbox_info i;

		if (ret)
			goto out;
		memcpy(&i, a.rb, sizeof(i));
		if (i.id != u.i.id || i.access || i.nsenders > KMBOX_INFO_PIDS ||
		    i.nreceivers > KMBOX_INFO_PIDS || i.nsenders > i.senders_waiting ||
		    i.nreceivers > i.receivers_waiting || !memchr(i.name, 0, sizeof(i.name)))
			violation(C_INFO, "STAT_ID %llu: id %llu access %#x, %u of %u sender pids, %u of %u receiver pids",
				  (unsigned long long)u.i.id, (unsigned long long)i.id, i.access,
				  i.nsenders, i.senders_waiting, i.nreceivers, i.receivers_waiting);
	} else if (kind < 90) {
		if (ret < 0) {
			if (e != EFAULT || !badids)
				violation(C_VALID, "LIST of %u: %s", u.l.count, ename(e));
			goto out;
		}
		if ((uint64_t)ret > u.l.count || (badids && ret > 0))
			violation(C_VALID, "LIST of %u into %s: %ld", u.l.count,
				  badids ? "a bad pointer" : "an array", ret);
		for (k = 0; k < (uint32_t)ret && !badids && k < ARRAY_SIZE(ids); k++)
			if (ids[k] <= (k ? ids[k - 1] : u.l.cursor))
				violation(C_VALID, "LIST above %llu: id %llu after %llu",
					  (unsigned long long)u.l.cursor,
					  (unsigned long long)ids[k],
					  (unsigned long long)(k ? ids[k - 1] : u.l.cursor));
	} else if (e == EACCES && hs >= 0 && u.d.id == hh.id &&
		   (myuid == 0 || hh.uid == myuid)) {
		violation(C_VALID, "DESTROY_ID by %s (uid %u, owner %u): EACCES",
			  myuid ? "the owner" : "root", myuid, hh.uid);
	} else if (!ret && hs >= 0 && u.d.id == hh.id && h_same(hs, &hh)) {
		after_end(hs, hh.fd, &hh, true);
	}
out:
	h_put(slot);
	if (hs >= 0)
		h_done(hs, &hh, 0);
}

/* ---- read/write/poll --------------------------------------------------- */

static void op_read(void)
{
	struct iovec iov[8];
	struct handle h;
	bool right, bad = false, badbase = false;
	int slot, fd, e, n = 1, k;
	size_t len, total = 0;
	int64_t bound;
	ssize_t ret;

	fd = mbox_target_for(&slot, &h, &right, KMBOX_ACCESS_RECV);
	if (pct(60))
		len = right ? h.max_msg_size : 4096;
	else
		len = below(97);
	if (len > bufsz - 2 * PAGE)
		len = bufsz - 2 * PAGE;
	bound = right && h.nonblock ? slack_ns() : 0;
	if (pct(40)) {
		/* readv: the buffers of one call, in order, are one message */
		n = 1 + below(8);
		for (k = 0; k < n; k++) {
			size_t part = k == n - 1 ? len - total : below(len - total + 1);

			iov[k].iov_base = rbuf + total;
			iov[k].iov_len = part;
			total += part;
		}
		if (pml(50)) {
			k = below(n);
			iov[k].iov_base = bad_addr(P_NONE + below(4));
			bad = iov[k].iov_len > 0;
			badbase = true;
		}
		call_begin(OP_READ, bound, "readv fd %d %d buffers %zu bytes%s", fd, n, len,
			   bad ? ", one bad" : "");
		ret = readv(fd, iov, n);
	} else {
		void *p = rbuf;

		if (pml(50)) {
			p = bad_addr(P_NONE + below(4));
			bad = len > 0;
		}
		call_begin(OP_READ, bound, "read fd %d %zu bytes%s", fd, len, bad ? " bad buffer" : "");
		ret = read(fd, p, len);
	}
	e = ret < 0 ? errno : 0;
	call_end();
	check_errno(OP_READ, e, "read");
	if (!right) {
		/* readv() checks its buffers (even empty ones) before the file */
		if (e != EINVAL && !(badbase && e == EFAULT))
			violation(C_DISPATCH, "read on the control device: %s, expected EINVAL",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (ret < 0)
		goto out;
	if ((size_t)ret > len)
		violation(C_VALID, "read of %zu bytes returned %zd", len, ret);
	if (bad && ret > 0) {
		/* only fine if the message fitted before the bad buffer */
		size_t good = 0;

		for (k = 0; k < n && iov[k].iov_base >= (void *)rbuf &&
		     iov[k].iov_base < (void *)(rbuf + bufsz); k++)
			good += iov[k].iov_len;
		if (n == 1 || (size_t)ret > good) {
			violation(C_VALID, "read of %zd bytes into a bad buffer succeeded", ret);
			goto out;
		}
	}
	if (ret > 0 && ret <= (ssize_t)len) {
		struct hdr hd;

		track_recv(verify(rbuf, ret, h_same(slot, &h) ? h.id : 0, "read", &hd), "read");
		stat_add(ST_BYTES, ret);
	} else {
		track_recv(0, "read");
	}
out:
	h_done(slot, &h, e);
}

static void op_write(void)
{
	struct iovec iov[8];
	struct handle h;
	bool right, bad = false, badbase = false, tracked = false;
	int slot, fd, e, n = 1, k;
	size_t len, total = 0;
	uint64_t id;
	int64_t bound;
	ssize_t ret;

	fd = mbox_target_for(&slot, &h, &right, KMBOX_ACCESS_SEND);
	len = pick_len(right ? h.max_msg_size : 4096);
	id = fill(sbuf, len, h.id);
	bound = right && h.nonblock ? slack_ns() : 0;
	if (pct(40)) {
		n = 1 + below(8);
		for (k = 0; k < n; k++) {
			size_t part = k == n - 1 ? len - total : below(len - total + 1);

			iov[k].iov_base = sbuf + total;
			iov[k].iov_len = part;
			total += part;
		}
		if (pml(50)) {
			k = below(n);
			iov[k].iov_base = bad_addr(P_NONE + below(4));
			bad = iov[k].iov_len > 0;
			badbase = true;
		}
	} else {
		iov[0].iov_base = sbuf;
		iov[0].iov_len = len;
		if (pml(50)) {
			iov[0].iov_base = bad_addr(P_NONE + below(4));
			bad = len > 0;
			badbase = true;
		}
	}
	if (bad)
		id = 0;
	if (id) {
		atomic_fetch_or(&track[id], T_ATTEMPT);
		tracked = true;
	}
	call_begin(OP_WRITE, bound, "%s fd %d %d buffers %zu bytes%s", n > 1 ? "writev" : "write",
		   fd, n, len, bad ? ", one bad" : "");
	if (n > 1 || pct(20))
		ret = writev(fd, iov, n);
	else
		ret = write(fd, iov[0].iov_base, len);
	e = ret < 0 ? errno : 0;
	call_end();
	track_send(tracked ? id : 0, ret < 0 ? e : 0);
	check_errno(OP_WRITE, e, "write");
	if (!right) {
		if (e != EINVAL && !(badbase && e == EFAULT))
			violation(C_DISPATCH, "write on the control device: %s, expected EINVAL",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (ret >= 0 && (size_t)ret != len)
		violation(C_VALID, "write of %zu bytes returned %zd", len, ret);
	if (ret >= 0 && bad)
		violation(C_VALID, "write from a bad buffer of %zu bytes succeeded", len);
	if (ret >= 0 && h_same(slot, &h) && len > h.max_msg_size)
		violation(C_VALID, "write of %zu bytes to a mailbox of max_msg_size %u succeeded",
			  len, h.max_msg_size);
out:
	h_done(slot, &h, e);
}

static bool check_revents(short revents, short events, const struct handle *h,
			  const char *what)
{
	short allowed = events | POLLERR | POLLHUP;
	short kmbox = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR | POLLHUP;

	if ((revents & ~allowed) || (revents & ~kmbox) ||
	    ((revents & (POLLIN | POLLRDNORM)) && !(h->access & KMBOX_ACCESS_RECV)) ||
	    ((revents & (POLLOUT | POLLWRNORM)) && !(h->access & KMBOX_ACCESS_SEND)) ||
	    ((revents & POLLERR) && (revents & ~POLLERR)) ||
	    /* closed: POLLOUT (a send fails at once) goes with POLLHUP */
	    ((revents & POLLHUP) && (revents & (POLLIN | POLLRDNORM)))) {
		violation(C_POLL, "%s: revents %#x for events %#x on a handle of access %#x",
			  what, (unsigned short)revents, (unsigned short)events, h->access);
		return false;
	}
	return true;
}

static short pick_events(void)
{
	static const short all[] = {
		POLLIN, POLLOUT, POLLPRI, POLLRDNORM, POLLWRNORM, POLLRDHUP,
		POLLRDBAND, POLLWRBAND };
	short ev = 0;
	size_t i;

	if (pct(70))
		return POLLIN | POLLOUT;
	for (i = 0; i < ARRAY_SIZE(all); i++)
		if (pct(40))
			ev |= all[i];
	return ev;
}

static void op_poll(void)
{
	struct pollfd pfd[5];
	struct handle h[5];
	int slot[5], n = 1 + below(4), k, timeout, e;
	int64_t bound;
	int ret;

	for (k = 0; k < n; k++) {
		slot[k] = h_get(&h[k]);
		pfd[k].fd = slot[k] >= 0 ? h[k].fd : pct(50) ? ctl : -1;
		pfd[k].events = pick_events();
		pfd[k].revents = 0;
	}
	timeout = pct(40) ? 0 : pct(85) ? (int)range(1, 20) : -1;
	bound = timeout < 0 ? 0 : timeout * MS + slack_ns();
	call_begin(OP_POLL, bound, "poll %d fds timeout %d ms", n, timeout);
	ret = poll(pfd, n, timeout);
	e = ret < 0 ? errno : 0;
	call_end();
	check_errno(OP_POLL, e, "poll");
	for (k = 0; k < n; k++) {
		if (ret > 0 && slot[k] >= 0 && h_same(slot[k], &h[k]))
			check_revents(pfd[k].revents, pfd[k].events, &h[k], "poll");
		h_put(slot[k]);
	}
}

static void op_epoll(void)
{
	struct epoll_event ev[8];
	struct handle h;
	int slot, r = below(100), e, k, ret, timeout;

	if (epfd < 0)
		return;
	if (r < 40) {
		slot = h_get(&h);
		if (slot < 0)
			return;
		ev[0].events = EPOLLIN | EPOLLOUT;
		if (pct(30))
			ev[0].events |= EPOLLET;
		if (pct(10))
			ev[0].events |= EPOLLONESHOT;
		ev[0].data.u64 = h.access;
		call_begin(OP_EPOLL, slack_ns(), "epoll_ctl ADD fd %d", h.fd);
		ret = epoll_ctl(epfd, EPOLL_CTL_ADD, h.fd, &ev[0]);
		e = ret < 0 ? errno : 0;
		call_end();
		h_put(slot);
		check_errno(OP_EPOLL, e, "epoll_ctl ADD");
	} else if (r < 60) {
		slot = h_get(&h);
		if (slot < 0)
			return;
		call_begin(OP_EPOLL, slack_ns(), "epoll_ctl DEL fd %d", h.fd);
		ret = epoll_ctl(epfd, EPOLL_CTL_DEL, h.fd, NULL);
		e = ret < 0 ? errno : 0;
		call_end();
		h_put(slot);
		check_errno(OP_EPOLL, e, "epoll_ctl DEL");
	} else {
		timeout = pct(50) ? 0 : (int)below(10);
		call_begin(OP_EPOLL, timeout * MS + slack_ns(), "epoll_wait %d ms", timeout);
		ret = epoll_wait(epfd, ev, ARRAY_SIZE(ev), timeout);
		e = ret < 0 ? errno : 0;
		call_end();
		check_errno(OP_EPOLL, e, "epoll_wait");
		for (k = 0; k < ret; k++) {
			/* the handle may be another one by now: only the bits */
			if ((ev[k].events & ~(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP |
					      EPOLLRDNORM | EPOLLWRNORM)) ||
			    ((ev[k].events & EPOLLERR) && (ev[k].events & ~EPOLLERR)))
				violation(C_POLL, "epoll_wait: events %#x", ev[k].events);
		}
	}
}

static void op_dup(void)
{
	struct handle h;
	int slot, ns, fd, e;

	ns = h_reserve();
	if (ns < 0)
		return;
	slot = h_get(&h);
	if (slot < 0) {
		h_unreserve(ns);
		return;
	}
	fd = pct(50) ? dup(h.fd) : fcntl(h.fd, F_DUPFD_CLOEXEC, 0);
	e = fd < 0 ? errno : 0;
	check_errno(OP_DUP, e, "dup");
	/* Unless it raced with a close, the copy is the same handle. */
	if (fd >= 0 && h_same(slot, &h)) {
		h.fd = fd;
		h_install(ns, &h);
	} else {
		if (fd >= 0)
			close(fd);
		h_unreserve(ns);
	}
	h_put(slot);
}

/* A random ioctl: any command number, size and content, on either kind. */
static void op_raw(void)
{
	static __thread uint8_t junk[_IOC_SIZEMASK + 1];
	struct handle h;
	unsigned int dir, type, nr, size;
	int slot = -1, fd = ctl, e;
	void *arg;
	long ret;

	if (pct(60)) {
		slot = h_get(&h);
		if (slot >= 0)
			fd = h.fd;
	}
	static const unsigned int nrs[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
					    0x10, 0x11, 0x12, 0x13, 0x14 };

	dir = pct(60) ? _IOC_READ | _IOC_WRITE : below(4);
	type = pct(85) ? KMBOX_IOC_MAGIC : (unsigned int)(pct(50) ? 'x' : 0xb0 + below(16));
	if (type == KMBOX_IOC_MAGIC - 4)	/* 0xb4: keep clear of other drivers' magic */
		type = 'x';
	nr = pct(70) ? nrs[below(ARRAY_SIZE(nrs))] : pct(80) ? below(0x20) : below(256);
	if (pct(70))	/* mostly a command of the descriptor's kind */
		nr = fd == ctl ? below(7) : 0x10 + below(5);
	size = pct(40) ? 40 + 8 * below(44) : pct(70) ? below(512) : below(_IOC_SIZEMASK + 1);
	if (pct(50)) {
		size_t i;

		for (i = 0; i < size; i += 8) {
			uint64_t v = pct(50) ? rnd() : rnd() & 0xff;

			memcpy(junk + i, &v, size - i < 8 ? size - i : 8);
		}
		arg = junk;
	} else if (pct(60)) {
		memset(junk, 0, size);
		arg = junk;
	} else {
		arg = bad_addr(P_NONE + below(4));
	}
	/* A blocking call made of zeros may wait: the watchdog kicks it. */
	call_begin(OP_RAW, 0, "ioctl fd %d cmd %#x", fd, _IOC(dir, type, nr, size));
	ret = ioctl(fd, _IOC(dir, type, nr, size), arg);
	e = ret < 0 ? errno : 0;
	call_end();
	check_errno(OP_RAW, e, "random ioctl");
	if (ret > 0 && fd == ctl && type == KMBOX_IOC_MAGIC &&
	    (nr == _IOC_NR(KMBOX_IOC_CREATE) || nr == _IOC_NR(KMBOX_IOC_OPEN)))
		close(ret);
	else if (ret > 0 && fd == ctl && type == KMBOX_IOC_MAGIC &&
		 nr == _IOC_NR(KMBOX_IOC_LIST))
		;	/* a count of ids */
	else if (ret > 0 && fd == ctl)
		violation(C_DISPATCH, "ioctl %#x on the control device returned %ld",
			  _IOC(dir, type, nr, size), ret);
	h_put(slot);
}

static void op_unload(void)
{
	int e;

	stat_add(ST_UNLOADS, 1);
	call_begin(OP_UNLOAD, slack_ns(), "delete_module kmbox");
	e = syscall(SYS_delete_module, "kmbox", pct(80) ? O_NONBLOCK : 0) ? errno : 0;
	call_end();
	check_errno(OP_UNLOAD, e, "delete_module");
	if (!e) {
		violation(C_UNLOAD, "delete_module(\"kmbox\") succeeded while handles are open");
		atomic_store(&S->stop, 1);
	}
}

static void op_devopen(void)
{
	struct kmbox_limits l;
	struct kmbox_create c = {
		.access = KMBOX_ACCESS_ALL, .capacity = 1, .mode = 0600 };
	int fd, e, m;

	fd = open(KMBOX_DEVICE, pct(50) ? O_RDWR : O_RDONLY);
	e = fd < 0 ? errno : 0;
	check_errno(OP_DEVOPEN, e, "open /dev/kmbox");
	if (fd < 0)
		return;
	memset(&l, 0, sizeof(l));
	if (ioctl(fd, KMBOX_IOC_LIMITS, &l))
		violation(C_VALID, "LIMITS on a new /dev/kmbox: %s", ename(errno));
	m = ioctl(fd, KMBOX_IOC_CREATE, &c);
	close(fd);
	if (m >= 0) {
		/* outlives the device descriptor it came from */
		if (write(m, "", 0) != 0 && errno != ENOBUFS)
			violation(C_VALID, "write to a mailbox made through a closed /dev/kmbox: %s",
				  ename(errno));
		close(m);
	} else if (errno != ENOSPC && errno != ENOMEM && errno != EINVAL) {
		violation(C_VALID, "CREATE on a new /dev/kmbox: %s", ename(errno));
	}
}

/* ---- handles over a UNIX socket ----------------------------------------- */

static int scm[2] = { -1, -1 };
static pthread_mutex_t scm_lock = PTHREAD_MUTEX_INITIALIZER;

static void scm_open(void)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, scm))
		scm[0] = scm[1] = -1;
}

/* A descriptor received: keep it as a handle if it is one. */
static void adopt(int fd)
{
	struct kmbox_info info;
	struct handle h;
	int slot, fl;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || do_info(fd, &info)) {
		close(fd);	/* a placeholder sent by a racing close */
		return;
	}
	if (info.access != ((fl & O_ACCMODE) == O_RDWR ? KMBOX_ACCESS_ALL :
			    (fl & O_ACCMODE) == O_WRONLY ? KMBOX_ACCESS_SEND :
			    KMBOX_ACCESS_RECV))
		violation(C_INFO, "handle received over a socket: INFO access %#x, F_GETFL %#x",
			  info.access, fl);
	slot = h_reserve();
	if (slot < 0) {
		close(fd);
		return;
	}
	memset(&h, 0, sizeof(h));
	h.fd = fd;
	h.access = info.access;
	h.name = -2;		/* unknown */
	h.nonblock = fl & O_NONBLOCK;
	h.id = info.id;
	h.capacity = info.capacity;
	h.max_msg_size = info.max_msg_size;
	h.uid = info.uid;
	h.state_seen = info.state;
	h.received_seen = info.received;
	h.dropped_seen = info.dropped;
	h_install(slot, &h);
}

/*
 * Pass handles to ourselves or to a child (it shares the socket): send
 * some, receive some, or drop the socket with handles still in it, maybe
 * in a reference cycle that only the UNIX garbage collector breaks.
 */
static void op_scm(void)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} c;
	struct handle h[3];
	int slot[3], fds[4], n = 0, k, r = below(100), e = 0;
	struct msghdr m;
	struct iovec iov;
	char byte = 'h';
	ssize_t ret;

	pthread_mutex_lock(&scm_lock);
	if (scm[0] < 0)
		scm_open();
	if (scm[0] < 0)
		goto out;
	memset(&m, 0, sizeof(m));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = c.buf;
	if (r < 45) {
		int want = 1 + below(3);

		for (k = 0; k < want; k++) {
			slot[n] = h_get(&h[n]);
			if (slot[n] >= 0)
				fds[n] = h[n].fd, n++;
		}
		if (pct(10))
			fds[n++] = pct(50) ? scm[1] : scm[0];	/* a cycle */
		if (!n)
			goto out;
		m.msg_controllen = CMSG_SPACE(n * sizeof(int));
		c.h.cmsg_level = SOL_SOCKET;
		c.h.cmsg_type = SCM_RIGHTS;
		c.h.cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(&c.h), fds, n * sizeof(int));
		ret = sendmsg(scm[0], &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		e = ret < 0 ? errno : 0;
		for (k = 0; k < n; k++)
			if (fds[k] != scm[0] && fds[k] != scm[1])
				h_put(slot[k]);
	} else if (r < 90) {
		struct cmsghdr *cm;

		m.msg_controllen = sizeof(c.buf);
		ret = recvmsg(scm[1], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		e = ret < 0 ? errno : 0;
		for (cm = ret >= 0 ? CMSG_FIRSTHDR(&m) : NULL; cm; cm = CMSG_NXTHDR(&m, cm)) {
			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
			for (k = 0; k < n; k++) {
				struct stat st;

				/* a socket of ours sent in a cycle: just close it */
				if (!fstat(fds[k], &st) && S_ISSOCK(st.st_mode))
					close(fds[k]);
				else
					adopt(fds[k]);
			}
		}
	} else {
		/* whatever is in flight goes with the socket (or with the GC) */
		close(scm[0]);
		close(scm[1]);
		scm_open();
	}
	(void)e;
	count_op(OP_SCM, 0);
out:
	pthread_mutex_unlock(&scm_lock);
}

/* ---- io_uring --------------------------------------------------------------- */

#define URING_ENTRIES	16
#define URING_BUF	65536

/* A request in flight: what it was, to check its completion. */
struct ureq {
	int kind;		/* 0: free, OP_READ, OP_WRITE, OP_POLL */
	int slot;		/* its buffer, or -1 */
	size_t len;
	uint64_t id, mbox;	/* write: the message's id; read: the mailbox */
	uint32_t access;
	short events;
	bool raced;		/* its handle was closed meanwhile: unchecked */
};

static struct {
	int fd;
	pid_t owner;
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *sq_map, *cq_map;
	size_t sq_len, cq_len, sqe_len;
	struct ureq req[URING_ENTRIES * 2];
	/* Buffers the kernel may write to until completion; once a ring
	 * went away with requests in flight, theirs are never used again. */
	uint8_t *buf;
	uint8_t buf_state[URING_ENTRIES];	/* 0 free, 1 busy, 2 lost */
} ur = { .fd = -1 };
static pthread_mutex_t ur_lock = PTHREAD_MUTEX_INITIALIZER;

static int ur_setup(void)
{
	struct io_uring_params p;
	int fd;

	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, URING_ENTRIES, &p);
	if (fd < 0)
		return -errno;
	ur.sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	ur.cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	ur.sqe_len = p.sq_entries * sizeof(struct io_uring_sqe);
	ur.sq_map = mmap(NULL, ur.sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			 fd, IORING_OFF_SQ_RING);
	ur.cq_map = mmap(NULL, ur.cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			 fd, IORING_OFF_CQ_RING);
	ur.sqes = mmap(NULL, ur.sqe_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       fd, IORING_OFF_SQES);
	if (ur.sq_map == MAP_FAILED || ur.cq_map == MAP_FAILED || ur.sqes == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	ur.sq_head = (unsigned int *)((char *)ur.sq_map + p.sq_off.head);
	ur.sq_tail = (unsigned int *)((char *)ur.sq_map + p.sq_off.tail);
	ur.sq_mask = (unsigned int *)((char *)ur.sq_map + p.sq_off.ring_mask);
	ur.sq_array = (unsigned int *)((char *)ur.sq_map + p.sq_off.array);
	ur.cq_head = (unsigned int *)((char *)ur.cq_map + p.cq_off.head);
	ur.cq_tail = (unsigned int *)((char *)ur.cq_map + p.cq_off.tail);
	ur.cq_mask = (unsigned int *)((char *)ur.cq_map + p.cq_off.ring_mask);
	ur.cqes = (struct io_uring_cqe *)((char *)ur.cq_map + p.cq_off.cqes);
	if (!ur.buf)
		ur.buf = map(URING_ENTRIES * URING_BUF, PROT_READ | PROT_WRITE);
	memset(ur.req, 0, sizeof(ur.req));
	ur.fd = fd;
	ur.owner = mypid;
	return 0;
}

/* Drop the ring with whatever is in flight: the kernel cancels it. */
static void ur_close(void)
{
	size_t i;

	if (ur.fd < 0)
		return;
	for (i = 0; i < ARRAY_SIZE(ur.req); i++)
		if (ur.req[i].kind && ur.req[i].slot >= 0)
			ur.buf_state[ur.req[i].slot] = 2;
	munmap(ur.sq_map, ur.sq_len);
	munmap(ur.cq_map, ur.cq_len);
	munmap(ur.sqes, ur.sqe_len);
	close(ur.fd);
	ur.fd = -1;
}

static void ur_complete(const struct io_uring_cqe *cqe)
{
	struct ureq *q;
	int res = cqe->res, e = res < 0 ? -res : 0;
	uint8_t *b;

	if (cqe->user_data >= ARRAY_SIZE(ur.req))
		return;		/* a cancel request's own completion */
	q = &ur.req[cqe->user_data];
	b = q->slot >= 0 ? ur.buf + q->slot * URING_BUF : NULL;
	if (!q->kind)
		return;
	check_errno(OP_URING, e, q->kind == OP_READ ? "io_uring read" :
		    q->kind == OP_WRITE ? "io_uring write" : "io_uring poll");
	if (q->kind == OP_READ && res >= 0) {
		struct hdr hd;

		if ((size_t)res > q->len)
			violation(C_VALID, "io_uring read of %zu bytes gave %d", q->len, res);
		else
			track_recv(res ? verify(b, res, q->raced ? 0 : q->mbox, "io_uring read",
						&hd) : 0, "io_uring read");
	} else if (q->kind == OP_WRITE) {
		if (res >= 0 && (size_t)res != q->len)
			violation(C_VALID, "io_uring write of %zu bytes gave %d", q->len, res);
		track_send(q->id, res < 0 ? -res : 0);
	} else if (q->kind == OP_POLL && res > 0 && !q->raced) {
		struct handle hh = { .access = q->access };

		check_revents(res, q->events, &hh, "io_uring poll");
	}
	if (q->slot >= 0)
		ur.buf_state[q->slot] = 0;
	q->kind = 0;
}

static void ur_reap(void)
{
	unsigned int head = __atomic_load_n(ur.cq_head, __ATOMIC_ACQUIRE);

	while (head != __atomic_load_n(ur.cq_tail, __ATOMIC_ACQUIRE)) {
		ur_complete(&ur.cqes[head & *ur.cq_mask]);
		head++;
		__atomic_store_n(ur.cq_head, head, __ATOMIC_RELEASE);
	}
}

/*
 * Reads, writes and polls on handles through io_uring: io-wq workers block
 * in the mailbox, requests are cancelled, and whole rings are dropped with
 * requests in flight.
 */
static void op_uring(void)
{
	struct io_uring_sqe *sqe;
	struct handle h;
	struct ureq *q = NULL, *sub = NULL;
	unsigned int tail;
	int slot = -1, b = -1, r = below(100), ret;
	bool wait;
	size_t i;

	pthread_mutex_lock(&ur_lock);
	if (ur.fd >= 0 && ur.owner != mypid) {
		/* inherited from the parent: its ring, not ours */
		close(ur.fd);
		ur.fd = -1;
		memset(ur.buf_state, 2, sizeof(ur.buf_state));
	}
	if (ur.fd < 0 && ur_setup()) {
		pthread_mutex_unlock(&ur_lock);
		return;
	}
	ur_reap();
	if (r < 5) {
		ur_close();
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(ur.req) && !q; i++)
		if (!ur.req[i].kind)
			q = &ur.req[i];
	if (!q)
		goto enter;
	slot = h_get(&h);
	if (slot < 0)
		goto enter;
	tail = *ur.sq_tail;
	if (tail - __atomic_load_n(ur.sq_head, __ATOMIC_ACQUIRE) >= URING_ENTRIES)
		goto enter;
	sqe = &ur.sqes[tail & *ur.sq_mask];
	memset(sqe, 0, sizeof(*sqe));
	memset(q, 0, sizeof(*q));
	q->slot = -1;
	sqe->fd = h.fd;
	sqe->user_data = q - ur.req;
	if (r < 85) {
		for (i = 0; i < URING_ENTRIES; i++)
			if (!ur.buf_state[i]) {
				b = i;
				break;
			}
		if (b < 0)
			goto enter;
		ur.buf_state[b] = 1;
		q->slot = b;
	}
	if (r < 45) {
		q->kind = OP_READ;
		q->len = pct(80) ? URING_BUF : below(64);
		q->mbox = h.id;
		sqe->opcode = IORING_OP_READ;
		sqe->addr = (uintptr_t)(ur.buf + b * URING_BUF);
		sqe->len = q->len;
	} else if (r < 85) {
		q->kind = OP_WRITE;
		q->len = pick_len(h.max_msg_size < URING_BUF ? h.max_msg_size : URING_BUF);
		if (q->len > URING_BUF)
			q->len = URING_BUF;
		q->id = fill(ur.buf + b * URING_BUF, q->len, h.id);
		if (q->id)
			atomic_fetch_or(&track[q->id], T_ATTEMPT);
		sqe->opcode = IORING_OP_WRITE;
		sqe->addr = (uintptr_t)(ur.buf + b * URING_BUF);
		sqe->len = q->len;
	} else if (r < 95) {
		q->kind = OP_POLL;
		q->access = h.access;
		q->events = pick_events();
		sqe->opcode = IORING_OP_POLL_ADD;
		sqe->poll32_events = (unsigned short)q->events;
	} else {
		/* cancel something in flight, maybe */
		q->kind = 0;
		sqe->opcode = IORING_OP_ASYNC_CANCEL;
		sqe->addr = below(ARRAY_SIZE(ur.req));
		sqe->user_data = ~0ULL;
	}
	ur.sq_array[tail & *ur.sq_mask] = tail & *ur.sq_mask;
	__atomic_store_n(ur.sq_tail, tail + 1, __ATOMIC_RELEASE);
	sub = q;
	q = NULL;
enter:
	wait = pct(20);
	/* Waiting for a completion may wait for ever: the watchdog kicks it. */
	call_begin(OP_URING, wait ? 0 : slack_ns(), "io_uring_enter%s", wait ? ", waiting" : "");
	ret = syscall(__NR_io_uring_enter, ur.fd, URING_ENTRIES, wait ? 1 : 0,
		      IORING_ENTER_GETEVENTS, NULL, 0);
	call_end();
	if (ret < 0 && errno != EINTR && errno != EAGAIN && errno != EBUSY)
		violation(C_ERRNO, "io_uring_enter: %s", ename(errno));
	/*
	 * The kernel looks the descriptor up when it takes the entry: one not
	 * taken yet would find whatever has the number later.  Make it a no-op.
	 */
	while (*ur.sq_tail != __atomic_load_n(ur.sq_head, __ATOMIC_ACQUIRE)) {
		unsigned int t = --*ur.sq_tail;
		struct io_uring_sqe *left = &ur.sqes[t & *ur.sq_mask];
		struct ureq *lq = left->user_data < ARRAY_SIZE(ur.req) ?
				  &ur.req[left->user_data] : NULL;

		if (lq && lq->kind) {
			if (lq->slot >= 0)
				ur.buf_state[lq->slot] = 0;
			lq->kind = 0;
		}
	}
	/* A close racing with the submission may have swapped in /dev/kmbox. */
	if (sub && sub->kind && slot >= 0 && !h_same(slot, &h))
		sub->raced = true;
	h_put(slot);
	ur_reap();
out:
	if (q && !q->kind && b >= 0)
		ur.buf_state[b] = 0;
	pthread_mutex_unlock(&ur_lock);
}

/* ---- /proc/kmbox ------------------------------------------------------------ */

#define PROC_HEADER "id name capacity max_msg_size uid gid mode state msgs bytes sent received dropped senders receivers"

static bool pid_list(const char *s)
{
	if (!strcmp(s, "-"))
		return true;
	for (; *s; s++)
		if ((*s < '0' || *s > '9') && *s != ',')
			return false;
	return true;
}

/* Check one line of /proc/kmbox; false (and a violation) if it is wrong. */
static bool proc_line(const char *line)
{
	unsigned long long id, size, msgs, bytes, sent, received, dropped;
	char name[1100], cap[32], state[16], snd[600], rcv[600];
	unsigned int uid, gid, mode;
	int n;

	n = sscanf(line, "%llu %1099s %31s %llu %u %u %o %15s %llu %llu %llu %llu %llu %599s %599s",
		   &id, name, cap, &size, &uid, &gid, &mode, state, &msgs, &bytes, &sent,
		   &received, &dropped, snd, rcv);
	if (n != 15 || (strcmp(cap, "unbounded") && strspn(cap, "0123456789") != strlen(cap)) ||
	    (strcmp(state, "open") && strcmp(state, "closed") && strcmp(state, "destroyed")) ||
	    mode & ~0777U || !pid_list(snd) || !pid_list(rcv) ||
	    sent < received + dropped + msgs || (!msgs && bytes) ||
	    (!strcmp(state, "destroyed") && (msgs || strcmp(name, "-")))) {
		violation(C_INFO, "/proc/kmbox line (%d fields): %.300s", n, line);
		return false;
	}
	return true;
}

/* Read /proc/kmbox whole, while mailboxes come and go, and check it. */
static void op_proc(void)
{
	static __thread char buf[65536];
	char *line, *save;
	ssize_t n, len = 0;
	int fd, e = 0;

	call_begin(OP_PROC, slack_ns(), "read /proc/kmbox");
	fd = open("/proc/kmbox", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
	} else {
		/* small reads too: the seq_file restarts in the middle */
		while (len < (ssize_t)sizeof(buf) - 1 &&
		       (n = read(fd, buf + len, pct(30) ? 1 + below(200) :
				 sizeof(buf) - 1 - len)) > 0)
			len += n;
		if (n < 0)
			e = errno;
		close(fd);
	}
	call_end();
	check_errno(OP_PROC, e, "/proc/kmbox");
	if (fd < 0 || e)
		return;
	buf[len] = '\0';
	line = strtok_r(buf, "\n", &save);
	if (!line || strcmp(line, PROC_HEADER)) {
		violation(C_INFO, "/proc/kmbox header: %.200s", line ? line : "(none)");
		return;
	}
	while ((line = strtok_r(NULL, "\n", &save)))
		if (!proc_line(line))
			break;
}

/* ---- signals ------------------------------------------------------------ */

static void on_signal(int sig)
{
	(void)sig;
	sig_count++;
}

static void set_handlers(bool restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
}

/* ---- children ------------------------------------------------------------ */

static _Atomic pid_t kids[MAX_CHILDREN];

static void release_watch(pid_t pid)
{
	int i;

	for (i = MAX_PROCS * MAX_THREADS; i < NWATCH; i++)
		if (atomic_load(&S->w[i].pid) == pid) {
			atomic_store(&S->w[i].op, OP_NONE);
			atomic_store(&S->w[i].pid, 0);
		}
}

/* How a child or worker ended: a violation if by a signal nobody sent. */
static void judge_exit(pid_t pid, int status, const char *what)
{
	bool orphan = !strcmp(what, "orphan");

	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		if (sig != SIGKILL && sig != SIGALRM)
			violation(C_PROC, "%s %d killed by signal %d (%s)", what, (int)pid, sig,
				  strsignal(sig));
	} else if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);

		if (code && code != EXIT_PLANNED && (!orphan || code == EXIT_INTERNAL))
			violation(C_PROC, "%s %d exited with status %d", what, (int)pid, code);
	}
}

static void reap_kids(bool block)
{
	int i, status;

	for (i = 0; i < MAX_CHILDREN; i++) {
		pid_t pid = atomic_load(&kids[i]);

		if (pid <= 0)
			continue;
		if (block)
			kill(pid, SIGKILL);
		if (waitpid(pid, &status, block ? 0 : WNOHANG) == pid) {
			judge_exit(pid, status, "child");
			release_watch(pid);
			atomic_store(&kids[i], 0);
		}
	}
}

static void thread_loop(long max_iter, int64_t deadline);

static void become_child(pid_t parent)
{
	int i;

	is_child = true;
	mypid = getpid();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	h_after_fork();
	for (i = 0; i < MAX_CHILDREN; i++)
		atomic_store(&kids[i], 0);
	setup_flip();
	tidx = 0;
	W = &W_dummy;
	for (i = MAX_PROCS * MAX_THREADS; i < NWATCH; i++) {
		int zero = 0;

		if (atomic_compare_exchange_strong(&S->w[i].pid, &zero, mypid)) {
			W = &S->w[i];
			atomic_store(&W->tid, mypid);
			break;
		}
	}
}

static void op_fork(void)
{
	int i, slot = -1;
	uint64_t seed = rnd();
	pid_t pid;

	if (is_child)
		return;
	reap_kids(false);
	for (i = 0; i < MAX_CHILDREN; i++) {
		pid_t zero = 0;

		if (atomic_compare_exchange_strong(&kids[i], &zero, -1)) {
			slot = i;
			break;
		}
	}
	if (slot < 0)
		return;
	pid = fork();
	if (pid < 0) {
		atomic_store(&kids[slot], 0);
		check_errno(OP_FORK, errno, "fork");
		return;
	}
	if (pid == 0) {
		become_child(mypid);
		rs = seed;
		snprintf(who, sizeof(who), "w%d.g%d child %d", worker_idx, worker_gen, (int)mypid);
		iter = 0;
		if (pct(30)) {
			/* Die of SIGALRM mid-call, whatever it is. */
			struct itimerval it = { .it_value = { 0, (long)range(1000, 500000) } };

			setitimer(ITIMER_REAL, &it, NULL);
		}
		thread_loop(range(1, 60), now_ns() + (int64_t)range(10 * MS, 2 * SEC));
		_exit(0);
	}
	atomic_store(&kids[slot], pid);
	stat_add(ST_FORKS, 1);
	count_op(OP_FORK, 0);
}

/* ---- scenarios on private mailboxes --------------------------------------- */

static int anon_mbox(uint64_t capacity, uint32_t max_msg_size)
{
	struct kmbox_create c = {
		.access = KMBOX_ACCESS_ALL, .capacity = capacity,
		.max_msg_size = max_msg_size, .mode = 0600,
		.flags = KMBOX_FD_CLOEXEC,
	};
	int fd = ioctl(ctl, KMBOX_IOC_CREATE, &c);

	return fd < 0 ? -errno : fd;
}

static int sc_send(int fd, const void *buf, size_t len, uint32_t flags, int64_t timeout)
{
	struct kmbox_send s = {
		.flags = flags, .buf = (uintptr_t)buf, .len = len, .timeout_ns = timeout };

	return ioctl(fd, KMBOX_IOC_SEND, &s) ? -errno : 0;
}

static long sc_recv(int fd, void *buf, size_t len, uint32_t flags, int64_t timeout,
		    struct kmbox_recv *out)
{
	struct kmbox_recv r = {
		.flags = flags, .buf = (uintptr_t)buf, .len = len, .timeout_ns = timeout };
	long ret = ioctl(fd, KMBOX_IOC_RECV, &r);

	if (out)
		*out = r;
	return ret < 0 ? -errno : ret;
}

/* Same, retried while a signal (from the coordinator) cuts it short. */
static long sc_recv_retry(int fd, void *buf, size_t len, uint32_t flags, int64_t timeout,
			  struct kmbox_recv *out)
{
	long ret;

	do {
		ret = sc_recv(fd, buf, len, flags, timeout, out);
	} while (ret == -EINTR && !atomic_load(&S->stop));
	return ret;
}

/* A child for a scenario: sig: its SIGUSR1 handler (0: default, 1, 2: restart). */
static pid_t sc_fork(void)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		is_child = true;
		mypid = getpid();
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)	/* it died before we could ask */
			_exit(0);
		W = &W_dummy;
		alarm(30);
	}
	return pid;
}

/* Wait for a scenario child: its exit code, 128 + signal, or -1 after ms. */
static int sc_wait(pid_t pid, int64_t ms)
{
	int64_t end = now_ns() + ms * MS;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ns() > end)
			return -1;
		sleep_ns(200 * US);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void sc_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Whether a child has not ended yet; it is not reaped either way. */
static bool sc_running(pid_t pid)
{
	siginfo_t si = { .si_pid = 0 };

	if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT))
		return false;
	return si.si_pid != pid;
}

/* Wait until INFO says someone waits (or ms pass); false if INFO fails. */
static bool sc_wait_blocked(int fd, int64_t ms)
{
	int64_t end = now_ns() + ms * MS;
	struct kmbox_info i;

	while (now_ns() < end) {
		if (do_info(fd, &i))
			return false;
		if (i.senders_waiting || i.receivers_waiting)
			return true;
		sleep_ns(100 * US);
	}
	return true;
}

static void sc_stack(pid_t pid, char *out, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stack", (int)pid);
	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, size - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = '|';
}

static short kt_revents_fd(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM };

	return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

/*
 * A: a child blocks in a call; the parent CLOSEs, DESTROYs, or kills it.
 * The call must end with EPIPE / EIDRM, and a killed child must leave the
 * mailbox as it was.
 */
static void scenario_block(void)
{
	static const char *const kinds[] = {
		"blocking send, rendezvous", "blocking send, full bounded",
		"blocking receive", "sync send, bounded", "blocking peek",
		"timed send (10 s), rendezvous", "blocking write, rendezvous",
		"blocking read",
	};
	int kind = below(ARRAY_SIZE(kinds)), action = below(10), fd, got;
	bool restart = pct(50), signal = pct(30);
	uint64_t cap = kind == 1 || kind == 3 ? 1 : pct(50) ? 0 : 1;
	const char *act;
	struct kmbox_info i;
	char stack[512];
	uint8_t b[64];
	pid_t pid;

	if (kind == 0 || kind == 5 || kind == 6)
		cap = 0;
	fd = anon_mbox(cap, 64);
	if (fd < 0)
		return;
	if (kind == 1 && sc_send(fd, "full", 4, KMBOX_MSG_NONBLOCK, 0)) {
		close(fd);
		return;
	}
	pid = sc_fork();
	if (pid < 0) {
		close(fd);
		return;
	}
	if (pid == 0) {
		long r = 0;

		set_handlers(restart);
		switch (kind) {
		case 0: case 1:
			r = sc_send(fd, "blocked", 7, 0, 0);
			break;
		case 2:
			r = sc_recv(fd, b, sizeof(b), 0, 0, NULL);
			break;
		case 3:
			r = sc_send(fd, "sync", 4, KMBOX_SEND_SYNC, 0);
			break;
		case 4:
			r = sc_recv(fd, b, sizeof(b), KMBOX_RECV_PEEK, 0, NULL);
			break;
		case 5:
			r = sc_send(fd, "timed", 5, KMBOX_MSG_TIMEOUT, 10 * SEC);
			break;
		case 6:
			r = write(fd, "w", 1) < 0 ? -errno : 0;
			break;
		case 7:
			r = read(fd, b, sizeof(b)) < 0 ? -errno : 1;
			break;
		}
		_exit(r < 0 ? -r : r > 0 ? 200 : 0);
	}
	stat_add(ST_SCENARIOS, 1);
	if (pct(70))
		sc_wait_blocked(fd, 3000);
	else
		sleep_ns(below(2 * MS));
	if (signal) {
		kill(pid, SIGUSR1);
		sleep_ns(below(MS));
	}
	if (action < 4) {
		act = "CLOSE";
		if (ioctl(fd, KMBOX_IOC_CLOSE, 0))
			violation(C_SCENARIO, "CLOSE: %s", ename(errno));
	} else if (action < 8) {
		act = "DESTROY";
		if (ioctl(fd, KMBOX_IOC_DESTROY, 0))
			violation(C_SCENARIO, "DESTROY: %s", ename(errno));
	} else {
		act = "SIGKILL";
		sc_kill(pid);
	}
	if (action < 8) {
		int want = action < 4 ? EPIPE : EIDRM;

		got = sc_wait(pid, 20000);
		if (got < 0) {
			sc_stack(pid, stack, sizeof(stack));
			violation(C_SCENARIO, "%s: child %d still blocked 20 s after %s; stack %s",
				  kinds[kind], (int)pid, act, stack);
			sc_kill(pid);
		} else if (got != want && !(signal && got == EINTR &&
					    (!restart || kind == 5)) &&
			   !(got == ENOBUFS && kind != 2 && kind != 4 && kind != 7)) {
			violation(C_SCENARIO, "%s%s: %s ended it with %s, expected %s",
				  kinds[kind], signal ? (restart ? " (signalled, SA_RESTART)" :
				  " (signalled)") : "", act,
				  got >= 128 ? strsignal(got - 128) : ename(got), ename(want));
		}
	}
	/* What poll says of a closed or destroyed mailbox. */
	if (action < 8 && !do_info(fd, &i)) {
		short re = kt_revents_fd(fd);
		short want = action >= 4 ? POLLERR : i.msgs ? POLLIN | POLLRDNORM : POLLHUP;

		/* Closed, a send fails at once: the handle can send. */
		if (action < 4)
			want |= POLLOUT | POLLWRNORM;

		if (re != want)
			violation(C_POLL, "%s after %s with %llu queued: revents %#x, expected %#x",
				  kinds[kind], act, (unsigned long long)i.msgs,
				  (unsigned short)re, (unsigned short)want);
	}
	/* Whatever happened, nobody waits any more and nothing half-sent stays. */
	if (!do_info(fd, &i)) {
		uint64_t left = kind == 1 && action >= 8 ? 1 : 0;

		if (i.senders_waiting || i.receivers_waiting ||
		    (action >= 4 && action < 8 && i.msgs) ||
		    (action >= 8 && i.msgs != left) ||
		    i.sent != i.received + i.dropped + i.msgs)
			violation(C_SCENARIO, "%s, %s: afterwards INFO says state %u msgs %llu waiting %u/%u sent %llu received %llu dropped %llu",
				  kinds[kind], act, i.state, (unsigned long long)i.msgs,
				  i.senders_waiting, i.receivers_waiting,
				  (unsigned long long)i.sent, (unsigned long long)i.received,
				  (unsigned long long)i.dropped);
	}
	close(fd);
}

/*
 * B: one sender (a child) and one receiver (the parent) on a private
 * mailbox, with short timeouts racing the hand-over, and signals.  The
 * message must reach the receiver exactly when the send said it was sent.
 */
static void scenario_pair(void)
{
	static const uint64_t caps[] = { 0, 1, KMBOX_CAPACITY_UNBOUNDED };
	uint64_t cap = caps[below(3)];
	bool sync = cap == 0 || pct(70), restart = pct(50);
	size_t len = pct(60) ? range(32, 256) : range(4096, 65536);
	int64_t ts = (int64_t)below(3 * MS), tr = (int64_t)below(3 * MS);
	uint32_t sflags = (pct(70) ? KMBOX_MSG_TIMEOUT : pct(50) ? KMBOX_MSG_NONBLOCK : 0) |
			  (sync ? KMBOX_SEND_SYNC : 0);
	uint8_t *buf = rbuf, *msg = sbuf;
	int fd, got = 0, status, tries;
	struct kmbox_info i;
	char stack[512];
	uint64_t id;
	long r;
	pid_t pid;

	if (!(sflags & KMBOX_MSG_TIMEOUT))
		ts = 0;
	fd = anon_mbox(cap, 65536);
	if (fd < 0)
		return;
	id = fill(msg, len, 0);
	pid = sc_fork();
	if (pid < 0) {
		close(fd);
		return;
	}
	if (pid == 0) {
		set_handlers(restart);
		_exit(-sc_send(fd, msg, len, sflags, ts));
	}
	stat_add(ST_SCENARIOS, 1);
	(void)id;
	sleep_ns(below(2 * MS));
	if (pct(30))
		kill(pid, SIGUSR1);
	for (tries = 0; tries < 2; tries++) {
		r = sc_recv(fd, buf, 65536, KMBOX_MSG_TIMEOUT, tr, NULL);
		if (r >= 0) {
			got++;
			if ((size_t)r != len || memcmp(buf, msg, len))
				violation(C_SCENARIO, "pair: received %ld bytes, sent %zu (or different)",
					  r, len);
		} else if (r != -ETIMEDOUT && r != -EINTR) {
			violation(C_SCENARIO, "pair: timed receive: %s", ename(-r));
		}
		if (got)
			break;
	}
	/* Let a sender still waiting go: a blocking one would wait for ever. */
	status = sc_wait(pid, 100);
	if (status < 0) {
		if (ioctl(fd, KMBOX_IOC_CLOSE, 0))
			violation(C_SCENARIO, "pair: CLOSE: %s", ename(errno));
		status = sc_wait(pid, 20000);
		if (status < 0) {
			sc_stack(pid, stack, sizeof(stack));
			violation(C_SCENARIO, "pair: sender %d still blocked 20 s after CLOSE; stack %s",
				  (int)pid, stack);
			sc_kill(pid);
			close(fd);
			return;
		}
	}
	/* What is left must be what the send said. */
	while ((r = sc_recv(fd, buf, 65536, KMBOX_MSG_NONBLOCK, 0, NULL)) >= 0) {
		got++;
		if ((size_t)r != len || memcmp(buf, msg, len))
			violation(C_SCENARIO, "pair: drained %ld bytes, sent %zu (or different)", r, len);
	}
	if (status >= 128)
		violation(C_SCENARIO, "pair: sender died of %s", strsignal(status - 128));
	else if ((status == 0) != (got == 1) || got > 1)
		violation(C_SCENARIO, "pair: cap %s%s send flags %#x timeout %lld: send gave %s, but the receiver got %d message(s)",
			  cap == 0 ? "0" : cap == 1 ? "1" : "unbounded", sync ? " sync" : "",
			  sflags, (long long)ts, ename(status), got);
	else
		stat_add(ST_DELIVERIES, 1);
	if (!do_info(fd, &i) && (i.msgs || i.senders_waiting || i.receivers_waiting ||
				 i.sent != i.received || i.received != (uint64_t)got))
		violation(C_SCENARIO, "pair: afterwards msgs %llu waiting %u/%u sent %llu received %llu (got %d)",
			  (unsigned long long)i.msgs, i.senders_waiting, i.receivers_waiting,
			  (unsigned long long)i.sent, (unsigned long long)i.received, got);
	close(fd);
}

/*
 * C: a message handed over or queued is put back after EMSGSIZE and after
 * EFAULT, stays for a peek, and is received whole at the end.
 */
static void scenario_requeue(void)
{
	static const uint64_t caps[] = { 0, 1, KMBOX_CAPACITY_UNBOUNDED };
	uint64_t cap = caps[below(3)];
	size_t len = range(64, 4096), k;
	bool sync = cap == 0 || pct(50);
	uint8_t *msg = sbuf, *buf = rbuf, *bad;
	struct kmbox_recv rr;
	struct kmbox_info i;
	int fd, status = -1, early = -1;
	long r;
	pid_t pid;

	fd = anon_mbox(cap, 8192);
	if (fd < 0)
		return;
	fill(msg, len, 0);
	pid = sc_fork();
	if (pid < 0) {
		close(fd);
		return;
	}
	if (pid == 0) {
		set_handlers(true);
		_exit(-sc_send(fd, msg, len, sync ? KMBOX_SEND_SYNC : 0, 0));
	}
	stat_add(ST_SCENARIOS, 1);
	/* Wait for the message (an offer, at capacity 0) or the sender's failure. */
	for (int64_t end = now_ns() + 20 * SEC;; sleep_ns(100 * US)) {
		if (!do_info(fd, &i) && i.msgs)
			break;
		if (early < 0)
			early = status = sc_wait(pid, 0);
		if (status > 0) {
			/* ENOBUFS and the like, while a limit is lowered */
			if (status != ENOBUFS && status != ENOMEM)
				violation(C_SCENARIO, "requeue: sender failed: %s",
					  status >= 128 ? strsignal(status - 128) : ename(status));
			close(fd);
			return;
		}
		if (now_ns() > end) {
			violation(C_SCENARIO, "requeue: cap %llu: no message after 20 s",
				  (unsigned long long)cap);
			sc_kill(pid);
			close(fd);
			return;
		}
	}
	/* too small: EMSGSIZE, the size reported, nothing consumed */
	memset(&rr, 0, sizeof(rr));
	r = sc_recv_retry(fd, buf, below(len), KMBOX_MSG_TIMEOUT, 10 * SEC, &rr);
	if (r != -EMSGSIZE || rr.len != len)
		violation(C_SCENARIO, "requeue: cap %llu: small buffer: %s, len %llu of %zu",
			  (unsigned long long)cap, r < 0 ? ename(-r) : "success",
			  (unsigned long long)rr.len, len);
	/* unwritable: EFAULT, nothing consumed */
	k = below(len);
	bad = pct(50) ? strad + PAGE - k : pct(50) ? g_ro : g_none;
	r = sc_recv_retry(fd, bad, len, KMBOX_MSG_TIMEOUT, 10 * SEC, NULL);
	if (r != -EFAULT)
		violation(C_SCENARIO, "requeue: cap %llu: bad buffer: %s",
			  (unsigned long long)cap, r < 0 ? ename(-r) : "success");
	r = sc_recv_retry(fd, buf, len, KMBOX_MSG_TIMEOUT | KMBOX_RECV_PEEK, 10 * SEC, NULL);
	if (r != (long)len || memcmp(buf, msg, len))
		violation(C_SCENARIO, "requeue: cap %llu: peek: %s", (unsigned long long)cap,
			  r < 0 ? ename(-r) : "wrong message");
	memset(buf, 0, len);
	r = sc_recv_retry(fd, buf, 8192, KMBOX_MSG_TIMEOUT, 10 * SEC, &rr);
	if (r != (long)len || memcmp(buf, msg, len) || rr.pid != pid)
		violation(C_SCENARIO, "requeue: cap %llu: receive: %s (pid %d, sender %d)",
			  (unsigned long long)cap, r < 0 ? ename(-r) : "wrong message",
			  rr.pid, (int)pid);
	r = sc_recv(fd, buf, 8192, KMBOX_MSG_NONBLOCK, 0, NULL);
	if (r != -EAGAIN)
		violation(C_SCENARIO, "requeue: cap %llu: receive after: %s",
			  (unsigned long long)cap, r < 0 ? ename(-r) : "a message");
	status = early >= 0 ? early : sc_wait(pid, 20000);
	if (status != 0) {
		violation(C_SCENARIO, "requeue: cap %llu: sender ended with %d", (unsigned long long)cap,
			  status);
		if (status < 0)
			sc_kill(pid);
	}
	if (!do_info(fd, &i) && (i.msgs || i.sent != 1 || i.received != 1 ||
				 i.senders_waiting || i.receivers_waiting))
		violation(C_SCENARIO, "requeue: afterwards msgs %llu sent %llu received %llu",
			  (unsigned long long)i.msgs, (unsigned long long)i.sent,
			  (unsigned long long)i.received);
	close(fd);
}

/*
 * D: messages from one sender keep their order; with two receivers, each
 * sees them in order, and together they see each one once.
 */
static void scenario_fifo(void)
{
	static const uint64_t caps[] = { 1, 4, KMBOX_CAPACITY_UNBOUNDED };
	uint64_t cap = caps[below(3)];
	int n = range(4, 24), fd, k, got = 0, last = -1, status, p[2];
	int64_t end = now_ns() + 20 * SEC;
	bool two = pct(40);
	struct kmbox_info i;
	uint32_t seq;
	pid_t pid, rpid = -1;
	long r;

	fd = anon_mbox(cap, 64);
	if (fd < 0)
		return;
	if (pipe2(p, O_CLOEXEC)) {
		close(fd);
		return;
	}
	pid = sc_fork();
	if (pid < 0)
		goto out_pipe;
	if (pid == 0) {
		set_handlers(true);
		for (k = 0; k < n; k++) {
			seq = k;
			r = sc_send(fd, &seq, sizeof(seq), 0, 0);
			if (r)
				_exit(-r);
		}
		_exit(0);
	}
	stat_add(ST_SCENARIOS, 1);
	if (two) {
		rpid = sc_fork();
		if (rpid == 0) {
			int prev = -1;

			set_handlers(true);
			close(p[0]);
			while ((r = sc_recv(fd, &seq, sizeof(seq), KMBOX_MSG_TIMEOUT, SEC, NULL)) >= 0) {
				if ((int)seq <= prev)
					_exit(100);	/* out of order */
				prev = seq;
				if (write(p[1], &seq, sizeof(seq)) != sizeof(seq))
					_exit(101);
			}
			_exit(0);
		}
	}
	close(p[1]);
	p[1] = -1;
	while (two || got < n) {
		r = sc_recv_retry(fd, &seq, sizeof(seq), KMBOX_MSG_TIMEOUT,
				  two ? 300 * MS : 5 * SEC, NULL);
		/*
		 * A sender slower than the timeout (a loaded debug kernel) may
		 * still fill the queue once the other receiver gave up: keep
		 * receiving while it runs.
		 */
		if (r == -ETIMEDOUT && sc_running(pid) && now_ns() < end)
			continue;
		if (r < 0)
			break;
		if (r != sizeof(seq) || (int)seq <= last || (int)seq >= n) {
			violation(C_SCENARIO, "fifo: cap %llu: got %u after %d (%ld bytes)",
				  (unsigned long long)cap, seq, last, r);
			break;
		}
		last = seq;
		got++;
	}
	status = sc_wait(pid, 20000);
	if (status != 0) {
		memset(&i, 0, sizeof(i));
		do_info(fd, &i);
		if (status != ENOBUFS)
			violation(C_SCENARIO, "fifo: cap %llu: sender ended with %d "
				  "(%llu queued, %u senders and %u receivers waiting)",
				  (unsigned long long)cap, status, (unsigned long long)i.msgs,
				  i.senders_waiting, i.receivers_waiting);
		if (status < 0)
			sc_kill(pid);
		goto out;
	}
	if (two) {
		int other = sc_wait(rpid, 20000), cnt = 0;

		if (other != 0) {
			violation(C_SCENARIO, "fifo: second receiver ended with %d%s", other,
				  other == 100 ? " (out of order)" : "");
			if (other < 0)
				sc_kill(rpid);
		}
		fcntl(p[0], F_SETFL, O_NONBLOCK);	/* others may hold the pipe */
		while (read(p[0], &seq, sizeof(seq)) == sizeof(seq))
			cnt++;
		got += cnt;
	}
	if (got != n)
		violation(C_SCENARIO, "fifo: cap %llu%s: %d messages sent, %d received",
			  (unsigned long long)cap, two ? ", two receivers" : "", n, got);
	goto out_pipe;
out:
	if (two && rpid > 0)
		sc_kill(rpid);
out_pipe:
	close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	close(fd);
}

/*
 * E: a storm on one private mailbox: a few senders (sync or not, short
 * timeouts, large messages) and a few receivers (short timeouts, buffers
 * too small or unwritable now and then, peeks), signalled at random.  No
 * one is killed and nothing is destroyed, so after a final drain every
 * message whose send succeeded must have been received exactly once, and
 * nothing else: no message lost, none duplicated, none from a failed send.
 */
#define STORM_OPS	24
#define STORM_MAX	(4 * STORM_OPS)

static void storm_sender(int fd, int out, uint64_t cap)
{
	uint64_t rec[STORM_OPS];
	int k, n = 0;

	for (k = 0; k < STORM_OPS; k++) {
		size_t len = pct(70) ? range(32, 512) : range(4096, 60000);
		uint32_t flags = pct(50) || cap == 0 ? KMBOX_SEND_SYNC : 0;
		int64_t t = 0;
		uint64_t id;
		int r;

		if (pct(70)) {
			flags |= KMBOX_MSG_TIMEOUT;
			t = pct(30) ? 0 : (int64_t)below(2 * MS);
		} else if (pct(60)) {
			flags |= KMBOX_MSG_NONBLOCK;
		} else {
			flags |= KMBOX_MSG_TIMEOUT;
			t = 100 * MS;
		}
		id = fill(sbuf, len, 0);
		if (!id)
			continue;
		atomic_fetch_or(&track[id], T_ATTEMPT);
		r = sc_send(fd, sbuf, len, flags, t);
		track_send(id, -r);
		if (!r)
			rec[n++] = id;
	}
	if (write(out, rec, n * sizeof(rec[0])) != (ssize_t)(n * sizeof(rec[0])))
		_exit(EXIT_INTERNAL);
	_exit(0);
}

static long storm_recv_one(int fd, uint32_t flags, int64_t t, uint64_t *idp)
{
	struct hdr hd;
	size_t len;
	void *buf = rbuf;
	int64_t id;
	long r;

	*idp = 0;
	len = pct(80) ? 65536 : below(600);
	if (pct(10))
		buf = pct(50) ? (void *)g_ro : (void *)(strad + PAGE - below(PAGE));
	r = sc_recv(fd, buf, len, flags, t, NULL);
	if (r <= 0 || (flags & KMBOX_RECV_PEEK))
		return r;
	if (buf == (void *)g_ro) {
		violation(C_VALID, "storm: a receive into a read-only buffer returned %ld", r);
		return r;
	}
	/* a half-mapped buffer is fine when the message fitted */
	id = verify(buf, r, 0, "storm", &hd);
	if (id > 0) {
		track_recv(id, "storm");
		*idp = id;
	}
	return r;
}

static void storm_receiver(int fd, int out)
{
	uint64_t rec[STORM_MAX], id;
	int k, n = 0;

	for (k = 0; k < STORM_OPS * 2; k++) {
		uint32_t flags = pct(10) ? KMBOX_RECV_PEEK : 0;
		int64_t t = 0;

		if (pct(70)) {
			flags |= KMBOX_MSG_TIMEOUT;
			t = pct(30) ? 0 : (int64_t)below(2 * MS);
		} else if (pct(50)) {
			flags |= KMBOX_MSG_NONBLOCK;
		} else {
			flags |= KMBOX_MSG_TIMEOUT;
			t = 100 * MS;
		}
		storm_recv_one(fd, flags, t, &id);
		if (id && n < STORM_MAX)
			rec[n++] = id;
	}
	if (write(out, rec, n * sizeof(rec[0])) != (ssize_t)(n * sizeof(rec[0])))
		_exit(EXIT_INTERNAL);
	_exit(0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void scenario_storm(void)
{
	static const uint64_t caps[] = { 0, 1, 3, KMBOX_CAPACITY_UNBOUNDED };
	uint64_t cap = caps[below(4)], sent[4 * STORM_OPS], got[8 * STORM_MAX], id;
	int ns = range(1, 3), nr = range(1, 3), fd, k, st, sp[2], rp[2];
	size_t nsent = 0, ngot = 0, i, j;
	pid_t pids[6];
	int np = 0;
	ssize_t n;
	bool bad = false;

	fd = anon_mbox(cap, 65536);
	if (fd < 0)
		return;
	if (pipe2(sp, O_CLOEXEC)) {
		close(fd);
		return;
	}
	if (pipe2(rp, O_CLOEXEC)) {
		close(sp[0]), close(sp[1]), close(fd);
		return;
	}
	for (k = 0; k < ns + nr; k++) {
		uint64_t seed = rnd();
		pid_t pid = sc_fork();

		if (pid < 0)
			break;
		if (pid == 0) {
			rs = seed;
			set_handlers(pct(50));
			if (k < ns)
				storm_sender(fd, sp[1], cap);
			storm_receiver(fd, rp[1]);
		}
		pids[np++] = pid;
	}
	close(sp[1]);
	close(rp[1]);
	stat_add(ST_SCENARIOS, 1);
	/* signals while they work */
	for (k = 0; k < 20 && pct(70); k++) {
		sleep_ns(below(2 * MS));
		kill(pids[below(np)], SIGUSR1);
	}
	for (k = 0; k < np; k++) {
		st = sc_wait(pids[k], 30000);
		if (st != 0) {
			if (st != ENOBUFS && st != ENOMEM)
				violation(C_SCENARIO, "storm: participant ended with %d", st);
			if (st < 0)
				sc_kill(pids[k]);
			bad = true;
		}
	}
	/* All have written what they had; other children may hold the pipes. */
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	fcntl(rp[0], F_SETFL, O_NONBLOCK);
	while ((n = read(sp[0], &id, sizeof(id))) == sizeof(id))
		if (nsent < ARRAY_SIZE(sent))
			sent[nsent++] = id;
	while ((n = read(rp[0], &id, sizeof(id))) == sizeof(id))
		if (ngot < ARRAY_SIZE(got))
			got[ngot++] = id;
	/* what is left in the queue */
	while (!bad && ngot < ARRAY_SIZE(got)) {
		long r = storm_recv_one(fd, KMBOX_MSG_NONBLOCK, 0, &id);

		if (r == -EFAULT || r == -EMSGSIZE)
			continue;
		if (r < 0)
			break;
		if (id)
			got[ngot++] = id;
	}
	if (!bad) {
		qsort(sent, nsent, sizeof(sent[0]), cmp_u64);
		qsort(got, ngot, sizeof(got[0]), cmp_u64);
		for (i = j = 0; i < nsent || j < ngot;) {
			if (j < ngot && j && got[j] == got[j - 1]) {
				violation(C_ONCE, "storm (cap %llu): message %" PRIu64 " received twice",
					  (unsigned long long)cap, got[j]);
				j++;
			} else if (i < nsent && (j >= ngot || sent[i] < got[j])) {
				violation(C_SCENARIO, "storm (cap %llu, %d senders, %d receivers): message %" PRIu64
					  " sent (send returned 0) but never received",
					  (unsigned long long)cap, ns, nr, sent[i]);
				i++;
			} else if (j < ngot && (i >= nsent || got[j] < sent[i])) {
				violation(C_AMBIG, "storm (cap %llu): message %" PRIu64
					  " received but its send failed", (unsigned long long)cap, got[j]);
				j++;
			} else {
				i++, j++;
			}
		}
		stat_add(ST_DELIVERIES, nsent);
	}
	close(sp[0]);
	close(rp[0]);
	close(fd);
}

static void op_scenario(void)
{
	int r = below(5);

	if (is_child || opt.no_scenarios)
		return;
	call_begin(OP_SCENARIO, 0, "scenario %d", r);
	if (r == 0)
		scenario_block();
	else if (r == 1)
		scenario_pair();
	else if (r == 2)
		scenario_requeue();
	else if (r == 3)
		scenario_fifo();
	else
		scenario_storm();
	call_end();
	count_op(OP_SCENARIO, 0);
}

/* ---- the thread loop ------------------------------------------------------ */

static int pick_op(void)
{
	static int total;
	int r, op;

	if (!total)
		for (op = 0; op < OP_MAX; op++)
			total += op_weight[op];
	r = below(total);
	for (op = 0; op < OP_MAX; op++) {
		if (r < op_weight[op])
			return op;
		r -= op_weight[op];
	}
	return OP_INFO;
}

static void thread_loop(long max_iter, int64_t deadline)
{
	while (!atomic_load(&S->stop) && now_ns() < deadline &&
	       (!max_iter || iter < max_iter)) {
		int op = pick_op();

		/* Handle calls need handles: without any, mostly make one. */
		if (op >= OP_SEND && op <= OP_DUP && pct(85) && !h_live())
			op = pct(60) ? OP_CREATE : OP_OPEN;

		iter++;
		switch (op) {
		case OP_LIMITS: op_limits(); break;
		case OP_CREATE: op_create(); break;
		case OP_OPEN: op_open(); break;
		case OP_UNLINK: op_unlink(); break;
		case OP_SEND: op_send(); break;
		case OP_RECV: op_recv(); break;
		case OP_INFO: op_info(); break;
		case OP_CLOSE: case OP_DESTROY: op_close_destroy(op); break;
		case OP_READ: op_read(); break;
		case OP_WRITE: op_write(); break;
		case OP_POLL: op_poll(); break;
		case OP_EPOLL: op_epoll(); break;
		case OP_DUP: op_dup(); break;
		case OP_FDCLOSE: h_close_random(); break;
		case OP_RAW: op_raw(); break;
		case OP_FORK: op_fork(); break;
		case OP_EXIT:
			if (!is_child) {
				count_op(OP_EXIT, 0);
				_exit(EXIT_PLANNED);
			}
			break;
		case OP_UNLOAD:
			if (!opt.no_unload)
				op_unload();
			break;
		case OP_DEVOPEN: op_devopen(); break;
		case OP_SIGACT:
			set_handlers(pct(50));
			count_op(OP_SIGACT, 0);
			break;
		case OP_SCENARIO: op_scenario(); break;
		case OP_SCM: op_scm(); break;
		case OP_URING: op_uring(); break;
		case OP_ADMIN: op_admin(); break;
		case OP_PROC: op_proc(); break;
		}
		if (!is_child && !(iter & 63))
			reap_kids(false);
	}
}

/* ---- worker processes ------------------------------------------------------ */

static _Atomic int flipper_stop;

static void *flipper(void *arg)
{
	static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
				     PROT_READ, PROT_NONE };

	(void)arg;
	rs = seed_for(S->seed, worker_idx, worker_gen, 1000);
	while (!atomic_load(&flipper_stop) && !atomic_load(&S->stop)) {
		size_t p = below(FLIP_PAGES);

		mprotect(flv + p * PAGE, PAGE, prots[below(4)]);
		sleep_ns(below(2 * MS));
	}
	return NULL;
}

static void *worker_thread(void *arg)
{
	tidx = (int)(intptr_t)arg;
	rs = seed_for(S->seed, worker_idx, worker_gen, tidx);
	snprintf(who, sizeof(who), "w%d.g%d.t%d%s", worker_idx, worker_gen, tidx,
		 myuid ? " (nobody)" : "");
	W = &S->w[worker_idx * MAX_THREADS + tidx];
	atomic_store(&W->op, OP_NONE);
	atomic_store(&W->tid, (int)syscall(SYS_gettid));
	atomic_store(&W->pid, mypid);
	setup_thread_memory();
	thread_loop(opt.iterations, S->deadline);
	atomic_store(&W->op, OP_NONE);
	return NULL;
}

static void worker_main(int idx, int gen)
{
	pthread_t th[MAX_THREADS], fl;
	int t;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != S->coordinator)
		_exit(0);
	setpgid(0, 0);
	worker_idx = idx;
	worker_gen = gen;
	mypid = getpid();
	rs = seed_for(S->seed, idx, gen, 999);
	if (!opt.no_nobody && idx % 4 == 3 && getuid() == 0) {
		if (setgroups(0, NULL) || setresgid(FUZZ_NOBODY, FUZZ_NOBODY, FUZZ_NOBODY) ||
		    setresuid(FUZZ_NOBODY, FUZZ_NOBODY, FUZZ_NOBODY))
			_exit(EXIT_INTERNAL);
		prctl(PR_SET_DUMPABLE, 1);
	}
	myuid = geteuid();
	umask(0);
	set_handlers(pct(50));
	pthread_atfork(atfork_prepare, atfork_release, atfork_release);
	ctl = open(KMBOX_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		fprintf(stderr, "# fuzz: worker %d: %s: %s\n", idx, KMBOX_DEVICE, strerror(errno));
		_exit(EXIT_INTERNAL);
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	scm_open();
	setup_flip();
	if (pthread_create(&fl, NULL, flipper, NULL)) {
		fprintf(stderr, "# fuzz: worker %d: pthread_create failed\n", idx);
		_exit(EXIT_INTERNAL);
	}
	for (t = 1; t < opt.threads; t++)
		if (pthread_create(&th[t], NULL, worker_thread, (void *)(intptr_t)t)) {
			fprintf(stderr, "# fuzz: worker %d: pthread_create failed\n", idx);
			_exit(EXIT_INTERNAL);
		}
	worker_thread((void *)0);
	for (t = 1; t < opt.threads; t++)
		pthread_join(th[t], NULL);
	atomic_store(&flipper_stop, 1);
	pthread_join(fl, NULL);
	reap_kids(true);
	_exit(0);
}

/* ---- the coordinator ---------------------------------------------------- */

static const char *const params[] = {
	"max_msg_size", "default_msg_size", "max_capacity",
	"max_mailboxes_per_user", "max_bytes_per_user",
};
static unsigned long long param_saved[ARRAY_SIZE(params)];
static bool param_have[ARRAY_SIZE(params)];
static int param_changed = -1;
static int64_t param_restore_at;

static int param_rw(const char *name, unsigned long long *val, bool write)
{
	char path[128], text[32];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), "/sys/module/kmbox/parameters/%s", name);
	fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write) {
		n = snprintf(text, sizeof(text), "%llu\n", *val);
		if (pwrite(fd, text, n, 0) != n)
			ret = -errno;
	} else {
		n = pread(fd, text, sizeof(text) - 1, 0);
		if (n <= 0)
			ret = -EIO;
		else {
			text[n] = '\0';
			*val = strtoull(text, NULL, 10);
		}
	}
	close(fd);
	return ret;
}

static void params_restore(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(params); i++)
		if (param_have[i])
			param_rw(params[i], &param_saved[i], true);
	param_changed = -1;
}

/* Lower one limit for a moment (never above what it was: memory). */
static void params_tick(int64_t now)
{
	static const unsigned long long choices[][5] = {
		{ 0, 1, 64, 4096, 65536 },
		{ 0, 1, 100, 8192, 1ULL << 30 },
		{ 0, 1, 2, 4, 100 },
		{ 0, 1, 4, 16, 64 },
		{ 0, 100, 4096, 1 << 16, 1 << 20 },
	};
	unsigned long long v;
	int p;

	if (param_changed >= 0) {
		if (now >= param_restore_at) {
			param_rw(params[param_changed], &param_saved[param_changed], true);
			param_changed = -1;
		}
		return;
	}
	if (!pml(4))
		return;
	p = below(ARRAY_SIZE(params));
	if (!param_have[p])
		return;
	v = choices[p][below(5)];
	if (v > param_saved[p] && p != 1)
		v = param_saved[p];
	if (param_rw(params[p], &v, true))
		return;
	param_changed = p;
	param_restore_at = now + (int64_t)range(20 * MS, SEC);
	stat_add(ST_PARAMS, 1);
}

struct worker {
	pid_t pid;
	int gen;
	int64_t cont_at;	/* SIGCONT due, 0: not stopped */
};

static struct worker workers[MAX_PROCS];
static int printed;

static void drain_log(void)
{
	uint32_t head = atomic_load(&S->log_head);

	if (head > LOG_N)
		head = LOG_N;
	while ((uint32_t)printed < head && atomic_load(&S->log_ready[printed])) {
		printf("# %s\n", S->log[printed]);
		printed++;
	}
	fflush(stdout);
}

static pid_t spawn_worker(int idx)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		worker_main(idx, workers[idx].gen);
	if (pid > 0) {
		workers[idx].pid = pid;
		workers[idx].cont_at = 0;
		stat_add(ST_WORKERS, 1);
	}
	return pid;
}

static char task_state(pid_t pid, pid_t tid)
{
	char path[96], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 'X';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 'X';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

static void task_stack(pid_t pid, pid_t tid, char *out, size_t size)
{
	char path[96];
	ssize_t n;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, size - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = '|';
}

static bool is_stopped_worker(pid_t pid)
{
	int i;

	for (i = 0; i < opt.procs; i++)
		if (workers[i].pid == pid && workers[i].cont_at)
			return true;
	return false;
}

/* The watchdog: overdue bounded calls, and kicks for blocked ones. */
static void watchdog(int64_t now, bool stopping)
{
	char stack[300];
	int i;

	for (i = 0; i < NWATCH; i++) {
		struct watch *w = &S->w[i];
		pid_t pid = atomic_load(&w->pid), tid = atomic_load(&w->tid);
		int op = atomic_load(&w->op);
		uint64_t seq = atomic_load(&w->seq);
		int64_t start = atomic_load(&w->start), bound = atomic_load(&w->bound);
		int64_t age = now - start;
		char st;

		if (pid <= 0 || tid <= 0 || op == OP_NONE || op == OP_SCENARIO)
			continue;
		if (seq != atomic_load(&w->seq) || atomic_load(&w->op) == OP_NONE)
			continue;
		if (bound && age > bound && w->flagged_seq != seq) {
			st = task_state(pid, tid);
			if (st == 'X' || st == 'Z' || st == 'T' || st == 't' || is_stopped_worker(pid))
				continue;
			task_stack(pid, tid, stack, sizeof(stack));
			w->flagged_seq = seq;
			violation(C_TIMING, "task %d: %.1f s in a call that may take %.1f s: %.160s; state %c stack %s",
				  (int)tid, age / 1e9, bound / 1e9, w->desc, st, stack);
			continue;
		}
		if (bound && !stopping)
			continue;
		if (age < (stopping ? 0 : 300 * MS) || now - w->last_kick < 300 * MS)
			continue;
		if (w->kick_seq != seq) {
			w->kick_seq = seq;
			w->kicks = 0;
		}
		st = task_state(pid, tid);
		if (st == 'X' || st == 'Z')
			continue;
		syscall(SYS_tgkill, pid, tid, SIGUSR2);
		w->last_kick = now;
		stat_add(ST_KICKS, 1);
		if (++w->kicks >= 20 && age > 10 * SEC && st != 'T' && st != 't' &&
		    w->flagged_seq != seq) {
			task_stack(pid, tid, stack, sizeof(stack));
			w->flagged_seq = seq;
			violation(C_SIGNAL, "task %d: still in a call after %d SIGUSR2s, %.1f s: %.160s; state %c stack %s",
				  (int)tid, w->kicks, age / 1e9, w->desc, st, stack);
		}
	}
}

/* Signals for random participants, mid-call whenever they are in one. */
static void signals_tick(int64_t now)
{
	int i, n = 0, pick[NWATCH];

	for (i = 0; i < opt.procs; i++)
		if (workers[i].cont_at && now >= workers[i].cont_at) {
			kill(workers[i].pid, SIGCONT);
			workers[i].cont_at = 0;
		}
	if (opt.no_signals)
		return;
	for (i = 0; i < NWATCH; i++)
		if (atomic_load(&S->w[i].pid) > 0 && atomic_load(&S->w[i].tid) > 0)
			pick[n++] = i;
	if (!n)
		return;
	if (pct(30)) {
		struct watch *w = &S->w[pick[below(n)]];

		syscall(SYS_tgkill, atomic_load(&w->pid), atomic_load(&w->tid),
			pct(80) ? SIGUSR1 : SIGUSR2);
		stat_add(ST_SIGNALS, 1);
	}
	if (pml(3)) {
		i = below(opt.procs);
		if (workers[i].pid > 0 && !workers[i].cont_at) {
			kill(workers[i].pid, SIGSTOP);
			workers[i].cont_at = now + (int64_t)range(MS, 300 * MS);
			stat_add(ST_STOPS, 1);
		}
	}
	if (!opt.no_kill && pml(4)) {
		if (pct(50)) {
			i = below(opt.procs);
			if (workers[i].pid > 0) {
				kill(workers[i].pid, SIGKILL);
				stat_add(ST_KILLS, 1);
			}
		} else {
			/* a child, or a worker's single thread: the process goes */
			struct watch *w = &S->w[pick[below(n)]];

			kill(atomic_load(&w->pid), SIGKILL);
			stat_add(ST_KILLS, 1);
		}
	}
}

static int worker_index(pid_t pid)
{
	int i;

	for (i = 0; i < opt.procs; i++)
		if (workers[i].pid == pid)
			return i;
	return -1;
}

/* Reap what ended; start workers again.  Returns how many workers run. */
static int reap_all(bool respawn)
{
	int status, i, running = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
		i = worker_index(pid);
		if (i < 0) {
			/* an orphaned child of a worker, reparented to us */
			judge_exit(pid, status, "orphan");
			release_watch(pid);
			continue;
		}
		judge_exit(pid, status, "worker");
		if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_PLANNED)
			stat_add(ST_EXITS, 1);
		for (int t = 0; t < MAX_THREADS; t++) {
			struct watch *w = &S->w[i * MAX_THREADS + t];

			atomic_store(&w->op, OP_NONE);
			atomic_store(&w->pid, 0);
			atomic_store(&w->tid, 0);
		}
		workers[i].pid = 0;
		workers[i].cont_at = 0;
		if (respawn && !(opt.iterations && WIFEXITED(status) && !WEXITSTATUS(status))) {
			workers[i].gen++;
			spawn_worker(i);
		}
	}
	for (i = 0; i < opt.procs; i++)
		running += workers[i].pid > 0;
	return running;
}

static void unload_tick(void)
{
	int e;

	if (opt.no_unload || !pml(20))
		return;
	stat_add(ST_UNLOADS, 1);
	e = syscall(SYS_delete_module, "kmbox", O_NONBLOCK) ? errno : 0;
	if (!e) {
		violation(C_UNLOAD, "delete_module(\"kmbox\") succeeded while the coordinator holds /dev/kmbox");
		atomic_store(&S->stop, 1);
	} else if (e != EWOULDBLOCK && e != EBUSY && e != EPERM) {
		violation(C_UNLOAD, "delete_module(\"kmbox\"): %s", ename(e));
	}
}

static void print_stats(int64_t elapsed)
{
	uint64_t total = atomic_load(&S->ops);
	int op, e;

	printf("# %" PRIu64 " calls in %.1f s (%.0f/s), %d worker processes x %d threads\n",
	       total, elapsed / 1e9, total / (elapsed / 1e9 + 1e-9), opt.procs, opt.threads);
	for (int st = 0; st < ST_N; st++)
		printf("#   %-44s %" PRIu64 "\n", stat_name[st], atomic_load(&S->stat[st]));
	for (op = 1; op < OP_MAX; op++) {
		char line[512];
		int n;

		if (!atomic_load(&S->op_count[op]))
			continue;
		n = snprintf(line, sizeof(line), "#   %-14s %9" PRIu64 ":", op_name[op],
			     atomic_load(&S->op_count[op]));
		for (e = 0; e < MAX_ERRNO && n < (int)sizeof(line) - 32; e++) {
			uint64_t c = atomic_load(&S->op_err[op][e]);

			if (c)
				n += snprintf(line + n, sizeof(line) - n, " %s %" PRIu64,
					      e ? ename(e) : "ok", c);
		}
		printf("%s\n", line);
	}
}

/* After everything ended: no message received whose send failed. */
static void final_fate_check(void)
{
	uint64_t n = atomic_load(&S->next_id), id, bad = 0;

	if (n > TRACK_N)
		n = TRACK_N;
	for (id = 1; id < n; id++) {
		uint8_t t = atomic_load(&track[id]);

		if ((t & T_RECV) && (t & T_FAIL)) {
			if (!bad)
				violation(C_AMBIG, "message id %" PRIu64 " was received, and its send failed",
					  id);
			bad++;
		}
	}
	if (bad > 1)
		log_line("NOTE: %" PRIu64 " messages received whose send failed", bad);
}

/* ---- --unload-race: unload the module the moment its last user dies ---- */

static void *race_sender(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct kmbox_send snd = { .buf = (uintptr_t)"blocked", .len = 7 };

	ioctl(fd, KMBOX_IOC_SEND, &snd);	/* until killed */
	return NULL;
}

static void *race_receiver(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char b[64];
	struct kmbox_recv rcv = { .buf = (uintptr_t)b, .len = sizeof(b) };

	for (;;)
		ioctl(fd, KMBOX_IOC_RECV, &rcv);
	return NULL;
}

/*
 * A process that uses the module every way that holds a reference: the
 * device, named and anonymous mailboxes with messages queued, threads
 * blocked in send and receive, a child blocked too, handles in epoll, in
 * io_uring requests, and in flight in a UNIX socket nobody can read.
 */
static void race_child(int ready, int cycle)
{
	struct kmbox_create c = { .access = KMBOX_ACCESS_ALL, .mode = 0600 };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
	char name[64], big[4096];
	int dev, named, rdv, full, empty, sv[2], k;
	pthread_t th;
	pid_t pid;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, 0);		/* killed as a group, with its child */
	dev = open(KMBOX_DEVICE, O_RDWR);
	if (dev < 0)
		_exit(EXIT_INTERNAL);
	snprintf(name, sizeof(name), "fz-race-%d", cycle);
	c.name = (uintptr_t)name;
	c.capacity = KMBOX_CAPACITY_UNBOUNDED;
	named = ioctl(dev, KMBOX_IOC_CREATE, &c);
	c.name = 0;
	c.capacity = 0;
	rdv = ioctl(dev, KMBOX_IOC_CREATE, &c);
	c.capacity = 1;
	full = ioctl(dev, KMBOX_IOC_CREATE, &c);
	empty = ioctl(dev, KMBOX_IOC_CREATE, &c);
	if (named < 0 || rdv < 0 || full < 0 || empty < 0)
		_exit(EXIT_INTERNAL);
	memset(big, 'b', sizeof(big));
	for (k = 0; k < 8; k++)
		if (write(named, big, 1 + below(sizeof(big))) < 0)
			break;
	if (write(full, "x", 1) != 1)
		_exit(EXIT_INTERNAL);
	pthread_create(&th, NULL, race_sender, (void *)(intptr_t)rdv);
	pthread_create(&th, NULL, race_sender, (void *)(intptr_t)full);
	pthread_create(&th, NULL, race_receiver, (void *)(intptr_t)empty);
	mypid = getpid();
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != mypid)
			_exit(0);
		race_receiver((void *)(intptr_t)empty);
	}
	epfd = epoll_create1(0);
	epoll_ctl(epfd, EPOLL_CTL_ADD, named, &ev);
	epoll_ctl(epfd, EPOLL_CTL_ADD, rdv, &ev);
	if (!socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(3 * sizeof(int))];
		} cm;
		struct iovec iov = { .iov_base = "h", .iov_len = 1 };
		struct msghdr m = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cm.buf, .msg_controllen = sizeof(cm.buf),
		};
		int fds[3] = { empty, dev, sv[1] };

		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(&cm.h), fds, sizeof(fds));
		sendmsg(sv[0], &m, 0);
		if (pct(50)) {
			close(sv[0]);	/* a cycle: only the collector frees it */
			close(sv[1]);
		}
	}
	mypid = getpid();
	if (!ur_setup()) {
		struct io_uring_sqe *sqe = &ur.sqes[0];

		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_READ;
		sqe->fd = empty;
		sqe->addr = (uintptr_t)ur.buf;
		sqe->len = 64;
		ur.sq_array[0] = 0;
		__atomic_store_n(ur.sq_tail, 1, __ATOMIC_RELEASE);
		syscall(__NR_io_uring_enter, ur.fd, 1, 0, 0, NULL, 0);
	}
	if (write(ready, "r", 1) != 1)
		_exit(EXIT_INTERNAL);
	/* Traffic until killed. */
	for (;;) {
		struct kmbox_send snd = { .flags = KMBOX_MSG_NONBLOCK,
					  .buf = (uintptr_t)big, .len = below(sizeof(big)) };
		struct kmbox_recv rcv = { .flags = KMBOX_MSG_NONBLOCK,
					  .buf = (uintptr_t)big, .len = sizeof(big) };

		ioctl(named, KMBOX_IOC_SEND, &snd);
		if (pct(50))
			ioctl(named, KMBOX_IOC_RECV, &rcv);
	}
}

/*
 * Handles in flight in an AF_UNIX reference cycle nobody can reach are
 * released by the UNIX garbage collector, which runs when a UNIX socket is
 * released while any descriptor is in flight: make that happen.
 */
static void unix_gc(void)
{
	int sv[2];

	if (!socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		close(sv[0]);
		close(sv[1]);
	}
}

static int unload_race(void)
{
	int cycle, failed = 0;
	pid_t reader;

	reader = fork();
	if (reader == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		rs = seed_for(opt.seed, 0x7ead, 0, 0);
		W = &W_dummy;
		for (;;) {
			op_proc();
			if (pct(50))
				sched_yield();
		}
	}

	for (cycle = 0; cycle < opt.unload_race; cycle++) {
		struct pollfd pfd;
		int p[2], e, fd, tries, status;
		int64_t end;
		char b;
		pid_t pid;

		if (pipe2(p, O_CLOEXEC))
			return 1;
		pid = fork();
		if (pid == 0) {
			rs = seed_for(opt.seed, 0x7ace, cycle, 0);
			close(p[0]);
			race_child(p[1], cycle);
		}
		close(p[1]);
		pfd.fd = p[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 20000) != 1 || read(p[0], &b, 1) != 1) {
			violation(C_PROC, "cycle %d: the module's user did not start", cycle);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(p[0]);
			failed = 1;
			break;
		}
		close(p[0]);
		stat_add(ST_UNLOADS, 1);
		e = syscall(SYS_delete_module, "kmbox", O_NONBLOCK) ? errno : 0;
		if (e != EWOULDBLOCK && e != EBUSY) {
			violation(C_UNLOAD, "cycle %d: delete_module while in use: %s", cycle, ename(e));
			failed = 1;
			if (!e)
				break;
		}
		sleep_ns(below(3 * MS));
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		/* Unload the moment the last reference goes. */
		end = now_ns() + 30 * SEC;
		for (tries = 0;; tries++) {
			e = syscall(SYS_delete_module, "kmbox", O_NONBLOCK) ? errno : 0;
			if (!e)
				break;
			if ((e != EWOULDBLOCK && e != EBUSY) || now_ns() > end) {
				char refs[32] = "?";
				int rf = open("/sys/module/kmbox/refcnt", O_RDONLY);

				if (rf >= 0) {
					ssize_t n = read(rf, refs, sizeof(refs) - 1);

					refs[n > 0 ? n - 1 : 0] = '\0';
					close(rf);
				}
				violation(C_UNLOAD, "cycle %d: module not unloadable 30 s after its user was killed: %s, refcnt %s",
					  cycle, ename(e), refs);
				waitpid(pid, NULL, 0);
				return 1;
			}
			if (tries > 1000)
				sleep_ns(100 * US);
			if (tries % 1000 == 999)
				unix_gc();
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		fd = open(opt.module, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0)) {
			violation(C_UNLOAD, "cycle %d: loading %s again: %s", cycle, opt.module,
				  ename(errno));
			return 1;
		}
		close(fd);
		for (end = now_ns() + 5 * SEC; access(KMBOX_DEVICE, F_OK) && now_ns() < end;)
			sleep_ns(MS);
		drain_log();
	}
	if (reader > 0) {
		kill(reader, SIGKILL);
		waitpid(reader, NULL, 0);
	}
	return failed;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fuzz [--seed N] [--seconds N] [--procs N] [--threads N] [--iterations N]\n"
		"            [--slack SECONDS] [--smoke] [--quiet] [--no-signals] [--no-kill]\n"
		"            [--no-params] [--no-unload] [--no-nobody] [--no-scenarios]\n"
		"       fuzz --unload-race CYCLES --module KMBOX.KO [--seed N]\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "procs", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 'T' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "slack", required_argument, NULL, 'S' },
		{ "smoke", no_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-signals", no_argument, NULL, 1 },
		{ "no-kill", no_argument, NULL, 2 },
		{ "no-params", no_argument, NULL, 3 },
		{ "no-unload", no_argument, NULL, 4 },
		{ "no-nobody", no_argument, NULL, 5 },
		{ "no-scenarios", no_argument, NULL, 6 },
		{ "unload-race", required_argument, NULL, 7 },
		{ "module", required_argument, NULL, 8 },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool have_seed = false, have_secs = false, have_procs = false, have_threads = false;
	int c;

#ifdef FUZZ_DEFAULT_SMOKE
	opt.smoke = true;
#endif
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': opt.seed = strtoull(optarg, NULL, 0); have_seed = true; break;
		case 't': opt.seconds = atoi(optarg); have_secs = true; break;
		case 'p': opt.procs = atoi(optarg); have_procs = true; break;
		case 'T': opt.threads = atoi(optarg); have_threads = true; break;
		case 'i': opt.iterations = atol(optarg); break;
		case 'S': opt.slack = atoi(optarg); break;
		case 'k': opt.smoke = true; break;
		case 'q': opt.quiet = true; break;
		case 1: opt.no_signals = true; break;
		case 2: opt.no_kill = true; break;
		case 3: opt.no_params = true; break;
		case 4: opt.no_unload = true; break;
		case 5: opt.no_nobody = true; break;
		case 6: opt.no_scenarios = true; break;
		case 7: opt.unload_race = atoi(optarg); break;
		case 8: opt.module = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (opt.smoke) {
		/* make check: short, and the module's limits left alone */
		if (!have_secs)
			opt.seconds = 10;
		if (!have_procs)
			opt.procs = 2;
		if (!have_threads)
			opt.threads = 2;
		opt.no_params = true;
	}
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt.seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ getpid();
		opt.seed &= 0xffffffffULL;
	}
	if ((opt.unload_race && !opt.module) || opt.unload_race < 0)
		usage();
	if (opt.seconds < 1 || opt.procs < 1 || opt.procs > MAX_PROCS ||
	    opt.threads < 1 || opt.threads > MAX_THREADS || opt.slack < 1)
		usage();
}

int main(int argc, char **argv)
{
	int64_t now, last_status, end_wait;
	int i, running, check, failed = 0;
	char cmdline[512], iters[48] = "";
	struct sigaction sa;
	int n;

	parse(argc, argv);
	if (opt.iterations)
		snprintf(iters, sizeof(iters), " --iterations %ld", opt.iterations);
	setvbuf(stdout, NULL, _IOLBF, 0);
	n = snprintf(cmdline, sizeof(cmdline), "fuzz --seed %" PRIu64, opt.seed);
	if (opt.unload_race)
		snprintf(cmdline + n, sizeof(cmdline) - n, " --unload-race %d --module %s",
			 opt.unload_race, opt.module);
	else
		snprintf(cmdline + n, sizeof(cmdline) - n,
			 " --seconds %d --procs %d --threads %d%s%s%s%s%s%s%s",
			 opt.seconds, opt.procs, opt.threads,
			 opt.no_signals ? " --no-signals" : "", opt.no_kill ? " --no-kill" : "",
			 opt.no_params ? " --no-params" : "", opt.no_unload ? " --no-unload" : "",
			 opt.no_nobody ? " --no-nobody" : "",
			 opt.no_scenarios ? " --no-scenarios" : "", iters);
	printf("TAP version 13\n");
	printf("# fuzz: seed %" PRIu64 " (replay: %s)\n", opt.seed, cmdline);

	ctl = open(KMBOX_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		printf("1..0 # SKIP %s: %s (is kmbox.ko loaded?)\n", KMBOX_DEVICE, strerror(errno));
		return 4;
	}
	memset(&L, 0, sizeof(L));
	if (ioctl(ctl, KMBOX_IOC_LIMITS, &L)) {
		printf("Bail out! LIMITS: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < (int)ARRAY_SIZE(params); i++) {
		param_have[i] = !opt.no_params && getuid() == 0 &&
				!param_rw(params[i], &param_saved[i], false);
		limits_move |= param_have[i];
	}
	/* Limits changed by an earlier run that was killed: the largest we know. */
	if (L.max_msg_size < (1U << 20))
		L.max_msg_size = 1U << 20;
	bufsz = L.max_msg_size + 4 * PAGE;

	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	track = mmap(NULL, TRACK_N, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
		     -1, 0);
	track_who = mmap(NULL, WHO_N * sizeof(*track_who), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (S == MAP_FAILED || track == MAP_FAILED || track_who == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return 1;
	}
	S->seed = opt.seed;
	S->coordinator = getpid();
	atomic_store(&S->next_id, 1);
	for (i = 0; i < NNAMES; i++)
		snprintf(S->names[i], sizeof(S->names[i]), i == NNAMES - 1 ?
			 "fz-%08" PRIx64 "-\xff\x01 odd" : "fz-%08" PRIx64 "-%d",
			 opt.seed & 0xffffffff, i);
	g_none = map(NONE_SIZE, PROT_NONE);
	g_ro = map(PAGE, PROT_READ | PROT_WRITE);
	memset(g_ro, JUNK, RO_NAME_OFF);
	strcpy((char *)g_ro + RO_NAME_OFF, S->names[0]);
	mprotect(g_ro, PAGE, PROT_READ);
	mypid = getpid();
	myuid = geteuid();
	rs = seed_for(opt.seed, 0xc0, 0, 0);
	snprintf(who, sizeof(who), "coordinator");
	W = &W_dummy;

	/* Names left by an earlier run would change nothing, but start clean. */
	for (i = 0; i < NNAMES; i++) {
		struct kmbox_unlink u = { .name = (uintptr_t)S->names[i] };

		ioctl(ctl, KMBOX_IOC_UNLINK, &u);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	if (opt.unload_race) {
		static const int race_checks[] = { C_UNLOAD, C_PROC, C_INFO, C_ERRNO };
		int64_t t0 = now_ns();

		close(ctl);	/* the module must be free to go */
		unload_race();
		drain_log();
		printf("# %d unload cycles in %.1f s\n", opt.unload_race, (now_ns() - t0) / 1e9);
		printf("1..%zu\n", ARRAY_SIZE(race_checks));
		for (i = 0; i < (int)ARRAY_SIZE(race_checks); i++) {
			uint64_t v = atomic_load(&S->viol[race_checks[i]]);

			failed += !!v;
			printf("%s %d fuzz: unload race: %s\n", v ? "not ok" : "ok", i + 1,
			       race_checks[i] == C_UNLOAD ?
			       "the module unloads once its users die, not before" :
			       race_checks[i] == C_PROC ? "its users start and die" :
			       race_checks[i] == C_INFO ?
			       "/proc/kmbox read throughout stays well-formed" :
			       "reading /proc/kmbox fails only with ENOENT or EIO");
		}
		printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
		       (int)ARRAY_SIZE(race_checks) - failed, failed);
		return failed ? 1 : 0;
	}

	S->t0 = now_ns();
	S->deadline = S->t0 + (int64_t)opt.seconds * SEC;
	for (i = 0; i < opt.procs; i++)
		if (spawn_worker(i) < 0) {
			printf("Bail out! fork: %s\n", strerror(errno));
			return 1;
		}

	last_status = S->t0;
	for (;;) {
		now = now_ns();
		drain_log();
		running = reap_all(!atomic_load(&S->stop) && now < S->deadline);
		if (now >= S->deadline || atomic_load(&S->stop) || !running)
			break;
		watchdog(now, false);
		signals_tick(now);
		if (param_changed >= 0 || (!opt.no_params && getuid() == 0))
			params_tick(now);
		unload_tick();
		if (!opt.quiet && now - last_status >= 10 * SEC) {
			printf("# %3.0f s: %" PRIu64 " calls, %" PRIu64 " messages received, %" PRIu64
			       " violations\n", (now - S->t0) / 1e9, atomic_load(&S->ops),
			       atomic_load(&S->stat[ST_RECEIVED]),
			       atomic_load(&S->viol[C_ERRNO]) + atomic_load(&S->viol[C_VALID]) +
			       atomic_load(&S->viol[C_INFO]) + atomic_load(&S->viol[C_PAYLOAD]) +
			       atomic_load(&S->viol[C_TIMING]) + atomic_load(&S->viol[C_SCENARIO]));
			last_status = now;
		}
		sleep_ns(20 * MS);
	}

	/* Stop: let the workers finish, kicking blocked calls; then SIGKILL. */
	atomic_store(&S->stop, 1);
	for (i = 0; i < opt.procs; i++)
		if (workers[i].pid > 0 && workers[i].cont_at) {
			kill(workers[i].pid, SIGCONT);
			workers[i].cont_at = 0;
		}
	end_wait = now_ns() + 10 * SEC;
	while ((running = reap_all(false)) > 0 && now_ns() < end_wait) {
		watchdog(now_ns(), true);
		drain_log();
		sleep_ns(20 * MS);
	}
	for (i = 0; i < opt.procs; i++)
		if (workers[i].pid > 0)
			kill(-workers[i].pid, SIGKILL), kill(workers[i].pid, SIGKILL);
	/* Every task, orphans included, must be gone soon after SIGKILL. */
	end_wait = now_ns() + 60 * SEC;
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);

		if (pid > 0) {
			i = worker_index(pid);
			if (i >= 0)
				workers[i].pid = 0;
			else
				release_watch(pid);
			continue;
		}
		if (pid < 0 && errno == ECHILD)
			break;
		if (now_ns() > end_wait) {
			char stack[300];

			for (i = 0; i < NWATCH; i++) {
				pid_t p = atomic_load(&S->w[i].pid), t = atomic_load(&S->w[i].tid);

				if (p > 0 && t > 0 && task_state(p, t) != 'X') {
					task_stack(p, t, stack, sizeof(stack));
					violation(C_PROC, "task %d of %d not gone 60 s after SIGKILL: state %c stack %s",
						  (int)t, (int)p, task_state(p, t), stack);
				}
			}
			violation(C_PROC, "processes left 60 s after SIGKILL");
			break;
		}
		sleep_ns(20 * MS);
	}
	now = now_ns();

	/* Clean up: names, limits, our descriptor. */
	for (i = 0; i < NNAMES; i++) {
		struct kmbox_unlink u = { .name = (uintptr_t)S->names[i] };

		ioctl(ctl, KMBOX_IOC_UNLINK, &u);
	}
	params_restore();
	close(ctl);
	unix_gc();

	final_fate_check();
	if (!atomic_load(&S->ops) || !atomic_load(&S->stat[ST_RECEIVED]))
		violation(C_RAN, "%" PRIu64 " calls, %" PRIu64 " messages received",
			  atomic_load(&S->ops), atomic_load(&S->stat[ST_RECEIVED]));
	drain_log();
	print_stats(now - S->t0);

	printf("1..%d\n", C_N);
	for (check = 0; check < C_N; check++) {
		uint64_t v = atomic_load(&S->viol[check]);

		if (v)
			failed++;
		printf("%s %d fuzz: %s%s\n", v ? "not ok" : "ok", check + 1, check_name[check],
		       v ? "" : "");
		if (v)
			printf("# %s: %" PRIu64 " violation(s)\n", check_tag[check], v);
	}
	printf("# seed %" PRIu64 ": replay with: %s\n", opt.seed, cmdline);
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n", C_N - failed, failed);
	return failed ? 1 : 0;
}
