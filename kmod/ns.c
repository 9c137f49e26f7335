// SPDX-License-Identifier: GPL-2.0-only
/*
 * IPC namespaces: each has names of its own, its own /proc/kmbox, and its
 * own holders of CAP_IPC_OWNER, as POSIX message queues and SysV queues do.
 *
 * The kernel gives a module no hook on a namespace's death, and both a
 * namespace's address and its inode number are reused once it is freed,
 * so neither may key a table on its own.  kmbox therefore holds a counted
 * reference to each namespace that has kmbox state (get_ipc_ns, dropped
 * through the namespace's own proc_ns_operations put, as nsfs drops its
 * references: put_ipc_ns is not exported).  While held, the namespace
 * cannot be freed, so its address identifies it.  Every few seconds the
 * reaper looks for namespaces whose only reference is kmbox's: no task is
 * in them and no nsfs file or bind mount keeps them, so nothing can ever
 * enter them again.  It unlinks their names and lets them go.  Mailboxes
 * still open through a handle (passed out over a UNIX socket, say) live
 * on, anonymous.
 *
 * What that keeps alive: a namespace that has kmbox state outlives its
 * last user by up to KMBOX_NS_REAP_PERIOD, with its SysV and mqueue state.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/proc_ns.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <linux/workqueue.h>

#include "kmbox.h"

#define KMBOX_NS_REAP_PERIOD	(2 * HZ)

/*
 * kmbox_names_lock protects kmbox_namespaces, every namespace's names and
 * every mailbox's name_node.  A live namespace is on the list and holds a
 * reference to itself for it.
 */
DEFINE_MUTEX(kmbox_names_lock);
static LIST_HEAD(kmbox_namespaces);

static void kmbox_ns_reap_work(struct work_struct *work);
/* Deferrable: an idle CPU is not woken up just to find nothing died. */
static DECLARE_DEFERRABLE_WORK(kmbox_ns_reaper, kmbox_ns_reap_work);

static struct ipc_namespace *kmbox_current_ipc_ns(void)
{
	/* A task's own nsproxy changes only by its own unshare or setns. */
	return current->nsproxy->ipc_ns;
}

static void kmbox_ns_release(struct kref *ref)
{
	struct kmbox_ns *ns = container_of(ref, struct kmbox_ns, ref);

	put_user_ns(ns->user_ns);
	kfree(ns);
}

void kmbox_ns_put(struct kmbox_ns *ns)
{
	kref_put(&ns->ref, kmbox_ns_release);
}

#if IS_ENABLED(CONFIG_IPC_NS)
static void kmbox_ipc_ns_hold(struct ipc_namespace *ipc_ns)
{
	get_ipc_ns(ipc_ns);
}

/* put_ipc_ns() through the namespace's operations: the one exported way. */
static void kmbox_ipc_ns_drop(struct ipc_namespace *ipc_ns)
{
	ipc_ns->ns.ops->put(&ipc_ns->ns);
}

/* Is kmbox's reference all that is left?  Once so, forever. */
static bool kmbox_ns_dead(const struct kmbox_ns *ns)
{
	return refcount_read(&ns->ipc_ns->ns.count) == 1;
}
#else
/* Without IPC namespaces there is one, and it never goes. */
static void kmbox_ipc_ns_hold(struct ipc_namespace *ipc_ns)
{
}

static void kmbox_ipc_ns_drop(struct ipc_namespace *ipc_ns)
{
}

static bool kmbox_ns_dead(const struct kmbox_ns *ns)
{
	return false;
}
#endif

/* kmbox_names_lock held. */
static struct kmbox_ns *kmbox_ns_find(const struct ipc_namespace *ipc_ns)
{
	struct kmbox_ns *ns;

	list_for_each_entry(ns, &kmbox_namespaces, link)
		if (ns->ipc_ns == ipc_ns)
			return ns;
	return NULL;
}

/* The caller's namespace, if it has kmbox state.  kmbox_names_lock held. */
struct kmbox_ns *kmbox_ns_current_locked(void)
{
	lockdep_assert_held(&kmbox_names_lock);
	return kmbox_ns_find(kmbox_current_ipc_ns());
}

static struct kmbox_ns *kmbox_ns_new(struct ipc_namespace *ipc_ns)
{
	struct kmbox_ns *ns;

	ns = kzalloc(sizeof(*ns), GFP_KERNEL_ACCOUNT);
	if (!ns)
		return NULL;
	kref_init(&ns->ref);
	kmbox_ipc_ns_hold(ipc_ns);
	ns->ipc_ns = ipc_ns;
	ns->held = ipc_ns;
	ns->user_ns = get_user_ns(ipc_ns->user_ns);
	hash_init(ns->names);
	return ns;
}

static void kmbox_ns_free(struct kmbox_ns *ns)
{
	kmbox_ipc_ns_drop(ns->held);
	kmbox_ns_put(ns);
}

/*
 * Returns a reference to the caller's namespace, made on first use; NULL
 * if out of memory.  The caller is in it, so it stays live while the
 * caller uses it.
 */
struct kmbox_ns *kmbox_ns_get(void)
{
	struct ipc_namespace *ipc_ns = kmbox_current_ipc_ns();
	struct kmbox_ns *ns, *new;

	mutex_lock(&kmbox_names_lock);
	ns = kmbox_ns_find(ipc_ns);
	if (ns)
		kref_get(&ns->ref);
	mutex_unlock(&kmbox_names_lock);
	if (ns)
		return ns;

	/* Allocated outside the lock every lookup needs, as mailboxes are. */
	new = kmbox_ns_new(ipc_ns);
	if (!new)
		return NULL;
	mutex_lock(&kmbox_names_lock);
	ns = kmbox_ns_find(ipc_ns);
	if (!ns) {
		/* The list's reference is new's initial one. */
		list_add(&new->link, &kmbox_namespaces);
		ns = new;
		new = NULL;
		queue_delayed_work(system_unbound_wq, &kmbox_ns_reaper,
				   KMBOX_NS_REAP_PERIOD);
	}
	kref_get(&ns->ref);
	mutex_unlock(&kmbox_names_lock);
	if (new)
		kmbox_ns_free(new);	/* someone else made it first */
	return ns;
}

/*
 * Takes ns off the list and every name out of its table.  Mailboxes nobody
 * holds go; the rest live on, anonymous.  kmbox_names_lock held; the
 * caller then drops the list's reference and the namespace's (kmbox_ns_free).
 */
static void kmbox_ns_kill(struct kmbox_ns *ns)
{
	struct hlist_node *tmp;
	struct kmbox *mb;
	int bkt;

	hash_for_each_safe(ns->names, bkt, tmp, mb, name_node)
		kmbox_name_drop(mb);
	list_del(&ns->link);
	/* /proc/kmbox and id lookups compare ipc_ns under kmbox_all_lock. */
	mutex_lock(&kmbox_all_lock);
	ns->ipc_ns = NULL;
	mutex_unlock(&kmbox_all_lock);
}

static void kmbox_ns_reap_work(struct work_struct *work)
{
	struct kmbox_ns *ns, *tmp;
	LIST_HEAD(dead);
	bool again;

	mutex_lock(&kmbox_names_lock);
	list_for_each_entry_safe(ns, tmp, &kmbox_namespaces, link) {
		if (kmbox_ns_dead(ns)) {
			kmbox_ns_kill(ns);
			list_add(&ns->link, &dead);
		}
	}
	again = !list_empty(&kmbox_namespaces);
	mutex_unlock(&kmbox_names_lock);

	list_for_each_entry_safe(ns, tmp, &dead, link)
		kmbox_ns_free(ns);
	if (again)
		queue_delayed_work(system_unbound_wq, &kmbox_ns_reaper,
				   KMBOX_NS_REAP_PERIOD);
}

/* Is mb in ipc_ns?  kmbox_all_lock or kmbox_names_lock held. */
bool kmbox_in_ns(const struct kmbox *mb, const struct ipc_namespace *ipc_ns)
{
	return mb->ns->ipc_ns == ipc_ns;
}

/*
 * May the caller see mb by id or in a list?  Those of its own namespace; a
 * mailbox whose namespace ended (held by a handle passed out of it) is
 * seen by the initial namespace's CAP_IPC_OWNER, so that someone can still
 * find and destroy it.  kmbox_all_lock or kmbox_names_lock held.
 */
bool kmbox_visible(const struct kmbox *mb)
{
	if (!mb->ns->ipc_ns)
		return ns_capable(&init_user_ns, CAP_IPC_OWNER);
	return kmbox_in_ns(mb, kmbox_current_ipc_ns());
}

/*
 * Module exit: every handle holds a module reference, so no mailbox is in
 * use; named ones nobody holds open go with their namespaces.
 */
void kmbox_ns_exit(void)
{
	struct kmbox_ns *ns, *tmp;
	LIST_HEAD(dead);

	cancel_delayed_work_sync(&kmbox_ns_reaper);
	mutex_lock(&kmbox_names_lock);
	list_for_each_entry_safe(ns, tmp, &kmbox_namespaces, link) {
		kmbox_ns_kill(ns);
		list_add(&ns->link, &dead);
	}
	mutex_unlock(&kmbox_names_lock);
	list_for_each_entry_safe(ns, tmp, &dead, link)
		kmbox_ns_free(ns);
}

/*
 * Privilege over mb is held in the user namespace that owns its IPC
 * namespace: a container's root is no one's root outside it.
 */
bool kmbox_ns_capable(const struct kmbox *mb, int cap)
{
	return ns_capable(mb->ns->user_ns, cap);
}
