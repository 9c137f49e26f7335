// SPDX-License-Identifier: MIT
/*
 * kmbox demo: mailboxes at work, across processes, with timestamps.
 *
 * Runs in the test VM (make demo) with kmbox.ko loaded.  Every scene is a
 * few processes sharing one mailbox; each line says who did what and when.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kmbox.h>

static int ctl;
static struct timespec t0;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
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

static void die(const char *what)
{
	fprintf(stderr, "demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int mbox(uint64_t capacity, const char *name)
{
	struct kmbox_create c = {
		.access = KMBOX_ACCESS_ALL, .capacity = capacity, .mode = 0600,
		.name = (uintptr_t)name,
	};
	int fd = ioctl(ctl, KMBOX_IOC_CREATE, &c);

	if (fd < 0)
		die("create");
	return fd;
}

static int send_msg(int fd, const char *text, uint32_t flags)
{
	struct kmbox_send s = {
		.flags = flags, .buf = (uintptr_t)text, .len = strlen(text),
	};

	return ioctl(fd, KMBOX_IOC_SEND, &s) ? -errno : 0;
}

static int recv_msg(int fd, char *buf, size_t size, pid_t *pid)
{
	struct kmbox_recv r = { .buf = (uintptr_t)buf, .len = size - 1 };
	int n = ioctl(fd, KMBOX_IOC_RECV, &r);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (pid)
		*pid = r.pid;
	return n;
}

static struct kmbox_info info(int fd)
{
	struct kmbox_info i = { 0 };

	if (ioctl(fd, KMBOX_IOC_INFO, &i))
		die("info");
	return i;
}

static void wait_all(void)
{
	while (wait(NULL) > 0)
		;
}

static void scene(const char *title)
{
	printf("\n== %s\n", title);
	fflush(stdout);
}

static void rendezvous(void)
{
	char buf[64];
	pid_t from;
	int fd;

	scene("rendezvous (capacity 0): the sender waits for a receiver");
	fd = mbox(0, NULL);
	if (fork() == 0) {
		double t = now();

		say("sender", "sends \"ping\" and blocks");
		send_msg(fd, "ping", 0);
		say("sender", "returned: taken by a receiver after %.3fs", now() - t);
		_exit(0);
	}
	while (info(fd).senders_waiting == 0)
		usleep(1000);
	say("receiver", "sees 1 sender blocked; sleeps 0.5s before receiving");
	usleep(500000);
	recv_msg(fd, buf, sizeof(buf), &from);
	say("receiver", "got \"%s\" from pid %d", buf, from);
	wait_all();
	close(fd);
}

static void bounded(void)
{
	char buf[64], text[32];
	int fd, i;

	scene("bounded (capacity 2): the producer blocks while it is full");
	fd = mbox(2, NULL);
	if (fork() == 0) {
		for (i = 1; i <= 4; i++) {
			double t = now();

			snprintf(text, sizeof(text), "item %d", i);
			send_msg(fd, text, 0);
			say("producer", "queued \"%s\" (waited %.3fs)", text, now() - t);
		}
		_exit(0);
	}
	while (info(fd).senders_waiting == 0)
		usleep(1000);
	say("consumer", "queue holds %llu, producer blocked; draining slowly",
	    (unsigned long long)info(fd).msgs);
	for (i = 0; i < 4; i++) {
		usleep(300000);
		recv_msg(fd, buf, sizeof(buf), NULL);
		say("consumer", "took \"%s\"", buf);
	}
	wait_all();
	close(fd);
}

static void unbounded(void)
{
	struct kmbox_limits l = { 0 };
	char big[8192], buf[8192];
	unsigned long sent = 0, got = 0;
	int fd, ret;

	scene("unbounded: never waits; the per-user byte quota says ENOBUFS");
	if (ioctl(ctl, KMBOX_IOC_LIMITS, &l))
		die("limits");
	fd = mbox(KMBOX_CAPACITY_UNBOUNDED, NULL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	while ((ret = send_msg(fd, big, KMBOX_MSG_NONBLOCK)) == 0)
		sent++;
	say("sender", "queued %lu messages of 8 KiB, then: %s (quota %llu bytes)",
	    sent, strerror(-ret), (unsigned long long)l.max_bytes_per_user);
	while (recv_msg(fd, buf, sizeof(buf), NULL) > 0 && ++got < sent)
		;
	say("receiver", "received %lu of %lu: nothing queued was lost", got, sent);
	close(fd);
}

static void shared(void)
{
	int fd, pipefd[2], i, seen[30] = { 0 }, total = 0;
	char buf[64];

	scene("three receivers share one mailbox: each message is taken once");
	fd = mbox(4, "demo-shared");
	if (pipe(pipefd))
		die("pipe");
	for (i = 0; i < 3; i++) {
		if (fork() == 0) {
			int n = 0, k;

			close(pipefd[0]);
			while (recv_msg(fd, buf, sizeof(buf), NULL) > 0) {
				k = atoi(buf + 4);
				if (write(pipefd[1], &k, sizeof(k)) != sizeof(k))
					_exit(1);
				n++;
			}
			say("receiver", "%d (pid %d) got %d messages, then EPIPE",
			    i + 1, getpid(), n);
			_exit(0);
		}
	}
	close(pipefd[1]);
	for (i = 0; i < 30; i++) {
		snprintf(buf, sizeof(buf), "msg %d", i);
		send_msg(fd, buf, 0);
	}
	ioctl(fd, KMBOX_IOC_CLOSE, 0);
	say("sender", "sent 30 messages and closed the mailbox");
	while (read(pipefd[0], &i, sizeof(i)) == sizeof(i))
		if (i >= 0 && i < 30 && !seen[i]++)
			total++;
	wait_all();
	say("check", "%d distinct messages received, %s", total,
	    total == 30 ? "each exactly once" : "MISMATCH");
	ioctl(fd, KMBOX_IOC_DESTROY, 0);
	close(fd);
	close(pipefd[0]);
}

static void destroy(void)
{
	char buf[64];
	int fd, i, ret;

	scene("destroy wakes every waiter with EIDRM");
	fd = mbox(1, NULL);
	for (i = 0; i < 3; i++) {
		if (fork() == 0) {
			ret = recv_msg(fd, buf, sizeof(buf), NULL);
			say("receiver", "%d woke: %s", i + 1, strerror(-ret));
			_exit(0);
		}
	}
	while (info(fd).receivers_waiting < 3)
		usleep(1000);
	say("owner", "3 receivers blocked; destroying the mailbox");
	ioctl(fd, KMBOX_IOC_DESTROY, 0);
	wait_all();
	close(fd);
}

int main(void)
{
	clock_gettime(CLOCK_MONOTONIC, &t0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ctl = open(KMBOX_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		die(KMBOX_DEVICE);
	printf("kmbox demo: processes talking through kernel mailboxes\n");
	rendezvous();
	bounded();
	unbounded();
	shared();
	destroy();
	printf("\ndemo done\n");
	return 0;
}
