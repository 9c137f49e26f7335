// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: the storm scenario: senders and receivers on one private mailbox,
 * every message accounted for.
 */
#include "fuzz.h"

/*
 * E: a storm on one private mailbox: a few senders (sync or not, short
 * timeouts, large messages) and a few receivers (short timeouts, buffers
 * too small or unwritable now and then, peeks), signalled at random.  No
 * one is killed and nothing is destroyed, so after a final drain every
 * message whose send succeeded must have been received exactly once, and
 * nothing else: no message lost, none duplicated, none from a failed send.
 */
#define STORM_OPS	24
#define STORM_MAX	(4 * STORM_OPS)

static void storm_sender(int fd, int out, uint64_t cap)
{
	uint64_t rec[STORM_OPS];
	int k, n = 0;

	for (k = 0; k < STORM_OPS; k++) {
		size_t len = pct(70) ? range(32, 512) : range(4096, 60000);
		uint32_t flags = pct(50) || cap == 0 ? KMBOX_SEND_SYNC : 0;
		int64_t t = 0;
		uint64_t id;
		int r;

		if (pct(70)) {
			flags |= KMBOX_MSG_TIMEOUT;
			t = pct(30) ? 0 : (int64_t)below(2 * MS);
		} else if (pct(60)) {
			flags |= KMBOX_MSG_NONBLOCK;
		} else {
			flags |= KMBOX_MSG_TIMEOUT;
			t = 100 * MS;
		}
		id = fill(sbuf, len, 0);
		if (!id)
			continue;
		atomic_fetch_or(&track[id], T_ATTEMPT);
		r = sc_send(fd, sbuf, len, flags, t);
		track_send(id, -r);
		if (!r)
			rec[n++] = id;
	}
	if (write(out, rec, n * sizeof(rec[0])) != (ssize_t)(n * sizeof(rec[0])))
		_exit(EXIT_INTERNAL);
	_exit(0);
}

static long storm_recv_one(int fd, uint32_t flags, int64_t t, uint64_t *idp)
{
	struct hdr hd;
	size_t len;
	void *buf = rbuf;
	int64_t id;
	long r;

	*idp = 0;
	len = pct(80) ? 65536 : below(600);
	if (pct(10))
		buf = pct(50) ? (void *)g_ro : (void *)(strad + PAGE - below(PAGE));
	r = sc_recv(fd, buf, len, flags, t, NULL);
	if (r <= 0 || (flags & KMBOX_RECV_PEEK))
		return r;
	if (buf == (void *)g_ro) {
		violation(C_VALID, "storm: a receive into a read-only buffer returned %ld", r);
		return r;
	}
	/* a half-mapped buffer is fine when the message fitted */
	id = verify(buf, r, 0, "storm", &hd);
	if (id > 0) {
		track_recv(id, "storm");
		*idp = id;
	}
	return r;
}

static void storm_receiver(int fd, int out)
{
	uint64_t rec[STORM_MAX], id;
	int k, n = 0;

	for (k = 0; k < STORM_OPS * 2; k++) {
		uint32_t flags = pct(10) ? KMBOX_RECV_PEEK : 0;
		int64_t t = 0;

		if (pct(70)) {
			flags |= KMBOX_MSG_TIMEOUT;
			t = pct(30) ? 0 : (int64_t)below(2 * MS);
		} else if (pct(50)) {
			flags |= KMBOX_MSG_NONBLOCK;
		} else {
			flags |= KMBOX_MSG_TIMEOUT;
			t = 100 * MS;
		}
		storm_recv_one(fd, flags, t, &id);
		if (id && n < STORM_MAX)
			rec[n++] = id;
	}
	if (write(out, rec, n * sizeof(rec[0])) != (ssize_t)(n * sizeof(rec[0])))
		_exit(EXIT_INTERNAL);
	_exit(0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void scenario_storm(void)
{
	static const uint64_t caps[] = { 0, 1, 3, KMBOX_CAPACITY_UNBOUNDED };
	uint64_t cap = caps[below(4)], sent[4 * STORM_OPS], got[8 * STORM_MAX], id;
	int ns = range(1, 3), nr = range(1, 3), fd, k, st, sp[2], rp[2];
	size_t nsent = 0, ngot = 0, i, j;
	pid_t pids[6];
	int np = 0;
	ssize_t n;
	bool bad = false;

	fd = anon_mbox(cap, 65536);
	if (fd < 0)
		return;
	if (pipe2(sp, O_CLOEXEC)) {
		close(fd);
		return;
	}
	if (pipe2(rp, O_CLOEXEC)) {
		close(sp[0]), close(sp[1]), close(fd);
		return;
	}
	for (k = 0; k < ns + nr; k++) {
		uint64_t seed = rnd();
		pid_t pid = sc_fork();

		if (pid < 0)
			break;
		if (pid == 0) {
			rs = seed;
			set_handlers(pct(50));
			if (k < ns)
				storm_sender(fd, sp[1], cap);
			storm_receiver(fd, rp[1]);
		}
		pids[np++] = pid;
	}
	close(sp[1]);
	close(rp[1]);
	stat_add(ST_SCENARIOS, 1);
	/* signals while they work */
	for (k = 0; k < 20 && pct(70); k++) {
		sleep_ns(below(2 * MS));
		kill(pids[below(np)], SIGUSR1);
	}
	for (k = 0; k < np; k++) {
		st = sc_wait(pids[k], 30000);
		if (st != 0) {
			if (st != ENOBUFS && st != ENOMEM)
				violation(C_SCENARIO, "storm: participant ended with %d", st);
			if (st < 0)
				sc_kill(pids[k]);
			bad = true;
		}
	}
	/* All have written what they had; other children may hold the pipes. */
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	fcntl(rp[0], F_SETFL, O_NONBLOCK);
	while ((n = read(sp[0], &id, sizeof(id))) == sizeof(id))
		if (nsent < ARRAY_SIZE(sent))
			sent[nsent++] = id;
	while ((n = read(rp[0], &id, sizeof(id))) == sizeof(id))
		if (ngot < ARRAY_SIZE(got))
			got[ngot++] = id;
	/* what is left in the queue */
	while (!bad && ngot < ARRAY_SIZE(got)) {
		long r = storm_recv_one(fd, KMBOX_MSG_NONBLOCK, 0, &id);

		if (r == -EFAULT || r == -EMSGSIZE)
			continue;
		if (r < 0)
			break;
		if (id)
			got[ngot++] = id;
	}
	if (!bad) {
		qsort(sent, nsent, sizeof(sent[0]), cmp_u64);
		qsort(got, ngot, sizeof(got[0]), cmp_u64);
		for (i = j = 0; i < nsent || j < ngot;) {
			if (j < ngot && j && got[j] == got[j - 1]) {
				violation(C_ONCE, "storm (cap %llu): message %" PRIu64 " received twice",
					  (unsigned long long)cap, got[j]);
				j++;
			} else if (i < nsent && (j >= ngot || sent[i] < got[j])) {
				violation(C_SCENARIO, "storm (cap %llu, %d senders, %d receivers): message %" PRIu64
					  " sent (send returned 0) but never received",
					  (unsigned long long)cap, ns, nr, sent[i]);
				i++;
			} else if (j < ngot && (i >= nsent || got[j] < sent[i])) {
				violation(C_AMBIG, "storm (cap %llu): message %" PRIu64
					  " received but its send failed", (unsigned long long)cap, got[j]);
				j++;
			} else {
				i++, j++;
			}
		}
		stat_add(ST_DELIVERIES, nsent);
	}
	close(sp[0]);
	close(rp[0]);
	close(fd);
}
