/* build_addons.c - the add-ons an app's first build asks for (provision.h),
 * made at the end of a successful build and told in its log. */
#include <stdio.h>

#include "appcmd.h"
#include "appname.h"
#include "log.h"
#include "provision.h"
#include "slugc.h"

struct plog {
	bool topic; /* the topic line is out */
};

static void
topic(struct plog *p)
{
	if (!p->topic)
		log_topic(stdout,
		    "Provisioning add-ons (the app's first build)");
	p->topic = true;
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
	struct appstate *st;
	struct plog p = {false};
	struct errbuf e;
	int rc;

	ao.warn = plog_warn;
	ao.on_event = plog_event;
	ao.arg = &p;
	if (appname_for(o->app, app_dir, app, &e) == -1 ||
	    appstate_open(app, true, &st, &e) == -1) {
		log_warn(stdout, "add-ons not provisioned: %s", e.msg);
		return;
	}
	rc = addon_provision(st, release, build_dir, &ao, NULL, &e);
	if (rc < 0) {
		topic(&p);
		log_warn(stdout, "%s", e.msg);
		log_warn(stdout,
		    "add-ons not all provisioned: the next build tries "
		    "again");
	}
	appstate_close(st);
}
