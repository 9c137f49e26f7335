/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Test hook of the posix backend, for tests/libipc only (not exported from
 * libipc.so): when libipc_test_crash_point is one of these points, the
 * process SIGKILLs itself the libipc_test_crash_after-th time (1 = first)
 * it gets there, with the mailbox lock held (or raises
 * libipc_test_crash_signal instead, if set: SIGSTOP to hold the lock).  The tests then check that the
 * survivors recover the mailbox and lose or duplicate nothing.
 */
#ifndef LIBIPC_TESTHOOK_H
#define LIBIPC_TESTHOOK_H

enum libipc_hook {
	LIBIPC_HOOK_NONE,
	LIBIPC_HOOK_SEND_COPY,		/* message half written, not queued */
	LIBIPC_HOOK_SEND_COMMIT,	/* message queued, lists not updated */
	LIBIPC_HOOK_RECV_COPY,		/* copied out, not consumed */
	LIBIPC_HOOK_RECV_COMMIT,	/* consumed, chunks not freed */
	LIBIPC_HOOK_WITHDRAW,		/* a waiting sender's message withdrawn */
	LIBIPC_HOOK_SLOT,		/* registering as a waiter */
	LIBIPC_HOOK_CLOSE,		/* closed, blocked senders not failed */
	LIBIPC_HOOK_DESTROY,		/* destroyed, queue not dropped */
	LIBIPC_HOOK_RECOVER,		/* recovering: totals applied, waiters not told */
	LIBIPC_HOOK_ABANDON,		/* leaving a slot unlocked: outcome decided, tid kept */
	LIBIPC_HOOK_PROBE,		/* telling a waiter alive: a system call */
	LIBIPC_HOOK_MAX,
};

extern int libipc_test_crash_point __attribute__((visibility("hidden")));
extern unsigned int libipc_test_crash_after __attribute__((visibility("hidden")));
extern int libipc_test_crash_signal __attribute__((visibility("hidden")));

#endif /* LIBIPC_TESTHOOK_H */
