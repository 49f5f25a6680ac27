/* runtime/download.c - the streaming download pipeline.
 *
 *   download thread:  fetch_stream -> sink: sha256, decompress -> ring
 *   calling thread:   ring -> libarchive (tar) -> write_disk
 *
 * Two threads so that the network, decompression and file writing overlap.
 * gzip and zstd are decompressed in the download thread (decomp), not by
 * libarchive in the calling thread: decompressing is the biggest part of
 * the work, and the calling thread has the tar parsing and the file writing
 * to do.  Other streams (xz, plain tar) cross the ring as they are and
 * libarchive reads them as before.
 *
 * The ring holds RING_BLOCKS blocks: zlib and zstd write straight into a free
 * one and libarchive reads the full ones where they are, so the tarball is
 * copied only into the files.  A full ring stalls the download, and so,
 * through TCP flow control, the server: a slow disk never grows a buffer. */
#include "runtime/download.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decomp.h"
#include "digest.h"
#include "fsutil.h"

#define RING_BLOCKS 8
#define RING_BLOCK (256 << 10)
#define WAIT_MS 200
/* What may legitimately follow tar's end marker: the rest of its 10 KiB
 * record, a compression trailer, a huge blocking factor at most.  More means
 * a body that does not end (or not this archive), which will not match the
 * hash anyway: stop instead of reading it forever. */
#define TRAILER_MAX (16 << 20)

struct ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;  /* head, tail, closed or gone changed */
	unsigned char *mem; /* RING_BLOCKS * RING_BLOCK */
	size_t len[RING_BLOCKS];
	uint64_t head; /* blocks committed (download thread) */
	uint64_t tail; /* blocks released (calling thread) */
	bool held;     /* libarchive is reading block tail */
	bool closed;   /* the download thread is done */
	bool gone;     /* the calling thread gave up */
};

struct pipeline {
	struct fetch_opts o; /* the caller's, with our stop flag */
	const stopflag *user_stop;
	stopflag stop; /* set by either thread, read by both */
	struct ring r;
	struct digest *d;
	struct decomp *dc;
	/* Compressed bytes behind the blocks committed, for unpack's
	 * expansion check. */
	_Atomic uint64_t stored;

	/* Written by the download thread, read after join (or, for dfailed
	 * and de, once the ring is closed). */
	int frc;
	struct fetch_result res;
	struct errbuf fe, se; /* fetch's message, the sink's */
	atomic_bool finished; /* fetch_stream has returned */
	bool out_failed;      /* the ring refused output (se says why) */
	bool dfailed;	      /* the stream is corrupt or truncated ... */
	struct errbuf de;     /* ... and how */
};

/* The caller's stop flag (its SIGTERM handler) becomes ours, which fetch
 * watches; both threads call this regularly. */
static void
mirror_stop(struct pipeline *pl)
{
	if (stopflag_is_set(pl->user_stop))
		stopflag_set(&pl->stop, 1);
}

static int
ring_init(struct ring *r, struct errbuf *e)
{
	pthread_condattr_t ca;
	int err;

	if ((r->mem = malloc((size_t)RING_BLOCKS * RING_BLOCK)) == NULL)
		return errf(e, "ring:");
	if ((err = pthread_condattr_init(&ca)) != 0)
		goto fail;
	if ((err = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (err = pthread_cond_init(&r->cv, &ca)) != 0) {
		pthread_condattr_destroy(&ca);
		goto fail;
	}
	pthread_condattr_destroy(&ca);
	if ((err = pthread_mutex_init(&r->mu, NULL)) != 0) {
		pthread_cond_destroy(&r->cv);
		goto fail;
	}
	return 0;
fail:
	free(r->mem);
	r->mem = NULL;
	errno = err;
	return errf(e, "ring:");
}

static void
ring_destroy(struct ring *r)
{
	if (r->mem == NULL)
		return;
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r->mem);
}

/* Waits (the mutex held) for a change or WAIT_MS, whichever comes first, so
 * that a stop flag set meanwhile is seen. */
static void
ring_wait(struct ring *r)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += WAIT_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&r->cv, &r->mu, &ts);
}

/* decomp's output, in the download thread: room in the next free block.
 * Stops when the reader gave up or the caller asked: one chunk of a
 * decompression bomb can expand for a long time, fetch would not see the
 * stop flag meanwhile. */
static int
ring_space(void *arg, void **buf, size_t *len)
{
	struct pipeline *pl = arg;
	struct ring *r = &pl->r;
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		mirror_stop(pl);
		if (r->gone) {
			rc = errf(&pl->se, "extraction stopped");
			break;
		}
		if (stopflag_is_set(&pl->stop)) {
			rc = errf(&pl->se, "interrupted");
			break;
		}
		if (r->head - r->tail < RING_BLOCKS)
			break;
		ring_wait(r);
	}
	pthread_mutex_unlock(&r->mu);
	if (rc == -1) {
		pl->out_failed = true;
		return -1;
	}
	/* head moves only in this thread. */
	*buf = r->mem + (size_t)(r->head % RING_BLOCKS) * RING_BLOCK;
	*len = RING_BLOCK;
	return 0;
}

static int
ring_commit(void *arg, size_t len)
{
	struct pipeline *pl = arg;
	struct ring *r = &pl->r;

	pthread_mutex_lock(&r->mu);
	r->len[r->head % RING_BLOCKS] = len;
	r->head++;
	atomic_store(&pl->stored, decomp_bytes_in(pl->dc));
	pthread_mutex_unlock(&r->mu);
	/* After unlocking: the woken thread does not block on the mutex. */
	pthread_cond_broadcast(&r->cv);
	return 0;
}

/* unpack's source, in the calling thread: the next full block, after
 * releasing the one libarchive is done with.  At the end, the download
 * thread's verdict on the compressed stream. */
static ssize_t
ring_read(void *arg, const void **buf, struct errbuf *e)
{
	struct pipeline *pl = arg;
	struct ring *r = &pl->r;
	bool freed = false;
	ssize_t n;

	pthread_mutex_lock(&r->mu);
	if (r->held) {
		r->tail++;
		r->held = false;
		freed = true;
	}
	while (r->head == r->tail && !r->closed) {
		if (freed) {
			pthread_cond_broadcast(&r->cv);
			freed = false;
		}
		ring_wait(r);
		mirror_stop(pl);
	}
	if (r->head != r->tail) {
		*buf = r->mem + (size_t)(r->tail % RING_BLOCKS) * RING_BLOCK;
		n = (ssize_t)r->len[r->tail % RING_BLOCKS];
		r->held = true;
	} else if (pl->dfailed) {
		memcpy(e, &pl->de, sizeof *e);
		n = -1;
	} else
		n = 0;
	pthread_mutex_unlock(&r->mu);
	if (freed)
		pthread_cond_broadcast(&r->cv);
	return n;
}

static uint64_t
ring_stored(void *arg)
{
	struct pipeline *pl = arg;

	return atomic_load(&pl->stored);
}

/* closed by the download thread, gone by the calling thread. */
static void
ring_end(struct ring *r, bool *flag)
{
	pthread_mutex_lock(&r->mu);
	*flag = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* decomp failed: on bad data, the reader reports it (naming the entry it
 * was in) once it has read everything before it. */
static int
decomp_failed(struct pipeline *pl)
{
	if (!pl->out_failed) {
		memcpy(&pl->se, &pl->de, sizeof pl->se);
		pl->dfailed = true;
	}
	return -1;
}

static int
sink(void *arg, const void *buf, size_t len)
{
	struct pipeline *pl = arg;

	mirror_stop(pl);
	if (digest_update(pl->d, buf, len, &pl->se) == -1)
		return -1;
	if (decomp_update(pl->dc, buf, len, &pl->de) == -1)
		return decomp_failed(pl);
	/* Data after the last gzip member or zstd frame: see drain. */
	if (decomp_bytes_trailing(pl->dc) > TRAILER_MAX)
		return errf(&pl->se,
		    "more than %d MiB of data after the end "
		    "of the archive",
		    TRAILER_MAX >> 20);
	return 0;
}

static void *
download_main(void *arg)
{
	struct pipeline *pl = arg;

	pl->frc = fetch_stream(&pl->o, sink, pl, &pl->res, &pl->fe);
	/* The whole body came: the rest of the output, and whether the
	 * compressed stream was complete. */
	if (pl->frc == 0 && decomp_finish(pl->dc, &pl->de) == -1)
		(void)decomp_failed(pl);
	atomic_store(&pl->finished, true);
	/* The reader sees the end (or a truncated archive) from here on. */
	ring_end(&pl->r, &pl->r.closed);
	return NULL;
}

/* The download thread starts with every asynchronous signal blocked, so
 * that SIGINT, SIGTERM and the like reach the calling thread, whose
 * handlers the caller installed. */
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

/* After the archive's end marker: reads (and so lets the sink hash) the
 * rest of the stream. */
static int
drain(struct pipeline *pl, struct errbuf *e)
{
	const void *buf;
	size_t total = 0;
	ssize_t n;

	while ((n = ring_read(pl, &buf, e)) > 0) {
		total += (size_t)n;
		if (total > TRAILER_MAX)
			return errf(e,
			    "more than %d MiB of data after the end "
			    "of the archive",
			    TRAILER_MAX >> 20);
	}
	return n == -1 ? -1 : 0;
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
		*parent = slash == *copy
		    ? strdup("/")
		    : strndup(*copy, (size_t)(slash - *copy));
		*base = slash + 1;
	}
	return *parent == NULL ? -1 : 0;
}

int
runtime_download(const struct fetch_opts *fo, const char *sha256_hex,
    const char *dest, const struct unpack_limits *lim, struct unpack_sum *sum,
    struct errbuf *e)
{
	struct pipeline pl;
	struct decomp_out out = {ring_space, ring_commit, &pl};
	struct unpack_source src = {ring_read, ring_stored, &pl};
	struct errbuf ue = {""};
	pthread_t thread;
	bool archive_failed = false, finished_first = false;
	char got[DIGEST_HEX_SIZE], *shown, *parent = NULL, *copy = NULL;
	char *prefix = NULL, *tmp = NULL;
	const char *base;
	int rc = -1, local = 0;

	memset(&pl, 0, sizeof pl);
	atomic_init(&pl.finished, false);
	atomic_init(&pl.stored, 0);
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
		local = errno != 0 ? errno : EIO;
		errprefix(e, "install %s", shown);
		goto out;
	}
	if (chmod(tmp, 0755) == -1) {
		local = errno;
		errf(e, "install %s: chmod %s:", shown, tmp);
		goto out;
	}
	if ((pl.d = digest_new(e)) == NULL ||
	    (pl.dc = decomp_new(&out, e)) == NULL ||
	    ring_init(&pl.r, e) == -1) {
		errprefix(e, "install %s", shown);
		goto out;
	}
	pl.o = *fo;
	pl.user_stop = fo->stop;
	pl.o.stop = &pl.stop;
	if (start_download(&thread, &pl, e) == -1) {
		errprefix(e, "install %s", shown);
		goto out;
	}

	if (unpack_from_sum(&src, tmp, lim, sum, &ue) == -1) {
		local = errno;
		archive_failed = true;
	} else if (drain(&pl, &ue) == -1)
		archive_failed = true;
	if (archive_failed) {
		/* Had the download already ended?  Then its failure (a cut
		 * connection truncates the archive) is the root cause. */
		finished_first = atomic_load(&pl.finished);
		/* Make the download stop now: its next block is refused, and
		 * fetch notices the flag while stalled. */
		stopflag_set(&pl.stop, 1);
		ring_end(&pl.r, &pl.r.gone);
	}
	pthread_join(thread, NULL);

	/* A write that failed (a full disk) is the cause whatever the download
	 * did meanwhile: the download would not make the disk any emptier. */
	if (local != 0) {
		errf(e, "install %s: %s", shown, ue.msg);
		goto out;
	}
	/* A corrupt or truncated compressed stream is the archive's failure:
	 * its message names the entry where the data broke off. */
	if (pl.frc == -1 && !pl.dfailed &&
	    (!archive_failed || finished_first)) {
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
	if (pl.frc == -1 || pl.dfailed) {
		/* Not seen: the reader gets dfailed's message at the end of
		 * the ring.  A failure all the same. */
		errf(e, "install %s: %s", shown,
		    pl.frc == -1 && !pl.res.sink_failed ? pl.fe.msg
							: pl.se.msg);
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
		local = errno;
		errf(e, "install %s: rename %s to %s:", shown, tmp, dest);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1 && tmp != NULL)
		fs_rm_rf(tmp, NULL);
	ring_destroy(&pl.r);
	decomp_free(pl.dc);
	digest_free(pl.d);
	free(tmp);
	free(prefix);
	free(parent);
	free(copy);
	free(shown);
	errno = rc == -1 ? local : errno;
	return rc;
}
