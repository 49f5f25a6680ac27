/* Unit tests for fsutil: real files in a fresh temporary directory. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "testhelp.h"

static char *
path(const char *root, const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", root, rel);
	return buf[i];
}

static void
test_join(void)
{
	char *p;

	p = fs_join("a", "b");
	TEST("join adds one slash", strcmp(p, "a/b") == 0);
	free(p);
	p = fs_join("a/", "/b");
	TEST("join drops doubled slashes", strcmp(p, "a/b") == 0);
	free(p);
	p = fs_join("/", "b");
	TEST("join keeps the root", strcmp(p, "/b") == 0);
	free(p);
}

static void
test_mkdir_rm(const char *root)
{
	struct errbuf e = {""};
	struct stat st;

	TEST("mkdir_p creates parents",
	    fs_mkdir_p(path(root, "x/y/z"), 0755, &e) == 0 &&
		fs_is_dir(path(root, "x/y/z")));
	TEST("mkdir_p on an existing dir succeeds",
	    fs_mkdir_p(path(root, "x/y"), 0755, &e) == 0);
	TEST("write_file_atomic writes",
	    fs_write_file_atomic(path(root, "x/file"), "hi\n", 3, 0640, &e) ==
		0);
	TEST("write_file_atomic sets the mode",
	    stat(path(root, "x/file"), &st) == 0 &&
		(st.st_mode & 0777) == 0640);
	TEST("mkdir_p over a file fails",
	    fs_mkdir_p(path(root, "x/file/sub"), 0755, &e) == -1);
	TEST("mkdir_p error names the path", strstr(e.msg, "x/file") != NULL);
	TEST("symlink made", symlink(root, path(root, "x/y/up")) == 0);
	TEST("rm_rf removes a tree",
	    fs_rm_rf(path(root, "x"), &e) == 0 && !fs_exists(path(root, "x")));
	TEST("rm_rf did not follow the symlink out", fs_is_dir(root));
	TEST("rm_rf on a missing path succeeds",
	    fs_rm_rf(path(root, "nope"), &e) == 0);
}

static void
test_read(const char *root)
{
	struct errbuf e = {""};
	size_t len = 0;
	char *buf;

	fs_write_file_atomic(path(root, "r"), "abc\0def", 7, 0644, &e);
	buf = fs_read_file(path(root, "r"), 100, &len, &e);
	TEST("read_file returns all bytes",
	    buf != NULL && len == 7 && memcmp(buf, "abc\0def", 7) == 0 &&
		buf[7] == '\0');
	free(buf);
	buf = fs_read_file(path(root, "r"), 6, &len, &e);
	TEST("read_file refuses files over max", buf == NULL);
	TEST("read_file size error names the file",
	    strstr(e.msg, "/r") != NULL);
	errno = 0;
	buf = fs_read_file(path(root, "missing"), 6, &len, &e);
	TEST("read_file of a missing file sets ENOENT",
	    buf == NULL && errno == ENOENT);
	buf = fs_read_file(root, 6, &len, &e);
	TEST("read_file refuses a directory", buf == NULL);
}

static void
test_copy(const char *root)
{
	struct errbuf e = {""};
	struct stat a, b;
	char target[64];
	ssize_t n;

	fs_mkdir_p(path(root, "src/d"), 0755, &e);
	fs_write_file_atomic(path(root, "src/d/f"), "data", 4, 0750, &e);
	symlink("d/f", path(root, "src/link"));
	TEST("copy_tree copies",
	    fs_copy_tree(path(root, "src"), path(root, "dst"), false, &e) == 0);
	TEST("copy keeps mode",
	    stat(path(root, "dst/d/f"), &b) == 0 && (b.st_mode & 0777) == 0750);
	stat(path(root, "src/d/f"), &a);
	TEST("copy is a different inode", a.st_ino != b.st_ino);
	TEST("copy keeps mtime", a.st_mtim.tv_sec == b.st_mtim.tv_sec);
	n = readlink(path(root, "dst/link"), target, sizeof target - 1);
	TEST("copy keeps symlinks as symlinks",
	    n == 3 && memcmp(target, "d/f", 3) == 0);
	TEST("copy onto an existing dst fails",
	    fs_copy_tree(path(root, "src"), path(root, "dst"), false, &e) ==
		-1);
	TEST("hardlink copy",
	    fs_copy_tree(path(root, "src"), path(root, "hl"), true, &e) == 0);
	TEST("hardlink copy shares the inode",
	    stat(path(root, "hl/d/f"), &b) == 0 && a.st_ino == b.st_ino);
	TEST("copy of a missing tree fails and leaves nothing",
	    fs_copy_tree(path(root, "nope"), path(root, "dst2"), false, &e) ==
		    -1 &&
		!fs_exists(path(root, "dst2")));
}

static void
test_beneath_and_fifo(const char *root)
{
	struct errbuf e = {""};
	size_t len;

	fs_mkdir_p(path(root, "app/real"), 0755, &e);
	TEST("symlink out made", symlink("/", path(root, "app/vendor")) == 0);
	TEST("a missing path is beneath",
	    fs_check_beneath(path(root, "app"), ".profile.d/mono.sh", &e) == 0);
	TEST("a real directory is beneath",
	    fs_check_beneath(path(root, "app"), "real/x", &e) == 0);
	TEST("a symlinked component is refused and named",
	    fs_check_beneath(path(root, "app"), "vendor/mono", &e) == -1 &&
		strstr(e.msg, "vendor is a symlink") != NULL);
	TEST("a symlink as the last component is refused",
	    fs_check_beneath(path(root, "app"), "vendor", &e) == -1);
	TEST("fifo made", mkfifo(path(root, "fifo"), 0644) == 0);
	TEST("reading a FIFO fails at once instead of waiting for a writer",
	    fs_read_file(path(root, "fifo"), 100, &len, &e) == NULL &&
		strstr(e.msg, "not a regular file") != NULL);
}

static void
collect_warn(void *arg, const char *msg)
{
	char *buf = arg;

	strncat(buf, msg, 1000 - strlen(buf) - 2);
	strcat(buf, "|");
}

/* An app's FIFO is left out of its copy, named; a strict copy refuses. */
static void
test_copy_app(const char *root)
{
	struct errbuf e = {""};
	char warns[1000] = "";

	fs_mkdir_p(path(root, "fapp/sub"), 0755, &e);
	fs_write_file_atomic(path(root, "fapp/keep"), "k", 1, 0644, &e);
	TEST("app fifo made", mkfifo(path(root, "fapp/sub/pipe"), 0644) == 0);
	TEST("copy_tree refuses a FIFO and leaves nothing",
	    fs_copy_tree(path(root, "fapp"), path(root, "fstrict"), false,
		&e) == -1 &&
		strstr(e.msg, "not a regular file") != NULL &&
		!fs_exists(path(root, "fstrict")));
	TEST("copy_app leaves the FIFO out",
	    fs_copy_app(path(root, "fapp"), path(root, "fcopy"), false,
		collect_warn, warns, &e) == 0 &&
		fs_exists(path(root, "fcopy/keep")) &&
		!fs_exists(path(root, "fcopy/sub/pipe")));
	TEST("copy_app names it, relative to the app",
	    strcmp(warns, "'sub/pipe' left out of the slug: FIFO refused|") ==
		0);
}

int
main(void)
{
	struct errbuf e = {""};
	char *root = fs_mkdtemp("/tmp", "test_fsutil.", &e);

	if (root == NULL) {
		printf("not ok - mkdtemp: %s\n", e.msg);
		return 1;
	}
	test_join();
	test_mkdir_rm(root);
	test_read(root);
	test_copy(root);
	test_copy_app(root);
	test_beneath_and_fifo(root);
	TEST("cleanup", fs_rm_rf(root, &e) == 0 && !fs_exists(root));
	free(root);
	return test_report();
}
