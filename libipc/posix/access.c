// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The posix backend's names and permissions: the file a name is kept in,
 * who may open, destroy or unlink a mailbox (design: pmb.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmb.h"

/* ---- names and permissions -------------------------------------------------------- */

/* The file for a name: kmbox.<name>, or a hash of a name too long for that. */
void pmb_file_name(const char *name, char file[NAME_MAX + 1])
{
	uint64_t hash = 0xcbf29ce484222325ULL;	/* FNV-1a */
	const char *s;

	if (strlen(name) <= PMB_NAME_DIRECT) {
		snprintf(file, NAME_MAX + 1, PMB_PREFIX "%s", name);
		return;
	}
	for (s = name; *s; s++)
		hash = (hash ^ (uint8_t)*s) * 0x100000001b3ULL;
	/* '/' cannot be in a name, so this cannot be another name's file. */
	snprintf(file, NAME_MAX + 1, PMB_PREFIX "/%016llx", (unsigned long long)hash);
	file[sizeof(PMB_PREFIX) - 1] = '#';
}

/*
 * Is gid the caller's effective group or a supplementary one?  1, 0, or
 * -errno.  All of them: there may be up to NGROUPS_MAX (65536).
 */
static int pmb_in_group(gid_t gid)
{
	gid_t *groups;
	int n, i, ret = 0;

	if (getegid() == gid)
		return 1;
	for (;;) {
		n = getgroups(0, NULL);
		if (n <= 0)
			return n < 0 ? -errno : 0;
		groups = malloc((size_t)n * sizeof(*groups));
		if (!groups)
			return -ENOMEM;
		n = getgroups(n, groups);
		if (n >= 0 || errno != EINVAL)
			break;
		free(groups);		/* another thread added groups: again */
	}
	if (n < 0)
		ret = -errno;
	for (i = 0; i < n && !ret; i++)
		if (groups[i] == gid)
			ret = 1;
	free(groups);
	return ret;
}

/* As mq_open: the read bit grants receive, the write bit send. */
int pmb_permission(const struct pmb *p, unsigned int access)
{
	unsigned int mode = p->mode, want = 0;
	uid_t euid = geteuid();
	int in;

	if (access & IPC_RECV)
		want |= 04;
	if (access & IPC_SEND)
		want |= 02;
	if (euid == 0)
		return 0;
	if (euid == p->uid) {
		mode >>= 6;
	} else {
		in = pmb_in_group(p->gid);
		if (in < 0)
			return in;
		if (in)
			mode >>= 3;
	}
	return (mode & want) == want ? 0 : -EACCES;
}

/*
 * The file's own mode: anyone granted any access must map the segment
 * read-write (receiving changes it too), and the owner always may (to
 * destroy it).  The direction is then the library's to enforce.
 */
mode_t pmb_file_mode(uint32_t mode)
{
	mode_t m = 0600;

	if (mode & 060)
		m |= 060;
	if (mode & 06)
		m |= 06;
	return m;
}

/* Unlink our file's name, if the name still leads to our file. */
void pmb_unlink_own(struct pmb *p)
{
	char path[sizeof(PMB_SHM_DIR) + NAME_MAX + 1];
	struct stat st;

	snprintf(path, sizeof(path), PMB_SHM_DIR "/%s", p->file);
	if (!stat(path, &st) && st.st_dev == p->dev && st.st_ino == p->ino)
		unlink(path);
}

/* Owner only, as with the kernel (root stands for CAP_IPC_OWNER). */
int pmb_owner_permission(uid_t owner)
{
	uid_t euid = geteuid();

	return euid == owner || euid == 0 ? 0 : -EACCES;
}
