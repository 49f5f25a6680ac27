/* decomp.c - gzip and zstd stream decompression, fed piece by piece.
 *
 * The stream goes through these states:
 *   DETECT    the first 4 bytes are collected, then the magic number says
 *             gzip (1f 8b), zstd (28 b5 2f fd) or neither (passed through);
 *   RUN       inside a gzip member or a zstd frame;
 *   BOUNDARY  one ended: the next bytes are collected, then they either
 *             start another member or frame (RUN again) or are trailing
 *             data (TRAILING, counted and dropped);
 *   NONE      passing through.
 *
 * A gzip member is read by two libraries: zlib parses its header, every
 * optional field and the header CRC, and stops where the deflate data
 * starts (Z_BLOCK); ISA-L's igzip then inflates the data and checks the
 * trailer's CRC-32 and length.  igzip inflates about twice as fast as
 * zlib, and on a cold runtime install inflating is the download thread's
 * biggest cost.  igzip could parse the header too, but 2.30 (Debian 12)
 * rejects a valid header CRC when the header arrives split across two
 * updates. */
#include "decomp.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <isa-l/igzip_lib.h>
#include <zlib.h>
#include <zstd.h>

enum state { S_DETECT, S_RUN, S_BOUNDARY, S_NONE, S_TRAILING, S_DONE };

struct decomp {
	struct decomp_out out;
	enum decomp_kind kind;
	enum state state;
	bool zinit;		     /* z holds zlib state */
	z_stream z;		     /* a gzip member's header */
	bool gzip_header;	     /* z is still reading it */
	struct inflate_state *igzip; /* the member's data and trailer */
	ZSTD_DCtx *zd;
	unsigned char stash[4]; /* DETECT and BOUNDARY collect bytes here */
	size_t nstash;
	unsigned char *obuf; /* the room out gave, NULL if none */
	size_t olen, ocap;
	uint64_t in, trailing;
};

static const unsigned char gzip_magic[2] = {0x1f, 0x8b};
static const unsigned char zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

struct decomp *
decomp_new(const struct decomp_out *out, struct errbuf *e)
{
	struct decomp *d;

	if ((d = calloc(1, sizeof *d)) == NULL) {
		errf(e, "decompress:");
		return NULL;
	}
	d->out = *out;
	d->kind = DECOMP_UNKNOWN;
	d->state = S_DETECT;
	return d;
}

/* Hands over what was written.  -1 when out stopped. */
static int
flush(struct decomp *d)
{
	size_t n = d->olen;

	d->obuf = NULL;
	d->olen = 0;
	return n == 0 ? 0 : d->out.commit(d->out.arg, n);
}

/* Makes sure there is room to write.  -1 when out stopped. */
static int
room(struct decomp *d)
{
	void *p;
	size_t len;

	if (d->obuf != NULL && d->olen < d->ocap)
		return 0;
	if (d->obuf != NULL && flush(d) == -1)
		return -1;
	if (d->out.space(d->out.arg, &p, &len) == -1)
		return -1;
	d->obuf = p;
	d->ocap = len;
	d->olen = 0;
	return 0;
}

static int
start_gzip(struct decomp *d, struct errbuf *e)
{
	int r;

	if (d->zinit)
		r = inflateReset(&d->z);
	else if ((r = inflateInit2(&d->z, 15 + 16)) == Z_OK)
		d->zinit = true;
	if (r != Z_OK)
		return errf(e, "gzip: %s",
		    r == Z_MEM_ERROR ? "out of memory" : "cannot start zlib");
	if (d->igzip == NULL && (d->igzip = malloc(sizeof *d->igzip)) == NULL)
		return errf(e, "gzip: out of memory");
	isal_inflate_init(d->igzip);
	d->igzip->crc_flag = ISAL_GZIP_NO_HDR_VER;
	d->gzip_header = true;
	return 0;
}

static int
start_zstd(struct decomp *d, struct errbuf *e)
{
	if (d->zd == NULL && (d->zd = ZSTD_createDCtx()) == NULL)
		return errf(e, "zstd: out of memory");
	return 0;
}

/* Reads a gzip member's header from p with zlib, which stops right after
 * it.  Returns the bytes used (all n while the header goes on), or -1. */
static ssize_t
gzip_header(struct decomp *d, const unsigned char *p, size_t n,
    struct errbuf *e)
{
	unsigned char unused; /* zlib wants room, though a header writes none */
	int r;

	n = n > UINT_MAX ? UINT_MAX : n;
	d->z.next_in = (unsigned char *)p;
	d->z.avail_in = (uInt)n;
	d->z.next_out = &unused;
	d->z.avail_out = 1;
	r = inflate(&d->z, Z_BLOCK);
	d->in += n - d->z.avail_in;
	if (r != Z_OK && r != Z_BUF_ERROR)
		return errf(e, "gzip data corrupt: %s",
		    d->z.msg != NULL ? d->z.msg : zError(r));
	/* 128: stopped where the first deflate block starts. */
	if (d->z.data_type & 128)
		d->gzip_header = false;
	return (ssize_t)(n - d->z.avail_in);
}

static const char *
igzip_error(int r)
{
	switch (r) {
	case ISAL_INVALID_BLOCK:
		return "invalid block";
	case ISAL_INVALID_SYMBOL:
		return "invalid code";
	case ISAL_INVALID_LOOKBACK:
		return "invalid distance too far back";
	case ISAL_INCORRECT_CHECKSUM:
		return "incorrect data check";
	default:
		return "inflate failed";
	}
}

/* Inflates from p until n bytes are used or the member ends (BOUNDARY).
 * Returns the bytes used, or -1. */
static ssize_t
run_gzip(struct decomp *d, const unsigned char *p, size_t n, struct errbuf *e)
{
	struct inflate_state *s = d->igzip;
	ssize_t head = 0;
	bool full;
	int r;

	if (d->gzip_header) {
		if ((head = gzip_header(d, p, n, e)) == -1)
			return -1;
		if (d->gzip_header)
			return head;
		p += head;
		n -= (size_t)head;
	}
	/* igzip counts in uint32_t. */
	n = n > UINT32_MAX ? UINT32_MAX : n;
	s->next_in = (uint8_t *)p;
	s->avail_in = (uint32_t)n;
	for (;;) {
		uint32_t before = s->avail_in;
		size_t wrote;
		unsigned char *o;

		if (room(d) == -1)
			return -1;
		o = d->obuf + d->olen;
		s->next_out = o;
		s->avail_out = d->ocap - d->olen > UINT32_MAX
		    ? UINT32_MAX
		    : (uint32_t)(d->ocap - d->olen);
		r = isal_inflate(s);
		d->in += before - s->avail_in;
		wrote = (size_t)(s->next_out - o);
		d->olen += wrote;
		if (r != ISAL_DECOMP_OK && r != ISAL_END_INPUT &&
		    r != ISAL_OUT_OVERFLOW) {
			(void)flush(d);
			return errf(e, "gzip data corrupt: %s", igzip_error(r));
		}
		full = d->olen == d->ocap;
		if (full && flush(d) == -1)
			return -1;
		if (s->block_state == ISAL_BLOCK_FINISH) {
			d->state = S_BOUNDARY;
			d->nstash = 0;
			return head + (ssize_t)(n - s->avail_in);
		}
		if (s->avail_in == 0 && !full)
			return head + (ssize_t)n;
		/* No progress with room on both sides (never seen; a loop
		 * guard): call it corrupt. */
		if (s->avail_in == before && wrote == 0 && !full) {
			(void)flush(d);
			return errf(e, "gzip data corrupt");
		}
	}
}

/* The same for zstd, to the end of a frame. */
static ssize_t
run_zstd(struct decomp *d, const unsigned char *p, size_t n, struct errbuf *e)
{
	ZSTD_inBuffer ib = {p, n, 0};
	size_t r, before;
	bool full;

	for (;;) {
		if (room(d) == -1)
			return -1;

		ZSTD_outBuffer ob = {d->obuf, d->ocap, d->olen};

		before = ib.pos;
		r = ZSTD_decompressStream(d->zd, &ob, &ib);
		d->in += ib.pos - before;
		d->olen = ob.pos;
		if (ZSTD_isError(r)) {
			(void)flush(d);
			return errf(e, "zstd data corrupt: %s",
			    ZSTD_getErrorName(r));
		}
		full = d->olen == d->ocap;
		if (full && flush(d) == -1)
			return -1;
		if (r == 0) {
			/* The frame is complete and all of it handed out. */
			d->state = S_BOUNDARY;
			d->nstash = 0;
			return (ssize_t)ib.pos;
		}
		/* Out of input with room left: zstd has handed out all it
		 * could. */
		if (ib.pos == ib.size && !full)
			return (ssize_t)n;
	}
}

/* A zstd frame or a skippable frame starts at p (4 bytes). */
static bool
zstd_frame(const unsigned char *p)
{
	uint32_t m = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;

	return m == ZSTD_MAGICNUMBER ||
	    (m & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START;
}

static int feed(struct decomp *, const unsigned char *, size_t,
    struct errbuf *);

/* The stash is complete (or the input ended): picks the next state and
 * feeds the stashed bytes to it. */
static int
decide(struct decomp *d, struct errbuf *e)
{
	unsigned char bytes[sizeof d->stash];
	size_t n = d->nstash;

	memcpy(bytes, d->stash, n);
	d->nstash = 0;
	if (d->state == S_DETECT) {
		if (n >= 2 && memcmp(bytes, gzip_magic, 2) == 0) {
			d->kind = DECOMP_GZIP;
			if (start_gzip(d, e) == -1)
				return -1;
			d->state = S_RUN;
		} else if (n >= 4 && memcmp(bytes, zstd_magic, 4) == 0) {
			d->kind = DECOMP_ZSTD;
			if (start_zstd(d, e) == -1)
				return -1;
			d->state = S_RUN;
		} else {
			d->kind = DECOMP_NONE;
			d->state = S_NONE;
		}
	} else if (d->kind == DECOMP_GZIP && n >= 2 &&
	    memcmp(bytes, gzip_magic, 2) == 0) {
		if (start_gzip(d, e) == -1)
			return -1;
		d->state = S_RUN;
	} else if (d->kind == DECOMP_ZSTD && n >= 4 && zstd_frame(bytes)) {
		d->state = S_RUN;
	} else {
		d->state = S_TRAILING;
	}
	return feed(d, bytes, n, e);
}

static size_t
stash_need(const struct decomp *d)
{
	return d->state == S_BOUNDARY && d->kind == DECOMP_GZIP ? 2 : 4;
}

/* The input loop: n bytes at p, through whatever states they lead to. */
static int
feed(struct decomp *d, const unsigned char *p, size_t n, struct errbuf *e)
{
	ssize_t used;
	size_t k;

	while (n > 0) {
		switch (d->state) {
		case S_DETECT:
		case S_BOUNDARY:
			k = stash_need(d) - d->nstash;
			k = k < n ? k : n;
			memcpy(d->stash + d->nstash, p, k);
			d->nstash += k;
			p += k;
			n -= k;
			if (d->nstash == stash_need(d) && decide(d, e) == -1)
				return -1;
			break;
		case S_RUN:
			used = d->kind == DECOMP_GZIP ? run_gzip(d, p, n, e)
						      : run_zstd(d, p, n, e);
			if (used < 0)
				return -1;
			p += used;
			n -= (size_t)used;
			break;
		case S_NONE:
			if (room(d) == -1)
				return -1;
			k = d->ocap - d->olen < n ? d->ocap - d->olen : n;
			memcpy(d->obuf + d->olen, p, k);
			d->olen += k;
			d->in += k;
			p += k;
			n -= k;
			if (d->olen == d->ocap && flush(d) == -1)
				return -1;
			break;
		case S_TRAILING:
			d->in += n;
			d->trailing += n;
			return 0;
		case S_DONE:
			return errf(e, "decompress: input after the end");
		}
	}
	return 0;
}

int
decomp_update(struct decomp *d, const void *buf, size_t len, struct errbuf *e)
{
	return feed(d, buf, len, e);
}

int
decomp_finish(struct decomp *d, struct errbuf *e)
{
	enum state s = d->state;

	/* Fewer bytes than a magic number: whatever they are, pass them on
	 * (the reader will say what is wrong with them); a partial magic
	 * after a member or frame is trailing data. */
	if ((s == S_DETECT || s == S_BOUNDARY) && d->nstash > 0 &&
	    decide(d, e) == -1)
		return -1;
	s = d->state;
	d->state = S_DONE;
	if (flush(d) == -1)
		return -1;
	if (s == S_RUN)
		return errf(e, "truncated %s input",
		    d->kind == DECOMP_GZIP ? "gzip" : "zstd");
	return 0;
}

enum decomp_kind
decomp_kind(const struct decomp *d)
{
	return d->kind;
}

uint64_t
decomp_bytes_in(const struct decomp *d)
{
	return d->in;
}

uint64_t
decomp_bytes_trailing(const struct decomp *d)
{
	return d->trailing;
}

void
decomp_free(struct decomp *d)
{
	if (d == NULL)
		return;
	if (d->zinit)
		inflateEnd(&d->z);
	free(d->igzip);
	ZSTD_freeDCtx(d->zd);
	free(d);
}
