/* log.c - the Heroku build log conventions. */
#include "log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monotime.h"

/* Writes msg line by line, first prefixed with first, the others with rest;
 * one trailing newline is dropped so log_info(f, "done\n") is one line. */
static void
put_lines(FILE *f, const char *first, const char *rest, const char *msg)
{
	const char *p = msg, *nl, *prefix = first;
	size_t len = strlen(msg);

	if (len > 0 && msg[len - 1] == '\n')
		len--;
	for (;;) {
		nl = memchr(p, '\n', len - (size_t)(p - msg));
		fputs(prefix, f);
		if (nl == NULL) {
			fwrite(p, 1, len - (size_t)(p - msg), f);
			putc('\n', f);
			break;
		}
		fwrite(p, 1, (size_t)(nl - p) + 1, f);
		p = nl + 1;
		prefix = rest;
	}
	fflush(f);
}

static void
vlog(FILE *f, const char *first, const char *rest, const char *fmt, va_list ap)
{
	char small[1024], *msg = small;
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof small, fmt, ap);
	/* A long message (a compiler error quoted whole) gets a heap buffer;
	 * without memory it is shown truncated rather than not at all. */
	if (n >= (int)sizeof small && (msg = malloc((size_t)n + 1)) != NULL)
		vsnprintf(msg, (size_t)n + 1, fmt, ap2);
	else
		msg = small;
	va_end(ap2);
	if (n < 0)
		small[0] = '\0';
	put_lines(f, first, rest, msg);
	if (msg != small)
		free(msg);
}

void
log_topic(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(f, LOG_TOPIC, LOG_INDENT, fmt, ap);
	va_end(ap);
}

void
log_info(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(f, LOG_INDENT, LOG_INDENT, fmt, ap);
	va_end(ap);
}

void
log_warn(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(f, LOG_BANG, LOG_BANG, fmt, ap);
	va_end(ap);
}

void
log_error(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(f, LOG_BANG, LOG_BANG, fmt, ap);
	va_end(ap);
}

/* Writes buf without flushing; see log_stream_write. */
static void
stream_put(struct log_stream *ls, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *q;

	while (p < end) {
		if (ls->cr) {
			/* "\r\n" is a line end; a lone '\r' redraws the line,
			 * and the redrawn text needs its indent again. */
			ls->cr = false;
			if (*p == '\n') {
				if (!ls->midline)
					fputs(LOG_INDENT, ls->f);
				putc('\n', ls->f);
				ls->midline = false;
				p++;
				continue;
			}
			if (ls->midline) {
				putc('\r', ls->f);
				ls->midline = false;
			}
		}
		if (*p == '\r') {
			ls->cr = true;
			p++;
			continue;
		}
		if (!ls->midline) {
			fputs(LOG_INDENT, ls->f);
			ls->midline = true;
		}
		if (*p == '\n') {
			putc('\n', ls->f);
			ls->midline = false;
			p++;
			continue;
		}
		/* The run of ordinary bytes up to the next '\r' or '\n'. */
		for (q = p; q < end && *q != '\r' && *q != '\n'; q++)
			;
		fwrite(p, 1, (size_t)(q - p), ls->f);
		p = q;
	}
}

void
log_stream_write(struct log_stream *ls, const char *buf, size_t len)
{
	stream_put(ls, buf, len);
	fflush(ls->f);
}

void
log_stream_on_line(void *arg, int fd, const char *line, size_t len,
    bool complete)
{
	struct log_stream *ls = arg;

	if (ls->owner != 0 && ls->owner != fd)
		log_stream_finish(ls);
	stream_put(ls, line, len);
	if (complete)
		stream_put(ls, "\n", 1);
	ls->owner = complete ? 0 : fd;
	fflush(ls->f);
}

void
log_stream_finish(struct log_stream *ls)
{
	if (ls->cr) {
		/* A final '\r' ends the line as a '\n' would. */
		stream_put(ls, "\n", 1);
	} else if (ls->midline) {
		putc('\n', ls->f);
		ls->midline = false;
	}
	ls->owner = 0;
	fflush(ls->f);
}

char *
log_format_bytes(char *buf, size_t size, uint64_t n)
{
	static const char *const units[] = {"KB", "MB", "GB", "TB", "PB", "EB"};
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(buf, size, "%" PRIu64 " B", n);
		return buf;
	}
	v /= 1024;
	/* Move up a unit when rounding to one decimal would print 1024.0. */
	while (v >= 1023.95 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

char *
log_format_progress(char *buf, size_t size, const char *verb, uint64_t done,
    uint64_t total)
{
	char d[32], t[32];
	uint64_t pct;

	log_format_bytes(d, sizeof d, done);
	if (total == 0) {
		snprintf(buf, size, "%s %s", verb, d);
		return buf;
	}
	log_format_bytes(t, sizeof t, total);
	/* done * 100 would overflow only past 180 PB; divide first there. */
	pct = done > UINT64_MAX / 100 ? done / (total / 100 + 1)
				      : done * 100 / total;
	if (pct > 100)
		pct = 100;
	snprintf(buf, size, "%s %s of %s (%" PRIu64 "%%)", verb, d, t, pct);
	return buf;
}

void
log_progress_start(struct log_progress *p, FILE *f, const char *verb)
{
	int fd = fileno(f);

	memset(p, 0, sizeof *p);
	p->f = f;
	p->verb = verb;
	p->tty = fd >= 0 && isatty(fd);
	p->interval_ms = LOG_PROGRESS_INTERVAL_MS;
	p->next_ms = -1; /* armed by the first update */
}

/* Prints the current figures: a line of its own, or a redraw. */
static void
progress_draw(struct log_progress *p, bool final)
{
	char line[128];
	size_t len;

	log_format_progress(line, sizeof line, p->verb, p->done, p->total);
	len = strlen(line);
	if (p->tty) {
		/* Blank what a longer previous line left behind. */
		fprintf(p->f, "\r" LOG_INDENT "%s%*s", line,
		    p->width > len ? (int)(p->width - len) : 0, "");
		p->width = len;
		if (final)
			putc('\n', p->f);
	} else
		fprintf(p->f, LOG_INDENT "%s\n", line);
	fflush(p->f);
	p->shown = true;
}

void
log_progress_update(struct log_progress *p, uint64_t done, uint64_t total)
{
	int64_t now = monotime_ms();
	int step = p->tty ? LOG_PROGRESS_TTY_MS : p->interval_ms;

	p->done = done;
	p->total = total;
	if (step < 0)
		step = 0;
	if (p->next_ms < 0) {
		p->next_ms = now + step;
		return;
	}
	if (now < p->next_ms)
		return;
	progress_draw(p, false);
	p->next_ms = now + step;
}

void
log_progress_end(struct log_progress *p)
{
	if (p->shown)
		progress_draw(p, true);
}
