// SPDX-License-Identifier: GPL-2.0
/*
 * The posix backend's ids of the calling process (pmb_self: pid, euid,
 * egid, pid namespace): read once, and again after fork, from any thread.
 *
 * fork_while_reading_ids: a thread is reading them (its process's first
 * call) when another thread forks.  The child has no copy of the reading
 * thread, and must read its own ids, not wait for that thread for good.
 * The reading is held in its stat(2) of /proc/self/ns/pid by this
 * program's own stat(), which stands in for the C library's here.
 */
#include "lt.h"
#include "posix/pmb.h"

#define FT_NS_PATH	"/proc/self/ns/pid"

static int ft_hold;		/* set: stat(FT_NS_PATH) waits for ft_release */
static int ft_held, ft_release;

int stat(const char *path, struct stat *st)
{
	if (__atomic_load_n(&ft_hold, __ATOMIC_ACQUIRE) && !strcmp(path, FT_NS_PATH)) {
		__atomic_store_n(&ft_held, 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&ft_release, __ATOMIC_ACQUIRE))
			usleep(1000);
	}
	return fstatat(AT_FDCWD, path, st, 0);
}

static void *ft_reader(void *arg)
{
	pmb_self();
	return arg;
}

TEST(fork_while_reading_ids)
{
	pid_t child;

	LT_USE_BACKEND("posix");
	child = tc_fork();
	if (child == 0) {
		pthread_t t;
		pid_t g;
		int r;

		/* A process that has not read its ids yet: one thread starts. */
		__atomic_store_n(&ft_hold, 1, __ATOMIC_RELEASE);
		TC_CHECK_EQ(0, pthread_create(&t, NULL, ft_reader, NULL));
		while (!__atomic_load_n(&ft_held, __ATOMIC_ACQUIRE))
			usleep(1000);
		/* And another forks meanwhile. */
		g = tc_fork();
		if (g == 0) {
			const struct pmb_self *me;

			__atomic_store_n(&ft_hold, 0, __ATOMIC_RELEASE);
			me = pmb_self();
			TC_CHECK_EQ(getpid(), me->pid);
			TC_CHECK_EQ(geteuid(), me->uid);
			_exit(0);
		}
		TC_CHECK(g > 0);
		r = tc_wait_ms(g, 3000);
		__atomic_store_n(&ft_release, 1, __ATOMIC_RELEASE);
		pthread_join(t, NULL);
		TC_CHECK_EQ(getpid(), pmb_self()->pid);
		TC_CHECK_EQ(0, r);
		_exit(0);
	}
	ASSERT_LT(0, child);
	EXPECT_EQ(0, tc_wait(child));
}

TEST_HARNESS_MAIN
