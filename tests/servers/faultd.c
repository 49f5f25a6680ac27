/* faultd - an HTTP/1.1 file server for the tests, with fault injection.
 *
 *	faultd -d ROOT [-p PORT] [-P PORTFILE] [-l LOGFILE]
 *
 * Serves the regular files under ROOT on 127.0.0.1 (GET and HEAD, ETag,
 * Last-Modified, single-range requests, If-Range, If-None-Match) until
 * SIGTERM or SIGINT, then exits 0.  A request whose path starts with
 * /_fault/SPEC/ has the faults in SPEC applied to the file named by the rest
 * of the path; see tests/servers/README.md for the list.  GET /_stats answers
 * "requests N\n".  Every other request is appended to LOGFILE as
 * "METHOD TARGET RANGE-or-- STATUS" before its body is sent, so a client that
 * has seen the headers can count on the line being there.
 *
 * One detached thread per connection.  Shutdown is orderly so that ASan's
 * leak check has nothing to report: the main thread shuts down every live
 * socket, wakes every sleeper through the stop pipe and waits for the
 * threads to finish. */
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define REQ_MAX 16384	/* request head, bytes */
#define BUF_SIZE 65536	/* body chunk */
#define IDLE_MS 60000	/* keep-alive idle timeout */
#define STALL_MS 600000 /* a stalled answer gives up after this */
#define URL_MAX 2048

struct counter {
	struct counter *next;
	long n;
	char key[];
};

struct conn;

struct server {
	const char *root;
	int logfd;   /* -1: no log */
	int stop[2]; /* pipe; the write end closes at shutdown */
	pthread_mutex_t mu;
	pthread_cond_t idle;	  /* signalled when conns becomes empty */
	struct conn *conns;	  /* live connections */
	struct counter *counters; /* fail-first, per request target */
	long requests;		  /* served, not counting /_stats */
};

struct conn {
	struct conn *next, *prev;
	struct server *srv;
	int fd;
};

/* What SPEC asked for; -1 (or 0, for flags and strings) means "not set". */
struct fault {
	int status;
	char retry_after[64];
	long fail_first;
	long long drop_after;
	long long stall_after;
	long long reset_after;
	bool no_range;
	bool bad_range;
	bool endless;
	char etag[256];
	char redirect[URL_MAX];
	long long rate;
	long delay_ms;
};

struct request {
	char method[16];
	char target[URL_MAX]; /* as sent, query included */
	char range[128];
	char if_range[256];
	char if_none_match[256];
	bool keepalive;
	bool has_body;
};

/* How a body ends when it is cut short. */
enum cut {
	CUT_NONE,
	CUT_DROP,  /* close after N bytes */
	CUT_RESET, /* RST after N bytes */
	CUT_STALL, /* keep the socket open, send nothing more */
};

static const char *progname = "faultd";

static void
usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "%s: %s\n", progname, why);
	fprintf(stderr,
	    "usage: %s -d ROOT [-p PORT] [-P PORTFILE] [-l LOGFILE]\n",
	    progname);
	exit(2);
}

static void
die(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;
	size_t n = strlen(fmt);

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (n > 0 && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
	exit(1);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms milliseconds unless the server is stopping.  Returns -1 when it
 * is, so the caller gives up on the connection. */
static int
nap(struct server *srv, long ms)
{
	struct pollfd p = {.fd = srv->stop[0], .events = POLLIN};
	int64_t end = now_ms() + ms;
	int64_t left;

	while ((left = end - now_ms()) > 0) {
		int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0)
			return -1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

/* Like nap(), but also gives up (-1) as soon as the client hangs up, so a
 * client that timed out is logged when it leaves, not minutes later. */
static int
nap_client(struct server *srv, int fd, long ms)
{
	struct pollfd p[2] = {
	    {.fd = fd, .events = POLLRDHUP},
	    {.fd = srv->stop[0], .events = POLLIN},
	};
	int64_t end = now_ms() + ms;
	int64_t left;

	while ((left = end - now_ms()) > 0) {
		int r = poll(p, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0)
			return -1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

/* Waits until fd is readable, the server stops or ms pass.  Returns 1 if
 * readable, 0 on timeout, -1 if stopping. */
static int
wait_readable(struct server *srv, int fd, int ms)
{
	struct pollfd p[2] = {
	    {.fd = fd, .events = POLLIN},
	    {.fd = srv->stop[0], .events = POLLIN},
	};
	int r;

	do
		r = poll(p, 2, ms);
	while (r < 0 && errno == EINTR);
	if (r < 0 || p[1].revents != 0)
		return -1;
	return r == 0 ? 0 : 1;
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes src[0..n) into dst (size dsz).  Refuses bad escapes,
 * NUL bytes and results that do not fit. */
static int
pct_decode(char *dst, size_t dsz, const char *src, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)src[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return -1;
			hi = hexval((unsigned char)src[i + 1]);
			lo = hexval((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0 || o + 1 >= dsz)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

static int
parse_num(const char *s, long long max, long long *out)
{
	char *end;
	long long v;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static void
fault_init(struct fault *f)
{
	memset(f, 0, sizeof(*f));
	f->fail_first = -1;
	f->drop_after = -1;
	f->stall_after = -1;
	f->reset_after = -1;
	f->delay_ms = -1;
}

/* Parses SPEC (spec[0..n), still percent-encoded) into f.  On error, writes
 * the reason to why. */
static int
fault_parse(struct fault *f, const char *spec, size_t n, char *why,
    size_t whysz)
{
	char item[URL_MAX], val[URL_MAX];
	const char *p = spec, *end = spec + n;

	fault_init(f);
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma != NULL ? comma : end;
		size_t len = (size_t)(e - p);
		char *eq;
		long long v;

		if (len == 0 || len >= sizeof(item)) {
			snprintf(why, whysz, "empty or oversized item");
			return -1;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		p = comma != NULL ? comma + 1 : end;

		val[0] = '\0';
		if ((eq = strchr(item, '=')) != NULL) {
			*eq = '\0';
			if (pct_decode(val, sizeof(val), eq + 1,
				strlen(eq + 1)) == -1) {
				snprintf(why, whysz, "bad escape in %.64s",
				    item);
				return -1;
			}
		}

#define NEEDNUM(max)                                                           \
	do {                                                                   \
		if (eq == NULL || parse_num(val, (max), &v) == -1) {           \
			snprintf(why, whysz, "%.64s wants a number", item);    \
			return -1;                                             \
		}                                                              \
	} while (0)
#define NOVAL()                                                                \
	do {                                                                   \
		if (eq != NULL) {                                              \
			snprintf(why, whysz, "%.64s takes no value", item);    \
			return -1;                                             \
		}                                                              \
	} while (0)

		if (strcmp(item, "status") == 0) {
			NEEDNUM(999);
			if (v < 100) {
				snprintf(why, whysz, "status out of range");
				return -1;
			}
			f->status = (int)v;
		} else if (strcmp(item, "retry-after") == 0) {
			if (eq == NULL || val[0] == '\0' ||
			    strlen(val) >= sizeof(f->retry_after) ||
			    strpbrk(val, "\r\n") != NULL) {
				snprintf(why, whysz, "bad retry-after");
				return -1;
			}
			strcpy(f->retry_after, val);
		} else if (strcmp(item, "fail-first") == 0) {
			NEEDNUM(LONG_MAX);
			f->fail_first = (long)v;
		} else if (strcmp(item, "drop-after") == 0) {
			NEEDNUM(LLONG_MAX);
			f->drop_after = v;
		} else if (strcmp(item, "stall-after") == 0) {
			NEEDNUM(LLONG_MAX);
			f->stall_after = v;
		} else if (strcmp(item, "reset-after") == 0) {
			NEEDNUM(LLONG_MAX);
			f->reset_after = v;
		} else if (strcmp(item, "no-range") == 0) {
			NOVAL();
			f->no_range = true;
		} else if (strcmp(item, "bad-range") == 0) {
			NOVAL();
			f->bad_range = true;
		} else if (strcmp(item, "endless") == 0) {
			NOVAL();
			f->endless = true;
		} else if (strcmp(item, "etag") == 0) {
			if (eq == NULL || val[0] == '\0' ||
			    strlen(val) + 3 > sizeof(f->etag) ||
			    strpbrk(val, "\r\n") != NULL) {
				snprintf(why, whysz, "bad etag");
				return -1;
			}
			/* Quote a bare value; keep "x" and W/"x" as given. */
			if (val[0] == '"' || strncmp(val, "W/", 2) == 0)
				snprintf(f->etag, sizeof(f->etag), "%.250s",
				    val);
			else
				snprintf(f->etag, sizeof(f->etag), "\"%.250s\"",
				    val);
		} else if (strcmp(item, "redirect") == 0) {
			if (eq == NULL || val[0] == '\0' ||
			    strpbrk(val, "\r\n") != NULL) {
				snprintf(why, whysz, "bad redirect");
				return -1;
			}
			snprintf(f->redirect, sizeof(f->redirect), "%s", val);
		} else if (strcmp(item, "rate") == 0) {
			NEEDNUM(LLONG_MAX);
			if (v == 0) {
				snprintf(why, whysz, "rate must be > 0");
				return -1;
			}
			f->rate = v;
		} else if (strcmp(item, "delay-ms") == 0) {
			NEEDNUM(LONG_MAX);
			f->delay_ms = (long)v;
		} else {
			snprintf(why, whysz, "unknown fault %.64s", item);
			return -1;
		}
#undef NEEDNUM
#undef NOVAL
	}
	return 0;
}

/* Which cut SPEC asked for (drop, then reset, then stall wins), and after
 * how many body bytes. */
static enum cut
fault_cut(const struct fault *f, long long *limit)
{
	if (f->drop_after >= 0) {
		*limit = f->drop_after;
		return CUT_DROP;
	}
	if (f->reset_after >= 0) {
		*limit = f->reset_after;
		return CUT_RESET;
	}
	if (f->stall_after >= 0) {
		*limit = f->stall_after;
		return CUT_STALL;
	}
	*limit = -1;
	return CUT_NONE;
}

/* Counts one more request for target and returns the new count. */
static long
count_target(struct server *srv, const char *target)
{
	struct counter *c;
	long n = 1;

	pthread_mutex_lock(&srv->mu);
	for (c = srv->counters; c != NULL; c = c->next)
		if (strcmp(c->key, target) == 0)
			break;
	if (c != NULL)
		n = ++c->n;
	else if ((c = malloc(sizeof(*c) + strlen(target) + 1)) != NULL) {
		strcpy(c->key, target);
		c->n = 1;
		c->next = srv->counters;
		srv->counters = c;
	}
	pthread_mutex_unlock(&srv->mu);
	return n;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 206:
		return "Partial Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 304:
		return "Not Modified";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 410:
		return "Gone";
	case 416:
		return "Range Not Satisfiable";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "Status";
	}
}

static void
http_date(char *buf, size_t n, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	/* No setlocale() anywhere, so %a and %b are the C locale's. */
	strftime(buf, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Appends one line to the log and counts the request.  Called once the
 * status is known and before any body byte goes out. */
static void
log_request(struct server *srv, const struct request *rq, int status)
{
	char line[URL_MAX + 256], range[sizeof(rq->range)];

	snprintf(range, sizeof(range), "%s", rq->range[0] ? rq->range : "-");
	for (char *p = range; *p; p++)
		if (isspace((unsigned char)*p))
			*p = '_';
	pthread_mutex_lock(&srv->mu);
	srv->requests++;
	pthread_mutex_unlock(&srv->mu);
	if (srv->logfd >= 0) {
		int n = snprintf(line, sizeof(line), "%s %s %s %d\n",
		    rq->method[0] ? rq->method : "-",
		    rq->target[0] ? rq->target : "-", range, status);
		if (n > 0 && (size_t)n < sizeof(line)) {
			/* One write on an O_APPEND fd: lines never mix. */
			if (write(srv->logfd, line, (size_t)n) != n)
				fprintf(stderr, "%s: log write failed\n",
				    progname);
		}
	}
}

/* Sends a status line and headers.  extra holds complete header lines.
 * clen < 0 sends no Content-Length.  Returns -1 if the peer is gone. */
static int
send_head(int fd, int status, long long clen, const char *extra, bool keepalive)
{
	char head[8192], date[64], cl[64] = "";
	int n;

	http_date(date, sizeof(date), time(NULL));
	if (clen >= 0)
		snprintf(cl, sizeof(cl), "Content-Length: %lld\r\n", clen);
	n = snprintf(head, sizeof(head),
	    "HTTP/1.1 %d %s\r\nServer: faultd\r\nDate: %s\r\n%s%s"
	    "Connection: %s\r\n\r\n",
	    status, reason(status), date, cl, extra,
	    keepalive ? "keep-alive" : "close");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	return send_all(fd, head, (size_t)n);
}

/* A small text answer (errors, redirects, faults, /_stats). */
static int
send_text(struct server *srv, int fd, const struct request *rq, int status,
    const char *extra, const char *body, bool keepalive)
{
	char hdr[4096];
	bool headonly = strcmp(rq->method, "HEAD") == 0 || status == 204 ||
	    status == 304 || status < 200;
	size_t blen = strlen(body);

	snprintf(hdr, sizeof(hdr), "Content-Type: text/plain\r\n%s", extra);
	log_request(srv, rq, status);
	if (send_head(fd, status,
		status == 304 || status == 204 ? -1 : (long long)blen, hdr,
		keepalive) == -1)
		return -1;
	if (!headonly && send_all(fd, body, blen) == -1)
		return -1;
	return keepalive ? 0 : -1;
}

/* Reads the next request head into buf (which may already hold *have bytes
 * of it).  Returns the head's length including the blank line, 0 if the peer
 * closed or idled out between requests, -1 on error, -2 if too large. */
static ssize_t
read_head(struct server *srv, int fd, char *buf, size_t *have)
{
	for (;;) {
		char *end;
		ssize_t r;
		int w;

		buf[*have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			return end + 4 - buf;
		if (*have >= REQ_MAX)
			return -2;
		if ((w = wait_readable(srv, fd, IDLE_MS)) <= 0)
			return w == 0 ? 0 : -1;
		r = recv(fd, buf + *have, REQ_MAX - *have, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 && *have == 0 ? 0 : -1;
		*have += (size_t)r;
	}
}

static void
copy_value(char *dst, size_t n, const char *v)
{
	while (*v == ' ' || *v == '\t')
		v++;
	snprintf(dst, n, "%s", v);
	for (size_t l = strlen(dst);
	     l > 0 && (dst[l - 1] == ' ' || dst[l - 1] == '\t'); l--)
		dst[l - 1] = '\0';
}

/* Parses the head in buf (NUL-terminated lines with CRLF).  Returns 0, or
 * -1 for a malformed request (rq->method/target may be partly set). */
static int
parse_head(char *buf, struct request *rq)
{
	char *line, *save = NULL, *sp1, *sp2, *version;
	bool http11;

	memset(rq, 0, sizeof(*rq));
	if ((line = strtok_r(buf, "\r\n", &save)) == NULL)
		return -1;
	if ((sp1 = strchr(line, ' ')) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL)
		return -1;
	*sp1 = *sp2 = '\0';
	version = sp2 + 1;
	if ((size_t)(sp1 - line) >= sizeof(rq->method) ||
	    strlen(sp1 + 1) >= sizeof(rq->target))
		return -1;
	strcpy(rq->method, line);
	strcpy(rq->target, sp1 + 1);
	if (strncmp(version, "HTTP/1.", 7) != 0)
		return -1;
	http11 = strcmp(version, "HTTP/1.1") == 0;
	rq->keepalive = http11;
	if (rq->target[0] != '/')
		return -1;

	while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
		char *colon = strchr(line, ':');
		const char *v;

		if (colon == NULL)
			return -1;
		*colon = '\0';
		v = colon + 1;
		if (strcasecmp(line, "Range") == 0)
			copy_value(rq->range, sizeof(rq->range), v);
		else if (strcasecmp(line, "If-Range") == 0)
			copy_value(rq->if_range, sizeof(rq->if_range), v);
		else if (strcasecmp(line, "If-None-Match") == 0)
			copy_value(rq->if_none_match, sizeof(rq->if_none_match),
			    v);
		else if (strcasecmp(line, "Connection") == 0) {
			if (strcasestr(v, "close") != NULL)
				rq->keepalive = false;
			else if (strcasestr(v, "keep-alive") != NULL)
				rq->keepalive = true;
		} else if (strcasecmp(line, "Transfer-Encoding") == 0)
			rq->has_body = true;
		else if (strcasecmp(line, "Content-Length") == 0) {
			char cl[32];
			copy_value(cl, sizeof(cl), v);
			if (strcmp(cl, "0") != 0)
				rq->has_body = true;
		}
	}
	return 0;
}

/* Parses a single "bytes=" range against size.  Returns 1 with [*from,*to]
 * set, 0 to ignore the header (absent, multiple ranges or malformed, as
 * RFC 9110 allows), -1 if unsatisfiable. */
static int
parse_range(const char *h, long long size, long long *from, long long *to)
{
	const char *dash;
	char a[32], b[32];
	long long x, y;
	size_t la;

	if (h[0] == '\0' || strncasecmp(h, "bytes=", 6) != 0 ||
	    strchr(h, ',') != NULL)
		return 0;
	h += 6;
	if ((dash = strchr(h, '-')) == NULL)
		return 0;
	la = (size_t)(dash - h);
	if (la >= sizeof(a) || strlen(dash + 1) >= sizeof(b))
		return 0;
	memcpy(a, h, la);
	a[la] = '\0';
	strcpy(b, dash + 1);
	if (a[0] == '\0') {
		/* bytes=-N: the last N bytes. */
		if (parse_num(b, LLONG_MAX, &y) == -1)
			return 0;
		if (y == 0 || size == 0)
			return -1;
		*from = y >= size ? 0 : size - y;
		*to = size - 1;
		return 1;
	}
	if (parse_num(a, LLONG_MAX, &x) == -1)
		return 0;
	if (b[0] == '\0')
		y = size - 1;
	else if (parse_num(b, LLONG_MAX, &y) == -1 || y < x)
		return 0;
	if (x >= size)
		return -1;
	*from = x;
	*to = y >= size ? size - 1 : y;
	return 1;
}

/* Sends len bytes of the file from off (or, with file < 0, an endless
 * pattern), cut after `limit` bytes the way `cut` says, at most `rate` bytes
 * a second.  Returns 0 when the whole body went out and the connection can
 * be reused, -1 otherwise. */
static int
send_body(struct server *srv, int fd, int file, long long off, long long len,
    long long limit, enum cut cut, long long rate)
{
	static const char pattern[] = "faultd endless body\n";
	const size_t plen = sizeof(pattern) - 1;
	char *buf;
	long long sent = 0, chunk = BUF_SIZE;
	int64_t start = now_ms();
	int ret = -1;

	/* Room for a chunk that starts anywhere in the pattern's period. */
	if ((buf = malloc(BUF_SIZE + plen)) == NULL)
		return -1;
	if (file < 0)
		for (size_t i = 0; i < BUF_SIZE + plen; i++)
			buf[i] = pattern[i % plen];
	if (rate > 0) {
		/* About ten writes a second keeps the pace smooth. */
		chunk = rate / 10;
		if (chunk < 1)
			chunk = 1;
		if (chunk > BUF_SIZE)
			chunk = BUF_SIZE;
	}

	for (;;) {
		long long n = chunk;
		const char *p = buf;

		if (len >= 0 && sent >= len)
			break;
		if (cut != CUT_NONE && sent >= limit)
			break;
		if (len >= 0 && n > len - sent)
			n = len - sent;
		if (cut != CUT_NONE && n > limit - sent)
			n = limit - sent;
		if (file >= 0) {
			ssize_t r = pread(file, buf, (size_t)n, off + sent);
			if (r <= 0)
				goto out; /* the file shrank: give up */
			n = r;
		} else
			p = buf + sent % (long long)plen;
		if (send_all(fd, p, (size_t)n) == -1)
			goto out;
		sent += n;
		if (rate > 0) {
			int64_t due = start + sent * 1000 / rate;
			int64_t wait = due - now_ms();
			if (wait > 0 && nap(srv, (long)wait) == -1)
				goto out;
		}
	}

	switch (cut) {
	case CUT_NONE:
		ret = 0;
		break;
	case CUT_DROP:
		break;
	case CUT_RESET: {
		/* Linger 0 turns close() into a RST. */
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		break;
	}
	case CUT_STALL: {
		/* Say nothing more; read and discard until the peer goes. */
		int64_t end = now_ms() + STALL_MS;
		while (now_ms() < end) {
			int w = wait_readable(srv, fd, 1000);
			if (w < 0)
				break;
			if (w > 0 && recv(fd, buf, BUF_SIZE, 0) <= 0)
				break;
		}
		break;
	}
	}
out:
	free(buf);
	return ret;
}

/* Serves one request.  Returns 0 to keep the connection, -1 to close it. */
static int
serve(struct server *srv, int fd, struct request *rq)
{
	struct fault f;
	char why[256], extra[4096], path[PATH_MAX], rel[URL_MAX];
	char etag[256], lastmod[64], date_ra[128] = "";
	const char *realpath_enc, *q;
	size_t plen;
	struct stat st;
	int file = -1, status, ret = -1, r;
	long long from = 0, to = -1, len, limit = -1;
	enum cut cut = CUT_NONE;
	bool keep = rq->keepalive && !rq->has_body;
	bool head = strcmp(rq->method, "HEAD") == 0;

	if (strcmp(rq->method, "GET") != 0 && !head)
		return send_text(srv, fd, rq, 405, "Allow: GET, HEAD\r\n",
		    "faultd: only GET and HEAD\n", false);

	q = strchr(rq->target, '?');
	plen = q != NULL ? (size_t)(q - rq->target) : strlen(rq->target);

	if (plen == 7 && strncmp(rq->target, "/_stats", 7) == 0) {
		char body[64];
		long n;
		pthread_mutex_lock(&srv->mu);
		n = srv->requests;
		pthread_mutex_unlock(&srv->mu);
		snprintf(body, sizeof(body), "requests %ld\n", n);
		/* Not counted, not logged: send it by hand. */
		if (send_head(fd, 200, (long long)strlen(body),
			"Content-Type: text/plain\r\nCache-Control: "
			"no-store\r\n",
			keep) == -1)
			return -1;
		if (!head && send_all(fd, body, strlen(body)) == -1)
			return -1;
		return keep ? 0 : -1;
	}

	fault_init(&f);
	realpath_enc = rq->target;
	if (plen >= 8 && strncmp(rq->target, "/_fault/", 8) == 0) {
		const char *spec = rq->target + 8;
		const char *slash = memchr(spec, '/', plen - 8);
		if (slash == NULL)
			return send_text(srv, fd, rq, 400, "",
			    "faultd: /_fault/SPEC/path wants a path\n", keep);
		if (fault_parse(&f, spec, (size_t)(slash - spec), why,
			sizeof(why)) == -1) {
			char body[512];
			snprintf(body, sizeof(body), "faultd: %s\n", why);
			return send_text(srv, fd, rq, 400, "", body, keep);
		}
		realpath_enc = slash;
		plen -= (size_t)(slash - rq->target);
		/* fail-first=K: the first K requests for this target get the
		 * faults, later ones are served normally. */
		if (count_target(srv, rq->target) > f.fail_first &&
		    f.fail_first >= 0)
			fault_init(&f);
	}

	if (f.delay_ms > 0 && nap_client(srv, fd, f.delay_ms) == -1) {
		/* Gone before the answer: nginx's "client closed request". */
		log_request(srv, rq, 499);
		return -1;
	}

	extra[0] = '\0';
	if (f.retry_after[0] != '\0')
		snprintf(date_ra, sizeof(date_ra), "Retry-After: %s\r\n",
		    f.retry_after);
	if (f.redirect[0] != '\0') {
		snprintf(extra, sizeof(extra), "Location: %s\r\n%s", f.redirect,
		    date_ra);
		return send_text(srv, fd, rq,
		    f.status >= 300 && f.status < 400 ? f.status : 302, extra,
		    "faultd: redirect\n", keep);
	}
	if (f.status != 0) {
		char body[64];
		snprintf(body, sizeof(body), "faultd: status %d\n", f.status);
		return send_text(srv, fd, rq, f.status, date_ra, body, keep);
	}

	if (f.endless) {
		/* No length: the body ends when the connection does. */
		cut = fault_cut(&f, &limit);
		log_request(srv, rq, 200);
		if (send_head(fd, 200, -1,
			"Content-Type: "
			"application/octet-stream\r\n",
			false) == -1 ||
		    head)
			return -1;
		send_body(srv, fd, -1, 0, -1, limit, cut, f.rate);
		return -1;
	}

	/* The file: decode, refuse "..", open under root. */
	if (pct_decode(rel, sizeof(rel), realpath_enc, plen) == -1)
		return send_text(srv, fd, rq, 400, "",
		    "faultd: bad path encoding\n", keep);
	for (const char *s = rel; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return send_text(srv, fd, rq, 403, "",
			    "faultd: .. refused\n", keep);
		s += n;
		while (*s == '/')
			s++;
	}
	r = snprintf(path, sizeof(path), "%s%s", srv->root, rel);
	if (r < 0 || (size_t)r >= sizeof(path))
		return send_text(srv, fd, rq, 404, "", "faultd: not found\n",
		    keep);
	if ((file = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		bool denied = errno == EACCES;
		return send_text(srv, fd, rq, denied ? 403 : 404, "",
		    denied ? "faultd: permission denied\n"
			   : "faultd: not found\n",
		    keep);
	}
	if (fstat(file, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(file);
		return send_text(srv, fd, rq, 404, "",
		    "faultd: not a regular file\n", keep);
	}

	if (f.etag[0] != '\0')
		snprintf(etag, sizeof(etag), "%s", f.etag);
	else
		snprintf(etag, sizeof(etag), "\"%llx-%llx-%lx\"",
		    (long long)st.st_size, (long long)st.st_mtim.tv_sec,
		    (long)st.st_mtim.tv_nsec);
	http_date(lastmod, sizeof(lastmod), st.st_mtim.tv_sec);
	snprintf(extra, sizeof(extra),
	    "Content-Type: application/octet-stream\r\nETag: %s\r\n"
	    "Last-Modified: %s\r\nAccept-Ranges: %s\r\n%s",
	    etag, lastmod, f.no_range ? "none" : "bytes", date_ra);

	if (rq->if_none_match[0] != '\0' &&
	    (strcmp(rq->if_none_match, "*") == 0 ||
		strstr(rq->if_none_match, etag) != NULL)) {
		log_request(srv, rq, 304);
		ret =
		    send_head(fd, 304, -1, extra, keep) == -1 || !keep ? -1 : 0;
		goto out;
	}

	status = 200;
	len = st.st_size;
	r = f.no_range ? 0 : parse_range(rq->range, st.st_size, &from, &to);
	/* If-Range: the range holds only while the validator matches. */
	if (r != 0 && rq->if_range[0] != '\0' &&
	    strcmp(rq->if_range, etag) != 0 &&
	    strcmp(rq->if_range, lastmod) != 0)
		r = 0;
	if (r == 0)
		from = 0;
	if (r < 0) {
		char cr[256];
		snprintf(cr, sizeof(cr), "Content-Range: bytes */%lld\r\n%s",
		    (long long)st.st_size, date_ra);
		ret = send_text(srv, fd, rq, 416, cr,
		    "faultd: range not satisfiable\n", keep);
		goto out;
	}
	if (r > 0) {
		char cr[128];
		size_t el = strlen(extra);
		if (f.bad_range) {
			/* A consistent answer for the wrong bytes: from 0 if
			 * a later start was asked, else from 1. */
			from = from > 0 ? 0 : (st.st_size > 1 ? 1 : 0);
			to = st.st_size - 1;
		}
		snprintf(cr, sizeof(cr),
		    "Content-Range: bytes %lld-%lld/%lld\r\n", from, to,
		    (long long)st.st_size);
		snprintf(extra + el, sizeof(extra) - el, "%s", cr);
		status = 206;
		len = to - from + 1;
	}

	cut = fault_cut(&f, &limit);
	if (cut != CUT_NONE && limit >= len)
		cut = CUT_NONE; /* nothing to cut */
	if (cut != CUT_NONE)
		keep = false;

	log_request(srv, rq, status);
	if (send_head(fd, status, len, extra, keep) == -1)
		goto out;
	if (head) {
		ret = keep ? 0 : -1;
		goto out;
	}
	if (send_body(srv, fd, file, from, len, limit, cut, f.rate) == 0)
		ret = keep ? 0 : -1;
out:
	close(file);
	return ret;
}

static void
conn_remove(struct conn *c)
{
	struct server *srv = c->srv;

	pthread_mutex_lock(&srv->mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	/* Closed under the lock so shutdown never hits a reused fd. */
	close(c->fd);
	if (srv->conns == NULL)
		pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->mu);
	free(c);
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;
	struct server *srv = c->srv;
	char *buf;
	size_t have = 0;
	int one = 1;

	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((buf = malloc(REQ_MAX + 1)) == NULL)
		goto out;
	for (;;) {
		struct request rq;
		ssize_t hl = read_head(srv, c->fd, buf, &have);

		if (hl == 0 || hl == -1)
			break;
		if (hl == -2) {
			memset(&rq, 0, sizeof(rq));
			send_text(srv, c->fd, &rq, 431, "",
			    "faultd: request head too large\n", false);
			break;
		}
		{
			char save = buf[hl - 1];
			int pr;

			buf[hl - 1] = '\0';
			pr = parse_head(buf, &rq);
			buf[hl - 1] = save;
			if (pr == -1) {
				send_text(srv, c->fd, &rq, 400, "",
				    "faultd: malformed request\n", false);
				break;
			}
		}
		if (serve(srv, c->fd, &rq) == -1)
			break;
		/* Keep pipelined bytes for the next round. */
		memmove(buf, buf + hl, have - (size_t)hl);
		have -= (size_t)hl;
	}
out:
	free(buf);
	conn_remove(c);
	return NULL;
}

static int
listen_on(int port, int *outport)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int fd, one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket:");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		die("bind 127.0.0.1:%d:", port);
	if (listen(fd, 128) == -1)
		die("listen:");
	if (getsockname(fd, (struct sockaddr *)&sa, &sl) == -1)
		die("getsockname:");
	*outport = ntohs(sa.sin_port);
	return fd;
}

/* Written to a temporary name and renamed, so a reader never sees half. */
static void
write_portfile(const char *path, int port)
{
	char tmp[PATH_MAX], txt[16];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		die("%s: name too long", path);
	n = snprintf(txt, sizeof(txt), "%d\n", port);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	    -1)
		die("%s:", tmp);
	if (write(fd, txt, (size_t)n) != n || close(fd) == -1)
		die("%s:", tmp);
	if (rename(tmp, path) == -1)
		die("rename %s:", path);
}

int
main(int argc, char *argv[])
{
	struct server srv = {.logfd = -1};
	const char *portfile = NULL, *logfile = NULL;
	char root[PATH_MAX];
	sigset_t sigs;
	struct stat st;
	int ch, lfd, sfd, port = 0, bound;
	long long v;

	while ((ch = getopt(argc, argv, "d:p:P:l:")) != -1) {
		switch (ch) {
		case 'd':
			if (realpath(optarg, root) == NULL)
				die("%s:", optarg);
			srv.root = root;
			break;
		case 'p':
			if (parse_num(optarg, 65535, &v) == -1)
				usage("bad port");
			port = (int)v;
			break;
		case 'P':
			portfile = optarg;
			break;
		case 'l':
			logfile = optarg;
			break;
		default:
			usage(NULL);
		}
	}
	if (optind != argc)
		usage("too many arguments");
	if (srv.root == NULL)
		usage("-d ROOT is required");
	if (stat(srv.root, &st) == -1 || !S_ISDIR(st.st_mode))
		die("%s: not a directory", srv.root);
	if (strcmp(srv.root, "/") == 0)
		root[0] = '\0'; /* paths start with '/' already */

	if (logfile != NULL &&
	    (srv.logfd = open(logfile,
		 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) == -1)
		die("%s:", logfile);
	if (pipe2(srv.stop, O_CLOEXEC) == -1)
		die("pipe:");
	pthread_mutex_init(&srv.mu, NULL);
	pthread_cond_init(&srv.idle, NULL);

	/* Blocked here, inherited by every thread, read from the signalfd. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if ((sfd = signalfd(-1, &sigs, SFD_CLOEXEC)) == -1)
		die("signalfd:");

	lfd = listen_on(port, &bound);
	if (portfile != NULL)
		write_portfile(portfile, bound);
	fprintf(stderr, "%s: serving %s on 127.0.0.1:%d\n", progname,
	    srv.root[0] ? srv.root : "/", bound);

	for (;;) {
		struct pollfd p[2] = {
		    {.fd = lfd, .events = POLLIN},
		    {.fd = sfd, .events = POLLIN},
		};
		struct conn *c;
		pthread_attr_t attr;
		pthread_t t;
		int fd;

		if (poll(p, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			die("poll:");
		}
		if (p[1].revents != 0)
			break;
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->srv = &srv;
		pthread_mutex_lock(&srv.mu);
		c->next = srv.conns;
		if (srv.conns != NULL)
			srv.conns->prev = c;
		srv.conns = c;
		pthread_mutex_unlock(&srv.mu);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, conn_main, c) != 0)
			conn_remove(c);
		pthread_attr_destroy(&attr);
	}

	/* Orderly stop: no new connections, wake every sleeper, cut every
	 * socket, then wait (bounded) for the threads to leave. */
	close(lfd);
	close(srv.stop[1]);
	pthread_mutex_lock(&srv.mu);
	for (struct conn *c = srv.conns; c != NULL; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	{
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 5;
		while (srv.conns != NULL)
			if (pthread_cond_timedwait(&srv.idle, &srv.mu, &dl) ==
			    ETIMEDOUT)
				break;
	}
	if (srv.conns != NULL) {
		/* A thread stuck beyond reason; leave without cleanup. */
		fprintf(stderr, "%s: connections did not finish\n", progname);
		_exit(0);
	}
	pthread_mutex_unlock(&srv.mu);
	while (srv.counters != NULL) {
		struct counter *n = srv.counters->next;
		free(srv.counters);
		srv.counters = n;
	}
	close(srv.stop[0]);
	close(sfd);
	if (srv.logfd >= 0)
		close(srv.logfd);
	return 0;
}
