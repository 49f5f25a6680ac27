/* applog.c - an app's log: timestamped lines, rotated at a size. */
#include "applog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

#define FOLLOW_MS 100

static int
log_reopen(struct applog *l, struct errbuf *e)
{
	struct stat sb;

	if (l->fd >= 0)
		close(l->fd);
	l->fd = open(l->path,
	    O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (l->fd == -1)
		return errf(e, "%s:", l->path);
	if (fstat(l->fd, &sb) == -1)
		return errf(e, "%s:", l->path);
	l->size = sb.st_size;
	return 0;
}

int
applog_open(struct applog *l, const char *path, off_t max, struct errbuf *e)
{
	l->fd = -1;
	l->max = max > 0 ? max : APPLOG_MAX;
	if ((l->path = strdup(path)) == NULL)
		return errf(e, "%s:", path);
	if (log_reopen(l, e) == -1) {
		applog_close(l);
		return -1;
	}
	return 0;
}

void
applog_close(struct applog *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->path);
	l->path = NULL;
}

/* PATH becomes PATH.1, and a new PATH is begun. */
static int
rotate(struct applog *l, struct errbuf *e)
{
	char old[4096];
	int n;

	n = snprintf(old, sizeof old, "%s.1", l->path);
	if (n < 0 || (size_t)n >= sizeof old)
		return errf(e, "%s: name too long", l->path);
	if (rename(l->path, old) == -1 && errno != ENOENT)
		return errf(e, "rename %s:", l->path);
	return log_reopen(l, e);
}

/* "2026-12-06T02:03:04.123456+00:00" into out. */
static void
stamp(char out[40])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%06u+00:00",
	    (unsigned)(ts.tv_nsec / 1000) % 1000000u);
}

int
applog_write(struct applog *l, const char *source, const char *text, size_t len,
    struct errbuf *e)
{
	char ts[40], *line;
	const char *nl;
	size_t cap;
	int n;

	if ((nl = memchr(text, '\n', len)) != NULL)
		len = (size_t)(nl - text);
	if (len > APPLOG_LINE_MAX)
		len = APPLOG_LINE_MAX;
	cap = len + strlen(source) + 64;
	if ((line = malloc(cap)) == NULL)
		return errf(e, "%s:", l->path);
	stamp(ts);
	n = snprintf(line, cap, "%s app[%s]: %.*s\n", ts, source, (int)len,
	    text);
	if (n < 0 || (size_t)n >= cap) {
		free(line);
		return errf(e, "%s: line too long", l->path);
	}
	if (l->size > 0 && l->size + n > l->max && rotate(l, e) == -1) {
		free(line);
		return -1;
	}
	if (fs_write_all(l->fd, line, (size_t)n) == -1) {
		free(line);
		return errf(e, "write %s:", l->path);
	}
	l->size += n;
	free(line);
	return 0;
}

int
applog_printf(struct applog *l, const char *source, const char *fmt, ...)
{
	char buf[1024];
	struct errbuf e;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	return applog_write(l, source, buf, strlen(buf), &e);
}

/* ---- reading ------------------------------------------------------- */

/* The file at path into *buf (NULL, 0 when it does not exist). */
static int
slurp(const char *path, char **buf, size_t *len, struct errbuf *e)
{
	*buf = NULL;
	*len = 0;
	if (!fs_exists(path))
		return 0;
	*buf = fs_read_file(path, 64 * 1024 * 1024, len, e);
	return *buf == NULL ? -1 : 0;
}

/* Where the last *n lines of buf begin; *n less the lines found. */
static size_t
last_lines(const char *buf, size_t len, size_t *n)
{
	size_t i, end = len, found = 0;

	if (len == 0 || *n == 0)
		return len;
	if (buf[end - 1] == '\n')
		end--;
	for (i = end; i > 0; i--)
		if (buf[i - 1] == '\n' && ++found == *n) {
			*n = 0;
			return i;
		}
	*n -= found + 1; /* the first line too */
	return 0;
}

static int
put(const char *buf, size_t from, size_t len, FILE *out)
{
	if (buf == NULL || from >= len)
		return 0;
	return fwrite(buf + from, 1, len - from, out) == len - from ? 0 : -1;
}

int
applog_tail(const char *path, size_t n, FILE *out, struct errbuf *e)
{
	char old[4096], *a = NULL, *b = NULL;
	size_t alen, blen, from_b, from_a, left = n;
	int rc = -1;

	snprintf(old, sizeof old, "%s.1", path);
	if (slurp(path, &b, &blen, e) == -1 || slurp(old, &a, &alen, e) == -1)
		goto out;
	from_b = from_a = 0;
	if (n > 0) {
		from_b = last_lines(b, blen, &left);
		from_a = left > 0 ? last_lines(a, alen, &left) : alen;
	}
	if (put(a, from_a, alen, out) == -1 ||
	    put(b, from_b, blen, out) == -1) {
		errf(e, "write:");
		goto out;
	}
	fflush(out);
	rc = 0;
out:
	free(a);
	free(b);
	return rc;
}

/* Copies what fd has left to out. */
static int
drain(int fd, FILE *out, const char *path, struct errbuf *e)
{
	char buf[8192];
	ssize_t r;

	while ((r = read(fd, buf, sizeof buf)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return errf(e, "read %s:", path);
		}
		if (fwrite(buf, 1, (size_t)r, out) != (size_t)r)
			return errf(e, "write:");
	}
	fflush(out);
	return 0;
}

static void
nap(void)
{
	struct timespec ts = {0, FOLLOW_MS * 1000000L};

	nanosleep(&ts, NULL);
}

int
applog_follow(const char *path, size_t n, FILE *out, const stopflag *stop,
    struct errbuf *e)
{
	struct stat a, b;
	int fd = -1, rc = -1;

	if (applog_tail(path, n, out, e) == -1)
		return -1;
	/* From the end as it was tailed: what comes after is new. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0 &&
	    lseek(fd, 0, SEEK_END) == -1)
		goto fail;
	while (!stopflag_is_set(stop)) {
		if (fd >= 0 && drain(fd, out, path, e) == -1)
			goto out;
		/* Rotated (or made): the rest of the old, then the new. */
		if (stat(path, &b) == 0 &&
		    (fd < 0 || fstat(fd, &a) == -1 || a.st_ino != b.st_ino)) {
			if (fd >= 0 && drain(fd, out, path, e) == -1)
				goto out;
			if (fd >= 0)
				close(fd);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
				goto fail;
			continue;
		}
		nap();
	}
	rc = 0;
	goto out;
fail:
	errf(e, "%s:", path);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
