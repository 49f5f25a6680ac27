/* Unit tests for decomp: gzip and zstd streams made here with zlib and
 * libzstd, fed in pieces of every size, into output rooms of every size;
 * several members and frames, headers with every optional field, trailing
 * data, truncation, corruption, and an output that stops. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#include "decomp.h"
#include "testhelp.h"

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* The output side: rooms of `room` bytes, appended to out on commit;
 * commits counted; stop_after > 0 makes that commit fail. */
struct sink {
	struct buf out;
	unsigned char *room;
	size_t roomlen;
	int commits, stop_after;
	bool bad; /* a commit larger than the room given */
};

static int
sink_space(void *arg, void **p, size_t *len)
{
	struct sink *s = arg;

	*p = s->room;
	*len = s->roomlen;
	return 0;
}

static int
sink_commit(void *arg, size_t len)
{
	struct sink *s = arg;

	if (len == 0 || len > s->roomlen)
		s->bad = true;
	if (++s->commits == s->stop_after)
		return -1;
	buf_add(&s->out, s->room, len);
	return 0;
}

/* Reproducible data that compresses some, not entirely. */
static void
fill(struct buf *b, size_t n, uint32_t seed)
{
	char line[64];

	while (b->len < n) {
		seed = seed * 1103515245u + 12345u;
		int k = snprintf(line, sizeof line, "line %u of the runtime\n",
		    (seed >> 16) % 5000);
		buf_add(b, line,
		    (size_t)k < n - b->len ? (size_t)k : n - b->len);
	}
}

static void
gzip_member(struct buf *out, const void *p, size_t n)
{
	z_stream z;
	unsigned char chunk[16384];
	int r;

	memset(&z, 0, sizeof z);
	deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof chunk;
		r = deflate(&z, Z_FINISH);
		buf_add(out, chunk, sizeof chunk - z.avail_out);
	} while (r == Z_OK);
	deflateEnd(&z);
}

/* A member whose header carries every optional field: extra, name,
 * comment and the header's own CRC (FHCRC), as gzip(1) never writes but
 * other tools do. */
static void
gzip_member_full(struct buf *out, const void *p, size_t n)
{
	static unsigned char extra[] = {'S', 'L', 4, 0, 'm', 'o', 'n', 'o'};
	gz_header h;
	z_stream z;
	unsigned char chunk[16384];
	int r;

	memset(&h, 0, sizeof h);
	h.os = 3;
	h.extra = extra;
	h.extra_len = sizeof extra;
	h.name = (unsigned char *)"mono-6.8.0.105.tar";
	h.comment = (unsigned char *)"a comment";
	h.hcrc = 1;
	memset(&z, 0, sizeof z);
	deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	deflateSetHeader(&z, &h);
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof chunk;
		r = deflate(&z, Z_FINISH);
		buf_add(out, chunk, sizeof chunk - z.avail_out);
	} while (r == Z_OK);
	deflateEnd(&z);
}

static void
zstd_frame(struct buf *out, const void *p, size_t n, int checksum)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(n), k;
	unsigned char *tmp = malloc(cap);

	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
	k = ZSTD_compress2(c, tmp, cap, p, n);
	buf_add(out, tmp, k);
	free(tmp);
	ZSTD_freeCCtx(c);
}

/* Runs in pieces of `piece` bytes into rooms of `room` bytes.  Returns what
 * finish (or the failing update) returned; the message in e. */
static int
run(const struct buf *in, size_t piece, size_t room, struct sink *s,
    enum decomp_kind *kind, uint64_t *in_bytes, uint64_t *trailing,
    struct errbuf *e)
{
	struct decomp_out o = {sink_space, sink_commit, s};
	struct decomp *d;
	size_t off;
	int rc = 0;

	s->room = malloc(room);
	s->roomlen = room;
	e->msg[0] = '\0';
	if ((d = decomp_new(&o, e)) == NULL)
		return -1;
	for (off = 0; off < in->len && rc == 0; off += piece)
		rc = decomp_update(d, in->p + off,
		    in->len - off < piece ? in->len - off : piece, e);
	if (rc == 0)
		rc = decomp_finish(d, e);
	if (kind != NULL)
		*kind = decomp_kind(d);
	if (in_bytes != NULL)
		*in_bytes = decomp_bytes_in(d);
	if (trailing != NULL)
		*trailing = decomp_bytes_trailing(d);
	decomp_free(d);
	free(s->room);
	s->room = NULL;
	return rc;
}

static bool
same(const struct sink *s, const struct buf *want)
{
	return !s->bad && s->out.len == want->len &&
	    memcmp(s->out.p, want->p, want->len) == 0;
}

static void
sink_reset(struct sink *s)
{
	free(s->out.p);
	memset(s, 0, sizeof *s);
}

static void
test_roundtrips(void)
{
	struct buf raw = {0}, raw2 = {0}, both = {0}, gz = {0};
	struct buf zs = {0}, gz2 = {0}, zs2 = {0};
	struct sink s = {0};
	struct errbuf e;
	enum decomp_kind kind;
	uint64_t in, trailing;
	const size_t pieces[] = {1, 3, 4, 5, 4096, 100000, 1 << 20};
	const size_t rooms[] = {1, 7, 65536, 300000};
	char descr[256];
	bool all;

	fill(&raw, 400000, 1);
	fill(&raw2, 123457, 2);
	buf_add(&both, raw.p, raw.len);
	buf_add(&both, raw2.p, raw2.len);
	gzip_member(&gz, raw.p, raw.len);
	zstd_frame(&zs, raw.p, raw.len, 1);

	all = true;
	for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++)
		for (size_t j = 0; j < sizeof rooms / sizeof rooms[0]; j++) {
			if (pieces[i] == 1 && rooms[j] == 1)
				continue; /* slow, and covered by the others */
			sink_reset(&s);
			if (run(&gz, pieces[i], rooms[j], &s, &kind, &in, NULL,
				&e) != 0 ||
			    kind != DECOMP_GZIP || in != gz.len ||
			    !same(&s, &raw)) {
				all = false;
				printf("# gzip piece %zu room %zu: %s\n",
				    pieces[i], rooms[j], e.msg);
			}
			sink_reset(&s);
			if (run(&zs, pieces[i], rooms[j], &s, &kind, &in, NULL,
				&e) != 0 ||
			    kind != DECOMP_ZSTD || in != zs.len ||
			    !same(&s, &raw)) {
				all = false;
				printf("# zstd piece %zu room %zu: %s\n",
				    pieces[i], rooms[j], e.msg);
			}
		}
	TEST("gzip and zstd: every piece and room size gives the data back",
	    all);

	/* Several members or frames: one stream (pigz, zstd -T, cat). */
	buf_add(&gz2, gz.p, gz.len);
	gzip_member(&gz2, raw2.p, raw2.len);
	gzip_member(&gz2, "", 0);
	sink_reset(&s);
	TEST("gzip: three members, one stream",
	    run(&gz2, 4096, 65536, &s, NULL, &in, &trailing, &e) == 0 &&
		same(&s, &both) && in == gz2.len && trailing == 0);
	for (size_t p = 1; p <= 5; p++) {
		sink_reset(&s);
		snprintf(descr, sizeof descr,
		    "gzip: members split in "
		    "%zu-byte pieces",
		    p);
		TEST(descr,
		    run(&gz2, p, 65536, &s, NULL, NULL, NULL, &e) == 0 &&
			same(&s, &both));
	}
	{
		/* Members with every optional header field, the header CRC
		 * included, split at every byte: the header must be read
		 * whole however it arrives. */
		struct buf full = {0};

		gzip_member_full(&full, raw2.p, raw2.len);
		gzip_member_full(&full, raw.p, raw.len);
		all = true;
		for (size_t p = 1; p <= 64; p++) {
			sink_reset(&s);
			if (run(&full, p, p < 8 ? 4096 : 65536, &s, NULL, &in,
				&trailing, &e) != 0 ||
			    in != full.len || trailing != 0 ||
			    s.out.len != raw2.len + raw.len ||
			    memcmp(s.out.p, raw2.p, raw2.len) != 0 ||
			    memcmp(s.out.p + raw2.len, raw.p, raw.len) != 0) {
				all = false;
				printf("# full header, %zu-byte pieces: %s\n",
				    p, e.msg);
			}
		}
		TEST("gzip: headers with extra, name, comment and header CRC, "
		     "in pieces of 1 to 64 bytes",
		    all);
		free(full.p);
	}
	{
		/* A skippable frame between two frames, one without a
		 * checksum. */
		static const unsigned char skip[12] = {0x5a, 0x2a, 0x4d, 0x18,
		    4, 0, 0, 0, 'n', 'o', 't', 'e'};
		buf_add(&zs2, zs.p, zs.len);
		buf_add(&zs2, skip, sizeof skip);
		zstd_frame(&zs2, raw2.p, raw2.len, 0);
	}
	sink_reset(&s);
	TEST("zstd: two frames and a skippable one, one stream",
	    run(&zs2, 4096, 65536, &s, NULL, &in, &trailing, &e) == 0 &&
		same(&s, &both) && in == zs2.len && trailing == 0);
	for (size_t p = 1; p <= 5; p++) {
		sink_reset(&s);
		snprintf(descr, sizeof descr,
		    "zstd: frames split in "
		    "%zu-byte pieces",
		    p);
		TEST(descr,
		    run(&zs2, p, 65536, &s, NULL, NULL, NULL, &e) == 0 &&
			same(&s, &both));
	}

	/* Anything else passes through untouched. */
	sink_reset(&s);
	TEST("other data passes through",
	    run(&raw, 777, 1000, &s, &kind, &in, NULL, &e) == 0 &&
		kind == DECOMP_NONE && in == raw.len && same(&s, &raw));
	{
		struct buf tiny = {0}, empty = {0};
		buf_add(&tiny, "ab", 2);
		sink_reset(&s);
		TEST("fewer than 4 bytes pass through",
		    run(&tiny, 1, 10, &s, &kind, NULL, NULL, &e) == 0 &&
			kind == DECOMP_NONE && same(&s, &tiny));
		sink_reset(&s);
		TEST("empty input: nothing, no error",
		    run(&empty, 1, 10, &s, &kind, NULL, NULL, &e) == 0 &&
			kind == DECOMP_UNKNOWN && s.out.len == 0);
		free(tiny.p);
	}

	free(raw.p);
	free(raw2.p);
	free(both.p);
	free(gz.p);
	free(gz2.p);
	free(zs.p);
	free(zs2.p);
	sink_reset(&s);
}

static void
test_damage(void)
{
	struct buf raw = {0}, gz = {0}, zs = {0}, x = {0};
	struct sink s = {0};
	struct errbuf e;
	uint64_t trailing;
	int rc;

	fill(&raw, 300000, 3);
	gzip_member(&gz, raw.p, raw.len);
	zstd_frame(&zs, raw.p, raw.len, 1);

	/* Trailing data after the last member or frame: dropped, counted. */
	buf_add(&x, gz.p, gz.len);
	buf_add(&x, "\0\0\0\0\0\0junk", 10);
	sink_reset(&s);
	TEST("gzip: trailing data dropped and counted",
	    run(&x, 3, 4096, &s, NULL, NULL, &trailing, &e) == 0 &&
		same(&s, &raw) && trailing == 10);
	x.len = 0;
	buf_add(&x, zs.p, zs.len);
	buf_add(&x, "\x1f\x8bjunk", 6);
	sink_reset(&s);
	TEST("zstd: trailing data (even gzip's magic) dropped and counted",
	    run(&x, 4096, 4096, &s, NULL, NULL, &trailing, &e) == 0 &&
		same(&s, &raw) && trailing == 6);
	x.len = 0;
	buf_add(&x, gz.p, gz.len);
	buf_add(&x, "\x1f", 1);
	sink_reset(&s);
	TEST("gzip: half a magic number at the end is trailing data",
	    run(&x, 4096, 4096, &s, NULL, NULL, &trailing, &e) == 0 &&
		same(&s, &raw) && trailing == 1);

	/* Truncated: the data up to the cut comes out, then the error. */
	x.len = 0;
	buf_add(&x, gz.p, gz.len / 2);
	sink_reset(&s);
	rc = run(&x, 1000, 4096, &s, NULL, NULL, NULL, &e);
	TEST("gzip: truncated stream fails",
	    rc == -1 && strcmp(e.msg, "truncated gzip input") == 0);
	TEST("gzip: truncated: what came before the cut is output",
	    s.out.len > raw.len / 4 && s.out.len < raw.len &&
		memcmp(s.out.p, raw.p, s.out.len) == 0);
	x.len = 0;
	buf_add(&x, gz.p, gz.len - 4);
	sink_reset(&s);
	TEST("gzip: a stream cut in its trailer is truncated too",
	    run(&x, 4096, 4096, &s, NULL, NULL, NULL, &e) == -1 &&
		strcmp(e.msg, "truncated gzip input") == 0 && same(&s, &raw));
	x.len = 0;
	buf_add(&x, "\x1f\x8b", 2);
	sink_reset(&s);
	TEST("gzip: a magic number alone is truncated",
	    run(&x, 1, 4096, &s, NULL, NULL, NULL, &e) == -1 &&
		strcmp(e.msg, "truncated gzip input") == 0);
	x.len = 0;
	buf_add(&x, zs.p, zs.len - 100);
	sink_reset(&s);
	rc = run(&x, 5000, 4096, &s, NULL, NULL, NULL, &e);
	TEST("zstd: truncated stream fails",
	    rc == -1 && strcmp(e.msg, "truncated zstd input") == 0);
	TEST("zstd: truncated: what came before the cut is output",
	    s.out.len > 0 && s.out.len < raw.len &&
		memcmp(s.out.p, raw.p, s.out.len) == 0);

	/* Corrupt. */
	x.len = 0;
	buf_add(&x, gz.p, gz.len);
	memset(x.p + x.len / 2, 0xff, 64);
	sink_reset(&s);
	TEST("gzip: corrupt data fails",
	    run(&x, 4096, 4096, &s, NULL, NULL, NULL, &e) == -1 &&
		strncmp(e.msg, "gzip data corrupt: ", 19) == 0);
	printf("# %s\n", e.msg);
	x.p[10] = 0xff; /* the first block: final, of the invalid type 3 */
	sink_reset(&s);
	TEST("gzip: an invalid block fails",
	    run(&x, 4096, 4096, &s, NULL, NULL, NULL, &e) == -1 &&
		strcmp(e.msg, "gzip data corrupt: invalid block") == 0 &&
		s.out.len == 0);
	x.len = 0;
	buf_add(&x, zs.p, zs.len);
	memset(x.p + x.len / 2, 0xff, 64);
	sink_reset(&s);
	TEST("zstd: corrupt data fails",
	    run(&x, 4096, 4096, &s, NULL, NULL, NULL, &e) == -1 &&
		strncmp(e.msg, "zstd data corrupt: ", 19) == 0);
	printf("# %s\n", e.msg);

	/* The checksums. */
	x.len = 0;
	buf_add(&x, gz.p, gz.len);
	x.p[x.len - 8] ^= 1;
	sink_reset(&s);
	TEST("gzip: a wrong CRC fails",
	    run(&x, 4096, 4096, &s, NULL, NULL, NULL, &e) == -1 &&
		strcmp(e.msg, "gzip data corrupt: incorrect data check") == 0);
	x.p[x.len - 8] ^= 1;
	x.p[x.len - 1] ^= 0x80; /* the length, ISIZE */
	sink_reset(&s);
	TEST("gzip: a wrong length fails",
	    run(&x, 4096, 4096, &s, NULL, NULL, NULL, &e) == -1 &&
		strcmp(e.msg, "gzip data corrupt: incorrect data check") == 0);
	x.len = 0;
	gzip_member_full(&x, raw.p, raw.len);
	for (size_t i = 10; i + 1 < x.len; i++)
		if (x.p[i] == 0 && memcmp(x.p + i - 9, "a comment", 9) == 0) {
			x.p[i + 1] ^= 1; /* the header CRC's first byte */
			break;
		}
	sink_reset(&s);
	TEST("gzip: a wrong header CRC fails, nothing output",
	    run(&x, 3, 4096, &s, NULL, NULL, NULL, &e) == -1 &&
		strcmp(e.msg, "gzip data corrupt: header crc mismatch") == 0 &&
		s.out.len == 0);
	x.len = 0;
	buf_add(&x, "\x1f\x8b\x07\x00\0\0\0\0\0\x03", 10);
	sink_reset(&s);
	TEST("gzip: a method other than deflate fails",
	    run(&x, 1, 4096, &s, NULL, NULL, NULL, &e) == -1 &&
		strcmp(e.msg,
		    "gzip data corrupt: unknown compression method") == 0);
	x.len = 0;
	buf_add(&x, zs.p, zs.len);
	x.p[x.len - 1] ^= 1;
	sink_reset(&s);
	TEST("zstd: a wrong checksum fails",
	    run(&x, 4096, 4096, &s, NULL, NULL, NULL, &e) == -1 &&
		strncmp(e.msg, "zstd data corrupt: ", 19) == 0);

	/* The output stops: decomp stops, its errbuf untouched. */
	sink_reset(&s);
	s.stop_after = 3;
	TEST("an output that stops stops decompression",
	    run(&gz, 4096, 4096, &s, NULL, NULL, NULL, &e) == -1 &&
		e.msg[0] == '\0' && s.commits == 3);
	sink_reset(&s);
	s.stop_after = 2;
	TEST("... also passing through",
	    run(&raw, 100000, 4096, &s, NULL, NULL, NULL, &e) == -1 &&
		e.msg[0] == '\0' && s.commits == 2);

	free(raw.p);
	free(gz.p);
	free(zs.p);
	free(x.p);
	sink_reset(&s);
}

/* A bomb: the decompressor only goes as far as its output lets it. */
static void
test_bomb(void)
{
	struct buf zeros = {0}, zs = {0};
	struct sink s = {0};
	struct errbuf e;

	zeros.p = calloc(1, 64 << 20);
	zeros.len = zeros.cap = 64 << 20;
	zstd_frame(&zs, zeros.p, zeros.len, 0);
	s.stop_after = 10;
	TEST("zstd bomb: stops at the output's first refusal",
	    zs.len < 64 << 10 &&
		run(&zs, zs.len, 65536, &s, NULL, NULL, NULL, &e) == -1 &&
		s.out.len == 9 * 65536);
	free(zeros.p);
	free(zs.p);
	sink_reset(&s);
}

int
main(void)
{
	test_roundtrips();
	test_damage();
	test_bomb();
	return test_report();
}
