/* slugc.h - what the parts of the slugc program share (private). */
#ifndef SLUGC_SLUGC_H
#define SLUGC_SLUGC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "envdir.h"
#include "err.h"
#include "gitexport.h"
#include "manifest.h"
#include "procfile.h"
#include "slugstore.h"

/* slugc's exit statuses (the README's table).  Where slugc runs something
 * on the user's behalf, that thing's status is passed through instead: a
 * failed compile or release exits with the buildpack's status, `run` and
 * `start` with the process's; the last line printed says which. */
enum slugc_exit {
	SX_OK = 0,
	SX_NO_BUILDPACK = 1,   /* no buildpack detected the app, or one given
				  with -b did not */
	SX_USAGE = 2,	       /* bad arguments, unreadable --env file, no such
				  process type, port already in use */
	SX_FAIL = 4,	       /* local failure: copying the app, git, the
				  cache, packing, unpacking, writing files */
	SX_TOO_BIG = 5,	       /* the slug is over the size limit */
	SX_SMOKE = 6,	       /* smoke: the request failed, or its status or
				  body was not the expected one */
	SX_BOOT_TIMEOUT = 124, /* R10: web did not bind $PORT in time (as
				  timeout(1) does) */
	SX_SIGNAL = 128	       /* + N: stopped by signal N (Ctrl-C: 130) */
};

#define SLUG_WARN_MB 300
#define SLUG_MAX_MB 500
#define BOOT_TIMEOUT_S 60
#define DEFAULT_PORT 5000
#define DEFAULT_STACK "heroku-22"
#define SMOKE_REQUESTS_MAX 1000

struct opts {
	/* build, smoke, start */
	const char *app_dir;
	const char **buildpacks; /* -b, in order; NULL-terminated */
	size_t nbuildpacks;
	const char *cache_dir; /* --cache */
	bool no_cache;
	const char *output; /* -o */
	bool worktree;
	const char *commit; /* --commit: this revision, not HEAD */
	const char *stack;
	uint64_t slug_warn, slug_max; /* bytes */
	/* The user's config vars, kept in two sets because -e wins over
	 * --env whatever their order on the command line (configvars.h has
	 * the whole chain): */
	struct envdir *envfile_vars; /* --env files, a later file winning */
	struct envdir *cli_vars;     /* -e, a later one winning */
	/* build, run, start, smoke: --app, the app's name (HEROKU_APP_NAME);
	 * NULL: the app directory's (or slug file's) name */
	const char *app;
	/* run, start, smoke */
	const char *slug;
	const char *type;
	char **command; /* after "--", NULL-terminated */
	size_t ncommand;
	/* every command: the arguments after the options (commands[]'s args
	 * hook takes them apart for the built-in ones) */
	char **args;
	size_t nargs;
	int port;	  /* 0: default */
	int boot_timeout; /* seconds */
	/* smoke */
	const char *path;
	const char *host;
	const char *expect_body;
	int expect_status; /* 0: any 2xx or 3xx */
	int requests;	   /* how many, cookies kept; 0: one */
	bool smoke_slug;   /* pack, unpack and run the slug */
};

/* What a build made.  build_free() releases it and removes the
 * directories it owns. */
struct build {
	struct slugstore store; /* the app's state directory and locks */
	char *build_dir;	/* BUILD_DIR: becomes the slug */
	char *tmp_dir;		/* ENV_DIR, HOME, TMPDIR (in the store) */
	char *slug_path;	/* NULL when not packed */
	char *release_path;
	char app_name[64]; /* for Host headers: [a-z0-9-] */
	char bp_name[128]; /* what the last detect printed */
	struct gitexport git;
	struct manifest *release; /* merged: types are the Procfile's
				     over the defaults */
	uint64_t slug_bytes;
	double ms_take, ms_compile, ms_release, ms_pack;
	/* Earlier build directories are removed while this build runs
	 * (slugstore_sweep_dir); this one stays for the next build to remove
	 * (unless packed with --no-cache), so removing ~100 MB is never
	 * waited for. */
	bool keep_build_dir;
};

#define BUILD_INIT                                                             \
	{                                                                      \
		.store = SLUGSTORE_INIT                                        \
	}

/* build.c */
/* Builds o->app_dir as a push would: takes the app, runs the buildpacks,
 * merges the release and, with pack, writes the slug and its release file.
 * Prints the build log on stdout.  Returns SX_OK or the exit status to
 * leave with; b is filled as far as the build got (build_free it). */
int build_app(const struct opts *o, bool pack, struct build *b);
void build_free(struct build *b);
/* `slugc pack DIR`: DIR as a slug, its .slugignore honoured at pack time. */
int pack_app(const struct opts *o);

/* "<slug minus .tgz>.release.yml" (malloc'd). */
char *release_path_for(const char *slug);

/* dyno.c */
struct dyno_result {
	double ms_boot; /* launch to $PORT bound (web), or -1 */
	double ms_request;
	double ms_stop; /* from stopping to every process gone */
	bool r10;	/* boot timeout */
	bool crashed;	/* exited before binding (web) */
	int status;	/* exit status of the first process that ended */
	char first[80]; /* its name ("web.1"), or "" */
};

/* Something to run once web has bound its port (smoke's request).  Returns
 * an exit status; SX_OK keeps the processes running (start) unless
 * stop_after. */
typedef int dyno_ready_fn(void *arg, int port);

struct dyno_plan {
	const char *home; /* the app: unpacked slug or BUILD_DIR */
	const struct manifest *release;	   /* types and config_vars */
	const struct envdir *envfile_vars; /* --env's, over the app's */
	const struct envdir *cli_vars;	   /* -e's, over --env's */
	const char **types;	  /* process types to run, NULL-terminated */
	char **command;		  /* one-off command (argv), or NULL */
	const char *command_line; /* one-off shell command line, or NULL */
	int port;		  /* base port */
	int boot_timeout;	  /* seconds; 0: no R10 check */
	bool prefix;		  /* "web.1 | " before each line */
	dyno_ready_fn *ready;	  /* called once web is bound */
	void *ready_arg;
	bool stop_when_ready; /* stop all after ready returns */
	/* What Heroku's dyno metadata tells every process: the app's name
	 * (HEROKU_APP_NAME, its domain NAME.localhost), the commit the slug
	 * was built from and when (HEROKU_SLUG_COMMIT, _CREATED_AT): NULL, ""
	 * or 0 when unknown, and then not set. */
	const char *app_name;
	const char *commit;
	time_t created;
};

/* Unpacks slug into a fresh directory (returned in *dir, the caller removes
 * and frees it) and sets *home to the app inside it (Heroku's ./app, or the
 * root for slugs without one). */
int dyno_unpack(const char *slug, char **dir, char **home, struct errbuf *e);

/* Runs the plan's processes and supervises them: R10 on web, all stopped
 * together when one ends or on Ctrl-C.  Returns the exit status to leave
 * with; r gets the figures. */
int dyno_run(const struct dyno_plan *p, struct dyno_result *r);

/* Reads release and Procfile for a slug unpacked at home (release_path may
 * be NULL or missing: then the slug's Procfile alone). */
int dyno_load_release(const char *release_path, const char *home,
    struct manifest **out, struct errbuf *e);

/* smoke.c */
/* `slugc smoke`: build, boot web, the requests, stop; returns the status. */
int smoke_app(const struct opts *o);

/* dotenv.c */
/* Reads a .env file (foreman's format) into vars; warnings on stderr. */
int dotenv_load(const char *path, struct envdir *vars, struct errbuf *e);

/* main.c */
#define PROGNAME "slugc"

#endif
