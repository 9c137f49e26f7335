// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: administration: STAT_ID, LIST, DESTROY_ID, raw ioctls,
 * delete_module, opening the device, /proc/kmbox.
 */
#include "fuzz.h"

/*
 * Administration by id on the control device: STAT_ID of a handle's
 * mailbox (or of none), LIST (ascending ids above the cursor, at most as
 * many as asked), DESTROY_ID of a handle's mailbox now and then.
 */
void op_admin(void)
{
	static __thread uint64_t ids[80];
	union {
		struct kmbox_info i;
		struct kmbox_list l;
		struct kmbox_destroy_id d;
	} u;
	int kind = below(100), slot, fd, e, hs;
	bool right, inval = false, badids = false;
	struct handle h, hh;
	struct iarg a;
	uint32_t k;
	long ret;

	memset(&u, 0, sizeof(u));
	/* The mailbox asked about: a handle's, pinned, or one that is none. */
	hs = h_get(&hh);
	if (kind < 45) {
		u.i.id = hs >= 0 && pct(90) ? hh.id : pct(50) ? 0 : ~0ULL - below(100);
		if (pml(20)) {
			u.i.flags = 1U << below(32);
			inval = true;
		}
		if (pml(20)) {
			u.i.__reserved[below(ARRAY_SIZE(u.i.__reserved))] = rnd() | 1;
			inval = true;
		}
	} else if (kind < 90) {
		u.l.count = below(ARRAY_SIZE(ids) + 1);
		u.l.cursor = pct(60) ? 0 : hs >= 0 && pct(70) ? hh.id : rnd();
		u.l.ids = (uintptr_t)ids;
		if (pml(50)) {
			u.l.ids = (uintptr_t)bad_addr(P_NONE + below(4));
			badids = true;
		}
		if (pml(20)) {
			u.l.flags = 1U << below(32);
			inval = true;
		}
		if (pml(20)) {
			u.l.__reserved[below(2)] = rnd() | 1;
			inval = true;
		}
	} else {
		u.d.id = hs >= 0 && pct(80) ? hh.id : ~0ULL - below(100);
		if (pml(20)) {
			u.d.flags = 1U << below(32);
			inval = true;
		}
	}
	fd = ctl_target(&slot, &h, &right);
	if (kind < 45)
		mkarg(&a, KMBOX_IOC_STAT_ID, &u.i, sizeof(u.i), KMBOX_INFO_SIZE_VER0, right, pct(10));
	else if (kind < 90)
		mkarg(&a, KMBOX_IOC_LIST, &u.l, sizeof(u.l), KMBOX_LIST_SIZE_VER0, right, pct(10));
	else
		mkarg(&a, KMBOX_IOC_DESTROY_ID, &u.d, sizeof(u.d), KMBOX_DESTROY_ID_SIZE_VER0,
		      right, pct(10));
	call_begin(OP_ADMIN, slack_ns(), "%s %s",
		   kind < 45 ? "STAT_ID" : kind < 90 ? "LIST" : "DESTROY_ID", a.desc);
	ret = ioctl(fd, a.cmd, a.arg);
	e = ret < 0 ? errno : 0;
	call_end();
	if (ctl_raced(slot, &h))
		goto out;
	check_errno(OP_ADMIN, e, "STAT_ID/LIST/DESTROY_ID");
	if (check_dispatch(&a, ret, e, "STAT_ID/LIST/DESTROY_ID") || !a.ok)
		goto out;
	if (inval) {
		if (e != EINVAL)
			violation(C_VALID, "%s with a flag or reserved field set: %s, expected EINVAL",
				  kind < 45 ? "STAT_ID" : kind < 90 ? "LIST" : "DESTROY_ID",
				  ret >= 0 ? "success" : ename(e));
		goto out;
	}
	if (kind < 45) {
		struct kmbox_info i;

		if (ret)
			goto out;
		memcpy(&i, a.rb, sizeof(i));
		if (i.id != u.i.id || i.access || i.nsenders > KMBOX_INFO_PIDS ||
		    i.nreceivers > KMBOX_INFO_PIDS || i.nsenders > i.senders_waiting ||
		    i.nreceivers > i.receivers_waiting || !memchr(i.name, 0, sizeof(i.name)))
			violation(C_INFO, "STAT_ID %llu: id %llu access %#x, %u of %u sender pids, %u of %u receiver pids",
				  (unsigned long long)u.i.id, (unsigned long long)i.id, i.access,
				  i.nsenders, i.senders_waiting, i.nreceivers, i.receivers_waiting);
	} else if (kind < 90) {
		if (ret < 0) {
			if (e != EFAULT || !badids)
				violation(C_VALID, "LIST of %u: %s", u.l.count, ename(e));
			goto out;
		}
		if ((uint64_t)ret > u.l.count || (badids && ret > 0))
			violation(C_VALID, "LIST of %u into %s: %ld", u.l.count,
				  badids ? "a bad pointer" : "an array", ret);
		for (k = 0; k < (uint32_t)ret && !badids && k < ARRAY_SIZE(ids); k++)
			if (ids[k] <= (k ? ids[k - 1] : u.l.cursor))
				violation(C_VALID, "LIST above %llu: id %llu after %llu",
					  (unsigned long long)u.l.cursor,
					  (unsigned long long)ids[k],
					  (unsigned long long)(k ? ids[k - 1] : u.l.cursor));
	} else if (e == EACCES && hs >= 0 && u.d.id == hh.id &&
		   (myuid == 0 || hh.uid == myuid)) {
		violation(C_VALID, "DESTROY_ID by %s (uid %u, owner %u): EACCES",
			  myuid ? "the owner" : "root", myuid, hh.uid);
	} else if (!ret && hs >= 0 && u.d.id == hh.id && h_same(hs, &hh)) {
		after_end(hs, hh.fd, &hh, true);
	}
out:
	h_put(slot);
	if (hs >= 0)
		h_done(hs, &hh, 0);
}

/* A random ioctl: any command number, size and content, on either kind. */
void op_raw(void)
{
	static __thread uint8_t junk[_IOC_SIZEMASK + 1];
	struct handle h;
	unsigned int dir, type, nr, size;
	int slot = -1, fd = ctl, e;
	void *arg;
	long ret;

	if (pct(60)) {
		slot = h_get(&h);
		if (slot >= 0)
			fd = h.fd;
	}
	static const unsigned int nrs[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
					    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
					    0x18 };

	dir = pct(60) ? _IOC_READ | _IOC_WRITE : below(4);
	type = pct(85) ? KMBOX_IOC_MAGIC : (unsigned int)(pct(50) ? 'x' : 0xb0 + below(16));
	if (type == KMBOX_IOC_MAGIC - 4)	/* 0xb4: keep clear of other drivers' magic */
		type = 'x';
	nr = pct(70) ? nrs[below(ARRAY_SIZE(nrs))] : pct(80) ? below(0x20) : below(256);
	if (pct(70))	/* mostly a command of the descriptor's kind */
		nr = fd == ctl ? below(8) : 0x10 + below(9);
	size = pct(40) ? 40 + 8 * below(44) : pct(70) ? below(512) : below(_IOC_SIZEMASK + 1);
	if (pct(50)) {
		size_t i;

		for (i = 0; i < size; i += 8) {
			uint64_t v = pct(50) ? rnd() : rnd() & 0xff;

			memcpy(junk + i, &v, size - i < 8 ? size - i : 8);
		}
		arg = junk;
	} else if (pct(60)) {
		memset(junk, 0, size);
		arg = junk;
	} else {
		arg = bad_addr(P_NONE + below(4));
	}
	/* A blocking call made of zeros may wait: the watchdog kicks it. */
	call_begin(OP_RAW, 0, "ioctl fd %d cmd %#x", fd, _IOC(dir, type, nr, size));
	ret = ioctl(fd, _IOC(dir, type, nr, size), arg);
	e = ret < 0 ? errno : 0;
	call_end();
	check_errno(OP_RAW, e, "random ioctl");
	if (ret > 0 && fd == ctl && type == KMBOX_IOC_MAGIC &&
	    (nr == _IOC_NR(KMBOX_IOC_CREATE) || nr == _IOC_NR(KMBOX_IOC_OPEN) ||
	     nr == _IOC_NR(KMBOX_IOC_PORT_OPEN)))
		close(ret);
	else if (ret > 0 && fd == ctl && type == KMBOX_IOC_MAGIC &&
		 nr == _IOC_NR(KMBOX_IOC_LIST))
		;	/* a count of ids */
	else if (ret > 0 && fd == ctl)
		violation(C_DISPATCH, "ioctl %#x on the control device returned %ld",
			  _IOC(dir, type, nr, size), ret);
	h_put(slot);
}

void op_unload(void)
{
	int e;

	stat_add(ST_UNLOADS, 1);
	call_begin(OP_UNLOAD, slack_ns(), "delete_module kmbox");
	e = syscall(SYS_delete_module, "kmbox", pct(80) ? O_NONBLOCK : 0) ? errno : 0;
	call_end();
	check_errno(OP_UNLOAD, e, "delete_module");
	if (!e) {
		violation(C_UNLOAD, "delete_module(\"kmbox\") succeeded while handles are open");
		atomic_store(&S->stop, 1);
	}
}

void op_devopen(void)
{
	struct kmbox_limits l;
	struct kmbox_create c = {
		.access = KMBOX_ACCESS_ALL, .capacity = 1, .mode = 0600 };
	int fd, e, m;

	fd = open(KMBOX_DEVICE, pct(50) ? O_RDWR : O_RDONLY);
	e = fd < 0 ? errno : 0;
	check_errno(OP_DEVOPEN, e, "open /dev/kmbox");
	if (fd < 0)
		return;
	memset(&l, 0, sizeof(l));
	if (ioctl(fd, KMBOX_IOC_LIMITS, &l))
		violation(C_VALID, "LIMITS on a new /dev/kmbox: %s", ename(errno));
	m = ioctl(fd, KMBOX_IOC_CREATE, &c);
	close(fd);
	if (m >= 0) {
		/* outlives the device descriptor it came from */
		if (write(m, "", 0) != 0 && errno != ENOBUFS)
			violation(C_VALID, "write to a mailbox made through a closed /dev/kmbox: %s",
				  ename(errno));
		close(m);
	} else if (errno != ENOSPC && errno != ENOMEM && errno != EINVAL) {
		violation(C_VALID, "CREATE on a new /dev/kmbox: %s", ename(errno));
	}
}

/* ---- /proc/kmbox ------------------------------------------------------------ */

#define PROC_HEADER "id name capacity max_msg_size uid gid mode state msgs bytes sent received dropped senders receivers"

static bool pid_list(const char *s)
{
	if (!strcmp(s, "-"))
		return true;
	for (; *s; s++)
		if ((*s < '0' || *s > '9') && *s != ',')
			return false;
	return true;
}

/* Check one line of /proc/kmbox; false (and a violation) if it is wrong. */
static bool proc_line(const char *line)
{
	unsigned long long id, size, msgs, bytes, sent, received, dropped;
	char name[1100], cap[32], state[16], snd[600], rcv[600];
	unsigned int uid, gid, mode;
	int n;

	n = sscanf(line, "%llu %1099s %31s %llu %u %u %o %15s %llu %llu %llu %llu %llu %599s %599s",
		   &id, name, cap, &size, &uid, &gid, &mode, state, &msgs, &bytes, &sent,
		   &received, &dropped, snd, rcv);
	if (n != 15 || (strcmp(cap, "unbounded") && strspn(cap, "0123456789") != strlen(cap)) ||
	    (strcmp(state, "open") && strcmp(state, "closed") && strcmp(state, "destroyed")) ||
	    mode & ~0777U || !pid_list(snd) || !pid_list(rcv) ||
	    sent < received + dropped + msgs || (!msgs && bytes) ||
	    (!strcmp(state, "destroyed") && (msgs || strcmp(name, "-")))) {
		violation(C_INFO, "/proc/kmbox line (%d fields): %.300s", n, line);
		return false;
	}
	return true;
}

/* Read /proc/kmbox whole, while mailboxes come and go, and check it. */
void op_proc(void)
{
	static __thread char buf[65536];
	char *line, *save;
	ssize_t n, len = 0;
	int fd, e = 0;

	call_begin(OP_PROC, slack_ns(), "read /proc/kmbox");
	fd = open("/proc/kmbox", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
	} else {
		/* small reads too: the seq_file restarts in the middle */
		while (len < (ssize_t)sizeof(buf) - 1 &&
		       (n = read(fd, buf + len, pct(30) ? 1 + below(200) :
				 sizeof(buf) - 1 - len)) > 0)
			len += n;
		if (n < 0)
			e = errno;
		close(fd);
	}
	call_end();
	check_errno(OP_PROC, e, "/proc/kmbox");
	if (fd < 0 || e)
		return;
	buf[len] = '\0';
	line = strtok_r(buf, "\n", &save);
	/* Fields are only ever appended: the known ones come first. */
	if (!line || strncmp(line, PROC_HEADER, strlen(PROC_HEADER)) ||
	    (line[strlen(PROC_HEADER)] && line[strlen(PROC_HEADER)] != ' ')) {
		violation(C_INFO, "/proc/kmbox header: %.200s", line ? line : "(none)");
		return;
	}
	while ((line = strtok_r(NULL, "\n", &save)))
		if (!proc_line(line))
			break;
}
