/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libipc-rpc: protobuf-c services over kmbox call and reply.
 *
 * A .proto service, compiled by protoc-c, becomes a kmbox server
 * (ipc_rpc_serve) and a typed client (ipc_rpc_client_create, then the
 * generated stubs or ipc_rpc_call) with no hand-written marshalling: the
 * messages are protobuf's, each call is one ipc_call and each request one
 * ipc_reply_recv.  libipc itself does not depend on protobuf-c; this
 * library does (pkg-config libipc-rpc).
 *
 * The frame, the only thing this library adds to protobuf's encoding: a
 * kmbox message holds exactly one frame, whose length is the message's.
 *   request: u32 method index, then the packed input message (0+ bytes)
 *   reply:   u32 status, then, if the status is 0, the packed output
 *            message (0+ bytes); otherwise nothing: an error frame
 * u32 is 4 bytes, little-endian.  The method index is the method's in the
 * service descriptor (the order of the rpc lines in the .proto).  A
 * non-zero status is a positive errno value (Linux's numbering) saying why
 * the server did not answer:
 *   ENOSYS     no such method (index out of range), or no handler for it
 *   EBADMSG    the request is shorter than 4 bytes, or its input does not
 *              unpack as the method's input message
 *   EREMOTEIO  the handler failed: it called its closure with NULL, or did
 *              not call it before returning
 *   EMSGSIZE   the output message does not fit in a message of the
 *              mailbox (max_msg_size) or in the caller's reply buffer (a
 *              buffer too small even for an error frame gets an empty
 *              reply, which is no frame)
 * Other values may be added; a client takes any status as an errno.
 *
 * Every function returns 0, a length, or a negative errno value, as
 * libipc's do.
 */
#ifndef LIBIPC_RPC_H
#define LIBIPC_RPC_H

#include <ipc.h>
#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Length of a frame's header: the method index or the status. */
#define IPC_RPC_HDR_LEN		4

/* ---- client ------------------------------------------------------------- */

/*
 * A client of the service @desc (e.g. &foo__bar__descriptor) whose server
 * receives from @mb (a handle with IPC_SEND: a named mailbox, or a port
 * from ipc_port_open).  *out is a ProtobufCService: the generated stubs,
 * foo__bar__method(*out, &input, closure, closure_data), call through it.
 * Each call waits as @w says (copied; NULL: as long as it takes; IPC_NONBLOCK
 * is EINVAL).  The client does not own @mb: destroy the client
 * (protobuf_c_service_destroy) before releasing @mb.  Reply buffers are
 * sized to @mb's max_msg_size.  One client may be used by many threads.
 *
 * A stub's closure gets the output message, which is freed when the
 * closure returns, or NULL when the call failed: ipc_rpc_last_error() then
 * says why.
 */
int ipc_rpc_client_create(struct ipc_mbox *mb,
			  const ProtobufCServiceDescriptor *desc,
			  const struct ipc_wait *w, ProtobufCService **out);

/*
 * A typed call without a closure: call method @method of @client (an
 * ipc_rpc_client_create client) with @input, whose type must be the
 * method's input.  Returns 0 and the output message in *output (free it
 * with protobuf_c_message_free_unpacked(*output, NULL)), or -errno with
 * *output NULL:
 *   EINVAL       @client is not such a client, @method is out of range,
 *                @input is not of the method's input type, or @w is
 *                IPC_NONBLOCK
 *   ENOSYS, EBADMSG, EREMOTEIO, EMSGSIZE: the server's error frame
 *   EPROTO       the reply is not a frame, or its output does not unpack
 *   ENOMEM       no memory here for the request or the output
 *   any ipc_call(3) error: ECONNRESET (the server dropped the request or
 *   went away), ETIMEDOUT, EINTR, EPIPE (closed), EIDRM, EMSGSIZE, ...
 * @w bounds this call (NULL: the client's own wait).  @ci (may be NULL)
 * gets what ipc_call says besides the reply, also on error: with
 * IPC_CALL_RECEIVED set, a server had taken the request.
 */
int ipc_rpc_call(ProtobufCService *client, unsigned int method,
		 const ProtobufCMessage *input, ProtobufCMessage **output,
		 const struct ipc_wait *w, struct ipc_callinfo *ci);

/*
 * What the last call this thread made through a client (a stub or
 * ipc_rpc_call) returned: 0 or -errno, as ipc_rpc_call's value.  Per
 * thread, as errno: for a stub's closure that got NULL, the reason.
 */
int ipc_rpc_last_error(void);

/* ---- server ------------------------------------------------------------- */

/*
 * Serve @service on @mb (a handle with IPC_RECV) until the mailbox is
 * closed: take each call (ipc_recv_opt with IPC_SEL_CALLS), dispatch it
 * (ipc_rpc_dispatch), and reply while taking the next (ipc_reply_recv).
 * @service is the user's implementation: a generated Foo__Bar_Service set
 * up with foo__bar__init() and its handlers, or any ProtobufCService whose
 * invoke() calls the closure before returning.  A plain message (not a
 * call) is dropped; a caller that has gone is forgotten; a bad request
 * gets an error frame: only the mailbox stops the loop.  Each receive
 * waits as @w says (NULL: as long as it takes).  @flags must be 0.
 *
 * Returns 0 when the mailbox is closed and drained (EPIPE), or the -errno
 * of the receive that failed (ETIMEDOUT, EINTR, EIDRM, ...): every call
 * taken has been answered then, and ipc_rpc_serve may be called again.
 * Several processes or threads may serve one mailbox at the same time.
 */
int ipc_rpc_serve(struct ipc_mbox *mb, ProtobufCService *service,
		  const struct ipc_wait *w, unsigned int flags);

/*
 * One request frame @req (@len bytes) in, one reply frame out, with no
 * transport: unpack the input by the method index, invoke @service, pack
 * the output into @reply (@size bytes).  Returns the reply frame's length
 * (an error frame when the request could not be answered), or -EINVAL if
 * @size cannot hold even an error frame.  For servers with a loop of
 * their own (e.g. epoll over ipc_fd).
 */
ssize_t ipc_rpc_dispatch(ProtobufCService *service, const void *req,
			 size_t len, void *reply, size_t size);

/*
 * In a handler run by ipc_rpc_serve, the credentials of the caller (pid,
 * uid, gid, and IPC_MSG_CRED_VERIFIED when the kernel vouches for them);
 * NULL elsewhere.
 */
const struct ipc_msginfo *ipc_rpc_caller(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBIPC_RPC_H */
