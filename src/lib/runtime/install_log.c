/* runtime/install_log.c - see install_log.h. */
#include "runtime/install_log.h"

#include <string.h>

#include "log.h"

struct install_log {
	FILE *out;
	struct log_progress progress;
};

static void
on_event(void *arg, enum runtime_event ev, const char *detail)
{
	struct install_log *l = arg;

	switch (ev) {
	case RUNTIME_EV_CACHE_WAIT:
		log_info(l->out, "Waiting for another build using the cache");
		break;
	case RUNTIME_EV_CACHE_HIT:
		log_info(l->out, "Using the cached runtime");
		break;
	case RUNTIME_EV_CACHE_UNUSABLE:
		log_warn(l->out,
		    "Cannot use the build cache (%s); building "
		    "without it.",
		    detail);
		break;
	case RUNTIME_EV_CACHE_DAMAGED:
		log_info(l->out,
		    "The cached runtime is damaged (%s); fetching "
		    "it again",
		    detail);
		break;
	case RUNTIME_EV_DOWNLOAD:
		log_info(l->out, "Downloading %s", detail);
		break;
	}
}

static void
on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct install_log *l = arg;

	log_progress_update(&l->progress, done, total);
}

int
runtime_install_logged(const struct runtime_spec *rs,
    const struct runtime_install *ri, FILE *out, struct errbuf *e)
{
	struct install_log l = {.out = out};
	struct runtime_install logged = *ri;
	int rc;

	logged.event = on_event;
	logged.progress = on_progress;
	logged.arg = &l;
	log_topic(out, "Installing %s %s", rs->kind->name, rs->version);
	if (ri->note != NULL)
		log_info(out, "%s", ri->note);
	if (rs->local)
		log_info(out,
		    "This machine's runtime (buildpack.local.yml, from %s)",
		    rs->kind->local_from);
	log_progress_start(&l.progress, out, "Downloaded");
	rc = runtime_install(rs, &logged, e);
	log_progress_end(&l.progress);
	return rc;
}

void
runtime_hint_append(const struct runtime_kind *k, struct errbuf *e)
{
	size_t n = strlen(e->msg);

	snprintf(e->msg + n, sizeof e->msg - n,
	    " (no %s runtime there: pack one with `%s` for local builds, or "
	    "set %s_URL and %s_SHA256, or publish one and put its URL in "
	    "buildpack.yml)",
	    k->name, k->local_from, k->var_prefix, k->var_prefix);
}
