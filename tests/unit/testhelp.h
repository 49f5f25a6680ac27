/* testhelp.h - a minimal unit test harness (in the spirit of redis'
 * testhelp.h).  Each test binary calls TEST(...) for every assertion and ends
 * with `return test_report();`, whose last line is "N passed, N failed" and
 * which the runner (tests/run) adds up. */
#ifndef SLUGC_TESTHELP_H
#define SLUGC_TESTHELP_H

#include <stdio.h>

static int test_passed, test_failed;

#define TEST(descr, cond)                                                      \
	do {                                                                   \
		if (cond) {                                                    \
			test_passed++;                                         \
			printf("ok - %s\n", descr);                            \
		} else {                                                       \
			test_failed++;                                         \
			printf("not ok - %s (%s:%d: %s)\n", descr, __FILE__,   \
			    __LINE__, #cond);                                  \
		}                                                              \
	} while (0)

static inline int
test_report(void)
{
	printf("%d passed, %d failed\n", test_passed, test_failed);
	fflush(stdout);
	return test_failed == 0 ? 0 : 1;
}

#endif
