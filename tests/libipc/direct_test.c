// SPDX-License-Identifier: GPL-2.0
/*
 * direct_test: direct communication on both backends.  A process's port
 * (ipc_port_create), reached by pid, by pidfd and by a handle passed over
 * a UNIX socket (kernel backend); receive(Q) with IPC_SEL_FROM while
 * another process sends too; a port whose owner released it or exited
 * refuses (ECONNREFUSED), its old handles get EIDRM, a reaped owner is
 * ESRCH.  A backend (or module) without ports skips, saying so.
 */
#include "lt.h"

#include <sys/socket.h>
#include <sys/syscall.h>

#define N	16

FIXTURE(direct) {
	struct ipc_mbox *port;
	uint64_t id;
};

FIXTURE_VARIANT(direct) {
	const char *backend;
};

FIXTURE_VARIANT_ADD(direct, kernel) { .backend = "kernel" };
FIXTURE_VARIANT_ADD(direct, posix) { .backend = "posix" };

FIXTURE_SETUP(direct)
{
	struct ipc_attr a = lt_attr(IPC_UNBOUNDED, 0, 0600);
	int ret;

	LT_USE_BACKEND(variant->backend);
	ret = ipc_port_create(&a, &self->port, &self->id);
	if (ret == -ENOTSUP)
		TC_SKIP("ports: not in the %s backend (ENOTSUP)", ipc_backend());
	ASSERT_EQ(0, ret);
	ASSERT_NE(0, self->id);
}

FIXTURE_TEARDOWN(direct)
{
	ipc_release(self->port);
}

/* A child that sends "tag-0" .. "tag-(n-1)" to port id of process pid. */
static pid_t spawn_sender(pid_t pid, uint64_t id, const char *tag, int n)
{
	pid_t child = tc_fork();
	struct ipc_mbox *mb;
	char msg[32];
	int i;

	if (child)
		return child;
	TC_CHECK_EQ(0, ipc_port_open(pid, id, &mb));
	for (i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "%s-%d", tag, i);
		TC_CHECK_EQ(0, ipc_send(mb, msg, strlen(msg), IPC_WAIT_NS(10 * TC_SEC), 0));
	}
	ipc_release(mb);
	_exit(0);
}

/* Receive one message, selected from process from unless from is 0. */
static ssize_t recv_from(struct ipc_mbox *mb, pid_t from, char *buf, size_t size,
			 const struct ipc_wait *w, struct ipc_msginfo *info)
{
	struct ipc_recvopt sel = { .flags = from ? IPC_SEL_FROM : 0, .from = from };
	ssize_t n = ipc_recv_opt(mb, buf, size - 1, w, 0, info, &sel);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

TEST_F(direct, info_says_port)
{
	struct ipc_info i;

	ASSERT_EQ(0, ipc_info(self->port, &i));
	EXPECT_EQ(self->id, i.id);
	EXPECT_EQ(IPC_PORT | IPC_SELECT, i.flags & (IPC_PORT | IPC_SELECT));
	EXPECT_EQ(getpid(), i.port_pid);
	EXPECT_EQ(IPC_RECV, i.access & IPC_RECV);
	EXPECT_STREQ("", i.name);
}

TEST_F(direct, send_by_pid)
{
	struct ipc_msginfo info;
	char buf[64];
	pid_t p1;

	p1 = spawn_sender(getpid(), self->id, "p1", 1);
	ASSERT_LT(0, p1);
	ASSERT_EQ(4, recv_from(self->port, 0, buf, sizeof(buf), IPC_WAIT_NS(10 * TC_SEC), &info));
	EXPECT_STREQ("p1-0", buf);
	EXPECT_EQ(p1, info.pid);
	EXPECT_EQ(lt_is_posix() ? 0U : IPC_MSG_CRED_VERIFIED, info.flags);
	EXPECT_EQ(0, tc_wait(p1));

	/* send(P, message) in one call, to ourselves. */
	ASSERT_EQ(0, ipc_send_to(getpid(), self->id, "self", 4, NULL, 0));
	ASSERT_EQ(4, recv_from(self->port, 0, buf, sizeof(buf), IPC_WAIT_NONE, &info));
	EXPECT_STREQ("self", buf);
	EXPECT_EQ(getpid(), info.pid);
}

TEST_F(direct, send_by_pidfd)
{
	struct ipc_mbox *mb = NULL;
	char buf[64];
	int pidfd, fds[2];
	pid_t child;

	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0 && errno == ENOSYS)
		TC_SKIP("no pidfd_open (ENOSYS)");
	ASSERT_LE(0, pidfd);
	/* The child has only the pidfd, not the pid. */
	child = tc_fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		TC_CHECK_EQ(0, ipc_port_open_pidfd(pidfd, self->id, &mb));
		TC_CHECK_EQ(0, ipc_send(mb, "pidfd", 5, NULL, 0));
		_exit(0);
	}
	ASSERT_EQ(5, recv_from(self->port, 0, buf, sizeof(buf), IPC_WAIT_NS(10 * TC_SEC), NULL));
	EXPECT_STREQ("pidfd", buf);
	EXPECT_EQ(0, tc_wait(child));
	close(pidfd);

	/* Not a pidfd: EBADF; no port of that id: ECONNREFUSED. */
	ASSERT_EQ(0, pipe(fds));
	EXPECT_EQ(-EBADF, ipc_port_open_pidfd(fds[0], self->id, &mb));
	EXPECT_EQ(NULL, mb);
	EXPECT_EQ(-EBADF, ipc_port_open_pidfd(-1, self->id, &mb));
	close(fds[0]);
	close(fds[1]);

	/* A process that has exited and been reaped: ESRCH. */
	child = tc_fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(0);
	pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	ASSERT_LE(0, pidfd);
	EXPECT_EQ(0, tc_wait(child));
	EXPECT_EQ(-ESRCH, ipc_port_open_pidfd(pidfd, self->id, &mb));
	close(pidfd);
}

/*
 * A send handle passed over a UNIX socket to a process that never named
 * the port: its write(2) is a send.  Kernel backend only: a posix handle
 * is no descriptor.
 */
TEST_F(direct, send_by_passed_handle)
{
	struct ipc_mbox *mb;
	struct ipc_msginfo info;
	char buf[64];
	int sv[2], fd;
	pid_t child;

	if (lt_is_posix())
		TC_SKIP("posix: a handle is not a descriptor to pass (ipc_fd: ENOTSUP)");
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	child = tc_fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		close(sv[0]);
		fd = tc_recv_fd(sv[1]);
		TC_CHECK(fd >= 0);
		TC_CHECK_EQ(6, write(fd, "passed", 6));
		_exit(0);
	}
	close(sv[1]);
	ASSERT_EQ(0, ipc_port_open(getpid(), self->id, &mb));
	ASSERT_EQ(0, tc_send_fd(sv[0], ipc_fd(mb)));
	ipc_release(mb);
	close(sv[0]);
	ASSERT_EQ(6, recv_from(self->port, 0, buf, sizeof(buf), IPC_WAIT_NS(10 * TC_SEC), &info));
	EXPECT_STREQ("passed", buf);
	EXPECT_EQ(child, info.pid);
	EXPECT_EQ(0, tc_wait(child));
}

/* receive(Q): only P1's messages, in order, while P3 sends too. */
TEST_F(direct, receive_from_one)
{
	struct ipc_msginfo info;
	struct ipc_info i;
	char buf[64], want[32];
	siginfo_t si;
	pid_t p1, p3;
	int k;

	p1 = spawn_sender(getpid(), self->id, "p1", N);
	ASSERT_LT(0, p1);
	p3 = spawn_sender(getpid(), self->id, "p3", N);
	ASSERT_LT(0, p3);
	for (k = 0; k < N; k++) {
		snprintf(want, sizeof(want), "p1-%d", k);
		ASSERT_LT(0, recv_from(self->port, p1, buf, sizeof(buf),
				       IPC_WAIT_NS(10 * TC_SEC), &info));
		EXPECT_STREQ(want, buf);
		EXPECT_EQ(p1, info.pid);
	}
	/*
	 * Both have sent all once they have exited.  Not reaped: a sender
	 * must be a process (a zombie is one) for IPC_SEL_FROM to name it.
	 */
	ASSERT_EQ(0, waitid(P_PID, (id_t)p1, &si, WEXITED | WNOWAIT));
	ASSERT_EQ(0, waitid(P_PID, (id_t)p3, &si, WEXITED | WNOWAIT));
	/* P1 has exited with nothing more queued (ESRCH); P3's are all there, in order. */
	EXPECT_EQ(-ESRCH, recv_from(self->port, p1, buf, sizeof(buf), IPC_WAIT_NONE, NULL));
	ASSERT_EQ(0, ipc_info(self->port, &i));
	EXPECT_EQ(N, i.msgs);
	for (k = 0; k < N; k++) {
		snprintf(want, sizeof(want), "p3-%d", k);
		ASSERT_LT(0, recv_from(self->port, p3, buf, sizeof(buf), IPC_WAIT_NONE, &info));
		EXPECT_STREQ(want, buf);
	}
	EXPECT_EQ(-EAGAIN, recv_from(self->port, 0, buf, sizeof(buf), IPC_WAIT_NONE, NULL));
	EXPECT_EQ(0, tc_wait(p1));
	EXPECT_EQ(0, tc_wait(p3));
	/* From a pid no process has: P1, reaped, and a bad one. */
	EXPECT_EQ(-ESRCH, recv_from(self->port, p1, buf, sizeof(buf), IPC_WAIT_NONE, NULL));
	EXPECT_EQ(-ESRCH, recv_from(self->port, -5, buf, sizeof(buf), IPC_WAIT_NONE, NULL));
}

/*
 * Waiting FROM a process that exits having sent nothing: ESRCH, not the
 * timeout (its exit wakes us: at once in the kernel, within the posix
 * backend's poll interval there); a live one that has sent nothing is EAGAIN.
 */
TEST_F(direct, receive_from_exiting)
{
	struct ipc_mbox *mb;
	struct ipc_info i;
	char buf[16];
	pid_t parent = getpid(), child;

	child = tc_fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		TC_CHECK_EQ(0, ipc_port_open(parent, self->id, &mb));
		/* Exits once the parent waits for it. */
		_exit(LT_WAIT_INFO(mb, i, i.receivers_waiting == 1) ? 1 : 0);
	}
	EXPECT_EQ(-EAGAIN, recv_from(self->port, child, buf, sizeof(buf), IPC_WAIT_NONE, NULL));
	EXPECT_EQ(-ESRCH, recv_from(self->port, child, buf, sizeof(buf),
				    IPC_WAIT_NS(20 * TC_SEC), NULL));
	EXPECT_EQ(0, tc_wait(child));
}

TEST_F(direct, refused)
{
	struct ipc_mbox *mb = (struct ipc_mbox *)1;
	pid_t child;

	EXPECT_EQ(-ECONNREFUSED, ipc_port_open(getpid(), self->id + 1000000, &mb));
	EXPECT_EQ(NULL, mb);
	EXPECT_EQ(-ESRCH, ipc_port_open(0, self->id, &mb));
	EXPECT_EQ(-ESRCH, ipc_port_open(-1, self->id, &mb));
	EXPECT_EQ(-EFAULT, ipc_port_open(getpid(), self->id, NULL));
	EXPECT_EQ(-ECONNREFUSED, ipc_send_to(getpid(), self->id + 1000000, "x", 1, NULL, 0));

	/* A process with no port at all. */
	child = tc_fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		pause();
		_exit(0);
	}
	EXPECT_EQ(-ECONNREFUSED, ipc_port_open(child, self->id, &mb));
	tc_kill(child);

	/* The mode: someone else may not send to a 0600 port. */
	if (geteuid() != 0)
		return;
	child = tc_fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		TC_CHECK_EQ(0, tc_become(TC_NOBODY, TC_NOBODY));
		TC_CHECK_EQ(-EACCES, ipc_port_open(getppid(), self->id, &mb));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(child));
}

TEST_F(direct, bad_attr)
{
	struct ipc_attr a = lt_attr(4, 0, 0600);
	struct ipc_mbox *mb = (struct ipc_mbox *)1;
	uint64_t id = 1;

	a.flags = IPC_EXCL;
	EXPECT_EQ(-EINVAL, ipc_port_create(&a, &mb, &id));
	EXPECT_EQ(NULL, mb);
	EXPECT_EQ(0, id);
	a.flags = IPC_PORT;
	EXPECT_EQ(-EINVAL, ipc_port_create(&a, &mb, &id));
	a.flags = 0;
	a.mode = 01000;
	EXPECT_EQ(-EINVAL, ipc_port_create(&a, &mb, &id));
	a.mode = 0600;
	a.__reserved[1] = 1;
	EXPECT_EQ(-EINVAL, ipc_port_create(&a, &mb, &id));
	EXPECT_EQ(-EFAULT, ipc_port_create(NULL, NULL, &id));
	EXPECT_EQ(-EFAULT, ipc_port_create(NULL, &mb, NULL));
}

/*
 * The port goes with its owner's handle: released, or at exit.  A handle
 * opened before then gets EIDRM, a new open ECONNREFUSED; once the owner
 * is reaped its pid names no process: ESRCH.
 */
static void owner_gone(struct __test_metadata *_metadata, bool release)
{
	uint64_t *shared = tc_shared(sizeof(uint64_t));
	int go[2], ready[2];
	struct ipc_mbox *mb, *port;
	char c = 0;
	pid_t owner;

	ASSERT_NE(NULL, shared);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	owner = tc_fork();
	ASSERT_LE(0, owner);
	if (owner == 0) {
		TC_CHECK_EQ(0, ipc_port_create(NULL, &port, shared));
		TC_CHECK_EQ(1, write(ready[1], "r", 1));
		TC_CHECK_EQ(1, read(go[0], &c, 1));
		if (release)
			ipc_release(port);
		TC_CHECK_EQ(1, write(ready[1], "g", 1));
		TC_CHECK_EQ(1, read(go[0], &c, 1));
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, ipc_port_open(owner, *shared, &mb));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(1, read(ready[0], &c, 1));
	if (!release) {
		/* Let it exit, but do not reap it yet: its pid stays. */
		ASSERT_EQ(1, write(go[1], "x", 1));
		while (tc_running(owner))
			tc_sleep_ms(1);
	}
	/*
	 * posix: no one ends the port of a process that died, and a handle
	 * opened before keeps sending into it (the backend table says so).
	 */
	if (release || !lt_is_posix())
		EXPECT_EQ(-EIDRM, ipc_send(mb, "late", 4, IPC_WAIT_NONE, 0));
	EXPECT_EQ(-ECONNREFUSED, ipc_port_open(owner, *shared, &port));
	EXPECT_EQ(-ECONNREFUSED, ipc_send_to(owner, *shared, "late", 4, IPC_WAIT_NONE, 0));
	if (release)
		ASSERT_EQ(1, write(go[1], "x", 1));
	EXPECT_EQ(0, tc_wait(owner));
	EXPECT_EQ(-ESRCH, ipc_port_open(owner, *shared, &port));
	ipc_release(mb);
	munmap(shared, sizeof(uint64_t));
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
}

TEST_F(direct, owner_releases)
{
	owner_gone(_metadata, true);
}

TEST_F(direct, owner_exits)
{
	owner_gone(_metadata, false);
}

TEST_HARNESS_MAIN
