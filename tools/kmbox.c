// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmbox: mailboxes from the shell, as ipcs(1) and ipcrm(1) are for System V
 * message queues: list, inspect, watch, create, send, receive, close,
 * destroy, unlink.
 *
 * Built on libipc only, so it works on either backend: the kernel's (when
 * /dev/kmbox can be opened) or POSIX shared memory; LIBIPC_BACKEND or
 * --backend picks one.  ls and stat need no access to a mailbox: the
 * kernel backend asks the module (by id: KMBOX_IOC_LIST, KMBOX_IOC_STAT_ID),
 * the posix one reads the segments in /dev/shm (ipc_list, ipc_stat).
 * stat and destroy also take --id N, for a mailbox with no name.
 *
 * Exit status (also in kmbox --help and kmbox(1)):
 *   0 success, 1 the operation failed, 2 usage, 3 no such mailbox,
 *   4 permission denied, 5 timed out (or would have had to wait),
 *   6 the mailbox is closed (and drained, for a receive) or destroyed.
 * Errors are one line on stderr: "kmbox: stat foo: No such mailbox".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ipc.h>

/* tools/Makefile passes dkms.conf's PACKAGE_VERSION, the package's one version. */
#ifndef KMBOX_VERSION
#define KMBOX_VERSION	"unknown"
#endif
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Exit status. */
enum {
	KX_OK = 0,
	KX_FAIL = 1,
	KX_USAGE = 2,
	KX_NOENT = 3,
	KX_PERM = 4,
	KX_TIMEOUT = 5,
	KX_CLOSED = 6,
};

/* Options, as bits: which were given, which a command takes. */
enum {
	O_JSON = 1 << 0,
	O_TIMEOUT = 1 << 1,
	O_SYNC = 1 << 2,
	O_COUNT = 1 << 3,
	O_PEEK = 1 << 4,
	O_RAW = 1 << 5,
	O_INTERVAL = 1 << 6,
	O_ITERATIONS = 1 << 7,
	O_CAPACITY = 1 << 8,	/* --rendezvous, --capacity, --unbounded */
	O_MAXSIZE = 1 << 9,
	O_MODE = 1 << 10,
	O_EXISTOK = 1 << 11,
	O_ID = 1 << 12,
	O_KIND = 1 << 13,	/* --priorities, --select */
	O_PRIO = 1 << 14,
	O_TAG = 1 << 15,	/* --tag, --tag-le */
	O_FROM = 1 << 16,
};

struct opts {
	unsigned int given;
	bool json, sync, peek, raw, exist_ok, tag_le;
	uint32_t attr_flags;		/* IPC_PRIO, IPC_SELECT */
	uint32_t prio;
	uint64_t tag;
	int32_t from;
	uint64_t capacity;
	uint32_t max_size, mode;
	int64_t timeout_ns;
	uint64_t count, iterations, id;
	int64_t interval_ns;
};

static const char *cmd_name = "kmbox";

static const char usage_text[] =
"usage: kmbox [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Mailboxes of the libipc backend in use: kernel (kmbox.ko) if /dev/kmbox\n"
"can be opened, else posix (shared memory); LIBIPC_BACKEND=kernel|posix or\n"
"--backend picks one.\n"
"\n"
"Commands:\n"
"  ls                    list every mailbox\n"
"  stat NAME | --id N    one mailbox: attributes, queue, blocked pids, totals\n"
"  watch NAME            its depth, blocked callers and rates, live\n"
"  create NAME           make a mailbox (rendezvous unless told otherwise)\n"
"  send NAME [MSG|-]     send MSG as one message (- or nothing: all of stdin)\n"
"  recv NAME             receive one message and print it\n"
"  close NAME            close it, Go-style: no more sends, receivers drain\n"
"  destroy NAME | --id N destroy it: queue dropped, every waiter gets EIDRM\n"
"  rm NAME...            unlink: remove the name (it lives while handles do)\n"
"\n"
"Options:\n"
"  --json                machine-readable output (ls, stat, recv, watch)\n"
"  --backend NAME        kernel or posix, as LIBIPC_BACKEND\n"
"  stat, destroy: --id N the mailbox with id N (ls shows it), named or not\n"
"  create:  --rendezvous | --capacity N | --unbounded   (capacity 0, N, none)\n"
"           --max-size BYTES  largest message (K, M suffixes; default 8K)\n"
"           --mode MODE       permission bits, octal (default 0600, umask applies)\n"
"           --exist-ok        an existing mailbox of that name is fine\n"
"           --priorities      messages carry priorities (send --prio)\n"
"           --select          messages carry tags; recv can select by tag\n"
"                             or sender (send --tag, recv --tag/--from)\n"
"  send:    --timeout T  wait at most T (default: as long as it takes)\n"
"           --sync       return only once a receiver has the message\n"
"           --prio N     priority 0..32767 (a --priorities mailbox)\n"
"           --tag T      tag, a 64-bit number (a --select mailbox)\n"
"  recv:    --timeout T  wait at most T for each message\n"
"           --count N    receive N messages (default 1; 0: until closed)\n"
"           --peek       print the next message, leave it queued\n"
"           --raw        the bytes only, no newline after each message\n"
"           --tag T      only messages tagged T; --tag-le N: lowest tag <= N\n"
"           --from PID   only messages from process PID\n"
"  watch:   --interval T    between samples (default 1s)\n"
"           --iterations N  stop after N samples (default: never)\n"
"  -h, --help, --version\n"
"\n"
"T is seconds (1.5) or has a unit: ns, us, ms, s, m.  0 means never wait.\n"
"\n"
"Exit status: 0 ok, 1 failed, 2 usage, 3 no such mailbox, 4 permission\n"
"denied, 5 timed out, 6 closed or destroyed.\n";

/* ---- errors -------------------------------------------------------------- */

static int exit_code(int err)
{
	switch (err) {
	case 0:
		return KX_OK;
	case ENOENT:
		return KX_NOENT;
	case EACCES:
	case EPERM:
		return KX_PERM;
	case ETIMEDOUT:
	case EAGAIN:
		return KX_TIMEOUT;
	case EPIPE:
	case EIDRM:
		return KX_CLOSED;
	}
	return KX_FAIL;
}

static const char *err_text(int err)
{
	switch (err) {
	case ENOENT:
		return "No such mailbox";
	case ETIMEDOUT:
		return "Timed out";
	case EAGAIN:
		return "Would have to wait";
	case EPIPE:
		return "Mailbox closed";
	case EIDRM:
		return "Mailbox destroyed";
	case EEXIST:
		return "Mailbox exists";
	case EMSGSIZE:
		return "Message too long for this mailbox";
	case EBADMSG:
		return "Not a mailbox (damaged or foreign segment)";
	}
	return strerror(err);
}

/* "kmbox: stat foo: No such mailbox"; returns the exit status for err. */
static int fail(const char *what, const char *name, int err)
{
	fprintf(stderr, "%s: %s%s%s: %s\n", cmd_name, what, name ? " " : "",
		name ? name : "", err_text(err));
	return exit_code(err);
}

/* "kmbox: stat --id 7: No such mailbox" */
static int fail_id(const char *what, uint64_t id, int err)
{
	fprintf(stderr, "%s: %s --id %" PRIu64 ": %s\n", cmd_name, what, id,
		err_text(err));
	return exit_code(err);
}

/*
 * A NAME that is what ls shows for a mailbox without one, "(anon:7)", is
 * no name: say how to reach it.
 */
static int fail_name(const char *what, const char *name, int err)
{
	static const char prefix[] = "(anon:";
	const char *digits;
	uint64_t id;
	char *end;

	if (err == ENOENT && !strncmp(name, prefix, sizeof(prefix) - 1) &&
	    name[sizeof(prefix) - 1] >= '0' && name[sizeof(prefix) - 1] <= '9') {
		digits = name + sizeof(prefix) - 1;
		errno = 0;
		id = strtoull(digits, &end, 10);
		if (!errno && !strcmp(end, ")")) {
			fprintf(stderr, "%s: %s %s: No such mailbox; it has no name: "
				"use kmbox %s --id %" PRIu64 "\n", cmd_name, what, name,
				what, id);
			return exit_code(err);
		}
	}
	return fail(what, name, err);
}

/* stat and destroy: a NAME or --id N, one of them. */
static int name_or_id(const char *cmd, const struct opts *o, int argc)
{
	if ((o->given & O_ID) ? argc != 0 : argc != 1) {
		fprintf(stderr, "%s: %s: give a NAME or --id N, one of them "
			"(kmbox --help lists the commands)\n", cmd_name, cmd);
		return KX_USAGE;
	}
	return 0;
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (kmbox --help lists the commands)\n");
	return KX_USAGE;
}

/* ---- parsing --------------------------------------------------------------- */

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end;
}

/* BYTES with an optional K or M suffix (powers of 1024). */
static bool parse_size(const char *s, uint32_t *v)
{
	unsigned long long x;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno)
		return false;
	if ((*end == 'K' || *end == 'k') && x <= UINT32_MAX >> 10) {
		x <<= 10;
		end++;
	} else if ((*end == 'M' || *end == 'm') && x <= UINT32_MAX >> 20) {
		x <<= 20;
		end++;
	}
	if (*end || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* A duration: seconds, or a number with a unit (ns, us, ms, s, m). */
static bool parse_duration(const char *s, int64_t *ns)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "", 1e9 }, { "s", 1e9 }, { "ms", 1e6 }, { "us", 1e3 },
		{ "ns", 1 }, { "m", 60e9 },
	};
	char *end;
	double x;
	size_t i;

	if ((*s < '0' || *s > '9') && *s != '.')
		return false;
	errno = 0;
	x = strtod(s, &end);
	if (errno || x < 0)
		return false;
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (!strcmp(end, units[i].unit)) {
			x *= units[i].ns;
			if (x > 9e18)
				return false;
			*ns = (int64_t)x;
			return true;
		}
	}
	return false;
}

/* ---- output helpers ------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	cp = s[0] & (0x7f >> len);
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * A JSON string.  Valid UTF-8 is kept; each byte of an invalid sequence
 * becomes \u00XX (so binary data is shown, but not losslessly: use recv
 * without --json for that).
 */
static void json_str(const void *data, size_t n)
{
	const unsigned char *s = data;
	size_t i = 0, len;

	putchar('"');
	while (i < n) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			printf("\\%c", c);
		} else if (c == '\n') {
			fputs("\\n", stdout);
		} else if (c == '\t') {
			fputs("\\t", stdout);
		} else if (c == '\r') {
			fputs("\\r", stdout);
		} else if (c < 0x20 || c == 0x7f) {
			printf("\\u%04x", c);
		} else if (c >= 0x80) {
			len = utf8_len(s + i, n - i);
			if (!len) {
				printf("\\u%04x", c);
			} else {
				fwrite(s + i, 1, len, stdout);
				i += len;
				continue;
			}
		} else {
			putchar(c);
		}
		i++;
	}
	putchar('"');
}

static void json_pids(const int32_t *pids, uint32_t n)
{
	uint32_t i;

	putchar('[');
	for (i = 0; i < n; i++)
		printf("%s%" PRId32, i ? "," : "", pids[i]);
	putchar(']');
}

static const char *state_name(uint32_t state)
{
	switch (state) {
	case IPC_STATE_OPEN:
		return "open";
	case IPC_STATE_CLOSED:
		return "closed";
	case IPC_STATE_DESTROYED:
		return "destroyed";
	}
	return "?";
}

static const char *kind_name(uint64_t capacity)
{
	if (capacity == 0)
		return "rendezvous";
	if (capacity == IPC_UNBOUNDED)
		return "unbounded";
	return "bounded";
}

/*
 * One mailbox as a JSON object's members (no braces).  Unknown fields
 * (IPC_STAT_PARTIAL) are null.
 */
static void json_mailbox(const struct ipc_stat *st)
{
	const struct ipc_info *i = &st->info;
	bool partial = st->flags & IPC_STAT_PARTIAL;

	fputs("\"name\":", stdout);
	if (i->name[0])
		json_str(i->name, strlen(i->name));
	else
		fputs("null", stdout);
	printf(",\"partial\":%s,\"uid\":%" PRIu32 ",\"gid\":%" PRIu32,
	       partial ? "true" : "false", i->uid, i->gid);
	if (partial) {
		fputs(",\"id\":null,\"kind\":null,\"capacity\":null,"
		      "\"max_msg_size\":null,\"mode\":null,\"state\":null,"
		      "\"msgs\":null,\"bytes\":null,\"senders_waiting\":null,"
		      "\"receivers_waiting\":null,\"senders\":null,"
		      "\"receivers\":null,\"sent\":null,\"received\":null,"
		      "\"dropped\":null,\"priorities\":null,\"select\":null,"
		      "\"port_pid\":null,\"calls_pending\":null", stdout);
		return;
	}
	printf(",\"id\":%" PRIu64 ",\"kind\":\"%s\",\"capacity\":", i->id,
	       kind_name(i->capacity));
	if (i->capacity == IPC_UNBOUNDED)
		fputs("null", stdout);
	else
		printf("%" PRIu64, i->capacity);
	printf(",\"max_msg_size\":%" PRIu32 ",\"mode\":\"%04" PRIo32 "\","
	       "\"state\":\"%s\",\"msgs\":%" PRIu64 ",\"bytes\":%" PRIu64
	       ",\"senders_waiting\":%" PRIu32 ",\"receivers_waiting\":%" PRIu32,
	       i->max_msg_size, i->mode, state_name(i->state), i->msgs, i->bytes,
	       i->senders_waiting, i->receivers_waiting);
	fputs(",\"senders\":", stdout);
	json_pids(st->senders, st->nsenders);
	fputs(",\"receivers\":", stdout);
	json_pids(st->receivers, st->nreceivers);
	printf(",\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"dropped\":%" PRIu64,
	       i->sent, i->received, i->dropped);
	printf(",\"priorities\":%s,\"select\":%s,\"port_pid\":",
	       i->flags & IPC_PRIO ? "true" : "false",
	       i->flags & IPC_SELECT ? "true" : "false");
	if (i->flags & IPC_PORT)
		printf("%" PRId32, i->port_pid);
	else
		fputs("null", stdout);
	printf(",\"calls_pending\":%" PRIu64, i->calls_pending);
}

/* What a mailbox carries beyond plain messages: "prio,select,port:PID" or "-". */
static void show_flags(char *out, size_t size, const struct ipc_info *i)
{
	size_t n = 0;

	out[0] = '\0';
	if (i->flags & IPC_PRIO)
		n += snprintf(out + n, size - n, "prio");
	if ((i->flags & IPC_SELECT) && n < size)
		n += snprintf(out + n, size - n, "%sselect", n ? "," : "");
	if ((i->flags & IPC_PORT) && n < size)
		n += snprintf(out + n, size - n, "%sport:%" PRId32, n ? "," : "",
			      i->port_pid);
	if (!n)
		snprintf(out, size, "-");
}

/* A name for a terminal: control bytes, space and backslash as \ooo. */
static void show_name(char *out, size_t size, const char *name)
{
	size_t n = 0;

	for (; *name && n + 5 < size; name++) {
		unsigned char c = (unsigned char)*name;

		if (c <= ' ' || c == 0x7f || c == '\\')
			n += snprintf(out + n, size - n, "\\%03o", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

static void user_name(char *out, size_t size, uint32_t uid)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(out, size, "%s", pw->pw_name);
	else
		snprintf(out, size, "%" PRIu32, uid);
}

static void group_name(char *out, size_t size, uint32_t gid)
{
	struct group *gr = getgrgid(gid);

	if (gr)
		snprintf(out, size, "%s", gr->gr_name);
	else
		snprintf(out, size, "%" PRIu32, gid);
}

/* Pids as "12,34", at most three and "+N" for the rest, or "-". */
static void show_pids(char *out, size_t size, const int32_t *pids, uint32_t n,
		      uint32_t total)
{
	size_t len = 0;
	uint32_t i;

	if (!total) {
		snprintf(out, size, "-");
		return;
	}
	out[0] = '\0';
	for (i = 0; i < n && i < 3 && len < size; i++)
		len += snprintf(out + len, size - len, "%s%" PRId32, i ? "," : "",
				pids[i]);
	if (total > i && len < size)
		snprintf(out + len, size - len, "%s+%" PRIu32, i ? "," : "", total - i);
}

static void show_capacity(char *out, size_t size, uint64_t capacity)
{
	if (capacity == 0 || capacity == IPC_UNBOUNDED)
		snprintf(out, size, "%s", kind_name(capacity));
	else
		snprintf(out, size, "%" PRIu64, capacity);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- ls ------------------------------------------------------------------ */

struct stat_list {
	struct ipc_stat *v;
	size_t n, cap;
};

static int collect(const struct ipc_stat *st, void *arg)
{
	struct stat_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct ipc_stat *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *st;
	return 0;
}

/* Named ones by name, then anonymous ones by id. */
static int by_name(const void *a, const void *b)
{
	const struct ipc_info *x = &((const struct ipc_stat *)a)->info;
	const struct ipc_info *y = &((const struct ipc_stat *)b)->info;

	if (!x->name[0] || !y->name[0]) {
		if (x->name[0] || y->name[0])
			return x->name[0] ? -1 : 1;
		return x->id < y->id ? -1 : x->id > y->id;
	}
	return strcmp(x->name, y->name);
}

enum {
	C_NAME, C_CAP, C_MAXMSG, C_OWNER, C_MODE, C_FLAGS, C_STATE, C_MSGS,
	C_BYTES, C_SENT, C_RECVD, C_CALLS, C_SENDERS, C_RECEIVERS, NCOLS
};

static const char *const col_head[NCOLS] = {
	"NAME", "CAPACITY", "MAXMSG", "OWNER", "MODE", "FLAGS", "STATE", "MSGS",
	"BYTES", "SENT", "RECVD", "CALLS", "SENDERS", "RECEIVERS",
};
/* Left-aligned columns; the others are numbers, right-aligned. */
static const bool col_left[NCOLS] = {
	[C_NAME] = true, [C_OWNER] = true, [C_FLAGS] = true, [C_STATE] = true,
	[C_SENDERS] = true, [C_RECEIVERS] = true,
};

#define CELL	(4 * IPC_NAME_MAX + 8)

static void ls_row(char cells[NCOLS][CELL], const struct ipc_stat *st)
{
	const struct ipc_info *i = &st->info;
	int c;

	if (i->name[0])
		show_name(cells[C_NAME], CELL, i->name);
	else
		snprintf(cells[C_NAME], CELL, "(anon:%" PRIu64 ")", i->id);
	user_name(cells[C_OWNER], CELL, i->uid);
	if (st->flags & IPC_STAT_PARTIAL) {
		for (c = 0; c < NCOLS; c++)
			if (c != C_NAME && c != C_OWNER)
				snprintf(cells[c], CELL, "?");
		return;
	}
	show_capacity(cells[C_CAP], CELL, i->capacity);
	snprintf(cells[C_MAXMSG], CELL, "%" PRIu32, i->max_msg_size);
	snprintf(cells[C_MODE], CELL, "%04" PRIo32, i->mode);
	show_flags(cells[C_FLAGS], CELL, i);
	snprintf(cells[C_STATE], CELL, "%s", state_name(i->state));
	snprintf(cells[C_MSGS], CELL, "%" PRIu64, i->msgs);
	snprintf(cells[C_BYTES], CELL, "%" PRIu64, i->bytes);
	snprintf(cells[C_SENT], CELL, "%" PRIu64, i->sent);
	snprintf(cells[C_RECVD], CELL, "%" PRIu64, i->received);
	snprintf(cells[C_CALLS], CELL, "%" PRIu64, i->calls_pending);
	show_pids(cells[C_SENDERS], CELL, st->senders, st->nsenders,
		  i->senders_waiting);
	show_pids(cells[C_RECEIVERS], CELL, st->receivers, st->nreceivers,
		  i->receivers_waiting);
}

static void ls_print(char cells[NCOLS][CELL], const int *width)
{
	int c;

	for (c = 0; c < NCOLS; c++) {
		const char *sep = c ? "  " : "";

		if (c == NCOLS - 1)
			printf("%s%s\n", sep, cells[c]);
		else if (col_left[c])
			printf("%s%-*s", sep, width[c], cells[c]);
		else
			printf("%s%*s", sep, width[c], cells[c]);
	}
}

static int cmd_ls(struct opts *o, int argc, char **argv)
{
	struct stat_list l = { 0 };
	char (*cells)[NCOLS][CELL];
	int width[NCOLS], ret, c;
	size_t k;

	(void)argc;
	(void)argv;
	ret = ipc_list(collect, &l);
	if (ret) {
		/* Not a missing mailbox: the list itself (/proc/kmbox, /dev/shm). */
		fprintf(stderr, "%s: ls: %s\n", cmd_name, strerror(-ret));
		free(l.v);
		return KX_FAIL;
	}
	qsort(l.v, l.n, sizeof(*l.v), by_name);
	if (o->json) {
		printf("{\"backend\":\"%s\",\"mailboxes\":[", ipc_backend());
		for (k = 0; k < l.n; k++) {
			printf("%s{", k ? "," : "");
			json_mailbox(&l.v[k]);
			putchar('}');
		}
		printf("]}\n");
		free(l.v);
		return KX_OK;
	}
	cells = calloc(l.n + 1, sizeof(*cells));
	if (!cells) {
		free(l.v);
		return fail("ls", NULL, ENOMEM);
	}
	for (c = 0; c < NCOLS; c++) {
		snprintf(cells[0][c], CELL, "%s", col_head[c]);
		width[c] = (int)strlen(col_head[c]);
	}
	for (k = 0; k < l.n; k++) {
		ls_row(cells[k + 1], &l.v[k]);
		for (c = 0; c < NCOLS; c++)
			if ((int)strlen(cells[k + 1][c]) > width[c])
				width[c] = (int)strlen(cells[k + 1][c]);
	}
	for (k = 0; k <= l.n; k++)
		ls_print(cells[k], width);
	free(cells);
	free(l.v);
	return KX_OK;
}

/* ---- stat ------------------------------------------------------------------ */

static void stat_print(const struct ipc_stat *st)
{
	const struct ipc_info *i = &st->info;
	char name[CELL], user[64], group[64], pids[64];

	show_name(name, sizeof(name), i->name);
	user_name(user, sizeof(user), i->uid);
	group_name(group, sizeof(group), i->gid);
	printf("name:       %s\n", name);
	printf("backend:    %s\n", ipc_backend());
	printf("owner:      %s (uid %" PRIu32 "), group %s (gid %" PRIu32 ")\n",
	       user, i->uid, group, i->gid);
	if (st->flags & IPC_STAT_PARTIAL) {
		printf("(no access to its segment: only its name and owner are known)\n");
		return;
	}
	printf("id:         %" PRIu64 "\n", i->id);
	if (i->capacity == 0 || i->capacity == IPC_UNBOUNDED)
		printf("capacity:   %s\n", kind_name(i->capacity));
	else
		printf("capacity:   %" PRIu64 " message%s (bounded)\n", i->capacity,
		       i->capacity == 1 ? "" : "s");
	printf("max size:   %" PRIu32 " bytes\n", i->max_msg_size);
	printf("mode:       %04" PRIo32 "\n", i->mode);
	show_flags(pids, sizeof(pids), i);
	printf("flags:      %s\n", pids);
	printf("state:      %s\n", state_name(i->state));
	printf("queued:     %" PRIu64 " message%s, %" PRIu64 " bytes\n", i->msgs,
	       i->msgs == 1 ? "" : "s", i->bytes);
	show_pids(pids, sizeof(pids), st->senders, st->nsenders, i->senders_waiting);
	printf("senders:    %" PRIu32 " blocked (pids: %s)\n", i->senders_waiting, pids);
	show_pids(pids, sizeof(pids), st->receivers, st->nreceivers,
		  i->receivers_waiting);
	printf("receivers:  %" PRIu32 " blocked (pids: %s)\n", i->receivers_waiting,
	       pids);
	printf("calls:      %" PRIu64 " received, awaiting a reply\n", i->calls_pending);
	printf("totals:     %" PRIu64 " sent, %" PRIu64 " received, %" PRIu64
	       " dropped\n", i->sent, i->received, i->dropped);
}

static int cmd_stat(struct opts *o, int argc, char **argv)
{
	struct ipc_stat st;
	int ret;

	ret = name_or_id("stat", o, argc);
	if (ret)
		return ret;
	if (o->given & O_ID) {
		ret = ipc_stat_id(o->id, &st);
		if (ret)
			return fail_id("stat", o->id, -ret);
	} else {
		ret = ipc_stat(argv[0], &st);
		if (ret)
			return fail_name("stat", argv[0], -ret);
	}
	if (o->json) {
		printf("{\"backend\":\"%s\",", ipc_backend());
		json_mailbox(&st);
		printf("}\n");
	} else {
		stat_print(&st);
	}
	return KX_OK;
}

/* ---- watch ------------------------------------------------------------- */

static void sleep_until(int64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void watch_text(const struct ipc_stat *st, double t, double srate,
		       double rrate, bool have_rate, bool tty, bool first)
{
	const struct ipc_info *i = &st->info;
	char cap[32], spids[64], rpids[64], rates[96];

	show_capacity(cap, sizeof(cap), i->capacity);
	show_pids(spids, sizeof(spids), st->senders, st->nsenders, i->senders_waiting);
	show_pids(rpids, sizeof(rpids), st->receivers, st->nreceivers,
		  i->receivers_waiting);
	if (have_rate)
		snprintf(rates, sizeof(rates), "%.1f/s sent, %.1f/s received",
			 srate, rrate);
	else
		snprintf(rates, sizeof(rates), "-");
	if (!tty) {
		printf("%8.1fs  %-9s msgs %" PRIu64 " bytes %" PRIu64
		       "  senders %" PRIu32 " [%s]  receivers %" PRIu32
		       " [%s]  calls %" PRIu64 "  rate %s\n", t,
		       state_name(i->state), i->msgs, i->bytes,
		       i->senders_waiting, spids, i->receivers_waiting, rpids,
		       i->calls_pending, rates);
		return;
	}
	/* Redraw the same four lines. */
	if (!first)
		fputs("\033[4A", stdout);
	printf("\033[K  state      %s, %.1fs\n", state_name(i->state), t);
	if (i->capacity == 0 || i->capacity == IPC_UNBOUNDED)
		printf("\033[K  queued     %" PRIu64 " message%s (%s), %" PRIu64 " bytes\n",
		       i->msgs, i->msgs == 1 ? "" : "s", cap, i->bytes);
	else
		printf("\033[K  queued     %" PRIu64 " of %s messages, %" PRIu64 " bytes\n",
		       i->msgs, cap, i->bytes);
	printf("\033[K  blocked    %" PRIu32 " sender%s [%s], %" PRIu32
	       " receiver%s [%s], %" PRIu64 " call%s awaiting a reply\n",
	       i->senders_waiting, i->senders_waiting == 1 ? "" : "s", spids,
	       i->receivers_waiting, i->receivers_waiting == 1 ? "" : "s", rpids,
	       i->calls_pending, i->calls_pending == 1 ? "" : "s");
	printf("\033[K  rate       %s (totals %" PRIu64 " sent, %" PRIu64
	       " received, %" PRIu64 " dropped)\n", rates, i->sent, i->received,
	       i->dropped);
}

static void watch_json(const struct ipc_stat *st, double t, double srate,
		       double rrate, bool have_rate)
{
	printf("{\"time\":%.3f,", t);
	json_mailbox(st);
	if (have_rate)
		printf(",\"send_rate\":%.3f,\"recv_rate\":%.3f}\n", srate, rrate);
	else
		printf(",\"send_rate\":null,\"recv_rate\":null}\n");
}

static int cmd_watch(struct opts *o, int argc, char **argv)
{
	bool tty = !o->json && isatty(STDOUT_FILENO);
	struct ipc_stat st, prev;
	int64_t start = now_ns(), at = start, prev_at = 0;
	double t, dt, srate = 0, rrate = 0;
	uint64_t n;
	int ret;

	(void)argc;
	if (tty) {
		char name[CELL];

		show_name(name, sizeof(name), argv[0]);
		printf("kmbox watch %s (%s backend), every %.3gs; Ctrl-C stops\n",
		       name, ipc_backend(), (double)o->interval_ns / 1e9);
	}
	for (n = 0; !o->iterations || n < o->iterations; n++) {
		if (n) {
			at += o->interval_ns;
			sleep_until(at);
		}
		ret = ipc_stat(argv[0], &st);
		if (ret)
			return fail("watch", argv[0], -ret);
		at = now_ns();
		t = (double)(at - start) / 1e9;
		if (n && !(st.flags & IPC_STAT_PARTIAL)) {
			dt = (double)(at - prev_at) / 1e9;
			srate = dt > 0 ? (double)(st.info.sent - prev.info.sent) / dt : 0;
			rrate = dt > 0 ? (double)(st.info.received - prev.info.received) / dt : 0;
		}
		if (o->json)
			watch_json(&st, t, srate, rrate, n > 0);
		else
			watch_text(&st, t, srate, rrate, n > 0, tty, n == 0);
		fflush(stdout);
		prev = st;
		prev_at = at;
	}
	return KX_OK;
}

/* ---- create, rm, close, destroy ------------------------------------------ */

static int cmd_create(struct opts *o, int argc, char **argv)
{
	struct ipc_attr attr = {
		.capacity = o->capacity,
		.max_msg_size = o->max_size,
		.mode = o->mode,
		.flags = (o->exist_ok ? 0 : IPC_EXCL) | o->attr_flags,
	};
	struct ipc_mbox *mb;
	int ret;

	(void)argc;
	ret = ipc_create(argv[0], &attr, IPC_RECV | IPC_SEND, &mb);
	if (ret)
		return fail("create", argv[0], -ret);
	ipc_release(mb);
	return KX_OK;
}

static int cmd_rm(struct opts *o, int argc, char **argv)
{
	int i, ret, status = KX_OK, st;

	(void)o;
	for (i = 0; i < argc; i++) {
		ret = ipc_unlink(argv[i]);
		if (ret) {
			st = fail("rm", argv[i], -ret);
			if (status == KX_OK)
				status = st;
		}
	}
	return status;
}

/* A handle for close or destroy: any access the mode grants. */
static int open_any(const char *name, unsigned int first, struct ipc_mbox **mb)
{
	int ret = ipc_open(name, first, mb);

	if (ret == -EACCES)
		ret = ipc_open(name, first ^ (IPC_RECV | IPC_SEND), mb);
	return ret;
}

static int cmd_close(struct opts *o, int argc, char **argv)
{
	struct ipc_mbox *mb;
	int ret;

	(void)o;
	(void)argc;
	ret = ipc_open(argv[0], IPC_SEND, &mb);
	if (ret)
		return fail("close", argv[0], -ret);
	ret = ipc_close(mb);
	ipc_release(mb);
	return ret ? fail("close", argv[0], -ret) : KX_OK;
}

static int cmd_destroy(struct opts *o, int argc, char **argv)
{
	struct ipc_mbox *mb;
	int ret;

	ret = name_or_id("destroy", o, argc);
	if (ret)
		return ret;
	if (o->given & O_ID) {
		ret = ipc_destroy_id(o->id);
		return ret ? fail_id("destroy", o->id, -ret) : KX_OK;
	}
	ret = open_any(argv[0], IPC_RECV, &mb);
	if (ret)
		return fail_name("destroy", argv[0], -ret);
	ret = ipc_destroy(mb);
	ipc_release(mb);
	return ret ? fail("destroy", argv[0], -ret) : KX_OK;
}

/* ---- send, recv ---------------------------------------------------------- */

/* The wait of one call: blocking, or at most timeout_ns (0: never). */
static struct ipc_wait make_wait(const struct opts *o)
{
	struct ipc_wait w = { .mode = IPC_BLOCK };

	if (o->given & O_TIMEOUT) {
		w.mode = o->timeout_ns ? IPC_TIMEOUT : IPC_NONBLOCK;
		w.ns = o->timeout_ns;
	}
	return w;
}

/* All of stdin, in *buf (malloc'ed). */
static int read_stdin(char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap), *nb;
	ssize_t r;

	if (!b)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		r = read(STDIN_FILENO, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(b);
			return (int)r;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	return 0;
}

static int cmd_send(struct opts *o, int argc, char **argv)
{
	struct ipc_wait w = make_wait(o);
	struct ipc_mbox *mb;
	char *msg, *input = NULL;
	size_t len = 0;
	int ret;

	if (argc > 1 && strcmp(argv[1], "-") != 0) {
		msg = argv[1];
		len = strlen(msg);
	} else {
		ret = read_stdin(&input, &len);
		if (ret)
			return fail("send: stdin", NULL, -ret);
		msg = input;
	}
	ret = ipc_open(argv[0], IPC_SEND, &mb);
	if (!ret) {
		const struct ipc_sendopt opt = { .prio = o->prio, .tag = o->tag };

		ret = ipc_send_opt(mb, msg, len, &w, o->sync ? IPC_SYNC : 0,
				   (o->given & (O_PRIO | O_TAG)) ? &opt : NULL);
		ipc_release(mb);
	}
	free(input);
	return ret ? fail("send", argv[0], -ret) : KX_OK;
}

static void recv_print(const struct opts *o, const char *buf, size_t n,
		       const struct ipc_msginfo *mi, const struct ipc_recvopt *ro)
{
	if (o->json) {
		printf("{\"len\":%" PRIu64 ",\"pid\":%" PRId32 ",\"uid\":%" PRIu32
		       ",\"gid\":%" PRIu32 ",\"verified\":%s,\"prio\":%" PRIu32
		       ",\"tag\":%" PRIu64 ",\"data\":", mi->len,
		       mi->pid, mi->uid, mi->gid,
		       mi->flags & IPC_MSG_CRED_VERIFIED ? "true" : "false",
		       ro->prio, ro->msg_tag);
		json_str(buf, n);
		printf("}\n");
	} else {
		fwrite(buf, 1, n, stdout);
		if (!o->raw)
			putchar('\n');
	}
	fflush(stdout);
}

static int cmd_recv(struct opts *o, int argc, char **argv)
{
	struct ipc_wait w = make_wait(o);
	struct ipc_recvopt ro;
	struct ipc_msginfo mi;
	struct ipc_info info;
	struct ipc_mbox *mb;
	uint64_t n;
	ssize_t len = 0;
	char *buf;
	int ret;

	(void)argc;
	ret = ipc_open(argv[0], IPC_RECV, &mb);
	if (ret)
		return fail("recv", argv[0], -ret);
	ret = ipc_info(mb, &info);
	buf = ret ? NULL : malloc(info.max_msg_size ? info.max_msg_size : 1);
	if (!ret && !buf)
		ret = -ENOMEM;
	for (n = 0; !ret && (!o->count || n < o->count); n++) {
		memset(&ro, 0, sizeof(ro));
		if (o->given & O_TAG) {
			ro.flags |= o->tag_le ? IPC_SEL_TAG_LE : IPC_SEL_TAG;
			ro.tag = o->tag;
		}
		if (o->given & O_FROM) {
			ro.flags |= IPC_SEL_FROM;
			ro.from = o->from;
		}
		len = ipc_recv_opt(mb, buf, info.max_msg_size, &w,
				   o->peek ? IPC_PEEK : 0, &mi, &ro);
		if (len < 0)
			break;
		recv_print(o, buf, (size_t)len, &mi, &ro);
	}
	free(buf);
	ipc_release(mb);
	if (!ret && len < 0)
		ret = (int)len;
	/* Until closed: closed and drained is the normal end. */
	if (!o->count && ret == -EPIPE)
		ret = 0;
	return ret ? fail("recv", argv[0], -ret) : KX_OK;
}

/* ---- main ------------------------------------------------------------------ */

struct command {
	const char *name;
	int (*run)(struct opts *o, int argc, char **argv);
	int min_args, max_args;		/* after the command; -1: any number */
	unsigned int opts;		/* the options it takes */
};

static const struct command commands[] = {
	{ "ls", cmd_ls, 0, 0, O_JSON },
	{ "stat", cmd_stat, 0, 1, O_JSON | O_ID },
	{ "watch", cmd_watch, 1, 1, O_JSON | O_INTERVAL | O_ITERATIONS },
	{ "create", cmd_create, 1, 1,
	  O_CAPACITY | O_MAXSIZE | O_MODE | O_EXISTOK | O_KIND },
	{ "send", cmd_send, 1, 2, O_TIMEOUT | O_SYNC | O_PRIO | O_TAG },
	{ "recv", cmd_recv, 1, 1,
	  O_JSON | O_TIMEOUT | O_COUNT | O_PEEK | O_RAW | O_TAG | O_FROM },
	{ "close", cmd_close, 1, 1, 0 },
	{ "destroy", cmd_destroy, 0, 1, O_ID },
	{ "rm", cmd_rm, 1, -1, 0 },
};

enum {
	L_JSON = 256, L_BACKEND, L_TIMEOUT, L_SYNC, L_COUNT, L_PEEK, L_RAW,
	L_INTERVAL, L_ITERATIONS, L_RENDEZVOUS, L_CAPACITY, L_UNBOUNDED,
	L_MAXSIZE, L_MODE, L_EXISTOK, L_VERSION, L_ID, L_PRIORITIES, L_SELECT,
	L_PRIO, L_TAG, L_TAG_LE, L_FROM,
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, L_JSON },
	{ "backend", required_argument, NULL, L_BACKEND },
	{ "timeout", required_argument, NULL, L_TIMEOUT },
	{ "sync", no_argument, NULL, L_SYNC },
	{ "count", required_argument, NULL, L_COUNT },
	{ "peek", no_argument, NULL, L_PEEK },
	{ "raw", no_argument, NULL, L_RAW },
	{ "interval", required_argument, NULL, L_INTERVAL },
	{ "iterations", required_argument, NULL, L_ITERATIONS },
	{ "rendezvous", no_argument, NULL, L_RENDEZVOUS },
	{ "capacity", required_argument, NULL, L_CAPACITY },
	{ "unbounded", no_argument, NULL, L_UNBOUNDED },
	{ "max-size", required_argument, NULL, L_MAXSIZE },
	{ "mode", required_argument, NULL, L_MODE },
	{ "exist-ok", no_argument, NULL, L_EXISTOK },
	{ "id", required_argument, NULL, L_ID },
	{ "priorities", no_argument, NULL, L_PRIORITIES },
	{ "select", no_argument, NULL, L_SELECT },
	{ "prio", required_argument, NULL, L_PRIO },
	{ "tag", required_argument, NULL, L_TAG },
	{ "tag-le", required_argument, NULL, L_TAG_LE },
	{ "from", required_argument, NULL, L_FROM },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, L_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* Parse one option into o: 0, or an exit status. */
static int parse_opt(int c, const char *arg, struct opts *o, unsigned int *bit)
{
	uint64_t v;
	char *end;

	switch (c) {
	case L_JSON:
		*bit = O_JSON;
		o->json = true;
		return 0;
	case L_BACKEND:
		if (strcmp(arg, "kernel") != 0 && strcmp(arg, "posix") != 0)
			return usage_error("--backend: '%s' is neither kernel nor posix", arg);
		setenv("LIBIPC_BACKEND", arg, 1);
		return 0;
	case L_TIMEOUT:
		*bit = O_TIMEOUT;
		if (!parse_duration(arg, &o->timeout_ns))
			return usage_error("--timeout: '%s' is not a duration", arg);
		return 0;
	case L_SYNC:
		*bit = O_SYNC;
		o->sync = true;
		return 0;
	case L_COUNT:
		*bit = O_COUNT;
		if (!parse_u64(arg, &o->count))
			return usage_error("--count: '%s' is not a number", arg);
		return 0;
	case L_PEEK:
		*bit = O_PEEK;
		o->peek = true;
		return 0;
	case L_RAW:
		*bit = O_RAW;
		o->raw = true;
		return 0;
	case L_INTERVAL:
		*bit = O_INTERVAL;
		if (!parse_duration(arg, &o->interval_ns) || !o->interval_ns)
			return usage_error("--interval: '%s' is not a duration above 0", arg);
		return 0;
	case L_ITERATIONS:
		*bit = O_ITERATIONS;
		if (!parse_u64(arg, &o->iterations))
			return usage_error("--iterations: '%s' is not a number", arg);
		return 0;
	case L_RENDEZVOUS:
	case L_UNBOUNDED:
	case L_CAPACITY:
		if (o->given & O_CAPACITY)
			return usage_error("--rendezvous, --capacity and --unbounded: one at most");
		*bit = O_CAPACITY;
		if (c == L_RENDEZVOUS) {
			o->capacity = 0;
		} else if (c == L_UNBOUNDED) {
			o->capacity = IPC_UNBOUNDED;
		} else {
			if (!parse_u64(arg, &v) || v == IPC_UNBOUNDED)
				return usage_error("--capacity: '%s' is not a number", arg);
			o->capacity = v;
		}
		return 0;
	case L_MAXSIZE:
		*bit = O_MAXSIZE;
		if (!parse_size(arg, &o->max_size))
			return usage_error("--max-size: '%s' is not a size in bytes", arg);
		return 0;
	case L_MODE:
		*bit = O_MODE;
		errno = 0;
		v = strtoull(arg, &end, 8);
		if (*arg < '0' || *arg > '7' || errno || *end || v > 0777)
			return usage_error("--mode: '%s' is not an octal mode up to 0777", arg);
		o->mode = (uint32_t)v;
		return 0;
	case L_EXISTOK:
		*bit = O_EXISTOK;
		o->exist_ok = true;
		return 0;
	case L_ID:
		*bit = O_ID;
		if (!parse_u64(arg, &o->id))
			return usage_error("--id: '%s' is not a number", arg);
		return 0;
	case L_PRIORITIES:
		*bit = O_KIND;
		o->attr_flags |= IPC_PRIO;
		return 0;
	case L_SELECT:
		*bit = O_KIND;
		o->attr_flags |= IPC_SELECT;
		return 0;
	case L_PRIO:
		*bit = O_PRIO;
		if (!parse_u64(arg, &v) || v > IPC_PRIO_MAX)
			return usage_error("--prio: '%s' is not a number up to %d",
					   arg, IPC_PRIO_MAX);
		o->prio = (uint32_t)v;
		return 0;
	case L_TAG:
	case L_TAG_LE:
		if (o->given & O_TAG)
			return usage_error("--tag and --tag-le: one at most");
		*bit = O_TAG;
		o->tag_le = c == L_TAG_LE;
		if (!parse_u64(arg, &o->tag))
			return usage_error("--tag: '%s' is not a number", arg);
		return 0;
	case L_FROM:
		*bit = O_FROM;
		if (!parse_u64(arg, &v) || !v || v > INT32_MAX)
			return usage_error("--from: '%s' is not a pid", arg);
		o->from = (int32_t)v;
		return 0;
	}
	return KX_USAGE;
}

static const char *const opt_names[] = {
	"--json", "--timeout", "--sync", "--count", "--peek", "--raw",
	"--interval", "--iterations", "--rendezvous/--capacity/--unbounded",
	"--max-size", "--mode", "--exist-ok", "--id", "--priorities/--select",
	"--prio", "--tag/--tag-le", "--from",
};

int main(int argc, char **argv)
{
	struct opts o = {
		.mode = 0600, .count = 1, .interval_ns = 1000000000LL,
	};
	const struct command *cmd = NULL;
	struct ipc_stat st;
	unsigned int bit, bad;
	size_t k;
	int c, ret, nargs;

	/* Options go anywhere, before or after the command and its arguments. */
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return KX_OK;
		}
		if (c == L_VERSION) {
			printf("kmbox %s\n", KMBOX_VERSION);
			return KX_OK;
		}
		if (c == '?')
			return usage_error("bad option");
		bit = 0;
		ret = parse_opt(c, optarg, &o, &bit);
		if (ret)
			return ret;
		o.given |= bit;
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return KX_USAGE;
	}
	for (k = 0; k < ARRAY_SIZE(commands); k++)
		if (!strcmp(argv[optind], commands[k].name))
			cmd = &commands[k];
	if (!cmd)
		return usage_error("unknown command '%s'", argv[optind]);
	optind++;
	bad = o.given & ~cmd->opts;
	if (bad) {
		for (k = 0; !(bad & (1u << k)); k++)
			;
		return usage_error("%s: %s does not apply", cmd->name, opt_names[k]);
	}
	if (o.tag_le && cmd->run == cmd_send)
		return usage_error("send: --tag-le selects a receive (send --tag T)");
	if (o.peek && (o.given & O_COUNT) && o.count != 1)
		return usage_error("recv: --peek shows one message (no --count)");
	nargs = argc - optind;
	if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args))
		return usage_error("%s: wrong number of arguments", cmd->name);

	if (!ipc_backend()) {
		/* Every call says why there is no backend. */
		ret = ipc_stat("x", &st);
		fprintf(stderr, "%s: LIBIPC_BACKEND=%s: %s%s\n", cmd_name,
			getenv("LIBIPC_BACKEND") ? getenv("LIBIPC_BACKEND") : "",
			strerror(-ret), ret == -ENOENT || ret == -ENODEV ||
			ret == -ENXIO ? " (is kmbox.ko loaded?)" : "");
		return KX_FAIL;
	}
	return cmd->run(&o, nargs, argv + optind);
}
