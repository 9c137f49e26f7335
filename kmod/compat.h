/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shims for the kernel versions kmbox builds against, all in one place.
 */
#ifndef _KMBOX_COMPAT_H
#define _KMBOX_COMPAT_H

#include <linux/uio.h>

/* ITER_SOURCE and ITER_DEST came in 6.2; before, WRITE and READ said it. */
#ifndef ITER_SOURCE
#define ITER_SOURCE	WRITE
#define ITER_DEST	READ
#endif

#endif /* _KMBOX_COMPAT_H */
