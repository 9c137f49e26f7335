// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The posix backend's waiting: futex waits and wakes, deadlines, waking
 * waiters, and sleeping with the lock dropped (design: pmb.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pmb.h"

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
int pmb_futex_wait(uint32_t *word, uint32_t val, int64_t abs_ns, bool restartable)
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

void pmb_futex_wake_n(uint32_t *word, int n)
{
	syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0);
}

void pmb_futex_wake(uint32_t *word)
{
	pmb_futex_wake_n(word, INT_MAX);
}

void pmb_dl_init(struct pmb_dl *dl, const struct ipc_wait *w)
{
	dl->mode = w->mode;
	dl->abs = w->ns;
	if (w->mode == IPC_TIMEOUT) {
		int64_t now = ipc_now_ns();

		dl->abs = w->ns > INT64_MAX - now ? INT64_MAX : now + w->ns;
	}
}

/* May the call go (on) waiting?  0, or why not, in the kernel's order. */
int pmb_may_sleep(const struct pmb_dl *dl, bool intr)
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

/* ---- waking ------------------------------------------------------------------ */

/*
 * Wake the call waiting in slot i once the lock is dropped.  The futex
 * word changes now, under the lock, so that a waiter about to sleep sees
 * it did; the system call is made only if the waiter may be asleep (it
 * says so in sleeping, and clears it once awake: see pmb_spin).
 */
void pmb_wake_slot(struct pmb *p, uint32_t i, struct pmb_wake *ws)
{
	__atomic_add_fetch(&p->w[i].futex, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&p->w[i].sleeping, __ATOMIC_SEQ_CST))
		ws->bits[i / 64] |= 1ULL << (i % 64);
}

void pmb_wake_kinds(struct pmb *p, uint32_t kinds, struct pmb_wake *ws)
{
	uint32_t i, k;

	if (!p->hdr->nwaiting)
		return;
	for (i = 0; i < p->nwait; i++) {
		k = p->w[i].kind;
		if (k != W_NONE && k <= W_KIND_MAX && kinds & W_BIT(k))
			pmb_wake_slot(p, i, ws);
	}
}

/* Drop the lock, then wake whom ws says. */
void pmb_unlock(struct pmb *p, struct pmb_wake *ws)
{
	bool slots = ws && ws->slots &&
		     __atomic_load_n(&p->hdr->slot_sleepers, __ATOMIC_RELAXED);
	uint32_t i, k;

	pmb_lock_drop(p);
	if (!ws)
		return;
	for (k = 0; k < PMB_NWAIT / 64; k++)
		for (i = 0; ws->bits[k]; i++)
			if (ws->bits[k] & (1ULL << i)) {
				ws->bits[k] &= ~(1ULL << i);
				pmb_futex_wake(&p->w[k * 64 + i].futex);
			}
	ws->slots = false;
	if (slots)
		pmb_futex_wake(&p->hdr->slot_futex);
	pmb_notify(p, ws);
}

/* Are there other CPUs to make a change while we spin?  Asked once. */
static bool pmb_may_spin(void)
{
	static int ncpus;
	int n = __atomic_load_n(&ncpus, __ATOMIC_RELAXED);

	if (!n) {
		n = (int)sysconf(_SC_NPROCESSORS_ONLN);
		n = n > 0 ? n : 1;
		__atomic_store_n(&ncpus, n, __ATOMIC_RELAXED);
	}
	return n > 1;
}

/*
 * Before sleeping in a slot, watch its futex word for PMB_SLEEP_SPIN_NS:
 * a peer on another CPU often answers within that (a rendezvous taken, the
 * next message of a stream), and then neither side makes a system call.
 * Only then say "sleeping" (wakers make the FUTEX_WAKE call for sleepers
 * alone) and look again: the waker bumps the word, then reads sleeping;
 * we write sleeping, then read the word; both sequentially consistent, so
 * one of us sees the other.  True if the word changed.
 */
static bool pmb_spin(struct pmb *p, int slot, uint32_t *word, uint32_t val)
{
	int64_t end;
	int i;

	if (pmb_may_spin()) {
		end = ipc_now_ns() + PMB_SLEEP_SPIN_NS;
		do {
			for (i = 0; i < 64; i++) {
				if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != val)
					return true;
				pmb_cpu_relax();
			}
		} while (ipc_now_ns() < end);
	}
	__atomic_store_n(&p->w[slot].sleeping, 1, __ATOMIC_SEQ_CST);
	return __atomic_load_n(word, __ATOMIC_SEQ_CST) != val;
}

/*
 * Sleep with the lock dropped, in slot (or, -1, for a slot to be freed):
 * until woken, dl passes, or PMB_POLL_NS pass, to look for dead peers.
 * 0 or -EINTR (a signal handler ran) with the lock held again; or, when
 * the lock could not be taken back within dl, -ETIMEDOUT or -EAGAIN
 * without it (the caller then abandons its slot: pmb_abandon).
 */
int pmb_sleep(struct pmb *p, int slot, const struct pmb_dl *dl,
	      struct pmb_wake *ws)
{
	struct pmb_hdr *h = p->hdr;
	uint32_t *word = slot >= 0 ? &p->w[slot].futex : &h->slot_futex, val;
	int64_t until = ipc_now_ns() + PMB_POLL_NS;
	int ret = 0, lret;

	if (slot < 0)
		__atomic_add_fetch(&h->slot_sleepers, 1, __ATOMIC_RELAXED);
	val = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	if ((dl->mode == IPC_TIMEOUT || dl->mode == IPC_DEADLINE) && dl->abs < until)
		until = dl->abs;
	pmb_unlock(p, ws);
	if (slot < 0 || !pmb_spin(p, slot, word, val))
		ret = pmb_futex_wait(word, val, until, dl->mode != IPC_TIMEOUT);
	/* Awake: wakers need not make a system call for us any more. */
	if (slot >= 0)
		__atomic_store_n(&p->w[slot].sleeping, 0, __ATOMIC_RELAXED);
	else
		__atomic_sub_fetch(&h->slot_sleepers, 1, __ATOMIC_RELAXED);
	lret = pmb_lock(p, dl);
	if (lret)
		return lret;
	return ret == -EINTR ? -EINTR : 0;
}
