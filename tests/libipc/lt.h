/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lt.h: helpers shared by the libipc tests.
 *
 * Each fixture has a variant per backend; its setup forces the backend
 * with LIBIPC_BACKEND before the first libipc call of the test process
 * (the harness forks one per test, and the library chooses once per
 * process).  The kernel variant skips when /dev/kmbox is absent.
 *
 * Children: tc_fork() starts one that dies with the test process and
 * after TC_CHILD_ALARM seconds at the latest.  Children report with their
 * exit status (TC_CHECK*), never with ASSERT_*, which would run the
 * fixture's teardown in the child.
 *
 * "Someone is blocked" is observed with ipc_info (senders_waiting,
 * receivers_waiting) and a deadline, never by sleeping a fixed time.
 */
#ifndef LT_H
#define LT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "ipc.h"
#include "kselftest_harness.h"
#include "test_common.h"

static inline int lt_have_kernel(void)
{
	return access("/dev/kmbox", F_OK) == 0;
}

/* Force the backend for this test process (it is chosen once per process). */
#define LT_USE_BACKEND(name) do {					\
	if (!strcmp((name), "kernel") && !lt_have_kernel())		\
		TC_SKIP("kernel backend: no /dev/kmbox (kmbox.ko not loaded)"); \
	setenv("LIBIPC_BACKEND", (name), 1);				\
	ASSERT_NE(NULL, ipc_backend());					\
	ASSERT_STREQ((name), ipc_backend());				\
} while (0)

static inline int lt_is_posix(void)
{
	return !strcmp(ipc_backend(), "posix");
}

/* A name no other test or run uses (tc_run_id: a pid is not enough). */
static inline const char *lt_name(char *buf, size_t size, const char *tag)
{
	static unsigned int seq;

	snprintf(buf, size, "lt-%d-%08x-%s-%u", (int)getpid(), tc_run_id(), tag, seq++);
	return buf;
}

static inline struct ipc_attr lt_attr(uint64_t capacity, uint32_t msg_size,
				      uint32_t mode)
{
	struct ipc_attr a = {
		.capacity = capacity, .max_msg_size = msg_size, .mode = mode,
	};
	return a;
}

/* An anonymous mailbox, both directions, or NULL (the error is printed). */
static inline struct ipc_mbox *lt_anon(uint64_t capacity, uint32_t msg_size)
{
	struct ipc_attr a = lt_attr(capacity, msg_size, 0600);
	struct ipc_mbox *mb = NULL;
	int ret = ipc_create(NULL, &a, IPC_RECV | IPC_SEND, &mb);

	if (ret)
		fprintf(stderr, "# ipc_create: %s\n", strerror(-ret));
	return mb;
}

/* ---- info --------------------------------------------------------------- */

static inline void lt_print_info(const char *why, const struct ipc_info *i)
{
	fprintf(stderr, "# %s: state %u msgs %llu bytes %llu senders_waiting %u "
		"receivers_waiting %u sent %llu received %llu dropped %llu\n",
		why, i->state, (unsigned long long)i->msgs,
		(unsigned long long)i->bytes, i->senders_waiting,
		i->receivers_waiting, (unsigned long long)i->sent,
		(unsigned long long)i->received, (unsigned long long)i->dropped);
}

/* Wait until cond (over struct ipc_info var) holds: 0, or -ETIMEDOUT. */
#define LT_WAIT_INFO(mb, var, cond) ({					\
	int64_t __end = tc_now_ns() + TC_WAIT_MS * TC_MS;			\
	int __ret;							\
	for (;;) {							\
		__ret = ipc_info((mb), &(var));				\
		if (__ret || (cond))					\
			break;						\
		if (tc_now_ns() > __end) {					\
			__ret = -ETIMEDOUT;				\
			lt_print_info("timed out waiting for " #cond, &(var)); \
			break;						\
		}							\
		tc_sleep_ms(1);						\
	}								\
	__ret;								\
})

static inline int lt_wait_waiters(struct ipc_mbox *mb, unsigned int senders,
				  unsigned int receivers)
{
	struct ipc_info i;

	return LT_WAIT_INFO(mb, i, i.senders_waiting == senders &&
				    i.receivers_waiting == receivers);
}

static inline uint64_t lt_info_msgs(struct ipc_mbox *mb)
{
	struct ipc_info i;

	return ipc_info(mb, &i) ? UINT64_MAX : i.msgs;
}

/* ---- processes ------------------------------------------------------------ */

/*
 * A child that makes one call and exits with (unsigned char)-ret: 0 for
 * success, an errno otherwise.  Exit codes double as errnos.
 */
static inline pid_t lt_spawn_send(struct ipc_mbox *mb, const char *msg,
				  const struct ipc_wait *w, unsigned int flags)
{
	pid_t pid = tc_fork();

	if (pid == 0)
		_exit(-ipc_send(mb, msg, strlen(msg), w, flags));
	return pid;
}

/* A receiving child: exits with the errno, or 0 if it got exactly expect. */
static inline pid_t lt_spawn_recv(struct ipc_mbox *mb, const char *expect,
				  const struct ipc_wait *w, unsigned int flags)
{
	pid_t pid = tc_fork();

	if (pid == 0) {
		char buf[256];
		ssize_t n = ipc_recv(mb, buf, sizeof(buf) - 1, w, flags, NULL);

		if (n < 0)
			_exit(-n);
		buf[n] = '\0';
		if (expect && strcmp(buf, expect)) {
			fprintf(stderr, "# child %d got '%s', expected '%s'\n",
				(int)getpid(), buf, expect);
			_exit(200);
		}
		_exit(0);
	}
	return pid;
}

/* Receive a string into buf (NUL-terminated): its length or -errno. */
static inline ssize_t lt_recv_str(struct ipc_mbox *mb, char *buf, size_t size,
				  const struct ipc_wait *w)
{
	ssize_t n = ipc_recv(mb, buf, size - 1, w, 0, NULL);

	buf[n >= 0 ? n : 0] = '\0';
	return n;
}

#endif /* LT_H */
