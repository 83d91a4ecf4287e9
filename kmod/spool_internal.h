/* SPDX-License-Identifier: GPL-2.0 */
/* spool_internal.h - what spool_main.c and spool_stat.c share. */
#ifndef _SPOOL_INTERNAL_H
#define _SPOOL_INTERNAL_H

#include <linux/percpu.h>
#include <linux/printk.h>

/*
 * Statistics, shown by /proc/spool-stat in this order, one X(ID, name) each:
 * SPOOL_STAT_ID in the code, "name" in the file.  POOLS and FILES are
 * gauges; every other entry is a counter that only grows.  REGISTERS,
 * MODIFIES and UNREGISTERS count operations, whether an ioctl or a cycle's
 * ctl batch carried them.  Per-CPU, in every build: an add is one
 * this_cpu_add(), and only a read of the file sums them.
 */
#define SPOOL_STATS(X)				\
	X(POOLS,		pools)		\
	X(FILES,		files)		\
	X(REGISTERS,		registers)	\
	X(MODIFIES,		modifies)	\
	X(UNREGISTERS,		unregisters)	\
	X(WAIT_CALLS,		wait_calls)	\
	X(WAIT_EVENTS,		wait_events)	\
	X(ACCEPT_CALLS,		accept_calls)	\
	X(ACCEPT_CONNS,		accept_conns)	\
	X(READ_CALLS,		read_calls)	\
	X(READ_ITEMS,		read_items)	\
	X(WRITE_CALLS,		write_calls)	\
	X(WRITE_ITEMS,		write_items)	\
	X(CYCLE_CALLS,		cycle_calls)	\
	X(CYCLE_EVENTS,		cycle_events)	\
	X(CYCLE_CTLS,		cycle_ctls)	\
	X(CYCLE_SENDS,		cycle_sends)	\
	X(CYCLE_RECVS,		cycle_recvs)	\
	X(CYCLE_ACCEPTS,	cycle_accepts)	\
	X(ACCEPTS,		accepts)	\
	X(ACCEPT_REFUSED,	accept_refused)	\
	X(BYTES_IN,		bytes_in)	\
	X(BYTES_OUT,		bytes_out)	\
	X(WAKE_CALLS,		wake_calls)	\
	X(WAKEUPS,		wakeups)	\
	X(STALE_DROPPED,	stale_dropped)

enum spool_stat_id {
#define SPOOL_STAT_ENUM(id, name)	SPOOL_STAT_##id,
	SPOOL_STATS(SPOOL_STAT_ENUM)
#undef SPOOL_STAT_ENUM
	SPOOL_STAT_NR
};

struct spool_stats {
	u64 v[SPOOL_STAT_NR];
};
DECLARE_PER_CPU(struct spool_stats, spool_stats);

static inline void spool_stat_add(enum spool_stat_id id, s64 delta)
{
	this_cpu_add(spool_stats.v[id], delta);
}

int spool_stat_init(void);
void spool_stat_exit(void);

#endif /* _SPOOL_INTERNAL_H */
