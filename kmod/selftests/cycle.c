// SPDX-License-Identifier: GPL-2.0
/* cycle.c - selftests of SPOOL_IOC_CYCLE. */
#include "spool_util.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sys/mman.h>

#define CYC_MAX		64
#define CYC_ARENA	16384

/* One cycle's arguments and buffers. */
struct cyc {
	struct spool_cycle c;
	struct spool_ctl ctl[CYC_MAX];
	struct spool_iov send[CYC_MAX];
	struct spool_event ev[CYC_MAX];
	struct spool_conn conns[CYC_MAX];
	char arena[CYC_ARENA];
};

static struct cyc *cyc_new(int pool)
{
	struct spool_version v = pool_version(pool);
	struct cyc *y = calloc(1, sizeof(*y));

	ASSERT_TRUE(y);
	y->c.ctl = U64(y->ctl);
	y->c.send = U64(y->send);
	y->c.events = U64(y->ev);
	y->c.conns = U64(y->conns);
	y->c.arena = U64(y->arena);
	y->c.max_events = v.max_batch < CYC_MAX ? v.max_batch : CYC_MAX;
	y->c.max_conns = y->c.max_events;
	y->c.arena_len = v.max_arena < CYC_ARENA ? v.max_arena : CYC_ARENA;
	return y;
}

/* Runs one cycle; the out fields start as garbage to see them written. */
static int cyc_run(int pool, struct cyc *y, int timeout_ms)
{
	y->c.timeout_ms = timeout_ms;
	y->c.nr_conns = 0xdead;
	y->c.arena_used = 0xdead;
	y->c.flags = 0xdead;
	memset(y->ev, 0x5a, sizeof(y->ev));
	return ioctl(pool, SPOOL_IOC_CYCLE, &y->c);
}

static struct spool_event *cyc_event(struct cyc *y, int n, int fd)
{
	int i;

	for (i = 0; i < n; i++)
		if (y->ev[i].fd == fd)
			return &y->ev[i];
	FAIL("no event for fd %d among %d", fd, n);
	return NULL;
}

/* ---- waiting, waking, sending ---- */

TEST(cycle_timeout)
{
	int pool = pool_open(), srv, cli;
	struct cyc *y = cyc_new(pool);
	double t0;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, SPOOL_F_RECV, 1), 0);
	t0 = now_ms();
	EXPECT_EQ(cyc_run(pool, y, 0), 0);
	EXPECT_LT(now_ms() - t0, 1000);
	EXPECT_EQ(y->c.nr_conns, 0);
	EXPECT_EQ(y->c.arena_used, 0);
	EXPECT_EQ(y->c.flags, 0);
	t0 = now_ms();
	EXPECT_EQ(cyc_run(pool, y, 100), 0);
	EXPECT_GE(now_ms() - t0, 95);
	EXPECT_LT(now_ms() - t0, 3000);
	EXPECT_EQ(y->c.nr_conns, 0);
	EXPECT_EQ(y->c.arena_used, 0);
	EXPECT_EQ(y->c.flags, 0);
	free(y);
	close(srv);
	close(cli);
	close(pool);
}

TEST(cycle_wake_before)
{
	int pool = pool_open();
	struct cyc *y = cyc_new(pool);
	double t0;

	ASSERT_EQ(spool_wake(pool), 0);
	t0 = now_ms();
	EXPECT_EQ(cyc_run(pool, y, -1), 0);
	EXPECT_LT(now_ms() - t0, 1000);
	EXPECT_EQ(y->c.flags, SPOOL_WAIT_WOKEN);
	EXPECT_EQ(cyc_run(pool, y, 0), 0);
	EXPECT_EQ(y->c.flags, 0);
	free(y);
	close(pool);
}

TEST(cycle_wake_from_thread)
{
	int pool = pool_open();
	struct cyc *y = cyc_new(pool);
	struct delayed d;
	double t0;

	t0 = now_ms();
	delayed_wake(&d, pool, 200);
	EXPECT_EQ(cyc_run(pool, y, -1), 0);
	EXPECT_GE(now_ms() - t0, 150);
	EXPECT_EQ(y->c.flags, SPOOL_WAIT_WOKEN);
	delayed_join(&d);
	free(y);
	close(pool);
}

TEST(cycle_send_results)
{
	int pool = pool_open(), srv[2], cli[2], i;
	struct cyc *y = cyc_new(pool);
	char buf[8];

	for (i = 0; i < 2; i++)
		tcp_pair(AF_INET, &srv[i], &cli[i]);
	iov_set(&y->send[0], cli[0], "abc", 3);
	iov_set(&y->send[1], next_fd(), "bad", 3);
	iov_set(&y->send[2], cli[1], "defg", 4);
	iov_set(&y->send[3], cli[1], "", 0);
	y->c.nr_send = 4;
	EXPECT_EQ(cyc_run(pool, y, 0), 0);
	EXPECT_EQ(y->send[0].result, 3);
	EXPECT_EQ(y->send[1].result, -EBADF);
	EXPECT_EQ(y->send[2].result, 4);
	EXPECT_EQ(y->send[3].result, -EINVAL);
	recv_all(srv[0], buf, 3);
	EXPECT_EQ(memcmp(buf, "abc", 3), 0);
	recv_all(srv[1], buf, 4);
	EXPECT_EQ(memcmp(buf, "defg", 4), 0);
	for (i = 0; i < 2; i++) {
		close(srv[i]);
		close(cli[i]);
	}
	free(y);
	close(pool);
}

/* Sends happen first: a cycle can receive what it sent itself. */
TEST(cycle_send_then_receive)
{
	int pool = pool_open(), srv, cli, n;
	struct cyc *y = cyc_new(pool);
	struct spool_event *e;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, SPOOL_F_RECV, 5), 0);
	iov_set(&y->send[0], cli, "hello", 5);
	y->c.nr_send = 1;
	n = cyc_run(pool, y, 2000);
	ASSERT_EQ(n, 1);
	EXPECT_EQ(y->send[0].result, 5);
	e = cyc_event(y, n, srv);
	EXPECT_EQ(e->cookie, 5);
	EXPECT_EQ(e->flags, SPOOL_EV_RECV);
	ASSERT_EQ(e->result, 5);
	EXPECT_EQ(memcmp(y->arena + e->offset, "hello", 5), 0);
	free(y);
	close(srv);
	close(cli);
	close(pool);
}

TEST(cycle_eintr_after_send)
{
	int pool = pool_open(), srv, cli;
	struct cyc *y = cyc_new(pool);
	struct delayed d;
	char buf[4];

	tcp_pair(AF_INET, &srv, &cli);
	iov_set(&y->send[0], cli, "sent", 4);
	y->c.nr_send = 1;
	delayed_signal(&d, 200);
	EXPECT_ERRNO(cyc_run(pool, y, -1), EINTR);
	delayed_join(&d);
	EXPECT_EQ(y->send[0].result, 4);
	recv_all(srv, buf, 4);
	EXPECT_EQ(memcmp(buf, "sent", 4), 0);
	free(y);
	close(srv);
	close(cli);
	close(pool);
}

/* A registration without F_RECV/F_ACCEPT: a plain event, nothing done. */
TEST(cycle_plain_event)
{
	int pool = pool_open(), srv, cli, n;
	struct cyc *y = cyc_new(pool);
	struct spool_event *e;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 77), 0);
	send_all(cli, "x", 1);
	n = cyc_run(pool, y, 2000);
	ASSERT_EQ(n, 1);
	e = cyc_event(y, n, srv);
	EXPECT_EQ(e->cookie, 77);
	EXPECT_EQ(e->events, SPOOL_IN);
	EXPECT_EQ(e->flags, 0);
	/* An idle established TCP socket: its send buffer has room. */
	EXPECT_GT(e->sndspace, 0);
	EXPECT_EQ(y->c.arena_used, 0);
	EXPECT_EQ(y->c.nr_conns, 0);
	/* Not consumed: level-triggered, still there. */
	EXPECT_EQ(cyc_run(pool, y, 0), 1);
	EXPECT_TRUE(poll_one(srv, POLLIN, 0) & POLLIN);
	free(y);
	close(srv);
	close(cli);
	close(pool);
}

TEST(cycle_max_events)
{
	enum { N = 5 };
	int pool = pool_open(), srv[N], cli[N], i, round;
	struct cyc *y = cyc_new(pool);
	unsigned int seen = 0;

	for (i = 0; i < N; i++) {
		tcp_pair(AF_INET, &srv[i], &cli[i]);
		ASSERT_EQ(spool_reg(pool, srv[i], SPOOL_IN, 0, i), 0);
		send_all(cli[i], "x", 1);
		ASSERT_TRUE(poll_one(srv[i], POLLIN, 2000) & POLLIN);
	}
	y->c.max_events = 2;
	for (round = 0; round < 10 && seen != (1U << N) - 1; round++) {
		ASSERT_EQ(cyc_run(pool, y, 0), 2);
		for (i = 0; i < 2; i++) {
			ASSERT_LT(y->ev[i].cookie, N);
			seen |= 1U << y->ev[i].cookie;
		}
		EXPECT_EQ(y->ev[2].cookie, 0x5a5a5a5a5a5a5a5aULL);
	}
	EXPECT_EQ(seen, (1U << N) - 1);
	for (i = 0; i < N; i++) {
		close(srv[i]);
		close(cli[i]);
	}
	free(y);
	close(pool);
}

/* ---- accept ---- */

static int listener_port_of(int fd)
{
	return local_port(fd);
}

TEST(cycle_accept)
{
	enum { N = 5 };
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 16, &port);
	struct cyc *y = cyc_new(pool);
	struct spool_event *e;
	int cli[N], i, n;

	ASSERT_EQ(spool_reg(pool, lfd, SPOOL_IN, SPOOL_F_ACCEPT, 99), 0);
	for (i = 0; i < N; i++)
		cli[i] = tcp_connect(AF_INET, port);
	wait_backlog(lfd, N);
	y->c.accept_flags = SPOOL_ACCEPT_NONBLOCK;
	memset(y->conns, 0xff, sizeof(y->conns));
	n = cyc_run(pool, y, 2000);
	ASSERT_EQ(n, 1);
	e = cyc_event(y, n, lfd);
	EXPECT_EQ(e->cookie, 99);
	EXPECT_TRUE(e->events & SPOOL_IN);
	EXPECT_EQ(e->flags, SPOOL_EV_ACCEPT);
	EXPECT_EQ(e->result, N);
	EXPECT_EQ(e->offset, 0);
	EXPECT_EQ(y->c.nr_conns, N);
	EXPECT_EQ(y->c.arena_used, 0);
	EXPECT_EQ(y->conns[N].fd, -1);	/* not written past nr_conns */
	for (i = 0; i < N; i++) {
		int fd = y->conns[i].fd, j;

		ASSERT_GE(fd, 0);
		EXPECT_EQ(y->conns[i].reg, 0);
		EXPECT_EQ(y->conns[i].addrlen, sizeof(struct sockaddr_in));
		EXPECT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
		EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
		EXPECT_EQ(listener_port_of(fd), port);
		for (j = 0; j < N; j++)
			if (local_port(cli[j]) ==
			    ntohs(((struct sockaddr_in *)y->conns[i].addr)->sin_port))
				break;
		EXPECT_LT(j, N);
		close(fd);
	}
	/* Nothing left: the listener is not ready any more. */
	EXPECT_EQ(cyc_run(pool, y, 0), 0);
	for (i = 0; i < N; i++)
		close(cli[i]);
	free(y);
	close(lfd);
	close(pool);
}

TEST(cycle_accept_register_recv)
{
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 16, &port);
	struct cyc *y = cyc_new(pool);
	struct spool_event *e;
	int cli, fd, n;

	ASSERT_EQ(spool_reg(pool, lfd, SPOOL_IN, SPOOL_F_ACCEPT, 1), 0);
	cli = tcp_connect(AF_INET, port);
	y->c.accept_flags = SPOOL_ACCEPT_REGISTER | SPOOL_ACCEPT_CLOEXEC;
	y->c.accept_events = SPOOL_IN;
	y->c.accept_reg_flags = SPOOL_F_RECV;
	ASSERT_EQ(cyc_run(pool, y, 2000), 1);
	ASSERT_EQ(y->c.nr_conns, 1);
	fd = y->conns[0].fd;
	EXPECT_EQ(y->conns[0].reg, 0);
	EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	send_all(cli, "hi there", 8);
	n = cyc_run(pool, y, 2000);
	ASSERT_EQ(n, 1);
	e = cyc_event(y, n, fd);
	EXPECT_EQ(e->cookie, fd);
	EXPECT_EQ(e->flags, SPOOL_EV_RECV);
	ASSERT_EQ(e->result, 8);
	EXPECT_EQ(memcmp(y->arena + e->offset, "hi there", 8), 0);
	EXPECT_EQ(y->c.nr_conns, 0);
	close(fd);
	close(cli);
	free(y);
	close(lfd);
	close(pool);
}

TEST(cycle_accept_max_conns)
{
	enum { N = 5 };
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 16, &port);
	struct cyc *y = cyc_new(pool);
	int cli[N], i;

	ASSERT_EQ(spool_reg(pool, lfd, SPOOL_IN, SPOOL_F_ACCEPT, 1), 0);
	for (i = 0; i < N; i++)
		cli[i] = tcp_connect(AF_INET, port);
	wait_backlog(lfd, N);
	y->c.max_conns = 3;
	ASSERT_EQ(cyc_run(pool, y, 0), 1);
	EXPECT_EQ(y->ev[0].flags, SPOOL_EV_ACCEPT);
	EXPECT_EQ(y->ev[0].result, 3);
	EXPECT_EQ(y->c.nr_conns, 3);
	for (i = 0; i < 3; i++)
		close(y->conns[i].fd);
	ASSERT_EQ(cyc_run(pool, y, 0), 1);
	EXPECT_EQ(y->ev[0].flags, SPOOL_EV_ACCEPT);
	EXPECT_EQ(y->ev[0].result, 2);
	EXPECT_EQ(y->c.nr_conns, 2);
	for (i = 0; i < 2; i++)
		close(y->conns[i].fd);
	for (i = 0; i < N; i++)
		close(cli[i]);
	free(y);
	close(lfd);
	close(pool);
}

/* Two listeners share conns: offsets partition it. */
TEST(cycle_accept_two_listeners)
{
	int pool = pool_open(), port[2], lfd[2], cli[5], i, n;
	struct cyc *y = cyc_new(pool);
	struct spool_event *e[2];

	for (i = 0; i < 2; i++) {
		lfd[i] = tcp_listen(AF_INET, 16, &port[i]);
		ASSERT_EQ(spool_reg(pool, lfd[i], SPOOL_IN, SPOOL_F_ACCEPT, i),
			  0);
	}
	for (i = 0; i < 5; i++)
		cli[i] = tcp_connect(AF_INET, port[i < 2 ? 0 : 1]);
	wait_backlog(lfd[0], 2);
	wait_backlog(lfd[1], 3);
	n = cyc_run(pool, y, 0);
	ASSERT_EQ(n, 2);
	EXPECT_EQ(y->c.nr_conns, 5);
	for (i = 0; i < 2; i++) {
		unsigned int k;

		e[i] = cyc_event(y, n, lfd[i]);
		EXPECT_EQ(e[i]->flags, SPOOL_EV_ACCEPT);
		EXPECT_EQ(e[i]->result, i ? 3 : 2);
		for (k = e[i]->offset; k < e[i]->offset + e[i]->result; k++)
			EXPECT_EQ(listener_port_of(y->conns[k].fd), port[i]);
	}
	EXPECT_TRUE((e[0]->offset == 0 && e[1]->offset == 2) ||
		    (e[1]->offset == 0 && e[0]->offset == 3));
	for (i = 0; i < 5; i++) {
		close(y->conns[i].fd);
		close(cli[i]);
	}
	for (i = 0; i < 2; i++)
		close(lfd[i]);
	free(y);
	close(pool);
}

TEST(cycle_accept_conns_full)
{
	int pool = pool_open(), port[2], lfd[2], cli[6], i, n;
	struct cyc *y = cyc_new(pool);
	struct spool_event *e[2], *full;

	for (i = 0; i < 2; i++) {
		lfd[i] = tcp_listen(AF_INET, 16, &port[i]);
		ASSERT_EQ(spool_reg(pool, lfd[i], SPOOL_IN, SPOOL_F_ACCEPT, i),
			  0);
	}
	for (i = 0; i < 6; i++)
		cli[i] = tcp_connect(AF_INET, port[i % 2]);
	wait_backlog(lfd[0], 3);
	wait_backlog(lfd[1], 3);
	/* Room for one listener's connections only. */
	y->c.max_conns = 3;
	n = cyc_run(pool, y, 0);
	ASSERT_EQ(n, 2);
	EXPECT_EQ(y->c.nr_conns, 3);
	e[0] = cyc_event(y, n, lfd[0]);
	e[1] = cyc_event(y, n, lfd[1]);
	full = e[0]->flags == SPOOL_EV_FULL ? e[0] : e[1];
	EXPECT_EQ(full->flags, SPOOL_EV_FULL);
	EXPECT_EQ((full == e[0] ? e[1] : e[0])->flags, SPOOL_EV_ACCEPT);
	EXPECT_EQ((full == e[0] ? e[1] : e[0])->result, 3);
	for (i = 0; i < 3; i++)
		close(y->conns[i].fd);
	/* The full one was left alone: its connections come next. */
	EXPECT_EQ(listener_backlog(full == e[0] ? lfd[0] : lfd[1]), 3);
	ASSERT_EQ(cyc_run(pool, y, 0), 1);
	EXPECT_EQ(y->ev[0].flags, SPOOL_EV_ACCEPT);
	EXPECT_EQ(y->ev[0].result, 3);
	for (i = 0; i < 3; i++)
		close(y->conns[i].fd);
	for (i = 0; i < 6; i++)
		close(cli[i]);
	for (i = 0; i < 2; i++)
		close(lfd[i]);
	free(y);
	close(pool);
}

/* An accept error is the event's result; the connection waits. */
TEST(cycle_accept_emfile)
{
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 8, &port);
	struct cyc *y = cyc_new(pool);
	int cli, lim;

	ASSERT_EQ(spool_reg(pool, lfd, SPOOL_IN, SPOOL_F_ACCEPT, 1), 0);
	cli = tcp_connect(AF_INET, port);
	wait_backlog(lfd, 1);
	lim = next_fd();
	set_nofile_soft(lim);
	ASSERT_EQ(cyc_run(pool, y, 0), 1);
	EXPECT_EQ(y->ev[0].flags, SPOOL_EV_ACCEPT);
	EXPECT_EQ(y->ev[0].result, -EMFILE);
	EXPECT_EQ(y->c.nr_conns, 0);
	set_nofile_soft(lim + 8);
	ASSERT_EQ(cyc_run(pool, y, 0), 1);
	EXPECT_EQ(y->ev[0].flags, SPOOL_EV_ACCEPT);
	EXPECT_EQ(y->ev[0].result, 1);
	EXPECT_EQ(y->c.nr_conns, 1);
	close(y->conns[0].fd);
	close(cli);
	free(y);
	close(lfd);
	close(pool);
}

/* ---- receive ---- */

TEST(cycle_recv)
{
	enum { N = 3 };
	int pool = pool_open(), srv[N], cli[N], i, n;
	struct cyc *y = cyc_new(pool);
	char msg[N][32];
	__u32 total = 0, end = 0;

	for (i = 0; i < N; i++) {
		tcp_pair(AF_INET, &srv[i], &cli[i]);
		ASSERT_EQ(spool_reg(pool, srv[i], SPOOL_IN, SPOOL_F_RECV, i),
			  0);
		snprintf(msg[i], sizeof(msg[i]), "payload-%d-%.*s", i, 3 * i,
			 "zzzzzzzzzzzz");
		send_all(cli[i], msg[i], strlen(msg[i]));
		ASSERT_TRUE(poll_one(srv[i], POLLIN, 2000) & POLLIN);
		total += strlen(msg[i]);
	}
	n = cyc_run(pool, y, 2000);
	ASSERT_EQ(n, N);
	EXPECT_EQ(y->c.arena_used, total);
	EXPECT_EQ(y->c.nr_conns, 0);
	for (i = 0; i < N; i++) {
		struct spool_event *e = cyc_event(y, n, srv[i]);

		EXPECT_EQ(e->cookie, i);
		EXPECT_EQ(e->events, SPOOL_IN);
		EXPECT_EQ(e->flags, SPOOL_EV_RECV);
		EXPECT_GT(e->sndspace, 0);
		ASSERT_EQ(e->result, strlen(msg[i]));
		ASSERT_LE(e->offset + e->result, y->c.arena_used);
		EXPECT_EQ(memcmp(y->arena + e->offset, msg[i], e->result), 0);
		if (e->offset + e->result > end)
			end = e->offset + e->result;
	}
	/* The pieces fill the used arena exactly, without overlap. */
	EXPECT_EQ(end, total);
	/* Drained. */
	EXPECT_EQ(cyc_run(pool, y, 0), 0);
	for (i = 0; i < N; i++) {
		close(srv[i]);
		close(cli[i]);
	}
	free(y);
	close(pool);
}

TEST(cycle_recv_eof)
{
	int pool = pool_open(), srv, cli, n;
	struct cyc *y = cyc_new(pool);
	struct spool_event *e;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, SPOOL_F_RECV, 1), 0);
	close(cli);
	n = cyc_run(pool, y, 2000);
	ASSERT_EQ(n, 1);
	e = cyc_event(y, n, srv);
	EXPECT_EQ(e->flags, SPOOL_EV_RECV | SPOOL_EV_EOF);
	EXPECT_EQ(e->result, 0);
	EXPECT_EQ(y->c.arena_used, 0);
	free(y);
	close(srv);
	close(pool);
}

TEST(cycle_recv_reset)
{
	int pool = pool_open(), srv, cli, n;
	struct cyc *y = cyc_new(pool);
	struct spool_event *e;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, SPOOL_F_RECV, 1), 0);
	linger_zero(cli);
	close(cli);
	n = cyc_run(pool, y, 2000);
	ASSERT_EQ(n, 1);
	e = cyc_event(y, n, srv);
	EXPECT_TRUE(e->flags & SPOOL_EV_RECV);
	EXPECT_EQ(e->result, -ECONNRESET);
	EXPECT_TRUE(e->events & SPOOL_ERR);
	free(y);
	close(srv);
	close(pool);
}

TEST(cycle_arena_full)
{
	enum { N = 3, LEN = 100 };
	int pool = pool_open(), srv[N], cli[N], i, n, full = -1, got = 0;
	struct cyc *y = cyc_new(pool);
	char msg[LEN];

	for (i = 0; i < N; i++) {
		tcp_pair(AF_INET, &srv[i], &cli[i]);
		ASSERT_EQ(spool_reg(pool, srv[i], SPOOL_IN, SPOOL_F_RECV, i),
			  0);
		memset(msg, 'a' + i, LEN);
		send_all(cli[i], msg, LEN);
		ASSERT_TRUE(poll_one(srv[i], POLLIN, 2000) & POLLIN);
	}
	/* Exactly two fit. */
	y->c.arena_len = 2 * LEN;
	n = cyc_run(pool, y, 0);
	ASSERT_EQ(n, N);
	EXPECT_EQ(y->c.arena_used, 2 * LEN);
	for (i = 0; i < n; i++) {
		struct spool_event *e = &y->ev[i];

		if (e->flags == SPOOL_EV_FULL) {
			EXPECT_EQ(full, -1);
			full = e->cookie;
			continue;
		}
		EXPECT_EQ(e->flags, SPOOL_EV_RECV);
		ASSERT_EQ(e->result, LEN);
		memset(msg, 'a' + (int)e->cookie, LEN);
		EXPECT_EQ(memcmp(y->arena + e->offset, msg, LEN), 0);
		got++;
	}
	EXPECT_EQ(got, 2);
	ASSERT_GE(full, 0);
	/* The full one kept its data for the next cycle. */
	y->c.arena_len = CYC_ARENA;
	n = cyc_run(pool, y, 0);
	ASSERT_EQ(n, 1);
	EXPECT_EQ(y->ev[0].cookie, full);
	EXPECT_EQ(y->ev[0].flags, SPOOL_EV_RECV);
	EXPECT_EQ(y->ev[0].result, LEN);
	memset(msg, 'a' + full, LEN);
	EXPECT_EQ(memcmp(y->arena + y->ev[0].offset, msg, LEN), 0);
	for (i = 0; i < N; i++) {
		close(srv[i]);
		close(cli[i]);
	}
	free(y);
	close(pool);
}

TEST(cycle_recv_max)
{
	enum { LEN = 1000, MAX = 100 };
	int pool = pool_open(), srv, cli, i, off = 0;
	struct cyc *y = cyc_new(pool);
	char msg[LEN];

	for (i = 0; i < LEN; i++)
		msg[i] = (char)(i * 7);
	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, SPOOL_F_RECV, 1), 0);
	send_all(cli, msg, LEN);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLIN);
	msleep(50);
	y->c.recv_max = MAX;
	/* Level-triggered: each cycle takes the next recv_max bytes. */
	for (i = 0; i < LEN / MAX; i++) {
		ASSERT_EQ(cyc_run(pool, y, 2000), 1);
		EXPECT_EQ(y->ev[0].flags, SPOOL_EV_RECV);
		ASSERT_EQ(y->ev[0].result, MAX);
		EXPECT_EQ(y->c.arena_used, MAX);
		EXPECT_EQ(memcmp(y->arena + y->ev[0].offset, msg + off, MAX),
			  0);
		off += MAX;
	}
	EXPECT_EQ(cyc_run(pool, y, 0), 0);
	free(y);
	close(srv);
	close(cli);
	close(pool);
}

TEST(cycle_recv_oneshot)
{
	int pool = pool_open(), srv, cli;
	struct cyc *y = cyc_new(pool);

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, SPOOL_F_RECV | SPOOL_F_ONESHOT,
			    1), 0);
	send_all(cli, "0123456789", 10);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLIN);
	y->c.recv_max = 4;
	ASSERT_EQ(cyc_run(pool, y, 0), 1);
	EXPECT_EQ(y->ev[0].flags, SPOOL_EV_RECV);
	EXPECT_EQ(y->ev[0].result, 4);
	/* Data is left, but the registration is disarmed. */
	EXPECT_EQ(cyc_run(pool, y, 0), 0);
	EXPECT_EQ(y->c.arena_used, 0);
	ASSERT_EQ(spool_mod(pool, srv, SPOOL_IN,
			    SPOOL_F_RECV | SPOOL_F_ONESHOT, 2), 0);
	ASSERT_EQ(cyc_run(pool, y, 0), 1);
	EXPECT_EQ(y->ev[0].cookie, 2);
	ASSERT_EQ(y->ev[0].result, 4);
	EXPECT_EQ(memcmp(y->arena + y->ev[0].offset, "4567", 4), 0);
	free(y);
	close(srv);
	close(cli);
	close(pool);
}

TEST(cycle_recv_arena_efault)
{
	int pool = pool_open(), srv, cli, n;
	struct cyc *y = cyc_new(pool);

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, SPOOL_F_RECV, 1), 0);
	send_all(cli, "abc", 3);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLIN);
	y->c.arena = U64(bad_ptr());
	y->c.arena_len = 4096;
	n = cyc_run(pool, y, 0);
	ASSERT_EQ(n, 1);
	EXPECT_TRUE(y->ev[0].flags & SPOOL_EV_RECV);
	EXPECT_EQ(y->ev[0].result, -EFAULT);
	free(y);
	close(srv);
	close(cli);
	close(pool);
}

/* ---- registration changes carried by the cycle (ctl) ---- */

static void ctl_set(struct spool_ctl *c, __u32 op, int fd, __u32 events,
		    __u32 flags, __u64 cookie)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->fd = fd;
	c->events = events;
	c->flags = flags;
	c->cookie = cookie;
	c->result = 0x7eadbeef;	/* out only: must be overwritten */
}

/* Changes come first: a file registered by a cycle is served by it. */
TEST(cycle_ctl_register_then_receive)
{
	int pool = pool_open(), srv, cli, n;
	struct cyc *y = cyc_new(pool);
	struct spool_event *e;

	tcp_pair(AF_INET, &srv, &cli);
	send_all(cli, "early", 5);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLIN);
	ctl_set(&y->ctl[0], SPOOL_CTL_REGISTER, srv, SPOOL_IN, SPOOL_F_RECV,
		11);
	y->c.nr_ctl = 1;
	n = cyc_run(pool, y, 2000);
	ASSERT_EQ(n, 1);
	EXPECT_EQ(y->ctl[0].result, 0);
	e = cyc_event(y, n, srv);
	EXPECT_EQ(e->cookie, 11);
	EXPECT_EQ(e->flags, SPOOL_EV_RECV);
	ASSERT_EQ(e->result, 5);
	EXPECT_EQ(memcmp(y->arena + e->offset, "early", 5), 0);
	EXPECT_ERRNO(spool_reg(pool, srv, SPOOL_IN, 0, 0), EEXIST);
	free(y);
	close(srv);
	close(cli);
	close(pool);
}

TEST(cycle_ctl_modify_and_unregister)
{
	int pool = pool_open(), srv, cli, n;
	struct cyc *y = cyc_new(pool);

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	send_all(cli, "x", 1);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLIN);
	ctl_set(&y->ctl[0], SPOOL_CTL_MODIFY, srv, SPOOL_IN, 0, 2);
	y->c.nr_ctl = 1;
	n = cyc_run(pool, y, 0);
	ASSERT_EQ(n, 1);
	EXPECT_EQ(y->ctl[0].result, 0);
	EXPECT_EQ(y->ev[0].cookie, 2);
	EXPECT_EQ(y->ev[0].flags, 0);
	ctl_set(&y->ctl[0], SPOOL_CTL_UNREGISTER, srv, 0, 0, 0);
	EXPECT_EQ(cyc_run(pool, y, 0), 0);
	EXPECT_EQ(y->ctl[0].result, 0);
	EXPECT_ERRNO(spool_unreg(pool, srv), ENOENT);
	free(y);
	close(srv);
	close(cli);
	close(pool);
}

TEST(cycle_ctl_in_order)
{
	int pool = pool_open(), srv, cli, n, i;
	struct cyc *y = cyc_new(pool);

	tcp_pair(AF_INET, &srv, &cli);
	send_all(cli, "x", 1);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLIN);
	ctl_set(&y->ctl[0], SPOOL_CTL_MODIFY, srv, SPOOL_IN, 0, 9);
	ctl_set(&y->ctl[1], SPOOL_CTL_REGISTER, srv, SPOOL_IN, 0, 1);
	ctl_set(&y->ctl[2], SPOOL_CTL_UNREGISTER, srv, 0, 0, 0);
	ctl_set(&y->ctl[3], SPOOL_CTL_REGISTER, srv, SPOOL_OUT, 0, 2);
	ctl_set(&y->ctl[4], SPOOL_CTL_MODIFY, srv, SPOOL_IN, 0, 3);
	y->c.nr_ctl = 5;
	n = cyc_run(pool, y, 0);
	ASSERT_EQ(n, 1);
	EXPECT_EQ(y->ctl[0].result, -ENOENT);	/* not registered yet */
	for (i = 1; i < 5; i++)
		EXPECT_EQ(y->ctl[i].result, 0);
	EXPECT_EQ(y->ev[0].cookie, 3);
	EXPECT_EQ(y->ev[0].events, SPOOL_IN);
	free(y);
	close(srv);
	close(cli);
	close(pool);
}

/* Each change gets the errno its ioctl would fail with; none stops others. */
TEST(cycle_ctl_results_independent)
{
	int pool = pool_open(), other = pool_open(), srv, cli, p[2], n;
	int mfd = memfd_create("spool", MFD_CLOEXEC), u = udp_socket();
	struct cyc *y = cyc_new(pool);
	struct spool_ctl *c = y->ctl;
	struct spool_event ev[4];

	ASSERT_GE(mfd, 0);
	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	tcp_pair(AF_INET, &srv, &cli);
	ctl_set(&c[0], SPOOL_CTL_REGISTER, srv, SPOOL_IN, 0, 100);
	ctl_set(&c[1], SPOOL_CTL_REGISTER, srv, SPOOL_IN, 0, 101);
	ctl_set(&c[2], SPOOL_CTL_MODIFY, p[0], SPOOL_IN, 0, 102);
	ctl_set(&c[3], SPOOL_CTL_REGISTER, next_fd(), SPOOL_IN, 0, 103);
	ctl_set(&c[4], 0, p[0], SPOOL_IN, 0, 104);
	ctl_set(&c[5], 4, p[0], SPOOL_IN, 0, 105);
	ctl_set(&c[6], SPOOL_CTL_REGISTER, p[0], SPOOL_IN, 0, 106);
	c[6].reserved = 1;
	ctl_set(&c[7], SPOOL_CTL_REGISTER, mfd, SPOOL_IN, 0, 107);
	ctl_set(&c[8], SPOOL_CTL_REGISTER, other, SPOOL_IN, 0, 108);
	ctl_set(&c[9], SPOOL_CTL_REGISTER, p[0], SPOOL_IN, SPOOL_F_RECV, 109);
	ctl_set(&c[10], SPOOL_CTL_REGISTER, u, SPOOL_IN, SPOOL_F_RECV, 110);
	ctl_set(&c[11], SPOOL_CTL_UNREGISTER, srv, 0, 0, 111);
	ctl_set(&c[12], SPOOL_CTL_REGISTER, p[0], SPOOL_IN, 0, 112);
	ctl_set(&c[13], SPOOL_CTL_REGISTER, u, SPOOL_IN | 0x100000, 0, 113);
	ctl_set(&c[14], SPOOL_CTL_REGISTER, u, SPOOL_IN,
		SPOOL_F_ACCEPT | SPOOL_F_RECV, 114);
	ctl_set(&c[15], SPOOL_CTL_REGISTER, pool, SPOOL_IN, 0, 115);
	ctl_set(&c[16], SPOOL_CTL_UNREGISTER, next_fd(), 0, 0, 0);
	y->c.nr_ctl = 17;
	n = cyc_run(pool, y, 0);
	ASSERT_GE(n, 0);
	EXPECT_EQ(c[0].result, 0);
	EXPECT_EQ(c[1].result, -EEXIST);
	EXPECT_EQ(c[2].result, -ENOENT);
	EXPECT_EQ(c[3].result, -EBADF);
	EXPECT_EQ(c[4].result, -EINVAL);
	EXPECT_EQ(c[5].result, -EINVAL);
	EXPECT_EQ(c[6].result, -EINVAL);
	EXPECT_EQ(c[7].result, -EPERM);
	EXPECT_EQ(c[8].result, -EINVAL);
	EXPECT_EQ(c[9].result, -ENOTSOCK);
	EXPECT_EQ(c[10].result, -EOPNOTSUPP);
	EXPECT_EQ(c[11].result, -EINVAL);
	EXPECT_EQ(c[12].result, 0);
	EXPECT_EQ(c[13].result, -EINVAL);
	EXPECT_EQ(c[14].result, -EINVAL);
	EXPECT_EQ(c[15].result, -EINVAL);
	EXPECT_EQ(c[16].result, -EBADF);
	/* What succeeded took effect, with the right cookies. */
	EXPECT_ERRNO(spool_reg(pool, srv, SPOOL_IN, 0, 0), EEXIST);
	ASSERT_EQ(write(p[1], "x", 1), 1);
	ASSERT_EQ(spool_wait(pool, ev, 4, 2000, NULL), 1);
	EXPECT_EQ(ev[0].cookie, 112);
	EXPECT_ERRNO(spool_unreg(pool, u), ENOENT);
	free(y);
	close(srv);
	close(cli);
	close(p[0]);
	close(p[1]);
	close(mfd);
	close(u);
	close(other);
	close(pool);
}

TEST(cycle_ctl_before_eintr)
{
	int pool = pool_open(), srv, cli;
	struct cyc *y = cyc_new(pool);
	struct delayed d;

	tcp_pair(AF_INET, &srv, &cli);
	ctl_set(&y->ctl[0], SPOOL_CTL_REGISTER, srv, SPOOL_IN, 0, 1);
	y->c.nr_ctl = 1;
	delayed_signal(&d, 200);
	EXPECT_ERRNO(cyc_run(pool, y, -1), EINTR);
	delayed_join(&d);
	EXPECT_EQ(y->ctl[0].result, 0);
	EXPECT_ERRNO(spool_reg(pool, srv, SPOOL_IN, 0, 0), EEXIST);
	free(y);
	close(srv);
	close(cli);
	close(pool);
}

/* ---- an echo server made of cycles alone ---- */

#define ECHO_CLIENTS	8
#define ECHO_ROUNDS	20

struct echo_client {
	pthread_t thread;
	int port, id;
};

static void *echo_client_fn(void *arg)
{
	struct echo_client *c = arg;
	int fd = tcp_connect(AF_INET, c->port), r;
	char msg[64], buf[64];

	for (r = 0; r < ECHO_ROUNDS; r++) {
		int len = snprintf(msg, sizeof(msg), "client %d round %d %.*s",
				   c->id, r, r, "....................");

		send_all(fd, msg, len);
		recv_all(fd, buf, len);
		ASSERT_EQ(memcmp(buf, msg, len), 0);
	}
	close(fd);
	return NULL;
}

TEST(cycle_echo_server)
{
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 64, &port);
	struct echo_client cl[ECHO_CLIENTS];
	struct cyc *y = cyc_new(pool);
	int i, accepted = 0, closed = 0, echoed = 0;
	double deadline = now_ms() + 45000;

	ASSERT_EQ(spool_reg(pool, lfd, SPOOL_IN, SPOOL_F_ACCEPT, -1ULL), 0);
	y->c.accept_flags = SPOOL_ACCEPT_REGISTER | SPOOL_ACCEPT_NONBLOCK;
	y->c.accept_events = SPOOL_IN;
	y->c.accept_reg_flags = SPOOL_F_RECV;
	for (i = 0; i < ECHO_CLIENTS; i++) {
		cl[i] = (struct echo_client){ .port = port, .id = i };
		ASSERT_EQ(pthread_create(&cl[i].thread, NULL, echo_client_fn,
					 &cl[i]), 0);
	}
	while (closed < ECHO_CLIENTS) {
		int n, nsend = 0;

		ASSERT_LT(now_ms(), deadline);
		n = cyc_run(pool, y, 200);
		ASSERT_GE(n, 0);
		/* Last cycle's sends are done: check them. */
		for (i = 0; i < (int)y->c.nr_send; i++)
			ASSERT_EQ(y->send[i].result, y->send[i].len);
		accepted += y->c.nr_conns;
		for (i = 0; i < n; i++) {
			struct spool_event *e = &y->ev[i];

			if (e->flags & SPOOL_EV_ACCEPT) {
				EXPECT_EQ(e->cookie, -1ULL);
				continue;
			}
			ASSERT_TRUE(e->flags & SPOOL_EV_RECV);
			EXPECT_EQ(e->cookie, e->fd);
			if (e->result > 0) {
				/* Echo straight from the arena: the next
				 * cycle sends before it receives. */
				iov_set(&y->send[nsend++], e->fd,
					y->arena + e->offset, e->result);
				echoed++;
			} else {
				EXPECT_EQ(e->result, 0);
				EXPECT_EQ(spool_unreg(pool, e->fd), 0);
				close(e->fd);
				closed++;
			}
		}
		y->c.nr_send = nsend;
	}
	for (i = 0; i < ECHO_CLIENTS; i++)
		pthread_join(cl[i].thread, NULL);
	EXPECT_EQ(accepted, ECHO_CLIENTS);
	EXPECT_GE(echoed, ECHO_CLIENTS * ECHO_ROUNDS);
	harness_note("echo: %d clients, %d receives", accepted, echoed);
	free(y);
	close(lfd);
	close(pool);
}

/* ---- misuse ---- */

TEST(cycle_max_events_einval)
{
	int pool = pool_open();
	struct spool_version v = pool_version(pool);
	struct cyc *y = cyc_new(pool);

	y->c.max_events = 0;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EINVAL);
	y->c.max_events = v.max_batch + 1;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EINVAL);
	free(y);
	close(pool);
}

TEST(cycle_nr_send_einval)
{
	int pool = pool_open(), srv, cli;
	struct spool_version v = pool_version(pool);
	struct cyc *y = cyc_new(pool);
	struct spool_iov *send = calloc(v.max_batch + 1, sizeof(*send));
	unsigned int i;

	ASSERT_TRUE(send);
	tcp_pair(AF_INET, &srv, &cli);
	for (i = 0; i <= v.max_batch; i++)
		iov_set(&send[i], cli, "x", 1);
	y->c.send = U64(send);
	y->c.nr_send = v.max_batch + 1;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EINVAL);
	/* Nothing was sent. */
	EXPECT_EQ(poll_one(srv, POLLIN, 100), 0);
	EXPECT_EQ(send[0].result, 0x7eadbeef);
	free(send);
	free(y);
	close(srv);
	close(cli);
	close(pool);
}

TEST(cycle_max_conns_einval)
{
	int pool = pool_open();
	struct spool_version v = pool_version(pool);
	struct cyc *y = cyc_new(pool);
	struct spool_conn *conns = calloc(v.max_batch + 1, sizeof(*conns));

	ASSERT_TRUE(conns);
	y->c.conns = U64(conns);
	y->c.max_conns = v.max_batch + 1;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EINVAL);
	free(conns);
	free(y);
	close(pool);
}

TEST(cycle_arena_len_einval)
{
	int pool = pool_open();
	struct spool_version v = pool_version(pool);
	struct cyc *y = cyc_new(pool);
	char *arena = malloc((size_t)v.max_arena + 1);

	ASSERT_TRUE(arena);
	y->c.arena = U64(arena);
	y->c.arena_len = v.max_arena + 1;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EINVAL);
	y->c.arena_len = v.max_arena;
	EXPECT_EQ(cyc_run(pool, y, 0), 0);
	free(arena);
	free(y);
	close(pool);
}

TEST(cycle_timeout_einval)
{
	int pool = pool_open();
	struct cyc *y = cyc_new(pool);

	EXPECT_ERRNO(cyc_run(pool, y, -2), EINVAL);
	EXPECT_ERRNO(cyc_run(pool, y, INT32_MIN), EINVAL);
	free(y);
	close(pool);
}

TEST(cycle_accept_flags_einval)
{
	int pool = pool_open();
	struct cyc *y = cyc_new(pool);

	y->c.accept_flags = 1U << 3;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EINVAL);
	y->c.accept_flags = 0x80000000;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EINVAL);
	y->c.accept_flags = SPOOL_ACCEPT_REGISTER;
	y->c.accept_events = SPOOL_IN | 0x100000;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EINVAL);
	y->c.accept_events = SPOOL_IN;
	y->c.accept_reg_flags = SPOOL_F_ACCEPT;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EINVAL);
	y->c.accept_reg_flags = 1U << 3;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EINVAL);
	y->c.accept_reg_flags = SPOOL_F_RECV;
	EXPECT_EQ(cyc_run(pool, y, 0), 0);
	free(y);
	close(pool);
}

TEST(cycle_reserved_einval)
{
	int pool = pool_open();
	struct cyc *y = cyc_new(pool);

	y->c.reserved = 1;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EINVAL);
	y->c.reserved = 1U << 31;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EINVAL);
	free(y);
	close(pool);
}

TEST(cycle_efault)
{
	int pool = pool_open();

	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_CYCLE, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_CYCLE, bad_ptr()), EFAULT);
	close(pool);
}

TEST(cycle_nr_ctl_einval)
{
	int pool = pool_open(), srv, cli;
	struct spool_version v = pool_version(pool);
	struct cyc *y = cyc_new(pool);
	struct spool_ctl *ctl = calloc(v.max_batch + 1, sizeof(*ctl));
	unsigned int i;

	ASSERT_TRUE(ctl);
	tcp_pair(AF_INET, &srv, &cli);
	for (i = 0; i <= v.max_batch; i++)
		ctl_set(&ctl[i], SPOOL_CTL_REGISTER, srv, SPOOL_IN, 0, i);
	y->c.ctl = U64(ctl);
	y->c.nr_ctl = v.max_batch + 1;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EINVAL);
	/* Nothing was applied. */
	EXPECT_EQ(ctl[0].result, 0x7eadbeef);
	EXPECT_ERRNO(spool_unreg(pool, srv), ENOENT);
	free(ctl);
	free(y);
	close(srv);
	close(cli);
	close(pool);
}

TEST(cycle_ctl_efault)
{
	int pool = pool_open();
	struct cyc *y = cyc_new(pool);

	y->c.ctl = U64(bad_ptr());
	y->c.nr_ctl = 1;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EFAULT);
	free(y);
	close(pool);
}

TEST(cycle_send_efault)
{
	int pool = pool_open();
	struct cyc *y = cyc_new(pool);

	y->c.send = U64(bad_ptr());
	y->c.nr_send = 1;
	EXPECT_ERRNO(cyc_run(pool, y, 0), EFAULT);
	free(y);
	close(pool);
}

TEST(cycle_events_efault)
{
	int pool = pool_open(), srv, cli;
	struct cyc *y = cyc_new(pool);

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, cli, SPOOL_OUT, 0, 1), 0);
	y->c.events = U64(bad_ptr());
	EXPECT_ERRNO(cyc_run(pool, y, 0), EFAULT);
	free(y);
	close(srv);
	close(cli);
	close(pool);
}

/* Results cannot be copied out: the accepted connections are closed. */
static void cycle_accept_copy_efault(int bad_events)
{
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 8, &port);
	struct cyc *y = cyc_new(pool);
	int cli, fd;

	ASSERT_EQ(spool_reg(pool, lfd, SPOOL_IN, SPOOL_F_ACCEPT, 1), 0);
	cli = tcp_connect(AF_INET, port);
	wait_backlog(lfd, 1);
	if (bad_events)
		y->c.events = U64(bad_ptr());
	else
		y->c.conns = U64(bad_ptr());
	fd = next_fd();
	EXPECT_ERRNO(cyc_run(pool, y, 0), EFAULT);
	EXPECT_EQ(next_fd(), fd);	/* no fd installed */
	EXPECT_TRUE(peer_closed(cli, 2000));
	close(cli);
	free(y);
	close(lfd);
	close(pool);
}

TEST(cycle_conns_efault)
{
	cycle_accept_copy_efault(0);
}

TEST(cycle_accept_events_efault)
{
	cycle_accept_copy_efault(1);
}

/*
 * The cycle struct itself read-only: the module reads it, accepts, and
 * then cannot write nr_conns back.  The call fails with EFAULT and no
 * accepted fd may be left installed: the connection is closed.
 */
TEST(cycle_readonly_struct_closes_conns)
{
	int pool = pool_open(), port, lfd = tcp_listen(AF_INET, 8, &port);
	int cli = tcp_connect(AF_INET, port), probe;
	struct spool_event ev[2];
	struct spool_conn conns[2];
	struct spool_cycle *c;

	ASSERT_EQ(spool_reg(pool, lfd, SPOOL_IN, SPOOL_F_ACCEPT, 1), 0);
	wait_backlog(lfd, 1);
	c = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(c != MAP_FAILED);
	*c = (struct spool_cycle){
		.events = U64(ev), .max_events = 2,
		.conns = U64(conns), .max_conns = 2, .timeout_ms = 1000,
	};
	ASSERT_EQ(mprotect(c, 4096, PROT_READ), 0);
	probe = next_fd();	/* the number an installed fd would take */
	close(probe);
	EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_CYCLE, c), EFAULT);
	EXPECT_EQ(next_fd(), probe);	/* nothing was installed there */
	EXPECT_TRUE(peer_closed(cli, 2000));
	munmap(c, 4096);
	close(cli);
	close(lfd);
	close(pool);
}
