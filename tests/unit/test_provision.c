/* test_provision.c - the add-ons a release and app.json ask for, made on
 * an app's first build only, against Debian's real redis-server (which
 * provisioning finds but does not start): what is made, the config vars,
 * warnings for services with no local equivalent and for ones the app has,
 * app.json's shapes and errors, and a failed first build that the next
 * one completes without making anything twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addon.h"
#include "appstate.h"
#include "provision.h"
#include "testhelp.h"
#include "testtmp.h"

struct seen {
	int created, warnings;
	char warning[1024];
};

static void
on_event(void *arg, enum addon_event ev, const struct addon *a,
    const char *detail)
{
	struct seen *s = arg;

	(void)a;
	(void)detail;
	if (ev == ADDON_EV_CREATED)
		s->created++;
}

static void
on_warn(void *arg, const char *msg)
{
	struct seen *s = arg;
	size_t l = strlen(s->warning);

	s->warnings++;
	snprintf(s->warning + l, sizeof s->warning - l, "%s|", msg);
}

static struct addon_opts
opts(struct seen *s)
{
	struct addon_opts o = {0};

	memset(s, 0, sizeof *s);
	o.on_event = on_event;
	o.warn = on_warn;
	o.arg = s;
	return o;
}

static struct appstate *
app(const char *name)
{
	struct appstate *st;
	struct errbuf e;

	if (appstate_open(name, true, &st, &e) == -1) {
		fprintf(stderr, "%s\n", e.msg);
		abort();
	}
	return st;
}

static struct manifest *
release(const char *const *addons)
{
	struct manifest *m = manifest_new();
	struct errbuf e;

	if (m == NULL)
		abort();
	for (; *addons != NULL; addons++)
		if (manifest_add_addon(m, *addons, &e) == -1)
			abort();
	return m;
}

/* provision_wants then addon_provision. */
static int
provision(struct appstate *st, const struct manifest *m, const char *dir,
    struct addon_opts *o, size_t *made, struct errbuf *e)
{
	struct provision_want *w;
	size_t n;
	int rc;

	if (provision_wants(m, dir, &w, &n, o->warn, o->arg, e) == -1)
		return -100;
	rc = addon_provision(st, w, n, o, made, e);
	provision_wants_free(w, n);
	return rc;
}

static size_t
count_addons(struct appstate *st)
{
	struct addon **v;
	struct errbuf e;
	size_t n;

	if (addon_list(st, &v, &n, &e) != ADDON_OK)
		abort();
	addon_list_free(v, n);
	return n;
}

static void
test_first_build(void)
{
	static const char *const want[] = {"redistogo:nano",
	    "papertrail:choklad", NULL};
	struct manifest *m = release(want);
	struct appstate *st = app("first");
	struct addon_opts o;
	struct seen s;
	struct errbuf e;
	struct envdir *cfg;
	struct stat sb;
	struct addon *a;
	size_t made = 99;
	int rc;

	put("first/app.json",
	    "{\"name\": \"x\", \"addons\": [\"redistogo\", {\"plan\": "
	    "\"heroku-redis:mini\", \"as\": \"CACHE\", \"options\": {}}]}\n",
	    0644);
	o = opts(&s);
	rc = provision(st, m, at(tmpdir, "first"), &o, &made, &e);
	TEST("first build: provisions", rc == 0);
	if (rc != 0)
		printf("# %s\n", e.msg);
	TEST("first build: two add-ons made, one event each",
	    made == 2 && s.created == 2 && count_addons(st) == 2);
	TEST("first build: the one with no local equivalent is named",
	    strstr(s.warning, "papertrail:choklad has no local equivalent") !=
		NULL);
	TEST("first build: app.json's redistogo is not made twice",
	    strstr(s.warning,
		"redistogo: the app has an add-on of this "
		"service already") != NULL);
	TEST("first build: options are ignored, with a warning",
	    strstr(s.warning, "addons[1]: options are ignored") != NULL);
	TEST("first build: three warnings in all", s.warnings == 3);
	if (appstate_config_read(st, &cfg, &e) == -1)
		abort();
	TEST("first build: REDISTOGO_URL, REDIS_URL and --as CACHE_URL",
	    cfg->nvars == 3 && envdir_get(cfg, "REDISTOGO_URL") != NULL &&
		envdir_get(cfg, "REDIS_URL") != NULL &&
		envdir_get(cfg, "CACHE_URL") != NULL);
	envdir_free(cfg);
	TEST("first build: the attachment CACHE is found",
	    addon_find(st, "CACHE", &a, &e) == ADDON_OK &&
		strcmp(a->service, "heroku-redis") == 0 && a->pid == 0);
	addon_free(a);
	TEST("first build: recorded, 0600",
	    stat(at(tmpdir, "state/slugc/apps/first/first-build"), &sb) == 0 &&
		(sb.st_mode & 07777) == 0600);
	o = opts(&s);
	made = 99;
	/* The one warning is app.json's options, read again (a caller
	 * shows it only when it provisions). */
	TEST("second build: nothing done",
	    provision(st, m, at(tmpdir, "first"), &o, &made, &e) == 1 &&
		made == 0 && s.created == 0 && s.warnings == 1 &&
		strstr(s.warning, "options") != NULL && count_addons(st) == 2);
	manifest_free(m);
	appstate_close(st);
}

static void
test_retry(void)
{
	static const char *const want[] = {"heroku-redis", "redistogo", NULL};
	struct manifest *m = release(want);
	struct appstate *st = app("retry");
	struct addon_opts o;
	struct seen s;
	struct errbuf e;
	size_t made;

	o = opts(&s);
	o.redis_server = at(tmpdir, "no-redis-server");
	TEST("retry: no redis-server: the first build fails to provision",
	    provision(st, m, NULL, &o, &made, &e) == ADDON_ERR_NOTINSTALLED &&
		made == 0 && strstr(e.msg, "redis-server") != NULL);
	TEST("retry: ...and is not recorded",
	    !exists("state/slugc/apps/retry/first-build"));
	o = opts(&s);
	TEST("retry: the next build provisions",
	    provision(st, m, NULL, &o, &made, &e) == 0 && made == 2 &&
		count_addons(st) == 2);
	appstate_close(st);

	/* One made, then a failure: the next build does not make it twice. */
	st = app("half");
	o = opts(&s);
	if (addon_create(st, "heroku-redis", NULL, NULL, &o, NULL, &e) != 0)
		abort();
	o = opts(&s);
	TEST("retry: one made by hand before the first build is kept",
	    provision(st, m, NULL, &o, &made, &e) == 0 && made == 1 &&
		count_addons(st) == 2 && s.warnings == 1);
	manifest_free(m);
	appstate_close(st);
}

static void
test_none_asked(void)
{
	static const char *const none[] = {NULL},
				 *const one[] = {"redis", NULL};
	struct manifest *m0 = release(none), *m1 = release(one);
	struct appstate *st = app("later");
	struct addon_opts o;
	struct seen s;
	struct errbuf e;
	size_t made = 99;

	o = opts(&s);
	TEST("none asked: nothing to do, nothing recorded",
	    provision(st, m0, NULL, &o, &made, &e) == 1 && made == 0 &&
		!exists("state/slugc/apps/later/first-build"));
	TEST("none asked: a NULL release and no app.json too",
	    provision(st, NULL, at(tmpdir, "nowhere"), &o, &made, &e) == 1);
	TEST("the first build that asks provisions",
	    provision(st, m1, NULL, &o, &made, &e) == 0 && made == 1 &&
		exists("state/slugc/apps/later/first-build"));
	manifest_free(m0);
	manifest_free(m1);
	appstate_close(st);
}

static void
test_appjson(void)
{
	static const char *const none[] = {NULL};
	static const struct {
		const char *text, *why;
	} bad[] = {
	    {"{\"addons\": \"redis\"}", "\"addons\" is not an array"},
	    {"{\"addons\": [7]}", "addons[0] is neither a string"},
	    {"{\"addons\": [{\"as\": \"X\"}]}", "addons[0] has no \"plan\""},
	    {"{\"addons\": [{\"plan\": 1}]}", "addons[0].plan is not a string"},
	    {"{\"addons\": [\"redis\"", "not valid JSON"},
	    {"{\"addons\": []} x", "not valid JSON"},
	    {"[1]", "not a JSON object"},
	};
	struct manifest *m = release(none);
	struct provision_want *w;
	struct appstate *st;
	struct addon_opts o;
	struct seen s;
	struct errbuf e;
	size_t n, i, made;
	bool all = true;

	put("aj/app.json", "{\"addons\": [\"redis:x\", {\"plan\": \"a\"}]}",
	    0644);
	TEST("app.json: strings and objects",
	    provision_appjson(at(tmpdir, "aj"), &w, &n, NULL, NULL, &e) == 0 &&
		n == 2 && strcmp(w[0].spec, "redis:x") == 0 &&
		w[0].as == NULL && strcmp(w[1].spec, "a") == 0);
	provision_wants_free(w, n);
	put("aj2/app.json", "{\"name\": \"no addons\"}", 0644);
	TEST("app.json: without addons, none",
	    provision_appjson(at(tmpdir, "aj2"), &w, &n, NULL, NULL, &e) == 0 &&
		n == 0 && w == NULL);
	TEST("app.json: none at all, none",
	    provision_appjson(at(tmpdir, "aj3"), &w, &n, NULL, NULL, &e) == 0 &&
		n == 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		put("bad/app.json", bad[i].text, 0644);
		if (provision_appjson(at(tmpdir, "bad"), &w, &n, NULL, NULL,
			&e) != -1 ||
		    strstr(e.msg, bad[i].why) == NULL ||
		    strncmp(e.msg, "app.json: ", 10) != 0) {
			all = false;
			printf("# %zu: %s\n", i, e.msg);
		}
	}
	TEST("app.json: each malformed one refused, saying why", all);
	put("secret", "{\"addons\": [\"redis\"]}", 0600);
	put("out/other", "", 0600);
	put_link("out/app.json", "../secret");
	TEST("app.json: a symlink out of the app is refused",
	    provision_appjson(at(tmpdir, "out"), &w, &n, NULL, NULL, &e) ==
		    -1 &&
		strstr(e.msg, "app.json") != NULL);
	st = app("badjson");
	o = opts(&s);
	put("bj/app.json", "{\"addons\": 1}", 0644);
	TEST("app.json: a bad one fails before provisioning, not recorded",
	    provision(st, m, at(tmpdir, "bj"), &o, &made, &e) == -100 &&
		!exists("state/slugc/apps/badjson/first-build"));
	appstate_close(st);
	manifest_free(m);
}

int
main(void)
{
	if (tmp_init("test_provision") == -1)
		return 1;
	atexit(tmp_done);
	setenv("XDG_STATE_HOME", at(tmpdir, "state"), 1);
	test_first_build();
	test_retry();
	test_none_asked();
	test_appjson();
	return test_report();
}
