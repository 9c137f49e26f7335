// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mailbox object: creation, the name table, permissions, close and
 * destroy, and the file operations of a mailbox handle.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/uaccess.h>

#include "kmbox.h"

static atomic64_t kmbox_next_id = ATOMIC64_INIT(0);

static u32 kmbox_name_hash(const char *name)
{
	return full_name_hash(NULL, name, strlen(name));
}

/* kmbox_names_lock held. */
static struct kmbox *kmbox_find(struct kmbox_ns *ns, const char *name)
{
	struct kmbox *mb;

	hash_for_each_possible(ns->names, mb, name_node, kmbox_name_hash(name))
		if (!strcmp(mb->name, name))
			return mb;
	return NULL;
}

/* kmbox_names_lock held.  Drops the table's reference: the caller's keeps mb. */
static void kmbox_unlink_locked(struct kmbox *mb)
{
	hash_del(&mb->name_node);
	spin_lock(&mb->lock);
	mb->linked = false;
	spin_unlock(&mb->lock);
	refcount_dec(&mb->ref.refcount);
}

/*
 * Unlinks mb and drops the table's reference, which may be the last: for
 * a namespace that is gone.  kmbox_names_lock held.
 */
void kmbox_name_drop(struct kmbox *mb)
{
	kref_get(&mb->ref);
	kmbox_unlink_locked(mb);
	kmbox_put(mb);
}

/*
 * May the caller use mb with this access?  As for mq_open(3): the mode's
 * read bit grants receive, its write bit send; CAP_IPC_OWNER in the user
 * namespace that owns the mailbox's IPC namespace overrides.
 */
int kmbox_permission(const struct kmbox *mb, u32 access)
{
	unsigned int mode = mb->mode;
	unsigned int want = 0;

	if (access & KMBOX_ACCESS_RECV)
		want |= 04;
	if (access & KMBOX_ACCESS_SEND)
		want |= 02;
	if (uid_eq(current_fsuid(), mb->uid))
		mode >>= 6;
	else if (in_group_p(mb->gid))
		mode >>= 3;
	if ((mode & want) == want || kmbox_ns_capable(mb, CAP_IPC_OWNER))
		return 0;
	return -EACCES;
}

/* Unlink and destroy are for the owner, as with mq_unlink(3) and ipcrm(1). */
static int kmbox_owner_permission(const struct kmbox *mb)
{
	if (uid_eq(current_fsuid(), mb->uid) || kmbox_ns_capable(mb, CAP_IPC_OWNER))
		return 0;
	return -EACCES;
}

/*
 * Close needs a handle with send access; a mailbox created with
 * KMBOX_CREATE_OWNER_CLOSE is closed by its owner only, so that a client
 * holding a send handle cannot end a server's mailbox for everyone.
 */
int kmbox_close_permission(const struct kmbox *mb)
{
	return mb->owner_close ? kmbox_owner_permission(mb) : 0;
}

static void kmbox_release(struct kref *ref)
{
	struct kmbox *mb = container_of(ref, struct kmbox, ref);
	struct kmbox_msg *msg, *tmp;

	/* No handle is left, so no one waits: what is queued is plain. */
	WARN_ON(!list_empty(&mb->receivers));
	WARN_ON(!hlist_empty(&mb->calls));
	mutex_lock(&kmbox_all_lock);
	list_del(&mb->all);
	mutex_unlock(&kmbox_all_lock);
	list_for_each_entry_safe(msg, tmp, &mb->queue, link) {
		list_del(&msg->link);
		WARN_ON(msg->sender);
		kmbox_msg_put(msg);
	}
	kmbox_user_uncharge(mb->owner, KMBOX_QUOTA_MAILBOXES, 1);
	kmbox_user_put(mb->owner);
	kmbox_ns_put(mb->ns);
	put_pid(mb->port_pid);
	kfree(mb->name);
	kfree(mb);
}

void kmbox_put(struct kmbox *mb)
{
	kref_put(&mb->ref, kmbox_release);
}

/*
 * A handle's private part, for a file about to be made by the current
 * task (its opener, whose credentials become f_cred).  Takes over the
 * caller's reference to mb on success only.
 */
struct kmbox_handle *kmbox_handle_new(struct kmbox *mb)
{
	const struct cred *cred = current_cred();
	struct kmbox_handle *h;

	h = kmalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h)
		return NULL;
	h->sender = kmbox_user_get(cred->user_ns, cred->euid);
	if (!h->sender) {
		kfree(h);
		return NULL;
	}
	h->mb = mb;
	h->port_owner = false;
	kmbox_calls_init(h);
	return h;
}

/* Drops what a handle holds, its mailbox reference last. */
void kmbox_handle_free(struct kmbox_handle *h)
{
	kmbox_user_put(h->sender);
	kmbox_put(h->mb);
	kfree(h);
}

/*
 * The wake-ups of the wait queues, never under mb->lock: see kmbox.h (no
 * poll key: not every handle sees the change).  A sync wake-up tells the
 * scheduler the waker is about to sleep.
 */
static void kmbox_wake_poll(struct kmbox *mb, bool sync)
{
	if (!wq_has_sleeper(&mb->wq))
		return;
	if (sync)
		wake_up_interruptible_sync(&mb->wq);
	else
		wake_up_interruptible(&mb->wq);
}

/* Close, destroy, end of drain: every poller, peeker and waiting sender. */
void kmbox_wake(struct kmbox *mb)
{
	if (wq_has_sleeper(&mb->wq))
		wake_up_all(&mb->wq);
	if (wq_has_sleeper(&mb->send_wq))
		wake_up_all(&mb->send_wq);
}

/* A message was queued: pollers waiting for input, and peekers. */
void kmbox_wake_msg(struct kmbox *mb, bool sync)
{
	kmbox_wake_poll(mb, sync);
}

/*
 * Room for one message (or, at capacity 0, a receiver waiting): pollers
 * waiting for output, and one sender waiting for room.
 */
void kmbox_wake_room(struct kmbox *mb, bool sync)
{
	kmbox_wake_poll(mb, sync);
	if (!wq_has_sleeper(&mb->send_wq))
		return;
	if (sync)
		wake_up_interruptible_sync(&mb->send_wq);
	else
		wake_up_interruptible(&mb->send_wq);
}

/*
 * A new mailbox in ns with one reference, not yet charged to its owner:
 * the caller charges it (kmbox_charge) once it knows the mailbox will be
 * used, or frees it with kmbox_free_unused.  Takes over the caller's
 * reference to ns, also on failure.
 */
static struct kmbox *kmbox_alloc(const struct kmbox_create *args, const char *name,
				 struct kmbox_ns *ns)
{
	u32 max_msg_size = args->max_msg_size;
	struct kmbox_user *owner;
	struct kmbox *mb;
	int ret;

	owner = kmbox_user_get(current_user_ns(), current_fsuid());
	if (!owner) {
		ret = -ENOMEM;
		goto err_put_ns;
	}
	mb = kzalloc(sizeof(*mb), GFP_KERNEL_ACCOUNT);
	if (!mb) {
		ret = -ENOMEM;
		goto err_put_owner;
	}
	if (name) {
		mb->name = kstrdup(name, GFP_KERNEL_ACCOUNT);
		if (!mb->name) {
			ret = -ENOMEM;
			goto err_free;
		}
	}
	if (!max_msg_size)
		max_msg_size = min(READ_ONCE(kmbox_default_msg_size), kmbox_msg_size_limit());

	kref_init(&mb->ref);
	mb->id = atomic64_inc_return(&kmbox_next_id);
	mb->capacity = args->capacity;
	mb->max_msg_size = max_msg_size;
	mb->mode = args->mode & ~current_umask();
	mb->owner_close = args->flags & KMBOX_CREATE_OWNER_CLOSE;
	mb->create_flags = args->flags & (KMBOX_CREATE_PRIO | KMBOX_CREATE_SELECT |
					  KMBOX_CREATE_OWNER_CLOSE);
	if (args->flags & KMBOX_CREATE_PORT)
		kmbox_port_bind(mb);
	/* What its messages carry: a plain mailbox's pay for no index. */
	if (mb->create_flags & KMBOX_CREATE_SELECT)
		mb->ix = KMBOX_IX_SELECT;
	else if (mb->create_flags & KMBOX_CREATE_PRIO)
		mb->ix = KMBOX_IX_PRIO;
	mb->uid = current_fsuid();
	mb->gid = current_fsgid();
	mb->owner = owner;
	mb->ns = ns;
	spin_lock_init(&mb->lock);
	mb->state = KMBOX_STATE_OPEN;
	INIT_LIST_HEAD(&mb->queue);
	kmbox_ix_init(mb);
	INIT_LIST_HEAD(&mb->receivers);
	INIT_LIST_HEAD(&mb->sleepers);
	init_waitqueue_head(&mb->wq);
	init_waitqueue_head(&mb->send_wq);
	return mb;

err_free:
	kfree(mb);
err_put_owner:
	kmbox_user_put(owner);
err_put_ns:
	kmbox_ns_put(ns);
	return ERR_PTR(ret);
}

static void kmbox_free_unused(struct kmbox *mb)
{
	kmbox_user_put(mb->owner);
	kmbox_ns_put(mb->ns);
	put_pid(mb->port_pid);
	kfree(mb->name);
	kfree(mb);
}

/*
 * Counts mb against its owner's max_mailboxes_per_user, at every level of
 * its user namespace chain, and makes it visible in /proc/kmbox: from here
 * on, kmbox_release undoes both.
 */
static int kmbox_charge(struct kmbox *mb)
{
	if (!kmbox_user_charge(mb->owner, KMBOX_QUOTA_MAILBOXES, 1))
		return -ENOSPC;
	mutex_lock(&kmbox_all_lock);
	list_add_tail(&mb->all, &kmbox_all);
	mutex_unlock(&kmbox_all_lock);
	return 0;
}

/*
 * Creates a mailbox in the caller's IPC namespace, named or not (name
 * NULL), or without KMBOX_CREATE_EXCL opens the existing one of that name
 * there.  Returns 0 with a
 * reference in *mbp, and *created telling which happened.  The new mailbox
 * is allocated before kmbox_names_lock is taken, so that memory reclaim
 * never runs under the lock every name lookup needs.
 */
long kmbox_create(const struct kmbox_create *args, const char *name,
		  struct kmbox **mbp, bool *created)
{
	struct kmbox *mb, *old;
	struct kmbox_ns *ns;
	long ret;

	*created = false;
	ns = kmbox_ns_get();
	if (!ns)
		return -ENOMEM;
	mb = kmbox_alloc(args, name, ns);
	if (IS_ERR(mb))
		return PTR_ERR(mb);
	if (!name) {
		ret = kmbox_charge(mb);
		if (ret)
			goto err_free;
		*created = true;
		*mbp = mb;
		return 0;
	}

	mutex_lock(&kmbox_names_lock);
	old = kmbox_find(ns, name);
	if (old) {
		if (args->flags & KMBOX_CREATE_EXCL)
			ret = -EEXIST;
		else
			ret = kmbox_permission(old, args->access);
		if (ret)
			goto err_unlock;
		kref_get(&old->ref);
		mutex_unlock(&kmbox_names_lock);
		kmbox_free_unused(mb);
		*mbp = old;
		return 0;
	}
	ret = kmbox_charge(mb);
	if (ret)
		goto err_unlock;
	kref_get(&mb->ref);
	mb->linked = true;
	hash_add(ns->names, &mb->name_node, kmbox_name_hash(name));
	mutex_unlock(&kmbox_names_lock);
	*created = true;
	*mbp = mb;
	return 0;

err_unlock:
	mutex_unlock(&kmbox_names_lock);
err_free:
	kmbox_free_unused(mb);
	return ret;
}

/* Takes back the name of a mailbox kmbox_create just made, if still there. */
void kmbox_forget(struct kmbox *mb)
{
	mutex_lock(&kmbox_names_lock);
	if (mb->linked)
		kmbox_unlink_locked(mb);
	mutex_unlock(&kmbox_names_lock);
}

/* Looks name up in the caller's IPC namespace.  kmbox_names_lock held. */
static struct kmbox *kmbox_find_current(const char *name)
{
	struct kmbox_ns *ns = kmbox_ns_current_locked();

	return ns ? kmbox_find(ns, name) : NULL;
}

long kmbox_open_name(const char *name, u32 access, struct kmbox **mbp)
{
	struct kmbox *mb;
	long ret;

	mutex_lock(&kmbox_names_lock);
	mb = kmbox_find_current(name);
	if (!mb) {
		ret = -ENOENT;
		goto out_unlock;
	}
	ret = kmbox_permission(mb, access);
	if (ret)
		goto out_unlock;
	kref_get(&mb->ref);
	*mbp = mb;
out_unlock:
	mutex_unlock(&kmbox_names_lock);
	return ret;
}

long kmbox_unlink_name(const char *name)
{
	struct kmbox *mb;
	long ret;

	mutex_lock(&kmbox_names_lock);
	mb = kmbox_find_current(name);
	if (!mb) {
		ret = -ENOENT;
		goto out_unlock;
	}
	ret = kmbox_owner_permission(mb);
	if (ret)
		goto out_unlock;
	/* Keep mb alive past the table's reference until we unlock. */
	kref_get(&mb->ref);
	kmbox_unlink_locked(mb);
out_unlock:
	mutex_unlock(&kmbox_names_lock);
	if (!ret)
		kmbox_put(mb);
	return ret;
}

/* Wakes every receiver in line to see the new state.  mb->lock held. */
void kmbox_wake_receivers(struct kmbox *mb)
{
	struct kmbox_receiver *rcv;

	list_for_each_entry(rcv, &mb->receivers, link)
		wake_up_process(rcv->task);
}

/*
 * Closing a closed mailbox is an error (EPIPE), as closing a closed channel
 * is in Go: a second closer learns that another one beat it.
 */
long kmbox_close(struct kmbox *mb)
{
	long ret = 0;

	spin_lock(&mb->lock);
	if (mb->state == KMBOX_STATE_DESTROYED) {
		ret = -EIDRM;
	} else if (mb->state == KMBOX_STATE_CLOSED) {
		ret = -EPIPE;
	} else {
		mb->state = KMBOX_STATE_CLOSED;
		kmbox_fail_senders(mb, -EPIPE);
		kmbox_wake_receivers(mb);
	}
	spin_unlock(&mb->lock);
	/* Pollers, senders waiting for room and peekers see the end. */
	if (!ret)
		kmbox_wake(mb);
	return ret;
}

long kmbox_destroy(struct kmbox *mb)
{
	long ret = kmbox_owner_permission(mb);

	return ret ?: kmbox_destroy_unchecked(mb);
}

/*
 * Destroys mb whoever the caller is: for KMBOX_IOC_DESTROY once its
 * permission is checked, and for a port whose owning handle is released.
 * The caller holds a reference to mb.
 */
long kmbox_destroy_unchecked(struct kmbox *mb)
{
	LIST_HEAD(dropped);
	long ret = 0;

	mutex_lock(&kmbox_names_lock);
	spin_lock(&mb->lock);
	if (mb->state == KMBOX_STATE_DESTROYED) {
		ret = -EIDRM;
		goto out_unlock;
	}
	/* The caller's handle keeps mb alive past the table's reference. */
	if (mb->linked) {
		hash_del(&mb->name_node);
		mb->linked = false;
		refcount_dec(&mb->ref.refcount);
	}
	mb->state = KMBOX_STATE_DESTROYED;
	kmbox_fail_senders(mb, -EIDRM);
	kmbox_calls_fail(mb, -EIDRM);
	kmbox_drop_queue(mb, &dropped);
	kmbox_wake_receivers(mb);
out_unlock:
	spin_unlock(&mb->lock);
	mutex_unlock(&kmbox_names_lock);

	kmbox_wake(mb);
	kmbox_put_msgs(&dropped);
	return ret;
}

void kmbox_get_info(struct kmbox *mb, struct kmbox_info *info)
{
	struct user_namespace *ns = current_user_ns();

	info->id = mb->id;
	info->capacity = mb->capacity;
	info->max_msg_size = mb->max_msg_size;
	info->mode = mb->mode;
	info->uid = from_kuid_munged(ns, mb->uid);
	info->gid = from_kgid_munged(ns, mb->gid);
	info->create_flags = mb->create_flags;
	info->port_pid = kmbox_port_pid_vnr(mb);

	spin_lock(&mb->lock);
	if (mb->linked)
		strscpy(info->name, mb->name, sizeof(info->name));
	info->state = mb->state;
	info->msgs = mb->nr_msgs;
	info->bytes = mb->nr_bytes;
	info->charged = mb->nr_charged;
	info->senders_waiting = mb->nr_senders;
	info->receivers_waiting = mb->nr_receivers + mb->nr_peekers;
	info->sent = mb->sent;
	info->received = mb->received;
	info->dropped = mb->dropped;
	info->calls_pending = mb->nr_calls;
	spin_unlock(&mb->lock);
}

static int kmbox_fop_release(struct inode *inode, struct file *file)
{
	struct kmbox_handle *h = file->private_data;

	/* Calls it took and did not answer fail: no one else can reply. */
	kmbox_calls_release(h);
	if (h->port_owner)
		kmbox_port_release(h);
	kmbox_handle_free(h);
	return 0;
}

static bool kmbox_iocb_nonblock(const struct kiocb *iocb)
{
	return (iocb->ki_filp->f_flags & O_NONBLOCK) || (iocb->ki_flags & IOCB_NOWAIT);
}

/* read(2), readv(2): one message, however many buffers it is spread over. */
static ssize_t kmbox_fop_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct kmbox_deadline dl = { .nonblock = kmbox_iocb_nonblock(iocb) };

	/* No sender's ids to report: none looked up. */
	return kmbox_recv(kmbox_file_mbox(iocb->ki_filp), to, false, NULL, &dl,
			  NULL);
}

/*
 * write(2) acts for whoever opened the handle, never for the task that
 * happens to hold it: a handle made the stdout of a set-user-ID program
 * must not get that program's output stamped and charged as root's.
 * It sends as the opener (file->f_cred), and a write from a task whose
 * effective ids are not the opener's is refused, so that the pid stamped
 * (f_cred has none: the writer's) never goes with someone else's ids; the
 * values are compared, as fork() and SCM_RIGHTS give new cred pointers.
 * The SEND ioctl is the deliberate way to send as oneself.
 */
static bool kmbox_writer_is_opener(const struct file *file)
{
	const struct cred *cred = current_cred();

	return uid_eq(cred->euid, file->f_cred->euid) &&
	       gid_eq(cred->egid, file->f_cred->egid);
}

/* write(2), writev(2): all the buffers make one message. */
static ssize_t kmbox_fop_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct kmbox_deadline dl = { .nonblock = kmbox_iocb_nonblock(iocb) };
	size_t len = iov_iter_count(from);
	long ret;

	if (!kmbox_writer_is_opener(iocb->ki_filp))
		return -EPERM;
	ret = kmbox_send(iocb->ki_filp->private_data, from, NULL, false, &dl,
			 iocb->ki_filp->f_cred);
	return ret ? ret : len;
}

static __poll_t kmbox_fop_poll(struct file *file, poll_table *wait)
{
	bool can_recv = file->f_mode & FMODE_READ;
	bool can_send = file->f_mode & FMODE_WRITE;
	struct kmbox *mb = kmbox_file_mbox(file);
	__poll_t mask = 0;
	bool queued;

	poll_wait(file, &mb->wq, wait);

	spin_lock(&mb->lock);
	queued = !list_empty(&mb->queue);
	switch (mb->state) {
	case KMBOX_STATE_DESTROYED:
		mask = EPOLLERR;
		break;
	case KMBOX_STATE_CLOSED:
		if (can_recv && queued)
			mask |= EPOLLIN | EPOLLRDNORM;
		else if (!can_recv || kmbox_drained(mb))
			mask |= EPOLLHUP;
		/*
		 * A send fails at once with EPIPE: it would not block, so a
		 * poller waiting to send must wake and try, even while the
		 * receive side of its handle has messages to drain (as a
		 * socket shut down for writing reports EPOLLOUT).
		 */
		if (can_send)
			mask |= EPOLLOUT | EPOLLWRNORM;
		break;
	default:
		if (can_recv && queued)
			mask |= EPOLLIN | EPOLLRDNORM;
		if (can_send && kmbox_send_ready(mb))
			mask |= EPOLLOUT | EPOLLWRNORM;
		break;
	}
	spin_unlock(&mb->lock);
	return mask;
}

const struct file_operations kmbox_mbox_fops = {
	.owner = THIS_MODULE,
	.release = kmbox_fop_release,
	.read_iter = kmbox_fop_read_iter,
	.write_iter = kmbox_fop_write_iter,
	.poll = kmbox_fop_poll,
	.unlocked_ioctl = kmbox_mbox_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
	.show_fdinfo = kmbox_show_fdinfo,
};
