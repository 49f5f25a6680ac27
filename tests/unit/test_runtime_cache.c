/* Unit tests for the runtime cache: keys, seals, damage detection, locking
 * between processes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "runtime/cache.h"
#include "testfs.h"
#include "testhelp.h"
#include "testmount.h"
#include "treesum.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA2 "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
fill(const char *dir)
{
	char *p;

	fs_mkdir_p(dir, 0755, NULL);
	p = fs_join(dir, "bin");
	fs_mkdir_p(p, 0755, NULL);
	free(p);
	p = fs_join(dir, "bin/mono");
	fs_write_file_atomic(p, "ELF...", 6, 0755, NULL);
	free(p);
}

/* A runtime-like entry: nested directories (one read-only), files, a
 * relative symlink, an empty directory, a hard link. */
static void
fill_tree(const char *dir)
{
	static const char *const dirs[] = {"bin", "lib", "lib/mono",
	    "lib/mono/4.5", "etc", "etc/empty", "ro", NULL};
	char *p;

	fs_mkdir_p(dir, 0755, NULL);
	for (int i = 0; dirs[i] != NULL; i++) {
		p = fs_join(dir, dirs[i]);
		fs_mkdir_p(p, 0755, NULL);
		free(p);
	}
	p = fs_join(dir, "bin/mono");
	fs_write_file_atomic(p, "ELF...", 6, 0755, NULL);
	free(p);
	p = fs_join(dir, "lib/mono/4.5/mscorlib.dll");
	fs_write_file_atomic(p, "MZ0123456789", 12, 0644, NULL);
	free(p);
	p = fs_join(dir, "ro/readme");
	fs_write_file_atomic(p, "read only\n", 10, 0444, NULL);
	free(p);
	p = fs_join(dir, "lib/libmono.so");
	if (symlink("mono/4.5/mscorlib.dll", p) == -1)
		perror(p);
	free(p);
	{
		char *a = fs_join(dir, "bin/mono"),
		     *b = fs_join(dir, "bin/mono-sgen");
		if (link(a, b) == -1)
			perror(b);
		free(a);
		free(b);
	}
	/* A read-only directory with an old mtime, placed last. */
	p = fs_join(dir, "ro");
	{
		struct timespec ts[2] = {{1500000000, 0}, {1500000000, 0}};
		utimensat(AT_FDCWD, p, ts, 0);
	}
	chmod(p, 0555);
	free(p);
}

/* runtime_cache_place: one pass that links the entry into place and checks it
 * against the seal. */
static void
test_place(const char *root)
{
	struct runtime_cache_entry c = RUNTIME_CACHE_ENTRY_INIT;
	struct errbuf e = {""}, why = {""};
	enum runtime_cache_state st = RUNTIME_CACHE_OK;
	struct stat s1, s2;
	char *cdir = fs_join(root, "place-cache");
	char *dest = NULL;
	char target[64];
	ssize_t n;

	TEST("place: open",
	    runtime_cache_open(&c, cdir, "mono", "heroku-22", "6.8", SHA, NULL,
		&e) == 0);
	dest = fs_join(root, "app/vendor/mono");
	fs_mkdir_p(at(root, "app/vendor"), 0755, NULL);

	TEST("place: a missing entry says so and places nothing",
	    runtime_cache_place(&c, SHA, dest, &st, &e) == 0 &&
		st == RUNTIME_CACHE_MISSING &&
		strcmp(e.msg, "not cached") == 0 && !fs_exists(dest));
	fill_tree(c.path);
	TEST("place: an unsealed entry is not placed",
	    runtime_cache_place(&c, SHA, dest, &st, &e) == 0 &&
		st == RUNTIME_CACHE_UNSEALED &&
		strstr(e.msg, "did not finish") != NULL && !fs_exists(dest));
	TEST("place: seal", runtime_cache_seal(&c, SHA, &e) == 0);
	TEST("place: another sha is damaged, nothing placed",
	    runtime_cache_place(&c, SHA2, dest, &st, &e) == 0 &&
		st == RUNTIME_CACHE_DAMAGED &&
		strstr(e.msg, "seal does not match") != NULL &&
		!fs_exists(dest));

	TEST("place: a sealed entry is placed",
	    runtime_cache_place(&c, SHA, dest, &st, &e) == 0 &&
		st == RUNTIME_CACHE_OK);
	TEST("place: files are hard links into the cache",
	    same_inode(at(c.path, "bin/mono"), at(dest, "bin/mono")) &&
		same_inode(at(c.path, "lib/mono/4.5/mscorlib.dll"),
		    at(dest, "lib/mono/4.5/mscorlib.dll")) &&
		same_inode(at(dest, "bin/mono"), at(dest, "bin/mono-sgen")));
	TEST("place: symlinks are linked as themselves",
	    same_inode(at(c.path, "lib/libmono.so"),
		at(dest, "lib/libmono.so")) &&
		(n = readlink(at(dest, "lib/libmono.so"), target,
		     sizeof target - 1)) > 0 &&
		(target[n] = '\0', 1) &&
		strcmp(target, "mono/4.5/mscorlib.dll") == 0 &&
		same_file(at(dest, "lib/libmono.so"),
		    at(c.path, "lib/mono/4.5/mscorlib.dll")));
	TEST("place: directories are new, with the entry's mode and mtime",
	    stat(at(c.path, "ro"), &s1) == 0 &&
		stat(at(dest, "ro"), &s2) == 0 && s1.st_ino != s2.st_ino &&
		(s2.st_mode & 07777) == 0555 &&
		s2.st_mtim.tv_sec == 1500000000 &&
		fs_is_dir(at(dest, "etc/empty")));
	TEST("place: the top directory keeps the entry's mode",
	    stat(dest, &s2) == 0 && (s2.st_mode & 07777) == 0755);
	TEST("place: an existing dest is refused and left alone",
	    runtime_cache_place(&c, SHA, dest, &st, &e) == -1 &&
		strstr(e.msg, dest) != NULL && fs_exists(at(dest, "bin/mono")));
	chmod(at(dest, "ro"), 0755);
	TEST("place: remove the placed tree", fs_rm_rf(dest, &e) == 0);

	/* A relative dest, resolved from the working directory. */
	{
		char cwd[4096];
		if (getcwd(cwd, sizeof cwd) != NULL &&
		    chdir(at(root, "app")) == 0) {
			TEST("place: a relative dest",
			    runtime_cache_place(&c, SHA, "mono", &st, &e) ==
				    0 &&
				st == RUNTIME_CACHE_OK &&
				fs_exists(at(root, "app/mono/bin/mono")));
			chmod("mono/ro", 0755);
			fs_rm_rf("mono", NULL);
			TEST("place: back to the old working directory",
			    chdir(cwd) == 0);
		}
	}

	/* dest in a parent that is no directory: nothing placed, an error
	 * naming it. */
	{
		char *f = fs_join(root, "plainfile"), *d = fs_join(f, "mono");
		fs_write_file_atomic(f, "", 0, 0644, NULL);
		TEST("place: an unwritable dest is an error, not damage",
		    runtime_cache_place(&c, SHA, d, &st, &e) == -1 &&
			strstr(e.msg, f) != NULL && fs_exists(f));
		free(f);
		free(d);
	}

	/* A file rewritten in place through the app's link, same size: the
	 * cache's copy changed with it (one inode), and the seal sees it. */
	{
		struct stat orig;
		struct timespec back[2];
		int fd;

		TEST("place: for an in-place edit",
		    runtime_cache_place(&c, SHA, dest, &st, &e) == 0 &&
			st == RUNTIME_CACHE_OK &&
			stat(at(c.path, "lib/mono/4.5/mscorlib.dll"), &orig) ==
			    0);
		fd = open(at(dest, "lib/mono/4.5/mscorlib.dll"), O_WRONLY);
		TEST("place: edited through the app's link",
		    fd >= 0 && pwrite(fd, "XY", 2, 0) == 2 && close(fd) == 0);
		TEST("place: a same-size edit in place is damage",
		    runtime_cache_check(&c, SHA, &why) ==
			    RUNTIME_CACHE_DAMAGED &&
			strstr(why.msg, "modified in place") != NULL);
		printf("# %s\n", why.msg);
		chmod(at(dest, "ro"), 0755);
		fs_rm_rf(dest, NULL);
		fs_write_file_atomic(at(c.path, "lib/mono/4.5/mscorlib.dll"),
		    "MZ0123456789", 12, 0644, NULL);
		back[0] = orig.st_atim;
		back[1] = orig.st_mtim;
		TEST("place: the same bytes and times again are intact",
		    utimensat(AT_FDCWD, at(c.path, "lib/mono/4.5/mscorlib.dll"),
			back, 0) == 0 &&
			runtime_cache_check(&c, SHA, &why) == RUNTIME_CACHE_OK);
	}

	/* Damage found halfway: whatever was placed is removed. */
	unlink(at(c.path, "lib/mono/4.5/mscorlib.dll"));
	TEST("place: a deleted file is damage, nothing left placed",
	    runtime_cache_place(&c, SHA, dest, &st, &e) == 0 &&
		st == RUNTIME_CACHE_DAMAGED &&
		strstr(e.msg, "files changed") != NULL && !fs_exists(dest) &&
		fs_is_dir(at(root, "app/vendor")));
	fs_write_file_atomic(at(c.path, "lib/mono/4.5/mscorlib.dll"),
	    "MZ0123456789", 12, 0644, NULL);
	TEST("place: restored with a new time, it is still damage",
	    runtime_cache_place(&c, SHA, dest, &st, &e) == 0 &&
		st == RUNTIME_CACHE_DAMAGED &&
		strstr(e.msg, "modified in place") != NULL && !fs_exists(dest));
	TEST("place: resealed, it places again",
	    runtime_cache_seal(&c, SHA, &e) == 0);
	TEST("place: restored, it places again",
	    runtime_cache_place(&c, SHA, dest, &st, &e) == 0 &&
		st == RUNTIME_CACHE_OK);
	chmod(at(dest, "ro"), 0755);
	fs_rm_rf(dest, NULL);
	fs_write_file_atomic(at(c.path, "lib/mono/4.5/mscorlib.dll"),
	    "MZ01234567890", 13, 0644, NULL);
	TEST("place: a file of another size is damage",
	    runtime_cache_place(&c, SHA, dest, &st, &e) == 0 &&
		st == RUNTIME_CACHE_DAMAGED &&
		strstr(e.msg, "files changed") != NULL && !fs_exists(dest));
	fs_write_file_atomic(at(c.path, "lib/mono/4.5/mscorlib.dll"),
	    "MZ0123456789", 12, 0644, NULL);
	TEST("place: resealed after the restore",
	    runtime_cache_seal(&c, SHA, &e) == 0);
	fs_write_file_atomic(at(c.path, "etc/extra"), "", 0, 0644, NULL);
	TEST("place: an extra entry is damage",
	    runtime_cache_place(&c, SHA, dest, &st, &e) == 0 &&
		st == RUNTIME_CACHE_DAMAGED && !fs_exists(dest));
	unlink(at(c.path, "etc/extra"));
	if (geteuid() != 0) {
		chmod(at(c.path, "lib/mono"), 0);
		TEST("place: an unreadable directory is damage",
		    runtime_cache_place(&c, SHA, dest, &st, &e) == 0 &&
			st == RUNTIME_CACHE_DAMAGED &&
			strstr(e.msg, "cannot be read") && !fs_exists(dest));
		chmod(at(c.path, "lib/mono"), 0755);
	}

	/* Another file system (tmpfs): copied, not linked, still checked. */
	{
		char *shm = fs_mkdtemp("/dev/shm", "test_runtime_cache.", NULL);
		struct stat a, b;

		if (shm != NULL && stat(shm, &a) == 0 &&
		    stat(c.path, &b) == 0 && a.st_dev != b.st_dev) {
			char *d = fs_join(shm, "mono");
			TEST("place: across file systems it copies",
			    runtime_cache_place(&c, SHA, d, &st, &e) == 0 &&
				st == RUNTIME_CACHE_OK &&
				same_file(at(c.path, "bin/mono"),
				    at(d, "bin/mono")) &&
				!same_inode(at(c.path, "bin/mono"),
				    at(d, "bin/mono")) &&
				(n = readlink(at(d, "lib/libmono.so"), target,
				     sizeof target - 1)) > 0);
			chmod(at(d, "ro"), 0755);
			fs_rm_rf(d, NULL);
			unlink(at(c.path, "bin/mono"));
			TEST("place: across file systems damage is still found",
			    runtime_cache_place(&c, SHA, d, &st, &e) == 0 &&
				st == RUNTIME_CACHE_DAMAGED && !fs_exists(d));
			free(d);
		}
		if (shm != NULL)
			fs_rm_rf(shm, NULL);
		free(shm);
	}
	chmod(at(c.path, "ro"), 0755);
	runtime_cache_close(&c);
	free(dest);
	free(cdir);
}

/* The seal a fresh entry gets, as text ("" when there is none). */
static char *
seal_text(const struct runtime_cache_entry *c)
{
	char *t = fs_read_file(c->seal, 4096, NULL, NULL);

	return t != NULL ? t : strdup("");
}

/* runtime_cache_seal_place: a fresh entry placed and sealed in one pass. */
static void
test_seal_place(const char *root)
{
	struct runtime_cache_entry c = RUNTIME_CACHE_ENTRY_INIT;
	struct errbuf e = {""}, why = {""};
	enum runtime_cache_state st = RUNTIME_CACHE_MISSING;
	char *cdir = fs_join(root, "sp-cache");
	char *dest = fs_join(root, "sp-app/vendor/mono");
	char *dest2 = fs_join(root, "sp-app2/mono");
	char *lost = fs_join(root, "sp-nowhere/vendor/mono");
	char *one = NULL, *walked = NULL;

	TEST("seal_place: open",
	    runtime_cache_open(&c, cdir, "mono", "heroku-22", "6.8", SHA, NULL,
		&e) == 0);
	fill_tree(c.path);
	fs_mkdir_p(at(root, "sp-app/vendor"), 0755, NULL);
	fs_mkdir_p(at(root, "sp-app2"), 0755, NULL);

	TEST("seal_place: a dest whose parent is missing is an error naming it",
	    runtime_cache_seal_place(&c, SHA, lost, NULL, &e) == -1 &&
		strstr(e.msg, lost) != NULL && !fs_exists(lost));
	TEST("seal_place: ...and nothing is sealed",
	    !fs_exists(c.seal) &&
		runtime_cache_check(&c, SHA, &why) == RUNTIME_CACHE_UNSEALED);

	TEST("seal_place: places and seals",
	    runtime_cache_seal_place(&c, SHA, dest, NULL, &e) == 0 &&
		fs_exists(c.seal));
	TEST("seal_place: files are hard links into the cache",
	    same_inode(at(c.path, "bin/mono"), at(dest, "bin/mono")) &&
		same_inode(at(c.path, "lib/libmono.so"),
		    at(dest, "lib/libmono.so")));
	TEST("seal_place: the sealed entry checks out",
	    runtime_cache_check(&c, SHA, &why) == RUNTIME_CACHE_OK);
	one = seal_text(&c);
	TEST("seal_place: the seal is the one a separate walk writes",
	    runtime_cache_seal(&c, SHA, &e) == 0 &&
		(walked = seal_text(&c)) != NULL && one[0] != '\0' &&
		strcmp(one, walked) == 0);
	TEST("seal_place: a later build places it",
	    runtime_cache_place(&c, SHA, dest2, &st, &e) == 0 &&
		st == RUNTIME_CACHE_OK &&
		same_inode(at(c.path, "lib/mono/4.5/mscorlib.dll"),
		    at(dest2, "lib/mono/4.5/mscorlib.dll")));
	chmod(at(dest2, "ro"), 0755);
	fs_rm_rf(dest2, NULL);
	chmod(at(dest, "ro"), 0755);
	fs_rm_rf(dest, NULL);

	/* A seal that cannot be written (a directory in its way): the placed
	 * tree goes again. */
	unlink(c.seal);
	fs_mkdir_p(c.seal, 0755, NULL);
	TEST("seal_place: a seal that cannot be written fails, dest removed",
	    runtime_cache_seal_place(&c, SHA, dest, NULL, &e) ==
		    RUNTIME_CACHE_UNSEALABLE &&
		!fs_exists(dest) && strstr(e.msg, ".ok") != NULL);
	rmdir(c.seal);

	/* Another file system (tmpfs): sealed by a walk, then copied. */
	{
		char *shm = fs_mkdtemp("/dev/shm", "test_runtime_cache.", NULL);
		struct stat a, b;

		if (shm != NULL && stat(shm, &a) == 0 &&
		    stat(c.path, &b) == 0 && a.st_dev != b.st_dev) {
			char *d = fs_join(shm, "mono");
			TEST("seal_place: across file systems it seals and "
			     "copies",
			    runtime_cache_seal_place(&c, SHA, d, NULL, &e) ==
				    0 &&
				runtime_cache_check(&c, SHA, &why) ==
				    RUNTIME_CACHE_OK &&
				same_file(at(c.path, "bin/mono"),
				    at(d, "bin/mono")) &&
				!same_inode(at(c.path, "bin/mono"),
				    at(d, "bin/mono")));
			chmod(at(d, "ro"), 0755);
			free(d);
		}
		if (shm != NULL)
			fs_rm_rf(shm, NULL);
		free(shm);
	}
	chmod(at(c.path, "ro"), 0755);
	runtime_cache_close(&c);
	free(one);
	free(walked);
	free(lost);
	free(dest2);
	free(dest);
	free(cdir);
}

/* Rewrites rel in dir with len bytes of data, keeping its times. */
static void
rewrite_keeping_times(const char *dir, const char *rel, const char *data,
    size_t len)
{
	struct stat st;
	struct timespec ts[2];

	if (stat(at(dir, rel), &st) == -1)
		return;
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	if (put_file(at(dir, rel), data, len, st.st_mode & 07777) == -1)
		perror(rel);
	utimensat(AT_FDCWD, at(dir, rel), ts, 0);
}

/* What the seal vouches for: each file's size on every placement, the
 * contents when it is written and when the entry is read whole, and
 * nothing it cannot vouch for gets sealed. */
static void
test_seal_vouches(const char *root)
{
	struct runtime_cache_entry c = RUNTIME_CACHE_ENTRY_INIT;
	struct errbuf e = {""}, why = {""};
	enum runtime_cache_state st;
	struct treesum good, bad;
	char *cdir = fs_join(root, "sv-cache");
	char *dest = fs_join(root, "sv-app/mono");
	char *mnt = fs_join(root, "sv-full");

	TEST("vouch: open",
	    runtime_cache_open(&c, cdir, "mono", "heroku-22", "6.8", SHA, NULL,
		&e) == 0);
	fill_tree(c.path);
	chmod(at(c.path, "ro"), 0755);
	fs_mkdir_p(at(root, "sv-app"), 0755, NULL);
	TEST("vouch: the tree's sum", treesum_tree(c.path, &good, &e) == 0);

	/* What was unpacked is not what reads back: not sealed. */
	bad = good;
	bad.content ^= 1;
	e.msg[0] = '\0';
	TEST("vouch: contents not as unpacked are not sealed",
	    runtime_cache_seal_place(&c, SHA, dest, &bad, &e) ==
		    RUNTIME_CACHE_UNSEALABLE &&
		!fs_exists(c.seal) && !fs_exists(dest) &&
		strstr(e.msg, "do not read back as they were unpacked") !=
		    NULL &&
		strstr(e.msg, "contents") != NULL);
	bad = good;
	bad.sizes ^= 1;
	TEST("vouch: sizes not as unpacked are not sealed",
	    runtime_cache_seal_place(&c, SHA, dest, &bad, &e) ==
		    RUNTIME_CACHE_UNSEALABLE &&
		!fs_exists(c.seal) && !fs_exists(dest) &&
		strstr(e.msg, "sizes") != NULL);
	TEST("vouch: as unpacked, it is sealed",
	    runtime_cache_seal_place(&c, SHA, dest, &good, &e) == 0 &&
		fs_exists(c.seal) &&
		runtime_cache_check(&c, SHA, &why) == RUNTIME_CACHE_OK);
	fs_rm_rf(dest, NULL);

	/* One file a byte longer, another a byte shorter, times kept: the
	 * same entry count, byte total and times, other sizes. */
	rewrite_keeping_times(c.path, "bin/mono", "ELF....", 7);
	rewrite_keeping_times(c.path, "lib/mono/4.5/mscorlib.dll",
	    "MZ012345678", 11);
	TEST("vouch: sizes that moved between files are damage",
	    runtime_cache_place(&c, SHA, dest, &st, &e) == 0 &&
		st == RUNTIME_CACHE_DAMAGED && !fs_exists(dest));
	rewrite_keeping_times(c.path, "bin/mono", "ELF...", 6);
	rewrite_keeping_times(c.path, "lib/mono/4.5/mscorlib.dll",
	    "MZ0123456789", 12);
	TEST("vouch: restored, it places again",
	    runtime_cache_place(&c, SHA, dest, &st, &e) == 0 &&
		st == RUNTIME_CACHE_OK);
	fs_rm_rf(dest, NULL);

	/* Zeros where bytes were, size and times kept: a warm placement does
	 * not read contents (cache.c says why), a whole check does. */
	rewrite_keeping_times(c.path, "lib/mono/4.5/mscorlib.dll",
	    "MZ01\0\0\0\0\0\0\0\0", 12);
	TEST("vouch: zeroed bytes are found by a whole check",
	    runtime_cache_check(&c, SHA, &why) == RUNTIME_CACHE_DAMAGED &&
		strstr(why.msg, "contents changed") != NULL);
	printf("# %s\n", why.msg);
	rewrite_keeping_times(c.path, "lib/mono/4.5/mscorlib.dll",
	    "MZ0123456789", 12);
	TEST("vouch: restored, the whole check passes",
	    runtime_cache_check(&c, SHA, &why) == RUNTIME_CACHE_OK);

	/* A seal of the older format vouched for no sizes nor contents. */
	{
		char *old = seal_text(&c), *sp;
		int n = 0;

		for (sp = old; *sp != '\0' && n < 4; sp++)
			n += *sp == ' ';
		if (n == 4)
			sp[-1] = '\n', *sp = '\0';
		fs_write_file_atomic(c.seal, old, strlen(old), 0644, NULL);
		TEST("vouch: an older seal is not trusted",
		    runtime_cache_place(&c, SHA, dest, &st, &e) == 0 &&
			st == RUNTIME_CACHE_DAMAGED && !fs_exists(dest) &&
			strstr(e.msg, "seal does not match") != NULL);
		free(old);
	}
	runtime_cache_close(&c);

	/* A full cache: the seal cannot be written, nothing is left. */
	TEST("vouch: a 1 MiB tmpfs (we run as root)",
	    tmpfs_mount(mnt, 1 << 20) == 0);
	{
		char *full = fs_join(mnt, "cache"),
		     *filler = fs_join(mnt, "filler");
		char *d2 = fs_join(mnt, "app-mono");

		TEST("vouch: open on the tmpfs",
		    runtime_cache_open(&c, full, "mono", "heroku-22", "6.8",
			SHA, NULL, &e) == 0);
		fill_tree(c.path);
		chmod(at(c.path, "ro"), 0755);
		TEST("vouch: its sum", treesum_tree(c.path, &good, &e) == 0);
		TEST("vouch: the tmpfs filled",
		    fill_fs(filler, 0) == 0 && fs_free(mnt) == 0);
		e.msg[0] = '\0';
		TEST("vouch: a seal that cannot be written: not sealed",
		    runtime_cache_seal_place(&c, SHA, d2, &good, &e) ==
			    RUNTIME_CACHE_UNSEALABLE &&
			!fs_exists(c.seal) && !fs_exists(d2) &&
			strstr(e.msg, ".ok") != NULL &&
			strstr(e.msg, "No space left on device") != NULL);
		printf("# %s\n", e.msg);
		runtime_cache_close(&c);
		tmpfs_umount(mnt);
		free(full);
		free(filler);
		free(d2);
	}
	free(mnt);
	free(dest);
	free(cdir);
}

static int waits;

static void
count_wait(void *arg)
{
	(void)arg;
	waits++;
}

int
main(void)
{
	struct errbuf e = {""}, why = {""};
	struct runtime_cache_entry c = RUNTIME_CACHE_ENTRY_INIT,
				   c2 = RUNTIME_CACHE_ENTRY_INIT;
	char *root = fs_mkdtemp("/tmp", "test_runtime_cache.", &e), *p;

	test_seal_vouches(root);

	TEST("open locks",
	    runtime_cache_open(&c, root, "mono", "heroku-22", "6.8", SHA, NULL,
		&e) == 0);
	TEST("key spells stack, version and sha",
	    strstr(c.path, "/mono/6.8-heroku-22-" SHA) != NULL);
	TEST("empty entry is missing",
	    runtime_cache_check(&c, SHA, &why) == RUNTIME_CACHE_MISSING &&
		strcmp(why.msg, "not cached") == 0);
	runtime_cache_close(&c);
	{
		char *ns = fs_join(root, "mono");
		TEST("opening and closing leaves no file behind",
		    !fs_exists(ns));
		free(ns);
	}
	TEST("open again",
	    runtime_cache_open(&c, root, "mono", "heroku-22", "6.8", SHA, NULL,
		&e) == 0);
	fill(c.path);
	TEST("unsealed entry is not valid (interrupted run)",
	    runtime_cache_check(&c, SHA, &why) == RUNTIME_CACHE_UNSEALED &&
		strstr(why.msg, "did not finish"));
	TEST("seal", runtime_cache_seal(&c, SHA, &e) == 0);
	TEST("sealed entry is valid",
	    runtime_cache_check(&c, SHA, &why) == RUNTIME_CACHE_OK);
	TEST("another sha does not match the seal",
	    runtime_cache_check(&c, SHA2, &why) == RUNTIME_CACHE_DAMAGED &&
		strstr(why.msg, "seal does not match") != NULL);
	p = fs_join(c.path, "bin/mono");
	unlink(p);
	free(p);
	TEST("a missing file is detected",
	    runtime_cache_check(&c, SHA, &why) == RUNTIME_CACHE_DAMAGED &&
		strstr(why.msg, "files changed") != NULL);
	{
		char *tmp = NULL;
		char *slash = strrchr(c.path, '/');
		if (asprintf(&tmp, "%.*s/.%s.part-XYZ", (int)(slash - c.path),
			c.path, slash + 1) > 0)
			fill(tmp);
		TEST("discard", runtime_cache_discard(&c, &e) == 0);
		TEST("discard removes the entry, the seal and temp siblings",
		    !fs_exists(c.path) && !fs_exists(c.seal) &&
			!fs_exists(tmp));
		free(tmp);
	}
	runtime_cache_close(&c);

	/* A version holding '/' or '..' stays inside the namespace. */
	TEST("hostile version",
	    runtime_cache_open(&c, root, "mono", "st", "../../x", SHA, NULL,
		&e) == 0);
	TEST("hostile version is escaped",
	    strstr(c.path, "/mono/%2e.%2f..%2fx-st-") != NULL &&
		strchr(strstr(c.path, "/mono/") + 6, '/') == NULL);
	runtime_cache_close(&c);

	/* The lock excludes another process until released. */
	TEST("reopen",
	    runtime_cache_open(&c, root, "mono", "heroku-22", "6.8", SHA, NULL,
		&e) == 0);
	{
		char *lock = root;
		pid_t pid;
		int status;

		pid = fork();
		if (pid == 0) {
			int fd = open(lock, O_RDONLY | O_DIRECTORY);
			_exit(flock(fd, LOCK_EX | LOCK_NB) == -1 &&
				    errno == EWOULDBLOCK
				? 0
				: 1);
		}
		waitpid(pid, &status, 0);
		TEST("another process cannot take the lock while held",
		    WIFEXITED(status) && WEXITSTATUS(status) == 0);
		runtime_cache_close(&c);
		pid = fork();
		if (pid == 0) {
			int fd = open(lock, O_RDONLY | O_DIRECTORY);
			_exit(flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		TEST("after close it can",
		    WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}

	/* Waiting for another build's lock can be interrupted. */
	TEST("hold the lock",
	    runtime_cache_open(&c, root, "mono", "heroku-22", "6.8", SHA, NULL,
		&e) == 0);
	{
		stopflag stop = 1;
		struct runtime_cache_wait w = {&stop, count_wait, NULL};

		TEST("a second open waits, then gives up when told to stop",
		    runtime_cache_open(&c2, root, "mono", "heroku-22", "6.8",
			SHA, &w, &e) == -1 &&
			strstr(e.msg, "interrupted") != NULL);
		TEST("the waiting callback ran once", waits == 1);
		TEST("a failed open holds nothing",
		    c2.lockfd == -1 && c2.path == NULL);
	}
	runtime_cache_close(&c);

	/* An unwritable cache directory is reported, not used. */
	p = fs_join(root, "ro");
	fs_mkdir_p(p, 0755, NULL);
	chmod(p, 0555);
	if (geteuid() == 0) {
		/* root writes anywhere; use a path under a regular file */
		char *f = fs_join(root, "file");
		fs_write_file_atomic(f, "", 0, 0644, NULL);
		TEST("a cache dir that cannot be created fails",
		    runtime_cache_open(&c2, f, "mono", "s", "v", SHA, NULL,
			&e) == -1 &&
			strstr(e.msg, "file") != NULL);
		free(f);
	} else {
		TEST("an unwritable cache dir fails",
		    runtime_cache_open(&c2, p, "mono", "s", "v", SHA, NULL,
			&e) == -1);
	}
	runtime_cache_close(&c2);
	chmod(p, 0755);
	free(p);
	runtime_cache_close(NULL);

	test_place(root);
	test_seal_place(root);
	fs_rm_rf(root, NULL);
	free(root);
	return test_report();
}
