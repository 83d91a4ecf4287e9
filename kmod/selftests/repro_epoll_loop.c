// SPDX-License-Identifier: GPL-2.0
/*
 * repro_epoll_loop.c - a pool registered (through an epoll file) in itself.
 *
 * /dev/spool refuses to register a pool in a pool (EINVAL), but it accepts
 * an epoll file, and epoll accepts a pool.  With pool P in epoll E and E
 * registered in P, the two poll and wake-up paths recurse into each other:
 *
 *   register   P: REGISTER E holds P->mtx and polls E; E polls its ready
 *              item P; spool_poll(P) takes P->mtx again: the task hangs in
 *              D state forever (mutex self-deadlock), unkillable.
 *   wake       P holds eventfd X and E, E holds P.  write(X) wakes P->wq
 *              (its lock held), which runs E's callback, which wakes
 *              E->poll_wait, which runs P's callback for E, which wakes
 *              P->wq again: spinlock recursion with interrupts off, the
 *              CPU locks up.
 *
 * Usage: repro_epoll_loop register|wake.  Exits 0 if the call came
 * back (the module refused or survived), prints where it stopped.
 * Do not run it outside a throw-away VM: on an affected module it hangs
 * the calling task or the whole machine.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include "uapi/spool.h"

static int reg(int pool, int fd, unsigned int events)
{
	struct spool_reg r = { .fd = fd, .events = events, .cookie = fd };

	return ioctl(pool, SPOOL_IOC_REGISTER, &r);
}

static void step(const char *what, int ret)
{
	printf("%s: %d%s%s\n", what, ret, ret < 0 ? " " : "",
	       ret < 0 ? strerror(errno) : "");
	fflush(stdout);
}

static int P, E, X;

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "register";
	struct epoll_event ee = { .events = EPOLLIN };
	uint64_t one = 1;

	P = open("/dev/spool", O_RDWR);
	E = epoll_create1(0);
	X = eventfd(0, EFD_NONBLOCK);
	if (P < 0 || E < 0 || X < 0) {
		perror("setup");
		return 2;
	}
	ee.data.fd = P;

	if (!strcmp(mode, "register")) {
		step("write eventfd", (int)write(X, &one, 8));
		step("REGISTER eventfd in pool", reg(P, X, SPOOL_IN));
		step("epoll_ctl ADD pool to epoll", epoll_ctl(E, EPOLL_CTL_ADD, P, &ee));
		printf("REGISTER epoll in pool (hangs on an affected module)...\n");
		fflush(stdout);
		step("REGISTER epoll in pool", reg(P, E, SPOOL_IN));
	} else if (!strcmp(mode, "wake")) {
		step("epoll_ctl ADD pool to epoll", epoll_ctl(E, EPOLL_CTL_ADD, P, &ee));
		step("REGISTER epoll in pool", reg(P, E, SPOOL_IN));
		step("REGISTER eventfd in pool", reg(P, X, SPOOL_IN));
		printf("write eventfd (locks up a CPU on an affected module)...\n");
		fflush(stdout);
		step("write eventfd", (int)write(X, &one, 8));
	} else {
		fprintf(stderr, "usage: %s register|wake\n", argv[0]);
		return 2;
	}
	printf("survived\n");
	return 0;
}
