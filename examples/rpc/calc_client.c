// SPDX-License-Identifier: MIT
/*
 * calc_client NAME add A B | divide A B | stop
 * A typed client of calc.proto's Calculator served on the mailbox NAME
 * (calc_server): "add" through protoc-c's generated stub and a closure,
 * "divide" through ipc_rpc_call, "stop" closes the mailbox, which stops
 * the server.  Exits 0 on success, 1 when the call failed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ipc.h>
#include <ipc-rpc.h>

#include "calc.pb-c.h"

#define SEC	1000000000LL

/* Open the server's mailbox, waiting up to 5 s for a server just started. */
static int open_server(const char *name, struct ipc_mbox **mb)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int ret, i;

	for (i = 0; i < 500; i++) {
		ret = ipc_open(name, IPC_SEND, mb);
		if (ret != -ENOENT)
			break;
		nanosleep(&pause, NULL);
	}
	return ret;
}

static void add_done(const Calc__Result *result, void *closure_data)
{
	int *failed = closure_data;

	if (!result) {	/* the call failed: ipc_rpc_last_error() says why */
		fprintf(stderr, "calc_client: add: %s\n", strerror(-ipc_rpc_last_error()));
		*failed = 1;
		return;
	}
	printf("%" PRId64 "\n", result->value);
}

static int parse(const char *s, int64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 0);
	return errno || !*s || *end ? -EINVAL : 0;
}

int main(int argc, char **argv)
{
	Calc__Operands ops = CALC__OPERANDS__INIT;
	ProtobufCService *calc;
	struct ipc_mbox *mb;
	int ret, failed = 0;

	if (argc == 3 && !strcmp(argv[2], "stop")) {
		ret = open_server(argv[1], &mb);
		if (!ret)
			ret = ipc_close(mb);
		if (ret) {
			fprintf(stderr, "calc_client: stop %s: %s\n", argv[1], strerror(-ret));
			return 1;
		}
		ipc_release(mb);
		return 0;
	}
	if (argc != 5 || (strcmp(argv[2], "add") && strcmp(argv[2], "divide")) ||
	    parse(argv[3], &ops.a) || parse(argv[4], &ops.b)) {
		fprintf(stderr, "usage: calc_client NAME add A B | divide A B | stop\n");
		return 2;
	}
	ret = open_server(argv[1], &mb);
	if (ret) {
		fprintf(stderr, "calc_client: ipc_open %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	/* Each call gives up after 5 s. */
	ret = ipc_rpc_client_create(mb, &calc__calculator__descriptor,
				    IPC_WAIT_NS(5 * SEC), &calc);
	if (ret) {
		fprintf(stderr, "calc_client: ipc_rpc_client_create: %s\n", strerror(-ret));
		ipc_release(mb);
		return 1;
	}

	if (!strcmp(argv[2], "add")) {
		/* The generated stub: the answer comes to the closure. */
		calc__calculator__add(calc, &ops, add_done, &failed);
	} else {
		/* The typed call: the answer is returned. */
		ProtobufCMessage *out;
		Calc__Quotient *q;

		ret = ipc_rpc_call(calc, 1, &ops.base, &out, NULL, NULL);
		if (ret) {
			fprintf(stderr, "calc_client: divide: %s\n", strerror(-ret));
			failed = 1;
		} else {
			q = (Calc__Quotient *)out;
			printf("%" PRId64 " remainder %" PRId64 "\n", q->quotient, q->remainder);
			protobuf_c_message_free_unpacked(out, NULL);
		}
	}
	protobuf_c_service_destroy(calc);
	ipc_release(mb);
	return failed;
}
