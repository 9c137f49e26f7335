// SPDX-License-Identifier: MIT
/*
 * worker_pool: one dispatcher, several worker processes, a named mailbox.
 *
 * The dispatcher puts jobs into a bounded mailbox "jobs"; each worker
 * opens it by name and takes jobs until the dispatcher closes it.  Each
 * job is taken by exactly one worker, whoever is free first; the workers
 * report to an unbounded "results" mailbox, and the receiver learns who
 * sent each result from the message's credentials.  Exits 0 if every job
 * was done exactly once.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipc.h>

#define WORKERS 4
#define JOBS 40

struct job { int id; int n; };
struct result { int id; long square; };

static int worker(const char *jobs_name, struct ipc_mbox *results)
{
	struct ipc_mbox *jobs;
	struct result r;
	struct job j;
	int done = 0;

	/* A worker could be any program: it finds the mailbox by name. */
	if (ipc_open(jobs_name, IPC_RECV, &jobs))
		return 1;
	while (ipc_recv(jobs, &j, sizeof(j), NULL, 0, NULL) == sizeof(j)) {
		r.id = j.id;
		r.square = (long)j.n * j.n;
		usleep(1000 * (j.id % 3));	/* some jobs take longer */
		if (ipc_send(results, &r, sizeof(r), NULL, 0))
			return 1;
		done++;
	}
	ipc_release(jobs);
	printf("worker %d: %d jobs\n", (int)getpid(), done);
	return 0;
}

int main(void)
{
	struct ipc_attr jobs_attr = { .capacity = 8, .mode = 0600 };
	struct ipc_attr results_attr = { .capacity = IPC_UNBOUNDED, .mode = 0600 };
	struct ipc_mbox *jobs, *results;
	int seen[JOBS] = { 0 }, i, ret, status, bad = 0;
	pid_t pids[WORKERS];
	struct ipc_msginfo mi;
	struct result r;
	char name[64];

	snprintf(name, sizeof(name), "worker-pool-%d", (int)getpid());
	ret = ipc_create(name, &jobs_attr, IPC_SEND, &jobs);
	if (!ret)
		ret = ipc_create(NULL, &results_attr, IPC_SEND | IPC_RECV, &results);
	if (ret) {
		fprintf(stderr, "ipc_create: %s\n", strerror(-ret));
		return 1;
	}
	/* Children end with _exit(): nothing may wait in a stdio buffer. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("backend: %s\n", ipc_backend());
	for (i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(worker(name, results));
	}
	for (i = 0; i < JOBS; i++) {
		struct job j = { .id = i, .n = i + 1 };

		if (ipc_send(jobs, &j, sizeof(j), NULL, 0))
			bad++;
	}
	ipc_close(jobs);	/* workers finish what is queued, then stop */
	ipc_unlink(name);	/* the name is not needed any more */

	for (i = 0; i < JOBS; i++) {
		if (ipc_recv(results, &r, sizeof(r), IPC_WAIT_NS(10000000000LL), 0, &mi) !=
		    sizeof(r) || r.id < 0 || r.id >= JOBS ||
		    r.square != (long)(r.id + 1) * (r.id + 1)) {
			bad++;
			break;
		}
		seen[r.id]++;
		if (i % 10 == 0)
			printf("result of job %d from worker %d\n", r.id, (int)mi.pid);
	}
	for (i = 0; i < WORKERS; i++) {
		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	for (i = 0; i < JOBS; i++)
		if (seen[i] != 1) {
			fprintf(stderr, "job %d done %d times\n", i, seen[i]);
			bad++;
		}
	ipc_release(jobs);
	ipc_release(results);
	printf("worker_pool: %s\n", bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}
