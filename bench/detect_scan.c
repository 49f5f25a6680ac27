/* detect_scan DIR N - detect's own work, without starting a process: N
 * rounds, each timing solution_any(DIR) (what bin/detect calls) and then
 * glob(3) for DIR's *.sln files (what bash expands for the bash buildpack's
 * ls), then the kernel listing DIR alone: getdents64 into one 1 MiB buffer,
 * no names looked at.  Prints "MED MIN MAX GMED GMIN GMAX KMED KMIN KMAX" in
 * seconds: solution_any's figures, glob's, then the listing's, the floor of
 * any scan of DIR.  The directory is read through the dentry cache
 * after the first round, as it is when a platform runs detect right after
 * the checkout.  Built with musl, as bin/detect is (see the Makefile). */
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "monoapp/solution.h"

#define ROUNDS_MAX 10000
#define LIST_BUF (1 << 20)

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds the kernel takes to list dir: open, getdents64 until the end,
 * close; -1 on an error. */
static double
list_dir(const char *dir, char *buf)
{
	double t = now();
	long n;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = syscall(SYS_getdents64, fd, buf, LIST_BUF)) > 0)
		;
	close(fd);
	return n == 0 ? now() - t : -1;
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
	printf("%.6f %.6f %.6f",
	    n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0], v[n - 1]);
}

int
main(int argc, char **argv)
{
	static double ts[ROUNDS_MAX], tg[ROUNDS_MAX], tk[ROUNDS_MAX];
	static char buf[LIST_BUF];
	struct errbuf e = {""};
	char pattern[4096];
	glob_t g;
	bool found;
	double t;
	int n;

	if (argc != 3 || (n = atoi(argv[2])) < 1 || n > ROUNDS_MAX) {
		fprintf(stderr, "usage: detect_scan DIR N (1..%d)\n",
		    ROUNDS_MAX);
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
		if ((tk[i] = list_dir(argv[1], buf)) < 0) {
			perror(argv[1]);
			return 1;
		}
	}
	print_stats(ts, n);
	putchar(' ');
	print_stats(tg, n);
	putchar(' ');
	print_stats(tk, n);
	putchar('\n');
	return fclose(stdout) == 0 ? 0 : 1;
}
