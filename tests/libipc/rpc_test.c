// SPDX-License-Identifier: GPL-2.0
/*
 * rpc_test: call and reply on both backends.  A call returns its reply
 * and the replier's credentials; a server's ipc_reply_recv loop; a server
 * killed mid-call wakes its caller with ECONNRESET and IPC_CALL_RECEIVED;
 * a caller killed mid-call makes the reply fail with ECONNRESET (also as
 * ipc_reply_recv's reply outcome); a call taken by a plain receive is
 * dropped; a call nobody takes times out, not received.  Servers and
 * callers open their own handles (ipc_open): a pending call belongs to
 * the handle that took it.  A backend (or module) without calls skips.
 */
#include "lt.h"

FIXTURE(rpc) {
	struct ipc_mbox *mb;
	char name[64];
};

FIXTURE_VARIANT(rpc) {
	const char *backend;
	uint64_t capacity;
};

FIXTURE_VARIANT_ADD(rpc, kernel) { .backend = "kernel", .capacity = 4 };
FIXTURE_VARIANT_ADD(rpc, kernel_rendezvous) { .backend = "kernel", .capacity = 0 };
FIXTURE_VARIANT_ADD(rpc, posix) { .backend = "posix", .capacity = 4 };

FIXTURE_SETUP(rpc)
{
	struct ipc_attr a = lt_attr(variant->capacity, 256, 0600);
	struct ipc_callinfo ci;
	ssize_t ret;

	LT_USE_BACKEND(variant->backend);
	lt_name(self->name, sizeof(self->name), "rpc");
	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	/* Nobody serves yet: a call that cannot wait says if it can call at all. */
	ret = ipc_call(self->mb, "probe", 5, NULL, 0, IPC_WAIT_NS(0), 0, &ci);
	if (ret == -ENOTSUP) {
		ipc_unlink(self->name);
		ipc_release(self->mb);
		self->mb = NULL;
		TC_SKIP("calls: not in the %s backend (ENOTSUP)", ipc_backend());
	}
	ASSERT_EQ(-ETIMEDOUT, ret);
	ASSERT_EQ(0, ci.flags & IPC_CALL_RECEIVED);
}

FIXTURE_TEARDOWN(rpc)
{
	ipc_unlink(self->name);
	ipc_release(self->mb);
}

static struct ipc_mbox *own_handle(const char *name, unsigned int access)
{
	struct ipc_mbox *mb = NULL;

	return ipc_open(name, access, &mb) ? NULL : mb;
}

/* In a child: call with req, expect ret and the reply (NULL: none). */
static pid_t spawn_caller(const char *name, const char *req, ssize_t want,
			  const char *reply, bool received)
{
	struct ipc_callinfo ci;
	struct ipc_mbox *mb;
	char buf[64];
	ssize_t n;
	pid_t pid = tc_fork();

	if (pid)
		return pid;
	mb = own_handle(name, IPC_SEND);
	TC_CHECK(mb);
	n = ipc_call(mb, req, strlen(req), buf, sizeof(buf) - 1, IPC_WAIT_NS(30 * TC_SEC), 0, &ci);
	TC_CHECK_EQ(want, n);
	TC_CHECK_EQ(received ? IPC_CALL_RECEIVED : 0, ci.flags & IPC_CALL_RECEIVED);
	if (reply) {
		buf[n] = '\0';
		TC_CHECK(!strcmp(buf, reply));
		TC_CHECK_EQ(n, ci.len);
		TC_CHECK_EQ(getppid(), ci.pid);
	}
	_exit(0);
}

/* Take one call: its length, the string in buf, its reply id in *call. */
static ssize_t take_call(struct ipc_mbox *mb, char *buf, size_t size, uint64_t *call,
			 struct ipc_msginfo *info)
{
	struct ipc_recvopt opt = { .flags = IPC_SEL_CALLS };
	ssize_t n = ipc_recv_opt(mb, buf, size - 1, IPC_WAIT_NS(20 * TC_SEC), 0, info, &opt);

	buf[n > 0 ? n : 0] = '\0';
	*call = opt.call;
	return n;
}

TEST_F(rpc, call_returns_reply)
{
	struct ipc_mbox *srv = own_handle(self->name, IPC_RECV);
	struct ipc_msginfo info;
	struct ipc_info i;
	uint64_t call;
	char buf[64];
	pid_t caller;

	ASSERT_NE(NULL, srv);
	caller = spawn_caller(self->name, "ping", 4, "pong", true);
	ASSERT_LT(0, caller);
	ASSERT_EQ(4, take_call(srv, buf, sizeof(buf), &call, &info));
	EXPECT_STREQ("ping", buf);
	EXPECT_NE(0, call);
	EXPECT_EQ(caller, info.pid);
	EXPECT_EQ(lt_is_posix() ? 0U : IPC_MSG_CRED_VERIFIED, info.flags);
	ASSERT_EQ(0, ipc_info(srv, &i));
	EXPECT_EQ(1, i.calls_pending);
	/* Another handle has no such call. */
	EXPECT_EQ(-ENOENT, ipc_reply(self->mb, call, "no", 2));
	EXPECT_EQ(0, ipc_reply(srv, call, "pong", 4));
	EXPECT_EQ(-ENOENT, ipc_reply(srv, call, "pong", 4));
	EXPECT_EQ(-ENOENT, ipc_reply(srv, 0, "pong", 4));
	EXPECT_EQ(0, tc_wait(caller));
	ASSERT_EQ(0, ipc_info(srv, &i));
	EXPECT_EQ(0, i.calls_pending);
	ipc_release(srv);
}

TEST_F(rpc, reply_too_long_stays_pending)
{
	struct ipc_mbox *srv = own_handle(self->name, IPC_RECV);
	char big[100], buf[64];
	uint64_t call;
	pid_t caller;

	ASSERT_NE(NULL, srv);
	memset(big, 'b', sizeof(big));
	caller = spawn_caller(self->name, "q", 2, "ok", true);
	ASSERT_LT(0, caller);
	ASSERT_EQ(1, take_call(srv, buf, sizeof(buf), &call, NULL));
	EXPECT_EQ(-EMSGSIZE, ipc_reply(srv, call, big, sizeof(big)));
	EXPECT_EQ(0, ipc_reply(srv, call, "ok", 2));
	EXPECT_EQ(0, tc_wait(caller));
	ipc_release(srv);
}

/* A server's loop: ipc_reply_recv answers one and takes the next. */
TEST_F(rpc, reply_recv_loop)
{
	struct ipc_mbox *srv = own_handle(self->name, IPC_RECV);
	struct ipc_recvopt opt = { 0 };
	struct ipc_callinfo ci;
	char buf[64], reply[64];
	int rr = 1;
	pid_t client;

	ASSERT_NE(NULL, srv);
	client = tc_fork();
	ASSERT_LE(0, client);
	if (client == 0) {
		struct ipc_mbox *mb = own_handle(self->name, IPC_SEND);

		TC_CHECK(mb);
		TC_CHECK_EQ(4, ipc_call(mb, "a", 1, reply, sizeof(reply), NULL, 0, &ci));
		TC_CHECK(!memcmp(reply, "re:a", 4));
		TC_CHECK_EQ(0, ipc_send(mb, "p", 1, NULL, 0));
		TC_CHECK_EQ(4, ipc_call(mb, "b", 1, reply, sizeof(reply), NULL, 0, &ci));
		TC_CHECK(!memcmp(reply, "re:b", 4));
		_exit(0);
	}
	/* call 0: only receive. */
	ASSERT_EQ(1, ipc_reply_recv(srv, 0, NULL, 0, &rr, buf, sizeof(buf),
				    IPC_WAIT_NS(20 * TC_SEC), 0, NULL, &opt));
	EXPECT_EQ(0, rr);
	EXPECT_EQ('a', buf[0]);
	EXPECT_NE(0, opt.call);
	rr = 1;
	ASSERT_EQ(1, ipc_reply_recv(srv, opt.call, "re:a", 4, &rr, buf, sizeof(buf),
				    IPC_WAIT_NS(20 * TC_SEC), 0, NULL, &opt));
	EXPECT_EQ(0, rr);
	EXPECT_EQ('p', buf[0]);
	EXPECT_EQ(0, opt.call);		/* a plain message */
	ASSERT_EQ(1, ipc_reply_recv(srv, 0, NULL, 0, &rr, buf, sizeof(buf),
				    IPC_WAIT_NS(20 * TC_SEC), 0, NULL, &opt));
	EXPECT_EQ('b', buf[0]);
	EXPECT_NE(0, opt.call);
	rr = 1;
	EXPECT_EQ(-EAGAIN, ipc_reply_recv(srv, opt.call, "re:b", 4, &rr, buf, sizeof(buf),
					  IPC_WAIT_NONE, 0, NULL, &opt));
	EXPECT_EQ(0, rr);
	EXPECT_EQ(0, tc_wait(client));
	ipc_release(srv);
}

/* The server dies holding the call: the caller wakes, received, ECONNRESET. */
TEST_F(rpc, server_killed)
{
	int *taken = tc_shared(sizeof(int));
	pid_t caller, server;

	ASSERT_NE(NULL, taken);
	server = tc_fork();
	ASSERT_LE(0, server);
	if (server == 0) {
		struct ipc_mbox *srv = own_handle(self->name, IPC_RECV);
		uint64_t call;
		char buf[64];

		TC_CHECK(srv);
		TC_CHECK_EQ(3, take_call(srv, buf, sizeof(buf), &call, NULL));
		__atomic_store_n(taken, 1, __ATOMIC_RELEASE);
		pause();
		_exit(0);
	}
	caller = spawn_caller(self->name, "req", -ECONNRESET, NULL, true);
	ASSERT_LT(0, caller);
	while (!__atomic_load_n(taken, __ATOMIC_ACQUIRE) && tc_running(server))
		tc_sleep_ms(1);
	ASSERT_TRUE(__atomic_load_n(taken, __ATOMIC_ACQUIRE));
	EXPECT_TRUE(tc_running(caller));
	tc_kill(server);
	EXPECT_EQ(0, tc_wait(caller));
	munmap(taken, sizeof(int));
}

/* The caller dies waiting: the reply fails, the call is gone. */
TEST_F(rpc, caller_killed)
{
	struct ipc_mbox *srv = own_handle(self->name, IPC_RECV);
	struct ipc_recvopt opt = { 0 };
	struct ipc_info i;
	uint64_t call;
	char buf[64];
	pid_t caller, sender;
	int rr = 0;

	ASSERT_NE(NULL, srv);
	caller = spawn_caller(self->name, "one", 0, NULL, true);
	ASSERT_LT(0, caller);
	ASSERT_EQ(3, take_call(srv, buf, sizeof(buf), &call, NULL));
	tc_kill(caller);
	EXPECT_EQ(-ECONNRESET, ipc_reply(srv, call, "late", 4));
	EXPECT_EQ(-ENOENT, ipc_reply(srv, call, "late", 4));
	ASSERT_EQ(0, ipc_info(srv, &i));
	EXPECT_EQ(0, i.calls_pending);

	/* Once more, the reply through ipc_reply_recv, which receives on. */
	caller = spawn_caller(self->name, "two", 0, NULL, true);
	ASSERT_LT(0, caller);
	ASSERT_EQ(3, take_call(srv, buf, sizeof(buf), &call, NULL));
	tc_kill(caller);
	sender = lt_spawn_send(self->mb, "next", NULL, 0);
	ASSERT_LT(0, sender);
	EXPECT_EQ(4, ipc_reply_recv(srv, call, "late", 4, &rr, buf, sizeof(buf),
				    IPC_WAIT_NS(10 * TC_SEC), 0, NULL, &opt));
	EXPECT_EQ(-ECONNRESET, rr);
	EXPECT_EQ(0, opt.call);
	EXPECT_EQ(0, tc_wait(sender));
	ipc_release(srv);
}

/* A call taken by a plain receive is dropped: its caller learns it. */
TEST_F(rpc, plain_receive_drops_call)
{
	struct ipc_mbox *srv = own_handle(self->name, IPC_RECV);
	char buf[64];
	pid_t caller;

	ASSERT_NE(NULL, srv);
	caller = spawn_caller(self->name, "lost", -ECONNRESET, NULL, true);
	ASSERT_LT(0, caller);
	EXPECT_EQ(4, lt_recv_str(srv, buf, sizeof(buf), IPC_WAIT_NS(20 * TC_SEC)));
	EXPECT_STREQ("lost", buf);
	EXPECT_EQ(0, tc_wait(caller));
	ipc_release(srv);
}

TEST_F(rpc, refused)
{
	struct ipc_mbox *send_only = own_handle(self->name, IPC_SEND);
	struct ipc_recvopt opt = { 0 };
	struct ipc_callinfo ci;
	char buf[8];
	int rr = 0;

	ASSERT_NE(NULL, send_only);
	EXPECT_EQ(-EINVAL, ipc_call(self->mb, "x", 1, buf, sizeof(buf), IPC_WAIT_NONE, 0, &ci));
	EXPECT_EQ(-EINVAL, ipc_call(self->mb, "x", 1, buf, sizeof(buf), NULL, 1, &ci));
	EXPECT_EQ(-EFAULT, ipc_call(self->mb, NULL, 1, buf, sizeof(buf), NULL, 0, &ci));
	EXPECT_EQ(-EFAULT, ipc_call(self->mb, "x", 1, NULL, 8, NULL, 0, &ci));
	EXPECT_EQ(-EBADF, ipc_reply(send_only, 1, "x", 1));
	EXPECT_EQ(-EFAULT, ipc_reply_recv(self->mb, 1, "x", 1, &rr, buf, sizeof(buf),
					  IPC_WAIT_NONE, 0, NULL, NULL));
	EXPECT_EQ(-EFAULT, rr);
	EXPECT_EQ(-EBADF, ipc_reply_recv(send_only, 1, "x", 1, &rr, buf, sizeof(buf),
					 IPC_WAIT_NONE, 0, NULL, &opt));
	EXPECT_EQ(-EBADF, rr);
	/* No such call: the reply fails, the receive goes on. */
	EXPECT_EQ(-EAGAIN, ipc_reply_recv(self->mb, 12345, "x", 1, &rr, buf, sizeof(buf),
					  IPC_WAIT_NONE, 0, NULL, &opt));
	EXPECT_EQ(-ENOENT, rr);
	/* A call nobody takes: not received. */
	memset(&ci, 0xff, sizeof(ci));
	EXPECT_EQ(-ETIMEDOUT, ipc_call(self->mb, "x", 1, buf, sizeof(buf),
				       IPC_WAIT_NS(20 * TC_MS), 0, &ci));
	EXPECT_EQ(0, ci.flags);
	EXPECT_EQ(0, lt_info_msgs(self->mb));
	ipc_release(send_only);
}

TEST_HARNESS_MAIN
