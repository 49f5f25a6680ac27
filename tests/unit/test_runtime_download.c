/* Unit tests for install: the streaming download + hash + extract pipeline,
 * over file:// URLs and over HTTP from faultd (built next to this test, in
 * ../servers/faultd) with injected faults.  Every failure must leave no
 * destination and no temporary directory behind. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>
#include <zstd.h>

#include "digest.h"
#include "fetch.h"
#include "fsutil.h"
#include "monotime.h"
#include "runtime/download.h"
#include "testfs.h"
#include "testhelp.h"
#include "testtar.h"

#define RANDOM_SIZE (3 * 1024 * 1024 + 777) /* several pipe-fulls */
#define BIG_SIZE (48 * 1024 * 1024)	    /* more than the RSS budget */

static char *tmp, *www, *cache;
static char good_sha[DIGEST_HEX_SIZE];
static struct errbuf e;
static pid_t faultd = -1;
static int port;

/* A runtime-like tree: dirs, files, a relative symlink, a hard link and
 * noise bytes of xorshift noise; hostile puts a traversal entry first. */
static int
mk_runtime(const char *file, int filter, bool hostile, int64_t noise)
{
	const struct tar_ent ents[] = {
	    {"bin/../../escaped", AE_IFREG, 0644, tar_noise, 10, NULL},
	    {"bin", AE_IFDIR, 0755, NULL, 0, NULL},
	    {"bin/mono", AE_IFREG, 0755, "mono!\n", 0, NULL},
	    {"bin/mono-sgen", 0, 0755, NULL, 0, "bin/mono"},
	    {"lib", AE_IFDIR, 0755, NULL, 0, NULL},
	    {"lib/noise.bin", AE_IFREG, 0644, tar_noise, noise, NULL},
	    {"lib/libnoise.so", AE_IFLNK, 0777, NULL, 0, "noise.bin"},
	};
	size_t skip = hostile ? 0 : 1;

	return tar_write(file, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, filter,
	    ents + skip, sizeof ents / sizeof ents[0] - skip);
}

static void
file_url(char *out, size_t size, const char *name)
{
	snprintf(out, size, "file://%s/%s", www, name);
}

static void
http_url(char *out, size_t size, const char *spec, const char *name)
{
	if (spec != NULL)
		snprintf(out, size, "http://127.0.0.1:%d/_fault/%s/%s", port,
		    spec, name);
	else
		snprintf(out, size, "http://127.0.0.1:%d/%s", port, name);
}

static int
install(const char *url, const char *sha, const char *dest,
    struct fetch_opts *tweak)
{
	struct fetch_opts fo;

	if (tweak != NULL)
		fo = *tweak;
	else
		fetch_opts_init(&fo);
	fo.url = url;
	e.msg[0] = '\0';
	return runtime_download(&fo, sha, dest, NULL, NULL, &e);
}

/* The installed tree is the runtime built by mk_runtime. */
static bool
tree_ok(const char *dest)
{
	char *p = fs_join(dest, "bin/mono"),
	     *q = fs_join(dest, "bin/mono-sgen");
	char *n = fs_join(dest, "lib/libnoise.so");
	char *data = fs_read_file(p, 100, NULL, &e);
	struct stat st1, st2, sn;
	bool ok = data != NULL && strcmp(data, "mono!\n") == 0 &&
	    stat(p, &st1) == 0 && stat(q, &st2) == 0 &&
	    st1.st_ino == st2.st_ino && (st1.st_mode & 07777) == 0755 &&
	    stat(n, &sn) == 0 && sn.st_size == RANDOM_SIZE;

	free(data);
	free(p);
	free(q);
	free(n);
	return ok;
}

/* Expects a failed install: a message naming want1 (and want2), no dest,
 * nothing left in the cache directory. */
static void
expect_fail(const char *descr, int rc, const char *dest, const char *want1,
    const char *want2)
{
	char buf[2048];

	snprintf(buf, sizeof buf, "%s: fails (%s)", descr, e.msg);
	TEST(buf, rc == -1);
	snprintf(buf, sizeof buf, "%s: message names it", descr);
	TEST(buf,
	    strstr(e.msg, want1) != NULL &&
		(want2 == NULL || strstr(e.msg, want2) != NULL) &&
		strchr(e.msg, '\n') == NULL);
	snprintf(buf, sizeof buf, "%s: no destination, no leftovers", descr);
	TEST(buf, !fs_exists(dest) && count_dir(cache) == 0);
}

/* The size of www/name (0 if it is missing). */
static size_t
www_size(const char *name)
{
	char *p = fs_join(www, name);
	struct stat st;
	size_t size = stat(p, &st) == 0 ? (size_t)st.st_size : 0;

	free(p);
	return size;
}

/* The sha256 of www/name into sha. */
static void
www_sha(const char *name, char sha[DIGEST_HEX_SIZE])
{
	char *p = fs_join(www, name);

	digest_file_hex(p, sha, &e);
	free(p);
}

/* Writes the first len bytes of www/src, with the bytes at off replaced by
 * patch (plen bytes, none if NULL), to www/name; its sha256 into sha. */
static void
variant(const char *src, const char *name, size_t len, size_t off,
    const void *patch, size_t plen, char sha[DIGEST_HEX_SIZE])
{
	char *from = fs_join(www, src), *to = fs_join(www, name);
	size_t have;
	char *data = fs_read_file(from, 64 << 20, &have, &e);

	if (data != NULL) {
		if (patch != NULL && off + plen <= have)
			memcpy(data + off, patch, plen);
		fs_write_file_atomic(to, data, len < have ? len : have, 0644,
		    &e);
	}
	digest_file_hex(to, sha, &e);
	free(data);
	free(from);
	free(to);
}

/* Writes www/src followed by the tlen bytes of tail to www/name (which may
 * be src); its sha256 into sha. */
static void
appended(const char *src, const char *name, const void *tail, size_t tlen,
    char sha[DIGEST_HEX_SIZE])
{
	char *from = fs_join(www, src), *to = fs_join(www, name);
	size_t have;
	char *data = fs_read_file(from, 64 << 20, &have, &e);
	char *more = data != NULL ? realloc(data, have + tlen) : NULL;

	if (more != NULL) {
		data = more;
		memcpy(data + have, tail, tlen);
		fs_write_file_atomic(to, data, have + tlen, 0644, &e);
	}
	www_sha(name, sha);
	free(data);
	free(from);
	free(to);
}

static void
test_file_urls(void)
{
	char url[PATH_MAX + 64], upper[DIGEST_HEX_SIZE], sha[DIGEST_HEX_SIZE];
	char *dest = fs_join(cache, "mono"), *p;
	int rc;

	file_url(url, sizeof url, "good.tar.gz");
	rc = install(url, good_sha, dest, NULL);
	TEST("file://: installs", rc == 0);
	if (rc != 0)
		printf("# %s\n", e.msg);
	TEST("file://: the tree is complete", tree_ok(dest));
	TEST("file://: only the destination is left", count_dir(cache) == 1);
	fs_rm_rf(dest, &e);

	for (int i = 0; i < 64; i++)
		upper[i] =
		    (char)(good_sha[i] >= 'a' ? good_sha[i] - 32 : good_sha[i]);
	upper[64] = '\0';
	TEST("file://: an uppercase sha256 matches",
	    install(url, upper, dest, NULL) == 0 && tree_ok(dest));
	fs_rm_rf(dest, &e);

	/* Each compression. */
	for (int i = 0; i < 2; i++) {
		const char *name = i == 0 ? "good.tar.xz" : "good.tar.zst";
		char *arc = fs_join(www, name), buf[256];
		mk_runtime(arc,
		    i == 0 ? ARCHIVE_FILTER_XZ : ARCHIVE_FILTER_ZSTD, false,
		    RANDOM_SIZE);
		digest_file_hex(arc, sha, &e);
		file_url(url, sizeof url, name);
		snprintf(buf, sizeof buf, "file://: installs %s", name);
		TEST(buf, install(url, sha, dest, NULL) == 0 && tree_ok(dest));
		fs_rm_rf(dest, &e);
		free(arc);
	}

	memcpy(sha, good_sha, sizeof sha);
	sha[10] = sha[10] == '0' ? '1' : '0';
	file_url(url, sizeof url, "good.tar.gz");
	expect_fail("hash mismatch", install(url, sha, dest, NULL), dest, url,
	    "sha256 mismatch: expected");

	expect_fail("invalid sha256", install(url, "abc", dest, NULL), dest,
	    url, "not 64 hex digits");

	file_url(url, sizeof url, "missing.tar.gz");
	expect_fail("missing file", install(url, good_sha, dest, NULL), dest,
	    url, NULL);

	file_url(url, sizeof url, "hostile.tar.gz");
	www_sha("hostile.tar.gz", sha);
	expect_fail("hostile archive (right hash)",
	    install(url, sha, dest, NULL), dest, url,
	    "archive entry 'bin/../../escaped': path escapes the root");
	p = fs_join(tmp, "escaped");
	TEST("hostile archive: nothing escaped", !fs_exists(p));
	free(p);

	/* A truncated archive whose hash is right (the publisher uploaded a
	 * cut file): the archive's error, naming the entry. */
	variant("good.tar.gz", "cut.tar.gz", www_size("good.tar.gz") / 2, 0,
	    NULL, 0, sha);
	file_url(url, sizeof url, "cut.tar.gz");
	expect_fail("truncated archive (right hash)",
	    install(url, sha, dest, NULL), dest, url,
	    "archive entry 'lib/noise.bin': truncated gzip input");

	file_url(url, sizeof url, "notar.zip");
	www_sha("notar.zip", sha);
	expect_fail("zip file", install(url, sha, dest, NULL), dest, url,
	    "not a tar archive");

	/* Bytes after the archive's end are hashed too (the drain). */
	{
		char tail[5000] = "";

		memcpy(tail + 4000, "junk", 4);
		appended("good.tar.gz", "trailer.tar.gz", tail, sizeof tail,
		    sha);
		file_url(url, sizeof url, "trailer.tar.gz");
		rc = install(url, sha, dest, NULL);
		TEST("trailing bytes: hash over every byte installs",
		    rc == 0 && tree_ok(dest));
		fs_rm_rf(dest, &e);
		expect_fail("trailing bytes: hash of the archive alone "
			    "mismatches",
		    install(url, good_sha, dest, NULL), dest, url,
		    "sha256 mismatch");
	}
	/* An archive followed by endless data: stopped, not read forever. */
	{
		char *junk = malloc(20 << 20);

		p = fs_join(www, "tail.tar");
		mk_runtime(p, ARCHIVE_FILTER_NONE, false, 1000);
		free(p);
		memset(junk, 'j', 20 << 20);
		appended("tail.tar", "tail.tar", junk, 20 << 20, sha);
		free(junk);
		file_url(url, sizeof url, "tail.tar");
		expect_fail("20 MiB after the archive's end",
		    install(url, sha, dest, NULL), dest, url,
		    "after the end of the archive");
	}

	/* dest already there: refused, left alone. */
	mkdir(dest, 0755);
	p = fs_join(dest, "mine");
	fs_write_file_atomic(p, "keep", 4, 0644, &e);
	file_url(url, sizeof url, "good.tar.gz");
	rc = install(url, good_sha, dest, NULL);
	TEST("existing destination refused",
	    rc == -1 && strstr(e.msg, "already exists") != NULL);
	TEST("existing destination untouched",
	    fs_exists(p) && count_dir(cache) == 1);
	free(p);
	fs_rm_rf(dest, &e);

	/* Missing parents are created. */
	p = fs_join(cache, "deep/er/mono");
	TEST("destination parents created",
	    install(url, good_sha, p, NULL) == 0 && tree_ok(p));
	free(p);
	p = fs_join(cache, "deep");
	fs_rm_rf(p, &e);
	free(p);
	free(dest);
}

/* Compresses the file src into dst as n gzip members or zstd frames (what
 * pigz, zstd -T or cat a.gz b.gz give), with libz or libzstd. */
static int
compress_parts(const char *src, const char *dst, bool zstd, int n)
{
	size_t len, part, off, cap, k;
	char *data = fs_read_file(src, 64 << 20, &len, &e);
	unsigned char *out = NULL;
	FILE *f = fopen(dst, "wb");
	int rc = -1;

	if (data == NULL || f == NULL)
		goto out;
	part = len / (size_t)n + 1;
	for (off = 0; off < len; off += part) {
		size_t m = len - off < part ? len - off : part;
		if (zstd) {
			cap = ZSTD_compressBound(m);
			out = realloc(out, cap);
			k = ZSTD_compress(out, cap, data + off, m, 3);
			if (ZSTD_isError(k))
				goto out;
		} else {
			z_stream z;
			memset(&z, 0, sizeof z);
			cap = deflateBound(&z, (uLong)m) + 64;
			out = realloc(out, cap);
			if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
				Z_DEFAULT_STRATEGY) != Z_OK)
				goto out;
			z.next_in = (unsigned char *)data + off;
			z.avail_in = (uInt)m;
			z.next_out = out;
			z.avail_out = (uInt)cap;
			if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
				deflateEnd(&z);
				goto out;
			}
			k = cap - z.avail_out;
			deflateEnd(&z);
		}
		if (fwrite(out, 1, k, f) != k)
			goto out;
	}
	rc = 0;
out:
	if (f != NULL && fclose(f) != 0)
		rc = -1;
	free(out);
	free(data);
	return rc;
}

/* gzip and zstd are decompressed in the download thread: several members
 * and frames, damage of every kind (the hash right, as when the publisher
 * uploaded a broken file), bombs. */
static void
test_streams(void)
{
	char url[PATH_MAX + 64], sha[DIGEST_HEX_SIZE], buf[256];
	char *dest = fs_join(cache, "mono"), *plain = fs_join(www, "plain.tar");
	char *p;
	size_t size;
	int rc;

	mk_runtime(plain, ARCHIVE_FILTER_NONE, false, RANDOM_SIZE);
	for (int i = 0; i < 2; i++) {
		const char *name = i == 0 ? "parts.tar.gz" : "parts.tar.zst";
		p = fs_join(www, name);
		TEST("fixture: several members or frames",
		    compress_parts(plain, p, i == 1, 3) == 0);
		free(p);
		www_sha(name, sha);
		file_url(url, sizeof url, name);
		rc = install(url, sha, dest, NULL);
		snprintf(buf, sizeof buf, "%s (3 %s) installs", name,
		    i == 0 ? "gzip members" : "zstd frames");
		TEST(buf, rc == 0 && tree_ok(dest));
		if (rc != 0)
			printf("# %s\n", e.msg);
		fs_rm_rf(dest, &e);
	}

	/* Truncated: the error names the entry where the data stops. */
	p = fs_join(www, "good.tar.zst");
	mk_runtime(p, ARCHIVE_FILTER_ZSTD, false, RANDOM_SIZE);
	free(p);
	variant("good.tar.zst", "cut.tar.zst", www_size("good.tar.zst") / 2, 0,
	    NULL, 0, sha);
	file_url(url, sizeof url, "cut.tar.zst");
	expect_fail("truncated zstd (right hash)",
	    install(url, sha, dest, NULL), dest, url,
	    "archive entry 'lib/noise.bin': truncated zstd "
	    "input");
	size = www_size("good.tar.gz");
	variant("good.tar.gz", "cut8.tar.gz", size - 8, 0, NULL, 0, sha);
	file_url(url, sizeof url, "cut8.tar.gz");
	expect_fail("gzip cut in its trailer, after the tar's end (right "
		    "hash)",
	    install(url, sha, dest, NULL), dest, url, "truncated gzip input");

	/* Corrupt. */
	variant("good.tar.gz", "bad.tar.gz", size, 10, "\xff", 1, sha);
	file_url(url, sizeof url, "bad.tar.gz");
	expect_fail("corrupt gzip (right hash)", install(url, sha, dest, NULL),
	    dest, url, "archive: gzip data corrupt: invalid block");
	variant("good.tar.gz", "crc.tar.gz", size, size - 8, "\0\0\0\0", 4,
	    sha);
	file_url(url, sizeof url, "crc.tar.gz");
	expect_fail("gzip with a wrong CRC (right hash)",
	    install(url, sha, dest, NULL), dest, url,
	    "gzip data corrupt: incorrect data check");
	/* Reserved bit of the frame header set (without a checksum, zstd
	 * cannot tell damaged data apart: the hash does). */
	variant("good.tar.zst", "bad.tar.zst", (size_t)-1, 4, "\xff", 1, sha);
	file_url(url, sizeof url, "bad.tar.zst");
	expect_fail("corrupt zstd (right hash)", install(url, sha, dest, NULL),
	    dest, url, "zstd data corrupt");

	/* Trailing data after the last member: hashed, ignored, capped. */
	{
		char *junk = malloc(17 << 20);

		memset(junk, 'j', 17 << 20);
		appended("good.tar.gz", "junk.tar.gz", junk, 4096, sha);
		file_url(url, sizeof url, "junk.tar.gz");
		rc = install(url, sha, dest, NULL);
		TEST("junk after the last gzip member: installs",
		    rc == 0 && tree_ok(dest));
		if (rc != 0)
			printf("# %s\n", e.msg);
		fs_rm_rf(dest, &e);
		appended("good.tar.gz", "junk.tar.gz", junk, 17 << 20, sha);
		expect_fail("17 MiB of junk after the last gzip member",
		    install(url, sha, dest, NULL), dest, url,
		    "after the end of the archive");
		free(junk);
	}

	/* Bombs: the expansion is measured against the compressed bytes,
	 * though libarchive sees only the tar. */
	{
		const struct tar_ent bomb[] = {
		    {"zeros", AE_IFREG, 0644, NULL, 256LL << 20, NULL},
		};
		p = fs_join(www, "bomb.tar.zst");
		tar_write(p, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
		    ARCHIVE_FILTER_ZSTD, bomb, 1);
		free(p);
		www_sha("bomb.tar.zst", sha);
		file_url(url, sizeof url, "bomb.tar.zst");
		expect_fail("zstd bomb, default limits",
		    install(url, sha, dest, NULL), dest, url,
		    "archive entry 'zeros': archive expands "
		    "more than 200 times");
	}
	{
		struct unpack_limits small;
		struct fetch_opts fo;
		unpack_limits_init(&small);
		small.ratio_floor = 1 << 20;
		small.max_ratio = 20;
		fetch_opts_init(&fo);
		file_url(url, sizeof url, "plain.tar");
		/* 3 MiB of noise: barely compressible, refused only if the
		 * ratio were measured against the wrong count. */
		fo.url = url;
		digest_file_hex(plain, sha, &e);
		TEST("plain tar, ratio limit 20: installs",
		    runtime_download(&fo, sha, dest, &small, NULL, &e) == 0 &&
			tree_ok(dest));
		fs_rm_rf(dest, &e);
	}
	{
		/* 32 MiB of zeros after the tar's end marker, inside the
		 * gzip stream: read and counted as decompressed bytes. */
		char *zeros = calloc(1, 32 << 20),
		     *tar = fs_join(www, "padded.tar");

		appended("plain.tar", "padded.tar", zeros, 32 << 20, sha);
		free(zeros);
		p = fs_join(www, "padded.tar.gz");
		compress_parts(tar, p, false, 1);
		free(p);
		free(tar);
		www_sha("padded.tar.gz", sha);
		file_url(url, sizeof url, "padded.tar.gz");
		expect_fail("32 MiB of zeros after the tar's end, compressed",
		    install(url, sha, dest, NULL), dest, url,
		    "after the end of the archive");
	}
	free(plain);
	free(dest);
}

/* The child half of test_memory: a fresh process that installs and prints
 * its peak RSS in KiB. */
static int
memory_child(const char *url, const char *sha, const char *dest)
{
	char line[256];
	long peak = -1;
	FILE *f;
	int rc;

	if (fetch_global_init(&e) == -1)
		return 2;
	rc = install(url, sha, dest, NULL);
	fetch_global_cleanup();
	if (rc == -1) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return 1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			peak = strtol(line + 6, NULL, 10);
	fclose(f);
	printf("%ld\n", peak);
	return 0;
}

/* Peak memory stays bounded: a 48 MB tarball is never held whole.  Measured
 * in a fresh process (this one built an xz fixture: ~100 MB). */
static void
test_memory(bool http)
{
	char url[PATH_MAX + 64], sha[DIGEST_HEX_SIZE], buf[256], exe[PATH_MAX];
	char *arc = fs_join(www, "big.tar"), *dest = fs_join(cache, "big");
	const char *how = http ? "http" : "file://";
	char out[64] = "";
	long long t0;
	long peak = -1;
	int fds[2], status = -1;
	ssize_t n;
	pid_t pid;

	if (!fs_exists(arc))
		mk_runtime(arc, ARCHIVE_FILTER_NONE, false, BIG_SIZE);
	digest_file_hex(arc, sha, &e);
	if (http)
		http_url(url, sizeof url, NULL, "big.tar");
	else
		file_url(url, sizeof url, "big.tar");
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = '\0';
	t0 = monotime_ms();
	if (pipe(fds) == 0 && (pid = fork()) != -1) {
		if (pid == 0) {
			char *argv[] = {exe, "--memory-child", url, sha, dest,
			    NULL};
			dup2(fds[1], 1);
			close(fds[0]);
			close(fds[1]);
			execv(exe, argv);
			_exit(127);
		}
		close(fds[1]);
		n = read(fds[0], out, sizeof out - 1);
		out[n > 0 ? n : 0] = '\0';
		close(fds[0]);
		waitpid(pid, &status, 0);
		peak = strtol(out, NULL, 10);
	}
	snprintf(buf, sizeof buf,
	    "%s: 48 MB install in a child works "
	    "(%lld ms)",
	    how, monotime_ms() - t0);
	TEST(buf,
	    WIFEXITED(status) && WEXITSTATUS(status) == 0 && fs_exists(dest));
#if defined(__SANITIZE_ADDRESS__)
	printf("# %s: peak RSS %ld KiB (ASan build: not checked)\n", how, peak);
#else
	snprintf(buf, sizeof buf,
	    "%s: peak RSS of the whole process under "
	    "32 MiB (%ld KiB)",
	    how, peak);
	TEST(buf, peak > 0 && peak < 32 * 1024);
#endif
	fs_rm_rf(dest, &e);
	free(dest);
	free(arc);
}

static pid_t
start_faultd(void)
{
	char exe[PATH_MAX], bin[PATH_MAX + 32];
	char *portfile = fs_join(tmp, "faultd.port");
	char *log = fs_join(tmp, "faultd.log");
	char *errlog = fs_join(tmp, "faultd.err");
	long long deadline;
	ssize_t n;
	pid_t pid;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		goto fail;
	exe[n] = '\0';
	snprintf(bin, sizeof bin, "%s/../servers/faultd", dirname(exe));
	if (access(bin, X_OK) != 0)
		goto fail;
	if ((pid = fork()) == -1)
		goto fail;
	if (pid == 0) {
		char *argv[] = {bin, "-d", www, "-P", portfile, "-l", log,
		    NULL};
		int nul = open("/dev/null", O_RDWR);
		int err = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(nul, 0);
		dup2(err, 1);
		dup2(err, 2);
		execv(bin, argv);
		_exit(127);
	}
	for (deadline = monotime_ms() + 5000; monotime_ms() < deadline;
	     usleep(20000)) {
		FILE *f = fopen(portfile, "r");
		if (f != NULL) {
			bool ok = fscanf(f, "%d", &port) == 1 && port > 0;
			fclose(f);
			if (ok) {
				free(portfile);
				free(log);
				free(errlog);
				return pid;
			}
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
fail:
	free(portfile);
	free(log);
	free(errlog);
	return -1;
}

static stopflag stop_flag;

static void
on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
test_http(void)
{
	char url[PATH_MAX + 128], sha[DIGEST_HEX_SIZE], buf[512];
	char *dest = fs_join(cache, "mono");
	struct fetch_opts fo;
	long long t0;
	int rc;

	http_url(url, sizeof url, NULL, "good.tar.gz");
	rc = install(url, good_sha, dest, NULL);
	TEST("http: installs", rc == 0 && tree_ok(dest));
	if (rc != 0)
		printf("# %s\n", e.msg);
	TEST("http: only the destination is left", count_dir(cache) == 1);
	fs_rm_rf(dest, &e);

	memcpy(sha, good_sha, sizeof sha);
	sha[63] = sha[63] == 'a' ? 'b' : 'a';
	expect_fail("http: hash mismatch", install(url, sha, dest, NULL), dest,
	    url, "sha256 mismatch");

	http_url(url, sizeof url, NULL, "missing.tar.gz");
	expect_fail("http: 404", install(url, good_sha, dest, NULL), dest, url,
	    "404");

	fetch_opts_init(&fo);
	fo.max_retries = 0;
	http_url(url, sizeof url, "status=500", "good.tar.gz");
	expect_fail("http: 500", install(url, good_sha, dest, &fo), dest, url,
	    "500");

	/* Cut after 100 kB, no retry allowed: the download's error is
	 * reported (naming the URL), not libarchive's "truncated". */
	http_url(url, sizeof url, "drop-after=100000", "good.tar.gz");
	expect_fail("http: truncated download",
	    install(url, good_sha, dest, &fo), dest, url, "fetch ");
	TEST("http: truncated download: the network error, not the archive's",
	    strstr(e.msg, "archive") == NULL);

	/* Cut once, then resumed with a Range request: the pipeline sees one
	 * continuous stream and the hash matches. */
	http_url(url, sizeof url, "fail-first=1,drop-after=200000",
	    "good.tar.gz");
	fetch_opts_init(&fo);
	fo.retry_base_ms = 50;
	rc = install(url, good_sha, dest, &fo);
	TEST("http: dropped once then resumed installs",
	    rc == 0 && tree_ok(dest));
	if (rc != 0)
		printf("# %s\n", e.msg);
	{
		char *log = fs_join(tmp, "faultd.log");
		char *text = fs_read_file(log, 1 << 20, NULL, &e);
		TEST("http: ... with a Range request answered 206",
		    text != NULL &&
			strstr(text,
			    "drop-after=200000/good.tar.gz "
			    "bytes=200000- 206") != NULL);
		free(text);
		free(log);
	}
	fs_rm_rf(dest, &e);

	/* Credentials never reach the message. */
	snprintf(url, sizeof url,
	    "http://deploy:s3cr3tpw@127.0.0.1:%d/_fault/status=404/x.tgz",
	    port);
	rc = install(url, good_sha, dest, NULL);
	expect_fail("http: credentials in URL", rc, dest, "127.0.0.1", "x.tgz");
	TEST("http: password not in the message",
	    strstr(e.msg, "s3cr3tpw") == NULL);
	snprintf(url, sizeof url,
	    "http://deploy:s3cr3tpw@127.0.0.1:%d/good.tar.gz", port);
	memcpy(sha, good_sha, sizeof sha);
	sha[0] = sha[0] == 'a' ? 'b' : 'a';
	rc = install(url, sha, dest, NULL);
	expect_fail("http: credentials in URL, hash mismatch", rc, dest,
	    "127.0.0.1", "sha256 mismatch");
	TEST("http: password not in the mismatch message",
	    strstr(e.msg, "s3cr3tpw") == NULL);

	/* A refused entry at the start of a slow 48 MB download: the reader
	 * gives up, the download thread's write fails with EPIPE and it
	 * stops at once instead of downloading the rest (24 s at 2 MB/s). */
	{
		char *arc = fs_join(www, "hostile-big.tar");
		mk_runtime(arc, ARCHIVE_FILTER_NONE, true, BIG_SIZE);
		digest_file_hex(arc, sha, &e);
		free(arc);
	}
	http_url(url, sizeof url, "rate=2000000", "hostile-big.tar");
	t0 = monotime_ms();
	rc = install(url, sha, dest, NULL);
	snprintf(buf, sizeof buf,
	    "http: refusal stops the download early "
	    "(%lld ms)",
	    monotime_ms() - t0);
	TEST(buf, monotime_ms() - t0 < 5000);
	expect_fail("http: refused entry in a slow download", rc, dest, url,
	    "archive entry 'bin/../../escaped'");

	/* The caller's stop flag (set here by SIGALRM, as compile's SIGTERM
	 * handler would) interrupts a stalled download promptly. */
	{
		struct sigaction sa;
		struct itimerval it = {{0, 0}, {0, 300000}};

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_alarm;
		sigaction(SIGALRM, &sa, NULL);
		stop_flag = 0;
		fetch_opts_init(&fo);
		fo.stop = &stop_flag;
		http_url(url, sizeof url, "stall-after=300000", "good.tar.gz");
		setitimer(ITIMER_REAL, &it, NULL);
		t0 = monotime_ms();
		rc = install(url, good_sha, dest, &fo);
		snprintf(buf, sizeof buf,
		    "http: stop flag ends a stalled "
		    "install (%lld ms)",
		    monotime_ms() - t0);
		TEST(buf, stop_flag == 1 && monotime_ms() - t0 < 3000);
		expect_fail("http: interrupted", rc, dest, url, "interrupted");
	}
	free(dest);
}

int
main(int argc, char **argv)
{
	char *p;
	const char *tmpdir =
	    getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	if (argc == 5 && strcmp(argv[1], "--memory-child") == 0)
		return memory_child(argv[2], argv[3], argv[4]);
	if (fetch_global_init(&e) == -1 ||
	    (tmp = fs_mkdtemp(tmpdir, "test_runtime_download.", &e)) == NULL) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	www = fs_join(tmp, "www");
	cache = fs_join(tmp, "cache");
	mkdir(www, 0755);
	mkdir(cache, 0755);

	p = fs_join(www, "good.tar.gz");
	TEST("fixture: runtime tarball",
	    mk_runtime(p, ARCHIVE_FILTER_GZIP, false, RANDOM_SIZE) == 0 &&
		digest_file_hex(p, good_sha, &e) == 0);
	free(p);
	p = fs_join(www, "hostile.tar.gz");
	TEST("fixture: hostile tarball",
	    mk_runtime(p, ARCHIVE_FILTER_GZIP, true, 1000) == 0);
	free(p);
	{
		const struct tar_ent zip[] = {
		    {"a", AE_IFREG, 0644, "hi", 0, NULL},
		};
		p = fs_join(www, "notar.zip");
		TEST("fixture: zip file",
		    tar_write(p, ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, zip,
			1) == 0);
		free(p);
	}

	test_file_urls();
	test_streams();
	test_memory(false);
	if ((faultd = start_faultd()) > 0) {
		test_memory(true);
		test_http();
		kill(faultd, SIGTERM);
		waitpid(faultd, NULL, 0);
	} else
		printf("# skipped HTTP tests: no ../servers/faultd\n");

	fs_rm_rf(tmp, &e);
	free(tmp);
	free(www);
	free(cache);
	fetch_global_cleanup();
	return test_report();
}
