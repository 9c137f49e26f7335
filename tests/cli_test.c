// SPDX-License-Identifier: GPL-2.0
/*
 * cli_test: the kmbox command-line tool (tools/kmbox.c), run as a user
 * would run it, on each backend (a FIXTURE_VARIANT sets LIBIPC_BACKEND for
 * it; the kernel one skips without /dev/kmbox).
 *
 *  - every command's output, exit status (0 ok, 1 failed, 2 usage, 3 no
 *    such mailbox, 4 permission, 5 timed out, 6 closed or destroyed) and
 *    its one-line error message;
 *  - --json on ls, stat, recv and watch: well-formed JSON (checked by the
 *    small parser below) with the fields the documentation names;
 *  - blocked senders and receivers show with their pids.
 *
 * The tool is $KMBOX if set, else found next to this program: ./kmbox,
 * ../tools/kmbox (the source tree), ../bin/kmbox (the VM's /kmbox/bin).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "test_common.h"

#define CLI_ALARM	30	/* no kmbox run lives longer (s) */

/* ---- a small JSON parser: validity, and values by path -------------------- */

static const char *j_value(const char *s, int depth);

static const char *j_ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

static const char *j_string(const char *s)
{
	int i;

	if (*s++ != '"')
		return NULL;
	while (*s != '"') {
		if ((unsigned char)*s < 0x20)
			return NULL;		/* control characters must be escaped */
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				for (i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
						return NULL;
				s += 4;
			} else if (!*s || !strchr("\"\\/bfnrt", *s)) {
				return NULL;
			}
		}
		s++;
	}
	return s + 1;
}

static const char *j_digits(const char *s)
{
	const char *start = s;

	while (*s >= '0' && *s <= '9')
		s++;
	return s > start ? s : NULL;
}

static const char *j_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else
		s = j_digits(s);
	if (s && *s == '.')
		s = j_digits(s + 1);
	if (!s)
		return NULL;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		s = j_digits(s);
	}
	return s;
}

static const char *j_value(const char *s, int depth)
{
	if (depth > 32)
		return NULL;
	s = j_ws(s);
	switch (*s) {
	case '"':
		return j_string(s);
	case '{':
	case '[': {
		char close = *s == '{' ? '}' : ']';
		bool obj = *s == '{';

		s = j_ws(s + 1);
		if (*s == close)
			return s + 1;
		for (;;) {
			if (obj) {
				s = j_string(j_ws(s));
				if (!s)
					return NULL;
				s = j_ws(s);
				if (*s++ != ':')
					return NULL;
			}
			s = j_value(s, depth + 1);
			if (!s)
				return NULL;
			s = j_ws(s);
			if (*s == close)
				return s + 1;
			if (*s++ != ',')
				return NULL;
		}
	}
	case 't':
		return strncmp(s, "true", 4) ? NULL : s + 4;
	case 'f':
		return strncmp(s, "false", 5) ? NULL : s + 5;
	case 'n':
		return strncmp(s, "null", 4) ? NULL : s + 4;
	}
	return j_number(s);
}

/* One JSON value and nothing else (but white space). */
static bool json_ok(const char *s)
{
	const char *end = j_value(s, 0);

	return end && !*j_ws(end);
}

/*
 * The value at path ("mailboxes.0.name": members by key, elements by
 * index) in the valid JSON text s: a pointer to its first character, or
 * NULL.  Keys are compared as written (no escapes in ours).
 */
static const char *json_at(const char *s, const char *path)
{
	char part[128];
	const char *dot, *key, *end;
	size_t len;
	long idx;

	s = j_ws(s);
	while (*path) {
		dot = strchr(path, '.');
		len = dot ? (size_t)(dot - path) : strlen(path);
		if (len >= sizeof(part))
			return NULL;
		memcpy(part, path, len);
		part[len] = '\0';
		path += len + (dot ? 1 : 0);
		if (*s == '{') {
			s = j_ws(s + 1);
			for (;;) {
				if (*s != '"')
					return NULL;
				key = s + 1;
				end = j_string(s);
				if (!end)
					return NULL;
				s = j_ws(j_ws(end) + 1);	/* past ':' */
				if ((size_t)(end - 1 - key) == len && !strncmp(key, part, len))
					break;
				s = j_ws(j_value(s, 0));
				if (*s != ',')
					return NULL;
				s = j_ws(s + 1);
			}
		} else if (*s == '[') {
			idx = strtol(part, NULL, 10);
			s = j_ws(s + 1);
			if (*s == ']')
				return NULL;
			while (idx--) {
				s = j_ws(j_value(s, 0));
				if (*s != ',')
					return NULL;
				s = j_ws(s + 1);
			}
		} else {
			return NULL;
		}
	}
	return s;
}

/* The value at path, as written (strings with their quotes), or "(none)". */
static const char *json_raw(const char *s, const char *path)
{
	static char buf[4][512];
	static int n;
	const char *v = json_at(s, path), *end;
	char *out = buf[n++ % 4];
	size_t len;

	end = v ? j_value(v, 0) : NULL;
	if (!end)
		return "(none)";
	len = (size_t)(end - v) < sizeof(buf[0]) - 1 ? (size_t)(end - v) : sizeof(buf[0]) - 1;
	memcpy(out, v, len);
	out[len] = '\0';
	return out;
}

static long long json_num(const char *s, const char *path)
{
	const char *v = json_at(s, path);

	return v && (*v == '-' || (*v >= '0' && *v <= '9')) ? strtoll(v, NULL, 10) : -999;
}

/* ---- running kmbox ---------------------------------------------------------- */

struct run {
	int status;		/* exit status; 128 + signal if killed */
	char out[65536];
	char err[4096];
};

static const char *kmbox_path(void)
{
	static char path[PATH_MAX];
	static const char *const rel[] = { "kmbox", "../tools/kmbox", "../bin/kmbox" };
	char self[PATH_MAX - 32], *slash;
	ssize_t n;
	size_t i;

	if (getenv("KMBOX"))
		return getenv("KMBOX");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return "kmbox";
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", self, rel[i]);
		if (!access(path, X_OK))
			return path;
	}
	return "kmbox";
}

/*
 * Start kmbox with argv (NULL-terminated, without the program name) on
 * backend, as uid (if not -1).  Its stdin, stdout, stderr are the given
 * fds (-1: /dev/null).  Returns its pid.
 */
static pid_t kmbox_start(const char *backend, uid_t uid, int in, int out, int err,
			 char *const *args)
{
	char *argv[32];
	int i, null, exe;
	pid_t pid;

	argv[0] = "kmbox";
	for (i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(CLI_ALARM);
	null = open("/dev/null", O_RDWR);
	dup2(in >= 0 ? in : null, 0);
	dup2(out >= 0 ? out : null, 1);
	dup2(err >= 0 ? err : null, 2);
	setenv("LIBIPC_BACKEND", backend, 1);
	unsetenv("KMBOX");
	/*
	 * Opened while still root: the checkout may sit in a directory
	 * other users cannot search (a 0700 mktemp -d), which is no concern
	 * of the permission checks under test.
	 */
	exe = open(kmbox_path(), O_PATH | O_CLOEXEC);
	if (exe < 0)
		_exit(127);
	if (uid != (uid_t)-1 &&
	    (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid)))
		_exit(120);
	fexecve(exe, argv, environ);
	_exit(127);
}

static int exit_status(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Run kmbox to the end, input (may be NULL) on its stdin; output in r. */
static int kmbox_run_as(struct run *r, const char *backend, uid_t uid,
			const char *input, char *const *args)
{
	int pin[2], pout[2], perr[2];
	size_t nout = 0, nerr = 0;
	struct pollfd pfd[2];
	ssize_t n;
	pid_t pid;
	int status;

	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC))
		return -errno;
	pid = kmbox_start(backend, uid, pin[0], pout[1], perr[1], args);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	if (input && write(pin[1], input, strlen(input)) != (ssize_t)strlen(input))
		return -EIO;
	close(pin[1]);
	pfd[0] = (struct pollfd){ .fd = pout[0], .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = perr[0], .events = POLLIN };
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents) {
			n = read(pout[0], r->out + nout, sizeof(r->out) - 1 - nout);
			if (n <= 0)
				pfd[0].fd = -1;
			else
				nout += (size_t)n;
		}
		if (pfd[1].revents) {
			n = read(perr[0], r->err + nerr, sizeof(r->err) - 1 - nerr);
			if (n <= 0)
				pfd[1].fd = -1;
			else
				nerr += (size_t)n;
		}
	}
	r->out[nout] = '\0';
	r->err[nerr] = '\0';
	close(pout[0]);
	close(perr[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	r->status = exit_status(status);
	return r->status;
}

#define ARGS(...)	((char *const[]){ __VA_ARGS__, NULL })
/* The exit status of kmbox ARGS on this variant's backend; output in self->r. */
#define KMBOX(...)	kmbox_run_as(&self->r, variant->backend, (uid_t)-1, NULL, ARGS(__VA_ARGS__))
#define KMBOX_IN(input, ...) \
	kmbox_run_as(&self->r, variant->backend, (uid_t)-1, input, ARGS(__VA_ARGS__))
#define KMBOX_AS(uid, ...) \
	kmbox_run_as(&self->r, variant->backend, uid, NULL, ARGS(__VA_ARGS__))
#define SHOW()		TH_LOG("status %d, stdout:\n%s\nstderr:\n%s", self->r.status, \
			       self->r.out, self->r.err)

/* Lines in s, each ended by a newline (-1 if the last is not). */
static int lines(const char *s)
{
	size_t len = strlen(s), i;
	int n = 0;

	for (i = 0; i < len; i++)
		if (s[i] == '\n')
			n++;
	return !len || s[len - 1] == '\n' ? n : -1;
}

/* ---- the fixture: one backend, names this test owns ---------------------- */

FIXTURE(cli) {
	struct run r;
	char name[64];		/* a name no other test or run uses */
	char name2[64];
};

FIXTURE_VARIANT(cli) {
	const char *backend;
	const char *verified;	/* recv --json's "verified" */
};

FIXTURE_VARIANT_ADD(cli, kernel) { .backend = "kernel", .verified = "true" };
FIXTURE_VARIANT_ADD(cli, posix) { .backend = "posix", .verified = "false" };

FIXTURE_SETUP(cli)
{
	if (!strcmp(variant->backend, "kernel") && access("/dev/kmbox", F_OK))
		TC_SKIP("kernel backend: no /dev/kmbox (kmbox.ko not loaded)");
	if (access(kmbox_path(), X_OK))
		TC_SKIP("no kmbox tool: set KMBOX or build tools/kmbox");
	snprintf(self->name, sizeof(self->name), "cli-%d-%08x-a", (int)getpid(), tc_run_id());
	snprintf(self->name2, sizeof(self->name2), "cli-%d-%08x-b", (int)getpid(), tc_run_id());
	umask(0);
}

FIXTURE_TEARDOWN(cli)
{
	struct run r;

	if (!strcmp(variant->backend, "kernel") && access("/dev/kmbox", F_OK))
		return;
	kmbox_run_as(&r, variant->backend, (uid_t)-1, NULL, ARGS("destroy", self->name));
	kmbox_run_as(&r, variant->backend, (uid_t)-1, NULL, ARGS("destroy", self->name2));
}

/*
 * Poll "kmbox stat NAME --json" until field has value n: 0, or -1 after
 * TC_WAIT_MS.  The last output stays in r.
 */
static int wait_field(struct run *r, const char *backend, const char *name,
		      const char *field, long long n)
{
	int64_t end = tc_now_ns() + TC_WAIT_MS * TC_MS;

	do {
		if (kmbox_run_as(r, backend, (uid_t)-1, NULL,
				 ARGS("stat", (char *)name, "--json")) == 0 &&
		    json_num(r->out, field) == n)
			return 0;
		tc_sleep_ms(5);
	} while (tc_now_ns() < end);
	return -1;
}

/* The element of ls --json's "mailboxes" whose name is name, or NULL. */
static const char *ls_find(const char *json, const char *name, char *path, size_t size)
{
	char want[160];
	int i;

	snprintf(want, sizeof(want), "\"%s\"", name);
	for (i = 0; i < 10000; i++) {
		snprintf(path, size, "mailboxes.%d.name", i);
		if (!json_at(json, path))
			return NULL;
		if (!strcmp(json_raw(json, path), want)) {
			snprintf(path, size, "mailboxes.%d", i);
			return json_at(json, path);
		}
	}
	return NULL;
}

/* ---- usage and errors ------------------------------------------------------- */

TEST_F(cli, usage_and_exit_codes)
{
	ASSERT_EQ(2, KMBOX("")) SHOW();
	EXPECT_EQ(2, kmbox_run_as(&self->r, variant->backend, (uid_t)-1, NULL,
				  (char *const[]){ NULL })) SHOW();
	EXPECT_NE(NULL, strstr(self->r.err, "usage: kmbox")) SHOW();

	EXPECT_EQ(0, KMBOX("--help")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.out, "Exit status:")) SHOW();
	EXPECT_STREQ("", self->r.err);
	EXPECT_EQ(0, KMBOX("--version")) SHOW();
	EXPECT_EQ(0, strncmp(self->r.out, "kmbox ", 6)) SHOW();

	/* One line on stderr, naming what was wrong. */
	EXPECT_EQ(2, KMBOX("frobnicate")) SHOW();
	EXPECT_EQ(0, strncmp(self->r.err, "kmbox: unknown command 'frobnicate'", 35)) SHOW();
	EXPECT_EQ(1, lines(self->r.err)) SHOW();
	EXPECT_EQ(2, KMBOX("ls", "--bogus")) SHOW();
	EXPECT_EQ(2, KMBOX("ls", "--count", "3")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.err, "--count does not apply")) SHOW();
	EXPECT_EQ(2, KMBOX("stat")) SHOW();
	EXPECT_EQ(2, KMBOX("stat", "a", "b")) SHOW();
	EXPECT_EQ(2, KMBOX("recv", "x", "--timeout", "soon")) SHOW();
	EXPECT_EQ(2, KMBOX("create", "x", "--capacity", "2", "--unbounded")) SHOW();
	EXPECT_EQ(2, KMBOX("create", "x", "--mode", "0999")) SHOW();
	EXPECT_EQ(2, KMBOX("watch", "x", "--interval", "0")) SHOW();
	EXPECT_EQ(2, KMBOX("ls", "--backend", "carrier-pigeon")) SHOW();

	/* No such mailbox: 3, and the same words for every command. */
	EXPECT_EQ(3, KMBOX("stat", self->name)) SHOW();
	{
		char want[128];

		snprintf(want, sizeof(want), "kmbox: stat %s: No such mailbox\n", self->name);
		EXPECT_STREQ(want, self->r.err);
	}
	EXPECT_STREQ("", self->r.out);
	EXPECT_EQ(3, KMBOX("recv", self->name, "--timeout", "0")) SHOW();
	EXPECT_EQ(3, KMBOX("send", self->name, "x")) SHOW();
	EXPECT_EQ(3, KMBOX("rm", self->name)) SHOW();
	EXPECT_EQ(3, KMBOX("close", self->name)) SHOW();
	EXPECT_EQ(3, KMBOX("destroy", self->name)) SHOW();
	EXPECT_EQ(3, KMBOX("watch", self->name, "--iterations", "1")) SHOW();
	/* Bad names are the library's EINVAL: failed, 1. */
	EXPECT_EQ(1, KMBOX("stat", "a/b")) SHOW();
}

/* ---- create, ls, stat ------------------------------------------------------- */

TEST_F(cli, create_ls_stat)
{
	char path[64];
	const char *mb;

	ASSERT_EQ(0, KMBOX("create", self->name, "--capacity", "4", "--max-size", "1K",
			   "--mode", "0640")) SHOW();
	EXPECT_STREQ("", self->r.out);
	/* Exclusive unless told otherwise. */
	EXPECT_EQ(1, KMBOX("create", self->name)) SHOW();
	EXPECT_NE(NULL, strstr(self->r.err, "exists")) SHOW();
	EXPECT_EQ(0, KMBOX("create", self->name, "--exist-ok")) SHOW();
	ASSERT_EQ(0, KMBOX("send", self->name, "hello")) SHOW();

	/* stat --json: one object, the documented fields. */
	ASSERT_EQ(0, KMBOX("stat", self->name, "--json")) SHOW();
	ASSERT_TRUE(json_ok(self->r.out)) SHOW();
	EXPECT_EQ('\n', self->r.out[strlen(self->r.out) - 1]);
	snprintf(path, sizeof(path), "\"%s\"", variant->backend);
	EXPECT_STREQ(path, json_raw(self->r.out, "backend"));
	EXPECT_STREQ("false", json_raw(self->r.out, "partial"));
	EXPECT_STREQ("\"bounded\"", json_raw(self->r.out, "kind"));
	EXPECT_EQ(4, json_num(self->r.out, "capacity"));
	EXPECT_EQ(1024, json_num(self->r.out, "max_msg_size"));
	EXPECT_STREQ("\"0640\"", json_raw(self->r.out, "mode"));
	EXPECT_STREQ("\"open\"", json_raw(self->r.out, "state"));
	EXPECT_EQ((long long)geteuid(), json_num(self->r.out, "uid"));
	EXPECT_EQ(1, json_num(self->r.out, "msgs"));
	EXPECT_EQ(5, json_num(self->r.out, "bytes"));
	EXPECT_EQ(1, json_num(self->r.out, "sent"));
	EXPECT_EQ(0, json_num(self->r.out, "received"));
	EXPECT_EQ(0, json_num(self->r.out, "dropped"));
	EXPECT_EQ(0, json_num(self->r.out, "senders_waiting"));
	EXPECT_STREQ("[]", json_raw(self->r.out, "receivers"));
	EXPECT_LE(0, json_num(self->r.out, "id"));

	/* stat, for people. */
	ASSERT_EQ(0, KMBOX("stat", self->name)) SHOW();
	EXPECT_NE(NULL, strstr(self->r.out, "capacity:   4 messages (bounded)")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.out, "queued:     1 message, 5 bytes")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.out, "mode:       0640")) SHOW();

	/* Other kinds. */
	ASSERT_EQ(0, KMBOX("create", self->name2, "--unbounded")) SHOW();
	ASSERT_EQ(0, KMBOX("stat", self->name2, "--json")) SHOW();
	EXPECT_STREQ("\"unbounded\"", json_raw(self->r.out, "kind"));
	EXPECT_STREQ("null", json_raw(self->r.out, "capacity"));
	EXPECT_EQ(8192, json_num(self->r.out, "max_msg_size"));
	EXPECT_STREQ("\"0600\"", json_raw(self->r.out, "mode"));
	ASSERT_EQ(0, KMBOX("rm", self->name2)) SHOW();
	ASSERT_EQ(0, KMBOX("create", self->name2)) SHOW();
	ASSERT_EQ(0, KMBOX("stat", self->name2, "--json")) SHOW();
	EXPECT_STREQ("\"rendezvous\"", json_raw(self->r.out, "kind"));
	EXPECT_EQ(0, json_num(self->r.out, "capacity"));

	/* ls --json: both, with the same fields as stat. */
	ASSERT_EQ(0, KMBOX("ls", "--json")) SHOW();
	ASSERT_TRUE(json_ok(self->r.out)) SHOW();
	mb = ls_find(self->r.out, self->name, path, sizeof(path));
	ASSERT_NE(NULL, mb) SHOW();
	EXPECT_EQ(4, json_num(mb, "capacity"));
	EXPECT_EQ(1, json_num(mb, "msgs"));
	EXPECT_STREQ("\"0640\"", json_raw(mb, "mode"));
	ASSERT_NE(NULL, ls_find(self->r.out, self->name2, path, sizeof(path))) SHOW();

	/* ls, for people: a header, then a line each. */
	ASSERT_EQ(0, KMBOX("ls")) SHOW();
	EXPECT_EQ(0, strncmp(self->r.out, "NAME ", 5)) SHOW();
	EXPECT_NE(NULL, strstr(self->r.out, "RECEIVERS\n")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.out, self->name)) SHOW();
	EXPECT_NE(NULL, strstr(self->r.out, "rendezvous")) SHOW();

	/* rm: the name is gone. */
	ASSERT_EQ(0, KMBOX("rm", self->name, self->name2)) SHOW();
	EXPECT_EQ(3, KMBOX("stat", self->name)) SHOW();
	ASSERT_EQ(0, KMBOX("ls", "--json")) SHOW();
	EXPECT_EQ(NULL, ls_find(self->r.out, self->name, path, sizeof(path))) SHOW();
}

TEST_F(cli, names_are_escaped)
{
	char name[96], shown[128], want[128], path[64];

	snprintf(name, sizeof(name), "%s b\\c\td", self->name);
	ASSERT_EQ(0, KMBOX("create", name, "--capacity", "1")) SHOW();
	ASSERT_EQ(0, KMBOX("ls")) SHOW();
	snprintf(shown, sizeof(shown), "%s\\040b\\134c\\011d ", self->name);
	EXPECT_NE(NULL, strstr(self->r.out, shown)) SHOW();
	ASSERT_EQ(0, KMBOX("ls", "--json")) SHOW();
	ASSERT_TRUE(json_ok(self->r.out)) SHOW();
	snprintf(want, sizeof(want), "%s b\\\\c\\td", self->name);
	EXPECT_NE(NULL, ls_find(self->r.out, want, path, sizeof(path))) SHOW();
	ASSERT_EQ(0, KMBOX("stat", name, "--json")) SHOW();
	EXPECT_EQ(1, json_num(self->r.out, "capacity"));
	EXPECT_EQ(0, KMBOX("destroy", name)) SHOW();
	EXPECT_EQ(3, KMBOX("stat", name)) SHOW();
}

/* ---- send and recv ---------------------------------------------------------- */

TEST_F(cli, send_recv)
{
	int64_t t;

	ASSERT_EQ(0, KMBOX("create", self->name, "--capacity", "8", "--max-size", "64")) SHOW();
	ASSERT_EQ(0, KMBOX("send", self->name, "hello")) SHOW();
	ASSERT_EQ(0, KMBOX_IN("line 1\nline 2\n", "send", self->name, "-")) SHOW();
	ASSERT_EQ(0, KMBOX_IN("no dash", "send", self->name)) SHOW();
	/* Synchronous, not waiting, and no receiver there: it cannot be sent. */
	EXPECT_EQ(5, KMBOX("send", "--sync", self->name, "--timeout", "0", "x")) SHOW();
	ASSERT_EQ(0, KMBOX("send", self->name, "--", "-dash")) SHOW();

	/* Too long for the mailbox: failed, nothing queued. */
	EXPECT_EQ(1, KMBOX("send", self->name,
			   "0123456789012345678901234567890123456789012345678901234567890123456789")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.err, "too long")) SHOW();

	/* Peek leaves it; recv prints it with a newline; --raw without. */
	ASSERT_EQ(0, KMBOX("recv", self->name, "--peek")) SHOW();
	EXPECT_STREQ("hello\n", self->r.out);
	ASSERT_EQ(0, KMBOX("recv", self->name)) SHOW();
	EXPECT_STREQ("hello\n", self->r.out);
	ASSERT_EQ(0, KMBOX("recv", self->name, "--raw")) SHOW();
	EXPECT_STREQ("line 1\nline 2\n", self->r.out);

	/* --json: one object per message, per line. */
	ASSERT_EQ(0, KMBOX("recv", self->name, "--json", "--count", "2")) SHOW();
	{
		char *nl = strchr(self->r.out, '\n');

		ASSERT_NE(NULL, nl) SHOW();
		*nl = '\0';
		ASSERT_TRUE(json_ok(self->r.out)) SHOW();
		EXPECT_STREQ("\"no dash\"", json_raw(self->r.out, "data"));
		EXPECT_EQ(7, json_num(self->r.out, "len"));
		EXPECT_LT(0, json_num(self->r.out, "pid"));
		EXPECT_EQ((long long)geteuid(), json_num(self->r.out, "uid"));
		EXPECT_EQ((long long)getegid(), json_num(self->r.out, "gid"));
		EXPECT_STREQ(variant->verified, json_raw(self->r.out, "verified"));
		ASSERT_TRUE(json_ok(nl + 1)) SHOW();
		EXPECT_STREQ("\"-dash\"", json_raw(nl + 1, "data"));
	}

	/* Binary and UTF-8 data stay valid JSON. */
	ASSERT_EQ(0, KMBOX("send", self->name, "\x01q\"\\\xff\xc3\xa9")) SHOW();
	ASSERT_EQ(0, KMBOX("recv", self->name, "--json")) SHOW();
	ASSERT_TRUE(json_ok(self->r.out)) SHOW();
	EXPECT_STREQ("\"\\u0001q\\\"\\\\\\u00ff\xc3\xa9\"", json_raw(self->r.out, "data"));

	/* Empty: --timeout 0 never waits, --timeout T waits T; both 5. */
	EXPECT_EQ(5, KMBOX("recv", self->name, "--timeout", "0")) SHOW();
	EXPECT_STREQ("", self->r.out);
	t = tc_now_ns();
	EXPECT_EQ(5, KMBOX("recv", self->name, "--timeout", "150ms")) SHOW();
	EXPECT_LE(150 * TC_MS, tc_now_ns() - t);
	EXPECT_NE(NULL, strstr(self->r.err, "Timed out")) SHOW();

	/* Full: a send with a timeout times out. */
	ASSERT_EQ(0, KMBOX("rm", self->name)) SHOW();
	ASSERT_EQ(0, KMBOX("create", self->name, "--capacity", "1")) SHOW();
	ASSERT_EQ(0, KMBOX("send", self->name, "1")) SHOW();
	EXPECT_EQ(5, KMBOX("send", self->name, "2", "--timeout", "0.05")) SHOW();
	ASSERT_EQ(0, KMBOX("stat", self->name, "--json")) SHOW();
	EXPECT_EQ(1, json_num(self->r.out, "msgs"));
}

/* ---- priorities, tags, selective receive ------------------------------------ */

TEST_F(cli, priorities_and_tags)
{
	char *nl;

	ASSERT_EQ(0, KMBOX("create", self->name, "--capacity", "8", "--priorities",
			   "--select")) SHOW();
	ASSERT_EQ(0, KMBOX("stat", self->name, "--json")) SHOW();
	EXPECT_STREQ("true", json_raw(self->r.out, "priorities"));
	EXPECT_STREQ("true", json_raw(self->r.out, "select"));
	EXPECT_STREQ("null", json_raw(self->r.out, "port_pid"));
	EXPECT_EQ(0, json_num(self->r.out, "calls_pending"));
	ASSERT_EQ(0, KMBOX("ls")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.out, "prio,select")) SHOW();

	ASSERT_EQ(0, KMBOX("send", self->name, "low", "--prio", "1", "--tag", "7")) SHOW();
	ASSERT_EQ(0, KMBOX("send", self->name, "high", "--prio", "9", "--tag", "5")) SHOW();
	ASSERT_EQ(0, KMBOX("send", self->name, "mid", "--prio", "4", "--tag", "7")) SHOW();
	EXPECT_EQ(2, KMBOX("send", self->name, "x", "--prio", "32768")) SHOW();

	/* Tag 7 only: the higher priority of the two first. */
	ASSERT_EQ(0, KMBOX("recv", self->name, "--tag", "7", "--json")) SHOW();
	EXPECT_STREQ("\"mid\"", json_raw(self->r.out, "data"));
	EXPECT_EQ(4, json_num(self->r.out, "prio"));
	EXPECT_EQ(7, json_num(self->r.out, "tag"));
	/* No tag 3 queued: it does not take another. */
	EXPECT_EQ(5, KMBOX("recv", self->name, "--tag", "3", "--timeout", "0")) SHOW();
	/* Lowest tag up to 6: tag 5. */
	ASSERT_EQ(0, KMBOX("recv", self->name, "--tag-le", "6")) SHOW();
	EXPECT_STREQ("high\n", self->r.out);
	/* From us (the sends were other kmbox processes): nothing. */
	EXPECT_EQ(5, KMBOX("recv", self->name, "--from", "1", "--timeout", "0")) SHOW();
	ASSERT_EQ(0, KMBOX("recv", self->name, "--json", "--count", "1")) SHOW();
	nl = strchr(self->r.out, '\n');
	ASSERT_NE(NULL, nl);
	*nl = '\0';
	EXPECT_STREQ("\"low\"", json_raw(self->r.out, "data"));
	EXPECT_EQ(1, json_num(self->r.out, "prio"));

	/* A plain mailbox takes neither. */
	ASSERT_EQ(0, KMBOX("create", self->name2, "--capacity", "2")) SHOW();
	EXPECT_EQ(1, KMBOX("send", self->name2, "x", "--prio", "1")) SHOW();
	EXPECT_EQ(1, KMBOX("send", self->name2, "x", "--tag", "1")) SHOW();
	EXPECT_EQ(2, KMBOX("send", self->name2, "x", "--tag", "1", "--tag-le", "2")) SHOW();
	ASSERT_EQ(0, KMBOX("ls")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.out, "FLAGS")) SHOW();
}

/* ---- blocked callers and their pids ------------------------------------------ */

TEST_F(cli, blocked_pids)
{
	char pidstr[32], path[64];
	const char *mb;
	int out[2], status;
	pid_t rcv, snd;
	char buf[64];
	ssize_t n;

	ASSERT_EQ(0, KMBOX("create", self->name)) SHOW();	/* rendezvous */
	ASSERT_EQ(0, pipe2(out, O_CLOEXEC));
	rcv = kmbox_start(variant->backend, (uid_t)-1, -1, out[1], -1,
			  ARGS("recv", self->name, "--timeout", "20"));
	close(out[1]);
	ASSERT_EQ(0, wait_field(&self->r, variant->backend, self->name,
				"receivers_waiting", 1)) SHOW();
	EXPECT_EQ(rcv, json_num(self->r.out, "receivers.0"));
	EXPECT_EQ(0, json_num(self->r.out, "senders_waiting"));

	/* ls shows the pid, in text and JSON. */
	snprintf(pidstr, sizeof(pidstr), "%d", (int)rcv);
	ASSERT_EQ(0, KMBOX("ls")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.out, pidstr)) SHOW();
	ASSERT_EQ(0, KMBOX("ls", "--json")) SHOW();
	mb = ls_find(self->r.out, self->name, path, sizeof(path));
	ASSERT_NE(NULL, mb) SHOW();
	EXPECT_EQ(rcv, json_num(mb, "receivers.0"));
	ASSERT_EQ(0, KMBOX("stat", self->name)) SHOW();
	EXPECT_NE(NULL, strstr(self->r.out, pidstr)) SHOW();

	/* A rendezvous send meets it. */
	ASSERT_EQ(0, KMBOX("send", self->name, "met")) SHOW();
	ASSERT_EQ(rcv, waitpid(rcv, &status, 0));
	EXPECT_EQ(0, exit_status(status));
	n = read(out[0], buf, sizeof(buf) - 1);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_STREQ("met\n", buf);
	close(out[0]);

	/* A sender offering on the rendezvous mailbox waits, and shows. */
	snd = kmbox_start(variant->backend, (uid_t)-1, -1, -1, -1,
			  ARGS("send", self->name, "offer", "--timeout", "20"));
	ASSERT_EQ(0, wait_field(&self->r, variant->backend, self->name,
				"senders_waiting", 1)) SHOW();
	EXPECT_EQ(snd, json_num(self->r.out, "senders.0"));
	ASSERT_EQ(0, KMBOX("recv", self->name)) SHOW();
	EXPECT_STREQ("offer\n", self->r.out);
	ASSERT_EQ(snd, waitpid(snd, &status, 0));
	EXPECT_EQ(0, exit_status(status));
}

/* ---- close and destroy ------------------------------------------------------- */

TEST_F(cli, close_and_destroy)
{
	int status;
	pid_t rcv;

	ASSERT_EQ(0, KMBOX("create", self->name, "--capacity", "4")) SHOW();
	ASSERT_EQ(0, KMBOX("send", self->name, "a")) SHOW();
	ASSERT_EQ(0, KMBOX("send", self->name, "b")) SHOW();
	ASSERT_EQ(0, KMBOX("close", self->name)) SHOW();
	EXPECT_EQ(6, KMBOX("close", self->name)) SHOW();	/* closed already */
	ASSERT_EQ(0, KMBOX("stat", self->name, "--json")) SHOW();
	EXPECT_STREQ("\"closed\"", json_raw(self->r.out, "state"));

	/* Closed: sends fail with 6; receivers drain, then 6. */
	EXPECT_EQ(6, KMBOX("send", self->name, "c")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.err, "Mailbox closed")) SHOW();
	ASSERT_EQ(0, KMBOX("recv", self->name)) SHOW();
	EXPECT_STREQ("a\n", self->r.out);
	/* --count 0 receives until closed and drained: that is success. */
	ASSERT_EQ(0, KMBOX("recv", self->name, "--count", "0")) SHOW();
	EXPECT_STREQ("b\n", self->r.out);
	EXPECT_EQ(6, KMBOX("recv", self->name)) SHOW();

	/* Destroy wakes a blocked receiver with "destroyed", 6. */
	ASSERT_EQ(0, KMBOX("create", self->name2, "--capacity", "1")) SHOW();
	rcv = kmbox_start(variant->backend, (uid_t)-1, -1, -1, -1,
			  ARGS("recv", self->name2));
	ASSERT_EQ(0, wait_field(&self->r, variant->backend, self->name2,
				"receivers_waiting", 1)) SHOW();
	ASSERT_EQ(0, KMBOX("destroy", self->name2)) SHOW();
	ASSERT_EQ(rcv, waitpid(rcv, &status, 0));
	EXPECT_EQ(6, exit_status(status));
	EXPECT_EQ(3, KMBOX("stat", self->name2)) SHOW();
}

/* ---- by id: stat --id, destroy --id ----------------------------------------- */

/* "kmbox stat NAME --json"'s id, as text (posix ids use all 64 bits). */
static int stat_id_of(struct run *r, const char *backend, const char *name,
		      char *id, size_t size)
{
	const char *raw;

	if (kmbox_run_as(r, backend, (uid_t)-1, NULL, ARGS("stat", (char *)name, "--json")))
		return -1;
	raw = json_raw(r->out, "id");
	if (!raw || !*raw || strlen(raw) >= size)
		return -1;
	snprintf(id, size, "%s", raw);
	return 0;
}

TEST_F(cli, by_id)
{
	char id[32], id2[32], quoted[96], anon[64], hint[96];
	int status;
	pid_t rcv;

	ASSERT_EQ(0, KMBOX("create", self->name, "--capacity", "4")) SHOW();
	ASSERT_EQ(0, KMBOX("send", self->name, "hello")) SHOW();
	ASSERT_EQ(0, stat_id_of(&self->r, variant->backend, self->name, id, sizeof(id))) SHOW();

	/* stat --id: the same mailbox as stat NAME. */
	ASSERT_EQ(0, KMBOX("stat", "--id", id, "--json")) SHOW();
	ASSERT_TRUE(json_ok(self->r.out)) SHOW();
	snprintf(quoted, sizeof(quoted), "\"%s\"", self->name);
	EXPECT_STREQ(quoted, json_raw(self->r.out, "name"));
	EXPECT_STREQ(id, json_raw(self->r.out, "id"));
	EXPECT_EQ(1, json_num(self->r.out, "msgs"));
	ASSERT_EQ(0, KMBOX("stat", "--id", id)) SHOW();
	snprintf(hint, sizeof(hint), "id:         %s\n", id);
	EXPECT_NE(NULL, strstr(self->r.out, hint)) SHOW();

	/* A NAME or --id, one of them; --id only where it applies. */
	EXPECT_EQ(2, KMBOX("stat", self->name, "--id", id)) SHOW();
	EXPECT_NE(NULL, strstr(self->r.err, "NAME or --id")) SHOW();
	EXPECT_EQ(2, KMBOX("stat")) SHOW();
	EXPECT_EQ(2, KMBOX("destroy")) SHOW();
	EXPECT_EQ(2, KMBOX("stat", "--id", "seven")) SHOW();
	EXPECT_EQ(2, KMBOX("send", "--id", id, "x")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.err, "--id does not apply")) SHOW();

	/* No such id: 3. */
	EXPECT_EQ(3, KMBOX("stat", "--id", "0")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.err, "stat --id 0: No such mailbox")) SHOW();
	EXPECT_EQ(3, KMBOX("destroy", "--id", "0")) SHOW();

	/*
	 * Someone else may look, not destroy (kernel).  Posix: a segment of
	 * mode 0600 tells others only its name and owner, not its id.
	 */
	if (geteuid() == 0 && !strcmp(variant->backend, "kernel")) {
		ASSERT_EQ(0, KMBOX_AS(TC_NOBODY, "stat", "--id", id, "--json")) SHOW();
		EXPECT_EQ(4, KMBOX_AS(TC_NOBODY, "destroy", "--id", id)) SHOW();
		EXPECT_NE(NULL, strstr(self->r.err, "Permission denied")) SHOW();
	} else if (geteuid() == 0) {
		EXPECT_EQ(3, KMBOX_AS(TC_NOBODY, "destroy", "--id", id)) SHOW();
	}

	/* destroy --id: gone, its name with it. */
	ASSERT_EQ(0, KMBOX("destroy", "--id", id)) SHOW();
	EXPECT_EQ(3, KMBOX("stat", self->name)) SHOW();
	EXPECT_EQ(3, KMBOX("stat", "--id", id)) SHOW();

	if (strcmp(variant->backend, "kernel") != 0)
		return;
	/*
	 * Kernel: a mailbox unlinked while in use has no name, yet is there:
	 * ls shows it as (anon:ID); that is no name to give, and the error
	 * says so; --id reaches it.
	 */
	ASSERT_EQ(0, KMBOX("create", self->name2, "--capacity", "1")) SHOW();
	ASSERT_EQ(0, stat_id_of(&self->r, variant->backend, self->name2, id2, sizeof(id2)))
		SHOW();
	rcv = kmbox_start(variant->backend, (uid_t)-1, -1, -1, -1, ARGS("recv", self->name2));
	ASSERT_EQ(0, wait_field(&self->r, variant->backend, self->name2,
				"receivers_waiting", 1)) SHOW();
	ASSERT_EQ(0, KMBOX("rm", self->name2)) SHOW();
	snprintf(anon, sizeof(anon), "(anon:%s)", id2);
	ASSERT_EQ(0, KMBOX("ls")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.out, anon)) SHOW();
	ASSERT_EQ(0, KMBOX("stat", "--id", id2, "--json")) SHOW();
	EXPECT_STREQ("null", json_raw(self->r.out, "name"));
	EXPECT_EQ(1, json_num(self->r.out, "receivers_waiting"));
	snprintf(hint, sizeof(hint), "%d", rcv);
	EXPECT_STREQ(hint, json_raw(self->r.out, "receivers.0"));

	EXPECT_EQ(3, KMBOX("destroy", anon)) SHOW();
	snprintf(hint, sizeof(hint), "use kmbox destroy --id %s", id2);
	EXPECT_NE(NULL, strstr(self->r.err, hint)) SHOW();
	EXPECT_EQ(3, KMBOX("stat", anon)) SHOW();
	snprintf(hint, sizeof(hint), "use kmbox stat --id %s", id2);
	EXPECT_NE(NULL, strstr(self->r.err, hint)) SHOW();

	ASSERT_EQ(0, KMBOX("destroy", "--id", id2)) SHOW();
	ASSERT_EQ(rcv, waitpid(rcv, &status, 0));
	EXPECT_EQ(6, exit_status(status));
	EXPECT_EQ(3, KMBOX("stat", "--id", id2)) SHOW();
}

/* ---- watch ------------------------------------------------------------------ */

TEST_F(cli, watch)
{
	char *line, *save = NULL;
	int n = 0;

	ASSERT_EQ(0, KMBOX("create", self->name, "--capacity", "4")) SHOW();
	ASSERT_EQ(0, KMBOX("send", self->name, "x")) SHOW();

	/* --json: a line per sample; rates from the second on. */
	ASSERT_EQ(0, KMBOX("watch", self->name, "--json", "--iterations", "3",
			   "--interval", "50ms")) SHOW();
	for (line = strtok_r(self->r.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), n++) {
		ASSERT_TRUE(json_ok(line)) TH_LOG("line %d: %s", n, line);
		EXPECT_EQ(1, json_num(line, "msgs"));
		EXPECT_EQ(0, json_num(line, "senders_waiting"));
		EXPECT_STREQ("[]", json_raw(line, "receivers"));
		EXPECT_STREQ(n ? "0.000" : "null", json_raw(line, "send_rate"));
		EXPECT_NE(NULL, json_at(line, "time"));
	}
	EXPECT_EQ(3, n);

	/* Not a terminal: a plain line per sample. */
	ASSERT_EQ(0, KMBOX("watch", self->name, "--iterations", "2", "--interval", "0.01")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.out, "msgs 1")) SHOW();
	EXPECT_EQ(2, lines(self->r.out)) SHOW();

	/* The mailbox going away ends it: 3. */
	ASSERT_EQ(0, KMBOX("rm", self->name)) SHOW();
	EXPECT_EQ(3, KMBOX("watch", self->name, "--iterations", "2")) SHOW();
}

/* ---- permissions ------------------------------------------------------------- */

TEST_F(cli, permissions)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to become uid %d", TC_NOBODY);
	ASSERT_EQ(0, KMBOX("create", self->name, "--capacity", "2", "--mode", "0600")) SHOW();
	ASSERT_EQ(0, KMBOX("send", self->name, "secret")) SHOW();

	/* Someone else: no receive, no send, no unlink (4, "Permission denied"). */
	EXPECT_EQ(4, KMBOX_AS(TC_NOBODY, "recv", self->name, "--timeout", "0")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.err, "Permission denied")) SHOW();
	EXPECT_EQ(4, KMBOX_AS(TC_NOBODY, "send", self->name, "x")) SHOW();
	EXPECT_EQ(4, KMBOX_AS(TC_NOBODY, "rm", self->name)) SHOW();
	EXPECT_EQ(4, KMBOX_AS(TC_NOBODY, "destroy", self->name)) SHOW();

	/* But ls and stat see it: all of it through /proc, the owner only on posix. */
	ASSERT_EQ(0, KMBOX_AS(TC_NOBODY, "stat", self->name, "--json")) SHOW();
	ASSERT_TRUE(json_ok(self->r.out)) SHOW();
	EXPECT_EQ(0, json_num(self->r.out, "uid"));
	if (!strcmp(variant->backend, "kernel")) {
		EXPECT_STREQ("false", json_raw(self->r.out, "partial"));
		EXPECT_EQ(1, json_num(self->r.out, "msgs"));
	} else {
		EXPECT_STREQ("true", json_raw(self->r.out, "partial"));
		EXPECT_STREQ("null", json_raw(self->r.out, "msgs"));
	}
	ASSERT_EQ(0, KMBOX_AS(TC_NOBODY, "ls")) SHOW();
	EXPECT_NE(NULL, strstr(self->r.out, self->name)) SHOW();
	ASSERT_EQ(0, KMBOX("stat", self->name, "--json")) SHOW();
	EXPECT_EQ(1, json_num(self->r.out, "msgs"));
}

/* The JSON checker itself, so that a lenient one cannot pass bad output. */
TEST(json_checker)
{
	EXPECT_TRUE(json_ok("{\"a\":[1,2.5,-3e2,true,false,null,\"x\\n\\u00e9\"],\"b\":{}}"));
	EXPECT_FALSE(json_ok("{\"a\":1,}"));
	EXPECT_FALSE(json_ok("{\"a\":01}"));
	EXPECT_FALSE(json_ok("{\"a\":\"\x01\"}"));
	EXPECT_FALSE(json_ok("{\"a\":\"\\x\"}"));
	EXPECT_FALSE(json_ok("[1 2]"));
	EXPECT_FALSE(json_ok("{} {}"));
	EXPECT_EQ(2, json_num("{\"a\":[1,2]}", "a.1"));
	EXPECT_STREQ("\"y\"", json_raw("{\"a\":{\"x\":1,\"b\":\"y\"}}", "a.b"));
	EXPECT_EQ(NULL, json_at("{\"a\":1}", "b"));
}

TEST_HARNESS_MAIN
