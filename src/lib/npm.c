/* npm.c - npm ci / install, the app's build scripts and the pruning of
 * devDependencies for the Node.js buildpack (npm.h). */
#include "npm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "envv.h"
#include "fsutil.h"
#include "pkgjson.h"

extern char **environ;

/* The buildpack's defaults, npm's lowest layer (see npm.h): the app's
 * .npmrc, a user config and the config vars all win over them. */
static const char npmrc_defaults[] =
    "# Written by slugc's Node.js buildpack: its defaults for npm, below\n"
    "# the app's .npmrc.  prefer-offline: what the cache holds is used\n"
    "# without asking the registry, so a second build needs no network.\n"
    "prefer-offline=true\n"
    "audit=false\n"
    "fund=false\n"
    "update-notifier=false\n";

#define NPMRC_NAME "slugc.npmrc"

/* What npm's error lines start with ("npm ERR!" up to npm 9). */
static const char *const error_prefixes[] = {"npm error", "npm ERR!"};
/* npm ci's EUSAGE for a lockfile that package.json has moved away from. */
static const char out_of_sync_text[] =
    "can only install packages when your package.json and "
    "package-lock.json";
static const char *const tar_prefixes[] = {"npm warn tar TAR_ENTRY_ERROR ",
    "npm WARN tar TAR_ENTRY_ERROR "};
/* npm's own bug: its event loop ran dry before it finished (npm 10 does
 * so when the registry cannot be reached while it fetches tarballs), and
 * it may exit 0 with node_modules half made. */
static const char no_exit_handler_text[] = "Exit handler never called!";

/* At most this much of npm's error text is held back (see on_line). */
#define HELD_MAX (256 * 1024)
/* An out-of-sync lockfile: how many of npm's Missing/Invalid lines show. */
#define SYNC_LINES_MAX 10
/* TAR_ENTRY_ERROR warnings shown before the rest are only counted. */
#define TAR_LINES_MAX 5

/* npm's error codes for a local failure: a disk that is full or failing,
 * a file or directory npm may not write. */
static const struct {
	const char *code;
	int err;
} local_codes[] = {
    {"ENOSPC", ENOSPC},
    {"EDQUOT", EDQUOT},
    {"EIO", EIO},
    {"EROFS", EROFS},
    {"EACCES", EACCES},
    {"EPERM", EPERM},
    {"EMFILE", EMFILE},
    {"ENFILE", ENFILE},
    {"EFBIG", EFBIG},
};

static int
local_code(const char *code)
{
	for (size_t i = 0; i < sizeof local_codes / sizeof local_codes[0]; i++)
		if (strcmp(code, local_codes[i].code) == 0)
			return local_codes[i].err;
	return 0;
}

/* One held line (or piece of a line). */
struct held {
	int fd;
	bool complete;
	char *text;
	size_t len;
};

/* Where a piece of npm's output goes: LINE_START means the piece begins
 * a line, to be decided; a line's later pieces follow its first. */
enum piece { LINE_START, LINE_SHOWN, LINE_HELD, LINE_DROPPED };

/* One npm run: what its output said, and the lines held back. */
struct scan {
	spawn_line_fn *on_line;
	void *arg;
	bool hold;	    /* hold back npm's error lines (ci, install) */
	bool holding;	    /* one was held: hold the rest too, in order */
	enum piece line[3]; /* what fd 1/2's next piece is */
	struct held *held;
	size_t nheld, capheld, heldbytes;
	bool out_of_sync; /* npm ci's EUSAGE about the lockfile */
	bool unfinished;  /* "Exit handler never called!" */
	size_t nsync;	  /* Missing/Invalid lines seen */
	char sync_first[160];
	char code[32];	    /* "npm error code E404" */
	char detail[300];   /* the first error line that says something */
	size_t ntar;	    /* TAR_ENTRY_ERROR warnings */
	char tar_code[32];  /* of the first one: "ENOSPC" */
	char tar_text[200]; /* its message */
};

/* Everything npm_build works with. */
struct ctx {
	const struct npm_build *nb;
	struct pkgjson *pj;
	struct envv env;
	char *npm;   /* node_dir/npm */
	char *cache; /* CACHE_DIR/npm */
	bool prune;  /* NODE_ENV production, NPM_CONFIG_PRODUCTION not false */
	bool no_dev; /* NPM_CONFIG_PRODUCTION true: no --include=dev */
	const char *why_no_prune;
	const char *lockfile; /* "package-lock.json", or NULL */
};

static void event(const struct ctx *c, enum npm_event ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
event(const struct ctx *c, enum npm_event ev, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (c->nb->on_event == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	err_oneline(buf, sizeof buf);
	c->nb->on_event(c->nb->arg, ev, buf);
}

/* s without prefix p, or NULL when it does not start with it. */
static const char *
after(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && memcmp(s, p, n) == 0 ? s + n : NULL;
}

static const char *
after_any(const char *s, size_t len, const char *const *ps, size_t nps)
{
	const char *r;

	for (size_t i = 0; i < nps; i++)
		if ((r = after(s, len, ps[i])) != NULL)
			return r;
	return NULL;
}

/* Copies the text from p to end (one line) into dst for a message. */
static void
keep_text(char *dst, size_t dsz, const char *p, const char *end)
{
	err_printable(dst, dsz, p, (size_t)(end - p));
}

/* Copies the word at p (up to a blank or ':') into dst. */
static void
keep_word(char *dst, size_t dsz, const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && p[n] != ' ' && p[n] != ':' && n + 1 < dsz)
		n++;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* npm's error lines that say nothing a one-line message needs. */
static bool
says_nothing(const char *r, const char *end)
{
	static const char *const dull[] = {"syscall ", "errno ", "path ",
	    "dest ", "A complete log of this run"};
	size_t n = (size_t)(end - r);

	return after_any(r, n, dull, sizeof dull / sizeof dull[0]) != NULL;
}

/* Reads one whole line (or the first piece of one) of npm's output for
 * what it tells about a failure.  Returns whether it is one of npm's
 * error lines. */
static bool
classify(struct scan *s, const char *line, size_t len)
{
	const char *end = line + len, *r;

	if ((r = after_any(line, len, tar_prefixes, 2)) != NULL) {
		if (s->ntar++ == 0) {
			keep_word(s->tar_code, sizeof s->tar_code, r, end);
			keep_text(s->tar_text, sizeof s->tar_text, r, end);
		}
		return false;
	}
	if ((r = after_any(line, len, error_prefixes, 2)) == NULL ||
	    (r < end && *r != ' '))
		return false;
	while (r < end && *r == ' ')
		r++;
	if (r == end) {
		/* a blank line of the page */
	} else if (after(r, (size_t)(end - r), "code ") != NULL) {
		if (s->code[0] == '\0')
			keep_word(s->code, sizeof s->code, r + 5, end);
	} else if (after(r, (size_t)(end - r), "Missing: ") != NULL ||
	    after(r, (size_t)(end - r), "Invalid: ") != NULL) {
		if (s->nsync++ == 0)
			keep_text(s->sync_first, sizeof s->sync_first, r, end);
	} else if (memmem(r, (size_t)(end - r), out_of_sync_text,
		       sizeof out_of_sync_text - 1) != NULL) {
		s->out_of_sync = true;
	} else if (after(r, (size_t)(end - r), no_exit_handler_text) != NULL) {
		s->unfinished = true;
	} else if (s->detail[0] == '\0' && !says_nothing(r, end)) {
		keep_text(s->detail, sizeof s->detail, r, end);
	}
	return true;
}

static void
deliver(const struct scan *s, int fd, const char *line, size_t len,
    bool complete)
{
	if (s->on_line != NULL)
		s->on_line(s->arg, fd, line, len, complete);
}

static void
held_free(struct scan *s)
{
	for (size_t i = 0; i < s->nheld; i++)
		free(s->held[i].text);
	free(s->held);
	s->held = NULL;
	s->nheld = s->capheld = s->heldbytes = 0;
}

/* Passes on every held line, in order, and stops holding. */
static void
held_flush(struct scan *s)
{
	for (size_t i = 0; i < s->nheld; i++)
		deliver(s, s->held[i].fd, s->held[i].text, s->held[i].len,
		    s->held[i].complete);
	held_free(s);
	s->hold = s->holding = false;
}

/* Keeps a copy of the line; when memory or HELD_MAX says no, everything
 * held so far and this line are passed on, and nothing more is held. */
static void
held_add(struct scan *s, int fd, const char *line, size_t len, bool complete)
{
	struct held *nh;
	char *t;

	if (s->heldbytes + len > HELD_MAX)
		goto flush;
	if (s->nheld == s->capheld) {
		size_t cap = s->capheld ? s->capheld * 2 : 64;

		if ((nh = reallocarray(s->held, cap, sizeof *nh)) == NULL)
			goto flush;
		s->held = nh;
		s->capheld = cap;
	}
	if ((t = malloc(len + 1)) == NULL)
		goto flush;
	memcpy(t, line, len);
	t[len] = '\0';
	s->held[s->nheld++] = (struct held){fd, complete, t, len};
	s->heldbytes += len;
	return;
flush:
	held_flush(s);
	deliver(s, fd, line, len, complete);
}

/* spawn's on_line.  npm prints its errors last, as a page of "npm error"
 * lines; for an out-of-sync lockfile that page is the usage of npm ci, which
 * the log is better without.  So while hold is set, the first error line
 * and everything after it (both streams, to keep the order) are held until
 * npm exits, then passed on or dropped (finish_lines).  Other output
 * streams as it comes. */
static void
on_line(void *arg, int fd, const char *line, size_t len, bool complete)
{
	struct scan *s = arg;
	enum piece what;

	if (fd < 1 || fd > 2)
		fd = 2;
	if (s->line[fd] != LINE_START) {
		what = s->line[fd]; /* the rest of a line goes its way */
	} else if (classify(s, line, len) && s->hold) {
		what = LINE_HELD;
	} else if (s->ntar > TAR_LINES_MAX &&
	    after_any(line, len, tar_prefixes, 2) != NULL) {
		/* A flood of the same warning: the first few show, the
		 * rest are counted (the error says how many). */
		what = LINE_DROPPED;
	} else {
		what = s->holding && s->hold ? LINE_HELD : LINE_SHOWN;
	}
	if (what == LINE_HELD && !s->hold)
		what = LINE_SHOWN; /* held_add gave up holding */
	s->line[fd] = complete ? LINE_START : what;
	if (what == LINE_HELD) {
		s->holding = true;
		held_add(s, fd, line, len, complete);
	} else if (what == LINE_SHOWN) {
		deliver(s, fd, line, len, complete);
	}
}

/* After npm exits: for an out-of-sync lockfile only npm's Missing/Invalid
 * lines are passed on (at most SYNC_LINES_MAX); otherwise every held
 * line. */
static void
finish_lines(struct scan *s)
{
	size_t shown = 0;
	const char *r;

	if (!s->out_of_sync) {
		held_flush(s);
		return;
	}
	for (size_t i = 0; i < s->nheld; i++) {
		const struct held *h = &s->held[i];

		r = after_any(h->text, h->len, error_prefixes, 2);
		while (r != NULL && *r == ' ')
			r++;
		if (r == NULL ||
		    (after(r, strlen(r), "Missing: ") == NULL &&
			after(r, strlen(r), "Invalid: ") == NULL))
			continue;
		if (shown++ < SYNC_LINES_MAX)
			deliver(s, h->fd, h->text, h->len, true);
	}
	if (shown > SYNC_LINES_MAX) {
		char more[64];

		snprintf(more, sizeof more, "npm error ... and %zu more",
		    shown - SYNC_LINES_MAX);
		deliver(s, 2, more, strlen(more), true);
	}
	held_free(s);
}

/* Sets the caller's out fields. */
static enum npm_status
outcome(const struct ctx *c, enum npm_status st, int local, int signo)
{
	if (c->nb->local_errno != NULL)
		*c->nb->local_errno = st == NPM_LOCAL ? local : 0;
	if (c->nb->signo != NULL)
		*c->nb->signo = st == NPM_SIGNAL ? signo : 0;
	return st;
}

/* A local failure of our own (mkdir, write): errno says which. */
static enum npm_status
local_failure(const struct ctx *c)
{
	return outcome(c, NPM_LOCAL, errno != 0 ? errno : EIO, 0);
}

/* Runs npm with argv[1...] (argv[0] is set here) in BUILD_DIR; what is
 * the step called in messages ("npm ci", "build script"). */
static enum npm_status
run_npm(struct ctx *c, const char *what, const char **argv, bool hold,
    struct errbuf *e)
{
	struct spawn sp = SPAWN_INIT;
	struct scan s = {0};
	int st, err;
	enum npm_status rc;

	argv[0] = c->npm;
	s.on_line = c->nb->on_line;
	s.arg = c->nb->arg;
	s.hold = hold;
	sp.argv = argv;
	sp.envp = envv_array(&c->env);
	sp.cwd = c->nb->build_dir;
	sp.on_line = on_line;
	sp.arg = &s;
	st = spawn_run(&sp, e);
	finish_lines(&s);

	if (st == -1) {
		if (sp.interrupted || sp.stopped)
			return outcome(c, NPM_SIGNAL, 0, 0);
		err = sp.status == 127 ? ENOENT
		    : sp.status == 126 ? EACCES
		    : errno != 0       ? errno
				       : EIO;
		errprefix(e, "%s: cannot start npm", what);
		return outcome(c, NPM_LOCAL, err, 0);
	}
	if (sp.interrupted || sp.stopped || sp.signo != 0) {
		spawn_errstatus(&sp, st, e);
		errprefix(e, "%s failed", what);
		/* The signal that ended npm is ours when we stopped it. */
		return outcome(c, NPM_SIGNAL, 0,
		    sp.interrupted || sp.stopped ? 0 : sp.signo);
	}
	/* npm reports files it could not write while unpacking as warnings
	 * and may still exit 0, leaving node_modules incomplete. */
	if (s.ntar > 0) {
		err = local_code(s.tar_code);
		errf(e,
		    "%s failed: npm could not write %zu file%s into "
		    "node_modules (%s)",
		    what, s.ntar, s.ntar == 1 ? "" : "s", s.tar_text);
		return outcome(c, err != 0 ? NPM_LOCAL : NPM_FAILED, err, 0);
	}
	if (s.unfinished) {
		errf(e,
		    "%s failed: npm stopped before it had finished (its "
		    "\"Exit handler never called!\" bug, met when the "
		    "registry cannot be reached) (npm exited with status %d)",
		    what, st);
		return outcome(c, NPM_FAILED, 0, 0);
	}
	if (st == 0)
		return NPM_OK;
	if (s.out_of_sync) {
		const char *lock =
		    c->lockfile ? c->lockfile : "package-lock.json";

		if (s.sync_first[0] != '\0')
			errf(e,
			    "%s is out of sync with package.json (%s%s): run "
			    "`npm install` and commit %s",
			    lock, s.sync_first, s.nsync > 1 ? ", ..." : "",
			    lock);
		else
			errf(e,
			    "%s is out of sync with package.json: run `npm "
			    "install` and commit %s",
			    lock, lock);
		return outcome(c, NPM_BAD_APP, 0, 0);
	}
	rc = NPM_FAILED;
	err = s.code[0] != '\0' ? local_code(s.code) : 0;
	if (err != 0)
		rc = NPM_LOCAL;
	if (s.code[0] != '\0' && s.detail[0] != '\0')
		errf(e, "%s failed: %s %s (npm exited with status %d)", what,
		    s.code, s.detail, st);
	else if (s.code[0] != '\0')
		errf(e, "%s failed: npm error %s (npm exited with status %d)",
		    what, s.code, st);
	else
		errf(e, "%s failed: npm exited with status %d", what, st);
	return outcome(c, rc, err, 0);
}

/* Runs `npm run NAME` under a header. */
static enum npm_status
run_script(struct ctx *c, const char *name, struct errbuf *e)
{
	const char *argv[] = {NULL, "run", name, NULL};
	char what[64];

	event(c, NPM_EV_INFO, "Running %s", name);
	snprintf(what, sizeof what, "%s script", name);
	return run_npm(c, what, argv, false, e);
}

/* The value of name in env, whatever the case of its letters (npm reads
 * npm_config_* so), or NULL. */
static const char *
get_nocase(const struct envv *env, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < env->n; i++)
		if (strncasecmp(env->v[i], name, n) == 0 && env->v[i][n] == '=')
			return env->v[i] + n + 1;
	return NULL;
}

/* Removes name in every case of its letters. */
static void
unset_nocase(struct envv *env, const char *name)
{
	size_t n = strlen(name);
	char key[64];

	for (size_t i = 0; i < env->n;) {
		if (strncasecmp(env->v[i], name, n) == 0 &&
		    env->v[i][n] == '=' && n < sizeof key) {
			memcpy(key, env->v[i], n);
			key[n] = '\0';
			envv_unset(env, key);
			i = 0; /* removed the first of that exact name */
			continue;
		}
		i++;
	}
}

/* A config var execve cannot pass: left out with a warning, as the Mono
 * buildpack does (only a config var as it came, never our own entries). */
struct fit {
	const struct ctx *c;
};

static bool
leave_out(void *arg, const char *name, size_t len, enum envv_over why,
    const struct envv_limits *l)
{
	const struct fit *f = arg;
	const char *cv = envdir_get(f->c->nb->vars, name),
		   *ev = envv_get(&f->c->env, name);

	if (cv == NULL || ev == NULL || strcmp(cv, ev) != 0)
		return false;
	if (why == ENVV_OVER_STRING)
		event(f->c, NPM_EV_WARN,
		    "Config var %s (%zu bytes) is left out of npm's "
		    "environment: Linux allows one variable at most %zu bytes "
		    "(NAME=value); it is still in ENV_DIR",
		    name, len, l->str_max);
	else
		event(f->c, NPM_EV_WARN,
		    "Config var %s (%zu bytes) is left out of npm's "
		    "environment: all variables together may take at most %zu "
		    "bytes; it is still in ENV_DIR",
		    name, len, l->total_max);
	return true;
}

/* Builds npm's environment (npm.h) and decides what the build does with
 * devDependencies. */
static int
make_env(struct ctx *c, struct errbuf *e)
{
	const struct npm_build *nb = c->nb;
	const struct envdir *vars = nb->vars;
	const char *node_env, *prod;
	const char *probe[] = {c->npm, "ci", "--include=dev", NULL};
	struct envv_limits lim;
	struct fit fit = {c};
	char *rc = NULL;
	int ret = -1;

	if (envv_from(&c->env, nb->envp != NULL ? nb->envp : environ, e) == -1)
		return -1;
	for (size_t i = 0; vars != NULL && i < vars->nvars; i++)
		if (!envdir_name_denied(vars->vars[i].name) &&
		    envv_set(&c->env, vars->vars[i].name, vars->vars[i].value,
			e) == -1)
			return -1;
	/* ${NODE_ENV:-production}, as Heroku's buildpack. */
	node_env = envv_get(&c->env, "NODE_ENV");
	if ((node_env == NULL || *node_env == '\0') &&
	    envv_set(&c->env, "NODE_ENV", "production", e) == -1)
		return -1;
	node_env = envv_get(&c->env, "NODE_ENV");
	prod = get_nocase(&c->env, "npm_config_production");
	c->no_dev = prod != NULL && strcmp(prod, "true") == 0;
	c->prune = false;
	if (strcmp(node_env, "production") != 0)
		c->why_no_prune = "NODE_ENV is not 'production'";
	else if (prod != NULL && strcmp(prod, "false") == 0)
		c->why_no_prune = "NPM_CONFIG_PRODUCTION is 'false'";
	else if (c->pj->ndev_deps == 0)
		c->why_no_prune = "package.json has no devDependencies";
	else
		c->prune = true;

	/* The cache is ours (npm.h); the defaults layer is the config
	 * vars' to replace. */
	unset_nocase(&c->env, "npm_config_cache");
	if (envv_set(&c->env, "npm_config_cache", c->cache, e) == -1)
		return -1;
	if (get_nocase(&c->env, "npm_config_globalconfig") == NULL) {
		if ((rc = fs_join(c->cache, NPMRC_NAME)) == NULL) {
			errf(e, "npm:");
			goto out;
		}
		if (envv_set(&c->env, "npm_config_globalconfig", rc, e) == -1)
			goto out;
	}
	if (envv_prepend_path(&c->env, "PATH", nb->node_dir, e) == -1)
		goto out;
	envv_exec_limits(&lim);
	if (envv_fit_exec(&c->env, probe, &lim, leave_out, &fit, e) == -1) {
		errprefix(e, "cannot start npm");
		goto out;
	}
	ret = 0;
out:
	free(rc);
	return ret;
}

/* CACHE_DIR/npm and the defaults file in it; rewritten only when it
 * differs, so a warm build does not fsync. */
static int
prepare_cache(struct ctx *c, struct errbuf *e)
{
	char *path, *old;
	size_t len;
	int rc = -1;

	if (fs_mkdir_p(c->cache, 0755, e) == -1)
		return -1;
	if ((path = fs_join(c->cache, NPMRC_NAME)) == NULL)
		return errf(e, "npm:");
	old = fs_read_file(path, sizeof npmrc_defaults, &len, NULL);
	if (old != NULL && len == sizeof npmrc_defaults - 1 &&
	    memcmp(old, npmrc_defaults, len) == 0)
		rc = 0;
	else
		rc = fs_write_file_atomic(path, npmrc_defaults,
		    sizeof npmrc_defaults - 1, 0644, e);
	free(old);
	free(path);
	return rc;
}

/* node and npm must be in node_dir: else npm's `#!/usr/bin/env node`
 * would find some other node on PATH. */
static int
check_node_dir(struct ctx *c, struct errbuf *e)
{
	char *node = fs_join(c->nb->node_dir, "node");
	int rc = 0;

	if (node == NULL)
		return errf(e, "npm:");
	if (access(node, X_OK) == -1)
		rc = errf(e, "%s:", node);
	else if (access(c->npm, X_OK) == -1)
		rc = errf(e, "%s:", c->npm);
	free(node);
	return rc;
}

/* The lockfile npm ci installs from: npm-shrinkwrap.json wins, as in
 * npm. */
static const char *
find_lockfile(const char *build_dir)
{
	static const char *const names[] = {"npm-shrinkwrap.json",
	    "package-lock.json"};
	char *p;
	bool found;

	for (size_t i = 0; i < 2; i++) {
		if ((p = fs_join(build_dir, names[i])) == NULL)
			continue;
		found = fs_exists(p);
		free(p);
		if (found)
			return names[i];
	}
	return NULL;
}

static enum npm_status
steps(struct ctx *c, struct errbuf *e)
{
	const struct pkgjson *pj = c->pj;
	const char *install[5] = {NULL, NULL, NULL, NULL, NULL};
	const char *prune[] = {NULL, "prune", "--omit=dev", NULL};
	enum npm_status st;
	int n = 1;

	if (pj->heroku_prebuild != NULL) {
		event(c, NPM_EV_TOPIC, "Prebuild");
		if ((st = run_script(c, "heroku-prebuild", e)) != NPM_OK)
			return st;
	}

	event(c, NPM_EV_TOPIC, "Installing dependencies");
	/* Looked for after heroku-prebuild, which may write one. */
	c->lockfile = find_lockfile(c->nb->build_dir);
	install[n++] = c->lockfile != NULL ? "ci" : "install";
	if (!c->no_dev)
		install[n++] = "--include=dev";
	event(c, NPM_EV_INFO, "Installing node modules with npm %s (%s%s)",
	    install[1], c->lockfile != NULL ? "package.json + " : "",
	    c->lockfile != NULL ? c->lockfile : "package.json");
	if ((st = run_npm(c, c->lockfile != NULL ? "npm ci" : "npm install",
		 install, true, e)) != NPM_OK)
		return st;

	if (pj->heroku_postbuild != NULL || pj->build != NULL) {
		event(c, NPM_EV_TOPIC, "Build");
		if (pj->heroku_postbuild != NULL && pj->build != NULL)
			event(c, NPM_EV_INFO,
			    "Detected both \"build\" and \"heroku-postbuild\" "
			    "scripts: heroku-postbuild runs");
		st = run_script(c,
		    pj->heroku_postbuild != NULL ? "heroku-postbuild" : "build",
		    e);
		if (st != NPM_OK)
			return st;
	}

	event(c, NPM_EV_TOPIC, "Pruning devDependencies");
	if (!c->prune) {
		event(c, NPM_EV_INFO, "Skipping because %s", c->why_no_prune);
	} else {
		event(c, NPM_EV_INFO, "Running npm prune --omit=dev");
		if ((st = run_npm(c, "npm prune", prune, false, e)) != NPM_OK)
			return st;
	}

	if (pj->heroku_cleanup != NULL) {
		event(c, NPM_EV_TOPIC, "Cleanup");
		if ((st = run_script(c, "heroku-cleanup", e)) != NPM_OK)
			return st;
	}
	return NPM_OK;
}

enum npm_status
npm_build(const struct npm_build *nb, struct errbuf *e)
{
	struct ctx c = {.nb = nb, .env = ENVV_INIT};
	enum npm_status st;

	outcome(&c, NPM_OK, 0, 0);
	if (nb->build_dir == NULL || nb->cache_dir == NULL ||
	    nb->node_dir == NULL) {
		errno = EINVAL;
		errf(e, "npm: build_dir, cache_dir and node_dir are needed");
		return outcome(&c, NPM_LOCAL, EINVAL, 0);
	}
	if (pkgjson_read(nb->build_dir, "package.json", &c.pj, e) == -1) {
		st = outcome(&c, NPM_BAD_APP, 0, 0);
		goto out;
	}
	if ((c.npm = fs_join(nb->node_dir, "npm")) == NULL ||
	    (c.cache = fs_join(nb->cache_dir, NPM_CACHE_SUBDIR)) == NULL) {
		errf(e, "npm:");
		st = local_failure(&c);
		goto out;
	}
	if (check_node_dir(&c, e) == -1 || prepare_cache(&c, e) == -1) {
		st = local_failure(&c);
		goto out;
	}
	if (make_env(&c, e) == -1) {
		/* out of memory, or a variable execve cannot pass */
		st = outcome(&c, NPM_LOCAL, errno != 0 ? errno : E2BIG, 0);
		goto out;
	}
	st = steps(&c, e);
out:
	envv_free(&c.env);
	pkgjson_free(c.pj);
	free(c.npm);
	free(c.cache);
	return st;
}
