/* pgzip.h - the parallel deflater: one gzip member written to a file
 * descriptor, its deflate stream made of blocks compressed by a pool of
 * threads, the way pigz does.
 *
 * The input is cut into blocks of block_size bytes.  Each is deflated on
 * its own with the previous block's last 32 KiB as a preset dictionary, so
 * matches reach across the cut as they would in one stream; the output
 * depends only on the input and the level, never on the number of threads
 * or their timing.  A few MiB are in flight at most.
 *
 * Segments (pack's layers): a cut ends the current block there and starts
 * the next without a dictionary, so what is written between two cuts
 * deflates to bytes that depend on nothing before it.  Those bytes can be
 * captured into a file while they are written, and later spliced into
 * another member at a cut instead of compressing the same input again; the
 * member's CRC is combined from the segment's (crc32_combine). */
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

/* Ends the current block here (when it holds anything) and starts the
 * next with no dictionary: the deflate stream is byte-aligned, and what
 * follows compresses as if it began a stream.  Returns 0 or -1. */
int pgzip_cut(struct pgzip *z, struct errbuf *e);

/* A segment's figures: its deflate bytes (clen, their own CRC-32 ccrc),
 * and the input they hold (ulen, its CRC-32 ucrc). */
struct pgzip_seg {
	uint64_t ulen, clen;
	uint32_t ucrc, ccrc;
};

/* Starts copying what is compressed from here (a cut is made first) to
 * fd as well, in order, until pgzip_capture_end.  A failure to write fd
 * does not fail the compressor: pgzip_capture_end reports it. */
int pgzip_capture_begin(struct pgzip *z, int fd, struct errbuf *e);

/* Cuts, writes out everything compressed so far and stops the capture.
 * Returns 0 with *s filled, 1 when the capture failed (e says why: fd could
 * not be written; the member itself is fine), or -1 when the compressor
 * failed. */
int pgzip_capture_end(struct pgzip *z, struct pgzip_seg *s, struct errbuf *e);

/* Splices the segment s, whose deflate bytes are read from fd (at its
 * offset), into the member at a cut (one is made first): as if its input
 * had been written, without compressing it.  The bytes are checked against
 * s->ccrc as they are copied; when fd ends early, cannot be read or does
 * not match, the member's file is cut back to where the segment started
 * (it must be a regular file) and 1 is returned (e says why): the caller
 * writes the input instead.  Returns 0 when spliced, -1 on the member's own
 * failure (a write error, max_bytes). */
int pgzip_splice(struct pgzip *z, int fd, const struct pgzip_seg *s,
    struct errbuf *e);

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
