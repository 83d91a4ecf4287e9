// SPDX-License-Identifier: GPL-2.0
/* io.c - selftests of bulk read() and write() on the pool fd. */
#include "spool_util.h"

#define IOV_SZ	((ssize_t)sizeof(struct spool_iov))

/* ---- behaviour ---- */

TEST(bulk_write_many)
{
	enum { N = 8 };
	int pool = pool_open(), srv[N], cli[N], i;
	struct spool_iov iov[N];
	char msg[N][32], buf[32];

	for (i = 0; i < N; i++) {
		tcp_pair(AF_INET, &srv[i], &cli[i]);
		snprintf(msg[i], sizeof(msg[i]), "message %d %.*s", i, i,
			 "xxxxxxxxxx");
		iov_set(&iov[i], cli[i], msg[i], strlen(msg[i]));
	}
	ASSERT_EQ(write(pool, iov, sizeof(iov)), sizeof(iov));
	for (i = 0; i < N; i++) {
		EXPECT_EQ(iov[i].result, strlen(msg[i]));
		EXPECT_EQ(iov[i].flags, 0);
		EXPECT_EQ(iov[i].fd, cli[i]);
		memset(buf, 0, sizeof(buf));
		recv_all(srv[i], buf, strlen(msg[i]));
		EXPECT_EQ(strcmp(buf, msg[i]), 0);
	}
	for (i = 0; i < N; i++) {
		close(srv[i]);
		close(cli[i]);
	}
	close(pool);
}

TEST(bulk_read_many)
{
	enum { N = 8 };
	int pool = pool_open(), srv[N], cli[N], i;
	struct spool_iov iov[N];
	char msg[N][32], buf[N][64];

	for (i = 0; i < N; i++) {
		tcp_pair(AF_INET, &srv[i], &cli[i]);
		snprintf(msg[i], sizeof(msg[i]), "data %d %.*s", i, i,
			 "yyyyyyyyyy");
		send_all(cli[i], msg[i], strlen(msg[i]));
		ASSERT_TRUE(poll_one(srv[i], POLLIN, 2000) & POLLIN);
		memset(buf[i], 0, sizeof(buf[i]));
		iov_set(&iov[i], srv[i], buf[i], sizeof(buf[i]) - 1);
	}
	ASSERT_EQ(read(pool, iov, sizeof(iov)), sizeof(iov));
	for (i = 0; i < N; i++) {
		EXPECT_EQ(iov[i].result, strlen(msg[i]));
		EXPECT_EQ(iov[i].flags, 0);
		EXPECT_EQ(strcmp(buf[i], msg[i]), 0);
	}
	/* Drained: nothing more. */
	ASSERT_EQ(read(pool, iov, sizeof(iov)), sizeof(iov));
	for (i = 0; i < N; i++)
		EXPECT_EQ(iov[i].result, -EAGAIN);
	for (i = 0; i < N; i++) {
		close(srv[i]);
		close(cli[i]);
	}
	close(pool);
}

TEST(bulk_read_short_buffer)
{
	int pool = pool_open(), srv, cli;
	struct spool_iov iov;
	char buf[8];

	tcp_pair(AF_INET, &srv, &cli);
	send_all(cli, "0123456789", 10);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLIN);
	iov_set(&iov, srv, buf, 4);
	ASSERT_EQ(read(pool, &iov, IOV_SZ), IOV_SZ);
	EXPECT_EQ(iov.result, 4);
	EXPECT_EQ(memcmp(buf, "0123", 4), 0);
	iov_set(&iov, srv, buf, 8);
	ASSERT_EQ(read(pool, &iov, IOV_SZ), IOV_SZ);
	EXPECT_EQ(iov.result, 6);
	EXPECT_EQ(memcmp(buf, "456789", 6), 0);
	close(srv);
	close(cli);
	close(pool);
}

TEST(bulk_read_eof)
{
	int pool = pool_open(), srv, cli;
	struct spool_iov iov;
	char buf[16];

	tcp_pair(AF_INET, &srv, &cli);
	send_all(cli, "last", 4);
	close(cli);
	ASSERT_TRUE(poll_one(srv, POLLRDHUP, 2000) & POLLRDHUP);
	iov_set(&iov, srv, buf, sizeof(buf));
	ASSERT_EQ(read(pool, &iov, IOV_SZ), IOV_SZ);
	EXPECT_EQ(iov.result, 4);
	EXPECT_EQ(iov.flags, 0);
	iov_set(&iov, srv, buf, sizeof(buf));
	ASSERT_EQ(read(pool, &iov, IOV_SZ), IOV_SZ);
	EXPECT_EQ(iov.result, 0);
	EXPECT_EQ(iov.flags, SPOOL_IOV_EOF);
	close(srv);
	close(pool);
}

TEST(bulk_read_reset)
{
	int pool = pool_open(), srv, cli;
	struct spool_iov iov;
	char buf[16];

	tcp_pair(AF_INET, &srv, &cli);
	linger_zero(cli);
	close(cli);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLERR);
	iov_set(&iov, srv, buf, sizeof(buf));
	ASSERT_EQ(read(pool, &iov, IOV_SZ), IOV_SZ);
	EXPECT_EQ(iov.result, -ECONNRESET);
	EXPECT_EQ(iov.flags, 0);
	close(srv);
	close(pool);
}

TEST(bulk_read_eagain)
{
	int pool = pool_open(), srv, cli;
	struct spool_iov iov;
	char buf[16];
	double t0 = now_ms();

	tcp_pair(AF_INET, &srv, &cli);
	iov_set(&iov, srv, buf, sizeof(buf));
	ASSERT_EQ(read(pool, &iov, IOV_SZ), IOV_SZ);
	EXPECT_EQ(iov.result, -EAGAIN);
	EXPECT_EQ(iov.flags, 0);
	EXPECT_LT(now_ms() - t0, 1000);
	close(srv);
	close(cli);
	close(pool);
}

TEST(bulk_registered_fds)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[2];
	struct spool_iov iov;
	char buf[16];

	/* Registered fds work as well as unregistered ones. */
	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	send_all(cli, "abc", 3);
	ASSERT_EQ(spool_wait(pool, ev, 2, 2000, NULL), 1);
	iov_set(&iov, srv, buf, sizeof(buf));
	ASSERT_EQ(read(pool, &iov, IOV_SZ), IOV_SZ);
	EXPECT_EQ(iov.result, 3);
	EXPECT_EQ(spool_wait(pool, ev, 2, 0, NULL), 0);
	close(srv);
	close(cli);
	close(pool);
}

/* One bad descriptor between good ones: each gets its own result. */
TEST(bulk_read_independent)
{
	enum { N = 7 };
	int pool = pool_open(), srv[2], cli[2], p[2], u = udp_socket();
	int lfd = tcp_listen(AF_INET, 4, NULL), i;
	struct spool_iov iov[N];
	char buf[N][16];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	ASSERT_EQ(write(p[1], "p", 1), 1);
	for (i = 0; i < 2; i++) {
		tcp_pair(AF_INET, &srv[i], &cli[i]);
		send_all(cli[i], "ok", 2);
		ASSERT_TRUE(poll_one(srv[i], POLLIN, 2000) & POLLIN);
	}
	iov_set(&iov[0], srv[0], buf[0], 16);
	iov_set(&iov[1], next_fd(), buf[1], 16);
	iov_set(&iov[2], p[0], buf[2], 16);
	iov_set(&iov[3], u, buf[3], 16);
	iov_set(&iov[4], lfd, buf[4], 16);
	iov_set(&iov[5], -1, buf[5], 16);
	iov_set(&iov[6], srv[1], buf[6], 16);
	ASSERT_EQ(read(pool, iov, sizeof(iov)), sizeof(iov));
	EXPECT_EQ(iov[0].result, 2);
	EXPECT_EQ(iov[1].result, -EBADF);
	EXPECT_EQ(iov[2].result, -ENOTSOCK);
	EXPECT_EQ(iov[3].result, -EOPNOTSUPP);
	EXPECT_EQ(iov[4].result, -ENOTCONN);
	EXPECT_EQ(iov[5].result, -EBADF);
	EXPECT_EQ(iov[6].result, 2);
	for (i = 0; i < N; i++)
		EXPECT_EQ(iov[i].flags, 0);
	for (i = 0; i < 2; i++) {
		close(srv[i]);
		close(cli[i]);
	}
	close(p[0]);
	close(p[1]);
	close(u);
	close(lfd);
	close(pool);
}

TEST(bulk_write_independent)
{
	enum { N = 5 };
	int pool = pool_open(), srv[2], cli[2], p[2], u = udp_socket(), i;
	struct spool_iov iov[N];
	char buf[4];

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	for (i = 0; i < 2; i++)
		tcp_pair(AF_INET, &srv[i], &cli[i]);
	iov_set(&iov[0], cli[0], "one", 3);
	iov_set(&iov[1], next_fd(), "bad", 3);
	iov_set(&iov[2], p[1], "pip", 3);
	iov_set(&iov[3], u, "udp", 3);
	iov_set(&iov[4], cli[1], "two", 3);
	ASSERT_EQ(write(pool, iov, sizeof(iov)), sizeof(iov));
	EXPECT_EQ(iov[0].result, 3);
	EXPECT_EQ(iov[1].result, -EBADF);
	EXPECT_EQ(iov[2].result, -ENOTSOCK);
	EXPECT_EQ(iov[3].result, -EOPNOTSUPP);
	EXPECT_EQ(iov[4].result, 3);
	recv_all(srv[0], buf, 3);
	EXPECT_EQ(memcmp(buf, "one", 3), 0);
	recv_all(srv[1], buf, 3);
	EXPECT_EQ(memcmp(buf, "two", 3), 0);
	/* Nothing went into the pipe. */
	EXPECT_EQ(poll_one(p[0], POLLIN, 0), 0);
	for (i = 0; i < 2; i++) {
		close(srv[i]);
		close(cli[i]);
	}
	close(p[0]);
	close(p[1]);
	close(u);
	close(pool);
}

TEST(bulk_write_never_blocks)
{
	enum { LEN = 1 << 20 };
	int pool = pool_open(), srv, cli, small = 4096, i;
	char *buf = calloc(1, LEN);
	struct spool_iov iov;
	long long total = 0;

	ASSERT_TRUE(buf);
	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(setsockopt(cli, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)),
		  0);
	ASSERT_EQ(setsockopt(srv, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)),
		  0);
	/* Nobody reads srv: sends go partial, then -EAGAIN, never block. */
	iov_set(&iov, cli, buf, LEN);
	ASSERT_EQ(write(pool, &iov, IOV_SZ), IOV_SZ);
	EXPECT_TRUE(iov.result == -EAGAIN || (iov.result > 0 && iov.result < LEN));
	for (i = 0; i < 1000 && iov.result > 0; i++) {
		double t0 = now_ms();

		total += iov.result;
		iov_set(&iov, cli, buf, LEN);
		ASSERT_EQ(write(pool, &iov, IOV_SZ), IOV_SZ);
		EXPECT_LT(now_ms() - t0, 2000);
	}
	EXPECT_EQ(iov.result, -EAGAIN);
	harness_note("sent %lld bytes before EAGAIN", total);
	close(srv);
	close(cli);
	free(buf);
	close(pool);
}

TEST(bulk_write_after_shutdown_epipe)
{
	int pool = pool_open(), srv, cli;
	struct spool_iov iov;
	sigset_t set, pending;

	/* A SIGPIPE would stay pending where we can see it. */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	ASSERT_EQ(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(shutdown(cli, SHUT_WR), 0);
	iov_set(&iov, cli, "late", 4);
	ASSERT_EQ(write(pool, &iov, IOV_SZ), IOV_SZ);
	EXPECT_EQ(iov.result, -EPIPE);
	ASSERT_EQ(sigpending(&pending), 0);
	EXPECT_FALSE(sigismember(&pending, SIGPIPE));
	close(srv);
	close(cli);
	close(pool);
}

TEST(bulk_read_not_connected_enotconn)
{
	int pool = pool_open(), lfd = tcp_listen(AF_INET, 4, NULL), s;
	struct spool_iov iov[2];
	char buf[2][8];

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(s, 0);
	iov_set(&iov[0], lfd, buf[0], 8);
	iov_set(&iov[1], s, buf[1], 8);
	ASSERT_EQ(read(pool, iov, sizeof(iov)), sizeof(iov));
	EXPECT_EQ(iov[0].result, -ENOTCONN);
	EXPECT_EQ(iov[1].result, -ENOTCONN);
	close(s);
	close(lfd);
	close(pool);
}

TEST(bulk_len_zero_einval)
{
	int pool = pool_open(), srv, cli;
	struct spool_iov iov[2];
	char buf[8];

	tcp_pair(AF_INET, &srv, &cli);
	send_all(cli, "abc", 3);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLIN);
	iov_set(&iov[0], srv, buf, 0);
	iov_set(&iov[1], srv, buf, 8);
	ASSERT_EQ(read(pool, iov, sizeof(iov)), sizeof(iov));
	EXPECT_EQ(iov[0].result, -EINVAL);
	EXPECT_EQ(iov[1].result, 3);
	iov_set(&iov[0], cli, "x", 0);
	iov_set(&iov[1], cli, "y", 1);
	ASSERT_EQ(write(pool, iov, sizeof(iov)), sizeof(iov));
	EXPECT_EQ(iov[0].result, -EINVAL);
	EXPECT_EQ(iov[1].result, 1);
	close(srv);
	close(cli);
	close(pool);
}

TEST(bulk_len_above_int_max_einval)
{
	int pool = pool_open(), srv, cli;
	struct spool_iov iov;
	char buf[8];

	tcp_pair(AF_INET, &srv, &cli);
	iov_set(&iov, cli, buf, 0x80000000U);
	ASSERT_EQ(write(pool, &iov, IOV_SZ), IOV_SZ);
	EXPECT_EQ(iov.result, -EINVAL);
	iov_set(&iov, srv, buf, 0xffffffffU);
	ASSERT_EQ(read(pool, &iov, IOV_SZ), IOV_SZ);
	EXPECT_EQ(iov.result, -EINVAL);
	close(srv);
	close(cli);
	close(pool);
}

TEST(bulk_flags_set_einval)
{
	int pool = pool_open(), srv, cli;
	struct spool_iov iov[2];
	char buf[8];

	tcp_pair(AF_INET, &srv, &cli);
	send_all(cli, "abc", 3);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLIN);
	iov_set(&iov[0], srv, buf, 8);
	iov[0].flags = SPOOL_IOV_EOF;
	iov_set(&iov[1], cli, "x", 1);
	iov[1].flags = 0x80;
	ASSERT_EQ(read(pool, iov, IOV_SZ), IOV_SZ);
	EXPECT_EQ(iov[0].result, -EINVAL);
	ASSERT_EQ(write(pool, &iov[1], IOV_SZ), IOV_SZ);
	EXPECT_EQ(iov[1].result, -EINVAL);
	/* Nothing was consumed or sent. */
	EXPECT_TRUE(poll_one(srv, POLLIN, 0) & POLLIN);
	EXPECT_EQ(recv(srv, buf, 8, MSG_DONTWAIT), 3);
	EXPECT_EQ(poll_one(srv, POLLIN, 100), 0);
	close(srv);
	close(cli);
	close(pool);
}

TEST(bulk_bad_buf_efault)
{
	int pool = pool_open(), srv, cli;
	struct spool_iov iov[2];
	char buf[8];

	tcp_pair(AF_INET, &srv, &cli);
	send_all(cli, "abc", 3);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLIN);
	iov_set(&iov[0], srv, bad_ptr(), 8);
	iov_set(&iov[1], cli, buf, 8);
	iov[1].buf = U64(bad_ptr());
	ASSERT_EQ(read(pool, iov, IOV_SZ), IOV_SZ);
	EXPECT_EQ(iov[0].result, -EFAULT);
	ASSERT_EQ(write(pool, &iov[1], IOV_SZ), IOV_SZ);
	EXPECT_EQ(iov[1].result, -EFAULT);
	close(srv);
	close(cli);
	close(pool);
}

/* ---- misuse of read()/write() themselves ---- */

static void bulk_count_einval(int write_)
{
	int pool = pool_open(), srv, cli;
	struct spool_version v = pool_version(pool);
	struct spool_iov *iov = calloc(v.max_batch + 1, IOV_SZ);
	unsigned int i;
	char buf[8];

	ASSERT_TRUE(iov);
	tcp_pair(AF_INET, &srv, &cli);
	for (i = 0; i <= v.max_batch; i++)
		iov_set(&iov[i], write_ ? cli : srv, buf, 1);
	EXPECT_ERRNO(spool_bulk(pool, write_, iov, 0), EINVAL);
	EXPECT_ERRNO(spool_bulk(pool, write_, iov, v.max_batch + 1), EINVAL);
	EXPECT_ERRNO(write_ ? write(pool, iov, IOV_SZ + 1) :
			      read(pool, iov, IOV_SZ + 1), EINVAL);
	EXPECT_ERRNO(write_ ? write(pool, iov, IOV_SZ - 1) :
			      read(pool, iov, IOV_SZ - 1), EINVAL);
	EXPECT_ERRNO(write_ ? write(pool, iov, 2 * IOV_SZ + 8) :
			      read(pool, iov, 2 * IOV_SZ + 8), EINVAL);
	/* The largest batch is fine. */
	EXPECT_EQ(spool_bulk(pool, write_, iov, v.max_batch),
		  v.max_batch * IOV_SZ);
	free(iov);
	close(srv);
	close(cli);
	close(pool);
}

TEST(bulk_read_count_einval)
{
	bulk_count_einval(0);
}

TEST(bulk_write_count_einval)
{
	bulk_count_einval(1);
}

TEST(bulk_iov_array_efault)
{
	int pool = pool_open();
	void *volatile null = NULL;	/* hidden from -Wnonnull */

	EXPECT_ERRNO(read(pool, bad_ptr(), IOV_SZ), EFAULT);
	EXPECT_ERRNO(write(pool, bad_ptr(), IOV_SZ), EFAULT);
	EXPECT_ERRNO(read(pool, null, 4 * IOV_SZ), EFAULT);
	EXPECT_ERRNO(write(pool, null, 4 * IOV_SZ), EFAULT);
	close(pool);
}

TEST(bulk_iov_array_readonly_efault)
{
	int pool = pool_open(), srv, cli;
	struct spool_iov *iov;

	/* Readable but not writable: the results cannot be written back. */
	iov = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(iov != MAP_FAILED);
	tcp_pair(AF_INET, &srv, &cli);
	iov_set(iov, cli, "x", 1);
	ASSERT_EQ(mprotect(iov, 4096, PROT_READ), 0);
	EXPECT_ERRNO(write(pool, iov, IOV_SZ), EFAULT);
	EXPECT_ERRNO(read(pool, iov, IOV_SZ), EFAULT);
	munmap(iov, 4096);
	close(srv);
	close(cli);
	close(pool);
}
