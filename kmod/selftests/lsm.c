// SPDX-License-Identifier: GPL-2.0
/*
 * lsm.c - selftests of batched accept under an LSM: a task that AppArmor
 * confines is refused (EPERM) by SPOOL_IOC_ACCEPT and by the cycle, before
 * any connection leaves the backlog, and gets the LSM's own EACCES from
 * accept4(2); an unconfined task accepts in batches; the module parameter
 * spool.unchecked_accept (unconfined, never, always) says whom the module
 * serves.  They need AppArmor active and the profile deny-accept.apparmor
 * loaded (kmod/vm/check-kmod.sh loads it with apparmor_parser).
 */
#include "spool_util.h"

#include <sys/syscall.h>

#define LSM_PROFILE	"spool-deny-accept"
#define LSM_PARAM	"/sys/module/spool/parameters/unchecked_accept"
#define LSM_N		4

/* Fails the test unless AppArmor is active and our profile is loaded. */
static void need_profile(void)
{
	char line[256];
	FILE *f = fopen("/sys/kernel/security/apparmor/profiles", "r");
	int found = 0;

	if (!f)
		FAIL("AppArmor inactive (no /sys/kernel/security/apparmor): %s",
		     strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, LSM_PROFILE " (", strlen(LSM_PROFILE) + 2))
			found = 1;
	fclose(f);
	if (!found)
		FAIL("profile %s not loaded (apparmor_parser -r deny-accept.apparmor)",
		     LSM_PROFILE);
}

/* This task's AppArmor context, as the module reads it. */
static void expect_context(const char *want)
{
	char ctx[256];

	ASSERT_GE(file_get("/proc/thread-self/attr/current", ctx,
			    sizeof(ctx)), 0);
	EXPECT_EQ(strncmp(ctx, want, strlen(want)), 0);
	if (strncmp(ctx, want, strlen(want)))
		harness_note("context '%s', want '%s'", ctx, want);
}

/* Confines this task (not its children to come: they inherit it). */
static void confine(void)
{
	ASSERT_EQ(file_put("/proc/thread-self/attr/current",
			    "changeprofile " LSM_PROFILE), 0);
	expect_context(LSM_PROFILE);
}

static void set_param(const char *v)
{
	ASSERT_EQ(file_put(LSM_PARAM, v), 0);
}

/* A listener with n connections queued; clients in cli[]. */
static int listen_queued(int *cli, int n)
{
	int port, lfd = tcp_listen(AF_INET, 16, &port), i;

	for (i = 0; i < n; i++)
		cli[i] = tcp_connect(AF_INET, port);
	wait_backlog(lfd, n);
	return lfd;
}

/*
 * Hands lfd to a child forked before the caller confined itself: on a byte
 * on the pipe it accepts in one batch, unconfined, and exits with the
 * number it got.  So the caller learns what its refusals left queued.
 */
struct witness {
	pid_t pid;
	int go;
};

static struct witness witness_start(int lfd)
{
	struct witness w;
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	w.pid = fork();
	ASSERT_GE(w.pid, 0);
	if (!w.pid) {
		struct spool_conn conns[LSM_N + 1];
		int pool, n;
		char c;

		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(100);
		pool = pool_open();
		n = spool_accept(pool, lfd, conns, LSM_N + 1, 0);
		_exit(n < 0 ? 100 + errno % 100 : n);
	}
	close(p[0]);
	w.go = p[1];
	return w;
}

/* The number of connections the witness found queued. */
static int witness_count(struct witness *w)
{
	int st;

	ASSERT_EQ(write(w->go, "x", 1), 1);
	close(w->go);
	ASSERT_EQ(waitpid(w->pid, &st, 0), w->pid);
	ASSERT_TRUE(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void close_all(int *fds, int n)
{
	while (n--)
		close(fds[n]);
}

/*
 * Under the deny-accept profile: batched accept and the cycle are refused
 * with EPERM, accept4(2) gets AppArmor's EACCES, and all connections stay
 * queued for an unconfined task to batch.
 */
TEST(lsm_confined_refused)
{
	int cli[LSM_N], lfd, pool, n;
	struct spool_conn conns[LSM_N];
	struct spool_event ev[2];
	struct spool_cycle c;
	struct witness w;

	need_profile();
	pool = pool_open();
	lfd = listen_queued(cli, LSM_N);
	ASSERT_EQ(spool_reg(pool, lfd, SPOOL_IN, SPOOL_F_ACCEPT, 7), 0);
	w = witness_start(lfd);
	confine();

	EXPECT_ERRNO(spool_accept(pool, lfd, conns, LSM_N, 0), EPERM);

	memset(&c, 0, sizeof(c));
	memset(ev, 0x5a, sizeof(ev));
	memset(conns, 0xff, sizeof(conns));
	c.events = U64(ev);
	c.max_events = 2;
	c.conns = U64(conns);
	c.max_conns = LSM_N;
	c.timeout_ms = 2000;
	n = ioctl(pool, SPOOL_IOC_CYCLE, &c);
	ASSERT_EQ(n, 1);
	EXPECT_EQ(ev[0].cookie, 7);
	EXPECT_TRUE(ev[0].events & SPOOL_IN);
	EXPECT_EQ(ev[0].flags, SPOOL_EV_ACCEPT);
	EXPECT_EQ(ev[0].result, -EPERM);
	EXPECT_EQ(c.nr_conns, 0);
	EXPECT_EQ(conns[0].fd, -1);

	/* The LSM's own verdict, as accept(2) gets it. */
	EXPECT_ERRNO(syscall(SYS_accept4, lfd, NULL, NULL, SOCK_NONBLOCK),
		     EACCES);

	EXPECT_EQ(witness_count(&w), LSM_N);
	close_all(cli, LSM_N);
	close(lfd);
	close(pool);
}

/* An unconfined task, AppArmor active: batches as before. */
TEST(lsm_unconfined_batches)
{
	int cli[LSM_N], lfd, pool;
	struct spool_conn conns[LSM_N + 1];

	need_profile();
	expect_context("unconfined");
	pool = pool_open();
	lfd = listen_queued(cli, LSM_N);
	ASSERT_EQ(spool_accept(pool, lfd, conns, LSM_N + 1, 0), LSM_N);
	close_all(cli, LSM_N);
	for (int i = 0; i < LSM_N; i++)
		close(conns[i].fd);
	close(lfd);
	close(pool);
}

/* unchecked_accept=never refuses an unconfined task too, taking nothing. */
TEST(lsm_param_never)
{
	int cli[LSM_N], lfd, pool, r, e;
	struct spool_conn conns[LSM_N + 1];
	char v[32];

	need_profile();
	pool = pool_open();
	lfd = listen_queued(cli, LSM_N);
	set_param("never");
	r = spool_accept(pool, lfd, conns, LSM_N + 1, 0);
	e = errno;
	file_get(LSM_PARAM, v, sizeof(v));
	set_param("unconfined");
	EXPECT_EQ(strcmp(v, "never"), 0);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(e, EPERM);
	EXPECT_EQ(listener_backlog(lfd), LSM_N);
	ASSERT_EQ(spool_accept(pool, lfd, conns, LSM_N + 1, 0), LSM_N);
	for (int i = 0; i < LSM_N; i++)
		close(conns[i].fd);
	close_all(cli, LSM_N);
	close(lfd);
	close(pool);
}

/* unchecked_accept=always serves a confined task: the admin's choice. */
TEST(lsm_param_always)
{
	int cli[LSM_N], lfd, pool, r, st;
	struct spool_conn conns[LSM_N + 1];
	pid_t pid;

	need_profile();
	lfd = listen_queued(cli, LSM_N);
	set_param("always");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		pool = pool_open();
		confine();
		r = spool_accept(pool, lfd, conns, LSM_N + 1, 0);
		_exit(r < 0 ? 100 + errno % 100 : r);
	}
	r = waitpid(pid, &st, 0);
	set_param("unconfined");
	ASSERT_EQ(r, pid);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), LSM_N);
	close_all(cli, LSM_N);
	close(lfd);
}

/* Only the three names set it; the value is kept on a bad one. */
TEST(lsm_param_bad)
{
	char v[32];

	EXPECT_EQ(file_put(LSM_PARAM, "sometimes"), -1);
	EXPECT_EQ(errno, EINVAL);
	ASSERT_GE(file_get(LSM_PARAM, v, sizeof(v)), 0);
	EXPECT_EQ(strcmp(v, "unconfined"), 0);
}
