// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The posix backend's calls and replies (design: pmb.h).
 *
 * A call is a send that must be taken (as IPC_SYNC), its message marked
 * PMB_MSG_CALL, its caller waiting in its waiter slot, which is the reply
 * slot: a receiver with IPC_SEL_CALLS that takes it turns the slot into
 * W_CALL, writes its own pid into it (spid) and records the reply id,
 * (slot generation << 32 | slot + 1), in its handle's private set of
 * pending calls; any other receive drops it (the caller's result becomes
 * -ECONNRESET).  The reply is a chain of chunks (head C_REPLY, its header
 * a struct pmb_msg with the replier's credentials) hung on the slot
 * (reply), published by one compare-and-swap of the slot's result from 0
 * (taken) to PMB_RES_REPLIED, against the caller giving up.  The caller
 * copies it out and frees it; recovery keeps a reply only while the slot
 * that it hangs on is a W_CALL one that says REPLIED.
 *
 * No ambiguity: IPC_CALL_RECEIVED is set once the slot's result left 1
 * (pending): every outcome after that is the server's or the caller's
 * giving up, never a withdrawal.  A caller waiting for its reply looks at
 * the server's liveness at every wake-up (PMB_POLL_NS at most apart): a
 * server process that died makes the call fail with ECONNRESET within
 * that.  A server's handle released drops the calls its process took.  A
 * caller gone (exited: its slot reaped; timed out: its slot freed, or
 * taken by another call since, with another generation) makes the reply
 * fail with ECONNRESET; an id that this handle never took, or has
 * answered, with ENOENT: the handle's private set tells.
 *
 * Trust: the slot is in the segment, so a peer with access can answer a
 * call in the server's place, or make it fail: the one-shot reply slot is
 * a promise of well-behaved peers only (see README.md).  Nothing read
 * from the slot is used unbounded: the reply's length is checked against
 * the caller's own buffer size, its chunks against the geometry.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pmb.h"

/* ---- the handle's pending calls --------------------------------------------- */

/* The set, allocated at the first call taken: false if it cannot be. */
static uint64_t *pmb_calls_set(struct pmb *p)
{
	uint64_t *set = __atomic_load_n(&p->calls, __ATOMIC_ACQUIRE), *none = NULL;

	if (set)
		return set;
	set = calloc(PMB_NWAIT, sizeof(*set));
	if (!set)
		return NULL;
	if (!__atomic_compare_exchange_n(&p->calls, &none, set, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		free(set);
		set = none;
	}
	return set;
}

static bool pmb_calls_add(struct pmb *p, uint64_t id)
{
	uint64_t *set = pmb_calls_set(p), zero;
	uint32_t i;

	for (i = 0; set && i < PMB_NWAIT; i++) {
		zero = 0;
		if (__atomic_compare_exchange_n(&set[i], &zero, id, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

/* Take id out of the set: false if it was not there. */
static bool pmb_calls_del(struct pmb *p, uint64_t id)
{
	uint64_t *set = __atomic_load_n(&p->calls, __ATOMIC_ACQUIRE), want;
	uint32_t i;

	for (i = 0; set && i < PMB_NWAIT; i++) {
		want = id;
		if (__atomic_compare_exchange_n(&set[i], &want, 0, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

static bool pmb_calls_has(struct pmb *p, uint64_t id)
{
	uint64_t *set = __atomic_load_n(&p->calls, __ATOMIC_ACQUIRE);
	uint32_t i;

	for (i = 0; set && i < PMB_NWAIT; i++)
		if (__atomic_load_n(&set[i], __ATOMIC_ACQUIRE) == id)
			return true;
	return false;
}

/* ---- the caller's side ----------------------------------------------------------- */

/* The caller's slot, as its request is written (lock held). */
void pmb_call_slot(struct pmb *p, int slot, const struct pmb_call_args *ca)
{
	struct pmb_waiter *w = &p->w[slot];

	w->call = 1;
	w->spid = 0;
	w->rsize = ca->size < p->max_msg_size ? (uint32_t)ca->size : p->max_msg_size;
	w->reply = PMB_NIL;
}

/* Free the reply hung on slot, if there is one (lock held). */
void pmb_reply_free(struct pmb *p, uint32_t slot)
{
	struct pmb_waiter *w = &p->w[slot];
	uint32_t head = w->reply, len;
	struct pmb_msg *m;

	w->reply = PMB_NIL;
	if (!pmb_chunk_ok(p, head) || p->cstate[head] != C_REPLY)
		return;
	m = pmb_msg(p, head);
	len = m->len;
	/* No more chunks than its length needs: a peer's count frees no others. */
	m->nchunks = pmb_chunks_for(len > p->max_msg_size ? 0 : len);
	pmb_msg_free(p, head);
}

/* Copy the reply out and free it: its length, or -EBADMSG (lock held). */
static ssize_t pmb_reply_collect(struct pmb *p, int slot, struct pmb_call_args *ca)
{
	struct pmb_waiter *w = &p->w[slot];
	size_t size = ca->size < p->max_msg_size ? ca->size : p->max_msg_size;
	uint32_t head = w->reply, len;
	struct iovec iov = { .iov_base = ca->reply, .iov_len = ca->size };
	struct pmb_msg *m;

	if (!pmb_chunk_ok(p, head) || p->cstate[head] != C_REPLY)
		return -EBADMSG;
	m = pmb_msg(p, head);
	len = m->len;
	if (len > size) {
		pmb_reply_free(p, (uint32_t)slot);
		return -EBADMSG;
	}
	pmb_msg_copy(p, head, &iov, 1, len, true);
	ca->ci->len = len;
	ca->ci->pid = m->pid;
	ca->ci->uid = m->uid;
	ca->ci->gid = m->gid;
	pmb_reply_free(p, (uint32_t)slot);
	return len;
}

/*
 * Leave without the lock (it could not be taken back in time): not
 * received if the result was still pending, else received and gone (a
 * reply, if any, freed when the slot is reaped).
 */
static ssize_t pmb_call_abandon(struct pmb *p, int slot, int err, struct ipc_callinfo *ci)
{
	struct pmb_waiter *w = &p->w[slot];
	int32_t cur = 1;

	if (!__atomic_compare_exchange_n(&w->result, &cur, err, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		ci->flags |= IPC_CALL_RECEIVED;
	PMB_HOOK(LIBIPC_HOOK_ABANDON);
	__atomic_store_n(&w->tid, 0, __ATOMIC_RELEASE);
	return err;
}

/*
 * The caller's wait, its request queued (lock held; pmb_do_send's step 3
 * for a call): for its taking, then for its reply.  Frees the slot and
 * unlocks.
 */
ssize_t pmb_call_wait(struct pmb *p, int slot, uint32_t head, struct pmb_dl *dl,
		      bool intr, struct pmb_wake *ws, struct pmb_call_args *ca)
{
	struct pmb_waiter *w = &p->w[slot];
	struct pmb_hdr *h = p->hdr;
	struct pmb_scan sc;
	int32_t res, spid;
	ssize_t ret;
	bool claimed;
	int s;

	for (;;) {
		res = __atomic_load_n(&w->result, __ATOMIC_ACQUIRE);
		if (res == 1) {
			/* Not taken yet: as a synchronous send waits. */
			pmb_scan(p, slot, &sc, ws);
			if (__atomic_load_n(&w->result, __ATOMIC_ACQUIRE) != 1)
				continue;
			claimed = pmb_in_first(p, head, pmb_claimed(p, &sc));
			if (!claimed && h->state == IPC_STATE_CLOSED)
				ret = -EPIPE;
			else
				ret = pmb_may_sleep(dl, intr);
			if (ret) {
				pmb_unqueue(p, head, P_WITHDRAW, 0, ws);
				break;
			}
		} else if (res == PMB_RES_REPLIED) {
			ca->ci->flags |= IPC_CALL_RECEIVED;
			ret = pmb_reply_collect(p, slot, ca);
			break;
		} else if (res == 0 || res == PMB_RES_LEFT) {
			ca->ci->flags |= IPC_CALL_RECEIVED;
			spid = w->spid;
			/*
			 * Taken, and not by a server that is still there: its
			 * taker died before it made the slot W_CALL, or the
			 * server process has died since.
			 */
			if (w->kind != W_CALL || spid <= 0 ||
			    pmb_dead(p->pidns, __atomic_load_n(&h->foreign, __ATOMIC_RELAXED),
				     (uint32_t)spid, true)) {
				ret = -ECONNRESET;
				break;
			}
			/* A late reply finds the slot gone: ECONNRESET for it. */
			ret = pmb_may_sleep(dl, intr);
			if (ret)
				break;
		} else {
			/* Withdrawn (close, destroy), or dropped by its taker. */
			ret = res < 0 && res >= -4095 ? res : -EBADMSG;
			if (ret == -ECONNRESET)
				ca->ci->flags |= IPC_CALL_RECEIVED;
			break;
		}
		s = pmb_sleep(p, slot, dl, ws);
		if (s == -EINTR)
			intr = true;
		else if (s)
			return pmb_call_abandon(p, slot, s, ca->ci);
	}
	if (w->reply != PMB_NIL)
		pmb_reply_free(p, (uint32_t)slot);
	pmb_slot_put(p, slot, ws);
	pmb_unlock(p, ws);
	return ret;
}

ssize_t pmb_call(struct ipc_mbox *mb, const struct ipc_msg_req *req,
		 void *reply, size_t size, struct ipc_callinfo *ci)
{
	struct pmb_call_args ca = { .reply = reply, .size = size, .ci = ci };

	return pmb_do_send(to_pmb(mb), req, &ca);
}

/* ---- the server's side ---------------------------------------------------------- */

/*
 * A receiver took call request of the caller in slot s (its result 0,
 * lock held): keep it (its reply id in *id, its reply capacity in
 * *rsize, 0) or drop it (-ECONNRESET, the caller told).
 */
int pmb_call_take(struct pmb *p, int s, bool keep, uint64_t *id, uint32_t *rsize,
		  struct pmb_wake *ws)
{
	struct pmb_waiter *w = &p->w[s];
	int32_t taken = 0;
	uint32_t cap;

	*id = ((uint64_t)w->gen << 32) | (uint32_t)(s + 1);
	if (keep && pmb_calls_add(p, *id)) {
		w->spid = pmb_self()->pid;
		w->kind = W_CALL;
		/*
		 * The segment is a peer's to write: read once and bounded,
		 * so the server sizes its reply by a value pmb_do_reply
		 * would also accept (unless the peer changes it meanwhile,
		 * which only fails its own call with EMSGSIZE).
		 */
		cap = __atomic_load_n(&w->rsize, __ATOMIC_RELAXED);
		*rsize = cap < p->max_msg_size ? cap : p->max_msg_size;
		return 0;
	}
	__atomic_compare_exchange_n(&w->result, &taken, -ECONNRESET, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	pmb_wake_slot(p, (uint32_t)s, ws);
	return -ECONNRESET;
}

static int pmb_do_reply(struct pmb *p, const struct ipc_reply_req *r, struct pmb_wake *ws)
{
	const struct pmb_self *self = pmb_self();
	uint32_t s = (uint32_t)r->call - 1, gen = (uint32_t)(r->call >> 32);
	struct iovec iov = { .iov_base = (void *)r->buf, .iov_len = r->len };
	struct pmb_waiter *w;
	uint32_t need, head, rsize;
	struct pmb_msg *m;
	int32_t res, taken = 0;
	int ret;

	if (s >= p->nwait)
		return -ENOENT;
	w = &p->w[s];
	res = __atomic_load_n(&w->result, __ATOMIC_ACQUIRE);
	if (w->gen != gen || w->kind != W_CALL || res != 0 || !pmb_slot_alive(p, s)) {
		/* Answered by a process sharing the handle: not pending any more. */
		ret = w->gen == gen && w->kind == W_CALL && res == PMB_RES_REPLIED ?
		      -ENOENT : -ECONNRESET;
		pmb_calls_del(p, r->call);
		return ret;
	}
	rsize = w->rsize;
	if (r->len > rsize || r->len > p->max_msg_size)
		return -EMSGSIZE;		/* still pending: reply again */
	need = pmb_chunks_for(r->len);
	if (((uint64_t)p->hdr->used + need) * PMB_CHUNK > p->quota)
		return -ENOBUFS;
	ret = pmb_back(p, need);
	if (ret)
		return ret;
	head = pmb_msg_alloc(p, need);
	if (head == PMB_NIL)
		return -ENOBUFS;
	m = pmb_msg(p, head);
	memset(m, 0, sizeof(*m));
	m->len = (uint32_t)r->len;
	m->nchunks = need;
	m->pid = self->pid;
	m->uid = self->uid;
	m->gid = self->gid;
	m->sender = s + 1;
	m->sender_gen = gen;
	m->next = PMB_NIL;
	pmb_msg_copy(p, head, &iov, 1, r->len, false);
	p->cstate[head] = C_REPLY;
	w->reply = head;
	/* Published, unless the caller gave up meanwhile (pmb_call_abandon). */
	if (!__atomic_compare_exchange_n(&w->result, &taken, PMB_RES_REPLIED, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		pmb_reply_free(p, s);
		pmb_calls_del(p, r->call);
		return -ECONNRESET;
	}
	pmb_calls_del(p, r->call);
	pmb_wake_slot(p, s, ws);
	return 0;
}

int pmb_reply(struct ipc_mbox *mb, const struct ipc_reply_req *r)
{
	struct pmb *p = to_pmb(mb);
	struct pmb_wake ws = { .slots = false };
	struct pmb_dl dl = { .mode = IPC_BLOCK };
	int ret;

	if (!pmb_calls_has(p, r->call))
		return -ENOENT;		/* never ours, or answered */
	ret = pmb_lock(p, &dl);
	if (ret)
		return ret;
	ret = pmb_do_reply(p, r, &ws);
	pmb_unlock(p, &ws);
	return ret;
}

/*
 * The handle is released: the calls its process took and did not answer
 * are dropped (ECONNRESET for their callers).  Within a second: a lock
 * held by a stopped peer does not hold up the release for good (the
 * callers then find this process gone, if it is).
 */
void pmb_calls_drop(struct pmb *p)
{
	uint64_t *set = __atomic_load_n(&p->calls, __ATOMIC_ACQUIRE), id;
	struct ipc_wait wt = { .mode = IPC_TIMEOUT, .ns = 1000000000LL };
	struct pmb_wake ws = { .slots = false };
	struct pmb_dl dl;
	uint32_t i, s;
	int32_t taken;

	if (!set)
		return;
	pmb_dl_init(&dl, &wt);
	if (pmb_lock(p, &dl) == 0) {
		for (i = 0; i < PMB_NWAIT; i++) {
			id = set[i];
			s = (uint32_t)id - 1;
			if (!id || s >= p->nwait)
				continue;
			taken = 0;
			if (p->w[s].gen == (uint32_t)(id >> 32) && p->w[s].kind == W_CALL &&
			    p->w[s].spid == pmb_self()->pid &&
			    __atomic_compare_exchange_n(&p->w[s].result, &taken, -ECONNRESET,
							false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				pmb_wake_slot(p, s, &ws);
		}
		pmb_unlock(p, &ws);
	}
	free(set);
	p->calls = NULL;
}
