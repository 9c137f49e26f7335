// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The posix backend's lock: a futex word holding its holder's tid, taken
 * within the calling operation's deadline, and taken over from a holder
 * that died (design: pmb.h, "Lock").
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pmb.h"

/* ---- who we are: ids stamped once, and again after fork -------------------------- */

/*
 * System calls that return the same thing every time are not made on
 * every message: the ids are read once per process (and per thread, for
 * the tid), and again in a fork child, which is the only way they change
 * under us but for set*id(2) (a process that changes ids sends with its
 * old ones until it forks: see pmb.h, "Senders").
 */
static struct pmb_self pmb_proc;
static unsigned int pmb_fork_gen = 1;
static pthread_once_t pmb_self_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t pmb_self_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread unsigned int pmb_tid_gen;
static __thread uint32_t pmb_tid_cached;

/*
 * Our pid namespace, 0 if unknown (then treated as another one's), or if
 * the /proc mounted here is of another pid namespace than ours: its
 * numbers would not be the tids the segment holds.
 */
static uint64_t pmb_read_pidns(pid_t pid)
{
	char link[32], want[32];
	struct stat st;
	ssize_t n;

	n = readlink("/proc/self", link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	snprintf(want, sizeof(want), "%d", (int)pid);
	if (strcmp(link, want) != 0 || stat("/proc/self/ns/pid", &st))
		return 0;
	return (uint64_t)st.st_dev << 32 ^ (uint64_t)st.st_ino;
}

static void pmb_self_read(unsigned int gen)
{
	pmb_proc.pid = getpid();
	pmb_proc.uid = geteuid();
	pmb_proc.gid = getegid();
	pmb_proc.pidns = pmb_read_pidns(pmb_proc.pid);
	__atomic_store_n(&pmb_proc.gen, gen, __ATOMIC_RELEASE);
}

/*
 * Another thread of the parent may have been reading the ids, holding
 * pmb_self_lock, when this one forked: it is not in the child, and the
 * copy of the lock would stay held for good.  The child has one thread
 * now: nobody else holds or waits for it.
 */
static void pmb_atfork_child(void)
{
	pthread_mutex_init(&pmb_self_lock, NULL);
	__atomic_add_fetch(&pmb_fork_gen, 1, __ATOMIC_RELAXED);
}

static void pmb_self_init(void)
{
	pthread_atfork(NULL, NULL, pmb_atfork_child);
}

/*
 * The fields are written only while gen is stale, which is before any
 * thread has read them (first use) or in a fork child before its first
 * thread is made: readers see gen current, with acquire, and then fields
 * nobody writes.
 */
const struct pmb_self *pmb_self(void)
{
	unsigned int gen = __atomic_load_n(&pmb_fork_gen, __ATOMIC_RELAXED);

	if (__atomic_load_n(&pmb_proc.gen, __ATOMIC_ACQUIRE) == gen)
		return &pmb_proc;
	pthread_once(&pmb_self_once, pmb_self_init);
	pthread_mutex_lock(&pmb_self_lock);
	if (__atomic_load_n(&pmb_proc.gen, __ATOMIC_RELAXED) != gen)
		pmb_self_read(gen);
	pthread_mutex_unlock(&pmb_self_lock);
	return &pmb_proc;
}

uint32_t pmb_tid(void)
{
	unsigned int gen = pmb_self()->gen;

	if (pmb_tid_gen != gen) {
		pmb_tid_cached = (uint32_t)syscall(SYS_gettid);
		pmb_tid_gen = gen;
	}
	return pmb_tid_cached;
}

/* ---- is a thread alive? --------------------------------------------------------- */

/*
 * The state of thread tid, of our pid namespace, as /proc has it ('R',
 * 'S', 'T'...), 'X' if it is gone, '?' if that cannot be told.  A thread
 * that has exited is gone from kill(2), but for a thread-group leader,
 * which lingers as a zombie ('Z') until reaped.  A tid reused by a new
 * thread looks alive (accepted: see pmb.h, "Lock").
 */
static char pmb_tid_state(uint32_t tid)
{
	char path[48], buf[256], *rp;
	ssize_t n;
	int fd;

	if (!tid || tid > PMB_LOCK_TID)
		return 'X';
	if (kill((pid_t)tid, 0) && errno == ESRCH)
		return 'X';
	snprintf(path, sizeof(path), "/proc/%u/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold ')', the state follows the last. */
	for (rp = buf + n; rp > buf && rp[-1] != ')'; rp--)
		;
	if (rp == buf || rp[0] != ' ' || !rp[1])
		return '?';
	return rp[1];
}

/*
 * Whether tid, read from the segment, may be looked up at all: only when
 * every process that ever opened the mailbox shares our pid namespace (a
 * tid from another one names some other thread here, or none).
 */
static bool pmb_tid_ours(uint64_t pidns, uint32_t foreign)
{
	return !foreign && pidns && pmb_self()->pidns == pidns;
}

/*
 * Is thread tid, of a mailbox of pid namespace pidns, dead for good?  A
 * thread that is not a leader (maybe_leader false) is gone from kill(2)
 * as soon as it exits: that spares looking at /proc.
 */
bool pmb_dead(uint64_t pidns, uint32_t foreign, uint32_t tid, bool maybe_leader)
{
	char st;

	if (!pmb_tid_ours(pidns, foreign))
		return false;
	if (!maybe_leader && tid && tid <= PMB_LOCK_TID)
		return kill((pid_t)tid, 0) && errno == ESRCH;
	st = pmb_tid_state(tid);
	return st == 'X' || st == 'Z';
}

/*
 * Has process pid, of the caller's pid namespace, exited (a zombie, or
 * gone)?  A receive FROM it then has nothing more to wait for.
 */
bool pmb_process_exited(pid_t pid)
{
	char st;

	if (pid <= 0)
		return true;
	st = pmb_tid_state((uint32_t)pid);
	return st == 'X' || st == 'Z';
}

bool pmb_holder_dead(struct pmb *p, uint32_t tid)
{
	return pmb_dead(p->pidns, __atomic_load_n(&p->hdr->foreign, __ATOMIC_RELAXED),
			tid, true);
}

/* Is the lock's holder tid not going to let go soon: stopped, or unknown? */
/*
 * Is the lock's holder tid not going to let go soon?  A holder never
 * sleeps with the lock, so one that is not running or runnable ('R') is
 * stopped, or the word names some other thread (a peer wrote it, or it is
 * our own); and one that cannot be looked at may be either.
 */
static bool pmb_holder_stuck(struct pmb *p, uint32_t tid)
{
	if (tid == pmb_tid() ||
	    !pmb_tid_ours(p->pidns, __atomic_load_n(&p->hdr->foreign, __ATOMIC_RELAXED)))
		return true;
	return pmb_tid_state(tid) != 'R';
}

/* ---- the lock ---------------------------------------------------------------------- */

const struct pmb_dl pmb_dl_nowait = { .mode = IPC_NONBLOCK };

/*
 * A process of another pid namespace than the mailbox's says so before its
 * tid is ever in the segment (the lock word, or a waiter slot, written
 * with the lock held): opening the mailbox does (pmb_attach), but a handle
 * inherited across fork into a new pid namespace (unshare(CLONE_NEWPID),
 * as container tools do) was never opened there, and its tids, numbers
 * of that namespace, would be looked up in the mailbox's one, where they
 * name another thread or none: a live holder taken for dead, and its lock
 * taken over.  The compare-and-swap that publishes our tid in the word
 * is a release too (free on x86), which orders the flag before it; a
 * reader loads the word, or a slot's tid, with acquire before the flag.
 */
static void pmb_check_ns(struct pmb *p)
{
	if (__builtin_expect(pmb_self()->pidns == p->pidns, 1) ||
	    __atomic_load_n(&p->hdr->foreign, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&p->hdr->foreign, 1, __ATOMIC_RELAXED);
}

/*
 * Take the lock, waiting no later than dl says (NULL: for as long as it
 * takes): 0; -EAGAIN or -ETIMEDOUT when the time is up.  A holder found
 * dead is replaced, and the mailbox recovered.
 *
 * Holders are in for microseconds, but there may be many in a row: a
 * non-blocking call waits while they come and go or run, and gives up
 * when one that holds it PMB_LOCK_NB_NS is found not running (stopped, or
 * not a holder at all), or after PMB_LOCK_NB_MAX_NS in all; a timed one gets PMB_LOCK_NB_NS of
 * grace past its deadline, so as not to fail for a holder just leaving.
 */
int pmb_lock(struct pmb *p, const struct pmb_dl *dl)
{
	uint32_t *word = &p->hdr->lock, me = pmb_tid(), cur = 0, tid, holder = 0;
	int64_t until = INT64_MAX, now, since, slice, check = PMB_LOCK_CHECK_NS;
	bool nonblock = dl && dl->mode == IPC_NONBLOCK;
	int spin;

	pmb_check_ns(p);
	if (__atomic_compare_exchange_n(word, &cur, me, false, __ATOMIC_ACQ_REL,
					__ATOMIC_RELAXED))
		return 0;
	for (spin = 0; spin < PMB_LOCK_SPIN; spin++) {
		pmb_cpu_relax();
		cur = 0;
		if (__atomic_load_n(word, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(word, &cur, me, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return 0;
	}
	now = since = ipc_now_ns();
	if (nonblock)
		until = now + PMB_LOCK_NB_MAX_NS;
	else if (dl && (dl->mode == IPC_TIMEOUT || dl->mode == IPC_DEADLINE))
		until = dl->abs > INT64_MAX - PMB_LOCK_NB_NS ? INT64_MAX :
			dl->abs + PMB_LOCK_NB_NS;
	for (;;) {
		cur = __atomic_load_n(word, __ATOMIC_RELAXED);
		if (cur == 0) {
			/* Others may sleep on it still: whoever unlocks wakes one. */
			if (__atomic_compare_exchange_n(word, &cur, me | PMB_LOCK_WAITERS,
							false, __ATOMIC_ACQ_REL,
							__ATOMIC_RELAXED))
				return 0;
			continue;
		}
		if (!(cur & PMB_LOCK_WAITERS) &&
		    !__atomic_compare_exchange_n(word, &cur, cur | PMB_LOCK_WAITERS,
						 false, __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED))
			continue;
		cur |= PMB_LOCK_WAITERS;
		tid = cur & PMB_LOCK_TID;
		if (tid != holder) {
			holder = tid;
			since = now;
			check = PMB_LOCK_CHECK_NS;
		}
		slice = now + check;
		/* A holder seen alive is looked at less often (pmb.h, "Crashes"). */
		if (check < PMB_LOCK_CHECK_MAX_NS)
			check = check * 2 < PMB_LOCK_CHECK_MAX_NS ? check * 2 : PMB_LOCK_CHECK_MAX_NS;
		if (nonblock && since + PMB_LOCK_NB_NS < slice)
			slice = since + PMB_LOCK_NB_NS;
		if (until < slice)
			slice = until;
		if (pmb_futex_wait(word, cur, slice, true) == -ETIMEDOUT &&
		    __atomic_load_n(word, __ATOMIC_ACQUIRE) == cur &&
		    pmb_holder_dead(p, tid) &&
		    __atomic_compare_exchange_n(word, &cur, me | PMB_LOCK_WAITERS,
						false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			pmb_recover(p);
			return 0;
		}
		now = ipc_now_ns();
		if (now >= until || (nonblock && now >= since + PMB_LOCK_NB_NS &&
				     (__atomic_load_n(word, __ATOMIC_RELAXED) &
				      PMB_LOCK_TID) == holder &&
				     pmb_holder_stuck(p, holder)))
			return nonblock ? -EAGAIN : -ETIMEDOUT;
	}
}

/* Drop the lock; wake one sleeper if there may be one. */
void pmb_lock_drop(struct pmb *p)
{
	uint32_t *word = &p->hdr->lock, me = pmb_tid();

	if (__atomic_compare_exchange_n(word, &me, 0, false, __ATOMIC_RELEASE,
					__ATOMIC_RELAXED))
		return;
	/* Waiters (or a peer wrote the word): release it all the same. */
	if (__atomic_exchange_n(word, 0, __ATOMIC_RELEASE) & PMB_LOCK_WAITERS)
		pmb_futex_wake_n(word, 1);
}
