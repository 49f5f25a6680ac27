/* provision.h - the add-ons an app asks for, made on its first build.
 *
 * Heroku provisions the add-ons a buildpack's release lists (`addons:`)
 * and those of the app's app.json ("addons") when the app is first
 * deployed, and never again: later deploys leave the app's add-ons as the
 * developer has made them.  slugc does the same on the app's first
 * successful build that asks for any, recorded in its state
 * (APP/first-build); a build that asks for none touches no state, so
 * building apps without add-ons (CI) leaves nothing behind. */
#ifndef SLUGC_PROVISION_H
#define SLUGC_PROVISION_H

#include <stddef.h>

#include "addon.h"
#include "appstate.h"
#include "err.h"
#include "manifest.h"

/* What to provision: "SERVICE[:PLAN]" and an attachment name or NULL. */
struct provision_want {
	char *spec;
	char *as;
};

/* app.json's "addons" from the directory root (read beneath it), into
 * *out (an array of *n; free with provision_wants_free).  Each entry is a
 * string "SERVICE[:PLAN]" or an object with "plan" and maybe "as";
 * "options" are ignored with a warning through warn.  No app.json, or one
 * without "addons": *n is 0.  Returns 0, or -1 with e naming app.json
 * and what is wrong in it. */
int provision_appjson(const char *root, struct provision_want **out, size_t *n,
    err_warn_fn *warn, void *arg, struct errbuf *e);
void provision_wants_free(struct provision_want *w, size_t n);

/* What a build asks for: release's addons (may be NULL), then app.json's
 * under app_dir (may be NULL), as provision_appjson reads them. */
int provision_wants(const struct manifest *release, const char *app_dir,
    struct provision_want **out, size_t *n, err_warn_fn *warn, void *arg,
    struct errbuf *e);

/* On the app's first successful build that asks for add-ons: creates the
 * n wants w in order through addon_create (events and warnings through o;
 * a service with no local equivalent is warned about and skipped).  A
 * want whose service the app has an add-on of already (made by hand
 * before, or asked for twice) is not made again, with a warning.  Then
 * the build is recorded, so later calls do nothing.  *created (may be
 * NULL) gets how many were made.
 *
 * Returns 0 when it provisioned, 1 when there was nothing to do (n is 0,
 * or a build was recorded before), or a negative enum addon_rc (e filled)
 * after which the build is not recorded: the next build tries again, and
 * the add-ons made meanwhile are kept and not made twice. */
int addon_provision(struct appstate *st, const struct provision_want *w,
    size_t n, const struct addon_opts *o, size_t *created, struct errbuf *e);

#endif
