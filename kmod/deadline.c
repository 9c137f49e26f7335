// SPDX-License-Identifier: GPL-2.0-only
/*
 * Deadlines of send and receive: the mode and timeout_ns of a call made
 * into the time a sleep may last (msg.c sleeps with it).
 */
#include <linux/ktime.h>
#include <linux/overflow.h>

#include "kmbox.h"

/*
 * An absolute deadline is a time of the caller's CLOCK_MONOTONIC, which in
 * a time namespace runs at an offset from the host's: the host's time is
 * the caller's minus the offset, as for clock_nanosleep(TIMER_ABSTIME),
 * timerfd and futex.  Saturated at KTIME_MAX (never, in effect) rather
 * than wrapped into the past; one before the host's clock began is past.
 */
static ktime_t kmbox_deadline_to_host(s64 deadline)
{
	ktime_t host;

	if (check_sub_overflow(deadline, kmbox_timens_monotonic_offset(), &host))
		return KTIME_MAX;
	return max_t(ktime_t, host, 0);
}

int kmbox_deadline_init(struct kmbox_deadline *dl, u32 mode, s64 timeout_ns)
{
	memset(dl, 0, sizeof(*dl));
	switch (mode) {
	case 0:
		break;
	case KMBOX_MSG_NONBLOCK:
		dl->nonblock = true;
		break;
	case KMBOX_MSG_TIMEOUT:
		if (timeout_ns < 0)
			return -EINVAL;
		dl->timed = true;
		dl->relative = true;
		dl->expires = ktime_add_safe(ktime_get(), ns_to_ktime(timeout_ns));
		return 0;
	case KMBOX_MSG_DEADLINE:
		if (timeout_ns < 0)
			return -EINVAL;
		dl->timed = true;
		dl->expires = kmbox_deadline_to_host(timeout_ns);
		return 0;
	default:
		return -EINVAL;
	}
	return timeout_ns ? -EINVAL : 0;
}
