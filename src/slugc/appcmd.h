/* appcmd.h - slugc's commands about an app's state, with the Heroku CLI's
 * verbs: addons, addons:create, addons:info, addons:destroy,
 * addons:export, addons:import (cmd_addons.c); config, config:get,
 * config:set, config:unset (cmd_config.c); apps, apps:create, apps:info,
 * apps:destroy (cmd_apps.c); releases, rollback (cmd_releases.c).  Each
 * parses its own options;
 * every one takes the app as -a/--app NAME, or else from the current
 * directory's name (appname_for, as `slugc build` names it). */
#ifndef SLUGC_APPCMD_H
#define SLUGC_APPCMD_H

#include <stdbool.h>
#include <stdio.h>

#include "addon.h"
#include "appstate.h"

/* If argv[0] is one of these commands, runs it with argv[1..argc-1] and
 * returns its exit status (enum slugc_exit); otherwise returns -1. */
int appcmd_main(int argc, char **argv);

/* cmd_addons.c, cmd_config.c and cmd_apps.c: verb is argv[0]
 * ("addons:create"). */
int cmd_addons(const char *verb, int argc, char **argv);
int cmd_config(const char *verb, int argc, char **argv);
int cmd_apps(const char *verb, int argc, char **argv);
int cmd_releases(const char *verb, int argc, char **argv);

/* cmd_releases.c: tells the app's supervisor, if one runs, that release
 * version is the one to run ("release N" on its socket, waiting at most
 * APPCMD_ANNOUNCE_MS for its reply: it answers once the app is up on it,
 * after a 30 s grace and a boot); a failure is a warning on stderr. */
#define APPCMD_ANNOUNCE_MS 120000
void appcmd_announce(struct appstate *st, unsigned version);

/* push.c: slugc run as an app repository's hooks/pre-receive (argv[0]'s
 * base name is GITREPO_HOOK): deploys what is pushed to main or master.
 * Returns the exit status; non-zero refuses the push. */
int push_hook(void);

/* cmd_ps.c: ps, ps:start, ps:stop, ps:restart, ps:scale; cmd_logs.c:
 * logs. */
int cmd_ps(const char *verb, int argc, char **argv);
int cmd_logs(int argc, char **argv);

/* ps_release.c: the releases ps:start runs (psd.h's load and unload;
 * arg is the struct appstate *), and the current one's number (0: none).
 */
struct psd_release;
int ps_load(void *arg, unsigned version, struct psd_release **out,
    struct errbuf *e);
void ps_unload(void *arg, struct psd_release *rel);
int ps_current_version(struct appstate *st, unsigned *version,
    struct errbuf *e);

/* build_addons.c: on the app's first successful build that asks for
 * add-ons (its release's and app.json's under build_dir), provisions
 * them, saying so in the build log on stdout.  The app is o->app or
 * app_dir's name.  A failure is a warning: the build stands, and the next
 * one tries again.  A build that asks for none touches no state. */
struct opts;
struct manifest;
void build_provision(const struct opts *o, const char *app_dir,
    const char *build_dir, const struct manifest *release);

/* --- cmd_app.c: what they share --- */

/* A command's usage error: one line, then where to read more.  Returns
 * SX_USAGE. */
int appcmd_usage(const char *verb, const char *why);

/* APP/push: where a push keeps the repository its build takes the pushed
 * commit from, and the slug (push.c). */
#define PUSH_WORK_DIR "push"

/* One name of a command's verb ("addons:create", "addons:add") and the
 * value the command gives it. */
struct appcmd_verb {
	const char *name;
	int value;
};

/* The value of name in the n verbs of table, or -1 when it has none. */
int appcmd_verb(const struct appcmd_verb *table, size_t n, const char *name);

/* The usage error for what getopt_long returned as c (':' a missing value,
 * anything else an unknown option, named from argv).  Returns SX_USAGE. */
int appcmd_opt_error(const char *verb, int c, char **argv);

/* The app's name into out, from given (-a) or the current directory.
 * Prints the error and returns SX_USAGE when there is none. */
int appcmd_app(const char *given, char out[APPSTATE_NAME_MAX + 1]);

/* Opens the app's state (made when create).  Returns SX_OK, SX_FAIL
 * after printing why, or, without create, 1 when the app has no state
 * yet (*st NULL, nothing printed). */
int appcmd_open(const char *app, bool create, struct appstate **st);

/* Add-on options that print warnings and events on stderr. */
struct addon_opts appcmd_addon_opts(void);

/* The exit status for an enum addon_rc, after printing e's message. */
int appcmd_addon_fail(int rc, const char *msg);

/* Prints "KEY: value" lines as the Heroku CLI's styledObject does: the
 * values aligned two columns after the longest key. */
void appcmd_styled(FILE *f, const char *const *keys, const char *const *values,
    size_t n);

#endif
