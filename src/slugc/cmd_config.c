/* cmd_config.c - `slugc config[:VERB]`: an app's config vars, kept in its
 * state, with the Heroku CLI's verbs.  Once the app has a release,
 * config:set and config:unset make a new one (release.h), as on Heroku,
 * and tell its supervisor.  A value is printed only when asked
 * for: by name (`config:get K`, `config K`) or as a .env file
 * (`config -s`).  The listing shows every value with the passwords inside
 * URLs masked (configvars_mask) and control characters escaped, and
 * config:set and config:unset name the vars, never their values. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appcmd.h"
#include "configvars.h"
#include "release.h"
#include "slugc.h"

static const char usage_text[] =
    "usage: slugc config [-s] [-a APP]\n"
    "       slugc config:get KEY... [-s] [-a APP]   (or: slugc config "
    "KEY...)\n"
    "       slugc config:set KEY=VALUE... [-a APP]\n"
    "       slugc config:unset KEY... [-a APP]\n"
    "\n"
    "  -a, --app NAME   the app (default: the current directory's name)\n"
    "  -s, --shell      KEY=VALUE lines, a .env file that `slugc start\n"
    "                   --env FILE` and foreman read back exactly\n"
    "\n"
    "`config` lists every var, passwords in URLs masked; `config:get`\n"
    "prints the values themselves (an empty line for one not set).\n"
    "run, start and smoke give processes the release's config_vars, then\n"
    "these, then --env files, then -e, each later one winning.\n"
    "Once the app has a release, config:set and config:unset make a new\n"
    "one of the current slug with the changed vars (see `slugc releases`)\n"
    "and restart the app's running processes on it.\n";

enum verb { C_LIST, C_GET, C_SET, C_UNSET };

static const struct option longopts[] = {{"app", required_argument, NULL, 'a'},
    {"shell", no_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

/* Writes s, wiping the copy it was made in; false on a write error. */
static bool
put_secret(char *s)
{
	bool ok;

	if (s == NULL) {
		fprintf(stderr, PROGNAME ": out of memory\n");
		return false;
	}
	ok = fputs(s, stdout) != EOF;
	explicit_bzero(s, strlen(s));
	free(s);
	return ok;
}

static int
do_list(const char *app, const struct envdir *env, bool shell)
{
	const char **keys = NULL, **values = NULL;
	char *m;
	size_t i, n = env->nvars, size;
	int code = SX_FAIL;

	if (shell) {
		for (i = 0; i < n; i++)
			if (!put_secret(
				configvars_dotenv_line(env->vars[i].name,
				    env->vars[i].value)))
				return SX_FAIL;
		return SX_OK;
	}
	printf("=== %s Config Vars\n\n", app);
	if (n == 0)
		return SX_OK;
	if ((keys = calloc(n, sizeof *keys)) == NULL ||
	    (values = calloc(n, sizeof *values)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		keys[i] = env->vars[i].name;
		if ((m = configvars_mask(env->vars[i].value)) == NULL)
			goto out;
		/* One line each: control characters escaped. */
		size = 4 * strlen(m) + 1;
		if ((values[i] = realloc(m, size)) == NULL) {
			free(m);
			goto out;
		}
		err_oneline((char *)values[i], size);
	}
	appcmd_styled(stdout, keys, values, n);
	code = SX_OK;
out:
	if (code != SX_OK)
		fprintf(stderr, PROGNAME ": out of memory\n");
	for (i = 0; values != NULL && i < n; i++)
		if (values[i] != NULL) {
			explicit_bzero((char *)values[i], strlen(values[i]));
			free((char *)values[i]);
		}
	free(keys);
	free(values);
	return code;
}

static int
do_get(const struct envdir *env, char **names, int n, bool shell)
{
	const char *v;
	int i;

	for (i = 0; i < n; i++) {
		v = envdir_get(env, names[i]);
		if (shell) {
			if (!put_secret(configvars_dotenv_line(names[i],
				v != NULL ? v : "")))
				return SX_FAIL;
		} else if (printf("%s\n", v != NULL ? v : "") < 0)
			return SX_FAIL;
	}
	return SX_OK;
}

/* "A, B" of the names (KEY or KEY=VALUE: the name alone), for the action
 * line. */
static void
name_list(char **args, int n, char *buf, size_t size)
{
	size_t l = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && l < size; i++)
		l += (size_t)snprintf(buf + l, size - l, "%s%.*s",
		    i > 0 ? ", " : "", (int)strcspn(args[i], "="), args[i]);
}

/* Checks that each arg is NAME=VALUE (set) or NAME (unset). */
static int
check_args(const char *verb, char **args, int n, bool set)
{
	char name[104], why[200];
	const char *eq;
	size_t len;
	int i;

	if (n == 0)
		return appcmd_usage(verb,
		    set ? "wants KEY=VALUE, one or more"
			: "wants KEY, one or more");
	for (i = 0; i < n; i++) {
		eq = strchr(args[i], '=');
		if (set && eq == NULL) {
			err_printable_name(name, sizeof name, args[i]);
			snprintf(why, sizeof why,
			    "%s is invalid: must be in the format FOO=bar",
			    name);
			return appcmd_usage(verb, why);
		}
		len = set ? (size_t)(eq - args[i]) : strlen(args[i]);
		if (len >= sizeof name ||
		    (memcpy(name, args[i], len), name[len] = '\0',
			!envdir_name_ok(name))) {
			char shown[104];

			err_printable(shown, sizeof shown, args[i],
			    set ? (size_t)(eq - args[i]) : strlen(args[i]));
			snprintf(why, sizeof why,
			    "%s is not a config var name "
			    "([A-Za-z_][A-Za-z0-9_]*)",
			    shown);
			return appcmd_usage(verb, why);
		}
	}
	return SX_OK;
}

static void
warn_stderr(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, PROGNAME ": warning: %s\n", msg);
}

/* Applies set (its vars) or unset (n names) to env. */
static int
apply(struct envdir **env, const struct envdir *set, char **unset, int n,
    struct errbuf *e)
{
	struct envdir *keep;
	size_t i;
	int j;

	for (i = 0; set != NULL && i < set->nvars; i++)
		if (envdir_set(*env, set->vars[i].name, set->vars[i].value,
			e) == -1)
			return -1;
	if (unset == NULL)
		return 0;
	if ((keep = envdir_new()) == NULL)
		return errf(e, "config: out of memory");
	for (i = 0; i < (*env)->nvars; i++) {
		for (j = 0; j < n; j++)
			if (strcmp((*env)->vars[i].name, unset[j]) == 0)
				break;
		if (j == n &&
		    envdir_set(keep, (*env)->vars[i].name,
			(*env)->vars[i].value, e) == -1) {
			envdir_free(keep);
			return -1;
		}
	}
	envdir_free(*env);
	*env = keep;
	return 0;
}

/* The caller holds the lock.  When the app has a release, as on Heroku a
 * config change is a new release: the current slug with the changed
 * config vars, described desc; then config.yml follows.  *version gets
 * its N, or 0 when the app has no release (nothing done then).  Returns
 * 0, -1 or an enum release_rc, e filled. */
static int
config_release(struct appstate *st, const struct envdir *set, char **unset,
    int n, const char *desc, unsigned *version, struct errbuf *e)
{
	struct release_new in = {0};
	struct envdir *env = NULL;
	struct release cur;
	int rc;

	*version = 0;
	if ((rc = release_get(st, 0, &cur, e)) == RELEASE_NONE)
		return 0;
	if (rc != 0)
		return rc;
	if ((rc = appstate_config_read(st, &env, e)) == 0 &&
	    (rc = apply(&env, set, unset, n, e)) == 0) {
		in.config = env;
		in.commit = cur.commit;
		in.description = desc;
		in.warn = warn_stderr;
		if ((rc = release_create(st, &in, version, e)) == 0)
			rc = appstate_config_write(st, env, e);
	}
	envdir_free(env);
	release_clear(&cur);
	return rc;
}

/* Prints the line of a config change: Heroku's "Setting A, B and
 * restarting APP... done, vN" when it made release version, else ours;
 * and tells the supervisor. */
static void
changed(struct appstate *st, const char *app, bool set, char **args, int n,
    unsigned version)
{
	char names[512];

	name_list(args, n, names, sizeof names);
	if (version == 0) {
		fprintf(stderr, "%s %s on %s... done\n",
		    set ? "Setting" : "Unsetting", names, app);
		return;
	}
	fprintf(stderr, "%s %s and restarting %s... done, v%u\n",
	    set ? "Setting" : "Unsetting", names, app, version);
	appcmd_announce(st, version);
}

/* Sets (vars) or unsets (args) under the lock, as a release when the app
 * has one. */
static int
change(struct appstate *st, const struct envdir *vars, char **args, int n,
    unsigned *version, struct errbuf *e)
{
	char names[512], desc[600];
	int rc;

	name_list(args, n, names, sizeof names);
	snprintf(desc, sizeof desc, "%s %s config vars",
	    vars != NULL ? "Set" : "Unset", names);
	if (appstate_lock(st, e) == -1)
		return -1;
	rc = config_release(st, vars, vars != NULL ? NULL : args, n, desc,
	    version, e);
	if (rc == 0 && *version == 0)
		rc = vars != NULL
		    ? appstate_config_set(st, vars, e)
		    : appstate_config_unset(st, (const char *const *)args,
			  (size_t)n, NULL, e);
	appstate_unlock(st);
	return rc;
}

static int
do_set(struct appstate *st, const char *app, char **args, int n)
{
	struct envdir *vars;
	struct errbuf e;
	unsigned version = 0;
	int i, code = SX_FAIL;

	if ((vars = envdir_new()) == NULL) {
		fprintf(stderr, PROGNAME ": out of memory\n");
		return SX_FAIL;
	}
	for (i = 0; i < n; i++) {
		char *eq = strchr(args[i], '=');

		*eq = '\0';
		if (envdir_set(vars, args[i], eq + 1, &e) == -1) {
			*eq = '=';
			fprintf(stderr, PROGNAME ": %s\n", e.msg);
			goto out;
		}
		*eq = '=';
	}
	if (change(st, vars, args, n, &version, &e) != 0) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		goto out;
	}
	changed(st, app, true, args, n, version);
	code = SX_OK;
out:
	envdir_free(vars);
	return code;
}

static int
do_unset(struct appstate *st, const char *app, char **args, int n)
{
	struct errbuf e;
	unsigned version = 0;

	if (st != NULL && change(st, NULL, args, n, &version, &e) != 0) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_FAIL;
	}
	changed(st, app, false, args, n, version);
	return SX_OK;
}

static bool
verb_of(const char *name, enum verb *v)
{
	static const struct appcmd_verb verbs[] = {{"config", C_LIST},
	    {"config:get", C_GET}, {"config:set", C_SET}, {"config:add", C_SET},
	    {"config:unset", C_UNSET}, {"config:remove", C_UNSET}};
	int found = appcmd_verb(verbs, sizeof verbs / sizeof verbs[0], name);

	if (found == -1)
		return false;
	*v = (enum verb)found;
	return true;
}

/* A value that means "go on" where the rest are exit statuses. */
#define GO_ON (-1)

/* The options into *given (-a) and *shell (-s): GO_ON, or the exit
 * status to leave with (a usage error, --help). */
static int
parse_opts(const char *verb, enum verb v, int argc, char **argv,
    const char **given, bool *shell)
{
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":a:sh", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return SX_OK;
		case 'a':
			*given = optarg;
			break;
		case 's':
			if (v != C_LIST && v != C_GET)
				return appcmd_usage(verb, "does not take -s");
			*shell = true;
			break;
		default:
			return appcmd_opt_error(verb, c, argv);
		}
	}
	return GO_ON;
}

/* The app's config vars into *env (empty when st is NULL: no state yet).
 * Returns SX_OK, or SX_FAIL, said. */
static int
read_config(struct appstate *st, struct envdir **env)
{
	struct errbuf e;

	if (st != NULL && appstate_config_read(st, env, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_FAIL;
	}
	if (*env == NULL && (*env = envdir_new()) == NULL) {
		fprintf(stderr, PROGNAME ": out of memory\n");
		return SX_FAIL;
	}
	return SX_OK;
}

int
cmd_config(const char *verb, int argc, char **argv)
{
	char app[APPSTATE_NAME_MAX + 1], why[160];
	const char *given = NULL;
	struct appstate *st = NULL;
	struct envdir *env = NULL;
	enum verb v;
	bool shell = false;
	char **args;
	int code, n;

	if (!verb_of(verb, &v)) {
		char shown[64];

		err_printable(shown, sizeof shown, verb, strlen(verb));
		snprintf(why, sizeof why, "unknown command %s", shown);
		return appcmd_usage("config", why);
	}
	if ((code = parse_opts(verb, v, argc, argv, &given, &shell)) != GO_ON)
		return code;
	args = argv + optind;
	n = argc - optind;
	/* `config KEY` asks for one var by name, as config:get does. */
	if (v == C_LIST && n > 0)
		v = C_GET;
	if (v == C_GET && n == 0)
		return appcmd_usage(verb, "wants KEY, one or more");
	if ((v == C_SET || v == C_UNSET) &&
	    (code = check_args(verb, args, n, v == C_SET)) != SX_OK)
		return code;
	if ((code = appcmd_app(given, app)) != SX_OK)
		return code;
	code = appcmd_open(app, v == C_SET, &st);
	if (code != SX_OK && code != 1)
		return code;
	if ((v == C_LIST || v == C_GET) &&
	    (code = read_config(st, &env)) != SX_OK)
		goto out;
	switch (v) {
	case C_LIST:
		code = do_list(app, env, shell);
		break;
	case C_GET:
		code = do_get(env, args, n, shell);
		break;
	case C_SET:
		code = do_set(st, app, args, n);
		break;
	case C_UNSET:
		code = do_unset(st, app, args, n);
		break;
	}
out:
	envdir_free(env);
	appstate_close(st);
	return code;
}
