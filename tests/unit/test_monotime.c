/* test_monotime.c - monotime_ms counts real milliseconds and never goes
 * back.  (Lower bounds only: a sleep lasts at least what was asked, so
 * nothing here depends on how busy the machine is.) */
#include <time.h>

#include "monotime.h"
#include "testhelp.h"

int
main(void)
{
	struct timespec nap = {0, 50 * 1000000L};
	int64_t a, b, prev;
	int i, backwards = 0;

	a = monotime_ms();
	TEST("the clock reads a non-negative time", a >= 0);
	nanosleep(&nap, NULL);
	b = monotime_ms();
	TEST("a 50 ms sleep advances it by at least 50", b - a >= 50);
	prev = b;
	for (i = 0; i < 100000; i++) {
		int64_t now = monotime_ms();
		if (now < prev)
			backwards++;
		prev = now;
	}
	TEST("100000 readings in a row never go back", backwards == 0);

	{
		double fa = monotime_msf(), fb;
		int64_t ms = monotime_ms();

		nanosleep(&nap, NULL);
		fb = monotime_msf();
		TEST("msf: the same clock as monotime_ms",
		    fa <= (double)ms + 1.0 && (double)ms <= fb);
		TEST("msf: a 50 ms sleep advances it by at least 50",
		    fb - fa >= 50.0);
	}
	return test_report();
}
