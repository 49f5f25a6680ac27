/* fetch_resp.c - what a response says: its status line and headers
 * (validators, Content-Range, Retry-After, S3's region), and the message
 * for an error status, with the code and message of an S3 <Error> body. */
#include "fetch_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void
fetch_erradd(struct errbuf *e, const char *fmt, ...)
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

void
fetch_resp_header(struct fetch_resp *rs, const char *buf, size_t len)
{
	char amz[8];

	if (len > 5 && strncmp(buf, "HTTP/", 5) == 0) {
		const char *s = memchr(buf, ' ', len);
		size_t rest;

		memset(rs, 0, sizeof *rs);
		/* "HTTP/1.1 404 Not Found": the reason follows the code. */
		if (s != NULL && (size_t)(s - buf) + 5 < len) {
			s += 5;
			rest = len - (size_t)(s - buf);
			while (rest > 0 && isspace((unsigned char)s[rest - 1]))
				rest--;
			err_printable(rs->reason, sizeof rs->reason, s, rest);
		}
		return;
	}
	if (header_validator(buf, len, "ETag", rs->etag, sizeof rs->etag) ||
	    header_validator(buf, len, "Last-Modified", rs->last_modified,
		sizeof rs->last_modified) ||
	    header_value(buf, len, "Content-Range", rs->content_range,
		sizeof rs->content_range) ||
	    header_value(buf, len, "Retry-After", rs->retry_after,
		sizeof rs->retry_after))
		return;
	if (header_value(buf, len, "x-amz-request-id", amz, sizeof amz))
		rs->amz = true;
	else
		header_value(buf, len, "x-amz-bucket-region", rs->bucket_region,
		    sizeof rs->bucket_region);
}

const char *
fetch_resp_validator(const struct fetch_resp *rs, bool by_date)
{
	if (by_date)
		return rs->last_modified;
	if (strncmp(rs->etag, "W/", 2) != 0)
		return rs->etag;
	return "";
}

int
fetch_resp_content_range(const char *s, curl_off_t *start, curl_off_t *end,
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

void
fetch_resp_error(const struct fetch_resp *rs, const char *errbody,
    const char *shown, bool is_s3, long code, struct errbuf *e)
{
	char reason[96], scode[96], smsg[256], sreq[96], detail[512];
	bool xml;

	snprintf(reason, sizeof reason, "%s",
	    rs->reason[0] ? rs->reason : std_reason(code));
	scode[0] = smsg[0] = sreq[0] = '\0';
	xml = strstr(errbody, "<Error>") != NULL &&
	    xml_text(errbody, "Code", scode, sizeof scode);
	if (xml) {
		xml_text(errbody, "Message", smsg, sizeof smsg);
		xml_text(errbody, "RequestId", sreq, sizeof sreq);
		snprintf(detail, sizeof detail, ": %s%s%s%s%s", scode,
		    smsg[0] ? ": " : "", smsg, sreq[0] ? ", RequestId " : "",
		    sreq);
	} else
		detail[0] = '\0';
	if ((is_s3 || rs->amz || xml) && code == 403)
		errf(e, "fetch %s: not found or access denied (HTTP 403%s%s%s)",
		    shown, reason[0] ? " " : "", reason, detail);
	else
		errf(e, "fetch %s: HTTP %ld%s%s%s", shown, code,
		    reason[0] ? " " : "", reason, detail);
	if (rs->bucket_region[0] != '\0' && (code == 301 || code == 400))
		fetch_erradd(e, "; the bucket is in region %s (set AWS_REGION)",
		    rs->bucket_region);
}

long
fetch_resp_retry_after(const char *v)
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
