// SPDX-License-Identifier: GPL-2.0
/*
 * repro_cycle_efault.c - a cycle that fails with EFAULT must not leave
 * accepted connections installed.
 *
 * The header: "Accepted fds are installed only after every result was
 * copied out; if that copy fails the connections are closed and the call
 * fails with EFAULT".  With struct spool_cycle itself in read-only memory
 * the module reads it fine, accepts, copies events and conns out, installs
 * the fds, and only then fails to write nr_conns back: the call fails with
 * EFAULT and the caller, told nothing, holds fds it does not know of.
 *
 * Also checks the same for SPOOL_IOC_WAIT's write-back of flags: a one-shot
 * event reported by a WAIT that then fails with EFAULT is lost (the
 * registration was disarmed).  That one is printed as a note only.
 *
 * Prints "ok"/"not ok" lines and exits 0 when the cycle check passed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "uapi/spool.h"

#define U64(p)	((__u64)(uintptr_t)(p))

static int next_fd(void)
{
	int fd = dup(0), n = fd;

	close(fd);
	return n;
}

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct spool_event ev[4];
	struct spool_conn conns[4];
	struct spool_reg reg = { .events = SPOOL_IN, .flags = SPOOL_F_ACCEPT };
	struct spool_cycle *c;
	int pool, lfd, cfd, before, after, ret, err, rc = 0;

	pool = open("/dev/spool", O_RDWR);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (pool < 0 || lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(lfd, 8) || getsockname(lfd, (struct sockaddr *)&a, &alen)) {
		perror("setup");
		return 2;
	}
	reg.fd = lfd;
	if (ioctl(pool, SPOOL_IOC_REGISTER, &reg)) {
		perror("REGISTER");
		return 2;
	}
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(cfd, (struct sockaddr *)&a, sizeof(a))) {
		perror("connect");
		return 2;
	}
	usleep(100000);

	c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(c, 0, sizeof(*c));
	c->events = U64(ev);
	c->max_events = 4;
	c->conns = U64(conns);
	c->max_conns = 4;
	c->timeout_ms = 1000;
	memset(conns, 0xff, sizeof(conns));
	mprotect(c, 4096, PROT_READ);

	before = next_fd();
	ret = ioctl(pool, SPOOL_IOC_CYCLE, c);
	err = errno;
	after = next_fd();
	printf("# CYCLE with the struct read-only: ret %d errno %d (%s); conns[0].fd %d; "
	       "next free fd %d before, %d after\n", ret, ret < 0 ? err : 0,
	       ret < 0 ? strerror(err) : "-", conns[0].fd, before, after);
	if (ret == -1 && err == EFAULT && conns[0].fd >= 0 &&
	    fcntl(conns[0].fd, F_GETFD) >= 0) {
		printf("not ok - cycle EFAULT: accepted fd %d is installed although "
		       "the call failed with EFAULT (leaked)\n", conns[0].fd);
		rc = 1;
	} else if (ret == -1 && err == EFAULT) {
		printf("ok - cycle EFAULT: no accepted fd left installed\n");
	} else {
		printf("ok - cycle with a read-only struct: ret %d (no leak possible)\n", ret);
	}

	/* WAIT: a one-shot event lost when the flags write-back faults. */
	{
		struct spool_wait *w = (void *)c;
		int efd = eventfd(1, 0);
		struct spool_reg r2 = { .fd = efd, .events = SPOOL_IN,
					.flags = SPOOL_F_ONESHOT };
		struct spool_wait ok = { .events = U64(ev), .max_events = 4 };

		mprotect(c, 4096, PROT_READ | PROT_WRITE);
		ioctl(pool, SPOOL_IOC_UNREGISTER, &(struct spool_reg){ .fd = lfd });
		ioctl(pool, SPOOL_IOC_REGISTER, &r2);
		memset(w, 0, sizeof(*w));
		w->events = U64(ev);
		w->max_events = 4;
		mprotect(c, 4096, PROT_READ);
		ret = ioctl(pool, SPOOL_IOC_WAIT, w);
		err = errno;
		int again = ioctl(pool, SPOOL_IOC_WAIT, &ok);

		printf("# WAIT with the struct read-only: ret %d errno %d; the next WAIT "
		       "returns %d event(s)%s\n", ret, ret < 0 ? err : 0, again,
		       ret < 0 && again == 0 ? ": the one-shot event was consumed and lost" : "");
	}
	return rc;
}
