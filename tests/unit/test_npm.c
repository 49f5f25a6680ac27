/* Unit tests for npm.c, with the real npm: the tests' Node runtime (from
 * tests/fixtures/make-node-tarball.sh) and the fixture apps under
 * tests/fixtures/npm, each built in a copy with the runtime in
 * BUILD_DIR/.heroku/node (hard links) and a copy of the seeded npm cache
 * (tests/fixtures/seed-npm-cache.sh, run here; it does nothing when up to
 * date) as CACHE_DIR/npm.  Two builds run with the network cut off
 * (a network namespace of their own: unshare(CLONE_NEWNET), as root); one
 * fetches a package from the registry into an empty cache.
 *
 * Run from the repository root (as tests/run does).  SLUGC_NPM_SEED names
 * another seeded cache directory. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envdir.h"
#include "fsutil.h"
#include "log.h"
#include "monotime.h"
#include "npm.h"
#include "testhelp.h"
#include "testmount.h"
#include "testtmp.h"

extern char **environ;

static char seed[4096];	    /* build/npm-cache, absolute */
static char fixtures[4096]; /* tests/fixtures/npm, absolute */
static char node_bin[4096]; /* the seed's node/bin */
static int seed_lock = -1;  /* its .lock */

/* snprintf for paths; a path that does not fit ends the test. */
static void pathf(char *dst, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
pathf(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(dst, n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= n)
		abort();
}

/* A build's log, written as the buildpack's compile writes it (the
 * callbacks below are what src/nodejs/compile.c uses): npm's lines
 * indented as they stream, the events as "-----> " headers, 7-space notes
 * and " !     " warnings; into memory. */
struct log {
	FILE *f;
	char *text;
	size_t len;
	struct log_stream ls;
};

static void
log_open(struct log *l)
{
	struct log_stream ls = LOG_STREAM_INIT(NULL);

	if ((l->f = open_memstream(&l->text, &l->len)) == NULL)
		abort();
	ls.f = l->f;
	l->ls = ls;
}

/* The log's text so far ("" when empty). */
static const char *
log_text(struct log *l)
{
	fflush(l->f);
	return l->text != NULL ? l->text : "";
}

static void
npm_event(void *arg, enum npm_event ev, const char *text)
{
	struct log_stream *ls = arg;

	log_stream_finish(ls);
	switch (ev) {
	case NPM_EV_TOPIC:
		log_topic(ls->f, "%s", text);
		break;
	case NPM_EV_INFO:
		log_info(ls->f, "%s", text);
		break;
	case NPM_EV_WARN:
		log_warn(ls->f, "%s", text);
		break;
	}
}

/* One app being built: TMP/NAME/app is BUILD_DIR, TMP/NAME/cache
 * CACHE_DIR. */
struct app {
	char name[64];
	char dir[4096], cache[4096], node[4096];
	struct envdir *vars;
	char *const *envp;
	struct log log;
	struct errbuf e;
	enum npm_status st;
	int local, signo;
};

static int
copy(const char *from, const char *to, bool link)
{
	struct errbuf e;

	if (fs_copy_tree(from, to, link, &e) == -1) {
		printf("# %s\n", e.msg);
		return -1;
	}
	return 0;
}

/* Makes TMP/name/app from the fixture (NULL: an empty directory) with the
 * runtime in it, and a cache: a copy of the seed's, or empty. */
static struct app *
app_new(const char *name, const char *fixture, bool seeded)
{
	struct app *a = calloc(1, sizeof *a);
	char *p;

	if (a == NULL)
		abort();
	snprintf(a->name, sizeof a->name, "%s", name);
	p = tpath(name);
	pathf(a->dir, sizeof a->dir, "%s/app", p);
	pathf(a->cache, sizeof a->cache, "%s/cache", p);
	free(p);
	pathf(a->node, sizeof a->node, "%s/.heroku/node/bin", a->dir);
	log_open(&a->log);
	if ((a->vars = envdir_new()) == NULL ||
	    fs_mkdir_p(a->cache, 0755, NULL) == -1)
		abort();
	if (fixture != NULL) {
		if (copy(at(fixtures, fixture), a->dir, false) == -1)
			abort();
	} else if (fs_mkdir_p(a->dir, 0755, NULL) == -1) {
		abort();
	}
	/* The seed script's readers' lock: no reseed while we copy. */
	if (flock(seed_lock, LOCK_SH) == -1 ||
	    fs_mkdir_p(at(a->dir, ".heroku"), 0755, NULL) == -1 ||
	    copy(at(seed, "node"), at(a->dir, ".heroku/node"), true) == -1 ||
	    (seeded &&
		copy(at(seed, "npm"), at(a->cache, "npm"), false) == -1) ||
	    flock(seed_lock, LOCK_UN) == -1)
		abort();
	return a;
}

static void
app_free(struct app *a)
{
	if (a == NULL)
		return;
	envdir_free(a->vars);
	fclose(a->log.f);
	free(a->log.text);
	free(a);
}

static void
setvar(struct app *a, const char *name, const char *value)
{
	struct errbuf e;

	if (envdir_set(a->vars, name, value, &e) == -1)
		abort();
}

static void
build(struct app *a)
{
	struct npm_build nb = {
	    .build_dir = a->dir,
	    .cache_dir = a->cache,
	    .node_dir = a->node,
	    .vars = a->vars,
	    .envp = a->envp,
	    .on_line = log_stream_on_line,
	    .on_event = npm_event,
	    .arg = &a->log.ls,
	    .local_errno = &a->local,
	    .signo = &a->signo,
	};

	a->e.msg[0] = '\0';
	a->local = a->signo = -1;
	a->st = npm_build(&nb, &a->e);
	log_stream_finish(&a->log.ls);
	if (a->st != NPM_OK)
		printf("# %s: %s\n", a->name, a->e.msg);
}

/* Whether a connection to the registry's address could even be tried: in
 * a namespace of our own there is no route at all. */
static bool
network_cut(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
	    .sin_port = htons(443)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	inet_pton(AF_INET, "104.16.0.35", &sin.sin_addr); /* npmjs */
	if (fd == -1)
		return false;
	rc = connect(fd, (struct sockaddr *)&sin, sizeof sin);
	close(fd);
	return rc == -1 && errno == ENETUNREACH;
}

/* build() in a child in a network namespace of its own: the child writes
 * its log and error into TMP/NAME and exits with the status (+ 16 when the
 * network was not cut). */
static bool
build_offline(struct app *a)
{
	char *logp = tpath(a->name), errp[4200], lp[4200];
	pid_t pid;
	int ws;
	char *text;

	pathf(lp, sizeof lp, "%s/offline.log", logp);
	pathf(errp, sizeof errp, "%s/offline.err", logp);
	free(logp);
	fflush(stdout);
	if ((pid = fork()) == -1)
		return false;
	if (pid == 0) {
		int code;

		if (unshare(CLONE_NEWNET) == -1) {
			perror("unshare(CLONE_NEWNET)");
			_exit(99);
		}
		code = network_cut() ? 0 : 16;
		build(a);
		if (put_file(lp, log_text(&a->log), a->log.len, 0644) == -1 ||
		    put_file(errp, a->e.msg, strlen(a->e.msg), 0644) == -1)
			_exit(98);
		fflush(stdout);
		_exit(code + (int)a->st);
	}
	if (waitpid(pid, &ws, 0) == -1 || !WIFEXITED(ws))
		return false;
	a->st = (enum npm_status)(WEXITSTATUS(ws) & 15);
	if ((text = slurp(lp)) != NULL) {
		fputs(text, a->log.f);
		free(text);
	}
	if ((text = slurp(errp)) != NULL) {
		snprintf(a->e.msg, sizeof a->e.msg, "%s", text);
		free(text);
	}
	return WEXITSTATUS(ws) < 16;
}

static bool
logs(struct app *a, const char *text)
{
	return strstr(log_text(&a->log), text) != NULL;
}

/* The texts come in the log in this order (NULL-terminated). */
static bool
logs_in_order(struct app *a, ...)
{
	const char *p = log_text(&a->log), *t;
	va_list ap;
	bool ok = true;

	va_start(ap, a);
	while (ok && (t = va_arg(ap, const char *)) != NULL) {
		if ((p = strstr(p, t)) == NULL)
			ok = false;
		else
			p += strlen(t);
	}
	va_end(ap);
	return ok;
}

static bool
ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	return n >= m && strcmp(s + n - m, end) == 0;
}

static bool
app_has(const struct app *a, const char *rel)
{
	return fs_exists(at(a->dir, rel));
}

static bool
app_file_is(const struct app *a, const char *rel, const char *text)
{
	char *s = slurp(at(a->dir, rel));
	bool ok = s != NULL && strcmp(s, text) == 0;

	if (!ok)
		printf("# %s/%s: '%s'\n", a->name, rel, s ? s : "(none)");
	free(s);
	return ok;
}

static void
dump_log(struct app *a)
{
	printf("# --- %s's log:\n", a->name);
	for (const char *p = log_text(&a->log); *p != '\0';) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);

		printf("#   %.*s\n", n, p);
		p += n + (nl != NULL);
	}
}

/* Starts the app's server.js in node on a free port and asks it for /
 * once: out gets "STATUS BODY". */
static int
serve_once(struct app *a, char *out, size_t size)
{
	static const char js[] =
	    "require('./server.js');"
	    "const ask = () => require('http').get("
	    "  `http://127.0.0.1:${process.env.PORT}/`, (r) => {"
	    "    let b = ''; r.on('data', (d) => b += d);"
	    "    r.on('end', () => {"
	    "      console.log(`${r.statusCode} ${b.trim()}`);"
	    "      process.exit(0);"
	    "    });"
	    "  }).on('error', () => setTimeout(ask, 50));"
	    "ask(); setTimeout(() => process.exit(3), 10000);";
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof sin;
	char port[16], rel[128];
	const char *argv[] = {at(a->node, "node"), "-e", js, NULL};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	snprintf(port, sizeof port, "%u", ntohs(sin.sin_port));
	snprintf(rel, sizeof rel, "%s/app", a->name);
	setenv("PORT", port, 1);
	fd = run(rel, argv, out, size);
	unsetenv("PORT");
	return fd;
}

/* An express app with a lockfile, with the network cut: npm ci from the
 * cache alone; the app then runs. */
static void
test_express_offline(void)
{
	struct app *a = app_new("express", "express", true);
	char out[256];
	const char *argv[] = {at(a->node, "node"), "-e",
	    "console.log(typeof require('express'))", NULL};

	TEST("express: built with the network cut off", build_offline(a));
	TEST("express: npm ci from the cache alone", a->st == NPM_OK);
	TEST("express: npm ci was chosen for the lockfile; npm's output "
	     "indented in the log",
	    logs(a,
		"-----> Installing dependencies\n"
		"       Installing node modules with npm ci (package.json + "
		"package-lock.json)\n"
		"       \n"
		"       added 68 packages in "));
	TEST("express: no scripts to run, nothing to prune",
	    !logs(a, "-----> Prebuild") && !logs(a, "-----> Build") &&
		logs(a,
		    "-----> Pruning devDependencies\n       Skipping "
		    "because package.json has no devDependencies\n") &&
		!logs(a, "-----> Cleanup"));
	TEST("express: node finds express in node_modules",
	    run("express/app", argv, out, sizeof out) == 0 &&
		strcmp(out, "function") == 0);
	/* server.js says "listening on PORT" first. */
	TEST("express: server.js answers GET / on $PORT",
	    serve_once(a, out, sizeof out) == 0 &&
		ends_with(out, "\n200 Hello from express on Node v20.20.2"));
	TEST("express: npm's own cache options stay in CACHE_DIR",
	    fs_exists(at(a->cache, "npm/_cacache")) &&
		fs_exists(at(a->cache, "npm/slugc.npmrc")));
	if (a->st != NPM_OK || getenv("TEST_NPM_DEBUG") != NULL)
		dump_log(a);
	app_free(a);
}

/* The build app: heroku-prebuild, npm ci with devDependencies, build
 * (which needs one), prune, heroku-cleanup. */
static void
test_build_scripts(void)
{
	struct app *a = app_new("build", "build", true);
	char out[256];

	build(a);
	TEST("build: succeeds", a->st == NPM_OK);
	TEST("build: scripts in order, devDependencies there for build and "
	     "pruned before heroku-cleanup, NODE_ENV production",
	    app_file_is(a, "steps.log",
		"heroku-prebuild node_modules=no NODE_ENV=production\n"
		"build semver=yes\n"
		"heroku-cleanup semver=no ms=yes\n"));
	TEST("build: the devDependency's bin ran",
	    app_file_is(a, "version.txt", "1.3.0\n"));
	TEST("build: devDependencies pruned, dependencies kept",
	    !app_has(a, "node_modules/semver") &&
		app_has(a, "node_modules/ms"));
	TEST("build: server.js serves what the build wrote",
	    serve_once(a, out, sizeof out) == 0 &&
		strcmp(out, "200 built version 1.3.0, 1h") == 0);
	TEST("build: headers in order",
	    logs_in_order(a, "-----> Prebuild\n",
		"       Running heroku-prebuild\n",
		"-----> Installing dependencies\n",
		"       Installing node modules with npm ci (package.json + "
		"package-lock.json)\n",
		"-----> Build\n", "       Running build\n",
		"-----> Pruning devDependencies\n", "-----> Cleanup\n",
		"       Running heroku-cleanup\n", NULL));
	TEST("build: npm's output streamed into the log",
	    logs(a, "\n       > npm-build@1.0.0 build\n") &&
		logs(a, "\n       added 2 packages in "));
	if (a->st != NPM_OK || getenv("TEST_NPM_DEBUG") != NULL)
		dump_log(a);
	app_free(a);

	a = app_new("keepdev", "build", true);
	setvar(a, "NPM_CONFIG_PRODUCTION", "false");
	build(a);
	TEST("NPM_CONFIG_PRODUCTION=false: devDependencies kept",
	    a->st == NPM_OK && app_has(a, "node_modules/semver") &&
		app_file_is(a, "steps.log",
		    "heroku-prebuild node_modules=no NODE_ENV=production\n"
		    "build semver=yes\n"
		    "heroku-cleanup semver=yes ms=yes\n") &&
		logs(a,
		    "-----> Pruning devDependencies\n       Skipping "
		    "because NPM_CONFIG_PRODUCTION is 'false'\n"));
	app_free(a);

	a = app_new("devenv", "build", true);
	setvar(a, "NODE_ENV", "development");
	build(a);
	TEST("NODE_ENV from a config var: scripts see it, nothing pruned",
	    a->st == NPM_OK && app_has(a, "node_modules/semver") &&
		app_file_is(a, "steps.log",
		    "heroku-prebuild node_modules=no NODE_ENV=development\n"
		    "build semver=yes\n"
		    "heroku-cleanup semver=yes ms=yes\n") &&
		logs(a,
		    "       Skipping because NODE_ENV is not "
		    "'production'\n") &&
		!logs(a, "development"));
	app_free(a);

	a = app_new("nodev", "build", true);
	setvar(a, "NPM_CONFIG_PRODUCTION", "true");
	build(a);
	TEST("NPM_CONFIG_PRODUCTION=true: no devDependencies, so the build "
	     "script fails, named, with npm's status",
	    a->st == NPM_FAILED && !app_has(a, "node_modules/semver") &&
		app_has(a, "node_modules/ms") &&
		strcmp(a->e.msg,
		    "build script failed: npm exited with status 127") == 0 &&
		!logs(a, "-----> Pruning"));
	app_free(a);
}

/* No lockfile: npm install, fetching into an empty CACHE_DIR; a second
 * build with that cache needs no network. */
static void
test_nolock_cache(void)
{
	struct app *a = app_new("nolock", "nolock", false);
	char *cache, out[256];

	build(a);
	TEST("no lockfile: npm install, from the registry into CACHE_DIR/npm",
	    a->st == NPM_OK &&
		logs(a,
		    "       Installing node modules with npm install "
		    "(package.json)\n") &&
		app_has(a, "node_modules/ms") &&
		fs_exists(at(a->cache, "npm/_cacache/index-v5")));
	if (a->st != NPM_OK || getenv("TEST_NPM_DEBUG") != NULL)
		dump_log(a);
	cache = strdup(a->cache);
	app_free(a);

	a = app_new("nolock2", "nolock", false);
	TEST("no lockfile, second build: the first one's cache",
	    cache != NULL && fs_rm_rf(a->cache, NULL) == 0 &&
		copy(cache, a->cache, false) == 0);
	TEST("no lockfile, second build: with the network cut off",
	    build_offline(a));
	TEST("no lockfile, second build: npm install from CACHE_DIR alone",
	    a->st == NPM_OK && app_has(a, "node_modules/ms"));
	TEST("no lockfile: server.js answers with its dependency",
	    serve_once(a, out, sizeof out) == 0 &&
		strcmp(out, "200 one hour is 1h") == 0);
	if (a->st != NPM_OK || getenv("TEST_NPM_DEBUG") != NULL)
		dump_log(a);
	free(cache);
	app_free(a);
}

static void
test_bad_apps(void)
{
	struct app *a = app_new("outofsync", "outofsync", true);

	build(a);
	/* npm names the version it would install (semver@7.8.6): the
	 * newest in the seeded cache, so not a constant. */
	TEST("out of sync: NPM_BAD_APP with one line saying what to do",
	    a->st == NPM_BAD_APP &&
		strncmp(a->e.msg,
		    "package-lock.json is out of sync with package.json "
		    "(Missing: semver@7.",
		    70) == 0 &&
		ends_with(a->e.msg,
		    " from lock file): run `npm install` and commit "
		    "package-lock.json"));
	TEST("out of sync: npm's Missing line is in the log, its page is not",
	    logs(a, "npm error Missing: semver@7.") &&
		!logs(a, "Clean install a project") && !logs(a, "Usage:") &&
		!logs(a, "npm error code EUSAGE") &&
		!logs(a, "A complete log of this run"));
	app_free(a);

	a = app_new("badjson", "badjson", true);
	build(a);
	TEST("bad JSON: NPM_BAD_APP, package.json:LINE:COLUMN, npm not run",
	    a->st == NPM_BAD_APP &&
		strncmp(a->e.msg, "package.json:6:3: ", 18) == 0 &&
		!logs(a, "Installing"));
	app_free(a);

	a = app_new("nopkg", NULL, true);
	build(a);
	TEST("no package.json: NPM_BAD_APP naming it",
	    a->st == NPM_BAD_APP && strstr(a->e.msg, "package.json") != NULL);
	app_free(a);
}

/* An app with no dependencies (npm install is quick and offline) whose
 * package.json is text. */
static struct app *
tiny_app(const char *name, const char *scripts)
{
	struct app *a = app_new(name, NULL, true);
	char pj[2048];

	snprintf(pj, sizeof pj,
	    "{\"name\": \"%s\", \"version\": \"1.0.0\", \"private\": true,\n"
	    " \"scripts\": {%s}}\n",
	    name, scripts);
	if (put_file(at(a->dir, "package.json"), pj, strlen(pj), 0644) == -1)
		abort();
	return a;
}

static void
test_script_choice(void)
{
	struct app *a = tiny_app("both",
	    "\"build\": \"echo build >> steps.log\", "
	    "\"heroku-postbuild\": \"echo heroku-postbuild >> steps.log\"");

	build(a);
	TEST("build and heroku-postbuild: only heroku-postbuild runs",
	    a->st == NPM_OK &&
		app_file_is(a, "steps.log", "heroku-postbuild\n") &&
		logs(a, "Detected both \"build\" and \"heroku-postbuild\""));
	app_free(a);

	a = tiny_app("postfail",
	    "\"heroku-postbuild\": \"echo failing; exit 3\", "
	    "\"heroku-cleanup\": \"echo cleanup >> steps.log\"");
	build(a);
	TEST("a failing heroku-postbuild: NPM_FAILED naming it, nothing after",
	    a->st == NPM_FAILED &&
		strcmp(a->e.msg,
		    "heroku-postbuild script failed: npm exited with status "
		    "3") == 0 &&
		logs(a, "failing\n") && !app_has(a, "steps.log") &&
		!logs(a, "Pruning"));
	app_free(a);

	a = tiny_app("prefail", "\"heroku-prebuild\": \"exit 1\"");
	build(a);
	TEST("a failing heroku-prebuild: no install",
	    a->st == NPM_FAILED &&
		strncmp(a->e.msg, "heroku-prebuild script failed: ", 31) == 0 &&
		!logs(a, "Installing dependencies"));
	app_free(a);
}

/* Which of npm's environment reaches the scripts. */
static void
test_environment(void)
{
	struct app *a =
	    tiny_app("env", "\"heroku-prebuild\": \"env > env.txt\"");
	char cafile[4200], path_entry[4200], cache_entry[4200], *env, *text;
	char *envp[8];
	int n = 0;

	pathf(cafile, sizeof cafile, "%s/ca.pem", a->dir);
	put_file(cafile, "", 0, 0644);
	pathf(path_entry, sizeof path_entry, "PATH=%s", getenv("PATH"));
	envp[n++] = path_entry;
	envp[n++] = "HOME=/nonexistent-home";
	envp[n++] = "LANG=C.UTF-8";
	envp[n++] = "HTTPS_PROXY=http://proxy.invalid:3128";
	envp[n++] = "no_proxy=localhost";
	pathf(cache_entry, sizeof cache_entry, "NODE_EXTRA_CA_CERTS=%s",
	    cafile);
	envp[n++] = cache_entry;
	envp[n] = NULL;
	a->envp = envp;
	setvar(a, "MY_SETTING", "from-config");
	setvar(a, "LANG", "xx_XX.blocked");
	setvar(a, "BUILD_DIR", "/blocked");
	setvar(a, "PATH", "/blocked/bin");
	setvar(a, "LIBRARY_PATH", "/blocked/lib");
	setvar(a, "GIT_DIR", "/blocked/git");
	setvar(a, "npm_config_cache", "/blocked/cache");
	build(a);
	/* With a '\n' in front, so that every entry is "\nNAME=". */
	text = slurp(at(a->dir, "env.txt"));
	TEST("environment: the build runs", a->st == NPM_OK && text != NULL);
	if (asprintf(&env, "\n%s", text ? text : "") == -1)
		abort();
	free(text);
	if (getenv("TEST_NPM_DEBUG"))
		printf("%s", env);
	TEST("environment: config vars reach the scripts",
	    strstr(env, "\nMY_SETTING=from-config\n") != NULL);
	TEST("environment: proxy and CA variables kept",
	    strstr(env, "\nHTTPS_PROXY=http://proxy.invalid:3128\n") != NULL &&
		strstr(env, "\nno_proxy=localhost\n") != NULL &&
		strstr(env, cache_entry) != NULL);
	TEST("environment: LANG, BUILD_DIR, PATH, LIBRARY_PATH, GIT_DIR are "
	     "never taken from the config vars",
	    strstr(env, "blocked") == NULL &&
		strstr(env, "\nLANG=C.UTF-8\n") != NULL &&
		strstr(env, "\nBUILD_DIR=") == NULL);
	pathf(path_entry, sizeof path_entry, "%s:", a->node);
	TEST("environment: node's bin first on PATH (after npm's own)",
	    strstr(env, path_entry) != NULL);
	pathf(cache_entry, sizeof cache_entry, "\nnpm_config_cache=%s/npm\n",
	    a->cache);
	TEST("environment: npm's cache is CACHE_DIR/npm, whatever the config "
	     "vars say",
	    strstr(env, cache_entry) != NULL);
	TEST("environment: NODE_ENV production by default",
	    strstr(env, "\nNODE_ENV=production\n") != NULL);
	TEST("environment: no value in the log",
	    !logs(a, "from-config") && !logs(a, "blocked"));
	free(env);
	app_free(a);
}

/* The app's .npmrc wins over the buildpack's defaults, not over the
 * cache. */
static void
test_npmrc(void)
{
	struct app *a = tiny_app("npmrc",
	    "\"heroku-prebuild\": \"(echo $npm_config_foo_bar; npm config get "
	    "fund prefer-offline audit cache) > npmrc.txt\"");
	char want[4300];
	static const char npmrc[] = "foo-bar=from-npmrc\nfund=true\n"
				    "cache=/tmp/not-the-cache\n";

	put_file(at(a->dir, ".npmrc"), npmrc, strlen(npmrc), 0644);
	build(a);
	pathf(want, sizeof want,
	    "from-npmrc\nfund=true\nprefer-offline=true\naudit=false\n"
	    "cache=%s/npm\n",
	    a->cache);
	TEST(".npmrc: its settings reach npm, over the buildpack's "
	     "defaults; the cache stays CACHE_DIR/npm",
	    a->st == NPM_OK && app_file_is(a, "npmrc.txt", want));
	app_free(a);

	/* Nothing is in this cache: npm must ask the .npmrc's registry,
	 * where nothing listens. */
	a = app_new("registry", "nolock", false);
	static const char reg[] = "registry=http://127.0.0.1:9/\n"
				  "fetch-retries=0\n";
	put_file(at(a->dir, ".npmrc"), reg, strlen(reg), 0644);
	build(a);
	TEST(".npmrc: its registry is the one npm asks; the failure names "
	     "npm's error code and says what it was",
	    a->st == NPM_FAILED &&
		strncmp(a->e.msg, "npm install failed: ECONNREFUSED ", 33) ==
		    0 &&
		strstr(a->e.msg, "127.0.0.1:9") != NULL &&
		strstr(a->e.msg, "(npm exited with status 1)") != NULL);
	TEST(".npmrc: npm's held error lines reach the log when it fails",
	    logs(a, "npm error code ECONNREFUSED\n"));
	app_free(a);
}

/* Disks that fill up, and an npm that is not there. */
static void
test_local_failures(void)
{
	struct app *a = app_new("full", "express", true);
	char *mnt = tpath("full-mnt");
	const char *p;
	int ntar = 0;

	/* BUILD_DIR on a 1 MiB tmpfs: express's node_modules takes 4. */
	TEST("full: tmpfs mounted", tmpfs_mount(mnt, 1 << 20) == 0);
	TEST("full: the app on it",
	    copy(at(fixtures, "express"), at(mnt, "app"), false) == 0);
	pathf(a->dir, sizeof a->dir, "%s/app", mnt);
	pathf(a->node, sizeof a->node, "%s", node_bin);
	build(a);
	TEST("a full BUILD_DIR: NPM_LOCAL with ENOSPC, though npm exits 0",
	    a->st == NPM_LOCAL && a->local == ENOSPC &&
		strncmp(a->e.msg, "npm ci failed: npm could not write ", 35) ==
		    0 &&
		strstr(a->e.msg, "(ENOSPC: no space left on device") != NULL);
	for (p = log_text(&a->log); (p = strstr(p, "TAR_ENTRY_ERROR")); p++)
		ntar++;
	TEST("a full BUILD_DIR: npm's flood of warnings cut to 5 lines",
	    ntar == 5);
	tmpfs_umount(mnt);
	free(mnt);
	app_free(a);

	a = app_new("fullcache", "nolock", false);
	mnt = tpath("fullcache-mnt");
	TEST("full cache: tmpfs mounted", tmpfs_mount(mnt, 64 << 10) == 0);
	{
		static char fill[64 << 10];
		put_file(at(mnt, "fill"), fill, sizeof fill, 0644);
	}
	pathf(a->cache, sizeof a->cache, "%s", mnt);
	build(a);
	TEST("a full CACHE_DIR: NPM_LOCAL with ENOSPC, naming the file",
	    a->st == NPM_LOCAL && a->local == ENOSPC &&
		strstr(a->e.msg, "slugc.npmrc") != NULL &&
		strstr(a->e.msg, "No space left on device") != NULL);
	tmpfs_umount(mnt);
	free(mnt);
	app_free(a);

	a = app_new("nonode", "nolock", true);
	pathf(a->node, sizeof a->node, "%s/nowhere/bin", a->dir);
	build(a);
	TEST("no node in node_dir: NPM_LOCAL with ENOENT, naming it",
	    a->st == NPM_LOCAL && a->local == ENOENT &&
		strstr(a->e.msg, "/nowhere/bin/node: No such file") != NULL);
	app_free(a);
}

/* npm killed, and our own SIGTERM while npm runs: run last, since the
 * second installs spawn's signal handlers in this process. */
static void
test_signals(void)
{
	struct app *a =
	    tiny_app("killed", "\"heroku-prebuild\": \"kill -KILL $PPID\"");
	struct errbuf e;
	char pid[32];
	int64_t t0;

	build(a);
	TEST("npm killed by a signal: NPM_SIGNAL with the signal, the step "
	     "named",
	    a->st == NPM_SIGNAL && a->signo == SIGKILL &&
		strcmp(a->e.msg,
		    "heroku-prebuild script failed: npm was killed by "
		    "SIGKILL") == 0);
	app_free(a);

	TEST("signals: handlers installed",
	    spawn_install_signal_handlers(&e) == 0);
	a = tiny_app("sigterm",
	    "\"heroku-prebuild\": \"kill -TERM $TEST_PID; sleep 30; echo "
	    "not stopped > late.txt\"");
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	setvar(a, "TEST_PID", pid);
	t0 = monotime_ms();
	build(a);
	TEST("SIGTERM during a script: NPM_SIGNAL (signo 0: ours), npm's "
	     "group stopped at once",
	    a->st == NPM_SIGNAL && a->signo == 0 &&
		spawn_interrupted() == SIGTERM && monotime_ms() - t0 < 15000 &&
		!app_has(a, "late.txt") && !logs(a, "Installing dependencies"));
	spawn_interrupt_reset();
	app_free(a);
}

/* Runs the seed script (quick when up to date) and finds its output. */
static int
seed_cache(void)
{
	const char *dir = getenv("SLUGC_NPM_SEED");
	const char *argv[] = {"tests/fixtures/seed-npm-cache.sh", NULL, NULL};
	struct spawn s = SPAWN_INIT;
	struct errbuf e;
	int st;

	if (dir == NULL || *dir == '\0')
		dir = "build/npm-cache";
	argv[1] = dir;
	s.argv = argv;
	if ((st = spawn_run(&s, &e)) != 0) {
		printf("# seed-npm-cache.sh: %s\n",
		    st == -1 ? e.msg : "failed");
		return -1;
	}
	if (realpath(dir, seed) == NULL ||
	    realpath("tests/fixtures/npm", fixtures) == NULL) {
		printf("# realpath: %s\n", strerror(errno));
		return -1;
	}
	pathf(node_bin, sizeof node_bin, "%s/node/bin", seed);
	if ((seed_lock = open(at(seed, ".lock"), O_RDONLY | O_CLOEXEC)) == -1) {
		printf("# %s/.lock: %s\n", seed, strerror(errno));
		return -1;
	}
	return 0;
}

int
main(void)
{
	char *home;

	if (tmp_init("test_npm") == -1)
		return 1;
	TEST("the npm cache is seeded", seed_cache() == 0);
	if (seed[0] == '\0')
		goto out;
	/* npm as on a build machine: no ~/.npmrc of this one's, no
	 * settings from the environment the tests run in. */
	home = tpath("home");
	if (fs_mkdir_p(home, 0700, NULL) == -1 || setenv("HOME", home, 1))
		abort();
	free(home);
	for (char **v = environ; *v != NULL;) {
		if (strncasecmp(*v, "npm_config_", 11) == 0 ||
		    strncmp(*v, "NODE_ENV=", 9) == 0 ||
		    strncmp(*v, "NODE_OPTIONS=", 13) == 0) {
			char name[256];
			size_t n = strcspn(*v, "=");

			snprintf(name, sizeof name, "%.*s", (int)n, *v);
			unsetenv(name);
			v = environ;
			continue;
		}
		v++;
	}

	/* TEST_NPM_ONLY=environment runs test_environment alone (while
	 * working on one part). */
#define RUN(f)                                                                 \
	do {                                                                   \
		const char *only = getenv("TEST_NPM_ONLY");                    \
		if (only == NULL || strstr(#f, only) != NULL)                  \
			f();                                                   \
	} while (0)
	RUN(test_express_offline);
	RUN(test_build_scripts);
	RUN(test_nolock_cache);
	RUN(test_bad_apps);
	RUN(test_script_choice);
	RUN(test_environment);
	RUN(test_npmrc);
	RUN(test_local_failures);
	RUN(test_signals);
out:
	if (seed_lock != -1)
		close(seed_lock);
	tmp_done();
	return test_report();
}
