// SPDX-License-Identifier: GPL-2.0-only
/*
 * The peers kmbox replaces that live in file descriptors: a pipe, an
 * AF_UNIX seqpacket socket pair, a POSIX message queue.  Depth: see peers.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "bench.h"

/* ---- pipe ------------------------------------------------------------- */

static int pipe_open(struct chan *c, char *why, size_t len)
{
	int p[2];
	size_t want;

	if (pipe2(p, O_CLOEXEC))
		return peer_why(why, len, "%s: %s", "pipe", errno);
	c->rfd = p[0];
	c->wfd = p[1];
	want = peer_byte_buf(c->size, 65536);
	if (want > 65536 && fcntl(p[1], F_SETPIPE_SZ, (int)want) < 0) {
		/* An unprivileged caller may not pass pipe-max-size: keep what it has. */
		if (fcntl(p[1], F_SETPIPE_SZ, 1 << 20) < 0)
			errno = 0;
	}
	c->hold = (size_t)fcntl(p[1], F_GETPIPE_SZ);
	if (c->hold < want)
		snprintf(c->note, sizeof(c->note), "buffer %zu KiB (fs.pipe-max-size)", c->hold >> 10);
	return 0;
}

static int pipe_send(struct chan *c, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(c->wfd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * A pipe has no message boundaries: read exactly the size this case sends
 * (every case sends messages of one size, which cap is).
 */
static ssize_t pipe_recv(struct chan *c, void *buf, size_t cap)
{
	char *p = buf;
	size_t left = cap;

	while (left) {
		ssize_t n = read(c->rfd, p, left);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		left -= (size_t)n;
	}
	return (ssize_t)cap;
}

static void fd_close(struct chan *c)
{
	if (c->rfd >= 0)
		close(c->rfd);
	if (c->wfd >= 0 && c->wfd != c->rfd)
		close(c->wfd);
	c->rfd = c->wfd = -1;
}

/* ---- AF_UNIX seqpacket -------------------------------------------------- */

static int unix_open(struct chan *c, char *why, size_t len)
{
	int sv[2], buf, cur;
	socklen_t sl = sizeof(cur);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return peer_why(why, len, "%s: %s", "socketpair", errno);
	c->wfd = sv[0];
	c->rfd = sv[1];
	if (getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &cur, &sl))
		cur = 212992;
	buf = (int)peer_byte_buf(c->size + 1024, (size_t)cur);
	if (buf > cur && setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) &&
	    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf)))
		errno = 0;
	sl = sizeof(cur);
	/* A datagram must fit the send buffer, less its own overhead. */
	if (!getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &cur, &sl) &&
	    c->size + 1024 > (size_t)cur) {
		snprintf(why, len, "SO_SNDBUF %d < message (net.core.wmem_max, CAP_NET_ADMIN)", cur);
		fd_close(c);
		return -1;
	}
	c->hold = (size_t)cur;
	return 0;
}

static int unix_send(struct chan *c, const void *buf, size_t len)
{
	for (;;) {
		ssize_t n = send(c->wfd, buf, len, 0);

		if (n == (ssize_t)len)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : -EIO;
	}
}

static ssize_t unix_recv(struct chan *c, void *buf, size_t cap)
{
	for (;;) {
		ssize_t n = recv(c->rfd, buf, cap, 0);

		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : n;
	}
}

/* ---- POSIX mq ----------------------------------------------------------- */

/*
 * BENCH_DEPTH messages deep if allowed, else as deep as fs.mqueue.msg_max
 * lets an unprivileged caller (without CAP_SYS_RESOURCE) go, and said so.
 */
static int mq_open_chan(struct chan *c, char *why, size_t len)
{
	static unsigned int seq;
	struct mq_attr a = { .mq_maxmsg = BENCH_DEPTH, .mq_msgsize = (long)c->size };
	long max_msgs = proc_long("/proc/sys/fs/mqueue/msg_max");
	long max_size = proc_long("/proc/sys/fs/mqueue/msgsize_max");
	char name[64];
	mqd_t q;

	snprintf(name, sizeof(name), "/kmbox-bench.%d.%u", (int)getpid(), seq++);
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
	if (q == (mqd_t)-1 && errno == EINVAL && max_msgs > 0 && max_msgs < BENCH_DEPTH &&
	    (max_size < 0 || (long)c->size <= max_size)) {
		a.mq_maxmsg = max_msgs;
		q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
		if (q != (mqd_t)-1)
			snprintf(c->note, sizeof(c->note), "depth %ld (fs.mqueue.msg_max)", max_msgs);
	}
	if (q == (mqd_t)-1) {
		if (errno == EINVAL && max_size >= 0 && (long)c->size > max_size)
			snprintf(why, len, "fs.mqueue.msgsize_max %ld < message (CAP_SYS_RESOURCE lifts it)",
				 max_size);
		else if (errno == EMFILE)
			snprintf(why, len, "mq_open: EMFILE: RLIMIT_MSGQUEUE (ulimit -q)");
		else
			peer_why(why, len, "%s: %s", "mq_open", errno);
		return -1;
	}
	mq_unlink(name);
	c->rfd = c->wfd = (int)q;
	return 0;
}

static int mq_send_chan(struct chan *c, const void *buf, size_t len)
{
	while (mq_send((mqd_t)c->wfd, buf, len, 0))
		if (errno != EINTR)
			return -errno;
	return 0;
}

static ssize_t mq_recv_chan(struct chan *c, void *buf, size_t cap)
{
	ssize_t n;

	/* mq_receive wants room for the queue's mq_msgsize: it is cap here. */
	while ((n = mq_receive((mqd_t)c->rfd, buf, cap, NULL)) < 0)
		if (errno != EINTR)
			return -errno;
	return n;
}

static void mq_close_chan(struct chan *c)
{
	if (c->rfd >= 0)
		mq_close((mqd_t)c->rfd);
	c->rfd = c->wfd = -1;
}

/*
 * pipe-batch: what a program batching over a pipe does.  A message is a
 * frame, its 4-byte length then its bytes; a batch of frames is one
 * writev, and one read takes whatever is there (the rest of a frame cut
 * short waits in c->rbuf for the next call).
 */
static int pipe_batch_open(struct chan *c, char *why, size_t len)
{
	int ret = pipe_open(c, why, len);

	if (ret)
		return ret;
	c->rcap = (size_t)c->batch * (sizeof(uint32_t) + c->size);
	/* One process writes a whole batch before it reads: it must fit. */
	if (c->hold < c->rcap && fcntl(c->wfd, F_SETPIPE_SZ, (int)c->rcap) > 0)
		c->hold = (size_t)fcntl(c->wfd, F_GETPIPE_SZ);
	c->rbuf = malloc(c->rcap);
	if (!c->rbuf) {
		fd_close(c);
		return peer_why(why, len, "%s: %s", "malloc", ENOMEM);
	}
	return 0;
}

static void pipe_batch_close(struct chan *c)
{
	free(c->rbuf);
	c->rbuf = NULL;
	fd_close(c);
}

static int pipe_batch_send(struct chan *c, char *const *bufs, size_t len, unsigned int n)
{
	struct iovec iov[2 * BENCH_BATCH_MAX];
	size_t i, k = 0, total = 2 * (size_t)n, done;
	uint32_t hdr = (uint32_t)len;
	ssize_t w;

	for (i = 0; i < n; i++) {
		iov[2 * i] = (struct iovec){ .iov_base = &hdr, .iov_len = sizeof(hdr) };
		iov[2 * i + 1] = (struct iovec){ .iov_base = bufs[i], .iov_len = len };
	}
	while (k < total) {
		w = writev(c->wfd, &iov[k], (int)(total - k));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* A short write (past PIPE_BUF): go on from where it stopped. */
		for (done = (size_t)w; k < total && done >= iov[k].iov_len; k++)
			done -= iov[k].iov_len;
		if (k < total) {
			iov[k].iov_base = (char *)iov[k].iov_base + done;
			iov[k].iov_len -= done;
		}
	}
	return (int)n;
}

static int pipe_batch_recv(struct chan *c, char *const *bufs, size_t cap, unsigned int n,
			   size_t *lens)
{
	unsigned int got = 0;
	size_t off = 0;
	uint32_t flen;

	for (;;) {
		while (got < n && c->rhave - off >= sizeof(flen)) {
			memcpy(&flen, c->rbuf + off, sizeof(flen));
			if (flen > cap)
				return -EMSGSIZE;
			if (c->rhave - off - sizeof(flen) < flen)
				break;
			memcpy(bufs[got], c->rbuf + off + sizeof(flen), flen);
			lens[got++] = flen;
			off += sizeof(flen) + flen;
		}
		if (got)
			break;
		/* Not one whole frame yet: one read, of what is there. */
		for (;;) {
			ssize_t r = read(c->rfd, c->rbuf + c->rhave, c->rcap - c->rhave);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				return -EPIPE;
			c->rhave += (size_t)r;
			break;
		}
	}
	memmove(c->rbuf, c->rbuf + off, c->rhave - off);
	c->rhave -= off;
	return (int)got;
}

const struct peer peer_pipe_batch = {
	.name = "pipe-batch", .open = pipe_batch_open, .send = pipe_send,
	.recv = pipe_recv, .close = pipe_batch_close,
	.send_batch = pipe_batch_send, .recv_batch = pipe_batch_recv,
};

const struct peer peer_pipe = {
	.name = "pipe", .open = pipe_open, .send = pipe_send, .recv = pipe_recv,
	.close = fd_close,
};

const struct peer peer_unix = {
	.name = "unix", .can_mpmc_big = 1, .open = unix_open, .send = unix_send,
	.recv = unix_recv, .close = fd_close,
};

const struct peer peer_mq = {
	.name = "mq", .can_mpmc_big = 1, .open = mq_open_chan, .send = mq_send_chan,
	.recv = mq_recv_chan, .close = mq_close_chan,
};
