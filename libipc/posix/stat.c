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
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pmb.h"

/*
 * What the mailbox holds now into info (its immutable fields too), and,
 * st given, the pids of who is blocked.  Lock held.
 */
static void pmb_snapshot(struct pmb *p, struct ipc_info *info,
			 struct ipc_stat *st, struct pmb_wake *ws)
{
	struct pmb_hdr *h = p->hdr;
	struct pmb_scan sc;
	uint64_t claimed, i;

	pmb_scan(p, -1, &sc, ws);
	/* Claimed messages count as handed over, as in the kernel. */
	claimed = pmb_claimed(p, &sc);
	info->msgs = h->msgs - claimed;
	info->bytes = h->bytes;
	for (i = 0; i < claimed; i++) {
		uint32_t c = pmb_q_nth(p, i);

		if (c != PMB_NIL)
			info->bytes -= pmb_msg(p, c)->len;
	}
	info->receivers_waiting = sc.nrecv - (uint32_t)claimed + sc.npeek;
	info->senders_waiting = sc.nsend;
	info->state = h->state;
	info->sent = h->sent;
	info->received = h->received;
	info->dropped = h->dropped;
	if (h->linked && p->named)
		memcpy(info->name, p->name, sizeof(info->name));
	info->id = p->id;
	info->capacity = p->capacity;
	info->max_msg_size = p->max_msg_size;
	info->mode = p->mode;
	info->uid = p->uid;
	info->gid = p->gid;
	if (!st)
		return;
	/* Receivers whose message is claimed are no longer blocked. */
	for (i = claimed; i < sc.nrecv && st->nreceivers < IPC_STAT_PIDS; i++)
		st->receivers[st->nreceivers++] = p->w[sc.order[i]].pid;
	for (i = 0; i < p->nwait; i++) {
		uint32_t kind = p->w[i].kind;

		if ((kind == W_ROOM || kind == W_TAKEN) && st->nsenders < IPC_STAT_PIDS)
			st->senders[st->nsenders++] = p->w[i].pid;
		else if (kind == W_PEEK && st->nreceivers < IPC_STAT_PIDS)
			st->receivers[st->nreceivers++] = p->w[i].pid;
	}
}

int pmb_info(struct ipc_mbox *mb, struct ipc_info *info)
{
	struct pmb *p = to_pmb(mb);
	struct pmb_wake ws = { .slots = false };
	int ret;

	ret = pmb_lock(p);
	if (ret)
		return ret;
	pmb_snapshot(p, info, NULL, &ws);
	pmb_unlock(p, &ws);
	info->access = mb->access;
	return 0;
}

/* ---- introspection ---------------------------------------------------------------- */

/*
 * The stat of the segment in file (name: the name it must hold, or NULL).
 * One the caller may not open is described from the file alone when its
 * name is known, with IPC_STAT_PARTIAL.
 */
static int pmb_stat_at(const char *file, const char *name, struct ipc_stat *st)
{
	char path[sizeof(PMB_SHM_DIR) + NAME_MAX + 1];
	struct pmb_wake ws = { .slots = false };
	struct ipc_mbox *mb = NULL;
	struct stat fst;
	struct pmb *p;
	int ret;

	ret = pmb_open_at(file, name, IPC_RECV, false, &mb);
	if (ret == -EACCES || ret == -EPERM) {
		snprintf(path, sizeof(path), PMB_SHM_DIR "/%s", file);
		if (!name && strlen(file) > sizeof(PMB_PREFIX) - 1 &&
		    file[sizeof(PMB_PREFIX) - 1] != '#')
			name = file + sizeof(PMB_PREFIX) - 1;
		if (!name || lstat(path, &fst))
			return ret;
		st->flags = IPC_STAT_PARTIAL;
		st->info.uid = fst.st_uid;
		st->info.gid = fst.st_gid;
		snprintf(st->info.name, sizeof(st->info.name), "%s", name);
		return 0;
	}
	if (ret)
		return ret;
	p = to_pmb(mb);
	ret = pmb_lock(p);
	if (!ret) {
		pmb_snapshot(p, &st->info, st, &ws);
		pmb_unlock(p, &ws);
	}
	pmb_release(mb);
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
