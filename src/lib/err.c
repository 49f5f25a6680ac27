#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
err_oneline(char *buf, size_t size)
{
	char out[ERRBUF_MAX * 2];
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)buf; *p; p++) {
		char esc[5];
		size_t n;

		if (*p >= 0x20 && *p != 0x7f) {
			esc[0] = (char)*p;
			n = 1;
		} else if (*p == '\n' || *p == '\r' || *p == '\t') {
			esc[0] = '\\';
			esc[1] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
			n = 2;
		} else {
			snprintf(esc, sizeof esc, "\\x%02x", *p);
			n = 4;
		}
		if (o + n >= sizeof out || o + n >= size)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o] = '\0';
	memcpy(buf, out, o + 1);
}

void
err_warnf(err_warn_fn *warn, void *arg, const char *fmt, ...)
{
	char msg[ERRBUF_MAX];
	va_list ap;

	if (warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_oneline(msg, sizeof msg);
	warn(arg, msg);
}

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
	err_oneline(e->msg, sizeof e->msg);
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
	err_oneline(e->msg, sizeof e->msg);
	return -1;
}
