// SPDX-License-Identifier: GPL-2.0-only
/*
 * Calls: a request that must be taken, answered through a one-shot reply
 * slot, as binder transactions, QNX MsgSend/MsgReply and seL4 Call/ReplyRecv.
 *
 * The caller allocates a slot and sends its request as a KMBOX_SEND_SYNC
 * message pointing to it (kmbox_send_call), then sleeps in the same system
 * call until the slot is answered or failed (kmbox_call_wait).  Until a
 * receiver takes the request, a timeout, signal, close or destroy
 * withdraws it as for any synchronous send.  A receiver that takes it with
 * KMBOX_RECV_CALL registers the slot in its handle's table under a new
 * reply id (kmbox_call_taken), without waking the caller: the caller
 * sleeps on until the reply, which saves a context switch per call.  A
 * receiver without KMBOX_RECV_CALL cannot reply: the call is failed with
 * ECONNRESET at once.
 *
 * The reply is a message like any, allocated, filled and charged to the
 * replier outside the lock, attached to the slot under it; the caller is
 * woken after the unlock and copies it out in its own context.  Its
 * buffer was faulted in (proven writable) before the request went out.
 *
 * The slot outlives either side: a caller that stops waiting after receipt
 * (timeout, signal, kill) marks it abandoned, and the server's late reply
 * finds it so (ECONNRESET); a server handle released with calls pending
 * fails them with ECONNRESET (kmbox_calls_release); destroy fails them
 * with EIDRM.  Everything here is under the mailbox's lock: the taking
 * handle belongs to the same mailbox.
 */
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/pagemap.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "kmbox.h"

enum kmbox_call_state {
	KMBOX_CALL_SENT,	/* not taken yet: withdrawn as a sync send */
	KMBOX_CALL_PENDING,	/* taken, in a handle's table, caller waits */
	KMBOX_CALL_ANSWERED,	/* reply attached, or failed with error */
	KMBOX_CALL_ABANDONED,	/* taken, caller gone: a reply is refused */
};

/*
 * The reply slot of one call.  Everything but ref is under the lock of the
 * mailbox the call went through.
 */
struct kmbox_call_slot {
	refcount_t ref;
	enum kmbox_call_state state;
	bool received;			/* a receiver took the request */
	int error;			/* ANSWERED: 0, or why it failed */
	struct task_struct *task;	/* the caller, while it waits */
	/* SENT: the caller's entry among the mailbox's blocked senders */
	struct kmbox_sleeper *sleeper;
	struct kmbox_msg *reply;	/* ANSWERED with 0: the reply */
	size_t reply_size;		/* the caller's reply buffer */
	u64 id;				/* reply id in the taking handle */
	struct hlist_node node;		/* in that handle's calls, by id */
	struct hlist_node pending;	/* PENDING: in kmbox.calls */
};

static void kmbox_call_put(struct kmbox_call_slot *slot)
{
	if (!refcount_dec_and_test(&slot->ref))
		return;
	if (slot->reply)
		kmbox_msg_put(slot->reply);
	kfree(slot);
}

void kmbox_calls_init(struct kmbox_handle *h)
{
	hash_init(h->calls);
	h->next_call = 0;
}

/* mb->lock held. */
static struct kmbox_call_slot *kmbox_call_find(struct kmbox_handle *h, u64 id)
{
	struct kmbox_call_slot *slot;

	hash_for_each_possible(h->calls, slot, node, id)
		if (slot->id == id)
			return slot;
	return NULL;
}

/* A pending call leaves kmbox.calls.  mb->lock held. */
static void kmbox_call_unpend(struct kmbox *mb, struct kmbox_call_slot *slot)
{
	hlist_del(&slot->pending);
	mb->nr_calls--;
}

/*
 * Ends a call with error, waking its caller now (w NULL, a rare path) or
 * after the unlock.  mb->lock held.
 */
static void kmbox_call_fail(struct kmbox_call_slot *slot, int error,
			    struct kmbox_wakes *w)
{
	slot->state = KMBOX_CALL_ANSWERED;
	slot->error = error;
	kmbox_wake_task(slot->task, w);
}

/*
 * A receiver commits to msg, a call's request: as the handle res names, it
 * may reply; with no such handle (read(2), RECV_BATCH, a RECV without
 * KMBOX_RECV_CALL) no one can, and the call fails.  The caller, who no
 * longer waits for the message to be taken but for the slot, sleeps on.
 * mb->lock held.
 */
void kmbox_call_taken(struct kmbox *mb, struct kmbox_msg *msg,
		      struct kmbox_recv_result *res, struct kmbox_wakes *w)
{
	struct kmbox_call_slot *slot = msg->call;
	struct kmbox_handle *h = res ? res->replier : NULL;

	msg->sender = NULL;
	slot->received = true;
	/* Its caller waits for the reply now, no longer as a sender. */
	if (slot->sleeper) {
		kmbox_sleeper_del(mb, slot->sleeper);
		slot->sleeper = NULL;
	}
	/*
	 * Destroy failed the calls pending and the requests queued; one a
	 * receiver held meanwhile (copying it, or handed it) ends here.
	 */
	if (!h || mb->state == KMBOX_STATE_DESTROYED) {
		kmbox_call_fail(slot, h ? -EIDRM : -ECONNRESET, w);
		return;
	}
	refcount_inc(&slot->ref);
	slot->state = KMBOX_CALL_PENDING;
	slot->id = ++h->next_call;
	hash_add(h->calls, &slot->node, slot->id);
	hlist_add_head(&slot->pending, &mb->calls);
	mb->nr_calls++;
	res->call = slot->id;
	res->reply_size = slot->reply_size;
}

/*
 * The caller's wait, after its request was delivered: until the call is
 * answered or failed, or until the caller stops waiting.  Before a
 * receiver takes the request this is a sync send's wait (the request is
 * withdrawn on timeout or signal, or by close and destroy); after, the
 * caller gives up the slot, and a signal ends the call with EINTR, never
 * a restart, which would send the request again.  The wake-ups w holds
 * are done as the caller goes to sleep.  mb->lock held.
 */
long kmbox_call_wait(struct kmbox *mb, struct kmbox_msg *msg,
		     struct kmbox_sender *sender, const struct kmbox_deadline *dl,
		     struct kmbox_wakes *w)
{
	struct kmbox_call_slot *slot = msg->call;
	struct kmbox_sleeper sl;
	bool sent;
	long ret;

	for (;;) {
		/* Failed before it was taken: closed or destroyed. */
		if (sender->result < 0)
			return sender->result;
		if (slot->state == KMBOX_CALL_ANSWERED)
			return slot->error;
		sent = slot->state == KMBOX_CALL_SENT;
		ret = kmbox_may_sleep(dl);
		if (ret && sent) {
			kmbox_withdraw(mb, msg, 0);
			return ret;
		}
		if (ret) {
			kmbox_call_unpend(mb, slot);
			slot->state = KMBOX_CALL_ABANDONED;
			slot->task = NULL;
			return ret == -ERESTARTSYS ? -EINTR : ret;
		}
		set_current_state(TASK_INTERRUPTIBLE);
		/* Waiting for a receiver is sending; for the reply it is not. */
		if (sent) {
			kmbox_sleeper_add(mb, &sl, true);
			slot->sleeper = &sl;
		}
		kmbox_sleep(mb, dl, w);
		/* Unless the receiver that took the request removed it. */
		if (slot->sleeper) {
			kmbox_sleeper_del(mb, slot->sleeper);
			slot->sleeper = NULL;
		}
	}
}

/*
 * Fails every call taken and not answered with result (destroy): their
 * callers wake; the slots stay in their handles' tables until a reply or
 * the handle's release finds them.  mb->lock held.
 */
void kmbox_calls_fail(struct kmbox *mb, int result)
{
	struct kmbox_call_slot *slot;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(slot, tmp, &mb->calls, pending) {
		kmbox_call_unpend(mb, slot);
		kmbox_call_fail(slot, result, NULL);
	}
}

/*
 * The handle is going away: the calls it took can no longer be answered.
 * Their callers fail with ECONNRESET.  No call goes through h any more,
 * so its table changes no more but here.
 */
void kmbox_calls_release(struct kmbox_handle *h)
{
	struct kmbox_call_slot *slot;
	struct kmbox *mb = h->mb;
	struct hlist_node *tmp;
	HLIST_HEAD(dead);
	int bkt;

	if (hash_empty(h->calls))
		return;
	spin_lock(&mb->lock);
	hash_for_each_safe(h->calls, bkt, tmp, slot, node) {
		hash_del(&slot->node);
		if (slot->state == KMBOX_CALL_PENDING) {
			kmbox_call_unpend(mb, slot);
			kmbox_call_fail(slot, -ECONNRESET, NULL);
		}
		hlist_add_head(&slot->node, &dead);
	}
	spin_unlock(&mb->lock);
	hlist_for_each_entry_safe(slot, tmp, &dead, node)
		kmbox_call_put(slot);
}

/*
 * Answers call id, taken through h, with the message at from, sent as
 * cred.  The reply is made before the lock is taken, for the caller's
 * buffer size is known only under it: a reply refused is freed again.
 */
long kmbox_reply(struct kmbox_handle *h, u64 id, struct iov_iter *from,
		 const struct cred *cred)
{
	size_t len = iov_iter_count(from);
	struct kmbox_call_slot *slot, *put = NULL;
	struct task_struct *task = NULL;
	struct kmbox *mb = h->mb;
	struct kmbox_msg *msg = NULL;
	long ret = 0;

	if (len <= mb->max_msg_size) {
		/* A reply is never queued: it needs no index entries. */
		msg = kmbox_msg_new(from, len, KMBOX_IX_NONE, h->sender, cred);
		if (IS_ERR(msg))
			return PTR_ERR(msg);
	}

	spin_lock(&mb->lock);
	slot = kmbox_call_find(h, id);
	if (mb->state == KMBOX_STATE_DESTROYED) {
		ret = -EIDRM;
	} else if (!slot) {
		ret = -ENOENT;
	} else if (slot->state != KMBOX_CALL_PENDING) {
		/* Its caller gave up: the id is spent. */
		hash_del(&slot->node);
		put = slot;
		ret = -ECONNRESET;
	} else if (!msg || len > slot->reply_size) {
		ret = -EMSGSIZE;
	} else {
		hash_del(&slot->node);
		kmbox_call_unpend(mb, slot);
		slot->state = KMBOX_CALL_ANSWERED;
		slot->reply = msg;
		msg = NULL;
		/* It may leave as soon as it sees the reply: hold it. */
		task = get_task_struct(slot->task);
		put = slot;
	}
	spin_unlock(&mb->lock);

	if (task) {
		wake_up_process(task);
		put_task_struct(task);
	}
	if (put)
		kmbox_call_put(put);
	if (msg)
		kmbox_msg_put(msg);
	return ret;
}

long kmbox_ioc_reply_args(struct file *file, const struct kmbox_reply *r)
{
	struct iov_iter from;

	if (r->flags || r->__reserved0 ||
	    memchr_inv(r->__reserved, 0, sizeof(r->__reserved)))
		return -EINVAL;
	/* Longer than any mailbox's max_msg_size: refused, never copied. */
	iov_iter_ubuf(&from, ITER_SOURCE, u64_to_user_ptr(r->buf),
		      min_t(u64, r->len, KMBOX_MSG_SIZE_CEILING + 1));
	return kmbox_reply(file->private_data, r->call, &from, current_cred());
}

/* What CALL writes back besides @result: reply_len ... gid. */
#define KMBOX_CALL_OUT_START	offsetof(struct kmbox_call, result)
#define KMBOX_CALL_OUT_END	offsetofend(struct kmbox_call, gid)

/* Copies the answered reply out, in the caller's context. */
static long kmbox_call_copy_reply(struct kmbox_call *c, struct kmbox_msg *msg)
{
	struct user_namespace *ns = current_user_ns();
	struct iov_iter to;

	iov_iter_ubuf(&to, ITER_DEST, u64_to_user_ptr(c->reply_buf), msg->len);
	/* Faulted in before the call: only an munmap meanwhile fails it. */
	if (kmbox_msg_copy_to(msg, &to) != msg->len)
		return -EFAULT;
	c->reply_len = msg->len;
	c->pid = pid_vnr(msg->pid);
	c->uid = from_kuid_munged(ns, msg->uid);
	c->gid = from_kgid_munged(ns, msg->gid);
	return msg->len;
}

/*
 * Writes the results back: @result always, the reply's length and
 * replier with it.  The probe proved them writable; if another thread took
 * that away since, the call is over all the same, and its return value
 * says how.
 */
static void kmbox_call_results(void __user *uc, const struct kmbox_call *c,
			       bool replied)
{
	size_t end = replied ? KMBOX_CALL_OUT_END : offsetofend(struct kmbox_call, result);

	/* Only what the probe proved writable, as RECV does. */
	if (copy_to_user(uc + KMBOX_CALL_OUT_START, (const u8 *)c + KMBOX_CALL_OUT_START,
			 end - KMBOX_CALL_OUT_START))
		return;
}

long kmbox_call(struct file *file, struct kmbox_call *c, void __user *uc)
{
	struct kmbox_handle *h = file->private_data;
	struct kmbox_msg_opts opts = { .prio = c->prio, .tag = c->tag };
	struct kmbox_call_slot *slot;
	struct kmbox_deadline dl;
	struct iov_iter from;
	size_t probe;
	long ret;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (c->flags & ~(KMBOX_MSG_TIMEOUT | KMBOX_MSG_DEADLINE) ||
	    c->__reserved0 || c->__reserved1 ||
	    memchr_inv(c->__reserved, 0, sizeof(c->__reserved)) ||
	    !kmbox_msg_opts_valid(h->mb->create_flags, &opts))
		return -EINVAL;
	ret = kmbox_deadline_init(&dl, c->flags, c->timeout_ns);
	if (ret)
		return ret;
	if (c->len > KMBOX_MSG_SIZE_CEILING)
		return -EMSGSIZE;
	/* Results writable before the request goes, as RECV's. */
	ret = kmbox_probe_results(uc, c, KMBOX_CALL_OUT_START, KMBOX_CALL_OUT_END);
	if (ret)
		return ret;
	/* No reply is longer than the mailbox's messages. */
	probe = min_t(u64, c->reply_len, h->mb->max_msg_size);
	if (fault_in_writeable(u64_to_user_ptr(c->reply_buf), probe)) {
		ret = -EFAULT;
		goto out_unsent;
	}

	slot = kmalloc(sizeof(*slot), GFP_KERNEL_ACCOUNT);
	if (!slot) {
		ret = -ENOMEM;
		goto out_unsent;
	}
	refcount_set(&slot->ref, 1);
	slot->state = KMBOX_CALL_SENT;
	slot->received = false;
	slot->error = 0;
	slot->task = current;
	slot->sleeper = NULL;
	slot->reply = NULL;
	slot->reply_size = probe;
	slot->id = 0;

	iov_iter_ubuf(&from, ITER_SOURCE, u64_to_user_ptr(c->buf), c->len);
	ret = kmbox_send_call(h, &from, &opts, &dl, current_cred(), slot);
	/* Answered or failed: the slot is ours alone now, or abandoned. */
	c->result = slot->received ? KMBOX_CALL_RECEIVED : 0;
	if (!ret)
		ret = kmbox_call_copy_reply(c, slot->reply);
	kmbox_call_put(slot);

	kmbox_call_results(uc, c, ret >= 0);
	return ret;

out_unsent:
	/* The struct is known writable now: say that nothing was sent. */
	c->result = 0;
	kmbox_call_results(uc, c, false);
	return ret;
}
