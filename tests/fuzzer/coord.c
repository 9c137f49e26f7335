// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: the coordinator: module limits, workers, the watchdog, signals,
 * unloads, statistics.
 */
#include "fuzz.h"

/* ---- the coordinator ---------------------------------------------------- */

const char *const params[] = {
	"max_msg_size", "default_msg_size", "max_capacity",
	"max_mailboxes_per_user", "max_bytes_per_user",
};
unsigned long long param_saved[ARRAY_SIZE(params)];
bool param_have[ARRAY_SIZE(params)];
int param_changed = -1;
static int64_t param_restore_at;

int param_rw(const char *name, unsigned long long *val, bool write)
{
	char path[128], text[32];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), "/sys/module/kmbox/parameters/%s", name);
	fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write) {
		n = snprintf(text, sizeof(text), "%llu\n", *val);
		if (pwrite(fd, text, n, 0) != n)
			ret = -errno;
	} else {
		n = pread(fd, text, sizeof(text) - 1, 0);
		if (n <= 0)
			ret = -EIO;
		else {
			text[n] = '\0';
			*val = strtoull(text, NULL, 10);
		}
	}
	close(fd);
	return ret;
}

void params_restore(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(params); i++)
		if (param_have[i])
			param_rw(params[i], &param_saved[i], true);
	param_changed = -1;
}

/* Lower one limit for a moment (never above what it was: memory). */
void params_tick(int64_t now)
{
	static const unsigned long long choices[][5] = {
		{ 0, 1, 64, 4096, 65536 },
		{ 0, 1, 100, 8192, 1ULL << 30 },
		{ 0, 1, 2, 4, 100 },
		{ 0, 1, 4, 16, 64 },
		{ 0, 100, 4096, 1 << 16, 1 << 20 },
	};
	unsigned long long v;
	int p;

	if (param_changed >= 0) {
		if (now >= param_restore_at) {
			param_rw(params[param_changed], &param_saved[param_changed], true);
			param_changed = -1;
		}
		return;
	}
	if (!pml(4))
		return;
	p = below(ARRAY_SIZE(params));
	if (!param_have[p])
		return;
	v = choices[p][below(5)];
	if (v > param_saved[p] && p != 1)
		v = param_saved[p];
	if (param_rw(params[p], &v, true))
		return;
	param_changed = p;
	param_restore_at = now + (int64_t)range(20 * MS, SEC);
	stat_add(ST_PARAMS, 1);
}


struct worker workers[MAX_PROCS];
static int printed;

void drain_log(void)
{
	uint32_t head = atomic_load(&S->log_head);

	if (head > LOG_N)
		head = LOG_N;
	while ((uint32_t)printed < head && atomic_load(&S->log_ready[printed])) {
		printf("# %s\n", S->log[printed]);
		printed++;
	}
	fflush(stdout);
}

pid_t spawn_worker(int idx)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		worker_main(idx, workers[idx].gen);
	if (pid > 0) {
		workers[idx].pid = pid;
		workers[idx].cont_at = 0;
		stat_add(ST_WORKERS, 1);
	}
	return pid;
}

char task_state(pid_t pid, pid_t tid)
{
	char path[96], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 'X';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 'X';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

void task_stack(pid_t pid, pid_t tid, char *out, size_t size)
{
	char path[96];
	ssize_t n;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", (int)pid, (int)tid);
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

static bool is_stopped_worker(pid_t pid)
{
	int i;

	for (i = 0; i < opt.procs; i++)
		if (workers[i].pid == pid && workers[i].cont_at)
			return true;
	return false;
}

/* The watchdog: overdue bounded calls, and kicks for blocked ones. */
void watchdog(int64_t now, bool stopping)
{
	char stack[300];
	int i;

	for (i = 0; i < NWATCH; i++) {
		struct watch *w = &S->w[i];
		pid_t pid = atomic_load(&w->pid), tid = atomic_load(&w->tid);
		int op = atomic_load(&w->op);
		uint64_t seq = atomic_load(&w->seq);
		int64_t start = atomic_load(&w->start), bound = atomic_load(&w->bound);
		int64_t age = now - start;
		char st;

		if (pid <= 0 || tid <= 0 || op == OP_NONE || op == OP_SCENARIO)
			continue;
		if (seq != atomic_load(&w->seq) || atomic_load(&w->op) == OP_NONE)
			continue;
		if (bound && age > bound && w->flagged_seq != seq) {
			st = task_state(pid, tid);
			if (st == 'X' || st == 'Z' || st == 'T' || st == 't' || is_stopped_worker(pid))
				continue;
			task_stack(pid, tid, stack, sizeof(stack));
			w->flagged_seq = seq;
			violation(C_TIMING, "task %d: %.1f s in a call that may take %.1f s: %.160s; state %c stack %s",
				  (int)tid, age / 1e9, bound / 1e9, w->desc, st, stack);
			continue;
		}
		if (bound && !stopping)
			continue;
		if (age < (stopping ? 0 : 300 * MS) || now - w->last_kick < 300 * MS)
			continue;
		if (w->kick_seq != seq) {
			w->kick_seq = seq;
			w->kicks = 0;
		}
		st = task_state(pid, tid);
		if (st == 'X' || st == 'Z')
			continue;
		syscall(SYS_tgkill, pid, tid, SIGUSR2);
		w->last_kick = now;
		stat_add(ST_KICKS, 1);
		if (++w->kicks >= 20 && age > 10 * SEC && st != 'T' && st != 't' &&
		    w->flagged_seq != seq) {
			task_stack(pid, tid, stack, sizeof(stack));
			w->flagged_seq = seq;
			violation(C_SIGNAL, "task %d: still in a call after %d SIGUSR2s, %.1f s: %.160s; state %c stack %s",
				  (int)tid, w->kicks, age / 1e9, w->desc, st, stack);
		}
	}
}

/* Signals for random participants, mid-call whenever they are in one. */
void signals_tick(int64_t now)
{
	int i, n = 0, pick[NWATCH];

	for (i = 0; i < opt.procs; i++)
		if (workers[i].cont_at && now >= workers[i].cont_at) {
			kill(workers[i].pid, SIGCONT);
			workers[i].cont_at = 0;
		}
	if (opt.no_signals)
		return;
	for (i = 0; i < NWATCH; i++)
		if (atomic_load(&S->w[i].pid) > 0 && atomic_load(&S->w[i].tid) > 0)
			pick[n++] = i;
	if (!n)
		return;
	if (pct(30)) {
		struct watch *w = &S->w[pick[below(n)]];

		syscall(SYS_tgkill, atomic_load(&w->pid), atomic_load(&w->tid),
			pct(80) ? SIGUSR1 : SIGUSR2);
		stat_add(ST_SIGNALS, 1);
	}
	if (pml(3)) {
		i = below(opt.procs);
		if (workers[i].pid > 0 && !workers[i].cont_at) {
			kill(workers[i].pid, SIGSTOP);
			workers[i].cont_at = now + (int64_t)range(MS, 300 * MS);
			stat_add(ST_STOPS, 1);
		}
	}
	if (!opt.no_kill && pml(4)) {
		if (pct(50)) {
			i = below(opt.procs);
			if (workers[i].pid > 0) {
				kill(workers[i].pid, SIGKILL);
				stat_add(ST_KILLS, 1);
			}
		} else {
			/* a child, or a worker's single thread: the process goes */
			struct watch *w = &S->w[pick[below(n)]];

			kill(atomic_load(&w->pid), SIGKILL);
			stat_add(ST_KILLS, 1);
		}
	}
}

int worker_index(pid_t pid)
{
	int i;

	for (i = 0; i < opt.procs; i++)
		if (workers[i].pid == pid)
			return i;
	return -1;
}

/* Reap what ended; start workers again.  Returns how many workers run. */
int reap_all(bool respawn)
{
	int status, i, running = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
		i = worker_index(pid);
		if (i < 0) {
			/* an orphaned child of a worker, reparented to us */
			judge_exit(pid, status, "orphan");
			release_watch(pid);
			continue;
		}
		judge_exit(pid, status, "worker");
		if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_PLANNED)
			stat_add(ST_EXITS, 1);
		for (int t = 0; t < MAX_THREADS; t++) {
			struct watch *w = &S->w[i * MAX_THREADS + t];

			atomic_store(&w->op, OP_NONE);
			atomic_store(&w->pid, 0);
			atomic_store(&w->tid, 0);
		}
		workers[i].pid = 0;
		workers[i].cont_at = 0;
		if (respawn && !(opt.iterations && WIFEXITED(status) && !WEXITSTATUS(status))) {
			workers[i].gen++;
			spawn_worker(i);
		}
	}
	for (i = 0; i < opt.procs; i++)
		running += workers[i].pid > 0;
	return running;
}

void unload_tick(void)
{
	int e;

	if (opt.no_unload || !pml(20))
		return;
	stat_add(ST_UNLOADS, 1);
	e = syscall(SYS_delete_module, "kmbox", O_NONBLOCK) ? errno : 0;
	if (!e) {
		violation(C_UNLOAD, "delete_module(\"kmbox\") succeeded while the coordinator holds /dev/kmbox");
		atomic_store(&S->stop, 1);
	} else if (e != EWOULDBLOCK && e != EBUSY && e != EPERM) {
		violation(C_UNLOAD, "delete_module(\"kmbox\"): %s", ename(e));
	}
}

void print_stats(int64_t elapsed)
{
	uint64_t total = atomic_load(&S->ops);
	int op, e;

	printf("# %" PRIu64 " calls in %.1f s (%.0f/s), %d worker processes x %d threads\n",
	       total, elapsed / 1e9, total / (elapsed / 1e9 + 1e-9), opt.procs, opt.threads);
	for (int st = 0; st < ST_N; st++)
		printf("#   %-44s %" PRIu64 "\n", stat_name[st], atomic_load(&S->stat[st]));
	for (op = 1; op < OP_MAX; op++) {
		char line[512];
		int n;

		if (!atomic_load(&S->op_count[op]))
			continue;
		n = snprintf(line, sizeof(line), "#   %-14s %9" PRIu64 ":", op_name[op],
			     atomic_load(&S->op_count[op]));
		for (e = 0; e < MAX_ERRNO && n < (int)sizeof(line) - 32; e++) {
			uint64_t c = atomic_load(&S->op_err[op][e]);

			if (c)
				n += snprintf(line + n, sizeof(line) - n, " %s %" PRIu64,
					      e ? ename(e) : "ok", c);
		}
		printf("%s\n", line);
	}
}

/* After everything ended: no message received whose send failed. */
void final_fate_check(void)
{
	uint64_t n = atomic_load(&S->next_id), id, bad = 0;

	if (n > TRACK_N)
		n = TRACK_N;
	for (id = 1; id < n; id++) {
		uint8_t t = atomic_load(&track[id]);

		if ((t & T_RECV) && (t & T_FAIL)) {
			if (!bad)
				violation(C_AMBIG, "message id %" PRIu64 " was received, and its send failed",
					  id);
			bad++;
		}
	}
	if (bad > 1)
		log_line("NOTE: %" PRIu64 " messages received whose send failed", bad);
}
