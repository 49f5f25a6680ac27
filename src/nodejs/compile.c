/* compile BUILD_DIR CACHE_DIR [ENV_DIR] - the Node.js buildpack's build.
 *
 * Resolves the Node.js version (NODE_URL + NODE_SHA256, else NODE_VERSION,
 * else the highest version of buildpack.yml that package.json's
 * engines.node allows, else its default), installs it into
 * BUILD_DIR/.heroku/node through the runtime install shared with the
 * Mono buildpack (from the cache, or streamed from its URL and verified
 * against its sha256), writes .profile.d/nodejs.sh and the buildpack's
 * export file, then installs the app's dependencies with npm (npm.h) and
 * the vendored node first on PATH.  stdout is the build log (Heroku's "-----> " and 7-space
 * lines).  Exit codes: exitcode.h and the README. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpmain.h"
#include "envdir.h"
#include "err.h"
#include "exitcode.h"
#include "fsutil.h"
#include "log.h"
#include "nodeapp.h"
#include "npm.h"
#include "pkgjson.h"
#include "procfile.h"
#include "runtime/install_log.h"
#include "runtime/runtime.h"
#include "runtime/versions.h"
#include "shquote.h"
#include "spawn.h"

#define RUNTIME_DIR RUNTIME_NODE_PREFIX
#define PROFILE ".profile.d/nodejs.sh"

/* What this build is about, gathered from the arguments, the environment,
 * the config vars, package.json and buildpack.yml before anything is
 * changed. */
struct build {
	char *build_dir;     /* absolute: the export file names it */
	char *cache_dir;     /* absolute: npm runs in build_dir */
	const char *env_dir; /* may be NULL */
	const char *stack;
	char *buildpack_dir;	/* where bin/compile lives, one up */
	struct envdir *vars;	/* config vars */
	struct pkgjson *pj;	/* the app's package.json */
	struct runtime_spec rt; /* which Node.js tarball */
	char *runtime;		/* build_dir/.heroku/node */
	char *heroku;		/* build_dir/.heroku, NULL if the app had one */
	char note[512];		/* why this version, for the log */
};

static void
warn_log(void *arg, const char *msg)
{
	(void)arg;
	log_warn(stdout, "%s", msg);
}

/* What compile writes inside BUILD_DIR. */
static const char *const written[] = {RUNTIME_DIR, PROFILE, NULL};

/* Config vars the buildpack itself consumes stay out of the build's
 * environment: the runtime's location and credentials are none of npm's
 * or the app's scripts' business. */
static bool
buildpack_only(const char *name)
{
	static const char *const names[] = {"NODE_URL", "NODE_SHA256",
	    "S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	    "AWS_SESSION_TOKEN", NULL};

	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* The line under the install's topic saying why this version. */
static void
explain_version(struct build *b)
{
	char shown[200];

	if (envdir_get(b->vars, "NODE_URL") != NULL) {
		snprintf(b->note, sizeof b->note,
		    "NODE_URL and NODE_SHA256 (config vars): a tarball of "
		    "your choice");
	} else if (envdir_get(b->vars, "NODE_VERSION") != NULL) {
		snprintf(b->note, sizeof b->note,
		    "NODE_VERSION (config var): %s", b->rt.version);
	} else if (b->pj->engines_node != NULL) {
		err_printable(shown, sizeof shown, b->pj->engines_node,
		    strlen(b->pj->engines_node));
		snprintf(b->note, sizeof b->note,
		    "engines.node (package.json): '%s', resolved to %s", shown,
		    b->rt.version);
	} else {
		snprintf(b->note, sizeof b->note,
		    "engines.node (package.json): unspecified, the default "
		    "version");
	}
}

/* path made absolute against the working directory, lexically: CACHE_DIR
 * may not exist yet.  npm gets its cache beneath it and runs in BUILD_DIR,
 * where a relative one would name a fresh cache inside the app.  The
 * caller frees; NULL with errno set on failure. */
static char *
absolute(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof cwd) == NULL)
		return NULL;
	return fs_join(cwd, path);
}

static int
gather(struct build *b, int argc, char **argv, struct errbuf *e)
{
	char *versions, *local = NULL;
	const char *s;
	int rc;

	if ((b->cache_dir = absolute(argv[2])) == NULL)
		return errf(e, "CACHE_DIR %s:", argv[2]);
	b->env_dir = argc > 3 ? argv[3] : NULL;
	s = getenv("STACK");
	b->stack = s != NULL && *s != '\0' ? s : "unknown-stack";
	if (!fs_is_dir(argv[1]))
		return errf(e, "BUILD_DIR %s: not a directory", argv[1]);
	if ((b->build_dir = realpath(argv[1], NULL)) == NULL)
		return errf(e, "BUILD_DIR %s:", argv[1]);
	if ((b->buildpack_dir = runtime_buildpack_dir(e)) == NULL)
		return -1;
	if (envdir_read(b->env_dir, &b->vars, warn_log, NULL, e) == -1)
		return -1;
	/* The app's tree is untrusted: nothing we write may go through one
	 * of its symlinks to somewhere else. */
	for (int i = 0; written[i] != NULL; i++)
		if (fs_check_beneath(b->build_dir, written[i], e) == -1)
			return -1;
	if ((b->runtime = fs_join(b->build_dir, RUNTIME_DIR)) == NULL ||
	    (b->heroku = fs_join(b->build_dir, ".heroku")) == NULL)
		return errf(e, "compile:");
	if (fs_exists(b->heroku)) {
		free(b->heroku);
		b->heroku = NULL;
	}
	if (pkgjson_read(b->build_dir, "package.json", &b->pj, e) == -1) {
		if (errno == ENOENT)
			errf(e,
			    "no package.json at the root of the app: "
			    "the Node.js buildpack builds apps that have one");
		return -1;
	}
	if ((versions = fs_join(b->buildpack_dir, "buildpack.yml")) == NULL ||
	    (local = fs_join(b->buildpack_dir, "buildpack.local.yml")) ==
		NULL) {
		free(versions);
		return errf(e, "compile:");
	}
	struct runtime_want w = {
	    .kind = &runtime_node,
	    .vars = b->vars,
	    .range = b->pj->engines_node,
	    .range_from = "package.json engines.node",
	    .versions_path = versions,
	    .local_path = local,
	};
	rc = runtime_resolve(&w, &b->rt, e);
	free(versions);
	free(local);
	if (rc == 0)
		explain_version(b);
	return rc;
}

/* Returns 0, -1 when the install failed (*local: the file-system error
 * that failed it, a full BUILD_DIR: exit 4, not 3; or 0), or -2 when the
 * tarball installed holds no Node tree (exit 3). */
static int
install_runtime(struct build *b, int *local, struct errbuf *e)
{
	struct runtime_install ri = {
	    .cache_dir = b->cache_dir,
	    .stack = b->stack,
	    .dest = b->runtime,
	    .note = b->note,
	    .vars = b->vars,
	    .stop = spawn_interrupt_flag(),
	    .local_errno = local,
	};
	struct stat st;
	char *node;

	if (runtime_install_logged(&b->rt, &ri, stdout, e) == -1)
		return -1;
	/* A tarball is a Node tree at its root (make-node-tarball.sh's
	 * layout); nodejs.org's own have a node-vX-linux-x64/ directory
	 * above it, which would leave no node on PATH: say so now, not at
	 * the first npm call, and leave nothing behind. */
	if ((node = fs_join(b->runtime, "bin/node")) == NULL)
		return errf(e, "compile:");
	if (lstat(node, &st) == -1 || !S_ISREG(st.st_mode)) {
		free(node);
		(void)fs_rm_rf(b->runtime, NULL);
		errf(e,
		    "the Node.js %s tarball has no bin/node at its root (a "
		    "tarball with a top directory, as nodejs.org's, must be "
		    "repacked with the tree at its root: see "
		    "tests/fixtures/make-node-tarball.sh)",
		    b->rt.version);
		return -2;
	}
	free(node);
	return 0;
}

/* .profile.d/nodejs.sh puts node, npm and the app's node_modules/.bin on
 * the dyno's PATH (relative to $HOME, where the slug is mounted) and sets
 * NODE_ENV unless the dyno has it (a config var); the export file gives
 * the next buildpack of a multi-buildpack build the same at build-time
 * paths, with NODE_ENV as this build has it. */
static int
write_environment(struct build *b, struct errbuf *e)
{
	static const char profile[] =
	    "# Written by the Node.js buildpack: the vendored node and npm, "
	    "and the\n"
	    "# app's own tools, on PATH; NODE_ENV production unless set.\n"
	    "export PATH=\"$HOME/" RUNTIME_DIR
	    "/bin:$HOME/node_modules/.bin:$PATH\"\n"
	    "export NODE_ENV=\"${NODE_ENV:-production}\"\n";
	const char *node_env = envdir_get(b->vars, "NODE_ENV");
	char *dir = fs_join(b->build_dir, ".profile.d"), *path = NULL;
	char *exp = NULL, *text = NULL, *qbin = NULL, *qmod = NULL;
	char *qenv = NULL, *bin = NULL, *mods = NULL;
	struct errbuf ee = {""};
	int rc = -1, n;

	if (dir == NULL || (path = fs_join(dir, "nodejs.sh")) == NULL) {
		errf(e, "compile:");
		goto out;
	}
	if (fs_mkdir_p(dir, 0755, e) == -1 ||
	    fs_write_file_atomic(path, profile, sizeof profile - 1, 0644, e) ==
		-1)
		goto out;
	if ((bin = fs_join(b->runtime, "bin")) == NULL ||
	    (mods = fs_join(b->build_dir, "node_modules/.bin")) == NULL ||
	    (qbin = shquote(bin)) == NULL || (qmod = shquote(mods)) == NULL ||
	    (qenv = node_env != NULL
		    ? shquote(node_env)
		    : strdup("\"${NODE_ENV:-production}\"")) == NULL ||
	    (exp = fs_join(b->buildpack_dir, "export")) == NULL ||
	    (n = asprintf(&text,
		 "export PATH=%s:%s:\"$PATH\"\n"
		 "export NODE_ENV=%s\n",
		 qbin, qmod, qenv)) < 0) {
		text = NULL;
		errf(e, "compile:");
		goto out;
	}
	/* A read-only buildpack directory only costs the next buildpack
	 * node on its PATH: say so, and go on. */
	if (fs_write_file_atomic(exp, text, (size_t)n, 0644, &ee) == -1)
		log_warn(stdout, "Cannot write the export file: %s", ee.msg);
	rc = 0;
out:
	free(dir);
	free(path);
	free(exp);
	free(text);
	free(qbin);
	free(qmod);
	free(qenv);
	free(bin);
	free(mods);
	return rc;
}

/* The config vars npm and the app's scripts see: all of them but the
 * buildpack's own (npm_build drops the denied ones and adds the rest of
 * the environment). */
static int
npm_vars(const struct build *b, struct envdir **out, struct errbuf *e)
{
	struct envdir *v = envdir_new();

	*out = NULL;
	if (v == NULL)
		return errf(e, "compile:");
	for (size_t i = 0; i < b->vars->nvars; i++)
		if (!buildpack_only(b->vars->vars[i].name) &&
		    envdir_set(v, b->vars->vars[i].name, b->vars->vars[i].value,
			e) == -1) {
			envdir_free(v);
			return -1;
		}
	*out = v;
	return 0;
}

/* npm's headers and notes as the buildpack's own lines; an unfinished
 * line of npm's output is ended first. */
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

/* The npm step (npm.h): npm ci or npm install, the heroku-prebuild,
 * build or heroku-postbuild and heroku-cleanup scripts, the prune, npm's
 * cache in CACHE_DIR, with the vendored node first on PATH and npm's
 * output indented as it streams.  Returns an exit code, with e filled
 * when it is not EXIT_OK. */
static int
install_dependencies(struct build *b, struct errbuf *e)
{
	struct log_stream ls = LOG_STREAM_INIT(stdout);
	struct envdir *vars = NULL;
	char *bin = fs_join(b->runtime, "bin");
	int local = 0, signo = 0, rc;

	if (bin == NULL) {
		errf(e, "compile:");
		return EXIT_IO;
	}
	if (npm_vars(b, &vars, e) == -1) {
		free(bin);
		return EXIT_IO;
	}
	struct npm_build nb = {
	    .build_dir = b->build_dir,
	    .cache_dir = b->cache_dir,
	    .node_dir = bin,
	    .vars = vars,
	    .on_line = log_stream_on_line,
	    .on_event = npm_event,
	    .arg = &ls,
	    .local_errno = &local,
	    .signo = &signo,
	};
	switch (npm_build(&nb, e)) {
	case NPM_OK:
		rc = EXIT_OK;
		break;
	case NPM_BAD_APP: /* bad package.json, lockfile out of sync */
		rc = EXIT_USAGE;
		break;
	case NPM_FAILED: /* npm or one of the app's scripts failed */
		rc = EXIT_BUILD_FAILED;
		break;
	case NPM_SIGNAL: /* killed by signal N: 128+N, as a shell says;
	                    0 is our own SIGINT/SIGTERM, which main reports */
		rc = signo != 0 ? EXIT_SIGNAL_BASE + signo : EXIT_IO;
		break;
	case NPM_LOCAL: /* ENOSPC and the like under BUILD_DIR, CACHE_DIR */
	default:
		rc = EXIT_IO;
		break;
	}
	log_stream_finish(&ls);
	envdir_free(vars);
	free(bin);
	return rc;
}

/* Warns when release will have no web process to offer. */
static int
check_web(struct build *b, struct errbuf *e)
{
	struct procfile *pf = NULL;
	const char *web = nodeapp_web_command(b->pj, b->build_dir);
	bool absent;

	if (procfile_load_beneath(b->build_dir, "Procfile", &pf, &absent, NULL,
		NULL, e) == -1)
		return -1;
	if (!absent && procfile_get(pf, "web") != NULL) {
		/* The Procfile's web wins: nothing to say. */
	} else if (web != NULL) {
		log_info(stdout, "Default web process: %s", web);
	} else {
		log_warn(stdout,
		    "No start script in package.json, no server.js and no "
		    "web in a Procfile: there is no default web process.");
		log_warn(stdout,
		    "Add a start script, e.g. \"scripts\": {\"start\": "
		    "\"node index.js\"}, or a Procfile");
	}
	procfile_free(pf);
	return 0;
}

static void
build_free(struct build *b)
{
	free(b->build_dir);
	free(b->cache_dir);
	free(b->buildpack_dir);
	envdir_free(b->vars);
	pkgjson_free(b->pj);
	runtime_spec_free(&b->rt);
	free(b->runtime);
	free(b->heroku);
}

int
main(int argc, char **argv)
{
	struct build b = {0};
	struct errbuf e = {""};
	int rc, r, local = 0;

	if ((rc = bpmain_compile_begin(argc)) != EXIT_OK)
		return rc;
	if (gather(&b, argc, argv, &e) == -1) {
		rc = EXIT_USAGE;
	} else if ((r = install_runtime(&b, &local, &e)) != 0) {
		rc = local != 0 ? EXIT_IO : EXIT_FETCH;
		/* buildpack.yml's URL is a placeholder until someone publishes
		 * a runtime there: say how to get one. */
		if (r == -1 && local == 0 && !b.rt.local &&
		    envdir_get(b.vars, "NODE_URL") == NULL &&
		    !spawn_interrupted())
			runtime_hint_append(&runtime_node, &e);
		/* The install leaves no runtime; nor the .heroku it made
		 * for it (rmdir: only if empty, only if it was ours). */
		if (b.heroku != NULL)
			(void)rmdir(b.heroku);
	} else if (write_environment(&b, &e) == -1) {
		rc = EXIT_IO;
	} else if ((rc = install_dependencies(&b, &e)) != EXIT_OK) {
		/* rc says what failed */
	} else if (check_web(&b, &e) == -1) {
		rc = EXIT_USAGE;
	} else {
		rc = EXIT_OK;
	}
	build_free(&b);
	return bpmain_compile_end(rc, &e);
}
