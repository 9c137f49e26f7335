// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: the end of handles: CLOSE, DESTROY, dup and close, handles over a
 * UNIX socket.
 */
#include "fuzz.h"

/*
 * After CLOSE or DESTROY returned 0: INFO must say so, and a non-blocking
 * SEND (and after DESTROY a RECV) must fail.  Reported only if slot still
 * is that handle afterwards (another thread may close it meanwhile).
 */
void after_end(int slot, int fd, const struct handle *h, bool destroyed)
{
	struct kmbox_send s = { .flags = KMBOX_MSG_NONBLOCK };
	struct kmbox_recv r = { .flags = KMBOX_MSG_NONBLOCK };
	const char *what = destroyed ? "DESTROY" : "CLOSE";
	char msg[3][160] = { "", "", "" };
	struct kmbox_info i;
	int e, k;

	e = do_info(fd, &i);
	if (e || i.state < (destroyed ? KMBOX_STATE_DESTROYED : KMBOX_STATE_CLOSED))
		snprintf(msg[0], sizeof(msg[0]), "%s returned 0, then INFO: %s state %u",
			 what, ename(e), i.state);
	else if (destroyed && (i.msgs || i.name[0]))
		snprintf(msg[0], sizeof(msg[0]), "DESTROY returned 0, then INFO: msgs %llu name \"%.40s\"",
			 (unsigned long long)i.msgs, i.name);
	if (h->access & KMBOX_ACCESS_SEND) {
		e = ioctl(fd, KMBOX_IOC_SEND, &s) ? errno : 0;
		if (e != EIDRM && (destroyed || e != EPIPE))
			snprintf(msg[1], sizeof(msg[1]), "%s returned 0, then SEND: %s", what, ename(e));
	}
	if (destroyed && (h->access & KMBOX_ACCESS_RECV)) {
		e = ioctl(fd, KMBOX_IOC_RECV, &r) ? errno : 0;
		if (e != EIDRM)
			snprintf(msg[2], sizeof(msg[2]), "DESTROY returned 0, then RECV: %s", ename(e));
	}
	if (!h_same(slot, h))
		return;
	for (k = 0; k < 3; k++)
		if (msg[k][0])
			violation(C_VALID, "%s", msg[k]);
}

void op_close_destroy(int op)
{
	bool destroy = op == OP_DESTROY, right, mangled = false;
	unsigned long cmd = destroy ? KMBOX_IOC_DESTROY : KMBOX_IOC_CLOSE;
	unsigned long arg = 0;
	struct handle h;
	int slot, fd, e;
	long ret;

	fd = mbox_target(&slot, &h, &right);
	if (pml(30))
		arg = pct(50) ? 1 + below(1000) : (unsigned long)rnd() | 1;
	if (pml(20)) {
		cmd = _IOC(_IOC_READ | _IOC_WRITE, KMBOX_IOC_MAGIC, _IOC_NR(cmd), 8 * (1 + below(8)));
		mangled = true;
	}
	call_begin(op, slack_ns(), "%s fd %d arg %#lx%s", op_name[op], fd, arg,
		   mangled ? " mangled" : "");
	ret = ioctl(fd, cmd, arg);
	e = ret < 0 ? errno : 0;
	call_end();
	check_errno(op, e, op_name[op]);
	if (!right || mangled) {
		if (e != ENOTTY)
			violation(C_DISPATCH, "%s %son the %s: %s, expected ENOTTY", op_name[op],
				  mangled ? "(mangled) " : "", right ? "handle" : "control device",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (!h_same(slot, &h))
		goto out;
	if (arg) {
		if (e != EINVAL)
			violation(C_VALID, "%s with argument %#lx: %s, expected EINVAL",
				  op_name[op], arg, ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (!destroy && !(h.access & KMBOX_ACCESS_SEND)) {
		if (e != EBADF)
			violation(C_VALID, "CLOSE on a receive-only handle: %s, expected EBADF",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (e == EACCES) {
		if (myuid == 0 || h.uid == myuid)
			violation(C_VALID, "DESTROY by %s (uid %u, owner %u): EACCES",
				  myuid ? "the owner" : "root", myuid, h.uid);
		goto out;
	}
	if (e == EPIPE && !destroy) {
		struct kmbox_info i;

		/* Closed already; a mailbox never opens again. */
		if (!do_info(fd, &i) && i.state < KMBOX_STATE_CLOSED && h_same(slot, &h))
			violation(C_VALID, "CLOSE: EPIPE, then INFO: state %u", i.state);
		goto out;
	}
	if (!ret)
		after_end(slot, fd, &h, destroy);
out:
	h_done(slot, &h, e);
}

void op_dup(void)
{
	struct handle h;
	int slot, ns, fd, e;

	ns = h_reserve();
	if (ns < 0)
		return;
	slot = h_get(&h);
	if (slot < 0) {
		h_unreserve(ns);
		return;
	}
	fd = pct(50) ? dup(h.fd) : fcntl(h.fd, F_DUPFD_CLOEXEC, 0);
	e = fd < 0 ? errno : 0;
	check_errno(OP_DUP, e, "dup");
	/* Unless it raced with a close, the copy is the same handle. */
	if (fd >= 0 && h_same(slot, &h)) {
		h.fd = fd;
		h_install(ns, &h);
	} else {
		if (fd >= 0)
			close(fd);
		h_unreserve(ns);
	}
	h_put(slot);
}

/* ---- handles over a UNIX socket ----------------------------------------- */

static int scm[2] = { -1, -1 };
static pthread_mutex_t scm_lock = PTHREAD_MUTEX_INITIALIZER;

void scm_open(void)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, scm))
		scm[0] = scm[1] = -1;
}

/* A descriptor received: keep it as a handle if it is one. */
static void adopt(int fd)
{
	struct kmbox_info info;
	struct handle h;
	int slot, fl;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || do_info(fd, &info)) {
		close(fd);	/* a placeholder sent by a racing close */
		return;
	}
	if (info.access != ((fl & O_ACCMODE) == O_RDWR ? KMBOX_ACCESS_ALL :
			    (fl & O_ACCMODE) == O_WRONLY ? KMBOX_ACCESS_SEND :
			    KMBOX_ACCESS_RECV))
		violation(C_INFO, "handle received over a socket: INFO access %#x, F_GETFL %#x",
			  info.access, fl);
	slot = h_reserve();
	if (slot < 0) {
		close(fd);
		return;
	}
	memset(&h, 0, sizeof(h));
	h.fd = fd;
	h.access = info.access;
	h.name = -2;		/* unknown */
	h.nonblock = fl & O_NONBLOCK;
	h.id = info.id;
	h.capacity = info.capacity;
	h.max_msg_size = info.max_msg_size;
	h.create_flags = info.create_flags;
	h.port_pid = info.port_pid;
	h.uid = info.uid;
	h.state_seen = info.state;
	h.received_seen = info.received;
	h.dropped_seen = info.dropped;
	h_install(slot, &h);
}

/*
 * Pass handles to ourselves or to a child (it shares the socket): send
 * some, receive some, or drop the socket with handles still in it, maybe
 * in a reference cycle that only the UNIX garbage collector breaks.
 */
void op_scm(void)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} c;
	struct handle h[3];
	int slot[3], fds[4], n = 0, k, r = below(100), e = 0;
	struct msghdr m;
	struct iovec iov;
	char byte = 'h';
	ssize_t ret;

	pthread_mutex_lock(&scm_lock);
	if (scm[0] < 0)
		scm_open();
	if (scm[0] < 0)
		goto out;
	memset(&m, 0, sizeof(m));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = c.buf;
	if (r < 45) {
		int want = 1 + below(3);

		for (k = 0; k < want; k++) {
			slot[n] = h_get(&h[n]);
			if (slot[n] >= 0)
				fds[n] = h[n].fd, n++;
		}
		if (pct(10))
			fds[n++] = pct(50) ? scm[1] : scm[0];	/* a cycle */
		if (!n)
			goto out;
		m.msg_controllen = CMSG_SPACE(n * sizeof(int));
		c.h.cmsg_level = SOL_SOCKET;
		c.h.cmsg_type = SCM_RIGHTS;
		c.h.cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(&c.h), fds, n * sizeof(int));
		ret = sendmsg(scm[0], &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		e = ret < 0 ? errno : 0;
		for (k = 0; k < n; k++)
			if (fds[k] != scm[0] && fds[k] != scm[1])
				h_put(slot[k]);
	} else if (r < 90) {
		struct cmsghdr *cm;

		m.msg_controllen = sizeof(c.buf);
		ret = recvmsg(scm[1], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		e = ret < 0 ? errno : 0;
		for (cm = ret >= 0 ? CMSG_FIRSTHDR(&m) : NULL; cm; cm = CMSG_NXTHDR(&m, cm)) {
			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
			for (k = 0; k < n; k++) {
				struct stat st;

				/* a socket of ours sent in a cycle: just close it */
				if (!fstat(fds[k], &st) && S_ISSOCK(st.st_mode))
					close(fds[k]);
				else
					adopt(fds[k]);
			}
		}
	} else {
		/* whatever is in flight goes with the socket (or with the GC) */
		close(scm[0]);
		close(scm[1]);
		scm_open();
	}
	(void)e;
	count_op(OP_SCM, 0);
out:
	pthread_mutex_unlock(&scm_lock);
}
