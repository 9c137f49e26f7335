// SPDX-License-Identifier: GPL-2.0
/*
 * libipc API: backend choice, argument checking, names, info, EMSGSIZE,
 * peek, iovecs, credentials, the pollable fd, permissions, and (posix)
 * segments that are not ours or are corrupt.
 */
#include "lt.h"
#include "posix/pmb.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>

/* ---- backend choice (no fixture: each TEST is a fresh process) --------- */

TEST(backend_default)
{
	unsetenv("LIBIPC_BACKEND");
	ASSERT_STREQ(lt_have_kernel() ? "kernel" : "posix", ipc_backend());
}

TEST(backend_forced_kernel_absent)
{
	struct ipc_mbox *mb = (void *)1;
	int ret;

	if (lt_have_kernel())
		SKIP(return, "/dev/kmbox exists: the kernel backend can be had");
	setenv("LIBIPC_BACKEND", "kernel", 1);
	/* Forced and unavailable: no fallback, a clear errno everywhere. */
	ASSERT_EQ(NULL, ipc_backend());
	ret = ipc_create(NULL, NULL, IPC_RECV, &mb);
	ASSERT_TRUE(ret == -ENOENT || ret == -ENODEV) TH_LOG("ret %d", ret);
	ASSERT_EQ(ret, ipc_open("x", IPC_RECV, &mb));
	ASSERT_EQ(ret, ipc_unlink("x"));
}

TEST(backend_forced_bogus)
{
	struct ipc_mbox *mb;

	setenv("LIBIPC_BACKEND", "carrier-pigeon", 1);
	ASSERT_EQ(NULL, ipc_backend());
	ASSERT_EQ(-EINVAL, ipc_create(NULL, NULL, IPC_RECV, &mb));
}

TEST(backend_forced_posix)
{
	setenv("LIBIPC_BACKEND", "posix", 1);
	ASSERT_STREQ("posix", ipc_backend());
}

/* A char major with no driver, or 0: opening a node of it gives ENXIO. */
static unsigned int lt_free_major(void)
{
	unsigned int major, m, used[256] = { 0 };
	char line[128];
	FILE *f = fopen("/proc/devices", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && strncmp(line, "Block", 5))
		if (sscanf(line, "%u", &m) == 1 && m < 256)
			used[m] = 1;
	fclose(f);
	for (major = 240; major < 255; major++)	/* local/experimental use */
		if (!used[major])
			return major;
	return 0;
}

/*
 * Automatic choice: only a missing module (no node, or a node with no
 * driver) means the posix backend.  A /dev/kmbox that is there but cannot
 * be used (here: a node of /dev/null's driver, whose ioctls fail with
 * ENOTTY) fails the call, and is not kept: the next call looks again.
 * A /dev of this test's own, in a mount namespace of its own.
 */
TEST(backend_kernel_unusable_not_kept)
{
	struct ipc_mbox *mb = NULL;
	unsigned int major = lt_free_major();

	unsetenv("LIBIPC_BACKEND");
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("lt-dev", "/dev", "tmpfs", 0, "mode=0755") ||
	    mkdir("/dev/shm", 01777) ||
	    mount("lt-shm", "/dev/shm", "tmpfs", 0, NULL) ||
	    mknod("/dev/kmbox", S_IFCHR | 0666, makedev(1, 3)))
		SKIP(return, "cannot make a /dev of our own: %s", strerror(errno));
	ASSERT_EQ(NULL, ipc_backend());
	EXPECT_EQ(-ENOTTY, ipc_create(NULL, NULL, IPC_RECV, &mb));
	EXPECT_EQ(-ENOTTY, ipc_open("x", IPC_RECV, &mb));
	ASSERT_EQ(NULL, ipc_backend());
	/* A node with no driver behind it: no module, the posix backend. */
	ASSERT_EQ(0, unlink("/dev/kmbox"));
	if (major) {
		ASSERT_EQ(0, mknod("/dev/kmbox", S_IFCHR | 0666, makedev(major, 0)));
	}
	ASSERT_STREQ("posix", ipc_backend());
	ASSERT_EQ(0, ipc_create(NULL, NULL, IPC_RECV, &mb));
	ipc_release(mb);
	/* Kept, whatever /dev/kmbox becomes. */
	unlink("/dev/kmbox");
	ASSERT_EQ(0, mknod("/dev/kmbox", S_IFCHR | 0666, makedev(1, 3)));
	ASSERT_STREQ("posix", ipc_backend());
}

/* *out is NULL after any failure, however early. */
TEST(out_cleared_on_error)
{
	struct ipc_mbox *mb = (struct ipc_mbox *)&mb;

	setenv("LIBIPC_BACKEND", "carrier-pigeon", 1);
	ASSERT_EQ(-EINVAL, ipc_create(NULL, NULL, IPC_RECV, &mb));
	EXPECT_EQ(NULL, mb);
	mb = (struct ipc_mbox *)&mb;
	ASSERT_EQ(-EINVAL, ipc_open("x", IPC_RECV, &mb));
	EXPECT_EQ(NULL, mb);
}

/* posix: group access counts every supplementary group, not the first 256. */
TEST(posix_many_groups)
{
	struct ipc_attr a = lt_attr(0, 0, 0060);
	struct ipc_mbox *mb = NULL, *mb2;
	gid_t groups[300];
	char name[64];
	pid_t pid;
	int i;

	setenv("LIBIPC_BACKEND", "posix", 1);
	ASSERT_STREQ("posix", ipc_backend());
	if (geteuid())
		SKIP(return, "needs root, to set 300 supplementary groups");
	umask(0);
	lt_name(name, sizeof(name), "groups");
	ASSERT_EQ(0, ipc_create(name, &a, IPC_RECV | IPC_SEND, &mb));
	pid = tc_fork();
	if (pid == 0) {
		for (i = 0; i < 299; i++)
			groups[i] = 20000 + i;
		groups[299] = getegid();	/* the mailbox's group, last */
		TC_CHECK_EQ(0, setgroups(300, groups));
		TC_CHECK_EQ(0, setresgid(TC_NOBODY, TC_NOBODY, TC_NOBODY));
		TC_CHECK_EQ(0, setresuid(TC_NOBODY, TC_NOBODY, TC_NOBODY));
		_exit(-ipc_open(name, IPC_RECV | IPC_SEND, &mb2));
	}
	EXPECT_EQ(0, tc_wait(pid));
	ipc_release(mb);
	ipc_unlink(name);
}

/* posix: ipc_unlink removes the name only if it can tell what it is. */
TEST(posix_unlink_keeps_name_on_error)
{
	struct rlimit rl, low;
	struct ipc_mbox *mb = NULL;
	int fds[256], n = 0;
	char name[64];

	setenv("LIBIPC_BACKEND", "posix", 1);
	ASSERT_STREQ("posix", ipc_backend());
	lt_name(name, sizeof(name), "unlink");
	ASSERT_EQ(0, ipc_create(name, NULL, IPC_RECV | IPC_SEND, &mb));
	ipc_release(mb);
	/* No file descriptor left to open the segment with. */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	low = rl;
	low.rlim_cur = 64;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
	while (n < 256 && (fds[n] = dup(0)) >= 0)
		n++;
	ASSERT_EQ(EMFILE, errno);
	EXPECT_EQ(-EMFILE, ipc_unlink(name));
	while (n > 0)
		close(fds[--n]);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(0, ipc_open(name, IPC_RECV, &mb));
	ipc_release(mb);
	EXPECT_EQ(0, ipc_unlink(name));
}

/* ---- per backend ------------------------------------------------------------ */

FIXTURE(api) {
	struct ipc_mbox *mb;
	char name[64];
};

FIXTURE_VARIANT(api) {
	const char *backend;
};

FIXTURE_VARIANT_ADD(api, kernel) { .backend = "kernel" };
FIXTURE_VARIANT_ADD(api, posix) { .backend = "posix" };

FIXTURE_SETUP(api)
{
	LT_USE_BACKEND(variant->backend);
	lt_name(self->name, sizeof(self->name), "api");
}

FIXTURE_TEARDOWN(api)
{
	if (self->mb)
		ipc_release(self->mb);
	ipc_unlink(self->name);
}

TEST_F(api, bad_input)
{
	struct ipc_attr a = lt_attr(4, 0, 0600);
	struct ipc_wait w = { .mode = IPC_BLOCK };
	struct ipc_mbox *mb, *ro, *wo;
	char longname[IPC_NAME_MAX + 2], buf[8];
	struct iovec iov = { .iov_base = NULL, .iov_len = 1 };
	struct ipc_info info;

	/* create: flags, access, mode, reserved, capacity, size, names */
	a.flags = 0x80;
	EXPECT_EQ(-EINVAL, ipc_create(NULL, &a, IPC_RECV, &mb));
	a = lt_attr(4, 0, 0600);
	EXPECT_EQ(-EINVAL, ipc_create(NULL, &a, 0, &mb));
	EXPECT_EQ(-EINVAL, ipc_create(NULL, &a, 4, &mb));
	a.mode = 01000;
	EXPECT_EQ(-EINVAL, ipc_create(NULL, &a, IPC_RECV, &mb));
	a = lt_attr(4, 0, 0600);
	a.__reserved[1] = 1;
	EXPECT_EQ(-EINVAL, ipc_create(NULL, &a, IPC_RECV, &mb));
	a = lt_attr(1ULL << 40, 0, 0600);
	EXPECT_EQ(-EINVAL, ipc_create(NULL, &a, IPC_RECV, &mb));
	a = lt_attr(4, 1U << 30, 0600);
	EXPECT_EQ(-EINVAL, ipc_create(NULL, &a, IPC_RECV, &mb));
	a = lt_attr(4, 0, 0600);
	a.flags = IPC_EXCL;		/* exclusive about no name */
	EXPECT_EQ(-EINVAL, ipc_create(NULL, &a, IPC_RECV, &mb));
	a.flags = 0;
	EXPECT_EQ(-EINVAL, ipc_create("", &a, IPC_RECV, &mb));
	EXPECT_EQ(-EINVAL, ipc_create("a/b", &a, IPC_RECV, &mb));
	memset(longname, 'n', sizeof(longname));
	longname[IPC_NAME_MAX + 1] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, ipc_create(longname, &a, IPC_RECV, &mb));
	EXPECT_EQ(-ENAMETOOLONG, ipc_open(longname, IPC_RECV, &mb));
	EXPECT_EQ(-EINVAL, ipc_open(NULL, IPC_RECV, &mb));
	EXPECT_EQ(-EINVAL, ipc_unlink(""));
	EXPECT_EQ(-EFAULT, ipc_create(NULL, &a, IPC_RECV, NULL));
	EXPECT_EQ(-ENOENT, ipc_open(self->name, IPC_RECV, &mb));
	EXPECT_EQ(-ENOENT, ipc_unlink(self->name));

	/* NULL handles */
	EXPECT_EQ(-EINVAL, ipc_send(NULL, "x", 1, NULL, 0));
	EXPECT_EQ(-EINVAL, ipc_recv(NULL, buf, sizeof(buf), NULL, 0, NULL));
	EXPECT_EQ(-EINVAL, ipc_close(NULL));
	EXPECT_EQ(-EINVAL, ipc_destroy(NULL));
	EXPECT_EQ(-EINVAL, ipc_info(NULL, &info));
	EXPECT_EQ(-EINVAL, ipc_fd(NULL));
	EXPECT_EQ(0, ipc_release(NULL));

	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	mb = self->mb;
	/* send/recv: flags, wait modes, reserved, pointers, sizes */
	EXPECT_EQ(-EINVAL, ipc_send(mb, "x", 1, NULL, 0x100));
	EXPECT_EQ(-EINVAL, ipc_recv(mb, buf, sizeof(buf), NULL, 0x100, NULL));
	w.mode = 7;
	EXPECT_EQ(-EINVAL, ipc_send(mb, "x", 1, &w, 0));
	w.mode = IPC_TIMEOUT;
	w.ns = -1;
	EXPECT_EQ(-EINVAL, ipc_send(mb, "x", 1, &w, 0));
	EXPECT_EQ(-EINVAL, ipc_recv(mb, buf, sizeof(buf), &w, 0, NULL));
	w.mode = IPC_NONBLOCK;
	w.ns = 5;			/* a timeout without a timed mode */
	EXPECT_EQ(-EINVAL, ipc_send(mb, "x", 1, &w, 0));
	w.ns = 0;
	w.__reserved = 1;
	EXPECT_EQ(-EINVAL, ipc_recv(mb, buf, sizeof(buf), &w, 0, NULL));
	EXPECT_EQ(-EFAULT, ipc_send(mb, NULL, 1, NULL, 0));
	EXPECT_EQ(-EFAULT, ipc_recv(mb, NULL, 4, NULL, 0, NULL));
	EXPECT_EQ(-EFAULT, ipc_sendv(mb, &iov, 1, NULL, 0));
	EXPECT_EQ(-EINVAL, ipc_sendv(mb, &iov, -1, NULL, 0));
	EXPECT_EQ(-EFAULT, ipc_info(mb, NULL));
	EXPECT_EQ(-EMSGSIZE, ipc_send(mb, buf, 8193, IPC_WAIT_NONE, 0)) {
		TH_LOG("the default max_msg_size is 8192");
	}
	/* Nothing of the above changed anything. */
	ASSERT_EQ(0, ipc_info(mb, &info));
	EXPECT_EQ(0, info.msgs);
	EXPECT_EQ(0, info.sent);

	/* access of the handle */
	ASSERT_EQ(0, ipc_open(self->name, IPC_RECV, &ro));
	ASSERT_EQ(0, ipc_open(self->name, IPC_SEND, &wo));
	EXPECT_EQ(-EBADF, ipc_send(ro, "x", 1, NULL, 0));
	EXPECT_EQ(-EBADF, ipc_close(ro));
	EXPECT_EQ(-EBADF, ipc_recv(wo, buf, sizeof(buf), NULL, 0, NULL));
	EXPECT_EQ(0, ipc_send(wo, "x", 1, NULL, 0));
	EXPECT_EQ(1, ipc_recv(ro, buf, sizeof(buf), NULL, 0, NULL));
	ASSERT_EQ(0, ipc_info(ro, &info));
	EXPECT_EQ(IPC_RECV, info.access);
	ipc_release(ro);
	ipc_release(wo);

	/* IPC_EXCL on an existing name */
	a.flags = IPC_EXCL;
	EXPECT_EQ(-EEXIST, ipc_create(self->name, &a, IPC_RECV, &mb));
}

TEST_F(api, names)
{
	struct ipc_attr a = lt_attr(3, 100, 0640);
	struct ipc_attr b = lt_attr(7, 200, 0600);
	struct ipc_mbox *mb2;
	struct ipc_info i1, i2;
	char name255[IPC_NAME_MAX + 1], buf[8];

	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	ASSERT_EQ(0, ipc_info(self->mb, &i1));
	EXPECT_STREQ(self->name, i1.name);
	EXPECT_EQ(3, i1.capacity);
	EXPECT_EQ(100, i1.max_msg_size);
	EXPECT_EQ(0640, i1.mode);
	EXPECT_EQ(geteuid(), i1.uid);
	EXPECT_EQ(getegid(), i1.gid);
	EXPECT_EQ(IPC_RECV | IPC_SEND, i1.access);
	EXPECT_EQ(IPC_STATE_OPEN, i1.state);

	/* Creating it again opens it, attributes kept. */
	ASSERT_EQ(0, ipc_create(self->name, &b, IPC_RECV | IPC_SEND, &mb2));
	ASSERT_EQ(0, ipc_info(mb2, &i2));
	EXPECT_EQ(i1.id, i2.id);
	EXPECT_EQ(3, i2.capacity);
	EXPECT_EQ(100, i2.max_msg_size);
	ASSERT_EQ(0, ipc_send(mb2, "hey", 3, NULL, 0));
	ipc_release(mb2);

	/* Unlinked: the name is gone, the mailbox and its message are not. */
	ASSERT_EQ(0, ipc_unlink(self->name));
	EXPECT_EQ(-ENOENT, ipc_open(self->name, IPC_RECV, &mb2));
	EXPECT_EQ(-ENOENT, ipc_unlink(self->name));
	ASSERT_EQ(0, ipc_info(self->mb, &i2));
	EXPECT_STREQ("", i2.name);
	EXPECT_EQ(1, i2.msgs);
	EXPECT_EQ(3, ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL));

	/* The name can be had again, by a new mailbox. */
	ASSERT_EQ(0, ipc_create(self->name, &b, IPC_RECV, &mb2));
	ASSERT_EQ(0, ipc_info(mb2, &i2));
	EXPECT_NE(i1.id, i2.id);
	EXPECT_EQ(7, i2.capacity);
	ipc_release(mb2);
	ASSERT_EQ(0, ipc_unlink(self->name));

	/* The creator's umask applies to the mode, as with mq_open(3). */
	umask(027);
	a = lt_attr(1, 0, 0666);
	ASSERT_EQ(0, ipc_create(NULL, &a, IPC_RECV, &mb2));
	ASSERT_EQ(0, ipc_info(mb2, &i2));
	EXPECT_EQ(0640, i2.mode);
	ipc_release(mb2);
	umask(022);

	/* The longest name works end to end. */
	snprintf(name255, sizeof(name255), "%s-", self->name);
	memset(name255 + strlen(name255), 'L', IPC_NAME_MAX - strlen(name255));
	name255[IPC_NAME_MAX] = '\0';
	ASSERT_EQ(0, ipc_create(name255, &a, IPC_SEND, &mb2));
	ipc_release(mb2);
	ASSERT_EQ(0, ipc_open(name255, IPC_RECV, &mb2));
	ASSERT_EQ(0, ipc_info(mb2, &i2));
	EXPECT_STREQ(name255, i2.name);
	ipc_release(mb2);
	name255[IPC_NAME_MAX - 1] = 'M';	/* a different long name */
	EXPECT_EQ(-ENOENT, ipc_open(name255, IPC_RECV, &mb2));
	name255[IPC_NAME_MAX - 1] = 'L';
	EXPECT_EQ(0, ipc_unlink(name255));
}

TEST_F(api, emsgsize_and_peek)
{
	struct ipc_msginfo mi;
	char buf[64];

	self->mb = lt_anon(4, 0);
	ASSERT_NE(NULL, self->mb);
	ASSERT_EQ(0, ipc_send(self->mb, "0123456789", 10, NULL, 0));
	ASSERT_EQ(0, ipc_send(self->mb, "second", 6, NULL, 0));

	/* Too small: the size needed, and the message stays first. */
	memset(&mi, 0xff, sizeof(mi));
	EXPECT_EQ(-EMSGSIZE, ipc_recv(self->mb, buf, 9, NULL, 0, &mi));
	EXPECT_EQ(10, mi.len);
	EXPECT_EQ(-EMSGSIZE, ipc_recv(self->mb, NULL, 0, NULL, IPC_PEEK, &mi));
	EXPECT_EQ(10, mi.len);
	EXPECT_EQ(2, lt_info_msgs(self->mb));

	/* Peek shows it and leaves it; again and again. */
	EXPECT_EQ(10, ipc_recv(self->mb, buf, sizeof(buf), NULL, IPC_PEEK, &mi));
	EXPECT_EQ(0, memcmp(buf, "0123456789", 10));
	EXPECT_EQ(10, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, IPC_PEEK, NULL));
	EXPECT_EQ(2, lt_info_msgs(self->mb));
	EXPECT_EQ(10, ipc_recv(self->mb, buf, 10, NULL, 0, &mi));
	EXPECT_EQ(0, memcmp(buf, "0123456789", 10));
	EXPECT_EQ(6, ipc_recv(self->mb, buf, sizeof(buf), NULL, IPC_PEEK, NULL));
	EXPECT_EQ(6, ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL));
	EXPECT_EQ(0, memcmp(buf, "second", 6));
	EXPECT_EQ(-EAGAIN, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, IPC_PEEK, NULL));

	/* An empty message is a message. */
	ASSERT_EQ(0, ipc_send(self->mb, NULL, 0, NULL, 0));
	EXPECT_EQ(0, ipc_recv(self->mb, NULL, 0, IPC_WAIT_NONE, 0, &mi));
	EXPECT_EQ(0, mi.len);
	EXPECT_EQ(-EAGAIN, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));
}

TEST_F(api, iovec_and_large)
{
	const size_t big = 200000;
	char a[] = "abc", b[] = "", c[] = "defghij", out1[4], out2[32];
	struct iovec in[3] = {
		{ a, 3 }, { b, 0 }, { c, 7 },
	};
	struct iovec out[2] = { { out1, 4 }, { out2, sizeof(out2) } };
	struct ipc_msginfo mi;
	unsigned char *src, *dst;
	size_t i;

	self->mb = lt_anon(4, big);
	ASSERT_NE(NULL, self->mb);
	ASSERT_EQ(0, ipc_sendv(self->mb, in, 3, NULL, 0));
	EXPECT_EQ(-EMSGSIZE, ipc_recvv(self->mb, out, 1, NULL, 0, &mi));
	EXPECT_EQ(10, mi.len);
	ASSERT_EQ(10, ipc_recvv(self->mb, out, 2, NULL, 0, &mi));
	EXPECT_EQ(0, memcmp(out1, "abcd", 4));
	EXPECT_EQ(0, memcmp(out2, "efghij", 6));
	ASSERT_EQ(0, ipc_sendv(self->mb, NULL, 0, NULL, 0));
	EXPECT_EQ(0, ipc_recvv(self->mb, NULL, 0, NULL, 0, NULL));

	/* A message spanning many chunks comes out whole. */
	src = malloc(big);
	dst = malloc(big);
	ASSERT_TRUE(src && dst);
	for (i = 0; i < big; i++)
		src[i] = (unsigned char)(i * 7 + i / 251);
	ASSERT_EQ(0, ipc_send(self->mb, src, big, NULL, 0));
	ASSERT_EQ(0, ipc_send(self->mb, src + 1, big - 1, NULL, 0));
	EXPECT_EQ(-EMSGSIZE, ipc_send(self->mb, src, big + 1, NULL, 0));
	memset(dst, 0, big);
	ASSERT_EQ((ssize_t)big, ipc_recv(self->mb, dst, big, NULL, 0, NULL));
	EXPECT_EQ(0, memcmp(src, dst, big));
	ASSERT_EQ((ssize_t)big - 1, ipc_recv(self->mb, dst, big, NULL, 0, NULL));
	EXPECT_EQ(0, memcmp(src + 1, dst, big - 1));
	free(src);
	free(dst);
}

TEST_F(api, credentials)
{
	struct ipc_msginfo mi;
	char buf[16];
	pid_t pid;

	self->mb = lt_anon(4, 0);
	ASSERT_NE(NULL, self->mb);
	pid = lt_spawn_send(self->mb, "from child", NULL, 0);
	ASSERT_EQ(10, ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, &mi));
	ASSERT_EQ(0, tc_wait(pid));
	EXPECT_EQ(pid, mi.pid);
	EXPECT_EQ(geteuid(), mi.uid);
	EXPECT_EQ(getegid(), mi.gid);
	/* Only a kernel can vouch for them. */
	EXPECT_EQ(lt_is_posix() ? 0 : IPC_MSG_CRED_VERIFIED, mi.flags);
}

TEST_F(api, pollable_fd)
{
	struct pollfd pfd;
	char buf[4];
	int fd;

	self->mb = lt_anon(1, 0);
	ASSERT_NE(NULL, self->mb);
	fd = ipc_fd(self->mb);
	ASSERT_LE(0, fd);
	if (lt_is_posix()) {
		/* An edge, POLLIN only: poll_test has it. */
		pfd.fd = fd;
		pfd.events = POLLIN | POLLOUT;
		ASSERT_EQ(0, poll(&pfd, 1, 0));
		return;
	}
	pfd.fd = fd;
	pfd.events = POLLIN | POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	ASSERT_EQ(0, ipc_send(self->mb, "x", 1, NULL, 0));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents);
	ASSERT_EQ(1, ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL));
}

/*
 * A blocking send or receive means the same whoever calls it and however
 * the descriptor was fiddled with: a caller whose effective ids are not
 * the opener's sends as itself, and a descriptor made O_NONBLOCK by
 * someone does not make a blocking call fail with EAGAIN.  (The kernel
 * backend sends by write(2) where it can, which acts for the opener.)
 */
TEST_F(api, blocking_calls_keep_their_meaning)
{
	struct ipc_msginfo mi;
	char buf[16];
	pid_t pid;
	int fd, fl;

	self->mb = lt_anon(4, 0);
	ASSERT_NE(NULL, self->mb);
	pid = tc_fork();
	if (!pid) {
		TC_CHECK_EQ(0, tc_become(TC_NOBODY, TC_NOBODY));
		TC_CHECK_EQ(0, ipc_send(self->mb, "as nobody", 9, NULL, 0));
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(pid));
	ASSERT_EQ(9, ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, &mi));
	EXPECT_EQ((uid_t)TC_NOBODY, mi.uid);
	EXPECT_EQ((gid_t)TC_NOBODY, mi.gid);

	fd = ipc_fd(self->mb);
	ASSERT_LE(0, fd);
	fl = fcntl(fd, F_GETFL);
	ASSERT_LE(0, fl);
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return;		/* the posix backend's inotify descriptor */
	pid = tc_fork();
	if (!pid) {
		usleep(200 * 1000);
		TC_CHECK_EQ(0, ipc_send(self->mb, "late", 4, NULL, 0));
		_exit(0);
	}
	/* Blocks until the child's message comes, no info asked for. */
	EXPECT_EQ(4, ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL));
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(-EAGAIN, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));
	EXPECT_EQ(0, fcntl(fd, F_SETFL, fl));
}

/* A child that becomes nobody and tries things; exit 0 if all went as expected. */
static int lt_as_nobody(const char *name, uint32_t mode)
{
	struct ipc_mbox *mb;
	pid_t pid = tc_fork();
	char buf[8];

	if (pid)
		return tc_wait(pid);
	TC_CHECK_EQ(0, tc_become(TC_NOBODY, TC_NOBODY));
	switch (mode) {
	case 0600:
		TC_CHECK_EQ(-EACCES, ipc_open(name, IPC_RECV, &mb));
		TC_CHECK_EQ(-EACCES, ipc_open(name, IPC_SEND, &mb));
		TC_CHECK_EQ(-EACCES, ipc_create(name, NULL, IPC_RECV, &mb));
		break;
	case 0644:	/* others may receive, not send */
		TC_CHECK_EQ(-EACCES, ipc_open(name, IPC_SEND, &mb));
		TC_CHECK_EQ(-EACCES, ipc_open(name, IPC_RECV | IPC_SEND, &mb));
		TC_CHECK_EQ(0, ipc_open(name, IPC_RECV, &mb));
		TC_CHECK_EQ(1, ipc_recv(mb, buf, sizeof(buf), NULL, 0, NULL));
		TC_CHECK_EQ(-EACCES, ipc_destroy(mb));
		ipc_release(mb);
		break;
	case 0622:	/* others may send, not receive */
		TC_CHECK_EQ(-EACCES, ipc_open(name, IPC_RECV, &mb));
		TC_CHECK_EQ(0, ipc_open(name, IPC_SEND, &mb));
		TC_CHECK_EQ(0, ipc_send(mb, "n", 1, NULL, 0));
		TC_CHECK_EQ(-EACCES, ipc_destroy(mb));
		ipc_release(mb);
		break;
	}
	/* Only the owner removes names. */
	TC_CHECK_EQ(-EACCES, ipc_unlink(name));
	_exit(0);
}

TEST_F(api, permissions)
{
	static const uint32_t modes[] = { 0600, 0644, 0622 };
	struct ipc_info info;
	struct ipc_attr a;
	char buf[8];
	size_t i;

	if (geteuid() != 0)
		SKIP(return, "needs root to become uid %d", TC_NOBODY);
	umask(0);	/* the modes as given */
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		a = lt_attr(4, 0, modes[i]);
		ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
		ASSERT_EQ(0, ipc_send(self->mb, "r", 1, NULL, 0));
		EXPECT_EQ(0, lt_as_nobody(self->name, modes[i])) {
			TH_LOG("mode %o", modes[i]);
		}
		ASSERT_EQ(0, ipc_info(self->mb, &info));
		if (modes[i] == 0644) {		/* nobody took it */
			EXPECT_EQ(0, info.msgs);
		} else if (modes[i] == 0622) {	/* nobody added one */
			EXPECT_EQ(2, info.msgs);
			EXPECT_EQ(1, ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL));
		}
		EXPECT_EQ(0, ipc_destroy(self->mb));
		ipc_release(self->mb);
		self->mb = NULL;
		EXPECT_EQ(-ENOENT, ipc_unlink(self->name));
	}
}

/* ---- introspection: ipc_stat, ipc_list ------------------------------------- */

struct lt_seen {
	const char *want[3];		/* names to look for */
	struct ipc_stat st[3];
	int found[3];
	uint64_t anon_id;		/* an anonymous mailbox's id to look for */
	int anon_found;
	int calls, stop_after;
};

static int lt_list_fn(const struct ipc_stat *st, void *arg)
{
	struct lt_seen *s = arg;
	int i;

	s->calls++;
	for (i = 0; i < 3; i++)
		if (s->want[i] && !strcmp(st->info.name, s->want[i])) {
			s->st[i] = *st;
			s->found[i]++;
		}
	if (!st->info.name[0] && st->info.id == s->anon_id)
		s->anon_found++;
	return s->stop_after && s->calls == s->stop_after ? 42 : 0;
}

TEST_F(api, stat_and_list)
{
	struct ipc_attr a = lt_attr(3, 100, 0640);
	struct ipc_mbox *anon, *odd, *lng;
	struct lt_seen seen = { .want = { self->name } };
	char oddname[96], name255[IPC_NAME_MAX + 1];
	struct ipc_stat st;
	struct ipc_info info;
	pid_t rcv, snd;
	int status;

	umask(0);
	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	ASSERT_EQ(0, ipc_send(self->mb, "one", 3, NULL, 0));
	ASSERT_EQ(0, ipc_send(self->mb, "three", 5, NULL, 0));
	ASSERT_EQ(0, ipc_info(self->mb, &info));

	/* ipc_stat by name: what ipc_info says, with no handle. */
	ASSERT_EQ(0, ipc_stat(self->name, &st));
	EXPECT_EQ(0, st.flags);
	EXPECT_STREQ(self->name, st.info.name);
	EXPECT_EQ(info.id, st.info.id);
	EXPECT_EQ(3, st.info.capacity);
	EXPECT_EQ(100, st.info.max_msg_size);
	EXPECT_EQ(0640, st.info.mode);
	EXPECT_EQ(geteuid(), st.info.uid);
	EXPECT_EQ(getegid(), st.info.gid);
	EXPECT_EQ(0, st.info.access);
	EXPECT_EQ(IPC_STATE_OPEN, st.info.state);
	EXPECT_EQ(2, st.info.msgs);
	EXPECT_EQ(8, st.info.bytes);
	EXPECT_EQ(2, st.info.sent);
	EXPECT_EQ(0, st.info.received);
	EXPECT_EQ(0, st.nsenders);
	EXPECT_EQ(0, st.nreceivers);

	/* Bad input, and names that are not there. */
	EXPECT_EQ(-EFAULT, ipc_stat(self->name, NULL));
	EXPECT_EQ(-EINVAL, ipc_stat("", &st));
	EXPECT_EQ(-EINVAL, ipc_stat("a/b", &st));
	EXPECT_EQ(-EINVAL, ipc_stat(NULL, &st));
	EXPECT_EQ(-ENOENT, ipc_stat("lt-no-such-mailbox", &st));
	EXPECT_EQ(-EINVAL, ipc_list(NULL, NULL));

	/* Blocked callers, with their pids: a receiver, then a sender. */
	ASSERT_EQ(3, ipc_recv(self->mb, oddname, sizeof(oddname), NULL, 0, NULL));
	ASSERT_EQ(5, ipc_recv(self->mb, oddname, sizeof(oddname), NULL, 0, NULL));
	rcv = lt_spawn_recv(self->mb, "x", NULL, 0);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 0, 1));
	ASSERT_EQ(0, ipc_stat(self->name, &st));
	EXPECT_EQ(1, st.info.receivers_waiting);
	ASSERT_EQ(1, st.nreceivers);
	EXPECT_EQ(rcv, st.receivers[0]);
	ASSERT_EQ(0, ipc_send(self->mb, "x", 1, NULL, 0));
	EXPECT_EQ(0, tc_wait(rcv));
	ASSERT_EQ(0, ipc_send(self->mb, "a", 1, NULL, 0));
	ASSERT_EQ(0, ipc_send(self->mb, "b", 1, NULL, 0));
	ASSERT_EQ(0, ipc_send(self->mb, "c", 1, NULL, 0));
	snd = lt_spawn_send(self->mb, "d", NULL, 0);	/* full: it waits */
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	ASSERT_EQ(0, ipc_stat(self->name, &st));
	EXPECT_EQ(1, st.info.senders_waiting);
	EXPECT_EQ(3, st.info.msgs);
	ASSERT_EQ(1, st.nsenders);
	EXPECT_EQ(snd, st.senders[0]);
	EXPECT_EQ(0, st.nreceivers);
	ASSERT_EQ(1, ipc_recv(self->mb, oddname, sizeof(oddname), NULL, 0, NULL));
	EXPECT_EQ(0, tc_wait(snd));

	/* Names that need escaping in /proc/kmbox, and a hashed long one. */
	snprintf(oddname, sizeof(oddname), "%s-a b\tc\\d\ne", self->name);
	ASSERT_EQ(0, ipc_create(oddname, &a, IPC_RECV | IPC_SEND, &odd));
	snprintf(name255, sizeof(name255), "%s-", self->name);
	memset(name255 + strlen(name255), 'L', IPC_NAME_MAX - strlen(name255));
	name255[IPC_NAME_MAX] = '\0';
	ASSERT_EQ(0, ipc_create(name255, &a, IPC_RECV | IPC_SEND, &lng));
	ASSERT_EQ(0, ipc_stat(oddname, &st));
	EXPECT_STREQ(oddname, st.info.name);
	ASSERT_EQ(0, ipc_stat(name255, &st));
	EXPECT_STREQ(name255, st.info.name);

	/* ipc_list sees each of them once; an anonymous one, the kernel only. */
	ASSERT_NE(NULL, anon = lt_anon(2, 0));
	ASSERT_EQ(0, ipc_info(anon, &info));
	seen.want[1] = oddname;
	seen.want[2] = name255;
	seen.anon_id = info.id;
	ASSERT_EQ(0, ipc_list(lt_list_fn, &seen));
	EXPECT_EQ(1, seen.found[0]);
	EXPECT_EQ(1, seen.found[1]);
	EXPECT_EQ(1, seen.found[2]);
	EXPECT_EQ(lt_is_posix() ? 0 : 1, seen.anon_found);
	EXPECT_EQ(3, seen.st[0].info.msgs);
	EXPECT_EQ(0640, seen.st[1].info.mode);
	EXPECT_GE(seen.calls, 3);

	/* A non-zero return stops the walk and is what ipc_list returns. */
	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 1;
	EXPECT_EQ(42, ipc_list(lt_list_fn, &seen));
	EXPECT_EQ(1, seen.calls);

	/* Closed, then unlinked: the state shows, then the name is gone. */
	ASSERT_EQ(0, ipc_close(odd));
	ASSERT_EQ(0, ipc_stat(oddname, &st));
	EXPECT_EQ(IPC_STATE_CLOSED, st.info.state);
	ASSERT_EQ(0, ipc_unlink(oddname));
	EXPECT_EQ(-ENOENT, ipc_stat(oddname, &st));
	ASSERT_EQ(0, ipc_destroy(lng));
	EXPECT_EQ(-ENOENT, ipc_stat(name255, &st));
	ipc_release(odd);
	ipc_release(lng);
	ipc_release(anon);

	/*
	 * Someone with no access to it: the kernel shows it all (from
	 * /proc), the posix backend only what the file says.
	 */
	if (geteuid() != 0)
		SKIP(return, "needs root to become uid %d", TC_NOBODY);
	a = lt_attr(3, 100, 0600);
	ASSERT_EQ(0, ipc_unlink(self->name));
	ipc_release(self->mb);
	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	rcv = tc_fork();
	if (rcv == 0) {
		TC_CHECK_EQ(0, tc_become(TC_NOBODY, TC_NOBODY));
		TC_CHECK_EQ(0, ipc_stat(self->name, &st));
		TC_CHECK_EQ(0, strcmp(self->name, st.info.name));
		TC_CHECK_EQ(0, st.info.uid);
		if (lt_is_posix()) {
			TC_CHECK_EQ(IPC_STAT_PARTIAL, st.flags);
			TC_CHECK_EQ(0, st.info.mode);
		} else {
			TC_CHECK_EQ(0, st.flags);
			TC_CHECK_EQ(0600, st.info.mode);
			TC_CHECK_EQ(3, st.info.capacity);
		}
		_exit(0);
	}
	ASSERT_EQ(rcv, waitpid(rcv, &status, 0));
	EXPECT_EQ(0, status);
}

/* ipc_stat_id and ipc_destroy_id: a mailbox by its id, named or not. */
TEST_F(api, by_id)
{
	struct ipc_attr a = lt_attr(2, 0, 0600);
	struct ipc_mbox *anon;
	struct ipc_info info, ainfo;
	struct ipc_stat st, by_name;

	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	ASSERT_EQ(0, ipc_send(self->mb, "one", 3, NULL, 0));
	ASSERT_EQ(0, ipc_info(self->mb, &info));

	/* What ipc_stat by name says. */
	ASSERT_EQ(0, ipc_stat_id(info.id, &st));
	ASSERT_EQ(0, ipc_stat(self->name, &by_name));
	EXPECT_EQ(0, memcmp(&st, &by_name, sizeof(st)));
	EXPECT_STREQ(self->name, st.info.name);
	EXPECT_EQ(1, st.info.msgs);
	EXPECT_EQ(-EFAULT, ipc_stat_id(info.id, NULL));
	EXPECT_EQ(-ENOENT, ipc_stat_id(info.id + 1000000, &st));
	EXPECT_EQ(-ENOENT, ipc_destroy_id(info.id + 1000000));

	/* An anonymous one: the kernel knows it by id; posix lists none. */
	ASSERT_NE(NULL, anon = lt_anon(1, 0));
	ASSERT_EQ(0, ipc_info(anon, &ainfo));
	if (lt_is_posix()) {
		EXPECT_EQ(-ENOENT, ipc_stat_id(ainfo.id, &st));
	} else {
		ASSERT_EQ(0, ipc_stat_id(ainfo.id, &st));
		EXPECT_EQ(ainfo.id, st.info.id);
		EXPECT_STREQ("", st.info.name);
		ASSERT_EQ(0, ipc_destroy_id(ainfo.id));
		EXPECT_EQ(-EIDRM, ipc_send(anon, "x", 1, NULL, 0));
		EXPECT_EQ(-EIDRM, ipc_destroy_id(ainfo.id));
	}
	ipc_release(anon);

	/* Destroy by id: the name goes, every handle gets EIDRM. */
	ASSERT_EQ(0, ipc_destroy_id(info.id));
	EXPECT_EQ(-EIDRM, ipc_send(self->mb, "x", 1, NULL, 0));
	EXPECT_EQ(-ENOENT, ipc_stat(self->name, &st));
}

/* ---- posix segments that are not ours ------------------------------------- */

static void lt_shm_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "/dev/shm/kmbox.%s", name);
}

/* Overwrite len bytes at off of the segment file. */
static int lt_poke(const char *path, off_t off, const void *data, size_t len)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (pwrite(fd, data, len, off) != (ssize_t)len)
		ret = -EIO;
	close(fd);
	return ret;
}

TEST_F(api, corrupt_segment_refused)
{
	struct ipc_attr a = lt_attr(2, 0, 0600);
	char path[512], junk[4096];
	struct ipc_mbox *mb;
	uint32_t v;
	struct stat st;
	int fd;

	if (!lt_is_posix())
		SKIP(return, "kernel backend: mailboxes are kernel objects, no segment to corrupt");
	lt_shm_path(path, sizeof(path), self->name);

	/* A file that is not ours at all. */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	memset(junk, 'j', sizeof(junk));
	ASSERT_EQ((ssize_t)sizeof(junk), write(fd, junk, sizeof(junk)));
	close(fd);
	EXPECT_EQ(-EBADMSG, ipc_open(self->name, IPC_RECV, &mb));
	EXPECT_EQ(-EBADMSG, ipc_create(self->name, &a, IPC_RECV, &mb));
	a.flags = IPC_EXCL;
	EXPECT_EQ(-EEXIST, ipc_create(self->name, &a, IPC_RECV, &mb));
	a.flags = 0;
	/* Its owner may still remove the name. */
	EXPECT_EQ(0, ipc_unlink(self->name));

	/* An empty file (a segment half made by someone else). */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-EBADMSG, ipc_open(self->name, IPC_RECV, &mb));
	EXPECT_EQ(0, ipc_unlink(self->name));

	/* A symbolic link is not followed. */
	ASSERT_EQ(0, symlink("/etc/passwd", path));
	EXPECT_EQ(-EBADMSG, ipc_open(self->name, IPC_RECV, &mb));
	EXPECT_EQ(0, ipc_unlink(self->name));

	/*
	 * A good segment, then damaged in turn: magic, version, sizes (the
	 * fields of struct pmb_hdr, libipc/posix/pmb.h).
	 */
	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	ASSERT_EQ(0, ipc_send(self->mb, "ok", 2, NULL, 0));
	ASSERT_EQ(0, ipc_open(self->name, IPC_RECV, &mb));
	ipc_release(mb);

	v = 0xdeadbeef;
	ASSERT_EQ(0, lt_poke(path, 0, &v, sizeof(v)));		/* magic */
	EXPECT_EQ(-EBADMSG, ipc_open(self->name, IPC_RECV, &mb));
	ASSERT_EQ(0, lt_poke(path, 0, "LIPM", 4));		/* back */
	ASSERT_EQ(0, ipc_open(self->name, IPC_RECV, &mb));
	ipc_release(mb);

	v = PMB_VERSION + 1;
	ASSERT_EQ(0, lt_poke(path, offsetof(struct pmb_hdr, version), &v, sizeof(v)));
	EXPECT_EQ(-EBADMSG, ipc_open(self->name, IPC_RECV, &mb));
	v = PMB_VERSION;
	ASSERT_EQ(0, lt_poke(path, offsetof(struct pmb_hdr, version), &v, sizeof(v)));

	v = 1U << 31;
	ASSERT_EQ(0, lt_poke(path, offsetof(struct pmb_hdr, max_msg_size), &v, sizeof(v)));
	EXPECT_EQ(-EBADMSG, ipc_open(self->name, IPC_RECV, &mb));
	v = 8192;
	ASSERT_EQ(0, lt_poke(path, offsetof(struct pmb_hdr, max_msg_size), &v, sizeof(v)));
	ASSERT_EQ(0, ipc_open(self->name, IPC_RECV, &mb));
	ipc_release(mb);

	/* Truncated, or grown: the size no longer matches the header. */
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_EQ(0, truncate(path, st.st_size - 4096));
	EXPECT_EQ(-EBADMSG, ipc_open(self->name, IPC_RECV, &mb));
	ASSERT_EQ(0, truncate(path, st.st_size + 4096));
	EXPECT_EQ(-EBADMSG, ipc_open(self->name, IPC_RECV, &mb));
	ASSERT_EQ(0, truncate(path, st.st_size));
	ASSERT_EQ(0, ipc_open(self->name, IPC_RECV, &mb));
	EXPECT_EQ(2, ipc_recv(mb, junk, sizeof(junk), IPC_WAIT_NONE, 0, NULL));
	ipc_release(mb);
}

TEST_HARNESS_MAIN
