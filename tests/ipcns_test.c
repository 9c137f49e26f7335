// SPDX-License-Identifier: GPL-2.0
/*
 * ipcns_test: names, /proc/kmbox and privilege are per IPC namespace.
 *
 *  - a name lives in the IPC namespace it was created in: another
 *    namespace can neither open, unlink nor squat it, and may make its own
 *    mailbox of the same name;
 *  - /proc/kmbox lists only the mailboxes of the reader's namespace;
 *  - a namespace made later never inherits the names of one that died,
 *    and the names of a dead namespace go (its mailboxes still open
 *    through a handle live on, anonymous); one that a task or an nsfs
 *    file still holds keeps them;
 *  - CAP_IPC_OWNER counts in the user namespace owning the mailbox's IPC
 *    namespace: a container's root owns its container's mailboxes, and
 *    nothing of the host's.
 *
 * Needs root (unshare(CLONE_NEWIPC), writing uid maps): the VM runs it so.
 */
#include <sched.h>
#include <sys/socket.h>

#include "kmbox_test.h"

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

/* Does /proc/kmbox, read now, list a mailbox of this name? 1, 0 or -errno. */
static int proc_lists(const char *name)
{
	char line[1024], field[300];
	int found = 0;
	FILE *f;

	f = fopen("/proc/kmbox", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %299s", field) == 1 && !strcmp(field, name))
			found = 1;
	fclose(f);
	return found;
}

static int create_named(const char *name, __u32 mode, __u64 *id)
{
	return kt_create(name, 8, 0, mode, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL, id);
}

TEST(names_are_per_namespace)
{
	char name[64], buf[16];
	__u64 id, other;
	int fd, fd2;
	pid_t c;

	kt_name(name, sizeof(name), "ns");
	fd = create_named(name, 0666, &id);
	ASSERT_LE(0, fd);

	c = tc_fork();
	ASSERT_LE(0, c);
	if (c == 0) {
		__u64 inner;
		int in;

		TC_CHECK_EQ(0, unshare(CLONE_NEWIPC));
		TC_CHECK_EQ(-ENOENT, kt_open(name, KMBOX_ACCESS_SEND, 0, NULL));
		TC_CHECK_EQ(-ENOENT, kt_unlink(name));
		in = create_named(name, 0666, &inner);
		TC_CHECK(in >= 0);
		TC_CHECK(inner != id);
		TC_CHECK_EQ(0, kt_send_str(in, "inner", 0));
		/* Its own name is there for it, and no other. */
		TC_CHECK_EQ(-EEXIST, create_named(name, 0666, NULL));
		TC_CHECK_EQ(0, kt_unlink(name));
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(c));

	/* The host's mailbox is untouched: same name, same id, no message. */
	fd2 = kt_open(name, KMBOX_ACCESS_ALL, 0, &other);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(id, other);
	EXPECT_EQ(-EAGAIN, kt_recv_str(fd2, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(0, kt_unlink(name));
	close(fd2);
	close(fd);
}

TEST(proc_is_per_namespace)
{
	char host[64], inner[64];
	int fd, ready[2], done[2];
	char go;
	pid_t c;

	kt_name(host, sizeof(host), "proc-host");
	kt_name(inner, sizeof(inner), "proc-inner");
	fd = create_named(host, 0600, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, proc_lists(host));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));

	c = tc_fork();
	ASSERT_LE(0, c);
	if (c == 0) {
		int in;

		TC_CHECK_EQ(0, unshare(CLONE_NEWIPC));
		/* Nothing of kmbox's in this namespace yet: an empty list. */
		TC_CHECK_EQ(0, proc_lists(host));
		in = create_named(inner, 0600, NULL);
		TC_CHECK(in >= 0);
		TC_CHECK_EQ(1, proc_lists(inner));
		TC_CHECK_EQ(0, proc_lists(host));
		TC_CHECK_EQ(1, write(ready[1], "r", 1));
		TC_CHECK_EQ(1, read(done[0], &go, 1));
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &go, 1));
	EXPECT_EQ(0, proc_lists(inner));
	EXPECT_EQ(1, proc_lists(host));
	ASSERT_EQ(1, write(done[1], "d", 1));
	EXPECT_EQ(0, tc_wait(c));
	EXPECT_EQ(0, kt_unlink(host));
	close(ready[0]);
	close(ready[1]);
	close(done[0]);
	close(done[1]);
	close(fd);
}

/*
 * Namespaces made one after the other, each after the last died: the new
 * one may even get the old one's address, never its names.
 */
TEST(new_namespace_never_inherits)
{
	char name[64];
	int round;
	pid_t c;

	kt_name(name, sizeof(name), "inherit");
	for (round = 0; round < 40; round++) {
		c = tc_fork();
		ASSERT_LE(0, c);
		if (c == 0) {
			TC_CHECK_EQ(0, unshare(CLONE_NEWIPC));
			TC_CHECK_EQ(-ENOENT, kt_open(name, KMBOX_ACCESS_SEND, 0, NULL));
			TC_CHECK(create_named(name, 0600, NULL) >= 0);
			_exit(0);
		}
		ASSERT_EQ(0, tc_wait(c));
		/* Now and then, let the reaper run between two rounds. */
		if (round % 10 == 9)
			tc_sleep_ms(2500);
	}
	EXPECT_EQ(-ENOENT, kt_open(name, KMBOX_ACCESS_SEND, 0, NULL));
}

TEST(dead_namespace_names_go)
{
	struct kmbox_info info;
	char name[64], buf[16];
	int sv[2], fd;
	pid_t c;

	kt_name(name, sizeof(name), "dead");
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	c = tc_fork();
	ASSERT_LE(0, c);
	if (c == 0) {
		int in;

		TC_CHECK_EQ(0, unshare(CLONE_NEWIPC));
		in = create_named(name, 0600, NULL);
		TC_CHECK(in >= 0);
		TC_CHECK_EQ(0, kt_send_str(in, "kept", 0));
		TC_CHECK_EQ(0, tc_send_fd(sv[1], in));
		_exit(0);
	}
	fd = tc_recv_fd(sv[0]);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, tc_wait(c));

	/* The namespace is dead: within the reaper's period the name goes. */
	KT_WAIT_INFO(fd, info, !info.name[0]);
	EXPECT_STREQ("", info.name);
	/* The mailbox lives on for the handle, anonymous, message and all. */
	EXPECT_EQ(4, kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("kept", buf);
	/*
	 * Its namespace is gone: the initial namespace's CAP_IPC_OWNER finds
	 * it by id, no one else does.
	 */
	EXPECT_EQ(1, kt_listed(info.id, 8));
	c = tc_fork();
	ASSERT_LE(0, c);
	if (c == 0) {
		struct kmbox_info st;

		TC_CHECK_EQ(0, tc_become(TC_NOBODY, TC_NOBODY));
		TC_CHECK_EQ(-ENOENT, kt_stat_id(info.id, &st));
		TC_CHECK_EQ(0, kt_listed(info.id, 8));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(c));
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/* Longer than two periods of the module's reaper (2 s). */
#define OUTLAST_REAPER_MS	5000

/*
 * A namespace is alive while a task is in it, or while anything else can
 * bring a task back into it (an open /proc/PID/ns/ipc, a bind mount): its
 * names stay through any number of reaper passes.
 */
TEST(kept_namespace_keeps_names)
{
	struct kmbox_info info;
	int sv[2], fd, nsfd, go[2];
	char name[64], path[64], c;
	pid_t a, b;

	kt_name(name, sizeof(name), "kept");
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, pipe(go));
	a = tc_fork();
	ASSERT_LE(0, a);
	if (a == 0) {
		int in;

		TC_CHECK_EQ(0, unshare(CLONE_NEWIPC));
		in = create_named(name, 0600, NULL);
		TC_CHECK(in >= 0);
		TC_CHECK_EQ(0, tc_send_fd(sv[1], in));
		close(in);
		/* Still in the namespace: the name outlasts the reaper. */
		tc_sleep_ms(OUTLAST_REAPER_MS);
		in = kt_open(name, KMBOX_ACCESS_SEND, 0, NULL);
		TC_CHECK(in >= 0);
		TC_CHECK_EQ(1, read(go[0], &c, 1));
		_exit(0);
	}
	fd = tc_recv_fd(sv[0]);
	ASSERT_LE(0, fd);
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", (int)a);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, nsfd);
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(0, tc_wait(a));

	/* No task is in it now; our nsfs file keeps it. */
	tc_sleep_ms(OUTLAST_REAPER_MS);
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_STREQ(name, info.name);
	b = tc_fork();
	ASSERT_LE(0, b);
	if (b == 0) {
		TC_CHECK_EQ(0, setns(nsfd, CLONE_NEWIPC));
		TC_CHECK(kt_open(name, KMBOX_ACCESS_SEND, 0, NULL) >= 0);
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(b));

	/* The last thing that could enter it is gone: so are its names. */
	close(nsfd);
	KT_WAIT_INFO(fd, info, !info.name[0]);
	EXPECT_STREQ("", info.name);
	close(fd);
	close(go[0]);
	close(go[1]);
	close(sv[0]);
	close(sv[1]);
}

/* Ids, like names, are looked up and listed only in the caller's namespace. */
TEST(ids_are_per_namespace)
{
	__u64 host_id;
	int fd;
	pid_t c;

	fd = kt_create(NULL, 4, 0, 0666, KMBOX_ACCESS_ALL, 0, &host_id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, kt_listed(host_id, 8));
	c = tc_fork();
	ASSERT_LE(0, c);
	if (c == 0) {
		struct kmbox_info info;
		__u64 inner_id;
		int in;

		TC_CHECK_EQ(0, unshare(CLONE_NEWIPC));
		TC_CHECK_EQ(-ENOENT, kt_stat_id(host_id, &info));
		TC_CHECK_EQ(-ENOENT, kt_destroy_id(host_id));
		TC_CHECK_EQ(0, kt_listed(host_id, 8));
		in = kt_create(NULL, 4, 0, 0600, KMBOX_ACCESS_ALL, 0, &inner_id);
		TC_CHECK(in >= 0);
		TC_CHECK_EQ(1, kt_listed(inner_id, 8));
		TC_CHECK_EQ(0, kt_stat_id(inner_id, &info));
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(c));
	/* Untouched by the attempts from the other namespace. */
	EXPECT_EQ((__u32)KMBOX_STATE_OPEN, KT_INFO_FIELD(fd, state));
	close(fd);
}

/* The uid and gid range a container's namespace maps, as newuidmap would. */
#define NS_BASE	"0 100000 65536\n"

/*
 * A child that is root of a new user namespace (mapped by us, its
 * privileged parent, to 100000..165535) and of a new IPC namespace it owns.
 * Returns its pid; it runs fn, then exits with fn's status.
 */
static pid_t container(struct __test_metadata *_metadata,
		       int (*fn)(void *arg), void *arg)
{
	int ready[2], cont[2];
	char path[64], go;
	pid_t c;

	if (pipe(ready) || pipe(cont))
		return -1;
	c = tc_fork();
	if (c == 0) {
		TC_CHECK_EQ(0, tc_become(1000, 1000));
		TC_CHECK_EQ(0, unshare(CLONE_NEWUSER));
		TC_CHECK_EQ(1, write(ready[1], "r", 1));
		TC_CHECK_EQ(1, read(cont[0], &go, 1));
		TC_CHECK_EQ(0, setresgid(0, 0, 0));
		TC_CHECK_EQ(0, setresuid(0, 0, 0));
		TC_CHECK_EQ(0, unshare(CLONE_NEWIPC));
		_exit(fn(arg));
	}
	if (c > 0) {
		EXPECT_EQ(1, read(ready[0], &go, 1));
		snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)c);
		EXPECT_EQ(0, write_file(path, NS_BASE));
		snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)c);
		EXPECT_EQ(0, write_file(path, NS_BASE));
		EXPECT_EQ(1, write(cont[1], "c", 1));
	}
	close(ready[0]);
	close(ready[1]);
	close(cont[0]);
	close(cont[1]);
	return c;
}

struct owner_case {
	int host_fd;		/* a host mailbox of root's, mode 0600 */
	char name[64];
};

#define CHILD_CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "# %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	return 1; } } while (0)

static int container_root_owns_its_own(void *arg)
{
	struct owner_case *oc = arg;
	pid_t u;
	int fd;

	/* Container uid 1 makes a private mailbox and goes. */
	u = fork();
	if (u == 0) {
		if (setresgid(1, 1, 1) || setresuid(1, 1, 1))
			_exit(1);
		_exit(create_named(oc->name, 0600, NULL) >= 0 ? 0 : 1);
	}
	CHILD_CHECK(u > 0 && tc_wait(u) == 0);

	/* The container's root passes its mode and owns it... */
	fd = kt_open(oc->name, KMBOX_ACCESS_RECV, 0, NULL);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(kt_destroy(fd) == 0);
	close(fd);
	CHILD_CHECK(kt_open(oc->name, KMBOX_ACCESS_RECV, 0, NULL) == -ENOENT);
	/* ...and nothing of the host's, though it holds a handle to one. */
	CHILD_CHECK(kt_destroy(oc->host_fd) == -EACCES);
	return 0;
}

TEST(capability_counts_in_the_namespace_owner)
{
	struct owner_case *oc = tc_shared(sizeof(*oc));
	struct kmbox_info info;
	pid_t c;

	ASSERT_NE(NULL, oc);
	oc->host_fd = kt_create(NULL, 4, 0, 0600, KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, oc->host_fd);
	kt_name(oc->name, sizeof(oc->name), "owner");
	c = container(_metadata, container_root_owns_its_own, oc);
	ASSERT_LT(0, c);
	EXPECT_EQ(0, tc_wait(c));
	ASSERT_EQ(0, kt_info(oc->host_fd, &info));
	EXPECT_EQ((__u32)KMBOX_STATE_OPEN, info.state);
	close(oc->host_fd);
}

TEST_HARNESS_MAIN
