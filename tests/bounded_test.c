// SPDX-License-Identifier: GPL-2.0
/*
 * bounded_test: capacity n >= 1.  Sends queue until n messages are held;
 * then a send blocks, fails with EAGAIN or ETIMEDOUT, and a blocked sender
 * proceeds as soon as a receive makes room.  Receives block on an empty
 * mailbox.  Order is kept.
 */
#include "kmbox_test.h"

FIXTURE(bounded) {
	int fd;
	int cap;
};

FIXTURE_VARIANT(bounded) {
	int capacity;
};

FIXTURE_VARIANT_ADD(bounded, cap1) { .capacity = 1 };
FIXTURE_VARIANT_ADD(bounded, cap4) { .capacity = 4 };

FIXTURE_SETUP(bounded)
{
	self->cap = variant->capacity;
	self->fd = kt_anon(self->cap);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(bounded)
{
	close(self->fd);
}

/* Queue "m0".."m<cap-1>" without blocking; the bytes queued. */
static int fill(int fd, int cap)
{
	char msg[16];
	int i, bytes = 0, ret;

	for (i = 0; i < cap; i++) {
		snprintf(msg, sizeof(msg), "m%d", i);
		ret = kt_send_str(fd, msg, KMBOX_MSG_NONBLOCK);
		if (ret)
			return ret;
		bytes += strlen(msg);
	}
	return bytes;
}

/* Receive without blocking and compare with "m<i>" for i in [from, to). */
static int drain_expect(int fd, int from, int to)
{
	char buf[16], want[16];
	int i;

	for (i = from; i < to; i++) {
		snprintf(want, sizeof(want), "m%d", i);
		if (kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK) < 0 ||
		    strcmp(buf, want)) {
			fprintf(stderr, "# expected %s, got '%s'\n", want, buf);
			return -1;
		}
	}
	return 0;
}

TEST_F(bounded, fill_then_eagain)
{
	struct kmbox_info info;
	int bytes;

	bytes = fill(self->fd, self->cap);
	ASSERT_LT(0, bytes);
	ASSERT_EQ(0, kt_info(self->fd, &info));
	EXPECT_EQ((__u64)self->cap, info.msgs);
	EXPECT_EQ((__u64)bytes, info.bytes);
	EXPECT_EQ((__u64)self->cap, info.sent);

	EXPECT_EQ(-EAGAIN, kt_send_str(self->fd, "over", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_info(self->fd, &info));
	EXPECT_EQ((__u64)self->cap, info.msgs);
	EXPECT_EQ((__u64)bytes, info.bytes);
	EXPECT_EQ((__u64)self->cap, info.sent);

	EXPECT_EQ(0, drain_expect(self->fd, 0, self->cap));
	EXPECT_EQ(-EAGAIN, kt_recv(self->fd, NULL, 0, KMBOX_MSG_NONBLOCK, 0,
				   NULL));
}

TEST_F(bounded, full_send_times_out)
{
	int64_t t0, dt;

	ASSERT_LT(0, fill(self->fd, self->cap));
	t0 = tc_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kt_send(self->fd, "late", 4, KMBOX_MSG_TIMEOUT,
				      200 * TC_MS));
	dt = tc_now_ns() - t0;
	EXPECT_LE(200 * TC_MS, dt);
	EXPECT_GT(200 * TC_MS + KT_SLACK, dt);

	t0 = tc_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kt_send(self->fd, "later", 5, KMBOX_MSG_DEADLINE,
				      t0 + 200 * TC_MS));
	dt = tc_now_ns() - t0;
	EXPECT_LE(200 * TC_MS, dt);
	EXPECT_GT(200 * TC_MS + KT_SLACK, dt);

	EXPECT_EQ((__u64)self->cap, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ((__u64)self->cap, KT_INFO_FIELD(self->fd, sent));
	EXPECT_EQ(0, drain_expect(self->fd, 0, self->cap));
	EXPECT_EQ(-EAGAIN, kt_recv(self->fd, NULL, 0, KMBOX_MSG_NONBLOCK, 0,
				   NULL));
}

/* A blocked sender is seen waiting, and proceeds when a receive frees room. */
TEST_F(bounded, blocked_sender_proceeds_when_room)
{
	struct kt_call call = { .op = KT_SEND, .fd = self->fd,
				.buf = "late", .len = 4 };
	struct kt_result res;
	struct kt_child c;
	char buf[16];
	int64_t t0;

	ASSERT_LT(0, fill(self->fd, self->cap));
	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
	tc_sleep_ms(50);
	EXPECT_TRUE(tc_running(c.pid));
	EXPECT_EQ((__u64)self->cap, KT_INFO_FIELD(self->fd, msgs));

	t0 = tc_now_ns();
	ASSERT_EQ(2, kt_recv_str(self->fd, buf, sizeof(buf), 0));
	EXPECT_STREQ("m0", buf);
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(0, res.ret);
	EXPECT_LE(t0, res.t_end);

	/* The late message is queued behind the others. */
	EXPECT_EQ((__u64)self->cap, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0, drain_expect(self->fd, 1, self->cap));
	ASSERT_EQ(4, kt_recv_str(self->fd, buf, sizeof(buf),
				 KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("late", buf);
}

/* A timed sender also proceeds as soon as there is room. */
TEST_F(bounded, timed_sender_proceeds_when_room)
{
	struct kt_call call = { .op = KT_SEND, .fd = self->fd,
				.buf = "timed", .len = 5,
				.flags = KMBOX_MSG_TIMEOUT,
				.timeout_ns = 30 * TC_SEC };
	struct kt_result res;
	struct kt_child c;
	char buf[16];

	ASSERT_LT(0, fill(self->fd, self->cap));
	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
	ASSERT_EQ(2, kt_recv_str(self->fd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(0, res.ret);
	EXPECT_GT(15 * TC_SEC, res.t_end - res.t_start);
	EXPECT_EQ(0, drain_expect(self->fd, 1, self->cap));
	ASSERT_EQ(5, kt_recv_str(self->fd, buf, sizeof(buf),
				 KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("timed", buf);
}

/* Several blocked senders each get in once, none lost, none twice. */
TEST_F(bounded, several_blocked_senders)
{
	static const char *const late[] = { "late-a", "late-b", "late-c" };
	struct kt_child c[3];
	struct kt_result res;
	int seen[3] = { 0 };
	char buf[16];
	int i, j;

	ASSERT_LT(0, fill(self->fd, self->cap));
	for (i = 0; i < 3; i++) {
		struct kt_call call = { .op = KT_SEND, .fd = self->fd,
					.buf = late[i], .len = 6 };

		ASSERT_EQ(0, kt_spawn(&c[i], &call));
		ASSERT_EQ(0, kt_wait_waiters(self->fd, i + 1, 0));
	}
	/* The queued messages come first, in order. */
	for (i = 0; i < self->cap; i++) {
		char want[16];

		snprintf(want, sizeof(want), "m%d", i);
		ASSERT_LT(0, kt_recv_str(self->fd, buf, sizeof(buf), 0));
		EXPECT_STREQ(want, buf);
	}
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(6, kt_recv_str(self->fd, buf, sizeof(buf), 0));
		for (j = 0; j < 3; j++)
			if (!strcmp(buf, late[j]))
				seen[j]++;
	}
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(1, seen[i]) TH_LOG("%s", late[i]);
		ASSERT_EQ(0, kt_result(&c[i], &res));
		EXPECT_EQ(0, res.ret);
	}
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ((__u64)self->cap + 3, KT_INFO_FIELD(self->fd, received));
}

TEST_F(bounded, empty_recv_eagain)
{
	char buf[8];

	EXPECT_EQ(-EAGAIN, kt_recv_str(self->fd, buf, sizeof(buf),
				       KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, received));
}

TEST_F(bounded, blocked_receiver_gets_next_send)
{
	struct kt_call call = { .op = KT_RECV, .fd = self->fd, .len = 64 };
	struct kt_result res;
	struct kt_child c;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	tc_sleep_ms(50);
	EXPECT_TRUE(tc_running(c.pid));
	ASSERT_EQ(0, kt_send_str(self->fd, "wake", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(4, res.ret);
	EXPECT_EQ(0, memcmp(res.data, "wake", 4));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0U, KT_INFO_FIELD(self->fd, receivers_waiting));
}

/* First in, first out, across many fill and drain cycles. */
TEST_F(bounded, fifo_order)
{
	unsigned int next_send = 0, next_recv = 0, v;
	int ret;

	while (next_recv < 300) {
		/* Send while there is room, then take about half. */
		while (next_send < 300) {
			ret = kt_send(self->fd, &next_send, sizeof(next_send),
				      KMBOX_MSG_NONBLOCK, 0);
			if (ret == -EAGAIN)
				break;
			ASSERT_EQ(0, ret);
			next_send++;
		}
		ASSERT_GE((__u64)self->cap, KT_INFO_FIELD(self->fd, msgs));
		do {
			ASSERT_EQ((int)sizeof(v),
				  kt_recv(self->fd, &v, sizeof(v),
					  KMBOX_MSG_NONBLOCK, 0, NULL));
			ASSERT_EQ(next_recv, v);
			next_recv++;
		} while (next_recv < next_send &&
			 (next_send - next_recv) > (unsigned int)self->cap / 2);
	}
	EXPECT_EQ(300ULL, KT_INFO_FIELD(self->fd, sent));
	EXPECT_EQ(300ULL, KT_INFO_FIELD(self->fd, received));
}

/* A zero-length message is a message: it takes a slot. */
TEST_F(bounded, zero_length_message)
{
	struct kmbox_info info;
	struct kmbox_recv r;
	char buf[8];

	ASSERT_EQ(0, kt_send(self->fd, buf, 0, KMBOX_MSG_NONBLOCK, 0));
	ASSERT_EQ(0, kt_info(self->fd, &info));
	EXPECT_EQ(1ULL, info.msgs);
	EXPECT_EQ(0ULL, info.bytes);
	if (self->cap == 1)
		EXPECT_EQ(-EAGAIN, kt_send(self->fd, buf, 0,
					   KMBOX_MSG_NONBLOCK, 0));
	ASSERT_EQ(0, kt_recv(self->fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK,
			     0, &r));
	EXPECT_EQ(0ULL, r.len);
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(-EAGAIN, kt_recv(self->fd, buf, sizeof(buf),
				   KMBOX_MSG_NONBLOCK, 0, NULL));
}

/* The largest bounded capacity the module allows is usable. */
TEST(max_capacity)
{
	struct kmbox_limits lim;
	__u64 i, n;
	int fd;

	ASSERT_EQ(0, kt_limits(&lim));
	fd = kt_anon(lim.max_capacity);
	ASSERT_LE(0, fd);
	EXPECT_EQ(lim.max_capacity, KT_INFO_FIELD(fd, capacity));
	/* Fill it if that is reasonable. */
	n = lim.max_capacity;
	if (n <= 4096) {
		for (i = 0; i < n; i++)
			ASSERT_EQ(0, kt_send(fd, &i, sizeof(i),
					     KMBOX_MSG_NONBLOCK, 0));
		EXPECT_EQ(-EAGAIN, kt_send(fd, &i, sizeof(i),
					   KMBOX_MSG_NONBLOCK, 0));
		EXPECT_EQ(n, KT_INFO_FIELD(fd, msgs));
	}
	close(fd);
	EXPECT_EQ(-EINVAL, kt_anon(lim.max_capacity + 1));
}

TEST_HARNESS_MAIN
