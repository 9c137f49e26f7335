// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: issue 13's calls on shared mailboxes: priorities and tags picked
 * for a send, KMBOX_IOC_CALL, KMBOX_IOC_REPLY and KMBOX_IOC_PORT_OPEN, and
 * the calls a thread took with KMBOX_RECV_CALL and has yet to answer.
 *
 * What is checked is what uapi/linux/kmbox.h promises: a CALL that fails
 * without KMBOX_CALL_RECEIVED withdrew its request (a receiver that got it
 * is an ambiguity violation); one that fails with it ended as the contract
 * lists (ECONNRESET, ETIMEDOUT, EINTR, EIDRM); ECONNRESET only after
 * receipt; a reply reaches the caller whole, with the replier's pid and
 * uid, exactly when REPLY said it was delivered; a reply id is one-shot
 * (once answered or spent, ENOENT), an id no handle ever issued is ENOENT.
 */
#include "fuzz.h"

/* An id no handle hands out: ids count calls taken, from 1. */
#define CALL_UNKNOWN_MIN	(1ULL << 48)

/* ---- priorities and tags ------------------------------------------------ */

/*
 * A priority and a tag for a message to a mailbox created with
 * create_flags; *inval when the send must fail with EINVAL for them.
 */
void pick_opts(uint32_t create_flags, __u32 *prio, __u64 *tag, bool *inval)
{
	int r = below(100);

	*prio = 0;
	*tag = 0;
	if (create_flags & KMBOX_CREATE_PRIO)
		*prio = r < 60 ? below(4) : r < 80 ? below(KMBOX_PRIO_MAX + 1) :
			r < 90 ? KMBOX_PRIO_MAX : 0;
	else if (pml(50))
		*prio = 1 + below(KMBOX_PRIO_MAX);
	if (pml(30))
		*prio = KMBOX_PRIO_MAX + 1 + below(UINT32_MAX - KMBOX_PRIO_MAX);
	if (create_flags & KMBOX_CREATE_SELECT)
		*tag = pct(70) ? below(4) : pct(50) ? rnd() : UINT64_MAX;
	else if (pml(50))
		*tag = rnd() | 1;
	*inval = *prio > KMBOX_PRIO_MAX ||
		 (*prio && !(create_flags & KMBOX_CREATE_PRIO)) ||
		 (*tag && !(create_flags & KMBOX_CREATE_SELECT));
}

/* ---- calls this thread took and has not answered -------------------------- */

#define NPENDING	8

struct pending {
	int slot1;		/* the handle's slot + 1; 0: free */
	unsigned int gen;	/* the handle's */
	uint64_t call;		/* reply id */
	uint32_t size;		/* reply capacity */
};

static __thread struct pending pend[NPENDING];

/*
 * In a new child: the ids are the parent's thread's to answer (the child
 * shares the files); were it to answer one, the parent's reply would fail
 * with ENOENT, which the checks would take for the kernel's mistake.
 */
void calls_after_fork(void)
{
	int i;

	for (i = 0; i < NPENDING; i++)
		pend[i].slot1 = 0;
}

/* RECV with KMBOX_RECV_CALL took call through handle slot. */
void call_taken(int slot, const struct handle *h, uint64_t call, uint32_t reply_size)
{
	int i, k = below(NPENDING);

	for (i = 0; i < NPENDING; i++)
		if (!pend[i].slot1) {
			k = i;
			break;
		}
	/* Full: the oldest stays unanswered until its handle goes. */
	pend[k].slot1 = slot + 1;
	pend[k].gen = h->gen;
	pend[k].call = call;
	pend[k].size = reply_size;
}

static int pending_find(int slot, const struct handle *h)
{
	int i, start = below(NPENDING);

	for (i = 0; i < NPENDING; i++) {
		int k = (start + i) % NPENDING;

		if (pend[k].slot1 == slot + 1 && pend[k].gen != h->gen)
			pend[k].slot1 = 0;	/* that handle is gone */
		else if (pend[k].slot1 == slot + 1)
			return k;
	}
	return -1;
}

/* A pending call of handle slot to answer: true and its id and capacity. */
bool call_pending_pick(int slot, const struct handle *h, __u64 *call, uint32_t *size)
{
	int k = pending_find(slot, h);

	if (k < 0)
		return false;
	*call = pend[k].call;
	*size = pend[k].size;
	return true;
}

void pending_drop(int slot, uint64_t call)
{
	int i;

	for (i = 0; i < NPENDING; i++)
		if (pend[i].slot1 == slot + 1 && pend[i].call == call)
			pend[i].slot1 = 0;
}

/* ---- KMBOX_IOC_CALL -------------------------------------------------------- */

void op_call(void)
{
	struct kmbox_call c, rb;
	struct handle h;
	struct iarg a;
	int64_t timeout, bound, t0, t1;
	bool right, inval, oinval, bad_req = false, bad_reply = false, known = false;
	bool received = false, junk_result = false;
	int slot, fd, e, rplace = P_NORMAL;
	uint64_t id = 0;
	size_t len;
	long ret;

	memset(&c, 0, sizeof(c));
	fd = mbox_target_for(&slot, &h, &right, KMBOX_ACCESS_SEND);
	c.flags = pick_mode(&timeout, &bound, &inval);
	/* Mostly a timed call: a blocking one waits for a reply or a kick. */
	if (!(c.flags & 7) && !inval && pct(70)) {
		c.flags = KMBOX_MSG_TIMEOUT;
		timeout = pct(50) ? below(20 * MS) : below(300 * MS);
		bound = timeout + slack_ns();
	}
	if ((c.flags & 7) == KMBOX_MSG_NONBLOCK && pct(80)) {
		c.flags = (c.flags & ~7U) | KMBOX_MSG_TIMEOUT;
		timeout = below(3 * MS);
		bound = timeout + slack_ns();
	}
	c.timeout_ns = timeout;
	/* CALL takes no NONBLOCK, no SYNC or PEEK bit. */
	inval = mode_invalid(c.flags, timeout, 0) || (c.flags & KMBOX_MSG_NONBLOCK);
	if (inval)
		bound = slack_ns();
	pick_opts(right ? h.create_flags : 0, &c.prio, &c.tag, &oinval);
	inval |= oinval;
	if (pml(10)) {
		c.__reserved0 = rnd() | 1;
		inval = true;
	}
	if (pml(10)) {
		c.__reserved1 = rnd() | 1;
		inval = true;
	}
	if (pml(10)) {
		c.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	/*
	 * Out fields.  @result is written back only once the call got as far
	 * as sending (before, e.g. after EINVAL, it is left as it was).
	 */
	if (pml(30))
		c.pid = rnd(), c.uid = rnd(), c.gid = rnd();
	if (pml(30)) {
		c.result = rnd() & ~KMBOX_CALL_RECEIVED;
		junk_result = true;
	}
	len = pick_len(right ? h.max_msg_size : 4096);
	if (len > 65536)
		len = range(0, 4096);
	c.len = len;
	if (pml(30) && len) {
		c.buf = (uintptr_t)bad_addr(P_NONE + below(4));
		bad_req = true;
	} else {
		id = fill(sbuf, len, h.id);
		c.buf = (uintptr_t)sbuf;
	}
	if (pml(10)) {
		c.len = pct(50) ? UINT64_MAX : 1ULL << 40;
		id = 0;
	}
	c.reply_len = pct(60) ? (right ? h.max_msg_size : 4096) : pct(70) ? below(200) :
		      pct(50) ? UINT64_MAX : bufsz - 2 * PAGE;
	if (c.reply_len > bufsz - 2 * PAGE && c.reply_len < (64U << 20))
		c.reply_len = bufsz - 2 * PAGE;
	c.reply_buf = (uintptr_t)rbuf;
	if (pml(40)) {
		rplace = pct(30) ? P_RO : P_NONE + below(4);
		c.reply_buf = rplace == P_RO ? (uintptr_t)g_ro : (uintptr_t)bad_addr(rplace);
		/* As much as a reply may fill is proven writable: none of it is. */
		bad_reply = c.reply_len && (!right || h.max_msg_size);
	}
	if (id) {
		atomic_fetch_or(&track[id], T_ATTEMPT);
		track_opts(id, c.prio, c.tag);
	}
	mkarg(&a, KMBOX_IOC_CALL, &c, sizeof(c), KMBOX_CALL_SIZE_VER0, right, pct(8));
	/* CALL proves its results writable once it has checked its input. */
	if (right && a.expect == EFAULT && a.place == P_RO)
		a.expect2 = !(h.access & KMBOX_ACCESS_SEND) ? EBADF : inval ? EINVAL : 0;
	if (a.place == P_FLIP)
		bound = 0;
	call_begin(OP_CALL, a.ok ? bound : 0,
		   "CALL fd %d mbox %" PRIu64 " flags %#x timeout %lld len %llu reply %s %llu, %s",
		   fd, h.id, c.flags, (long long)c.timeout_ns, (unsigned long long)c.len,
		   place_name[rplace], (unsigned long long)c.reply_len, a.desc);
	t0 = now_ns();
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	t1 = now_ns();
	call_end();
	memset(&rb, 0, sizeof(rb));
	if (a.ok && a.rb) {
		memcpy(&rb, a.rb, sizeof(rb));
		known = true;
		received = rb.result & KMBOX_CALL_RECEIVED;
	}
	/* The request's fate: withdrawn unless a server took it. */
	if (id && (ret >= 0 || known))
		track_send(id, ret >= 0 || received ? 0 : e);
	check_errno(OP_CALL, e, "CALL");
	if (right && !h_same(slot, &h))
		goto out;
	if (check_dispatch(&a, ret, e, "CALL") || !a.ok || !right)
		goto out;
	if (!(h.access & KMBOX_ACCESS_SEND)) {
		if (e != EBADF)
			violation(C_VALID, "CALL on a receive-only handle: %s, expected EBADF",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (inval) {
		if (e != EINVAL || (received && !junk_result))
			violation(C_VALID, "CALL flags %#x timeout %lld prio %u tag %#llx reserved: %s, result %#x, expected EINVAL",
				  c.flags, (long long)c.timeout_ns, c.prio,
				  (unsigned long long)c.tag, ret >= 0 ? "success" : ename(e),
				  rb.result);
		goto out;
	}
	if (c.len > (64U << 20)) {
		if (e != EMSGSIZE)
			violation(C_VALID, "CALL of %llu bytes: %s, expected EMSGSIZE",
				  (unsigned long long)c.len, ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if ((bad_req || bad_reply) && (ret >= 0 || received))
		violation(C_VALID, "CALL with a bad %s buffer: %s, result %#x",
			  bad_reply ? "reply" : "request", ret >= 0 ? "success" : ename(e),
			  rb.result);
	if (bad_reply && e != EFAULT && e != EMSGSIZE)
		violation(C_VALID, "CALL with a %s reply buffer of %llu bytes: %s, expected EFAULT",
			  place_name[rplace], (unsigned long long)c.reply_len, ename(e));
	check_timeout("CALL", e, c.flags, c.timeout_ns, t0, t1);
	if (ret < 0) {
		/* ECONNRESET only after receipt; after it, only these. */
		if (received ? e != ECONNRESET && e != ETIMEDOUT && e != EINTR && e != EIDRM :
		    e == ECONNRESET)
			violation(C_VALID, "CALL failed with %s, %s", ename(e),
				  received ? "after a server took it" : "not received");
		goto out;
	}
	if (!received || (uint64_t)ret != rb.reply_len ||
	    (uint64_t)ret > c.reply_len || (uint64_t)ret > h.max_msg_size)
		violation(C_VALID, "CALL returned %ld: result %#x reply_len %llu, buffer %llu, max_msg_size %u",
			  ret, rb.result, (unsigned long long)rb.reply_len,
			  (unsigned long long)c.reply_len, h.max_msg_size);
	if (ret > 0 && (size_t)ret <= bufsz) {
		struct hdr hd;
		int64_t rid = verify(rbuf, ret, h.id, "CALL reply", &hd);

		if (hd.magic && (rb.uid != hd.uid || (rb.pid != (int32_t)hd.pid && rb.pid)))
			violation(C_PAYLOAD, "CALL: reply from pid %u uid %u reported as pid %d uid %u",
				  hd.pid, hd.uid, rb.pid, rb.uid);
		track_recv(rid, "CALL reply");
	}
out:
	h_done(slot, &h, e);
}

/* ---- KMBOX_IOC_REPLY --------------------------------------------------------- */

/*
 * The reply to a call, at sbuf: len bytes, tracked as a message unless
 * the struct goes somewhere its outcome cannot be read (then it is junk).
 */
static uint64_t reply_fill(size_t len, uint64_t mbox)
{
	uint64_t id = fill(sbuf, len, mbox);

	if (id)
		atomic_fetch_or(&track[id], T_ATTEMPT);
	return id;
}

/*
 * What one REPLY (or a RECV_REPLY's @reply_result, e) to a pending call
 * of size says: the call is answered or spent, or still pending.
 */
void reply_judge(int slot, const struct handle *h, uint64_t call, uint32_t size,
		 size_t len, int e, const char *what)
{
	if (e == EMSGSIZE ? len <= size && len <= h->max_msg_size :
	    !e && (len > size || len > h->max_msg_size))
		violation(C_VALID, "%s of %zu bytes to a call of reply capacity %u (max_msg_size %u): %s",
			  what, len, size, h->max_msg_size, e ? ename(e) : "success");
	if (e == ENOENT)
		violation(C_VALID, "%s to call %" PRIu64 ", taken by this handle and not answered: ENOENT",
			  what, call);
	if (!e || e == ECONNRESET || e == EIDRM || e == ENOENT)
		pending_drop(slot, call);
}

/* Answer a call just taken through handle slot, as a server would. */
void reply_now(int slot, const struct handle *h, uint64_t call, uint32_t size)
{
	struct kmbox_reply y;
	size_t len = pct(90) ? below((uint64_t)size + 1) : size + 1 + below(16);
	uint64_t id = reply_fill(len, h->id);
	long ret;
	int e;

	memset(&y, 0, sizeof(y));
	y.call = call;
	y.buf = (uintptr_t)sbuf;
	y.len = len;
	call_begin(OP_REPLY, slack_ns(), "REPLY fd %d mbox %" PRIu64 " call %llu len %zu, at once",
		   h->fd, h->id, (unsigned long long)call, len);
	ret = ioctl(h->fd, KMBOX_IOC_REPLY, &y);
	e = ret < 0 ? errno : 0;
	call_end();
	if (id)
		track_send(id, e);
	check_errno(OP_REPLY, e, "REPLY");
	if (h_same(slot, h))
		reply_judge(slot, h, call, size, len, e, "REPLY at once");
}

void op_reply(void)
{
	struct kmbox_reply r;
	struct handle h;
	struct iarg a;
	bool right, inval = false, pending, bad_buf = false;
	uint32_t size = 0;
	uint64_t id = 0;
	int slot, fd, e;
	size_t len;
	long ret;

	memset(&r, 0, sizeof(r));
	fd = mbox_target_for(&slot, &h, &right, KMBOX_ACCESS_RECV);
	pending = right && pct(80) && call_pending_pick(slot, &h, &r.call, &size);
	if (!pending)
		r.call = pct(20) ? 0 : CALL_UNKNOWN_MIN + (rnd() >> 17);
	if (pml(20)) {
		r.flags = 1U << below(32);
		inval = true;
	}
	if (pml(20)) {
		r.__reserved0 = rnd() | 1;
		inval = true;
	}
	if (pml(20)) {
		r.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	len = pending && pct(85) ? below((uint64_t)size + 1) : pick_len(right ? h.max_msg_size : 4096);
	r.len = len;
	if (pml(30) && len) {
		r.buf = (uintptr_t)bad_addr(P_NONE + below(4));
		bad_buf = true;
	} else {
		id = reply_fill(len, h.id);
		r.buf = (uintptr_t)sbuf;
	}
	mkarg(&a, KMBOX_IOC_REPLY, &r, sizeof(r), KMBOX_REPLY_SIZE_VER0, right, pct(8));
	call_begin(OP_REPLY, slack_ns(), "REPLY fd %d mbox %" PRIu64 " call %llu%s len %zu, %s",
		   fd, h.id, (unsigned long long)r.call, pending ? " (pending)" : "", len,
		   a.desc);
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	call_end();
	/* A struct that may not have been read leaves the outcome unknown. */
	if (id && (a.ok || ret >= 0))
		track_send(id, ret >= 0 ? 0 : e);
	if (pending && !a.ok && ret < 0 && e != ENOTTY && e != EINVAL)
		pending_drop(slot, r.call);	/* answered, maybe */
	check_errno(OP_REPLY, e, "REPLY");
	if (right && !h_same(slot, &h))
		goto out;
	if (check_dispatch(&a, ret, e, "REPLY") || !a.ok || !right)
		goto out;
	if (ret > 0)
		violation(C_VALID, "REPLY returned %ld", ret);
	if (inval) {
		if (e != EINVAL)
			violation(C_VALID, "REPLY flags %#x reserved %#x: %s, expected EINVAL",
				  r.flags, r.__reserved0, ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (bad_buf && !e)
		violation(C_VALID, "REPLY from a bad buffer of %zu bytes succeeded", len);
	if (!pending) {
		/* No handle ever had that call. */
		if (e != ENOENT && e != EIDRM && e != EFAULT && e != ENOBUFS && e != ENOMEM)
			violation(C_VALID, "REPLY to call %llu, never taken: %s, expected ENOENT",
				  (unsigned long long)r.call, ret >= 0 ? "success" : ename(e));
		goto out;
	}
	reply_judge(slot, &h, r.call, size, len, e, "REPLY");
	/* Answered: the id is spent. */
	if (!e && pct(30)) {
		r.len = 0;
		ret = ioctl(fd, KMBOX_IOC_REPLY, &r);
		e = ret < 0 ? errno : 0;
		check_errno(OP_REPLY, e, "REPLY again");
		if (h_same(slot, &h) && e != ENOENT && e != EIDRM)
			violation(C_VALID, "REPLY to call %llu answered already: %s, expected ENOENT",
				  (unsigned long long)r.call, ret >= 0 ? "success" : ename(e));
	}
out:
	h_done(slot, &h, e);
}

/* ---- KMBOX_IOC_PORT_OPEN ---------------------------------------------------- */

/* A live handle of a port (owner: its own CREATE handle), or -1. */
static int port_get(struct handle *h, bool owner)
{
	int i, n, start = below(NHANDLES);

	hl();
	for (n = 0; n < NHANDLES; n++) {
		i = (start + n) % NHANDLES;
		if (H[i].state == H_LIVE && (H[i].create_flags & KMBOX_CREATE_PORT) &&
		    (!owner || H[i].port_owner)) {
			H[i].refs++;
			*h = H[i];
			hu();
			return i;
		}
	}
	hu();
	return -1;
}

/*
 * Whether ECONNREFUSED for our own live port handle is a port destroyed
 * (DESTROY, DESTROY_ID): destroyed stays destroyed, so INFO after the call
 * tells.
 */
static bool port_destroyed(const struct handle *ph, int e)
{
	struct kmbox_info i;

	return e == ECONNREFUSED && !do_info(ph->fd, &i) && i.state == KMBOX_STATE_DESTROYED;
}

void op_port_open(void)
{
	struct kmbox_port_open po;
	struct handle h, ph;
	struct iarg a;
	bool right, inval = false, ours = false, refused = false, esrch = false, raced;
	int slot, pslot = -1, hslot = -1, fd, e, r;
	const char *pdesc;
	long ret;

	memset(&po, 0, sizeof(po));
	memset(&ph, 0, sizeof(ph));
	if (pct(50))
		po.flags |= KMBOX_FD_CLOEXEC;
	if (pct(20))
		po.flags |= KMBOX_FD_NONBLOCK;
	if (pml(30)) {
		po.flags |= 1U << below(32);
		inval |= po.flags & ~(KMBOX_FD_CLOEXEC | KMBOX_FD_NONBLOCK);
	}
	po.access = KMBOX_ACCESS_SEND;
	if (pml(50)) {
		static const uint32_t bad[] = { 0, KMBOX_ACCESS_RECV, KMBOX_ACCESS_ALL, 4, 0x80000002 };

		po.access = bad[below(ARRAY_SIZE(bad))];
		inval = true;
	}
	if (pml(20)) {
		po.__reserved0 = rnd() | 1;
		inval = true;
	}
	if (pml(20)) {
		po.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	/* The port: one of ours, another mailbox's id, or none there is. */
	r = below(100);
	if (r < 60 && (pslot = port_get(&ph, pct(70))) >= 0) {
		po.port = ph.id;
		po.pid = ph.port_pid;
		ours = ph.port_owner && ph.port_pid == mypid;
		pdesc = ours ? "our port" : "a port's";
	} else if (r < 80 && (pslot = h_get(&ph)) >= 0) {
		po.port = ph.id;
		po.pid = mypid;
		refused = !(ph.create_flags & KMBOX_CREATE_PORT);
		pdesc = refused ? "a mailbox (not a port)" : "a port's, as ours";
	} else {
		po.port = pct(20) ? 0 : CALL_UNKNOWN_MIN + (rnd() >> 17);
		po.pid = mypid;
		refused = true;
		pdesc = "no port's";
	}
	/* The process: as chosen, a child, a thread, anyone, or none. */
	r = below(100);
	if (r < 8) {
		pid_t kid = some_child();

		if (kid > 0)
			po.pid = kid, ours = refused = false;
	} else if (r < 14) {
		pid_t tid = syscall(SYS_gettid);

		if (tid != mypid) {
			po.pid = tid;
			esrch = true;
		}
	} else if (r < 20) {
		po.pid = 1 + below(1 << 22);
		ours = refused = false;
	} else if (r < 26) {
		static const int32_t bad[] = { 0, -1, INT32_MIN };

		po.pid = bad[below(ARRAY_SIZE(bad))];
		inval = true;
	}
	fd = ctl_target(&slot, &h, &right);
	mkarg(&a, KMBOX_IOC_PORT_OPEN, &po, sizeof(po), KMBOX_PORT_OPEN_SIZE_VER0, right, pct(10));
	if (!a.expect && !inval)
		hslot = h_reserve();
	call_begin(OP_PORT_OPEN, slack_ns(), "PORT_OPEN pid %d port %llu (%s) flags %#x access %#x, %s",
		   po.pid, (unsigned long long)po.port, pdesc, po.flags, po.access, a.desc);
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	call_end();
	raced = ctl_raced(slot, &h);
	h_put(slot);
	check_errno(OP_PORT_OPEN, e, "PORT_OPEN");
	if (raced || (pslot >= 0 && !h_same(pslot, &ph)) ||
	    check_dispatch(&a, ret, e, "PORT_OPEN") || !a.ok)
		goto drop;
	if (inval) {
		if (e != EINVAL)
			violation(C_VALID, "PORT_OPEN pid %d flags %#x access %#x reserved: %s, expected EINVAL",
				  po.pid, po.flags, po.access, ret >= 0 ? "success" : ename(e));
		goto drop;
	}
	if (esrch && e != ESRCH)
		violation(C_VALID, "PORT_OPEN of thread %d (not a process): %s, expected ESRCH",
			  po.pid, ret >= 0 ? "success" : ename(e));
	else if (refused && !esrch && e != ECONNREFUSED)
		violation(C_VALID, "PORT_OPEN of our pid and %s id %llu: %s, expected ECONNREFUSED",
			  pdesc, (unsigned long long)po.port, ret >= 0 ? "success" : ename(e));
	else if (ours && !esrch && ret < 0 && e != EMFILE && e != ENFILE && e != ENOMEM &&
		 !(e == EACCES && myuid) && !port_destroyed(&ph, e))
		violation(C_VALID, "PORT_OPEN of our own port %llu: %s",
			  (unsigned long long)po.port, ename(e));
	if (ret < 0)
		goto drop;
	h_put(pslot);
	new_handle(ret, hslot, po.flags, KMBOX_ACCESS_SEND, -1,
		   po.port, true, NULL, false, "PORT_OPEN");
	return;
drop:
	h_put(pslot);
	if (ret >= 0)
		close(ret);
	h_unreserve(hslot);
}
