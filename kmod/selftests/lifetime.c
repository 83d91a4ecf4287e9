// SPDX-License-Identifier: GPL-2.0
/*
 * lifetime.c - selftests of what outlives what: registered fds closed
 * without unregistering ("stale" registrations), closing the pool, a pool
 * used by another process, and SIGKILL in the middle of a call.
 */
#include "spool_util.h"

#include <sys/eventfd.h>

/* ---- stale registrations ---- */

/* A registered server socket whose fd was closed: only the pool holds it. */
static void stale_pair(int pool, int *srv, int *cli, __u32 flags)
{
	tcp_pair(AF_INET, srv, cli);
	ASSERT_EQ(spool_reg(pool, *srv, SPOOL_IN, flags, 1), 0);
	close(*srv);
	/* The registration keeps the file open. */
	EXPECT_FALSE(peer_closed(*cli, 100));
}

TEST(stale_idle_swept_by_wait)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];

	stale_pair(pool, &srv, &cli, 0);
	/* A sleeping wait sweeps every registration once a second. */
	EXPECT_EQ(spool_wait(pool, ev, 4, 1500, NULL), 0);
	EXPECT_TRUE(peer_closed(cli, 2000));
	close(cli);
	close(pool);
}

TEST(stale_idle_swept_by_cycle)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];
	char arena[256];
	struct spool_cycle c = {
		.events = U64(ev), .max_events = 4, .arena = U64(arena),
		.arena_len = sizeof(arena), .timeout_ms = 1500,
	};

	stale_pair(pool, &srv, &cli, SPOOL_F_RECV);
	EXPECT_EQ(ioctl(pool, SPOOL_IOC_CYCLE, &c), 0);
	EXPECT_TRUE(peer_closed(cli, 2000));
	close(cli);
	close(pool);
}

TEST(stale_ready_never_reported)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];

	stale_pair(pool, &srv, &cli, 0);
	/* Ready now, but stale: dropped, not reported. */
	send_all(cli, "data", 4);
	msleep(50);
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 0);
	EXPECT_TRUE(peer_closed(cli, 2000));
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 0);
	close(cli);
	close(pool);
}

TEST(stale_ready_never_received_by_cycle)
{
	int pool = pool_open(), srv, cli;
	struct spool_event ev[4];
	char arena[256];
	struct spool_cycle c = {
		.events = U64(ev), .max_events = 4, .arena = U64(arena),
		.arena_len = sizeof(arena), .timeout_ms = 0,
	};

	stale_pair(pool, &srv, &cli, SPOOL_F_RECV);
	send_all(cli, "data", 4);
	msleep(50);
	EXPECT_EQ(ioctl(pool, SPOOL_IOC_CYCLE, &c), 0);
	EXPECT_EQ(c.arena_used, 0);
	EXPECT_TRUE(peer_closed(cli, 2000));
	close(cli);
	close(pool);
}

/* The fd is closed: EBADF, as epoll_ctl(2) says, and the stale entry goes. */
TEST(stale_unregister_ebadf)
{
	int pool = pool_open(), srv, cli;

	stale_pair(pool, &srv, &cli, 0);
	EXPECT_ERRNO(spool_unreg(pool, srv), EBADF);
	EXPECT_TRUE(peer_closed(cli, 2000));
	close(cli);
	close(pool);
}

TEST(stale_modify_ebadf)
{
	int pool = pool_open(), srv, cli;

	stale_pair(pool, &srv, &cli, 0);
	EXPECT_ERRNO(spool_mod(pool, srv, SPOOL_IN, 0, 2), EBADF);
	EXPECT_TRUE(peer_closed(cli, 2000));
	close(cli);
	close(pool);
}

/* The fd number now names another file, not registered. */
TEST(stale_number_reused)
{
	int pool = pool_open(), srv, cli, efd;
	struct spool_event ev[4];
	__u64 one = 1;

	stale_pair(pool, &srv, &cli, 0);
	efd = eventfd(1, EFD_CLOEXEC);	/* readable at once */
	ASSERT_GE(efd, 0);
	ASSERT_EQ(dup2(efd, srv), srv);
	close(efd);
	/* The new file is not reported through the old registration. */
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 0);
	EXPECT_ERRNO(spool_mod(pool, srv, SPOOL_IN, 0, 2), ENOENT);
	EXPECT_TRUE(peer_closed(cli, 2000));
	EXPECT_ERRNO(spool_unreg(pool, srv), ENOENT);
	ASSERT_EQ(read(srv, &one, 8), 8);
	close(srv);
	close(cli);
	close(pool);
}

TEST(stale_unregister_reused_enoent)
{
	int pool = pool_open(), srv, cli, p[2];

	stale_pair(pool, &srv, &cli, 0);
	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	ASSERT_EQ(dup2(p[0], srv), srv);
	EXPECT_ERRNO(spool_unreg(pool, srv), ENOENT);
	EXPECT_TRUE(peer_closed(cli, 2000));
	/* The number is free for the new file. */
	EXPECT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 3), 0);
	close(srv);
	close(p[0]);
	close(p[1]);
	close(cli);
	close(pool);
}

TEST(stale_register_same_number)
{
	int pool = pool_open(), srv, cli, efd;
	struct spool_event ev[4];
	__u64 one = 1;

	stale_pair(pool, &srv, &cli, 0);
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_GE(efd, 0);
	ASSERT_EQ(dup2(efd, srv), srv);
	close(efd);
	/* Replaces the stale registration. */
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 2), 0);
	EXPECT_TRUE(peer_closed(cli, 2000));
	EXPECT_EQ(spool_wait(pool, ev, 4, 0, NULL), 0);
	ASSERT_EQ(write(srv, &one, 8), 8);
	ASSERT_EQ(spool_wait(pool, ev, 4, 2000, NULL), 1);
	EXPECT_EQ(ev[0].cookie, 2);
	EXPECT_EQ(ev[0].fd, srv);
	EXPECT_EQ(ev[0].events, SPOOL_IN);
	EXPECT_EQ(spool_unreg(pool, srv), 0);
	close(srv);
	close(cli);
	close(pool);
}

TEST(stale_released_by_pool_close)
{
	int pool = pool_open(), srv, cli;

	stale_pair(pool, &srv, &cli, 0);
	close(pool);
	EXPECT_TRUE(peer_closed(cli, 2000));
	close(cli);
}

TEST(pool_close_leaves_fds_open)
{
	int pool = pool_open(), srv, cli;
	char buf[4];

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, SPOOL_F_RECV, 1), 0);
	close(pool);
	EXPECT_FALSE(peer_closed(cli, 100));
	send_all(cli, "ping", 4);
	recv_all(srv, buf, 4);
	EXPECT_EQ(memcmp(buf, "ping", 4), 0);
	close(srv);
	close(cli);
}

TEST(pool_close_with_many_registrations)
{
	enum { N = 64 };
	int pool = pool_open(), srv[N], cli[N], i;

	/* Live, stale, ready and one-shot registrations together. */
	for (i = 0; i < N; i++) {
		tcp_pair(AF_INET, &srv[i], &cli[i]);
		ASSERT_EQ(spool_reg(pool, srv[i], SPOOL_IN | SPOOL_OUT,
				    i % 3 ? SPOOL_F_RECV : SPOOL_F_ONESHOT, i),
			  0);
		if (i % 2)
			send_all(cli[i], "x", 1);
		if (i % 4 == 0) {
			close(srv[i]);
			srv[i] = -1;
		}
	}
	close(pool);
	for (i = 0; i < N; i++) {
		if (srv[i] < 0)
			EXPECT_TRUE(peer_closed(cli[i], 2000));
		else
			EXPECT_FALSE(peer_closed(cli[i], 0));
		close(cli[i]);
		if (srv[i] >= 0)
			close(srv[i]);
	}
}

/* ---- another process ---- */

TEST(fork_child_ebadfd)
{
	int pool = pool_open(), srv, cli, lfd = tcp_listen(AF_INET, 4, NULL);
	struct spool_event ev[4];
	struct spool_conn conns[4];
	struct spool_iov iov;
	char buf[8];
	int status;
	pid_t pid;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct spool_cycle c = {
			.events = U64(ev), .max_events = 4, .timeout_ms = 0,
		};

		EXPECT_ERRNO(spool_reg(pool, cli, SPOOL_IN, 0, 2), EBADFD);
		EXPECT_ERRNO(spool_mod(pool, srv, SPOOL_IN, 0, 3), EBADFD);
		EXPECT_ERRNO(spool_unreg(pool, srv), EBADFD);
		EXPECT_ERRNO(spool_wait(pool, ev, 4, 0, NULL), EBADFD);
		EXPECT_ERRNO(spool_accept(pool, lfd, conns, 4, 0), EBADFD);
		EXPECT_ERRNO(ioctl(pool, SPOOL_IOC_CYCLE, &c), EBADFD);
		iov_set(&iov, srv, buf, sizeof(buf));
		EXPECT_ERRNO(read(pool, &iov, sizeof(iov)), EBADFD);
		iov_set(&iov, cli, "x", 1);
		EXPECT_ERRNO(write(pool, &iov, sizeof(iov)), EBADFD);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The owner's pool is untouched: the registration is as it was. */
	EXPECT_ERRNO(spool_unreg(pool, cli), ENOENT);
	send_all(cli, "x", 1);
	ASSERT_EQ(spool_wait(pool, ev, 4, 2000, NULL), 1);
	EXPECT_EQ(ev[0].cookie, 1);
	EXPECT_EQ(poll_one(cli, POLLIN, 0), 0);	/* the child sent nothing */
	close(srv);
	close(cli);
	close(lfd);
	close(pool);
}

TEST(fork_child_poll_and_close)
{
	int pool = pool_open(), srv, cli, status;
	struct spool_event ev[4];
	pid_t pid;

	tcp_pair(AF_INET, &srv, &cli);
	ASSERT_EQ(spool_reg(pool, srv, SPOOL_IN, 0, 1), 0);
	send_all(cli, "x", 1);
	ASSERT_TRUE(poll_one(srv, POLLIN, 2000) & POLLIN);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int r = poll_one(pool, POLLIN, 1000);

		EXPECT_TRUE(r & POLLIN);
		EXPECT_FALSE(r & (POLLERR | POLLNVAL));
		EXPECT_EQ(close(pool), 0);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The child's close was only its own reference. */
	ASSERT_EQ(spool_wait(pool, ev, 4, 0, NULL), 1);
	EXPECT_EQ(ev[0].cookie, 1);
	close(srv);
	close(cli);
	close(pool);
}

/* A pool fd that reached another process over a UNIX socket. */
TEST(passed_fd_ebadfd)
{
	int sv[2], pool, status, other;
	struct spool_event ev[1];
	char data = 'p', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec io = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &io, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	pid_t pid;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* The child exists before the pool does. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		ASSERT_EQ(recvmsg(sv[1], &msg, 0), 1);
		cm = CMSG_FIRSTHDR(&msg);
		ASSERT_TRUE(cm && cm->cmsg_type == SCM_RIGHTS);
		memcpy(&other, CMSG_DATA(cm), sizeof(int));
		EXPECT_ERRNO(spool_wait(other, ev, 1, 0, NULL), EBADFD);
		EXPECT_ERRNO(spool_reg(other, sv[1], SPOOL_IN, 0, 0), EBADFD);
		EXPECT_EQ(poll_one(other, POLLIN, 0) & (POLLERR | POLLNVAL), 0);
		EXPECT_EQ(close(other), 0);
		_exit(0);
	}
	close(sv[1]);
	pool = pool_open();
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pool, sizeof(int));
	ASSERT_EQ(sendmsg(sv[0], &msg, 0), 1);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(spool_wait(pool, ev, 1, 0, NULL), 0);
	close(sv[0]);
	close(pool);
}

/* ---- SIGKILL in the middle of a call ---- */

static char proc_state(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

/*
 * A child connects N sockets to us, registers them, closes half of its
 * fds (so only its pool holds those) and blocks in a wait or a cycle.
 * Killed there, it must release every one of them.
 */
static void kill_blocked_child(int cycle)
{
	enum { N = 4 };
	int port, lfd = tcp_listen(AF_INET, 8, &port), ready[2];
	int srv[N], i, status;
	char c;
	pid_t pid;

	ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int pool = pool_open(), fd;
		struct spool_event ev[N];
		char arena[1024];
		struct spool_cycle cy = {
			.events = U64(ev), .max_events = N,
			.arena = U64(arena), .arena_len = sizeof(arena),
			.timeout_ms = -1,
		};

		for (i = 0; i < N; i++) {
			fd = tcp_connect(AF_INET, port);
			ASSERT_EQ(spool_reg(pool, fd, SPOOL_IN,
					    cycle ? SPOOL_F_RECV : 0, i), 0);
			if (i % 2)
				close(fd);
		}
		ASSERT_EQ(write(ready[1], "r", 1), 1);
		if (cycle)
			ioctl(pool, SPOOL_IOC_CYCLE, &cy);
		else
			spool_wait(pool, ev, N, -1, NULL);
		_exit(3);	/* nothing was to wake it */
	}
	close(ready[1]);
	wait_backlog(lfd, N);
	for (i = 0; i < N; i++) {
		srv[i] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		ASSERT_GE(srv[i], 0);
	}
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	msleep(200);
	EXPECT_EQ(proc_state(pid), 'S');	/* asleep in the call */
	ASSERT_EQ(kill(pid, SIGKILL), 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	for (i = 0; i < N; i++) {
		EXPECT_TRUE(peer_closed(srv[i], 3000));
		close(srv[i]);
	}
	close(ready[0]);
	close(lfd);
}

TEST(sigkill_in_wait)
{
	kill_blocked_child(0);
}

TEST(sigkill_in_cycle)
{
	kill_blocked_child(1);
}
