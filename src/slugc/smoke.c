/* smoke.c - `slugc smoke`: build, boot web, one HTTP request through
 * libcurl the way a router sends it (or several, cookies kept), and the
 * time of each phase. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "fsutil.h"
#include "log.h"
#include "loopport.h"
#include "monotime.h"
#include "slugc.h"
#include "spawn.h"

#define BODY_MAX (1 << 20)
#define REQUEST_TIMEOUT_MS 30000

struct smoke {
	const struct opts *o;
	char host[300];
	char *body;
	size_t len;
	long status;
	char failure[512];
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct smoke *sm = arg;
	size_t n = size * nmemb, keep = n;
	char *p;

	if (sm->len + keep > BODY_MAX)
		keep = BODY_MAX - sm->len; /* enough to look at */
	if (keep > 0) {
		if ((p = realloc(sm->body, sm->len + keep + 1)) == NULL)
			return 0;
		sm->body = p;
		memcpy(sm->body + sm->len, data, keep);
		sm->len += keep;
		sm->body[sm->len] = '\0';
	}
	return n;
}

/* One request on c, whose cookie engine holds what earlier answers set:
 * its status checked, and the body of the last one (i == n). */
static int
smoke_one(struct smoke *sm, CURL *c, const char *path, int i, int n)
{
	const struct opts *o = sm->o;
	char what[300];
	CURLcode cc;

	snprintf(what, sizeof what, "GET %s", path);
	if (n > 1)
		snprintf(what + strlen(what), sizeof what - strlen(what),
		    " (request %d of %d)", i, n);
	sm->len = 0;
	if (sm->body != NULL)
		sm->body[0] = '\0';
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		snprintf(sm->failure, sizeof sm->failure, "%s: %s", what,
		    curl_easy_strerror(cc));
		return SX_SMOKE;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &sm->status);
	if (o->expect_status > 0 ? sm->status != o->expect_status
				 : sm->status < 200 || sm->status > 399) {
		if (o->expect_status > 0)
			snprintf(sm->failure, sizeof sm->failure,
			    "%s answered %ld, expected %d", what, sm->status,
			    o->expect_status);
		else
			snprintf(sm->failure, sizeof sm->failure,
			    "%s answered %ld, expected 2xx or 3xx", what,
			    sm->status);
		return SX_SMOKE;
	}
	if (i == n && o->expect_body != NULL &&
	    (sm->body == NULL || strstr(sm->body, o->expect_body) == NULL)) {
		snprintf(sm->failure, sizeof sm->failure,
		    "%s answered %ld without the expected text in its "
		    "body (%zu bytes)",
		    what, sm->status, sm->len);
		return SX_SMOKE;
	}
	return SX_OK;
}

/* dyno_ready_fn: the requests, once web is bound.  They share one handle
 * with libcurl's cookie engine on, as a browser would send them: a
 * session the app keeps in a cookie is the same session throughout, and
 * the last answer shows whether the app kept its state. */
static int
smoke_request(void *arg, int port)
{
	struct smoke *sm = arg;
	const struct opts *o = sm->o;
	struct curl_slist *hdrs = NULL;
	char url[512], hosthdr[320];
	const char *path = o->path != NULL ? o->path : "/";
	int code = SX_SMOKE, i, n = o->requests > 0 ? o->requests : 1;
	CURL *c;

	snprintf(url, sizeof url, "http://127.0.0.1:%d%s%s", port,
	    path[0] == '/' ? "" : "/", path);
	snprintf(hosthdr, sizeof hosthdr, "Host: %s", sm->host);
	if ((c = curl_easy_init()) == NULL ||
	    (hdrs = curl_slist_append(NULL, hosthdr)) == NULL) {
		snprintf(sm->failure, sizeof sm->failure, "out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sm);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)REQUEST_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "slugc-smoke");
	/* "": the cookie engine on, reading no file.  Cookies are matched
	 * against the Host header's name, not 127.0.0.1. */
	if (n > 1 && curl_easy_setopt(c, CURLOPT_COOKIEFILE, "") != CURLE_OK) {
		snprintf(sm->failure, sizeof sm->failure,
		    "this libcurl keeps no cookies");
		goto out;
	}
	for (i = 1; i <= n; i++)
		if ((code = smoke_one(sm, c, path, i, n)) != SX_OK)
			break;
out:
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	return code;
}

static void
phase(char *buf, size_t size, size_t *used, const char *name, double ms)
{
	int n;

	if (ms < 0 || *used >= size)
		return;
	n = snprintf(buf + *used, size - *used, "%s%s %.2f s",
	    *used > 0 ? ", " : "", name, ms / 1000.0);
	if (n > 0)
		*used += (size_t)n;
}

/* The line that says how the smoke test went (none after a signal: main
 * says so). */
static void
smoke_report(const struct smoke *sm, const struct dyno_result *r, int code)
{
	const struct opts *o = sm->o;
	const char *path = o->path != NULL ? o->path : "/";
	char many[64] = "";

	if (o->requests > 1)
		snprintf(many, sizeof many,
		    ", the last of %d with cookies kept", o->requests);
	if (spawn_interrupted()) {
		/* main says so */
	} else if (code == SX_OK) {
		log_topic(stdout,
		    "Smoke test passed: GET %s -> %ld (%zu bytes, Host %s)%s",
		    path, sm->status, sm->len, sm->host, many);
	} else if (r->r10) {
		log_error(stdout,
		    "Smoke test failed: web did not bind $PORT within %d "
		    "seconds (R10)",
		    o->boot_timeout);
	} else if (sm->failure[0] != '\0') {
		log_error(stdout, "Smoke test failed: %s", sm->failure);
	} else if (r->first[0] != '\0') {
		log_error(stdout,
		    "Smoke test failed: %s ended with status %d%s", r->first,
		    r->status, r->crashed ? " before binding $PORT" : "");
	}
}

/* Boots web from the build (or its unpacked slug at home) on port and
 * makes the request once it is bound. */
static int
smoke_boot(struct smoke *sm, const struct build *b, const char *home, int port,
    struct dyno_result *r)
{
	const struct opts *o = sm->o;
	struct dyno_plan pl = {0};
	const char *types[] = {"web", NULL};

	snprintf(sm->host, sizeof sm->host, "%s",
	    o->host != NULL ? o->host : "");
	if (o->host == NULL)
		snprintf(sm->host, sizeof sm->host, "%s.localhost",
		    b->app_name);
	log_topic(stdout, "Booting web on port %d", port);
	pl.app_name = b->app_name;
	pl.commit = b->git.commit;
	pl.created = time(NULL);
	pl.home = home != NULL ? home : b->build_dir;
	pl.release = b->release;
	pl.envfile_vars = o->envfile_vars;
	pl.cli_vars = o->cli_vars;
	pl.types = types;
	pl.port = port;
	pl.boot_timeout = o->boot_timeout;
	pl.prefix = true;
	pl.ready = smoke_request;
	pl.ready_arg = sm;
	pl.stop_when_ready = true;
	return dyno_run(&pl, r);
}

/* The build's web process and a port for it, or the status to leave
 * with. */
static int
smoke_check(const struct opts *o, const struct build *b, int *port)
{
	if (procfile_get(b->release->types, "web") == NULL) {
		log_error(stdout,
		    "Smoke test failed: the app has no web process type");
		return SX_USAGE;
	}
	if ((*port = o->port > 0 ? o->port : loopport_free(NULL)) <= 0) {
		log_error(stdout, "Smoke test failed: no free port");
		return SX_FAIL;
	}
	return SX_OK;
}

int
smoke_app(const struct opts *o)
{
	struct build b;
	struct dyno_result r;
	struct smoke sm = {0};
	struct errbuf e;
	char *dir = NULL, *home = NULL, times[512];
	double t0 = monotime_msf(), t_unpack = -1, t_stop = 0, t1;
	size_t used = 0;
	int code, port;

	sm.o = o;
	if ((code = build_app(o, o->smoke_slug, &b)) != SX_OK)
		goto out;
	t1 = monotime_msf();
	if (o->smoke_slug && dyno_unpack(b.slug_path, &dir, &home, &e) == -1) {
		log_error(stdout, "%s", e.msg);
		code = SX_FAIL;
		goto out;
	}
	if (o->smoke_slug)
		t_unpack = monotime_msf() - t1;
	if ((code = smoke_check(o, &b, &port)) != SX_OK)
		goto out;
	code = smoke_boot(&sm, &b, home, port, &r);
	t_stop = monotime_msf();
	phase(times, sizeof times, &used, "take", b.ms_take);
	phase(times, sizeof times, &used, "compile", b.ms_compile);
	phase(times, sizeof times, &used, "release", b.ms_release);
	phase(times, sizeof times, &used, "pack",
	    o->smoke_slug ? b.ms_pack : -1);
	phase(times, sizeof times, &used, "unpack", t_unpack);
	phase(times, sizeof times, &used, "boot", r.ms_boot);
	phase(times, sizeof times, &used, "request", r.ms_request);
	phase(times, sizeof times, &used, "stop", r.ms_stop);
	if (code == SX_OK && sm.status == 0)
		code = SX_SMOKE; /* web ended (status 0) before binding */
	smoke_report(&sm, &r, code);
out:
	if (dir != NULL) {
		struct errbuf ignored;

		fs_rm_rf(dir, &ignored);
	}
	build_free(&b);
	if (used > 0) {
		phase(times, sizeof times, &used, "cleanup",
		    monotime_msf() - t_stop);
		phase(times, sizeof times, &used, "total", monotime_msf() - t0);
		log_info(stdout, "%s", times);
	}
	free(dir);
	free(home);
	free(sm.body);
	return code;
}
