#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
errf(struct errbuf *e, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t len, flen;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	flen = strlen(fmt);
	if (flen > 0 && fmt[flen - 1] == ':') {
		len = strlen(e->msg);
		snprintf(e->msg + len, sizeof e->msg - len, " %s",
		    strerror(saved));
	}
	errno = saved;
	return -1;
}

int
errprefix(struct errbuf *e, const char *fmt, ...)
{
	char prefix[ERRBUF_MAX], old[ERRBUF_MAX];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof old);
	/* A message too long for the buffer is cut, which is fine for a
	 * one-line diagnostic. */
	if (snprintf(e->msg, sizeof e->msg, "%s: %s", prefix, old) >=
	    (int)sizeof e->msg)
		e->msg[sizeof e->msg - 1] = '\0';
	return -1;
}
