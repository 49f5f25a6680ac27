/* applog.h - an app's log, as `heroku logs` shows it: one line per event,
 *
 *     2026-12-06T02:03:04.123456+00:00 app[web.1]: text
 *
 * the process's own lines under its dyno's name, the supervisor's under
 * app[slugc].  The log is bounded: once a line would take it past its
 * size, it is renamed PATH.1 (replacing an older one) and a new PATH is
 * begun, so at most twice the size is kept.  Lines are appended with one
 * write(2) each (O_APPEND), so readers never see half of one.  Nothing
 * here prints but to the FILE the caller gives. */
#ifndef SLUGC_APPLOG_H
#define SLUGC_APPLOG_H

#include <stdio.h>
#include <sys/types.h>

#include "err.h"
#include "stopflag.h"

#define APPLOG_MAX (1024 * 1024) /* bytes before rotation */
#define APPLOG_LINE_MAX 8192	 /* a longer text is cut */

struct applog {
	char *path;
	int fd;
	off_t size, max;
};

/* Opens (creating, 0600) the log at path for appending; max 0 means
 * APPLOG_MAX.  Returns 0, or -1 with e filled.  applog_close it. */
int applog_open(struct applog *l, const char *path, off_t max,
    struct errbuf *e);
void applog_close(struct applog *l);

/* Appends one line: the time now, "app[source]: ", text (len bytes; a
 * newline in it ends it, and it is cut at APPLOG_LINE_MAX).  Rotates
 * first when the line would not fit.  Returns 0 or -1 with e filled. */
int applog_write(struct applog *l, const char *source, const char *text,
    size_t len, struct errbuf *e);
int applog_printf(struct applog *l, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes the last n lines of the log at path (PATH.1's, then PATH's) to
 * out.  No log yet is nothing.  Returns 0 or -1 with e filled. */
int applog_tail(const char *path, size_t n, FILE *out, struct errbuf *e);

/* applog_tail, then every line appended after, as it comes (across
 * rotations), until stop is set.  Returns 0 once stopped, or -1 with e
 * filled. */
int applog_follow(const char *path, size_t n, FILE *out, const stopflag *stop,
    struct errbuf *e);

#endif
