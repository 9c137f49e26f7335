// SPDX-License-Identifier: GPL-2.0
/*
 * ipc_select_test: priorities and selective receive on both backends.  The
 * highest priority first, FIFO within one (receive, peek); a tag-selective
 * receive takes only its tag, and a receiver waiting for a tag is woken
 * only by a match; IPC_SEL_TAG_LE takes the lowest tag <= n; what a plain
 * mailbox refuses.  A backend (or module) without them skips, saying so.
 */
#include "lt.h"

FIXTURE(sel) {
	struct ipc_mbox *mb;
};

FIXTURE_VARIANT(sel) {
	const char *backend;
	uint64_t capacity;
};

FIXTURE_VARIANT_ADD(sel, kernel) { .backend = "kernel", .capacity = 64 };
FIXTURE_VARIANT_ADD(sel, kernel_unbounded) { .backend = "kernel", .capacity = IPC_UNBOUNDED };
FIXTURE_VARIANT_ADD(sel, posix) { .backend = "posix", .capacity = 64 };

FIXTURE_SETUP(sel)
{
	struct ipc_attr a = lt_attr(variant->capacity, 0, 0600);
	int ret;

	LT_USE_BACKEND(variant->backend);
	a.flags = IPC_PRIO | IPC_SELECT;
	ret = ipc_create(NULL, &a, IPC_RECV | IPC_SEND, &self->mb);
	if (ret == -ENOTSUP)
		TC_SKIP("priorities and tags: not in the %s backend (ENOTSUP)", ipc_backend());
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(sel)
{
	ipc_release(self->mb);
}

static int send_pt(struct ipc_mbox *mb, const char *msg, uint32_t prio, uint64_t tag)
{
	struct ipc_sendopt o = { .prio = prio, .tag = tag };

	return ipc_send_opt(mb, msg, strlen(msg), IPC_WAIT_NONE, 0, &o);
}

/* Receive a string with selection flags/tag; opt gets what it was. */
static ssize_t recv_sel(struct ipc_mbox *mb, uint32_t flags, uint64_t tag, char *buf,
			size_t size, const struct ipc_wait *w, unsigned int rflags,
			struct ipc_recvopt *opt)
{
	ssize_t n;

	memset(opt, 0, sizeof(*opt));
	opt->flags = flags;
	opt->tag = tag;
	n = ipc_recv_opt(mb, buf, size - 1, w, rflags, NULL, opt);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

TEST_F(sel, info_flags)
{
	struct ipc_info i;

	ASSERT_EQ(0, ipc_info(self->mb, &i));
	EXPECT_EQ(IPC_PRIO | IPC_SELECT, i.flags);
	EXPECT_EQ(0, i.port_pid);
}

TEST_F(sel, priorities_order)
{
	static const struct { const char *msg; uint32_t prio; } in[] = {
		{ "a0", 0 }, { "b5", 5 }, { "c1", 1 }, { "d5", 5 },
		{ "eMAX", IPC_PRIO_MAX }, { "f0", 0 },
	};
	static const struct { const char *msg; uint32_t prio; } out[] = {
		{ "eMAX", IPC_PRIO_MAX }, { "b5", 5 }, { "d5", 5 }, { "c1", 1 },
		{ "a0", 0 }, { "f0", 0 },
	};
	struct ipc_recvopt opt;
	char buf[64];
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(in); k++)
		ASSERT_EQ(0, send_pt(self->mb, in[k].msg, in[k].prio, 0));
	/* A peek sees the head too. */
	ASSERT_EQ(4, recv_sel(self->mb, 0, 0, buf, sizeof(buf), IPC_WAIT_NONE, IPC_PEEK, &opt));
	EXPECT_STREQ("eMAX", buf);
	EXPECT_EQ(IPC_PRIO_MAX, opt.prio);
	for (k = 0; k < ARRAY_SIZE(out); k++) {
		ASSERT_LT(0, recv_sel(self->mb, 0, 0, buf, sizeof(buf), IPC_WAIT_NONE, 0, &opt));
		EXPECT_STREQ(out[k].msg, buf);
		EXPECT_EQ(out[k].prio, opt.prio);
		EXPECT_EQ(0, opt.msg_tag);
		EXPECT_EQ(0, opt.call);
	}
	EXPECT_EQ(-EAGAIN, recv_sel(self->mb, 0, 0, buf, sizeof(buf), IPC_WAIT_NONE, 0, &opt));
	/* ipc_recv follows the same order. */
	ASSERT_EQ(0, send_pt(self->mb, "low", 1, 0));
	ASSERT_EQ(0, send_pt(self->mb, "high", 2, 0));
	EXPECT_EQ(4, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NONE));
	EXPECT_STREQ("high", buf);
	EXPECT_EQ(3, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NONE));
	EXPECT_STREQ("low", buf);
}

TEST_F(sel, tag_selects)
{
	struct ipc_recvopt opt;
	char buf[64];

	ASSERT_EQ(0, send_pt(self->mb, "1a", 0, 1));
	ASSERT_EQ(0, send_pt(self->mb, "2", 0, 2));
	ASSERT_EQ(0, send_pt(self->mb, "1b", 0, 1));
	ASSERT_EQ(0, send_pt(self->mb, "3", 0, 3));
	ASSERT_EQ(0, send_pt(self->mb, "9lo", 1, 9));
	ASSERT_EQ(0, send_pt(self->mb, "9hi", 3, 9));

	ASSERT_EQ(2, recv_sel(self->mb, IPC_SEL_TAG, 1, buf, sizeof(buf), IPC_WAIT_NONE, 0, &opt));
	EXPECT_STREQ("1a", buf);
	EXPECT_EQ(1, opt.msg_tag);
	ASSERT_EQ(2, recv_sel(self->mb, IPC_SEL_TAG, 1, buf, sizeof(buf), IPC_WAIT_NONE, 0, &opt));
	EXPECT_STREQ("1b", buf);
	EXPECT_EQ(-EAGAIN, recv_sel(self->mb, IPC_SEL_TAG, 1, buf, sizeof(buf), IPC_WAIT_NONE, 0,
				    &opt));
	EXPECT_EQ(-EAGAIN, recv_sel(self->mb, IPC_SEL_TAG, 4, buf, sizeof(buf), IPC_WAIT_NONE, 0,
				    &opt));
	/* Within a tag, priority first. */
	ASSERT_EQ(3, recv_sel(self->mb, IPC_SEL_TAG, 9, buf, sizeof(buf), IPC_WAIT_NONE, 0, &opt));
	EXPECT_STREQ("9hi", buf);
	EXPECT_EQ(3, opt.prio);
	EXPECT_EQ(9, opt.msg_tag);
	/* The rest, unselected, in delivery order. */
	ASSERT_EQ(3, recv_sel(self->mb, 0, 0, buf, sizeof(buf), IPC_WAIT_NONE, 0, &opt));
	EXPECT_STREQ("9lo", buf);
	ASSERT_EQ(1, recv_sel(self->mb, 0, 0, buf, sizeof(buf), IPC_WAIT_NONE, 0, &opt));
	EXPECT_STREQ("2", buf);
	EXPECT_EQ(2, opt.msg_tag);
	ASSERT_EQ(1, recv_sel(self->mb, 0, 0, buf, sizeof(buf), IPC_WAIT_NONE, 0, &opt));
	EXPECT_STREQ("3", buf);
	EXPECT_EQ(0, lt_info_msgs(self->mb));
}

TEST_F(sel, tag_le)
{
	struct ipc_recvopt opt;
	char buf[64];

	ASSERT_EQ(0, send_pt(self->mb, "5", 0, 5));
	ASSERT_EQ(0, send_pt(self->mb, "3a", 0, 3));
	ASSERT_EQ(0, send_pt(self->mb, "7", 0, 7));
	ASSERT_EQ(0, send_pt(self->mb, "3b", 0, 3));
	ASSERT_EQ(0, send_pt(self->mb, "1", 0, 1));

	ASSERT_EQ(1, recv_sel(self->mb, IPC_SEL_TAG_LE, 4, buf, sizeof(buf), IPC_WAIT_NONE, 0, &opt));
	EXPECT_STREQ("1", buf);
	ASSERT_EQ(2, recv_sel(self->mb, IPC_SEL_TAG_LE, 4, buf, sizeof(buf), IPC_WAIT_NONE, 0, &opt));
	EXPECT_STREQ("3a", buf);
	ASSERT_EQ(2, recv_sel(self->mb, IPC_SEL_TAG_LE, 4, buf, sizeof(buf), IPC_WAIT_NONE, 0, &opt));
	EXPECT_STREQ("3b", buf);
	EXPECT_EQ(3, opt.msg_tag);
	EXPECT_EQ(-EAGAIN, recv_sel(self->mb, IPC_SEL_TAG_LE, 4, buf, sizeof(buf), IPC_WAIT_NONE, 0,
				    &opt));
	EXPECT_EQ(2, lt_info_msgs(self->mb));
}

/* A receiver waiting for tag 7 is not woken, nor served, by tag 1. */
TEST_F(sel, waiter_woken_by_match_only)
{
	struct ipc_recvopt opt;
	struct ipc_info i;
	char buf[64];
	pid_t child;

	child = tc_fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		TC_CHECK_EQ(5, recv_sel(self->mb, IPC_SEL_TAG, 7, buf, sizeof(buf),
					IPC_WAIT_NS(20 * TC_SEC), 0, &opt));
		TC_CHECK(!strcmp(buf, "seven"));
		TC_CHECK_EQ(7, opt.msg_tag);
		_exit(0);
	}
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	ASSERT_EQ(0, send_pt(self->mb, "one", 0, 1));
	tc_sleep_ms(50);
	ASSERT_EQ(0, ipc_info(self->mb, &i));
	EXPECT_EQ(1, i.receivers_waiting);
	EXPECT_EQ(1, i.msgs);
	EXPECT_TRUE(tc_running(child));
	ASSERT_EQ(0, send_pt(self->mb, "seven", 0, 7));
	EXPECT_EQ(0, tc_wait(child));
	ASSERT_EQ(3, recv_sel(self->mb, 0, 0, buf, sizeof(buf), IPC_WAIT_NONE, 0, &opt));
	EXPECT_STREQ("one", buf);
}

TEST_F(sel, refused)
{
	struct ipc_sendopt so = { .prio = IPC_PRIO_MAX + 1 };
	struct ipc_recvopt opt = { .flags = IPC_SEL_TAG | IPC_SEL_TAG_LE };
	struct ipc_attr a = lt_attr(8, 0, 0600);
	struct ipc_mbox *plain, *prio_only;
	char buf[16];

	EXPECT_EQ(-EINVAL, ipc_send_opt(self->mb, "x", 1, IPC_WAIT_NONE, 0, &so));
	so.prio = 1;
	so.__reserved0 = 1;
	EXPECT_EQ(-EINVAL, ipc_send_opt(self->mb, "x", 1, IPC_WAIT_NONE, 0, &so));
	EXPECT_EQ(-EINVAL, ipc_recv_opt(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL, &opt));
	opt.flags = 0x100;
	EXPECT_EQ(-EINVAL, ipc_recv_opt(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL, &opt));
	opt.flags = 0;
	opt.__reserved[0] = 1;
	EXPECT_EQ(-EINVAL, ipc_recv_opt(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL, &opt));
	EXPECT_EQ(0, lt_info_msgs(self->mb));

	/* A plain mailbox: no priority, no tag, no selection. */
	plain = lt_anon(8, 0);
	ASSERT_NE(NULL, plain);
	EXPECT_EQ(-EINVAL, send_pt(plain, "p", 1, 0));
	EXPECT_EQ(-EINVAL, send_pt(plain, "t", 0, 1));
	EXPECT_EQ(0, send_pt(plain, "z", 0, 0));
	EXPECT_EQ(-EINVAL, recv_sel(plain, IPC_SEL_TAG, 1, buf, sizeof(buf), IPC_WAIT_NONE, 0,
				    &opt));
	EXPECT_EQ(1, recv_sel(plain, 0, 0, buf, sizeof(buf), IPC_WAIT_NONE, 0, &opt));
	EXPECT_EQ(0, opt.prio);
	ipc_release(plain);

	/* Priorities only: still no tag. */
	a.flags = IPC_PRIO;
	ASSERT_EQ(0, ipc_create(NULL, &a, IPC_RECV | IPC_SEND, &prio_only));
	EXPECT_EQ(0, send_pt(prio_only, "p", 1, 0));
	EXPECT_EQ(-EINVAL, send_pt(prio_only, "t", 0, 1));
	EXPECT_EQ(-EINVAL, recv_sel(prio_only, IPC_SEL_TAG_LE, 1, buf, sizeof(buf),
				    IPC_WAIT_NONE, 0, &opt));
	ipc_release(prio_only);
}

TEST_HARNESS_MAIN
