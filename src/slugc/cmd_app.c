/* cmd_app.c - what the addons and config commands share: which app, its
 * state, messages, exit statuses, and the dispatch from main. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "appcmd.h"
#include "appname.h"
#include "slugc.h"

int
appcmd_main(int argc, char **argv)
{
	const char *verb = argv[0];

	if (strcmp(verb, "addons") == 0 || strncmp(verb, "addons:", 7) == 0)
		return cmd_addons(verb, argc, argv);
	if (strcmp(verb, "config") == 0 || strncmp(verb, "config:", 7) == 0)
		return cmd_config(verb, argc, argv);
	if (strcmp(verb, "releases") == 0 || strcmp(verb, "rollback") == 0 ||
	    strcmp(verb, "releases:rollback") == 0)
		return cmd_releases(verb, argc, argv);
	if (strcmp(verb, "apps") == 0 || strncmp(verb, "apps:", 5) == 0 ||
	    strcmp(verb, "create") == 0 || strcmp(verb, "info") == 0 ||
	    strcmp(verb, "destroy") == 0)
		return cmd_apps(verb, argc, argv);
	if (strcmp(verb, "ps") == 0 || strncmp(verb, "ps:", 3) == 0)
		return cmd_ps(verb, argc, argv);
	if (strcmp(verb, "logs") == 0)
		return cmd_logs(argc, argv);
	return -1;
}

int
appcmd_usage(const char *verb, const char *why)
{
	fprintf(stderr,
	    PROGNAME ": %s: %s\n"
		     "Try '" PROGNAME " %s --help'.\n",
	    verb, why, verb);
	return SX_USAGE;
}

int
appcmd_verb(const struct appcmd_verb *table, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return table[i].value;
	return -1;
}

int
appcmd_opt_error(const char *verb, int c, char **argv)
{
	char why[160];

	if (c == ':')
		return appcmd_usage(verb, "an option needs a value");
	snprintf(why, sizeof why, "unknown option %.40s", argv[optind - 1]);
	err_oneline(why, sizeof why);
	return appcmd_usage(verb, why);
}

int
appcmd_app(const char *given, char out[APPSTATE_NAME_MAX + 1])
{
	struct errbuf e;

	if (appname_for(given, ".", out, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_USAGE;
	}
	return SX_OK;
}

int
appcmd_open(const char *app, bool create, struct appstate **st)
{
	struct errbuf e;

	if (appstate_open(app, create, st, &e) == 0)
		return SX_OK;
	if (!create && errno == ENOENT)
		return 1;
	fprintf(stderr, PROGNAME ": %s\n", e.msg);
	return SX_FAIL;
}

static void
warn_stderr(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, PROGNAME ": warning: %s\n", msg);
}

/* Only what the user did not ask for is worth a line: a server's port
 * moving (its config vars follow) and a stale pidfile. */
static void
event_stderr(void *arg, enum addon_event ev, const struct addon *a,
    const char *detail)
{
	(void)arg;
	if (ev == ADDON_EV_PORT_CHANGED || ev == ADDON_EV_STALE_PID)
		fprintf(stderr, PROGNAME ": %s: %s\n", a->name,
		    detail != NULL ? detail : "stale pidfile removed");
}

struct addon_opts
appcmd_addon_opts(void)
{
	struct addon_opts o = {0};

	o.warn = warn_stderr;
	o.on_event = event_stderr;
	return o;
}

int
appcmd_addon_fail(int rc, const char *msg)
{
	fprintf(stderr, PROGNAME ": %s\n", msg);
	switch (rc) {
	case ADDON_ERR_NOTINSTALLED:
	case ADDON_ERR_NOTFOUND:
	case ADDON_ERR_EXISTS:
	case ADDON_ERR_REFUSED:
		return SX_USAGE;
	default:
		return SX_FAIL;
	}
}

void
appcmd_styled(FILE *f, const char *const *keys, const char *const *values,
    size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		if (strlen(keys[i]) > w)
			w = strlen(keys[i]);
	for (i = 0; i < n; i++)
		fprintf(f, "%s:%*s%s\n", keys[i],
		    (int)(w + 1 - strlen(keys[i])), "", values[i]);
}
