// SPDX-License-Identifier: GPL-2.0
/*
 * module_test: the module cannot be unloaded while a handle is open.
 *
 * Asks the kernel to remove kmbox (delete_module with O_NONBLOCK, as rmmod
 * does) while only a mailbox handle keeps it, while only a port and its
 * send handle do, and while only /dev/kmbox does; all must fail with EWOULDBLOCK and leave the mailbox working.
 * Runs last: should the module wrongly go away, every later test would
 * fail with it.
 */
#include <sys/syscall.h>

#include "kmbox_test.h"

static int try_unload(void)
{
	return syscall(SYS_delete_module, "kmbox", O_NONBLOCK) ? -errno : 0;
}

TEST(pinned_by_a_mailbox_handle)
{
	char buf[16];
	int fd;

	fd = kt_anon(2);		/* /dev/kmbox is closed again */
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_send_str(fd, "still here", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(-EWOULDBLOCK, try_unload());
	EXPECT_EQ(0, access("/sys/module/kmbox", F_OK));
	EXPECT_EQ(10, kt_recv_str(fd, buf, sizeof(buf), KMBOX_MSG_NONBLOCK));
	EXPECT_STREQ("still here", buf);
	close(fd);
}

/*
 * A port and a send handle to it: either pins the module, and the port's
 * release (its owner closing) leaves the send handle working (EIDRM).
 */
TEST(pinned_by_a_port)
{
	struct kmbox_create cr = {
		.flags = KMBOX_CREATE_PORT, .access = KMBOX_ACCESS_RECV,
		.capacity = 2, .mode = 0600,
	};
	struct kmbox_port_open po = { .access = KMBOX_ACCESS_SEND };
	int dev, fd, sfd;

	dev = kt_dev();
	ASSERT_LE(0, dev);
	fd = kt_ioctl(dev, KMBOX_IOC_CREATE, &cr);
	ASSERT_LE(0, fd);
	po.pid = getpid();
	po.port = cr.id;
	sfd = kt_ioctl(dev, KMBOX_IOC_PORT_OPEN, &po);
	ASSERT_LE(0, sfd);
	close(dev);
	ASSERT_EQ(0, kt_send_str(sfd, "queued", KMBOX_MSG_NONBLOCK));
	ASSERT_EQ(-EWOULDBLOCK, try_unload());
	close(fd);
	ASSERT_EQ(-EWOULDBLOCK, try_unload());
	EXPECT_EQ(-EIDRM, kt_send_str(sfd, "gone", KMBOX_MSG_NONBLOCK));
	close(sfd);
}

TEST(pinned_by_the_device)
{
	struct kmbox_limits lim;
	int dev;

	dev = kt_dev();
	ASSERT_LE(0, dev);
	ASSERT_EQ(-EWOULDBLOCK, try_unload());
	memset(&lim, 0, sizeof(lim));
	EXPECT_EQ(0, kt_ioctl(dev, KMBOX_IOC_LIMITS, &lim));
	EXPECT_EQ((__u32)KMBOX_ABI_VERSION, lim.abi_version);
	close(dev);
}

TEST_HARNESS_MAIN
