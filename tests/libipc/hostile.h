/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hostile.h: helpers of hostile_test.c (issue 11): the posix backend's
 * segment seen as an attacker sees it, and victims watched by the test.
 *
 * The segment.  A named mailbox's file, mapped by the test, with a copy of
 * it taken in a known state (hv_restore puts it back).  The layout is
 * known only through posix/pmb.h's types and pmb_geometry(): regions
 * (the header's mutable part, a waiter slot, a chunk's entries), never
 * offsets, so that the tests outlive changes of the layout.
 *
 * Victims.  Every call that a hostile segment could crash or hang runs in
 * a child (tc_fork) that announces each call before making it
 * (hv_step: what it is and how long it may take); the parent watches
 * (hv_watch) and reports a child killed by a signal, one that takes longer
 * than its bound in a call (it is then killed), or one that exits with a
 * failure, naming the call.  A call the child was allowed to block in
 * (hv_step's may_block) is killed at its bound and is no failure.
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include "lt.h"

#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "testhook.h"
#include "posix/pmb.h"

/* How long a call that must not wait may take (ms): generous, a loaded machine. */
#define HV_PROMPT_MS	2000u
/* Failures reported before a test gives up (HOSTILE_ALL=1: never). */
#define HV_MAX_FAIL	3

/* ---- the segment --------------------------------------------------------- */

/*
 * A /dev/shm of the test's own (root: a new mount namespace, with a tmpfs
 * there), so that the segments these tests leave locked, stopped or
 * garbled reach no other program's ipc_list (a bug these tests are about
 * would hang them), and no other program's segments disturb these tests.
 * Each test is a process of its own: its namespace ends with it.  Without
 * root, the shared one.
 */
static inline void hv_private_shm(void)
{
	if (geteuid() != 0)
		return;
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("hostile", PMB_SHM_DIR, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"))
		fprintf(stderr, "# no private %s (%s): sharing it\n", PMB_SHM_DIR,
			strerror(errno));
}

/* The header's mutable part starts after its last immutable field, the name. */
#define HV_HDR_MUTABLE	pmb_align(offsetof(struct pmb_hdr, name) +		\
				  sizeof(((struct pmb_hdr *)0)->name), 4)

struct hv_seg {
	char path[sizeof(PMB_SHM_DIR) + NAME_MAX + 2];
	char keep[sizeof(PMB_SHM_DIR) + NAME_MAX + 16];	/* a second name, or "" */
	int fd;
	uint8_t *base;		/* MAP_SHARED: children write it too */
	size_t size;
	struct pmb_geom g;
	uint32_t nchunks, nwait;
	uint8_t *pristine;	/* the copy hv_restore puts back */
};

static inline struct pmb_hdr *hv_hdr(const struct hv_seg *s)
{
	return (struct pmb_hdr *)s->base;
}

static inline void hv_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, PMB_SHM_DIR "/" PMB_PREFIX "%s", name);
}

/* Map the segment of the mailbox name: 0 or -errno. */
static inline int hv_map(struct hv_seg *s, const char *name)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	hv_path(s->path, sizeof(s->path), name);
	s->fd = open(s->path, O_RDWR | O_CLOEXEC);
	if (s->fd < 0)
		return -errno;
	if (fstat(s->fd, &st) || st.st_size < (off_t)sizeof(struct pmb_hdr))
		return -EBADMSG;
	s->size = st.st_size;
	s->base = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (s->base == MAP_FAILED) {
		s->base = NULL;
		return -errno;
	}
	s->nchunks = hv_hdr(s)->nchunks;
	s->nwait = hv_hdr(s)->nwait;
	pmb_geometry(s->nwait, s->nchunks, &s->g);
	if (s->g.size != s->size)
		return -EBADMSG;
	return 0;
}

/*
 * Take the copy that hv_restore puts back, and give the file a second
 * name that no listing sees ("hv-keep.", not "kmbox."), to give it its
 * name back from when a victim destroys it (which unlinks the name).
 */
static inline int hv_snapshot(struct hv_seg *s)
{
	if (!s->keep[0]) {
		snprintf(s->keep, sizeof(s->keep), PMB_SHM_DIR "/hv-keep.%s",
			 s->path + strlen(PMB_SHM_DIR "/" PMB_PREFIX));
		if (link(s->path, s->keep)) {
			s->keep[0] = '\0';
			return -errno;
		}
	}
	if (!s->pristine)
		s->pristine = malloc(s->size);
	if (!s->pristine)
		return -ENOMEM;
	memcpy(s->pristine, s->base, s->size);
	return 0;
}

/*
 * Put the segment back as it was, and its name back if a victim destroyed
 * it (destroying unlinks the name).  Only while no process uses it.
 */
static inline void hv_restore(struct hv_seg *s)
{
	struct stat st;

	memcpy(s->base, s->pristine, s->size);
	if (stat(s->path, &st) && link(s->keep, s->path))
		fprintf(stderr, "# relinking %s: %s\n", s->path, strerror(errno));
}

static inline void hv_unmap(struct hv_seg *s)
{
	if (s->base)
		munmap(s->base, s->size);
	if (s->fd > 0)
		close(s->fd);
	free(s->pristine);
	if (s->keep[0])
		unlink(s->keep);
	s->keep[0] = '\0';
	s->base = NULL;
	s->pristine = NULL;
	s->fd = -1;
}

static inline void hv_poke(struct hv_seg *s, size_t off, unsigned int width,
			   uint32_t val)
{
	if (width == 1)
		__atomic_store_n(s->base + off, (uint8_t)val, __ATOMIC_RELAXED);
	else
		__atomic_store_n((uint32_t *)(s->base + off), val, __ATOMIC_RELAXED);
}

/* Write val over every word of [off, off + len). */
static inline void hv_fill(struct hv_seg *s, size_t off, size_t len, uint32_t val)
{
	size_t i;

	for (i = 0; i + 4 <= len; i += 4)
		hv_poke(s, off + i, 4, val);
}

/* ---- watched children ---------------------------------------------------- */

/* Shared between a child and the parent watching it. */
struct hv_prog {
	unsigned int seq;	/* bumped at each step */
	unsigned int limit_ms;	/* the step's bound */
	bool may_block;		/* killed at its bound, that is no failure */
	char what[96];		/* the step: the call being made */
};

/* In the child, or in the parent just before it forks an exec'ing child. */
static inline void hv_step(struct hv_prog *pg, unsigned int limit_ms,
			   bool may_block, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static inline void hv_step(struct hv_prog *pg, unsigned int limit_ms,
			   bool may_block, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pg->what, sizeof(pg->what), fmt, ap);
	va_end(ap);
	pg->limit_ms = limit_ms;
	pg->may_block = may_block;
	__atomic_add_fetch(&pg->seq, 1, __ATOMIC_RELEASE);
}

/* fork a child to watch (it will call hv_step before each call). */
static inline pid_t hv_fork(struct hv_prog *pg)
{
	hv_step(pg, TC_WAIT_MS, false, "starting");
	return tc_fork();
}

/*
 * Watch a child until it ends: 0 if it exited 0 (or was killed in a step
 * it may block in), -1 otherwise, with why on stderr, prefixed by label.
 */
static inline int hv_watch(pid_t pid, struct hv_prog *pg, const char *label)
{
	unsigned int seq = __atomic_load_n(&pg->seq, __ATOMIC_ACQUIRE), s;
	int64_t since = tc_now_ns();
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "# %s: waitpid: %s\n", label, strerror(errno));
			return -1;
		}
		s = __atomic_load_n(&pg->seq, __ATOMIC_ACQUIRE);
		if (s != seq) {
			seq = s;
			since = tc_now_ns();
		} else if (tc_now_ns() - since > (int64_t)pg->limit_ms * TC_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			if (pg->may_block)
				return 0;
			fprintf(stderr, "# %s: HANG: %s did not return in %u ms\n",
				label, pg->what, pg->limit_ms);
			return -1;
		}
		usleep(500);
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "# %s: CRASH: signal %d (%s) in %s\n", label,
			WTERMSIG(status), strsignal(WTERMSIG(status)), pg->what);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "# %s: FAILED: exit status %d after %s\n", label,
			WIFEXITED(status) ? WEXITSTATUS(status) : -1, pg->what);
		return -1;
	}
	return 0;
}

/* Milliseconds since t0 (tc_now_ns). */
static inline int64_t hv_ms_since(int64_t t0)
{
	return (tc_now_ns() - t0) / TC_MS;
}

/* ---- racing ---------------------------------------------------------------- */

/*
 * An attacker racing a victim must run while the victim does: spinning on
 * another CPU works only when one is free, which on a loaded machine it
 * rarely is.  So, where the test may (root), the attacker is a real-time
 * process on the victim's CPU, waking every HV_ATTACK_US: it preempts the
 * victim wherever it is, many times in a call that goes over many chunks.
 */
#define HV_ATTACK_US	100

/* The first CPU the test may run on. */
static inline int hv_cpu(void)
{
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			return cpu;
	return 0;
}

static inline void hv_pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Become a real-time process on cpu: true if allowed (else it spins, anywhere). */
static inline bool hv_become_rt(int cpu)
{
	struct sched_param sp = { .sched_priority = 1 };

	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		return false;
	hv_pin(cpu);
	return true;
}

/* Between two rounds of an attack: let the victim run, but not for long. */
static inline void hv_attack_pause(bool rt)
{
	struct timespec ts = { 0, HV_ATTACK_US * 1000L };

	if (rt)
		nanosleep(&ts, NULL);
}

static inline bool hv_keep_going(unsigned int failures)
{
	const char *all = getenv("HOSTILE_ALL");

	return failures < HV_MAX_FAIL || (all && *all == '1');
}

static inline int hv_count_cb(const struct ipc_stat *st, void *arg)
{
	(void)st;
	(*(int *)arg)++;
	return 0;
}

/* ipc_list, counting: the count or -errno. */
static inline int hv_list(void)
{
	int n = 0, r = ipc_list(hv_count_cb, &n);

	return r < 0 ? r : n;
}

/*
 * The kmbox tool (tools/kmbox) next to this tree's tests, or NULL: the
 * test program is tests/libipc/build*\/, the tool tools/kmbox.
 */
static inline const char *hv_tool(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	if ((size_t)snprintf(buf, size, "%s/../../../tools/kmbox", exe) >= size)
		return NULL;
	return access(buf, X_OK) ? NULL : buf;
}

#endif /* HOSTILE_H */
