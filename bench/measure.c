/* measure [-t MiB] [-i FILE] [-o FILE | -l FILE] -- COMMAND... - runs COMMAND once and
 * prints "WALL_SECONDS MAXRSS_KIB STATUS CPU_SECONDS" on stdout.
 *
 * The wall time runs from just before fork to the reaping of the child
 * (CLOCK_MONOTONIC); the peak RSS is the largest of the command and its
 * descendants (getrusage's RUSAGE_CHILDREN, what `/usr/bin/time -v` shows),
 * so for `sh -c "curl | tar"` it is the biggest process of the pipeline;
 * the CPU time is user + system of the whole tree, less sensitive than the
 * wall time to other work on the machine.
 *
 * -t MiB: before starting the clock, touch and free that much memory.  On
 * these VMs memory left free for ~2 s goes back to the host, and touching it
 * again is several times slower; a run that writes a 100 MB tree into the
 * page cache would otherwise be timed partly on host page faults.
 * -i FILE: the child's stdin (default /dev/null).  -o FILE: its stdout
 * (default /dev/null); stderr is inherited.  -l FILE: stdout and stderr go
 * through a pipe into FILE, each line prefixed with the seconds since the
 * start ("%.6f "), to time the phases of a build from its log.  The status
 * is the exit status,
 * or 128+N for signal N; measure itself exits 0 unless it failed to run. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: measure [-t MiB] [-i FILE] [-o FILE | -l FILE] "
	    "-- COMMAND...\n");
	exit(2);
}

/* Faults in n MiB of fresh anonymous memory, then gives it back to the
 * kernel, which keeps the (now host-backed) pages on its free lists. */
static int
touch_memory(long mib)
{
	size_t len = (size_t)mib << 20;
	char *p;

	if (mib <= 0)
		return 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	/* MAP_POPULATE may map the shared zero page on some kernels: write. */
	for (size_t o = 0; o < len; o += 4096)
		p[o] = 1;
	munmap(p, len);
	return 0;
}

static double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Copies the pipe to f, each line stamped when it arrives. */
static int
stamp_lines(int fd, FILE *f, const struct timespec *t0)
{
	char buf[1 << 16];
	bool bol = true;
	double t;
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		t = since(t0);
		for (ssize_t i = 0; i < n; i++) {
			if (bol)
				fprintf(f, "%.6f ", t);
			putc(buf[i], f);
			bol = buf[i] == '\n';
		}
	}
	if (!bol)
		putc('\n', f);
	return fflush(f) == EOF ? -1 : 0;
}

static int
redirect(const char *path, int fd, int flags)
{
	int f = open(path, flags, 0644);

	if (f == -1)
		return -1;
	if (f != fd) {
		if (dup2(f, fd) == -1)
			return -1;
		close(f);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *in = "/dev/null", *out = "/dev/null", *logpath = NULL;
	FILE *log = NULL;
	int lp[2] = { -1, -1 };
	struct timespec t0, t1;
	struct rusage ru;
	long mib = 0;
	int c, status, rc;
	pid_t pid;

	while ((c = getopt(argc, argv, "+t:i:o:l:")) != -1) {
		switch (c) {
		case 't':
			mib = strtol(optarg, NULL, 10);
			break;
		case 'i':
			in = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'l':
			logpath = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	if (logpath != NULL && ((log = fopen(logpath, "w")) == NULL ||
	    pipe(lp) == -1)) {
		perror(logpath);
		return 1;
	}
	if (touch_memory(mib) == -1) {
		perror("measure: touch memory");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) == -1) {
		perror("measure: fork");
		return 1;
	}
	if (pid == 0) {
		if (redirect(in, 0, O_RDONLY) == -1 || (log == NULL &&
		    redirect(out, 1, O_WRONLY | O_CREAT | O_TRUNC) == -1) ||
		    (log != NULL && (dup2(lp[1], 1) == -1 ||
		    dup2(lp[1], 2) == -1))) {
			perror("measure: redirect");
			_exit(126);
		}
		if (log != NULL) {
			close(lp[0]);
			close(lp[1]);
		}
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "measure: exec %s: %s\n", argv[optind],
		    strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (log != NULL) {
		close(lp[1]);
		if (stamp_lines(lp[0], log, &t0) == -1 || fclose(log) == EOF) {
			perror(logpath);
			return 1;
		}
		close(lp[0]);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			perror("measure: waitpid");
			return 1;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (getrusage(RUSAGE_CHILDREN, &ru) == -1) {
		perror("measure: getrusage");
		return 1;
	}
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("%.6f %ld %d %.6f\n", (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, ru.ru_maxrss, rc,
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	return fclose(stdout) == EOF ? 1 : 0;
}
