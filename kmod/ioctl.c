// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioctl dispatch: one table for the control device, one for mailbox
 * handles.  Each entry knows its struct's size now and at version 0; the
 * dispatcher copies the caller's struct in with copy_struct_from_user (any
 * size from version 0 up, zero beyond what this module knows), so handlers
 * see a whole kernel-sized struct and only check meaning.
 */
#include <linux/anon_inodes.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "kmbox.h"

union kmbox_ioctl_args {
	struct kmbox_limits limits;
	struct kmbox_create create;
	struct kmbox_open open;
	struct kmbox_unlink unlink;
	struct kmbox_send send;
	struct kmbox_recv recv;
	struct kmbox_info info;
	struct kmbox_destroy_id destroy_id;
	struct kmbox_list list;
	struct kmbox_batch batch;
	struct kmbox_port_open port_open;
	struct kmbox_call call;
	struct kmbox_reply reply;
};

/* Where the caller's struct is, and how big the caller thinks it is. */
struct kmbox_ucopy {
	void __user *ptr;
	size_t size;
};

struct kmbox_ioctl_op {
	size_t size;		/* sizeof the struct in this module */
	size_t min_size;	/* *_SIZE_VER0 */
	/*
	 * The handler checks itself that what it writes back is writable
	 * (the hot paths: SEND writes nothing, RECV a few fields); else the
	 * dispatcher proves the whole struct writable before the call.
	 */
	bool own_output;
	long (*fn)(struct file *file, union kmbox_ioctl_args *args,
		   const struct kmbox_ucopy *u);
};

#define KMBOX_MODE_MASK	(KMBOX_MSG_NONBLOCK | KMBOX_MSG_TIMEOUT | KMBOX_MSG_DEADLINE)
#define KMBOX_FD_MASK	(KMBOX_FD_CLOEXEC | KMBOX_FD_NONBLOCK)
#define KMBOX_CREATE_MASK (KMBOX_FD_MASK | KMBOX_CREATE_EXCL |			\
			   KMBOX_CREATE_OWNER_CLOSE | KMBOX_CREATE_PRIO |	\
			   KMBOX_CREATE_SELECT | KMBOX_CREATE_PORT)
#define KMBOX_RECV_SELECT (KMBOX_RECV_TAG | KMBOX_RECV_TAG_LE | KMBOX_RECV_FROM)

static bool kmbox_nonzero(const void *p, size_t size)
{
	return memchr_inv(p, 0, size);
}

/* Copies the result back, as much of it as the caller's struct holds. */
static int kmbox_copy_out(const struct kmbox_ucopy *u, const void *kbuf, size_t ksize)
{
	return copy_to_user(u->ptr, kbuf, min(u->size, ksize)) ? -EFAULT : 0;
}

/* Copies a name in from userspace and checks it: 1..255 bytes, no '/'. */
static int kmbox_get_name(u64 uptr, char name[KMBOX_NAME_MAX + 1])
{
	long len;

	if (!uptr)
		return -EINVAL;
	len = strncpy_from_user(name, u64_to_user_ptr(uptr), KMBOX_NAME_MAX + 1);
	if (len < 0)
		return len;
	if (len > KMBOX_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len || strchr(name, '/'))
		return -EINVAL;
	return 0;
}

static bool kmbox_access_valid(u32 access)
{
	return access && !(access & ~KMBOX_ACCESS_ALL);
}

static long kmbox_ioc_limits(struct file *file, union kmbox_ioctl_args *args,
			     const struct kmbox_ucopy *u)
{
	struct kmbox_limits *l = &args->limits;

	if (l->flags || kmbox_nonzero(l->__reserved, sizeof(l->__reserved)))
		return -EINVAL;
	kmbox_get_limits(l);
	return kmbox_copy_out(u, l, sizeof(*l));
}

/*
 * Makes the handle for mb in the reserved fd, copies the struct out, then
 * publishes the fd: past fd_install nothing can fail.  Consumes the
 * caller's reference to mb, and on failure takes back a name the call
 * itself created, so that a failed call leaves nothing behind.
 */
static long kmbox_install(int fd, struct kmbox *mb, bool created, u32 access,
			  u32 fdflags, const struct kmbox_ucopy *u,
			  const void *kbuf, size_t ksize)
{
	struct kmbox_handle *h;
	int oflags = 0;
	struct file *file;
	long ret;

	if (access == KMBOX_ACCESS_ALL)
		oflags = O_RDWR;
	else if (access == KMBOX_ACCESS_SEND)
		oflags = O_WRONLY;
	else
		oflags = O_RDONLY;
	if (fdflags & KMBOX_FD_NONBLOCK)
		oflags |= O_NONBLOCK;

	h = kmbox_handle_new(mb);
	if (!h) {
		ret = -ENOMEM;
		goto err_forget;
	}
	/* A port is owned by the handle made with it (port.c). */
	h->port_owner = created && mb->port_pid;
	file = anon_inode_getfile("[kmbox]", &kmbox_mbox_fops, h, oflags);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_free_handle;
	}
	ret = kmbox_copy_out(u, kbuf, ksize);
	if (ret)
		goto err_fput;
	fd_install(fd, file);
	return fd;

err_fput:
	if (created)
		kmbox_forget(mb);
	fput(file);		/* drops our reference through release */
	put_unused_fd(fd);
	return ret;
err_free_handle:
	if (created)
		kmbox_forget(mb);
	kmbox_handle_free(h);	/* and our reference to mb */
	put_unused_fd(fd);
	return ret;
err_forget:
	if (created)
		kmbox_forget(mb);
	kmbox_put(mb);
	put_unused_fd(fd);
	return ret;
}

static int kmbox_get_fd(u32 fdflags)
{
	return get_unused_fd_flags(fdflags & KMBOX_FD_CLOEXEC ? O_CLOEXEC : 0);
}

static long kmbox_ioc_create(struct file *file, union kmbox_ioctl_args *args,
			     const struct kmbox_ucopy *u)
{
	struct kmbox_create *c = &args->create;
	char name[KMBOX_NAME_MAX + 1];
	struct kmbox *mb;
	bool created;
	long ret;
	int fd;

	if (c->flags & ~KMBOX_CREATE_MASK ||
	    !kmbox_access_valid(c->access) ||
	    (c->capacity != KMBOX_CAPACITY_UNBOUNDED &&
	     c->capacity > READ_ONCE(kmbox_max_capacity)) ||
	    c->max_msg_size > kmbox_msg_size_limit() ||
	    c->mode & ~0777U || c->__reserved1 ||
	    kmbox_nonzero(c->__reserved, sizeof(c->__reserved)))
		return -EINVAL;
	if (c->flags & KMBOX_CREATE_PORT) {
		ret = kmbox_port_check_create(c);
		if (ret)
			return ret;
	}
	if (c->name) {
		ret = kmbox_get_name(c->name, name);
		if (ret)
			return ret;
	} else if (c->flags & KMBOX_CREATE_EXCL) {
		return -EINVAL;
	}

	fd = kmbox_get_fd(c->flags);
	if (fd < 0)
		return fd;
	ret = kmbox_create(c, c->name ? name : NULL, &mb, &created);
	if (ret) {
		put_unused_fd(fd);
		return ret;
	}
	c->id = mb->id;
	c->result = created ? KMBOX_CREATE_CREATED : 0;
	return kmbox_install(fd, mb, created, c->access, c->flags, u, c, sizeof(*c));
}

static long kmbox_ioc_open(struct file *file, union kmbox_ioctl_args *args,
			   const struct kmbox_ucopy *u)
{
	struct kmbox_open *o = &args->open;
	char name[KMBOX_NAME_MAX + 1];
	struct kmbox *mb;
	long ret;
	int fd;

	if (o->flags & ~KMBOX_FD_MASK || !kmbox_access_valid(o->access) ||
	    kmbox_nonzero(o->__reserved, sizeof(o->__reserved)))
		return -EINVAL;
	ret = kmbox_get_name(o->name, name);
	if (ret)
		return ret;

	fd = kmbox_get_fd(o->flags);
	if (fd < 0)
		return fd;
	ret = kmbox_open_name(name, o->access, &mb);
	if (ret) {
		put_unused_fd(fd);
		return ret;
	}
	o->id = mb->id;
	return kmbox_install(fd, mb, false, o->access, o->flags, u, o, sizeof(*o));
}

/* A send handle to a port, by its process and id (port.c). */
static long kmbox_ioc_port_open(struct file *file, union kmbox_ioctl_args *args,
				const struct kmbox_ucopy *u)
{
	struct kmbox_port_open *po = &args->port_open;
	struct kmbox *mb;
	long ret;
	int fd;

	if (po->flags & ~KMBOX_FD_MASK || po->access != KMBOX_ACCESS_SEND ||
	    po->__reserved0 || kmbox_nonzero(po->__reserved, sizeof(po->__reserved)))
		return -EINVAL;

	fd = kmbox_get_fd(po->flags);
	if (fd < 0)
		return fd;
	ret = kmbox_port_find(po, &mb);
	if (ret) {
		put_unused_fd(fd);
		return ret;
	}
	return kmbox_install(fd, mb, false, po->access, po->flags, u, po, sizeof(*po));
}

static long kmbox_ioc_unlink(struct file *file, union kmbox_ioctl_args *args,
			     const struct kmbox_ucopy *u)
{
	struct kmbox_unlink *ul = &args->unlink;
	char name[KMBOX_NAME_MAX + 1];
	long ret;

	if (ul->flags || ul->__reserved0 ||
	    kmbox_nonzero(ul->__reserved, sizeof(ul->__reserved)))
		return -EINVAL;
	ret = kmbox_get_name(ul->name, name);
	if (ret)
		return ret;
	return kmbox_unlink_name(name);
}

static long kmbox_ioc_send(struct file *file, union kmbox_ioctl_args *args,
			   const struct kmbox_ucopy *u)
{
	struct kmbox_send *s = &args->send;
	struct kmbox_msg_opts opts = { .prio = s->prio, .tag = s->tag };
	struct kmbox_deadline dl;
	struct iov_iter from;
	long ret;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (s->flags & ~(KMBOX_MODE_MASK | KMBOX_SEND_SYNC) || s->__reserved0 ||
	    kmbox_nonzero(s->__reserved, sizeof(s->__reserved)) ||
	    s->__reserved1 || kmbox_nonzero(s->__reserved2, sizeof(s->__reserved2)))
		return -EINVAL;
	if (!kmbox_msg_opts_valid(kmbox_file_mbox(file)->create_flags, &opts))
		return -EINVAL;
	ret = kmbox_deadline_init(&dl, s->flags & KMBOX_MODE_MASK, s->timeout_ns);
	if (ret)
		return ret;
	if (s->len > KMBOX_MSG_SIZE_CEILING)
		return -EMSGSIZE;
	iov_iter_ubuf(&from, ITER_SOURCE, u64_to_user_ptr(s->buf), s->len);
	return kmbox_send(file->private_data, &from, &opts, s->flags & KMBOX_SEND_SYNC,
			  &dl, current_cred());
}

/*
 * What RECV writes back: len, timeout_ns (as read), pid, uid, gid, and
 * for a caller whose struct holds them (KMBOX_RECV_SIZE_VER1) up to
 * reply_size: the results prio, tag, call, reply_result and reply_size,
 * the inputs and reserved words among them as read.
 */
#define KMBOX_RECV_OUT_START	offsetof(struct kmbox_recv, len)
#define KMBOX_RECV_OUT_END0	offsetofend(struct kmbox_recv, gid)
#define KMBOX_RECV_OUT_END1	offsetofend(struct kmbox_recv, reply_size)

static size_t kmbox_recv_out_end(const struct kmbox_ucopy *u)
{
	return u->size >= KMBOX_RECV_SIZE_VER1 ? KMBOX_RECV_OUT_END1 : KMBOX_RECV_OUT_END0;
}

/*
 * Proves the results [start, end) of the caller's struct at p (a copy of
 * it at k) writable before anything is done, so that a read-only struct
 * fails with EFAULT and consumes nothing.  The results span two pages at
 * most: storing back the bytes just read at their first and last byte
 * costs two stores instead of a copy of the whole struct.  RECV and CALL.
 */
int kmbox_probe_results(void __user *p, const void *k, size_t start, size_t end)
{
	const u8 *kb = k;
	u8 __user *ub = p;

	if (put_user(kb[start], ub + start) || put_user(kb[end - 1], ub + end - 1))
		return -EFAULT;
	return 0;
}

/*
 * Checks RECV's selection and fills ro in: the sender named by want_pid
 * is looked up now, in the caller's pid namespace (a reference the caller
 * drops).  ro->select is 0 without one.
 */
static long kmbox_recv_select(struct file *file, const struct kmbox_recv *r,
			      struct kmbox_recv_opts *ro)
{
	u32 sel = r->flags & KMBOX_RECV_SELECT;
	struct pid *pid;

	memset(ro, 0, sizeof(*ro));
	if (sel && !(kmbox_file_mbox(file)->create_flags & KMBOX_CREATE_SELECT))
		return -EINVAL;
	/* TAG and TAG_LE exclude each other; an input without its flag is bad. */
	if ((sel & (KMBOX_RECV_TAG | KMBOX_RECV_TAG_LE)) ==
	    (KMBOX_RECV_TAG | KMBOX_RECV_TAG_LE) ||
	    (r->want_tag && !(sel & (KMBOX_RECV_TAG | KMBOX_RECV_TAG_LE))))
		return -EINVAL;
	if ((sel & KMBOX_RECV_FROM) ? r->want_pid <= 0 : r->want_pid)
		return -EINVAL;
	ro->select = sel;
	ro->tag = r->want_tag;
	if (!(sel & KMBOX_RECV_FROM))
		return 0;
	rcu_read_lock();
	pid = get_pid(find_vpid(r->want_pid));
	rcu_read_unlock();
	/* A thread's own id, or a process reaped, is no sender. */
	if (!pid || !pid_has_task(pid, PIDTYPE_TGID)) {
		put_pid(pid);
		return -ESRCH;
	}
	ro->pid = pid;
	return 0;
}

static long kmbox_ioc_recv(struct file *file, union kmbox_ioctl_args *args,
			   const struct kmbox_ucopy *u)
{
	struct kmbox_recv *r = &args->recv;
	struct kmbox_recv_result res;
	struct kmbox_recv_opts ro;
	struct kmbox_deadline dl;
	struct iov_iter to;
	long ret;

	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	/* prio, tag, call, reply_result, reply_size: results, ignored as input. */
	if (r->flags & ~(KMBOX_MODE_MASK | KMBOX_RECV_PEEK | KMBOX_RECV_SELECT |
			 KMBOX_RECV_CALL | KMBOX_RECV_REPLY) ||
	    r->__reserved0 || r->__reserved1 ||
	    kmbox_nonzero(r->__reserved, sizeof(r->__reserved)) ||
	    kmbox_nonzero(r->__reserved3, sizeof(r->__reserved3)))
		return -EINVAL;
	/* Selection, CALL and REPLY need the VER1 struct their fields are in. */
	if ((r->flags & (KMBOX_RECV_SELECT | KMBOX_RECV_CALL | KMBOX_RECV_REPLY) &&
	     u->size < KMBOX_RECV_SIZE_VER1) ||
	    (r->flags & KMBOX_RECV_REPLY && !r->reply_call) ||
	    (!(r->flags & KMBOX_RECV_REPLY) &&
	     (r->reply_call || r->reply_buf || r->reply_len)))
		return -EINVAL;
	ret = kmbox_deadline_init(&dl, r->flags & KMBOX_MODE_MASK, r->timeout_ns);
	if (ret)
		return ret;
	ret = kmbox_recv_select(file, r, &ro);
	if (ret)
		return ret;
	ret = kmbox_probe_results(u->ptr, r, KMBOX_RECV_OUT_START,
				  kmbox_recv_out_end(u));
	if (ret)
		goto out;
	r->call = 0;
	r->reply_result = 0;
	r->reply_size = 0;
	if (r->flags & KMBOX_RECV_REPLY) {
		struct kmbox_reply rep = {
			.call = r->reply_call,
			.buf = r->reply_buf,
			.len = r->reply_len,
		};

		/*
		 * A bad reply buffer fails the call before anything is done;
		 * reply_result tells it from a fault after the reply went.
		 */
		ret = kmbox_ioc_reply_args(file, &rep);
		r->reply_result = ret;
		if (ret == -EFAULT) {
			ret = put_user(r->reply_result, (s32 __user *)(u->ptr +
				       offsetof(struct kmbox_recv, reply_result))) ?: -EFAULT;
			goto out;
		}
	}
	/* No message is longer than this: a bigger buffer is as good. */
	iov_iter_ubuf(&to, ITER_DEST, u64_to_user_ptr(r->buf),
		      min_t(u64, r->len, KMBOX_MSG_SIZE_CEILING));
	res.replier = r->flags & KMBOX_RECV_CALL ? file->private_data : NULL;
	ret = kmbox_recv(kmbox_file_mbox(file), &to, r->flags & KMBOX_RECV_PEEK,
			 &ro, &dl, &res);
	if (ret < 0 && ret != -EMSGSIZE) {
		/*
		 * The reply's outcome, whatever became of the receive.  The
		 * probe found it writable: EFAULT only if another thread made
		 * it read-only since.
		 */
		if (r->flags & KMBOX_RECV_REPLY &&
		    put_user(r->reply_result, (s32 __user *)(u->ptr +
			     offsetof(struct kmbox_recv, reply_result))))
			ret = -EFAULT;
		goto out;
	}
	r->len = res.len;
	r->pid = res.pid;
	r->uid = res.uid;
	r->gid = res.gid;
	r->prio = res.prio;
	r->tag = res.tag;
	r->call = res.call;
	r->reply_size = res.reply_size;
	/*
	 * The probe found the results writable.  If another thread took that
	 * away since, the message is still ours: say so by the return value
	 * rather than fail a receive that consumed a message.
	 */
	if (copy_to_user(u->ptr + KMBOX_RECV_OUT_START,
			 (u8 *)r + KMBOX_RECV_OUT_START,
			 kmbox_recv_out_end(u) - KMBOX_RECV_OUT_START) &&
	    ret == -EMSGSIZE)
		ret = -EFAULT;
out:
	put_pid(ro.pid);
	return ret;
}

static long kmbox_ioc_info(struct file *file, union kmbox_ioctl_args *args,
			   const struct kmbox_ucopy *u)
{
	struct kmbox_info *info = &args->info;

	if (info->flags || info->__reserved0 ||
	    kmbox_nonzero(info->__reserved, sizeof(info->__reserved)))
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	if (file->f_mode & FMODE_READ)
		info->access |= KMBOX_ACCESS_RECV;
	if (file->f_mode & FMODE_WRITE)
		info->access |= KMBOX_ACCESS_SEND;
	kmbox_get_info(kmbox_file_mbox(file), info);
	kmbox_get_waiters(kmbox_file_mbox(file), info);
	return kmbox_copy_out(u, info, sizeof(*info));
}

/* Batches (batch.c). */
static long kmbox_ioc_send_batch(struct file *file, union kmbox_ioctl_args *args,
				 const struct kmbox_ucopy *u)
{
	return kmbox_send_batch(file->private_data, file->f_mode, &args->batch);
}

static long kmbox_ioc_recv_batch(struct file *file, union kmbox_ioctl_args *args,
				 const struct kmbox_ucopy *u)
{
	return kmbox_recv_batch(kmbox_file_mbox(file), file->f_mode, &args->batch);
}

/* Calls (call.c). */
static long kmbox_ioc_call(struct file *file, union kmbox_ioctl_args *args,
			   const struct kmbox_ucopy *u)
{
	return kmbox_call(file, &args->call, u->ptr);
}

static long kmbox_ioc_reply(struct file *file, union kmbox_ioctl_args *args,
			    const struct kmbox_ucopy *u)
{
	return kmbox_ioc_reply_args(file, &args->reply);
}

/* Administration by id (admin.c). */
static long kmbox_ioc_stat_id(struct file *file, union kmbox_ioctl_args *args,
			      const struct kmbox_ucopy *u)
{
	long ret = kmbox_admin_stat_id(&args->info);

	return ret ?: kmbox_copy_out(u, &args->info, sizeof(args->info));
}

static long kmbox_ioc_destroy_id(struct file *file, union kmbox_ioctl_args *args,
				 const struct kmbox_ucopy *u)
{
	return kmbox_admin_destroy_id(&args->destroy_id);
}

static long kmbox_ioc_list(struct file *file, union kmbox_ioctl_args *args,
			   const struct kmbox_ucopy *u)
{
	long ret = kmbox_admin_list(&args->list);

	if (ret < 0)
		return ret;
	return kmbox_copy_out(u, &args->list, sizeof(args->list)) ?: ret;
}

/* Control device commands are numbered from 0x00, mailbox ones from 0x10. */
#define KMBOX_DEV_BASE	0x00
#define KMBOX_MBOX_BASE	0x10

#define KMBOX_OP_OUT(_base, _cmd, _fn, _type, _ver0, _own)		\
	[_IOC_NR(_cmd) - (_base)] = {					\
		.size = sizeof(struct _type), .min_size = (_ver0),	\
		.own_output = (_own), .fn = (_fn) }
#define KMBOX_OP(_base, _cmd, _fn, _type, _ver0)			\
	KMBOX_OP_OUT(_base, _cmd, _fn, _type, _ver0, false)

static const struct kmbox_ioctl_op kmbox_dev_ops[] = {
	KMBOX_OP(KMBOX_DEV_BASE, KMBOX_IOC_LIMITS, kmbox_ioc_limits,
		 kmbox_limits, KMBOX_LIMITS_SIZE_VER0),
	KMBOX_OP(KMBOX_DEV_BASE, KMBOX_IOC_CREATE, kmbox_ioc_create,
		 kmbox_create, KMBOX_CREATE_SIZE_VER0),
	KMBOX_OP(KMBOX_DEV_BASE, KMBOX_IOC_OPEN, kmbox_ioc_open,
		 kmbox_open, KMBOX_OPEN_SIZE_VER0),
	KMBOX_OP(KMBOX_DEV_BASE, KMBOX_IOC_UNLINK, kmbox_ioc_unlink,
		 kmbox_unlink, KMBOX_UNLINK_SIZE_VER0),
	KMBOX_OP(KMBOX_DEV_BASE, KMBOX_IOC_STAT_ID, kmbox_ioc_stat_id,
		 kmbox_info, KMBOX_INFO_SIZE_VER0),
	KMBOX_OP(KMBOX_DEV_BASE, KMBOX_IOC_DESTROY_ID, kmbox_ioc_destroy_id,
		 kmbox_destroy_id, KMBOX_DESTROY_ID_SIZE_VER0),
	KMBOX_OP(KMBOX_DEV_BASE, KMBOX_IOC_LIST, kmbox_ioc_list,
		 kmbox_list, KMBOX_LIST_SIZE_VER0),
	KMBOX_OP(KMBOX_DEV_BASE, KMBOX_IOC_PORT_OPEN, kmbox_ioc_port_open,
		 kmbox_port_open, KMBOX_PORT_OPEN_SIZE_VER0),
};

static const struct kmbox_ioctl_op kmbox_mbox_ops[] = {
	KMBOX_OP_OUT(KMBOX_MBOX_BASE, KMBOX_IOC_SEND, kmbox_ioc_send,
		     kmbox_send, KMBOX_SEND_SIZE_VER0, true),
	KMBOX_OP_OUT(KMBOX_MBOX_BASE, KMBOX_IOC_RECV, kmbox_ioc_recv,
		     kmbox_recv, KMBOX_RECV_SIZE_VER0, true),
	KMBOX_OP(KMBOX_MBOX_BASE, KMBOX_IOC_INFO, kmbox_ioc_info,
		 kmbox_info, KMBOX_INFO_SIZE_VER0),
	/* Their results go in the entries, which they check themselves. */
	KMBOX_OP_OUT(KMBOX_MBOX_BASE, KMBOX_IOC_SEND_BATCH, kmbox_ioc_send_batch,
		     kmbox_batch, KMBOX_BATCH_SIZE_VER0, true),
	KMBOX_OP_OUT(KMBOX_MBOX_BASE, KMBOX_IOC_RECV_BATCH, kmbox_ioc_recv_batch,
		     kmbox_batch, KMBOX_BATCH_SIZE_VER0, true),
	/* CALL probes its results; REPLY, as SEND, writes nothing back. */
	KMBOX_OP_OUT(KMBOX_MBOX_BASE, KMBOX_IOC_CALL, kmbox_ioc_call,
		     kmbox_call, KMBOX_CALL_SIZE_VER0, true),
	KMBOX_OP_OUT(KMBOX_MBOX_BASE, KMBOX_IOC_REPLY, kmbox_ioc_reply,
		     kmbox_reply, KMBOX_REPLY_SIZE_VER0, true),
};

static long kmbox_dispatch(const struct kmbox_ioctl_op *ops, unsigned int nops,
			   unsigned int base, struct file *file,
			   unsigned int cmd, unsigned long arg)
{
	const struct kmbox_ioctl_op *op;
	union kmbox_ioctl_args args;
	struct kmbox_ucopy u;
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	if (_IOC_TYPE(cmd) != KMBOX_IOC_MAGIC ||
	    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE) ||
	    nr < base || nr - base >= nops || !ops[nr - base].fn)
		return -ENOTTY;
	op = &ops[nr - base];
	u.ptr = (void __user *)arg;
	u.size = _IOC_SIZE(cmd);
	if (u.size < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(&args, op->size, u.ptr, u.size);
	if (ret)
		return ret;
	/*
	 * A command that writes its struct back must find out now whether it
	 * can, before anything changes, so that a read-only struct fails with
	 * EFAULT and leaves no mailbox created nor message consumed.
	 */
	if (!op->own_output) {
		ret = kmbox_copy_out(&u, &args, op->size);
		if (ret)
			return ret;
	}
	return op->fn(file, &args, &u);
}

long kmbox_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return kmbox_dispatch(kmbox_dev_ops, ARRAY_SIZE(kmbox_dev_ops), KMBOX_DEV_BASE,
			      file, cmd, arg);
}

long kmbox_mbox_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	int ret;

	switch (cmd) {
	case KMBOX_IOC_CLOSE:
		if (arg)
			return -EINVAL;
		if (!(file->f_mode & FMODE_WRITE))
			return -EBADF;
		ret = kmbox_close_permission(kmbox_file_mbox(file));
		if (ret)
			return ret;
		return kmbox_close(kmbox_file_mbox(file));
	case KMBOX_IOC_DESTROY:
		if (arg)
			return -EINVAL;
		return kmbox_destroy(kmbox_file_mbox(file));
	}
	return kmbox_dispatch(kmbox_mbox_ops, ARRAY_SIZE(kmbox_mbox_ops), KMBOX_MBOX_BASE,
			      file, cmd, arg);
}
