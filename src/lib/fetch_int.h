/* fetch_int.h - the parts of fetch, for its own files only:
 *
 *	fetch.c       the transfer: one attempt and its redirect hops on
 *	              libcurl, resumes, and the retry loop (fetch_stream)
 *	fetch_url.c   URLs: redaction for messages, scheme and origin, where
 *	              s3://bucket/key goes, which redirects are followed, and
 *	              secrets scrubbed from messages
 *	fetch_resp.c  what a response says: headers, validators, ranges,
 *	              Retry-After, and the message for an error status
 *
 * The URL a download names in its messages is redacted once, by
 * fetch_stream (fetch_redact_url), and handed to the rest as `shown`. */
#ifndef SLUGC_FETCH_INT_H
#define SLUGC_FETCH_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "fetch.h"

/* ---- fetch_url.c ------------------------------------------------------ */

/* The lower-case scheme of url into buf (bsz bytes).  Returns 0, or -1
 * when url does not parse. */
int fetch_url_scheme(const char *url, char *buf, size_t bsz);

/* true when a and b have the same scheme, host and port. */
bool fetch_url_same_origin(const char *a, const char *b);

/* Turns o->url into the URL libcurl fetches: http(s) and file URLs as they
 * are, s3://bucket/key into virtual-hosted https://bucket.s3.REGION.
 * amazonaws.com/key (path-style when the bucket name holds dots, which the
 * wildcard certificate does not cover, or when s3_endpoint is set); *is_s3
 * says which.  shown is o->url redacted, for messages.  Returns a malloc'd
 * URL, or NULL with e filled. */
char *fetch_url_resolve(const struct fetch_opts *o, const char *shown,
    bool *is_s3, struct errbuf *e);

/* Whether the redirect from -> to is one we follow (to http or https only,
 * never from https to http).  Returns 0, or -1 with e naming shown and to
 * (redacted). */
int fetch_url_check_redirect(const char *from, const char *to,
    const char *shown, struct errbuf *e);

/* Replaces every occurrence of secret (4 bytes or more; NULL is fine) in
 * msg with "***", as it is and as err_printable shows it (the form a
 * server's echo of it takes in our messages).  A second line of defence
 * behind fetch_redact_url: libcurl's own error texts are not ours. */
void fetch_url_scrub(char *msg, const char *secret);

/* fetch_url_scrub of url's password, raw and percent-decoded. */
void fetch_url_scrub_password(char *msg, const char *url);

/* ---- fetch_resp.c ----------------------------------------------------- */

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

/* Takes one header line as libcurl hands it (len bytes, CRLF included)
 * into rs; a status line starts rs afresh. */
void fetch_resp_header(struct fetch_resp *rs, const char *line, size_t len);

/* The validator that proves two responses carry the same bytes: a strong
 * ETag, else Last-Modified (weak ETags promise equivalence, not identical
 * bytes).  by_date picks Last-Modified, so that a later response is judged
 * by the same kind of validator as the first.  "" when there is none. */
const char *fetch_resp_validator(const struct fetch_resp *rs, bool by_date);

/* Parses a Content-Range value, "bytes START-END/TOTAL" (TOTAL may be
 * '*': -1).  Returns 0, or -1 when it is not one. */
int fetch_resp_content_range(const char *s, curl_off_t *start, curl_off_t *end,
    curl_off_t *total);

/* Fills e with the message for the final HTTP error status code: the
 * reason, what an S3 <Error> document in errbody (the body's start, NUL-
 * terminated) says, a 403 from S3 as "not found or access denied", and the
 * bucket's region when S3 says it is elsewhere. */
void fetch_resp_error(const struct fetch_resp *rs, const char *errbody,
    const char *shown, bool is_s3, long code, struct errbuf *e);

/* Seconds to wait from a Retry-After value (delta-seconds or an HTTP
 * date), or -1 if there is none or it does not parse. */
long fetch_resp_retry_after(const char *v);

/* Appends to the message already in e (NULL is fine). */
void fetch_erradd(struct errbuf *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
