// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: read, write, poll, epoll and io_uring on handles.
 */
#include "fuzz.h"

/* ---- read/write/poll --------------------------------------------------- */

void op_read(void)
{
	struct iovec iov[8];
	struct handle h;
	bool right, bad = false, badbase = false;
	int slot, fd, e, n = 1, k;
	size_t len, total = 0;
	int64_t bound;
	ssize_t ret;

	fd = mbox_target_for(&slot, &h, &right, KMBOX_ACCESS_RECV);
	if (pct(60))
		len = right ? h.max_msg_size : 4096;
	else
		len = below(97);
	if (len > bufsz - 2 * PAGE)
		len = bufsz - 2 * PAGE;
	bound = right && h.nonblock ? slack_ns() : 0;
	if (pct(40)) {
		/* readv: the buffers of one call, in order, are one message */
		n = 1 + below(8);
		for (k = 0; k < n; k++) {
			size_t part = k == n - 1 ? len - total : below(len - total + 1);

			iov[k].iov_base = rbuf + total;
			iov[k].iov_len = part;
			total += part;
		}
		if (pml(50)) {
			k = below(n);
			iov[k].iov_base = bad_addr(P_NONE + below(4));
			bad = iov[k].iov_len > 0;
			badbase = true;
		}
		call_begin(OP_READ, bound, "readv fd %d %d buffers %zu bytes%s", fd, n, len,
			   bad ? ", one bad" : "");
		ret = readv(fd, iov, n);
	} else {
		void *p = rbuf;

		if (pml(50)) {
			p = bad_addr(P_NONE + below(4));
			bad = len > 0;
		}
		call_begin(OP_READ, bound, "read fd %d %zu bytes%s", fd, len, bad ? " bad buffer" : "");
		ret = read(fd, p, len);
	}
	e = ret < 0 ? errno : 0;
	call_end();
	check_errno(OP_READ, e, "read");
	if (!right) {
		/* readv() checks its buffers (even empty ones) before the file */
		if (e != EINVAL && !(badbase && e == EFAULT))
			violation(C_DISPATCH, "read on the control device: %s, expected EINVAL",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (ret < 0)
		goto out;
	if ((size_t)ret > len)
		violation(C_VALID, "read of %zu bytes returned %zd", len, ret);
	if (bad && ret > 0) {
		/* only fine if the message fitted before the bad buffer */
		size_t good = 0;

		for (k = 0; k < n && iov[k].iov_base >= (void *)rbuf &&
		     iov[k].iov_base < (void *)(rbuf + bufsz); k++)
			good += iov[k].iov_len;
		if (n == 1 || (size_t)ret > good) {
			violation(C_VALID, "read of %zd bytes into a bad buffer succeeded", ret);
			goto out;
		}
	}
	if (ret > 0 && ret <= (ssize_t)len) {
		struct hdr hd;

		track_recv(verify(rbuf, ret, h_same(slot, &h) ? h.id : 0, "read", &hd), "read");
		stat_add(ST_BYTES, ret);
	} else {
		track_recv(0, "read");
	}
out:
	h_done(slot, &h, e);
}

void op_write(void)
{
	struct iovec iov[8];
	struct handle h;
	bool right, bad = false, badbase = false, tracked = false;
	int slot, fd, e, n = 1, k;
	size_t len, total = 0;
	uint64_t id;
	int64_t bound;
	ssize_t ret;

	fd = mbox_target_for(&slot, &h, &right, KMBOX_ACCESS_SEND);
	len = pick_len(right ? h.max_msg_size : 4096);
	id = fill(sbuf, len, h.id);
	bound = right && h.nonblock ? slack_ns() : 0;
	if (pct(40)) {
		n = 1 + below(8);
		for (k = 0; k < n; k++) {
			size_t part = k == n - 1 ? len - total : below(len - total + 1);

			iov[k].iov_base = sbuf + total;
			iov[k].iov_len = part;
			total += part;
		}
		if (pml(50)) {
			k = below(n);
			iov[k].iov_base = bad_addr(P_NONE + below(4));
			bad = iov[k].iov_len > 0;
			badbase = true;
		}
	} else {
		iov[0].iov_base = sbuf;
		iov[0].iov_len = len;
		if (pml(50)) {
			iov[0].iov_base = bad_addr(P_NONE + below(4));
			bad = len > 0;
			badbase = true;
		}
	}
	if (bad)
		id = 0;
	if (id) {
		atomic_fetch_or(&track[id], T_ATTEMPT);
		tracked = true;
	}
	call_begin(OP_WRITE, bound, "%s fd %d %d buffers %zu bytes%s", n > 1 ? "writev" : "write",
		   fd, n, len, bad ? ", one bad" : "");
	if (n > 1 || pct(20))
		ret = writev(fd, iov, n);
	else
		ret = write(fd, iov[0].iov_base, len);
	e = ret < 0 ? errno : 0;
	call_end();
	track_send(tracked ? id : 0, ret < 0 ? e : 0);
	check_errno(OP_WRITE, e, "write");
	if (!right) {
		if (e != EINVAL && !(badbase && e == EFAULT))
			violation(C_DISPATCH, "write on the control device: %s, expected EINVAL",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (ret >= 0 && (size_t)ret != len)
		violation(C_VALID, "write of %zu bytes returned %zd", len, ret);
	if (ret >= 0 && bad)
		violation(C_VALID, "write from a bad buffer of %zu bytes succeeded", len);
	if (ret >= 0 && h_same(slot, &h) && len > h.max_msg_size)
		violation(C_VALID, "write of %zu bytes to a mailbox of max_msg_size %u succeeded",
			  len, h.max_msg_size);
out:
	h_done(slot, &h, e);
}

static bool check_revents(short revents, short events, const struct handle *h,
			  const char *what)
{
	short allowed = events | POLLERR | POLLHUP;
	short kmbox = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR | POLLHUP;

	if ((revents & ~allowed) || (revents & ~kmbox) ||
	    ((revents & (POLLIN | POLLRDNORM)) && !(h->access & KMBOX_ACCESS_RECV)) ||
	    ((revents & (POLLOUT | POLLWRNORM)) && !(h->access & KMBOX_ACCESS_SEND)) ||
	    ((revents & POLLERR) && (revents & ~POLLERR)) ||
	    /* closed: POLLOUT (a send fails at once) goes with POLLHUP */
	    ((revents & POLLHUP) && (revents & (POLLIN | POLLRDNORM)))) {
		violation(C_POLL, "%s: revents %#x for events %#x on a handle of access %#x",
			  what, (unsigned short)revents, (unsigned short)events, h->access);
		return false;
	}
	return true;
}

static short pick_events(void)
{
	static const short all[] = {
		POLLIN, POLLOUT, POLLPRI, POLLRDNORM, POLLWRNORM, POLLRDHUP,
		POLLRDBAND, POLLWRBAND };
	short ev = 0;
	size_t i;

	if (pct(70))
		return POLLIN | POLLOUT;
	for (i = 0; i < ARRAY_SIZE(all); i++)
		if (pct(40))
			ev |= all[i];
	return ev;
}

void op_poll(void)
{
	struct pollfd pfd[5];
	struct handle h[5];
	int slot[5], n = 1 + below(4), k, timeout, e;
	int64_t bound;
	int ret;

	for (k = 0; k < n; k++) {
		slot[k] = h_get(&h[k]);
		pfd[k].fd = slot[k] >= 0 ? h[k].fd : pct(50) ? ctl : -1;
		pfd[k].events = pick_events();
		pfd[k].revents = 0;
	}
	timeout = pct(40) ? 0 : pct(85) ? (int)range(1, 20) : -1;
	bound = timeout < 0 ? 0 : timeout * MS + slack_ns();
	call_begin(OP_POLL, bound, "poll %d fds timeout %d ms", n, timeout);
	ret = poll(pfd, n, timeout);
	e = ret < 0 ? errno : 0;
	call_end();
	check_errno(OP_POLL, e, "poll");
	for (k = 0; k < n; k++) {
		if (ret > 0 && slot[k] >= 0 && h_same(slot[k], &h[k]))
			check_revents(pfd[k].revents, pfd[k].events, &h[k], "poll");
		h_put(slot[k]);
	}
}

void op_epoll(void)
{
	struct epoll_event ev[8];
	struct handle h;
	int slot, r = below(100), e, k, ret, timeout;

	if (epfd < 0)
		return;
	if (r < 40) {
		slot = h_get(&h);
		if (slot < 0)
			return;
		ev[0].events = EPOLLIN | EPOLLOUT;
		if (pct(30))
			ev[0].events |= EPOLLET;
		if (pct(10))
			ev[0].events |= EPOLLONESHOT;
		ev[0].data.u64 = h.access;
		call_begin(OP_EPOLL, slack_ns(), "epoll_ctl ADD fd %d", h.fd);
		ret = epoll_ctl(epfd, EPOLL_CTL_ADD, h.fd, &ev[0]);
		e = ret < 0 ? errno : 0;
		call_end();
		h_put(slot);
		check_errno(OP_EPOLL, e, "epoll_ctl ADD");
	} else if (r < 60) {
		slot = h_get(&h);
		if (slot < 0)
			return;
		call_begin(OP_EPOLL, slack_ns(), "epoll_ctl DEL fd %d", h.fd);
		ret = epoll_ctl(epfd, EPOLL_CTL_DEL, h.fd, NULL);
		e = ret < 0 ? errno : 0;
		call_end();
		h_put(slot);
		check_errno(OP_EPOLL, e, "epoll_ctl DEL");
	} else {
		timeout = pct(50) ? 0 : (int)below(10);
		call_begin(OP_EPOLL, timeout * MS + slack_ns(), "epoll_wait %d ms", timeout);
		ret = epoll_wait(epfd, ev, ARRAY_SIZE(ev), timeout);
		e = ret < 0 ? errno : 0;
		call_end();
		check_errno(OP_EPOLL, e, "epoll_wait");
		for (k = 0; k < ret; k++) {
			/* the handle may be another one by now: only the bits */
			if ((ev[k].events & ~(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP |
					      EPOLLRDNORM | EPOLLWRNORM)) ||
			    ((ev[k].events & EPOLLERR) && (ev[k].events & ~EPOLLERR)))
				violation(C_POLL, "epoll_wait: events %#x", ev[k].events);
		}
	}
}

/* ---- io_uring --------------------------------------------------------------- */

struct uring ur = { .fd = -1 };


static pthread_mutex_t ur_lock = PTHREAD_MUTEX_INITIALIZER;

int ur_setup(void)
{
	struct io_uring_params p;
	int fd;

	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, URING_ENTRIES, &p);
	if (fd < 0)
		return -errno;
	ur.sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	ur.cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	ur.sqe_len = p.sq_entries * sizeof(struct io_uring_sqe);
	ur.sq_map = mmap(NULL, ur.sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			 fd, IORING_OFF_SQ_RING);
	ur.cq_map = mmap(NULL, ur.cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			 fd, IORING_OFF_CQ_RING);
	ur.sqes = mmap(NULL, ur.sqe_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       fd, IORING_OFF_SQES);
	if (ur.sq_map == MAP_FAILED || ur.cq_map == MAP_FAILED || ur.sqes == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	ur.sq_head = (unsigned int *)((char *)ur.sq_map + p.sq_off.head);
	ur.sq_tail = (unsigned int *)((char *)ur.sq_map + p.sq_off.tail);
	ur.sq_mask = (unsigned int *)((char *)ur.sq_map + p.sq_off.ring_mask);
	ur.sq_array = (unsigned int *)((char *)ur.sq_map + p.sq_off.array);
	ur.cq_head = (unsigned int *)((char *)ur.cq_map + p.cq_off.head);
	ur.cq_tail = (unsigned int *)((char *)ur.cq_map + p.cq_off.tail);
	ur.cq_mask = (unsigned int *)((char *)ur.cq_map + p.cq_off.ring_mask);
	ur.cqes = (struct io_uring_cqe *)((char *)ur.cq_map + p.cq_off.cqes);
	if (!ur.buf)
		ur.buf = map(URING_ENTRIES * URING_BUF, PROT_READ | PROT_WRITE);
	memset(ur.req, 0, sizeof(ur.req));
	ur.fd = fd;
	ur.owner = mypid;
	return 0;
}

/* Drop the ring with whatever is in flight: the kernel cancels it. */
static void ur_close(void)
{
	size_t i;

	if (ur.fd < 0)
		return;
	for (i = 0; i < ARRAY_SIZE(ur.req); i++)
		if (ur.req[i].kind && ur.req[i].slot >= 0)
			ur.buf_state[ur.req[i].slot] = 2;
	munmap(ur.sq_map, ur.sq_len);
	munmap(ur.cq_map, ur.cq_len);
	munmap(ur.sqes, ur.sqe_len);
	close(ur.fd);
	ur.fd = -1;
}

static void ur_complete(const struct io_uring_cqe *cqe)
{
	struct ureq *q;
	int res = cqe->res, e = res < 0 ? -res : 0;
	uint8_t *b;

	if (cqe->user_data >= ARRAY_SIZE(ur.req))
		return;		/* a cancel request's own completion */
	q = &ur.req[cqe->user_data];
	b = q->slot >= 0 ? ur.buf + q->slot * URING_BUF : NULL;
	if (!q->kind)
		return;
	check_errno(OP_URING, e, q->kind == OP_READ ? "io_uring read" :
		    q->kind == OP_WRITE ? "io_uring write" : "io_uring poll");
	if (q->kind == OP_READ && res >= 0) {
		struct hdr hd;

		if ((size_t)res > q->len)
			violation(C_VALID, "io_uring read of %zu bytes gave %d", q->len, res);
		else
			track_recv(res ? verify(b, res, q->raced ? 0 : q->mbox, "io_uring read",
						&hd) : 0, "io_uring read");
	} else if (q->kind == OP_WRITE) {
		if (res >= 0 && (size_t)res != q->len)
			violation(C_VALID, "io_uring write of %zu bytes gave %d", q->len, res);
		track_send(q->id, res < 0 ? -res : 0);
	} else if (q->kind == OP_POLL && res > 0 && !q->raced) {
		struct handle hh = { .access = q->access };

		check_revents(res, q->events, &hh, "io_uring poll");
	}
	if (q->slot >= 0)
		ur.buf_state[q->slot] = 0;
	q->kind = 0;
}

static void ur_reap(void)
{
	unsigned int head = __atomic_load_n(ur.cq_head, __ATOMIC_ACQUIRE);

	while (head != __atomic_load_n(ur.cq_tail, __ATOMIC_ACQUIRE)) {
		ur_complete(&ur.cqes[head & *ur.cq_mask]);
		head++;
		__atomic_store_n(ur.cq_head, head, __ATOMIC_RELEASE);
	}
}

/*
 * Reads, writes and polls on handles through io_uring: io-wq workers block
 * in the mailbox, requests are cancelled, and whole rings are dropped with
 * requests in flight.
 */
void op_uring(void)
{
	struct io_uring_sqe *sqe;
	struct handle h;
	struct ureq *q = NULL, *sub = NULL;
	unsigned int tail;
	int slot = -1, b = -1, r = below(100), ret;
	bool wait;
	size_t i;

	pthread_mutex_lock(&ur_lock);
	if (ur.fd >= 0 && ur.owner != mypid) {
		/* inherited from the parent: its ring, not ours */
		close(ur.fd);
		ur.fd = -1;
		memset(ur.buf_state, 2, sizeof(ur.buf_state));
	}
	if (ur.fd < 0 && ur_setup()) {
		pthread_mutex_unlock(&ur_lock);
		return;
	}
	ur_reap();
	if (r < 5) {
		ur_close();
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(ur.req) && !q; i++)
		if (!ur.req[i].kind)
			q = &ur.req[i];
	if (!q)
		goto enter;
	slot = h_get(&h);
	if (slot < 0)
		goto enter;
	tail = *ur.sq_tail;
	if (tail - __atomic_load_n(ur.sq_head, __ATOMIC_ACQUIRE) >= URING_ENTRIES)
		goto enter;
	sqe = &ur.sqes[tail & *ur.sq_mask];
	memset(sqe, 0, sizeof(*sqe));
	memset(q, 0, sizeof(*q));
	q->slot = -1;
	sqe->fd = h.fd;
	sqe->user_data = q - ur.req;
	if (r < 85) {
		for (i = 0; i < URING_ENTRIES; i++)
			if (!ur.buf_state[i]) {
				b = i;
				break;
			}
		if (b < 0)
			goto enter;
		ur.buf_state[b] = 1;
		q->slot = b;
	}
	if (r < 45) {
		q->kind = OP_READ;
		q->len = pct(80) ? URING_BUF : below(64);
		q->mbox = h.id;
		sqe->opcode = IORING_OP_READ;
		sqe->addr = (uintptr_t)(ur.buf + b * URING_BUF);
		sqe->len = q->len;
	} else if (r < 85) {
		q->kind = OP_WRITE;
		q->len = pick_len(h.max_msg_size < URING_BUF ? h.max_msg_size : URING_BUF);
		if (q->len > URING_BUF)
			q->len = URING_BUF;
		q->id = fill(ur.buf + b * URING_BUF, q->len, h.id);
		if (q->id)
			atomic_fetch_or(&track[q->id], T_ATTEMPT);
		sqe->opcode = IORING_OP_WRITE;
		sqe->addr = (uintptr_t)(ur.buf + b * URING_BUF);
		sqe->len = q->len;
	} else if (r < 95) {
		q->kind = OP_POLL;
		q->access = h.access;
		q->events = pick_events();
		sqe->opcode = IORING_OP_POLL_ADD;
		sqe->poll32_events = (unsigned short)q->events;
	} else {
		/* cancel something in flight, maybe */
		q->kind = 0;
		sqe->opcode = IORING_OP_ASYNC_CANCEL;
		sqe->addr = below(ARRAY_SIZE(ur.req));
		sqe->user_data = ~0ULL;
	}
	ur.sq_array[tail & *ur.sq_mask] = tail & *ur.sq_mask;
	__atomic_store_n(ur.sq_tail, tail + 1, __ATOMIC_RELEASE);
	sub = q;
	q = NULL;
enter:
	wait = pct(20);
	/* Waiting for a completion may wait for ever: the watchdog kicks it. */
	call_begin(OP_URING, wait ? 0 : slack_ns(), "io_uring_enter%s", wait ? ", waiting" : "");
	ret = syscall(__NR_io_uring_enter, ur.fd, URING_ENTRIES, wait ? 1 : 0,
		      IORING_ENTER_GETEVENTS, NULL, 0);
	call_end();
	if (ret < 0 && errno != EINTR && errno != EAGAIN && errno != EBUSY)
		violation(C_ERRNO, "io_uring_enter: %s", ename(errno));
	/*
	 * The kernel looks the descriptor up when it takes the entry: one not
	 * taken yet would find whatever has the number later.  Make it a no-op.
	 */
	while (*ur.sq_tail != __atomic_load_n(ur.sq_head, __ATOMIC_ACQUIRE)) {
		unsigned int t = --*ur.sq_tail;
		struct io_uring_sqe *left = &ur.sqes[t & *ur.sq_mask];
		struct ureq *lq = left->user_data < ARRAY_SIZE(ur.req) ?
				  &ur.req[left->user_data] : NULL;

		if (lq && lq->kind) {
			if (lq->slot >= 0)
				ur.buf_state[lq->slot] = 0;
			lq->kind = 0;
		}
	}
	/* A close racing with the submission may have swapped in /dev/kmbox. */
	if (sub && sub->kind && slot >= 0 && !h_same(slot, &h))
		sub->raced = true;
	h_put(slot);
	ur_reap();
out:
	if (q && !q->kind && b >= 0)
		ur.buf_state[b] = 0;
	pthread_mutex_unlock(&ur_lock);
}
