// SPDX-License-Identifier: GPL-2.0
/*
 * isolation.c - a pool reaches only its own process's files; unprivileged
 * users can use pools, within the per-pool limits.  Run as root (it sets
 * module parameters and drops to nobody itself):
 *
 *   isolation [UID]          (UID of the unprivileged user; default 65534)
 *
 *  1. Two processes.  A holds sockets, a listener with a pending
 *     connection, pipes and a pool with registrations, at fd numbers up to
 *     about 300.  B, forked before A opened any of them, passes every fd
 *     number 0..1023 to every call of its own pool.  Every number B does
 *     not hold must fail with EBADF (per item: -EBADF); afterwards A's
 *     sockets hold exactly their data, A's listener its connection, A's
 *     registrations are all there and B received nothing of A's.
 *  2. A pool fd passed to B over a UNIX socket: every call but poll and
 *     close fails with EBADFD.
 *  3. As an unprivileged user in the device's group: open a pool and use
 *     every operation.  A user outside that group cannot open /dev/spool
 *     (EACCES: the module makes it root:root 0660; the udev rule of make
 *     install gives it the group spool, and this test gives it a group id
 *     of its own, 65533, unless udev set one, then puts it back).
 *  4. As an unprivileged user, with spool.max_files=64, max_batch=8 and
 *     max_arena=4096: the 65th REGISTER fails with ENOSPC (another pool
 *     still takes 64), and counts above the limits fail with EINVAL; the
 *     user cannot change the parameters.  The parameters are restored.
 *
 * Prints "ok"/"not ok" lines and "N passed, N failed".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "uapi/spool.h"
#include "sockets.h"
#define TAP_NAME "isolation"
#include "tap.h"

#define U64(p)		((__u64)(uintptr_t)(p))
#define NFD		1024
#define PARAMS		"/sys/module/spool/parameters/"

static uid_t nobody = 65534;
static gid_t dev_gid = 65533;	/* the device's group, see 3. */
static int dev_chowned;

/* A child's verdict comes back as its exit status: 0 ok, else a step. */
static int run_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Becomes nobody, with or without the device's group as a supplementary one. */
static int drop_privs_in(int in_group)
{
	if (setgroups(in_group ? 1 : 0, &dev_gid) || setgid(nobody) || setuid(nobody))
		return -1;
	return getuid() == nobody && geteuid() == nobody ? 0 : -1;
}

static int drop_privs(void)
{
	return drop_privs_in(1);
}

static int queued(int fd)
{
	int n = -1;

	return ioctl(fd, FIONREAD, &n) ? -1 : n;
}

/* ---- 1. two processes ------------------------------------------------------ */

static char fd_open_in_b[NFD];

/*
 * B: its own pool, every call on every number.  Returns the number of
 * results that were not EBADF for numbers B does not hold (printed).
 */
static int b_sweep(int pool, int port_a)
{
	static struct spool_iov iov[8];
	static struct spool_ctl ctl[8];
	static struct spool_conn conns[8];
	static struct spool_event ev[64];
	static char buf[8][256];
	int bad = 0;

	for (int fd = 0; fd < NFD; fd++) {
		struct spool_reg reg = { .fd = fd, .events = SPOOL_IN | SPOOL_OUT, .cookie = fd };
		struct spool_accept acc = { .fd = fd, .max_conns = 8, .conns = U64(conns),
					    .flags = SPOOL_ACCEPT_REGISTER, .reg_events = SPOOL_IN };
		struct spool_cycle c = { .ctl = U64(ctl), .nr_ctl = 8, .send = U64(iov),
					 .nr_send = 4, .events = U64(ev), .max_events = 64,
					 .conns = U64(conns), .max_conns = 8 };
		int mine = fd_open_in_b[fd], r[16], n = 0;

		if (mine)
			continue;
		for (__u32 fl = 0; fl < 3; fl++) {
			reg.flags = fl == 0 ? 0 : fl == 1 ? SPOOL_F_RECV : SPOOL_F_ACCEPT;
			r[n++] = ioctl(pool, SPOOL_IOC_REGISTER, &reg) ? errno : 0;
			r[n++] = ioctl(pool, SPOOL_IOC_MODIFY, &reg) ? errno : 0;
		}
		reg.events = reg.flags = 0;
		reg.cookie = 0;
		r[n++] = ioctl(pool, SPOOL_IOC_UNREGISTER, &reg) ? errno : 0;
		r[n++] = ioctl(pool, SPOOL_IOC_ACCEPT, &acc) ? errno : 0;
		for (int i = 0; i < 8; i++) {
			iov[i] = (struct spool_iov){ .fd = fd, .buf = U64(buf[i]), .len = 256 };
			memcpy(buf[i], "EVIL", 4);
		}
		if (write(pool, iov, 4 * sizeof(iov[0])) < 0)
			r[n++] = errno;
		for (int i = 0; i < 4; i++)
			if (iov[i].result != -EBADF)
				r[n++] = 1000 - iov[i].result;
		if (read(pool, iov, 4 * sizeof(iov[0])) < 0)
			r[n++] = errno;
		for (int i = 0; i < 4; i++)
			if (iov[i].result != -EBADF)
				r[n++] = 1000 - iov[i].result;
		for (int i = 0; i < 8; i++)
			ctl[i] = (struct spool_ctl){ .op = 1 + i % 3, .fd = fd,
						     .events = i % 3 == 2 ? 0 : SPOOL_IN,
						     .flags = i == 3 ? SPOOL_F_ACCEPT :
							      i == 4 ? SPOOL_F_RECV : 0 };
		for (int i = 0; i < 4; i++)
			iov[i] = (struct spool_iov){ .fd = fd, .buf = U64(buf[i]), .len = 4 };
		if (ioctl(pool, SPOOL_IOC_CYCLE, &c) < 0)
			r[n++] = errno;
		for (int i = 0; i < 8; i++)
			if (ctl[i].result != -EBADF)
				r[n++] = 1000 - ctl[i].result;
		for (int i = 0; i < 4; i++)
			if (iov[i].result != -EBADF)
				r[n++] = 1000 - iov[i].result;
		if (c.nr_conns)
			r[n++] = 2000 + c.nr_conns;
		for (int i = 0; i < n; i++) {
			if (r[i] == EBADF)
				continue;
			if (bad++ < 10)
				printf("# B: fd %d (not B's): result %d of call %d is not EBADF\n",
				       fd, r[i], i);
		}
	}
	(void)port_a;
	return bad;
}

struct ab {
	int go[2], done[2];	/* A -> B: start; B -> A: finished (with count) */
	int unix_sv[2];		/* A passes its pool to B over this */
};

static int process_b(void *arg)
{
	struct ab *ab = arg;
	char c;
	int pool, bad, passed_pool, ebadfd_ok = 1;

	close(ab->go[1]);
	close(ab->done[0]);
	close(ab->unix_sv[0]);
	if (read(ab->go[0], &c, 1) != 1)
		return 90;
	pool = open("/dev/spool", O_RDWR);
	if (pool < 0)
		return 91;
	for (int fd = 0; fd < NFD; fd++)
		fd_open_in_b[fd] = fcntl(fd, F_GETFD) >= 0;
	bad = b_sweep(pool, 0);

	/* 2. A's pool, received over the UNIX socket. */
	{
		char data;
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec v = { .iov_base = &data, .iov_len = 1 };
		struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1,
				    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm;

		if (recvmsg(ab->unix_sv[1], &m, 0) != 1 || !(cm = CMSG_FIRSTHDR(&m)))
			return 92;
		memcpy(&passed_pool, CMSG_DATA(cm), sizeof(int));
		{
			struct spool_version v2;
			struct spool_reg reg = { .fd = pool, .events = SPOOL_IN };
			struct spool_event ev[2];
			struct spool_wait w = { .events = U64(ev), .max_events = 2 };
			struct spool_iov iov = { .fd = 0, .buf = U64(&data), .len = 1 };
			struct pollfd pfd = { .fd = passed_pool, .events = POLLIN };

			ebadfd_ok &= ioctl(passed_pool, SPOOL_IOC_VERSION, &v2) == -1 && errno == EBADFD;
			reg.fd = ab->unix_sv[1];
			ebadfd_ok &= ioctl(passed_pool, SPOOL_IOC_REGISTER, &reg) == -1 && errno == EBADFD;
			ebadfd_ok &= ioctl(passed_pool, SPOOL_IOC_UNREGISTER,
					   &(struct spool_reg){ .fd = 3 }) == -1 && errno == EBADFD;
			ebadfd_ok &= ioctl(passed_pool, SPOOL_IOC_WAIT, &w) == -1 && errno == EBADFD;
			ebadfd_ok &= ioctl(passed_pool, SPOOL_IOC_WAKE, 0) == -1 && errno == EBADFD;
			ebadfd_ok &= read(passed_pool, &iov, sizeof(iov)) == -1 && errno == EBADFD;
			ebadfd_ok &= write(passed_pool, &iov, sizeof(iov)) == -1 && errno == EBADFD;
			ebadfd_ok &= poll(&pfd, 1, 0) >= 0;
			ebadfd_ok &= close(passed_pool) == 0;
		}
	}
	{
		int msg[2] = { bad, ebadfd_ok };

		if (write(ab->done[1], msg, sizeof(msg)) != sizeof(msg))
			return 93;
	}
	close(pool);
	return 0;
}

static void test_two_processes(void)
{
	struct ab ab;
	pid_t b;
	int port, lfd, pool, pending, status, msg[2] = { -1, 0 };
	int srv[8], cli[8], extra[200], pipes[2], efd, nsrv = 0;
	char data[64];

	if (pipe(ab.go) || pipe(ab.done) || socketpair(AF_UNIX, SOCK_STREAM, 0, ab.unix_sv)) {
		result(0, "two processes: setup");
		return;
	}
	/* B first, so it holds none of what A opens next. */
	b = fork();
	if (b == 0)
		_exit(process_b(&ab));
	close(ab.go[0]);
	close(ab.done[1]);
	close(ab.unix_sv[1]);

	/* A: filler files, so A's numbers cover B's range densely. */
	for (int i = 0; i < 200; i++)
		extra[i] = eventfd(0, 0);
	lfd = loopback_listen(AF_INET, 64, 0, &port);
	pool = open("/dev/spool", O_RDWR);
	for (int i = 0; i < 8; i++) {
		cli[i] = loopback_connect(AF_INET, port, 0);
		srv[i] = accept(lfd, NULL, NULL);
		if (cli[i] >= 0 && srv[i] >= 0)
			nsrv++;
	}
	pending = loopback_connect(AF_INET, port, 0);	/* left in the backlog */
	if (pipe(pipes))
		pipes[0] = pipes[1] = -1;
	efd = eventfd(0, 0);
	memset(data, 'A', sizeof(data));
	for (int i = 0; i < 8; i++) {
		struct spool_reg reg = { .fd = srv[i], .events = SPOOL_IN,
					 .flags = SPOOL_F_RECV, .cookie = 0xA000 + i };

		send(cli[i], data, 10 + i, 0);		/* srv[i] holds 10 + i bytes */
		ioctl(pool, SPOOL_IOC_REGISTER, &reg);
	}
	{
		struct spool_reg reg = { .fd = lfd, .events = SPOOL_IN,
					 .flags = SPOOL_F_ACCEPT, .cookie = 0xAFFF };

		ioctl(pool, SPOOL_IOC_REGISTER, &reg);
	}
	usleep(50000);

	/* Pass A's pool to B, then let B loose. */
	{
		char c = 'p', cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec v = { .iov_base = &c, .iov_len = 1 };
		struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1,
				    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pool, sizeof(int));
		sendmsg(ab.unix_sv[0], &m, 0);
	}
	printf("# A: pool fd %d, listener %d, sockets up to fd %d; B sweeps 0..%d\n",
	       pool, lfd, efd, NFD - 1);
	if (write(ab.go[1], "g", 1) != 1 ||
	    read(ab.done[0], msg, sizeof(msg)) != sizeof(msg)) {
		msg[0] = -1;
	}
	waitpid(b, &status, 0);

	result(msg[0] == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "two processes: B's pool got EBADF for every one of A's fd numbers "
	       "(%d other results, B exit %#x)", msg[0], status);
	result(msg[1] == 1, "pool passed over a UNIX socket: every call EBADFD, poll and close work");

	/* A's side: untouched. */
	{
		int data_ok = 1, cli_ok = 1, reg_ok = 1, acc;

		for (int i = 0; i < 8; i++) {
			if (queued(srv[i]) != 10 + i)
				data_ok = 0;
			if (queued(cli[i]) != 0)
				cli_ok = 0;
		}
		for (int i = 0; i < 8; i++)
			if (ioctl(pool, SPOOL_IOC_UNREGISTER, &(struct spool_reg){ .fd = srv[i] }))
				reg_ok = 0;
		if (ioctl(pool, SPOOL_IOC_UNREGISTER, &(struct spool_reg){ .fd = lfd }))
			reg_ok = 0;
		result(nsrv == 8 && data_ok, "two processes: A's sockets still hold exactly their data");
		result(cli_ok, "two processes: no data reached A's sockets");
		result(reg_ok, "two processes: A's 9 registrations are all still there");
		fcntl(lfd, F_SETFL, O_NONBLOCK);
		acc = accept4(lfd, NULL, NULL, 0);
		result(pending >= 0 && acc >= 0 && accept4(lfd, NULL, NULL, 0) < 0 && errno == EAGAIN,
		       "two processes: A's pending connection is still in A's backlog");
		if (acc >= 0)
			close(acc);
	}
	for (int i = 0; i < 8; i++)
		close(srv[i]), close(cli[i]);
	for (int i = 0; i < 200; i++)
		close(extra[i]);
	close(pending);
	close(pipes[0]);
	close(pipes[1]);
	close(efd);
	close(lfd);
	close(pool);
	close(ab.go[1]);
	close(ab.done[0]);
	close(ab.unix_sv[0]);
}

/* ---- 3. unprivileged use ---------------------------------------------------- */

static int unprivileged_ops(void *arg)
{
	struct spool_version v;
	struct spool_event ev[8];
	struct spool_conn conns[4];
	struct spool_iov iov[2];
	char out[] = "hello", in[16], arena[256];
	int pool, lfd, port, cli, srv, efd;

	(void)arg;
	if (drop_privs())
		return 1;
	pool = open("/dev/spool", O_RDWR);
	if (pool < 0)
		return 2;
	if (ioctl(pool, SPOOL_IOC_VERSION, &v) || v.abi_version != SPOOL_ABI_VERSION)
		return 3;
	lfd = loopback_listen(AF_INET, 64, 0, &port);
	if (lfd < 0 || ioctl(pool, SPOOL_IOC_REGISTER, &(struct spool_reg){
			.fd = lfd, .events = SPOOL_IN, .flags = SPOOL_F_ACCEPT, .cookie = 1 }))
		return 4;
	cli = loopback_connect(AF_INET, port, 0);
	if (cli < 0)
		return 5;
	{
		struct spool_wait w = { .events = U64(ev), .max_events = 8, .timeout_ms = 2000 };

		if (ioctl(pool, SPOOL_IOC_WAIT, &w) != 1 || ev[0].cookie != 1)
			return 6;
	}
	{
		struct spool_accept a = { .fd = lfd, .max_conns = 4, .conns = U64(conns) };

		if (ioctl(pool, SPOOL_IOC_ACCEPT, &a) != 1)
			return 7;
		srv = conns[0].fd;
	}
	iov[0] = (struct spool_iov){ .fd = cli, .buf = U64(out), .len = 5 };
	if (write(pool, iov, sizeof(iov[0])) != sizeof(iov[0]) || iov[0].result != 5)
		return 8;
	usleep(20000);
	iov[0] = (struct spool_iov){ .fd = srv, .buf = U64(in), .len = sizeof(in) };
	if (read(pool, iov, sizeof(iov[0])) != sizeof(iov[0]) || iov[0].result != 5 ||
	    memcmp(in, "hello", 5))
		return 9;
	{
		struct spool_ctl ctl[1] = { { .op = SPOOL_CTL_REGISTER, .fd = srv,
					      .events = SPOOL_IN, .flags = SPOOL_F_RECV, .cookie = 2 } };
		struct spool_iov send1 = { .fd = cli, .buf = U64(out), .len = 5 };
		struct spool_cycle c = { .ctl = U64(ctl), .nr_ctl = 1, .send = U64(&send1),
					 .nr_send = 1, .events = U64(ev), .max_events = 8,
					 .arena = U64(arena), .arena_len = sizeof(arena),
					 .timeout_ms = 2000 };
		int n = ioctl(pool, SPOOL_IOC_CYCLE, &c);

		if (n < 1 || ctl[0].result || send1.result != 5 || c.arena_used != 5)
			return 10;
	}
	if (ioctl(pool, SPOOL_IOC_MODIFY, &(struct spool_reg){ .fd = srv, .events = SPOOL_OUT }))
		return 11;
	if (ioctl(pool, SPOOL_IOC_UNREGISTER, &(struct spool_reg){ .fd = srv }))
		return 12;
	if (ioctl(pool, SPOOL_IOC_WAKE, 0))
		return 13;
	{
		struct pollfd pfd = { .fd = pool, .events = POLLIN };

		if (poll(&pfd, 1, 1000) != 1)
			return 14;
	}
	{
		struct spool_wait w = { .events = U64(ev), .max_events = 8, .timeout_ms = 0 };

		if (ioctl(pool, SPOOL_IOC_WAIT, &w) < 0 || !(w.flags & SPOOL_WAIT_WOKEN))
			return 15;
	}
	efd = eventfd(1, 0);
	if (ioctl(pool, SPOOL_IOC_REGISTER, &(struct spool_reg){ .fd = efd, .events = SPOOL_IN }))
		return 16;
	return close(pool) ? 17 : 0;
}

static int outsider_open(void *arg)
{
	(void)arg;
	if (drop_privs_in(0))
		return 1;
	if (open("/dev/spool", O_RDWR) >= 0)
		return 2;
	return errno == EACCES ? 0 : 3;
}

/* What the udev rule does for the group spool, unless udev has done it. */
static int device_group(void)
{
	struct stat st;

	if (stat("/dev/spool", &st))
		return -1;
	if (st.st_gid) {
		dev_gid = st.st_gid;
		return 0;
	}
	if (chown("/dev/spool", 0, dev_gid))
		return -1;
	dev_chowned = 1;
	return 0;
}

static void test_unprivileged(void)
{
	int rc;

	if (device_group()) {
		result(0, "unprivileged: cannot give /dev/spool a group: %s", strerror(errno));
		return;
	}
	rc = run_child(outsider_open, NULL);
	result(rc == 0, "a user outside /dev/spool's group (uid %u, gid %u) cannot open it: "
	       "EACCES (step %d)", nobody, nobody, rc);
	rc = run_child(unprivileged_ops, NULL);

	result(rc == 0, "unprivileged (uid %u, in group %u): VERSION, REGISTER, WAIT, ACCEPT, write, read, "
	       "CYCLE, MODIFY, UNREGISTER, WAKE, poll, close all work (step %d)", nobody, dev_gid, rc);
}

/* ---- 4. limits for an unprivileged user ------------------------------------- */

static int limited_ops(void *arg)
{
	static struct spool_event ev[16];
	static struct spool_conn conns[16];
	static struct spool_iov iov[16];
	static struct spool_ctl ctl[16];
	static char arena[8192];
	int pool, pool2, efd[65], lfd, port;

	(void)arg;
	if (drop_privs())
		return 1;
	if (file_put(PARAMS "max_files", "100000") == 0 || errno != EACCES)
		return 2;
	pool = open("/dev/spool", O_RDWR);
	pool2 = open("/dev/spool", O_RDWR);
	if (pool < 0 || pool2 < 0)
		return 3;
	for (int i = 0; i < 65; i++) {
		efd[i] = eventfd(0, 0);
		if (efd[i] < 0)
			return 4;
	}
	for (int i = 0; i < 64; i++)
		if (ioctl(pool, SPOOL_IOC_REGISTER, &(struct spool_reg){ .fd = efd[i], .events = SPOOL_IN }))
			return 5;
	if (!(ioctl(pool, SPOOL_IOC_REGISTER, &(struct spool_reg){ .fd = efd[64], .events = SPOOL_IN }) == -1 &&
	      errno == ENOSPC))
		return 6;
	/* An accepted connection registered in a full pool: conn.reg -ENOSPC. */
	lfd = loopback_listen(AF_INET, 64, 0, &port);
	if (loopback_connect(AF_INET, port, 0) < 0)
		return 7;
	{
		struct spool_accept a = { .fd = lfd, .max_conns = 8, .conns = U64(conns),
					  .flags = SPOOL_ACCEPT_REGISTER, .reg_events = SPOOL_IN };

		if (ioctl(pool, SPOOL_IOC_ACCEPT, &a) != 1 || conns[0].reg != -ENOSPC)
			return 8;
	}
	/* Per pool: a second pool still takes 64. */
	for (int i = 0; i < 64; i++)
		if (ioctl(pool2, SPOOL_IOC_REGISTER, &(struct spool_reg){ .fd = efd[i], .events = SPOOL_IN }))
			return 9;
	/* A ctl batch: the 65th fails with -ENOSPC in its result. */
	{
		struct spool_ctl c1 = { .op = SPOOL_CTL_REGISTER, .fd = efd[64], .events = SPOOL_IN };
		struct spool_cycle c = { .ctl = U64(&c1), .nr_ctl = 1, .events = U64(ev),
					 .max_events = 8 };

		if (ioctl(pool2, SPOOL_IOC_CYCLE, &c) < 0 || c1.result != -ENOSPC)
			return 10;
	}
	/* max_batch = 8: 8 passes, 9 is EINVAL, for every count. */
	{
		struct spool_wait w = { .events = U64(ev), .max_events = 8 };

		if (ioctl(pool, SPOOL_IOC_WAIT, &w) < 0)
			return 11;
		w.max_events = 9;
		if (!(ioctl(pool, SPOOL_IOC_WAIT, &w) == -1 && errno == EINVAL))
			return 12;
	}
	{
		struct spool_accept a = { .fd = lfd, .max_conns = 9, .conns = U64(conns) };

		if (!(ioctl(pool, SPOOL_IOC_ACCEPT, &a) == -1 && errno == EINVAL))
			return 13;
	}
	for (int i = 0; i < 16; i++)
		iov[i] = (struct spool_iov){ .fd = efd[0], .buf = U64(arena), .len = 1 };
	if (read(pool, iov, 8 * sizeof(iov[0])) != 8 * sizeof(iov[0]))
		return 14;
	if (!(read(pool, iov, 9 * sizeof(iov[0])) == -1 && errno == EINVAL))
		return 15;
	if (!(write(pool, iov, 9 * sizeof(iov[0])) == -1 && errno == EINVAL))
		return 16;
	{
		struct spool_cycle base = { .ctl = U64(ctl), .send = U64(iov), .events = U64(ev),
					    .conns = U64(conns), .arena = U64(arena),
					    .max_events = 8 }, c;

		c = base; c.max_events = 9;
		if (!(ioctl(pool, SPOOL_IOC_CYCLE, &c) == -1 && errno == EINVAL))
			return 17;
		c = base; c.nr_ctl = 9;
		if (!(ioctl(pool, SPOOL_IOC_CYCLE, &c) == -1 && errno == EINVAL))
			return 18;
		c = base; c.nr_send = 9;
		if (!(ioctl(pool, SPOOL_IOC_CYCLE, &c) == -1 && errno == EINVAL))
			return 19;
		c = base; c.max_conns = 9;
		if (!(ioctl(pool, SPOOL_IOC_CYCLE, &c) == -1 && errno == EINVAL))
			return 20;
		c = base; c.arena_len = 4097;
		if (!(ioctl(pool, SPOOL_IOC_CYCLE, &c) == -1 && errno == EINVAL))
			return 21;
		c = base; c.arena_len = 4096;
		if (ioctl(pool, SPOOL_IOC_CYCLE, &c) < 0)
			return 22;
	}
	{
		struct spool_version v;

		if (ioctl(pool, SPOOL_IOC_VERSION, &v) || v.max_files != 64 || v.max_batch != 8 ||
		    v.max_arena != 4096)
			return 23;
	}
	return 0;
}

static void test_limits(void)
{
	static const char *const names[] = { "max_files", "max_batch", "max_arena" };
	static const char *const low[] = { "64", "8", "4096" };
	char saved[3][32], path[128], now[32];
	int rc, restored = 1;

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), PARAMS "%s", names[i]);
		if (file_get(path, saved[i], sizeof(saved[i])) < 0 || file_put(path, low[i])) {
			result(0, "limits: cannot read or set %s", path);
			return;
		}
	}
	rc = run_child(limited_ops, NULL);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), PARAMS "%s", names[i]);
		if (file_put(path, saved[i]) || file_get(path, now, sizeof(now)) < 0 ||
		    strcmp(now, saved[i]))
			restored = 0;
	}
	result(rc == 0, "limits as uid %u (max_files 64, max_batch 8, max_arena 4096): 65th "
	       "REGISTER ENOSPC (ctl and accept too), per pool; counts above max_batch and "
	       "arena above max_arena EINVAL; params not writable (step %d)", nobody, rc);
	result(restored, "limits: module parameters restored");
}

int main(int argc, char **argv)
{
	if (argc > 1)
		nobody = (uid_t)strtoul(argv[1], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0)
		printf("# not root: the unprivileged and limits tests will fail\n");
	test_two_processes();
	test_unprivileged();
	test_limits();
	if (dev_chowned && chown("/dev/spool", 0, 0))
		result(0, "cannot give /dev/spool back to root:root: %s", strerror(errno));
	return finish();
}
