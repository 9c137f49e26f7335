// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* The posix backend's close and destroy (design: pmb.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>

#include "pmb.h"

/* ---- close, destroy ---------------------------------------------------------------- */

int pmb_close(struct ipc_mbox *mb)
{
	struct pmb *p = to_pmb(mb);
	struct pmb_hdr *h = p->hdr;
	struct pmb_wake ws = { .slots = false };
	struct pmb_scan sc;
	uint32_t c, nc, n;
	int ret, tries;

	ret = pmb_lock(p, NULL);
	if (ret)
		return ret;
	if (h->state == IPC_STATE_DESTROYED) {
		ret = -EIDRM;
	} else if (h->state == IPC_STATE_CLOSED) {
		ret = -EPIPE;		/* closed already, as the kernel says */
	} else if (h->state == IPC_STATE_OPEN) {
		h->state = IPC_STATE_CLOSED;
		pmb_changed(&ws);
		PMB_HOOK(LIBIPC_HOOK_CLOSE);
		/*
		 * Senders still waiting for a receiver give up (claimed ones
		 * are taken).  A damaged queue is rebuilt and gone over again.
		 */
		for (tries = 0; tries < 2; tries++) {
			pmb_reap_now(p);
			pmb_scan(p, -1, &sc, &ws);
			c = pmb_q_nth(p, pmb_claimed(p, &sc));
			for (n = 0; c != PMB_NIL; c = nc, n++) {
				if (!pmb_chunk_ok(p, c) || p->cstate[c] != C_QUEUED ||
				    n >= p->nchunks)
					break;
				nc = pmb_msg(p, c)->next;
				if (pmb_msg(p, c)->sender)
					pmb_unqueue(p, c, P_WITHDRAW, -EPIPE, &ws);
			}
			if (c == PMB_NIL)
				break;
			pmb_recover(p);
		}
		pmb_wake_kinds(p, W_ALL, &ws);
	}
	pmb_unlock(p, &ws);
	return ret;
}

int pmb_destroy(struct ipc_mbox *mb)
{
	struct pmb *p = to_pmb(mb);
	struct pmb_hdr *h = p->hdr;
	struct pmb_wake ws = { .slots = false };
	uint64_t withdrawn = 0, dropped = 0;
	bool damaged = false;
	uint32_t c, nc, n;
	int ret, s, tries;

	ret = pmb_owner_permission(p->uid);
	if (ret)
		return ret;
	ret = pmb_lock(p, NULL);
	if (ret)
		return ret;
	if (h->state == IPC_STATE_DESTROYED) {
		pmb_unlock(p, NULL);
		return -EIDRM;
	}
	/*
	 * Waiting senders' messages are withdrawn, the others dropped.  A
	 * damaged queue is rebuilt first, to be counted right.
	 */
	for (tries = 0; tries < 2; tries++) {
		withdrawn = dropped = 0;
		damaged = false;
		for (c = h->qhead, n = 0; c != PMB_NIL; c = pmb_msg(p, c)->next, n++) {
			if (!pmb_chunk_ok(p, c) || p->cstate[c] != C_QUEUED ||
			    n >= p->nchunks) {
				damaged = true;
				break;
			}
			if (pmb_sender_slot(p, pmb_msg(p, c)) >= 0)
				withdrawn++;
			else
				dropped++;
		}
		if (!damaged)
			break;
		pmb_recover(p);
	}
	h->pend.sent = h->sent - withdrawn;
	h->pend.received = h->received;
	h->pend.dropped = h->dropped + dropped;
	h->pend.op = P_DESTROY;
	h->state = IPC_STATE_DESTROYED;		/* destroyed */
	pmb_changed(&ws);
	PMB_HOOK(LIBIPC_HOOK_DESTROY);
	for (c = h->qhead, n = 0; !damaged && c != PMB_NIL; c = nc, n++) {
		struct pmb_msg *m;

		if (!pmb_chunk_ok(p, c) || p->cstate[c] != C_QUEUED || n >= p->nchunks) {
			damaged = true;
			break;
		}
		m = pmb_msg(p, c);
		nc = m->next;
		s = pmb_sender_slot(p, m);
		if (s >= 0) {
			p->w[s].result = -EIDRM;
			pmb_wake_slot(p, s, &ws);
		}
		p->cstate[c] = C_FREE;
		pmb_msg_free(p, c);
	}
	/* A damaged queue: recovery frees everything of a destroyed mailbox. */
	if (damaged)
		pmb_recover(p);
	h->qhead = h->qtail = PMB_NIL;
	h->msgs = h->bytes = 0;
	h->sent = h->pend.sent;
	h->dropped = h->pend.dropped;
	h->pend.op = P_NONE;
	if (p->named && h->linked)
		pmb_unlink_own(p);
	h->linked = 0;
	pmb_wake_kinds(p, W_ALL, &ws);
	pmb_unlock(p, &ws);
	return 0;
}
