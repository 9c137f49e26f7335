// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/kmbox: every mailbox of the reader's IPC namespace (the one its
 * opener was in at open), one line each, for ipcs-style tools.
 *
 * The format is stable: a header line naming the columns, then one line
 * per mailbox with these space-separated fields:
 *
 *   id name capacity max_msg_size uid gid mode state msgs bytes
 *   sent received dropped senders receivers port
 *
 * name is "-" for an anonymous or unlinked mailbox, else the name with
 * space, tab, newline and backslash escaped as octal (\040 ...), and a
 * name that is just "-" written \055; capacity
 * is a number or "unbounded"; mode is octal; state is open, closed or
 * destroyed; uid and gid are in the reader's user namespace; senders and
 * receivers are the pids (in the reader's pid namespace) of the tasks
 * blocked in send, and in receive or peek, comma-separated, or "-"; port
 * is "-" for a mailbox that is not a port, else the pid of the port's
 * process in the reader's pid namespace (0 if not visible there or
 * exited).
 * Fields are only ever appended.
 */
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "kmbox.h"

/* kmbox_all_lock protects kmbox_all, the list of every charged mailbox. */
DEFINE_MUTEX(kmbox_all_lock);
LIST_HEAD(kmbox_all);

static const char *const kmbox_state_names[] = {
	[KMBOX_STATE_OPEN] = "open",
	[KMBOX_STATE_CLOSED] = "closed",
	[KMBOX_STATE_DESTROYED] = "destroyed",
};

static void *kmbox_seq_start(struct seq_file *m, loff_t *pos)
{
	mutex_lock(&kmbox_all_lock);
	return seq_list_start_head(&kmbox_all, *pos);
}

static void *kmbox_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	return seq_list_next(v, &kmbox_all, pos);
}

static void kmbox_seq_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&kmbox_all_lock);
}

/* Prints one pid of a list, after a comma unless it is the first. */
static void kmbox_seq_pid(struct seq_file *m, struct task_struct *task, bool *first)
{
	seq_printf(m, "%s%d", *first ? " " : ",", task_tgid_vnr(task));
	*first = false;
}

/* The tasks blocked in send (sender) or in receive and peek.  mb->lock held. */
static void kmbox_seq_pids(struct seq_file *m, struct kmbox *mb, bool sender)
{
	struct kmbox_receiver *rcv;
	struct kmbox_sleeper *sl;
	bool first = true;

	list_for_each_entry(sl, &mb->sleepers, link)
		if (sl->sender == sender)
			kmbox_seq_pid(m, sl->task, &first);
	if (!sender)
		list_for_each_entry(rcv, &mb->receivers, link)
			kmbox_seq_pid(m, rcv->task, &first);
	if (first)
		seq_puts(m, " -");
}

static int kmbox_seq_show(struct seq_file *m, void *v)
{
	struct kmbox_ns *ns_of_reader = m->private;
	struct user_namespace *ns = seq_user_ns(m);
	struct kmbox *mb;

	if (v == &kmbox_all) {
		seq_puts(m, "id name capacity max_msg_size uid gid mode state msgs bytes sent received dropped senders receivers port\n");
		return 0;
	}
	mb = list_entry(v, struct kmbox, all);
	if (mb->ns != ns_of_reader)
		return SEQ_SKIP;
	spin_lock(&mb->lock);
	seq_printf(m, "%llu ", mb->id);
	kmbox_seq_name(m, mb);
	if (mb->capacity == KMBOX_CAPACITY_UNBOUNDED)
		seq_puts(m, " unbounded");
	else
		seq_printf(m, " %llu", mb->capacity);
	seq_printf(m, " %u %u %u %04o %s %llu %llu %llu %llu %llu",
		   mb->max_msg_size, from_kuid_munged(ns, mb->uid),
		   from_kgid_munged(ns, mb->gid), mb->mode,
		   kmbox_state_names[mb->state], mb->nr_msgs, mb->nr_bytes,
		   mb->sent, mb->received, mb->dropped);
	kmbox_seq_pids(m, mb, true);
	kmbox_seq_pids(m, mb, false);
	spin_unlock(&mb->lock);
	seq_putc(m, ' ');
	kmbox_seq_port(m, mb);
	seq_putc(m, '\n');
	return 0;
}

static const struct seq_operations kmbox_seq_ops = {
	.start = kmbox_seq_start,
	.next = kmbox_seq_next,
	.stop = kmbox_seq_stop,
	.show = kmbox_seq_show,
};

/* The file shows the opener's namespace, as /proc/sysvipc does. */
static int kmbox_proc_open(struct inode *inode, struct file *file)
{
	struct kmbox_ns *ns = kmbox_ns_get();
	int ret;

	if (!ns)
		return -ENOMEM;
	ret = seq_open(file, &kmbox_seq_ops);
	if (ret) {
		kmbox_ns_put(ns);
		return ret;
	}
	((struct seq_file *)file->private_data)->private = ns;
	return 0;
}

static int kmbox_proc_release(struct inode *inode, struct file *file)
{
	struct kmbox_ns *ns = ((struct seq_file *)file->private_data)->private;

	kmbox_ns_put(ns);
	return seq_release(inode, file);
}

static const struct proc_ops kmbox_proc_ops = {
	.proc_open = kmbox_proc_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = kmbox_proc_release,
};

int kmbox_proc_init(void)
{
	return proc_create("kmbox", 0444, NULL, &kmbox_proc_ops) ? 0 : -ENOMEM;
}

void kmbox_proc_exit(void)
{
	remove_proc_entry("kmbox", NULL);
}
