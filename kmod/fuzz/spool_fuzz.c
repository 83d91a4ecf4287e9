// SPDX-License-Identifier: GPL-2.0
/*
 * spool_fuzz.c - a multi-threaded fuzzer of /dev/spool.
 *
 *   spool_fuzz [-s SEED] [-d SECONDS] [-t THREADS] [-v]
 *
 * Worker threads loop over random operations on a shared set of pools and
 * a shared table of files: every ioctl (and unknown ones), read() and
 * write() on pools, poll(), close and re-open of pools and files, with
 * hostile arguments (bad, unaligned, kernel and read-only pointers, huge
 * and zero counts, non-zero reserved fields, closed and reused fd numbers,
 * every kind of file).  Helper threads keep TCP connections coming, push
 * and drain data, shut down and reset sockets, and send wakes and signals.
 *
 * Every call must succeed or fail with an errno that include/uapi/spool.h
 * documents for it; so must every per-item result (spool_ctl.result,
 * spool_iov.result, spool_event.result, spool_conn.reg).  Anything else is
 * printed and counted.  Ends with one line per check and "N passed, N
 * failed"; exit status 0 when nothing failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "uapi/spool.h"
#include "../selftests/sockets.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define U64(p)		((__u64)(uintptr_t)(p))
#define PAGE		4096

/* ---- call types and the errnos the header documents for each ----------- */

enum call {
	C_VERSION, C_REGISTER, C_MODIFY, C_UNREGISTER, C_WAIT, C_ACCEPT,
	C_CYCLE, C_WAKE, C_UNKNOWN, C_READ, C_WRITE, C_POLL, C_CLOSE, C_OPEN,
	/* Per-item results written back by the module. */
	C_R_CTL, C_R_IOV, C_R_EVENT, C_R_CONN,
	C_FORK, C_NR
};

static const char *const call_name[C_NR] = {
	"VERSION", "REGISTER", "MODIFY", "UNREGISTER", "WAIT", "ACCEPT",
	"CYCLE", "WAKE", "unknown-ioctl", "read", "write", "poll",
	"close-pool", "open-pool",
	"ctl.result", "iov.result", "event", "conn",
	"fork-EBADFD",
};

/* Errors common to every ioctl (header "Conventions"). */
#define COMMON		ENOTTY, EFAULT, EINVAL, EBADFD
/* REGISTER, MODIFY, UNREGISTER (struct spool_reg). */
#define REG_COMMON	EBADF, EINVAL, EPERM, ENOTSOCK, EOPNOTSUPP, ENOMEM
/* accept4(2)'s own errors, which SPOOL_IOC_ACCEPT passes on. */
#define ACCEPT4		EAGAIN, EBADF, ECONNABORTED, EFAULT, EINTR, EINVAL, \
			EMFILE, ENFILE, ENOBUFS, ENOMEM, ENOTSOCK, EOPNOTSUPP, \
			EPERM, EPROTO
/*
 * Per-descriptor results of bulk receive and send: the header's list, whose
 * "..." we read as the errors recv(2) and send(2) document for a stream
 * socket.
 */
#define IOV_ERRS	EAGAIN, EBADF, ENOTSOCK, EOPNOTSUPP, ENOTCONN, EPIPE, \
			ECONNRESET, EINVAL, EFAULT, ECONNREFUSED, ETIMEDOUT, \
			ENOMEM, ENOBUFS, EMSGSIZE, EHOSTUNREACH, ENETUNREACH, \
			ENETDOWN, EDESTADDRREQ, EISCONN

static const int allow_version[] = { EFAULT, EBADFD, 0 };
static const int allow_register[] = { COMMON, REG_COMMON, EEXIST, ENOSPC, 0 };
static const int allow_modify[] = { COMMON, REG_COMMON, ENOENT, 0 };
static const int allow_unregister[] = { COMMON, REG_COMMON, ENOENT, 0 };
static const int allow_wait[] = { COMMON, EINTR, ENOMEM, 0 };
static const int allow_accept[] = { COMMON, ACCEPT4, 0 };
static const int allow_cycle[] = { COMMON, EINTR, ENOMEM, 0 };
static const int allow_wake[] = { EBADFD, 0 };
static const int allow_unknown[] = { ENOTTY, EBADFD, 0 };
static const int allow_rw[] = { EINVAL, EFAULT, EBADFD, 0 };
static const int allow_poll[] = { EFAULT, EINTR, EINVAL, ENOMEM, 0 };
static const int allow_none[] = { 0 };
static const int allow_open[] = { EMFILE, ENFILE, ENOMEM, 0 };
static const int allow_r_iov[] = { IOV_ERRS, 0 };
/* A ctl result is what the matching ioctl would fail with. */
static const int allow_r_ctl[] = { COMMON, REG_COMMON, EEXIST, ENOSPC, ENOENT, 0 };
static const int allow_r_event_recv[] = { IOV_ERRS, 0 };
static const int allow_r_event_accept[] = { ACCEPT4, 0 };

static const int *const allowed[C_NR] = {
	[C_VERSION] = allow_version, [C_REGISTER] = allow_register,
	[C_MODIFY] = allow_modify, [C_UNREGISTER] = allow_unregister,
	[C_WAIT] = allow_wait, [C_ACCEPT] = allow_accept,
	[C_CYCLE] = allow_cycle, [C_WAKE] = allow_wake,
	[C_UNKNOWN] = allow_unknown, [C_READ] = allow_rw, [C_WRITE] = allow_rw,
	[C_POLL] = allow_poll, [C_CLOSE] = allow_none, [C_OPEN] = allow_open,
	[C_R_CTL] = allow_r_ctl, [C_R_IOV] = allow_r_iov,
	[C_R_EVENT] = allow_r_event_recv, [C_R_CONN] = allow_register,
	[C_FORK] = allow_none,
};

static int in_list(const int *list, int e)
{
	for (; *list; list++)
		if (*list == e)
			return 1;
	return 0;
}

/* ---- counters and failure reports -------------------------------------- */

static _Atomic unsigned long iters[C_NR], fails[C_NR], noted_errs[C_NR][134];
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
static int verbose;
#define MAX_REPORTS	10

static void failf(enum call c, const char *fmt, ...)
{
	unsigned long n = atomic_fetch_add(&fails[c], 1);
	va_list ap;

	if (n >= MAX_REPORTS && !verbose)
		return;
	pthread_mutex_lock(&print_lock);
	printf("# FAIL %s: ", call_name[c]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	pthread_mutex_unlock(&print_lock);
}

/*
 * Checks a call's result: ret >= 0, or -1 with an errno in list.  desc
 * describes the arguments for the report.
 */
static void check_ret(enum call c, const int *list, long ret, int err,
		      const char *desc)
{
	iters[c]++;
	if (ret >= 0)
		return;
	if (ret != -1) {
		failf(c, "returned %ld (not -1) errno %d; %s", ret, err, desc);
		return;
	}
	if (err > 0 && err < 134)
		noted_errs[c][err]++;
	if (!in_list(list, err))
		failf(c, "undocumented errno %d (%s); %s", err, strerror(err),
		      desc);
}

/* Checks a per-item result: >= 0, or -errno with errno in list. */
static void check_item(enum call c, const int *list, long res,
		       const char *desc)
{
	iters[c]++;
	if (res >= 0)
		return;
	if (-res > 0 && -res < 134)
		noted_errs[c][-res]++;
	if (!in_list(list, (int)-res))
		failf(c, "undocumented result %ld (%s); %s", res,
		      -res < 4096 ? strerror((int)-res) : "?", desc);
}

/* ---- randomness --------------------------------------------------------- */

struct rng { uint64_t s; };

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ULL;
}

static unsigned int rn(struct rng *r, unsigned int n)	/* 0..n-1 */
{
	return n ? (unsigned int)(rnd(r) % n) : 0;
}

static int chance(struct rng *r, unsigned int pct)
{
	return rn(r, 100) < pct;
}

/* ---- shared memory regions for hostile pointers -------------------------- */

static char *none_page;		/* PROT_NONE */
static char *ro_page;		/* PROT_READ, zero */

/* A per-thread buffer of len bytes with a PROT_NONE guard page after it. */
static void *guarded(size_t len)
{
	size_t sz = (len + PAGE - 1) / PAGE * PAGE;
	char *p = mmap(NULL, sz + PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	mprotect(p + sz, PAGE, PROT_NONE);
	/* Data ends right at the guard. */
	return p + sz - len;
}

/*
 * A pointer for a user buffer of need bytes whose valid home is buf (with
 * at least cap bytes before the guard page).  Mostly valid; otherwise one
 * of the hostile kinds.  Out-params get a read-only page sometimes.
 */
static __u64 hostile_ptr(struct rng *r, void *buf, size_t cap, size_t need,
			 const char **kind)
{
	char *b = buf;

	if (chance(r, 80)) {
		*kind = "valid";
		if (need <= cap && cap - need >= 8 && chance(r, 20)) {
			*kind = "unaligned";
			return U64(b + cap - need - 1 - rn(r, 7));
		}
		if (need <= cap)
			return U64(b + cap - need);	/* ends at the guard */
		*kind = "short";			/* runs into the guard */
		return U64(b);
	}
	switch (rn(r, 9)) {
	case 0: *kind = "NULL"; return 0;
	case 1: *kind = "PROT_NONE"; return U64(none_page + rn(r, PAGE));
	case 2: *kind = "read-only"; return U64(ro_page + rn(r, 64));
	case 3: *kind = "kernel"; return 0xffffffff81000000ULL + rn(r, 1 << 20);
	case 4: *kind = "kernel-direct-map"; return 0xffff888000000000ULL + rnd(r) % (1ULL << 30);
	case 5: *kind = "non-canonical"; return 0x0000800000000000ULL + rn(r, PAGE);
	case 6: *kind = "all-ones"; return ~0ULL - rn(r, 64);
	case 7: *kind = "straddle"; return U64(b + cap - 8 - rn(r, 16));	/* past the end */
	default: *kind = "random"; return rnd(r);
	}
}

/* ---- the file table ------------------------------------------------------ */

enum kind {
	K_NONE, K_TCP4_LISTEN, K_TCP6_LISTEN, K_TCP_CONN, K_UDP, K_UNIX,
	K_UNIX_LISTEN, K_PIPE, K_EVENTFD, K_DEVNULL, K_REGULAR, K_EPOLL,
	K_SIGNALFD, K_POOL, K_ACCEPTED, K_NR
};

#define NOBJ	96
#define NPOOL	4

struct obj {
	_Atomic int fd;
	_Atomic int kind;
	_Atomic int port;	/* listeners */
};

static struct obj objs[NOBJ];

struct pool_slot {
	pthread_rwlock_t lock;	/* read: using fd; write: closing it */
	_Atomic int fd;
};

static struct pool_slot pools[NPOOL];

/* Recently closed fd numbers, to pass as closed (or reused) fds. */
#define NCLOSED	32
static _Atomic int closed_fds[NCLOSED];
static _Atomic unsigned int closed_next;

static atomic_int stop;
static struct rlimit nofile;	/* RLIMIT_NOFILE as main set it */
static char regular_path[] = "/tmp/spool_fuzz.XXXXXX";
static int lport4, lport6;		/* the helper listeners' ports */
static int hl4 = -1, hl6 = -1;		/* the helper listeners */

static void note_closed(int fd)
{
	closed_fds[atomic_fetch_add(&closed_next, 1) % NCLOSED] = fd;
}

/* Closes whatever slot i holds; only the thread that swapped it out closes. */
static void obj_close(int i, int reset)
{
	int fd = atomic_exchange(&objs[i].fd, -1);

	objs[i].kind = K_NONE;
	if (fd < 0)
		return;
	if (reset) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(fd);
	note_closed(fd);
}

/* Puts fd in slot i, closing what was there. */
static void obj_put(int i, int fd, int kind, int port)
{
	obj_close(i, 0);
	objs[i].kind = kind;
	objs[i].port = port;
	fd = atomic_exchange(&objs[i].fd, fd);
	if (fd >= 0) {
		/* Raced with another put: ours stays, theirs is closed. */
		close(fd);
		note_closed(fd);
	}
}

static void obj_put_any(struct rng *r, int fd, int kind, int port)
{
	obj_put(rn(r, NOBJ), fd, kind, port);
}

/*
 * A non-blocking connect on loopback; returns the fd, in progress or even
 * failed: unlike loopback_connect() (../selftests/sockets.h), a socket in
 * any state is a file to fuzz.
 */
static int tcp_connect(int family, int port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || port <= 0)
		return fd < 0 ? -1 : (close(fd), -1);
	if (family == AF_INET) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		connect(fd, (struct sockaddr *)&a, sizeof(a));
	} else {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6,
					  .sin6_port = htons(port),
					  .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		connect(fd, (struct sockaddr *)&a, sizeof(a));
	}
	return fd;
}

/* Makes one new file (or pair) of a random kind and puts it in the table. */
static void obj_make(struct rng *r)
{
	int fds[2], fd, family = chance(r, 50) ? AF_INET : AF_INET6;
	unsigned int k = rn(r, 20);

	switch (k) {
	case 0: case 1: case 2: case 3: case 4: case 5: {	/* TCP pair */
		int hl = family == AF_INET ? hl4 : hl6;
		int c = tcp_connect(family, family == AF_INET ? lport4 : lport6);

		if (c < 0)
			return;
		for (int i = 0; i < 50; i++) {
			fd = accept4(hl, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd >= 0 || errno != EAGAIN)
				break;
			usleep(200);
		}
		obj_put_any(r, c, K_TCP_CONN, 0);
		if (fd >= 0)
			obj_put_any(r, fd, K_TCP_CONN, 0);
		return;
	}
	case 6:
		fd = loopback_listen(family, 1 + rn(r, 16), SOCK_NONBLOCK | SOCK_CLOEXEC, NULL);
		if (fd >= 0)
			obj_put_any(r, fd, family == AF_INET ? K_TCP4_LISTEN : K_TCP6_LISTEN,
				    sock_local_port(fd));
		return;
	case 7:
		fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd >= 0)
			obj_put_any(r, fd, K_UDP, 0);
		return;
	case 8:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds))
			return;
		obj_put_any(r, fds[0], K_UNIX, 0);
		obj_put_any(r, fds[1], K_UNIX, 0);
		return;
	case 9: {
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return;
		/* Abstract name, unique per listener. */
		snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "spool_fuzz.%d.%lu",
			 getpid(), (unsigned long)rnd(r));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8)) {
			close(fd);
			return;
		}
		/* Connect one client to it right away. */
		{
			int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

			if (c >= 0) {
				connect(c, (struct sockaddr *)&a, sizeof(a));
				obj_put_any(r, c, K_UNIX, 0);
			}
		}
		obj_put_any(r, fd, K_UNIX_LISTEN, 0);
		return;
	}
	case 10:
		if (pipe2(fds, O_NONBLOCK | O_CLOEXEC))
			return;
		obj_put_any(r, fds[0], K_PIPE, 0);
		obj_put_any(r, fds[1], K_PIPE, 0);
		return;
	case 11:
		fd = eventfd(rn(r, 2), EFD_NONBLOCK | EFD_CLOEXEC);
		if (fd >= 0)
			obj_put_any(r, fd, K_EVENTFD, 0);
		return;
	case 12:
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			obj_put_any(r, fd, K_DEVNULL, 0);
		return;
	case 13:
		fd = open(regular_path, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			obj_put_any(r, fd, K_REGULAR, 0);
		return;
	case 14: {
		/*
		 * An epoll file holding only a private eventfd.  Never a pool:
		 * a pool in an epoll file registered in that pool hangs the
		 * kernel (see ../selftests/repro_epoll_loop.c).
		 */
		struct epoll_event ee = { .events = EPOLLIN };
		int efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);

		fd = epoll_create1(EPOLL_CLOEXEC);
		if (fd >= 0 && efd >= 0)
			epoll_ctl(fd, EPOLL_CTL_ADD, efd, &ee);
		if (efd >= 0)
			close(efd);
		if (fd >= 0)
			obj_put_any(r, fd, K_EPOLL, 0);
		return;
	}
	case 15: {
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
		if (fd >= 0)
			obj_put_any(r, fd, K_SIGNALFD, 0);
		return;
	}
	case 16:
		/* Another pool, as an argument only. */
		fd = open("/dev/spool", O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			obj_put_any(r, fd, K_POOL, 0);
		return;
	default: {
		/* A client of a table listener, so ACCEPT finds connections. */
		int i = rn(r, NOBJ), kind = objs[i].kind;

		if (kind == K_TCP4_LISTEN || kind == K_TCP6_LISTEN) {
			fd = tcp_connect(kind == K_TCP4_LISTEN ? AF_INET : AF_INET6,
					 objs[i].port);
			if (fd >= 0)
				obj_put_any(r, fd, K_TCP_CONN, 0);
		}
		return;
	}
	}
}

/* ---- fd and value generators -------------------------------------------- */

static int pool_fd_any(struct rng *r)
{
	return pools[rn(r, NPOOL)].fd;
}

/* An fd argument: mostly a table file, else anything hostile. */
static int rand_fd(struct rng *r, int self)
{
	unsigned int p = rn(r, 100);

	if (p < 55)
		return objs[rn(r, NOBJ)].fd;
	if (p < 60)
		return self;
	if (p < 65)
		return pool_fd_any(r);
	if (p < 75)
		return closed_fds[rn(r, NCLOSED)];
	if (p < 82)
		return rn(r, 1100);
	if (p < 86)
		return -1 - (int)rn(r, 3);
	if (p < 88)
		return chance(r, 50) ? INT32_MIN : INT32_MAX;
	if (p < 90)
		return 1 << (10 + rn(r, 20));
	if (p < 93)
		return rn(r, 3);
	if (p < 96)
		return hl4 >= 0 && chance(r, 50) ? hl4 : hl6;
	return (int)rnd(r);
}

static __u32 rand_events(struct rng *r)
{
	if (chance(r, 85)) {
		static const __u32 ev[] = { SPOOL_IN, SPOOL_OUT, SPOOL_IN | SPOOL_OUT,
					    SPOOL_IN | SPOOL_RDHUP, SPOOL_EVENTS, 0,
					    SPOOL_PRI, SPOOL_ERR | SPOOL_HUP };
		return ev[rn(r, ARRAY_SIZE(ev))];
	}
	return chance(r, 50) ? (__u32)rnd(r) : 1U << rn(r, 32);
}

static __u32 rand_regflags(struct rng *r)
{
	if (chance(r, 90))
		return rn(r, 8);	/* incl. ACCEPT|RECV, which is EINVAL */
	return chance(r, 50) ? (__u32)rnd(r) : 1U << rn(r, 32);
}

/* Zero mostly, sometimes not (reserved fields, input-ignored fields). */
static __u32 rand_reserved(struct rng *r)
{
	return chance(r, 95) ? 0 : (chance(r, 50) ? 1 : (__u32)rnd(r));
}

static __u32 rand_count(struct rng *r, __u32 typical)
{
	unsigned int p = rn(r, 100);

	if (p < 80)
		return 1 + rn(r, typical);
	if (p < 85)
		return 0;
	if (p < 90)
		return 1024 + rn(r, 3);		/* around the default max_batch */
	if (p < 95)
		return 65536 + rn(r, 2);
	return (__u32)rnd(r);
}

static __s32 rand_timeout(struct rng *r)
{
	unsigned int p = rn(r, 100);

	if (p < 50)
		return 0;
	if (p < 93)
		return 1 + rn(r, 10);
	if (p < 95)
		return -1;		/* ended by a wake or a signal */
	if (p < 98)
		return -2 - (int)rn(r, 100);
	return INT32_MIN;
}

static __u32 rand_len(struct rng *r)
{
	unsigned int p = rn(r, 100);

	if (p < 80)
		return 1 + rn(r, 4096);
	if (p < 85)
		return 0;
	if (p < 90)
		return 0x7fffffff;
	if (p < 95)
		return 0x80000000U + rn(r, 16);
	return (__u32)rnd(r);
}

/* ---- per-thread state ----------------------------------------------------- */

#define MAXITEMS	2048
#define DATA_LEN	(256 << 10)
#define ARENA_LEN	(256 << 10)

struct worker {
	pthread_t thread;
	int id;
	struct rng r;
	struct spool_event *ev;		/* MAXITEMS, guarded */
	struct spool_conn *conns;	/* MAXITEMS, guarded */
	struct spool_iov *iov;		/* MAXITEMS, guarded */
	struct spool_ctl *ctl;		/* MAXITEMS, guarded */
	char *data;			/* DATA_LEN, guarded */
	char *arena;			/* ARENA_LEN, guarded */
	char *argbuf;			/* PAGE, guarded: the ioctl's argument */
	char *ropage;			/* a page made read-only around one call */
};

static struct worker *workers;
static int nworkers;

static void worker_init(struct worker *w, int id, uint64_t seed)
{
	w->id = id;
	w->r.s = seed * 0x9E3779B97F4A7C15ULL + (uint64_t)id * 7919 + 1;
	w->ev = guarded(MAXITEMS * sizeof(*w->ev));
	w->conns = guarded(MAXITEMS * sizeof(*w->conns));
	w->iov = guarded(MAXITEMS * sizeof(*w->iov));
	w->ctl = guarded(MAXITEMS * sizeof(*w->ctl));
	w->data = guarded(DATA_LEN);
	w->arena = guarded(ARENA_LEN);
	w->argbuf = guarded(PAGE);
	w->ropage = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/*
 * Where the ioctl's own argument struct goes: a valid spot (filled with
 * *s), a read-only copy of it (so the out-fields fault), or a hostile
 * address.  Returns the pointer; *kind says which.
 */
static void *arg_place(struct worker *w, const void *s, size_t len,
		       const char **kind, int *ro)
{
	struct rng *r = &w->r;
	unsigned int p = rn(r, 100);

	*ro = 0;
	if (p < 85) {
		char *dst = w->argbuf + PAGE - len - (chance(r, 10) ? 1 + rn(r, 7) : 0);

		memcpy(dst, s, len);
		*kind = "valid";
		return dst;
	}
	if (p < 90) {
		memcpy(w->ropage, s, len);
		mprotect(w->ropage, PAGE, PROT_READ);
		*ro = 1;
		*kind = "read-only copy";
		return w->ropage;
	}
	if (p < 93) {
		/* Runs into the guard page. */
		memcpy(w->argbuf + PAGE - len / 2, s, len / 2);
		*kind = "straddle";
		return w->argbuf + PAGE - len / 2;
	}
	{
		char *p = (char *)(uintptr_t)hostile_ptr(r, w->argbuf, PAGE, len, kind);

		/* A pointer into argbuf: put the struct there, not stale bytes. */
		if (!strcmp(*kind, "valid") || !strcmp(*kind, "unaligned"))
			memcpy(p, s, len);
		return p;
	}
}

static void arg_done(struct worker *w, int ro)
{
	if (ro)
		mprotect(w->ropage, PAGE, PROT_READ | PROT_WRITE);
}

/* Takes ownership of accepted fds reported in conns[0..n-1]. */
static void take_conns(struct worker *w, const struct spool_conn *conns,
		       unsigned int n, int registered)
{
	for (unsigned int i = 0; i < n; i++) {
		struct spool_conn c;
		char desc[128];

		memcpy(&c, &conns[i], sizeof(c));
		snprintf(desc, sizeof(desc), "conn[%u] fd %d reg %d addrlen %u reserved %u",
			 i, c.fd, c.reg, c.addrlen, c.reserved);
		check_item(C_R_CONN, allow_register, c.reg, desc);
		if (c.fd < 0 || c.reserved || c.reg > 0 || (!registered && c.reg) ||
		    c.addrlen == 0)
			failf(C_R_CONN, "bad conn: %s", desc);
		if (c.fd >= 0) {
			if (fcntl(c.fd, F_GETFD) < 0)
				failf(C_R_CONN, "accepted fd not open: %s", desc);
			else
				obj_put_any(&w->r, c.fd, K_ACCEPTED, 0);
		}
	}
}

static void check_events(struct spool_event *evs, unsigned int n, int cycle,
			 __u32 arena_used, __u32 nr_conns, __u32 max_conns,
			 const char *call)
{
	for (unsigned int i = 0; i < n; i++) {
		struct spool_event e;
		char desc[200];

		memcpy(&e, &evs[i], sizeof(e));
		snprintf(desc, sizeof(desc),
			 "%s event[%u] fd %d events %#x flags %#x result %d offset %u sndspace %u",
			 call, i, e.fd, e.events, e.flags, e.result, e.offset, e.sndspace);
		iters[C_R_EVENT]++;
		if (e.sndspace > INT_MAX || (e.events & ~SPOOL_EVENTS) || !e.events || e.fd < 0)
			failf(C_R_EVENT, "bad event: %s", desc);
		if (!cycle) {
			if (e.flags || e.result || e.offset)
				failf(C_R_EVENT, "wait event with cycle fields: %s", desc);
			continue;
		}
		if (e.flags & ~(SPOOL_EV_RECV | SPOOL_EV_EOF | SPOOL_EV_ACCEPT | SPOOL_EV_FULL))
			failf(C_R_EVENT, "unknown flags: %s", desc);
		if (e.flags & SPOOL_EV_RECV) {
			check_item(C_R_EVENT, allow_r_event_recv, e.result, desc);
			if (e.result > 0 && (__u64)e.offset + e.result > arena_used)
				failf(C_R_EVENT, "recv beyond arena_used %u: %s", arena_used, desc);
			if ((e.result == 0) != !!(e.flags & SPOOL_EV_EOF))
				failf(C_R_EVENT, "EOF flag mismatch: %s", desc);
		} else if (e.flags & SPOOL_EV_ACCEPT) {
			check_item(C_R_EVENT, allow_r_event_accept, e.result, desc);
			if (e.result == 0 ||
			    (e.result > 0 && (__u64)e.offset + e.result > nr_conns))
				failf(C_R_EVENT, "accept beyond nr_conns %u: %s", nr_conns, desc);
		} else if (e.result || e.offset || (e.flags & SPOOL_EV_EOF)) {
			failf(C_R_EVENT, "result without RECV/ACCEPT: %s", desc);
		}
	}
	if (nr_conns > max_conns)
		failf(C_R_EVENT, "%s nr_conns %u > max_conns %u", call, nr_conns, max_conns);
}

/* ---- the operations --------------------------------------------------------- */

static void op_version(struct worker *w, int pool)
{
	struct spool_version v;
	const char *kind;
	int ro;
	void *p = arg_place(w, &(struct spool_version){0}, sizeof(v), &kind, &ro);
	long ret = ioctl(pool, SPOOL_IOC_VERSION, p);
	int err = errno;
	char desc[96];

	arg_done(w, ro);
	snprintf(desc, sizeof(desc), "arg %s %p", kind, p);
	check_ret(C_VERSION, allowed[C_VERSION], ret, err, desc);
	if (ret == 0 && !strcmp(kind, "valid")) {
		memcpy(&v, p, sizeof(v));
		if (v.abi_version != SPOOL_ABI_VERSION || v.reserved || v.reserved2 ||
		    !v.max_batch || !v.max_files)
			failf(C_VERSION, "bad version: abi %u reserved %u/%u",
			      v.abi_version, v.reserved, v.reserved2);
	}
}

static void op_reg(struct worker *w, int pool, enum call c)
{
	struct rng *r = &w->r;
	struct spool_reg reg = {
		.fd = rand_fd(r, pool),
		.events = rand_events(r),
		.flags = rand_regflags(r),
		.reserved = rand_reserved(r),
		.cookie = rnd(r),
	};
	static const unsigned long cmd[] = {
		[C_REGISTER] = SPOOL_IOC_REGISTER, [C_MODIFY] = SPOOL_IOC_MODIFY,
		[C_UNREGISTER] = SPOOL_IOC_UNREGISTER,
	};
	const char *kind;
	int ro;
	void *p;
	long ret;
	int err;
	char desc[160];

	if (c == C_UNREGISTER && chance(r, 80))
		reg.events = reg.flags = reg.reserved = 0, reg.cookie = 0;
	p = arg_place(w, &reg, sizeof(reg), &kind, &ro);
	ret = ioctl(pool, cmd[c], p);
	err = errno;
	arg_done(w, ro);
	snprintf(desc, sizeof(desc), "arg %s, fd %d events %#x flags %#x reserved %#x",
		 kind, reg.fd, reg.events, reg.flags, reg.reserved);
	check_ret(c, allowed[c], ret, err, desc);
	if (ret > 0)
		failf(c, "returned %ld; %s", ret, desc);
}

static void op_wait(struct worker *w, int pool)
{
	struct rng *r = &w->r;
	struct spool_wait wt = {
		.max_events = rand_count(r, 64),
		.timeout_ms = rand_timeout(r),
		.flags = rand_reserved(r),
		.reserved = rand_reserved(r),
	};
	const char *evkind, *kind;
	int ro;
	void *p;
	long ret;
	int err;
	char desc[160];

	wt.events = hostile_ptr(r, w->ev, MAXITEMS * sizeof(*w->ev),
				(size_t)wt.max_events * sizeof(*w->ev), &evkind);
	p = arg_place(w, &wt, sizeof(wt), &kind, &ro);
	ret = ioctl(pool, SPOOL_IOC_WAIT, p);
	err = errno;
	arg_done(w, ro);
	snprintf(desc, sizeof(desc), "arg %s, events %s max_events %u timeout %d reserved %#x",
		 kind, evkind, wt.max_events, wt.timeout_ms, wt.reserved);
	check_ret(C_WAIT, allowed[C_WAIT], ret, err, desc);
	if (ret > (long)wt.max_events)
		failf(C_WAIT, "returned %ld > max_events; %s", ret, desc);
	if (ret > 0 && strcmp(evkind, "random") && strcmp(evkind, "straddle") &&
	    wt.events >= U64(w->ev) && wt.events < U64(w->ev) + MAXITEMS * sizeof(*w->ev))
		check_events((struct spool_event *)(uintptr_t)wt.events, ret, 0,
			     0, 0, 0, "WAIT");
}

/* A listener-ish fd for ACCEPT: mostly a table listener. */
static int rand_listener(struct rng *r, int pool)
{
	for (int i = 0; i < 4 && chance(r, 80); i++) {
		int j = rn(r, NOBJ), k = objs[j].kind;

		if (k == K_TCP4_LISTEN || k == K_TCP6_LISTEN || k == K_UNIX_LISTEN)
			return objs[j].fd;
	}
	return rand_fd(r, pool);
}

static __u32 rand_accept_flags(struct rng *r, __u32 *events, __u32 *reg_flags)
{
	__u32 f = chance(r, 90) ? rn(r, 8) : (__u32)rnd(r);

	*events = 0;
	*reg_flags = 0;
	if ((f & SPOOL_ACCEPT_REGISTER) || chance(r, 5)) {
		*events = rand_events(r);
		*reg_flags = chance(r, 90) ? (rn(r, 2) ? SPOOL_F_RECV : 0) |
					     (rn(r, 2) ? SPOOL_F_ONESHOT : 0)
					   : rand_regflags(r);
	}
	return f;
}

static void op_accept(struct worker *w, int pool)
{
	struct rng *r = &w->r;
	struct spool_accept a = {
		.fd = rand_listener(r, pool),
		.max_conns = rand_count(r, 16),
		.reserved = rand_reserved(r),
	};
	const char *ckind, *kind;
	int ro;
	void *p;
	long ret;
	int err;
	char desc[200];

	a.flags = rand_accept_flags(r, &a.reg_events, &a.reg_flags);
	a.conns = hostile_ptr(r, w->conns, MAXITEMS * sizeof(*w->conns),
			      (size_t)a.max_conns * sizeof(*w->conns), &ckind);
	p = arg_place(w, &a, sizeof(a), &kind, &ro);
	ret = ioctl(pool, SPOOL_IOC_ACCEPT, p);
	err = errno;
	arg_done(w, ro);
	snprintf(desc, sizeof(desc),
		 "arg %s, fd %d max_conns %u conns %s flags %#x reg_events %#x reg_flags %#x reserved %#x",
		 kind, a.fd, a.max_conns, ckind, a.flags, a.reg_events, a.reg_flags, a.reserved);
	check_ret(C_ACCEPT, allowed[C_ACCEPT], ret, err, desc);
	if (ret == 0 || ret > (long)a.max_conns)
		failf(C_ACCEPT, "returned %ld; %s", ret, desc);
	if (ret > 0)
		take_conns(w, (struct spool_conn *)(uintptr_t)a.conns, ret,
			   !!(a.flags & SPOOL_ACCEPT_REGISTER));
}

/* Fills n iovs with random descriptors; returns n. */
static void fill_iovs(struct worker *w, struct spool_iov *iov, unsigned int n, int pool)
{
	struct rng *r = &w->r;

	for (unsigned int i = 0; i < n; i++) {
		const char *k;
		__u32 len = rand_len(r);

		iov[i].fd = rand_fd(r, pool);
		iov[i].flags = rand_reserved(r);
		iov[i].len = len;
		iov[i].buf = hostile_ptr(r, w->data, DATA_LEN, len, &k);
		iov[i].result = 0x7eadbeef;
	}
}

/* Checks the results of n iovs that the module processed. */
static void check_iovs(struct spool_iov *uiov, unsigned int n, int send, const char *call)
{
	for (unsigned int i = 0; i < n; i++) {
		struct spool_iov v;
		char desc[160];

		memcpy(&v, &uiov[i], sizeof(v));
		snprintf(desc, sizeof(desc), "%s iov[%u] fd %d len %u buf %#llx result %d flags %#x",
			 call, i, v.fd, v.len, (unsigned long long)v.buf, v.result, v.flags);
		if (v.result == 0x7eadbeef) {
			failf(C_R_IOV, "result not written: %s", desc);
			continue;
		}
		check_item(C_R_IOV, allow_r_iov, v.result, desc);
		if (v.result > 0 && (__u32)v.result > v.len)
			failf(C_R_IOV, "result above len: %s", desc);
		if (send && v.result == 0)
			failf(C_R_IOV, "send result 0: %s", desc);
		if (v.flags != (!send && v.result == 0 ? SPOOL_IOV_EOF : 0))
			failf(C_R_IOV, "flags: %s", desc);
	}
}

static void op_rw(struct worker *w, int pool, int send)
{
	struct rng *r = &w->r;
	unsigned int n = rand_count(r, 16), p = rn(r, 100);
	size_t count;
	const char *kind = "valid";
	__u64 ptr;
	long ret;
	int err, ro = 0;
	char desc[160];

	if (n > MAXITEMS)
		n = MAXITEMS;
	count = (size_t)n * sizeof(struct spool_iov);
	if (p < 5)
		count += 1 + rn(r, 23);			/* not a multiple */
	else if (p < 8)
		count = (size_t)rnd(r) >> rn(r, 64);	/* huge */
	else if (p < 10)
		count = 0;
	fill_iovs(w, w->iov, n, pool);
	ptr = hostile_ptr(r, w->iov, MAXITEMS * sizeof(*w->iov), count, &kind);
	if (!strcmp(kind, "valid") || !strcmp(kind, "unaligned") || !strcmp(kind, "short")) {
		kind = "valid";
		ptr = U64(w->iov);	/* where fill_iovs() put them */
	}
	if (!strcmp(kind, "valid") && chance(r, 5)) {
		/* The array in a read-only page: the results cannot go back. */
		unsigned int m = n < PAGE / sizeof(struct spool_iov) ? n : 1;

		memcpy(w->ropage, w->iov, m * sizeof(struct spool_iov));
		mprotect(w->ropage, PAGE, PROT_READ);
		ro = 1;
		kind = "read-only";
		ptr = U64(w->ropage);
		count = m * sizeof(struct spool_iov);
	}
	ret = send ? write(pool, (void *)(uintptr_t)ptr, count)
		   : read(pool, (void *)(uintptr_t)ptr, count);
	err = errno;
	arg_done(w, ro);
	snprintf(desc, sizeof(desc), "array %s n %u count %zu", kind, n, count);
	check_ret(send ? C_WRITE : C_READ, allow_rw, ret, err, desc);
	if (ret >= 0 && (size_t)ret != count)
		failf(send ? C_WRITE : C_READ, "returned %ld, count %zu; %s", ret, count, desc);
	if (ret > 0 && (ptr >= U64(w->iov) && ptr < U64(w->iov) + MAXITEMS * sizeof(*w->iov)))
		check_iovs((struct spool_iov *)(uintptr_t)ptr, count / sizeof(struct spool_iov),
			   send, send ? "write" : "read");
}

static void op_cycle(struct worker *w, int pool)
{
	struct rng *r = &w->r;
	struct spool_cycle c = {0};
	const char *kk[5], *kind;
	unsigned int nctl, nsend;
	int ro;
	void *p;
	long ret;
	int err;
	char desc[400];

	c.nr_ctl = chance(r, 50) ? 0 : rand_count(r, 8);
	c.nr_send = chance(r, 50) ? 0 : rand_count(r, 8);
	c.max_events = rand_count(r, 32);
	c.max_conns = chance(r, 30) ? 0 : rand_count(r, 8);
	c.arena_len = chance(r, 80) ? rn(r, 65536) :
		      chance(r, 50) ? (16u << 20) + rn(r, 2) : (__u32)rnd(r);
	c.recv_max = chance(r, 50) ? 0 : rand_len(r);
	c.timeout_ms = rand_timeout(r);
	c.accept_flags = rand_accept_flags(r, &c.accept_events, &c.accept_reg_flags);
	c.nr_conns = rand_reserved(r);
	c.arena_used = rand_reserved(r);
	c.flags = rand_reserved(r);
	c.reserved = rand_reserved(r);

	nctl = c.nr_ctl < MAXITEMS ? c.nr_ctl : MAXITEMS;
	nsend = c.nr_send < MAXITEMS ? c.nr_send : MAXITEMS;
	for (unsigned int i = 0; i < nctl; i++) {
		struct spool_ctl *x = &w->ctl[i];

		x->op = chance(r, 90) ? 1 + rn(r, 3) : (__u32)rnd(r) % 8;
		x->fd = rand_fd(r, pool);
		x->events = rand_events(r);
		x->flags = rand_regflags(r);
		x->cookie = rnd(r);
		x->reserved = rand_reserved(r);
		x->result = 0x7eadbeef;
		if (x->op == SPOOL_CTL_UNREGISTER && chance(r, 80))
			x->events = x->flags = 0, x->cookie = 0;
	}
	fill_iovs(w, w->iov, nsend, pool);
	c.ctl = hostile_ptr(r, w->ctl, MAXITEMS * sizeof(*w->ctl),
			    (size_t)c.nr_ctl * sizeof(*w->ctl), &kk[0]);
	/* Valid arrays start at our buffer so the entries we filled are used. */
	if (!strcmp(kk[0], "valid") || !strcmp(kk[0], "short"))
		c.ctl = U64(w->ctl);
	c.send = hostile_ptr(r, w->iov, MAXITEMS * sizeof(*w->iov),
			     (size_t)c.nr_send * sizeof(*w->iov), &kk[1]);
	if (!strcmp(kk[1], "valid") || !strcmp(kk[1], "short"))
		c.send = U64(w->iov);
	c.events = hostile_ptr(r, w->ev, MAXITEMS * sizeof(*w->ev),
			       (size_t)c.max_events * sizeof(*w->ev), &kk[2]);
	c.conns = hostile_ptr(r, w->conns, MAXITEMS * sizeof(*w->conns),
			      (size_t)c.max_conns * sizeof(*w->conns), &kk[3]);
	c.arena = hostile_ptr(r, w->arena, ARENA_LEN, c.arena_len, &kk[4]);

	p = arg_place(w, &c, sizeof(c), &kind, &ro);
	ret = ioctl(pool, SPOOL_IOC_CYCLE, p);
	err = errno;
	snprintf(desc, sizeof(desc),
		 "arg %s, ctl %s x%u, send %s x%u, events %s x%u, conns %s x%u, arena %s %u, "
		 "recv_max %u timeout %d accept_flags %#x events %#x reg_flags %#x reserved %#x",
		 kind, kk[0], c.nr_ctl, kk[1], c.nr_send, kk[2], c.max_events, kk[3],
		 c.max_conns, kk[4], c.arena_len, c.recv_max, c.timeout_ms, c.accept_flags,
		 c.accept_events, c.accept_reg_flags, c.reserved);
	check_ret(C_CYCLE, allowed[C_CYCLE], ret, err, desc);
	if (ret > (long)c.max_events)
		failf(C_CYCLE, "returned %ld > max_events; %s", ret, desc);

	/* Steps 1 and 2 are done when the call got past its checks. */
	if ((ret >= 0 || err == EINTR) && !ro && !strcmp(kind, "valid")) {
		if (c.nr_ctl && c.ctl == U64(w->ctl)) {
			for (unsigned int i = 0; i < nctl; i++) {
				struct spool_ctl x = w->ctl[i];
				char d[160];

				snprintf(d, sizeof(d), "ctl[%u] op %u fd %d events %#x flags %#x reserved %#x",
					 i, x.op, x.fd, x.events, x.flags, x.reserved);
				if (x.result == 0x7eadbeef)
					failf(C_R_CTL, "result not written: %s", d);
				else
					check_item(C_R_CTL, allow_r_ctl, x.result, d);
				if (x.result > 0 && x.result != 0x7eadbeef)
					failf(C_R_CTL, "positive result %d: %s", x.result, d);
			}
		}
		if (c.nr_send && c.send == U64(w->iov))
			check_iovs(w->iov, nsend, 1, "cycle send");
	}
	if (ret >= 0 && !ro && !strcmp(kind, "valid")) {
		struct spool_cycle out;
		int evok = !strcmp(kk[2], "valid") || !strcmp(kk[2], "unaligned");
		int cok = !strcmp(kk[3], "valid") || !strcmp(kk[3], "unaligned") ||
			  !strcmp(kk[3], "short");

		memcpy(&out, p, sizeof(out));
		if (out.arena_used > c.arena_len || out.nr_conns > c.max_conns ||
		    (out.flags & ~SPOOL_WAIT_WOKEN))
			failf(C_CYCLE, "out fields: arena_used %u nr_conns %u flags %#x; %s",
			      out.arena_used, out.nr_conns, out.flags, desc);
		if (evok)
			check_events((struct spool_event *)(uintptr_t)c.events, ret, 1,
				     out.arena_used, out.nr_conns, c.max_conns, "CYCLE");
		if (out.nr_conns && cok)
			take_conns(w, (struct spool_conn *)(uintptr_t)c.conns,
				   out.nr_conns, !!(c.accept_flags & SPOOL_ACCEPT_REGISTER));
		else if (out.nr_conns)
			failf(C_CYCLE, "nr_conns %u with a bad conns pointer succeeded; %s",
			      out.nr_conns, desc);
	}
	arg_done(w, ro);
}

static void op_wake(struct worker *w, int pool)
{
	long ret = ioctl(pool, SPOOL_IOC_WAKE, chance(&w->r, 90) ? 0 : rnd(&w->r));

	check_ret(C_WAKE, allowed[C_WAKE], ret, errno, "WAKE");
	if (ret > 0)
		failf(C_WAKE, "returned %ld", ret);
}

/* An ioctl command the pool does not know; never a generic VFS one. */
static unsigned long rand_unknown_cmd(struct rng *r)
{
	static const unsigned long near[] = {
		_IOWR(SPOOL_IOC_MAGIC, 0x01, struct spool_reg),
		_IOR(SPOOL_IOC_MAGIC, 0x04, struct spool_wait),
		_IOW(SPOOL_IOC_MAGIC, 0x06, struct spool_cycle),
		_IO(SPOOL_IOC_MAGIC, 0x00),
		_IOR(SPOOL_IOC_MAGIC, 0x00, int),
		_IO(SPOOL_IOC_MAGIC, 0x08),
		_IOWR(SPOOL_IOC_MAGIC, 0xff, struct spool_cycle),
	};

	for (;;) {
		unsigned long cmd;

		switch (rn(r, 3)) {
		case 0: cmd = near[rn(r, ARRAY_SIZE(near))]; break;
		case 1: cmd = _IOC(rn(r, 4), SPOOL_IOC_MAGIC, 8 + rn(r, 248), rn(r, 1 << 14)); break;
		default: cmd = (__u32)rnd(r); break;
		}
		/* Skip the types do_vfs_ioctl() handles itself. */
		switch (_IOC_TYPE(cmd)) {
		case 0x00: case 'f': case 'X': case 'T': case 0x94: case 0x15:
			continue;
		}
		if (_IOC_TYPE(cmd) == SPOOL_IOC_MAGIC && _IOC_NR(cmd) <= 7 &&
		    (cmd == SPOOL_IOC_VERSION || cmd == SPOOL_IOC_REGISTER ||
		     cmd == SPOOL_IOC_MODIFY || cmd == SPOOL_IOC_UNREGISTER ||
		     cmd == SPOOL_IOC_WAIT || cmd == SPOOL_IOC_ACCEPT ||
		     cmd == SPOOL_IOC_CYCLE || cmd == SPOOL_IOC_WAKE))
			continue;
		return cmd;
	}
}

static void op_unknown(struct worker *w, int pool)
{
	unsigned long cmd = rand_unknown_cmd(&w->r);
	const char *k;
	__u64 arg = hostile_ptr(&w->r, w->argbuf, PAGE, 64, &k);
	long ret = ioctl(pool, cmd, (unsigned long)arg);
	int err = errno;
	char desc[64];

	snprintf(desc, sizeof(desc), "cmd %#lx arg %s", cmd, k);
	check_ret(C_UNKNOWN, allowed[C_UNKNOWN], ret, err, desc);
	if (ret >= 0)
		failf(C_UNKNOWN, "succeeded (%ld); %s", ret, desc);
}

static void op_poll(struct worker *w, int pool)
{
	struct pollfd pfd[2] = {
		{ .fd = pool, .events = (short)(chance(&w->r, 80) ? POLLIN : rnd(&w->r)) },
		{ .fd = pools[rn(&w->r, NPOOL)].fd, .events = POLLIN | POLLOUT },
	};
	long ret = poll(pfd, 1, rn(&w->r, 3));
	int err = errno;

	check_ret(C_POLL, allowed[C_POLL], ret, err, "poll pool");
	if (ret > 0 && (pfd[0].revents & ~(POLLIN | POLLRDNORM)))
		failf(C_POLL, "revents %#x", pfd[0].revents);
}

/* Closes and re-opens a pool slot, if no other thread uses it right now. */
static void op_reopen(struct worker *w)
{
	struct pool_slot *s = &pools[rn(&w->r, NPOOL)];
	int fd, ret;

	if (pthread_rwlock_trywrlock(&s->lock))
		return;
	fd = s->fd;
	if (fd >= 0) {
		ret = close(fd);
		check_ret(C_CLOSE, allow_none, ret, errno, "close pool");
		note_closed(fd);
	}
	fd = open("/dev/spool", O_RDWR | (chance(&w->r, 50) ? O_CLOEXEC : 0) |
				(chance(&w->r, 30) ? O_NONBLOCK : 0));
	check_ret(C_OPEN, allow_open, fd, errno, "open /dev/spool");
	s->fd = fd;
	pthread_rwlock_unlock(&s->lock);
}

/* Table churn from a worker: close, reset, shutdown, dup2 over a number. */
static void op_table(struct worker *w)
{
	struct rng *r = &w->r;
	int i = rn(r, NOBJ), fd;

	switch (rn(r, 7)) {
	case 0:
		obj_close(i, 0);
		break;
	case 6:
		/*
		 * Rarely: no free fd for a moment, so that ACCEPT and the
		 * cycle's accept meet EMFILE (other threads' opens fail too).
		 */
		if (chance(r, 3)) {
			struct rlimit low = nofile;

			low.rlim_cur = 16 + rn(r, 64);
			setrlimit(RLIMIT_NOFILE, &low);
			usleep(2000);
			setrlimit(RLIMIT_NOFILE, &nofile);	/* the saved one: races restore it too */
		}
		break;
	case 1:
		obj_close(i, 1);	/* RST to the peer */
		break;
	case 2:
		fd = objs[i].fd;
		if (fd >= 0)
			shutdown(fd, rn(r, 3));
		break;
	case 3: {
		/* Reuse a number: dup2 another file onto slot i's fd. */
		int src = objs[rn(r, NOBJ)].fd;

		fd = atomic_exchange(&objs[i].fd, -1);
		if (fd < 0)
			break;
		if (src < 0 || dup3(src, fd, O_CLOEXEC) < 0) {
			close(fd);
			note_closed(fd);
			break;
		}
		objs[i].kind = K_ACCEPTED;
		atomic_store(&objs[i].fd, fd);
		break;
	}
	default:
		obj_make(r);
		break;
	}
}

/* A child of a fork uses the parent's pool: everything but poll and close
 * must fail with EBADFD. */
static atomic_int forks_left = 3;

static void op_fork(struct worker *w, int pool)
{
	pid_t pid;
	int status;

	if (atomic_fetch_sub(&forks_left, 1) <= 0)
		return;
	pid = fork();
	if (pid == 0) {
		struct spool_version v;
		struct spool_reg reg = { .fd = 0, .events = SPOOL_IN };
		struct spool_event ev[4];
		struct spool_wait wt = { .events = U64(ev), .max_events = 4 };
		struct spool_iov iov = { .fd = 0, .buf = U64(&v), .len = 4 };
		struct pollfd pfd = { .fd = pool, .events = POLLIN };
		int bad = 0;

		bad |= !(ioctl(pool, SPOOL_IOC_VERSION, &v) == -1 && errno == EBADFD) << 0;
		bad |= !(ioctl(pool, SPOOL_IOC_REGISTER, &reg) == -1 && errno == EBADFD) << 1;
		bad |= !(ioctl(pool, SPOOL_IOC_WAIT, &wt) == -1 && errno == EBADFD) << 2;
		bad |= !(ioctl(pool, SPOOL_IOC_WAKE, 0) == -1 && errno == EBADFD) << 3;
		bad |= !(read(pool, &iov, sizeof(iov)) == -1 && errno == EBADFD) << 4;
		bad |= !(write(pool, &iov, sizeof(iov)) == -1 && errno == EBADFD) << 5;
		bad |= !(poll(&pfd, 1, 0) >= 0) << 6;
		bad |= !(close(pool) == 0) << 7;
		_exit(bad);
	}
	if (pid < 0)
		return;
	iters[C_FORK]++;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		failf(C_FORK, "child status %#x (bit 0 VERSION, 1 REGISTER, 2 WAIT, "
		      "3 WAKE, 4 read, 5 write: not EBADFD; 6 poll, 7 close failed)",
		      status);
	(void)w;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct rng *r = &w->r;

	while (!stop) {
		unsigned int p = rn(r, 1000);
		struct pool_slot *s;

		if (p < 40) {
			op_table(w);
			continue;
		}
		if (p < 43) {
			op_reopen(w);
			continue;
		}
		s = &pools[rn(r, NPOOL)];
		if (pthread_rwlock_tryrdlock(&s->lock))
			continue;
		if (s->fd < 0) {
			pthread_rwlock_unlock(&s->lock);
			continue;
		}
		if (p < 60)
			op_version(w, s->fd);
		else if (p < 280)
			op_reg(w, s->fd, C_REGISTER);
		else if (p < 360)
			op_reg(w, s->fd, C_MODIFY);
		else if (p < 430)
			op_reg(w, s->fd, C_UNREGISTER);
		else if (p < 520)
			op_wait(w, s->fd);
		else if (p < 600)
			op_accept(w, s->fd);
		else if (p < 760)
			op_cycle(w, s->fd);
		else if (p < 790)
			op_wake(w, s->fd);
		else if (p < 810)
			op_unknown(w, s->fd);
		else if (p < 880)
			op_rw(w, s->fd, 0);
		else if (p < 950)
			op_rw(w, s->fd, 1);
		else if (p < 999)
			op_poll(w, s->fd);
		else
			op_fork(w, s->fd);
		pthread_rwlock_unlock(&s->lock);
	}
	return NULL;
}

/* ---- helpers: connections, data, wakes and signals --------------------- */

static void *connector_main(void *arg)
{
	struct rng r = { .s = (uint64_t)(uintptr_t)arg * 31 + 17 };
	char buf[8192];

	memset(buf, 'x', sizeof(buf));
	while (!stop) {
		int i = rn(&r, NOBJ), fd = objs[i].fd;

		switch (rn(&r, 10)) {
		case 0: case 1: case 2:
			obj_make(&r);
			break;
		case 3: case 4: case 5:
			/* Data for the receivers; fails harmlessly on non-sockets. */
			if (fd >= 0)
				send(fd, buf, 1 + rn(&r, sizeof(buf)), MSG_DONTWAIT | MSG_NOSIGNAL);
			break;
		case 6: case 7:
			/* Drain, so sends find room again. */
			if (fd >= 0)
				recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			break;
		case 8:
			if (fd >= 0 && chance(&r, 30))
				shutdown(fd, rn(&r, 3));
			break;
		default:
			if (chance(&r, 20))
				obj_close(i, chance(&r, 50));
			break;
		}
		if (rn(&r, 64) == 0)
			usleep(100);
	}
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

/* Wakes pools and interrupts workers, so that no wait sleeps for long. */
static void *waker_main(void *arg)
{
	struct rng r = { .s = 99 };

	(void)arg;
	while (!stop) {
		struct pool_slot *s = &pools[rn(&r, NPOOL)];

		usleep(2000 + rn(&r, 20000));
		if (!pthread_rwlock_tryrdlock(&s->lock)) {
			if (s->fd >= 0)
				ioctl(s->fd, SPOOL_IOC_WAKE, 0);
			pthread_rwlock_unlock(&s->lock);
		}
		if (chance(&r, 30))
			pthread_kill(workers[rn(&r, nworkers)].thread, SIGUSR1);
	}
	return NULL;
}

/* ---- main ------------------------------------------------------------------ */

static int passed, failed;

static void result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - fuzz: ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (ok)
		passed++;
	else
		failed++;
}

int main(int argc, char **argv)
{
	unsigned long seed = 1, duration = 10;
	int nthreads = 4, opt, fd;
	pthread_t conn_thr[2], waker;
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec t0, t1;

	while ((opt = getopt(argc, argv, "s:d:t:v")) != -1) {
		switch (opt) {
		case 's': seed = strtoul(optarg, NULL, 0); break;
		case 'd': duration = strtoul(optarg, NULL, 0); break;
		case 't': nthreads = atoi(optarg); break;
		case 'v': verbose = 1; break;
		default:
			fprintf(stderr, "usage: %s [-s SEED] [-d SECONDS] [-t THREADS] [-v]\n", argv[0]);
			return 2;
		}
	}
	if (nthreads < 1)
		nthreads = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	{
		if (!getrlimit(RLIMIT_NOFILE, &nofile)) {
			nofile.rlim_cur = nofile.rlim_max;
			setrlimit(RLIMIT_NOFILE, &nofile);
			/* What took effect (rlim_max may exceed fs.nr_open). */
			getrlimit(RLIMIT_NOFILE, &nofile);
		}
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGUSR1, &sa, NULL);		/* no SA_RESTART: EINTR */
	{
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
	}

	fd = open("/dev/spool", O_RDWR);
	if (fd < 0) {
		perror("/dev/spool");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	close(fd);

	none_page = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = mkstemp(regular_path);
	if (fd >= 0) {
		write(fd, "regular file\n", 13);
		close(fd);
	}
	hl4 = loopback_listen(AF_INET, 512, SOCK_NONBLOCK | SOCK_CLOEXEC, NULL);
	hl6 = loopback_listen(AF_INET6, 512, SOCK_NONBLOCK | SOCK_CLOEXEC, NULL);
	lport4 = sock_local_port(hl4);
	lport6 = sock_local_port(hl6);
	for (int i = 0; i < NOBJ; i++)
		objs[i].fd = -1;
	for (int i = 0; i < NCLOSED; i++)
		closed_fds[i] = 1000 + i;
	for (int i = 0; i < NPOOL; i++) {
		pthread_rwlock_init(&pools[i].lock, NULL);
		pools[i].fd = open("/dev/spool", O_RDWR);
	}
	{
		struct rng r = { .s = seed * 1000003 + 5 };

		for (int i = 0; i < NOBJ; i++)
			obj_make(&r);
	}

	printf("# spool_fuzz: seed %lu, %lu s, %d worker threads\n", seed, duration, nthreads);
	nworkers = nthreads;
	workers = calloc(nthreads, sizeof(*workers));
	for (int i = 0; i < nthreads; i++)
		worker_init(&workers[i], i, seed);
	/* The fork check once before the threads start, too. */
	op_fork(&workers[0], pools[0].fd);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < nthreads; i++)
		pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
	for (int i = 0; i < 2; i++)
		pthread_create(&conn_thr[i], NULL, connector_main, (void *)(uintptr_t)(seed + i));
	pthread_create(&waker, NULL, waker_main, NULL);

	for (unsigned long s = 0; s < duration; s++) {
		sleep(1);
		if (s % 30 == 29) {
			unsigned long tot = 0;

			for (int c = 0; c < C_NR; c++)
				tot += iters[c];
			printf("# %lu s: %lu calls\n", s + 1, tot);
		}
	}
	stop = 1;
	/*
	 * The waker first: it signals workers with pthread_kill(), which must
	 * not reach a thread that the loop below has joined already (its
	 * descriptor is gone; that crashed the fuzzer in libc at the end of a
	 * run).
	 */
	pthread_join(waker, NULL);
	/* Workers may sleep in WAIT/CYCLE with timeout -1: wake them. */
	for (int i = 0; i < nthreads; i++) {
		struct timespec ts;

		for (;;) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 50 * 1000000;
			if (ts.tv_nsec >= 1000000000)
				ts.tv_sec++, ts.tv_nsec -= 1000000000;
			if (!pthread_timedjoin_np(workers[i].thread, NULL, &ts))
				break;
			pthread_kill(workers[i].thread, SIGUSR1);
		}
	}
	for (int i = 0; i < 2; i++)
		pthread_join(conn_thr[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	for (int i = 0; i < NOBJ; i++)
		obj_close(i, 0);
	for (int i = 0; i < NPOOL; i++)
		if (pools[i].fd >= 0)
			close(pools[i].fd);
	close(hl4);
	close(hl6);
	unlink(regular_path);

	{
		unsigned long tot = 0;

		for (int c = 0; c < C_NR; c++)
			tot += iters[c];
		printf("# %lu checked calls and results in %.1f s\n", tot,
		       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	for (int c = 0; c < C_NR; c++) {
		char errs[512] = "";
		size_t off = 0;

		for (int e = 1; e < 134; e++)
			if (noted_errs[c][e] && off < sizeof(errs) - 40)
				off += snprintf(errs + off, sizeof(errs) - off, " %s:%lu",
						strerrorname_np(e) ? strerrorname_np(e) : "?",
						noted_errs[c][e]);
		printf("# %-14s %9lu%s%s\n", call_name[c], iters[c], off ? "  errors" : "", errs);
	}
	for (int c = 0; c < C_NR; c++) {
		if (fails[c])
			result(0, "%s: %lu undocumented results in %lu", call_name[c], fails[c], iters[c]);
		else if (!iters[c])
			result(0, "%s: never exercised", call_name[c]);
		else
			result(1, "%s: %lu, all documented", call_name[c], iters[c]);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
