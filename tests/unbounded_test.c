// SPDX-License-Identifier: GPL-2.0
/*
 * unbounded_test: KMBOX_CAPACITY_UNBOUNDED never makes a sender wait; the
 * per-user byte quota (module parameter max_bytes_per_user) is what stops
 * a sender, with ENOBUFS at once, whatever the capacity, and nothing queued
 * before is lost.  Each message charges what it pins (INFO's charged, at
 * least its length and msg_overhead) to the sender's user until it is
 * received or dropped.
 *
 * The quota tests send as unprivileged users of their own, so that nothing
 * else queued by root counts, and restore the parameter in the teardown.
 */
#include "kmbox_test.h"

#define QUOTA_UID	60001
#define OTHER_UID	60002
#define MSG_LEN		100
#define QUOTA_MSGS	16

TEST(never_blocks)
{
	const unsigned int n = 2000;
	struct kmbox_info info;
	unsigned int i, v;
	int64_t t0;
	int fd;

	fd = kt_anon(KMBOX_CAPACITY_UNBOUNDED);
	ASSERT_LE(0, fd);
	t0 = tc_now_ns();
	for (i = 0; i < n; i++) {
		/* Blocking, timed and non-blocking sends all go straight in. */
		__u32 flags = i % 3 == 0 ? 0 :
			      i % 3 == 1 ? KMBOX_MSG_NONBLOCK :
					   KMBOX_MSG_TIMEOUT;

		ASSERT_EQ(0, kt_send(fd, &i, sizeof(i), flags,
				     flags == KMBOX_MSG_TIMEOUT ? TC_SEC : 0));
	}
	EXPECT_GT(20 * TC_SEC, tc_now_ns() - t0);
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_EQ((__u64)n, info.msgs);
	EXPECT_EQ((__u64)n * sizeof(i), info.bytes);
	EXPECT_EQ(0U, info.senders_waiting);
	for (i = 0; i < n; i++) {
		ASSERT_EQ((int)sizeof(v), kt_recv(fd, &v, sizeof(v),
						  KMBOX_MSG_NONBLOCK, 0, NULL));
		ASSERT_EQ(i, v);
	}
	EXPECT_EQ(-EAGAIN, kt_recv(fd, &v, sizeof(v), KMBOX_MSG_NONBLOCK, 0,
				   NULL));
	close(fd);
}

/* An expired timeout does not matter when the send need not wait. */
TEST(expired_timeout_still_sends)
{
	char buf[8];
	int fd;

	fd = kt_anon(KMBOX_CAPACITY_UNBOUNDED);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, kt_send(fd, "t", 1, KMBOX_MSG_TIMEOUT, 0));
	EXPECT_EQ(0, kt_send(fd, "d", 1, KMBOX_MSG_DEADLINE, 1));
	EXPECT_EQ(1, kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("t", buf);
	EXPECT_EQ(1, kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("d", buf);
	close(fd);
}

/* Senders in several processes never wait either. */
TEST(concurrent_senders_never_wait)
{
	pid_t pid[3];
	int fd, i, j;
	unsigned int v;

	fd = kt_anon(KMBOX_CAPACITY_UNBOUNDED);
	ASSERT_LE(0, fd);
	for (i = 0; i < 3; i++) {
		pid[i] = tc_fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			for (j = 0; j < 300; j++) {
				v = i * 1000 + j;
				TC_CHECK_EQ(0, kt_send(fd, &v, sizeof(v), 0,
						       0));
			}
			_exit(0);
		}
	}
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, tc_wait(pid[i]));
	EXPECT_EQ(900ULL, KT_INFO_FIELD(fd, msgs));
	close(fd);
}

/* ---- the per-user byte quota ------------------------------------------- */

FIXTURE(quota) {
	unsigned long long saved;
	int restore;
	unsigned long long quota;
	__u64 charge;		/* per message */
	__u64 capacity;
	int fd;
};

FIXTURE_VARIANT(quota) {
	bool bounded;
};

FIXTURE_VARIANT_ADD(quota, unbounded) { .bounded = false };
FIXTURE_VARIANT_ADD(quota, bounded) { .bounded = true };

FIXTURE_SETUP(quota)
{
	struct kmbox_limits lim;

	self->fd = -1;
	ASSERT_EQ(0, kt_limits(&lim));
	ASSERT_EQ(0, kt_param_get("max_bytes_per_user", &self->saved));
	/* A message's charge is what it pins: INFO says how much. */
	ASSERT_EQ(0, kt_msg_charge(MSG_LEN, &self->charge));
	ASSERT_LT((__u64)MSG_LEN, self->charge);
	ASSERT_LE(lim.msg_overhead, self->charge);
	/* Room for exactly QUOTA_MSGS messages, and a bit. */
	self->quota = QUOTA_MSGS * self->charge + self->charge / 2;
	self->capacity = KMBOX_CAPACITY_UNBOUNDED;
	if (variant->bounded) {
		self->capacity = lim.max_capacity < 256 ? lim.max_capacity : 256;
		ASSERT_LT(2ULL * QUOTA_MSGS, self->capacity);
	}
	ASSERT_EQ(0, kt_param_set("max_bytes_per_user", self->quota));
	self->restore = 1;
	ASSERT_EQ(0, kt_limits(&lim));
	ASSERT_EQ(self->quota, lim.max_bytes_per_user);
	self->fd = kt_create(NULL, self->capacity, 0, 0666, KMBOX_ACCESS_ALL,
			     0, NULL);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(quota)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->restore)
		EXPECT_EQ(0, kt_param_set("max_bytes_per_user", self->saved));
}

static void pattern(unsigned char *buf, unsigned int seq)
{
	unsigned int i;

	for (i = 0; i < MSG_LEN; i++)
		buf[i] = (unsigned char)(seq * 13 + i);
}

/*
 * In a child running as uid: send MSG_LEN-byte messages to fds[0], then
 * fds[1] once `first` went to fds[0], until ENOBUFS.  Checks that the
 * refusal is immediate in every mode and exits with 100 + the number sent.
 */
static pid_t fill_as(uid_t uid, int fd0, int fd1, unsigned int first)
{
	unsigned char msg[MSG_LEN];
	unsigned int n = 0;
	int64_t t0;
	pid_t pid;
	int ret, fd;

	pid = tc_fork();
	if (pid)
		return pid;
	TC_CHECK_EQ(0, tc_become(uid, uid));
	for (;;) {
		fd = n < first ? fd0 : fd1;
		pattern(msg, n);
		ret = kt_send(fd, msg, sizeof(msg), 0, 0);
		if (ret == -ENOBUFS)
			break;
		TC_CHECK_EQ(0, ret);
		n++;
		TC_CHECK(n < 100);
	}
	/* At the quota every mode fails at once, nothing waits. */
	t0 = tc_now_ns();
	TC_CHECK_EQ(-ENOBUFS, kt_send(fd, msg, sizeof(msg), 0, 0));
	TC_CHECK_EQ(-ENOBUFS, kt_send(fd, msg, sizeof(msg),
				      KMBOX_MSG_NONBLOCK, 0));
	TC_CHECK_EQ(-ENOBUFS, kt_send(fd, msg, sizeof(msg),
				      KMBOX_MSG_TIMEOUT, 5 * TC_SEC));
	TC_CHECK_EQ(-ENOBUFS, kt_send(fd, msg, sizeof(msg),
				      KMBOX_MSG_DEADLINE, t0 + 5 * TC_SEC));
	TC_CHECK(tc_now_ns() - t0 < KT_SLACK);
	_exit(100 + n);
}

/* Receive n MSG_LEN-byte messages numbered from seq, checking each. */
static int drain(int fd, unsigned int seq, unsigned int n, uid_t uid)
{
	unsigned char msg[MSG_LEN], want[MSG_LEN];
	struct kmbox_recv r;
	unsigned int i;

	for (i = 0; i < n; i++, seq++) {
		pattern(want, seq);
		if (kt_recv(fd, msg, sizeof(msg), KMBOX_MSG_NONBLOCK, 0, &r) !=
		    MSG_LEN || memcmp(msg, want, MSG_LEN) || r.uid != uid) {
			fprintf(stderr, "# message %u wrong or missing\n", seq);
			return -1;
		}
	}
	return 0;
}

TEST_F(quota, enobufs_at_quota_nothing_lost)
{
	struct kmbox_info info;

	ASSERT_EQ(100 + QUOTA_MSGS, tc_wait(fill_as(QUOTA_UID, self->fd,
						    self->fd, 0)));
	ASSERT_EQ(0, kt_info(self->fd, &info));
	EXPECT_EQ((__u64)QUOTA_MSGS, info.msgs);
	EXPECT_EQ((__u64)QUOTA_MSGS * MSG_LEN, info.bytes);
	EXPECT_EQ((__u64)QUOTA_MSGS, info.sent);
	EXPECT_EQ(0, drain(self->fd, 0, QUOTA_MSGS, QUOTA_UID));
	EXPECT_EQ(-EAGAIN, kt_recv(self->fd, NULL, 0, KMBOX_MSG_NONBLOCK, 0,
				   NULL));
}

/* Receiving gives the bytes back. */
TEST_F(quota, receive_releases_quota)
{
	ASSERT_EQ(100 + QUOTA_MSGS, tc_wait(fill_as(QUOTA_UID, self->fd,
						    self->fd, 0)));
	ASSERT_EQ(0, drain(self->fd, 0, QUOTA_MSGS, QUOTA_UID));
	ASSERT_EQ(100 + QUOTA_MSGS, tc_wait(fill_as(QUOTA_UID, self->fd,
						    self->fd, 0)));
	EXPECT_EQ(0, drain(self->fd, 0, QUOTA_MSGS, QUOTA_UID));
}

/* A message larger than the whole quota is refused, not queued. */
TEST_F(quota, message_over_quota)
{
	static char big[8192];
	pid_t pid;

	if (sizeof(big) <= self->quota)
		SKIP(return, "quota %llu not below 8192", self->quota);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		TC_CHECK_EQ(0, tc_become(QUOTA_UID, QUOTA_UID));
		TC_CHECK_EQ(-ENOBUFS, kt_send(self->fd, big, sizeof(big), 0,
					      0));
		/* A small one still fits. */
		TC_CHECK_EQ(0, kt_send(self->fd, big, MSG_LEN, 0, 0));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ((__u64)MSG_LEN, KT_INFO_FIELD(self->fd, bytes));
}

/* The quota is per user, across all of that user's mailboxes. */
TEST_F(quota, shared_across_mailboxes)
{
	int fd2;

	fd2 = kt_create(NULL, self->capacity, 0, 0666, KMBOX_ACCESS_ALL, 0,
			NULL);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(100 + QUOTA_MSGS, tc_wait(fill_as(QUOTA_UID, self->fd, fd2,
						    10)));
	EXPECT_EQ(10ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ((__u64)QUOTA_MSGS - 10, KT_INFO_FIELD(fd2, msgs));
	EXPECT_EQ(0, drain(self->fd, 0, 10, QUOTA_UID));
	EXPECT_EQ(0, drain(fd2, 10, QUOTA_MSGS - 10, QUOTA_UID));
	close(fd2);
}

TEST_F(quota, per_user)
{
	ASSERT_EQ(100 + QUOTA_MSGS, tc_wait(fill_as(QUOTA_UID, self->fd,
						    self->fd, 0)));
	/* Another user has a quota of its own. */
	ASSERT_EQ(100 + QUOTA_MSGS, tc_wait(fill_as(OTHER_UID, self->fd,
						    self->fd, 0)));
	EXPECT_EQ(2ULL * QUOTA_MSGS, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0, drain(self->fd, 0, QUOTA_MSGS, QUOTA_UID));
	EXPECT_EQ(0, drain(self->fd, 0, QUOTA_MSGS, OTHER_UID));
}

/* Messages dropped by DESTROY give their bytes back. */
TEST_F(quota, destroy_releases_quota)
{
	ASSERT_EQ(100 + QUOTA_MSGS, tc_wait(fill_as(QUOTA_UID, self->fd,
						    self->fd, 0)));
	ASSERT_EQ(0, kt_destroy(self->fd));
	close(self->fd);
	self->fd = kt_create(NULL, self->capacity, 0, 0666, KMBOX_ACCESS_ALL,
			     0, NULL);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(100 + QUOTA_MSGS, tc_wait(fill_as(QUOTA_UID, self->fd,
						    self->fd, 0)));
}

/* So do messages freed with an anonymous mailbox's last handle. */
TEST_F(quota, last_close_releases_quota)
{
	ASSERT_EQ(100 + QUOTA_MSGS, tc_wait(fill_as(QUOTA_UID, self->fd,
						    self->fd, 0)));
	close(self->fd);
	self->fd = kt_create(NULL, self->capacity, 0, 0666, KMBOX_ACCESS_ALL,
			     0, NULL);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(100 + QUOTA_MSGS, tc_wait(fill_as(QUOTA_UID, self->fd,
						    self->fd, 0)));
}

/* Raising the parameter again lets the same user queue more at once. */
TEST_F(quota, parameter_raise_applies)
{
	ASSERT_EQ(100 + QUOTA_MSGS, tc_wait(fill_as(QUOTA_UID, self->fd,
						    self->fd, 0)));
	ASSERT_EQ(0, kt_param_set("max_bytes_per_user",
				  self->quota + 4 * self->charge));
	ASSERT_EQ(100 + 4, tc_wait(fill_as(QUOTA_UID, self->fd, self->fd,
					   0)));
	EXPECT_EQ((__u64)QUOTA_MSGS + 4, KT_INFO_FIELD(self->fd, msgs));
}

TEST_HARNESS_MAIN
