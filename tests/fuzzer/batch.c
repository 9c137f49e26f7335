// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: SEND_BATCH and RECV_BATCH: counts from 0 past KMBOX_BATCH_MAX,
 * arrays normal, read-only, half-mapped, unmapped or flipping, entries
 * with bad buffers, lengths or reserved fields at random positions, every
 * mode with and without KMBOX_BATCH_WAITALL; each message then checked as
 * SEND and RECV check theirs.  What a batch must give: a count n, entries
 * [0, n) done (sent; received, their out fields set), the others untouched
 * and their messages neither delivered nor consumed; an error only when the
 * first message fails, and then nothing done.
 */
#include "fuzz.h"

#define VEC_MAX		KMBOX_BATCH_MAX
#define VEC_BYTES	(VEC_MAX * sizeof(struct kmbox_msgvec))
#define VEC_FLIP_MAX	(PAGE / sizeof(struct kmbox_msgvec))
#define BAD_COUNT_LAID	8	/* entries laid out behind a count too big */

/* What the fuzzer knows of one entry. */
struct ent {
	uint64_t id;		/* SEND_BATCH: its message's id, 0: untracked */
	int place;		/* where its buffer is */
	bool must_fail;		/* its message cannot go (bad buffer, size) */
	size_t writable;	/* RECV_BATCH: bytes of its buffer writable */
	const uint8_t *data;	/* RECV_BATCH: where its bytes can be read */
};

/* A thread's batch memory, mapped at its first batch. */
struct bmem {
	/* The array the call gets, ending right at a PROT_NONE page. */
	uint8_t vec[VEC_BYTES] __attribute__((aligned(PAGE)));
	uint8_t guard[PAGE];
	struct kmbox_msgvec in[VEC_MAX];	/* the array as passed */
	struct ent ent[VEC_MAX];
};

static __thread struct bmem *bm;

/* One call's array: where it is and what can be said of it. */
struct barr {
	uint32_t count;		/* in the struct */
	uint32_t laid;		/* entries laid out in bm->in */
	int place;
	uint64_t uvec;		/* what the struct points to */
	struct kmbox_msgvec *rb;	/* where it can be read back, or NULL */
	void *ro_page;		/* made read-only for the call */
	size_t ro_len;
};

static void bm_setup(void)
{
	if (bm)
		return;
	bm = map(sizeof(*bm), PROT_READ | PROT_WRITE);
	mprotect(bm->guard, PAGE, PROT_NONE);
}

/* A count: mostly valid, from 0 up to KMBOX_BATCH_MAX; rarely above. */
static uint32_t pick_count(bool *bad)
{
	int r = below(1000);

	*bad = false;
	if (r < 40)
		return 0;
	if (r < 250)
		return 1;
	if (r < 750)
		return range(2, 16);
	if (r < 930)
		return range(17, VEC_MAX - 1);
	if (r < 965)
		return VEC_MAX;
	*bad = true;
	return pct(50) ? VEC_MAX + 1 : (uint32_t)range(VEC_MAX + 2, UINT32_MAX);
}

/*
 * Flags of a batch: a mode as for SEND and RECV, WAITALL, SYNC (send),
 * sometimes an unknown bit.  Validity is judged afresh: pick_mode() knows
 * only SEND's and RECV's flags.
 */
static uint32_t pick_batch_mode(uint32_t allowed, int64_t *timeout,
				int64_t *bound, bool *inval)
{
	uint32_t flags = pick_mode(timeout, bound, inval);

	if (pct(30))
		flags |= KMBOX_BATCH_WAITALL;
	if ((allowed & KMBOX_SEND_SYNC) && pct(15))
		flags |= KMBOX_SEND_SYNC;
	if (pml(15))
		flags |= 1U << below(32);
	*inval = (flags & ~allowed) || __builtin_popcount(flags & 7) > 1 ||
		 (!(flags & 6) && *timeout) || ((flags & 6) && *timeout < 0);
	if (*inval)
		*bound = slack_ns();
	return flags;
}

/*
 * Put the entries of bm->in where the call reads them.  rw: the call
 * writes results back (RECV_BATCH).  Returns the errno the array alone
 * must give (0: none; -1: anything may happen, it flips).
 */
static int place_array(struct barr *ba, bool entry_flip)
{
	size_t bytes = ba->laid * sizeof(struct kmbox_msgvec), k;
	uint8_t *end = bm->vec + VEC_BYTES;

	ba->place = P_NORMAL;
	ba->rb = NULL;
	ba->ro_page = NULL;
	if (pml(150))
		ba->place = 1 + below(P_N - 1);
	if (ba->place == P_FLIP && (ba->laid > VEC_FLIP_MAX || entry_flip))
		ba->place = P_NORMAL;
	if (ba->place == P_STRADDLE && !bytes)
		ba->place = P_NONE;
	switch (ba->place) {
	case P_NORMAL:
	case P_RO:
		/* Right against the guard page: not a byte more is readable. */
		memcpy(end - bytes, bm->in, bytes);
		ba->uvec = (uintptr_t)(end - bytes);
		ba->rb = (void *)(end - bytes);
		if (ba->place == P_RO && bytes) {
			uint8_t *p = (uint8_t *)((uintptr_t)(end - bytes) & ~(PAGE - 1));

			ba->ro_page = p;
			ba->ro_len = end - p;
			mprotect(p, ba->ro_len, PROT_READ);
		}
		return 0;
	case P_STRADDLE:
		/* k bytes of it run into the guard page. */
		k = 1 + below(bytes < PAGE ? bytes : PAGE);
		memcpy(end - bytes + k, bm->in, bytes - k);
		ba->uvec = (uintptr_t)(end - bytes + k);
		return EFAULT;
	case P_FLIP:
		memcpy(rwv + tidx * FLIP_WIN, bm->in, bytes);
		ba->uvec = (uintptr_t)(flv + tidx * FLIP_WIN);
		ba->rb = (void *)(rwv + tidx * FLIP_WIN);
		return -1;
	default:
		ba->uvec = (uintptr_t)bad_addr(ba->place);
		return EFAULT;
	}
}

static void unplace_array(struct barr *ba)
{
	if (ba->ro_page)
		mprotect(ba->ro_page, ba->ro_len, PROT_READ | PROT_WRITE);
}

/* A bad buffer place for an entry, now and then. */
static int pick_buf_place(bool flip_ok)
{
	int p;

	if (!pml(60))
		return P_NORMAL;
	p = 1 + below(P_N - 1);
	if (p == P_FLIP && !flip_ok)
		p = P_NONE;
	return p;
}

static bool bad_place(int p)
{
	return p == P_NONE || p == P_NULL || p == P_KERNEL || p == P_NONCANON ||
	       p == P_STRADDLE;
}

/* Reserved bits and out fields of the entries, to be refused or ignored. */
static bool mangle_entries(struct barr *ba)
{
	bool inval = false;

	if (ba->laid && pml(20)) {
		bm->in[below(ba->laid)].__reserved = rnd() | 1;
		inval = true;
	}
	if (ba->laid && pml(60)) {
		struct kmbox_msgvec *v = &bm->in[below(ba->laid)];

		v->pid = rnd(), v->uid = rnd(), v->gid = rnd();
	}
	return inval;
}

static const char *count_desc(uint32_t count, char *buf, size_t len)
{
	snprintf(buf, len, "%u%s", count, count > VEC_MAX ? " (too many)" : "");
	return buf;
}

static size_t room(size_t budget, size_t off)
{
	return off < budget ? budget - off : 0;
}

/* ---- SEND_BATCH ------------------------------------------------------- */

/* Lay out the messages of a send: returns the index of the first that
 * must fail, or laid when none must. */
static uint32_t lay_send(struct barr *ba, const struct handle *h, bool right,
			 bool *flip)
{
	size_t budget = bufsz - 2 * PAGE, off = 0, len;
	uint32_t i, first_fail = ba->laid;
	uint32_t max = right ? h->max_msg_size : 4096;

	if (pct(90) && budget > (256U << 10))
		budget = 256U << 10;
	*flip = false;
	for (i = 0; i < ba->laid; i++) {
		struct kmbox_msgvec *v = &bm->in[i];
		struct ent *en = &bm->ent[i];

		memset(v, 0, sizeof(*v));
		memset(en, 0, sizeof(*en));
		len = ba->laid > 16 && pct(90) ? below(97) : pick_len(max);
		if (len > room(budget, off))
			len = room(budget, off);
		en->place = pick_buf_place(!*flip);
		if (en->place == P_FLIP && len > PAGE)
			en->place = P_NORMAL;
		if (en->place == P_RO && len > RO_NAME_OFF)
			en->place = P_NORMAL;
		switch (en->place) {
		case P_NORMAL:
			en->id = fill(sbuf + off, len, h->id);
			v->buf = (uintptr_t)(sbuf + off);
			off += len;
			break;
		case P_FLIP:
			en->id = fill(rwv + tidx * FLIP_WIN, len, h->id);
			v->buf = (uintptr_t)(flv + tidx * FLIP_WIN);
			*flip = true;
			break;
		case P_RO:
			v->buf = (uintptr_t)(g_ro + below(RO_NAME_OFF - len + 1));
			break;
		case P_STRADDLE:
			if (len) {
				size_t k = below(len < PAGE ? len : PAGE);

				memset(strad + PAGE - k, JUNK, k);
				v->buf = (uintptr_t)(strad + PAGE - k);
			}
			break;
		default:
			v->buf = (uintptr_t)bad_addr(en->place);
			break;
		}
		v->len = len;
		if (pml(15)) {
			static const uint64_t huge[] = {
				1ULL << 40, UINT64_MAX, 1ULL << 63, (64U << 20) + 1,
				UINT32_MAX + 1ULL };

			v->len = huge[below(ARRAY_SIZE(huge))];
			en->id = 0;
		}
		en->must_fail = (bad_place(en->place) && v->len) ||
				(right && v->len > h->max_msg_size) ||
				v->len > (64U << 20);
		if (en->must_fail && first_fail == ba->laid)
			first_fail = i;
		if (en->id)
			atomic_fetch_or(&track[en->id], T_ATTEMPT);
	}
	return first_fail;
}

void op_send_batch(void)
{
	struct kmbox_batch b;
	struct barr ba;
	struct handle h;
	struct iarg a;
	int64_t timeout, bound, t0, t1;
	bool right, inval, bad_count, inval_ent, flip;
	uint32_t i, first_fail, done;
	int slot, fd, e, aerr;
	char cbuf[32];
	long ret;

	bm_setup();
	memset(&b, 0, sizeof(b));
	memset(&ba, 0, sizeof(ba));
	fd = mbox_target_for(&slot, &h, &right, KMBOX_ACCESS_SEND);
	b.flags = pick_batch_mode(KMBOX_MSG_NONBLOCK | KMBOX_MSG_TIMEOUT |
				  KMBOX_MSG_DEADLINE | KMBOX_BATCH_WAITALL |
				  KMBOX_SEND_SYNC, &timeout, &bound, &inval);
	b.timeout_ns = timeout;
	if (pml(10)) {
		b.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	ba.count = pick_count(&bad_count);
	ba.laid = bad_count ? below(BAD_COUNT_LAID + 1) : ba.count;
	first_fail = lay_send(&ba, &h, right, &flip);
	inval_ent = mangle_entries(&ba);
	aerr = place_array(&ba, flip);
	b.count = ba.count;
	b.vec = ba.uvec;
	mkarg(&a, KMBOX_IOC_SEND_BATCH, &b, sizeof(b), KMBOX_BATCH_SIZE_VER0, right, pct(8));
	if (a.place == P_FLIP || aerr < 0)
		bound = 0;
	call_begin(OP_SEND_BATCH, a.ok ? bound : 0,
		   "SEND_BATCH fd %d mbox %" PRIu64 " cap %llu flags %#x timeout %lld count %s vec %s, %s",
		   fd, h.id, (unsigned long long)h.capacity, b.flags,
		   (long long)b.timeout_ns, count_desc(b.count, cbuf, sizeof(cbuf)),
		   place_name[ba.place], a.desc);
	t0 = now_ns();
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	t1 = now_ns();
	call_end();
	unplace_array(&ba);

	/* Entries [0, done) were sent, the others not. */
	done = ret < 0 ? 0 : (uint64_t)ret > ba.laid ? ba.laid : (uint32_t)ret;
	for (i = 0; i < ba.laid; i++)
		track_send(bm->ent[i].id, i < done ? 0 : EIO);
	check_errno(OP_SEND_BATCH, e, "SEND_BATCH");
	if (right && !h_same(slot, &h))
		goto out;
	if (check_dispatch(&a, ret, e, "SEND_BATCH") || !right)
		goto out;
	if (ba.rb && memcmp(ba.rb, bm->in, ba.laid * sizeof(*ba.rb)))
		violation(C_VALID, "SEND_BATCH changed its array (count %u, returned %ld)",
			  ba.count, ret);
	if (ret > (long)ba.count || (ret == 0 && ba.count))
		violation(C_VALID, "SEND_BATCH of %u messages returned %ld", ba.count, ret);
	if (!a.ok)
		goto out;
	if (!(h.access & KMBOX_ACCESS_SEND)) {
		if (e != EBADF)
			violation(C_VALID, "SEND_BATCH on a receive-only handle: %s, expected EBADF",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (inval || bad_count) {
		if (e != EINVAL)
			violation(C_VALID, "SEND_BATCH flags %#x timeout %lld count %u reserved %#llx/%#llx: %s, expected EINVAL",
				  b.flags, (long long)b.timeout_ns, b.count,
				  (unsigned long long)b.__reserved[0],
				  (unsigned long long)b.__reserved[1],
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (!ba.count) {
		if (ret)
			violation(C_VALID, "SEND_BATCH of 0 messages: %s, expected 0",
				  ret > 0 ? "a count" : ename(e));
		goto out;
	}
	if (aerr > 0 || inval_ent) {
		/* Either may come first: the array is read, then checked. */
		/* A flipping array (aerr < 0) may be unreadable when read. */
		if (ret >= 0 || ((!inval_ent || e != EINVAL) &&
				 (aerr == 0 || e != (aerr > 0 ? aerr : EFAULT))))
			violation(C_VALID, "SEND_BATCH with a %s array%s: %s, expected %s",
				  place_name[ba.place],
				  inval_ent ? " and a reserved field set" : "",
				  ret >= 0 ? "success" : ename(e),
				  inval_ent ? "EINVAL" : ename(aerr));
		goto out;
	}
	if (ret >= 0 && (uint32_t)ret > first_fail)
		violation(C_VALID, "SEND_BATCH of %u: returned %ld, but entry %u (len %llu, buf %s) cannot be sent",
			  ba.count, ret, first_fail,
			  (unsigned long long)bm->in[first_fail].len,
			  place_name[bm->ent[first_fail].place]);
	if (ret < 0) {
		check_timeout("SEND_BATCH", e, b.flags, b.timeout_ns, t0, t1);
		if (e == EINTR && (b.flags & 7) == KMBOX_MSG_NONBLOCK)
			violation(C_VALID, "SEND_BATCH with KMBOX_MSG_NONBLOCK: EINTR");
		if (e == EMSGSIZE && bm->in[0].len <= h.max_msg_size)
			violation(C_VALID, "SEND_BATCH: entry 0 of %llu bytes, max_msg_size %u: EMSGSIZE",
				  (unsigned long long)bm->in[0].len, h.max_msg_size);
	}
out:
	h_done(slot, &h, e);
}

/* ---- RECV_BATCH ------------------------------------------------------- */

/* Lay out the buffers of a receive, side by side in rbuf. */
static void lay_recv(struct barr *ba, const struct handle *h, bool right,
		     bool *flip)
{
	size_t budget = bufsz - 2 * PAGE, off = 0, size;
	uint32_t max = right ? h->max_msg_size : 4096;
	bool straddle = false;
	uint32_t i;

	*flip = false;
	for (i = 0; i < ba->laid; i++) {
		struct kmbox_msgvec *v = &bm->in[i];
		struct ent *en = &bm->ent[i];
		int r = below(100);

		memset(v, 0, sizeof(*v));
		memset(en, 0, sizeof(*en));
		size = r < 60 ? max : r < 85 ? below(65) : pick_len(max);
		if (size > room(budget, off))
			size = room(budget, off);
		en->place = pick_buf_place(!*flip);
		/* One buffer in the half-mapped page: two would overlap. */
		if (en->place == P_STRADDLE && straddle)
			en->place = P_NONE;
		if (en->place == P_FLIP && size > PAGE)
			size = PAGE;
		v->len = size;
		switch (en->place) {
		case P_NORMAL:
			v->buf = (uintptr_t)(rbuf + off);
			en->data = rbuf + off;
			en->writable = size;
			/*
			 * A length beyond the buffer, as good as max_msg_size
			 * to the kernel: only where no message can run past
			 * the end of rbuf (none is above L.max_msg_size).
			 */
			if (pml(40) && off + L.max_msg_size <= bufsz && size >= max) {
				v->len = pct(50) ? UINT64_MAX : 1ULL << 40;
				size = L.max_msg_size;
				en->writable = SIZE_MAX;
			}
			off += size;
			break;
		case P_FLIP:
			v->buf = (uintptr_t)(flv + tidx * FLIP_WIN);
			en->data = rwv + tidx * FLIP_WIN;
			en->writable = SIZE_MAX;	/* maybe */
			*flip = true;
			break;
		case P_RO:
			v->buf = (uintptr_t)g_ro;
			break;
		case P_STRADDLE:
			en->writable = below(PAGE);
			v->buf = (uintptr_t)(strad + PAGE - en->writable);
			en->data = strad + PAGE - en->writable;
			straddle = true;
			break;
		default:
			v->buf = (uintptr_t)bad_addr(en->place);
			break;
		}
	}
}

/* Entry i of a receive returned [0, n): check and track its message. */
static void check_received(const struct handle *h, const struct kmbox_msgvec *in,
			   const struct kmbox_msgvec *out, const struct ent *en,
			   uint32_t i, bool strict)
{
	uint64_t cap = in->len < (64U << 20) ? in->len : (64U << 20);
	struct hdr hd;
	int64_t id;

	if (strict && (out->buf != in->buf || out->__reserved ||
		       out->len > cap || out->len > h->max_msg_size)) {
		violation(C_VALID, "RECV_BATCH entry %u: buf %#llx -> %#llx, len %llu -> %llu (max_msg_size %u), reserved %u",
			  i, (unsigned long long)in->buf, (unsigned long long)out->buf,
			  (unsigned long long)in->len, (unsigned long long)out->len,
			  h->max_msg_size, out->__reserved);
		track_recv(0, "RECV_BATCH");
		return;
	}
	if (out->len > en->writable) {
		violation(C_VALID, "RECV_BATCH entry %u: %llu bytes received into a %s buffer (%zu writable)",
			  i, (unsigned long long)out->len, place_name[en->place], en->writable);
		track_recv(0, "RECV_BATCH");
		return;
	}
	if (!out->len || !en->data) {
		track_recv(0, "RECV_BATCH");
		return;
	}
	id = verify(en->data, out->len, h->id, "RECV_BATCH", &hd);
	if (hd.magic && (out->uid != hd.uid ||
			 (out->pid != (int32_t)hd.pid && out->pid != 0)))
		violation(C_PAYLOAD, "RECV_BATCH entry %u: message from pid %u uid %u reported as pid %d uid %u",
			  i, hd.pid, hd.uid, out->pid, out->uid);
	track_recv(id, "RECV_BATCH");
	stat_add(ST_BYTES, out->len);
}

void op_recv_batch(void)
{
	struct kmbox_batch b;
	struct barr ba;
	struct handle h;
	struct iarg a;
	int64_t timeout, bound, t0, t1;
	bool right, inval, bad_count, inval_ent, flip, trusted;
	uint32_t i, done;
	int slot, fd, e, aerr;
	char cbuf[32];
	long ret;

	bm_setup();
	memset(&b, 0, sizeof(b));
	memset(&ba, 0, sizeof(ba));
	fd = mbox_target_for(&slot, &h, &right, KMBOX_ACCESS_RECV);
	b.flags = pick_batch_mode(KMBOX_MSG_NONBLOCK | KMBOX_MSG_TIMEOUT |
				  KMBOX_MSG_DEADLINE | KMBOX_BATCH_WAITALL,
				  &timeout, &bound, &inval);
	if (pml(20)) {
		b.flags |= KMBOX_RECV_PEEK;	/* not taken by a batch */
		inval = true;
		bound = slack_ns();
	}
	b.timeout_ns = timeout;
	if (pml(10)) {
		b.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	ba.count = pick_count(&bad_count);
	ba.laid = bad_count ? below(BAD_COUNT_LAID + 1) : ba.count;
	lay_recv(&ba, &h, right, &flip);
	inval_ent = mangle_entries(&ba);
	aerr = place_array(&ba, flip);
	if (!aerr && ba.place == P_RO && ba.laid)
		aerr = EFAULT;	/* the results cannot be written */
	/* A flipping array may lose the results: nothing to check them by. */
	trusted = ba.place != P_FLIP;
	b.count = ba.count;
	b.vec = ba.uvec;
	mkarg(&a, KMBOX_IOC_RECV_BATCH, &b, sizeof(b), KMBOX_BATCH_SIZE_VER0, right, pct(8));
	if (a.place == P_FLIP || aerr < 0)
		bound = 0;
	call_begin(OP_RECV_BATCH, a.ok ? bound : 0,
		   "RECV_BATCH fd %d mbox %" PRIu64 " cap %llu flags %#x timeout %lld count %s vec %s, %s",
		   fd, h.id, (unsigned long long)h.capacity, b.flags,
		   (long long)b.timeout_ns, count_desc(b.count, cbuf, sizeof(cbuf)),
		   place_name[ba.place], a.desc);
	t0 = now_ns();
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	t1 = now_ns();
	call_end();
	unplace_array(&ba);
	check_errno(OP_RECV_BATCH, e, "RECV_BATCH");
	done = ret < 0 ? 0 : (uint64_t)ret > ba.laid ? ba.laid : (uint32_t)ret;

	if (right && !h_same(slot, &h)) {
		/* Maybe from another mailbox: counted, not judged. */
		for (i = 0; i < done; i++)
			track_recv(0, "RECV_BATCH");
		goto out;
	}
	if (check_dispatch(&a, ret, e, "RECV_BATCH") || !right)
		goto out;
	if (ret > (long)ba.count || (ret == 0 && ba.count))
		violation(C_VALID, "RECV_BATCH of %u messages returned %ld", ba.count, ret);
	for (i = 0; i < done; i++) {
		if (trusted && ba.rb)
			check_received(&h, &bm->in[i], &ba.rb[i], &bm->ent[i], i, a.ok);
		else
			track_recv(0, "RECV_BATCH");
	}
	/* The rest untouched; after EMSGSIZE, but for entry 0's len. */
	for (i = done; trusted && ba.rb && i < ba.laid; i++) {
		struct kmbox_msgvec want = bm->in[i];

		if (!i && e == EMSGSIZE)
			want.len = ba.rb[0].len;
		if (memcmp(&ba.rb[i], &want, sizeof(want))) {
			violation(C_VALID, "RECV_BATCH returned %ld (%s), yet entry %u of %u changed: len %llu -> %llu pid %d uid %u",
				  ret, ret < 0 ? ename(e) : "a count", i, ba.count,
				  (unsigned long long)bm->in[i].len,
				  (unsigned long long)ba.rb[i].len, ba.rb[i].pid,
				  ba.rb[i].uid);
			break;
		}
	}
	if (!a.ok)
		goto out;
	if (!(h.access & KMBOX_ACCESS_RECV)) {
		if (e != EBADF)
			violation(C_VALID, "RECV_BATCH on a send-only handle: %s, expected EBADF",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (inval || bad_count) {
		if (e != EINVAL)
			violation(C_VALID, "RECV_BATCH flags %#x timeout %lld count %u reserved %#llx/%#llx: %s, expected EINVAL",
				  b.flags, (long long)b.timeout_ns, b.count,
				  (unsigned long long)b.__reserved[0],
				  (unsigned long long)b.__reserved[1],
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (!ba.count) {
		if (ret)
			violation(C_VALID, "RECV_BATCH of 0 messages: %s, expected 0",
				  ret > 0 ? "a count" : ename(e));
		goto out;
	}
	if (aerr > 0 || inval_ent) {
		/* A flipping array (aerr < 0) may be unreadable when read. */
		if (ret >= 0 || ((!inval_ent || e != EINVAL) &&
				 (aerr == 0 || e != (aerr > 0 ? aerr : EFAULT))))
			violation(C_VALID, "RECV_BATCH with a %s array%s: %s, expected %s",
				  place_name[ba.place],
				  inval_ent ? " and a reserved field set" : "",
				  ret >= 0 ? "success" : ename(e),
				  inval_ent ? "EINVAL" : ename(aerr));
		goto out;
	}
	if (ret >= 0)
		goto out;
	check_timeout("RECV_BATCH", e, b.flags, b.timeout_ns, t0, t1);
	if (e == EINTR && (b.flags & 7) == KMBOX_MSG_NONBLOCK)
		violation(C_VALID, "RECV_BATCH with KMBOX_MSG_NONBLOCK: EINTR");
	if (e == EMSGSIZE && trusted && ba.rb) {
		uint64_t need = ba.rb[0].len;

		if ((need <= bm->in[0].len && bm->in[0].len < (64U << 20)) ||
		    need > h.max_msg_size)
			violation(C_VALID, "RECV_BATCH into %llu bytes: EMSGSIZE reporting len %llu (max_msg_size %u)",
				  (unsigned long long)bm->in[0].len,
				  (unsigned long long)need, h.max_msg_size);
	}
out:
	h_done(slot, &h, e);
}
