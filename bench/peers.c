// SPDX-License-Identifier: GPL-2.0-only
/*
 * The peers: one way to carry a message from one process to another each.
 *
 * Depth.  Peers that count messages (POSIX mq, kmbox, libipc) hold
 * BENCH_DEPTH of them unless a capacity is given ("kmbox-ioctl:0").  Peers
 * that count bytes get a buffer of BENCH_DEPTH messages' worth, at least
 * their default and at most BYTE_BUF_MAX: the pipe (F_SETPIPE_SZ), the
 * socket (SO_SNDBUF, SO_SNDBUFFORCE as root) and the SysV queue
 * (msg_qbytes).  A size a peer cannot carry with the limits in force
 * (sysctls, rlimits, privileges) is skipped, and the reason said.
 *
 * Every call here is one system call per message except where a loop
 * completes a short pipe read or write (a call peer's: one per call, one
 * per request served); report.c's syscall figures are
 * counted by ptrace, not taken from here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define BYTE_BUF_MAX	(4u << 20)

size_t peer_byte_buf(size_t size, size_t dflt)
{
	size_t want = size * BENCH_DEPTH;

	if (want > BYTE_BUF_MAX)
		want = BYTE_BUF_MAX;
	return want > dflt ? want : dflt;
}

/* A number from /proc (a sysctl), or -1. */
long proc_long(const char *path)
{
	char buf[32], *end;
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f)) {
		errno = 0;
		v = strtol(buf, &end, 10);
		if (errno || end == buf)
			v = -1;
	}
	fclose(f);
	return v;
}

int peer_why(char *why, size_t len, const char *fmt, const char *what, int err)
{
	snprintf(why, len, fmt, what, strerror(err));
	return -1;
}

static const struct peer *const peers[] = {
	&peer_pipe, &peer_unix, &peer_mq, &peer_sysv, &peer_kmbox_ioctl, &peer_kmbox_rw, &peer_libipc,
	&peer_pipe_batch, &peer_kmbox_batch, &peer_libipc_batch, &peer_kmbox_call, &peer_libipc_call,
};

void peer_list(FILE *f)
{
	size_t i;

	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++)
		fprintf(f, " %s%s%s", peers[i]->name, peers[i]->has_capacity ? "[:0|:1|:N|:u]" : "",
			peers[i]->send_batch ? "[/N]" : "");
	fputc('\n', f);
}

/*
 * "name" or "name:cap" (cap 0 rendezvous, N bounded, u unbounded); a
 * batched peer "name/N", N messages per call (BENCH_BATCH_MAX at most; 16
 * if not said).  The label names libipc by its backend, so results say
 * which one ran.
 */
int peer_parse(const char *s, struct peer_spec *ps)
{
	const char *colon = strchr(s, ':'), *slash = strchr(s, '/');
	size_t nlen = colon ? (size_t)(colon - s) : slash ? (size_t)(slash - s) : strlen(s);
	char base[32];
	size_t i;

	memset(ps, 0, sizeof(*ps));
	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++)
		if (strlen(peers[i]->name) == nlen && !strncmp(peers[i]->name, s, nlen))
			ps->peer = peers[i];
	if (!ps->peer || (colon && slash))
		return -1;
	ps->capacity = BENCH_DEPTH;
	if (colon) {
		char *end;

		if (!ps->peer->has_capacity)
			return -1;
		if (strcmp(colon + 1, "u") == 0) {
			ps->capacity = BENCH_UNBOUNDED;
		} else {
			errno = 0;
			ps->capacity = strtoull(colon + 1, &end, 10);
			if (errno || end == colon + 1 || *end)
				return -1;
		}
	}
	if (slash && !ps->peer->send_batch)
		return -1;
	if (ps->peer->send_batch) {
		ps->batch = 16;
		if (slash) {
			char *end;
			unsigned long b;

			errno = 0;
			b = strtoul(slash + 1, &end, 10);
			if (errno || end == slash + 1 || *end || !b || b > BENCH_BATCH_MAX)
				return -1;
			ps->batch = (unsigned int)b;
		}
	}
	if (ps->peer == &peer_libipc)
		snprintf(base, sizeof(base), "%s", peer_libipc_name());
	else if (ps->peer == &peer_libipc_batch)
		snprintf(base, sizeof(base), "%s-batch", peer_libipc_name());
	else if (ps->peer == &peer_libipc_call)
		snprintf(base, sizeof(base), "%s-call", peer_libipc_name());
	else
		snprintf(base, sizeof(base), "%s", ps->peer->name);
	if (ps->batch)
		snprintf(ps->label, sizeof(ps->label), "%s/%u", base, ps->batch);
	else
		snprintf(ps->label, sizeof(ps->label), "%s%s", base, colon ? colon : "");
	return 0;
}

int chan_open(struct chan *c, const struct peer_spec *ps, size_t size, char *why, size_t whylen)
{
	memset(c, 0, sizeof(*c));
	c->peer = ps->peer;
	c->capacity = ps->capacity;
	c->size = size;
	c->batch = ps->batch;
	c->rfd = c->wfd = c->id = -1;
	why[0] = '\0';
	return ps->peer->open(c, why, whylen);
}

void chan_close(struct chan *c)
{
	if (c->peer)
		c->peer->close(c);
	c->peer = NULL;
}
