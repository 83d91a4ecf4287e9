// SPDX-License-Identifier: GPL-2.0
/*
 * call_rate.c - calls per second of the cheapest ioctl (SPOOL_IOC_WAKE) and
 * of a cycle that reports 64 writable sockets, for measuring what the
 * statistics cost (DESIGN.md, "Statistics"):
 *
 *   call_rate [SECONDS]     prints "wake N/s" and "cycle64 N/s"
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "uapi/spool.h"

#define NR	64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5, end, t0;
	static struct spool_event ev[NR];
	struct spool_cycle c = { 0 };
	int pool, i, sv[2];
	unsigned long n;

	pool = open("/dev/spool", O_RDWR | O_CLOEXEC);
	if (pool < 0) {
		perror("/dev/spool");
		return 1;
	}
	for (i = 0; i < NR; i++) {
		struct spool_reg r = { .events = SPOOL_OUT };

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
			perror("socketpair");
			return 1;
		}
		r.fd = sv[0];
		r.cookie = i;
		if (ioctl(pool, SPOOL_IOC_REGISTER, &r)) {
			perror("SPOOL_IOC_REGISTER");
			return 1;
		}
	}

	t0 = now();
	end = t0 + secs;
	for (n = 0; now() < end; n++)
		if (ioctl(pool, SPOOL_IOC_WAKE, 0)) {
			perror("SPOOL_IOC_WAKE");
			return 1;
		}
	printf("wake %.0f/s\n", n / (now() - t0));

	c.events = (unsigned long)ev;
	c.max_events = NR;
	t0 = now();
	end = t0 + secs;
	for (n = 0; now() < end; n++)
		if (ioctl(pool, SPOOL_IOC_CYCLE, &c) != NR) {
			perror("SPOOL_IOC_CYCLE");
			return 1;
		}
	printf("cycle64 %.0f/s\n", n / (now() - t0));
	return 0;
}
