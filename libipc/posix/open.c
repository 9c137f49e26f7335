// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The posix backend's segments: making, opening, unlinking and releasing
 * them (design: pmb.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmb.h"

/* ---- segments: create, open, unlink --------------------------------------------- */

/* The quota of new mailboxes: LIBIPC_POSIX_QUOTA bytes (K, M, G suffixes). */
static int pmb_quota(uint64_t *quota)
{
	/* Not for set-user-ID programs: their caller's environment is not theirs. */
	const char *env = secure_getenv("LIBIPC_POSIX_QUOTA");
	unsigned long long v;
	char *end;

	*quota = PMB_DEFAULT_QUOTA;
	if (!env || !*env)
		return 0;
	errno = 0;
	v = strtoull(env, &end, 10);
	if (errno || end == env)
		return -EINVAL;
	switch (*end) {
	case 'G': v = v > (ULLONG_MAX >> 30) ? ULLONG_MAX : v << 30; end++; break;
	case 'M': v = v > (ULLONG_MAX >> 20) ? ULLONG_MAX : v << 20; end++; break;
	case 'K': v = v > (ULLONG_MAX >> 10) ? ULLONG_MAX : v << 10; end++; break;
	}
	if (*end || v < PMB_MIN_QUOTA || v > PMB_MAX_QUOTA)
		return -EINVAL;
	*quota = v;
	return 0;
}

/*
 * The caller's umask, which a new mailbox's mode is masked with, as the
 * kernel does (and mq_open).  From /proc, since umask(2) can only read it
 * by changing it, which other threads would see.
 */
static mode_t pmb_umask(void)
{
	unsigned long mask;
	char line[128], *end;
	mode_t old;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (strncmp(line, "Umask:", 6) != 0)
				continue;
			mask = strtoul(line + 6, &end, 8);
			if (end == line + 6)
				break;
			fclose(f);
			return mask & 0777;
		}
		fclose(f);
	}
	old = umask(022);	/* no /proc: the racy way */
	umask(old);
	return old;
}

struct pmb_params {
	uint64_t capacity, quota, id;
	uint32_t max_msg_size, mode, nchunks, flags;
	int32_t port_pid;		/* IPC_PORT */
	uint64_t port_start;
	struct pmb_geom g;
};

static int pmb_params(const struct ipc_attr *attr, struct pmb_params *pp)
{
	int ret;

	memset(pp, 0, sizeof(*pp));
	if (getrandom(&pp->id, sizeof(pp->id), 0) != sizeof(pp->id))
		pp->id = (uint64_t)ipc_now_ns() ^ ((uint64_t)getpid() << 32);
	pp->flags = attr->flags & (IPC_PRIO | IPC_SELECT);

	if (attr->capacity > PMB_MAX_CAPACITY && attr->capacity != IPC_UNBOUNDED)
		return -EINVAL;
	if (attr->max_msg_size > PMB_MAX_MSG)
		return -EINVAL;
	ret = pmb_quota(&pp->quota);
	if (ret)
		return ret;
	pp->capacity = attr->capacity;
	pp->max_msg_size = attr->max_msg_size ? attr->max_msg_size : PMB_DEFAULT_MSG;
	pp->mode = attr->mode & ~pmb_umask();
	pp->nchunks = pmb_nchunks(pp->capacity, pp->max_msg_size, pp->quota, PMB_NWAIT);
	pmb_geometry(PMB_NWAIT, pp->nchunks, &pp->g);
	return 0;
}

/* Fill a new, zeroed segment.  Nobody else can see it yet. */
static void pmb_format(void *base, const struct pmb_params *pp, const char *name)
{
	struct pmb_hdr *h = base;
	struct pmb_waiter *w = (struct pmb_waiter *)((char *)base + pp->g.off_wait);
	uint32_t i;

	h->version = PMB_VERSION;
	h->hdr_size = sizeof(*h);
	h->abi = PMB_ABI;
	h->nwait = PMB_NWAIT;
	h->seg_size = pp->g.size;
	h->id = pp->id;
	h->flags = pp->flags;
	h->port_pid = pp->port_pid;
	h->port_start = pp->port_start;
	h->capacity = pp->capacity;
	h->quota = pp->quota;
	h->max_msg_size = pp->max_msg_size;
	h->mode = pp->mode;
	h->uid = geteuid();
	h->gid = getegid();
	h->nchunks = pp->nchunks;
	h->chunk_size = PMB_CHUNK;
	if (name)
		snprintf(h->name, sizeof(h->name), "%s", name);
	h->pidns = pmb_self()->pidns;
	h->state = IPC_STATE_OPEN;
	h->linked = name != NULL;
	h->free_head = h->qhead = h->qtail = PMB_NIL;
	for (i = 0; i < PMB_NWAIT; i++)
		w[i].msg = w[i].reply = PMB_NIL;
	__atomic_store_n(&h->magic, PMB_MAGIC, __ATOMIC_RELEASE);
}

/* A new handle, pointing nowhere yet: allocated before anything is made. */
static struct pmb *pmb_new(unsigned int access)
{
	struct pmb *p = calloc(1, sizeof(*p));

	if (p) {
		p->base.ops = &ipc_posix_ops;
		p->base.access = access;
		p->fd = -1;
	}
	return p;
}

/*
 * Point a new handle at a mapped segment (see pmb_attach); fd, the file
 * of a named one, becomes the handle's.
 */
static void pmb_wrap(struct pmb *p, void *base, const struct pmb_hdr *h,
		     size_t size, int fd, const char *file,
		     const struct stat *st)
{
	pmb_attach(p, base, h, size);
	p->fd = fd;
	if (file) {
		p->named = true;
		snprintf(p->file, sizeof(p->file), "%s", file);
		p->dev = st->st_dev;
		p->ino = st->st_ino;
		/* The file's owner is the owner: the kernel vouches for that. */
		p->uid = st->st_uid;
		p->gid = st->st_gid;
	}
}

void pmb_release(struct ipc_mbox *mb)
{
	struct pmb *p = to_pmb(mb);

	/* Calls this process took and did not answer: their callers are told. */
	pmb_calls_drop(p);
	/* A port ends with its handle, in the process that made it (port.c). */
	if (p->port_owner && p->port_pid == pmb_self()->pid)
		pmb_destroy(mb);
	pmb_notify_release(p);
	munmap(p->hdr, p->size);
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

/*
 * pmb_open_file's work, given the file in PMB_SHM_DIR: name is the name
 * it must hold, or NULL for whatever name leads to this file.
 */
int pmb_open_at(const char *file, const char *name, unsigned int access,
		bool check, struct ipc_mbox **out)
{
	char path[sizeof(PMB_SHM_DIR) + NAME_MAX + 1], want[NAME_MAX + 1];
	struct pmb_hdr h;
	struct stat st;
	struct pmb *p;
	void *base;
	int fd, ret;
	bool port;

	snprintf(path, sizeof(path), PMB_SHM_DIR "/%s", file);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ELOOP ? -EBADMSG : -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(struct pmb_hdr)) {
		ret = -EBADMSG;		/* not a segment of ours */
		goto out_close;
	}
	base = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		ret = -errno;
		goto out_close;
	}
	pmb_hdr_copy(&h, base);
	/* A port has no name, and its file's is made of its pid and id (port.c). */
	port = !name && h.flags & IPC_PORT;
	if (!pmb_header_ok(&h, st.st_size) || (h.name[0] == '\0') != port) {
		ret = -EBADMSG;
		goto out_unmap;
	}
	if (port)
		pmb_port_file(h.port_pid, h.id, want);
	else if (!name)
		pmb_file_name(h.name, want);
	if ((name ? strcmp(h.name, name) : strcmp(want, file)) != 0) {
		ret = -EBADMSG;		/* not the segment of its file's name */
		goto out_unmap;
	}
	p = pmb_new(access);
	if (!p) {
		ret = -ENOMEM;
		goto out_unmap;
	}
	pmb_wrap(p, base, &h, st.st_size, fd, file, &st);
	ret = 0;
	if (__atomic_load_n(&p->hdr->state, __ATOMIC_ACQUIRE) == IPC_STATE_DESTROYED) {
		/*
		 * Its destroyer died before removing the name.  Only under
		 * its lock and while it is linked: whoever cleans up first
		 * clears that, so that nobody removes the name once a new
		 * mailbox has it.  Not behind a stopped lock holder: then
		 * the next opener cleans up.
		 */
		if (!pmb_lock(p, &pmb_dl_nowait)) {
			if (p->hdr->linked)
				pmb_unlink_own(p);
			p->hdr->linked = 0;
			pmb_unlock(p, NULL);
		}
		ret = -ENOENT;
	} else if (check) {
		ret = pmb_permission(p, access);
	}
	if (ret) {
		pmb_release(&p->base);	/* closes fd */
		return ret;
	}
	*out = &p->base;
	return 0;

out_unmap:
	munmap(base, st.st_size);
out_close:
	close(fd);
	return ret;
}

/*
 * Open the segment behind a name, checking access against its mode if
 * check is set.  A destroyed one whose name was left behind (its destroyer
 * died first) counts as absent and is cleaned up.
 */
static int pmb_open_file(const char *name, unsigned int access, bool check,
			 struct ipc_mbox **out)
{
	char file[NAME_MAX + 1];

	pmb_file_name(name, file);
	return pmb_open_at(file, name, access, check, out);
}

/*
 * Give the formatted file in fd its name, atomically and only if the name
 * is free (-EEXIST otherwise): nobody ever sees a half-made segment.
 */
static int pmb_link(int fd, const char *tmp, const char *path)
{
	char proc[64];

	if (tmp) {
		if (link(tmp, path))
			return -errno;
		return 0;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW))
		return -errno;
	return 0;
}

int pmb_open(const char *name, unsigned int access, struct ipc_mbox **out)
{
	return pmb_open_file(name, access, true, out);
}

/*
 * Make a segment and give it the name, or -EEXIST.  The file is made
 * unnamed (O_TMPFILE) and linked once formatted; where that cannot be done
 * (no /proc, say), under a temporary name (tmpname set), which a crash
 * would leave behind.
 */
static int pmb_create_file(const char *name, const char *file,
			   const struct pmb_params *pp, unsigned int access,
			   bool tmpname, struct ipc_mbox **out)
{
	char path[sizeof(PMB_SHM_DIR) + NAME_MAX + 1];
	char tmpbuf[sizeof(PMB_SHM_DIR) + 64], *tmp = NULL;
	static unsigned int seq;
	struct pmb_hdr h;
	struct stat st;
	struct pmb *p;
	void *base;
	int fd, ret;

	/* The handle first: once the name is linked, nothing may fail. */
	p = pmb_new(access);
	if (!p)
		return -ENOMEM;
	snprintf(path, sizeof(path), PMB_SHM_DIR "/%s", file);
	if (tmpname) {
		/* Not "kmbox.": no mailbox name can make this one. */
		snprintf(tmpbuf, sizeof(tmpbuf), PMB_SHM_DIR "/kmbox-tmp.%d.%u",
			 (int)getpid(), __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
		tmp = tmpbuf;
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	} else {
		fd = open(PMB_SHM_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0) {
			free(p);
			return -ENOTSUP;
		}
	}
	if (fd < 0) {
		ret = -errno;
		free(p);
		return ret;
	}
	if (fchmod(fd, pmb_file_mode(pp->mode)) || ftruncate(fd, (off_t)pp->g.size) ||
	    fstat(fd, &st)) {
		ret = -errno;
		goto out_close;
	}
	/* The fixed part now; the chunks as they come into use (pmb_back). */
	ret = pmb_fallocate(fd, 0, pp->g.off_cstate);
	if (ret)
		goto out_close;
	base = mmap(NULL, pp->g.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		ret = -errno;
		goto out_close;
	}
	pmb_format(base, pp, name);
	pmb_hdr_copy(&h, base);		/* before anyone else can see it */
	ret = pmb_link(fd, tmp, path);
	if (ret == -ENOENT && !tmp)
		ret = -ENOTSUP;		/* no /proc to link it through */
	if (ret) {
		munmap(base, pp->g.size);
		goto out_close;
	}
	pmb_wrap(p, base, &h, pp->g.size, fd, file, &st);
	*out = &p->base;
	p = NULL;
	fd = -1;			/* the handle's now */
out_close:
	if (tmp)
		unlink(tmp);
	if (fd >= 0)
		close(fd);
	free(p);
	return ret;
}

int pmb_create(const char *name, const struct ipc_attr *attr,
	       unsigned int access, struct ipc_mbox **out, bool *created)
{
	char file[NAME_MAX + 1];
	struct pmb_params pp;
	struct ipc_mbox *old = NULL;
	struct pmb_hdr h;
	struct pmb *p;
	void *base;
	int fd, ret, tries;

	/*
	 * Every process granted send access writes the whole segment: an
	 * owner-only close could not be kept, so it is not promised.
	 */
	if (attr->flags & IPC_OWNER_CLOSE)
		return -ENOTSUP;
	ret = pmb_params(attr, &pp);
	if (ret)
		return ret;
	*created = true;
	if (!name) {
		p = pmb_new(access);
		if (!p)
			return -ENOMEM;
		/* A file if it can be had, for ipc_fd to watch (notify.c). */
		fd = pmb_anon_file(pp.g.size);
		base = mmap(NULL, pp.g.size, PROT_READ | PROT_WRITE,
			    fd >= 0 ? MAP_SHARED : MAP_SHARED | MAP_ANONYMOUS, fd, 0);
		if (base == MAP_FAILED) {
			ret = -errno;
			if (fd >= 0)
				close(fd);
			free(p);
			return ret;
		}
		pmb_format(base, &pp, NULL);
		pmb_hdr_copy(&h, base);
		pmb_wrap(p, base, &h, pp.g.size, fd, NULL, NULL);
		*out = &p->base;
		return 0;
	}
	/* Open it if it exists, else make it; a racing creator makes us retry. */
	for (tries = 0; tries < 100; tries++) {
		if (!(attr->flags & IPC_EXCL)) {
			ret = pmb_open(name, access, out);
			*created = false;
			if (ret != -ENOENT)
				return ret;
			*created = true;
		}
		pmb_file_name(name, file);
		ret = pmb_create_file(name, file, &pp, access, false, out);
		if (ret == -ENOTSUP)
			ret = pmb_create_file(name, file, &pp, access, true, out);
		if (ret != -EEXIST)
			return ret;
		if (attr->flags & IPC_EXCL) {
			/* It exists, unless it is a destroyed one's leftover. */
			ret = pmb_open_file(name, IPC_RECV, false, &old);
			if (ret == -ENOENT)
				continue;
			if (!ret)
				pmb_release(old);
			return -EEXIST;
		}
	}
	return -EAGAIN;
}

/*
 * A port of the calling process (port.c): a segment with IPC_PORT, its
 * pid and start time, no name, under the file name its pid and id make.
 */
int pmb_port_make(const struct ipc_attr *attr, pid_t pid, uint64_t start,
		  struct ipc_mbox **out, uint64_t *port)
{
	char file[NAME_MAX + 1];
	struct pmb_params pp;
	int ret;

	if (attr->flags & IPC_OWNER_CLOSE)
		return -ENOTSUP;
	ret = pmb_params(attr, &pp);
	if (ret)
		return ret;
	pp.flags |= IPC_PORT | IPC_SELECT;
	pp.port_pid = pid;
	pp.port_start = start;
	pmb_port_file(pid, pp.id, file);
	ret = pmb_create_file(NULL, file, &pp, IPC_RECV | IPC_SEND, false, out);
	if (ret == -ENOTSUP)
		ret = pmb_create_file(NULL, file, &pp, IPC_RECV | IPC_SEND, true, out);
	if (ret)
		return ret;
	to_pmb(*out)->port_owner = true;
	*port = pp.id;
	return 0;
}

int pmb_unlink(const char *name)
{
	char file[NAME_MAX + 1], path[sizeof(PMB_SHM_DIR) + NAME_MAX + 1];
	struct ipc_mbox *mb = NULL;
	struct stat st;
	struct pmb *p;
	int ret;

	pmb_file_name(name, file);
	snprintf(path, sizeof(path), PMB_SHM_DIR "/%s", file);
	if (lstat(path, &st))
		return -errno;
	ret = pmb_owner_permission(st.st_uid);
	if (ret)
		return ret;
	ret = pmb_open_file(name, IPC_RECV, false, &mb);
	if (ret == -EBADMSG) {
		/* Not a segment of ours: its owner may still remove the file. */
		return unlink(path) ? (errno == EPERM ? -EACCES : -errno) : 0;
	}
	if (ret)
		return ret;	/* ENOENT; or EMFILE, ENOMEM...: the name stays */
	/*
	 * Under the lock, so that info sees linked and the name agree; but a
	 * peer holding the lock and stopped does not keep the owner from
	 * removing the name: pmb_unlink_own removes it only while it still
	 * leads to this segment.
	 */
	p = to_pmb(mb);
	if (!pmb_lock(p, &pmb_dl_nowait)) {
		if (p->hdr->linked)
			pmb_unlink_own(p);
		p->hdr->linked = 0;
		pmb_unlock(p, NULL);
	} else {
		pmb_unlink_own(p);
		__atomic_store_n(&p->hdr->linked, 0, __ATOMIC_RELAXED);
	}
	ret = 0;
	pmb_release(mb);
	return ret;
}
