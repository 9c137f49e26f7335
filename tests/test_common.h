/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_common.h: what every kmbox test program needs, whichever API it
 * tests (the module's ioctls in tests/, libipc in tests/libipc/): clocks,
 * child processes, and skipping a test from its fixture's setup.  Include
 * it after kselftest_harness.h.
 *
 * Children: tc_fork() starts one that dies with the test process and after
 * TC_CHILD_ALARM seconds at the latest, so no test can leave a blocked
 * process behind.  Children report with their exit status (TC_CHECK*),
 * never with the harness's ASSERT_*, which would run the fixture's
 * teardown in the child.
 */
#ifndef TEST_COMMON_H
#define TEST_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#define TC_MS		1000000LL	/* ns */
#define TC_SEC		1000000000LL	/* ns */
/* How long to wait for a state that must come (ms). */
#define TC_WAIT_MS	10000
/* No child lives longer than this (s). */
#define TC_CHILD_ALARM	60
/* An unprivileged user that exists without /etc/passwd. */
#define TC_NOBODY	65534

/*
 * Skip the test from its fixture's setup (or its body), whatever the
 * harness version does after a SKIP() in a setup: 6.1's runs the test body
 * anyway, 6.9 and later do not.  The harness's SKIP() records the reason
 * and the "skipped" verdict; the jump back to where the harness called the
 * setup is the same one a failed ASSERT_*() takes (every version since
 * fixtures exist), so the body never runs, and the teardown runs only if
 * the setup had completed.  A setup that skips must therefore skip before
 * it acquires anything its teardown would release.
 * tests/harness_skip_test.c proves it on the harness the tests are built
 * with.
 */
#define TC_SKIP(fmt, ...)						\
	SKIP({ fflush(NULL); longjmp(_metadata->env, 1); }, fmt, ##__VA_ARGS__)

static inline int64_t tc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * TC_SEC + ts.tv_nsec;
}

static inline void tc_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * A random number, the same for a process and the children it forks after
 * the first call, for names no other run uses: a pid alone is not enough,
 * as a killed run leaves its posix segments behind in /dev/shm, and a
 * later run (in a new pid namespace, say) gets the same pids again.
 */
static inline uint32_t tc_run_id(void)
{
	static uint32_t id;

	while (!id)
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			id = (uint32_t)tc_now_ns() ^ (uint32_t)getpid() << 16;
	return id;
}

/* fork() a child that cannot outlive the test process. */
static inline pid_t tc_fork(void)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
		alarm(TC_CHILD_ALARM);
	}
	return pid;
}

/* In a child: report a failed check on stderr and exit 1. */
#define TC_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# child %d: %s:%d: check failed: %s\n",	\
			(int)getpid(), __FILE__, __LINE__, #cond);	\
		_exit(1);						\
	}								\
} while (0)

/* In a child: check that expr == expected, printing both if not. */
#define TC_CHECK_EQ(expected, expr) do {				\
	long long __e = (long long)(expected), __g = (long long)(expr);	\
	if (__e != __g) {						\
		fprintf(stderr, "# child %d: %s:%d: %s: expected %lld, "\
			"got %lld\n", (int)getpid(), __FILE__, __LINE__,\
			#expr, __e, __g);				\
		_exit(1);						\
	}								\
} while (0)

/*
 * Wait for a child: its exit status (0..255), 128 + the signal that killed
 * it, or -ETIMEDOUT (it is then killed) when it takes longer than ms.
 */
static inline int tc_wait_ms(pid_t pid, unsigned int ms)
{
	int64_t end = tc_now_ns() + (int64_t)ms * TC_MS;
	int status;
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, &status, WNOHANG);
		if (ret == pid)
			break;
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (tc_now_ns() > end) {
			fprintf(stderr, "# child %d did not end in %u ms\n",
				(int)pid, ms);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		tc_sleep_ms(1);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -EINVAL;
}

static inline int tc_wait(pid_t pid)
{
	return tc_wait_ms(pid, 2 * TC_WAIT_MS);
}

/* 1 when the child has not ended yet (it is not reaped), 0 when it has. */
static inline int tc_running(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT))
		return 0;
	return si.si_pid == 0;
}

/* Kill and reap a child, whatever state it is in. */
static inline void tc_kill(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* In a child: become an unprivileged user (no supplementary groups). */
static inline int tc_become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	return 0;
}

/* Memory shared with children, zeroed; NULL if it cannot be had. */
static inline void *tc_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Passes fd over the UNIX socket sock (one byte and SCM_RIGHTS): 0 or -errno. */
static inline int tc_send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -errno;
}

/* Receives a descriptor tc_send_fd passed (close-on-exec): it, or -EIO. */
static inline int tc_recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
		return -EIO;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EIO;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

#endif /* TEST_COMMON_H */
