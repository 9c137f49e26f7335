// SPDX-License-Identifier: GPL-2.0
/*
 * select_test: priorities, tags and selective receive (KMBOX_CREATE_PRIO,
 * KMBOX_CREATE_SELECT, struct kmbox_send's prio and tag, RECV's
 * KMBOX_RECV_TAG, KMBOX_RECV_TAG_LE and KMBOX_RECV_FROM).
 *
 *  - delivery order: the highest priority first, FIFO within one, and
 *    peek, poll, batches and the hand-off to a waiting receiver follow it;
 *  - a message put back (a faulting copy, a receiver killed mid-copy) goes
 *    to the head of its priority, behind higher ones that came meanwhile;
 *  - a receiver selecting a tag takes only that tag and is not even woken
 *    by others; TAG_LE takes the lowest tag <= n, as msgrcv(2) does;
 *  - FROM takes only one sender's messages, in its order, while another
 *    process sends too; a sender that does not exist is ESRCH;
 *  - bad combinations are EINVAL and consume nothing; a version-0 RECV
 *    works on a PRIO mailbox and writes nothing past its struct;
 *  - capacity 0 and bounded mailboxes, close, INFO's create_flags, the
 *    charge of an indexed message.
 */
#include "kmbox_test.h"

#define PRIO		KMBOX_CREATE_PRIO
#define SEL		KMBOX_CREATE_SELECT

static int sel_mbox(__u64 capacity, __u32 flags)
{
	return kt_create(NULL, capacity, 0, 0600, KMBOX_ACCESS_ALL, flags, NULL);
}

static int send_pt(int fd, const char *str, __u32 prio, __u64 tag, __u32 flags)
{
	struct kmbox_send s = {
		.flags = flags,
		.buf = (uintptr_t)str,
		.len = strlen(str),
		.prio = prio,
		.tag = tag,
	};

	return kt_ioctl(fd, KMBOX_IOC_SEND, &s);
}

/* RECV with a selection into buf (NUL-terminated); *out gets the struct. */
static int recv_sel(int fd, char *buf, size_t size, __u32 flags, __u64 want_tag,
		    pid_t want_pid, struct kmbox_recv *out)
{
	struct kmbox_recv r = {
		.flags = flags,
		.buf = (uintptr_t)buf,
		.len = size - 1,
		.want_tag = want_tag,
		.want_pid = want_pid,
	};
	int ret = kt_ioctl(fd, KMBOX_IOC_RECV, &r);

	buf[ret >= 0 ? ret : 0] = '\0';
	if (out)
		*out = r;
	return ret;
}

#define NB	KMBOX_MSG_NONBLOCK

/* Receives one message without waiting and checks its text and prio. */
#define EXPECT_NEXT(fd, text, prio_) do {				\
	struct kmbox_recv __r;						\
	char __b[64];							\
	ASSERT_EQ((int)strlen(text),					\
		  recv_sel((fd), __b, sizeof(__b), NB, 0, 0, &__r));	\
	EXPECT_STREQ((text), __b);					\
	EXPECT_EQ((__u32)(prio_), __r.prio);				\
} while (0)

static unsigned long ctxt_switches(pid_t pid)
{
	char path[64], line[128];
	unsigned long n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %lu", &n) == 1)
			break;
	fclose(f);
	return n;
}

TEST(limits_and_info)
{
	struct kmbox_limits lim;
	struct kmbox_info info;
	int fd;

	ASSERT_EQ(0, kt_limits(&lim));
	EXPECT_EQ(KMBOX_FEATURE_SELECT, lim.features & KMBOX_FEATURE_SELECT);
	fd = sel_mbox(4, PRIO | SEL | KMBOX_CREATE_OWNER_CLOSE);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_EQ((__u32)(PRIO | SEL | KMBOX_CREATE_OWNER_CLOSE), info.create_flags);
	close(fd);
	fd = sel_mbox(4, PRIO);
	ASSERT_LE(0, fd);
	EXPECT_EQ((__u64)PRIO, KT_INFO_FIELD(fd, create_flags));
	close(fd);
	fd = sel_mbox(4, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, create_flags));
	close(fd);
}

/* The highest priority first, FIFO within one; peek and poll agree. */
TEST(priority_order)
{
	static const struct { const char *text; __u32 prio; } in[] = {
		{ "a1", 1 }, { "b1", 5 }, { "a2", 1 }, { "c1", KMBOX_PRIO_MAX },
		{ "b2", 5 }, { "z", 0 }, { "b3", 5 },
	};
	static const char *const out[] = { "c1", "b1", "b2", "b3", "a1", "a2", "z" };
	struct kmbox_recv r;
	char buf[64];
	size_t i;
	int fd;

	fd = sel_mbox(KMBOX_CAPACITY_UNBOUNDED, PRIO);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, kt_revents(fd, POLLIN));
	for (i = 0; i < ARRAY_SIZE(in); i++)
		ASSERT_EQ(0, send_pt(fd, in[i].text, in[i].prio, 0, NB));
	for (i = 0; i < ARRAY_SIZE(out); i++) {
		EXPECT_EQ(POLLIN, kt_revents(fd, POLLIN));
		ASSERT_EQ((int)strlen(out[i]),
			  recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_PEEK, 0, 0, &r));
		EXPECT_STREQ(out[i], buf);
		ASSERT_EQ((int)strlen(out[i]), recv_sel(fd, buf, sizeof(buf), NB, 0, 0, &r));
		EXPECT_STREQ(out[i], buf);
		EXPECT_EQ(getpid(), r.pid);
		EXPECT_EQ(0ULL, r.tag);
		EXPECT_EQ(out[i][0] == 'c' ? KMBOX_PRIO_MAX :
			  out[i][0] == 'b' ? 5U : out[i][0] == 'a' ? 1U : 0U, r.prio);
	}
	EXPECT_EQ(-EAGAIN, recv_sel(fd, buf, sizeof(buf), NB, 0, 0, NULL));
	close(fd);
}

/* read(2) and RECV_BATCH take messages in the same order. */
TEST(priority_order_read_and_batch)
{
	struct kmbox_msgvec vec[3];
	struct kmbox_batch b = { .flags = NB, .count = 3, .vec = (uintptr_t)vec };
	char bufs[3][16], buf[16];
	int fd, i;

	fd = sel_mbox(8, PRIO | SEL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_pt(fd, "low", 1, 7, NB));
	ASSERT_EQ(0, send_pt(fd, "mid", 4, 0, NB));
	ASSERT_EQ(0, send_pt(fd, "top", 9, 3, NB));
	ASSERT_EQ(0, send_pt(fd, "mid2", 4, 1, NB));
	ASSERT_EQ(3, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "top", 3));
	memset(vec, 0, sizeof(vec));
	for (i = 0; i < 3; i++) {
		vec[i].buf = (uintptr_t)bufs[i];
		vec[i].len = sizeof(bufs[i]);
	}
	ASSERT_EQ(3, kt_ioctl(fd, KMBOX_IOC_RECV_BATCH, &b));
	EXPECT_EQ(0, memcmp(bufs[0], "mid", 3));
	EXPECT_EQ(0, memcmp(bufs[1], "mid2", 4));
	EXPECT_EQ(0, memcmp(bufs[2], "low", 3));
	close(fd);
}

/* A copy that faults puts the message back at the head of its priority. */
TEST(requeue_after_fault_keeps_head)
{
	int fd;

	fd = sel_mbox(KMBOX_CAPACITY_UNBOUNDED, PRIO);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_pt(fd, "a", 1, 0, NB));
	ASSERT_EQ(0, send_pt(fd, "b1", 5, 0, NB));
	ASSERT_EQ(0, send_pt(fd, "b2", 5, 0, NB));
	EXPECT_EQ(-EFAULT, kt_recv(fd, kt_bad_ptr(), 64, NB, 0, NULL));
	EXPECT_EQ(3ULL, KT_INFO_FIELD(fd, msgs));
	EXPECT_NEXT(fd, "b1", 5);
	EXPECT_NEXT(fd, "b2", 5);
	EXPECT_NEXT(fd, "a", 1);
	close(fd);
}

/*
 * A receiver killed while its copy waits on a page puts its message back:
 * at the head of its priority, behind a higher one sent meanwhile and
 * before one of its priority sent meanwhile.
 */
TEST(requeue_after_kill_behind_higher)
{
	struct kmbox_info info;
	pid_t pid;
	int fd;

	fd = sel_mbox(KMBOX_CAPACITY_UNBOUNDED, PRIO);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_pt(fd, "a", 1, 0, NB));
	ASSERT_EQ(0, send_pt(fd, "b1", 5, 0, NB));
	ASSERT_EQ(0, send_pt(fd, "b2", 5, 0, NB));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *page = NULL;
		int uffd = kt_uffd_page(&page);

		if (uffd < 0)
			_exit(4);
		/* Nobody resolves the fault: the copy waits until we die. */
		kt_recv(fd, page, 64, 0, 0, NULL);
		_exit(5);
	}
	if (KT_WAIT_INFO(fd, info, info.msgs == 2 || !tc_running(pid))) {
		tc_kill(pid);
		ASSERT_TRUE(0);
	}
	if (!tc_running(pid)) {
		int status = tc_wait(pid);

		if (status == 4)
			SKIP(close(fd); return, "no userfaultfd");
		ASSERT_TRUE(0) TH_LOG("receiver ended early: %d", status);
	}
	ASSERT_EQ(0, send_pt(fd, "c", 9, 0, NB));
	ASSERT_EQ(0, send_pt(fd, "b3", 5, 0, NB));
	tc_kill(pid);
	ASSERT_EQ(0, KT_WAIT_INFO(fd, info, info.msgs == 5));
	EXPECT_NEXT(fd, "c", 9);
	EXPECT_NEXT(fd, "b1", 5);
	EXPECT_NEXT(fd, "b2", 5);
	EXPECT_NEXT(fd, "b3", 5);
	EXPECT_NEXT(fd, "a", 1);
	close(fd);
}

/*
 * A receiver gets the first message that comes while it waits; those that
 * come while it is busy wait for it in priority order.
 */
TEST(busy_receiver_gets_higher_first)
{
	char got[3][16], go = 'g';
	int fd, up[2], down[2], i;
	pid_t pid;

	fd = sel_mbox(KMBOX_CAPACITY_UNBOUNDED, PRIO);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char c;

		memset(got, 0, sizeof(got));
		TC_CHECK(kt_recv(fd, got[0], sizeof(got[0]) - 1, 0, 0, NULL) > 0);
		TC_CHECK(kt_write_all(up[1], got[0], sizeof(got[0])) == 0);
		TC_CHECK(kt_read_all(down[0], &c, 1) == 0);
		for (i = 1; i < 3; i++) {
			TC_CHECK(kt_recv(fd, got[i], sizeof(got[i]) - 1, 0, 0, NULL) > 0);
			TC_CHECK(kt_write_all(up[1], got[i], sizeof(got[i])) == 0);
		}
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));
	ASSERT_EQ(0, send_pt(fd, "first", 0, 0, NB));
	ASSERT_EQ(0, kt_read_all(up[0], got[0], sizeof(got[0])));
	EXPECT_STREQ("first", got[0]);
	ASSERT_EQ(0, send_pt(fd, "low", 1, 0, NB));
	ASSERT_EQ(0, send_pt(fd, "high", 7, 0, NB));
	ASSERT_EQ(0, kt_write_all(down[1], &go, 1));
	ASSERT_EQ(0, kt_read_all(up[0], got[1], sizeof(got[1])));
	ASSERT_EQ(0, kt_read_all(up[0], got[2], sizeof(got[2])));
	EXPECT_STREQ("high", got[1]);
	EXPECT_STREQ("low", got[2]);
	EXPECT_EQ(0, tc_wait(pid));
	close(fd);
}

/*
 * A receiver waiting for a tag is not woken by other tags (its context
 * switches do not move), and takes its own when it comes.
 */
TEST(tag_receiver_woken_only_by_match)
{
	struct kmbox_info info;
	unsigned long before;
	pid_t pid;
	int fd;

	fd = sel_mbox(KMBOX_CAPACITY_UNBOUNDED, SEL);
	ASSERT_LE(0, fd);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kmbox_recv r;
		char buf[64];

		TC_CHECK_EQ(5, recv_sel(fd, buf, sizeof(buf), KMBOX_RECV_TAG, 42, 0, &r));
		TC_CHECK(!strcmp(buf, "match"));
		TC_CHECK_EQ(42, r.tag);
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));
	tc_sleep_ms(50);
	before = ctxt_switches(pid);
	ASSERT_NE(0UL, before);
	ASSERT_EQ(0, send_pt(fd, "one", 0, 1, NB));
	ASSERT_EQ(0, send_pt(fd, "two", 0, 41, NB));
	ASSERT_EQ(0, send_pt(fd, "untagged", 0, 0, NB));
	tc_sleep_ms(100);
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_EQ(3ULL, info.msgs);
	EXPECT_EQ(1U, info.receivers_waiting);
	EXPECT_TRUE(tc_running(pid));
	EXPECT_EQ(before, ctxt_switches(pid));
	ASSERT_EQ(0, send_pt(fd, "match", 0, 42, NB));
	EXPECT_EQ(0, tc_wait(pid));
	/* The others stay, in their order. */
	EXPECT_NEXT(fd, "one", 0);
	EXPECT_NEXT(fd, "two", 0);
	EXPECT_NEXT(fd, "untagged", 0);
	close(fd);
}

/* TAG takes the first of a tag, in priority order; TAG_LE the lowest <= n. */
TEST(tag_and_tag_le)
{
	struct kmbox_recv r;
	char buf[64];
	int fd;

	fd = sel_mbox(KMBOX_CAPACITY_UNBOUNDED, PRIO | SEL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_pt(fd, "t5", 0, 5, NB));
	ASSERT_EQ(0, send_pt(fd, "t3a", 0, 3, NB));
	ASSERT_EQ(0, send_pt(fd, "t8", 0, 8, NB));
	ASSERT_EQ(0, send_pt(fd, "t3b", 2, 3, NB));
	ASSERT_EQ(0, send_pt(fd, "t2", 0, 2, NB));
	ASSERT_EQ(0, send_pt(fd, "t3c", 0, 3, NB));
	ASSERT_EQ(0, send_pt(fd, "big", 0, UINT64_MAX, NB));

	/* The first tagged 3 in delivery order: the higher priority. */
	ASSERT_EQ(3, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_TAG, 3, 0, &r));
	EXPECT_STREQ("t3b", buf);
	EXPECT_EQ(3ULL, r.tag);
	EXPECT_EQ(2U, r.prio);
	EXPECT_EQ(-EAGAIN, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_TAG, 4, 0, NULL));
	EXPECT_EQ(-EAGAIN, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_TAG_LE, 1, 0, NULL));
	/* Peek with a selection leaves it. */
	ASSERT_EQ(2, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_PEEK |
			      KMBOX_RECV_TAG_LE, 4, 0, NULL));
	EXPECT_STREQ("t2", buf);
	ASSERT_EQ(2, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_TAG_LE, 4, 0, &r));
	EXPECT_STREQ("t2", buf);
	EXPECT_EQ(2ULL, r.tag);
	ASSERT_EQ(3, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_TAG_LE, 4, 0, NULL));
	EXPECT_STREQ("t3a", buf);
	ASSERT_EQ(3, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_TAG_LE, 4, 0, NULL));
	EXPECT_STREQ("t3c", buf);
	EXPECT_EQ(-EAGAIN, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_TAG_LE, 4, 0, NULL));
	ASSERT_EQ(3, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_TAG, UINT64_MAX, 0, &r));
	EXPECT_STREQ("big", buf);
	EXPECT_EQ(UINT64_MAX, r.tag);
	/* A plain receive takes the rest in order. */
	EXPECT_NEXT(fd, "t5", 0);
	EXPECT_NEXT(fd, "t8", 0);
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, msgs));
	close(fd);
}

#define FROM_N	40

/* A child that sends FROM_N messages "<name>-<i>", tagged i % 3. */
static pid_t from_sender(int fd, const char *name, int go)
{
	pid_t pid = tc_fork();
	char text[32], c;
	int i;

	if (pid)
		return pid;
	TC_CHECK(kt_read_all(go, &c, 1) == 0);
	for (i = 0; i < FROM_N; i++) {
		snprintf(text, sizeof(text), "%s-%d", name, i);
		TC_CHECK_EQ(0, send_pt(fd, text, 0, i % 3, 0));
	}
	_exit(0);
}

/* P2 (us) receives from P1 only, in P1's order, while P3 sends too. */
TEST(from_one_sender_while_another_sends)
{
	char buf[64], want[32], go[2] = "gg";
	struct kmbox_recv r;
	siginfo_t si;
	pid_t p1, p3;
	int fd, p[2], i;

	fd = sel_mbox(KMBOX_CAPACITY_UNBOUNDED, SEL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(p));
	p1 = from_sender(fd, "p1", p[0]);
	ASSERT_LE(0, p1);
	p3 = from_sender(fd, "p3", p[0]);
	ASSERT_LE(0, p3);
	ASSERT_EQ(0, kt_write_all(p[1], go, 2));
	for (i = 0; i < FROM_N; i++) {
		ASSERT_LT(0, recv_sel(fd, buf, sizeof(buf), KMBOX_RECV_FROM, 0, p1, &r));
		snprintf(want, sizeof(want), "p1-%d", i);
		EXPECT_STREQ(want, buf);
		EXPECT_EQ(p1, r.pid);
	}
	/* P1 has exited (a zombie) with nothing more queued: ESRCH, not EAGAIN. */
	ASSERT_EQ(0, waitid(P_PID, (id_t)p1, &si, WEXITED | WNOWAIT));
	EXPECT_EQ(-ESRCH, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_FROM, 0, p1, NULL));
	EXPECT_EQ(0, tc_wait(p1));
	/*
	 * P3 has sent all once it has exited; it stays a process (a zombie,
	 * not reaped) so that FROM can name it: a reaped one is ESRCH.
	 */
	ASSERT_EQ(0, waitid(P_PID, (id_t)p3, &si, WEXITED | WNOWAIT));
	/* FROM with a tag: P3's messages tagged 2, then its lowest tag <= 1. */
	for (i = 2; i < FROM_N; i += 3) {
		ASSERT_LT(0, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_FROM |
				      KMBOX_RECV_TAG, 2, p3, &r));
		snprintf(want, sizeof(want), "p3-%d", i);
		EXPECT_STREQ(want, buf);
	}
	ASSERT_LT(0, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_FROM |
			      KMBOX_RECV_TAG_LE, 1, p3, &r));
	EXPECT_STREQ("p3-0", buf);
	EXPECT_EQ(0ULL, r.tag);
	EXPECT_EQ(0, tc_wait(p3));
	EXPECT_EQ(-ESRCH, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_FROM, 0, p3, NULL));
	/* The rest of P3's, in its order. */
	for (i = 1; i < FROM_N; i++) {
		if (i % 3 == 2)
			continue;
		ASSERT_LT(0, recv_sel(fd, buf, sizeof(buf), NB, 0, 0, &r));
		snprintf(want, sizeof(want), "p3-%d", i);
		EXPECT_STREQ(want, buf);
		EXPECT_EQ(p3, r.pid);
	}
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, msgs));
	close(fd);
}

/* A sender that does not exist (a child reaped) is ESRCH; bad pids EINVAL. */
TEST(from_unknown_pid)
{
	char buf[16];
	pid_t pid;
	int fd;

	fd = sel_mbox(4, SEL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_send_str(fd, "x", NB));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(0, tc_wait(pid));
	EXPECT_EQ(-ESRCH, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_FROM, 0, pid, NULL));
	EXPECT_EQ(-EINVAL, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_FROM, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_FROM, 0, -1, NULL));
	/* Ourselves: a process that exists, and sent it. */
	EXPECT_EQ(1, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_FROM, 0, getpid(), NULL));
	close(fd);
}

/* Bad combinations: EINVAL, nothing consumed. */
TEST(bad_combinations)
{
	struct kmbox_recv r;
	int plain, prio, sel;
	char buf[16];

	plain = sel_mbox(8, 0);
	prio = sel_mbox(8, PRIO);
	sel = sel_mbox(8, SEL);
	ASSERT_LE(0, plain);
	ASSERT_LE(0, prio);
	ASSERT_LE(0, sel);
	EXPECT_EQ(-EINVAL, send_pt(prio, "x", KMBOX_PRIO_MAX + 1, 0, NB));
	EXPECT_EQ(-EINVAL, send_pt(prio, "x", UINT32_MAX, 0, NB));
	EXPECT_EQ(-EINVAL, send_pt(plain, "x", 1, 0, NB));
	EXPECT_EQ(-EINVAL, send_pt(sel, "x", 1, 0, NB));
	EXPECT_EQ(-EINVAL, send_pt(plain, "x", 0, 1, NB));
	EXPECT_EQ(-EINVAL, send_pt(prio, "x", 0, 1, NB));
	ASSERT_EQ(0, send_pt(plain, "p", 0, 0, NB));
	ASSERT_EQ(0, send_pt(prio, "q", KMBOX_PRIO_MAX, 0, NB));
	ASSERT_EQ(0, send_pt(sel, "s", 0, 1, NB));
	EXPECT_EQ(-EINVAL, recv_sel(plain, buf, sizeof(buf), NB | KMBOX_RECV_TAG, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, recv_sel(prio, buf, sizeof(buf), NB | KMBOX_RECV_TAG_LE, 5, 0, NULL));
	EXPECT_EQ(-EINVAL, recv_sel(plain, buf, sizeof(buf), NB | KMBOX_RECV_FROM, 0,
				    getpid(), NULL));
	EXPECT_EQ(-EINVAL, recv_sel(sel, buf, sizeof(buf), NB | KMBOX_RECV_TAG |
				    KMBOX_RECV_TAG_LE, 1, 0, NULL));
	EXPECT_EQ(-EINVAL, recv_sel(sel, buf, sizeof(buf), NB, 1, 0, NULL));
	EXPECT_EQ(-EINVAL, recv_sel(sel, buf, sizeof(buf), NB, 0, getpid(), NULL));
	/* A reply's fields without KMBOX_RECV_REPLY are bad input. */
	memset(&r, 0, sizeof(r));
	r.flags = NB;
	r.buf = (uintptr_t)buf;
	r.len = sizeof(buf);
	r.reply_len = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(sel, KMBOX_IOC_RECV, &r));
	/* The out fields are ignored on input. */
	r.reply_len = 0;
	r.prio = 7;
	r.tag = 9;
	EXPECT_EQ(1, kt_ioctl(sel, KMBOX_IOC_RECV, &r));
	EXPECT_EQ(1ULL, r.tag);
	EXPECT_EQ(0U, r.prio);
	EXPECT_EQ(1ULL, KT_INFO_FIELD(plain, msgs));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(prio, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(sel, msgs));
	close(plain);
	close(prio);
	close(sel);
}

/* A version-0 RECV takes the highest priority and writes nothing past it. */
TEST(ver0_recv_on_prio_mailbox)
{
	unsigned char raw[KMBOX_RECV_SIZE_VER1];
	struct kmbox_recv *r = (void *)raw;
	char buf[16];
	size_t i;
	int fd;

	fd = sel_mbox(4, PRIO);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_pt(fd, "lo", 1, 0, NB));
	ASSERT_EQ(0, send_pt(fd, "hi", 3, 0, NB));
	memset(raw, 0xa5, sizeof(raw));
	memset(raw, 0, KMBOX_RECV_SIZE_VER0);
	r->flags = NB;
	r->buf = (uintptr_t)buf;
	r->len = sizeof(buf);
	ASSERT_EQ(2, kt_ioctl(fd, kt_cmd_sized(KMBOX_IOC_RECV, KMBOX_RECV_SIZE_VER0), r));
	EXPECT_EQ(0, memcmp(buf, "hi", 2));
	EXPECT_EQ(getpid(), r->pid);
	for (i = KMBOX_RECV_SIZE_VER0; i < sizeof(raw); i++)
		ASSERT_EQ(0xa5, raw[i]);
	close(fd);
}

/* A RECV struct whose prio and tag are read-only: EFAULT, nothing taken. */
TEST(recv_results_tag_readonly)
{
	struct kmbox_recv r = { .flags = NB };
	char buf[16], *map, *p;
	int fd;

	fd = sel_mbox(4, SEL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_pt(fd, "m", 0, 6, NB));
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(map != MAP_FAILED);
	r.buf = (uintptr_t)buf;
	r.len = sizeof(buf);
	/* The struct's last result byte (tag's last) on a read-only page. */
	p = map + 4096 - (offsetof(struct kmbox_recv, tag) + 7);
	memcpy(p, &r, sizeof(r));
	ASSERT_EQ(0, mprotect(map + 4096, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, kt_ioctl(fd, KMBOX_IOC_RECV, p));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(fd, msgs));
	/* A version-0 caller's struct ends before: it receives. */
	EXPECT_EQ(1, kt_ioctl(fd, kt_cmd_sized(KMBOX_IOC_RECV, KMBOX_RECV_SIZE_VER0), p));
	munmap(map, 8192);
	close(fd);
}

/* Capacity 0: a selective receiver takes the offer it selects. */
TEST(rendezvous_selective)
{
	struct kmbox_recv r;
	pid_t s1, s2;
	char buf[16];
	int fd;

	fd = sel_mbox(0, SEL);
	ASSERT_LE(0, fd);
	s1 = tc_fork();
	ASSERT_LE(0, s1);
	if (s1 == 0)
		_exit(send_pt(fd, "one", 0, 1, 0) ? 1 : 0);
	ASSERT_EQ(0, kt_wait_waiters(fd, 1, 0));
	s2 = tc_fork();
	ASSERT_LE(0, s2);
	if (s2 == 0)
		_exit(send_pt(fd, "two", 0, 2, 0) ? 1 : 0);
	ASSERT_EQ(0, kt_wait_waiters(fd, 2, 0));
	ASSERT_EQ(3, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_TAG, 2, 0, &r));
	EXPECT_STREQ("two", buf);
	EXPECT_EQ(s2, r.pid);
	EXPECT_EQ(0, tc_wait(s2));
	EXPECT_TRUE(tc_running(s1));
	EXPECT_EQ(-EAGAIN, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_TAG, 2, 0, NULL));
	ASSERT_EQ(3, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_FROM, 0, s1, &r));
	EXPECT_STREQ("one", buf);
	EXPECT_EQ(0, tc_wait(s1));
	close(fd);
}

/* Capacity 0: a non-blocking send meets no receiver that selects it. */
TEST(rendezvous_unselected_send_fails)
{
	pid_t pid;
	int fd;

	fd = sel_mbox(0, SEL);
	ASSERT_LE(0, fd);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[16];

		TC_CHECK_EQ(2, recv_sel(fd, buf, sizeof(buf), KMBOX_RECV_TAG, 5, 0, NULL));
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));
	EXPECT_EQ(-EAGAIN, send_pt(fd, "no", 0, 4, NB));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, msgs));
	EXPECT_EQ(0, send_pt(fd, "ok", 0, 5, 0));
	EXPECT_EQ(0, tc_wait(pid));
	close(fd);
}

/* Bounded: taking a message from the middle makes room for a sender. */
TEST(bounded_selective)
{
	struct kmbox_recv r;
	char buf[16];
	pid_t pid;
	int fd;

	fd = sel_mbox(2, SEL | PRIO);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_pt(fd, "a", 1, 1, NB));
	ASSERT_EQ(0, send_pt(fd, "b", 0, 2, NB));
	EXPECT_EQ(-EAGAIN, send_pt(fd, "c", 0, 3, NB));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(send_pt(fd, "c", 2, 3, 0) ? 1 : 0);
	ASSERT_EQ(0, kt_wait_waiters(fd, 1, 0));
	ASSERT_EQ(1, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_TAG, 2, 0, &r));
	EXPECT_STREQ("b", buf);
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_NEXT(fd, "c", 2);
	EXPECT_NEXT(fd, "a", 1);
	close(fd);
}

/* Closed: a selective receive with nothing it selects ends with EPIPE. */
TEST(closed_selective_receive_ends)
{
	char buf[16];
	pid_t pid;
	int fd;

	fd = sel_mbox(4, SEL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_pt(fd, "other", 0, 1, NB));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		TC_CHECK_EQ(-EPIPE, recv_sel(fd, buf, sizeof(buf), KMBOX_RECV_TAG, 2, 0, NULL));
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));
	ASSERT_EQ(0, kt_shut(fd));
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(-EPIPE, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_TAG, 2, 0, NULL));
	EXPECT_EQ(5, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_TAG, 1, 0, NULL));
	EXPECT_EQ(-EPIPE, recv_sel(fd, buf, sizeof(buf), NB, 0, 0, NULL));
	close(fd);
}

/*
 * An indexed message pins its index entries too: at least a plain one's
 * charge, within 256 bytes of the rule (see msgmem_test).
 */
TEST(indexed_charge)
{
	static const __u32 kinds[] = { PRIO, SEL, PRIO | SEL };
	__u64 n, plain, bound, ps = sysconf(_SC_PAGESIZE);
	struct kmbox_info info;
	size_t k;
	char *buf;
	int fd;

	buf = calloc(1, 3 * ps);
	ASSERT_TRUE(buf != NULL);
	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (n = 0; n < 3 * ps; n += 61) {
			ASSERT_EQ(0, kt_msg_charge(n, &plain));
			fd = kt_create(NULL, 4, 3 * ps, 0600, KMBOX_ACCESS_ALL, kinds[k], NULL);
			ASSERT_LE(0, fd);
			ASSERT_EQ(0, kt_send(fd, buf, n, NB, 0));
			ASSERT_EQ(0, kt_info(fd, &info));
			close(fd);
			bound = n < ps ? (n + 128 > n + n / 4 ? n + 128 : n + n / 4) :
				((n + ps - 1) / ps) * ps + 128;
			EXPECT_LE(plain, info.charged) TH_LOG("len %llu", n);
			EXPECT_LE(info.charged, bound + 256) TH_LOG("len %llu", n);
		}
	}
	free(buf);
}

/* A child blocked in sending text at prio, the nth sender waiting. */
static pid_t blocked_sender(int fd, const char *text, __u32 prio, unsigned int nth)
{
	pid_t pid = tc_fork();

	if (pid == 0)
		_exit(send_pt(fd, text, prio, 0, 0) ? 1 : 0);
	if (pid > 0 && kt_wait_waiters(fd, nth, 0)) {
		tc_kill(pid);
		return -1;
	}
	return pid;
}

/*
 * Senders blocked for room are served in the order they began waiting,
 * whatever their priority: it orders the queue, not the room.
 */
TEST(blocked_senders_in_arrival_order)
{
	pid_t low, high;
	int fd;

	fd = sel_mbox(1, PRIO);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_pt(fd, "x", 0, 0, NB));
	low = blocked_sender(fd, "low", 1, 1);
	ASSERT_LE(0, low);
	high = blocked_sender(fd, "high", 9, 2);
	ASSERT_LE(0, high);
	EXPECT_NEXT(fd, "x", 0);
	EXPECT_EQ(0, tc_wait(low));
	EXPECT_TRUE(tc_running(high));
	EXPECT_NEXT(fd, "low", 1);
	EXPECT_EQ(0, tc_wait(high));
	EXPECT_NEXT(fd, "high", 9);
	close(fd);
}

/* Capacity 0: the offers are taken in delivery order, the highest first. */
TEST(rendezvous_offers_by_priority)
{
	pid_t low, high;
	int fd;

	fd = sel_mbox(0, PRIO);
	ASSERT_LE(0, fd);
	low = blocked_sender(fd, "low", 1, 1);
	ASSERT_LE(0, low);
	high = blocked_sender(fd, "high", 5, 2);
	ASSERT_LE(0, high);
	EXPECT_NEXT(fd, "high", 5);
	EXPECT_EQ(0, tc_wait(high));
	EXPECT_TRUE(tc_running(low));
	EXPECT_NEXT(fd, "low", 1);
	EXPECT_EQ(0, tc_wait(low));
	close(fd);
}

/* A receiver in line that expects text, with a selection or none. */
static pid_t sel_receiver(int fd, __u32 flags, __u64 tag, const char *text)
{
	pid_t pid = tc_fork();

	if (pid == 0) {
		char buf[16];

		TC_CHECK_EQ(strlen(text), recv_sel(fd, buf, sizeof(buf), flags, tag, 0, NULL));
		TC_CHECK(!strcmp(buf, text));
		_exit(0);
	}
	return pid;
}

/*
 * A new message goes to the receiver that has waited longest among those
 * that select it: a plain receiver selects everything.
 */
TEST(longest_waiting_selecting_receiver)
{
	pid_t tagged, plain;
	int fd;

	fd = sel_mbox(KMBOX_CAPACITY_UNBOUNDED, SEL);
	ASSERT_LE(0, fd);
	/* A tag receiver first: a plain one behind it gets the other tags. */
	tagged = sel_receiver(fd, KMBOX_RECV_TAG, 7, "seven");
	ASSERT_LE(0, tagged);
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));
	plain = sel_receiver(fd, 0, 0, "one");
	ASSERT_LE(0, plain);
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 2));
	ASSERT_EQ(0, send_pt(fd, "one", 0, 1, NB));
	EXPECT_EQ(0, tc_wait(plain));
	EXPECT_TRUE(tc_running(tagged));
	ASSERT_EQ(0, send_pt(fd, "seven", 0, 7, NB));
	EXPECT_EQ(0, tc_wait(tagged));
	/* A plain receiver first takes even the tag the other one waits for. */
	plain = sel_receiver(fd, 0, 0, "seven");
	ASSERT_LE(0, plain);
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));
	tagged = sel_receiver(fd, KMBOX_RECV_TAG, 7, "again");
	ASSERT_LE(0, tagged);
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 2));
	ASSERT_EQ(0, send_pt(fd, "seven", 0, 7, NB));
	EXPECT_EQ(0, tc_wait(plain));
	EXPECT_TRUE(tc_running(tagged));
	ASSERT_EQ(0, send_pt(fd, "again", 0, 7, NB));
	EXPECT_EQ(0, tc_wait(tagged));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, msgs));
	close(fd);
}

/*
 * FROM a zombie sender still selects its messages; once it is reaped, its
 * pid names no process (ESRCH) though its messages stay queued.
 */
TEST(from_zombie_then_reaped)
{
	char buf[16];
	siginfo_t si;
	pid_t pid;
	int fd;

	fd = sel_mbox(4, SEL);
	ASSERT_LE(0, fd);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(send_pt(fd, "a", 0, 0, NB) || send_pt(fd, "b", 0, 0, NB) ? 1 : 0);
	memset(&si, 0, sizeof(si));
	ASSERT_EQ(0, waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	ASSERT_EQ(0, si.si_status);
	EXPECT_EQ(1, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_FROM, 0, pid, NULL));
	EXPECT_STREQ("a", buf);
	ASSERT_EQ(0, tc_wait(pid));
	EXPECT_EQ(-ESRCH, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_FROM, 0, pid, NULL));
	EXPECT_NEXT(fd, "b", 0);
	close(fd);
}

/*
 * A receive FROM a process, waiting (or peeking) for its next message, ends
 * with ESRCH when that process exits with nothing of it queued: nothing
 * can come from it any more.  Its exit wakes the receiver, long before the
 * timeout; a live sender that has sent nothing is EAGAIN.
 */
TEST(from_sender_exits_while_waiting)
{
	__u32 how[2] = { 0, KMBOX_RECV_PEEK };
	char buf[16];
	pid_t pid;
	int fd, i;

	fd = sel_mbox(4, SEL);
	ASSERT_LE(0, fd);
	for (i = 0; i < 2; i++) {
		struct kmbox_recv r = {
			.flags = KMBOX_MSG_TIMEOUT | KMBOX_RECV_FROM | how[i],
			.buf = (uintptr_t)buf,
			.len = sizeof(buf),
			.timeout_ns = 20 * TC_SEC,
		};

		pid = tc_fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			/* Exits once we wait for it, having sent nothing. */
			_exit(kt_wait_waiters(fd, 0, 1) ? 1 : 0);
		EXPECT_EQ(-EAGAIN, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_FROM | how[i],
					    0, pid, NULL));
		r.want_pid = pid;
		EXPECT_EQ(-ESRCH, kt_ioctl(fd, KMBOX_IOC_RECV, &r));
		/* A zombie now, still a process: ESRCH at once. */
		EXPECT_EQ(-ESRCH, recv_sel(fd, buf, sizeof(buf), NB | KMBOX_RECV_FROM | how[i],
					   0, pid, NULL));
		EXPECT_EQ(0, tc_wait(pid));
	}
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, receivers_waiting));
	close(fd);
}

/* A selection needs the VER1 struct its fields are in; a VER0 RECV is plain. */
TEST(selection_needs_ver1)
{
	const unsigned long recv0 = _IOC(_IOC_READ | _IOC_WRITE, KMBOX_IOC_MAGIC, 0x11,
					 KMBOX_RECV_SIZE_VER0);
	struct kmbox_recv r;
	char buf[8];
	int fd;

	fd = sel_mbox(4, SEL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send_pt(fd, "s", 0, 0, NB));
	memset(&r, 0, sizeof(r));
	r.flags = NB | KMBOX_RECV_TAG;
	r.buf = (uintptr_t)buf;
	r.len = sizeof(buf);
	EXPECT_EQ(-EINVAL, kt_ioctl(fd, recv0, &r));
	r.flags = NB | KMBOX_RECV_TAG_LE;
	EXPECT_EQ(-EINVAL, kt_ioctl(fd, recv0, &r));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(fd, msgs));
	r.flags = NB;
	EXPECT_EQ(1, kt_ioctl(fd, recv0, &r));
	close(fd);
}

TEST_HARNESS_MAIN
