// SPDX-License-Identifier: GPL-2.0
/* accept.c - selftests of SPOOL_IOC_ACCEPT. */
#include "spool_util.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <sys/un.h>

static int min_int(int a, int b)
{
	return a < b ? a : b;
}

/* Checks a conn's peer address is a loopback client with one of ports. */
static int conn_port(const struct spool_conn *c, int family)
{
	if (family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)c->addr;

		EXPECT_EQ(c->addrlen, sizeof(struct sockaddr_in6));
		EXPECT_EQ(s6->sin6_family, AF_INET6);
		EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));
		return ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)c->addr;

		EXPECT_EQ(c->addrlen, sizeof(struct sockaddr_in));
		EXPECT_EQ(s4->sin_family, AF_INET);
		EXPECT_EQ(ntohl(s4->sin_addr.s_addr), INADDR_LOOPBACK);
		return ntohs(s4->sin_port);
	}
}

static void accept_batch(int family)
{
	int pool = pool_open(), lfd, port, i, j, n;
	struct spool_version v = pool_version(pool);
	int want = min_int(64, v.max_batch);
	int cli[64], cport[64], seen[64] = { 0 };
	struct spool_conn conns[65];

	lfd = tcp_listen(family, 128, &port);
	for (i = 0; i < want; i++) {
		cli[i] = tcp_connect(family, port);
		cport[i] = local_port(cli[i]);
	}
	wait_backlog(lfd, want);
	memset(conns, 0xa5, sizeof(conns));
	n = spool_accept(pool, lfd, conns, min_int(65, v.max_batch), 0);
	ASSERT_EQ(n, want);
	for (i = 0; i < n; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int p = conn_port(&conns[i], family);
		char c;

		EXPECT_EQ(conns[i].reg, 0);
		EXPECT_EQ(conns[i].reserved, 0);
		ASSERT_GE(conns[i].fd, 0);
		for (j = 0; j < want && cport[j] != p; j++)
			;
		ASSERT_LT(j, want);
		EXPECT_EQ(seen[j], 0);
		seen[j] = 1;
		/* The fd is the connection to that very client. */
		ASSERT_EQ(getpeername(conns[i].fd, (void *)&ss, &len), 0);
		EXPECT_EQ(len, conns[i].addrlen);
		EXPECT_EQ(memcmp(&ss, conns[i].addr, len), 0);
		c = (char)j;
		send_all(cli[j], &c, 1);
		c = -1;
		recv_all(conns[i].fd, &c, 1);
		EXPECT_EQ(c, (char)j);
	}
	EXPECT_ERRNO(spool_accept(pool, lfd, conns, 1, 0), EAGAIN);
	for (i = 0; i < n; i++)
		close(conns[i].fd);
	for (i = 0; i < want; i++)
		close(cli[i]);
	close(lfd);
	close(pool);
}

TEST(accept_batch_ipv4)
{
	accept_batch(AF_INET);
}

TEST(accept_batch_ipv6)
{
	accept_batch(AF_INET6);
}

/* An AF_UNIX peer address longer than addr: full addrlen, 32 bytes. */
TEST(accept_unix_long_address)
{
	int pool = pool_open(), lfd, cli, anon;
	struct sockaddr_un la = { .sun_family = AF_UNIX };
	struct sockaddr_un ca = { .sun_family = AF_UNIX };
	socklen_t llen, clen;
	struct spool_conn conns[3];
	int n;

	/* Abstract names: a leading NUL, no file. */
	llen = offsetof(struct sockaddr_un, sun_path) + 1 +
	       snprintf(la.sun_path + 1, sizeof(la.sun_path) - 1,
			"spool-selftest-listener-%d", getpid());
	clen = offsetof(struct sockaddr_un, sun_path) + 1 +
	       snprintf(ca.sun_path + 1, sizeof(ca.sun_path) - 1,
			"spool-selftest-a-client-name-longer-than-32-bytes-%d",
			getpid());
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(lfd, 0);
	ASSERT_EQ(bind(lfd, (struct sockaddr *)&la, llen), 0);
	ASSERT_EQ(listen(lfd, 4), 0);
	cli = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(cli, 0);
	ASSERT_EQ(bind(cli, (struct sockaddr *)&ca, clen), 0);
	ASSERT_EQ(connect(cli, (struct sockaddr *)&la, llen), 0);
	anon = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(anon, 0);
	ASSERT_EQ(connect(anon, (struct sockaddr *)&la, llen), 0);
	n = spool_accept(pool, lfd, conns, 3, 0);
	ASSERT_EQ(n, 2);
	EXPECT_GT(clen, 32);
	EXPECT_EQ(conns[0].addrlen, clen);
	EXPECT_EQ(memcmp(conns[0].addr, &ca, 32), 0);
	/* An unbound peer: the family alone, as accept(2) gives it. */
	EXPECT_EQ(conns[1].addrlen, sizeof(sa_family_t));
	EXPECT_EQ(((struct sockaddr *)conns[1].addr)->sa_family, AF_UNIX);
	close(conns[0].fd);
	close(conns[1].fd);
	close(anon);
	close(cli);
	close(lfd);
	close(pool);
}

TEST(accept_none_pending_eagain)
{
	int pool = pool_open(), lfd = tcp_listen(AF_INET, 8, NULL);
	struct spool_conn conns[4];

	EXPECT_ERRNO(spool_accept(pool, lfd, conns, 4, 0), EAGAIN);
	close(lfd);
	close(pool);
}

/* Accepts the one pending connection with flags; returns its fd. */
static int accept_one(int pool, int lfd, int port, int *cli, __u32 flags)
{
	struct spool_conn conn;

	*cli = tcp_connect(AF_INET, port);
	wait_backlog(lfd, 1);
	ASSERT_EQ(spool_accept(pool, lfd, &conn, 1, flags), 1);
	EXPECT_EQ(conn.reg, 0);
	return conn.fd;
}

TEST(accept_no_flags)
{
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 8, &port);
	int cli, fd = accept_one(pool, lfd, port, &cli, 0);

	EXPECT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	/* Not registered either. */
	EXPECT_ERRNO(spool_unreg(pool, fd), ENOENT);
	close(fd);
	close(cli);
	close(lfd);
	close(pool);
}

TEST(accept_nonblock)
{
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 8, &port);
	int cli, fd = accept_one(pool, lfd, port, &cli, SPOOL_ACCEPT_NONBLOCK);

	EXPECT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);
	close(cli);
	close(lfd);
	close(pool);
}

TEST(accept_cloexec)
{
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 8, &port);
	int cli, fd = accept_one(pool, lfd, port, &cli, SPOOL_ACCEPT_CLOEXEC);

	EXPECT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fd);
	close(cli);
	close(lfd);
	close(pool);
}

TEST(accept_register)
{
	enum { N = 4 };
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 8, &port);
	struct spool_conn conns[N];
	struct spool_accept a = {
		.fd = lfd, .max_conns = N, .conns = U64(conns),
		.flags = SPOOL_ACCEPT_REGISTER | SPOOL_ACCEPT_NONBLOCK,
		.reg_events = SPOOL_IN,
	};
	struct spool_event ev[N];
	int cli[N], i, j;

	for (i = 0; i < N; i++)
		cli[i] = tcp_connect(AF_INET, port);
	wait_backlog(lfd, N);
	ASSERT_EQ(ioctl(pool, SPOOL_IOC_ACCEPT, &a), N);
	for (i = 0; i < N; i++)
		EXPECT_EQ(conns[i].reg, 0);
	/* Registered, but nothing to read yet. */
	EXPECT_EQ(spool_wait(pool, ev, N, 0, NULL), 0);
	send_all(cli[2], "x", 1);
	ASSERT_EQ(spool_wait(pool, ev, N, 2000, NULL), 1);
	for (j = 0; j < N && conns[j].fd != ev[0].fd; j++)
		;
	ASSERT_LT(j, N);
	EXPECT_EQ(ev[0].cookie, conns[j].fd);
	EXPECT_EQ(ev[0].events, SPOOL_IN);
	EXPECT_EQ(conn_port(&conns[j], AF_INET), local_port(cli[2]));
	for (i = 0; i < N; i++)
		EXPECT_ERRNO(spool_reg(pool, conns[i].fd, SPOOL_IN, 0, 0),
			     EEXIST);
	for (i = 0; i < N; i++) {
		EXPECT_EQ(spool_unreg(pool, conns[i].fd), 0);
		close(conns[i].fd);
		close(cli[i]);
	}
	close(lfd);
	close(pool);
}

TEST(accept_register_oneshot)
{
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 8, &port);
	struct spool_conn conn;
	struct spool_accept a = {
		.fd = lfd, .max_conns = 1, .conns = U64(&conn),
		.flags = SPOOL_ACCEPT_REGISTER, .reg_events = SPOOL_IN,
		.reg_flags = SPOOL_F_ONESHOT,
	};
	struct spool_event ev[2];
	int cli = tcp_connect(AF_INET, port);

	wait_backlog(lfd, 1);
	ASSERT_EQ(ioctl(pool, SPOOL_IOC_ACCEPT, &a), 1);
	EXPECT_EQ(conn.reg, 0);
	send_all(cli, "x", 1);
	ASSERT_EQ(spool_wait(pool, ev, 2, 2000, NULL), 1);
	EXPECT_EQ(ev[0].cookie, conn.fd);
	EXPECT_EQ(spool_wait(pool, ev, 2, 0, NULL), 0);
	close(conn.fd);
	close(cli);
	close(lfd);
	close(pool);
}

TEST(accept_max_conns_partial)
{
	enum { N = 10 };
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 16, &port);
	struct spool_conn conns[4];
	int cli[N], i, n, total = 0;

	for (i = 0; i < N; i++)
		cli[i] = tcp_connect(AF_INET, port);
	wait_backlog(lfd, N);
	for (i = 0; i < 3; i++) {
		memset(conns, 0xff, sizeof(conns));
		n = spool_accept(pool, lfd, conns, 4, 0);
		EXPECT_EQ(n, i < 2 ? 4 : 2);
		if (n < 0)
			break;
		if (n < 4)	/* not written past the count */
			EXPECT_EQ(conns[n].fd, -1);
		total += n;
		while (n--)
			close(conns[n].fd);
	}
	EXPECT_EQ(total, N);
	EXPECT_ERRNO(spool_accept(pool, lfd, conns, 4, 0), EAGAIN);
	for (i = 0; i < N; i++)
		close(cli[i]);
	close(lfd);
	close(pool);
}

TEST(accept_emfile)
{
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 8, &port);
	int cli = tcp_connect(AF_INET, port);
	struct spool_conn conn;
	int lim = next_fd();

	wait_backlog(lfd, 1);
	/* No fd free below the limit. */
	set_nofile_soft(lim);
	EXPECT_ERRNO(spool_accept(pool, lfd, &conn, 1, 0), EMFILE);
	set_nofile_soft(lim + 8);
	/* The connection was not lost. */
	EXPECT_EQ(spool_accept(pool, lfd, &conn, 1, 0), 1);
	close(conn.fd);
	close(cli);
	close(lfd);
	close(pool);
}

TEST(accept_emfile_ends_batch)
{
	enum { N = 4 };
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 8, &port);
	struct spool_conn conns[N];
	int cli[N], i, lim;

	for (i = 0; i < N; i++)
		cli[i] = tcp_connect(AF_INET, port);
	wait_backlog(lfd, N);
	/* Room for two fds: the error after them is not reported... */
	lim = next_fd();
	set_nofile_soft(lim + 2);
	ASSERT_EQ(spool_accept(pool, lfd, conns, N, 0), 2);
	/* ...but the next call sees it. */
	EXPECT_ERRNO(spool_accept(pool, lfd, conns + 2, N, 0), EMFILE);
	set_nofile_soft(lim + 8);
	EXPECT_EQ(spool_accept(pool, lfd, conns + 2, N, 0), 2);
	for (i = 0; i < N; i++) {
		close(conns[i].fd);
		close(cli[i]);
	}
	close(lfd);
	close(pool);
}

/* ---- misuse ---- */

TEST(accept_not_listening_einval)
{
	int pool = pool_open(), s, srv, cli;
	struct spool_conn conns[1];

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(s, 0);
	EXPECT_ERRNO(spool_accept(pool, s, conns, 1, 0), EINVAL);
	tcp_pair(AF_INET, &srv, &cli);
	EXPECT_ERRNO(spool_accept(pool, srv, conns, 1, 0), EINVAL);
	close(s);
	close(srv);
	close(cli);
	close(pool);
}

TEST(accept_udp_eopnotsupp)
{
	int pool = pool_open(), u = udp_socket();
	struct spool_conn conns[1];

	EXPECT_ERRNO(spool_accept(pool, u, conns, 1, 0), EOPNOTSUPP);
	close(u);
	close(pool);
}

TEST(accept_pipe_enotsock)
{
	int pool = pool_open(), p[2];
	struct spool_conn conns[1];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	EXPECT_ERRNO(spool_accept(pool, p[0], conns, 1, 0), ENOTSOCK);
	EXPECT_ERRNO(spool_accept(pool, pool, conns, 1, 0), ENOTSOCK);
	close(p[0]);
	close(p[1]);
	close(pool);
}

TEST(accept_ebadf)
{
	int pool = pool_open();
	struct spool_conn conns[1];

	EXPECT_ERRNO(spool_accept(pool, next_fd(), conns, 1, 0), EBADF);
	EXPECT_ERRNO(spool_accept(pool, -1, conns, 1, 0), EBADF);
	close(pool);
}

/* A listener with one connection pending, so only the misuse can fail. */
static int pending_listener(int *cli)
{
	int port, lfd = tcp_listen(AF_INET, 8, &port);

	*cli = tcp_connect(AF_INET, port);
	wait_backlog(lfd, 1);
	return lfd;
}

TEST(accept_max_conns_einval)
{
	int pool = pool_open(), cli, lfd = pending_listener(&cli);
	struct spool_version v = pool_version(pool);
	struct spool_conn *conns = calloc(v.max_batch + 1, sizeof(*conns));

	ASSERT_TRUE(conns);
	EXPECT_ERRNO(spool_accept(pool, lfd, conns, 0, 0), EINVAL);
	EXPECT_ERRNO(spool_accept(pool, lfd, conns, v.max_batch + 1, 0),
		     EINVAL);
	EXPECT_ERRNO(spool_accept(pool, lfd, conns, 0xffffffff, 0), EINVAL);
	EXPECT_EQ(listener_backlog(lfd), 1);
	EXPECT_EQ(spool_accept(pool, lfd, conns, v.max_batch, 0), 1);
	close(conns[0].fd);
	free(conns);
	close(cli);
	close(lfd);
	close(pool);
}

TEST(accept_unknown_flags_einval)
{
	int pool = pool_open(), cli, lfd = pending_listener(&cli);
	struct spool_conn conns[1];

	EXPECT_ERRNO(spool_accept(pool, lfd, conns, 1, 1U << 3), EINVAL);
	EXPECT_ERRNO(spool_accept(pool, lfd, conns, 1, 0x80000000), EINVAL);
	EXPECT_EQ(listener_backlog(lfd), 1);
	close(cli);
	close(lfd);
	close(pool);
}

TEST(accept_reserved_einval)
{
	int pool = pool_open(), cli, lfd = pending_listener(&cli);
	struct spool_conn conns[1];
	struct spool_accept a = {
		.fd = lfd, .max_conns = 1, .conns = U64(conns), .reserved = 1,
	};

	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_ACCEPT, &a), EINVAL);
	EXPECT_EQ(listener_backlog(lfd), 1);
	close(cli);
	close(lfd);
	close(pool);
}

TEST(accept_bad_reg_einval)
{
	int pool = pool_open(), cli, lfd = pending_listener(&cli);
	struct spool_conn conns[1];
	struct spool_accept a = {
		.fd = lfd, .max_conns = 1, .conns = U64(conns),
		.flags = SPOOL_ACCEPT_REGISTER, .reg_events = SPOOL_IN,
	};

	a.reg_events = SPOOL_IN | 0x100000;
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_ACCEPT, &a), EINVAL);
	a.reg_events = SPOOL_IN;
	a.reg_flags = SPOOL_F_ACCEPT;	/* not for a connection */
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_ACCEPT, &a), EINVAL);
	a.reg_flags = SPOOL_F_RECV | SPOOL_F_ACCEPT;
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_ACCEPT, &a), EINVAL);
	a.reg_flags = 1U << 3;
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_ACCEPT, &a), EINVAL);
	EXPECT_EQ(listener_backlog(lfd), 1);
	close(cli);
	close(lfd);
	close(pool);
}

TEST(accept_efault)
{
	int pool = pool_open(), cli, lfd = pending_listener(&cli);

	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_ACCEPT, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_ACCEPT, bad_ptr()), EFAULT);
	EXPECT_ERRNO(spool_accept(pool, lfd, bad_ptr(), 1, 0), EFAULT);
	close(cli);
	close(lfd);
	close(pool);
}
