// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: a call scenario whose outcome is known exactly.  A server child
 * with its own handle (a port it creates, or its own OPEN of a private
 * name) takes one call from a caller child, and then one fate is played
 * out: the server replies (REPLY or RECV_REPLY), the caller is killed or
 * signalled or times out, the server exits or drops the request, or the
 * mailbox is destroyed.  The worker thread directs both over pipes and
 * checks that their two accounts agree with each other and with the
 * contract: the caller's KMBOX_CALL_RECEIVED exactly when the server took
 * the request, its reply exactly when REPLY said so, a late reply refused
 * (ECONNRESET, EIDRM), a reply id one-shot (ENOENT), INFO's calls_pending.
 * Every step waits for the event it depends on, never for a time.
 */
#include "fuzz.h"

#define CS_MAX		256		/* the mailbox's max_msg_size */
#define CS_WAIT_MS	20000

enum fate {
	F_REPLY, F_RECV_REPLY, F_KILL, F_SIGNAL, F_TIMEOUT, F_EXIT, F_DESTROY,
	F_NOCALL, F_N
};

static const char *const fate_name[F_N] = {
	"reply", "RECV_REPLY", "caller killed", "caller signalled",
	"caller times out", "server exits", "mailbox destroyed",
	"taken without RECV_CALL",
};

struct srv_cmd {
	char op;		/* r: RECV, p: REPLY, R: RECV_REPLY, q: exit */
	uint32_t flags;		/* r: RECV's flags; p: reply twice */
	int64_t timeout;
	uint64_t call;
	uint32_t len, seq;
};

struct srv_rep {
	long ret;
	int e, e2;
	uint64_t call;		/* r: the reply id; ready: the port id */
	uint32_t reply_size, seq;
	int32_t reply_result;
};

struct caller_rep {
	long ret;
	int e;
	uint32_t result;
	uint64_t reply_len;
	int32_t pid;
	bool content_ok;
};

static uint8_t reply_byte(uint32_t seq, size_t i)
{
	return (uint8_t)(i * 7 + seq * 13 + 1);
}

/* Reads n bytes within ms; false on EOF or time out. */
static bool rd(int fd, void *p, size_t n, int64_t ms)
{
	int64_t end = now_ns() + ms * MS;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t k;

	for (;;) {
		int left = (int)((end - now_ns()) / MS);

		if (left < 0)
			return false;
		if (poll(&pfd, 1, left) < 0 && errno != EINTR)
			return false;
		k = read(fd, p, n);
		if (k == (ssize_t)n)
			return true;
		if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN))
			return false;
	}
}

static void wr(int fd, const void *p, size_t n)
{
	while (write(fd, p, n) < 0 && errno == EINTR)
		;
}

static void server_main(bool port, const char *name, uint64_t cap, int cmd, int rep)
{
	static uint8_t buf[CS_MAX], out[CS_MAX];
	struct srv_rep rp;
	struct srv_cmd c;
	size_t i;
	int fd;

	memset(&rp, 0, sizeof(rp));
	if (port) {
		struct kmbox_create cr = {
			.flags = KMBOX_FD_CLOEXEC | KMBOX_CREATE_PORT |
				 (pct(50) ? KMBOX_CREATE_PRIO : 0),
			.access = pct(50) ? KMBOX_ACCESS_RECV : KMBOX_ACCESS_ALL,
			.capacity = cap, .max_msg_size = CS_MAX, .mode = 0600,
		};

		fd = ioctl(ctl, KMBOX_IOC_CREATE, &cr);
		rp.call = cr.id;
	} else {
		struct kmbox_open o = {
			.flags = KMBOX_FD_CLOEXEC, .access = KMBOX_ACCESS_RECV,
			.name = (uintptr_t)name,
		};

		fd = ioctl(ctl, KMBOX_IOC_OPEN, &o);
	}
	rp.ret = fd;
	rp.e = fd < 0 ? errno : 0;
	wr(rep, &rp, sizeof(rp));
	if (fd < 0)
		_exit(0);
	for (;;) {
		struct kmbox_recv r;
		struct kmbox_reply y;

		if (!rd(cmd, &c, sizeof(c), 60 * 1000) || c.op == 'q')
			_exit(0);
		memset(&rp, 0, sizeof(rp));
		memset(&r, 0, sizeof(r));
		for (i = 0; i < c.len && i < CS_MAX; i++)
			out[i] = reply_byte(c.seq, i);
		switch (c.op) {
		case 'r':
		case 'R':
			r.flags = c.flags;
			r.buf = (uintptr_t)buf;
			r.len = sizeof(buf);
			r.timeout_ns = c.timeout;
			if (c.op == 'R') {
				r.flags |= KMBOX_RECV_REPLY;
				r.reply_call = c.call;
				r.reply_buf = (uintptr_t)out;
				r.reply_len = c.len;
			}
			do {
				rp.ret = ioctl(fd, KMBOX_IOC_RECV, &r);
				rp.e = rp.ret < 0 ? errno : 0;
			} while (rp.e == EINTR);
			rp.call = r.call;
			rp.reply_size = r.reply_size;
			rp.reply_result = r.reply_result;
			if (rp.ret >= 4)
				memcpy(&rp.seq, buf, 4);
			break;
		case 'p':
			memset(&y, 0, sizeof(y));
			y.call = c.call;
			y.buf = (uintptr_t)out;
			y.len = c.len;
			rp.ret = ioctl(fd, KMBOX_IOC_REPLY, &y);
			rp.e = rp.ret < 0 ? errno : 0;
			if (c.flags) {
				y.len = 0;
				rp.e2 = ioctl(fd, KMBOX_IOC_REPLY, &y) < 0 ? errno : 0;
			}
			break;
		}
		wr(rep, &rp, sizeof(rp));
	}
}

static void caller_main(int fd, uint32_t seq, uint32_t flags, int64_t timeout,
			uint64_t reply_len, int rep, bool restart)
{
	static uint8_t reply[CS_MAX];
	struct caller_rep cr;
	struct kmbox_call c;
	uint8_t req[8];
	long i;

	set_handlers(restart);
	memset(&c, 0, sizeof(c));
	memset(&cr, 0, sizeof(cr));
	memcpy(req, &seq, 4);
	memset(req + 4, 0x5a, 4);
	c.flags = flags;
	c.timeout_ns = timeout;
	c.buf = (uintptr_t)req;
	c.len = sizeof(req);
	c.reply_buf = (uintptr_t)reply;
	c.reply_len = reply_len;
	cr.ret = ioctl(fd, KMBOX_IOC_CALL, &c);
	cr.e = cr.ret < 0 ? errno : 0;
	cr.result = c.result;
	cr.reply_len = c.reply_len;
	cr.pid = c.pid;
	cr.content_ok = true;
	for (i = 0; i < cr.ret; i++)
		if (reply[i] != reply_byte(seq, i))
			cr.content_ok = false;
	wr(rep, &cr, sizeof(cr));
	_exit(0);
}

/* One command to the server and its answer; false (reported) if none. */
static bool ask(int cmd, int rep, const struct srv_cmd *c, struct srv_rep *rp, int fate)
{
	wr(cmd, c, sizeof(*c));
	if (rd(rep, rp, sizeof(*rp), CS_WAIT_MS))
		return true;
	violation(C_SCENARIO, "call: %s: the server did not answer '%c' in 20 s",
		  fate_name[fate], c->op);
	return false;
}

static uint64_t calls_pending(int fd)
{
	struct kmbox_info i;

	return do_info(fd, &i) ? UINT64_MAX - 1 : i.calls_pending;
}

/*
 * Waits until the caller's request is offered (INFO counts it), or the
 * caller returned (*cr, false): failing for want of memory or quota is
 * fine, anything else is reported.
 */
static bool offered(int fd, int crep, struct caller_rep *cr, int fate)
{
	int64_t end = now_ns() + CS_WAIT_MS * MS;
	struct pollfd p = { .fd = crep, .events = POLLIN };
	struct kmbox_info i;

	while (now_ns() < end) {
		if (!do_info(fd, &i) && i.msgs)
			return true;
		if (poll(&p, 1, 1) > 0) {
			if (!rd(crep, cr, sizeof(*cr), CS_WAIT_MS))
				break;
			if (cr->e != ENOBUFS && cr->e != ENOMEM)
				violation(C_SCENARIO, "call: %s: the caller returned %ld %s before a receiver came",
					  fate_name[fate], cr->ret, ename(cr->e));
			return false;
		}
	}
	violation(C_SCENARIO, "call: %s: no request offered in 20 s", fate_name[fate]);
	return false;
}

void scenario_call(void)
{
	static const uint64_t caps[] = { 0, 1, KMBOX_CAPACITY_UNBOUNDED };
	int fate = below(F_N), afd = -1, cmd[2] = { -1, -1 }, rep[2] = { -1, -1 };
	int crep[2] = { -1, -1 }, want;
	uint64_t cap = caps[below(3)], rl = below(CS_MAX + 64), want_size;
	uint32_t seq = (uint32_t)rnd(), cflags = 0, len;
	bool port = pct(50), restart = pct(50), caller_done = false, got;
	int64_t ctimeout = 0;
	struct caller_rep cr;
	struct srv_rep rp;
	struct srv_cmd c;
	char name[64];
	pid_t server = -1, caller = -1;

	if (pipe2(cmd, O_CLOEXEC) || pipe2(rep, O_CLOEXEC) || pipe2(crep, O_CLOEXEC))
		goto out;
	snprintf(name, sizeof(name), "fzc-%08" PRIx64 "-%d-%ld-%u",
		 opt.seed & 0xffffffff, (int)mypid, (long)syscall(SYS_gettid), seq);
	if (!port) {
		struct kmbox_create cr0 = {
			.flags = KMBOX_FD_CLOEXEC | KMBOX_CREATE_EXCL |
				 (pct(50) ? KMBOX_CREATE_SELECT : 0),
			.access = KMBOX_ACCESS_ALL, .capacity = cap,
			.max_msg_size = CS_MAX, .mode = 0600, .name = (uintptr_t)name,
		};

		afd = ioctl(ctl, KMBOX_IOC_CREATE, &cr0);
		if (afd < 0)
			goto out;
	}
	server = sc_fork();
	if (server < 0)
		goto out;
	if (server == 0)
		server_main(port, name, cap, cmd[0], rep[1]);
	stat_add(ST_SCENARIOS, 1);
	if (!rd(rep[0], &rp, sizeof(rp), CS_WAIT_MS)) {
		violation(C_SCENARIO, "call: the server did not start in 20 s");
		goto out;
	}
	if (!port) {
		struct kmbox_unlink u = { .name = (uintptr_t)name };

		ioctl(ctl, KMBOX_IOC_UNLINK, &u);
	}
	if (rp.ret < 0)
		goto out;	/* ENOSPC, EMFILE...: others' doing */
	if (port) {
		struct kmbox_port_open po = {
			.flags = KMBOX_FD_CLOEXEC, .access = KMBOX_ACCESS_SEND,
			.pid = server, .port = rp.call,
		};

		afd = ioctl(ctl, KMBOX_IOC_PORT_OPEN, &po);
		if (afd < 0) {
			if (errno != EMFILE && errno != ENFILE && errno != ENOMEM)
				violation(C_SCENARIO, "call: PORT_OPEN of the server's port %llu: %s",
					  (unsigned long long)rp.call, ename(errno));
			goto out;
		}
	}

	/* The caller: timed out soon, or waiting as long as it takes. */
	if (fate == F_TIMEOUT) {
		cflags = KMBOX_MSG_TIMEOUT;
		ctimeout = below(2 * MS);
	} else if (pct(50)) {
		cflags = KMBOX_MSG_TIMEOUT;
		ctimeout = 25 * SEC;
	}
	caller = sc_fork();
	if (caller < 0)
		goto out;
	if (caller == 0)
		caller_main(afd, seq, cflags, ctimeout, rl, crep[1], restart);

	/*
	 * The server takes it, once it is offered (else the caller failed:
	 * the byte quota, lowered by the coordinator, is others' doing).
	 */
	if (fate != F_TIMEOUT && !offered(afd, crep[0], &cr, fate))
		goto out;
	memset(&c, 0, sizeof(c));
	c.op = 'r';
	c.flags = KMBOX_MSG_TIMEOUT | (fate == F_NOCALL ? 0 : KMBOX_RECV_CALL);
	c.timeout = fate == F_TIMEOUT ? (int64_t)below(3 * MS) : CS_WAIT_MS * MS;
	if (!ask(cmd[1], rep[0], &c, &rp, fate))
		goto out;
	got = rp.ret >= 0;
	want_size = rl < CS_MAX ? rl : CS_MAX;
	if (got && (rp.ret != 8 || rp.seq != seq || !rp.call != (fate == F_NOCALL) ||
		    rp.reply_size != (fate == F_NOCALL ? 0 : want_size))) {
		violation(C_SCENARIO, "call: %s: the server received %ld bytes seq %u (sent %u) call %llu reply_size %u (caller's %llu)",
			  fate_name[fate], rp.ret, rp.seq, seq, (unsigned long long)rp.call,
			  rp.reply_size, (unsigned long long)rl);
		goto out;
	}
	if (!got && fate != F_TIMEOUT) {
		violation(C_SCENARIO, "call: %s: the server's receive: %s", fate_name[fate],
			  ename(rp.e));
		goto out;
	}
	if (got && fate != F_TIMEOUT && calls_pending(afd) != (fate == F_NOCALL ? 0 : 1))
		violation(C_SCENARIO, "call: %s: one call taken, INFO says %llu pending",
			  fate_name[fate], (unsigned long long)calls_pending(afd));

	/* The fate. */
	memset(&c, 0, sizeof(c));
	c.op = 'p';
	c.call = rp.call;
	c.seq = seq;
	c.flags = 1;	/* reply twice: the second finds the id spent */
	len = below(want_size + 1);
	c.len = len;
	want = -1;	/* the reply's errno, -1: no reply */
	switch (fate) {
	case F_REPLY:
		if (want_size < CS_MAX && pct(50)) {
			/* Too long for the caller: EMSGSIZE, still pending. */
			c.len = want_size + 1;
			c.flags = 0;
			if (!ask(cmd[1], rep[0], &c, &rp, fate))
				goto out;
			if (rp.e != EMSGSIZE)
				violation(C_SCENARIO, "call: a reply of %u bytes to a caller's %llu: %s, expected EMSGSIZE",
					  c.len, (unsigned long long)want_size, ename(rp.e));
			c.len = len;
			c.flags = 1;
		}
		want = 0;
		break;
	case F_RECV_REPLY:
		c.op = 'R';
		c.flags = KMBOX_MSG_NONBLOCK;
		if (!ask(cmd[1], rep[0], &c, &rp, fate))
			goto out;
		if (rp.reply_result != 0 || rp.e != EAGAIN)
			violation(C_SCENARIO, "call: RECV_REPLY: reply_result %d, receive %s, expected 0 and EAGAIN",
				  rp.reply_result, rp.ret >= 0 ? "a message" : ename(rp.e));
		want = -1;
		break;
	case F_KILL:
		sc_kill(caller);
		caller = -1;
		want = ECONNRESET;
		break;
	case F_SIGNAL:
		kill(caller, SIGUSR1);
		want = ECONNRESET;
		break;
	case F_TIMEOUT:
		want = got ? ECONNRESET : -1;
		break;
	case F_EXIT:
		if (pct(50)) {
			c.op = 'q';
			wr(cmd[1], &c, sizeof(c));
		} else {
			kill(server, SIGKILL);
		}
		if (sc_wait(server, CS_WAIT_MS) < 0)
			violation(C_SCENARIO, "call: the server did not exit in 20 s");
		server = -1;
		break;
	case F_DESTROY:
		if (ioctl(afd, KMBOX_IOC_DESTROY, 0))
			violation(C_SCENARIO, "call: DESTROY: %s", ename(errno));
		want = EIDRM;
		break;
	}

	/* The caller's account, once it gave up (if it did) ... */
	if (caller > 0) {
		if (want == ECONNRESET || fate >= F_EXIT || fate == F_TIMEOUT) {
			if (!rd(crep[0], &cr, sizeof(cr), CS_WAIT_MS)) {
				violation(C_SCENARIO, "call: %s: the caller did not return in 20 s",
					  fate_name[fate]);
				goto out;
			}
			caller_done = true;
		}
	}
	/* ... the server's reply ... */
	if (want >= 0 && server > 0) {
		c.op = 'p';
		if (!ask(cmd[1], rep[0], &c, &rp, fate))
			goto out;
		if (rp.e != want || rp.e2 != (want == EIDRM ? EIDRM : ENOENT))
			violation(C_SCENARIO, "call: %s: the server's reply: %s, then %s; expected %s, then %s",
				  fate_name[fate], ename(rp.e), ename(rp.e2), ename(want),
				  ename(want == EIDRM ? EIDRM : ENOENT));
	}
	/* ... and the caller's, once answered. */
	if (caller > 0 && !caller_done) {
		if (!rd(crep[0], &cr, sizeof(cr), CS_WAIT_MS)) {
			violation(C_SCENARIO, "call: %s: the caller did not return in 20 s",
				  fate_name[fate]);
			goto out;
		}
		caller_done = true;
	}
	if (caller_done) {
		bool rcvd = cr.result & KMBOX_CALL_RECEIVED, ok;

		switch (fate) {
		case F_REPLY:
		case F_RECV_REPLY:
			ok = cr.ret == (long)len && rcvd && cr.reply_len == len && cr.content_ok &&
			     cr.pid == server;
			break;
		case F_SIGNAL:
			ok = cr.e == EINTR && rcvd;
			break;
		case F_TIMEOUT:
			ok = (cr.e == ETIMEDOUT && rcvd == got) ||
			     (!got && (cr.e == ENOBUFS || cr.e == ENOMEM));
			break;
		case F_EXIT:
			ok = (cr.e == ECONNRESET || (port && cr.e == EIDRM)) && rcvd;
			break;
		case F_DESTROY:
			ok = cr.e == EIDRM && rcvd;
			break;
		default:	/* F_NOCALL */
			ok = cr.e == ECONNRESET && rcvd;
			break;
		}
		if (!ok)
			violation(C_SCENARIO, "call: %s%s (%s, cap %llu): the caller got %ld %s result %#x reply_len %llu pid %d (server %d)%s",
				  fate_name[fate], restart ? ", SA_RESTART" : "",
				  port ? "port" : "named", (unsigned long long)cap, cr.ret,
				  cr.ret < 0 ? ename(cr.e) : "", cr.result,
				  (unsigned long long)cr.reply_len, cr.pid, (int)server,
				  cr.content_ok ? "" : ", reply corrupt");
		else
			stat_add(ST_DELIVERIES, 1);
	}
	if (calls_pending(afd) != 0)
		violation(C_SCENARIO, "call: %s: afterwards INFO says %llu calls pending",
			  fate_name[fate], (unsigned long long)calls_pending(afd));
out:
	if (server > 0) {
		memset(&c, 0, sizeof(c));
		c.op = 'q';
		if (cmd[1] >= 0)
			wr(cmd[1], &c, sizeof(c));
		if (sc_wait(server, CS_WAIT_MS) < 0)
			sc_kill(server);
	}
	if (caller > 0 && sc_wait(caller, CS_WAIT_MS) < 0)
		sc_kill(caller);
	for (int i = 0; i < 2; i++) {
		if (cmd[i] >= 0)
			close(cmd[i]);
		if (rep[i] >= 0)
			close(rep[i]);
		if (crep[i] >= 0)
			close(crep[i]);
	}
	if (afd >= 0)
		close(afd);
}
