/* fetch.c - downloads on libcurl, streamed to a sink, with retries, resumes,
 * safe redirects and S3 (SigV4) support.  See fetch.h for the contract.
 *
 * Redirects are followed by hand rather than by libcurl so that every hop is
 * checked (http(s) only, never https to http), so that SigV4 credentials are
 * only used on the host they were meant for, and so that a redirect's body
 * never reaches the sink. */
#include "fetch.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

/* What the headers of the current response said.  Cleared at each status
 * line, so a redirect hop or an interim 1xx leaves nothing behind. */
struct fetch_resp {
	char reason[96];
	char etag[256];
	char last_modified[64];
	char content_range[128];
	char retry_after[64];
	char bucket_region[32];
	bool amz; /* x-amz-request-id seen: the answer comes from S3 */
};

struct fetch_xfer {
	const struct fetch_opts *o;
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

/* Appends to the message already in e. */
static void
erradd(struct errbuf *e, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (e == NULL)
		return;
	len = strlen(e->msg);
	va_start(ap, fmt);
	vsnprintf(e->msg + len, sizeof e->msg - len, fmt, ap);
	va_end(ap);
}

/* A malloc'd copy of s fit for messages (see err_printable), never cut:
 * an escape takes at most 4 bytes per byte.  NULL when out of memory. */
static char *
printable_dup(const char *s)
{
	size_t len = strlen(s);
	char *out;

	if (len > (SIZE_MAX - 1) / 4 || (out = malloc(len * 4 + 1)) == NULL)
		return NULL;
	err_printable(out, len * 4 + 1, s, len);
	return out;
}

static void
replace_all(char *msg, const char *secret, size_t slen)
{
	char *p;

	while ((p = strstr(msg, secret)) != NULL) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + slen, strlen(p + slen) + 1);
	}
}

/* Replaces every occurrence of secret in msg with "***", as it is and as
 * err_printable shows it (the form a server's echo of it takes in our
 * messages).  A second line of defence behind fetch_redact_url: libcurl's
 * own error texts are not ours. */
static void
scrub(char *msg, const char *secret)
{
	char *shown;

	if (secret == NULL || strlen(secret) < 4)
		return;
	replace_all(msg, secret, strlen(secret));
	if ((shown = printable_dup(secret)) == NULL)
		return;
	replace_all(msg, shown, strlen(shown));
	explicit_bzero(shown, strlen(shown));
	free(shown);
}

/* Whether the query parameter name (n bytes) holds a word that marks a
 * credential, in any case and at any length. */
static bool
sensitive_param(const char *name, size_t n)
{
	static const char *const words[] = {
	    "sig",
	    "cred",
	    "token",
	    "secret",
	    "pass",
	    "key",
	    "auth",
	};
	size_t i, w, wlen;

	for (w = 0; w < sizeof words / sizeof words[0]; w++) {
		wlen = strlen(words[w]);
		for (i = 0; i + wlen <= n; i++)
			if (strncasecmp(name + i, words[w], wlen) == 0)
				return true;
	}
	return false;
}

/* Returns a malloc'd copy of the query string q with the values of
 * credential-like parameters replaced by REDACTED. */
static char *
redact_query(const char *q)
{
	size_t cap = strlen(q) * 2 + 16, len = 0;
	const char *p = q, *amp, *eq;
	char *out;

	if ((out = malloc(cap)) == NULL)
		return NULL;
	while (*p != '\0') {
		size_t plen, nlen;

		amp = strchr(p, '&');
		plen = amp ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', plen);
		nlen = eq ? (size_t)(eq - p) : plen;
		if (eq != NULL && sensitive_param(p, nlen)) {
			memcpy(out + len, p, nlen + 1);
			len += nlen + 1;
			memcpy(out + len, "REDACTED", 8);
			len += 8;
		} else {
			memcpy(out + len, p, plen);
			len += plen;
		}
		if (amp == NULL)
			break;
		out[len++] = '&';
		p = amp + 1;
	}
	out[len] = '\0';
	return out;
}

/* For strings libcurl cannot parse: drop everything up to the last '@' of
 * the authority, the fragment, redact the query, and make it printable. */
static char *
redact_fallback(const char *url)
{
	const char *auth, *end, *rest, *q;
	char *rq = NULL, *cat = NULL, *out = NULL;
	size_t len;

	auth = strstr(url, "://");
	auth = auth ? auth + 3 : url;
	end = auth + strcspn(auth, "/?#");
	rest = auth;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			rest = p + 1;
	q = strchr(rest, '?');
	len = q ? (size_t)(q - rest) : strcspn(rest, "#");
	if (q != NULL) {
		char *qs = strndup(q + 1, strcspn(q + 1, "#"));

		if (qs == NULL)
			return NULL;
		rq = redact_query(qs);
		free(qs);
		if (rq == NULL)
			return NULL;
	}
	if (asprintf(&cat, "%.*s%.*s%s%s", (int)(auth - url), url, (int)len,
		rest, rq ? "?" : "", rq ? rq : "") == -1)
		cat = NULL;
	if (cat != NULL)
		out = printable_dup(cat);
	free(cat);
	free(rq);
	return out;
}

char *
fetch_redact_url(const char *url)
{
	CURLU *u = NULL;
	char *q = NULL, *rq = NULL, *s = NULL, *out = NULL;

	if (url == NULL)
		return strdup("(no URL)");
	if ((u = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url,
		CURLU_NON_SUPPORT_SCHEME | CURLU_ALLOW_SPACE) != CURLUE_OK) {
		curl_url_cleanup(u);
		return redact_fallback(url);
	}
	if (curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_OPTIONS, NULL, 0) != CURLUE_OK)
		goto fallback;
	if (curl_url_get(u, CURLUPART_QUERY, &q, 0) == CURLUE_OK) {
		if ((rq = redact_query(q)) == NULL)
			goto out;
		if (curl_url_set(u, CURLUPART_QUERY, rq, 0) != CURLUE_OK)
			goto fallback;
	}
	if (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		goto fallback;
	out = printable_dup(s);
	goto out;
fallback:
	out = redact_fallback(url);
out:
	curl_free(s);
	curl_free(q);
	free(rq);
	curl_url_cleanup(u);
	return out;
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

/* Returns the lower-case scheme of url in buf, or -1 if it does not
 * parse. */
static int
url_scheme(const char *url, char *buf, size_t bsz)
{
	CURLU *u;
	char *s = NULL;
	int rv = -1;

	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url,
		CURLU_NON_SUPPORT_SCHEME | CURLU_ALLOW_SPACE) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK) {
		snprintf(buf, bsz, "%s", s);
		for (char *p = buf; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		rv = 0;
	}
	curl_free(s);
	curl_url_cleanup(u);
	return rv;
}

/* true when a and b have the same scheme, host and port. */
static bool
same_origin(const char *a, const char *b)
{
	static const CURLUPart parts[] = {
	    CURLUPART_SCHEME,
	    CURLUPART_HOST,
	    CURLUPART_PORT,
	};
	CURLU *ua = curl_url(), *ub = curl_url();
	bool same = false;
	size_t i;

	if (ua == NULL || ub == NULL ||
	    curl_url_set(ua, CURLUPART_URL, a, 0) != CURLUE_OK ||
	    curl_url_set(ub, CURLUPART_URL, b, 0) != CURLUE_OK)
		goto out;
	same = true;
	for (i = 0; i < sizeof parts / sizeof parts[0] && same; i++) {
		char *pa = NULL, *pb = NULL;

		curl_url_get(ua, parts[i], &pa, CURLU_DEFAULT_PORT);
		curl_url_get(ub, parts[i], &pb, CURLU_DEFAULT_PORT);
		same = pa != NULL && pb != NULL && strcasecmp(pa, pb) == 0;
		curl_free(pa);
		curl_free(pb);
	}
out:
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

static bool
valid_region(const char *r)
{
	if (*r == '\0' || strlen(r) > 32)
		return false;
	for (; *r; r++)
		if (!islower((unsigned char)*r) &&
		    !isdigit((unsigned char)*r) && *r != '-')
			return false;
	return true;
}

/* Turns o->url into the URL libcurl fetches: http(s) and file URLs as they
 * are, s3://bucket/key into virtual-hosted https://bucket.s3.REGION.
 * amazonaws.com/key (path-style when the bucket name holds dots, which the
 * wildcard certificate does not cover, or when s3_endpoint is set).
 * Returns a malloc'd URL or NULL with e filled. */
static char *
resolve_url(const struct fetch_opts *o, const char *shown, bool *is_s3,
    struct errbuf *e)
{
	CURLU *u = NULL;
	CURLUcode uc;
	char scheme[16], *bucket = NULL, *path = NULL, *query = NULL;
	char *user = NULL, *port = NULL, *out = NULL;
	const char *region;

	*is_s3 = false;
	if ((u = curl_url()) == NULL) {
		errf(e, "fetch %s: out of memory", shown);
		goto out;
	}
	uc = curl_url_set(u, CURLUPART_URL, o->url,
	    CURLU_NON_SUPPORT_SCHEME | CURLU_ALLOW_SPACE);
	if (uc != CURLUE_OK) {
		errf(e, "fetch %s: malformed URL (%s)", shown,
		    curl_url_strerror(uc));
		goto out;
	}
	if (url_scheme(o->url, scheme, sizeof scheme) == -1) {
		errf(e, "fetch %s: malformed URL", shown);
		goto out;
	}
	if (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
	    strcmp(scheme, "file") == 0) {
		if (strchr(o->url, ' ') != NULL) {
			errf(e, "fetch %s: malformed URL (a space; write %%20)",
			    shown);
			goto out;
		}
		if ((out = strdup(o->url)) == NULL)
			errf(e, "fetch %s: out of memory", shown);
		goto out;
	}
	if (strcmp(scheme, "s3") != 0) {
		errf(e,
		    "fetch %s: unsupported URL scheme \"%s\" (http, https, "
		    "file and s3 are)",
		    shown, scheme);
		goto out;
	}
	*is_s3 = true;
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK) {
		errf(e,
		    "fetch %s: s3:// URLs take no credentials or port "
		    "(use the AWS_* config vars)",
		    shown);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &bucket, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLENCODE) !=
		CURLUE_OK ||
	    strcmp(path, "/") == 0) {
		errf(e, "fetch %s: an s3 URL is s3://BUCKET/KEY", shown);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK)
		query = NULL;
	region = o->aws_region && *o->aws_region ? o->aws_region : "us-east-1";
	if (!valid_region(region)) {
		errf(e, "fetch %s: bad AWS region \"%.40s\"", shown, region);
		goto out;
	}
	if (o->s3_endpoint != NULL && *o->s3_endpoint != '\0') {
		size_t n = strlen(o->s3_endpoint);

		while (n > 0 && o->s3_endpoint[n - 1] == '/')
			n--;
		if (asprintf(&out, "%.*s/%s%s%s%s", (int)n, o->s3_endpoint,
			bucket, path, query ? "?" : "",
			query ? query : "") == -1)
			out = NULL;
	} else if (strchr(bucket, '.') != NULL) {
		if (asprintf(&out, "https://s3.%s.amazonaws.com/%s%s%s%s",
			region, bucket, path, query ? "?" : "",
			query ? query : "") == -1)
			out = NULL;
	} else {
		if (asprintf(&out, "https://%s.s3.%s.amazonaws.com%s%s%s",
			bucket, region, path, query ? "?" : "",
			query ? query : "") == -1)
			out = NULL;
	}
	if (out == NULL)
		errf(e, "fetch %s: out of memory", shown);
out:
	curl_free(bucket);
	curl_free(path);
	curl_free(query);
	curl_free(user);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

/* When the header line is "Name: value" for name, points *val at the
 * value, without the blanks around it, and returns true. */
static bool
header_field(const char *line, size_t len, const char *name, const char **val,
    size_t *vlen)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return false;
	line += n + 1;
	len -= n + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	*val = line;
	*vlen = len;
	return true;
}

/* Copies the value of the header named name into dst, escaped
 * (err_printable), for messages.  Returns true if the line was that
 * header. */
static bool
header_value(const char *line, size_t len, const char *name, char *dst,
    size_t dsz)
{
	const char *val;
	size_t vlen;

	if (!header_field(line, len, name, &val, &vlen))
		return false;
	err_printable(dst, dsz, val, vlen);
	return true;
}

/* Like header_value for a validator (ETag, Last-Modified), which goes back
 * to the server byte for byte in If-Range and is compared with the next
 * response's: it is kept verbatim, or not at all (dst empty: no validator,
 * so no resume) when it does not fit or holds a byte that is not printable
 * ASCII.  An escaped or shortened copy would never match, or worse, match
 * a different one. */
static bool
header_validator(const char *line, size_t len, const char *name, char *dst,
    size_t dsz)
{
	const char *val;
	size_t vlen, i;

	if (!header_field(line, len, name, &val, &vlen))
		return false;
	dst[0] = '\0';
	if (vlen >= dsz)
		return true;
	for (i = 0; i < vlen; i++)
		if (val[i] < 0x20 || val[i] > 0x7e)
			return true;
	memcpy(dst, val, vlen);
	dst[vlen] = '\0';
	return true;
}

static size_t
on_header(char *buf, size_t size, size_t n, void *p)
{
	struct fetch_xfer *x = p;
	size_t len = size * n;
	char amz[8];

	if (len > 5 && strncmp(buf, "HTTP/", 5) == 0) {
		const char *s = memchr(buf, ' ', len);
		size_t rest;

		memset(&x->rs, 0, sizeof x->rs);
		/* "HTTP/1.1 404 Not Found": the reason follows the code. */
		if (s != NULL && (size_t)(s - buf) + 5 < len) {
			s += 5;
			rest = len - (size_t)(s - buf);
			while (rest > 0 && isspace((unsigned char)s[rest - 1]))
				rest--;
			err_printable(x->rs.reason, sizeof x->rs.reason, s,
			    rest);
		}
		return len;
	}
	if (header_validator(buf, len, "ETag", x->rs.etag, sizeof x->rs.etag) ||
	    header_validator(buf, len, "Last-Modified", x->rs.last_modified,
		sizeof x->rs.last_modified) ||
	    header_value(buf, len, "Content-Range", x->rs.content_range,
		sizeof x->rs.content_range) ||
	    header_value(buf, len, "Retry-After", x->rs.retry_after,
		sizeof x->rs.retry_after))
		return len;
	if (header_value(buf, len, "x-amz-request-id", amz, sizeof amz))
		x->rs.amz = true;
	else
		header_value(buf, len, "x-amz-bucket-region",
		    x->rs.bucket_region, sizeof x->rs.bucket_region);
	return len;
}

/* The validator that proves two responses carry the same bytes: a strong
 * ETag, else Last-Modified (weak ETags promise equivalence, not identical
 * bytes).  by_date picks Last-Modified, so that a later response is judged
 * by the same kind of validator as the first. */
static const char *
resp_validator(const struct fetch_resp *rs, bool by_date)
{
	if (by_date)
		return rs->last_modified;
	if (strncmp(rs->etag, "W/", 2) != 0)
		return rs->etag;
	return "";
}

/* Parses "bytes START-END/TOTAL" (TOTAL may be '*': -1). */
static int
parse_content_range(const char *s, curl_off_t *start, curl_off_t *end,
    curl_off_t *total)
{
	long long a, b, t = -1;
	int used = 0;

	if (strncasecmp(s, "bytes ", 6) != 0)
		return -1;
	if (sscanf(s + 6, "%lld-%lld/%n", &a, &b, &used) != 2 || used == 0)
		return -1;
	if (strcmp(s + 6 + used, "*") != 0 &&
	    sscanf(s + 6 + used, "%lld", &t) != 1)
		return -1;
	if (a < 0 || b < a || (t >= 0 && b >= t))
		return -1;
	*start = a;
	*end = b;
	*total = t;
	return 0;
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

		if (parse_content_range(x->rs.content_range, &start, &end,
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
		v = resp_validator(&x->rs, false);
		x->validator_by_date = *v == '\0';
		if (x->validator_by_date)
			v = resp_validator(&x->rs, true);
		snprintf(x->validator, sizeof x->validator, "%s", v);
		x->total = total;
	} else {
		v = resp_validator(&x->rs, x->validator_by_date);
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

static const char *
std_reason(long code)
{
	switch (code) {
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
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "";
	}
}

/* Finds <tag>text</tag> in the (small) S3 error document and copies the
 * text, entities decoded, as one printable line.  Not an XML parser: S3's
 * error bodies are flat and tiny. */
static bool
xml_text(const char *doc, const char *tag, char *dst, size_t dsz)
{
	char open[32], close[32], tmp[512];
	const char *a, *b;
	size_t i, j = 0;

	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	if ((a = strstr(doc, open)) == NULL)
		return false;
	a += strlen(open);
	if ((b = strstr(a, close)) == NULL)
		return false;
	for (i = 0; a + i < b && j + 1 < sizeof tmp; i++) {
		static const struct {
			const char *ent;
			char c;
		} ents[] = {
		    {"&amp;", '&'},
		    {"&lt;", '<'},
		    {"&gt;", '>'},
		    {"&quot;", '"'},
		    {"&apos;", '\''},
		};
		size_t k;
		char c = a[i];

		for (k = 0; c == '&' && k < sizeof ents / sizeof ents[0]; k++) {
			size_t el = strlen(ents[k].ent);

			if ((size_t)(b - (a + i)) >= el &&
			    strncmp(a + i, ents[k].ent, el) == 0) {
				c = ents[k].c;
				i += el - 1;
				break;
			}
		}
		tmp[j++] = c;
	}
	tmp[j] = '\0';
	err_printable(dst, dsz, tmp, j);
	return dst[0] != '\0';
}

/* Fills e with the message for a final HTTP error status. */
static void
http_error(struct fetch_xfer *x, const char *shown, bool is_s3, long code,
    struct errbuf *e)
{
	char reason[96], scode[96], smsg[256], sreq[96], detail[512];
	bool xml;

	snprintf(reason, sizeof reason, "%s",
	    x->rs.reason[0] ? x->rs.reason : std_reason(code));
	scode[0] = smsg[0] = sreq[0] = '\0';
	xml = strstr(x->errbody, "<Error>") != NULL &&
	    xml_text(x->errbody, "Code", scode, sizeof scode);
	if (xml) {
		xml_text(x->errbody, "Message", smsg, sizeof smsg);
		xml_text(x->errbody, "RequestId", sreq, sizeof sreq);
		snprintf(detail, sizeof detail, ": %s%s%s%s%s", scode,
		    smsg[0] ? ": " : "", smsg, sreq[0] ? ", RequestId " : "",
		    sreq);
	} else
		detail[0] = '\0';
	if ((is_s3 || x->rs.amz || xml) && code == 403)
		errf(e, "fetch %s: not found or access denied (HTTP 403%s%s%s)",
		    shown, reason[0] ? " " : "", reason, detail);
	else
		errf(e, "fetch %s: HTTP %ld%s%s%s", shown, code,
		    reason[0] ? " " : "", reason, detail);
	if (x->rs.bucket_region[0] != '\0' && (code == 301 || code == 400))
		erradd(e, "; the bucket is in region %s (set AWS_REGION)",
		    x->rs.bucket_region);
}

/* Seconds to wait from a Retry-After value (delta-seconds or an HTTP
 * date), or -1 if there is none or it does not parse. */
static long
retry_after_seconds(const char *v)
{
	char *end;
	long s;
	time_t t;

	if (*v == '\0')
		return -1;
	if (isdigit((unsigned char)*v)) {
		errno = 0;
		s = strtol(v, &end, 10);
		if (errno != 0 || *end != '\0')
			return -1;
		return s;
	}
	if ((t = curl_getdate(v, NULL)) == -1)
		return -1;
	t -= time(NULL);
	return t < 0 ? 0 : (long)t;
}

/* Is the redirect from -> to one we follow?  Fills e if not. */
static int
check_redirect(const char *from, const char *to, const char *shown,
    struct errbuf *e)
{
	char fs[16], ts[16], *tshown;
	int rv = 0;

	if ((tshown = fetch_redact_url(to)) == NULL)
		return errf(e, "fetch %s: out of memory", shown);
	if (url_scheme(to, ts, sizeof ts) == -1)
		rv = errf(e, "fetch %s: redirect to a malformed URL (%s)",
		    shown, tshown);
	else if (strcmp(ts, "http") != 0 && strcmp(ts, "https") != 0)
		rv = errf(e,
		    "fetch %s: redirect to %s refused (only http and "
		    "https are followed)",
		    shown, tshown);
	else if (url_scheme(from, fs, sizeof fs) == 0 &&
	    strcmp(fs, "https") == 0 && strcmp(ts, "http") == 0)
		rv = errf(e,
		    "fetch %s: redirect from https to http (%s) "
		    "refused",
		    shown, tshown);
	free(tshown);
	return rv;
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

/* One attempt: a request and its redirect hops.  Returns 0 when the body
 * is complete, 1 for a failure worth retrying (*retry_after set to the
 * server's wish in seconds, or -1), -1 for a final failure.  e is filled on
 * failure. */
static int
attempt(struct fetch_xfer *x, const char *url0, const char *shown, bool is_s3,
    long *retry_after, struct errbuf *e)
{
	const struct fetch_opts *o = x->o;
	struct curl_slist *hdrs = NULL;
	char *url = NULL, scheme[16], sigv4[64];
	long hop, code;
	CURLcode rc;
	int rv = -1, s;

	*retry_after = -1;
	if ((url = strdup(url0)) == NULL)
		return errf(e, "fetch %s: out of memory", shown);
	for (hop = 0;; hop++) {
		bool sign = is_s3 && o->aws_access_key_id != NULL &&
		    *o->aws_access_key_id != '\0' &&
		    o->aws_secret_access_key != NULL && same_origin(url, url0);
		char *next;

		if (url_scheme(url, scheme, sizeof scheme) == -1) {
			errf(e, "fetch %s: malformed URL", shown);
			goto out;
		}
		x->is_http =
		    strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0;
		curl_slist_free_all(hdrs);
		s = setup_request(x, url, hop == 0, sign, &hdrs, sigv4,
		    sizeof sigv4);
		if (s == -1) {
			errf(e, "fetch %s: out of memory", shown);
			goto out;
		}
		if (s == -2) {
			errf(e, "fetch %s: libcurl lacks a needed option",
			    shown);
			goto out;
		}
		x->requests++;
		rc = curl_easy_perform(x->h);
		code = 0;
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
		if (x->is_http)
			x->status = code;
		if (x->why == AB_ERRBODY)
			rc = CURLE_OK; /* we stopped reading on purpose */
		/* An empty body still has headers to check. */
		if (rc == CURLE_OK && !x->started)
			body_start(x);
		switch (x->why) {
		case AB_SINK:
			errf(e,
			    "fetch %s: aborted by the receiver after %lld "
			    "bytes",
			    shown, (long long)x->delivered);
			goto out;
		case AB_TOO_BIG:
			errf(e, "fetch %s: larger than %lld bytes", shown,
			    (long long)o->max_bytes);
			goto out;
		case AB_CHANGED:
			errf(e, "fetch %s: changed during download (%s)", shown,
			    x->why_detail);
			goto out;
		case AB_BAD_RANGE:
			/* Start over without Range: the prefix is skipped. */
			x->no_range = true;
			errf(e, "fetch %s: bad range answer (%s)", shown,
			    x->why_detail);
			rv = 1;
			goto out;
		case AB_STOP:
			errf(e, "fetch %s: interrupted", shown);
			goto out;
		default:
			break;
		}
		if (rc != CURLE_OK) {
			if (x->curlerr[0] != '\0')
				errf(e, "fetch %s: %s (%s)", shown,
				    curl_easy_strerror(rc), x->curlerr);
			else
				errf(e, "fetch %s: %s", shown,
				    curl_easy_strerror(rc));
			rv = transient_curl_error(rc) ? 1 : -1;
			goto out;
		}
		if (!x->is_http) {
			rv = 0;
			goto out;
		}
		if (code >= 200 && code <= 299) {
			if (x->total >= 0 && x->delivered < x->total) {
				errf(e,
				    "fetch %s: connection closed after %lld "
				    "of %lld bytes",
				    shown, (long long)x->delivered,
				    (long long)x->total);
				rv = 1;
				goto out;
			}
			rv = 0;
			goto out;
		}
		if (code == 301 || code == 302 || code == 303 || code == 307 ||
		    code == 308) {
			char *loc = NULL;

			curl_easy_getinfo(x->h, CURLINFO_REDIRECT_URL, &loc);
			if (loc == NULL) {
				/* S3's wrong-region 301 has none: its XML
				 * says where to go. */
				http_error(x, shown, is_s3, code, e);
				goto out;
			}
			if (hop + 1 > o->max_redirects) {
				errf(e, "fetch %s: more than %ld redirects",
				    shown, o->max_redirects);
				goto out;
			}
			if (check_redirect(url, loc, shown, e) == -1)
				goto out;
			if ((next = strdup(loc)) == NULL) {
				errf(e, "fetch %s: out of memory", shown);
				goto out;
			}
			free(url);
			url = next;
			continue;
		}
		http_error(x, shown, is_s3, code, e);
		if (code == 408 || code == 429 ||
		    (code >= 500 && code <= 599)) {
			*retry_after = retry_after_seconds(x->rs.retry_after);
			rv = 1;
		} else if (code == 416 && x->range_sent) {
			/* Our offset is past the end: only a changed file
			 * does that; start over and let the ETag decide. */
			x->no_range = true;
			rv = 1;
		}
		goto out;
	}
out:
	curl_slist_free_all(hdrs);
	free(url);
	return rv;
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

/* Removes the password of url (raw and decoded) from msg. */
static void
scrub_url_secrets(char *msg, const char *url)
{
	CURLU *u;
	char *pw = NULL, *dpw = NULL;

	if (url == NULL || (u = curl_url()) == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
	    CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PASSWORD, &pw, 0) == CURLUE_OK)
			scrub(msg, pw);
		if (curl_url_get(u, CURLUPART_PASSWORD, &dpw,
			CURLU_URLDECODE) == CURLUE_OK)
			scrub(msg, dpw);
	}
	curl_free(pw);
	curl_free(dpw);
	curl_url_cleanup(u);
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
	if ((shown = fetch_redact_url(o->url)) == NULL) {
		errf(e, "fetch: out of memory");
		goto out;
	}
	if ((url = resolve_url(o, shown, &is_s3, e)) == NULL)
		goto out;
	if ((x.h = curl_easy_init()) == NULL) {
		errf(e, "fetch %s: curl_easy_init failed", shown);
		goto out;
	}
	for (;;) {
		attempts++;
		st = attempt(&x, url, shown, is_s3, &ra, e);
		if (st == 0) {
			rv = 0;
			break;
		}
		if (st < 0)
			break;
		if (x.delivered > 0 && x.validator[0] == '\0') {
			/* Without a validator a second response cannot be
			 * proven to continue the first. */
			erradd(e,
			    "; cannot resume after %lld bytes: the server "
			    "sends no ETag",
			    (long long)x.delivered);
			break;
		}
		if (attempts > o->max_retries) {
			erradd(e, " (gave up after %d attempt%s)", attempts,
			    attempts == 1 ? "" : "s");
			break;
		}
		delay = backoff_ms(o, attempts);
		if (ra >= 0) {
			long long want =
			    (long long)(ra < o->retry_after_max_seconds
				    ? ra
				    : o->retry_after_max_seconds) *
			    1000;

			if (want > delay)
				delay = want;
		}
		if (x.deadline_ms > 0 &&
		    monotime_ms() + delay >= x.deadline_ms) {
			erradd(e,
			    " (gave up: the whole download may take at "
			    "most %ld s)",
			    o->max_seconds);
			break;
		}
		if (monotime_ms() + delay - start >
		    o->retry_max_seconds * 1000LL) {
			erradd(e, " (gave up after %d attempt%s in %lld s)",
			    attempts, attempts == 1 ? "" : "s",
			    (monotime_ms() - start + 999) / 1000);
			break;
		}
		if (backoff_sleep(o, delay) == -1) {
			errf(e, "fetch %s: interrupted", shown);
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
		scrub_url_secrets(e->msg, o->url);
		scrub(e->msg, o->aws_secret_access_key);
		scrub(e->msg, o->aws_session_token);
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
