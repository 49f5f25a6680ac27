/* build_addons.c - the add-ons an app's first build asks for (provision.h),
 * made at the end of a successful build and told in its log. */
#include <stdio.h>

#include "appcmd.h"
#include "appname.h"
#include "log.h"
#include "provision.h"
#include "slugc.h"

#define PLOG_HELD 8

struct plog {
	bool topic; /* the topic line is out */
	/* app.json's warnings, shown only if this build provisions: a
	 * later build reads it too, and has nothing to say. */
	char held[PLOG_HELD][256];
	int nheld;
};

static void
topic(struct plog *p)
{
	int i;

	if (p->topic)
		return;
	log_topic(stdout, "Provisioning add-ons (the app's first build)");
	p->topic = true;
	for (i = 0; i < p->nheld; i++)
		log_warn(stdout, "%s", p->held[i]);
}

static void
plog_hold(void *arg, const char *msg)
{
	struct plog *p = arg;

	if (p->nheld < PLOG_HELD)
		snprintf(p->held[p->nheld++], sizeof p->held[0], "%s", msg);
}

static void
plog_warn(void *arg, const char *msg)
{
	topic(arg);
	log_warn(stdout, "%s", msg);
}

static void
plog_event(void *arg, enum addon_event ev, const struct addon *a,
    const char *detail)
{
	size_t i;

	(void)detail;
	if (ev != ADDON_EV_CREATED)
		return;
	topic(arg);
	printf(LOG_INDENT "Created %s as ", a->name);
	for (i = 0; i < a->nvars; i++)
		printf("%s%s", i > 0 ? ", " : "", a->vars[i]);
	printf("\n");
	fflush(stdout);
}

void
build_provision(const struct opts *o, const char *app_dir,
    const char *build_dir, const struct manifest *release)
{
	char app[APPSTATE_NAME_MAX + 1];
	struct addon_opts ao = {0};
	struct provision_want *w = NULL;
	struct appstate *st = NULL;
	struct plog p = {0};
	struct errbuf e;
	size_t n = 0;
	int rc;

	ao.warn = plog_warn;
	ao.on_event = plog_event;
	ao.arg = &p;
	if (provision_wants(release, build_dir, &w, &n, plog_hold, &p, &e) ==
	    -1) {
		log_warn(stdout, "add-ons not provisioned: %s", e.msg);
		return;
	}
	if (n == 0)
		return; /* nothing asked: no state touched */
	if (appname_for(o->app, app_dir, app, &e) == -1 ||
	    appstate_open(app, true, &st, &e) == -1) {
		log_warn(stdout, "add-ons not provisioned: %s", e.msg);
		provision_wants_free(w, n);
		return;
	}
	rc = addon_provision(st, w, n, &ao, NULL, &e);
	if (rc < 0) {
		topic(&p);
		log_warn(stdout, "%s", e.msg);
		log_warn(stdout,
		    "add-ons not all provisioned: the next build tries "
		    "again");
	}
	provision_wants_free(w, n);
	appstate_close(st);
}
