// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: random and adversarial use of kmbox from many processes and
 * threads at once, for a set time, checking everything userspace can check.
 *
 * usage: fuzz [--seed N] [--seconds N] [--procs N] [--threads N]
 *             [--iterations N] [--slack SECONDS] [--smoke] [--quiet]
 *             [--no-signals] [--no-kill] [--no-params] [--no-unload]
 *             [--no-nobody] [--no-scenarios]
 *        fuzz --unload-race CYCLES --module KMBOX.KO [--seed N]
 *
 * Run it as root on a kernel with kmbox.ko loaded (tests/run-fuzz does, in
 * the VM: 'make fuzz').  --iterations N stops each thread after N calls
 * (workers that end so are not restarted); --slack is how far past its
 * time a non-blocking or timed call may return before it counts as hung
 * (20 s: the VM is emulated).
 *
 * A coordinator process forks --procs worker processes of --threads threads
 * each (one in four runs as nobody), and keeps them busy until --seconds
 * have passed: killed or exited workers are started again.  The workers
 * share a handful of named mailboxes (so they collide) and create anonymous
 * ones that they pass to the children they fork and over UNIX sockets
 * (SCM_RIGHTS, sometimes left in flight in a cycle only the garbage
 * collector frees).  Each thread makes random calls: every ioctl on the
 * control device and on handles (and on the wrong kind of descriptor;
 * batches of 0 to more than KMBOX_BATCH_MAX messages, with bad entries
 * and arrays), read, readv, write, writev, poll, epoll, io_uring reads, writes and polls
 * (rings dropped with requests in flight), dup, close, fork, exit,
 * delete_module, reads of /proc/kmbox.  Arguments are valid most of the time, so the
 * mailboxes reach deep states, and sometimes wrong: unknown flags and
 * reserved bits, bad, read-only, unmapped and half-mapped pointers (some in
 * pages another thread keeps mprotect()ing), huge and negative sizes, struct
 * sizes smaller and larger than the kernel's, with zero and non-zero tails.
 * Meanwhile the coordinator sends signals (to handlers with and without
 * SA_RESTART), SIGSTOP/SIGCONT and SIGKILL, tries to unload the module, and
 * changes the module's limits for a moment.  Some threads play scenarios on
 * private mailboxes whose outcome is known exactly: CLOSE/DESTROY/SIGKILL
 * against a blocked call, a timed sender against a timed receiver, a
 * message put back after EMSGSIZE and EFAULT, one sender's order seen by
 * one or two receivers, batches that fill the room there is and take what
 * is queued, stopping at a bad entry.
 *
 * --unload-race CYCLES: a process uses the module every way that holds a
 * reference (blocked senders and receivers, queued messages, epoll,
 * io_uring, handles in flight in a socket) and is killed; the module must
 * refuse to unload before, unload the moment the last reference goes, and
 * load again (from --module), while another process reads /proc/kmbox.
 *
 * Checks (each one a line of the TAP output at the end):
 *  - every errno is in the set uapi/linux/kmbox.h documents for that call
 *    (ENOMEM is counted apart: the header does not list it);
 *  - the dispatcher's errnos (ENOTTY, short struct EINVAL, E2BIG, EFAULT)
 *    and input validation (EINVAL, ENAMETOOLONG, EFAULT, EBADF, EMSGSIZE)
 *    are exactly the documented ones, and bad input never succeeds;
 *  - INFO stays sane: attributes fixed, counters consistent
 *    (sent >= received + dropped + msgs), state and totals never go back;
 *  - every message received is one that was sent, whole, to that mailbox,
 *    with its sender's pid and uid; none is received twice; none is
 *    received whose send failed (every message carries an id, and a shared
 *    table records what happened to it);
 *  - a batch returns a count n (an error only if its first message
 *    failed): entries [0, n) were done, the others untouched and their
 *    messages neither delivered nor consumed, checked per message as above;
 *  - calls that may not wait (non-blocking, timed) return in time, and
 *    timed ones not before their time; blocked calls end on a signal;
 *  - poll/epoll/io_uring polls report only what a handle's access and the
 *    mailbox's state allow; /proc/kmbox is well-formed and consistent;
 *  - delete_module fails while handles are open;
 *  - no process dies of a signal nobody sent it (SIGPIPE, SIGSEGV...) and
 *    every one is gone soon after SIGKILL (none stuck in the kernel).
 *
 * Replaying: the seed is printed first.  --seed N replays every thread's
 * sequence of choices; the interleaving between threads and the moments
 * signals arrive are the machine's, so a race may need a few runs (or
 * --procs 1 --threads 1 --no-signals to pin a sequential bug down).  A
 * violation names the worker, its generation, the thread and the call.
 *
 * Exit status 0 when no check failed, 1 otherwise; the output ends with a
 * kselftest "# Totals:" line.  --smoke (10 s, 2 processes of 2 threads, the
 * module's limits left alone) suits a test suite; built with
 * -DFUZZ_DEFAULT_SMOKE, the program does that when given no options, as
 * tests/run-all runs its programs.
 */
#include "fuzz.h"


/* ---- options ---------------------------------------------------------- */

struct fuzz_opt opt = { .seconds = 60, .procs = 4, .threads = 3, .slack = 20 };

static void usage(void)
{
	fprintf(stderr,
		"usage: fuzz [--seed N] [--seconds N] [--procs N] [--threads N] [--iterations N]\n"
		"            [--slack SECONDS] [--smoke] [--quiet] [--no-signals] [--no-kill]\n"
		"            [--no-params] [--no-unload] [--no-nobody] [--no-scenarios]\n"
		"       fuzz --unload-race CYCLES --module KMBOX.KO [--seed N]\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "procs", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 'T' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "slack", required_argument, NULL, 'S' },
		{ "smoke", no_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-signals", no_argument, NULL, 1 },
		{ "no-kill", no_argument, NULL, 2 },
		{ "no-params", no_argument, NULL, 3 },
		{ "no-unload", no_argument, NULL, 4 },
		{ "no-nobody", no_argument, NULL, 5 },
		{ "no-scenarios", no_argument, NULL, 6 },
		{ "unload-race", required_argument, NULL, 7 },
		{ "module", required_argument, NULL, 8 },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool have_seed = false, have_secs = false, have_procs = false, have_threads = false;
	int c;

#ifdef FUZZ_DEFAULT_SMOKE
	opt.smoke = true;
#endif
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': opt.seed = strtoull(optarg, NULL, 0); have_seed = true; break;
		case 't': opt.seconds = atoi(optarg); have_secs = true; break;
		case 'p': opt.procs = atoi(optarg); have_procs = true; break;
		case 'T': opt.threads = atoi(optarg); have_threads = true; break;
		case 'i': opt.iterations = atol(optarg); break;
		case 'S': opt.slack = atoi(optarg); break;
		case 'k': opt.smoke = true; break;
		case 'q': opt.quiet = true; break;
		case 1: opt.no_signals = true; break;
		case 2: opt.no_kill = true; break;
		case 3: opt.no_params = true; break;
		case 4: opt.no_unload = true; break;
		case 5: opt.no_nobody = true; break;
		case 6: opt.no_scenarios = true; break;
		case 7: opt.unload_race = atoi(optarg); break;
		case 8: opt.module = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (opt.smoke) {
		/* make check: short, and the module's limits left alone */
		if (!have_secs)
			opt.seconds = 10;
		if (!have_procs)
			opt.procs = 2;
		if (!have_threads)
			opt.threads = 2;
		opt.no_params = true;
	}
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt.seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ getpid();
		opt.seed &= 0xffffffffULL;
	}
	if ((opt.unload_race && !opt.module) || opt.unload_race < 0)
		usage();
	if (opt.seconds < 1 || opt.procs < 1 || opt.procs > MAX_PROCS ||
	    opt.threads < 1 || opt.threads > MAX_THREADS || opt.slack < 1)
		usage();
}

int main(int argc, char **argv)
{
	int64_t now, last_status, end_wait;
	int i, running, check, failed = 0;
	char cmdline[512], iters[48] = "";
	struct sigaction sa;
	int n;

	parse(argc, argv);
	if (opt.iterations)
		snprintf(iters, sizeof(iters), " --iterations %ld", opt.iterations);
	setvbuf(stdout, NULL, _IOLBF, 0);
	n = snprintf(cmdline, sizeof(cmdline), "fuzz --seed %" PRIu64, opt.seed);
	if (opt.unload_race)
		snprintf(cmdline + n, sizeof(cmdline) - n, " --unload-race %d --module %s",
			 opt.unload_race, opt.module);
	else
		snprintf(cmdline + n, sizeof(cmdline) - n,
			 " --seconds %d --procs %d --threads %d%s%s%s%s%s%s%s",
			 opt.seconds, opt.procs, opt.threads,
			 opt.no_signals ? " --no-signals" : "", opt.no_kill ? " --no-kill" : "",
			 opt.no_params ? " --no-params" : "", opt.no_unload ? " --no-unload" : "",
			 opt.no_nobody ? " --no-nobody" : "",
			 opt.no_scenarios ? " --no-scenarios" : "", iters);
	printf("TAP version 13\n");
	printf("# fuzz: seed %" PRIu64 " (replay: %s)\n", opt.seed, cmdline);

	ctl = open(KMBOX_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		printf("1..0 # SKIP %s: %s (is kmbox.ko loaded?)\n", KMBOX_DEVICE, strerror(errno));
		return 4;
	}
	memset(&L, 0, sizeof(L));
	if (ioctl(ctl, KMBOX_IOC_LIMITS, &L)) {
		printf("Bail out! LIMITS: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < (int)ARRAY_SIZE(params); i++) {
		param_have[i] = !opt.no_params && getuid() == 0 &&
				!param_rw(params[i], &param_saved[i], false);
		limits_move |= param_have[i];
	}
	/* Limits changed by an earlier run that was killed: the largest we know. */
	if (L.max_msg_size < (1U << 20))
		L.max_msg_size = 1U << 20;
	bufsz = L.max_msg_size + 4 * PAGE;

	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	track = mmap(NULL, TRACK_N, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
		     -1, 0);
	track_who = mmap(NULL, WHO_N * sizeof(*track_who), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	track_opt = mmap(NULL, WHO_N * sizeof(*track_opt), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (S == MAP_FAILED || track == MAP_FAILED || track_who == MAP_FAILED ||
	    track_opt == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return 1;
	}
	S->seed = opt.seed;
	S->coordinator = getpid();
	atomic_store(&S->next_id, 1);
	for (i = 0; i < NNAMES; i++)
		snprintf(S->names[i], sizeof(S->names[i]), i == NNAMES - 1 ?
			 "fz-%08" PRIx64 "-\xff\x01 odd" : "fz-%08" PRIx64 "-%d",
			 opt.seed & 0xffffffff, i);
	g_none = map(NONE_SIZE, PROT_NONE);
	g_ro = map(PAGE, PROT_READ | PROT_WRITE);
	memset(g_ro, JUNK, RO_NAME_OFF);
	strcpy((char *)g_ro + RO_NAME_OFF, S->names[0]);
	mprotect(g_ro, PAGE, PROT_READ);
	mypid = getpid();
	myuid = geteuid();
	rs = seed_for(opt.seed, 0xc0, 0, 0);
	snprintf(who, sizeof(who), "coordinator");
	W = &W_dummy;

	/* Names left by an earlier run would change nothing, but start clean. */
	for (i = 0; i < NNAMES; i++) {
		struct kmbox_unlink u = { .name = (uintptr_t)S->names[i] };

		ioctl(ctl, KMBOX_IOC_UNLINK, &u);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	if (opt.unload_race) {
		static const int race_checks[] = { C_UNLOAD, C_PROC, C_INFO, C_ERRNO };
		int64_t t0 = now_ns();

		close(ctl);	/* the module must be free to go */
		unload_race();
		drain_log();
		printf("# %d unload cycles in %.1f s\n", opt.unload_race, (now_ns() - t0) / 1e9);
		printf("1..%zu\n", ARRAY_SIZE(race_checks));
		for (i = 0; i < (int)ARRAY_SIZE(race_checks); i++) {
			uint64_t v = atomic_load(&S->viol[race_checks[i]]);

			failed += !!v;
			printf("%s %d fuzz: unload race: %s\n", v ? "not ok" : "ok", i + 1,
			       race_checks[i] == C_UNLOAD ?
			       "the module unloads once its users die, not before" :
			       race_checks[i] == C_PROC ? "its users start and die" :
			       race_checks[i] == C_INFO ?
			       "/proc/kmbox read throughout stays well-formed" :
			       "reading /proc/kmbox fails only with ENOENT or EIO");
		}
		printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
		       (int)ARRAY_SIZE(race_checks) - failed, failed);
		return failed ? 1 : 0;
	}

	S->t0 = now_ns();
	S->deadline = S->t0 + (int64_t)opt.seconds * SEC;
	for (i = 0; i < opt.procs; i++)
		if (spawn_worker(i) < 0) {
			printf("Bail out! fork: %s\n", strerror(errno));
			return 1;
		}

	last_status = S->t0;
	for (;;) {
		now = now_ns();
		drain_log();
		running = reap_all(!atomic_load(&S->stop) && now < S->deadline);
		if (now >= S->deadline || atomic_load(&S->stop) || !running)
			break;
		watchdog(now, false);
		signals_tick(now);
		if (param_changed >= 0 || (!opt.no_params && getuid() == 0))
			params_tick(now);
		unload_tick();
		if (!opt.quiet && now - last_status >= 10 * SEC) {
			printf("# %3.0f s: %" PRIu64 " calls, %" PRIu64 " messages received, %" PRIu64
			       " violations\n", (now - S->t0) / 1e9, atomic_load(&S->ops),
			       atomic_load(&S->stat[ST_RECEIVED]),
			       atomic_load(&S->viol[C_ERRNO]) + atomic_load(&S->viol[C_VALID]) +
			       atomic_load(&S->viol[C_INFO]) + atomic_load(&S->viol[C_PAYLOAD]) +
			       atomic_load(&S->viol[C_TIMING]) + atomic_load(&S->viol[C_SCENARIO]));
			last_status = now;
		}
		sleep_ns(20 * MS);
	}

	/* Stop: let the workers finish, kicking blocked calls; then SIGKILL. */
	atomic_store(&S->stop, 1);
	for (i = 0; i < opt.procs; i++)
		if (workers[i].pid > 0 && workers[i].cont_at) {
			kill(workers[i].pid, SIGCONT);
			workers[i].cont_at = 0;
		}
	end_wait = now_ns() + 10 * SEC;
	while ((running = reap_all(false)) > 0 && now_ns() < end_wait) {
		watchdog(now_ns(), true);
		drain_log();
		sleep_ns(20 * MS);
	}
	for (i = 0; i < opt.procs; i++)
		if (workers[i].pid > 0)
			kill(-workers[i].pid, SIGKILL), kill(workers[i].pid, SIGKILL);
	/* Every task, orphans included, must be gone soon after SIGKILL. */
	end_wait = now_ns() + 60 * SEC;
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);

		if (pid > 0) {
			i = worker_index(pid);
			if (i >= 0)
				workers[i].pid = 0;
			else
				release_watch(pid);
			continue;
		}
		if (pid < 0 && errno == ECHILD)
			break;
		if (now_ns() > end_wait) {
			char stack[300];

			for (i = 0; i < NWATCH; i++) {
				pid_t p = atomic_load(&S->w[i].pid), t = atomic_load(&S->w[i].tid);

				if (p > 0 && t > 0 && task_state(p, t) != 'X') {
					task_stack(p, t, stack, sizeof(stack));
					violation(C_PROC, "task %d of %d not gone 60 s after SIGKILL: state %c stack %s",
						  (int)t, (int)p, task_state(p, t), stack);
				}
			}
			violation(C_PROC, "processes left 60 s after SIGKILL");
			break;
		}
		sleep_ns(20 * MS);
	}
	now = now_ns();

	/* Clean up: names, limits, our descriptor. */
	for (i = 0; i < NNAMES; i++) {
		struct kmbox_unlink u = { .name = (uintptr_t)S->names[i] };

		ioctl(ctl, KMBOX_IOC_UNLINK, &u);
	}
	params_restore();
	close(ctl);
	unix_gc();

	final_fate_check();
	if (!atomic_load(&S->ops) || !atomic_load(&S->stat[ST_RECEIVED]))
		violation(C_RAN, "%" PRIu64 " calls, %" PRIu64 " messages received",
			  atomic_load(&S->ops), atomic_load(&S->stat[ST_RECEIVED]));
	drain_log();
	print_stats(now - S->t0);

	printf("1..%d\n", C_N);
	for (check = 0; check < C_N; check++) {
		uint64_t v = atomic_load(&S->viol[check]);

		if (v)
			failed++;
		printf("%s %d fuzz: %s%s\n", v ? "not ok" : "ok", check + 1, check_name[check],
		       v ? "" : "");
		if (v)
			printf("# %s: %" PRIu64 " violation(s)\n", check_tag[check], v);
	}
	printf("# seed %" PRIu64 ": replay with: %s\n", opt.seed, cmdline);
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n", C_N - failed, failed);
	return failed ? 1 : 0;
}
