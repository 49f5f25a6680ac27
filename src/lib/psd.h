/* psd.h - an app's process supervisor, as a daemon runs it (`slugc
 * ps:start`): the current release's formation under one supervisor loop
 * (supervise.h, keep policy: crashed processes restarted with a backoff),
 * its add-ons started first, and the control socket APP/ps.sock in the
 * same loop.
 *
 * Each process gets its own $PORT and DYNO=type.N, and the release's
 * config (dynoenv.h).  Its output goes to the app's log (applog.h) as
 * app[type.N]; the supervisor's own events as app[slugc].  No config var
 * value is ever logged from here.
 *
 * The protocol (psctl.h's client): one request line; the reply is "ok"
 * then lines, or "error CODE: message" (CODE an exit status for the
 * client), and the connection is closed.
 *   status          "release N", "pid P", "state running|switching|
 *                   stopping", then "type TYPE COUNT COMMAND" for each
 *                   type of the release, and "proc NAME STATE PORT PID
 *                   UPTIME_S RESTARTS" for each process (STATE up,
 *                   starting or crashed)
 *   stop            every process stopped (SIGTERM, the grace, SIGKILL),
 *                   then the reply, then psd_run returns
 *   restart         the current release again, as `release N`
 *   release N       (0: the current) loaded, then the old processes
 *                   stopped as for stop, then the new formation started;
 *                   the reply once its web processes are bound
 *   scale T=N ...   the formation changed (formation.yml) and applied
 * A reply that waits for web says "error 124: ..." when web crashed or
 * missed its boot timeout (R10) instead. */
#ifndef SLUGC_PSD_H
#define SLUGC_PSD_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "appstate.h"
#include "envdir.h"
#include "err.h"
#include "manifest.h"

#define PSD_LOG "log"
#define PSD_GRACE_MS 30000 /* Heroku's: SIGTERM, 30 s, SIGKILL */
#define PSD_BOOT_TIMEOUT_MS 60000

/* A release, ready to run: made by the caller's load, freed by its
 * unload. */
struct psd_release {
	unsigned version;
	const char *home;		/* the app, unpacked */
	const struct manifest *release; /* types and config_vars */
	const struct envdir *config;	/* over the release's config_vars */
	const char *commit;		/* NULL: unknown */
	time_t created;			/* 0: unknown */
	void *priv;			/* the loader's */
};

/* Loads release version (0: the current one) into *out.  Returns 0, or
 * -1 with e filled. */
typedef int psd_load_fn(void *arg, unsigned version, struct psd_release **out,
    struct errbuf *e);
typedef void psd_unload_fn(void *arg, struct psd_release *rel);

struct psd_opts {
	struct appstate *st; /* the app */
	psd_load_fn *load;
	psd_unload_fn *unload;
	void *arg;
	int grace_ms;	     /* 0: PSD_GRACE_MS */
	int restart_ms;	     /* 0: supervise's */
	int boot_timeout_ms; /* 0: PSD_BOOT_TIMEOUT_MS */
	off_t log_max;	     /* 0: APPLOG_MAX */
	int port;	     /* > 0: web.N listens on port + N - 1; else a
				free port each */
	/* > 0: told "ok" (or "error CODE: message") once the first
	 * formation's web processes are bound, then closed. */
	int ready_fd;
};

/* Runs the app until stopped (a stop request, SIGINT/SIGTERM after
 * spawn_install_signal_handlers).  The caller holds the app's ps lock, so
 * a ps.sock found is stale and replaced; it is removed at the end.
 * Returns 0 when stopped, -1 with e filled when it could not start
 * (ready_fd is told) or the loop failed. */
int psd_run(const struct psd_opts *o, struct errbuf *e);

#endif
