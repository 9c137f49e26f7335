// SPDX-License-Identifier: GPL-2.0-only
/*
 * Message storage: how a message's header and payload are allocated,
 * filled, copied out, charged and freed.  msg.c decides where messages go;
 * this file alone knows how they are laid out.
 */
#include <linux/cred.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "kmbox.h"

/* What a message costs its sender's quota: payload plus bookkeeping. */
size_t kmbox_msg_charge(size_t len)
{
	return len + sizeof(struct kmbox_msg);
}

struct kmbox_msg *kmbox_msg_new(struct iov_iter *from, size_t len,
				const struct cred *cred)
{
	struct kmbox_user *user;
	struct kmbox_msg *msg;
	int ret;

	/* The sender's euid, charged up its user namespace chain. */
	user = kmbox_user_get(cred->user_ns, cred->euid);
	if (!user)
		return ERR_PTR(-ENOMEM);
	if (!kmbox_user_charge(user, KMBOX_QUOTA_BYTES, kmbox_msg_charge(len))) {
		ret = -ENOBUFS;
		goto err_put_user;
	}
	msg = kvmalloc(struct_size(msg, data, len), GFP_KERNEL_ACCOUNT);
	if (!msg) {
		ret = -ENOMEM;
		goto err_uncharge;
	}
	if (!copy_from_iter_full(msg->data, len, from)) {
		ret = -EFAULT;
		goto err_free;
	}
	refcount_set(&msg->ref, 1);
	msg->inflight = false;
	msg->withdrawn = false;
	msg->sender = NULL;
	msg->user = user;
	/* f_cred holds no pid: a write's pid is the writer's, of the opener's ids. */
	msg->pid = get_pid(task_tgid(current));
	msg->uid = cred->euid;
	msg->gid = cred->egid;
	msg->len = len;
	return msg;

err_free:
	kvfree(msg);
err_uncharge:
	kmbox_user_uncharge(user, KMBOX_QUOTA_BYTES, kmbox_msg_charge(len));
err_put_user:
	kmbox_user_put(user);
	return ERR_PTR(ret);
}

/* Never under kmbox.lock: the last put frees. */
void kmbox_msg_put(struct kmbox_msg *msg)
{
	if (!refcount_dec_and_test(&msg->ref))
		return;
	kmbox_user_uncharge(msg->user, KMBOX_QUOTA_BYTES, kmbox_msg_charge(msg->len));
	kmbox_user_put(msg->user);
	put_pid(msg->pid);
	kvfree(msg);
}

/*
 * Copies msg's payload out; returns the bytes copied, short on a fault, as
 * copy_to_iter does.  Safe with page faults disabled (pagefault_disable(),
 * under a spinlock): it then never sleeps, and a fault makes it short.
 */
size_t kmbox_msg_copy_to(const struct kmbox_msg *msg, struct iov_iter *to)
{
	return copy_to_iter(msg->data, msg->len, to);
}
