// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ports: mailboxes bound to a process, for direct communication.
 *
 * A port is an anonymous mailbox made by KMBOX_CREATE_PORT.  It records
 * the creator's thread group (a referenced struct pid, never changed) and
 * is owned by the handle CREATE returned: when that file is released (by
 * close in every process holding it, or at their exit: modules get no
 * exit notifier, the file's release is the hook) the port is destroyed.
 * Others reach it with KMBOX_IOC_PORT_OPEN, naming the process by pid and
 * the port by its id.  Ids are never reused while the module is loaded,
 * so a pid that now names another process never matches: struct pids are
 * compared, not numbers.
 *
 * Passing the owning handle to another process (SCM_RIGHTS, fork) keeps
 * the port alive for as long as any process holds that file, but the
 * port stays bound to its creator: its pid is not the holder's, and once
 * the creator has exited nobody can open it by pid any more.
 */
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#include "kmbox.h"

/*
 * CREATE with KMBOX_CREATE_PORT: a port has no name (it is found by pid
 * and id), and the handle that owns it must be able to receive, as no
 * other handle to it ever can.
 */
int kmbox_port_check_create(const struct kmbox_create *c)
{
	if (c->name || !(c->access & KMBOX_ACCESS_RECV))
		return -EINVAL;
	return 0;
}

/* Makes a mailbox being created by the current task a port of its process. */
void kmbox_port_bind(struct kmbox *mb)
{
	mb->create_flags |= KMBOX_CREATE_PORT | KMBOX_CREATE_SELECT;
	mb->port_pid = get_pid(task_tgid(current));
}

/*
 * Does pid, as the caller's pid namespace numbers it, name a process (a
 * thread-group leader, not one of its other threads)?  Returns it
 * referenced, or NULL.
 */
static struct pid *kmbox_port_process(pid_t nr)
{
	struct pid *pid = find_get_pid(nr);

	if (pid && !pid_has_task(pid, PIDTYPE_TGID)) {
		put_pid(pid);
		pid = NULL;
	}
	return pid;
}

/*
 * KMBOX_IOC_PORT_OPEN's lookup: the port po names, with a reference the
 * caller drops with kmbox_put, checked for send access.  The mailbox is
 * looked up by id as every lookup by id is (kmbox_get_by_id: only the
 * caller's IPC namespace), and must be a port of that very process, not
 * destroyed.  Anything else is ECONNREFUSED: nothing listens there.  The
 * port may still be destroyed right after; the handle then gets EIDRM as
 * any handle to a destroyed mailbox.
 */
long kmbox_port_find(const struct kmbox_port_open *po, struct kmbox **mbp)
{
	struct kmbox *mb;
	struct pid *pid;
	bool alive;
	long ret;

	if (po->pid <= 0)
		return -EINVAL;
	pid = kmbox_port_process(po->pid);
	if (!pid)
		return -ESRCH;
	mb = kmbox_get_by_id(po->port);
	if (IS_ERR(mb)) {
		ret = -ECONNREFUSED;
		goto out_put_pid;
	}
	spin_lock(&mb->lock);
	alive = mb->state != KMBOX_STATE_DESTROYED;
	spin_unlock(&mb->lock);
	if (!alive || !mb->port_pid || mb->port_pid != pid) {
		ret = -ECONNREFUSED;
		goto out_put_mb;
	}
	ret = kmbox_permission(mb, KMBOX_ACCESS_SEND);
	if (ret)
		goto out_put_mb;
	*mbp = mb;
	goto out_put_pid;

out_put_mb:
	kmbox_put(mb);
out_put_pid:
	put_pid(pid);
	return ret;
}

/*
 * The owning handle of a port is being released: nobody can receive from
 * the port any more, so it goes as by KMBOX_IOC_DESTROY, without that
 * call's permission check (the owner is going away, whoever holds the
 * file last).  It may have been destroyed already.
 */
void kmbox_port_release(struct kmbox_handle *h)
{
	kmbox_destroy_unchecked(h->mb);
}

/*
 * A port's process as the current task's pid namespace numbers it: 0 for
 * a mailbox that is not a port, for a process not visible there, and for
 * one that has exited (its number may name another process by now).
 */
pid_t kmbox_port_pid_vnr(const struct kmbox *mb)
{
	if (!mb->port_pid || !pid_has_task(mb->port_pid, PIDTYPE_TGID))
		return 0;
	return pid_vnr(mb->port_pid);
}

/*
 * The port field of /proc/kmbox and of a handle's fdinfo: "-" for a
 * mailbox that is not a port, else kmbox_port_pid_vnr's pid.
 */
void kmbox_seq_port(struct seq_file *m, const struct kmbox *mb)
{
	if (mb->port_pid)
		seq_printf(m, "%d", kmbox_port_pid_vnr(mb));
	else
		seq_putc(m, '-');
}
