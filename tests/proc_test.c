// SPDX-License-Identifier: GPL-2.0
/*
 * proc_test: /proc/kmbox, the introspection file (docs/semantics.md §9).
 *
 *  - a header naming the columns, then one line per mailbox;
 *  - a mailbox's line shows its id, name (escaped; "-" when anonymous or
 *    unlinked), capacity, size, owner, mode, state, depth, bytes and
 *    totals, as INFO does;
 *  - the pids of blocked senders and receivers;
 *  - the line goes when the mailbox is freed.
 */
#include "kmbox_test.h"

#define PROC_KMBOX	"/proc/kmbox"

struct proc_line {
	unsigned long long id, max_msg_size, msgs, bytes, sent, received, dropped;
	char name[1024], capacity[32], state[16], senders[256], receivers[256];
	char port[32];
	unsigned int uid, gid, mode;
};

/* Finds the line of mailbox id; 1 if found, 0 if not, -errno on error. */
static int proc_find(unsigned long long id, struct proc_line *pl)
{
	char line[4096];
	int found = 0;
	FILE *f;

	f = fopen(PROC_KMBOX, "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f) ||
	    strcmp(line, "id name capacity max_msg_size uid gid mode state msgs bytes sent received dropped senders receivers port\n")) {
		fclose(f);
		return -EBADMSG;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu %1023s %31s %llu %u %u %o %15s %llu %llu %llu %llu %llu %255s %255s %31s",
			   &pl->id, pl->name, pl->capacity, &pl->max_msg_size,
			   &pl->uid, &pl->gid, &pl->mode, pl->state, &pl->msgs,
			   &pl->bytes, &pl->sent, &pl->received, &pl->dropped,
			   pl->senders, pl->receivers, pl->port) != 16) {
			fclose(f);
			return -EBADMSG;
		}
		found = pl->id == id;
	}
	fclose(f);
	return found;
}

TEST(named_mailbox_line_matches_info)
{
	struct kmbox_info info = { 0 };
	struct proc_line pl;
	char name[64];
	__u64 id;
	int fd;

	umask(0);
	kt_name(name, sizeof(name), "proc");
	fd = kt_create(name, 5, 100, 0640, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_send_str(fd, "hello", 0));
	ASSERT_EQ(0, kt_info(fd, &info));

	ASSERT_EQ(1, proc_find(id, &pl));
	EXPECT_STREQ(name, pl.name);
	EXPECT_STREQ("5", pl.capacity);
	EXPECT_EQ(100ULL, pl.max_msg_size);
	EXPECT_EQ(info.uid, pl.uid);
	EXPECT_EQ(info.gid, pl.gid);
	EXPECT_EQ(0640U, pl.mode);
	EXPECT_STREQ("open", pl.state);
	EXPECT_EQ(1ULL, pl.msgs);
	EXPECT_EQ(5ULL, pl.bytes);
	EXPECT_EQ(1ULL, pl.sent);
	EXPECT_EQ(0ULL, pl.received);
	EXPECT_STREQ("-", pl.senders);
	EXPECT_STREQ("-", pl.receivers);
	EXPECT_STREQ("-", pl.port);	/* not a port: port_test has ports */
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
}

TEST(anonymous_unbounded_and_states)
{
	struct proc_line pl;
	__u64 id;
	int fd;

	fd = kt_create(NULL, KMBOX_CAPACITY_UNBOUNDED, 0, 0600,
		       KMBOX_ACCESS_ALL, 0, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, proc_find(id, &pl));
	EXPECT_STREQ("-", pl.name);
	EXPECT_STREQ("unbounded", pl.capacity);
	ASSERT_EQ(0, kt_shut(fd));
	ASSERT_EQ(1, proc_find(id, &pl));
	EXPECT_STREQ("closed", pl.state);
	ASSERT_EQ(0, kt_destroy(fd));
	ASSERT_EQ(1, proc_find(id, &pl));
	EXPECT_STREQ("destroyed", pl.state);
	close(fd);
}

TEST(name_with_space_is_escaped_and_unlink_hides_it)
{
	struct proc_line pl;
	char name[64], want[80];
	__u64 id;
	int fd;

	snprintf(name, sizeof(name), "kt %d\\x", (int)getpid());
	snprintf(want, sizeof(want), "kt\\040%d\\134x", (int)getpid());
	fd = kt_create(name, 1, 0, 0600, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, proc_find(id, &pl));
	EXPECT_STREQ(want, pl.name);
	ASSERT_EQ(0, kt_unlink(name));
	ASSERT_EQ(1, proc_find(id, &pl));
	EXPECT_STREQ("-", pl.name);
	close(fd);
}

TEST(blocked_pids_are_listed)
{
	struct proc_line pl;
	pid_t rcv, snd;
	char buf[16];
	int a, b;
	__u64 ida, idb;

	a = kt_create(NULL, 1, 0, 0600, KMBOX_ACCESS_ALL, 0, &ida);
	ASSERT_LE(0, a);
	b = kt_create(NULL, 0, 0, 0600, KMBOX_ACCESS_ALL, 0, &idb);
	ASSERT_LE(0, b);

	/* A receiver blocked on a, a sender offering on b. */
	rcv = tc_fork();
	ASSERT_LE(0, rcv);
	if (rcv == 0)
		_exit(kt_recv(a, buf, sizeof(buf), 0, 0, NULL) == 2 ? 0 : 1);
	snd = tc_fork();
	ASSERT_LE(0, snd);
	if (snd == 0)
		_exit(kt_send_str(b, "x", 0) == 0 ? 0 : 1);
	ASSERT_EQ(0, kt_wait_waiters(a, 0, 1));
	ASSERT_EQ(0, kt_wait_waiters(b, 1, 0));

	ASSERT_EQ(1, proc_find(ida, &pl));
	snprintf(buf, sizeof(buf), "%d", (int)rcv);
	EXPECT_STREQ(buf, pl.receivers);
	EXPECT_STREQ("-", pl.senders);
	ASSERT_EQ(1, proc_find(idb, &pl));
	snprintf(buf, sizeof(buf), "%d", (int)snd);
	EXPECT_STREQ(buf, pl.senders);
	EXPECT_STREQ("-", pl.receivers);

	ASSERT_EQ(0, kt_send_str(a, "ok", 0));
	ASSERT_EQ(1, kt_recv(b, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(0, tc_wait(rcv));
	EXPECT_EQ(0, tc_wait(snd));
	ASSERT_EQ(1, proc_find(idb, &pl));
	EXPECT_STREQ("-", pl.senders);
	close(a);
	close(b);
}

TEST(line_goes_with_the_last_handle)
{
	struct proc_line pl;
	__u64 id;
	int fd;

	fd = kt_create(NULL, 2, 0, 0600, KMBOX_ACCESS_ALL, 0, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, proc_find(id, &pl));
	close(fd);
	ASSERT_EQ(0, proc_find(id, &pl));
}

TEST(readable_by_unprivileged_users)
{
	pid_t pid = tc_fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct proc_line pl;

		if (tc_become(65534, 65534))
			_exit(2);
		_exit(proc_find(0, &pl) == 0 ? 0 : 1);
	}
	EXPECT_EQ(0, tc_wait(pid));
}

TEST_HARNESS_MAIN
