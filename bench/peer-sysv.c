// SPDX-License-Identifier: GPL-2.0-only
/*
 * SysV message queues (msgget, msgsnd, msgrcv).  Apart from the other
 * peers: <sys/ipc.h> and libipc's <ipc.h> both define IPC_EXCL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>

#include "bench.h"

/* ---- SysV message queue ------------------------------------------------- */

static void sysv_close(struct chan *c);

static int sysv_open(struct chan *c, char *why, size_t len)
{
	struct msqid_ds ds;
	size_t want = 0;
	long max = proc_long("/proc/sys/kernel/msgmax");

	if (max >= 0 && c->size > (size_t)max) {
		snprintf(why, len, "kernel.msgmax %ld < message", max);
		return -1;
	}
	c->id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (c->id < 0)
		return peer_why(why, len, "%s: %s", "msgget", errno);
	if (!msgctl(c->id, IPC_STAT, &ds)) {
		want = peer_byte_buf(c->size, ds.msg_qbytes);
		ds.msg_qbytes = want;
		/* Above kernel.msgmnb needs CAP_SYS_RESOURCE: else the default. */
		if (msgctl(c->id, IPC_SET, &ds))
			errno = 0;
	}
	if (!msgctl(c->id, IPC_STAT, &ds))
		c->hold = ds.msg_qbytes;
	/* A message larger than the queue would wait for ever. */
	if (c->hold && c->hold < c->size) {
		snprintf(why, len, "msg_qbytes %zu < message (kernel.msgmnb)", c->hold);
		sysv_close(c);
		return -1;
	}
	if (c->hold < want)
		snprintf(c->note, sizeof(c->note), "queue %zu KiB (kernel.msgmnb)", c->hold >> 10);
	return 0;
}

/* The mtype word goes in the headroom before the payload (bench.h). */
static int sysv_send(struct chan *c, const void *buf, size_t len)
{
	long *mtype = (long *)((char *)buf - sizeof(long));

	*mtype = 1;
	while (msgsnd(c->id, mtype, len, 0))
		if (errno != EINTR)
			return -errno;
	return 0;
}

static ssize_t sysv_recv(struct chan *c, void *buf, size_t cap)
{
	void *m = (char *)buf - sizeof(long);
	ssize_t n;

	while ((n = msgrcv(c->id, m, cap, 0, 0)) < 0)
		if (errno != EINTR)
			return -errno;
	return n;
}

static void sysv_close(struct chan *c)
{
	if (c->id >= 0)
		msgctl(c->id, IPC_RMID, NULL);
	c->id = -1;
}

const struct peer peer_sysv = {
	.name = "sysv", .can_mpmc_big = 1, .open = sysv_open, .send = sysv_send,
	.recv = sysv_recv, .close = sysv_close,
};
