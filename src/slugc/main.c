/* main.c - slugc: build a slug as a platform would, run it, smoke-test it.
 *
 *	slugc build [options] [APP_DIR]
 *	slugc run [options] SLUG [TYPE | -- COMMAND...]
 *	slugc start [options] [APP_DIR | SLUG]
 *	slugc smoke [options] [APP_DIR]
 *
 * main parses the arguments into a struct opts, calls one function per verb
 * and leaves through one exit path. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "appstate.h"
#include "envv.h"
#include "fetch.h"
#include "fsutil.h"
#include "slugc.h"
#include "spawn.h"

static const char usage_text[] =
    "usage: slugc build [options] [APP_DIR]\n"
    "       slugc run [options] SLUG [TYPE | -- COMMAND...]\n"
    "       slugc start [options] [APP_DIR | SLUG]\n"
    "       slugc smoke [options] [APP_DIR]\n"
    "       slugc pack [-o SLUG] [--slug-warn MB] [--slug-max MB] DIR\n"
    "\n"
    "build, start and smoke (building):\n"
    "  -b, --buildpack DIR   use this buildpack (repeat for a multi-buildpack\n"
    "                        build, in order); default: the first under\n"
    "                        buildpacks/ whose detect accepts the app\n"
    "      --cache DIR       persistent cache (default: per app under\n"
    "                        $XDG_CACHE_HOME/slugc)\n"
    "      --no-cache        build with an empty cache, keep none\n"
    "      --worktree        build the directory as it is, not git's HEAD\n"
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
    "config vars (build, run, start, smoke):\n"
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
    "      --expect-body T   the body must contain T\n"
    "      --slug            pack the slug and boot from it unpacked\n"
    "                        (default: boot from the build directory)\n"
    "pack: DIR (a built app) as a slug, its .slugignore honoured, into SLUG\n"
    "      (default slug.tgz)\n";

enum {
	OPT_CACHE = 256,
	OPT_NO_CACHE,
	OPT_ENV,
	OPT_WORKTREE,
	OPT_STACK,
	OPT_SLUG_WARN,
	OPT_SLUG_MAX,
	OPT_BOOT_TIMEOUT,
	OPT_PATH,
	OPT_HOST,
	OPT_EXPECT_STATUS,
	OPT_EXPECT_BODY,
	OPT_SLUG,
	OPT_APP
};

static const struct option longopts[] = {{"buildpack", required_argument, NULL,
					     'b'},
    {"cache", required_argument, NULL, OPT_CACHE},
    {"no-cache", no_argument, NULL, OPT_NO_CACHE},
    {"env", required_argument, NULL, OPT_ENV},
    {"set", required_argument, NULL, 'e'},
    {"output", required_argument, NULL, 'o'},
    {"worktree", no_argument, NULL, OPT_WORKTREE},
    {"stack", required_argument, NULL, OPT_STACK},
    {"slug-warn", required_argument, NULL, OPT_SLUG_WARN},
    {"slug-max", required_argument, NULL, OPT_SLUG_MAX},
    {"port", required_argument, NULL, 'p'},
    {"boot-timeout", required_argument, NULL, OPT_BOOT_TIMEOUT},
    {"path", required_argument, NULL, OPT_PATH},
    {"host", required_argument, NULL, OPT_HOST},
    {"expect-status", required_argument, NULL, OPT_EXPECT_STATUS},
    {"expect-body", required_argument, NULL, OPT_EXPECT_BODY},
    {"slug", no_argument, NULL, OPT_SLUG},
    {"app", required_argument, NULL, OPT_APP}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

enum verb { V_BUILD, V_RUN, V_START, V_SMOKE, V_PACK };

/* Which options each verb takes (by option value). */
static bool
allowed(enum verb v, int opt)
{
	switch (opt) {
	case 'h':
		return true;
	case OPT_SLUG_WARN:
	case OPT_SLUG_MAX:
		return v != V_RUN;
	case 'b':
	case OPT_CACHE:
	case OPT_NO_CACHE:
	case OPT_WORKTREE:
	case OPT_STACK:
		return v != V_RUN && v != V_PACK;
	case 'o':
		return v == V_BUILD || v == V_PACK;
	case OPT_ENV:
	case 'e':
	case OPT_APP:
		return v != V_PACK;
	case 'p':
	case OPT_BOOT_TIMEOUT:
		return v != V_BUILD && v != V_PACK;
	case OPT_PATH:
	case OPT_HOST:
	case OPT_EXPECT_STATUS:
	case OPT_EXPECT_BODY:
	case OPT_SLUG:
		return v == V_SMOKE;
	}
	return false;
}

/* A usage error: one line saying what is wrong and where to read more
 * (the whole text only when there was nothing to go on). */
static int
usage(const char *why)
{
	if (why == NULL)
		fputs(usage_text, stderr);
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
	if (envdir_set(o->vars, name, eq + 1, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return -1;
	}
	return 0;
}

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
	pl.vars = o->vars;
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
	pl.vars = o->vars;
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

int
main(int argc, char **argv)
{
	char cwd[PATH_MAX], cache_abs[PATH_MAX + 256];
	struct opts o = {0};
	struct errbuf e;
	struct envv_limits lim;
	const char **bps = NULL, **nbps;
	enum verb verb;
	const char *vname;
	char **pos;
	long v;
	int code = SX_USAGE, c, dashdash = -1, npos, i, sig;

	o.stack = getenv("STACK") != NULL && *getenv("STACK") != '\0'
	    ? getenv("STACK")
	    : DEFAULT_STACK;
	o.slug_warn = (uint64_t)SLUG_WARN_MB << 20;
	o.slug_max = (uint64_t)SLUG_MAX_MB << 20;
	o.boot_timeout = BOOT_TIMEOUT_S;
	o.app_dir = ".";
	if ((o.vars = envdir_new()) == NULL) {
		fprintf(stderr, PROGNAME ": out of memory\n");
		return SX_FAIL;
	}
	if (argc < 2) {
		code = usage(NULL);
		goto out;
	}
	vname = argv[1];
	if (strcmp(vname, "build") == 0)
		verb = V_BUILD;
	else if (strcmp(vname, "run") == 0)
		verb = V_RUN;
	else if (strcmp(vname, "start") == 0)
		verb = V_START;
	else if (strcmp(vname, "smoke") == 0)
		verb = V_SMOKE;
	else if (strcmp(vname, "pack") == 0)
		verb = V_PACK;
	else if (strcmp(vname, "help") == 0 || strcmp(vname, "-h") == 0 ||
	    strcmp(vname, "--help") == 0) {
		fputs(usage_text, stdout);
		code = SX_OK;
		goto out;
	} else {
		code =
		    usage_quoting("unknown command ", vname, strlen(vname), "");
		goto out;
	}
	/* `run SLUG -- COMMAND...`: what follows "--" is the command, kept
	 * away from option parsing. */
	for (i = 2; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dashdash = i;
			break;
		}
	if (dashdash >= 0) {
		if (verb != V_RUN || dashdash + 1 >= argc) {
			code = usage("'-- COMMAND' goes with run");
			goto out;
		}
		o.command = argv + dashdash + 1;
		o.ncommand = (size_t)(argc - dashdash - 1);
		argc = dashdash;
	}
	argv++;
	argc--;
	opterr = 0;
	while (
	    (c = getopt_long(argc, argv, ":b:e:o:p:h", longopts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			code = option_error(c, argv);
			goto out;
		}
		if (!allowed(verb, c)) {
			char what[32];

			snprintf(what, sizeof what, "%s does not take ", vname);
			code = usage_quoting(what, argv[optind - 1],
			    strlen(argv[optind - 1]), "");
			goto out;
		}
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			code = SX_OK;
			goto out;
		case 'b':
			if ((nbps = realloc(bps,
				 (o.nbuildpacks + 2) * sizeof *bps)) == NULL) {
				code = SX_FAIL;
				goto out;
			}
			bps = nbps;
			bps[o.nbuildpacks++] = optarg;
			bps[o.nbuildpacks] = NULL;
			o.buildpacks = bps;
			break;
		case OPT_CACHE:
			/* Absolute: buildpacks get it, and run elsewhere. */
			if (optarg[0] != '/' &&
			    getcwd(cwd, sizeof cwd) != NULL &&
			    snprintf(cache_abs, sizeof cache_abs, "%s/%s", cwd,
				optarg) < (int)sizeof cache_abs)
				o.cache_dir = cache_abs;
			else
				o.cache_dir = optarg;
			break;
		case OPT_NO_CACHE:
			o.no_cache = true;
			break;
		case OPT_ENV:
			if (dotenv_load(optarg, o.vars, &e) == -1) {
				fprintf(stderr, PROGNAME ": %s\n", e.msg);
				goto out;
			}
			break;
		case 'e':
			if (set_var(&o, optarg) == -1)
				goto out;
			break;
		case 'o':
			o.output = optarg;
			break;
		case OPT_WORKTREE:
			o.worktree = true;
			break;
		case OPT_STACK:
			o.stack = optarg;
			break;
		case OPT_SLUG_WARN:
		case OPT_SLUG_MAX:
			if (!parse_mb(optarg,
				c == OPT_SLUG_WARN ? &o.slug_warn
						   : &o.slug_max)) {
				code = usage("sizes are in MB");
				goto out;
			}
			break;
		case 'p':
			if (!parse_long(optarg, 1, 65535, &v)) {
				code = usage("bad port");
				goto out;
			}
			o.port = (int)v;
			break;
		case OPT_BOOT_TIMEOUT:
			if (!parse_long(optarg, 1, 86400, &v)) {
				code = usage("bad boot timeout");
				goto out;
			}
			o.boot_timeout = (int)v;
			break;
		case OPT_PATH:
			o.path = optarg;
			break;
		case OPT_HOST:
			o.host = optarg;
			break;
		case OPT_APP:
			if (!appstate_name_ok(optarg)) {
				code =
				    usage("an app name is 1 to 30 of "
					  "[a-z0-9-], starting with a letter "
					  "or digit");
				goto out;
			}
			o.app = optarg;
			break;
		case OPT_EXPECT_STATUS:
			if (!parse_long(optarg, 100, 599, &v)) {
				code = usage("bad status");
				goto out;
			}
			o.expect_status = (int)v;
			break;
		case OPT_EXPECT_BODY:
			o.expect_body = optarg;
			break;
		case OPT_SLUG:
			o.smoke_slug = true;
			break;
		}
	}
	pos = argv + optind;
	npos = argc - optind;
	switch (verb) {
	case V_BUILD:
	case V_SMOKE:
		if (npos > 1) {
			code = usage("one APP_DIR at most");
			goto out;
		}
		if (npos == 1)
			o.app_dir = pos[0];
		break;
	case V_PACK:
		if (npos != 1) {
			code = usage("pack wants one DIR");
			goto out;
		}
		o.app_dir = pos[0];
		break;
	case V_START:
		if (npos > 1) {
			code = usage("one APP_DIR or SLUG at most");
			goto out;
		}
		if (npos == 1)
			o.slug = pos[0];
		break;
	case V_RUN:
		if (npos < 1 || npos > 2 || (npos == 2 && o.command != NULL)) {
			code = usage("run wants SLUG and a TYPE or -- COMMAND");
			goto out;
		}
		o.slug = pos[0];
		if (npos == 2)
			o.type = pos[1];
		break;
	}

	/* Config vars go into the processes' environment: one too big for
	 * it is refused now, by name, not after a build as E2BIG.  (A build
	 * alone takes it: buildpacks get config vars as files.) */
	envv_exec_limits(&lim);
	if (verb == V_RUN || verb == V_START || verb == V_SMOKE)
		for (size_t k = 0; k < o.vars->nvars; k++)
			if (envv_check_var("config var", o.vars->vars[k].name,
				o.vars->vars[k].len, &lim, &e) == -1) {
				fprintf(stderr, PROGNAME ": %s\n", e.msg);
				code = SX_USAGE;
				goto out;
			}
	if (spawn_install_signal_handlers(&e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		code = SX_FAIL;
		goto out;
	}
	switch (verb) {
	case V_BUILD:
		code = cmd_build(&o);
		break;
	case V_RUN:
		code = cmd_run(&o);
		break;
	case V_START:
		code = cmd_start(&o);
		break;
	case V_SMOKE:
		code = cmd_smoke(&o);
		break;
	case V_PACK:
		code = pack_app(&o);
		break;
	}
	/* Stopped by SIGINT or SIGTERM: what ran has been stopped and what
	 * was half done removed; one line and 128 + N say so, whatever the
	 * stopped processes' own statuses were. */
	if ((sig = spawn_interrupted()) != 0) {
		code = SX_SIGNAL + sig;
		fprintf(stderr, PROGNAME ": stopped by %s\n",
		    spawn_signal_name(sig));
	}
out:
	envdir_free(o.vars);
	free(bps);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, PROGNAME ": write error on stdout\n");
		if (code == SX_OK)
			code = SX_FAIL;
	}
	return code;
}
