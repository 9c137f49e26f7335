// SPDX-License-Identifier: GPL-2.0
/*
 * Send and receive semantics (docs/semantics.md §4-§6) for each backend
 * and capacity: order, synchronous send, peek, EMSGSIZE, timeouts, close,
 * destroy, first come first served receivers, signals, and many senders
 * and receivers across processes each message exactly once.  Then what
 * only one kind of capacity has: the rendezvous rules, a bounded queue
 * filling up, an unbounded one meeting its byte quota.
 */
#include "lt.h"

#include <sched.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#define CAP_BOUNDED	4

/* Over the default max_msg_size (8192). */
static char lt_big[8193];

FIXTURE(mb) {
	struct ipc_mbox *mb;
	char name[64];
};

FIXTURE_VARIANT(mb) {
	const char *backend;
	uint64_t capacity;
};

FIXTURE_VARIANT_ADD(mb, kernel_rendezvous) { .backend = "kernel", .capacity = 0 };
FIXTURE_VARIANT_ADD(mb, kernel_bounded) { .backend = "kernel", .capacity = CAP_BOUNDED };
FIXTURE_VARIANT_ADD(mb, kernel_unbounded) { .backend = "kernel", .capacity = IPC_UNBOUNDED };
FIXTURE_VARIANT_ADD(mb, posix_rendezvous) { .backend = "posix", .capacity = 0 };
FIXTURE_VARIANT_ADD(mb, posix_bounded) { .backend = "posix", .capacity = CAP_BOUNDED };
FIXTURE_VARIANT_ADD(mb, posix_unbounded) { .backend = "posix", .capacity = IPC_UNBOUNDED };

FIXTURE_SETUP(mb)
{
	struct ipc_attr a = lt_attr(variant->capacity, 0, 0600);

	LT_USE_BACKEND(variant->backend);
	lt_name(self->name, sizeof(self->name), "sem");
	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
}

FIXTURE_TEARDOWN(mb)
{
	if (self->mb)
		ipc_release(self->mb);
	ipc_unlink(self->name);
}

/*
 * Make msg the next message to receive: queued, or for a rendezvous
 * offered by a blocked child (returned, to be waited for; else 0).
 */
static pid_t lt_offer(struct __test_metadata *_metadata, struct ipc_mbox *mb,
		      uint64_t capacity, const char *msg)
{
	struct ipc_info info;
	uint64_t before;
	pid_t pid;

	if (capacity) {
		EXPECT_EQ(0, ipc_send(mb, msg, strlen(msg), NULL, 0));
		return 0;
	}
	before = lt_info_msgs(mb);
	pid = lt_spawn_send(mb, msg, NULL, 0);
	EXPECT_EQ(0, LT_WAIT_INFO(mb, info, info.msgs == before + 1));
	return pid;
}

TEST_F(mb, order_one_sender)
{
	const int n = 300;
	char buf[32], want[32];
	pid_t pid;
	int i;

	pid = tc_fork();
	if (pid == 0) {
		for (i = 0; i < n; i++) {
			snprintf(buf, sizeof(buf), "m%d", i);
			TC_CHECK_EQ(0, ipc_send(self->mb, buf, strlen(buf), NULL, 0));
		}
		_exit(0);
	}
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "m%d", i);
		ASSERT_LT(0, lt_recv_str(self->mb, buf, sizeof(buf), NULL));
		ASSERT_STREQ(want, buf);
	}
	ASSERT_EQ(0, tc_wait(pid));
	EXPECT_EQ(0, lt_info_msgs(self->mb));
}

/*
 * Wake-ups are prompt, both ways: a blocked receiver gets a message at
 * once, a blocked sender learns at once that its message was taken.  (The
 * posix backend's waiters also wake every 100 ms to look for dead peers,
 * which would hide a lost wake-up from every other test.)
 */
static int lt_cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

TEST_F(mb, prompt_wakeups)
{
	int64_t t0, lat[20];
	char buf[8];
	pid_t pid;
	int i, n = 20;

	for (i = 0; i < n; i++) {
		pid = i % 2 ? lt_spawn_send(self->mb, "w", NULL, IPC_SYNC)
			    : lt_spawn_recv(self->mb, "w", NULL, 0);
		ASSERT_EQ(0, lt_wait_waiters(self->mb, i % 2, !(i % 2)));
		t0 = tc_now_ns();
		if (i % 2) {
			ASSERT_EQ(1, ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL));
		} else {
			ASSERT_EQ(0, ipc_send(self->mb, "w", 1, NULL, 0));
		}
		ASSERT_EQ(0, tc_wait(pid));
		lat[i] = tc_now_ns() - t0;
	}
	qsort(lat, n, sizeof(lat[0]), lt_cmp64);
	/*
	 * A lost wake-up is only made good by the 100 ms re-check, so lost
	 * wake-ups put the median at 100 ms or more; a prompt wake-up costs
	 * scheduling only, a few ms, some tens in a slow emulated guest.
	 */
	EXPECT_GT(90 * TC_MS, lat[n / 2]) TH_LOG("median %lld us", (long long)lat[n / 2] / 1000);
}

TEST_F(mb, sync_send)
{
	struct ipc_info before, after;
	char buf[16];
	pid_t pid;

	/* Blocks until a receiver has taken it, whatever the capacity. */
	pid = lt_spawn_send(self->mb, "sync", NULL, IPC_SYNC);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	tc_sleep_ms(20);
	ASSERT_TRUE(tc_running(pid));
	ASSERT_EQ(4, lt_recv_str(self->mb, buf, sizeof(buf), NULL));
	ASSERT_STREQ("sync", buf);
	ASSERT_EQ(0, tc_wait(pid));

	/* Nobody takes it: it is withdrawn, as if never sent. */
	ASSERT_EQ(0, ipc_info(self->mb, &before));
	EXPECT_EQ(-ETIMEDOUT, ipc_send(self->mb, "t", 1, IPC_WAIT_NS(30 * TC_MS), IPC_SYNC));
	EXPECT_EQ(-EAGAIN, ipc_send(self->mb, "a", 1, IPC_WAIT_NONE, IPC_SYNC));
	ASSERT_EQ(0, ipc_info(self->mb, &after));
	EXPECT_EQ(0, after.msgs);
	EXPECT_EQ(before.sent, after.sent);
	EXPECT_EQ(-EAGAIN, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));

	/* Non-blocking succeeds when a receiver is already waiting. */
	pid = lt_spawn_recv(self->mb, "nb", NULL, 0);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	EXPECT_EQ(0, ipc_send(self->mb, "nb", 2, IPC_WAIT_NONE, IPC_SYNC));
	EXPECT_EQ(0, tc_wait(pid));
}

TEST_F(mb, peek_and_emsgsize)
{
	struct ipc_msginfo mi;
	char buf[32];
	pid_t pid;

	pid = lt_offer(_metadata, self->mb, variant->capacity, "peekaboo");
	/* Peek, and a buffer too small, leave it where it is. */
	EXPECT_EQ(8, ipc_recv(self->mb, buf, sizeof(buf), NULL, IPC_PEEK, &mi));
	EXPECT_EQ(0, memcmp(buf, "peekaboo", 8));
	EXPECT_EQ(8, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, IPC_PEEK, NULL));
	EXPECT_EQ(-EMSGSIZE, ipc_recv(self->mb, buf, 7, NULL, 0, &mi));
	EXPECT_EQ(8, mi.len);
	EXPECT_EQ(1, lt_info_msgs(self->mb));
	if (pid) {
		tc_sleep_ms(20);
		EXPECT_TRUE(tc_running(pid)) TH_LOG("a peek completed a rendezvous");
	}
	EXPECT_EQ(8, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NONE));
	EXPECT_STREQ("peekaboo", buf);
	if (pid)
		EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(-EAGAIN, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, IPC_PEEK, NULL));
}

/* The call returns rc no sooner than its deadline and not long after. */
#define LT_EXPECT_TIMED(expected, call, deadline) do {			\
	int64_t __t;							\
	EXPECT_EQ((expected), (call));					\
	__t = tc_now_ns();							\
	EXPECT_LE((deadline), __t);					\
	EXPECT_GT((deadline) + 2 * TC_SEC, __t);			\
} while (0)

TEST_F(mb, timeouts)
{
	char buf[8];
	int64_t t0;
	int i;

	EXPECT_EQ(-EAGAIN, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));
	t0 = tc_now_ns();
	LT_EXPECT_TIMED(-ETIMEDOUT, ipc_recv(self->mb, buf, sizeof(buf),
					     IPC_WAIT_NS(50 * TC_MS), 0, NULL), t0 + 50 * TC_MS);
	t0 = tc_now_ns();
	LT_EXPECT_TIMED(-ETIMEDOUT, ipc_recv(self->mb, buf, sizeof(buf),
					     IPC_WAIT_UNTIL(t0 + 50 * TC_MS), 0, NULL),
			t0 + 50 * TC_MS);
	/* A deadline already past, or a zero timeout: at once. */
	t0 = tc_now_ns();
	EXPECT_EQ(-ETIMEDOUT, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_UNTIL(1), 0, NULL));
	EXPECT_EQ(-ETIMEDOUT, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NS(0), 0, NULL));
	EXPECT_GT(t0 + TC_SEC, tc_now_ns());

	/* Senders: only what would wait can time out. */
	if (variant->capacity == IPC_UNBOUNDED) {
		for (i = 0; i < 10; i++)
			EXPECT_EQ(0, ipc_send(self->mb, "u", 1, IPC_WAIT_NS(0), 0));
		return;
	}
	for (i = 0; i < (int)variant->capacity; i++)
		EXPECT_EQ(0, ipc_send(self->mb, "b", 1, IPC_WAIT_NS(0), 0));
	EXPECT_EQ(-EAGAIN, ipc_send(self->mb, "x", 1, IPC_WAIT_NONE, 0));
	t0 = tc_now_ns();
	LT_EXPECT_TIMED(-ETIMEDOUT, ipc_send(self->mb, "x", 1, IPC_WAIT_NS(50 * TC_MS), 0),
			t0 + 50 * TC_MS);
	t0 = tc_now_ns();
	LT_EXPECT_TIMED(-ETIMEDOUT, ipc_send(self->mb, "x", 1,
					     IPC_WAIT_UNTIL(t0 + 30 * TC_MS), 0),
			t0 + 30 * TC_MS);
	/* Nothing of the failed sends is there. */
	EXPECT_EQ(variant->capacity, lt_info_msgs(self->mb));
}

TEST_F(mb, close)
{
	struct ipc_info info;
	pid_t rcv, snd;
	char buf[8];

	/* A blocked receiver and a blocked (rendezvous or sync) sender. */
	rcv = lt_spawn_recv(self->mb, NULL, NULL, 0);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	ASSERT_EQ(0, ipc_close(self->mb));
	EXPECT_EQ(EPIPE, tc_wait(rcv));
	/* Closing twice is an error, as in Go: the second closer learns it. */
	EXPECT_EQ(-EPIPE, ipc_close(self->mb));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(IPC_STATE_CLOSED, info.state);
	EXPECT_EQ(-EPIPE, ipc_send(self->mb, "x", 1, IPC_WAIT_NONE, 0));
	/* The state comes first: not EMSGSIZE. */
	EXPECT_EQ(-EPIPE, ipc_send(self->mb, NULL, 0, NULL, 0));
	EXPECT_EQ(-EPIPE, ipc_send(self->mb, lt_big, sizeof(lt_big), NULL, 0));
	EXPECT_EQ(-EPIPE, ipc_send(self->mb, "x", 1, NULL, IPC_SYNC));
	EXPECT_EQ(-EPIPE, ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL));
	EXPECT_EQ(-EPIPE, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, IPC_PEEK, NULL));
	ipc_release(self->mb);
	ASSERT_EQ(0, ipc_unlink(self->name));

	/* Blocked senders get EPIPE, and their messages are withdrawn. */
	self->mb = lt_anon(variant->capacity, 0);
	ASSERT_NE(NULL, self->mb);
	snd = lt_spawn_send(self->mb, "w", NULL, IPC_SYNC);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	ASSERT_EQ(0, ipc_close(self->mb));
	/* Withdrawn by the close itself: nothing left to drain, at once. */
	EXPECT_EQ(-EPIPE, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));
	EXPECT_EQ(EPIPE, tc_wait(snd));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(IPC_STATE_CLOSED, info.state);
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(0, info.sent);

	/* Receivers drain what is queued, then get EPIPE. */
	if (variant->capacity) {
		ipc_release(self->mb);
		self->mb = lt_anon(variant->capacity, 0);
		ASSERT_NE(NULL, self->mb);
		ASSERT_EQ(0, ipc_send(self->mb, "1", 1, NULL, 0));
		ASSERT_EQ(0, ipc_send(self->mb, "2", 1, NULL, 0));
		ASSERT_EQ(0, ipc_close(self->mb));
		/* A second close changes nothing: the queue stays to drain. */
		EXPECT_EQ(-EPIPE, ipc_close(self->mb));
		EXPECT_EQ(2, lt_info_msgs(self->mb));
		EXPECT_EQ(1, lt_recv_str(self->mb, buf, sizeof(buf), NULL));
		EXPECT_STREQ("1", buf);
		EXPECT_EQ(1, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NONE));
		EXPECT_STREQ("2", buf);
		EXPECT_EQ(-EPIPE, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));
	}
	/* Destroy after close still works; close after destroy does not. */
	EXPECT_EQ(0, ipc_destroy(self->mb));
	EXPECT_EQ(-EIDRM, ipc_close(self->mb));
}

/* Of closers racing, each in its own process, exactly one closes. */
TEST_F(mb, close_once)
{
	enum { N = 8 };
	int i, status, closed = 0, epipe = 0, go[2];
	pid_t pid[N];
	char c;

	ASSERT_EQ(0, pipe(go));
	for (i = 0; i < N; i++) {
		pid[i] = tc_fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			close(go[1]);
			if (read(go[0], &c, 1) != 0)
				_exit(100);
			_exit(-ipc_close(self->mb));
		}
	}
	close(go[0]);
	close(go[1]);		/* all at once */
	for (i = 0; i < N; i++) {
		status = tc_wait(pid[i]);
		closed += status == 0;
		epipe += status == EPIPE;
	}
	EXPECT_EQ(1, closed);
	EXPECT_EQ(N - 1, epipe);
	EXPECT_EQ(-EPIPE, ipc_close(self->mb));
}

TEST_F(mb, destroy)
{
	struct ipc_attr a = lt_attr(variant->capacity, 0, 0600);
	struct ipc_mbox *other, *again;
	struct ipc_info info, info2;
	pid_t rcv, snd;
	char buf[8];
	int i, queued = variant->capacity ? 3 : 0;

	/* A receiver blocked on another handle gets EIDRM. */
	ASSERT_EQ(0, ipc_open(self->name, IPC_RECV | IPC_SEND, &other));
	rcv = lt_spawn_recv(other, NULL, NULL, 0);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	ASSERT_EQ(0, ipc_destroy(self->mb));
	EXPECT_EQ(EIDRM, tc_wait(rcv));
	ipc_release(other);
	ipc_release(self->mb);
	self->mb = NULL;

	/* Queued messages are dropped; blocked senders and all calls get EIDRM. */
	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	ASSERT_EQ(0, ipc_open(self->name, IPC_RECV | IPC_SEND, &other));
	for (i = 0; i < queued; i++)
		ASSERT_EQ(0, ipc_send(self->mb, "q", 1, NULL, 0));
	snd = lt_spawn_send(self->mb, "s", NULL, IPC_SYNC);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	ASSERT_EQ(0, ipc_destroy(other));
	EXPECT_EQ(EIDRM, tc_wait(snd));
	ASSERT_EQ(0, ipc_info(self->mb, &info2));
	EXPECT_EQ(IPC_STATE_DESTROYED, info2.state);
	EXPECT_EQ(0, info2.msgs);
	EXPECT_EQ(queued, info2.dropped);
	EXPECT_EQ(queued, info2.sent);		/* the waiting sender's was withdrawn */
	EXPECT_STREQ("", info2.name);
	EXPECT_EQ(-EIDRM, ipc_send(self->mb, "x", 1, IPC_WAIT_NONE, 0));
	EXPECT_EQ(-EIDRM, ipc_send(self->mb, lt_big, sizeof(lt_big), NULL, 0));
	EXPECT_EQ(-EIDRM, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));
	EXPECT_EQ(-EIDRM, ipc_recv(other, buf, sizeof(buf), NULL, IPC_PEEK, NULL));
	EXPECT_EQ(-EIDRM, ipc_close(self->mb));
	EXPECT_EQ(-EIDRM, ipc_destroy(self->mb));
	/* The name went with it and can be had again. */
	EXPECT_EQ(-ENOENT, ipc_open(self->name, IPC_RECV, &again));
	EXPECT_EQ(-ENOENT, ipc_unlink(self->name));
	ASSERT_EQ(0, ipc_create(self->name, NULL, IPC_RECV, &again));
	ASSERT_EQ(0, ipc_info(again, &info2));
	EXPECT_NE(info.id, info2.id);
	EXPECT_EQ(IPC_STATE_OPEN, info2.state);
	ipc_release(again);
	ipc_release(other);
}

TEST_F(mb, receivers_first_come_first_served)
{
	pid_t a, b, c;

	a = lt_spawn_recv(self->mb, "1", NULL, 0);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	b = lt_spawn_recv(self->mb, "2", NULL, 0);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 2));
	c = lt_spawn_recv(self->mb, "3", NULL, 0);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 3));
	ASSERT_EQ(0, ipc_send(self->mb, "1", 1, NULL, 0));
	ASSERT_EQ(0, ipc_send(self->mb, "2", 1, NULL, 0));
	ASSERT_EQ(0, ipc_send(self->mb, "3", 1, NULL, 0));
	EXPECT_EQ(0, tc_wait(a));
	EXPECT_EQ(0, tc_wait(b));
	EXPECT_EQ(0, tc_wait(c));
}

static volatile sig_atomic_t lt_got_signal;

static void lt_on_signal(int sig)
{
	(void)sig;
	lt_got_signal = 1;
}

/*
 * A child blocked in a receive (or a synchronous send) when SIGUSR1
 * arrives; its handler has SA_RESTART or not.  Exits with the errno.
 */
static pid_t lt_spawn_signalled(struct ipc_mbox *mb, bool send, bool restart,
				const struct ipc_wait *w)
{
	struct sigaction sa;
	pid_t pid = tc_fork();
	char buf[8];
	ssize_t n;

	if (pid)
		return pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = lt_on_signal;
	sa.sa_flags = restart ? SA_RESTART : 0;
	TC_CHECK_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	if (send)
		_exit(-ipc_send(mb, "s", 1, w, IPC_SYNC));
	n = ipc_recv(mb, buf, sizeof(buf), w, 0, NULL);
	_exit(n < 0 ? -n : 0);
}

/*
 * Signal a blocked child until it ends: its exit status.  The kernel
 * backend reacts to the first signal; the posix backend may miss one that
 * lands in the few instructions around entering its sleep (userspace
 * cannot unblock signals and sleep on a futex atomically; see
 * libipc/README.md), so it gets more.
 */
static int lt_signal_until_done(pid_t pid)
{
	int64_t end = tc_now_ns() + 10 * TC_SEC;

	while (tc_running(pid) && tc_now_ns() < end) {
		kill(pid, SIGUSR1);
		tc_sleep_ms(10);
	}
	return tc_wait(pid);
}

TEST_F(mb, signals)
{
	struct ipc_info info;
	pid_t pid;

	/* No SA_RESTART: EINTR, nothing consumed or sent. */
	pid = lt_spawn_signalled(self->mb, false, false, NULL);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	EXPECT_EQ(EINTR, lt_signal_until_done(pid));
	pid = lt_spawn_signalled(self->mb, true, false, NULL);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	EXPECT_EQ(EINTR, lt_signal_until_done(pid));
	ASSERT_EQ(0, LT_WAIT_INFO(self->mb, info, info.senders_waiting == 0));
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(0, info.sent);

	/* A relative timeout is never restarted: it would start over. */
	pid = lt_spawn_signalled(self->mb, false, true, IPC_WAIT_NS(20 * TC_SEC));
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	EXPECT_EQ(EINTR, lt_signal_until_done(pid));

	/* Blocking, or an absolute deadline, with SA_RESTART: restarted. */
	pid = lt_spawn_signalled(self->mb, false, true, NULL);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	kill(pid, SIGUSR1);
	tc_sleep_ms(50);
	EXPECT_TRUE(tc_running(pid));
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	ASSERT_EQ(0, ipc_send(self->mb, "r", 1, NULL, 0));
	EXPECT_EQ(0, tc_wait(pid));

	pid = lt_spawn_signalled(self->mb, true, true, IPC_WAIT_UNTIL(tc_now_ns() + 20 * TC_SEC));
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	kill(pid, SIGUSR1);
	tc_sleep_ms(50);
	EXPECT_TRUE(tc_running(pid));
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	ASSERT_EQ(1, ipc_recv(self->mb, &info, sizeof(info), NULL, 0, NULL));
	EXPECT_EQ(0, tc_wait(pid));
}

/*
 * Many senders and many receivers, all processes: every message arrives
 * exactly once, and each receiver sees each sender's messages in order.
 */
#define MP_SENDERS	3
#define MP_RECEIVERS	3
#define MP_MSGS		1500

struct mp_msg {
	uint32_t sender, seq;
	uint8_t fill[40];
};

TEST_F(mb, many_to_many_exactly_once)
{
	pid_t snd[MP_SENDERS], rcv[MP_RECEIVERS];
	struct ipc_info info;
	uint8_t *count;
	int i, s, q;

	count = tc_shared(MP_SENDERS * MP_MSGS);
	ASSERT_NE(NULL, count);
	for (i = 0; i < MP_RECEIVERS; i++) {
		rcv[i] = tc_fork();
		if (rcv[i] == 0) {
			int64_t last[MP_SENDERS];
			struct mp_msg m;
			ssize_t n;

			for (s = 0; s < MP_SENDERS; s++)
				last[s] = -1;
			while ((n = ipc_recv(self->mb, &m, sizeof(m), NULL, 0, NULL)) >= 0) {
				TC_CHECK_EQ(sizeof(m), n);
				TC_CHECK(m.sender < MP_SENDERS && m.seq < MP_MSGS);
				TC_CHECK(last[m.sender] < (int64_t)m.seq);
				TC_CHECK(m.fill[39] == (uint8_t)(m.seq ^ m.sender));
				last[m.sender] = m.seq;
				__atomic_add_fetch(&count[m.sender * MP_MSGS + m.seq], 1,
						   __ATOMIC_RELAXED);
			}
			TC_CHECK_EQ(-EPIPE, n);
			_exit(0);
		}
	}
	for (i = 0; i < MP_SENDERS; i++) {
		snd[i] = tc_fork();
		if (snd[i] == 0) {
			struct mp_msg m = { .sender = i };

			for (q = 0; q < MP_MSGS; q++) {
				m.seq = q;
				m.fill[39] = (uint8_t)(q ^ i);
				TC_CHECK_EQ(0, ipc_send(self->mb, &m, sizeof(m), NULL, 0));
			}
			_exit(0);
		}
	}
	for (i = 0; i < MP_SENDERS; i++)
		ASSERT_EQ(0, tc_wait(snd[i]));
	ASSERT_EQ(0, ipc_close(self->mb));
	for (i = 0; i < MP_RECEIVERS; i++)
		ASSERT_EQ(0, tc_wait(rcv[i]));
	for (i = 0; i < MP_SENDERS * MP_MSGS; i++)
		ASSERT_EQ(1, count[i]) TH_LOG("sender %d message %d", i / MP_MSGS, i % MP_MSGS);
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(MP_SENDERS * MP_MSGS, info.sent);
	EXPECT_EQ(MP_SENDERS * MP_MSGS, info.received);
	EXPECT_EQ(0, info.msgs);
	munmap(count, MP_SENDERS * MP_MSGS);
}

/* ---- one kind of capacity ------------------------------------------------- */

FIXTURE(be) {
	struct ipc_mbox *mb;
	bool restore_quota;
	unsigned long long saved_quota;
};

FIXTURE_VARIANT(be) {
	const char *backend;
};

FIXTURE_VARIANT_ADD(be, kernel) { .backend = "kernel" };
FIXTURE_VARIANT_ADD(be, posix) { .backend = "posix" };

#define LT_QUOTA_PARAM "/sys/module/kmbox/parameters/max_bytes_per_user"

static int lt_param(const char *path, unsigned long long *get,
		    const unsigned long long *set)
{
	FILE *f = fopen(path, set ? "we" : "re");
	int ok;

	if (!f)
		return -errno;
	ok = set ? fprintf(f, "%llu\n", *set) > 0 : fscanf(f, "%llu", get) == 1;
	if (fclose(f))
		ok = 0;
	return ok ? 0 : -EIO;
}

FIXTURE_SETUP(be)
{
	LT_USE_BACKEND(variant->backend);
}

FIXTURE_TEARDOWN(be)
{
	if (self->mb)
		ipc_release(self->mb);
	if (self->restore_quota)
		lt_param(LT_QUOTA_PARAM, NULL, &self->saved_quota);
}

/*
 * ipc_create_or_open says whether it made the mailbox or found one there,
 * so that a name someone else took first is noticed.
 */
TEST_F(be, create_or_open_says_which)
{
	struct ipc_attr a = lt_attr(4, 0, 0600);
	struct ipc_mbox *first = NULL, *again = NULL, *anon = NULL;
	char name[64];

	lt_name(name, sizeof(name), "which");
	ASSERT_EQ(1, ipc_create_or_open(name, &a, IPC_RECV | IPC_SEND, &first));
	ASSERT_EQ(0, ipc_create_or_open(name, &a, IPC_SEND, &again));
	EXPECT_EQ(0, ipc_send(again, "x", 1, IPC_WAIT_NONE, 0));
	EXPECT_EQ(1U, lt_info_msgs(first));
	a.flags = IPC_EXCL;
	EXPECT_EQ(-EEXIST, ipc_create_or_open(name, &a, IPC_SEND, &self->mb));
	EXPECT_EQ(NULL, self->mb);
	EXPECT_EQ(1, ipc_create_or_open(NULL, NULL, IPC_SEND, &anon));
	EXPECT_EQ(0, ipc_unlink(name));
	ipc_release(anon);
	ipc_release(again);
	ipc_release(first);
}

/*
 * IPC_OWNER_CLOSE: a client with send access cannot close the owner's
 * mailbox.  The posix backend cannot keep that promise (every peer with
 * send access writes the segment) and refuses the flag.
 */
TEST_F(be, owner_close)
{
	struct ipc_attr a = lt_attr(4, 0, 0666);
	struct ipc_info info;
	char name[64];
	mode_t old;
	pid_t pid;
	int ret;

	lt_name(name, sizeof(name), "ownclose");
	a.flags = IPC_OWNER_CLOSE;
	if (lt_is_posix()) {
		EXPECT_EQ(-ENOTSUP, ipc_create(name, &a, IPC_SEND, &self->mb));
		return;
	}
	old = umask(0);		/* others get the write bit */
	ret = ipc_create(name, &a, IPC_RECV | IPC_SEND, &self->mb);
	umask(old);
	ASSERT_EQ(0, ret);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ipc_mbox *client = NULL;

		TC_CHECK_EQ(0, tc_become(TC_NOBODY, TC_NOBODY));
		TC_CHECK_EQ(0, ipc_open(name, IPC_SEND, &client));
		TC_CHECK_EQ(-EACCES, ipc_close(client));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ((uint32_t)IPC_STATE_OPEN, info.state);
	EXPECT_EQ(0, ipc_close(self->mb));
	EXPECT_EQ(0, ipc_unlink(name));
}

TEST_F(be, rendezvous)
{
	struct ipc_msginfo mi;
	int64_t *when;
	char buf[8];
	pid_t pid;

	self->mb = lt_anon(0, 0);
	ASSERT_NE(NULL, self->mb);
	/* Non-blocking: only with a partner already waiting. */
	EXPECT_EQ(-EAGAIN, ipc_send(self->mb, "x", 1, IPC_WAIT_NONE, 0));
	EXPECT_EQ(-EAGAIN, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));
	EXPECT_EQ(0, lt_info_msgs(self->mb));

	pid = lt_spawn_recv(self->mb, "r", NULL, 0);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	EXPECT_EQ(0, ipc_send(self->mb, "r", 1, IPC_WAIT_NONE, 0));
	EXPECT_EQ(0, tc_wait(pid));

	pid = lt_spawn_send(self->mb, "s", NULL, 0);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	EXPECT_EQ(1, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, &mi));
	EXPECT_EQ(pid, mi.pid);
	EXPECT_EQ(0, tc_wait(pid));

	/* A blocking send returns only once the receiver has it. */
	when = tc_shared(sizeof(*when));
	ASSERT_NE(NULL, when);
	pid = tc_fork();
	if (pid == 0) {
		TC_CHECK_EQ(0, ipc_send(self->mb, "late", 4, NULL, 0));
		*when = tc_now_ns();
		_exit(0);
	}
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	tc_sleep_ms(50);
	EXPECT_EQ(0, *when);
	EXPECT_EQ(4, ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL));
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_NE(0, *when);
	munmap(when, sizeof(*when));
}

/*
 * A non-blocking send that must be taken (rendezvous, IPC_SYNC) and meets
 * a waiting receiver hands the message over and returns at once: it does
 * not wait for that receiver to run (here: stopped).  The kernel's stopped
 * receiver is no longer waiting (the stop took it out of its call), so
 * there the send finds nobody: EAGAIN.
 */
TEST_F(be, nonblocking_handoff_does_not_wait)
{
	static const struct { uint64_t capacity; unsigned int flags; } c[] = {
		{ 0, 0 }, { 0, IPC_SYNC }, { 4, IPC_SYNC },
	};
	unsigned int i;
	pid_t rcv, snd;
	int st;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		self->mb = lt_anon(c[i].capacity, 0);
		ASSERT_NE(NULL, self->mb);
		rcv = lt_spawn_recv(self->mb, "h", NULL, 0);
		ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
		ASSERT_EQ(0, kill(rcv, SIGSTOP));
		ASSERT_EQ(rcv, waitpid(rcv, &st, WUNTRACED));
		snd = lt_spawn_send(self->mb, "h", IPC_WAIT_NONE, c[i].flags);
		st = tc_wait_ms(snd, 2000);
		if (lt_is_posix()) {
			EXPECT_EQ(0, st) TH_LOG("capacity %llu flags %u",
						(unsigned long long)c[i].capacity, c[i].flags);
		} else {
			EXPECT_TRUE(st == 0 || st == EAGAIN) TH_LOG("status %d", st);
		}
		ASSERT_EQ(0, kill(rcv, SIGCONT));
		if (st == EAGAIN)
			EXPECT_EQ(0, ipc_send(self->mb, "h", 1, NULL, c[i].flags));
		EXPECT_EQ(0, tc_wait(rcv));
		EXPECT_EQ(0, lt_info_msgs(self->mb));
		ipc_release(self->mb);
		self->mb = NULL;
	}
}

/* Make futex_waitv fail with EPERM from now on, as a seccomp policy may. */
static int lt_deny_futex_waitv(void)
{
#ifdef SYS_futex_waitv
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex_waitv, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0))
		return -errno;
	return 0;
#else
	return -ENOSYS;
#endif
}

static int64_t lt_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * TC_SEC + ts.tv_nsec;
}

/*
 * futex_waitv denied (seccomp: EPERM): blocked calls sleep all the same,
 * on the older futex call, rather than spin.
 */
TEST_F(be, futex_waitv_denied)
{
	int64_t cpu;
	char buf[8];
	pid_t pid;

	if (!lt_is_posix())
		SKIP(return, "kernel backend: the module does the waiting");
	if (lt_deny_futex_waitv())
		SKIP(return, "cannot install a seccomp filter");
	self->mb = lt_anon(4, 0);
	ASSERT_NE(NULL, self->mb);
	/* Blocking and deadline calls are the ones that use futex_waitv. */
	cpu = lt_cpu_ns();
	EXPECT_EQ(-ETIMEDOUT, ipc_recv(self->mb, buf, sizeof(buf),
				       IPC_WAIT_UNTIL(tc_now_ns() + 300 * TC_MS), 0, NULL));
	EXPECT_GT(100 * TC_MS, lt_cpu_ns() - cpu);
	/* And they are woken. */
	pid = tc_fork();
	if (pid == 0) {
		tc_sleep_ms(50);
		_exit(-ipc_send(self->mb, "w", 1, NULL, 0));
	}
	cpu = lt_cpu_ns();
	EXPECT_EQ(1, ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL));
	EXPECT_GT(40 * TC_MS, lt_cpu_ns() - cpu);
	EXPECT_EQ(0, tc_wait(pid));
}

/*
 * A full /dev/shm (here: a 1 MiB tmpfs in a mount namespace of this test's
 * own) fails a send with ENOBUFS, like the quota, rather than kill the
 * sender with SIGBUS on a page of the segment that cannot be had.
 */
TEST_F(be, shm_full)
{
	struct ipc_attr a = lt_attr(IPC_UNBOUNDED, 64 << 10, 0600);
	static char msg[64 << 10], buf[64 << 10];
	int *sent, i, st;
	pid_t pid;

	if (!lt_is_posix())
		SKIP(return, "kernel backend: messages are kernel memory");
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("lt-shm", "/dev/shm", "tmpfs", 0, "size=1m"))
		SKIP(return, "cannot mount a tmpfs of our own on /dev/shm: %s",
		     strerror(errno));
	setenv("LIBIPC_POSIX_QUOTA", "8M", 1);
	ASSERT_EQ(0, ipc_create("full", &a, IPC_RECV | IPC_SEND, &self->mb));
	sent = tc_shared(sizeof(*sent));
	ASSERT_NE(NULL, sent);
	pid = tc_fork();
	if (pid == 0) {
		for (i = 0; i < 1000; i++) {
			memset(msg, i, sizeof(msg));
			st = ipc_send(self->mb, msg, sizeof(msg), NULL, 0);
			if (st)
				_exit(-st);
			(*sent)++;
		}
		_exit(0);
	}
	EXPECT_EQ(ENOBUFS, tc_wait(pid));
	EXPECT_LT(2, *sent);
	EXPECT_GT(16, *sent);
	/* Nothing sent was lost, and what was freed is used again. */
	for (i = 0; i < *sent; i++) {
		ASSERT_EQ(sizeof(buf), ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));
		EXPECT_EQ((char)i, buf[sizeof(buf) - 1]);
	}
	for (i = 0; i < *sent; i++)
		ASSERT_EQ(0, ipc_send(self->mb, msg, sizeof(msg), IPC_WAIT_NONE, 0));
	EXPECT_EQ(-ENOBUFS, ipc_send(self->mb, msg, sizeof(msg), NULL, 0));
	EXPECT_EQ(*sent, lt_info_msgs(self->mb));
	munmap(sent, sizeof(*sent));
}

/*
 * A receive into an iovec whose lengths add up to far more than any
 * message (and than memory): only the message is written, and nothing
 * the size of the iovec is ever allocated.
 */
TEST_F(be, recvv_huge_iovec)
{
	char a[4], b[64];
	struct iovec iov[2] = {
		{ .iov_base = a, .iov_len = sizeof(a) },
		{ .iov_base = b, .iov_len = (size_t)1 << 40 },	/* says 1 TiB */
	};
	struct ipc_msginfo mi;

	self->mb = lt_anon(4, 0);
	ASSERT_NE(NULL, self->mb);
	ASSERT_EQ(0, ipc_send(self->mb, "0123456789", 10, NULL, 0));
	ASSERT_EQ(10, ipc_recvv(self->mb, iov, 2, IPC_WAIT_NONE, 0, &mi));
	EXPECT_EQ(10, mi.len);
	EXPECT_EQ(0, memcmp(a, "0123", 4));
	EXPECT_EQ(0, memcmp(b, "456789", 6));
}

TEST_F(be, bounded_full)
{
	char buf[8];
	pid_t pid;
	int i;

	self->mb = lt_anon(3, 0);
	ASSERT_NE(NULL, self->mb);
	for (i = 0; i < 3; i++) {
		buf[0] = '0' + i;
		ASSERT_EQ(0, ipc_send(self->mb, buf, 1, IPC_WAIT_NONE, 0));
	}
	EXPECT_EQ(-EAGAIN, ipc_send(self->mb, "x", 1, IPC_WAIT_NONE, 0));
	EXPECT_EQ(-ETIMEDOUT, ipc_send(self->mb, "x", 1, IPC_WAIT_NS(20 * TC_MS), 0));

	/* A blocked sender goes on once there is room, behind the others. */
	pid = lt_spawn_send(self->mb, "3", NULL, 0);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	EXPECT_EQ(3, lt_info_msgs(self->mb));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, lt_recv_str(self->mb, buf, sizeof(buf), NULL));
		EXPECT_EQ('0' + i, buf[0]);
		if (i == 0)
			EXPECT_EQ(0, tc_wait(pid));
	}
	EXPECT_EQ(-EAGAIN, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));
}

TEST_F(be, unbounded_quota)
{
	const unsigned long long quota = 64 << 10;
	char msg[1000], buf[1000];
	struct ipc_info info;
	int64_t t0;
	int n, i;

	if (lt_is_posix()) {
		/* The quota of mailboxes created from now on. */
		setenv("LIBIPC_POSIX_QUOTA", "64K", 1);
	} else {
		if (lt_param(LT_QUOTA_PARAM, &self->saved_quota, NULL) ||
		    lt_param(LT_QUOTA_PARAM, NULL, &quota))
			SKIP(return, "cannot set %s (root?)", LT_QUOTA_PARAM);
		self->restore_quota = true;
	}
	self->mb = lt_anon(IPC_UNBOUNDED, sizeof(msg));
	ASSERT_NE(NULL, self->mb);

	/* Sends never wait; past the quota they fail at once. */
	t0 = tc_now_ns();
	for (n = 0; n < 1000; n++) {
		memset(msg, n, sizeof(msg));
		i = ipc_send(self->mb, msg, sizeof(msg), NULL, 0);
		if (i)
			break;
	}
	EXPECT_EQ(-ENOBUFS, i);
	EXPECT_LT(10, n);
	EXPECT_GT(64, n);
	EXPECT_EQ(-ENOBUFS, ipc_send(self->mb, msg, sizeof(msg), IPC_WAIT_NS(TC_SEC), 0));
	EXPECT_EQ(-ENOBUFS, ipc_send(self->mb, msg, sizeof(msg), NULL, IPC_SYNC));
	EXPECT_GT(t0 + TC_SEC, tc_now_ns());
	/* Nothing already queued was lost. */
	ASSERT_EQ(0, ipc_info(self->mb, &info));
	EXPECT_EQ(n, info.msgs);
	EXPECT_EQ(n * sizeof(msg), info.bytes);
	ASSERT_EQ(sizeof(buf), ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL));
	EXPECT_EQ(0, buf[0]);
	/* Room again for one, not two. */
	EXPECT_EQ(0, ipc_send(self->mb, msg, sizeof(msg), NULL, 0));
	EXPECT_EQ(-ENOBUFS, ipc_send(self->mb, msg, sizeof(msg), NULL, 0));
	for (i = 1; i <= n; i++) {
		ASSERT_EQ(sizeof(buf), ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL));
		EXPECT_EQ((char)i, buf[sizeof(buf) - 1]);
	}
	EXPECT_EQ(0, lt_info_msgs(self->mb));
}

TEST_HARNESS_MAIN
