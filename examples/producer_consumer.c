// SPDX-License-Identifier: MIT
/*
 * producer_consumer: a bounded mailbox between two processes.
 *
 * The producer makes items faster than the consumer takes them; the
 * mailbox holds at most 4, so the producer waits whenever it is full.
 * When it is done it closes the mailbox (Go-style): the consumer drains
 * what is left and then gets EPIPE.  Exits 0 if every item arrived, in
 * order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipc.h>

#define ITEMS 20

static int consumer(struct ipc_mbox *mb)
{
	char buf[64];
	ssize_t n;
	int next = 0, item;

	/* Blocking receives until the producer closes and all is drained. */
	while ((n = ipc_recv(mb, buf, sizeof(buf) - 1, NULL, 0, NULL)) >= 0) {
		buf[n] = '\0';
		printf("consumer: got \"%s\"\n", buf);
		item = -1;
		if (strncmp(buf, "item ", 5) == 0) {
			char *end;
			long v = strtol(buf + 5, &end, 10);

			if (end != buf + 5 && !*end)
				item = (int)v;
		}
		if (item != next) {
			fprintf(stderr, "consumer: expected item %d\n", next);
			return 1;
		}
		next++;
		usleep(2000);	/* a slow consumer: the queue fills up */
	}
	if (n != -EPIPE) {
		fprintf(stderr, "consumer: %s\n", strerror((int)-n));
		return 1;
	}
	printf("consumer: closed and drained after %d items\n", next);
	return next == ITEMS ? 0 : 1;
}

int main(void)
{
	struct ipc_attr attr = { .capacity = 4, .max_msg_size = 64, .mode = 0600 };
	struct ipc_info info;
	struct ipc_mbox *mb;
	char buf[64];
	int i, ret, status;
	pid_t pid;

	/* Anonymous: the child inherits the handle through fork. */
	ret = ipc_create(NULL, &attr, IPC_SEND | IPC_RECV, &mb);
	if (ret) {
		fprintf(stderr, "ipc_create: %s\n", strerror(-ret));
		return 1;
	}
	/* Children end with _exit(): nothing may wait in a stdio buffer. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("backend: %s\n", ipc_backend());
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(consumer(mb));

	for (i = 0; i < ITEMS; i++) {
		snprintf(buf, sizeof(buf), "item %d", i);
		ret = ipc_send(mb, buf, strlen(buf), NULL, 0);
		if (ret) {
			fprintf(stderr, "ipc_send: %s\n", strerror(-ret));
			break;
		}
		if (ipc_info(mb, &info) == 0 && info.msgs == attr.capacity)
			printf("producer: queue full (%llu items)\n",
			       (unsigned long long)info.msgs);
	}
	ipc_close(mb);		/* no more items: the consumer drains and stops */
	waitpid(pid, &status, 0);
	ipc_release(mb);
	ret = !ret && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
	printf("producer_consumer: %s\n", ret ? "FAILED" : "ok");
	return ret;
}
