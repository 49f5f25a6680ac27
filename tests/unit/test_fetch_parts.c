/* test_fetch_parts.c - fetch's parts on their own, without a network:
 * response headers and error bodies (fetch_resp.c), where URLs go and what
 * their messages show (fetch_url.c).  test_fetch runs the whole against
 * real servers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch_int.h"
#include "testhelp.h"

static void
header(struct fetch_resp *rs, const char *line)
{
	fetch_resp_header(rs, line, strlen(line));
}

static void
test_headers(void)
{
	struct fetch_resp rs;

	memset(&rs, 0, sizeof rs);
	header(&rs, "HTTP/1.1 206 Partial Content\r\n");
	header(&rs, "etag:  \"abc\" \r\n");
	header(&rs, "Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\n");
	header(&rs, "Content-Range: bytes 10-19/20\r\n");
	header(&rs, "Retry-After: 7\r\n");
	header(&rs, "x-amz-request-id: 123\r\n");
	header(&rs, "x-amz-bucket-region: eu-west-1\r\n");
	TEST("status line: the reason",
	    strcmp(rs.reason, "Partial Content") == 0);
	TEST("ETag: any case, blanks cut", strcmp(rs.etag, "\"abc\"") == 0);
	TEST("Content-Range, Retry-After kept",
	    strcmp(rs.content_range, "bytes 10-19/20") == 0 &&
		strcmp(rs.retry_after, "7") == 0);
	TEST("S3 seen, its region kept",
	    rs.amz && strcmp(rs.bucket_region, "eu-west-1") == 0);
	TEST("validator: the strong ETag",
	    strcmp(fetch_resp_validator(&rs, false), "\"abc\"") == 0);
	TEST("validator: by date",
	    strcmp(fetch_resp_validator(&rs, true),
		"Wed, 21 Oct 2015 07:28:00 GMT") == 0);
	header(&rs, "HTTP/1.1 200 OK\r\n");
	TEST("a status line starts afresh",
	    rs.etag[0] == '\0' && !rs.amz && strcmp(rs.reason, "OK") == 0);
	header(&rs, "ETag: W/\"weak\"\r\n");
	TEST("validator: a weak ETag is none",
	    strcmp(fetch_resp_validator(&rs, false), "") == 0);
	header(&rs, "ETag: \"caf\xc3\xa9\"\r\n");
	TEST("validator: one not printable ASCII is dropped",
	    rs.etag[0] == '\0');
	header(&rs, "Retry-After: 5\x1b[2J\r\n");
	TEST("values for messages are escaped",
	    strcmp(rs.retry_after, "5\\x1b[2J") == 0);
}

static void
test_ranges(void)
{
	curl_off_t a, b, t;

	TEST("range: whole",
	    fetch_resp_content_range("bytes 10-19/20", &a, &b, &t) == 0 &&
		a == 10 && b == 19 && t == 20);
	TEST("range: unknown total",
	    fetch_resp_content_range("bytes 0-0/*", &a, &b, &t) == 0 &&
		t == -1);
	TEST("range: end past the total refused",
	    fetch_resp_content_range("bytes 0-20/20", &a, &b, &t) == -1);
	TEST("range: backwards refused",
	    fetch_resp_content_range("bytes 5-4/20", &a, &b, &t) == -1);
	TEST("range: other units refused",
	    fetch_resp_content_range("items 0-1/2", &a, &b, &t) == -1);
	TEST("retry-after: seconds", fetch_resp_retry_after("120") == 120);
	TEST("retry-after: a date in the past is now",
	    fetch_resp_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0);
	TEST("retry-after: junk or none",
	    fetch_resp_retry_after("soon") == -1 &&
		fetch_resp_retry_after("") == -1 &&
		fetch_resp_retry_after("12x") == -1);
}

static void
test_errors(void)
{
	struct fetch_resp rs;
	struct errbuf e;

	memset(&rs, 0, sizeof rs);
	fetch_resp_error(&rs, "", "http://h/x", false, 404, &e);
	TEST("error: the standard reason",
	    strcmp(e.msg, "fetch http://h/x: HTTP 404 Not Found") == 0);
	header(&rs, "HTTP/1.1 403 Nope\r\n");
	fetch_resp_error(&rs,
	    "<?xml?><Error><Code>AccessDenied</Code><Message>No &amp; "
	    "no</Message><RequestId>R1</RequestId></Error>",
	    "s3://b/k", true, 403, &e);
	TEST("error: S3's 403 and its XML",
	    strcmp(e.msg,
		"fetch s3://b/k: not found or access denied (HTTP 403 Nope: "
		"AccessDenied: No & no, RequestId R1)") == 0);
	memset(&rs, 0, sizeof rs);
	header(&rs, "x-amz-bucket-region: eu-west-1\r\n");
	fetch_resp_error(&rs, "", "s3://b/k", true, 301, &e);
	TEST("error: the bucket's region",
	    strstr(e.msg,
		"; the bucket is in region eu-west-1 (set "
		"AWS_REGION)") != NULL);
}

/* fetch_url_resolve of url (with the given region and endpoint). */
static char *
resolve(const char *url, const char *region, const char *endpoint, bool *is_s3,
    struct errbuf *e)
{
	struct fetch_opts o;

	fetch_opts_init(&o);
	o.url = url;
	o.aws_region = region;
	o.s3_endpoint = endpoint;
	return fetch_url_resolve(&o, url, is_s3, e);
}

static bool
resolves(const char *url, const char *region, const char *endpoint,
    const char *want)
{
	struct errbuf e;
	bool is_s3;
	char *got = resolve(url, region, endpoint, &is_s3, &e);
	bool ok = got != NULL && strcmp(got, want) == 0;

	if (!ok)
		printf("# %s: %s\n", url, got != NULL ? got : e.msg);
	free(got);
	return ok;
}

static bool
refused(const char *url, const char *region, const char *msg)
{
	struct errbuf e;
	bool is_s3;
	char *got = resolve(url, region, NULL, &is_s3, &e);
	bool ok = got == NULL && strstr(e.msg, msg) != NULL;

	if (!ok)
		printf("# %s: %s\n", url, got != NULL ? got : e.msg);
	free(got);
	return ok;
}

static void
test_urls(void)
{
	struct errbuf e;
	char scheme[16], msg[256];

	TEST("resolve: http as it is",
	    resolves("http://h:1/a?b", NULL, NULL, "http://h:1/a?b"));
	TEST("resolve: s3 virtual-hosted, us-east-1",
	    resolves("s3://bkt/a/b.tgz", NULL, NULL,
		"https://bkt.s3.us-east-1.amazonaws.com/a/b.tgz"));
	TEST("resolve: a dotted bucket path-style",
	    resolves("s3://b.k/x", "eu-west-1", NULL,
		"https://s3.eu-west-1.amazonaws.com/b.k/x"));
	TEST("resolve: an endpoint path-style",
	    resolves("s3://bkt/x?v=1", NULL, "http://127.0.0.1:4568//",
		"http://127.0.0.1:4568/bkt/x?v=1"));
	TEST("resolve: a bad region",
	    refused("s3://bkt/x", "EU", "bad AWS region \"EU\""));
	TEST("resolve: credentials in an s3 URL",
	    refused("s3://k:s@bkt/x", NULL, "take no credentials or port"));
	TEST("resolve: no key",
	    refused("s3://bkt/", NULL, "an s3 URL is s3://BUCKET/KEY"));
	TEST("resolve: ftp",
	    refused("ftp://h/x", NULL, "unsupported URL scheme \"ftp\""));
	TEST("resolve: a space",
	    refused("http://h/a b", NULL, "a space; write %20"));

	TEST("scheme: lower case",
	    fetch_url_scheme("HTTPS://h/", scheme, sizeof scheme) == 0 &&
		strcmp(scheme, "https") == 0);
	TEST("origin: same",
	    fetch_url_same_origin("https://H/a", "https://h:443/b"));
	TEST("origin: another port",
	    !fetch_url_same_origin("https://h/a", "https://h:8443/a"));
	TEST("redirect: https to http refused",
	    fetch_url_check_redirect("https://h/a", "http://u:pw@h/b",
		"https://h/a", &e) == -1 &&
		strcmp(e.msg,
		    "fetch https://h/a: redirect from https to "
		    "http (http://h/b) refused") == 0);
	TEST("redirect: to file refused",
	    fetch_url_check_redirect("http://h/a", "file:///etc/passwd",
		"http://h/a", &e) == -1 &&
		strstr(e.msg, "only http and https are followed") != NULL);
	TEST("redirect: http to https followed",
	    fetch_url_check_redirect("http://h/a", "https://h/b", "http://h/a",
		&e) == 0);

	snprintf(msg, sizeof msg, "x hunter2 y hunt%%65r2 z");
	fetch_url_scrub_password(msg, "http://u:hunt%65r2@h/");
	TEST("scrub: the password, raw and decoded",
	    strcmp(msg, "x *** y *** z") == 0);
	snprintf(msg, sizeof msg, "echo: s\\x0a3cret and s3cret");
	fetch_url_scrub(msg, "s\n3cret");
	TEST("scrub: as err_printable shows it too",
	    strcmp(msg, "echo: *** and s3cret") == 0);
	fetch_url_scrub(msg, "abc");
	fetch_url_scrub(msg, NULL);
	TEST("scrub: short or no secrets left alone",
	    strcmp(msg, "echo: *** and s3cret") == 0);
}

int
main(void)
{
	struct errbuf e;

	if (fetch_global_init(&e) == -1) {
		printf("# %s\n", e.msg);
		return 1;
	}
	test_headers();
	test_ranges();
	test_errors();
	test_urls();
	fetch_global_cleanup();
	return test_report();
}
