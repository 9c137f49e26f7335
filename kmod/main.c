// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmbox: kernel mailboxes for inter-process communication.
 *
 * The control device /dev/kmbox creates and opens mailboxes; each comes
 * back as a file descriptor of its own (see uapi/linux/kmbox.h).  This file
 * holds the module's parameters and its registration.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "kmbox.h"

/*
 * Limits.  Root may change them at run time through
 * /sys/module/kmbox/parameters/; a change applies to mailboxes created and
 * messages sent after it.
 */
unsigned int kmbox_max_msg_size = 1U << 20;
module_param_named(max_msg_size, kmbox_max_msg_size, uint, 0644);
MODULE_PARM_DESC(max_msg_size, "Largest max_msg_size a mailbox may have, in bytes (at most 64 MiB)");

unsigned int kmbox_default_msg_size = 8192;
module_param_named(default_msg_size, kmbox_default_msg_size, uint, 0644);
MODULE_PARM_DESC(default_msg_size, "max_msg_size of a mailbox created with 0");

unsigned long kmbox_max_capacity = 65536;
module_param_named(max_capacity, kmbox_max_capacity, ulong, 0644);
MODULE_PARM_DESC(max_capacity, "Largest bounded capacity, in messages");

unsigned long kmbox_max_mailboxes_per_user = 1024;
module_param_named(max_mailboxes_per_user, kmbox_max_mailboxes_per_user, ulong, 0644);
MODULE_PARM_DESC(max_mailboxes_per_user, "Mailboxes one uid may own at once");

unsigned long kmbox_max_bytes_per_user = 64UL << 20;
module_param_named(max_bytes_per_user, kmbox_max_bytes_per_user, ulong, 0644);
MODULE_PARM_DESC(max_bytes_per_user, "Bytes of messages one uid may have queued, all mailboxes");

u32 kmbox_msg_size_limit(void)
{
	return min(READ_ONCE(kmbox_max_msg_size), KMBOX_MSG_SIZE_CEILING);
}

void kmbox_get_limits(struct kmbox_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->abi_version = KMBOX_ABI_VERSION;
	l->max_msg_size = kmbox_msg_size_limit();
	l->default_msg_size = min(READ_ONCE(kmbox_default_msg_size), kmbox_msg_size_limit());
	l->max_capacity = READ_ONCE(kmbox_max_capacity);
	l->max_mailboxes_per_user = READ_ONCE(kmbox_max_mailboxes_per_user);
	l->max_bytes_per_user = READ_ONCE(kmbox_max_bytes_per_user);
	l->msg_overhead = kmbox_msg_charge(0);
	l->features = KMBOX_FEATURE_ADMIN | KMBOX_FEATURE_CREATE_RESULT |
		      KMBOX_FEATURE_BATCH | KMBOX_FEATURE_CHARGED |
		      KMBOX_FEATURE_SELECT | KMBOX_FEATURE_PORT |
		      KMBOX_FEATURE_CALL;
}

static const struct file_operations kmbox_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kmbox_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice kmbox_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kmbox",
	.fops = &kmbox_dev_fops,
	.mode = 0666,
};

static int __init kmbox_init(void)
{
	int ret;

	ret = kmbox_msgbuf_init();
	if (ret)
		return ret;
	ret = kmbox_proc_init();
	if (ret)
		goto err_msgbuf;
	ret = misc_register(&kmbox_miscdev);
	if (ret)
		goto err_proc;
	return 0;

err_proc:
	kmbox_proc_exit();
err_msgbuf:
	kmbox_msgbuf_exit();
	return ret;
}

/*
 * Every handle holds a module reference (fops owner), so no mailbox is in
 * use here; named ones nobody holds open are freed now.
 */
static void __exit kmbox_exit(void)
{
	misc_deregister(&kmbox_miscdev);
	kmbox_proc_exit();	/* drops open /proc/kmbox files' namespaces */
	kmbox_ns_exit();
	kmbox_users_exit();
	kmbox_msgbuf_exit();	/* the last messages went with the mailboxes */
}

module_init(kmbox_init);
module_exit(kmbox_exit);

MODULE_DESCRIPTION("Kernel mailboxes for inter-process communication");
MODULE_AUTHOR("The kmbox authors");
MODULE_LICENSE("GPL");
