// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The posix backend's segment: its geometry, the checks of a segment
 * before it is used, attaching a handle to it, and allocating its backing
 * store (design: pmb.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "pmb.h"

/* ---- geometry and checks ---------------------------------------------------- */

void pmb_geometry(uint32_t nwait, uint32_t nchunks, struct pmb_geom *g)
{
	g->off_wait = pmb_align(sizeof(struct pmb_hdr), 64);
	g->off_cstate = pmb_align(g->off_wait + nwait * sizeof(struct pmb_waiter), 64);
	g->off_next = pmb_align(g->off_cstate + nchunks, 64);
	g->off_chunks = pmb_align(g->off_next + (size_t)nchunks * sizeof(uint32_t), 4096);
	g->size = g->off_chunks + (size_t)nchunks * PMB_CHUNK;
}

/*
 * Chunks for a mailbox: a full queue of largest messages (rendezvous: one
 * offered by each possible blocked sender), a reply for each caller that
 * may wait (half the slots: call.c), and no more than the quota.
 */
uint32_t pmb_nchunks(uint64_t capacity, uint32_t max_msg_size,
		     uint64_t quota, uint32_t nwait)
{
	uint64_t by_quota = quota / PMB_CHUNK, want;

	if (capacity == IPC_UNBOUNDED)
		want = by_quota;
	else
		want = ((capacity ? capacity : nwait) + nwait / 2) *
		       pmb_chunks_for(max_msg_size);
	return (uint32_t)(want < by_quota ? want : by_quota);
}

/*
 * Is this header one of ours, whole and sane?  Never trust a segment
 * before.  h is a private copy of the immutable part (pmb_hdr_copy): the
 * segment is shared, and what was checked must be what is used.
 */
bool pmb_header_ok(const struct pmb_hdr *h, size_t file_size)
{
	struct pmb_geom g;

	if (file_size < sizeof(*h) || h->magic != PMB_MAGIC ||
	    h->version != PMB_VERSION || h->hdr_size != sizeof(*h) ||
	    h->abi != PMB_ABI || h->nwait != PMB_NWAIT ||
	    h->chunk_size != PMB_CHUNK)
		return false;
	if ((h->capacity > PMB_MAX_CAPACITY && h->capacity != IPC_UNBOUNDED) ||
	    !h->max_msg_size || h->max_msg_size > PMB_MAX_MSG ||
	    h->quota < PMB_MIN_QUOTA || h->quota > PMB_MAX_QUOTA ||
	    h->mode & ~0777u || !memchr(h->name, '\0', sizeof(h->name)))
		return false;
	/* A port has a process, and selection (ipc_port_create). */
	if (h->flags & ~(IPC_PRIO | IPC_SELECT | IPC_PORT) ||
	    (h->flags & IPC_PORT && (!(h->flags & IPC_SELECT) || h->port_pid <= 0)))
		return false;
	if (h->nchunks != pmb_nchunks(h->capacity, h->max_msg_size, h->quota,
				      h->nwait))
		return false;
	pmb_geometry(h->nwait, h->nchunks, &g);
	return h->seg_size == g.size && file_size == g.size;
}

/* The immutable part of a segment's header, copied out to be checked and used. */
void pmb_hdr_copy(struct pmb_hdr *copy, const void *base)
{
	memset(copy, 0, sizeof(*copy));
	memcpy(copy, base, offsetof(struct pmb_hdr, lock));
}

/*
 * Point the handle at a mapped segment of size bytes, whose header's
 * immutable part h (a private copy) was checked against that size.
 */
void pmb_attach(struct pmb *p, void *base, const struct pmb_hdr *h,
		size_t size)
{
	struct pmb_geom g;

	pmb_geometry(h->nwait, h->nchunks, &g);
	p->hdr = base;
	p->w = (struct pmb_waiter *)((char *)base + g.off_wait);
	p->cstate = (uint8_t *)base + g.off_cstate;
	p->next = (uint32_t *)((char *)base + g.off_next);
	p->chunks = (uint8_t *)base + g.off_chunks;
	p->size = size;
	p->id = h->id;
	p->capacity = h->capacity;
	p->quota = h->quota;
	p->max_msg_size = h->max_msg_size;
	p->mode = h->mode;
	p->uid = h->uid;
	p->gid = h->gid;
	p->nchunks = h->nchunks;
	p->nwait = h->nwait;
	p->pidns = h->pidns;
	p->flags = h->flags;
	p->port_pid = h->flags & IPC_PORT ? h->port_pid : 0;
	memcpy(p->name, h->name, sizeof(p->name));
	/* Tids from now on may be of two namespaces: none is ever checked. */
	if (pmb_self()->pidns != p->pidns)
		__atomic_store_n(&p->hdr->foreign, 1, __ATOMIC_RELAXED);
}

/* ---- backing store ---------------------------------------------------------- */

/*
 * Allocate the blocks of [off, off + len) of a segment file: 0 or -errno.
 * A segment file is sparse, and a page of it that tmpfs cannot provide
 * when first touched (/dev/shm full) is a SIGBUS, which would kill a
 * process holding the lock.  So pages are allocated before their first
 * use, and a full /dev/shm is an error there instead.  A file system
 * without fallocate stays sparse, as before.
 */
int pmb_fallocate(int fd, size_t off, size_t len)
{
	int r;

	if (fd < 0 || !len)
		return 0;
	do
		r = fallocate(fd, 0, (off_t)off, (off_t)len);
	while (r && errno == EINTR);
	if (!r || errno == EOPNOTSUPP || errno == ENOSYS)
		return 0;
	return errno == EDQUOT ? -ENOSPC : -errno;
}

#define PMB_BACK_STEP	2048u		/* chunks allocated at a time: 256 KiB */

/*
 * Make sure the chunks a message of need chunks may take are allocated
 * (their cstate and next entries too): 0, or -ENOBUFS if /dev/shm is full.
 * Chunks below the high-water mark are, since whoever raised it allocated
 * them first (or, with an older library, touched them); the free ones
 * among them are used first.  Lock held.
 */
int pmb_back(struct pmb *p, uint32_t need)
{
	uint32_t hwm = p->hdr->hwm, used = p->hdr->used, from, to;
	size_t off_cstate, off_next, off_chunks;
	int ret;

	if (p->fd < 0 || hwm >= p->nchunks)
		return 0;		/* anonymous memory: no file to fill */
	if (used < hwm)
		need = need > hwm - used ? need - (hwm - used) : 0;
	to = need > p->nchunks - hwm ? p->nchunks : hwm + need;
	if (to <= hwm || to <= p->backed)
		return 0;
	from = p->backed > hwm ? p->backed : hwm;
	to = (uint32_t)pmb_align(to, PMB_BACK_STEP);
	if (to > p->nchunks)
		to = p->nchunks;
	off_cstate = (size_t)(p->cstate - (uint8_t *)p->hdr);
	off_next = (size_t)((uint8_t *)p->next - (uint8_t *)p->hdr);
	off_chunks = (size_t)(p->chunks - (uint8_t *)p->hdr);
	ret = pmb_fallocate(p->fd, off_cstate + from, to - from);
	if (!ret)
		ret = pmb_fallocate(p->fd, off_next + (size_t)from * sizeof(uint32_t),
				    (size_t)(to - from) * sizeof(uint32_t));
	if (!ret)
		ret = pmb_fallocate(p->fd, off_chunks + (size_t)from * PMB_CHUNK,
				    (size_t)(to - from) * PMB_CHUNK);
	if (ret)
		return ret == -ENOSPC ? -ENOBUFS : ret;
	p->backed = to;
	return 0;
}
