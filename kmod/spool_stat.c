// SPDX-License-Identifier: GPL-2.0
/* spool_stat.c - /proc/spool-stat, per-CPU counters summed on read. */
#ifdef SPOOL_PROC_STAT

#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "spool_internal.h"

DEFINE_PER_CPU(struct spool_stats, spool_stats);

static const char *const spool_stat_names[SPOOL_STAT_NR] = {
	[SPOOL_STAT_POOLS]		= "pools",
	[SPOOL_STAT_FILES]		= "files",
	[SPOOL_STAT_REGISTERS]		= "registers",
	[SPOOL_STAT_MODIFIES]		= "modifies",
	[SPOOL_STAT_UNREGISTERS]	= "unregisters",
	[SPOOL_STAT_WAIT_CALLS]		= "wait_calls",
	[SPOOL_STAT_WAIT_EVENTS]	= "wait_events",
	[SPOOL_STAT_ACCEPT_CALLS]	= "accept_calls",
	[SPOOL_STAT_ACCEPT_CONNS]	= "accept_conns",
	[SPOOL_STAT_READ_CALLS]		= "read_calls",
	[SPOOL_STAT_READ_ITEMS]		= "read_items",
	[SPOOL_STAT_WRITE_CALLS]	= "write_calls",
	[SPOOL_STAT_WRITE_ITEMS]	= "write_items",
	[SPOOL_STAT_CYCLE_CALLS]	= "cycle_calls",
	[SPOOL_STAT_CYCLE_EVENTS]	= "cycle_events",
	[SPOOL_STAT_CYCLE_CTLS]		= "cycle_ctls",
	[SPOOL_STAT_CYCLE_SENDS]	= "cycle_sends",
	[SPOOL_STAT_CYCLE_RECVS]	= "cycle_recvs",
	[SPOOL_STAT_CYCLE_ACCEPTS]	= "cycle_accepts",
	[SPOOL_STAT_ACCEPTS]		= "accepts",
	[SPOOL_STAT_ACCEPT_REFUSED]	= "accept_refused",
	[SPOOL_STAT_BYTES_IN]		= "bytes_in",
	[SPOOL_STAT_BYTES_OUT]		= "bytes_out",
	[SPOOL_STAT_WAKE_CALLS]		= "wake_calls",
	[SPOOL_STAT_WAKEUPS]		= "wakeups",
	[SPOOL_STAT_STALE_DROPPED]	= "stale_dropped",
};

static int spool_stat_show(struct seq_file *m, void *v)
{
	int id, cpu;

	for (id = 0; id < SPOOL_STAT_NR; id++) {
		u64 sum = 0;

		for_each_possible_cpu(cpu)
			sum += per_cpu(spool_stats, cpu).v[id];
		/* Gauges are summed from per-CPU deltas that may be negative. */
		seq_printf(m, "%s %lld\n", spool_stat_names[id], (s64)sum);
	}
	return 0;
}

int spool_stat_init(void)
{
	if (!proc_create_single("spool-stat", 0444, NULL, spool_stat_show))
		return -ENOMEM;
	return 0;
}

void spool_stat_exit(void)
{
	remove_proc_entry("spool-stat", NULL);
}

#endif /* SPOOL_PROC_STAT */
