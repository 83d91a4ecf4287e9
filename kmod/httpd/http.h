/* SPDX-License-Identifier: GPL-2.0 */
/*
 * http.h - the request handling shared by httpd_epoll and httpd_spool: a
 * growable byte buffer, the per-connection state, an HTTP/1.1 keep-alive
 * parser that consumes every complete (pipelined) request from a
 * connection's input buffer and appends the responses to its output
 * buffer, and the command line, listener and signal helpers both servers
 * use.  Only the event loops differ.
 */
#ifndef SPOOL_HTTPD_HTTP_H
#define SPOOL_HTTPD_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* GET / answers with a body of BODY_LEN bytes: ~1,100 bytes on the wire. */
#define HTTP_BODY_LEN		1024
/* A request whose head is longer than this gets 431 and a close. */
#define HTTP_MAX_HEAD		8192
/* Input kept for one connection: head plus a request body we skip. */
#define HTTP_MAX_IN		(1 << 20)
/* Stop reading a connection while this much output is unsent. */
#define HTTP_OUT_HIGH		(256 << 10)

struct buf {
	char *data;
	size_t off;		/* start of the bytes not yet consumed/sent */
	size_t len;		/* end of the bytes held */
	size_t cap;
};

static inline size_t buf_pending(const struct buf *b)
{
	return b->len - b->off;
}

/* Makes room for at least more bytes after len; -1 on overflow/ENOMEM. */
int buf_reserve(struct buf *b, size_t more, size_t limit);
int buf_append(struct buf *b, const void *p, size_t n, size_t limit);
/* Drops consumed bytes; frees the buffer when empty and big. */
void buf_compact(struct buf *b);
void buf_free(struct buf *b);

/* One connection. The loops add their own bookkeeping after the common part. */
struct conn {
	int fd;
	struct buf in;
	struct buf out;
	unsigned int closing:1;	/* close once out is sent; read no more */
	unsigned int dirty:1;	/* spool: on the to-do list of the next cycle */
	unsigned int wait_out:1;/* a send was short: wait for SPOOL_OUT/EPOLLOUT */
	unsigned int registered:1;	/* spool: registered in the pool */
	uint32_t reg_events;	/* interest registered now (spool or epoll) */
};

struct http_stats {
	uint64_t requests;	/* requests answered */
	uint64_t ok;		/* of which 200 */
	uint64_t bad;		/* 4xx/5xx */
	uint64_t conns;		/* connections accepted */
	uint64_t closed;	/* connections closed */
};

extern struct http_stats http_stats;

/*
 * Consumes every complete request in c->in and appends a response for each
 * to c->out.  Sets c->closing after a request that ends the connection
 * (Connection: close, HTTP/1.0 without keep-alive, a malformed request);
 * what follows it is discarded.  Returns the number of requests answered,
 * or -1 if the connection must be closed at once (out of memory).
 */
int http_process(struct conn *c);

/* Command line: -p PORT, -b BACKLOG. */
struct http_opts {
	int port;
	int backlog;
};

void http_parse_args(int argc, char **argv, const char *name,
		     struct http_opts *o);
/* A listening TCP socket on 0.0.0.0:port; nonblocking if asked. Exits on error. */
int http_listen(const struct http_opts *o, int nonblock);
/* SIGTERM/SIGINT set http_stop (no SA_RESTART); SIGPIPE ignored. */
extern volatile sig_atomic_t http_stop;
void http_signals(void);
/* Raises RLIMIT_NOFILE's soft limit to the hard limit; returns it. */
long http_raise_nofile(void);

/* A table of connections indexed by fd. */
struct conn *conn_get(int fd);
struct conn *conn_new(int fd);
void conn_free(struct conn *c);

#endif /* SPOOL_HTTPD_HTTP_H */
