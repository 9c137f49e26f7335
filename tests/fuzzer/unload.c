// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: --unload-race: unload the module the moment its last user dies.
 */
#include "fuzz.h"

/* ---- --unload-race: unload the module the moment its last user dies ---- */

static void *race_sender(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct kmbox_send snd = { .buf = (uintptr_t)"blocked", .len = 7 };

	ioctl(fd, KMBOX_IOC_SEND, &snd);	/* until killed */
	return NULL;
}

static void *race_receiver(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char b[64];
	struct kmbox_recv rcv = { .buf = (uintptr_t)b, .len = sizeof(b) };

	for (;;)
		ioctl(fd, KMBOX_IOC_RECV, &rcv);
	return NULL;
}

/*
 * A process that uses the module every way that holds a reference: the
 * device, named and anonymous mailboxes with messages queued, threads
 * blocked in send and receive, a child blocked too, handles in epoll, in
 * io_uring requests, and in flight in a UNIX socket nobody can read.
 */
static void race_child(int ready, int cycle)
{
	struct kmbox_create c = { .access = KMBOX_ACCESS_ALL, .mode = 0600 };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
	char name[64], big[4096];
	int dev, named, rdv, full, empty, sv[2], k;
	pthread_t th;
	pid_t pid;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, 0);		/* killed as a group, with its child */
	dev = open(KMBOX_DEVICE, O_RDWR);
	if (dev < 0)
		_exit(EXIT_INTERNAL);
	snprintf(name, sizeof(name), "fz-race-%d", cycle);
	c.name = (uintptr_t)name;
	c.capacity = KMBOX_CAPACITY_UNBOUNDED;
	named = ioctl(dev, KMBOX_IOC_CREATE, &c);
	c.name = 0;
	c.capacity = 0;
	rdv = ioctl(dev, KMBOX_IOC_CREATE, &c);
	c.capacity = 1;
	full = ioctl(dev, KMBOX_IOC_CREATE, &c);
	empty = ioctl(dev, KMBOX_IOC_CREATE, &c);
	if (named < 0 || rdv < 0 || full < 0 || empty < 0)
		_exit(EXIT_INTERNAL);
	memset(big, 'b', sizeof(big));
	for (k = 0; k < 8; k++)
		if (write(named, big, 1 + below(sizeof(big))) < 0)
			break;
	if (write(full, "x", 1) != 1)
		_exit(EXIT_INTERNAL);
	pthread_create(&th, NULL, race_sender, (void *)(intptr_t)rdv);
	pthread_create(&th, NULL, race_sender, (void *)(intptr_t)full);
	pthread_create(&th, NULL, race_receiver, (void *)(intptr_t)empty);
	mypid = getpid();
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != mypid)
			_exit(0);
		race_receiver((void *)(intptr_t)empty);
	}
	epfd = epoll_create1(0);
	epoll_ctl(epfd, EPOLL_CTL_ADD, named, &ev);
	epoll_ctl(epfd, EPOLL_CTL_ADD, rdv, &ev);
	if (!socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(3 * sizeof(int))];
		} cm;
		struct iovec iov = { .iov_base = "h", .iov_len = 1 };
		struct msghdr m = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cm.buf, .msg_controllen = sizeof(cm.buf),
		};
		int fds[3] = { empty, dev, sv[1] };

		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(&cm.h), fds, sizeof(fds));
		sendmsg(sv[0], &m, 0);
		if (pct(50)) {
			close(sv[0]);	/* a cycle: only the collector frees it */
			close(sv[1]);
		}
	}
	mypid = getpid();
	if (!ur_setup()) {
		struct io_uring_sqe *sqe = &ur.sqes[0];

		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_READ;
		sqe->fd = empty;
		sqe->addr = (uintptr_t)ur.buf;
		sqe->len = 64;
		ur.sq_array[0] = 0;
		__atomic_store_n(ur.sq_tail, 1, __ATOMIC_RELEASE);
		syscall(__NR_io_uring_enter, ur.fd, 1, 0, 0, NULL, 0);
	}
	if (write(ready, "r", 1) != 1)
		_exit(EXIT_INTERNAL);
	/* Traffic until killed. */
	for (;;) {
		struct kmbox_send snd = { .flags = KMBOX_MSG_NONBLOCK,
					  .buf = (uintptr_t)big, .len = below(sizeof(big)) };
		struct kmbox_recv rcv = { .flags = KMBOX_MSG_NONBLOCK,
					  .buf = (uintptr_t)big, .len = sizeof(big) };

		ioctl(named, KMBOX_IOC_SEND, &snd);
		if (pct(50))
			ioctl(named, KMBOX_IOC_RECV, &rcv);
	}
}

/*
 * Handles in flight in an AF_UNIX reference cycle nobody can reach are
 * released by the UNIX garbage collector, which runs when a UNIX socket is
 * released while any descriptor is in flight: make that happen.
 */
void unix_gc(void)
{
	int sv[2];

	if (!socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		close(sv[0]);
		close(sv[1]);
	}
}

int unload_race(void)
{
	int cycle, failed = 0;
	pid_t reader;

	reader = fork();
	if (reader == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		rs = seed_for(opt.seed, 0x7ead, 0, 0);
		W = &W_dummy;
		for (;;) {
			op_proc();
			if (pct(50))
				sched_yield();
		}
	}

	for (cycle = 0; cycle < opt.unload_race; cycle++) {
		struct pollfd pfd;
		int p[2], e, fd, tries, status;
		int64_t end;
		char b;
		pid_t pid;

		if (pipe2(p, O_CLOEXEC))
			return 1;
		pid = fork();
		if (pid == 0) {
			rs = seed_for(opt.seed, 0x7ace, cycle, 0);
			close(p[0]);
			race_child(p[1], cycle);
		}
		close(p[1]);
		pfd.fd = p[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 20000) != 1 || read(p[0], &b, 1) != 1) {
			violation(C_PROC, "cycle %d: the module's user did not start", cycle);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(p[0]);
			failed = 1;
			break;
		}
		close(p[0]);
		stat_add(ST_UNLOADS, 1);
		e = syscall(SYS_delete_module, "kmbox", O_NONBLOCK) ? errno : 0;
		if (e != EWOULDBLOCK && e != EBUSY) {
			violation(C_UNLOAD, "cycle %d: delete_module while in use: %s", cycle, ename(e));
			failed = 1;
			if (!e)
				break;
		}
		sleep_ns(below(3 * MS));
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		/* Unload the moment the last reference goes. */
		end = now_ns() + 30 * SEC;
		for (tries = 0;; tries++) {
			e = syscall(SYS_delete_module, "kmbox", O_NONBLOCK) ? errno : 0;
			if (!e)
				break;
			if ((e != EWOULDBLOCK && e != EBUSY) || now_ns() > end) {
				char refs[32] = "?";
				int rf = open("/sys/module/kmbox/refcnt", O_RDONLY);

				if (rf >= 0) {
					ssize_t n = read(rf, refs, sizeof(refs) - 1);

					refs[n > 0 ? n - 1 : 0] = '\0';
					close(rf);
				}
				violation(C_UNLOAD, "cycle %d: module not unloadable 30 s after its user was killed: %s, refcnt %s",
					  cycle, ename(e), refs);
				waitpid(pid, NULL, 0);
				return 1;
			}
			if (tries > 1000)
				sleep_ns(100 * US);
			if (tries % 1000 == 999)
				unix_gc();
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		fd = open(opt.module, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0)) {
			violation(C_UNLOAD, "cycle %d: loading %s again: %s", cycle, opt.module,
				  ename(errno));
			return 1;
		}
		close(fd);
		for (end = now_ns() + 5 * SEC; access(KMBOX_DEVICE, F_OK) && now_ns() < end;)
			sleep_ns(MS);
		drain_log();
	}
	if (reader > 0) {
		kill(reader, SIGKILL);
		waitpid(reader, NULL, 0);
	}
	return failed;
}
