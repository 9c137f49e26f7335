// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-user accounting: how many mailboxes a uid owns and how many bytes of
 * messages it has alive, so that one user cannot exhaust the others.
 */
#include <linux/hashtable.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "kmbox.h"

/* kmbox_users_lock protects the table and the users' nodes. */
static DEFINE_SPINLOCK(kmbox_users_lock);
static DEFINE_HASHTABLE(kmbox_users, 6);

static struct kmbox_user *kmbox_user_find(kuid_t uid)
{
	struct kmbox_user *user;

	hash_for_each_possible(kmbox_users, user, node, __kuid_val(uid))
		if (uid_eq(user->uid, uid))
			return user;
	return NULL;
}

/* Returns a reference to uid's accounting, creating it; NULL if no memory. */
struct kmbox_user *kmbox_user_get(kuid_t uid)
{
	struct kmbox_user *user, *new;

	spin_lock(&kmbox_users_lock);
	user = kmbox_user_find(uid);
	if (user)
		refcount_inc(&user->ref);
	spin_unlock(&kmbox_users_lock);
	if (user)
		return user;

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return NULL;
	new->uid = uid;
	refcount_set(&new->ref, 1);

	/* Someone may have added it while we allocated. */
	spin_lock(&kmbox_users_lock);
	user = kmbox_user_find(uid);
	if (user) {
		refcount_inc(&user->ref);
	} else {
		hash_add(kmbox_users, &new->node, __kuid_val(uid));
		user = new;
		new = NULL;
	}
	spin_unlock(&kmbox_users_lock);
	kfree(new);
	return user;
}

void kmbox_user_put(struct kmbox_user *user)
{
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
	WARN_ON_ONCE(atomic_long_read(&user->mailboxes));
	WARN_ON_ONCE(atomic_long_read(&user->bytes));
	kfree(user);
}

/*
 * Adds amount to counter unless that takes it past limit.  Racing chargers
 * may each see the other's charge and fail near the limit; none passes it.
 */
bool kmbox_user_charge(atomic_long_t *counter, long amount, long limit)
{
	if (atomic_long_add_return(amount, counter) <= limit)
		return true;
	atomic_long_sub(amount, counter);
	return false;
}

void kmbox_users_exit(void)
{
	/* Every user is released with the last mailbox and message. */
	WARN_ON(!hash_empty(kmbox_users));
}
