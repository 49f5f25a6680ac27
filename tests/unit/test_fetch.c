/* test_fetch.c - fetch against real servers on 127.0.0.1: faultd (built
 * next to this test, in ../servers/faultd) for HTTP faults, and s3rver
 * (tests/servers/s3rver.js, when node and s3rver are installed) for S3. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "err.h"
#include "fetch.h"
#include "fsutil.h"
#include "testhelp.h"
#include "testlisten.h"

#define BIG_SIZE (3 * 1024 * 1024 + 4321)
#define SMALL_SIZE 5000
#define S3_ID "AKIAIOSFODNN7EXAMPLE"
#define S3_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

struct ctx {
	char *dir;  /* temp dir: root/, logs, port files */
	char *root; /* what faultd serves */
	char *big_path;
	unsigned char *big;
	char big_sha[65];
	pid_t faultd;
	int port;
	char base[64]; /* http://127.0.0.1:PORT */
	char *log;
	pid_t s3rver;
	char s3base[64];
	pid_t tls;
	char tlsbase[64];
};

/* Collects the body in memory and hashes it as it comes. */
struct sink {
	unsigned char *buf;
	size_t len, cap;
	EVP_MD_CTX *md;
	int calls;
	size_t fail_at; /* refuse a write that passes this; 0 never */
};

static void
sink_init(struct sink *s)
{
	memset(s, 0, sizeof *s);
	s->md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(s->md, EVP_sha256(), NULL);
}

static void
sink_free(struct sink *s)
{
	free(s->buf);
	EVP_MD_CTX_free(s->md);
}

static int
sink_write(void *arg, const void *p, size_t n)
{
	struct sink *s = arg;

	s->calls++;
	if (s->fail_at > 0 && s->len + n > s->fail_at)
		return -1;
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 65536;
		unsigned char *b;

		while (cap < s->len + n)
			cap *= 2;
		if ((b = realloc(s->buf, cap)) == NULL)
			return -1;
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return EVP_DigestUpdate(s->md, p, n) == 1 ? 0 : -1;
}

static bool
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
hex(const unsigned char *d, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void
sink_sha(struct sink *s, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_DigestFinal_ex(s->md, d, &n);
	hex(d, n, out);
}

static void
sha_of(const void *p, size_t n, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dn = 0;

	EVP_Digest(p, n, d, &dn, EVP_sha256(), NULL);
	hex(d, dn, out);
}

static bool
same_as_big(struct ctx *c, struct sink *s)
{
	char sha[65];

	sink_sha(s, sha);
	return s->len == BIG_SIZE && memcmp(s->buf, c->big, BIG_SIZE) == 0 &&
	    strcmp(sha, c->big_sha) == 0;
}

/* Defaults with delays short enough for tests. */
static void
fast_opts(struct fetch_opts *o, const char *url)
{
	fetch_opts_init(o);
	o->url = url;
	o->retry_base_ms = 10;
	o->retry_delay_max_ms = 50;
	o->retry_max_seconds = 30;
	o->max_retries = 4;
	o->low_speed_limit = 1024;
	o->low_speed_time = 2;
	o->connect_timeout = 5;
}

static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *
log_text(struct ctx *c)
{
	struct errbuf e;
	size_t len;
	char *s = fs_read_file(c->log, 1 << 20, &len, &e);

	return s ? s : strdup("");
}

/* Lines of faultd's log that contain needle. */
static int
log_count(struct ctx *c, const char *needle)
{
	char *s = log_text(c), *p, *save = NULL;
	int n = 0;

	for (p = strtok_r(s, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
		if (strstr(p, needle) != NULL)
			n++;
	free(s);
	return n;
}

/* The log line number i (0-based) among those containing needle, copied to
 * out; false if there is none. */
static bool
log_line(struct ctx *c, const char *needle, int i, char *out, size_t osz)
{
	char *s = log_text(c), *p, *save = NULL;
	bool found = false;

	for (p = strtok_r(s, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
		if (strstr(p, needle) != NULL && i-- == 0) {
			snprintf(out, osz, "%s", p);
			found = true;
			break;
		}
	free(s);
	return found;
}

/* Percent-encodes everything but [A-Za-z0-9] (for a URL inside a faultd
 * SPEC). */
static void
pct(const char *s, char *out, size_t osz)
{
	size_t j = 0;

	for (; *s && j + 4 < osz; s++) {
		if (isalnum((unsigned char)*s))
			out[j++] = *s;
		else
			j += (size_t)snprintf(out + j, osz - j, "%%%02X",
			    (unsigned char)*s);
	}
	out[j] = '\0';
}

static int
exe_dir(char *out, size_t osz)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	snprintf(out, osz, "%s", dirname(exe));
	return 0;
}

/* Starts argv[0] with stdin from /dev/null and output into errfile, then
 * waits for portfile to hold a port.  Returns the pid, or -1. */
static pid_t
start_server(char *const argv[], const char *errfile, const char *portfile,
    int secs, int *port, bool search_path)
{
	long long deadline = ms_now() + secs * 1000LL;
	pid_t pid;
	int st;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int err = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (in == -1 || err == -1 || dup2(in, 0) == -1 ||
		    dup2(err, 1) == -1 || dup2(err, 2) == -1)
			_exit(126);
		if (search_path)
			execvp(argv[0], argv);
		else
			execv(argv[0], argv);
		_exit(127);
	}
	while (ms_now() < deadline) {
		FILE *f = fopen(portfile, "r");

		if (f != NULL) {
			int ok = fscanf(f, "%d", port) == 1;

			fclose(f);
			if (ok && *port > 0)
				return pid;
		}
		if (waitpid(pid, &st, WNOHANG) == pid)
			return -1;
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static int
stop_server(pid_t pid)
{
	int st;

	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int
setup(struct ctx *c)
{
	struct errbuf e;
	char bin[PATH_MAX + 32], dir[PATH_MAX], *portfile = NULL,
						*errfile = NULL;
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	const char *tmp;
	int rv = -1;

	memset(c, 0, sizeof *c);
	tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	if ((c->dir = fs_mkdtemp(tmp, "test_fetch.", &e)) == NULL) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	c->root = fs_join(c->dir, "root");
	c->log = fs_join(c->dir, "faultd.log");
	c->big_path = fs_join(c->root, "big.bin");
	portfile = fs_join(c->dir, "faultd.port");
	errfile = fs_join(c->dir, "faultd.err");
	if (!c->root || !c->log || !c->big_path || !portfile || !errfile ||
	    (c->big = malloc(BIG_SIZE)) == NULL)
		goto out;
	if (fs_mkdir_p(c->root, 0755, &e) == -1)
		goto out;
	/* xorshift: incompressible and reproducible. */
	for (size_t i = 0; i < BIG_SIZE; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		c->big[i] = (unsigned char)(x >> 24);
	}
	sha_of(c->big, BIG_SIZE, c->big_sha);
	if (fs_write_file_atomic(c->big_path, c->big, BIG_SIZE, 0644, &e) ==
	    -1) {
		fprintf(stderr, "%s\n", e.msg);
		goto out;
	}
	if (exe_dir(dir, sizeof dir) == -1)
		goto out;
	snprintf(bin, sizeof bin, "%s/../servers/faultd", dir);
	{
		char *argv[] = {bin, "-d", c->root, "-P", portfile, "-l",
		    c->log, NULL};

		c->faultd =
		    start_server(argv, errfile, portfile, 10, &c->port, false);
	}
	if (c->faultd == -1) {
		fprintf(stderr,
		    "test_fetch: cannot start %s (build it with "
		    "make %s)\n",
		    bin, "build/servers/faultd");
		goto out;
	}
	snprintf(c->base, sizeof c->base, "http://127.0.0.1:%d", c->port);
	rv = 0;
out:
	free(portfile);
	free(errfile);
	return rv;
}

static void
teardown(struct ctx *c)
{
	struct errbuf e;

	TEST("faultd exits cleanly on SIGTERM", stop_server(c->faultd) == 0);
	stop_server(c->s3rver);
	stop_server(c->tls);
	if (c->dir != NULL && fs_rm_rf(c->dir, &e) == -1)
		fprintf(stderr, "%s\n", e.msg);
	free(c->dir);
	free(c->root);
	free(c->log);
	free(c->big_path);
	free(c->big);
}

/* Runs one fetch of url with o (already set up) into a fresh sink. */
static int
run(struct fetch_opts *o, struct sink *s, struct fetch_result *r,
    struct errbuf *e)
{
	sink_init(s);
	e->msg[0] = '\0';
	return fetch_stream(o, sink_write, s, r, e);
}

static void
test_redact(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"http://user:pw@example.com/x", "http://example.com/x"},
	    {"https://u@h.example:8443/a?b=1", "https://h.example:8443/a?b=1"},
	    {"s3://AKID:SECRETKEY@bucket/key.tgz", "s3://bucket/key.tgz"},
	    {"file:///tmp/x.tgz", "file:///tmp/x.tgz"},
	    {"https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F1&"
	     "X-Amz-Signature=abcdef&versionId=7",
		"https://b.s3.amazonaws.com/k?X-Amz-Credential=REDACTED&"
		"X-Amz-Signature=REDACTED&versionId=7"},
	    {"http://user:pa@ss@host/x", "http://host/x"},
	    {"ftp://u:p w@h/x\ny", "ftp://h/x\\x0ay"},
	    {"http://h/caf\xc3\xa9/a\\b", "http://h/caf\\xc3\\xa9/a\\x5cb"},
	    /* A credential word past the 63rd byte of a long name. */
	    {"https://h/x?an_unusually_long_parameter_name_from_some_"
	     "signing_scheme_Session_Token=abc&v=1",
		"https://h/x?an_unusually_long_parameter_name_from_some_"
		"signing_scheme_Session_Token=REDACTED&v=1"},
	    {"user:secret@host/path", "host/path"},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = fetch_redact_url(cases[i].in), d[256];

		snprintf(d, sizeof d, "redact %zu: %s", i,
		    got ? got : "(null)");
		TEST(d, got != NULL && strcmp(got, cases[i].want) == 0);
		free(got);
	}
}

static void
test_plain(struct ctx *c)
{
	struct fetch_opts o;
	struct fetch_result r;
	struct sink s;
	struct errbuf e;
	char url[256], file_url[PATH_MAX + 8];
	int rc;

	snprintf(url, sizeof url, "%s/big.bin", c->base);
	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	TEST("plain GET succeeds", rc == 0);
	TEST("plain GET: bytes and sha256 identical", same_as_big(c, &s));
	TEST("plain GET: one attempt, one request, status 200",
	    r.attempts == 1 && r.requests == 1 && r.http_status == 200 &&
		r.total == BIG_SIZE && r.bytes == BIG_SIZE);
	TEST("plain GET: faultd saw one GET",
	    log_count(c, "GET /big.bin - 200") == 1);
	sink_free(&s);

	snprintf(file_url, sizeof file_url, "file://%s", c->big_path);
	fast_opts(&o, file_url);
	rc = run(&o, &s, &r, &e);
	TEST("file:// URL succeeds", rc == 0);
	TEST("file:// bytes identical", same_as_big(c, &s));
	sink_free(&s);

	snprintf(file_url, sizeof file_url, "file://%s/nope.bin", c->root);
	fast_opts(&o, file_url);
	rc = run(&o, &s, &r, &e);
	TEST("file:// missing file fails at once",
	    rc == -1 && r.attempts == 1 && s.len == 0);
	TEST("file:// error names the URL",
	    starts_with(e.msg, "fetch file://") &&
		strstr(e.msg, "nope.bin") != NULL &&
		strchr(e.msg, '\n') == NULL);
	sink_free(&s);
}

struct prog {
	int calls;
	curl_off_t done, total;
};

static void
on_prog(void *arg, curl_off_t done, curl_off_t total)
{
	struct prog *p = arg;

	p->calls++;
	p->done = done;
	p->total = total;
}

static void
test_progress(struct ctx *c)
{
	struct fetch_opts o;
	struct fetch_result r;
	struct sink s;
	struct errbuf e;
	struct prog p = {0, 0, 0};
	char url[256];
	int rc;

	/* 3 MB at 6 MB/s: about 0.5 s, so a few calls in between. */
	snprintf(url, sizeof url, "%s/_fault/rate=6000000/big.bin", c->base);
	fast_opts(&o, url);
	o.progress = on_prog;
	o.progress_arg = &p;
	o.progress_interval_ms = 100;
	rc = run(&o, &s, &r, &e);
	TEST("progress: throttled download succeeds",
	    rc == 0 && same_as_big(c, &s));
	TEST("progress: called a few times, not per chunk",
	    p.calls >= 3 && p.calls <= 20);
	TEST("progress: the last call reports done == total == size",
	    p.done == BIG_SIZE && p.total == BIG_SIZE);
	sink_free(&s);
}

static void
test_http_errors(struct ctx *c)
{
	struct fetch_opts o;
	struct fetch_result r;
	struct sink s;
	struct errbuf e;
	char url[256], want[512];
	int rc;

	snprintf(url, sizeof url, "%s/missing.bin", c->base);
	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	snprintf(want, sizeof want, "fetch %s: HTTP 404 Not Found", url);
	TEST("404 fails", rc == -1 && s.len == 0 && r.http_status == 404);
	TEST("404 message is exactly one line naming the URL",
	    strcmp(e.msg, want) == 0);
	TEST("404: exactly one request",
	    r.requests == 1 && log_count(c, "/missing.bin") == 1);
	sink_free(&s);

	snprintf(url, sizeof url, "%s/_fault/status=403/big.bin", c->base);
	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	snprintf(want, sizeof want, "fetch %s: HTTP 403 Forbidden", url);
	TEST("403 (not S3) fails with its status",
	    rc == -1 && strcmp(e.msg, want) == 0);
	TEST("403: exactly one request", log_count(c, "status=403") == 1);
	sink_free(&s);

	snprintf(url, sizeof url, "%s/_fault/status=503,fail-first=2/big.bin",
	    c->base);
	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	TEST("503 twice, then served: succeeds", rc == 0 && same_as_big(c, &s));
	TEST("503 twice: three attempts",
	    r.attempts == 3 && log_count(c, "status=503,fail-first=2") == 3 &&
		log_count(c, "status=503,fail-first=2/big.bin - 503") == 2);
	sink_free(&s);

	snprintf(url, sizeof url, "%s/_fault/status=408,fail-first=1/big.bin",
	    c->base);
	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	TEST("408 is retried",
	    rc == 0 && r.attempts == 2 && same_as_big(c, &s));
	sink_free(&s);

	snprintf(url, sizeof url, "%s/_fault/status=500/big.bin", c->base);
	fast_opts(&o, url);
	o.max_retries = 2;
	rc = run(&o, &s, &r, &e);
	snprintf(want, sizeof want,
	    "fetch %s: HTTP 500 Internal Server Error "
	    "(gave up after 3 attempts)",
	    url);
	TEST("500 forever: gives up after max_retries",
	    rc == -1 && r.attempts == 3 && log_count(c, "status=500/") == 3);
	TEST("500 forever: message says so", strcmp(e.msg, want) == 0);
	sink_free(&s);

	/* The total time budget stops retries before the count does. */
	snprintf(url, sizeof url, "%s/_fault/status=502/big.bin", c->base);
	fast_opts(&o, url);
	o.max_retries = 100;
	o.retry_base_ms = 300;
	o.retry_delay_max_ms = 300;
	o.retry_max_seconds = 1;
	rc = run(&o, &s, &r, &e);
	TEST("502 forever: total time bounds the retries",
	    rc == -1 && r.attempts >= 3 && r.attempts <= 5 &&
		strstr(e.msg, "HTTP 502 Bad Gateway (gave up after") != NULL);
	sink_free(&s);
}

static void
test_retry_after(struct ctx *c)
{
	struct fetch_opts o;
	struct fetch_result r;
	struct sink s;
	struct errbuf e;
	char url[256];
	long long t0, dt;
	int rc;

	snprintf(url, sizeof url,
	    "%s/_fault/status=429,retry-after=1,fail-first=1/big.bin", c->base);
	fast_opts(&o, url);
	t0 = ms_now();
	rc = run(&o, &s, &r, &e);
	dt = ms_now() - t0;
	TEST("429 with Retry-After: 1 then served",
	    rc == 0 && r.attempts == 2 && same_as_big(c, &s));
	TEST("Retry-After honoured (waited about 1 s, not 10 ms)",
	    dt >= 950 && dt < 5000);
	sink_free(&s);

	/* A huge Retry-After is capped. */
	snprintf(url, sizeof url,
	    "%s/_fault/status=503,retry-after=3600,fail-first=1/big.bin",
	    c->base);
	fast_opts(&o, url);
	o.retry_after_max_seconds = 1;
	t0 = ms_now();
	rc = run(&o, &s, &r, &e);
	dt = ms_now() - t0;
	TEST("Retry-After: 3600 capped at retry_after_max_seconds",
	    rc == 0 && dt >= 950 && dt < 5000 && same_as_big(c, &s));
	sink_free(&s);

	/* ... and gives up when the cap exceeds the time budget. */
	snprintf(url, sizeof url, "%s/_fault/status=503,retry-after=60/big.bin",
	    c->base);
	fast_opts(&o, url);
	o.retry_max_seconds = 5;
	t0 = ms_now();
	rc = run(&o, &s, &r, &e);
	dt = ms_now() - t0;
	TEST("Retry-After beyond the time budget: fails at once",
	    rc == -1 && r.attempts == 1 && dt < 2000 &&
		strstr(e.msg, "HTTP 503 Service Unavailable (gave up") != NULL);
	sink_free(&s);
}

static void
test_resume(struct ctx *c)
{
	struct fetch_opts o;
	struct fetch_result r;
	struct sink s;
	struct errbuf e;
	char url[256], line[512];
	long long t0, dt;
	int rc;

	snprintf(url, sizeof url,
	    "%s/_fault/drop-after=1000000,fail-first=1/big.bin", c->base);
	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	TEST("drop-after: resumed download succeeds", rc == 0);
	TEST("drop-after: bytes and sha256 identical", same_as_big(c, &s));
	TEST("drop-after: one resume, two requests",
	    r.resumes == 1 && r.restarts == 0 && r.attempts == 2);
	TEST("drop-after: second request asked for bytes=1000000- and got 206",
	    log_line(c, "drop-after=1000000,fail-first=1", 1, line,
		sizeof line) &&
		strstr(line, " bytes=1000000- 206") != NULL);
	sink_free(&s);

	snprintf(url, sizeof url,
	    "%s/_fault/reset-after=700000,fail-first=1/big.bin", c->base);
	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	TEST("reset-after: resumed, bytes identical",
	    rc == 0 && r.resumes == 1 && same_as_big(c, &s));
	sink_free(&s);

	/* The server ignores Range: the 200's first bytes are skipped. */
	snprintf(url, sizeof url,
	    "%s/_fault/no-range,drop-after=1200000,fail-first=2/big.bin",
	    c->base);
	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	TEST("no-range: succeeds, bytes identical",
	    rc == 0 && same_as_big(c, &s));
	TEST("no-range: the Range request was answered 200 and skipped",
	    log_line(c, "no-range,drop-after=1200000", 1, line, sizeof line) &&
		strstr(line, " bytes=1200000- 200") != NULL && r.restarts == 1);
	sink_free(&s);

	/* A 206 for the wrong bytes: start over without Range. */
	snprintf(url, sizeof url,
	    "%s/_fault/bad-range,drop-after=900000,fail-first=2/big.bin",
	    c->base);
	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	TEST("bad-range: succeeds, bytes identical",
	    rc == 0 && same_as_big(c, &s));
	TEST("bad-range: then a plain GET answered 200, prefix skipped",
	    log_line(c, "bad-range,drop-after=900000", 1, line, sizeof line) &&
		strstr(line, " bytes=900000- 206") != NULL &&
		log_line(c, "bad-range,drop-after=900000", 2, line,
		    sizeof line) &&
		strstr(line, " - 200") != NULL && r.restarts == 1 &&
		r.resumes == 0);
	sink_free(&s);

	/* The ETag changes between the two responses. */
	snprintf(url, sizeof url,
	    "%s/_fault/etag=v1,drop-after=800000,fail-first=1/big.bin",
	    c->base);
	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	TEST("etag change: fails", rc == -1 && r.attempts == 2);
	TEST("etag change: message says changed during download",
	    starts_with(e.msg, "fetch http://127.0.0.1:") &&
		strstr(e.msg, ": changed during download (ETag was \"v1\"") !=
		    NULL);
	TEST("etag change: the sink got only the first response's bytes",
	    s.len == 800000 && memcmp(s.buf, c->big, s.len) == 0);
	sink_free(&s);

	/* A backslash is legal in an ETag; it goes back in If-Range as it
	 * came, so every resume is answered 206, not the whole file again. */
	snprintf(url, sizeof url,
	    "%s/_fault/etag=a%%5Cb,drop-after=1200000/big.bin", c->base);
	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	TEST("backslash etag: resumed twice, bytes identical",
	    rc == 0 && r.resumes == 2 && r.restarts == 0 && same_as_big(c, &s));
	TEST("backslash etag: the resumes were answered 206",
	    log_line(c, "etag=a%5Cb,drop-after=1200000", 1, line,
		sizeof line) &&
		strstr(line, " bytes=1200000- 206") != NULL &&
		log_line(c, "etag=a%5Cb,drop-after=1200000", 2, line,
		    sizeof line) &&
		strstr(line, " bytes=2400000- 206") != NULL);
	sink_free(&s);

	/* A stall hits the low-speed limit and the rest is resumed.  libcurl
	 * averages the speed over the last few seconds, so a high limit makes
	 * the stall show within a second. */
	snprintf(url, sizeof url,
	    "%s/_fault/stall-after=200000,fail-first=1/big.bin", c->base);
	fast_opts(&o, url);
	o.low_speed_limit = 400000;
	o.low_speed_time = 1;
	t0 = ms_now();
	rc = run(&o, &s, &r, &e);
	dt = ms_now() - t0;
	TEST("stall: timed out, resumed, bytes identical",
	    rc == 0 && r.resumes == 1 && same_as_big(c, &s));
	TEST("stall: took about the low-speed time", dt >= 900 && dt < 4000);
	sink_free(&s);

	/* A stall every time: bounded. */
	snprintf(url, sizeof url, "%s/_fault/stall-after=100/big.bin", c->base);
	fast_opts(&o, url);
	o.low_speed_time = 1;
	o.max_retries = 1;
	rc = run(&o, &s, &r, &e);
	TEST("stall forever: fails after the retries, naming the timeout",
	    rc == -1 && r.attempts == 2 &&
		strstr(e.msg, "Timeout was reached") != NULL &&
		strstr(e.msg, "gave up after 2 attempts") != NULL);
	sink_free(&s);

	/* A trickle above the low-speed limit: only the deadline of the
	 * whole download ends it, and no retry starts after it. */
	snprintf(url, sizeof url, "%s/_fault/rate=20000/big.bin", c->base);
	fast_opts(&o, url);
	o.max_seconds = 1;
	t0 = ms_now();
	rc = run(&o, &s, &r, &e);
	dt = ms_now() - t0;
	TEST("trickle: ends at the whole download's deadline, once",
	    rc == -1 && r.attempts == 1 && s.len > 0 && s.len < BIG_SIZE &&
		strstr(e.msg, "may take at most 1 s") != NULL);
	printf("# %s\n", e.msg);
	/* Deadlines are kept in whole milliseconds (ours and libcurl's
	 * timers), and both ends of dt are cut to the millisecond too. */
	printf("# ended after %lld ms\n", dt);
	TEST("trickle: not before the deadline", dt >= 999);
	sink_free(&s);
}

static void
test_size_cap(struct ctx *c)
{
	struct fetch_opts o;
	struct fetch_result r;
	struct sink s;
	struct errbuf e;
	char url[256], want[512];
	int rc;

	snprintf(url, sizeof url, "%s/_fault/endless/big.bin", c->base);
	fast_opts(&o, url);
	o.max_bytes = 1048576;
	rc = run(&o, &s, &r, &e);
	snprintf(want, sizeof want, "fetch %s: larger than 1048576 bytes", url);
	TEST("endless body stops at the size cap",
	    rc == -1 && s.len <= 1048576 && strcmp(e.msg, want) == 0);
	TEST("endless: not retried", r.attempts == 1);
	sink_free(&s);

	snprintf(url, sizeof url, "%s/big.bin", c->base);
	fast_opts(&o, url);
	o.max_bytes = 1000;
	rc = run(&o, &s, &r, &e);
	snprintf(want, sizeof want, "fetch %s: larger than 1000 bytes", url);
	TEST("Content-Length over the cap fails before any byte",
	    rc == -1 && s.len == 0 && strcmp(e.msg, want) == 0);
	sink_free(&s);
}

static void
test_redirects(struct ctx *c)
{
	struct fetch_opts o;
	struct fetch_result r;
	struct sink s;
	struct errbuf e;
	char url[4096], target[2048], enc[1024], enc2[3072], line[512];
	int rc;

	snprintf(target, sizeof target, "%s/big.bin?via=redirect", c->base);
	pct(target, enc, sizeof enc);
	snprintf(url, sizeof url, "%s/_fault/redirect=%s/x", c->base, enc);
	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	TEST("redirect to http is followed",
	    rc == 0 && same_as_big(c, &s) && r.requests == 2 &&
		r.attempts == 1);
	TEST("redirect: log shows the 302 then the file",
	    log_line(c, "/x - 302", 0, line, sizeof line) &&
		log_count(c, "GET /big.bin?via=redirect - 200") == 1);
	sink_free(&s);

	pct("file:///etc/passwd", enc, sizeof enc);
	snprintf(url, sizeof url, "%s/_fault/redirect=%s/y", c->base, enc);
	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	TEST("redirect to file:// refused",
	    rc == -1 && s.len == 0 && r.requests == 1 &&
		strstr(e.msg,
		    ": redirect to file:///etc/passwd "
		    "refused (only http and https are followed)") != NULL);
	sink_free(&s);

	/* Two hops with max_redirects 1. */
	snprintf(target, sizeof target, "%s/_fault/redirect=%s/z", c->base,
	    enc);
	pct(target, enc2, sizeof enc2);
	snprintf(url, sizeof url, "%s/_fault/redirect=%s/w", c->base, enc2);
	fast_opts(&o, url);
	o.max_redirects = 1;
	rc = run(&o, &s, &r, &e);
	TEST("redirect hops are bounded",
	    rc == -1 && r.requests == 2 &&
		strstr(e.msg, "more than 1 redirects") != NULL);
	sink_free(&s);
}

static void
test_secrets_and_refused(struct ctx *c)
{
	struct fetch_opts o;
	struct fetch_result r;
	struct sink s;
	struct errbuf e;
	char url[512], want[512];
	int rc, fd, port;

	snprintf(url, sizeof url,
	    "http://deploy:hunter2secret@127.0.0.1:%d/"
	    "missing-secret.bin",
	    c->port);
	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	snprintf(want, sizeof want,
	    "fetch http://127.0.0.1:%d/missing-secret"
	    ".bin: HTTP 404 Not Found",
	    c->port);
	TEST("userinfo: error message without user or password",
	    rc == -1 && strcmp(e.msg, want) == 0);
	sink_free(&s);

	/* A port nobody listens on. */
	if ((fd = loopback_socket(0, &port)) == -1) {
		TEST("reserve a port", false);
		return;
	}
	close(fd);
	snprintf(url, sizeof url, "http://user:pw-secret@127.0.0.1:%d/x.tgz",
	    port);
	fast_opts(&o, url);
	o.max_retries = 2;
	rc = run(&o, &s, &r, &e);
	snprintf(want, sizeof want,
	    "fetch http://127.0.0.1:%d/x.tgz: "
	    "Couldn't connect to server",
	    port);
	TEST("connection refused: retried, then fails",
	    rc == -1 && r.attempts == 3);
	TEST("connection refused: message names the URL, not the password",
	    starts_with(e.msg, want) && strstr(e.msg, "pw-secret") == NULL &&
		strstr(e.msg, "gave up after 3 attempts") != NULL);
	sink_free(&s);
}

/* Answers one connection on 127.0.0.1 with the raw bytes of reply, then
 * exits.  Returns the child's pid and sets *port, or -1. */
static pid_t
one_reply_server(const char *reply, int *port)
{
	char req[4096];
	size_t got = 0, len = strlen(reply);
	ssize_t r;
	pid_t pid;
	int fd, cfd;

	if ((pid = loopback_fork(1, port, &fd)) != 0)
		return pid;
	alarm(20);
	if ((cfd = accept(fd, NULL, NULL)) == -1)
		_exit(1);
	/* Read the request's headers before answering, so that closing
	 * does not reset the connection under an unread request. */
	while (got < sizeof req - 1 &&
	    (r = read(cfd, req + got, sizeof req - 1 - got)) > 0) {
		got += (size_t)r;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	if (write(cfd, reply, len) != (ssize_t)len)
		_exit(1);
	shutdown(cfd, SHUT_WR);
	while (read(cfd, req, sizeof req) > 0)
		;
	_exit(0);
}

static void
test_hostile_reply(void)
{
	struct fetch_opts o;
	struct fetch_result r;
	struct sink s;
	struct errbuf e;
	char url[128], want[512];
	int rc, port, st;
	pid_t pid;

	pid = one_reply_server("HTTP/1.1 404 Gone\x1b[2J\xc3\xa4\\x0a\r\n"
			       "Content-Length: 0\r\nConnection: close\r\n\r\n",
	    &port);
	if (pid == -1) {
		TEST("start a one-reply server", false);
		return;
	}
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x.tgz", port);
	fast_opts(&o, url);
	o.max_retries = 0;
	rc = run(&o, &s, &r, &e);
	snprintf(want, sizeof want,
	    "fetch %s: HTTP 404 Gone\\x1b[2J"
	    "\\xc3\\xa4\\x5cx0a",
	    url);
	TEST("hostile reason: every odd byte shown as \\xNN, one line",
	    rc == -1 && r.http_status == 404 && strcmp(e.msg, want) == 0);
	if (strcmp(e.msg, want) != 0)
		printf("# %s\n", e.msg);
	sink_free(&s);
	TEST("hostile reason: the server answered once and exited",
	    waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		WEXITSTATUS(st) == 0);

	/* The password holds bytes err_printable escapes; a server that
	 * echoes it must not get it into the message in that form either. */
	pid = one_reply_server("HTTP/1.1 401 Bad password p\xc3\xa4ss\\word\r\n"
			       "Content-Length: 0\r\nConnection: close\r\n\r\n",
	    &port);
	if (pid == -1) {
		TEST("start a one-reply server", false);
		return;
	}
	snprintf(url, sizeof url,
	    "http://deploy:p%%C3%%A4ss%%5Cword@"
	    "127.0.0.1:%d/x.tgz",
	    port);
	fast_opts(&o, url);
	o.max_retries = 0;
	rc = run(&o, &s, &r, &e);
	snprintf(want, sizeof want,
	    "fetch http://127.0.0.1:%d/x.tgz: HTTP 401 "
	    "Bad password ***",
	    port);
	TEST("an echoed password is scrubbed in its escaped form too",
	    rc == -1 && strcmp(e.msg, want) == 0);
	if (strcmp(e.msg, want) != 0)
		printf("# %s\n", e.msg);
	sink_free(&s);
	TEST("echoed password: the server answered once and exited",
	    waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		WEXITSTATUS(st) == 0);
}

static void
test_sink_and_stop(struct ctx *c)
{
	struct fetch_opts o;
	struct fetch_result r;
	struct sink s;
	struct errbuf e;
	stopflag stop = 1;
	char url[256];
	int rc;

	snprintf(url, sizeof url, "%s/big.bin", c->base);
	fast_opts(&o, url);
	sink_init(&s);
	s.fail_at = 100000;
	rc = fetch_stream(&o, sink_write, &s, &r, &e);
	TEST("sink abort: fails at once, sink_failed set",
	    rc == -1 && r.sink_failed && r.attempts == 1 && s.len <= 100000);
	sink_free(&s);

	snprintf(url, sizeof url, "%s/_fault/status=503/big.bin", c->base);
	fast_opts(&o, url);
	o.stop = &stop;
	rc = run(&o, &s, &r, &e);
	TEST("stop flag: interrupted",
	    rc == -1 && strstr(e.msg, ": interrupted") != NULL &&
		r.attempts == 1);
	sink_free(&s);

	fast_opts(&o, "ftp://example.com/x");
	rc = run(&o, &s, &r, &e);
	TEST("unsupported scheme refused without a request",
	    rc == -1 &&
		strstr(e.msg, "unsupported URL scheme \"ftp\"") != NULL &&
		r.requests == 0);
	sink_free(&s);
}

/* --- https, against a small Python TLS server ------------------------ */

/* Serves ROOT over https with a self-signed certificate; /go/URL answers
 * 302 to the percent-decoded URL. */
static const char tls_server_py[] =
    "import http.server, os, ssl, sys, urllib.parse\n"
    "cert, key, portfile, root = sys.argv[1:5]\n"
    "class H(http.server.SimpleHTTPRequestHandler):\n"
    "    def __init__(self, *a, **k):\n"
    "        super().__init__(*a, directory=root, **k)\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "    def do_GET(self):\n"
    "        if self.path.startswith('/go/'):\n"
    "            self.send_response(302)\n"
    "            self.send_header('Location',\n"
    "                urllib.parse.unquote(self.path[4:]))\n"
    "            self.send_header('Content-Length', '0')\n"
    "            self.end_headers()\n"
    "            return\n"
    "        super().do_GET()\n"
    "srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
    "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "ctx.load_cert_chain(cert, key)\n"
    "srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
    "with open(portfile + '.tmp', 'w') as f:\n"
    "    f.write('%d\\n' % srv.server_address[1])\n"
    "os.rename(portfile + '.tmp', portfile)\n"
    "srv.serve_forever()\n";

static int
run_wait(char *const argv[])
{
	pid_t pid;
	int st, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) == -1 ||
		    dup2(fd, 0) == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Makes a certificate for 127.0.0.1 and starts the server.  Returns 0, or
 * 1 to skip (no openssl or python3). */
static int
tls_start(struct ctx *c, char **cert)
{
	char *key = fs_join(c->dir, "tls.key"), *port = NULL, *err = NULL;
	int rv = 1, p = 0;

	*cert = fs_join(c->dir, "tls.pem");
	port = fs_join(c->dir, "tls.port");
	err = fs_join(c->dir, "tls.log");
	if (!key || !*cert || !port || !err)
		goto out;
	{
		char *argv[] = {"openssl", "req", "-x509", "-newkey", "ec",
		    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
		    "-keyout", key, "-out", *cert, "-subj", "/CN=127.0.0.1",
		    "-addext", "subjectAltName=IP:127.0.0.1", "-days", "2",
		    NULL};

		if (run_wait(argv) != 0)
			goto out;
	}
	{
		char *argv[] = {"python3", "-c", (char *)tls_server_py, *cert,
		    key, port, c->root, NULL};

		c->tls = start_server(argv, err, port, 10, &p, true);
	}
	if (c->tls == -1) {
		c->tls = 0;
		goto out;
	}
	snprintf(c->tlsbase, sizeof c->tlsbase, "https://127.0.0.1:%d", p);
	rv = 0;
out:
	free(key);
	free(port);
	free(err);
	return rv;
}

static void
test_https(struct ctx *c)
{
	struct fetch_opts o;
	struct fetch_result r;
	struct sink s;
	struct errbuf e;
	char url[2048], target[512], enc[1024], want[4096], *cert = NULL;
	int rc;

	if (tls_start(c, &cert) != 0) {
		/* tests/run requires every part: a skip there is a failure. */
		TEST("https test server available (openssl, python3)",
		    getenv("SLUGC_REQUIRE_ALL") == NULL);
		printf("# skip: https tests (openssl or python3 missing)\n");
		free(cert);
		return;
	}
	snprintf(url, sizeof url, "%s/big.bin", c->tlsbase);
	fast_opts(&o, url);
	o.ca_file = cert;
	rc = run(&o, &s, &r, &e);
	TEST("https GET with our CA", rc == 0 && same_as_big(c, &s));
	sink_free(&s);

	fast_opts(&o, url);
	rc = run(&o, &s, &r, &e);
	TEST("https with an untrusted certificate fails at once",
	    rc == -1 && r.attempts == 1 && s.len == 0 &&
		starts_with(e.msg, "fetch https://127.0.0.1:"));
	sink_free(&s);

	/* https -> https is followed. */
	snprintf(target, sizeof target, "%s/big.bin", c->tlsbase);
	pct(target, enc, sizeof enc);
	snprintf(url, sizeof url, "%s/go/%s", c->tlsbase, enc);
	fast_opts(&o, url);
	o.ca_file = cert;
	rc = run(&o, &s, &r, &e);
	TEST("redirect https to https is followed",
	    rc == 0 && r.requests == 2 && same_as_big(c, &s));
	sink_free(&s);

	/* https -> http is not, and the http server sees no request. */
	snprintf(target, sizeof target, "%s/big.bin?downgrade=1", c->base);
	pct(target, enc, sizeof enc);
	snprintf(url, sizeof url, "%s/go/%s", c->tlsbase, enc);
	fast_opts(&o, url);
	o.ca_file = cert;
	rc = run(&o, &s, &r, &e);
	snprintf(want, sizeof want,
	    "fetch %s: redirect from https to http "
	    "(%s) refused",
	    url, target);
	TEST("redirect https to http refused",
	    rc == -1 && s.len == 0 && r.requests == 1 &&
		strcmp(e.msg, want) == 0);
	TEST("https to http: the http server saw nothing",
	    log_count(c, "downgrade=1") == 0);
	sink_free(&s);
	free(cert);
}

/* --- S3, against s3rver -------------------------------------------- */

static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/* A signed PUT of len bytes (len 0 and data NULL: create a bucket). */
static long
s3_put(const char *url, const void *data, size_t len)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hl = NULL;
	char sha[65], hdr[128];
	long code = 0;

	if (h == NULL)
		return -1;
	sha_of(data ? data : "", len, sha);
	snprintf(hdr, sizeof hdr, "x-amz-content-sha256: %s", sha);
	hl = curl_slist_append(hl, hdr);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, data ? data : "");
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
	curl_easy_setopt(h, CURLOPT_USERNAME, S3_ID);
	curl_easy_setopt(h, CURLOPT_PASSWORD, S3_SECRET);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	return code;
}

/* Starts s3rver through tests/servers/s3rver.js.  Returns 0, or 1 to skip
 * (node or s3rver not installed). */
static int
s3rver_start(struct ctx *c)
{
	char dir[PATH_MAX], root[PATH_MAX], js[PATH_MAX + 32];
	char mod[PATH_MAX + 64], *data, *portfile, *errfile;
	struct stat st;
	int i, port = 0;

	if (exe_dir(dir, sizeof dir) == -1)
		return 1;
	/* The repository root holds tests/servers/s3rver.js: go up from
	 * build/tests or build/san/tests. */
	for (i = 0; i < 4; i++) {
		size_t n = strlen(dir);

		snprintf(js, sizeof js, "%s/tests/servers/s3rver.js", dir);
		if (stat(js, &st) == 0)
			break;
		snprintf(dir + n, sizeof dir - n, "/..");
	}
	if (i == 4 || realpath(dir, root) == NULL)
		return 1;
	if (getenv("SLUGC_NODE_DIR") != NULL)
		snprintf(mod, sizeof mod, "%s/node_modules/s3rver",
		    getenv("SLUGC_NODE_DIR"));
	else
		snprintf(mod, sizeof mod, "%s/build/node/node_modules/s3rver",
		    root);
	if (stat(mod, &st) == -1)
		return 1;
	data = fs_join(c->dir, "s3data");
	portfile = fs_join(c->dir, "s3.port");
	errfile = fs_join(c->dir, "s3.log");
	setenv("S3RVER_MODULE", mod, 1);
	setenv("S3RVER_ACCESS_KEY_ID", S3_ID, 1);
	setenv("S3RVER_SECRET_ACCESS_KEY", S3_SECRET, 1);
	{
		char *argv[] = {"node", js, "-d", data, "-P", portfile,
		    "--public", "pub", "--region", "us-east-1", NULL};

		c->s3rver =
		    start_server(argv, errfile, portfile, 30, &port, true);
	}
	free(data);
	free(portfile);
	free(errfile);
	if (c->s3rver == -1) {
		c->s3rver = 0;
		return 1;
	}
	snprintf(c->s3base, sizeof c->s3base, "http://127.0.0.1:%d", port);
	return 0;
}

static void
s3_opts(struct ctx *c, struct fetch_opts *o, const char *url, bool keys)
{
	fast_opts(o, url);
	o->s3_endpoint = c->s3base;
	o->aws_region = "us-east-1";
	if (keys) {
		o->aws_access_key_id = S3_ID;
		o->aws_secret_access_key = S3_SECRET;
	}
}

static void
test_s3(struct ctx *c)
{
	struct fetch_opts o;
	struct fetch_result r;
	struct sink s;
	struct errbuf e;
	char url[256];
	int rc;

	if (s3rver_start(c) != 0) {
		TEST("s3rver available (tests/run installs it)",
		    getenv("SLUGC_REQUIRE_ALL") == NULL);
		printf(
		    "# skip: s3rver tests (node or build/node/node_modules/"
		    "s3rver missing; npm install --prefix build/node s3rver@3)"
		    "\n");
		return;
	}
	snprintf(url, sizeof url, "%s/priv", c->s3base);
	TEST("s3rver: create private bucket", s3_put(url, NULL, 0) / 100 == 2);
	snprintf(url, sizeof url, "%s/pub", c->s3base);
	TEST("s3rver: create public bucket", s3_put(url, NULL, 0) / 100 == 2);
	snprintf(url, sizeof url, "%s/priv/mono/runtime.tgz", c->s3base);
	TEST("s3rver: upload", s3_put(url, c->big, BIG_SIZE) / 100 == 2);
	snprintf(url, sizeof url, "%s/priv/dir/a%%20b.tgz", c->s3base);
	TEST("s3rver: upload a key with a space",
	    s3_put(url, c->big, SMALL_SIZE) / 100 == 2);
	snprintf(url, sizeof url, "%s/pub/open.tgz", c->s3base);
	TEST("s3rver: upload public",
	    s3_put(url, c->big, SMALL_SIZE) / 100 == 2);

	s3_opts(c, &o, "s3://priv/mono/runtime.tgz", true);
	rc = run(&o, &s, &r, &e);
	TEST("s3: signed GET of a private object",
	    rc == 0 && same_as_big(c, &s));
	if (rc != 0)
		printf("# %s\n", e.msg);
	sink_free(&s);

	s3_opts(c, &o, "s3://priv/dir/a b.tgz", true);
	rc = run(&o, &s, &r, &e);
	TEST("s3: key with a space, signed",
	    rc == 0 && s.len == SMALL_SIZE &&
		memcmp(s.buf, c->big, SMALL_SIZE) == 0);
	if (rc != 0)
		printf("# %s\n", e.msg);
	sink_free(&s);

	s3_opts(c, &o, "s3://pub/open.tgz", false);
	rc = run(&o, &s, &r, &e);
	TEST("s3: anonymous GET of a public object",
	    rc == 0 && s.len == SMALL_SIZE);
	sink_free(&s);

	s3_opts(c, &o, "s3://priv/mono/runtime.tgz", false);
	rc = run(&o, &s, &r, &e);
	TEST("s3: anonymous GET of a private object: access denied, one try",
	    rc == -1 && r.attempts == 1 &&
		starts_with(e.msg,
		    "fetch s3://priv/mono/runtime.tgz: not found or access "
		    "denied "
		    "(HTTP 403 Forbidden: AccessDenied: Access Denied, "
		    "RequestId "));
	sink_free(&s);

	s3_opts(c, &o, "s3://priv/mono/runtime.tgz", true);
	o.aws_secret_access_key = "wrong-secret-value-0123456789";
	rc = run(&o, &s, &r, &e);
	TEST("s3: wrong secret: access denied with S3's code",
	    rc == -1 && strstr(e.msg, "not found or access denied") != NULL &&
		strstr(e.msg, "SignatureDoesNotMatch") != NULL &&
		strstr(e.msg, "RequestId ") != NULL);
	TEST("s3: the secret appears nowhere in the message",
	    strstr(e.msg, "wrong-secret") == NULL &&
		strstr(e.msg, S3_SECRET) == NULL);
	sink_free(&s);

	s3_opts(c, &o, "s3://priv/nope.tgz", true);
	rc = run(&o, &s, &r, &e);
	TEST("s3: missing key: 404 with NoSuchKey and RequestId",
	    rc == -1 && r.attempts == 1 &&
		starts_with(e.msg,
		    "fetch s3://priv/nope.tgz: HTTP 404 Not Found: "
		    "NoSuchKey: ") &&
		strstr(e.msg, "RequestId ") != NULL);
	if (rc != -1 || strstr(e.msg, "NoSuchKey") == NULL)
		printf("# %s\n", e.msg);
	sink_free(&s);

	/* Temporary credentials: the token header must be signed too. */
	s3_opts(c, &o, "s3://priv/dir/a%20b.tgz", true);
	o.aws_session_token = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";
	rc = run(&o, &s, &r, &e);
	TEST("s3: signed GET with a session token",
	    rc == 0 && s.len == SMALL_SIZE);
	if (rc != 0)
		printf("# %s\n", e.msg);
	sink_free(&s);

	s3_opts(c, &o, "s3://priv/mono/runtime.tgz", true);
	o.aws_region = "eu-west-1";
	rc = run(&o, &s, &r, &e);
	TEST("s3: credentials for the wrong region: S3's code, one try",
	    rc == -1 && r.attempts == 1 &&
		strstr(e.msg,
		    ": HTTP 400 Bad Request: AuthorizationHeaderMalformed: "
		    "") != NULL &&
		strstr(e.msg, "'eu-west-1' is wrong") != NULL);
	if (rc != -1)
		printf("# %s\n", e.msg);
	sink_free(&s);

	fast_opts(&o, "s3://bucket.with.dots/k");
	o.aws_region = "bad region";
	rc = run(&o, &s, &r, &e);
	TEST("s3: a bad region is refused",
	    rc == -1 && strstr(e.msg, "bad AWS region") != NULL &&
		r.requests == 0);
	sink_free(&s);
}

int
main(void)
{
	struct ctx c;
	struct errbuf e;

	/* Tests talk to 127.0.0.1 only. */
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("ALL_PROXY");
	unsetenv("all_proxy");
	signal(SIGPIPE, SIG_IGN);
	if (fetch_global_init(&e) == -1) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	test_redact();
	if (setup(&c) == 0) {
		test_plain(&c);
		test_progress(&c);
		test_http_errors(&c);
		test_retry_after(&c);
		test_resume(&c);
		test_size_cap(&c);
		test_redirects(&c);
		test_secrets_and_refused(&c);
		test_hostile_reply();
		test_sink_and_stop(&c);
		test_https(&c);
		test_s3(&c);
	} else
		TEST("start faultd", false);
	teardown(&c);
	fetch_global_cleanup();
	return test_report();
}
