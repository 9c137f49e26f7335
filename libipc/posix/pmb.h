/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The posix backend: mailboxes in shared memory, with the kernel module's
 * semantics, for when /dev/kmbox is not there.
 *
 * Trust.  The segment is input from other processes, exactly like a
 * network packet: any process that may send or receive can write any byte
 * of it at any moment, lock or no lock.  So every value read from it is
 * read once into a local, bounded before it is used as an index, a length
 * or a loop bound (the bounds come from the handle's private copy of the
 * geometry, checked at open), and never trusted as a pointer; no process
 * stores an address of its own in it; ipc_stat and ipc_list read a copy
 * of the file (pread) and neither lock, map nor repair anything.  The most
 * a peer with access can do is what its access allows: lose or garble the
 * mailbox's messages, or hold its lock and stop, which wedges the calls
 * that block on that mailbox; non-blocking and timed calls still return
 * by their deadline, and nothing outside the mailbox is affected.  Two
 * things a peer that may write the file can do are beyond a library: it
 * can truncate the file (a SIGBUS in whoever touches a page past the end:
 * the kernel backend has no such file), and make another thread's tid
 * look like the lock's holder (see Lock).
 *
 * Segment.  A named mailbox is a file /dev/shm/kmbox.<name> (what
 * shm_open("/kmbox.<name>") opens); an anonymous one a MAP_SHARED |
 * MAP_ANONYMOUS mapping that children inherit.  Layout:
 *
 *   struct pmb_hdr      immutable geometry (checked by every opener), the
 *                       lock, the mutable state
 *   struct pmb_waiter[] one slot per blocked call
 *   u8  cstate[nchunks] state of each chunk (C_*)
 *   u32 next[nchunks]   chunk chains, and the free list
 *   chunks[nchunks]     PMB_CHUNK bytes each
 *
 * A message is a chain of chunks; its first PMB_MSG_HDR bytes are a struct
 * pmb_msg (length, sequence number, sender, queue links).  Storage is
 * sized for the capacity's worth of largest messages, and never more than
 * the byte quota (LIBIPC_POSIX_QUOTA, 64 MiB by default), so an unbounded
 * mailbox is a large heap plus the quota.  The file is sparse, and its
 * pages are allocated (fallocate) before first use, as the high-water mark
 * of used chunks grows (pmb_back): a full /dev/shm is then an ENOBUFS, not
 * a SIGBUS in whoever touches the page.  A message is charged the chunks
 * it occupies; past the quota a send fails with ENOBUFS.
 *
 * Lock.  A 32-bit futex word guards everything mutable, and everything
 * (copies included) happens under it: 0 when free, else the holder's tid
 * and PMB_LOCK_WAITERS if anyone sleeps on it (who unlocks then wakes
 * one).  Nothing sleeps with it held, so it is only ever held briefly.
 * It is taken within the calling operation's deadline (pmb_lock): a
 * blocking call waits as long as it takes, a timed one until its deadline
 * (and a little grace), a non-blocking one while the holders come and go
 * or run, but not behind a holder found stopped.  Not a glibc robust
 * mutex: those keep robust-list links, addresses in the locking process,
 * in the mutex, that is in the segment, where a peer can read them and
 * make an unlock store where it likes.
 *
 * Crashes.  A process may die (SIGKILL) anywhere.  A thread waiting for
 * the lock looks at its holder after PMB_LOCK_CHECK_NS, then ever less
 * often while that one holds it (up to PMB_LOCK_CHECK_MAX_NS apart: many
 * waiters on one long hold must not crowd out the holder, which they did
 * in a slow, emulated guest): gone from
 * kill(2), or a zombie in /proc, and the waiter takes the lock over (one
 * compare-and-swap from the dead tid) and pmb_recover() rebuilds the state
 * from what is authoritative and was written in an order that makes it
 * so:
 *  - a message exists iff its first chunk's cstate is C_QUEUED: a sender
 *    writes the whole message first and publishes it with that one store;
 *    a receiver copies the message out first and consumes it with the
 *    reverse store.  Queue links, the free list and the counters are
 *    derived and rebuilt (the queue sorted by sequence number);
 *  - totals (sent, received, dropped) would need two stores: the
 *    operation's after-values go to hdr->pend first, and recovery applies
 *    them iff the operation's publishing store happened.
 * A tid names a thread only in one pid namespace: the segment records its
 * creator's, and once a process of another one opens it, or locks it
 * through a handle inherited across fork into another (hdr->foreign, set
 * before its tid is ever in the segment), nobody is declared dead any
 * more: a dead holder's lock is then never taken over, and blocking calls
 * on that mailbox wait for good (timed ones time out).  A dead holder whose tid a new thread got meanwhile
 * looks alive, with the same result; pids are not reused soon (pid_max is
 * 4 million on most systems), and this is accepted.
 * A process that dies while blocked (lock not held) leaves a waiter slot,
 * with its tid: the next look at the slots finds it dead the same way and
 * reaps it (a rendezvous or synchronous sender's message is withdrawn with
 * it, as the kernel does).  Waiters wake every PMB_POLL_NS to look for
 * such dead peers.  A call that cannot take the lock back after sleeping
 * (its holder stopped past the deadline) leaves without it: it clears its
 * slot's tid, so that the slot is reaped as a dead one's, and a waiting
 * sender's outcome is settled by one compare-and-swap on its result word
 * against the receiver taking its message (pmb_abandon, pmb_take_sender).
 * "Taken" is then made final (PMB_RES_LEFT) by a second one, against
 * recovery giving a message whose taker died back to its waiting sender
 * (0 to 1 again): that sender is still there, or has left told "sent",
 * and its message then stays queued for the next receiver.
 *
 * Waiting.  Each blocked call holds a waiter slot and sleeps on the slot's
 * futex word, which wakers bump under the lock and FUTEX_WAKE after
 * unlocking, and only if the waiter said it may be asleep (sleeping): no
 * system call wakes nobody.  A waiter watches its word PMB_SLEEP_SPIN_NS
 * before it says so and sleeps, when another CPU could answer it meanwhile
 * (pmb_spin).  Senders
 * and receivers may each hold half the slots; a call that finds its half
 * taken sleeps on slot_futex until a slot is freed.  Futexes
 * rather than condition variables: glibc's process-shared condvars keep
 * per-waiter state in shared memory that a SIGKILLed waiter leaves behind,
 * which can block later signalers for good; a futex word has no such state.
 * Signals interrupt the sleep as they do the kernel's (pmb_futex_wait).
 *
 * Receivers in line are served first come, first served, like the kernel's
 * hand-off: the receiver that has been waiting longest (lowest ticket)
 * "claims" the oldest message, the next one the next, and so on; claimed
 * messages stay in the queue but are invisible to everyone else (peek,
 * non-blocking receive, a rendezvous sender looking for a receiver).  A
 * receiver with a claim takes it whatever else happens to its wait.  If it
 * dies first, the claims behind it move up one: its message is not lost,
 * but may reach a receiver that already took a later one (the kernel, by
 * contrast, lets the dying receiver consume it).  A non-blocking send that
 * must be taken (rendezvous, IPC_SYNC) succeeds only by such a claim, and
 * returns at once, without a slot: its message is queued as if it needed
 * no taker, and the receiver it fell to takes it.
 *
 * Senders.  A message carries its sender's pid, euid and egid, read once
 * per process (pmb_self) and again in a fork child, not per message: a
 * process that changes its ids with set*id(2) sends with the old ones
 * until it forks or execs (the kernel backend stamps each message).
 *
 * Polling.  ipc_fd() gives a handle an inotify instance watching the
 * segment file for IN_MODIFY (an anonymous segment is a memfd for this);
 * everyone who changes the mailbox in a way a non-blocking call could see
 * (a message queued or taken, a receiver entering or leaving the line,
 * close, destroy) says so in its struct pmb_wake, and pmb_unlock then
 * writes one byte (hdr->poke) to the file if hdr->pollers says anybody
 * polls; each instance gets its event.  A handle's own non-blocking send
 * and receive read its instance empty first.  So the descriptor is
 * readable after a change since the handle last looked: an edge, with
 * spurious wake-ups (its own changes, a fallocate), never a level.  hdr->pollers
 * is a hint (a peer may rewrite it): it only decides whether the byte is
 * written.  Details: notify.c.
 *
 * Files (libipc/posix/).  pmb.h: this design, the segment's layout, the
 * handle and what the files share; ops.c: the ops table and the test
 * hook; segment.c: geometry, header checks, backing store; lock.c: who
 * we are, the lock, telling dead threads; wait.c: futexes, deadlines,
 * waking, sleeping; queue.c: chunks and the queue;
 * slots.c: waiter slots; recover.c: crash recovery; msg.c: send and
 * receive; close.c: close and destroy; access.c: names and permissions;
 * open.c: create, open, unlink; stat.c: info, stat, list; notify.c:
 * ipc_fd and telling its pollers; select.c: priorities and selective
 * receive; port.c: ports; call.c: calls and replies (each with its design).
 *
 * Everything here is hidden (IPC_HIDDEN, and -fvisibility=hidden):
 * nothing of it is libipc's ABI.
 */
#ifndef LIBIPC_PMB_H
#define LIBIPC_PMB_H

#include <assert.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backend.h"
#include "testhook.h"

#define PMB_MAGIC		0x315842424d50494cULL	/* "LIPMBBX1" */
#define PMB_VERSION		3	/* 3: prio, tags, ports, calls */
#define PMB_CHUNK		128u
#define PMB_MSG_HDR		64u
#define PMB_NWAIT		128u		/* blocked calls at once */
#define PMB_DEFAULT_MSG		8192u		/* as the module's defaults */
#define PMB_MAX_MSG		(1u << 20)
#define PMB_MAX_CAPACITY	65536u
#define PMB_DEFAULT_QUOTA	(64ULL << 20)
#define PMB_MIN_QUOTA		4096ULL
#define PMB_MAX_QUOTA		(1ULL << 36)	/* chunk indices fit 32 bits */
#define PMB_POLL_NS		(100 * 1000000LL)
#define PMB_SLEEP_SPIN_NS	(50 * 1000LL)	/* a blocked call spins before sleeping */
#define PMB_REAP_NS		(20 * 1000000LL)	/* dead waiters looked for */
#define PMB_NIL			UINT32_MAX
#define PMB_SHM_DIR		"/dev/shm"
#define PMB_PREFIX		"kmbox."
/* Longest name used as is in a file name; longer ones are hashed. */
#define PMB_NAME_DIRECT		(NAME_MAX - (sizeof(PMB_PREFIX) - 1))
#define PMB_ABI			((uint32_t)sizeof(long))
/* The lock word: 0 free, else the holder's tid, and PMB_LOCK_WAITERS. */
#define PMB_LOCK_WAITERS	0x80000000u
#define PMB_LOCK_TID		0x3fffffffu
#define PMB_LOCK_SPIN		1000		/* looks at a held lock before sleeping */
#define PMB_LOCK_CHECK_NS	(5 * 1000000LL)	/* then looks at its holder this often, */
#define PMB_LOCK_CHECK_MAX_NS	(100 * 1000000LL) /* doubling up to this while it holds */
#define PMB_LOCK_NB_NS		(2 * 1000000LL)	/* for one holder, then EAGAIN */
#define PMB_LOCK_NB_MAX_NS	(1000 * 1000000LL) /* for all, then EAGAIN */
/* struct pmb_waiter.result: taken, final (pmb_abandon; recovery keeps it). */
#define PMB_RES_LEFT		2
/* A caller's result: its reply is in the slot's reply chunks (call.c). */
#define PMB_RES_REPLIED		3

/* cstate[]: what a chunk holds (C_REPLY: a reply, its caller's slot's). */
enum { C_FREE, C_WRITING, C_QUEUED, C_BODY, C_REPLY };

/*
 * struct pmb_waiter.kind: what a blocked call waits for.  W_SEL: a receive
 * (or peek) with a selection, not in line (select.c); W_CALL: a caller
 * whose request a server took, waiting for the reply (call.c).
 */
enum { W_NONE, W_RECV, W_PEEK, W_ROOM, W_TAKEN, W_SEL, W_CALL };
#define W_KIND_MAX	W_CALL
#define W_BIT(k)	(1u << (k))
#define W_ALL		(W_BIT(W_RECV) | W_BIT(W_PEEK) | W_BIT(W_ROOM) | W_BIT(W_TAKEN) | \
			 W_BIT(W_SEL))

/* struct pmb_pend.op */
enum { P_NONE, P_SEND, P_RECV, P_WITHDRAW, P_DESTROY };

struct pmb_waiter {
	uint32_t tid;		/* the waiting thread; 0: it gave up (pmb_abandon) */
	uint32_t futex;		/* bumped and woken to wake the waiter */
	uint32_t kind;
	uint32_t sleeping;	/* on futex: wake it (set, then futex rechecked) */
	uint64_t ticket;	/* arrival order */
	int32_t pid;
	int32_t result;		/* W_TAKEN: 1 pending, 0 taken, -errno withdrawn, */
				/* PMB_RES_LEFT taken and its sender left told so */
	uint32_t gen;		/* tells this use of the slot from later ones */
	uint32_t msg;		/* W_TAKEN: first chunk of its message */
	uint64_t seq;		/* W_TAKEN: its message's sequence number */
	/* W_SEL: the selection, for senders to wake only a match (a hint) */
	uint32_t sel;		/* IPC_SEL_TAG, IPC_SEL_TAG_LE, IPC_SEL_FROM */
	int32_t from;
	uint64_t tag;
	/* W_TAKEN, W_CALL of a caller (call.c) */
	uint32_t call;		/* 1: this sender is a caller */
	int32_t spid;		/* W_CALL: the server process that took it */
	uint32_t rsize;		/* the caller's reply buffer, bytes */
	uint32_t reply;		/* PMB_RES_REPLIED: the reply's first chunk */
};

/* An operation's totals, written before its publishing store. */
struct pmb_pend {
	uint32_t op;
	uint32_t head;
	uint64_t seq;
	int32_t result;		/* P_WITHDRAW: what the waiting sender is told */
	/* cppcheck-suppress unusedStructMember */
	uint32_t pad;
	uint64_t sent, received, dropped;
};

struct pmb_hdr {
	/* Set at creation, never changed. */
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;
	uint32_t abi;
	uint32_t nwait;
	uint64_t seg_size;
	uint64_t id;
	uint64_t capacity;
	uint64_t quota;
	uint32_t max_msg_size;
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint32_t nchunks;
	uint32_t chunk_size;
	uint64_t pidns;		/* the creator's pid namespace (pmb_self) */
	uint32_t flags;		/* IPC_PRIO, IPC_SELECT, IPC_PORT */
	int32_t port_pid;	/* IPC_PORT: its process */
	uint64_t port_start;	/* IPC_PORT: its process's start time (port.c) */
	char name[IPC_NAME_MAX + 1];

	/* lock (PMB_LOCK_*) protects the rest, but for what says otherwise. */
	uint32_t lock;
	uint32_t foreign;	/* set for good once another pid namespace uses it */
	uint32_t slot_sleepers;	/* calls sleeping on slot_futex (a hint) */
	uint32_t state;		/* IPC_STATE_* */
	uint32_t linked;	/* the name still leads here */
	uint64_t next_seq;
	uint64_t next_ticket;
	uint32_t gen;
	uint32_t slot_futex;	/* bumped when a waiter slot is freed */
	uint32_t nwaiting;	/* slots in use (derived) */
	uint32_t hwm;		/* chunks [0, hwm) have been used */
	uint32_t free_head;	/* free chunks below hwm (derived) */
	uint32_t used;		/* chunks held by messages (derived) */
	uint32_t qhead, qtail;	/* the queue, oldest first (derived) */
	uint64_t msgs, bytes;	/* queued (derived) */
	uint64_t sent, received, dropped;
	struct pmb_pend pend;

	/* Not under the lock: atomics, hints only (notify.c). */
	uint32_t pollers;	/* handles with an ipc_fd descriptor */
	uint8_t poke;		/* what pmb_notify writes, never read */
	/* cppcheck-suppress unusedStructMember */
	uint8_t pad2[3];
};

/* The first PMB_MSG_HDR bytes of a message's first chunk. */
struct pmb_msg {
	uint64_t seq;
	uint32_t len;
	uint32_t nchunks;
	uint32_t prev, next;	/* queue links (derived) */
	int32_t pid;
	uint32_t uid;
	uint32_t gid;
	uint32_t sender;	/* waiter slot + 1 of a sender waiting for it */
	uint32_t sender_gen;
	uint32_t prio;		/* 0..IPC_PRIO_MAX, 0 unless IPC_PRIO */
	uint64_t tag;
	uint32_t mflags;	/* PMB_MSG_CALL */
	uint32_t pad;
};

/* struct pmb_msg.mflags: a call's request; its caller waits in slot sender - 1. */
#define PMB_MSG_CALL		0x1u

static_assert(sizeof(struct pmb_msg) == PMB_MSG_HDR, "message header");
static_assert(PMB_MSG_HDR < PMB_CHUNK, "room for data in the first chunk");

struct pmb_geom {
	size_t off_wait, off_cstate, off_next, off_chunks, size;
};

/* Who the calling process is (pmb_self): read once, and again after fork. */
struct pmb_self {
	unsigned int gen;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	uint64_t pidns;		/* 0: unknown */
};

/* A handle: the mapping, and copies of the immutable fields once checked. */
struct pmb {
	struct ipc_mbox base;
	struct pmb_hdr *hdr;
	struct pmb_waiter *w;
	uint8_t *cstate;
	uint32_t *next;
	uint8_t *chunks;
	size_t size;
	uint64_t id, capacity, quota, pidns;
	uint32_t max_msg_size, mode, uid, gid, nchunks, nwait;
	uint32_t flags;			/* IPC_PRIO, IPC_SELECT, IPC_PORT */
	pid_t port_pid;			/* IPC_PORT: its process */
	bool port_owner;		/* port_create's handle: release ends the port */
	/* Calls this handle took and has not answered (call.c), 0 = free. */
	uint64_t *calls;
	int fd;				/* named: the file, to allocate it; else -1 */
	uint32_t backed;		/* chunks [0, backed) known allocated */
	int64_t reap_due;		/* pmb_scan looks for dead waiters then */
	bool named;
	dev_t dev;			/* named: the file, to unlink only it */
	ino_t ino;
	char file[NAME_MAX + 1];	/* named: its name in PMB_SHM_DIR */
	char name[IPC_NAME_MAX + 1];
	/* ipc_fd's inotify instance: pid << 32 | (fd + 1), 0 if none. */
	uint64_t poll;
	int poll_old;			/* fd + 1 of one inherited across fork */
};

/* Waiters to wake once the lock is dropped, and whether to tell pollers. */
struct pmb_wake {
	uint64_t bits[PMB_NWAIT / 64];
	bool slots;
	bool notify;		/* changed as a non-blocking call could see */
};

/* Lock held: the mailbox changed; pollers are told at pmb_unlock. */
static inline void pmb_changed(struct pmb_wake *ws)
{
	ws->notify = true;
}

/* How long a call may wait, made absolute when the call starts. */
struct pmb_dl {
	uint32_t mode;
	int64_t abs;
};

/* Who is blocked, the dead reaped; receivers in line ordered by arrival. */
struct pmb_scan {
	uint32_t nrecv, npeek, nsend;
	uint32_t nsel;			/* W_SEL: receivers with a selection */
	uint32_t ncall;			/* W_CALL: callers waiting for a reply */
	uint32_t rank;			/* of the caller's slot among receivers */
	uint8_t order[PMB_NWAIT];	/* receivers in line, oldest first */
};

IPC_HIDDEN void pmb_hook_fire(void);

#define PMB_HOOK(pt) do {						\
	if (__builtin_expect(libipc_test_crash_point == (pt), 0))	\
		pmb_hook_fire();					\
} while (0)

static inline void pmb_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* The next pmb_scan looks for dead waiters, however recently it did. */
static inline void pmb_reap_now(struct pmb *p)
{
	__atomic_store_n(&p->reap_due, 0, __ATOMIC_RELAXED);
}

static inline struct pmb *to_pmb(struct ipc_mbox *mb)
{
	return (struct pmb *)mb;
}

static inline size_t pmb_align(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static inline uint32_t pmb_chunks_for(uint64_t len)
{
	return (uint32_t)((PMB_MSG_HDR + len + PMB_CHUNK - 1) / PMB_CHUNK);
}

static inline struct pmb_msg *pmb_msg(struct pmb *p, uint32_t c)
{
	return (struct pmb_msg *)(p->chunks + (size_t)c * PMB_CHUNK);
}

/* A chunk index read from shared memory, before it is used. */
static inline bool pmb_chunk_ok(struct pmb *p, uint32_t c)
{
	return c < p->nchunks && c < p->hdr->hwm;
}

/* segment.c: geometry, checks, backing store */
IPC_HIDDEN void pmb_geometry(uint32_t nwait, uint32_t nchunks, struct pmb_geom *g);
IPC_HIDDEN uint32_t pmb_nchunks(uint64_t capacity, uint32_t max_msg_size,
				uint64_t quota, uint32_t nwait);
IPC_HIDDEN bool pmb_header_ok(const struct pmb_hdr *h, size_t file_size);
IPC_HIDDEN void pmb_hdr_copy(struct pmb_hdr *copy, const void *base);
IPC_HIDDEN void pmb_attach(struct pmb *p, void *base, const struct pmb_hdr *h,
			   size_t size);
IPC_HIDDEN int pmb_fallocate(int fd, size_t off, size_t len);
IPC_HIDDEN int pmb_back(struct pmb *p, uint32_t need);

/* lock.c: who we are, the lock */
IPC_HIDDEN extern const struct pmb_dl pmb_dl_nowait;	/* IPC_NONBLOCK's */
IPC_HIDDEN const struct pmb_self *pmb_self(void);
IPC_HIDDEN uint32_t pmb_tid(void);
IPC_HIDDEN bool pmb_dead(uint64_t pidns, uint32_t foreign, uint32_t tid,
			 bool maybe_leader);
IPC_HIDDEN bool pmb_process_exited(pid_t pid);
IPC_HIDDEN bool pmb_holder_dead(struct pmb *p, uint32_t tid);
IPC_HIDDEN int pmb_lock(struct pmb *p, const struct pmb_dl *dl);
IPC_HIDDEN void pmb_lock_drop(struct pmb *p);

/* wait.c: futexes, deadlines, waking, sleeping */
IPC_HIDDEN int pmb_futex_wait(uint32_t *word, uint32_t val, int64_t abs_ns,
			      bool restartable);
IPC_HIDDEN void pmb_futex_wake_n(uint32_t *word, int n);
IPC_HIDDEN void pmb_futex_wake(uint32_t *word);
IPC_HIDDEN void pmb_dl_init(struct pmb_dl *dl, const struct ipc_wait *w);
IPC_HIDDEN int pmb_may_sleep(const struct pmb_dl *dl, bool intr);
IPC_HIDDEN void pmb_wake_slot(struct pmb *p, uint32_t i, struct pmb_wake *ws);
IPC_HIDDEN void pmb_wake_kinds(struct pmb *p, uint32_t kinds, struct pmb_wake *ws);
IPC_HIDDEN void pmb_unlock(struct pmb *p, struct pmb_wake *ws);
IPC_HIDDEN int pmb_sleep(struct pmb *p, int slot, const struct pmb_dl *dl,
			 struct pmb_wake *ws);

/* queue.c: chunks and the queue (lock held) */
IPC_HIDDEN void pmb_msg_free(struct pmb *p, uint32_t head);
IPC_HIDDEN uint32_t pmb_msg_alloc(struct pmb *p, uint32_t n);
IPC_HIDDEN void pmb_msg_copy(struct pmb *p, uint32_t head, const struct iovec *iov,
			     int iovcnt, size_t len, bool to_iov);
IPC_HIDDEN bool pmb_q_append(struct pmb *p, uint32_t c);
IPC_HIDDEN uint32_t pmb_q_nth(struct pmb *p, uint64_t idx);
IPC_HIDDEN bool pmb_present(struct pmb *p, uint32_t c, uint64_t seq);
IPC_HIDDEN int pmb_sender_slot(struct pmb *p, const struct pmb_msg *m);
IPC_HIDDEN void pmb_unqueue(struct pmb *p, uint32_t c, uint32_t op, int result,
			    struct pmb_wake *ws);

/* slots.c: waiter slots (lock held) */
IPC_HIDDEN int pmb_slot_get(struct pmb *p, uint32_t kind, struct pmb_wake *ws);
IPC_HIDDEN void pmb_slot_put(struct pmb *p, int i, struct pmb_wake *ws);
IPC_HIDDEN bool pmb_slot_alive(struct pmb *p, uint32_t i);
IPC_HIDDEN int pmb_abandon(struct pmb *p, int i, int err);
IPC_HIDDEN bool pmb_take_sender(struct pmb *p, int s);
IPC_HIDDEN void pmb_reap(struct pmb *p, uint32_t i, struct pmb_wake *ws);
IPC_HIDDEN void pmb_scan(struct pmb *p, int me, struct pmb_scan *sc,
			 struct pmb_wake *ws);
IPC_HIDDEN uint64_t pmb_claimed(struct pmb *p, const struct pmb_scan *sc);
IPC_HIDDEN bool pmb_in_first(struct pmb *p, uint32_t c, uint64_t n);

/* select.c: priorities and selective receive (lock held) */
IPC_HIDDEN bool pmb_sel_active(const struct ipc_recvopt *sel);
IPC_HIDDEN int pmb_sel_check(const struct pmb *p, const struct ipc_recvopt *sel);
IPC_HIDDEN uint32_t pmb_sel_find(struct pmb *p, uint64_t skip,
				 const struct ipc_recvopt *sel, bool *damaged);
IPC_HIDDEN void pmb_wake_sel(struct pmb *p, uint32_t c, struct pmb_wake *ws);
IPC_HIDDEN void pmb_sel_publish(struct pmb *p, int slot, const struct ipc_recvopt *sel);
IPC_HIDDEN bool pmb_q_insert_prio(struct pmb *p, uint32_t c);
IPC_HIDDEN bool pmb_msg_opt(const struct pmb *p, const struct pmb_msg *m,
			    uint32_t *prio, uint64_t *tag);

/* call.c: calls and replies */
struct pmb_call_args {
	void *reply;			/* the caller's buffer */
	size_t size;
	struct ipc_callinfo *ci;
};
IPC_HIDDEN void pmb_call_slot(struct pmb *p, int slot, const struct pmb_call_args *ca);
IPC_HIDDEN ssize_t pmb_call_wait(struct pmb *p, int slot, uint32_t head,
				 struct pmb_dl *dl, bool intr, struct pmb_wake *ws,
				 struct pmb_call_args *ca);
IPC_HIDDEN int pmb_call_take(struct pmb *p, int s, bool keep, uint64_t *id,
			     uint32_t *rsize, struct pmb_wake *ws);
IPC_HIDDEN void pmb_reply_free(struct pmb *p, uint32_t slot);
IPC_HIDDEN ssize_t pmb_call(struct ipc_mbox *mb, const struct ipc_msg_req *req,
			    void *reply, size_t size, struct ipc_callinfo *ci);
IPC_HIDDEN int pmb_reply(struct ipc_mbox *mb, const struct ipc_reply_req *r);
IPC_HIDDEN void pmb_calls_drop(struct pmb *p);

/* port.c: ports */
IPC_HIDDEN int pmb_port_create(const struct ipc_attr *attr, struct ipc_mbox **out,
			       uint64_t *port);
IPC_HIDDEN int pmb_port_open(pid_t pid, uint64_t port, struct ipc_mbox **out);
IPC_HIDDEN void pmb_port_file(pid_t pid, uint64_t id, char file[NAME_MAX + 1]);

/* recover.c: recovery */
IPC_HIDDEN void pmb_recover(struct pmb *p);

/* msg.c: send and receive */
IPC_HIDDEN ssize_t pmb_do_send(struct pmb *p, const struct ipc_msg_req *req,
			       struct pmb_call_args *ca);
IPC_HIDDEN int pmb_send(struct ipc_mbox *mb, const struct ipc_msg_req *req);
IPC_HIDDEN ssize_t pmb_recv(struct ipc_mbox *mb, const struct ipc_msg_req *req,
			    struct ipc_msginfo *info);

/* close.c: close, destroy */
IPC_HIDDEN int pmb_close(struct ipc_mbox *mb);
IPC_HIDDEN int pmb_destroy(struct ipc_mbox *mb);

/* access.c: names and permissions */
IPC_HIDDEN void pmb_file_name(const char *name, char file[NAME_MAX + 1]);
IPC_HIDDEN int pmb_permission(const struct pmb *p, unsigned int access);
IPC_HIDDEN mode_t pmb_file_mode(uint32_t mode);
IPC_HIDDEN void pmb_unlink_own(struct pmb *p);
IPC_HIDDEN int pmb_owner_permission(uid_t owner);

/* open.c: segments: create, open, unlink */
IPC_HIDDEN void pmb_release(struct ipc_mbox *mb);
IPC_HIDDEN int pmb_open_at(const char *file, const char *name, unsigned int access,
			   bool check, struct ipc_mbox **out);
IPC_HIDDEN int pmb_open(const char *name, unsigned int access, struct ipc_mbox **out);
IPC_HIDDEN int pmb_create(const char *name, const struct ipc_attr *attr,
			  unsigned int access, struct ipc_mbox **out, bool *created);
IPC_HIDDEN int pmb_unlink(const char *name);
IPC_HIDDEN int pmb_port_make(const struct ipc_attr *attr, pid_t pid, uint64_t start,
			     struct ipc_mbox **out, uint64_t *port);

/* stat.c: introspection */
IPC_HIDDEN int pmb_info(struct ipc_mbox *mb, struct ipc_info *info);
IPC_HIDDEN int pmb_stat(const char *name, struct ipc_stat *st);
IPC_HIDDEN int pmb_list(ipc_list_fn fn, void *arg);

/* notify.c: ipc_fd and its pollers */
IPC_HIDDEN int pmb_anon_file(size_t size);
IPC_HIDDEN int pmb_fd(struct ipc_mbox *mb);
IPC_HIDDEN void pmb_notify(struct pmb *p, struct pmb_wake *ws);
IPC_HIDDEN void pmb_notify_drain(struct pmb *p, const struct pmb_dl *dl);
IPC_HIDDEN void pmb_notify_release(struct pmb *p);

#endif /* LIBIPC_PMB_H */
