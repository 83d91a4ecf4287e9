/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report of the stand-alone test programs (isolation, and the fuzz
 * directory's cycles): one "ok - NAME: ..." or "not ok - NAME: ..." line
 * per check, and "N passed, N failed" at the end, the lines kmod/vm's
 * scripts count. The selftests proper report through harness.h.
 *
 * A program defines TAP_NAME before it includes this header.
 */
#ifndef SPOOL_TAP_H
#define SPOOL_TAP_H

#include <stdarg.h>
#include <stdio.h>

#ifndef TAP_NAME
#error "define TAP_NAME, the prefix of the program's ok lines"
#endif

static int passed, failed;

static void __attribute__((format(printf, 2, 3))) result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - " TAP_NAME ": ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
}

/* Prints the count; the exit status: 1 if a check failed, else 0. */
static int finish(void)
{
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#endif
