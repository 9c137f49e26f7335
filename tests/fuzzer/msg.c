// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: operations on handles: SEND, RECV, INFO.
 */
#include "fuzz.h"

/* ---- message operations --------------------------------------------------- */

#define RECV_VER1_FLAGS	(KMBOX_RECV_TAG | KMBOX_RECV_TAG_LE | KMBOX_RECV_FROM | \
			 KMBOX_RECV_CALL | KMBOX_RECV_REPLY)

void op_send(void)
{
	struct kmbox_send s;
	struct handle h;
	struct iarg a;
	int64_t timeout, bound, t0, t1;
	bool right, inval, can_fail_buf = false, tracked = false, oinval = false, ver0;
	uint64_t id = 0;
	int slot, fd, e, bplace = P_NORMAL;
	size_t len;
	long ret;

	memset(&s, 0, sizeof(s));
	fd = mbox_target_for(&slot, &h, &right, KMBOX_ACCESS_SEND);
	s.flags = pick_mode(&timeout, &bound, &inval);
	s.timeout_ns = timeout;
	if (pct(20))
		s.flags |= KMBOX_SEND_SYNC;
	if (pml(10)) {
		s.__reserved0 = rnd() | 1;
		inval = true;
	}
	if (pml(10)) {
		s.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	/* VER1: a priority and a tag, valid for the mailbox or not. */
	if (pct(50))
		pick_opts(right ? h.create_flags : 0, &s.prio, &s.tag, &oinval);
	if (pml(10)) {
		s.__reserved1 = rnd() | 1;
		oinval = true;
	}
	if (pml(10)) {
		s.__reserved2[below(2)] = rnd() | 1;
		oinval = true;
	}
	/* VER0: a caller built before them sends priority 0, tag 0. */
	ver0 = pct(10);
	if (ver0) {
		s.prio = 0;
		s.tag = 0;
		s.__reserved1 = 0;
		memset(s.__reserved2, 0, sizeof(s.__reserved2));
		oinval = false;
	}
	inval |= oinval;
	len = pick_len(right ? h.max_msg_size : 4096);
	if (pml(40)) {
		bplace = 1 + below(P_N - 1);
		if (bplace == P_FLIP && len > PAGE)
			bplace = P_NORMAL;
		if (bplace == P_RO && len > RO_NAME_OFF)
			bplace = P_NORMAL;
	}
	switch (bplace) {
	case P_NORMAL:
		id = fill(sbuf, len, h.id);
		s.buf = (uintptr_t)sbuf;
		break;
	case P_FLIP:
		id = fill(rwv + tidx * FLIP_WIN, len, h.id);
		s.buf = (uintptr_t)(flv + tidx * FLIP_WIN);
		can_fail_buf = true;
		break;
	case P_RO:
		s.buf = (uintptr_t)(g_ro + below(RO_NAME_OFF - len + 1));
		break;
	case P_STRADDLE:
		if (len) {
			size_t k = below(len < PAGE ? len : PAGE);

			memset(strad + PAGE - k, JUNK, k);
			s.buf = (uintptr_t)(strad + PAGE - k);
			can_fail_buf = true;
		}
		break;
	default:
		s.buf = (uintptr_t)bad_addr(bplace);
		can_fail_buf = len > 0;
		break;
	}
	s.len = len;
	if (pml(10)) {
		static const uint64_t huge[] = {
			1ULL << 40, UINT64_MAX, 1ULL << 63, (64U << 20) + 1, UINT32_MAX + 1ULL };
		s.len = huge[below(ARRAY_SIZE(huge))];
		id = 0;
	}
	if (id) {
		atomic_fetch_or(&track[id], T_ATTEMPT);
		track_opts(id, s.prio, s.tag);
		tracked = true;
	}
	if (ver0)
		mkarg(&a, KMBOX_IOC_SEND, &s, KMBOX_SEND_SIZE_VER0, KMBOX_SEND_SIZE_VER0,
		      right, false);
	else
		mkarg(&a, KMBOX_IOC_SEND, &s, sizeof(s), KMBOX_SEND_SIZE_VER0, right, pct(8));
	if (a.place == P_FLIP)
		bound = 0;	/* may be anything once the kernel cannot read flags */
	call_begin(OP_SEND, a.ok ? bound : 0,
		   "SEND fd %d mbox %" PRIu64 " cap %llu flags %#x timeout %lld len %llu buf %s, %s",
		   fd, h.id, (unsigned long long)h.capacity, s.flags,
		   (long long)s.timeout_ns, (unsigned long long)s.len,
		   place_name[bplace], a.desc);
	t0 = now_ns();
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	t1 = now_ns();
	call_end();
	track_send(tracked ? id : 0, ret < 0 ? (e ? e : EIO) : 0);
	check_errno(OP_SEND, e, "SEND");
	/* A handle closed meanwhile may have sent it to the placeholder. */
	if (right && !h_same(slot, &h))
		goto out;
	if (check_dispatch(&a, ret, e, "SEND") || !a.ok || !right)
		goto out;
	if (!(h.access & KMBOX_ACCESS_SEND)) {
		if (e != EBADF)
			violation(C_VALID, "SEND on a receive-only handle: %s, expected EBADF",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (inval) {
		if (e != EINVAL)
			violation(C_VALID, "SEND flags %#x timeout %lld prio %u tag %#llx (create_flags %#x) reserved %#x/%#llx/%#llx: %s, expected EINVAL",
				  s.flags, (long long)s.timeout_ns, s.prio,
				  (unsigned long long)s.tag, h.create_flags, s.__reserved0,
				  (unsigned long long)s.__reserved[0],
				  (unsigned long long)s.__reserved[1],
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (s.len > (64U << 20)) {
		if (e != EMSGSIZE)
			violation(C_VALID, "SEND of %llu bytes: %s, expected EMSGSIZE",
				  (unsigned long long)s.len, ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (ret >= 0 && s.len > h.max_msg_size)
		violation(C_VALID, "SEND of %llu bytes to a mailbox of max_msg_size %u succeeded",
			  (unsigned long long)s.len, h.max_msg_size);
	if (ret >= 0 && can_fail_buf && bplace != P_FLIP)
		violation(C_VALID, "SEND from a %s buffer of %llu bytes succeeded",
			  place_name[bplace], (unsigned long long)s.len);
	if (ret > 0)
		violation(C_VALID, "SEND returned %ld", ret);
	if (e == EMSGSIZE && s.len <= h.max_msg_size)
		violation(C_VALID, "SEND of %llu bytes, max_msg_size %u: EMSGSIZE",
			  (unsigned long long)s.len, h.max_msg_size);
	check_timeout("SEND", e, s.flags, s.timeout_ns, t0, t1);
out:
	h_done(slot, &h, e);
}

void op_recv(void)
{
	struct kmbox_recv r, rb;
	struct recv13 x;
	struct handle h;
	struct iarg a;
	int64_t timeout, bound, t0, t1;
	bool right, inval, peek;
	int slot, fd, e, bplace = P_NORMAL;
	const uint8_t *data = NULL;
	size_t writable = 0;
	long ret;

	memset(&r, 0, sizeof(r));
	fd = mbox_target_for(&slot, &h, &right, KMBOX_ACCESS_RECV);
	r.flags = pick_mode(&timeout, &bound, &inval);
	r.timeout_ns = timeout;
	/* pick_mode() knows VER0's bits: VER1's selection and calls are ours. */
	if (r.flags & RECV_VER1_FLAGS) {
		r.flags &= ~RECV_VER1_FLAGS;
		inval = mode_invalid(r.flags, timeout, KMBOX_RECV_PEEK);
	}
	if (pct(15))
		r.flags |= KMBOX_RECV_PEEK;
	/* pick_mode()'s random bit may have set it too */
	peek = r.flags & KMBOX_RECV_PEEK;
	if (pml(10)) {
		r.__reserved0 = rnd() | 1;
		inval = true;
	}
	if (pml(10)) {
		r.__reserved1 = rnd() | 1;
		inval = true;
	}
	if (pml(10)) {
		r.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	if (pml(10))
		r.pid = rnd(), r.uid = rnd(), r.gid = rnd();	/* out fields */
	recv13_pick(&r, slot, &h, right, &inval, &x);
	if (pct(60))
		r.len = right ? h.max_msg_size : bufsz - 2 * PAGE;
	else if (pct(40))
		r.len = bufsz - 2 * PAGE;
	else if (pct(70))
		r.len = below(65);
	else
		r.len = pct(50) ? UINT64_MAX : 1ULL << 40;
	if (r.len > bufsz - 2 * PAGE && r.len < (64U << 20))
		r.len = bufsz - 2 * PAGE;
	if (pml(80)) {
		bplace = 1 + below(P_N - 1);
		if (bplace == P_FLIP && r.len > PAGE)
			r.len = PAGE;
	}
	switch (bplace) {
	case P_NORMAL:
		r.buf = (uintptr_t)rbuf;
		data = rbuf;
		writable = SIZE_MAX;
		break;
	case P_FLIP:
		r.buf = (uintptr_t)(flv + tidx * FLIP_WIN);
		data = rwv + tidx * FLIP_WIN;
		writable = SIZE_MAX;
		break;
	case P_RO:
		r.buf = (uintptr_t)g_ro;
		break;
	case P_STRADDLE:
		writable = below(PAGE);
		r.buf = (uintptr_t)(strad + PAGE - writable);
		data = strad + PAGE - writable;
		break;
	default:
		r.buf = (uintptr_t)bad_addr(bplace);
		break;
	}
	if (x.ver0)
		mkarg(&a, KMBOX_IOC_RECV, &r, KMBOX_RECV_SIZE_VER0, KMBOX_RECV_SIZE_VER0,
		      right, false);
	else
		mkarg(&a, KMBOX_IOC_RECV, &r, sizeof(r), KMBOX_RECV_SIZE_VER0, right, x.weird);
	/*
	 * RECV proves its struct writable once it has checked it: a
	 * read-only struct says first what else is wrong (the ABI orders
	 * none of these errors, all of which change nothing).
	 */
	if (right && a.expect == EFAULT && a.place == P_RO)
		a.expect2 = !(h.access & KMBOX_ACCESS_RECV) ? EBADF : inval ? EINVAL : 0;
	if (a.place == P_FLIP)
		bound = 0;
	call_begin(OP_RECV, a.ok ? bound : 0,
		   "RECV fd %d mbox %" PRIu64 " cap %llu flags %#x timeout %lld len %llu buf %s, %s",
		   fd, h.id, (unsigned long long)h.capacity, r.flags,
		   (long long)r.timeout_ns, (unsigned long long)r.len,
		   place_name[bplace], a.desc);
	t0 = now_ns();
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	t1 = now_ns();
	call_end();
	/* A VER0 struct holds the VER0 results only: the rest stays 0. */
	memset(&rb, 0, sizeof(rb));
	if (a.rb && a.size >= KMBOX_RECV_SIZE_VER0)
		memcpy(&rb, a.rb, a.size < sizeof(rb) ? a.size : sizeof(rb));
	recv13_fate(&r, &rb, &a, &x, slot);
	check_errno(OP_RECV, e, "RECV");
	if (right && !h_same(slot, &h)) {
		/* It may have gone to the placeholder; a message still counts. */
		if (ret > 0 && !peek && data && (size_t)ret <= writable) {
			struct hdr hd;

			track_recv(verify(data, ret, 0, "RECV", &hd), "RECV");
		}
		goto out;
	}
	if (check_dispatch(&a, ret, e, "RECV"))
		goto out;
	if (!right) {
		if (ret >= 0)
			violation(C_DISPATCH, "RECV on the control device returned %ld", ret);
		goto out;
	}
	if (a.ok && !(h.access & KMBOX_ACCESS_RECV)) {
		if (e != EBADF)
			violation(C_VALID, "RECV on a send-only handle: %s, expected EBADF",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (a.ok && inval) {
		if (e != EINVAL)
			violation(C_VALID, "RECV flags %#x timeout %lld reserved: %s, expected EINVAL",
				  r.flags, (long long)r.timeout_ns, ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (a.ok)
		check_timeout("RECV", e, r.flags, r.timeout_ns, t0, t1);
	if (e == EINTR && (r.flags & 7) == KMBOX_MSG_NONBLOCK && a.ok)
		violation(C_VALID, "RECV with KMBOX_MSG_NONBLOCK: EINTR");
	if (e == ESRCH && !x.maybe_esrch)
		violation(C_VALID, "RECV flags %#x from pid %d: ESRCH", r.flags, r.want_pid);
	if (a.ok)
		recv13_judge(&r, &rb, ret, e, slot, &h, &x);
	if (e == EMSGSIZE && a.ok) {
		if (rb.len <= r.len && r.len < (64U << 20))
			violation(C_VALID, "RECV into %llu bytes: EMSGSIZE reporting len %llu",
				  (unsigned long long)r.len, (unsigned long long)rb.len);
		if (rb.len > h.max_msg_size)
			violation(C_VALID, "RECV: EMSGSIZE reports %llu bytes, max_msg_size %u",
				  (unsigned long long)rb.len, h.max_msg_size);
	}
	if (ret < 0)
		goto out;
	if ((uint64_t)ret > r.len || (uint64_t)ret > h.max_msg_size)
		violation(C_VALID, "RECV into %llu bytes from a mailbox of max_msg_size %u returned %ld",
			  (unsigned long long)r.len, h.max_msg_size, ret);
	if ((size_t)ret > writable) {
		if (a.ok || a.place == P_FLIP)
			violation(C_VALID, "RECV of %ld bytes into a %s buffer (%zu writable) succeeded",
				  ret, place_name[bplace], writable);
		goto out;
	}
	if (a.ok && rb.len != (uint64_t)ret)
		violation(C_VALID, "RECV returned %ld, struct says len %llu",
			  ret, (unsigned long long)rb.len);
	if (ret > 0 && data) {
		struct hdr hd;
		int64_t id = verify(data, ret, h.id, peek ? "RECV peek" : "RECV", &hd);

		if (a.ok && hd.magic && (rb.uid != hd.uid ||
		    (rb.pid != (int32_t)hd.pid && rb.pid != 0)))
			violation(C_PAYLOAD, "RECV: message from pid %u uid %u reported as pid %d uid %u",
				  hd.pid, hd.uid, rb.pid, rb.uid);
		if (a.ok && !x.ver0)
			check_opts(id, rb.prio, rb.tag, "RECV");
		if (!peek)
			track_recv(id, "RECV");
		stat_add(ST_BYTES, ret);
	} else if (!peek) {
		track_recv(0, "RECV");
	}
out:
	h_done(slot, &h, e);
}

void op_info(void)
{
	struct kmbox_info in, i;
	struct handle h;
	struct iarg a;
	bool right, inval = false, locked = false;
	int slot, fd, e;
	long ret;

	memset(&in, 0, sizeof(in));
	if (pml(20)) {
		in.flags = 1U << below(32);
		inval = true;
	}
	if (pml(20)) {
		in.__reserved0 = rnd() | 1;
		inval = true;
	}
	if (pml(20)) {
		in.__reserved[below(ARRAY_SIZE(in.__reserved))] = rnd() | 1;
		inval = true;
	}
	if (pml(20))
		memset(in.name, 'n', sizeof(in.name));	/* out field */
	fd = mbox_target(&slot, &h, &right);
	mkarg(&a, KMBOX_IOC_INFO, &in, sizeof(in), KMBOX_INFO_SIZE_VER0, right, pct(10));
	if (a.ok && right && !inval) {
		hl();	/* so that the monotonic checks see INFOs in order */
		locked = true;
		if (H[slot].gen != h.gen || H[slot].state != H_LIVE) {
			hu();
			locked = false;
		}
	}
	call_begin(OP_INFO, slack_ns(), "INFO fd %d, %s", fd, a.desc);
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	call_end();
	check_errno(OP_INFO, e, "INFO");
	if (right && !locked && !h_same(slot, &h))
		goto out;
	if (check_dispatch(&a, ret, e, "INFO") || !a.ok || !right)
		goto out;
	if (inval) {
		if (e != EINVAL && h_same(slot, &h))
			violation(C_VALID, "INFO with flags %#x reserved0 %#x: %s, expected EINVAL",
				  in.flags, in.__reserved0, ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (!locked)
		goto out;
	if (ret) {
		violation(C_INFO, "INFO: %s", ename(e));
		goto out;
	}
	memcpy(&i, a.rb, sizeof(i));
	if (i.flags || i.access != h.access || i.id != h.id ||
	    i.capacity != h.capacity || i.max_msg_size != h.max_msg_size ||
	    i.mode & ~0777U || i.__reserved0 || i.__reserved[0] ||
	    i.__reserved[1] || i.__reserved[2] ||
	    /* Each message queued is charged at least its length. */
	    i.charged < i.bytes || !i.msgs != !i.charged)
		violation(C_INFO, "INFO: flags %u access %#x/%#x id %llu/%llu capacity %llu/%llu size %u/%u mode %o",
			  i.flags, i.access, h.access, (unsigned long long)i.id,
			  (unsigned long long)h.id, (unsigned long long)i.capacity,
			  (unsigned long long)h.capacity, i.max_msg_size,
			  h.max_msg_size, i.mode);
	if (i.state > KMBOX_STATE_DESTROYED || i.state < H[slot].state_seen ||
	    i.received < H[slot].received_seen || i.dropped < H[slot].dropped_seen)
		violation(C_INFO, "INFO went back: state %u after %u, received %llu after %llu, dropped %llu after %llu",
			  i.state, H[slot].state_seen, (unsigned long long)i.received,
			  (unsigned long long)H[slot].received_seen,
			  (unsigned long long)i.dropped,
			  (unsigned long long)H[slot].dropped_seen);
	H[slot].state_seen = i.state;
	H[slot].received_seen = i.received;
	H[slot].dropped_seen = i.dropped;
	if (!memchr(i.name, 0, sizeof(i.name)) ||
	    (i.name[0] && h.name != -2 && (h.name < 0 || strcmp(i.name, S->names[h.name]))))
		violation(C_INFO, "INFO: name \"%.40s\" for a handle %s%s", i.name,
			  h.name < 0 ? "of an anonymous mailbox" : "opened as ",
			  h.name < 0 ? "" : S->names[h.name]);
	if (i.state == KMBOX_STATE_DESTROYED && (i.msgs || i.bytes || i.name[0]))
		violation(C_INFO, "INFO: destroyed, yet msgs %llu bytes %llu name \"%.40s\"",
			  (unsigned long long)i.msgs, (unsigned long long)i.bytes, i.name);
	/*
	 * What the queued messages pin (kmbox_limits): each at least
	 * msg_overhead; at most max(n + 128, 5n / 4) below a page, n rounded
	 * up to pages plus a header under 1% of n above.  Summed, within
	 * 5/4 of the bytes and a page and a header more per message.
	 */
	if (i.charged < i.msgs * L.msg_overhead ||
	    i.charged > i.bytes + i.bytes / 4 + i.msgs * (PAGE + 1024))
		violation(C_INFO, "INFO: %llu messages of %llu bytes charged %llu (overhead %llu)",
			  (unsigned long long)i.msgs, (unsigned long long)i.bytes,
			  (unsigned long long)i.charged,
			  (unsigned long long)L.msg_overhead);
	if ((!i.msgs && i.bytes) || i.bytes > i.msgs * (uint64_t)i.max_msg_size)
		violation(C_INFO, "INFO: %llu bytes in %llu messages of at most %u",
			  (unsigned long long)i.bytes, (unsigned long long)i.msgs, i.max_msg_size);
	if (i.sent < i.received + i.dropped + i.msgs ||
	    i.sent - (i.received + i.dropped + i.msgs) > MAX_TASKS)
		violation(C_INFO, "INFO: sent %llu, received %llu + dropped %llu + queued %llu",
			  (unsigned long long)i.sent, (unsigned long long)i.received,
			  (unsigned long long)i.dropped, (unsigned long long)i.msgs);
	if (i.capacity && i.capacity != KMBOX_CAPACITY_UNBOUNDED) {
		if (i.msgs > i.capacity + MAX_TASKS)
			violation(C_INFO, "INFO: %llu messages queued, capacity %llu",
				  (unsigned long long)i.msgs, (unsigned long long)i.capacity);
		if (i.msgs > i.capacity)
			stat_max(ST_OVERCAP, i.msgs - i.capacity);
	}
	/* Issue 13: attributes fixed at creation; calls pending never wrap. */
	if (i.create_flags != h.create_flags ||
	    (!(i.create_flags & KMBOX_CREATE_PORT) && i.port_pid) ||
	    i.__reserved4[0] || i.__reserved4[1])
		violation(C_INFO, "INFO: create_flags %#x (was %#x) port_pid %d reserved %#llx/%#llx",
			  i.create_flags, h.create_flags, i.port_pid,
			  (unsigned long long)i.__reserved4[0],
			  (unsigned long long)i.__reserved4[1]);
	if (i.calls_pending > MAX_TASKS ||
	    (i.state == KMBOX_STATE_DESTROYED && i.calls_pending))
		violation(C_INFO, "INFO: %llu calls pending, state %u",
			  (unsigned long long)i.calls_pending, i.state);
	if (i.senders_waiting + (uint64_t)i.receivers_waiting > MAX_TASKS)
		violation(C_INFO, "INFO: %u senders and %u receivers waiting",
			  i.senders_waiting, i.receivers_waiting);
out:
	if (locked)
		hu();
	h_put(slot);
}
