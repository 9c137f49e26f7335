// SPDX-License-Identifier: GPL-2.0
/*
 * bench: messages per second, one sending process and one receiving
 * process, 64-byte messages: libipc (the backend in use, or the one
 * LIBIPC_BACKEND forces) at each capacity, against a pipe carrying 64-byte
 * records.  Not a test: numbers to look at.
 *
 * usage: bench [messages]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "ipc.h"

#define MSG 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_full(int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

static double bench_pipe(long n)
{
	char buf[MSG] = { 0 };
	int p[2], status;
	double t0, t;
	pid_t pid;
	long i;

	if (pipe(p))
		return -1;
	t0 = now();
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (i = 0; i < n; i++)
			if (write(p[1], buf, MSG) != MSG)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	for (i = 0; i < n; i++)
		if (read_full(p[0], buf, MSG))
			return -1;
	t = now() - t0;
	close(p[0]);
	waitpid(pid, &status, 0);
	return status ? -1 : n / t;
}

static double bench_ipc(long n, uint64_t capacity)
{
	struct ipc_attr a = { .capacity = capacity, .max_msg_size = MSG, .mode = 0600 };
	struct ipc_mbox *mb;
	char buf[MSG] = { 0 };
	double t0, t;
	int status, ret;
	pid_t pid;
	long i;

	ret = ipc_create(NULL, &a, IPC_RECV | IPC_SEND, &mb);
	if (ret) {
		fprintf(stderr, "bench: ipc_create: %s\n", strerror(-ret));
		return -1;
	}
	t0 = now();
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < n; i++)
			if (ipc_send(mb, buf, MSG, NULL, 0))
				_exit(1);
		_exit(0);
	}
	for (i = 0; i < n; i++)
		if (ipc_recv(mb, buf, MSG, NULL, 0, NULL) != MSG)
			return -1;
	t = now() - t0;
	waitpid(pid, &status, 0);
	ipc_release(mb);
	return status ? -1 : n / t;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	const char *be = ipc_backend();

	if (!be) {
		fprintf(stderr, "bench: no libipc backend\n");
		return 1;
	}
	printf("%ld messages of %d bytes, one sender process, one receiver process\n", n, MSG);
	printf("  pipe                        %12.0f msgs/s\n", bench_pipe(n));
	printf("  libipc %-6s bounded 1024  %12.0f msgs/s\n", be, bench_ipc(n, 1024));
	printf("  libipc %-6s bounded 16    %12.0f msgs/s\n", be, bench_ipc(n, 16));
	printf("  libipc %-6s unbounded     %12.0f msgs/s\n", be, bench_ipc(n, IPC_UNBOUNDED));
	printf("  libipc %-6s rendezvous    %12.0f msgs/s\n", be, bench_ipc(n / 10, 0));
	return 0;
}
