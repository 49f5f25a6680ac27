/* cmd_apps.c - `slugc apps[:VERB]`: the apps slugc keeps state for, with
 * the Heroku CLI's verbs.  apps:create gives an app its git remote
 * (gitrepo.h), whose pre-receive hook (push.c) deploys what is pushed to
 * it; apps:destroy removes all of an app.  Action lines ("Creating myapp...
 * done") go to stderr as the Heroku CLI's do; results to stdout. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appcmd.h"
#include "fsutil.h"
#include "gitrepo.h"
#include "psctl.h"
#include "release.h"
#include "shquote.h"
#include "slugc.h"
#include "slugstore.h"

static const char usage_text[] =
    "usage: slugc apps\n"
    "       slugc apps:create [APP]\n"
    "       slugc apps:info [APP] [-a APP]\n"
    "       slugc apps:destroy [APP] --confirm APP [-a APP]\n"
    "\n"
    "  -a, --app NAME      the app (default: the current directory's name)\n"
    "  -c, --confirm APP   destroy: the app's name, to confirm\n"
    "\n"
    "apps:create makes the app's state and its git remote, and prints the\n"
    "`git remote add` line; `git push slugc main` then builds and releases\n"
    "the pushed commit.  apps:destroy stops the app, destroys its add-ons\n"
    "and removes its remote, releases and config vars.\n";

enum verb { V_LIST, V_CREATE, V_INFO, V_DESTROY };

/* How long a running supervisor may take to stop the app's processes. */
#define STOP_TIMEOUT_MS 60000

static const struct option longopts[] = {{"app", required_argument, NULL, 'a'},
    {"confirm", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

struct args {
	enum verb verb;
	const char *name; /* the verb, for messages */
	const char *app_given, *confirm;
	char app[APPSTATE_NAME_MAX + 1];
};

/* The symlink's target: this very binary. */
static int
self_path(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);

	if (n <= 0) {
		fprintf(stderr, PROGNAME ": /proc/self/exe: %s\n",
		    strerror(errno));
		return SX_FAIL;
	}
	buf[n] = '\0';
	return SX_OK;
}

static int
do_create(const struct args *x)
{
	struct appstate *st = NULL;
	struct errbuf e;
	char self[PATH_MAX], *repo = NULL, *q = NULL;
	int code;

	if ((code = self_path(self, sizeof self)) != SX_OK ||
	    (code = appcmd_open(x->app, true, &st)) != SX_OK)
		return code;
	code = SX_FAIL;
	if ((repo = appstate_path(st, GITREPO_DIR, &e)) == NULL)
		goto fail;
	if (fs_exists(repo)) {
		fprintf(stderr, PROGNAME ": Name %s is already taken\n",
		    x->app);
		code = SX_USAGE;
		goto out;
	}
	if (gitrepo_init(repo, self, &e) == -1)
		goto fail;
	if ((q = shquote(repo)) == NULL) {
		errf(&e, "out of memory");
		goto fail;
	}
	fprintf(stderr, "Creating %s... done\n", x->app);
	printf("git remote add slugc %s\n", q);
	code = SX_OK;
	goto out;
fail:
	fprintf(stderr, PROGNAME ": %s\n", e.msg);
out:
	free(q);
	free(repo);
	appstate_close(st);
	return code;
}

static int
do_list(void)
{
	struct errbuf e;
	char **v;
	size_t n, i;

	if (appstate_list(&v, &n, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_FAIL;
	}
	if (n == 0)
		printf("You have no apps.\n");
	else
		printf("=== Apps\n");
	for (i = 0; i < n; i++)
		printf("%s\n", v[i]);
	appstate_names_free(v, n);
	return SX_OK;
}

/* "A, B" of the add-ons' names into buf. */
static int
addon_names(struct appstate *st, char *buf, size_t size, struct errbuf *e)
{
	struct addon **v = NULL;
	size_t n = 0, i, l = 0;
	int rc;

	if ((rc = addon_list(st, &v, &n, e)) != ADDON_OK)
		return rc;
	buf[0] = '\0';
	for (i = 0; i < n && l < size; i++)
		l += (size_t)snprintf(buf + l, size - l, "%s%s",
		    i > 0 ? ", " : "", v[i]->name);
	addon_list_free(v, n);
	return ADDON_OK;
}

/* "A, B" of the config vars' names (never their values) into buf. */
static int
var_names(struct appstate *st, char *buf, size_t size, struct errbuf *e)
{
	struct envdir *cfg;
	size_t i, l = 0;

	if (appstate_config_read(st, &cfg, e) == -1)
		return -1;
	buf[0] = '\0';
	for (i = 0; i < cfg->nvars && l < size; i++)
		l += (size_t)snprintf(buf + l, size - l, "%s%s",
		    i > 0 ? ", " : "", cfg->vars[i].name);
	envdir_free(cfg);
	return 0;
}

/* How many releases, and the current one ("v3 (Deploy abc1234)"). */
static int
release_summary(struct appstate *st, char *count, char *current, size_t size,
    struct errbuf *e)
{
	struct release *v;
	size_t n;

	if (release_list(st, &v, &n, e) == -1)
		return -1;
	snprintf(count, size, "%zu", n);
	if (n == 0)
		snprintf(current, size, "none");
	else
		snprintf(current, size, "v%u (%s)%s", v[0].version,
		    v[0].description, v[0].corrupt != NULL ? ", corrupt" : "");
	release_list_free(v, n);
	return 0;
}

static int
do_info(struct appstate *st, const struct args *x)
{
	static const char *const keys[] = {"Addons", "Config Vars", "Git URL",
	    "Releases", "Current Release"};
	const char *values[sizeof keys / sizeof keys[0]];
	char addons[1024], vars[2048], count[32], current[256], *repo;
	struct errbuf e;
	int rc;

	if ((rc = addon_names(st, addons, sizeof addons, &e)) != ADDON_OK)
		return appcmd_addon_fail(rc, e.msg);
	if (var_names(st, vars, sizeof vars, &e) == -1 ||
	    release_summary(st, count, current, sizeof current, &e) == -1 ||
	    (repo = appstate_path(st, GITREPO_DIR, &e)) == NULL) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_FAIL;
	}
	values[0] = addons[0] != '\0' ? addons : "none";
	values[1] = vars[0] != '\0' ? vars : "none";
	values[2] = fs_exists(repo) ? repo : "none (apps:create makes it)";
	values[3] = count;
	values[4] = current;
	printf("=== %s\n", x->app);
	appcmd_styled(stdout, keys, values, sizeof keys / sizeof keys[0]);
	free(repo);
	return SX_OK;
}

static void
say_waiting(void *arg)
{
	fprintf(stderr, "Waiting for a push to %s to finish...\n",
	    (const char *)arg);
}

/* Its processes, then its add-ons, then its directory: renamed aside
 * first, so that what is left of a failed removal is no app. */
/* The build cache of the app's pushes: slugc build keeps it by the path of
 * the checkout it builds (APP/push/APP), which is about to go. */
static int
remove_push_cache(const struct appstate *st, struct errbuf *e)
{
	struct slugstore store = SLUGSTORE_INIT;
	char *src, *real;
	int rc;

	if (asprintf(&src, "%s/" PUSH_WORK_DIR "/%s", st->dir, st->name) == -1)
		return errf(e, "out of memory");
	real = realpath(src, NULL);
	if (real == NULL) {
		rc = errno == ENOENT ? 0 : errf(e, "%s:", src);
		free(src);
		return rc;
	}
	free(src);
	rc = slugstore_open(&store, real, NULL, e);
	free(real);
	if (rc == 0)
		rc = fs_rm_rf(store.dir, e);
	slugstore_close(&store);
	return rc;
}

static int
destroy_all(struct appstate *st, struct errbuf *e)
{
	struct addon_opts o = appcmd_addon_opts();
	struct addon **v = NULL;
	char reply[256], *aside = NULL, *root = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (psctl_request(st->dir, "stop", reply, sizeof reply, STOP_TIMEOUT_MS,
		e) == -1)
		return -1;
	if (addon_list(st, &v, &n, e) != ADDON_OK)
		return -1;
	for (i = 0; i < n; i++)
		if (addon_destroy(st, v[i]->name, &o, e) != ADDON_OK)
			goto out;
	if (remove_push_cache(st, e) == -1 || (root = appstate_root(e)) == NULL)
		goto out;
	if (asprintf(&aside, "%s/.destroyed-%s-%ld", root, st->name,
		(long)getpid()) == -1) {
		aside = NULL;
		errf(e, "%s:", st->dir);
		goto out;
	}
	if (rename(st->dir, aside) == -1) {
		errf(e, "rename %s:", st->dir);
		goto out;
	}
	rc = fs_rm_rf(aside, e);
out:
	addon_list_free(v, n);
	free(root);
	free(aside);
	return rc;
}

static int
do_destroy(struct appstate *st, const struct args *x)
{
	struct errbuf e;
	char *lock = NULL;
	int fd = -1, code = SX_FAIL;

	/* Not while a push builds: it would release into a removed app. */
	if ((lock = appstate_path(st, "push.lock", &e)) == NULL ||
	    (fd = gitrepo_lock(lock, say_waiting, (void *)x->app, NULL, &e)) ==
		-1 ||
	    destroy_all(st, &e) == -1)
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
	else {
		fprintf(stderr,
		    "Destroying %s (including all add-ons)... done\n", x->app);
		code = SX_OK;
	}
	if (fd >= 0)
		close(fd);
	free(lock);
	return code;
}

static bool
verb_of(const char *name, enum verb *v)
{
	static const struct appcmd_verb verbs[] = {{"apps", V_LIST},
	    {"apps:list", V_LIST}, {"apps:create", V_CREATE},
	    {"create", V_CREATE}, {"apps:info", V_INFO}, {"info", V_INFO},
	    {"apps:destroy", V_DESTROY}, {"destroy", V_DESTROY}};
	int found = appcmd_verb(verbs, sizeof verbs / sizeof verbs[0], name);

	if (found == -1)
		return false;
	*v = (enum verb)found;
	return true;
}

/* A value that means "go on" where the rest are exit statuses. */
#define GO_ON (-1)

/* The app: -a, the one positional APP, or the current directory's. */
static int
args_app(struct args *x, int npos, char **pos)
{
	if (x->verb == V_LIST && npos > 0)
		return appcmd_usage(x->name, "takes no arguments");
	if (npos > 1 ||
	    (npos == 1 && x->app_given != NULL &&
		strcmp(pos[0], x->app_given) != 0))
		return appcmd_usage(x->name, "wants one APP");
	if (npos == 1)
		x->app_given = pos[0];
	if (x->verb == V_LIST)
		return GO_ON;
	return appcmd_app(x->app_given, x->app) == SX_OK ? GO_ON : SX_USAGE;
}

static int
parse_args(const char *verb, int argc, char **argv, struct args *x)
{
	char why[160];
	int c;

	x->name = verb;
	if (!verb_of(verb, &x->verb)) {
		char shown[64];

		err_printable(shown, sizeof shown, verb, strlen(verb));
		snprintf(why, sizeof why, "unknown command %s", shown);
		return appcmd_usage("apps", why);
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
		case 'c':
			if (x->verb != V_DESTROY)
				return appcmd_usage(verb,
				    "does not take --confirm");
			x->confirm = optarg;
			break;
		default:
			return appcmd_opt_error(verb, c, argv);
		}
	}
	return args_app(x, argc - optind, argv + optind);
}

/* destroy's confirmation, as the Heroku CLI's without a terminal. */
static int
check_confirm(const struct args *x)
{
	char shown[64];

	if (x->confirm == NULL) {
		fprintf(stderr,
		    " !    WARNING: This will delete %s including all "
		    "add-ons.\n"
		    " !    To proceed, re-run this command with --confirm %s\n",
		    x->app, x->app);
		return SX_USAGE;
	}
	if (strcmp(x->confirm, x->app) != 0) {
		err_printable_name(shown, sizeof shown, x->confirm);
		fprintf(stderr,
		    " !    Confirmation %s did not match %s. Aborted.\n", shown,
		    x->app);
		return SX_USAGE;
	}
	return GO_ON;
}

int
cmd_apps(const char *verb, int argc, char **argv)
{
	struct args x = {0};
	struct appstate *st = NULL;
	int code;

	if ((code = parse_args(verb, argc, argv, &x)) != GO_ON)
		return code;
	if (x.verb == V_LIST)
		return do_list();
	if (x.verb == V_CREATE)
		return do_create(&x);
	if (x.verb == V_DESTROY && (code = check_confirm(&x)) != GO_ON)
		return code;
	if ((code = appcmd_open(x.app, false, &st)) == 1) {
		fprintf(stderr, PROGNAME ": Couldn't find that app: %s\n",
		    x.app);
		return SX_USAGE;
	}
	if (code != SX_OK)
		return code;
	code = x.verb == V_INFO ? do_info(st, &x) : do_destroy(st, &x);
	appstate_close(st);
	return code;
}
