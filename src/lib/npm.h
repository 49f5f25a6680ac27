/* npm.h - the Node.js buildpack's dependencies step: npm ci (or npm
 * install), the app's build scripts, and the pruning of devDependencies, as
 * Heroku's Node.js buildpack does them.  Silent: npm's output goes to a line
 * callback, headers and notes to an event callback; the caller prints.
 *
 * What npm_build runs, in BUILD_DIR, each an argv (never a shell string):
 *   npm run heroku-prebuild             if package.json has it
 *   npm ci --include=dev                with package-lock.json or
 *                                       npm-shrinkwrap.json; else npm install
 *   npm run heroku-postbuild            if present, else npm run build
 *   npm prune --omit=dev                when NODE_ENV is production,
 *                                       NPM_CONFIG_PRODUCTION is not false
 *                                       and there are devDependencies
 *   npm run heroku-cleanup              if present
 * (--include=dev is left out when NPM_CONFIG_PRODUCTION is true: npm then
 * installs no devDependencies, as on Heroku.)
 *
 * npm's environment is the caller's (proxy and CA variables kept) plus the
 * config vars, never those envdir_name_denied() refuses, with node_dir first
 * on PATH (npm's `#!/usr/bin/env node` must find this node), NODE_ENV
 * production unless a config var or the environment says otherwise, and
 * npm's cache in CACHE_DIR/npm.  The app's .npmrc is read by npm (BUILD_DIR
 * is its project) and wins over everything but the cache: the buildpack's
 * own defaults (prefer-offline, so a build whose packages are all in the
 * cache makes no request; no audit, fund or update-notifier requests) sit in
 * npm's lowest layer, a globalconfig file CACHE_DIR/npm/slugc.npmrc, which
 * a config var NPM_CONFIG_GLOBALCONFIG replaces.
 *
 * No function here puts a config var's value in a message or an event. */
#ifndef SLUGC_NPM_H
#define SLUGC_NPM_H

#include <stdbool.h>
#include <stddef.h>

#include "envdir.h"
#include "err.h"
#include "spawn.h"

/* npm's cache, beneath CACHE_DIR. */
#define NPM_CACHE_SUBDIR "npm"

enum npm_event {
	NPM_EV_TOPIC, /* a header: "Installing dependencies", "Build", ... */
	NPM_EV_INFO,  /* a note under it: "Running heroku-postbuild" */
	NPM_EV_WARN   /* something the user should fix, the build goes on */
};

/* Receives one event; text is one line, valid during the call. */
typedef void npm_event_fn(void *arg, enum npm_event ev, const char *text);

enum npm_status {
	NPM_OK = 0,
	NPM_BAD_APP, /* package.json cannot be read or is not JSON, or the
	                lockfile is out of sync with it: the app must change
	                (compile: exit 2) */
	NPM_FAILED,  /* npm or an app's script failed (compile: exit 1) */
	NPM_LOCAL,   /* a local error: a full or failing disk under BUILD_DIR
	                or CACHE_DIR (*local_errno), or npm could not be
	                started (compile: exit 4) */
	NPM_SIGNAL   /* npm was killed by signal *signo, or stopped by
	                SIGINT/SIGTERM (spawn_interrupted()): exit 128+N */
};

struct npm_build {
	const char *build_dir;	   /* the app; npm's working directory */
	const char *cache_dir;	   /* CACHE_DIR: npm's cache goes beneath */
	const char *node_dir;	   /* the bin directory holding node and npm,
	                              e.g. BUILD_DIR/.heroku/node/bin */
	const struct envdir *vars; /* the config vars (may be NULL) */
	char *const *envp;	   /* the environment npm starts from; NULL:
	                              this process's */
	spawn_line_fn *on_line;	   /* npm's and the scripts' output, line by
	                              line as it comes (spawn.h); NULL drops
	                              it */
	npm_event_fn *on_event;	   /* headers and notes; may be NULL */
	void *arg;		   /* passed to both */
	/* Out, when not NULL: on NPM_LOCAL the errno of the local failure
	 * (ENOSPC, EIO, ENOENT for an npm that is not there...); on
	 * NPM_SIGNAL the signal that killed npm (0 when we were
	 * interrupted).  0 otherwise. */
	int *local_errno;
	int *signo;
};

/* Runs the dependencies step described above.  Returns NPM_OK, or another
 * status with e holding one line that names the step ("npm ci failed:
 * npm exited with status 1", "heroku-postbuild script failed: ...",
 * "package.json:6:3: ...", "package-lock.json is out of sync with
 * package.json (Missing: semver@7.8.6 from lock file): run `npm install`
 * and commit package-lock.json").  npm's own page of text for an out-of-sync
 * lockfile is not passed to on_line, only its "Missing:" and "Invalid:"
 * lines.  npm reports files it could not write while unpacking packages
 * (TAR_ENTRY_ERROR) as warnings and exits 0; npm_build fails then, as
 * NPM_LOCAL when the error is a local one (ENOSPC...). */
enum npm_status npm_build(const struct npm_build *nb, struct errbuf *e);

#endif
