// SPDX-License-Identifier: GPL-2.0
/*
 * posix_direct_test: issue 13 on the posix backend: priorities, tags and
 * selective receive, ports, calls and replies, through the public API,
 * with processes dying where the kernel backend would be told by a file's
 * release and the posix backend must find out by itself.
 */
#include "lt.h"

#include <signal.h>

#define MSG	64

static struct ipc_mbox *pd_box(uint64_t cap, uint32_t flags)
{
	struct ipc_attr a = lt_attr(cap, MSG, 0600);
	struct ipc_mbox *mb = NULL;

	a.flags = flags;
	if (ipc_create(NULL, &a, IPC_RECV | IPC_SEND, &mb))
		return NULL;
	return mb;
}

static int pd_send(struct ipc_mbox *mb, const char *s, uint32_t prio, uint64_t tag)
{
	struct ipc_sendopt o = { .prio = prio, .tag = tag };

	return ipc_send_opt(mb, s, strlen(s), IPC_WAIT_NONE, 0, &o);
}

/* Receive a string with a selection; its length or -errno. */
static ssize_t pd_recv(struct ipc_mbox *mb, char *buf, const struct ipc_wait *w,
		       unsigned int flags, struct ipc_recvopt *o)
{
	ssize_t n = ipc_recv_opt(mb, buf, MSG, w, flags, NULL, o);

	buf[n >= 0 ? n : 0] = '\0';
	return n;
}

FIXTURE(pd) {
	struct ipc_mbox *mb;
};

FIXTURE_SETUP(pd)
{
	LT_USE_BACKEND("posix");
	self->mb = NULL;
}

FIXTURE_TEARDOWN(pd)
{
	ipc_release(self->mb);
}

/* ---- priorities and tags ---------------------------------------------------- */

TEST_F(pd, priorities_order_delivery)
{
	static const struct { const char *s; uint32_t prio; } in[] = {
		{ "a0", 0 }, { "b5", 5 }, { "c1", 1 }, { "d5", 5 }, { "e0", 0 },
		{ "f32767", IPC_PRIO_MAX }, { "g1", 1 },
	};
	static const char *const out[] = { "f32767", "b5", "d5", "c1", "g1", "a0", "e0" };
	struct ipc_recvopt o;
	struct ipc_info info;
	char buf[MSG];
	size_t i;

	self->mb = pd_box(16, IPC_PRIO);
	ASSERT_NE(NULL, self->mb);
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(IPC_PRIO, info.flags);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		ASSERT_EQ(0, pd_send(self->mb, in[i].s, in[i].prio, 0));
	/* Peek and receive agree on the order; prio comes out. */
	memset(&o, 0, sizeof(o));
	ASSERT_EQ(6, pd_recv(self->mb, buf, IPC_WAIT_NONE, IPC_PEEK, &o));
	EXPECT_STREQ("f32767", buf);
	for (i = 0; i < 7; i++) {
		memset(&o, 0, sizeof(o));
		ASSERT_LT(0, pd_recv(self->mb, buf, IPC_WAIT_NONE, 0, &o));
		EXPECT_STREQ(out[i], buf);
		EXPECT_EQ(strtoul(buf + 1, NULL, 10), o.prio);
	}
	/* A priority the mailbox was not made for. */
	ipc_release(self->mb);
	self->mb = pd_box(4, 0);
	ASSERT_NE(NULL, self->mb);
	EXPECT_EQ(-EINVAL, pd_send(self->mb, "x", 1, 0));
	EXPECT_EQ(-EINVAL, pd_send(self->mb, "x", 0, 7));
	EXPECT_EQ(0, pd_send(self->mb, "x", 0, 0));
}

/* EMSGSIZE leaves the message at the head of its priority; batches follow the order. */
TEST_F(pd, requeue_and_batch_order)
{
	struct ipc_msgvec v[3];
	char b[3][MSG], small[1];
	struct ipc_msginfo mi;

	self->mb = pd_box(8, IPC_PRIO);
	ASSERT_NE(NULL, self->mb);
	ASSERT_EQ(0, pd_send(self->mb, "low", 1, 0));
	ASSERT_EQ(0, pd_send(self->mb, "high", 9, 0));
	ASSERT_EQ(0, pd_send(self->mb, "high2", 9, 0));
	EXPECT_EQ(-EMSGSIZE, ipc_recv(self->mb, small, sizeof(small), IPC_WAIT_NONE, 0, &mi));
	EXPECT_EQ(4, mi.len);
	memset(v, 0, sizeof(v));
	for (int i = 0; i < 3; i++) {
		v[i].buf = b[i];
		v[i].len = MSG;
	}
	ASSERT_EQ(3, ipc_recv_batch(self->mb, v, 3, IPC_WAIT_NONE, 0));
	EXPECT_EQ(0, memcmp(b[0], "high", 4));
	EXPECT_EQ(0, memcmp(b[1], "high2", 5));
	EXPECT_EQ(0, memcmp(b[2], "low", 3));
}

TEST_F(pd, tag_selection)
{
	struct ipc_recvopt o;
	char buf[MSG];

	self->mb = pd_box(16, IPC_SELECT | IPC_PRIO);
	ASSERT_NE(NULL, self->mb);
	ASSERT_EQ(0, pd_send(self->mb, "t5", 0, 5));
	ASSERT_EQ(0, pd_send(self->mb, "t3", 0, 3));
	ASSERT_EQ(0, pd_send(self->mb, "t7", 0, 7));
	ASSERT_EQ(0, pd_send(self->mb, "t3b", 2, 3));
	ASSERT_EQ(0, pd_send(self->mb, "t0", 0, 0));

	/* IPC_SEL_TAG: only that tag, in delivery order (priority first). */
	memset(&o, 0, sizeof(o));
	o.flags = IPC_SEL_TAG;
	o.tag = 3;
	ASSERT_EQ(3, pd_recv(self->mb, buf, IPC_WAIT_NONE, 0, &o));
	EXPECT_STREQ("t3b", buf);
	EXPECT_EQ(3, o.msg_tag);
	EXPECT_EQ(2, o.prio);
	o.flags = IPC_SEL_TAG;
	ASSERT_EQ(2, pd_recv(self->mb, buf, IPC_WAIT_NONE, 0, &o));
	EXPECT_STREQ("t3", buf);
	o.flags = IPC_SEL_TAG;
	EXPECT_EQ(-EAGAIN, pd_recv(self->mb, buf, IPC_WAIT_NONE, 0, &o));
	EXPECT_EQ(-ETIMEDOUT, pd_recv(self->mb, buf, IPC_WAIT_NS(20 * TC_MS), 0, &o));

	/* IPC_SEL_TAG_LE: the lowest tag <= 6 first: 5 (0 is lower: "t0"). */
	memset(&o, 0, sizeof(o));
	o.flags = IPC_SEL_TAG_LE;
	o.tag = 6;
	ASSERT_EQ(2, pd_recv(self->mb, buf, IPC_WAIT_NONE, 0, &o));
	EXPECT_STREQ("t0", buf);
	o.flags = IPC_SEL_TAG_LE;
	ASSERT_EQ(2, pd_recv(self->mb, buf, IPC_WAIT_NONE, 0, &o));
	EXPECT_STREQ("t5", buf);
	o.flags = IPC_SEL_TAG_LE;
	EXPECT_EQ(-EAGAIN, pd_recv(self->mb, buf, IPC_WAIT_NONE, 0, &o));
	/* Plain receive takes what is left. */
	ASSERT_EQ(2, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NONE));
	EXPECT_STREQ("t7", buf);

	/* A selection on a mailbox without IPC_SELECT. */
	ipc_release(self->mb);
	self->mb = pd_box(4, 0);
	ASSERT_NE(NULL, self->mb);
	o.flags = IPC_SEL_TAG;
	EXPECT_EQ(-EINVAL, pd_recv(self->mb, buf, IPC_WAIT_NONE, 0, &o));
}

/* A waiting tag-selective receiver ignores other tags and takes its own. */
TEST_F(pd, selective_waiter)
{
	struct ipc_recvopt o;
	char buf[MSG];
	pid_t pid;

	self->mb = pd_box(16, IPC_SELECT);
	ASSERT_NE(NULL, self->mb);
	pid = tc_fork();
	if (pid == 0) {
		memset(&o, 0, sizeof(o));
		o.flags = IPC_SEL_TAG;
		o.tag = 42;
		TC_CHECK_EQ(4, pd_recv(self->mb, buf, IPC_WAIT_NS(10 * TC_SEC), 0, &o));
		TC_CHECK(!strcmp(buf, "mine"));
		TC_CHECK_EQ(42, o.msg_tag);
		_exit(0);
	}
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	ASSERT_EQ(0, pd_send(self->mb, "other", 0, 41));
	ASSERT_EQ(0, pd_send(self->mb, "other2", 0, 0));
	tc_sleep_ms(50);
	EXPECT_EQ(1, tc_running(pid));
	ASSERT_EQ(0, pd_send(self->mb, "mine", 0, 42));
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(2, lt_info_msgs(self->mb));
}

/* IPC_SEL_FROM with two sending processes: the pid they wrote. */
TEST_F(pd, from_two_senders)
{
	struct ipc_recvopt o;
	char buf[MSG];
	pid_t p1, p2;
	int i;

	self->mb = pd_box(64, IPC_SELECT);
	ASSERT_NE(NULL, self->mb);
	p1 = tc_fork();
	if (p1 == 0) {
		for (i = 0; i < 5; i++)
			TC_CHECK_EQ(0, ipc_send(self->mb, "p1", 2, NULL, 0));
		_exit(0);
	}
	p2 = tc_fork();
	if (p2 == 0) {
		for (i = 0; i < 5; i++)
			TC_CHECK_EQ(0, ipc_send(self->mb, "p2", 2, NULL, 0));
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(p1));
	for (i = 0; i < 5; i++) {
		memset(&o, 0, sizeof(o));
		o.flags = IPC_SEL_FROM;
		o.from = p2;
		ASSERT_EQ(2, pd_recv(self->mb, buf, IPC_WAIT_NS(5 * TC_SEC), 0, &o));
		EXPECT_STREQ("p2", buf);
	}
	o.flags = IPC_SEL_FROM;
	o.from = p2;
	EXPECT_EQ(-EAGAIN, pd_recv(self->mb, buf, IPC_WAIT_NONE, 0, &o));
	tc_kill(p2);
	/* p1 has exited and been reaped: no such process. */
	o.flags = IPC_SEL_FROM;
	o.from = p1;
	EXPECT_EQ(-ESRCH, pd_recv(self->mb, buf, IPC_WAIT_NONE, 0, &o));
	EXPECT_EQ(5, lt_info_msgs(self->mb));
}

/* ---- ports ------------------------------------------------------------------- */

TEST_F(pd, port_by_pid_and_owner_death)
{
	struct ipc_attr a = lt_attr(4, MSG, 0600);
	struct ipc_msginfo mi;
	struct ipc_info info;
	struct ipc_mbox *snd;
	int *shared = tc_shared(sizeof(uint64_t) * 2);
	uint64_t port, *sp = (uint64_t *)shared;
	char buf[MSG];
	pid_t owner, me = getpid();

	ASSERT_NE(NULL, shared);
	/* Our own port: others send to it by pid. */
	ASSERT_EQ(0, ipc_port_create(&a, &self->mb, &port));
	ASSERT_NE(0, port);
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(IPC_PORT | IPC_SELECT, info.flags & (IPC_PORT | IPC_SELECT));
	EXPECT_EQ(me, info.port_pid);
	owner = tc_fork();
	if (owner == 0) {
		TC_CHECK_EQ(0, ipc_send_to(me, port, "hi", 2, NULL, 0));
		TC_CHECK_EQ(-ECONNREFUSED, ipc_send_to(me, port + 1, "x", 1, NULL, 0));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(owner));
	ASSERT_EQ(2, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NS(5 * TC_SEC), 0, &mi));
	EXPECT_EQ(owner, mi.pid);

	/* A port of another process, which dies: ECONNREFUSED, then ESRCH. */
	owner = tc_fork();
	if (owner == 0) {
		struct ipc_mbox *p;

		TC_CHECK_EQ(0, ipc_port_create(NULL, &p, &sp[0]));
		__atomic_store_n(&sp[1], 1, __ATOMIC_RELEASE);
		TC_CHECK_EQ(2, ipc_recv(p, buf, sizeof(buf), NULL, 0, NULL));
		pause();
		_exit(0);
	}
	while (!__atomic_load_n(&sp[1], __ATOMIC_ACQUIRE))
		tc_sleep_ms(1);
	EXPECT_EQ(-ESRCH, ipc_port_open(INT32_MAX - 1, sp[0], &snd));
	ASSERT_EQ(0, ipc_port_open(owner, sp[0], &snd));
	ASSERT_EQ(0, ipc_send(snd, "yo", 2, NULL, 0));
	ipc_release(snd);
	kill(owner, SIGKILL);
	{
		siginfo_t si;

		ASSERT_EQ(0, waitid(P_PID, owner, &si, WEXITED | WNOWAIT));
	}
	/* A zombie is gone as a port owner too. */
	EXPECT_EQ(-ECONNREFUSED, ipc_port_open(owner, sp[0], &snd));
	tc_kill(owner);
	EXPECT_EQ(-ESRCH, ipc_port_open(owner, sp[0], &snd));
	munmap(shared, sizeof(uint64_t) * 2);

	/* Released: ECONNREFUSED, from this process too. */
	ipc_release(self->mb);
	self->mb = NULL;
	EXPECT_EQ(-ECONNREFUSED, ipc_port_open(me, port, &snd));
}

TEST_F(pd, port_mode)
{
	struct ipc_attr a = lt_attr(4, MSG, 0600);
	struct ipc_mbox *snd;
	uint64_t port;
	pid_t pid, me = getpid();

	if (geteuid() != 0)
		TC_SKIP("needs root to be another user");
	ASSERT_EQ(0, ipc_port_create(&a, &self->mb, &port));
	pid = tc_fork();
	if (pid == 0) {
		TC_CHECK_EQ(0, tc_become(TC_NOBODY, TC_NOBODY));
		TC_CHECK_EQ(-EACCES, ipc_port_open(me, port, &snd));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
}

/* ---- calls -------------------------------------------------------------------- */

/* A server child: answers n calls with "re:" + the request, then exits. */
static pid_t pd_server(struct ipc_mbox *mb, int n)
{
	pid_t pid = tc_fork();

	if (pid == 0) {
		struct ipc_recvopt o;
		char buf[MSG], out[MSG + 3] = "";
		ssize_t len;
		int i, rr;
		uint64_t call = 0;

		for (i = 0; i <= n; i++) {
			memset(&o, 0, sizeof(o));
			len = ipc_reply_recv(mb, call, out, strlen(out) * !!call, &rr,
					     buf, sizeof(buf) - 1, i < n ? NULL : IPC_WAIT_NONE,
					     0, NULL, &o);
			if (call)
				TC_CHECK_EQ(0, rr);
			if (i == n)
				break;
			TC_CHECK(len >= 0);
			TC_CHECK(o.call != 0);
			buf[len] = '\0';
			snprintf(out, sizeof(out), "re:%s", buf);
			call = o.call;
		}
		_exit(0);
	}
	return pid;
}

TEST_F(pd, call_returns_reply)
{
	struct ipc_callinfo ci;
	struct ipc_info info;
	char buf[MSG];
	pid_t srv;
	ssize_t n;

	self->mb = pd_box(4, 0);
	ASSERT_NE(NULL, self->mb);
	srv = pd_server(self->mb, 3);
	for (int i = 0; i < 3; i++) {
		n = ipc_call(self->mb, "ping", 4, buf, sizeof(buf), IPC_WAIT_NS(10 * TC_SEC), 0, &ci);
		ASSERT_EQ(7, n);
		EXPECT_EQ(0, memcmp(buf, "re:ping", 7));
		EXPECT_EQ(IPC_CALL_RECEIVED, ci.flags & IPC_CALL_RECEIVED);
		EXPECT_EQ(srv, ci.pid);
		EXPECT_EQ(7, ci.len);
	}
	EXPECT_EQ(0, tc_wait(srv));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(0, info.calls_pending);
}

/* Errors of the server's side: ENOENT, EMSGSIZE (still pending), a dropped call. */
TEST_F(pd, reply_errors)
{
	struct ipc_callinfo ci;
	struct ipc_recvopt o;
	struct ipc_info info;
	char buf[MSG];
	pid_t cl;

	self->mb = pd_box(4, 0);
	ASSERT_NE(NULL, self->mb);
	EXPECT_EQ(-ENOENT, ipc_reply(self->mb, 12345, "x", 1));
	cl = tc_fork();
	if (cl == 0) {
		char r[4];

		TC_CHECK_EQ(2, ipc_call(self->mb, "q", 1, r, sizeof(r), NULL, 0, &ci));
		TC_CHECK(ci.flags & IPC_CALL_RECEIVED);
		/* The second one is taken by a plain receive: dropped. */
		TC_CHECK_EQ(-ECONNRESET, ipc_call(self->mb, "q2", 2, r, sizeof(r), NULL, 0, &ci));
		TC_CHECK(ci.flags & IPC_CALL_RECEIVED);
		_exit(0);
	}
	memset(&o, 0, sizeof(o));
	o.flags = IPC_SEL_CALLS;
	ASSERT_EQ(1, pd_recv(self->mb, buf, IPC_WAIT_NS(10 * TC_SEC), 0, &o));
	ASSERT_NE(0, o.call);
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(1, info.calls_pending);
	EXPECT_EQ(-EMSGSIZE, ipc_reply(self->mb, o.call, "toolong", 7));
	EXPECT_EQ(-ENOENT, ipc_reply(self->mb, o.call + 1, "ok", 2));
	EXPECT_EQ(0, ipc_reply(self->mb, o.call, "ok", 2));
	EXPECT_EQ(-ENOENT, ipc_reply(self->mb, o.call, "ok", 2));
	ASSERT_EQ(2, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NS(10 * TC_SEC)));
	EXPECT_EQ(0, tc_wait(cl));
}

/* A call not taken in time is withdrawn: not received. */
TEST_F(pd, call_timeout_before_receipt)
{
	struct ipc_callinfo ci;
	char buf[MSG];

	self->mb = pd_box(4, 0);
	ASSERT_NE(NULL, self->mb);
	EXPECT_EQ(-ETIMEDOUT, ipc_call(self->mb, "q", 1, buf, sizeof(buf),
				       IPC_WAIT_NS(20 * TC_MS), 0, &ci));
	EXPECT_EQ(0, ci.flags & IPC_CALL_RECEIVED);
	EXPECT_EQ(0, lt_info_msgs(self->mb));
}

/* A server killed mid-call wakes its caller: ECONNRESET, received. */
TEST_F(pd, server_killed_mid_call)
{
	struct ipc_callinfo ci;
	int64_t t0;
	char buf[MSG];
	pid_t srv;

	self->mb = pd_box(4, 0);
	ASSERT_NE(NULL, self->mb);
	srv = tc_fork();
	if (srv == 0) {
		struct ipc_recvopt o = { .flags = IPC_SEL_CALLS };

		TC_CHECK_EQ(1, ipc_recv_opt(self->mb, buf, sizeof(buf), NULL, 0, NULL, &o));
		raise(SIGKILL);
	}
	t0 = tc_now_ns();
	EXPECT_EQ(-ECONNRESET, ipc_call(self->mb, "q", 1, buf, sizeof(buf), NULL, 0, &ci));
	EXPECT_EQ(IPC_CALL_RECEIVED, ci.flags & IPC_CALL_RECEIVED);
	EXPECT_GT(5 * TC_SEC, tc_now_ns() - t0);
	tc_kill(srv);
	/* A server that releases its handle drops its calls too. */
	srv = tc_fork();
	if (srv == 0) {
		struct ipc_recvopt o = { .flags = IPC_SEL_CALLS };

		TC_CHECK_EQ(1, ipc_recv_opt(self->mb, buf, sizeof(buf), NULL, 0, NULL, &o));
		ipc_release(self->mb);
		pause();
		_exit(0);
	}
	EXPECT_EQ(-ECONNRESET, ipc_call(self->mb, "q", 1, buf, sizeof(buf), NULL, 0, &ci));
	EXPECT_EQ(IPC_CALL_RECEIVED, ci.flags & IPC_CALL_RECEIVED);
	tc_kill(srv);
}

/* A caller killed mid-call makes the reply fail with ECONNRESET. */
TEST_F(pd, caller_killed_mid_call)
{
	struct ipc_recvopt o;
	struct ipc_info info;
	char buf[MSG];
	pid_t cl;

	self->mb = pd_box(4, 0);
	ASSERT_NE(NULL, self->mb);
	cl = tc_fork();
	if (cl == 0) {
		ipc_call(self->mb, "q", 1, buf, sizeof(buf), NULL, 0, NULL);
		_exit(1);
	}
	memset(&o, 0, sizeof(o));
	o.flags = IPC_SEL_CALLS;
	ASSERT_EQ(1, pd_recv(self->mb, buf, IPC_WAIT_NS(10 * TC_SEC), 0, &o));
	tc_kill(cl);
	EXPECT_EQ(-ECONNRESET, ipc_reply(self->mb, o.call, "ok", 2));
	EXPECT_EQ(-ENOENT, ipc_reply(self->mb, o.call, "ok", 2));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(0, info.calls_pending);
	/* A caller that timed out after receipt: the same. */
	cl = tc_fork();
	if (cl == 0) {
		struct ipc_callinfo ci;

		TC_CHECK_EQ(-ETIMEDOUT, ipc_call(self->mb, "q", 1, buf, sizeof(buf),
						 IPC_WAIT_NS(300 * TC_MS), 0, &ci));
		TC_CHECK(ci.flags & IPC_CALL_RECEIVED);
		_exit(0);
	}
	memset(&o, 0, sizeof(o));
	o.flags = IPC_SEL_CALLS;
	ASSERT_EQ(1, pd_recv(self->mb, buf, IPC_WAIT_NS(10 * TC_SEC), 0, &o));
	EXPECT_EQ(0, tc_wait(cl));
	EXPECT_EQ(-ECONNRESET, ipc_reply(self->mb, o.call, "ok", 2));
}

TEST_HARNESS_MAIN
