/* test_pack.c - .slugignore matching and pruning, and packing real trees:
 * reproducibility, round trips through tar(1) and libarchive, gzip -t,
 * the slug policy (what unpack would refuse is left out, named), and no
 * file left behind on failure. */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fsutil.h"
#include "pack.h"
#include "testhelp.h"
#include "testtmp.h"
#include "testwarn.h"
#include "unpack.h"

/* Writes n bytes of text that compresses a bit (like code and binaries). */
static void
put_big(const char *rel, size_t n, unsigned seed)
{
	char *p = tpath(rel);
	FILE *f;
	static const char *words[] = {"mono ", "slug ", "class ", "void ",
	    "return ", "{ ", "} ", "\n", "int ", "x", "y", "0x1f"};
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

static void
test_ignore_match(void)
{
	static const char text[] = "# art sources\n"
				   "\n"
				   "*.psd\n"
				   "/test\n"
				   "spec\n"
				   "docs/\n"
				   "log/*.log\n"
				   "**/tmp\n"
				   "a/**/b\n"
				   "vendor/cache/**\n"
				   "!keep.psd\n"
				   "trailing   \n"
				   "crlf.txt\r\n"
				   "/\n"
				   "last-line-without-newline";
	/* A path (a directory or not), and whether the patterns ignore it. */
	static const struct {
		const char *why, *path;
		bool dir, ignored;
	} cases[] = {
	    {"*.psd at the root", "x.psd", false, true},
	    {"*.psd at any depth", "art/raw/x.psd", false, true},
	    {"*.psd does not match x.psdx", "x.psdx", false, false},
	    {"negation is not supported", "keep.psd", false, true},
	    {"/test at the root", "test", true, true},
	    {"/test is anchored", "lib/test", true, false},
	    {"spec unanchored", "lib/spec", true, true},
	    {"spec unanchored", "spec", false, true},
	    {"docs/ matches a directory", "docs", true, true},
	    {"docs/ matches a directory at any depth", "x/docs", true, true},
	    {"docs/ does not match a file", "docs", false, false},
	    {"log/*.log anchored", "log/a.log", false, true},
	    {"log/*.log anchored", "x/log/a.log", false, false},
	    {"'*' does not cross '/'", "log/sub/a.log", false, false},
	    {"**/tmp at the root", "tmp", true, true},
	    {"**/tmp deep", "a/b/c/tmp", false, true},
	    {"a/**/b with zero dirs between", "a/b", true, true},
	    {"a/**/b with several dirs between", "a/x/y/b", false, true},
	    {"a/**/b wants b at the end", "a/x/y/c", false, false},
	    {"vendor/cache/** matches inside", "vendor/cache/x.gem", false,
		true},
	    {"vendor/cache/** matches deep inside", "vendor/cache/d/e", false,
		true},
	    {"vendor/cache/** does not match the dir itself", "vendor/cache",
		true, false},
	    {"trailing blanks trimmed", "trailing", false, true},
	    {"CRLF line endings", "crlf.txt", false, true},
	    {"last line without a newline", "last-line-without-newline", false,
		true},
	    {"other files kept", "Procfile", false, false},
	    {"other files kept", "src/app.cs", false, false},
	    {"a comment is not a pattern", "# art sources", false, false},
	};
	struct errbuf e;
	struct pack_ignore *ig = pack_ignore_parse(text, sizeof text - 1, &e);
	size_t i;

	TEST("ignore: parses", ig != NULL);
	if (ig == NULL)
		return;
	TEST("ignore: counts patterns, skipping comments, blanks, '/'",
	    pack_ignore_count(ig) == 11);
	TEST("ignore: counts negated lines", pack_ignore_negated(ig) == 1);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char descr[256];

		snprintf(descr, sizeof descr, "ignore: %s: %s%s %s",
		    cases[i].why, cases[i].path, cases[i].dir ? "/" : "",
		    cases[i].ignored ? "ignored" : "kept");
		TEST(descr,
		    pack_ignore_match(ig, cases[i].path, cases[i].dir) ==
			cases[i].ignored);
	}
	pack_ignore_free(ig);
	pack_ignore_free(NULL);
}

static void
test_ignore_load_prune(void)
{
	struct pack_ignore *ig;
	struct errbuf e;
	size_t removed = 99;
	char *p, *q;

	p = tpath("no-such-dir");
	ig = pack_ignore_load(p, &e);
	TEST("ignore: a missing .slugignore is an empty set",
	    ig != NULL && pack_ignore_count(ig) == 0);
	pack_ignore_free(ig);
	free(p);

	put("prune/.slugignore", "*.psd\n/test\ndocs/\n", 0644);
	put("prune/keep.cs", "class A {}\n", 0644);
	put("prune/art/logo.psd", "psd", 0644);
	put("prune/test/a_test.cs", "t", 0644);
	put("prune/lib/test/kept.cs", "k", 0644);
	put("prune/docs/index.md", "d", 0644);
	put("prune/lib/docs", "a file named docs", 0644);
	q = tpath("prune/keep.cs");
	put_link("prune/lib/link.psd", q);
	free(q);

	p = tpath("prune");
	ig = pack_ignore_load(p, &e);
	free(p);
	TEST("prune: loads .slugignore",
	    ig != NULL && pack_ignore_count(ig) == 3);
	p = tpath("prune");
	TEST("prune: succeeds", pack_ignore_prune(ig, p, &removed, &e) == 0);
	free(p);
	TEST("prune: counts removed paths", removed == 4);
	TEST("prune: removed *.psd deep", !exists("prune/art/logo.psd"));
	TEST("prune: removed a symlink matching, not its target",
	    !exists("prune/lib/link.psd") && exists("prune/keep.cs"));
	TEST("prune: removed /test", !exists("prune/test"));
	TEST("prune: kept lib/test", exists("prune/lib/test/kept.cs"));
	TEST("prune: removed docs/ dir, kept a file named docs",
	    !exists("prune/docs") && exists("prune/lib/docs"));
	TEST("prune: kept the dir the match was in", exists("prune/art"));
	pack_ignore_free(ig);
}

struct tarent {
	char name[512];
	char link[512];
	char hardlink[512];
	int type;
	int perm;
	long long size, uid, gid, mtime;
	bool has_uname;
};

/* Reads the slug with libarchive; returns the number of entries, or -1. */
static int
read_slug(const char *path, struct tarent *v, int max)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int n = 0, r;

	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		archive_read_free(a);
		return -1;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		if (n < max) {
			struct tarent *t = &v[n];
			const char *s;

			memset(t, 0, sizeof *t);
			snprintf(t->name, sizeof t->name, "%s",
			    archive_entry_pathname(ae));
			if ((s = archive_entry_symlink(ae)) != NULL)
				snprintf(t->link, sizeof t->link, "%s", s);
			if ((s = archive_entry_hardlink(ae)) != NULL)
				snprintf(t->hardlink, sizeof t->hardlink, "%s",
				    s);
			t->type = (int)archive_entry_filetype(ae);
			t->perm = (int)archive_entry_perm(ae);
			t->size = archive_entry_size(ae);
			t->uid = archive_entry_uid(ae);
			t->gid = archive_entry_gid(ae);
			t->mtime = archive_entry_mtime(ae);
			s = archive_entry_uname(ae);
			t->has_uname = s != NULL && *s != '\0';
			s = archive_entry_gname(ae);
			t->has_uname =
			    t->has_uname || (s != NULL && *s != '\0');
		}
		n++;
	}
	archive_read_free(a);
	return r == ARCHIVE_EOF ? n : -1;
}

static struct tarent *
find_ent(struct tarent *v, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static void
make_app(void)
{
	char longname[300], *p, *q;
	int i, n;

	put("app/Procfile", "web: mono hello.exe\n", 0644);
	put("app/.slugignore", "*.psd\n/tmp/\n", 0644);
	put("app/bin/run", "#!/bin/sh\necho hi\n", 0755);
	put("app/art/logo.psd", "psd", 0644);
	put("app/tmp/cache.bin", "tmp", 0644);
	put("app/a-b", "sorts before a/", 0644);
	put("app/a/x", "in a", 0600);
	put("app/.profile.d/mono.sh",
	    "export PATH=$HOME/vendor/mono/bin:$PATH\n", 0644);
	put_big("app/vendor/mono/lib/big.dll", 400000, 1);
	put_big("app/vendor/mono/lib/big2.dll", 250000, 7);
	/* A name too long for ustar's 100+155 split. */
	n = snprintf(longname, sizeof longname, "app/vendor/");
	for (i = 0; i < 9; i++)
		n += snprintf(longname + n, sizeof longname - (size_t)n,
		    "long_name_%02d_", i);
	snprintf(longname + n, sizeof longname - (size_t)n, ".txt");
	put(longname, "long", 0644);
	p = tpath("app/empty");
	mkdir(p, 0755);
	free(p);
	p = tpath("app/vendor/mono/bin");
	mkdir(p, 0755);
	free(p);
	put_link("app/vendor/mono/bin/mono-link", "../lib/big.dll");
	/* Names as bytes: UTF-8, and a byte that is no character at all. */
	put("app/caf\xc3\xa9.txt", "utf-8 name", 0644);
	put("app/raw\xe9.txt", "latin-1 name", 0644);
	/* A symlink target too long for the header's 100 bytes. */
	n = snprintf(longname, sizeof longname, "../../");
	for (i = 0; i < 8; i++)
		n += snprintf(longname + n, sizeof longname - (size_t)n,
		    "target_dir_%02d/", i);
	snprintf(longname + n, sizeof longname - (size_t)n, "file");
	put_link("app/vendor/longlink", longname);
	p = tpath("app/vendor/mono/lib/big.dll");
	q = tpath("app/vendor/mono/lib/zz-hardlink.dll");
	if (link(p, q) == -1)
		abort();
	free(p);
	free(q);
}

static void
test_pack_tree(void)
{
	struct pack_opts o = PACK_OPTS_INIT;
	struct pack_result r1, r2, r3;
	struct pack_ignore *ig;
	struct tarent ents[64], *t;
	struct errbuf e;
	char *app = tpath("app"), *s1 = tpath("s1.tgz"), *s2 = tpath("s2.tgz"),
	     *s3 = tpath("out/s3.tgz"), *ign = tpath("app"), *x = tpath("x"),
	     *xapp = tpath("x/app"), *outd = tpath("out");
	int n, i, rc;
	bool sorted = true, owners = true, times = true;

	make_app();
	mkdir(outd, 0755);
	ig = pack_ignore_load(ign, &e);
	o.prefix = "./app";
	o.ignore = ig;
	o.mtime = 1700000000;
	o.block_size = 32768; /* several blocks from this small tree */
	o.threads = 3;
	rc = pack_dir(app, s1, &o, &r1, &e);
	TEST("pack: succeeds", rc == 0);
	if (rc != 0)
		printf("# %s\n", e.msg);
	TEST("pack: reports sizes",
	    r1.compressed > 0 && r1.raw >= 650000 && r1.tar > r1.raw &&
		r1.compressed < r1.tar / 2);
	TEST("pack: reports ignored paths (art/logo.psd, tmp/)",
	    r1.ignored == 2);
	o.threads = 1;
	rc = pack_dir(app, s2, &o, &r2, &e);
	TEST("pack: one thread gives the same bytes as three",
	    rc == 0 && same_file(s1, s2) && r2.compressed == r1.compressed);
	o.threads = 2;
	setlocale(LC_ALL, "C.UTF-8");
	rc = pack_dir(app, s3, &o, &r3, &e);
	setlocale(LC_ALL, "C");
	TEST("pack: packing again (another locale) gives the same bytes",
	    rc == 0 && same_file(s1, s3));
	{
		struct stat st;

		TEST("pack: compressed size matches the file",
		    stat(s1, &st) == 0 &&
			(uint64_t)st.st_size == r1.compressed);
		TEST("pack: slug is mode 0644",
		    stat(s1, &st) == 0 && (st.st_mode & 0777) == 0644);
	}
	TEST("pack: no temporary file left beside the slug",
	    count_dir(outd) == 1);

	{
		const char *gz[] = {"gzip", "-t", s1, NULL};

		TEST("pack: gzip -t accepts the slug",
		    run(NULL, gz, NULL, 0) == 0);
	}

	n = read_slug(s1, ents, 64);
	TEST("pack: libarchive reads it back", n > 10);
	if (n <= 0)
		goto out;
	TEST("pack: first entry is ./app/",
	    strcmp(ents[0].name, "./app/") == 0);
	for (i = 1; i < n && i < 64; i++)
		if (strcmp(ents[i - 1].name, ents[i].name) >= 0)
			sorted = false;
	for (i = 0; i < n && i < 64; i++) {
		if (ents[i].uid != 0 || ents[i].gid != 0 || ents[i].has_uname)
			owners = false;
		if (ents[i].mtime != 1700000000)
			times = false;
	}
	TEST("pack: entries sorted by path in byte order", sorted);
	TEST("pack: a-b comes before a/ (byte order, not per directory)",
	    find_ent(ents, n, "./app/a-b") < find_ent(ents, n, "./app/a/") &&
		find_ent(ents, n, "./app/a-b") != NULL);
	TEST("pack: owner 0:0 and no user or group names", owners);
	TEST("pack: every entry has the fixed mtime", times);
	TEST("pack: ignored files left out",
	    find_ent(ents, n, "./app/art/logo.psd") == NULL &&
		find_ent(ents, n, "./app/tmp/") == NULL &&
		find_ent(ents, n, "./app/tmp/cache.bin") == NULL &&
		find_ent(ents, n, "./app/art/") != NULL);
	t = find_ent(ents, n, "./app/bin/run");
	TEST("pack: exec bit kept", t != NULL && t->perm == 0755);
	t = find_ent(ents, n, "./app/a/x");
	TEST("pack: mode 0600 kept", t != NULL && t->perm == 0600);
	t = find_ent(ents, n, "./app/vendor/mono/bin/mono-link");
	TEST("pack: symlink kept with its target",
	    t != NULL && t->type == AE_IFLNK &&
		strcmp(t->link, "../lib/big.dll") == 0);
	t = find_ent(ents, n, "./app/vendor/mono/lib/zz-hardlink.dll");
	TEST("pack: a second hard link is stored as a link to the first",
	    t != NULL &&
		strcmp(t->hardlink, "./app/vendor/mono/lib/big.dll") == 0);
	t = find_ent(ents, n, "./app/empty/");
	TEST("pack: empty directory kept", t != NULL && t->type == AE_IFDIR);
	TEST("pack: names stored as their bytes (UTF-8 and not)",
	    find_ent(ents, n, "./app/caf\xc3\xa9.txt") != NULL &&
		find_ent(ents, n, "./app/raw\xe9.txt") != NULL);
	t = find_ent(ents, n, "./app/vendor/longlink");
	TEST("pack: a symlink target over 100 bytes kept whole",
	    t != NULL && strlen(t->link) > 100 &&
		strncmp(t->link, "../../target_dir_00/", 20) == 0);

	/* Round trip through GNU tar, compared with diff. */
	mkdir(x, 0755);
	{
		const char *tx[] = {"tar", "xzf", s1, "-C", x, NULL};
		const char *df[] = {"diff", "-r", "--no-dereference",
		    "--exclude=logo.psd", "--exclude=tmp", app, xapp, NULL};
		char *ln = tpath("x/app/vendor/mono/bin/mono-link");
		char buf[64];
		ssize_t k;

		TEST("pack: tar xzf extracts the slug",
		    run(NULL, tx, NULL, 0) == 0);
		TEST("pack: extracted tree equals the source (diff -r)",
		    run(NULL, df, NULL, 0) == 0);
		k = readlink(ln, buf, sizeof buf - 1);
		TEST("pack: extracted symlink is a symlink",
		    k > 0 &&
			(buf[k] = '\0', strcmp(buf, "../lib/big.dll") == 0));
		free(ln);
	}
out:
	pack_ignore_free(ig);
	free(app);
	free(s1);
	free(s2);
	free(s3);
	free(ign);
	free(x);
	free(xapp);
	free(outd);
}

static int
cancel_now(void)
{
	return 1;
}

static void
test_pack_failures(void)
{
	struct pack_opts o = PACK_OPTS_INIT;
	struct pack_result r;
	struct errbuf e;
	char *dir = tpath("fail"), *out = tpath("fail/slug.tgz"),
	     *app = tpath("app"), *missing = tpath("no-such-app");
	int rc;

	mkdir(dir, 0755);
	put("fail/slug.tgz", "previous slug", 0644);

	o.max_bytes = 1000;
	rc = pack_dir(app, out, &o, &r, &e);
	TEST("pack: over max_bytes fails", rc == -1 && r.too_big);
	TEST("pack: too-big message names the limit",
	    strstr(e.msg, "1000") != NULL);
	TEST("pack: failed pack leaves no temporary file", count_dir(dir) == 1);
	TEST("pack: previous slug content unchanged",
	    file_is(out, "previous slug"));

	o.max_bytes = 0;
	o.cancel = cancel_now;
	rc = pack_dir(app, out, &o, &r, &e);
	TEST("pack: cancel stops packing", rc == -1 && r.cancelled);
	TEST("pack: cancelled pack leaves no temporary file",
	    count_dir(dir) == 1);

	o.cancel = NULL;
	rc = pack_dir(missing, out, &o, &r, &e);
	TEST("pack: missing directory fails with its name",
	    rc == -1 && strstr(e.msg, "no-such-app") != NULL);
	TEST("pack: missing directory leaves no file", count_dir(dir) == 1);

	{
		char *lnk = tpath("fail/link.tgz"), *tgt = tpath("fail/target"),
		     buf[64];
		ssize_t k;

		put("fail/target", "not to be replaced", 0644);
		if (symlink(tgt, lnk) == -1)
			abort();
		rc = pack_dir(app, lnk, &o, &r, &e);
		k = readlink(lnk, buf, sizeof buf - 1);
		TEST("pack: an output path that is a symlink is refused",
		    rc == -1 && strstr(e.msg, "not a regular file") != NULL &&
			k > 0);
		rc = pack_dir(app, dir, &o, &r, &e);
		TEST("pack: an output path that is a directory is refused",
		    rc == -1 && fs_is_dir(dir));
		rc = pack_dir(app, "/dev/null", &o, &r, &e);
		TEST("pack: a device as output is refused", rc == -1);
		unlink(lnk);
		unlink(tgt);
		free(lnk);
		free(tgt);
	}

	free(out);
	out = tpath("no-such-dir/slug.tgz");
	rc = pack_dir(app, out, &o, &r, &e);
	TEST("pack: unwritable destination fails",
	    rc == -1 && strstr(e.msg, "no-such-dir") != NULL);

	free(dir);
	free(out);
	free(app);
	free(missing);
}

/* An unreadable file in the tree fails the pack (when not root). */
static void
test_pack_unreadable(void)
{
	struct pack_opts o = PACK_OPTS_INIT;
	struct errbuf e;
	char *dir = tpath("unr"), *out = tpath("unr.tgz");
	int rc;

	if (geteuid() == 0) {
		TEST("pack: unreadable file (skipped as root)", 1);
		goto out;
	}
	put("unr/secret", "s", 0000);
	rc = pack_dir(dir, out, &o, NULL, &e);
	TEST("pack: unreadable file fails naming it",
	    rc == -1 && strstr(e.msg, "secret") != NULL);
	TEST("pack: and leaves no slug", !fs_exists(out));
out:
	free(dir);
	free(out);
}

/* Whether unpack_fd accepts the slug at path (into a fresh dest). */
static bool
unpacks(const char *path, const char *dest, struct errbuf *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd == -1)
		return false;
	rc = unpack_fd(fd, dest, NULL, e);
	close(fd);
	if (rc == -1)
		printf("# %s\n", e->msg);
	return rc == 0;
}

/* An app holding what `slugc run` refuses: absolute and escaping symlinks,
 * a FIFO, a socket, a device (as root), next to what it accepts. */
static void
make_hostile_app(void)
{
	char *p;

	put("pol/Procfile", "web: ./run\n", 0644);
	put("pol/sub/f", "f", 0644);
	put_link("pol/ok", "Procfile");
	put_link("pol/abs", "/etc/passwd");
	put_link("pol/esc", "../../x");
	put_link("pol/up", "../x");
	put_link("pol/sub/up", "../../x");
	put_link("pol/sub/mid", "a/../../b");
	put_link("pol/sub/deep", "../../../etc");
	p = tpath("pol/fifo");
	if (mkfifo(p, 0644) == -1)
		abort();
	free(p);
	p = tpath("pol/sub/sock");
	if (mknod(p, S_IFSOCK | 0644, 0) == -1)
		abort();
	free(p);
	p = tpath("pol/null");
	if (geteuid() == 0 && mknod(p, S_IFCHR | 0666, makedev(1, 3)) == -1)
		abort();
	free(p);
}

static void
test_pack_policy(void)
{
	struct pack_opts o = PACK_OPTS_INIT;
	struct pack_result r;
	struct tarent ents[64];
	struct warns w;
	struct errbuf e;
	char *app = tpath("pol"), *out = tpath("pol.tgz"),
	     *dest = tpath("pol-x"), *dest2 = tpath("pol-y");
	bool root = geteuid() == 0;
	int n, rc;

	make_hostile_app();
	memset(&w, 0, sizeof w);
	o.prefix = "./app";
	o.warn = collect;
	o.warn_arg = &w;
	rc = pack_dir(app, out, &o, &r, &e);
	TEST("policy: packing a tree with refused entries succeeds", rc == 0);
	TEST("policy: each entry left out is counted",
	    r.skipped == (root ? 7u : 6u));
	TEST("policy: and named in one warning each", w.n == (root ? 7 : 6));
	printf("%s", w.buf);
	TEST("policy: absolute symlink left out, named with its target",
	    strstr(w.buf,
		"'abs' left out of the slug: symlink to absolute "
		"path '/etc/passwd' refused\n") != NULL);
	TEST("policy: symlink above the slug's root left out",
	    strstr(w.buf,
		"'esc' left out of the slug: symlink target "
		"'../../x' escapes the root\n") != NULL);
	TEST("policy: a deeper one too",
	    strstr(w.buf,
		"'sub/deep' left out of the slug: symlink target "
		"'../../../etc' escapes the root\n") != NULL);
	TEST("policy: '..' after a name left out",
	    strstr(w.buf,
		"'sub/mid' left out of the slug: symlink target "
		"'a/../../b' has '..' after a name\n") != NULL);
	TEST("policy: FIFO left out",
	    strstr(w.buf, "'fifo' left out of the slug: FIFO refused\n") !=
		NULL);
	TEST("policy: socket left out",
	    strstr(w.buf,
		"'sub/sock' left out of the slug: socket "
		"refused\n") != NULL);
	TEST("policy: device left out (as root)",
	    !root ||
		strstr(w.buf,
		    "'null' left out of the slug: device "
		    "node refused\n") != NULL);
	n = read_slug(out, ents, 64);
	TEST("policy: the slug holds exactly the rest", n == 7);
	TEST("policy: kept entries are there",
	    find_ent(ents, n, "./app/ok") != NULL &&
		find_ent(ents, n, "./app/sub/f") != NULL &&
		find_ent(ents, n, "./app/Procfile") != NULL);
	TEST("policy: links up to the slug's root are kept (/x on a dyno)",
	    find_ent(ents, n, "./app/up") != NULL &&
		find_ent(ents, n, "./app/sub/up") != NULL);
	TEST("policy: refused entries are not",
	    find_ent(ents, n, "./app/abs") == NULL &&
		find_ent(ents, n, "./app/esc") == NULL &&
		find_ent(ents, n, "./app/fifo") == NULL &&
		find_ent(ents, n, "./app/sub/sock") == NULL &&
		find_ent(ents, n, "./app/null") == NULL);
	TEST("policy: unpack accepts the slug", unpacks(out, dest, &e));

	/* With the prefix ".", the app itself is the slug's root. */
	memset(&w, 0, sizeof w);
	o.prefix = ".";
	rc = pack_dir(app, out, &o, &r, &e);
	TEST("policy: prefix '.': packs", rc == 0);
	TEST("policy: prefix '.': up -> ../x leaves the root, left out",
	    strstr(w.buf,
		"'up' left out of the slug: symlink target '../x' "
		"escapes the root\n") != NULL &&
		r.skipped == (root ? 9u : 8u));
	TEST("policy: prefix '.': unpack accepts the slug",
	    unpacks(out, dest2, &e));

	o.warn = NULL;
	o.prefix = NULL;
	rc = pack_dir(app, out, &o, &r, &e);
	TEST("policy: without a warning callback, still left out",
	    rc == 0 && r.skipped == (root ? 9u : 8u));

	o.prefix = "../up";
	rc = pack_dir(app, out, &o, &r, &e);
	TEST("policy: a prefix with '..' is refused",
	    rc == -1 &&
		strstr(e.msg,
		    "entry prefix '../up' refused: path "
		    "escapes the root") != NULL);
	o.prefix = "/app";
	rc = pack_dir(app, out, &o, &r, &e);
	TEST("policy: an absolute prefix is refused",
	    rc == -1 && strstr(e.msg, "absolute path refused") != NULL);
	free(app);
	free(out);
	free(dest);
	free(dest2);
}

/* A write error (here EFBIG from RLIMIT_FSIZE, as ENOSPC would be) names
 * the slug and leaves nothing behind. */
static void
test_pack_write_error(void)
{
	struct pack_opts o = PACK_OPTS_INIT;
	struct pack_result r;
	struct rlimit old, lim;
	struct errbuf e;
	char *app = tpath("wr/app"), *dir = tpath("wr/out"),
	     *out = tpath("wr/out/slug.tgz"), *p, want[4200];
	unsigned seed = 1;
	FILE *f;
	int i, rc;

	put("wr/app/Procfile", "web: x\n", 0644);
	p = tpath("wr/app/random.bin");
	if ((f = fopen(p, "w")) == NULL)
		abort();
	for (i = 0; i < 200000; i++) {
		seed = seed * 1103515245u + 12345u;
		fputc((int)(seed >> 16) & 0xff, f);
	}
	if (fclose(f) != 0)
		abort();
	free(p);
	if (mkdir(dir, 0755) == -1)
		abort();
	if (getrlimit(RLIMIT_FSIZE, &old) == -1)
		abort();
	lim = old;
	lim.rlim_cur = 65536;
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &lim) == -1)
		abort();
	o.threads = 2;
	rc = pack_dir(app, out, &o, &r, &e);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	snprintf(want, sizeof want, "write %s: %s", out, strerror(EFBIG));
	TEST("write error: pack fails", rc == -1);
	TEST("write error: the message names the slug and the errno",
	    strstr(e.msg, want) != NULL);
	printf("# %s\n", e.msg);
	TEST("write error: no slug and no temporary file left",
	    count_dir(dir) == 0);
	free(app);
	free(dir);
	free(out);
}

int
main(void)
{
	if (tmp_init("test_pack") == -1)
		return 1;
	test_ignore_match();
	test_ignore_load_prune();
	test_pack_tree();
	test_pack_failures();
	test_pack_unreadable();
	test_pack_policy();
	test_pack_write_error();
	tmp_done();
	return test_report();
}
