// SPDX-License-Identifier: GPL-2.0-only
/*
 * Remote procedure call over one mailbox (issue 13): the client's request
 * and the wait for its reply are one call, the server's reply and its
 * receive of the next request are one call.
 *
 *   kmbox-call   raw ioctls: KMBOX_IOC_CALL; KMBOX_IOC_RECV with
 *                KMBOX_RECV_CALL | KMBOX_RECV_REPLY (the first receive
 *                without KMBOX_RECV_REPLY, the last reply KMBOX_IOC_REPLY)
 *   libipc-call  ipc_call and ipc_reply_recv (ipc_reply for the last),
 *                on whichever backend libipc picked
 *
 * So a round trip is, by construction, one system call on each side; the
 * ptrace pass counts them (report.c prints the client's and the
 * server's).  These peers only make round trips (rtt-1, rtt-x).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/kmbox.h>

#include "ipc.h"
#include "bench.h"

/* Opens as kmbox-ioctl and libipc do (peer-kmbox.c). */
static int call_open_kmbox(struct chan *c, char *why, size_t len)
{
	return peer_kmbox_ioctl.open(c, why, len);
}

static int call_open_libipc(struct chan *c, char *why, size_t len)
{
	return peer_libipc.open(c, why, len);
}

static void call_close_kmbox(struct chan *c)
{
	peer_kmbox_ioctl.close(c);
}

static void call_close_libipc(struct chan *c)
{
	peer_libipc.close(c);
}

/* ---- raw ioctls ------------------------------------------------------- */

static ssize_t kmbox_call(struct chan *c, const void *req, size_t len, void *reply, size_t cap)
{
	struct kmbox_call k = {
		.buf = (uintptr_t)req, .len = len,
		.reply_buf = (uintptr_t)reply, .reply_len = cap,
	};
	int n;

	/* No restart after EINTR once received: the bench sends no signals. */
	n = ioctl(c->wfd, KMBOX_IOC_CALL, &k);
	return n < 0 ? -errno : n;
}

/*
 * Reply to c->call (if any) with rep, then receive the next call into
 * buf: its length, or -errno; a failed reply is a failure here too.
 */
static ssize_t kmbox_reply_recv(struct chan *c, const void *rep, size_t rlen, void *buf,
				size_t cap)
{
	struct kmbox_recv r = {
		.flags = KMBOX_RECV_CALL, .buf = (uintptr_t)buf, .len = cap,
	};
	int n;

	if (c->call) {
		r.flags |= KMBOX_RECV_REPLY;
		r.reply_call = c->call;
		r.reply_buf = (uintptr_t)rep;
		r.reply_len = rlen;
	}
	while ((n = ioctl(c->rfd, KMBOX_IOC_RECV, &r)) < 0)
		if (errno != EINTR)
			return -errno;
	if (c->call && r.reply_result)
		return r.reply_result;
	c->call = r.call;
	if (!c->call)
		return -EPROTO;		/* a plain message: not what the client sent */
	return n;
}

static int kmbox_reply(struct chan *c, const void *rep, size_t rlen)
{
	struct kmbox_reply k = { .call = c->call, .buf = (uintptr_t)rep, .len = rlen };

	c->call = 0;
	return ioctl(c->rfd, KMBOX_IOC_REPLY, &k) ? -errno : 0;
}

/* ---- libipc ----------------------------------------------------------- */

static ssize_t libipc_call(struct chan *c, const void *req, size_t len, void *reply, size_t cap)
{
	return ipc_call(c->mb, req, len, reply, cap, NULL, 0, NULL);
}

static ssize_t libipc_reply_recv(struct chan *c, const void *rep, size_t rlen, void *buf,
				 size_t cap)
{
	struct ipc_recvopt opt;
	int result = 0;
	ssize_t n;

	memset(&opt, 0, sizeof(opt));
	opt.flags = IPC_SEL_CALLS;
	while ((n = ipc_reply_recv(c->mb, c->call, rep, rlen, &result, buf, cap, NULL, 0, NULL,
				   &opt)) == -EINTR)
		;
	if (n >= 0 && result)
		return result;
	if (n < 0)
		return n;
	c->call = opt.call;
	return c->call ? n : -EPROTO;
}

static int libipc_reply(struct chan *c, const void *rep, size_t rlen)
{
	uint64_t call = c->call;

	c->call = 0;
	return ipc_reply(c->mb, call, rep, rlen);
}

const struct peer peer_kmbox_call = {
	.name = "kmbox-call", .open = call_open_kmbox, .close = call_close_kmbox,
	.call = kmbox_call, .reply_recv = kmbox_reply_recv, .reply = kmbox_reply,
};

const struct peer peer_libipc_call = {
	.name = "libipc-call", .open = call_open_libipc, .close = call_close_libipc,
	.call = libipc_call, .reply_recv = libipc_reply_recv, .reply = libipc_reply,
};
