// SPDX-License-Identifier: GPL-2.0
/*
 * admin_test: administration of mailboxes with or without a name.
 *
 *  - the feature bit in KMBOX_IOC_LIMITS, and LIMITS/INFO at their
 *    version-0 sizes still working;
 *  - /proc/PID/fdinfo of a handle: id, name (escaped as /proc/kmbox does,
 *    "-" without one), access;
 *  - KMBOX_IOC_STAT_ID: any mailbox by id, no access needed, named,
 *    anonymous, unlinked and destroyed ones; the pids of blocked callers
 *    (also from INFO);
 *  - KMBOX_IOC_DESTROY_ID: the owner may, another uid gets EACCES, every
 *    handle then gets EIDRM and a blocked receiver wakes with it;
 *  - KMBOX_IOC_LIST: ascending ids above a cursor, paging, a bad array;
 *  - bad input: flags, reserved fields, short structs, wrong descriptor;
 *  - KMBOX_IOC_PORT_OPEN and INFO's port fields (port_test has the rest),
 *    here so that they run through the compat path too.
 *
 * The same source is built for i386 as admin32_test (tests/Makefile): the
 * struct layouts below are checked at compile time in both builds, and the
 * calls run through the module's compat path.
 */
#include "kmbox_test.h"

/* One layout for x86_64 and i386: sizes and the offsets that matter. */
static_assert(sizeof(struct kmbox_limits) == KMBOX_LIMITS_SIZE_VER1, "limits");
static_assert(offsetof(struct kmbox_limits, features) == KMBOX_LIMITS_SIZE_VER0,
	      "features appended");
static_assert(sizeof(struct kmbox_info) == KMBOX_INFO_SIZE_VER2, "info");
static_assert(offsetof(struct kmbox_info, name) == 128, "info layout");
static_assert(offsetof(struct kmbox_info, nsenders) == KMBOX_INFO_SIZE_VER0,
	      "pids appended");
static_assert(offsetof(struct kmbox_info, senders) == 392, "info layout");
static_assert(offsetof(struct kmbox_info, receivers) == 456, "info layout");
static_assert(sizeof(struct kmbox_destroy_id) == KMBOX_DESTROY_ID_SIZE_VER0,
	      "destroy_id");
static_assert(offsetof(struct kmbox_destroy_id, id) == 8, "destroy_id layout");
static_assert(sizeof(struct kmbox_list) == KMBOX_LIST_SIZE_VER0, "list");
static_assert(offsetof(struct kmbox_list, cursor) == 8 &&
	      offsetof(struct kmbox_list, ids) == 16 &&
	      offsetof(struct kmbox_list, __reserved) == 24, "list layout");
static_assert(_IOC_SIZE(KMBOX_IOC_STAT_ID) == KMBOX_INFO_SIZE_VER2 &&
	      _IOC_SIZE(KMBOX_IOC_DESTROY_ID) == KMBOX_DESTROY_ID_SIZE_VER0 &&
	      _IOC_SIZE(KMBOX_IOC_LIST) == KMBOX_LIST_SIZE_VER0 &&
	      _IOC_DIR(KMBOX_IOC_LIST) == (_IOC_READ | _IOC_WRITE),
	      "commands carry their sizes");
static_assert(sizeof(struct kmbox_port_open) == KMBOX_PORT_OPEN_SIZE_VER0 &&
	      offsetof(struct kmbox_port_open, pid) == 8 &&
	      offsetof(struct kmbox_port_open, port) == 16 &&
	      _IOC_SIZE(KMBOX_IOC_PORT_OPEN) == KMBOX_PORT_OPEN_SIZE_VER0, "port_open");
static_assert(offsetof(struct kmbox_info, create_flags) == KMBOX_INFO_SIZE_VER1 &&
	      offsetof(struct kmbox_info, port_pid) == 524, "info: ports appended");

/* ---- helpers ------------------------------------------------------------- */


/* The value of "key:\t" in /proc/self/fdinfo/fd, into val. */
static int kt_fdinfo(int fd, const char *key, char *val, size_t size)
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

/* ---- features and versions ----------------------------------------------- */

TEST(features)
{
	struct kmbox_limits lim;

	ASSERT_EQ(0, kt_limits(&lim));
	EXPECT_EQ(KMBOX_FEATURE_ADMIN, lim.features & KMBOX_FEATURE_ADMIN);
}

/* A caller built before a field was appended does not get it written. */
TEST(version0_sizes_still_work)
{
	union {
		struct kmbox_limits lim;
		struct kmbox_info info;
	} u;
	__u64 id = 0;
	int dev, fd;

	dev = kt_dev();
	ASSERT_LE(0, dev);
	memset(&u, 0, sizeof(u));
	u.lim.features = 0x5a5a;	/* past the VER0 size: not read, not written */
	ASSERT_EQ(0, kt_ioctl(dev, kt_cmd_sized(KMBOX_IOC_LIMITS, KMBOX_LIMITS_SIZE_VER0),
			      &u));
	EXPECT_EQ((__u32)KMBOX_ABI_VERSION, u.lim.abi_version);
	EXPECT_EQ(0x5a5aULL, u.lim.features);

	fd = kt_create(NULL, 1, 0, 0600, KMBOX_ACCESS_ALL, 0, &id);
	ASSERT_LE(0, fd);
	memset(&u, 0, sizeof(u));
	u.info.nsenders = 77;
	ASSERT_EQ(0, kt_ioctl(fd, kt_cmd_sized(KMBOX_IOC_INFO, KMBOX_INFO_SIZE_VER0), &u));
	EXPECT_EQ(id, u.info.id);
	EXPECT_EQ(77U, u.info.nsenders);
	memset(&u, 0, sizeof(u));
	u.info.id = id;
	u.info.nsenders = 77;
	ASSERT_EQ(0, kt_ioctl(dev, kt_cmd_sized(KMBOX_IOC_STAT_ID, KMBOX_INFO_SIZE_VER0),
			      &u));
	EXPECT_EQ(id, u.info.id);
	EXPECT_EQ(1ULL, u.info.capacity);
	EXPECT_EQ(77U, u.info.nsenders);
	close(fd);
	close(dev);
}

/* ---- fdinfo -------------------------------------------------------------- */

TEST(fdinfo)
{
	char name[64], spaced[80], esc[128], val[512], idstr[32];
	__u64 id = 0, aid = 0;
	int fd, sfd, rfd, afd;

	kt_name(name, sizeof(name), "fdinfo");
	snprintf(spaced, sizeof(spaced), "%s a\\b", name);
	snprintf(esc, sizeof(esc), "%s\\040a\\134b", name);
	fd = kt_create(spaced, 2, 0, 0600, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL, &id);
	ASSERT_LE(0, fd);
	sfd = kt_open(spaced, KMBOX_ACCESS_SEND, 0, NULL);
	ASSERT_LE(0, sfd);
	rfd = kt_open(spaced, KMBOX_ACCESS_RECV, 0, NULL);
	ASSERT_LE(0, rfd);

	snprintf(idstr, sizeof(idstr), "%llu", (unsigned long long)id);
	ASSERT_EQ(0, kt_fdinfo(fd, "kmbox-id", val, sizeof(val)));
	EXPECT_STREQ(idstr, val);
	ASSERT_EQ(0, kt_fdinfo(fd, "kmbox-name", val, sizeof(val)));
	EXPECT_STREQ(esc, val);
	ASSERT_EQ(0, kt_fdinfo(fd, "kmbox-access", val, sizeof(val)));
	EXPECT_STREQ("recv,send", val);
	ASSERT_EQ(0, kt_fdinfo(sfd, "kmbox-access", val, sizeof(val)));
	EXPECT_STREQ("send", val);
	ASSERT_EQ(0, kt_fdinfo(rfd, "kmbox-access", val, sizeof(val)));
	EXPECT_STREQ("recv", val);
	/* The lines every file has are still there. */
	ASSERT_EQ(0, kt_fdinfo(fd, "flags", val, sizeof(val)));

	/* Unlinked: no name, same id. */
	ASSERT_EQ(0, kt_unlink(spaced));
	ASSERT_EQ(0, kt_fdinfo(rfd, "kmbox-name", val, sizeof(val)));
	EXPECT_STREQ("-", val);
	ASSERT_EQ(0, kt_fdinfo(rfd, "kmbox-id", val, sizeof(val)));
	EXPECT_STREQ(idstr, val);

	afd = kt_create(NULL, 1, 0, 0600, KMBOX_ACCESS_ALL, 0, &aid);
	ASSERT_LE(0, afd);
	ASSERT_EQ(0, kt_fdinfo(afd, "kmbox-name", val, sizeof(val)));
	EXPECT_STREQ("-", val);
	snprintf(idstr, sizeof(idstr), "%llu", (unsigned long long)aid);
	ASSERT_EQ(0, kt_fdinfo(afd, "kmbox-id", val, sizeof(val)));
	EXPECT_STREQ(idstr, val);
	close(fd);
	close(sfd);
	close(rfd);
	close(afd);
}

/* A mailbox called "-" is not shown as one without a name. */
TEST(fdinfo_name_dash)
{
	char val[64];
	int fd;

	fd = kt_create("-", 1, 0, 0600, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL, NULL);
	if (fd == -EEXIST)
		TC_SKIP("a mailbox called \"-\" exists already");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_fdinfo(fd, "kmbox-name", val, sizeof(val)));
	EXPECT_STREQ("\\055", val);
	EXPECT_EQ(0, kt_unlink("-"));
	close(fd);
}

/* ---- stat by id ---------------------------------------------------------- */

TEST(stat_id_named_anonymous_unlinked)
{
	struct kmbox_info by_id, info;
	char name[64];
	__u64 nid = 0, aid = 0;
	int nfd, afd;

	kt_name(name, sizeof(name), "statid");
	nfd = kt_create(name, 3, 100, 0640, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL, &nid);
	ASSERT_LE(0, nfd);
	afd = kt_create(NULL, KMBOX_CAPACITY_UNBOUNDED, 0, 0600, KMBOX_ACCESS_SEND, 0, &aid);
	ASSERT_LE(0, afd);
	ASSERT_EQ(0, kt_send_str(nfd, "one", KMBOX_MSG_NONBLOCK));

	/* What INFO says, but access 0: no handle. */
	ASSERT_EQ(0, kt_stat_id(nid, &by_id));
	ASSERT_EQ(0, kt_info(nfd, &info));
	EXPECT_EQ(0U, by_id.access);
	info.access = 0;
	EXPECT_EQ(0, memcmp(&info, &by_id, sizeof(info)));
	EXPECT_STREQ(name, by_id.name);
	EXPECT_EQ(3ULL, by_id.capacity);
	EXPECT_EQ(1ULL, by_id.msgs);

	ASSERT_EQ(0, kt_stat_id(aid, &by_id));
	EXPECT_EQ(aid, by_id.id);
	EXPECT_EQ(KMBOX_CAPACITY_UNBOUNDED, by_id.capacity);
	EXPECT_EQ('\0', by_id.name[0]);

	/* Unlinked: still there by id, without its name. */
	ASSERT_EQ(0, kt_unlink(name));
	ASSERT_EQ(0, kt_stat_id(nid, &by_id));
	EXPECT_EQ('\0', by_id.name[0]);
	EXPECT_EQ(1ULL, by_id.msgs);

	/* Destroyed but held: found, state destroyed; gone with its handle. */
	ASSERT_EQ(0, kt_destroy(nfd));
	ASSERT_EQ(0, kt_stat_id(nid, &by_id));
	EXPECT_EQ((__u32)KMBOX_STATE_DESTROYED, by_id.state);
	close(nfd);
	EXPECT_EQ(-ENOENT, kt_stat_id(nid, &by_id));
	close(afd);
	EXPECT_EQ(-ENOENT, kt_stat_id(aid, &by_id));
}

TEST(stat_id_nonexistent)
{
	struct kmbox_info info;

	EXPECT_EQ(-ENOENT, kt_stat_id(0, &info));
	EXPECT_EQ(-ENOENT, kt_stat_id(~0ULL, &info));
}

/* Stat needs no access: another uid sees a mailbox of mode 0600. */
TEST(stat_id_needs_no_access)
{
	struct kmbox_info info;
	__u64 id = 0;
	pid_t pid;
	int fd;

	if (geteuid())
		TC_SKIP("needs root, to become another user");
	fd = kt_create(NULL, 1, 0, 0600, KMBOX_ACCESS_ALL, 0, &id);
	ASSERT_LE(0, fd);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		TC_CHECK_EQ(0, tc_become(TC_NOBODY, TC_NOBODY));
		TC_CHECK_EQ(0, kt_stat_id(id, &info));
		TC_CHECK(info.id == id && info.uid == 0 && info.mode == 0600);
		TC_CHECK_EQ(1, kt_listed(id, 64));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	close(fd);
}

/* The pids of blocked callers, from STAT_ID and from INFO alike. */
TEST(blocked_pids)
{
	struct kt_call call = { .op = KT_RECV, .len = 16 };
	struct kmbox_info info;
	struct kt_result res;
	struct kt_child c;
	__u64 id = 0;
	int fd;

	fd = kt_create(NULL, 1, 0, 0600, KMBOX_ACCESS_ALL, 0, &id);
	ASSERT_LE(0, fd);
	call.fd = fd;
	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));

	ASSERT_EQ(0, kt_stat_id(id, &info));
	EXPECT_EQ(1U, info.receivers_waiting);
	ASSERT_EQ(1U, info.nreceivers);
	EXPECT_EQ(c.pid, info.receivers[0]);
	EXPECT_EQ(0U, info.nsenders);
	ASSERT_EQ(0, kt_info(fd, &info));
	ASSERT_EQ(1U, info.nreceivers);
	EXPECT_EQ(c.pid, info.receivers[0]);

	ASSERT_EQ(0, kt_send_str(fd, "x", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(1, res.ret);
	ASSERT_EQ(0, kt_stat_id(id, &info));
	EXPECT_EQ(0U, info.nreceivers);
	close(fd);
}

/* ---- destroy by id ------------------------------------------------------- */

TEST(destroy_id_anonymous)
{
	struct kt_call call = { .op = KT_RECV, .len = 16 };
	struct kmbox_info info;
	struct kt_result res;
	struct kt_child c;
	char buf[16];
	__u64 id = 0;
	int fd, other;

	fd = kt_create(NULL, 2, 0, 0600, KMBOX_ACCESS_ALL, 0, &id);
	ASSERT_LE(0, fd);
	other = dup(fd);
	ASSERT_LE(0, other);
	call.fd = fd;
	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(fd, 0, 1));

	ASSERT_EQ(0, kt_destroy_id(id));
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(-EIDRM, res.ret);
	EXPECT_EQ(-EIDRM, kt_send_str(other, "x", KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(-EIDRM, kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_EQ((__u32)KMBOX_STATE_DESTROYED, info.state);
	/* Once is enough. */
	EXPECT_EQ(-EIDRM, kt_destroy_id(id));
	close(fd);
	close(other);
	EXPECT_EQ(-ENOENT, kt_destroy_id(id));
}

TEST(destroy_id_named_and_unlinked)
{
	char name[64], buf[16];
	__u64 id = 0, uid2 = 0;
	int fd, fd2;

	kt_name(name, sizeof(name), "destroyid");
	fd = kt_create(name, 2, 0, 0600, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_send_str(fd, "queued", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_destroy_id(id));
	/* The name went with it, the queue was dropped. */
	EXPECT_EQ(-ENOENT, kt_open(name, KMBOX_ACCESS_ALL, 0, NULL));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(fd, dropped));
	EXPECT_EQ(-EIDRM, kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	close(fd);

	kt_name(name, sizeof(name), "destroyid");
	fd2 = kt_create(name, 2, 0, 0600, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL, &uid2);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, kt_unlink(name));
	ASSERT_EQ(0, kt_destroy_id(uid2));
	EXPECT_EQ(-EIDRM, kt_send_str(fd2, "x", KMBOX_MSG_NONBLOCK));
	close(fd2);
}

TEST(destroy_id_nonexistent)
{
	EXPECT_EQ(-ENOENT, kt_destroy_id(0));
	EXPECT_EQ(-ENOENT, kt_destroy_id(~0ULL));
}

/* Only the owner: another uid gets EACCES and changes nothing. */
TEST(destroy_id_other_uid)
{
	struct kmbox_info info;
	__u64 id = 0;
	pid_t pid;
	int fd;

	if (geteuid())
		TC_SKIP("needs root, to become another user");
	fd = kt_create(NULL, 2, 0, 0666, KMBOX_ACCESS_ALL, 0, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_send_str(fd, "kept", KMBOX_MSG_NONBLOCK));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		TC_CHECK_EQ(0, tc_become(TC_NOBODY, TC_NOBODY));
		TC_CHECK_EQ(-EACCES, kt_destroy_id(id));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_EQ((__u32)KMBOX_STATE_OPEN, info.state);
	EXPECT_EQ(1ULL, info.msgs);

	/* Its owner may, without any privilege. */
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u64 mine = 0;

		TC_CHECK_EQ(0, tc_become(TC_NOBODY, TC_NOBODY));
		fd = kt_create(NULL, 1, 0, 0600, KMBOX_ACCESS_ALL, 0, &mine);
		TC_CHECK(fd >= 0);
		TC_CHECK_EQ(0, kt_destroy_id(mine));
		TC_CHECK_EQ(-EIDRM, kt_send_str(fd, "x", KMBOX_MSG_NONBLOCK));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	close(fd);
}

/* ---- list ---------------------------------------------------------------- */

TEST(list_pages_through_all)
{
	__u64 ids[3], all[64], cursor;
	char name[64], first[64];
	int fd[3], n, i;
	__u32 stored = 99;

	kt_name(first, sizeof(first), "list");
	fd[0] = kt_create(first, 1, 0, 0600, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL, &ids[0]);
	ASSERT_LE(0, fd[0]);
	fd[1] = kt_create(NULL, 1, 0, 0600, KMBOX_ACCESS_ALL, 0, &ids[1]);
	ASSERT_LE(0, fd[1]);
	kt_name(name, sizeof(name), "list");
	fd[2] = kt_create(name, 1, 0, 0600, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL, &ids[2]);
	ASSERT_LE(0, fd[2]);
	ASSERT_EQ(0, kt_unlink(name));

	/* Every page size finds all three, in order. */
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(1, kt_listed(ids[i], 1));
		EXPECT_EQ(1, kt_listed(ids[i], 2));
		EXPECT_EQ(1, kt_listed(ids[i], 64));
	}

	/* Above the first: the next two come first, and the count is returned. */
	n = kt_list(ids[0], all, 2, &stored);
	ASSERT_EQ(2, n);
	EXPECT_EQ((__u32)n, stored);
	EXPECT_EQ(ids[1], all[0]);
	EXPECT_EQ(ids[2], all[1]);
	/* Nothing above the last one made. */
	cursor = ids[2];
	n = kt_list(cursor, all, 64, &stored);
	ASSERT_LE(0, n);
	for (i = 0; i < n; i++)
		EXPECT_LT(cursor, all[i]);
	/* Asking for none. */
	EXPECT_EQ(0, kt_list(0, NULL, 0, &stored));
	EXPECT_EQ(0U, stored);

	/* Named, it outlives its handle; unlinked too, it is gone. */
	for (i = 0; i < 3; i++)
		close(fd[i]);
	EXPECT_EQ(1, kt_listed(ids[0], 64));
	EXPECT_EQ(0, kt_unlink(first));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, kt_listed(ids[i], 64));
}

/* More than a kernel chunk in one call: ids stay ascending. */
TEST(list_many)
{
	enum { N = 600 };
	static __u64 ids[N + 8], made[N];
	static int fds[N];
	int i, n, k;

	for (i = 0; i < N; i++) {
		fds[i] = kt_create(NULL, 1, 0, 0600, KMBOX_ACCESS_ALL, 0, &made[i]);
		ASSERT_LE(0, fds[i]) TH_LOG("mailbox %d", i);
	}
	n = kt_list(made[0] - 1, ids, N + 8, NULL);
	ASSERT_LE(N, n);
	for (i = 1; i < n; i++)
		ASSERT_LT(ids[i - 1], ids[i]);
	for (i = 0, k = 0; i < N; i++) {
		while (k < n && ids[k] < made[i])
			k++;
		ASSERT_LT(k, n);
		ASSERT_EQ(made[i], ids[k]);
	}
	for (i = 0; i < N; i++)
		close(fds[i]);
}

TEST(list_bad_pointer)
{
	struct kmbox_list l;
	__u64 id = 0;
	void *ro;
	int dev, fd;

	fd = kt_create(NULL, 1, 0, 0600, KMBOX_ACCESS_ALL, 0, &id);
	ASSERT_LE(0, fd);
	dev = kt_dev();
	ASSERT_LE(0, dev);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(ro != MAP_FAILED);

	memset(&l, 0, sizeof(l));
	l.count = 8;
	l.cursor = id - 1;
	l.ids = (uintptr_t)kt_bad_ptr();
	EXPECT_EQ(-EFAULT, kt_ioctl(dev, KMBOX_IOC_LIST, &l));
	EXPECT_EQ(8U, l.count);
	EXPECT_EQ(id - 1, l.cursor);
	l.ids = (uintptr_t)ro;
	EXPECT_EQ(-EFAULT, kt_ioctl(dev, KMBOX_IOC_LIST, &l));
	EXPECT_EQ(8U, l.count);
	/* A struct that cannot be written back: EFAULT before anything. */
	EXPECT_EQ(-EFAULT, kt_ioctl(dev, KMBOX_IOC_LIST, ro));
	EXPECT_EQ(-EFAULT, kt_ioctl(dev, KMBOX_IOC_STAT_ID, kt_bad_ptr()));
	EXPECT_EQ(-EFAULT, kt_ioctl(dev, KMBOX_IOC_DESTROY_ID, kt_bad_ptr()));
	/* The mailbox is as it was. */
	EXPECT_EQ((__u64)KMBOX_STATE_OPEN, KT_INFO_FIELD(fd, state));
	munmap(ro, 4096);
	close(dev);
	close(fd);
}

/* ---- bad input ----------------------------------------------------------- */

TEST(bad_input)
{
	union {
		struct kmbox_info i;
		struct kmbox_destroy_id d;
		struct kmbox_list l;
		unsigned char raw[1024];
	} u;
	__u64 ids[4], id = 0;
	int dev, fd;

	fd = kt_create(NULL, 1, 0, 0600, KMBOX_ACCESS_ALL, 0, &id);
	ASSERT_LE(0, fd);
	dev = kt_dev();
	ASSERT_LE(0, dev);

#define KT_BAD(cmd, err, set) do {					\
		memset(&u, 0, sizeof(u));				\
		u.i.id = id;	/* STAT_ID and DESTROY_ID: at 8 too */	\
		set;							\
		EXPECT_EQ(-(err), kt_ioctl(dev, (cmd), &u)) TH_LOG(#set); \
	} while (0)

	static_assert(offsetof(struct kmbox_info, id) ==
		      offsetof(struct kmbox_destroy_id, id), "id at 8");
	KT_BAD(KMBOX_IOC_STAT_ID, EINVAL, u.i.flags = 1);
	KT_BAD(KMBOX_IOC_STAT_ID, EINVAL, u.i.flags = 1U << 31);
	KT_BAD(KMBOX_IOC_STAT_ID, EINVAL, u.i.__reserved0 = 1);
	KT_BAD(KMBOX_IOC_STAT_ID, EINVAL, u.i.__reserved[2] = 1);
	KT_BAD(kt_cmd_sized(KMBOX_IOC_STAT_ID, KMBOX_INFO_SIZE_VER0 - 8), EINVAL, );
	KT_BAD(kt_cmd_sized(KMBOX_IOC_STAT_ID, 0), EINVAL, );
	KT_BAD(kt_cmd_sized(KMBOX_IOC_STAT_ID, sizeof(u.i) + 8), E2BIG,
	       u.raw[sizeof(u.i) + 7] = 1);

	KT_BAD(KMBOX_IOC_DESTROY_ID, EINVAL, u.d.flags = 1);
	KT_BAD(KMBOX_IOC_DESTROY_ID, EINVAL, u.d.__reserved0 = 1);
	KT_BAD(KMBOX_IOC_DESTROY_ID, EINVAL, u.d.__reserved[1] = 1);
	KT_BAD(kt_cmd_sized(KMBOX_IOC_DESTROY_ID, KMBOX_DESTROY_ID_SIZE_VER0 - 1), EINVAL, );
	KT_BAD(kt_cmd_sized(KMBOX_IOC_DESTROY_ID, sizeof(u.d) + 1), E2BIG,
	       u.raw[sizeof(u.d)] = 1);

	KT_BAD(KMBOX_IOC_LIST, EINVAL, u.l.flags = 2; u.l.ids = (uintptr_t)ids; u.l.count = 4);
	KT_BAD(KMBOX_IOC_LIST, EINVAL, u.l.__reserved[0] = 1; u.l.ids = (uintptr_t)ids);
	KT_BAD(kt_cmd_sized(KMBOX_IOC_LIST, KMBOX_LIST_SIZE_VER0 - 8), EINVAL, );
	KT_BAD(kt_cmd_sized(KMBOX_IOC_LIST, sizeof(u.l) + 8), E2BIG,
	       u.raw[sizeof(u.l) + 3] = 1);
	/* A longer struct with a zero tail is fine. */
	KT_BAD(kt_cmd_sized(KMBOX_IOC_STAT_ID, sizeof(u.i) + 64), 0, );

	/* On a handle, these are unknown. */
	memset(&u, 0, sizeof(u));
	u.d.id = id;
	EXPECT_EQ(-ENOTTY, kt_ioctl(fd, KMBOX_IOC_DESTROY_ID, &u));
	EXPECT_EQ(-ENOTTY, kt_ioctl(fd, KMBOX_IOC_STAT_ID, &u));
	EXPECT_EQ(-ENOTTY, kt_ioctl(fd, KMBOX_IOC_LIST, &u));
	/* Nothing happened to the mailbox. */
	EXPECT_EQ((__u64)KMBOX_STATE_OPEN, KT_INFO_FIELD(fd, state));
#undef KT_BAD
	close(dev);
	close(fd);
}

/* ---- ports ---------------------------------------------------------------- */

TEST(port_open)
{
	struct kmbox_port_open po = { .access = KMBOX_ACCESS_SEND };
	struct kmbox_create cr = {
		.flags = KMBOX_CREATE_PORT, .access = KMBOX_ACCESS_RECV,
		.capacity = 2, .mode = 0600,
	};
	struct kmbox_info info;
	struct kmbox_recv r;
	int dev, fd, sfd;
	char buf[16];

	dev = kt_dev();
	ASSERT_LE(0, dev);
	fd = kt_ioctl(dev, KMBOX_IOC_CREATE, &cr);
	ASSERT_LE(0, fd);
	po.pid = getpid();
	po.port = cr.id;
	sfd = kt_ioctl(dev, KMBOX_IOC_PORT_OPEN, &po);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, kt_send_str(sfd, "port", 0));
	ASSERT_EQ(4, kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, &r));
	EXPECT_EQ(getpid(), r.pid);
	ASSERT_EQ(0, kt_info(sfd, &info));
	EXPECT_EQ(cr.id, info.id);
	EXPECT_EQ(getpid(), info.port_pid);
	EXPECT_EQ((__u32)(KMBOX_CREATE_PORT | KMBOX_CREATE_SELECT), info.create_flags);
	po.port = cr.id + 1000000;
	EXPECT_EQ(-ECONNREFUSED, kt_ioctl(dev, KMBOX_IOC_PORT_OPEN, &po));
	po.port = cr.id;
	po.access = KMBOX_ACCESS_ALL;
	EXPECT_EQ(-EINVAL, kt_ioctl(dev, KMBOX_IOC_PORT_OPEN, &po));
	close(fd);
	EXPECT_EQ(-EIDRM, kt_send_str(sfd, "gone", 0));
	po.access = KMBOX_ACCESS_SEND;
	EXPECT_EQ(-ECONNREFUSED, kt_ioctl(dev, KMBOX_IOC_PORT_OPEN, &po));
	close(sfd);
	close(dev);
}

TEST_HARNESS_MAIN
