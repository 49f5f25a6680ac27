/* addon_supervise.h - an app's add-ons as supervised services: started
 * before the app's processes, ready once an authenticated PING answers,
 * left running after them (supervise.h). */
#ifndef SLUGC_ADDON_SUPERVISE_H
#define SLUGC_ADDON_SUPERVISE_H

#include <stddef.h>

#include "addon.h"
#include "appstate.h"
#include "err.h"
#include "supervise.h"

struct addon_services;

/* Adds one service per add-on of the app st to sv, in name order: its
 * start is addon_start (a server of the add-on already running is reused;
 * it waits for an authenticated PING), its readiness one more
 * authenticated PING, its pid watched while the app runs.  *out gets what
 * the services use, to free with addon_services_free once sv is done with
 * them (after supervise_run); *n (may be NULL) how many were added, 0 when
 * the app has no add-ons.  st and o must outlive sv's use of them.  After
 * supervise_start_services, read the app's config: an add-on whose port
 * was taken moved, and its config vars with it.  Returns 0, or -1 with e
 * filled. */
int addon_services_add(struct supervise *sv, struct appstate *st,
    const struct addon_opts *o, struct addon_services **out, size_t *n,
    struct errbuf *e);

/* Frees what addon_services_add made; the servers keep running.  NULL is
 * fine. */
void addon_services_free(struct addon_services *as);

#endif
