// SPDX-License-Identifier: GPL-2.0
/*
 * rendezvous_test: capacity 0.  A send completes only when a receiver has
 * taken the message; the two parties meet whichever comes first; the
 * non-blocking forms succeed only when the other side is already waiting;
 * nothing is ever stored.
 */
#include <pthread.h>

#include "kmbox_test.h"

FIXTURE(rv) {
	int fd;
};

FIXTURE_SETUP(rv)
{
	self->fd = kt_anon(0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(rv)
{
	close(self->fd);
}

/* Sender first: it stays blocked, offering, until the receiver comes. */
TEST_F(rv, sender_blocks_until_received)
{
	struct kt_call call = { .op = KT_SEND, .fd = self->fd,
				.buf = "hello", .len = 5 };
	struct kmbox_info info;
	struct kmbox_recv r;
	struct kt_result res;
	struct kt_child c;
	char buf[64];
	int64_t t0;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
	ASSERT_EQ(0, kt_info(self->fd, &info));
	EXPECT_EQ(1ULL, info.msgs);	/* one sender offering */
	EXPECT_EQ(0ULL, info.received);
	tc_sleep_ms(50);
	EXPECT_TRUE(tc_running(c.pid));
	EXPECT_EQ(1U, KT_INFO_FIELD(self->fd, senders_waiting));

	t0 = tc_now_ns();
	ASSERT_EQ(5, kt_recv(self->fd, buf, sizeof(buf), 0, 0, &r));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(c.pid, r.pid);

	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(0, res.ret);
	/* The send returned only after the receive had started. */
	EXPECT_LE(t0, res.t_end);

	ASSERT_EQ(0, kt_info(self->fd, &info));
	EXPECT_EQ(0ULL, info.msgs);
	EXPECT_EQ(0U, info.senders_waiting);
	EXPECT_EQ(1ULL, info.sent);
	EXPECT_EQ(1ULL, info.received);
}

/* Receiver first: it waits; a blocking send then completes at once. */
TEST_F(rv, receiver_first)
{
	struct kt_call call = { .op = KT_RECV, .fd = self->fd, .len = 64 };
	struct kt_result res;
	struct kt_child c;
	int64_t t0;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	EXPECT_TRUE(tc_running(c.pid));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));

	t0 = tc_now_ns();
	ASSERT_EQ(0, kt_send_str(self->fd, "hi there", 0));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(8, res.ret);
	EXPECT_EQ(0, memcmp(res.data, "hi there", 8));
	EXPECT_EQ(getpid(), res.r.pid);
	EXPECT_LE(t0, res.t_end);
	EXPECT_EQ(0U, KT_INFO_FIELD(self->fd, receivers_waiting));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, received));
}

TEST_F(rv, nonblocking_send_without_receiver)
{
	char buf[8];

	EXPECT_EQ(-EAGAIN, kt_send_str(self->fd, "x", KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(-EAGAIN, kt_send_str(self->fd, "x",
				       KMBOX_MSG_NONBLOCK | KMBOX_SEND_SYNC));
	/* Nothing was stored. */
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, sent));
	EXPECT_EQ(-EAGAIN, kt_recv_str(self->fd, buf, sizeof(buf),
				       KMBOX_MSG_NONBLOCK));
}

TEST_F(rv, nonblocking_recv_without_sender)
{
	char buf[8];

	EXPECT_EQ(-EAGAIN, kt_recv_str(self->fd, buf, sizeof(buf),
				       KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(-EAGAIN, kt_recv(self->fd, buf, sizeof(buf),
				   KMBOX_MSG_NONBLOCK | KMBOX_RECV_PEEK, 0,
				   NULL));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, received));
}

TEST_F(rv, nonblocking_send_to_waiting_receiver)
{
	struct kt_call call = { .op = KT_RECV, .fd = self->fd, .len = 64 };
	struct kt_result res;
	struct kt_child c;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	ASSERT_EQ(0, kt_send_str(self->fd, "quick", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(5, res.ret);
	EXPECT_EQ(0, memcmp(res.data, "quick", 5));
	/* The receiver is gone: the next one finds nobody. */
	EXPECT_EQ(-EAGAIN, kt_send_str(self->fd, "x", KMBOX_MSG_NONBLOCK));
}

TEST_F(rv, nonblocking_recv_from_waiting_sender)
{
	struct kt_call call = { .op = KT_SEND, .fd = self->fd,
				.buf = "offer", .len = 5 };
	struct kt_result res;
	struct kt_child c;
	char buf[16];

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
	ASSERT_EQ(5, kt_recv_str(self->fd, buf, sizeof(buf),
				 KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("offer", buf);
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(0, res.ret);
	EXPECT_EQ(-EAGAIN, kt_recv_str(self->fd, buf, sizeof(buf),
				       KMBOX_MSG_NONBLOCK));
}

/* Every waiting sender is counted; each message is taken exactly once. */
TEST_F(rv, several_senders_offering)
{
	static const char *const msgs[] = { "first", "second", "third" };
	struct kt_child c[3];
	struct kt_result res;
	int seen[3] = { 0 };
	char buf[16];
	int i, j, n;

	for (i = 0; i < 3; i++) {
		struct kt_call call = { .op = KT_SEND, .fd = self->fd,
					.buf = msgs[i],
					.len = strlen(msgs[i]) };

		ASSERT_EQ(0, kt_spawn(&c[i], &call));
		ASSERT_EQ(0, kt_wait_waiters(self->fd, i + 1, 0));
	}
	EXPECT_EQ(3ULL, KT_INFO_FIELD(self->fd, msgs));
	for (i = 0; i < 3; i++) {
		n = kt_recv_str(self->fd, buf, sizeof(buf), 0);
		ASSERT_LT(0, n);
		for (j = 0; j < 3; j++)
			if (!strcmp(buf, msgs[j]))
				seen[j]++;
	}
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(1, seen[i]) TH_LOG("%s", msgs[i]);
		ASSERT_EQ(0, kt_result(&c[i], &res));
		EXPECT_EQ(0, res.ret);
	}
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(-EAGAIN, kt_recv_str(self->fd, buf, sizeof(buf),
				       KMBOX_MSG_NONBLOCK));
}

/* A receiver that gave up leaves nothing behind that a send could meet. */
TEST_F(rv, nothing_is_stored)
{
	char buf[8];

	EXPECT_EQ(-ETIMEDOUT, kt_recv(self->fd, buf, sizeof(buf),
				      KMBOX_MSG_TIMEOUT, 20 * TC_MS, NULL));
	EXPECT_EQ(-EAGAIN, kt_send_str(self->fd, "x", KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(-ETIMEDOUT, kt_send(self->fd, "y", 1, KMBOX_MSG_TIMEOUT,
				      20 * TC_MS));
	EXPECT_EQ(-EAGAIN, kt_recv_str(self->fd, buf, sizeof(buf),
				       KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, bytes));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, sent));
}

/* Request/response over two rendezvous mailboxes, many rounds. */
TEST_F(rv, ping_pong)
{
	const int rounds = 200;
	int back, i, v;
	pid_t pid;

	back = kt_anon(0);
	ASSERT_LE(0, back);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 0; i < rounds; i++) {
			TC_CHECK_EQ(sizeof(v), kt_recv(self->fd, &v, sizeof(v),
						       0, 0, NULL));
			TC_CHECK_EQ(i, v);
			v++;
			TC_CHECK_EQ(0, kt_send(back, &v, sizeof(v), 0, 0));
		}
		_exit(0);
	}
	for (i = 0; i < rounds; i++) {
		ASSERT_EQ(0, kt_send(self->fd, &i, sizeof(i), 0, 0));
		ASSERT_EQ((int)sizeof(v), kt_recv(back, &v, sizeof(v), 0, 0,
						  NULL));
		ASSERT_EQ(i + 1, v);
	}
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ((__u64)rounds, KT_INFO_FIELD(self->fd, received));
	EXPECT_EQ((__u64)rounds, KT_INFO_FIELD(back, received));
	close(back);
}

/* A full-size message goes through intact. */
TEST_F(rv, large_message_intact)
{
	static unsigned char msg[8192];
	struct kt_call call = { .op = KT_SEND, .fd = self->fd, .buf = msg,
				.len = sizeof(msg) };
	static unsigned char buf[8192];
	struct kt_result res;
	struct kt_child c;
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 7 + 3);
	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
	ASSERT_EQ((int)sizeof(buf), kt_recv(self->fd, buf, sizeof(buf), 0, 0,
					    NULL));
	EXPECT_EQ(0, memcmp(msg, buf, sizeof(msg)));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(0, res.ret);
}

/* A sender killed while offering withdraws its message. */
TEST_F(rv, killed_sender_withdraws)
{
	struct kt_call call = { .op = KT_SEND, .fd = self->fd,
				.buf = "ghost", .len = 5 };
	struct kt_child c;
	char buf[16];

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
	kt_child_kill(&c);
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 0));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(-EAGAIN, kt_recv_str(self->fd, buf, sizeof(buf),
				       KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, received));
}

/* A receiver killed while waiting is not met by a later send. */
TEST_F(rv, killed_receiver_is_gone)
{
	struct kt_call call = { .op = KT_RECV, .fd = self->fd, .len = 64 };
	struct kt_child c;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	kt_child_kill(&c);
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 0));
	EXPECT_EQ(-EAGAIN, kt_send_str(self->fd, "lost?", KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, sent));
}

/* Two processes each holding a handle opened by name meet as well. */
TEST(named_rendezvous_between_processes)
{
	char name[64], buf[32];
	int fd, n;
	pid_t pid;

	kt_name(name, sizeof(name), "rv");
	fd = kt_create(name, 0, 0, 0600, KMBOX_ACCESS_RECV,
		       KMBOX_CREATE_EXCL, NULL);
	ASSERT_LE(0, fd);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int sfd = kt_open(name, KMBOX_ACCESS_SEND, 0, NULL);

		TC_CHECK(sfd >= 0);
		TC_CHECK_EQ(0, kt_send_str(sfd, "by name", 0));
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_waiters(fd, 1, 0));
	n = kt_recv_str(fd, buf, sizeof(buf), 0);
	EXPECT_EQ(7, n);
	EXPECT_STREQ("by name", buf);
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
}

/*
 * A receiver whose buffer faults slowly (here: a userfaultfd page nobody
 * resolves for a while) must not hold up a non-blocking sender that met
 * it: the send returns 0 at once, and the receiver still gets the message.
 */
struct slow_recv {
	int fd;
	char *page;
	int ret;
	char got[8];
};

static void *slow_receiver(void *arg)
{
	struct slow_recv *sr = arg;

	sr->ret = kt_recv(sr->fd, sr->page, 4096, 0, 0, NULL);
	memcpy(sr->got, sr->page, sizeof(sr->got));
	return NULL;
}

TEST_F(rv, nonblocking_send_does_not_wait_for_a_slow_receiver)
{
	struct slow_recv sr = { .fd = self->fd };
	pthread_t th;
	int64_t t0, took;
	int uffd;

	uffd = kt_uffd_page(&sr.page);
	if (uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(-uffd));

	ASSERT_EQ(0, pthread_create(&th, NULL, slow_receiver, &sr));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	t0 = tc_now_ns();
	EXPECT_EQ(0, kt_send_str(self->fd, "hello", KMBOX_MSG_NONBLOCK));
	took = tc_now_ns() - t0;
	/* The receiver is stuck in its copy until we resolve the fault. */
	EXPECT_LT(took, KT_SLACK / 2);

	tc_sleep_ms(KT_SLACK / 1000000 / 2 + 500);
	ASSERT_EQ(0, kt_uffd_wait_fault(uffd));
	ASSERT_EQ(0, kt_uffd_zero(uffd, sr.page));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(5, sr.ret);
	EXPECT_EQ(0, memcmp(sr.got, "hello", 5));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, received));
	close(uffd);
	munmap(sr.page, 4096);
}

TEST_HARNESS_MAIN
