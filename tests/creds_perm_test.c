// SPDX-License-Identifier: GPL-2.0
/*
 * creds_perm_test: who sent a message, and who may do what.
 *
 *  - RECV reports the sender's pid (thread-group id), effective uid and
 *    effective gid as the kernel saw them, also after setresuid/setresgid;
 *  - mode bits work as for mq_open: owner, group, other; read = receive,
 *    write = send; OPEN (and CREATE of an existing name) asking for more
 *    than the mode allows is EACCES; root passes through CAP_IPC_OWNER;
 *  - UNLINK and DESTROY are for the owner (or CAP_IPC_OWNER) only; CLOSE
 *    needs only send access.
 *
 * Unprivileged parts run in children that switch to uid/gid 65534 (or other
 * ids that need no /etc/passwd).  The umask is cleared so that the mode
 * given is the mode checked (but for the test of the umask itself).
 */
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>

#include "kmbox_test.h"

#define NOBODY		TC_NOBODY

static void __attribute__((constructor)) clear_umask(void)
{
	umask(0);
}

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

/* A named mailbox created by root with this mode; returns the fd. */
static int root_mailbox(char *name, size_t size, __u32 mode)
{
	kt_name(name, size, "perm");
	return kt_create(name, 4, 0, mode, KMBOX_ACCESS_ALL, KMBOX_CREATE_EXCL,
			 NULL);
}

/* ---- credentials --------------------------------------------------------- */

static void sender_creds(struct __test_metadata *_metadata, uid_t ruid,
			 uid_t euid, gid_t rgid, gid_t egid)
{
	struct kmbox_recv r;
	char buf[16];
	pid_t pid;
	int fd;

	fd = kt_anon(KMBOX_CAPACITY_UNBOUNDED);
	ASSERT_LE(0, fd);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (euid || egid) {
			TC_CHECK_EQ(0, setgroups(0, NULL));
			TC_CHECK_EQ(0, setresgid(rgid, egid, rgid));
			TC_CHECK_EQ(0, setresuid(ruid, euid, ruid));
		}
		TC_CHECK_EQ(0, kt_send_str(fd, "who", 0));
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(pid));
	ASSERT_EQ(3, kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, &r));
	EXPECT_EQ(pid, r.pid);
	EXPECT_EQ(euid, r.uid);
	EXPECT_EQ(egid, r.gid);
	close(fd);
}

TEST(creds_of_root)
{
	sender_creds(_metadata, 0, 0, 0, 0);
}

TEST(creds_after_setresuid)
{
	sender_creds(_metadata, NOBODY, NOBODY, NOBODY, NOBODY);
}

/* The effective ids, not the real ones. */
TEST(creds_are_effective_ids)
{
	sender_creds(_metadata, 1000, NOBODY, 1001, 65533);
}

/*
 * write(2) acts for the handle's opener: a task with other effective ids
 * (here a child that became nobody, holding root's handle) gets EPERM and
 * queues nothing, while the SEND ioctl sends as itself; a task with the
 * opener's ids (a child, with a new cred of the same values) may write.
 */
TEST(write_is_the_openers)
{
	struct kmbox_recv r;
	char buf[16];
	pid_t pid;
	int fd;

	fd = kt_anon(KMBOX_CAPACITY_UNBOUNDED);
	ASSERT_LE(0, fd);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		TC_CHECK_EQ(1, write(fd, "r", 1));
		TC_CHECK_EQ(0, tc_become(NOBODY, NOBODY));
		TC_CHECK_EQ(-1, write(fd, "n", 1));
		TC_CHECK_EQ(EPERM, errno);
		TC_CHECK_EQ(0, kt_send_str(fd, "i", 0));
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(pid));
	ASSERT_EQ(2ULL, KT_INFO_FIELD(fd, msgs));
	ASSERT_EQ(1, kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, &r));
	EXPECT_EQ('r', buf[0]);
	EXPECT_EQ(0U, r.uid);
	ASSERT_EQ(1, kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, &r));
	EXPECT_EQ('i', buf[0]);
	EXPECT_EQ((__u32)NOBODY, r.uid);
	close(fd);
}

/*
 * The attack write(2)'s rule is there for: a user makes a send handle of
 * its own the stdout of a set-user-ID root program, whose output (its
 * error messages print their arguments) would be stamped and charged as
 * root's.  This very program, copied set-user-ID root, is that program:
 * with SUID_WRITER as its argument it writes to its stdout and exits with
 * 0 if the write failed with EPERM.
 */
#define SUID_WRITER	"--suid-writer"

static void __attribute__((constructor)) suid_writer(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], SUID_WRITER))
		return;
	if (geteuid() != 0)
		_exit(3);	/* no set-user-ID here (nosuid mount?) */
	if (write(STDOUT_FILENO, "as root?", 8) >= 0)
		_exit(1);
	_exit(errno == EPERM ? 0 : 2);
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in, out, ret = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (out < 0) {
		ret = -errno;
		goto out_in;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n) {
			ret = -EIO;
			break;
		}
	if (n < 0)
		ret = -errno;
	if (!ret && fchmod(out, mode))
		ret = -errno;
	close(out);
out_in:
	close(in);
	return ret;
}

TEST(setuid_program_cannot_write_as_root)
{
	char path[64];
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "/tmp/kmbox-suid-%d", (int)getpid());
	ASSERT_EQ(0, copy_file("/proc/self/exe", path, 04755));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t w;
		int fd;

		TC_CHECK_EQ(0, tc_become(NOBODY, NOBODY));
		fd = kt_anon(KMBOX_CAPACITY_UNBOUNDED);
		TC_CHECK(fd >= 0);
		w = tc_fork();
		if (w == 0) {
			if (dup2(fd, STDOUT_FILENO) < 0)
				_exit(4);
			execl(path, path, SUID_WRITER, (char *)NULL);
			_exit(5);
		}
		TC_CHECK(w > 0);
		status = tc_wait(w);
		if (status == 3)
			_exit(77);
		/* The write failed with EPERM, and nothing was queued. */
		TC_CHECK_EQ(0, status);
		TC_CHECK_EQ(0, KT_INFO_FIELD(fd, msgs));
		_exit(0);
	}
	status = tc_wait(pid);
	unlink(path);
	if (status == 77)
		TC_SKIP("set-user-ID programs do not run as root here");
	EXPECT_EQ(0, status);
}

/* Through a rendezvous and a synchronous send the same. */
TEST(creds_on_rendezvous)
{
	struct kt_call call = { .op = KT_SEND, .buf = "rv", .len = 2,
				.uid = NOBODY };
	struct kmbox_recv r;
	struct kt_result res;
	struct kt_child c;
	char buf[16];
	int fd;

	fd = kt_anon(0);
	ASSERT_LE(0, fd);
	call.fd = fd;
	ASSERT_EQ(0, kt_spawn(&c, &call));
	ASSERT_EQ(0, kt_wait_waiters(fd, 1, 0));
	ASSERT_EQ(2, kt_recv(fd, buf, sizeof(buf), 0, 0, &r));
	EXPECT_EQ(c.pid, r.pid);
	EXPECT_EQ((__u32)NOBODY, r.uid);
	EXPECT_EQ((__u32)NOBODY, r.gid);
	ASSERT_EQ(0, kt_result(&c, &res));
	EXPECT_EQ(0, res.ret);
	close(fd);
}

static void *thread_send(void *arg)
{
	int fd = *(int *)arg;
	static pid_t tid;

	tid = syscall(SYS_gettid);
	if (kt_send_str(fd, "thread", 0))
		return NULL;
	return &tid;
}

/* A message sent by a thread carries the process id, not the thread's. */
TEST(creds_pid_is_tgid)
{
	struct kmbox_recv r;
	pthread_t th;
	char buf[16];
	void *tid;
	int fd;

	fd = kt_anon(KMBOX_CAPACITY_UNBOUNDED);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pthread_create(&th, NULL, thread_send, &fd));
	ASSERT_EQ(0, pthread_join(th, &tid));
	ASSERT_NE(NULL, tid);
	EXPECT_NE(getpid(), *(pid_t *)tid);
	ASSERT_EQ(6, kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, &r));
	EXPECT_EQ(getpid(), r.pid);
	close(fd);
}

/* ---- namespaces: ids as the receiver's namespaces see them -------------- */

/*
 * A process in a new pid namespace sees itself as pid 1 and a sender
 * outside as 0 (not visible); the world outside sees its global pid.
 */
TEST(creds_pid_namespace)
{
	struct kmbox_recv r;
	char buf[16];
	pid_t a, b;
	int fd, p[2];

	fd = kt_anon(KMBOX_CAPACITY_UNBOUNDED);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, kt_send_str(fd, "outside", 0));
	a = tc_fork();
	ASSERT_LE(0, a);
	if (a == 0) {
		close(p[0]);
		TC_CHECK_EQ(0, unshare(CLONE_NEWPID));
		/* Not tc_fork(): our pid is 0 to the child, it cannot check. */
		b = fork();
		TC_CHECK(b >= 0);
		if (b == 0) {
			struct kmbox_recv rr;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			alarm(TC_CHILD_ALARM);
			TC_CHECK_EQ(1, getpid());
			TC_CHECK_EQ(7, kt_recv(fd, buf, sizeof(buf),
					       KMBOX_MSG_NONBLOCK, 0, &rr));
			TC_CHECK_EQ(0, rr.pid);		/* not visible */
			TC_CHECK_EQ(0, kt_send_str(fd, "self", 0));
			TC_CHECK_EQ(4, kt_recv(fd, buf, sizeof(buf),
					       KMBOX_MSG_NONBLOCK, 0, &rr));
			TC_CHECK_EQ(1, rr.pid);
			TC_CHECK_EQ(0, kt_send_str(fd, "inside", 0));
			_exit(0);
		}
		TC_CHECK_EQ(0, kt_write_all(p[1], &b, sizeof(b)));
		TC_CHECK_EQ(0, tc_wait(b));
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(0, kt_read_all(p[0], &b, sizeof(b)));
	ASSERT_EQ(0, tc_wait(a));
	ASSERT_EQ(6, kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, &r));
	EXPECT_EQ(0, memcmp(buf, "inside", 6));
	EXPECT_EQ(b, r.pid);
	close(p[0]);
	close(fd);
}

/*
 * A receiver in a user namespace mapping its 0 to uid/gid 1000 outside
 * sees a sender of euid 1000 as 0, and root (unmapped) as the overflow id;
 * the mailbox's owner likewise.
 */
TEST(creds_user_namespace)
{
	char path[64], go = 'g';
	int fd, ready[2], cont[2];
	pid_t c, s;

	fd = kt_anon(KMBOX_CAPACITY_UNBOUNDED);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(cont));
	ASSERT_EQ(0, kt_send_str(fd, "root", 0));
	s = tc_fork();
	ASSERT_LE(0, s);
	if (s == 0) {
		TC_CHECK_EQ(0, tc_become(1000, 1000));
		TC_CHECK_EQ(0, kt_send_str(fd, "mapped", 0));
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(s));

	c = tc_fork();
	ASSERT_LE(0, c);
	if (c == 0) {
		struct kmbox_info info;
		struct kmbox_recv r;
		char buf[16];

		TC_CHECK_EQ(0, unshare(CLONE_NEWUSER));
		TC_CHECK_EQ(1, write(ready[1], "r", 1));
		TC_CHECK_EQ(1, read(cont[0], buf, 1));
		TC_CHECK_EQ(4, kt_recv(fd, buf, sizeof(buf),
				       KMBOX_MSG_NONBLOCK, 0, &r));
		TC_CHECK_EQ(65534, r.uid);
		TC_CHECK_EQ(65534, r.gid);
		TC_CHECK_EQ(6, kt_recv(fd, buf, sizeof(buf),
				       KMBOX_MSG_NONBLOCK, 0, &r));
		TC_CHECK_EQ(0, r.uid);
		TC_CHECK_EQ(0, r.gid);
		TC_CHECK_EQ(0, kt_info(fd, &info));
		TC_CHECK_EQ(65534, info.uid);
		TC_CHECK_EQ(65534, info.gid);
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &go, 1));
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)c);
	ASSERT_EQ(0, write_file(path, "0 1000 1\n"));
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)c);
	ASSERT_EQ(0, write_file(path, "0 1000 1\n"));
	ASSERT_EQ(1, write(cont[1], "c", 1));
	EXPECT_EQ(0, tc_wait(c));
	close(ready[0]);
	close(ready[1]);
	close(cont[0]);
	close(cont[1]);
	close(fd);
}

/* ---- permissions --------------------------------------------------------- */

/* As with mq_open(3), the creator's umask clears mode bits. */
TEST(mode_masked_by_umask)
{
	int fd;

	umask(027);
	fd = kt_create(NULL, 1, 0, 0666, KMBOX_ACCESS_ALL, 0, NULL);
	umask(0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0640U, KT_INFO_FIELD(fd, mode));
	close(fd);
}

/* An unprivileged user reaches the device and makes mailboxes of its own. */
TEST(unprivileged_user_can_use_device)
{
	struct kmbox_info info;
	char name[64];
	pid_t pid;
	int fd;

	kt_name(name, sizeof(name), "own");
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kmbox_limits lim;
		char buf[16];

		TC_CHECK_EQ(0, tc_become(NOBODY, NOBODY));
		TC_CHECK_EQ(0, kt_limits(&lim));
		fd = kt_anon(2);
		TC_CHECK(fd >= 0);
		TC_CHECK_EQ(0, kt_send_str(fd, "mine", KMBOX_MSG_NONBLOCK));
		TC_CHECK_EQ(4, kt_recv_str(fd, buf, sizeof(buf), 0));
		close(fd);
		fd = kt_create(name, 2, 0, 0640, KMBOX_ACCESS_ALL,
			       KMBOX_CREATE_EXCL, NULL);
		TC_CHECK(fd >= 0);
		TC_CHECK_EQ(0, kt_info(fd, &info));
		TC_CHECK_EQ(NOBODY, info.uid);
		TC_CHECK_EQ(NOBODY, info.gid);
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(pid));
	/* Owned by its creator. */
	fd = kt_open(name, KMBOX_ACCESS_RECV, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_info(fd, &info));
	EXPECT_EQ((__u32)NOBODY, info.uid);
	EXPECT_EQ((__u32)NOBODY, info.gid);
	EXPECT_EQ(0640U, info.mode);
	close(fd);
	EXPECT_EQ(0, kt_unlink(name));
}

/*
 * In a child as uid/gid: OPEN name with RECV, SEND, ALL and expect the
 * given results (0 = allowed), and CREATE without EXCL likewise.
 */
static pid_t try_open(const char *name, uid_t uid, gid_t gid, int recv,
		      int send, int all)
{
	const int want[3] = { recv, send, all };
	const __u32 access[3] = { KMBOX_ACCESS_RECV, KMBOX_ACCESS_SEND,
				  KMBOX_ACCESS_ALL };
	pid_t pid;
	int i, fd;

	pid = tc_fork();
	if (pid)
		return pid;
	TC_CHECK_EQ(0, tc_become(uid, gid));
	for (i = 0; i < 3; i++) {
		fd = kt_open(name, access[i], 0, NULL);
		TC_CHECK_EQ(want[i], fd < 0 ? fd : 0);
		if (fd >= 0) {
			TC_CHECK_EQ(access[i], KT_INFO_FIELD(fd, access));
			close(fd);
		}
		fd = kt_create(name, 4, 0, 0666, access[i], 0, NULL);
		TC_CHECK_EQ(want[i], fd < 0 ? fd : 0);
		if (fd >= 0)
			close(fd);
	}
	_exit(0);
}

TEST(mode_0600_keeps_others_out)
{
	char name[64];
	int fd;

	fd = root_mailbox(name, sizeof(name), 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, tc_wait(try_open(name, NOBODY, NOBODY,
				      -EACCES, -EACCES, -EACCES)));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, msgs));
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
}

/* Others may send (write bit) but not receive. */
TEST(mode_0622_others_send_only)
{
	struct kmbox_recv r;
	char name[64], buf[16];
	pid_t pid;
	int fd;

	fd = root_mailbox(name, sizeof(name), 0622);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, tc_wait(try_open(name, NOBODY, NOBODY,
				      -EACCES, 0, -EACCES)));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int sfd;

		TC_CHECK_EQ(0, tc_become(NOBODY, NOBODY));
		sfd = kt_open(name, KMBOX_ACCESS_SEND, 0, NULL);
		TC_CHECK(sfd >= 0);
		TC_CHECK_EQ(0, kt_send_str(sfd, "drop", KMBOX_MSG_NONBLOCK));
		TC_CHECK_EQ(-EBADF, kt_recv(sfd, buf, sizeof(buf),
					    KMBOX_MSG_NONBLOCK, 0, NULL));
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(pid));
	ASSERT_EQ(4, kt_recv(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK, 0, &r));
	EXPECT_EQ((__u32)NOBODY, r.uid);
	EXPECT_EQ(pid, r.pid);
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
}

/* Others may receive (read bit) but not send. */
TEST(mode_0644_others_receive_only)
{
	char name[64], buf[16];
	pid_t pid;
	int fd;

	fd = root_mailbox(name, sizeof(name), 0644);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, tc_wait(try_open(name, NOBODY, NOBODY,
				      0, -EACCES, -EACCES)));
	ASSERT_EQ(0, kt_send_str(fd, "read me", KMBOX_MSG_NONBLOCK));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int rfd;

		TC_CHECK_EQ(0, tc_become(NOBODY, NOBODY));
		rfd = kt_open(name, KMBOX_ACCESS_RECV, 0, NULL);
		TC_CHECK(rfd >= 0);
		TC_CHECK_EQ(7, kt_recv_str(rfd, buf, sizeof(buf), 0));
		TC_CHECK(!strcmp(buf, "read me"));
		TC_CHECK_EQ(-EBADF, kt_send_str(rfd, "x", KMBOX_MSG_NONBLOCK));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, msgs));
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
}

/* The group bits apply to the owner's group; the other bits to the rest. */
TEST(mode_group_bits)
{
	char name[64];
	int fd;

	fd = root_mailbox(name, sizeof(name), 0640);
	ASSERT_LE(0, fd);
	/* uid nobody in root's group (gid 0): group read. */
	EXPECT_EQ(0, tc_wait(try_open(name, NOBODY, 0, 0, -EACCES, -EACCES)));
	/* Not in the group: nothing. */
	EXPECT_EQ(0, tc_wait(try_open(name, NOBODY, NOBODY,
				      -EACCES, -EACCES, -EACCES)));
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);

	fd = root_mailbox(name, sizeof(name), 0064);
	ASSERT_LE(0, fd);
	/* Group bits (6) for the group, other bits (4) for the others. */
	EXPECT_EQ(0, tc_wait(try_open(name, NOBODY, 0, 0, 0, 0)));
	EXPECT_EQ(0, tc_wait(try_open(name, NOBODY, NOBODY, 0, -EACCES,
				      -EACCES)));
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
}

/* The owner bits bind an unprivileged owner too. */
TEST(mode_owner_bits_bind_owner)
{
	char name[64];
	pid_t pid;

	kt_name(name, sizeof(name), "owner");
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		TC_CHECK_EQ(0, tc_become(NOBODY, NOBODY));
		fd = kt_create(name, 4, 0, 0200, KMBOX_ACCESS_SEND,
			       KMBOX_CREATE_EXCL, NULL);
		TC_CHECK(fd >= 0);
		TC_CHECK_EQ(-EACCES, kt_open(name, KMBOX_ACCESS_RECV, 0, NULL));
		fd = kt_open(name, KMBOX_ACCESS_SEND, 0, NULL);
		TC_CHECK(fd >= 0);
		TC_CHECK_EQ(0, kt_unlink(name));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(-ENOENT, kt_open(name, KMBOX_ACCESS_SEND, 0, NULL));
}

/* Root opens anything (CAP_IPC_OWNER), whoever owns it, whatever its mode. */
TEST(root_bypasses_mode)
{
	char name[64], buf[16];
	pid_t pid;
	int fd;

	kt_name(name, sizeof(name), "root");
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int cfd;

		TC_CHECK_EQ(0, tc_become(NOBODY, NOBODY));
		cfd = kt_create(name, 4, 0, 0000, KMBOX_ACCESS_SEND,
				KMBOX_CREATE_EXCL, NULL);
		TC_CHECK(cfd >= 0);
		TC_CHECK_EQ(0, kt_send_str(cfd, "private", 0));
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(pid));
	fd = kt_open(name, KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0000U, KT_INFO_FIELD(fd, mode));
	EXPECT_EQ((__u64)NOBODY, KT_INFO_FIELD(fd, uid));
	ASSERT_EQ(7, kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("private", buf);
	/* Root may unlink what it does not own. */
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
}

/* Root may destroy what it does not own. */
TEST(root_destroys_others_mailbox)
{
	char name[64];
	pid_t pid;
	int fd;

	kt_name(name, sizeof(name), "rootd");
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		TC_CHECK_EQ(0, tc_become(NOBODY, NOBODY));
		TC_CHECK(kt_create(name, 4, 0, 0600, KMBOX_ACCESS_ALL,
				   KMBOX_CREATE_EXCL, NULL) >= 0);
		_exit(0);
	}
	ASSERT_EQ(0, tc_wait(pid));
	fd = kt_open(name, KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, kt_destroy(fd));
	EXPECT_EQ(-ENOENT, kt_open(name, KMBOX_ACCESS_ALL, 0, NULL));
	close(fd);
}

/* Only the owner may unlink; a failed unlink changes nothing. */
TEST(unlink_needs_owner)
{
	char name[64];
	pid_t pid;
	int fd, fd2;

	fd = root_mailbox(name, sizeof(name), 0666);
	ASSERT_LE(0, fd);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		TC_CHECK_EQ(0, tc_become(NOBODY, NOBODY));
		TC_CHECK_EQ(-EACCES, kt_unlink(name));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	fd2 = kt_open(name, KMBOX_ACCESS_ALL, 0, NULL);
	EXPECT_LE(0, fd2);
	close(fd2);
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
}

/*
 * KMBOX_CREATE_OWNER_CLOSE: a client with a send handle cannot close the
 * server's mailbox for everyone; the owner can.
 */
TEST(owner_close_flag)
{
	char name[64];
	pid_t pid;
	int fd;

	kt_name(name, sizeof(name), "ownclose");
	fd = kt_create(name, 4, 0, 0666, KMBOX_ACCESS_ALL,
		       KMBOX_CREATE_EXCL | KMBOX_CREATE_OWNER_CLOSE, NULL);
	ASSERT_LE(0, fd);
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int sfd;

		TC_CHECK_EQ(0, tc_become(NOBODY, NOBODY));
		sfd = kt_open(name, KMBOX_ACCESS_SEND, 0, NULL);
		TC_CHECK(sfd >= 0);
		TC_CHECK_EQ(-EACCES, kt_shut(sfd));
		TC_CHECK_EQ(KMBOX_STATE_OPEN, KT_INFO_FIELD(sfd, state));
		TC_CHECK_EQ(0, kt_send_str(sfd, "still", KMBOX_MSG_NONBLOCK));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ((__u32)KMBOX_STATE_OPEN, KT_INFO_FIELD(fd, state));
	EXPECT_EQ(0, kt_shut(fd));
	EXPECT_EQ((__u32)KMBOX_STATE_CLOSED, KT_INFO_FIELD(fd, state));
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
}

/* Only the owner may destroy; anyone with send access may close. */
TEST(destroy_needs_owner_close_needs_send)
{
	char name[64], buf[16];
	pid_t pid;
	int fd;

	fd = root_mailbox(name, sizeof(name), 0666);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_send_str(fd, "stay", KMBOX_MSG_NONBLOCK));
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int afd, rfd;

		TC_CHECK_EQ(0, tc_become(NOBODY, NOBODY));
		afd = kt_open(name, KMBOX_ACCESS_ALL, 0, NULL);
		TC_CHECK(afd >= 0);
		rfd = kt_open(name, KMBOX_ACCESS_RECV, 0, NULL);
		TC_CHECK(rfd >= 0);
		TC_CHECK_EQ(-EACCES, kt_destroy(afd));
		TC_CHECK_EQ(-EACCES, kt_destroy(rfd));
		TC_CHECK_EQ(KMBOX_STATE_OPEN, KT_INFO_FIELD(afd, state));
		TC_CHECK_EQ(-EBADF, kt_shut(rfd));
		TC_CHECK_EQ(0, kt_shut(afd));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ((__u32)KMBOX_STATE_CLOSED, KT_INFO_FIELD(fd, state));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, dropped));
	EXPECT_EQ(4, kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("stay", buf);
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
}

/* An unprivileged owner may unlink and destroy its own. */
TEST(owner_may_destroy)
{
	char name[64];
	pid_t pid;

	kt_name(name, sizeof(name), "mine");
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		TC_CHECK_EQ(0, tc_become(NOBODY, NOBODY));
		fd = kt_create(name, 4, 0, 0600, KMBOX_ACCESS_RECV,
			       KMBOX_CREATE_EXCL, NULL);
		TC_CHECK(fd >= 0);
		/* Even through a receive-only handle. */
		TC_CHECK_EQ(0, kt_destroy(fd));
		TC_CHECK_EQ(KMBOX_STATE_DESTROYED, KT_INFO_FIELD(fd, state));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ(-ENOENT, kt_open(name, KMBOX_ACCESS_ALL, 0, NULL));
}

/* Access is fixed per handle: opening send-only never lets one receive. */
TEST(handle_access_is_fixed)
{
	char name[64], buf[16];
	int fd, sfd, rfd;

	fd = root_mailbox(name, sizeof(name), 0600);
	ASSERT_LE(0, fd);
	sfd = kt_open(name, KMBOX_ACCESS_SEND, 0, NULL);
	ASSERT_LE(0, sfd);
	rfd = kt_open(name, KMBOX_ACCESS_RECV, 0, NULL);
	ASSERT_LE(0, rfd);
	EXPECT_EQ((__u32)KMBOX_ACCESS_SEND, KT_INFO_FIELD(sfd, access));
	EXPECT_EQ((__u32)KMBOX_ACCESS_RECV, KT_INFO_FIELD(rfd, access));
	ASSERT_EQ(0, kt_send_str(sfd, "one", KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(-EBADF, kt_recv(sfd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK,
				  0, NULL));
	EXPECT_EQ(-EBADF, kt_recv(sfd, buf, sizeof(buf),
				  KMBOX_RECV_PEEK | KMBOX_MSG_NONBLOCK, 0,
				  NULL));
	EXPECT_EQ(-EBADF, kt_send_str(rfd, "two", KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(fd, msgs));
	EXPECT_EQ(3, kt_recv_str(rfd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_EQ(0, kt_unlink(name));
	close(fd);
	close(sfd);
	close(rfd);
}

TEST_HARNESS_MAIN
