// SPDX-License-Identifier: GPL-2.0
/*
 * uapi_test: the ABI itself.
 *
 *  - struct sizes and command encodings (at compile time);
 *  - KMBOX_IOC_LIMITS against the module parameters;
 *  - CREATE / OPEN basics: defaults, names, ids, existing names;
 *  - struct size versioning: longer structs with a zero tail work;
 *  - a table of bad inputs: each row is one ioctl with one field made
 *    wrong (or its struct size, its command's direction, or where the
 *    struct lies: unmapped, read-only, half-mapped), the errno it must fail
 *    with, and afterwards the mailbox must be exactly as before (INFO
 *    counters, queued messages, its name), no new mailbox may exist and no
 *    descriptor may have been installed.
 */
#include "kmbox_test.h"

/* Every command carries its struct's size, and is read/write. */
#define KT_CMD_OK(cmd, size)						\
	static_assert(_IOC_SIZE(cmd) == (size) &&			\
		      _IOC_DIR(cmd) == (_IOC_READ | _IOC_WRITE) &&	\
		      _IOC_TYPE(cmd) == KMBOX_IOC_MAGIC, #cmd)
KT_CMD_OK(KMBOX_IOC_LIMITS, KMBOX_LIMITS_SIZE_VER1);
KT_CMD_OK(KMBOX_IOC_CREATE, KMBOX_CREATE_SIZE_VER1);
KT_CMD_OK(KMBOX_IOC_OPEN, KMBOX_OPEN_SIZE_VER0);
KT_CMD_OK(KMBOX_IOC_UNLINK, KMBOX_UNLINK_SIZE_VER0);
KT_CMD_OK(KMBOX_IOC_SEND, KMBOX_SEND_SIZE_VER1);
KT_CMD_OK(KMBOX_IOC_RECV, KMBOX_RECV_SIZE_VER1);
KT_CMD_OK(KMBOX_IOC_INFO, KMBOX_INFO_SIZE_VER2);
KT_CMD_OK(KMBOX_IOC_STAT_ID, KMBOX_INFO_SIZE_VER2);
KT_CMD_OK(KMBOX_IOC_PORT_OPEN, KMBOX_PORT_OPEN_SIZE_VER0);
KT_CMD_OK(KMBOX_IOC_CALL, KMBOX_CALL_SIZE_VER0);
KT_CMD_OK(KMBOX_IOC_REPLY, KMBOX_REPLY_SIZE_VER0);
KT_CMD_OK(KMBOX_IOC_DESTROY_ID, KMBOX_DESTROY_ID_SIZE_VER0);
KT_CMD_OK(KMBOX_IOC_LIST, KMBOX_LIST_SIZE_VER0);
KT_CMD_OK(KMBOX_IOC_SEND_BATCH, KMBOX_BATCH_SIZE_VER0);
KT_CMD_OK(KMBOX_IOC_RECV_BATCH, KMBOX_BATCH_SIZE_VER0);
static_assert(_IOC_SIZE(KMBOX_IOC_CLOSE) == 0, "close takes no struct");
static_assert(_IOC_SIZE(KMBOX_IOC_DESTROY) == 0, "destroy takes no struct");
/* The flags of different families must not collide where they mix. */
static_assert(!((KMBOX_FD_CLOEXEC | KMBOX_FD_NONBLOCK) & KMBOX_CREATE_EXCL),
	      "fd and create flags overlap");
static_assert(!((KMBOX_MSG_NONBLOCK | KMBOX_MSG_TIMEOUT | KMBOX_MSG_DEADLINE) &
		(KMBOX_SEND_SYNC | KMBOX_RECV_PEEK | KMBOX_RECV_TAG |
		 KMBOX_RECV_TAG_LE | KMBOX_RECV_FROM | KMBOX_RECV_CALL |
		 KMBOX_RECV_REPLY)), "mode and op flags overlap");
static_assert(!((KMBOX_FD_CLOEXEC | KMBOX_FD_NONBLOCK | KMBOX_CREATE_EXCL |
		 KMBOX_CREATE_OWNER_CLOSE) & (KMBOX_CREATE_PRIO |
		 KMBOX_CREATE_SELECT | KMBOX_CREATE_PORT)), "create flags overlap");
/* Fields that userspace relies on stay where version 0 put them. */
static_assert(offsetof(struct kmbox_send, timeout_ns) == 24, "send layout");
static_assert(offsetof(struct kmbox_recv, pid) == 32, "recv layout");
static_assert(offsetof(struct kmbox_info, msgs) == 48, "info layout");
static_assert(offsetof(struct kmbox_info, name) == 128, "info layout");
static_assert(offsetof(struct kmbox_create, name) == 24, "create layout");
static_assert(offsetof(struct kmbox_create, result) == KMBOX_CREATE_SIZE_VER0,
	      "create: result appended");
static_assert(!((KMBOX_FD_CLOEXEC | KMBOX_FD_NONBLOCK | KMBOX_CREATE_EXCL) &
		KMBOX_CREATE_OWNER_CLOSE), "create flags overlap");

TEST(limits)
{
	struct kmbox_limits lim;
	__u64 charge;
	size_t i;

	ASSERT_EQ(0, kt_limits(&lim));
	EXPECT_EQ(0U, lim.flags);
	EXPECT_EQ((__u32)KMBOX_ABI_VERSION, lim.abi_version);
	EXPECT_EQ(8192ULL, lim.default_msg_size);
	EXPECT_LE(lim.default_msg_size, lim.max_msg_size);
	EXPECT_LE(1ULL, lim.max_capacity);
	EXPECT_NE(KMBOX_CAPACITY_UNBOUNDED, lim.max_capacity);
	EXPECT_LE(1ULL, lim.max_mailboxes_per_user);
	/*
	 * An ordinary program never meets the byte quota: a largest message
	 * is charged what it pins, which the quota holds.
	 */
	ASSERT_EQ(0, kt_msg_charge(lim.max_msg_size, &charge));
	EXPECT_LE(lim.max_msg_size + lim.msg_overhead, charge);
	EXPECT_LE(charge, lim.max_bytes_per_user);
	for (i = 0; i < ARRAY_SIZE(lim.__reserved); i++)
		EXPECT_EQ(0ULL, lim.__reserved[i]);
	/* Every feature this header knows; none it does not. */
	EXPECT_EQ(KMBOX_FEATURE_ADMIN | KMBOX_FEATURE_CREATE_RESULT |
		  KMBOX_FEATURE_BATCH | KMBOX_FEATURE_CHARGED |
		  KMBOX_FEATURE_SELECT | KMBOX_FEATURE_PORT |
		  KMBOX_FEATURE_CALL, lim.features);
}

TEST(limits_match_module_parameters)
{
	static const struct {
		const char *param;
		size_t offset;
	} map[] = {
		{ "max_msg_size", offsetof(struct kmbox_limits, max_msg_size) },
		{ "default_msg_size",
		  offsetof(struct kmbox_limits, default_msg_size) },
		{ "max_capacity", offsetof(struct kmbox_limits, max_capacity) },
		{ "max_mailboxes_per_user",
		  offsetof(struct kmbox_limits, max_mailboxes_per_user) },
		{ "max_bytes_per_user",
		  offsetof(struct kmbox_limits, max_bytes_per_user) },
	};
	struct kmbox_limits lim;
	unsigned long long val;
	size_t i;

	ASSERT_EQ(0, kt_limits(&lim));
	for (i = 0; i < ARRAY_SIZE(map); i++) {
		__u64 field;

		memcpy(&field, (char *)&lim + map[i].offset, sizeof(field));
		ASSERT_EQ(0, kt_param_get(map[i].param, &val))
			TH_LOG("cannot read parameter %s", map[i].param);
		EXPECT_EQ(val, field) TH_LOG("parameter %s", map[i].param);
	}
}

TEST(create_anonymous_defaults)
{
	struct kmbox_info info;
	__u64 id = 0;
	int fd;

	umask(0);
	fd = kt_create(NULL, 3, 0, 0640, KMBOX_ACCESS_ALL, 0, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_EQ(id, info.id);
	EXPECT_EQ((__u32)KMBOX_ACCESS_ALL, info.access);
	EXPECT_EQ(3ULL, info.capacity);
	EXPECT_EQ(8192U, info.max_msg_size);
	EXPECT_EQ(0640U, info.mode);
	EXPECT_EQ((__u32)geteuid(), info.uid);
	EXPECT_EQ((__u32)getegid(), info.gid);
	EXPECT_EQ((__u32)KMBOX_STATE_OPEN, info.state);
	EXPECT_EQ(0ULL, info.msgs);
	EXPECT_EQ(0ULL, info.bytes);
	EXPECT_EQ(0U, info.senders_waiting);
	EXPECT_EQ(0U, info.receivers_waiting);
	EXPECT_EQ(0ULL, info.sent);
	EXPECT_EQ(0ULL, info.received);
	EXPECT_EQ(0ULL, info.dropped);
	EXPECT_EQ('\0', info.name[0]);
	close(fd);
}

TEST(create_attributes_reported)
{
	struct kmbox_limits lim;
	struct kmbox_info info;
	int fd;

	ASSERT_EQ(0, kt_limits(&lim));
	fd = kt_create(NULL, KMBOX_CAPACITY_UNBOUNDED, 100, 0600,
		       KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_EQ(KMBOX_CAPACITY_UNBOUNDED, info.capacity);
	EXPECT_EQ(100U, info.max_msg_size);
	close(fd);

	fd = kt_create(NULL, lim.max_capacity, (__u32)lim.max_msg_size, 0600,
		       KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_EQ(lim.max_capacity, info.capacity);
	EXPECT_EQ(lim.max_msg_size, (__u64)info.max_msg_size);
	close(fd);

	fd = kt_create(NULL, 0, 1, 0600, KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_EQ(0ULL, info.capacity);
	EXPECT_EQ(1U, info.max_msg_size);
	close(fd);
}

TEST(ids_are_unique)
{
	__u64 id1 = 0, id2 = 0;
	int fd1, fd2;

	fd1 = kt_create(NULL, 1, 0, 0600, KMBOX_ACCESS_ALL, 0, &id1);
	ASSERT_LE(0, fd1);
	fd2 = kt_create(NULL, 1, 0, 0600, KMBOX_ACCESS_ALL, 0, &id2);
	ASSERT_LE(0, fd2);
	EXPECT_NE(id1, id2);
	EXPECT_EQ(id1, KT_INFO_FIELD(fd1, id));
	EXPECT_EQ(id2, KT_INFO_FIELD(fd2, id));
	close(fd1);
	close(fd2);
}

TEST(create_named_then_open)
{
	struct kmbox_info info;
	__u64 id = 0, id2 = 0;
	char name[64];
	int fd, fd2;

	kt_name(name, sizeof(name), "named");
	fd = kt_create(name, 2, 0, 0600, KMBOX_ACCESS_SEND,
		       KMBOX_CREATE_EXCL, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_STREQ(name, info.name);
	EXPECT_EQ((__u32)KMBOX_ACCESS_SEND, info.access);

	fd2 = kt_open(name, KMBOX_ACCESS_RECV, 0, &id2);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(id, id2);
	ASSERT_EQ(0, kt_info(fd2, &info));
	EXPECT_EQ((__u32)KMBOX_ACCESS_RECV, info.access);
	EXPECT_STREQ(name, info.name);

	/* Both handles are the same mailbox. */
	ASSERT_EQ(0, kt_send_str(fd, "one", KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(fd2, msgs));

	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
	close(fd2);
}

TEST(create_existing_without_excl_opens_it)
{
	struct kmbox_info info;
	__u64 id = 0, id2 = 0;
	char name[64], buf[16];
	int fd, fd2;

	kt_name(name, sizeof(name), "exist");
	fd = kt_create(name, 2, 32, 0600, KMBOX_ACCESS_ALL,
		       KMBOX_CREATE_EXCL, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_send_str(fd, "kept", KMBOX_MSG_NONBLOCK));

	/* Other attributes asked for: the existing mailbox's are kept. */
	fd2 = kt_create(name, KMBOX_CAPACITY_UNBOUNDED, 1000, 0666,
			KMBOX_ACCESS_RECV, 0, &id2);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(id, id2);
	ASSERT_EQ(0, kt_info(fd2, &info));
	EXPECT_EQ(2ULL, info.capacity);
	EXPECT_EQ(32U, info.max_msg_size);
	EXPECT_EQ(0600U, info.mode);
	EXPECT_EQ((__u32)KMBOX_ACCESS_RECV, info.access);
	EXPECT_EQ(1ULL, info.msgs);
	EXPECT_EQ(4, kt_recv_str(fd2, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("kept", buf);

	/* With EXCL it fails and changes nothing. */
	EXPECT_EQ(-EEXIST, kt_create(name, 2, 32, 0600, KMBOX_ACCESS_ALL,
				     KMBOX_CREATE_EXCL, NULL));
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
	close(fd2);
}

/*
 * CREATE says whether it made the mailbox or opened one that was there, so
 * that a name someone else squatted is noticed; a caller built with the
 * version 0 struct still works and is told nothing.
 */
TEST(create_reports_created_or_opened)
{
	struct kmbox_create cr;
	char name[64];
	int dev, fd, fd2, fd0;

	dev = kt_dev();
	ASSERT_LE(0, dev);
	kt_name(name, sizeof(name), "result");
	memset(&cr, 0, sizeof(cr));
	cr.access = KMBOX_ACCESS_ALL;
	cr.capacity = 1;
	cr.mode = 0600;
	cr.name = (uintptr_t)name;
	cr.result = 0xdead;	/* an output: ignored on input */
	fd = kt_ioctl(dev, KMBOX_IOC_CREATE, &cr);
	ASSERT_LE(0, fd);
	EXPECT_EQ((__u32)KMBOX_CREATE_CREATED, cr.result);

	cr.result = 0;
	fd2 = kt_ioctl(dev, KMBOX_IOC_CREATE, &cr);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0U, cr.result);

	/* Version 0: 56 bytes, the field past them is left alone. */
	cr.result = 0xdead;
	fd0 = kt_ioctl(dev, kt_cmd_sized(KMBOX_IOC_CREATE, KMBOX_CREATE_SIZE_VER0), &cr);
	ASSERT_LE(0, fd0);
	EXPECT_EQ(0xdeadU, cr.result);

	/* The new reserved word must be zero. */
	cr.result = 0;
	cr.__reserved1 = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(dev, KMBOX_IOC_CREATE, &cr));
	cr.__reserved1 = 0;
	cr.flags = 0x4000;	/* no CREATE flag yet */
	EXPECT_EQ(-EINVAL, kt_ioctl(dev, KMBOX_IOC_CREATE, &cr));

	EXPECT_EQ(0, kt_unlink(name));
	close(fd0);
	close(fd2);
	close(fd);
	close(dev);
}

TEST(name_of_255_bytes)
{
	char name[KMBOX_NAME_MAX + 1];
	struct kmbox_info info;
	__u64 id = 0, id2 = 0;
	int fd, fd2, n;

	n = snprintf(name, sizeof(name), "kt-%d-long-", (int)getpid());
	memset(name + n, 'n', KMBOX_NAME_MAX - n);
	name[KMBOX_NAME_MAX] = '\0';
	ASSERT_EQ((size_t)KMBOX_NAME_MAX, strlen(name));
	fd = kt_create(name, 1, 0, 0600, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL,
		       &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_EQ(0, memcmp(name, info.name, KMBOX_NAME_MAX + 1));
	fd2 = kt_open(name, KMBOX_ACCESS_ALL, 0, &id2);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(id, id2);
	EXPECT_EQ(0, kt_unlink(name));
	EXPECT_EQ(-ENOENT, kt_open(name, KMBOX_ACCESS_ALL, 0, NULL));
	close(fd);
	close(fd2);
}

TEST(names_are_exact)
{
	char name[64], other[80];
	int fd;

	kt_name(name, sizeof(name), "exact");
	fd = kt_create(name, 1, 0, 0600, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL,
		       NULL);
	ASSERT_LE(0, fd);
	snprintf(other, sizeof(other), "%sx", name);
	EXPECT_EQ(-ENOENT, kt_open(other, KMBOX_ACCESS_ALL, 0, NULL));
	other[strlen(name) - 1] = '\0';
	EXPECT_EQ(-ENOENT, kt_open(other, KMBOX_ACCESS_ALL, 0, NULL));
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
}

/* ---- struct size versioning: a longer struct with a zero tail ----------- */

#define KT_BIG 1024	/* bytes of the longer structs */

/*
 * SEND has no results: it only reads its struct, which may sit in
 * read-only memory (as write(2)'s buffer may), and sends.
 */
TEST(send_struct_read_only_sends)
{
	struct kmbox_send *s;
	char buf[16];
	char *map;
	int fd;

	fd = kt_anon(4);
	ASSERT_LE(0, fd);
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	strcpy(map + 512, "gamma");
	s = (struct kmbox_send *)map;
	s->buf = (uintptr_t)(map + 512);
	s->len = 5;
	ASSERT_EQ(0, mprotect(map, 4096, PROT_READ));
	EXPECT_EQ(0, kt_ioctl(fd, KMBOX_IOC_SEND, s));
	EXPECT_EQ(5, kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("gamma", buf);
	munmap(map, 4096);
	close(fd);
}

TEST(longer_structs_with_zero_tail)
{
	union {
		struct kmbox_limits lim;
		struct kmbox_create cr;
		struct kmbox_open op;
		struct kmbox_send snd;
		struct kmbox_recv rcv;
		struct kmbox_info inf;
		struct kmbox_unlink ul;
		unsigned char raw[KT_BIG];
	} u;
	char name[64], buf[16];
	int dev, fd, fd2;
	size_t i;

	kt_name(name, sizeof(name), "big");
	dev = kt_dev();
	ASSERT_LE(0, dev);

	memset(&u, 0, sizeof(u));
	ASSERT_EQ(0, kt_ioctl(dev, kt_cmd_sized(KMBOX_IOC_LIMITS, KT_BIG), &u));
	EXPECT_EQ((__u32)KMBOX_ABI_VERSION, u.lim.abi_version);
	for (i = sizeof(u.lim); i < KT_BIG; i++)
		ASSERT_EQ(0, u.raw[i]);

	memset(&u, 0, sizeof(u));
	u.cr.access = KMBOX_ACCESS_ALL;
	u.cr.capacity = 4;
	u.cr.mode = 0600;
	u.cr.name = (uintptr_t)name;
	u.cr.flags = KMBOX_CREATE_EXCL;
	fd = kt_ioctl(dev, kt_cmd_sized(KMBOX_IOC_CREATE, KT_BIG), &u);
	ASSERT_LE(0, fd);

	memset(&u, 0, sizeof(u));
	u.op.access = KMBOX_ACCESS_ALL;
	u.op.name = (uintptr_t)name;
	fd2 = kt_ioctl(dev, kt_cmd_sized(KMBOX_IOC_OPEN, KT_BIG), &u);
	ASSERT_LE(0, fd2);

	memset(&u, 0, sizeof(u));
	u.snd.flags = KMBOX_MSG_NONBLOCK;
	u.snd.buf = (uintptr_t)"grown";
	u.snd.len = 5;
	ASSERT_EQ(0, kt_ioctl(fd, kt_cmd_sized(KMBOX_IOC_SEND, KT_BIG), &u));

	memset(&u, 0, sizeof(u));
	ASSERT_EQ(0, kt_ioctl(fd2, kt_cmd_sized(KMBOX_IOC_INFO, KT_BIG), &u));
	EXPECT_EQ(1ULL, u.inf.msgs);
	EXPECT_STREQ(name, u.inf.name);
	for (i = sizeof(u.inf); i < KT_BIG; i++)
		ASSERT_EQ(0, u.raw[i]);

	memset(&u, 0, sizeof(u));
	u.rcv.flags = KMBOX_MSG_NONBLOCK;
	u.rcv.buf = (uintptr_t)buf;
	u.rcv.len = sizeof(buf);
	ASSERT_EQ(5, kt_ioctl(fd2, kt_cmd_sized(KMBOX_IOC_RECV, KT_BIG), &u));
	EXPECT_EQ(0, memcmp(buf, "grown", 5));
	EXPECT_EQ(5ULL, u.rcv.len);
	EXPECT_EQ(getpid(), u.rcv.pid);

	memset(&u, 0, sizeof(u));
	u.ul.name = (uintptr_t)name;
	ASSERT_EQ(0, kt_ioctl(dev, kt_cmd_sized(KMBOX_IOC_UNLINK, KT_BIG), &u));
	EXPECT_EQ(-ENOENT, kt_open(name, KMBOX_ACCESS_ALL, 0, NULL));

	close(fd);
	close(fd2);
	close(dev);
}

TEST(largest_command_size_with_zero_tail)
{
	static unsigned char raw[_IOC_SIZEMASK];
	struct kmbox_send *snd = (void *)raw;
	char buf[8];
	int fd;

	fd = kt_anon(1);
	ASSERT_LE(0, fd);
	snd->flags = KMBOX_MSG_NONBLOCK;
	snd->buf = (uintptr_t)"max";
	snd->len = 3;
	ASSERT_EQ(0, kt_ioctl(fd, kt_cmd_sized(KMBOX_IOC_SEND, _IOC_SIZEMASK),
			      raw));
	EXPECT_EQ(3, kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("max", buf);
	close(fd);
}

/* ---- the table of bad inputs --------------------------------------------- */

enum kt_op {
	OP_LIMITS, OP_CREATE, OP_OPEN, OP_UNLINK,
	OP_SEND, OP_RECV, OP_INFO, OP_CLOSE, OP_DESTROY, OP_RAW,
};

/* Which descriptor the ioctl goes to. */
enum kt_target { T_DEFAULT, T_DEV, T_ALL, T_RECV_ONLY, T_SEND_ONLY };

/*
 * How the struct size in the command is mangled: 8 bytes short, 1 byte
 * short, 0; 8 bytes longer with the last one non-zero, 1 byte longer and
 * non-zero, the largest size a command holds (_IOC_SIZEMASK) with its last
 * byte non-zero; 64 bytes longer, all zero (valid: for SZ_LONG_ZERO rows
 * the struct's placement is what is wrong).
 */
enum kt_size {
	SZ_NORMAL, SZ_SHORT, SZ_SHORT1, SZ_ZERO, SZ_LONG_TAIL, SZ_TAIL1,
	SZ_MAX_TAIL, SZ_LONG_ZERO,
};

/*
 * Where the struct is: in ordinary memory; in a read-only page (it can be
 * read but not written back); half in a PROT_NONE page; or, with a longer
 * size, the kernel's part readable and the zero tail running into a
 * PROT_NONE page.
 */
enum kt_place {
	PL_NORMAL, PL_READONLY, PL_HALF, PL_TAIL_FAULT, PL_RO_FROM_LEN, PL_RO_FROM_GID
};

/* How the command itself is mangled: its direction bits. */
enum kt_dir { DIR_RW, DIR_NONE, DIR_READ, DIR_WRITE };

struct kt_req {
	union {
		struct kmbox_limits lim;
		struct kmbox_create cr;
		struct kmbox_open op;
		struct kmbox_unlink ul;
		struct kmbox_send snd;
		struct kmbox_recv rcv;
		struct kmbox_info inf;
		unsigned char raw[_IOC_SIZEMASK + 1];
	} u;
	unsigned long arg;		/* CLOSE, DESTROY */
	unsigned long cmd;		/* OP_RAW */
	struct kmbox_limits limits;	/* of the running module */
	const char *existing;		/* the fixture's mailbox */
	const char *fresh;		/* a name that must stay unused */
	char longname[KMBOX_NAME_MAX + 2];
	char buf[64];
};

FIXTURE(bad_input) {
	char existing[64];
	char fresh[64];
	int dev, fd, rfd, sfd;
	__u64 id;
	struct kmbox_info before;
};

FIXTURE_VARIANT(bad_input) {
	enum kt_op op;
	enum kt_target target;
	enum kt_size size;
	bool bad_arg;			/* the struct pointer itself is bad */
	enum kt_place place;
	enum kt_dir dir;
	void (*mutate)(struct kt_req *r);
	int err;
};

FIXTURE_SETUP(bad_input)
{
	self->dev = self->fd = self->rfd = self->sfd = -1;
	kt_name(self->existing, sizeof(self->existing), "bad");
	kt_name(self->fresh, sizeof(self->fresh), "fresh");
	self->dev = kt_dev();
	ASSERT_LE(0, self->dev);
	self->fd = kt_create(self->existing, 4, 64, 0666, KMBOX_ACCESS_ALL,
			     KMBOX_CREATE_EXCL, &self->id);
	ASSERT_LE(0, self->fd);
	self->rfd = kt_open(self->existing, KMBOX_ACCESS_RECV, 0, NULL);
	ASSERT_LE(0, self->rfd);
	self->sfd = kt_open(self->existing, KMBOX_ACCESS_SEND, 0, NULL);
	ASSERT_LE(0, self->sfd);
	ASSERT_EQ(0, kt_send_str(self->fd, "alpha", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_send_str(self->fd, "beta", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(0, kt_info(self->fd, &self->before));
	ASSERT_EQ(2ULL, self->before.msgs);
}

FIXTURE_TEARDOWN(bad_input)
{
	if (self->fd >= 0)
		kt_destroy(self->fd);
	kt_unlink(self->fresh);
	close(self->fd);
	close(self->rfd);
	close(self->sfd);
	close(self->dev);
}

static void kt_req_init(struct kt_req *r, enum kt_op op,
			const char *existing, const char *fresh)
{
	memset(r, 0, sizeof(*r));
	kt_limits(&r->limits);
	r->existing = existing;
	r->fresh = fresh;
	memset(r->longname, 'l', KMBOX_NAME_MAX + 1);
	switch (op) {
	case OP_CREATE:
		r->u.cr.access = KMBOX_ACCESS_ALL;
		r->u.cr.capacity = 1;
		r->u.cr.mode = 0600;
		r->u.cr.name = (uintptr_t)fresh;
		break;
	case OP_OPEN:
		r->u.op.access = KMBOX_ACCESS_ALL;
		r->u.op.name = (uintptr_t)existing;
		break;
	case OP_UNLINK:
		r->u.ul.name = (uintptr_t)existing;
		break;
	case OP_SEND:
		r->u.snd.flags = KMBOX_MSG_NONBLOCK;
		r->u.snd.buf = (uintptr_t)"x";
		r->u.snd.len = 1;
		break;
	case OP_RECV:
		r->u.rcv.flags = KMBOX_MSG_NONBLOCK;
		r->u.rcv.buf = (uintptr_t)r->buf;
		r->u.rcv.len = sizeof(r->buf);
		break;
	default:
		break;
	}
}

/*
 * Two pages: size bytes of src laid out so that the first readable bytes
 * are readable and the rest is in a PROT_NONE second page; or, readonly,
 * all of it in a read-only page.  Returns where the struct starts.
 */
static void *kt_place_struct(const void *src, size_t size, size_t readable,
			     bool readonly)
{
	char *map = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p;

	if (map == MAP_FAILED)
		return kt_bad_ptr();
	if (readonly) {
		p = map;
		memcpy(p, src, size);
		mprotect(map, 2 * 4096, PROT_READ);
		return p;
	}
	p = map + 4096 - readable;
	memcpy(p, src, readable);
	mprotect(map + 4096, 4096, PROT_NONE);
	return p;
}

/*
 * The struct across two pages, its bytes from split on on the second,
 * which is read-only.
 */
static void *kt_place_split(const void *src, size_t size, size_t split)
{
	char *map = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p;

	if (map == MAP_FAILED)
		return kt_bad_ptr();
	p = map + 4096 - split;
	memcpy(p, src, size);
	mprotect(map + 4096, 4096, PROT_READ);
	return p;
}

/* The lowest free descriptor: none may be installed by a failing call. */
static int kt_next_fd(void)
{
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* Each command, its struct's size now, and the oldest size it takes. */
static const struct {
	unsigned long cmd;
	size_t size;
	size_t ver0;
} kt_ops[] = {
	[OP_LIMITS] = { KMBOX_IOC_LIMITS, sizeof(struct kmbox_limits),
			KMBOX_LIMITS_SIZE_VER0 },
	[OP_CREATE] = { KMBOX_IOC_CREATE, sizeof(struct kmbox_create),
			KMBOX_CREATE_SIZE_VER0 },
	[OP_OPEN] = { KMBOX_IOC_OPEN, sizeof(struct kmbox_open),
		      KMBOX_OPEN_SIZE_VER0 },
	[OP_UNLINK] = { KMBOX_IOC_UNLINK, sizeof(struct kmbox_unlink),
			KMBOX_UNLINK_SIZE_VER0 },
	[OP_SEND] = { KMBOX_IOC_SEND, sizeof(struct kmbox_send),
		      KMBOX_SEND_SIZE_VER0 },
	[OP_RECV] = { KMBOX_IOC_RECV, sizeof(struct kmbox_recv),
		      KMBOX_RECV_SIZE_VER0 },
	[OP_INFO] = { KMBOX_IOC_INFO, sizeof(struct kmbox_info),
		      KMBOX_INFO_SIZE_VER0 },
	[OP_CLOSE] = { KMBOX_IOC_CLOSE, 0, 0 },
	[OP_DESTROY] = { KMBOX_IOC_DESTROY, 0, 0 },
};

TEST_F(bad_input, fails_and_changes_nothing)
{
	enum kt_target target = variant->target;
	struct kmbox_info after;
	unsigned long cmd;
	static struct kt_req r;
	char buf[16];
	void *arg;
	int fd, ret, next_fd;

	kt_req_init(&r, variant->op, self->existing, self->fresh);
	if (variant->mutate)
		variant->mutate(&r);

	if (target == T_DEFAULT)
		target = variant->op <= OP_UNLINK ? T_DEV : T_ALL;
	fd = target == T_DEV ? self->dev :
	     target == T_RECV_ONLY ? self->rfd :
	     target == T_SEND_ONLY ? self->sfd : self->fd;

	if (variant->op == OP_RAW) {
		cmd = r.cmd;
		arg = &r.u;
	} else if (variant->op == OP_CLOSE || variant->op == OP_DESTROY) {
		cmd = kt_ops[variant->op].cmd;
		arg = (void *)r.arg;
		if (variant->size == SZ_LONG_TAIL)	/* a size on _IO() */
			cmd = _IOC(_IOC_READ | _IOC_WRITE, KMBOX_IOC_MAGIC,
				   _IOC_NR(cmd), sizeof(int));
	} else {
		size_t ksize = kt_ops[variant->op].size, size = ksize;
		static const unsigned int dirs[] = {
			[DIR_RW] = _IOC_READ | _IOC_WRITE, [DIR_NONE] = _IOC_NONE,
			[DIR_READ] = _IOC_READ, [DIR_WRITE] = _IOC_WRITE,
		};

		/* Short: shorter than the oldest size, which any module takes. */
		switch (variant->size) {
		case SZ_SHORT:
			size = kt_ops[variant->op].ver0 - 8;
			break;
		case SZ_SHORT1:
			size = kt_ops[variant->op].ver0 - 1;
			break;
		case SZ_ZERO:
			size = 0;
			break;
		case SZ_LONG_TAIL:
			r.u.raw[size + 7] = 1;
			size += 8;
			break;
		case SZ_TAIL1:
			r.u.raw[size] = 0x80;
			size += 1;
			break;
		case SZ_MAX_TAIL:
			size = _IOC_SIZEMASK;
			r.u.raw[size - 1] = 1;
			break;
		case SZ_LONG_ZERO:
			size += 64;
			break;
		default:
			break;
		}
		cmd = _IOC(dirs[variant->dir], KMBOX_IOC_MAGIC,
			   _IOC_NR(kt_ops[variant->op].cmd), size);
		switch (variant->place) {
		case PL_READONLY:
			arg = kt_place_struct(&r.u, size, size, true);
			break;
		case PL_HALF:
			arg = kt_place_struct(&r.u, size, size / 2, false);
			break;
		case PL_TAIL_FAULT:
			arg = kt_place_struct(&r.u, size, ksize + 8, false);
			break;
		case PL_RO_FROM_LEN:
			arg = kt_place_split(&r.u, size,
					     offsetof(struct kmbox_recv, len));
			break;
		case PL_RO_FROM_GID:
			arg = kt_place_split(&r.u, size,
					     offsetof(struct kmbox_recv, gid) + 3);
			break;
		default:
			arg = variant->bad_arg ? kt_bad_ptr() : (void *)&r.u;
			break;
		}
	}

	next_fd = kt_next_fd();
	ret = kt_ioctl(fd, cmd, arg);
	if (ret > 0 && (variant->op == OP_CREATE || variant->op == OP_OPEN))
		close(ret);
	ASSERT_EQ(-variant->err, ret) TH_LOG("%s", strerror(ret < 0 ? -ret : 0));
	EXPECT_EQ(next_fd, kt_next_fd()) TH_LOG("a descriptor was installed");

	/* Nothing changed: the mailbox, its name, and no new mailbox. */
	ASSERT_EQ(0, kt_info(self->fd, &after));
	EXPECT_EQ(self->before.id, after.id);
	EXPECT_EQ(self->before.state, after.state);
	EXPECT_EQ(self->before.capacity, after.capacity);
	EXPECT_EQ(self->before.max_msg_size, after.max_msg_size);
	EXPECT_EQ(self->before.mode, after.mode);
	EXPECT_EQ(self->before.msgs, after.msgs);
	EXPECT_EQ(self->before.bytes, after.bytes);
	EXPECT_EQ(self->before.sent, after.sent);
	EXPECT_EQ(self->before.received, after.received);
	EXPECT_EQ(self->before.dropped, after.dropped);
	EXPECT_EQ(0U, after.senders_waiting);
	EXPECT_EQ(0U, after.receivers_waiting);
	EXPECT_STREQ(self->existing, after.name);
	EXPECT_EQ(-ENOENT, kt_open(self->fresh, KMBOX_ACCESS_ALL, 0, NULL));
	ret = kt_open(self->existing, KMBOX_ACCESS_ALL, 0, NULL);
	EXPECT_LE(0, ret);
	if (ret >= 0)
		close(ret);
	EXPECT_EQ(5, kt_recv_str(self->fd, buf, sizeof(buf),
				 KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("alpha", buf);
	EXPECT_EQ(4, kt_recv_str(self->fd, buf, sizeof(buf),
				 KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("beta", buf);
	EXPECT_EQ(-EAGAIN, kt_recv_str(self->fd, buf, sizeof(buf),
				       KMBOX_MSG_NONBLOCK));
}

/*
 * BAD(name, op, errno, statement on struct kt_req *r): one row, one test
 * case "bad_input.<name>.fails_and_changes_nothing".
 */
#define BAD_FULL(tag, op_, err_, target_, size_, bad_arg_, place_,	\
		 dir_, stmt)						\
	static void kt_mut_##tag(struct kt_req *r)			\
	{								\
		(void)r;						\
		stmt;							\
	}								\
	FIXTURE_VARIANT_ADD(bad_input, tag) {				\
		.op = op_, .err = err_, .target = target_,		\
		.size = size_, .bad_arg = bad_arg_,			\
		.place = place_, .dir = dir_,				\
		.mutate = kt_mut_##tag,					\
	}
#define BAD_ROW(tag, op, err, target, size, bad_arg, stmt)		\
	BAD_FULL(tag, op, err, target, size, bad_arg, PL_NORMAL, DIR_RW, stmt)

#define BAD(tag, op, err, stmt)	\
	BAD_ROW(tag, op, err, T_DEFAULT, SZ_NORMAL, false, stmt)
#define BAD_ON(tag, op, err, target, stmt) \
	BAD_ROW(tag, op, err, target, SZ_NORMAL, false, stmt)
#define BAD_SIZE(tag, op, err, size) \
	BAD_ROW(tag, op, err, T_DEFAULT, size, false, )
#define BAD_ARG(tag, op) \
	BAD_ROW(tag, op, EFAULT, T_DEFAULT, SZ_NORMAL, true, )
/* The struct is somewhere it cannot be read whole, or written back. */
#define BAD_PLACE(tag, op, err, size, place) \
	BAD_FULL(tag, op, err, T_DEFAULT, size, false, place, DIR_RW, )
/* The right number, the wrong direction. */
#define BAD_DIR(tag, op, dir) \
	BAD_FULL(tag, op, ENOTTY, T_DEFAULT, SZ_NORMAL, false, PL_NORMAL, dir, )

/*
 * Every struct command: each wrong size (short by 8 and by 1, zero,
 * longer with a non-zero byte right after the kernel's struct, at the end
 * of 8 more bytes, and at the end of the largest size), each placement (a
 * read-only struct fails with EFAULT before anything is done: the result
 * could not be written back), each wrong direction.
 */
#define BAD_STRUCT_IN(pfx, op)						\
	BAD_SIZE(pfx##_short1, op, EINVAL, SZ_SHORT1);			\
	BAD_SIZE(pfx##_tail_first_byte, op, E2BIG, SZ_TAIL1);		\
	BAD_SIZE(pfx##_max_size_tail, op, E2BIG, SZ_MAX_TAIL);		\
	BAD_PLACE(pfx##_readonly_long_tail, op, E2BIG, SZ_LONG_TAIL,	\
		  PL_READONLY);						\
	BAD_PLACE(pfx##_half_mapped, op, EFAULT, SZ_NORMAL, PL_HALF);	\
	BAD_PLACE(pfx##_tail_unmapped, op, EFAULT, SZ_LONG_ZERO,	\
		  PL_TAIL_FAULT);					\
	BAD_DIR(pfx##_dir_none, op, DIR_NONE);				\
	BAD_DIR(pfx##_dir_read, op, DIR_READ);				\
	BAD_DIR(pfx##_dir_write, op, DIR_WRITE)
/* A struct with results: read-only, it is refused before anything is done. */
#define BAD_STRUCT(pfx, op)						\
	BAD_STRUCT_IN(pfx, op);						\
	BAD_PLACE(pfx##_readonly, op, EFAULT, SZ_NORMAL, PL_READONLY);	\
	BAD_PLACE(pfx##_readonly_long, op, EFAULT, SZ_LONG_ZERO,	\
		  PL_READONLY)

BAD_STRUCT(limits, OP_LIMITS);
BAD_STRUCT(create, OP_CREATE);
BAD_STRUCT(open, OP_OPEN);
BAD_STRUCT(unlink, OP_UNLINK);
BAD_STRUCT_IN(send, OP_SEND);	/* SEND only reads it: see below */
BAD_STRUCT(recv, OP_RECV);
BAD_STRUCT(info, OP_INFO);
/*
 * RECV's results (len to gid) start or end on a read-only page while
 * the rest of the struct is writable: still refused, nothing consumed.
 */
BAD_PLACE(recv_results_start_readonly, OP_RECV, EFAULT, SZ_NORMAL,
	  PL_RO_FROM_LEN);
BAD_PLACE(recv_results_end_readonly, OP_RECV, EFAULT, SZ_NORMAL,
	  PL_RO_FROM_GID);

/* A name whose bytes run into a page that is not mapped. */
static uintptr_t kt_unterminated_name(void)
{
	static char *p;

	if (!p) {
		char *map = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (map == MAP_FAILED)
			return (uintptr_t)kt_bad_ptr();
		p = map + 4096 - 10;
		memcpy(p, "kt-unterm-", 10);
		mprotect(map + 4096, 4096, PROT_NONE);
	}
	return (uintptr_t)p;
}

/* Half a buffer: its first bytes writable, the rest in a PROT_NONE page. */
static uintptr_t kt_half_buffer(void)
{
	static char *p;

	if (!p) {
		char *map = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (map == MAP_FAILED)
			return (uintptr_t)kt_bad_ptr();
		p = map + 4096 - 2;
		mprotect(map + 4096, 4096, PROT_NONE);
	}
	return (uintptr_t)p;
}

/* A read-only page with something in it. */
static uintptr_t kt_readonly_buffer(void)
{
	static char *p;

	if (!p) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return (uintptr_t)kt_bad_ptr();
		memset(p, 'r', 4096);
		mprotect(p, 4096, PROT_READ);
	}
	return (uintptr_t)p;
}

/* An address in the kernel's half: never a user pointer. */
#define KT_KERNEL_PTR	0xffffffff81000000ULL

/* LIMITS */
BAD(limits_flags, OP_LIMITS, EINVAL, r->u.lim.flags = 1);
BAD(limits_reserved, OP_LIMITS, EINVAL, r->u.lim.__reserved[3] = 1);
BAD(limits_reserved0, OP_LIMITS, EINVAL, r->u.lim.__reserved[0] = 1);
BAD(limits_flags_high, OP_LIMITS, EINVAL, r->u.lim.flags = 1U << 31);
BAD_SIZE(limits_size_zero, OP_LIMITS, EINVAL, SZ_ZERO);
BAD_SIZE(limits_short, OP_LIMITS, EINVAL, SZ_SHORT);
BAD_SIZE(limits_long_tail, OP_LIMITS, E2BIG, SZ_LONG_TAIL);
BAD_ARG(limits_efault, OP_LIMITS);
BAD_ON(limits_on_mailbox, OP_LIMITS, ENOTTY, T_ALL, );

/* CREATE (of the fresh name unless said otherwise) */
BAD(create_unknown_flag, OP_CREATE, EINVAL, r->u.cr.flags = 1U << 2);
BAD(create_high_flag, OP_CREATE, EINVAL, r->u.cr.flags = 1U << 31);
BAD(create_port_named, OP_CREATE, EINVAL, r->u.cr.flags = KMBOX_CREATE_PORT);
BAD(create_port_send_only, OP_CREATE, EINVAL,
    r->u.cr.flags = KMBOX_CREATE_PORT; r->u.cr.name = 0;
    r->u.cr.access = KMBOX_ACCESS_SEND);
BAD(create_excl_anonymous, OP_CREATE, EINVAL,
    r->u.cr.flags = KMBOX_CREATE_EXCL; r->u.cr.name = 0);
BAD(create_excl_existing, OP_CREATE, EEXIST,
    r->u.cr.flags = KMBOX_CREATE_EXCL;
    r->u.cr.name = (uintptr_t)r->existing);
BAD(create_access_zero, OP_CREATE, EINVAL, r->u.cr.access = 0);
BAD(create_access_unknown, OP_CREATE, EINVAL,
    r->u.cr.access = KMBOX_ACCESS_ALL | (1U << 2));
BAD(create_capacity_over_max, OP_CREATE, EINVAL,
    r->u.cr.capacity = r->limits.max_capacity + 1);
BAD(create_capacity_almost_unbounded, OP_CREATE, EINVAL,
    r->u.cr.capacity = KMBOX_CAPACITY_UNBOUNDED - 1);
BAD(create_msg_size_over_max, OP_CREATE, EINVAL,
    r->u.cr.max_msg_size = (__u32)r->limits.max_msg_size + 1);
BAD(create_mode_sticky, OP_CREATE, EINVAL, r->u.cr.mode = 01600);
BAD(create_mode_setuid, OP_CREATE, EINVAL, r->u.cr.mode = 04600);
BAD(create_mode_file_type, OP_CREATE, EINVAL, r->u.cr.mode = 0100600);
BAD(create_mode_setgid, OP_CREATE, EINVAL, r->u.cr.mode = 02600);
BAD(create_mode_high, OP_CREATE, EINVAL, r->u.cr.mode = 1U << 31);
BAD(create_capacity_max_u64_minus_2, OP_CREATE, EINVAL,
    r->u.cr.capacity = KMBOX_CAPACITY_UNBOUNDED - 2);
BAD(create_msg_size_max_u32, OP_CREATE, EINVAL,
    r->u.cr.max_msg_size = UINT32_MAX);
BAD(create_access_high, OP_CREATE, EINVAL,
    r->u.cr.access = KMBOX_ACCESS_RECV | (1U << 31));
BAD(create_excl_flag_plus_unknown, OP_CREATE, EINVAL,
    r->u.cr.flags = KMBOX_CREATE_EXCL | 0x4000);
BAD(create_reserved_word, OP_CREATE, EINVAL, r->u.cr.__reserved1 = 1);
BAD(create_name_unterminated, OP_CREATE, EFAULT,
    r->u.cr.name = kt_unterminated_name());
BAD(create_name_kernel, OP_CREATE, EFAULT, r->u.cr.name = KT_KERNEL_PTR);
BAD(create_name_noncanonical, OP_CREATE, EFAULT,
    r->u.cr.name = 0x0000800000000000ULL);
/* Invalid fields win over the name: nothing is looked up. */
BAD(create_existing_bad_flag, OP_CREATE, EINVAL,
    r->u.cr.name = (uintptr_t)r->existing; r->u.cr.flags = 1U << 4);
BAD(create_bad_name_bad_reserved, OP_CREATE, EINVAL,
    r->u.cr.name = (uintptr_t)kt_bad_ptr(); r->u.cr.__reserved[0] = 1);
BAD(create_reserved0, OP_CREATE, EINVAL, r->u.cr.__reserved[0] = 1);
BAD(create_reserved1, OP_CREATE, EINVAL, r->u.cr.__reserved[1] = 1);
BAD(create_name_empty, OP_CREATE, EINVAL, r->u.cr.name = (uintptr_t)"");
BAD(create_name_slash, OP_CREATE, EINVAL,
    r->u.cr.name = (uintptr_t)"kt-a/b");
BAD(create_name_only_slash, OP_CREATE, EINVAL,
    r->u.cr.name = (uintptr_t)"/");
BAD(create_name_256, OP_CREATE, ENAMETOOLONG,
    r->u.cr.name = (uintptr_t)r->longname);
BAD(create_name_efault, OP_CREATE, EFAULT,
    r->u.cr.name = (uintptr_t)kt_bad_ptr());
BAD(create_excl_existing_bad_access, OP_CREATE, EINVAL,
    r->u.cr.name = (uintptr_t)r->existing; r->u.cr.access = 0);
BAD_SIZE(create_short, OP_CREATE, EINVAL, SZ_SHORT);
BAD_SIZE(create_size_zero, OP_CREATE, EINVAL, SZ_ZERO);
BAD_SIZE(create_long_tail, OP_CREATE, E2BIG, SZ_LONG_TAIL);
BAD_ARG(create_efault, OP_CREATE);
BAD_ON(create_on_mailbox, OP_CREATE, ENOTTY, T_ALL, );

/* OPEN (of the existing name unless said otherwise) */
BAD(open_unknown_flag, OP_OPEN, EINVAL, r->u.op.flags = 1U << 2);
BAD(open_create_flag, OP_OPEN, EINVAL, r->u.op.flags = KMBOX_CREATE_EXCL);
BAD(open_access_zero, OP_OPEN, EINVAL, r->u.op.access = 0);
BAD(open_access_unknown, OP_OPEN, EINVAL, r->u.op.access = 1U << 5);
BAD(open_high_flag, OP_OPEN, EINVAL, r->u.op.flags = 1U << 31);
BAD(open_name_null, OP_OPEN, EINVAL, r->u.op.name = 0);
BAD(open_name_unterminated, OP_OPEN, EFAULT,
    r->u.op.name = kt_unterminated_name());
BAD(open_name_kernel, OP_OPEN, EFAULT, r->u.op.name = KT_KERNEL_PTR);
BAD(open_name_only_slash, OP_OPEN, EINVAL, r->u.op.name = (uintptr_t)"/");
BAD(open_missing_bad_flag, OP_OPEN, EINVAL,
    r->u.op.name = (uintptr_t)r->fresh; r->u.op.flags = 1U << 7);
BAD_SIZE(open_size_zero, OP_OPEN, EINVAL, SZ_ZERO);
BAD(open_reserved0, OP_OPEN, EINVAL, r->u.op.__reserved[0] = 1);
BAD(open_reserved1, OP_OPEN, EINVAL, r->u.op.__reserved[1] = 1);
BAD(open_missing, OP_OPEN, ENOENT, r->u.op.name = (uintptr_t)r->fresh);
BAD(open_name_empty, OP_OPEN, EINVAL, r->u.op.name = (uintptr_t)"");
BAD(open_name_slash, OP_OPEN, EINVAL, r->u.op.name = (uintptr_t)"kt-a/b");
BAD(open_name_256, OP_OPEN, ENAMETOOLONG,
    r->u.op.name = (uintptr_t)r->longname);
BAD(open_name_efault, OP_OPEN, EFAULT,
    r->u.op.name = (uintptr_t)kt_bad_ptr());
BAD_SIZE(open_short, OP_OPEN, EINVAL, SZ_SHORT);
BAD_SIZE(open_long_tail, OP_OPEN, E2BIG, SZ_LONG_TAIL);
BAD_ARG(open_efault, OP_OPEN);
BAD_ON(open_on_mailbox, OP_OPEN, ENOTTY, T_ALL, );

/* UNLINK (of the existing name unless said otherwise) */
BAD(unlink_flags, OP_UNLINK, EINVAL, r->u.ul.flags = 1);
BAD(unlink_reserved0, OP_UNLINK, EINVAL, r->u.ul.__reserved0 = 1);
BAD(unlink_reserved, OP_UNLINK, EINVAL, r->u.ul.__reserved[1] = 1);
BAD(unlink_missing, OP_UNLINK, ENOENT, r->u.ul.name = (uintptr_t)r->fresh);
BAD(unlink_name_empty, OP_UNLINK, EINVAL, r->u.ul.name = (uintptr_t)"");
BAD(unlink_reserved_first, OP_UNLINK, EINVAL, r->u.ul.__reserved[0] = 1);
BAD(unlink_high_flag, OP_UNLINK, EINVAL, r->u.ul.flags = 1U << 31);
BAD(unlink_name_null, OP_UNLINK, EINVAL, r->u.ul.name = 0);
BAD(unlink_name_slash, OP_UNLINK, EINVAL,
    r->u.ul.name = (uintptr_t)"kt-a/b");
BAD(unlink_name_unterminated, OP_UNLINK, EFAULT,
    r->u.ul.name = kt_unterminated_name());
BAD(unlink_name_kernel, OP_UNLINK, EFAULT, r->u.ul.name = KT_KERNEL_PTR);
BAD(unlink_existing_bad_flag, OP_UNLINK, EINVAL, r->u.ul.flags = 2);
BAD_SIZE(unlink_size_zero, OP_UNLINK, EINVAL, SZ_ZERO);
BAD(unlink_name_256, OP_UNLINK, ENAMETOOLONG,
    r->u.ul.name = (uintptr_t)r->longname);
BAD(unlink_name_efault, OP_UNLINK, EFAULT,
    r->u.ul.name = (uintptr_t)kt_bad_ptr());
BAD_SIZE(unlink_short, OP_UNLINK, EINVAL, SZ_SHORT);
BAD_SIZE(unlink_long_tail, OP_UNLINK, E2BIG, SZ_LONG_TAIL);
BAD_ARG(unlink_efault, OP_UNLINK);
BAD_ON(unlink_on_mailbox, OP_UNLINK, ENOTTY, T_ALL, );

/* SEND (a valid one would queue "x": there is room) */
BAD(send_unknown_flag, OP_SEND, EINVAL, r->u.snd.flags |= 1U << 3);
BAD(send_high_flag, OP_SEND, EINVAL, r->u.snd.flags |= 1U << 31);
BAD(send_op_flag_9, OP_SEND, EINVAL, r->u.snd.flags |= 1U << 9);
BAD(send_nonblock_and_timeout, OP_SEND, EINVAL,
    r->u.snd.flags = KMBOX_MSG_NONBLOCK | KMBOX_MSG_TIMEOUT;
    r->u.snd.timeout_ns = TC_SEC);
BAD(send_timeout_and_deadline, OP_SEND, EINVAL,
    r->u.snd.flags = KMBOX_MSG_TIMEOUT | KMBOX_MSG_DEADLINE;
    r->u.snd.timeout_ns = tc_now_ns() + TC_SEC);
BAD(send_nonblock_and_deadline, OP_SEND, EINVAL,
    r->u.snd.flags = KMBOX_MSG_NONBLOCK | KMBOX_MSG_DEADLINE;
    r->u.snd.timeout_ns = tc_now_ns() + TC_SEC);
BAD(send_timeout_ns_without_flag, OP_SEND, EINVAL,
    r->u.snd.flags = 0; r->u.snd.timeout_ns = TC_SEC);
BAD(send_timeout_ns_with_nonblock, OP_SEND, EINVAL,
    r->u.snd.timeout_ns = TC_SEC);
BAD(send_negative_timeout, OP_SEND, EINVAL,
    r->u.snd.flags = KMBOX_MSG_TIMEOUT; r->u.snd.timeout_ns = -1);
BAD(send_reserved0, OP_SEND, EINVAL, r->u.snd.__reserved0 = 1);
BAD(send_reserved, OP_SEND, EINVAL, r->u.snd.__reserved[1] = 1);
BAD(send_reserved_first, OP_SEND, EINVAL, r->u.snd.__reserved[0] = 1);
BAD(send_prio_plain_mailbox, OP_SEND, EINVAL, r->u.snd.prio = 1);
BAD(send_tag_plain_mailbox, OP_SEND, EINVAL, r->u.snd.tag = 1);
BAD(send_prio_over_max, OP_SEND, EINVAL, r->u.snd.prio = KMBOX_PRIO_MAX + 1);
BAD(send_reserved1, OP_SEND, EINVAL, r->u.snd.__reserved1 = 1);
BAD(send_reserved2, OP_SEND, EINVAL, r->u.snd.__reserved2[1] = 1);
BAD(send_all_modes, OP_SEND, EINVAL,
    r->u.snd.flags = KMBOX_MSG_NONBLOCK | KMBOX_MSG_TIMEOUT |
		     KMBOX_MSG_DEADLINE;
    r->u.snd.timeout_ns = tc_now_ns() + TC_SEC);
BAD(send_negative_deadline, OP_SEND, EINVAL,
    r->u.snd.flags = KMBOX_MSG_DEADLINE; r->u.snd.timeout_ns = -1);
BAD(send_min_timeout, OP_SEND, EINVAL,
    r->u.snd.flags = KMBOX_MSG_TIMEOUT; r->u.snd.timeout_ns = INT64_MIN);
BAD(send_timeout_ns_sync_blocking, OP_SEND, EINVAL,
    r->u.snd.flags = KMBOX_SEND_SYNC; r->u.snd.timeout_ns = 1);
BAD(send_max_len, OP_SEND, EMSGSIZE, r->u.snd.len = UINT64_MAX);
BAD(send_negative_len, OP_SEND, EMSGSIZE, r->u.snd.len = 1ULL << 63);
BAD(send_len_4g, OP_SEND, EMSGSIZE, r->u.snd.len = 1ULL << 32);
BAD(send_buf_null, OP_SEND, EFAULT, r->u.snd.buf = 0);
BAD(send_buf_half_mapped, OP_SEND, EFAULT,
    r->u.snd.buf = kt_half_buffer(); r->u.snd.len = 16);
BAD(send_buf_kernel, OP_SEND, EFAULT, r->u.snd.buf = KT_KERNEL_PTR);
/* Flags are checked before the handle's state and the length. */
BAD(send_huge_len_bad_flag, OP_SEND, EINVAL,
    r->u.snd.len = 1ULL << 40; r->u.snd.flags |= 1U << 5);
BAD(send_over_max_msg_size, OP_SEND, EMSGSIZE,
    static char big[65]; r->u.snd.buf = (uintptr_t)big;
    r->u.snd.len = sizeof(big));
BAD(send_huge_len, OP_SEND, EMSGSIZE, r->u.snd.len = 1ULL << 40);
BAD(send_buf_efault, OP_SEND, EFAULT,
    r->u.snd.buf = (uintptr_t)kt_bad_ptr());
BAD(send_buf_efault_blocking, OP_SEND, EFAULT,
    r->u.snd.buf = (uintptr_t)kt_bad_ptr(); r->u.snd.flags = 0);
BAD_ON(send_on_recv_only, OP_SEND, EBADF, T_RECV_ONLY, );
BAD_SIZE(send_short, OP_SEND, EINVAL, SZ_SHORT);
BAD_SIZE(send_size_zero, OP_SEND, EINVAL, SZ_ZERO);
BAD_SIZE(send_long_tail, OP_SEND, E2BIG, SZ_LONG_TAIL);
BAD_ARG(send_efault, OP_SEND);
BAD_ON(send_on_device, OP_SEND, ENOTTY, T_DEV, );

/* RECV (a valid one would consume "alpha") */
BAD(recv_unknown_flag, OP_RECV, EINVAL, r->u.rcv.flags |= 1U << 3);
BAD(recv_high_flag, OP_RECV, EINVAL, r->u.rcv.flags |= 1U << 31);
BAD(recv_op_flag_9, OP_RECV, EINVAL, r->u.rcv.flags |= 1U << 9);
/* Selection needs a KMBOX_CREATE_SELECT mailbox (select_test has more). */
BAD(recv_from_plain_mailbox, OP_RECV, EINVAL,
    r->u.rcv.flags |= KMBOX_RECV_FROM; r->u.rcv.want_pid = getpid());
BAD(recv_want_tag_without_flag, OP_RECV, EINVAL, r->u.rcv.want_tag = 1);
BAD(recv_reply_len_without_flag, OP_RECV, EINVAL, r->u.rcv.reply_len = 1);
BAD(recv_reserved3, OP_RECV, EINVAL, r->u.rcv.__reserved3[1] = 1);
BAD(recv_nonblock_and_timeout, OP_RECV, EINVAL,
    r->u.rcv.flags = KMBOX_MSG_NONBLOCK | KMBOX_MSG_TIMEOUT;
    r->u.rcv.timeout_ns = TC_SEC);
BAD(recv_timeout_and_deadline, OP_RECV, EINVAL,
    r->u.rcv.flags = KMBOX_MSG_TIMEOUT | KMBOX_MSG_DEADLINE;
    r->u.rcv.timeout_ns = tc_now_ns() + TC_SEC);
BAD(recv_timeout_ns_without_flag, OP_RECV, EINVAL,
    r->u.rcv.flags = 0; r->u.rcv.timeout_ns = TC_SEC);
BAD(recv_negative_timeout, OP_RECV, EINVAL,
    r->u.rcv.flags = KMBOX_MSG_TIMEOUT; r->u.rcv.timeout_ns = -TC_SEC);
BAD(recv_nonblock_and_deadline, OP_RECV, EINVAL,
    r->u.rcv.flags = KMBOX_MSG_NONBLOCK | KMBOX_MSG_DEADLINE;
    r->u.rcv.timeout_ns = tc_now_ns() + TC_SEC);
BAD(recv_all_modes, OP_RECV, EINVAL,
    r->u.rcv.flags = KMBOX_MSG_NONBLOCK | KMBOX_MSG_TIMEOUT |
		     KMBOX_MSG_DEADLINE;
    r->u.rcv.timeout_ns = tc_now_ns() + TC_SEC);
BAD(recv_timeout_ns_with_nonblock, OP_RECV, EINVAL,
    r->u.rcv.timeout_ns = TC_SEC);
BAD(recv_negative_deadline, OP_RECV, EINVAL,
    r->u.rcv.flags = KMBOX_MSG_DEADLINE; r->u.rcv.timeout_ns = -1);
BAD(recv_reserved_second, OP_RECV, EINVAL, r->u.rcv.__reserved[1] = 1);
BAD(recv_buf_readonly, OP_RECV, EFAULT,
    r->u.rcv.buf = kt_readonly_buffer());
BAD(recv_buf_half_mapped, OP_RECV, EFAULT,
    r->u.rcv.buf = kt_half_buffer());
BAD(recv_buf_null, OP_RECV, EFAULT, r->u.rcv.buf = 0);
BAD(recv_buf_kernel, OP_RECV, EFAULT, r->u.rcv.buf = KT_KERNEL_PTR);
BAD(recv_peek_too_small, OP_RECV, EMSGSIZE,
    r->u.rcv.len = 1; r->u.rcv.flags |= KMBOX_RECV_PEEK);
BAD(recv_reserved0, OP_RECV, EINVAL, r->u.rcv.__reserved0 = 1);
BAD(recv_reserved1, OP_RECV, EINVAL, r->u.rcv.__reserved1 = 1);
BAD(recv_reserved, OP_RECV, EINVAL, r->u.rcv.__reserved[0] = 1);
BAD(recv_buf_efault, OP_RECV, EFAULT,
    r->u.rcv.buf = (uintptr_t)kt_bad_ptr());
BAD(recv_buf_efault_blocking, OP_RECV, EFAULT,
    r->u.rcv.buf = (uintptr_t)kt_bad_ptr(); r->u.rcv.flags = 0);
BAD(recv_peek_buf_efault, OP_RECV, EFAULT,
    r->u.rcv.buf = (uintptr_t)kt_bad_ptr();
    r->u.rcv.flags |= KMBOX_RECV_PEEK);
BAD(recv_buffer_too_small, OP_RECV, EMSGSIZE, r->u.rcv.len = 4);
BAD(recv_buffer_empty, OP_RECV, EMSGSIZE, r->u.rcv.len = 0);
BAD_ON(recv_on_send_only, OP_RECV, EBADF, T_SEND_ONLY, );
BAD_SIZE(recv_short, OP_RECV, EINVAL, SZ_SHORT);
BAD_SIZE(recv_size_zero, OP_RECV, EINVAL, SZ_ZERO);
BAD_SIZE(recv_long_tail, OP_RECV, E2BIG, SZ_LONG_TAIL);
BAD_ARG(recv_efault, OP_RECV);
BAD_ON(recv_on_device, OP_RECV, ENOTTY, T_DEV, );

/* INFO */
BAD(info_flags, OP_INFO, EINVAL, r->u.inf.flags = 1);
BAD(info_high_flag, OP_INFO, EINVAL, r->u.inf.flags = 1U << 31);
BAD(info_reserved0, OP_INFO, EINVAL, r->u.inf.__reserved0 = 1);
BAD(info_reserved, OP_INFO, EINVAL, r->u.inf.__reserved[2] = 1);
BAD_SIZE(info_size_zero, OP_INFO, EINVAL, SZ_ZERO);
BAD_SIZE(info_short, OP_INFO, EINVAL, SZ_SHORT);
BAD_SIZE(info_long_tail, OP_INFO, E2BIG, SZ_LONG_TAIL);
BAD_ARG(info_efault, OP_INFO);
BAD_ON(info_on_device, OP_INFO, ENOTTY, T_DEV, );

/* CLOSE and DESTROY */
BAD(close_arg, OP_CLOSE, EINVAL, r->arg = 1);
BAD_ON(close_on_recv_only, OP_CLOSE, EBADF, T_RECV_ONLY, );
BAD_ON(close_on_device, OP_CLOSE, ENOTTY, T_DEV, );
BAD(destroy_arg, OP_DESTROY, EINVAL, r->arg = 1);
BAD_ON(destroy_on_device, OP_DESTROY, ENOTTY, T_DEV, );
BAD(close_arg_pointer, OP_CLOSE, EINVAL, r->arg = (unsigned long)r);
BAD(close_arg_all_ones, OP_CLOSE, EINVAL, r->arg = ~0UL);
BAD(destroy_arg_all_ones, OP_DESTROY, EINVAL, r->arg = ~0UL);
/* Close and destroy take no struct: with a size, they are unknown. */
BAD_SIZE(close_with_size, OP_CLOSE, ENOTTY, SZ_LONG_TAIL);
BAD_SIZE(destroy_with_size, OP_DESTROY, ENOTTY, SZ_LONG_TAIL);
BAD_ROW(close_with_size_on_recv_only, OP_CLOSE, ENOTTY, T_RECV_ONLY,
	SZ_LONG_TAIL, false, );

/* Commands that do not exist */
BAD_ON(unknown_nr_on_device, OP_RAW, ENOTTY, T_DEV,
       r->cmd = _IOWR(KMBOX_IOC_MAGIC, 0x08, struct kmbox_limits));
BAD_ON(unknown_nr_on_mailbox, OP_RAW, ENOTTY, T_ALL,
       r->cmd = _IOWR(KMBOX_IOC_MAGIC, 0x19, struct kmbox_info));
BAD_ON(other_magic_on_device, OP_RAW, ENOTTY, T_DEV,
       r->cmd = _IOWR('x', 0x00, struct kmbox_limits));
BAD_ON(other_magic_on_mailbox, OP_RAW, ENOTTY, T_ALL,
       r->cmd = _IOWR('x', 0x10, struct kmbox_send));
BAD_ON(tty_ioctl_on_mailbox, OP_RAW, ENOTTY, T_ALL, r->cmd = TCGETS);
BAD_ON(tty_ioctl_on_device, OP_RAW, ENOTTY, T_DEV, r->cmd = TCGETS);
BAD_ON(mailbox_nr_0x0f_on_mailbox, OP_RAW, ENOTTY, T_ALL,
       r->cmd = _IOWR(KMBOX_IOC_MAGIC, 0x0f, struct kmbox_info));
BAD_ON(device_nr_0x10_on_device, OP_RAW, ENOTTY, T_DEV,
       r->cmd = _IOWR(KMBOX_IOC_MAGIC, 0x10, struct kmbox_limits));
BAD_ON(highest_nr_on_mailbox, OP_RAW, ENOTTY, T_ALL,
       r->cmd = _IOWR(KMBOX_IOC_MAGIC, 0xff, struct kmbox_info));
BAD_ON(close_nr_as_struct_cmd_on_device, OP_RAW, ENOTTY, T_DEV,
       r->cmd = _IO(KMBOX_IOC_MAGIC, 0x13));

TEST_HARNESS_MAIN
