/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spool_util.h - helpers shared by the /dev/spool selftests: pool ioctls,
 * loopback sockets and timing.  Helpers that cannot go on ASSERT, so a
 * test reads as the behaviour it checks.
 */
#ifndef SPOOL_SELFTEST_UTIL_H
#define SPOOL_SELFTEST_UTIL_H

#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "uapi/spool.h"
#include "sockets.h"

#define SPOOL_PATH	"/dev/" SPOOL_DEVICE_NAME
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define U64(p)		((__u64)(uintptr_t)(p))

/* Pool */
int pool_open(void);
struct spool_version pool_version(int pool);
int spool_reg(int pool, int fd, __u32 events, __u32 flags, __u64 cookie);
int spool_mod(int pool, int fd, __u32 events, __u32 flags, __u64 cookie);
int spool_unreg(int pool, int fd);
int spool_wait(int pool, struct spool_event *ev, __u32 max, int timeout_ms,
	       __u32 *flags);
int spool_wake(int pool);
int spool_accept(int pool, int lfd, struct spool_conn *conns, __u32 max,
		 __u32 flags);
int spool_bulk(int pool, int write, struct spool_iov *iov, unsigned int n);
void iov_set(struct spool_iov *iov, int fd, void *buf, __u32 len);
/* An address that faults: a PROT_NONE page. */
void *bad_ptr(void);

/* Sockets, all on loopback; family is AF_INET or AF_INET6. */
int tcp_listen(int family, int backlog, int *port);
int tcp_connect(int family, int port);
/* *srv: the accepted end, *cli: the connecting end. */
void tcp_pair(int family, int *srv, int *cli);
int udp_socket(void);
int listener_backlog(int lfd);
void wait_backlog(int lfd, int n);
int local_port(int fd);
void set_nonblock(int fd);
void linger_zero(int fd);
void send_all(int fd, const void *buf, size_t len);
void recv_all(int fd, void *buf, size_t len);

/* poll() one fd for events; returns revents, 0 on timeout. */
int poll_one(int fd, short events, int ms);
/* Reads fd until EOF (or ECONNRESET) within ms; returns 1 if it came. */
int peer_closed(int fd, int ms);

/* Threads that act on the test after a delay. */
struct delayed {
	pthread_t thread;
	pthread_t target;	/* delayed_signal: the thread to signal */
	int fd;			/* delayed_send: sends "late"; delayed_wake */
	int ms;
};
void delayed_send(struct delayed *d, int fd, int ms);
void delayed_wake(struct delayed *d, int pool, int ms);
/* SIGUSR1, with a handler without SA_RESTART, to the calling thread. */
void delayed_signal(struct delayed *d, int ms);
void delayed_join(struct delayed *d);

/* Time */
double now_ms(void);
void msleep(int ms);

/* The number the next open() would get. */
int next_fd(void);
/* Both limits to n (fails the test if not allowed); the soft one only. */
void raise_nofile(rlim_t n);
void set_nofile_soft(rlim_t n);

#endif /* SPOOL_SELFTEST_UTIL_H */
