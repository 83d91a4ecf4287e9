// SPDX-License-Identifier: GPL-2.0
/*
 * abi_layout.c - the ABI has one layout for 32- and 64-bit callers.
 *
 * Compiled with -m64 and with -m32 (and -mx32 where available); every
 * assertion is checked at compile time, so building it is the test.
 */
#include <stddef.h>

#include "uapi/spool.h"

#define SIZE(type, n) _Static_assert(sizeof(struct type) == (n), #type " size")
#define AT(type, field, off) \
	_Static_assert(offsetof(struct type, field) == (off), #type "." #field)

SIZE(spool_version, 32);
AT(spool_version, features, 8);
AT(spool_version, max_files, 16);
AT(spool_version, reserved2, 28);

SIZE(spool_reg, 24);
AT(spool_reg, flags, 8);
AT(spool_reg, cookie, 16);

SIZE(spool_event, 32);
AT(spool_event, events, 8);
AT(spool_event, fd, 12);
AT(spool_event, flags, 16);
AT(spool_event, result, 20);
AT(spool_event, offset, 24);
AT(spool_event, sndspace, 28);

SIZE(spool_wait, 24);
AT(spool_wait, max_events, 8);
AT(spool_wait, timeout_ms, 12);
AT(spool_wait, flags, 16);

SIZE(spool_conn, 48);
AT(spool_conn, addrlen, 8);
AT(spool_conn, addr, 16);

SIZE(spool_accept, 32);
AT(spool_accept, conns, 8);
AT(spool_accept, flags, 16);
AT(spool_accept, reserved, 28);

SIZE(spool_iov, 24);
AT(spool_iov, buf, 8);
AT(spool_iov, len, 16);
AT(spool_iov, result, 20);

SIZE(spool_ctl, 32);
AT(spool_ctl, cookie, 16);
AT(spool_ctl, result, 24);

SIZE(spool_cycle, 96);
AT(spool_cycle, ctl, 0);
AT(spool_cycle, arena, 32);
AT(spool_cycle, nr_ctl, 40);
AT(spool_cycle, timeout_ms, 64);
AT(spool_cycle, nr_conns, 80);
AT(spool_cycle, reserved, 92);

int main(void)
{
	return 0;
}
