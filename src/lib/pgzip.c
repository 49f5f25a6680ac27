/* pgzip.c - the parallel deflater. */
#include "pgzip.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

/* The stream is cut into blocks of block_size bytes.  Each block is
 * deflated on its own (raw deflate) with the previous block's last 32 KiB
 * as a preset dictionary, and ends with Z_SYNC_FLUSH (byte-aligned, not
 * final); the last ends with Z_FINISH.  Concatenated in order they form one
 * deflate stream inside one gzip member; the member's CRC is combined from
 * the blocks' CRCs. */

enum { PZ_FREE, PZ_QUEUED, PZ_BUSY, PZ_DONE };

struct pz_blk {
	unsigned char *in;
	size_t inlen;
	unsigned char dict[PGZIP_DICT];
	size_t dictlen;
	unsigned char *out;
	size_t outlen, outcap;
	uLong crc;
	uint64_t seq;
	bool last;
	int state;
	int zerr; /* zlib error, or 0 */
};

struct pgzip {
	int fd;
	const char *path; /* the slug, for messages */
	int level;
	size_t bsize;
	uint64_t max_bytes;
	int (*cancel)(void);

	pthread_mutex_t mu;
	pthread_cond_t work; /* a block was queued, or quit */
	pthread_cond_t done; /* a block was compressed */
	pthread_t *th;
	size_t nth; /* threads started */
	bool quit;

	struct pz_blk *ring;
	size_t nring;
	uint64_t next_seq;   /* sequence number of the next block */
	uint64_t next_take;  /* next block a worker takes */
	uint64_t next_write; /* next block to write out */
	struct pz_blk *cur;  /* the block being filled */

	z_stream zs; /* for compressing inline (one thread) */
	bool zs_ok;

	unsigned char tail[PGZIP_DICT]; /* last input bytes so far */
	size_t taillen;
	uLong crc;
	uint64_t isize;
	uint64_t written;
	bool too_big, cancelled;
	bool aborted; /* refuse further input */
	struct errbuf err;

	/* The capture (pgzip_capture_begin): blocks from cap_from on are
	 * copied to cap_fd too, while it is not -1. */
	int cap_fd;
	uint64_t cap_from;
	struct pgzip_seg cap;
	bool cap_failed;
	struct errbuf cap_err;
};

static int
pz_deflate_init(z_stream *zs, int level)
{
	memset(zs, 0, sizeof *zs);
	return deflateInit2(zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

/* Compresses one block with zs; returns a zlib error code or 0. */
static int
pz_compress(z_stream *zs, struct pz_blk *b)
{
	size_t need;
	unsigned char *p;
	int rc, flush = b->last ? Z_FINISH : Z_SYNC_FLUSH;

	b->crc = crc32(0L, b->in, (uInt)b->inlen);
	if ((rc = deflateReset(zs)) != Z_OK)
		return rc;
	if (b->dictlen > 0 &&
	    (rc = deflateSetDictionary(zs, b->dict, (uInt)b->dictlen)) != Z_OK)
		return rc;
	need = deflateBound(zs, (uLong)b->inlen) + 64;
	if (b->outcap < need) {
		if ((p = realloc(b->out, need)) == NULL)
			return Z_MEM_ERROR;
		b->out = p;
		b->outcap = need;
	}
	zs->next_in = b->in;
	zs->avail_in = (uInt)b->inlen;
	zs->next_out = b->out;
	zs->avail_out = (uInt)b->outcap;
	for (;;) {
		rc = deflate(zs, flush);
		if (rc == Z_STREAM_ERROR)
			return rc;
		if (b->last ? rc == Z_STREAM_END
			    : (zs->avail_in == 0 && zs->avail_out > 0))
			break;
		/* Out of room (deflateBound should prevent it): grow. */
		need = b->outcap * 2;
		if ((p = realloc(b->out, need)) == NULL)
			return Z_MEM_ERROR;
		b->out = p;
		zs->next_out = p + b->outcap - zs->avail_out;
		zs->avail_out += (uInt)(need - b->outcap);
		b->outcap = need;
	}
	b->outlen = b->outcap - zs->avail_out;
	return 0;
}

static void *
pz_worker(void *arg)
{
	struct pgzip *z = arg;
	struct pz_blk *b;
	z_stream zs;
	bool ok;

	ok = pz_deflate_init(&zs, z->level) == Z_OK;
	pthread_mutex_lock(&z->mu);
	for (;;) {
		while (!z->quit && z->next_take == z->next_seq)
			pthread_cond_wait(&z->work, &z->mu);
		if (z->next_take == z->next_seq)
			break; /* quit, and nothing left queued */
		b = &z->ring[z->next_take % z->nring];
		z->next_take++;
		b->state = PZ_BUSY;
		pthread_mutex_unlock(&z->mu);
		b->zerr = ok ? pz_compress(&zs, b) : Z_MEM_ERROR;
		pthread_mutex_lock(&z->mu);
		b->state = PZ_DONE;
		pthread_cond_broadcast(&z->done);
	}
	pthread_mutex_unlock(&z->mu);
	if (ok)
		deflateEnd(&zs);
	return NULL;
}

static int
pz_write_all(struct pgzip *z, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(z->fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return errf(&z->err, "write %s:", z->path);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copies a block just written to the capture, if it is in it. */
static void
pz_capture(struct pgzip *z, const struct pz_blk *b)
{
	const unsigned char *p = b->out;
	size_t len = b->outlen;
	ssize_t n;

	if (z->cap_fd == -1 || z->cap_failed || z->next_write < z->cap_from)
		return;
	z->cap.ccrc = (uint32_t)crc32(z->cap.ccrc, b->out, (uInt)b->outlen);
	z->cap.ucrc =
	    (uint32_t)crc32_combine(z->cap.ucrc, b->crc, (z_off_t)b->inlen);
	z->cap.clen += b->outlen;
	z->cap.ulen += b->inlen;
	while (len > 0) {
		n = write(z->cap_fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			errf(&z->cap_err, "write segment:");
			z->cap_failed = true;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Writes out compressed blocks in order; with wait, until block `until`
 * (exclusive) has been written, otherwise only those already done. */
static int
pz_flush(struct pgzip *z, bool wait, uint64_t until)
{
	struct pz_blk *b;

	for (;;) {
		pthread_mutex_lock(&z->mu);
		if (z->next_write >= until || z->next_write == z->next_seq) {
			pthread_mutex_unlock(&z->mu);
			return 0;
		}
		b = &z->ring[z->next_write % z->nring];
		while (wait && b->state != PZ_DONE)
			pthread_cond_wait(&z->done, &z->mu);
		if (b->state != PZ_DONE) {
			pthread_mutex_unlock(&z->mu);
			return 0;
		}
		pthread_mutex_unlock(&z->mu);
		if (b->zerr != 0)
			return errf(&z->err, "compress slug: zlib error %d",
			    b->zerr);
		z->written += b->outlen;
		if (z->max_bytes > 0 && z->written + 18 > z->max_bytes) {
			z->too_big = true;
			return errf(&z->err,
			    "slug exceeds the limit of %llu "
			    "bytes",
			    (unsigned long long)z->max_bytes);
		}
		if (pz_write_all(z, b->out, b->outlen) == -1)
			return -1;
		pz_capture(z, b);
		z->crc = crc32_combine(z->crc, b->crc, (z_off_t)b->inlen);
		z->isize += b->inlen;
		pthread_mutex_lock(&z->mu);
		b->state = PZ_FREE;
		b->inlen = 0;
		z->next_write++;
		pthread_mutex_unlock(&z->mu);
	}
}

/* Queues the current block (compressing it right away without threads)
 * and sets its successor's dictionary up. */
static int
pz_submit(struct pgzip *z, bool last)
{
	struct pz_blk *b = z->cur;
	size_t keep;

	memcpy(b->dict, z->tail, z->taillen);
	b->dictlen = z->taillen;
	/* The next dictionary: the last 32 KiB of everything so far. */
	if (b->inlen >= PGZIP_DICT) {
		memcpy(z->tail, b->in + b->inlen - PGZIP_DICT, PGZIP_DICT);
		z->taillen = PGZIP_DICT;
	} else {
		keep = z->taillen + b->inlen > PGZIP_DICT
		    ? PGZIP_DICT - b->inlen
		    : z->taillen;
		memmove(z->tail, z->tail + z->taillen - keep, keep);
		memcpy(z->tail + keep, b->in, b->inlen);
		z->taillen = keep + b->inlen;
	}
	b->last = last;
	z->cur = NULL;
	pthread_mutex_lock(&z->mu);
	b->seq = z->next_seq++;
	b->state = PZ_QUEUED;
	if (z->nth > 0)
		pthread_cond_signal(&z->work);
	pthread_mutex_unlock(&z->mu);
	if (z->nth == 0) {
		z->next_take++;
		b->zerr = pz_compress(&z->zs, b);
		b->state = PZ_DONE;
	}
	return pz_flush(z, false, UINT64_MAX);
}

/* Makes the next ring slot the current block, writing out older blocks
 * when the ring is full. */
static int
pz_acquire(struct pgzip *z)
{
	struct pz_blk *b = &z->ring[z->next_seq % z->nring];

	if (z->next_seq >= z->nring &&
	    pz_flush(z, true, z->next_seq - z->nring + 1) == -1)
		return -1;
	b->inlen = 0;
	z->cur = b;
	return 0;
}

static int
pz_write(struct pgzip *z, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t n;

	if (z->aborted)
		return z->err.msg[0] ? -1 : errf(&z->err, "packing aborted");
	while (len > 0) {
		if (z->cur->inlen == z->bsize) {
			if (z->cancel != NULL && z->cancel()) {
				z->cancelled = true;
				return errf(&z->err, "packing interrupted");
			}
			if (pz_submit(z, false) == -1 || pz_acquire(z) == -1)
				return -1;
		}
		n = z->bsize - z->cur->inlen;
		if (n > len)
			n = len;
		memcpy(z->cur->in + z->cur->inlen, p, n);
		z->cur->inlen += n;
		p += n;
		len -= n;
	}
	return 0;
}

static void
pz_stop(struct pgzip *z)
{
	size_t i;

	pthread_mutex_lock(&z->mu);
	z->quit = true;
	/* Drop what is queued and not started: nobody will write it. */
	z->next_take = z->next_seq;
	pthread_cond_broadcast(&z->work);
	pthread_mutex_unlock(&z->mu);
	for (i = 0; i < z->nth; i++)
		pthread_join(z->th[i], NULL);
	z->nth = 0;
}

static void
pz_free(struct pgzip *z)
{
	size_t i;

	pz_stop(z);
	for (i = 0; i < z->nring; i++) {
		free(z->ring[i].in);
		free(z->ring[i].out);
	}
	free(z->ring);
	free(z->th);
	if (z->zs_ok)
		deflateEnd(&z->zs);
	pthread_mutex_destroy(&z->mu);
	pthread_cond_destroy(&z->work);
	pthread_cond_destroy(&z->done);
}

/* The gzip header: deflate, no name, mtime 0 (reproducible), OS Unix. */
static const unsigned char gz_head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

static int
pz_init(struct pgzip *z, int fd, const char *path, int level, int threads,
    size_t bsize)
{
	size_t i, n;

	memset(z, 0, sizeof *z);
	z->fd = fd;
	z->path = path;
	z->level = level;
	z->bsize = bsize;
	z->crc = crc32(0L, Z_NULL, 0);
	z->cap_fd = -1;
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->work, NULL);
	pthread_cond_init(&z->done, NULL);
	/* Four blocks per thread in flight keep the workers busy through the
	 * reader's and the writer's pauses (a few MiB in all). */
	n = threads > 1 ? (size_t)threads * 4 + 2 : 1;
	if ((z->ring = calloc(n, sizeof *z->ring)) == NULL)
		return errf(&z->err, "compress slug:");
	z->nring = n;
	for (i = 0; i < z->nring; i++)
		if ((z->ring[i].in = malloc(bsize)) == NULL)
			return errf(&z->err, "compress slug:");
	if (threads <= 1) {
		if (pz_deflate_init(&z->zs, level) != Z_OK)
			return errf(&z->err, "compress slug: deflateInit2");
		z->zs_ok = true;
	} else {
		if ((z->th = calloc((size_t)threads, sizeof *z->th)) == NULL)
			return errf(&z->err, "compress slug:");
		for (i = 0; i < (size_t)threads; i++) {
			errno = pthread_create(&z->th[i], NULL, pz_worker, z);
			if (errno != 0)
				return errf(&z->err, "start thread:");
			z->nth++;
		}
	}
	z->cur = &z->ring[0];
	return pz_write_all(z, gz_head, sizeof gz_head);
}

static int
pz_finish(struct pgzip *z)
{
	unsigned char trailer[8];
	int i;

	if (pz_submit(z, true) == -1 || pz_flush(z, true, UINT64_MAX) == -1)
		return -1;
	for (i = 0; i < 4; i++) {
		trailer[i] = (unsigned char)(z->crc >> (8 * i));
		trailer[4 + i] = (unsigned char)(z->isize >> (8 * i));
	}
	if (pz_write_all(z, trailer, sizeof trailer) == -1)
		return -1;
	z->written += sizeof gz_head + sizeof trailer;
	return 0;
}

struct pgzip *
pgzip_new(int fd, const char *path, const struct pgzip_opts *o,
    struct errbuf *e)
{
	struct pgzip *z = malloc(sizeof *z);
	size_t bsize = o->block_size >= PGZIP_DICT ? o->block_size : PGZIP_DICT;

	if (z == NULL) {
		errf(e, "compress %s:", path);
		return NULL;
	}
	if (pz_init(z, fd, path, o->level, o->threads, bsize) == -1) {
		errf(e, "%s", z->err.msg);
		pgzip_free(z);
		return NULL;
	}
	z->max_bytes = o->max_bytes;
	z->cancel = o->cancel;
	return z;
}

int
pgzip_write(struct pgzip *z, const void *buf, size_t len, struct errbuf *e)
{
	if (pz_write(z, buf, len) == -1)
		return errf(e, "%s", z->err.msg);
	return 0;
}

int
pgzip_finish(struct pgzip *z, struct errbuf *e)
{
	if (z->aborted)
		return errf(e, "packing aborted");
	if (pz_finish(z) == -1)
		return errf(e, "%s", z->err.msg);
	return 0;
}

/* Submits the current block if it holds anything, and forgets the
 * dictionary: the next block starts the deflate stream afresh. */
static int
pz_cut(struct pgzip *z)
{
	if (z->aborted)
		return z->err.msg[0] ? -1 : errf(&z->err, "packing aborted");
	if (z->cur->inlen > 0 &&
	    (pz_submit(z, false) == -1 || pz_acquire(z) == -1))
		return -1;
	z->taillen = 0;
	return 0;
}

int
pgzip_cut(struct pgzip *z, struct errbuf *e)
{
	if (pz_cut(z) == -1)
		return errf(e, "%s", z->err.msg);
	return 0;
}

int
pgzip_capture_begin(struct pgzip *z, int fd, struct errbuf *e)
{
	if (pz_cut(z) == -1)
		return errf(e, "%s", z->err.msg);
	memset(&z->cap, 0, sizeof z->cap);
	z->cap.ccrc = z->cap.ucrc = (uint32_t)crc32(0L, Z_NULL, 0);
	z->cap_fd = fd;
	z->cap_from = z->next_seq;
	z->cap_failed = false;
	z->cap_err.msg[0] = '\0';
	return 0;
}

int
pgzip_capture_end(struct pgzip *z, struct pgzip_seg *s, struct errbuf *e)
{
	int rc =
	    pz_cut(z) == -1 || pz_flush(z, true, UINT64_MAX) == -1 ? -1 : 0;

	z->cap_fd = -1;
	if (rc == -1)
		return errf(e, "%s", z->err.msg);
	if (z->cap_failed) {
		errf(e, "%s", z->cap_err.msg);
		return 1;
	}
	*s = z->cap;
	return 0;
}

/* Cuts the member's file back to off after a segment that failed its
 * check: 1 (e says why), or -1 when it cannot be. */
static int
pz_unsplice(struct pgzip *z, off_t off, struct errbuf *e)
{
	if (ftruncate(z->fd, off) == -1 || lseek(z->fd, off, SEEK_SET) == -1) {
		errf(&z->err, "write %s:", z->path);
		return errf(e, "%s", z->err.msg);
	}
	return 1;
}

int
pgzip_splice(struct pgzip *z, int fd, const struct pgzip_seg *s,
    struct errbuf *e)
{
	unsigned char *buf = NULL;
	uint64_t left = s->clen;
	size_t bsize = 1 << 20;
	uLong crc = crc32(0L, Z_NULL, 0);
	off_t off;
	ssize_t n;
	int rc = -1;

	if (z->cancel != NULL && z->cancel()) {
		z->cancelled = true;
		errf(&z->err, "packing interrupted");
		return errf(e, "%s", z->err.msg);
	}
	if (pz_cut(z) == -1 || pz_flush(z, true, UINT64_MAX) == -1)
		return errf(e, "%s", z->err.msg);
	if (z->max_bytes > 0 && z->written + s->clen + 18 > z->max_bytes) {
		z->too_big = true;
		errf(&z->err, "slug exceeds the limit of %llu bytes",
		    (unsigned long long)z->max_bytes);
		return errf(e, "%s", z->err.msg);
	}
	if ((off = lseek(z->fd, 0, SEEK_CUR)) == -1) {
		errf(&z->err, "seek %s:", z->path);
		return errf(e, "%s", z->err.msg);
	}
	if ((buf = malloc(bsize)) == NULL) {
		errf(&z->err, "compress slug:");
		return errf(e, "%s", z->err.msg);
	}
	while (left > 0) {
		n = read(fd, buf, left < bsize ? (size_t)left : bsize);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == -1)
				errf(e, "read segment:");
			else
				errf(e, "segment ends early");
			rc = pz_unsplice(z, off, e);
			goto out;
		}
		crc = crc32(crc, buf, (uInt)n);
		if (pz_write_all(z, buf, (size_t)n) == -1) {
			errf(e, "%s", z->err.msg);
			goto out;
		}
		left -= (uint64_t)n;
	}
	if ((uint32_t)crc != s->ccrc) {
		errf(e, "segment does not match its checksum");
		rc = pz_unsplice(z, off, e);
		goto out;
	}
	z->written += s->clen;
	z->crc = crc32_combine(z->crc, s->ucrc, (z_off_t)s->ulen);
	z->isize += s->ulen;
	rc = 0;
out:
	free(buf);
	return rc;
}

void
pgzip_abort(struct pgzip *z)
{
	z->aborted = true;
}

const char *
pgzip_error(const struct pgzip *z)
{
	return z->err.msg[0] != '\0' ? z->err.msg : NULL;
}

void
pgzip_stats(const struct pgzip *z, struct pgzip_stats *s)
{
	s->in = z->isize + (z->cur != NULL ? z->cur->inlen : 0);
	s->written = z->written;
	s->too_big = z->too_big;
	s->cancelled = z->cancelled;
}

void
pgzip_free(struct pgzip *z)
{
	if (z == NULL)
		return;
	pz_free(z);
	free(z);
}
