#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

char *
fs_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	char *p;

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (asprintf(&p, "%.*s%s%s", (int)la, a,
		(la > 0 && a[la - 1] == '/') || *b == '\0' ? "" : "/", b) < 0)
		return NULL;
	return p;
}

int
fs_mkdir_p(const char *dir, mode_t mode, struct errbuf *e)
{
	char path[PATH_MAX];
	struct stat st;
	char *p;

	if (dir[0] == '\0')
		return errf(e, "mkdir: empty path");
	if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
		return errf(e, "%s: path too long", dir);
	for (p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(path, mode) == -1 && errno != EEXIST)
			return errf(e, "mkdir %s:", path);
		*p = saved;
		if (saved == '\0')
			break;
	}
	if (stat(dir, &st) == -1)
		return errf(e, "stat %s:", dir);
	if (!S_ISDIR(st.st_mode))
		return errf(e, "%s: exists and is not a directory", dir);
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	if (flag == FTW_DNR) {
		/* An unreadable directory: make it readable and retry once. */
		if (chmod(path, 0700) == -1)
			return -1;
		return fs_rm_rf(path, NULL);
	}
	return unlink(path);
}

int
fs_rm_rf(const char *path, struct errbuf *e)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return errf(e, "remove %s:", path);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) == -1 && errno != ENOENT)
			return errf(e, "remove %s:", path);
		return 0;
	}
	/* FTW_PHYS never follows symlinks; FTW_DEPTH visits children before
	 * their directory so it can be rmdir'ed. */
	if (nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) == -1 &&
	    errno != ENOENT)
		return errf(e, "remove %s:", path);
	return 0;
}

char *
fs_read_fd(int fd, const char *name, size_t max, size_t *len, struct errbuf *e)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t cap, n = 0;
	ssize_t r;
	int saved;

	if (fstat(fd, &st) == -1) {
		errf(e, "stat %s:", name);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		errf(e, "%s: not a regular file", name);
		goto fail;
	}
	/* Opened with O_NONBLOCK (a FIFO would wait for a writer); a regular
	 * file is read blocking. */
	if (fcntl(fd, F_SETFL, 0) == -1) {
		errf(e, "%s:", name);
		goto fail;
	}
	if ((size_t)st.st_size > max) {
		errno = EFBIG;
		errf(e, "%s: larger than %zu bytes", name, max);
		goto fail;
	}
	cap = (size_t)st.st_size + 1;
	if ((buf = malloc(cap)) == NULL) {
		errf(e, "read %s:", name);
		goto fail;
	}
	for (;;) {
		if (n + 1 == cap) {
			/* The file grew while we read it. */
			if (cap > max) {
				errno = EFBIG;
				errf(e, "%s: larger than %zu bytes", name, max);
				goto fail;
			}
			if ((nb = realloc(buf, cap * 2)) == NULL) {
				errf(e, "read %s:", name);
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			errf(e, "read %s:", name);
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		errno = EFBIG;
		errf(e, "%s: larger than %zu bytes", name, max);
		goto fail;
	}
	close(fd);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

char *
fs_read_file(const char *path, size_t max, size_t *len, struct errbuf *e)
{
	int fd;

	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	 * writer forever. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		errf(e, "open %s:", path);
		return NULL;
	}
	return fs_read_fd(fd, path, max, len, e);
}

int
fs_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		if (w == 0) {
			/* No progress and no error: never loop on it. */
			errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
fs_write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode,
    struct errbuf *e)
{
	char tmp[PATH_MAX];
	int fd;

	if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= (int)sizeof tmp)
		return errf(e, "%s: path too long", path);
	/* Messages name path, not the temporary file: that is what the
	 * reader knows, and the temporary file is gone by then. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return errf(e, "create %s:", path);
	if (fchmod(fd, mode) == -1 || fs_write_all(fd, buf, len) == -1 ||
	    fsync(fd) == -1) {
		errf(e, "write %s:", path);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) == -1) {
		errf(e, "write %s:", path);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		errf(e, "rename %s to %s:", tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

bool
fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool
fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
copy_file(const char *src, const char *dst, const struct stat *st,
    struct errbuf *e)
{
	char buf[1 << 16];
	int in, out = -1, rc = -1;
	ssize_t r;

	if ((in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return errf(e, "open %s:", src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    st->st_mode & 07777);
	if (out == -1) {
		errf(e, "create %s:", dst);
		goto out;
	}
	/* copy_file_range lets the kernel move the bytes (and reflink where
	 * the file system can); fall back to read/write across devices. */
	for (;;) {
		ssize_t c = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (c == -1 && errno == EINTR)
			continue;
		if (c == -1)
			break;
		if (c == 0) {
			rc = 0;
			goto meta;
		}
	}
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
	    errno != EOPNOTSUPP) {
		errf(e, "copy %s to %s:", src, dst);
		goto out;
	}
	while ((r = read(in, buf, sizeof buf)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			errf(e, "read %s:", src);
			goto out;
		}
		if (fs_write_all(out, buf, (size_t)r) == -1) {
			errf(e, "write %s:", dst);
			goto out;
		}
	}
	rc = 0;
meta:
	if (fchmod(out, st->st_mode & 07777) == -1) {
		rc = errf(e, "chmod %s:", dst);
		goto out;
	}
	{
		struct timespec ts[2] = {st->st_atim, st->st_mtim};
		if (futimens(out, ts) == -1)
			rc = errf(e, "utimens %s:", dst);
	}
out:
	close(in);
	if (out != -1 && close(out) == -1 && rc == 0)
		rc = errf(e, "write %s:", dst);
	return rc;
}

/* What a copy does with what it meets: hard-link regular files, and leave
 * out FIFOs, sockets and devices through warn (NULL: refuse them). */
struct copy {
	bool hardlink;
	err_warn_fn *warn;
	void *arg;
	size_t rootlen; /* of src's root, to name entries relative to it */
};

static int copy_tree(const char *src, const char *dst, const struct copy *cp,
    struct errbuf *e);

static const char *
special_kind(mode_t mode)
{
	return S_ISFIFO(mode) ? "FIFO"
	    : S_ISSOCK(mode)  ? "socket"
	    : S_ISCHR(mode)   ? "character device"
	    : S_ISBLK(mode)   ? "block device"
			      : "file of an unknown type";
}

static int
copy_entry(const char *src, const char *dst, const struct copy *cp,
    struct errbuf *e)
{
	bool hardlink = cp->hardlink;
	struct stat st;

	if (lstat(src, &st) == -1)
		return errf(e, "stat %s:", src);
	if (S_ISDIR(st.st_mode))
		return copy_tree(src, dst, cp, e);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(src, target, sizeof target - 1);
		if (n == -1)
			return errf(e, "readlink %s:", src);
		target[n] = '\0';
		if (symlink(target, dst) == -1)
			return errf(e, "symlink %s:", dst);
		struct timespec ts[2] = {st.st_atim, st.st_mtim};
		/* Best effort, as cp -a: not every file system keeps link times. */
		(void)utimensat(AT_FDCWD, dst, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		if (hardlink) {
			if (link(src, dst) == 0)
				return 0;
			if (errno != EXDEV && errno != EPERM && errno != EMLINK)
				return errf(e, "link %s:", dst);
		}
		return copy_file(src, dst, &st, e);
	}
	if (cp->warn != NULL) {
		char shown[512];

		err_printable(shown, sizeof shown, src + cp->rootlen,
		    strlen(src + cp->rootlen));
		err_warnf(cp->warn, cp->arg,
		    "'%s' left out of the slug: %s "
		    "refused",
		    shown, special_kind(st.st_mode));
		return 0;
	}
	return errf(e, "%s: not a regular file, directory or symlink", src);
}

#include <dirent.h>

static int
copy_tree(const char *src, const char *dst, const struct copy *cp,
    struct errbuf *e)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (stat(src, &st) == -1)
		return errf(e, "stat %s:", src);
	if (mkdir(dst, 0700) == -1)
		return errf(e, "mkdir %s:", dst);
	if ((d = opendir(src)) == NULL)
		return errf(e, "open %s:", src);
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		char *s = fs_join(src, de->d_name),
		     *t = fs_join(dst, de->d_name);
		if (s == NULL || t == NULL)
			rc = errf(e, "copy %s:", src);
		else
			rc = copy_entry(s, t, cp, e);
		free(s);
		free(t);
	}
	if (rc == 0 && errno != 0)
		rc = errf(e, "read directory %s:", src);
	closedir(d);
	if (rc == 0 && chmod(dst, st.st_mode & 07777) == -1)
		rc = errf(e, "chmod %s:", dst);
	if (rc == 0) {
		struct timespec ts[2] = {st.st_atim, st.st_mtim};
		if (utimensat(AT_FDCWD, dst, ts, 0) == -1)
			rc = errf(e, "utimens %s:", dst);
	}
	return rc;
}

int
fs_copy_tree(const char *src, const char *dst, bool hardlink, struct errbuf *e)
{
	return fs_copy_app(src, dst, hardlink, NULL, NULL, e);
}

int
fs_copy_app(const char *src, const char *dst, bool hardlink, err_warn_fn *warn,
    void *arg, struct errbuf *e)
{
	struct copy cp = {hardlink, warn, arg, strlen(src) + 1};

	if (fs_exists(dst))
		return errf(e, "copy %s to %s: destination exists", src, dst);
	if (copy_tree(src, dst, &cp, e) == -1) {
		fs_rm_rf(dst, NULL);
		return -1;
	}
	return 0;
}

int
fs_check_beneath(const char *root, const char *rel, struct errbuf *e)
{
	char path[PATH_MAX];
	struct stat st;
	size_t rlen = strlen(root);

	if (snprintf(path, sizeof path, "%s/%s", root, rel) >= (int)sizeof path)
		return errf(e, "%s/%s: path too long", root, rel);
	/* Check each component after root, from the outside in. */
	for (char *p = path + rlen + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (lstat(path, &st) == -1) {
			if (errno == ENOENT)
				return 0; /* nothing further can be a link */
			return errf(e, "%s:", path);
		}
		if (S_ISLNK(st.st_mode))
			return errf(e,
			    "%s is a symlink: the buildpack writes "
			    "there and will not follow it out of the app",
			    path + rlen + 1);
		*p = saved;
		if (saved == '\0')
			return 0;
	}
}

char *
fs_mkdtemp(const char *parent, const char *prefix, struct errbuf *e)
{
	char *p;

	if (asprintf(&p, "%s/%sXXXXXX", parent, prefix) < 0) {
		errf(e, "mkdtemp in %s:", parent);
		return NULL;
	}
	if (mkdtemp(p) == NULL) {
		errf(e, "mkdtemp in %s:", parent);
		free(p);
		return NULL;
	}
	return p;
}
