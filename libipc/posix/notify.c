// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The posix backend's pollable descriptor, ipc_fd() (design: pmb.h,
 * "Polling").
 *
 * Each handle that asks gets its own inotify instance watching the
 * segment file's inode for IN_MODIFY.  Whoever changes the mailbox
 * writes one byte (hdr->poke) to the file with pwrite(2) after dropping
 * the lock, if the header says anybody polls: the kernel queues an event
 * in every instance watching the file, whoever made it.  The handle's
 * own non-blocking sends and receives read its instance empty before
 * they look at the mailbox, so that a readable descriptor means "changed
 * since you last looked".
 *
 * Why inotify rather than a FIFO or pipe shared by the pollers: a byte in
 * a pipe is read by one reader only, so with two pollers one would read
 * (and lose) the other's wake-up, e.g. a receiver draining the "message
 * taken" that a sender polling for room waits for.  Each inotify instance
 * has a queue of its own, fed by the kernel from one write.  And there is
 * no other file to make: no name in /dev/shm that a hostile user could
 * take first, replace, or leave behind; the watch needs read access to
 * the segment and the byte write access, which everyone granted any
 * access to the mailbox has anyway (pmb_file_mode), and nobody else.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmb.h"

/*
 * A file for an anonymous segment of size bytes, or -1 (then the caller
 * maps anonymous memory, and ipc_fd is ENOTSUP for it).  A memfd, but
 * reopened through /proc: since Linux 6.14 writes through the memfd's own
 * file raise no inotify events (it is a "pseudo" file), through a file
 * opened by path they do.  Children inherit it with the mapping.
 */
int pmb_anon_file(size_t size)
{
	char path[32];
	int mfd, fd;

	mfd = memfd_create("kmbox", MFD_CLOEXEC);
	if (mfd < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	fd = -1;
	if (!ftruncate(mfd, (off_t)size))
		fd = open(path, O_RDWR | O_CLOEXEC);
	close(mfd);
	return fd;
}

/*
 * Tell pollers that the mailbox changed, if the lock holder that just
 * unlocked said it did and anybody polls.  hdr->pollers is a hint that a
 * peer may rewrite: 0 costs pollers their wake-ups (as a peer able to
 * write the segment can make them miss anything in any case), anything
 * else a write per change.  The write cannot fail for want of space (the
 * header's page is allocated at creation), and raises no signal; any
 * error is ignored, as nothing could be done about it.
 */
void pmb_notify(struct pmb *p, struct pmb_wake *ws)
{
	static const uint8_t byte;

	if (!ws || !ws->notify)
		return;
	ws->notify = false;
	if (p->fd < 0 || !__atomic_load_n(&p->hdr->pollers, __ATOMIC_RELAXED))
		return;
	(void)!pwrite(p->fd, &byte, 1, offsetof(struct pmb_hdr, poke));
}

/* The parts of struct pmb's poll word. */
static uint64_t pmb_poll_word(pid_t pid, int fd)
{
	return (uint64_t)(uint32_t)pid << 32 | (uint32_t)(fd + 1);
}

static pid_t pmb_poll_pid(uint64_t word)
{
	return (pid_t)(uint32_t)(word >> 32);
}

static int pmb_poll_fd(uint64_t word)
{
	return (int)(uint32_t)word - 1;
}

/*
 * Before a non-blocking send or receive looks at the mailbox: empty the
 * handle's descriptor, so that it becomes readable again only for a change
 * made after this.  Only non-blocking calls, the ones an event loop makes
 * when its descriptor is readable: a thread blocked in a send on the same
 * handle must not take the event a polling receiver waits for (it would
 * see the message, but not act on it).  No system call unless this
 * process asked the handle for a descriptor (one inherited across fork is
 * the parent's instance: reading it would take the parent's events).
 */
void pmb_notify_drain(struct pmb *p, const struct pmb_dl *dl)
{
	/* Events on one file carry no name: sizeof(struct inotify_event) each. */
	char buf[16 * sizeof(struct inotify_event)]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	uint64_t word = __atomic_load_n(&p->poll, __ATOMIC_ACQUIRE);
	ssize_t n;

	if (!word || dl->mode != IPC_NONBLOCK || pmb_poll_pid(word) != pmb_self()->pid)
		return;
	do
		n = read(pmb_poll_fd(word), buf, sizeof(buf));
	/* Room left for another event: the queue was empty. */
	while (n > (ssize_t)(sizeof(buf) - sizeof(struct inotify_event)) ||
	       (n < 0 && errno == EINTR));
}

/* Add the watch on the segment's inode to nfd: 0 or -errno. */
static int pmb_watch(struct pmb *p, int nfd)
{
	char path[sizeof(PMB_SHM_DIR) + NAME_MAX + 1];
	struct stat st;
	int ret;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", p->fd);
	if (inotify_add_watch(nfd, path, IN_MODIFY) >= 0)
		return 0;
	ret = -errno;
	if (ret != -ENOENT || !p->named)
		return ret == -ENOENT ? -ENOTSUP : ret;
	/*
	 * No /proc: by name, if the name still leads to this file (as the
	 * watch holds the inode, it stays this one's after the check).
	 */
	snprintf(path, sizeof(path), PMB_SHM_DIR "/%s", p->file);
	if (inotify_add_watch(nfd, path, IN_MODIFY | IN_DONT_FOLLOW) < 0)
		return -errno;
	if (stat(path, &st) || st.st_dev != p->dev || st.st_ino != p->ino)
		return -ENOTSUP;	/* unlinked: no way to it without /proc */
	return 0;
}

/* One poller fewer; never below 0 (a peer may have rewritten the count). */
static void pmb_unpoll(struct pmb *p)
{
	uint32_t n = __atomic_load_n(&p->hdr->pollers, __ATOMIC_RELAXED);

	while (n && !__atomic_compare_exchange_n(&p->hdr->pollers, &n, n - 1, false,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

int pmb_fd(struct ipc_mbox *mb)
{
	struct pmb *p = to_pmb(mb);
	uint64_t old;
	int nfd, ret;
	pid_t self;

	self = pmb_self()->pid;
	old = __atomic_load_n(&p->poll, __ATOMIC_ACQUIRE);
	for (;;) {
		if (old && pmb_poll_pid(old) == self)
			return pmb_poll_fd(old);
		if (p->fd < 0)
			return -ENOTSUP;	/* anonymous memory: no file to watch */
		nfd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (nfd < 0)
			return -errno;
		ret = pmb_watch(p, nfd);
		if (ret) {
			close(nfd);
			return ret;
		}
		/* After the watch: a waker that sees the count writes to a watched file. */
		__atomic_add_fetch(&p->hdr->pollers, 1, __ATOMIC_SEQ_CST);
		if (__atomic_compare_exchange_n(&p->poll, &old, pmb_poll_word(self, nfd),
						false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
		/* Another thread was first: use its descriptor. */
		pmb_unpoll(p);
		close(nfd);
	}
	if (old) {
		/*
		 * The descriptor this one replaces was inherited across fork:
		 * kept until release (it may still be in an epoll set of the
		 * child's), but never read here.
		 */
		if (p->poll_old)
			close(p->poll_old - 1);
		p->poll_old = pmb_poll_fd(old) + 1;
	}
	return nfd;
}

/* At release: the descriptors go, and, if this process made it, its count. */
void pmb_notify_release(struct pmb *p)
{
	uint64_t word = p->poll;

	if (word) {
		if (pmb_poll_pid(word) == pmb_self()->pid)
			pmb_unpoll(p);
		close(pmb_poll_fd(word));
	}
	if (p->poll_old)
		close(p->poll_old - 1);
}
