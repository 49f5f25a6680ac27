/* fetch.c - downloads on libcurl, streamed to a sink, with retries, resumes,
 * safe redirects and S3 (SigV4) support.  See fetch.h for the contract, and
 * fetch_int.h for the parts in fetch_url.c and fetch_resp.c.
 *
 * Redirects are followed by hand rather than by libcurl so that every hop is
 * checked (http(s) only, never https to http), so that SigV4 credentials are
 * only used on the host they were meant for, and so that a redirect's body
 * never reaches the sink. */
#include "fetch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fetch_int.h"
#include "monotime.h"

#define FETCH_BUFSIZE (512 * 1024L) /* measured faster than the default */
#define ERRBODY_MAX 4096	    /* enough for an S3 <Error> document */
#define FETCH_UA "slugc-fetch/1"
/* sha256 of the empty body: S3 wants x-amz-content-sha256 on every signed
 * request, and a GET has no body. */
#define EMPTY_SHA256                                                           \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

enum fetch_abort {
	AB_NONE,
	AB_SINK,      /* the sink returned -1 */
	AB_TOO_BIG,   /* max_bytes */
	AB_CHANGED,   /* the resource changed under a resumed download */
	AB_BAD_RANGE, /* a 206 that does not continue where we asked */
	AB_ERRBODY,   /* enough of an error body read; stop reading */
	AB_STOP	      /* o->stop was set */
};

struct fetch_xfer {
	const struct fetch_opts *o;
	const char *shown; /* o->url redacted: the URL every message names */
	int (*sink)(void *, const void *, size_t);
	void *arg;
	CURL *h;
	char curlerr[CURL_ERROR_SIZE];

	/* The download as a whole. */
	curl_off_t delivered; /* bytes the sink has */
	curl_off_t total;     /* full size, -1 if unknown */
	char validator[256];  /* strong ETag or Last-Modified of those bytes */
	bool validator_by_date; /* validator is Last-Modified */
	bool no_range;		/* the server's ranges are unusable */
	int requests, resumes, restarts;
	long status;
	int64_t last_progress_ms;
	int64_t deadline_ms; /* monotime_ms() when it must end; 0: none */

	/* The current request. */
	struct fetch_resp rs;
	bool is_http;
	bool range_sent; /* asked for bytes=delivered- */
	bool started;	 /* body_start ran */
	bool deliver;	 /* this body goes to the sink */
	curl_off_t skip; /* leading bytes of this body the sink has */
	enum fetch_abort why;
	char why_detail[384];
	char errbody[ERRBODY_MAX + 1];
	size_t errbody_len;
};

/* Fills e with "fetch URL: " and the message: every message about the
 * download names its URL through here, redacted once.  Returns -1. */
static int __attribute__((format(printf, 3, 4)))
xfail(const struct fetch_xfer *x, struct errbuf *e, const char *fmt, ...)
{
	char msg[ERRBUF_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return errf(e, "fetch %s: %s", x->shown, msg);
}

static size_t
on_header(char *buf, size_t size, size_t n, void *p)
{
	struct fetch_xfer *x = p;

	fetch_resp_header(&x->rs, buf, size * n);
	return size * n;
}

void
fetch_opts_init(struct fetch_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_retries = 5;
	o->retry_max_seconds = 300;
	o->retry_base_ms = 500;
	o->retry_delay_max_ms = 30000;
	o->retry_after_max_seconds = 120;
	o->max_redirects = 10;
	o->max_bytes = 0;
	o->connect_timeout = 30;
	o->low_speed_limit = 1024;
	o->low_speed_time = 60;
	o->progress_interval_ms = 1000;
	o->max_seconds = 900;
}

int
fetch_global_init(struct errbuf *e)
{
	const curl_version_info_data *v;
	CURLcode rc;

	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		return errf(e, "fetch: curl_global_init: %s",
		    curl_easy_strerror(rc));
	v = curl_version_info(CURLVERSION_NOW);
	/* CURLOPT_PROTOCOLS_STR needs 7.85. */
	if (v->version_num < 0x075500) {
		curl_global_cleanup();
		return errf(e, "fetch: libcurl %s is too old (7.85 needed)",
		    v->version);
	}
	return 0;
}

void
fetch_global_cleanup(void)
{
	curl_global_cleanup();
}

/* Decides what to do with the body of the response whose headers just
 * ended: whether it goes to the sink, how much of it the sink already has,
 * and whether it is the same resource as the bytes delivered so far.
 * Returns -1 to abort the transfer (x->why says why). */
static int
body_start(struct fetch_xfer *x)
{
	const char *v;
	curl_off_t start = 0, end, total = -1, clen = -1;
	long code = 0;

	x->started = true;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (x->is_http && (code < 200 || code > 299)) {
		x->deliver = false;
		return 0;
	}
	x->deliver = true;
	if (curl_easy_getinfo(x->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
		&clen) != CURLE_OK)
		clen = -1;
	if (x->is_http && code == 206) {
		curl_off_t want = x->range_sent ? x->delivered : 0;

		if (fetch_resp_content_range(x->rs.content_range, &start, &end,
			&total) == -1 ||
		    start != want) {
			x->why = AB_BAD_RANGE;
			snprintf(x->why_detail, sizeof x->why_detail,
			    "asked for bytes %lld-, got Content-Range \"%s\"",
			    (long long)want, x->rs.content_range);
			return -1;
		}
	} else
		total = clen;

	if (x->delivered == 0) {
		/* Nothing delivered yet: this response sets the baseline
		 * later ones must match. */
		v = fetch_resp_validator(&x->rs, false);
		x->validator_by_date = *v == '\0';
		if (x->validator_by_date)
			v = fetch_resp_validator(&x->rs, true);
		snprintf(x->validator, sizeof x->validator, "%s", v);
		x->total = total;
	} else {
		v = fetch_resp_validator(&x->rs, x->validator_by_date);
		if (strcmp(v, x->validator) != 0) {
			x->why = AB_CHANGED;
			snprintf(x->why_detail, sizeof x->why_detail,
			    "%s was %.150s, now %.150s",
			    x->validator_by_date ? "Last-Modified" : "ETag",
			    x->validator, *v ? v : "none");
			return -1;
		}
		if (x->total >= 0 && total >= 0 && total != x->total) {
			x->why = AB_CHANGED;
			snprintf(x->why_detail, sizeof x->why_detail,
			    "size was %lld, now %lld", (long long)x->total,
			    (long long)total);
			return -1;
		}
		if (x->total < 0)
			x->total = total;
		if (start > 0)
			x->resumes++;
		else
			x->restarts++;
	}
	x->skip = x->delivered - start;
	if (x->o->max_bytes > 0 && x->total > x->o->max_bytes) {
		x->why = AB_TOO_BIG;
		return -1;
	}
	return 0;
}

static size_t
on_write(char *buf, size_t size, size_t n, void *p)
{
	struct fetch_xfer *x = p;
	size_t len = size * n, all = len;

	if (!x->started && body_start(x) == -1)
		return 0;
	if (!x->deliver) {
		/* An error or redirect body: keep the start for the
		 * message, and stop reading once that is full. */
		size_t room = ERRBODY_MAX - x->errbody_len;

		if (len > room)
			len = room;
		memcpy(x->errbody + x->errbody_len, buf, len);
		x->errbody_len += len;
		x->errbody[x->errbody_len] = '\0';
		if (x->errbody_len == ERRBODY_MAX) {
			x->why = AB_ERRBODY;
			return 0;
		}
		return all;
	}
	if (x->skip > 0) {
		size_t d = x->skip < (curl_off_t)len ? (size_t)x->skip : len;

		buf += d;
		len -= d;
		x->skip -= (curl_off_t)d;
		if (len == 0)
			return all;
	}
	if (x->o->max_bytes > 0 &&
	    x->delivered + (curl_off_t)len > x->o->max_bytes) {
		x->why = AB_TOO_BIG;
		return 0;
	}
	if (x->sink(x->arg, buf, len) == -1) {
		x->why = AB_SINK;
		return 0;
	}
	x->delivered += (curl_off_t)len;
	return all;
}

static int
on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct fetch_xfer *x = p;
	int64_t now;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (stopflag_is_set(x->o->stop)) {
		x->why = AB_STOP;
		return 1;
	}
	if (x->o->progress == NULL)
		return 0;
	now = monotime_ms();
	if (now - x->last_progress_ms >= x->o->progress_interval_ms) {
		x->last_progress_ms = now;
		x->o->progress(x->o->progress_arg, x->delivered, x->total);
	}
	return 0;
}

static bool
transient_curl_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* Sets up x->h for one request to url.  sign: add SigV4 credentials. */
static int
setup_request(struct fetch_xfer *x, const char *url, bool first_hop, bool sign,
    struct curl_slist **hdrs, char *sigv4, size_t sigsz)
{
	const struct fetch_opts *o = x->o;
	CURL *h = x->h;
	struct curl_slist *l = NULL, *t;
	char line[400];
	int bad = 0;

	curl_easy_reset(h);
	x->curlerr[0] = '\0';
	memset(&x->rs, 0, sizeof x->rs);
	x->started = x->deliver = x->range_sent = false;
	x->skip = 0;
	x->why = AB_NONE;
	x->why_detail[0] = '\0';
	x->errbody_len = 0;
	x->errbody[0] = '\0';

	if (x->is_http && x->delivered > 0 && !x->no_range &&
	    x->validator[0] != '\0') {
		/* If-Range makes a server whose copy changed answer 200 with
		 * the whole new body instead of splicing two versions. */
		snprintf(line, sizeof line, "Range: bytes=%lld-",
		    (long long)x->delivered);
		if ((t = curl_slist_append(l, line)) == NULL)
			goto oom;
		l = t;
		snprintf(line, sizeof line, "If-Range: %s", x->validator);
		if ((t = curl_slist_append(l, line)) == NULL)
			goto oom;
		l = t;
		x->range_sent = true;
	}
	if (sign) {
		if ((t = curl_slist_append(l,
			 "x-amz-content-sha256: " EMPTY_SHA256)) == NULL)
			goto oom;
		l = t;
		if (o->aws_session_token != NULL && *o->aws_session_token) {
			char *tok;

			if (asprintf(&tok, "x-amz-security-token: %s",
				o->aws_session_token) == -1)
				goto oom;
			t = curl_slist_append(l, tok);
			explicit_bzero(tok, strlen(tok));
			free(tok);
			if (t == NULL)
				goto oom;
			l = t;
		}
		snprintf(sigv4, sigsz, "aws:amz:%s:s3",
		    o->aws_region && *o->aws_region ? o->aws_region
						    : "us-east-1");
		bad |= curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4) != 0;
		bad |= curl_easy_setopt(h, CURLOPT_USERNAME,
			   o->aws_access_key_id) != 0;
		bad |= curl_easy_setopt(h, CURLOPT_PASSWORD,
			   o->aws_secret_access_key) != 0;
	}
	*hdrs = l;

	bad |= curl_easy_setopt(h, CURLOPT_URL, url) != 0;
	/* file:// only as the URL we were given, never as a hop. */
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR,
		   first_hop ? "http,https,file" : "http,https") != 0;
	bad |=
	    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != 0;
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_BUFFERSIZE, FETCH_BUFSIZE) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->curlerr) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, FETCH_UA) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
		   o->connect_timeout) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT,
		   o->low_speed_limit) != 0;
	bad |=
	    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, o->low_speed_time) != 0;
	/* A server trickling just above the low-speed limit is only stopped
	 * by the deadline of the download as a whole. */
	if (x->deadline_ms > 0) {
		int64_t left = x->deadline_ms - monotime_ms();

		bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
			   (long)(left > 1 ? left : 1)) != 0;
	}
	if (o->ca_file != NULL)
		bad |= curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, l) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_HEADERDATA, x) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, x) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_XFERINFODATA, x) != 0;
	bad |= curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) != 0;
	return bad ? -2 : 0;
oom:
	curl_slist_free_all(l);
	*hdrs = NULL;
	return -1;
}

/* One request to url: *rc gets libcurl's result, *code the status (0
 * when none).  Returns 0, or -1 with e filled when it could not be made. */
static int
request(struct fetch_xfer *x, const char *url, bool first_hop, bool sign,
    long *code, CURLcode *rc, struct errbuf *e)
{
	struct curl_slist *hdrs = NULL;
	char scheme[16], sigv4[64];
	int s;

	if (fetch_url_scheme(url, scheme, sizeof scheme) == -1)
		return xfail(x, e, "malformed URL");
	x->is_http =
	    strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0;
	s = setup_request(x, url, first_hop, sign, &hdrs, sigv4, sizeof sigv4);
	if (s == 0) {
		x->requests++;
		*rc = curl_easy_perform(x->h);
		*code = 0;
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, code);
	}
	curl_slist_free_all(hdrs);
	if (s == -1)
		return xfail(x, e, "out of memory");
	if (s == -2)
		return xfail(x, e, "libcurl lacks a needed option");
	if (x->is_http)
		x->status = *code;
	if (x->why == AB_ERRBODY)
		*rc = CURLE_OK; /* we stopped reading on purpose */
	/* An empty body still has headers to check. */
	if (*rc == CURLE_OK && !x->started)
		body_start(x);
	return 0;
}

/* What ends a request, from least to most hopeful. */
enum hop { HOP_FAIL = -1, HOP_DONE = 0, HOP_RETRY = 1, HOP_REDIRECT = 2 };

/* When one of our callbacks stopped the transfer, what that means (with e
 * filled); HOP_DONE when none did. */
static enum hop
stopped(struct fetch_xfer *x, struct errbuf *e)
{
	switch (x->why) {
	case AB_SINK:
		xfail(x, e, "aborted by the receiver after %lld bytes",
		    (long long)x->delivered);
		return HOP_FAIL;
	case AB_TOO_BIG:
		xfail(x, e, "larger than %lld bytes",
		    (long long)x->o->max_bytes);
		return HOP_FAIL;
	case AB_CHANGED:
		xfail(x, e, "changed during download (%s)", x->why_detail);
		return HOP_FAIL;
	case AB_BAD_RANGE:
		/* Start over without Range: the prefix is skipped. */
		x->no_range = true;
		xfail(x, e, "bad range answer (%s)", x->why_detail);
		return HOP_RETRY;
	case AB_STOP:
		xfail(x, e, "interrupted");
		return HOP_FAIL;
	default:
		return HOP_DONE;
	}
}

/* A redirect from url: *next gets where to (malloc'd). */
static enum hop
redirect(struct fetch_xfer *x, const char *url, long hop, bool is_s3, long code,
    char **next, struct errbuf *e)
{
	char *loc = NULL;

	curl_easy_getinfo(x->h, CURLINFO_REDIRECT_URL, &loc);
	if (loc == NULL) {
		/* S3's wrong-region 301 has none: its XML says where to go. */
		fetch_resp_error(&x->rs, x->errbody, x->shown, is_s3, code, e);
		return HOP_FAIL;
	}
	if (hop + 1 > x->o->max_redirects) {
		xfail(x, e, "more than %ld redirects", x->o->max_redirects);
		return HOP_FAIL;
	}
	if (fetch_url_check_redirect(url, loc, x->shown, e) == -1)
		return HOP_FAIL;
	if ((*next = strdup(loc)) == NULL) {
		xfail(x, e, "out of memory");
		return HOP_FAIL;
	}
	return HOP_REDIRECT;
}

/* What the request to url (hop hop) that ended with rc and code means. */
static enum hop
judge(struct fetch_xfer *x, const char *url, long hop, bool is_s3, CURLcode rc,
    long code, char **next, long *retry_after, struct errbuf *e)
{
	enum hop h;

	if ((h = stopped(x, e)) != HOP_DONE)
		return h;
	if (rc != CURLE_OK) {
		if (x->curlerr[0] != '\0')
			xfail(x, e, "%s (%s)", curl_easy_strerror(rc),
			    x->curlerr);
		else
			xfail(x, e, "%s", curl_easy_strerror(rc));
		return transient_curl_error(rc) ? HOP_RETRY : HOP_FAIL;
	}
	if (!x->is_http)
		return HOP_DONE;
	if (code >= 200 && code <= 299) {
		if (x->total < 0 || x->delivered >= x->total)
			return HOP_DONE;
		xfail(x, e, "connection closed after %lld of %lld bytes",
		    (long long)x->delivered, (long long)x->total);
		return HOP_RETRY;
	}
	if (code == 301 || code == 302 || code == 303 || code == 307 ||
	    code == 308)
		return redirect(x, url, hop, is_s3, code, next, e);
	fetch_resp_error(&x->rs, x->errbody, x->shown, is_s3, code, e);
	if (code == 408 || code == 429 || (code >= 500 && code <= 599)) {
		*retry_after = fetch_resp_retry_after(x->rs.retry_after);
		return HOP_RETRY;
	}
	if (code == 416 && x->range_sent) {
		/* Our offset is past the end: only a changed file does
		 * that; start over and let the ETag decide. */
		x->no_range = true;
		return HOP_RETRY;
	}
	return HOP_FAIL;
}

/* One attempt: a request and its redirect hops.  Returns 0 when the body
 * is complete, 1 for a failure worth retrying (*retry_after set to the
 * server's wish in seconds, or -1), -1 for a final failure.  e is filled on
 * failure. */
static int
attempt(struct fetch_xfer *x, const char *url0, bool is_s3, long *retry_after,
    struct errbuf *e)
{
	const struct fetch_opts *o = x->o;
	char *url, *next = NULL;
	enum hop h = HOP_FAIL;
	CURLcode rc = CURLE_OK;
	long hop, code = 0;
	bool sign;

	*retry_after = -1;
	if ((url = strdup(url0)) == NULL)
		return xfail(x, e, "out of memory");
	for (hop = 0;; hop++) {
		/* SigV4 credentials go to the host they were meant for only. */
		sign = is_s3 && o->aws_access_key_id != NULL &&
		    *o->aws_access_key_id != '\0' &&
		    o->aws_secret_access_key != NULL &&
		    fetch_url_same_origin(url, url0);
		if (request(x, url, hop == 0, sign, &code, &rc, e) == -1)
			break;
		h = judge(x, url, hop, is_s3, rc, code, &next, retry_after, e);
		if (h != HOP_REDIRECT)
			break;
		free(url);
		url = next;
	}
	free(url);
	return h == HOP_REDIRECT ? -1 : (int)h;
}

/* Sleeps ms milliseconds, in slices so that o->stop is noticed.  Returns
 * -1 if it was set. */
static int
backoff_sleep(const struct fetch_opts *o, long long ms)
{
	int64_t end = monotime_ms() + ms, left;
	struct timespec ts;

	while ((left = end - monotime_ms()) > 0) {
		if (stopflag_is_set(o->stop))
			return -1;
		if (left > 100)
			left = 100;
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000;
		nanosleep(&ts, NULL);
	}
	return stopflag_is_set(o->stop) ? -1 : 0;
}

static long long
backoff_ms(const struct fetch_opts *o, int retry)
{
	long long d = o->retry_base_ms > 0 ? o->retry_base_ms : 0;
	int i;

	for (i = 1; i < retry && d < o->retry_delay_max_ms; i++)
		d *= 2;
	if (d > o->retry_delay_max_ms)
		d = o->retry_delay_max_ms;
	return d;
}

/* Whether to try again after a failed attempt (attempts so far; ra: the
 * server's Retry-After in seconds, or -1), and after how long (*delay, in
 * ms): exponential backoff, Retry-After honoured up to its cap, within the
 * retries, the retry time and the whole download's time.  Returns 0, or -1
 * to give up, with e's message saying why. */
static int
retry_delay(const struct fetch_xfer *x, int attempts, long ra, int64_t start,
    int64_t *delay_ms, struct errbuf *e)
{
	const struct fetch_opts *o = x->o;
	int64_t delay;

	if (x->delivered > 0 && x->validator[0] == '\0') {
		/* Without a validator a second response cannot be
		 * proven to continue the first. */
		fetch_erradd(e,
		    "; cannot resume after %lld bytes: the server "
		    "sends no ETag",
		    (long long)x->delivered);
		return -1;
	}
	if (attempts > o->max_retries) {
		fetch_erradd(e, " (gave up after %d attempt%s)", attempts,
		    attempts == 1 ? "" : "s");
		return -1;
	}
	delay = backoff_ms(o, attempts);
	if (ra >= 0) {
		long long want = (long long)(ra < o->retry_after_max_seconds
					 ? ra
					 : o->retry_after_max_seconds) *
		    1000;

		if (want > delay)
			delay = want;
	}
	if (x->deadline_ms > 0 && monotime_ms() + delay >= x->deadline_ms) {
		fetch_erradd(e,
		    " (gave up: the whole download may take at "
		    "most %ld s)",
		    o->max_seconds);
		return -1;
	}
	if (monotime_ms() + delay - start > o->retry_max_seconds * 1000LL) {
		fetch_erradd(e, " (gave up after %d attempt%s in %lld s)",
		    attempts, attempts == 1 ? "" : "s",
		    (long long)((monotime_ms() - start + 999) / 1000));
		return -1;
	}
	*delay_ms = delay;
	return 0;
}

int
fetch_stream(const struct fetch_opts *o,
    int (*sink)(void *arg, const void *buf, size_t len), void *arg,
    struct fetch_result *r, struct errbuf *e)
{
	struct fetch_xfer x;
	char *shown = NULL, *url = NULL;
	int64_t start = monotime_ms(), delay;
	long ra;
	bool is_s3 = false;
	int attempts = 0, rv = -1, st;

	memset(&x, 0, sizeof x);
	x.o = o;
	x.sink = sink;
	x.arg = arg;
	x.total = -1;
	x.last_progress_ms = start;
	if (o->max_seconds > 0)
		x.deadline_ms = start + (int64_t)o->max_seconds * 1000;
	if (o->url == NULL) {
		errf(e, "fetch: no URL");
		goto out;
	}
	/* The one redaction of the URL: every message uses it. */
	if ((shown = fetch_redact_url(o->url)) == NULL) {
		errf(e, "fetch: out of memory");
		goto out;
	}
	x.shown = shown;
	if ((url = fetch_url_resolve(o, shown, &is_s3, e)) == NULL)
		goto out;
	if ((x.h = curl_easy_init()) == NULL) {
		xfail(&x, e, "curl_easy_init failed");
		goto out;
	}
	for (;;) {
		attempts++;
		st = attempt(&x, url, is_s3, &ra, e);
		if (st == 0) {
			rv = 0;
			break;
		}
		if (st < 0)
			break;
		if (retry_delay(&x, attempts, ra, start, &delay, e) == -1)
			break;
		if (backoff_sleep(o, delay) == -1) {
			xfail(&x, e, "interrupted");
			break;
		}
	}
	if (rv == 0 && o->progress != NULL)
		o->progress(o->progress_arg, x.delivered, x.total);
out:
	if (r != NULL) {
		memset(r, 0, sizeof *r);
		r->bytes = x.delivered;
		r->total = x.total;
		r->http_status = x.status;
		r->attempts = attempts;
		r->requests = x.requests;
		r->resumes = x.resumes;
		r->restarts = x.restarts;
		r->sink_failed = x.why == AB_SINK;
	}
	if (rv == -1 && e != NULL) {
		fetch_url_scrub_password(e->msg, o->url);
		fetch_url_scrub(e->msg, o->aws_secret_access_key);
		fetch_url_scrub(e->msg, o->aws_session_token);
		/* One line, whatever libcurl or the server said. */
		for (char *c = e->msg; *c != '\0'; c++)
			if (*c == '\n' || *c == '\r' || *c == '\t')
				*c = ' ';
	}
	if (x.h != NULL)
		curl_easy_cleanup(x.h);
	free(url);
	free(shown);
	return rv;
}
