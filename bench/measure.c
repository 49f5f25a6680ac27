/* measure [-t MiB] [-i FILE] [-o FILE | -l FILE] -- COMMAND... - runs COMMAND once and
 * prints "WALL_SECONDS MAXRSS_KIB STATUS CPU_SECONDS" on stdout.
 *
 * The wall time runs from just before the child is spawned to its reaping
 * (CLOCK_MONOTONIC).  The child is started with posix_spawn, as hyperfine -N
 * starts it, not with fork: on these VMs fork's copy and teardown of the
 * harness's own page tables take about 1.3 ms, charged to the child, and
 * would be timed as part of any millisecond command.  (src/lib is on the
 * quote path only, so <spawn.h> is the system's.)  The peak RSS is the
 * largest of the command and its descendants (getrusage's RUSAGE_CHILDREN,
 * what `/usr/bin/time -v` shows), so for `sh -c "curl | tar"` it is the
 * biggest process of the pipeline; as the child runs in measure's memory
 * until its exec, it is never below measure's own (about 1.2 MiB).  The CPU
 * time is user + system of the whole tree, less sensitive than the wall
 * time to other work on the machine.
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
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: measure [-t MiB] [-i FILE] [-o FILE | -l FILE] "
	    "-- COMMAND...\n");
	exit(2);
}

/* Faults in n MiB of fresh anonymous memory, then gives it back to the
 * kernel, which keeps the (now host-backed) pages on its free lists.  Our
 * peak RSS is reset afterwards: the spawned child runs in our memory until
 * its exec, which records our peak as the child's. */
static int
touch_memory(long mib)
{
	size_t len = (size_t)mib << 20;
	char *p;
	int fd;

	if (mib <= 0)
		return 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	/* MAP_POPULATE may map the shared zero page on some kernels: write. */
	for (size_t o = 0; o < len; o += 4096)
		p[o] = 1;
	if (munmap(p, len) == -1)
		return -1;
	/* "5": reset the peak RSS to the current one (proc(5)). */
	if ((fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	if (write(fd, "5", 1) != 1) {
		close(fd);
		return -1;
	}
	return close(fd);
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

int
main(int argc, char **argv)
{
	const char *in = "/dev/null", *out = "/dev/null", *logpath = NULL;
	FILE *log = NULL;
	int lp[2] = {-1, -1};
	struct timespec t0, t1;
	struct rusage ru;
	long mib = 0;
	posix_spawn_file_actions_t fa;
	int c, status, rc, err, infd, outfd, errfd = -1;
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
	/* The files are opened here, so that an error names them; the child
	 * gets them with dup2 (which drops O_CLOEXEC on the copy). */
	if ((infd = open(in, O_RDONLY | O_CLOEXEC)) == -1) {
		perror(in);
		return 1;
	}
	if (logpath != NULL) {
		if ((log = fopen(logpath, "we")) == NULL ||
		    pipe2(lp, O_CLOEXEC) == -1) {
			perror(logpath);
			return 1;
		}
		outfd = errfd = lp[1];
	} else if ((outfd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0644)) == -1) {
		perror(out);
		return 1;
	}
	if (touch_memory(mib) == -1) {
		perror("measure: touch memory");
		return 1;
	}
	if ((err = posix_spawn_file_actions_init(&fa)) != 0 ||
	    (err = posix_spawn_file_actions_adddup2(&fa, infd, 0)) != 0 ||
	    (err = posix_spawn_file_actions_adddup2(&fa, outfd, 1)) != 0 ||
	    (errfd != -1 &&
		(err = posix_spawn_file_actions_adddup2(&fa, errfd, 2)) != 0)) {
		fprintf(stderr, "measure: spawn actions: %s\n", strerror(err));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((err = posix_spawnp(&pid, argv[optind], &fa, NULL, argv + optind,
		 environ)) != 0) {
		fprintf(stderr, "measure: exec %s: %s\n", argv[optind],
		    strerror(err));
		printf("0 0 %d 0\n", err == ENOENT ? 127 : 126);
		return 0;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(infd);
	if (log == NULL)
		close(outfd);
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
	printf("%.6f %ld %d %.6f\n",
	    (double)(t1.tv_sec - t0.tv_sec) +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    ru.ru_maxrss, rc,
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	return fclose(stdout) == EOF ? 1 : 0;
}
