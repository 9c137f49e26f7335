/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kmbox internals.
 *
 * Objects:
 *  - struct kmbox: a mailbox.  Reference counted: one reference per open
 *    handle (file), one held by the name table while the name is linked,
 *    and short-lived ones taken by lookups.
 *  - struct kmbox_msg: one message.  Reference counted: one reference for
 *    whoever holds it in the mailbox (the queue, or the receiver that took
 *    it off the queue), one for a sender waiting to learn its fate, and
 *    short-lived ones taken by peek.  The payload never changes once queued.
 *  - struct kmbox_user: per-uid accounting of mailboxes owned and bytes
 *    queued, shared by every mailbox and message charged to that uid.
 *
 * Lock order (outer first):
 *   kmbox_names_lock (mutex)  ->  kmbox_all_lock (mutex)  ->  kmbox.lock
 *   (spinlock)  ->  kmbox.wq's lock and scheduler locks (wake_up_all,
 *   wake_up_process).
 *   kmbox_users_lock (spinlock) is taken alone or inside kmbox_names_lock,
 *   and takes nothing.
 *
 * Nothing that may sleep runs under kmbox.lock: messages are allocated,
 * filled and copied out outside it, and freed (kmbox_msg_put) only after
 * it is dropped.  Wake-ups that can wait go after the unlock; the task a
 * hand-off or verdict is addressed to, and waiters that must see a change
 * before the waker itself sleeps, are woken under it.
 */
#ifndef _KMBOX_H
#define _KMBOX_H

#include <linux/hashtable.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>

#include <linux/kmbox.h>

#include "compat.h"

/* Hard ceiling on the max_msg_size parameter: a length always fits an int. */
#define KMBOX_MSG_SIZE_CEILING	(64U << 20)

/* Module parameters (main.c), read with READ_ONCE at each use. */
extern unsigned int kmbox_max_msg_size;
extern unsigned int kmbox_default_msg_size;
extern unsigned long kmbox_max_capacity;
extern unsigned long kmbox_max_mailboxes_per_user;
extern unsigned long kmbox_max_bytes_per_user;

struct kmbox_user {
	struct hlist_node node;		/* in kmbox_users, kmbox_users_lock */
	kuid_t uid;
	refcount_t ref;
	atomic_long_t mailboxes;	/* mailboxes this uid owns */
	atomic_long_t bytes;		/* charge of its messages alive */
};

/* A sender blocked until a receiver takes its message, on its stack. */
struct kmbox_sender {
	struct task_struct *task;
	int result;			/* 1 while pending, then 0 or -errno */
};

/*
 * A sender asleep in send (waiting for room or for its message to be
 * taken), or a receiver asleep in peek, on its stack: listed for
 * introspection only.
 */
struct kmbox_sleeper {
	struct list_head link;		/* in kmbox.sleepers */
	struct task_struct *task;
	bool sender;
};

/* A receiver blocked in receive, on its stack. */
struct kmbox_receiver {
	struct list_head link;		/* in kmbox.receivers */
	struct task_struct *task;
	struct kmbox_msg *msg;		/* handed over by a sender */
};

struct kmbox_msg {
	struct list_head link;		/* in kmbox.queue while queued */
	refcount_t ref;
	bool inflight;			/* taken by a receiver, not yet done */
	bool withdrawn;			/* its sender gave up while in flight */
	struct kmbox_sender *sender;	/* waiting sender, or NULL */
	struct kmbox_user *user;	/* charged msg_charge(len) */
	struct pid *pid;		/* sender's thread group */
	kuid_t uid;			/* sender's euid and egid */
	kgid_t gid;
	size_t len;
	u8 data[];
};

struct kmbox {
	struct kref ref;
	u64 id;
	struct list_head all;		/* in kmbox_all, kmbox_all_lock */

	/* Set at creation, never changed. */
	u64 capacity;
	u32 max_msg_size;
	umode_t mode;
	kuid_t uid;
	kgid_t gid;
	struct kmbox_user *owner;	/* charged one mailbox */

	/*
	 * name_node is under kmbox_names_lock; linked changes under both
	 * kmbox_names_lock and lock, and is read under either.  name is
	 * freed with the mailbox.
	 */
	struct hlist_node name_node;
	bool linked;			/* name is in the name table */
	char *name;			/* NULL if created anonymous */

	/* lock protects everything below. */
	spinlock_t lock;
	u32 state;			/* KMBOX_STATE_* */
	struct list_head queue;		/* kmbox_msg, oldest first */
	u64 nr_msgs;
	u64 nr_bytes;
	struct list_head receivers;	/* kmbox_receiver, first come first */
	u32 nr_receivers;
	u32 nr_inflight;		/* messages receivers are copying out */
	struct list_head sleepers;	/* kmbox_sleeper */
	u32 nr_senders;			/* senders asleep in send */
	u32 nr_peekers;			/* receivers asleep in peek */
	u64 sent;
	u64 received;
	u64 dropped;

	/*
	 * Woken after any change a sleeper other than a hand-off target may
	 * wait for: room in the queue, a message queued, a receiver arriving
	 * (POLLOUT at capacity 0), close and destroy.  Pollers, peekers and
	 * senders waiting for room sleep here.
	 */
	wait_queue_head_t wq;
};

/* How long a send or receive may wait. */
struct kmbox_deadline {
	bool nonblock;
	bool timed;
	bool relative;			/* timed from the call: never restarted */
	ktime_t expires;		/* CLOCK_MONOTONIC, when timed */
};

/* What a receive reports besides the length. */
struct kmbox_recv_result {
	size_t len;			/* message length, also on -EMSGSIZE */
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/* user.c */
struct kmbox_user *kmbox_user_get(kuid_t uid);
void kmbox_user_put(struct kmbox_user *user);
bool kmbox_user_charge(atomic_long_t *counter, long amount, long limit);
void kmbox_users_exit(void);

/* main.c */
u32 kmbox_msg_size_limit(void);
void kmbox_get_limits(struct kmbox_limits *limits);

/* mbox.c */
extern const struct file_operations kmbox_mbox_fops;
long kmbox_create(const struct kmbox_create *args, const char *name,
		  struct kmbox **mbp, bool *created);
long kmbox_open_name(const char *name, u32 access, struct kmbox **mbp);
long kmbox_unlink_name(const char *name);
long kmbox_close(struct kmbox *mb);
long kmbox_destroy(struct kmbox *mb);
void kmbox_get_info(struct kmbox *mb, struct kmbox_info *info);
void kmbox_forget(struct kmbox *mb);
void kmbox_put(struct kmbox *mb);
void kmbox_names_exit(void);
void kmbox_wake(struct kmbox *mb);
void kmbox_wake_receivers(struct kmbox *mb);

/* admin.c: by id, for mailboxes with or without a name; fdinfo. */
struct seq_file;
struct kmbox *kmbox_get_by_id(u64 id);
unsigned int kmbox_list_ids(u64 cursor, u64 *ids, unsigned int max);
long kmbox_admin_list(struct kmbox_list *l);
long kmbox_admin_stat_id(struct kmbox_info *info);
long kmbox_admin_destroy_id(const struct kmbox_destroy_id *d);
void kmbox_get_waiters(struct kmbox *mb, struct kmbox_info *info);
void kmbox_seq_name(struct seq_file *m, const struct kmbox *mb);
void kmbox_show_fdinfo(struct seq_file *m, struct file *file);

/* procfs.c: /proc/kmbox lists kmbox_all. */
extern struct mutex kmbox_all_lock;
extern struct list_head kmbox_all;
int kmbox_proc_init(void);
void kmbox_proc_exit(void);

/* msg.c */
size_t kmbox_msg_charge(size_t len);
void kmbox_msg_put(struct kmbox_msg *msg);
void kmbox_msg_unqueue(struct kmbox *mb, struct kmbox_msg *msg);
void kmbox_fail_senders(struct kmbox *mb, int result);
void kmbox_drop_queue(struct kmbox *mb, struct list_head *list);
void kmbox_put_msgs(struct list_head *list);
int kmbox_deadline_init(struct kmbox_deadline *dl, u32 mode, s64 timeout_ns);
long kmbox_send(struct kmbox *mb, struct iov_iter *from, bool sync,
		const struct kmbox_deadline *dl);
bool kmbox_send_ready(const struct kmbox *mb);
bool kmbox_drained(const struct kmbox *mb);
long kmbox_recv(struct kmbox *mb, struct iov_iter *to, bool peek,
		const struct kmbox_deadline *dl, struct kmbox_recv_result *res);

/* ioctl.c */
long kmbox_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long kmbox_mbox_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* _KMBOX_H */
