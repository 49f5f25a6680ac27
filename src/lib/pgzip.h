/* pgzip.h - the parallel deflater: one gzip member written to a file
 * descriptor, its deflate stream made of blocks compressed by a pool of
 * threads, the way pigz does.
 *
 * The input is cut into blocks of block_size bytes.  Each is deflated on
 * its own with the previous block's last 32 KiB as a preset dictionary, so
 * matches reach across the cut as they would in one stream; the output
 * depends only on the input and the level, never on the number of threads
 * or their timing.  A few MiB are in flight at most. */
#ifndef SLUGC_PGZIP_H
#define SLUGC_PGZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The smallest block_size (a block must hold a whole dictionary). */
#define PGZIP_DICT 32768

struct pgzip_opts {
	int level;	    /* zlib level 1-9 */
	int threads;	    /* <= 1: compress in the caller's thread */
	size_t block_size;  /* >= PGZIP_DICT */
	uint64_t max_bytes; /* refuse output past this; 0: no limit */
	/* Polled between blocks: when it returns non-zero, writing fails
	 * as cancelled.  May be NULL. */
	int (*cancel)(void);
};

struct pgzip_stats {
	uint64_t in;	  /* bytes written to it so far */
	uint64_t written; /* gzip bytes written to the file (the header and
			     trailer once finished) */
	bool too_big;	  /* failed because of max_bytes */
	bool cancelled;	  /* failed because cancel() returned non-zero */
};

struct pgzip;

/* Starts a gzip member on fd (path names it in messages) and the
 * threads.  Returns the compressor, or NULL with e filled. */
struct pgzip *pgzip_new(int fd, const char *path, const struct pgzip_opts *o,
    struct errbuf *e);

/* Compresses len bytes of buf.  Returns 0, or -1 with e filled (a write
 * error naming the path, max_bytes, cancel). */
int pgzip_write(struct pgzip *z, const void *buf, size_t len, struct errbuf *e);

/* Compresses what is left and writes the trailer.  Returns 0 or -1.  fd
 * stays open: the caller closes it. */
int pgzip_finish(struct pgzip *z, struct errbuf *e);

/* Makes every later pgzip_write fail ("aborted"), for a writer that is
 * being torn down and may still flush into it. */
void pgzip_abort(struct pgzip *z);

/* The message of the compressor's own failure (a write error, max_bytes,
 * cancel), or NULL: for telling it from its caller's failures. */
const char *pgzip_error(const struct pgzip *z);

/* The figures so far. */
void pgzip_stats(const struct pgzip *z, struct pgzip_stats *s);

/* Stops the threads and frees z (NULL is fine); fd is not closed. */
void pgzip_free(struct pgzip *z);

#endif
