// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: issue 13's receive: the VER1 fields of RECV (selection by tag and
 * sender, KMBOX_RECV_CALL, KMBOX_RECV_REPLY) picked and judged for the
 * random RECV, and a scenario on a private mailbox where one thread alone
 * knows exactly what is queued, so that every receive's choice (priority
 * first, FIFO within one; the first of a tag; the lowest tag <= n; a
 * sender's) is predicted message by message.
 */
#include "fuzz.h"

/* ---- the random RECV's VER1 fields ------------------------------------------ */

/* The reply id no handle ever hands out (ids count calls, from 1). */
#define UNKNOWN_CALL	(1ULL << 50)

/* Sentinel for @reply_result: the kernel stores 0 or -errno there. */
#define NOT_REPLIED	1

void recv13_pick(struct kmbox_recv *r, int slot, const struct handle *h, bool right,
		 bool *inval, struct recv13 *x)
{
	uint32_t cf = right ? h->create_flags : 0;
	int k;

	memset(x, 0, sizeof(*x));
	x->weird = pct(8);
	x->ver0 = pct(10);
	if (x->ver0) {
		/* RECV_CALL and RECV_REPLY need the fields VER1 adds. */
		if (pml(50)) {
			r->flags |= pct(50) ? KMBOX_RECV_CALL : KMBOX_RECV_REPLY;
			*inval = true;
		}
		return;
	}
	if (pct(25)) {
		k = below(100);
		r->flags |= k < 40 ? KMBOX_RECV_TAG : k < 65 ? KMBOX_RECV_TAG_LE :
			    k < 85 ? KMBOX_RECV_FROM : KMBOX_RECV_TAG | KMBOX_RECV_FROM;
		if (r->flags & (KMBOX_RECV_TAG | KMBOX_RECV_TAG_LE))
			r->want_tag = pct(80) ? below(4) : rnd();
		if (r->flags & KMBOX_RECV_FROM) {
			pid_t kid = some_child();

			k = below(100);
			if (k < 75) {
				r->want_pid = mypid;
			} else if (k < 85 && kid > 0) {
				/* It may have exited: ESRCH, nothing of it queued. */
				r->want_pid = kid;
				x->maybe_esrch = true;
			} else if (k < 95 && !x->weird) {
				r->want_pid = 1 + below(1 << 22);
				x->maybe_esrch = true;
			} else {
				r->want_pid = pct(50) ? 0 : -1 - (int32_t)below(100);
				*inval = true;
			}
		}
		if (!(cf & KMBOX_CREATE_SELECT))
			*inval = true;
	}
	if (pml(15)) {
		r->flags |= KMBOX_RECV_TAG | KMBOX_RECV_TAG_LE;
		*inval = true;
	}
	if (pml(10)) {
		r->want_tag = rnd() | 1;
		*inval |= !(r->flags & (KMBOX_RECV_TAG | KMBOX_RECV_TAG_LE));
	}
	if (pml(10) && !r->want_pid) {
		r->want_pid = mypid;
		*inval |= !(r->flags & KMBOX_RECV_FROM);
	}
	if (pct(30))
		r->flags |= KMBOX_RECV_CALL;
	if (pml(10)) {
		r->__reserved3[below(2)] = rnd() | 1;
		*inval = true;
	}
	if (pml(20))	/* out fields, ignored */
		r->prio = rnd(), r->tag = rnd(), r->call = rnd(), r->reply_size = rnd();
	if (pct(12)) {
		r->flags |= KMBOX_RECV_REPLY;
		x->pending = right && pct(75) &&
			     call_pending_pick(slot, h, &r->reply_call, &x->size);
		if (!x->pending)
			r->reply_call = pct(15) ? 0 : UNKNOWN_CALL + (rnd() >> 16);
		if (!r->reply_call)
			*inval = true;
		x->len = x->pending && pct(85) ? below((uint64_t)x->size + 1) :
			 pick_len(right ? h->max_msg_size : 4096);
		if (pml(80) && x->len) {
			r->reply_buf = (uintptr_t)bad_addr(P_NONE + below(4));
			/* Copied only if it could be a reply (else ENOENT, EMSGSIZE) */
			x->bad = !right || x->len <= h->max_msg_size;
		} else {
			x->id = fill(sbuf, x->len, h->id);
			if (x->id)
				atomic_fetch_or(&track[x->id], T_ATTEMPT);
			r->reply_buf = (uintptr_t)sbuf;
		}
		r->reply_len = x->len;
		r->reply_result = NOT_REPLIED;
	} else if (pml(20)) {
		/* Reply fields without the flag. */
		if (pct(50))
			r->reply_len = 1 + below(100);
		else
			r->reply_call = 1 + below(4);
		*inval = true;
	}
}

/*
 * After the call: the reply's fate (from @reply_result, where it can be
 * read back) and what the receive says, for a RECV whose struct was laid
 * out right (a->ok) on its own handle.  rb: the struct read back (zero if
 * it could not be).  id: the message received (>0: tracked, verified).
 */
void recv13_fate(const struct kmbox_recv *r, const struct kmbox_recv *rb,
		 const struct iarg *a, const struct recv13 *x, int slot)
{
	if (!(r->flags & KMBOX_RECV_REPLY) || x->ver0)
		return;
	if (!a->ok || a->size < sizeof(*rb)) {
		/* Unknown: neither delivered nor failed for sure; nor pending. */
		if (x->pending)
			pending_drop(slot, r->reply_call);
		return;
	}
	if (x->id)
		track_send(x->id, rb->reply_result == NOT_REPLIED ? EPROTO :
			   rb->reply_result < 0 ? -rb->reply_result : 0);
}

void recv13_judge(const struct kmbox_recv *r, const struct kmbox_recv *rb, long ret, int e,
		  int slot, const struct handle *h, const struct recv13 *x)
{
	bool peek = r->flags & KMBOX_RECV_PEEK;

	if (x->ver0)
		return;
	/* Only a sender looked up first (KMBOX_RECV_FROM) may fail it before. */
	if ((r->flags & KMBOX_RECV_REPLY) && x->bad && e != EFAULT &&
	    !(x->maybe_esrch && e == ESRCH) &&
	    /* the reply is charged before it is copied: the quota may say no first */
	    rb->reply_result != -ENOBUFS && rb->reply_result != -ENOMEM)
		violation(C_VALID, "RECV_REPLY from a bad buffer of %zu bytes: %s, expected EFAULT",
			  x->len, ret >= 0 ? "success" : ename(e));
	if ((r->flags & KMBOX_RECV_REPLY) && rb->reply_result != NOT_REPLIED) {
		int rr = -rb->reply_result;

		if (x->bad)
			;
		else if (x->pending)
			reply_judge(slot, h, r->reply_call, x->size, x->len, rr, "RECV_REPLY");
		else if (rr != ENOENT && rr != EIDRM && rr != ENOBUFS && rr != ENOMEM)
			violation(C_VALID, "RECV_REPLY to call %llu, never taken: reply_result %s, expected ENOENT",
				  (unsigned long long)r->reply_call, ename(rr));
	}
	if (ret < 0)
		return;
	/* What the message was sent with, and what the receive selected. */
	if (((r->flags & KMBOX_RECV_TAG) && rb->tag != r->want_tag) ||
	    ((r->flags & KMBOX_RECV_TAG_LE) && rb->tag > r->want_tag) ||
	    ((r->flags & KMBOX_RECV_FROM) && rb->pid != r->want_pid) ||
	    (!(h->create_flags & KMBOX_CREATE_PRIO) && rb->prio) ||
	    (!(h->create_flags & KMBOX_CREATE_SELECT) && rb->tag) ||
	    rb->prio > KMBOX_PRIO_MAX)
		violation(C_VALID, "RECV flags %#x want tag %#llx pid %d (create_flags %#x): got prio %u tag %#llx from %d",
			  r->flags, (unsigned long long)r->want_tag, r->want_pid,
			  h->create_flags, rb->prio, (unsigned long long)rb->tag, rb->pid);
	if (rb->call && (!(r->flags & KMBOX_RECV_CALL) || peek))
		violation(C_VALID, "RECV flags %#x returned reply id %llu", r->flags,
			  (unsigned long long)rb->call);
	if ((!rb->call && rb->reply_size) || rb->reply_size > h->max_msg_size)
		violation(C_VALID, "RECV: call %llu with reply capacity %u, max_msg_size %u",
			  (unsigned long long)rb->call, rb->reply_size, h->max_msg_size);
	if (rb->call && !peek && pct(60))
		reply_now(slot, h, rb->call, rb->reply_size);
	else if (rb->call && !peek)
		call_taken(slot, h, rb->call, rb->reply_size);
}

/* ---- one thread, one private mailbox: every choice predicted ---------------- */

#define SEL_N	24

struct qmsg {
	uint32_t seq, prio;
	uint64_t tag;
	bool gone;
};

/* Whether a comes before b in delivery order: priority, then arrival. */
static bool before(const struct qmsg *a, const struct qmsg *b)
{
	return a->prio != b->prio ? a->prio > b->prio : a->seq < b->seq;
}

/* The message a receive with flags and want_tag takes, or -1. */
static int predict(const struct qmsg *q, int n, uint32_t flags, uint64_t want)
{
	int i, best = -1;

	for (i = 0; i < n; i++) {
		if (q[i].gone || ((flags & KMBOX_RECV_TAG) && q[i].tag != want) ||
		    ((flags & KMBOX_RECV_TAG_LE) && q[i].tag > want))
			continue;
		if (best < 0 ||
		    ((flags & KMBOX_RECV_TAG_LE) && q[i].tag < q[best].tag) ||
		    (!((flags & KMBOX_RECV_TAG_LE) && q[i].tag != q[best].tag) &&
		     before(&q[i], &q[best])))
			best = i;
	}
	return best;
}

void scenario_select(void)
{
	uint32_t cf = (pct(70) ? KMBOX_CREATE_PRIO : 0) | (pct(70) ? KMBOX_CREATE_SELECT : 0);
	struct kmbox_create c = {
		.flags = KMBOX_FD_CLOEXEC | cf, .access = KMBOX_ACCESS_ALL,
		.capacity = KMBOX_CAPACITY_UNBOUNDED, .max_msg_size = 64, .mode = 0600,
	};
	struct qmsg q[SEL_N];
	int fd, n = range(2, SEL_N), i, k, left;
	struct kmbox_info info;

	fd = ioctl(ctl, KMBOX_IOC_CREATE, &c);
	if (fd < 0)
		return;
	stat_add(ST_SCENARIOS, 1);
	for (i = 0; i < n; i++) {
		struct kmbox_send s = {
			.flags = KMBOX_MSG_NONBLOCK, .buf = (uintptr_t)&q[i].seq, .len = 4,
		};

		q[i].seq = i;
		q[i].prio = !(cf & KMBOX_CREATE_PRIO) ? 0 : pct(80) ? below(4) :
			    pct(50) ? KMBOX_PRIO_MAX : below(KMBOX_PRIO_MAX);
		q[i].tag = !(cf & KMBOX_CREATE_SELECT) ? 0 : pct(80) ? below(4) : rnd();
		q[i].gone = false;
		s.prio = q[i].prio;
		s.tag = q[i].tag;
		if (ioctl(fd, KMBOX_IOC_SEND, &s)) {
			if (errno != ENOBUFS && errno != ENOMEM)
				violation(C_SCENARIO, "select: SEND prio %u tag %#llx (create_flags %#x): %s",
					  s.prio, (unsigned long long)s.tag, cf, ename(errno));
			n = i;
			break;
		}
	}
	for (left = n, k = 0; left > 0 && k < 4 * SEL_N; k++) {
		struct kmbox_recv r;
		uint32_t got = UINT32_MAX;
		int want;
		long ret;

		memset(&r, 0, sizeof(r));
		r.flags = KMBOX_MSG_NONBLOCK | (pct(15) ? KMBOX_RECV_PEEK : 0);
		if ((cf & KMBOX_CREATE_SELECT) && pct(70)) {
			int m = below(3);

			r.flags |= m == 0 ? KMBOX_RECV_TAG : m == 1 ? KMBOX_RECV_TAG_LE :
				   KMBOX_RECV_FROM;
			if (m < 2)
				r.want_tag = pct(85) ? below(5) : rnd();
			else
				r.want_pid = mypid;
		}
		r.buf = (uintptr_t)&got;
		r.len = sizeof(got);
		want = predict(q, n, r.flags, r.want_tag);
		ret = ioctl(fd, KMBOX_IOC_RECV, &r);
		if (want < 0 ? ret >= 0 || errno != EAGAIN :
		    ret != 4 || got != q[want].seq || r.prio != q[want].prio ||
		    r.tag != q[want].tag || r.pid != mypid) {
			violation(C_SCENARIO, "select: create_flags %#x, %d of %d queued: RECV flags %#x want tag %#llx took %s seq %u prio %u tag %#llx; expected %s seq %d prio %u tag %#llx",
				  cf, left, n, r.flags, (unsigned long long)r.want_tag,
				  ret >= 0 ? "" : ename(errno), got, r.prio,
				  (unsigned long long)r.tag, want < 0 ? "EAGAIN" : "",
				  want < 0 ? -1 : (int)q[want].seq, want < 0 ? 0 : q[want].prio,
				  want < 0 ? 0ULL : (unsigned long long)q[want].tag);
			break;
		}
		if (want >= 0 && !(r.flags & KMBOX_RECV_PEEK)) {
			q[want].gone = true;
			left--;
		}
	}
	if (!left && (do_info(fd, &info) || info.msgs || info.sent != (uint64_t)n ||
		      info.received != (uint64_t)n || info.create_flags != cf))
		violation(C_SCENARIO, "select: all %d received, INFO says msgs %llu sent %llu received %llu create_flags %#x (%#x)",
			  n, (unsigned long long)info.msgs, (unsigned long long)info.sent,
			  (unsigned long long)info.received, info.create_flags, cf);
	close(fd);
}
