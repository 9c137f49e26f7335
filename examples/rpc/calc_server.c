// SPDX-License-Identifier: MIT
/*
 * calc_server NAME: serve calc.proto's Calculator on the mailbox NAME
 * until it is closed (calc_client NAME stop), then remove the name.
 * All the kmbox and protobuf work is libipc-rpc's: this file is the
 * service's two handlers and ipc_rpc_serve.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <ipc.h>
#include <ipc-rpc.h>

#include "calc.pb-c.h"

static void show_caller(const char *what)
{
	const struct ipc_msginfo *mi = ipc_rpc_caller();

	printf("calc_server: %s for pid %d (uid %u%s)\n", what, (int)mi->pid,
	       mi->uid, mi->flags & IPC_MSG_CRED_VERIFIED ? ", verified" : "");
	fflush(stdout);
}

static void add(Calc__Calculator_Service *service, const Calc__Operands *in,
		Calc__Result_Closure closure, void *closure_data)
{
	Calc__Result out = CALC__RESULT__INIT;

	(void)service;
	show_caller("add");
	out.value = (int64_t)((uint64_t)in->a + (uint64_t)in->b);	/* wraps */
	closure(&out, closure_data);
}

static void divide(Calc__Calculator_Service *service, const Calc__Operands *in,
		   Calc__Quotient_Closure closure, void *closure_data)
{
	Calc__Quotient out = CALC__QUOTIENT__INIT;

	(void)service;
	show_caller("divide");
	if (in->b == 0 || (in->a == INT64_MIN && in->b == -1)) {
		closure(NULL, closure_data);	/* the caller gets EREMOTEIO */
		return;
	}
	out.quotient = in->a / in->b;
	out.remainder = in->a % in->b;
	closure(&out, closure_data);
}

int main(int argc, char **argv)
{
	struct ipc_attr attr = { .capacity = 8, .mode = 0600, .flags = IPC_EXCL };
	Calc__Calculator_Service service;
	struct ipc_mbox *mb;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: calc_server NAME\n");
		return 2;
	}
	calc__calculator__init(&service, NULL);
	service.add = add;
	service.divide = divide;

	ret = ipc_create(argv[1], &attr, IPC_RECV, &mb);
	if (ret) {
		fprintf(stderr, "calc_server: ipc_create %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	printf("calc_server: serving '%s' (%s backend)\n", argv[1], ipc_backend());
	fflush(stdout);
	/* Until the mailbox is closed: then 0. */
	ret = ipc_rpc_serve(mb, &service.base, NULL, 0);
	ipc_unlink(argv[1]);
	ipc_release(mb);
	if (ret) {
		fprintf(stderr, "calc_server: ipc_rpc_serve: %s\n", strerror(-ret));
		return 1;
	}
	printf("calc_server: mailbox closed, done\n");
	return 0;
}
