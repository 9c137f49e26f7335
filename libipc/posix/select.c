// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The posix backend's priorities and selective receive (design: pmb.h).
 *
 * Delivery order is queue order: an IPC_PRIO mailbox keeps its queue
 * sorted by priority, highest first, FIFO within one (a send inserts its
 * message after the last one of its priority or higher, walking back from
 * the tail; priority 0 is a plain append), so that everything that reads
 * the queue in order (receivers in line and their claims, peek, batches,
 * recovery's rebuild) follows delivery order unchanged.  A plain FIFO
 * mailbox takes none of these paths.
 *
 * A receive with a selection (IPC_SEL_TAG, IPC_SEL_TAG_LE, IPC_SEL_FROM)
 * does not get in line: it looks past the messages claimed by receivers
 * in line, as peek does, walking the queue (the kernel keeps indexes; the
 * walk is bounded by the storage's chunk count, and done under the lock).
 * While it waits, its selection is in its waiter slot (kind W_SEL), and a
 * send wakes only the W_SEL waiters whose selection the message matches.
 * A peer may rewrite a slot's selection: that costs its owner a wake-up,
 * which every waiter's PMB_POLL_NS wake-up bounds (it then looks again and
 * sleeps again), never a wrong message, since the selection a receive
 * applies is its own private copy.
 *
 * IPC_SEL_FROM compares the pid the sender wrote into the message: the
 * posix backend cannot verify it (IPC_MSG_CRED_VERIFIED is never set), so
 * a peer may pass for another process.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>

#include "pmb.h"

/* Does a message (its tag and sender, read once) match the selection? */
static bool pmb_sel_match(uint32_t flags, int32_t from, uint64_t tag,
			  uint64_t mtag, int32_t mpid)
{
	if (flags & IPC_SEL_FROM && mpid != from)
		return false;
	if (flags & IPC_SEL_TAG && mtag != tag)
		return false;
	if (flags & IPC_SEL_TAG_LE && mtag > tag)
		return false;
	return true;
}

bool pmb_sel_active(const struct ipc_recvopt *sel)
{
	return sel && sel->flags & (IPC_SEL_TAG | IPC_SEL_TAG_LE | IPC_SEL_FROM);
}

/*
 * The checks of a selection that need the mailbox: 0, EINVAL without
 * IPC_SELECT, ESRCH for IPC_SEL_FROM of a pid no process has (as the
 * kernel, which looks the pid up: a process of another pid namespace is
 * not seen).
 */
int pmb_sel_check(const struct pmb *p, const struct ipc_recvopt *sel)
{
	if (!pmb_sel_active(sel))
		return 0;
	if (!(p->flags & IPC_SELECT))
		return -EINVAL;
	if (sel->flags & IPC_SEL_FROM && kill(sel->from, 0) && errno == ESRCH)
		return -ESRCH;
	return 0;
}

/*
 * The first message, in delivery order, past the first skip ones, that
 * matches sel; for IPC_SEL_TAG_LE the first of those with the lowest tag.
 * PMB_NIL if none; *damaged if the walk met a bad link (the caller
 * recovers).  Lock held.
 */
uint32_t pmb_sel_find(struct pmb *p, uint64_t skip, const struct ipc_recvopt *sel,
		      bool *damaged)
{
	uint32_t c, best = PMB_NIL, steps;
	uint64_t best_tag = 0, mtag;
	struct pmb_msg *m;

	*damaged = false;
	if (skip >= p->nchunks)
		return PMB_NIL;
	c = skip ? pmb_q_nth(p, skip) : p->hdr->qhead;
	for (steps = 0; c != PMB_NIL; steps++) {
		if (!pmb_chunk_ok(p, c) || steps >= p->nchunks) {
			*damaged = true;
			return PMB_NIL;
		}
		m = pmb_msg(p, c);
		mtag = m->tag;
		if (pmb_sel_match(sel->flags, sel->from, sel->tag, mtag, m->pid)) {
			if (!(sel->flags & IPC_SEL_TAG_LE))
				return c;
			if (best == PMB_NIL || mtag < best_tag) {
				best = c;
				best_tag = mtag;
			}
		}
		c = m->next;
	}
	return best;
}

/* Wake the W_SEL waiters that message c matches (their slots say). */
void pmb_wake_sel(struct pmb *p, uint32_t c, struct pmb_wake *ws)
{
	struct pmb_msg *m = pmb_msg(p, c);
	uint64_t mtag = m->tag;
	int32_t mpid = m->pid;
	uint32_t i;

	for (i = 0; i < p->nwait; i++) {
		struct pmb_waiter *w = &p->w[i];

		if (w->kind == W_SEL &&
		    pmb_sel_match(w->sel, w->from, w->tag, mtag, mpid))
			pmb_wake_slot(p, i, ws);
	}
}

/* Put this receive's selection in its slot, for senders to look at. */
void pmb_sel_publish(struct pmb *p, int slot, const struct ipc_recvopt *sel)
{
	p->w[slot].sel = sel->flags & (IPC_SEL_TAG | IPC_SEL_TAG_LE | IPC_SEL_FROM);
	p->w[slot].from = sel->from;
	p->w[slot].tag = sel->tag;
}

/*
 * Queue a published message of an IPC_PRIO mailbox in delivery order:
 * after the last message of its priority or higher.  false, changing
 * nothing, on a bad link (the caller recovers, which queues it too).
 */
bool pmb_q_insert_prio(struct pmb *p, uint32_t c)
{
	struct pmb_hdr *h = p->hdr;
	struct pmb_msg *m = pmb_msg(p, c);
	uint32_t prio = m->prio, after = h->qtail, before = PMB_NIL, steps;

	if (!prio)
		return pmb_q_append(p, c);	/* the lowest: always last */
	for (steps = 0; after != PMB_NIL; steps++) {
		if (!pmb_chunk_ok(p, after) || p->cstate[after] != C_QUEUED ||
		    after == c || steps >= p->nchunks)
			return false;
		if (pmb_msg(p, after)->prio >= prio)
			break;
		before = after;
		after = pmb_msg(p, after)->prev;
	}
	if (before == PMB_NIL)
		return pmb_q_append(p, c);
	/* Between after (or the head) and before. */
	m->prev = after;
	m->next = before;
	pmb_msg(p, before)->prev = c;
	if (after != PMB_NIL)
		pmb_msg(p, after)->next = c;
	else
		h->qhead = c;
	h->msgs++;
	h->bytes += m->len;
	return true;
}

/* A message's priority and tag as a receive reports them: false if damaged. */
bool pmb_msg_opt(const struct pmb *p, const struct pmb_msg *m, uint32_t *prio,
		 uint64_t *tag)
{
	*prio = m->prio;
	*tag = m->tag;
	if (*prio > IPC_PRIO_MAX || (*prio && !(p->flags & IPC_PRIO)))
		return false;
	return true;
}
