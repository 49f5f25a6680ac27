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
 * is allowed and ignored. */
int errf(struct errbuf *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefixes the existing message with "fmt: ", for adding context on the way
 * up ("compile: " + "fetch http://...: 404").  Returns -1. */
int errprefix(struct errbuf *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
