// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: scenarios on private mailboxes whose outcome is known exactly.
 */
#include "fuzz.h"

/* ---- scenarios on private mailboxes --------------------------------------- */

int anon_mbox(uint64_t capacity, uint32_t max_msg_size)
{
	struct kmbox_create c = {
		.access = KMBOX_ACCESS_ALL, .capacity = capacity,
		.max_msg_size = max_msg_size, .mode = 0600,
		.flags = KMBOX_FD_CLOEXEC,
	};
	int fd = ioctl(ctl, KMBOX_IOC_CREATE, &c);

	return fd < 0 ? -errno : fd;
}

int sc_send(int fd, const void *buf, size_t len, uint32_t flags, int64_t timeout)
{
	struct kmbox_send s = {
		.flags = flags, .buf = (uintptr_t)buf, .len = len, .timeout_ns = timeout };

	return ioctl(fd, KMBOX_IOC_SEND, &s) ? -errno : 0;
}

long sc_recv(int fd, void *buf, size_t len, uint32_t flags, int64_t timeout,
	     struct kmbox_recv *out)
{
	struct kmbox_recv r = {
		.flags = flags, .buf = (uintptr_t)buf, .len = len, .timeout_ns = timeout };
	long ret = ioctl(fd, KMBOX_IOC_RECV, &r);

	if (out)
		*out = r;
	return ret < 0 ? -errno : ret;
}

/* Same, retried while a signal (from the coordinator) cuts it short. */
static long sc_recv_retry(int fd, void *buf, size_t len, uint32_t flags, int64_t timeout,
			  struct kmbox_recv *out)
{
	long ret;

	do {
		ret = sc_recv(fd, buf, len, flags, timeout, out);
	} while (ret == -EINTR && !atomic_load(&S->stop));
	return ret;
}

/* A child for a scenario: sig: its SIGUSR1 handler (0: default, 1, 2: restart). */
pid_t sc_fork(void)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		is_child = true;
		mypid = getpid();
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)	/* it died before we could ask */
			_exit(0);
		W = &W_dummy;
		alarm(30);
	}
	return pid;
}

/* Wait for a scenario child: its exit code, 128 + signal, or -1 after ms. */
int sc_wait(pid_t pid, int64_t ms)
{
	int64_t end = now_ns() + ms * MS;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ns() > end)
			return -1;
		sleep_ns(200 * US);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

void sc_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Whether a child has not ended yet; it is not reaped either way. */
static bool sc_running(pid_t pid)
{
	siginfo_t si = { .si_pid = 0 };

	if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT))
		return false;
	return si.si_pid != pid;
}

/* Wait until INFO says someone waits (or ms pass); false if INFO fails. */
static bool sc_wait_blocked(int fd, int64_t ms)
{
	int64_t end = now_ns() + ms * MS;
	struct kmbox_info i;

	while (now_ns() < end) {
		if (do_info(fd, &i))
			return false;
		if (i.senders_waiting || i.receivers_waiting)
			return true;
		sleep_ns(100 * US);
	}
	return true;
}

static void sc_stack(pid_t pid, char *out, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stack", (int)pid);
	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, size - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = '|';
}

static short kt_revents_fd(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM };

	return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

/*
 * A: a child blocks in a call; the parent CLOSEs, DESTROYs, or kills it.
 * The call must end with EPIPE / EIDRM, and a killed child must leave the
 * mailbox as it was.
 */
static void scenario_block(void)
{
	static const char *const kinds[] = {
		"blocking send, rendezvous", "blocking send, full bounded",
		"blocking receive", "sync send, bounded", "blocking peek",
		"timed send (10 s), rendezvous", "blocking write, rendezvous",
		"blocking read",
	};
	int kind = below(ARRAY_SIZE(kinds)), action = below(10), fd, got;
	bool restart = pct(50), signal = pct(30);
	uint64_t cap = kind == 1 || kind == 3 ? 1 : pct(50) ? 0 : 1;
	const char *act;
	struct kmbox_info i;
	char stack[512];
	uint8_t b[64];
	pid_t pid;

	if (kind == 0 || kind == 5 || kind == 6)
		cap = 0;
	fd = anon_mbox(cap, 64);
	if (fd < 0)
		return;
	if (kind == 1 && sc_send(fd, "full", 4, KMBOX_MSG_NONBLOCK, 0)) {
		close(fd);
		return;
	}
	pid = sc_fork();
	if (pid < 0) {
		close(fd);
		return;
	}
	if (pid == 0) {
		long r = 0;

		set_handlers(restart);
		switch (kind) {
		case 0: case 1:
			r = sc_send(fd, "blocked", 7, 0, 0);
			break;
		case 2:
			r = sc_recv(fd, b, sizeof(b), 0, 0, NULL);
			break;
		case 3:
			r = sc_send(fd, "sync", 4, KMBOX_SEND_SYNC, 0);
			break;
		case 4:
			r = sc_recv(fd, b, sizeof(b), KMBOX_RECV_PEEK, 0, NULL);
			break;
		case 5:
			r = sc_send(fd, "timed", 5, KMBOX_MSG_TIMEOUT, 10 * SEC);
			break;
		case 6:
			r = write(fd, "w", 1) < 0 ? -errno : 0;
			break;
		case 7:
			r = read(fd, b, sizeof(b)) < 0 ? -errno : 1;
			break;
		}
		_exit(r < 0 ? -r : r > 0 ? 200 : 0);
	}
	stat_add(ST_SCENARIOS, 1);
	if (pct(70))
		sc_wait_blocked(fd, 3000);
	else
		sleep_ns(below(2 * MS));
	if (signal) {
		kill(pid, SIGUSR1);
		sleep_ns(below(MS));
	}
	if (action < 4) {
		act = "CLOSE";
		if (ioctl(fd, KMBOX_IOC_CLOSE, 0))
			violation(C_SCENARIO, "CLOSE: %s", ename(errno));
	} else if (action < 8) {
		act = "DESTROY";
		if (ioctl(fd, KMBOX_IOC_DESTROY, 0))
			violation(C_SCENARIO, "DESTROY: %s", ename(errno));
	} else {
		act = "SIGKILL";
		sc_kill(pid);
	}
	if (action < 8) {
		int want = action < 4 ? EPIPE : EIDRM;

		got = sc_wait(pid, 20000);
		if (got < 0) {
			sc_stack(pid, stack, sizeof(stack));
			violation(C_SCENARIO, "%s: child %d still blocked 20 s after %s; stack %s",
				  kinds[kind], (int)pid, act, stack);
			sc_kill(pid);
		} else if (got != want && !(signal && got == EINTR &&
					    (!restart || kind == 5)) &&
			   !(got == ENOBUFS && kind != 2 && kind != 4 && kind != 7)) {
			violation(C_SCENARIO, "%s%s: %s ended it with %s, expected %s",
				  kinds[kind], signal ? (restart ? " (signalled, SA_RESTART)" :
				  " (signalled)") : "", act,
				  got >= 128 ? strsignal(got - 128) : ename(got), ename(want));
		}
	}
	/* What poll says of a closed or destroyed mailbox. */
	if (action < 8 && !do_info(fd, &i)) {
		short re = kt_revents_fd(fd);
		short want = action >= 4 ? POLLERR : i.msgs ? POLLIN | POLLRDNORM : POLLHUP;

		/* Closed, a send fails at once: the handle can send. */
		if (action < 4)
			want |= POLLOUT | POLLWRNORM;

		if (re != want)
			violation(C_POLL, "%s after %s with %llu queued: revents %#x, expected %#x",
				  kinds[kind], act, (unsigned long long)i.msgs,
				  (unsigned short)re, (unsigned short)want);
	}
	/* Whatever happened, nobody waits any more and nothing half-sent stays. */
	if (!do_info(fd, &i)) {
		uint64_t left = kind == 1 && action >= 8 ? 1 : 0;

		if (i.senders_waiting || i.receivers_waiting ||
		    (action >= 4 && action < 8 && i.msgs) ||
		    (action >= 8 && i.msgs != left) ||
		    i.sent != i.received + i.dropped + i.msgs)
			violation(C_SCENARIO, "%s, %s: afterwards INFO says state %u msgs %llu waiting %u/%u sent %llu received %llu dropped %llu",
				  kinds[kind], act, i.state, (unsigned long long)i.msgs,
				  i.senders_waiting, i.receivers_waiting,
				  (unsigned long long)i.sent, (unsigned long long)i.received,
				  (unsigned long long)i.dropped);
	}
	close(fd);
}

/*
 * B: one sender (a child) and one receiver (the parent) on a private
 * mailbox, with short timeouts racing the hand-over, and signals.  The
 * message must reach the receiver exactly when the send said it was sent.
 */
static void scenario_pair(void)
{
	static const uint64_t caps[] = { 0, 1, KMBOX_CAPACITY_UNBOUNDED };
	uint64_t cap = caps[below(3)];
	bool sync = cap == 0 || pct(70), restart = pct(50);
	size_t len = pct(60) ? range(32, 256) : range(4096, 65536);
	int64_t ts = (int64_t)below(3 * MS), tr = (int64_t)below(3 * MS);
	uint32_t sflags = (pct(70) ? KMBOX_MSG_TIMEOUT : pct(50) ? KMBOX_MSG_NONBLOCK : 0) |
			  (sync ? KMBOX_SEND_SYNC : 0);
	uint8_t *buf = rbuf, *msg = sbuf;
	int fd, got = 0, status, tries;
	struct kmbox_info i;
	char stack[512];
	uint64_t id;
	long r;
	pid_t pid;

	if (!(sflags & KMBOX_MSG_TIMEOUT))
		ts = 0;
	fd = anon_mbox(cap, 65536);
	if (fd < 0)
		return;
	id = fill(msg, len, 0);
	pid = sc_fork();
	if (pid < 0) {
		close(fd);
		return;
	}
	if (pid == 0) {
		set_handlers(restart);
		_exit(-sc_send(fd, msg, len, sflags, ts));
	}
	stat_add(ST_SCENARIOS, 1);
	(void)id;
	sleep_ns(below(2 * MS));
	if (pct(30))
		kill(pid, SIGUSR1);
	for (tries = 0; tries < 2; tries++) {
		r = sc_recv(fd, buf, 65536, KMBOX_MSG_TIMEOUT, tr, NULL);
		if (r >= 0) {
			got++;
			if ((size_t)r != len || memcmp(buf, msg, len))
				violation(C_SCENARIO, "pair: received %ld bytes, sent %zu (or different)",
					  r, len);
		} else if (r != -ETIMEDOUT && r != -EINTR) {
			violation(C_SCENARIO, "pair: timed receive: %s", ename(-r));
		}
		if (got)
			break;
	}
	/* Let a sender still waiting go: a blocking one would wait for ever. */
	status = sc_wait(pid, 100);
	if (status < 0) {
		if (ioctl(fd, KMBOX_IOC_CLOSE, 0))
			violation(C_SCENARIO, "pair: CLOSE: %s", ename(errno));
		status = sc_wait(pid, 20000);
		if (status < 0) {
			sc_stack(pid, stack, sizeof(stack));
			violation(C_SCENARIO, "pair: sender %d still blocked 20 s after CLOSE; stack %s",
				  (int)pid, stack);
			sc_kill(pid);
			close(fd);
			return;
		}
	}
	/* What is left must be what the send said. */
	while ((r = sc_recv(fd, buf, 65536, KMBOX_MSG_NONBLOCK, 0, NULL)) >= 0) {
		got++;
		if ((size_t)r != len || memcmp(buf, msg, len))
			violation(C_SCENARIO, "pair: drained %ld bytes, sent %zu (or different)", r, len);
	}
	if (status >= 128)
		violation(C_SCENARIO, "pair: sender died of %s", strsignal(status - 128));
	else if ((status == 0) != (got == 1) || got > 1)
		violation(C_SCENARIO, "pair: cap %s%s send flags %#x timeout %lld: send gave %s, but the receiver got %d message(s)",
			  cap == 0 ? "0" : cap == 1 ? "1" : "unbounded", sync ? " sync" : "",
			  sflags, (long long)ts, ename(status), got);
	else
		stat_add(ST_DELIVERIES, 1);
	if (!do_info(fd, &i) && (i.msgs || i.senders_waiting || i.receivers_waiting ||
				 i.sent != i.received || i.received != (uint64_t)got))
		violation(C_SCENARIO, "pair: afterwards msgs %llu waiting %u/%u sent %llu received %llu (got %d)",
			  (unsigned long long)i.msgs, i.senders_waiting, i.receivers_waiting,
			  (unsigned long long)i.sent, (unsigned long long)i.received, got);
	close(fd);
}

/*
 * C: a message handed over or queued is put back after EMSGSIZE and after
 * EFAULT, stays for a peek, and is received whole at the end.
 */
static void scenario_requeue(void)
{
	static const uint64_t caps[] = { 0, 1, KMBOX_CAPACITY_UNBOUNDED };
	uint64_t cap = caps[below(3)];
	size_t len = range(64, 4096), k;
	bool sync = cap == 0 || pct(50);
	uint8_t *msg = sbuf, *buf = rbuf, *bad;
	struct kmbox_recv rr;
	struct kmbox_info i;
	int fd, status = -1, early = -1;
	long r;
	pid_t pid;

	fd = anon_mbox(cap, 8192);
	if (fd < 0)
		return;
	fill(msg, len, 0);
	pid = sc_fork();
	if (pid < 0) {
		close(fd);
		return;
	}
	if (pid == 0) {
		set_handlers(true);
		_exit(-sc_send(fd, msg, len, sync ? KMBOX_SEND_SYNC : 0, 0));
	}
	stat_add(ST_SCENARIOS, 1);
	/* Wait for the message (an offer, at capacity 0) or the sender's failure. */
	for (int64_t end = now_ns() + 20 * SEC;; sleep_ns(100 * US)) {
		if (!do_info(fd, &i) && i.msgs)
			break;
		if (early < 0)
			early = status = sc_wait(pid, 0);
		if (status > 0) {
			/* ENOBUFS and the like, while a limit is lowered */
			if (status != ENOBUFS && status != ENOMEM)
				violation(C_SCENARIO, "requeue: sender failed: %s",
					  status >= 128 ? strsignal(status - 128) : ename(status));
			close(fd);
			return;
		}
		if (now_ns() > end) {
			violation(C_SCENARIO, "requeue: cap %llu: no message after 20 s",
				  (unsigned long long)cap);
			sc_kill(pid);
			close(fd);
			return;
		}
	}
	/* too small: EMSGSIZE, the size reported, nothing consumed */
	memset(&rr, 0, sizeof(rr));
	r = sc_recv_retry(fd, buf, below(len), KMBOX_MSG_TIMEOUT, 10 * SEC, &rr);
	if (r != -EMSGSIZE || rr.len != len)
		violation(C_SCENARIO, "requeue: cap %llu: small buffer: %s, len %llu of %zu",
			  (unsigned long long)cap, r < 0 ? ename(-r) : "success",
			  (unsigned long long)rr.len, len);
	/* unwritable: EFAULT, nothing consumed */
	k = below(len);
	bad = pct(50) ? strad + PAGE - k : pct(50) ? g_ro : g_none;
	r = sc_recv_retry(fd, bad, len, KMBOX_MSG_TIMEOUT, 10 * SEC, NULL);
	if (r != -EFAULT)
		violation(C_SCENARIO, "requeue: cap %llu: bad buffer: %s",
			  (unsigned long long)cap, r < 0 ? ename(-r) : "success");
	r = sc_recv_retry(fd, buf, len, KMBOX_MSG_TIMEOUT | KMBOX_RECV_PEEK, 10 * SEC, NULL);
	if (r != (long)len || memcmp(buf, msg, len))
		violation(C_SCENARIO, "requeue: cap %llu: peek: %s", (unsigned long long)cap,
			  r < 0 ? ename(-r) : "wrong message");
	memset(buf, 0, len);
	r = sc_recv_retry(fd, buf, 8192, KMBOX_MSG_TIMEOUT, 10 * SEC, &rr);
	if (r != (long)len || memcmp(buf, msg, len) || rr.pid != pid)
		violation(C_SCENARIO, "requeue: cap %llu: receive: %s (pid %d, sender %d)",
			  (unsigned long long)cap, r < 0 ? ename(-r) : "wrong message",
			  rr.pid, (int)pid);
	r = sc_recv(fd, buf, 8192, KMBOX_MSG_NONBLOCK, 0, NULL);
	if (r != -EAGAIN)
		violation(C_SCENARIO, "requeue: cap %llu: receive after: %s",
			  (unsigned long long)cap, r < 0 ? ename(-r) : "a message");
	status = early >= 0 ? early : sc_wait(pid, 20000);
	if (status != 0) {
		violation(C_SCENARIO, "requeue: cap %llu: sender ended with %d", (unsigned long long)cap,
			  status);
		if (status < 0)
			sc_kill(pid);
	}
	if (!do_info(fd, &i) && (i.msgs || i.sent != 1 || i.received != 1 ||
				 i.senders_waiting || i.receivers_waiting))
		violation(C_SCENARIO, "requeue: afterwards msgs %llu sent %llu received %llu",
			  (unsigned long long)i.msgs, (unsigned long long)i.sent,
			  (unsigned long long)i.received);
	close(fd);
}

/*
 * D: messages from one sender keep their order; with two receivers, each
 * sees them in order, and together they see each one once.
 */
static void scenario_fifo(void)
{
	static const uint64_t caps[] = { 1, 4, KMBOX_CAPACITY_UNBOUNDED };
	uint64_t cap = caps[below(3)];
	int n = range(4, 24), fd, k, got = 0, last = -1, status, p[2];
	int64_t end = now_ns() + 20 * SEC;
	bool two = pct(40);
	struct kmbox_info i;
	uint32_t seq;
	pid_t pid, rpid = -1;
	long r;

	fd = anon_mbox(cap, 64);
	if (fd < 0)
		return;
	if (pipe2(p, O_CLOEXEC)) {
		close(fd);
		return;
	}
	pid = sc_fork();
	if (pid < 0)
		goto out_pipe;
	if (pid == 0) {
		set_handlers(true);
		for (k = 0; k < n; k++) {
			seq = k;
			r = sc_send(fd, &seq, sizeof(seq), 0, 0);
			if (r)
				_exit(-r);
		}
		_exit(0);
	}
	stat_add(ST_SCENARIOS, 1);
	if (two) {
		rpid = sc_fork();
		if (rpid == 0) {
			int prev = -1;

			set_handlers(true);
			close(p[0]);
			while ((r = sc_recv(fd, &seq, sizeof(seq), KMBOX_MSG_TIMEOUT, SEC, NULL)) >= 0) {
				if ((int)seq <= prev)
					_exit(100);	/* out of order */
				prev = seq;
				if (write(p[1], &seq, sizeof(seq)) != sizeof(seq))
					_exit(101);
			}
			_exit(0);
		}
	}
	close(p[1]);
	p[1] = -1;
	while (two || got < n) {
		r = sc_recv_retry(fd, &seq, sizeof(seq), KMBOX_MSG_TIMEOUT,
				  two ? 300 * MS : 5 * SEC, NULL);
		/*
		 * A sender slower than the timeout (a loaded debug kernel) may
		 * still fill the queue once the other receiver gave up: keep
		 * receiving while it runs.
		 */
		if (r == -ETIMEDOUT && sc_running(pid) && now_ns() < end)
			continue;
		if (r < 0)
			break;
		if (r != sizeof(seq) || (int)seq <= last || (int)seq >= n) {
			violation(C_SCENARIO, "fifo: cap %llu: got %u after %d (%ld bytes)",
				  (unsigned long long)cap, seq, last, r);
			break;
		}
		last = seq;
		got++;
	}
	status = sc_wait(pid, 20000);
	if (status != 0) {
		memset(&i, 0, sizeof(i));
		do_info(fd, &i);
		if (status != ENOBUFS)
			violation(C_SCENARIO, "fifo: cap %llu: sender ended with %d "
				  "(%llu queued, %u senders and %u receivers waiting)",
				  (unsigned long long)cap, status, (unsigned long long)i.msgs,
				  i.senders_waiting, i.receivers_waiting);
		if (status < 0)
			sc_kill(pid);
		goto out;
	}
	if (two) {
		int other = sc_wait(rpid, 20000), cnt = 0;

		if (other != 0) {
			violation(C_SCENARIO, "fifo: second receiver ended with %d%s", other,
				  other == 100 ? " (out of order)" : "");
			if (other < 0)
				sc_kill(rpid);
		}
		fcntl(p[0], F_SETFL, O_NONBLOCK);	/* others may hold the pipe */
		while (read(p[0], &seq, sizeof(seq)) == sizeof(seq))
			cnt++;
		got += cnt;
	}
	if (got != n)
		violation(C_SCENARIO, "fifo: cap %llu%s: %d messages sent, %d received",
			  (unsigned long long)cap, two ? ", two receivers" : "", n, got);
	goto out_pipe;
out:
	if (two && rpid > 0)
		sc_kill(rpid);
out_pipe:
	close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	close(fd);
}

void op_scenario(void)
{
	int r = below(8);

	if (is_child || opt.no_scenarios)
		return;
	call_begin(OP_SCENARIO, 0, "scenario %d", r);
	if (r == 0)
		scenario_block();
	else if (r == 1)
		scenario_pair();
	else if (r == 2)
		scenario_requeue();
	else if (r == 3)
		scenario_fifo();
	else if (r == 4)
		scenario_batch();
	else if (r == 5)
		scenario_storm();
	else if (r == 6)
		scenario_call();
	else
		scenario_select();
	call_end();
	count_op(OP_SCENARIO, 0);
}
