// SPDX-License-Identifier: GPL-2.0
/*
 * msg_test: what one message does, in each buffering mode.
 *
 *  - KMBOX_SEND_SYNC returns only once a receiver took this message; with
 *    NONBLOCK it needs a receiver waiting; timed out, it is withdrawn;
 *  - KMBOX_RECV_PEEK copies the next message out and leaves it (and its
 *    sender, for a rendezvous or a synchronous send) where it was;
 *  - EMSGSIZE: a receive buffer too small reports the size needed and
 *    leaves the message; a send over max_msg_size fails at once;
 *  - payloads come out byte for byte: binary, empty, of the largest size.
 */
#include "kmbox_test.h"

FIXTURE(msg) {
	int fd;
	bool rv;		/* capacity 0 */
};

FIXTURE_VARIANT(msg) {
	__u64 capacity;
};

FIXTURE_VARIANT_ADD(msg, rendezvous) { .capacity = 0 };
FIXTURE_VARIANT_ADD(msg, bounded) { .capacity = 4 };
FIXTURE_VARIANT_ADD(msg, unbounded) { .capacity = KMBOX_CAPACITY_UNBOUNDED };

FIXTURE_SETUP(msg)
{
	self->rv = variant->capacity == 0;
	self->fd = kt_anon(variant->capacity);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(msg)
{
	close(self->fd);
}

/*
 * Make a message available to receive: queued (buffered mailboxes) or
 * offered by a sender child blocked in SEND (rendezvous).  0 or -errno.
 */
static int offer(int fd, bool rv, const void *msg, size_t len,
		 struct kt_child *c)
{
	struct kt_call call = { .op = KT_SEND, .fd = fd, .buf = msg,
				.len = len };
	struct kmbox_info info;
	unsigned int before;
	int ret;

	c->pid = -1;
	if (!rv)
		return kt_send(fd, msg, len, KMBOX_MSG_NONBLOCK, 0);
	before = KT_INFO_FIELD(fd, senders_waiting);
	ret = kt_spawn(c, &call);
	if (ret)
		return ret;
	return KT_WAIT_INFO(fd, info, info.senders_waiting == before + 1);
}

/* The offering child's SEND result (0 when nothing was offered by one). */
static int offered(struct kt_child *c)
{
	struct kt_result res;

	if (c->pid < 0)
		return 0;
	if (kt_result(c, &res))
		return INT32_MIN;
	return res.ret;
}

TEST_F(msg, sync_send_waits_for_receiver)
{
	struct kt_call call = { .op = KT_SEND, .fd = self->fd, .buf = "sync",
				.len = 4, .flags = KMBOX_SEND_SYNC };
	struct kt_result res;
	struct kt_child c;
	char buf[16];
	int64_t t0;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
	/* Queued (or offered), and its sender still waits. */
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, msgs));
	tc_sleep_ms(50);
	EXPECT_TRUE(tc_running(c.pid));

	t0 = tc_now_ns();
	ASSERT_EQ(4, kt_recv_str(self->fd, buf, sizeof(buf), 0));
	EXPECT_STREQ("sync", buf);
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(0, res.ret);
	EXPECT_LE(t0, res.t_end);
	EXPECT_EQ(0U, KT_INFO_FIELD(self->fd, senders_waiting));
}

TEST_F(msg, sync_nonblocking_needs_waiting_receiver)
{
	struct kt_call call = { .op = KT_RECV, .fd = self->fd, .len = 64 };
	struct kt_result res;
	struct kt_child c;

	EXPECT_EQ(-EAGAIN, kt_send_str(self->fd, "nobody",
				       KMBOX_SEND_SYNC | KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(-EAGAIN, kt_recv(self->fd, NULL, 0, KMBOX_MSG_NONBLOCK, 0,
				   NULL));

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	EXPECT_EQ(0, kt_send_str(self->fd, "somebody",
				 KMBOX_SEND_SYNC | KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(8, res.ret);
	EXPECT_EQ(0, memcmp(res.data, "somebody", 8));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
}

/* A synchronous send that times out is withdrawn: never delivered. */
TEST_F(msg, sync_timeout_withdraws)
{
	int64_t t0, dt;

	t0 = tc_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kt_send(self->fd, "gone", 4,
				      KMBOX_SEND_SYNC | KMBOX_MSG_TIMEOUT,
				      200 * TC_MS));
	dt = tc_now_ns() - t0;
	EXPECT_LE(200 * TC_MS, dt);
	EXPECT_GT(200 * TC_MS + KT_SLACK, dt);
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, bytes));
	EXPECT_EQ(-EAGAIN, kt_recv(self->fd, NULL, 0, KMBOX_MSG_NONBLOCK, 0,
				   NULL));
}

/* A synchronous send waits for its own message, not an earlier one. */
TEST_F(msg, sync_waits_for_its_own_message)
{
	struct kt_call call = { .op = KT_SEND, .fd = self->fd,
				.buf = "second", .len = 6,
				.flags = KMBOX_SEND_SYNC };
	struct kt_result res;
	struct kt_child c;
	char buf[16];

	if (self->rv)
		SKIP(return, "nothing is queued at capacity 0");
	ASSERT_EQ(0, kt_send_str(self->fd, "first", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
	EXPECT_EQ(2ULL, KT_INFO_FIELD(self->fd, msgs));

	ASSERT_EQ(5, kt_recv_str(self->fd, buf, sizeof(buf), 0));
	EXPECT_STREQ("first", buf);
	tc_sleep_ms(100);
	EXPECT_TRUE(tc_running(c.pid));
	EXPECT_EQ(1U, KT_INFO_FIELD(self->fd, senders_waiting));

	ASSERT_EQ(6, kt_recv_str(self->fd, buf, sizeof(buf), 0));
	EXPECT_STREQ("second", buf);
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(0, res.ret);
}

TEST_F(msg, peek_leaves_message)
{
	struct kmbox_recv r;
	struct kt_child c;
	char buf[16];

	ASSERT_EQ(0, offer(self->fd, self->rv, "peek-me", 7, &c));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(7, kt_recv(self->fd, buf, sizeof(buf),
			     KMBOX_RECV_PEEK | KMBOX_MSG_NONBLOCK, 0, &r));
	EXPECT_STREQ("peek-me", buf);
	EXPECT_EQ(7ULL, r.len);
	EXPECT_EQ(c.pid > 0 ? c.pid : getpid(), r.pid);
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, received));
	/* Blocking peek of a present message: the same again. */
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(7, kt_recv(self->fd, buf, sizeof(buf), KMBOX_RECV_PEEK, 0,
			     NULL));
	EXPECT_STREQ("peek-me", buf);
	if (self->rv) {
		EXPECT_TRUE(tc_running(c.pid));
		EXPECT_EQ(1U, KT_INFO_FIELD(self->fd, senders_waiting));
	}
	ASSERT_EQ(7, kt_recv_str(self->fd, buf, sizeof(buf), 0));
	EXPECT_STREQ("peek-me", buf);
	EXPECT_EQ(0, offered(&c));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, received));
	EXPECT_EQ(-EAGAIN, kt_recv(self->fd, buf, sizeof(buf),
				   KMBOX_RECV_PEEK | KMBOX_MSG_NONBLOCK, 0,
				   NULL));
}

/* Peek shows the head of the queue, and the next one once it is taken. */
TEST_F(msg, peek_sees_head)
{
	char buf[16];

	if (self->rv)
		SKIP(return, "nothing is queued at capacity 0");
	ASSERT_EQ(0, kt_send_str(self->fd, "one", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_send_str(self->fd, "two", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(3, kt_recv_str(self->fd, buf, sizeof(buf),
				 KMBOX_RECV_PEEK | KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("one", buf);
	ASSERT_EQ(3, kt_recv_str(self->fd, buf, sizeof(buf), 0));
	EXPECT_STREQ("one", buf);
	ASSERT_EQ(3, kt_recv_str(self->fd, buf, sizeof(buf),
				 KMBOX_RECV_PEEK | KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("two", buf);
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, msgs));
}

/* A blocked peek wakes for a new message and leaves it for a receiver. */
TEST_F(msg, peek_blocking_waits)
{
	struct kt_call call = { .op = KT_RECV, .fd = self->fd, .len = 64,
				.flags = KMBOX_RECV_PEEK };
	struct kt_result res;
	struct kt_child c, s;
	char buf[16];

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	ASSERT_EQ(0, offer(self->fd, self->rv, "later", 5, &s));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(5, res.ret);
	EXPECT_EQ(0, memcmp(res.data, "later", 5));

	/* Still there, its sender (if any) still waiting. */
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, received));
	if (self->rv) {
		ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
		EXPECT_TRUE(tc_running(s.pid));
	}
	ASSERT_EQ(5, kt_recv_str(self->fd, buf, sizeof(buf),
				 KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("later", buf);
	EXPECT_EQ(0, offered(&s));
}

/* Peeking does not complete a synchronous send. */
TEST_F(msg, peek_does_not_complete_sync_send)
{
	struct kt_call call = { .op = KT_SEND, .fd = self->fd, .buf = "sync",
				.len = 4, .flags = KMBOX_SEND_SYNC };
	struct kt_result res;
	struct kt_child c;
	char buf[16];

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
	ASSERT_EQ(4, kt_recv_str(self->fd, buf, sizeof(buf),
				 KMBOX_RECV_PEEK));
	EXPECT_STREQ("sync", buf);
	tc_sleep_ms(100);
	EXPECT_TRUE(tc_running(c.pid));
	EXPECT_EQ(1U, KT_INFO_FIELD(self->fd, senders_waiting));
	ASSERT_EQ(4, kt_recv_str(self->fd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(0, res.ret);
}

TEST_F(msg, peek_emsgsize)
{
	struct kmbox_recv r;
	struct kt_child c;
	char buf[32];

	ASSERT_EQ(0, offer(self->fd, self->rv, "twenty bytes message", 20,
			   &c));
	EXPECT_EQ(-EMSGSIZE, kt_recv(self->fd, buf, 5,
				     KMBOX_RECV_PEEK | KMBOX_MSG_NONBLOCK, 0,
				     &r));
	EXPECT_EQ(20ULL, r.len);
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(20, kt_recv(self->fd, buf, 20, 0, 0, NULL));
	EXPECT_EQ(0, offered(&c));
}

/* A buffer too small: EMSGSIZE, the size needed, the message kept. */
TEST_F(msg, recv_emsgsize_keeps_message)
{
	unsigned char msg[100], buf[100];
	struct kmbox_recv r;
	struct kt_child c;
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(0xa5 ^ i);
	ASSERT_EQ(0, offer(self->fd, self->rv, msg, sizeof(msg), &c));
	EXPECT_EQ(-EMSGSIZE, kt_recv(self->fd, buf, 10, 0, 0, &r));
	EXPECT_EQ(100ULL, r.len);
	EXPECT_EQ(-EMSGSIZE, kt_recv(self->fd, buf, 99, KMBOX_MSG_NONBLOCK, 0,
				     &r));
	EXPECT_EQ(100ULL, r.len);
	EXPECT_EQ(-EMSGSIZE, kt_recv(self->fd, buf, 0, KMBOX_MSG_TIMEOUT,
				     TC_SEC, &r));
	EXPECT_EQ(100ULL, r.len);
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, received));
	if (self->rv)
		EXPECT_TRUE(tc_running(c.pid));
	/* A buffer of exactly the size is enough. */
	ASSERT_EQ(100, kt_recv(self->fd, buf, sizeof(buf), 0, 0, &r));
	EXPECT_EQ(0, memcmp(msg, buf, sizeof(msg)));
	EXPECT_EQ(0, offered(&c));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
}

/* A send over max_msg_size fails at once, whatever the mode. */
TEST_F(msg, send_over_max_msg_size)
{
	static char big[65];
	struct kt_call call = { .op = KT_RECV, .fd = -1, .len = 64 };
	struct kt_result res;
	struct kt_child c;
	int64_t t0;
	int fd;

	fd = kt_create(NULL, variant->capacity, 64, 0600, KMBOX_ACCESS_ALL, 0,
		       NULL);
	ASSERT_LE(0, fd);
	t0 = tc_now_ns();
	EXPECT_EQ(-EMSGSIZE, kt_send(fd, big, 65, 0, 0));
	EXPECT_EQ(-EMSGSIZE, kt_send(fd, big, 65, KMBOX_SEND_SYNC, 0));
	EXPECT_EQ(-EMSGSIZE, kt_send(fd, big, 65, KMBOX_MSG_TIMEOUT, TC_SEC));
	EXPECT_EQ(-EMSGSIZE, kt_send(fd, big, 65, KMBOX_MSG_NONBLOCK, 0));
	EXPECT_GT(KT_SLACK, tc_now_ns() - t0);
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, sent));

	/* 64 bytes are fine. */
	call.fd = fd;
	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));
	EXPECT_EQ(0, kt_send(fd, big, 64, 0, 0));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(64, res.ret);
	close(fd);
}

/* The largest message the module allows goes through intact. */
TEST_F(msg, largest_message_intact)
{
	struct kmbox_limits lim;
	unsigned char *msg, *buf;
	struct kt_child c;
	size_t i, size;
	int fd;

	ASSERT_EQ(0, kt_limits(&lim));
	size = lim.max_msg_size;
	msg = malloc(size);
	buf = malloc(size + 1);
	ASSERT_NE(NULL, msg);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < size; i++)
		msg[i] = (unsigned char)(i ^ (i >> 8) ^ (i >> 16));
	fd = kt_create(NULL, variant->capacity, (__u32)size, 0600,
		       KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, offer(fd, self->rv, msg, size, &c));
	ASSERT_EQ((int)size, kt_recv(fd, buf, size + 1, 0, 0, NULL));
	EXPECT_EQ(0, memcmp(msg, buf, size));
	EXPECT_EQ(0, offered(&c));
	close(fd);
	free(msg);
	free(buf);
}

TEST_F(msg, binary_payload_intact)
{
	unsigned char msg[256], buf[300];
	struct kt_child c;
	int i;

	for (i = 0; i < 256; i++)
		msg[i] = (unsigned char)(255 - i);	/* NULs included */
	ASSERT_EQ(0, offer(self->fd, self->rv, msg, sizeof(msg), &c));
	ASSERT_EQ(256, kt_recv(self->fd, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(0, memcmp(msg, buf, sizeof(msg)));
	EXPECT_EQ(0, offered(&c));
}

TEST_F(msg, zero_length_message)
{
	struct kmbox_recv r;
	struct kt_child c;
	char buf[8] = "unused";

	ASSERT_EQ(0, offer(self->fd, self->rv, buf, 0, &c));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, msgs));
	ASSERT_EQ(0, kt_recv(self->fd, buf, sizeof(buf), 0, 0, &r));
	EXPECT_EQ(0ULL, r.len);
	EXPECT_EQ(0, offered(&c));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, received));
}

/*
 * A receiver already waiting is handed the message, then cannot take it
 * (buffer too small, or a bad buffer): the message goes back, first in
 * line, its sender (rendezvous) still waiting.
 */
static void handoff_fails(struct __test_metadata *_metadata, int fd, bool rv,
			  size_t len, bool bad_buf, int err)
{
	struct kt_call call = { .op = KT_RECV, .fd = fd, .len = len,
				.bad_buf = bad_buf };
	struct kt_result res;
	struct kt_child c, s;
	char buf[16];

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));
	ASSERT_EQ(0, offer(fd, rv, "first", 5, &s));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(-err, res.ret);
	if (err == EMSGSIZE)
		EXPECT_EQ(5ULL, res.r.len);
	EXPECT_EQ(1ULL, KT_INFO_FIELD(fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, received));
	if (rv) {
		EXPECT_TRUE(tc_running(s.pid));
		EXPECT_EQ(1U, KT_INFO_FIELD(fd, senders_waiting));
	} else {
		ASSERT_EQ(0, kt_send_str(fd, "second", KMBOX_MSG_NONBLOCK));
	}
	ASSERT_EQ(5, kt_recv_str(fd, buf, sizeof(buf), 0));
	EXPECT_STREQ("first", buf);
	EXPECT_EQ(0, offered(&s));
	if (!rv) {
		ASSERT_EQ(6, kt_recv_str(fd, buf, sizeof(buf), 0));
		EXPECT_STREQ("second", buf);
	}
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, msgs));
}

TEST_F(msg, handoff_emsgsize_puts_back)
{
	handoff_fails(_metadata, self->fd, self->rv, 2, false, EMSGSIZE);
}

TEST_F(msg, handoff_efault_puts_back)
{
	handoff_fails(_metadata, self->fd, self->rv, 16, true, EFAULT);
}

TEST_HARNESS_MAIN
