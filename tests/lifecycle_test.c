// SPDX-License-Identifier: GPL-2.0
/*
 * lifecycle_test: how a mailbox ends, and how long it lives.
 *
 *  - KMBOX_IOC_CLOSE (Go-style): later sends EPIPE; blocked senders woken
 *    with EPIPE, their messages withdrawn; receivers drain what is queued,
 *    then EPIPE; blocked receivers on an empty mailbox woken with EPIPE;
 *    a second close fails with EPIPE and changes nothing;
 *  - KMBOX_IOC_DESTROY: the name goes, queued messages are dropped, every
 *    blocked waiter (several processes) and every later call on any handle
 *    gets EIDRM; INFO still tells the state;
 *  - lifetime: an anonymous mailbox lives while a handle does (fork, dup,
 *    SCM_RIGHTS); a named one until unlinked and its last handle closed;
 *  - the per-user mailbox limit (ENOSPC) and what frees a slot.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>

#include "kmbox_test.h"

#define LIMIT_UID	60003

FIXTURE(life) {
	int fd;
	bool rv;
	bool unbounded;
};

FIXTURE_VARIANT(life) {
	__u64 capacity;
};

FIXTURE_VARIANT_ADD(life, rendezvous) { .capacity = 0 };
FIXTURE_VARIANT_ADD(life, bounded) { .capacity = 3 };
FIXTURE_VARIANT_ADD(life, unbounded) { .capacity = KMBOX_CAPACITY_UNBOUNDED };

FIXTURE_SETUP(life)
{
	self->rv = variant->capacity == 0;
	self->unbounded = variant->capacity == KMBOX_CAPACITY_UNBOUNDED;
	self->fd = kt_anon(variant->capacity);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(life)
{
	close(self->fd);
}

/* Every kind of send and receive on fd fails with err. */
static int all_calls_fail(int fd, int err)
{
	char buf[16];
	ssize_t n;
	int bad = 0;

#define EXPECT_ERR(call) do {						\
	int __r = (call);						\
	if (__r != -err) {						\
		fprintf(stderr, "# %s: expected %d, got %d\n", #call,	\
			-err, __r);					\
		bad = 1;						\
	}								\
} while (0)
	EXPECT_ERR(kt_send_str(fd, "x", 0));
	EXPECT_ERR(kt_send_str(fd, "x", KMBOX_MSG_NONBLOCK));
	EXPECT_ERR(kt_send_str(fd, "x", KMBOX_SEND_SYNC));
	EXPECT_ERR(kt_send(fd, "x", 1, KMBOX_MSG_TIMEOUT, TC_SEC));
	EXPECT_ERR(kt_recv(fd, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_ERR(kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, NULL));
	EXPECT_ERR(kt_recv(fd, buf, sizeof(buf), KMBOX_RECV_PEEK, 0, NULL));
	EXPECT_ERR(kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_DEADLINE,
			   tc_now_ns() + TC_SEC, NULL));
	n = read(fd, buf, sizeof(buf));
	EXPECT_ERR(n < 0 ? -errno : (int)n);
	n = write(fd, "x", 1);
	EXPECT_ERR(n < 0 ? -errno : (int)n);
#undef EXPECT_ERR
	return bad ? -1 : 0;
}

TEST_F(life, close_stops_sends)
{
	struct kmbox_info info;
	int64_t t0;

	ASSERT_EQ(0, kt_shut(self->fd));
	ASSERT_EQ(0, kt_info(self->fd, &info));
	EXPECT_EQ((__u32)KMBOX_STATE_CLOSED, info.state);
	t0 = tc_now_ns();
	signal(SIGPIPE, SIG_IGN);
	EXPECT_EQ(-EPIPE, kt_send_str(self->fd, "x", 0));
	EXPECT_EQ(-EPIPE, kt_send_str(self->fd, "x", KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(-EPIPE, kt_send_str(self->fd, "x", KMBOX_SEND_SYNC));
	EXPECT_EQ(-EPIPE, kt_send(self->fd, "x", 1, KMBOX_MSG_TIMEOUT,
				  TC_SEC));
	EXPECT_EQ(-1, write(self->fd, "x", 1));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_GT(KT_SLACK, tc_now_ns() - t0);
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, sent));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
}

TEST_F(life, close_drains_then_epipe)
{
	char buf[16];
	int64_t t0;

	if (!self->rv) {
		ASSERT_EQ(0, kt_send_str(self->fd, "a", KMBOX_MSG_NONBLOCK));
		ASSERT_EQ(0, kt_send_str(self->fd, "b", KMBOX_MSG_NONBLOCK));
	}
	ASSERT_EQ(0, kt_shut(self->fd));
	if (!self->rv) {
		EXPECT_EQ(2ULL, KT_INFO_FIELD(self->fd, msgs));
		ASSERT_EQ(1, kt_recv_str(self->fd, buf, sizeof(buf),
					 KMBOX_RECV_PEEK));
		EXPECT_STREQ("a", buf);
		ASSERT_EQ(1, kt_recv_str(self->fd, buf, sizeof(buf), 0));
		EXPECT_STREQ("a", buf);
		ASSERT_EQ(1, kt_recv_str(self->fd, buf, sizeof(buf),
					 KMBOX_MSG_NONBLOCK));
		EXPECT_STREQ("b", buf);
	}
	/* Drained: every receive fails at once with EPIPE. */
	t0 = tc_now_ns();
	EXPECT_EQ(-EPIPE, kt_recv(self->fd, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(-EPIPE, kt_recv(self->fd, buf, sizeof(buf),
				  KMBOX_MSG_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EPIPE, kt_recv(self->fd, buf, sizeof(buf),
				  KMBOX_MSG_TIMEOUT, 5 * TC_SEC, NULL));
	EXPECT_EQ(-EPIPE, kt_recv(self->fd, buf, sizeof(buf), KMBOX_RECV_PEEK,
				  0, NULL));
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_GT(KT_SLACK, tc_now_ns() - t0);
	EXPECT_EQ((__u32)KMBOX_STATE_CLOSED, KT_INFO_FIELD(self->fd, state));
}

/*
 * Start n senders that will block: first fill a bounded mailbox, and make
 * them synchronous on an unbounded one.  Returns the messages queued.
 */
static int start_blocked_senders(struct __test_metadata *_metadata, int fd,
				 bool rv, bool unbounded, __u64 capacity,
				 struct kt_child *c, int n)
{
	struct kt_call call = { .op = KT_SEND, .fd = fd, .buf = "blocked",
				.len = 7 };
	int queued = 0, i;

	if (!rv && !unbounded) {
		for (; queued < (int)capacity; queued++)
			if (kt_send_str(fd, "queued", KMBOX_MSG_NONBLOCK))
				return -1;
	}
	if (unbounded)
		call.flags = KMBOX_SEND_SYNC;
	for (i = 0; i < n; i++) {
		if (kt_spawn(&c[i], &call) || kt_wait_waiters(fd, i + 1, 0))
			return -1;
	}
	return queued;
}

TEST_F(life, close_wakes_blocked_senders)
{
	struct kt_result res;
	struct kt_child c[2];
	char buf[16];
	int queued, i;

	queued = start_blocked_senders(_metadata, self->fd, self->rv,
				       self->unbounded, variant->capacity, c, 2);
	ASSERT_LE(0, queued);
	ASSERT_EQ(0, kt_shut(self->fd));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, kt_result(&c[i], &res));
		EXPECT_EQ(-EPIPE, res.ret);
	}
	EXPECT_EQ(0U, KT_INFO_FIELD(self->fd, senders_waiting));
	/* Their messages were withdrawn: only what was queued before. */
	EXPECT_EQ((__u64)queued, KT_INFO_FIELD(self->fd, msgs));
	for (i = 0; i < queued; i++) {
		EXPECT_EQ(6, kt_recv_str(self->fd, buf, sizeof(buf), 0));
		EXPECT_STREQ("queued", buf);
	}
	EXPECT_EQ(-EPIPE, kt_recv(self->fd, buf, sizeof(buf), 0, 0, NULL));
}

TEST_F(life, close_wakes_blocked_receivers)
{
	struct kt_call call = { .op = KT_RECV, .fd = self->fd, .len = 64 };
	struct kt_result res;
	struct kt_child c[2];
	int i;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, kt_spawn(&c[i], &call));
		ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, i + 1));
	}
	ASSERT_EQ(0, kt_shut(self->fd));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, kt_result(&c[i], &res));
		EXPECT_EQ(-EPIPE, res.ret);
	}
	EXPECT_EQ(0U, KT_INFO_FIELD(self->fd, receivers_waiting));
}

/* Closing from another process, through a send-only handle of its own. */
TEST_F(life, close_by_another_process)
{
	struct kt_call call = { .op = KT_RECV, .fd = self->fd, .len = 64 };
	struct kt_result res;
	struct kt_child c;
	pid_t pid;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		TC_CHECK_EQ(0, kt_shut(self->fd));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(-EPIPE, res.ret);
}

/*
 * Closing a closed mailbox fails with EPIPE, in any process (Go panics
 * there), and changes nothing: what is queued is still drained.
 */
TEST_F(life, close_twice_is_epipe)
{
	char buf[16];
	pid_t pid;

	if (!self->rv)
		ASSERT_EQ(0, kt_send_str(self->fd, "a", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_shut(self->fd));
	EXPECT_EQ(-EPIPE, kt_shut(self->fd));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		TC_CHECK_EQ(-EPIPE, kt_shut(self->fd));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	/* Bad calls are still told so first. */
	EXPECT_EQ(-1, ioctl(self->fd, KMBOX_IOC_CLOSE, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ((__u32)KMBOX_STATE_CLOSED, KT_INFO_FIELD(self->fd, state));
	if (!self->rv) {
		EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, msgs));
		EXPECT_EQ(1, kt_recv_str(self->fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
		EXPECT_STREQ("a", buf);
	}
	EXPECT_EQ(-EPIPE, kt_recv(self->fd, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(-EPIPE, kt_shut(self->fd));
	/* Destroy still works; then close is EIDRM. */
	ASSERT_EQ(0, kt_destroy(self->fd));
	EXPECT_EQ(-EIDRM, kt_shut(self->fd));
}

TEST_F(life, destroy_drops_and_fails_everything)
{
	struct kmbox_info info;
	int queued = 0;

	if (!self->rv) {
		ASSERT_EQ(0, kt_send_str(self->fd, "a", KMBOX_MSG_NONBLOCK));
		ASSERT_EQ(0, kt_send_str(self->fd, "bc", KMBOX_MSG_NONBLOCK));
		queued = 2;
	}
	ASSERT_EQ(0, kt_destroy(self->fd));
	ASSERT_EQ(0, kt_info(self->fd, &info));
	EXPECT_EQ((__u32)KMBOX_STATE_DESTROYED, info.state);
	EXPECT_EQ((__u64)queued, info.dropped);
	EXPECT_EQ(0ULL, info.msgs);
	EXPECT_EQ(0ULL, info.bytes);
	signal(SIGPIPE, SIG_IGN);
	EXPECT_EQ(0, all_calls_fail(self->fd, EIDRM));
	EXPECT_EQ(-EIDRM, kt_shut(self->fd));
	EXPECT_EQ(-EIDRM, kt_destroy(self->fd));
}

/* Destroy wins over close: a closed mailbox destroyed is EIDRM. */
TEST_F(life, destroy_after_close)
{
	if (!self->rv)
		ASSERT_EQ(0, kt_send_str(self->fd, "a", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_shut(self->fd));
	ASSERT_EQ(0, kt_destroy(self->fd));
	EXPECT_EQ((__u32)KMBOX_STATE_DESTROYED,
		  KT_INFO_FIELD(self->fd, state));
	EXPECT_EQ(self->rv ? 0ULL : 1ULL, KT_INFO_FIELD(self->fd, dropped));
	signal(SIGPIPE, SIG_IGN);
	EXPECT_EQ(0, all_calls_fail(self->fd, EIDRM));
}

TEST_F(life, destroy_wakes_blocked_senders)
{
	struct kt_result res;
	struct kt_child c[3];
	int i;

	ASSERT_LE(0, start_blocked_senders(_metadata, self->fd, self->rv,
					   self->unbounded, variant->capacity,
					   c, 3));
	ASSERT_EQ(0, kt_destroy(self->fd));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, kt_result(&c[i], &res));
		EXPECT_EQ(-EIDRM, res.ret);
	}
	EXPECT_EQ(0U, KT_INFO_FIELD(self->fd, senders_waiting));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, received));
}

TEST_F(life, destroy_wakes_blocked_receivers)
{
	struct kt_call call = { .op = KT_RECV, .fd = self->fd, .len = 64 };
	struct kt_call peek = { .op = KT_RECV, .fd = self->fd, .len = 64,
				.flags = KMBOX_RECV_PEEK };
	struct kt_call timed = { .op = KT_RECV, .fd = self->fd, .len = 64,
				 .flags = KMBOX_MSG_TIMEOUT,
				 .timeout_ns = 30 * TC_SEC };
	struct kt_result res;
	struct kt_child c[3];
	int i;

	ASSERT_EQ(0, kt_spawn(&c[0], &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	ASSERT_EQ(0, kt_spawn(&c[1], &peek));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 2));
	ASSERT_EQ(0, kt_spawn(&c[2], &timed));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 3));
	ASSERT_EQ(0, kt_destroy(self->fd));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, kt_result(&c[i], &res));
		EXPECT_EQ(-EIDRM, res.ret) TH_LOG("receiver %d", i);
		EXPECT_GT(15 * TC_SEC, res.t_end - res.t_start);
	}
	EXPECT_EQ(0U, KT_INFO_FIELD(self->fd, receivers_waiting));
}

/*
 * A message handed over to a receiver that cannot run yet: to make that
 * window certain, this process and the receivers it forks share one CPU,
 * and this one runs SCHED_FIFO from the send on (hand_over_to_sleeper),
 * until let_run: no receiver runs in between.
 */
static int pin_to_one_cpu(void)
{
	cpu_set_t set, one;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
		;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one) ? -errno : 0;
}

static int let_run(void)
{
	struct sched_param other = { .sched_priority = 0 };

	return sched_setscheduler(0, SCHED_OTHER, &other) ? -errno : 0;
}

/*
 * A child c asleep in a receive on fd, and msg handed over to it, with
 * this process SCHED_FIFO until let_run(): 0, or -errno (-EPERM: no
 * SCHED_FIFO), the child killed and FIFO undone.
 */
static int hand_over_to_sleeper(int fd, const char *msg, struct kt_child *c)
{
	struct kt_call call = { .op = KT_RECV, .fd = fd, .len = 16 };
	struct sched_param fifo = { .sched_priority = 1 };
	int ret;

	c->pid = -1;
	ret = pin_to_one_cpu();
	if (!ret)
		ret = kt_spawn(c, &call);
	if (!ret)
		ret = kt_wait_waiters(fd, 0, 1);
	if (!ret && sched_setscheduler(0, SCHED_FIFO, &fifo))
		ret = -errno;
	if (!ret) {
		ret = kt_send_str(fd, msg, KMBOX_MSG_NONBLOCK);
		if (ret)
			let_run();
	}
	if (ret)
		kt_child_kill(c);
	return ret;
}

/*
 * A receiver SIGKILLed after a message was handed to it while it slept,
 * before it ran again, never sees the message: the message stays, first in
 * line, and the next receiver gets it.
 */
TEST_F(life, killed_receiver_leaves_handed_message)
{
	struct kmbox_info info;
	struct kt_child c;
	char buf[16];
	int ret;

	ret = hand_over_to_sleeper(self->fd, "kept", &c);
	if (ret == -EPERM)
		SKIP(return, "SCHED_FIFO not permitted");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, kill(c.pid, SIGKILL));
	ASSERT_EQ(0, let_run());
	ASSERT_EQ(128 + SIGKILL, tc_wait(c.pid));
	close(c.pipe);

	ASSERT_EQ(0, kt_info(self->fd, &info));
	EXPECT_EQ(0U, info.received);
	EXPECT_EQ(0U, info.receivers_waiting);
	ASSERT_EQ(4, kt_recv_str(self->fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("kept", buf);
	ASSERT_EQ(0, kt_info(self->fd, &info));
	EXPECT_EQ(1U, info.sent);
	EXPECT_EQ(1U, info.received);
	EXPECT_EQ(0U, info.msgs);
}

/*
 * A closed mailbox is not drained while a message is in flight: it comes
 * back if its receiver is killed.  Until then a receive waits (here: a
 * non-blocking one gets EAGAIN) and poll reports no POLLHUP; then the
 * message is received, and only then EPIPE.
 */
TEST_F(life, close_waits_for_message_in_flight)
{
	struct kt_child c;
	char buf[16];
	int ret;

	ret = hand_over_to_sleeper(self->fd, "kept", &c);
	if (ret == -EPERM)
		SKIP(return, "SCHED_FIFO not permitted");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, kt_shut(self->fd));
	ret = kt_recv_str(self->fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK);
	EXPECT_EQ(0, kt_revents(self->fd, POLLIN));
	ASSERT_EQ(0, kill(c.pid, SIGKILL));
	ASSERT_EQ(0, let_run());
	ASSERT_EQ(-EAGAIN, ret);
	ASSERT_EQ(128 + SIGKILL, tc_wait(c.pid));
	close(c.pipe);

	ASSERT_EQ(4, kt_recv_str(self->fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("kept", buf);
	EXPECT_EQ(-EPIPE, kt_recv_str(self->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(POLLHUP, kt_revents(self->fd, POLLIN));
}

/*
 * Receivers that found a closed mailbox empty but a message in flight
 * wait for it, and learn the end (EPIPE) once it is taken after all.  The
 * message stays in flight as long as its receiver's copy-out waits for a
 * userfaultfd page to be resolved.
 */
struct drain_recv {
	int fd;
	char *buf;
	int ret;
};

static void *drain_receiver(void *arg)
{
	struct drain_recv *dr = arg;

	dr->ret = kt_recv(dr->fd, dr->buf, 16, 0, 0, NULL);
	return NULL;
}

TEST_F(life, close_drain_ends_when_message_in_flight_is_taken)
{
	struct drain_recv slow = { .fd = self->fd }, other = { .fd = self->fd };
	pthread_t th[2];
	char buf[16];
	int uffd;

	uffd = kt_uffd_page(&slow.buf);
	if (uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(-uffd));
	other.buf = buf;

	/* The message, handed over: its receiver's copy waits on the page. */
	ASSERT_EQ(0, pthread_create(&th[0], NULL, drain_receiver, &slow));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	ASSERT_EQ(0, kt_send_str(self->fd, "taken", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_uffd_wait_fault(uffd));

	/* Closed, nothing queued, one in flight: not drained yet. */
	ASSERT_EQ(0, kt_shut(self->fd));
	EXPECT_EQ(-EAGAIN, kt_recv_str(self->fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(0, kt_revents(self->fd, POLLIN));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, drain_receiver, &other));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));

	/* The copy completes, the message is taken: the other sees the end. */
	ASSERT_EQ(0, kt_uffd_zero(uffd, slow.buf));
	ASSERT_EQ(0, pthread_join(th[0], NULL));
	EXPECT_EQ(5, slow.ret);
	EXPECT_EQ(0, memcmp(slow.buf, "taken", 5));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 0));
	ASSERT_EQ(0, pthread_join(th[1], NULL));
	EXPECT_EQ(-EPIPE, other.ret);
	EXPECT_EQ(POLLHUP, kt_revents(self->fd, POLLIN));
	close(uffd);
	munmap(slow.buf, 4096);
}

/* Every handle, in every process, sees the destruction. */
TEST_F(life, destroy_seen_by_every_handle)
{
	char name[64];
	int fd, rfd, sfd;
	pid_t pid;
	int p[2];
	char go;

	kt_name(name, sizeof(name), "destroy");
	fd = kt_create(name, variant->capacity, 0, 0600, KMBOX_ACCESS_ALL,
		       KMBOX_CREATE_EXCL, NULL);
	ASSERT_LE(0, fd);
	rfd = kt_open(name, KMBOX_ACCESS_RECV, 0, NULL);
	ASSERT_LE(0, rfd);
	sfd = kt_open(name, KMBOX_ACCESS_SEND, 0, NULL);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, pipe(p));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Wait for the parent to destroy it, then try. */
		close(p[1]);
		TC_CHECK_EQ(1, read(p[0], &go, 1));
		signal(SIGPIPE, SIG_IGN);
		TC_CHECK_EQ(0, all_calls_fail(fd, EIDRM));
		TC_CHECK_EQ(-EIDRM, kt_send_str(sfd, "x", KMBOX_MSG_NONBLOCK));
		TC_CHECK_EQ(-EIDRM, kt_recv(rfd, &go, 1, KMBOX_MSG_NONBLOCK, 0,
					    NULL));
		_exit(0);
	}
	close(p[0]);
	ASSERT_EQ(0, kt_destroy(fd));
	ASSERT_EQ(1, write(p[1], "g", 1));
	close(p[1]);
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(-EIDRM, kt_send_str(sfd, "x", 0));
	EXPECT_EQ(-EIDRM, kt_recv(rfd, &go, 1, 0, 0, NULL));
	EXPECT_EQ(-EIDRM, kt_shut(sfd));
	EXPECT_EQ((__u32)KMBOX_STATE_DESTROYED, KT_INFO_FIELD(rfd, state));
	/* The name went with it. */
	EXPECT_EQ(-ENOENT, kt_open(name, KMBOX_ACCESS_ALL, 0, NULL));
	EXPECT_EQ(-ENOENT, kt_unlink(name));
	close(fd);
	close(rfd);
	close(sfd);
}

/* After DESTROY the name is free: a new CREATE makes a new mailbox. */
TEST_F(life, destroy_frees_the_name)
{
	__u64 id1 = 0, id2 = 0;
	char name[64];
	int fd, fd2;

	kt_name(name, sizeof(name), "reuse");
	fd = kt_create(name, variant->capacity, 0, 0600, KMBOX_ACCESS_ALL,
		       KMBOX_CREATE_EXCL, &id1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_destroy(fd));
	EXPECT_EQ('\0', ({ struct kmbox_info i; kt_info(fd, &i); i.name[0]; }));
	fd2 = kt_create(name, variant->capacity, 0, 0600, KMBOX_ACCESS_ALL,
			KMBOX_CREATE_EXCL, &id2);
	ASSERT_LE(0, fd2);
	EXPECT_NE(id1, id2);
	EXPECT_EQ((__u32)KMBOX_STATE_OPEN, KT_INFO_FIELD(fd2, state));
	EXPECT_EQ(-EIDRM, kt_send_str(fd, "x", KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
	close(fd2);
}

/* ---- lifetime ---------------------------------------------------------- */

TEST(named_outlives_its_handles)
{
	__u64 id = 0, id2 = 0;
	char name[64], buf[16];
	int fd;

	kt_name(name, sizeof(name), "keep");
	fd = kt_create(name, 4, 0, 0600, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL,
		       &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_send_str(fd, "kept", KMBOX_MSG_NONBLOCK));
	close(fd);

	fd = kt_open(name, KMBOX_ACCESS_ALL, 0, &id2);
	ASSERT_LE(0, fd);
	EXPECT_EQ(id, id2);
	EXPECT_EQ(1ULL, KT_INFO_FIELD(fd, msgs));
	EXPECT_EQ(4, kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("kept", buf);
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
	EXPECT_EQ(-ENOENT, kt_open(name, KMBOX_ACCESS_ALL, 0, NULL));
}

TEST(named_outlives_its_creator)
{
	char name[64], buf[32];
	struct kmbox_recv r;
	pid_t pid;
	int fd;

	kt_name(name, sizeof(name), "orphan");
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int cfd = kt_create(name, KMBOX_CAPACITY_UNBOUNDED, 0, 0600,
				    KMBOX_ACCESS_SEND, KMBOX_CREATE_EXCL, NULL);

		TC_CHECK(cfd >= 0);
		TC_CHECK_EQ(0, kt_send_str(cfd, "from the dead", 0));
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(pid));
	fd = kt_open(name, KMBOX_ACCESS_RECV, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(13, kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, &r));
	EXPECT_EQ(0, memcmp(buf, "from the dead", 13));
	EXPECT_EQ(pid, r.pid);
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
}

TEST(unlink_keeps_handles_working)
{
	__u64 id = 0, id2 = 0;
	char name[64], buf[16];
	int fd, fd2, fd3;

	kt_name(name, sizeof(name), "unlink");
	fd = kt_create(name, 4, 0, 0600, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL,
		       &id);
	ASSERT_LE(0, fd);
	fd2 = kt_open(name, KMBOX_ACCESS_RECV, 0, NULL);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, kt_send_str(fd, "before", KMBOX_MSG_NONBLOCK));

	ASSERT_EQ(0, kt_unlink(name));
	EXPECT_EQ(-ENOENT, kt_open(name, KMBOX_ACCESS_ALL, 0, NULL));
	EXPECT_EQ(-ENOENT, kt_unlink(name));
	EXPECT_EQ('\0', ({ struct kmbox_info i; kt_info(fd, &i); i.name[0]; }));
	EXPECT_EQ((__u32)KMBOX_STATE_OPEN, KT_INFO_FIELD(fd, state));

	/* The old handles still talk to each other. */
	ASSERT_EQ(0, kt_send_str(fd, "after", KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(6, kt_recv_str(fd2, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("before", buf);

	/* The name now makes a different, empty mailbox. */
	fd3 = kt_create(name, 4, 0, 0600, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL,
			&id2);
	ASSERT_LE(0, fd3);
	EXPECT_NE(id, id2);
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd3, msgs));
	EXPECT_EQ(-EAGAIN, kt_recv_str(fd3, buf, sizeof(buf),
				       KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(5, kt_recv_str(fd2, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("after", buf);
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
	close(fd2);
	close(fd3);
}

TEST(anonymous_shared_by_fork)
{
	struct kmbox_recv r;
	char buf[16];
	pid_t pid;
	int fd;

	fd = kt_anon(KMBOX_CAPACITY_UNBOUNDED);
	ASSERT_LE(0, fd);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		TC_CHECK_EQ(0, kt_send_str(fd, "child", 0));
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(pid));
	ASSERT_EQ(5, kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, &r));
	EXPECT_EQ(pid, r.pid);
	close(fd);
}

/* A handle passed with SCM_RIGHTS keeps the mailbox after its creator left. */
TEST(anonymous_passed_over_unix_socket)
{
	char cbuf[CMSG_SPACE(sizeof(int))], buf[32];
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	__u64 id = 0;
	int sv[2], fd = -1;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int cfd = kt_create(NULL, 2, 0, 0600, KMBOX_ACCESS_ALL, 0, &id);

		TC_CHECK(cfd >= 0);
		TC_CHECK_EQ(0, kt_send_str(cfd, "passed along",
					   KMBOX_MSG_NONBLOCK));
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = &id;
		iov.iov_len = sizeof(id);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &cfd, sizeof(int));
		TC_CHECK_EQ(sizeof(id), sendmsg(sv[1], &mh, 0));
		_exit(0);
	}
	close(sv[1]);
	/* The creator is gone (its handle closed) before we receive. */
	ASSERT_EQ(0, tc_wait(pid));
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &id;
	iov.iov_len = sizeof(id);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	ASSERT_EQ((ssize_t)sizeof(id), recvmsg(sv[0], &mh, 0));
	cm = CMSG_FIRSTHDR(&mh);
	ASSERT_NE(NULL, cm);
	ASSERT_EQ(SCM_RIGHTS, cm->cmsg_type);
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	ASSERT_LE(0, fd);
	EXPECT_EQ(id, KT_INFO_FIELD(fd, id));
	EXPECT_EQ(12, kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("passed along", buf);
	close(fd);
	close(sv[0]);
}

/* Any remaining handle keeps an anonymous mailbox: dup, fork. */
TEST(anonymous_lives_while_a_handle_does)
{
	char buf[16];
	int fd, fd2;
	pid_t pid;
	int p[2];

	fd = kt_anon(4);
	ASSERT_LE(0, fd);
	fd2 = dup(fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, kt_send_str(fd, "one", KMBOX_MSG_NONBLOCK));
	close(fd);
	ASSERT_EQ(3, kt_recv_str(fd2, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("one", buf);

	ASSERT_EQ(0, kt_send_str(fd2, "two", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, pipe(p));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char go;

		close(p[1]);
		/* Our parent closes its handle first. */
		TC_CHECK_EQ(0, read(p[0], &go, 1));
		TC_CHECK_EQ(3, kt_recv_str(fd2, buf, sizeof(buf),
					   KMBOX_MSG_NONBLOCK));
		TC_CHECK(!strcmp(buf, "two"));
		TC_CHECK_EQ(0, kt_send_str(fd2, "three", 0));
		_exit(0);
	}
	close(p[0]);
	close(fd2);
	close(p[1]);
	EXPECT_EQ(0, tc_wait(pid));
}

/* ---- the per-user mailbox limit ---------------------------------------- */

FIXTURE(limit) {
	unsigned long long saved;
	int restore;
};

FIXTURE_SETUP(limit)
{
	ASSERT_EQ(0, kt_param_get("max_mailboxes_per_user", &self->saved));
	ASSERT_EQ(0, kt_param_set("max_mailboxes_per_user", 3));
	self->restore = 1;
	ASSERT_EQ(3ULL, ({ struct kmbox_limits l; kt_limits(&l);
			   l.max_mailboxes_per_user; }));
}

FIXTURE_TEARDOWN(limit)
{
	if (self->restore)
		EXPECT_EQ(0, kt_param_set("max_mailboxes_per_user",
					  self->saved));
}

TEST_F(limit, enospc_and_what_frees_a_slot)
{
	char named[64], other[64];
	pid_t pid;

	kt_name(named, sizeof(named), "limit");
	kt_name(other, sizeof(other), "limit");
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int a, b, c, c2, c3, d, e;

		TC_CHECK_EQ(0, tc_become(LIMIT_UID, LIMIT_UID));
		a = kt_anon(1);
		TC_CHECK(a >= 0);
		b = kt_anon(KMBOX_CAPACITY_UNBOUNDED);
		TC_CHECK(b >= 0);
		c = kt_create(named, 0, 0, 0600, KMBOX_ACCESS_ALL,
			      KMBOX_CREATE_EXCL, NULL);
		TC_CHECK(c >= 0);
		/* Three owned: the limit. */
		TC_CHECK_EQ(-ENOSPC, kt_anon(1));
		TC_CHECK_EQ(-ENOSPC, kt_create(other, 1, 0, 0600,
					       KMBOX_ACCESS_ALL, 0, NULL));
		TC_CHECK_EQ(-ENOENT, kt_open(other, KMBOX_ACCESS_ALL, 0,
					     NULL));
		/* Opening an existing one creates nothing. */
		c2 = kt_open(named, KMBOX_ACCESS_ALL, 0, NULL);
		TC_CHECK(c2 >= 0);
		c3 = kt_create(named, 0, 0, 0600, KMBOX_ACCESS_ALL, 0, NULL);
		TC_CHECK(c3 >= 0);
		/* The last handle of an anonymous mailbox frees it. */
		close(a);
		d = kt_anon(1);
		TC_CHECK(d >= 0);
		TC_CHECK_EQ(-ENOSPC, kt_anon(1));
		/* A named one lives on without handles... */
		close(c);
		close(c2);
		close(c3);
		TC_CHECK_EQ(-ENOSPC, kt_anon(1));
		/* ...until unlinked. */
		TC_CHECK_EQ(0, kt_unlink(named));
		e = kt_create(other, 1, 0, 0600, KMBOX_ACCESS_ALL,
			      KMBOX_CREATE_EXCL, NULL);
		TC_CHECK(e >= 0);
		TC_CHECK_EQ(-ENOSPC, kt_anon(1));
		TC_CHECK_EQ(0, kt_unlink(other));
		close(b);
		close(d);
		close(e);
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	kt_unlink(named);
	kt_unlink(other);
}

/* The limit is per user: another user is not affected. */
TEST_F(limit, per_user)
{
	pid_t pid[2];
	int i;

	for (i = 0; i < 2; i++) {
		pid[i] = tc_fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			int fds[3], j;

			TC_CHECK_EQ(0, tc_become(LIMIT_UID + i, LIMIT_UID + i));
			for (j = 0; j < 3; j++) {
				fds[j] = kt_anon(1);
				TC_CHECK(fds[j] >= 0);
			}
			TC_CHECK_EQ(-ENOSPC, kt_anon(1));
			/* Hold them while the other user creates its own. */
			tc_sleep_ms(300);
			_exit(0);
		}
	}
	EXPECT_EQ(0, tc_wait(pid[0]));
	EXPECT_EQ(0, tc_wait(pid[1]));
}

TEST_HARNESS_MAIN
