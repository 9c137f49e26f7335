// SPDX-License-Identifier: MIT
/*
 * pingpong: two processes meet at rendezvous mailboxes.
 *
 * With capacity 0 nothing is ever queued: a send returns only once the
 * other side has taken the message, so each "ping" is also a proof that
 * the other process got it.  Exits 0 after ROUNDS round trips.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ipc.h>

#define ROUNDS 1000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ponger(struct ipc_mbox *ping, struct ipc_mbox *pong)
{
	int round;

	/* Each ping answered with the same number; EPIPE at the end. */
	while (ipc_recv(ping, &round, sizeof(round), NULL, 0, NULL) == sizeof(round))
		if (ipc_send(pong, &round, sizeof(round), NULL, 0))
			return 1;
	return 0;
}

int main(void)
{
	struct ipc_attr rendezvous = { .capacity = 0, .mode = 0600 };
	struct ipc_mbox *ping, *pong;
	int i, got, status, ret;
	double t0;
	pid_t pid;

	ret = ipc_create(NULL, &rendezvous, IPC_SEND | IPC_RECV, &ping);
	if (!ret)
		ret = ipc_create(NULL, &rendezvous, IPC_SEND | IPC_RECV, &pong);
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
		_exit(ponger(ping, pong));

	/* Nobody is waiting yet, or maybe already: either way, no queueing. */
	t0 = now();
	for (i = 0; i < ROUNDS; i++) {
		ret = ipc_send(ping, &i, sizeof(i), NULL, 0);
		if (!ret)
			ret = ipc_recv(pong, &got, sizeof(got), NULL, 0, NULL) == sizeof(got) &&
			      got == i ? 0 : -1;
		if (ret) {
			fprintf(stderr, "round %d failed\n", i);
			break;
		}
	}
	if (!ret)
		printf("%d round trips, %.1f us each\n", ROUNDS, (now() - t0) / ROUNDS * 1e6);
	ipc_close(ping);	/* the ponger's receive fails with EPIPE: it stops */
	waitpid(pid, &status, 0);
	ipc_release(ping);
	ipc_release(pong);
	ret = !ret && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
	printf("pingpong: %s\n", ret ? "FAILED" : "ok");
	return ret;
}
