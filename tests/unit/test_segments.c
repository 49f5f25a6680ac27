/* test_segments.c - runtime layers packed as deflate segments kept in the
 * cache (packlayer.h): a slug packed with a reused segment is byte for byte
 * the cold one, also after the runtime changes, after a segment is damaged
 * (recompressed, never spliced) and whatever the thread count; a layer that
 * differs from its cache entry is packed as any other tree; the spliced slug
 * is one gzip member that gzip and tar accept. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fsutil.h"
#include "pack.h"
#include "runtime/cache.h"
#include "testhelp.h"
#include "testmount.h"
#include "testtmp.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA2 "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define MTIME 1700000000
#define LAYER_MTIME 1000

/* Writes n bytes of text that compresses a bit (like code and binaries). */
static void
put_big(const char *rel, size_t n, unsigned seed)
{
	static const char *words[] = {"mono ", "slug ", "class ", "void ",
	    "return ", "{ ", "} ", "\n", "int ", "x", "y", "0x1f"};
	char *p = tpath(rel);
	FILE *f;
	size_t i;

	put(rel, "", 0644); /* makes the parents */
	if ((f = fopen(p, "w")) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 5 == 0)
			fputc('a' + (int)((seed >> 8) % 26), f);
		else
			fputs(words[(seed >> 16) % 12], f);
	}
	fclose(f);
	free(p);
}

/* A runtime tree at rel: big files over several deflate blocks, a hard
 * link inside it, a relative symlink, an empty directory, a name longer
 * than a ustar header holds.  seed changes the contents. */
static void
make_runtime(const char *rel, unsigned seed)
{
	char p[512], q[512];

	snprintf(p, sizeof p, "%s/bin/mono", rel);
	put_big(p, 120000, seed);
	chmod(at(tmpdir, p), 0755);
	snprintf(p, sizeof p, "%s/lib/mono/4.5/mscorlib.dll", rel);
	put_big(p, 300000, seed + 1);
	snprintf(p, sizeof p, "%s/lib/a.dll", rel);
	put_big(p, 20000, seed + 2);
	snprintf(q, sizeof q, "%s/lib/a-link.dll", rel);
	if (link(at(tmpdir, p), at(tmpdir, q)) == -1)
		abort();
	snprintf(p, sizeof p, "%s/lib/libfoo.so.1", rel);
	put(p, "ELF", 0644);
	snprintf(p, sizeof p, "%s/lib/libfoo.so", rel);
	put_link(p, "libfoo.so.1");
	snprintf(p, sizeof p, "%s/etc/mono/config", rel);
	put(p, "<configuration/>\n", 0644);
	snprintf(p, sizeof p, "%s/share/empty", rel);
	if (fs_mkdir_p(at(tmpdir, p), 0755, NULL) == -1)
		abort();
	snprintf(p, sizeof p,
	    "%s/lib/mono/gac/System.Very.Long.Assembly.Name.For.Testing/"
	    "4.0.0.0__b77a5c561934e089/System.Very.Long.Assembly.Name.dll",
	    rel);
	put(p, "MZ long", 0644);
}

/* Installs the runtime tree src as a sealed cache entry of cache (for
 * sha) and places it at app/vendor/mono by hard links, as runtime_install
 * does. */
static int
install(const char *cache, const char *sha, const char *src, const char *app)
{
	struct runtime_cache_entry c = RUNTIME_CACHE_ENTRY_INIT;
	enum runtime_cache_state st;
	struct errbuf e;
	char dest[512];
	int rc = -1;

	snprintf(dest, sizeof dest, "%s/vendor", app);
	if (fs_mkdir_p(at(tmpdir, dest), 0755, &e) == -1 ||
	    runtime_cache_open(&c, at(tmpdir, cache), "mono", "heroku-22",
		"6.8", sha, NULL, &e) == -1)
		goto out;
	if (!fs_is_dir(c.path) &&
	    (fs_mkdir_p(c.ns, 0755, &e) == -1 ||
		fs_copy_tree(at(tmpdir, src), c.path, true, &e) == -1 ||
		runtime_cache_seal(&c, sha, &e) == -1))
		goto out;
	snprintf(dest, sizeof dest, "%s/vendor/mono", app);
	if (runtime_cache_place(&c, sha, at(tmpdir, dest), &st, &e) == 0 &&
	    st == RUNTIME_CACHE_OK)
		rc = 0;
out:
	if (rc == -1)
		fprintf(stderr, "install: %s\n", e.msg);
	runtime_cache_close(&c);
	return rc;
}

/* The app around the runtime: files before and after vendor/, and a hard
 * link after the layer to one of its files. */
static void
make_app(const char *app)
{
	char p[512], q[512];

	snprintf(p, sizeof p, "%s/Procfile", app);
	put(p, "web: mono Hello.exe\n", 0644);
	snprintf(p, sizeof p, "%s/Hello/bin/Hello.exe", app);
	put_big(p, 50000, 99);
	snprintf(p, sizeof p, "%s/vendor/mono/bin/mono", app);
	snprintf(q, sizeof q, "%s/zlinked", app);
	if (link(at(tmpdir, p), at(tmpdir, q)) == -1)
		abort();
}

struct how {
	const char *app;
	const char *cache; /* NULL: no layers */
	enum pack_segments seg;
	int level, threads;
	uint64_t max_bytes;
};

/* Packs how->app into out (in the scratch directory), small blocks so the
 * layer spans several. */
static int
pack(const struct how *how, const char *out, struct pack_result *r)
{
	struct pack_layer layer = {"vendor/mono", NULL};
	struct pack_opts po = PACK_OPTS_INIT;
	struct errbuf e;
	char *ns = NULL;
	int rc;

	po.prefix = "./app";
	po.mtime = MTIME;
	po.layer_mtime = LAYER_MTIME;
	po.level = how->level > 0 ? how->level : 5;
	po.threads = how->threads > 0 ? how->threads : 2;
	po.block_size = 32768;
	po.max_bytes = how->max_bytes;
	po.segments = how->seg;
	if (how->cache != NULL) {
		ns = fs_join(tmpdir, how->cache);
		layer.ns_dir = at(ns, "mono");
		po.layers = &layer;
		po.nlayers = 1;
	}
	rc = pack_dir(at(tmpdir, how->app), at(tmpdir, out), &po, r, &e);
	if (rc == -1 && !r->too_big)
		fprintf(stderr, "pack: %s\n", e.msg);
	free(ns);
	return rc;
}

/* The one kept segment of the cache's entry (its path, malloc'd), or
 * NULL; *n gets how many there are. */
static char *
segment_of(const char *cache, int *n)
{
	char *dir = fs_join(tmpdir, cache), *ns, *found = NULL;
	struct dirent *de;
	DIR *d;

	*n = 0;
	ns = fs_join(dir, "mono");
	if ((d = opendir(ns)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' &&
			    strstr(de->d_name, ".seg-") != NULL) {
				(*n)++;
				free(found);
				found = fs_join(ns, de->d_name);
			}
		closedir(d);
	}
	free(dir);
	free(ns);
	return found;
}

/* Flips one byte of path at off (from the end when negative). */
static int
flip(const char *path, off_t off)
{
	unsigned char b;
	struct stat st;
	int fd = open(path, O_RDWR), rc = -1;

	if (fd == -1 || fstat(fd, &st) == -1)
		goto out;
	if (off < 0)
		off += st.st_size;
	if (pread(fd, &b, 1, off) == 1) {
		b ^= 0x5a;
		rc = pwrite(fd, &b, 1, off) == 1 ? 0 : -1;
	}
out:
	if (fd != -1)
		close(fd);
	return rc;
}

/* gzip -t and tar tzf accept the slug, tar listing n entries. */
static bool
tools_accept(const char *slug, size_t n)
{
	const char *gz[] = {"gzip", "-t", slug, NULL};
	const char *tz[] = {"sh", "-c", "tar tzf \"$1\" | wc -l", "sh", slug,
	    NULL};
	char out[64];

	return run(NULL, gz, NULL, 0) == 0 &&
	    run(NULL, tz, out, sizeof out) == 0 && strtoull(out, NULL, 10) == n;
}

struct tarent {
	char name[300], hardlink[300];
	long long mtime;
};

/* Reads the slug's headers with libarchive; the count, or -1. */
static int
read_slug(const char *slug, struct tarent *v, int max)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	const char *s;
	int n = 0, r;

	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, at(tmpdir, slug), 65536) !=
	    ARCHIVE_OK) {
		archive_read_free(a);
		return -1;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		if (n < max) {
			snprintf(v[n].name, sizeof v[n].name, "%s",
			    archive_entry_pathname(ae));
			s = archive_entry_hardlink(ae);
			snprintf(v[n].hardlink, sizeof v[n].hardlink, "%s",
			    s != NULL ? s : "");
			v[n].mtime = archive_entry_mtime(ae);
		}
		n++;
	}
	archive_read_free(a);
	return r == ARCHIVE_EOF ? n : -1;
}

static const struct tarent *
find_ent(const struct tarent *v, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* Copies the file a to b (absolute paths), mode 0644. */
static int
copy_file(const char *a, const char *b)
{
	size_t len;
	char *buf = fs_read_file(a, 1 << 30, &len, NULL);
	int rc = buf != NULL ? put_file(b, buf, len, 0644) : -1;

	free(buf);
	return rc;
}

static bool
sf(const char *a, const char *b)
{
	return same_file(at(tmpdir, a), at(tmpdir, b));
}

static void
test_reuse(void)
{
	struct how cold = {"app", "cache", PACK_SEG_COLD, 0, 0, 0};
	struct how warm = {"app", "cache", PACK_SEG_REUSE, 0, 0, 0};
	struct how plain = {"app", NULL, PACK_SEG_REUSE, 0, 0, 0};
	struct pack_result r, r1, r2;
	struct tarent v[64];
	const struct tarent *t;
	struct stat s1, s2;
	char *seg;
	int n, k;
	bool mt = true;

	make_runtime("rt1", 1);
	TEST("setup: runtime installed and placed",
	    install("cache", SHA, "rt1", "app") == 0);
	make_app("app");

	TEST("cold: packs, the runtime as a layer, keeps nothing",
	    pack(&cold, "cold.tgz", &r) == 0 && r.layers == 1 &&
		r.stored == 0 && r.reused == 0 &&
		(free(segment_of("cache", &n)), n == 0));
	TEST("first warm pack: compresses the layer and keeps its segment",
	    pack(&warm, "w1.tgz", &r1) == 0 && r1.layers == 1 &&
		r1.stored == 1 && r1.reused == 0 && r1.damaged == 0);
	seg = segment_of("cache", &n);
	TEST("the segment sits beside the entry", seg != NULL && n == 1);
	TEST("second warm pack: splices the kept segment",
	    pack(&warm, "w2.tgz", &r2) == 0 && r2.layers == 1 &&
		r2.reused == 1 && r2.stored == 0 && r2.damaged == 0);
	TEST("slugs with a kept, a spliced and no segment: byte-identical",
	    sf("cold.tgz", "w1.tgz") && sf("cold.tgz", "w2.tgz"));
	TEST("a spliced pack counts what a cold one does",
	    r2.entries == r.entries && r2.raw == r.raw && r2.tar == r.tar &&
		r2.compressed == r.compressed);
	TEST("the kept segment was not rewritten by the splice",
	    seg != NULL && stat(seg, &s1) == 0 &&
		pack(&warm, "w3.tgz", &r) == 0 && r.reused == 1 &&
		stat(seg, &s2) == 0 && s1.st_ino == s2.st_ino);
	TEST("gzip -t and tar tzf accept the spliced slug",
	    tools_accept(at(tmpdir, "w2.tgz"), r2.entries));
	warm.threads = 1;
	TEST("one thread splices the same bytes",
	    pack(&warm, "w1t.tgz", &r) == 0 && r.reused == 1 &&
		sf("cold.tgz", "w1t.tgz"));
	warm.threads = 0;

	n = read_slug("w2.tgz", v, 64);
	TEST("the spliced slug reads back whole", n == (int)r2.entries);
	for (k = 0; k < n && k < 64; k++)
		mt = mt &&
		    v[k].mtime ==
			(strncmp(v[k].name, "./app/vendor/mono/", 18) == 0
				? LAYER_MTIME
				: MTIME);
	TEST("the layer's entries have the layer's mtime, the rest the app's",
	    n > 0 && mt);
	TEST("a hard link inside the layer is a link in the slug",
	    (t = find_ent(v, n, "./app/vendor/mono/lib/a.dll")) != NULL &&
		strcmp(t->hardlink, "./app/vendor/mono/lib/a-link.dll") == 0);
	TEST("a later link to a spliced file is still a link to it",
	    (t = find_ent(v, n, "./app/zlinked")) != NULL &&
		strcmp(t->hardlink, "./app/vendor/mono/bin/mono") == 0);
	TEST("without layers: the same entries, another slug",
	    pack(&plain, "plain.tgz", &r) == 0 && r.layers == 0 &&
		r.entries == r2.entries && !sf("plain.tgz", "cold.tgz"));

	/* Other settings make another key: a segment of their own. */
	warm.level = 6;
	cold.level = 6;
	TEST("another level: not spliced, its own segment kept",
	    pack(&warm, "l6.tgz", &r) == 0 && r.reused == 0 && r.stored == 1 &&
		(free(segment_of("cache", &n)), n == 2));
	TEST("another level: its segment spliced next time, the cold bytes",
	    pack(&warm, "l6b.tgz", &r) == 0 && r.reused == 1 &&
		pack(&cold, "l6c.tgz", &r1) == 0 && sf("l6b.tgz", "l6c.tgz"));
	warm.level = cold.level = 0;

	warm.max_bytes = r2.compressed / 2;
	TEST("max_bytes: a spliced slug over the limit fails, nothing left",
	    pack(&warm, "big.tgz", &r) == -1 && r.too_big &&
		!exists("big.tgz"));
	free(seg);
}

/* A damaged segment is found by its own checksums, recompressed (the
 * cold bytes) and kept whole again, then spliced. */
static void
test_damaged(void)
{
	struct how warm = {"dapp", "cache3", PACK_SEG_REUSE, 0, 0, 0};
	struct how cold = {"dapp", "cache3", PACK_SEG_COLD, 0, 0, 0};
	static const struct {
		const char *why;
		off_t off; /* byte to flip; -1: truncate; -2: empty it */
	} cases[] = {
	    {"a flipped byte in the deflate bytes", 200000},
	    {"a flipped last byte", -3},
	    {"a flipped byte in the header's sizes", 12},
	    {"a flipped byte in the key", 50},
	    {"a truncated segment", -1},
	    {"an empty segment file", -2},
	};
	struct pack_result r;
	char descr[160], *seg;
	bool ok;
	int n;

	TEST("damaged: setup",
	    install("cache3", SHA, "rt1", "dapp") == 0 &&
		(make_app("dapp"), pack(&cold, "dcold.tgz", &r) == 0) &&
		pack(&warm, "d0.tgz", &r) == 0 && r.stored == 1);
	seg = segment_of("cache3", &n);
	for (size_t i = 0; seg != NULL && i < sizeof cases / sizeof cases[0];
	     i++) {
		if (cases[i].off == -1)
			ok = truncate(seg, 1000) == 0;
		else if (cases[i].off == -2)
			ok = truncate(seg, 0) == 0;
		else
			ok = flip(seg,
				 cases[i].off == -3 ? -1 : cases[i].off) == 0;
		snprintf(descr, sizeof descr,
		    "%s: found, recompressed, the cold bytes", cases[i].why);
		TEST(descr,
		    ok && pack(&warm, "d1.tgz", &r) == 0 && r.damaged == 1 &&
			r.reused == 0 && r.stored == 1 &&
			sf("d1.tgz", "dcold.tgz"));
		snprintf(descr, sizeof descr, "%s: kept whole again, spliced",
		    cases[i].why);
		TEST(descr,
		    pack(&warm, "d2.tgz", &r) == 0 && r.reused == 1 &&
			r.damaged == 0 && sf("d2.tgz", "dcold.tgz"));
	}
	TEST("damaged: still one segment",
	    (free(segment_of("cache3", &n)), n == 1));
	free(seg);
}

/* Packs with layers (warm, twice) and without: 1 when the layer was
 * packed as any other tree (no layer, the bytes of a pack without
 * layers). */
static bool
packs_cold(const char *app)
{
	struct how warm = {app, "cache", PACK_SEG_REUSE, 0, 0, 0};
	struct how plain = {app, NULL, PACK_SEG_REUSE, 0, 0, 0};
	struct pack_result r1, r2, r3;

	return pack(&warm, "m1.tgz", &r1) == 0 && r1.layers == 0 &&
	    r1.reused == 0 && r1.stored == 0 &&
	    pack(&warm, "m2.tgz", &r2) == 0 && r2.layers == 0 &&
	    pack(&plain, "m3.tgz", &r3) == 0 && sf("m1.tgz", "m3.tgz") &&
	    sf("m2.tgz", "m3.tgz");
}

/* A fresh app with the runtime placed: name. */
static int
fresh(const char *name)
{
	if (install("cache", SHA, "rt1", name) == -1)
		return -1;
	make_app(name);
	return 0;
}

static void
test_modified(void)
{
	struct how warm = {"f5", "cache", PACK_SEG_REUSE, 0, 0, 0};
	struct how cold = {"f5", "cache", PACK_SEG_COLD, 0, 0, 0};
	struct pack_result r;
	int fd;

	TEST("a file added to the runtime: packed cold",
	    fresh("f1") == 0 && (put("f1/vendor/mono/new.txt", "x", 0644), 1) &&
		packs_cold("f1"));
	TEST("a file removed from the runtime: packed cold",
	    fresh("f2") == 0 &&
		unlink(at(tmpdir,
		    "f2/vendor/mono/etc/mono/"
		    "config")) == 0 &&
		packs_cold("f2"));
	TEST("a file replaced (same bytes, a new inode): packed cold",
	    fresh("f3") == 0 &&
		copy_file(at(tmpdir, "rt1/lib/libfoo.so.1"),
		    at(tmpdir, "f3/x.tmp")) == 0 &&
		rename(at(tmpdir, "f3/x.tmp"),
		    at(tmpdir, "f3/vendor/mono/lib/libfoo.so.1")) == 0 &&
		packs_cold("f3"));
	TEST("a directory of the runtime chmod'ed: packed cold",
	    fresh("f4") == 0 &&
		chmod(at(tmpdir, "f4/vendor/mono/share/empty"), 0700) == 0 &&
		packs_cold("f4"));
	TEST("a file linked from before the runtime: packed cold",
	    fresh("f6") == 0 &&
		link(at(tmpdir, "f6/vendor/mono/lib/a.dll"),
		    at(tmpdir, "f6/Hello/a.dll")) == 0 &&
		packs_cold("f6"));
	/* A chmod through the hard link changes the cache's file too; the
	 * seal knows no modes, but the segment's key does. */
	TEST("a file chmod'ed through its link: not spliced, the cold bytes",
	    fresh("f5") == 0 &&
		chmod(at(tmpdir, "f5/vendor/mono/lib/libfoo.so.1"), 0600) ==
		    0 &&
		pack(&warm, "c1.tgz", &r) == 0 && r.reused == 0 &&
		pack(&cold, "c2.tgz", &r) == 0 && sf("c1.tgz", "c2.tgz"));
	chmod(at(tmpdir, "f5/vendor/mono/lib/libfoo.so.1"), 0644);
	/* Last: writing in place through the link damages the entry too. */
	TEST("a file written in place through its link: packed cold",
	    fresh("f7") == 0 &&
		(fd = open(at(tmpdir, "f7/vendor/mono/lib/libfoo.so.1"),
		     O_WRONLY)) != -1 &&
		pwrite(fd, "FLE", 3, 0) == 3 && close(fd) == 0 &&
		packs_cold("f7"));
}

/* The runtime in the cache changes (another sha): its own segment. */
static void
test_runtime_changed(void)
{
	struct how warm = {"n1", "cache2", PACK_SEG_REUSE, 0, 0, 0};
	struct how cold = {"n1", "cache2", PACK_SEG_COLD, 0, 0, 0};
	struct how old = {"o1", "cache2", PACK_SEG_REUSE, 0, 0, 0};
	struct pack_result r;
	char *seg, *other;
	int n;

	make_runtime("rt2", 7);
	TEST("changed runtime: the old and the new one installed",
	    install("cache2", SHA, "rt1", "o1") == 0 &&
		install("cache2", SHA2, "rt2", "n1") == 0);
	make_app("o1");
	make_app("n1");
	TEST("changed runtime: the old one's segment kept",
	    pack(&old, "o1.tgz", &r) == 0 && r.stored == 1);
	TEST("changed runtime: the new one is not spliced from the old one",
	    pack(&warm, "n1.tgz", &r) == 0 && r.layers == 1 && r.reused == 0 &&
		r.stored == 1 && (free(segment_of("cache2", &n)), n == 2));
	TEST("changed runtime: then spliced, the cold bytes",
	    pack(&warm, "n2.tgz", &r) == 0 && r.reused == 1 &&
		pack(&cold, "n3.tgz", &r) == 0 && sf("n1.tgz", "n3.tgz") &&
		sf("n2.tgz", "n3.tgz") && !sf("n2.tgz", "o1.tgz"));
	TEST("changed runtime: the old one still spliced, its own bytes",
	    pack(&old, "o2.tgz", &r) == 0 && r.reused == 1 &&
		sf("o1.tgz", "o2.tgz"));
	/* The old runtime's segment under the new one's name: another key
	 * in its header, never spliced. */
	seg = other = NULL;
	{
		char *ns = fs_join(tmpdir, "cache2/mono");
		struct dirent *de;
		DIR *d = opendir(ns);

		while (d != NULL && (de = readdir(d)) != NULL) {
			if (strstr(de->d_name, ".seg-") == NULL)
				continue;
			if (strncmp(de->d_name, "6.8-heroku-22-0", 15) == 0)
				other = fs_join(ns, de->d_name);
			else
				seg = fs_join(ns, de->d_name);
		}
		if (d != NULL)
			closedir(d);
		free(ns);
	}
	TEST("a segment of another key under this one's name: recompressed",
	    seg != NULL && other != NULL && copy_file(other, seg) == 0 &&
		pack(&warm, "n4.tgz", &r) == 0 && r.damaged == 1 &&
		r.reused == 0 && r.stored == 1 && sf("n4.tgz", "n3.tgz"));
	free(seg);
	free(other);
}

static void
test_discard(void)
{
	struct runtime_cache_entry c = RUNTIME_CACHE_ENTRY_INIT;
	struct errbuf e;
	int n;

	TEST("discard: an entry's segments go with it",
	    runtime_cache_open(&c, at(tmpdir, "cache2"), "mono", "heroku-22",
		"6.8", SHA2, NULL, &e) == 0 &&
		runtime_cache_discard(&c, &e) == 0 &&
		(free(segment_of("cache2", &n)), n == 1));
	runtime_cache_close(&c);
}

/* Names in dir that a segment left behind while it was written. */
static int
temporaries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] == '.' && strstr(de->d_name, ".seg-") != NULL)
			n++;
	if (d != NULL)
		closedir(d);
	return n;
}

/* A cache too full to keep the segment: the slug is packed all the same,
 * and nothing is left behind. */
static void
test_full_cache(void)
{
	struct how warm = {"full/app", "full/cache", PACK_SEG_REUSE, 0, 0, 0};
	struct how cold = {"full/app", "full/cache", PACK_SEG_COLD, 0, 0, 0};
	struct pack_result r;
	char *full = tpath("full");
	int n;

	if (tmpfs_mount(full, 4 << 20) == -1) {
		TEST("full cache: a tmpfs for the cache and the app", false);
		free(full);
		return;
	}
	TEST("full cache: runtime installed and placed on the tmpfs",
	    install("full/cache", SHA, "rt1", "full/app") == 0);
	make_app("full/app");
	TEST("full cache: cold pack",
	    pack(&cold, "fcold.tgz", &r) == 0 && r.layers == 1);
	TEST("full cache: filled to 16 KiB free",
	    fill_fs(at(full, "filler"), 16 << 10) == 0);
	TEST("full cache: the segment cannot be kept, the slug is the same",
	    pack(&warm, "f1.tgz", &r) == 0 && r.layers == 1 && r.stored == 0 &&
		r.reused == 0 && sf("f1.tgz", "fcold.tgz"));
	TEST("full cache: no segment nor temporary file left",
	    (free(segment_of("full/cache", &n)), n == 0) &&
		temporaries(at(full, "cache/mono")) == 0);
	TEST("full cache: with room again it is kept, then spliced",
	    unlink(at(full, "filler")) == 0 && pack(&warm, "f2.tgz", &r) == 0 &&
		r.stored == 1 && pack(&warm, "f3.tgz", &r) == 0 &&
		r.reused == 1 && sf("f3.tgz", "fcold.tgz"));
	tmpfs_umount(full);
	free(full);
}

int
main(void)
{
	if (tmp_init("test_segments") == -1)
		return 1;
	test_reuse();
	test_damaged();
	test_modified();
	test_runtime_changed();
	test_discard();
	test_full_cache();
	tmp_done();
	return test_report();
}
