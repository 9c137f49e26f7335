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
#include <string.h>

#include "pmb.h"

/* ---- recovery ------------------------------------------------------------------- */

static uint32_t pmb_merge(struct pmb *p, uint32_t a, uint32_t b)
{
	uint32_t head = PMB_NIL, *tail = &head;

	while (a != PMB_NIL && b != PMB_NIL) {
		uint32_t *from = pmb_msg(p, a)->seq < pmb_msg(p, b)->seq ? &a : &b;

		*tail = *from;
		tail = &pmb_msg(p, *from)->next;
		*from = *tail;
	}
	*tail = a != PMB_NIL ? a : b;
	return head;
}

/* Sort a list linked through pmb_msg.next by seq, without allocating. */
static uint32_t pmb_sort(struct pmb *p, uint32_t list)
{
	uint32_t bins[33], res = PMB_NIL, cur;
	int k;

	for (k = 0; k < 33; k++)
		bins[k] = PMB_NIL;
	while (list != PMB_NIL) {
		cur = list;
		list = pmb_msg(p, cur)->next;
		pmb_msg(p, cur)->next = PMB_NIL;
		for (k = 0; k < 32 && bins[k] != PMB_NIL; k++) {
			cur = pmb_merge(p, bins[k], cur);
			bins[k] = PMB_NIL;
		}
		bins[k] = pmb_merge(p, bins[k], cur);
	}
	for (k = 0; k < 33; k++)
		res = pmb_merge(p, bins[k], res);
	return res;
}

/* Did the interrupted operation reach its publishing store? */
static bool pmb_pend_done(struct pmb *p, const struct pmb_pend *pd)
{
	switch (pd->op) {
	case P_SEND:
		return pmb_present(p, pd->head, pd->seq);
	case P_RECV:
	case P_WITHDRAW:
		return !pmb_present(p, pd->head, pd->seq);
	case P_DESTROY:
		return p->hdr->state == IPC_STATE_DESTROYED;
	}
	return false;
}

/* Mark the body chunks of a queued message; false if its chain is bad. */
static bool pmb_mark_chain(struct pmb *p, uint32_t head)
{
	struct pmb_msg *m = pmb_msg(p, head);
	uint32_t c = head, i, n, len = m->len, nchunks = m->nchunks;

	if (len > p->max_msg_size || nchunks != pmb_chunks_for(len))
		return false;
	for (i = 1; i < nchunks; i++) {
		c = p->next[c];
		if (!pmb_chunk_ok(p, c) || p->cstate[c] != C_FREE)
			break;
		p->cstate[c] = C_BODY;
	}
	if (i == nchunks)
		return true;
	/* Undo the marks made: the chunks belong to no one. */
	for (n = i, c = head, i = 1; i < n; i++) {
		c = p->next[c];
		if (!pmb_chunk_ok(p, c))
			break;
		p->cstate[c] = C_FREE;
	}
	return false;
}

/*
 * The previous holder of the lock died.  Rebuild everything derived from
 * what is authoritative (see the top of pmb.h).  Allocates
 * nothing and is idempotent, so that a death during recovery is recovered
 * in turn.
 */
void pmb_recover(struct pmb *p)
{
	struct pmb_hdr *h = p->hdr;
	struct pmb_pend *pd = &h->pend;
	uint32_t i, list = PMB_NIL, prev;
	struct pmb_wake ws;
	int32_t pend_result = 0;
	uint32_t pend_op = P_NONE, pend_head = PMB_NIL;
	uint64_t pend_seq = 0;

	if (h->hwm > p->nchunks)
		h->hwm = p->nchunks;
	if (h->state > IPC_STATE_DESTROYED)
		h->state = IPC_STATE_DESTROYED;

	/* 1. The interrupted operation's totals, if it got that far. */
	if (pd->op != P_NONE && pmb_pend_done(p, pd)) {
		h->sent = pd->sent;
		h->received = pd->received;
		h->dropped = pd->dropped;
		pend_op = pd->op;
		pend_head = pd->head;
		pend_seq = pd->seq;
		pend_result = pd->op == P_RECV ? 0 : pd->result;
	}

	/* 2. Only published messages survive, and none once destroyed. */
	for (i = 0; i < h->hwm; i++)
		if (p->cstate[i] != C_QUEUED || h->state == IPC_STATE_DESTROYED)
			p->cstate[i] = C_FREE;

	/* 3. Check each message's chain and gather the messages. */
	h->msgs = h->bytes = 0;
	h->used = 0;
	for (i = 0; i < h->hwm; i++) {
		struct pmb_msg *m = pmb_msg(p, i);

		if (p->cstate[i] != C_QUEUED)
			continue;
		if (!pmb_mark_chain(p, i)) {
			p->cstate[i] = C_FREE;	/* corrupt: drop it */
			h->dropped++;
			continue;
		}
		m->next = list;
		list = i;
		h->msgs++;
		h->bytes += m->len;
		h->used += m->nchunks;
	}

	/* 4. The queue, in sending order. */
	list = pmb_sort(p, list);
	h->qhead = list;
	h->qtail = PMB_NIL;
	for (prev = PMB_NIL, i = list; i != PMB_NIL; prev = i, i = pmb_msg(p, i)->next)
		pmb_msg(p, i)->prev = prev;
	h->qtail = prev;

	/* 5. The free list: every chunk no message holds. */
	h->free_head = PMB_NIL;
	for (i = h->hwm; i-- > 0;)
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
	memset(&ws, 0, sizeof(ws));
	PMB_HOOK(LIBIPC_HOOK_RECOVER);
	h->nwaiting = 0;
	for (i = 0; i < p->nwait; i++) {
		struct pmb_waiter *w = &p->w[i];

		if (w->kind > W_TAKEN)
			w->kind = W_NONE;
		if (w->kind == W_NONE)
			continue;
		h->nwaiting++;
		if (w->kind == W_TAKEN) {
			if (pmb_present(p, w->msg, w->seq))
				w->result = 1;
			else if (w->result == 1 && w->msg != PMB_NIL) {
				if (h->state == IPC_STATE_DESTROYED)
					w->result = -EIDRM;
				else if (pend_op != P_NONE && pend_head == w->msg &&
					 pend_seq == w->seq)
					w->result = pend_result;
				else
					w->result = -EBADMSG;	/* cannot happen */
			}
		}
	}
	pd->op = P_NONE;
	for (i = 0; i < p->nwait; i++)
		if (p->w[i].kind != W_NONE && !pmb_slot_alive(p, i))
			pmb_reap(p, i, &ws);

	/* 7. Everyone looks again (a rare path: wake them with the lock held). */
	for (i = 0; i < p->nwait; i++)
		__atomic_add_fetch(&p->w[i].futex, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&h->slot_futex, 1, __ATOMIC_RELEASE);
	for (i = 0; i < p->nwait; i++)
		pmb_futex_wake(&p->w[i].futex);
	pmb_futex_wake(&h->slot_futex);
}
