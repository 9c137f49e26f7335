// SPDX-License-Identifier: GPL-2.0-only
/*
 * Message storage: how a message's header and payload are allocated,
 * filled, copied out, charged and freed.  msg.c decides where messages go;
 * this file alone knows how they are laid out.
 *
 * The rule (issue 12): a queued message of n bytes pins at most
 * max(n + 128, 5n/4) bytes below a page, its header included, and above
 * that n rounded up to pages plus one small header; no payload allocation
 * is above order 0.  Two layouts meet it:
 *
 *  - inline (n <= kmbox_msg_inline_max, about 3.3 KiB with 4 KiB pages):
 *    header and payload in one object, of the smallest of our size
 *    classes that holds both.  One allocation per message.  The classes
 *    are computed at module load so that each wastes at most what the rule
 *    allows: 64 bytes apart up to 512, then 1.25 times the payload the
 *    class before could hold.  kmalloc's power-of-two caches waste up to
 *    half (n = 257 takes 512 there).
 *  - paged (larger n): the payload in pages of its own, alloc_page each,
 *    and the header, holding the vector of page pointers, in a size class
 *    object; a vector too long for the largest class (messages above about
 *    1.6 MiB) is kvmalloc'ed apart.
 *
 * The size-class caches are SLAB_ACCOUNT and the pages __GFP_ACCOUNT, so
 * every message is charged to its sender's memory cgroup as well.  Only
 * an inline object's payload is ever copied to or from user memory: that
 * region alone is whitelisted for hardened usercopy.  Nothing is zeroed
 * here that is overwritten anyway (init_on_alloc zeroes what the kernel's
 * configuration asks for).  SLUB may build a class's slabs of higher-order
 * pages to pack objects, falling back to order 0 when memory is
 * fragmented; that is the slab allocator's bookkeeping, paid once per
 * slab, not per message.
 *
 * A message's charge to its sender's byte quota (kmbox_msg_charge) is what
 * it pins: its object's size, plus its pages and any vector apart.  It is
 * a function of the length alone, fixed at module load, so that the quota
 * is checked before anything is allocated.
 *
 * A message of a KMBOX_CREATE_PRIO or KMBOX_CREATE_SELECT mailbox carries
 * its index entries (kmbox_ix_size: 32 or 112 bytes on 64-bit) in the
 * same object, before its header, so that a plain message's header is not
 * one byte bigger: it is laid out and charged as if its header were that
 * much longer, which keeps it within 256 bytes of the rule above.
 */
#include <linux/cred.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "kmbox.h"

/* Objects are multiples of this: the header's alignment. */
#define KMBOX_MSG_ALIGN		8
#define KMBOX_MSG_MAX_CLASSES	32
/* Most a class may exceed its smallest payload by (the rule's n + 128). */
#define KMBOX_MSG_SLACK		128

/* Where an inline payload starts: the header's size. */
#define KMBOX_MSG_HDR		offsetof(struct kmbox_msg, data)
/* A paged message's header: the vector pointer, then maybe the vector. */
#define KMBOX_MSG_PAGED_HDR	(KMBOX_MSG_HDR + sizeof(struct page **))

/*
 * Set by kmbox_msgbuf_init, read-only after: the classes' object sizes,
 * ascending, their caches, and for each object size in KMBOX_MSG_ALIGN
 * units the smallest class that holds it.
 */
static unsigned int kmbox_msg_nr_classes;
static unsigned int kmbox_msg_class_size[KMBOX_MSG_MAX_CLASSES];
static struct kmem_cache *kmbox_msg_cache[KMBOX_MSG_MAX_CLASSES];
static u8 *kmbox_msg_class_of;
/* The longest payload stored inline; the largest class's object size. */
static size_t kmbox_msg_inline_max;
static size_t kmbox_msg_obj_max;

/* The most a message of n bytes below a page may pin: max(n + 128, 5n/4). */
static size_t kmbox_msg_bound(size_t n)
{
	return max(n + KMBOX_MSG_SLACK, n + n / 4);
}

/* The class holding an object of size bytes (<= kmbox_msg_obj_max). */
static unsigned int kmbox_msg_class(size_t size)
{
	return kmbox_msg_class_of[DIV_ROUND_UP(size, KMBOX_MSG_ALIGN)];
}

/* Bytes of index entries before msg's header (kmbox.h). */
static size_t kmbox_msg_pre(const struct kmbox_msg *msg)
{
	return kmbox_ix_size(msg->ix);
}

/* Does a message of len bytes with pre bytes before it have its own pages? */
static bool kmbox_msg_len_paged(size_t len, size_t pre)
{
	return len + pre > kmbox_msg_inline_max;
}

/* Is msg's payload in pages of its own, rather than after its header? */
static bool kmbox_msg_paged(const struct kmbox_msg *msg)
{
	return kmbox_msg_len_paged(msg->len, kmbox_msg_pre(msg));
}

static size_t kmbox_msg_pages(size_t len)
{
	return DIV_ROUND_UP(len, PAGE_SIZE);
}

/* Bytes of a paged message's header object, or 0 if its vector is apart. */
static size_t kmbox_msg_paged_obj(size_t npages, size_t pre)
{
	size_t size = pre + KMBOX_MSG_PAGED_HDR + npages * sizeof(struct page *);

	return size <= kmbox_msg_obj_max ? size : 0;
}

/*
 * What a message of len bytes costs its sender's quota: what it pins.
 * A vector apart is charged the most kvmalloc can take for it: a kmalloc
 * of that size rounded up to a power-of-two number of pages (a vmalloc
 * takes less).
 */
static size_t kmbox_msg_charge_pre(size_t len, size_t pre)
{
	size_t npages, vec, obj;

	if (!kmbox_msg_len_paged(len, pre))
		return kmbox_msg_class_size[kmbox_msg_class(pre + KMBOX_MSG_HDR + len)];
	npages = kmbox_msg_pages(len);
	obj = kmbox_msg_paged_obj(npages, pre);
	if (obj)
		return npages * PAGE_SIZE +
		       kmbox_msg_class_size[kmbox_msg_class(obj)];
	vec = npages * sizeof(struct page *);
	return npages * PAGE_SIZE + (PAGE_SIZE << get_order(vec)) +
	       kmbox_msg_class_size[kmbox_msg_class(pre + KMBOX_MSG_PAGED_HDR)];
}

/* What a plain message of len bytes costs. */
size_t kmbox_msg_charge(size_t len)
{
	return kmbox_msg_charge_pre(len, 0);
}

/* Frees the payload pages of a paged message, the first n of them. */
static void kmbox_msg_free_pages(struct kmbox_msg *msg, size_t n)
{
	while (n--)
		__free_page(msg->pages[n]);
	if (!kmbox_msg_paged_obj(kmbox_msg_pages(msg->len), kmbox_msg_pre(msg)))
		kvfree(msg->pages);
}

/*
 * Allocates a message's storage, with ix's index entries before it, header
 * fields but len and ix unset; NULL if no memory.
 */
static struct kmbox_msg *kmbox_msg_alloc(size_t len, enum kmbox_ix_kind ix)
{
	size_t pre = kmbox_ix_size(ix), npages, i, obj;
	struct kmbox_msg *msg;
	void *p;

	if (!kmbox_msg_len_paged(len, pre)) {
		p = kmem_cache_alloc(kmbox_msg_cache[kmbox_msg_class(pre + KMBOX_MSG_HDR + len)],
				     GFP_KERNEL);
		if (!p)
			return NULL;
		msg = p + pre;
		msg->len = len;
		msg->ix = ix;
		return msg;
	}

	npages = kmbox_msg_pages(len);
	obj = kmbox_msg_paged_obj(npages, pre);
	p = kmem_cache_alloc(kmbox_msg_cache[kmbox_msg_class(obj ?: pre + KMBOX_MSG_PAGED_HDR)],
			     GFP_KERNEL);
	if (!p)
		return NULL;
	msg = p + pre;
	msg->len = len;
	msg->ix = ix;
	if (obj) {
		msg->pages = (struct page **)(msg->data + sizeof(struct page **));
	} else {
		msg->pages = kvmalloc_array(npages, sizeof(struct page *),
					    GFP_KERNEL_ACCOUNT);
		if (!msg->pages)
			goto err_free_hdr;
	}
	for (i = 0; i < npages; i++) {
		msg->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT);
		if (!msg->pages[i])
			goto err_free_pages;
	}
	return msg;

err_free_pages:
	kmbox_msg_free_pages(msg, i);
err_free_hdr:
	kmem_cache_free(kmbox_msg_cache[kmbox_msg_class(obj ?: pre + KMBOX_MSG_PAGED_HDR)], p);
	return NULL;
}

/* Frees a message's storage. */
static void kmbox_msg_free(struct kmbox_msg *msg)
{
	size_t pre = kmbox_msg_pre(msg), obj = pre + KMBOX_MSG_HDR + msg->len;

	if (kmbox_msg_paged(msg)) {
		obj = kmbox_msg_paged_obj(kmbox_msg_pages(msg->len), pre);
		kmbox_msg_free_pages(msg, kmbox_msg_pages(msg->len));
		if (!obj)
			obj = pre + KMBOX_MSG_PAGED_HDR;
	}
	kmem_cache_free(kmbox_msg_cache[kmbox_msg_class(obj)], (void *)msg - pre);
}

/* Fills msg's payload from the iterator; false if it faulted. */
static bool kmbox_msg_copy_from(struct kmbox_msg *msg, struct iov_iter *from)
{
	size_t i, chunk, left = msg->len;

	if (!kmbox_msg_paged(msg))
		return copy_from_iter_full(msg->data, msg->len, from);
	for (i = 0; left; i++, left -= chunk) {
		chunk = min_t(size_t, left, PAGE_SIZE);
		if (copy_page_from_iter(msg->pages[i], 0, chunk, from) != chunk)
			return false;
	}
	return true;
}

/*
 * A message from cred's euid, charged up its user namespace chain:
 * cached is the handle's opener's accounting, used when that is who sends.
 * ix says what index entries it carries (its mailbox's kind); the caller
 * fills them in.
 */
struct kmbox_msg *kmbox_msg_new(struct iov_iter *from, size_t len,
				enum kmbox_ix_kind ix, struct kmbox_user *cached,
				const struct cred *cred)
{
	size_t charge = kmbox_msg_charge_pre(len, kmbox_ix_size(ix));
	struct kmbox_user *user;
	struct kmbox_msg *msg;
	int ret;

	user = kmbox_user_get_cred(cached, cred);
	if (!user)
		return ERR_PTR(-ENOMEM);
	if (!kmbox_user_charge(user, KMBOX_QUOTA_BYTES, charge)) {
		ret = -ENOBUFS;
		goto err_put_user;
	}
	msg = kmbox_msg_alloc(len, ix);
	if (!msg) {
		ret = -ENOMEM;
		goto err_uncharge;
	}
	if (!kmbox_msg_copy_from(msg, from)) {
		ret = -EFAULT;
		goto err_free;
	}
	refcount_set(&msg->ref, 1);
	msg->inflight = false;
	msg->withdrawn = false;
	msg->sender = NULL;
	msg->call = NULL;
	msg->user = user;
	/* f_cred holds no pid: a write's pid is the writer's, of the opener's ids. */
	msg->pid = get_pid(task_tgid(current));
	msg->uid = cred->euid;
	msg->gid = cred->egid;
	msg->charge = charge;
	return msg;

err_free:
	kmbox_msg_free(msg);
err_uncharge:
	kmbox_user_uncharge(user, KMBOX_QUOTA_BYTES, charge);
err_put_user:
	kmbox_user_put(user);
	return ERR_PTR(ret);
}

/* Never under kmbox.lock: the last put frees. */
void kmbox_msg_put(struct kmbox_msg *msg)
{
	if (!refcount_dec_and_test(&msg->ref))
		return;
	kmbox_user_uncharge(msg->user, KMBOX_QUOTA_BYTES, msg->charge);
	kmbox_user_put(msg->user);
	put_pid(msg->pid);
	kmbox_msg_free(msg);
}

/*
 * Copies msg's payload out; returns the bytes copied, short on a fault, as
 * copy_to_iter does.  Safe with page faults disabled (pagefault_disable(),
 * under a spinlock): it then never sleeps, and a fault makes it short.  So
 * pages are mapped with kmap_local_page, never kmap (which may sleep, and
 * which copy_page_to_iter uses for user buffers on older kernels).
 */
size_t kmbox_msg_copy_to(const struct kmbox_msg *msg, struct iov_iter *to)
{
	size_t i, chunk, n, done = 0;
	void *addr;

	if (!kmbox_msg_paged(msg))
		return copy_to_iter(msg->data, msg->len, to);
	for (i = 0; done < msg->len; i++) {
		chunk = min_t(size_t, msg->len - done, PAGE_SIZE);
		addr = kmap_local_page(msg->pages[i]);
		n = copy_to_iter(addr, chunk, to);
		kunmap_local(addr);
		done += n;
		if (n < chunk)
			break;
	}
	return done;
}

/*
 * Computes the size classes: the first holds an empty message's header
 * within the rule's n + 128; each next one is the largest the rule allows
 * for the smallest payload the one before cannot hold, until one holds
 * kmbox_msg_inline_max: the longest payload for which a page plus a paged
 * header would pin more than the rule allows.
 */
static int kmbox_msg_classes(void)
{
	size_t one_page, n, size, prev;
	unsigned int c, u;

	/* The first class: what an empty message pins. */
	size = round_down(kmbox_msg_bound(0), KMBOX_MSG_ALIGN);
	/* It holds a one-page message's header: that pins a page more. */
	if (KMBOX_MSG_PAGED_HDR + sizeof(struct page *) > size)
		return -EINVAL;
	one_page = PAGE_SIZE + size;
	for (n = 0; kmbox_msg_bound(n) < one_page; n++)
		;
	kmbox_msg_inline_max = n - 1;

	prev = 0;
	for (c = 0; ; c++) {
		if (c == KMBOX_MSG_MAX_CLASSES)
			return -EINVAL;
		/* The smallest payload the class before cannot hold. */
		n = c ? prev - KMBOX_MSG_HDR + 1 : 0;
		size = round_down(kmbox_msg_bound(n), KMBOX_MSG_ALIGN);
		size = min(size, ALIGN(KMBOX_MSG_HDR + kmbox_msg_inline_max,
				       KMBOX_MSG_ALIGN));
		kmbox_msg_class_size[c] = size;
		prev = size;
		if (size >= KMBOX_MSG_HDR + kmbox_msg_inline_max)
			break;
	}
	kmbox_msg_nr_classes = c + 1;
	kmbox_msg_obj_max = prev;

	kmbox_msg_class_of = kcalloc(kmbox_msg_obj_max / KMBOX_MSG_ALIGN + 1,
				     sizeof(*kmbox_msg_class_of), GFP_KERNEL);
	if (!kmbox_msg_class_of)
		return -ENOMEM;
	for (u = 0, c = 0; u <= kmbox_msg_obj_max / KMBOX_MSG_ALIGN; u++) {
		while (kmbox_msg_class_size[c] < u * KMBOX_MSG_ALIGN)
			c++;
		kmbox_msg_class_of[u] = c;
	}
	return 0;
}

int __init kmbox_msgbuf_init(void)
{
	unsigned int c, size;
	char name[32];
	int ret;

	ret = kmbox_msg_classes();
	if (ret)
		return ret;
	for (c = 0; c < kmbox_msg_nr_classes; c++) {
		size = kmbox_msg_class_size[c];
		snprintf(name, sizeof(name), "kmbox_msg-%u", size);
		/* User copies only ever touch an inline payload. */
		kmbox_msg_cache[c] =
			kmem_cache_create_usercopy(name, size, KMBOX_MSG_ALIGN,
						   SLAB_ACCOUNT, KMBOX_MSG_HDR,
						   size - KMBOX_MSG_HDR, NULL);
		if (!kmbox_msg_cache[c]) {
			ret = -ENOMEM;
			goto err_destroy;
		}
	}
	return 0;

err_destroy:
	while (c--)
		kmem_cache_destroy(kmbox_msg_cache[c]);
	kfree(kmbox_msg_class_of);
	return ret;
}

/* Every message is freed by now: each belongs to a mailbox, all gone. */
void kmbox_msgbuf_exit(void)
{
	unsigned int c;

	for (c = 0; c < kmbox_msg_nr_classes; c++)
		kmem_cache_destroy(kmbox_msg_cache[c]);
	kfree(kmbox_msg_class_of);
}
