// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-user accounting: how many mailboxes a user owns and how many bytes of
 * messages it has alive, so that one user cannot exhaust the others.
 *
 * A user is a uid as seen from a user namespace: (user_ns, kuid).  A charge
 * to one is a charge to each level of the chain up to the initial
 * namespace: (ns, uid), then (ns->parent, ns->owner), and so on, each
 * within the limit (see "Accounting" in kmbox.h).  This is what the
 * kernel's ucounts do for RLIMIT_MSGQUEUE; their helpers are not exported
 * to modules, so the chain is kept here.  Each kmbox_user holds a
 * reference to its namespace and to its parent level, so that the chain a
 * charge went up is the one its uncharge comes down, however the tasks'
 * credentials change meanwhile.
 *
 * The chain stops below a namespace that the initial namespace's root
 * made (a container runtime running as root: Docker's userns-remap, LXD,
 * systemd-nspawn -U): root gave those ids budgets of their own, as they had
 * before namespaces, rather than making every such container share root's
 * one budget with each other and with root's own daemons.  Only root can
 * make such a namespace, so no user gains budgets by it.
 *
 * There is one kmbox_user per (namespace, uid) with a mailbox or message
 * alive, so a user with a subordinate range can make many: they are
 * charged to its memory cgroup, and the table is sized for many.
 */
#include <linux/cred.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/user_namespace.h>

#include "kmbox.h"

/*
 * kmbox_users_lock protects the table and the users' nodes.  A user in the
 * table holds a reference to its namespace, so a namespace's address
 * cannot be reused while a user of it is found here.
 */
static DEFINE_SPINLOCK(kmbox_users_lock);
static DEFINE_HASHTABLE(kmbox_users, 10);

static unsigned long kmbox_user_hash(struct user_namespace *ns, kuid_t uid)
{
	return hash_ptr(ns, 32) ^ __kuid_val(uid);
}

static struct kmbox_user *kmbox_user_find(struct user_namespace *ns, kuid_t uid)
{
	struct kmbox_user *user;

	hash_for_each_possible(kmbox_users, user, node, kmbox_user_hash(ns, uid))
		if (user->ns == ns && uid_eq(user->uid, uid))
			return user;
	return NULL;
}

static struct kmbox_user *kmbox_user_find_get(struct user_namespace *ns,
					      kuid_t uid)
{
	struct kmbox_user *user;

	spin_lock(&kmbox_users_lock);
	user = kmbox_user_find(ns, uid);
	if (user)
		refcount_inc(&user->ref);
	spin_unlock(&kmbox_users_lock);
	return user;
}

/* Did the initial namespace's root make ns?  Then the chain ends at ns. */
static bool kmbox_user_ns_made_by_root(const struct user_namespace *ns)
{
	return ns->parent == &init_user_ns && uid_eq(ns->owner, GLOBAL_ROOT_UID);
}

/*
 * Returns a reference to the accounting of uid in ns, creating it and the
 * levels above it as needed; NULL if no memory.  Found with one lookup
 * when it exists, as it does for anyone with a mailbox or a message alive.
 * Recurses once per level above ns: at most 32 (the kernel's limit on
 * user namespace nesting).
 */
struct kmbox_user *kmbox_user_get(struct user_namespace *ns, kuid_t uid)
{
	struct kmbox_user *user, *new, *parent = NULL;

	user = kmbox_user_find_get(ns, uid);
	if (user)
		return user;

	if (ns->parent && !kmbox_user_ns_made_by_root(ns)) {
		parent = kmbox_user_get(ns->parent, ns->owner);
		if (!parent)
			return NULL;
	}
	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new) {
		kmbox_user_put(parent);
		return NULL;
	}
	new->ns = get_user_ns(ns);
	new->uid = uid;
	new->parent = parent;
	refcount_set(&new->ref, 1);

	/* Someone may have added it while we allocated. */
	spin_lock(&kmbox_users_lock);
	user = kmbox_user_find(ns, uid);
	if (user) {
		refcount_inc(&user->ref);
	} else {
		hash_add(kmbox_users, &new->node, kmbox_user_hash(ns, uid));
		user = new;
		new = NULL;
	}
	spin_unlock(&kmbox_users_lock);
	if (new) {
		put_user_ns(new->ns);
		kfree(new);
		kmbox_user_put(parent);
	}
	return user;
}

/*
 * A reference to the accounting of cred's euid: cached's (a handle's
 * opener's) when it is that user, as it nearly always is, without taking
 * kmbox_users_lock; else found as kmbox_user_get finds it.
 */
struct kmbox_user *kmbox_user_get_cred(struct kmbox_user *cached,
				       const struct cred *cred)
{
	if (cached && cached->ns == cred->user_ns && uid_eq(cached->uid, cred->euid)) {
		refcount_inc(&cached->ref);
		return cached;
	}
	return kmbox_user_get(cred->user_ns, cred->euid);
}

/* Drops a reference; the last one drops the user's on its parent level. */
void kmbox_user_put(struct kmbox_user *user)
{
	struct kmbox_user *parent;
	int i;

	while (user) {
		/* refcount_dec_and_lock(), spelt out so that sparse can follow it. */
		if (refcount_dec_not_one(&user->ref))
			return;
		spin_lock(&kmbox_users_lock);
		if (!refcount_dec_and_test(&user->ref)) {
			spin_unlock(&kmbox_users_lock);
			return;
		}
		hash_del(&user->node);
		spin_unlock(&kmbox_users_lock);
		for (i = 0; i < KMBOX_NR_QUOTAS; i++)
			WARN_ON_ONCE(atomic_long_read(&user->charged[i]));
		parent = user->parent;
		put_user_ns(user->ns);
		kfree(user);
		user = parent;
	}
}

static long kmbox_quota_limit(enum kmbox_quota quota)
{
	unsigned long limit = quota == KMBOX_QUOTA_MAILBOXES ?
			      READ_ONCE(kmbox_max_mailboxes_per_user) :
			      READ_ONCE(kmbox_max_bytes_per_user);

	return min_t(unsigned long, limit, LONG_MAX);
}

/*
 * Charges amount to user and every level above it, unless that takes any
 * of them past the limit: then nothing is charged.  Racing chargers may
 * each see the other's charge and fail near the limit; none passes it.
 */
bool kmbox_user_charge(struct kmbox_user *user, enum kmbox_quota quota,
		       long amount)
{
	long limit = kmbox_quota_limit(quota);
	struct kmbox_user *level, *undo;

	for (level = user; level; level = level->parent) {
		if (atomic_long_add_return(amount, &level->charged[quota]) > limit)
			goto err_undo;
	}
	return true;

err_undo:
	for (undo = user; undo != level; undo = undo->parent)
		atomic_long_sub(amount, &undo->charged[quota]);
	atomic_long_sub(amount, &level->charged[quota]);
	return false;
}

/* Gives back what kmbox_user_charge charged, at every level. */
void kmbox_user_uncharge(struct kmbox_user *user, enum kmbox_quota quota,
			 long amount)
{
	for (; user; user = user->parent)
		atomic_long_sub(amount, &user->charged[quota]);
}

void kmbox_users_exit(void)
{
	/* Every user is released with the last mailbox and message. */
	WARN_ON(!hash_empty(kmbox_users));
}
