// SPDX-License-Identifier: GPL-2.0
/*
 * libipc API: backend choice, argument checking, names, info, EMSGSIZE,
 * peek, iovecs, credentials, the pollable fd, permissions, and (posix)
 * segments that are not ours or are corrupt.
 */
#include "lt.h"

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
	ASSERT_EQ(0, lt_wait(pid));
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
	if (lt_is_posix()) {
		/* Only a kernel object can be polled: see the backend table. */
		ASSERT_EQ(-ENOTSUP, fd);
		return;
	}
	ASSERT_LE(0, fd);
	pfd.fd = fd;
	pfd.events = POLLIN | POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	ASSERT_EQ(0, ipc_send(self->mb, "x", 1, NULL, 0));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents);
	ASSERT_EQ(1, ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL));
}

/* A child that becomes nobody and tries things; exit 0 if all went as expected. */
static int lt_as_nobody(const char *name, uint32_t mode)
{
	struct ipc_mbox *mb;
	pid_t pid = lt_fork();
	char buf[8];

	if (pid)
		return lt_wait(pid);
	LT_CHECK_EQ(0, lt_become(LT_NOBODY, LT_NOBODY));
	switch (mode) {
	case 0600:
		LT_CHECK_EQ(-EACCES, ipc_open(name, IPC_RECV, &mb));
		LT_CHECK_EQ(-EACCES, ipc_open(name, IPC_SEND, &mb));
		LT_CHECK_EQ(-EACCES, ipc_create(name, NULL, IPC_RECV, &mb));
		break;
	case 0644:	/* others may receive, not send */
		LT_CHECK_EQ(-EACCES, ipc_open(name, IPC_SEND, &mb));
		LT_CHECK_EQ(-EACCES, ipc_open(name, IPC_RECV | IPC_SEND, &mb));
		LT_CHECK_EQ(0, ipc_open(name, IPC_RECV, &mb));
		LT_CHECK_EQ(1, ipc_recv(mb, buf, sizeof(buf), NULL, 0, NULL));
		LT_CHECK_EQ(-EACCES, ipc_destroy(mb));
		ipc_release(mb);
		break;
	case 0622:	/* others may send, not receive */
		LT_CHECK_EQ(-EACCES, ipc_open(name, IPC_RECV, &mb));
		LT_CHECK_EQ(0, ipc_open(name, IPC_SEND, &mb));
		LT_CHECK_EQ(0, ipc_send(mb, "n", 1, NULL, 0));
		LT_CHECK_EQ(-EACCES, ipc_destroy(mb));
		ipc_release(mb);
		break;
	}
	/* Only the owner removes names. */
	LT_CHECK_EQ(-EACCES, ipc_unlink(name));
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
		SKIP(return, "needs root to become uid %d", LT_NOBODY);
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
	 * A good segment, then damaged in turn: magic, version, sizes.  The
	 * offsets are those of struct pmb_hdr in libipc/backend-posix.c.
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

	v = 2;
	ASSERT_EQ(0, lt_poke(path, 8, &v, sizeof(v)));		/* version */
	EXPECT_EQ(-EBADMSG, ipc_open(self->name, IPC_RECV, &mb));
	v = 1;
	ASSERT_EQ(0, lt_poke(path, 8, &v, sizeof(v)));

	v = 1U << 31;
	ASSERT_EQ(0, lt_poke(path, 56, &v, sizeof(v)));		/* max_msg_size */
	EXPECT_EQ(-EBADMSG, ipc_open(self->name, IPC_RECV, &mb));
	v = 8192;
	ASSERT_EQ(0, lt_poke(path, 56, &v, sizeof(v)));
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
