// SPDX-License-Identifier: GPL-2.0-only
/*
 * Results: the tab-separated lines the runs print (result_print), read
 * back (result_parse) from one file per run (host, vm), and turned into
 *   OUTDIR/bench.txt          the targets of issues 11 and 12, floors, a
 *                             table of ratios per environment, every figure
 *   OUTDIR/summary.txt        the same without every figure
 *   OUTDIR/bench.json         the same, machine-readable
 *   OUTDIR/throughput-ENV.dat streaming across CPUs, MB/s by size, per peer
 *   OUTDIR/plot.gp            gnuplot script drawing those into bench.png
 * Ratios are only ever taken between results of one environment: in the
 * VM, times under TCG compare only within one boot.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define LINE_TAG	"KMBOX-BENCH"
#define MAX_RESULTS	4096
#define MAX_ENVS	4
#define MAX_PEERS	32

/* Tabs and newlines would break the line format. */
static void clean(char *s)
{
	for (; *s; s++)
		if (*s == '\t' || *s == '\n' || *s == '\r')
			*s = ' ';
}

void result_print(FILE *f, const struct result *r)
{
	char note[sizeof(r->note)];

	snprintf(note, sizeof(note), "%s", r->note[0] ? r->note : "-");
	clean(note);
	fprintf(f, "%s\t%s\t%s\t%s\t%s\t%zu\t%llu\t%d\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%s\t%.6g\n",
		LINE_TAG, r->env, r->kind, r->name, r->peer, r->size, (unsigned long long)r->n,
		r->runs, r->min, r->med, r->max, r->cpu_ns, r->csw, r->syscalls, note,
		r->syscalls0);
}

static void field_copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

/*
 * 0 and *r filled for a result line (anything may precede the tag): 15
 * fields, or 16 since process 0's system calls were added.
 */
int result_parse(const char *line, struct result *r)
{
	char buf[512], *f[16], *save = NULL, *p;
	int n = 0;

	p = strstr(line, LINE_TAG "\t");
	if (!p)
		return -1;
	snprintf(buf, sizeof(buf), "%s", p);
	buf[strcspn(buf, "\r\n")] = '\0';
	for (p = strtok_r(buf, "\t", &save); p && n < 16; p = strtok_r(NULL, "\t", &save))
		f[n++] = p;
	if (n != 15 && n != 16)
		return -1;
	memset(r, 0, sizeof(*r));
	field_copy(r->env, sizeof(r->env), f[1]);
	field_copy(r->kind, sizeof(r->kind), f[2]);
	field_copy(r->name, sizeof(r->name), f[3]);
	field_copy(r->peer, sizeof(r->peer), f[4]);
	r->size = strtoul(f[5], NULL, 10);
	r->n = strtoull(f[6], NULL, 10);
	r->runs = (int)strtol(f[7], NULL, 10);
	r->min = strtod(f[8], NULL);
	r->med = strtod(f[9], NULL);
	r->max = strtod(f[10], NULL);
	r->cpu_ns = strtod(f[11], NULL);
	r->csw = strtod(f[12], NULL);
	r->syscalls = strtod(f[13], NULL);
	field_copy(r->note, sizeof(r->note), f[14]);
	r->syscalls0 = n == 16 ? strtod(f[15], NULL) : -1;
	return 0;
}

struct db {
	struct result *r;
	int n;
	char envs[MAX_ENVS][16];
	int nenvs;
};

static const struct result *find(const struct db *db, const char *env, const char *kind,
				 const char *name, const char *peer, size_t size)
{
	int i;

	for (i = 0; i < db->n; i++) {
		const struct result *r = &db->r[i];

		if (strcmp(r->env, env) == 0 && strcmp(r->kind, kind) == 0 && strcmp(r->name, name) == 0 &&
		    (!peer || strcmp(r->peer, peer) == 0) && r->size == size)
			return r;
	}
	return NULL;
}

static const char *info_of(const struct db *db, const char *env, const char *name)
{
	const struct result *r = find(db, env, "info", name, NULL, 0);

	return r ? r->note : "?";
}

/* A measured rate, or NAN. */
static double rate(const struct db *db, const char *env, const char *name, const char *peer,
		   size_t size)
{
	const struct result *r = find(db, env, "case", name, peer, size);

	return r && r->runs ? r->med : NAN;
}

/* The peers of one environment without a capacity suffix, in order seen. */
static int base_peers(const struct db *db, const char *env, const char **out)
{
	int i, j, n = 0;

	for (i = 0; i < db->n; i++) {
		const struct result *r = &db->r[i];

		if (strcmp(r->env, env) != 0 || strcmp(r->kind, "case") != 0 ||
		    strchr(r->peer, ':') || strchr(r->peer, '/'))
			continue;
		for (j = 0; j < n && strcmp(out[j], r->peer) != 0; j++)
			;
		if (j == n && n < MAX_PEERS)
			out[n++] = r->peer;
	}
	return n;
}

static void size_str(char *buf, size_t len, size_t size)
{
	if (size >= (1u << 20) && !(size % (1u << 20)))
		snprintf(buf, len, "%zu MiB", size >> 20);
	else if (size >= 1024 && !(size % 1024))
		snprintf(buf, len, "%zu KiB", size >> 10);
	else
		snprintf(buf, len, "%zu B", size);
}

/*
 * The targets of issue 11 (host, posix backend) and issue 12 (VM, the
 * module).  cost: the ratio is of time per message (b's rate / a's rate),
 * else of rates (a / b).  Reported, never asserted.
 */
struct target {
	const char *env, *issue, *what, *name;
	size_t size;
	const char *a, *b;
	int cost;
	int at_most;		/* the ratio must be <= goal, else >= */
	double goal;
};

static const struct target targets[] = {
	{ "host", "#11", "64 B streaming across two CPUs, msgs/s vs pipe", "stream-x", 64,
	  "libipc-posix", "pipe", 0, 0, 3.0 },
	{ "host", "#11", "one process send+receive 64 B, time vs pipe write+read", "oneproc", 64,
	  "libipc-posix", "pipe", 1, 1, 0.25 },
	{ "host", "#11", "rendezvous round trip across CPUs vs pipe ping-pong", "rtt-x", 64,
	  "libipc-posix:0", "pipe", 1, 1, 1.0 },
	{ "host", "#11", "4 senders + 4 receivers 64 B, msgs/s vs mq", "mpmc-4x4", 64,
	  "libipc-posix", "mq", 0, 0, 1.0 },
	{ "vm", "#12", "64 B streaming CPU 0->1, msgs/s vs pipe", "stream-x", 64,
	  "kmbox-ioctl", "pipe", 0, 0, 1.2 },
	{ "vm", "#12", "64 B streaming CPU 0->1, msgs/s vs mq", "stream-x", 64,
	  "kmbox-ioctl", "mq", 0, 0, 1.5 },
	{ "vm", "#12", "one process 64 B, time vs mq", "oneproc", 64,
	  "kmbox-ioctl", "mq", 1, 1, 0.9 },
	{ "vm", "#12", "one process 4 KiB, time vs pipe", "oneproc", 4096,
	  "kmbox-ioctl", "pipe", 1, 1, 1.0 },
	{ "vm", "#12", "one process 64 KiB, time vs pipe", "oneproc", 65536,
	  "kmbox-ioctl", "pipe", 1, 1, 1.0 },
	{ "vm", "#12", "round trip 64 B on one CPU, time vs pipe", "rtt-1", 64,
	  "kmbox-ioctl", "pipe", 1, 1, 1.0 },
	{ "vm", "#12", "rendezvous round trip 64 B on one CPU, time vs pipe", "rtt-1", 64,
	  "kmbox-ioctl:0", "pipe", 1, 1, 1.1 },
	{ "vm", "#12", "64 B streaming, batched (16 per call) vs unbatched", "stream-x", 64,
	  "kmbox-batch/16", "kmbox-ioctl", 0, 0, 2.5 },
	{ "vm", "#12", "64 B streaming, batched (16 per call) vs pipe batches", "stream-x", 64,
	  "kmbox-batch/16", "pipe-batch/16", 0, 0, 1.0 },
	{ "vm", "#13", "RPC round trip 64 B on one CPU, time vs pipe ping-pong", "rtt-1",
	  64, "kmbox-call", "pipe", 1, 1, 1.0 },
	{ "vm", "#13", "RPC by libipc, 64 B on one CPU, time vs pipe ping-pong", "rtt-1", 64,
	  "libipc-kernel-call", "pipe", 1, 1, 1.0 },
	/* The same, in a boot whose clock counts guest instructions (scripts/bench). */
	{ "vm-icount", "#13", "RPC round trip 64 B on one CPU, instructions vs pipe ping-pong",
	  "rtt-1", 64, "kmbox-call", "pipe", 1, 1, 1.0 },
	{ "vm-icount", "#13", "RPC by libipc, 64 B on one CPU, instructions vs pipe ping-pong",
	  "rtt-1", 64, "libipc-kernel-call", "pipe", 1, 1, 1.0 },
};

#define NTARGETS ((int)(sizeof(targets) / sizeof(targets[0])))

static double target_ratio(const struct db *db, const struct target *t)
{
	double a = rate(db, t->env, t->name, t->a, t->size);
	double b = rate(db, t->env, t->name, t->b, t->size);

	if (isnan(a) || isnan(b) || a <= 0 || b <= 0)
		return NAN;
	return t->cost ? b / a : a / b;
}

static const char *verdict(const struct target *t, double ratio)
{
	if (isnan(ratio))
		return "not measured";
	if (t->at_most)
		return ratio <= t->goal ? "met" : "missed";
	return ratio >= t->goal ? "met" : "missed";
}

static int has_env(const struct db *db, const char *env)
{
	int i;

	for (i = 0; i < db->nenvs; i++)
		if (strcmp(db->envs[i], env) == 0)
			return 1;
	return 0;
}

static void text_floors(FILE *f, const struct db *db, const char *env)
{
	int i;

	fprintf(f, "Floors (ns per operation, median [min..max]):\n");
	for (i = 0; i < db->n; i++) {
		const struct result *r = &db->r[i];

		if (strcmp(r->env, env) != 0 || strcmp(r->kind, "floor") != 0)
			continue;
		fprintf(f, "  %-14s %9.0f [%.0f..%.0f]  %s\n", r->name, r->med, r->min, r->max,
			r->note);
	}
}

static void fmt_ratio(char *buf, size_t len, double x)
{
	if (isnan(x))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f", x);
}

/* The capacities of the peers that have one (labels "peer:cap"), 64 B. */
static void text_modes(FILE *f, const struct db *db, const char *env)
{
	int i, k, any = 0;

	for (k = 0; k < NR_CASES; k++) {
		double pipe = rate(db, env, case_names[k], "pipe", 64);

		for (i = 0; i < db->n; i++) {
			const struct result *r = &db->r[i];
			char cell[16];

			if (strcmp(r->env, env) != 0 || strcmp(r->kind, "case") != 0 ||
			    strcmp(r->name, case_names[k]) != 0 || !strchr(r->peer, ':') ||
			    r->size != 64)
				continue;
			if (!any)
				fprintf(f, "\nCapacities at 64 B (peer:0 rendezvous, :1, :u unbounded; "
					   "others %d deep), ratio to the pipe:\n", BENCH_DEPTH);
			any = 1;
			fmt_ratio(cell, sizeof(cell), r->runs ? r->med / pipe : NAN);
			fprintf(f, "  %-9s %-18s %6s%s%s\n", r->name, r->peer, cell,
				r->runs ? "" : "  ", r->runs ? "" : r->note);
		}
	}
}

/*
 * The peer a batched one is compared with: the same without batches
 * ("kmbox-batch/16": kmbox-ioctl, "pipe-batch/16": pipe,
 * "libipc-kernel-batch/16": libipc-kernel).
 */
static void unbatched(const char *label, char *out, size_t len)
{
	size_t n = strcspn(label, "/");

	if (n > 6 && !strncmp(label + n - 6, "-batch", 6))
		n -= 6;
	snprintf(out, len, "%.*s", (int)n, label);
	if (!strcmp(out, "kmbox"))
		snprintf(out, len, "kmbox-ioctl");
}

/* The batched peers (labels "peer/N"): against unbatched, and pipe batches. */
static void text_batches(FILE *f, const struct db *db, const char *env)
{
	int i, any = 0;

	for (i = 0; i < db->n; i++) {
		const struct result *r = &db->r[i];
		const char *slash = strchr(r->peer, '/');
		char base[48], pb[48], sz[24], c1[16], c2[16];

		if (strcmp(r->env, env) != 0 || strcmp(r->kind, "case") != 0 || !slash)
			continue;
		if (!any)
			fprintf(f, "\nBatches (peer/N: N messages per call), msgs/s over the same peer "
				   "unbatched, and over a pipe carrying the same batches:\n"
				   "%-9s %-7s %-24s %11s %9s %10s %9s\n", "case", "size", "peer",
				"msgs/s", "CPU ns", "xunbatched", "xpipe-b");
		any = 1;
		size_str(sz, sizeof(sz), r->size);
		if (!r->runs) {
			fprintf(f, "%-9s %-7s %-24s %s\n", r->name, sz, r->peer, r->note);
			continue;
		}
		unbatched(r->peer, base, sizeof(base));
		snprintf(pb, sizeof(pb), "pipe-batch%s", slash);
		fmt_ratio(c1, sizeof(c1), r->med / rate(db, env, r->name, base, r->size));
		fmt_ratio(c2, sizeof(c2), r->med / rate(db, env, r->name, pb, r->size));
		fprintf(f, "%-9s %-7s %-24s %11.0f %9.0f %10s %9s\n", r->name, sz, r->peer, r->med,
			r->cpu_ns, c1, c2);
	}
}

/*
 * Round trips at 64 B (issue 13's RPC against its peers), as time: ns per
 * round trip, over the pipe's and over the futex ping-pong floor of the
 * same CPUs, and the system calls the ptrace pass counted per round trip,
 * the client's (process 0) and the server's.
 */
static void text_rpc(FILE *f, const struct db *db, const char *env)
{
	static const char *const rtt[] = { "rtt-1", "rtt-x" };
	static const char *const floor_of[] = { "futex-rtt-1", "futex-rtt-x" };
	int i, k, any = 0, rows;

	for (k = 0; k < 2; k++) {
		const struct result *fl = find(db, env, "floor", floor_of[k], "-", 0);
		double pipe = rate(db, env, rtt[k], "pipe", 64);
		double fns = fl && fl->runs ? fl->med : NAN;

		for (i = 0, rows = 0; i < db->n; i++) {
			const struct result *r = &db->r[i];
			char c1[16], c2[16], sys[40];
			double ns;

			if (strcmp(r->env, env) != 0 || strcmp(r->kind, "case") != 0 ||
			    strcmp(r->name, rtt[k]) != 0 || r->size != 64 || !r->runs ||
			    strchr(r->peer, ':') || find(db, env, "case", r->name, r->peer, 64) != r)
				continue;	/* the first of a peer measured twice */
			if (!any)
				fprintf(f, "\nRound trips of 64 B each way (RPC: the *-call peers), time per "
					   "round trip over the pipe's and over the futex floor's (<= 1 is "
					   "as fast or faster);\nsystem calls per round trip counted by "
					   "ptrace, client + server:\n%-6s %-20s %9s %7s %7s %6s  %s\n",
					"case", "peer", "ns/rtt", "t/pipe", "t/futex", "csw", "syscalls");
			any = 1;
			rows++;
			ns = 1e9 / r->med;
			fmt_ratio(c1, sizeof(c1), ns * pipe / 1e9);
			fmt_ratio(c2, sizeof(c2), ns / fns);
			if (r->syscalls >= 0 && r->syscalls0 >= 0)
				snprintf(sys, sizeof(sys), "%.2f + %.2f", r->syscalls0,
					 r->syscalls - r->syscalls0);
			else if (r->syscalls >= 0)
				snprintf(sys, sizeof(sys), "%.2f", r->syscalls);
			else
				snprintf(sys, sizeof(sys), "-");
			fprintf(f, "%-6s %-20s %9.0f %7s %7s %6.2f  %s\n", r->name, r->peer, ns, c1,
				c2, r->csw, sys);
		}
		if (rows && !isnan(fns))
			fprintf(f, "%-6s %-20s %9.0f %7s %7s\n", rtt[k], "(futex floor)", fns, "", "1.00");
	}
}

/* What limits made a peer smaller than asked, once per peer and note. */
static void text_notes(FILE *f, const struct db *db, const char *env)
{
	int i, j, any = 0;

	for (i = 0; i < db->n; i++) {
		const struct result *r = &db->r[i], *q = NULL;

		if (strcmp(r->env, env) != 0 || strcmp(r->kind, "case") != 0 || !r->runs ||
		    strcmp(r->note, "-") == 0)
			continue;
		for (j = 0; j < i && !q; j++)
			if (strcmp(db->r[j].env, env) == 0 && strcmp(db->r[j].peer, r->peer) == 0 &&
			    strcmp(db->r[j].note, r->note) == 0 && db->r[j].runs)
				q = &db->r[j];
		if (q)
			continue;
		if (!any)
			fprintf(f, "\nLimits in force (the peer ran, smaller than asked):\n");
		any = 1;
		fprintf(f, "  %-18s %s\n", r->peer, r->note);
	}
}

static void text_env(FILE *f, const struct db *db, const char *env, int detail)
{
	const char *peers[MAX_PEERS];
	size_t sizes[] = { 64, 4096, 65536, 1048576 };
	char sz[24], cell[32];
	int np, i, k, s;

	fprintf(f, "\n== %s: %s, %s CPUs, %s, %s ==\n", env, info_of(db, env, "kernel"),
		info_of(db, env, "cpus"), info_of(db, env, "date"), info_of(db, env, "method"));
	fprintf(f, "kernel command line: %s\n", info_of(db, env, "cmdline"));
	text_floors(f, db, env);

	np = base_peers(db, env, peers);
	fprintf(f, "\nRatios to the pipe in the same case and size (msgs/s over pipe's; > 1 is faster):\n");
	fprintf(f, "%-9s %-7s %13s", "case", "size", "pipe msgs/s");
	for (i = 0; i < np; i++)
		if (strcmp(peers[i], "pipe") != 0)
			fprintf(f, " %13s", peers[i]);
	fputc('\n', f);
	for (k = 0; k < NR_CASES; k++) {
		for (s = 0; s < 4; s++) {
			double pipe = rate(db, env, case_names[k], "pipe", sizes[s]);
			int any = 0;

			for (i = 0; i < np; i++)
				any |= find(db, env, "case", case_names[k], peers[i], sizes[s]) != NULL;
			if (!any)
				continue;
			size_str(sz, sizeof(sz), sizes[s]);
			fprintf(f, "%-9s %-7s %13.0f", case_names[k], sz, pipe);
			for (i = 0; i < np; i++) {
				if (strcmp(peers[i], "pipe") == 0)
					continue;
				fmt_ratio(cell, sizeof(cell),
					  rate(db, env, case_names[k], peers[i], sizes[s]) / pipe);
				fprintf(f, " %13s", cell);
			}
			fputc('\n', f);
		}
	}
	text_rpc(f, db, env);
	text_modes(f, db, env);
	text_batches(f, db, env);
	text_notes(f, db, env);
	if (!detail)
		return;

	fprintf(f, "\nEvery result (rtt: round trips; CPU: user+sys of all processes per message;\n"
		   "csw: context switches per message; sys: system calls per message, ptrace pass):\n");
	fprintf(f, "%-9s %-7s %-18s %11s %23s %9s %7s %6s %6s %6s\n", "case", "size", "peer",
		"msgs/s", "[min..max]", "CPU ns", "csw", "sys", "xpipe", "xmq");
	for (i = 0; i < db->n; i++) {
		const struct result *r = &db->r[i];
		char range[48], sys[16], xp[16], xm[16];

		if (strcmp(r->env, env) != 0 || strcmp(r->kind, "case") != 0)
			continue;
		size_str(sz, sizeof(sz), r->size);
		if (!r->runs) {
			fprintf(f, "%-9s %-7s %-18s %s\n", r->name, sz, r->peer, r->note);
			continue;
		}
		snprintf(range, sizeof(range), "[%.0f..%.0f]", r->min, r->max);
		if (r->syscalls >= 0)
			snprintf(sys, sizeof(sys), "%.2f", r->syscalls);
		else
			snprintf(sys, sizeof(sys), "-");
		fmt_ratio(xp, sizeof(xp), r->med / rate(db, env, r->name, "pipe", r->size));
		fmt_ratio(xm, sizeof(xm), r->med / rate(db, env, r->name, "mq", r->size));
		fprintf(f, "%-9s %-7s %-18s %11.0f %23s %9.0f %7.3f %6s %6s %6s%s%s\n", r->name, sz,
			r->peer, r->med, range, r->cpu_ns, r->csw, sys, xp, xm,
			strcmp(r->note, "-") != 0 ? "  " : "", strcmp(r->note, "-") != 0 ? r->note : "");
	}
}

static void text_targets(FILE *f, const struct db *db)
{
	int i;

	fprintf(f, "Targets (ratios within one run; reported, never asserted):\n");
	fprintf(f, "%-5s %-4s %-55s %-28s %7s %7s  %s\n", "env", "iss", "case", "peers", "target",
		"ratio", "");
	for (i = 0; i < NTARGETS; i++) {
		const struct target *t = &targets[i];
		double x = target_ratio(db, t);
		char peers[64], goal[16], got[16];

		if (!has_env(db, t->env))
			continue;
		snprintf(peers, sizeof(peers), "%s/%s", t->a, t->b);
		snprintf(goal, sizeof(goal), "%s%.2f", t->at_most ? "<=" : ">=", t->goal);
		fmt_ratio(got, sizeof(got), x);
		fprintf(f, "%-5s %-4s %-55s %-28s %7s %7s  %s\n", t->env, t->issue, t->what,
			peers, goal, got, verdict(t, x));
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double x)
{
	if (isnan(x) || isinf(x))
		fprintf(f, "null");
	else
		fprintf(f, "%.6g", x);
}

static void json_env(FILE *f, const struct db *db, const char *env)
{
	int i, first;

	fprintf(f, "    ");
	json_str(f, env);
	fprintf(f, ": {\n      \"info\": {");
	first = 1;
	for (i = 0; i < db->n; i++) {
		const struct result *r = &db->r[i];

		if (strcmp(r->env, env) != 0 || strcmp(r->kind, "info") != 0 ||
		    find(db, env, "info", r->name, NULL, 0) != r)
			continue;	/* a second run in the same environment */
		fprintf(f, "%s", first ? "" : ", ");
		json_str(f, r->name);
		fprintf(f, ": ");
		json_str(f, r->note);
		first = 0;
	}
	fprintf(f, "},\n      \"floors\": [");
	first = 1;
	for (i = 0; i < db->n; i++) {
		const struct result *r = &db->r[i];

		if (strcmp(r->env, env) != 0 || strcmp(r->kind, "floor") != 0)
			continue;
		fprintf(f, "%s\n        {\"name\": ", first ? "" : ",");
		json_str(f, r->name);
		fprintf(f, ", \"ns\": {\"min\": ");
		json_num(f, r->min);
		fprintf(f, ", \"median\": ");
		json_num(f, r->med);
		fprintf(f, ", \"max\": ");
		json_num(f, r->max);
		fprintf(f, "}, \"n\": %llu, \"runs\": %d, \"note\": ", (unsigned long long)r->n,
			r->runs);
		json_str(f, r->note);
		fputc('}', f);
		first = 0;
	}
	fprintf(f, "\n      ],\n      \"results\": [");
	first = 1;
	for (i = 0; i < db->n; i++) {
		const struct result *r = &db->r[i];

		if (strcmp(r->env, env) != 0 || strcmp(r->kind, "case") != 0)
			continue;
		fprintf(f, "%s\n        {\"case\": ", first ? "" : ",");
		json_str(f, r->name);
		fprintf(f, ", \"peer\": ");
		json_str(f, r->peer);
		fprintf(f, ", \"size\": %zu", r->size);
		if (r->runs) {
			fprintf(f, ", \"n\": %llu, \"runs\": %d, \"msgs_per_s\": {\"min\": ",
				(unsigned long long)r->n, r->runs);
			json_num(f, r->min);
			fprintf(f, ", \"median\": ");
			json_num(f, r->med);
			fprintf(f, ", \"max\": ");
			json_num(f, r->max);
			fprintf(f, "}, \"cpu_ns_per_msg\": ");
			json_num(f, r->cpu_ns);
			fprintf(f, ", \"csw_per_msg\": ");
			json_num(f, r->csw);
			fprintf(f, ", \"syscalls_per_msg\": ");
			json_num(f, r->syscalls >= 0 ? r->syscalls : NAN);
			fprintf(f, ", \"syscalls_per_msg_process0\": ");
			json_num(f, r->syscalls0 >= 0 ? r->syscalls0 : NAN);
			fprintf(f, ", \"ratio_vs_pipe\": ");
			json_num(f, r->med / rate(db, env, r->name, "pipe", r->size));
			fprintf(f, ", \"ratio_vs_mq\": ");
			json_num(f, r->med / rate(db, env, r->name, "mq", r->size));
		} else {
			fprintf(f, ", \"runs\": 0, \"note\": ");
			json_str(f, r->note);
		}
		fputc('}', f);
		first = 0;
	}
	fprintf(f, "\n      ]\n    }");
}

static void json_all(FILE *f, const struct db *db)
{
	int i, first = 1;

	fprintf(f, "{\n  \"format\": \"kmbox-bench 1\",\n  \"envs\": {\n");
	for (i = 0; i < db->nenvs; i++) {
		json_env(f, db, db->envs[i]);
		fprintf(f, "%s\n", i + 1 < db->nenvs ? "," : "");
	}
	fprintf(f, "  },\n  \"targets\": [");
	for (i = 0; i < NTARGETS; i++) {
		const struct target *t = &targets[i];
		double x = target_ratio(db, t);

		if (!has_env(db, t->env))
			continue;
		fprintf(f, "%s\n    {\"env\": ", first ? "" : ",");
		json_str(f, t->env);
		fprintf(f, ", \"issue\": ");
		json_str(f, t->issue);
		fprintf(f, ", \"what\": ");
		json_str(f, t->what);
		fprintf(f, ", \"case\": ");
		json_str(f, t->name);
		fprintf(f, ", \"size\": %zu, \"peer\": ", t->size);
		json_str(f, t->a);
		fprintf(f, ", \"against\": ");
		json_str(f, t->b);
		fprintf(f, ", \"ratio_of\": \"%s\", \"goal\": \"%s%.2f\", \"ratio\": ",
			t->cost ? "time per message" : "msgs/s", t->at_most ? "<=" : ">=", t->goal);
		json_num(f, x);
		fprintf(f, ", \"verdict\": ");
		json_str(f, verdict(t, x));
		fputc('}', f);
		first = 0;
	}
	fprintf(f, "\n  ]\n}\n");
}

static FILE *out_open(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
	return f;
}

/* Streaming across CPUs, MB/s by size, one column per base peer. */
static int plot_data(const char *dir, const struct db *db, const char *env, int *ncols)
{
	const char *peers[MAX_PEERS];
	size_t sizes[] = { 64, 4096, 65536, 1048576 };
	char name[64];
	FILE *f;
	int np, i, s;

	snprintf(name, sizeof(name), "throughput-%s.dat", env);
	f = out_open(dir, name);
	if (!f)
		return -1;
	np = base_peers(db, env, peers);
	fprintf(f, "size");
	for (i = 0; i < np; i++)
		fprintf(f, "\t%s", peers[i]);
	fputc('\n', f);
	for (s = 0; s < 4; s++) {
		fprintf(f, "%zu", sizes[s]);
		for (i = 0; i < np; i++) {
			double x = rate(db, env, "stream-x", peers[i], sizes[s]);

			if (isnan(x))
				fprintf(f, "\t?");
			else
				fprintf(f, "\t%.6g", x * (double)sizes[s] / 1e6);
		}
		fputc('\n', f);
	}
	*ncols = np;
	return fclose(f) ? -1 : 0;
}

static int plot_script(const char *dir, const struct db *db)
{
	FILE *f = out_open(dir, "plot.gp");
	int i, ncols;

	if (!f)
		return -1;
	fprintf(f, "# gnuplot %s/plot.gp (from that directory): bench.png\n"
		   "set terminal pngcairo size %d,560 noenhanced font ',10'\n"
		   "set output 'bench.png'\n"
		   "set datafile missing '?'\n"
		   "set datafile separator tab\n"
		   "set logscale xy\n"
		   "set xtics ('64 B' 64, '4 KiB' 4096, '64 KiB' 65536, '1 MiB' 1048576)\n"
		   "set xlabel 'message size'\n"
		   "set ylabel 'MB/s, one sender CPU 0 -> one receiver CPU 1'\n"
		   "set key left top\n"
		   "set grid\n"
		   "set multiplot layout 1,%d\n", dir, 560 * (db->nenvs ? db->nenvs : 1),
		db->nenvs ? db->nenvs : 1);
	for (i = 0; i < db->nenvs; i++) {
		if (plot_data(dir, db, db->envs[i], &ncols)) {
			fclose(f);
			return -1;
		}
		fprintf(f, "set title 'streaming throughput by size: %s (%s)'\n", db->envs[i],
			info_of(db, db->envs[i], "kernel"));
		fprintf(f, "plot for [c=2:%d] 'throughput-%s.dat' using 1:c with linespoints "
			   "title columnheader(c)\n", ncols + 1, db->envs[i]);
	}
	fprintf(f, "unset multiplot\n");
	return fclose(f) ? -1 : 0;
}

int report(int nfiles, char **files, const char *outdir)
{
	struct db db = { 0 };
	char line[1024];
	FILE *f;
	int i, j, ret = 0;

	db.r = calloc(MAX_RESULTS, sizeof(*db.r));
	if (!db.r)
		return 1;
	for (i = 0; i < nfiles; i++) {
		f = fopen(files[i], "r");
		if (!f) {
			fprintf(stderr, "bench: %s: %s\n", files[i], strerror(errno));
			ret = 1;
			continue;
		}
		while (fgets(line, sizeof(line), f) && db.n < MAX_RESULTS) {
			struct result *r = &db.r[db.n];

			if (result_parse(line, r))
				continue;
			db.n++;
			for (j = 0; j < db.nenvs && strcmp(db.envs[j], r->env) != 0; j++)
				;
			if (j == db.nenvs && j < MAX_ENVS)
				snprintf(db.envs[db.nenvs++], sizeof(db.envs[0]), "%s", r->env);
		}
		fclose(f);
	}
	if (!db.n) {
		fprintf(stderr, "bench: no results in the files given\n");
		free(db.r);
		return 1;
	}

	for (j = 0; j < 2; j++) {
		f = out_open(outdir, j ? "bench.txt" : "summary.txt");
		if (!f) {
			ret = 1;
			continue;
		}
		text_targets(f, &db);
		for (i = 0; i < db.nenvs; i++)
			text_env(f, &db, db.envs[i], j);
		ret |= fclose(f) ? 1 : 0;
	}
	f = out_open(outdir, "bench.json");
	if (f) {
		json_all(f, &db);
		ret |= fclose(f) ? 1 : 0;
	} else {
		ret = 1;
	}
	ret |= plot_script(outdir, &db) ? 1 : 0;
	free(db.r);
	return ret;
}
