/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmbox_test.h: helpers shared by the kmbox selftests.
 *
 * Every wrapper returns what the ioctl returned (0, a length or a new fd) or
 * a negative errno, so that a test reads ASSERT_EQ(-EAGAIN, kt_send(...)).
 *
 * Processes: tc_fork() starts a child that dies with its parent (the test
 * process) and after TC_CHILD_ALARM seconds at the latest, so no test can
 * leave a blocked process behind.  Children report with their exit status
 * (0 = all checks passed, see TC_CHECK) or through a pipe, never with the
 * harness's ASSERT_* (which would run the fixture teardown in the child).
 *
 * "A process is blocked" is observed through KMBOX_IOC_INFO
 * (senders_waiting / receivers_waiting) with a deadline, never by sleeping.
 */
#ifndef KMBOX_TEST_H
#define KMBOX_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <assert.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/kmbox.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "test_common.h"

/* The ABI's structs must have exactly the sizes the header promises. */
static_assert(sizeof(struct kmbox_limits) == KMBOX_LIMITS_SIZE_VER1, "limits");
static_assert(sizeof(struct kmbox_create) == KMBOX_CREATE_SIZE_VER1, "create");
static_assert(sizeof(struct kmbox_open) == KMBOX_OPEN_SIZE_VER0, "open");
static_assert(sizeof(struct kmbox_unlink) == KMBOX_UNLINK_SIZE_VER0, "unlink");
static_assert(sizeof(struct kmbox_send) == KMBOX_SEND_SIZE_VER1, "send");
static_assert(sizeof(struct kmbox_recv) == KMBOX_RECV_SIZE_VER1, "recv");
static_assert(sizeof(struct kmbox_info) == KMBOX_INFO_SIZE_VER2, "info");
static_assert(sizeof(struct kmbox_destroy_id) == KMBOX_DESTROY_ID_SIZE_VER0, "destroy_id");
static_assert(sizeof(struct kmbox_list) == KMBOX_LIST_SIZE_VER0, "list");

/*
 * Timing tolerance, generous for an emulated guest: a timed call must not
 * end before its time nor more than this after it, and a call that must
 * not wait must return within this.
 */
#define KT_SLACK		(4 * TC_SEC)

/* ---- raw ioctl wrappers: result or -errno ---------------------------- */

static inline int kt_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* The same command with another struct size in its size field. */
static inline unsigned long kt_cmd_sized(unsigned long cmd, size_t size)
{
	return _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), size);
}

static inline int kt_dev(void)
{
	int fd = open(KMBOX_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		fprintf(stderr, "# cannot open %s: %s (is kmbox.ko loaded?)\n",
			KMBOX_DEVICE, strerror(err));
		return -err;
	}
	return fd;
}

static inline int kt_limits(struct kmbox_limits *lim)
{
	int dev = kt_dev(), ret;

	if (dev < 0)
		return dev;
	memset(lim, 0, sizeof(*lim));
	ret = kt_ioctl(dev, KMBOX_IOC_LIMITS, lim);
	close(dev);
	return ret;
}

/* CREATE: returns the new fd or -errno; *id (if asked) gets the id. */
static inline int kt_create(const char *name, __u64 capacity,
			    __u32 max_msg_size, __u32 mode, __u32 access,
			    __u32 flags, __u64 *id)
{
	struct kmbox_create cr = {
		.flags = flags,
		.access = access,
		.capacity = capacity,
		.max_msg_size = max_msg_size,
		.mode = mode,
		.name = (uintptr_t)name,
	};
	int dev = kt_dev(), ret;

	if (dev < 0)
		return dev;
	ret = kt_ioctl(dev, KMBOX_IOC_CREATE, &cr);
	close(dev);
	if (ret >= 0 && id)
		*id = cr.id;
	return ret;
}

/* An anonymous mailbox, both directions, default message size. */
static inline int kt_anon(__u64 capacity)
{
	return kt_create(NULL, capacity, 0, 0600, KMBOX_ACCESS_ALL, 0, NULL);
}

static inline int kt_open(const char *name, __u32 access, __u32 flags,
			  __u64 *id)
{
	struct kmbox_open op = {
		.flags = flags,
		.access = access,
		.name = (uintptr_t)name,
	};
	int dev = kt_dev(), ret;

	if (dev < 0)
		return dev;
	ret = kt_ioctl(dev, KMBOX_IOC_OPEN, &op);
	close(dev);
	if (ret >= 0 && id)
		*id = op.id;
	return ret;
}

static inline int kt_unlink(const char *name)
{
	struct kmbox_unlink ul = { .name = (uintptr_t)name };
	int dev = kt_dev(), ret;

	if (dev < 0)
		return dev;
	ret = kt_ioctl(dev, KMBOX_IOC_UNLINK, &ul);
	close(dev);
	return ret;
}

static inline int kt_send(int fd, const void *buf, size_t len, __u32 flags,
			  __s64 timeout_ns)
{
	struct kmbox_send s = {
		.flags = flags,
		.buf = (uintptr_t)buf,
		.len = len,
		.timeout_ns = timeout_ns,
	};

	return kt_ioctl(fd, KMBOX_IOC_SEND, &s);
}

static inline int kt_send_str(int fd, const char *str, __u32 flags)
{
	return kt_send(fd, str, strlen(str), flags, 0);
}

/* RECV: the message length or -errno; *out (if given) gets the struct. */
static inline int kt_recv(int fd, void *buf, size_t len, __u32 flags,
			  __s64 timeout_ns, struct kmbox_recv *out)
{
	struct kmbox_recv r = {
		.flags = flags,
		.buf = (uintptr_t)buf,
		.len = len,
		.timeout_ns = timeout_ns,
	};
	int ret = kt_ioctl(fd, KMBOX_IOC_RECV, &r);

	if (out)
		*out = r;
	return ret;
}

/*
 * Receive a text message into buf (NUL-terminated, at most size - 1 bytes).
 * Returns the length or -errno.
 */
static inline int kt_recv_str(int fd, char *buf, size_t size, __u32 flags)
{
	int ret = kt_recv(fd, buf, size - 1, flags, 0, NULL);

	buf[ret >= 0 ? ret : 0] = '\0';
	return ret;
}

static inline int kt_info(int fd, struct kmbox_info *info)
{
	memset(info, 0, sizeof(*info));
	return kt_ioctl(fd, KMBOX_IOC_INFO, info);
}

/*
 * What a message of len bytes is charged to its sender's byte quota, as
 * INFO's charged reports it: sent by the caller into a mailbox of its own
 * and dropped with it.  0 on success, else -errno.
 */
static inline int kt_msg_charge(size_t len, __u64 *charge)
{
	struct kmbox_info info;
	char *buf;
	int fd, ret;

	buf = calloc(1, len ? len : 1);
	if (!buf)
		return -ENOMEM;
	ret = fd = kt_create(NULL, KMBOX_CAPACITY_UNBOUNDED, (__u32)len, 0600,
			     KMBOX_ACCESS_ALL, 0, NULL);
	if (fd >= 0) {
		ret = kt_send(fd, buf, len, KMBOX_MSG_NONBLOCK, 0);
		if (!ret)
			ret = kt_info(fd, &info);
		if (!ret && info.msgs != 1)
			ret = -EPROTO;
		close(fd);
	}
	free(buf);
	if (!ret)
		*charge = info.charged;
	return ret;
}

/* KMBOX_IOC_CLOSE (Go-style close of the mailbox, not close(2)). */
static inline int kt_shut(int fd)
{
	return ioctl(fd, KMBOX_IOC_CLOSE, 0) < 0 ? -errno : 0;
}

static inline int kt_destroy(int fd)
{
	return ioctl(fd, KMBOX_IOC_DESTROY, 0) < 0 ? -errno : 0;
}

/* Field of the mailbox's INFO, or (__u64)-1 when INFO fails. */
#define KT_INFO_FIELD(fd, field) ({					\
	struct kmbox_info __ki;						\
	kt_info((fd), &__ki) ? (__u64)-1 : (__u64)__ki.field;		\
})

/*
 * Wait until INFO satisfies cond (an expression over the struct kmbox_info
 * named by var), for TC_WAIT_MS at most.  0 when it does, -ETIMEDOUT (the
 * last INFO is printed) or INFO's -errno otherwise.
 */
#define KT_WAIT_INFO(fd, var, cond) ({					\
	int64_t __end = tc_now_ns() + TC_WAIT_MS * TC_MS;		\
	int __ret;							\
	for (;;) {							\
		__ret = kt_info((fd), &(var));				\
		if (__ret)						\
			break;						\
		if (cond)						\
			break;						\
		if (tc_now_ns() > __end) {				\
			__ret = -ETIMEDOUT;				\
			kt_print_info("timed out waiting for " #cond,	\
				      &(var));				\
			break;						\
		}							\
		tc_sleep_ms(2);						\
	}								\
	__ret;								\
})

static inline void kt_print_info(const char *why, const struct kmbox_info *i)
{
	fprintf(stderr,
		"# %s: state %u msgs %llu bytes %llu senders_waiting %u "
		"receivers_waiting %u sent %llu received %llu dropped %llu\n",
		why, i->state, (unsigned long long)i->msgs,
		(unsigned long long)i->bytes, i->senders_waiting,
		i->receivers_waiting, (unsigned long long)i->sent,
		(unsigned long long)i->received,
		(unsigned long long)i->dropped);
}

/* Wait until exactly that many senders and receivers are blocked. */
static inline int kt_wait_waiters(int fd, unsigned int senders,
				  unsigned int receivers)
{
	struct kmbox_info info;

	return KT_WAIT_INFO(fd, info, info.senders_waiting == senders &&
				      info.receivers_waiting == receivers);
}

/* An address that faults: one PROT_NONE page, mapped once. */
static inline void *kt_bad_ptr(void)
{
	static void *page;

	if (!page) {
		page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
		if (page == MAP_FAILED)
			page = (void *)16;
	}
	return page;
}

/* ---- processes ---------------------------------------------------------- */

static inline int kt_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Read exactly len bytes; -1 on EOF or error. */
static inline int kt_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* ---- one call in a child process -------------------------------------- */

enum kt_op_kind { KT_SEND, KT_RECV, KT_READ, KT_WRITE, KT_POLL };

/* What to do with SIGUSR1 in the child. */
enum kt_sig { KT_SIG_DEFAULT, KT_SIG_INTR, KT_SIG_RESTART };

#define KT_DATA_MAX	8192

/*
 * A call for kt_spawn(): SEND/WRITE send buf/len; RECV/READ receive into a
 * buffer of len bytes (at most KT_DATA_MAX); POLL waits poll_ms for events.
 */
struct kt_call {
	enum kt_op_kind op;
	int fd;
	const void *buf;
	size_t len;
	__u32 flags;
	__s64 timeout_ns;
	short events;
	int poll_ms;
	enum kt_sig sig;
	uid_t uid;		/* run as this user (with gid == uid) if set */
	bool bad_buf;		/* RECV/READ into an address that faults */
};

/* What the child saw; read back by kt_result(). */
struct kt_result {
	int64_t t_start, t_end;	/* CLOCK_MONOTONIC around the call */
	int ret;		/* result, or -errno */
	int signals;		/* SIGUSR1 handler runs */
	short revents;		/* POLL */
	pid_t pid;		/* the child's pid */
	struct kmbox_recv r;	/* RECV: the struct after the call */
	char data[KT_DATA_MAX];	/* RECV/READ: what was received */
};

struct kt_child {
	pid_t pid;
	int pipe;		/* read end */
};

static volatile sig_atomic_t kt_signals;

static void kt_on_sigusr1(int sig)
{
	(void)sig;
	kt_signals++;
}

static inline int kt_sigusr1(enum kt_sig how)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = how == KT_SIG_DEFAULT ? SIG_DFL : kt_on_sigusr1;
	sa.sa_flags = how == KT_SIG_RESTART ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL) ? -errno : 0;
}

static inline void kt_do_call(const struct kt_call *call, struct kt_result *res)
{
	struct pollfd pfd = { .fd = call->fd, .events = call->events };
	ssize_t n;

	res->t_start = tc_now_ns();
	switch (call->op) {
	case KT_SEND:
		res->ret = kt_send(call->fd, call->buf, call->len, call->flags,
				   call->timeout_ns);
		break;
	case KT_RECV:
		res->ret = kt_recv(call->fd,
				   call->bad_buf ? kt_bad_ptr() : res->data,
				   call->len, call->flags, call->timeout_ns,
				   &res->r);
		break;
	case KT_WRITE:
		n = write(call->fd, call->buf, call->len);
		res->ret = n < 0 ? -errno : (int)n;
		break;
	case KT_READ:
		n = read(call->fd, call->bad_buf ? kt_bad_ptr() : res->data,
			 call->len);
		res->ret = n < 0 ? -errno : (int)n;
		break;
	case KT_POLL:
		res->ret = poll(&pfd, 1, call->poll_ms);
		if (res->ret < 0)
			res->ret = -errno;
		res->revents = pfd.revents;
		break;
	}
	res->t_end = tc_now_ns();
	res->signals = kt_signals;
}

/*
 * Start a child that makes one call and reports it; returns 0 or -errno.
 * The child's SIGUSR1 handler is set up before it starts the call.
 */
static inline int kt_spawn(struct kt_child *c, const struct kt_call *call)
{
	static struct kt_result res;
	int p[2];

	c->pid = -1;
	c->pipe = -1;
	if (call->len > KT_DATA_MAX && (call->op == KT_RECV ||
					call->op == KT_READ))
		return -EINVAL;
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	c->pid = tc_fork();
	if (c->pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (c->pid == 0) {
		close(p[0]);
		memset(&res, 0, sizeof(res));
		res.pid = getpid();
		TC_CHECK(kt_sigusr1(call->sig) == 0);
		if (call->uid)
			TC_CHECK(tc_become(call->uid, call->uid) == 0);
		kt_do_call(call, &res);
		TC_CHECK(kt_write_all(p[1], &res, sizeof(res)) == 0);
		_exit(0);
	}
	close(p[1]);
	c->pipe = p[0];
	return 0;
}

/* Wait for a kt_spawn() child and read its result: 0, or -1 (logged). */
static inline int kt_result(struct kt_child *c, struct kt_result *res)
{
	int status = tc_wait(c->pid), ret = 0;

	memset(res, 0, sizeof(*res));
	res->ret = INT32_MIN;
	if (status != 0) {
		fprintf(stderr, "# child %d ended with status %d\n",
			(int)c->pid, status);
		ret = -1;
	} else if (kt_read_all(c->pipe, res, sizeof(*res))) {
		fprintf(stderr, "# child %d sent no result\n", (int)c->pid);
		ret = -1;
	}
	close(c->pipe);
	c->pid = -1;
	return ret;
}

/* Kill a kt_spawn() child whatever it is doing. */
static inline void kt_child_kill(struct kt_child *c)
{
	if (c->pid > 0) {
		tc_kill(c->pid);
		close(c->pipe);
		c->pid = -1;
	}
}

/*
 * A page whose first touch (a receiver's copy-out into it) waits until
 * kt_uffd_zero() resolves it: the userfaultfd, or -errno; *page is set.
 */
static inline int kt_uffd_page(char **page)
{
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_api api = { .api = UFFD_API };
	int uffd, err;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		return -errno;
	*page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*page == MAP_FAILED) {
		err = -errno;
		close(uffd);
		return err;
	}
	reg.range.start = (uintptr_t)*page;
	reg.range.len = 4096;
	if (ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		err = -errno;
		munmap(*page, 4096);
		close(uffd);
		return err;
	}
	return uffd;
}

/* Wait until something touches the page: 0, or -errno. */
static inline int kt_uffd_wait_fault(int uffd)
{
	struct uffd_msg fault;

	return read(uffd, &fault, sizeof(fault)) == sizeof(fault) ? 0 : -EIO;
}

/* Resolve the page with zeroes, letting its toucher go on: 0 or -errno. */
static inline int kt_uffd_zero(int uffd, char *page)
{
	struct uffdio_zeropage zero = { .mode = 0 };

	zero.range.start = (uintptr_t)page;
	zero.range.len = 4096;
	return ioctl(uffd, UFFDIO_ZEROPAGE, &zero) ? -errno : 0;
}

/* poll() one descriptor without waiting: its revents. */
static inline short kt_revents(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	if (poll(&pfd, 1, 0) < 0)
		return -1;
	return pfd.revents;
}

/* A name no other test (or earlier run) uses. */
static inline const char *kt_name(char *buf, size_t size, const char *tag)
{
	static unsigned int seq;

	snprintf(buf, size, "kt-%d-%08x-%s-%u", (int)getpid(), tc_run_id(), tag, seq++);
	return buf;
}

/* ---- administration by id (KMBOX_FEATURE_ADMIN) ------------------------ */

static inline int kt_stat_id(__u64 id, struct kmbox_info *info)
{
	int dev = kt_dev(), ret;

	if (dev < 0)
		return dev;
	memset(info, 0, sizeof(*info));
	info->id = id;
	ret = kt_ioctl(dev, KMBOX_IOC_STAT_ID, info);
	close(dev);
	return ret;
}

static inline int kt_destroy_id(__u64 id)
{
	struct kmbox_destroy_id d = { .id = id };
	int dev = kt_dev(), ret;

	if (dev < 0)
		return dev;
	ret = kt_ioctl(dev, KMBOX_IOC_DESTROY_ID, &d);
	close(dev);
	return ret;
}

/* LIST: count ids above cursor into ids; *stored gets the struct's count. */
static inline int kt_list(__u64 cursor, __u64 *ids, __u32 count, __u32 *stored)
{
	struct kmbox_list l = {
		.count = count, .cursor = cursor, .ids = (uintptr_t)ids,
	};
	int dev = kt_dev(), ret;

	if (dev < 0)
		return dev;
	ret = kt_ioctl(dev, KMBOX_IOC_LIST, &l);
	close(dev);
	if (stored)
		*stored = l.count;
	return ret;
}

/* Whether LIST, paged by `page` ids at a time, shows id; -errno on error. */
static inline int kt_listed(__u64 id, __u32 page)
{
	__u64 ids[64], cursor = 0, prev = 0;
	int n, i, found = 0;

	if (page > 64)
		return -EINVAL;
	do {
		n = kt_list(cursor, ids, page, NULL);
		if (n < 0)
			return n;
		for (i = 0; i < n; i++) {
			if (ids[i] <= prev)	/* not ascending */
				return -EPROTO;
			prev = ids[i];
			found |= ids[i] == id;
		}
		if (n)
			cursor = ids[n - 1];
	} while ((__u32)n == page);
	return found;
}

/* ---- module parameters --------------------------------------------------- */

#define KT_PARAM_DIR	"/sys/module/kmbox/parameters/"

static inline int kt_param_get(const char *param, unsigned long long *val)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), KT_PARAM_DIR "%s", param);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ok = fscanf(f, "%llu", val) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static inline int kt_param_set(const char *param, unsigned long long val)
{
	char path[128], text[32];
	int fd, len, ret = 0;

	snprintf(path, sizeof(path), KT_PARAM_DIR "%s", param);
	len = snprintf(text, sizeof(text), "%llu\n", val);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Safety net for tests that lower a parameter: their fixture teardown puts
 * it back, and should a test be killed before that, the values seen at
 * start-up are restored when the test program exits.
 */
static const char *const kt_params[] = {
	"max_msg_size", "default_msg_size", "max_capacity",
	"max_mailboxes_per_user", "max_bytes_per_user",
};
static unsigned long long kt_params_saved[ARRAY_SIZE(kt_params)];
static int kt_params_have[ARRAY_SIZE(kt_params)];
static pid_t kt_main_pid;

static void kt_params_restore(void)
{
	unsigned long long now;
	size_t i;

	if (getpid() != kt_main_pid)
		return;
	for (i = 0; i < ARRAY_SIZE(kt_params); i++) {
		if (!kt_params_have[i] || kt_param_get(kt_params[i], &now) ||
		    now == kt_params_saved[i])
			continue;
		fprintf(stderr, "# restoring %s=%llu\n", kt_params[i],
			kt_params_saved[i]);
		kt_param_set(kt_params[i], kt_params_saved[i]);
	}
}

static void __attribute__((constructor)) kt_params_snapshot(void)
{
	size_t i;

	/* Without the module every test would fail the same way: say it once. */
	if (access(KMBOX_DEVICE, F_OK))
		ksft_exit_fail_msg("%s: %s: is kmbox.ko loaded?\n",
				   KMBOX_DEVICE, strerror(errno));

	kt_main_pid = getpid();
	for (i = 0; i < ARRAY_SIZE(kt_params); i++)
		kt_params_have[i] = !kt_param_get(kt_params[i],
						  &kt_params_saved[i]);
	atexit(kt_params_restore);
}

#endif /* KMBOX_TEST_H */
