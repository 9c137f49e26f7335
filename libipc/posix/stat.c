// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The posix backend's introspection: ipc_info, ipc_stat and ipc_list
 * (design: pmb.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmb.h"

/*
 * A private copy of what a mailbox holds, for a look without its lock:
 * read once, from the file (pread: a truncated file is a short read, not
 * a SIGBUS) or the mapping, and never written back.
 */
struct pmb_view {
	struct pmb_hdr h;
	struct pmb_waiter w[PMB_NWAIT];
	int fd;				/* read chunks from here, */
	const struct pmb *p;		/* or, -1, from this mapping */
	off_t off_chunks;
};

/* The header of message c, copied out: false if it cannot be read. */
static bool pmb_view_msg(const struct pmb_view *v, uint32_t c, struct pmb_msg *m)
{
	if (c >= v->h.nchunks)
		return false;
	if (v->fd < 0) {
		memcpy(m, pmb_msg((struct pmb *)v->p, c), sizeof(*m));
		return true;
	}
	return pread(v->fd, m, sizeof(*m), v->off_chunks + (off_t)c * PMB_CHUNK) ==
	       (ssize_t)sizeof(*m);
}

/*
 * What the mailbox in view holds into info and st (st may be NULL): the
 * counts as they were when copied, which may be torn if it changed
 * meanwhile, and cannot be more wrong than that: every value is bounded
 * before use.  Dead waiters are left out, not reaped.
 */
static void pmb_tally(const struct pmb_view *v, struct ipc_info *info,
		      struct ipc_stat *st)
{
	const struct pmb_hdr *h = &v->h;
	uint32_t order[PMB_NWAIT], nrecv = 0, npeek = 0, nsend = 0, ncall = 0, i, j, c;
	uint64_t msgs = h->msgs, bytes = h->bytes, claimed;
	struct pmb_msg m;

	for (i = 0; i < PMB_NWAIT; i++) {
		const struct pmb_waiter *w = &v->w[i];

		if (w->kind == W_NONE || w->kind > W_KIND_MAX || !w->tid ||
		    pmb_dead(h->pidns, h->foreign, w->tid, (uint32_t)w->pid == w->tid))
			continue;
		if (w->kind == W_RECV) {
			for (j = nrecv; j > 0 && v->w[order[j - 1]].ticket > w->ticket; j--)
				order[j] = order[j - 1];
			order[j] = i;
			nrecv++;
		} else if (w->kind == W_PEEK || w->kind == W_SEL) {
			npeek++;
		} else if (w->kind == W_CALL) {
			/* Received: a pending call, not a blocked sender. */
			if (w->result == 0)
				ncall++;
		} else {
			nsend++;
		}
	}
	if (msgs > h->nchunks)
		msgs = h->nchunks;
	/* Claimed messages count as handed over, as in the kernel. */
	claimed = msgs < nrecv ? msgs : nrecv;
	for (i = 0, c = h->qhead; i < claimed && pmb_view_msg(v, c, &m); i++, c = m.next)
		bytes = bytes > m.len ? bytes - m.len : 0;
	info->msgs = msgs - claimed;
	info->bytes = bytes;
	info->receivers_waiting = nrecv - (uint32_t)claimed + npeek;
	info->senders_waiting = nsend;
	info->state = h->state <= IPC_STATE_DESTROYED ? h->state : IPC_STATE_DESTROYED;
	info->sent = h->sent;
	info->received = h->received;
	info->dropped = h->dropped;
	info->calls_pending = ncall;
	if (!st)
		return;
	/* Receivers whose message is claimed are no longer blocked. */
	for (i = (uint32_t)claimed; i < nrecv && st->nreceivers < IPC_STAT_PIDS; i++)
		st->receivers[st->nreceivers++] = v->w[order[i]].pid;
	for (i = 0; i < PMB_NWAIT; i++) {
		const struct pmb_waiter *w = &v->w[i];

		if (!w->tid || pmb_dead(h->pidns, h->foreign, w->tid, (uint32_t)w->pid == w->tid))
			continue;
		if ((w->kind == W_ROOM || w->kind == W_TAKEN) && st->nsenders < IPC_STAT_PIDS)
			st->senders[st->nsenders++] = w->pid;
		else if ((w->kind == W_PEEK || w->kind == W_SEL) &&
			 st->nreceivers < IPC_STAT_PIDS)
			st->receivers[st->nreceivers++] = w->pid;
	}
}

/* The immutable part, from what the handle checked when it opened. */
static void pmb_info_fixed(const struct pmb *p, bool linked, struct ipc_info *info)
{
	if (linked && p->named)
		memcpy(info->name, p->name, sizeof(info->name));
	info->id = p->id;
	info->capacity = p->capacity;
	info->max_msg_size = p->max_msg_size;
	info->mode = p->mode;
	info->uid = p->uid;
	info->gid = p->gid;
	info->flags = p->flags;
	info->port_pid = p->port_pid;
}

/*
 * What the mailbox holds now into info, under its lock (dead peers reaped
 * and a dead holder's work recovered, as a call would), or, if the lock is
 * not to be had at once, from a copy.
 */
int pmb_info(struct ipc_mbox *mb, struct ipc_info *info)
{
	struct pmb *p = to_pmb(mb);
	struct pmb_wake ws = { .slots = false };
	struct pmb_view *v;
	struct pmb_scan sc;

	if (pmb_lock(p, &pmb_dl_nowait) == 0) {
		/* What it says of waiters is what the next call finds. */
		pmb_reap_now(p);
		pmb_scan(p, -1, &sc, &ws);
		pmb_unlock(p, &ws);
	}
	v = malloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(&v->h, p->hdr, sizeof(v->h));
	memcpy(v->w, p->w, sizeof(v->w));
	v->h.pidns = p->pidns;
	v->h.nchunks = p->nchunks;
	v->fd = -1;
	v->p = p;
	pmb_tally(v, info, NULL);
	pmb_info_fixed(p, v->h.linked, info);
	free(v);
	info->access = mb->access;
	return 0;
}

/* ---- introspection ---------------------------------------------------------------- */

/*
 * The stat of the segment in file (name: the name it must hold, or NULL).
 * One the caller may not open is described from the file alone when its
 * name is known, with IPC_STAT_PARTIAL.  Nothing is locked, mapped,
 * repaired or waited for: the file is read, and checked as any input.
 */
static int pmb_stat_at(const char *file, const char *name, struct ipc_stat *st)
{
	char path[sizeof(PMB_SHM_DIR) + NAME_MAX + 1], want[NAME_MAX + 1];
	struct pmb_hdr *h;
	struct pmb_view *v;
	struct pmb_geom g;
	struct stat fst;
	int fd, ret;

	snprintf(path, sizeof(path), PMB_SHM_DIR "/%s", file);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && (errno == EACCES || errno == EPERM)) {
		ret = -errno;
		if (!name && strlen(file) > sizeof(PMB_PREFIX) - 1 &&
		    file[sizeof(PMB_PREFIX) - 1] != '#')
			name = file + sizeof(PMB_PREFIX) - 1;
		if (!name || lstat(path, &fst) || !S_ISREG(fst.st_mode))
			return ret;
		st->flags = IPC_STAT_PARTIAL;
		st->info.uid = fst.st_uid;
		st->info.gid = fst.st_gid;
		snprintf(st->info.name, sizeof(st->info.name), "%s", name);
		return 0;
	}
	if (fd < 0)
		return errno == ELOOP ? -EBADMSG : -errno;
	v = malloc(sizeof(*v));
	if (!v) {
		ret = -ENOMEM;
		goto out_close;
	}
	h = &v->h;
	ret = -EBADMSG;		/* not a segment of ours, until shown to be */
	if (fstat(fd, &fst) || !S_ISREG(fst.st_mode) ||
	    pread(fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h))
		goto out_free;
	h->name[sizeof(h->name) - 1] = '\0';
	if (!pmb_header_ok(h, fst.st_size) || !h->name[0])
		goto out_free;
	if (!name)
		pmb_file_name(h->name, want);
	if ((name ? strcmp(h->name, name) : strcmp(want, file)) != 0)
		goto out_free;
	pmb_geometry(h->nwait, h->nchunks, &g);
	if (pread(fd, v->w, sizeof(v->w), (off_t)g.off_wait) != (ssize_t)sizeof(v->w))
		goto out_free;
	ret = -ENOENT;		/* destroyed, its name not yet removed */
	if (h->state == IPC_STATE_DESTROYED)
		goto out_free;
	v->fd = fd;
	v->p = NULL;
	v->off_chunks = (off_t)g.off_chunks;
	pmb_tally(v, &st->info, st);
	if (h->linked)
		memcpy(st->info.name, h->name, sizeof(st->info.name));
	st->info.id = h->id;
	st->info.capacity = h->capacity;
	st->info.max_msg_size = h->max_msg_size;
	st->info.mode = h->mode;
	st->info.flags = h->flags;
	st->info.port_pid = h->flags & IPC_PORT ? h->port_pid : 0;
	/* The file's owner is the owner: the kernel vouches for that. */
	st->info.uid = fst.st_uid;
	st->info.gid = fst.st_gid;
	ret = 0;
out_free:
	free(v);
out_close:
	close(fd);
	return ret;
}

int pmb_stat(const char *name, struct ipc_stat *st)
{
	char file[NAME_MAX + 1];

	pmb_file_name(name, file);
	return pmb_stat_at(file, name, st);
}

/* Every file kmbox.* in PMB_SHM_DIR that is a live segment of ours. */
int pmb_list(ipc_list_fn fn, void *arg)
{
	struct ipc_stat st;
	struct dirent *de;
	int ret = 0;
	DIR *dir;

	dir = opendir(PMB_SHM_DIR);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, PMB_PREFIX, sizeof(PMB_PREFIX) - 1) != 0)
			continue;
		memset(&st, 0, sizeof(st));
		/* Gone meanwhile, destroyed, or not ours: not a mailbox. */
		if (pmb_stat_at(de->d_name, NULL, &st))
			continue;
		ret = fn(&st, arg);
		if (ret)
			break;
	}
	closedir(dir);
	return ret;
}
