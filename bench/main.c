// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmbox-bench: see bench.h and docs/performance.md.
 *
 * usage: kmbox-bench run [OPTIONS]         measure; result lines on stdout
 *        kmbox-bench report OUTDIR FILE... table, JSON and plot data
 *        kmbox-bench peers                 the peers it knows
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include "bench.h"

#define MAX_LIST	16

static const char *const default_peers =
	"pipe,unix,mq,sysv,kmbox-ioctl,kmbox-rw,libipc,pipe-batch,kmbox-batch,libipc-batch,"
	"kmbox-call,libipc-call";
static const char *const default_sizes = "64,4096,65536,1048576";

/* A whole number or decimal, or usage(). */
static double number(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 1e9) {
		fprintf(stderr, "bench: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: kmbox-bench run [--env NAME] [--quick] [--runs N] [--secs S]\n"
		"                       [--peers LIST] [--cases LIST] [--sizes LIST]\n"
		"                       [--modes LIST] [--batches LIST] [--syscalls N] [--no-floors]\n"
		"       kmbox-bench report OUTDIR FILE...\n"
		"       kmbox-bench peers\n"
		"  --env NAME    label of this run's results (host, vm)\n"
		"  --quick       3 runs of 0.1 s, 200 traced messages, fewer sizes and modes\n"
		"  --runs N      timed runs per case (>= 3; default 5)\n"
		"  --secs S      length of one run (default 0.3)\n"
		"  --peers LIST  e.g. pipe,mq,libipc (default %s)\n"
		"  --cases LIST  of: oneproc stream-x stream-1 rtt-1 rtt-x mpmc-4x4 (default all)\n"
		"  --sizes LIST  message sizes in bytes (default %s)\n"
		"  --modes LIST  capacities tried at 64 B for peers that have one: 0 (rendezvous),\n"
		"                N, u (unbounded) (default 0,1,u; quick 0)\n"
		"  --batches LIST messages per call of the batched peers (pipe-batch, kmbox-batch,\n"
		"                libipc-batch), 1..%d, in oneproc and streaming at 64 B and 4 KiB\n"
		"                (default 1,4,16,64; quick 16)\n"
		"  --syscalls N  count system calls by ptrace over N messages at 64 B (0: off)\n"
		"  --no-floors   skip the null-syscall, ioctl and futex floors\n",
		default_peers, default_sizes, BENCH_BATCH_MAX);
	exit(2);
}

/* Split a comma-separated list in place: the number of items. */
static int split(char *s, char **item, int max)
{
	int n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(s, ",", &save); tok && n < max; tok = strtok_r(NULL, ",", &save))
		item[n++] = tok;
	return n;
}

static void info(const struct bench_opts *o, const char *name, const char *value)
{
	struct result r;

	memset(&r, 0, sizeof(r));
	snprintf(r.env, sizeof(r.env), "%s", o->env);
	snprintf(r.kind, sizeof(r.kind), "info");
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.peer, sizeof(r.peer), "-");
	r.syscalls = -1;
	snprintf(r.note, sizeof(r.note), "%s", value && *value ? value : "-");
	result_print(stdout, &r);
}

static void infos(const struct bench_opts *o)
{
	char buf[160] = "";
	struct utsname u;
	FILE *f;
	time_t t = time(NULL);
	struct tm tm;

	if (!uname(&u)) {
		snprintf(buf, sizeof(buf), "%s %s", u.release, u.machine);
		info(o, "kernel", buf);
	}
	f = fopen("/proc/cmdline", "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
		info(o, "cmdline", buf);
	}
	snprintf(buf, sizeof(buf), "%d", ncpus());
	info(o, "cpus", buf);
	if (gmtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		info(o, "date", buf);
	info(o, "libipc", peer_libipc_name());
	snprintf(buf, sizeof(buf), "runs %d of %.2f s, %s", o->runs, o->run_secs,
		 o->quick ? "quick" : "full");
	info(o, "method", buf);
}

/* Cases whose checks failed (a skip is not a failure). */
static int failures;

static void progress(const struct result *r)
{
	if (r->runs)
		fprintf(stderr, "bench: %-8s %-9s %7zu B %-18s %12.0f msgs/s (%.0f..%.0f) %8.0f ns CPU/msg %6.2f csw/msg\n",
			r->env, r->name, r->size, r->peer, r->med, r->min, r->max, r->cpu_ns, r->csw);
	else
		fprintf(stderr, "bench: %-8s %-9s %7zu B %-18s %s\n", r->env, r->name, r->size,
			r->peer, r->note);
}

static struct peer_spec *spec_of(const char *peer, struct peer_spec *ps)
{
	if (peer_parse(peer, ps)) {
		fprintf(stderr, "bench: unknown peer %s; known:", peer);
		peer_list(stderr);
		exit(2);
	}
	return ps;
}

/* Every peer of the group in case k at this size, measured together. */
static void group(const struct bench_opts *o, enum bench_case k, struct peer_spec *ps, int n,
		  size_t size)
{
	struct result res[2 * MAX_LIST * MAX_LIST];
	int i;

	measure_group(o, k, ps, n, size, res);
	for (i = 0; i < n; i++) {
		if (!strncmp(res[i].note, "error:", 6))
			failures++;
		result_print(stdout, &res[i]);
		progress(&res[i]);
	}
	fflush(stdout);
}

/* Batched peers: one process and streaming, at 64 B and 4 KiB. */
static int batch_wanted(enum bench_case k, size_t size)
{
	return (k == CASE_ONEPROC || k == CASE_STREAM_X || k == CASE_STREAM_1) && size <= 4096;
}

/* Call peers: round trips only. */
static int call_wanted(enum bench_case k)
{
	return k == CASE_RTT_1 || k == CASE_RTT_X;
}

/*
 * Which sizes a case is measured at: all of them for the one-process cost
 * and streaming across CPUs (the plot); with --quick the other cases at
 * 64 B only; 4+4 at 64 B and 4 KiB at most.
 */
static int size_wanted(const struct bench_opts *o, enum bench_case k, size_t size)
{
	if (k == CASE_ONEPROC || k == CASE_STREAM_X)
		return 1;
	if (k == CASE_MPMC)
		return size <= (o->quick ? 64 : 4096);
	return !o->quick || size <= 64;
}

static int run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "env", required_argument, NULL, 'e' },
		{ "quick", no_argument, NULL, 'q' },
		{ "runs", required_argument, NULL, 'r' },
		{ "secs", required_argument, NULL, 's' },
		{ "peers", required_argument, NULL, 'p' },
		{ "cases", required_argument, NULL, 'c' },
		{ "sizes", required_argument, NULL, 'z' },
		{ "modes", required_argument, NULL, 'm' },
		{ "batches", required_argument, NULL, 'b' },
		{ "syscalls", required_argument, NULL, 'S' },
		{ "no-floors", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	struct bench_opts o = { .env = "host", .run_secs = -1, .runs = -1, .syscalls = -1 };
	char peers_s[512], sizes_s[256], modes_s[128], cases_s[256] = "", batches_s[128] = "";
	char *peer[MAX_LIST], *size_v[MAX_LIST], *case_v[NR_CASES], *mode[MAX_LIST];
	char *batch_v[MAX_LIST];
	int npeers, nsizes, ncases, nmodes, nbatches, floors = 1, modes = 0, c, i, j, m, kk;
	enum bench_case cases[NR_CASES];
	size_t sizes[MAX_LIST];
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	snprintf(peers_s, sizeof(peers_s), "%s", default_peers);
	snprintf(sizes_s, sizeof(sizes_s), "%s", default_sizes);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': o.env = optarg; break;
		case 'q': o.quick = 1; break;
		case 'r': o.runs = (int)number(optarg); break;
		case 's': o.run_secs = number(optarg); break;
		case 'p': snprintf(peers_s, sizeof(peers_s), "%s", optarg); break;
		case 'c': snprintf(cases_s, sizeof(cases_s), "%s", optarg); break;
		case 'z': snprintf(sizes_s, sizeof(sizes_s), "%s", optarg); break;
		case 'm': snprintf(modes_s, sizeof(modes_s), "%s", optarg); modes = 1; break;
		case 'b': snprintf(batches_s, sizeof(batches_s), "%s", optarg); break;
		case 'S': o.syscalls = (int)number(optarg); break;
		case 'F': floors = 0; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (o.runs < 0)
		o.runs = o.quick ? 3 : 5;
	if (o.runs < 3) {
		fprintf(stderr, "bench: --runs: at least 3, for a median and a spread\n");
		return 2;
	}
	if (o.run_secs <= 0)
		o.run_secs = o.quick ? 0.1 : 0.3;
	if (o.syscalls < 0)
		o.syscalls = o.quick ? 200 : 2000;
	if (!modes)
		snprintf(modes_s, sizeof(modes_s), "%s", o.quick ? "0" : "0,1,u");
	if (!batches_s[0])
		snprintf(batches_s, sizeof(batches_s), "%s", o.quick ? "16" : "1,4,16,64");

	npeers = split(peers_s, peer, MAX_LIST);
	nsizes = split(sizes_s, size_v, MAX_LIST);
	nmodes = split(modes_s, mode, MAX_LIST);
	nbatches = split(batches_s, batch_v, MAX_LIST);
	for (i = 0; i < nsizes; i++) {
		sizes[i] = (size_t)number(size_v[i]);
		if (sizes[i] < 16 || sizes[i] > (64u << 20)) {
			fprintf(stderr, "bench: size %s: 16 bytes to 64 MiB\n", size_v[i]);
			return 2;
		}
	}
	if (cases_s[0]) {
		ncases = split(cases_s, case_v, NR_CASES);
		for (i = 0; i < ncases; i++) {
			kk = case_parse(case_v[i]);
			if (kk < 0) {
				fprintf(stderr, "bench: unknown case %s\n", case_v[i]);
				return 2;
			}
			cases[i] = (enum bench_case)kk;
		}
	} else {
		for (ncases = 0; ncases < NR_CASES; ncases++)
			cases[ncases] = (enum bench_case)ncases;
	}

	/*
	 * Limits that would make peers skip sizes for no reason of theirs:
	 * POSIX mq memory (RLIMIT_MSGQUEUE); libipc's posix quota per mailbox
	 * (a 64-deep queue of 1 MiB messages needs more than 64 MiB).
	 */
	if (setrlimit(RLIMIT_MSGQUEUE, &rl)) {
		getrlimit(RLIMIT_MSGQUEUE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MSGQUEUE, &rl);
	}
	setenv("LIBIPC_POSIX_QUOTA", "256M", 0);

	infos(&o);
	if (floors)
		measure_floors(&o, stdout);

	/*
	 * Case by case, size by size, every peer close together in time; at
	 * 64 B, in streaming and round trips, each capacity of the peers that
	 * have one (--modes) too.
	 */
	for (i = 0; i < ncases; i++) {
		for (j = 0; j < nsizes; j++) {
			struct peer_spec ps[MAX_LIST * (MAX_LIST + 1)];
			int n = 0;

			if (!size_wanted(&o, cases[i], sizes[j]))
				continue;
			for (m = 0; m < npeers; m++) {
				struct peer_spec probe;
				char label[64];
				int q;

				spec_of(peer[m], &probe);
				if (probe.peer->call && !call_wanted(cases[i]))
					continue;
				if (!probe.peer->send_batch) {
					ps[n++] = probe;
					continue;
				}
				/* A batched peer: each batch size, where it has a form. */
				if (!batch_wanted(cases[i], sizes[j]))
					continue;
				if (strchr(peer[m], '/')) {
					ps[n++] = probe;
					continue;
				}
				for (q = 0; q < nbatches; q++) {
					snprintf(label, sizeof(label), "%s/%s", peer[m], batch_v[q]);
					spec_of(label, &ps[n++]);
				}
			}
			if (!n)
				continue;
			if (sizes[j] == 64 && (cases[i] == CASE_STREAM_X || cases[i] == CASE_RTT_1 ||
					       cases[i] == CASE_RTT_X)) {
				for (m = 0; m < npeers; m++) {
					struct peer_spec probe;
					char label[64];
					int q;

					spec_of(peer[m], &probe);
					if (!probe.peer->has_capacity || strchr(peer[m], ':'))
						continue;
					for (q = 0; q < nmodes; q++) {
						snprintf(label, sizeof(label), "%s:%s", peer[m], mode[q]);
						spec_of(label, &ps[n++]);
					}
				}
			}
			group(&o, cases[i], ps, n, sizes[j]);
		}
	}
	if (failures)
		fprintf(stderr, "bench: %d case%s failed their checks\n", failures,
			failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "run") == 0)
		return run(argc - 1, argv + 1);
	if (strcmp(argv[1], "report") == 0 && argc >= 4)
		return report(argc - 3, argv + 3, argv[2]);
	if (strcmp(argv[1], "peers") == 0) {
		peer_list(stdout);
		return 0;
	}
	usage();
	return 2;
}
