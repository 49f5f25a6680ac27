/* configvars.h - an app's config vars as its processes get them, and as
 * `slugc config` shows and exports them.
 *
 * At run time four sources are merged, each later one winning name by
 * name, as on Heroku where the release's config_vars are defaults the
 * app's own config overrides, and a developer's local overrides win over
 * both: the release's config_vars < the app's config (its state,
 * `slugc config:set`) < the --env files < the -e options. */
#ifndef SLUGC_CONFIGVARS_H
#define SLUGC_CONFIGVARS_H

#include "envdir.h"
#include "err.h"
#include "manifest.h"

/* Merges into a new set *out (sorted by name; the caller frees it with
 * envdir_free): release's config_vars, then app, then envfile, then cli,
 * each of which may be NULL.  A release config var whose name no
 * environment can carry ([A-Za-z_][A-Za-z0-9_]*) is an error naming it.
 * Returns 0, or -1 with *out NULL and e filled. */
int configvars_merge(const struct manifest *release, const struct envdir *app,
    const struct envdir *envfile, const struct envdir *cli, struct envdir **out,
    struct errbuf *e);

/* configvars_merge with the app's config read from the state of the app
 * named app (appstate.h; NULL or an app without state: no config of its
 * own).  The state is only read: nothing is created. */
int configvars_for_app(const char *app, const struct manifest *release,
    const struct envdir *envfile, const struct envdir *cli, struct envdir **out,
    struct errbuf *e);

/* value as `slugc config` shows it: when libcurl's URL parser (CURLU)
 * reads it as a URL with a non-empty password, the URL with the password
 * replaced by "*****" (as curl puts the URL back together); a value that
 * has "://" in it but that curl cannot parse, so that a password in it
 * cannot be found, becomes "*****" as a whole; anything else is returned
 * as it is.  malloc'd; NULL when out of memory. */
char *configvars_mask(const char *value);

/* One line of a .env file, "NAME=VALUE\n", malloc'd (NULL when out of
 * memory), that slugc's --env reader and foreman's both read back as
 * exactly value: VALUE bare when it is made only of characters no reader
 * treats specially, in single quotes (taken literally) when it holds no
 * newline, and otherwise in double quotes with '\\', '"' and newlines
 * escaped.  Foreman decodes "\n" before other escapes, so it alone reads a
 * multi-line value holding a backslash followed by 'n' differently. */
char *configvars_dotenv_line(const char *name, const char *value);

#endif
