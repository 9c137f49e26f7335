// SPDX-License-Identifier: GPL-2.0
/*
 * batch_test: ipc_send_batch and ipc_recv_batch, on both backends (the
 * kernel's: one KMBOX_IOC_*_BATCH call; posix: one call per message), with
 * the same rules: all or a counted prefix, the first message waits as
 * asked and the rest only with IPC_WAITALL (one deadline for all), an
 * error at the first message is the call's, a later one a count.
 */
#include "lt.h"

#define N	8
#define MSG_MAX	64
#define CAP	4
#define UNTOUCHED	0x5a5a5a5aU

FIXTURE(batch) {
	struct ipc_mbox *mb;
	struct ipc_msgvec vec[N];
	char bufs[N][MSG_MAX];
};

FIXTURE_VARIANT(batch) {
	const char *backend;
	uint64_t capacity;
};

FIXTURE_VARIANT_ADD(batch, kernel_bounded) { .backend = "kernel", .capacity = CAP };
FIXTURE_VARIANT_ADD(batch, kernel_unbounded) { .backend = "kernel", .capacity = IPC_UNBOUNDED };
FIXTURE_VARIANT_ADD(batch, posix_bounded) { .backend = "posix", .capacity = CAP };
FIXTURE_VARIANT_ADD(batch, posix_unbounded) { .backend = "posix", .capacity = IPC_UNBOUNDED };

FIXTURE_SETUP(batch)
{
	LT_USE_BACKEND(variant->backend);
	self->mb = lt_anon(variant->capacity, 0);
	ASSERT_NE(NULL, self->mb);
}

FIXTURE_TEARDOWN(batch)
{
	ipc_release(self->mb);
}

static size_t msg_fill(char *buf, unsigned int i)
{
	size_t len = 6 + i % 11;

	memset(buf, 'a' + i % 26, len);
	snprintf(buf, len, "m-%u", i);
	return len;
}

static void send_vec(struct ipc_msgvec *vec, char (*bufs)[MSG_MAX], unsigned int first,
		     unsigned int n)
{
	unsigned int i;

	memset(vec, 0, n * sizeof(*vec));
	for (i = 0; i < n; i++) {
		vec[i].buf = bufs[i];
		vec[i].len = msg_fill(bufs[i], first + i);
	}
}

static void recv_vec(struct ipc_msgvec *vec, char (*bufs)[MSG_MAX], unsigned int n)
{
	unsigned int i;

	memset(vec, 0, n * sizeof(*vec));
	for (i = 0; i < n; i++) {
		vec[i].buf = bufs[i];
		vec[i].len = MSG_MAX;
		vec[i].pid = (int32_t)UNTOUCHED;
		vec[i].flags = UNTOUCHED;
	}
}

static int check_msg(const struct ipc_msgvec *v, const char *buf, unsigned int want, pid_t pid)
{
	char exp[MSG_MAX];
	size_t len = msg_fill(exp, want);

	if (v->len != len || memcmp(buf, exp, len) || v->pid != pid || v->uid != geteuid() ||
	    v->gid != getegid()) {
		fprintf(stderr, "# expected message %u (%zu bytes) from %d, got %zu bytes from %d\n",
			want, len, (int)pid, v->len, v->pid);
		return -1;
	}
	return 0;
}

static int untouched(const struct ipc_msgvec *v)
{
	return v->len == MSG_MAX && v->pid == (int32_t)UNTOUCHED && v->flags == UNTOUCHED;
}

TEST_F(batch, all_and_prefix)
{
	unsigned int i, n = variant->capacity == CAP ? CAP : N;

	send_vec(self->vec, self->bufs, 0, N);
	ASSERT_EQ((int)n, ipc_send_batch(self->mb, self->vec, N, NULL, 0));
	EXPECT_EQ(n, lt_info_msgs(self->mb));
	recv_vec(self->vec, self->bufs, N);
	ASSERT_EQ((int)n, ipc_recv_batch(self->mb, self->vec, N, NULL, 0));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, check_msg(&self->vec[i], self->bufs[i], i, getpid()));
		EXPECT_EQ(lt_is_posix() ? 0U : IPC_MSG_CRED_VERIFIED, self->vec[i].flags);
	}
	for (i = n; i < N; i++)
		EXPECT_TRUE(untouched(&self->vec[i]));
	EXPECT_EQ(-EAGAIN, ipc_recv_batch(self->mb, self->vec, N, IPC_WAIT_NONE, 0));
	EXPECT_EQ(0, ipc_recv_batch(self->mb, self->vec, 0, NULL, 0));
}

TEST_F(batch, first_waits_rest_do_not)
{
	pid_t pid = tc_fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ipc_msgvec vec[3];
		char bufs[3][MSG_MAX];

		recv_vec(vec, bufs, 3);
		TC_CHECK_EQ(1, ipc_recv_batch(self->mb, vec, 3, NULL, 0));
		TC_CHECK(check_msg(&vec[0], bufs[0], 5, getppid()) == 0);
		TC_CHECK(untouched(&vec[1]));
		_exit(0);
	}
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	send_vec(self->vec, self->bufs, 5, 1);
	ASSERT_EQ(1, ipc_send_batch(self->mb, self->vec, 1, NULL, 0));
	EXPECT_EQ(0, tc_wait(pid));
}

TEST_F(batch, waitall_one_deadline)
{
	int64_t t0;

	send_vec(self->vec, self->bufs, 0, 2);
	ASSERT_EQ(2, ipc_send_batch(self->mb, self->vec, 2, NULL, 0));
	recv_vec(self->vec, self->bufs, 5);
	t0 = tc_now_ns();
	ASSERT_EQ(2, ipc_recv_batch(self->mb, self->vec, 5, IPC_WAIT_NS(150 * TC_MS),
				    IPC_WAITALL));
	EXPECT_LE(150 * TC_MS, tc_now_ns() - t0);
	EXPECT_GT(4 * TC_SEC, tc_now_ns() - t0);
	EXPECT_TRUE(untouched(&self->vec[2]));
	EXPECT_EQ(-ETIMEDOUT, ipc_recv_batch(self->mb, self->vec, 5, IPC_WAIT_NS(20 * TC_MS),
					     IPC_WAITALL));
	if (variant->capacity != CAP)
		return;
	send_vec(self->vec, self->bufs, 0, 6);
	t0 = tc_now_ns();
	EXPECT_EQ(CAP, ipc_send_batch(self->mb, self->vec, 6, IPC_WAIT_NS(150 * TC_MS),
				      IPC_WAITALL));
	EXPECT_LE(150 * TC_MS, tc_now_ns() - t0);
}

TEST_F(batch, fault_and_emsgsize)
{
	char big[100];

	send_vec(self->vec, self->bufs, 0, 3);
	self->vec[0].buf = NULL;
	EXPECT_EQ(-EFAULT, ipc_send_batch(self->mb, self->vec, 3, NULL, 0));
	EXPECT_EQ(0U, lt_info_msgs(self->mb));
	send_vec(self->vec, self->bufs, 0, 3);
	self->vec[1].buf = NULL;
	EXPECT_EQ(1, ipc_send_batch(self->mb, self->vec, 3, NULL, 0));
	EXPECT_EQ(1U, lt_info_msgs(self->mb));

	memset(big, 'x', sizeof(big));
	ASSERT_EQ(0, ipc_send(self->mb, big, sizeof(big), NULL, 0));
	recv_vec(self->vec, self->bufs, 3);
	ASSERT_EQ(1, ipc_recv_batch(self->mb, self->vec, 3, NULL, 0));
	EXPECT_EQ(0, check_msg(&self->vec[0], self->bufs[0], 0, getpid()));
	EXPECT_TRUE(untouched(&self->vec[1]));
	recv_vec(self->vec, self->bufs, 3);
	EXPECT_EQ(-EMSGSIZE, ipc_recv_batch(self->mb, self->vec, 3, NULL, 0));
	EXPECT_EQ(sizeof(big), self->vec[0].len);
	EXPECT_EQ(1U, lt_info_msgs(self->mb));
	recv_vec(self->vec, self->bufs, 3);
	self->vec[0].buf = NULL;
	EXPECT_EQ(-EFAULT, ipc_recv_batch(self->mb, self->vec, 3, NULL, 0));
	EXPECT_EQ(1U, lt_info_msgs(self->mb));
}

TEST_F(batch, bad_input)
{
	struct ipc_mbox *ro = NULL;

	send_vec(self->vec, self->bufs, 0, 2);
	EXPECT_EQ(-EINVAL, ipc_send_batch(NULL, self->vec, 2, NULL, 0));
	EXPECT_EQ(-EINVAL, ipc_send_batch(self->mb, self->vec, 2, NULL, 0x8000));
	EXPECT_EQ(-EINVAL, ipc_recv_batch(self->mb, self->vec, 2, NULL, IPC_SYNC));
	EXPECT_EQ(-EINVAL, ipc_send_batch(self->mb, self->vec, IPC_BATCH_MAX + 1, NULL, 0));
	EXPECT_EQ(-EFAULT, ipc_send_batch(self->mb, NULL, 2, NULL, 0));
	EXPECT_EQ(0, ipc_send_batch(self->mb, NULL, 0, NULL, 0));
	EXPECT_EQ(-EINVAL, ipc_send_batch(self->mb, self->vec, 2,
					  &(const struct ipc_wait){ .mode = 9 }, 0));
	self->vec[1].__reserved[1] = 1;
	EXPECT_EQ(-EINVAL, ipc_send_batch(self->mb, self->vec, 2, NULL, 0));
	EXPECT_EQ(-EINVAL, ipc_recv_batch(self->mb, self->vec, 2, NULL, 0));
	EXPECT_EQ(0U, lt_info_msgs(self->mb));
	ASSERT_EQ(0, ipc_create(NULL, NULL, IPC_RECV, &ro));
	EXPECT_EQ(-EBADF, ipc_send_batch(ro, self->vec, 1, NULL, 0));
	ipc_release(ro);
}

TEST_F(batch, close_and_destroy)
{
	send_vec(self->vec, self->bufs, 0, 2);
	ASSERT_EQ(2, ipc_send_batch(self->mb, self->vec, 2, NULL, 0));
	ASSERT_EQ(0, ipc_close(self->mb));
	EXPECT_EQ(-EPIPE, ipc_send_batch(self->mb, self->vec, 2, NULL, 0));
	recv_vec(self->vec, self->bufs, 4);
	EXPECT_EQ(2, ipc_recv_batch(self->mb, self->vec, 4, NULL, 0));
	EXPECT_EQ(-EPIPE, ipc_recv_batch(self->mb, self->vec, 4, NULL, 0));
	ASSERT_EQ(0, ipc_destroy(self->mb));
	EXPECT_EQ(-EIDRM, ipc_recv_batch(self->mb, self->vec, 4, NULL, 0));
}

/* A stream of batches between two processes arrives whole and in order. */
TEST_F(batch, stream)
{
	const unsigned int total = 2000;
	pid_t pid = tc_fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ipc_msgvec vec[N];
		char bufs[N][MSG_MAX];
		unsigned int sent = 0;
		int n;

		while (sent < total) {
			unsigned int k = total - sent < N ? total - sent : N;

			send_vec(vec, bufs, sent, k);
			n = ipc_send_batch(self->mb, vec, k, NULL, 0);
			TC_CHECK(n >= 1);
			sent += (unsigned int)n;
		}
		_exit(0);
	}
	for (unsigned int got = 0; got < total;) {
		int n, i;

		recv_vec(self->vec, self->bufs, N);
		n = ipc_recv_batch(self->mb, self->vec, N, NULL, 0);
		ASSERT_LE(1, n);
		for (i = 0; i < n; i++)
			ASSERT_EQ(0, check_msg(&self->vec[i], self->bufs[i], got + i, pid));
		got += (unsigned int)n;
	}
	EXPECT_EQ(0, tc_wait(pid));
}

TEST_HARNESS_MAIN
