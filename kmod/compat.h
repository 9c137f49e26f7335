/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shims for the kernel versions kmbox builds against, all in one place.
 */
#ifndef _KMBOX_COMPAT_H
#define _KMBOX_COMPAT_H

#include <linux/ktime.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/time_namespace.h>
#include <linux/uio.h>

/* ITER_SOURCE and ITER_DEST came in 6.2; before, WRITE and READ said it. */
#ifndef ITER_SOURCE
#define ITER_SOURCE	WRITE
#define ITER_DEST	READ
#endif

/*
 * The CLOCK_MONOTONIC offset of the calling task's time namespace: what it
 * adds to the host's clock (6.1 to 6.12 alike).  timens_ktime_to_host() is
 * not exported to modules, but the offsets are plain data, and never
 * change once a task has entered the namespace (the kernel freezes them).
 * Without CONFIG_TIME_NS every task has the host's clock.
 */
static inline ktime_t kmbox_timens_monotonic_offset(void)
{
#ifdef CONFIG_TIME_NS
	return timespec64_to_ktime(current->nsproxy->time_ns->offsets.monotonic);
#else
	return 0;
#endif
}

#endif /* _KMBOX_COMPAT_H */
