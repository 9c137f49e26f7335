// SPDX-License-Identifier: GPL-2.0
/*
 * poll_rw_test: a mailbox handle as a file descriptor, in each mode.
 *
 *  - poll: POLLIN when a receive would not block (a message queued, or a
 *    sender offering at capacity 0), POLLOUT when a send would not block
 *    (room; always when unbounded; a receiver waiting at capacity 0),
 *    POLLHUP once closed and drained (a send-only handle: once closed),
 *    POLLOUT once closed on a handle that can send (a send fails at once),
 *    POLLERR once destroyed; only the events the handle's access allows;
 *    sleepers are woken by each of these; epoll and select agree;
 *  - read(2)/write(2): one message per call, EMSGSIZE both ways, O_NONBLOCK
 *    (KMBOX_FD_NONBLOCK or fcntl) honoured by them and ignored by ioctls,
 *    EBADF by access, EFAULT with nothing changed;
 *  - KMBOX_FD_CLOEXEC / KMBOX_FD_NONBLOCK on CREATE and OPEN.
 */
#include <sys/epoll.h>
#include <sys/select.h>

#include "kmbox_test.h"

FIXTURE(pr) {
	int fd;
	bool rv, unbounded;
	char name[64];
};

FIXTURE_VARIANT(pr) {
	__u64 capacity;
};

FIXTURE_VARIANT_ADD(pr, rendezvous) { .capacity = 0 };
FIXTURE_VARIANT_ADD(pr, bounded) { .capacity = 2 };
FIXTURE_VARIANT_ADD(pr, unbounded) { .capacity = KMBOX_CAPACITY_UNBOUNDED };

FIXTURE_SETUP(pr)
{
	self->rv = variant->capacity == 0;
	self->unbounded = variant->capacity == KMBOX_CAPACITY_UNBOUNDED;
	kt_name(self->name, sizeof(self->name), "pr");
	self->fd = kt_create(self->name, variant->capacity, 64, 0600,
			     KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL, NULL);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(pr)
{
	kt_unlink(self->name);
	close(self->fd);
}

#define ALL_EVENTS	(POLLIN | POLLOUT | POLLHUP | POLLERR)

/*
 * Make a message receivable: queued, or offered by a sender child blocked
 * in SEND (rendezvous; c->pid < 0 otherwise).  0 or -errno.
 */
static int offer(int fd, bool rv, const char *msg, struct kt_child *c)
{
	struct kt_call call = { .op = KT_SEND, .fd = fd, .buf = msg,
				.len = strlen(msg) };
	struct kmbox_info info;
	unsigned int before;
	int ret;

	c->pid = -1;
	if (!rv)
		return kt_send_str(fd, msg, KMBOX_MSG_NONBLOCK);
	before = KT_INFO_FIELD(fd, senders_waiting);
	ret = kt_spawn(c, &call);
	if (ret)
		return ret;
	return KT_WAIT_INFO(fd, info, info.senders_waiting == before + 1);
}

static int offered(struct kt_child *c)
{
	struct kt_result res;

	if (c->pid < 0)
		return 0;
	return kt_result(c, &res) ? INT32_MIN : res.ret;
}

/* A receiver child blocked in RECV (to make a rendezvous send possible). */
static int waiting_receiver(int fd, struct kt_child *c)
{
	struct kt_call call = { .op = KT_RECV, .fd = fd, .len = 64 };
	struct kmbox_info info;
	unsigned int before = KT_INFO_FIELD(fd, receivers_waiting);
	int ret = kt_spawn(c, &call);

	if (ret)
		return ret;
	return KT_WAIT_INFO(fd, info, info.receivers_waiting == before + 1);
}

TEST_F(pr, poll_empty)
{
	short ev = kt_revents(self->fd, POLLIN | POLLOUT);

	EXPECT_EQ(0, ev & (POLLIN | POLLHUP | POLLERR));
	EXPECT_EQ(self->rv ? 0 : POLLOUT, ev & POLLOUT);
}

TEST_F(pr, pollin_when_receivable)
{
	struct kt_child c;
	char buf[16];

	ASSERT_EQ(0, offer(self->fd, self->rv, "in", &c));
	EXPECT_EQ(POLLIN, kt_revents(self->fd, POLLIN));
	ASSERT_EQ(2, kt_recv_str(self->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, offered(&c));
	EXPECT_EQ(0, kt_revents(self->fd, POLLIN));
}

TEST_F(pr, pollout_when_sendable)
{
	struct kt_result res;
	struct kt_child c;
	char buf[16];
	int i;

	if (self->rv) {
		/* Only while a receiver waits. */
		EXPECT_EQ(0, kt_revents(self->fd, POLLOUT));
		ASSERT_EQ(0, waiting_receiver(self->fd, &c));
		EXPECT_EQ(POLLOUT, kt_revents(self->fd, POLLOUT));
		ASSERT_EQ(0, kt_send_str(self->fd, "out", KMBOX_MSG_NONBLOCK));
		ASSERT_EQ(0, kt_result(&c, &res));
		EXPECT_EQ(3, res.ret);
		EXPECT_EQ(0, kt_revents(self->fd, POLLOUT));
	} else if (self->unbounded) {
		for (i = 0; i < 1000; i++)
			ASSERT_EQ(0, kt_send(self->fd, &i, sizeof(i), 0, 0));
		EXPECT_EQ(POLLOUT, kt_revents(self->fd, POLLOUT));
	} else {
		ASSERT_EQ(0, kt_send_str(self->fd, "1", KMBOX_MSG_NONBLOCK));
		EXPECT_EQ(POLLOUT, kt_revents(self->fd, POLLOUT));
		ASSERT_EQ(0, kt_send_str(self->fd, "2", KMBOX_MSG_NONBLOCK));
		EXPECT_EQ(0, kt_revents(self->fd, POLLOUT));
		ASSERT_EQ(1, kt_recv_str(self->fd, buf, sizeof(buf), 0));
		EXPECT_EQ(POLLOUT, kt_revents(self->fd, POLLOUT));
	}
}

/* A sleeper in poll(POLLIN) is woken by a message, and can take it. */
TEST_F(pr, poll_wakes_reader)
{
	char buf[16];
	pid_t pid;

	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct pollfd pfd = { .fd = self->fd, .events = POLLIN };

		TC_CHECK_EQ(1, poll(&pfd, 1, 20000));
		TC_CHECK_EQ(POLLIN, pfd.revents);
		TC_CHECK_EQ(4, kt_recv_str(self->fd, buf, sizeof(buf),
					   KMBOX_MSG_NONBLOCK));
		TC_CHECK(!strcmp(buf, "wake"));
		_exit(0);
	}
	tc_sleep_ms(100);
	ASSERT_EQ(0, kt_send_str(self->fd, "wake", 0));
	EXPECT_EQ(0, tc_wait(pid));
}

/* A sleeper in poll(POLLOUT) is woken when a send becomes possible. */
TEST_F(pr, poll_wakes_writer)
{
	struct kt_result res;
	struct kt_child c;
	char buf[16];
	pid_t pid;

	if (!self->rv && !self->unbounded) {
		ASSERT_EQ(0, kt_send_str(self->fd, "1", KMBOX_MSG_NONBLOCK));
		ASSERT_EQ(0, kt_send_str(self->fd, "2", KMBOX_MSG_NONBLOCK));
	}
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct pollfd pfd = { .fd = self->fd, .events = POLLOUT };

		TC_CHECK_EQ(1, poll(&pfd, 1, 20000));
		TC_CHECK_EQ(POLLOUT, pfd.revents);
		TC_CHECK_EQ(0, kt_send_str(self->fd, "w", KMBOX_MSG_NONBLOCK));
		_exit(0);
	}
	tc_sleep_ms(100);
	if (self->rv) {
		/* A receiver arriving makes room. */
		struct kt_call call = { .op = KT_RECV, .fd = self->fd,
					.len = 64 };

		ASSERT_EQ(0, kt_spawn(&c, &call));
		EXPECT_EQ(0, tc_wait(pid));
		ASSERT_EQ(0, kt_result(&c, &res));
		EXPECT_EQ(1, res.ret);
	} else if (!self->unbounded) {
		ASSERT_EQ(1, kt_recv_str(self->fd, buf, sizeof(buf), 0));
		EXPECT_EQ(0, tc_wait(pid));
	} else {
		EXPECT_EQ(0, tc_wait(pid));
	}
}

TEST_F(pr, pollhup_once_closed_and_drained)
{
	char buf[16];

	if (!self->rv)
		ASSERT_EQ(0, kt_send_str(self->fd, "last", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_shut(self->fd));
	if (!self->rv) {
		/* Not drained yet. */
		EXPECT_EQ(POLLIN, kt_revents(self->fd, POLLIN) &
				  (POLLIN | POLLHUP | POLLERR));
		ASSERT_EQ(4, kt_recv_str(self->fd, buf, sizeof(buf), 0));
	}
	EXPECT_EQ(POLLHUP, kt_revents(self->fd, POLLIN) &
			   (POLLIN | POLLHUP | POLLERR));
}

TEST_F(pr, pollhup_on_send_only_handle_once_closed)
{
	int sfd;

	sfd = kt_open(self->name, KMBOX_ACCESS_SEND, 0, NULL);
	ASSERT_LE(0, sfd);
	if (!self->rv)
		ASSERT_EQ(0, kt_send_str(sfd, "queued", KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(0, kt_revents(sfd, POLLIN) & (POLLHUP | POLLERR));
	ASSERT_EQ(0, kt_shut(sfd));
	/* Nothing more can be sent: hung up, whatever is still queued. */
	EXPECT_EQ(POLLHUP, kt_revents(sfd, POLLIN | POLLOUT) &
			   (POLLIN | POLLHUP | POLLERR));
	close(sfd);
}

TEST_F(pr, pollerr_once_destroyed)
{
	int rfd;

	rfd = kt_open(self->name, KMBOX_ACCESS_RECV, 0, NULL);
	ASSERT_LE(0, rfd);
	if (!self->rv)
		ASSERT_EQ(0, kt_send_str(self->fd, "dropped",
					 KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_destroy(self->fd));
	EXPECT_EQ(POLLERR, kt_revents(self->fd, POLLIN | POLLOUT) & POLLERR);
	EXPECT_EQ(POLLERR, kt_revents(rfd, POLLIN) & POLLERR);
	EXPECT_EQ(0, kt_revents(rfd, POLLIN) & POLLIN);
	close(rfd);
}

static void poll_woken_by(struct __test_metadata *_metadata, int fd,
			  short events, int (*end)(int), short want)
{
	struct kt_call call = { .op = KT_POLL, .fd = fd, .events = events,
				.poll_ms = 20000 };
	struct kt_result res;
	struct kt_child c;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	tc_sleep_ms(100);
	ASSERT_EQ(0, end(fd));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(1, res.ret);
	EXPECT_EQ(want, res.revents & want);
	EXPECT_GT(10 * TC_SEC, res.t_end - res.t_start);
}

TEST_F(pr, poll_woken_by_close)
{
	poll_woken_by(_metadata, self->fd, POLLIN, kt_shut, POLLHUP);
}

TEST_F(pr, poll_woken_by_destroy)
{
	poll_woken_by(_metadata, self->fd, POLLIN, kt_destroy, POLLERR);
}

/*
 * Once closed, a send fails at once (EPIPE): POLLOUT on every handle that
 * can send, even while its receive side still has messages to drain.  A
 * sleeper in poll(POLLOUT) on a full mailbox (rendezvous: no receiver) is
 * woken by the close and sees POLLOUT.
 */
TEST_F(pr, pollout_once_closed)
{
	short rx = self->rv ? POLLHUP : POLLIN;	/* the receive side's */
	char buf[16];
	int sfd, rfd;

	sfd = kt_open(self->name, KMBOX_ACCESS_SEND, 0, NULL);
	ASSERT_LE(0, sfd);
	rfd = kt_open(self->name, KMBOX_ACCESS_RECV, 0, NULL);
	ASSERT_LE(0, rfd);
	if (!self->rv)
		ASSERT_EQ(0, kt_send_str(self->fd, "1", KMBOX_MSG_NONBLOCK));
	if (!self->rv && !self->unbounded)
		ASSERT_EQ(0, kt_send_str(self->fd, "2", KMBOX_MSG_NONBLOCK));
	if (self->unbounded) {
		ASSERT_EQ(0, kt_shut(self->fd));
	} else {
		/* Full, or no receiver: a send would block until the close. */
		EXPECT_EQ(0, kt_revents(self->fd, POLLOUT));
		poll_woken_by(_metadata, self->fd, POLLOUT, kt_shut, POLLOUT);
	}
	/* Receive side as before: POLLIN while queued, POLLHUP once drained. */
	EXPECT_EQ(POLLOUT | rx, kt_revents(self->fd, POLLIN | POLLOUT));
	EXPECT_EQ(POLLOUT | POLLHUP, kt_revents(sfd, POLLIN | POLLOUT));
	EXPECT_EQ(rx, kt_revents(rfd, POLLIN | POLLOUT));
	/* And the send it promised does not block: it fails at once. */
	EXPECT_EQ(-EPIPE, kt_send_str(self->fd, "x", 0));
	if (!self->rv) {
		while (kt_recv_str(rfd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK) > 0)
			;
		EXPECT_EQ(POLLOUT | POLLHUP, kt_revents(self->fd, POLLIN | POLLOUT));
		EXPECT_EQ(POLLHUP, kt_revents(rfd, POLLIN | POLLOUT));
	}
	close(rfd);
	close(sfd);
}

/* A receive-only handle never reports POLLOUT, a send-only one no POLLIN. */
TEST_F(pr, poll_events_match_access)
{
	struct kt_child c, r;
	char buf[16];
	int rfd, sfd;

	rfd = kt_open(self->name, KMBOX_ACCESS_RECV, 0, NULL);
	ASSERT_LE(0, rfd);
	sfd = kt_open(self->name, KMBOX_ACCESS_SEND, 0, NULL);
	ASSERT_LE(0, sfd);

	/* Sendable: */
	r.pid = -1;
	if (self->rv)
		ASSERT_EQ(0, waiting_receiver(self->fd, &r));
	EXPECT_EQ(POLLOUT, kt_revents(self->fd, POLLIN | POLLOUT) & POLLOUT);
	EXPECT_EQ(POLLOUT, kt_revents(sfd, POLLIN | POLLOUT));
	EXPECT_EQ(0, kt_revents(rfd, POLLIN | POLLOUT));
	if (self->rv) {
		ASSERT_EQ(0, kt_send_str(sfd, "r", 0));
		EXPECT_EQ(1, offered(&r));
	}

	/* Receivable: */
	ASSERT_EQ(0, offer(sfd, self->rv, "in", &c));
	EXPECT_EQ(POLLIN, kt_revents(self->fd, POLLIN | POLLOUT) & POLLIN);
	EXPECT_EQ(POLLIN, kt_revents(rfd, POLLIN | POLLOUT));
	EXPECT_EQ(0, kt_revents(sfd, POLLIN | POLLOUT) & POLLIN);
	ASSERT_EQ(2, kt_recv_str(rfd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, offered(&c));
	close(rfd);
	close(sfd);
}

TEST_F(pr, epoll_and_select)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct timeval tv = { 0, 0 };
	struct kt_child c;
	fd_set rset;
	char buf[16];
	int ep;

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	FD_ZERO(&rset);
	FD_SET(self->fd, &rset);
	EXPECT_EQ(0, select(self->fd + 1, &rset, NULL, NULL, &tv));

	ASSERT_EQ(0, offer(self->fd, self->rv, "ep", &c));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 5000));
	EXPECT_EQ((__u32)EPOLLIN, out.events & (EPOLLIN | EPOLLHUP | EPOLLERR));
	FD_ZERO(&rset);
	FD_SET(self->fd, &rset);
	tv.tv_sec = 5;
	EXPECT_EQ(1, select(self->fd + 1, &rset, NULL, NULL, &tv));
	EXPECT_TRUE(FD_ISSET(self->fd, &rset));
	ASSERT_EQ(2, kt_recv_str(self->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, offered(&c));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	close(ep);
}

/* ---- read(2) and write(2) ------------------------------------------------ */

/* One message per call, boundaries kept. */
TEST_F(pr, write_read_one_message_each)
{
	char buf[100];
	pid_t pid;

	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		TC_CHECK_EQ(3, write(self->fd, "abc", 3));
		TC_CHECK_EQ(5, write(self->fd, "defgh", 5));
		_exit(0);
	}
	ASSERT_EQ(3, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	ASSERT_EQ(5, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "defgh", 5));
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(2ULL, KT_INFO_FIELD(self->fd, received));
}

TEST_F(pr, write_over_max_msg_size)
{
	static char big[65];
	int64_t t0 = tc_now_ns();

	EXPECT_EQ(-1, write(self->fd, big, sizeof(big)));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_GT(KT_SLACK, tc_now_ns() - t0);
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, sent));
}

TEST_F(pr, read_too_small)
{
	struct kt_child c;
	char buf[16];

	ASSERT_EQ(0, offer(self->fd, self->rv, "fives", &c));
	EXPECT_EQ(-1, read(self->fd, buf, 2));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, received));
	ASSERT_EQ(5, read(self->fd, buf, 5));
	EXPECT_EQ(0, memcmp(buf, "fives", 5));
	EXPECT_EQ(0, offered(&c));
}

TEST_F(pr, o_nonblock_from_create)
{
	char buf[16];
	int fd;

	fd = kt_create(NULL, variant->capacity, 0, 0600, KMBOX_ACCESS_ALL,
		       KMBOX_FD_NONBLOCK, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	if (self->rv) {
		EXPECT_EQ(-1, write(fd, "x", 1));
		EXPECT_EQ(EAGAIN, errno);
		EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, msgs));
	} else if (self->unbounded) {
		EXPECT_EQ(1, write(fd, "x", 1));
	} else {
		EXPECT_EQ(1, write(fd, "x", 1));
		EXPECT_EQ(1, write(fd, "y", 1));
		EXPECT_EQ(-1, write(fd, "z", 1));
		EXPECT_EQ(EAGAIN, errno);
		EXPECT_EQ(2ULL, KT_INFO_FIELD(fd, msgs));
	}
	close(fd);
}

TEST_F(pr, o_nonblock_from_open_and_fcntl)
{
	char buf[16];
	int fd, fl;

	fd = kt_open(self->name, KMBOX_ACCESS_ALL, KMBOX_FD_NONBLOCK, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	close(fd);

	/* Without the flag; then set with fcntl. */
	fd = kt_open(self->name, KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	fl = fcntl(fd, F_GETFL);
	EXPECT_EQ(0, fl & O_NONBLOCK);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fl | O_NONBLOCK));
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	close(fd);
}

/* A blocking read waits for the next message. */
TEST_F(pr, blocking_read_waits)
{
	struct kt_call call = { .op = KT_READ, .fd = self->fd, .len = 64 };
	struct kt_result res;
	struct kt_child c;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	EXPECT_TRUE(tc_running(c.pid));
	ASSERT_EQ(4, write(self->fd, "read", 4));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(4, res.ret);
	EXPECT_EQ(0, memcmp(res.data, "read", 4));
}

/* A blocking write waits for room (or a receiver). */
TEST_F(pr, blocking_write_waits)
{
	struct kt_call call = { .op = KT_WRITE, .fd = self->fd,
				.buf = "written", .len = 7 };
	struct kt_result res;
	struct kt_child c;
	char buf[16];

	if (self->unbounded)
		SKIP(return, "an unbounded write never waits");
	if (!self->rv) {
		ASSERT_EQ(1, write(self->fd, "1", 1));
		ASSERT_EQ(1, write(self->fd, "2", 1));
	}
	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
	tc_sleep_ms(50);
	EXPECT_TRUE(tc_running(c.pid));
	ASSERT_LT(0, read(self->fd, buf, sizeof(buf)));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(7, res.ret);
	if (!self->rv) {
		EXPECT_EQ(1, read(self->fd, buf, sizeof(buf)));
		EXPECT_EQ(7, read(self->fd, buf, sizeof(buf)));
	}
}

/* O_NONBLOCK is for read/write only: a plain RECV ioctl still waits. */
TEST_F(pr, o_nonblock_does_not_affect_ioctls)
{
	struct kt_call call = { .op = KT_RECV, .len = 64 };
	struct kt_result res;
	struct kt_child c;
	int fd;

	fd = kt_open(self->name, KMBOX_ACCESS_ALL, KMBOX_FD_NONBLOCK, NULL);
	ASSERT_LE(0, fd);
	call.fd = fd;
	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));
	tc_sleep_ms(50);
	EXPECT_TRUE(tc_running(c.pid));
	/* A blocking SEND ioctl on the O_NONBLOCK handle, too. */
	ASSERT_EQ(0, kt_send_str(fd, "ioctl", 0));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(5, res.ret);
	EXPECT_EQ(0, memcmp(res.data, "ioctl", 5));
	close(fd);
}

TEST_F(pr, read_write_efault)
{
	struct kt_child c;
	char buf[16];

	if (!self->rv) {
		/* A bad source: nothing queued. */
		EXPECT_EQ(-1, write(self->fd, kt_bad_ptr(), 5));
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
		EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, sent));
	}
	/* A bad destination: nothing consumed. */
	ASSERT_EQ(0, offer(self->fd, self->rv, "kept", &c));
	EXPECT_EQ(-1, read(self->fd, kt_bad_ptr(), 16));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, received));
	ASSERT_EQ(4, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "kept", 4));
	EXPECT_EQ(0, offered(&c));
}

/* read/write respect the handle's access (EBADF from the VFS). */
TEST(read_write_need_access)
{
	char name[64], buf[16];
	int rfd, sfd;

	kt_name(name, sizeof(name), "rwacc");
	rfd = kt_create(name, 4, 0, 0600, KMBOX_ACCESS_RECV,
			KMBOX_CREATE_EXCL, NULL);
	ASSERT_LE(0, rfd);
	sfd = kt_open(name, KMBOX_ACCESS_SEND, 0, NULL);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(-1, write(rfd, "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(1, write(sfd, "y", 1));
	EXPECT_EQ(-1, read(sfd, buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(1ULL, KT_INFO_FIELD(rfd, msgs));
	EXPECT_EQ(1, read(rfd, buf, sizeof(buf)));
	EXPECT_EQ('y', buf[0]);
	EXPECT_EQ(0, kt_unlink(name));
	close(rfd);
	close(sfd);
}

TEST(fd_flags)
{
	char name[64];
	int fd, fd2;

	kt_name(name, sizeof(name), "flags");
	fd = kt_create(name, 1, 0, 0600, KMBOX_ACCESS_ALL,
		       KMBOX_CREATE_EXCL | KMBOX_FD_CLOEXEC, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);

	fd = kt_anon(1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	fd = kt_open(name, KMBOX_ACCESS_RECV, 0, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, fcntl(fd, F_GETFL) & O_NONBLOCK);
	fd2 = kt_open(name, KMBOX_ACCESS_RECV,
		      KMBOX_FD_CLOEXEC | KMBOX_FD_NONBLOCK, NULL);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd2, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_NONBLOCK, fcntl(fd2, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
	close(fd2);
}

TEST_HARNESS_MAIN
