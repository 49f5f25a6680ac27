/* dynoenv.h - what one process of a dyno is given, built before it starts:
 * its environment, as Heroku's dyno manager sets it, and its argv, the
 * bash a dyno runs the command with.  Nothing here prints. */
#ifndef SLUGC_DYNOENV_H
#define SLUGC_DYNOENV_H

#include <time.h>

#include "envdir.h"
#include "envv.h"
#include "err.h"
#include "manifest.h"

/* A dyno's PATH before .profile.d adds to it. */
#define DYNOENV_PATH "/usr/local/bin:/usr/bin:/bin"

/* One process's part of a plan. */
struct dynoenv {
	const char *home;		/* HOME: the app */
	const char *dyno;		/* DYNO: "web.1" */
	int port;			/* PORT */
	const struct manifest *release; /* its config_vars; NULL: none */
	/* The config vars over the release's (configvars.h: the app's, then
	 * --env's, then -e's); NULL: none. */
	const struct envdir *vars;
	/* Heroku's dyno metadata: the app's name, the commit its slug was
	 * built from and when; NULL, "" or 0 when unknown, then not set. */
	const char *app_name;
	const char *commit;
	time_t created;
};

/* Sets in env, each later one winning: PATH (DYNOENV_PATH), the release's
 * config vars, the dyno metadata (dynoenv_metadata), de->vars, then what
 * the platform sets and no config var can change: HOME, PORT, DYNO.  The
 * metadata comes after the release's config vars because those are only
 * defaults on Heroku, set when the app has no such var yet.  Returns 0, or
 * -1 with e filled (env may then hold a part: envv_free it). */
int dynoenv_build(struct envv *env, const struct dynoenv *de, struct errbuf *e);

/* Heroku's dyno metadata (labs:runtime-dyno-metadata), as far as slugc
 * knows it, set in env.  Nothing without an app name; with one,
 * HEROKU_APP_NAME, HEROKU_APP_ID (dynoenv_app_id),
 * HEROKU_APP_DEFAULT_DOMAIN_NAME (NAME.localhost) and HEROKU_DYNO_ID (a
 * random UUID, new at each call); HEROKU_RELEASE_CREATED_AT (UTC, ISO
 * 8601) when created > 0; HEROKU_SLUG_COMMIT and HEROKU_SLUG_DESCRIPTION
 * ("Deploy abc1234") with a commit.  Returns 0 or -1 with e filled. */
int dynoenv_metadata(struct envv *env, const struct dynoenv *de,
    struct errbuf *e);

/* The app's id into out: a name-based UUID (version 5's layout, over
 * SHA-256 of "slugc app NAME"), so the same app always has the same id.
 * Returns 0 or -1 with e filled. */
int dynoenv_app_id(const char *app_name, char out[37], struct errbuf *e);

/* The argv of a dyno's process: bash, which cds to $HOME, sources the
 * scripts in .profile.d then .profile, and then runs command_line with
 * bash -c when it is not NULL, or else execs argv (NULL-terminated).  The
 * command is passed as data, never spliced into a script.  Returns a
 * malloc'd NULL-terminated array (free() it alone: its strings are
 * command_line's, argv's and static ones), or NULL with e filled when out
 * of memory. */
const char **dynoenv_argv(const char *command_line, char *const *argv,
    struct errbuf *e);

#endif
