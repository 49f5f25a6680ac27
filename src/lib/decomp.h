/* decomp.h - streaming decompression of a byte stream that arrives in
 * pieces (a download): gzip (zlib reads each member's header, ISA-L's igzip
 * inflates) or zstd (libzstd), chosen by the stream's first bytes; any
 * other stream passes through unchanged.
 *
 * Several gzip members or zstd frames in a row (pigz, zstd -T, cat a b) are
 * one stream.  Bytes after the last complete member or frame that do not
 * start another one are trailing data: counted, not decompressed, not an
 * error (gzip and libarchive ignore them too). */
#ifndef SLUGC_DECOMP_H
#define SLUGC_DECOMP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum decomp_kind {
	DECOMP_UNKNOWN, /* fewer than 4 bytes seen yet */
	DECOMP_NONE,	/* passed through */
	DECOMP_GZIP,
	DECOMP_ZSTD,
};

/* Where the decompressed stream goes, in order: decomp asks for room,
 * writes into it, and hands over what it wrote.  Either function returns 0
 * to go on or -1 to stop: decomp_update then fails without touching its
 * errbuf, the output keeping its own message. */
struct decomp_out {
	/* Points *buf at room for *len (> 0) bytes; may block.  Asked again
	 * before a commit, it may give the same room or another. */
	int (*space)(void *arg, void **buf, size_t *len);
	/* The first len bytes of the last room given are output. */
	int (*commit)(void *arg, size_t len);
	void *arg;
};

struct decomp;

/* A decompressor writing into out (copied), which lets igzip and zstd
 * write straight into the consumer's buffers.  Checksums (gzip's CRC-32,
 * zstd's optional XXH64) are checked.  Returns NULL with e filled when out
 * of memory.  Free it with decomp_free. */
struct decomp *decomp_new(const struct decomp_out *out, struct errbuf *e);

/* Decompresses len more bytes of input.  Returns 0, or -1: with e holding
 * one line ("gzip data corrupt: invalid distance too far back") when the
 * data is bad, untouched when out stopped. */
int decomp_update(struct decomp *d, const void *buf, size_t len,
    struct errbuf *e);

/* The input has ended: hands out what is left and checks that the stream
 * was complete ("truncated gzip input", "truncated zstd input").  Returns
 * 0 or -1 as decomp_update.  Afterwards d can only be freed. */
int decomp_finish(struct decomp *d, struct errbuf *e);

/* What the stream is, once its first bytes were seen. */
enum decomp_kind decomp_kind(const struct decomp *d);

/* Input bytes consumed so far, trailing data included.  Called from out's
 * commit, it counts every input byte behind the output being committed. */
uint64_t decomp_bytes_in(const struct decomp *d);

/* Trailing data bytes seen so far (see the top of this file). */
uint64_t decomp_bytes_trailing(const struct decomp *d);

/* Frees d and its library state; NULL is allowed. */
void decomp_free(struct decomp *d);

#endif
