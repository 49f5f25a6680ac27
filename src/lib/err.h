/* err.h - the error buffer every library function fills on failure.
 *
 * Library code never prints and never exits: a function that can fail takes
 * a `struct errbuf *` owned by the caller, returns -1 (or NULL) and leaves a
 * one-line message naming what failed (file, line, URL, archive entry).  Only
 * a program's main prints it. */
#ifndef SLUGC_ERR_H
#define SLUGC_ERR_H

#include <stddef.h>

#define ERRBUF_MAX 1024

struct errbuf {
	char msg[ERRBUF_MAX];
};

/* Formats a message into e and returns -1, so callers can write
 * `return errf(e, "open %s:", path);`.  A format ending in ':' gets
 * " strerror(errno)" appended (errno is read before formatting).  A NULL e
 * is allowed and ignored.  The message is made one line (err_oneline). */
int errf(struct errbuf *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefixes the existing message with "fmt: ", for adding context on the way
 * up ("compile: " + "fetch http://...: 404").  Returns -1. */
int errprefix(struct errbuf *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Receives one warning line (no trailing newline), valid during the call;
 * the caller decides where it goes (stderr, the build log). */
typedef void err_warn_fn(void *arg, const char *msg);

/* Formats a warning, makes it one line (see err_oneline) and passes it to
 * warn; does nothing when warn is NULL. */
void err_warnf(err_warn_fn *warn, void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Rewrites the NUL-terminated message in buf (of size bytes) so it is one
 * line: control characters become \n, \r, \t or \xNN escapes, cutting
 * the message if it no longer fits.  Messages quote names that come from
 * users (a config var, a process type, an archive entry); a newline in one
 * must never forge a line of the build log.  Backslashes and UTF-8 are
 * kept, so a name already quoted with err_printable is not escaped twice.
 * errf, errprefix and err_warnf do this already. */
void err_oneline(char *buf, size_t size);

/* Copies at most n bytes of the untrusted text src (fewer if a NUL comes
 * first) into dst, which holds dsz bytes, NUL-terminated, for quoting in a
 * message: printable ASCII and space are kept, every other byte and the
 * backslash become \xNN.  The result is one line, cannot drive a terminal,
 * and reads back unambiguously (unlike '?', which hides which byte it was).
 * Text that does not fit is cut between escapes and ends with "..." (when
 * dsz is at least 4), so dsz is also the caller's length cap.  Writes
 * nothing when dsz is 0.  dst and src must not overlap. */
void err_printable(char *dst, size_t dsz, const char *src, size_t n);

/* err_printable for a name (file, config var, archive entry) where a space
 * is itself worth seeing: it becomes \x20 too, so "A B" and "A " show. */
void err_printable_name(char *dst, size_t dsz, const char *name);

#endif
