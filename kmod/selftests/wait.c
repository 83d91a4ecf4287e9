// SPDX-License-Identifier: GPL-2.0
/*
 * wait.c - selftests of SPOOL_IOC_WAIT, SPOOL_IOC_WAKE and poll() on the
 * pool fd.
 */
#include "spool_util.h"

#include <netinet/tcp.h>
#include <sys/epoll.h>

/* ---- WAIT ---- */

TEST(wait_timeout_zero)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];
	__u32 flags;
	double t0;

	t0 = now_ms();
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, &flags), 0);
	EXPECT_EQ(flags, 0);
	/* With a registered file that is not ready. */
	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, &flags), 0);
	EXPECT_EQ(flags, 0);
	EXPECT_LT(now_ms() - t0, 1000);
	close(srv);
	close(cli);
	close(pool);
}

TEST(wait_timeout)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];
	__u32 flags;
	double t0, dt;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	t0 = now_ms();
	EXPECT_EQ(spool_wait(pool, ev, 4, 100, &flags), 0);
	dt = now_ms() - t0;
	EXPECT_EQ(flags, 0);
	EXPECT_GE(dt, 95);
	EXPECT_LT(dt, 3000);
	close(srv);
	close(cli);
	close(pool);
}

TEST(wait_ready_returns_at_once)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];
	double t0;

	tcp_pair(AF_INET, &srv, &cli);
	send_all(cli, "x", 1);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLIN);
	/* Registered while ready: reported without any new wakeup. */
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 7), 0);
	t0 = now_ms();
	ASSERT_EQ(spool_wait(pool, ev, 4, -1, NULL), 1);
	EXPECT_LT(now_ms() - t0, 1000);
	EXPECT_EQ(ev[0].cookie, 7);
	EXPECT_EQ(ev[0].fd, srv);
	EXPECT_EQ(ev[0].events, SPOOL_IN);
	close(srv);
	close(cli);
	close(pool);
}

TEST(wait_sleeps_until_ready)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];
	struct delayed d;
	double t0;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 3), 0);
	t0 = now_ms();
	delayed_send(&d, cli, 200);
	ASSERT_EQ(spool_wait(pool, ev, 4, -1, NULL), 1);
	EXPECT_GE(now_ms() - t0, 150);
	EXPECT_EQ(ev[0].cookie, 3);
	EXPECT_EQ(ev[0].events, SPOOL_IN);
	delayed_join(&d);
	close(srv);
	close(cli);
	close(pool);
}

TEST(wait_level_triggered)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];
	char buf[16];

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	send_all(cli, "abc", 3);
	ASSERT_EQ(spool_wait(pool, ev, 4, 2000, NULL), 1);
	/* Not drained: reported again, and again. */
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 1);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 1);
	EXPECT_EQ(read(srv, buf, sizeof(buf)), 3);
	/* Drained: not any more. */
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 0);
	close(srv);
	close(cli);
	close(pool);
}

TEST(wait_out)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, cli, SPOOL_OUT, 0, 9), 0);
	ASSERT_EQ(spool_wait(pool, ev, 4, 0, NULL), 1);
	EXPECT_EQ(ev[0].cookie, 9);
	EXPECT_EQ(ev[0].fd, cli);
	EXPECT_EQ(ev[0].events, SPOOL_OUT);
	close(srv);
	close(cli);
	close(pool);
}

TEST(wait_oneshot)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, SPOOL_F_ONESHOT, 1), 0);
	send_all(cli, "x", 1);
	ASSERT_EQ(spool_wait(pool, ev, 4, 2000, NULL), 1);
	EXPECT_EQ(ev[0].cookie, 1);
	/* Still readable, but disarmed. */
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 0);
	EXPECT_EQ(spool_wait(pool, ev, 4, 100, NULL), 0);
	/* MODIFY re-arms, for one more event. */
	ASSERT_EQ(spool_mod(pool, srv, SPOOL_IN, SPOOL_F_ONESHOT, 2), 0);
	ASSERT_EQ(spool_wait(pool, ev, 4, 0, NULL), 1);
	EXPECT_EQ(ev[0].cookie, 2);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 0);
	/* A disarmed registration still exists. */
	EXPECT_ERRNO(spool_reg(pool, srv, SPOOL_IN, 0, 3), EEXIST);
	/* MODIFY without ONESHOT: level-triggered again. */
	ASSERT_EQ(spool_mod(pool, srv, SPOOL_IN, 0, 4), 0);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 1);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 1);
	EXPECT_EQ(spool_unreg(pool, srv), 0);
	close(srv);
	close(cli);
	close(pool);
}

TEST(wait_rdhup_and_hup)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN | SPOOL_RDHUP, 0, 1), 0);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 0);
	/* The peer closes: end of stream is readable, with RDHUP. */
	close(cli);
	ASSERT_EQ(spool_wait(pool, ev, 4, 2000, NULL), 1);
	EXPECT_EQ(ev[0].events, SPOOL_IN | SPOOL_RDHUP);
	/* Our side shuts down too: both directions closed, HUP. */
	ASSERT_EQ(shutdown(srv, SHUT_WR), 0);
	ASSERT_EQ(spool_wait(pool, ev, 4, 2000, NULL), 1);
	EXPECT_TRUE(ev[0].events & SPOOL_HUP);
	EXPECT_TRUE(ev[0].events & SPOOL_RDHUP);
	close(srv);
	close(pool);
}

TEST(wait_hup_always_reported)
{
	int pool = pool_open(), p[2];
	struct spool_event ev[4];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	/* Interest in PRI only, which a pipe never reports. */
	ASSERT_EQ(spool_reg(pool, p[0], SPOOL_PRI, 0, 1), 0);
	ASSERT_EQ(write(p[1], "x", 1), 1);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 0);
	close(p[1]);
	ASSERT_EQ(spool_wait(pool, ev, 4, 2000, NULL), 1);
	EXPECT_EQ(ev[0].events, SPOOL_HUP);
	close(p[0]);
	close(pool);
}

TEST(wait_err_always_reported)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_PRI, 0, 1), 0);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 0);
	/* A reset sets a socket error. */
	linger_zero(cli);
	close(cli);
	ASSERT_EQ(spool_wait(pool, ev, 4, 2000, NULL), 1);
	EXPECT_TRUE(ev[0].events & SPOOL_ERR);
	EXPECT_EQ(ev[0].events & ~(SPOOL_ERR | SPOOL_HUP), 0);
	close(srv);
	close(pool);
}

TEST(wait_max_events_round_robin)
{
	enum { N = 8, MAX = 3 };
	int pool = pool_open(), srv[N], cli[N], i, round;
	unsigned int seen = 0;
	struct spool_event ev[MAX + 1];

	for (i = 0; i < N; i++) {
		tcp_pair(AF_INET, &srv[i], &cli[i]);
		ASSERT_EQ(spool_reg(pool, srv[i], SPOOL_IN, 0, i), 0);
		send_all(cli[i], "x", 1);
		ASSERT_TRUE(poll_one(srv[i], POLLIN, 2000) & POLLIN);
	}
	/* Never more than max_events; every file reported in time. */
	for (round = 0; round < 2 * N && seen != (1U << N) - 1; round++) {
		unsigned int this = 0;
		int n;

		memset(ev, 0, sizeof(ev));
		n = spool_wait(pool, ev, MAX, 0, NULL);
		ASSERT_EQ(n, MAX);
		EXPECT_EQ(ev[MAX].cookie, 0);	/* not written past max */
		for (i = 0; i < n; i++) {
			ASSERT_LT(ev[i].cookie, N);
			EXPECT_EQ(ev[i].fd, srv[ev[i].cookie]);
			EXPECT_FALSE(this & (1U << ev[i].cookie));
			this |= 1U << ev[i].cookie;
		}
		seen |= this;
	}
	EXPECT_EQ(seen, (1U << N) - 1);
	for (i = 0; i < N; i++) {
		close(srv[i]);
		close(cli[i]);
	}
	close(pool);
}

/* ---- WAIT: misuse ---- */

TEST(wait_max_events_einval)
{
	int pool = pool_open();
	struct spool_version v = pool_version(pool);
	struct spool_event *ev = calloc(v.max_batch + 1, sizeof(*ev));

	ASSERT_TRUE(ev);
	EXPECT_ERRNO(spool_wait(pool, ev, 0, 0, NULL), EINVAL);
	EXPECT_ERRNO(spool_wait(pool, ev, v.max_batch + 1, 0, NULL), EINVAL);
	EXPECT_ERRNO(spool_wait(pool, ev, 0xffffffff, 0, NULL), EINVAL);
	EXPECT_EQ(spool_wait(pool, ev, v.max_batch, 0, NULL), 0);
	free(ev);
	close(pool);
}

TEST(wait_timeout_einval)
{
	int pool = pool_open();
	struct spool_event ev[1];

	EXPECT_ERRNO(spool_wait(pool, ev, 1, -2, NULL), EINVAL);
	EXPECT_ERRNO(spool_wait(pool, ev, 1, -1000, NULL), EINVAL);
	EXPECT_ERRNO(spool_wait(pool, ev, 1, INT32_MIN, NULL), EINVAL);
	close(pool);
}

TEST(wait_reserved_einval)
{
	int pool = pool_open();
	struct spool_event ev[1];
	struct spool_wait w = {
		.events = U64(ev), .max_events = 1, .timeout_ms = 0,
		.reserved = 1,
	};

	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_WAIT, &w), EINVAL);
	close(pool);
}

TEST(wait_efault)
{
	int pool = pool_open(), srv, cli;

	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_WAIT, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_WAIT, bad_ptr()), EFAULT);
	/* A bad events array, with an event to write. */
	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_OUT, 0, 1), 0);
	EXPECT_ERRNO(spool_wait(pool, bad_ptr(), 4, 0, NULL), EFAULT);
	EXPECT_ERRNO(spool_wait(pool, NULL, 4, 0, NULL), EFAULT);
	close(srv);
	close(cli);
	close(pool);
}

TEST(wait_eintr)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];
	struct delayed d;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	delayed_signal(&d, 200);
	EXPECT_ERRNO(spool_wait(pool, ev, 4, -1, NULL), EINTR);
	delayed_join(&d);
	close(srv);
	close(cli);
	close(pool);
}

/* ---- WAKE ---- */

TEST(wake_before_wait)
{
	int pool = pool_open();
	struct spool_event ev[4];
	__u32 flags;
	double t0;

	ASSERT_EQ(spool_wake(pool), 0);
	t0 = now_ms();
	EXPECT_EQ(spool_wait(pool, ev, 4, -1, &flags), 0);
	EXPECT_LT(now_ms() - t0, 1000);
	EXPECT_EQ(flags, SPOOL_WAIT_WOKEN);
	close(pool);
}

TEST(wake_consumed)
{
	int pool = pool_open();
	struct spool_event ev[4];
	__u32 flags;

	ASSERT_EQ(spool_wake(pool), 0);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, &flags), 0);
	EXPECT_EQ(flags, SPOOL_WAIT_WOKEN);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, &flags), 0);
	EXPECT_EQ(flags, 0);
	EXPECT_EQ(spool_wait(pool, ev, 4, 100, &flags), 0);
	EXPECT_EQ(flags, 0);
	close(pool);
}

TEST(wake_from_thread)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];
	struct delayed d;
	__u32 flags;
	double t0;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	t0 = now_ms();
	delayed_wake(&d, pool, 200);
	EXPECT_EQ(spool_wait(pool, ev, 4, -1, &flags), 0);
	EXPECT_GE(now_ms() - t0, 150);
	EXPECT_EQ(flags, SPOOL_WAIT_WOKEN);
	delayed_join(&d);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, &flags), 0);
	EXPECT_EQ(flags, 0);
	close(srv);
	close(cli);
	close(pool);
}

/* ---- poll() and epoll on the pool fd ---- */

TEST(poll_idle_not_readable)
{
	int pool = pool_open(), srv, cli;

	EXPECT_EQ(poll_one(pool, POLLIN, 0), 0);
	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	EXPECT_EQ(poll_one(pool, POLLIN, 100), 0);
	close(srv);
	close(cli);
	close(pool);
}

TEST(poll_readable_when_file_ready)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];
	char c;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	send_all(cli, "x", 1);
	EXPECT_TRUE(poll_one(pool, POLLIN, 2000) & POLLIN);
	/* Level: still readable until the file is drained. */
	EXPECT_TRUE(poll_one(pool, POLLIN, 0) & POLLIN);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 1);
	ASSERT_EQ(read(srv, &c, 1), 1);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 0);
	EXPECT_EQ(poll_one(pool, POLLIN, 0), 0);
	close(srv);
	close(cli);
	close(pool);
}

TEST(poll_readable_when_woken)
{
	int pool = pool_open();
	struct spool_event ev[4];
	__u32 flags;

	ASSERT_EQ(spool_wake(pool), 0);
	EXPECT_TRUE(poll_one(pool, POLLIN, 0) & POLLIN);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, &flags), 0);
	EXPECT_EQ(flags, SPOOL_WAIT_WOKEN);
	EXPECT_EQ(poll_one(pool, POLLIN, 0), 0);
	close(pool);
}

TEST(poll_wakes_sleeper)
{
	int pool = pool_open(), srv, cli;
	struct delayed d;
	double t0;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	t0 = now_ms();
	delayed_send(&d, cli, 200);
	EXPECT_TRUE(poll_one(pool, POLLIN, 5000) & POLLIN);
	EXPECT_GE(now_ms() - t0, 150);
	delayed_join(&d);
	close(srv);
	close(cli);
	close(pool);
}

TEST(poll_in_epoll_set)
{
	int pool = pool_open(), ep = epoll_create1(EPOLL_CLOEXEC), srv, cli;
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = 42 };

	ASSERT_GE(ep, 0);
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, pool, &e), 0);
	EXPECT_EQ(epoll_wait(ep, &e, 1, 0), 0);
	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	EXPECT_EQ(epoll_wait(ep, &e, 1, 100), 0);
	send_all(cli, "x", 1);
	ASSERT_EQ(epoll_wait(ep, &e, 1, 2000), 1);
	EXPECT_EQ(e.data.u64, 42);
	EXPECT_TRUE(e.events & EPOLLIN);
	close(ep);
	close(srv);
	close(cli);
	close(pool);
}

/* ---- struct spool_event.sndspace ---- */

/* The one event of fd, with SPOOL_IN | SPOOL_OUT interest. */
static struct spool_event sndspace_event(int pool, int fd)
{
	struct spool_event ev[4];

	memset(ev, 0x5a, sizeof(ev));
	ASSERT_EQ(spool_mod(pool, fd, SPOOL_IN | SPOOL_OUT, 0, fd), 0);
	ASSERT_EQ(spool_wait(pool, ev, 4, 2000, NULL), 1);
	EXPECT_EQ(ev[0].fd, fd);
	return ev[0];
}

/* Sends until the socket takes no more; returns the bytes taken. */
static long fill_sndbuf(int fd)
{
	static char buf[65536];
	long total = 0;
	ssize_t n;

	while ((n = send(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		total += n;
	EXPECT_EQ(n, -1);
	EXPECT_EQ(errno, EAGAIN);
	return total;
}

static int sndbuf_of(int fd)
{
	int sndbuf;
	socklen_t len = sizeof(sndbuf);

	ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len), 0);
	return sndbuf;
}

/*
 * The contract: a non-blocking send of sndspace bytes is taken whole, and
 * sndspace never exceeds the send buffer.
 */
static void check_sndspace_taken(int fd, __u32 sndspace)
{
	static char buf[1 << 22];

	EXPECT_LE(sndspace, (__u32)sndbuf_of(fd));
	ASSERT_LE(sndspace, sizeof(buf));
	if (sndspace)
		EXPECT_EQ(send(fd, buf, sndspace, MSG_DONTWAIT), (ssize_t)sndspace);
}

static void sndspace_tcp(int family)
{
	int pool = pool_open(), srv, cli, rcvbuf = 4096, sndbuf = 65536;
	struct spool_event ev;
	char drain[65536];
	int round;
	double t0;

	tcp_pair(family, &srv, &cli);
	/* Small buffers, so that they fill and drain quickly. */
	ASSERT_EQ(setsockopt(cli, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			     sizeof(rcvbuf)), 0);
	ASSERT_EQ(setsockopt(srv, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			     sizeof(sndbuf)), 0);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, srv), 0);

	/* Fresh and idle: room, and a send of it is taken whole. */
	ev = sndspace_event(pool, srv);
	EXPECT_EQ(ev.events, SPOOL_OUT);
	EXPECT_GT(ev.sndspace, 0);
	check_sndspace_taken(srv, ev.sndspace);

	for (round = 0; round < 3; round++) {
		/*
		 * Full, with a peer that reads nothing: not writable, little
		 * room (an ACK that came with the peer's byte may free some),
		 * and what it says is still taken.
		 */
		fill_sndbuf(srv);
		send_all(cli, "x", 1);
		ev = sndspace_event(pool, srv);
		EXPECT_EQ(ev.events, SPOOL_IN);
		EXPECT_LT(ev.sndspace, (__u32)sndbuf_of(srv) / 2);
		check_sndspace_taken(srv, ev.sndspace);
		EXPECT_EQ(recv(srv, drain, 1, 0), 1);
		/* The peer reads: room again, and what it says is taken. */
		t0 = now_ms();
		do {
			while (recv(cli, drain, sizeof(drain), MSG_DONTWAIT) > 0)
				;
		} while (!(poll_one(srv, POLLOUT, 10) & POLLOUT) &&
			 now_ms() - t0 < 10000);
		EXPECT_TRUE(poll_one(srv, POLLOUT, 0) & POLLOUT);
		ev = sndspace_event(pool, srv);
		EXPECT_TRUE(ev.events & SPOOL_OUT);
		EXPECT_GT(ev.sndspace, 0);
		check_sndspace_taken(srv, ev.sndspace);
	}

	/* No room once the socket cannot send any more. */
	ASSERT_EQ(shutdown(srv, SHUT_WR), 0);
	ev = sndspace_event(pool, srv);
	EXPECT_EQ(ev.sndspace, 0);
	close(srv);
	close(cli);
	close(pool);
}

TEST(sndspace_tcp4)
{
	sndspace_tcp(AF_INET);
}

TEST(sndspace_tcp6)
{
	sndspace_tcp(AF_INET6);
}

/* TCP_NOTSENT_LOWAT bounds it: a send past the mark would not be taken. */
TEST(sndspace_notsent_lowat)
{
	int pool = pool_open(), srv, cli, lowat = 8192;
	struct spool_event ev;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(setsockopt(srv, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat,
			     sizeof(lowat)), 0);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_OUT, 0, srv), 0);
	ev = sndspace_event(pool, srv);
	EXPECT_GT(ev.sndspace, 0);
	EXPECT_LE(ev.sndspace, (__u32)lowat);
	check_sndspace_taken(srv, ev.sndspace);
	close(srv);
	close(cli);
	close(pool);
}

/* Every file that is no connected TCP socket reports 0. */
TEST(sndspace_zero_for_others)
{
	int pool = pool_open(), p[2], lfd, port, udp = udp_socket(), cli;
	struct spool_event ev;

	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(spool_reg(pool, p[1], SPOOL_OUT, 0, p[1]), 0);
	ev = sndspace_event(pool, p[1]);
	EXPECT_EQ(ev.events, SPOOL_OUT);
	EXPECT_EQ(ev.sndspace, 0);
	ASSERT_EQ(spool_unreg(pool, p[1]), 0);

	ASSERT_EQ(spool_reg(pool, udp, SPOOL_OUT, 0, udp), 0);
	ev = sndspace_event(pool, udp);
	EXPECT_EQ(ev.sndspace, 0);
	ASSERT_EQ(spool_unreg(pool, udp), 0);

	/* A listener with a pending connection. */
	lfd = tcp_listen(AF_INET, 4, &port);
	cli = tcp_connect(AF_INET, port);
	wait_backlog(lfd, 1);
	ASSERT_EQ(spool_reg(pool, lfd, SPOOL_IN, 0, lfd), 0);
	ev = sndspace_event(pool, lfd);
	EXPECT_EQ(ev.events, SPOOL_IN);
	EXPECT_EQ(ev.sndspace, 0);
	close(lfd);
	close(cli);
	close(udp);
	close(p[0]);
	close(p[1]);
	close(pool);
}
