/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - a tiny kselftest-like test harness.
 *
 *   TEST(name) { ... }              registers a test (60 s timeout)
 *   TEST_TIMEOUT(name, secs) { ... } the same with its own timeout
 *
 * Every test runs in a forked child in its own process group, so a crash,
 * a leaked fd, a stray child or an ASSERT failure stays contained.  The
 * parent kills the group when the test returns or its timeout passes.
 * ASSERT_* fail the test and end it at once; EXPECT_* fail it and go on.
 * A failure in any process of the test's group counts: the verdict lives
 * in memory shared by the whole run.
 *
 * Output:  ok N name
 *          not ok N name # reason (file:line)
 *          N passed, N failed
 * Arguments: substrings selecting tests by name; -l lists the names.
 * HARNESS_TIMEOUT_SCALE (environment; a number >= 1, default 1) multiplies
 * every test's timeout, for kernels much slower than Debian's (make
 * check-sanitize's KASAN and lockdep under TCG); what a test checks stays
 * the same.
 *
 * Exactly one translation unit defines HARNESS_MAIN before including this
 * file; it gets the implementation and main(), which calls the optional
 * harness_precheck() hook set by the tests.
 */
#ifndef SPOOL_SELFTEST_HARNESS_H
#define SPOOL_SELFTEST_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HARNESS_DEFAULT_TIMEOUT	60

struct harness_test {
	const char *name;
	void (*fn)(void);
	int timeout;
	struct harness_test *next;
};

void harness_register(struct harness_test *t);
void harness_mark(const char *file, int line);
void harness_fail(int fatal, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void harness_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *harness_errname(int err);

/*
 * Set by a test file's constructor: returns NULL when the tests can run,
 * else one line saying why not; every test then fails with that line.
 */
extern const char *(*harness_precheck)(void);

#define TEST_TIMEOUT(name, secs)					\
	static void test_##name(void);					\
	static struct harness_test harness_test_##name = {		\
		#name, test_##name, (secs), NULL			\
	};								\
	__attribute__((constructor)) static void harness_reg_##name(void) \
	{								\
		harness_register(&harness_test_##name);			\
	}								\
	static void test_##name(void)

#define TEST(name) TEST_TIMEOUT(name, HARNESS_DEFAULT_TIMEOUT)

/* Compare as long long: avoids sign-compare noise, exact for our values. */
#define HARNESS_CMP(fatal, a, op, b) do {				\
	long long _ha = (long long)(a), _hb = (long long)(b);		\
	int _he = errno;						\
	harness_mark(__FILE__, __LINE__);				\
	if (!(_ha op _hb))						\
		harness_fail(fatal, __FILE__, __LINE__,			\
			     "%s %s %s: %lld vs %lld%s%s", #a, #op, #b,	\
			     _ha, _hb, _he ? ", errno " : "",		\
			     _he ? harness_errname(_he) : "");		\
} while (0)

#define HARNESS_BOOL(fatal, c, want) do {				\
	int _hc = !!(c), _he = errno;					\
	harness_mark(__FILE__, __LINE__);				\
	if (_hc != (want))						\
		harness_fail(fatal, __FILE__, __LINE__,			\
			     "%s is %s%s%s", #c, _hc ? "true" : "false", \
			     _he ? ", errno " : "",			\
			     _he ? harness_errname(_he) : "");		\
} while (0)

/* expr must be -1 with errno == err. */
#define HARNESS_ERRNO(fatal, expr, err) do {				\
	long long _hr;							\
	int _he;							\
	errno = 0;							\
	_hr = (long long)(expr);					\
	_he = errno;							\
	harness_mark(__FILE__, __LINE__);				\
	if (_hr != -1 || _he != (err))					\
		harness_fail(fatal, __FILE__, __LINE__,			\
			     "%s: want -1/%s, got %lld/%s", #expr,	\
			     harness_errname(err), _hr,			\
			     _hr == -1 ? harness_errname(_he) : "-");	\
} while (0)

#define ASSERT_EQ(a, b)		HARNESS_CMP(1, a, ==, b)
#define ASSERT_NE(a, b)		HARNESS_CMP(1, a, !=, b)
#define ASSERT_LT(a, b)		HARNESS_CMP(1, a, <, b)
#define ASSERT_LE(a, b)		HARNESS_CMP(1, a, <=, b)
#define ASSERT_GT(a, b)		HARNESS_CMP(1, a, >, b)
#define ASSERT_GE(a, b)		HARNESS_CMP(1, a, >=, b)
#define ASSERT_TRUE(c)		HARNESS_BOOL(1, c, 1)
#define ASSERT_FALSE(c)		HARNESS_BOOL(1, c, 0)
#define ASSERT_ERRNO(expr, err)	HARNESS_ERRNO(1, expr, err)
#define EXPECT_EQ(a, b)		HARNESS_CMP(0, a, ==, b)
#define EXPECT_NE(a, b)		HARNESS_CMP(0, a, !=, b)
#define EXPECT_LT(a, b)		HARNESS_CMP(0, a, <, b)
#define EXPECT_LE(a, b)		HARNESS_CMP(0, a, <=, b)
#define EXPECT_GT(a, b)		HARNESS_CMP(0, a, >, b)
#define EXPECT_GE(a, b)		HARNESS_CMP(0, a, >=, b)
#define EXPECT_TRUE(c)		HARNESS_BOOL(0, c, 1)
#define EXPECT_FALSE(c)		HARNESS_BOOL(0, c, 0)
#define EXPECT_ERRNO(expr, err)	HARNESS_ERRNO(0, expr, err)
#define FAIL(...)		harness_fail(1, __FILE__, __LINE__, __VA_ARGS__)

#ifdef HARNESS_MAIN

/* The verdict of the running test, shared by all processes of the run. */
struct harness_state {
	int failed;
	char reason[512];
	char last[160];
};

static struct harness_test *harness_head, **harness_tail = &harness_head;
static struct harness_state *harness_st;
static double harness_scale = 1;
const char *(*harness_precheck)(void);

void harness_register(struct harness_test *t)
{
	*harness_tail = t;
	harness_tail = &t->next;
}

void harness_mark(const char *file, int line)
{
	if (harness_st)
		snprintf(harness_st->last, sizeof(harness_st->last), "%s:%d",
			 file, line);
}

void harness_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

const char *harness_errname(int err)
{
	const char *s = err ? strerrorname_np(err) : "0";

	return s ? s : "?";
}

void harness_fail(int fatal, const char *file, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Every failure is a comment line; the first one is the reason. */
	printf("#   %s:%d: %s\n", file, line, msg);
	fflush(stdout);
	if (harness_st && !__atomic_exchange_n(&harness_st->failed, 1,
					       __ATOMIC_SEQ_CST))
		snprintf(harness_st->reason, sizeof(harness_st->reason),
			 "%s (%s:%d)", msg, file, line);
	if (fatal)
		_exit(1);
}

static int harness_selected(const char *name, int argc, char **argv)
{
	int i, any = 0;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		any = 1;
		if (strstr(name, argv[i]))
			return 1;
	}
	return !any;
}

static double harness_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs one test in a child; returns 1 if it passed. */
static int harness_run(struct harness_test *t)
{
	double limit = t->timeout * harness_scale, deadline;
	sigset_t chld;
	int status = 0, done = 0;
	pid_t pid;

	memset(harness_st, 0, sizeof(*harness_st));
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(harness_st->reason, sizeof(harness_st->reason),
			 "fork: %s", strerror(errno));
		return 0;
	}
	if (pid == 0) {
		setpgid(0, 0);
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		errno = 0;
		t->fn();
		fflush(stdout);
		_exit(harness_st->failed);
	}
	setpgid(pid, pid);
	deadline = harness_now() + limit;
	while (!done) {
		double left = deadline - harness_now();
		struct timespec ts;
		pid_t r;

		r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			done = 1;
			break;
		}
		if (left <= 0)
			break;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
		sigtimedwait(&chld, NULL, &ts);
	}
	/* Whatever the test left running in its group goes now. */
	kill(-pid, SIGKILL);
	if (!done) {
		waitpid(pid, &status, 0);
		if (!harness_st->failed)
			snprintf(harness_st->reason, sizeof(harness_st->reason),
				 "timeout after %.0f s (last check passed: %s)",
				 limit,
				 harness_st->last[0] ? harness_st->last : "none");
		harness_st->failed = 1;
	}
	/* Reap orphans of the test (we are their subreaper). */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (harness_st->failed)
		return 0;
	if (WIFSIGNALED(status)) {
		snprintf(harness_st->reason, sizeof(harness_st->reason),
			 "killed by signal %s (last check passed: %s)",
			 sigabbrev_np(WTERMSIG(status)) ?: "?",
			 harness_st->last[0] ? harness_st->last : "none");
		return 0;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(harness_st->reason, sizeof(harness_st->reason),
			 "exit status %d", WEXITSTATUS(status));
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	const char *why = NULL, *scale = getenv("HARNESS_TIMEOUT_SCALE");
	struct harness_test *t;
	int i, n = 0, passed = 0, failed = 0;
	sigset_t chld;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-l")) {
			for (t = harness_head; t; t = t->next)
				if (harness_selected(t->name, argc, argv))
					printf("%s\n", t->name);
			return 0;
		}
		if (argv[i][0] == '-') {
			fprintf(stderr, "usage: %s [-l] [name-substring...]\n",
				argv[0]);
			return 2;
		}
	}
	if (scale && *scale) {
		char *end;

		harness_scale = strtod(scale, &end);
		if (*end || !(harness_scale >= 1 && harness_scale <= 1000)) {
			fprintf(stderr, "HARNESS_TIMEOUT_SCALE '%s': want a number from 1 to 1000\n",
				scale);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	harness_st = mmap(NULL, sizeof(*harness_st), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (harness_st == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	if (harness_precheck)
		why = harness_precheck();
	if (why)
		harness_note("%s", why);
	if (harness_scale != 1)
		harness_note("time limits x%g (HARNESS_TIMEOUT_SCALE)", harness_scale);

	for (t = harness_head; t; t = t->next) {
		if (!harness_selected(t->name, argc, argv))
			continue;
		n++;
		if (why) {
			printf("not ok %d %s # %s\n", n, t->name, why);
			failed++;
		} else if (harness_run(t)) {
			printf("ok %d %s\n", n, t->name);
			passed++;
		} else {
			printf("not ok %d %s # %s\n", n, t->name,
			       harness_st->reason);
			failed++;
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#endif /* HARNESS_MAIN */
#endif /* SPOOL_SELFTEST_HARNESS_H */
