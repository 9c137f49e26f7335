// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: arguments: ioctl structs laid out right and wrong, names,
 * send/recv modes and lengths, the helpers around new handles.
 */
#include "fuzz.h"

/* ---- ioctl arguments ---------------------------------------------------- */


static __thread uint8_t argbuf[16384 + 64] __attribute__((aligned(64)));

/*
 * Lay out struct s (ksize bytes, the kernel's size; ver0: the oldest size)
 * for command cmd, most often as it is, sometimes with another size in the
 * command, a mangled command, or somewhere unreadable or read-only.
 * right: the descriptor is of the kind this command is for.
 */
void mkarg(struct iarg *a, unsigned long cmd, const void *s,
	   size_t ksize, size_t ver0, bool right, bool weird)
{
	unsigned int dir = _IOC_READ | _IOC_WRITE, type = KMBOX_IOC_MAGIC;
	bool nonzero_tail = false, mangled = false;
	size_t size = ksize, room, k = 0;
	int r = below(1000), place = P_NORMAL;
	uint8_t *dst = argbuf;

	memset(a, 0, sizeof(*a));
	if (weird) {
		if (r < 250) {
			size = below(ver0);
		} else if (r < 500) {
			size = ksize + 1 + below(pct(80) ? 64 : _IOC_SIZEMASK - ksize);
		} else if (r < 700) {
			size = ksize + 1 + below(pct(80) ? 64 : _IOC_SIZEMASK - ksize);
			nonzero_tail = true;
		} else if (r < 800) {
			mangled = true;
			if (pct(50)) {
				static const unsigned int dirs[] = {
					_IOC_NONE, _IOC_READ, _IOC_WRITE };
				dir = dirs[below(3)];
			} else {
				static const unsigned int types[] = {
					'x', 'k', KMBOX_IOC_MAGIC - 1, KMBOX_IOC_MAGIC + 1 };
				type = types[below(4)];
			}
		}
		r = below(1000);
		if (r < 150)
			place = P_RO;
		else if (r < 250)
			place = P_NONE;
		else if (r < 290)
			place = P_NULL;
		else if (r < 330)
			place = P_KERNEL;
		else if (r < 370)
			place = P_NONCANON;
		else if (r < 470)
			place = P_STRADDLE;
		else if (r < 650)
			place = P_FLIP;
	}
	if (place == P_RO && size > ROWIN)
		place = P_NORMAL;
	if (place == P_FLIP && size > PAGE)
		place = P_NORMAL;
	if (place == P_STRADDLE && (size < 1 || size > PAGE))
		place = P_NORMAL;

	switch (place) {
	case P_NORMAL:
		dst = argbuf;
		a->arg = a->rb = dst;
		break;
	case P_RO:
		dst = rwv + FLIP_PAGES * PAGE + tidx * ROWIN;
		a->arg = flv + FLIP_PAGES * PAGE + tidx * ROWIN;
		a->rb = dst;
		break;
	case P_FLIP:
		/* the second page of the window: buffers use the first */
		room = PAGE - size;
		k = room ? below(room / 8 + 1) * 8 : 0;
		dst = rwv + tidx * FLIP_WIN + PAGE + k;
		a->arg = flv + tidx * FLIP_WIN + PAGE + k;
		a->rb = dst;
		break;
	case P_STRADDLE:
		k = below(size);	/* bytes readable: fewer than size */
		dst = argbuf;		/* built here, then copied */
		a->arg = strad + PAGE - k;
		break;
	default:
		dst = argbuf;
		a->arg = bad_addr(place);
		break;
	}
	memcpy(dst, s, size < ksize ? size : ksize);
	if (size > ksize) {
		memset(dst + ksize, 0, size - ksize);
		if (nonzero_tail)
			dst[ksize + below(size - ksize)] = 1 + below(255);
	}
	if (place == P_STRADDLE)
		memcpy(strad + PAGE - k, dst, k);

	a->cmd = _IOC(dir, type, _IOC_NR(cmd), size);
	a->size = size;
	a->place = place;
	if (!right || mangled)
		a->expect = ENOTTY;
	else if (size < ver0)
		a->expect = EINVAL;
	else if (place == P_FLIP)
		;	/* readable, writable or neither: anything goes */
	else if (place == P_NONE || place == P_NULL || place == P_KERNEL ||
		 place == P_NONCANON)
		a->expect = EFAULT;
	else if (place == P_STRADDLE)
		a->expect = EFAULT, a->expect2 = nonzero_tail ? E2BIG : 0;
	else if (nonzero_tail)
		a->expect = E2BIG;
	else if (place == P_RO && cmd != KMBOX_IOC_SEND && cmd != KMBOX_IOC_REPLY &&
		 cmd != KMBOX_IOC_SEND_BATCH && cmd != KMBOX_IOC_RECV_BATCH)
		a->expect = EFAULT;	/* the struct cannot be written back */
	else
		/* SEND, REPLY, the batches only read theirs: read-only is as good */
		a->ok = place == P_NORMAL || place == P_RO;
	snprintf(a->desc, sizeof(a->desc), "size %zu%s%s, struct %s",
		 size, nonzero_tail ? " (non-zero tail)" : "",
		 mangled ? ", mangled command" : "", place_name[place]);
}

/*
 * The dispatcher's verdict must be exact.  Returns true when the call is
 * settled (failed as it had to); false when the op goes on to check more.
 */
bool check_dispatch(const struct iarg *a, long ret, int e,
		    const char *what)
{
	if (!a->expect)
		return false;
	if (ret >= 0 || (e != a->expect && e != a->expect2))
		violation(C_DISPATCH, "%s (%s): returned %ld %s, expected %s%s%s",
			  what, a->desc, ret, ret < 0 ? ename(e) : "",
			  ename(a->expect), a->expect2 ? " or " : "",
			  a->expect2 ? ename(a->expect2) : "");
	return true;
}

/* ---- names ------------------------------------------------------------- */

enum name_kind {
	N_POOL, N_RO, N_NULL, N_EMPTY, N_SLASH, N_LONG, N_BAD, N_UNTERMINATED,
};

/* A name for CREATE/OPEN/UNLINK.  *err: what it alone must give. */
uint64_t pick_name(int *idx, int *err, bool for_create, const char **desc)
{
	static __thread char longname[KMBOX_NAME_MAX + 2];
	int r = below(1000);
	size_t k;

	*idx = -1;
	*err = 0;
	if (r < 880) {
		*idx = below(NNAMES);
		*desc = S->names[*idx];
		if (*idx == 0 && pct(30)) {
			*desc = "pool name 0 in a read-only page";
			return (uintptr_t)(g_ro + RO_NAME_OFF);
		}
		return (uintptr_t)S->names[*idx];
	}
	if (r < 900) {
		*desc = "NULL name";
		*err = for_create ? 0 : EINVAL;
		return 0;
	}
	if (r < 920) {
		*desc = "empty name";
		*err = EINVAL;
		return (uintptr_t)"";
	}
	if (r < 940) {
		*desc = "name with '/'";
		*err = EINVAL;
		return (uintptr_t)(pct(50) ? "/" : "fz/x");
	}
	if (r < 960) {
		memset(longname, 'l', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		*desc = "name of 256 bytes";
		*err = ENAMETOOLONG;
		return (uintptr_t)longname;
	}
	if (r < 980) {
		uint64_t p = (uintptr_t)bad_addr(P_NONE + below(4));

		*desc = p ? "name at a bad address" : "NULL name";
		*err = p ? EFAULT : for_create ? 0 : EINVAL;
		return p;
	}
	k = 1 + below(40);
	memset(strad + PAGE - k, 'u', k);
	*desc = "name running into an unmapped page";
	*err = EFAULT;
	return (uintptr_t)(strad + PAGE - k);
}

/* ---- small helpers around handles ---------------------------------------- */

int do_info(int fd, struct kmbox_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(fd, KMBOX_IOC_INFO, info) ? errno : 0;
}

static int expected_accmode(uint32_t access)
{
	if (access == KMBOX_ACCESS_ALL)
		return O_RDWR;
	return access == KMBOX_ACCESS_SEND ? O_WRONLY : O_RDONLY;
}

/*
 * A handle CREATE or OPEN just returned: check the descriptor, and keep it
 * in a free slot (or close it).  fresh: made by this call with these
 * attributes (anonymous, or EXCL).
 */
void new_handle(int fd, int slot, uint32_t flags, uint32_t access,
		int name, uint64_t id_out, bool have_id,
		const struct kmbox_create *cr, bool fresh, const char *what)
{
	struct kmbox_info info;
	struct handle h;
	int fl, fdfl, e;

	fdfl = fcntl(fd, F_GETFD);
	fl = fcntl(fd, F_GETFL);
	if (!!(fdfl & FD_CLOEXEC) != !!(flags & KMBOX_FD_CLOEXEC) ||
	    (fl & O_ACCMODE) != expected_accmode(access) ||
	    !!(fl & O_NONBLOCK) != !!(flags & KMBOX_FD_NONBLOCK))
		violation(C_VALID, "%s: flags %#x access %#x gave a descriptor with FD %#x, FL %#x",
			  what, flags, access, fdfl, fl);
	e = do_info(fd, &info);
	if (e) {
		violation(C_INFO, "%s: INFO on the new handle: %s", what, ename(e));
		close(fd);
		h_unreserve(slot);
		return;
	}
	if (info.access != access)
		violation(C_INFO, "%s: asked access %#x, INFO says %#x", what, access, info.access);
	if (have_id && id_out != info.id)
		violation(C_INFO, "%s: returned id %" PRIu64 ", INFO says %" PRIu64,
			  what, id_out, (uint64_t)info.id);
	if (fresh && cr) {
		if (info.capacity != cr->capacity ||
		    (cr->max_msg_size && info.max_msg_size != cr->max_msg_size) ||
		    info.mode != (cr->mode & 0777) || info.uid != myuid)
			violation(C_INFO, "%s: created capacity %llu size %u mode %o, INFO says %llu %u %o uid %u",
				  what, (unsigned long long)cr->capacity, cr->max_msg_size,
				  cr->mode, (unsigned long long)info.capacity,
				  info.max_msg_size, info.mode, info.uid);
		uint32_t cf = cr->flags & (KMBOX_CREATE_PRIO | KMBOX_CREATE_SELECT |
					   KMBOX_CREATE_PORT | KMBOX_CREATE_OWNER_CLOSE);

		/* A port implies SELECT, and is the creating process's. */
		if (cf & KMBOX_CREATE_PORT)
			cf |= KMBOX_CREATE_SELECT;
		if (info.create_flags != cf ||
		    info.port_pid != (cf & KMBOX_CREATE_PORT ? (int32_t)mypid : 0))
			violation(C_INFO, "%s: created with flags %#x, INFO says create_flags %#x port_pid %d (pid %d)",
				  what, cr->flags, info.create_flags, info.port_pid, (int)mypid);
		if (!cr->name && (info.state != KMBOX_STATE_OPEN || info.msgs ||
				  info.sent || info.received || info.dropped ||
				  info.senders_waiting || info.receivers_waiting ||
				  info.name[0]))
			violation(C_INFO, "%s: a new anonymous mailbox is not empty and open: state %u msgs %llu sent %llu",
				  what, info.state, (unsigned long long)info.msgs,
				  (unsigned long long)info.sent);
	}
	if (slot < 0) {
		close(fd);
		return;
	}
	memset(&h, 0, sizeof(h));
	h.fd = fd;
	h.access = access;
	h.name = name;
	h.nonblock = flags & KMBOX_FD_NONBLOCK;
	h.id = info.id;
	h.capacity = info.capacity;
	h.max_msg_size = info.max_msg_size;
	h.create_flags = info.create_flags;
	h.port_pid = info.port_pid;
	h.port_owner = cr && (cr->flags & KMBOX_CREATE_PORT);
	h.uid = info.uid;
	h.state_seen = info.state;
	h.received_seen = info.received;
	h.dropped_seen = info.dropped;
	h_install(slot, &h);
}

/* A send/recv mode: flags and timeout; *bound: how long it may take. */
uint32_t pick_mode(int64_t *timeout, int64_t *bound, bool *inval)
{
	int r = below(1000);
	uint32_t flags;

	*timeout = 0;
	*inval = false;
	if (r < 120) {
		flags = 0;
		*bound = 0;
	} else if (r < 550) {
		flags = KMBOX_MSG_NONBLOCK;
		*bound = slack_ns();
	} else if (r < 880) {
		flags = KMBOX_MSG_TIMEOUT;
		r = below(100);
		*timeout = r < 20 ? 0 : r < 50 ? (int64_t)below(100 * US) :
			   r < 85 ? (int64_t)below(3 * MS) : (int64_t)below(60 * MS);
		*bound = *timeout + slack_ns();
	} else {
		flags = KMBOX_MSG_DEADLINE;
		r = below(100);
		*timeout = r < 15 ? (int64_t)below(SEC) :	/* long past */
			   now_ns() + (r < 30 ? -(int64_t)below(MS) :
			   r < 80 ? (int64_t)below(3 * MS) : (int64_t)below(60 * MS));
		*bound = (*timeout > now_ns() ? *timeout - now_ns() : 0) + slack_ns();
	}
	r = below(1000);
	if (r < 10) {
		flags |= 1U << below(32);	/* maybe valid after all */
		*inval = (flags & ~0x107U) || __builtin_popcount(flags & 7) > 1 ||
			 (!(flags & 6) && *timeout) || ((flags & 6) && *timeout < 0);
	} else if (r < 20) {
		flags = (flags & ~7U) | (pct(50) ? 3 : pct(50) ? 5 : 6 + below(2) * 1);
		*timeout = now_ns() + MS;
		*inval = true;
	} else if (r < 30) {
		flags &= ~(KMBOX_MSG_TIMEOUT | KMBOX_MSG_DEADLINE);
		*timeout = 1 + below(SEC);
		*inval = true;
	} else if (r < 40) {
		flags = (flags & ~7U) | (pct(50) ? KMBOX_MSG_TIMEOUT : KMBOX_MSG_DEADLINE);
		*timeout = -1 - (int64_t)below(SEC);
		if (pct(10))
			*timeout = INT64_MIN;
		*inval = true;
	}
	if (*inval)
		*bound = slack_ns();
	return flags;
}

size_t pick_len(uint32_t max)
{
	int r = below(1000);
	size_t len;

	if (r < 600)
		len = below(97);
	else if (r < 850)
		len = range(32, 4096);
	else if (r < 950)
		len = range(4096, 65536);
	else
		len = range(65536, 1 << 20);
	if (len > max && !pml(30))
		len = max ? below(max + 1) : 0;
	if (len > bufsz - 2 * PAGE)
		len = bufsz - 2 * PAGE;
	return len;
}

/* The descriptor a handle op goes to: a random handle, or the wrong kind. */
int mbox_target_for(int *slot, struct handle *h, bool *right, uint32_t want)
{
	*right = true;
	*slot = h_get_for(h, pct(90) ? want : 0);
	if (*slot < 0 || pml(15)) {
		h_put(*slot);
		*slot = -1;
		memset(h, 0, sizeof(*h));
		*right = false;
		return ctl;
	}
	return h->fd;
}

int mbox_target(int *slot, struct handle *h, bool *right)
{
	return mbox_target_for(slot, h, right, 0);
}

void check_timeout(const char *what, int e, uint32_t flags, int64_t timeout,
		   int64_t t0, int64_t t1)
{
	uint32_t mode = flags & 7;

	if (e == ETIMEDOUT) {
		if (mode == KMBOX_MSG_TIMEOUT && t1 - t0 < timeout)
			violation(C_TIMING, "%s: ETIMEDOUT after %" PRId64 " ns, timeout %" PRId64 " ns",
				  what, t1 - t0, timeout);
		if (mode == KMBOX_MSG_DEADLINE && t1 < timeout)
			violation(C_TIMING, "%s: ETIMEDOUT %" PRId64 " ns before its deadline",
				  what, timeout - t1);
		if (mode != KMBOX_MSG_TIMEOUT && mode != KMBOX_MSG_DEADLINE)
			violation(C_VALID, "%s with flags %#x: ETIMEDOUT without a timeout", what, flags);
	}
	if (e == EAGAIN && mode != KMBOX_MSG_NONBLOCK)
		violation(C_VALID, "%s with flags %#x: EAGAIN without KMBOX_MSG_NONBLOCK", what, flags);
}

/*
 * Whether a mode (flags & 7, with timeout) is invalid, the other bits
 * allowed being valid: at most one mode; a timeout only with TIMEOUT or
 * DEADLINE, and then not negative.
 */
bool mode_invalid(uint32_t flags, int64_t timeout, uint32_t valid)
{
	return (flags & ~(valid | 7U)) || __builtin_popcount(flags & 7) > 1 ||
	       (!(flags & 6) && timeout) || ((flags & 6) && timeout < 0);
}
