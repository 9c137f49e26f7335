// SPDX-License-Identifier: GPL-2.0-only
/*
 * Administration of mailboxes by id, whether or not they have a name:
 * stat, destroy and list by id on the control device, and the fdinfo of a
 * handle, which tells which mailbox a process holds.
 *
 * Every lookup of a mailbox by id and every listing goes through
 * kmbox_visible() (ns.c), the one place that decides which mailboxes a
 * caller may see: those of its IPC namespace.
 */
#include <linux/limits.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kmbox.h"

static bool kmbox_nonzero(const void *p, size_t size)
{
	return memchr_inv(p, 0, size);
}

/*
 * The mailbox with this id, with a reference the caller drops with
 * kmbox_put, or ERR_PTR(-ENOENT).  A mailbox whose last reference is
 * being dropped is still on kmbox_all until kmbox_release takes it off:
 * kref_get_unless_zero passes over it.
 */
struct kmbox *kmbox_get_by_id(u64 id)
{
	struct kmbox *mb, *found = ERR_PTR(-ENOENT);

	mutex_lock(&kmbox_all_lock);
	list_for_each_entry(mb, &kmbox_all, all) {
		if (mb->id == id) {
			if (kmbox_visible(mb) && kref_get_unless_zero(&mb->ref))
				found = mb;
			break;
		}
	}
	mutex_unlock(&kmbox_all_lock);
	return found;
}

/*
 * Stores in ids[] the smallest ids above cursor, ascending, at most max of
 * them, and returns how many.  kmbox_all is in creation order, which is not
 * quite id order (an id is taken before the mailbox is charged and listed),
 * so ids[] is kept sorted as they come: nearly always at its end.
 */
unsigned int kmbox_list_ids(u64 cursor, u64 *ids, unsigned int max)
{
	unsigned int n = 0, i;
	struct kmbox *mb;

	if (!max)
		return 0;
	mutex_lock(&kmbox_all_lock);
	list_for_each_entry(mb, &kmbox_all, all) {
		if (mb->id <= cursor || !kmbox_visible(mb))
			continue;
		if (n == max && mb->id >= ids[n - 1])
			continue;
		if (n < max)
			n++;
		/* Make room at its place, dropping the biggest when full. */
		for (i = n - 1; i > 0 && ids[i - 1] > mb->id; i--)
			ids[i] = ids[i - 1];
		ids[i] = mb->id;
	}
	mutex_unlock(&kmbox_all_lock);
	return n;
}

/*
 * KMBOX_IOC_LIST: the ids go to userspace in chunks of at most this many,
 * gathered under kmbox_all_lock and copied out after it is dropped (a
 * fault must not stall every create and open).
 */
#define KMBOX_LIST_CHUNK	(PAGE_SIZE / sizeof(u64))

long kmbox_admin_list(struct kmbox_list *l)
{
	u64 __user *uids = u64_to_user_ptr(l->ids);
	unsigned int want, n, done = 0;
	u64 cursor = l->cursor;
	long ret = 0;
	u64 *buf;

	if (l->flags || kmbox_nonzero(l->__reserved, sizeof(l->__reserved)))
		return -EINVAL;
	/* The count is also the return value of ioctl(2), an int. */
	l->count = min_t(u32, l->count, INT_MAX);
	if (!l->count)
		return 0;
	buf = kmalloc_array(min_t(size_t, l->count, KMBOX_LIST_CHUNK), sizeof(*buf),
			    GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (done < l->count) {
		want = min_t(size_t, l->count - done, KMBOX_LIST_CHUNK);
		n = kmbox_list_ids(cursor, buf, want);
		if (n && copy_to_user(uids + done, buf, n * sizeof(*buf))) {
			ret = -EFAULT;
			goto out_free;
		}
		done += n;
		if (n < want)
			break;
		cursor = buf[n - 1];
		cond_resched();
	}
	l->count = done;
	ret = done;
out_free:
	kfree(buf);
	return ret;
}

/* KMBOX_IOC_STAT_ID: info->id in; the rest out, as INFO without a handle. */
long kmbox_admin_stat_id(struct kmbox_info *info)
{
	struct kmbox *mb;

	if (info->flags || info->__reserved0 ||
	    kmbox_nonzero(info->__reserved, sizeof(info->__reserved)))
		return -EINVAL;
	mb = kmbox_get_by_id(info->id);
	if (IS_ERR(mb))
		return PTR_ERR(mb);
	memset(info, 0, sizeof(*info));
	kmbox_get_info(mb, info);
	kmbox_get_waiters(mb, info);
	kmbox_put(mb);
	return 0;
}

/*
 * KMBOX_IOC_DESTROY_ID: KMBOX_IOC_DESTROY without a handle, with its
 * permission check (the owner, or CAP_IPC_OWNER); our reference stands in
 * for the handle's while it runs.
 */
long kmbox_admin_destroy_id(const struct kmbox_destroy_id *d)
{
	struct kmbox *mb;
	long ret;

	if (d->flags || d->__reserved0 ||
	    kmbox_nonzero(d->__reserved, sizeof(d->__reserved)))
		return -EINVAL;
	mb = kmbox_get_by_id(d->id);
	if (IS_ERR(mb))
		return PTR_ERR(mb);
	ret = kmbox_destroy(mb);
	kmbox_put(mb);
	return ret;
}

/*
 * The pids of the tasks blocked in mb, with the counts read at the same
 * instant (they overwrite what kmbox_get_info read a moment before, so
 * that counts and pids agree).
 */
void kmbox_get_waiters(struct kmbox *mb, struct kmbox_info *info)
{
	struct kmbox_receiver *rcv;
	struct kmbox_sleeper *sl;

	info->nsenders = 0;
	info->nreceivers = 0;
	spin_lock(&mb->lock);
	info->senders_waiting = mb->nr_senders;
	info->receivers_waiting = mb->nr_receivers + mb->nr_peekers;
	list_for_each_entry(sl, &mb->sleepers, link) {
		if (sl->sender && info->nsenders < KMBOX_INFO_PIDS)
			info->senders[info->nsenders++] = task_tgid_vnr(sl->task);
		else if (!sl->sender && info->nreceivers < KMBOX_INFO_PIDS)
			info->receivers[info->nreceivers++] = task_tgid_vnr(sl->task);
	}
	list_for_each_entry(rcv, &mb->receivers, link) {
		if (info->nreceivers == KMBOX_INFO_PIDS)
			break;
		info->receivers[info->nreceivers++] = task_tgid_vnr(rcv->task);
	}
	spin_unlock(&mb->lock);
}

/*
 * A mailbox's name for a line of text, as /proc/kmbox writes it: "-" when
 * it has none (anonymous or unlinked); space, tab, newline and backslash
 * as octal escapes; a name that is just "-" as \055.  mb->lock held.
 */
void kmbox_seq_name(struct seq_file *m, const struct kmbox *mb)
{
	if (!mb->linked)
		seq_puts(m, "-");
	else if (!strcmp(mb->name, "-"))
		seq_puts(m, "\\055");	/* not to be taken for anonymous */
	else
		seq_escape(m, mb->name, " \t\n\\");
}

/*
 * /proc/PID/fdinfo/FD of a handle: which mailbox it is, so that an
 * administrator can find who holds an anonymous or unlinked mailbox and
 * then stat or destroy it by id.
 */
void kmbox_show_fdinfo(struct seq_file *m, struct file *file)
{
	bool can_recv = file->f_mode & FMODE_READ;
	bool can_send = file->f_mode & FMODE_WRITE;
	struct kmbox_handle *h = file->private_data;
	struct kmbox *mb = h->mb;

	seq_printf(m, "kmbox-id:\t%llu\nkmbox-name:\t", mb->id);
	spin_lock(&mb->lock);
	kmbox_seq_name(m, mb);
	spin_unlock(&mb->lock);
	seq_printf(m, "\nkmbox-access:\t%s%s%s\n", can_recv ? "recv" : "",
		   can_recv && can_send ? "," : "", can_send ? "send" : "");
	seq_puts(m, "kmbox-port:\t");
	kmbox_seq_port(m, mb);
	seq_puts(m, h->port_owner ? " owner\n" : "\n");
}
