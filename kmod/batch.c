// SPDX-License-Identifier: GPL-2.0-only
/*
 * Batches: KMBOX_IOC_SEND_BATCH and KMBOX_IOC_RECV_BATCH, many messages
 * per call, as sendmmsg(2) and recvmmsg(2) are.
 *
 * Each message goes through kmbox_send or kmbox_recv exactly as one SEND
 * or RECV would, so every rule of theirs (no-ambiguity, put-back on a
 * fault, close, destroy) holds per message.  What a batch saves is what
 * lies around them: one system call, one struct copied in, one array of
 * entries copied in (and, for a receive, out) in one piece, the deadline
 * computed once; and on the receiving side, a receiver that wakes finds
 * the messages queued meanwhile and takes them all before it sleeps again.
 *
 * A batch stops at the first message that fails.  If that is the first,
 * the call fails with its error, nothing done; else the call returns how
 * many went, and the failure is left for the next call to meet (as
 * recvmmsg(2) does), so that a count is never mixed with an error.
 */
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "kmbox.h"

#define KMBOX_BATCH_MODES	(KMBOX_MSG_NONBLOCK | KMBOX_MSG_TIMEOUT | KMBOX_MSG_DEADLINE)

/* Entries held on the stack; a bigger batch allocates its array. */
#define KMBOX_BATCH_STACK	16

static_assert(sizeof(struct kmbox_msgvec) == KMBOX_MSGVEC_SIZE);
static_assert(sizeof(struct kmbox_batch) == KMBOX_BATCH_SIZE_VER0);

/* Checks what the call says before it touches the array or the mailbox. */
static long kmbox_batch_check(const struct kmbox_batch *b, u32 allowed,
			      struct kmbox_deadline *dl, struct kmbox_deadline *later)
{
	long ret;

	if (b->flags & ~(KMBOX_BATCH_MODES | KMBOX_BATCH_WAITALL | allowed) ||
	    b->count > KMBOX_BATCH_MAX ||
	    memchr_inv(b->__reserved, 0, sizeof(b->__reserved)))
		return -EINVAL;
	ret = kmbox_deadline_init(dl, b->flags & KMBOX_BATCH_MODES, b->timeout_ns);
	if (ret)
		return ret;
	/*
	 * After the first message, the rest may wait only with WAITALL, and
	 * then for the same deadline: computed once, here.
	 */
	*later = *dl;
	if (!(b->flags & KMBOX_BATCH_WAITALL)) {
		later->nonblock = true;
		later->timed = false;
	}
	return 0;
}

/*
 * Copies the caller's entries in, into stack when they fit; every entry's
 * reserved field is checked now, so that a bad one fails the call before
 * any message.  Returns the array, or an ERR_PTR.
 */
static struct kmbox_msgvec *kmbox_batch_get(const struct kmbox_batch *b,
					    struct kmbox_msgvec *stack)
{
	struct kmbox_msgvec *vec = stack;
	u32 i;

	if (b->count > KMBOX_BATCH_STACK) {
		vec = kvmalloc_array(b->count, sizeof(*vec), GFP_KERNEL);
		if (!vec)
			return ERR_PTR(-ENOMEM);
	}
	if (copy_from_user(vec, u64_to_user_ptr(b->vec), b->count * sizeof(*vec)))
		goto err_fault;
	for (i = 0; i < b->count; i++)
		if (vec[i].__reserved) {
			if (vec != stack)
				kvfree(vec);
			return ERR_PTR(-EINVAL);
		}
	return vec;

err_fault:
	if (vec != stack)
		kvfree(vec);
	return ERR_PTR(-EFAULT);
}

static void kmbox_batch_put(struct kmbox_msgvec *vec, struct kmbox_msgvec *stack)
{
	if (vec != stack)
		kvfree(vec);
}

/*
 * Between two messages: a long batch of big messages yields the CPU, and a
 * task being killed stops at once (what went, went; the count is lost with
 * the task anyway).
 */
static bool kmbox_batch_next(void)
{
	cond_resched();
	return !fatal_signal_pending(current);
}

long kmbox_send_batch(struct kmbox_handle *h, fmode_t fmode, const struct kmbox_batch *b)
{
	struct kmbox_msgvec stack[KMBOX_BATCH_STACK], *vec;
	bool sync = b->flags & KMBOX_SEND_SYNC;
	struct kmbox_deadline dl, later;
	struct iov_iter from;
	long ret;
	u32 i;

	if (!(fmode & FMODE_WRITE))
		return -EBADF;
	ret = kmbox_batch_check(b, KMBOX_SEND_SYNC, &dl, &later);
	if (ret || !b->count)
		return ret;
	vec = kmbox_batch_get(b, stack);
	if (IS_ERR(vec))
		return PTR_ERR(vec);

	for (i = 0; i < b->count; i++) {
		if (i && !kmbox_batch_next())
			break;
		if (vec[i].len > KMBOX_MSG_SIZE_CEILING) {
			ret = -EMSGSIZE;
			break;
		}
		iov_iter_ubuf(&from, ITER_SOURCE, u64_to_user_ptr(vec[i].buf), vec[i].len);
		ret = kmbox_send(h, &from, NULL, sync, i ? &later : &dl,
				 current_cred());
		if (ret)
			break;
	}
	kmbox_batch_put(vec, stack);
	return i ? i : ret;
}

/*
 * Writes the results of the first n entries back.  The array was writable
 * a moment ago; if another thread took that away since, the messages are
 * consumed all the same: the caller's count says so, rather than an error
 * that would claim none was.
 */
static void kmbox_batch_results(struct kmbox_msgvec __user *uvec,
				const struct kmbox_msgvec *vec, u32 n)
{
	if (copy_to_user(uvec, vec, n * sizeof(*vec)))
		return;
}

long kmbox_recv_batch(struct kmbox *mb, fmode_t fmode, const struct kmbox_batch *b)
{
	struct kmbox_msgvec stack[KMBOX_BATCH_STACK], *vec;
	struct kmbox_msgvec __user *uvec = u64_to_user_ptr(b->vec);
	struct kmbox_deadline dl, later;
	/* No replier: a call taken is dropped (ECONNRESET for its caller). */
	struct kmbox_recv_result res = { .replier = NULL };
	struct iov_iter to;
	long ret;
	u32 i;

	if (!(fmode & FMODE_READ))
		return -EBADF;
	ret = kmbox_batch_check(b, 0, &dl, &later);
	if (ret || !b->count)
		return ret;
	vec = kmbox_batch_get(b, stack);
	if (IS_ERR(vec))
		return PTR_ERR(vec);
	/*
	 * The results go back into the caller's array.  Make sure they can,
	 * before a message is consumed: a read-only array gets EFAULT and
	 * leaves every message queued.  Its own contents go back, unchanged.
	 */
	if (copy_to_user(uvec, vec, b->count * sizeof(*vec))) {
		ret = -EFAULT;
		goto out;
	}

	for (i = 0; i < b->count; i++) {
		if (i && !kmbox_batch_next())
			break;
		/* No message is longer than this: a bigger buffer is as good. */
		iov_iter_ubuf(&to, ITER_DEST, u64_to_user_ptr(vec[i].buf),
			      min_t(u64, vec[i].len, KMBOX_MSG_SIZE_CEILING));
		ret = kmbox_recv(mb, &to, false, NULL, i ? &later : &dl, &res);
		if (ret < 0)
			break;
		vec[i].len = res.len;
		vec[i].pid = res.pid;
		vec[i].uid = res.uid;
		vec[i].gid = res.gid;
	}
	if (!i) {
		/* As RECV: EMSGSIZE says the length needed. */
		if (ret == -EMSGSIZE &&
		    put_user((u64)res.len, &uvec[0].len))
			ret = -EFAULT;
		goto out;
	}
	kmbox_batch_results(uvec, vec, i);
	ret = i;
out:
	kmbox_batch_put(vec, stack);
	return ret;
}
