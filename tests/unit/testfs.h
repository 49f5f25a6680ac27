/* testfs.h - small file-tree helpers for the unit tests that build and
 * compare trees on disk (cache, runtime).  Static inline, so a test that
 * uses only some of them compiles without unused-function warnings. */
#ifndef SLUGC_TESTFS_H
#define SLUGC_TESTFS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Both files (up to 1 MiB) hold the same bytes. */
static inline bool
same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *ca = fs_read_file(a, 1 << 20, &la, NULL);
	char *cb = fs_read_file(b, 1 << 20, &lb, NULL);
	bool same = ca != NULL && cb != NULL && la == lb &&
	    memcmp(ca, cb, la) == 0;

	free(ca);
	free(cb);
	return same;
}

#endif
