// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: a batch scenario on a private mailbox, whose counts are known
 * exactly: a SEND_BATCH fills what room there is, a RECV_BATCH takes what
 * is queued, in order, and stops at the entry whose buffer is too small or
 * bad, leaving that message first in line; WAITALL waits out its timeout
 * for the rest, without it the call returns at once; after CLOSE the queue
 * drains, then EPIPE.
 */
#include "fuzz.h"

#define SC_MAX		48	/* entries of one call here */
#define SC_TIMEOUT	(20 * MS)

static long sc_batch(int fd, unsigned long cmd, struct kmbox_msgvec *vec,
		     uint32_t count, uint32_t flags, int64_t timeout)
{
	struct kmbox_batch b = {
		.flags = flags, .count = count, .vec = (uintptr_t)vec,
		.timeout_ns = timeout };
	long ret = ioctl(fd, cmd, &b);

	return ret < 0 ? -errno : ret;
}

/* Sends seq[from, from + n) as a batch; 4 bytes each. */
static long send_seqs(int fd, uint32_t *seq, uint32_t from, uint32_t n,
		      uint32_t flags, int64_t timeout)
{
	struct kmbox_msgvec vec[SC_MAX];
	uint32_t i;

	memset(vec, 0, sizeof(vec));
	for (i = 0; i < n; i++) {
		seq[from + i] = from + i;
		vec[i].buf = (uintptr_t)&seq[from + i];
		vec[i].len = sizeof(uint32_t);
	}
	return sc_batch(fd, KMBOX_IOC_SEND_BATCH, vec, n, flags, timeout);
}

/*
 * Receives up to n messages, expecting exactly want of them, numbered from
 * *next on; entry small (if < n) has a buffer of 2 bytes, entry bad (if <
 * n) one that is not mapped.  Returns the count or -errno.
 */
static long recv_seqs(int fd, uint32_t n, uint32_t small, uint32_t bad,
		      uint32_t flags, int64_t timeout, uint32_t *next,
		      const char *what)
{
	struct kmbox_msgvec vec[SC_MAX], in[SC_MAX];
	uint32_t buf[SC_MAX], i;
	long ret;

	memset(vec, 0, sizeof(vec));
	memset(buf, 0xff, sizeof(buf));
	for (i = 0; i < n; i++) {
		vec[i].buf = (uintptr_t)&buf[i];
		vec[i].len = i == small ? 2 : sizeof(uint32_t);
		if (i == bad)
			vec[i].buf = (uintptr_t)bad_addr(P_NONE);
	}
	memcpy(in, vec, sizeof(in));
	ret = sc_batch(fd, KMBOX_IOC_RECV_BATCH, vec, n, flags, timeout);
	for (i = 0; ret > 0 && i < (uint32_t)ret; i++) {
		if (vec[i].len != sizeof(uint32_t) || buf[i] != *next ||
		    vec[i].pid != mypid || vec[i].uid != myuid) {
			violation(C_SCENARIO, "batch: %s: entry %u of %ld: len %llu seq %u pid %d uid %u, expected seq %u from %d/%u",
				  what, i, ret, (unsigned long long)vec[i].len, buf[i],
				  vec[i].pid, vec[i].uid, *next, mypid, myuid);
			return -EPROTO;
		}
		(*next)++;
	}
	for (i = ret > 0 ? ret : 0; i < n; i++)
		if (memcmp(&vec[i], &in[i], sizeof(in[i])) &&
		    !(i == 0 && ret == -EMSGSIZE)) {
			violation(C_SCENARIO, "batch: %s: returned %ld, yet entry %u changed",
				  what, ret, i);
			return -EPROTO;
		}
	if (ret == -EMSGSIZE && vec[0].len != sizeof(uint32_t))
		violation(C_SCENARIO, "batch: %s: EMSGSIZE reporting len %llu, message of 4",
			  what, (unsigned long long)vec[0].len);
	return ret;
}

/*
 * Signals this process took, and SIGSTOPs sent to any worker: either may
 * end a WAITALL batch early with its count, as the ABI allows.
 */
static uint64_t disturbances(void)
{
	return (uint64_t)sig_count + atomic_load(&S->stat[ST_STOPS]);
}

static bool sc_judge(long got, long want, const char *what, uint32_t cap)
{
	if (got == want)
		return true;
	violation(C_SCENARIO, "batch: cap %u: %s: %s%ld, expected %ld", cap, what,
		  got < 0 ? "-" : "", got < 0 ? -got : got, want);
	return false;
}

void scenario_batch(void)
{
	static const uint32_t caps[] = { 1, 3, 8, 32 };
	uint32_t cap = caps[below(ARRAY_SIZE(caps))], seq[4 * SC_MAX];
	uint32_t sent = 0, next = 0, queued, n, k, fill;
	int64_t t0, t1;
	bool waitall;
	uint64_t sigs;
	int fd;
	long r;

	fd = anon_mbox(cap, 64);
	if (fd < 0)
		return;
	stat_add(ST_SCENARIOS, 1);

	/* Fill: as many as fit, of more than fit. */
	n = range(1, cap + 8 < SC_MAX ? cap + 8 : SC_MAX);
	r = send_seqs(fd, seq, sent, n, KMBOX_MSG_NONBLOCK, 0);
	if (r == -ENOBUFS)
		goto out;	/* the user's byte quota: others' doing */
	if (r > 0 && r < (long)n && r < (long)cap) {
		/* Short of room it had: only the quota may have stopped it. */
		seq[sent + r] = sent + r;
		if (sc_send(fd, &seq[sent + r], sizeof(uint32_t), KMBOX_MSG_NONBLOCK, 0) != -ENOBUFS)
			violation(C_SCENARIO, "batch: cap %u: SEND_BATCH of %u into an empty mailbox sent %ld",
				  cap, n, r);
		goto out;
	}
	if (!sc_judge(r, n < cap ? n : cap, "SEND_BATCH nonblocking", cap))
		goto out;
	sent += r;
	queued = r;

	/* Full, or not: WAITALL waits its time for room, then counts. */
	fill = cap - queued;
	k = range(1, 4);
	sigs = disturbances();
	t0 = now_ns();
	r = send_seqs(fd, seq, sent, k, KMBOX_MSG_TIMEOUT | KMBOX_BATCH_WAITALL, SC_TIMEOUT);
	t1 = now_ns();
	if (r == -EINTR || r == -ENOBUFS || (sigs != disturbances() && r >= 0 && r < (long)k))
		goto out;
	if (!sc_judge(r, fill >= k ? (long)k : fill ? (long)fill : -ETIMEDOUT,
		      "SEND_BATCH WAITALL timed", cap))
		goto out;
	if (fill < k && t1 - t0 < SC_TIMEOUT && sigs == disturbances())
		violation(C_SCENARIO, "batch: cap %u: SEND_BATCH WAITALL of %u into room for %u returned after %" PRId64 " ns, timeout %" PRId64,
			  cap, k, fill, t1 - t0, (int64_t)SC_TIMEOUT);
	if (r > 0) {
		sent += r;
		queued += r;
	}

	/* Receive, stopping at a buffer too small or not mapped. */
	for (k = 0; queued && k < 64; k++) {
		uint32_t m = range(1, SC_MAX), small = SC_MAX, bad = SC_MAX, stop;

		if (pct(30))
			small = below(m);
		else if (pct(30))
			bad = below(m);
		stop = m < queued ? m : queued;
		if (small < stop)
			stop = small;
		if (bad < stop)
			stop = bad;
		r = recv_seqs(fd, m, small, bad, KMBOX_MSG_NONBLOCK, 0, &next,
			      "RECV_BATCH nonblocking");
		if (r == -EPROTO)
			goto out;
		if (!sc_judge(r, stop ? (long)stop : small == 0 ? -EMSGSIZE : -EFAULT,
			      "RECV_BATCH nonblocking", cap))
			goto out;
		if (r > 0)
			queued -= r;
	}

	/* Empty: without WAITALL a timed batch gets what there is at once. */
	r = send_seqs(fd, seq, sent, 1, KMBOX_MSG_NONBLOCK, 0);
	if (r == -ENOBUFS)
		goto out;
	if (!sc_judge(r, 1, "SEND_BATCH of 1", cap))
		goto out;
	sent++;
	sigs = disturbances();
	t0 = now_ns();
	waitall = pct(50);
	r = recv_seqs(fd, 4, SC_MAX, SC_MAX,
		      KMBOX_MSG_TIMEOUT | (waitall ? KMBOX_BATCH_WAITALL : 0),
		      SC_TIMEOUT, &next, "RECV_BATCH timed");
	t1 = now_ns();
	if (r == -EPROTO || r == -EINTR ||
	    !sc_judge(r, 1, "RECV_BATCH timed of 4, 1 queued", cap))
		goto out;
	/* WAITALL waits its time for the other three. */
	if (waitall && t1 - t0 < SC_TIMEOUT && sigs == disturbances())
		violation(C_SCENARIO, "batch: cap %u: RECV_BATCH WAITALL of 4, 1 queued, returned after %" PRId64 " ns, timeout %" PRId64,
			  cap, t1 - t0, (int64_t)SC_TIMEOUT);

	/* Closed: what is queued drains, then EPIPE; sends get EPIPE. */
	n = range(1, cap < 4 ? cap : 4);
	r = send_seqs(fd, seq, sent, n, KMBOX_MSG_NONBLOCK, 0);
	if (r == -ENOBUFS || !sc_judge(r, n, "SEND_BATCH before CLOSE", cap))
		goto out;
	if (ioctl(fd, KMBOX_IOC_CLOSE, 0)) {
		violation(C_SCENARIO, "batch: CLOSE: %s", ename(errno));
		goto out;
	}
	sc_judge(send_seqs(fd, seq, sent, 1, KMBOX_MSG_NONBLOCK, 0), -EPIPE,
		 "SEND_BATCH after CLOSE", cap);
	r = recv_seqs(fd, SC_MAX, SC_MAX, SC_MAX, 0, 0, &next, "RECV_BATCH after CLOSE");
	if (r == -EPROTO || r == -EINTR || !sc_judge(r, n, "RECV_BATCH after CLOSE", cap))
		goto out;
	r = recv_seqs(fd, 2, SC_MAX, SC_MAX, 0, 0, &next, "RECV_BATCH drained");
	if (r != -EINTR)
		sc_judge(r, -EPIPE, "RECV_BATCH once drained", cap);
out:
	close(fd);
}
