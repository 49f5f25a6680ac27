/* cmd_addons.c - `slugc addons[:VERB]`: an app's add-ons, with the Heroku
 * CLI's verbs and, where it applies locally, its output.  Action lines
 * ("Creating redistogo:nano on myapp... done") go to stderr as the
 * Heroku CLI's do; results to stdout.  No password nor URL holding one is
 * ever printed: `slugc config:get REDIS_URL` is the way to the URL. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appcmd.h"
#include "slugc.h"

static const char usage_text[] =
    "usage: slugc addons [-a APP]\n"
    "       slugc addons:create SERVICE[:PLAN] [--as NAME] [--name NAME] "
    "[-a APP]\n"
    "       slugc addons:info ADDON [-a APP]\n"
    "       slugc addons:destroy ADDON --confirm APP [-a APP]\n"
    "       slugc addons:export ADDON [-a APP] > dump.rdb\n"
    "       slugc addons:import ADDON [-a APP] < dump.rdb\n"
    "\n"
    "  -a, --app NAME      the app (default: the current directory's name)\n"
    "      --as NAME       create: the attachment name; its config var is\n"
    "                      NAME_URL\n"
    "      --name NAME     create: the add-on's name (default SERVICE-NNNNN)\n"
    "  -c, --confirm APP   destroy: the app's name, to confirm\n"
    "\n"
    "Services redis, heroku-redis and redistogo (any :PLAN) are a local\n"
    "redis-server per app; others get a warning and nothing is made (exit "
    "0).\n"
    "ADDON is an add-on's name, its attachment name or one of its config\n"
    "vars (REDIS_URL).\n";

enum verb { A_LIST, A_CREATE, A_INFO, A_DESTROY, A_EXPORT, A_IMPORT };

enum { OPT_AS = 256, OPT_NAME };

static const struct option longopts[] = {{"app", required_argument, NULL, 'a'},
    {"as", required_argument, NULL, OPT_AS},
    {"name", required_argument, NULL, OPT_NAME},
    {"confirm", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

struct args {
	enum verb verb;
	const char *name; /* the verb, for messages */
	const char *app_given, *as, *addon_name, *confirm;
	const char *arg; /* SERVICE[:PLAN] or ADDON */
	char app[APPSTATE_NAME_MAX + 1];
};

/* The add-on's vars as "A, B". */
static void
var_list(const struct addon *a, char *buf, size_t size)
{
	size_t i, l = 0;

	buf[0] = '\0';
	for (i = 0; i < a->nvars && l < size; i++)
		l += (size_t)snprintf(buf + l, size - l, "%s%s",
		    i > 0 ? ", " : "", a->vars[i]);
}

static const char *
plan_of(const struct addon *a)
{
	return a->plan != NULL ? a->plan : "-";
}

static int
do_create(struct appstate *st, const struct args *x)
{
	struct addon_opts o = appcmd_addon_opts();
	struct addon *a = NULL;
	struct errbuf e, e2;
	char vars[512];
	int rc;

	rc = addon_create(st, x->arg, x->as, x->addon_name, &o, &a, &e);
	if (rc == ADDON_SKIPPED)
		return SX_OK; /* warned: nothing to make locally */
	if (rc != ADDON_OK)
		return appcmd_addon_fail(rc, e.msg);
	/* A provisioned add-on is up, as on Heroku: a client can use its
	 * URL at once.  One that cannot start is not left half made. */
	if ((rc = addon_start(st, a->name, &o, &e)) != ADDON_OK) {
		if (addon_destroy(st, a->name, &o, &e2) != ADDON_OK)
			fprintf(stderr, PROGNAME ": %s\n", e2.msg);
		addon_free(a);
		return appcmd_addon_fail(rc, e.msg);
	}
	var_list(a, vars, sizeof vars);
	fprintf(stderr, "Creating %s on %s... done\n", x->arg, x->app);
	printf("Created %s as %s\n", a->name, vars);
	addon_free(a);
	return SX_OK;
}

static int
do_list(struct appstate *st, const struct args *x)
{
	struct addon **v = NULL;
	struct errbuf e;
	size_t n = 0, i, w = 0, pw = 4;
	char line[256];
	int rc;

	if (st != NULL && (rc = addon_list(st, &v, &n, &e)) != ADDON_OK)
		return appcmd_addon_fail(rc, e.msg);
	if (n == 0) {
		printf("No add-ons for app %s.\n", x->app);
		return SX_OK;
	}
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof line, "%s (%s)", v[i]->service,
		    v[i]->name);
		if (strlen(line) > w)
			w = strlen(line);
		if (strlen(plan_of(v[i])) > pw)
			pw = strlen(plan_of(v[i]));
	}
	printf("%-*s  %-*s  %-5s  %s\n", (int)w, "Add-on", (int)pw, "Plan",
	    "Port", "State");
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof line, "%s (%s)", v[i]->service,
		    v[i]->name);
		printf("%-*s  %-*s  %-5d  %s\n", (int)w, line, (int)pw,
		    plan_of(v[i]), v[i]->port,
		    v[i]->pid > 0 ? "running" : "stopped");
		printf(" \xe2\x94\x94\xe2\x94\x80 as %s\n", v[i]->as);
	}
	addon_list_free(v, n);
	return SX_OK;
}

static int
do_info(struct appstate *st, const struct args *x)
{
	static const char *const keys[] = {"Plan", "Attachments", "Config vars",
	    "Owning app", "Installed at", "Port", "State"};
	const char *values[sizeof keys / sizeof keys[0]];
	struct addon *a;
	struct errbuf e;
	char plan[160], att[160], vars[512], port[16], state[64];
	int rc;

	if ((rc = addon_find(st, x->arg, &a, &e)) != ADDON_OK)
		return appcmd_addon_fail(rc, e.msg);
	snprintf(plan, sizeof plan, "%s%s%s", a->service, a->plan ? ":" : "",
	    a->plan ? a->plan : "");
	snprintf(att, sizeof att, "%s::%s", x->app, a->as);
	var_list(a, vars, sizeof vars);
	snprintf(port, sizeof port, "%d", a->port);
	if (a->pid > 0)
		snprintf(state, sizeof state, "running (pid %ld)",
		    (long)a->pid);
	else
		snprintf(state, sizeof state, "stopped");
	values[0] = plan;
	values[1] = att;
	values[2] = vars;
	values[3] = x->app;
	values[4] = a->created;
	values[5] = port;
	values[6] = state;
	printf("=== %s\n", a->name);
	appcmd_styled(stdout, keys, values, sizeof keys / sizeof keys[0]);
	addon_free(a);
	return SX_OK;
}

static int
do_destroy(struct appstate *st, const struct args *x)
{
	struct addon_opts o = appcmd_addon_opts();
	struct addon *a;
	struct errbuf e;
	int rc;

	if ((rc = addon_find(st, x->arg, &a, &e)) != ADDON_OK)
		return appcmd_addon_fail(rc, e.msg);
	rc = addon_destroy(st, a->name, &o, &e);
	if (rc == ADDON_OK)
		fprintf(stderr, "Destroying %s on %s... done\n", a->name,
		    x->app);
	addon_free(a);
	return rc == ADDON_OK ? SX_OK : appcmd_addon_fail(rc, e.msg);
}

static int
do_transfer(struct appstate *st, const struct args *x)
{
	struct addon_opts o = appcmd_addon_opts();
	struct addon *a;
	struct errbuf e;
	int rc;

	if ((rc = addon_find(st, x->arg, &a, &e)) != ADDON_OK)
		return appcmd_addon_fail(rc, e.msg);
	if (x->verb == A_EXPORT) {
		rc = addon_export(st, a->name, STDOUT_FILENO, &o, &e);
		if (rc == ADDON_OK)
			fprintf(stderr, "Exporting %s of %s... done\n", a->name,
			    x->app);
	} else {
		rc = addon_import(st, a->name, STDIN_FILENO, &o, &e);
		if (rc == ADDON_OK)
			fprintf(stderr, "Importing into %s of %s... done\n",
			    a->name, x->app);
	}
	addon_free(a);
	return rc == ADDON_OK ? SX_OK : appcmd_addon_fail(rc, e.msg);
}

static bool
verb_of(const char *name, enum verb *v)
{
	static const struct appcmd_verb verbs[] = {{"addons", A_LIST},
	    {"addons:create", A_CREATE}, {"addons:add", A_CREATE},
	    {"addons:info", A_INFO}, {"addons:destroy", A_DESTROY},
	    {"addons:remove", A_DESTROY}, {"addons:export", A_EXPORT},
	    {"addons:import", A_IMPORT}};
	int found = appcmd_verb(verbs, sizeof verbs / sizeof verbs[0], name);

	if (found == -1)
		return false;
	*v = (enum verb)found;
	return true;
}

/* A value that means "go on" where the rest are exit statuses. */
#define GO_ON (-1)

/* The verb, options and arguments into x: GO_ON, or the exit status to
 * leave with (a usage error, --help). */
static int
parse_args(const char *verb, int argc, char **argv, struct args *x)
{
	char why[160];
	int c, npos;

	x->name = verb;
	if (!verb_of(verb, &x->verb)) {
		char shown[64];

		err_printable(shown, sizeof shown, verb, strlen(verb));
		snprintf(why, sizeof why, "unknown command %s", shown);
		return appcmd_usage("addons", why);
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":a:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return SX_OK;
		case 'a':
			x->app_given = optarg;
			break;
		case OPT_AS:
			x->as = optarg;
			break;
		case OPT_NAME:
			x->addon_name = optarg;
			break;
		case 'c':
			x->confirm = optarg;
			break;
		default:
			return appcmd_opt_error(verb, c, argv);
		}
		if (((c == OPT_AS || c == OPT_NAME) && x->verb != A_CREATE) ||
		    (c == 'c' && x->verb != A_DESTROY)) {
			snprintf(why, sizeof why, "does not take %.40s",
			    argv[optind - 1]);
			err_oneline(why, sizeof why);
			return appcmd_usage(verb, why);
		}
	}
	npos = argc - optind;
	if (x->verb == A_LIST ? npos != 0 : npos != 1)
		return appcmd_usage(verb,
		    x->verb == A_LIST	      ? "takes no arguments"
			: x->verb == A_CREATE ? "wants one SERVICE[:PLAN]"
					      : "wants one ADDON");
	x->arg = npos == 1 ? argv[optind] : NULL;
	return GO_ON;
}

/* What must hold before anything is opened: destroy's confirmation (as
 * the Heroku CLI's, without a terminal to ask on), and a dump's stream
 * not being a terminal.  GO_ON, or the exit status, said. */
static int
check_args(const struct args *x)
{
	char shown[64];

	if (x->verb == A_DESTROY && x->confirm == NULL) {
		fprintf(stderr,
		    PROGNAME ": this destroys the add-on and its data: "
			     "re-run with --confirm %s\n",
		    x->app);
		return SX_USAGE;
	}
	if (x->verb == A_DESTROY && strcmp(x->confirm, x->app) != 0) {
		err_printable_name(shown, sizeof shown, x->confirm);
		fprintf(stderr,
		    PROGNAME ": confirmation %s did not match %s: "
			     "aborted\n",
		    shown, x->app);
		return SX_USAGE;
	}
	if (x->verb == A_EXPORT && isatty(STDOUT_FILENO))
		return appcmd_usage(x->name,
		    "the dump goes to stdout: redirect it to a file");
	if (x->verb == A_IMPORT && isatty(STDIN_FILENO))
		return appcmd_usage(x->name,
		    "the dump comes from stdin: redirect it from a file");
	return GO_ON;
}

/* The verb's own function, on the app's state. */
static int
run_verb(struct appstate *st, const struct args *x)
{
	switch (x->verb) {
	case A_LIST:
		return do_list(st, x);
	case A_CREATE:
		return do_create(st, x);
	case A_INFO:
		return do_info(st, x);
	case A_DESTROY:
		return do_destroy(st, x);
	case A_EXPORT:
	case A_IMPORT:
		return do_transfer(st, x);
	}
	return SX_FAIL;
}

int
cmd_addons(const char *verb, int argc, char **argv)
{
	struct args x = {0};
	struct appstate *st = NULL;
	char why[80];
	int code;

	if ((code = parse_args(verb, argc, argv, &x)) != GO_ON ||
	    (code = appcmd_app(x.app_given, x.app)) != SX_OK ||
	    (code = check_args(&x)) != GO_ON)
		return code;
	code = appcmd_open(x.app, x.verb == A_CREATE, &st);
	if (code == 1) {
		/* No state: no add-ons. */
		if (x.verb == A_LIST) {
			printf("No add-ons for app %s.\n", x.app);
			return SX_OK;
		}
		err_printable_name(why, sizeof why, x.arg);
		fprintf(stderr, PROGNAME ": no add-on %s for app %s\n", why,
		    x.app);
		return SX_USAGE;
	}
	if (code != SX_OK)
		return code;
	code = run_verb(st, &x);
	appstate_close(st);
	return code;
}
