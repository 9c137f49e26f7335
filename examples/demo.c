// SPDX-License-Identifier: MIT
/*
 * kmbox demo: mailboxes at work, across processes, with timestamps.
 *
 * Written against libipc, so it plays on either backend: 'make demo' runs
 * it in the test VM with kmbox.ko loaded (kernel backend), then on this
 * machine with LIBIPC_BACKEND=posix.  Every scene is a few processes
 * sharing one mailbox; each line says who did what and when, and twice
 * "kmbox ls" shows the mailboxes while processes are blocked in them.
 *
 * The tool is $KMBOX if set, else the kmbox next to this program, else
 * ../tools/kmbox, else kmbox on the PATH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ipc.h>

static struct timespec t0;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
}

static void say(const char *who, const char *fmt, ...)
{
	va_list ap;

	printf("  [%7.3fs] %-10s ", now(), who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void die(const char *what, int ret)
{
	fprintf(stderr, "demo: %s: %s\n", what, strerror(-ret));
	exit(1);
}

/* A mailbox both ways; named ones are made afresh. */
static struct ipc_mbox *mbox(const char *name, uint64_t capacity, uint32_t size)
{
	struct ipc_attr a = {
		.capacity = capacity, .max_msg_size = size, .mode = 0600,
		.flags = name ? IPC_EXCL : 0,
	};
	struct ipc_mbox *mb;
	int ret;

	if (name)
		ipc_unlink(name);	/* a leftover of an interrupted run */
	ret = ipc_create(name, &a, IPC_RECV | IPC_SEND, &mb);
	if (ret)
		die("create", ret);
	return mb;
}

static int send_str(struct ipc_mbox *mb, const char *text, const struct ipc_wait *w)
{
	return ipc_send(mb, text, strlen(text), w, 0);
}

/* Receive a string: its length, or -errno. */
static ssize_t recv_str(struct ipc_mbox *mb, char *buf, size_t size, pid_t *pid)
{
	struct ipc_msginfo mi;
	ssize_t n = ipc_recv(mb, buf, size - 1, NULL, 0, &mi);

	if (n >= 0) {
		buf[n] = '\0';
		if (pid)
			*pid = mi.pid;
	}
	return n;
}

static struct ipc_info info(struct ipc_mbox *mb)
{
	struct ipc_info i;
	int ret = ipc_info(mb, &i);

	if (ret)
		die("info", ret);
	return i;
}

static void wait_all(void)
{
	while (wait(NULL) > 0)
		;
}

static pid_t child(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork", -errno);
	return pid;
}

static void scene(const char *title)
{
	printf("\n== %s\n", title);
	fflush(stdout);
}

/* ---- the kmbox tool, shown live ------------------------------------------ */

static const char *tool_path(void)
{
	static const char *const rel[] = { "kmbox", "../tools/kmbox" };
	static char path[PATH_MAX];
	char self[PATH_MAX - 32], *slash;
	ssize_t n;
	size_t i;

	if (getenv("KMBOX"))
		return getenv("KMBOX");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", self, rel[i]);
			if (!access(path, X_OK))
				return path;
		}
	}
	return "kmbox";
}

/* Run "kmbox ARGS..." now and show its output, indented. */
static void show_tool(const char *args)
{
	char cmd[PATH_MAX + 64], line[512];
	FILE *p;

	printf("             $ kmbox %s\n", args);
	snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", tool_path(), args);
	fflush(stdout);
	/* The command is the kmbox tool next to this program, quoted. */
	p = popen(cmd, "r");	/* NOLINT(cert-env33-c) */
	if (!p) {
		printf("             (cannot run %s)\n", tool_path());
		return;
	}
	while (fgets(line, sizeof(line), p))
		printf("             %s", line);
	if (pclose(p))
		printf("             (%s failed: is it built? make tools)\n", tool_path());
	fflush(stdout);
}

/* ---- the scenes ---------------------------------------------------------------- */

static void rendezvous(void)
{
	struct ipc_mbox *mb;
	char buf[64];
	pid_t from = 0;

	scene("rendezvous (capacity 0): the sender waits for a receiver");
	mb = mbox(NULL, 0, 64);
	if (child() == 0) {
		double t = now();

		say("sender", "sends \"ping\" and blocks");
		send_str(mb, "ping", NULL);
		say("sender", "returned: taken by a receiver after %.3fs", now() - t);
		_exit(0);
	}
	while (info(mb).senders_waiting == 0)
		usleep(1000);
	say("receiver", "sees 1 sender blocked; sleeps 0.5s before receiving");
	usleep(500000);
	recv_str(mb, buf, sizeof(buf), &from);
	say("receiver", "got \"%s\" from pid %d", buf, from);
	wait_all();
	ipc_release(mb);
}

static void bounded(void)
{
	struct ipc_mbox *mb;
	char buf[64], text[32];
	int i;

	scene("bounded (capacity 2): the producer blocks while it is full");
	mb = mbox("demo-bounded", 2, 64);
	if (child() == 0) {
		for (i = 1; i <= 4; i++) {
			double t = now();

			snprintf(text, sizeof(text), "item %d", i);
			send_str(mb, text, NULL);
			say("producer", "queued \"%s\" (waited %.3fs)", text, now() - t);
		}
		_exit(0);
	}
	while (info(mb).senders_waiting == 0)
		usleep(1000);
	say("consumer", "queue holds %llu, producer blocked; the kmbox tool shows it:",
	    (unsigned long long)info(mb).msgs);
	show_tool("ls");
	for (i = 0; i < 4; i++) {
		usleep(300000);
		recv_str(mb, buf, sizeof(buf), NULL);
		say("consumer", "took \"%s\"", buf);
	}
	wait_all();
	ipc_unlink("demo-bounded");
	ipc_release(mb);
}

static void unbounded(void)
{
	static char big[8192], buf[8192];
	unsigned long sent = 0, got = 0;
	struct ipc_mbox *mb;
	int ret;

	scene("unbounded: never waits; the byte quota says ENOBUFS");
	mb = mbox(NULL, IPC_UNBOUNDED, sizeof(big));
	memset(big, 'x', sizeof(big));
	while ((ret = ipc_send(mb, big, sizeof(big), IPC_WAIT_NONE, 0)) == 0)
		sent++;
	say("sender", "queued %lu messages of 8 KiB (%.1f MiB) without waiting,",
	    sent, (double)sent * 8192.0 / (1 << 20));
	if (ret == -ENOBUFS)
		say("sender", "then ENOBUFS at once: %s", strcmp(ipc_backend(), "kernel") ?
		    "the mailbox's byte quota (LIBIPC_POSIX_QUOTA)" :
		    "the user's byte quota (max_bytes_per_user)");
	else
		say("sender", "then: %s", strerror(-ret));
	while (ipc_recv(mb, buf, sizeof(buf), IPC_WAIT_NONE, 0, NULL) == sizeof(buf))
		got++;
	say("receiver", "received %lu of %lu: nothing queued was lost", got, sent);
	ipc_release(mb);
}

static void shared(void)
{
	int pipefd[2], i, k, seen[30] = { 0 }, total = 0;
	unsigned long long queued;
	struct ipc_mbox *mb;
	char buf[64];

	scene("three receivers share one mailbox: each message taken once; close drains");
	mb = mbox("demo-shared", 4, 64);
	if (pipe(pipefd))
		die("pipe", -errno);
	for (i = 0; i < 3; i++) {
		if (child() == 0) {
			ssize_t ret;
			int n = 0;

			close(pipefd[0]);
			while ((ret = recv_str(mb, buf, sizeof(buf), NULL)) >= 0) {
				k = (int)strtol(buf + 4, NULL, 10);
				if (write(pipefd[1], &k, sizeof(k)) != sizeof(k))
					_exit(1);
				n++;
				usleep(10000);		/* slower than the sender */
			}
			say("receiver", "%d (pid %d) got %2d messages, then %s", i + 1,
			    getpid(), n, ret == -EPIPE ? "EPIPE: closed and drained" :
			    strerror((int)-ret));
			_exit(0);
		}
	}
	close(pipefd[1]);
	for (i = 0; i < 30; i++) {
		snprintf(buf, sizeof(buf), "msg %d", i);
		send_str(mb, buf, NULL);
	}
	ipc_close(mb);
	queued = info(mb).msgs;
	say("sender", "sent 30 messages and closed the mailbox, %llu still queued",
	    (unsigned long long)queued);
	while (read(pipefd[0], &k, sizeof(k)) == sizeof(k))
		if (k >= 0 && k < 30 && !seen[k]++)
			total++;
	wait_all();
	say("check", "%d distinct messages received, %s", total,
	    total == 30 ? "each exactly once" : "MISMATCH");
	ipc_destroy(mb);
	ipc_release(mb);
	close(pipefd[0]);
}

static void destroy(void)
{
	struct ipc_mbox *mb;
	char buf[64];
	int i;

	scene("destroy wakes every waiter with EIDRM");
	mb = mbox("demo-destroy", 1, 64);
	for (i = 0; i < 3; i++) {
		if (child() == 0) {
			ssize_t ret = recv_str(mb, buf, sizeof(buf), NULL);

			say("receiver", "%d woke: %s", i + 1, strerror((int)-ret));
			_exit(0);
		}
	}
	while (info(mb).receivers_waiting < 3)
		usleep(1000);
	say("owner", "3 receivers blocked, as kmbox shows; destroying the mailbox");
	show_tool("ls");
	ipc_destroy(mb);
	wait_all();
	ipc_release(mb);
}

/*
 * Direct communication and RPC: the parent opens a port; a child, knowing
 * only its pid and port id, sends to it (send(P)) and then calls it; the
 * parent receives from that child only (receive(Q)) and answers the call.
 */
static void direct(void)
{
	struct ipc_recvopt opt = { 0 };
	struct ipc_mbox *port, *srv;
	struct ipc_callinfo ci;
	struct ipc_msginfo mi;
	char buf[64], reply[64];
	uint64_t id;
	pid_t client;
	ssize_t n;
	int ret;

	scene("direct communication and RPC: send(P), receive(Q), call and reply");
	ret = ipc_port_create(NULL, &port, &id);
	if (ret) {
		say("server", "no port: %s", strerror(-ret));
		return;
	}
	say("server", "pid %d opened port %llu", getpid(), (unsigned long long)id);
	client = child();
	if (client == 0) {
		double t;

		ipc_send_to(getppid(), id, "hello, P", 8, NULL, 0);
		say("client", "sent \"hello, P\" to pid %d, port %llu", getppid(),
		    (unsigned long long)id);
		if (ipc_port_open(getppid(), id, &srv))
			_exit(1);
		t = now();
		n = ipc_call(srv, "6*7", 3, reply, sizeof(reply) - 1, NULL, 0, &ci);
		if (n >= 0) {
			reply[n] = '\0';
			say("client", "call \"6*7\" returned \"%s\" from pid %d in %.3fs",
			    reply, ci.pid, now() - t);
		} else {
			say("client", "call failed: %s", strerror((int)-n));
			ipc_send(srv, "", 0, NULL, 0);	/* not to leave the server waiting */
		}
		_exit(0);
	}
	opt.flags = IPC_SEL_FROM;
	opt.from = client;
	n = ipc_recv_opt(port, buf, sizeof(buf) - 1, NULL, 0, &mi, &opt);
	if (n >= 0) {
		buf[n] = '\0';
		say("server", "receive(Q = %d): \"%s\"", client, buf);
	}
	memset(&opt, 0, sizeof(opt));
	opt.flags = IPC_SEL_CALLS;
	n = ipc_recv_opt(port, buf, sizeof(buf) - 1, NULL, 0, &mi, &opt);
	if (n >= 0 && opt.call) {
		buf[n] = '\0';
		say("server", "took call \"%s\" from pid %d; %llu call pending; replies \"42\"",
		    buf, mi.pid, (unsigned long long)info(port).calls_pending);
		ret = ipc_reply(port, opt.call, "42", 2);
		if (ret)
			say("server", "reply: %s", strerror(-ret));
	} else if (n < 0) {
		say("server", "no call: %s", strerror((int)-n));
	}
	wait_all();
	ipc_release(port);
}

int main(void)
{
	const char *backend;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	backend = ipc_backend();
	if (!backend) {
		struct ipc_mbox *mb;

		die("no libipc backend", ipc_create(NULL, NULL, IPC_RECV, &mb));
	}
	printf("kmbox demo: processes talking through mailboxes (libipc, %s backend)\n",
	       backend);
	rendezvous();
	bounded();
	unbounded();
	shared();
	destroy();
	direct();
	printf("\ndemo done\n");
	return 0;
}
