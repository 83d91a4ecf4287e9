/* SPDX-License-Identifier: GPL-2.0 */
/* spool_internal.h - what spool_main.c and spool_stat.c share. */
#ifndef _SPOOL_INTERNAL_H
#define _SPOOL_INTERNAL_H

#include <linux/percpu.h>
#include <linux/printk.h>

#ifdef SPOOL_DEBUG
#define spool_dbg(fmt, ...) pr_info("spool: " fmt, ##__VA_ARGS__)
#else
#define spool_dbg(fmt, ...) no_printk("spool: " fmt, ##__VA_ARGS__)
#endif

/*
 * Statistics, shown by /proc/spool-stat in this order.  POOLS and FILES are
 * gauges; every other entry is a counter that only grows.  REGISTERS,
 * MODIFIES and UNREGISTERS count operations, whether an ioctl or a
 * cycle's ctl batch carried them.
 */
enum spool_stat_id {
	SPOOL_STAT_POOLS,
	SPOOL_STAT_FILES,
	SPOOL_STAT_REGISTERS,
	SPOOL_STAT_MODIFIES,
	SPOOL_STAT_UNREGISTERS,
	SPOOL_STAT_WAIT_CALLS,
	SPOOL_STAT_WAIT_EVENTS,
	SPOOL_STAT_ACCEPT_CALLS,
	SPOOL_STAT_ACCEPT_CONNS,
	SPOOL_STAT_READ_CALLS,
	SPOOL_STAT_READ_ITEMS,
	SPOOL_STAT_WRITE_CALLS,
	SPOOL_STAT_WRITE_ITEMS,
	SPOOL_STAT_CYCLE_CALLS,
	SPOOL_STAT_CYCLE_EVENTS,
	SPOOL_STAT_CYCLE_CTLS,
	SPOOL_STAT_CYCLE_SENDS,
	SPOOL_STAT_CYCLE_RECVS,
	SPOOL_STAT_CYCLE_ACCEPTS,
	SPOOL_STAT_ACCEPTS,
	SPOOL_STAT_ACCEPT_REFUSED,
	SPOOL_STAT_BYTES_IN,
	SPOOL_STAT_BYTES_OUT,
	SPOOL_STAT_WAKE_CALLS,
	SPOOL_STAT_WAKEUPS,
	SPOOL_STAT_STALE_DROPPED,
	SPOOL_STAT_NR
};

#ifdef SPOOL_PROC_STAT
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
#define SPOOL_HAVE_STATS true
#else
static inline void spool_stat_add(enum spool_stat_id id, s64 delta) { }
static inline int spool_stat_init(void) { return 0; }
static inline void spool_stat_exit(void) { }
#define SPOOL_HAVE_STATS false
#endif

#endif /* _SPOOL_INTERNAL_H */
