// SPDX-License-Identifier: GPL-2.0
/*
 * timens_test: an absolute deadline (KMBOX_MSG_DEADLINE) is a time of the
 * caller's CLOCK_MONOTONIC, as clock_gettime() shows it in the caller's
 * time namespace, as for clock_nanosleep(TIMER_ABSTIME), timerfd and
 * futex.
 *
 * A child makes a time namespace whose CLOCK_MONOTONIC is a day ahead of
 * the host's, or 8 s behind, as root or as an unprivileged user inside a
 * user namespace of its own (which then owns the time namespace); its own
 * child lives in it and waits for now + 0.5 s, read from its clock: the
 * receive (and a send) must fail with ETIMEDOUT after about 0.5 s, neither
 * waiting a day nor failing at once.
 */
#include <sched.h>
#include <stdlib.h>

#include "kmbox_test.h"

#define WAIT		(500 * TC_MS)
#define WAIT_MIN	(400 * TC_MS)	/* no earlier than the deadline */
#define WAIT_MAX	(30 * TC_SEC)	/* generous: an emulated guest */
#define OWNER		1000
#define SKIP_STATUS	77		/* no namespace could be made */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -errno;
	close(fd);
	return ret;
}

FIXTURE(timens) {
	int rv;			/* rendezvous: a send waits for a receiver */
	int empty;		/* a receive waits for a message */
};

FIXTURE_VARIANT(timens) {
	long long offset_s;	/* CLOCK_MONOTONIC offset of the namespace */
	bool unprivileged;	/* made by OWNER in its own user namespace */
};

FIXTURE_VARIANT_ADD(timens, root_day_ahead) { .offset_s = 86400 };
FIXTURE_VARIANT_ADD(timens, root_8s_behind) { .offset_s = -8 };
FIXTURE_VARIANT_ADD(timens, userns_day_ahead) {
	.offset_s = 86400, .unprivileged = true,
};
FIXTURE_VARIANT_ADD(timens, userns_8s_behind) {
	.offset_s = -8, .unprivileged = true,
};

FIXTURE_SETUP(timens)
{
	self->rv = -1;
	self->empty = -1;
	if (access("/proc/self/timens_offsets", F_OK))
		TC_SKIP("no time namespaces (CONFIG_TIME_NS)");
	self->rv = kt_anon(0);
	ASSERT_LE(0, self->rv);
	self->empty = kt_anon(1);
	ASSERT_LE(0, self->empty);
}

FIXTURE_TEARDOWN(timens)
{
	if (self->rv >= 0)
		close(self->rv);
	if (self->empty >= 0)
		close(self->empty);
}

/* In the namespace: a call with a deadline 0.5 s from now must wait that. */
static void check_deadline(int fd, bool send)
{
	int64_t t0, t1;
	char buf[8];
	int ret;

	t0 = tc_now_ns();
	if (send)
		ret = kt_send(fd, "late", 4, KMBOX_MSG_DEADLINE, t0 + WAIT);
	else
		ret = kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_DEADLINE,
			      t0 + WAIT, NULL);
	t1 = tc_now_ns();
	fprintf(stderr, "# %s: %d after %lld ms\n", send ? "send" : "recv",
		ret, (long long)(t1 - t0) / TC_MS);
	TC_CHECK_EQ(-ETIMEDOUT, ret);
	TC_CHECK(t1 - t0 >= WAIT_MIN);
	TC_CHECK(t1 - t0 < WAIT_MAX);
}

TEST_F_TIMEOUT(timens, deadline_in_callers_time, 120)
{
	int64_t offset = variant->offset_s * TC_SEC;
	pid_t pid;
	int ret;

	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char text[64];
		int64_t host;
		pid_t inner;

		/* A clock 8 s behind must not go below 0. */
		while (tc_now_ns() < 10 * TC_SEC)
			tc_sleep_ms(100);
		if (variant->unprivileged) {
			TC_CHECK_EQ(0, tc_become(OWNER, OWNER));
			/* Its /proc files stay its own (a change of ids
			 * gives them to root), so it may write the offsets.
			 */
			TC_CHECK_EQ(0, prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
			ret = unshare(CLONE_NEWUSER | CLONE_NEWTIME);
		} else {
			ret = unshare(CLONE_NEWTIME);
		}
		if (ret) {
			fprintf(stderr, "# unshare: %s\n", strerror(errno));
			_exit(SKIP_STATUS);
		}
		/* For its children: it stays in the host's time itself. */
		snprintf(text, sizeof(text), "monotonic %lld 0\n",
			 variant->offset_s);
		TC_CHECK_EQ(0, write_file("/proc/self/timens_offsets", text));
		host = tc_now_ns();
		inner = tc_fork();
		TC_CHECK(inner >= 0);
		if (inner == 0) {
			int64_t skew = tc_now_ns() - host - offset;

			/* Its clock is the namespace's. */
			TC_CHECK(llabs(skew) < 5 * TC_SEC);
			check_deadline(self->empty, false);
			check_deadline(self->rv, true);
			_exit(0);
		}
		_exit(tc_wait_ms(inner, 2 * WAIT_MAX / TC_MS + 10000));
	}
	ret = tc_wait_ms(pid, 2 * WAIT_MAX / TC_MS + 20000);
	if (ret == SKIP_STATUS)
		TC_SKIP("no %stime namespaces",
			variant->unprivileged ? "unprivileged " : "");
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->rv, msgs));
}

TEST_HARNESS_MAIN
