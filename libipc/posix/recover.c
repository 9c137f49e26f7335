// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The posix backend's crash recovery: rebuilding a mailbox whose lock
 * holder died, from the journal and the authoritative marks (design:
 * pmb.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pmb.h"

/* ---- recovery ------------------------------------------------------------------- */

/*
 * Recovery reads a segment a peer may be writing as it goes: every value
 * is read once into a local and bounded before use, every loop is bounded
 * by the handle's own copy of the geometry, and the queue is sorted in
 * private memory.  A peer can garble the result (its access allows that),
 * never make it run off the segment or forever.
 */

struct pmb_qent {
	uint64_t seq;
	uint32_t c;
	uint32_t prio;		/* 0 unless IPC_PRIO */
};

/* Delivery order: highest priority first, then sending order. */
static int pmb_qent_cmp(const void *a, const void *b)
{
	const struct pmb_qent *x = a, *y = b;

	if (x->prio != y->prio)
		return x->prio > y->prio ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->c < y->c ? -1 : x->c > y->c;
}

/* Did the interrupted operation (pd, a private copy) reach its publishing store? */
static bool pmb_pend_done(struct pmb *p, const struct pmb_pend *pd, uint32_t state)
{
	switch (pd->op) {
	case P_SEND:
		return pmb_present(p, pd->head, pd->seq);
	case P_RECV:
	case P_WITHDRAW:
		return !pmb_present(p, pd->head, pd->seq);
	case P_DESTROY:
		return state == IPC_STATE_DESTROYED;
	}
	return false;
}

/*
 * Mark the body chunks of the message at head, of len bytes in nchunks
 * chunks (read once by the caller); false if its chain is bad.
 */
static bool pmb_mark_chain(struct pmb *p, uint32_t head, uint32_t hwm,
			   uint32_t len, uint32_t nchunks)
{
	uint32_t c = head, i, n;

	if (len > p->max_msg_size || nchunks != pmb_chunks_for(len))
		return false;
	for (i = 1; i < nchunks; i++) {
		c = p->next[c];
		if (c >= hwm || p->cstate[c] != C_FREE)
			break;
		p->cstate[c] = C_BODY;
	}
	if (i == nchunks)
		return true;
	/* Undo the marks made: the chunks belong to no one. */
	for (n = i, c = head, i = 1; i < n; i++) {
		c = p->next[c];
		if (c >= hwm)
			break;
		p->cstate[c] = C_FREE;
	}
	return false;
}

/* The W_CALL slot whose reply starts at chunk c, or -1. */
static int pmb_reply_owner(struct pmb *p, uint32_t c)
{
	uint32_t i;

	for (i = 0; i < p->nwait; i++)
		if (p->w[i].kind == W_CALL && p->w[i].reply == c &&
		    __atomic_load_n(&p->w[i].result, __ATOMIC_ACQUIRE) == PMB_RES_REPLIED)
			return (int)i;
	return -1;
}

/* Did step 3 keep the reply of W_CALL slot i? */
static bool pmb_reply_kept(struct pmb *p, uint32_t i)
{
	uint32_t c = p->w[i].reply;

	return c < p->hdr->hwm && c < p->nchunks && p->cstate[c] == C_REPLY &&
	       pmb_reply_owner(p, c) == (int)i;
}

/* The waiters' part of recovery (step 6 below). */
static void pmb_recover_waiters(struct pmb *p, const struct pmb_pend *pend,
				bool pend_done, uint32_t state)
{
	struct pmb_hdr *h = p->hdr;
	uint32_t i, kind, nwaiting = 0;
	struct pmb_wake ws;

	memset(&ws, 0, sizeof(ws));
	for (i = 0; i < p->nwait; i++) {
		struct pmb_waiter *w = &p->w[i];
		uint32_t msg = w->msg;
		uint64_t seq = w->seq;

		kind = w->kind;
		if (kind > W_KIND_MAX)
			w->kind = kind = W_NONE;
		/* A reply that step 3 found bad is gone: so is the call. */
		if (kind == W_CALL && __atomic_load_n(&w->result, __ATOMIC_ACQUIRE) ==
		    PMB_RES_REPLIED && !pmb_reply_kept(p, i)) {
			int32_t replied = PMB_RES_REPLIED;

			w->reply = PMB_NIL;
			__atomic_compare_exchange_n(&w->result, &replied, -ECONNRESET, false,
						    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
		}
		if (kind == W_NONE)
			continue;
		nwaiting++;
		if (kind != W_TAKEN)
			continue;
		if (pmb_present(p, msg, seq)) {
			int32_t res = 0;

			/*
			 * Taken (0), by a receiver that died before it
			 * consumed it.  A sender still there waits for
			 * another taker; but it may be leaving without the
			 * lock (pmb_abandon), and what it was told must
			 * hold: hence a compare-and-swap against its own.
			 */
			if (w->tid && __atomic_compare_exchange_n(&w->result, &res, 1, false,
								  __ATOMIC_ACQ_REL,
								  __ATOMIC_ACQUIRE))
				continue;
			res = __atomic_load_n(&w->result, __ATOMIC_ACQUIRE);
			/* Its sender left, told "sent": queued for the next receiver. */
			if (res == PMB_RES_LEFT || (res == 0 && !w->tid))
				pmb_msg(p, msg)->sender = 0;
		} else if (msg != PMB_NIL) {
			int32_t pending = 1, res;

			if (state == IPC_STATE_DESTROYED)
				res = -EIDRM;
			else if (pend_done && pend->head == msg && pend->seq == seq)
				res = pend->op == P_RECV ? 0 : pend->result;
			else
				res = -EBADMSG;	/* cannot happen */
			/* Unless its sender left first, told what it said. */
			__atomic_compare_exchange_n(&w->result, &pending, res, false,
						    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		}
	}
	h->nwaiting = nwaiting;
	h->pend.op = P_NONE;
	for (i = 0; i < p->nwait; i++)
		if (p->w[i].kind != W_NONE && !pmb_slot_alive(p, i))
			pmb_reap(p, i, &ws);
}

/*
 * The previous holder of the lock died.  Rebuild everything derived from
 * what is authoritative (see pmb.h).  Idempotent, so that a death during
 * recovery is recovered in turn; the one allocation, to sort the queue,
 * may fail: the queue is then in storage order.
 */
void pmb_recover(struct pmb *p)
{
	struct pmb_hdr *h = p->hdr;
	uint32_t i, n = 0, hwm = h->hwm, state = h->state, len, nchunks, used = 0, tail;
	struct pmb_pend pend;
	struct pmb_qent *q;
	uint64_t msgs = 0, bytes = 0;
	bool pend_done;

	if (hwm > p->nchunks)
		hwm = p->nchunks;
	h->hwm = hwm;
	if (state > IPC_STATE_DESTROYED)
		state = IPC_STATE_DESTROYED;
	h->state = state;

	/* 1. The interrupted operation's totals, if it got that far. */
	memcpy(&pend, &h->pend, sizeof(pend));
	pend_done = pend.op != P_NONE && pmb_pend_done(p, &pend, state);
	if (pend_done) {
		h->sent = pend.sent;
		h->received = pend.received;
		h->dropped = pend.dropped;
	}

	/*
	 * 2. Only published messages survive, and none once destroyed; and
	 * replies their callers are still to collect (call.c).
	 */
	for (i = 0; i < hwm; i++)
		if ((p->cstate[i] != C_QUEUED || state == IPC_STATE_DESTROYED) &&
		    p->cstate[i] != C_REPLY)
			p->cstate[i] = C_FREE;

	/* 3. Check each message's chain and gather the messages. */
	q = malloc((size_t)hwm * sizeof(*q) + 1);
	for (i = 0; i < hwm; i++) {
		struct pmb_msg *m = pmb_msg(p, i);

		uint32_t prio;

		if (p->cstate[i] == C_REPLY) {
			len = m->len;
			nchunks = m->nchunks;
			if (pmb_reply_owner(p, i) < 0 ||
			    !pmb_mark_chain(p, i, hwm, len, nchunks))
				p->cstate[i] = C_FREE;
			else
				used += nchunks;
			continue;
		}
		if (p->cstate[i] != C_QUEUED)
			continue;
		len = m->len;
		nchunks = m->nchunks;
		prio = m->prio;
		if (prio > IPC_PRIO_MAX || (prio && !(p->flags & IPC_PRIO)) ||
		    !pmb_mark_chain(p, i, hwm, len, nchunks)) {
			p->cstate[i] = C_FREE;	/* corrupt: drop it */
			h->dropped++;
			continue;
		}
		if (q) {
			q[n].seq = m->seq;
			q[n].c = i;
			q[n].prio = prio;
		}
		n++;
		msgs++;
		bytes += len;
		used += nchunks;
	}
	h->msgs = msgs;
	h->bytes = bytes;
	h->used = used;

	/* 4. The queue, in sending order (storage order without memory). */
	if (q)
		qsort(q, n, sizeof(*q), pmb_qent_cmp);
	h->qhead = tail = PMB_NIL;
	for (i = 0; q ? i < n : i < hwm; i++) {
		uint32_t c = q ? q[i].c : i;

		if (!q && p->cstate[c] != C_QUEUED)
			continue;
		pmb_msg(p, c)->prev = tail;
		pmb_msg(p, c)->next = PMB_NIL;
		if (tail != PMB_NIL)
			pmb_msg(p, tail)->next = c;
		else
			h->qhead = c;
		tail = c;
	}
	h->qtail = tail;
	free(q);

	/* 5. The free list: every chunk no message holds. */
	h->free_head = PMB_NIL;
	for (i = hwm; i-- > 0;)
		if (p->cstate[i] == C_FREE) {
			p->next[i] = h->free_head;
			h->free_head = i;
		}

	/*
	 * 6. Waiters.  A waiting sender's result is set after its message
	 * leaves the queue: if the message is gone and no result was set,
	 * the interrupted operation says what happened to it.  The journal
	 * entry is cleared only once every result is stored, so that a death
	 * in here leaves the next recovery as much to go on.
	 */
	PMB_HOOK(LIBIPC_HOOK_RECOVER);
	pmb_recover_waiters(p, &pend, pend_done, state);

	/* 7. Everyone looks again (a rare path: wake them with the lock held). */
	for (i = 0; i < p->nwait; i++)
		__atomic_add_fetch(&p->w[i].futex, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&h->slot_futex, 1, __ATOMIC_RELEASE);
	for (i = 0; i < p->nwait; i++)
		pmb_futex_wake(&p->w[i].futex);
	pmb_futex_wake(&h->slot_futex);
}
