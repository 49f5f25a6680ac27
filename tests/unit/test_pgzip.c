/* test_pgzip.c - the parallel deflater: real files, real threads, zlib's
 * own inflate to read the result back. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "fsutil.h"
#include "pgzip.h"
#include "testhelp.h"
#include "testtmp.h"

#define LEN (700 * 1024 + 123)

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Text-like and random runs, so blocks differ and matches cross them. */
static unsigned char *
make_input(void)
{
	unsigned char *in = malloc(LEN);
	unsigned x = 12345;
	size_t i;

	if (in == NULL)
		abort();
	for (i = 0; i < LEN; i++) {
		x = x * 1103515245 + 12345;
		in[i] = (i / 5000) % 2 ? (unsigned char)(x >> 16)
				       : (unsigned char)("slug "[i % 5]);
	}
	return in;
}

/* Compresses in (LEN bytes, in pieces of piece bytes) into rel. */
static int
compress_to(const char *rel, const unsigned char *in, size_t piece,
    const struct pgzip_opts *o, struct pgzip_stats *st, struct errbuf *e)
{
	struct pgzip *z;
	size_t off, n;
	int fd, rc = -1;

	fd = open(at(tmpdir, rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644);
	if (fd == -1)
		return errf(e, "%s:", rel);
	if ((z = pgzip_new(fd, rel, o, e)) == NULL)
		goto out;
	for (off = 0; off < LEN; off += n) {
		n = LEN - off < piece ? LEN - off : piece;
		if (pgzip_write(z, in + off, n, e) == -1)
			goto out;
	}
	rc = pgzip_finish(z, e);
out:
	if (z != NULL)
		pgzip_stats(z, st);
	pgzip_free(z);
	close(fd);
	return rc;
}

/* Whether the gzip file rel holds exactly in. */
static bool
gunzips_to(const char *rel, const unsigned char *in)
{
	size_t len;
	char *gz = fs_read_file(at(tmpdir, rel), 1 << 24, &len, NULL);
	unsigned char *out = malloc(LEN + 1);
	z_stream zs = {0};
	bool ok;

	if (gz == NULL || out == NULL ||
	    inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		abort();
	zs.next_in = (unsigned char *)gz;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = LEN + 1;
	ok = inflate(&zs, Z_FINISH) == Z_STREAM_END && zs.total_out == LEN &&
	    zs.avail_in == 0 && memcmp(out, in, LEN) == 0;
	inflateEnd(&zs);
	free(gz);
	free(out);
	return ok;
}

static void
test_roundtrip(const unsigned char *in)
{
	struct pgzip_opts o = {6, 1, PGZIP_DICT, 0, NULL};
	struct pgzip_stats st;
	struct errbuf e = {""};
	int rc;

	rc = compress_to("one.gz", in, 4096, &o, &st, &e);
	TEST("one thread: compresses", rc == 0);
	TEST("one thread: gunzip gives the input back",
	    rc == 0 && gunzips_to("one.gz", in));
	TEST("stats: bytes in", st.in == LEN);
	TEST("stats: bytes written are the file's",
	    (off_t)st.written == file_size(at(tmpdir, "one.gz")) &&
		!st.too_big && !st.cancelled);
	o.threads = 4;
	rc = compress_to("four.gz", in, 100000, &o, &st, &e);
	TEST("four threads: compresses", rc == 0);
	TEST("four threads: the same bytes as one",
	    same_file(at(tmpdir, "one.gz"), at(tmpdir, "four.gz")));
	o.threads = 3;
	rc = compress_to("three.gz", in, 1, &o, &st, &e);
	TEST("three threads, byte by byte: the same bytes",
	    rc == 0 && same_file(at(tmpdir, "one.gz"), at(tmpdir, "three.gz")));
	o.block_size = 0; /* below the minimum: one dictionary */
	o.level = 1;
	rc = compress_to("level1.gz", in, 65536, &o, &st, &e);
	TEST("level 1, tiny blocks: gunzips",
	    rc == 0 && gunzips_to("level1.gz", in));
}

static int cancel_now;

static int
cancel(void)
{
	return cancel_now;
}

static void
test_failures(const unsigned char *in)
{
	struct pgzip_opts o = {6, 2, PGZIP_DICT, 2000, NULL};
	struct pgzip_stats st;
	struct errbuf e = {""};
	struct pgzip *z;
	int fd;

	TEST("max_bytes: fails",
	    compress_to("big.gz", in, 8192, &o, &st, &e) == -1 && st.too_big &&
		strcmp(e.msg, "slug exceeds the limit of 2000 bytes") == 0);
	o.max_bytes = 0;
	o.cancel = cancel;
	cancel_now = 1;
	TEST("cancel: fails",
	    compress_to("cancel.gz", in, 8192, &o, &st, &e) == -1 &&
		st.cancelled && strcmp(e.msg, "packing interrupted") == 0);
	cancel_now = 0;
	o.cancel = NULL;

	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	TEST("/dev/full opened", fd >= 0);
	z = pgzip_new(fd, "full.gz", &o, &e);
	TEST("a write error names the file",
	    z == NULL &&
		strcmp(e.msg, "write full.gz: No space left on device") == 0);
	close(fd);

	fd = open(at(tmpdir, "abort.gz"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	z = pgzip_new(fd, "abort.gz", &o, &e);
	TEST("abort: made", z != NULL && pgzip_error(z) == NULL);
	TEST("abort: writes before go", pgzip_write(z, in, 100, &e) == 0);
	pgzip_abort(z);
	TEST("abort: later writes fail",
	    pgzip_write(z, in, 100, &e) == -1 &&
		strcmp(e.msg, "packing aborted") == 0);
	TEST("abort: and so does finishing", pgzip_finish(z, &e) == -1);
	TEST("abort: the error is the compressor's",
	    pgzip_error(z) != NULL &&
		strcmp(pgzip_error(z), "packing aborted") == 0);
	pgzip_free(z);
	close(fd);
	pgzip_free(NULL);
}

int
main(void)
{
	unsigned char *in;

	if (tmp_init("test_pgzip") == -1)
		return 1;
	in = make_input();
	test_roundtrip(in);
	test_failures(in);
	free(in);
	tmp_done();
	return test_report();
}
