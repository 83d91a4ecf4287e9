// SPDX-License-Identifier: GPL-2.0
/*
 * spool_test.c - selftests of /dev/spool: the device, VERSION, REGISTER,
 * MODIFY and UNREGISTER, and every misuse of them.  The other files hold
 * the rest by theme; this one also holds main() (from harness.h).
 */
#define HARNESS_MAIN
#include "spool_util.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

static const char *spool_precheck(void)
{
	static char why[256];
	struct stat st;
	int fd;

	if (stat(SPOOL_PATH, &st)) {
		snprintf(why, sizeof(why), "%s: %s (is spool.ko loaded?)",
			 SPOOL_PATH, strerror(errno));
		return why;
	}
	fd = open(SPOOL_PATH, O_RDWR);
	if (fd < 0) {
		snprintf(why, sizeof(why), "open %s: %s", SPOOL_PATH,
			 strerror(errno));
		return why;
	}
	close(fd);
	return NULL;
}

__attribute__((constructor(101))) static void spool_set_precheck(void)
{
	harness_precheck = spool_precheck;
}

/* ---- The device and VERSION ---- */

TEST(device_is_char_device)
{
	struct stat st;

	ASSERT_EQ(stat(SPOOL_PATH, &st), 0);
	EXPECT_TRUE(S_ISCHR(st.st_mode));
}

/* The value of one statistic in /proc/spool-stat, or -1. */
static long long stat_value(const char *name)
{
	FILE *f = fopen("/proc/spool-stat", "r");
	long long v, found = -1;
	char n[64];

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", n, &v) == 2)
		if (!strcmp(n, name))
			found = v;
	fclose(f);
	return found;
}

/*
 * Statistics are in every build: /proc/spool-stat, readable by anyone, one
 * "name value" a line; a wake counts once in wake_calls.
 */
TEST(stat_file)
{
	int pool = pool_open(), lines = 0;
	long long v, wakes;
	struct stat st;
	char n[64];
	FILE *f;

	ASSERT_EQ(stat("/proc/spool-stat", &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0444);
	f = fopen("/proc/spool-stat", "r");
	ASSERT_TRUE(f);
	while (fscanf(f, "%63s %lld", n, &v) == 2)
		lines++;
	EXPECT_TRUE(feof(f));
	fclose(f);
	EXPECT_GE(lines, 20);
	EXPECT_GE(stat_value("pools"), 1);
	wakes = stat_value("wake_calls");
	ASSERT_GE(wakes, 0);
	ASSERT_EQ(spool_wake(pool), 0);
	EXPECT_EQ(stat_value("wake_calls"), wakes + 1);
	close(pool);
}

TEST(version)
{
	__u64 want = SPOOL_FEAT_WAIT | SPOOL_FEAT_ACCEPT | SPOOL_FEAT_BULK_IO |
		     SPOOL_FEAT_CYCLE | SPOOL_FEAT_WAKE | SPOOL_FEAT_ONESHOT |
		     SPOOL_FEAT_CYCLE_CTL | SPOOL_FEAT_SEND_OUT |
		     SPOOL_FEAT_SNDSPACE | SPOOL_FEAT_ACCEPT_LSM |
		     SPOOL_FEAT_STATS;
	int pool = pool_open();
	struct spool_version v;

	/* Garbage in every field: each must be overwritten. */
	memset(&v, 0xa5, sizeof(v));
	ASSERT_EQ(ioctl(pool, SPOOL_IOC_VERSION, &v), 0);
	EXPECT_EQ(v.abi_version, SPOOL_ABI_VERSION);
	EXPECT_EQ(v.reserved, 0);
	EXPECT_EQ(v.reserved2, 0);
	EXPECT_EQ(v.features & want, want);
	EXPECT_EQ(v.features & ~want, 0);
	EXPECT_GT(v.max_files, 0);
	EXPECT_GT(v.max_batch, 0);
	EXPECT_GT(v.max_arena, 0);
	harness_note("max_files %u, max_batch %u, max_arena %u, features %#llx",
		     v.max_files, v.max_batch, v.max_arena,
		     (unsigned long long)v.features);
	close(pool);
}

TEST(version_efault)
{
	int pool = pool_open();

	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_VERSION, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_VERSION, bad_ptr()), EFAULT);
	close(pool);
}

TEST(unknown_ioctl_enotty)
{
	int pool = pool_open();
	char buf[256] = { 0 };

	EXPECT_ERRNO(ioctl(pool, _IO(SPOOL_IOC_MAGIC, 0x08), 0), ENOTTY);
	EXPECT_ERRNO(ioctl(pool, _IO(SPOOL_IOC_MAGIC, 0xff), 0), ENOTTY);
	EXPECT_ERRNO(ioctl(pool, _IOWR(SPOOL_IOC_MAGIC, 0x30, __u64), buf),
		     ENOTTY);
	/* A known number with the wrong size is another command. */
	EXPECT_ERRNO(ioctl(pool, _IOR(SPOOL_IOC_MAGIC, 0x00, __u32), buf),
		     ENOTTY);
	EXPECT_ERRNO(ioctl(pool, _IOW(SPOOL_IOC_MAGIC, 0x01, __u64), buf),
		     ENOTTY);
	/* Another magic. */
	EXPECT_ERRNO(ioctl(pool, _IO('T', 0x01), 0), ENOTTY);
	close(pool);
}

TEST(two_pools_independent)
{
	int a = pool_open(), b = pool_open();
	struct spool_event ev[4];
	int srv, cli;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(a, srv, SPOOL_IN, 0, 1), 0);
	send_all(cli, "x", 1);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLIN);
	/* Pool b knows nothing of the registration in a. */
	EXPECT_EQ(spool_wait(b, ev, 4, 0, NULL), 0);
	EXPECT_ERRNO(spool_unreg(b, srv), ENOENT);
	EXPECT_ERRNO(spool_mod(b, srv, SPOOL_IN, 0, 2), ENOENT);
	/* The same file may be registered in both, each with its cookie. */
	ASSERT_EQ(spool_reg(b, srv, SPOOL_IN, 0, 2), 0);
	ASSERT_EQ(spool_wait(a, ev, 4, 0, NULL), 1);
	EXPECT_EQ(ev[0].cookie, 1);
	ASSERT_EQ(spool_wait(b, ev, 4, 0, NULL), 1);
	EXPECT_EQ(ev[0].cookie, 2);
	ASSERT_EQ(spool_unreg(a, srv), 0);
	EXPECT_EQ(spool_wait(a, ev, 4, 0, NULL), 0);
	EXPECT_EQ(spool_wait(b, ev, 4, 0, NULL), 1);
	close(srv);
	close(cli);
	close(a);
	close(b);
}

/* ---- REGISTER, MODIFY, UNREGISTER: behaviour ---- */

/* Waits for exactly one event and checks it belongs to fd/cookie. */
static struct spool_event one_event(int pool, int fd, __u64 cookie)
{
	struct spool_event ev[4];

	memset(ev, 0x5a, sizeof(ev));
	ASSERT_EQ(spool_wait(pool, ev, 4, 2000, NULL), 1);
	EXPECT_EQ(ev[0].fd, fd);
	EXPECT_EQ(ev[0].cookie, cookie);
	return ev[0];
}

static void register_tcp(int family)
{
	const __u64 cookie = 0xfedcba9876543210ULL;
	int pool = pool_open(), srv, cli;
	struct spool_event ev;

	tcp_pair(family, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, cookie), 0);
	EXPECT_EQ(spool_wait(pool, &ev, 1, 0, NULL), 0);
	send_all(cli, "ping", 4);
	ev = one_event(pool, srv, cookie);
	EXPECT_EQ(ev.events, SPOOL_IN);
	close(srv);
	close(cli);
	close(pool);
}

TEST(register_tcp)
{
	register_tcp(AF_INET);
}

TEST(register_tcp6)
{
	register_tcp(AF_INET6);
}

TEST(register_pipe)
{
	int pool = pool_open(), p[2];
	struct spool_event ev;

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	ASSERT_EQ(spool_reg(pool, p[0], SPOOL_IN, 0, 10), 0);
	EXPECT_EQ(spool_wait(pool, &ev, 1, 0, NULL), 0);
	ASSERT_EQ(write(p[1], "x", 1), 1);
	ev = one_event(pool, p[0], 10);
	EXPECT_EQ(ev.events, SPOOL_IN);
	/* The write end: writable. */
	ASSERT_EQ(spool_unreg(pool, p[0]), 0);
	ASSERT_EQ(spool_reg(pool, p[1], SPOOL_OUT, 0, 11), 0);
	ev = one_event(pool, p[1], 11);
	EXPECT_EQ(ev.events, SPOOL_OUT);
	close(p[0]);
	close(p[1]);
	close(pool);
}

TEST(register_eventfd)
{
	int pool = pool_open(), efd = eventfd(0, EFD_CLOEXEC);
	__u64 one = 1;
	struct spool_event ev;

	ASSERT_GE(efd, 0);
	ASSERT_EQ(spool_reg(pool, efd, SPOOL_IN, 0, 20), 0);
	EXPECT_EQ(spool_wait(pool, &ev, 1, 0, NULL), 0);
	ASSERT_EQ(write(efd, &one, 8), 8);
	ev = one_event(pool, efd, 20);
	EXPECT_EQ(ev.events, SPOOL_IN);
	ASSERT_EQ(read(efd, &one, 8), 8);
	EXPECT_EQ(spool_wait(pool, &ev, 1, 0, NULL), 0);
	close(efd);
	close(pool);
}

TEST(register_udp)
{
	int pool = pool_open(), a = udp_socket(), b = udp_socket();
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct spool_event ev;

	ASSERT_EQ(getsockname(a, (struct sockaddr *)&sa, &len), 0);
	ASSERT_EQ(spool_reg(pool, a, SPOOL_IN, 0, 30), 0);
	EXPECT_EQ(spool_wait(pool, &ev, 1, 0, NULL), 0);
	ASSERT_EQ(sendto(b, "d", 1, 0, (struct sockaddr *)&sa, len), 1);
	ev = one_event(pool, a, 30);
	EXPECT_EQ(ev.events, SPOOL_IN);
	close(a);
	close(b);
	close(pool);
}

TEST(modify_cookie)
{
	int pool = pool_open(), srv, cli;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	send_all(cli, "x", 1);
	one_event(pool, srv, 1);
	ASSERT_EQ(spool_mod(pool, srv, SPOOL_IN, 0, 0x1122334455667788ULL), 0);
	one_event(pool, srv, 0x1122334455667788ULL);
	close(srv);
	close(cli);
	close(pool);
}

TEST(modify_interest)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	EXPECT_EQ(spool_wait(pool, &ev, 1, 0, NULL), 0);
	/* Readable and writable, but only OUT is of interest now. */
	send_all(cli, "x", 1);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLIN);
	ASSERT_EQ(spool_mod(pool, srv, SPOOL_OUT, 0, 2), 0);
	ev = one_event(pool, srv, 2);
	EXPECT_EQ(ev.events, SPOOL_OUT);
	ASSERT_EQ(spool_mod(pool, srv, SPOOL_IN | SPOOL_OUT, 0, 3), 0);
	ev = one_event(pool, srv, 3);
	EXPECT_EQ(ev.events, SPOOL_IN | SPOOL_OUT);
	close(srv);
	close(cli);
	close(pool);
}

TEST(unregister_stops_events)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	send_all(cli, "x", 1);
	one_event(pool, srv, 1);
	ASSERT_EQ(spool_unreg(pool, srv), 0);
	EXPECT_EQ(spool_wait(pool, &ev, 1, 0, NULL), 0);
	EXPECT_ERRNO(spool_unreg(pool, srv), ENOENT);
	/* The fd is untouched and can be registered again. */
	EXPECT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 5), 0);
	one_event(pool, srv, 5);
	close(srv);
	close(cli);
	close(pool);
}

TEST(register_enospc)
{
	int pool = pool_open(), efd, i, n, lfd, cli, port;
	struct spool_version v = pool_version(pool);
	struct spool_conn conn;
	int *fds;
	char c;

	/* max_files dups of one eventfd: cheap, but bounded for the VM. */
	if (v.max_files > 200000)
		FAIL("max_files %u too big to fill in a test", v.max_files);
	raise_nofile(v.max_files + 64);
	n = v.max_files;
	fds = calloc(n + 1, sizeof(*fds));
	ASSERT_TRUE(fds);
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_GE(efd, 0);
	for (i = 0; i <= n; i++) {
		fds[i] = dup(efd);
		ASSERT_GE(fds[i], 0);
	}
	for (i = 0; i < n; i++)
		ASSERT_EQ(spool_reg(pool, fds[i], SPOOL_IN, 0, i), 0);
	EXPECT_ERRNO(spool_reg(pool, fds[n], SPOOL_IN, 0, n), ENOSPC);
	/* ACCEPT_REGISTER into a full pool: accepted, conn.reg says why. */
	lfd = tcp_listen(AF_INET, 4, &port);
	cli = tcp_connect(AF_INET, port);
	wait_backlog(lfd, 1);
	ASSERT_EQ(spool_accept(pool, lfd, &conn, 1, SPOOL_ACCEPT_REGISTER), 1);
	EXPECT_EQ(conn.reg, -ENOSPC);
	EXPECT_ERRNO(spool_unreg(pool, conn.fd), ENOENT);
	send_all(cli, "x", 1);
	recv_all(conn.fd, &c, 1);
	close(conn.fd);
	close(cli);
	close(lfd);
	/* Room again after one unregister. */
	ASSERT_EQ(spool_unreg(pool, fds[0]), 0);
	EXPECT_EQ(spool_reg(pool, fds[n], SPOOL_IN, 0, n), 0);
	close(pool);
	for (i = 0; i <= n; i++)
		close(fds[i]);
	close(efd);
	free(fds);
}

/* ---- REGISTER, MODIFY, UNREGISTER: misuse ---- */

TEST(register_ebadf)
{
	int pool = pool_open();

	EXPECT_ERRNO(spool_reg(pool, next_fd(), SPOOL_IN, 0, 0), EBADF);
	EXPECT_ERRNO(spool_reg(pool, -1, SPOOL_IN, 0, 0), EBADF);
	EXPECT_ERRNO(spool_reg(pool, 0x7fffffff, SPOOL_IN, 0, 0), EBADF);
	close(pool);
}

TEST(modify_unregister_ebadf)
{
	int pool = pool_open();

	EXPECT_ERRNO(spool_mod(pool, next_fd(), SPOOL_IN, 0, 0), EBADF);
	EXPECT_ERRNO(spool_unreg(pool, next_fd()), EBADF);
	EXPECT_ERRNO(spool_mod(pool, -1, SPOOL_IN, 0, 0), EBADF);
	EXPECT_ERRNO(spool_unreg(pool, -1), EBADF);
	close(pool);
}

TEST(register_twice_eexist)
{
	int pool = pool_open(), srv, cli;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	EXPECT_ERRNO(spool_reg(pool, srv, SPOOL_IN, 0, 1), EEXIST);
	EXPECT_ERRNO(spool_reg(pool, srv, SPOOL_OUT, 0, 2), EEXIST);
	close(srv);
	close(cli);
	close(pool);
}

TEST(register_dup_allowed)
{
	int pool = pool_open(), srv, cli, d;

	/* Another fd of the same file is another registration. */
	tcp_pair(AF_INET, &srv, &cli);
	d = dup(srv);
	ASSERT_GE(d, 0);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	EXPECT_EQ(spool_reg(pool, d, SPOOL_IN, 0, 2), 0);
	close(d);
	close(srv);
	close(cli);
	close(pool);
}

TEST(modify_not_registered_enoent)
{
	int pool = pool_open(), srv, cli;

	tcp_pair(AF_INET, &srv, &cli);
	EXPECT_ERRNO(spool_mod(pool, srv, SPOOL_IN, 0, 1), ENOENT);
	close(srv);
	close(cli);
	close(pool);
}

TEST(unregister_not_registered_enoent)
{
	int pool = pool_open(), srv, cli;

	tcp_pair(AF_INET, &srv, &cli);
	EXPECT_ERRNO(spool_unreg(pool, srv), ENOENT);
	close(srv);
	close(cli);
	close(pool);
}

TEST(register_own_pool_einval)
{
	int pool = pool_open();

	EXPECT_ERRNO(spool_reg(pool, pool, SPOOL_IN, 0, 0), EINVAL);
	close(pool);
}

TEST(register_other_pool_einval)
{
	int pool = pool_open(), other = pool_open();

	EXPECT_ERRNO(spool_reg(pool, other, SPOOL_IN, 0, 0), EINVAL);
	EXPECT_ERRNO(spool_reg(other, pool, SPOOL_IN, 0, 0), EINVAL);
	close(other);
	close(pool);
}

/* An epoll file could hold the pool: registering it could close a loop. */
TEST(register_epoll_einval)
{
	int pool = pool_open(), ep = epoll_create1(EPOLL_CLOEXEC), efd;
	struct epoll_event ee = { .events = EPOLLIN };
	struct spool_ctl ctl = { .op = SPOOL_CTL_REGISTER, .events = SPOOL_IN };
	struct spool_event ev[2];
	struct spool_cycle c = {
		.ctl = U64(&ctl), .nr_ctl = 1,
		.events = U64(ev), .max_events = 2, .timeout_ms = 0,
	};
	__u64 one = 1;

	ASSERT_GE(ep, 0);
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_GE(efd, 0);
	/* The pool in the epoll set is fine, as DESIGN.md wants. */
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, pool, &ee), 0);
	ASSERT_EQ(spool_reg(pool, efd, SPOOL_IN, 0, 1), 0);
	/* The reverse is refused, by REGISTER and by a cycle's ctl. */
	EXPECT_ERRNO(spool_reg(pool, ep, SPOOL_IN, 0, 2), EINVAL);
	ctl.fd = ep;
	EXPECT_EQ(ioctl(pool, SPOOL_IOC_CYCLE, &c), 0);
	EXPECT_EQ(ctl.result, -EINVAL);
	/* And the pool still wakes its epoll set. */
	ASSERT_EQ(write(efd, &one, 8), 8);
	EXPECT_EQ(epoll_wait(ep, &ee, 1, 2000), 1);
	close(efd);
	close(ep);
	close(pool);
}

TEST(register_unknown_events_einval)
{
	int pool = pool_open(), srv, cli;

	tcp_pair(AF_INET, &srv, &cli);
	EXPECT_ERRNO(spool_reg(pool, srv, SPOOL_IN | 0x100000, 0, 0), EINVAL);
	EXPECT_ERRNO(spool_reg(pool, srv, 0x80000000, 0, 0), EINVAL);
	/* EPOLLET and EPOLLONESHOT are not SPOOL_EVENTS either. */
	EXPECT_ERRNO(spool_reg(pool, srv, SPOOL_IN | (1U << 31), 0, 0),
		     EINVAL);
	EXPECT_ERRNO(spool_reg(pool, srv, SPOOL_IN | (1U << 30), 0, 0),
		     EINVAL);
	/* Nothing was registered. */
	EXPECT_ERRNO(spool_unreg(pool, srv), ENOENT);
	close(srv);
	close(cli);
	close(pool);
}

TEST(register_unknown_flags_einval)
{
	int pool = pool_open(), srv, cli;

	tcp_pair(AF_INET, &srv, &cli);
	EXPECT_ERRNO(spool_reg(pool, srv, SPOOL_IN, 1U << 3, 0), EINVAL);
	EXPECT_ERRNO(spool_reg(pool, srv, SPOOL_IN, 0x80000000, 0), EINVAL);
	EXPECT_ERRNO(spool_unreg(pool, srv), ENOENT);
	close(srv);
	close(cli);
	close(pool);
}

TEST(register_reserved_einval)
{
	int pool = pool_open(), srv, cli;
	struct spool_reg r = { .events = SPOOL_IN, .reserved = 1 };

	tcp_pair(AF_INET, &srv, &cli);
	r.fd = srv;
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_REGISTER, &r), EINVAL);
	EXPECT_ERRNO(spool_unreg(pool, srv), ENOENT);
	close(srv);
	close(cli);
	close(pool);
}

TEST(register_accept_and_recv_einval)
{
	int pool = pool_open(), srv, cli;

	tcp_pair(AF_INET, &srv, &cli);
	EXPECT_ERRNO(spool_reg(pool, srv, SPOOL_IN,
			       SPOOL_F_ACCEPT | SPOOL_F_RECV, 0), EINVAL);
	close(srv);
	close(cli);
	close(pool);
}

TEST(register_regular_file_eperm)
{
	int pool = pool_open(), fd = memfd_create("spool", MFD_CLOEXEC);

	ASSERT_GE(fd, 0);
	EXPECT_ERRNO(spool_reg(pool, fd, SPOOL_IN, 0, 0), EPERM);
	close(fd);
	close(pool);
}

TEST(register_recv_pipe_enotsock)
{
	int pool = pool_open(), p[2];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	EXPECT_ERRNO(spool_reg(pool, p[0], SPOOL_IN, SPOOL_F_RECV, 0),
		     ENOTSOCK);
	close(p[0]);
	close(p[1]);
	close(pool);
}

TEST(register_accept_pipe_enotsock)
{
	int pool = pool_open(), p[2];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	EXPECT_ERRNO(spool_reg(pool, p[0], SPOOL_IN, SPOOL_F_ACCEPT, 0),
		     ENOTSOCK);
	close(p[0]);
	close(p[1]);
	close(pool);
}

TEST(register_recv_udp_eopnotsupp)
{
	int pool = pool_open(), u = udp_socket();

	EXPECT_ERRNO(spool_reg(pool, u, SPOOL_IN, SPOOL_F_RECV, 0), EOPNOTSUPP);
	close(u);
	close(pool);
}

TEST(register_accept_udp_eopnotsupp)
{
	int pool = pool_open(), u = udp_socket();

	EXPECT_ERRNO(spool_reg(pool, u, SPOOL_IN, SPOOL_F_ACCEPT, 0),
		     EOPNOTSUPP);
	close(u);
	close(pool);
}

TEST(modify_misuse_einval)
{
	int pool = pool_open(), srv, cli;
	struct spool_reg r = { .events = SPOOL_IN, .reserved = 1 };

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	EXPECT_ERRNO(spool_mod(pool, srv, 0x100000, 0, 1), EINVAL);
	EXPECT_ERRNO(spool_mod(pool, srv, SPOOL_IN, 1U << 3, 1), EINVAL);
	EXPECT_ERRNO(spool_mod(pool, srv, SPOOL_IN,
			       SPOOL_F_ACCEPT | SPOOL_F_RECV, 1), EINVAL);
	r.fd = srv;
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_MODIFY, &r), EINVAL);
	/* The registration is unchanged: still IN with cookie 1. */
	send_all(cli, "x", 1);
	one_event(pool, srv, 1);
	close(srv);
	close(cli);
	close(pool);
}

TEST(modify_recv_pipe_enotsock)
{
	int pool = pool_open(), p[2];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	ASSERT_EQ(spool_reg(pool, p[0], SPOOL_IN, 0, 0), 0);
	EXPECT_ERRNO(spool_mod(pool, p[0], SPOOL_IN, SPOOL_F_RECV, 0),
		     ENOTSOCK);
	EXPECT_ERRNO(spool_mod(pool, p[0], SPOOL_IN, SPOOL_F_ACCEPT, 0),
		     ENOTSOCK);
	close(p[0]);
	close(p[1]);
	close(pool);
}

TEST(modify_recv_udp_eopnotsupp)
{
	int pool = pool_open(), u = udp_socket();

	ASSERT_EQ(spool_reg(pool, u, SPOOL_IN, 0, 0), 0);
	EXPECT_ERRNO(spool_mod(pool, u, SPOOL_IN, SPOOL_F_RECV, 0), EOPNOTSUPP);
	EXPECT_ERRNO(spool_mod(pool, u, SPOOL_IN, SPOOL_F_ACCEPT, 0),
		     EOPNOTSUPP);
	close(u);
	close(pool);
}

TEST(unregister_nonzero_fields_einval)
{
	int pool = pool_open(), srv, cli;
	struct spool_reg r;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	r = (struct spool_reg){ .fd = srv, .events = SPOOL_IN };
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_UNREGISTER, &r), EINVAL);
	r = (struct spool_reg){ .fd = srv, .flags = SPOOL_F_ONESHOT };
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_UNREGISTER, &r), EINVAL);
	r = (struct spool_reg){ .fd = srv, .reserved = 1 };
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_UNREGISTER, &r), EINVAL);
	r = (struct spool_reg){ .fd = srv, .cookie = 1 };
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_UNREGISTER, &r), EINVAL);
	/* Still registered. */
	EXPECT_ERRNO(spool_reg(pool, srv, SPOOL_IN, 0, 1), EEXIST);
	EXPECT_EQ(spool_unreg(pool, srv), 0);
	close(srv);
	close(cli);
	close(pool);
}

TEST(register_efault)
{
	int pool = pool_open();

	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_REGISTER, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_REGISTER, bad_ptr()), EFAULT);
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_MODIFY, bad_ptr()), EFAULT);
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_UNREGISTER, bad_ptr()), EFAULT);
	close(pool);
}
