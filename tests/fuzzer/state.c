// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: the state a process and its threads keep: random numbers,
 * statistics, memory, the handle table, payloads and the fate of messages.
 */
#include "fuzz.h"

struct shared *S;
_Atomic uint8_t *track;

struct first_recv *track_who;
struct sent_opts *track_opt;

/* ---- per process, per thread ------------------------------------------ */

struct kmbox_limits L;	/* at start-up: the largest limits */
int ctl = -1;		/* this process's /dev/kmbox */
int epfd = -1;
pid_t mypid;
uid_t myuid;
bool is_child;		/* a worker's child, not a worker */
bool limits_move;	/* the coordinator changes module limits */
int worker_idx, worker_gen;
volatile sig_atomic_t sig_count;

__thread uint64_t rs;	/* random state */
__thread char who[64];
__thread struct watch *W;
__thread struct watch W_dummy;
__thread int tidx;
__thread long iter;
__thread uint8_t *sbuf, *rbuf;	/* message buffers */
__thread uint8_t *strad;		/* a RW page, then a PROT_NONE one */
size_t bufsz;

/* Shared pages: nothing mapped, read-only, and this process's flip area. */
uint8_t *g_none;		/* PROT_NONE, NONE_SIZE bytes */
uint8_t *g_ro;		/* read-only: JUNK, then a pool name */
uint8_t *rwv, *flv;	/* one memfd: a RW view, a flipping view */

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

void sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / SEC, ns % SEC };

	nanosleep(&ts, NULL);	/* a signal may cut it short: fine */
}

static uint64_t mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t seed_for(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t x = a;

	x ^= mix(&x) + b;
	x ^= mix(&x) + c;
	x ^= mix(&x) + d;
	mix(&x);
	return x;
}

uint64_t rnd(void)
{
	return mix(&rs);
}

uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* True with probability p per thousand. */
bool pml(unsigned int p)
{
	return below(1000) < p;
}

bool pct(unsigned int p)
{
	return below(100) < p;
}

uint64_t range(uint64_t lo, uint64_t hi)
{
	return lo + below(hi - lo + 1);
}

void stat_add(int st, uint64_t n)
{
	atomic_fetch_add(&S->stat[st], n);
}

void stat_max(int st, uint64_t v)
{
	uint64_t old = atomic_load(&S->stat[st]);

	while (v > old && !atomic_compare_exchange_weak(&S->stat[st], &old, v))
		;
}

/* ---- memory ------------------------------------------------------------- */

void *map(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("fuzz: mmap");
		_exit(EXIT_INTERNAL);
	}
	return p;
}

/* This process's flip area: a memfd seen through a RW and a flipping view. */
void setup_flip(void)
{
	size_t len = (FLIP_PAGES + 1) * PAGE;
	int fd = memfd_create("fuzz-flip", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, len)) {
		perror("fuzz: memfd");
		_exit(EXIT_INTERNAL);
	}
	if (rwv)
		munmap(rwv, len);
	if (flv)
		munmap(flv, len);
	rwv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	flv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (rwv == MAP_FAILED || flv == MAP_FAILED) {
		perror("fuzz: mmap memfd");
		_exit(EXIT_INTERNAL);
	}
	/* The last page is read-only for good. */
	mprotect(flv + FLIP_PAGES * PAGE, PAGE, PROT_READ);
	close(fd);
}

void setup_thread_memory(void)
{
	sbuf = map(bufsz, PROT_READ | PROT_WRITE);
	rbuf = map(bufsz, PROT_READ | PROT_WRITE);
	strad = map(2 * PAGE, PROT_READ | PROT_WRITE);
	mprotect(strad + PAGE, PAGE, PROT_NONE);
}


const char *const place_name[P_N] = {
	"normal", "read-only", "PROT_NONE", "NULL", "kernel", "non-canonical",
	"half-mapped", "flipping",
};

void *bad_addr(int place)
{
	switch (place) {
	case P_NONE:
		return g_none + below(PAGE);	/* and NONE_SIZE - PAGE more */
	case P_NULL:
		return (void *)(uintptr_t)below(16);
	case P_KERNEL:
		return (void *)(uintptr_t)(0xffffffff81000000ULL + below(1 << 20));
	default:
		return (void *)(uintptr_t)(pct(50) ? 0x0000800000000000ULL :
					   0xdead000000000000ULL + below(PAGE));
	}
}

/* ---- handles ------------------------------------------------------------ */


struct handle H[NHANDLES];
static pthread_mutex_t hlock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int hgen;

void hl(void)
{
	pthread_mutex_lock(&hlock);
}

void hu(void)
{
	pthread_mutex_unlock(&hlock);
}

/*
 * Take a reference to a random live handle, preferably one with access
 * want; *h gets a copy.  -1 if none.
 */
int h_get_for(struct handle *h, uint32_t want)
{
	int i, n, pass, start = below(NHANDLES);

	hl();
	for (pass = want ? 0 : 1; pass < 2; pass++)
	for (n = 0; n < NHANDLES; n++) {
		i = (start + n) % NHANDLES;
		if (H[i].state == H_LIVE && (pass || (H[i].access & want))) {
			H[i].refs++;
			*h = H[i];
			hu();
			return i;
		}
	}
	hu();
	return -1;
}

int h_get(struct handle *h)
{
	return h_get_for(h, 0);
}

void h_put(int i)
{
	int fd = -1;

	if (i < 0)
		return;
	hl();
	if (--H[i].refs == 0 && H[i].state == H_DYING) {
		fd = H[i].fd;
		H[i].state = H_FREE;
		H[i].gen = ++hgen;
	}
	hu();
	if (fd >= 0)
		close(fd);
}

/* Whether slot i still is the handle copied into h. */
bool h_same(int i, const struct handle *h)
{
	bool same;

	hl();
	same = H[i].gen == h->gen && H[i].state == H_LIVE;
	hu();
	return same;
}

int h_reserve(void)
{
	int i, n, start = below(NHANDLES);

	hl();
	for (n = 0; n < NHANDLES; n++) {
		i = (start + n) % NHANDLES;
		if (H[i].state == H_FREE) {
			H[i].state = H_RESERVED;
			hu();
			return i;
		}
	}
	hu();
	return -1;
}

void h_unreserve(int i)
{
	if (i < 0)
		return;
	hl();
	H[i].state = H_FREE;
	hu();
}

void h_install(int i, const struct handle *h)
{
	hl();
	H[i] = *h;
	H[i].state = H_LIVE;
	H[i].refs = 0;
	H[i].gen = ++hgen;
	hu();
}

/*
 * close(2) handle i (if it still is gen; any live one if i < 0).  If
 * another thread is inside a call on it, its number is taken over by a
 * duplicate of the control device until the last user is done, so that the
 * number is not reused behind that thread's back (its next call then goes
 * to the wrong kind of descriptor).
 */
static void h_close(int i, unsigned int gen)
{
	int n, fd = -1, start = below(NHANDLES), e = 0;

	hl();
	for (n = 0; n < NHANDLES; n++) {
		int k = i >= 0 ? i : (start + n) % NHANDLES;

		if (H[k].state != H_LIVE || (i >= 0 && H[k].gen != gen)) {
			if (i >= 0)
				break;
			continue;
		}
		if (H[k].refs == 0) {
			fd = H[k].fd;
			H[k].state = H_FREE;
		} else {
			if (dup3(ctl, H[k].fd, O_CLOEXEC) < 0)
				e = errno;
			H[k].state = H_DYING;
		}
		H[k].gen = ++hgen;
		break;
	}
	hu();
	if (fd >= 0 && close(fd))
		e = errno;
	check_errno(OP_FDCLOSE, e, "close");
}

void h_close_random(void)
{
	h_close(-1, 0);
}

/* After a call on handle slot: a dead mailbox's handle is often dropped. */
void h_done(int slot, const struct handle *h, int e)
{
	if (slot < 0)
		return;
	h_put(slot);
	if ((e == EIDRM && pct(50)) || (e == EPIPE && pct(15)))
		h_close(slot, h->gen);
}

int h_live(void)
{
	int i, n = 0;

	hl();
	for (i = 0; i < NHANDLES; i++)
		n += H[i].state == H_LIVE;
	hu();
	return n;
}

/* In a new child: nothing is in use, what was dying goes. */
void h_after_fork(void)
{
	int i;

	calls_after_fork();
	for (i = 0; i < NHANDLES; i++) {
		H[i].refs = 0;
		if (H[i].state == H_DYING)
			close(H[i].fd);
		if (H[i].state != H_LIVE)
			H[i].state = H_FREE;
	}
}

void atfork_prepare(void)
{
	hl();
}

void atfork_release(void)
{
	hu();
}

/* ---- the payload ------------------------------------------------------- */

static inline uint8_t pat(uint64_t id, size_t i)
{
	return (uint8_t)((id * 0x9e3779b97f4a7c15ULL) >> ((i & 7) * 8)) ^ (uint8_t)(i >> 3);
}

static uint64_t new_id(void)
{
	uint64_t id = atomic_fetch_add(&S->next_id, 1);

	return id < TRACK_N ? id : 0;
}

/* Fill p with a message of len bytes for mailbox mbox; its id (0: none). */
uint64_t fill(uint8_t *p, size_t len, uint64_t mbox)
{
	struct hdr h;
	uint64_t id;
	size_t i;

	if (len < sizeof(h)) {
		for (i = 0; i < len; i++)
			p[i] = (uint8_t)(len * 17 + i * 3 + 1);
		return 0;
	}
	id = new_id();
	h.magic = MAGIC;
	h.len = (uint32_t)len;
	h.id = id;
	h.mbox = mbox;
	h.pid = mypid;
	h.uid = myuid;
	memcpy(p, &h, sizeof(h));
	for (i = sizeof(h); i < len; i++)
		p[i] = pat(id, i);
	return id;
}

static bool all_junk(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != JUNK)
			return false;
	return true;
}

/*
 * Check a received message.  mbox: the mailbox it came from (0: unknown).
 * Returns its id (0 if untracked), or -1 after reporting a violation.
 * *hp gets the header when there is one.
 */
int64_t verify(const uint8_t *p, size_t len, uint64_t mbox,
	       const char *how, struct hdr *hp)
{
	struct hdr h;
	size_t i;

	memset(hp, 0, sizeof(*hp));
	if (!len || all_junk(p, len))
		return 0;
	if (len < sizeof(h)) {
		for (i = 0; i < len; i++)
			if (p[i] != (uint8_t)(len * 17 + i * 3 + 1)) {
				violation(C_PAYLOAD, "%s: short message of %zu bytes corrupt at byte %zu",
					  how, len, i);
				return -1;
			}
		return 0;
	}
	memcpy(&h, p, sizeof(h));
	if (h.magic != MAGIC || h.len != len) {
		violation(C_PAYLOAD, "%s: message of %zu bytes has magic %#x length %u",
			  how, len, h.magic, h.len);
		return -1;
	}
	for (i = sizeof(h); i < len; i++)
		if (p[i] != pat(h.id, i)) {
			violation(C_PAYLOAD, "%s: message id %" PRIu64 " of %zu bytes corrupt at byte %zu",
				  how, h.id, len, i);
			return -1;
		}
	if (mbox && h.mbox && h.mbox != mbox) {
		violation(C_PAYLOAD, "%s: message id %" PRIu64 " sent to mailbox %" PRIu64
			  " received from mailbox %" PRIu64, how, h.id, h.mbox, mbox);
		return -1;
	}
	*hp = h;
	stat_add(ST_VERIFIED, 1);
	return (int64_t)h.id;
}

void track_send(uint64_t id, int e)
{
	if (!e)
		stat_add(ST_SENT, 1);
	if (id)
		atomic_fetch_or(&track[id], e ? T_FAIL : T_OK);
}

/* A message was consumed (not peeked). */
void track_recv(int64_t id, const char *how)
{
	uint8_t old;

	stat_add(ST_RECEIVED, 1);
	if (id <= 0)
		return;
	old = atomic_fetch_or(&track[id], T_RECV);
	if (!(old & T_RECV) && id < WHO_N) {
		atomic_store(&track_who[id].tid, (uint32_t)syscall(SYS_gettid));
		memcpy(track_who[id].desc, W->desc, sizeof(track_who[id].desc) - 1);
	}
	if (old & T_RECV)
		violation(C_ONCE, "%s: message id %" PRId64 " received a second time, by task %d in %.150s; first by task %u in %.124s",
			  how, id, (int)syscall(SYS_gettid), W->desc,
			  id < WHO_N ? atomic_load(&track_who[id].tid) : 0,
			  id < WHO_N ? track_who[id].desc : "?");
	if (old & T_FAIL)
		violation(C_AMBIG, "%s: message id %" PRId64 " received, but its send had failed",
			  how, id);
	if (!(old & T_ATTEMPT))
		violation(C_PAYLOAD, "%s: message id %" PRId64 " received, but never sent", how, id);
}

/* The priority and tag message id is sent with (before it is sent). */
void track_opts(uint64_t id, uint32_t prio, uint64_t tag)
{
	if (!id || id >= WHO_N)
		return;
	track_opt[id].prio = prio;
	track_opt[id].tag = tag;
	track_opt[id].set = 1;
}

/* A message received reports the priority and tag it was sent with. */
void check_opts(int64_t id, uint32_t prio, uint64_t tag, const char *how)
{
	uint32_t want_prio = 0;
	uint64_t want_tag = 0;

	if (id <= 0 || id >= WHO_N)
		return;
	if (track_opt[id].set) {
		want_prio = track_opt[id].prio;
		want_tag = track_opt[id].tag;
	}
	if (prio != want_prio || tag != want_tag)
		violation(C_PAYLOAD, "%s: message id %" PRId64 " sent with priority %u tag %#" PRIx64
			  ", received with priority %u tag %#" PRIx64,
			  how, id, want_prio, want_tag, prio, tag);
}
