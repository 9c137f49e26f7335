// SPDX-License-Identifier: GPL-2.0
/*
 * port_test: ports, direct communication (docs/semantics.md §13).
 *
 *  - KMBOX_CREATE_PORT makes an anonymous mailbox bound to the creating
 *    process; INFO, fdinfo and /proc/kmbox say so, with its pid;
 *  - KMBOX_IOC_PORT_OPEN gives a send handle by pid and port id; the
 *    receiver sees the sender's verified pid;
 *  - a pid that is no process is ESRCH; a process without that port, a
 *    mailbox that is no port and a port that is gone are ECONNREFUSED;
 *    the port's mode decides EACCES;
 *  - a send handle passed over a UNIX socket sends;
 *  - the port dies with its owning handle (close, or the owner's exit),
 *    waking blocked senders with EIDRM;
 *  - pids are those of the caller's pid namespace.
 *
 * Needs root (switching to another uid, unshare(CLONE_NEWPID)): the VM
 * runs it so.
 */
#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "kmbox_test.h"

#define NOBODY	TC_NOBODY

/* A port of the calling process: its owning handle or -errno; *id its id. */
static int port_create(__u32 mode, __u32 access, __u32 flags, __u64 capacity,
		       __u64 *id)
{
	return kt_create(NULL, capacity, 0, mode, access, KMBOX_CREATE_PORT | flags, id);
}

/* PORT_OPEN: a send handle or -errno. */
static int port_open(pid_t pid, __u64 port, __u32 access, __u32 flags)
{
	struct kmbox_port_open po = {
		.flags = flags,
		.access = access,
		.pid = pid,
		.port = port,
	};
	int dev = kt_dev(), ret;

	if (dev < 0)
		return dev;
	ret = kt_ioctl(dev, KMBOX_IOC_PORT_OPEN, &po);
	close(dev);
	return ret;
}

static int port_send(pid_t pid, __u64 port)
{
	return port_open(pid, port, KMBOX_ACCESS_SEND, KMBOX_FD_CLOEXEC);
}

/* The value of a key of /proc/self/fdinfo/FD (after its tab), or -errno. */
static int fdinfo(int fd, const char *key, char *val, size_t size)
{
	char path[64], line[1024];
	size_t klen = strlen(key);
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':' || line[klen + 1] != '\t')
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(val, size, "%s", line + klen + 2);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* The last field of /proc/kmbox's line for id (the port field), or -errno. */
static int proc_port(__u64 id, char *val, size_t size)
{
	char line[4096], *last;
	int ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/kmbox", "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f) || !strstr(line, " receivers port")) {
		fclose(f);
		return -EBADMSG;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strtoull(line, NULL, 10) != id)
			continue;
		line[strcspn(line, "\n")] = '\0';
		last = strrchr(line, ' ');
		snprintf(val, size, "%s", last ? last + 1 : "");
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* Sends one byte to tell a child to go on; 0 or -errno. */
static int go(int fd)
{
	return kt_write_all(fd, "g", 1);
}

/* ---- creation and introspection ---------------------------------------- */

TEST(create_rules)
{
	struct kmbox_limits lim;
	__u64 id;
	int fd;

	ASSERT_EQ(0, kt_limits(&lim));
	EXPECT_EQ(KMBOX_FEATURE_PORT, lim.features & KMBOX_FEATURE_PORT);

	/* A port has no name and its owner receives. */
	EXPECT_EQ(-EINVAL, kt_create("port_test_named", 1, 0, 0600, KMBOX_ACCESS_ALL,
				     KMBOX_CREATE_PORT, NULL));
	EXPECT_EQ(-ENOENT, kt_open("port_test_named", KMBOX_ACCESS_SEND, 0, NULL));
	EXPECT_EQ(-EINVAL, port_create(0600, KMBOX_ACCESS_SEND, 0, 1, NULL));
	EXPECT_EQ(-EINVAL, port_create(0600, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL, 1, NULL));
	fd = port_create(0600, KMBOX_ACCESS_RECV, 0, 1, &id);
	ASSERT_LE(0, fd);
	EXPECT_LT(0ULL, id);
	close(fd);
}

TEST(info_fdinfo_proc)
{
	struct kmbox_info info;
	char val[64], want[64];
	int fd, sfd, afd;
	__u64 id, aid;

	umask(0);
	fd = port_create(0620, KMBOX_ACCESS_ALL, KMBOX_CREATE_OWNER_CLOSE, 4, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_EQ(id, info.id);
	EXPECT_EQ((__u32)(KMBOX_CREATE_PORT | KMBOX_CREATE_SELECT |
			  KMBOX_CREATE_OWNER_CLOSE), info.create_flags);
	EXPECT_EQ(getpid(), info.port_pid);
	EXPECT_STREQ("", info.name);
	EXPECT_EQ(0620U, info.mode);

	sfd = port_send(getpid(), id);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, kt_info(sfd, &info));
	EXPECT_EQ(id, info.id);
	EXPECT_EQ((__u32)KMBOX_ACCESS_SEND, info.access);
	EXPECT_EQ(getpid(), info.port_pid);
	ASSERT_EQ(0, kt_stat_id(id, &info));
	EXPECT_EQ(getpid(), info.port_pid);

	snprintf(want, sizeof(want), "%d owner", (int)getpid());
	ASSERT_EQ(0, fdinfo(fd, "kmbox-port", val, sizeof(val)));
	EXPECT_STREQ(want, val);
	snprintf(want, sizeof(want), "%d", (int)getpid());
	ASSERT_EQ(0, fdinfo(sfd, "kmbox-port", val, sizeof(val)));
	EXPECT_STREQ(want, val);
	ASSERT_EQ(0, fdinfo(sfd, "kmbox-access", val, sizeof(val)));
	EXPECT_STREQ("send", val);
	ASSERT_EQ(0, proc_port(id, val, sizeof(val)));
	EXPECT_STREQ(want, val);

	/* A mailbox that is not a port says so everywhere. */
	afd = kt_create(NULL, 1, 0, 0600, KMBOX_ACCESS_ALL, 0, &aid);
	ASSERT_LE(0, afd);
	ASSERT_EQ(0, kt_info(afd, &info));
	EXPECT_EQ(0, info.port_pid);
	EXPECT_EQ(0U, info.create_flags);
	ASSERT_EQ(0, fdinfo(afd, "kmbox-port", val, sizeof(val)));
	EXPECT_STREQ("-", val);
	ASSERT_EQ(0, proc_port(aid, val, sizeof(val)));
	EXPECT_STREQ("-", val);
	close(afd);
	close(sfd);
	close(fd);
}

/* ---- sending by pid ----------------------------------------------------- */

/* P1, a child, sends to P2's (our) port by pid and port id. */
TEST(child_sends_by_pid)
{
	pid_t p2 = getpid(), p1;
	struct kmbox_recv r;
	char buf[32];
	__u64 id;
	int fd;

	fd = port_create(0600, KMBOX_ACCESS_RECV, 0, 4, &id);
	ASSERT_LE(0, fd);
	p1 = tc_fork();
	ASSERT_LE(0, p1);
	if (p1 == 0) {
		int sfd;

		close(fd);
		sfd = port_send(p2, id);
		TC_CHECK(sfd >= 0);
		TC_CHECK_EQ(0, kt_send_str(sfd, "one", 0));
		TC_CHECK_EQ(0, kt_send_str(sfd, "two", 0));
		/* A send handle cannot receive. */
		TC_CHECK_EQ(-EBADF, kt_recv(sfd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK,
					    0, NULL));
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(p1));
	ASSERT_EQ(3, kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, &r));
	EXPECT_EQ(0, memcmp(buf, "one", 3));
	EXPECT_EQ(p1, r.pid);
	EXPECT_EQ(0U, r.uid);
	ASSERT_EQ(3, kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, &r));
	EXPECT_EQ(0, memcmp(buf, "two", 3));
	EXPECT_EQ(p1, r.pid);
	EXPECT_EQ(-EAGAIN, kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, NULL));
	close(fd);
}

static void *thread_tid(void *arg)
{
	*(pid_t *)arg = syscall(SYS_gettid);
	return NULL;
}

TEST(bad_pid_or_port)
{
	pid_t other, dead, tid = 0;
	int fd, afd, p[2];
	pthread_t th;
	__u64 id, aid;
	char c;

	fd = port_create(0600, KMBOX_ACCESS_ALL, 0, 4, &id);
	ASSERT_LE(0, fd);
	afd = kt_create(NULL, 1, 0, 0666, KMBOX_ACCESS_ALL, 0, &aid);
	ASSERT_LE(0, afd);

	/* Another live process: it has no such port. */
	ASSERT_EQ(0, pipe(p));
	other = tc_fork();
	ASSERT_LE(0, other);
	if (other == 0) {
		close(p[1]);
		(void)!read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	EXPECT_EQ(-ECONNREFUSED, port_send(other, id));
	EXPECT_EQ(0, go(p[1]));
	close(p[1]);
	ASSERT_EQ(0, tc_wait(other));

	/* A pid no process has (this one was just reaped). */
	dead = tc_fork();
	ASSERT_LE(0, dead);
	if (dead == 0)
		_exit(0);
	ASSERT_EQ(0, tc_wait(dead));
	EXPECT_EQ(-ESRCH, port_send(dead, id));

	/* A thread's id is not a process's. */
	ASSERT_EQ(0, pthread_create(&th, NULL, thread_tid, &tid));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_NE(0, tid);
	ASSERT_NE(getpid(), tid);
	EXPECT_EQ(-ESRCH, port_send(tid, id));

	/* Our pid, but not our port. */
	EXPECT_EQ(-ECONNREFUSED, port_send(getpid(), id + 1000000));
	EXPECT_EQ(-ECONNREFUSED, port_send(getpid(), aid));	/* not a port */
	EXPECT_EQ(-ECONNREFUSED, port_send(getpid(), 0));

	/* Bad input. */
	EXPECT_EQ(-EINVAL, port_send(0, id));
	EXPECT_EQ(-EINVAL, port_send(-1, id));
	EXPECT_EQ(-EINVAL, port_open(getpid(), id, KMBOX_ACCESS_RECV, 0));
	EXPECT_EQ(-EINVAL, port_open(getpid(), id, KMBOX_ACCESS_ALL, 0));
	EXPECT_EQ(-EINVAL, port_open(getpid(), id, 0, 0));
	EXPECT_EQ(-EINVAL, port_open(getpid(), id, KMBOX_ACCESS_SEND, KMBOX_CREATE_EXCL));
	EXPECT_EQ(-EINVAL, port_open(getpid(), id, KMBOX_ACCESS_SEND, 1U << 31));
	close(afd);
	close(fd);
}

TEST(reserved_and_fd_flags)
{
	__u64 id;
	int fd, sfd, dev;
	struct kmbox_port_open po = { .access = KMBOX_ACCESS_SEND };

	fd = port_create(0600, KMBOX_ACCESS_ALL, 0, 4, &id);
	ASSERT_LE(0, fd);
	po.pid = getpid();
	po.port = id;
	dev = kt_dev();
	ASSERT_LE(0, dev);
	po.__reserved0 = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(dev, KMBOX_IOC_PORT_OPEN, &po));
	po.__reserved0 = 0;
	po.__reserved[1] = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(dev, KMBOX_IOC_PORT_OPEN, &po));
	po.__reserved[1] = 0;
	EXPECT_EQ(-ENOTTY, kt_ioctl(fd, KMBOX_IOC_PORT_OPEN, &po));
	EXPECT_EQ(-EINVAL, kt_ioctl(dev, kt_cmd_sized(KMBOX_IOC_PORT_OPEN,
						      KMBOX_PORT_OPEN_SIZE_VER0 - 8), &po));
	/* Right: a send handle, its fd flags as asked. */
	po.flags = KMBOX_FD_CLOEXEC | KMBOX_FD_NONBLOCK;
	sfd = kt_ioctl(dev, KMBOX_IOC_PORT_OPEN, &po);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(sfd, F_GETFD));
	EXPECT_EQ(O_NONBLOCK, fcntl(sfd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(O_WRONLY, fcntl(sfd, F_GETFL) & O_ACCMODE);
	close(sfd);
	po.flags = 0;
	sfd = kt_ioctl(dev, KMBOX_IOC_PORT_OPEN, &po);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(0, fcntl(sfd, F_GETFD));
	EXPECT_EQ(0, fcntl(sfd, F_GETFL) & O_NONBLOCK);
	close(sfd);
	close(dev);
	close(fd);
}

/* A send handle passed over a UNIX socket to a third process sends. */
TEST(handle_over_unix_socket)
{
	pid_t opener, user;
	char buf[32];
	struct kmbox_recv r;
	int fd, sv[2];
	__u64 id;

	fd = port_create(0600, KMBOX_ACCESS_RECV, 0, 4, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));

	user = tc_fork();
	ASSERT_LE(0, user);
	if (user == 0) {
		int sfd;

		close(fd);
		sfd = tc_recv_fd(sv[1]);
		TC_CHECK(sfd >= 0);
		TC_CHECK_EQ(0, kt_send_str(sfd, "passed", 0));
		_exit(0);
	}
	opener = tc_fork();
	ASSERT_LE(0, opener);
	if (opener == 0) {
		int sfd;

		close(fd);
		sfd = port_send(getppid(), id);
		TC_CHECK(sfd >= 0);
		TC_CHECK_EQ(0, tc_send_fd(sv[0], sfd));
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(opener));
	ASSERT_EQ(0, tc_wait(user));
	ASSERT_EQ(6, kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, &r));
	EXPECT_EQ(0, memcmp(buf, "passed", 6));
	EXPECT_EQ(user, r.pid);		/* the sender, not the opener */
	close(sv[0]);
	close(sv[1]);
	close(fd);
}

/* The port's mode decides who may send, as OPEN's does. */
TEST(mode_denies_other_uid)
{
	int closed, open_;
	__u64 cid, oid;
	pid_t me = getpid(), child;

	umask(0);
	closed = port_create(0600, KMBOX_ACCESS_RECV, 0, 4, &cid);
	ASSERT_LE(0, closed);
	open_ = port_create(0622, KMBOX_ACCESS_RECV, 0, 4, &oid);
	ASSERT_LE(0, open_);
	child = tc_fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		int sfd;

		TC_CHECK_EQ(0, tc_become(NOBODY, NOBODY));
		TC_CHECK_EQ(-EACCES, port_send(me, cid));
		sfd = port_send(me, oid);
		TC_CHECK(sfd >= 0);
		TC_CHECK_EQ(0, kt_send_str(sfd, "nobody", 0));
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(child));
	EXPECT_EQ(6ULL, KT_INFO_FIELD(open_, bytes));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(closed, msgs));
	close(open_);
	close(closed);
}

/* ---- lifetime ----------------------------------------------------------- */

/*
 * The owner closes its handle: the port is destroyed, a sender blocked on
 * a send handle wakes with EIDRM, the port cannot be opened any more.
 */
TEST(owner_close_destroys)
{
	struct kmbox_info info;
	int fd, sfd, dfd;
	pid_t sender;
	__u64 id;

	fd = port_create(0600, KMBOX_ACCESS_RECV, 0, 1, &id);
	ASSERT_LE(0, fd);
	sfd = port_send(getpid(), id);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, kt_send_str(sfd, "fills", 0));
	sender = tc_fork();
	ASSERT_LE(0, sender);
	if (sender == 0) {
		close(fd);	/* else this child would keep the port */
		TC_CHECK_EQ(-EIDRM, kt_send_str(sfd, "blocked", 0));
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_waiters(sfd, 1, 0));

	/* A dup is the same file: closing one of two keeps the port. */
	dfd = dup(fd);
	ASSERT_LE(0, dfd);
	close(fd);
	ASSERT_EQ(0, kt_info(sfd, &info));
	EXPECT_EQ((__u32)KMBOX_STATE_OPEN, info.state);
	close(dfd);

	ASSERT_EQ(0, tc_wait(sender));
	ASSERT_EQ(0, kt_info(sfd, &info));
	EXPECT_EQ((__u32)KMBOX_STATE_DESTROYED, info.state);
	EXPECT_EQ(0ULL, info.msgs);
	EXPECT_EQ(1ULL, info.dropped);
	EXPECT_EQ(-EIDRM, kt_send_str(sfd, "late", KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(-ECONNREFUSED, port_send(getpid(), id));
	close(sfd);
}

/*
 * The owner process exits while a sender is blocked on a rendezvous port:
 * the sender wakes with EIDRM.  While the exited owner is a zombie its pid
 * still names it (ECONNREFUSED), once reaped no process has it (ESRCH).
 */
TEST(owner_exit_destroys)
{
	struct kt_call call = { .op = KT_SEND, .buf = "to the dead", .len = 11 };
	struct kmbox_info info;
	struct kt_result res;
	struct kt_child c;
	int sfd, p[2], q[2];
	pid_t owner;
	__u64 id;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(q));
	owner = tc_fork();
	ASSERT_LE(0, owner);
	if (owner == 0) {
		char x;
		int fd;

		close(p[0]);
		close(q[1]);
		fd = port_create(0600, KMBOX_ACCESS_RECV, 0, 0, &id);
		TC_CHECK(fd >= 0);
		TC_CHECK_EQ(0, kt_write_all(p[1], &id, sizeof(id)));
		(void)!read(q[0], &x, 1);	/* until killed */
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	ASSERT_EQ(0, kt_read_all(p[0], &id, sizeof(id)));
	sfd = port_send(owner, id);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, kt_info(sfd, &info));
	EXPECT_EQ(owner, info.port_pid);
	call.fd = sfd;
	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(sfd, 1, 0));

	ASSERT_EQ(0, kill(owner, SIGKILL));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(-EIDRM, res.ret);
	ASSERT_EQ(0, kt_info(sfd, &info));
	EXPECT_EQ((__u32)KMBOX_STATE_DESTROYED, info.state);
	/* Until reaped, its pid still names it: it has no port. */
	EXPECT_EQ(-ECONNREFUSED, port_send(owner, id));
	EXPECT_EQ(128 + SIGKILL, tc_wait(owner));
	EXPECT_EQ(-ESRCH, port_send(owner, id));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(sfd, port_pid));	/* no such process */
	close(sfd);
	close(p[0]);
	close(q[1]);
}

/*
 * The owner closes its port and lives on: its pid still names a process,
 * which has no such port any more.
 */
TEST(closed_port_of_live_process)
{
	int sfd, p[2], q[2];
	pid_t owner;
	__u64 id;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(q));
	owner = tc_fork();
	ASSERT_LE(0, owner);
	if (owner == 0) {
		char x;
		int fd;

		close(p[0]);
		close(q[1]);
		fd = port_create(0600, KMBOX_ACCESS_RECV, 0, 4, &id);
		TC_CHECK(fd >= 0);
		TC_CHECK_EQ(0, kt_write_all(p[1], &id, sizeof(id)));
		TC_CHECK_EQ(1, read(q[0], &x, 1));
		close(fd);
		TC_CHECK_EQ(0, kt_write_all(p[1], &id, sizeof(id)));
		TC_CHECK_EQ(1, read(q[0], &x, 1));
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	ASSERT_EQ(0, kt_read_all(p[0], &id, sizeof(id)));
	sfd = port_send(owner, id);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, kt_send_str(sfd, "before", 0));
	ASSERT_EQ(0, go(q[1]));
	ASSERT_EQ(0, kt_read_all(p[0], &id, sizeof(id)));
	EXPECT_EQ(-ECONNREFUSED, port_send(owner, id));
	EXPECT_EQ(-EIDRM, kt_send_str(sfd, "after", 0));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(sfd, dropped));
	ASSERT_EQ(0, go(q[1]));
	ASSERT_EQ(0, tc_wait(owner));
	close(sfd);
	close(p[0]);
	close(q[1]);
}

/*
 * The owning handle passed on (here by fork) keeps the port alive, still
 * bound to its creator: the holder's pid does not name it.
 */
TEST(owner_handle_passed_on)
{
	pid_t me = getpid(), holder;
	struct kmbox_info info;
	int fd, sfd, p[2], q[2];
	char buf[16];
	__u64 id;

	fd = port_create(0600, KMBOX_ACCESS_RECV, 0, 4, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(q));
	holder = tc_fork();
	ASSERT_LE(0, holder);
	if (holder == 0) {
		char x;

		close(p[0]);
		close(q[1]);
		TC_CHECK_EQ(1, read(q[0], &x, 1));
		TC_CHECK_EQ(me, KT_INFO_FIELD(fd, port_pid));
		TC_CHECK_EQ(3, kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
		TC_CHECK_EQ(-ECONNREFUSED, port_send(getpid(), id));
		TC_CHECK_EQ(0, kt_write_all(p[1], "r", 1));
		TC_CHECK_EQ(1, read(q[0], &x, 1));
		_exit(0);		/* the last holder: the port goes */
	}
	close(p[1]);
	close(q[0]);
	close(fd);			/* the child still holds the file */
	sfd = port_send(me, id);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, kt_send_str(sfd, "hey", 0));
	ASSERT_EQ(0, go(q[1]));
	ASSERT_EQ(0, kt_read_all(p[0], buf, 1));
	ASSERT_EQ(0, kt_info(sfd, &info));
	EXPECT_EQ((__u32)KMBOX_STATE_OPEN, info.state);
	EXPECT_EQ(me, info.port_pid);
	ASSERT_EQ(0, go(q[1]));
	ASSERT_EQ(0, tc_wait(holder));
	EXPECT_EQ((__u64)KMBOX_STATE_DESTROYED, KT_INFO_FIELD(sfd, state));
	EXPECT_EQ(-ECONNREFUSED, port_send(me, id));
	close(sfd);
	close(p[0]);
	close(q[1]);
}

/* ---- pid namespaces ------------------------------------------------------ */

/*
 * A port made in a child pid namespace, by its init: inside, its pid is 1;
 * outside, its pid there.  A port outside is not visible inside (pid 0).
 */
TEST(pid_namespace)
{
	struct kmbox_info info;
	int outer, sfd, p[2], q[2], r[2];
	__u64 oid, id;
	pid_t a, b;
	char x;

	outer = port_create(0600, KMBOX_ACCESS_RECV, 0, 4, &oid);
	ASSERT_LE(0, outer);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(q));
	ASSERT_EQ(0, pipe(r));
	a = tc_fork();
	ASSERT_LE(0, a);
	if (a == 0) {
		close(p[0]);
		close(q[1]);
		close(r[0]);
		TC_CHECK_EQ(0, unshare(CLONE_NEWPID));
		/* Not tc_fork(): our pid is 0 to the child, it cannot check. */
		b = fork();
		TC_CHECK(b >= 0);
		if (b == 0) {
			int fd, own;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			alarm(TC_CHILD_ALARM);
			TC_CHECK_EQ(1, getpid());
			TC_CHECK_EQ(0, KT_INFO_FIELD(outer, port_pid));
			fd = port_create(0600, KMBOX_ACCESS_RECV, 0, 4, &id);
			TC_CHECK(fd >= 0);
			TC_CHECK_EQ(1, KT_INFO_FIELD(fd, port_pid));
			/* Its own port, by its pid in its namespace. */
			own = port_send(1, id);
			TC_CHECK(own >= 0);
			TC_CHECK_EQ(0, kt_send_str(own, "self", 0));
			/* Pid 1 here is not the outer port's process. */
			TC_CHECK_EQ(-ECONNREFUSED, port_send(1, oid));
			TC_CHECK_EQ(0, kt_write_all(r[1], &id, sizeof(id)));
			TC_CHECK_EQ(1, read(q[0], &x, 1));
			_exit(0);
		}
		TC_CHECK_EQ(0, kt_write_all(p[1], &b, sizeof(b)));
		TC_CHECK_EQ(0, tc_wait(b));
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	close(r[1]);
	ASSERT_EQ(0, kt_read_all(p[0], &b, sizeof(b)));
	ASSERT_EQ(0, kt_read_all(r[0], &id, sizeof(id)));
	ASSERT_NE(1, b);
	EXPECT_EQ(-ECONNREFUSED, port_send(1, id));	/* our init is not b */
	sfd = port_send(b, id);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, kt_info(sfd, &info));
	EXPECT_EQ(b, info.port_pid);
	EXPECT_EQ(4ULL, info.bytes);	/* "self", from inside */
	ASSERT_EQ(0, go(q[1]));
	ASSERT_EQ(0, tc_wait(a));
	EXPECT_EQ((__u64)KMBOX_STATE_DESTROYED, KT_INFO_FIELD(sfd, state));
	close(sfd);
	close(p[0]);
	close(q[1]);
	close(r[0]);
	close(outer);
}

TEST_HARNESS_MAIN
