// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
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
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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
};

/* Waiters to wake once the lock is dropped. */
struct pmb_wake {
	uint64_t bits[PMB_NWAIT / 64];
	bool slots;
};

/* How long a call may wait, made absolute when the call starts. */
struct pmb_dl {
	uint32_t mode;
	int64_t abs;
};

int libipc_test_crash_point;
unsigned int libipc_test_crash_after;

static void pmb_hook_fire(void)
{
	if (libipc_test_crash_after <= 1)
		raise(SIGKILL);
	libipc_test_crash_after--;
}

#define PMB_HOOK(pt) do {						\
	if (__builtin_expect(libipc_test_crash_point == (pt), 0))	\
		pmb_hook_fire();					\
} while (0)

static struct pmb *to_pmb(struct ipc_mbox *mb)
{
	return (struct pmb *)mb;
}

/* ---- futexes and deadlines ----------------------------------------------- */

/*
 * Sleep while *word == val, until abs_ns (CLOCK_MONOTONIC): 0 or -errno.
 *
 * Signals, as the kernel backend has them: a call that blocks or has an
 * absolute deadline is restarted after a handler with SA_RESTART, one
 * with a relative timeout never is (EINTR).  FUTEX_WAIT with a timeout
 * always fails with EINTR once a handler ran, while futex_waitv (5.16)
 * lets the kernel restart it (the timeout being absolute, nothing starts
 * over); so the restartable kind uses futex_waitv where there is one.
 */
static int pmb_futex_wait(uint32_t *word, uint32_t val, int64_t abs_ns,
			  bool restartable)
{
	static bool no_waitv;
	struct timespec ts = {
		.tv_sec = abs_ns / 1000000000LL,
		.tv_nsec = abs_ns % 1000000000LL,
	};
	struct futex_waitv wv = {
		.val = val,
		.uaddr = (uintptr_t)word,
		.flags = FUTEX_32,	/* not FUTEX_PRIVATE_FLAG: shared */
	};

	if (restartable && !__atomic_load_n(&no_waitv, __ATOMIC_RELAXED)) {
		if (syscall(SYS_futex_waitv, &wv, 1, 0, &ts, CLOCK_MONOTONIC) >= 0)
			return 0;
		if (errno == EINTR || errno == ETIMEDOUT || errno == EAGAIN)
			return -errno;
		/*
		 * Anything else (ENOSYS before 5.16, EPERM or another errno
		 * from a seccomp filter) would fail every time: returning it
		 * would make every blocked call spin.  The older call then.
		 */
		__atomic_store_n(&no_waitv, true, __ATOMIC_RELAXED);
	}
	if (syscall(SYS_futex, word, FUTEX_WAIT_BITSET, val, &ts, NULL,
		    FUTEX_BITSET_MATCH_ANY))
		return -errno;
	return 0;
}

static void pmb_futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void pmb_dl_init(struct pmb_dl *dl, const struct ipc_wait *w)
{
	dl->mode = w->mode;
	dl->abs = w->ns;
	if (w->mode == IPC_TIMEOUT) {
		int64_t now = ipc_now_ns();

		dl->abs = w->ns > INT64_MAX - now ? INT64_MAX : now + w->ns;
	}
}

/* May the call go (on) waiting?  0, or why not, in the kernel's order. */
static int pmb_may_sleep(const struct pmb_dl *dl, bool intr)
{
	if (dl->mode == IPC_NONBLOCK)
		return -EAGAIN;
	if ((dl->mode == IPC_TIMEOUT || dl->mode == IPC_DEADLINE) &&
	    ipc_now_ns() >= dl->abs)
		return -ETIMEDOUT;
	if (intr)
		return -EINTR;
	return 0;
}

/* ---- geometry and checks ---------------------------------------------------- */

static size_t pmb_align(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static uint32_t pmb_chunks_for(uint64_t len)
{
	return (uint32_t)((PMB_MSG_HDR + len + PMB_CHUNK - 1) / PMB_CHUNK);
}

static void pmb_geometry(uint32_t nwait, uint32_t nchunks, struct pmb_geom *g)
{
	g->off_wait = pmb_align(sizeof(struct pmb_hdr), 64);
	g->off_cstate = pmb_align(g->off_wait + nwait * sizeof(struct pmb_waiter), 64);
	g->off_next = pmb_align(g->off_cstate + nchunks, 64);
	g->off_chunks = pmb_align(g->off_next + (size_t)nchunks * sizeof(uint32_t), 4096);
	g->size = g->off_chunks + (size_t)nchunks * PMB_CHUNK;
}

/*
 * Chunks for a mailbox: a full queue of largest messages (rendezvous: one
 * offered by each possible blocked sender), and no more than the quota.
 */
static uint32_t pmb_nchunks(uint64_t capacity, uint32_t max_msg_size,
			    uint64_t quota, uint32_t nwait)
{
	uint64_t by_quota = quota / PMB_CHUNK, want;

	if (capacity == IPC_UNBOUNDED)
		want = by_quota;
	else
		want = (capacity ? capacity : nwait) * pmb_chunks_for(max_msg_size);
	return (uint32_t)(want < by_quota ? want : by_quota);
}

/*
 * Is this header one of ours, whole and sane?  Never trust a segment
 * before.  h is a private copy of the immutable part (pmb_hdr_copy): the
 * segment is shared, and what was checked must be what is used.
 */
static bool pmb_header_ok(const struct pmb_hdr *h, size_t file_size)
{
	struct pmb_geom g;

	if (file_size < sizeof(*h) || h->magic != PMB_MAGIC ||
	    h->version != PMB_VERSION || h->hdr_size != sizeof(*h) ||
	    h->abi != PMB_ABI || h->nwait != PMB_NWAIT ||
	    h->chunk_size != PMB_CHUNK)
		return false;
	if ((h->capacity > PMB_MAX_CAPACITY && h->capacity != IPC_UNBOUNDED) ||
	    !h->max_msg_size || h->max_msg_size > PMB_MAX_MSG ||
	    h->quota < PMB_MIN_QUOTA || h->quota > PMB_MAX_QUOTA ||
	    h->mode & ~0777u || !memchr(h->name, '\0', sizeof(h->name)))
		return false;
	if (h->nchunks != pmb_nchunks(h->capacity, h->max_msg_size, h->quota,
				      h->nwait))
		return false;
	pmb_geometry(h->nwait, h->nchunks, &g);
	return h->seg_size == g.size && file_size == g.size;
}

/* The immutable part of a segment's header, copied out to be checked and used. */
static void pmb_hdr_copy(struct pmb_hdr *copy, const void *base)
{
	memset(copy, 0, sizeof(*copy));
	memcpy(copy, base, offsetof(struct pmb_hdr, lock));
}

/*
 * Point the handle at a mapped segment of size bytes, whose header's
 * immutable part h (a private copy) was checked against that size.
 */
static void pmb_attach(struct pmb *p, void *base, const struct pmb_hdr *h,
		       size_t size)
{
	struct pmb_geom g;

	pmb_geometry(h->nwait, h->nchunks, &g);
	p->hdr = base;
	p->w = (struct pmb_waiter *)((char *)base + g.off_wait);
	p->cstate = (uint8_t *)base + g.off_cstate;
	p->next = (uint32_t *)((char *)base + g.off_next);
	p->chunks = (uint8_t *)base + g.off_chunks;
	p->size = size;
	p->id = h->id;
	p->capacity = h->capacity;
	p->quota = h->quota;
	p->max_msg_size = h->max_msg_size;
	p->mode = h->mode;
	p->uid = h->uid;
	p->gid = h->gid;
	p->nchunks = h->nchunks;
	p->nwait = h->nwait;
	memcpy(p->name, h->name, sizeof(p->name));
}

static struct pmb_msg *pmb_msg(struct pmb *p, uint32_t c)
{
	return (struct pmb_msg *)(p->chunks + (size_t)c * PMB_CHUNK);
}

/* A chunk index read from shared memory, before it is used. */
static bool pmb_chunk_ok(struct pmb *p, uint32_t c)
{
	return c < p->nchunks && c < p->hdr->hwm;
}

/* ---- backing store ---------------------------------------------------------- */

/*
 * Allocate the blocks of [off, off + len) of a segment file: 0 or -errno.
 * A segment file is sparse, and a page of it that tmpfs cannot provide
 * when first touched (/dev/shm full) is a SIGBUS, which would kill a
 * process holding the lock.  So pages are allocated before their first
 * use, and a full /dev/shm is an error there instead.  A file system
 * without fallocate stays sparse, as before.
 */
static int pmb_fallocate(int fd, size_t off, size_t len)
{
	int r;

	if (fd < 0 || !len)
		return 0;
	do
		r = fallocate(fd, 0, (off_t)off, (off_t)len);
	while (r && errno == EINTR);
	if (!r || errno == EOPNOTSUPP || errno == ENOSYS)
		return 0;
	return errno == EDQUOT ? -ENOSPC : -errno;
}

#define PMB_BACK_STEP	2048u		/* chunks allocated at a time: 256 KiB */

/*
 * Make sure the chunks a message of need chunks may take are allocated
 * (their cstate and next entries too): 0, or -ENOBUFS if /dev/shm is full.
 * Chunks below the high-water mark are, since whoever raised it allocated
 * them first (or, with an older library, touched them); the free ones
 * among them are used first.  Lock held.
 */
static int pmb_back(struct pmb *p, uint32_t need)
{
	uint32_t hwm = p->hdr->hwm, used = p->hdr->used, from, to;
	size_t off_cstate, off_next, off_chunks;
	int ret;

	if (p->fd < 0 || hwm >= p->nchunks)
		return 0;		/* anonymous memory: no file to fill */
	if (used < hwm)
		need = need > hwm - used ? need - (hwm - used) : 0;
	to = need > p->nchunks - hwm ? p->nchunks : hwm + need;
	if (to <= hwm || to <= p->backed)
		return 0;
	from = p->backed > hwm ? p->backed : hwm;
	to = (uint32_t)pmb_align(to, PMB_BACK_STEP);
	if (to > p->nchunks)
		to = p->nchunks;
	off_cstate = (size_t)(p->cstate - (uint8_t *)p->hdr);
	off_next = (size_t)((uint8_t *)p->next - (uint8_t *)p->hdr);
	off_chunks = (size_t)(p->chunks - (uint8_t *)p->hdr);
	ret = pmb_fallocate(p->fd, off_cstate + from, to - from);
	if (!ret)
		ret = pmb_fallocate(p->fd, off_next + (size_t)from * sizeof(uint32_t),
				    (size_t)(to - from) * sizeof(uint32_t));
	if (!ret)
		ret = pmb_fallocate(p->fd, off_chunks + (size_t)from * PMB_CHUNK,
				    (size_t)(to - from) * PMB_CHUNK);
	if (ret)
		return ret == -ENOSPC ? -ENOBUFS : ret;
	p->backed = to;
	return 0;
}

/* ---- chunks and the queue (lock held) -------------------------------------- */

/*
 * Everything read from the segment is checked before use, read once into
 * a local, then checked and used from there (a peer may write it at any
 * moment, lock or no lock), and no walk over a list in it goes on for
 * longer than the list could be: damage is found, never followed.  What
 * is found is repaired by pmb_recover(), which rebuilds the derived state
 * from the authoritative marks, or reported as EBADMSG.
 */
static void pmb_recover(struct pmb *p);

static uint32_t pmb_chunk_get(struct pmb *p)
{
	struct pmb_hdr *h = p->hdr;
	uint32_t c = h->free_head;

	if (c != PMB_NIL) {
		if (!pmb_chunk_ok(p, c) || p->cstate[c] != C_FREE)
			return PMB_NIL;		/* corrupt */
		h->free_head = p->next[c];
		return c;
	}
	if (h->hwm < p->nchunks)
		return h->hwm++;
	return PMB_NIL;
}

static void pmb_chunk_put(struct pmb *p, uint32_t c)
{
	p->cstate[c] = C_FREE;
	p->next[c] = p->hdr->free_head;
	p->hdr->free_head = c;
}

/* Frees the chunks of a message already taken off cstate C_QUEUED. */
static void pmb_msg_free(struct pmb *p, uint32_t head)
{
	uint32_t n = pmb_msg(p, head)->nchunks, c = head, nc;

	if (n > p->nchunks)
		n = p->nchunks;
	while (n-- && pmb_chunk_ok(p, c)) {
		nc = p->next[c];
		pmb_chunk_put(p, c);
		if (p->hdr->used)
			p->hdr->used--;
		c = nc;
	}
}

/*
 * A chain of n chunks, its first one C_WRITING, or PMB_NIL: storage is
 * sized never to run out, so that means a corrupt free list.
 */
static uint32_t pmb_msg_alloc(struct pmb *p, uint32_t n)
{
	uint32_t head, prev, c, i;

	if (p->hdr->used > p->nchunks || n > p->nchunks - p->hdr->used)
		return PMB_NIL;
	head = prev = pmb_chunk_get(p);
	if (head == PMB_NIL)
		return PMB_NIL;
	p->cstate[head] = C_WRITING;
	p->hdr->used++;
	for (i = 1; i < n; i++) {
		c = pmb_chunk_get(p);
		if (c == PMB_NIL) {
			p->next[prev] = PMB_NIL;
			pmb_msg(p, head)->nchunks = i;
			pmb_msg_free(p, head);
			return PMB_NIL;
		}
		p->cstate[c] = C_BODY;
		p->hdr->used++;
		p->next[prev] = c;
		prev = c;
	}
	p->next[prev] = PMB_NIL;
	return head;
}

/* Copy the iovec into the message's chunks (or out of them, to_iov). */
static void pmb_msg_copy(struct pmb *p, uint32_t head, const struct iovec *iov,
			 int iovcnt, size_t len, bool to_iov)
{
	size_t off = 0, room = PMB_CHUNK - PMB_MSG_HDR;
	uint8_t *data = (uint8_t *)pmb_msg(p, head) + PMB_MSG_HDR;
	uint32_t c = head;

	while (off < len) {
		size_t n = len - off < room ? len - off : room;

		if (to_iov)
			ipc_iov_copy_to(iov, iovcnt, off, data, n);
		else
			ipc_iov_copy_from(data, iov, iovcnt, off, n);
		off += n;
		if (off == len)
			break;
		c = p->next[c];
		if (!pmb_chunk_ok(p, c))
			return;		/* corrupt: stop, never stray */
		data = (uint8_t *)pmb_msg(p, c);
		room = PMB_CHUNK;
	}
}

/*
 * Append a published message to the queue: false, changing nothing, if
 * the queue's tail is not a queued message (the caller then recovers,
 * which queues the message too: it is published).
 */
static bool pmb_q_append(struct pmb *p, uint32_t c)
{
	struct pmb_hdr *h = p->hdr;
	struct pmb_msg *m = pmb_msg(p, c);
	uint32_t tail = h->qtail;

	if (tail == PMB_NIL ? h->qhead != PMB_NIL :
	    !pmb_chunk_ok(p, tail) || p->cstate[tail] != C_QUEUED || tail == c)
		return false;
	m->next = PMB_NIL;
	m->prev = tail;
	if (tail != PMB_NIL)
		pmb_msg(p, tail)->next = c;
	else
		h->qhead = c;
	h->qtail = c;
	h->msgs++;
	h->bytes += m->len;
	return true;
}

static void pmb_q_remove(struct pmb *p, uint32_t c)
{
	struct pmb_hdr *h = p->hdr;
	struct pmb_msg *m = pmb_msg(p, c);
	uint32_t prev = m->prev, next = m->next, len = m->len;

	if (prev != PMB_NIL && pmb_chunk_ok(p, prev))
		pmb_msg(p, prev)->next = next;
	else
		h->qhead = next;
	if (next != PMB_NIL && pmb_chunk_ok(p, next))
		pmb_msg(p, next)->prev = prev;
	else
		h->qtail = prev;
	h->msgs--;
	h->bytes -= len;
}

/* The idx-th queued message (0 = oldest), or PMB_NIL (none, or damage). */
static uint32_t pmb_q_nth(struct pmb *p, uint64_t idx)
{
	uint32_t c = p->hdr->qhead;

	if (idx >= p->nchunks)
		return PMB_NIL;		/* no queue is that long: no walk either */
	while (c != PMB_NIL && pmb_chunk_ok(p, c) && idx--)
		c = pmb_msg(p, c)->next;
	return c != PMB_NIL && pmb_chunk_ok(p, c) ? c : PMB_NIL;
}

/* Is this (chunk, seq) still a queued message? */
static bool pmb_present(struct pmb *p, uint32_t c, uint64_t seq)
{
	return pmb_chunk_ok(p, c) && p->cstate[c] == C_QUEUED &&
	       pmb_msg(p, c)->seq == seq;
}

/* ---- waking ------------------------------------------------------------------ */

static void pmb_wake_slot(struct pmb *p, uint32_t i, struct pmb_wake *ws)
{
	__atomic_add_fetch(&p->w[i].futex, 1, __ATOMIC_RELEASE);
	ws->bits[i / 64] |= 1ULL << (i % 64);
}

static void pmb_wake_kinds(struct pmb *p, uint32_t kinds, struct pmb_wake *ws)
{
	uint32_t i, k;

	if (!p->hdr->nwaiting)
		return;
	for (i = 0; i < p->nwait; i++) {
		k = p->w[i].kind;
		if (k != W_NONE && k <= W_TAKEN && kinds & W_BIT(k))
			pmb_wake_slot(p, i, ws);
	}
}

static void pmb_unlock(struct pmb *p, struct pmb_wake *ws)
{
	uint32_t i, k;

	pthread_mutex_unlock(&p->hdr->lock);
	if (!ws)
		return;
	for (k = 0; k < PMB_NWAIT / 64; k++)
		for (i = 0; ws->bits[k]; i++)
			if (ws->bits[k] & (1ULL << i)) {
				ws->bits[k] &= ~(1ULL << i);
				pmb_futex_wake(&p->w[k * 64 + i].futex);
			}
	if (ws->slots) {
		ws->slots = false;
		pmb_futex_wake(&p->hdr->slot_futex);
	}
}

/* ---- messages leaving the queue ------------------------------------------------ */

/* The waiter slot still waiting for this message, or -1. */
static int pmb_sender_slot(struct pmb *p, const struct pmb_msg *m)
{
	uint32_t sender = m->sender, s = sender - 1;

	if (!sender || s >= p->nwait || p->w[s].kind != W_TAKEN ||
	    p->w[s].gen != m->sender_gen)
		return -1;
	return (int)s;
}

/*
 * Take a message out of the queue.  op P_RECV: a receiver has it (its
 * waiting sender, if any, is told 0); P_WITHDRAW: it was never sent (its
 * waiting sender is told result, if not 0).  Room for senders either way;
 * and a withdrawn message may have been claimed: the claims behind it
 * move up, so receivers and peekers look again.
 */
static void pmb_unqueue(struct pmb *p, uint32_t c, uint32_t op, int result,
			struct pmb_wake *ws)
{
	struct pmb_hdr *h = p->hdr;
	struct pmb_msg *m = pmb_msg(p, c);
	struct pmb_pend *pd = &h->pend;
	int s;

	pd->head = c;
	pd->seq = m->seq;
	pd->result = result;
	pd->sent = h->sent - (op == P_WITHDRAW);
	pd->received = h->received + (op == P_RECV);
	pd->dropped = h->dropped;
	pd->op = op;
	p->cstate[c] = C_FREE;			/* the message is gone */
	PMB_HOOK(op == P_RECV ? LIBIPC_HOOK_RECV_COMMIT : LIBIPC_HOOK_WITHDRAW);

	s = pmb_sender_slot(p, m);
	if (s >= 0 && (op == P_RECV || result)) {
		p->w[s].result = op == P_RECV ? 0 : result;
		pmb_wake_slot(p, s, ws);
	}
	pmb_q_remove(p, c);
	pmb_msg_free(p, c);
	h->sent = pd->sent;
	h->received = pd->received;
	pd->op = P_NONE;
	pmb_wake_kinds(p, W_BIT(W_ROOM) | (op == P_WITHDRAW ?
			  W_BIT(W_RECV) | W_BIT(W_PEEK) : 0), ws);
}

/* ---- waiter slots (lock held) ---------------------------------------------------- */

/* Does a blocked call of this kind receive (or peek), rather than send? */
static bool pmb_kind_recv(uint32_t kind)
{
	return kind == W_RECV || kind == W_PEEK;
}

static bool pmb_slot_alive(struct pmb *p, uint32_t i);
static void pmb_reap(struct pmb *p, uint32_t i, struct pmb_wake *ws);

/*
 * Slots held by calls going the way of kind (sending or receiving); with
 * reap set, dead holders of any slot are reaped first.
 */
static uint32_t pmb_slots_held(struct pmb *p, uint32_t kind, bool reap,
			       struct pmb_wake *ws)
{
	uint32_t i, k, n = 0;

	for (i = 0; i < p->nwait; i++) {
		k = p->w[i].kind;
		if (k == W_NONE)
			continue;
		if (reap && !pmb_slot_alive(p, i)) {
			pmb_reap(p, i, ws);
			continue;
		}
		if (pmb_kind_recv(k) == pmb_kind_recv(kind))
			n++;
	}
	return n;
}

/*
 * Register the calling thread as a blocked call of this kind: a slot, or
 * -1.  Senders and receivers may each hold half the slots at most, so that
 * neither side can take every slot while it waits for the other (128
 * receivers blocked on a rendezvous would leave no slot to the sender they
 * wait for).  When the caller's half is full, dead holders are reaped:
 * only looking at the queue (pmb_scan) does that otherwise, and a sender
 * waiting for a slot does not look.
 */
static int pmb_slot_get(struct pmb *p, uint32_t kind, struct pmb_wake *ws)
{
	struct pmb_hdr *h = p->hdr;
	uint32_t i, half = p->nwait / 2;
	int r;

	if (pmb_slots_held(p, kind, false, ws) >= half &&
	    pmb_slots_held(p, kind, true, ws) >= half)
		return -1;
	for (i = 0; i < p->nwait; i++) {
		struct pmb_waiter *w = &p->w[i];

		if (w->kind != W_NONE)
			continue;
		r = pthread_mutex_trylock(&w->alive);
		if (r == EOWNERDEAD)	/* died between kind = W_NONE and unlock */
			r = pthread_mutex_consistent(&w->alive);
		if (r)
			continue;
		PMB_HOOK(LIBIPC_HOOK_SLOT);
		w->ticket = h->next_ticket++;
		w->gen = ++h->gen;
		w->pid = getpid();
		w->result = 1;
		w->msg = PMB_NIL;
		w->seq = 0;
		w->kind = kind;
		h->nwaiting++;
		return (int)i;
	}
	return -1;
}

static void pmb_slot_put(struct pmb *p, int i, struct pmb_wake *ws)
{
	p->w[i].kind = W_NONE;
	p->hdr->nwaiting--;
	pthread_mutex_unlock(&p->w[i].alive);
	__atomic_add_fetch(&p->hdr->slot_futex, 1, __ATOMIC_RELEASE);
	ws->slots = true;
}

/*
 * Is the thread holding slot i alive?  Its "alive" mutex says: held by a
 * live thread (EBUSY), or free to take because the holder died.
 */
static bool pmb_slot_alive(struct pmb *p, uint32_t i)
{
	pthread_mutex_t *m = &p->w[i].alive;
	int r = pthread_mutex_trylock(m);

	if (r == EBUSY)
		return true;
	if (r == EOWNERDEAD)
		pthread_mutex_consistent(m);
	if (r == 0 || r == EOWNERDEAD)
		pthread_mutex_unlock(m);
	return false;
}

/*
 * Clean up after a dead waiter: its slot is freed, and a message it was
 * waiting to see taken is withdrawn, as the kernel withdraws a killed
 * sender's.  Claims may shift: everyone looks again.
 */
static void pmb_reap(struct pmb *p, uint32_t i, struct pmb_wake *ws)
{
	struct pmb_waiter *w = &p->w[i];
	uint32_t msg = w->msg;

	if (w->kind == W_TAKEN && pmb_present(p, msg, w->seq))
		pmb_unqueue(p, msg, P_WITHDRAW, 0, ws);
	w->kind = W_NONE;
	p->hdr->nwaiting--;
	__atomic_add_fetch(&p->hdr->slot_futex, 1, __ATOMIC_RELEASE);
	ws->slots = true;
	pmb_wake_kinds(p, W_ALL, ws);
}

/* Who is blocked, the dead reaped; receivers in line ordered by arrival. */
struct pmb_scan {
	uint32_t nrecv, npeek, nsend;
	uint32_t rank;			/* of the caller's slot among receivers */
	uint8_t order[PMB_NWAIT];	/* receivers in line, oldest first */
};

static void pmb_scan(struct pmb *p, int me, struct pmb_scan *sc,
		     struct pmb_wake *ws)
{
	uint32_t i, j;

	memset(sc, 0, offsetof(struct pmb_scan, order));
	if (!p->hdr->nwaiting)
		return;
	for (i = 0; i < p->nwait; i++) {
		struct pmb_waiter *w = &p->w[i];
		uint32_t kind = w->kind;

		if (kind == W_NONE)
			continue;
		if ((int)i != me && !pmb_slot_alive(p, i)) {
			pmb_reap(p, i, ws);
			continue;
		}
		switch (kind) {
		case W_RECV:
			/* Insertion by ticket: there are few. */
			for (j = sc->nrecv; j > 0 &&
			     p->w[sc->order[j - 1]].ticket > w->ticket; j--)
				sc->order[j] = sc->order[j - 1];
			sc->order[j] = (uint8_t)i;
			sc->nrecv++;
			break;
		case W_PEEK:
			sc->npeek++;
			break;
		default:
			sc->nsend++;
			break;
		}
	}
	for (j = 0; j < sc->nrecv; j++)
		if ((int)sc->order[j] == me)
			sc->rank = j;
}

/* Messages claimed by receivers in line: the oldest min(msgs, nrecv). */
static uint64_t pmb_claimed(struct pmb *p, const struct pmb_scan *sc)
{
	return p->hdr->msgs < sc->nrecv ? p->hdr->msgs : sc->nrecv;
}

/* Is message c among the first n of the queue? */
static bool pmb_in_first(struct pmb *p, uint32_t c, uint64_t n)
{
	uint32_t q = p->hdr->qhead;

	for (; n && q != PMB_NIL && pmb_chunk_ok(p, q); n--, q = pmb_msg(p, q)->next)
		if (q == c)
			return true;
	return false;
}

/* ---- recovery ------------------------------------------------------------------- */

static uint32_t pmb_merge(struct pmb *p, uint32_t a, uint32_t b)
{
	uint32_t head = PMB_NIL, *tail = &head;

	while (a != PMB_NIL && b != PMB_NIL) {
		uint32_t *from = pmb_msg(p, a)->seq < pmb_msg(p, b)->seq ? &a : &b;

		*tail = *from;
		tail = &pmb_msg(p, *from)->next;
		*from = *tail;
	}
	*tail = a != PMB_NIL ? a : b;
	return head;
}

/* Sort a list linked through pmb_msg.next by seq, without allocating. */
static uint32_t pmb_sort(struct pmb *p, uint32_t list)
{
	uint32_t bins[33], res = PMB_NIL, cur;
	int k;

	for (k = 0; k < 33; k++)
		bins[k] = PMB_NIL;
	while (list != PMB_NIL) {
		cur = list;
		list = pmb_msg(p, cur)->next;
		pmb_msg(p, cur)->next = PMB_NIL;
		for (k = 0; k < 32 && bins[k] != PMB_NIL; k++) {
			cur = pmb_merge(p, bins[k], cur);
			bins[k] = PMB_NIL;
		}
		bins[k] = pmb_merge(p, bins[k], cur);
	}
	for (k = 0; k < 33; k++)
		res = pmb_merge(p, bins[k], res);
	return res;
}

/* Did the interrupted operation reach its publishing store? */
static bool pmb_pend_done(struct pmb *p, const struct pmb_pend *pd)
{
	switch (pd->op) {
	case P_SEND:
		return pmb_present(p, pd->head, pd->seq);
	case P_RECV:
	case P_WITHDRAW:
		return !pmb_present(p, pd->head, pd->seq);
	case P_DESTROY:
		return p->hdr->state == IPC_STATE_DESTROYED;
	}
	return false;
}

/* Mark the body chunks of a queued message; false if its chain is bad. */
static bool pmb_mark_chain(struct pmb *p, uint32_t head)
{
	struct pmb_msg *m = pmb_msg(p, head);
	uint32_t c = head, i, n, len = m->len, nchunks = m->nchunks;

	if (len > p->max_msg_size || nchunks != pmb_chunks_for(len))
		return false;
	for (i = 1; i < nchunks; i++) {
		c = p->next[c];
		if (!pmb_chunk_ok(p, c) || p->cstate[c] != C_FREE)
			break;
		p->cstate[c] = C_BODY;
	}
	if (i == nchunks)
		return true;
	/* Undo the marks made: the chunks belong to no one. */
	for (n = i, c = head, i = 1; i < n; i++) {
		c = p->next[c];
		if (!pmb_chunk_ok(p, c))
			break;
		p->cstate[c] = C_FREE;
	}
	return false;
}

/*
 * The previous holder of the lock died.  Rebuild everything derived from
 * what is authoritative (see the top of this file).  Allocates nothing and
 * is idempotent, so that a death during recovery is recovered in turn.
 */
static void pmb_recover(struct pmb *p)
{
	struct pmb_hdr *h = p->hdr;
	struct pmb_pend *pd = &h->pend;
	uint32_t i, list = PMB_NIL, prev;
	struct pmb_wake ws;
	int32_t pend_result = 0;
	uint32_t pend_op = P_NONE, pend_head = PMB_NIL;
	uint64_t pend_seq = 0;

	if (h->hwm > p->nchunks)
		h->hwm = p->nchunks;
	if (h->state > IPC_STATE_DESTROYED)
		h->state = IPC_STATE_DESTROYED;

	/* 1. The interrupted operation's totals, if it got that far. */
	if (pd->op != P_NONE && pmb_pend_done(p, pd)) {
		h->sent = pd->sent;
		h->received = pd->received;
		h->dropped = pd->dropped;
		pend_op = pd->op;
		pend_head = pd->head;
		pend_seq = pd->seq;
		pend_result = pd->op == P_RECV ? 0 : pd->result;
	}

	/* 2. Only published messages survive, and none once destroyed. */
	for (i = 0; i < h->hwm; i++)
		if (p->cstate[i] != C_QUEUED || h->state == IPC_STATE_DESTROYED)
			p->cstate[i] = C_FREE;

	/* 3. Check each message's chain and gather the messages. */
	h->msgs = h->bytes = 0;
	h->used = 0;
	for (i = 0; i < h->hwm; i++) {
		struct pmb_msg *m = pmb_msg(p, i);

		if (p->cstate[i] != C_QUEUED)
			continue;
		if (!pmb_mark_chain(p, i)) {
			p->cstate[i] = C_FREE;	/* corrupt: drop it */
			h->dropped++;
			continue;
		}
		m->next = list;
		list = i;
		h->msgs++;
		h->bytes += m->len;
		h->used += m->nchunks;
	}

	/* 4. The queue, in sending order. */
	list = pmb_sort(p, list);
	h->qhead = list;
	h->qtail = PMB_NIL;
	for (prev = PMB_NIL, i = list; i != PMB_NIL; prev = i, i = pmb_msg(p, i)->next)
		pmb_msg(p, i)->prev = prev;
	h->qtail = prev;

	/* 5. The free list: every chunk no message holds. */
	h->free_head = PMB_NIL;
	for (i = h->hwm; i-- > 0;)
		if (p->cstate[i] == C_FREE) {
			p->next[i] = h->free_head;
			h->free_head = i;
		}

	/*
	 * 6. Waiters.  A waiting sender's result is set after its message
	 * leaves the queue: if the message is gone and no result was set,
	 * the interrupted operation says what happened to it.  The journal
	 * entry is cleared only once every result is stored, so that a death
	 * in here leaves the next recovery as much to go on.
	 */
	memset(&ws, 0, sizeof(ws));
	PMB_HOOK(LIBIPC_HOOK_RECOVER);
	h->nwaiting = 0;
	for (i = 0; i < p->nwait; i++) {
		struct pmb_waiter *w = &p->w[i];

		if (w->kind > W_TAKEN)
			w->kind = W_NONE;
		if (w->kind == W_NONE)
			continue;
		h->nwaiting++;
		if (w->kind == W_TAKEN) {
			if (pmb_present(p, w->msg, w->seq))
				w->result = 1;
			else if (w->result == 1 && w->msg != PMB_NIL) {
				if (h->state == IPC_STATE_DESTROYED)
					w->result = -EIDRM;
				else if (pend_op != P_NONE && pend_head == w->msg &&
					 pend_seq == w->seq)
					w->result = pend_result;
				else
					w->result = -EBADMSG;	/* cannot happen */
			}
		}
	}
	pd->op = P_NONE;
	for (i = 0; i < p->nwait; i++)
		if (p->w[i].kind != W_NONE && !pmb_slot_alive(p, i))
			pmb_reap(p, i, &ws);

	/* 7. Everyone looks again (a rare path: wake them with the lock held). */
	for (i = 0; i < p->nwait; i++)
		__atomic_add_fetch(&p->w[i].futex, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&h->slot_futex, 1, __ATOMIC_RELEASE);
	for (i = 0; i < p->nwait; i++)
		pmb_futex_wake(&p->w[i].futex);
	pmb_futex_wake(&h->slot_futex);
}

static int pmb_lock(struct pmb *p)
{
	int r = pthread_mutex_lock(&p->hdr->lock);

	if (r == EOWNERDEAD) {
		pmb_recover(p);
		r = pthread_mutex_consistent(&p->hdr->lock);
	}
	return -r;
}

/*
 * Sleep on word with the lock dropped: until woken, dl passes (if given),
 * or PMB_POLL_NS pass, to look for dead peers.  -EINTR if a signal handler
 * ran; another error if the lock could not be taken back.
 */
static int pmb_sleep(struct pmb *p, uint32_t *word, const struct pmb_dl *dl,
		     struct pmb_wake *ws)
{
	uint32_t val = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	int64_t until = ipc_now_ns() + PMB_POLL_NS;
	int ret, lret;

	if (dl && (dl->mode == IPC_TIMEOUT || dl->mode == IPC_DEADLINE) &&
	    dl->abs < until)
		until = dl->abs;
	pmb_unlock(p, ws);
	ret = pmb_futex_wait(word, val, until, !dl || dl->mode != IPC_TIMEOUT);
	lret = pmb_lock(p);
	if (lret)
		return lret;
	return ret == -EINTR ? -EINTR : 0;
}

/* ---- send and receive ------------------------------------------------------------ */

static int pmb_send(struct ipc_mbox *mb, const struct ipc_msg_req *req)
{
	struct pmb *p = to_pmb(mb);
	struct pmb_hdr *h = p->hdr;
	bool must_take = req->flags & IPC_SYNC || p->capacity == 0;
	uint32_t need = pmb_chunks_for(req->len), head, *word;
	struct pmb_wake ws = { .slots = false };
	struct pmb_scan sc;
	struct pmb_msg *m;
	struct pmb_dl dl;
	bool intr = false, room, claimed, handoff, waits;
	uint64_t before;
	int slot = -1, ret, s;

	pmb_dl_init(&dl, req->wait);
	/*
	 * A message that must be taken, sent without waiting, is handed to a
	 * receiver already in line (or the send fails with EAGAIN), and the
	 * send returns at once: it never waits for that receiver to run.
	 */
	handoff = must_take && dl.mode == IPC_NONBLOCK;
	waits = must_take && !handoff;
	ret = pmb_lock(p);
	if (ret)
		return ret;
	/* The kernel's order: a mailbox no longer open, a size, the quota. */
	if (h->state != IPC_STATE_OPEN) {
		ret = h->state == IPC_STATE_CLOSED ? -EPIPE : -EIDRM;
		goto out;
	}
	if (req->len > p->max_msg_size) {
		ret = -EMSGSIZE;
		goto out;
	}

	/* 1. Wait for room (and, for a message that must be taken, a slot). */
	for (;;) {
		if (((uint64_t)h->used + need) * PMB_CHUNK > p->quota) {
			ret = -ENOBUFS;		/* at once, whatever else */
			goto out;
		}
		if (h->state == IPC_STATE_DESTROYED) {
			ret = -EIDRM;
			goto out;
		}
		if (h->state == IPC_STATE_CLOSED) {
			ret = -EPIPE;
			goto out;
		}
		room = p->capacity == 0 || p->capacity == IPC_UNBOUNDED ||
		       h->msgs < p->capacity;
		if (room && !waits)
			break;
		if (room && slot >= 0) {
			p->w[slot].kind = W_TAKEN;
			break;
		}
		if (!room && handoff) {
			ret = -EAGAIN;
			goto out;
		}
		if (slot < 0)
			slot = pmb_slot_get(p, room ? W_TAKEN : W_ROOM, &ws);
		if (room && slot >= 0)
			break;
		/* No room, or no slot to wait in: sleep. */
		ret = pmb_may_sleep(&dl, intr);
		if (ret)
			goto out;
		word = slot >= 0 ? &p->w[slot].futex : &h->slot_futex;
		ret = pmb_sleep(p, word, &dl, &ws);
		if (ret == -EINTR)
			intr = true;
		else if (ret)
			goto out_unlocked;
	}

	/* A rendezvous needs a receiver now, unless the call may wait for one. */
	pmb_scan(p, slot, &sc, &ws);
	if (must_take && sc.nrecv <= pmb_claimed(p, &sc)) {
		ret = pmb_may_sleep(&dl, intr);
		if (ret)
			goto out;
	}

	/* 2. Write the message, then publish it with one store. */
	ret = pmb_back(p, need);
	if (ret)
		goto out;
	head = pmb_msg_alloc(p, need);
	if (head == PMB_NIL) {
		ret = -EBADMSG;		/* storage is sized never to run out */
		goto out;
	}
	m = pmb_msg(p, head);
	m->seq = h->next_seq++;
	m->len = (uint32_t)req->len;
	m->nchunks = need;
	m->pid = getpid();
	m->uid = geteuid();
	m->gid = getegid();
	m->sender = waits ? (uint32_t)slot + 1 : 0;
	m->sender_gen = waits ? p->w[slot].gen : 0;
	pmb_msg_copy(p, head, req->iov, req->iovcnt, req->len, false);
	PMB_HOOK(LIBIPC_HOOK_SEND_COPY);
	if (waits) {
		p->w[slot].msg = head;
		p->w[slot].seq = m->seq;
		p->w[slot].result = 1;
	}
	h->pend.head = head;
	h->pend.seq = m->seq;
	h->pend.sent = h->sent + 1;
	h->pend.received = h->received;
	h->pend.dropped = h->dropped;
	h->pend.op = P_SEND;
	p->cstate[head] = C_QUEUED;		/* sent */
	PMB_HOOK(LIBIPC_HOOK_SEND_COMMIT);
	before = h->msgs;
	if (pmb_q_append(p, head)) {
		h->sent = h->pend.sent;
		h->pend.op = P_NONE;
	} else {
		/* The queue was damaged: rebuilt, this message in it. */
		pmb_recover(p);
	}

	/* The receiver in line this message falls to, and peekers, look. */
	if (sc.nrecv > before)
		pmb_wake_slot(p, sc.order[before], &ws);
	if (h->msgs > sc.nrecv)
		pmb_wake_kinds(p, W_BIT(W_PEEK), &ws);
	if (!waits)
		goto out;

	/* 3. Wait until a receiver takes it, or withdraw it. */
	for (;;) {
		if (p->w[slot].result != 1) {
			ret = p->w[slot].result;
			break;
		}
		pmb_scan(p, slot, &sc, &ws);
		if (p->w[slot].result != 1)	/* scan may have reaped its taker */
			continue;
		claimed = pmb_in_first(p, head, pmb_claimed(p, &sc));
		/*
		 * A claimed message is as good as handed over: the receiver
		 * it fell to takes it whatever happens to its own wait.  Its
		 * sender may still withdraw it (timeout, signal), as the
		 * kernel's may a message in flight.
		 */
		if (!claimed && h->state == IPC_STATE_CLOSED)
			ret = -EPIPE;
		else
			ret = pmb_may_sleep(&dl, intr);
		if (ret) {
			pmb_unqueue(p, head, P_WITHDRAW, 0, &ws);
			break;
		}
		s = pmb_sleep(p, &p->w[slot].futex, &dl, &ws);
		if (s == -EINTR)
			intr = true;
		else if (s) {
			ret = s;
			goto out_unlocked;
		}
	}
out:
	if (slot >= 0)
		pmb_slot_put(p, slot, &ws);
	pmb_unlock(p, &ws);
	return ret;

out_unlocked:
	/* The lock is beyond repair; let the slot be reaped as dead. */
	if (slot >= 0)
		pthread_mutex_unlock(&p->w[slot].alive);
	return ret;
}

static ssize_t pmb_recv(struct ipc_mbox *mb, const struct ipc_msg_req *req,
			struct ipc_msginfo *info)
{
	struct pmb *p = to_pmb(mb);
	struct pmb_hdr *h = p->hdr;
	bool peek = req->flags & IPC_PEEK, intr = false, repaired = false;
	struct pmb_wake ws = { .slots = false };
	struct pmb_scan sc;
	struct pmb_msg *m;
	struct pmb_dl dl;
	uint64_t idx;
	uint32_t c, len;
	int slot = -1;
	ssize_t ret;

	pmb_dl_init(&dl, req->wait);
	ret = pmb_lock(p);
	if (ret)
		return ret;
	for (;;) {
		if (h->state == IPC_STATE_DESTROYED) {
			ret = -EIDRM;
			break;
		}
		/* Receivers in line come first; peekers see past their claims. */
		pmb_scan(p, slot, &sc, &ws);
		idx = slot >= 0 && !peek ? sc.rank : sc.nrecv;
		if (idx < h->msgs) {
			c = pmb_q_nth(p, idx);
			m = c != PMB_NIL ? pmb_msg(p, c) : NULL;
			len = m ? m->len : 0;
			if (!m || p->cstate[c] != C_QUEUED || len > p->max_msg_size) {
				/* Damaged: rebuild the queue, once. */
				ret = -EBADMSG;
				if (repaired)
					break;
				pmb_recover(p);
				repaired = true;
				continue;
			}
			if (m->sender && pmb_sender_slot(p, m) < 0) {
				/* Its sender is gone without it: never sent. */
				pmb_unqueue(p, c, P_WITHDRAW, 0, &ws);
				continue;
			}
			info->len = len;
			if (len > req->len) {
				ret = -EMSGSIZE;
				/* Leaving the line hands our claim on. */
				if (slot >= 0)
					pmb_wake_kinds(p, W_ALL, &ws);
				break;
			}
			pmb_msg_copy(p, c, req->iov, req->iovcnt, len, true);
			info->pid = m->pid;
			info->uid = m->uid;
			info->gid = m->gid;
			ret = len;
			if (!peek) {
				PMB_HOOK(LIBIPC_HOOK_RECV_COPY);
				pmb_unqueue(p, c, P_RECV, 0, &ws);
			}
			break;
		}
		if (h->state == IPC_STATE_CLOSED) {
			ret = -EPIPE;
			break;
		}
		ret = pmb_may_sleep(&dl, intr);
		if (ret)
			break;
		if (slot < 0) {
			slot = pmb_slot_get(p, peek ? W_PEEK : W_RECV, &ws);
			if (slot >= 0)
				continue;	/* in line now, the dead reaped: look again */
		}
		ret = pmb_sleep(p, slot >= 0 ? &p->w[slot].futex : &h->slot_futex,
				&dl, &ws);
		if (ret == -EINTR) {
			intr = true;
		} else if (ret) {
			if (slot >= 0)
				pthread_mutex_unlock(&p->w[slot].alive);
			return ret;
		}
	}
	if (slot >= 0)
		pmb_slot_put(p, slot, &ws);
	pmb_unlock(p, &ws);
	return ret;
}

/* ---- close, destroy, info -------------------------------------------------------- */

static int pmb_close(struct ipc_mbox *mb)
{
	struct pmb *p = to_pmb(mb);
	struct pmb_hdr *h = p->hdr;
	struct pmb_wake ws = { .slots = false };
	struct pmb_scan sc;
	uint32_t c, nc, n;
	int ret, tries;

	ret = pmb_lock(p);
	if (ret)
		return ret;
	if (h->state == IPC_STATE_DESTROYED) {
		ret = -EIDRM;
	} else if (h->state == IPC_STATE_CLOSED) {
		ret = -EPIPE;		/* closed already, as the kernel says */
	} else if (h->state == IPC_STATE_OPEN) {
		h->state = IPC_STATE_CLOSED;
		PMB_HOOK(LIBIPC_HOOK_CLOSE);
		/*
		 * Senders still waiting for a receiver give up (claimed ones
		 * are taken).  A damaged queue is rebuilt and gone over again.
		 */
		for (tries = 0; tries < 2; tries++) {
			pmb_scan(p, -1, &sc, &ws);
			c = pmb_q_nth(p, pmb_claimed(p, &sc));
			for (n = 0; c != PMB_NIL; c = nc, n++) {
				if (!pmb_chunk_ok(p, c) || p->cstate[c] != C_QUEUED ||
				    n >= p->nchunks)
					break;
				nc = pmb_msg(p, c)->next;
				if (pmb_msg(p, c)->sender)
					pmb_unqueue(p, c, P_WITHDRAW, -EPIPE, &ws);
			}
			if (c == PMB_NIL)
				break;
			pmb_recover(p);
		}
		pmb_wake_kinds(p, W_ALL, &ws);
	}
	pmb_unlock(p, &ws);
	return ret;
}

/* Unlink our file's name, if the name still leads to our file. */
static void pmb_unlink_own(struct pmb *p)
{
	char path[sizeof(PMB_SHM_DIR) + NAME_MAX + 1];
	struct stat st;

	snprintf(path, sizeof(path), PMB_SHM_DIR "/%s", p->file);
	if (!stat(path, &st) && st.st_dev == p->dev && st.st_ino == p->ino)
		unlink(path);
}

/* Owner only, as with the kernel (root stands for CAP_IPC_OWNER). */
static int pmb_owner_permission(uid_t owner)
{
	uid_t euid = geteuid();

	return euid == owner || euid == 0 ? 0 : -EACCES;
}

static int pmb_destroy(struct ipc_mbox *mb)
{
	struct pmb *p = to_pmb(mb);
	struct pmb_hdr *h = p->hdr;
	struct pmb_wake ws = { .slots = false };
	uint64_t withdrawn = 0, dropped = 0;
	bool damaged = false;
	uint32_t c, nc, n;
	int ret, s, tries;

	ret = pmb_owner_permission(p->uid);
	if (ret)
		return ret;
	ret = pmb_lock(p);
	if (ret)
		return ret;
	if (h->state == IPC_STATE_DESTROYED) {
		pmb_unlock(p, NULL);
		return -EIDRM;
	}
	/*
	 * Waiting senders' messages are withdrawn, the others dropped.  A
	 * damaged queue is rebuilt first, to be counted right.
	 */
	for (tries = 0; tries < 2; tries++) {
		withdrawn = dropped = 0;
		damaged = false;
		for (c = h->qhead, n = 0; c != PMB_NIL; c = pmb_msg(p, c)->next, n++) {
			if (!pmb_chunk_ok(p, c) || p->cstate[c] != C_QUEUED ||
			    n >= p->nchunks) {
				damaged = true;
				break;
			}
			if (pmb_sender_slot(p, pmb_msg(p, c)) >= 0)
				withdrawn++;
			else
				dropped++;
		}
		if (!damaged)
			break;
		pmb_recover(p);
	}
	h->pend.sent = h->sent - withdrawn;
	h->pend.received = h->received;
	h->pend.dropped = h->dropped + dropped;
	h->pend.op = P_DESTROY;
	h->state = IPC_STATE_DESTROYED;		/* destroyed */
	PMB_HOOK(LIBIPC_HOOK_DESTROY);
	for (c = h->qhead, n = 0; !damaged && c != PMB_NIL; c = nc, n++) {
		struct pmb_msg *m;

		if (!pmb_chunk_ok(p, c) || p->cstate[c] != C_QUEUED || n >= p->nchunks) {
			damaged = true;
			break;
		}
		m = pmb_msg(p, c);
		nc = m->next;
		s = pmb_sender_slot(p, m);
		if (s >= 0) {
			p->w[s].result = -EIDRM;
			pmb_wake_slot(p, s, &ws);
		}
		p->cstate[c] = C_FREE;
		pmb_msg_free(p, c);
	}
	/* A damaged queue: recovery frees everything of a destroyed mailbox. */
	if (damaged)
		pmb_recover(p);
	h->qhead = h->qtail = PMB_NIL;
	h->msgs = h->bytes = 0;
	h->sent = h->pend.sent;
	h->dropped = h->pend.dropped;
	h->pend.op = P_NONE;
	if (p->named && h->linked)
		pmb_unlink_own(p);
	h->linked = 0;
	pmb_wake_kinds(p, W_ALL, &ws);
	pmb_unlock(p, &ws);
	return 0;
}

/*
 * What the mailbox holds now into info (its immutable fields too), and,
 * st given, the pids of who is blocked.  Lock held.
 */
static void pmb_snapshot(struct pmb *p, struct ipc_info *info,
			 struct ipc_stat *st, struct pmb_wake *ws)
{
	struct pmb_hdr *h = p->hdr;
	struct pmb_scan sc;
	uint64_t claimed, i;

	pmb_scan(p, -1, &sc, ws);
	/* Claimed messages count as handed over, as in the kernel. */
	claimed = pmb_claimed(p, &sc);
	info->msgs = h->msgs - claimed;
	info->bytes = h->bytes;
	for (i = 0; i < claimed; i++) {
		uint32_t c = pmb_q_nth(p, i);

		if (c != PMB_NIL)
			info->bytes -= pmb_msg(p, c)->len;
	}
	info->receivers_waiting = sc.nrecv - (uint32_t)claimed + sc.npeek;
	info->senders_waiting = sc.nsend;
	info->state = h->state;
	info->sent = h->sent;
	info->received = h->received;
	info->dropped = h->dropped;
	if (h->linked && p->named)
		memcpy(info->name, p->name, sizeof(info->name));
	info->id = p->id;
	info->capacity = p->capacity;
	info->max_msg_size = p->max_msg_size;
	info->mode = p->mode;
	info->uid = p->uid;
	info->gid = p->gid;
	if (!st)
		return;
	/* Receivers whose message is claimed are no longer blocked. */
	for (i = claimed; i < sc.nrecv && st->nreceivers < IPC_STAT_PIDS; i++)
		st->receivers[st->nreceivers++] = p->w[sc.order[i]].pid;
	for (i = 0; i < p->nwait; i++) {
		uint32_t kind = p->w[i].kind;

		if ((kind == W_ROOM || kind == W_TAKEN) && st->nsenders < IPC_STAT_PIDS)
			st->senders[st->nsenders++] = p->w[i].pid;
		else if (kind == W_PEEK && st->nreceivers < IPC_STAT_PIDS)
			st->receivers[st->nreceivers++] = p->w[i].pid;
	}
}

static int pmb_info(struct ipc_mbox *mb, struct ipc_info *info)
{
	struct pmb *p = to_pmb(mb);
	struct pmb_wake ws = { .slots = false };
	int ret;

	ret = pmb_lock(p);
	if (ret)
		return ret;
	pmb_snapshot(p, info, NULL, &ws);
	pmb_unlock(p, &ws);
	info->access = mb->access;
	return 0;
}

static int pmb_fd(struct ipc_mbox *mb)
{
	(void)mb;
	return -ENOTSUP;	/* no file descriptor to poll: see README */
}

/* ---- segments: create, open, unlink --------------------------------------------- */

static int pmb_init(void)
{
	return 0;
}

/* The quota of new mailboxes: LIBIPC_POSIX_QUOTA bytes (K, M, G suffixes). */
static int pmb_quota(uint64_t *quota)
{
	/* Not for set-user-ID programs: their caller's environment is not theirs. */
	const char *env = secure_getenv("LIBIPC_POSIX_QUOTA");
	unsigned long long v;
	char *end;

	*quota = PMB_DEFAULT_QUOTA;
	if (!env || !*env)
		return 0;
	errno = 0;
	v = strtoull(env, &end, 10);
	if (errno || end == env)
		return -EINVAL;
	switch (*end) {
	case 'G': v = v > (ULLONG_MAX >> 30) ? ULLONG_MAX : v << 30; end++; break;
	case 'M': v = v > (ULLONG_MAX >> 20) ? ULLONG_MAX : v << 20; end++; break;
	case 'K': v = v > (ULLONG_MAX >> 10) ? ULLONG_MAX : v << 10; end++; break;
	}
	if (*end || v < PMB_MIN_QUOTA || v > PMB_MAX_QUOTA)
		return -EINVAL;
	*quota = v;
	return 0;
}

/*
 * The caller's umask, which a new mailbox's mode is masked with, as the
 * kernel does (and mq_open).  From /proc, since umask(2) can only read it
 * by changing it, which other threads would see.
 */
static mode_t pmb_umask(void)
{
	unsigned long mask;
	char line[128], *end;
	mode_t old;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (strncmp(line, "Umask:", 6) != 0)
				continue;
			mask = strtoul(line + 6, &end, 8);
			if (end == line + 6)
				break;
			fclose(f);
			return mask & 0777;
		}
		fclose(f);
	}
	old = umask(022);	/* no /proc: the racy way */
	umask(old);
	return old;
}

/* The file for a name: kmbox.<name>, or a hash of a name too long for that. */
static void pmb_file_name(const char *name, char file[NAME_MAX + 1])
{
	uint64_t hash = 0xcbf29ce484222325ULL;	/* FNV-1a */
	const char *s;

	if (strlen(name) <= PMB_NAME_DIRECT) {
		snprintf(file, NAME_MAX + 1, PMB_PREFIX "%s", name);
		return;
	}
	for (s = name; *s; s++)
		hash = (hash ^ (uint8_t)*s) * 0x100000001b3ULL;
	/* '/' cannot be in a name, so this cannot be another name's file. */
	snprintf(file, NAME_MAX + 1, PMB_PREFIX "/%016llx", (unsigned long long)hash);
	file[sizeof(PMB_PREFIX) - 1] = '#';
}

/*
 * Is gid the caller's effective group or a supplementary one?  1, 0, or
 * -errno.  All of them: there may be up to NGROUPS_MAX (65536).
 */
static int pmb_in_group(gid_t gid)
{
	gid_t *groups;
	int n, i, ret = 0;

	if (getegid() == gid)
		return 1;
	for (;;) {
		n = getgroups(0, NULL);
		if (n <= 0)
			return n < 0 ? -errno : 0;
		groups = malloc((size_t)n * sizeof(*groups));
		if (!groups)
			return -ENOMEM;
		n = getgroups(n, groups);
		if (n >= 0 || errno != EINVAL)
			break;
		free(groups);		/* another thread added groups: again */
	}
	if (n < 0)
		ret = -errno;
	for (i = 0; i < n && !ret; i++)
		if (groups[i] == gid)
			ret = 1;
	free(groups);
	return ret;
}

/* As mq_open: the read bit grants receive, the write bit send. */
static int pmb_permission(const struct pmb *p, unsigned int access)
{
	unsigned int mode = p->mode, want = 0;
	uid_t euid = geteuid();
	int in;

	if (access & IPC_RECV)
		want |= 04;
	if (access & IPC_SEND)
		want |= 02;
	if (euid == 0)
		return 0;
	if (euid == p->uid) {
		mode >>= 6;
	} else {
		in = pmb_in_group(p->gid);
		if (in < 0)
			return in;
		if (in)
			mode >>= 3;
	}
	return (mode & want) == want ? 0 : -EACCES;
}

/*
 * The file's own mode: anyone granted any access must map the segment
 * read-write (receiving changes it too), and the owner always may (to
 * destroy it).  The direction is then the library's to enforce.
 */
static mode_t pmb_file_mode(uint32_t mode)
{
	mode_t m = 0600;

	if (mode & 060)
		m |= 060;
	if (mode & 06)
		m |= 06;
	return m;
}

static void pmb_init_mutex(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
}

struct pmb_params {
	uint64_t capacity, quota;
	uint32_t max_msg_size, mode, nchunks;
	struct pmb_geom g;
};

static int pmb_params(const struct ipc_attr *attr, struct pmb_params *pp)
{
	int ret;

	if (attr->capacity > PMB_MAX_CAPACITY && attr->capacity != IPC_UNBOUNDED)
		return -EINVAL;
	if (attr->max_msg_size > PMB_MAX_MSG)
		return -EINVAL;
	ret = pmb_quota(&pp->quota);
	if (ret)
		return ret;
	pp->capacity = attr->capacity;
	pp->max_msg_size = attr->max_msg_size ? attr->max_msg_size : PMB_DEFAULT_MSG;
	pp->mode = attr->mode & ~pmb_umask();
	pp->nchunks = pmb_nchunks(pp->capacity, pp->max_msg_size, pp->quota, PMB_NWAIT);
	pmb_geometry(PMB_NWAIT, pp->nchunks, &pp->g);
	return 0;
}

/* Fill a new, zeroed segment.  Nobody else can see it yet. */
static void pmb_format(void *base, const struct pmb_params *pp, const char *name)
{
	struct pmb_hdr *h = base;
	struct pmb_waiter *w = (struct pmb_waiter *)((char *)base + pp->g.off_wait);
	uint64_t id;
	uint32_t i;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint64_t)ipc_now_ns() ^ ((uint64_t)getpid() << 32);
	h->version = PMB_VERSION;
	h->hdr_size = sizeof(*h);
	h->abi = PMB_ABI;
	h->nwait = PMB_NWAIT;
	h->seg_size = pp->g.size;
	h->id = id;
	h->capacity = pp->capacity;
	h->quota = pp->quota;
	h->max_msg_size = pp->max_msg_size;
	h->mode = pp->mode;
	h->uid = geteuid();
	h->gid = getegid();
	h->nchunks = pp->nchunks;
	h->chunk_size = PMB_CHUNK;
	if (name)
		snprintf(h->name, sizeof(h->name), "%s", name);
	pmb_init_mutex(&h->lock);
	h->state = IPC_STATE_OPEN;
	h->linked = name != NULL;
	h->free_head = h->qhead = h->qtail = PMB_NIL;
	for (i = 0; i < PMB_NWAIT; i++) {
		pmb_init_mutex(&w[i].alive);
		w[i].msg = PMB_NIL;
	}
	__atomic_store_n(&h->magic, PMB_MAGIC, __ATOMIC_RELEASE);
}

/* A new handle, pointing nowhere yet: allocated before anything is made. */
static struct pmb *pmb_new(unsigned int access)
{
	struct pmb *p = calloc(1, sizeof(*p));

	if (p) {
		p->base.ops = &ipc_posix_ops;
		p->base.access = access;
		p->fd = -1;
	}
	return p;
}

/*
 * Point a new handle at a mapped segment (see pmb_attach); fd, the file
 * of a named one, becomes the handle's.
 */
static void pmb_wrap(struct pmb *p, void *base, const struct pmb_hdr *h,
		     size_t size, int fd, const char *file,
		     const struct stat *st)
{
	pmb_attach(p, base, h, size);
	p->fd = fd;
	if (file) {
		p->named = true;
		snprintf(p->file, sizeof(p->file), "%s", file);
		p->dev = st->st_dev;
		p->ino = st->st_ino;
		/* The file's owner is the owner: the kernel vouches for that. */
		p->uid = st->st_uid;
		p->gid = st->st_gid;
	}
}

static void pmb_release(struct ipc_mbox *mb)
{
	struct pmb *p = to_pmb(mb);

	munmap(p->hdr, p->size);
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

/*
 * pmb_open_file's work, given the file in PMB_SHM_DIR: name is the name
 * it must hold, or NULL for whatever name leads to this file.
 */
static int pmb_open_at(const char *file, const char *name, unsigned int access,
		       bool check, struct ipc_mbox **out)
{
	char path[sizeof(PMB_SHM_DIR) + NAME_MAX + 1], want[NAME_MAX + 1];
	struct pmb_hdr h;
	struct stat st;
	struct pmb *p;
	void *base;
	int fd, ret;

	snprintf(path, sizeof(path), PMB_SHM_DIR "/%s", file);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ELOOP ? -EBADMSG : -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(struct pmb_hdr)) {
		ret = -EBADMSG;		/* not a segment of ours */
		goto out_close;
	}
	base = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		ret = -errno;
		goto out_close;
	}
	pmb_hdr_copy(&h, base);
	if (!pmb_header_ok(&h, st.st_size) || !h.name[0]) {
		ret = -EBADMSG;
		goto out_unmap;
	}
	if (!name)
		pmb_file_name(h.name, want);
	if ((name ? strcmp(h.name, name) : strcmp(want, file)) != 0) {
		ret = -EBADMSG;		/* not the segment of its file's name */
		goto out_unmap;
	}
	p = pmb_new(access);
	if (!p) {
		ret = -ENOMEM;
		goto out_unmap;
	}
	pmb_wrap(p, base, &h, st.st_size, fd, file, &st);
	ret = 0;
	if (__atomic_load_n(&p->hdr->state, __ATOMIC_ACQUIRE) == IPC_STATE_DESTROYED) {
		/*
		 * Its destroyer died before removing the name.  Only under
		 * its lock and while it is linked: whoever cleans up first
		 * clears that, so that nobody removes the name once a new
		 * mailbox has it.
		 */
		if (!pmb_lock(p)) {
			if (p->hdr->linked)
				pmb_unlink_own(p);
			p->hdr->linked = 0;
			pmb_unlock(p, NULL);
		}
		ret = -ENOENT;
	} else if (check) {
		ret = pmb_permission(p, access);
	}
	if (ret) {
		pmb_release(&p->base);	/* closes fd */
		return ret;
	}
	*out = &p->base;
	return 0;

out_unmap:
	munmap(base, st.st_size);
out_close:
	close(fd);
	return ret;
}

/*
 * Open the segment behind a name, checking access against its mode if
 * check is set.  A destroyed one whose name was left behind (its destroyer
 * died first) counts as absent and is cleaned up.
 */
static int pmb_open_file(const char *name, unsigned int access, bool check,
			 struct ipc_mbox **out)
{
	char file[NAME_MAX + 1];

	pmb_file_name(name, file);
	return pmb_open_at(file, name, access, check, out);
}

/*
 * Give the formatted file in fd its name, atomically and only if the name
 * is free (-EEXIST otherwise): nobody ever sees a half-made segment.
 */
static int pmb_link(int fd, const char *tmp, const char *path)
{
	char proc[64];

	if (tmp) {
		if (link(tmp, path))
			return -errno;
		return 0;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW))
		return -errno;
	return 0;
}

static int pmb_open(const char *name, unsigned int access, struct ipc_mbox **out)
{
	return pmb_open_file(name, access, true, out);
}

/*
 * Make a segment and give it the name, or -EEXIST.  The file is made
 * unnamed (O_TMPFILE) and linked once formatted; where that cannot be done
 * (no /proc, say), under a temporary name (tmpname set), which a crash
 * would leave behind.
 */
static int pmb_create_file(const char *name, const struct pmb_params *pp,
			   unsigned int access, bool tmpname,
			   struct ipc_mbox **out)
{
	char file[NAME_MAX + 1], path[sizeof(PMB_SHM_DIR) + NAME_MAX + 1];
	char tmpbuf[sizeof(PMB_SHM_DIR) + 64], *tmp = NULL;
	static unsigned int seq;
	struct pmb_hdr h;
	struct stat st;
	struct pmb *p;
	void *base;
	int fd, ret;

	/* The handle first: once the name is linked, nothing may fail. */
	p = pmb_new(access);
	if (!p)
		return -ENOMEM;
	pmb_file_name(name, file);
	snprintf(path, sizeof(path), PMB_SHM_DIR "/%s", file);
	if (tmpname) {
		/* Not "kmbox.": no mailbox name can make this one. */
		snprintf(tmpbuf, sizeof(tmpbuf), PMB_SHM_DIR "/kmbox-tmp.%d.%u",
			 (int)getpid(), __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
		tmp = tmpbuf;
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	} else {
		fd = open(PMB_SHM_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0) {
			free(p);
			return -ENOTSUP;
		}
	}
	if (fd < 0) {
		ret = -errno;
		free(p);
		return ret;
	}
	if (fchmod(fd, pmb_file_mode(pp->mode)) || ftruncate(fd, (off_t)pp->g.size) ||
	    fstat(fd, &st)) {
		ret = -errno;
		goto out_close;
	}
	/* The fixed part now; the chunks as they come into use (pmb_back). */
	ret = pmb_fallocate(fd, 0, pp->g.off_cstate);
	if (ret)
		goto out_close;
	base = mmap(NULL, pp->g.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		ret = -errno;
		goto out_close;
	}
	pmb_format(base, pp, name);
	pmb_hdr_copy(&h, base);		/* before anyone else can see it */
	ret = pmb_link(fd, tmp, path);
	if (ret == -ENOENT && !tmp)
		ret = -ENOTSUP;		/* no /proc to link it through */
	if (ret) {
		munmap(base, pp->g.size);
		goto out_close;
	}
	pmb_wrap(p, base, &h, pp->g.size, fd, file, &st);
	*out = &p->base;
	p = NULL;
	fd = -1;			/* the handle's now */
out_close:
	if (tmp)
		unlink(tmp);
	if (fd >= 0)
		close(fd);
	free(p);
	return ret;
}

static int pmb_create(const char *name, const struct ipc_attr *attr,
		      unsigned int access, struct ipc_mbox **out, bool *created)
{
	struct pmb_params pp;
	struct ipc_mbox *old = NULL;
	struct pmb_hdr h;
	struct pmb *p;
	void *base;
	int ret, tries;

	/*
	 * Every process granted send access writes the whole segment: an
	 * owner-only close could not be kept, so it is not promised.
	 */
	if (attr->flags & IPC_OWNER_CLOSE)
		return -ENOTSUP;
	ret = pmb_params(attr, &pp);
	if (ret)
		return ret;
	*created = true;
	if (!name) {
		p = pmb_new(access);
		if (!p)
			return -ENOMEM;
		base = mmap(NULL, pp.g.size, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (base == MAP_FAILED) {
			ret = -errno;
			free(p);
			return ret;
		}
		pmb_format(base, &pp, NULL);
		pmb_hdr_copy(&h, base);
		pmb_wrap(p, base, &h, pp.g.size, -1, NULL, NULL);
		*out = &p->base;
		return 0;
	}
	/* Open it if it exists, else make it; a racing creator makes us retry. */
	for (tries = 0; tries < 100; tries++) {
		if (!(attr->flags & IPC_EXCL)) {
			ret = pmb_open(name, access, out);
			*created = false;
			if (ret != -ENOENT)
				return ret;
			*created = true;
		}
		ret = pmb_create_file(name, &pp, access, false, out);
		if (ret == -ENOTSUP)
			ret = pmb_create_file(name, &pp, access, true, out);
		if (ret != -EEXIST)
			return ret;
		if (attr->flags & IPC_EXCL) {
			/* It exists, unless it is a destroyed one's leftover. */
			ret = pmb_open_file(name, IPC_RECV, false, &old);
			if (ret == -ENOENT)
				continue;
			if (!ret)
				pmb_release(old);
			return -EEXIST;
		}
	}
	return -EAGAIN;
}

static int pmb_unlink(const char *name)
{
	char file[NAME_MAX + 1], path[sizeof(PMB_SHM_DIR) + NAME_MAX + 1];
	struct ipc_mbox *mb = NULL;
	struct stat st;
	struct pmb *p;
	int ret;

	pmb_file_name(name, file);
	snprintf(path, sizeof(path), PMB_SHM_DIR "/%s", file);
	if (lstat(path, &st))
		return -errno;
	ret = pmb_owner_permission(st.st_uid);
	if (ret)
		return ret;
	ret = pmb_open_file(name, IPC_RECV, false, &mb);
	if (ret == -EBADMSG) {
		/* Not a segment of ours: its owner may still remove the file. */
		return unlink(path) ? (errno == EPERM ? -EACCES : -errno) : 0;
	}
	if (ret)
		return ret;	/* ENOENT; or EMFILE, ENOMEM...: the name stays */
	p = to_pmb(mb);
	ret = pmb_lock(p);
	if (!ret) {
		if (p->hdr->linked)
			pmb_unlink_own(p);
		p->hdr->linked = 0;
		pmb_unlock(p, NULL);
	}
	pmb_release(mb);
	return ret;
}

/* ---- introspection ---------------------------------------------------------------- */

/*
 * The stat of the segment in file (name: the name it must hold, or NULL).
 * One the caller may not open is described from the file alone when its
 * name is known, with IPC_STAT_PARTIAL.
 */
static int pmb_stat_at(const char *file, const char *name, struct ipc_stat *st)
{
	char path[sizeof(PMB_SHM_DIR) + NAME_MAX + 1];
	struct pmb_wake ws = { .slots = false };
	struct ipc_mbox *mb = NULL;
	struct stat fst;
	struct pmb *p;
	int ret;

	ret = pmb_open_at(file, name, IPC_RECV, false, &mb);
	if (ret == -EACCES || ret == -EPERM) {
		snprintf(path, sizeof(path), PMB_SHM_DIR "/%s", file);
		if (!name && strlen(file) > sizeof(PMB_PREFIX) - 1 &&
		    file[sizeof(PMB_PREFIX) - 1] != '#')
			name = file + sizeof(PMB_PREFIX) - 1;
		if (!name || lstat(path, &fst))
			return ret;
		st->flags = IPC_STAT_PARTIAL;
		st->info.uid = fst.st_uid;
		st->info.gid = fst.st_gid;
		snprintf(st->info.name, sizeof(st->info.name), "%s", name);
		return 0;
	}
	if (ret)
		return ret;
	p = to_pmb(mb);
	ret = pmb_lock(p);
	if (!ret) {
		pmb_snapshot(p, &st->info, st, &ws);
		pmb_unlock(p, &ws);
	}
	pmb_release(mb);
	return ret;
}

static int pmb_stat(const char *name, struct ipc_stat *st)
{
	char file[NAME_MAX + 1];

	pmb_file_name(name, file);
	return pmb_stat_at(file, name, st);
}

/* Every file kmbox.* in PMB_SHM_DIR that is a live segment of ours. */
static int pmb_list(ipc_list_fn fn, void *arg)
{
	struct ipc_stat st;
	struct dirent *de;
	int ret = 0;
	DIR *dir;

	dir = opendir(PMB_SHM_DIR);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, PMB_PREFIX, sizeof(PMB_PREFIX) - 1) != 0)
			continue;
		memset(&st, 0, sizeof(st));
		/* Gone meanwhile, destroyed, or not ours: not a mailbox. */
		if (pmb_stat_at(de->d_name, NULL, &st))
			continue;
		ret = fn(&st, arg);
		if (ret)
			break;
	}
	closedir(dir);
	return ret;
}

const struct ipc_backend_ops ipc_posix_ops = {
	.name = "posix",
	.init = pmb_init,
	.create = pmb_create,
	.open = pmb_open,
	.unlink = pmb_unlink,
	.close = pmb_close,
	.destroy = pmb_destroy,
	.release = pmb_release,
	.send = pmb_send,
	.recv = pmb_recv,
	.info = pmb_info,
	.fd = pmb_fd,
	.stat = pmb_stat,
	.list = pmb_list,
};
