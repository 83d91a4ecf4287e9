// SPDX-License-Identifier: GPL-2.0
/*
 * http.c - request handling shared by httpd_epoll and httpd_spool.
 * See http.h.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"

struct http_stats http_stats;
volatile sig_atomic_t http_stop;

/* ---- buffers ------------------------------------------------------------ */

int buf_reserve(struct buf *b, size_t more, size_t limit)
{
	size_t need, cap;
	char *p;

	if (b->cap - b->len >= more)
		return 0;
	/* Reuse the consumed head first. */
	if (b->off) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->cap - b->len >= more)
			return 0;
	}
	need = b->len + more;
	if (need > limit)
		return -1;
	cap = b->cap ? b->cap : 2048;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n, size_t limit)
{
	if (buf_reserve(b, n, limit))
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void buf_compact(struct buf *b)
{
	if (b->off == b->len) {
		b->off = b->len = 0;
		/* Give back what a burst made big. */
		if (b->cap > 65536) {
			free(b->data);
			b->data = NULL;
			b->cap = 0;
		}
	}
}

void buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ---- responses ---------------------------------------------------------- */

struct resp {
	char *p;
	size_t len;
};

enum { R_200, R_200C, R_404, R_404C, R_400C, R_413C, R_431C, R_501C, R_NR };
static struct resp resps[R_NR];

static void resp_make(struct resp *r, const char *status, int close,
		      const char *body, size_t blen)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %s\r\n"
		     "Server: spool-httpd\r\n"
		     "Content-Type: text/plain\r\n"
		     "Content-Length: %zu\r\n"
		     "%s"
		     "\r\n",
		     status, blen, close ? "Connection: close\r\n" : "");
	r->len = n + blen;
	r->p = malloc(r->len);
	if (!r->p) {
		perror("malloc");
		exit(1);
	}
	memcpy(r->p, head, n);
	memcpy(r->p + n, body, blen);
}

static void resp_init(void)
{
	static const char line[] =
		"SPOOL says hello: 0123456789abcdefghijklmnopqrstuvwxyzABCDEF\n";
	char body[HTTP_BODY_LEN];
	size_t i;

	if (resps[R_200].p)
		return;
	for (i = 0; i < sizeof(body); i++)
		body[i] = line[i % (sizeof(line) - 1)];
	body[sizeof(body) - 1] = '\n';
	resp_make(&resps[R_200], "200 OK", 0, body, sizeof(body));
	resp_make(&resps[R_200C], "200 OK", 1, body, sizeof(body));
	resp_make(&resps[R_404], "404 Not Found", 0, "Not Found\n", 10);
	resp_make(&resps[R_404C], "404 Not Found", 1, "Not Found\n", 10);
	resp_make(&resps[R_400C], "400 Bad Request", 1, "Bad Request\n", 12);
	resp_make(&resps[R_413C], "413 Content Too Large", 1,
		  "Content Too Large\n", 18);
	resp_make(&resps[R_431C], "431 Request Header Fields Too Large", 1,
		  "Request Header Fields Too Large\n", 32);
	resp_make(&resps[R_501C], "501 Not Implemented", 1,
		  "Not Implemented\n", 16);
}

/* ---- the parser --------------------------------------------------------- */

struct req {
	int bad;		/* malformed */
	int is_get;
	int root;		/* target is "/" */
	int http10;
	int conn_close;
	int keep_alive;
	int chunked;
	long long clen;		/* -1: none */
};

/* Case-insensitive: does the comma-separated list [p, e) hold token t? */
static int has_token(const char *p, const char *e, const char *t)
{
	size_t tl = strlen(t);

	while (p < e) {
		const char *s, *q;

		while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		s = p;
		while (p < e && *p != ',')
			p++;
		q = p;
		while (q > s && (q[-1] == ' ' || q[-1] == '\t'))
			q--;
		if ((size_t)(q - s) == tl && !strncasecmp(s, t, tl))
			return 1;
	}
	return 0;
}

/* Parses the head [p, p + n), which ends with CRLF CRLF. */
static void parse_head(const char *p, size_t n, struct req *r)
{
	const char *e = p + n, *eol, *sp1, *sp2;

	memset(r, 0, sizeof(*r));
	r->clen = -1;

	/* Request line: METHOD SP TARGET SP HTTP/1.x */
	eol = memmem(p, n, "\r\n", 2);
	sp1 = memchr(p, ' ', eol - p);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', eol - sp1 - 1) : NULL;
	if (!sp1 || !sp2 || sp1 == p || sp2 == sp1 + 1 ||
	    eol - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) ||
	    (sp2[8] != '0' && sp2[8] != '1')) {
		r->bad = 1;
		return;
	}
	r->is_get = sp1 - p == 3 && !memcmp(p, "GET", 3);
	r->root = sp2 - sp1 - 1 == 1 && sp1[1] == '/';
	r->http10 = sp2[8] == '0';

	/* Header fields. */
	for (p = eol + 2; p < e; p = eol + 2) {
		const char *colon, *v, *ve;
		size_t nl;

		eol = memmem(p, e - p, "\r\n", 2);
		if (!eol || eol == p)
			break;		/* the empty line ending the head */
		colon = memchr(p, ':', eol - p);
		if (!colon || colon == p) {
			r->bad = 1;
			return;
		}
		nl = colon - p;
		v = colon + 1;
		ve = eol;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (nl == 10 && !strncasecmp(p, "Connection", 10)) {
			if (has_token(v, ve, "close"))
				r->conn_close = 1;
			if (has_token(v, ve, "keep-alive"))
				r->keep_alive = 1;
		} else if (nl == 14 && !strncasecmp(p, "Content-Length", 14)) {
			long long x = 0;

			if (v == ve) {
				r->bad = 1;
				return;
			}
			for (; v < ve; v++) {
				if (!isdigit((unsigned char)*v) ||
				    x > (1LL << 40)) {
					r->bad = 1;
					return;
				}
				x = x * 10 + (*v - '0');
			}
			if (r->clen >= 0 && r->clen != x) {
				r->bad = 1;
				return;
			}
			r->clen = x;
		} else if (nl == 17 &&
			   !strncasecmp(p, "Transfer-Encoding", 17)) {
			r->chunked = 1;
		}
	}
}

static int respond(struct conn *c, int which)
{
	const struct resp *r = &resps[which];

	if (buf_append(&c->out, r->p, r->len, (size_t)-1))
		return -1;
	http_stats.requests++;
	if (which == R_200 || which == R_200C)
		http_stats.ok++;
	else
		http_stats.bad++;
	return 0;
}

int http_process(struct conn *c)
{
	int answered = 0;

	resp_init();
	while (!c->closing) {
		char *p = c->in.data + c->in.off;
		size_t avail = buf_pending(&c->in), scan, head;
		const char *end;
		struct req r;
		int which;

		if (!avail)
			break;
		scan = avail < HTTP_MAX_HEAD ? avail : HTTP_MAX_HEAD;
		end = memmem(p, scan, "\r\n\r\n", 4);
		if (!end) {
			if (avail < HTTP_MAX_HEAD)
				break;		/* wait for the rest */
			c->closing = 1;
			if (respond(c, R_431C))
				return -1;
			answered++;
			break;
		}
		head = end + 4 - p;
		parse_head(p, head, &r);
		if (r.bad)
			which = R_400C;
		else if (r.chunked)
			which = R_501C;
		else if (r.clen > (long long)(HTTP_MAX_IN - HTTP_MAX_HEAD))
			which = R_413C;
		else {
			size_t clen = r.clen > 0 ? (size_t)r.clen : 0;
			int close = r.conn_close ||
				    (r.http10 && !r.keep_alive);

			if (head + clen > avail)
				break;		/* wait for the body */
			c->in.off += head + clen;
			if (r.is_get && r.root)
				which = close ? R_200C : R_200;
			else
				which = close ? R_404C : R_404;
		}
		if (which != R_200 && which != R_404)
			c->closing = 1;
		if (respond(c, which))
			return -1;
		answered++;
	}
	if (c->closing)
		c->in.off = c->in.len;	/* nothing after a closing request */
	buf_compact(&c->in);
	return answered;
}

/* ---- process setup ------------------------------------------------------ */

void http_parse_args(int argc, char **argv, const char *name,
		     struct http_opts *o)
{
	int opt;

	o->port = 8080;
	o->backlog = 4096;
	while ((opt = getopt(argc, argv, "p:b:h")) != -1) {
		switch (opt) {
		case 'p':
			o->port = atoi(optarg);
			break;
		case 'b':
			o->backlog = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-p PORT] [-b BACKLOG]\n",
				name);
			exit(opt == 'h' ? 0 : 2);
		}
	}
	if (o->port <= 0 || o->port > 65535 || o->backlog <= 0) {
		fprintf(stderr, "%s: bad port or backlog\n", name);
		exit(2);
	}
}

int http_listen(const struct http_opts *o, int nonblock)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(o->port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
		    (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("bind");
		exit(1);
	}
	if (listen(fd, o->backlog) < 0) {
		perror("listen");
		exit(1);
	}
	resp_init();
	return fd;
}

static void on_stop(int sig)
{
	(void)sig;
	http_stop = 1;
}

void http_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: the wait returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

long http_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	return (long)rl.rlim_cur;
}

/* ---- the connection table ----------------------------------------------- */

static struct conn **tab;
static size_t tab_len;

struct conn *conn_get(int fd)
{
	if (fd < 0 || (size_t)fd >= tab_len)
		return NULL;
	return tab[fd];
}

struct conn *conn_new(int fd)
{
	struct conn *c;

	if ((size_t)fd >= tab_len) {
		size_t n = tab_len ? tab_len : 1024;
		struct conn **t;

		while (n <= (size_t)fd)
			n *= 2;
		t = realloc(tab, n * sizeof(*t));
		if (!t)
			return NULL;
		memset(t + tab_len, 0, (n - tab_len) * sizeof(*t));
		tab = t;
		tab_len = n;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = fd;
	tab[fd] = c;
	http_stats.conns++;
	return c;
}

void conn_free(struct conn *c)
{
	if (conn_get(c->fd) == c)
		tab[c->fd] = NULL;
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	http_stats.closed++;
}
