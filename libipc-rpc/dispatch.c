// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipc_rpc_dispatch: a request frame in, a reply frame out, with no
 * transport (ipc_rpc_serve wraps it in kmbox calls).  Whatever the request
 * holds, the answer is a frame: the packed output, or an error frame.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "frame.h"

/* What the closure of one invoke() made of the handler's output. */
struct reply_ctx {
	const ProtobufCMethodDescriptor *method;
	uint8_t *buf;
	size_t size;
	size_t len;		/* of the frame, once packed */
	uint32_t status;
	int called;
};

static void reply_closure(const ProtobufCMessage *output, void *data)
{
	struct reply_ctx *r = data;
	size_t n;

	/* A handler that answers twice: the first answer stands. */
	if (r->called)
		return;
	r->called = 1;
	/* NULL is protobuf-c's way for a handler to fail. */
	if (!output || output->descriptor != r->method->output) {
		r->status = EREMOTEIO;
		return;
	}
	n = protobuf_c_message_get_packed_size(output);
	if (n > r->size - IPC_RPC_HDR_LEN) {
		r->status = EMSGSIZE;
		return;
	}
	protobuf_c_message_pack(output, r->buf + IPC_RPC_HDR_LEN);
	r->len = IPC_RPC_HDR_LEN + n;
	r->status = 0;
}

/*
 * A generated service (foo__bar__init) invokes through
 * protobuf_c_service_invoke_internal, whose handlers follow the base in
 * the generated struct, in method order.  A missing one would fail as a
 * handler failure; it is told apart as "no such method" instead.
 */
static int has_handler(const ProtobufCService *service, unsigned int index)
{
	typedef void (*handler_fn)(void);
	const handler_fn *handlers = (const handler_fn *)(service + 1);

	if (service->invoke != protobuf_c_service_invoke_internal)
		return 1;
	return handlers[index] != NULL;
}

static uint32_t dispatch(ProtobufCService *service, const uint8_t *req,
			 size_t len, struct reply_ctx *r)
{
	const ProtobufCServiceDescriptor *desc = service->descriptor;
	ProtobufCMessage *input;
	uint32_t index;

	if (len < IPC_RPC_HDR_LEN)
		return EBADMSG;
	index = frame_get_u32(req);
	if (index >= desc->n_methods || !has_handler(service, index))
		return ENOSYS;
	r->method = &desc->methods[index];
	/* NULL for bad input and for no memory alike: bad input it is. */
	input = protobuf_c_message_unpack(r->method->input, NULL,
					  len - IPC_RPC_HDR_LEN,
					  req + IPC_RPC_HDR_LEN);
	if (!input)
		return EBADMSG;
	r->status = EREMOTEIO;	/* if the closure is never called */
	service->invoke(service, index, input, reply_closure, r);
	protobuf_c_message_free_unpacked(input, NULL);
	return r->status;
}

RPC_EXPORT ssize_t ipc_rpc_dispatch(ProtobufCService *service,
				    const void *req, size_t len, void *reply,
				    size_t size)
{
	struct reply_ctx r = { .buf = reply, .size = size };
	uint32_t status;

	if (!service || !service->descriptor || !reply ||
	    size < IPC_RPC_HDR_LEN || (!req && len))
		return -EINVAL;
	status = dispatch(service, req, len, &r);
	if (status)
		r.len = IPC_RPC_HDR_LEN;
	frame_put_u32(reply, status);
	return (ssize_t)r.len;	/* <= size, which a message fits */
}
