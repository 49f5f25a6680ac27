/* detect_scan DIR N - detect's own work, without starting a process: N
 * rounds, each timing solution_any(DIR) (what bin/detect calls) and then
 * glob(3) for DIR's *.sln files (what bash expands for the bash buildpack's
 * ls), and prints "MED MIN MAX GMED GMIN GMAX" in seconds: solution_any's
 * figures, then glob's.  The directory is read through the dentry cache
 * after the first round, as it is when a platform runs detect right after
 * the checkout.  Built with musl, as bin/detect is (see the Makefile). */
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "err.h"
#include "solution.h"

#define ROUNDS_MAX 10000

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
print_stats(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	printf("%.6f %.6f %.6f", n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2,
	    v[0], v[n - 1]);
}

int
main(int argc, char **argv)
{
	static double ts[ROUNDS_MAX], tg[ROUNDS_MAX];
	struct errbuf e = { "" };
	char pattern[4096];
	glob_t g;
	bool found;
	double t;
	int n;

	if (argc != 3 || (n = atoi(argv[2])) < 1 || n > ROUNDS_MAX) {
		fprintf(stderr, "usage: detect_scan DIR N (1..%d)\n", ROUNDS_MAX);
		return 2;
	}
	if (snprintf(pattern, sizeof pattern, "%s/*.sln", argv[1]) >=
	    (int)sizeof pattern) {
		fprintf(stderr, "detect_scan: path too long\n");
		return 2;
	}
	for (int i = 0; i < n; i++) {
		t = now();
		if (solution_any(argv[1], &found, &e) == -1) {
			fprintf(stderr, "detect_scan: %s\n", e.msg);
			return 1;
		}
		ts[i] = now() - t;
		t = now();
		glob(pattern, 0, NULL, &g);
		globfree(&g);
		tg[i] = now() - t;
	}
	print_stats(ts, n);
	putchar(' ');
	print_stats(tg, n);
	putchar('\n');
	return fclose(stdout) == 0 ? 0 : 1;
}
