/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The frame's header (ipc-rpc.h describes the frame): one u32,
 * little-endian, read and written byte by byte so that neither alignment
 * nor the host's byte order matters.
 */
#ifndef LIBIPC_RPC_FRAME_H
#define LIBIPC_RPC_FRAME_H

#include <stdint.h>

#include "ipc-rpc.h"

static inline void frame_put_u32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = v & 0xff;
	b[1] = (v >> 8) & 0xff;
	b[2] = (v >> 16) & 0xff;
	b[3] = v >> 24;
}

static inline uint32_t frame_get_u32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

#define RPC_EXPORT __attribute__((visibility("default")))

#endif /* LIBIPC_RPC_FRAME_H */
