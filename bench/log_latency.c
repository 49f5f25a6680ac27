/* log_latency - how long a line a build tool prints takes to leave the
 * build log.
 *
 *   log_latency child N PAUSE_US
 *	writes N lines "seq CLOCK_MONOTONIC-ns" to stdout, one write(2) each,
 *	in bursts of BURST lines separated by PAUSE_US microseconds, the clock
 *	read just before each write (what a build tool printing does).
 *   log_latency relay N PAUSE_US
 *	compile's path: runs `log_latency child N PAUSE_US` with spawn_run,
 *	its output going through log_stream_on_line to stdout, exactly as
 *	src/mono/compile.c streams xbuild into the log.
 *   log_latency read -- COMMAND...
 *	runs COMMAND with its stdout on a pipe, stamps each line when it
 *	arrives, and prints "P50_MS P99_MS MAX_MS LINES MAXRSS_KIB" (latency
 *	from the child's clock read to arrival; RSS of COMMAND's tree).
 *	Leading blanks (the log's indent) are skipped before the numbers.
 *
 * The reference is `log_latency child N P | sed -u 's/^/       /'`, what bash
 * buildpacks do; both run under `read`. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "spawn.h"

#define BURST 8
#define MAX_LINES 100000

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
child(long n, long pause_us)
{
	struct timespec p = {pause_us / 1000000, (pause_us % 1000000) * 1000};
	char line[96];
	int len;

	for (long i = 0; i < n; i++) {
		/* Padded like a compiler's line, so the pipe sees real text. */
		len = snprintf(line, sizeof line,
		    "%ld %" PRIu64 " Compiling "
		    "Hello/Program.cs -> obj/Release/Hello.exe\n",
		    i, now_ns());
		if (write(1, line, (size_t)len) != len)
			return 1;
		if ((i + 1) % BURST == 0 && pause_us > 0)
			while (nanosleep(&p, &p) == -1 && errno == EINTR)
				;
	}
	return 0;
}

static int
relay(const char *n, const char *pause)
{
	/* Our own binary, whatever the cwd and PATH. */
	const char *self = "/proc/self/exe";
	struct log_stream ls = LOG_STREAM_INIT(stdout);
	struct spawn s = SPAWN_INIT;
	struct errbuf e = {""};
	const char *argv[] = {self, "child", n, pause, NULL};
	int st;

	/* As compile's main: the log is line buffered and streams. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	s.argv = argv;
	s.on_line = log_stream_on_line;
	s.arg = &ls;
	st = spawn_run(&s, &e);
	log_stream_finish(&ls);
	if (st == -1) {
		fprintf(stderr, "log_latency: %s\n", e.msg);
		return 1;
	}
	if (fclose(stdout) == EOF)
		return 1;
	return st;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const uint64_t *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return (double)v[i < n ? i : n - 1] / 1e6;
}

/* One line: "[blanks]seq stamp ...". */
static int
take_line(const char *s, uint64_t arrival, uint64_t *lat, size_t *n)
{
	unsigned long long seq, stamp;

	while (*s == ' ')
		s++;
	if (sscanf(s, "%llu %llu", &seq, &stamp) != 2 || *n >= MAX_LINES)
		return -1;
	lat[(*n)++] = arrival > stamp ? arrival - stamp : 0;
	return 0;
}

static int
reader(char **argv)
{
	static char buf[1 << 16];
	static uint64_t lat[MAX_LINES];
	char line[512];
	size_t n = 0, ll = 0;
	struct rusage ru;
	int fds[2], status;
	uint64_t t;
	ssize_t r;
	pid_t pid;

	if (pipe(fds) == -1 || (pid = fork()) == -1) {
		perror("log_latency");
		return 1;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	close(fds[1]);
	while ((r = read(fds[0], buf, sizeof buf)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			perror("log_latency: read");
			return 1;
		}
		t = now_ns();
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != '\n') {
				if (ll < sizeof line - 1)
					line[ll++] = buf[i];
				continue;
			}
			line[ll] = '\0';
			ll = 0;
			if (take_line(line, t, lat, &n) == -1) {
				fprintf(stderr, "log_latency: bad line '%s'\n",
				    line);
				return 1;
			}
		}
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	getrusage(RUSAGE_CHILDREN, &ru);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || n == 0) {
		fprintf(stderr, "log_latency: %s failed (%zu lines)\n", argv[0],
		    n);
		return 1;
	}
	qsort(lat, n, sizeof lat[0], cmp_u64);
	printf("%.3f %.3f %.3f %zu %ld\n", pct(lat, n, 0.50), pct(lat, n, 0.99),
	    (double)lat[n - 1] / 1e6, n, ru.ru_maxrss);
	return fclose(stdout) == EOF;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "child") == 0)
		return child(strtol(argv[2], NULL, 10),
		    strtol(argv[3], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "relay") == 0)
		return relay(argv[2], argv[3]);
	if (argc >= 4 && strcmp(argv[1], "read") == 0 &&
	    strcmp(argv[2], "--") == 0)
		return reader(argv + 3);
	fprintf(stderr,
	    "usage: log_latency child|relay N PAUSE_US\n"
	    "       log_latency read -- COMMAND...\n");
	return 2;
}
