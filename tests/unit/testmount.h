/* testmount.h - small real file systems for the disk-full tests: a tmpfs of
 * a given size, mounted on a directory (the tests run as root), and a
 * filler file that takes the space left.  Every mount is undone at exit,
 * even when a test fails half-way.  Static inline, so a test that uses only
 * some of them compiles without unused-function warnings. */
#ifndef SLUGC_TESTMOUNT_H
#define SLUGC_TESTMOUNT_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define TESTMOUNT_MAX 8

static char *testmount_dirs[TESTMOUNT_MAX];

static inline void
testmount_cleanup(void)
{
	for (int i = 0; i < TESTMOUNT_MAX; i++)
		if (testmount_dirs[i] != NULL) {
			(void)umount2(testmount_dirs[i], MNT_DETACH);
			free(testmount_dirs[i]);
			testmount_dirs[i] = NULL;
		}
}

/* Mounts a tmpfs of size bytes on dir (made if missing).  Returns 0, or -1
 * after saying why on stderr: a test must count that as a failure, never
 * skip (SLUGC_REQUIRE_ALL; the tests run as root). */
static inline int
tmpfs_mount(const char *dir, unsigned long size)
{
	static int registered;
	char opts[64];
	int i;

	for (i = 0; i < TESTMOUNT_MAX && testmount_dirs[i] != NULL; i++)
		;
	if (i == TESTMOUNT_MAX) {
		fprintf(stderr, "tmpfs_mount %s: too many mounts\n", dir);
		return -1;
	}
	if (!registered && atexit(testmount_cleanup) == 0)
		registered = 1;
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "mkdir %s: %s\n", dir, strerror(errno));
		return -1;
	}
	snprintf(opts, sizeof opts, "size=%lu,mode=0755", size);
	if (mount("tmpfs", dir, "tmpfs", 0, opts) == -1) {
		fprintf(stderr, "mount tmpfs on %s: %s\n", dir,
		    strerror(errno));
		return -1;
	}
	if ((testmount_dirs[i] = strdup(dir)) == NULL) {
		(void)umount2(dir, MNT_DETACH);
		return -1;
	}
	return 0;
}

/* Unmounts dir (mounted by tmpfs_mount) and removes it. */
static inline void
tmpfs_umount(const char *dir)
{
	for (int i = 0; i < TESTMOUNT_MAX; i++)
		if (testmount_dirs[i] != NULL &&
		    strcmp(testmount_dirs[i], dir) == 0) {
			if (umount2(dir, MNT_DETACH) == -1)
				fprintf(stderr, "umount %s: %s\n", dir,
				    strerror(errno));
			free(testmount_dirs[i]);
			testmount_dirs[i] = NULL;
		}
	(void)rmdir(dir);
}

/* Bytes free on the file system holding path. */
static inline uint64_t
fs_free(const char *path)
{
	struct statvfs v;

	if (statvfs(path, &v) == -1)
		return 0;
	return (uint64_t)v.f_bavail * v.f_frsize;
}

/* Writes the file path until at most leave bytes are free on its file
 * system (ENOSPC ends it too).  Returns 0, or -1 with errno set. */
static inline int
fill_fs(const char *path, uint64_t leave)
{
	static char block[64 << 10];
	uint64_t avail;
	int fd;

	memset(block, 'f', sizeof block);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	    -1)
		return -1;
	while ((avail = fs_free(path)) > leave) {
		size_t n = avail - leave < sizeof block
		    ? (size_t)(avail - leave)
		    : sizeof block;
		ssize_t w = write(fd, block, n);
		if (w == -1 && errno == ENOSPC)
			break;
		if (w <= 0) {
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
	}
	return close(fd);
}

#endif
