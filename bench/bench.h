/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kmbox-bench: kmbox and libipc against the pipes and queues they replace,
 * measured side by side in one run (one boot, in the VM).  Not a test: no
 * timing is ever asserted; only the sequence numbers every case checks are.
 *
 * Pieces, one concern each:
 *   peers.c    the channels: pipe, AF_UNIX seqpacket, POSIX mq, SysV msg,
 *              kmbox by ioctl and by read/write, libipc (either backend),
 *              and calls (peer-call.c: KMBOX_IOC_CALL, ipc_call)
 *   cases.c    what is measured: one-process cost, streaming, round trip,
 *              4 senders + 4 receivers; processes, pinning, the start barrier
 *   measure.c  clocks, rusage, runs and their statistics, the floors,
 *              syscall counting by ptrace
 *   report.c   results files in, the ratio table, JSON and plot data out
 *   main.c     options and the order things are run in
 *
 * Results travel as tab-separated lines (struct result, one per line), so
 * that the VM's console can carry them and report.c can read them without
 * a JSON parser.
 */
#ifndef KMBOX_BENCH_H
#define KMBOX_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct ipc_mbox;

/*
 * Every message buffer has BENCH_HEADROOM writable bytes before it, so that
 * SysV msgsnd/msgrcv can put their mtype word in front of the payload
 * without copying it (the other peers ignore the headroom).
 */
#define BENCH_HEADROOM	16

/* Queue depth wherever a peer counts messages (see peers.c for the rest). */
#define BENCH_DEPTH	64

/* A capacity of IPC_UNBOUNDED / KMBOX_CAPACITY_UNBOUNDED, in peer specs. */
#define BENCH_UNBOUNDED	UINT64_MAX

/* One direction of one instance of a peer, set up before the fork. */
struct chan {
	const struct peer *peer;
	uint64_t capacity;	/* kmbox and libipc: as created */
	size_t size;		/* largest message */
	size_t hold;		/* bytes it holds when counted in bytes, else 0 */
	int rfd, wfd;		/* pipe, unix, mq (both the same mqd_t) */
	int id;			/* SysV queue id */
	struct ipc_mbox *mb;	/* libipc */
	unsigned int batch;	/* batched peers: messages per call */
	char *rbuf;		/* pipe-batch: bytes read, not yet taken */
	size_t rcap, rhave;
	char note[64];		/* a limit that made it smaller than asked */
	uint64_t call;		/* call peers, server side: the call to reply to */
};

struct peer {
	const char *name;	/* as in results: "pipe", "kmbox-ioctl", ... */
	int has_capacity;	/* takes a capacity (":0", ":1", ":u") */
	int can_mpmc_big;	/* carries messages > PIPE_BUF among 4+4 */
	/* 0, or -1 with *why saying why this size cannot be had (a skip). */
	int (*open)(struct chan *c, char *why, size_t whylen);
	/* 0, or -errno: the whole message is sent / received. */
	int (*send)(struct chan *c, const void *buf, size_t len);
	ssize_t (*recv)(struct chan *c, void *buf, size_t cap);
	void (*close)(struct chan *c);
	/*
	 * Batched peers only (label "name/N", N messages per call): send
	 * or receive up to n messages (n <= c->batch) in one call.  The
	 * number that went (>= 1; lens[] their lengths), or -errno.
	 */
	int (*send_batch)(struct chan *c, char *const *bufs, size_t len, unsigned int n);
	int (*recv_batch)(struct chan *c, char *const *bufs, size_t cap, unsigned int n,
			  size_t *lens);
	/*
	 * Call peers only (round trips over one channel, no send or recv):
	 * call sends a request and waits for its reply (its length, or
	 * -errno); reply_recv replies to c->call, if not 0, then receives
	 * the next call (its length, or -errno, also when the reply failed),
	 * c->call its id; reply answers c->call alone (the last one).
	 */
	ssize_t (*call)(struct chan *c, const void *req, size_t len, void *reply, size_t cap);
	ssize_t (*reply_recv)(struct chan *c, const void *rep, size_t rlen, void *buf, size_t cap);
	int (*reply)(struct chan *c, const void *rep, size_t rlen);
};

/* Most messages per call a batched peer is asked for (--batches). */
#define BENCH_BATCH_MAX	64

/* A peer with its capacity: what --peers names, e.g. "kmbox-ioctl:0". */
struct peer_spec {
	const struct peer *peer;
	uint64_t capacity;
	unsigned int batch;	/* batched peers: messages per call, else 0 */
	char label[48];		/* "kmbox-ioctl", "kmbox-ioctl:0", "libipc-posix:u",
				 * "kmbox-batch/16" */
};

extern const struct peer peer_pipe, peer_unix, peer_mq, peer_sysv;
extern const struct peer peer_kmbox_ioctl, peer_kmbox_rw, peer_libipc;
extern const struct peer peer_pipe_batch, peer_kmbox_batch, peer_libipc_batch;
extern const struct peer peer_kmbox_call, peer_libipc_call;

/* A byte-counted buffer for BENCH_DEPTH messages (peers.c). */
size_t peer_byte_buf(size_t size, size_t dflt);
/* A number from /proc (a sysctl), or -1. */
long proc_long(const char *path);
/* snprintf(why, len, fmt, what, strerror(err)); returns -1. */
int peer_why(char *why, size_t len, const char *fmt, const char *what, int err);

int peer_parse(const char *s, struct peer_spec *ps);
void peer_list(FILE *f);
int chan_open(struct chan *c, const struct peer_spec *ps, size_t size, char *why, size_t whylen);
void chan_close(struct chan *c);
/* The libipc peer's name depends on the backend libipc picked. */
const char *peer_libipc_name(void);

enum bench_case {
	CASE_ONEPROC,		/* one process: send then receive, CPU 0 */
	CASE_STREAM_X,		/* 1 sender CPU 0 -> 1 receiver CPU 1 */
	CASE_STREAM_1,		/* the same, both on CPU 0 */
	CASE_RTT_1,		/* round trip, both on CPU 0 */
	CASE_RTT_X,		/* round trip, CPU 0 <-> CPU 1 */
	CASE_MPMC,		/* 4 senders + 4 receivers on one queue */
	NR_CASES
};

extern const char *const case_names[NR_CASES];
int case_parse(const char *s);

/* What one run of a case measured, all processes of it added up. */
struct sample {
	uint64_t msgs;		/* messages (round trips for CASE_RTT_*) */
	double secs;		/* first start to last end */
	double cpu_secs;	/* user + sys of every process, the loop only */
	uint64_t csw;		/* voluntary + involuntary context switches */
	uint64_t syscalls;	/* in the ptrace pass only, else 0 */
	uint64_t syscalls0;	/* of those, process 0's (the sender, the client) */
	int ok;			/* the sequence checks passed */
	char err[96];		/* else what went wrong */
	char note[64];		/* the channel's note, if any */
};

/*
 * Run a case once with n messages: 0 and *s filled, or -1 when it could
 * not run at all (s->err says why).  trace: count system calls by ptrace
 * (timing then meaningless).
 */
int case_run(enum bench_case k, const struct peer_spec *ps, size_t size, uint64_t n,
	     int trace, struct sample *s);

/* One line of results (see the top of this file). */
struct result {
	char env[16];		/* "host", "vm" */
	char kind[16];		/* "case", "floor", "info" */
	char name[24];		/* case name or floor name */
	char peer[48];		/* peer label, or "-" */
	size_t size;
	uint64_t n;		/* messages per run */
	int runs;
	double min, med, max;	/* msgs/s (floors: ns per operation) */
	double cpu_ns;		/* CPU time per message (median run) */
	double csw;		/* context switches per message (median run) */
	double syscalls;	/* per message, ptrace pass; < 0: not counted */
	char note[160];		/* skip reason, error, or "-" */
	double syscalls0;	/* of those, process 0's; < 0: not counted.  The
				 * last field of a line, which older lines lack */
};

void result_print(FILE *f, const struct result *r);
int result_parse(const char *line, struct result *r);

struct bench_opts {
	const char *env;	/* "host" or "vm" */
	double run_secs;	/* target length of one run */
	int runs;		/* >= 3 */
	int syscalls;		/* the ptrace pass: 0 off, else n messages */
	int quick;
};

/* measure.c */
double now_secs(void);
int pin_cpu(int cpu);
int ncpus(void);
/* Each of npeers peers in case k at this size: res[0..npeers). */
void measure_group(const struct bench_opts *o, enum bench_case k, const struct peer_spec *ps,
		   int npeers, size_t size, struct result *res);
void measure_floors(const struct bench_opts *o, FILE *out);
void sleep_ms(int ms);

/* report.c: files of result lines in, text table, JSON, plot data out. */
int report(int nfiles, char **files, const char *outdir);

#endif
