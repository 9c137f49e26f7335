// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The posix backend's chunks and message queue: the chunk allocator,
 * copying messages in and out, the queue, and taking a message out of it
 * (design: pmb.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "pmb.h"

/* ---- chunks and the queue (lock held) -------------------------------------- */

/*
 * Everything read from the segment is checked before use, read once into
 * a local, then checked and used from there (a peer may write it at any
 * moment, lock or no lock), and no walk over a list in it goes on for
 * longer than the list could be: damage is found, never followed.  What
 * is found is repaired by pmb_recover(), which rebuilds the derived state
 * from the authoritative marks, or reported as EBADMSG.
 */

static uint32_t pmb_chunk_get(struct pmb *p)
{
	struct pmb_hdr *h = p->hdr;
	uint32_t c = h->free_head;

	if (c != PMB_NIL) {
		if (!pmb_chunk_ok(p, c) || p->cstate[c] != C_FREE)
			return PMB_NIL;		/* corrupt */
		h->free_head = p->next[c];
		return c;
	}
	if (h->hwm < p->nchunks)
		return h->hwm++;
	return PMB_NIL;
}

static void pmb_chunk_put(struct pmb *p, uint32_t c)
{
	p->cstate[c] = C_FREE;
	p->next[c] = p->hdr->free_head;
	p->hdr->free_head = c;
}

/* Frees the chunks of a message already taken off cstate C_QUEUED. */
void pmb_msg_free(struct pmb *p, uint32_t head)
{
	uint32_t n = pmb_msg(p, head)->nchunks, c = head, nc;

	if (n > p->nchunks)
		n = p->nchunks;
	while (n-- && pmb_chunk_ok(p, c)) {
		nc = p->next[c];
		pmb_chunk_put(p, c);
		if (p->hdr->used)
			p->hdr->used--;
		c = nc;
	}
}

/*
 * A chain of n chunks, its first one C_WRITING, or PMB_NIL: storage is
 * sized never to run out, so that means a corrupt free list.
 */
uint32_t pmb_msg_alloc(struct pmb *p, uint32_t n)
{
	uint32_t head, prev, c, i;

	if (p->hdr->used > p->nchunks || n > p->nchunks - p->hdr->used)
		return PMB_NIL;
	head = prev = pmb_chunk_get(p);
	if (head == PMB_NIL)
		return PMB_NIL;
	p->cstate[head] = C_WRITING;
	p->hdr->used++;
	for (i = 1; i < n; i++) {
		c = pmb_chunk_get(p);
		if (c == PMB_NIL) {
			p->next[prev] = PMB_NIL;
			pmb_msg(p, head)->nchunks = i;
			pmb_msg_free(p, head);
			return PMB_NIL;
		}
		p->cstate[c] = C_BODY;
		p->hdr->used++;
		p->next[prev] = c;
		prev = c;
	}
	p->next[prev] = PMB_NIL;
	return head;
}

/* Copy the iovec into the message's chunks (or out of them, to_iov). */
void pmb_msg_copy(struct pmb *p, uint32_t head, const struct iovec *iov,
		  int iovcnt, size_t len, bool to_iov)
{
	size_t off = 0, room = PMB_CHUNK - PMB_MSG_HDR;
	uint8_t *data = (uint8_t *)pmb_msg(p, head) + PMB_MSG_HDR;
	uint32_t c = head;

	while (off < len) {
		size_t n = len - off < room ? len - off : room;

		if (to_iov)
			ipc_iov_copy_to(iov, iovcnt, off, data, n);
		else
			ipc_iov_copy_from(data, iov, iovcnt, off, n);
		off += n;
		if (off == len)
			break;
		c = p->next[c];
		if (!pmb_chunk_ok(p, c))
			return;		/* corrupt: stop, never stray */
		data = (uint8_t *)pmb_msg(p, c);
		room = PMB_CHUNK;
	}
}

/*
 * Append a published message to the queue: false, changing nothing, if
 * the queue's tail is not a queued message (the caller then recovers,
 * which queues the message too: it is published).
 */
bool pmb_q_append(struct pmb *p, uint32_t c)
{
	struct pmb_hdr *h = p->hdr;
	struct pmb_msg *m = pmb_msg(p, c);
	uint32_t tail = h->qtail;

	if (tail == PMB_NIL ? h->qhead != PMB_NIL :
	    !pmb_chunk_ok(p, tail) || p->cstate[tail] != C_QUEUED || tail == c)
		return false;
	m->next = PMB_NIL;
	m->prev = tail;
	if (tail != PMB_NIL)
		pmb_msg(p, tail)->next = c;
	else
		h->qhead = c;
	h->qtail = c;
	h->msgs++;
	h->bytes += m->len;
	return true;
}

static void pmb_q_remove(struct pmb *p, uint32_t c)
{
	struct pmb_hdr *h = p->hdr;
	struct pmb_msg *m = pmb_msg(p, c);
	uint32_t prev = m->prev, next = m->next, len = m->len;

	if (prev != PMB_NIL && pmb_chunk_ok(p, prev))
		pmb_msg(p, prev)->next = next;
	else
		h->qhead = next;
	if (next != PMB_NIL && pmb_chunk_ok(p, next))
		pmb_msg(p, next)->prev = prev;
	else
		h->qtail = prev;
	h->msgs--;
	h->bytes -= len;
}

/* The idx-th queued message (0 = oldest), or PMB_NIL (none, or damage). */
uint32_t pmb_q_nth(struct pmb *p, uint64_t idx)
{
	uint32_t c = p->hdr->qhead;

	if (idx >= p->nchunks)
		return PMB_NIL;		/* no queue is that long: no walk either */
	while (c != PMB_NIL && pmb_chunk_ok(p, c) && idx--)
		c = pmb_msg(p, c)->next;
	return c != PMB_NIL && pmb_chunk_ok(p, c) ? c : PMB_NIL;
}

/* Is this (chunk, seq) still a queued message? */
bool pmb_present(struct pmb *p, uint32_t c, uint64_t seq)
{
	return pmb_chunk_ok(p, c) && p->cstate[c] == C_QUEUED &&
	       pmb_msg(p, c)->seq == seq;
}

/* ---- messages leaving the queue ------------------------------------------------ */

/* The waiter slot still waiting for this message, or -1. */
int pmb_sender_slot(struct pmb *p, const struct pmb_msg *m)
{
	uint32_t sender = m->sender, s = sender - 1;

	if (!sender || s >= p->nwait || p->w[s].kind != W_TAKEN ||
	    p->w[s].gen != m->sender_gen ||
	    !__atomic_load_n(&p->w[s].tid, __ATOMIC_ACQUIRE))
		return -1;
	return (int)s;
}

/*
 * Take a message out of the queue.  op P_RECV: a receiver has it (its
 * waiting sender, if any, is told 0); P_WITHDRAW: it was never sent (its
 * waiting sender is told result, if not 0).  Room for senders either way;
 * and a withdrawn message may have been claimed: the claims behind it
 * move up, so receivers and peekers look again.
 */
void pmb_unqueue(struct pmb *p, uint32_t c, uint32_t op, int result,
		 struct pmb_wake *ws)
{
	struct pmb_hdr *h = p->hdr;
	struct pmb_msg *m = pmb_msg(p, c);
	struct pmb_pend *pd = &h->pend;
	int s;

	pd->head = c;
	pd->seq = m->seq;
	pd->result = result;
	pd->sent = h->sent - (op == P_WITHDRAW);
	pd->received = h->received + (op == P_RECV);
	pd->dropped = h->dropped;
	pd->op = op;
	p->cstate[c] = C_FREE;			/* the message is gone */
	PMB_HOOK(op == P_RECV ? LIBIPC_HOOK_RECV_COMMIT : LIBIPC_HOOK_WITHDRAW);

	s = pmb_sender_slot(p, m);
	if (s >= 0 && op == P_RECV) {
		p->w[s].result = 0;	/* pmb_take_sender's already */
		pmb_wake_slot(p, s, ws);
	} else if (s >= 0 && result) {
		int32_t pending = 1;	/* unless it gave up first (pmb_abandon) */

		__atomic_compare_exchange_n(&p->w[s].result, &pending, result, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
		pmb_wake_slot(p, s, ws);
	}
	pmb_q_remove(p, c);
	pmb_msg_free(p, c);
	h->sent = pd->sent;
	h->received = pd->received;
	pd->op = P_NONE;
	pmb_changed(ws);
	pmb_wake_kinds(p, W_BIT(W_ROOM) | (op == P_WITHDRAW ?
			  W_BIT(W_RECV) | W_BIT(W_PEEK) : 0), ws);
}
