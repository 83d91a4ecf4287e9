// SPDX-License-Identifier: GPL-2.0
/* spool_stat.c - /proc/spool-stat, per-CPU counters summed on read. */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "spool_internal.h"

DEFINE_PER_CPU(struct spool_stats, spool_stats);

static const char *const spool_stat_names[SPOOL_STAT_NR] = {
#define SPOOL_STAT_NAME(id, name)	[SPOOL_STAT_##id] = #name,
	SPOOL_STATS(SPOOL_STAT_NAME)
#undef SPOOL_STAT_NAME
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
