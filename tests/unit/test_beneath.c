/* Unit tests for beneath: real symlinks in a scratch app, every case run
 * through openat2 (beneath_open) and through the walk used without it
 * (beneath_open_walk), with the same expected outcome. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "testhelp.h"
#include "testtmp.h"

static char *app; /* tmpdir/app: the root */

/* How many fds this process has open: a walk must close all it opened. */
static int
nfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* Reads what fd holds (up to 255 bytes) and closes it. */
static char *
drain(int fd, char *buf, size_t size)
{
	ssize_t n = read(fd, buf, size - 1);

	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* One case: rel opened beneath the app must give text (want_errno 0) or
 * fail with want_errno, both with openat2 and with the walk. */
static void
check(const char *rel, const char *text, int want_errno)
{
	char descr[512], buf[256];
	struct errbuf e = {""};
	int fd, rootfd, err, before = nfds();

	fd = beneath_open(app, rel, O_RDONLY, &e);
	err = errno;
	snprintf(descr, sizeof descr, "openat2: %s -> %s", rel,
	    text != NULL ? text : strerror(want_errno));
	if (want_errno == 0)
		TEST(descr,
		    fd >= 0 && strcmp(drain(fd, buf, sizeof buf), text) == 0);
	else
		TEST(descr, fd == -1 && err == want_errno && e.msg[0] != '\0');

	if ((rootfd = open(app, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		abort();
	fd = beneath_open_walk(rootfd, rel, O_RDONLY);
	err = errno;
	close(rootfd);
	snprintf(descr, sizeof descr, "walk: %s -> %s", rel,
	    text != NULL ? text : strerror(want_errno));
	if (want_errno == 0)
		TEST(descr,
		    fd >= 0 && strcmp(drain(fd, buf, sizeof buf), text) == 0);
	else
		TEST(descr, fd == -1 && err == want_errno);
	snprintf(descr, sizeof descr, "no fd left open: %s", rel);
	TEST(descr, nfds() == before);
}

static void
fixtures(void)
{
	char *secret = tpath("outside/secret"), *outside = tpath("outside");

	put("outside/secret", "SECRET", 0644);
	put("app/Procfile", "TOP", 0644);
	put("app/config/Procfile", "CONFIG", 0644);
	put("app/sub/deep/file", "DEEP", 0644);
	put_link("app/abs", "/etc/passwd");
	put_link("app/abs_tmp", secret);
	put_link("app/dotdot", "../outside/secret");
	put_link("app/outdir", "../outside");
	put_link("app/outdir_abs", outside);
	put_link("app/inlink", "config/Procfile");
	put_link("app/sub/up", "../config/Procfile");
	put_link("app/sub/deep/up2", "../../Procfile");
	put_link("app/sub/deep/escape", "../../../outside/secret");
	put_link("app/chain1", "chain2");
	put_link("app/chain2", "config/../inlink");
	put_link("app/dirlink", "config");
	put_link("app/self", ".");
	put_link("app/procroot", "/proc/self/root/etc/passwd");
	put_link("app/procrel",
	    "../../../../../../../../../../proc/self/root/etc/passwd");
	put_link("app/loop1", "loop2");
	put_link("app/loop2", "loop1");
	put_link("app/dangling", "nowhere");
	put_link("app/updown", "sub/../../app/Procfile");
	free(secret);
	free(outside);
}

static void
test_cases(void)
{
	/* Plain files and links that stay inside work. */
	check("Procfile", "TOP", 0);
	check("config/Procfile", "CONFIG", 0);
	check("./config/../Procfile", "TOP", 0);
	check("config//Procfile", "CONFIG", 0);
	check("inlink", "CONFIG", 0);
	check("sub/up", "CONFIG", 0);
	check("sub/deep/up2", "TOP", 0);
	check("chain1", "CONFIG", 0);
	check("dirlink/Procfile", "CONFIG", 0);
	check("self/self/self/Procfile", "TOP", 0);
	check("dirlink/../Procfile", "TOP", 0);

	/* Links and paths out are refused, even when they would come back
	 * (updown leaves the app, then re-enters it by name). */
	check("abs", NULL, EXDEV);
	check("abs_tmp", NULL, EXDEV);
	check("dotdot", NULL, EXDEV);
	check("outdir/secret", NULL, EXDEV);
	check("outdir_abs/secret", NULL, EXDEV);
	check("sub/deep/escape", NULL, EXDEV);
	check("procroot", NULL, EXDEV);
	check("procrel", NULL, EXDEV);
	check("updown", NULL, EXDEV);
	check("../outside/secret", NULL, EXDEV);
	check("/etc/passwd", NULL, EXDEV);
	check("self/../../outside/secret", NULL, EXDEV);

	/* The usual errors keep their errno. */
	check("missing", NULL, ENOENT);
	check("dangling", NULL, ENOENT);
	check("config/missing/x", NULL, ENOENT);
	check("Procfile/x", NULL, ENOTDIR);
	check("loop1", NULL, ELOOP);
	check("", NULL, ENOENT);
}

static void
test_messages(void)
{
	struct errbuf e = {""};

	TEST("a link out: one line naming the file",
	    beneath_open(app, "abs", O_RDONLY, &e) == -1 &&
		strcmp(e.msg,
		    "abs: a symlink out of the app's directory, "
		    "refused") == 0);
	TEST("a path out is called a path",
	    beneath_open(app, "../outside/secret", O_RDONLY, &e) == -1 &&
		strcmp(e.msg,
		    "../outside/secret: a path out of the app's "
		    "directory, refused") == 0);
	TEST("a missing file: strerror",
	    beneath_open(app, "missing", O_RDONLY, &e) == -1 &&
		strcmp(e.msg, "missing: No such file or directory") == 0);
	TEST("a missing root names the root",
	    beneath_open("/nonexistent-root", "x", O_RDONLY, &e) == -1 &&
		strstr(e.msg, "/nonexistent-root: ") == e.msg);
}

/* /proc/self as the root: "root" and "cwd" are magic links.  openat2
 * refuses them (RESOLVE_NO_MAGICLINKS: ELOOP), the walk sees an absolute
 * target (EXDEV); neither may reach /etc/passwd. */
static void
test_magic_links(void)
{
	struct errbuf e = {""};
	int rootfd, fd;

	fd = beneath_open("/proc/self", "root/etc/passwd", O_RDONLY, &e);
	TEST("openat2: /proc/self/root is no way out",
	    fd == -1 && (errno == ELOOP || errno == EXDEV));
	if ((rootfd = open("/proc/self", O_PATH | O_DIRECTORY)) == -1)
		abort();
	fd = beneath_open_walk(rootfd, "root/etc/passwd", O_RDONLY);
	TEST("walk: /proc/self/root is no way out", fd == -1 && errno == EXDEV);
	fd = beneath_open_walk(rootfd, "cwd/x", O_RDONLY);
	TEST("walk: /proc/self/cwd is no way out", fd == -1 && errno == EXDEV);
	close(rootfd);
}

static void
test_read_file(void)
{
	struct errbuf e = {""};
	struct stat st;
	size_t len = 0;
	char *s, *fifo = tpath("app/fifo");

	s = beneath_read_file(app, "inlink", 100, &len, &e);
	TEST("read through a link inside",
	    s != NULL && strcmp(s, "CONFIG") == 0 && len == 6);
	free(s);
	s = beneath_read_file(app, "dotdot", 100, &len, &e);
	TEST("read through a link out: refused, EXDEV",
	    s == NULL && errno == EXDEV &&
		strcmp(e.msg,
		    "dotdot: a symlink out of the app's directory, "
		    "refused") == 0);
	s = beneath_read_file(app, "missing", 100, &len, &e);
	TEST("read a missing file: ENOENT", s == NULL && errno == ENOENT);
	s = beneath_read_file(app, "Procfile", 2, &len, &e);
	TEST("read a file over max: EFBIG naming it",
	    s == NULL && errno == EFBIG &&
		strstr(e.msg, "Procfile: larger than 2") != NULL);
	s = beneath_read_file(app, "config", 100, &len, &e);
	TEST("read a directory: refused", s == NULL && errno == EINVAL);
	if (mkfifo(fifo, 0644) == -1)
		abort();
	/* A FIFO without a writer would block an open for reading: the
	 * alarm turns a hang into a failure. */
	alarm(5);
	s = beneath_read_file(app, "fifo", 100, &len, &e);
	alarm(0);
	TEST("read a FIFO: refused without blocking",
	    s == NULL && errno == EINVAL &&
		strcmp(e.msg, "fifo: not a regular file") == 0);
	free(fifo);

	TEST("stat through a link inside",
	    beneath_stat(app, "dirlink", &st, &e) == 0 && S_ISDIR(st.st_mode));
	TEST("stat through a link out: refused",
	    beneath_stat(app, "outdir/secret", &st, &e) == -1 &&
		errno == EXDEV &&
		strcmp(e.msg,
		    "outdir/secret: a symlink out "
		    "of the app's directory, refused") == 0);
}

int
main(void)
{
	if (tmp_init("test_beneath") == -1)
		return 1;
	app = tpath("app");
	fixtures();
	test_cases();
	test_messages();
	test_magic_links();
	test_read_file();
	free(app);
	tmp_done();
	return test_report();
}
