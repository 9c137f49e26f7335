// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile peer (issue 11).  The posix backend's segment is input from
 * other processes, exactly like a network packet: a process that can
 * write a mailbox's segment may lose or garble that mailbox's messages,
 * and make the blocking calls on it wait; it must never crash or hang
 * another process, make a non-blocking or timed call miss its deadline,
 * or read another process's addresses from the segment.
 *
 * fields:    every word of the header's mutable part, of a waiter slot,
 *            and of the used chunks' entries, rewritten with hostile values
 *            (before a victim's calls, and while a peer holds the lock);
 * race:      a peer rewrites the counts while a victim recovers from a
 *            lock holder's death (finding 1);
 * planted:   a segment planted by another user, read by root's ipc_list,
 *            ipc_stat and kmbox ls (finding 1);
 * (hostile_lock_test.c: a stopped lock holder (finding 2), and addresses
 * in the segment (finding 3).)
 *
 * A test gives up after HV_MAX_FAIL failures (each may cost a bound of
 * seconds); HOSTILE_ALL=1 makes it go through every case.  The posix
 * backend only: the kernel's mailboxes are not in shared memory.
 */
#include "hostile.h"

#define HV_CAP		8	/* messages */
#define HV_MAX_MSG	256	/* bytes: up to 3 chunks */
#define HV_BUF		4096	/* receive buffers, larger than any message */
#define HV_RACE_ROUNDS	12

/* ---- a mailbox in a known state --------------------------------------------- */

FIXTURE(hostile) {
	struct ipc_mbox *mb;
	char name[64];
	struct hv_seg seg;
	struct hv_prog *pg;
	uint32_t hwm;		/* chunks used, in the pristine state */
	uint32_t slot;		/* the waiter slot a dead sender left behind */
	pid_t pid[2];		/* children the teardown kills */
	uint32_t vals[16];	/* hostile values for a 32-bit word */
	size_t nvals;
};

/* Priorities and tags vary with the fill, so that the queue is not in sending order. */
static int hv_send_n(struct ipc_mbox *mb, size_t len, char fill)
{
	struct ipc_sendopt o = { .prio = (uint32_t)fill % 3, .tag = (uint64_t)fill };
	char buf[HV_MAX_MSG];

	memset(buf, fill, len);
	return ipc_send_opt(mb, buf, len, IPC_WAIT_NONE, 0, &o);
}

/*
 * Six messages of one to three chunks, stored out of sending order (three
 * received to free chunks that later ones reuse), the last one sent with
 * IPC_SYNC by a process killed while it waited: its waiter slot is left
 * for the next caller to reap.  Room for two more.
 */
FIXTURE_SETUP(hostile)
{
	static const size_t sizes[] = { 1, 150, 2, 250, 3, 100, 200, 5 };
	struct ipc_attr a = lt_attr(HV_CAP, HV_MAX_MSG, 0600);
	size_t i, ws;
	char buf[HV_BUF];
	pid_t pid;

	/* Issue 13's fields in use too: priorities order the queue, tags. */
	a.flags = IPC_PRIO | IPC_SELECT;
	self->seg.fd = -1;
	hv_private_shm();
	LT_USE_BACKEND("posix");
	lt_name(self->name, sizeof(self->name), "hv");
	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, hv_send_n(self->mb, sizes[i], (char)('a' + i)));
	for (i = 0; i < 3; i++)
		ASSERT_LT(0, ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL));
	for (i = 6; i < 8; i++)
		ASSERT_EQ(0, hv_send_n(self->mb, sizes[i], (char)('a' + i)));
	pid = lt_spawn_send(self->mb, "sync", NULL, IPC_SYNC);
	ASSERT_EQ(0, lt_wait_waiters(self->mb, 1, 0));
	tc_kill(pid);

	ASSERT_EQ(0, hv_map(&self->seg, self->name));
	self->hwm = hv_hdr(&self->seg)->hwm;
	ASSERT_LT(5, self->hwm);
	ASSERT_GE(self->seg.nchunks, self->hwm);
	/* The used slot: the first that differs from the last, never used. */
	ws = sizeof(struct pmb_waiter);
	for (i = 0; i + 1 < self->seg.nwait; i++)
		if (memcmp(self->seg.base + self->seg.g.off_wait + i * ws,
			   self->seg.base + self->seg.g.off_wait + (self->seg.nwait - 1) * ws, ws))
			break;
	ASSERT_GT(self->seg.nwait - 1, i);
	self->slot = (uint32_t)i;
	ASSERT_EQ(0, hv_snapshot(&self->seg));
	self->pg = tc_shared(sizeof(*self->pg));
	ASSERT_NE(NULL, self->pg);

	/*
	 * Small and large counts, a lone flag bit, indices just in and out of
	 * range, a live pid (as a lock owner: held by a live process).
	 */
	self->nvals = 0;
	self->vals[self->nvals++] = 0;
	self->vals[self->nvals++] = 1;
	self->vals[self->nvals++] = 2;
	self->vals[self->nvals++] = 0x20;
	self->vals[self->nvals++] = 0x7fffffff;
	self->vals[self->nvals++] = 0x80000000;
	self->vals[self->nvals++] = UINT32_MAX;
	self->vals[self->nvals++] = self->seg.nchunks - 1;
	self->vals[self->nvals++] = self->seg.nchunks;
	self->vals[self->nvals++] = self->seg.nchunks + 1;
	self->vals[self->nvals++] = (uint32_t)getpid();
}

FIXTURE_TEARDOWN(hostile)
{
	size_t i;

	for (i = 0; i < 2; i++)
		tc_kill(self->pid[i]);
	hv_unmap(&self->seg);
	if (self->mb)
		ipc_release(self->mb);
	ipc_unlink(self->name);
	if (self->pg)
		munmap(self->pg, sizeof(*self->pg));
}

/* ---- victims ------------------------------------------------------------------- */

/* A receive that says it got more than any message may hold. */
static bool hv_too_long(ssize_t n, const char *what)
{
	if (n <= HV_MAX_MSG)
		return false;
	fprintf(stderr, "# child: %s returned %zd > max_msg_size %d\n", what, n, HV_MAX_MSG);
	return true;
}

/* A receive with a selection that reports nonsense: a priority out of range. */
static bool hv_bad_opt(ssize_t n, const struct ipc_recvopt *o, const char *what)
{
	if (n < 0 || o->prio <= IPC_PRIO_MAX)
		return false;
	fprintf(stderr, "# child: %s returned priority %u\n", what, o->prio);
	return true;
}

/*
 * Issue 13's calls on a segment it cannot trust: selective receives (each
 * kind, waiting in a W_SEL slot for 1 ms), a send with a priority and a
 * tag, a call that times out, a reply to an id never taken.
 */
static bool hv_victim_select(struct ipc_mbox *mb, struct hv_prog *pg, char *buf,
			     bool *moved)
{
	struct ipc_sendopt so = { .prio = 7, .tag = 'b' };
	struct ipc_callinfo ci;
	struct ipc_recvopt o;
	bool bad = false;
	ssize_t n;

	memset(&o, 0, sizeof(o));
	o.flags = IPC_SEL_TAG_LE;
	o.tag = 'f';
	hv_step(pg, HV_PROMPT_MS, false, "ipc_recv_opt(IPC_SEL_TAG_LE, IPC_WAIT_NONE, IPC_PEEK)");
	n = ipc_recv_opt(mb, buf, HV_BUF, IPC_WAIT_NONE, IPC_PEEK, NULL, &o);
	bad |= hv_too_long(n, pg->what) || hv_bad_opt(n, &o, pg->what);
	o.flags = IPC_SEL_TAG_LE;
	hv_step(pg, HV_PROMPT_MS, false, "ipc_recv_opt(IPC_SEL_TAG_LE, IPC_WAIT_NONE)");
	n = ipc_recv_opt(mb, buf, HV_BUF, IPC_WAIT_NONE, 0, NULL, &o);
	bad |= hv_too_long(n, pg->what) || hv_bad_opt(n, &o, pg->what);
	*moved |= n >= 0;
	o.flags = IPC_SEL_TAG;
	o.tag = 'z';
	hv_step(pg, HV_PROMPT_MS, false, "ipc_recv_opt(IPC_SEL_TAG, IPC_WAIT_NS(1 ms))");
	n = ipc_recv_opt(mb, buf, HV_BUF, IPC_WAIT_NS(TC_MS), 0, NULL, &o);
	bad |= hv_too_long(n, pg->what) || hv_bad_opt(n, &o, pg->what);
	*moved |= n >= 0;
	o.flags = IPC_SEL_FROM | IPC_SEL_CALLS;
	o.from = getppid();
	hv_step(pg, HV_PROMPT_MS, false, "ipc_recv_opt(IPC_SEL_FROM, IPC_WAIT_NONE)");
	n = ipc_recv_opt(mb, buf, HV_BUF, IPC_WAIT_NONE, 0, NULL, &o);
	bad |= hv_too_long(n, pg->what) || hv_bad_opt(n, &o, pg->what);
	*moved |= n >= 0;
	hv_step(pg, HV_PROMPT_MS, false, "ipc_send_opt(IPC_WAIT_NONE, prio 7, tag)");
	*moved |= ipc_send_opt(mb, buf, 5, IPC_WAIT_NONE, 0, &so) == 0;
	hv_step(pg, HV_PROMPT_MS, false, "ipc_call(IPC_WAIT_NS(1 ms))");
	n = ipc_call(mb, buf, 4, buf, HV_BUF, IPC_WAIT_NS(TC_MS), 0, &ci);
	if (n > HV_MAX_MSG || ci.len > HV_MAX_MSG) {
		fprintf(stderr, "# child: ipc_call returned %zd, len %llu\n", n,
			(unsigned long long)ci.len);
		bad = true;
	}
	hv_step(pg, HV_PROMPT_MS, false, "ipc_reply(an id never taken)");
	if (ipc_reply(mb, (1ULL << 32) | 1, buf, 1) != -ENOENT) {
		fprintf(stderr, "# child: ipc_reply of an id never taken did not fail ENOENT\n");
		bad = true;
	}
	return bad;
}

/*
 * What a victim does on a segment it cannot trust: every kind of call,
 * none that may block (non-blocking, or 1 ms timeouts), on the handle it
 * had before the segment turned hostile, and by name.  Then close and
 * destroy, which have no timeout: they may wait for a lock that looks
 * held, so a victim that could not do anything else (the lock looks held)
 * may block there.  Exits 0, or 2 if a call returned nonsense.
 */
static void hv_victim(struct ipc_mbox *mb, const char *name, struct hv_prog *pg)
{
	char buf[HV_BUF];
	struct ipc_info info;
	struct ipc_stat st;
	struct ipc_mbox *mb2;
	bool moved = false, bad = false;
	ssize_t n;

	memset(buf, 'v', sizeof(buf));
	hv_step(pg, HV_PROMPT_MS, false, "ipc_info");
	ipc_info(mb, &info);
	hv_step(pg, HV_PROMPT_MS, false, "ipc_recv(IPC_WAIT_NONE, IPC_PEEK)");
	n = ipc_recv(mb, buf, sizeof(buf), IPC_WAIT_NONE, IPC_PEEK, NULL);
	bad |= hv_too_long(n, pg->what);
	moved |= n >= 0;
	hv_step(pg, HV_PROMPT_MS, false, "ipc_recv(IPC_WAIT_NONE)");
	n = ipc_recv(mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL);
	bad |= hv_too_long(n, pg->what);
	moved |= n >= 0;
	hv_step(pg, HV_PROMPT_MS, false, "ipc_send(IPC_WAIT_NONE)");
	moved |= ipc_send(mb, buf, 1, IPC_WAIT_NONE, 0) == 0;
	hv_step(pg, HV_PROMPT_MS, false, "ipc_send(IPC_WAIT_NS(1 ms)), 200 bytes");
	moved |= ipc_send(mb, buf, 200, IPC_WAIT_NS(TC_MS), 0) == 0;
	hv_step(pg, HV_PROMPT_MS, false, "ipc_recv(IPC_WAIT_NS(1 ms))");
	n = ipc_recv(mb, buf, sizeof(buf), IPC_WAIT_NS(TC_MS), 0, NULL);
	bad |= hv_too_long(n, pg->what);
	moved |= n >= 0;
	hv_step(pg, HV_PROMPT_MS, false, "ipc_send(IPC_WAIT_NONE, IPC_SYNC)");
	ipc_send(mb, buf, 3, IPC_WAIT_NONE, IPC_SYNC);
	bad |= hv_victim_select(mb, pg, buf, &moved);
	hv_step(pg, HV_PROMPT_MS, false, "ipc_open, ipc_recv(IPC_WAIT_NONE) on it");
	if (!ipc_open(name, IPC_RECV | IPC_SEND, &mb2)) {
		n = ipc_recv(mb2, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL);
		bad |= hv_too_long(n, pg->what);
		moved |= n >= 0;
		ipc_release(mb2);
	}
	hv_step(pg, HV_PROMPT_MS, false, "ipc_stat");
	ipc_stat(name, &st);
	hv_step(pg, HV_PROMPT_MS, false, "ipc_list");
	hv_list();

	hv_step(pg, moved ? HV_PROMPT_MS : 300, !moved, "ipc_close");
	ipc_close(mb);
	hv_step(pg, HV_PROMPT_MS, false, "ipc_recv(IPC_WAIT_NONE) after ipc_close");
	n = ipc_recv(mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL);
	bad |= hv_too_long(n, pg->what);
	hv_step(pg, moved ? HV_PROMPT_MS : 300, !moved, "ipc_destroy");
	ipc_destroy(mb);
	hv_step(pg, HV_PROMPT_MS, false, "ipc_stat after ipc_destroy");
	ipc_stat(name, &st);
	hv_step(pg, HV_PROMPT_MS, false, "ipc_list after ipc_destroy");
	hv_list();
	_exit(bad ? 2 : 0);
}

/* Run hv_victim on the segment as it is now: 0, or -1 (printed). */
static int hv_run_victim(FIXTURE_DATA(hostile) *self, const char *label)
{
	pid_t pid = hv_fork(self->pg);

	if (pid == 0)
		hv_victim(self->mb, self->name, self->pg);
	return hv_watch(pid, self->pg, label);
}

/*
 * A child that makes a send and, at the hook point inside the lock,
 * raises sig: SIGKILL dies holding the lock (a legal crash), SIGSTOP
 * holds it until SIGCONT, then finishes the send and exits 0.
 */
static pid_t hv_hook_child(struct ipc_mbox *mb, int point, int sig)
{
	pid_t pid = tc_fork();

	if (pid == 0) {
		libipc_test_crash_signal = sig;
		libipc_test_crash_point = point;
		libipc_test_crash_after = 1;
		ipc_send(mb, "held", 4, IPC_WAIT_NONE, 0);
		_exit(sig == SIGSTOP ? 0 : 1);
	}
	return pid;
}

/* Wait until the child stops: 0, or -1 if it ended or took over 10 s. */
static int hv_wait_stopped(pid_t pid)
{
	int64_t end = tc_now_ns() + TC_WAIT_MS * TC_MS;
	int status;
	pid_t r;

	while (tc_now_ns() < end) {
		r = waitpid(pid, &status, WUNTRACED | WNOHANG);
		if (r == pid)
			return WIFSTOPPED(status) ? 0 : -1;
		if (r < 0)
			return -1;
		usleep(500);
	}
	return -1;
}

/* ---- fields ------------------------------------------------------------------------ */

/* A part of the segment to rewrite, word by word (width 4) or byte by byte. */
struct hv_area {
	const char *what;
	size_t off, len;
	unsigned int width;
	const uint32_t *vals;
	size_t nvals;
};

/*
 * Each value into each word of the area, in turn, on the pristine
 * segment, then a victim: the failures, added to failures.
 */
static unsigned int hv_fuzz(FIXTURE_DATA(hostile) *self, const struct hv_area *a,
			    unsigned int failures)
{
	unsigned int cases = 0, before = failures;
	int64_t t0 = tc_now_ns();
	char label[160];
	size_t i, v;

	for (i = 0; i + a->width <= a->len && hv_keep_going(failures); i += a->width)
		for (v = 0; v < a->nvals && hv_keep_going(failures); v++) {
			cases++;
			hv_restore(&self->seg);
			hv_poke(&self->seg, a->off + i, a->width, a->vals[v]);
			snprintf(label, sizeof(label), "%s+%zu (segment offset %zu) = %#x",
				 a->what, i, a->off + i, a->vals[v]);
			if (hv_run_victim(self, label))
				failures++;
		}
	hv_restore(&self->seg);
	fprintf(stderr, "# %s: %u cases, %u failed, %lld ms\n", a->what, cases,
		failures - before, (long long)hv_ms_since(t0));
	return failures;
}

/*
 * Every word of the header's mutable part (the lock, the counts, the
 * queue's ends, the journal...), each hostile value in turn: no victim
 * call crashes, and none that may not block hangs, even when the value
 * makes the lock look held.
 */
TEST_F_TIMEOUT(hostile, header_fields, 600)
{
	struct hv_area a = {
		.what = "header's mutable part", .off = HV_HDR_MUTABLE,
		.len = sizeof(struct pmb_hdr) - HV_HDR_MUTABLE, .width = 4,
		.vals = self->vals, .nvals = self->nvals,
	};

	ASSERT_EQ(0, hv_run_victim(self, "pristine"));
	EXPECT_EQ(0, hv_fuzz(self, &a, 0));
}

/*
 * Every word of a waiter slot: the one the killed IPC_SYNC sender left
 * (reaped by the victim's first call, its message withdrawn), and a free
 * one.
 */
TEST_F_TIMEOUT(hostile, waiter_fields, 600)
{
	size_t ws = sizeof(struct pmb_waiter);
	struct hv_area used = {
		.what = "dead sender's waiter slot",
		.off = self->seg.g.off_wait + self->slot * ws, .len = ws, .width = 4,
		.vals = self->vals, .nvals = self->nvals,
	};
	struct hv_area spare = used;
	unsigned int failures;

	spare.what = "free waiter slot";
	spare.off += ws;
	failures = hv_fuzz(self, &used, 0);
	EXPECT_EQ(0, hv_fuzz(self, &spare, failures));
}

/*
 * The used chunks' entries: each chunk's state, its link, and the message
 * header at its start (a body chunk's is data, but a hostile cstate can
 * make it a head).
 */
TEST_F_TIMEOUT(hostile, chunk_fields, 600)
{
	static const uint32_t bytes[] = { 0, 1, 2, 3, 4, 0x7f, 0xff };
	uint32_t few[] = { 0, 1, 0x7fffffff, UINT32_MAX, self->seg.nchunks };
	struct hv_area cstate = {
		.what = "cstate", .off = self->seg.g.off_cstate, .len = self->hwm,
		.width = 1, .vals = bytes, .nvals = sizeof(bytes) / sizeof(bytes[0]),
	};
	struct hv_area next = {
		.what = "next", .off = self->seg.g.off_next,
		.len = self->hwm * sizeof(uint32_t), .width = 4,
		.vals = self->vals, .nvals = self->nvals,
	};
	struct hv_area msg = {
		.width = 4, .len = sizeof(struct pmb_msg),
		.vals = few, .nvals = sizeof(few) / sizeof(few[0]),
	};
	unsigned int failures;
	char what[64];
	uint32_t c;

	failures = hv_fuzz(self, &cstate, 0);
	failures = hv_fuzz(self, &next, failures);
	for (c = 0; c < self->hwm; c++) {
		snprintf(what, sizeof(what), "chunk %u's message header", c);
		msg.what = what;
		msg.off = self->seg.g.off_chunks + (size_t)c * PMB_CHUNK;
		failures = hv_fuzz(self, &msg, failures);
	}
	EXPECT_EQ(0, failures);
}

/*
 * The same, while a peer holds the lock in the middle of a send: the
 * holder, once resumed, must finish without crashing.  With glibc's
 * robust mutexes, the lock's robust-list links in the header are where
 * unlocking stores: a peer rewriting them steers the holder's stores
 * (finding 3).
 */
TEST_F_TIMEOUT(hostile, header_fields_while_locked, 600)
{
	const uint32_t vals[] = { 0, 1, 0x7fffffff, UINT32_MAX, self->seg.nchunks + 1 };
	size_t off, v, end = sizeof(struct pmb_hdr);
	unsigned int failures = 0;
	char label[160];
	pid_t pid;

	for (off = HV_HDR_MUTABLE; off + 4 <= end && hv_keep_going(failures); off += 4)
		for (v = 0; v < sizeof(vals) / sizeof(vals[0]) && hv_keep_going(failures); v++) {
			hv_restore(&self->seg);
			hv_step(self->pg, TC_WAIT_MS, false, "ipc_send, up to the hook");
			pid = hv_hook_child(self->mb, LIBIPC_HOOK_SEND_COMMIT, SIGSTOP);
			self->pid[0] = pid;
			ASSERT_EQ(0, hv_wait_stopped(pid));
			hv_poke(&self->seg, off, 4, vals[v]);
			hv_step(self->pg, HV_PROMPT_MS, false,
				"ipc_send, resumed holding the lock");
			kill(pid, SIGCONT);
			snprintf(label, sizeof(label),
				 "header's mutable part+%zu (segment offset %zu) = %#x under the holder",
				 off - HV_HDR_MUTABLE, off, vals[v]);
			if (hv_watch(pid, self->pg, label))
				failures++;
			self->pid[0] = 0;
		}
	hv_restore(&self->seg);
	EXPECT_EQ(0, failures);
}

/* ---- the recovery race (finding 1) ------------------------------------------------- */

#define HV_BIG_MSG	8192	/* 65 chunks */
#define HV_BIG_N	900	/* messages: hwm about 58000 chunks */

/*
 * A mailbox whose storage high-water mark is high (HV_BIG_N largest
 * messages were queued at once), holding four messages: recovery goes over
 * all those chunks several times, long enough for an attacker running
 * meanwhile to rewrite hwm in the middle of it, however both are
 * scheduled.  A quota of 8 MiB keeps the segment small.
 */
static int hv_big_mailbox(const char *name, struct ipc_mbox **mb)
{
	struct ipc_attr a = lt_attr(IPC_UNBOUNDED, HV_BIG_MSG, 0600);
	static char buf[HV_BIG_MSG];
	ssize_t r;
	int i;

	setenv("LIBIPC_POSIX_QUOTA", "8M", 1);
	r = ipc_create(name, &a, IPC_RECV | IPC_SEND, mb);
	unsetenv("LIBIPC_POSIX_QUOTA");
	for (i = 0; !r && i < HV_BIG_N; i++)
		r = ipc_send(*mb, buf, sizeof(buf), IPC_WAIT_NONE, 0);
	for (i = 0; !r && i < HV_BIG_N - 4; i++) {
		r = ipc_recv(*mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL);
		r = r < 0 ? r : 0;
	}
	if (r)
		fprintf(stderr, "# making a big mailbox: %s\n", strerror((int)-r));
	return (int)r;
}

/*
 * The attacker: rewrite the counts recovery works from, again and again
 * until killed (see hv_become_rt).  hwm bounds recovery's loops over the
 * chunks; a recovery that reads it again after checking it runs off the
 * segment.  *ready: 2 if it races from the victim's CPU (cpu), 1 if it
 * just spins.
 */
static void __attribute__((noreturn)) hv_attack_counts(struct hv_seg *s, int *ready, bool rt)
{
	struct pmb_hdr *h = hv_hdr(s);

	__atomic_store_n(ready, rt ? 2 : 1, __ATOMIC_RELEASE);
	for (;;) {
		__atomic_store_n(&h->hwm, UINT32_MAX, __ATOMIC_RELAXED);
		__atomic_store_n(&h->used, UINT32_MAX, __ATOMIC_RELAXED);
		__atomic_store_n(&h->nwaiting, UINT32_MAX, __ATOMIC_RELAXED);
		__atomic_store_n(&h->msgs, UINT64_MAX, __ATOMIC_RELAXED);
		hv_attack_pause(rt);
	}
}

/* Wait for *flag (set by a child): 0, or -1 after 10 s. */
static int hv_wait_flag(int *flag)
{
	int64_t end = tc_now_ns() + TC_WAIT_MS * TC_MS;

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		if (tc_now_ns() > end)
			return -1;
	return 0;
}

/* A victim of the race: first the call that recovers (which: 0-3), then the rest. */
static void hv_race_victim(struct ipc_mbox *mb, const char *name,
			   struct hv_prog *pg, int which, int cpu)
{
	static char buf[HV_BIG_MSG];
	struct ipc_info info;
	struct ipc_stat st;
	int i;

	hv_pin(cpu);
	for (i = 0; i < 4; i++)
		switch ((which + i) % 4) {
		case 0:
			hv_step(pg, HV_PROMPT_MS, false, "ipc_recv(IPC_WAIT_NONE)");
			ipc_recv(mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL);
			hv_step(pg, HV_PROMPT_MS, false, "ipc_send(IPC_WAIT_NONE)");
			ipc_send(mb, buf, 10, IPC_WAIT_NONE, 0);
			break;
		case 1:
			hv_step(pg, HV_PROMPT_MS, false, "ipc_stat");
			ipc_stat(name, &st);
			break;
		case 2:
			hv_step(pg, HV_PROMPT_MS, false, "ipc_list");
			hv_list();
			break;
		case 3:
			hv_step(pg, HV_PROMPT_MS, false, "ipc_info");
			ipc_info(mb, &info);
			break;
		}
	_exit(0);
}

FIXTURE(race) {
	struct ipc_mbox *mb;
	char name[64];
	struct hv_seg seg;
	struct hv_prog *pg;
	int *ready;
	pid_t attacker;
};

FIXTURE_SETUP(race)
{
	self->seg.fd = -1;
	hv_private_shm();
	LT_USE_BACKEND("posix");
	lt_name(self->name, sizeof(self->name), "race");
	ASSERT_EQ(0, hv_big_mailbox(self->name, &self->mb));
	ASSERT_EQ(0, hv_map(&self->seg, self->name));
	ASSERT_EQ(0, hv_snapshot(&self->seg));
	self->pg = tc_shared(sizeof(*self->pg));
	ASSERT_NE(NULL, self->pg);
	self->ready = tc_shared(sizeof(*self->ready));
	ASSERT_NE(NULL, self->ready);
}

FIXTURE_TEARDOWN(race)
{
	tc_kill(self->attacker);
	hv_unmap(&self->seg);
	if (self->mb)
		ipc_release(self->mb);
	ipc_unlink(self->name);
}

/*
 * A process dies holding the lock (a legal crash, which its peers must
 * recover from), and while the next caller recovers, a peer with send
 * access rewrites hwm and the other counts, again and again.  The victim
 * (whichever call recovers: receive, ipc_stat, ipc_list, ipc_info) must
 * not crash or hang, and once the attacker stops, every call works.
 */
TEST_F_TIMEOUT(race, recovery, 300)
{
	unsigned int failures = 0;
	int round, cpu = hv_cpu();
	char label[96];
	pid_t pid;

	for (round = 0; round < HV_RACE_ROUNDS && hv_keep_going(failures); round++) {
		hv_restore(&self->seg);
		*self->ready = 0;
		pid = hv_hook_child(self->mb, LIBIPC_HOOK_SEND_COMMIT, SIGKILL);
		ASSERT_EQ(128 + SIGKILL, tc_wait(pid));
		self->attacker = tc_fork();
		if (self->attacker == 0)
			hv_attack_counts(&self->seg, self->ready, hv_become_rt(cpu));
		ASSERT_EQ(0, hv_wait_flag(self->ready));
		if (round == 0 && *self->ready != 2)
			fprintf(stderr, "# no real-time attacker: the race is left to chance\n");
		pid = hv_fork(self->pg);
		if (pid == 0)
			hv_race_victim(self->mb, self->name, self->pg, round % 4,
				       *self->ready == 2 ? cpu : -1);
		snprintf(label, sizeof(label), "round %d, under attack", round);
		if (hv_watch(pid, self->pg, label))
			failures++;
		tc_kill(self->attacker);
		self->attacker = 0;

		pid = hv_fork(self->pg);
		if (pid == 0)
			hv_race_victim(self->mb, self->name, self->pg, (round + 1) % 4, -1);
		snprintf(label, sizeof(label), "round %d, after the attack", round);
		if (hv_watch(pid, self->pg, label))
			failures++;
	}
	hv_restore(&self->seg);
	EXPECT_EQ(0, failures);
}

/* ---- planted segments (finding 1) --------------------------------------------------- */

/*
 * Segments of a mailbox made by nobody (uid 65534), read by root: ipc_list
 * and ipc_stat open every segment in /dev/shm, and kmbox ls (which needs
 * no access to any mailbox) calls them.  Whatever nobody left there,
 * root's calls return promptly and do not crash.
 */
FIXTURE(planted) {
	char name[64];
	char path[sizeof(PMB_SHM_DIR) + NAME_MAX + 2];
	struct hv_prog *pg;
	int *ready;
	pid_t pid;
};

FIXTURE_SETUP(planted)
{
	if (geteuid() != 0)
		TC_SKIP("planting a segment as another user needs root");
	hv_private_shm();
	LT_USE_BACKEND("posix");
	lt_name(self->name, sizeof(self->name), "planted");
	hv_path(self->path, sizeof(self->path), self->name);
	self->pg = tc_shared(sizeof(*self->pg));
	ASSERT_NE(NULL, self->pg);
	self->ready = tc_shared(sizeof(*self->ready));
	ASSERT_NE(NULL, self->ready);
}

FIXTURE_TEARDOWN(planted)
{
	tc_kill(self->pid);
	unlink(self->path);
}

enum { PLANT_GARBLED, PLANT_DEAD_RACE, PLANT_STOPPED };

/*
 * As nobody: make the mailbox, with messages, then leave it garbled (val
 * in every word of the header's mutable part and of the first waiter
 * slots), or with a dead lock holder and rewrite its counts until killed
 * (racing from cpu: hv_become_rt, while still root), or with its lock held
 * by this process, stopped.  *ready is set once the segment is as it
 * should be.
 */
static void __attribute__((noreturn)) hv_plant(const char *name, int how,
					       uint32_t val, int *ready, int cpu)
{
	struct ipc_attr a = lt_attr(HV_CAP, HV_MAX_MSG, 0600);
	bool rt = how == PLANT_DEAD_RACE && hv_become_rt(cpu);
	struct ipc_mbox *mb;
	struct hv_seg s;
	pid_t pid;
	int i;

	if (tc_become(TC_NOBODY, TC_NOBODY))
		_exit(90);
	if (how == PLANT_DEAD_RACE) {
		if (hv_big_mailbox(name, &mb))
			_exit(90);
	} else {
		if (ipc_create(name, &a, IPC_RECV | IPC_SEND, &mb))
			_exit(90);
		for (i = 0; i < 4; i++)
			hv_send_n(mb, (size_t)(1 + 60 * i), (char)('a' + i));
	}
	if (how == PLANT_STOPPED) {
		__atomic_store_n(ready, 1, __ATOMIC_RELEASE);
		libipc_test_crash_signal = SIGSTOP;
		libipc_test_crash_point = LIBIPC_HOOK_SEND_COMMIT;
		libipc_test_crash_after = 1;
		ipc_send(mb, "held", 4, IPC_WAIT_NONE, 0);
		_exit(0);
	}
	if (how == PLANT_DEAD_RACE) {
		pid = hv_hook_child(mb, LIBIPC_HOOK_SEND_COMMIT, SIGKILL);
		if (tc_wait(pid) != 128 + SIGKILL)
			_exit(91);
	}
	if (hv_map(&s, name))
		_exit(92);
	if (how == PLANT_DEAD_RACE)
		hv_attack_counts(&s, ready, rt);
	hv_fill(&s, HV_HDR_MUTABLE, sizeof(struct pmb_hdr) - HV_HDR_MUTABLE, val);
	hv_fill(&s, s.g.off_wait, 2 * sizeof(struct pmb_waiter), val);
	__atomic_store_n(ready, 1, __ATOMIC_RELEASE);
	_exit(0);
}

/* Root's calls on the planted segment, each in its own watched child: the failures. */
static unsigned int hv_root_reads(FIXTURE_DATA(planted) *self, const char *how,
				  int cpu)
{
	unsigned int failures = 0;
	char label[96], tool[PATH_MAX];
	struct ipc_stat st;
	pid_t pid;
	int fd;

	snprintf(label, sizeof(label), "root, %s", how);
	pid = hv_fork(self->pg);
	if (pid == 0) {
		hv_pin(cpu);
		hv_step(self->pg, HV_PROMPT_MS, false, "ipc_stat(planted)");
		ipc_stat(self->name, &st);
		_exit(0);
	}
	failures += hv_watch(pid, self->pg, label) != 0;
	pid = hv_fork(self->pg);
	if (pid == 0) {
		hv_pin(cpu);
		hv_step(self->pg, HV_PROMPT_MS, false, "ipc_list");
		hv_list();
		_exit(0);
	}
	failures += hv_watch(pid, self->pg, label) != 0;
	if (!hv_tool(tool, sizeof(tool))) {
		fprintf(stderr, "# no tools/kmbox (make -C tools): kmbox ls not run\n");
		return failures;
	}
	hv_step(self->pg, HV_PROMPT_MS, false, "kmbox ls");
	pid = tc_fork();
	if (pid == 0) {
		hv_pin(cpu);
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(tool, "kmbox", "ls", (char *)NULL);
		_exit(127);
	}
	failures += hv_watch(pid, self->pg, label) != 0;
	return failures;
}

/* Garbled: hostile values in every mutable header word and waiter slot. */
TEST_F_TIMEOUT(planted, garbled, 120)
{
	static const uint32_t vals[] = { UINT32_MAX, 0x7fffffff, 1, 0x80000000 };
	unsigned int failures = 0;
	char how[64];
	size_t v;

	for (v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
		unlink(self->path);
		*self->ready = 0;
		self->pid = tc_fork();
		if (self->pid == 0)
			hv_plant(self->name, PLANT_GARBLED, vals[v], self->ready, -1);
		ASSERT_EQ(0, tc_wait(self->pid));
		self->pid = 0;
		snprintf(how, sizeof(how), "a segment garbled with %#x", vals[v]);
		failures += hv_root_reads(self, how, -1);
	}
	EXPECT_EQ(0, failures);
}

/*
 * A dead lock holder, and nobody rewriting the counts while root recovers
 * (a new planted segment each round: root's first call recovers it).
 */
TEST_F_TIMEOUT(planted, dead_holder_race, 120)
{
	unsigned int failures = 0;
	int round, cpu = hv_cpu();

	for (round = 0; round < 4 && hv_keep_going(failures); round++) {
		unlink(self->path);
		*self->ready = 0;
		self->pid = tc_fork();
		if (self->pid == 0)
			hv_plant(self->name, PLANT_DEAD_RACE, 0, self->ready, cpu);
		ASSERT_EQ(0, hv_wait_flag(self->ready));
		failures += hv_root_reads(self, "dead holder, counts under attack",
					  *self->ready == 2 ? cpu : -1);
		tc_kill(self->pid);
		self->pid = 0;
	}
	EXPECT_EQ(0, failures);
}

/* Nobody holds the lock, stopped: root's reads do not wait for it. */
TEST_F_TIMEOUT(planted, stopped_holder, 60)
{
	self->pid = tc_fork();
	if (self->pid == 0)
		hv_plant(self->name, PLANT_STOPPED, 0, self->ready, -1);
	ASSERT_EQ(0, hv_wait_stopped(self->pid));
	EXPECT_EQ(0, hv_root_reads(self, "lock held by a stopped process", -1));
}

TEST_HARNESS_MAIN
