// SPDX-License-Identifier: GPL-2.0
/* util.c - helpers for the /dev/spool selftests. */
#include "spool_util.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/stat.h>

int pool_open(void)
{
	int fd = open(SPOOL_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		FAIL("open %s: %s", SPOOL_PATH, strerror(errno));
	return fd;
}

struct spool_version pool_version(int pool)
{
	struct spool_version v;

	memset(&v, 0, sizeof(v));
	ASSERT_EQ(ioctl(pool, SPOOL_IOC_VERSION, &v), 0);
	return v;
}

static int spool_regop(int pool, unsigned long cmd, int fd, __u32 events,
		       __u32 flags, __u64 cookie)
{
	struct spool_reg r = {
		.fd = fd, .events = events, .flags = flags, .cookie = cookie,
	};

	return ioctl(pool, cmd, &r);
}

int spool_reg(int pool, int fd, __u32 events, __u32 flags, __u64 cookie)
{
	return spool_regop(pool, SPOOL_IOC_REGISTER, fd, events, flags, cookie);
}

int spool_mod(int pool, int fd, __u32 events, __u32 flags, __u64 cookie)
{
	return spool_regop(pool, SPOOL_IOC_MODIFY, fd, events, flags, cookie);
}

int spool_unreg(int pool, int fd)
{
	return spool_regop(pool, SPOOL_IOC_UNREGISTER, fd, 0, 0, 0);
}

int spool_wait(int pool, struct spool_event *ev, __u32 max, int timeout_ms,
	       __u32 *flags)
{
	struct spool_wait w = {
		.events = U64(ev), .max_events = max, .timeout_ms = timeout_ms,
		.flags = 0xdead,	/* out only: must be overwritten */
	};
	int ret;

	ret = ioctl(pool, SPOOL_IOC_WAIT, &w);
	if (flags)
		*flags = w.flags;
	return ret;
}

int spool_wake(int pool)
{
	return ioctl(pool, SPOOL_IOC_WAKE, 0);
}

int spool_accept(int pool, int lfd, struct spool_conn *conns, __u32 max,
		 __u32 flags)
{
	struct spool_accept a = {
		.fd = lfd, .max_conns = max, .conns = U64(conns),
		.flags = flags,
	};

	return ioctl(pool, SPOOL_IOC_ACCEPT, &a);
}

int spool_bulk(int pool, int write_, struct spool_iov *iov, unsigned int n)
{
	size_t len = n * sizeof(*iov);

	return write_ ? write(pool, iov, len) : read(pool, iov, len);
}

void iov_set(struct spool_iov *iov, int fd, void *buf, __u32 len)
{
	memset(iov, 0, sizeof(*iov));
	iov->fd = fd;
	iov->buf = U64(buf);
	iov->len = len;
	iov->result = 0x7eadbeef;	/* out only: must be overwritten */
}

void *bad_ptr(void)
{
	static void *p;

	if (!p) {
		p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
		ASSERT_TRUE(p != MAP_FAILED);
	}
	return p;
}

int local_port(int fd)
{
	int port = sock_local_port(fd);

	ASSERT_GE(port, 0);
	return port;
}

int tcp_listen(int family, int backlog, int *port)
{
	int fd = loopback_listen(family, backlog, SOCK_CLOEXEC, port);

	ASSERT_GE(fd, 0);
	return fd;
}

int tcp_connect(int family, int port)
{
	int fd = loopback_connect(family, port, SOCK_CLOEXEC);

	ASSERT_GE(fd, 0);
	return fd;
}

void tcp_pair(int family, int *srv, int *cli)
{
	int port, lfd = tcp_listen(family, 4, &port);

	*cli = tcp_connect(family, port);
	*srv = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_GE(*srv, 0);
	close(lfd);
}

int udp_socket(void)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback_addr(AF_INET, 0, &ss);
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(bind(fd, (struct sockaddr *)&ss, len), 0);
	return fd;
}

/* Connections in a listener's accept queue (TCP_INFO of a listener). */
int listener_backlog(int lfd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	ASSERT_EQ(getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti.tcpi_unacked;
}

/* Waits until exactly n connections are queued on lfd. */
void wait_backlog(int lfd, int n)
{
	double end = now_ms() + 5000;

	while (listener_backlog(lfd) < n && now_ms() < end)
		msleep(1);
	ASSERT_EQ(listener_backlog(lfd), n);
}

void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	ASSERT_GE(fl, 0);
	ASSERT_EQ(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

/* close() then resets the connection instead of a FIN. */
void linger_zero(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
}

void send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		ASSERT_GT(n, 0);
		p += n;
		len -= n;
	}
}

void recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n;

		ASSERT_TRUE(poll_one(fd, POLLIN, 5000) & POLLIN);
		n = recv(fd, p, len, MSG_DONTWAIT);
		ASSERT_GT(n, 0);
		p += n;
		len -= n;
	}
}

int poll_one(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&p, 1, ms);
	while (n < 0 && errno == EINTR);
	ASSERT_GE(n, 0);
	return n ? p.revents : 0;
}

int peer_closed(int fd, int ms)
{
	double end = now_ms() + ms;
	char buf[4096];

	for (;;) {
		int left = (int)(end - now_ms());
		ssize_t n;

		if (left < 0 || !poll_one(fd, POLLIN, left))
			return 0;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
		if (n < 0 && errno != EAGAIN)
			return 0;
	}
}

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	close(fd);
	return fd;
}

void raise_nofile(rlim_t n)
{
	struct rlimit rl;

	ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = n;
	if (rl.rlim_max < n)
		rl.rlim_max = n;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		FAIL("setrlimit(RLIMIT_NOFILE, %lu): %s", (unsigned long)n,
		     strerror(errno));
}

void set_nofile_soft(rlim_t n)
{
	struct rlimit rl;

	ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = n;
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

static void *delayed_send_fn(void *arg)
{
	struct delayed *d = arg;

	msleep(d->ms);
	send_all(d->fd, "late", 4);
	return NULL;
}

static void *delayed_wake_fn(void *arg)
{
	struct delayed *d = arg;

	msleep(d->ms);
	ASSERT_EQ(spool_wake(d->fd), 0);
	return NULL;
}

static void *delayed_signal_fn(void *arg)
{
	struct delayed *d = arg;

	msleep(d->ms);
	pthread_kill(d->target, SIGUSR1);
	return NULL;
}

static void sigusr1_handler(int sig)
{
	(void)sig;
}

static void delayed_start(struct delayed *d, void *(*fn)(void *), int fd,
			  int ms)
{
	d->target = pthread_self();
	d->fd = fd;
	d->ms = ms;
	ASSERT_EQ(pthread_create(&d->thread, NULL, fn, d), 0);
}

void delayed_send(struct delayed *d, int fd, int ms)
{
	delayed_start(d, delayed_send_fn, fd, ms);
}

void delayed_wake(struct delayed *d, int pool, int ms)
{
	delayed_start(d, delayed_wake_fn, pool, ms);
}

void delayed_signal(struct delayed *d, int ms)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sigusr1_handler;
	ASSERT_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	delayed_start(d, delayed_signal_fn, -1, ms);
}

void delayed_join(struct delayed *d)
{
	ASSERT_EQ(pthread_join(d->thread, NULL), 0);
}
