/* Unit tests for unpack: the pure entry policy, round trips of good trees in
 * every accepted compression, and hostile archives (built here with
 * libarchive's writer), each of which must fail with a message naming the
 * entry and leave no destination behind. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fsutil.h"
#include "testhelp.h"
#include "testmount.h"
#include "testtar.h"
#include "testtmp.h"
#include "treesum.h"
#include "unpack.h"

/* Shorthands for the entries most archives here hold. */
#define F(p, d)                                                                \
	{                                                                      \
		p, AE_IFREG, 0644, d, -1, NULL                                 \
	}
#define D(p)                                                                   \
	{                                                                      \
		p, AE_IFDIR, 0755, NULL, 0, NULL                               \
	}
#define L(p, t)                                                                \
	{                                                                      \
		p, AE_IFLNK, 0777, NULL, 0, t                                  \
	}
#define H(p, t)                                                                \
	{                                                                      \
		p, 0, 0644, NULL, 0, t                                         \
	}

static struct errbuf e;

/* Removes an archive and the tree extracted from it; frees both names. */
static void
discard(char *arc, char *dest)
{
	fs_rm_rf(dest, &e);
	unlink(arc);
	free(arc);
	free(dest);
}

static int
unpack_file(const char *file, const char *dest, const struct unpack_limits *l)
{
	int fd, rc;

	if ((fd = open(file, O_RDONLY)) == -1)
		return errf(&e, "open %s:", file);
	rc = unpack_fd(fd, dest, l, &e);
	close(fd);
	return rc;
}

/* Builds a hostile archive, expects unpack to fail with a message holding
 * both want1 and want2, and checks the destination is gone and nothing
 * else appeared next to it. */
static void
hostile(const char *descr, int filter, const struct tar_ent *ents, size_t n,
    const struct unpack_limits *l, const char *want1, const char *want2)
{
	char *arc = tpath("hostile.tar"), *dest = tpath("dest");
	char buf[2048];
	int before, rc;

	before = count_dir(tmpdir);
	rc = tar_write(arc, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, filter, ents, n);
	if (rc != 0)
		rc = tar_write(arc, ARCHIVE_FORMAT_TAR_GNUTAR, filter, ents, n);
	snprintf(buf, sizeof buf, "%s: archive built", descr);
	TEST(buf, rc == 0);
	e.msg[0] = '\0';
	rc = unpack_file(arc, dest, l);
	snprintf(buf, sizeof buf, "%s: refused", descr);
	TEST(buf, rc == -1);
	snprintf(buf, sizeof buf, "%s: message names it (%s)", descr, e.msg);
	TEST(buf,
	    strstr(e.msg, want1) != NULL &&
		(want2 == NULL || strstr(e.msg, want2) != NULL) &&
		strchr(e.msg, '\n') == NULL);
	snprintf(buf, sizeof buf, "%s: destination removed", descr);
	TEST(buf, !fs_exists(dest) && count_dir(tmpdir) == before + 1);
	unlink(arc);
	free(arc);
	free(dest);
}

static void
test_policy(void)
{
	struct errbuf pe;

#define OK(p, t, s, h) (unpack_check_entry(p, t, s, h, &pe) == 0)
#define NO(p, t, s, h, want)                                                   \
	(unpack_check_entry(p, t, s, h, &pe) == -1 &&                          \
	    strstr(pe.msg, want) != NULL)

	TEST("policy: plain file", OK("a/b/c.txt", S_IFREG, NULL, NULL));
	TEST("policy: ./ prefix", OK("./bin/mono", S_IFREG, NULL, NULL));
	TEST("policy: root directory entry", OK("./", S_IFDIR, NULL, NULL));
	TEST("policy: directory", OK("lib/mono/", S_IFDIR, NULL, NULL));
	TEST("policy: name holding dots", OK("a/..b/c..", S_IFREG, NULL, NULL));
	TEST("policy: empty path", NO("", S_IFREG, NULL, NULL, "empty path"));
	TEST("policy: NULL path", NO(NULL, S_IFREG, NULL, NULL, "empty path"));
	TEST("policy: absolute path",
	    NO("/etc/passwd", S_IFREG, NULL, NULL,
		"archive entry '/etc/passwd': absolute path"));
	TEST("policy: traversal",
	    NO("a/../../x", S_IFREG, NULL, NULL,
		"archive entry 'a/../../x': path escapes the root"));
	TEST("policy: .. even when it stays inside",
	    NO("a/../b", S_IFREG, NULL, NULL, "escapes"));
	TEST("policy: trailing ..", NO("a/..", S_IFDIR, NULL, NULL, "escapes"));
	TEST("policy: file replacing the root",
	    NO("./", S_IFREG, NULL, NULL, "would replace the root"));
	TEST("policy: symlink replacing the root",
	    NO(".", S_IFLNK, "x", NULL, "would replace the root"));
	TEST("policy: char device",
	    NO("dev/null", S_IFCHR, NULL, NULL,
		"archive entry 'dev/null': device node refused"));
	TEST("policy: block device",
	    NO("sda", S_IFBLK, NULL, NULL, "device node"));
	TEST("policy: FIFO", NO("p", S_IFIFO, NULL, NULL, "FIFO refused"));
	TEST("policy: socket", NO("s", S_IFSOCK, NULL, NULL, "socket refused"));
	TEST("policy: unknown type", NO("u", 0, NULL, NULL, "unsupported"));

	TEST("policy: symlink to a sibling",
	    OK("lib/libx.so", S_IFLNK, "libx.so.1", NULL));
	TEST("policy: symlink up to a sibling tree",
	    OK("lib/mono/4.5/System.dll", S_IFLNK,
		"../gac/System/4.0.0.0__b77a5c561934e089/System.dll", NULL));
	TEST("policy: symlink three levels up (xbuild)",
	    OK("lib/mono/xbuild/14.0/bin/M.dll", S_IFLNK,
		"../../../gac/M/14.0.0.0__b03f5f7f11d50a3a/M.dll", NULL));
	TEST("policy: symlink up to the root itself",
	    OK("a/b/l", S_IFLNK, "../..", NULL));
	TEST("policy: symlink to .", OK("a/l", S_IFLNK, ".", NULL));
	TEST("policy: symlink with ./ parts",
	    OK("a/l", S_IFLNK, "./x/./y", NULL));
	TEST("policy: symlink one level too high",
	    NO("a/b/l", S_IFLNK, "../../../x", NULL,
		"symlink target '../../../x' escapes the root"));
	TEST("policy: symlink at the root to ..",
	    NO("l", S_IFLNK, "..", NULL, "escapes the root"));
	TEST("policy: symlink with ./ prefix cannot gain depth",
	    NO("./././l", S_IFLNK, "../x", NULL, "escapes the root"));
	TEST("policy: symlink dir depth ignores empty parts",
	    NO("a//l", S_IFLNK, "../../x", NULL, "escapes the root"));
	TEST("policy: absolute symlink",
	    NO("l", S_IFLNK, "/etc/passwd", NULL,
		"symlink to absolute path '/etc/passwd' refused"));
	TEST("policy: symlink with .. after a name",
	    NO("a/b/l", S_IFLNK, "x/../..", NULL, "'..' after a name"));
	TEST("policy: symlink with empty target",
	    NO("l", S_IFLNK, "", NULL, "empty target"));
	TEST("policy: symlink with NULL target",
	    NO("l", S_IFLNK, NULL, NULL, "empty target"));

	TEST("policy: hardlink inside", OK("b/h", S_IFREG, NULL, "a/file"));
	TEST("policy: hardlink with type 0", OK("b/h", 0, NULL, "./a/file"));
	TEST("policy: hardlink out",
	    NO("h", S_IFREG, NULL, "../outside",
		"hardlink target '../outside' escapes the root"));
	TEST("policy: hardlink absolute",
	    NO("h", S_IFREG, NULL, "/etc/shadow",
		"hardlink to absolute path '/etc/shadow'"));
	TEST("policy: hardlink to the root",
	    NO("h", S_IFREG, NULL, "./", "hardlink to the root"));
	TEST("policy: hardlink empty",
	    NO("h", S_IFREG, NULL, "", "empty target"));
	TEST("policy: hardlink named by traversal",
	    NO("../h", S_IFREG, NULL, "a", "path escapes the root"));

	/* Messages stay on one line whatever the name holds. */
	TEST("policy: control characters escaped",
	    NO("a\n/../b", S_IFREG, NULL, NULL, "'a\\x0a/../b'") &&
		strchr(pe.msg, '\n') == NULL);
	TEST("policy: non-ASCII bytes escaped (a right-to-left override "
	     "cannot reorder the message)",
	    NO("\xe2\x80\xae/../b", S_IFREG, NULL, NULL,
		"'\\xe2\\x80\\xae/../b'"));
	{
		char longname[5000];
		memset(longname, 'x', sizeof longname - 1);
		longname[sizeof longname - 1] = '\0';
		longname[0] = '/';
		TEST("policy: very long name cut in the message",
		    NO(longname, S_IFREG, NULL, NULL, "...': absolute path"));
	}
#undef OK
#undef NO
}

static bool
check_file(const char *dir, const char *rel, const char *data, mode_t mode)
{
	char *p = fs_join(dir, rel), *got = slurp(p);
	struct stat st;
	bool ok = got != NULL && strcmp(got, data) == 0 && lstat(p, &st) == 0 &&
	    S_ISREG(st.st_mode) && (st.st_mode & 07777) == mode;

	free(p);
	free(got);
	return ok;
}

static bool
check_link(const char *dir, const char *rel, const char *target)
{
	char *p = fs_join(dir, rel), buf[4096];
	ssize_t n = readlink(p, buf, sizeof buf - 1);

	free(p);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return strcmp(buf, target) == 0;
}

static void
test_roundtrip(int format, int filter, const char *what)
{
	static const char longdir[] =
	    "a-directory-name-that-is-long/another-long-directory-name-here/"
	    "and-yet-another-one-to-pass-the-ustar-limit";
	static const char longfile[] =
	    "a-directory-name-that-is-long/another-long-directory-name-here/"
	    "and-yet-another-one-to-pass-the-ustar-limit/"
	    "file-with-a-long-name-too-so-that-the-name-field-overflows.dll";
	const struct tar_ent ents[] = {
	    D("./"),
	    {"bin", AE_IFDIR, 0750, NULL, 0, NULL},
	    {"bin/mono", AE_IFREG, 0755, "#!mono\n", -1, NULL},
	    {"etc/mono/config", AE_IFREG, 0600, "<config/>\n", -1, NULL},
	    D("lib"),
	    F("lib/libmono-native.so.0.0.0", "ELF"),
	    L("lib/libmono-native.so.0", "libmono-native.so.0.0.0"),
	    L("lib/libmono-native.so", "./libmono-native.so.0"),
	    F("lib/gac/System/System.dll", "MZ system"),
	    L("lib/4.5/System.dll", "../gac/System/System.dll"),
	    D(longdir),
	    F(longfile, "long"),
	    L("lib/4.5/long.dll",
		"../../a-directory-name-that-is-long/"
		"another-long-directory-name-here/and-yet-another-one-to-"
		"pass-the-ustar-limit/file-with-a-long-name-too-so-that-"
		"the-name-field-overflows.dll"),
	    H("bin/mono-sgen", "bin/mono"),
	    L("up", "."),
	    {"empty", AE_IFREG, 0444, "", -1, NULL},
	};
	char *arc = tpath("good.tar"), *dest = tpath("good");
	char buf[2048];
	struct stat st1, st2;
	char *p1, *p2;
	int rc;

	snprintf(buf, sizeof buf, "%s: archive built", what);
	TEST(buf,
	    tar_write(arc, format, filter, ents,
		sizeof ents / sizeof ents[0]) == 0);
	e.msg[0] = '\0';
	rc = unpack_file(arc, dest, NULL);
	snprintf(buf, sizeof buf, "%s: extracted (%s)", what, e.msg);
	TEST(buf, rc == 0);
	snprintf(buf, sizeof buf, "%s: files and modes", what);
	TEST(buf,
	    check_file(dest, "bin/mono", "#!mono\n", 0755) &&
		check_file(dest, "etc/mono/config", "<config/>\n", 0600) &&
		check_file(dest, "empty", "", 0444) &&
		check_file(dest, longfile, "long", 0644));
	p1 = fs_join(dest, "bin");
	snprintf(buf, sizeof buf, "%s: directory mode and mtime", what);
	TEST(buf,
	    stat(p1, &st1) == 0 && S_ISDIR(st1.st_mode) &&
		(st1.st_mode & 07777) == 0750 && st1.st_mtime == 1500000001);
	free(p1);
	p1 = fs_join(dest, "bin/mono");
	snprintf(buf, sizeof buf, "%s: file mtime", what);
	TEST(buf, stat(p1, &st1) == 0 && st1.st_mtime == 1500000002);
	snprintf(buf, sizeof buf, "%s: relative symlinks", what);
	TEST(buf,
	    check_link(dest, "lib/libmono-native.so.0",
		"libmono-native.so.0.0.0") &&
		check_link(dest, "lib/libmono-native.so",
		    "./libmono-native.so.0") &&
		check_link(dest, "lib/4.5/System.dll",
		    "../gac/System/System.dll") &&
		check_link(dest, "up", "."));
	p2 = fs_join(dest, "lib/4.5/long.dll");
	snprintf(buf, sizeof buf, "%s: long symlink target resolves", what);
	{
		char *got = slurp(p2);
		TEST(buf, got != NULL && strcmp(got, "long") == 0);
		free(got);
	}
	free(p2);
	p2 = fs_join(dest, "bin/mono-sgen");
	snprintf(buf, sizeof buf, "%s: hard link shares the inode", what);
	TEST(buf,
	    stat(p1, &st1) == 0 && stat(p2, &st2) == 0 &&
		st1.st_ino == st2.st_ino && st1.st_nlink == 2);
	free(p1);
	free(p2);
	discard(arc, dest);
}

/* Reads in 7-byte pieces: the stream must not depend on read sizes. */
struct tiny {
	int fd;
	int calls;
};

static ssize_t
tiny_read(void *arg, void *buf, size_t len)
{
	struct tiny *t = arg;

	t->calls++;
	return read(t->fd, buf, len < 7 ? len : 7);
}

static ssize_t
failing_read(void *arg, void *buf, size_t len)
{
	struct tiny *t = arg;

	if (t->calls++ >= 3) {
		errno = EIO;
		return -1;
	}
	return read(t->fd, buf, len < 512 ? len : 512);
}

static void
test_callbacks(void)
{
	const struct tar_ent ents[] = {F("a/b", "hello"), F("a/c", "world")};
	char *arc = tpath("cb.tar.gz"), *dest = tpath("cb");
	struct tiny t = {-1, 0};
	int rc;

	tar_write(arc, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP,
	    ents, 2);
	t.fd = open(arc, O_RDONLY);
	rc = unpack_cb(tiny_read, &t, dest, NULL, &e);
	close(t.fd);
	TEST("callback: tiny reads extract",
	    rc == 0 && t.calls > 10 && check_file(dest, "a/c", "world", 0644));
	fs_rm_rf(dest, &e);

	/* A read error is an error, the tree goes. */
	{
		/* Enough data that the first 3 reads do not reach the end. */
		const struct tar_ent big[] = {
		    {"big", AE_IFREG, 0644, NULL, 4 << 20, NULL},
		};
		tar_write(arc, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
		    ARCHIVE_FILTER_NONE, big, 1);
	}
	t.fd = open(arc, O_RDONLY);
	t.calls = 0;
	e.msg[0] = '\0';
	rc = unpack_cb(failing_read, &t, dest, NULL, &e);
	close(t.fd);
	TEST("callback: read error fails", rc == -1);
	TEST("callback: read error message",
	    strstr(e.msg, "Input/output error") != NULL);
	TEST("callback: read error removes the tree", !fs_exists(dest));

	/* An existing empty directory is accepted (install uses mkdtemp). */
	mkdir(dest, 0700);
	TEST("existing empty destination accepted",
	    unpack_file(arc, dest, NULL) == 0);
	/* A non-empty one is refused and left alone. */
	e.msg[0] = '\0';
	TEST("non-empty destination refused",
	    unpack_file(arc, dest, NULL) == -1 &&
		strstr(e.msg, "not empty") != NULL);
	{
		char *p = fs_join(dest, "big");
		TEST("non-empty destination left alone", fs_exists(p));
		free(p);
	}
	fs_rm_rf(dest, &e);

	/* A destination reached through a symlinked directory works: the
	 * symlink checks only guard the part below the root. */
	{
		char *real = tpath("real"), *link = tpath("link");
		char *via = fs_join(link, "out"), *p;

		mkdir(real, 0755);
		symlink(real, link);
		e.msg[0] = '\0';
		rc = unpack_file(arc, via, NULL);
		p = fs_join(real, "out/big");
		TEST("destination under a symlinked directory",
		    rc == 0 && fs_exists(p));
		free(p);
		fs_rm_rf(real, &e);
		unlink(link);
		free(real);
		free(link);
		free(via);
	}
	unlink(arc);
	free(arc);
	free(dest);
}

static void
test_hostile(void)
{
	struct unpack_limits small;
	char *outside = tpath("outside"), *p;
	char longtrav[400];

	{
		const struct tar_ent x[] = {D("a"), F("a/../../outside", "x")};
		hostile("../ traversal", ARCHIVE_FILTER_GZIP, x, 2, NULL,
		    "archive entry 'a/../../outside'", "path escapes the root");
	}
	TEST("../ traversal: nothing written outside", !fs_exists(outside));
	{
		char abs[512];
		snprintf(abs, sizeof abs, "%s/outside", tmpdir);
		const struct tar_ent x[] = {F(abs, "x")};
		hostile("absolute path", ARCHIVE_FILTER_NONE, x, 1, NULL, abs,
		    "absolute path refused");
	}
	TEST("absolute path: nothing written outside", !fs_exists(outside));
	{
		const struct tar_ent x[] = {F("ok", "fine"),
		    L("evil", "../outside"), F("evil/pwned", "x")};
		hostile("symlink out, then a file through it",
		    ARCHIVE_FILTER_ZSTD, x, 3, NULL, "archive entry 'evil'",
		    "symlink target '../outside' escapes the root");
	}
	TEST("symlink out: nothing written outside", !fs_exists(outside));
	{
		char abs[512];
		snprintf(abs, sizeof abs, "%s", tmpdir);
		const struct tar_ent x[] = {L("evil", abs),
		    F("evil/outside", "x")};
		hostile("absolute symlink, then a file through it",
		    ARCHIVE_FILTER_XZ, x, 2, NULL, "archive entry 'evil'",
		    "symlink to absolute path");
	}
	TEST("absolute symlink: nothing written outside", !fs_exists(outside));
	{
		/* '..' after a name, through another symlink: l -> . makes
		 * l/.. the root's parent though lexically it is the root. */
		const struct tar_ent x[] = {L("l", "."), L("m", "l/../outside"),
		    F("m", "x")};
		hostile("symlink climbing through another symlink",
		    ARCHIVE_FILTER_GZIP, x, 3, NULL, "archive entry 'm'",
		    "'..' after a name");
	}
	{
		/* An inside symlink is fine, writing through it is not. */
		const struct tar_ent x[] = {D("sub"), L("in", "sub"),
		    F("in/file", "x")};
		hostile("file written through an inside symlink",
		    ARCHIVE_FILTER_GZIP, x, 3, NULL, "archive entry 'in/file'",
		    "symlink");
	}
	{
		/* A name holding a newline: the message must still be one
		 * line. */
		const struct tar_ent x[] = {D("sub"), L("in\nx", "sub"),
		    F("in\nx/file", "x")};
		hostile("newline in a name libarchive refuses",
		    ARCHIVE_FILTER_GZIP, x, 3, NULL,
		    "archive entry 'in\\x0ax/file'", "symlink");
	}
	{
		const struct tar_ent x[] = {F("a", "x"), H("h", "../outside")};
		FILE *f = fopen(outside, "w");
		fputs("precious", f);
		fclose(f);
		hostile("hardlink out", ARCHIVE_FILTER_GZIP, x, 2, NULL,
		    "archive entry 'h'", "escapes the root");
		p = slurp(outside);
		TEST("hardlink out: outside file untouched",
		    p != NULL && strcmp(p, "precious") == 0);
		free(p);
	}
	{
		char abs[512];
		snprintf(abs, sizeof abs, "%s", outside);
		const struct tar_ent x[] = {H("h", abs)};
		hostile("hardlink to an absolute path", ARCHIVE_FILTER_NONE, x,
		    1, NULL, "archive entry 'h'", "hardlink to absolute path");
		unlink(outside);
	}
	{
		/* a/b/l -> ../../x resolves inside; linkat() would copy the
		 * symlink itself to h at the top, where ../../x is outside. */
		const struct tar_ent x[] = {D("a"), D("a/b"),
		    L("a/b/l", "../../x"), H("h", "a/b/l")};
		hostile("hardlink to an inside symlink", ARCHIVE_FILTER_NONE, x,
		    4, NULL, "archive entry 'h'",
		    "hard link to a symlink ('a/b/l')");
	}
	{
		const struct tar_ent x[] = {D("a"), D("a/b"), F("a/b/f", "x"),
		    L("a/b/l", "f"), H("a/b/h", "a/b/l")};
		hostile("hardlink to a symlink in the same directory",
		    ARCHIVE_FILTER_GZIP, x, 5, NULL, "archive entry 'a/b/h'",
		    "hard link to a symlink");
	}
	{
		const struct tar_ent x[] = {D("a"), D("a/b"), H("h", "a/b")};
		hostile("hardlink to a directory", ARCHIVE_FILTER_GZIP, x, 3,
		    NULL, "archive entry 'h'", "not a regular file");
	}
	{
		const struct tar_ent x[] = {F("a", "x"), H("h", "missing")};
		hostile("hardlink to a missing name", ARCHIVE_FILTER_GZIP, x, 2,
		    NULL, "archive entry 'h'", "hard link target 'missing'");
	}
	{
		const struct tar_ent x[] = {F("a", "x"),
		    {"dev/null", AE_IFCHR, 0666, NULL, 0, NULL}};
		hostile("device node", ARCHIVE_FILTER_GZIP, x, 2, NULL,
		    "archive entry 'dev/null'", "device node refused");
	}
	{
		const struct tar_ent x[] = {
		    {"fifo", AE_IFIFO, 0644, NULL, 0, NULL}};
		hostile("FIFO", ARCHIVE_FILTER_GZIP, x, 1, NULL,
		    "archive entry 'fifo'", "FIFO refused");
	}
	{
		snprintf(longtrav, sizeof longtrav, "%s/../../../../outside",
		    "a-long-directory-name-a-long-directory-name-a-long-"
		    "directory-name-a-long-directory-name-a-long-directory-"
		    "name-a-long-directory-name");
		const struct tar_ent x[] = {F(longtrav, "x")};
		hostile("traversal in a GNU/pax long name", ARCHIVE_FILTER_GZIP,
		    x, 1, NULL, "outside'", "path escapes the root");
	}

	/* Caps. */
	unpack_limits_init(&small);
	small.ratio_floor = 1 << 20;
	{
		const struct tar_ent x[] = {F("readme", "hi"),
		    {"zeros", AE_IFREG, 0644, NULL, 16 << 20, NULL}};
		hostile("expansion bomb (gzip)", ARCHIVE_FILTER_GZIP, x, 2,
		    &small, "archive entry 'zeros'",
		    "expands more than 200 times");
	}
	{
		/* With the default limits: 256 MiB of zeros in zstd is ~8 KiB,
		 * refused after the 64 MiB floor without writing it all. */
		const struct tar_ent x[] = {
		    {"zeros", AE_IFREG, 0644, NULL, 256LL << 20, NULL}};
		hostile("expansion bomb (zstd, default limits)",
		    ARCHIVE_FILTER_ZSTD, x, 1, NULL, "archive entry 'zeros'",
		    "decompression bomb");
	}
	unpack_limits_init(&small);
	small.max_bytes = 1 << 20;
	{
		const struct tar_ent x[] = {{"a", AE_IFREG, 0644, NULL,
						600 << 10, NULL},
		    {"b", AE_IFREG, 0644, NULL, 600 << 10, NULL}};
		hostile("total size cap", ARCHIVE_FILTER_NONE, x, 2, &small,
		    "archive entry 'b'", "larger than 1048576 bytes");
	}
	unpack_limits_init(&small);
	small.max_entries = 100;
	{
		struct tar_ent x[150];
		static char names[150][16];
		for (int i = 0; i < 150; i++) {
			snprintf(names[i], sizeof names[i], "f%03d", i);
			x[i] = (struct tar_ent)F(names[i], "x");
		}
		hostile("too many entries", ARCHIVE_FILTER_GZIP, x, 150, &small,
		    "archive entry 'f100'", "more than 100 entries");

		/* Zero is no limit. */
		char *arc = tpath("many.tar"), *dest = tpath("many");
		memset(&small, 0, sizeof small);
		tar_write(arc, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
		    ARCHIVE_FILTER_GZIP, x, 150);
		TEST("limits of 0 mean no limit",
		    unpack_file(arc, dest, &small) == 0);
		discard(arc, dest);
	}
	free(outside);
}

/* unpack tracks the symlinks it extracted (instead of libarchive's
 * SECURE_SYMLINKS): nothing goes through one, whatever the path, and a later
 * entry of the same name replaces it. */
static void
test_symlink_tracking(void)
{
	char *outside = tpath("outside");

	{
		const struct tar_ent x[] = {D("sub"), L("l", "sub"), D("l/d")};
		hostile("directory below a symlink", ARCHIVE_FILTER_NONE, x, 3,
		    NULL, "archive entry 'l/d", "'l' is a symlink");
	}
	{
		const struct tar_ent x[] = {L("a", "."), F("a/a/a/f", "x")};
		hostile("file through a chain of symlinks to '.'",
		    ARCHIVE_FILTER_GZIP, x, 2, NULL, "archive entry 'a/a/a/f'",
		    "'a' is a symlink");
	}
	{
		const struct tar_ent x[] = {L("a", "."), L("b", "a"),
		    F("./b//x", "x")};
		hostile("file through a symlink to a symlink to '.'",
		    ARCHIVE_FILTER_ZSTD, x, 3, NULL, "archive entry './b//x'",
		    "'b' is a symlink");
	}
	{
		/* a is seen as a real directory first, then a symlink
		 * appears below it: the deeper path is checked again. */
		const struct tar_ent x[] = {D("a"), F("a/f1", "1"),
		    L("a/l", ".."), F("a/f2", "2"), F("a/l/f3", "3")};
		hostile("file through a symlink made after its parent was seen",
		    ARCHIVE_FILTER_NONE, x, 5, NULL, "archive entry 'a/l/f3'",
		    "'a/l' is a symlink");
	}
	{
		const struct tar_ent x[] = {D("sub"), F("sub/f", "x"),
		    L("l", "sub"), H("h", "l/f")};
		hostile("hard link whose target is reached through a symlink",
		    ARCHIVE_FILTER_GZIP, x, 4, NULL, "archive entry 'h'",
		    "'l' is a symlink");
	}
	{
		const struct tar_ent x[] = {D("d"), L("d/l", "."),
		    F("d/l/../../outside", "x")};
		hostile("'..' through a symlink", ARCHIVE_FILTER_NONE, x, 3,
		    NULL, "archive entry 'd/l/../../outside'", "escapes");
	}
	TEST("symlink tracking: nothing written outside", !fs_exists(outside));

	/* A symlink replaced by a later entry of the same name: the entry
	 * takes its place, nothing is written through it. */
	{
		const struct tar_ent ents[] = {
		    {"sub", AE_IFDIR, 0755, NULL, 0, NULL},
		    L("file", "sub/t"),
		    F("sub/t", "target"),
		    F("file", "replaced"),
		    L("dir", "sub"),
		    {"dir", AE_IFDIR, 0700, NULL, 0, NULL},
		    F("dir/f", "in the new dir"),
		    L("link", "sub"),
		    L("link", "sub/t"),
		    L("hl", "sub/t"),
		    H("hl", "sub/t"),
		};
		char *arc = tpath("replace.tar"), *dest = tpath("replace");
		char *p, *got;
		struct stat st;
		int rc;

		tar_write(arc, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
		    ARCHIVE_FILTER_GZIP, ents, sizeof ents / sizeof ents[0]);
		e.msg[0] = '\0';
		rc = unpack_file(arc, dest, NULL);
		TEST("symlinks replaced by later entries: extracted", rc == 0);
		if (rc != 0)
			printf("# %s\n", e.msg);
		TEST("symlink replaced by a file: the file, the target intact",
		    check_file(dest, "file", "replaced", 0644) &&
			check_file(dest, "sub/t", "target", 0644));
		p = fs_join(dest, "dir");
		TEST("symlink replaced by a directory: a real one, its mode",
		    lstat(p, &st) == 0 && S_ISDIR(st.st_mode) &&
			(st.st_mode & 07777) == 0700);
		free(p);
		TEST("symlink replaced by a directory: its file inside it",
		    check_file(dest, "dir/f", "in the new dir", 0644));
		p = fs_join(dest, "sub/f");
		got = fs_join(dest, "sub");
		TEST("symlink replaced by a directory: nothing went through it",
		    !fs_exists(p) && stat(got, &st) == 0 &&
			(st.st_mode & 07777) == 0755);
		free(p);
		free(got);
		TEST("symlink replaced by a symlink",
		    check_link(dest, "link", "sub/t"));
		p = fs_join(dest, "hl");
		got = fs_join(dest, "sub/t");
		{
			struct stat st2;
			TEST("symlink replaced by a hard link",
			    lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
				stat(got, &st2) == 0 &&
				st.st_ino == st2.st_ino);
		}
		free(p);
		free(got);
		discard(arc, dest);
	}
	free(outside);
}

/* A hard link to a regular file, at another depth, still works, also
 * through a directory reached by an inside symlink's sibling. */
static void
test_hardlink_file(void)
{
	const struct tar_ent ents[] = {D("a"), D("a/b"), F("a/b/f", "data"),
	    L("a/b/l", "../../top"), F("top", "top"), H("h", "a/b/f"),
	    H("a/b/g", "top")};
	char *arc = tpath("hl.tar"), *dest = tpath("hl"), *p1, *p2, *p3, *got;
	struct stat st1, st2, st3;
	int rc;

	TEST("hardlink to a file: archive built",
	    tar_write(arc, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
		ARCHIVE_FILTER_GZIP, ents, 7) == 0);
	e.msg[0] = '\0';
	rc = unpack_file(arc, dest, NULL);
	TEST("hardlink to a file: extracted", rc == 0);
	if (rc != 0)
		fprintf(stderr, "  %s\n", e.msg);
	p1 = fs_join(dest, "a/b/f");
	p2 = fs_join(dest, "h");
	p3 = fs_join(dest, "a/b/g");
	TEST("hardlink to a file: same inode, two links",
	    lstat(p1, &st1) == 0 && lstat(p2, &st2) == 0 &&
		S_ISREG(st2.st_mode) && st1.st_ino == st2.st_ino &&
		st1.st_nlink == 2);
	got = slurp(p2);
	TEST("hardlink to a file: content",
	    got != NULL && strcmp(got, "data") == 0);
	free(got);
	TEST("hardlink to a file: deeper link to a top file",
	    lstat(p3, &st3) == 0 && S_ISREG(st3.st_mode) && st3.st_nlink == 2);
	free(p1);
	free(p2);
	free(p3);
	discard(arc, dest);
}

/* Archives of the wrong kind: another format, other filters, noise, cut. */
static void
test_formats(void)
{
	const struct tar_ent ents[] = {F("a", "hello"), F("b", "world")};
	char *arc = tpath("other"), *dest = tpath("dest"), buf[2048];
	struct {
		const char *what;
		int format, filter;
	} bad[] = {
	    {"zip", ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE},
	    {"cpio", ARCHIVE_FORMAT_CPIO_POSIX, ARCHIVE_FILTER_GZIP},
	    {"7zip", ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE},
	    {"tar.bz2", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
		ARCHIVE_FILTER_BZIP2},
	    {"tar.lz4", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_LZ4},
	};
	size_t i;
	int fd;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tar_write(arc, bad[i].format, bad[i].filter, ents, 2);
		e.msg[0] = '\0';
		int rc = unpack_file(arc, dest, NULL);
		snprintf(buf, sizeof buf,
		    "%s refused as not a tar archive (%s)", bad[i].what, e.msg);
		TEST(buf,
		    rc == -1 && strstr(e.msg, "not a tar archive") != NULL &&
			!fs_exists(dest));
	}

	/* Random bytes. */
	{
		unsigned char noise[65536];
		srand(42);
		for (i = 0; i < sizeof noise; i++)
			noise[i] = (unsigned char)rand();
		fs_write_file_atomic(arc, noise, sizeof noise, 0644, &e);
		e.msg[0] = '\0';
		TEST("random bytes refused",
		    unpack_file(arc, dest, NULL) == -1 &&
			strstr(e.msg, "not a tar archive") != NULL &&
			!fs_exists(dest));
	}
	/* Empty input. */
	fs_write_file_atomic(arc, "", 0, 0644, &e);
	e.msg[0] = '\0';
	TEST("empty input refused",
	    unpack_file(arc, dest, NULL) == -1 && !fs_exists(dest));

	/* Truncated in the middle of a file's data, in each compression. */
	{
		const struct tar_ent big[] = {F("first", "ok"),
		    {"data/blob", AE_IFREG, 0644, NULL, 300000, NULL}};
		int filters[] = {ARCHIVE_FILTER_NONE, ARCHIVE_FILTER_GZIP,
		    ARCHIVE_FILTER_XZ, ARCHIVE_FILTER_ZSTD};
		const char *names[] = {"tar", "tar.gz", "tar.xz", "tar.zst"};
		struct stat st;
		for (i = 0; i < 4; i++) {
			/* Random-ish content so compression keeps it long. */
			char *blob = malloc(300001);
			for (long k = 0; k < 300000; k++)
				blob[k] = (char)('a' +
				    (k * 7919 + k / 13) % 26 + (rand() % 3));
			blob[300000] = '\0';
			struct tar_ent b2[2] = {big[0], big[1]};
			b2[1].data = blob;
			tar_write(arc, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
			    filters[i], b2, 2);
			free(blob);
			stat(arc, &st);
			if (truncate(arc, st.st_size / 2) != 0)
				continue;
			e.msg[0] = '\0';
			int rc = unpack_file(arc, dest, NULL);
			snprintf(buf, sizeof buf, "truncated %s refused (%s)",
			    names[i], e.msg);
			TEST(buf, rc == -1 && !fs_exists(dest));
			snprintf(buf, sizeof buf,
			    "truncated %s: message names the entry", names[i]);
			TEST(buf, strstr(e.msg, "'data/blob'") != NULL);
		}
	}
	/* Garbage where the next header should be. */
	{
		const struct tar_ent two[] = {F("one", "1")};
		struct stat st;
		tar_write(arc, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
		    ARCHIVE_FILTER_NONE, two, 1);
		stat(arc, &st);
		fd = open(arc, O_WRONLY);
		/* Overwrite the end-of-archive blocks with non-zero junk. */
		char junk[1024];
		memset(junk, 'J', sizeof junk);
		pwrite(fd, junk, sizeof junk, 1024);
		close(fd);
		e.msg[0] = '\0';
		int rc = unpack_file(arc, dest, NULL);
		snprintf(buf, sizeof buf, "damaged header refused (%s)", e.msg);
		TEST(buf,
		    rc == -1 && !fs_exists(dest) &&
			strstr(e.msg, "'one'") != NULL);
	}
	unlink(arc);
	free(arc);
	free(dest);
}

static void
test_setuid(void)
{
	const struct tar_ent ents[] = {
	    {"bin/suid", AE_IFREG, 04755, "x", -1, NULL},
	    {"bin/sgid", AE_IFREG, 02711, "x", -1, NULL},
	    {"dir", AE_IFDIR, 02555, NULL, 0, NULL},
	    {"tmp", AE_IFDIR, 01777, NULL, 0, NULL},
	};
	/* The mode each entry gets. */
	static const struct {
		const char *descr, *path;
		mode_t mode;
	} want[] = {
	    {"setuid bit dropped", "bin/suid", 0755},
	    {"setgid bit dropped", "bin/sgid", 0711},
	    {"setgid directory: bit dropped, owner rwx kept", "dir", 0755},
	    {"sticky bit kept", "tmp", 01777},
	};
	char *arc = tpath("suid.tar.gz"), *dest = tpath("suid");
	struct stat st;

	tar_write(arc, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP,
	    ents, 4);
	TEST("setuid archive extracts", unpack_file(arc, dest, NULL) == 0);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		TEST(want[i].descr,
		    stat(at(dest, want[i].path), &st) == 0 &&
			(st.st_mode & 07777) == want[i].mode);
	discard(arc, dest);
}

/* A real Mono tree packed by GNU tar (GNU long names, ~150 relative
 * symlinks), when Debian's Mono is installed. */
static void
test_mono_tree(void)
{
	char *arc = tpath("mono.tar.gz"), *dest = tpath("mono");
	const char *tar[] = {"tar", "--format=gnu", "-czf", arc, "-C",
	    "/usr/lib", "mono/4.5", "mono/xbuild", NULL};
	const char *find[] = {"find", "/usr/lib/mono/4.5",
	    "/usr/lib/mono/xbuild", "-type", "l", NULL};
	size_t listsize = 1 << 20;
	char *list = malloc(listsize), *line, *next, buf[2048];
	struct timespec t0, t1;
	bool all = true;
	int rc, links = 0;

	if (!fs_is_dir("/usr/lib/mono/4.5") ||
	    !fs_is_dir("/usr/lib/mono/xbuild")) {
		printf("# skipped: no /usr/lib/mono\n");
		free(list);
		free(arc);
		free(dest);
		return;
	}
	TEST("GNU tar packs the Mono tree", run(NULL, tar, NULL, 0) == 0);
	e.msg[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = unpack_file(arc, dest, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	snprintf(buf, sizeof buf, "Mono tree extracts (%s) in %.2f s", e.msg,
	    (double)(t1.tv_sec - t0.tv_sec) +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	TEST(buf, rc == 0);
	/* Every symlink is there and resolves to the same file as in the
	 * original (the targets all point into the extracted tree, except
	 * those into gac, which we did not pack). */
	if (run(NULL, find, list, listsize) != 0)
		list[0] = '\0';
	for (line = list; *line != '\0'; line = next) {
		char orig[4096], got[4096];
		ssize_t n1, n2;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		n1 = readlink(line, orig, sizeof orig);
		n2 = readlink(at(dest, line + strlen("/usr/lib/")), got,
		    sizeof got);
		if (n1 < 0 || n1 != n2 || memcmp(orig, got, (size_t)n1))
			all = false;
		links++;
	}
	snprintf(buf, sizeof buf, "all %d Mono symlinks extracted identically",
	    links);
	TEST(buf, links > 100 && all);
	TEST("xbuild.exe extracted",
	    fs_exists(at(dest, "mono/xbuild/14.0/bin/xbuild.exe")));
	free(list);
	discard(arc, dest);
}

/* An unpack_source over a file descriptor in pieces of at most step
 * bytes; after the reader has had at_bytes, it calls then(then_arg) once. */
struct fdsrc {
	int fd;
	size_t step;
	uint64_t done, at_bytes;
	void (*then)(void *);
	void *then_arg;
	unsigned char buf[64 << 10];
};

static ssize_t
fdsrc_read(void *arg, const void **out, struct errbuf *err)
{
	struct fdsrc *f = arg;
	ssize_t n;

	if (f->then != NULL && f->done >= f->at_bytes) {
		f->then(f->then_arg);
		f->then = NULL;
	}
	n = read(f->fd, f->buf,
	    f->step < sizeof f->buf ? f->step : sizeof f->buf);
	if (n < 0)
		return errf(err, "read:");
	f->done += (uint64_t)n;
	*out = f->buf;
	return n;
}

static int
unpack_src(const char *file, const char *dest, struct fdsrc *f,
    struct unpack_sum *sum)
{
	struct unpack_source src = {fdsrc_read, NULL, f};
	int rc, saved;

	if ((f->fd = open(file, O_RDONLY)) == -1)
		return errf(&e, "open %s:", file);
	rc = unpack_from_sum(&src, dest, NULL, sum, &e);
	saved = errno;
	close(f->fd);
	errno = saved;
	return rc;
}

/* The sum unpack returns is the one read back from the tree: hard links,
 * a name written twice, a file replaced by a directory, empty files. */
static void
test_sum(void)
{
	const struct tar_ent ents[] = {
	    D("bin"),
	    {"bin/mono", AE_IFREG, 0755, NULL, 300000, NULL},
	    H("bin/mono-sgen", "bin/mono"),
	    F("lib/a.dll", "first"),
	    F("lib/a.dll", "second, longer"),
	    F("x", "a file, then a directory's name"),
	    F("x/y", "under x"),
	    {"empty", AE_IFREG, 0644, "", -1, NULL},
	    L("lib/b.dll", "a.dll"),
	};
	char *arc = tpath("sum.tar"), *dest = tpath("sum");
	struct fdsrc *f = calloc(1, sizeof *f);
	struct unpack_sum sum;
	struct treesum disk;
	int rc;

	TEST("sum: archive built",
	    tar_write(arc, ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_NONE, ents,
		sizeof ents / sizeof ents[0]) == 0);
	f->step = 4096;
	rc = unpack_src(arc, dest, f, &sum);
	TEST("sum: extracted", rc == 0);
	TEST("sum: exact", sum.exact);
	TEST("sum: the tree read back has the same sum",
	    treesum_tree(dest, &disk, &e) == 0 && disk.files == sum.t.files &&
		disk.bytes == sum.t.bytes && disk.sizes == sum.t.sizes &&
		disk.content == sum.t.content);
	TEST("sum: counts what is on disk (5 files, the link included)",
	    sum.t.files == 5 && sum.t.bytes == 2 * 300000 + 14 + 7);
	/* One byte changed on disk changes the content sum, not the sizes. */
	{
		int fd = open(at(dest, "bin/mono"), O_WRONLY);
		TEST("sum: a byte changed",
		    fd != -1 && pwrite(fd, "Z", 1, 1234) == 1);
		if (fd != -1)
			close(fd);
	}
	TEST("sum: a changed byte changes the content sum only",
	    treesum_tree(dest, &disk, &e) == 0 && disk.sizes == sum.t.sizes &&
		disk.content != sum.t.content);
	discard(arc, dest);
	free(f);
}

/* The content hash does not depend on where its input was cut. */
static void
test_hash_pieces(void)
{
	static unsigned char data[1000];
	struct treesum_hash h;
	uint64_t whole, cut;
	bool same = true;

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	treesum_hash_init(&h);
	treesum_hash_update(&h, data, sizeof data);
	whole = treesum_hash_final(&h);
	for (size_t step = 1; step < 70; step++) {
		treesum_hash_init(&h);
		for (size_t o = 0; o < sizeof data; o += step)
			treesum_hash_update(&h, data + o,
			    sizeof data - o < step ? sizeof data - o : step);
		cut = treesum_hash_final(&h);
		same = same && cut == whole;
	}
	TEST("hash: the same in pieces of any size", same);
	treesum_hash_init(&h);
	treesum_hash_update(&h, data, sizeof data - 1);
	TEST("hash: one byte less differs", treesum_hash_final(&h) != whole);
	data[500] ^= 1;
	treesum_hash_init(&h);
	treesum_hash_update(&h, data, sizeof data);
	TEST("hash: one bit flipped differs", treesum_hash_final(&h) != whole);
}

static void
remove_file(void *arg)
{
	unlink(arg);
}

/* A full disk fails the unpack, naming the entry, the path and the errno,
 * and leaves nothing: before, write_disk's "Write failed" was a warning and
 * the file was extended to its size with zeros. */
static void
test_disk_full(void)
{
	const struct tar_ent big[] = {
	    F("small", "fits"),
	    {"lib/big.dll", AE_IFREG, 0644, tar_noise, 2 << 20, NULL},
	};
	const struct tar_ent three[] = {
	    {"a.dll", AE_IFREG, 0644, tar_noise, 256 << 10, NULL},
	    {"b.dll", AE_IFREG, 0644, tar_noise, 16 << 10, NULL},
	    {"c.dll", AE_IFREG, 0644, tar_noise, 16 << 10, NULL},
	};
	char *mnt = tpath("small-fs"), *arc = tpath("big.tar");
	char *dest = NULL, *filler = NULL;
	struct fdsrc *f = calloc(1, sizeof *f);
	int rc, err;

	TEST("disk full: a 1 MiB tmpfs (we run as root)",
	    tmpfs_mount(mnt, 1 << 20) == 0);
	dest = fs_join(mnt, "dest");
	filler = fs_join(mnt, "filler");
	TEST("disk full: archive built",
	    tar_write(arc, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
		ARCHIVE_FILTER_NONE, big, 2) == 0);
	e.msg[0] = '\0';
	rc = unpack_file(arc, dest, NULL);
	err = errno;
	TEST("disk full: the unpack fails", rc == -1);
	TEST("disk full: errno says the disk is full", err == ENOSPC);
	printf("# %s\n", e.msg);
	TEST("disk full: the message names the entry, the path and the error",
	    strstr(e.msg, "'lib/big.dll'") != NULL &&
		strstr(e.msg, mnt) != NULL &&
		strstr(e.msg, "No space left on device") != NULL);
	TEST("disk full: nothing left behind",
	    !fs_exists(dest) && fs_free(mnt) > (900 << 10));

	/* Space that comes back in the middle: the filler is removed once
	 * the reader is well into a.dll, whose writes fail from ~64 KiB on.
	 * The later writes would succeed, and a.dll would be whole in size
	 * with zeros in the middle: before, the unpack went on and succeeded
	 * so.  Now it stops at the first failed write (so the reader may not
	 * get as far as removing the filler). */
	TEST("space back: archive built",
	    tar_write(arc, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
		ARCHIVE_FILTER_NONE, three, 3) == 0);
	TEST("space back: the tmpfs filled to 64 KiB free",
	    fill_fs(filler, 64 << 10) == 0 && fs_free(mnt) <= (64 << 10));
	memset(f, 0, sizeof *f);
	f->step = 16 << 10;
	f->at_bytes = 96 << 10;
	f->then = remove_file;
	f->then_arg = filler;
	e.msg[0] = '\0';
	rc = unpack_src(arc, dest, f, NULL);
	err = errno;
	TEST("space back: the unpack fails, on a.dll",
	    rc == -1 && err == ENOSPC && strstr(e.msg, "'a.dll'") != NULL);
	TEST("space back: nothing left behind", !fs_exists(dest));
	unlink(filler);

	tmpfs_umount(mnt);
	unlink(arc);
	free(f);
	free(filler);
	free(dest);
	free(arc);
	free(mnt);
}

int
main(void)
{
	struct unpack_limits l;

	if (tmp_init("test_unpack") == -1)
		return 1;
	unpack_limits_init(&l);
	TEST("default limits",
	    l.max_bytes == 4ULL << 30 && l.max_entries == 200000 &&
		l.max_ratio == 200);
	test_policy();
	test_roundtrip(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP,
	    "pax + gzip");
	test_roundtrip(ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_GZIP,
	    "GNU tar + gzip");
	test_roundtrip(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_XZ,
	    "pax + xz");
	test_roundtrip(ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_ZSTD,
	    "GNU tar + zstd");
	test_roundtrip(ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_NONE,
	    "GNU tar uncompressed");
	test_callbacks();
	test_setuid();
	test_hostile();
	test_symlink_tracking();
	test_hardlink_file();
	test_formats();
	test_mono_tree();
	test_hash_pieces();
	test_sum();
	test_disk_full();
	TEST("nothing left in the test directory", count_dir(tmpdir) == 0);
	if (count_dir(tmpdir) != 0) {
		const char *ls[] = {"ls", "-la", NULL};
		char out[16384];

		if (run(NULL, ls, out, sizeof out) == 0)
			printf("# %s\n", out);
	}
	tmp_done();
	return test_report();
}
