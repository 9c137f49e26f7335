// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The posix backend's waiter slots: registering blocked calls, telling
 * dead ones and reaping them, and who is in line (design: pmb.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "pmb.h"

/* ---- waiter slots (lock held) ---------------------------------------------------- */

/* Does a blocked call of this kind receive (or peek), rather than send? */
static bool pmb_kind_recv(uint32_t kind)
{
	return kind == W_RECV || kind == W_PEEK || kind == W_SEL;
}

/*
 * Is it time this handle looked for dead waiters?  Telling one takes a
 * system call per slot (pmb_slot_alive, with the lock held): a handle
 * looks every PMB_REAP_NS, whether for the queue (pmb_scan) or for a slot
 * (pmb_slot_get), not on every call.  Its waiters' PMB_POLL_NS wake-ups
 * make sure someone looks; pmb_reap_now makes the next look one.
 */
static bool pmb_reap_due(struct pmb *p)
{
	int64_t now = ipc_now_ns();

	if (now < __atomic_load_n(&p->reap_due, __ATOMIC_RELAXED))
		return false;
	__atomic_store_n(&p->reap_due, now + PMB_REAP_NS, __ATOMIC_RELAXED);
	return true;
}

/*
 * Slots held by calls going the way of kind (sending or receiving).  A
 * slot given up (pmb_abandon: no tid) is reaped, which costs nothing;
 * with look set, so are holders found dead, which costs a system call
 * each.
 */
static uint32_t pmb_slots_held(struct pmb *p, uint32_t kind, bool look,
			       struct pmb_wake *ws)
{
	uint32_t i, k, n = 0;

	for (i = 0; i < p->nwait; i++) {
		k = p->w[i].kind;
		if (k == W_NONE)
			continue;
		if (!__atomic_load_n(&p->w[i].tid, __ATOMIC_ACQUIRE) ||
		    (look && !pmb_slot_alive(p, i))) {
			pmb_reap(p, i, ws);
			continue;
		}
		if (pmb_kind_recv(k) == pmb_kind_recv(kind))
			n++;
	}
	return n;
}

/*
 * Register the calling thread as a blocked call of this kind: a slot, or
 * -1.  Senders and receivers may each hold half the slots at most, so that
 * neither side can take every slot while it waits for the other (128
 * receivers blocked on a rendezvous would leave no slot to the sender they
 * wait for).  When the caller's half is full, dead holders are reaped:
 * only looking at the queue (pmb_scan) does that otherwise, and a sender
 * waiting for a slot does not look.  But not on every try (pmb_reap_due):
 * calls waiting for a slot all try again each time one is freed and every
 * PMB_POLL_NS, and each telling every holder alive, with the lock held,
 * made the lock the bottleneck (64 calls waiting for a slot: 4096 system
 * calls per slot freed, 40000 a second with nothing happening).
 */
int pmb_slot_get(struct pmb *p, uint32_t kind, struct pmb_wake *ws)
{
	struct pmb_hdr *h = p->hdr;
	uint32_t i, half = p->nwait / 2;

	if (pmb_slots_held(p, kind, false, ws) >= half &&
	    (!pmb_reap_due(p) || pmb_slots_held(p, kind, true, ws) >= half))
		return -1;
	for (i = 0; i < p->nwait; i++) {
		struct pmb_waiter *w = &p->w[i];

		if (w->kind != W_NONE)
			continue;
		PMB_HOOK(LIBIPC_HOOK_SLOT);
		w->tid = pmb_tid();
		w->sleeping = 0;
		w->ticket = h->next_ticket++;
		w->gen = ++h->gen;
		w->pid = pmb_self()->pid;
		w->result = 1;
		w->msg = PMB_NIL;
		w->seq = 0;
		w->sel = 0;
		w->call = 0;
		w->spid = 0;
		w->reply = PMB_NIL;
		w->kind = kind;
		h->nwaiting++;
		return (int)i;
	}
	return -1;
}

void pmb_slot_put(struct pmb *p, int i, struct pmb_wake *ws)
{
	p->w[i].kind = W_NONE;
	p->w[i].tid = 0;
	p->hdr->nwaiting--;
	__atomic_add_fetch(&p->hdr->slot_futex, 1, __ATOMIC_RELEASE);
	ws->slots = true;
}

/*
 * Is the thread holding slot i alive?  A slot given up without the lock
 * (pmb_abandon) has no thread; otherwise its tid says (pmb_holder_dead).
 */
bool pmb_slot_alive(struct pmb *p, uint32_t i)
{
	uint32_t tid = __atomic_load_n(&p->w[i].tid, __ATOMIC_ACQUIRE);

	if (!tid)
		return false;
	PMB_HOOK(LIBIPC_HOOK_PROBE);
	/* Only a thread-group leader (tid == pid) lingers as a zombie. */
	return !pmb_dead(p->pidns, __atomic_load_n(&p->hdr->foreign, __ATOMIC_RELAXED),
			 tid, (uint32_t)p->w[i].pid == tid);
}

/*
 * Give up slot i without the lock, which could not be taken back in time
 * (a holder stopped, say): the call returns err.  A waiting sender's
 * outcome is decided by one compare-and-swap on its result, against the
 * receiver that takes the message (pmb_take_sender): the first one wins,
 * and the call returns what it says.  The slot then has no thread: the
 * next look at the slots reaps it, withdrawing a message not taken.
 */
int pmb_abandon(struct pmb *p, int i, int err)
{
	struct pmb_waiter *w = &p->w[i];
	int32_t cur = 1;
	int ret = err, tries;

	/*
	 * Taken (0) is final only once marked so: recovery, after a taker
	 * died, sets 0 back to 1 for a sender it finds still there (this
	 * one, until it clears its tid below), and reaping would then
	 * withdraw a message this call said was sent.  Only recovery moves
	 * 0 back to 1, once: a few tries are enough, and bound what a peer
	 * flipping the word can make us do.
	 */
	for (tries = 0; __atomic_load_n(&w->kind, __ATOMIC_RELAXED) == W_TAKEN &&
	     tries < 8; tries++) {
		if (__atomic_compare_exchange_n(&w->result, &cur, err, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;			/* not sent: withdrawn when reaped */
		if (cur == 0 && !__atomic_compare_exchange_n(&w->result, &cur, PMB_RES_LEFT,
							     false, __ATOMIC_ACQ_REL,
							     __ATOMIC_ACQUIRE))
			continue;		/* recovery: pending again, or else */
		if (cur == 0 || cur == PMB_RES_LEFT)
			ret = 0;		/* sent: taken */
		else if (cur < 0 && cur >= -4095)
			ret = cur;		/* withdrawn: close, destroy */
		break;
	}
	PMB_HOOK(LIBIPC_HOOK_ABANDON);
	__atomic_store_n(&w->tid, 0, __ATOMIC_RELEASE);
	return ret;
}

/*
 * A receiver takes the message of the sender waiting in slot s: false if
 * that sender gave up first (pmb_abandon), and the message must be
 * withdrawn instead.  Lock held.
 */
bool pmb_take_sender(struct pmb *p, int s)
{
	int32_t pending = 1;

	return __atomic_compare_exchange_n(&p->w[s].result, &pending, 0, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
	       pending == 0 || pending == PMB_RES_LEFT;
}

/*
 * Clean up after a dead waiter: its slot is freed, and a message it was
 * waiting to see taken is withdrawn, as the kernel withdraws a killed
 * sender's.  Claims may shift: everyone looks again.
 */
void pmb_reap(struct pmb *p, uint32_t i, struct pmb_wake *ws)
{
	struct pmb_waiter *w = &p->w[i];
	uint32_t msg = w->msg;
	int32_t res = __atomic_load_n(&w->result, __ATOMIC_ACQUIRE);

	/*
	 * Taken (0, PMB_RES_LEFT): a receiver has it, or had it and died
	 * (pmb_recover then left it queued for the next one).
	 */
	if (w->kind == W_TAKEN && pmb_present(p, msg, w->seq) && res != 0 &&
	    res != PMB_RES_LEFT)
		pmb_unqueue(p, msg, P_WITHDRAW, 0, ws);
	/* A caller that died with its reply not collected: the reply goes. */
	if (w->kind == W_CALL && res == PMB_RES_REPLIED)
		pmb_reply_free(p, i);
	w->kind = W_NONE;
	w->tid = 0;
	p->hdr->nwaiting--;
	__atomic_add_fetch(&p->hdr->slot_futex, 1, __ATOMIC_RELEASE);
	ws->slots = true;
	pmb_changed(ws);	/* claims shift */
	pmb_wake_kinds(p, W_ALL, ws);
}

void pmb_scan(struct pmb *p, int me, struct pmb_scan *sc,
	      struct pmb_wake *ws)
{
	uint32_t i, j;
	bool reap;

	memset(sc, 0, offsetof(struct pmb_scan, order));
	if (!p->hdr->nwaiting)
		return;
	/* Telling a dead waiter takes system calls: not on every call. */
	reap = pmb_reap_due(p);
	for (i = 0; i < p->nwait; i++) {
		struct pmb_waiter *w = &p->w[i];
		uint32_t kind = w->kind;

		if (kind == W_NONE)
			continue;
		if ((int)i != me && (!__atomic_load_n(&w->tid, __ATOMIC_ACQUIRE) ||
				     (reap && !pmb_slot_alive(p, i)))) {
			pmb_reap(p, i, ws);
			continue;
		}
		switch (kind) {
		case W_RECV:
			/* Insertion by ticket: there are few. */
			for (j = sc->nrecv; j > 0 &&
			     p->w[sc->order[j - 1]].ticket > w->ticket; j--)
				sc->order[j] = sc->order[j - 1];
			sc->order[j] = (uint8_t)i;
			sc->nrecv++;
			break;
		case W_PEEK:
			sc->npeek++;
			break;
		case W_SEL:
			sc->nsel++;
			break;
		case W_CALL:
			sc->ncall++;
			break;
		default:
			sc->nsend++;
			break;
		}
	}
	for (j = 0; j < sc->nrecv; j++)
		if ((int)sc->order[j] == me)
			sc->rank = j;
}

/* Messages claimed by receivers in line: the oldest min(msgs, nrecv). */
uint64_t pmb_claimed(struct pmb *p, const struct pmb_scan *sc)
{
	return p->hdr->msgs < sc->nrecv ? p->hdr->msgs : sc->nrecv;
}

/* Is message c among the first n of the queue? */
bool pmb_in_first(struct pmb *p, uint32_t c, uint64_t n)
{
	uint32_t q = p->hdr->qhead;

	for (; n && q != PMB_NIL && pmb_chunk_ok(p, q); n--, q = pmb_msg(p, q)->next)
		if (q == c)
			return true;
	return false;
}
