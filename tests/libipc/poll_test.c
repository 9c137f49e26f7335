// SPDX-License-Identifier: GPL-2.0
/*
 * ipc_fd: waiting for a mailbox in an event loop, on both backends.
 *
 * The kernel backend's descriptor is the handle, level-triggered (POLLIN
 * while a message is queued, POLLOUT while there is room...).  The posix
 * backend's is an edge: readable once the mailbox changed since the handle
 * last looked (a send, receive or info of the handle), POLLIN only, with
 * spurious wake-ups; the caller goes on with non-blocking calls until
 * EAGAIN.  What both give, tested on both: a poller wakes when another
 * process (a separate one that opened the name, or a child) sends, closes
 * or destroys; once it has received until EAGAIN, epoll_wait times out;
 * two pollers waiting for different things both wake.  The descriptor
 * belongs to the handle.  Posix only: a send with no poller costs no
 * system call for it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <dirent.h>

#include "lt.h"

#define LT_WAKE_MS	5000	/* a wake-up that must come */
#define LT_QUIET_MS	200	/* and one that must not */

/*
 * The other process: this program run again with LT_POLL_OP="op name",
 * which opens the mailbox by name and does op, before the harness starts:
 * nothing in it is inherited from the test.  Exits with the errno.
 */
__attribute__((constructor)) static void lt_poll_exec_child(void)
{
	const char *env = getenv("LT_POLL_OP");
	struct ipc_mbox *mb;
	char op[16], name[IPC_NAME_MAX + 1];
	int ret;

	if (!env)
		return;
	if (sscanf(env, "%15s %255s", op, name) != 2)
		_exit(EINVAL);
	ret = ipc_open(name, IPC_SEND, &mb);
	if (ret)
		_exit(-ret);
	if (!strcmp(op, "send"))
		ret = ipc_send(mb, "hello", 5, NULL, 0);
	else if (!strcmp(op, "close"))
		ret = ipc_close(mb);
	else if (!strcmp(op, "destroy"))
		ret = ipc_destroy(mb);
	else
		ret = -EINVAL;
	ipc_release(mb);
	_exit(-ret);
}

/* Run op on the mailbox name in a new process (fork and exec): its errno. */
static int lt_exec_op(const char *op, const char *name)
{
	char env[300];
	pid_t pid;

	snprintf(env, sizeof(env), "%s %s", op, name);
	pid = tc_fork();
	if (pid == 0) {
		setenv("LT_POLL_OP", env, 1);
		execl("/proc/self/exe", "poll_test", (char *)NULL);
		_exit(127);
	}
	return pid < 0 ? -errno : tc_wait(pid);
}

/* An epoll set with fd in it, for events; -errno on failure. */
static int lt_epoll(int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return -errno;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(ep);
		return -errno;
	}
	return ep;
}

/* epoll_wait for up to ms: the number of ready descriptors (0 or 1). */
static int lt_epoll_wait(int ep, int ms)
{
	struct epoll_event ev;
	int n;

	do
		n = epoll_wait(ep, &ev, 1, ms);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static ssize_t lt_recv_now(struct ipc_mbox *mb, char *buf, size_t size)
{
	struct ipc_wait nb = { .mode = IPC_NONBLOCK };

	return ipc_recv(mb, buf, size, &nb, 0, NULL);
}

/* Open descriptors of this process. */
static int lt_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the DIR's own */
}

FIXTURE(poll) {
	struct ipc_mbox *mb;
	char name[64];
	int ep;
};

FIXTURE_VARIANT(poll) {
	const char *backend;
};

FIXTURE_VARIANT_ADD(poll, kernel) { .backend = "kernel" };
FIXTURE_VARIANT_ADD(poll, posix) { .backend = "posix" };

FIXTURE_SETUP(poll)
{
	self->ep = -1;
	LT_USE_BACKEND(variant->backend);
	lt_name(self->name, sizeof(self->name), "poll");
}

FIXTURE_TEARDOWN(poll)
{
	if (self->ep >= 0)
		close(self->ep);
	if (self->mb)
		ipc_release(self->mb);
	ipc_unlink(self->name);
}

/* A named mailbox of this capacity, polled for POLLIN by self->ep. */
static int lt_setup_polled(FIXTURE_DATA(poll) *self, uint64_t capacity)
{
	struct ipc_attr a = lt_attr(capacity, 0, 0600);
	int ret, fd;

	ret = ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb);
	if (ret)
		return ret;
	fd = ipc_fd(self->mb);
	if (fd < 0)
		return fd;
	self->ep = lt_epoll(fd, EPOLLIN);
	return self->ep < 0 ? self->ep : 0;
}

TEST_F(poll, wakes_on_send_by_another_process)
{
	char buf[16];

	ASSERT_EQ(0, lt_setup_polled(self, 4));
	EXPECT_EQ(0, lt_epoll_wait(self->ep, 0));
	ASSERT_EQ(0, lt_exec_op("send", self->name));
	ASSERT_EQ(1, lt_epoll_wait(self->ep, LT_WAKE_MS));
	ASSERT_EQ(5, lt_recv_now(self->mb, buf, sizeof(buf)));
	ASSERT_EQ(-EAGAIN, lt_recv_now(self->mb, buf, sizeof(buf)));
	/* Received until EAGAIN: nothing left to report. */
	EXPECT_EQ(0, lt_epoll_wait(self->ep, LT_QUIET_MS));
	/* And the next send wakes it again. */
	ASSERT_EQ(0, lt_exec_op("send", self->name));
	ASSERT_EQ(1, lt_epoll_wait(self->ep, LT_WAKE_MS));
	ASSERT_EQ(5, lt_recv_now(self->mb, buf, sizeof(buf)));
}

TEST_F(poll, no_stale_level_after_many)
{
	struct ipc_mbox *mb;
	char buf[16];
	int i, n = 0;
	pid_t pid;

	ASSERT_EQ(0, lt_setup_polled(self, 64));
	pid = tc_fork();
	if (pid == 0) {
		/* A separate open by name, in another process. */
		TC_CHECK_EQ(0, ipc_open(self->name, IPC_SEND, &mb));
		for (i = 0; i < 50; i++)
			TC_CHECK_EQ(0, ipc_send(mb, "m", 1, NULL, 0));
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(pid));
	/* However many changes: one wake-up, then quiet once all are taken. */
	while (n < 50) {
		ASSERT_EQ(1, lt_epoll_wait(self->ep, LT_WAKE_MS));
		while (lt_recv_now(self->mb, buf, sizeof(buf)) == 1)
			n++;
	}
	EXPECT_EQ(50, n);
	EXPECT_EQ(0, lt_epoll_wait(self->ep, LT_QUIET_MS));
}

TEST_F(poll, wakes_on_close)
{
	char buf[16];

	ASSERT_EQ(0, lt_setup_polled(self, 4));
	ASSERT_EQ(0, lt_exec_op("close", self->name));
	ASSERT_EQ(1, lt_epoll_wait(self->ep, LT_WAKE_MS));
	EXPECT_EQ(-EPIPE, lt_recv_now(self->mb, buf, sizeof(buf)));
	/* The kernel's stays readable (POLLHUP); the posix one is an edge. */
	if (lt_is_posix())
		EXPECT_EQ(0, lt_epoll_wait(self->ep, LT_QUIET_MS));
}

TEST_F(poll, wakes_on_destroy)
{
	char buf[16];

	ASSERT_EQ(0, lt_setup_polled(self, 4));
	ASSERT_EQ(0, lt_exec_op("destroy", self->name));
	ASSERT_EQ(1, lt_epoll_wait(self->ep, LT_WAKE_MS));
	EXPECT_EQ(-EIDRM, lt_recv_now(self->mb, buf, sizeof(buf)));
	if (lt_is_posix())
		EXPECT_EQ(0, lt_epoll_wait(self->ep, LT_QUIET_MS));
}

/*
 * A receiver and a sender waiting for room, in two processes: the
 * receiver's own calls must not swallow the sender's wake-up (which one
 * pipe shared by the pollers would do).
 */
TEST_F(poll, two_pollers_wait_for_different_things)
{
	struct ipc_wait nb = { .mode = IPC_NONBLOCK };
	struct ipc_mbox *mb;
	int sync[2], ep, fd;
	char buf[16], c;
	pid_t pid;

	ASSERT_EQ(0, lt_setup_polled(self, 1));
	ASSERT_EQ(0, pipe(sync));
	pid = tc_fork();
	if (pid == 0) {
		TC_CHECK_EQ(0, ipc_open(self->name, IPC_SEND, &mb));
		TC_CHECK_EQ(0, ipc_send(mb, "1", 1, &nb, 0));
		fd = ipc_fd(mb);
		TC_CHECK(fd >= 0);
		ep = lt_epoll(fd, lt_is_posix() ? EPOLLIN : EPOLLOUT);
		TC_CHECK(ep >= 0);
		/* Registered, then look: full. */
		TC_CHECK_EQ(-EAGAIN, ipc_send(mb, "2", 1, &nb, 0));
		TC_CHECK_EQ(1, write(sync[1], "r", 1));
		for (;;) {
			TC_CHECK_EQ(1, lt_epoll_wait(ep, LT_WAKE_MS));
			if (!ipc_send(mb, "2", 1, &nb, 0))
				break;
		}
		_exit(0);
	}
	ASSERT_EQ(1, read(sync[0], &c, 1));
	ASSERT_EQ(1, lt_epoll_wait(self->ep, LT_WAKE_MS));
	ASSERT_EQ(1, lt_recv_now(self->mb, buf, sizeof(buf)));
	/* Until EAGAIN (or the sender's second message): this drains ours. */
	lt_recv_now(self->mb, buf, sizeof(buf));
	ASSERT_EQ(0, tc_wait(pid));
	close(sync[0]);
	close(sync[1]);
}

TEST_F(poll, fd_belongs_to_the_handle)
{
	struct ipc_attr a = lt_attr(4, 0, 0600);
	struct ipc_mbox *mb;
	int before, fd, i;

	before = lt_count_fds();
	ASSERT_LE(0, before);
	for (i = 0; i < 2; i++) {
		mb = NULL;
		if (i == 0)
			ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &mb);
		else
			mb = lt_anon(4, 0);
		ASSERT_NE(NULL, mb);
		fd = ipc_fd(mb);
		ASSERT_LE(0, fd);
		EXPECT_EQ(fd, ipc_fd(mb));
		EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
		ipc_release(mb);
		EXPECT_EQ(-1, fcntl(fd, F_GETFD));
		EXPECT_EQ(before, lt_count_fds());
	}
}

TEST_F(poll, anonymous_across_fork)
{
	struct ipc_wait nb = { .mode = IPC_NONBLOCK };
	int sync[2], go[2], fd, ep;
	char buf[16], c;
	pid_t pid;

	self->mb = lt_anon(8, 0);
	ASSERT_NE(NULL, self->mb);
	fd = ipc_fd(self->mb);
	ASSERT_LE(0, fd);
	self->ep = lt_epoll(fd, EPOLLIN);
	ASSERT_LE(0, self->ep);

	/* A child sends: the parent wakes. */
	pid = lt_spawn_send(self->mb, "from child", NULL, 0);
	ASSERT_EQ(0, tc_wait(pid));
	ASSERT_EQ(1, lt_epoll_wait(self->ep, LT_WAKE_MS));
	ASSERT_EQ(10, lt_recv_now(self->mb, buf, sizeof(buf)));
	ASSERT_EQ(-EAGAIN, lt_recv_now(self->mb, buf, sizeof(buf)));
	EXPECT_EQ(0, lt_epoll_wait(self->ep, LT_QUIET_MS));

	/*
	 * A child polls: the parent's send wakes it, even once the parent
	 * has looked (a peek) and so emptied its own descriptor: on posix,
	 * the child's is its own, not the one it inherited.
	 */
	ASSERT_EQ(0, pipe(sync));
	ASSERT_EQ(0, pipe(go));
	pid = tc_fork();
	if (pid == 0) {
		fd = ipc_fd(self->mb);
		TC_CHECK(fd >= 0);
		ep = lt_epoll(fd, EPOLLIN);
		TC_CHECK(ep >= 0);
		TC_CHECK_EQ(-EAGAIN, ipc_recv(self->mb, buf, sizeof(buf), &nb, 0, NULL));
		TC_CHECK_EQ(1, write(sync[1], "r", 1));
		TC_CHECK_EQ(1, read(go[0], &c, 1));
		for (;;) {
			TC_CHECK_EQ(1, lt_epoll_wait(ep, LT_WAKE_MS));
			if (ipc_recv(self->mb, buf, sizeof(buf), &nb, 0, NULL) == 11)
				break;
		}
		TC_CHECK_EQ(0, memcmp(buf, "from parent", 11));
		_exit(0);
	}
	ASSERT_EQ(1, read(sync[0], &c, 1));
	ASSERT_EQ(0, ipc_send(self->mb, "from parent", 11, NULL, 0));
	ASSERT_EQ(11, ipc_recv(self->mb, buf, sizeof(buf), &nb, IPC_PEEK, NULL));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(0, tc_wait(pid));
	close(sync[0]);
	close(sync[1]);
	close(go[0]);
	close(go[1]);

	/* The parent's descriptor still works after the child's came and went. */
	ASSERT_EQ(-EAGAIN, lt_recv_now(self->mb, buf, sizeof(buf)));
	EXPECT_EQ(0, lt_epoll_wait(self->ep, LT_QUIET_MS));
	pid = lt_spawn_send(self->mb, "again", NULL, 0);
	ASSERT_EQ(0, tc_wait(pid));
	ASSERT_EQ(1, lt_epoll_wait(self->ep, LT_WAKE_MS));
	ASSERT_EQ(5, lt_recv_now(self->mb, buf, sizeof(buf)));
}

TEST_F(poll, dead_poller_is_harmless)
{
	struct ipc_mbox *mb;
	int sync[2], i, fd;
	char buf[16], c;
	pid_t pid;

	ASSERT_EQ(0, lt_setup_polled(self, 4));
	ASSERT_EQ(0, pipe(sync));
	pid = tc_fork();
	if (pid == 0) {
		TC_CHECK_EQ(0, ipc_open(self->name, IPC_RECV, &mb));
		fd = ipc_fd(mb);
		TC_CHECK(fd >= 0);
		TC_CHECK(lt_epoll(fd, EPOLLIN) >= 0);
		TC_CHECK_EQ(1, write(sync[1], "r", 1));
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(sync[0], &c, 1));
	tc_kill(pid);
	close(sync[0]);
	close(sync[1]);
	/* Its registration is left behind: senders go on, pollers still wake. */
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, ipc_send(self->mb, "x", 1, NULL, 0));
		ASSERT_EQ(1, ipc_recv(self->mb, buf, sizeof(buf), NULL, 0, NULL));
	}
	ASSERT_EQ(-EAGAIN, lt_recv_now(self->mb, buf, sizeof(buf)));
	EXPECT_EQ(0, lt_epoll_wait(self->ep, LT_QUIET_MS));
	ASSERT_EQ(0, lt_exec_op("send", self->name));
	ASSERT_EQ(1, lt_epoll_wait(self->ep, LT_WAKE_MS));
	ASSERT_EQ(5, lt_recv_now(self->mb, buf, sizeof(buf)));
}

struct lt_thr {
	struct ipc_mbox *mb;
	int fd;
};

static void *lt_thr_fd(void *arg)
{
	struct lt_thr *t = arg;

	t->fd = ipc_fd(t->mb);
	return NULL;
}

static void *lt_thr_send(void *arg)
{
	struct lt_thr *t = arg;
	int i;

	for (i = 0; i < 1000; i++)
		if (ipc_send(t->mb, "t", 1, NULL, 0))
			return (void *)1;
	return NULL;
}

/* Threads of one process: one descriptor per handle, and no lost wake-up. */
TEST_F(poll, threads_share_a_handle)
{
	struct ipc_attr a = lt_attr(8, 0, 0600);
	struct lt_thr t[4];
	pthread_t th[4];
	void *ret;
	char buf[16];
	int i, n = 0;

	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	for (i = 0; i < 4; i++) {
		t[i].mb = self->mb;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, lt_thr_fd, &t[i]));
	}
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	ASSERT_LE(0, t[0].fd);
	for (i = 1; i < 4; i++)
		EXPECT_EQ(t[0].fd, t[i].fd);
	self->ep = lt_epoll(t[0].fd, EPOLLIN);
	ASSERT_LE(0, self->ep);
	ASSERT_EQ(0, pthread_create(&th[0], NULL, lt_thr_send, &t[0]));
	while (n < 1000) {
		ASSERT_EQ(1, lt_epoll_wait(self->ep, LT_WAKE_MS));
		while (lt_recv_now(self->mb, buf, sizeof(buf)) == 1)
			n++;
	}
	ASSERT_EQ(0, pthread_join(th[0], &ret));
	EXPECT_EQ(NULL, ret);
	EXPECT_EQ(0, lt_epoll_wait(self->ep, LT_QUIET_MS));
}

/* ---- what polling costs ------------------------------------------------------ */

#define LT_SENDS	100

/*
 * System calls a child makes sending LT_SENDS messages to the mailbox
 * name (opened before counting), counted with ptrace between two
 * getppid() calls that mark the start and the end; -errno on failure.
 */
static long lt_syscalls_per_sends(const char *name)
{
	struct __ptrace_syscall_info si;
	struct ipc_mbox *mb;
	long count = 0;
	bool inside = false;
	int status, i;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (ipc_open(name, IPC_SEND, &mb))
			_exit(1);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(2);
		raise(SIGSTOP);
		syscall(SYS_getppid);
		for (i = 0; i < LT_SENDS; i++)
			if (ipc_send(mb, "x", 1, NULL, 0))
				_exit(3);
		syscall(SYS_getppid);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		goto fail;
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)))
		goto fail;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL))
			goto fail;
		if (waitpid(pid, &status, 0) != pid)
			goto fail;
		if (WIFEXITED(status))
			return WEXITSTATUS(status) ? -EPROTO : count;
		if (!WIFSTOPPED(status) || WSTOPSIG(status) != (SIGTRAP | 0x80))
			continue;
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(si), &si) <= 0)
			goto fail;
		if (si.op != PTRACE_SYSCALL_INFO_ENTRY)
			continue;
		if (si.entry.nr == SYS_getppid)
			inside = !inside;
		else if (inside)
			count++;
	}
fail:
	tc_kill(pid);
	return -EPROTO;
}

TEST_F(poll, no_system_call_without_a_poller)
{
	struct ipc_attr a = lt_attr(4 * LT_SENDS, 0, 0600);
	struct ipc_mbox *poller;
	long none, polled, after;
	char buf[16];
	int i;

	if (!lt_is_posix())
		TC_SKIP("the posix backend's cost");
	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	/* Once, so that the storage is allocated (fallocate) before counting. */
	for (i = 0; i < LT_SENDS; i++)
		ASSERT_EQ(0, ipc_send(self->mb, "x", 1, NULL, 0));
	while (lt_recv_now(self->mb, buf, sizeof(buf)) == 1)
		;
	none = lt_syscalls_per_sends(self->name);
	ASSERT_LE(0, none);
	while (lt_recv_now(self->mb, buf, sizeof(buf)) == 1)
		;

	ASSERT_EQ(0, ipc_open(self->name, IPC_RECV, &poller));
	ASSERT_LE(0, ipc_fd(poller));
	polled = lt_syscalls_per_sends(self->name);
	while (lt_recv_now(self->mb, buf, sizeof(buf)) == 1)
		;
	ipc_release(poller);
	after = lt_syscalls_per_sends(self->name);
	fprintf(stderr, "# system calls per %d sends: %ld with no poller, %ld with one, "
		"%ld once it is gone\n", LT_SENDS, none, polled, after);
	/* One write per change while someone polls, and none otherwise. */
	EXPECT_EQ(none + LT_SENDS, polled);
	EXPECT_EQ(none, after);
}

TEST_HARNESS_MAIN
