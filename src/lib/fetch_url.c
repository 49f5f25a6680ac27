/* fetch_url.c - fetch's URLs: what a URL may show in a message (userinfo
 * and credential parameters removed), its scheme and origin, where an
 * s3://bucket/key URL goes, which redirects are followed, and secrets
 * scrubbed from messages libcurl or a server wrote. */
#include "fetch_int.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

void
fetch_url_scrub(char *msg, const char *secret)
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

int
fetch_url_scheme(const char *url, char *buf, size_t bsz)
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

bool
fetch_url_same_origin(const char *a, const char *b)
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

char *
fetch_url_resolve(const struct fetch_opts *o, const char *shown, bool *is_s3,
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
	if (fetch_url_scheme(o->url, scheme, sizeof scheme) == -1) {
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

int
fetch_url_check_redirect(const char *from, const char *to, const char *shown,
    struct errbuf *e)
{
	char fs[16], ts[16], *tshown;
	int rv = 0;

	if ((tshown = fetch_redact_url(to)) == NULL)
		return errf(e, "fetch %s: out of memory", shown);
	if (fetch_url_scheme(to, ts, sizeof ts) == -1)
		rv = errf(e, "fetch %s: redirect to a malformed URL (%s)",
		    shown, tshown);
	else if (strcmp(ts, "http") != 0 && strcmp(ts, "https") != 0)
		rv = errf(e,
		    "fetch %s: redirect to %s refused (only http and "
		    "https are followed)",
		    shown, tshown);
	else if (fetch_url_scheme(from, fs, sizeof fs) == 0 &&
	    strcmp(fs, "https") == 0 && strcmp(ts, "http") == 0)
		rv = errf(e,
		    "fetch %s: redirect from https to http (%s) "
		    "refused",
		    shown, tshown);
	free(tshown);
	return rv;
}

void
fetch_url_scrub_password(char *msg, const char *url)
{
	CURLU *u;
	char *pw = NULL, *dpw = NULL;

	if (url == NULL || (u = curl_url()) == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
	    CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PASSWORD, &pw, 0) == CURLUE_OK)
			fetch_url_scrub(msg, pw);
		if (curl_url_get(u, CURLUPART_PASSWORD, &dpw,
			CURLU_URLDECODE) == CURLUE_OK)
			fetch_url_scrub(msg, dpw);
	}
	curl_free(pw);
	curl_free(dpw);
	curl_url_cleanup(u);
}
