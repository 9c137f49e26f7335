// SPDX-License-Identifier: GPL-2.0-only
/*
 * Priorities and selective receive: the indexes of a mailbox created with
 * KMBOX_CREATE_PRIO or KMBOX_CREATE_SELECT.
 *
 * mb->queue stays the list of messages in delivery order (the highest
 * priority first, FIFO within one, a message put back at the head of its
 * priority), so peek, poll, a plain receive and everything else take its
 * head as for a FIFO mailbox.  What the indexes add, all under mb->lock
 * and none of it for a plain mailbox:
 *
 *  - by_prio (PRIO): the last queued message of each priority present,
 *    keyed by priority.  A send finds its place in O(log n): after the
 *    last of its priority, or if it has none, after the last of the next
 *    higher one (or at the head).  A message put back goes before the
 *    first of its priority: after the last of the next higher one.
 *  - by_tag, by_pid, by_pid_tag (SELECT): every queued message, keyed by
 *    (tag, -prio), (sender, -prio) and (sender, tag, -prio).  Equal keys
 *    keep the queue's order: a message queued last goes right of its
 *    equals, one put back left of them.  So the leftmost of a key is the
 *    first of it in delivery order, and every selection is one descent:
 *    TAG the leftmost of (tag), TAG_LE the leftmost of all (the lowest
 *    tag, if <= the bound), FROM the leftmost of (sender), FROM with TAG
 *    the leftmost of (sender, tag), FROM with TAG_LE the leftmost of
 *    (sender).  No receive scans the queue.
 *
 * A message's entries are in its own allocation, before it (kmbox.h).
 * Senders are compared by their thread group's struct pid, the one the
 * message holds a reference to: a pid number reused by another process is
 * another struct pid.
 */
#include <linux/pid.h>
#include <linux/rbtree.h>

#include "kmbox.h"

#define KMBOX_RECV_SELECT	(KMBOX_RECV_TAG | KMBOX_RECV_TAG_LE | KMBOX_RECV_FROM)

/* Bytes before a message of this kind, a multiple of its alignment. */
size_t kmbox_ix_size(enum kmbox_ix_kind ix)
{
	switch (ix) {
	case KMBOX_IX_PRIO:
		return ALIGN(sizeof(struct kmbox_msg_prio), 8);
	case KMBOX_IX_SELECT:
		return ALIGN(sizeof(struct kmbox_msg_ix), 8);
	default:
		return 0;
	}
}

void kmbox_ix_init(struct kmbox *mb)
{
	mb->index.by_prio = RB_ROOT;
	mb->index.by_tag = RB_ROOT_CACHED;
	mb->index.by_pid = RB_ROOT;
	mb->index.by_pid_tag = RB_ROOT;
}

/* Stamps a new message of an indexed mailbox; opts NULL is priority 0, tag 0. */
void kmbox_ix_msg_init(struct kmbox_msg *msg, const struct kmbox_msg_opts *opts)
{
	struct kmbox_msg_prio *mp = kmbox_msg_prio(msg);

	RB_CLEAR_NODE(&mp->node);
	mp->prio = opts ? opts->prio : 0;
	if (msg->ix == KMBOX_IX_SELECT)
		kmbox_msg_sel(msg)->tag = opts ? opts->tag : 0;
}

u32 kmbox_msg_prio_of(const struct kmbox_msg *msg)
{
	return msg->ix ? kmbox_msg_prio(msg)->prio : 0;
}

u64 kmbox_msg_tag_of(const struct kmbox_msg *msg)
{
	return msg->ix == KMBOX_IX_SELECT ? kmbox_msg_sel(msg)->tag : 0;
}

static struct kmbox_msg *kmbox_prio_msg(struct rb_node *node)
{
	return (struct kmbox_msg *)(rb_entry(node, struct kmbox_msg_prio, node) + 1);
}

/*
 * The last message of priority prio (*last, or NULL) and of the lowest
 * priority above it (*above, or NULL).
 */
static void kmbox_prio_find(struct kmbox *mb, u32 prio, struct kmbox_msg **last,
			    struct kmbox_msg **above)
{
	struct rb_node *node = mb->index.by_prio.rb_node, *up = NULL;
	u32 p;

	*last = NULL;
	while (node) {
		p = rb_entry(node, struct kmbox_msg_prio, node)->prio;
		if (prio < p) {
			up = node;
			node = node->rb_left;
		} else if (prio > p) {
			node = node->rb_right;
		} else {
			*last = kmbox_prio_msg(node);
			up = rb_next(node);
			break;
		}
	}
	*above = up ? kmbox_prio_msg(up) : NULL;
}

/* Adds msg to by_prio as the last of its priority, which has none yet. */
static void kmbox_prio_insert(struct kmbox *mb, struct kmbox_msg *msg)
{
	struct rb_node **link = &mb->index.by_prio.rb_node, *parent = NULL;
	struct kmbox_msg_prio *mp = kmbox_msg_prio(msg);

	while (*link) {
		parent = *link;
		if (mp->prio < rb_entry(parent, struct kmbox_msg_prio, node)->prio)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&mp->node, parent, link);
	rb_insert_color(&mp->node, &mb->index.by_prio);
}

/* Puts msg in the queue at its priority's tail, or head. */
static void kmbox_prio_queue(struct kmbox *mb, struct kmbox_msg *msg, bool head)
{
	struct kmbox_msg_prio *mp = kmbox_msg_prio(msg);
	struct kmbox_msg *last, *above;
	struct list_head *after;

	kmbox_prio_find(mb, mp->prio, &last, &above);
	after = above ? &above->link : &mb->queue;
	if (last && !head) {
		list_add(&msg->link, &last->link);
		rb_replace_node(&kmbox_msg_prio(last)->node, &mp->node,
				&mb->index.by_prio);
		RB_CLEAR_NODE(&kmbox_msg_prio(last)->node);
		return;
	}
	list_add(&msg->link, after);
	if (!last)
		kmbox_prio_insert(mb, msg);
}

/* Takes msg out of by_prio, if it is there: its predecessor may take over. */
static void kmbox_prio_unqueue(struct kmbox *mb, struct kmbox_msg *msg)
{
	struct kmbox_msg_prio *mp = kmbox_msg_prio(msg);
	struct kmbox_msg *prev;

	if (RB_EMPTY_NODE(&mp->node))
		return;
	prev = list_prev_entry(msg, link);
	if (&prev->link != &mb->queue && kmbox_msg_prio(prev)->prio == mp->prio) {
		rb_replace_node(&mp->node, &kmbox_msg_prio(prev)->node,
				&mb->index.by_prio);
	} else {
		rb_erase(&mp->node, &mb->index.by_prio);
	}
	RB_CLEAR_NODE(&mp->node);
}

/*
 * The selection keys.  Each compares a message's key with another's, or
 * with a wanted one (prio and the tie left out: see kmbox_sel_first).
 */
struct kmbox_sel_key {
	uintptr_t pid;
	u64 tag;
	u32 prio;
};

static void kmbox_sel_key_of(const struct kmbox_msg *msg, struct kmbox_sel_key *k)
{
	k->pid = (uintptr_t)msg->pid;
	k->tag = kmbox_msg_sel(msg)->tag;
	k->prio = kmbox_msg_prio(msg)->prio;
}

enum kmbox_sel_tree { KMBOX_BY_TAG, KMBOX_BY_PID, KMBOX_BY_PID_TAG };

static int kmbox_cmp(u64 a, u64 b)
{
	return a < b ? -1 : a > b;
}

/*
 * Compares a with b on tree t's key, the first `fields` of (pid, tag,
 * -prio) it has.
 */
static int kmbox_sel_cmp(enum kmbox_sel_tree t, const struct kmbox_sel_key *a,
			 const struct kmbox_sel_key *b, bool with_prio)
{
	int c = 0;

	if (t != KMBOX_BY_TAG)
		c = kmbox_cmp(a->pid, b->pid);
	if (!c && t != KMBOX_BY_PID)
		c = kmbox_cmp(a->tag, b->tag);
	if (!c && with_prio)
		c = kmbox_cmp(b->prio, a->prio);	/* the highest first */
	return c;
}

static struct rb_node *kmbox_sel_node(const struct kmbox_msg *msg,
				      enum kmbox_sel_tree t)
{
	struct kmbox_msg_sel *ms = kmbox_msg_sel(msg);

	switch (t) {
	case KMBOX_BY_TAG:
		return &ms->tag_node;
	case KMBOX_BY_PID:
		return &ms->pid_node;
	default:
		return &ms->pid_tag_node;
	}
}

static struct kmbox_msg *kmbox_sel_msg(struct rb_node *node, enum kmbox_sel_tree t)
{
	struct kmbox_msg_sel *ms;

	switch (t) {
	case KMBOX_BY_TAG:
		ms = rb_entry(node, struct kmbox_msg_sel, tag_node);
		break;
	case KMBOX_BY_PID:
		ms = rb_entry(node, struct kmbox_msg_sel, pid_node);
		break;
	default:
		ms = rb_entry(node, struct kmbox_msg_sel, pid_tag_node);
		break;
	}
	return (struct kmbox_msg *)(&container_of(ms, struct kmbox_msg_ix, sel)->prio + 1);
}

static struct rb_root *kmbox_sel_root(struct kmbox *mb, enum kmbox_sel_tree t)
{
	switch (t) {
	case KMBOX_BY_TAG:
		return &mb->index.by_tag.rb_root;
	case KMBOX_BY_PID:
		return &mb->index.by_pid;
	default:
		return &mb->index.by_pid_tag;
	}
}

/* Adds msg to tree t: after its equals, or before them (head). */
static void kmbox_sel_insert(struct kmbox *mb, struct kmbox_msg *msg,
			     enum kmbox_sel_tree t, bool head)
{
	struct rb_node **link = &kmbox_sel_root(mb, t)->rb_node, *parent = NULL;
	struct rb_node *node = kmbox_sel_node(msg, t);
	struct kmbox_sel_key k, pk;
	bool leftmost = true;
	int c;

	kmbox_sel_key_of(msg, &k);
	while (*link) {
		parent = *link;
		kmbox_sel_key_of(kmbox_sel_msg(parent, t), &pk);
		c = kmbox_sel_cmp(t, &k, &pk, true);
		if (c < 0 || (!c && head)) {
			link = &parent->rb_left;
		} else {
			link = &parent->rb_right;
			leftmost = false;
		}
	}
	rb_link_node(node, parent, link);
	if (t == KMBOX_BY_TAG)
		rb_insert_color_cached(node, &mb->index.by_tag, leftmost);
	else
		rb_insert_color(node, kmbox_sel_root(mb, t));
}

static void kmbox_sel_erase(struct kmbox *mb, struct kmbox_msg *msg,
			    enum kmbox_sel_tree t)
{
	if (t == KMBOX_BY_TAG)
		rb_erase_cached(kmbox_sel_node(msg, t), &mb->index.by_tag);
	else
		rb_erase(kmbox_sel_node(msg, t), kmbox_sel_root(mb, t));
}

/*
 * The leftmost message of tree t whose key, leaving out the priority, is
 * want's: the first such in delivery order.  With match_tag false on
 * by_pid_tag, the leftmost of want's sender, whatever its tag: the lowest
 * tag it sent.
 */
static struct kmbox_msg *kmbox_sel_first(struct kmbox *mb, enum kmbox_sel_tree t,
					 const struct kmbox_sel_key *want,
					 bool match_tag)
{
	struct rb_node *node = kmbox_sel_root(mb, t)->rb_node;
	struct kmbox_msg *found = NULL, *msg;
	struct kmbox_sel_key k;
	enum kmbox_sel_tree kt = t;
	int c;

	/* Comparing on the sender alone is comparing as by_pid does. */
	if (t == KMBOX_BY_PID_TAG && !match_tag)
		kt = KMBOX_BY_PID;
	while (node) {
		msg = kmbox_sel_msg(node, t);
		kmbox_sel_key_of(msg, &k);
		c = kmbox_sel_cmp(kt, want, &k, false);
		if (c <= 0) {
			if (!c)
				found = msg;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return found;
}

/*
 * Puts msg in the queue, at the tail of its priority or (put back) at its
 * head, and in the indexes.  mb->lock held.
 */
void kmbox_ix_queue(struct kmbox *mb, struct kmbox_msg *msg, bool head)
{
	if (mb->create_flags & KMBOX_CREATE_PRIO)
		kmbox_prio_queue(mb, msg, head);
	else if (head)
		list_add(&msg->link, &mb->queue);
	else
		list_add_tail(&msg->link, &mb->queue);
	if (mb->ix != KMBOX_IX_SELECT)
		return;
	kmbox_sel_insert(mb, msg, KMBOX_BY_TAG, head);
	kmbox_sel_insert(mb, msg, KMBOX_BY_PID, head);
	kmbox_sel_insert(mb, msg, KMBOX_BY_PID_TAG, head);
}

/* Takes msg out of the queue and the indexes.  mb->lock held. */
void kmbox_ix_unqueue(struct kmbox *mb, struct kmbox_msg *msg)
{
	if (mb->create_flags & KMBOX_CREATE_PRIO)
		kmbox_prio_unqueue(mb, msg);
	list_del(&msg->link);
	if (mb->ix != KMBOX_IX_SELECT)
		return;
	kmbox_sel_erase(mb, msg, KMBOX_BY_TAG);
	kmbox_sel_erase(mb, msg, KMBOX_BY_PID);
	kmbox_sel_erase(mb, msg, KMBOX_BY_PID_TAG);
}

/*
 * The first queued message, in delivery order, that ro selects (NULL if
 * none).  mb->lock held.
 */
struct kmbox_msg *kmbox_ix_first(struct kmbox *mb, const struct kmbox_recv_opts *ro)
{
	struct kmbox_sel_key want = { .pid = (uintptr_t)ro->pid, .tag = ro->tag };
	u32 sel = ro->select & KMBOX_RECV_SELECT;
	struct kmbox_msg *msg;
	struct rb_node *node;

	if (!sel)
		return list_first_entry_or_null(&mb->queue, struct kmbox_msg, link);
	switch (sel) {
	case KMBOX_RECV_TAG:
		return kmbox_sel_first(mb, KMBOX_BY_TAG, &want, true);
	case KMBOX_RECV_TAG_LE:
		node = rb_first_cached(&mb->index.by_tag);
		msg = node ? kmbox_sel_msg(node, KMBOX_BY_TAG) : NULL;
		break;
	case KMBOX_RECV_FROM:
		return kmbox_sel_first(mb, KMBOX_BY_PID, &want, false);
	case KMBOX_RECV_FROM | KMBOX_RECV_TAG:
		return kmbox_sel_first(mb, KMBOX_BY_PID_TAG, &want, true);
	default:	/* FROM | TAG_LE: the sender's lowest tag */
		msg = kmbox_sel_first(mb, KMBOX_BY_PID_TAG, &want, false);
		break;
	}
	return msg && kmbox_msg_sel(msg)->tag <= ro->tag ? msg : NULL;
}

/*
 * Does ro select msg?  For a receiver waiting, which found nothing it
 * selects queued: so msg, if selected, is its first (for TAG_LE too: no
 * lower tag <= the bound is queued).
 */
static bool kmbox_ix_match(const struct kmbox_msg *msg,
			   const struct kmbox_recv_opts *ro)
{
	if (!ro)
		return true;
	if ((ro->select & KMBOX_RECV_FROM) && msg->pid != ro->pid)
		return false;
	if ((ro->select & KMBOX_RECV_TAG) && kmbox_msg_tag_of(msg) != ro->tag)
		return false;
	if ((ro->select & KMBOX_RECV_TAG_LE) && kmbox_msg_tag_of(msg) > ro->tag)
		return false;
	return true;
}

/*
 * The receiver a new (or put back) message goes to: the first waiting that
 * selects it.  Only a SELECT mailbox has receivers that select, so only
 * there is the line walked; it holds blocked tasks, never messages.
 * mb->lock held.
 */
struct kmbox_receiver *kmbox_ix_receiver(struct kmbox *mb,
					 const struct kmbox_msg *msg)
{
	struct kmbox_receiver *rcv;

	if (mb->ix != KMBOX_IX_SELECT)
		return list_first_entry_or_null(&mb->receivers,
						struct kmbox_receiver, link);
	list_for_each_entry(rcv, &mb->receivers, link)
		if (kmbox_ix_match(msg, rcv->ro))
			return rcv;
	return NULL;
}
