/* install.c - the streaming install pipeline.
 *
 *   download thread:  fetch_stream -> sink: sha256 + write(pipe)
 *   calling thread:   read(pipe) -> libarchive -> write_disk
 *
 * Two threads so that the network, decompression and file writing overlap,
 * and a pipe between them so that a slow disk slows the download through
 * TCP flow control instead of growing a buffer. */
#include "install.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fsutil.h"

#define PIPE_SIZE   (1 << 20)
#define POLL_MS     200
/* What may legitimately follow tar's end marker: the rest of its 10 KiB
 * record, a compression trailer, a huge blocking factor at most.  More means
 * a body that does not end (or not this archive), which will not match the
 * hash anyway: stop instead of reading it forever. */
#define TRAILER_MAX (16 << 20)

struct pipeline {
	struct fetch_opts o;   /* the caller's, with our stop flag */
	const volatile sig_atomic_t *user_stop;
	volatile sig_atomic_t stop;
	int rfd, wfd;
	struct digest *d;

	/* Written by the download thread, read after join. */
	int frc;
	struct fetch_result res;
	struct errbuf fe, se;   /* fetch's message, the sink's */
	atomic_bool finished;  /* fetch_stream has returned */
	bool epipe;            /* the sink found the reader gone */
};

/* The caller's stop flag (its SIGTERM handler) becomes ours, which fetch
 * watches; both threads call this regularly. */
static void
mirror_stop(struct pipeline *pl)
{
	if (pl->user_stop != NULL && *pl->user_stop)
		pl->stop = 1;
}

static int
sink(void *arg, const void *buf, size_t len)
{
	struct pipeline *pl = arg;
	const char *p = buf;
	ssize_t n;

	mirror_stop(pl);
	if (digest_update(pl->d, buf, len, &pl->se) == -1)
		return -1;
	while (len > 0) {
		if ((n = write(pl->wfd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE) {
				pl->epipe = true;
				return errf(&pl->se, "extraction stopped");
			}
			return errf(&pl->se, "write to pipe:");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *
download_main(void *arg)
{
	struct pipeline *pl = arg;
	struct timespec zero = { 0, 0 };
	sigset_t pipeset;

	pl->frc = fetch_stream(&pl->o, sink, pl, &pl->res, &pl->fe);
	atomic_store(&pl->finished, true);
	/* The reader sees EOF (or a truncated archive) from here on. */
	close(pl->wfd);
	pl->wfd = -1;
	/* SIGPIPE is blocked in this thread (see start_download); a write
	 * that hit EPIPE left one pending: take it, it means nothing more. */
	if (pl->epipe) {
		sigemptyset(&pipeset);
		sigaddset(&pipeset, SIGPIPE);
		sigtimedwait(&pipeset, NULL, &zero);
	}
	return NULL;
}

/* The download thread starts with every asynchronous signal blocked:
 * SIGPIPE so that writing to a pipe whose reader gave up fails with EPIPE
 * instead of killing the process, SIGINT/SIGTERM and the like so that they
 * reach the calling thread, whose handlers the caller installed. */
static int
start_download(pthread_t *t, struct pipeline *pl, struct errbuf *e)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	sigdelset(&all, SIGTRAP);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(t, NULL, download_main, pl);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		errno = r;
		return errf(e, "pthread_create:");
	}
	return 0;
}

/* unpack's read function: the pipe, polled so that the caller's stop flag is
 * noticed even while the download is stalled. */
static ssize_t
pipe_read(void *arg, void *buf, size_t len)
{
	struct pipeline *pl = arg;
	struct pollfd pfd;
	ssize_t n;
	int r;

	for (;;) {
		pfd.fd = pl->rfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, POLL_MS);
		mirror_stop(pl);
		if (r == -1 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		n = read(pl->rfd, buf, len);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		return n;
	}
}

/* After the archive's end marker: reads (and so lets the sink hash) the
 * rest of the stream. */
static int
drain(struct pipeline *pl, struct errbuf *e)
{
	char *buf;
	size_t total = 0;
	ssize_t n;

	if ((buf = malloc(64 << 10)) == NULL)
		return errf(e, "drain:");
	while ((n = pipe_read(pl, buf, 64 << 10)) > 0) {
		total += (size_t)n;
		if (total > TRAILER_MAX) {
			free(buf);
			return errf(e, "more than %d MiB of data after the end "
			    "of the archive", TRAILER_MAX >> 20);
		}
	}
	free(buf);
	if (n == -1)
		return errf(e, "read from pipe:");
	return 0;
}

/* dest without trailing slashes, split into a malloc'd parent and the
 * basename (pointing into *copy, also malloc'd). */
static int
split_dest(const char *dest, char **parent, char **copy, const char **base)
{
	char *slash;
	size_t n;

	if ((*copy = strdup(dest)) == NULL)
		return -1;
	n = strlen(*copy);
	while (n > 1 && (*copy)[n - 1] == '/')
		(*copy)[--n] = '\0';
	if ((slash = strrchr(*copy, '/')) == NULL) {
		*parent = strdup(".");
		*base = *copy;
	} else {
		*parent = slash == *copy ? strdup("/") :
		    strndup(*copy, (size_t)(slash - *copy));
		*base = slash + 1;
	}
	return *parent == NULL ? -1 : 0;
}

int
install_from_url(const struct fetch_opts *fo, const char *sha256_hex,
    const char *dest, const struct unpack_limits *lim, struct errbuf *e)
{
	struct pipeline pl;
	struct errbuf ue = { "" };
	pthread_t thread;
	bool archive_failed = false, finished_first = false;
	char got[DIGEST_HEX_SIZE], *shown, *parent = NULL, *copy = NULL;
	char *prefix = NULL, *tmp = NULL;
	const char *base;
	int fds[2], rc = -1;

	memset(&pl, 0, sizeof pl);
	pl.rfd = pl.wfd = -1;
	atomic_init(&pl.finished, false);
	if ((shown = fetch_redact_url(fo->url != NULL ? fo->url : "")) == NULL)
		return errf(e, "install:");
	if (!digest_hex_valid(sha256_hex)) {
		errf(e, "install %s: the expected sha256 is not 64 hex digits",
		    shown);
		goto out;
	}
	if (fs_exists(dest)) {
		errf(e, "install %s: %s already exists", shown, dest);
		goto out;
	}
	if (split_dest(dest, &parent, &copy, &base) == -1 ||
	    asprintf(&prefix, ".%s.part-", base) < 0) {
		prefix = NULL;
		errf(e, "install %s:", shown);
		goto out;
	}
	if (fs_mkdir_p(parent, 0755, e) == -1 ||
	    (tmp = fs_mkdtemp(parent, prefix, e)) == NULL) {
		errprefix(e, "install %s", shown);
		goto out;
	}
	if (chmod(tmp, 0755) == -1) {
		errf(e, "install %s: chmod %s:", shown, tmp);
		goto out;
	}
	if ((pl.d = digest_new(e)) == NULL) {
		errprefix(e, "install %s", shown);
		goto out;
	}
	if (pipe2(fds, O_CLOEXEC) == -1) {
		errf(e, "install %s: pipe:", shown);
		goto out;
	}
	pl.rfd = fds[0];
	pl.wfd = fds[1];
	/* A bigger pipe means fewer context switches; a failure (an
	 * unprivileged user over pipe-max-size) only costs speed. */
	(void)fcntl(pl.wfd, F_SETPIPE_SZ, PIPE_SIZE);
	pl.o = *fo;
	pl.user_stop = fo->stop;
	pl.o.stop = &pl.stop;
	if (start_download(&thread, &pl, e) == -1) {
		errprefix(e, "install %s", shown);
		goto out;
	}

	if (unpack_cb(pipe_read, &pl, tmp, lim, &ue) == -1 ||
	    drain(&pl, &ue) == -1) {
		archive_failed = true;
		/* Had the download already ended?  Then its failure (a cut
		 * connection truncates the archive) is the root cause. */
		finished_first = atomic_load(&pl.finished);
		/* Make the download stop now: its next write fails with
		 * EPIPE, and fetch notices the flag while stalled. */
		pl.stop = 1;
		close(pl.rfd);
		pl.rfd = -1;
	}
	pthread_join(thread, NULL);

	if (pl.frc == -1 && (!archive_failed || finished_first)) {
		if (pl.res.sink_failed)
			errf(e, "install %s: %s", shown, pl.se.msg);
		else
			errf(e, "%s", pl.fe.msg);
		goto out;
	}
	if (archive_failed) {
		errf(e, "install %s: %s", shown, ue.msg);
		goto out;
	}
	if (digest_final_hex(pl.d, got, e) == -1) {
		errprefix(e, "install %s", shown);
		goto out;
	}
	if (!digest_hex_equal(got, sha256_hex)) {
		errf(e, "install %s: sha256 mismatch: expected %s, got %s",
		    shown, sha256_hex, got);
		goto out;
	}
	if (rename(tmp, dest) == -1) {
		errf(e, "install %s: rename %s to %s:", shown, tmp, dest);
		goto out;
	}
	rc = 0;
out:
	if (pl.rfd != -1)
		close(pl.rfd);
	if (pl.wfd != -1)
		close(pl.wfd);
	if (rc == -1 && tmp != NULL)
		fs_rm_rf(tmp, NULL);
	digest_free(pl.d);
	free(tmp);
	free(prefix);
	free(parent);
	free(copy);
	free(shown);
	return rc;
}
