// SPDX-License-Identifier: GPL-2.0
/*
 * timeout_signal_test: how a call that has to wait ends.
 *
 * For each way a send can have to wait (rendezvous with no receiver, a full
 * bounded mailbox, a synchronous send on a bounded or unbounded one) and for
 * a receive on an empty mailbox of each capacity:
 *  - KMBOX_MSG_NONBLOCK: EAGAIN at once;
 *  - KMBOX_MSG_TIMEOUT / KMBOX_MSG_DEADLINE (CLOCK_MONOTONIC): ETIMEDOUT, no
 *    earlier than asked and not much later; already expired: ETIMEDOUT at
 *    once, unless the call can complete without waiting;
 *  - a signal whose handler lacks SA_RESTART: EINTR; with SA_RESTART an
 *    untimed call goes on waiting;
 *  - a killed waiter leaves the mailbox as it was;
 * and in every failing case the message was not delivered (send) or not
 * consumed (receive), checked by draining the mailbox afterwards.
 */
#include "kmbox_test.h"

/* ---- sends that have to wait ------------------------------------------- */

FIXTURE(bsend) {
	int fd;
};

FIXTURE_VARIANT(bsend) {
	__u64 capacity;
	__u32 flags;		/* KMBOX_SEND_SYNC or 0 */
	int prefill;		/* messages queued first */
	__u64 blocked_msgs;	/* INFO.msgs while the sender waits */
};

FIXTURE_VARIANT_ADD(bsend, rendezvous) {
	.capacity = 0, .prefill = 0, .blocked_msgs = 1,
};
FIXTURE_VARIANT_ADD(bsend, bounded1_full) {
	.capacity = 1, .prefill = 1, .blocked_msgs = 1,
};
FIXTURE_VARIANT_ADD(bsend, bounded3_full) {
	.capacity = 3, .prefill = 3, .blocked_msgs = 3,
};
FIXTURE_VARIANT_ADD(bsend, bounded3_sync) {
	.capacity = 3, .flags = KMBOX_SEND_SYNC, .prefill = 1,
	.blocked_msgs = 2,
};
FIXTURE_VARIANT_ADD(bsend, unbounded_sync) {
	.capacity = KMBOX_CAPACITY_UNBOUNDED, .flags = KMBOX_SEND_SYNC,
	.prefill = 1, .blocked_msgs = 2,
};

FIXTURE_SETUP(bsend)
{
	char msg[16];
	int i;

	self->fd = kt_anon(variant->capacity);
	ASSERT_LE(0, self->fd);
	for (i = 0; i < variant->prefill; i++) {
		snprintf(msg, sizeof(msg), "pre-%d", i);
		ASSERT_EQ(0, kt_send_str(self->fd, msg, KMBOX_MSG_NONBLOCK));
	}
}

FIXTURE_TEARDOWN(bsend)
{
	close(self->fd);
}

#define BLOCKED_MSG	"blocked"

/*
 * Receive the prefilled messages, in order, then (if delivered) the blocked
 * one; then nothing more.  0 when that is exactly what comes.
 */
static int drain_check(int fd, int prefill, bool delivered)
{
	char buf[32], want[16];
	int i, n;

	for (i = 0; i < prefill + delivered; i++) {
		if (i < prefill)
			snprintf(want, sizeof(want), "pre-%d", i);
		else
			strcpy(want, BLOCKED_MSG);
		n = kt_recv(fd, buf, sizeof(buf) - 1, KMBOX_MSG_TIMEOUT,
			    10 * TC_SEC, NULL);
		buf[n > 0 ? n : 0] = '\0';
		if (n < 0 || strcmp(buf, want)) {
			fprintf(stderr, "# expected '%s', got %d '%s'\n",
				want, n, buf);
			return -1;
		}
	}
	n = kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, NULL);
	if (n != -EAGAIN) {
		fprintf(stderr, "# expected nothing more, got %d\n", n);
		return -1;
	}
	return 0;
}

/* The mailbox holds the prefill only and nobody waits. */
static int unchanged(int fd, int prefill)
{
	struct kmbox_info info;

	if (kt_info(fd, &info) || info.msgs != (__u64)prefill ||
	    info.senders_waiting || info.receivers_waiting) {
		kt_print_info("not as before", &info);
		return -1;
	}
	return drain_check(fd, prefill, false);
}

TEST_F(bsend, nonblocking_eagain)
{
	int64_t t0 = tc_now_ns();

	EXPECT_EQ(-EAGAIN, kt_send_str(self->fd, BLOCKED_MSG,
				       variant->flags | KMBOX_MSG_NONBLOCK));
	EXPECT_GT(KT_SLACK, tc_now_ns() - t0);
	EXPECT_EQ(0, unchanged(self->fd, variant->prefill));
}

TEST_F(bsend, timeout_relative)
{
	int64_t t0, dt;

	t0 = tc_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kt_send(self->fd, BLOCKED_MSG, 7,
				      variant->flags | KMBOX_MSG_TIMEOUT,
				      200 * TC_MS));
	dt = tc_now_ns() - t0;
	EXPECT_LE(200 * TC_MS, dt);
	EXPECT_GT(200 * TC_MS + KT_SLACK, dt);
	EXPECT_EQ(0, unchanged(self->fd, variant->prefill));
}

TEST_F(bsend, deadline_absolute)
{
	int64_t deadline, end;

	deadline = tc_now_ns() + 200 * TC_MS;
	EXPECT_EQ(-ETIMEDOUT, kt_send(self->fd, BLOCKED_MSG, 7,
				      variant->flags | KMBOX_MSG_DEADLINE,
				      deadline));
	end = tc_now_ns();
	EXPECT_LE(deadline, end);
	EXPECT_GT(deadline + KT_SLACK, end);
	EXPECT_EQ(0, unchanged(self->fd, variant->prefill));
}

TEST_F(bsend, already_expired)
{
	int64_t t0 = tc_now_ns();

	EXPECT_EQ(-ETIMEDOUT, kt_send(self->fd, BLOCKED_MSG, 7,
				      variant->flags | KMBOX_MSG_TIMEOUT, 0));
	EXPECT_EQ(-ETIMEDOUT, kt_send(self->fd, BLOCKED_MSG, 7,
				      variant->flags | KMBOX_MSG_DEADLINE, 1));
	EXPECT_EQ(-ETIMEDOUT, kt_send(self->fd, BLOCKED_MSG, 7,
				      variant->flags | KMBOX_MSG_DEADLINE,
				      tc_now_ns() - TC_SEC));
	EXPECT_GT(KT_SLACK, tc_now_ns() - t0);
	EXPECT_EQ(0, unchanged(self->fd, variant->prefill));
}

/* Observed waiting; goes through once a receiver makes way. */
static void blocked_then_through(struct __test_metadata *_metadata, int fd,
				 const FIXTURE_VARIANT(bsend) *variant,
				 __u32 mode, __s64 timeout)
{
	struct kt_call call = { .op = KT_SEND, .fd = fd, .buf = BLOCKED_MSG,
				.len = 7, .flags = variant->flags | mode,
				.timeout_ns = timeout };
	struct kt_result res;
	struct kt_child c;
	int64_t t0;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(fd, 1, 0));
	EXPECT_EQ(variant->blocked_msgs, KT_INFO_FIELD(fd, msgs));
	tc_sleep_ms(50);
	EXPECT_TRUE(tc_running(c.pid));
	t0 = tc_now_ns();
	EXPECT_EQ(0, drain_check(fd, variant->prefill, true));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(0, res.ret);
	EXPECT_LE(t0, res.t_end);
	EXPECT_EQ(0U, KT_INFO_FIELD(fd, senders_waiting));
}

TEST_F(bsend, blocking_proceeds)
{
	blocked_then_through(_metadata, self->fd, variant, 0, 0);
}

TEST_F(bsend, timed_proceeds_before_timeout)
{
	blocked_then_through(_metadata, self->fd, variant, KMBOX_MSG_TIMEOUT,
			     30 * TC_SEC);
}

TEST_F(bsend, deadline_proceeds_before_deadline)
{
	blocked_then_through(_metadata, self->fd, variant, KMBOX_MSG_DEADLINE,
			     tc_now_ns() + 30 * TC_SEC);
}

static void interrupted(struct __test_metadata *_metadata, int fd,
			const FIXTURE_VARIANT(bsend) *variant, __u32 mode,
			__s64 timeout)
{
	struct kt_call call = { .op = KT_SEND, .fd = fd, .buf = BLOCKED_MSG,
				.len = 7, .flags = variant->flags | mode,
				.timeout_ns = timeout, .sig = KT_SIG_INTR };
	struct kt_result res;
	struct kt_child c;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(fd, 1, 0));
	EXPECT_EQ(variant->blocked_msgs, KT_INFO_FIELD(fd, msgs));
	ASSERT_EQ(0, kill(c.pid, SIGUSR1));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(-EINTR, res.ret);
	EXPECT_EQ(1, res.signals);
	EXPECT_GT(15 * TC_SEC, res.t_end - res.t_start);
	/* Not delivered, not left behind. */
	EXPECT_EQ(0, unchanged(fd, variant->prefill));
}

TEST_F(bsend, signal_interrupts_blocking)
{
	interrupted(_metadata, self->fd, variant, 0, 0);
}

TEST_F(bsend, signal_interrupts_timed)
{
	interrupted(_metadata, self->fd, variant, KMBOX_MSG_TIMEOUT,
		    30 * TC_SEC);
}

/* With SA_RESTART an untimed send goes on waiting, and is sent once. */
TEST_F(bsend, sa_restart_keeps_waiting)
{
	struct kt_call call = { .op = KT_SEND, .fd = self->fd,
				.buf = BLOCKED_MSG, .len = 7,
				.flags = variant->flags,
				.sig = KT_SIG_RESTART };
	struct kt_result res;
	struct kt_child c;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
	ASSERT_EQ(0, kill(c.pid, SIGUSR1));
	tc_sleep_ms(200);
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
	EXPECT_TRUE(tc_running(c.pid));
	EXPECT_EQ(variant->blocked_msgs, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0, drain_check(self->fd, variant->prefill, true));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(0, res.ret);
	EXPECT_EQ(1, res.signals);
}

TEST_F(bsend, killed_sender_leaves_nothing)
{
	struct kt_call call = { .op = KT_SEND, .fd = self->fd,
				.buf = BLOCKED_MSG, .len = 7,
				.flags = variant->flags };
	struct kt_child c;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
	kt_child_kill(&c);
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 0));
	EXPECT_EQ(0, unchanged(self->fd, variant->prefill));
}

/* ---- receives on an empty mailbox -------------------------------------- */

FIXTURE(brecv) {
	int fd;
	bool rv;
};

FIXTURE_VARIANT(brecv) {
	__u64 capacity;
};

FIXTURE_VARIANT_ADD(brecv, rendezvous) { .capacity = 0 };
FIXTURE_VARIANT_ADD(brecv, bounded) { .capacity = 3 };
FIXTURE_VARIANT_ADD(brecv, unbounded) { .capacity = KMBOX_CAPACITY_UNBOUNDED };

FIXTURE_SETUP(brecv)
{
	self->rv = variant->capacity == 0;
	self->fd = kt_anon(variant->capacity);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(brecv)
{
	close(self->fd);
}

/*
 * Nothing was consumed and nobody waits: a message sent now stays for the
 * next receiver (buffered), or finds no receiver (rendezvous).
 */
static int nothing_consumed(int fd, bool rv)
{
	char buf[16];
	int n;

	if (kt_wait_waiters(fd, 0, 0))
		return -1;
	if (rv)
		return kt_send_str(fd, "after", KMBOX_MSG_NONBLOCK) == -EAGAIN ?
			0 : -1;
	if (kt_send_str(fd, "after", KMBOX_MSG_NONBLOCK))
		return -1;
	tc_sleep_ms(50);
	if (KT_INFO_FIELD(fd, msgs) != 1)
		return -1;
	n = kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK);
	return n == 5 && !strcmp(buf, "after") ? 0 : -1;
}

TEST_F(brecv, nonblocking_eagain)
{
	char buf[16];

	EXPECT_EQ(-EAGAIN, kt_recv(self->fd, buf, sizeof(buf),
				   KMBOX_MSG_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, nothing_consumed(self->fd, self->rv));
}

TEST_F(brecv, timeout_relative)
{
	char buf[16];
	int64_t t0, dt;

	t0 = tc_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kt_recv(self->fd, buf, sizeof(buf),
				      KMBOX_MSG_TIMEOUT, 200 * TC_MS, NULL));
	dt = tc_now_ns() - t0;
	EXPECT_LE(200 * TC_MS, dt);
	EXPECT_GT(200 * TC_MS + KT_SLACK, dt);
	EXPECT_EQ(0, nothing_consumed(self->fd, self->rv));
}

TEST_F(brecv, deadline_absolute)
{
	int64_t deadline, end;
	char buf[16];

	deadline = tc_now_ns() + 200 * TC_MS;
	EXPECT_EQ(-ETIMEDOUT, kt_recv(self->fd, buf, sizeof(buf),
				      KMBOX_MSG_DEADLINE, deadline, NULL));
	end = tc_now_ns();
	EXPECT_LE(deadline, end);
	EXPECT_GT(deadline + KT_SLACK, end);
	EXPECT_EQ(0, nothing_consumed(self->fd, self->rv));
}

TEST_F(brecv, already_expired)
{
	int64_t t0 = tc_now_ns();
	char buf[16];

	EXPECT_EQ(-ETIMEDOUT, kt_recv(self->fd, buf, sizeof(buf),
				      KMBOX_MSG_TIMEOUT, 0, NULL));
	EXPECT_EQ(-ETIMEDOUT, kt_recv(self->fd, buf, sizeof(buf),
				      KMBOX_MSG_DEADLINE, 1, NULL));
	EXPECT_EQ(-ETIMEDOUT, kt_recv(self->fd, buf, sizeof(buf),
				      KMBOX_MSG_DEADLINE | KMBOX_RECV_PEEK,
				      tc_now_ns() - TC_SEC, NULL));
	EXPECT_GT(KT_SLACK, tc_now_ns() - t0);
	EXPECT_EQ(0, nothing_consumed(self->fd, self->rv));
}

/* An expired timeout still takes what is there without waiting. */
TEST_F(brecv, expired_but_available)
{
	struct kt_call call = { .op = KT_SEND, .fd = self->fd, .buf = "ready",
				.len = 5 };
	struct kt_result res;
	struct kt_child c;
	char buf[16];
	int i;

	for (i = 0; i < 2; i++) {
		if (self->rv) {
			ASSERT_EQ(0, kt_spawn(&c, &call));
			ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
		} else {
			ASSERT_EQ(0, kt_send_str(self->fd, "ready",
						 KMBOX_MSG_NONBLOCK));
		}
		memset(buf, 0, sizeof(buf));
		EXPECT_EQ(5, kt_recv(self->fd, buf, sizeof(buf),
				     i ? KMBOX_MSG_DEADLINE : KMBOX_MSG_TIMEOUT,
				     i ? 1 : 0, NULL));
		EXPECT_STREQ("ready", buf);
		if (self->rv) {
			ASSERT_EQ(0, kt_result(&c, &res));
			EXPECT_EQ(0, res.ret);
		}
	}
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
}

static void recv_interrupted(struct __test_metadata *_metadata, int fd,
			     bool rv, __u32 mode, __s64 timeout)
{
	struct kt_call call = { .op = KT_RECV, .fd = fd, .len = 64,
				.flags = mode, .timeout_ns = timeout,
				.sig = KT_SIG_INTR };
	struct kt_result res;
	struct kt_child c;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));
	ASSERT_EQ(0, kill(c.pid, SIGUSR1));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(-EINTR, res.ret);
	EXPECT_EQ(1, res.signals);
	EXPECT_GT(15 * TC_SEC, res.t_end - res.t_start);
	EXPECT_EQ(0, nothing_consumed(fd, rv));
}

TEST_F(brecv, signal_interrupts_blocking)
{
	recv_interrupted(_metadata, self->fd, self->rv, 0, 0);
}

TEST_F(brecv, signal_interrupts_timed)
{
	recv_interrupted(_metadata, self->fd, self->rv, KMBOX_MSG_TIMEOUT,
			 30 * TC_SEC);
}

TEST_F(brecv, signal_interrupts_peek)
{
	recv_interrupted(_metadata, self->fd, self->rv, KMBOX_RECV_PEEK, 0);
}

TEST_F(brecv, sa_restart_keeps_waiting)
{
	struct kt_call call = { .op = KT_RECV, .fd = self->fd, .len = 64,
				.sig = KT_SIG_RESTART };
	struct kt_result res;
	struct kt_child c;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	ASSERT_EQ(0, kill(c.pid, SIGUSR1));
	tc_sleep_ms(200);
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	EXPECT_TRUE(tc_running(c.pid));
	ASSERT_EQ(0, kt_send_str(self->fd, "restart", 0));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(7, res.ret);
	EXPECT_EQ(0, memcmp(res.data, "restart", 7));
	EXPECT_EQ(1, res.signals);
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
}

TEST_F(brecv, killed_receiver_takes_nothing)
{
	struct kt_call call = { .op = KT_RECV, .fd = self->fd, .len = 64 };
	struct kt_child c;

	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	kt_child_kill(&c);
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 0));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, received));
	EXPECT_EQ(0, nothing_consumed(self->fd, self->rv));
}

TEST_HARNESS_MAIN
