// SPDX-License-Identifier: GPL-2.0
/*
 * httpd_epoll - the classic single-threaded epoll HTTP/1.1 keep-alive
 * server, the baseline for httpd_spool: a nonblocking listener, an accept4
 * loop, level-triggered epoll_wait, one read per readable connection and
 * a write as soon as responses are ready; EPOLLOUT only after a short
 * write.
 *
 *   httpd_epoll [-p PORT] [-b BACKLOG]
 *
 * Prints "listening on PORT" when ready; on SIGTERM/SIGINT prints its
 * counters and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"

#define MAX_EVENTS	1024
#define READ_CHUNK	16384

static int epfd;
static struct {
	uint64_t epoll_waits, epoll_ctls, accepts, reads, writes, closes;
} cnt;

static void conn_close(struct conn *c)
{
	/* close() takes the fd out of the epoll set by itself. */
	close(c->fd);
	cnt.closes++;
	conn_free(c);
}

/* The interest a connection wants now. */
static uint32_t want_events(const struct conn *c)
{
	uint32_t ev = 0;

	if (!c->closing && buf_pending(&c->out) < HTTP_OUT_HIGH)
		ev |= EPOLLIN;
	if (c->wait_out)
		ev |= EPOLLOUT;
	return ev;
}

static int set_events(struct conn *c)
{
	uint32_t ev = want_events(c);
	struct epoll_event e = { .events = ev, .data.fd = c->fd };

	if (ev == c->reg_events)
		return 0;
	cnt.epoll_ctls++;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) < 0)
		return -1;
	c->reg_events = ev;
	return 0;
}

/* Writes what is pending; 0 = keep, -1 = close now. */
static int flush_out(struct conn *c)
{
	while (buf_pending(&c->out)) {
		ssize_t n;

		cnt.writes++;
		n = send(c->fd, c->out.data + c->out.off, buf_pending(&c->out),
			 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -1;
		}
		c->out.off += n;
		/* A short write means the socket buffer is full: wait. */
		if (buf_pending(&c->out))
			break;
	}
	c->wait_out = buf_pending(&c->out) != 0;
	buf_compact(&c->out);
	if (!c->wait_out && c->closing)
		return -1;
	return set_events(c);
}

static void do_accept(int lfd)
{
	for (;;) {
		struct epoll_event e = { .events = EPOLLIN };
		struct conn *c;
		int fd;

		cnt.accepts++;
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				perror("accept4");
			return;
		}
		c = conn_new(fd);
		if (!c) {
			close(fd);
			continue;
		}
		e.data.fd = fd;
		cnt.epoll_ctls++;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
			perror("epoll_ctl add");
			conn_close(c);
			continue;
		}
		c->reg_events = EPOLLIN;
	}
}

static void do_read(struct conn *c)
{
	ssize_t n;

	if (buf_reserve(&c->in, READ_CHUNK, HTTP_MAX_IN + READ_CHUNK)) {
		conn_close(c);
		return;
	}
	cnt.reads++;
	n = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		conn_close(c);
		return;
	}
	if (n == 0) {
		/* The peer is done sending; answer what it asked, then close. */
		c->closing = 1;
		if (!buf_pending(&c->out)) {
			conn_close(c);
			return;
		}
	} else {
		c->in.len += n;
		if (http_process(c) < 0) {
			conn_close(c);
			return;
		}
	}
	if (c->wait_out) {
		if (set_events(c))
			conn_close(c);
		return;
	}
	if (flush_out(c))
		conn_close(c);
}

int main(int argc, char **argv)
{
	static struct epoll_event evs[MAX_EVENTS];
	struct http_opts o;
	struct epoll_event e = { .events = EPOLLIN };
	int lfd, i;

	http_parse_args(argc, argv, "httpd_epoll", &o);
	http_raise_nofile();
	http_signals();
	lfd = http_listen(&o, 1);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		perror("epoll_create1");
		return 1;
	}
	e.data.fd = lfd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &e) < 0) {
		perror("epoll_ctl");
		return 1;
	}
	printf("listening on %d\n", o.port);
	fflush(stdout);

	while (!http_stop) {
		int n;

		cnt.epoll_waits++;
		n = epoll_wait(epfd, evs, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			uint32_t ev = evs[i].events;
			struct conn *c;

			if (fd == lfd) {
				do_accept(lfd);
				continue;
			}
			c = conn_get(fd);
			if (!c)
				continue;
			if ((ev & EPOLLOUT) && c->wait_out) {
				if (flush_out(c)) {
					conn_close(c);
					continue;
				}
			}
			if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				if (c->closing || !(c->reg_events & EPOLLIN)) {
					/* Not reading: only an error matters. */
					if (ev & (EPOLLHUP | EPOLLERR))
						conn_close(c);
					continue;
				}
				do_read(c);
			}
		}
	}

	printf("httpd_epoll: requests %llu (200: %llu, other: %llu) conns %llu "
	       "closed %llu | syscalls by the loop: epoll_wait %llu read %llu "
	       "write %llu accept4 %llu epoll_ctl %llu close %llu total %llu\n",
	       (unsigned long long)http_stats.requests,
	       (unsigned long long)http_stats.ok,
	       (unsigned long long)http_stats.bad,
	       (unsigned long long)http_stats.conns,
	       (unsigned long long)http_stats.closed,
	       (unsigned long long)cnt.epoll_waits,
	       (unsigned long long)cnt.reads,
	       (unsigned long long)cnt.writes,
	       (unsigned long long)cnt.accepts,
	       (unsigned long long)cnt.epoll_ctls,
	       (unsigned long long)cnt.closes,
	       (unsigned long long)(cnt.epoll_waits + cnt.reads + cnt.writes +
				    cnt.accepts + cnt.epoll_ctls + cnt.closes));
	return 0;
}
