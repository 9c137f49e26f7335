// SPDX-License-Identifier: GPL-2.0
/*
 * mpmc_test: many senders and many receivers, each its own process, on one
 * mailbox, in each buffering mode.
 *
 * Every message carries (sender, seq, pid, len) and a payload derived from
 * them.  Receivers check each message and report (sender, seq) through a
 * pipe; when the senders are done the parent closes the mailbox, which
 * lets the receivers drain it and end with EPIPE.  The parent then checks
 * that every message was received exactly once, and that each receiver saw
 * each sender's messages in the order they were sent.
 *
 * The senders and receivers use different modes (blocking, synchronous,
 * short timeouts and deadlines retried on ETIMEDOUT), so that a timed-out
 * call that delivered or consumed anyway shows up as a duplicate or a loss.
 */
#include "kmbox_test.h"

#define NSEND		3
#define NRECV		3
#define PER_SENDER	300
#define MAX_PAYLOAD	200

struct hdr {
	__u32 sender;
	__u32 seq;
	__u32 pid;
	__u32 len;
};

struct rec {
	__u32 sender;
	__u32 seq;
};

static size_t make_msg(unsigned char *buf, unsigned int sender,
		       unsigned int seq)
{
	struct hdr h = {
		.sender = sender, .seq = seq, .pid = getpid(),
		.len = sizeof(h) + (seq * 37 + sender * 11) % MAX_PAYLOAD,
	};
	size_t i;

	memcpy(buf, &h, sizeof(h));
	for (i = sizeof(h); i < h.len; i++)
		buf[i] = (unsigned char)(sender * 71 + seq * 3 + i);
	return h.len;
}

/* 0 if buf/n is a well-formed message from the pid the kernel says. */
static int check_msg(const unsigned char *buf, int n,
		     const struct kmbox_recv *r, struct hdr *h)
{
	int i;

	if (n < (int)sizeof(*h))
		return -1;
	memcpy(h, buf, sizeof(*h));
	if ((int)h->len != n || (__u64)n != r->len ||
	    h->sender >= NSEND || h->seq >= PER_SENDER ||
	    (__u32)r->pid != h->pid || r->uid != 0)
		return -1;
	for (i = sizeof(*h); i < n; i++)
		if (buf[i] != (unsigned char)(h->sender * 71 + h->seq * 3 + i))
			return -1;
	return 0;
}

enum recv_style { R_BLOCK, R_TIMEOUT, R_DEADLINE, R_POLL };

static pid_t start_sender(int fd, unsigned int sender)
{
	unsigned char buf[sizeof(struct hdr) + MAX_PAYLOAD];
	unsigned int seq;
	size_t len;
	pid_t pid;
	int ret;

	pid = tc_fork();
	if (pid)
		return pid;
	for (seq = 0; seq < PER_SENDER; seq++) {
		len = make_msg(buf, sender, seq);
		switch (sender % 3) {
		case 0:
			ret = kt_send(fd, buf, len, 0, 0);
			break;
		case 1:
			ret = kt_send(fd, buf, len, KMBOX_SEND_SYNC, 0);
			break;
		default:
			do {
				ret = kt_send(fd, buf, len, KMBOX_MSG_TIMEOUT,
					      3 * TC_MS);
			} while (ret == -ETIMEDOUT);
			break;
		}
		TC_CHECK_EQ(0, ret);
	}
	_exit(0);
}

static int recv_one(int fd, enum recv_style style, unsigned char *buf,
		    size_t size, struct kmbox_recv *r)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret;

	for (;;) {
		switch (style) {
		case R_BLOCK:
			return kt_recv(fd, buf, size, 0, 0, r);
		case R_TIMEOUT:
			ret = kt_recv(fd, buf, size, KMBOX_MSG_TIMEOUT,
				      2 * TC_MS, r);
			break;
		case R_DEADLINE:
			ret = kt_recv(fd, buf, size, KMBOX_MSG_DEADLINE,
				      tc_now_ns() + 2 * TC_MS, r);
			break;
		default:
			if (poll(&pfd, 1, 1000) < 0)
				return -errno;
			ret = kt_recv(fd, buf, size, KMBOX_MSG_NONBLOCK, 0, r);
			if (ret == -EAGAIN)
				continue;
			break;
		}
		if (ret != -ETIMEDOUT)
			return ret;
	}
}

/* A receiver: writes a struct rec per message to wfd, ends at EPIPE. */
static pid_t start_receiver(int fd, enum recv_style style, int wfd)
{
	unsigned char buf[sizeof(struct hdr) + MAX_PAYLOAD];
	struct kmbox_recv r;
	struct rec rec;
	struct hdr h;
	pid_t pid;
	int n;

	pid = tc_fork();
	if (pid)
		return pid;
	memset(&r, 0, sizeof(r));
	for (;;) {
		n = recv_one(fd, style, buf, sizeof(buf), &r);
		if (n == -EPIPE)
			break;
		TC_CHECK(n >= 0);
		TC_CHECK_EQ(0, check_msg(buf, n, &r, &h));
		rec.sender = h.sender;
		rec.seq = h.seq;
		TC_CHECK_EQ(0, kt_write_all(wfd, &rec, sizeof(rec)));
	}
	_exit(0);
}

FIXTURE(mpmc) {
	int fd;
};

FIXTURE_VARIANT(mpmc) {
	__u64 capacity;
};

FIXTURE_VARIANT_ADD(mpmc, rendezvous) { .capacity = 0 };
FIXTURE_VARIANT_ADD(mpmc, bounded) { .capacity = 4 };
FIXTURE_VARIANT_ADD(mpmc, unbounded) { .capacity = KMBOX_CAPACITY_UNBOUNDED };

FIXTURE_SETUP(mpmc)
{
	self->fd = kt_anon(variant->capacity);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(mpmc)
{
	close(self->fd);
}

static void run_mpmc(struct __test_metadata *_metadata, int fd,
		     const enum recv_style styles[NRECV])
{
	static unsigned char seen[NSEND][PER_SENDER];
	pid_t senders[NSEND], receivers[NRECV];
	int pipes[NRECV][2], i, s, q, total = 0;
	struct kmbox_info info;
	struct rec rec;
	int last[NSEND];

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < NRECV; i++) {
		ASSERT_EQ(0, pipe2(pipes[i], O_CLOEXEC));
		receivers[i] = start_receiver(fd, styles[i], pipes[i][1]);
		ASSERT_LT(0, receivers[i]);
		close(pipes[i][1]);
	}
	for (s = 0; s < NSEND; s++) {
		senders[s] = start_sender(fd, s);
		ASSERT_LT(0, senders[s]);
	}
	for (s = 0; s < NSEND; s++)
		ASSERT_EQ(0, tc_wait_ms(senders[s], 60000)) TH_LOG("sender %d", s);

	/* All sent: close, so the receivers drain and stop. */
	ASSERT_EQ(0, kt_shut(fd));
	for (i = 0; i < NRECV; i++) {
		EXPECT_EQ(0, tc_wait(receivers[i])) TH_LOG("receiver %d", i);
		for (s = 0; s < NSEND; s++)
			last[s] = -1;
		while (kt_read_all(pipes[i][0], &rec, sizeof(rec)) == 0) {
			ASSERT_GT(NSEND, (int)rec.sender);
			ASSERT_GT(PER_SENDER, (int)rec.seq);
			/* Each sender's messages in order, per receiver. */
			EXPECT_LT(last[rec.sender], (int)rec.seq)
				TH_LOG("receiver %d: sender %u seq %u after %d",
				       i, rec.sender, rec.seq,
				       last[rec.sender]);
			last[rec.sender] = rec.seq;
			seen[rec.sender][rec.seq]++;
			total++;
		}
		close(pipes[i][0]);
	}
	for (s = 0; s < NSEND; s++) {
		for (q = 0; q < PER_SENDER; q++) {
			int times = seen[s][q];

			EXPECT_EQ(1, times)
				TH_LOG("sender %d seq %d received %d times",
				       s, q, times);
		}
	}
	EXPECT_EQ(NSEND * PER_SENDER, total);
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_EQ(0ULL, info.msgs);
	EXPECT_EQ((__u64)NSEND * PER_SENDER, info.sent);
	EXPECT_EQ((__u64)NSEND * PER_SENDER, info.received);
	EXPECT_EQ((__u32)KMBOX_STATE_CLOSED, info.state);
}

/* Receivers blocking, with timeouts and with deadlines. */
TEST_F_TIMEOUT(mpmc, exactly_once_in_order, 120)
{
	static const enum recv_style styles[NRECV] = {
		R_BLOCK, R_TIMEOUT, R_DEADLINE,
	};

	run_mpmc(_metadata, self->fd, styles);
}

/* Receivers driven by poll() and non-blocking receives. */
TEST_F_TIMEOUT(mpmc, exactly_once_poll_driven, 120)
{
	static const enum recv_style styles[NRECV] = {
		R_POLL, R_POLL, R_BLOCK,
	};

	run_mpmc(_metadata, self->fd, styles);
}

/* Waiting receivers are served first come, first served. */
TEST_F(mpmc, receivers_served_in_arrival_order)
{
	static const char *const msgs[3] = { "to-first", "to-second",
					     "to-third" };
	struct kt_child c[3];
	struct kt_result res;
	int i;

	for (i = 0; i < 3; i++) {
		struct kt_call call = { .op = KT_RECV, .fd = self->fd,
					.len = 64 };

		ASSERT_EQ(0, kt_spawn(&c[i], &call));
		ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, i + 1));
	}
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, kt_send_str(self->fd, msgs[i], 0));
		ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 2 - i));
	}
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, kt_result(&c[i], &res));
		EXPECT_EQ((int)strlen(msgs[i]), res.ret);
		res.data[res.ret > 0 ? res.ret : 0] = '\0';
		EXPECT_STREQ(msgs[i], res.data);
	}
}

/* One sender, several receivers: nothing lost, nothing twice, in order. */
TEST_F(mpmc, one_sender_many_receivers)
{
	int pipes[NRECV][2], i, n, total = 0, last;
	unsigned char seen[300] = { 0 };
	pid_t receivers[NRECV];
	unsigned int v;

	for (i = 0; i < NRECV; i++) {
		ASSERT_EQ(0, pipe2(pipes[i], O_CLOEXEC));
		receivers[i] = tc_fork();
		ASSERT_LE(0, receivers[i]);
		if (receivers[i] == 0) {
			while ((n = kt_recv(self->fd, &v, sizeof(v), 0, 0,
					    NULL)) == sizeof(v))
				TC_CHECK_EQ(0, kt_write_all(pipes[i][1], &v,
							    sizeof(v)));
			TC_CHECK_EQ(-EPIPE, n);
			_exit(0);
		}
		close(pipes[i][1]);
	}
	for (v = 0; v < 300; v++)
		ASSERT_EQ(0, kt_send(self->fd, &v, sizeof(v), 0, 0));
	ASSERT_EQ(0, kt_shut(self->fd));
	for (i = 0; i < NRECV; i++) {
		EXPECT_EQ(0, tc_wait(receivers[i]));
		last = -1;
		while (kt_read_all(pipes[i][0], &v, sizeof(v)) == 0) {
			ASSERT_GT(300U, v);
			EXPECT_LT(last, (int)v);
			last = v;
			seen[v]++;
			total++;
		}
		close(pipes[i][0]);
	}
	EXPECT_EQ(300, total);
	for (i = 0; i < 300; i++)
		EXPECT_EQ(1, seen[i]) TH_LOG("message %d", i);
}

TEST_HARNESS_MAIN
