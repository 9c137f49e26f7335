/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The posix backend: mailboxes in shared memory, with the kernel module's
 * semantics, for when /dev/kmbox is not there.
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
 * Lock.  One process-shared robust mutex guards everything mutable, and
 * everything (copies included) happens under it.  Nothing sleeps with it
 * held, so it is only ever held briefly.
 *
 * Crashes.  A process may die (SIGKILL) anywhere.  With the lock held, the
 * next locker gets EOWNERDEAD and pmb_recover() rebuilds the state from
 * what is authoritative and was written in an order that makes it so:
 *  - a message exists iff its first chunk's cstate is C_QUEUED: a sender
 *    writes the whole message first and publishes it with that one store;
 *    a receiver copies the message out first and consumes it with the
 *    reverse store.  Queue links, the free list and the counters are
 *    derived and rebuilt (the queue sorted by sequence number);
 *  - totals (sent, received, dropped) would need two stores: the
 *    operation's after-values go to hdr->pend first, and recovery applies
 *    them iff the operation's publishing store happened.
 * A process that dies while blocked (lock not held) leaves a waiter slot,
 * whose robust "alive" mutex the dead thread held: pthread_mutex_trylock
 * then returns EOWNERDEAD, and the slot is reaped (a rendezvous or
 * synchronous sender's message is withdrawn with it, as the kernel does).
 * Waiters wake every PMB_POLL_NS to look for such dead peers.
 *
 * Waiting.  Each blocked call holds a waiter slot and sleeps on the slot's
 * futex word, which wakers bump and FUTEX_WAKE after unlocking.  Senders
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
 * hook; segment.c: geometry, header checks, backing store; wait.c:
 * futexes, deadlines, the lock, waking; queue.c: chunks and the queue;
 * slots.c: waiter slots; recover.c: crash recovery; msg.c: send and
 * receive; close.c: close and destroy; access.c: names and permissions;
 * open.c: create, open, unlink; stat.c: info, stat, list; notify.c:
 * ipc_fd and telling its pollers.
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
#define PMB_VERSION		1
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
#define PMB_NIL			UINT32_MAX
#define PMB_SHM_DIR		"/dev/shm"
#define PMB_PREFIX		"kmbox."
/* Longest name used as is in a file name; longer ones are hashed. */
#define PMB_NAME_DIRECT		(NAME_MAX - (sizeof(PMB_PREFIX) - 1))
#define PMB_ABI			((uint32_t)(sizeof(pthread_mutex_t) << 8 | sizeof(long)))

/* cstate[]: what a chunk holds. */
enum { C_FREE, C_WRITING, C_QUEUED, C_BODY };

/* struct pmb_waiter.kind: what a blocked call waits for. */
enum { W_NONE, W_RECV, W_PEEK, W_ROOM, W_TAKEN };
#define W_BIT(k)	(1u << (k))
#define W_ALL		(W_BIT(W_RECV) | W_BIT(W_PEEK) | W_BIT(W_ROOM) | W_BIT(W_TAKEN))

/* struct pmb_pend.op */
enum { P_NONE, P_SEND, P_RECV, P_WITHDRAW, P_DESTROY };

struct pmb_waiter {
	pthread_mutex_t alive;	/* held by the waiting thread while kind != W_NONE */
	uint32_t futex;		/* bumped and woken to wake the waiter */
	uint32_t kind;
	uint64_t ticket;	/* arrival order */
	int32_t pid;
	int32_t result;		/* W_TAKEN: 1 pending, 0 taken, -errno withdrawn */
	uint32_t gen;		/* tells this use of the slot from later ones */
	uint32_t msg;		/* W_TAKEN: first chunk of its message */
	uint64_t seq;		/* W_TAKEN: its message's sequence number */
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
	char name[IPC_NAME_MAX + 1];

	/* lock protects the rest. */
	pthread_mutex_t lock;
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
	uint32_t pad[5];
};

static_assert(sizeof(struct pmb_msg) == PMB_MSG_HDR, "message header");
static_assert(PMB_MSG_HDR < PMB_CHUNK, "room for data in the first chunk");

struct pmb_geom {
	size_t off_wait, off_cstate, off_next, off_chunks, size;
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
	uint64_t id, capacity, quota;
	uint32_t max_msg_size, mode, uid, gid, nchunks, nwait;
	int fd;				/* named: the file, to allocate it; else -1 */
	uint32_t backed;		/* chunks [0, backed) known allocated */
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
	uint32_t rank;			/* of the caller's slot among receivers */
	uint8_t order[PMB_NWAIT];	/* receivers in line, oldest first */
};

IPC_HIDDEN void pmb_hook_fire(void);

#define PMB_HOOK(pt) do {						\
	if (__builtin_expect(libipc_test_crash_point == (pt), 0))	\
		pmb_hook_fire();					\
} while (0)

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

/* posix-segment.c: geometry, checks, backing store */
IPC_HIDDEN void pmb_geometry(uint32_t nwait, uint32_t nchunks, struct pmb_geom *g);
IPC_HIDDEN uint32_t pmb_nchunks(uint64_t capacity, uint32_t max_msg_size,
				uint64_t quota, uint32_t nwait);
IPC_HIDDEN bool pmb_header_ok(const struct pmb_hdr *h, size_t file_size);
IPC_HIDDEN void pmb_hdr_copy(struct pmb_hdr *copy, const void *base);
IPC_HIDDEN void pmb_attach(struct pmb *p, void *base, const struct pmb_hdr *h,
			   size_t size);
IPC_HIDDEN int pmb_fallocate(int fd, size_t off, size_t len);
IPC_HIDDEN int pmb_back(struct pmb *p, uint32_t need);

/* posix-wait.c: futexes, deadlines, waking, the lock */
IPC_HIDDEN void pmb_futex_wake(uint32_t *word);
IPC_HIDDEN void pmb_dl_init(struct pmb_dl *dl, const struct ipc_wait *w);
IPC_HIDDEN int pmb_may_sleep(const struct pmb_dl *dl, bool intr);
IPC_HIDDEN void pmb_wake_slot(struct pmb *p, uint32_t i, struct pmb_wake *ws);
IPC_HIDDEN void pmb_wake_kinds(struct pmb *p, uint32_t kinds, struct pmb_wake *ws);
IPC_HIDDEN void pmb_unlock(struct pmb *p, struct pmb_wake *ws);
IPC_HIDDEN int pmb_lock(struct pmb *p);
IPC_HIDDEN int pmb_sleep(struct pmb *p, uint32_t *word, const struct pmb_dl *dl,
			 struct pmb_wake *ws);

/* posix-queue.c: chunks and the queue (lock held) */
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

/* posix-slots.c: waiter slots (lock held) */
IPC_HIDDEN int pmb_slot_get(struct pmb *p, uint32_t kind, struct pmb_wake *ws);
IPC_HIDDEN void pmb_slot_put(struct pmb *p, int i, struct pmb_wake *ws);
IPC_HIDDEN bool pmb_slot_alive(struct pmb *p, uint32_t i);
IPC_HIDDEN void pmb_reap(struct pmb *p, uint32_t i, struct pmb_wake *ws);
IPC_HIDDEN void pmb_scan(struct pmb *p, int me, struct pmb_scan *sc,
			 struct pmb_wake *ws);
IPC_HIDDEN uint64_t pmb_claimed(struct pmb *p, const struct pmb_scan *sc);
IPC_HIDDEN bool pmb_in_first(struct pmb *p, uint32_t c, uint64_t n);

/* posix-recover.c: recovery */
IPC_HIDDEN void pmb_recover(struct pmb *p);

/* posix-msg.c: send and receive */
IPC_HIDDEN int pmb_send(struct ipc_mbox *mb, const struct ipc_msg_req *req);
IPC_HIDDEN ssize_t pmb_recv(struct ipc_mbox *mb, const struct ipc_msg_req *req,
			    struct ipc_msginfo *info);

/* posix-close.c: close, destroy */
IPC_HIDDEN int pmb_close(struct ipc_mbox *mb);
IPC_HIDDEN int pmb_destroy(struct ipc_mbox *mb);

/* posix-access.c: names and permissions */
IPC_HIDDEN void pmb_file_name(const char *name, char file[NAME_MAX + 1]);
IPC_HIDDEN int pmb_permission(const struct pmb *p, unsigned int access);
IPC_HIDDEN mode_t pmb_file_mode(uint32_t mode);
IPC_HIDDEN void pmb_unlink_own(struct pmb *p);
IPC_HIDDEN int pmb_owner_permission(uid_t owner);

/* posix-open.c: segments: create, open, unlink */
IPC_HIDDEN void pmb_release(struct ipc_mbox *mb);
IPC_HIDDEN int pmb_open_at(const char *file, const char *name, unsigned int access,
			   bool check, struct ipc_mbox **out);
IPC_HIDDEN int pmb_open(const char *name, unsigned int access, struct ipc_mbox **out);
IPC_HIDDEN int pmb_create(const char *name, const struct ipc_attr *attr,
			  unsigned int access, struct ipc_mbox **out, bool *created);
IPC_HIDDEN int pmb_unlink(const char *name);

/* posix-stat.c: introspection */
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
