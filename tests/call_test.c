// SPDX-License-Identifier: GPL-2.0
/*
 * call_test: KMBOX_IOC_CALL, KMBOX_IOC_REPLY, KMBOX_RECV_CALL and
 * KMBOX_RECV_REPLY (KMBOX_FEATURE_CALL).
 *
 *  - a call returns its reply, the replier's pid, uid and gid; reply and
 *    receive in one RECV serves calls in a row; reply_result reports;
 *  - the reply id works only through the handle (open file) that took the
 *    call: another handle gets ENOENT, a forked process sharing the file
 *    replies;
 *  - no ambiguity: a server killed mid-call, or a receive without
 *    KMBOX_RECV_CALL (RECV, read(2), RECV_BATCH), fails the caller with
 *    ECONNRESET and KMBOX_CALL_RECEIVED; a caller killed, timed out or
 *    signalled after receipt makes the late reply fail with ECONNRESET; a
 *    timeout before receipt is ETIMEDOUT without RECEIVED and delivers
 *    nothing; a signal after receipt is EINTR even with SA_RESTART;
 *  - a reply too long is EMSGSIZE with the call still pending; close,
 *    destroy; calls_pending; bad input (NONBLOCK, flags, reserved fields,
 *    a bad or read-only reply buffer: EFAULT, nothing sent).
 *
 * The same source is built for i386 as call32_test (tests/Makefile).
 */
#include <pthread.h>

#include "kmbox_test.h"

static_assert(sizeof(struct kmbox_call) == KMBOX_CALL_SIZE_VER0, "call");
static_assert(offsetof(struct kmbox_call, reply_buf) == 32 &&
	      offsetof(struct kmbox_call, prio) == 48 &&
	      offsetof(struct kmbox_call, pid) == 64 &&
	      offsetof(struct kmbox_call, __reserved) == 80, "call layout");
static_assert(sizeof(struct kmbox_reply) == KMBOX_REPLY_SIZE_VER0, "reply");
static_assert(sizeof(struct kmbox_recv) == KMBOX_RECV_SIZE_VER1, "recv");
static_assert(offsetof(struct kmbox_recv, call) == 88 &&
	      offsetof(struct kmbox_recv, reply_result) == 120, "recv layout");

#define BUF	256

static int kt_call(int fd, const void *buf, size_t len, void *rbuf, size_t rlen,
		   __u32 flags, __s64 timeout_ns, struct kmbox_call *out)
{
	struct kmbox_call c = {
		.flags = flags,
		.buf = (uintptr_t)buf,
		.len = len,
		.timeout_ns = timeout_ns,
		.reply_buf = (uintptr_t)rbuf,
		.reply_len = rlen,
	};
	int ret = kt_ioctl(fd, KMBOX_IOC_CALL, &c);

	if (out)
		*out = c;
	return ret;
}

static int kt_reply(int fd, __u64 id, const void *buf, size_t len)
{
	struct kmbox_reply r = {
		.call = id,
		.buf = (uintptr_t)buf,
		.len = len,
	};

	return kt_ioctl(fd, KMBOX_IOC_REPLY, &r);
}

static int kt_reply_str(int fd, __u64 id, const char *s)
{
	return kt_reply(fd, id, s, strlen(s));
}

/* RECV with KMBOX_RECV_CALL (and flags): the length or -errno. */
static int kt_recv_call(int fd, void *buf, size_t len, __u32 flags,
			struct kmbox_recv *out)
{
	struct kmbox_recv r = {
		.flags = flags | KMBOX_RECV_CALL,
		.buf = (uintptr_t)buf,
		.len = len,
	};
	int ret = kt_ioctl(fd, KMBOX_IOC_RECV, &r);

	if (out)
		*out = r;
	return ret;
}

/*
 * In a child: call with "ping" and check the outcome: the reply (expected
 * text, or NULL for an error) or the error and whether it was received.
 */
static void caller_expect(int fd, __u32 flags, __s64 timeout_ns, size_t rlen,
			  const char *reply, int err, bool received)
{
	char rbuf[BUF] = "";
	struct kmbox_call c;
	int ret;

	ret = kt_call(fd, "ping", 4, rbuf, rlen, flags, timeout_ns, &c);
	if (reply) {
		TC_CHECK_EQ((long)strlen(reply), ret);
		TC_CHECK(!memcmp(rbuf, reply, strlen(reply)));
		TC_CHECK_EQ(strlen(reply), c.reply_len);
	} else {
		TC_CHECK_EQ(-err, ret);
	}
	TC_CHECK_EQ(received ? KMBOX_CALL_RECEIVED : 0, c.result);
	_exit(0);
}

static pid_t spawn_caller(int fd, __u32 flags, __s64 timeout_ns, size_t rlen,
			  const char *reply, int err, bool received)
{
	pid_t pid = tc_fork();

	if (pid == 0)
		caller_expect(fd, flags, timeout_ns, rlen, reply, err, received);
	return pid;
}

static __u64 calls_pending(int fd)
{
	return KT_INFO_FIELD(fd, calls_pending);
}

TEST(feature)
{
	struct kmbox_limits lim;

	ASSERT_EQ(0, kt_limits(&lim));
	EXPECT_EQ(KMBOX_FEATURE_CALL, lim.features & KMBOX_FEATURE_CALL);
}

FIXTURE(call) {
	int fd;
};

FIXTURE_VARIANT(call) {
	__u64 capacity;
};

FIXTURE_VARIANT_ADD(call, rendezvous) { .capacity = 0 };
FIXTURE_VARIANT_ADD(call, bounded) { .capacity = 4 };

FIXTURE_SETUP(call)
{
	self->fd = kt_anon(variant->capacity);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(call)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* A server child: takes one call, checks it, replies with its pid. */
TEST_F(call, returns_reply_and_replier)
{
	char rbuf[BUF], expect[64];
	struct kmbox_call c;
	pid_t server;
	int ret;

	server = tc_fork();
	ASSERT_LE(0, server);
	if (server == 0) {
		struct kmbox_recv r;
		char buf[BUF];

		TC_CHECK_EQ(4, kt_recv_call(self->fd, buf, sizeof(buf), 0, &r));
		TC_CHECK(!memcmp(buf, "ping", 4));
		TC_CHECK(r.call != 0);
		TC_CHECK_EQ(getppid(), r.pid);
		TC_CHECK_EQ(1, calls_pending(self->fd));
		snprintf(buf, sizeof(buf), "pong from %d", (int)getpid());
		TC_CHECK_EQ(0, kt_reply_str(self->fd, r.call, buf));
		/* One-shot: the id is spent. */
		TC_CHECK_EQ(-ENOENT, kt_reply_str(self->fd, r.call, buf));
		_exit(0);
	}
	memset(rbuf, 0, sizeof(rbuf));
	ret = kt_call(self->fd, "ping", 4, rbuf, sizeof(rbuf), 0, 0, &c);
	snprintf(expect, sizeof(expect), "pong from %d", (int)server);
	ASSERT_EQ((int)strlen(expect), ret);
	EXPECT_STREQ(expect, rbuf);
	EXPECT_EQ(strlen(expect), c.reply_len);
	EXPECT_EQ((__u32)KMBOX_CALL_RECEIVED, c.result);
	EXPECT_EQ(server, c.pid);
	EXPECT_EQ(geteuid(), c.uid);
	EXPECT_EQ(getegid(), c.gid);
	EXPECT_EQ(0, tc_wait(server));
	EXPECT_EQ(0ULL, calls_pending(self->fd));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, received));
}

/* RECV with KMBOX_RECV_REPLY: one call per request on the server side. */
TEST_F(call, reply_and_receive_serves_calls_in_a_row)
{
	pid_t server;
	int i;

	server = tc_fork();
	ASSERT_LE(0, server);
	if (server == 0) {
		struct kmbox_recv r;
		char buf[BUF], out[BUF];
		int len;

		len = kt_recv_call(self->fd, buf, sizeof(buf), 0, &r);
		TC_CHECK(len > 0);
		for (i = 0; i < 3; i++) {
			struct kmbox_recv rr = {
				.flags = KMBOX_RECV_CALL | KMBOX_RECV_REPLY,
				.buf = (uintptr_t)buf,
				.len = sizeof(buf),
				.reply_call = r.call,
				.reply_buf = (uintptr_t)out,
			};

			rr.reply_len = snprintf(out, sizeof(out), "re:%.*s", len, buf);
			rr.reply_result = 12345;
			len = kt_ioctl(self->fd, KMBOX_IOC_RECV, &rr);
			TC_CHECK(len > 0);
			TC_CHECK_EQ(0, rr.reply_result);
			TC_CHECK(rr.call != 0 && rr.call != r.call);
			r = rr;
		}
		TC_CHECK_EQ(0, kt_reply(self->fd, r.call, buf, len));
		_exit(0);
	}
	for (i = 0; i < 4; i++) {
		char msg[32], rbuf[BUF] = "", expect[40];
		struct kmbox_call c;
		int len = snprintf(msg, sizeof(msg), "call-%d", i);

		snprintf(expect, sizeof(expect), i < 3 ? "re:%s" : "%s", msg);
		ASSERT_EQ((int)strlen(expect),
			  kt_call(self->fd, msg, len, rbuf, sizeof(rbuf), 0, 0, &c));
		EXPECT_STREQ(expect, rbuf);
		EXPECT_EQ(server, c.pid);
	}
	EXPECT_EQ(0, tc_wait(server));
}

/* The reply's outcome comes back whatever the receive does. */
TEST_F(call, reply_result_reported)
{
	struct kmbox_recv r = {
		.flags = KMBOX_RECV_REPLY | KMBOX_MSG_NONBLOCK,
		.reply_call = 777,
		.reply_buf = (uintptr_t)"x",
		.reply_len = 1,
	};
	char buf[8];

	r.buf = (uintptr_t)buf;
	r.len = sizeof(buf);
	EXPECT_EQ(-EAGAIN, kt_ioctl(self->fd, KMBOX_IOC_RECV, &r));
	EXPECT_EQ(-ENOENT, r.reply_result);
	/* reply_call 0 and a bad reply buffer fail the call. */
	r.reply_call = 0;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fd, KMBOX_IOC_RECV, &r));
	r.reply_call = 777;
	r.reply_buf = (uintptr_t)kt_bad_ptr();
	EXPECT_EQ(-EFAULT, kt_ioctl(self->fd, KMBOX_IOC_RECV, &r));
	/* Reply fields without KMBOX_RECV_REPLY are EINVAL. */
	r.flags = KMBOX_MSG_NONBLOCK;
	r.reply_buf = 0;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fd, KMBOX_IOC_RECV, &r));
}

/* Before receipt, a timeout withdraws the request: nothing delivered. */
TEST_F(call, timeout_before_receipt)
{
	char rbuf[BUF], buf[BUF];
	struct kmbox_call c;
	int64_t t0 = tc_now_ns();

	EXPECT_EQ(-ETIMEDOUT, kt_call(self->fd, "ping", 4, rbuf, sizeof(rbuf),
				      KMBOX_MSG_TIMEOUT, 100 * TC_MS, &c));
	EXPECT_LE(t0 + 100 * TC_MS, tc_now_ns());
	EXPECT_EQ(0U, c.result);
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, sent));
	EXPECT_EQ(-EAGAIN, kt_recv(self->fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK,
				   0, NULL));
}

/* After receipt: ETIMEDOUT with RECEIVED, and the late reply ECONNRESET. */
TEST_F(call, timeout_after_receipt)
{
	struct kmbox_recv r;
	char buf[BUF];
	pid_t caller;

	caller = spawn_caller(self->fd, KMBOX_MSG_TIMEOUT, 300 * TC_MS, BUF,
			      NULL, ETIMEDOUT, true);
	ASSERT_LE(0, caller);
	ASSERT_EQ(4, kt_recv_call(self->fd, buf, sizeof(buf), 0, &r));
	EXPECT_EQ(0, tc_wait(caller));
	EXPECT_EQ(0ULL, calls_pending(self->fd));
	EXPECT_EQ(-ECONNRESET, kt_reply_str(self->fd, r.call, "late"));
	EXPECT_EQ(-ENOENT, kt_reply_str(self->fd, r.call, "late"));
}

/* A caller killed after receipt: the reply fails cleanly. */
TEST_F(call, caller_killed_mid_call)
{
	struct kmbox_recv r;
	char buf[BUF];
	pid_t caller;

	caller = spawn_caller(self->fd, 0, 0, BUF, "never", 0, true);
	ASSERT_LE(0, caller);
	ASSERT_EQ(4, kt_recv_call(self->fd, buf, sizeof(buf), 0, &r));
	EXPECT_EQ(1ULL, calls_pending(self->fd));
	kill(caller, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, tc_wait(caller));
	EXPECT_EQ(0ULL, calls_pending(self->fd));
	EXPECT_EQ(-ECONNRESET, kt_reply_str(self->fd, r.call, "late"));
}

static void on_usr1(int sig)
{
}

/* A signal after receipt: EINTR and RECEIVED, even with SA_RESTART. */
TEST_F(call, signal_after_receipt_never_restarts)
{
	struct kmbox_recv r;
	char buf[BUF];
	pid_t caller;

	caller = tc_fork();
	ASSERT_LE(0, caller);
	if (caller == 0) {
		struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };

		TC_CHECK_EQ(0, sigaction(SIGUSR1, &sa, NULL));
		caller_expect(self->fd, 0, 0, BUF, NULL, EINTR, true);
	}
	ASSERT_EQ(4, kt_recv_call(self->fd, buf, sizeof(buf), 0, &r));
	/* The caller may not have its handler yet: it is set before the call. */
	kill(caller, SIGUSR1);
	EXPECT_EQ(0, tc_wait(caller));
	EXPECT_EQ(-ECONNRESET, kt_reply_str(self->fd, r.call, "late"));
}

/* Reply longer than the caller's buffer: EMSGSIZE, the call still pending. */
TEST_F(call, reply_too_long)
{
	struct kmbox_recv r;
	char buf[BUF];
	pid_t caller;

	caller = spawn_caller(self->fd, 0, 0, 5, "short", 0, true);
	ASSERT_LE(0, caller);
	ASSERT_EQ(4, kt_recv_call(self->fd, buf, sizeof(buf), 0, &r));
	EXPECT_EQ(-EMSGSIZE, kt_reply_str(self->fd, r.call, "too long"));
	EXPECT_EQ(1ULL, calls_pending(self->fd));
	EXPECT_EQ(-EFAULT, kt_reply(self->fd, r.call, kt_bad_ptr(), 4));
	EXPECT_EQ(1ULL, calls_pending(self->fd));
	EXPECT_EQ(0, kt_reply_str(self->fd, r.call, "short"));
	EXPECT_EQ(0, tc_wait(caller));
}

/* A receive that cannot reply drops the call: ECONNRESET, RECEIVED. */
TEST_F(call, plain_receive_drops_call)
{
	struct kmbox_msgvec v;
	struct kmbox_batch b = { .count = 1, .vec = (uintptr_t)&v };
	char buf[BUF];
	pid_t caller;
	int how;

	for (how = 0; how < 3; how++) {
		caller = spawn_caller(self->fd, 0, 0, BUF, NULL, ECONNRESET, true);
		ASSERT_LE(0, caller);
		switch (how) {
		case 0:
			EXPECT_EQ(4, kt_recv(self->fd, buf, sizeof(buf), 0, 0, NULL));
			break;
		case 1:
			EXPECT_EQ(4, read(self->fd, buf, sizeof(buf)));
			break;
		case 2:
			memset(&v, 0, sizeof(v));
			v.buf = (uintptr_t)buf;
			v.len = sizeof(buf);
			EXPECT_EQ(1, kt_ioctl(self->fd, KMBOX_IOC_RECV_BATCH, &b));
			break;
		}
		EXPECT_EQ(0, memcmp(buf, "ping", 4));
		EXPECT_EQ(0, tc_wait(caller));
		EXPECT_EQ(0ULL, calls_pending(self->fd));
	}
}

/* Close and destroy before the call, and destroy while it is pending. */
TEST_F(call, closed_and_destroyed)
{
	struct kmbox_recv r;
	struct kmbox_call c;
	char buf[BUF];
	pid_t caller;

	caller = spawn_caller(self->fd, 0, 0, BUF, NULL, EIDRM, true);
	ASSERT_LE(0, caller);
	ASSERT_EQ(4, kt_recv_call(self->fd, buf, sizeof(buf), 0, &r));
	ASSERT_EQ(0, kt_destroy(self->fd));
	EXPECT_EQ(0, tc_wait(caller));
	EXPECT_EQ(0ULL, calls_pending(self->fd));
	EXPECT_EQ(-EIDRM, kt_reply_str(self->fd, r.call, "late"));
	EXPECT_EQ(-EIDRM, kt_call(self->fd, "x", 1, buf, sizeof(buf), 0, 0, &c));
	EXPECT_EQ(0U, c.result);

	close(self->fd);
	self->fd = kt_anon(variant->capacity);
	ASSERT_LE(0, self->fd);
	/* A caller waiting for a receiver is failed by close, not received. */
	caller = spawn_caller(self->fd, 0, 0, BUF, NULL, EPIPE, false);
	ASSERT_LE(0, caller);
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 1, 0));
	ASSERT_EQ(0, kt_shut(self->fd));
	EXPECT_EQ(0, tc_wait(caller));
	EXPECT_EQ(-EPIPE, kt_call(self->fd, "x", 1, buf, sizeof(buf), 0, 0, &c));
	EXPECT_EQ(0U, c.result);
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
}

TEST_F(call, bad_input)
{
	struct kmbox_call c = {
		.buf = (uintptr_t)"x",
		.len = 1,
	};
	struct kmbox_reply rp = { .call = 1, .flags = 1 };
	struct kmbox_recv r = { .flags = KMBOX_RECV_CALL | KMBOX_MSG_NONBLOCK };
	char rbuf[BUF];
	char *ro;

	c.reply_buf = (uintptr_t)rbuf;
	c.reply_len = sizeof(rbuf);
	c.flags = KMBOX_MSG_NONBLOCK;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fd, KMBOX_IOC_CALL, &c));
	c.flags = KMBOX_SEND_SYNC;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fd, KMBOX_IOC_CALL, &c));
	c.flags = 0;
	c.__reserved1 = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fd, KMBOX_IOC_CALL, &c));
	c.__reserved1 = 0;
	c.__reserved[1] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fd, KMBOX_IOC_CALL, &c));
	c.__reserved[1] = 0;
	c.flags = KMBOX_MSG_TIMEOUT;
	c.timeout_ns = -1;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fd, KMBOX_IOC_CALL, &c));
	c.flags = 0;
	c.timeout_ns = 0;

	/*
	 * A reply buffer that cannot be written: EFAULT, nothing sent, and
	 * result says so (it is written once the struct is known writable).
	 */
	c.reply_buf = (uintptr_t)kt_bad_ptr();
	c.result = 0xdead;
	EXPECT_EQ(-EFAULT, kt_ioctl(self->fd, KMBOX_IOC_CALL, &c));
	EXPECT_EQ(0U, c.result);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(ro != MAP_FAILED);
	c.reply_buf = (uintptr_t)ro;
	c.reply_len = 64;
	EXPECT_EQ(-EFAULT, kt_ioctl(self->fd, KMBOX_IOC_CALL, &c));
	/* The struct's results must be writable too. */
	EXPECT_EQ(-EFAULT, ioctl(self->fd, KMBOX_IOC_CALL, ro) ? -errno : 0);
	munmap(ro, 4096);
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, sent));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));

	/* REPLY: flags, reserved; an id never given. */
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fd, KMBOX_IOC_REPLY, &rp));
	rp.flags = 0;
	rp.__reserved[0] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fd, KMBOX_IOC_REPLY, &rp));
	EXPECT_EQ(-ENOENT, kt_reply_str(self->fd, 0, "x"));
	EXPECT_EQ(-ENOENT, kt_reply_str(self->fd, 1, "x"));
	/* RECV_CALL needs the VER1 struct. */
	r.buf = (uintptr_t)rbuf;
	r.len = sizeof(rbuf);
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fd,
				   kt_cmd_sized(KMBOX_IOC_RECV, KMBOX_RECV_SIZE_VER0), &r));
	EXPECT_EQ(-EAGAIN, kt_ioctl(self->fd, KMBOX_IOC_RECV, &r));
}

/* Receive-only and send-only handles. */
TEST(handle_access)
{
	char name[64], buf[BUF];
	int fd, rfd, sfd;

	kt_name(name, sizeof(name), "access");
	fd = kt_create(name, 4, 0, 0600, KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	rfd = kt_open(name, KMBOX_ACCESS_RECV, 0, NULL);
	sfd = kt_open(name, KMBOX_ACCESS_SEND, 0, NULL);
	ASSERT_LE(0, rfd);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(-EBADF, kt_call(rfd, "x", 1, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(-EBADF, kt_recv_call(sfd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, NULL));
	EXPECT_EQ(0, kt_unlink(name));
	close(sfd);
	close(rfd);
	close(fd);
}

/*
 * The reply id belongs to the handle (open file) that took the call:
 * another handle of the same mailbox gets ENOENT, a forked process sharing
 * the file may reply.
 */
TEST(id_belongs_to_handle)
{
	char name[64], buf[BUF];
	struct kmbox_recv r;
	pid_t caller, helper;
	int fd, other;

	kt_name(name, sizeof(name), "handle");
	fd = kt_create(name, 0, 0, 0600, KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	other = kt_open(name, KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, other);
	EXPECT_EQ(0, kt_unlink(name));

	caller = spawn_caller(other, 0, 0, BUF, "from the fork", 0, true);
	ASSERT_LE(0, caller);
	ASSERT_EQ(4, kt_recv_call(fd, buf, sizeof(buf), 0, &r));
	EXPECT_EQ(-ENOENT, kt_reply_str(other, r.call, "wrong handle"));
	EXPECT_EQ(1ULL, calls_pending(fd));
	helper = tc_fork();
	ASSERT_LE(0, helper);
	if (helper == 0) {
		TC_CHECK_EQ(0, kt_reply_str(fd, r.call, "from the fork"));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(helper));
	EXPECT_EQ(0, tc_wait(caller));
	EXPECT_EQ(-ENOENT, kt_reply_str(fd, r.call, "again"));
	close(other);
	close(fd);
}

/*
 * A server killed after receiving, before replying: its handle is
 * released and the caller wakes with ECONNRESET, received.
 */
TEST(server_killed_mid_call)
{
	char name[64];
	struct kmbox_info info;
	pid_t caller, server;
	int fd;

	kt_name(name, sizeof(name), "killed");
	fd = kt_create(name, 4, 0, 0600, KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	server = tc_fork();
	ASSERT_LE(0, server);
	if (server == 0) {
		char buf[BUF];
		int own;

		/* A handle of its own, released when it dies. */
		own = kt_open(name, KMBOX_ACCESS_RECV, 0, NULL);
		TC_CHECK(own >= 0);
		close(fd);
		TC_CHECK_EQ(4, kt_recv_call(own, buf, sizeof(buf), 0, NULL));
		pause();
		_exit(1);
	}
	caller = spawn_caller(fd, 0, 0, BUF, NULL, ECONNRESET, true);
	ASSERT_LE(0, caller);
	ASSERT_EQ(0, KT_WAIT_INFO(fd, info, info.calls_pending == 1));
	kill(server, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, tc_wait(server));
	EXPECT_EQ(0, tc_wait(caller));
	EXPECT_EQ(0ULL, calls_pending(fd));
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
}

/* Many calls from several callers to pre-forked servers sharing a handle. */
TEST(preforked_servers)
{
	enum { SERVERS = 3, CALLERS = 4, CALLS = 50 };
	pid_t servers[SERVERS], callers[CALLERS];
	int fd, i;

	fd = kt_anon(0);
	ASSERT_LE(0, fd);
	for (i = 0; i < SERVERS; i++) {
		servers[i] = tc_fork();
		ASSERT_LE(0, servers[i]);
		if (servers[i] == 0) {
			struct kmbox_recv r;
			char buf[BUF];
			int len;

			len = kt_recv_call(fd, buf, sizeof(buf), 0, &r);
			while (len >= 0) {
				struct kmbox_recv rr = {
					.flags = KMBOX_RECV_CALL | KMBOX_RECV_REPLY,
					.buf = (uintptr_t)buf,
					.len = sizeof(buf),
					.reply_call = r.call,
					.reply_buf = (uintptr_t)buf,
					.reply_len = len,
				};

				len = kt_ioctl(fd, KMBOX_IOC_RECV, &rr);
				TC_CHECK_EQ(0, rr.reply_result);
				r = rr;
			}
			TC_CHECK_EQ(-EPIPE, len);
			_exit(0);
		}
	}
	for (i = 0; i < CALLERS; i++) {
		callers[i] = tc_fork();
		ASSERT_LE(0, callers[i]);
		if (callers[i] == 0) {
			int k;

			for (k = 0; k < CALLS; k++) {
				char msg[32], rbuf[BUF];
				int len = snprintf(msg, sizeof(msg), "%d/%d", i, k);

				TC_CHECK_EQ(len, kt_call(fd, msg, len, rbuf,
							 sizeof(rbuf), 0, 0, NULL));
				TC_CHECK(!memcmp(msg, rbuf, len));
			}
			_exit(0);
		}
	}
	for (i = 0; i < CALLERS; i++)
		EXPECT_EQ(0, tc_wait(callers[i]));
	EXPECT_EQ(0ULL, calls_pending(fd));
	ASSERT_EQ(0, kt_shut(fd));
	for (i = 0; i < SERVERS; i++)
		EXPECT_EQ(0, tc_wait(servers[i]));
	close(fd);
}

struct uffd_server {
	int fd;
	char *buf;
	int ret;
	struct kmbox_recv r;
};

static void *uffd_server(void *arg)
{
	struct uffd_server *s = arg;

	s->ret = kt_recv_call(s->fd, s->buf, 16, 0, &s->r);
	return NULL;
}

/*
 * Destroy while a receiver holds a call's request, copying it out (held
 * there by a userfaultfd page): the call fails with EIDRM at once, as every
 * blocked call does, not at its timeout, and no call stays pending.
 */
TEST(destroy_while_the_request_is_copied)
{
	struct uffd_server s = { 0 };
	char rbuf[16];
	int fd, uffd, p[2], out[2];
	pthread_t th;
	pid_t caller;

	fd = kt_anon(4);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(p));
	caller = tc_fork();
	ASSERT_LE(0, caller);
	if (caller == 0) {
		struct kmbox_call c;

		close(p[0]);
		out[0] = kt_call(fd, "ping", 4, rbuf, sizeof(rbuf), KMBOX_MSG_TIMEOUT,
				 60 * TC_SEC, &c);
		out[1] = c.result;
		TC_CHECK_EQ(sizeof(out), write(p[1], out, sizeof(out)));
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(0, kt_wait_waiters(fd, 1, 0));
	uffd = kt_uffd_page(&s.buf);
	if (uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(-uffd));
	s.fd = fd;
	ASSERT_EQ(0, pthread_create(&th, NULL, uffd_server, &s));
	ASSERT_EQ(0, kt_uffd_wait_fault(uffd));
	ASSERT_EQ(0, kt_destroy(fd));
	ASSERT_EQ(0, kt_uffd_zero(uffd, s.buf));
	ASSERT_EQ(0, pthread_join(th, NULL));
	/* The receive got the request; there is no call to answer. */
	EXPECT_EQ(4, s.ret);
	EXPECT_EQ(0ULL, s.r.call);
	ASSERT_EQ((ssize_t)sizeof(out), read(p[0], out, sizeof(out)));
	EXPECT_EQ(-EIDRM, out[0]);
	EXPECT_EQ(KMBOX_CALL_RECEIVED, out[1]);
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, calls_pending));
	EXPECT_EQ(0, tc_wait(caller));
	close(p[0]);
	close(uffd);
	close(fd);
}

/* A caller whose request was taken waits for a reply, not as a sender. */
TEST(taken_caller_is_no_blocked_sender)
{
	struct kmbox_recv r;
	char buf[16];
	pid_t caller;
	int fd;

	fd = kt_anon(4);
	ASSERT_LE(0, fd);
	caller = tc_fork();
	ASSERT_LE(0, caller);
	if (caller == 0) {
		TC_CHECK_EQ(1, kt_call(fd, "ping", 4, buf, sizeof(buf), 0, 0, NULL));
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_waiters(fd, 1, 0));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(fd, senders_waiting));
	ASSERT_EQ(4, kt_recv_call(fd, buf, sizeof(buf), 0, &r));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(fd, calls_pending));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, senders_waiting));
	EXPECT_EQ(0, kt_reply_str(fd, r.call, "y"));
	EXPECT_EQ(0, tc_wait(caller));
	close(fd);
}

TEST_HARNESS_MAIN
