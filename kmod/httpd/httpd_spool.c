// SPDX-License-Identifier: GPL-2.0
/*
 * httpd_spool - the same HTTP/1.1 keep-alive server as httpd_epoll, on
 * /dev/spool: one SPOOL_IOC_CYCLE per turn of the loop, and no other
 * system call on the hot path.
 *
 *   httpd_spool [-p PORT] [-b BACKLOG]
 *
 * One turn:
 *  1. Build the batch from the connections touched since the last turn:
 *     registration changes (ctl) and responses to send (send).  Responses
 *     live in each connection's output buffer, which is not touched until
 *     the cycle returned.
 *  2. SPOOL_IOC_CYCLE: the kernel applies ctl, sends, waits (timeout -1
 *     when it sends nothing; SEND_TIMEOUT_MS when it sends, see
 *     want_reg(); 0 when something must happen right after the call),
 *     accepts on the
 *     listener (registered with SPOOL_F_ACCEPT; new connections are
 *     registered by the kernel with SPOOL_F_RECV, cookie = fd) and
 *     receives from ready connections into the arena.
 *  3. Take the send results (short sends keep their remainder and wait for
 *     SPOOL_OUT), the new connections, then the events: each connection's
 *     bytes are copied from the arena into its own input buffer (the arena
 *     is reused by the next cycle) and parsed; responses are appended to
 *     its output buffer for the next turn.
 *
 * Closing.  A connection is never closed while registered: the cycle that
 * sends its last bytes (Connection: close, or EOF with answers pending) or
 * the next cycle after EOF, a receive or send error, carries a
 * SPOOL_CTL_UNREGISTER for the fd (ctl runs before send, and send needs no
 * registration).  Right after that cycle, close(fd) drops the last
 * reference and the peer sees FIN at once; such a cycle runs with timeout
 * 0 so that the close is not held up by its wait.  That costs no system
 * call beyond close(2) under load, and one cycle that does not sleep when
 * idle.
 *
 * Why not close(fd) at once and let the module drop the stale
 * registration (header of spool.h)?  That works for the fd, but the drop
 * happens inside a cycle, where the module's fput() of the last
 * reference is deferred (task work) until that cycle returns to user
 * space.  A cycle that drops it and then sleeps with timeout -1 keeps the
 * socket open (CLOSE-WAIT, no FIN) until something else wakes it: a peer
 * waiting for EOF after a half close hangs (see the report of issue 5).
 * The 1 s sweep of a sleeping wait has the same problem.
 *
 * Prints "listening on PORT" when ready; on SIGTERM/SIGINT prints its
 * counters and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "uapi/spool.h"
#include "http.h"

#define BATCH_MAX	1024
#define ARENA_LEN	(1u << 20)
#define RECV_MAX	16384
#define LISTENER_COOKIE	(~0ULL)
/* Longest sleep of a cycle that sends: see want_reg(). */
#define SEND_TIMEOUT_MS	10

static int pool;
static struct {
	uint64_t cycles, events, sends, ctls, conns, closes, other;
	uint64_t full, stale_closes, einval;
} cnt;

/* Connections with something to do in the next cycle. */
static int *todo, *todo_next;
static size_t todo_n, todo_cap;
/* Connections to close right after the cycle (unregistered by it). */
static int *closing_fds;

static void touch(struct conn *c)
{
	if (c->dirty)
		return;
	if (todo_n == todo_cap) {
		size_t n = todo_cap ? todo_cap * 2 : 1024;
		int *a = realloc(todo, n * sizeof(*a));
		int *b = realloc(todo_next, n * sizeof(*b));

		int *d = realloc(closing_fds, n * sizeof(*d));

		if (!a || !b || !d) {
			perror("realloc");
			exit(1);
		}
		todo = a;
		todo_next = b;
		closing_fds = d;
		todo_cap = n;
	}
	c->dirty = 1;
	todo[todo_n++] = c->fd;
}

static void conn_close(struct conn *c)
{
	if (c->registered)
		cnt.stale_closes++;	/* left stale: only on ENOMEM */
	close(c->fd);
	cnt.closes++;
	conn_free(c);
}

/*
 * Ends a connection without sending more: unregistered already, close it
 * now; else the next cycle unregisters it (ctl) and it is closed right
 * after that cycle, which does not sleep.  Closing a registered fd would
 * leave the socket open until the cycle after the drop returns: see the
 * header of this file.
 */
static void conn_abort(struct conn *c)
{
	if (!c->registered) {
		conn_close(c);
		return;
	}
	c->closing = 1;
	c->wait_out = 0;
	c->out.off = c->out.len;
	touch(c);
}

/*
 * Registration wanted for the next cycle: 0 = none, else interest |
 * WANT_REG.  A connection whose output goes out in that cycle keeps SPOOL_IN
 * (the send will probably be complete; if it is short, the next turn
 * switches to SPOOL_OUT, and drops SPOOL_IN above HTTP_OUT_HIGH).  A cycle
 * that sends never sleeps long (SEND_TIMEOUT_MS): a short send is only
 * known when the cycle returns, and waiting forever on SPOOL_IN alone
 * would strand the rest of the output.
 */
#define WANT_REG	(1u << 31)
static uint32_t want_reg(const struct conn *c)
{
	uint32_t ev = 0;

	if (c->closing && !c->wait_out)
		return 0;	/* its last bytes go out now: unregister */
	if (!c->closing &&
	    (!c->wait_out || buf_pending(&c->out) < HTTP_OUT_HIGH))
		ev |= SPOOL_IN;
	if (c->wait_out)
		ev |= SPOOL_OUT;
	return ev | WANT_REG;
}

static uint32_t have_reg(const struct conn *c)
{
	return c->registered ? c->reg_events | WANT_REG : 0;
}

int main(int argc, char **argv)
{
	static struct spool_ctl ctl[BATCH_MAX];
	static struct spool_iov snd[BATCH_MAX];
	static struct spool_event evs[BATCH_MAX];
	static struct spool_conn newc[BATCH_MAX];
	static char arena[ARENA_LEN];
	struct spool_version ver;
	struct spool_reg lreg;
	struct spool_cycle cy;
	struct http_opts o;
	unsigned int batch, arena_len;
	int lfd, i, stop_turns = 0;

	http_parse_args(argc, argv, "httpd_spool", &o);
	http_raise_nofile();
	http_signals();

	pool = open("/dev/spool", O_RDWR | O_CLOEXEC);
	if (pool < 0) {
		perror("open /dev/spool");
		return 1;
	}
	if (ioctl(pool, SPOOL_IOC_VERSION, &ver) < 0) {
		perror("SPOOL_IOC_VERSION");
		return 1;
	}
	if (ver.abi_version != SPOOL_ABI_VERSION ||
	    !(ver.features & SPOOL_FEAT_CYCLE) ||
	    !(ver.features & SPOOL_FEAT_CYCLE_CTL)) {
		fprintf(stderr, "httpd_spool: module lacks the cycle call\n");
		return 1;
	}
	batch = ver.max_batch < BATCH_MAX ? ver.max_batch : BATCH_MAX;
	arena_len = ver.max_arena < ARENA_LEN ? ver.max_arena : ARENA_LEN;

	lfd = http_listen(&o, 1);
	memset(&lreg, 0, sizeof(lreg));
	lreg.fd = lfd;
	lreg.events = SPOOL_IN;
	lreg.flags = SPOOL_F_ACCEPT;
	lreg.cookie = LISTENER_COOKIE;
	cnt.other++;
	if (ioctl(pool, SPOOL_IOC_REGISTER, &lreg) < 0) {
		perror("SPOOL_IOC_REGISTER listener");
		return 1;
	}
	printf("listening on %d\n", o.port);
	fflush(stdout);

	memset(&cy, 0, sizeof(cy));
	cy.ctl = (uintptr_t)ctl;
	cy.send = (uintptr_t)snd;
	cy.events = (uintptr_t)evs;
	cy.conns = (uintptr_t)newc;
	cy.arena = (uintptr_t)arena;
	cy.max_events = batch;
	cy.max_conns = batch;
	cy.arena_len = arena_len;
	cy.recv_max = RECV_MAX;
	cy.accept_flags = SPOOL_ACCEPT_NONBLOCK | SPOOL_ACCEPT_CLOEXEC |
			  SPOOL_ACCEPT_REGISTER;
	cy.accept_events = SPOOL_IN;
	cy.accept_reg_flags = SPOOL_F_RECV;

	for (;;) {
		unsigned int nctl = 0, nsend = 0, nconns = 0;
		size_t left = 0, nclose = 0, k;
		int must_return = 0, n;

		/* 1. The batch. */
		for (k = 0; k < todo_n; k++) {
			struct conn *c = conn_get(todo[k]);
			uint32_t want, have;
			int needs_ctl, needs_send;

			if (!c || !c->dirty)
				continue;	/* closed, or a duplicate */
			want = want_reg(c);
			have = have_reg(c);
			needs_ctl = want != have;
			needs_send = buf_pending(&c->out) && !c->wait_out;
			if ((needs_ctl && nctl == batch) ||
			    (needs_send && nsend == batch)) {
				todo_next[left++] = c->fd;	/* next turn */
				continue;
			}
			c->dirty = 0;
			if (needs_ctl) {
				struct spool_ctl *x = &ctl[nctl++];

				memset(x, 0, sizeof(*x));
				x->fd = c->fd;
				if (!want) {
					x->op = SPOOL_CTL_UNREGISTER;
				} else {
					x->op = have ? SPOOL_CTL_MODIFY :
						       SPOOL_CTL_REGISTER;
					x->events = want & ~WANT_REG;
					x->flags = SPOOL_F_RECV;
					x->cookie = c->fd;
				}
				c->registered = !!want;
				c->reg_events = want & ~WANT_REG;
			}
			if (needs_send) {
				struct spool_iov *s = &snd[nsend++];
				size_t len = buf_pending(&c->out);

				s->fd = c->fd;
				s->flags = 0;
				s->buf = (uintptr_t)(c->out.data + c->out.off);
				s->len = len > 0x7fffffff ? 0x7fffffff : len;
				s->result = 0;
			}
			/*
			 * Its last bytes go out in this call (or it has none
			 * left): close right after it, so do not sleep in it.
			 */
			if (c->closing && !c->registered) {
				must_return = 1;
				if (!needs_send)
					closing_fds[nclose++] = c->fd;
			}
		}
		memcpy(todo, todo_next, left * sizeof(*todo));
		todo_n = left;
		if (left)
			must_return = 1;

		/* 2. The cycle. */
		cy.nr_ctl = nctl;
		cy.nr_send = nsend;
		cy.timeout_ms = must_return || http_stop ? 0 :
				nsend ? SEND_TIMEOUT_MS : -1;
		cnt.cycles++;
		cnt.ctls += nctl;
		cnt.sends += nsend;
		n = ioctl(pool, SPOOL_IOC_CYCLE, &cy);
		if (n < 0) {
			if (errno != EINTR) {
				perror("SPOOL_IOC_CYCLE");
				return 1;
			}
			/* ctl and send were done; nothing else was. */
			n = 0;
		} else {
			nconns = cy.nr_conns;
		}
		cnt.events += n;

		/* 3a. Send results. */
		for (i = 0; i < (int)nsend; i++) {
			struct conn *c = conn_get(snd[i].fd);
			int r = snd[i].result;

			if (!c)
				continue;
			if (r > 0) {
				c->out.off += r;
				if (buf_pending(&c->out))
					c->wait_out = 1;	/* short */
			} else if (r == -EAGAIN) {
				c->wait_out = 1;
			} else {
				conn_abort(c);		/* EPIPE, ECONNRESET */
				continue;
			}
			buf_compact(&c->out);
			if (c->closing && !buf_pending(&c->out) &&
			    !c->registered) {
				conn_close(c);		/* unregistered: FIN now */
				continue;
			}
			touch(c);
		}

		/* 3b. Registration changes that failed (not expected). */
		for (i = 0; i < (int)nctl; i++) {
			struct conn *c = conn_get(ctl[i].fd);

			if (!ctl[i].result || !c)
				continue;
			fprintf(stderr, "httpd_spool: ctl op %u fd %d: %s\n",
				ctl[i].op, ctl[i].fd, strerror(-ctl[i].result));
			c->registered = 0;
			c->closing = 1;
			c->wait_out = 0;
			c->out.off = c->out.len;
			touch(c);
		}
		for (k = 0; k < nclose; k++) {
			struct conn *c = conn_get(closing_fds[k]);

			if (c && c->closing && !c->registered &&
			    !buf_pending(&c->out))
				conn_close(c);
		}

		/* 3c. New connections, registered by the kernel. */
		cnt.conns += nconns;
		for (i = 0; i < (int)nconns; i++) {
			struct conn *c = conn_get(newc[i].fd);

			if (c) {	/* cannot happen: we closed it */
				fprintf(stderr, "httpd_spool: fd %d reused "
					"while known\n", newc[i].fd);
				conn_free(c);
			}
			if (newc[i].reg) {
				fprintf(stderr, "httpd_spool: register %d: %s\n",
					newc[i].fd, strerror(-newc[i].reg));
				close(newc[i].fd);
				cnt.closes++;
				continue;
			}
			c = conn_new(newc[i].fd);
			if (!c) {
				close(newc[i].fd);	/* registration goes stale */
				cnt.closes++;
				continue;
			}
			c->registered = 1;
			c->reg_events = SPOOL_IN;
		}

		/* 3d. Events. */
		for (i = 0; i < n; i++) {
			struct spool_event *e = &evs[i];
			struct conn *c;

			if (e->cookie == LISTENER_COOKIE) {
				if ((e->flags & SPOOL_EV_ACCEPT) &&
				    e->result < 0 && e->result != -EAGAIN &&
				    e->result != -ECONNABORTED)
					fprintf(stderr, "httpd_spool: accept: "
						"%s\n", strerror(-e->result));
				continue;
			}
			c = conn_get((int)e->cookie);
			if (!c)
				continue;
			if (e->flags & SPOOL_EV_FULL) {
				cnt.full++;	/* ready again next cycle */
				continue;
			}
			if (e->flags & SPOOL_EV_RECV) {
				if (e->result > 0) {
					if (c->closing)
						continue;	/* discarded */
					if (buf_append(&c->in,
						       arena + e->offset,
						       e->result,
						       HTTP_MAX_IN + RECV_MAX) ||
					    http_process(c) < 0) {
						conn_abort(c);
						continue;
					}
				} else if (e->result != -EAGAIN) {
					/* EOF or an error */
					if (e->result < 0 ||
					    !buf_pending(&c->out)) {
						conn_abort(c);
						continue;
					}
					c->closing = 1;	/* answer, then close */
				}
			} else if ((e->events & (SPOOL_ERR | SPOOL_HUP)) &&
				   !(e->events & SPOOL_OUT)) {
				conn_abort(c);
				continue;
			}
			if ((e->events & SPOOL_OUT) && c->wait_out)
				c->wait_out = 0;
			if (buf_pending(&c->out) || want_reg(c) != have_reg(c))
				touch(c);
		}

		/* On a stop, a few more turns flush what is queued. */
		if (http_stop && (!todo_n || ++stop_turns > 3))
			break;
	}

	printf("httpd_spool: requests %llu (200: %llu, other: %llu) conns %llu "
	       "closed %llu | syscalls by the loop: cycle %llu close %llu "
	       "other %llu total %llu | per cycle: events %.2f sends %.2f "
	       "ctls %.2f | arena full %llu, closed while registered %llu\n",
	       (unsigned long long)http_stats.requests,
	       (unsigned long long)http_stats.ok,
	       (unsigned long long)http_stats.bad,
	       (unsigned long long)http_stats.conns,
	       (unsigned long long)http_stats.closed,
	       (unsigned long long)cnt.cycles,
	       (unsigned long long)cnt.closes,
	       (unsigned long long)cnt.other,
	       (unsigned long long)(cnt.cycles + cnt.closes + cnt.other),
	       cnt.cycles ? (double)cnt.events / cnt.cycles : 0.0,
	       cnt.cycles ? (double)cnt.sends / cnt.cycles : 0.0,
	       cnt.cycles ? (double)cnt.ctls / cnt.cycles : 0.0,
	       (unsigned long long)cnt.full,
	       (unsigned long long)cnt.stale_closes);
	return 0;
}
