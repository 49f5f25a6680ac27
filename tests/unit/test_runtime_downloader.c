/* Unit tests for runtime/downloader: loading the real slugc-install.so (the
 * path comes from the Makefile as DOWNLOADER_SO_PATH), calling through its table,
 * the errors for what is not it, and the lookup beside the running
 * executable (a copy of this program, run as a child).  Also: the
 * buildpack's compile (COMPILE_PATH) links neither libcurl nor libarchive,
 * which is what the shared object is for. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "digest.h"
#include "fsutil.h"
#include "runtime/downloader.h"
#include "spawn.h"
#include "testhelp.h"
#include "testtar.h"

#ifndef DOWNLOADER_SO_PATH
#error "DOWNLOADER_SO_PATH: the Makefile defines it"
#endif
#ifndef COMPILE_PATH
#error "COMPILE_PATH: the Makefile defines it"
#endif

/* A .tar.gz with bin/mono and a symlink; its sha256 into sha. */
static int
mk_tarball(const char *file, char sha[DIGEST_HEX_SIZE])
{
	static const struct tar_ent ents[] = {
	    {"bin", AE_IFDIR, 0755, NULL, 0, NULL},
	    {"bin/mono", AE_IFREG, 0755, "mono!\n", 0, NULL},
	    {"bin/mono-sgen", AE_IFLNK, 0777, NULL, 0, "mono"},
	};

	return tgz_write(file, ents, sizeof ents / sizeof ents[0], sha);
}

struct lines {
	char buf[8192];
	size_t len;
};

static void
collect(void *arg, int fd, const char *line, size_t len, bool complete)
{
	struct lines *l = arg;

	(void)fd;
	(void)complete;
	if (l->len + len + 2 < sizeof l->buf) {
		memcpy(l->buf + l->len, line, len);
		l->len += len;
		l->buf[l->len++] = '\n';
		l->buf[l->len] = '\0';
	}
}

/* Runs argv, its output into out; returns its exit status. */
static int
run(const char *const *argv, struct lines *out)
{
	struct spawn s = SPAWN_INIT;
	struct errbuf e;

	out->len = 0;
	out->buf[0] = '\0';
	s.argv = argv;
	s.on_line = collect;
	s.arg = out;
	return spawn_run(&s, &e);
}

/* The child of the lookup test: runs as a copy of this program placed
 * beside a copy of the shared object, which it must find on its own. */
static int
child_default(const char *want)
{
	struct errbuf e = {""};
	struct runtime_downloader_so *so = runtime_downloader_open(NULL, &e);
	int rc;

	if (so == NULL) {
		printf("child: %s\n", e.msg);
		return 1;
	}
	rc = strcmp(runtime_downloader_path(so), want) == 0 &&
		runtime_downloader_table(so) != &runtime_downloader_linked
	    ? 0
	    : 2;
	runtime_downloader_close(so);
	return rc;
}

static void
test_loaded(const char *tmp)
{
	struct errbuf e = {""};
	struct runtime_downloader_so *so =
	    runtime_downloader_open(DOWNLOADER_SO_PATH, &e);
	const struct runtime_downloader *t;
	struct fetch_opts mine, theirs;
	char sha[DIGEST_HEX_SIZE], *tarball = fs_join(tmp, "rt.tar.gz");
	char *url = NULL, *dest = fs_join(tmp, "rt"), *shown;

	TEST("load " DOWNLOADER_SO_PATH, so != NULL);
	if (so == NULL) {
		printf("# %s\n", e.msg);
		goto out;
	}
	t = runtime_downloader_table(so);
	TEST("its table is its own, not this program's",
	    t != NULL && t != &runtime_downloader_linked &&
		t->download != runtime_downloader_linked.download);
	TEST("runtime_downloader_path names it",
	    strcmp(runtime_downloader_path(so), DOWNLOADER_SO_PATH) == 0);
	runtime_downloader_linked.opts_init(&mine);
	t->opts_init(&theirs);
	TEST("its fetch defaults are this program's",
	    memcmp(&mine, &theirs, sizeof mine) == 0);
	shown = t->redact_url("https://user:hunter22@example.com/rt.tar.gz?"
			      "X-Amz-Signature=abcdef123");
	TEST("its URL redaction removes credentials",
	    shown != NULL && strstr(shown, "hunter22") == NULL &&
		strstr(shown, "abcdef123") == NULL &&
		strstr(shown, "example.com/rt.tar.gz") != NULL);
	free(shown);

	TEST("make a tarball", mk_tarball(tarball, sha) == 0);
	if (asprintf(&url, "file://%s", tarball) < 0)
		url = NULL;
	theirs.url = url;
	TEST("it installs a file:// tarball",
	    t->download(&theirs, sha, dest, NULL, NULL, &e) == 0 &&
		fs_exists(dest) && fs_is_dir(dest));
	{
		char *mono = fs_join(dest, "bin/mono"), *p;
		size_t len;
		p = fs_read_file(mono, 64, &len, NULL);
		TEST("what it installed is the tarball's",
		    p != NULL && len == 6 && memcmp(p, "mono!\n", 6) == 0);
		free(p);
		free(mono);
	}
	fs_rm_rf(dest, NULL);
	sha[0] = sha[0] == '0' ? '1' : '0';
	TEST("a wrong sha256 fails through it, naming the URL, nothing left",
	    t->download(&theirs, sha, dest, NULL, NULL, &e) == -1 &&
		strstr(e.msg, tarball) != NULL && !fs_exists(dest));
out:
	runtime_downloader_close(so);
	free(url);
	free(tarball);
	free(dest);
}

static void
test_refused(const char *tmp)
{
	struct errbuf e = {""};
	char *p = fs_join(tmp, "missing.so");
	struct runtime_downloader_so *so = runtime_downloader_open(p, &e);

	TEST("a missing shared object fails, naming its path",
	    so == NULL && strncmp(e.msg, "load ", 5) == 0 &&
		strstr(e.msg, p) != NULL &&
		strstr(e.msg, "No such file") != NULL);
	free(p);

	p = fs_join(tmp, "text.so");
	fs_write_file_atomic(p, "not an ELF file\n", 16, 0644, NULL);
	so = runtime_downloader_open(p, &e);
	TEST("a file that is no shared object fails, naming its path",
	    so == NULL && strstr(e.msg, p) != NULL);
	free(p);

	/* A real shared object without the table: one this program loaded
	 * anyway, found from one of its symbols. */
	{
		char lib[PATH_MAX] = "";
		FILE *f = fopen("/proc/self/maps", "r");
		char line[PATH_MAX + 128];

		while (f != NULL && fgets(line, sizeof line, f) != NULL) {
			char *s = strchr(line, '/');
			if (s != NULL && strstr(s, "/libcurl") != NULL) {
				s[strcspn(s, "\n")] = '\0';
				snprintf(lib, sizeof lib, "%s", s);
				break;
			}
		}
		if (f != NULL)
			fclose(f);
		TEST("found libcurl's path in /proc/self/maps", lib[0] == '/');
		so = runtime_downloader_open(lib, &e);
		TEST("a shared object without the table fails, naming it",
		    so == NULL && strstr(e.msg, lib) != NULL &&
			strstr(e.msg, "runtime_downloader_linked") != NULL);
	}

	/* Built from other sources: the layouts differ. */
	{
		char *src = fs_join(tmp, "other.c"),
		     *so_path = fs_join(tmp, "other.so");
		static const char text[] =
		    "#include <stddef.h>\n"
		    "const size_t runtime_downloader_linked[9] = { 1, 2, 3, 4 "
		    "};\n";
		const char *cc[] = {"cc", "-shared", "-fPIC", "-o", so_path,
		    src, NULL};
		struct lines out;

		fs_write_file_atomic(src, text, sizeof text - 1, 0644, NULL);
		TEST("build a stranger's shared object", run(cc, &out) == 0);
		so = runtime_downloader_open(so_path, &e);
		TEST("a table of other layouts is refused, naming the path",
		    so == NULL && strstr(e.msg, so_path) != NULL &&
			strstr(e.msg, "other sources") != NULL);
		free(src);
		free(so_path);
	}
	runtime_downloader_close(NULL);
}

static void
test_beside_exe(const char *tmp)
{
	struct errbuf e = {""};
	char exe[PATH_MAX], want[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	struct runtime_downloader_so *so;
	struct lines out;

	TEST("readlink /proc/self/exe", n > 0);
	if (n <= 0)
		return;
	exe[n] = '\0';
	snprintf(want, sizeof want, "%.*s/" RUNTIME_DOWNLOADER_SO,
	    (int)(strrchr(exe, '/') - exe), exe);
	/* None beside the test binaries: the error names where it looked. */
	if (!fs_exists(want)) {
		so = runtime_downloader_open(NULL, &e);
		TEST("by default it looks beside the executable, and says so",
		    so == NULL && strstr(e.msg, want) != NULL);
	}

	/* A copy of this program beside a copy of the shared object finds
	 * it, from whatever working directory. */
	{
		char *dir = fs_join(tmp, "bp"),
		     *bin = fs_join(dir, "test_runtime_downloader");
		char *lib = fs_join(dir, RUNTIME_DOWNLOADER_SO);
		const char *cp1[] = {"cp", exe, bin, NULL};
		const char *cp2[] = {"cp", DOWNLOADER_SO_PATH, lib, NULL};
		const char *child[] = {bin, "--child-default", lib, NULL};

		fs_mkdir_p(dir, 0755, NULL);
		TEST("copy this program and the shared object",
		    run(cp1, &out) == 0 && run(cp2, &out) == 0);
		TEST("the copy loads the shared object beside it",
		    run(child, &out) == 0);
		if (out.len > 0)
			printf("# %s", out.buf);
		free(dir);
		free(bin);
		free(lib);
	}
}

/* What the shared object is for: compile starts without libcurl and
 * libarchive (and libcrypto). */
static void
test_compile_links(void)
{
	const char *ldd[] = {"ldd", COMPILE_PATH, NULL};
	struct lines out;

	TEST("ldd compile", run(ldd, &out) == 0 && strstr(out.buf, "libc.so"));
	TEST("compile links neither libcurl nor libarchive nor libcrypto",
	    strstr(out.buf, "libcurl") == NULL &&
		strstr(out.buf, "libarchive") == NULL &&
		strstr(out.buf, "libcrypto") == NULL);
	if (strstr(out.buf, "libcurl") != NULL)
		printf("# %s", out.buf);
}

int
main(int argc, char **argv)
{
	struct errbuf e = {""};
	char *tmp;

	if (argc == 3 && strcmp(argv[1], "--child-default") == 0)
		return child_default(argv[2]);
	if ((tmp = fs_mkdtemp("/tmp", "test_runtime_downloader.", &e)) ==
	    NULL) {
		printf("%s\n", e.msg);
		return 1;
	}
	test_loaded(tmp);
	test_refused(tmp);
	test_beside_exe(tmp);
	test_compile_links();
	fs_rm_rf(tmp, NULL);
	free(tmp);
	return test_report();
}
