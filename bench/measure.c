// SPDX-License-Identifier: GPL-2.0-only
/*
 * Measurement: how many messages a run gets, how many runs, what is kept
 * of them, and the floors every figure is read against.
 *
 * A case is first calibrated for each peer: runs of 8, 64, 512... messages
 * (2, 16... with --quick) until one lasts a tenth of the target length;
 * those runs are the warm-up (caches, page tables, the peers' slab caches,
 * the CPU frequency).  Then o->runs runs of the calibrated count, each
 * timed, interleaved among the peers of the case and size, and the min,
 * median and max rate kept; CPU time and context switches per message are
 * the median run's.  With o->syscalls set, a last run of that many messages at 64 B
 * is traced by ptrace to count system calls per message, all processes of
 * the case together (its timing is thrown away: tracing slows every call
 * down, so blocking patterns differ a little from the timed runs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/kmbox.h>

#include "bench.h"

#define MAX_RUNS	32
/* An unbounded queue may fill up to this while its receiver lags. */
#define UNBOUNDED_BYTES	(96ULL << 20)

double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The CPUs this program may use, as it started (before any pinning). */
int ncpus(void)
{
	static int n;
	cpu_set_t set;

	if (!n)
		n = sched_getaffinity(0, sizeof(set), &set) ? 1 : CPU_COUNT(&set);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Whether this peer and case can go together, else why not (a skip). */
static const char *unsupported(enum bench_case k, const struct peer_spec *ps, size_t size)
{
	if (k == CASE_ONEPROC && ps->peer->has_capacity && ps->capacity == 0)
		return "rendezvous: one process cannot be its own receiver";
	if (k == CASE_MPMC && !ps->peer->can_mpmc_big && size > 4096)
		return "writes above PIPE_BUF interleave among 4 writers";
	if (ps->peer->call && k != CASE_RTT_1 && k != CASE_RTT_X)
		return "a call is a round trip";
	if ((k == CASE_STREAM_X || k == CASE_RTT_X || k == CASE_MPMC) && ncpus() < 2)
		return "needs two CPUs";
	return NULL;
}

static void result_init(struct result *r, const struct bench_opts *o, const char *kind,
			const char *name, const char *peer, size_t size)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->env, sizeof(r->env), "%s", o->env);
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->peer, sizeof(r->peer), "%s", peer);
	r->size = size;
	r->syscalls = -1;
	r->syscalls0 = -1;
	snprintf(r->note, sizeof(r->note), "-");
}

/* One peer's part of a group: its calibrated count and its runs. */
struct member {
	const struct peer_spec *ps;
	struct result *r;
	uint64_t n, cap;
	double rates[MAX_RUNS], cpu[MAX_RUNS], csw[MAX_RUNS];
	int done;		/* skipped or failed: no more runs */
};

static void member_fail(struct member *m, const char *what, const struct sample *s)
{
	m->r->runs = 0;
	snprintf(m->r->note, sizeof(m->r->note), "%s: %s", what, s->err);
	m->done = 1;
}

/* Calibration, which is the warm-up too: 0, or the member is done. */
static void calibrate_member(const struct bench_opts *o, enum bench_case k, size_t size,
			     struct member *m)
{
	struct sample s;
	double secs;

	m->n = o->quick ? 2 : 8;
	for (;;) {
		if (case_run(k, m->ps, size, m->n, 0, &s)) {
			member_fail(m, "skip", &s);
			return;
		}
		if (!s.ok) {
			member_fail(m, "error", &s);
			return;
		}
		if (s.secs >= o->run_secs / 10 || m->n >= m->cap)
			break;
		m->n *= 8;
		if (m->n > m->cap)
			m->n = m->cap;
	}
	secs = s.secs > 1e-6 ? s.secs : 1e-6;
	m->n = (uint64_t)((double)m->n * o->run_secs / secs);
	if (m->n < 4)
		m->n = 4;
	if (m->n > m->cap)
		m->n = m->cap;
	if (s.note[0])
		snprintf(m->r->note, sizeof(m->r->note), "%s", s.note);
}

static void member_stats(struct member *m, int runs)
{
	double sorted[MAX_RUNS];
	struct result *r = m->r;
	int i;

	memcpy(sorted, m->rates, sizeof(double) * (size_t)runs);
	qsort(sorted, (size_t)runs, sizeof(double), cmp_double);
	r->n = m->n;
	r->runs = runs;
	r->min = sorted[0];
	r->med = sorted[runs / 2];
	r->max = sorted[runs - 1];
	for (i = 0; i < runs - 1; i++)
		if (m->rates[i] == r->med)
			break;
	r->cpu_ns = m->cpu[i];
	r->csw = m->csw[i];
}

/*
 * One case at one size for several peers.  The runs are interleaved (run
 * 1 of every peer, then run 2...), so that a change of load on the machine
 * while they run falls on every peer alike rather than on one: the ratios
 * are what this benchmark is for.
 */
void measure_group(const struct bench_opts *o, enum bench_case k, const struct peer_spec *ps,
		   int npeers, size_t size, struct result *res)
{
	struct member *mem = calloc((size_t)npeers, sizeof(*mem));
	int i, j, runs = o->runs > MAX_RUNS ? MAX_RUNS : o->runs < 3 ? 3 : o->runs;
	struct sample s;

	for (j = 0; j < npeers; j++) {
		const char *why = unsupported(k, &ps[j], size);

		result_init(&res[j], o, "case", case_names[k], ps[j].label, size);
		if (!mem) {
			snprintf(res[j].note, sizeof(res[j].note), "error: out of memory");
			continue;
		}
		mem[j].ps = &ps[j];
		mem[j].r = &res[j];
		mem[j].cap = UINT64_MAX;
		if (why) {
			snprintf(res[j].note, sizeof(res[j].note), "skip: %s", why);
			mem[j].done = 1;
			continue;
		}
		if (ps[j].peer->has_capacity && ps[j].capacity == BENCH_UNBOUNDED)
			mem[j].cap = UNBOUNDED_BYTES / (size + 256);
		calibrate_member(o, k, size, &mem[j]);
	}
	if (!mem)
		return;

	for (i = 0; i < runs; i++) {
		for (j = 0; j < npeers; j++) {
			struct member *m = &mem[j];

			if (m->done)
				continue;
			if (case_run(k, m->ps, size, m->n, 0, &s)) {
				member_fail(m, "skip", &s);
				continue;
			}
			if (!s.ok) {
				member_fail(m, "error", &s);
				continue;
			}
			m->rates[i] = (double)s.msgs / (s.secs > 1e-9 ? s.secs : 1e-9);
			m->cpu[i] = s.cpu_secs * 1e9 / (double)s.msgs;
			m->csw[i] = (double)s.csw / (double)s.msgs;
		}
	}

	for (j = 0; j < npeers; j++) {
		struct member *m = &mem[j];

		if (m->done)
			continue;
		member_stats(m, runs);
		if (o->syscalls && size == 64) {
			uint64_t tn = (uint64_t)o->syscalls;

			if (tn > m->cap)
				tn = m->cap;
			if (!case_run(k, m->ps, size, tn, 1, &s) && s.ok) {
				m->r->syscalls = (double)s.syscalls / (double)s.msgs;
				m->r->syscalls0 = (double)s.syscalls0 / (double)s.msgs;
			}
		}
	}
	free(mem);
}

/* ---- floors ------------------------------------------------------------ */

struct floor_run {
	double ns[MAX_RUNS];
	int runs;
};

static void floor_result(const struct bench_opts *o, FILE *out, const char *name,
			 struct floor_run *fr, uint64_t n, const char *note)
{
	struct result r;

	result_init(&r, o, "floor", name, "-", 0);
	qsort(fr->ns, (size_t)fr->runs, sizeof(double), cmp_double);
	r.n = n;
	r.runs = fr->runs;
	r.min = fr->ns[0];
	r.med = fr->ns[fr->runs / 2];
	r.max = fr->ns[fr->runs - 1];
	r.cpu_ns = r.med;
	snprintf(r.note, sizeof(r.note), "%s", note);
	result_print(out, &r);
	fflush(out);
}

/* The cheapest system call there is: the cost of entering the kernel. */
static double null_syscall(uint64_t n)
{
	double t0 = now_secs();
	uint64_t i;

	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	return (now_secs() - t0) * 1e9 / (double)n;
}

/*
 * An unknown ioctl on a kmbox handle: the way into the module and out
 * again with ENOTTY, no copy, no lock: the ioctl path's floor.
 */
static double noop_ioctl(int fd, uint64_t n)
{
	double t0 = now_secs();
	uint64_t i;

	for (i = 0; i < n; i++)
		if (ioctl(fd, _IO(KMBOX_IOC_MAGIC, 0x7f)) == 0)
			return -1;
	return (now_secs() - t0) * 1e9 / (double)n;
}

static long futex_op(_Atomic uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

/*
 * Futex ping-pong between two processes: the least a blocking hand-off
 * and back can cost (two wake-ups, two sleeps).  Returns ns per round trip.
 */
static double futex_pingpong(int cpu_a, int cpu_b, uint64_t n)
{
	_Atomic uint32_t *w;
	double t0, t;
	uint64_t i;
	pid_t pid;
	int st;

	w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED)
		return -1;
	atomic_store(w, 0);
	pid = fork();
	if (pid == 0) {
		pin_cpu(cpu_b);
		for (i = 0; i < n; i++) {
			while (atomic_load(w) != 1)
				futex_op(w, FUTEX_WAIT, 0);
			atomic_store(w, 0);
			futex_op(w, FUTEX_WAKE, 1);
		}
		_exit(0);
	}
	if (pid < 0) {
		munmap(w, 4096);
		return -1;
	}
	pin_cpu(cpu_a);
	t0 = now_secs();
	for (i = 0; i < n; i++) {
		atomic_store(w, 1);
		futex_op(w, FUTEX_WAKE, 1);
		while (atomic_load(w) != 0)
			futex_op(w, FUTEX_WAIT, 1);
	}
	t = now_secs() - t0;
	waitpid(pid, &st, 0);
	munmap(w, 4096);
	return t * 1e9 / (double)n;
}

/* n such that one run of fn lasts about o->run_secs. */
static uint64_t calibrate(const struct bench_opts *o, double per_ns)
{
	double n = o->run_secs * 1e9 / (per_ns > 1 ? per_ns : 1);

	return n < 16 ? 16 : (uint64_t)n;
}

void measure_floors(const struct bench_opts *o, FILE *out)
{
	struct floor_run fr;
	uint64_t n;
	int i, fd, ctl;

	ncpus();
	pin_cpu(0);
	null_syscall(1000);
	n = calibrate(o, null_syscall(10000));
	for (fr.runs = 0; fr.runs < o->runs && fr.runs < MAX_RUNS; fr.runs++)
		fr.ns[fr.runs] = null_syscall(n);
	floor_result(o, out, "null-syscall", &fr, n, "getppid(), CPU 0");

	ctl = open(KMBOX_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl >= 0) {
		struct kmbox_create cr = { .access = KMBOX_ACCESS_ALL, .capacity = 1, .mode = 0600 };

		fd = ioctl(ctl, KMBOX_IOC_CREATE, &cr);
		if (fd >= 0) {
			if (noop_ioctl(fd, 1000) > 0) {
				n = calibrate(o, noop_ioctl(fd, 10000));
				for (fr.runs = 0; fr.runs < o->runs && fr.runs < MAX_RUNS; fr.runs++)
					fr.ns[fr.runs] = noop_ioctl(fd, n);
				floor_result(o, out, "noop-ioctl", &fr, n,
					     "unknown ioctl on a handle (ENOTTY), CPU 0");
			}
			close(fd);
		}
		close(ctl);
	}

	for (i = 0; i < 2; i++) {
		int b = i == 0 ? 0 : 1;

		if (b >= ncpus())
			break;
		futex_pingpong(0, b, 200);
		n = calibrate(o, futex_pingpong(0, b, 2000));
		for (fr.runs = 0; fr.runs < o->runs && fr.runs < MAX_RUNS; fr.runs++)
			fr.ns[fr.runs] = futex_pingpong(0, b, n);
		floor_result(o, out, b ? "futex-rtt-x" : "futex-rtt-1", &fr, n,
			     b ? "futex ping-pong round trip, CPU 0 <-> 1"
			       : "futex ping-pong round trip, both on CPU 0");
	}
	/* Back to every CPU: the cases pin their own processes. */
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		for (i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
}
