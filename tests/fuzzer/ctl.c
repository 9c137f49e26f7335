// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: operations on the control device: LIMITS, CREATE, OPEN, UNLINK.
 */
#include "fuzz.h"

/* ---- control device operations ------------------------------------------ */

/* The descriptor an op on the control device goes to: usually ctl. */
/* The wrong-kind target was closed meanwhile: it may be /dev/kmbox now. */
bool ctl_raced(int slot, const struct handle *h)
{
	return slot >= 0 && !h_same(slot, h);
}

int ctl_target(int *slot, struct handle *h, bool *right)
{
	*slot = -1;
	*right = true;
	if (pml(30)) {
		*slot = h_get(h);
		if (*slot >= 0) {
			*right = false;
			return h->fd;
		}
	}
	return ctl;
}

void op_limits(void)
{
	struct kmbox_limits l;
	struct handle h;
	struct iarg a;
	bool right, inval = false;
	int slot, fd, e;
	long ret;

	memset(&l, 0, sizeof(l));
	if (pml(30)) {
		l.flags = 1U << below(32);
		inval = true;
	}
	if (pml(30)) {
		l.__reserved[below(4)] = rnd() | 1;
		inval = true;
	}
	fd = ctl_target(&slot, &h, &right);
	mkarg(&a, KMBOX_IOC_LIMITS, &l, sizeof(l), KMBOX_LIMITS_SIZE_VER0, right, pct(15));
	call_begin(OP_LIMITS, slack_ns(), "LIMITS %s", a.desc);
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	call_end();
	if (ctl_raced(slot, &h)) {
		h_put(slot);
		return;
	}
	h_put(slot);
	check_errno(OP_LIMITS, e, "LIMITS");
	if (check_dispatch(&a, ret, e, "LIMITS") || !a.ok)
		return;
	if (inval) {
		if (e != EINVAL)
			violation(C_VALID, "LIMITS with flags %#x / a reserved field set: %s, expected EINVAL",
				  l.flags, ename(e));
		return;
	}
	if (e) {
		violation(C_VALID, "LIMITS: %s", ename(e));
		return;
	}
	memcpy(&l, a.rb, sizeof(l));
	if (l.flags || l.abi_version != KMBOX_ABI_VERSION ||
	    l.default_msg_size > l.max_msg_size || l.max_msg_size > (64U << 20) ||
	    !l.msg_overhead || l.__reserved[0] || l.__reserved[1] ||
	    l.__reserved[2] || l.__reserved[3])
		violation(C_VALID, "LIMITS: flags %u abi %u default %llu max %llu overhead %llu",
			  l.flags, l.abi_version, (unsigned long long)l.default_msg_size,
			  (unsigned long long)l.max_msg_size,
			  (unsigned long long)l.msg_overhead);
}

static uint64_t pick_capacity(bool *inval)
{
	int r = below(1000);

	*inval = false;
	if (r < 250)
		return 0;
	if (r < 450)
		return 1;
	if (r < 650)
		return range(2, 8);
	if (r < 900)
		return KMBOX_CAPACITY_UNBOUNDED;
	if (r < 930)
		return range(9, 1000);
	*inval = true;
	if (r < 950)
		return L.max_capacity + 1 + below(1000);
	if (r < 970)
		return KMBOX_CAPACITY_UNBOUNDED - 1 - below(1000);
	return (rnd() | (1ULL << 63)) - 1;
}

void op_create(void)
{
	struct kmbox_create c;
	struct handle h;
	struct iarg a;
	const char *ndesc = "anonymous";
	bool right, inval = false, bad, fresh, maybe_inval;
	int slot, hslot = -1, fd, e, name = -1, nerr = 0;
	long ret;

	memset(&c, 0, sizeof(c));
	if (pct(50))
		c.flags |= KMBOX_FD_CLOEXEC;
	if (pct(25))
		c.flags |= KMBOX_FD_NONBLOCK;
	if (pct(30))
		c.flags |= KMBOX_CREATE_EXCL;
	if (pct(10))
		c.flags |= KMBOX_CREATE_OWNER_CLOSE;
	/* Issue 13: priorities, tags and selective receive; ports. */
	if (pct(30))
		c.flags |= KMBOX_CREATE_PRIO;
	if (pct(30))
		c.flags |= KMBOX_CREATE_SELECT;
	if (pct(4))
		c.flags |= KMBOX_CREATE_PORT;
	if (pml(30)) {
		c.flags |= 1U << below(32);
		inval |= c.flags & ~(KMBOX_FD_CLOEXEC | KMBOX_FD_NONBLOCK | KMBOX_CREATE_EXCL |
				     KMBOX_CREATE_OWNER_CLOSE | KMBOX_CREATE_PORT |
				     KMBOX_CREATE_PRIO | KMBOX_CREATE_SELECT);
	}
	c.access = pct(60) ? KMBOX_ACCESS_ALL :
		   pct(50) ? KMBOX_ACCESS_RECV : KMBOX_ACCESS_SEND;
	if (pml(30)) {
		c.access = pct(50) ? 0 : (uint32_t)rnd();
		inval |= !c.access || (c.access & ~KMBOX_ACCESS_ALL);
	}
	c.capacity = pick_capacity(&bad);
	inval |= bad;
	if (pct(50))
		c.max_msg_size = 0;
	else if (pct(40))
		c.max_msg_size = range(1, 64);
	else if (pct(50))
		c.max_msg_size = pct(50) ? 4096 : 65536;
	else if (pct(90))
		c.max_msg_size = L.max_msg_size;
	else {
		c.max_msg_size = L.max_msg_size + 1 + below(UINT32_MAX - L.max_msg_size);
		inval = true;
	}
	c.mode = pct(75) ? 0666 : below(01000);
	if (pml(20)) {
		c.mode = (uint32_t)rnd() | 01000;
		inval = true;
	}
	if (pml(20)) {
		c.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	if (pml(10))
		c.result = rnd();	/* an out field: ignored */
	if (pct(60) && (!(c.flags & KMBOX_CREATE_PORT) || pct(10))) {
		c.name = pick_name(&name, &nerr, true, &ndesc);
	}
	if (!c.name && (c.flags & KMBOX_CREATE_EXCL) && pct(90))
		c.flags &= ~KMBOX_CREATE_EXCL;
	if (!c.name && (c.flags & KMBOX_CREATE_EXCL))
		inval = true;
	/*
	 * A port (from a random bit) is anonymous and its handle receives.
	 * Closing its handle destroys it, which is what an anonymous
	 * mailbox's last handle does anyway: the model needs nothing more.
	 */
	if ((c.flags & KMBOX_CREATE_PORT) && (c.name || !(c.access & KMBOX_ACCESS_RECV)))
		inval = true;
	/* While the coordinator lowers a limit, valid sizes may not be. */
	maybe_inval = limits_move && ((c.capacity && c.capacity != KMBOX_CAPACITY_UNBOUNDED) ||
				      c.max_msg_size);

	fd = ctl_target(&slot, &h, &right);
	if (pml(10))
		c.id = rnd();	/* an out field: ignored */
	mkarg(&a, KMBOX_IOC_CREATE, &c, sizeof(c), KMBOX_CREATE_SIZE_VER0, right, pct(10));
	if (!a.expect && !inval && !nerr)
		hslot = h_reserve();
	call_begin(OP_CREATE, slack_ns(), "CREATE %s cap %llu size %u flags %#x access %#x, %s",
		   ndesc, (unsigned long long)c.capacity, c.max_msg_size, c.flags,
		   c.access, a.desc);
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	call_end();
	if (ctl_raced(slot, &h)) {
		h_put(slot);
		if (ret >= 0)
			close(ret);
		h_unreserve(hslot);
		return;
	}
	h_put(slot);
	check_errno(OP_CREATE, e, "CREATE");
	if (check_dispatch(&a, ret, e, "CREATE") || (!a.ok && ret < 0)) {
		if (ret >= 0)
			close(ret);
		h_unreserve(hslot);
		return;
	}
	if (inval || nerr) {
		int want = inval ? EINVAL : nerr;

		if (!a.ok)
			;
		else if (ret >= 0 || (e != want && !(maybe_inval && e == EINVAL)))
			violation(C_VALID, "CREATE %s flags %#x access %#x cap %#llx size %u mode %#o: %s, expected %s (%s)",
				  ndesc, c.flags, c.access, (unsigned long long)c.capacity,
				  c.max_msg_size, c.mode, ret >= 0 ? "success" : ename(e),
				  ename(want), a.desc);
		if (ret >= 0)
			close(ret);
		h_unreserve(hslot);
		return;
	}
	if (ret < 0) {
		if (e == EEXIST && !(c.flags & KMBOX_CREATE_EXCL))
			violation(C_VALID, "CREATE without EXCL: EEXIST");
		if (e == EACCES && (!c.name || myuid == 0))
			violation(C_VALID, "CREATE %s by uid %u: EACCES", ndesc, myuid);
		h_unreserve(hslot);
		return;
	}
	fresh = !c.name || (c.flags & KMBOX_CREATE_EXCL);
	new_handle(ret, hslot, c.flags, c.access, name,
		   a.rb && a.ok ? ((struct kmbox_create *)a.rb)->id : 0,
		   a.rb && a.ok, &c, fresh && a.ok, "CREATE");
}

void op_open(void)
{
	struct kmbox_open o;
	struct handle h;
	struct iarg a;
	const char *ndesc;
	bool right, inval = false;
	int slot, hslot = -1, fd, e, name, nerr;
	long ret;

	memset(&o, 0, sizeof(o));
	if (pct(50))
		o.flags |= KMBOX_FD_CLOEXEC;
	if (pct(25))
		o.flags |= KMBOX_FD_NONBLOCK;
	if (pml(30)) {
		o.flags |= 1U << below(32);
		inval |= o.flags & ~(KMBOX_FD_CLOEXEC | KMBOX_FD_NONBLOCK);
	}
	o.access = pct(50) ? KMBOX_ACCESS_ALL :
		   pct(50) ? KMBOX_ACCESS_RECV : KMBOX_ACCESS_SEND;
	if (pml(30)) {
		o.access = pct(50) ? 0 : (uint32_t)rnd();
		inval |= !o.access || (o.access & ~KMBOX_ACCESS_ALL);
	}
	if (pml(20)) {
		o.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	o.name = pick_name(&name, &nerr, false, &ndesc);
	fd = ctl_target(&slot, &h, &right);
	mkarg(&a, KMBOX_IOC_OPEN, &o, sizeof(o), KMBOX_OPEN_SIZE_VER0, right, pct(10));
	if (!a.expect && !inval && !nerr)
		hslot = h_reserve();
	call_begin(OP_OPEN, slack_ns(), "OPEN %s flags %#x access %#x, %s", ndesc,
		   o.flags, o.access, a.desc);
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	call_end();
	if (ctl_raced(slot, &h)) {
		h_put(slot);
		if (ret >= 0)
			close(ret);
		h_unreserve(hslot);
		return;
	}
	h_put(slot);
	check_errno(OP_OPEN, e, "OPEN");
	if (check_dispatch(&a, ret, e, "OPEN") || (!a.ok && ret < 0)) {
		if (ret >= 0)
			close(ret);
		h_unreserve(hslot);
		return;
	}
	if (inval || nerr) {
		int want = inval ? EINVAL : nerr;

		if (a.ok && (ret >= 0 || e != want))
			violation(C_VALID, "OPEN %s flags %#x access %#x: %s, expected %s (%s)",
				  ndesc, o.flags, o.access, ret >= 0 ? "success" : ename(e),
				  ename(want), a.desc);
		if (ret >= 0)
			close(ret);
		h_unreserve(hslot);
		return;
	}
	if (ret < 0) {
		if (e == EACCES && myuid == 0)
			violation(C_VALID, "OPEN %s by root: EACCES", ndesc);
		h_unreserve(hslot);
		return;
	}
	new_handle(ret, hslot, o.flags, o.access, name,
		   a.rb && a.ok ? ((struct kmbox_open *)a.rb)->id : 0,
		   a.rb && a.ok, NULL, false, "OPEN");
}

void op_unlink(void)
{
	struct kmbox_unlink u;
	struct handle h;
	struct iarg a;
	const char *ndesc;
	bool right, inval = false;
	int slot, fd, e, name, nerr;
	long ret;

	memset(&u, 0, sizeof(u));
	if (pml(30)) {
		u.flags = 1U << below(32);
		inval = true;
	}
	if (pml(20)) {
		u.__reserved0 = rnd() | 1;
		inval = true;
	}
	if (pml(20)) {
		u.__reserved[below(2)] = rnd() | 1;
		inval = true;
	}
	u.name = pick_name(&name, &nerr, false, &ndesc);
	fd = ctl_target(&slot, &h, &right);
	mkarg(&a, KMBOX_IOC_UNLINK, &u, sizeof(u), KMBOX_UNLINK_SIZE_VER0, right, pct(10));
	call_begin(OP_UNLINK, slack_ns(), "UNLINK %s, %s", ndesc, a.desc);
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	call_end();
	if (ctl_raced(slot, &h)) {
		h_put(slot);
		return;
	}
	h_put(slot);
	check_errno(OP_UNLINK, e, "UNLINK");
	if (check_dispatch(&a, ret, e, "UNLINK") || !a.ok)
		return;
	if (inval || nerr) {
		int want = inval ? EINVAL : nerr;

		if (ret >= 0 || e != want)
			violation(C_VALID, "UNLINK %s flags %#x: %s, expected %s (%s)",
				  ndesc, u.flags, ret >= 0 ? "success" : ename(e),
				  ename(want), a.desc);
		return;
	}
	if (e == EACCES && myuid == 0)
		violation(C_VALID, "UNLINK by root: EACCES");
}
