#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Which bytes an escaper keeps as they are.  ESC_LINE is err_oneline's:
 * it runs over whole messages that may already quote escaped names, so it
 * leaves the backslash (and UTF-8) alone and only breaks control bytes.
 * ESC_TEXT and ESC_NAME quote one untrusted string, so they escape the
 * backslash too, which makes every \xNN in their output mean one byte. */
enum esc_mode {
	ESC_LINE, /* control bytes as \n, \r, \t or \xNN; others kept */
	ESC_TEXT, /* printable ASCII and space kept; others and '\' \xNN */
	ESC_NAME  /* as ESC_TEXT, and space as \x20 */
};

/* Whether mode m shows byte c as it is. */
static inline bool
esc_keeps(unsigned char c, enum esc_mode m)
{
	if (m == ESC_LINE)
		return c >= 0x20 && c != 0x7f;
	return c >= (m == ESC_NAME ? 0x21 : 0x20) && c < 0x7f && c != '\\';
}

/* Writes the escape of byte c (one esc_keeps refuses) into out; returns
 * its length, 2 or 4. */
static size_t
esc_byte(unsigned char c, enum esc_mode m, char out[4])
{
	static const char hex[] = "0123456789abcdef";

	out[0] = '\\';
	if (m == ESC_LINE && (c == '\n' || c == '\r' || c == '\t')) {
		out[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		return 2;
	}
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 0xf];
	return 4;
}

/* Escapes at most n bytes of src (fewer if a NUL comes first) into dst of
 * dsz > 0 bytes, NUL-terminated.  What does not fit is cut at an escape
 * boundary, followed by "..." when mark is set and dsz is at least 4.
 * Returns the length written. */
static size_t
escape(char *dst, size_t dsz, const char *src, size_t n, enum esc_mode m,
    bool mark)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t i, o = 0, room = 0, len;
	char esc[4];

	for (i = 0; i < n && p[i] != '\0'; i++) {
		if (o + 4 <= dsz)
			room = o; /* the last cut that leaves room for "..." */
		if (esc_keeps(p[i], m)) {
			if (o + 1 >= dsz)
				goto cut;
			dst[o++] = (char)p[i];
			continue;
		}
		len = esc_byte(p[i], m, esc);
		if (o + len >= dsz)
			goto cut;
		memcpy(dst + o, esc, len);
		o += len;
	}
	dst[o] = '\0';
	return o;
cut:
	if (mark && dsz >= 4) {
		memcpy(dst + room, "...", 3);
		o = room + 3;
	}
	dst[o] = '\0';
	return o;
}

void
err_printable(char *dst, size_t dsz, const char *src, size_t n)
{
	if (dsz > 0)
		escape(dst, dsz, src, n, ESC_TEXT, true);
}

void
err_printable_name(char *dst, size_t dsz, const char *name)
{
	if (dsz > 0)
		escape(dst, dsz, name, SIZE_MAX, ESC_NAME, true);
}

void
err_oneline(char *buf, size_t size)
{
	char out[ERRBUF_MAX * 2];
	size_t i = 0, o;

	if (size == 0)
		return;
	/* Most messages hold nothing to escape: leave the clean prefix in
	 * place and rewrite only from the first control byte on. */
	while (i + 1 < size && buf[i] != '\0' &&
	    esc_keeps((unsigned char)buf[i], ESC_LINE))
		i++;
	if (i + 1 == size || buf[i] == '\0') {
		buf[i] = '\0';
		return;
	}
	o = escape(out, size - i < sizeof out ? size - i : sizeof out, buf + i,
	    SIZE_MAX, ESC_LINE, false);
	memcpy(buf + i, out, o + 1);
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
