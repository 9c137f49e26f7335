// SPDX-License-Identifier: GPL-2.0
/*
 * userns_quota_test: the per-user limits (max_mailboxes_per_user,
 * max_bytes_per_user) hold for every id a user owns through user
 * namespaces, as the kernel's ucounts do for RLIMIT_MSGQUEUE.
 *
 * A charge made in user namespace N is made to (N, uid) and then, level by
 * level, to the owner of each namespace in its parent, up to the initial
 * namespace; every level must stay within the limit.  So an unprivileged
 * user with a subordinate id range mapped into a namespace of its own
 * (what newuidmap does: here the root parent writes the maps) gets no
 * fresh budget for each id: everything the namespace's ids own draws on
 * the budget of the user who owns the namespace, shared with what that
 * user owns on the host.  The same holds a level further down.  A namespace
 * the host's root made ends the chain: its ids keep budgets of their own.
 *
 * The limits are lowered in the fixture's setup and restored in its
 * teardown (and by kmbox_test.h's safety net should the test be killed).
 */
#include <sched.h>

#include "kmbox_test.h"

#define OWNER		1000		/* the unprivileged user */
#define SUBORDINATE	"0 100000 65536\n" /* its subordinate range */
#define NESTED		"0 1000 5000\n"	/* a range of the first level's */
#define LIMIT		4		/* mailboxes per user */
#define QUOTA_MSGS	4		/* messages the byte quota holds */
#define MSG_LEN		100
#define IDS		16		/* ids used inside a namespace */
#define SKIP_STATUS	77		/* a child could not make a namespace */

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

/*
 * A child that makes a user namespace tells whoever maps it (ready: 0, or
 * why it could not), and waits until it is mapped (mapped).
 */
struct handshake {
	int ready[2];
	int mapped[2];
};

static int handshake_init(struct handshake *h)
{
	if (pipe2(h->ready, O_CLOEXEC))
		return -errno;
	if (pipe2(h->mapped, O_CLOEXEC)) {
		close(h->ready[0]);
		close(h->ready[1]);
		return -errno;
	}
	return 0;
}

static void handshake_close(struct handshake *h)
{
	close(h->ready[0]);
	close(h->ready[1]);
	close(h->mapped[0]);
	close(h->mapped[1]);
}

/*
 * In a child: unshare a user namespace, wait until it is mapped, and
 * become its root (with its full capabilities there).  Exits with
 * SKIP_STATUS if the kernel does not let it make one.
 */
static void child_enter_userns(struct handshake *h)
{
	char c = 0;

	if (unshare(CLONE_NEWUSER))
		c = errno;
	TC_CHECK_EQ(1, write(h->ready[1], &c, 1));
	if (c) {
		fprintf(stderr, "# unshare(CLONE_NEWUSER): %s\n", strerror(c));
		_exit(SKIP_STATUS);
	}
	TC_CHECK_EQ(1, read(h->mapped[0], &c, 1));
	TC_CHECK_EQ(0, setresgid(0, 0, 0));
	TC_CHECK_EQ(0, setresuid(0, 0, 0));
}

/*
 * Map the user namespace child pid made with map for both uids and gids,
 * as newuidmap and newgidmap do.  0 once mapped, SKIP_STATUS if the child
 * could not make one, -1 on an error (logged).
 */
static int map_child(struct handshake *h, pid_t pid, const char *map)
{
	char path[64], c;
	int ret;

	if (read(h->ready[0], &c, 1) != 1) {
		fprintf(stderr, "# child %d did not get to unshare\n", (int)pid);
		return -1;
	}
	if (c)
		return SKIP_STATUS;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	ret = write_file(path, map);
	if (!ret) {
		snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
		ret = write_file(path, map);
	}
	if (ret) {
		fprintf(stderr, "# %s: %s\n", path, strerror(-ret));
		return -1;
	}
	return write(h->mapped[1], "m", 1) == 1 ? 0 : -1;
}

/*
 * In a child in a user namespace, as its root: create a mailbox as each of
 * the ids 0..IDS-1 in turn (the effective uid, which the fsuid follows),
 * keeping them open.  Returns how many could be created; the others must
 * have failed with ENOSPC.  The saved uid stays 0, so that the effective
 * uid (and with it the capabilities) can come back to root each time.
 */
static int create_as_each_id(void)
{
	int i, fd, n = 0;

	for (i = 0; i < IDS; i++) {
		TC_CHECK_EQ(0, setresuid(-1, i, -1));
		fd = kt_anon(1);
		if (fd >= 0)
			n++;
		else
			TC_CHECK_EQ(-ENOSPC, fd);
		TC_CHECK_EQ(0, setresuid(-1, 0, -1));
	}
	return n;
}

/* The same with messages: how many each id could send before ENOBUFS. */
static int send_as_each_id(int fd)
{
	char msg[MSG_LEN];
	int i, j, ret, n = 0;

	memset(msg, 'q', sizeof(msg));
	for (i = 0; i < IDS; i++) {
		TC_CHECK_EQ(0, setresuid(-1, i, -1));
		for (j = 0; j <= QUOTA_MSGS; j++) {
			ret = kt_send(fd, msg, sizeof(msg), KMBOX_MSG_NONBLOCK,
				      0);
			if (ret)
				break;
			n++;
		}
		TC_CHECK_EQ(-ENOBUFS, ret);
		TC_CHECK_EQ(0, setresuid(-1, 0, -1));
	}
	return n;
}

/*
 * In a child: become OWNER.  A change of ids makes a process undumpable,
 * and the /proc files of an undumpable one belong to root, which a
 * namespace root cannot write: make it dumpable again, so that its
 * children's uid_map can be written from inside its namespace.
 */
static void child_become_owner(void)
{
	TC_CHECK_EQ(0, tc_become(OWNER, OWNER));
	TC_CHECK_EQ(0, prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
}

/*
 * A process of OWNER on the host: exits with 100 + how many mailboxes (or
 * messages to fd, if fd >= 0) it could add before ENOSPC (ENOBUFS).
 */
static pid_t host_owner_fill(int fd)
{
	char msg[MSG_LEN];
	pid_t pid;
	int n = 0, ret;

	pid = tc_fork();
	if (pid)
		return pid;
	child_become_owner();
	memset(msg, 'h', sizeof(msg));
	for (;;) {
		if (fd >= 0)
			ret = kt_send(fd, msg, sizeof(msg), KMBOX_MSG_NONBLOCK, 0);
		else
			ret = kt_anon(1);
		if (ret < 0)
			break;
		if (++n > IDS)
			_exit(1);
	}
	TC_CHECK_EQ(fd >= 0 ? -ENOBUFS : -ENOSPC, ret);
	_exit(100 + n);
}

FIXTURE(quota) {
	unsigned long long saved_mailboxes, saved_bytes;
	int restore_mailboxes, restore_bytes;
	int fd;			/* root's, unbounded, for everyone's sends */
};

FIXTURE_SETUP(quota)
{
	struct kmbox_limits lim;
	__u64 charge;

	self->fd = -1;
	ASSERT_EQ(0, kt_limits(&lim));
	/* A message's charge is what it pins: INFO says how much. */
	ASSERT_EQ(0, kt_msg_charge(MSG_LEN, &charge));
	ASSERT_LT((__u64)MSG_LEN, charge);
	ASSERT_LE(lim.msg_overhead, charge);
	ASSERT_EQ(0, kt_param_get("max_mailboxes_per_user",
				  &self->saved_mailboxes));
	ASSERT_EQ(0, kt_param_get("max_bytes_per_user", &self->saved_bytes));
	ASSERT_EQ(0, kt_param_set("max_mailboxes_per_user", LIMIT));
	self->restore_mailboxes = 1;
	ASSERT_EQ(0, kt_param_set("max_bytes_per_user",
				  QUOTA_MSGS * charge + charge / 2));
	self->restore_bytes = 1;
	self->fd = kt_create(NULL, KMBOX_CAPACITY_UNBOUNDED, 0, 0666,
			     KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(quota)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->restore_mailboxes)
		EXPECT_EQ(0, kt_param_set("max_mailboxes_per_user",
					  self->saved_mailboxes));
	if (self->restore_bytes)
		EXPECT_EQ(0, kt_param_set("max_bytes_per_user",
					  self->saved_bytes));
}

/*
 * OWNER holds one mailbox on the host and then, in a namespace mapping its
 * subordinate range, creates one as each of IDS ids: only LIMIT - 1 more
 * can be had, and while they are held the host user can create none.
 * Once they are freed, its whole budget is back.
 */
TEST_F(quota, mailboxes_capped_by_namespace_owner)
{
	struct handshake h;
	int go[2], count[2], n = -1, ret;
	pid_t pid;

	ASSERT_EQ(0, handshake_init(&h));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(count, O_CLOEXEC));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char c;
		int own;

		child_become_owner();
		own = kt_anon(1);
		TC_CHECK(own >= 0);
		child_enter_userns(&h);
		n = create_as_each_id();
		TC_CHECK_EQ(sizeof(n), write(count[1], &n, sizeof(n)));
		/* Hold them until the host user has tried. */
		TC_CHECK_EQ(1, read(go[0], &c, 1));
		_exit(0);
	}
	ret = map_child(&h, pid, SUBORDINATE);
	if (ret == SKIP_STATUS) {
		tc_wait(pid);
		TC_SKIP("no unprivileged user namespaces");
	}
	ASSERT_EQ(0, ret);
	ASSERT_EQ((ssize_t)sizeof(n), read(count[0], &n, sizeof(n)));
	EXPECT_EQ(LIMIT - 1, n);
	/* Everything is taken: the host user itself gets no more. */
	EXPECT_EQ(100, tc_wait(host_owner_fill(-1)));
	ASSERT_EQ(1, write(go[1], "g", 1));
	EXPECT_EQ(0, tc_wait(pid));
	/* All given back. */
	EXPECT_EQ(100 + LIMIT, tc_wait(host_owner_fill(-1)));
	handshake_close(&h);
	close(go[0]);
	close(go[1]);
	close(count[0]);
	close(count[1]);
}

/*
 * The same with bytes: OWNER queues one message on the host, then sends
 * as each of IDS ids in its namespace; QUOTA_MSGS - 1 more fit in all.
 * The messages stay charged while queued, so the host user can send
 * nothing until they are received.
 */
TEST_F(quota, bytes_capped_by_namespace_owner)
{
	struct handshake h;
	char buf[MSG_LEN];
	int i, ret;
	pid_t pid;

	ASSERT_EQ(0, handshake_init(&h));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char msg[MSG_LEN];

		child_become_owner();
		memset(msg, 'o', sizeof(msg));
		TC_CHECK_EQ(0, kt_send(self->fd, msg, sizeof(msg),
				       KMBOX_MSG_NONBLOCK, 0));
		child_enter_userns(&h);
		_exit(100 + send_as_each_id(self->fd));
	}
	ret = map_child(&h, pid, SUBORDINATE);
	if (ret == SKIP_STATUS) {
		tc_wait(pid);
		TC_SKIP("no unprivileged user namespaces");
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(100 + QUOTA_MSGS - 1, tc_wait(pid));
	EXPECT_EQ((__u64)QUOTA_MSGS, KT_INFO_FIELD(self->fd, msgs));
	EXPECT_EQ(100, tc_wait(host_owner_fill(self->fd)));
	/* Received, they give their bytes back. */
	for (i = 0; i < QUOTA_MSGS; i++)
		ASSERT_EQ(MSG_LEN, kt_recv(self->fd, buf, sizeof(buf),
					   KMBOX_MSG_NONBLOCK, 0, NULL));
	EXPECT_EQ(-EAGAIN, kt_recv(self->fd, buf, sizeof(buf),
				   KMBOX_MSG_NONBLOCK, 0, NULL));
	EXPECT_EQ(100 + QUOTA_MSGS, tc_wait(host_owner_fill(self->fd)));
	handshake_close(&h);
}

/*
 * Two levels: OWNER's namespace (first level) holds one mailbox as its uid
 * 7; its root makes a second namespace mapping some of its ids, whose ids
 * create as before.  Each charge goes to (second level, id), to (first
 * level, its root), which holds nothing yet, and to (host, OWNER), which
 * holds one: so LIMIT - 1 fit, the host user's budget is the cap.
 */
TEST_F(quota, nested_namespaces)
{
	struct handshake h;
	pid_t pid;
	int ret;

	ASSERT_EQ(0, handshake_init(&h));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct handshake h2;
		pid_t inner;
		int own;

		child_become_owner();
		child_enter_userns(&h);
		TC_CHECK_EQ(0, setresuid(-1, 7, -1));
		own = kt_anon(1);
		TC_CHECK(own >= 0);
		TC_CHECK_EQ(0, setresuid(-1, 0, -1));
		/* Each change of ids made it undumpable: see above. */
		TC_CHECK_EQ(0, prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
		TC_CHECK_EQ(0, handshake_init(&h2));
		inner = tc_fork();
		TC_CHECK(inner >= 0);
		if (inner == 0) {
			child_enter_userns(&h2);
			_exit(100 + create_as_each_id());
		}
		ret = map_child(&h2, inner, NESTED);
		if (ret) {
			tc_kill(inner);
			_exit(ret == SKIP_STATUS ? SKIP_STATUS : 1);
		}
		_exit(tc_wait(inner));
	}
	ret = map_child(&h, pid, SUBORDINATE);
	if (ret == SKIP_STATUS) {
		tc_wait(pid);
		TC_SKIP("no unprivileged user namespaces");
	}
	ASSERT_EQ(0, ret);
	ret = tc_wait(pid);
	if (ret == SKIP_STATUS)
		TC_SKIP("no nested user namespaces");
	EXPECT_EQ(100 + LIMIT - 1, ret);
	/* All given back. */
	EXPECT_EQ(100 + LIMIT, tc_wait(host_owner_fill(-1)));
	handshake_close(&h);
}

/*
 * A namespace the host's root made (a container runtime running as root)
 * ends the chain: its ids have budgets of their own, and what they hold
 * does not come out of root's, which stays whole for root's own use.
 */
TEST_F(quota, root_made_namespace_has_own_budgets)
{
	struct handshake h;
	int go[2], count[2], n = -1, ret, fds[LIMIT], i, got = 0;
	pid_t pid;

	ASSERT_EQ(0, handshake_init(&h));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(count, O_CLOEXEC));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char c;

		child_enter_userns(&h);
		n = create_as_each_id();
		TC_CHECK_EQ(sizeof(n), write(count[1], &n, sizeof(n)));
		TC_CHECK_EQ(1, read(go[0], &c, 1));
		_exit(0);
	}
	ret = map_child(&h, pid, SUBORDINATE);
	if (ret == SKIP_STATUS) {
		tc_wait(pid);
		TC_SKIP("no user namespaces");
	}
	ASSERT_EQ(0, ret);
	ASSERT_EQ((ssize_t)sizeof(n), read(count[0], &n, sizeof(n)));
	EXPECT_EQ(IDS, n);
	/* Root holds self->fd: LIMIT - 1 more, whatever the container holds. */
	for (i = 0; i < LIMIT; i++) {
		fds[i] = kt_anon(1);
		if (fds[i] >= 0)
			got++;
	}
	EXPECT_EQ(LIMIT - 1, got);
	for (i = 0; i < LIMIT; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	ASSERT_EQ(1, write(go[1], "g", 1));
	EXPECT_EQ(0, tc_wait(pid));
	handshake_close(&h);
	close(go[0]);
	close(go[1]);
	close(count[0]);
	close(count[1]);
}

TEST_HARNESS_MAIN
