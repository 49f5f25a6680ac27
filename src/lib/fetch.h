/* fetch.h - every download slugc makes: http://, https://, file:// and
 * s3://bucket/key, streamed to a caller-supplied sink on libcurl.
 *
 * Transient failures (refused or reset connections, timeouts, stalls, 408,
 * 429, 5xx) are retried with exponential backoff, honouring Retry-After, a
 * bounded number of times and within a total time.  A body that breaks off is
 * resumed with a Range request validated by ETag, so the sink always sees one
 * continuous byte stream, exactly once.  Redirects go to http(s) only and never
 * from https to http.  Credentials (URL userinfo, AWS keys) never appear in a
 * message. */
#ifndef SLUGC_FETCH_H
#define SLUGC_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "err.h"
#include "stopflag.h"

struct fetch_opts {
	const char *url; /* http://, https://, file://, s3://bucket/key */

	/* s3:// only.  With both keys set the request is signed with SigV4;
	 * otherwise it is anonymous.  The region defaults to us-east-1.  With
	 * s3_endpoint ("http://127.0.0.1:4568") the URL becomes path-style
	 * ENDPOINT/bucket/key instead of https://bucket.s3.REGION.amazonaws.com/
	 * key.  The key part of the s3:// URL is used as a URL path, so it must be
	 * percent-encoded like one. */
	const char *aws_access_key_id;
	const char *aws_secret_access_key;
	const char *aws_session_token; /* optional, temporary credentials */
	const char *aws_region;
	const char *s3_endpoint;

	/* Retries: at most max_retries more attempts after the first, none
	 * started once retry_max_seconds have passed since the start.  The
	 * n-th retry waits retry_base_ms * 2^(n-1), at most retry_delay_max_ms,
	 * or longer when the server's Retry-After asks for it (itself capped at
	 * retry_after_max_seconds). */
	long max_retries;
	long retry_max_seconds;
	long retry_base_ms;
	long retry_delay_max_ms;
	long retry_after_max_seconds;

	const char *ca_file;  /* PEM CAs to trust instead of the system's */
	long max_redirects;   /* hops per attempt */
	curl_off_t max_bytes; /* body size cap; 0 = none */
	long connect_timeout; /* seconds */
	/* A stall: under low_speed_limit bytes/s for low_speed_time seconds.
	 * libcurl measures the speed over the last few seconds, so a stall
	 * right after a fast start shows a few seconds later. */
	long low_speed_limit;
	long low_speed_time;
	/* The whole download, every attempt and wait included, ends after
	 * max_seconds (0: no limit; default 900, Heroku's own limit for a
	 * whole compile): a server trickling just above the low-speed limit
	 * must not hold a deploy forever. */
	long max_seconds;

	/* Called from inside the transfer at most once per
	 * progress_interval_ms, and once more at the end of a successful
	 * download.  done counts bytes handed to the sink (continuous across
	 * resumes); total is the full size, or -1 when unknown. */
	void (*progress)(void *arg, curl_off_t done, curl_off_t total);
	void *progress_arg;
	long progress_interval_ms;

	/* When set and non-zero (e.g. by the caller's SIGTERM handler), the
	 * transfer and any backoff sleep stop and fetch_stream fails with
	 * "interrupted". */
	const stopflag *stop;
};

struct fetch_result {
	curl_off_t bytes; /* bytes handed to the sink */
	curl_off_t total; /* size the server announced, -1 if unknown */
	long http_status; /* last HTTP status seen, 0 if none (file://) */
	int attempts;	  /* attempts made (1 + retries) */
	int requests;	  /* requests sent, redirect hops included */
	int resumes;	  /* responses that continued with a 206 */
	int restarts; /* responses that started over (the sink's part skipped) */
	bool sink_failed; /* the sink returned -1: its message is its own */
};

/* Fills o with the defaults: 5 retries within 300 s, 500 ms base delay
 * doubling up to 30 s, Retry-After honoured up to 120 s, 10 redirects, no size
 * cap, 30 s connect timeout, a stall is under 1 KiB/s for 60 s, progress at
 * most every second, 900 s for the whole download.  The URL and everything
 * else are NULL. */
void fetch_opts_init(struct fetch_opts *o);

/* Downloads o->url and calls sink(arg, buf, len) with the body, in order and
 * each byte exactly once, however many retries and resumes it takes.  The
 * sink returns 0 to go on or -1 to abort (it keeps its own message; r's
 * sink_failed tells the caller to print that one).  The sink may block.
 * Returns 0 on success, or -1 with a one-line message in e naming the URL
 * with any credentials removed ("fetch http://h/x: HTTP 404 Not Found").
 * r may be NULL; otherwise it is filled in on success and failure.
 * fetch_global_init must have been called. */
int fetch_stream(const struct fetch_opts *o,
    int (*sink)(void *arg, const void *buf, size_t len), void *arg,
    struct fetch_result *r, struct errbuf *e);

/* Returns a malloc'd copy of url fit for messages: user name, password and
 * login options removed, signature and credential query parameters (as in
 * presigned URLs) replaced by "REDACTED", control characters replaced.  Works
 * on s3:// and on strings that do not parse as URLs.  NULL only when out of
 * memory.  The caller frees it. */
char *fetch_redact_url(const char *url);

/* Wraps curl_global_init: call once from main before any thread starts,
 * and fetch_global_cleanup once at the end. */
int fetch_global_init(struct errbuf *e);
void fetch_global_cleanup(void);

#endif
