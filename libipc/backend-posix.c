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
 *
 * Files.  pmb.h has the segment's layout, the handle and what the files
 * share; this one the test hook and the ops table.  posix-segment.c:
 * geometry, header checks, backing store; posix-wait.c: futexes,
 * deadlines, the lock, waking; posix-queue.c: chunks and the queue;
 * posix-slots.c: waiter slots; posix-recover.c: crash recovery;
 * posix-msg.c: send and receive; posix-close.c: close and destroy;
 * posix-access.c: names and permissions; posix-open.c: create, open,
 * unlink; posix-stat.c: info, stat, list.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>

#include "pmb.h"

int libipc_test_crash_point;
unsigned int libipc_test_crash_after;

void pmb_hook_fire(void)
{
	if (libipc_test_crash_after <= 1)
		raise(SIGKILL);
	libipc_test_crash_after--;
}

static int pmb_init(void)
{
	return 0;
}

static int pmb_fd(struct ipc_mbox *mb)
{
	(void)mb;
	return -ENOTSUP;	/* no file descriptor to poll: see README */
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
