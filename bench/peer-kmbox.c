// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmbox itself: the module's ioctls, the same mailbox by read/write, and
 * libipc with whichever backend it picked (LIBIPC_BACKEND forces one).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/kmbox.h>

#include "ipc.h"
#include "bench.h"

/* ---- kmbox, raw ioctls and read/write ----------------------------------- */

static int kmbox_open_chan(struct chan *c, char *why, size_t len)
{
	struct kmbox_create cr;
	int ctl, fd;

	ctl = open(KMBOX_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return peer_why(why, len, "%s: %s (the module is not loaded)", KMBOX_DEVICE, errno);
	memset(&cr, 0, sizeof(cr));
	cr.flags = KMBOX_FD_CLOEXEC;
	cr.access = KMBOX_ACCESS_ALL;
	cr.capacity = c->capacity;
	cr.max_msg_size = (__u32)c->size;
	cr.mode = 0600;
	fd = ioctl(ctl, KMBOX_IOC_CREATE, &cr);
	if (fd < 0)
		peer_why(why, len, "%s: %s (module parameter max_msg_size?)", "KMBOX_IOC_CREATE", errno);
	close(ctl);
	if (fd < 0)
		return -1;
	c->rfd = c->wfd = fd;
	return 0;
}

static int kmbox_ioctl_send(struct chan *c, const void *buf, size_t len)
{
	struct kmbox_send s = { .buf = (uintptr_t)buf, .len = len };

	while (ioctl(c->wfd, KMBOX_IOC_SEND, &s))
		if (errno != EINTR)
			return -errno;
	return 0;
}

static ssize_t kmbox_ioctl_recv(struct chan *c, void *buf, size_t cap)
{
	struct kmbox_recv r = { .buf = (uintptr_t)buf, .len = cap };
	int n;

	while ((n = ioctl(c->rfd, KMBOX_IOC_RECV, &r)) < 0)
		if (errno != EINTR)
			return -errno;
	return n;
}

static int kmbox_write(struct chan *c, const void *buf, size_t len)
{
	ssize_t n;

	while ((n = write(c->wfd, buf, len)) < 0)
		if (errno != EINTR)
			return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

static ssize_t kmbox_read(struct chan *c, void *buf, size_t cap)
{
	ssize_t n;

	while ((n = read(c->rfd, buf, cap)) < 0)
		if (errno != EINTR)
			return -errno;
	return n;
}

/* ---- libipc, with the backend it picked (LIBIPC_BACKEND) --------------- */

static int libipc_open(struct chan *c, char *why, size_t len)
{
	struct ipc_attr a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.capacity = c->capacity;
	a.max_msg_size = (uint32_t)c->size;
	a.mode = 0600;
	ret = ipc_create(NULL, &a, IPC_RECV | IPC_SEND, &c->mb);
	if (ret)
		return peer_why(why, len, "%s: %s", "ipc_create", -ret);
	return 0;
}

static int libipc_send(struct chan *c, const void *buf, size_t len)
{
	int ret;

	while ((ret = ipc_send(c->mb, buf, len, NULL, 0)) == -EINTR)
		;
	return ret;
}

static ssize_t libipc_recv(struct chan *c, void *buf, size_t cap)
{
	ssize_t ret;

	while ((ret = ipc_recv(c->mb, buf, cap, NULL, 0, NULL)) == -EINTR)
		;
	return ret;
}

static void libipc_close(struct chan *c)
{
	if (c->mb)
		ipc_release(c->mb);
	c->mb = NULL;
}

/* ---- batched: KMBOX_IOC_SEND_BATCH / RECV_BATCH, ipc_*_batch ---------- */

static int kmbox_batch_send(struct chan *c, char *const *bufs, size_t len, unsigned int n)
{
	struct kmbox_msgvec vec[BENCH_BATCH_MAX];
	struct kmbox_batch b = { .count = n, .vec = (uintptr_t)vec };
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++)
		/* cppcheck-suppress unreadVariable ; the kernel reads it, through b.vec */
		vec[i] = (struct kmbox_msgvec){ .buf = (uintptr_t)bufs[i], .len = len };
	while ((ret = ioctl(c->wfd, KMBOX_IOC_SEND_BATCH, &b)) < 0)
		if (errno != EINTR)
			return -errno;
	return ret;
}

static int kmbox_batch_recv(struct chan *c, char *const *bufs, size_t cap, unsigned int n,
			    size_t *lens)
{
	struct kmbox_msgvec vec[BENCH_BATCH_MAX];
	struct kmbox_batch b = { .count = n, .vec = (uintptr_t)vec };
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++)
		vec[i] = (struct kmbox_msgvec){ .buf = (uintptr_t)bufs[i], .len = cap };
	while ((ret = ioctl(c->rfd, KMBOX_IOC_RECV_BATCH, &b)) < 0)
		if (errno != EINTR)
			return -errno;
	for (i = 0; i < (unsigned int)ret; i++)
		lens[i] = vec[i].len;
	return ret;
}

static int libipc_batch_send(struct chan *c, char *const *bufs, size_t len, unsigned int n)
{
	struct ipc_msgvec vec[BENCH_BATCH_MAX];
	unsigned int i;
	int ret;

	memset(vec, 0, n * sizeof(vec[0]));
	for (i = 0; i < n; i++) {
		vec[i].buf = bufs[i];
		vec[i].len = len;
	}
	while ((ret = ipc_send_batch(c->mb, vec, n, NULL, 0)) == -EINTR)
		;
	return ret;
}

static int libipc_batch_recv(struct chan *c, char *const *bufs, size_t cap, unsigned int n,
			     size_t *lens)
{
	struct ipc_msgvec vec[BENCH_BATCH_MAX];
	unsigned int i;
	int ret;

	memset(vec, 0, n * sizeof(vec[0]));
	for (i = 0; i < n; i++) {
		vec[i].buf = bufs[i];
		vec[i].len = cap;
	}
	while ((ret = ipc_recv_batch(c->mb, vec, n, NULL, 0)) == -EINTR)
		;
	for (i = 0; ret > 0 && i < (unsigned int)ret; i++)
		lens[i] = vec[i].len;
	return ret;
}

/* A kmbox handle is one fd, both ways. */
static void kmbox_close(struct chan *c)
{
	if (c->rfd >= 0)
		close(c->rfd);
	c->rfd = c->wfd = -1;
}

const struct peer peer_kmbox_ioctl = {
	.name = "kmbox-ioctl", .has_capacity = 1, .can_mpmc_big = 1, .open = kmbox_open_chan,
	.send = kmbox_ioctl_send, .recv = kmbox_ioctl_recv, .close = kmbox_close,
};

const struct peer peer_kmbox_rw = {
	.name = "kmbox-rw", .has_capacity = 1, .can_mpmc_big = 1, .open = kmbox_open_chan,
	.send = kmbox_write, .recv = kmbox_read, .close = kmbox_close,
};

const struct peer peer_libipc = {
	.name = "libipc", .has_capacity = 1, .can_mpmc_big = 1, .open = libipc_open,
	.send = libipc_send, .recv = libipc_recv, .close = libipc_close,
};

const struct peer peer_kmbox_batch = {
	.name = "kmbox-batch", .open = kmbox_open_chan, .send = kmbox_ioctl_send,
	.recv = kmbox_ioctl_recv, .close = kmbox_close,
	.send_batch = kmbox_batch_send, .recv_batch = kmbox_batch_recv,
};

const struct peer peer_libipc_batch = {
	.name = "libipc-batch", .open = libipc_open, .send = libipc_send,
	.recv = libipc_recv, .close = libipc_close,
	.send_batch = libipc_batch_send, .recv_batch = libipc_batch_recv,
};

const char *peer_libipc_name(void)
{
	const char *be = ipc_backend();

	if (!be)
		return "libipc-none";
	return strcmp(be, "kernel") != 0 ? "libipc-posix" : "libipc-kernel";
}
