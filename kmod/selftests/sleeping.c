// SPDX-License-Identifier: GPL-2.0
/*
 * sleeping.c - selftests of what a wait or cycle must get done while it
 * sleeps: releasing the file of a registered fd that was closed (its peer
 * must see the close now, not when the call returns), and waking up when a
 * socket that a send filled has room again.
 */
#include "spool_util.h"

#include <pthread.h>

/* A wait or cycle running in a thread, so the test can look meanwhile. */
struct sleeper {
	pthread_t th;
	int pool;
	int cycle;		/* a cycle, else a wait */
	int timeout_ms;
	int ret;
	struct spool_event ev[8];
	int done;		/* set with release order when the call returned */
};

static void *sleeper_fn(void *arg)
{
	struct sleeper *s = arg;
	char arena[256];
	struct spool_cycle c = {
		.events = U64(s->ev), .max_events = 8, .arena = U64(arena),
		.arena_len = sizeof(arena), .timeout_ms = s->timeout_ms,
	};

	if (s->cycle)
		s->ret = ioctl(s->pool, SPOOL_IOC_CYCLE, &c);
	else
		s->ret = spool_wait(s->pool, s->ev, 8, s->timeout_ms, NULL);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void sleeper_start(struct sleeper *s, int pool, int cycle, int ms)
{
	memset(s, 0, sizeof(*s));
	s->pool = pool;
	s->cycle = cycle;
	s->timeout_ms = ms;
	ASSERT_EQ(pthread_create(&s->th, NULL, sleeper_fn, s), 0);
}

static int sleeper_done(struct sleeper *s)
{
	return __atomic_load_n(&s->done, __ATOMIC_ACQUIRE);
}

static void sleeper_join(struct sleeper *s)
{
	ASSERT_EQ(pthread_join(s->th, NULL), 0);
}

/*
 * The peer half-closes; the cycle reports the end of stream; the server
 * closes its fd without unregistering and cycles again.  The next cycle
 * finds the (still readable) registration stale and drops it, then
 * sleeps: the peer must see the close while it sleeps.
 */
static void stale_ready_released(int cycle)
{
	int pool = pool_open(), srv, cli;
	struct sleeper s;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN | SPOOL_RDHUP,
			    cycle ? SPOOL_F_RECV : 0, 7), 0);
	ASSERT_EQ(shutdown(cli, SHUT_WR), 0);
	sleeper_start(&s, pool, cycle, 0);
	sleeper_join(&s);
	ASSERT_EQ(s.ret, 1);
	EXPECT_TRUE(s.ev[0].events & SPOOL_RDHUP);
	if (cycle) {
		EXPECT_EQ(s.ev[0].flags, SPOOL_EV_RECV | SPOOL_EV_EOF);
		EXPECT_EQ(s.ev[0].result, 0);
	}
	close(srv);

	sleeper_start(&s, pool, cycle, 6000);
	EXPECT_TRUE(peer_closed(cli, 3000));
	EXPECT_FALSE(sleeper_done(&s));	/* the close came while it slept */
	ASSERT_EQ(spool_wake(pool), 0);
	sleeper_join(&s);
	EXPECT_EQ(s.ret, 0);
	close(cli);
	close(pool);
}

TEST(stale_ready_released_while_wait_sleeps)
{
	stale_ready_released(0);
}

TEST(stale_ready_released_while_cycle_sleeps)
{
	stale_ready_released(1);
}

/* An idle stale registration, dropped by the sweep of a sleeping wait. */
TEST(stale_idle_released_while_wait_sleeps)
{
	int pool = pool_open(), srv, cli;
	struct sleeper s;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 7), 0);
	close(srv);
	sleeper_start(&s, pool, 0, 8000);
	/* The sweep runs once a second of sleep. */
	EXPECT_TRUE(peer_closed(cli, 4000));
	EXPECT_FALSE(sleeper_done(&s));
	ASSERT_EQ(spool_wake(pool), 0);
	sleeper_join(&s);
	EXPECT_EQ(s.ret, 0);
	close(cli);
	close(pool);
}

/* Fills srv's send path with a send that comes back short; returns it. */
static int fill_short(int pool, int srv, int cycle, char *big, size_t len)
{
	struct spool_iov iov;
	struct spool_event ev[4];
	struct spool_cycle c = {
		.send = U64(&iov), .nr_send = 1,
		.events = U64(ev), .max_events = 4, .timeout_ms = 0,
	};

	iov_set(&iov, srv, big, len);
	if (cycle)
		EXPECT_GE(ioctl(pool, SPOOL_IOC_CYCLE, &c), 0);
	else
		EXPECT_EQ(spool_bulk(pool, 1, &iov, 1), (int)sizeof(iov));
	EXPECT_GT(iov.result, 0);
	EXPECT_LT(iov.result, (int)len);
	return iov.result;
}

/*
 * A send that comes back short arms SPOOL_OUT once, whatever the interest:
 * a wait that sleeps after it wakes when the peer drains the socket.
 */
static void short_send_arms_out(int cycle)
{
	enum { BIG = 64 << 20 };
	int pool = pool_open(), srv, cli, sent;
	char *big = calloc(1, BIG), *sink = malloc(1 << 20);
	struct spool_event ev[4];
	struct sleeper s;
	size_t got = 0;

	ASSERT_TRUE(big && sink);
	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 9), 0);
	sent = fill_short(pool, srv, cycle, big, BIG);

	/* Full: nothing to report yet, not even OUT. */
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 0);
	sleeper_start(&s, pool, cycle, 8000);
	msleep(100);
	EXPECT_FALSE(sleeper_done(&s));
	/* The peer drains everything: the sleeper wakes with SPOOL_OUT. */
	while (got < (size_t)sent) {
		ssize_t n = recv(cli, sink, 1 << 20, 0);

		ASSERT_GT(n, 0);
		got += n;
	}
	sleeper_join(&s);
	ASSERT_EQ(s.ret, 1);
	EXPECT_EQ(s.ev[0].cookie, 9);
	EXPECT_EQ(s.ev[0].fd, srv);
	EXPECT_EQ(s.ev[0].events, SPOOL_OUT);
	/* Once: still writable, but OUT is not in the interest. */
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 0);
	close(srv);
	close(cli);
	close(pool);
	free(big);
	free(sink);
}

TEST(short_cycle_send_arms_out)
{
	short_send_arms_out(1);
}

TEST(short_bulk_write_arms_out)
{
	short_send_arms_out(0);
}

/* On an fd that is not registered, a short send changes nothing. */
TEST(short_send_unregistered_fd)
{
	enum { BIG = 64 << 20 };
	int pool = pool_open(), srv, cli, other, ocli;
	char *big = calloc(1, BIG);
	struct spool_event ev[4];

	ASSERT_TRUE(big != NULL);
	tcp_pair(AF_INET, &srv, &cli);
	tcp_pair(AF_INET, &other, &ocli);
	ASSERT_EQ(spool_reg(pool, other, SPOOL_IN, 0, 3), 0);
	fill_short(pool, srv, 1, big, BIG);
	close(cli);	/* srv gets room (and an error) */
	EXPECT_EQ(spool_wait(pool, ev, 4, 200, NULL), 0);
	close(srv);
	close(other);
	close(ocli);
	close(pool);
	free(big);
}
