// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The posix backend's ports (design: pmb.h).
 *
 * A port is a segment with IPC_PORT under a reserved file name made of
 * its process's pid and its id, PMB_SHM_DIR/kmbox-port.<pid>.<id>: not
 * "kmbox.", so no mailbox name leads to it and ipc_list does not show it
 * (a port is anonymous, as the kernel's are; only its owner sees it, with
 * ipc_info).  Its header records the pid and the process's start time
 * (from /proc/<pid>/stat), so that a port whose process died, its pid
 * reused since, is told from a live one.  The handle port_create returns
 * ends the port when the process that made it releases it (ipc_destroy:
 * queued messages dropped, EIDRM for every handle); a process that dies
 * leaves the file behind, and port_open, finding its process gone, says
 * ECONNREFUSED and removes the file where it may.
 *
 * Trust: the file is writable by whoever may send to the port, so a peer
 * with send access may receive from it, or make it look closed: port
 * ownership is a promise of well-behaved peers only (README.md).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmb.h"

#define PMB_PORT_PREFIX		"kmbox-port."

void pmb_port_file(pid_t pid, uint64_t id, char file[NAME_MAX + 1])
{
	snprintf(file, NAME_MAX + 1, PMB_PORT_PREFIX "%d.%016llx", (int)pid,
		 (unsigned long long)id);
}

/*
 * The start time of process pid (field 22 of /proc/<pid>/stat, clock
 * ticks since boot), or 0 if it cannot be read: then only the pid is
 * compared.  *state gets its state (field 3: 'Z' for a zombie), or 0.
 */
static uint64_t pmb_proc_start(pid_t pid, char *state)
{
	char path[64], buf[1024], *p, *end;
	unsigned long long start;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command may hold spaces and parentheses: count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return 0;
	*state = p[2];
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (field != 22)
		return 0;
	errno = 0;
	start = strtoull(p, &end, 10);
	if (end == p || errno)
		return 0;
	return start;
}

/* Does process pid exist (for us: EPERM says it does)? */
static bool pmb_pid_exists(pid_t pid)
{
	return !kill(pid, 0) || errno != ESRCH;
}

/*
 * Remove the port files that processes of ours which no longer exist
 * left behind (killed before they could end their ports), as a new port
 * is made: they would pile up in PMB_SHM_DIR otherwise.  Only the pid in
 * the name is looked at, and only our own files are removed.
 */
static void pmb_port_sweep(void)
{
	char path[sizeof(PMB_SHM_DIR) + NAME_MAX + 1];
	struct dirent *de;
	struct stat st;
	DIR *dir;
	long pid;

	dir = opendir(PMB_SHM_DIR);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, PMB_PORT_PREFIX, sizeof(PMB_PORT_PREFIX) - 1) != 0)
			continue;
		pid = strtol(de->d_name + sizeof(PMB_PORT_PREFIX) - 1, NULL, 10);
		if (pid <= 0 || pid > INT32_MAX || pmb_pid_exists((pid_t)pid))
			continue;
		snprintf(path, sizeof(path), PMB_SHM_DIR "/%s", de->d_name);
		if (!lstat(path, &st) && S_ISREG(st.st_mode) && st.st_uid == geteuid())
			unlink(path);
	}
	closedir(dir);
}

int pmb_port_create(const struct ipc_attr *attr, struct ipc_mbox **out, uint64_t *port)
{
	pid_t pid = pmb_self()->pid;
	char state;

	pmb_port_sweep();
	return pmb_port_make(attr, pid, pmb_proc_start(pid, &state), out, port);
}

int pmb_port_open(pid_t pid, uint64_t port, struct ipc_mbox **out)
{
	char file[NAME_MAX + 1];
	struct ipc_mbox *mb;
	struct pmb *p;
	uint64_t start, want;
	char state = 0;
	int ret;

	if (!pmb_pid_exists(pid))
		return -ESRCH;
	pmb_port_file(pid, port, file);
	ret = pmb_open_at(file, NULL, IPC_SEND, true, &mb);
	if (ret == -ENOENT || ret == -EBADMSG)
		return -ECONNREFUSED;	/* no such port (or a destroyed one) */
	if (ret)
		return ret;		/* EACCES by its mode, ... */
	p = to_pmb(mb);
	if (p->id != port || p->port_pid != pid) {
		pmb_release(mb);
		return -ECONNREFUSED;
	}
	/* The process that made it, not one that got its pid since. */
	want = __atomic_load_n(&p->hdr->port_start, __ATOMIC_RELAXED);
	start = pmb_proc_start(pid, &state);
	if (!pmb_pid_exists(pid) || state == 'Z' || state == 'X' ||
	    (start && want && start != want)) {
		/* Its process died without ending it: remove the leftover. */
		pmb_unlink_own(p);
		pmb_release(mb);
		return -ECONNREFUSED;
	}
	*out = mb;
	return 0;
}
