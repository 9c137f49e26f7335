// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* The posix backend's ops table and test hook (design: pmb.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>

#include "pmb.h"

int libipc_test_crash_point;
unsigned int libipc_test_crash_after;
int libipc_test_crash_signal;

void pmb_hook_fire(void)
{
	if (libipc_test_crash_after <= 1)
		raise(libipc_test_crash_signal ? libipc_test_crash_signal : SIGKILL);
	libipc_test_crash_after--;
}

static int pmb_init(void)
{
	return 0;
}

const struct ipc_backend_ops ipc_posix_ops = {
	.name = "posix",
	.init = pmb_init,
	.create = pmb_create,
	.open = pmb_open,
	.unlink = pmb_unlink,
	.close = pmb_close,
	.destroy = pmb_destroy,
	.release = pmb_release,
	.send = pmb_send,
	.recv = pmb_recv,
	.info = pmb_info,
	.port_create = pmb_port_create,
	.port_open = pmb_port_open,
	.call = pmb_call,
	.reply = pmb_reply,
	.fd = pmb_fd,
	.stat = pmb_stat,
	.list = pmb_list,
};
