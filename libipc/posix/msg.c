// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* The posix backend's send and receive (design: pmb.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>

#include "pmb.h"

/* ---- send and receive ------------------------------------------------------------ */

/*
 * A send, or with ca a call's request (call.c): a message that must be
 * taken, marked PMB_MSG_CALL, whose waiting is pmb_call_wait's once it is
 * queued.
 */
ssize_t pmb_do_send(struct pmb *p, const struct ipc_msg_req *req,
		    struct pmb_call_args *ca)
{
	struct pmb_hdr *h = p->hdr;
	bool must_take = req->flags & IPC_SYNC || p->capacity == 0 || ca;
	const struct pmb_self *self = pmb_self();
	uint32_t need = pmb_chunks_for(req->len), head;
	struct pmb_wake ws = { .slots = false };
	struct pmb_scan sc;
	struct pmb_msg *m;
	struct pmb_dl dl;
	bool intr = false, room, claimed, handoff, waits;
	uint64_t before;
	uint32_t prio = req->sopt ? req->sopt->prio : 0;
	uint64_t tag = req->sopt ? req->sopt->tag : 0;
	int slot = -1, ret, s;
	bool queued;

	/* The mailbox was not made for these (the front end checked the range). */
	if ((prio && !(p->flags & IPC_PRIO)) || (tag && !(p->flags & IPC_SELECT)))
		return -EINVAL;
	pmb_dl_init(&dl, req->wait);
	/*
	 * A message that must be taken, sent without waiting, is handed to a
	 * receiver already in line (or the send fails with EAGAIN), and the
	 * send returns at once: it never waits for that receiver to run.
	 */
	handoff = must_take && dl.mode == IPC_NONBLOCK;
	waits = must_take && !handoff;
	pmb_notify_drain(p, &dl);
	ret = pmb_lock(p, &dl);
	if (ret)
		return ret;
	/* The kernel's order: a mailbox no longer open, a size, the quota. */
	if (h->state != IPC_STATE_OPEN) {
		ret = h->state == IPC_STATE_CLOSED ? -EPIPE : -EIDRM;
		goto out;
	}
	if (req->len > p->max_msg_size) {
		ret = -EMSGSIZE;
		goto out;
	}

	/* 1. Wait for room (and, for a message that must be taken, a slot). */
	for (;;) {
		if (((uint64_t)h->used + need) * PMB_CHUNK > p->quota) {
			ret = -ENOBUFS;		/* at once, whatever else */
			goto out;
		}
		if (h->state == IPC_STATE_DESTROYED) {
			ret = -EIDRM;
			goto out;
		}
		if (h->state == IPC_STATE_CLOSED) {
			ret = -EPIPE;
			goto out;
		}
		room = p->capacity == 0 || p->capacity == IPC_UNBOUNDED ||
		       h->msgs < p->capacity;
		if (room && !waits)
			break;
		if (room && slot >= 0) {
			p->w[slot].kind = W_TAKEN;
			break;
		}
		if (!room && handoff) {
			ret = -EAGAIN;
			goto out;
		}
		if (slot < 0)
			slot = pmb_slot_get(p, room ? W_TAKEN : W_ROOM, &ws);
		if (room && slot >= 0)
			break;
		/* No room, or no slot to wait in: sleep. */
		ret = pmb_may_sleep(&dl, intr);
		if (ret)
			goto out;
		ret = pmb_sleep(p, slot, &dl, &ws);
		if (ret == -EINTR)
			intr = true;
		else if (ret)
			goto out_unlocked;
	}

	/* A rendezvous needs a receiver now, unless the call may wait for one. */
	pmb_scan(p, slot, &sc, &ws);
	if (must_take && sc.nrecv <= pmb_claimed(p, &sc)) {
		ret = pmb_may_sleep(&dl, intr);
		if (ret)
			goto out;
	}

	/* 2. Write the message, then publish it with one store. */
	ret = pmb_back(p, need);
	if (ret)
		goto out;
	head = pmb_msg_alloc(p, need);
	if (head == PMB_NIL) {
		ret = -EBADMSG;		/* storage is sized never to run out */
		goto out;
	}
	m = pmb_msg(p, head);
	m->seq = h->next_seq++;
	m->len = (uint32_t)req->len;
	m->nchunks = need;
	m->pid = self->pid;
	m->uid = self->uid;
	m->gid = self->gid;
	m->sender = waits ? (uint32_t)slot + 1 : 0;
	m->sender_gen = waits ? p->w[slot].gen : 0;
	m->prio = prio;
	m->tag = tag;
	m->mflags = ca ? PMB_MSG_CALL : 0;
	pmb_msg_copy(p, head, req->iov, req->iovcnt, req->len, false);
	PMB_HOOK(LIBIPC_HOOK_SEND_COPY);
	if (waits) {
		p->w[slot].msg = head;
		p->w[slot].seq = m->seq;
		p->w[slot].result = 1;
		if (ca)
			pmb_call_slot(p, slot, ca);
	}
	h->pend.head = head;
	h->pend.seq = m->seq;
	h->pend.sent = h->sent + 1;
	h->pend.received = h->received;
	h->pend.dropped = h->dropped;
	h->pend.op = P_SEND;
	p->cstate[head] = C_QUEUED;		/* sent */
	pmb_changed(&ws);
	PMB_HOOK(LIBIPC_HOOK_SEND_COMMIT);
	before = h->msgs;
	queued = p->flags & IPC_PRIO ? pmb_q_insert_prio(p, head) : pmb_q_append(p, head);
	if (queued) {
		h->sent = h->pend.sent;
		h->pend.op = P_NONE;
	} else {
		/* The queue was damaged: rebuilt, this message in it. */
		pmb_recover(p);
	}

	/* The receiver in line this message falls to, and peekers, look. */
	if (sc.nrecv > before)
		pmb_wake_slot(p, sc.order[before], &ws);
	if (h->msgs > sc.nrecv)
		pmb_wake_kinds(p, W_BIT(W_PEEK), &ws);
	/* Receivers with a selection: only those it matches. */
	if (p->flags & IPC_SELECT && sc.nsel)
		pmb_wake_sel(p, head, &ws);
	if (ca)
		return pmb_call_wait(p, slot, head, &dl, intr, &ws, ca);
	if (!waits)
		goto out;

	/* 3. Wait until a receiver takes it, or withdraw it. */
	for (;;) {
		if (p->w[slot].result != 1) {
			ret = p->w[slot].result;
			break;
		}
		pmb_scan(p, slot, &sc, &ws);
		if (p->w[slot].result != 1)	/* scan may have reaped its taker */
			continue;
		claimed = pmb_in_first(p, head, pmb_claimed(p, &sc));
		/*
		 * A claimed message is as good as handed over: the receiver
		 * it fell to takes it whatever happens to its own wait.  Its
		 * sender may still withdraw it (timeout, signal), as the
		 * kernel's may a message in flight.
		 */
		if (!claimed && h->state == IPC_STATE_CLOSED)
			ret = -EPIPE;
		else
			ret = pmb_may_sleep(&dl, intr);
		if (ret) {
			pmb_unqueue(p, head, P_WITHDRAW, 0, &ws);
			break;
		}
		s = pmb_sleep(p, slot, &dl, &ws);
		if (s == -EINTR)
			intr = true;
		else if (s) {
			ret = s;
			goto out_unlocked;
		}
	}
out:
	if (slot >= 0)
		pmb_slot_put(p, slot, &ws);
	pmb_unlock(p, &ws);
	return ret;

out_unlocked:
	/* The lock could not be taken back in time: a taker may have won. */
	return slot >= 0 ? pmb_abandon(p, slot, ret) : ret;
}

int pmb_send(struct ipc_mbox *mb, const struct ipc_msg_req *req)
{
	return (int)pmb_do_send(to_pmb(mb), req, NULL);
}

ssize_t pmb_recv(struct ipc_mbox *mb, const struct ipc_msg_req *req,
		 struct ipc_msginfo *info)
{
	struct pmb *p = to_pmb(mb);
	struct pmb_hdr *h = p->hdr;
	bool peek = req->flags & IPC_PEEK, intr = false, repaired = false, reaped = false;
	struct ipc_recvopt *ro = req->ropt;
	bool selecting = pmb_sel_active(ro), damaged, found, is_call;
	bool calls = ro && ro->flags & IPC_SEL_CALLS;
	struct pmb_wake ws = { .slots = false };
	struct pmb_scan sc;
	struct pmb_msg *m;
	struct pmb_dl dl;
	uint64_t idx, id, tag = 0;
	uint32_t c = PMB_NIL, len, prio = 0, rsize = 0;
	int slot = -1, s = -1;
	ssize_t ret;

	ret = pmb_sel_check(p, ro);
	if (ret)
		return ret;
	/* ipc_reply_recv: the reply first, its outcome apart from the receive's. */
	if (req->reply)
		*req->reply->result = pmb_reply(mb, req->reply);
	pmb_dl_init(&dl, req->wait);
	pmb_notify_drain(p, &dl);
	ret = pmb_lock(p, &dl);
	if (ret)
		return ret;
	for (;;) {
		if (h->state == IPC_STATE_DESTROYED) {
			ret = -EIDRM;
			break;
		}
		/* Receivers in line come first; peekers see past their claims. */
		pmb_scan(p, slot, &sc, &ws);
		if (selecting) {
			/* Past the claims too, as peek (select.c). */
			c = pmb_sel_find(p, pmb_claimed(p, &sc), ro, &damaged);
			found = c != PMB_NIL || damaged;
		} else {
			idx = slot >= 0 && !peek ? sc.rank : sc.nrecv;
			found = idx < h->msgs;
			if (found)
				c = pmb_q_nth(p, idx);
		}
		if (found) {
			m = c != PMB_NIL ? pmb_msg(p, c) : NULL;
			len = m ? m->len : 0;
			if (!m || p->cstate[c] != C_QUEUED || len > p->max_msg_size ||
			    (ro && !pmb_msg_opt(p, m, &prio, &tag))) {
				/* Damaged: rebuild the queue, once. */
				ret = -EBADMSG;
				if (repaired)
					break;
				pmb_recover(p);
				repaired = true;
				continue;
			}
			if (m->sender && pmb_sender_slot(p, m) < 0) {
				/* Its sender is gone without it: never sent. */
				pmb_unqueue(p, c, P_WITHDRAW, 0, &ws);
				continue;
			}
			info->len = len;
			if (len > req->len) {
				ret = -EMSGSIZE;
				/* Leaving the line hands our claim on. */
				if (slot >= 0)
					pmb_wake_kinds(p, W_ALL, &ws);
				break;
			}
			pmb_msg_copy(p, c, req->iov, req->iovcnt, len, true);
			info->pid = m->pid;
			info->uid = m->uid;
			info->gid = m->gid;
			if (ro) {
				ro->prio = prio;
				ro->msg_tag = tag;
			}
			ret = len;
			if (peek)
				break;
			/* A waiting sender may have given up meanwhile: then it was never sent. */
			if (m->sender && ((s = pmb_sender_slot(p, m)) < 0 ||
					  !pmb_take_sender(p, s))) {
				pmb_unqueue(p, c, P_WITHDRAW, 0, &ws);
				continue;
			}
			is_call = m->sender && m->mflags & PMB_MSG_CALL;
			PMB_HOOK(LIBIPC_HOOK_RECV_COPY);
			pmb_unqueue(p, c, P_RECV, 0, &ws);
			/* A call: ours to answer, or dropped (its caller told so). */
			if (is_call && !pmb_call_take(p, s, calls, &id, &rsize, &ws) && ro) {
				ro->call = id;
				ro->reply_size = rsize;
			}
			break;
		}
		/*
		 * Nothing for us, though there are messages: before saying
		 * so, make sure that no dead receiver holds the claim.
		 */
		if (h->msgs && !reaped && (h->state == IPC_STATE_CLOSED ||
					   pmb_may_sleep(&dl, intr))) {
			pmb_reap_now(p);
			reaped = true;
			continue;
		}
		if (h->state == IPC_STATE_CLOSED) {
			ret = -EPIPE;
			break;
		}
		/* FROM a process that has exited: nothing more can come from it. */
		if (ro && ro->flags & IPC_SEL_FROM && pmb_process_exited(ro->from)) {
			ret = -ESRCH;
			break;
		}
		ret = pmb_may_sleep(&dl, intr);
		if (ret)
			break;
		if (slot < 0) {
			slot = pmb_slot_get(p, selecting ? W_SEL : peek ? W_PEEK : W_RECV, &ws);
			if (slot >= 0) {
				if (selecting)
					pmb_sel_publish(p, slot, ro);
				/* A rendezvous sender may hand its message over now. */
				pmb_changed(&ws);
				continue;	/* in line now, the dead reaped: look again */
			}
		}
		ret = pmb_sleep(p, slot, &dl, &ws);
		if (ret == -EINTR)
			intr = true;
		else if (ret)
			return slot >= 0 ? pmb_abandon(p, slot, (int)ret) : ret;
	}
	if (slot >= 0) {
		pmb_slot_put(p, slot, &ws);
		pmb_changed(&ws);	/* out of line: claims shift */
	}
	pmb_unlock(p, &ws);
	return ret;
}
