// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: what the fuzzer's files share: types, globals and functions.
 * What the fuzzer does, its options and its checks: main.c.
 */
#ifndef FUZZ_H
#define FUZZ_H

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
_Static_assert(sizeof(struct kmbox_send) == KMBOX_SEND_SIZE_VER1, "send");
_Static_assert(sizeof(struct kmbox_recv) == KMBOX_RECV_SIZE_VER1, "recv");
_Static_assert(sizeof(struct kmbox_info) == KMBOX_INFO_SIZE_VER2, "info");
_Static_assert(sizeof(struct kmbox_batch) == KMBOX_BATCH_SIZE_VER0, "batch");
_Static_assert(sizeof(struct kmbox_msgvec) == KMBOX_MSGVEC_SIZE, "msgvec");
_Static_assert(sizeof(struct kmbox_destroy_id) == KMBOX_DESTROY_ID_SIZE_VER0, "destroy_id");
_Static_assert(sizeof(struct kmbox_list) == KMBOX_LIST_SIZE_VER0, "list");
_Static_assert(sizeof(struct kmbox_port_open) == KMBOX_PORT_OPEN_SIZE_VER0, "port_open");
_Static_assert(sizeof(struct kmbox_call) == KMBOX_CALL_SIZE_VER0, "call");
_Static_assert(sizeof(struct kmbox_reply) == KMBOX_REPLY_SIZE_VER0, "reply");

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

/* ---- options (main.c) ------------------------------------------------- */

struct fuzz_opt {
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
};

extern struct fuzz_opt opt;

/* ---- operations and checks -------------------------------------------- */

enum op {
	OP_NONE, OP_LIMITS, OP_CREATE, OP_OPEN, OP_UNLINK, OP_SEND, OP_RECV,
	OP_SEND_BATCH, OP_RECV_BATCH, OP_INFO, OP_CLOSE, OP_DESTROY, OP_READ, OP_WRITE, OP_POLL, OP_EPOLL,
	OP_DUP, OP_FDCLOSE, OP_RAW, OP_FORK, OP_EXIT, OP_UNLOAD, OP_DEVOPEN,
	OP_SIGACT, OP_SCENARIO, OP_SCM, OP_URING, OP_PROC, OP_ADMIN,
	OP_PORT_OPEN, OP_CALL, OP_REPLY, OP_MAX
};

enum check {
	C_ERRNO, C_DISPATCH, C_VALID, C_INFO, C_PAYLOAD, C_ONCE, C_AMBIG,
	C_TIMING, C_SIGNAL, C_SCENARIO, C_POLL, C_UNLOAD, C_PROC, C_RAN, C_N
};

enum fuzz_stat {
	ST_SENT, ST_RECEIVED, ST_VERIFIED, ST_BYTES, ST_FORKS, ST_SCENARIOS,
	ST_SIGNALS, ST_KILLS, ST_STOPS, ST_UNLOADS, ST_PARAMS, ST_WORKERS,
	ST_EXITS, ST_OVERCAP, ST_ENOMEM, ST_KICKS, ST_DELIVERIES, ST_N
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

/* Who received each message first: tid, and the call's description. */
struct first_recv {
	_Atomic uint32_t tid;
	char desc[124];
};

#define WHO_N	(1U << 20)	/* ids whose first receiver is recorded */

/* The priority and tag a message was sent with, for ids below WHO_N. */
struct sent_opts {
	uint32_t prio;
	uint32_t set;		/* 1: recorded (0: sent without, both 0) */
	uint64_t tag;
};

/* Shared pages (state.c): their sizes and layout. */
#define NONE_SIZE	(5 * PAGE)
#define RO_NAME_OFF	2048
#define FLIP_WIN	(2 * PAGE)	/* per thread: a buffer page, a struct page */
#define FLIP_PAGES	(MAX_THREADS * 2)
#define ROWIN		512		/* per thread, in the read-only page */

/* Where a pointer goes. */
enum place {
	P_NORMAL, P_RO, P_NONE, P_NULL, P_KERNEL, P_NONCANON, P_STRADDLE,
	P_FLIP, P_N
};

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
	uint32_t create_flags;	/* INFO's: KMBOX_CREATE_PRIO, _SELECT, _PORT */
	pid_t port_pid;		/* INFO's, when installed */
	bool port_owner;	/* the handle CREATE returned for a port */
	uid_t uid;
	/* What INFO showed last through this handle. */
	uint32_t state_seen;
	uint64_t received_seen, dropped_seen;
};

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

/* A worker process (coord.c). */
struct worker {
	pid_t pid;
	int gen;
	int64_t cont_at;	/* SIGCONT due, 0: not stopped */
};

/* io_uring (io.c). */
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

struct uring {
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
};

/* ---- globals ---------------------------------------------------------- */

/* check.c */
extern const char *const op_name[OP_MAX];
extern const int op_weight[OP_MAX];
extern const char *const check_name[C_N];
extern const char *const check_tag[C_N];
extern const char *const stat_name[ST_N];

/* state.c */
extern struct shared *S;
extern _Atomic uint8_t *track;
extern struct first_recv *track_who;
extern struct sent_opts *track_opt;
extern struct kmbox_limits L;	/* at start-up: the largest limits */
extern int ctl;		/* this process's /dev/kmbox */
extern int epfd;
extern pid_t mypid;
extern uid_t myuid;
extern bool is_child;		/* a worker's child, not a worker */
extern bool limits_move;	/* the coordinator changes module limits */
extern int worker_idx, worker_gen;
extern volatile sig_atomic_t sig_count;
extern __thread uint64_t rs;	/* random state */
extern __thread char who[64];
extern __thread struct watch *W;
extern __thread struct watch W_dummy;
extern __thread int tidx;
extern __thread long iter;
extern __thread uint8_t *sbuf, *rbuf;	/* message buffers */
extern __thread uint8_t *strad;		/* a RW page, then a PROT_NONE one */
extern size_t bufsz;
extern uint8_t *g_none;		/* PROT_NONE, NONE_SIZE bytes */
extern uint8_t *g_ro;		/* read-only: JUNK, then a pool name */
extern uint8_t *rwv, *flv;	/* one memfd: a RW view, a flipping view */
extern const char *const place_name[P_N];
extern struct handle H[NHANDLES];

/* io.c */
extern struct uring ur;

/* coord.c */
extern const char *const params[5];
extern unsigned long long param_saved[ARRAY_SIZE(params)];
extern bool param_have[ARRAY_SIZE(params)];
extern int param_changed;
extern struct worker workers[MAX_PROCS];

/* ---- functions -------------------------------------------------------- */

/* check.c */
void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void violation(int check, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *ename(int e);
void count_op(int op, int e);
void check_errno(int op, int e, const char *desc);
void call_begin(int op, int64_t bound, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void call_end(void);
int64_t slack_ns(void);

/* state.c */
int64_t now_ns(void);
void sleep_ns(int64_t ns);
uint64_t seed_for(uint64_t a, uint64_t b, uint64_t c, uint64_t d);
uint64_t rnd(void);
uint64_t below(uint64_t n);
bool pml(unsigned int p);
bool pct(unsigned int p);
uint64_t range(uint64_t lo, uint64_t hi);
void stat_add(int st, uint64_t n);
void stat_max(int st, uint64_t v);
void *map(size_t len, int prot);
void setup_flip(void);
void setup_thread_memory(void);
void *bad_addr(int place);
void hl(void);
void hu(void);
int h_get_for(struct handle *h, uint32_t want);
int h_get(struct handle *h);
void h_put(int i);
bool h_same(int i, const struct handle *h);
int h_reserve(void);
void h_unreserve(int i);
void h_install(int i, const struct handle *h);
void h_close_random(void);
void h_done(int slot, const struct handle *h, int e);
int h_live(void);
void h_after_fork(void);
void atfork_prepare(void);
void atfork_release(void);
uint64_t fill(uint8_t *p, size_t len, uint64_t mbox);
int64_t verify(const uint8_t *p, size_t len, uint64_t mbox,
	       const char *how, struct hdr *hp);
void track_send(uint64_t id, int e);
void track_recv(int64_t id, const char *how);
void track_opts(uint64_t id, uint32_t prio, uint64_t tag);
void check_opts(int64_t id, uint32_t prio, uint64_t tag, const char *how);

/* args.c */
void mkarg(struct iarg *a, unsigned long cmd, const void *s,
	   size_t ksize, size_t ver0, bool right, bool weird);
bool check_dispatch(const struct iarg *a, long ret, int e,
		    const char *what);
uint64_t pick_name(int *idx, int *err, bool for_create, const char **desc);
int do_info(int fd, struct kmbox_info *info);
void new_handle(int fd, int slot, uint32_t flags, uint32_t access,
		int name, uint64_t id_out, bool have_id,
		const struct kmbox_create *cr, bool fresh, const char *what);
uint32_t pick_mode(int64_t *timeout, int64_t *bound, bool *inval);
size_t pick_len(uint32_t max);
bool mode_invalid(uint32_t flags, int64_t timeout, uint32_t valid);
int mbox_target_for(int *slot, struct handle *h, bool *right, uint32_t want);
int mbox_target(int *slot, struct handle *h, bool *right);
void check_timeout(const char *what, int e, uint32_t flags, int64_t timeout,
		   int64_t t0, int64_t t1);

/* ctl.c */
bool ctl_raced(int slot, const struct handle *h);
int ctl_target(int *slot, struct handle *h, bool *right);
void op_limits(void);
void op_create(void);
void op_open(void);
void op_unlink(void);

/* msg.c */
void op_send(void);
void op_recv(void);
void op_info(void);

/* call.c */
void pick_opts(uint32_t create_flags, __u32 *prio, __u64 *tag, bool *inval);
void call_taken(int slot, const struct handle *h, uint64_t call, uint32_t reply_size);
bool call_pending_pick(int slot, const struct handle *h, __u64 *call, uint32_t *size);
void pending_drop(int slot, uint64_t call);
void reply_judge(int slot, const struct handle *h, uint64_t call, uint32_t size,
		 size_t len, int e, const char *what);
void reply_now(int slot, const struct handle *h, uint64_t call, uint32_t size);
void op_call(void);
void op_reply(void);
void op_port_open(void);
void calls_after_fork(void);

/* callsc.c */
void scenario_call(void);

/* select.c: what a RECV's VER1 fields were picked as */
struct recv13 {
	bool ver0;		/* a VER0 struct */
	bool weird;		/* mkarg may lay it out wrong */
	bool maybe_esrch;	/* KMBOX_RECV_FROM a random pid */
	bool pending;		/* RECV_REPLY to a call this thread took */
	bool bad;		/* RECV_REPLY from a bad buffer: EFAULT */
	uint32_t size;		/* the pending call's reply capacity */
	size_t len;		/* the reply's length */
	uint64_t id;		/* the reply's message id (0: untracked) */
};
void recv13_pick(struct kmbox_recv *r, int slot, const struct handle *h, bool right,
		 bool *inval, struct recv13 *x);
void recv13_fate(const struct kmbox_recv *r, const struct kmbox_recv *rb,
		 const struct iarg *a, const struct recv13 *x, int slot);
void recv13_judge(const struct kmbox_recv *r, const struct kmbox_recv *rb, long ret, int e,
		  int slot, const struct handle *h, const struct recv13 *x);
void scenario_select(void);

/* batch.c */
void op_send_batch(void);
void op_recv_batch(void);

/* close.c */
void after_end(int slot, int fd, const struct handle *h, bool destroyed);
void op_close_destroy(int op);
void op_dup(void);
void scm_open(void);
void op_scm(void);

/* admin.c */
void op_admin(void);
void op_raw(void);
void op_unload(void);
void op_devopen(void);
void op_proc(void);

/* io.c */
void op_read(void);
void op_write(void);
void op_poll(void);
void op_epoll(void);
int ur_setup(void);
void op_uring(void);

/* proc.c */
void on_signal(int sig);
void set_handlers(bool restart);
void release_watch(pid_t pid);
void judge_exit(pid_t pid, int status, const char *what);
pid_t some_child(void);
void worker_main(int idx, int gen);

/* scenario.c */
int anon_mbox(uint64_t capacity, uint32_t max_msg_size);
int sc_send(int fd, const void *buf, size_t len, uint32_t flags, int64_t timeout);
long sc_recv(int fd, void *buf, size_t len, uint32_t flags, int64_t timeout,
	     struct kmbox_recv *out);
pid_t sc_fork(void);
int sc_wait(pid_t pid, int64_t ms);
void sc_kill(pid_t pid);
void op_scenario(void);

/* storm.c */
void scenario_storm(void);

/* batchsc.c */
void scenario_batch(void);

/* coord.c */
int param_rw(const char *name, unsigned long long *val, bool write);
void params_restore(void);
void params_tick(int64_t now);
void drain_log(void);
pid_t spawn_worker(int idx);
char task_state(pid_t pid, pid_t tid);
void task_stack(pid_t pid, pid_t tid, char *out, size_t size);
void watchdog(int64_t now, bool stopping);
void signals_tick(int64_t now);
int worker_index(pid_t pid);
int reap_all(bool respawn);
void unload_tick(void);
void print_stats(int64_t elapsed);
void final_fate_check(void);

/* unload.c */
void unix_gc(void);
int unload_race(void);

#endif /* FUZZ_H */
