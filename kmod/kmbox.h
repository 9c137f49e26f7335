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
 *  - struct kmbox_call_slot (call.c): the one-shot reply slot of a call.
 *    Reference counted: one reference for its caller, one for the handle
 *    that took the call, while it is in that handle's table.  Its state is
 *    under the lock of the mailbox the call went through.
 *  - struct kmbox_user: accounting of mailboxes owned and bytes queued for
 *    one uid as seen from one user namespace, shared by every mailbox and
 *    message charged to it.  Reference counted: one per mailbox it owns,
 *    one per message it sent, one per level below it, and short-lived ones.
 *  - struct kmbox_ns: an IPC namespace that has mailboxes, with its name
 *    table (ns.c).  Reference counted: one reference while it is live (on
 *    kmbox_namespaces), one per mailbox in it, one per open /proc/kmbox.
 *    A live one holds a reference to its IPC namespace.
 *
 * Accounting (what is charged to whom):
 *  - A mailbox is charged, from its creation until it is freed, to its
 *    creator: the fsuid in the user namespace of the creating task's
 *    credentials.  A message is charged msg_charge(len), from its send
 *    until it is freed, to its sender: the euid in the user namespace of
 *    the sending task's credentials (write(2) is refused to a task whose
 *    effective ids are not the opener's: kmbox_writer_is_opener).
 *  - A charge made in user namespace N to uid is made to (N, uid) and then
 *    to (N->parent, N->owner), and so on up to init_user_ns: whoever owns
 *    a namespace pays for everything the ids mapped into it (and into the
 *    namespaces they own in turn) hold, as the kernel's ucounts do for
 *    RLIMIT_MSGQUEUE.  Every level must stay within max_mailboxes_per_user
 *    (else ENOSPC) and max_bytes_per_user (else ENOBUFS); a charge that
 *    would take one past it is undone at every level.  So no one gets more
 *    than one budget by mapping many ids into a user namespace.  The one
 *    exception: the chain ends at a namespace the initial namespace's root
 *    made (a root container runtime's), whose ids keep budgets of their
 *    own rather than all share root's (user.c).
 *  - What a mailbox or message was charged to is recorded (kmbox.owner,
 *    kmbox_msg.user) and given back to exactly that chain: a kmbox_user
 *    holds references to its namespace and to its parent level.
 *
 * Namespaces (written rule): a name is looked up, created and unlinked
 * only in the caller's IPC namespace; /proc/kmbox and lookups by id show
 * only the mailboxes of the reader's; privilege over a mailbox
 * (CAP_IPC_OWNER) is checked in the user namespace owning the mailbox's
 * IPC namespace (kmbox_ns_capable), never with capable().  No table is
 * keyed by a namespace kmbox does not hold: see ns.c.
 *
 * Lock order (outer first):
 *   kmbox_names_lock (mutex)  ->  kmbox_all_lock (mutex)  ->  kmbox.lock
 *   (spinlock)  ->  kmbox.wq's and kmbox.send_wq's locks (taken by
 *   prepare_to_wait under kmbox.lock) and scheduler locks
 *   (wake_up_process on the rare paths below).
 *   kmbox_users_lock (spinlock) is taken alone or inside kmbox_names_lock,
 *   and takes nothing (a user's namespace reference is dropped after it).
 *   A receive FROM a process also waits on that process's
 *   pid->wait_pidfd, whose lock is taken alone: the entry is added before
 *   kmbox.lock is taken and removed after it is dropped (kmbox_recv).
 *
 * Nothing that may sleep runs under kmbox.lock: messages are allocated
 * and filled outside it, and freed (kmbox_msg_put) only after it is
 * dropped.  A short message is copied out under it with page faults
 * disabled (kmbox_recv_locked), which never sleeps, also on PREEMPT_RT:
 * a copy that would fault comes back short and the receiver copies
 * outside the lock instead.
 *
 * A call's slot is under kmbox.lock too: the handle that takes the call
 * is a handle of the same mailbox, so the call adds no lock.
 *
 * Wake-ups go after the unlock (struct kmbox_wakes), the wait queues'
 * only when someone sleeps there: a sleeper tests its condition and
 * queues itself under kmbox.lock, so the waker's unlock orders its change
 * before its wq_has_sleeper() test.  The task a hand-off or verdict is
 * addressed to sleeps on its own stack and may leave as soon as it sees
 * the news under the lock: the waker holds a reference to it until the
 * wake-up is done.  Close, destroy, end of drain, putting a message back
 * and releasing a handle with calls pending (all rare) still wake their
 * receivers, senders and callers under the lock.
 */
#ifndef _KMBOX_H
#define _KMBOX_H

#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>

#include <linux/kmbox.h>

#include "compat.h"

struct cred;
struct iov_iter;
struct kmbox_call_slot;
struct page;
struct ipc_namespace;
struct user_namespace;

/* Hard ceiling on the max_msg_size parameter: a length always fits an int. */
#define KMBOX_MSG_SIZE_CEILING	(64U << 20)

/* Module parameters (main.c), read with READ_ONCE at each use. */
extern unsigned int kmbox_max_msg_size;
extern unsigned int kmbox_default_msg_size;
extern unsigned long kmbox_max_capacity;
extern unsigned long kmbox_max_mailboxes_per_user;
extern unsigned long kmbox_max_bytes_per_user;

struct user_namespace;

enum kmbox_quota {
	KMBOX_QUOTA_MAILBOXES,		/* mailboxes owned */
	KMBOX_QUOTA_BYTES,		/* charge of messages alive */
	KMBOX_NR_QUOTAS
};

struct kmbox_user {
	struct hlist_node node;		/* in kmbox_users, kmbox_users_lock */
	struct user_namespace *ns;	/* counted */
	kuid_t uid;
	/* (ns->parent, ns->owner), counted; NULL in init_user_ns. */
	struct kmbox_user *parent;
	refcount_t ref;
	/* Charged here and below: see "Accounting" above. */
	atomic_long_t charged[KMBOX_NR_QUOTAS];
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

/* What a send says about its message besides the payload (NULL: none). */
struct kmbox_msg_opts {
	u32 prio;			/* KMBOX_CREATE_PRIO mailboxes */
	u64 tag;			/* KMBOX_CREATE_SELECT mailboxes */
};

/* A priority or tag the mailbox was not made for is bad input. */
static inline bool kmbox_msg_opts_valid(u32 create_flags,
					const struct kmbox_msg_opts *o)
{
	return o->prio <= KMBOX_PRIO_MAX &&
	       (!o->prio || create_flags & KMBOX_CREATE_PRIO) &&
	       (!o->tag || create_flags & KMBOX_CREATE_SELECT);
}

/* What a receive asks for (NULL: the next message, whatever it is). */
struct kmbox_recv_opts {
	u32 select;			/* KMBOX_RECV_TAG, _TAG_LE, _FROM */
	u64 tag;			/* TAG, TAG_LE */
	struct pid *pid;		/* FROM: a thread group; referenced */
};

/* A receiver blocked in receive, on its stack. */
struct kmbox_receiver {
	struct list_head link;		/* in kmbox.receivers */
	struct task_struct *task;
	const struct kmbox_recv_opts *ro; /* its selection, or NULL */
	struct kmbox_msg *msg;		/* handed over by a sender */
};

/*
 * What a mailbox's messages carry besides struct kmbox_msg, by its
 * KMBOX_CREATE_PRIO and KMBOX_CREATE_SELECT flags (kmbox.ix, kmbox_msg.ix).
 * A plain mailbox's carry nothing and pay nothing.
 */
enum kmbox_ix_kind {
	KMBOX_IX_NONE,			/* FIFO */
	KMBOX_IX_PRIO,			/* struct kmbox_msg_prio */
	KMBOX_IX_SELECT,		/* struct kmbox_msg_ix (with or without PRIO) */
};

/*
 * A message's index entries live in its allocation just before it
 * (msgbuf.c), so that a plain message's header does not grow: struct
 * kmbox_msg_prio right before it, and for a SELECT mailbox struct
 * kmbox_msg_sel before that (index.c).  Under kmbox.lock while queued.
 */
struct kmbox_msg_prio {
	struct rb_node node;		/* in by_prio while the last of its prio */
	u32 prio;			/* 0..KMBOX_PRIO_MAX */
};

struct kmbox_msg_sel {
	struct rb_node tag_node;	/* in by_tag */
	struct rb_node pid_node;	/* in by_pid */
	struct rb_node pid_tag_node;	/* in by_pid_tag */
	u64 tag;
};

struct kmbox_msg_ix {
	struct kmbox_msg_sel sel;
	struct kmbox_msg_prio prio;
};

/*
 * The indexes of a PRIO or SELECT mailbox's queue (index.c), under
 * kmbox.lock.  Within equal keys a tree keeps the queue's order (a message
 * queued last goes right of its equals, one put back left), so the first
 * of a key is the first of it in delivery order.
 */
struct kmbox_index {
	struct rb_root by_prio;		/* PRIO: the last message of each prio */
	struct rb_root_cached by_tag;	/* SELECT: by (tag, -prio) */
	struct rb_root by_pid;		/* SELECT: by (sender, -prio) */
	struct rb_root by_pid_tag;	/* SELECT: by (sender, tag, -prio) */
};

struct kmbox_msg {
	struct list_head link;		/* in kmbox.queue while queued */
	refcount_t ref;
	bool inflight;			/* taken by a receiver, not yet done */
	bool withdrawn;			/* its sender gave up while in flight */
	u8 ix;				/* enum kmbox_ix_kind: what precedes it */
	struct kmbox_sender *sender;	/* waiting sender, or NULL */
	struct kmbox_call_slot *call;	/* a call's request: its reply slot */
	struct kmbox_user *user;	/* charged msg_charge(len) */
	struct pid *pid;		/* sender's thread group */
	kuid_t uid;			/* sender's euid and egid */
	kgid_t gid;
	u32 len;			/* at most KMBOX_MSG_SIZE_CEILING */
	u32 charge;			/* to user's byte quota: msg_charge(len) */
	/*
	 * The payload: here, or in pages the vector at pages points to
	 * (msgbuf.c says which).  Nothing but msgbuf.c touches it.
	 */
	union {
		DECLARE_FLEX_ARRAY(u8, data);
		struct page **pages;
	};
};

/* An IPC namespace with kmbox state (ns.c). */
struct kmbox_ns {
	struct kref ref;
	struct list_head link;		/* in kmbox_namespaces while live */
	/*
	 * Which namespace: compared, never entered.  Cleared when it dies,
	 * under kmbox_names_lock and kmbox_all_lock; read under either.
	 */
	struct ipc_namespace *ipc_ns;
	struct ipc_namespace *held;	/* kmbox's reference, until freed */
	struct user_namespace *user_ns;	/* owns ipc_ns; referenced */
	DECLARE_HASHTABLE(names, 6);	/* kmbox.name_node, kmbox_names_lock */
};

struct kmbox {
	struct kref ref;
	u64 id;
	struct list_head all;		/* in kmbox_all, kmbox_all_lock */

	/* Set at creation, never changed. */
	u64 capacity;
	u32 max_msg_size;
	umode_t mode;
	bool owner_close;		/* KMBOX_CREATE_OWNER_CLOSE */
	/* KMBOX_CREATE_PRIO, _SELECT, _PORT, _OWNER_CLOSE (PORT adds SELECT). */
	u32 create_flags;
	/*
	 * A port's process (port.c): its creator's thread group, referenced
	 * until the mailbox is freed; NULL for a mailbox that is not a port.
	 */
	struct pid *port_pid;
	u8 ix;				/* enum kmbox_ix_kind of its messages */
	kuid_t uid;
	kgid_t gid;
	struct kmbox_user *owner;	/* charged one mailbox */
	struct kmbox_ns *ns;		/* its IPC namespace; referenced */

	/*
	 * name_node (in ns->names) is under kmbox_names_lock; linked
	 * changes under both
	 * kmbox_names_lock and lock, and is read under either.  name is
	 * freed with the mailbox.
	 */
	struct hlist_node name_node;
	bool linked;			/* name is in the name table */
	char *name;			/* NULL if created anonymous */

	/* lock protects everything below. */
	spinlock_t lock;
	u32 state;			/* KMBOX_STATE_* */
	/*
	 * Messages in delivery order: oldest first, and with
	 * KMBOX_CREATE_PRIO the highest priority first, FIFO within one.
	 * Receives take the head unless they select (index).
	 */
	struct list_head queue;
	struct kmbox_index index;	/* ix != KMBOX_IX_NONE */
	u64 nr_msgs;
	u64 nr_bytes;
	u64 nr_charged;			/* their charges: memory they pin */
	/*
	 * kmbox_receiver, first come first: a message goes to the first
	 * whose selection it matches.
	 */
	struct list_head receivers;
	u32 nr_receivers;
	u32 nr_inflight;		/* messages receivers are copying out */
	struct list_head sleepers;	/* kmbox_sleeper */
	u32 nr_senders;			/* senders asleep in send */
	u32 nr_peekers;			/* receivers asleep in peek */
	u64 sent;
	u64 received;
	u64 dropped;
	/* Calls taken by a handle and not yet answered (call.c). */
	struct hlist_head calls;
	u64 nr_calls;

	/*
	 * Pollers and peekers sleep on wq, woken with no poll key: handles
	 * of every access share wq, and a key is taken by io_uring as the
	 * poll result itself, so EPOLLIN would reach a send-only handle's
	 * poll.  Each poller looks again (kmbox_fop_poll).  Senders waiting for room in a bounded
	 * mailbox sleep on send_wq, exclusive: room for one message wakes
	 * one of them, and one that leaves without using the room (timeout,
	 * signal) passes the wake-up on.  Close and destroy wake everyone.
	 */
	wait_queue_head_t wq;
	wait_queue_head_t send_wq;
};

/*
 * Wake-ups a send or receive owes once it has dropped kmbox.lock (see the
 * top of this file).  task is referenced.
 */
struct kmbox_wakes {
	struct task_struct *task;	/* handed a message, or told its fate */
	bool msg;			/* a message queued: EPOLLIN */
	bool room;			/* room, or a receiver at capacity 0 */
	bool all;			/* state changed (end of drain) */
};

/*
 * An open handle: a mailbox file's private_data.  Set when the handle is
 * made, never changed, freed at release.
 */
struct kmbox_handle {
	struct kmbox *mb;		/* referenced */
	/*
	 * The opener's accounting (f_cred's euid in f_cred's user namespace),
	 * referenced: what every write(2), and every SEND by a task with the
	 * opener's ids, is charged to, found without a lookup.
	 */
	struct kmbox_user *sender;
	/* The handle CREATE made for a port: its release destroys the port. */
	bool port_owner;
	/*
	 * Calls taken through this handle and not answered yet, by reply id
	 * (call.c), under mb->lock; ids are never reused.
	 */
	DECLARE_HASHTABLE(calls, 4);
	u64 next_call;
};

static inline struct kmbox *kmbox_file_mbox(const struct file *file)
{
	return ((struct kmbox_handle *)file->private_data)->mb;
}

/* How long a send or receive may wait. */
struct kmbox_deadline {
	bool nonblock;
	bool timed;
	bool relative;			/* timed from the call: never restarted */
	ktime_t expires;		/* CLOCK_MONOTONIC, when timed */
};

/* What a receive reports besides the length (kmbox_recv: res may be NULL). */
struct kmbox_recv_result {
	size_t len;			/* message length, also on -EMSGSIZE */
	pid_t pid;
	uid_t uid;
	gid_t gid;
	u32 prio;
	u64 tag;
	u64 call;			/* a call taken: its reply id, else 0 */
	u32 reply_size;			/* and its caller's reply capacity */
	/*
	 * In, kept by kmbox_recv: the handle a call taken is registered
	 * with (KMBOX_RECV_CALL), or NULL: a call taken is then dropped.
	 */
	struct kmbox_handle *replier;
};

/* The results above, before replier: what kmbox_recv clears. */
#define KMBOX_RECV_RESULT_OUT	offsetof(struct kmbox_recv_result, replier)

/* user.c */
struct kmbox_user *kmbox_user_get(struct user_namespace *ns, kuid_t uid);
struct kmbox_user *kmbox_user_get_cred(struct kmbox_user *cached,
				       const struct cred *cred);
void kmbox_user_put(struct kmbox_user *user);
bool kmbox_user_charge(struct kmbox_user *user, enum kmbox_quota quota,
		       long amount);
void kmbox_user_uncharge(struct kmbox_user *user, enum kmbox_quota quota,
			 long amount);
void kmbox_users_exit(void);

/* main.c */
u32 kmbox_msg_size_limit(void);
void kmbox_get_limits(struct kmbox_limits *limits);

/* mbox.c */
extern const struct file_operations kmbox_mbox_fops;
long kmbox_create(const struct kmbox_create *args, const char *name,
		  struct kmbox **mbp, bool *created);
long kmbox_open_name(const char *name, u32 access, struct kmbox **mbp);
int kmbox_permission(const struct kmbox *mb, u32 access);
long kmbox_unlink_name(const char *name);
int kmbox_close_permission(const struct kmbox *mb);
long kmbox_close(struct kmbox *mb);
long kmbox_destroy(struct kmbox *mb);
long kmbox_destroy_unchecked(struct kmbox *mb);
void kmbox_get_info(struct kmbox *mb, struct kmbox_info *info);
void kmbox_forget(struct kmbox *mb);
void kmbox_put(struct kmbox *mb);
struct kmbox_handle *kmbox_handle_new(struct kmbox *mb);
void kmbox_handle_free(struct kmbox_handle *h);
void kmbox_name_drop(struct kmbox *mb);
void kmbox_wake(struct kmbox *mb);
void kmbox_wake_msg(struct kmbox *mb, bool sync);
void kmbox_wake_room(struct kmbox *mb, bool sync);
void kmbox_wake_receivers(struct kmbox *mb);

/* ns.c */
extern struct mutex kmbox_names_lock;
struct kmbox_ns *kmbox_ns_get(void);
struct kmbox_ns *kmbox_ns_current_locked(void);
void kmbox_ns_put(struct kmbox_ns *ns);
bool kmbox_in_ns(const struct kmbox *mb, const struct ipc_namespace *ipc_ns);
bool kmbox_visible(const struct kmbox *mb);
bool kmbox_ns_capable(const struct kmbox *mb, int cap);
void kmbox_ns_exit(void);

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

/* msgbuf.c */
size_t kmbox_msg_charge(size_t len);
struct kmbox_msg *kmbox_msg_new(struct iov_iter *from, size_t len,
				enum kmbox_ix_kind ix, struct kmbox_user *cached,
				const struct cred *cred);
void kmbox_msg_put(struct kmbox_msg *msg);
size_t kmbox_msg_copy_to(const struct kmbox_msg *msg, struct iov_iter *to);
int __init kmbox_msgbuf_init(void);
void kmbox_msgbuf_exit(void);

/* deadline.c */
int kmbox_deadline_init(struct kmbox_deadline *dl, u32 mode, s64 timeout_ns);

/* msg.c */
void kmbox_msg_unqueue(struct kmbox *mb, struct kmbox_msg *msg);
void kmbox_fail_senders(struct kmbox *mb, int result);
void kmbox_drop_queue(struct kmbox *mb, struct list_head *list);
void kmbox_put_msgs(struct list_head *list);
long kmbox_send(struct kmbox_handle *h, struct iov_iter *from,
		const struct kmbox_msg_opts *opts, bool sync,
		const struct kmbox_deadline *dl, const struct cred *cred);
long kmbox_send_call(struct kmbox_handle *h, struct iov_iter *from,
		     const struct kmbox_msg_opts *opts,
		     const struct kmbox_deadline *dl, const struct cred *cred,
		     struct kmbox_call_slot *call);
void kmbox_wake_task(struct task_struct *task, struct kmbox_wakes *w);
void kmbox_withdraw(struct kmbox *mb, struct kmbox_msg *msg, int result);
long kmbox_may_sleep(const struct kmbox_deadline *dl);
void kmbox_sleep(struct kmbox *mb, const struct kmbox_deadline *dl,
		 struct kmbox_wakes *w);
void kmbox_sleeper_add(struct kmbox *mb, struct kmbox_sleeper *sl, bool sender);
void kmbox_sleeper_del(struct kmbox *mb, struct kmbox_sleeper *sl);
bool kmbox_send_ready(const struct kmbox *mb);
bool kmbox_drained(const struct kmbox *mb);
long kmbox_recv(struct kmbox *mb, struct iov_iter *to, bool peek,
		const struct kmbox_recv_opts *ro, const struct kmbox_deadline *dl,
		struct kmbox_recv_result *res);

/* index.c: priorities and selection (mb->lock held where a mailbox is) */
static inline struct kmbox_msg_prio *kmbox_msg_prio(const struct kmbox_msg *msg)
{
	return (struct kmbox_msg_prio *)msg - 1;
}

static inline struct kmbox_msg_sel *kmbox_msg_sel(const struct kmbox_msg *msg)
{
	return &container_of(kmbox_msg_prio(msg), struct kmbox_msg_ix, prio)->sel;
}

size_t kmbox_ix_size(enum kmbox_ix_kind ix);
void kmbox_ix_init(struct kmbox *mb);
void kmbox_ix_msg_init(struct kmbox_msg *msg, const struct kmbox_msg_opts *opts);
u32 kmbox_msg_prio_of(const struct kmbox_msg *msg);
u64 kmbox_msg_tag_of(const struct kmbox_msg *msg);
void kmbox_ix_queue(struct kmbox *mb, struct kmbox_msg *msg, bool head);
void kmbox_ix_unqueue(struct kmbox *mb, struct kmbox_msg *msg);
struct kmbox_msg *kmbox_ix_first(struct kmbox *mb, const struct kmbox_recv_opts *ro);
struct kmbox_receiver *kmbox_ix_receiver(struct kmbox *mb,
					 const struct kmbox_msg *msg);

/* port.c: ports, mailboxes bound to a process (direct communication). */
struct pid;
int kmbox_port_check_create(const struct kmbox_create *c);
void kmbox_port_bind(struct kmbox *mb);
long kmbox_port_find(const struct kmbox_port_open *po, struct kmbox **mbp);
void kmbox_port_release(struct kmbox_handle *h);
pid_t kmbox_port_pid_vnr(const struct kmbox *mb);
void kmbox_seq_port(struct seq_file *m, const struct kmbox *mb);

/* call.c */
void kmbox_calls_init(struct kmbox_handle *h);
void kmbox_calls_release(struct kmbox_handle *h);
void kmbox_calls_fail(struct kmbox *mb, int result);
void kmbox_call_taken(struct kmbox *mb, struct kmbox_msg *msg,
		      struct kmbox_recv_result *res, struct kmbox_wakes *w);
long kmbox_call_wait(struct kmbox *mb, struct kmbox_msg *msg,
		     struct kmbox_sender *sender, const struct kmbox_deadline *dl,
		     struct kmbox_wakes *w);
long kmbox_call(struct file *file, struct kmbox_call *c, void __user *uc);
long kmbox_reply(struct kmbox_handle *h, u64 id, struct iov_iter *from,
		 const struct cred *cred);
long kmbox_ioc_reply_args(struct file *file, const struct kmbox_reply *r);

/* batch.c */
long kmbox_send_batch(struct kmbox_handle *h, fmode_t fmode, const struct kmbox_batch *b);
long kmbox_recv_batch(struct kmbox *mb, fmode_t fmode, const struct kmbox_batch *b);

/* ioctl.c */
long kmbox_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long kmbox_mbox_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int kmbox_probe_results(void __user *p, const void *k, size_t start, size_t end);

#endif /* _KMBOX_H */
