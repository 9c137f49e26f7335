// SPDX-License-Identifier: GPL-2.0
/*
 * Robustness: processes SIGKILLed in the middle of things, and many
 * processes times many threads.  The promise checked everywhere: a
 * mailbox outlives whoever dies using it, stays usable, and never loses a
 * message that was sent (send returned 0) nor delivers one twice, nor one
 * whose send failed.
 *
 * crash: (posix) a child SIGKILLs itself at a chosen point inside the
 *	  backend's lock (libipc/testhook.h); the survivors must find the
 *	  mailbox exactly as the operation's all-or-nothing rule says, and
 *	  no storage leaked.  The kernel backend has no lock in userspace.
 * stress: each backend and capacity: waiters killed while blocked, random
 *	  kills in a loop, and threads.
 */
#include "lt.h"
#include "testhook.h"
#include "posix/pmb.h"

/* ---- crash inside the lock (posix) ------------------------------------------- */

#define CR_MSG		500		/* 5 chunks of the posix backend */

FIXTURE(crash) {
	struct ipc_mbox *mb;
	char name[64];
	int full;		/* messages of CR_MSG bytes that fit, fresh */
	uint64_t sent0;
};

FIXTURE_VARIANT(crash) {
	const char *backend;
};

FIXTURE_VARIANT_ADD(crash, kernel) { .backend = "kernel" };
FIXTURE_VARIANT_ADD(crash, posix) { .backend = "posix" };

/* Send CR_MSG-byte messages until the quota says no: how many fit. */
static int cr_fill(struct ipc_mbox *mb)
{
	char msg[CR_MSG] = { 0 };
	int n, ret;

	for (n = 0; n < 10000; n++) {
		ret = ipc_send(mb, msg, sizeof(msg), IPC_WAIT_NONE, 0);
		if (ret)
			return ret == -ENOBUFS ? n : ret;
	}
	return -E2BIG;
}

static int cr_drain(struct ipc_mbox *mb)
{
	char buf[CR_MSG];
	ssize_t ret;
	int n = 0;

	while ((ret = ipc_recv(mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL)) >= 0)
		n++;
	return ret == -EAGAIN || ret == -EPIPE ? n : (int)ret;
}

FIXTURE_SETUP(crash)
{
	struct ipc_attr a = lt_attr(IPC_UNBOUNDED, CR_MSG, 0600);
	struct ipc_info info;

	if (!strcmp(variant->backend, "kernel"))
		TC_SKIP("kernel backend: its lock is in the kernel, no process dies holding it");
	LT_USE_BACKEND(variant->backend);
	/* A small quota, so that a leaked chunk shows as one message less. */
	setenv("LIBIPC_POSIX_QUOTA", "32K", 1);
	lt_name(self->name, sizeof(self->name), "crash");
	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	self->full = cr_fill(self->mb);
	ASSERT_LT(10, self->full);
	ASSERT_EQ(self->full, cr_drain(self->mb));
	/*
	 * Queued: a, bb, ccc, d.  d reuses x's storage, so that the order
	 * of the storage is not the order of sending: recovery must sort.
	 */
	ASSERT_EQ(0, ipc_send(self->mb, "x", 1, NULL, 0));
	ASSERT_EQ(0, ipc_send(self->mb, "a", 1, NULL, 0));
	ASSERT_EQ(0, ipc_send(self->mb, "bb", 2, NULL, 0));
	ASSERT_EQ(0, ipc_send(self->mb, "ccc", 3, NULL, 0));
	ASSERT_EQ(1, ipc_recv(self->mb, &info, sizeof(info), NULL, 0, NULL));
	ASSERT_EQ(0, ipc_send(self->mb, "d", 1, NULL, 0));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	self->sent0 = info.sent;
}

FIXTURE_TEARDOWN(crash)
{
	if (self->mb)
		ipc_release(self->mb);
	ipc_unlink(self->name);
}

/* Run fn in a child that arms the hook: it must die there, by SIGKILL. */
#define CR_CHILD(point, body) ({					\
	pid_t __pid = tc_fork();					\
	if (__pid == 0) {						\
		libipc_test_crash_point = (point);			\
		libipc_test_crash_after = 1;				\
		body;							\
		fprintf(stderr, "# child: hook %d did not fire\n", (point)); \
		_exit(1);						\
	}								\
	tc_wait(__pid);							\
})

/* The mailbox holds exactly these messages, in order, and then nothing. */
static int cr_expect(struct ipc_mbox *mb, const char *const *msgs)
{
	char buf[CR_MSG + 1];
	ssize_t n;

	for (; *msgs; msgs++) {
		n = lt_recv_str(mb, buf, sizeof(buf), IPC_WAIT_NONE);
		if (n < 0 || strcmp(buf, *msgs)) {
			fprintf(stderr, "# expected '%s', got %zd '%s'\n", *msgs, n, buf);
			return -1;
		}
	}
	n = ipc_recv(mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL);
	if (n != -EAGAIN) {
		fprintf(stderr, "# expected nothing more, got %zd\n", n);
		return -1;
	}
	return 0;
}

/* Usable, and as roomy as when new: no storage leaked. */
#define CR_CHECK_HEALTHY() do {						\
	char __b[4];							\
	ASSERT_EQ(0, ipc_send(self->mb, "z", 1, IPC_WAIT_NS(TC_SEC), 0)); \
	ASSERT_EQ(1, ipc_recv(self->mb, __b, sizeof(__b), IPC_WAIT_NS(TC_SEC), 0, NULL)); \
	EXPECT_EQ(self->full, cr_fill(self->mb));			\
	EXPECT_EQ(self->full, cr_drain(self->mb));			\
} while (0)

static const char *const cr_abc[] = { "a", "bb", "ccc", "d", NULL };

TEST_F(crash, send_before_publish)
{
	struct ipc_info info;

	ASSERT_EQ(128 + SIGKILL, CR_CHILD(LIBIPC_HOOK_SEND_COPY,
		  ipc_send(self->mb, "lost", 4, NULL, 0)));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(4, info.msgs);
	EXPECT_EQ(self->sent0, info.sent);
	EXPECT_EQ(0, cr_expect(self->mb, cr_abc));
	CR_CHECK_HEALTHY();
}

TEST_F(crash, send_after_publish)
{
	static const char *const want[] = { "a", "bb", "ccc", "d", "kept", NULL };
	struct ipc_info info;

	ASSERT_EQ(128 + SIGKILL, CR_CHILD(LIBIPC_HOOK_SEND_COMMIT,
		  ipc_send(self->mb, "kept", 4, NULL, 0)));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(5, info.msgs);
	EXPECT_EQ(self->sent0 + 1, info.sent);
	EXPECT_EQ(0, cr_expect(self->mb, want));
	CR_CHECK_HEALTHY();
}

TEST_F(crash, recv_before_consume)
{
	struct ipc_info info;
	char buf[8];

	ASSERT_EQ(128 + SIGKILL, CR_CHILD(LIBIPC_HOOK_RECV_COPY,
		  ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL)));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(4, info.msgs);
	EXPECT_EQ(self->sent0 - 4, info.received);
	EXPECT_EQ(0, cr_expect(self->mb, cr_abc));
	CR_CHECK_HEALTHY();
}

TEST_F(crash, recv_after_consume)
{
	static const char *const want[] = { "bb", "ccc", "d", NULL };
	struct ipc_info info;
	char buf[8];

	ASSERT_EQ(128 + SIGKILL, CR_CHILD(LIBIPC_HOOK_RECV_COMMIT,
		  ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL)));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(3, info.msgs);
	EXPECT_EQ(self->sent0 - 3, info.received);
	EXPECT_EQ(0, cr_expect(self->mb, want));
	CR_CHECK_HEALTHY();
}

TEST_F(crash, withdraw)
{
	struct ipc_info info;

	/* A synchronous send nobody takes is withdrawn: die right then. */
	ASSERT_EQ(128 + SIGKILL, CR_CHILD(LIBIPC_HOOK_WITHDRAW,
		  ipc_send(self->mb, "never", 5, IPC_WAIT_NS(10 * TC_MS), IPC_SYNC)));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(4, info.msgs);
	EXPECT_EQ(self->sent0, info.sent);
	EXPECT_EQ(0, info.senders_waiting);
	EXPECT_EQ(0, cr_expect(self->mb, cr_abc));
	CR_CHECK_HEALTHY();
}

TEST_F(crash, register_waiter)
{
	struct ipc_info info;
	char buf[8];
	pid_t pid;

	EXPECT_EQ(0, cr_expect(self->mb, cr_abc));
	ASSERT_EQ(128 + SIGKILL, CR_CHILD(LIBIPC_HOOK_SLOT,
		  ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL)));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(0, info.receivers_waiting);
	/* Waiting works as before, and a message goes to the live waiter. */
	pid = lt_spawn_recv(self->mb, "w", NULL, 0);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	ASSERT_EQ(0, ipc_send(self->mb, "w", 1, NULL, 0));
	EXPECT_EQ(0, tc_wait(pid));
	CR_CHECK_HEALTHY();
}

TEST_F(crash, close)
{
	struct ipc_info info;
	pid_t snd;
	char buf[8];

	/* A sender waiting for its message to be taken; a closer dies. */
	snd = lt_spawn_send(self->mb, "sync", NULL, IPC_SYNC);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	ASSERT_EQ(128 + SIGKILL, CR_CHILD(LIBIPC_HOOK_CLOSE, ipc_close(self->mb)));
	/* The close happened; the waiting sender learns it, its message withdrawn. */
	EXPECT_EQ(EPIPE, tc_wait(snd));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(IPC_STATE_CLOSED, info.state);
	EXPECT_EQ(self->sent0, info.sent);
	EXPECT_EQ(-EPIPE, ipc_send(self->mb, "x", 1, NULL, 0));
	EXPECT_EQ(1, lt_recv_str(self->mb, buf, sizeof(buf), NULL));
	EXPECT_EQ(2, lt_recv_str(self->mb, buf, sizeof(buf), NULL));
	EXPECT_EQ(3, lt_recv_str(self->mb, buf, sizeof(buf), NULL));
	EXPECT_EQ(1, lt_recv_str(self->mb, buf, sizeof(buf), NULL));
	EXPECT_STREQ("d", buf);
	EXPECT_EQ(-EPIPE, ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL));
}

TEST_F(crash, destroy)
{
	struct ipc_mbox *mb;
	struct ipc_info info;
	pid_t snd;

	snd = lt_spawn_send(self->mb, "sync", NULL, IPC_SYNC);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	ASSERT_EQ(128 + SIGKILL, CR_CHILD(LIBIPC_HOOK_DESTROY, ipc_destroy(self->mb)));
	EXPECT_EQ(EIDRM, tc_wait(snd));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(IPC_STATE_DESTROYED, info.state);
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(4, info.dropped);
	EXPECT_EQ(self->sent0, info.sent);
	EXPECT_EQ(-EIDRM, ipc_send(self->mb, "x", 1, NULL, 0));
	/* The destroyer died before removing the name: it is gone all the same. */
	EXPECT_EQ(-ENOENT, ipc_open(self->name, IPC_RECV, &mb));
	EXPECT_EQ(0, ipc_create(self->name, NULL, IPC_RECV, &mb));
	ipc_release(mb);
}

/*
 * The name a destroyer died before removing is removed by the next opener,
 * under the mailbox's lock and only while the mailbox says it has the
 * name, which it then no longer has: nobody removes the name again, once
 * a new mailbox may have it.
 */
TEST_F(crash, destroy_leftover_removed_once)
{
	struct ipc_mbox *mb, *mb2;
	struct ipc_info info;

	ASSERT_EQ(128 + SIGKILL, CR_CHILD(LIBIPC_HOOK_DESTROY, ipc_destroy(self->mb)));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(IPC_STATE_DESTROYED, info.state);
	EXPECT_EQ(-ENOENT, ipc_open(self->name, IPC_RECV, &mb));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_STREQ("", info.name);
	/* A new mailbox of that name is left alone by the old one's holders. */
	ASSERT_EQ(0, ipc_create(self->name, NULL, IPC_RECV | IPC_SEND, &mb));
	EXPECT_EQ(-EIDRM, ipc_destroy(self->mb));
	EXPECT_EQ(-EIDRM, ipc_close(self->mb));
	ASSERT_EQ(0, ipc_open(self->name, IPC_SEND, &mb2));
	EXPECT_EQ(0, ipc_info(mb2, &info));
	EXPECT_STREQ(self->name, info.name);
	EXPECT_EQ(IPC_STATE_OPEN, info.state);
	ipc_release(mb2);
	ipc_release(mb);
}

/*
 * A recovery that dies in turn must leave the next one as much to go on:
 * a synchronous sender whose message a receiver took (the receiver died
 * right after) learns 0, not an error, however many recoveries it takes.
 */
/*
 * A synchronous sender whose deadline passes while the receiver taking its
 * message holds the lock (stopped there) leaves without the lock
 * (pmb_abandon), told "sent": the receiver had taken the message.  The
 * receiver then dies before consuming it, and another process recovers
 * the mailbox while the sender is still on its way out (stopped at
 * LIBIPC_HOOK_ABANDON: outcome decided, slot not yet let go).  Whatever
 * the sender was told must hold: "sent", so the message is still there
 * for the next receiver; not withdrawn with the sender's slot.
 */
TEST_F_TIMEOUT(crash, sync_sender_leaves_during_recovery, 30)
{
	struct ipc_info info;
	pid_t sender, taker;
	char buf[CR_MSG + 1];
	int status, told;
	ssize_t n;

	ASSERT_EQ(4, cr_drain(self->mb));
	sender = tc_fork();
	if (sender == 0) {
		int r;

		libipc_test_crash_signal = SIGSTOP;
		libipc_test_crash_point = LIBIPC_HOOK_ABANDON;
		libipc_test_crash_after = 1;
		r = ipc_send(self->mb, "s", 1, IPC_WAIT_NS(500 * TC_MS), IPC_SYNC);
		_exit(r == 0 ? 0 : r == -ETIMEDOUT ? 2 : 3);
	}
	ASSERT_LT(0, sender);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	/* The taker stops holding the lock, the message taken, not consumed. */
	taker = tc_fork();
	if (taker == 0) {
		libipc_test_crash_signal = SIGSTOP;
		libipc_test_crash_point = LIBIPC_HOOK_RECV_COPY;
		libipc_test_crash_after = 1;
		ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NS(TC_SEC), 0, NULL);
		_exit(1);
	}
	ASSERT_EQ(taker, waitpid(taker, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	/* The sender's deadline passes: it leaves, and stops on its way out. */
	ASSERT_EQ(sender, waitpid(sender, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	/* The taker dies; we recover; the sender goes on. */
	tc_kill(taker);
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	ASSERT_EQ(0, kill(sender, SIGCONT));
	told = tc_wait(sender);
	ASSERT_TRUE(told == 0 || told == 2);
	n = lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NONE);
	if (told == 0) {
		EXPECT_EQ(1, n);	/* sent: here to be received */
		EXPECT_STREQ("s", buf);
	} else {
		EXPECT_EQ(-EAGAIN, n);	/* not sent: withdrawn */
	}
	EXPECT_EQ(-EAGAIN, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));
}

TEST_F(crash, recovery_interrupted)
{
	struct ipc_info info;
	char buf[8];
	pid_t snd;
	int st;

	EXPECT_EQ(0, cr_expect(self->mb, cr_abc));
	snd = lt_spawn_send(self->mb, "sync", NULL, IPC_SYNC);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	/* Stopped, it cannot run the recoveries itself; alive, it keeps its slot. */
	ASSERT_EQ(0, kill(snd, SIGSTOP));
	ASSERT_EQ(snd, waitpid(snd, &st, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(st));
	/* The receiver takes the message and dies before telling the sender... */
	ASSERT_EQ(128 + SIGKILL, CR_CHILD(LIBIPC_HOOK_RECV_COMMIT,
		  ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL)));
	/* ... and so does the first recovery, before telling it either. */
	ASSERT_EQ(128 + SIGKILL, CR_CHILD(LIBIPC_HOOK_RECOVER,
		  ipc_info(self->mb, &info)));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(self->sent0 + 1, info.sent);
	EXPECT_EQ(self->sent0 + 1, info.received);
	EXPECT_EQ(0, info.msgs);
	ASSERT_EQ(0, kill(snd, SIGCONT));
	EXPECT_EQ(0, tc_wait(snd));
	CR_CHECK_HEALTHY();
}

/* ---- damaged segments (posix) ---------------------------------------------------- */

/*
 * A segment is shared memory any user of the mailbox can write.  Damage
 * must be found and repaired (or refused), never followed: no wild write,
 * no endless walk, no length beyond the mailbox's maximum.  The offsets
 * are those of libipc/posix/pmb.h.
 */
#define DM_HWM		offsetof(struct pmb_hdr, hwm)
#define DM_NWAITING	offsetof(struct pmb_hdr, nwaiting)
#define DM_QHEAD	offsetof(struct pmb_hdr, qhead)
#define DM_QTAIL	offsetof(struct pmb_hdr, qtail)
#define DM_WAITERS	pmb_align(sizeof(struct pmb_hdr), 64)	/* pmb_geometry */
#define DM_WAITER_SIZE	sizeof(struct pmb_waiter)
#define DM_WAITER_KIND	offsetof(struct pmb_waiter, kind)
#define DM_MSG_LEN	offsetof(struct pmb_msg, len)
#define DM_MSG_NEXT	offsetof(struct pmb_msg, next)
#define DM_MSG_DATA	PMB_MSG_HDR

FIXTURE(damage) {
	struct ipc_mbox *mb;
	char name[64], path[128];
};

FIXTURE_VARIANT(damage) {
	const char *backend;
};

FIXTURE_VARIANT_ADD(damage, kernel) { .backend = "kernel" };
FIXTURE_VARIANT_ADD(damage, posix) { .backend = "posix" };

static int dm_rw(const char *path, off_t off, void *data, size_t len, bool write)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), ret = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write ? pwrite(fd, data, len, off) : pread(fd, data, len, off);
	if (n != (ssize_t)len)
		ret = -EIO;
	close(fd);
	return ret;
}

static uint32_t dm_get32(const char *path, off_t off)
{
	uint32_t v = 0xdeadbeef;

	dm_rw(path, off, &v, sizeof(v), false);
	return v;
}

static int dm_set32(const char *path, off_t off, uint32_t v)
{
	return dm_rw(path, off, &v, sizeof(v), true);
}

/* Where the message whose data starts with marker is in the file, or -1. */
static off_t dm_find(const char *path, const char *marker)
{
	static char buf[1 << 20];
	size_t len = strlen(marker);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	off_t off;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	for (off = 0; off + (off_t)len <= n; off++)
		if (!memcmp(buf + off, marker, len) && off % 128 == DM_MSG_DATA)
			return off - DM_MSG_DATA;
	return -1;
}

FIXTURE_SETUP(damage)
{
	struct ipc_attr a = lt_attr(8, 0, 0600);

	if (!strcmp(variant->backend, "kernel"))
		TC_SKIP("kernel backend: mailboxes are kernel memory");
	LT_USE_BACKEND(variant->backend);
	lt_name(self->name, sizeof(self->name), "damage");
	snprintf(self->path, sizeof(self->path), "/dev/shm/kmbox.%s", self->name);
	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	/* The layout is what the offsets say: one message in chunk 0. */
	ASSERT_EQ(0, ipc_send(self->mb, "m-one", 5, NULL, 0));
	ASSERT_EQ(1, dm_get32(self->path, DM_HWM));
	ASSERT_EQ(0, dm_get32(self->path, DM_QHEAD));
	ASSERT_EQ(0, dm_get32(self->path, DM_QTAIL));
	ASSERT_EQ(0, dm_find(self->path, "m-one") % 4096);	/* chunk 0 starts a page */
}

FIXTURE_TEARDOWN(damage)
{
	if (self->mb)
		ipc_release(self->mb);
	ipc_unlink(self->name);
}

/* A queue tail out of bounds: the next send would have written through it. */
TEST_F(damage, queue_tail)
{
	char buf[16];

	ASSERT_EQ(0, dm_set32(self->path, DM_QTAIL, 0x7fffffff));
	EXPECT_EQ(0, ipc_send(self->mb, "m-two", 5, NULL, 0));
	EXPECT_EQ(5, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NONE));
	EXPECT_STREQ("m-one", buf);
	EXPECT_EQ(5, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NONE));
	EXPECT_STREQ("m-two", buf);
	EXPECT_EQ(-EAGAIN, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));
}

/* A message longer than the mailbox allows is damage, not a message. */
TEST_F(damage, message_length)
{
	static char buf[64 << 10];
	struct ipc_info info;
	off_t m;

	ASSERT_EQ(0, ipc_send(self->mb, "m-two", 5, NULL, 0));
	m = dm_find(self->path, "m-one");
	ASSERT_LE(0, m);
	ASSERT_EQ(0, dm_set32(self->path, m + DM_MSG_LEN, 8192 + 1));
	EXPECT_EQ(5, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NONE));
	EXPECT_STREQ("m-two", buf);
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(1, info.dropped);
	EXPECT_EQ(0, info.msgs);
}

/* A cycle in the queue: close and destroy walk it, and must end. */
TEST_F(damage, queue_cycle)
{
	struct ipc_attr a = lt_attr(8, 0, 0600);
	struct ipc_info info;
	char buf[16];
	off_t m;
	pid_t pid;

	ASSERT_EQ(0, ipc_send(self->mb, "m-two", 5, NULL, 0));
	m = dm_find(self->path, "m-two");
	ASSERT_LE(0, m);
	ASSERT_EQ(0, dm_set32(self->path, m + DM_MSG_NEXT, 0));	/* back to m-one */
	pid = tc_fork();
	if (pid == 0)
		_exit(-ipc_close(self->mb));
	ASSERT_EQ(0, tc_wait_ms(pid, 5000));
	EXPECT_EQ(5, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NONE));
	EXPECT_STREQ("m-one", buf);
	EXPECT_EQ(5, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NONE));
	EXPECT_STREQ("m-two", buf);
	EXPECT_EQ(-EPIPE, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));

	/* Again, for destroy: two messages in a cycle, both dropped. */
	ipc_release(self->mb);
	self->mb = NULL;
	ASSERT_EQ(0, ipc_unlink(self->name));
	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	ASSERT_EQ(0, ipc_send(self->mb, "m-one", 5, NULL, 0));
	ASSERT_EQ(0, ipc_send(self->mb, "m-two", 5, NULL, 0));
	m = dm_find(self->path, "m-two");
	ASSERT_LE(0, m);
	ASSERT_EQ(0, dm_set32(self->path, m + DM_MSG_NEXT, 0));
	pid = tc_fork();
	if (pid == 0)
		_exit(-ipc_destroy(self->mb));
	ASSERT_EQ(0, tc_wait_ms(pid, 5000));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(IPC_STATE_DESTROYED, info.state);
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(2, info.dropped);
}

/* A waiter slot of no known kind is never a shift count (UBSan sees it). */
TEST_F(damage, waiter_kind)
{
	struct ipc_info info;

	ASSERT_EQ(0, dm_set32(self->path, DM_WAITERS + 5 * DM_WAITER_SIZE + DM_WAITER_KIND, 40));
	ASSERT_EQ(0, dm_set32(self->path, DM_NWAITING, 1));
	EXPECT_EQ(0, ipc_destroy(self->mb));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(IPC_STATE_DESTROYED, info.state);
	EXPECT_EQ(0, info.senders_waiting);
	EXPECT_EQ(0, info.receivers_waiting);
}

/* ---- every backend and capacity -------------------------------------------------- */

FIXTURE(stress) {
	struct ipc_mbox *mb;
};

FIXTURE_VARIANT(stress) {
	const char *backend;
	uint64_t capacity;
};

FIXTURE_VARIANT_ADD(stress, kernel_rendezvous) { .backend = "kernel", .capacity = 0 };
FIXTURE_VARIANT_ADD(stress, kernel_bounded) { .backend = "kernel", .capacity = 8 };
FIXTURE_VARIANT_ADD(stress, kernel_unbounded) { .backend = "kernel", .capacity = IPC_UNBOUNDED };
FIXTURE_VARIANT_ADD(stress, posix_rendezvous) { .backend = "posix", .capacity = 0 };
FIXTURE_VARIANT_ADD(stress, posix_bounded) { .backend = "posix", .capacity = 8 };
FIXTURE_VARIANT_ADD(stress, posix_unbounded) { .backend = "posix", .capacity = IPC_UNBOUNDED };

FIXTURE_SETUP(stress)
{
	LT_USE_BACKEND(variant->backend);
	self->mb = lt_anon(variant->capacity, 0);
	ASSERT_NE(NULL, self->mb);
}

FIXTURE_TEARDOWN(stress)
{
	if (self->mb)
		ipc_release(self->mb);
}

TEST_F(stress, killed_waiting_receiver)
{
	struct ipc_info info;
	pid_t a, b;

	/* a is first in line, b second; a dies; the message goes to b. */
	a = lt_spawn_recv(self->mb, NULL, NULL, 0);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	b = lt_spawn_recv(self->mb, "m", NULL, 0);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 2));
	tc_kill(a);
	ASSERT_EQ(0, ipc_send(self->mb, "m", 1, IPC_WAIT_NS(10 * TC_SEC), 0));
	EXPECT_EQ(0, tc_wait(b));
	ASSERT_EQ(0, LT_WAIT_INFO(self->mb, info, info.receivers_waiting == 0));
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(1, info.received);
}

TEST_F(stress, killed_waiting_sender)
{
	struct ipc_info info;
	char buf[8];
	pid_t s;

	/* A sender waiting for its message to be taken dies: never sent. */
	s = lt_spawn_send(self->mb, "dead", NULL, IPC_SYNC);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	tc_kill(s);
	ASSERT_EQ(0, LT_WAIT_INFO(self->mb, info, info.senders_waiting == 0));
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(0, info.sent);
	EXPECT_EQ(-EAGAIN, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));
	/* And the mailbox works on. */
	s = lt_spawn_send(self->mb, "live", NULL, IPC_SYNC);
	EXPECT_EQ(4, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NS(10 * TC_SEC)));
	EXPECT_STREQ("live", buf);
	EXPECT_EQ(0, tc_wait(s));
}

/*
 * Waiter slots (posix: 128 per mailbox, half for each direction): however
 * many calls block one way, calls the other way can still wait for them,
 * and slots whose holders died are taken back by whoever needs one.
 */
#define SL_THREADS	130		/* more than the posix backend's slots */

struct sl_shared {
	uint32_t started;
	uint32_t ok, epipe, other;
};

struct sl_arg {
	struct ipc_mbox *mb;
	struct sl_shared *sh;
	bool send;
};

static void *sl_thread(void *p)
{
	struct sl_arg *a = p;
	char buf[16];
	ssize_t n;

	__atomic_add_fetch(&a->sh->started, 1, __ATOMIC_RELEASE);
	if (a->send)
		n = ipc_send(a->mb, "dead", 4, NULL, IPC_SYNC);
	else
		n = ipc_recv(a->mb, buf, sizeof(buf), NULL, 0, NULL);
	if (n >= 0)
		__atomic_add_fetch(&a->sh->ok, 1, __ATOMIC_RELAXED);
	else if (n == -EPIPE)
		__atomic_add_fetch(&a->sh->epipe, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&a->sh->other, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* A child whose n threads (SL_THREADS at most) all block, sending or receiving. */
static pid_t sl_blockers(struct ipc_mbox *mb, struct sl_shared *sh, bool send,
			 unsigned int n)
{
	static struct sl_arg arg;
	pthread_t t[SL_THREADS];
	pthread_attr_t attr;
	pid_t pid = tc_fork();
	unsigned int i;

	if (pid)
		return pid;
	arg = (struct sl_arg){ .mb = mb, .sh = sh, .send = send };
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (i = 0; i < n; i++)
		TC_CHECK_EQ(0, pthread_create(&t[i], &attr, sl_thread, &arg));
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

/* Wait until all n blocked (as far as slots let them). */
static int sl_wait_blocked(struct ipc_mbox *mb, struct sl_shared *sh, bool send,
			   unsigned int n)
{
	unsigned int want = lt_is_posix() && n > 64 ? 64 : n;
	int64_t end = tc_now_ns() + TC_WAIT_MS * TC_MS;
	struct ipc_info i;
	int ret;

	ret = LT_WAIT_INFO(mb, i, (send ? i.senders_waiting : i.receivers_waiting) >= want);
	if (ret)
		return ret;
	while (__atomic_load_n(&sh->started, __ATOMIC_ACQUIRE) < n)
		if (tc_now_ns() > end)
			return -ETIMEDOUT;
	/* The last ones to start get to their wait (for a slot, on posix). */
	tc_sleep_ms(50);
	return 0;
}

FIXTURE(slots) {
	struct ipc_mbox *mb;
	struct sl_shared *sh;
	pid_t child;
};

FIXTURE_VARIANT(slots) {
	const char *backend;
};

FIXTURE_VARIANT_ADD(slots, kernel) { .backend = "kernel" };
FIXTURE_VARIANT_ADD(slots, posix) { .backend = "posix" };

FIXTURE_SETUP(slots)
{
	LT_USE_BACKEND(variant->backend);
	self->sh = tc_shared(sizeof(*self->sh));
	ASSERT_NE(NULL, self->sh);
}

FIXTURE_TEARDOWN(slots)
{
	tc_kill(self->child);
	if (self->mb)
		ipc_release(self->mb);
	munmap(self->sh, sizeof(*self->sh));
}

TEST_F(slots, receivers_leave_room_for_senders)
{
	struct ipc_info info;
	pid_t pid;

	self->mb = lt_anon(0, 0);
	ASSERT_NE(NULL, self->mb);
	self->child = sl_blockers(self->mb, self->sh, false, SL_THREADS);
	ASSERT_EQ(0, sl_wait_blocked(self->mb, self->sh, false, SL_THREADS));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	/* posix: receivers hold half the slots; the rest wait for one. */
	EXPECT_EQ(lt_is_posix() ? 64 : SL_THREADS, info.receivers_waiting);
	/* A rendezvous meets one of them, blocking, synchronous or not. */
	EXPECT_EQ(0, ipc_send(self->mb, "a", 1, IPC_WAIT_NS(5 * TC_SEC), 0));
	EXPECT_EQ(0, ipc_send(self->mb, "b", 1, IPC_WAIT_NS(5 * TC_SEC), IPC_SYNC));
	/*
	 * A non-blocking one needs a receiver waiting now: on posix, the two
	 * that left gave their slots up, and others take them in their time.
	 */
	ASSERT_EQ(0, LT_WAIT_INFO(self->mb, info, info.receivers_waiting ==
				  (lt_is_posix() ? 64 : SL_THREADS - 2)));
	EXPECT_EQ(0, ipc_send(self->mb, "c", 1, IPC_WAIT_NONE, 0));
	/* And from another process, which needs a slot to wait in. */
	pid = lt_spawn_send(self->mb, "d", IPC_WAIT_NS(5 * TC_SEC), 0);
	EXPECT_EQ(0, tc_wait(pid));
	ASSERT_EQ(0, ipc_close(self->mb));
	EXPECT_EQ(0, tc_wait(self->child));
	self->child = 0;
	EXPECT_EQ(4, self->sh->ok);
	EXPECT_EQ(SL_THREADS - 4, self->sh->epipe);
	EXPECT_EQ(0, self->sh->other);
}

/*
 * A call that finds its half of the slots taken tries again whenever a
 * slot is freed, and every PMB_POLL_NS.  Telling the holders alive takes
 * a system call each, with the lock held: a handle does it once per
 * PMB_REAP_NS, not on every try.  Every try did it once, and with the
 * SL_THREADS - 64 receivers waiting for a slot above that was thousands
 * of system calls under the lock per slot freed: on a slow machine (QEMU
 * TCG) the lock was held for seconds at a time.  Here 64 receivers hold
 * their half, and one more tries SL_TRIES times; the test hook raises
 * SIGUSR1 at every probe, and the handler counts.
 */
#define SL_TRIES	20

static volatile sig_atomic_t sl_probes;

static void sl_probe(int sig)
{
	sl_probes++;
	libipc_test_crash_after = 1;		/* and the next one */
}

TEST_F(slots, waiting_for_a_slot_probes_rarely)
{
	struct sigaction sa = { .sa_handler = sl_probe };
	int64_t start, allowed;
	char buf[16];
	pid_t pid;
	int i;

	if (!lt_is_posix())
		SKIP(return, "kernel backend: no waiter slots");
	self->mb = lt_anon(0, 0);
	ASSERT_NE(NULL, self->mb);
	self->child = sl_blockers(self->mb, self->sh, false, PMB_NWAIT / 2);
	ASSERT_EQ(0, sl_wait_blocked(self->mb, self->sh, false, PMB_NWAIT / 2));
	pid = tc_fork();
	if (pid == 0) {
		sigaction(SIGUSR1, &sa, NULL);
		libipc_test_crash_signal = SIGUSR1;
		libipc_test_crash_after = 1;
		libipc_test_crash_point = LIBIPC_HOOK_PROBE;
		start = tc_now_ns();
		/* Each try finds the receivers' half full, and waits for a slot. */
		for (i = 0; i < SL_TRIES; i++)
			if (ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NS(TC_MS), 0,
				     NULL) != -ETIMEDOUT)
				_exit(2);
		libipc_test_crash_point = LIBIPC_HOOK_NONE;
		/*
		 * A look at every slot to start with, and per PMB_REAP_NS
		 * after: however slow the machine, not one per try.
		 */
		allowed = PMB_NWAIT * ((tc_now_ns() - start) / PMB_REAP_NS + 2);
		if (sl_probes > allowed)
			fprintf(stderr, "# %d probes in %d tries, %lld allowed\n",
				(int)sl_probes, SL_TRIES, (long long)allowed);
		_exit(sl_probes > allowed);
	}
	EXPECT_EQ(0, tc_wait(pid));
	ASSERT_EQ(0, ipc_close(self->mb));
	EXPECT_EQ(0, tc_wait(self->child));
	self->child = 0;
	EXPECT_EQ(PMB_NWAIT / 2, self->sh->epipe);
}

TEST_F(slots, dead_holders_reaped)
{
	struct ipc_info info;
	char buf[16];
	uint32_t *go;
	pid_t pid;

	if (!lt_is_posix())
		SKIP(return, "kernel backend: no waiter slots");
	self->mb = lt_anon(IPC_UNBOUNDED, 0);
	ASSERT_NE(NULL, self->mb);
	/* Synchronous senders take every slot they may, and die waiting. */
	self->child = sl_blockers(self->mb, self->sh, true, SL_THREADS);
	ASSERT_EQ(0, sl_wait_blocked(self->mb, self->sh, true, SL_THREADS));
	tc_kill(self->child);
	self->child = 0;
	/*
	 * Nothing that looks at the queue runs now (it would reap them): a
	 * new sender must take the slots back itself, or it never gets to
	 * offer its message, and the receive below finds nothing.
	 */
	go = tc_shared(sizeof(*go));
	ASSERT_NE(NULL, go);
	pid = tc_fork();
	if (pid == 0) {
		__atomic_store_n(go, 1, __ATOMIC_RELEASE);
		_exit(-ipc_send(self->mb, "live", 4, IPC_WAIT_NS(10 * TC_SEC), IPC_SYNC));
	}
	while (!__atomic_load_n(go, __ATOMIC_ACQUIRE))
		tc_sleep_ms(1);
	tc_sleep_ms(200);
	EXPECT_EQ(4, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NONE));
	EXPECT_STREQ("live", buf);
	EXPECT_EQ(0, tc_wait(pid));
	/* The dead senders' messages were withdrawn, never sent. */
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(1, info.sent);
	EXPECT_EQ(0, info.senders_waiting);
	munmap(go, sizeof(*go));
}

/*
 * Random kills.  Sender "incarnations" each send one stream of numbered
 * messages and are SIGKILLed at a random moment; on posix half of them
 * also arm a random crash point inside the lock.  Some of their sends are
 * synchronous with a short timeout, so some fail: those must never arrive.
 * Receivers die too: crash points before they consume (posix), and
 * now and then a SIGKILL from here.  A receiver killed between its receive
 * returning and its recording the message costs one message (the kernel
 * would lose it the same way); a crash point never does.  And (posix) a
 * message handed to a receiver that dies before taking it goes back first
 * in line, where it may reach a receiver that already has a later message
 * of that stream: at most one message out of order per death.
 */
#define RK_STREAMS	256
#define RK_MSGS		2048
#define RK_RECEIVERS	2

struct rk_shared {
	uint32_t acked[RK_STREAMS];		/* send returned 0 for [0, acked) ... */
	uint8_t failed[RK_STREAMS][RK_MSGS];	/* ... except these, which failed */
	uint8_t count[RK_STREAMS][RK_MSGS];	/* times received */
	uint32_t order_errors;
};

struct rk_msg {
	uint32_t stream, seq;
	uint32_t check;
	char pad[52];			/* 64 bytes in all */
};

static uint32_t rk_check(uint32_t stream, uint32_t seq)
{
	return (stream * 2654435761u) ^ (seq * 40503u) ^ 0x5a5a5a5au;
}

static unsigned int rk_rand(unsigned int *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 8;
}

static void rk_arm(unsigned int *rnd, const int *points, int npoints)
{
	if (!lt_is_posix() || rk_rand(rnd) % 2)
		return;
	libipc_test_crash_after = 1 + rk_rand(rnd) % 64;
	libipc_test_crash_point = points[rk_rand(rnd) % npoints];
}

static pid_t rk_sender(struct ipc_mbox *mb, struct rk_shared *sh, uint32_t stream,
		       bool arm)
{
	static const int points[] = {
		LIBIPC_HOOK_SEND_COPY, LIBIPC_HOOK_SEND_COMMIT,
		LIBIPC_HOOK_WITHDRAW, LIBIPC_HOOK_SLOT,
	};
	unsigned int rnd = stream * 7919 + getpid();
	struct rk_msg m = { .stream = stream };
	pid_t pid = tc_fork();
	uint32_t q;
	int ret;

	if (pid)
		return pid;
	if (arm)
		rk_arm(&rnd, points, 4);
	for (q = 0; q < RK_MSGS; q++) {
		m.seq = q;
		m.check = rk_check(stream, q);
		if (q % 4 == 3)
			ret = ipc_send(mb, &m, sizeof(m), IPC_WAIT_NS(TC_MS), IPC_SYNC);
		else
			ret = ipc_send(mb, &m, sizeof(m), NULL, 0);
		if (ret == -ETIMEDOUT) {
			sh->failed[stream][q] = 1;
			continue;
		}
		if (ret == -EPIPE)
			break;
		TC_CHECK_EQ(0, ret);
		__atomic_store_n(&sh->acked[stream], q + 1, __ATOMIC_RELEASE);
	}
	_exit(0);
}

static pid_t rk_receiver(struct ipc_mbox *mb, struct rk_shared *sh, bool arm)
{
	/* Not RECV_COMMIT: that one consumes and dies (see the crash tests). */
	static const int points[] = { LIBIPC_HOOK_RECV_COPY, LIBIPC_HOOK_SLOT };
	unsigned int rnd = getpid() * 31 + 7;
	pid_t pid = tc_fork();
	int64_t last[RK_STREAMS];
	struct rk_msg m;
	ssize_t n;
	int s;

	if (pid)
		return pid;
	rnd += getpid();
	if (arm)
		rk_arm(&rnd, points, 2);
	for (s = 0; s < RK_STREAMS; s++)
		last[s] = -1;
	while ((n = ipc_recv(mb, &m, sizeof(m), NULL, 0, NULL)) >= 0) {
		TC_CHECK_EQ(sizeof(m), n);
		TC_CHECK(m.stream < RK_STREAMS && m.seq < RK_MSGS);
		TC_CHECK_EQ(rk_check(m.stream, m.seq), m.check);
		if ((int64_t)m.seq <= last[m.stream])
			__atomic_add_fetch(&sh->order_errors, 1, __ATOMIC_RELAXED);
		last[m.stream] = m.seq;
		__atomic_add_fetch(&sh->count[m.stream][m.seq], 1, __ATOMIC_RELAXED);
	}
	TC_CHECK_EQ(-EPIPE, n);
	_exit(0);
}

TEST_F(stress, random_kills)
{
	const int64_t budget = 2 * TC_SEC;
	pid_t rcv[RK_RECEIVERS], snd;
	unsigned int rnd = 12345, receiver_deaths = 0, receiver_kills = 0;
	uint64_t total = 0, missing = 0;
	struct rk_shared *sh;
	struct ipc_info info;
	uint32_t stream, q, k;
	int64_t end;
	int i, st;

	sh = tc_shared(sizeof(*sh));
	ASSERT_NE(NULL, sh);
	for (i = 0; i < RK_RECEIVERS; i++)
		rcv[i] = rk_receiver(self->mb, sh, true);

	end = tc_now_ns() + budget;
	for (stream = 0; stream < RK_STREAMS - 1 && tc_now_ns() < end; stream++) {
		snd = rk_sender(self->mb, sh, stream, true);
		tc_sleep_ms(rk_rand(&rnd) % 6);
		tc_kill(snd);
		/* Receivers: replace the dead, and kill one now and then. */
		for (i = 0; i < RK_RECEIVERS; i++) {
			bool dead = waitpid(rcv[i], &st, WNOHANG) == rcv[i];

			if (!dead && rk_rand(&rnd) % 32 == 0) {
				tc_kill(rcv[i]);
				receiver_kills++;
				dead = true;
			}
			if (dead) {
				receiver_deaths++;
				rcv[i] = rk_receiver(self->mb, sh, true);
			}
		}
	}
	TH_LOG("%u senders killed, %u receivers died, %u of them killed",
	       stream, receiver_deaths, receiver_kills);
	ASSERT_LT(10, stream);

	/*
	 * Still usable: a last sender runs to the end, unharmed.  Receivers
	 * with a crash point still armed are replaced first, or they could
	 * all be gone before the end, leaving no one to make room.
	 */
	for (i = 0; i < RK_RECEIVERS; i++) {
		if (waitpid(rcv[i], &st, WNOHANG) != rcv[i]) {
			tc_kill(rcv[i]);
			receiver_kills++;
		}
		receiver_deaths++;
		rcv[i] = rk_receiver(self->mb, sh, false);
	}
	snd = rk_sender(self->mb, sh, stream, false);
	ASSERT_EQ(0, tc_wait(snd));
	ASSERT_EQ(0, ipc_close(self->mb));
	for (i = 0; i < RK_RECEIVERS; i++) {
		st = tc_wait(rcv[i]);
		if (st == 128 + SIGKILL)
			receiver_deaths++;	/* a crash point fired during the drain */
		else
			ASSERT_EQ(0, st);
	}

	for (stream = 0; stream < RK_STREAMS; stream++) {
		for (q = 0; q < RK_MSGS; q++) {
			uint8_t c = sh->count[stream][q];

			total += c;
			ASSERT_GE(1, c) TH_LOG("stream %u message %u received %u times", stream, q, c);
			if (sh->failed[stream][q]) {
				ASSERT_EQ(0, c) TH_LOG("stream %u message %u: its send failed",
						       stream, q);
			} else if (q < sh->acked[stream] && !c) {
				missing++;
			}
			/*
			 * Beyond what was acknowledged, only the one in flight
			 * when its sender died: the first not to fail.
			 */
			if (c && q >= sh->acked[stream]) {
				for (k = sh->acked[stream]; k < q; k++)
					if (!sh->failed[stream][k])
						break;
				ASSERT_EQ(q, k) TH_LOG("stream %u message %u never sent",
						       stream, q);
			}
		}
	}
	TH_LOG("%llu received, %llu missing, %u out of order",
	       (unsigned long long)total, (unsigned long long)missing, sh->order_errors);
	EXPECT_GE(receiver_kills, missing);
	EXPECT_GE(receiver_deaths, missing + sh->order_errors);
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(info.sent, info.received);
	/* Received counts those consumed by receivers that then died. */
	EXPECT_LE(total, info.received);
	EXPECT_GE(total + receiver_deaths, info.received);
	munmap(sh, sizeof(*sh));
}

/*
 * Many processes times many threads, all on one mailbox: each process runs
 * sender and receiver threads; every message arrives exactly once, each
 * receiving thread sees each stream in order.
 */
#ifdef LT_TSAN
#define TS_PROCS	2
#define TS_MSGS		300
#else
#define TS_PROCS	3
#define TS_MSGS		1500
#endif
#define TS_SENDERS	3		/* threads per process */
#define TS_RECEIVERS	3
#define TS_STREAMS	(TS_PROCS * TS_SENDERS)

struct ts_shared {
	uint8_t count[TS_STREAMS][TS_MSGS];
	uint32_t senders_done;
	uint32_t errors;
};

struct ts_arg {
	struct ipc_mbox *mb;
	struct ts_shared *sh;
	uint32_t stream;
};

static void *ts_send(void *p)
{
	struct ts_arg *a = p;
	uint32_t m[8] = { a->stream };
	int q;

	for (q = 0; q < TS_MSGS; q++) {
		m[1] = q;
		m[7] = rk_check(a->stream, q);
		/* Some synchronous, some not: both paths, interleaved. */
		if (ipc_send(a->mb, m, sizeof(m), NULL, q % 3 == 0 ? IPC_SYNC : 0))
			__atomic_add_fetch(&a->sh->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *ts_recv(void *p)
{
	struct ts_arg *a = p;
	int64_t last[TS_STREAMS];
	uint32_t m[8];
	ssize_t n;
	int s;

	for (s = 0; s < TS_STREAMS; s++)
		last[s] = -1;
	while ((n = ipc_recv(a->mb, m, sizeof(m), NULL, 0, NULL)) == sizeof(m)) {
		if (m[0] >= TS_STREAMS || m[1] >= TS_MSGS || m[7] != rk_check(m[0], m[1]) ||
		    (int64_t)m[1] <= last[m[0]]) {
			__atomic_add_fetch(&a->sh->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		last[m[0]] = m[1];
		__atomic_add_fetch(&a->sh->count[m[0]][m[1]], 1, __ATOMIC_RELAXED);
	}
	if (n != -EPIPE)
		__atomic_add_fetch(&a->sh->errors, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void ts_process(struct ipc_mbox *mb, struct ts_shared *sh, int proc)
{
	struct ts_arg sa[TS_SENDERS], ra[TS_RECEIVERS];
	pthread_t st[TS_SENDERS], rt[TS_RECEIVERS];
	int i;

	for (i = 0; i < TS_RECEIVERS; i++) {
		ra[i] = (struct ts_arg){ .mb = mb, .sh = sh };
		TC_CHECK_EQ(0, pthread_create(&rt[i], NULL, ts_recv, &ra[i]));
	}
	for (i = 0; i < TS_SENDERS; i++) {
		sa[i] = (struct ts_arg){ .mb = mb, .sh = sh,
					 .stream = proc * TS_SENDERS + i };
		TC_CHECK_EQ(0, pthread_create(&st[i], NULL, ts_send, &sa[i]));
	}
	for (i = 0; i < TS_SENDERS; i++)
		pthread_join(st[i], NULL);
	__atomic_add_fetch(&sh->senders_done, 1, __ATOMIC_RELEASE);
	for (i = 0; i < TS_RECEIVERS; i++)
		pthread_join(rt[i], NULL);
	_exit(0);
}

TEST_F(stress, processes_and_threads)
{
	struct ts_shared *sh;
	struct ipc_info info;
	pid_t pid[TS_PROCS];
	int64_t end;
	int i, q;

	sh = tc_shared(sizeof(*sh));
	ASSERT_NE(NULL, sh);
	for (i = 0; i < TS_PROCS; i++) {
		pid[i] = tc_fork();
		if (pid[i] == 0)
			ts_process(self->mb, sh, i);
	}
	/* Once every sender is done, close: the receivers drain and stop. */
	end = tc_now_ns() + 40 * TC_SEC;
	while (__atomic_load_n(&sh->senders_done, __ATOMIC_ACQUIRE) < TS_PROCS &&
	       tc_now_ns() < end)
		tc_sleep_ms(2);
	ASSERT_EQ(TS_PROCS, sh->senders_done);
	ASSERT_EQ(0, ipc_close(self->mb));
	for (i = 0; i < TS_PROCS; i++)
		ASSERT_EQ(0, tc_wait(pid[i]));
	EXPECT_EQ(0, sh->errors);
	for (i = 0; i < TS_STREAMS; i++)
		for (q = 0; q < TS_MSGS; q++)
			ASSERT_EQ(1, sh->count[i][q]) TH_LOG("stream %d message %d", i, q);
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(TS_STREAMS * TS_MSGS, info.sent);
	EXPECT_EQ(TS_STREAMS * TS_MSGS, info.received);
	munmap(sh, sizeof(*sh));
}

/* Threads only, in one process: what ThreadSanitizer can follow. */
TEST_F(stress, threads)
{
	struct ts_arg sa[TS_SENDERS], ra[TS_RECEIVERS];
	pthread_t st[TS_SENDERS], rt[TS_RECEIVERS];
	struct ts_shared *sh;
	int i, q;

	sh = tc_shared(sizeof(*sh));
	ASSERT_NE(NULL, sh);
	for (i = 0; i < TS_RECEIVERS; i++) {
		ra[i] = (struct ts_arg){ .mb = self->mb, .sh = sh };
		ASSERT_EQ(0, pthread_create(&rt[i], NULL, ts_recv, &ra[i]));
	}
	for (i = 0; i < TS_SENDERS; i++) {
		sa[i] = (struct ts_arg){ .mb = self->mb, .sh = sh, .stream = i };
		ASSERT_EQ(0, pthread_create(&st[i], NULL, ts_send, &sa[i]));
	}
	for (i = 0; i < TS_SENDERS; i++)
		pthread_join(st[i], NULL);
	ASSERT_EQ(0, ipc_close(self->mb));
	for (i = 0; i < TS_RECEIVERS; i++)
		pthread_join(rt[i], NULL);
	EXPECT_EQ(0, sh->errors);
	for (i = 0; i < TS_SENDERS; i++)
		for (q = 0; q < TS_MSGS; q++)
			ASSERT_EQ(1, sh->count[i][q]) TH_LOG("stream %d message %d", i, q);
	munmap(sh, sizeof(*sh));
}

TEST_HARNESS_MAIN
