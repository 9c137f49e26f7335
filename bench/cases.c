// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cases: who sends, who receives, on which CPU, and what is checked.
 *
 * Every process of a case is a child of the bench process, pinned to its
 * CPU before it starts; the children meet at a barrier in shared memory
 * (a futex, so that nobody spins) and each times only its own loop: a run
 * lasts from the first child's start to the last child's end, and its CPU
 * time and context switches are the sum of every child's getrusage over
 * its loop.  The parent only waits (or, in the syscall pass, traces).
 *
 * Each message carries its sequence number (and, among 4+4, its sender) in
 * its first 16 bytes; every receiver checks that it gets them in order, the
 * full length, and, at the end, that none is missing.  A case whose checks
 * fail reports the error instead of a rate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bench.h"

const char *const case_names[NR_CASES] = {
	[CASE_ONEPROC] = "oneproc",
	[CASE_STREAM_X] = "stream-x",
	[CASE_STREAM_1] = "stream-1",
	[CASE_RTT_1] = "rtt-1",
	[CASE_RTT_X] = "rtt-x",
	[CASE_MPMC] = "mpmc-4x4",
};

#define MPMC		4
#define MAX_PROCS	(2 * MPMC)
#define STOP_SEQ	UINT64_MAX
/* Markers of the loop for the ptrace pass: close() of fds that never exist. */
#define MARK_BEGIN	(-7770)
#define MARK_END	(-7771)
/* A run that takes this long is stuck: its processes are killed. */
#define RUN_LIMIT_SECS	300

struct proc_out {
	double t0, t1;
	double cpu;
	uint64_t csw;
	uint64_t count;		/* messages received (mpmc) */
	int ok;
	char err[96];
};

struct shared {
	_Atomic uint32_t arrived;
	_Atomic uint32_t go;
	uint32_t nprocs;
	struct proc_out out[MAX_PROCS];
};

/* The first 16 bytes of every message (the smallest size is 16). */
struct msg_hdr {
	uint64_t seq;
	uint32_t sender;
	uint32_t pad;	/* cppcheck-suppress unusedStructMember ; explicit padding */
};

int case_parse(const char *s)
{
	int k;

	for (k = 0; k < NR_CASES; k++)
		if (strcmp(s, case_names[k]) == 0)
			return k;
	return -1;
}

static long futex(_Atomic uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static void barrier(struct shared *sh)
{
	if (atomic_fetch_add(&sh->arrived, 1) + 1 == sh->nprocs) {
		atomic_store(&sh->go, 1);
		futex(&sh->go, FUTEX_WAKE, INT32_MAX);
		return;
	}
	while (!atomic_load(&sh->go))
		futex(&sh->go, FUTEX_WAIT, 0);
}

static void mark(int which)
{
	/* Fails with EBADF; the tracer only looks at its argument. */
	syscall(SYS_close, which);
}

static double rusage_cpu(struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
	       (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

/* A buffer with BENCH_HEADROOM bytes before it, cache-line aligned. */
static char *msg_buf(size_t size)
{
	char *p;

	if (posix_memalign((void **)&p, 64, size + 64))
		return NULL;
	memset(p, 0, size + 64);
	return p + 64;
}

static void msg_free(char *buf)
{
	if (buf)
		free(buf - 64);
}

static void stamp(char *buf, uint64_t seq, uint32_t sender)
{
	struct msg_hdr h = { .seq = seq, .sender = sender };

	memcpy(buf, &h, sizeof(h));
}

static struct msg_hdr hdr_of(const char *buf)
{
	struct msg_hdr h;

	memcpy(&h, buf, sizeof(h));
	return h;
}

struct role {
	enum bench_case k;
	int idx;		/* process index */
	struct chan *c0, *c1;	/* c1: the reply channel of round trips */
	size_t size;
	uint64_t n;
	int cpu;
	int trace;
};

#define FAIL(o, ...) do { snprintf((o)->err, sizeof((o)->err), __VA_ARGS__); return; } while (0)

static int recv_one(struct chan *c, char *buf, size_t size, struct proc_out *o)
{
	ssize_t got = c->peer->recv(c, buf, size);

	if (got < 0) {
		snprintf(o->err, sizeof(o->err), "receive: %s", strerror((int)-got));
		return -1;
	}
	if ((size_t)got != size) {
		snprintf(o->err, sizeof(o->err), "received %zd bytes, sent %zu", got, size);
		return -1;
	}
	return 0;
}

static int send_one(struct chan *c, const char *buf, size_t size, struct proc_out *o)
{
	int ret = c->peer->send(c, buf, size);

	if (ret < 0) {
		snprintf(o->err, sizeof(o->err), "send: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

/* The loop of one process: what it sends, receives and checks. */
static void role_loop(const struct role *r, char *buf, struct proc_out *o)
{
	uint64_t i, last[MPMC], per = r->n / MPMC;
	struct msg_hdr h;

	switch (r->k) {
	case CASE_ONEPROC:
		for (i = 0; i < r->n; i++) {
			stamp(buf, i, 0);
			if (send_one(r->c0, buf, r->size, o) || recv_one(r->c0, buf, r->size, o))
				return;
			if (hdr_of(buf).seq != i)
				FAIL(o, "message %llu came back as %llu", (unsigned long long)i,
				     (unsigned long long)hdr_of(buf).seq);
		}
		break;
	case CASE_STREAM_X:
	case CASE_STREAM_1:
		for (i = 0; i < r->n; i++) {
			if (r->idx == 0) {
				stamp(buf, i, 0);
				if (send_one(r->c0, buf, r->size, o))
					return;
			} else {
				if (recv_one(r->c0, buf, r->size, o))
					return;
				if (hdr_of(buf).seq != i)
					FAIL(o, "expected message %llu, got %llu",
					     (unsigned long long)i, (unsigned long long)hdr_of(buf).seq);
			}
		}
		break;
	case CASE_RTT_1:
	case CASE_RTT_X:
		for (i = 0; i < r->n; i++) {
			if (r->idx == 0) {
				stamp(buf, i, 0);
				if (send_one(r->c0, buf, r->size, o) || recv_one(r->c1, buf, r->size, o))
					return;
			} else {
				if (recv_one(r->c0, buf, r->size, o))
					return;
				if (send_one(r->c1, buf, r->size, o))
					return;
			}
			if (hdr_of(buf).seq != i)
				FAIL(o, "round trip %llu: got message %llu", (unsigned long long)i,
				     (unsigned long long)hdr_of(buf).seq);
		}
		break;
	case CASE_MPMC:
		if (r->idx < MPMC) {
			for (i = 0; i < per; i++) {
				stamp(buf, i, (uint32_t)r->idx);
				if (send_one(r->c0, buf, r->size, o))
					return;
			}
			stamp(buf, STOP_SEQ, (uint32_t)r->idx);
			if (send_one(r->c0, buf, r->size, o))
				return;
			break;
		}
		memset(last, 0xff, sizeof(last));
		for (;;) {
			if (recv_one(r->c0, buf, r->size, o))
				return;
			h = hdr_of(buf);
			if (h.sender >= MPMC)
				FAIL(o, "message from sender %u of %d", h.sender, MPMC);
			if (h.seq == STOP_SEQ)
				break;
			/* Per sender, one receiver sees sequence numbers rise. */
			if (last[h.sender] != UINT64_MAX && h.seq <= last[h.sender])
				FAIL(o, "sender %u: message %llu after %llu", h.sender,
				     (unsigned long long)h.seq, (unsigned long long)last[h.sender]);
			last[h.sender] = h.seq;
			o->count++;
		}
		break;
	default:
		FAIL(o, "no such case");
	}
	o->ok = 1;
}

/* Sends messages first..first+k-1, as many calls as it takes. */
static int send_batch_all(struct chan *c, char *const *bufs, size_t size, uint64_t first,
			  unsigned int k, struct proc_out *o)
{
	unsigned int i, sent = 0;
	int n;

	for (i = 0; i < k; i++)
		stamp(bufs[i], first + i, 0);
	while (sent < k) {
		n = c->peer->send_batch(c, bufs + sent, size, k - sent);
		if (n <= 0) {
			snprintf(o->err, sizeof(o->err), "batched send: %s",
				 n ? strerror(-n) : "sent nothing");
			return -1;
		}
		sent += (unsigned int)n;
	}
	return 0;
}

/* Receives up to k messages in one call, checking they are *next on: how many. */
static int recv_batch_check(struct chan *c, char *const *bufs, size_t size, uint64_t *next,
			    unsigned int k, struct proc_out *o)
{
	size_t lens[BENCH_BATCH_MAX];
	int n, i;

	n = c->peer->recv_batch(c, bufs, size, k, lens);
	if (n <= 0) {
		snprintf(o->err, sizeof(o->err), "batched receive: %s",
			 n ? strerror(-n) : "received nothing");
		return -1;
	}
	for (i = 0; i < n; i++, (*next)++) {
		if (lens[i] != size) {
			snprintf(o->err, sizeof(o->err), "received %zu bytes, sent %zu", lens[i],
				 size);
			return -1;
		}
		if (hdr_of(bufs[i]).seq != *next) {
			snprintf(o->err, sizeof(o->err), "expected message %llu, got %llu",
				 (unsigned long long)*next,
				 (unsigned long long)hdr_of(bufs[i]).seq);
			return -1;
		}
	}
	return n;
}

/*
 * The loop of a batched peer (c->batch messages per call): one process
 * sends a batch and receives it back, or a sender streams batches to a
 * receiver that takes what each call gives it.
 */
static void batch_loop(const struct role *r, char *const *bufs, struct proc_out *o)
{
	unsigned int b = r->c0->batch;
	uint64_t i, next = 0;
	unsigned int k;
	int n;

	switch (r->k) {
	case CASE_ONEPROC:
		for (i = 0; i < r->n; i += k) {
			k = r->n - i < b ? (unsigned int)(r->n - i) : b;
			if (send_batch_all(r->c0, bufs, r->size, i, k, o))
				return;
			while (next < i + k) {
				n = recv_batch_check(r->c0, bufs, r->size, &next,
						     (unsigned int)(i + k - next), o);
				if (n < 0)
					return;
			}
		}
		break;
	case CASE_STREAM_X:
	case CASE_STREAM_1:
		if (r->idx == 0) {
			for (i = 0; i < r->n; i += k) {
				k = r->n - i < b ? (unsigned int)(r->n - i) : b;
				if (send_batch_all(r->c0, bufs, r->size, i, k, o))
					return;
			}
			break;
		}
		while (next < r->n) {
			k = r->n - next < b ? (unsigned int)(r->n - next) : b;
			if (recv_batch_check(r->c0, bufs, r->size, &next, k, o) < 0)
				return;
		}
		break;
	default:
		FAIL(o, "no batched form of case %s", case_names[r->k]);
	}
	o->ok = 1;
}

/*
 * The loop of a call peer, round trips only: the client (process 0) calls
 * with message i and checks the reply it gets into rbuf; the server takes
 * each call and replies with the request it got (an echo), the reply to
 * call i going with its receive of call i + 1, the last one alone.
 */
static void call_loop(const struct role *r, char *buf, char *rbuf, struct proc_out *o)
{
	const struct peer *p = r->c0->peer;
	uint64_t i;
	ssize_t got;
	int ret;

	if (r->k != CASE_RTT_1 && r->k != CASE_RTT_X)
		FAIL(o, "a call peer only makes round trips");
	for (i = 0; i < r->n; i++) {
		if (r->idx == 0) {
			stamp(buf, i, 0);
			got = p->call(r->c0, buf, r->size, rbuf, r->size);
			if (got < 0)
				FAIL(o, "call: %s", strerror((int)-got));
			if ((size_t)got != r->size)
				FAIL(o, "reply of %zd bytes to a call of %zu", got, r->size);
			if (hdr_of(rbuf).seq != i)
				FAIL(o, "call %llu: reply to %llu", (unsigned long long)i,
				     (unsigned long long)hdr_of(rbuf).seq);
			continue;
		}
		/* buf still holds call i - 1's request: the echo. */
		got = p->reply_recv(r->c0, buf, r->size, buf, r->size);
		if (got < 0)
			FAIL(o, "reply and receive: %s", strerror((int)-got));
		if ((size_t)got != r->size)
			FAIL(o, "received %zd bytes, sent %zu", got, r->size);
		if (hdr_of(buf).seq != i)
			FAIL(o, "expected call %llu, got %llu", (unsigned long long)i,
			     (unsigned long long)hdr_of(buf).seq);
	}
	if (r->idx != 0 && r->n) {
		ret = p->reply(r->c0, buf, r->size);
		if (ret < 0)
			FAIL(o, "reply: %s", strerror(-ret));
	}
	o->ok = 1;
}

static void __attribute__((noreturn)) child(const struct role *r, struct shared *sh)
{
	struct proc_out *o = &sh->out[r->idx];
	char *bufs[BENCH_BATCH_MAX] = { NULL };
	unsigned int nbufs = r->c0->batch ? r->c0->batch : 1, i;
	/* A call peer's client has a second buffer, for the reply. */
	char *rbuf = NULL;
	struct rusage ru0, ru1;
	char *buf;

	if (r->trace) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(1);
		raise(SIGSTOP);
	}
	if (pin_cpu(r->cpu))
		snprintf(o->err, sizeof(o->err), "sched_setaffinity(CPU %d): %s", r->cpu,
			 strerror(errno));
	for (i = 0; i < nbufs; i++)
		bufs[i] = msg_buf(r->size);
	buf = bufs[nbufs - 1];
	for (i = 0; i < nbufs; i++)
		if (!bufs[i])
			buf = NULL;
	if (r->c0->peer->call && r->idx == 0) {
		rbuf = msg_buf(r->size);
		if (!rbuf)
			buf = NULL;
	}
	if (!buf)
		snprintf(o->err, sizeof(o->err), "out of memory");
	barrier(sh);
	if (o->err[0] || !buf)
		_exit(1);
	getrusage(RUSAGE_SELF, &ru0);
	o->t0 = now_secs();
	if (r->trace)
		mark(MARK_BEGIN);
	if (r->c0->batch)
		batch_loop(r, bufs, o);
	else if (r->c0->peer->call)
		call_loop(r, buf, rbuf, o);
	else
		role_loop(r, buf, o);
	if (r->trace)
		mark(MARK_END);
	o->t1 = now_secs();
	getrusage(RUSAGE_SELF, &ru1);
	o->cpu = rusage_cpu(&ru1) - rusage_cpu(&ru0);
	o->csw = (uint64_t)(ru1.ru_nvcsw - ru0.ru_nvcsw + ru1.ru_nivcsw - ru0.ru_nivcsw);
	for (i = 0; i < nbufs; i++)
		msg_free(bufs[i]);
	msg_free(rbuf);
	_exit(o->ok ? 0 : 1);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * The syscall pass: the children stopped themselves (PTRACE_TRACEME, then
 * SIGSTOP); count every syscall entry each makes between its two markers.
 */
static uint64_t trace_children(pid_t *pids, int n, uint64_t *first)
{
	int counting[MAX_PROCS] = { 0 }, left = n, st, i;
	uint64_t total = 0;
	pid_t pid;

	while (left > 0) {
		pid = waitpid(-1, &st, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				break;
			continue;
		}
		for (i = 0; i < n && pids[i] != pid; i++)
			;
		if (i == n)
			continue;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			pids[i] = -pids[i];
			left--;
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
			struct __ptrace_syscall_info si;

			/* ptrace's addr and data are integers here: as the man page says. */
			if (ptrace(PTRACE_GET_SYSCALL_INFO, pid,
				   (void *)sizeof(si), &si) > 0 && // NOLINT(performance-no-int-to-ptr)
			    si.op == PTRACE_SYSCALL_INFO_ENTRY) {
				if (si.entry.nr == SYS_close && (int)si.entry.args[0] == MARK_BEGIN)
					counting[i] = 1;
				else if (si.entry.nr == SYS_close && (int)si.entry.args[0] == MARK_END)
					counting[i] = 0;
				else if (counting[i]) {
					total++;
					*first += i == 0;
				}
			}
			ptrace(PTRACE_SYSCALL, pid, NULL, NULL);
		} else if (WSTOPSIG(st) == SIGSTOP && !counting[i]) {
			ptrace(PTRACE_SETOPTIONS, pid, NULL,
			       (void *)(PTRACE_O_TRACESYSGOOD | // NOLINT(performance-no-int-to-ptr)
					PTRACE_O_EXITKILL));
			ptrace(PTRACE_SYSCALL, pid, NULL, NULL);
		} else {
			ptrace(PTRACE_SYSCALL, pid, NULL,
			       (void *)(long)WSTOPSIG(st)); // NOLINT(performance-no-int-to-ptr)
		}
	}
	return total;
}

static void case_roles(enum bench_case k, int *nprocs, int cpus[MAX_PROCS], int *nchans)
{
	int i;

	*nchans = 1;
	switch (k) {
	case CASE_ONEPROC:
		*nprocs = 1;
		cpus[0] = 0;
		break;
	case CASE_STREAM_1:
	case CASE_RTT_1:
		*nprocs = 2;
		cpus[0] = cpus[1] = 0;
		*nchans = k == CASE_RTT_1 ? 2 : 1;
		break;
	case CASE_STREAM_X:
	case CASE_RTT_X:
		*nprocs = 2;
		cpus[0] = 0;
		cpus[1] = 1;
		*nchans = k == CASE_RTT_X ? 2 : 1;
		break;
	default:
		/* Senders and receivers spread over both CPUs, alternating. */
		*nprocs = 2 * MPMC;
		for (i = 0; i < 2 * MPMC; i++)
			cpus[i] = i % 2;
		break;
	}
}

int case_run(enum bench_case k, const struct peer_spec *ps, size_t size, uint64_t n,
	     int trace, struct sample *s)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	int nprocs, nchans, cpus[MAX_PROCS], i, st, ret = -1, killed = 0;
	pid_t pids[MAX_PROCS];
	struct chan c[2];
	struct shared *sh;
	double t0 = 1e300, t1 = 0;
	uint64_t received = 0;

	memset(s, 0, sizeof(*s));
	if (k == CASE_MPMC)
		n -= n % MPMC;
	case_roles(k, &nprocs, cpus, &nchans);
	/* A call carries its reply back over the same mailbox. */
	if (ps->peer->call)
		nchans = 1;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		snprintf(s->err, sizeof(s->err), "mmap: %s", strerror(errno));
		return -1;
	}
	memset(sh, 0, sizeof(*sh));
	sh->nprocs = (uint32_t)nprocs;
	memset(c, 0, sizeof(c));
	for (i = 0; i < nchans; i++)
		if (chan_open(&c[i], ps, size, s->err, sizeof(s->err)))
			goto out_chans;
	/* One process sends, then receives: the message (batch) must fit in whole. */
	if (k == CASE_ONEPROC && c[0].hold &&
	    c[0].hold < (c[0].batch ? c[0].rcap : size)) {
		snprintf(s->err, sizeof(s->err), "holds %zu bytes, less than one %s",
			 c[0].hold, c[0].batch ? "batch" : "message");
		goto out_chans;
	}

	sigaction(SIGALRM, &sa, &old);
	for (i = 0; i < nprocs; i++) {
		struct role r = { .k = k, .idx = i, .c0 = &c[0], .c1 = &c[nchans - 1],
				  .size = size, .n = n, .cpu = cpus[i], .trace = trace };

		pids[i] = fork();
		if (pids[i] == 0)
			child(&r, sh);
		if (pids[i] < 0) {
			snprintf(s->err, sizeof(s->err), "fork: %s", strerror(errno));
			for (st = 0; st < i; st++)
				kill(pids[st], SIGKILL);
			nprocs = i;
			killed = 1;
			break;
		}
	}
	alarm(RUN_LIMIT_SECS);
	if (trace && !killed)
		s->syscalls = trace_children(pids, nprocs, &s->syscalls0);
	for (i = 0; i < nprocs; i++) {
		pid_t p = pids[i] < 0 ? -pids[i] : pids[i];

		if (pids[i] < 0 && trace)
			continue;	/* reaped by trace_children */
		while (waitpid(p, &st, __WALL) < 0) {
			if (errno != EINTR)
				break;
			/* The alarm: kill them all, then reap. */
			for (st = 0; st < nprocs; st++)
				kill(pids[st] < 0 ? -pids[st] : pids[st], SIGKILL);
			if (!killed)
				snprintf(s->err, sizeof(s->err), "stuck for %d s: killed",
					 RUN_LIMIT_SECS);
			killed = 1;
		}
	}
	alarm(0);
	sigaction(SIGALRM, &old, NULL);

	s->ok = !killed;
	for (i = 0; i < nprocs; i++) {
		struct proc_out *o = &sh->out[i];

		if (!o->ok) {
			if (s->ok)
				snprintf(s->err, sizeof(s->err), "process %d: %s", i,
					 o->err[0] ? o->err : "died");
			s->ok = 0;
			continue;
		}
		if (o->t0 < t0)
			t0 = o->t0;
		if (o->t1 > t1)
			t1 = o->t1;
		s->cpu_secs += o->cpu;
		s->csw += o->csw;
		received += o->count;
	}
	if (s->ok && k == CASE_MPMC && received != n) {
		snprintf(s->err, sizeof(s->err), "%llu messages received of %llu",
			 (unsigned long long)received, (unsigned long long)n);
		s->ok = 0;
	}
	snprintf(s->note, sizeof(s->note), "%s", c[0].note);
	s->msgs = n;
	s->secs = t1 > t0 ? t1 - t0 : 0;
	ret = 0;
out_chans:
	for (i = 0; i < nchans; i++)
		chan_close(&c[i]);
	munmap(sh, sizeof(*sh));
	return ret;
}
