/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The raw layer: one inline per kmbox ioctl, returning what the ioctl
 * returned (0, a length, a new fd) or -errno.  Nothing here interprets
 * anything; backend-kernel.c is built on top (as liburing's syscall.h
 * keeps the system calls apart from its API).
 */
#ifndef LIBIPC_RAW_H
#define LIBIPC_RAW_H

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kmbox.h>

/*
 * The structs this library is built with, at the ABI version each names.
 * A module older than a struct takes it all the same (it reads its own
 * part and finds the rest zero): the features from KMBOX_IOC_LIMITS say
 * which of the newer fields and commands the module has.
 */
static_assert(sizeof(struct kmbox_limits) == KMBOX_LIMITS_SIZE_VER1, "kmbox_limits");
static_assert(sizeof(struct kmbox_create) == KMBOX_CREATE_SIZE_VER1, "kmbox_create");
static_assert(sizeof(struct kmbox_open) == KMBOX_OPEN_SIZE_VER0, "kmbox_open");
static_assert(sizeof(struct kmbox_unlink) == KMBOX_UNLINK_SIZE_VER0, "kmbox_unlink");
static_assert(sizeof(struct kmbox_send) == KMBOX_SEND_SIZE_VER1, "kmbox_send");
static_assert(sizeof(struct kmbox_recv) == KMBOX_RECV_SIZE_VER1, "kmbox_recv");
static_assert(sizeof(struct kmbox_info) == KMBOX_INFO_SIZE_VER2, "kmbox_info");
static_assert(sizeof(struct kmbox_destroy_id) == KMBOX_DESTROY_ID_SIZE_VER0,
	      "kmbox_destroy_id");
static_assert(sizeof(struct kmbox_list) == KMBOX_LIST_SIZE_VER0, "kmbox_list");
static_assert(sizeof(struct kmbox_batch) == KMBOX_BATCH_SIZE_VER0, "kmbox_batch");
static_assert(sizeof(struct kmbox_msgvec) == KMBOX_MSGVEC_SIZE, "kmbox_msgvec");
static_assert(sizeof(struct kmbox_port_open) == KMBOX_PORT_OPEN_SIZE_VER0, "kmbox_port_open");
static_assert(sizeof(struct kmbox_call) == KMBOX_CALL_SIZE_VER0, "kmbox_call");
static_assert(sizeof(struct kmbox_reply) == KMBOX_REPLY_SIZE_VER0, "kmbox_reply");

static inline int kmbox_raw_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* The control device: a new fd or -errno. */
static inline int kmbox_raw_dev_open(void)
{
	int fd = open(KMBOX_DEVICE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int kmbox_raw_limits(int dev, struct kmbox_limits *l)
{
	return kmbox_raw_ioctl(dev, KMBOX_IOC_LIMITS, (unsigned long)l);
}

/* Returns the new handle's fd. */
static inline int kmbox_raw_create(int dev, struct kmbox_create *c)
{
	return kmbox_raw_ioctl(dev, KMBOX_IOC_CREATE, (unsigned long)c);
}

/* Returns the new handle's fd. */
static inline int kmbox_raw_open(int dev, struct kmbox_open *o)
{
	return kmbox_raw_ioctl(dev, KMBOX_IOC_OPEN, (unsigned long)o);
}

static inline int kmbox_raw_unlink(int dev, struct kmbox_unlink *u)
{
	return kmbox_raw_ioctl(dev, KMBOX_IOC_UNLINK, (unsigned long)u);
}

/* KMBOX_FEATURE_ADMIN: i->id in, the rest out. */
static inline int kmbox_raw_stat_id(int dev, struct kmbox_info *i)
{
	return kmbox_raw_ioctl(dev, KMBOX_IOC_STAT_ID, (unsigned long)i);
}

/* KMBOX_FEATURE_ADMIN */
static inline int kmbox_raw_destroy_id(int dev, struct kmbox_destroy_id *d)
{
	return kmbox_raw_ioctl(dev, KMBOX_IOC_DESTROY_ID, (unsigned long)d);
}

/* KMBOX_FEATURE_ADMIN: returns how many ids were stored. */
static inline int kmbox_raw_list(int dev, struct kmbox_list *l)
{
	return kmbox_raw_ioctl(dev, KMBOX_IOC_LIST, (unsigned long)l);
}

/* KMBOX_FEATURE_PORT: returns the new send handle's fd. */
static inline int kmbox_raw_port_open(int dev, struct kmbox_port_open *p)
{
	return kmbox_raw_ioctl(dev, KMBOX_IOC_PORT_OPEN, (unsigned long)p);
}

/*
 * The command cmd with another struct size: a caller that uses only a
 * struct's first version passes that size, and the module copies (and
 * checks) that much, no more.
 */
#define KMBOX_RAW_CMD_SIZED(cmd, size)					\
	(((cmd) & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |	\
	 ((unsigned long)(size) << _IOC_SIZESHIFT))

static inline int kmbox_raw_send(int fd, struct kmbox_send *s)
{
	return kmbox_raw_ioctl(fd, KMBOX_IOC_SEND, (unsigned long)s);
}

/* SEND with only the KMBOX_SEND_SIZE_VER0 part of *s (prio and tag 0). */
static inline int kmbox_raw_send_ver0(int fd, struct kmbox_send *s)
{
	return kmbox_raw_ioctl(fd, KMBOX_RAW_CMD_SIZED(KMBOX_IOC_SEND, KMBOX_SEND_SIZE_VER0),
			       (unsigned long)s);
}

/* Returns the message length; r->len is the size needed on -EMSGSIZE. */
static inline int kmbox_raw_recv(int fd, struct kmbox_recv *r)
{
	return kmbox_raw_ioctl(fd, KMBOX_IOC_RECV, (unsigned long)r);
}

/* RECV with only the KMBOX_RECV_SIZE_VER0 part of *r (no selection, no call). */
static inline int kmbox_raw_recv_ver0(int fd, struct kmbox_recv *r)
{
	return kmbox_raw_ioctl(fd, KMBOX_RAW_CMD_SIZED(KMBOX_IOC_RECV, KMBOX_RECV_SIZE_VER0),
			       (unsigned long)r);
}

/* KMBOX_FEATURE_BATCH: returns how many messages were sent. */
static inline int kmbox_raw_send_batch(int fd, struct kmbox_batch *b)
{
	return kmbox_raw_ioctl(fd, KMBOX_IOC_SEND_BATCH, (unsigned long)b);
}

/* KMBOX_FEATURE_BATCH: returns how many messages were received. */
static inline int kmbox_raw_recv_batch(int fd, struct kmbox_batch *b)
{
	return kmbox_raw_ioctl(fd, KMBOX_IOC_RECV_BATCH, (unsigned long)b);
}

/* KMBOX_FEATURE_CALL: returns the reply's length. */
static inline int kmbox_raw_call(int fd, struct kmbox_call *c)
{
	return kmbox_raw_ioctl(fd, KMBOX_IOC_CALL, (unsigned long)c);
}

/* KMBOX_FEATURE_CALL */
static inline int kmbox_raw_reply(int fd, struct kmbox_reply *r)
{
	return kmbox_raw_ioctl(fd, KMBOX_IOC_REPLY, (unsigned long)r);
}

static inline int kmbox_raw_info(int fd, struct kmbox_info *i)
{
	return kmbox_raw_ioctl(fd, KMBOX_IOC_INFO, (unsigned long)i);
}

static inline int kmbox_raw_close(int fd)
{
	return kmbox_raw_ioctl(fd, KMBOX_IOC_CLOSE, 0);
}

static inline int kmbox_raw_destroy(int fd)
{
	return kmbox_raw_ioctl(fd, KMBOX_IOC_DESTROY, 0);
}

#endif /* LIBIPC_RAW_H */
