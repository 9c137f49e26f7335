// SPDX-License-Identifier: GPL-2.0
/*
 * ipc_rpc_test: libipc-rpc, protobuf-c services over ipc_call and
 * ipc_reply_recv, on both backends.  A server process serves
 * ipc_rpc_test.proto's Calc on a named mailbox it opened itself (so that
 * its death releases its handle); the test process calls it through the
 * generated stubs and ipc_rpc_call and checks the typed values, the error
 * replies (bad method, bad request, failed handler, too big), the errors
 * of the transport (server gone, timeout) and the server stopping when
 * the mailbox is closed.  The transport's reply capacity (reply_size),
 * by which the server chooses a reply that fits, is tested on its own, and
 * so is ipc_rpc_dispatch, without a transport.
 */
#include "lt.h"
#include "ipc-rpc.h"
#include "ipc_rpc_test.pb-c.h"

#define MSG_SIZE	4096
#define CALL_WAIT	IPC_WAIT_NS(10 * TC_SEC)

/* ---- the service ---------------------------------------------------------- */

static void h_add(Rpctest__Calc_Service *s, const Rpctest__Pair *in,
		  Rpctest__Sum_Closure closure, void *data)
{
	Rpctest__Sum out = RPCTEST__SUM__INIT;

	(void)s;
	out.sum = (int64_t)((uint64_t)in->a + (uint64_t)in->b);
	closure(&out, data);
}

/* text repeated @repeat times (at least once), blob reversed */
static void h_echo(Rpctest__Calc_Service *s, const Rpctest__Text *in,
		   Rpctest__Text_Closure closure, void *data)
{
	Rpctest__Text out = RPCTEST__TEXT__INIT;
	size_t tl = strlen(in->text), i, n = in->repeat ? in->repeat : 1;
	char *text = malloc(tl * n + 1);
	uint8_t *blob = malloc(in->blob.len + 1);

	(void)s;
	if (!text || !blob) {
		closure(NULL, data);
		goto out;
	}
	for (i = 0; i < n; i++)
		memcpy(text + i * tl, in->text, tl);
	text[tl * n] = '\0';
	for (i = 0; i < in->blob.len; i++)
		blob[i] = in->blob.data[in->blob.len - 1 - i];
	out.text = text;
	out.blob.data = blob;
	out.blob.len = in->blob.len;
	closure(&out, data);
out:
	free(text);
	free(blob);
}

static void h_who(Rpctest__Calc_Service *s, const Rpctest__Empty *in,
		  Rpctest__Caller_Closure closure, void *data)
{
	const struct ipc_msginfo *mi = ipc_rpc_caller();
	Rpctest__Caller out = RPCTEST__CALLER__INIT;

	(void)s;
	(void)in;
	if (!mi) {
		closure(NULL, data);
		return;
	}
	out.pid = mi->pid;
	out.uid = mi->uid;
	out.verified = !!(mi->flags & IPC_MSG_CRED_VERIFIED);
	closure(&out, data);
}

static void h_fail(Rpctest__Calc_Service *s, const Rpctest__Empty *in,
		   Rpctest__Empty_Closure closure, void *data)
{
	(void)s;
	(void)in;
	closure(NULL, data);
}

static void h_die(Rpctest__Calc_Service *s, const Rpctest__Empty *in,
		  Rpctest__Empty_Closure closure, void *data)
{
	(void)s;
	(void)in;
	(void)closure;
	(void)data;
	_exit(0);
}

static void h_nap(Rpctest__Calc_Service *s, const Rpctest__Millis *in,
		  Rpctest__Empty_Closure closure, void *data)
{
	Rpctest__Empty out = RPCTEST__EMPTY__INIT;

	(void)s;
	tc_sleep_ms(in->ms);
	closure(&out, data);
}

/* Calc's handlers, Unset's left NULL as foo__init leaves it. */
static void calc_init(Rpctest__Calc_Service *svc)
{
	rpctest__calc__init(svc, NULL);
	svc->add = h_add;
	svc->echo = h_echo;
	svc->who = h_who;
	svc->fail = h_fail;
	svc->die = h_die;
	svc->nap = h_nap;
}

/* The server process: exits 0 when ipc_rpc_serve saw the close. */
static pid_t spawn_server(const char *name)
{
	pid_t pid = tc_fork();

	if (pid == 0) {
		Rpctest__Calc_Service svc;
		struct ipc_mbox *mb;
		int ret;

		calc_init(&svc);
		ret = ipc_open(name, IPC_RECV, &mb);
		if (ret) {
			fprintf(stderr, "# server: ipc_open: %s\n", strerror(-ret));
			_exit(200);
		}
		ret = ipc_rpc_serve(mb, &svc.base, NULL, 0);
		if (ret)
			fprintf(stderr, "# server: ipc_rpc_serve: %s\n", strerror(-ret));
		ipc_release(mb);
		_exit(-ret);
	}
	return pid;
}

/* ---- the fixture ---------------------------------------------------------- */

FIXTURE(rpc) {
	char name[64];
	struct ipc_mbox *mb;		/* IPC_SEND: the client's */
	ProtobufCService *calc;		/* a Calc client */
	pid_t server;
};

FIXTURE_VARIANT(rpc) {
	const char *backend;
};

FIXTURE_VARIANT_ADD(rpc, kernel) { .backend = "kernel" };
FIXTURE_VARIANT_ADD(rpc, posix) { .backend = "posix" };

FIXTURE_SETUP(rpc)
{
	struct ipc_attr a = lt_attr(4, MSG_SIZE, 0600);
	struct ipc_callinfo ci;
	char reply[8];
	ssize_t n;

	self->server = 0;
	self->calc = NULL;
	LT_USE_BACKEND(variant->backend);
	lt_name(self->name, sizeof(self->name), "rpc");
	ASSERT_EQ(0, ipc_create(self->name, &a, IPC_SEND, &self->mb));
	/* Nobody receives yet: a backend with calls times out. */
	n = ipc_call(self->mb, "x", 1, reply, sizeof(reply), IPC_WAIT_NS(TC_MS), 0, &ci);
	if (n == -ENOTSUP)
		TC_SKIP("%s backend: ipc_call is not supported (ENOTSUP): no RPC transport yet",
			variant->backend);
	ASSERT_EQ(-ETIMEDOUT, n);
	ASSERT_EQ(0, ci.flags & IPC_CALL_RECEIVED);
	ASSERT_EQ(0, ipc_rpc_client_create(self->mb, &rpctest__calc__descriptor,
					   CALL_WAIT, &self->calc));
	self->server = spawn_server(self->name);
	ASSERT_LT(0, self->server);
}

FIXTURE_TEARDOWN(rpc)
{
	if (self->calc)
		protobuf_c_service_destroy(self->calc);
	if (self->server > 0 && tc_running(self->server)) {
		ipc_close(self->mb);
		tc_wait(self->server);
	}
	ipc_unlink(self->name);
	ipc_release(self->mb);
}

/* ---- stubs' closures ------------------------------------------------------ */

struct got {
	int calls;
	int err;		/* ipc_rpc_last_error() in the closure */
	int64_t sum;
	char text[256];
	uint8_t blob[16];
	size_t blob_len;
	Rpctest__Caller who;
};

static void sum_closure(const Rpctest__Sum *out, void *data)
{
	struct got *g = data;

	g->calls++;
	g->err = ipc_rpc_last_error();
	if (out)
		g->sum = out->sum;
}

static void text_closure(const Rpctest__Text *out, void *data)
{
	struct got *g = data;

	g->calls++;
	g->err = ipc_rpc_last_error();
	if (out) {
		snprintf(g->text, sizeof(g->text), "%s", out->text);
		g->blob_len = out->blob.len;
		memcpy(g->blob, out->blob.data,
		       out->blob.len < sizeof(g->blob) ? out->blob.len : sizeof(g->blob));
	}
}

static void caller_closure(const Rpctest__Caller *out, void *data)
{
	struct got *g = data;

	g->calls++;
	g->err = ipc_rpc_last_error();
	if (out)
		g->who = *out;
}

static void empty_closure(const Rpctest__Empty *out, void *data)
{
	struct got *g = data;

	g->calls++;
	g->err = out ? 0 : ipc_rpc_last_error();
	if (out && g->err)
		g->err = 1;	/* an output together with an error */
}

/* ---- over the transport --------------------------------------------------- */

/* The generated stubs: typed values both ways. */
TEST_F(rpc, stubs_round_trip)
{
	Rpctest__Pair pair = RPCTEST__PAIR__INIT;
	Rpctest__Text text = RPCTEST__TEXT__INIT;
	Rpctest__Empty empty = RPCTEST__EMPTY__INIT;
	uint8_t blob[] = { 0, 1, 2, 0xff };
	struct got g = { 0 };

	pair.a = 40;
	pair.b = 2;
	rpctest__calc__add(self->calc, &pair, sum_closure, &g);
	ASSERT_EQ(1, g.calls);
	ASSERT_EQ(0, g.err);
	ASSERT_EQ(42, g.sum);

	pair.a = INT64_MIN + 1;
	pair.b = -1;
	rpctest__calc__add(self->calc, &pair, sum_closure, &g);
	ASSERT_EQ(2, g.calls);
	ASSERT_EQ(INT64_MIN, g.sum);

	text.text = "h\xc3\xa9llo ";
	text.repeat = 3;
	text.blob.data = blob;
	text.blob.len = sizeof(blob);
	rpctest__calc__echo(self->calc, &text, text_closure, &g);
	ASSERT_EQ(3, g.calls);
	ASSERT_EQ(0, g.err);
	ASSERT_STREQ("h\xc3\xa9llo h\xc3\xa9llo h\xc3\xa9llo ", g.text);
	ASSERT_EQ(4, g.blob_len);
	ASSERT_EQ(0xff, g.blob[0]);
	ASSERT_EQ(2, g.blob[1]);
	ASSERT_EQ(0, g.blob[3]);

	/* The handler sees who called. */
	rpctest__calc__who(self->calc, &empty, caller_closure, &g);
	ASSERT_EQ(4, g.calls);
	ASSERT_EQ(0, g.err);
	ASSERT_EQ(getpid(), g.who.pid);
	ASSERT_EQ(geteuid(), g.who.uid);
	if (!lt_is_posix())
		ASSERT_TRUE(g.who.verified);
}

/* ipc_rpc_call: the output message, the call's info, local checks. */
TEST_F(rpc, typed_call)
{
	Rpctest__Pair pair = RPCTEST__PAIR__INIT;
	Rpctest__Empty empty = RPCTEST__EMPTY__INIT;
	ProtobufCMessage *out = (void *)1;
	struct ipc_callinfo ci;
	Rpctest__Sum *sum;

	pair.a = 1000000000000LL;
	pair.b = 234;
	ASSERT_EQ(0, ipc_rpc_call(self->calc, 0, &pair.base, &out, NULL, &ci));
	ASSERT_NE(NULL, out);
	ASSERT_EQ(&rpctest__sum__descriptor, out->descriptor);
	sum = (Rpctest__Sum *)out;
	ASSERT_EQ(1000000000234LL, sum->sum);
	protobuf_c_message_free_unpacked(out, NULL);
	ASSERT_TRUE(ci.flags & IPC_CALL_RECEIVED);
	ASSERT_EQ(self->server, ci.pid);
	ASSERT_EQ(0, ipc_rpc_last_error());

	/* Refused here, before anything is sent. */
	out = (void *)1;
	ASSERT_EQ(-EINVAL, ipc_rpc_call(self->calc, 0, &empty.base, &out, NULL, &ci));
	ASSERT_EQ(NULL, out);
	ASSERT_EQ(0, ci.flags & IPC_CALL_RECEIVED);
	ASSERT_EQ(-EINVAL, ipc_rpc_last_error());
	ASSERT_EQ(-EINVAL, ipc_rpc_call(self->calc, 7, &empty.base, &out, NULL, NULL));
	ASSERT_EQ(-EINVAL, ipc_rpc_call(self->calc, 0, &pair.base, &out, IPC_WAIT_NONE, NULL));
	ASSERT_EQ(-EINVAL, ipc_rpc_call(NULL, 0, &pair.base, &out, NULL, NULL));
}

/* Error frames: the server answers each bad request and goes on. */
TEST_F(rpc, error_replies)
{
	Rpctest__Empty empty = RPCTEST__EMPTY__INIT;
	Rpctest__Text text = RPCTEST__TEXT__INIT;
	Rpctest__Pair pair = RPCTEST__PAIR__INIT;
	static const uint8_t bad_index[] = { 0xff, 0xff, 0xff, 0xff };
	static const uint8_t bad_input[] = { 0, 0, 0, 0, 0x08, 0xff };
	ProtobufCService *v2 = NULL;
	struct ipc_callinfo ci;
	ProtobufCMessage *out;
	struct got g = { 0 };
	uint8_t rep[64];
	ssize_t n;

	/* A newer client's method, unknown to this server. */
	ASSERT_EQ(0, ipc_rpc_client_create(self->mb, &rpctest__calc_v2__descriptor,
					   CALL_WAIT, &v2));
	rpctest__calc_v2__added(v2, &empty, empty_closure, &g);
	ASSERT_EQ(1, g.calls);
	ASSERT_EQ(-ENOSYS, g.err);
	protobuf_c_service_destroy(v2);

	/* A method with no handler. */
	ASSERT_EQ(-ENOSYS, ipc_rpc_call(self->calc, 6, &empty.base, &out, NULL, &ci));
	ASSERT_TRUE(ci.flags & IPC_CALL_RECEIVED);

	/* A handler that fails. */
	rpctest__calc__fail(self->calc, &empty, empty_closure, &g);
	ASSERT_EQ(2, g.calls);
	ASSERT_EQ(-EREMOTEIO, g.err);

	/* An output bigger than a message. */
	text.text = "0123456789abcdef";
	text.repeat = MSG_SIZE / 16;
	ASSERT_EQ(-EMSGSIZE, ipc_rpc_call(self->calc, 1, &text.base, &out, NULL, &ci));
	ASSERT_TRUE(ci.flags & IPC_CALL_RECEIVED);

	/* Frames no client of this library sends, with ipc_call itself. */
	n = ipc_call(self->mb, bad_index, 2, rep, sizeof(rep), CALL_WAIT, 0, NULL);
	ASSERT_EQ(4, n);
	ASSERT_EQ(EBADMSG, rep[0] | rep[1] << 8 | rep[2] << 16 | rep[3] << 24);
	n = ipc_call(self->mb, bad_index, 4, rep, sizeof(rep), CALL_WAIT, 0, NULL);
	ASSERT_EQ(4, n);
	ASSERT_EQ(ENOSYS, rep[0] | rep[1] << 8 | rep[2] << 16 | rep[3] << 24);
	n = ipc_call(self->mb, bad_input, sizeof(bad_input), rep, sizeof(rep), CALL_WAIT, 0, NULL);
	ASSERT_EQ(4, n);
	ASSERT_EQ(EBADMSG, rep[0] | rep[1] << 8 | rep[2] << 16 | rep[3] << 24);

	/* A reply buffer too small for the output, then for any frame. */
	text.repeat = 8;
	{
		uint8_t req[256];
		size_t len = protobuf_c_message_get_packed_size(&text.base);

		ASSERT_GT(sizeof(req), len + 4);
		memset(req, 0, 4);
		req[0] = 1;	/* Echo */
		protobuf_c_message_pack(&text.base, req + 4);
		n = ipc_call(self->mb, req, len + 4, rep, 8, CALL_WAIT, 0, NULL);
		ASSERT_EQ(4, n);
		ASSERT_EQ(EMSGSIZE, rep[0] | rep[1] << 8 | rep[2] << 16 | rep[3] << 24);
		n = ipc_call(self->mb, req, len + 4, rep, 2, CALL_WAIT, 0, NULL);
		ASSERT_EQ(0, n);
	}

	/* A plain message, not a call: dropped. */
	ASSERT_EQ(0, ipc_send(self->mb, "plain", 5, CALL_WAIT, 0));

	/* And the server still answers. */
	pair.a = 3;
	pair.b = 4;
	rpctest__calc__add(self->calc, &pair, sum_closure, &g);
	ASSERT_EQ(3, g.calls);
	ASSERT_EQ(0, g.err);
	ASSERT_EQ(7, g.sum);
	ASSERT_TRUE(tc_running(self->server));
}

/* Closing the mailbox stops the server: ipc_rpc_serve returns 0. */
TEST_F(rpc, server_stops_on_close)
{
	Rpctest__Pair pair = RPCTEST__PAIR__INIT;
	struct ipc_callinfo ci;
	ProtobufCMessage *out;
	struct got g = { 0 };

	rpctest__calc__add(self->calc, &pair, sum_closure, &g);
	ASSERT_EQ(0, g.err);
	ASSERT_EQ(0, ipc_close(self->mb));
	ASSERT_EQ(0, tc_wait(self->server));
	self->server = 0;
	ASSERT_EQ(-EPIPE, ipc_rpc_call(self->calc, 0, &pair.base, &out, NULL, &ci));
	ASSERT_EQ(0, ci.flags & IPC_CALL_RECEIVED);
	rpctest__calc__add(self->calc, &pair, sum_closure, &g);
	ASSERT_EQ(2, g.calls);
	ASSERT_EQ(-EPIPE, g.err);
}

/* A server that dies with the request: the caller wakes with ECONNRESET. */
TEST_F(rpc, server_dies_mid_call)
{
	Rpctest__Empty empty = RPCTEST__EMPTY__INIT;
	struct ipc_callinfo ci;
	ProtobufCMessage *out;

	ASSERT_EQ(-ECONNRESET, ipc_rpc_call(self->calc, 4, &empty.base, &out, NULL, &ci));
	ASSERT_TRUE(ci.flags & IPC_CALL_RECEIVED);
	ASSERT_EQ(NULL, out);
	ASSERT_EQ(0, tc_wait(self->server));
	self->server = 0;
	/* Nobody serves now: a call times out, not received. */
	ASSERT_EQ(-ETIMEDOUT, ipc_rpc_call(self->calc, 3, &empty.base, &out,
					   IPC_WAIT_NS(20 * TC_MS), &ci));
	ASSERT_EQ(0, ci.flags & IPC_CALL_RECEIVED);
}

/* A caller that stops waiting: ETIMEDOUT, and the server goes on. */
TEST_F(rpc, timeout_then_next_call)
{
	Rpctest__Millis nap = RPCTEST__MILLIS__INIT;
	Rpctest__Pair pair = RPCTEST__PAIR__INIT;
	struct ipc_callinfo ci;
	ProtobufCMessage *out;
	struct got g = { 0 };

	nap.ms = 300;
	ASSERT_EQ(-ETIMEDOUT, ipc_rpc_call(self->calc, 5, &nap.base, &out,
					   IPC_WAIT_NS(50 * TC_MS), &ci));
	ASSERT_TRUE(ci.flags & IPC_CALL_RECEIVED);
	pair.a = -5;
	pair.b = 5;
	g.sum = 99;
	rpctest__calc__add(self->calc, &pair, sum_closure, &g);
	ASSERT_EQ(0, g.err);
	ASSERT_EQ(0, g.sum);
}

struct thread_arg {
	ProtobufCService *calc;
	int64_t base;
	int bad;
};

static void *adder(void *p)
{
	struct thread_arg *t = p;
	Rpctest__Pair pair = RPCTEST__PAIR__INIT;
	int i;

	for (i = 0; i < 50; i++) {
		struct got g = { 0 };

		pair.a = t->base;
		pair.b = i;
		rpctest__calc__add(t->calc, &pair, sum_closure, &g);
		if (g.calls != 1 || g.err || g.sum != t->base + i)
			t->bad++;
	}
	return NULL;
}

/* One client, two threads calling at once: each gets its own answers. */
TEST_F(rpc, threads_share_a_client)
{
	struct thread_arg t[2] = {
		{ .calc = self->calc, .base = 1000 },
		{ .calc = self->calc, .base = -1000000 },
	};
	pthread_t th[2];
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, adder, &t[i]));
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ASSERT_EQ(0, t[0].bad);
	ASSERT_EQ(0, t[1].bad);
}

/* ---- the transport: a call's reply capacity ------------------------------- */

/*
 * What ipc_rpc_serve sizes its replies by: the reply_size a server's
 * receive reports is the caller's reply buffer size, capped at the
 * mailbox's max_msg_size, and 0 for a plain message; a reply one byte
 * longer fails EMSGSIZE.
 */
#define CAP_MSG		64

FIXTURE(cap) {
	struct ipc_mbox *mb;
};

FIXTURE_VARIANT(cap) {
	const char *backend;
};

FIXTURE_VARIANT_ADD(cap, kernel) { .backend = "kernel" };
FIXTURE_VARIANT_ADD(cap, posix) { .backend = "posix" };

FIXTURE_SETUP(cap)
{
	struct ipc_attr a = lt_attr(4, CAP_MSG, 0600);
	char reply[8];
	ssize_t n;

	self->mb = NULL;
	LT_USE_BACKEND(variant->backend);
	ASSERT_EQ(0, ipc_create(NULL, &a, IPC_RECV | IPC_SEND, &self->mb));
	n = ipc_call(self->mb, "x", 1, reply, sizeof(reply), IPC_WAIT_NS(TC_MS), 0, NULL);
	if (n == -ENOTSUP)
		TC_SKIP("%s backend: ipc_call is not supported (ENOTSUP): no RPC transport yet",
			variant->backend);
	ASSERT_EQ(-ETIMEDOUT, n);
}

FIXTURE_TEARDOWN(cap)
{
	ipc_release(self->mb);
}

TEST_F(cap, reply_size)
{
	char buf[CAP_MSG], rep[CAP_MSG + 1];
	struct ipc_recvopt o;
	uint64_t call;
	pid_t cl;
	int rr;

	memset(rep, 'r', sizeof(rep));
	/* A plain message: no call, no capacity, whatever the input said. */
	ASSERT_EQ(0, ipc_send(self->mb, "plain", 5, IPC_WAIT_NONE, 0));
	memset(&o, 0, sizeof(o));
	o.flags = IPC_SEL_CALLS;
	o.reply_size = 12345;		/* ignored on input */
	ASSERT_EQ(5, ipc_recv_opt(self->mb, buf, sizeof(buf), CALL_WAIT, 0, NULL, &o));
	EXPECT_EQ(0, o.call);
	EXPECT_EQ(0, o.reply_size);

	cl = tc_fork();
	if (cl == 0) {
		/* Buffers of 10 bytes, 4 messages (capped) and none. */
		static char r[4 * CAP_MSG];

		TC_CHECK_EQ(10, ipc_call(self->mb, "a", 1, r, 10, CALL_WAIT, 0, NULL));
		TC_CHECK_EQ(CAP_MSG, ipc_call(self->mb, "b", 1, r, sizeof(r), CALL_WAIT, 0, NULL));
		TC_CHECK_EQ(0, ipc_call(self->mb, "c", 1, r, 0, CALL_WAIT, 0, NULL));
		_exit(0);
	}

	memset(&o, 0, sizeof(o));
	o.flags = IPC_SEL_CALLS;
	ASSERT_EQ(1, ipc_recv_opt(self->mb, buf, sizeof(buf), CALL_WAIT, 0, NULL, &o));
	ASSERT_NE(0, o.call);
	EXPECT_EQ(10, o.reply_size);
	EXPECT_EQ(-EMSGSIZE, ipc_reply(self->mb, o.call, rep, o.reply_size + 1));

	/* ipc_reply_recv reports the next call's capacity too. */
	call = o.call;
	ASSERT_EQ(1, ipc_reply_recv(self->mb, call, rep, 10, &rr, buf, sizeof(buf),
				    CALL_WAIT, 0, NULL, &o));
	EXPECT_EQ(0, rr);
	ASSERT_NE(0, o.call);
	EXPECT_EQ(CAP_MSG, o.reply_size);
	EXPECT_EQ(-EMSGSIZE, ipc_reply(self->mb, o.call, rep, CAP_MSG + 1));

	call = o.call;
	ASSERT_EQ(1, ipc_reply_recv(self->mb, call, rep, CAP_MSG, &rr, buf, sizeof(buf),
				    CALL_WAIT, 0, NULL, &o));
	EXPECT_EQ(0, rr);
	ASSERT_NE(0, o.call);
	EXPECT_EQ(0, o.reply_size);
	EXPECT_EQ(-EMSGSIZE, ipc_reply(self->mb, o.call, rep, 1));
	EXPECT_EQ(0, ipc_reply(self->mb, o.call, rep, 0));
	EXPECT_EQ(0, tc_wait(cl));
}

/* ---- without a transport: ipc_rpc_dispatch -------------------------------- */

static uint32_t status_of(const uint8_t *rep)
{
	return rep[0] | rep[1] << 8 | rep[2] << 16 | (uint32_t)rep[3] << 24;
}

/* A service whose invoke() never calls the closure. */
static void silent_invoke(ProtobufCService *s, unsigned int m,
			  const ProtobufCMessage *in, ProtobufCClosure c, void *d)
{
	(void)s;
	(void)m;
	(void)in;
	(void)c;
	(void)d;
}

TEST(dispatch_frames)
{
	Rpctest__Calc_Service svc;
	ProtobufCService silent = { &rpctest__calc__descriptor, silent_invoke, NULL };
	Rpctest__Pair pair = RPCTEST__PAIR__INIT;
	Rpctest__Text text = RPCTEST__TEXT__INIT;
	uint8_t req[256], rep[256];
	Rpctest__Sum *sum;
	size_t len;
	ssize_t n;

	calc_init(&svc);
	pair.a = 20;
	pair.b = 22;
	len = protobuf_c_message_get_packed_size(&pair.base);
	memset(req, 0, 4);
	protobuf_c_message_pack(&pair.base, req + 4);
	n = ipc_rpc_dispatch(&svc.base, req, len + 4, rep, sizeof(rep));
	ASSERT_LE(4, n);
	ASSERT_EQ(0, status_of(rep));
	sum = rpctest__sum__unpack(NULL, n - 4, rep + 4);
	ASSERT_NE(NULL, sum);
	ASSERT_EQ(42, sum->sum);
	rpctest__sum__free_unpacked(sum, NULL);

	/* Outside ipc_rpc_serve, there is no caller. */
	req[0] = 2;
	n = ipc_rpc_dispatch(&svc.base, req, 4, rep, sizeof(rep));
	ASSERT_EQ(4, n);
	ASSERT_EQ(EREMOTEIO, status_of(rep));
	ASSERT_EQ(NULL, ipc_rpc_caller());

	n = ipc_rpc_dispatch(&svc.base, req, 3, rep, sizeof(rep));
	ASSERT_EQ(4, n);
	ASSERT_EQ(EBADMSG, status_of(rep));
	n = ipc_rpc_dispatch(&svc.base, NULL, 0, rep, sizeof(rep));
	ASSERT_EQ(4, n);
	ASSERT_EQ(EBADMSG, status_of(rep));

	req[0] = 7;	/* out of range */
	n = ipc_rpc_dispatch(&svc.base, req, 4, rep, sizeof(rep));
	ASSERT_EQ(ENOSYS, status_of(rep));
	req[0] = 6;	/* Unset: no handler */
	n = ipc_rpc_dispatch(&svc.base, req, 4, rep, sizeof(rep));
	ASSERT_EQ(ENOSYS, status_of(rep));
	req[0] = 3;	/* Fail */
	n = ipc_rpc_dispatch(&svc.base, req, 4, rep, sizeof(rep));
	ASSERT_EQ(EREMOTEIO, status_of(rep));
	n = ipc_rpc_dispatch(&silent, req, 4, rep, sizeof(rep));
	ASSERT_EQ(4, n);
	ASSERT_EQ(EREMOTEIO, status_of(rep));

	/* Pair's field 1 is a varint: a truncated one does not unpack. */
	req[0] = 0;
	req[4] = 0x08;
	req[5] = 0xff;
	n = ipc_rpc_dispatch(&svc.base, req, 6, rep, sizeof(rep));
	ASSERT_EQ(4, n);
	ASSERT_EQ(EBADMSG, status_of(rep));

	/* The output does not fit in the reply buffer. */
	text.text = "0123456789abcdef";
	text.repeat = 16;
	req[0] = 1;
	len = protobuf_c_message_get_packed_size(&text.base);
	protobuf_c_message_pack(&text.base, req + 4);
	n = ipc_rpc_dispatch(&svc.base, req, len + 4, rep, sizeof(rep));
	ASSERT_EQ(4, n);
	ASSERT_EQ(EMSGSIZE, status_of(rep));
	text.repeat = 2;
	len = protobuf_c_message_get_packed_size(&text.base);
	protobuf_c_message_pack(&text.base, req + 4);
	n = ipc_rpc_dispatch(&svc.base, req, len + 4, rep, sizeof(rep));
	ASSERT_LT(4, n);
	ASSERT_EQ(0, status_of(rep));

	/* No room even for an error frame. */
	ASSERT_EQ(-EINVAL, ipc_rpc_dispatch(&svc.base, req, 4, rep, 3));
	ASSERT_EQ(-EINVAL, ipc_rpc_dispatch(NULL, req, 4, rep, sizeof(rep)));
}

TEST_HARNESS_MAIN
