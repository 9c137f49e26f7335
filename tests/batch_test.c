// SPDX-License-Identifier: GPL-2.0
/*
 * batch_test: KMBOX_IOC_SEND_BATCH and KMBOX_IOC_RECV_BATCH.
 *
 *  - the feature bit; struct layouts (checked at compile time);
 *  - all or a counted prefix: messages [0, ret) went, the rest did not and
 *    their entries are untouched; a blocking batch waits for its first
 *    message only, KMBOX_BATCH_WAITALL for each (one deadline);
 *  - a bad buffer at entry 0 fails the call (EFAULT, nothing consumed), at
 *    entry k returns k with nothing consumed beyond; a bad or read-only
 *    array fails before any message; EMSGSIZE as RECV at entry 0, a count
 *    at entry k with the message left queued;
 *  - non-blocking, timeout, rendezvous (capacity 0), close and destroy
 *    during a batch, a signal during a WAITALL batch;
 *  - bad flags, reserved fields (of the struct and of any entry), count 0,
 *    count above KMBOX_BATCH_MAX, short structs, a handle without access.
 *
 * The same source is built for i386 as batch32_test (tests/Makefile): the
 * calls then run through the module's compat path.
 */
#include "kmbox_test.h"

static_assert(sizeof(struct kmbox_msgvec) == KMBOX_MSGVEC_SIZE, "msgvec");
static_assert(offsetof(struct kmbox_msgvec, len) == 8 &&
	      offsetof(struct kmbox_msgvec, pid) == 16 &&
	      offsetof(struct kmbox_msgvec, __reserved) == 28, "msgvec layout");
static_assert(sizeof(struct kmbox_batch) == KMBOX_BATCH_SIZE_VER0, "batch");
static_assert(offsetof(struct kmbox_batch, vec) == 8 &&
	      offsetof(struct kmbox_batch, timeout_ns) == 16 &&
	      offsetof(struct kmbox_batch, __reserved) == 24, "batch layout");
static_assert(_IOC_SIZE(KMBOX_IOC_SEND_BATCH) == KMBOX_BATCH_SIZE_VER0 &&
	      _IOC_SIZE(KMBOX_IOC_RECV_BATCH) == KMBOX_BATCH_SIZE_VER0 &&
	      _IOC_DIR(KMBOX_IOC_RECV_BATCH) == (_IOC_READ | _IOC_WRITE),
	      "commands carry their sizes");
static_assert(!(KMBOX_BATCH_WAITALL & (KMBOX_MSG_NONBLOCK | KMBOX_MSG_TIMEOUT |
				       KMBOX_MSG_DEADLINE | KMBOX_SEND_SYNC |
				       KMBOX_RECV_PEEK)), "batch flag overlaps");

#define NMAX		64
#define MSG_MAX		64
/* What an entry the call must not touch holds. */
#define UNTOUCHED	0x5a5a5a5aU

static int kt_batch(int fd, unsigned long cmd, __u32 flags, struct kmbox_msgvec *vec,
		    __u32 count, __s64 timeout_ns)
{
	struct kmbox_batch b = {
		.flags = flags,
		.count = count,
		.vec = (uintptr_t)vec,
		.timeout_ns = timeout_ns,
	};

	return kt_ioctl(fd, cmd, &b);
}

/* Message i of a test: "msg-<i>" padded to a length that depends on i. */
static size_t msg_fill(char *buf, unsigned int i)
{
	size_t len = 8 + i % 17;

	memset(buf, 'a' + i % 26, len);
	snprintf(buf, len, "msg-%u", i);
	return len;
}

/* Entries for messages first..first+n-1, their buffers in bufs. */
static void send_vec(struct kmbox_msgvec *vec, char (*bufs)[MSG_MAX], unsigned int first,
		     unsigned int n)
{
	unsigned int i;

	memset(vec, 0, n * sizeof(*vec));
	for (i = 0; i < n; i++) {
		vec[i].len = msg_fill(bufs[i], first + i);
		vec[i].buf = (uintptr_t)bufs[i];
	}
}

/* Receive entries: buffers of MSG_MAX bytes, out fields a known pattern. */
static void recv_vec(struct kmbox_msgvec *vec, char (*bufs)[MSG_MAX], unsigned int n)
{
	unsigned int i;

	memset(vec, 0, n * sizeof(*vec));
	for (i = 0; i < n; i++) {
		vec[i].buf = (uintptr_t)bufs[i];
		vec[i].len = MSG_MAX;
		vec[i].pid = (__s32)UNTOUCHED;
		vec[i].uid = UNTOUCHED;
		vec[i].gid = UNTOUCHED;
	}
}

/* Does a received entry hold message want, sent by sender (with our ids)? */
static int check_msg(const struct kmbox_msgvec *v, const char *buf, unsigned int want,
		     pid_t sender)
{
	char exp[MSG_MAX];
	size_t len = msg_fill(exp, want);

	if (v->len != len || memcmp(buf, exp, len)) {
		fprintf(stderr, "# expected message %u (%zu bytes), got %llu bytes \"%.*s\"\n",
			want, len, (unsigned long long)v->len, (int)(v->len < MSG_MAX ? v->len : 0),
			buf);
		return -1;
	}
	if (v->pid != sender || v->uid != geteuid() || v->gid != getegid()) {
		fprintf(stderr, "# message %u: pid %d uid %u gid %u\n", want, v->pid, v->uid,
			v->gid);
		return -1;
	}
	return 0;
}

static int untouched(const struct kmbox_msgvec *v)
{
	return v->len == MSG_MAX && v->pid == (__s32)UNTOUCHED && v->uid == UNTOUCHED &&
	       v->gid == UNTOUCHED;
}

/* Send messages first..first+n-1 one by one: 0 or -errno. */
static int send_some(int fd, unsigned int first, unsigned int n)
{
	char buf[MSG_MAX];
	unsigned int i;
	int ret;

	for (i = first; i < first + n; i++) {
		ret = kt_send(fd, buf, msg_fill(buf, i), KMBOX_MSG_NONBLOCK, 0);
		if (ret)
			return ret;
	}
	return 0;
}

/* The next message queued is message want (received and checked): 0 or -1. */
static int next_is(int fd, unsigned int want)
{
	char buf[MSG_MAX], exp[MSG_MAX];
	size_t len = msg_fill(exp, want);
	int ret = kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, NULL);

	if (ret != (int)len || memcmp(buf, exp, len)) {
		fprintf(stderr, "# next: expected message %u, got %d \"%.*s\"\n", want, ret,
			ret > 0 ? ret : 0, buf);
		return -1;
	}
	return 0;
}

FIXTURE(batch) {
	int fd;
	struct kmbox_msgvec vec[NMAX];
	char bufs[NMAX][MSG_MAX];
};

FIXTURE_VARIANT(batch) {
	__u64 capacity;
};

FIXTURE_VARIANT_ADD(batch, bounded) { .capacity = 8 };
FIXTURE_VARIANT_ADD(batch, unbounded) { .capacity = KMBOX_CAPACITY_UNBOUNDED };

FIXTURE_SETUP(batch)
{
	self->fd = kt_anon(variant->capacity);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(batch)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST(feature)
{
	struct kmbox_limits lim;

	ASSERT_EQ(0, kt_limits(&lim));
	EXPECT_EQ(KMBOX_FEATURE_BATCH, lim.features & KMBOX_FEATURE_BATCH);
}

TEST_F(batch, send_then_receive_all)
{
	unsigned int i;

	send_vec(self->vec, self->bufs, 0, 8);
	ASSERT_EQ(8, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, 0, self->vec, 8, 0));
	EXPECT_EQ(8ULL, KT_INFO_FIELD(self->fd, msgs));
	recv_vec(self->vec, self->bufs, 8);
	ASSERT_EQ(8, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, 0, self->vec, 8, 0));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0, check_msg(&self->vec[i], self->bufs[i], i, getpid()));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(8ULL, KT_INFO_FIELD(self->fd, received));
}

/* A batch receive takes what is queued, leaves the rest of its entries. */
TEST_F(batch, recv_prefix)
{
	unsigned int i;

	ASSERT_EQ(0, send_some(self->fd, 0, 3));
	recv_vec(self->vec, self->bufs, 10);
	ASSERT_EQ(3, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, 0, self->vec, 10, 0));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, check_msg(&self->vec[i], self->bufs[i], i, getpid()));
	for (i = 3; i < 10; i++)
		EXPECT_TRUE(untouched(&self->vec[i]));
	/* Empty now: the next call's first message meets the error. */
	EXPECT_EQ(-EAGAIN, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, KMBOX_MSG_NONBLOCK,
				    self->vec, 10, 0));
}

/* A batch send into a bounded queue sends what fits. */
TEST_F(batch, send_prefix)
{
	if (variant->capacity != 8)
		SKIP(return, "bounded only");
	ASSERT_EQ(0, send_some(self->fd, 0, 5));
	send_vec(self->vec, self->bufs, 5, 10);
	ASSERT_EQ(3, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, 0, self->vec, 10, 0));
	EXPECT_EQ(8ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(-EAGAIN, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, KMBOX_MSG_NONBLOCK,
				    &self->vec[3], 7, 0));
	EXPECT_EQ(0, next_is(self->fd, 0));
	/* Room for one: the batch's next message, in order. */
	ASSERT_EQ(1, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, KMBOX_MSG_NONBLOCK,
			      &self->vec[3], 7, 0));
	for (unsigned int i = 1; i <= 8; i++)
		EXPECT_EQ(0, next_is(self->fd, i));
}

/* Blocking: wait for the first message, then take what is there. */
TEST_F(batch, recv_waits_for_first_only)
{
	struct kmbox_msgvec *vec = tc_shared(sizeof(self->vec));
	pid_t pid;

	ASSERT_TRUE(vec != NULL);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char bufs[4][MSG_MAX];

		recv_vec(vec, bufs, 4);
		TC_CHECK_EQ(1, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, 0, vec, 4, 0));
		TC_CHECK(check_msg(&vec[0], bufs[0], 7, getppid()) == 0);
		TC_CHECK(untouched(&vec[1]));
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
	ASSERT_EQ(0, send_some(self->fd, 7, 1));
	EXPECT_EQ(0, tc_wait(pid));
	munmap(vec, sizeof(self->vec));
}

/* WAITALL: each message may wait, all within the one timeout. */
TEST_F(batch, waitall_timeout_returns_count)
{
	int64_t t0;

	ASSERT_EQ(0, send_some(self->fd, 0, 2));
	recv_vec(self->vec, self->bufs, 5);
	t0 = tc_now_ns();
	ASSERT_EQ(2, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH,
			      KMBOX_MSG_TIMEOUT | KMBOX_BATCH_WAITALL, self->vec, 5,
			      200 * TC_MS));
	EXPECT_LE(200 * TC_MS, tc_now_ns() - t0);
	EXPECT_GT(KT_SLACK, tc_now_ns() - t0);
	EXPECT_TRUE(untouched(&self->vec[2]));
	/* Nothing at all by the deadline: the first message's error. */
	EXPECT_EQ(-ETIMEDOUT, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH,
				       KMBOX_MSG_TIMEOUT | KMBOX_BATCH_WAITALL, self->vec, 5,
				       50 * TC_MS));
	if (variant->capacity != 8)
		return;
	ASSERT_EQ(0, send_some(self->fd, 0, 6));
	send_vec(self->vec, self->bufs, 6, 5);
	t0 = tc_now_ns();
	EXPECT_EQ(2, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH,
			      KMBOX_MSG_TIMEOUT | KMBOX_BATCH_WAITALL, self->vec, 5,
			      200 * TC_MS));
	EXPECT_LE(200 * TC_MS, tc_now_ns() - t0);
	EXPECT_EQ(8ULL, KT_INFO_FIELD(self->fd, msgs));
}

/* WAITALL, blocking: a receiver gets every message as senders send them. */
TEST_F(batch, waitall_collects_all)
{
	struct kmbox_msgvec *vec = tc_shared(sizeof(self->vec));
	pid_t pid;

	ASSERT_TRUE(vec != NULL);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char bufs[4][MSG_MAX];
		unsigned int i;

		recv_vec(vec, bufs, 4);
		TC_CHECK_EQ(4, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, KMBOX_BATCH_WAITALL,
					vec, 4, 0));
		for (i = 0; i < 4; i++)
			TC_CHECK(check_msg(&vec[i], bufs[i], i, getppid()) == 0);
		_exit(0);
	}
	for (unsigned int i = 0; i < 4; i++) {
		ASSERT_EQ(0, kt_wait_waiters(self->fd, 0, 1));
		ASSERT_EQ(0, send_some(self->fd, i, 1));
	}
	EXPECT_EQ(0, tc_wait(pid));
	munmap(vec, sizeof(self->vec));
}

TEST_F(batch, nonblock_and_timeout_on_empty)
{
	int64_t t0;

	recv_vec(self->vec, self->bufs, 4);
	EXPECT_EQ(-EAGAIN, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, KMBOX_MSG_NONBLOCK,
				    self->vec, 4, 0));
	t0 = tc_now_ns();
	EXPECT_EQ(-ETIMEDOUT, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, KMBOX_MSG_TIMEOUT,
				       self->vec, 4, 100 * TC_MS));
	EXPECT_LE(100 * TC_MS, tc_now_ns() - t0);
	EXPECT_TRUE(untouched(&self->vec[0]));
	if (variant->capacity != 8)
		return;
	ASSERT_EQ(0, send_some(self->fd, 0, 8));
	send_vec(self->vec, self->bufs, 8, 4);
	EXPECT_EQ(-EAGAIN, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, KMBOX_MSG_NONBLOCK,
				    self->vec, 4, 0));
	EXPECT_EQ(-ETIMEDOUT, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, KMBOX_MSG_TIMEOUT,
				       self->vec, 4, 50 * TC_MS));
	EXPECT_EQ(8ULL, KT_INFO_FIELD(self->fd, msgs));
}

/* A bad buffer: at entry 0 the call fails, at entry k it returns k. */
TEST_F(batch, send_fault_at_entry)
{
	send_vec(self->vec, self->bufs, 0, 5);
	self->vec[0].buf = (uintptr_t)kt_bad_ptr();
	EXPECT_EQ(-EFAULT, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, 0, self->vec, 5, 0));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, sent));

	send_vec(self->vec, self->bufs, 0, 5);
	self->vec[2].buf = (uintptr_t)kt_bad_ptr();
	EXPECT_EQ(2, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, 0, self->vec, 5, 0));
	/* Neither message 2 nor the good ones after it went. */
	EXPECT_EQ(2ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0, next_is(self->fd, 0));
	EXPECT_EQ(0, next_is(self->fd, 1));
	EXPECT_EQ(-EAGAIN, kt_recv(self->fd, self->bufs[0], MSG_MAX, KMBOX_MSG_NONBLOCK, 0,
				   NULL));
}

TEST_F(batch, recv_fault_at_entry)
{
	ASSERT_EQ(0, send_some(self->fd, 0, 5));
	recv_vec(self->vec, self->bufs, 5);
	self->vec[0].buf = (uintptr_t)kt_bad_ptr();
	EXPECT_EQ(-EFAULT, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, 0, self->vec, 5, 0));
	EXPECT_EQ(5ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, received));

	recv_vec(self->vec, self->bufs, 5);
	self->vec[2].buf = (uintptr_t)kt_bad_ptr();
	ASSERT_EQ(2, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, 0, self->vec, 5, 0));
	EXPECT_EQ(0, check_msg(&self->vec[0], self->bufs[0], 0, getpid()));
	EXPECT_EQ(0, check_msg(&self->vec[1], self->bufs[1], 1, getpid()));
	self->vec[2].buf = (uintptr_t)self->bufs[2];
	EXPECT_TRUE(untouched(&self->vec[2]));
	/* Message 2 is still first in line, the rest behind it. */
	EXPECT_EQ(3ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0, next_is(self->fd, 2));
	EXPECT_EQ(0, next_is(self->fd, 3));
}

/* A bad or read-only array fails the call before any message. */
TEST_F(batch, bad_array)
{
	struct kmbox_msgvec *ro;

	ASSERT_EQ(0, send_some(self->fd, 0, 3));
	EXPECT_EQ(-EFAULT, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, 0, kt_bad_ptr(), 3, 0));
	EXPECT_EQ(-EFAULT, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, 0, kt_bad_ptr(), 3, 0));

	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(ro != MAP_FAILED);
	recv_vec(ro, self->bufs, 3);
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, 0, ro, 3, 0));
	EXPECT_EQ(3ULL, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, received));
	/* A send writes nothing back: a read-only array is fine. */
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ | PROT_WRITE));
	send_vec(ro, self->bufs, 3, 2);
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(2, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, 0, ro, 2, 0));
	EXPECT_EQ(5ULL, KT_INFO_FIELD(self->fd, msgs));
	munmap(ro, 4096);
}

TEST_F(batch, emsgsize)
{
	char big[128];
	struct kmbox_info info;

	ASSERT_EQ(0, send_some(self->fd, 0, 1));
	memset(big, 'x', sizeof(big));
	ASSERT_EQ(0, kt_send(self->fd, big, sizeof(big), 0, 0));
	ASSERT_EQ(0, send_some(self->fd, 2, 1));
	/* Entry 1's buffer is too small for the 128-byte message. */
	recv_vec(self->vec, self->bufs, 3);
	ASSERT_EQ(1, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, 0, self->vec, 3, 0));
	EXPECT_EQ(0, check_msg(&self->vec[0], self->bufs[0], 0, getpid()));
	EXPECT_TRUE(untouched(&self->vec[1]));
	/* Now first: RECV's rule, the size needed in entry 0. */
	recv_vec(self->vec, self->bufs, 3);
	EXPECT_EQ(-EMSGSIZE, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, 0, self->vec, 3, 0));
	EXPECT_EQ(128ULL, self->vec[0].len);
	ASSERT_EQ(0, kt_info(self->fd, &info));
	EXPECT_EQ(2ULL, info.msgs);
	EXPECT_EQ(1ULL, info.received);
	EXPECT_EQ(128, kt_recv(self->fd, big, sizeof(big), 0, 0, NULL));
	EXPECT_EQ(0, next_is(self->fd, 2));

	/* A send longer than max_msg_size: at entry 0 the error, at k a count. */
	send_vec(self->vec, self->bufs, 0, 3);
	self->vec[1].len = 8192 + 1;
	EXPECT_EQ(1, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, 0, self->vec, 3, 0));
	EXPECT_EQ(-EMSGSIZE, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, 0, &self->vec[1], 2, 0));
	self->vec[1].len = 1ULL << 40;
	EXPECT_EQ(-EMSGSIZE, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, 0, &self->vec[1], 2, 0));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, msgs));
}

TEST_F(batch, bad_input)
{
	struct {
		struct kmbox_batch b;
		__u64 tail;
	} big;
	struct kmbox_batch b;
	unsigned int i;
	int ro;

	send_vec(self->vec, self->bufs, 0, 4);
	/* Unknown flags, two modes, peek, a timeout without a mode. */
	EXPECT_EQ(-EINVAL, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, 0x8000, self->vec, 4, 0));
	EXPECT_EQ(-EINVAL, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH,
				    KMBOX_MSG_NONBLOCK | KMBOX_MSG_TIMEOUT, self->vec, 4, 0));
	EXPECT_EQ(-EINVAL, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, KMBOX_RECV_PEEK,
				    self->vec, 4, 0));
	EXPECT_EQ(-EINVAL, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, 0, self->vec, 4, 5));
	EXPECT_EQ(-EINVAL, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, KMBOX_MSG_TIMEOUT,
				    self->vec, 4, -1));
	/* Too many entries; none. */
	EXPECT_EQ(-EINVAL, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, 0, self->vec,
				    KMBOX_BATCH_MAX + 1, 0));
	EXPECT_EQ(-EINVAL, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, 0, self->vec,
				    KMBOX_BATCH_MAX + 1, 0));
	EXPECT_EQ(0, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, 0, self->vec, 0, 0));
	EXPECT_EQ(0, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, KMBOX_MSG_NONBLOCK, NULL, 0, 0));
	/* A reserved field of the struct, or of any entry, even the last. */
	memset(&b, 0, sizeof(b));
	b.count = 4;
	b.vec = (uintptr_t)self->vec;
	b.__reserved[1] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fd, KMBOX_IOC_SEND_BATCH, &b));
	self->vec[3].__reserved = 1;
	EXPECT_EQ(-EINVAL, kt_batch(self->fd, KMBOX_IOC_SEND_BATCH, 0, self->vec, 4, 0));
	EXPECT_EQ(-EINVAL, kt_batch(self->fd, KMBOX_IOC_RECV_BATCH, 0, self->vec, 4, 0));
	self->vec[3].__reserved = 0;
	EXPECT_EQ(0ULL, KT_INFO_FIELD(self->fd, sent));
	/* Struct sizes: short is EINVAL, a longer one with a zero tail works. */
	memset(&big, 0, sizeof(big));
	big.b.count = 1;
	big.b.vec = (uintptr_t)self->vec;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->fd, kt_cmd_sized(KMBOX_IOC_SEND_BATCH,
							   KMBOX_BATCH_SIZE_VER0 - 8), &big));
	EXPECT_EQ(1, kt_ioctl(self->fd, kt_cmd_sized(KMBOX_IOC_SEND_BATCH, sizeof(big)), &big));
	big.tail = 1;
	EXPECT_EQ(-E2BIG, kt_ioctl(self->fd, kt_cmd_sized(KMBOX_IOC_SEND_BATCH, sizeof(big)),
				   &big));
	/* Access: a receive-only handle cannot send, a send-only one receive. */
	ro = kt_create(NULL, 4, 0, 0600, KMBOX_ACCESS_RECV, 0, NULL);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-EBADF, kt_batch(ro, KMBOX_IOC_SEND_BATCH, 0, self->vec, 4, 0));
	close(ro);
	ro = kt_create(NULL, 4, 0, 0600, KMBOX_ACCESS_SEND, 0, NULL);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-EBADF, kt_batch(ro, KMBOX_IOC_RECV_BATCH, 0, self->vec, 4, 0));
	close(ro);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0U, self->vec[i].__reserved);
	EXPECT_EQ(1ULL, KT_INFO_FIELD(self->fd, msgs));
}

/* More entries than the kernel keeps on its stack; the most it takes. */
TEST(large_batches)
{
	struct kmbox_msgvec *vec = calloc(KMBOX_BATCH_MAX, sizeof(*vec));
	char *bufs = malloc(KMBOX_BATCH_MAX * 16);
	unsigned int i, n;
	int fd = kt_anon(KMBOX_CAPACITY_UNBOUNDED);

	ASSERT_LE(0, fd);
	ASSERT_TRUE(vec != NULL);
	ASSERT_TRUE(bufs != NULL);
	for (n = 17; n <= KMBOX_BATCH_MAX; n = n == 17 ? KMBOX_BATCH_MAX : n + 1) {
		for (i = 0; i < n; i++) {
			snprintf(bufs + i * 16, 16, "m%u", i);
			vec[i] = (struct kmbox_msgvec){ .buf = (uintptr_t)(bufs + i * 16), .len = 16 };
		}
		ASSERT_EQ((int)n, kt_batch(fd, KMBOX_IOC_SEND_BATCH, 0, vec, n, 0));
		memset(bufs, 0, KMBOX_BATCH_MAX * 16);
		ASSERT_EQ((int)n, kt_batch(fd, KMBOX_IOC_RECV_BATCH, 0, vec, n, 0));
		for (i = 0; i < n; i++) {
			char exp[16] = "";

			snprintf(exp, sizeof(exp), "m%u", i);
			ASSERT_EQ(16ULL, vec[i].len);
			ASSERT_EQ(0, memcmp(exp, bufs + i * 16, 16));
		}
	}
	close(fd);
	free(vec);
	free(bufs);
}

/* Capacity 0: every message of a WAITALL send is taken by a receiver. */
TEST(rendezvous)
{
	struct kmbox_msgvec vec[4];
	char bufs[4][MSG_MAX];
	int fd = kt_anon(0);
	pid_t pid;

	ASSERT_LE(0, fd);
	send_vec(vec, bufs, 0, 4);
	/* Nobody to take it. */
	EXPECT_EQ(-EAGAIN, kt_batch(fd, KMBOX_IOC_SEND_BATCH, KMBOX_MSG_NONBLOCK, vec, 4, 0));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kmbox_msgvec rv[4];
		char rb[4][MSG_MAX];
		unsigned int got = 0, i;
		int n;

		while (got < 4) {
			recv_vec(rv, rb, 4);
			n = kt_batch(fd, KMBOX_IOC_RECV_BATCH, 0, rv, 4, 0);
			TC_CHECK(n >= 1);
			for (i = 0; i < (unsigned int)n; i++)
				TC_CHECK(check_msg(&rv[i], rb[i], got + i, getppid()) == 0);
			got += n;
		}
		TC_CHECK_EQ(4, got);
		_exit(0);
	}
	EXPECT_EQ(4, kt_batch(fd, KMBOX_IOC_SEND_BATCH, KMBOX_BATCH_WAITALL, vec, 4, 0));
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(4ULL, KT_INFO_FIELD(fd, received));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, msgs));
	close(fd);
}

/* SEND_SYNC for each message: the batch returns once all were taken. */
TEST(sync_waitall)
{
	struct kmbox_msgvec vec[3];
	char bufs[3][MSG_MAX];
	int fd = kt_anon(8);
	pid_t pid;

	ASSERT_LE(0, fd);
	send_vec(vec, bufs, 0, 3);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[MSG_MAX];
		unsigned int i;

		for (i = 0; i < 3; i++) {
			TC_CHECK(kt_wait_waiters(fd, 1, 0) == 0);
			TC_CHECK(kt_recv(fd, buf, sizeof(buf), 0, 0, NULL) > 0);
		}
		_exit(0);
	}
	EXPECT_EQ(3, kt_batch(fd, KMBOX_IOC_SEND_BATCH, KMBOX_SEND_SYNC | KMBOX_BATCH_WAITALL,
			      vec, 3, 0));
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(3ULL, KT_INFO_FIELD(fd, received));
	close(fd);
}

/* Close during a batch: what was queued drains, then EPIPE. */
TEST(close_during_batch)
{
	struct kmbox_msgvec vec[5];
	char bufs[5][MSG_MAX];
	int fd = kt_anon(1), status;
	pid_t pid;

	ASSERT_LE(0, fd);
	send_vec(vec, bufs, 0, 3);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The first fits, the second waits for room: then the close. */
		TC_CHECK_EQ(1, kt_batch(fd, KMBOX_IOC_SEND_BATCH, KMBOX_BATCH_WAITALL, vec, 3,
					0));
		TC_CHECK_EQ(-EPIPE, kt_batch(fd, KMBOX_IOC_SEND_BATCH, 0, &vec[1], 2, 0));
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_waiters(fd, 1, 0));
	ASSERT_EQ(0, kt_shut(fd));
	status = tc_wait(pid);
	EXPECT_EQ(0, status);
	recv_vec(vec, bufs, 5);
	ASSERT_EQ(1, kt_batch(fd, KMBOX_IOC_RECV_BATCH, 0, vec, 5, 0));
	EXPECT_EQ(0, check_msg(&vec[0], bufs[0], 0, pid));
	EXPECT_EQ(-EPIPE, kt_batch(fd, KMBOX_IOC_RECV_BATCH, 0, vec, 5, 0));

	/* A receiver blocked in a batch wakes with EPIPE. */
	close(fd);
	fd = kt_anon(4);
	ASSERT_LE(0, fd);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		recv_vec(vec, bufs, 5);
		TC_CHECK_EQ(-EPIPE, kt_batch(fd, KMBOX_IOC_RECV_BATCH, 0, vec, 5, 0));
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));
	ASSERT_EQ(0, kt_shut(fd));
	EXPECT_EQ(0, tc_wait(pid));
	close(fd);
}

TEST(destroy_during_batch)
{
	struct kmbox_msgvec vec[5];
	char bufs[5][MSG_MAX];
	int fd = kt_anon(1);
	pid_t pid, pid2;

	ASSERT_LE(0, fd);
	send_vec(vec, bufs, 0, 3);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		TC_CHECK_EQ(1, kt_batch(fd, KMBOX_IOC_SEND_BATCH, KMBOX_BATCH_WAITALL, vec, 3,
					0));
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_waiters(fd, 1, 0));
	ASSERT_EQ(0, kt_destroy(fd));
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(-EIDRM, kt_batch(fd, KMBOX_IOC_SEND_BATCH, 0, vec, 3, 0));
	recv_vec(vec, bufs, 5);
	EXPECT_EQ(-EIDRM, kt_batch(fd, KMBOX_IOC_RECV_BATCH, 0, vec, 5, 0));
	close(fd);

	fd = kt_anon(4);
	ASSERT_LE(0, fd);
	pid2 = tc_fork();
	ASSERT_LE(0, pid2);
	if (pid2 == 0) {
		recv_vec(vec, bufs, 5);
		TC_CHECK_EQ(-EIDRM, kt_batch(fd, KMBOX_IOC_RECV_BATCH, KMBOX_BATCH_WAITALL, vec,
					     5, 0));
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));
	ASSERT_EQ(0, kt_destroy(fd));
	EXPECT_EQ(0, tc_wait(pid2));
	close(fd);
}

/* A signal: EINTR before the first message, the count after it. */
TEST(signal_during_batch)
{
	_Atomic int *step = tc_shared(sizeof(*step));
	struct kmbox_msgvec vec[3];
	char bufs[3][MSG_MAX];
	struct kmbox_info info;
	int fd = kt_anon(4);
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_TRUE(step != NULL);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		TC_CHECK(kt_sigusr1(KT_SIG_INTR) == 0);
		recv_vec(vec, bufs, 3);
		TC_CHECK_EQ(-EINTR, kt_batch(fd, KMBOX_IOC_RECV_BATCH, KMBOX_BATCH_WAITALL, vec,
					     3, 0));
		*step = 1;
		recv_vec(vec, bufs, 3);
		TC_CHECK_EQ(1, kt_batch(fd, KMBOX_IOC_RECV_BATCH, KMBOX_BATCH_WAITALL, vec, 3,
					0));
		TC_CHECK(check_msg(&vec[0], bufs[0], 4, getppid()) == 0);
		TC_CHECK(untouched(&vec[1]));
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	while (!*step)
		tc_sleep_ms(1);
	/* The second call: one message, then waiting for the next. */
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));
	ASSERT_EQ(0, send_some(fd, 4, 1));
	ASSERT_EQ(0, KT_WAIT_INFO(fd, info, info.received == 1 &&
				  info.receivers_waiting == 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, msgs));
	munmap((void *)step, sizeof(*step));
	close(fd);
}

TEST_HARNESS_MAIN
