/* testfs.h - small file-tree helpers for the unit tests that build, read
 * and compare trees on disk.  Static inline, so a test that uses only some
 * of them compiles without unused-function warnings. */
#ifndef SLUGC_TESTFS_H
#define SLUGC_TESTFS_H

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

/* "dir/rel" in one of four rotating static buffers, so a few can be used
 * in one expression. */
static inline char *
at(const char *dir, const char *rel)
{
	static char buf[4][4096];
	static int n;
	char *b = buf[n++ % 4];

	snprintf(b, sizeof buf[0], "%s/%s", dir, rel);
	return b;
}

/* Both paths name the same inode (a hard link, or the same file). */
static inline bool
same_inode(const char *a, const char *b)
{
	struct stat sa, sb;

	return lstat(a, &sa) == 0 && lstat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Both files (up to 1 GiB) hold the same bytes. */
static inline bool
same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *ca = fs_read_file(a, 1 << 30, &la, NULL);
	char *cb = fs_read_file(b, 1 << 30, &lb, NULL);
	bool same =
	    ca != NULL && cb != NULL && la == lb && memcmp(ca, cb, la) == 0;

	free(ca);
	free(cb);
	return same;
}

/* The contents of a file (up to 1 GiB), NUL-terminated, which the caller
 * frees; NULL if it cannot be read. */
static inline char *
slurp(const char *path)
{
	return fs_read_file(path, 1 << 30, NULL, NULL);
}

/* The file holds exactly text. */
static inline bool
file_is(const char *path, const char *text)
{
	char *s = slurp(path);
	bool ok = s != NULL && strcmp(s, text) == 0;

	free(s);
	return ok;
}

/* Writes len bytes of buf to path, making its missing parent directories.
 * The file gets exactly mode, whatever the umask.  Returns 0, or -1 with
 * errno set. */
static inline int
put_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	char *dir = strdup(path), *slash;
	int fd, rc = -1;

	if (dir == NULL)
		return -1;
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (fs_mkdir_p(dir, 0755, NULL) == -1)
			goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1)
		goto out;
	rc = fs_write_all(fd, buf, len) == 0 && fchmod(fd, mode) == 0 ? 0 : -1;
	if (close(fd) == -1)
		rc = -1;
out:
	free(dir);
	return rc;
}

/* The number of entries in a directory, "." and ".." aside; -1 if it
 * cannot be read. */
static inline int
count_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

#endif
