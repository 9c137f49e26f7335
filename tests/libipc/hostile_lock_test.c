// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile peer (issue 11), continued from hostile_test.c: the lock.
 *
 * stopped:   a peer stopped while it holds a mailbox's lock (finding 2)
 *            makes the blocking calls on that mailbox wait, which is
 *            within its access; non-blocking calls still return at once,
 *            timed ones at their deadline, and ipc_stat and ipc_list do
 *            not wait for it.  Once it runs again, everything works.
 * pidns:     a holder in a child pid namespace, its handle inherited
 *            across fork, is never taken for dead by the others.
 * addresses: no process's addresses are ever stored in the segment
 *            (finding 3): glibc's robust mutexes keep their holders'
 *            robust-list links there, which give a peer the holder's
 *            thread control block, and steer its unlocking stores.
 *
 * The posix backend only: the kernel's mailboxes are not in shared memory.
 */
#include "hostile.h"

/* A timed call returns -ETIMEDOUT at its deadline, and this late at most (ms). */
#define HL_LATE_MS	1000
#define HL_TIMEOUT_MS	200
/* A call that must not wait returns within this (ms): generous, a loaded machine. */
#define HL_QUICK_MS	1000

FIXTURE(held) {
	struct ipc_mbox *mb;
	char name[64];
	struct hv_prog *pg;
	pid_t holder, other;
};

FIXTURE_SETUP(held)
{
	struct ipc_attr a = lt_attr(8, 256, 0600);

	hv_private_shm();
	LT_USE_BACKEND("posix");
	lt_name(self->name, sizeof(self->name), "held");
	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_RECV | IPC_SEND, &self->mb));
	ASSERT_EQ(0, ipc_send(self->mb, "one", 3, NULL, 0));
	ASSERT_EQ(0, ipc_send(self->mb, "two", 3, NULL, 0));
	self->pg = tc_shared(sizeof(*self->pg));
	ASSERT_NE(NULL, self->pg);
}

FIXTURE_TEARDOWN(held)
{
	tc_kill(self->holder);
	tc_kill(self->other);
	if (self->mb)
		ipc_release(self->mb);
	ipc_unlink(self->name);
	if (self->pg)
		munmap(self->pg, sizeof(*self->pg));
}

/*
 * A child that stops (SIGSTOP, libipc_test_crash_signal) inside the lock
 * in the middle of a send, and once continued finishes it and exits 0.
 */
static pid_t hl_stopped_holder(struct ipc_mbox *mb)
{
	pid_t pid = tc_fork();
	int status;

	if (pid == 0) {
		libipc_test_crash_signal = SIGSTOP;
		libipc_test_crash_point = LIBIPC_HOOK_SEND_COMMIT;
		libipc_test_crash_after = 1;
		_exit(ipc_send(mb, "held", 4, NULL, 0) ? 1 : 0);
	}
	if (pid > 0 && (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status))) {
		fprintf(stderr, "# the holder did not stop at the hook\n");
		return -1;
	}
	return pid;
}

/* ---- a stopped lock holder (finding 2) ---------------------------------------------------- */

enum {
	HL_RECV_NONE, HL_PEEK_NONE, HL_SEND_NONE, HL_RECV_TIMED, HL_SEND_TIMED,
	HL_RECV_DEADLINE, HL_INFO, HL_STAT, HL_LIST, HL_OPEN,
	HL_UNLINK,	/* last: the name is gone after it */
	HL_NCHECKS
};

/* In a child: report and exit 1 if cond is false. */
#define HL_CHECK(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "# child: %s: " fmt "\n", pg->what, ##__VA_ARGS__); \
		_exit(1);						\
	}								\
} while (0)

/*
 * One call with the lock held by a stopped process, in a child: one that
 * may not wait returns within HL_QUICK_MS (whatever it says: EAGAIN, or
 * an answer it could give without the lock); a timed one returns
 * -ETIMEDOUT, not before its deadline and at most HL_LATE_MS after it.
 */
static void __attribute__((noreturn)) hl_check(struct ipc_mbox *mb, const char *name,
					       struct hv_prog *pg, int which)
{
	const int64_t tmo = HL_TIMEOUT_MS * TC_MS;
	struct ipc_mbox *mb2;
	struct ipc_info info;
	struct ipc_stat st;
	char buf[256];
	int64_t t0 = tc_now_ns(), ms;
	long r = 0;
	bool timed = false;

	switch (which) {
	case HL_RECV_NONE:
		hv_step(pg, HV_PROMPT_MS, false, "ipc_recv(IPC_WAIT_NONE)");
		r = ipc_recv(mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL);
		break;
	case HL_PEEK_NONE:
		hv_step(pg, HV_PROMPT_MS, false, "ipc_recv(IPC_WAIT_NONE, IPC_PEEK)");
		r = ipc_recv(mb, buf, sizeof(buf), IPC_WAIT_NONE, IPC_PEEK, NULL);
		break;
	case HL_SEND_NONE:
		hv_step(pg, HV_PROMPT_MS, false, "ipc_send(IPC_WAIT_NONE)");
		r = ipc_send(mb, "x", 1, IPC_WAIT_NONE, 0);
		break;
	case HL_RECV_TIMED:
		hv_step(pg, HL_TIMEOUT_MS + HV_PROMPT_MS, false, "ipc_recv(IPC_WAIT_NS(200 ms))");
		r = ipc_recv(mb, buf, sizeof(buf), IPC_WAIT_NS(tmo), 0, NULL);
		timed = true;
		break;
	case HL_SEND_TIMED:
		hv_step(pg, HL_TIMEOUT_MS + HV_PROMPT_MS, false, "ipc_send(IPC_WAIT_NS(200 ms))");
		r = ipc_send(mb, "x", 1, IPC_WAIT_NS(tmo), 0);
		timed = true;
		break;
	case HL_RECV_DEADLINE:
		hv_step(pg, HL_TIMEOUT_MS + HV_PROMPT_MS, false, "ipc_recv(IPC_WAIT_UNTIL(+200 ms))");
		r = ipc_recv(mb, buf, sizeof(buf), IPC_WAIT_UNTIL(t0 + tmo), 0, NULL);
		timed = true;
		break;
	case HL_INFO:
		hv_step(pg, HV_PROMPT_MS, false, "ipc_info");
		r = ipc_info(mb, &info);
		break;
	case HL_STAT:
		hv_step(pg, HV_PROMPT_MS, false, "ipc_stat");
		r = ipc_stat(name, &st);
		HL_CHECK(r == 0, "returned %ld", r);
		break;
	case HL_LIST:
		hv_step(pg, HV_PROMPT_MS, false, "ipc_list");
		r = hv_list();
		HL_CHECK(r >= 1, "returned %ld", r);
		break;
	case HL_OPEN:
		hv_step(pg, HV_PROMPT_MS, false, "ipc_open");
		r = ipc_open(name, IPC_RECV | IPC_SEND, &mb2);
		HL_CHECK(r == 0, "returned %ld", r);
		ipc_release(mb2);
		break;
	case HL_UNLINK:
		/* The owner removes the name whoever holds the lock. */
		hv_step(pg, HV_PROMPT_MS, false, "ipc_unlink");
		r = ipc_unlink(name);
		HL_CHECK(r == 0, "returned %ld", r);
		HL_CHECK(ipc_stat(name, &st) == -ENOENT, "the name is still there");
		break;
	}
	ms = hv_ms_since(t0);
	if (timed) {
		HL_CHECK(r == -ETIMEDOUT, "returned %ld, not -ETIMEDOUT, after %lld ms",
			 r, (long long)ms);
		HL_CHECK(ms >= HL_TIMEOUT_MS - 1, "timed out early: %lld ms", (long long)ms);
		HL_CHECK(ms <= HL_TIMEOUT_MS + HL_LATE_MS, "timed out late: %lld ms",
			 (long long)ms);
	} else {
		HL_CHECK(ms <= HL_QUICK_MS, "took %lld ms (returned %ld)", (long long)ms, r);
	}
	_exit(0);
}

/*
 * Each call in turn while a peer, stopped, holds the lock; then a
 * blocking receive started meanwhile completes once the holder runs
 * again, as do the holder's send and later blocking calls.
 */
TEST_F_TIMEOUT(held, stopped_holder, 120)
{
	unsigned int failures = 0;
	char buf[64];
	pid_t pid;
	int which;

	self->holder = hl_stopped_holder(self->mb);
	ASSERT_LT(0, self->holder);
	for (which = 0; which < HL_NCHECKS; which++) {
		pid = hv_fork(self->pg);
		if (pid == 0)
			hl_check(self->mb, self->name, self->pg, which);
		failures += hv_watch(pid, self->pg, "lock held by a stopped process") != 0;
	}

	/* A blocking call waits for the holder, and completes after it. */
	hv_step(self->pg, TC_WAIT_MS, false, "blocking ipc_recv, holder stopped");
	self->other = lt_spawn_recv(self->mb, "one", NULL, 0);
	ASSERT_LT(0, self->other);
	tc_sleep_ms(100);
	ASSERT_EQ(1, tc_running(self->other));
	ASSERT_EQ(0, kill(self->holder, SIGCONT));
	hv_step(self->pg, HV_PROMPT_MS, false, "the holder's ipc_send, resumed");
	failures += hv_watch(self->holder, self->pg, "holder") != 0;
	self->holder = 0;
	hv_step(self->pg, HV_PROMPT_MS, false, "blocking ipc_recv, holder resumed");
	failures += hv_watch(self->other, self->pg, "blocked receiver") != 0;
	self->other = 0;

	/* And the mailbox works as before: two, then the holder's. */
	ASSERT_EQ(3, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NS(TC_SEC)));
	EXPECT_STREQ("two", buf);
	ASSERT_EQ(4, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NS(TC_SEC)));
	EXPECT_STREQ("held", buf);
	EXPECT_EQ(0, ipc_send(self->mb, "after", 5, NULL, 0));
	EXPECT_EQ(5, lt_recv_str(self->mb, buf, sizeof(buf), NULL));
	EXPECT_EQ(0, failures);
}

/* ---- a holder in a child pid namespace ---------------------------------------------------- */

struct hl_ns_report {
	pid_t holder;		/* its pid in its own namespace */
	int stopped;
};

/*
 * The init of a new pid namespace: a child of its (pid last + 1 there)
 * stops holding the lock, with the handle inherited across fork; reported
 * on up, resumed when down says so.  Exits with the holder's status.
 */
static void __attribute__((noreturn)) hl_ns_init(struct ipc_mbox *mb, pid_t last,
						 int up, int down)
{
	struct hl_ns_report rep = { 0, 0 };
	int fd, status;
	char c;

	fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || dprintf(fd, "%d", (int)last) < 0)
		_exit(5);
	close(fd);
	rep.holder = fork();
	if (rep.holder == 0) {
		libipc_test_crash_signal = SIGSTOP;
		libipc_test_crash_point = LIBIPC_HOOK_SEND_COMMIT;
		libipc_test_crash_after = 1;
		_exit(ipc_send(mb, "held", 4, NULL, 0) ? 1 : 0);
	}
	if (rep.holder < 0 || waitpid(rep.holder, &status, WUNTRACED) != rep.holder)
		_exit(6);
	rep.stopped = WIFSTOPPED(status);
	if (write(up, &rep, sizeof(rep)) != sizeof(rep) || read(down, &c, 1) != 1)
		_exit(7);
	kill(rep.holder, SIGCONT);
	if (waitpid(rep.holder, &status, 0) != rep.holder)
		_exit(8);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 9);
}

/*
 * A process that forked into a new pid namespace (unshare(CLONE_NEWPID),
 * as container tools do), its handle inherited and never opened there,
 * holds the lock, stopped.  Its tid is of another namespace, and names no
 * thread at all here: the mailbox's other users must not take it for dead
 * and the lock over (two holders at once), but treat the mailbox as one
 * of two namespaces (pmb.h, "Crashes"): a non-blocking call returns
 * -EAGAIN.  Once the holder runs again, its send completes.
 */
TEST_F_TIMEOUT(held, holder_in_child_pidns, 60)
{
	struct hl_ns_report rep = { 0, 0 };
	int up[2], down[2], pid_max = 0;
	pid_t spare = 0, x, init;
	char buf[64];
	FILE *f;
	long r;

	if (geteuid() != 0)
		TC_SKIP("unshare(CLONE_NEWPID) needs root");
	f = fopen("/proc/sys/kernel/pid_max", "re");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%d", &pid_max));
	fclose(f);
	/* A pid nothing has here, for the holder to have there. */
	for (x = pid_max - 1; x > 1000 && !spare; x--)
		if (kill(x, 0) && errno == ESRCH)
			spare = x;
	ASSERT_LT(0, spare);
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	self->other = tc_fork();
	if (self->other == 0) {
		int status;

		if (unshare(CLONE_NEWPID))
			_exit(4);
		init = fork();
		if (init == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			hl_ns_init(self->mb, spare - 1, up[1], down[0]);
		}
		if (init < 0 || waitpid(init, &status, 0) != init)
			_exit(10);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 11);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], &rep, sizeof(rep)) != sizeof(rep)) {
		r = tc_wait(self->other);
		self->other = 0;
		if (r == 4 || r == 5)
			TC_SKIP("no new pid namespace here (%ld)", r);
		ASSERT_EQ(0, r);
	}
	ASSERT_TRUE(rep.stopped);
	ASSERT_EQ(spare, rep.holder);
	ASSERT_NE(0, kill(spare, 0));

	r = ipc_send(self->mb, "x", 1, IPC_WAIT_NONE, 0);
	EXPECT_EQ(-EAGAIN, r);
	r = ipc_recv(self->mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL);
	EXPECT_EQ(-EAGAIN, r);

	ASSERT_EQ(1, write(down[1], "c", 1));
	EXPECT_EQ(0, tc_wait(self->other));
	self->other = 0;
	close(up[0]);
	close(down[1]);
	ASSERT_EQ(3, lt_recv_str(self->mb, buf, sizeof(buf), IPC_WAIT_NS(TC_SEC)));
	EXPECT_STREQ("one", buf);
}

/* ---- no addresses in the segment (finding 3) ---------------------------------------------- */

struct hl_range {
	uintptr_t lo, hi;
	char name[80];
};

#define HL_MAX_RANGES	512

/*
 * The mappings of pid that can hold something of its: how many, or -1.
 * Inaccessible ones (guard pages, reservations) hold nothing, and huge
 * ones (1 GiB and more: a sanitizer's shadow memory, which spans most of
 * the address space) would make every large number look like a pointer.
 */
static int hl_maps(pid_t pid, struct hl_range *r, int max)
{
	char path[64], line[512], perms[8];
	unsigned long lo, hi;
	int n = 0, pos;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms, &pos) < 3)
			continue;
		if (!strcmp(perms, "---p") || hi - lo >= (1UL << 30))
			continue;
		r[n].lo = lo;
		r[n].hi = hi;
		snprintf(r[n].name, sizeof(r[n].name), "%s", line + pos);
		r[n].name[strcspn(r[n].name, "\n")] = '\0';
		if (!r[n].name[0])
			snprintf(r[n].name, sizeof(r[n].name), "[anonymous]");
		n++;
	}
	fclose(f);
	return n;
}

/* Which part of the segment off is in, for the report. */
static void hl_where(const struct hv_seg *s, size_t off, char *buf, size_t size)
{
	if (off < s->g.off_wait)
		snprintf(buf, size, "header+%zu", off);
	else if (off < s->g.off_cstate)
		snprintf(buf, size, "waiter slot %zu+%zu",
			 (off - s->g.off_wait) / sizeof(struct pmb_waiter),
			 (off - s->g.off_wait) % sizeof(struct pmb_waiter));
	else if (off < s->g.off_chunks)
		snprintf(buf, size, "chunk table+%zu", off - s->g.off_cstate);
	else
		snprintf(buf, size, "chunk %zu+%zu", (off - s->g.off_chunks) / PMB_CHUNK,
			 (off - s->g.off_chunks) % PMB_CHUNK);
}

/*
 * Every pointer-sized, pointer-aligned word of the segment that falls in
 * one of pid's mappings: how many (each printed).  Values below 64 KiB
 * (no mapping is that low: vm.mmap_min_addr) are counts and indices.
 */
static int hl_scan(const char *name, pid_t pid, const char *when)
{
	static struct hl_range r[HL_MAX_RANGES];
	struct hv_seg s;
	char where[64];
	int n, i, hits = 0;
	size_t off;

	n = hl_maps(pid, r, HL_MAX_RANGES);
	if (n <= 0 || hv_map(&s, name)) {
		fprintf(stderr, "# cannot read the maps or the segment\n");
		return -1;
	}
	for (off = 0; off + sizeof(uintptr_t) <= s.size; off += sizeof(uintptr_t)) {
		uintptr_t v = *(const uintptr_t *)(s.base + off);

		if (v < 0x10000)
			continue;
		for (i = 0; i < n; i++)
			if (v >= r[i].lo && v < r[i].hi && strcmp(r[i].name, "[vsyscall]"))
				break;
		if (i == n)
			continue;
		hl_where(&s, off, where, sizeof(where));
		fprintf(stderr, "# %s: %s (offset %zu) holds %#lx, in the victim's %s\n",
			when, where, off, (unsigned long)v, r[i].name);
		hits++;
	}
	hv_unmap(&s);
	return hits;
}

static void *hl_recv_thread(void *arg)
{
	char buf[64];

	ipc_recv(arg, buf, sizeof(buf), IPC_WAIT_NS(TC_CHILD_ALARM * TC_SEC), 0, NULL);
	return NULL;
}

/*
 * A victim with two threads blocked receiving (each holding a waiter
 * slot), then also stopped holding the lock in the middle of a send: no
 * word of the segment is an address of the victim's (its stacks, thread
 * control blocks, libraries, heap, or its mapping of the segment).
 */
TEST_F_TIMEOUT(held, no_addresses, 60)
{
	struct ipc_attr a = lt_attr(4, 64, 0600);
	struct ipc_mbox *mb;
	char name[64], c;
	pthread_t t[2];
	int cmd[2], status;

	lt_name(name, sizeof(name), "addr");
	ASSERT_EQ(0, ipc_create(name, &a, IPC_RECV | IPC_SEND, &mb));
	ASSERT_EQ(0, pipe(cmd));
	self->other = tc_fork();
	if (self->other == 0) {
		close(cmd[1]);
		if (pthread_create(&t[0], NULL, hl_recv_thread, mb) ||
		    pthread_create(&t[1], NULL, hl_recv_thread, mb))
			_exit(1);
		if (read(cmd[0], &c, 1) != 1)
			_exit(1);
		libipc_test_crash_signal = SIGSTOP;
		libipc_test_crash_point = LIBIPC_HOOK_SEND_COMMIT;
		libipc_test_crash_after = 1;
		ipc_send(mb, "x", 1, IPC_WAIT_NONE, 0);
		_exit(0);
	}
	close(cmd[0]);
	ASSERT_EQ(0, lt_wait_waiters(mb, 0, 2));
	EXPECT_EQ(0, hl_scan(name, self->other, "two threads blocked receiving"));

	ASSERT_EQ(1, write(cmd[1], "s", 1));
	ASSERT_EQ(self->other, waitpid(self->other, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	EXPECT_EQ(0, hl_scan(name, self->other, "and the lock held"));

	tc_kill(self->other);
	self->other = 0;
	close(cmd[1]);
	ipc_release(mb);
	ipc_unlink(name);
}

TEST_HARNESS_MAIN
