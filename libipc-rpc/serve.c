// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipc_rpc_serve: the server's loop over kmbox calls.  One receive to take
 * the first call, then one ipc_reply_recv per request: the reply to this
 * call and the receive of the next in one library call (kernel backend:
 * one system call).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

/* The caller of the request being dispatched by this thread, or NULL. */
static __thread const struct ipc_msginfo *current_caller;

RPC_EXPORT const struct ipc_msginfo *ipc_rpc_caller(void)
{
	return current_caller;
}

static void calls_only(struct ipc_recvopt *ro)
{
	memset(ro, 0, sizeof(*ro));
	ro->flags = IPC_SEL_CALLS;
}

RPC_EXPORT int ipc_rpc_serve(struct ipc_mbox *mb, ProtobufCService *service,
			     const struct ipc_wait *w, unsigned int flags)
{
	struct ipc_recvopt ro;
	struct ipc_msginfo mi;
	struct ipc_info info;
	uint8_t *req, *rep;
	ssize_t n, rlen;
	uint64_t call;
	int ret, rres;

	if (!mb || !service || !service->descriptor || !service->invoke || flags)
		return -EINVAL;
	ret = ipc_info(mb, &info);
	if (ret)
		return ret;
	if (!(info.access & IPC_RECV))
		return -EBADF;
	/* Requests and replies are messages: max_msg_size bounds both. */
	req = malloc(info.max_msg_size);
	rep = malloc(info.max_msg_size);
	if (!req || !rep) {
		ret = -ENOMEM;
		goto out;
	}

	calls_only(&ro);
	n = ipc_recv_opt(mb, req, info.max_msg_size, w, 0, &mi, &ro);
	for (;;) {
		if (n < 0) {
			/* Closed and drained: the way a server is stopped. */
			ret = n == -EPIPE ? 0 : (int)n;
			break;
		}
		if (!ro.call) {
			/* A plain message: nobody waits for an answer. */
			calls_only(&ro);
			n = ipc_recv_opt(mb, req, info.max_msg_size, w, 0, &mi, &ro);
			continue;
		}
		current_caller = &mi;
		rlen = ipc_rpc_dispatch(service, req, (size_t)n, rep, info.max_msg_size);
		current_caller = NULL;
		if (rlen < 0) {		/* max_msg_size < the header: never */
			ret = (int)rlen;
			break;
		}
		/*
		 * The caller's buffer is smaller than the reply (a caller
		 * other than ipc_rpc_call): an error frame instead, or, if
		 * even that does not fit, an empty reply, which always does.
		 * Chosen now, from the capacity the receive reported: a
		 * reply that failed EMSGSIZE would leave the call pending
		 * while ipc_reply_recv waits for the next request, and the
		 * caller with it.
		 */
		if ((size_t)rlen > ro.reply_size) {
			frame_put_u32(rep, EMSGSIZE);
			rlen = ro.reply_size < IPC_RPC_HDR_LEN ? 0 : IPC_RPC_HDR_LEN;
		}
		call = ro.call;
		calls_only(&ro);
		rres = 1;	/* not reported: the reply was not attempted */
		n = ipc_reply_recv(mb, call, rep, (size_t)rlen, &rres, req,
				   info.max_msg_size, w, 0, &mi, &ro);
		/*
		 * EMSGSIZE despite the check: the capacity changed after the
		 * receive, which only a peer writing the posix backend's
		 * segment can do (the kernel fixes it at the call).  The
		 * call is still pending: an empty reply fits any capacity,
		 * late (after the next request came) but never left
		 * unanswered.  ECONNRESET (the caller has gone) and ENOENT
		 * need nothing.
		 */
		if (rres == -EMSGSIZE) {
			ipc_reply(mb, call, rep, 0);
		} else if (rres == 1) {
			/* Refused before anything was done: the reply alone. */
			ipc_reply(mb, call, rep, (size_t)rlen);
		}
	}
out:
	free(req);
	free(rep);
	return ret;
}
