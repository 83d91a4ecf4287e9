// SPDX-License-Identifier: GPL-2.0
/* stress.c - concurrency and scale selftests of /dev/spool. */
#include "spool_util.h"

#include <arpa/inet.h>
#include <sys/eventfd.h>

/* ---- one waiter, many threads changing the pool under it ---- */

#define TAG_REG		(1ULL << 32)
#define TAG_CHURN	(2ULL << 32)
#define TAG_FINAL	(3ULL << 32)
#define STRESS_PAIRS	16

struct stress {
	int pool;
	int stop;
	long waits, events, woken, regs, wakes, churns;
	int srv[STRESS_PAIRS], cli[STRESS_PAIRS];
};

static int stopped(struct stress *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

/* Register, re-arm and unregister a fixed set of sockets, half ready. */
static void *reg_thread(void *arg)
{
	struct stress *s = arg;
	int i = 0;

	while (!stopped(s)) {
		int fd = s->srv[i % STRESS_PAIRS];
		__u64 cookie = TAG_REG | (i % STRESS_PAIRS);

		ASSERT_EQ(spool_reg(s->pool, fd, SPOOL_IN,
				    i & 1 ? SPOOL_F_ONESHOT : 0, cookie), 0);
		if (i & 1)
			ASSERT_EQ(spool_mod(s->pool, fd, SPOOL_IN | SPOOL_OUT,
					    SPOOL_F_ONESHOT, cookie), 0);
		ASSERT_EQ(spool_unreg(s->pool, fd), 0);
		s->regs++;
		i++;
	}
	return NULL;
}

static void *wake_thread(void *arg)
{
	struct stress *s = arg;

	while (!stopped(s)) {
		ASSERT_EQ(spool_wake(s->pool), 0);
		s->wakes++;
		msleep(1);
	}
	return NULL;
}

/* New ready files registered, then closed without unregistering. */
static void *close_thread(void *arg)
{
	struct stress *s = arg;
	__u64 one = 1;
	int i = 0;

	while (!stopped(s)) {
		int sv[2], efd;

		ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				     sv), 0);
		efd = eventfd(0, EFD_CLOEXEC);
		ASSERT_GE(efd, 0);
		ASSERT_EQ(spool_reg(s->pool, sv[0], SPOOL_IN, 0,
				    TAG_CHURN | i), 0);
		ASSERT_EQ(spool_reg(s->pool, efd, SPOOL_IN, SPOOL_F_ONESHOT,
				    TAG_CHURN | i), 0);
		ASSERT_EQ(write(sv[1], "x", 1), 1);
		ASSERT_EQ(write(efd, &one, 8), 8);
		if (i & 1)
			msleep(1);
		close(sv[0]);
		close(sv[1]);
		close(efd);
		s->churns++;
		i++;
	}
	return NULL;
}

TEST(stress_concurrent_wait)
{
	enum { MAX = 64 };
	struct stress s = { .pool = pool_open() };
	void *(*fns[])(void *) = { reg_thread, wake_thread, close_thread };
	pthread_t th[ARRAY_SIZE(fns)];
	struct spool_event ev[MAX];
	double end = now_ms() + 2000;
	unsigned int i;
	int srv, cli;
	char c;

	for (i = 0; i < STRESS_PAIRS; i++) {
		tcp_pair(AF_INET, &s.srv[i], &s.cli[i]);
		if (i & 1)
			send_all(s.cli[i], "r", 1);
	}
	for (i = 0; i < ARRAY_SIZE(fns); i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, fns[i], &s), 0);
	while (now_ms() < end) {
		__u32 flags;
		int n = spool_wait(s.pool, ev, MAX, -1, &flags);

		ASSERT_GE(n, 0);
		ASSERT_LE(n, MAX);
		for (i = 0; i < (unsigned int)n; i++) {
			__u64 tag = ev[i].cookie & ~0xffffffffULL;

			EXPECT_TRUE(tag == TAG_REG || tag == TAG_CHURN);
			EXPECT_GE(ev[i].fd, 0);
			EXPECT_NE(ev[i].events, 0);
			EXPECT_EQ(ev[i].events & ~SPOOL_EVENTS, 0);
		}
		if (n == 0)
			EXPECT_EQ(flags, SPOOL_WAIT_WOKEN);
		s.waits++;
		s.events += n;
		s.woken += !!(flags & SPOOL_WAIT_WOKEN);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < ARRAY_SIZE(fns); i++)
		ASSERT_EQ(pthread_join(th[i], NULL), 0);
	harness_note("%ld waits, %ld events, %ld woken; %ld regs, %ld wakes, %ld closes",
		     s.waits, s.events, s.woken, s.regs, s.wakes, s.churns);
	EXPECT_GT(s.regs, 0);
	EXPECT_GT(s.churns, 0);
	EXPECT_GT(s.woken, 0);

	/* Still a working pool. */
	while (spool_wait(s.pool, ev, MAX, 0, NULL) > 0)
		;
	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(s.pool, srv, SPOOL_IN, 0, TAG_FINAL), 0);
	send_all(cli, "z", 1);
	ASSERT_EQ(spool_wait(s.pool, ev, MAX, 2000, NULL), 1);
	EXPECT_EQ(ev[0].cookie, TAG_FINAL);
	ASSERT_EQ(read(srv, &c, 1), 1);
	close(srv);
	close(cli);
	for (i = 0; i < STRESS_PAIRS; i++) {
		close(s.srv[i]);
		close(s.cli[i]);
	}
	close(s.pool);
}

/* ---- 10,000 connections ---- */

#define MANY		10000
#define MANY_CHUNK	4000	/* at most; below the listen backlog */
#define LISTENER	(~0ULL)

struct many {
	int pool, lfd, port, maxb;
	int *cli, *srv;			/* by client index */
	int *by_port, *by_fd;		/* client index by port, by server fd */
	struct spool_conn *conns;
	struct spool_event *ev;
	struct spool_iov *send;
	char *arena;
	__u32 arena_len;
	int big_accept, big_cycle_accept, big_events, big_send;
};

static void many_take(struct many *m, struct spool_conn *c, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		const struct sockaddr_in *sa = (const void *)c[i].addr;
		int idx = m->by_port[ntohs(sa->sin_port)];

		ASSERT_EQ(c[i].reg, 0);
		ASSERT_GE(idx, 0);
		ASSERT_EQ(m->srv[idx], -1);
		ASSERT_LT(c[i].fd, 65536);
		m->srv[idx] = c[i].fd;
		m->by_fd[c[i].fd] = idx;
	}
}

/* Accepts one chunk, by SPOOL_IOC_ACCEPT or by cycles. */
static void many_accept(struct many *m, int want, int by_cycle)
{
	struct spool_accept a = {
		.fd = m->lfd, .max_conns = m->maxb, .conns = U64(m->conns),
		.flags = SPOOL_ACCEPT_REGISTER | SPOOL_ACCEPT_NONBLOCK,
		.reg_events = SPOOL_IN, .reg_flags = SPOOL_F_RECV,
	};
	struct spool_cycle c = {
		.events = U64(m->ev), .max_events = m->maxb,
		.conns = U64(m->conns), .max_conns = m->maxb,
		.arena = U64(m->arena), .arena_len = m->arena_len,
		.timeout_ms = 1000,
		.accept_flags = a.flags, .accept_events = a.reg_events,
		.accept_reg_flags = a.reg_flags,
	};
	int got = 0, n;

	while (got < want) {
		if (by_cycle) {
			n = ioctl(m->pool, SPOOL_IOC_CYCLE, &c);
			ASSERT_GE(n, 0);
			ASSERT_LE(n, 1);	/* the listener only */
			if (n)
				ASSERT_EQ(m->ev[0].flags, SPOOL_EV_ACCEPT);
			n = c.nr_conns;
			if (n > m->big_cycle_accept)
				m->big_cycle_accept = n;
		} else {
			n = ioctl(m->pool, SPOOL_IOC_ACCEPT, &a);
			ASSERT_GT(n, 0);
			if (n > m->big_accept)
				m->big_accept = n;
		}
		many_take(m, m->conns, n);
		got += n;
	}
	ASSERT_EQ(got, want);
}

/* Receives every client's 4 bytes by cycles and echoes them back. */
static void many_echo(struct many *m)
{
	struct spool_cycle c = {
		.send = U64(m->send), .events = U64(m->ev),
		.max_events = m->maxb, .conns = U64(m->conns),
		.max_conns = m->maxb, .arena = U64(m->arena),
		.arena_len = m->arena_len, .recv_max = 4,
	};
	int got = 0, i, n;

	while (got < MANY || c.nr_send) {
		c.timeout_ms = got < MANY ? 2000 : 0;
		n = ioctl(m->pool, SPOOL_IOC_CYCLE, &c);
		ASSERT_GE(n, 0);
		if (got < MANY)
			ASSERT_GT(n, 0);
		for (i = 0; i < (int)c.nr_send; i++)
			ASSERT_EQ(m->send[i].result, 4);
		if ((int)c.nr_send > m->big_send)
			m->big_send = c.nr_send;
		if (n > m->big_events)
			m->big_events = n;
		c.nr_send = 0;
		for (i = 0; i < n; i++) {
			struct spool_event *e = &m->ev[i];
			__u32 v;

			if (e->flags == SPOOL_EV_FULL)
				continue;	/* the next cycle has room */
			ASSERT_EQ(e->flags, SPOOL_EV_RECV);
			ASSERT_EQ(e->result, 4);
			ASSERT_EQ(e->cookie, e->fd);
			memcpy(&v, m->arena + e->offset, 4);
			ASSERT_EQ(v, m->by_fd[e->fd]);
			iov_set(&m->send[c.nr_send++], e->fd,
				m->arena + e->offset, 4);
			got++;
		}
	}
}

TEST_TIMEOUT(stress_10k_connections, 240)
{
	struct many m = { .pool = pool_open() };
	struct spool_version v = pool_version(m.pool);
	double t0 = now_ms();
	int i, base, chunk;

	raise_nofile(65536);
	m.maxb = v.max_batch;
	m.arena_len = v.max_arena < (__u32)m.maxb * 4 ? v.max_arena :
							(__u32)m.maxb * 4;
	m.cli = calloc(MANY, sizeof(int));
	m.srv = calloc(MANY, sizeof(int));
	m.by_port = calloc(65536, sizeof(int));
	m.by_fd = calloc(65536, sizeof(int));
	m.conns = calloc(m.maxb, sizeof(*m.conns));
	m.ev = calloc(m.maxb, sizeof(*m.ev));
	m.send = calloc(m.maxb, sizeof(*m.send));
	m.arena = malloc(m.arena_len);
	ASSERT_TRUE(m.cli && m.srv && m.by_port && m.by_fd && m.conns &&
		    m.ev && m.send && m.arena);
	memset(m.by_port, 0xff, 65536 * sizeof(int));
	memset(m.by_fd, 0xff, 65536 * sizeof(int));
	memset(m.srv, 0xff, MANY * sizeof(int));
	m.lfd = tcp_listen(AF_INET, 4096, &m.port);
	ASSERT_EQ(spool_reg(m.pool, m.lfd, SPOOL_IN, SPOOL_F_ACCEPT, LISTENER),
		  0);

	/* Connect in chunks of max_batch; accept each chunk in batches. */
	chunk = m.maxb < MANY_CHUNK ? m.maxb : MANY_CHUNK;
	for (base = 0; base < MANY; base += chunk) {
		int n = MANY - base < chunk ? MANY - base : chunk;

		for (i = base; i < base + n; i++) {
			m.cli[i] = tcp_connect(AF_INET, m.port);
			m.by_port[local_port(m.cli[i])] = i;
		}
		wait_backlog(m.lfd, n);
		many_accept(&m, n, (base / chunk) % 2);
	}
	harness_note("10k: connected and accepted in %.1f s", (now_ms() - t0) / 1e3);

	/* Each client sends its index; the server echoes it. */
	for (i = 0; i < MANY; i++) {
		__u32 idx = i;

		send_all(m.cli[i], &idx, 4);
	}
	many_echo(&m);
	for (i = 0; i < MANY; i++) {
		__u32 idx = ~0U;

		ASSERT_EQ(recv(m.cli[i], &idx, 4, MSG_WAITALL), 4);
		ASSERT_EQ(idx, i);
	}
	harness_note("10k: largest batches: ACCEPT %d, cycle accept %d, cycle events %d, cycle sends %d (max_batch %d), %.1f s",
		     m.big_accept, m.big_cycle_accept, m.big_events, m.big_send,
		     m.maxb, (now_ms() - t0) / 1e3);

	close(m.pool);
	for (i = 0; i < MANY; i++) {
		close(m.srv[i]);
		close(m.cli[i]);
	}
	close(m.lfd);
	free(m.cli);
	free(m.srv);
	free(m.by_port);
	free(m.by_fd);
	free(m.conns);
	free(m.ev);
	free(m.send);
	free(m.arena);
}
