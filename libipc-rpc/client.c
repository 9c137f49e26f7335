// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The client: a ProtobufCService whose invoke() is one ipc_call per
 * method call, so that protoc-c's generated stubs run over kmbox.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

/* Requests up to this size are framed on the stack. */
#define REQ_STACK	512

struct rpc_client {
	ProtobufCService base;	/* first: the client is its service */
	struct ipc_mbox *mb;
	struct ipc_wait wait;	/* for calls that name none */
	size_t size;		/* reply buffer: the mailbox's max_msg_size */
	/*
	 * One reply buffer of the client's own, for the thread holding
	 * @lock; a thread that finds it taken uses one of its own for the
	 * call, so that threads never wait for each other's calls.
	 */
	pthread_mutex_t lock;
	uint8_t *reply;
};

static __thread int last_error;

RPC_EXPORT int ipc_rpc_last_error(void)
{
	return last_error;
}

static void client_invoke(ProtobufCService *service, unsigned int method,
			  const ProtobufCMessage *input,
			  ProtobufCClosure closure, void *closure_data);

static void client_destroy(ProtobufCService *service)
{
	struct rpc_client *c = (struct rpc_client *)service;

	pthread_mutex_destroy(&c->lock);
	free(c->reply);
	free(c);
}

static int valid_wait(const struct ipc_wait *w)
{
	return !w || w->mode != IPC_NONBLOCK;
}

RPC_EXPORT int ipc_rpc_client_create(struct ipc_mbox *mb,
				     const ProtobufCServiceDescriptor *desc,
				     const struct ipc_wait *w,
				     ProtobufCService **out)
{
	struct ipc_info info;
	struct rpc_client *c;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!mb || !desc || desc->magic != PROTOBUF_C__SERVICE_DESCRIPTOR_MAGIC ||
	    !valid_wait(w))
		return -EINVAL;
	ret = ipc_info(mb, &info);
	if (ret)
		return ret;
	if (!(info.access & IPC_SEND))
		return -EBADF;
	if (info.max_msg_size < IPC_RPC_HDR_LEN)
		return -EMSGSIZE;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->size = info.max_msg_size;
	c->reply = malloc(c->size);
	if (!c->reply) {
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->base.descriptor = desc;
	c->base.invoke = client_invoke;
	c->base.destroy = client_destroy;
	c->mb = mb;
	if (w)
		c->wait = *w;
	else
		c->wait.mode = IPC_BLOCK;
	*out = &c->base;
	return 0;
}

/* The reply's frame, as ipc_rpc_call returns it. */
static int unframe(const ProtobufCMethodDescriptor *m, const uint8_t *rep,
		   size_t len, ProtobufCMessage **output)
{
	uint32_t status;

	if (len < IPC_RPC_HDR_LEN)
		return -EPROTO;
	status = frame_get_u32(rep);
	if (status) {
		/* An error frame holds nothing else, and a real errno. */
		if (len != IPC_RPC_HDR_LEN || status > 4095)
			return -EPROTO;
		return -(int)status;
	}
	*output = protobuf_c_message_unpack(m->output, NULL,
					    len - IPC_RPC_HDR_LEN,
					    rep + IPC_RPC_HDR_LEN);
	return *output ? 0 : -EPROTO;
}

static int call(struct rpc_client *c, const ProtobufCMethodDescriptor *m,
		unsigned int method, const ProtobufCMessage *input,
		ProtobufCMessage **output, const struct ipc_wait *w,
		struct ipc_callinfo *ci)
{
	uint8_t stack_req[REQ_STACK];
	uint8_t *req = stack_req, *rep = c->reply;
	size_t len = IPC_RPC_HDR_LEN + protobuf_c_message_get_packed_size(input);
	int locked, ret;
	ssize_t n;

	/* The mailbox refuses it anyway, with the same error. */
	if (len > c->size)
		return -EMSGSIZE;
	if (len > sizeof(stack_req)) {
		req = malloc(len);
		if (!req)
			return -ENOMEM;
	}
	frame_put_u32(req, method);
	protobuf_c_message_pack(input, req + IPC_RPC_HDR_LEN);

	locked = pthread_mutex_trylock(&c->lock) == 0;
	if (!locked) {
		rep = malloc(c->size);
		if (!rep) {
			ret = -ENOMEM;
			goto out;
		}
	}
	n = ipc_call(c->mb, req, len, rep, c->size, w, 0, ci);
	ret = n < 0 ? (int)n : unframe(m, rep, (size_t)n, output);
	if (locked)
		pthread_mutex_unlock(&c->lock);
	else
		free(rep);
out:
	if (req != stack_req)
		free(req);
	return ret;
}

RPC_EXPORT int ipc_rpc_call(ProtobufCService *client, unsigned int method,
			    const ProtobufCMessage *input,
			    ProtobufCMessage **output,
			    const struct ipc_wait *w, struct ipc_callinfo *ci)
{
	struct rpc_client *c = (struct rpc_client *)client;
	const ProtobufCMethodDescriptor *m;
	int ret = -EINVAL;

	if (ci)
		memset(ci, 0, sizeof(*ci));
	if (output)
		*output = NULL;
	if (!client || client->invoke != client_invoke || !output || !input ||
	    method >= client->descriptor->n_methods || !valid_wait(w))
		goto out;
	m = &client->descriptor->methods[method];
	if (input->descriptor != m->input)
		goto out;
	ret = call(c, m, method, input, output, w ? w : &c->wait, ci);
out:
	last_error = ret;
	return ret;
}

static void client_invoke(ProtobufCService *service, unsigned int method,
			  const ProtobufCMessage *input,
			  ProtobufCClosure closure, void *closure_data)
{
	ProtobufCMessage *output;

	ipc_rpc_call(service, method, input, &output, NULL, NULL);
	if (closure)
		closure(output, closure_data);
	if (output)
		protobuf_c_message_free_unpacked(output, NULL);
}
