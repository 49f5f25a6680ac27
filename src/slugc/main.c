/* main.c - slugc: build a slug as a platform would, run it, smoke-test it.
 *
 *	slugc build [options] [APP_DIR]
 *	slugc run [options] SLUG [TYPE | -- COMMAND...]
 *	slugc start [options] [APP_DIR | SLUG]
 *	slugc smoke [options] [APP_DIR]
 *
 * main parses the arguments into a struct opts, calls the command's one
 * function from the command table and leaves through one exit path.  A
 * new command is one entry in commands[] (and its function); new options
 * are an entry in optdefs[], a case in set_option, and their group. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "appcmd.h"
#include "appstate.h"
#include "envv.h"
#include "fetch.h"
#include "fsutil.h"
#include "gitexport.h"
#include "gitrepo.h"
#include "slugc.h"
#include "spawn.h"

/* The option help, after the commands' synopses (usage_synopses). */
static const char usage_options[] =
    "\n"
    "build, start and smoke (building):\n"
    "  -b, --buildpack DIR   use this buildpack (repeat for a multi-buildpack\n"
    "                        build, in order); default: the first under\n"
    "                        buildpacks/ whose detect accepts the app\n"
    "      --cache DIR       persistent cache (default: per app under\n"
    "                        $XDG_CACHE_HOME/slugc)\n"
    "      --no-cache        build with an empty cache, keep none\n"
    "      --worktree        build the directory as it is, not git's HEAD\n"
    "      --commit REV      build REV (commit, branch, tag) of the git\n"
    "                        repository, not HEAD; the work tree is not read\n"
    "      --stack NAME      $STACK for the buildpacks (default: $STACK "
    "or " DEFAULT_STACK ")\n"
    "  -o, --output SLUG     where build writes the slug (the release goes\n"
    "                        beside it as SLUG-minus-.tgz.release.yml)\n"
    "      --slug-warn MB    warn above this compressed size (300; 0: never)\n"
    "      --slug-max MB     refuse above this compressed size (500; 0: no "
    "limit)\n"
    "build, run, start, smoke:\n"
    "      --app NAME        the app's name ([a-z0-9-], as on Heroku), given\n"
    "                        to its processes as HEROKU_APP_NAME (default:\n"
    "                        the app directory's or slug file's name)\n"
    "config vars (build, run, start, smoke; -e wins over --env, which wins\n"
    "over the app's config and the release's config_vars):\n"
    "      --env FILE        read KEY=VALUE lines (foreman's .env format)\n"
    "  -e, --set KEY=VALUE   set one config var\n"
    "run, start, smoke:\n"
    "  -p, --port N          $PORT (run, start: 5000; smoke: a free port)\n"
    "      --boot-timeout S  R10 when web has not bound $PORT after S\n"
    "                        seconds (60)\n"
    "smoke:\n"
    "      --path PATH       request PATH (default /)\n"
    "      --host HOST       Host header (default APP.localhost)\n"
    "      --expect-status N the status to expect (default: any 2xx/3xx)\n"
    "      --expect-body T   the (last) body must contain T\n"
    "      --requests N      send N requests, cookies kept between them (1)\n"
    "      --slug            pack the slug and boot from it unpacked\n"
    "                        (default: boot from the build directory)\n"
    "pack: DIR (a built app) as a slug, its .slugignore honoured, into SLUG\n"
    "      (default slug.tgz)\n";

/* Options come in groups; a command takes the groups its entry names. */
enum {
	OG_BUILD = 1 << 0,  /* -b --cache --no-cache --worktree --commit
			       --stack */
	OG_OUTPUT = 1 << 1, /* -o */
	OG_SIZE = 1 << 2,   /* --slug-warn --slug-max */
	OG_VARS = 1 << 3,   /* --env -e */
	OG_APP = 1 << 4,    /* --app */
	OG_RUN = 1 << 5,    /* -p --boot-timeout */
	OG_SMOKE = 1 << 6   /* --path --host --expect-status --expect-body
			       --requests --slug */
};

enum {
	OPT_CACHE = 256,
	OPT_NO_CACHE,
	OPT_ENV,
	OPT_WORKTREE,
	OPT_COMMIT,
	OPT_STACK,
	OPT_SLUG_WARN,
	OPT_SLUG_MAX,
	OPT_BOOT_TIMEOUT,
	OPT_PATH,
	OPT_HOST,
	OPT_EXPECT_STATUS,
	OPT_EXPECT_BODY,
	OPT_SLUG,
	OPT_APP,
	OPT_REQUESTS
};

#define SHORTOPTS ":b:e:o:p:h"

static const struct optdef {
	const char *name;
	int has_arg;
	int val;
	unsigned group; /* 0: every command (--help) */
} optdefs[] = {
    {"buildpack", required_argument, 'b', OG_BUILD},
    {"cache", required_argument, OPT_CACHE, OG_BUILD},
    {"no-cache", no_argument, OPT_NO_CACHE, OG_BUILD},
    {"env", required_argument, OPT_ENV, OG_VARS},
    {"set", required_argument, 'e', OG_VARS},
    {"output", required_argument, 'o', OG_OUTPUT},
    {"worktree", no_argument, OPT_WORKTREE, OG_BUILD},
    {"commit", required_argument, OPT_COMMIT, OG_BUILD},
    {"stack", required_argument, OPT_STACK, OG_BUILD},
    {"slug-warn", required_argument, OPT_SLUG_WARN, OG_SIZE},
    {"slug-max", required_argument, OPT_SLUG_MAX, OG_SIZE},
    {"port", required_argument, 'p', OG_RUN},
    {"boot-timeout", required_argument, OPT_BOOT_TIMEOUT, OG_RUN},
    {"path", required_argument, OPT_PATH, OG_SMOKE},
    {"host", required_argument, OPT_HOST, OG_SMOKE},
    {"expect-status", required_argument, OPT_EXPECT_STATUS, OG_SMOKE},
    {"expect-body", required_argument, OPT_EXPECT_BODY, OG_SMOKE},
    {"requests", required_argument, OPT_REQUESTS, OG_SMOKE},
    {"slug", no_argument, OPT_SLUG, OG_SMOKE},
    {"app", required_argument, OPT_APP, OG_APP},
    {"help", no_argument, 'h', 0},
};

#define NOPTDEFS (sizeof optdefs / sizeof optdefs[0])

/* What main keeps while it parses: the options and the storage they
 * point into. */
struct cli {
	struct opts o;
	const char **bps; /* -b, o.buildpacks */
	char cache_abs[PATH_MAX + 256];
};

/* A value that means "go on" where the rest are exit statuses. */
#define GO_ON (-1)

static void print_usage(FILE *f);

/* A usage error: one line saying what is wrong and where to read more
 * (the whole text only when there was nothing to go on). */
static int
usage(const char *why)
{
	if (why == NULL)
		print_usage(stderr);
	else
		fprintf(stderr,
		    PROGNAME ": %s\n"
			     "Try '" PROGNAME " --help'.\n",
		    why);
	return SX_USAGE;
}

/* usage() with "what" followed by the user's text (an option, a verb),
 * quoted so that it stays on one line, and "after". */
static int
usage_quoting(const char *what, const char *text, size_t len, const char *after)
{
	char shown[104], why[200];

	err_printable(shown, sizeof shown, text, len);
	snprintf(why, sizeof why, "%s%s%s", what, shown, after);
	return usage(why);
}

/* getopt_long's '?' or ':' as one line: "unknown option --foo", "option
 * -p needs a value".  getopt itself prints nothing (opterr = 0). */
static int
option_error(int c, char **argv)
{
	const char *arg = argv[optind - 1];
	const char *what = c == ':' ? "option " : "unknown option ";
	const char *after = c == ':' ? " needs a value" : "";
	char opt[2];

	if (optopt != 0 && (arg[0] != '-' || arg[1] != '-')) {
		opt[0] = '-';
		opt[1] = (char)optopt;
		return usage_quoting(what, opt, 2, after);
	}
	return usage_quoting(what, arg, strcspn(arg, "="), after);
}

static bool
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool
parse_mb(const char *s, uint64_t *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0) || v > 1e9)
		return false;
	*out = (uint64_t)(v * 1024 * 1024);
	return true;
}

static int
set_var(struct opts *o, const char *kv)
{
	struct errbuf e;
	const char *eq = strchr(kv, '=');
	char name[256];

	if (eq == NULL || eq == kv || (size_t)(eq - kv) >= sizeof name) {
		fprintf(stderr, PROGNAME ": -e wants KEY=VALUE\n");
		return -1;
	}
	memcpy(name, kv, (size_t)(eq - kv));
	name[eq - kv] = '\0';
	if (!envdir_name_ok(name)) {
		fprintf(stderr, PROGNAME ": -e: %s is not a variable name\n",
		    name);
		return -1;
	}
	if (envdir_set(o->cli_vars, name, eq + 1, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return -1;
	}
	return 0;
}

/* ---- the commands ------------------------------------------------------ */

static int
cmd_build(const struct opts *o)
{
	struct build b;
	int code;

	code = build_app(o, true, &b);
	build_free(&b);
	return code;
}

/* A slug's metadata: its app is --app or the file's name, its time the
 * file's (when it was packed); its commit is not recorded in it. */
static void
slug_metadata(const struct opts *o, const char *slug, char *name, size_t nsize,
    struct dyno_plan *pl)
{
	const char *base = strrchr(slug, '/');
	char stem[256];
	struct stat st;
	size_t n;

	base = base != NULL ? base + 1 : slug;
	snprintf(stem, sizeof stem, "%s", base);
	n = strlen(stem);
	if (n > 4 && strcmp(stem + n - 4, ".tgz") == 0)
		stem[n - 4] = '\0';
	else if (n > 7 && strcmp(stem + n - 7, ".tar.gz") == 0)
		stem[n - 7] = '\0';
	if (o->app != NULL)
		snprintf(name, nsize, "%s", o->app);
	else
		slugstore_app_label(stem, name, nsize);
	pl->app_name = name;
	pl->created = stat(slug, &st) == 0 ? st.st_mtime : 0;
}

static int
cmd_run(const struct opts *o)
{
	struct dyno_plan pl = {0};
	char name[64];
	struct dyno_result r;
	struct manifest *m = NULL;
	struct errbuf e;
	const char *types[2] = {NULL, NULL};
	char *dir = NULL, *home = NULL, *rel = NULL;
	int code = SX_FAIL;

	if (!fs_exists(o->slug)) {
		fprintf(stderr, PROGNAME ": %s: no such slug\n", o->slug);
		return SX_USAGE;
	}
	if ((rel = release_path_for(o->slug)) == NULL ||
	    dyno_unpack(o->slug, &dir, &home, &e) == -1 ||
	    dyno_load_release(rel, home, &m, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n",
		    rel ? e.msg : "out of memory");
		goto out;
	}
	pl.home = home;
	pl.release = m;
	pl.envfile_vars = o->envfile_vars;
	pl.cli_vars = o->cli_vars;
	pl.port = o->port > 0 ? o->port : DEFAULT_PORT;
	slug_metadata(o, o->slug, name, sizeof name, &pl);
	if (o->ncommand == 1) {
		/* One word is a command line, as `heroku run "a && b"`. */
		pl.command_line = o->command[0];
	} else if (o->command != NULL) {
		pl.command = o->command;
	} else {
		types[0] = o->type != NULL ? o->type : "web";
		if (procfile_get(m->types, types[0]) == NULL) {
			fprintf(stderr,
			    PROGNAME ": the slug has no process type "
				     "%s\n",
			    types[0]);
			code = SX_USAGE;
			goto out;
		}
		pl.types = types;
		if (strcmp(types[0], "web") == 0)
			pl.boot_timeout = o->boot_timeout;
	}
	code = dyno_run(&pl, &r);
out:
	if (dir != NULL) {
		struct errbuf ignored;

		fs_rm_rf(dir, &ignored);
	}
	manifest_free(m);
	free(dir);
	free(home);
	free(rel);
	return code;
}

static int
cmd_start(const struct opts *o)
{
	struct dyno_plan pl = {0};
	char name[64];
	struct dyno_result r;
	struct manifest *m = NULL;
	struct build b = BUILD_INIT;
	struct errbuf e;
	struct stat st;
	const char **types = NULL;
	const char *arg = o->slug != NULL ? o->slug : o->app_dir;
	char *dir = NULL, *home = NULL, *rel = NULL;
	size_t i;
	int code = SX_FAIL;

	if (stat(arg, &st) == -1) {
		fprintf(stderr, PROGNAME ": %s: %s\n", arg, strerror(errno));
		return SX_USAGE;
	}
	if (S_ISDIR(st.st_mode)) {
		struct opts bo = *o;

		bo.app_dir = arg;
		if ((code = build_app(&bo, false, &b)) != SX_OK)
			goto out;
		code = SX_FAIL;
		pl.home = b.build_dir;
		pl.release = b.release;
		pl.app_name = b.app_name;
		pl.commit = b.git.commit;
		pl.created = time(NULL);
	} else {
		if ((rel = release_path_for(arg)) == NULL ||
		    dyno_unpack(arg, &dir, &home, &e) == -1 ||
		    dyno_load_release(rel, home, &m, &e) == -1) {
			fprintf(stderr, PROGNAME ": %s\n",
			    rel ? e.msg : "out of memory");
			goto out;
		}
		pl.home = home;
		pl.release = m;
		slug_metadata(o, arg, name, sizeof name, &pl);
	}
	if (pl.release->types->ntypes == 0) {
		fprintf(stderr, PROGNAME ": no process types to start\n");
		code = SX_USAGE;
		goto out;
	}
	if ((types = calloc(pl.release->types->ntypes + 1, sizeof *types)) ==
	    NULL)
		goto out;
	for (i = 0; i < pl.release->types->ntypes; i++)
		types[i] = pl.release->types->types[i].name;
	pl.types = types;
	pl.envfile_vars = o->envfile_vars;
	pl.cli_vars = o->cli_vars;
	pl.port = o->port > 0 ? o->port : DEFAULT_PORT;
	pl.boot_timeout = o->boot_timeout;
	pl.prefix = true;
	code = dyno_run(&pl, &r);
out:
	if (dir != NULL) {
		struct errbuf ignored;

		fs_rm_rf(dir, &ignored);
	}
	build_free(&b);
	manifest_free(m);
	free(types);
	free(dir);
	free(home);
	free(rel);
	return code;
}

static int
cmd_smoke(const struct opts *o)
{
	struct errbuf e;
	int code;

	if (fetch_global_init(&e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_FAIL;
	}
	code = smoke_app(o);
	fetch_global_cleanup();
	return code;
}

/* ---- the command table ---------------------------------------------- */

/* Positional arguments, after the options: each command's own check puts
 * them into o and returns GO_ON, or returns usage(). */
static int
args_app_dir(struct opts *o, char **pos, int npos)
{
	if (npos > 1)
		return usage("one APP_DIR at most");
	if (npos == 1)
		o->app_dir = pos[0];
	return GO_ON;
}

static int
args_pack(struct opts *o, char **pos, int npos)
{
	if (npos != 1)
		return usage("pack wants one DIR");
	o->app_dir = pos[0];
	return GO_ON;
}

static int
args_start(struct opts *o, char **pos, int npos)
{
	if (npos > 1)
		return usage("one APP_DIR or SLUG at most");
	if (npos == 1)
		o->slug = pos[0];
	return GO_ON;
}

static int
args_run(struct opts *o, char **pos, int npos)
{
	if (npos < 1 || npos > 2 || (npos == 2 && o->command != NULL))
		return usage("run wants SLUG and a TYPE or -- COMMAND");
	o->slug = pos[0];
	if (npos == 2)
		o->type = pos[1];
	return GO_ON;
}

/* Command flags. */
enum {
	CMD_ENV = 1 << 0,     /* config vars go into processes' environment:
				 one too big for it is refused at once */
	CMD_DASHDASH = 1 << 1 /* takes "-- COMMAND..." (o->command) */
};

static const struct command {
	const char *name;
	const char *synopsis; /* for the usage text */
	int (*run)(const struct opts *o);
	unsigned groups; /* the option groups it takes (OG_*) */
	/* Its positional arguments into o; NULL: they stay in o->args for
	 * run to read. */
	int (*args)(struct opts *o, char **pos, int npos);
	unsigned flags; /* CMD_* */
} commands[] = {
    {"build", "[options] [APP_DIR]", cmd_build,
	OG_BUILD | OG_OUTPUT | OG_SIZE | OG_VARS | OG_APP, args_app_dir, 0},
    {"run", "[options] SLUG [TYPE | -- COMMAND...]", cmd_run,
	OG_VARS | OG_APP | OG_RUN, args_run, CMD_ENV | CMD_DASHDASH},
    {"start", "[options] [APP_DIR | SLUG]", cmd_start,
	OG_BUILD | OG_SIZE | OG_VARS | OG_APP | OG_RUN, args_start, CMD_ENV},
    {"smoke", "[options] [APP_DIR]", cmd_smoke,
	OG_BUILD | OG_SIZE | OG_VARS | OG_APP | OG_RUN | OG_SMOKE, args_app_dir,
	CMD_ENV},
    {"pack", "[-o SLUG] [--slug-warn MB] [--slug-max MB] DIR", pack_app,
	OG_OUTPUT | OG_SIZE, args_pack, 0},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void
print_usage(FILE *f)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "%s" PROGNAME " %s %s\n",
		    i == 0 ? "usage: " : "       ", commands[i].name,
		    commands[i].synopsis);
	/* addons[:VERB], config[:VERB] and apps[:VERB] parse their own
	 * (appcmd.h). */
	fputs("       " PROGNAME " addons[:create|:info|:destroy|:export|"
	      ":import] ... [-a APP]\n"
	      "       " PROGNAME " config[:get|:set|:unset] ... [-a APP]\n"
	      "       " PROGNAME " apps[:create|:info|:destroy] [APP]\n"
	      "       " PROGNAME
	      " ps[:start|:stop|:restart|:scale] ... [-a APP]\n"
	      "       " PROGNAME " logs [-t] [-n N] [-a APP]\n"
	      "       (each has its own --help)\n",
	    f);
	fputs(usage_options, f);
}

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* ---- parsing ----------------------------------------------------------- */

static bool
allowed(const struct command *cmd, int opt)
{
	size_t i;

	for (i = 0; i < NOPTDEFS; i++)
		if (optdefs[i].val == opt)
			return optdefs[i].group == 0 ||
			    (optdefs[i].group & cmd->groups) != 0;
	return false;
}

static int
add_buildpack(struct cli *cli, const char *dir)
{
	struct opts *o = &cli->o;
	const char **v;

	if ((v = realloc(cli->bps, (o->nbuildpacks + 2) * sizeof *v)) == NULL)
		return SX_FAIL;
	cli->bps = v;
	v[o->nbuildpacks++] = dir;
	v[o->nbuildpacks] = NULL;
	o->buildpacks = v;
	return GO_ON;
}

static void
set_cache(struct cli *cli, const char *dir)
{
	char cwd[PATH_MAX];

	/* Absolute: buildpacks get it, and run elsewhere. */
	if (dir[0] != '/' && getcwd(cwd, sizeof cwd) != NULL &&
	    snprintf(cli->cache_abs, sizeof cli->cache_abs, "%s/%s", cwd, dir) <
		(int)sizeof cli->cache_abs)
		cli->o.cache_dir = cli->cache_abs;
	else
		cli->o.cache_dir = dir;
}

/* The options with a number: its range and what a bad one is called. */
static int
set_number(struct opts *o, int c, const char *arg)
{
	long v;

	if (c == OPT_SLUG_WARN || c == OPT_SLUG_MAX) {
		if (!parse_mb(arg,
			c == OPT_SLUG_WARN ? &o->slug_warn : &o->slug_max))
			return usage("sizes are in MB");
	} else if (c == 'p') {
		if (!parse_long(arg, 1, 65535, &v))
			return usage("bad port");
		o->port = (int)v;
	} else if (c == OPT_BOOT_TIMEOUT) {
		if (!parse_long(arg, 1, 86400, &v))
			return usage("bad boot timeout");
		o->boot_timeout = (int)v;
	} else if (c == OPT_EXPECT_STATUS) {
		if (!parse_long(arg, 100, 599, &v))
			return usage("bad status");
		o->expect_status = (int)v;
	} else if (c == OPT_REQUESTS) {
		if (!parse_long(arg, 1, SMOKE_REQUESTS_MAX, &v))
			return usage("--requests wants 1 to 1000");
		o->requests = (int)v;
	}
	return GO_ON;
}

/* One option: GO_ON, or the exit status to leave with. */
static int
set_option(struct cli *cli, int c, const char *arg)
{
	struct opts *o = &cli->o;
	struct errbuf e;

	switch (c) {
	case 'h':
		print_usage(stdout);
		return SX_OK;
	case 'b':
		return add_buildpack(cli, arg);
	case OPT_CACHE:
		set_cache(cli, arg);
		break;
	case OPT_NO_CACHE:
		o->no_cache = true;
		break;
	case OPT_ENV:
		if (dotenv_load(arg, o->envfile_vars, &e) == -1) {
			fprintf(stderr, PROGNAME ": %s\n", e.msg);
			return SX_USAGE;
		}
		break;
	case 'e':
		return set_var(o, arg) == -1 ? SX_USAGE : GO_ON;
	case 'o':
		o->output = arg;
		break;
	case OPT_WORKTREE:
		o->worktree = true;
		break;
	case OPT_COMMIT:
		if (!gitexport_rev_ok(arg))
			return usage_quoting("not a revision: ", arg,
			    strlen(arg), "");
		o->commit = arg;
		break;
	case OPT_STACK:
		o->stack = arg;
		break;
	case OPT_PATH:
		o->path = arg;
		break;
	case OPT_HOST:
		o->host = arg;
		break;
	case OPT_APP:
		if (!appstate_name_ok(arg))
			return usage("an app name is 1 to 30 of [a-z0-9-], "
				     "starting with a letter or digit");
		o->app = arg;
		break;
	case OPT_EXPECT_BODY:
		o->expect_body = arg;
		break;
	case OPT_SLUG:
		o->smoke_slug = true;
		break;
	default:
		return set_number(o, c, arg);
	}
	return GO_ON;
}

/* `run SLUG -- COMMAND...`: what follows "--" is the command, kept away
 * from option parsing; *argc is cut before it. */
static int
split_command(const struct command *cmd, struct opts *o, int *argc, char **argv)
{
	int i;

	for (i = 2; i < *argc; i++)
		if (strcmp(argv[i], "--") == 0)
			break;
	if (i == *argc)
		return GO_ON;
	if (!(cmd->flags & CMD_DASHDASH) || i + 1 >= *argc)
		return usage("'-- COMMAND' goes with run");
	o->command = argv + i + 1;
	o->ncommand = (size_t)(*argc - i - 1);
	*argc = i;
	return GO_ON;
}

/* The options and arguments after the command's name. */
static int
parse_options(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	struct option lo[NOPTDEFS + 1];
	char what[64], name[64];
	size_t i;
	int c, code, li = -1;

	for (i = 0; i < NOPTDEFS; i++)
		lo[i] = (struct option){optdefs[i].name, optdefs[i].has_arg,
		    NULL, optdefs[i].val};
	lo[NOPTDEFS] = (struct option){NULL, 0, NULL, 0};
	opterr = 0;
	while ((c = getopt_long(argc, argv, SHORTOPTS, lo, &li)) != -1) {
		if (c == '?' || c == ':')
			return option_error(c, argv);
		if (!allowed(cmd, c)) {
			/* The option, never its value (argv[optind - 1]
			 * when given apart: "--path /x"). */
			if (li >= 0)
				snprintf(name, sizeof name, "--%s",
				    lo[li].name);
			else
				snprintf(name, sizeof name, "-%c", c);
			snprintf(what, sizeof what, "%s does not take ",
			    cmd->name);
			return usage_quoting(what, name, strlen(name), "");
		}
		li = -1;
		if ((code = set_option(cli, c, optarg)) != GO_ON)
			return code;
	}
	if (cli->o.commit != NULL && cli->o.worktree)
		return usage("--commit and --worktree do not go together");
	cli->o.args = argv + optind;
	cli->o.nargs = (size_t)(argc - optind);
	if (cmd->args == NULL)
		return GO_ON;
	return cmd->args(&cli->o, argv + optind, argc - optind);
}

/* The whole command line into cli and *cmd: GO_ON, or the exit status to
 * leave with (usage errors, --help). */
static int
parse(struct cli *cli, int argc, char **argv, const struct command **cmd)
{
	const char *name;
	int code;

	if (argc < 2)
		return usage(NULL);
	name = argv[1];
	if (strcmp(name, "help") == 0 || strcmp(name, "-h") == 0 ||
	    strcmp(name, "--help") == 0) {
		print_usage(stdout);
		return SX_OK;
	}
	if ((*cmd = find_command(name)) == NULL)
		return usage_quoting("unknown command ", name, strlen(name),
		    "");
	if ((code = split_command(*cmd, &cli->o, &argc, argv)) != GO_ON)
		return code;
	return parse_options(cli, *cmd, argc - 1, argv + 1);
}

/* Config vars go into the processes' environment: one too big for it is
 * refused now, by name, not after a build as E2BIG.  (A build alone takes
 * it: buildpacks get config vars as files.) */
static int
check_env_limits(const struct envdir *vars)
{
	struct envv_limits lim;
	struct errbuf e;
	size_t k;

	envv_exec_limits(&lim);
	for (k = 0; k < vars->nvars; k++)
		if (envv_check_var("config var", vars->vars[k].name,
			vars->vars[k].len, &lim, &e) == -1) {
			fprintf(stderr, PROGNAME ": %s\n", e.msg);
			return SX_USAGE;
		}
	return GO_ON;
}

static int
run_command(const struct command *cmd, const struct opts *o)
{
	struct errbuf e;
	int code, sig;

	if ((cmd->flags & CMD_ENV) &&
	    ((code = check_env_limits(o->envfile_vars)) != GO_ON ||
		(code = check_env_limits(o->cli_vars)) != GO_ON))
		return code;
	if (spawn_install_signal_handlers(&e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_FAIL;
	}
	code = cmd->run(o);
	/* Stopped by SIGINT or SIGTERM: what ran has been stopped and what
	 * was half done removed; one line and 128 + N say so, whatever the
	 * stopped processes' own statuses were. */
	if ((sig = spawn_interrupted()) != 0) {
		code = SX_SIGNAL + sig;
		fprintf(stderr, PROGNAME ": stopped by %s\n",
		    spawn_signal_name(sig));
	}
	return code;
}

static void
cli_init(struct cli *cli)
{
	const char *stack = getenv("STACK");
	struct opts *o = &cli->o;

	memset(cli, 0, sizeof *cli);
	o->stack = stack != NULL && *stack != '\0' ? stack : DEFAULT_STACK;
	o->slug_warn = (uint64_t)SLUG_WARN_MB << 20;
	o->slug_max = (uint64_t)SLUG_MAX_MB << 20;
	o->boot_timeout = BOOT_TIMEOUT_S;
	o->app_dir = ".";
	o->envfile_vars = envdir_new();
	o->cli_vars = envdir_new();
}

int
main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	struct cli cli;
	int code;

	/* Run as an app repository's hooks/pre-receive (apps:create). */
	if (argc >= 1 && strcmp(basename(argv[0]), GITREPO_HOOK) == 0)
		return push_hook();
	cli_init(&cli);
	if (cli.o.envfile_vars == NULL || cli.o.cli_vars == NULL) {
		fprintf(stderr, PROGNAME ": out of memory\n");
		code = SX_FAIL;
		goto out;
	}
	/* addons[:VERB] and config[:VERB] parse their own arguments. */
	if (argc >= 2 && (code = appcmd_main(argc - 1, argv + 1)) >= 0)
		goto out;
	if ((code = parse(&cli, argc, argv, &cmd)) == GO_ON)
		code = run_command(cmd, &cli.o);
out:
	envdir_free(cli.o.envfile_vars);
	envdir_free(cli.o.cli_vars);
	free(cli.bps);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, PROGNAME ": write error on stdout\n");
		if (code == SX_OK)
			code = SX_FAIL;
	}
	return code;
}
