// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: signals, children, the thread loop and worker processes.
 */
#include "fuzz.h"

/* ---- signals ------------------------------------------------------------ */

void on_signal(int sig)
{
	(void)sig;
	sig_count++;
}

void set_handlers(bool restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
}

/* ---- children ------------------------------------------------------------ */

static _Atomic pid_t kids[MAX_CHILDREN];

void release_watch(pid_t pid)
{
	int i;

	for (i = MAX_PROCS * MAX_THREADS; i < NWATCH; i++)
		if (atomic_load(&S->w[i].pid) == pid) {
			atomic_store(&S->w[i].op, OP_NONE);
			atomic_store(&S->w[i].pid, 0);
		}
}

/* How a child or worker ended: a violation if by a signal nobody sent. */
void judge_exit(pid_t pid, int status, const char *what)
{
	bool orphan = !strcmp(what, "orphan");

	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		if (sig != SIGKILL && sig != SIGALRM)
			violation(C_PROC, "%s %d killed by signal %d (%s)", what, (int)pid, sig,
				  strsignal(sig));
	} else if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);

		if (code && code != EXIT_PLANNED && (!orphan || code == EXIT_INTERNAL))
			violation(C_PROC, "%s %d exited with status %d", what, (int)pid, code);
	}
}

/* One of this process's children, or 0. */
pid_t some_child(void)
{
	return atomic_load(&kids[below(MAX_CHILDREN)]);
}

static void reap_kids(bool block)
{
	int i, status;

	for (i = 0; i < MAX_CHILDREN; i++) {
		pid_t pid = atomic_load(&kids[i]);

		if (pid <= 0)
			continue;
		if (block)
			kill(pid, SIGKILL);
		if (waitpid(pid, &status, block ? 0 : WNOHANG) == pid) {
			judge_exit(pid, status, "child");
			release_watch(pid);
			atomic_store(&kids[i], 0);
		}
	}
}

static void thread_loop(long max_iter, int64_t deadline);

static void become_child(pid_t parent)
{
	int i;

	is_child = true;
	mypid = getpid();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	h_after_fork();
	for (i = 0; i < MAX_CHILDREN; i++)
		atomic_store(&kids[i], 0);
	setup_flip();
	tidx = 0;
	W = &W_dummy;
	for (i = MAX_PROCS * MAX_THREADS; i < NWATCH; i++) {
		int zero = 0;

		if (atomic_compare_exchange_strong(&S->w[i].pid, &zero, mypid)) {
			W = &S->w[i];
			atomic_store(&W->tid, mypid);
			break;
		}
	}
}

static void op_fork(void)
{
	int i, slot = -1;
	uint64_t seed = rnd();
	pid_t pid;

	if (is_child)
		return;
	reap_kids(false);
	for (i = 0; i < MAX_CHILDREN; i++) {
		pid_t zero = 0;

		if (atomic_compare_exchange_strong(&kids[i], &zero, -1)) {
			slot = i;
			break;
		}
	}
	if (slot < 0)
		return;
	pid = fork();
	if (pid < 0) {
		atomic_store(&kids[slot], 0);
		check_errno(OP_FORK, errno, "fork");
		return;
	}
	if (pid == 0) {
		become_child(mypid);
		rs = seed;
		snprintf(who, sizeof(who), "w%d.g%d child %d", worker_idx, worker_gen, (int)mypid);
		iter = 0;
		if (pct(30)) {
			/* Die of SIGALRM mid-call, whatever it is. */
			struct itimerval it = { .it_value = { 0, (long)range(1000, 500000) } };

			setitimer(ITIMER_REAL, &it, NULL);
		}
		thread_loop(range(1, 60), now_ns() + (int64_t)range(10 * MS, 2 * SEC));
		_exit(0);
	}
	atomic_store(&kids[slot], pid);
	stat_add(ST_FORKS, 1);
	count_op(OP_FORK, 0);
}

/* ---- the thread loop ------------------------------------------------------ */

static int pick_op(void)
{
	static int total;
	int r, op;

	if (!total)
		for (op = 0; op < OP_MAX; op++)
			total += op_weight[op];
	r = below(total);
	for (op = 0; op < OP_MAX; op++) {
		if (r < op_weight[op])
			return op;
		r -= op_weight[op];
	}
	return OP_INFO;
}

static void thread_loop(long max_iter, int64_t deadline)
{
	while (!atomic_load(&S->stop) && now_ns() < deadline &&
	       (!max_iter || iter < max_iter)) {
		int op = pick_op();

		/* Handle calls need handles: without any, mostly make one. */
		if (op >= OP_SEND && op <= OP_DUP && pct(85) && !h_live())
			op = pct(60) ? OP_CREATE : OP_OPEN;

		iter++;
		switch (op) {
		case OP_LIMITS: op_limits(); break;
		case OP_CREATE: op_create(); break;
		case OP_OPEN: op_open(); break;
		case OP_UNLINK: op_unlink(); break;
		case OP_SEND: op_send(); break;
		case OP_RECV: op_recv(); break;
		case OP_SEND_BATCH: op_send_batch(); break;
		case OP_RECV_BATCH: op_recv_batch(); break;
		case OP_INFO: op_info(); break;
		case OP_CLOSE: case OP_DESTROY: op_close_destroy(op); break;
		case OP_READ: op_read(); break;
		case OP_WRITE: op_write(); break;
		case OP_POLL: op_poll(); break;
		case OP_EPOLL: op_epoll(); break;
		case OP_DUP: op_dup(); break;
		case OP_FDCLOSE: h_close_random(); break;
		case OP_RAW: op_raw(); break;
		case OP_FORK: op_fork(); break;
		case OP_EXIT:
			if (!is_child) {
				count_op(OP_EXIT, 0);
				_exit(EXIT_PLANNED);
			}
			break;
		case OP_UNLOAD:
			if (!opt.no_unload)
				op_unload();
			break;
		case OP_DEVOPEN: op_devopen(); break;
		case OP_SIGACT:
			set_handlers(pct(50));
			count_op(OP_SIGACT, 0);
			break;
		case OP_SCENARIO: op_scenario(); break;
		case OP_SCM: op_scm(); break;
		case OP_URING: op_uring(); break;
		case OP_ADMIN: op_admin(); break;
		case OP_PROC: op_proc(); break;
		case OP_PORT_OPEN: op_port_open(); break;
		case OP_CALL: op_call(); break;
		case OP_REPLY: op_reply(); break;
		}
		if (!is_child && !(iter & 63))
			reap_kids(false);
	}
}

/* ---- worker processes ------------------------------------------------------ */

static _Atomic int flipper_stop;

static void *flipper(void *arg)
{
	static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
				     PROT_READ, PROT_NONE };

	(void)arg;
	rs = seed_for(S->seed, worker_idx, worker_gen, 1000);
	while (!atomic_load(&flipper_stop) && !atomic_load(&S->stop)) {
		size_t p = below(FLIP_PAGES);

		mprotect(flv + p * PAGE, PAGE, prots[below(4)]);
		sleep_ns(below(2 * MS));
	}
	return NULL;
}

static void *worker_thread(void *arg)
{
	tidx = (int)(intptr_t)arg;
	rs = seed_for(S->seed, worker_idx, worker_gen, tidx);
	snprintf(who, sizeof(who), "w%d.g%d.t%d%s", worker_idx, worker_gen, tidx,
		 myuid ? " (nobody)" : "");
	W = &S->w[worker_idx * MAX_THREADS + tidx];
	atomic_store(&W->op, OP_NONE);
	atomic_store(&W->tid, (int)syscall(SYS_gettid));
	atomic_store(&W->pid, mypid);
	setup_thread_memory();
	thread_loop(opt.iterations, S->deadline);
	atomic_store(&W->op, OP_NONE);
	return NULL;
}

void worker_main(int idx, int gen)
{
	pthread_t th[MAX_THREADS], fl;
	int t;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != S->coordinator)
		_exit(0);
	setpgid(0, 0);
	worker_idx = idx;
	worker_gen = gen;
	mypid = getpid();
	rs = seed_for(S->seed, idx, gen, 999);
	if (!opt.no_nobody && idx % 4 == 3 && getuid() == 0) {
		if (setgroups(0, NULL) || setresgid(FUZZ_NOBODY, FUZZ_NOBODY, FUZZ_NOBODY) ||
		    setresuid(FUZZ_NOBODY, FUZZ_NOBODY, FUZZ_NOBODY))
			_exit(EXIT_INTERNAL);
		prctl(PR_SET_DUMPABLE, 1);
	}
	myuid = geteuid();
	umask(0);
	set_handlers(pct(50));
	pthread_atfork(atfork_prepare, atfork_release, atfork_release);
	ctl = open(KMBOX_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		fprintf(stderr, "# fuzz: worker %d: %s: %s\n", idx, KMBOX_DEVICE, strerror(errno));
		_exit(EXIT_INTERNAL);
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	scm_open();
	setup_flip();
	if (pthread_create(&fl, NULL, flipper, NULL)) {
		fprintf(stderr, "# fuzz: worker %d: pthread_create failed\n", idx);
		_exit(EXIT_INTERNAL);
	}
	for (t = 1; t < opt.threads; t++)
		if (pthread_create(&th[t], NULL, worker_thread, (void *)(intptr_t)t)) {
			fprintf(stderr, "# fuzz: worker %d: pthread_create failed\n", idx);
			_exit(EXIT_INTERNAL);
		}
	worker_thread((void *)0);
	for (t = 1; t < opt.threads; t++)
		pthread_join(th[t], NULL);
	atomic_store(&flipper_stop, 1);
	pthread_join(fl, NULL);
	reap_kids(true);
	_exit(0);
}
