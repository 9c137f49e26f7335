// SPDX-License-Identifier: GPL-2.0-only
/*
 * Messages: send and receive.
 *
 * A sender allocates and fills its message outside the mailbox lock, then
 * under the lock either hands it to the first receiver waiting (the
 * receiver finds it in its kmbox_receiver) or appends it to the queue.  A
 * message that must be taken before the send returns (capacity 0, or
 * KMBOX_SEND_SYNC) carries a kmbox_sender, and its sender sleeps until a
 * receiver reports it delivered, or withdraws it from the queue on
 * timeout, signal, close or destroy.
 *
 * A receiver copies a short message out under the lock with page faults
 * disabled and takes it off the queue in the same critical section
 * (kmbox_recv_locked).  Otherwise (a long message, or a buffer not mapped
 * in yet) it takes the message off the queue ("in flight"), drops the lock
 * and copies it out, then commits under the lock.  If that copy faults the
 * message goes back to the head of the queue, so an error never consumes a
 * message.  A waiting sender may still withdraw a message in flight (its
 * timeout or a signal came first): the receiver then finds it withdrawn at
 * commit, drops it and receives again.  Both rules together give the
 * no-ambiguity promise: a send that fails was not and will not be
 * delivered, a receive that fails consumed nothing.
 *
 * A receiver killed before it commits puts the message back the same way:
 * it would never see it.
 *
 * The price of putting a message back is paid only when a receiver's copy
 * faults or it is killed: for a moment the queue may hold more than its
 * capacity (one more message per such receiver), and a message of one
 * sender may then be received after a later one by another receiver.  And
 * a closed mailbox is drained only once no message is in flight
 * (kmbox_drained): until then receivers wait for one to come back.
 */
#include <linux/cred.h>
#include <linux/hrtimer.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "kmbox.h"

/* Takes a queued message off the queue.  mb->lock held. */
void kmbox_msg_unqueue(struct kmbox *mb, struct kmbox_msg *msg)
{
	if (mb->ix)
		kmbox_ix_unqueue(mb, msg);
	else
		list_del(&msg->link);
	mb->nr_msgs--;
	mb->nr_bytes -= msg->len;
	mb->nr_charged -= msg->charge;
}

/* Marks msg taken by a receiver, or no longer.  mb->lock held. */
static void kmbox_set_inflight(struct kmbox *mb, struct kmbox_msg *msg,
			       bool inflight)
{
	if (inflight && !msg->inflight)
		mb->nr_inflight++;
	else if (!inflight && msg->inflight)
		mb->nr_inflight--;
	msg->inflight = inflight;
}

/*
 * A closed mailbox is drained once nothing is queued and no receiver is
 * copying a message out: one whose copy faults, or whose receiver is
 * killed, comes back to the queue.  Until then receivers wait (or get
 * EAGAIN), not EPIPE.  mb->lock held; used by poll too.
 */
bool kmbox_drained(const struct kmbox *mb)
{
	return list_empty(&mb->queue) && !mb->nr_inflight;
}

/*
 * Has a receive on a closed mailbox nothing more to wait for?  Once no
 * message is in flight, none can come back: a receiver that selects found
 * nothing it selects among those queued, and never will.  mb->lock held.
 */
static bool kmbox_recv_ended(const struct kmbox *mb,
			     const struct kmbox_recv_opts *ro)
{
	return mb->state == KMBOX_STATE_CLOSED &&
	       (kmbox_drained(mb) || (ro && ro->select && !mb->nr_inflight));
}

/*
 * A receive FROM a process that has exited (every thread of it: a zombie
 * or reaped), whose messages are all queued then: what it does not find
 * among them will never come.  One that another receiver holds and may
 * put back is not waited for.
 */
static bool kmbox_sender_exited(const struct kmbox_recv_opts *ro)
{
	struct task_struct *task;
	bool exited;

	if (!ro || !(ro->select & KMBOX_RECV_FROM))
		return false;
	rcu_read_lock();
	task = pid_task(ro->pid, PIDTYPE_PID);
	exited = !task || (READ_ONCE(task->exit_state) && thread_group_empty(task));
	rcu_read_unlock();
	return exited;
}

/*
 * Called when a message in flight is done with: if that ended the drain of
 * a closed mailbox, the receivers waiting for it to come back must see
 * EPIPE now (those that select, once none is in flight).  Returns true
 * when pollers and peekers need waking too.  mb->lock held.
 */
static bool kmbox_end_of_drain(struct kmbox *mb)
{
	if (mb->state != KMBOX_STATE_CLOSED || mb->nr_inflight)
		return false;
	kmbox_wake_receivers(mb);
	return list_empty(&mb->queue);
}

/* Only a bounded mailbox has senders waiting for room. */
static bool kmbox_bounded(const struct kmbox *mb)
{
	return mb->capacity && mb->capacity != KMBOX_CAPACITY_UNBOUNDED;
}

/*
 * Wakes task: now, under mb->lock, if w is NULL (the rare paths), else
 * once the caller has dropped it (kmbox_do_wakes), holding a reference
 * until then.  One such task per call at most.  mb->lock held.
 */
void kmbox_wake_task(struct task_struct *task, struct kmbox_wakes *w)
{
	if (!w) {
		wake_up_process(task);
		return;
	}
	WARN_ON_ONCE(w->task);
	w->task = get_task_struct(task);
}

/* Does the wake-ups w holds, and forgets them.  mb->lock not held. */
static void kmbox_do_wakes(struct kmbox *mb, struct kmbox_wakes *w, bool sync)
{
	if (w->task) {
		wake_up_process(w->task);
		put_task_struct(w->task);
		w->task = NULL;
	}
	if (w->all) {
		kmbox_wake(mb);
	} else {
		if (w->msg)
			kmbox_wake_msg(mb, sync);
		if (w->room)
			kmbox_wake_room(mb, sync);
	}
	w->msg = false;
	w->room = false;
	w->all = false;
}

/*
 * Gives msg, and the mailbox's reference to it, to the first waiting
 * receiver or, if none waits, to the queue (at its head when head is set:
 * a message put back keeps its place).  The receiver is woken as
 * kmbox_wake_task says; pollers and peekers, if the message was queued,
 * are owed a wake-up.  mb->lock held.  Returns true if the message was
 * queued.
 */
static bool kmbox_deliver(struct kmbox *mb, struct kmbox_msg *msg, bool head,
			  struct kmbox_wakes *w)
{
	struct kmbox_receiver *rcv;

	rcv = kmbox_ix_receiver(mb, msg);
	if (rcv) {
		list_del(&rcv->link);
		mb->nr_receivers--;
		kmbox_set_inflight(mb, msg, true);
		rcv->msg = msg;
		kmbox_wake_task(rcv->task, w);
		return false;
	}
	kmbox_set_inflight(mb, msg, false);
	if (mb->ix)
		kmbox_ix_queue(mb, msg, head);
	else if (head)
		list_add(&msg->link, &mb->queue);
	else
		list_add_tail(&msg->link, &mb->queue);
	mb->nr_msgs++;
	mb->nr_bytes += msg->len;
	mb->nr_charged += msg->charge;
	if (w)
		w->msg = true;
	return true;
}

/*
 * Tells a waiting sender its message's fate, waking it as kmbox_wake_task
 * says.  mb->lock held.
 */
static void kmbox_sender_done(struct kmbox_msg *msg, int result,
			      struct kmbox_wakes *w)
{
	struct kmbox_sender *sender = msg->sender;

	msg->sender = NULL;
	sender->result = result;
	kmbox_wake_task(sender->task, w);
}

/*
 * Withdraws a message whose sender is still waiting for it: not sent after
 * all.  A queued one leaves the queue; the sender holds its own reference,
 * so dropping the mailbox's cannot free it here.  One in flight is marked,
 * for its receiver to drop at commit.  mb->lock held.
 */
void kmbox_withdraw(struct kmbox *mb, struct kmbox_msg *msg, int result)
{
	mb->sent--;
	if (result)
		kmbox_sender_done(msg, result, NULL);
	else
		msg->sender = NULL;
	if (msg->inflight) {
		msg->withdrawn = true;
		return;
	}
	kmbox_msg_unqueue(mb, msg);
	refcount_dec(&msg->ref);
}

/* Fails every message a sender still waits for with result.  mb->lock held. */
void kmbox_fail_senders(struct kmbox *mb, int result)
{
	struct kmbox_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, &mb->queue, link)
		if (msg->sender)
			kmbox_withdraw(mb, msg, result);
}

/*
 * Moves every queued message to list, dropped, for kmbox_put_msgs once
 * mb->lock is released.  mb->lock held.
 */
void kmbox_drop_queue(struct kmbox *mb, struct list_head *list)
{
	struct kmbox_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, &mb->queue, link) {
		kmbox_msg_unqueue(mb, msg);
		mb->dropped++;
		list_add_tail(&msg->link, list);
	}
}

void kmbox_put_msgs(struct list_head *list)
{
	struct kmbox_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, list, link)
		kmbox_msg_put(msg);
}

/*
 * Puts back a message a receiver took but could not deliver (fault, or a
 * buffer too small for a handed-over message).  Returns the message if the
 * caller must drop the mailbox's reference to it after unlocking: the
 * mailbox was destroyed, or closed with its sender still waiting.
 * mb->lock held.
 */
static struct kmbox_msg *kmbox_requeue(struct kmbox *mb, struct kmbox_msg *msg)
{
	int result = 0;

	if (msg->withdrawn) {
		kmbox_set_inflight(mb, msg, false);
		return msg;
	}
	if (mb->state == KMBOX_STATE_DESTROYED)
		result = -EIDRM;
	else if (mb->state == KMBOX_STATE_CLOSED && msg->sender)
		result = -EPIPE;
	if (result) {
		kmbox_set_inflight(mb, msg, false);
		if (msg->sender) {
			mb->sent--;
			kmbox_sender_done(msg, result, NULL);
		} else {
			mb->dropped++;
		}
		return msg;
	}
	kmbox_deliver(mb, msg, true, NULL);
	/* Its sender may be waiting to time out again now it is queued. */
	if (msg->sender)
		wake_up_process(msg->sender->task);
	return NULL;
}

/*
 * May the caller go to sleep?  0 if so, else why not.  A relative timeout
 * does not restart after a signal: it would start over.
 */
long kmbox_may_sleep(const struct kmbox_deadline *dl)
{
	if (dl->nonblock)
		return -EAGAIN;
	if (dl->timed && ktime_compare(ktime_get(), dl->expires) >= 0)
		return -ETIMEDOUT;
	if (signal_pending(current))
		return dl->relative ? -EINTR : -ERESTARTSYS;
	return 0;
}

/*
 * Sleeps until woken, signalled or past the deadline (if dl is given and
 * timed).  The caller set the task state, and the condition it waits for,
 * under mb->lock, which is dropped for the sleep and taken back.  The
 * wake-ups w holds, if any, are done in between, as sync ones: we are
 * about to sleep.
 */
void kmbox_sleep(struct kmbox *mb, const struct kmbox_deadline *dl,
		 struct kmbox_wakes *w)
	__must_hold(&mb->lock)
{
	spin_unlock(&mb->lock);
	if (w)
		kmbox_do_wakes(mb, w, true);
	if (dl && dl->timed) {
		ktime_t expires = dl->expires;

		schedule_hrtimeout_range(&expires, current->timer_slack_ns,
					 HRTIMER_MODE_ABS);
	} else {
		schedule();
	}
	spin_lock(&mb->lock);
}

/* Counts and lists a sleeping sender or peeker.  mb->lock held. */
void kmbox_sleeper_add(struct kmbox *mb, struct kmbox_sleeper *sl, bool sender)
{
	sl->task = current;
	sl->sender = sender;
	list_add_tail(&sl->link, &mb->sleepers);
	if (sender)
		mb->nr_senders++;
	else
		mb->nr_peekers++;
}

void kmbox_sleeper_del(struct kmbox *mb, struct kmbox_sleeper *sl)
{
	list_del(&sl->link);
	if (sl->sender)
		mb->nr_senders--;
	else
		mb->nr_peekers--;
}

/*
 * Sleeps once as a sender waiting for room (on send_wq, exclusive) or as
 * a peeker (on wq), a peeker with the selection ro.  mb->lock held.
 */
static long kmbox_sleep_wq(struct kmbox *mb, const struct kmbox_deadline *dl,
			   bool sender, const struct kmbox_recv_opts *ro)
{
	DEFINE_WAIT(wait);
	wait_queue_head_t *wq = sender ? &mb->send_wq : &mb->wq;
	struct kmbox_sleeper sl;
	long ret;

	ret = kmbox_may_sleep(dl);
	if (ret)
		return ret;
	if (sender)
		prepare_to_wait_exclusive(wq, &wait, TASK_INTERRUPTIBLE);
	else
		prepare_to_wait(wq, &wait, TASK_INTERRUPTIBLE);
	/* Checked with the state set: an exit from now on wakes us. */
	if (!kmbox_sender_exited(ro)) {
		kmbox_sleeper_add(mb, &sl, sender);
		kmbox_sleep(mb, dl, NULL);
		kmbox_sleeper_del(mb, &sl);
	}
	finish_wait(wq, &wait);
	return 0;
}

static bool kmbox_has_room(const struct kmbox *mb)
{
	return mb->capacity == 0 || mb->capacity == KMBOX_CAPACITY_UNBOUNDED ||
	       mb->nr_msgs < mb->capacity;
}

/* mb->lock held; used by poll too. */
bool kmbox_send_ready(const struct kmbox *mb)
{
	if (mb->capacity == 0)
		return mb->nr_receivers;
	return kmbox_has_room(mb);
}

/*
 * Waits until the mailbox can take a message: room in a bounded queue and,
 * for a message that must be taken, a receiver waiting right now if the
 * caller may not wait for one to come.  *waited tells whether the caller
 * slept for room (and so may hold the one wake-up that room gave).
 * mb->lock held.
 */
static long kmbox_wait_room(struct kmbox *mb, bool must_take,
			    const struct kmbox_deadline *dl, bool *waited)
{
	long ret;

	for (;;) {
		if (mb->state == KMBOX_STATE_DESTROYED)
			return -EIDRM;
		if (mb->state == KMBOX_STATE_CLOSED)
			return -EPIPE;
		if (kmbox_has_room(mb))
			break;
		ret = kmbox_sleep_wq(mb, dl, true, NULL);
		if (ret)
			return ret;
		*waited = true;
	}
	if (must_take && !mb->nr_receivers)
		return kmbox_may_sleep(dl);
	return 0;
}

/*
 * Waits until a receiver has taken msg, or withdraws it.  A non-blocking
 * sender never waits: if it met a receiver, the message is that
 * receiver's the moment it is handed over, and the sender leaves it to
 * them, for the receiver's copy-out may take as long as its page faults
 * do.  Should that copy fault after all, the message goes back first in
 * line for the next receiver, a plain message now.  The wake-ups w holds
 * are done as the sender goes to sleep, else left to the caller.
 * mb->lock held.
 */
static long kmbox_wait_taken(struct kmbox *mb, struct kmbox_msg *msg,
			     struct kmbox_sender *sender,
			     const struct kmbox_deadline *dl,
			     struct kmbox_wakes *w)
{
	struct kmbox_sleeper sl;
	long ret;

	for (;;) {
		if (sender->result <= 0)
			return sender->result;
		if (msg->inflight && dl->nonblock) {
			msg->sender = NULL;
			return 0;
		}
		ret = kmbox_may_sleep(dl);
		if (ret) {
			kmbox_withdraw(mb, msg, 0);
			return ret;
		}
		set_current_state(TASK_INTERRUPTIBLE);
		kmbox_sleeper_add(mb, &sl, true);
		kmbox_sleep(mb, dl, w);
		kmbox_sleeper_del(mb, &sl);
	}
}

/* The error for an operation on a mailbox no longer open, or 0. */
static long kmbox_state_error(const struct kmbox *mb)
{
	switch (READ_ONCE(mb->state)) {
	case KMBOX_STATE_DESTROYED:
		return -EIDRM;
	case KMBOX_STATE_CLOSED:
		return -EPIPE;
	}
	return 0;
}

/*
 * Sends through handle h as cred: the caller's for the SEND ioctl, the
 * opener's (file->f_cred) for write(2).  opts (checked by the caller
 * against the mailbox's kind) may be NULL.  With call, the message is a
 * call's request carrying that reply slot: it must be taken, and the send
 * returns once the call is answered or failed (kmbox_call_wait).
 */
static long kmbox_send_msg(struct kmbox_handle *h, struct iov_iter *from,
			   const struct kmbox_msg_opts *opts, bool sync,
			   const struct kmbox_deadline *dl,
			   const struct cred *cred, struct kmbox_call_slot *call)
{
	struct kmbox *mb = h->mb;
	struct kmbox_sender sender = { .task = current, .result = 1 };
	bool must_take = sync || mb->capacity == 0 || call;
	size_t len = iov_iter_count(from);
	struct kmbox_wakes w = {};
	struct kmbox_msg *msg;
	bool waited = false;
	long ret;

	/* Checked again under the lock: this only orders the errors. */
	ret = kmbox_state_error(mb);
	if (ret)
		return ret;
	if (len > mb->max_msg_size)
		return -EMSGSIZE;
	msg = kmbox_msg_new(from, len, mb->ix, h->sender, cred);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	if (mb->ix)
		kmbox_ix_msg_init(msg, opts);

	spin_lock(&mb->lock);
	ret = kmbox_wait_room(mb, must_take, dl, &waited);
	if (ret) {
		/*
		 * We may be the one sender a room wake-up woke: leaving
		 * without using the room, pass the wake-up on.
		 */
		w.room = kmbox_bounded(mb) && kmbox_has_room(mb);
		spin_unlock(&mb->lock);
		kmbox_do_wakes(mb, &w, false);
		kmbox_msg_put(msg);
		return ret;
	}
	if (must_take) {
		/* Our own reference, to learn the message's fate. */
		refcount_inc(&msg->ref);
		msg->sender = &sender;
		msg->call = call;
	}
	mb->sent++;
	kmbox_deliver(mb, msg, false, &w);
	/*
	 * Woken for room we did not use up (our message went straight to a
	 * receiver, or more room came meanwhile): pass the wake-up on, or
	 * the senders behind us would sleep beside an empty slot.
	 */
	if (waited && kmbox_has_room(mb))
		w.room = true;
	if (!must_take) {
		spin_unlock(&mb->lock);
		kmbox_do_wakes(mb, &w, false);
		return 0;
	}
	/* The receiver, pollers and peekers are woken as we go to sleep. */
	if (call)
		ret = kmbox_call_wait(mb, msg, &sender, dl, &w);
	else
		ret = kmbox_wait_taken(mb, msg, &sender, dl, &w);
	/* A withdrawn message leaves room (or one offer fewer). */
	if (ret && kmbox_bounded(mb))
		w.room = true;
	spin_unlock(&mb->lock);
	kmbox_do_wakes(mb, &w, false);
	kmbox_msg_put(msg);
	return ret;
}

long kmbox_send(struct kmbox_handle *h, struct iov_iter *from,
		const struct kmbox_msg_opts *opts, bool sync,
		const struct kmbox_deadline *dl, const struct cred *cred)
{
	return kmbox_send_msg(h, from, opts, sync, dl, cred, NULL);
}

long kmbox_send_call(struct kmbox_handle *h, struct iov_iter *from,
		     const struct kmbox_msg_opts *opts,
		     const struct kmbox_deadline *dl, const struct cred *cred,
		     struct kmbox_call_slot *call)
{
	return kmbox_send_msg(h, from, opts, true, dl, cred, call);
}

/*
 * Waits in line as a receiver until a sender hands over a message (*msgp
 * set, in flight, ours) or something else changed (*msgp NULL: look
 * again).  mb->lock held; nothing ro selects is queued.
 */
static long kmbox_wait_handoff(struct kmbox *mb, const struct kmbox_recv_opts *ro,
			       const struct kmbox_deadline *dl,
			       struct kmbox_msg **msgp, struct kmbox_wakes *w)
	__must_hold(&mb->lock)
{
	struct kmbox_receiver rcv = { .task = current, .ro = ro };
	long ret;

	*msgp = NULL;
	ret = kmbox_may_sleep(dl);
	if (ret)
		return ret;
	list_add_tail(&rcv.link, &mb->receivers);
	mb->nr_receivers++;
	/* A waiting receiver is what makes a rendezvous mailbox writable. */
	if (mb->capacity == 0)
		w->room = true;
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		/* Checked with the state set: an exit from now on wakes us. */
		if (kmbox_sender_exited(ro)) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		kmbox_sleep(mb, dl, w);
		if (rcv.msg) {
			/* The sender took us off the list. */
			*msgp = rcv.msg;
			return 0;
		}
		if (mb->state == KMBOX_STATE_DESTROYED || kmbox_recv_ended(mb, ro))
			break;
		ret = kmbox_may_sleep(dl);
		if (ret)
			break;
	}
	list_del(&rcv.link);
	mb->nr_receivers--;
	return ret;
}

/* res NULL: the caller (read(2)) reports nothing but the length. */
static void kmbox_recv_result(struct kmbox_recv_result *res,
			      const struct kmbox_msg *msg)
{
	if (!res)
		return;
	res->pid = pid_vnr(msg->pid);
	res->uid = from_kuid_munged(current_user_ns(), msg->uid);
	res->gid = from_kgid_munged(current_user_ns(), msg->gid);
	res->prio = kmbox_msg_prio_of(msg);
	res->tag = kmbox_msg_tag_of(msg);
}

/*
 * Longest message copied out under mb->lock: what copying costs the
 * senders and receivers spinning on the lock meanwhile stays below what
 * taking the lock a second time would cost everyone.
 */
#define KMBOX_RECV_LOCKED_MAX	PAGE_SIZE

/*
 * Receives msg (queued, or handed over to us) without dropping mb->lock:
 * copies it out with page faults disabled, and commits in the same
 * critical section.  Returns false, with nothing changed and to as it
 * was, if it cannot: a long message, a buffer not mapped in yet (the copy
 * comes back short), a message its sender withdrew, or a kill on the way
 * (it must not take the message with it).  The caller then takes the path
 * that copies outside the lock, which may fault pages in and sleep.
 * mb->lock held.
 */
static bool kmbox_recv_locked(struct kmbox *mb, struct kmbox_msg *msg,
			      struct iov_iter *to, struct kmbox_recv_result *res,
			      struct kmbox_wakes *w)
{
	bool queued = !msg->inflight;
	size_t copied;

	if (msg->len > KMBOX_RECV_LOCKED_MAX || msg->withdrawn)
		return false;
	pagefault_disable();
	copied = kmbox_msg_copy_to(msg, to);
	pagefault_enable();
	if (copied != msg->len || fatal_signal_pending(current)) {
		iov_iter_revert(to, copied);
		return false;
	}
	if (queued)
		kmbox_msg_unqueue(mb, msg);
	else
		kmbox_set_inflight(mb, msg, false);
	mb->received++;
	if (msg->call)
		kmbox_call_taken(mb, msg, res, w);
	else if (msg->sender)
		kmbox_sender_done(msg, 0, w);
	if (kmbox_end_of_drain(mb))
		w->all = true;
	else if (queued && kmbox_bounded(mb))
		w->room = true;
	return true;
}

/*
 * Receives the first message ro selects (NULL, or no selection: the head
 * of the queue), or peeks at it.
 */
static long kmbox_recv_msg(struct kmbox *mb, struct iov_iter *to, bool peek,
			   const struct kmbox_recv_opts *ro,
			   const struct kmbox_deadline *dl,
			   struct kmbox_recv_result *res)
{
	size_t size = iov_iter_count(to);
	struct iov_iter start = *to;
	struct kmbox_wakes w = {};
	struct kmbox_msg *msg, *put;
	bool retry;
	long ret;

again:
	if (res)
		memset(res, 0, KMBOX_RECV_RESULT_OUT);
	spin_lock(&mb->lock);
	for (;;) {
		if (mb->state == KMBOX_STATE_DESTROYED) {
			ret = -EIDRM;
			goto out_unlock;
		}
		if (ro && ro->select)
			msg = kmbox_ix_first(mb, ro);
		else
			msg = list_first_entry_or_null(&mb->queue, struct kmbox_msg, link);
		if (msg)
			break;
		if (kmbox_recv_ended(mb, ro)) {
			ret = -EPIPE;
			goto out_unlock;
		}
		if (kmbox_sender_exited(ro)) {
			ret = -ESRCH;
			goto out_unlock;
		}
		if (peek)
			ret = kmbox_sleep_wq(mb, dl, false, ro);
		else
			ret = kmbox_wait_handoff(mb, ro, dl, &msg, &w);
		if (ret)
			goto out_unlock;
		if (msg)
			break;
	}

	if (res)
		res->len = msg->len;
	if (msg->len > size) {
		ret = -EMSGSIZE;
		put = NULL;
		/* A handed-over message goes back, first in line. */
		if (msg->inflight) {
			put = kmbox_requeue(mb, msg);
			w.msg = true;
		}
		if (kmbox_end_of_drain(mb))
			w.all = true;
		spin_unlock(&mb->lock);
		kmbox_do_wakes(mb, &w, false);
		if (put)
			kmbox_msg_put(put);
		return ret;
	}
	if (peek) {
		refcount_inc(&msg->ref);
	} else if (kmbox_recv_locked(mb, msg, to, res, &w)) {
		ret = msg->len;
		spin_unlock(&mb->lock);
		kmbox_recv_result(res, msg);
		kmbox_do_wakes(mb, &w, false);
		kmbox_msg_put(msg);
		return ret;
	} else if (!msg->inflight) {
		kmbox_msg_unqueue(mb, msg);
		kmbox_set_inflight(mb, msg, true);
		/* Room in the queue. */
		w.room = kmbox_bounded(mb);
	}
	spin_unlock(&mb->lock);
	kmbox_do_wakes(mb, &w, false);

	if (kmbox_msg_copy_to(msg, to) == msg->len)
		ret = msg->len;
	else
		ret = -EFAULT;
	if (ret >= 0)
		kmbox_recv_result(res, msg);
	if (peek) {
		kmbox_msg_put(msg);
		return ret;
	}

	spin_lock(&mb->lock);
	retry = ret >= 0 && msg->withdrawn;
	/*
	 * A receiver being killed would take the message with it unseen:
	 * often one handed over while it slept.  It goes back, first in
	 * line.  (A kill landing after this point still costs the message,
	 * as with any receive call that has returned.)
	 */
	if (ret >= 0 && !retry && fatal_signal_pending(current))
		ret = -EINTR;
	if (ret < 0 || retry) {
		put = kmbox_requeue(mb, msg);
		/* Queued again (or handed to the next receiver). */
		w.msg = !put;
	} else {
		mb->received++;
		if (msg->call)
			kmbox_call_taken(mb, msg, res, &w);
		else if (msg->sender)
			kmbox_sender_done(msg, 0, &w);
		kmbox_set_inflight(mb, msg, false);
		put = msg;
	}
	if (kmbox_end_of_drain(mb))
		w.all = true;
	spin_unlock(&mb->lock);
	kmbox_do_wakes(mb, &w, false);
	if (put)
		kmbox_msg_put(put);
	if (retry) {
		/* Its sender gave up while we copied: receive another. */
		if (fatal_signal_pending(current))
			return -EINTR;
		*to = start;
		goto again;
	}
	return ret;

out_unlock:
	spin_unlock(&mb->lock);
	kmbox_do_wakes(mb, &w, false);
	return ret;
}

/* Only a sleep of ours that may end early: an exit is no reason to end another. */
static int kmbox_sender_exit_wake(struct wait_queue_entry *wait, unsigned int mode,
				  int sync, void *key)
{
	return default_wake_function(wait, TASK_INTERRUPTIBLE, sync, key);
}

long kmbox_recv(struct kmbox *mb, struct iov_iter *to, bool peek,
		const struct kmbox_recv_opts *ro, const struct kmbox_deadline *dl,
		struct kmbox_recv_result *res)
{
	struct wait_queue_entry exit_wait;
	long ret;

	if (!ro || !(ro->select & KMBOX_RECV_FROM))
		return kmbox_recv_msg(mb, to, peek, ro, dl, res);
	/*
	 * A receive FROM a process is woken by its exit (as a pidfd's poll
	 * is), to fail with ESRCH if nothing of it is queued.  Added before
	 * kmbox.lock is taken and removed after: no lock nests in another.
	 */
	init_waitqueue_func_entry(&exit_wait, kmbox_sender_exit_wake);
	exit_wait.private = current;
	add_wait_queue(&ro->pid->wait_pidfd, &exit_wait);
	ret = kmbox_recv_msg(mb, to, peek, ro, dl, res);
	remove_wait_queue(&ro->pid->wait_pidfd, &exit_wait);
	return ret;
}
