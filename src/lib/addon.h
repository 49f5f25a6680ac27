/* addon.h - add-ons: real local services standing in for Heroku's.
 *
 * An add-on belongs to one app and lives in its state directory
 * (appstate.h), in addons/NAME/: addon.yml (what it is, its port and
 * password; 0600), and for Redis redis.conf (0600, rewritten at each
 * start), redis.pid, redis.log and data/.  The app gets config vars that
 * point at it (REDIS_URL, REDISTOGO_URL), set in the app's config when it
 * is created and kept in step when its port has to change.
 *
 * The one service with a local equivalent is Redis (Debian's
 * redis-server): service names "redis", "heroku-redis" and "redistogo",
 * each with any :PLAN.  It listens on 127.0.0.1 only, on a port chosen
 * when the add-on is created and kept; its password (32 bytes from
 * getrandom, in hex) is in its config file, never on a command line nor in
 * a message; ACL users "default" and "redistogo" share it, so that both
 * redis://default:PW@... and the redistogo form redis://redistogo:PW@...
 * work with clients that send AUTH USER PW; append-only persistence is on.
 *
 * A started server is detached (its own session and process group, not
 * our child) and outlives us, as a managed service outlives app restarts
 * and deploys: addon_stop or addon_destroy end it.  Two processes never
 * start two servers for one add-on: every function here that starts,
 * stops or changes an add-on holds the app's lock (appstate_lock) while it
 * does, and a running server is recognised by its pidfile and by
 * /proc/PID/cmdline naming its config file.
 *
 * Return values: 0 (ADDON_OK), or one of the negative enum values below
 * with e filled.  Messages name the add-on and the file; never a password
 * nor a URL holding one. */
#ifndef SLUGC_ADDON_H
#define SLUGC_ADDON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "appstate.h"
#include "err.h"

#define ADDON_START_TIMEOUT_MS 10000
#define ADDON_STOP_TIMEOUT_MS 10000
#define ADDON_NAME_MAX 64

enum addon_rc {
	ADDON_OK = 0,
	ADDON_SKIPPED = 1,	     /* addon_create: a service with no
					   local equivalent; warned, nothing
					   made (not a failure) */
	ADDON_ERR = -1,		     /* e says why */
	ADDON_ERR_NOTINSTALLED = -2, /* the service's program is missing:
					   e says which Debian package to
					   install (a CLI exits 2) */
	ADDON_ERR_NOTFOUND = -3,     /* no add-on of that name (exit 2) */
	ADDON_ERR_EXISTS = -4,	     /* addon_create: the name, or the
					   --as config var, is taken (exit 2) */
	ADDON_ERR_REFUSED = -5	     /* addon_import: the input is not a
					   Redis dump; the data are unchanged
					   (exit 2) */
};

/* What happened, for the caller's log.  detail is a short text without
 * secrets ("pid 1234, port 20001", "port 20001 was taken; now 20417"), or
 * NULL. */
enum addon_event {
	ADDON_EV_CREATED,      /* addon_create made it */
	ADDON_EV_STARTED,      /* a server was started and answers */
	ADDON_EV_RUNNING,      /* it was running already: reused */
	ADDON_EV_STALE_PID,    /* a pidfile named no server of it: removed */
	ADDON_EV_PORT_CHANGED, /* its port was taken: new port, vars set */
	ADDON_EV_STOPPED,      /* its server was stopped */
	ADDON_EV_DESTROYED,    /* its data and config vars are gone */
	ADDON_EV_IMPORTED      /* addon_import replaced its data */
};

struct addon;
typedef void addon_event_fn(void *arg, enum addon_event ev,
    const struct addon *a, const char *detail);

struct addon_opts {
	const char *redis_server;    /* NULL: "redis-server" in PATH,
					      then /usr/bin, /usr/sbin */
	const char *redis_check_rdb; /* NULL: redis-check-rdb, so */
	int start_timeout_ms;	     /* 0: ADDON_START_TIMEOUT_MS */
	int stop_timeout_ms;	     /* 0: ADDON_STOP_TIMEOUT_MS; then
					      SIGKILL */
	addon_event_fn *on_event;    /* may be NULL */
	err_warn_fn *warn;	     /* may be NULL */
	void *arg;		     /* for on_event and warn */
};

struct addon {
	char *name;    /* its own name, "redis-48213" or --name */
	char *service; /* as asked: "redis", "heroku-redis",
				   "redistogo" */
	char *plan;    /* PLAN of service:PLAN, or NULL */
	char *as;      /* attachment name: the config vars' prefix
				   ("REDISTOGO", "REDIS", --as) */
	char **vars;   /* names of the config vars it set */
	size_t nvars;
	int port;      /* on 127.0.0.1 */
	char *created; /* "2024-05-01T12:00:00Z" */
	char *dir;     /* its directory, absolute */

	/* Filled by addon_find/addon_list: the server as seen then. */
	pid_t pid; /* the running server's pid, or 0 */

	/* Private. */
	char *secret_; /* the password; wiped by addon_free */
};

/* true if service (without :PLAN) has a local equivalent. */
bool addon_service_known(const char *service);

/* Provisions an add-on for the app st from spec, "SERVICE[:PLAN]".
 * as: NULL, or the attachment name (letters, digits, '_'; upper-cased):
 * its config var is then AS_URL.  name: NULL for "SERVICE-NNNNN", or the
 * add-on's name ([a-z0-9][a-z0-9-]*, at most ADDON_NAME_MAX).
 *
 * Config vars: REDIS_URL; for redistogo REDISTOGO_URL too.  A name some
 * config var of the app has already (a user's or another add-on's) is not
 * overwritten: the first one becomes NAME_URL (the add-on's name upper-
 * cased, '-' as '_'), and REDIS_URL next to REDISTOGO_URL is left out.
 * With as, AS_URL alone; when it is set already, ADDON_ERR_EXISTS.
 *
 * Redis must be installed (ADDON_ERR_NOTINSTALLED).  The port (free now)
 * and password are chosen, the directory written, the vars set, all under
 * the app's lock; on failure nothing is left.  The server is not started:
 * addon_start (or the first export/import) does that.  A service with no
 * local equivalent gives ADDON_SKIPPED after warning "NAME has no local
 * equivalent" through o->warn.  *out (may be NULL) gets the new add-on,
 * freed with addon_free. */
int addon_create(struct appstate *st, const char *spec, const char *as,
    const char *name, const struct addon_opts *o, struct addon **out,
    struct errbuf *e);

/* Finds an add-on by its name, its attachment name ("REDISTOGO") or one
 * of its config vars ("REDISTOGO_URL"), as Heroku's CLI does, into *out
 * (freed with addon_free), with pid filled.  ADDON_ERR_NOTFOUND when
 * none. */
int addon_find(struct appstate *st, const char *name, struct addon **out,
    struct errbuf *e);

/* The app's add-ons, sorted by name, pid filled, into *out (an array of
 * *n; free with addon_list_free).  No add-ons: *n is 0. */
int addon_list(struct appstate *st, struct addon ***out, size_t *n,
    struct errbuf *e);
void addon_list_free(struct addon **v, size_t n);

/* Frees a, wiping its password.  NULL is fine. */
void addon_free(struct addon *a);

/* The add-on's URL, as in its config vars (holds the password: never
 * print it), malloc'd; NULL when out of memory. */
char *addon_url(const struct addon *a);

/* Makes sure the add-on's server runs and answers an authenticated PING
 * (hiredis: AUTH + PING) within o->start_timeout_ms.  A server of this
 * add-on already running is reused; a pidfile naming none is removed.
 * When its port is taken by another program, a new free port is chosen,
 * kept, and the config vars follow (read the app's config after this).
 * The server gets an argv of two words (redis-server, the config file),
 * stdin /dev/null, stdout and stderr to its log file, umask 077, no other
 * descriptor, and a minimal environment (PATH only).  When it does not
 * come up, it is stopped and e holds the last line of its log. */
int addon_start(struct appstate *st, const char *name,
    const struct addon_opts *o, struct errbuf *e);

/* addon_start for every add-on of the app, in name order; stops at the
 * first failure.  For run, start and smoke, before the app's processes;
 * then read the app's config (ports may have changed). */
int addon_start_all(struct appstate *st, const struct addon_opts *o,
    struct errbuf *e);

/* Stops the add-on's server, if it runs: SIGTERM (Redis then syncs its
 * append-only file), SIGKILL to its process group after
 * o->stop_timeout_ms.  Not running is success. */
int addon_stop(struct appstate *st, const char *name,
    const struct addon_opts *o, struct errbuf *e);

/* addon_stop for every add-on of the app. */
int addon_stop_all(struct appstate *st, const struct addon_opts *o,
    struct errbuf *e);

/* Stops the add-on, unsets its config vars and removes its directory and
 * data.  The directory is first renamed aside, so a crash leaves either
 * the whole add-on or none. */
int addon_destroy(struct appstate *st, const char *name,
    const struct addon_opts *o, struct errbuf *e);

/* Writes an RDB dump of the add-on's data to fd (Redis SAVE, then the
 * dump file is copied), starting the server if needed (it keeps running,
 * as a managed one would).  A write error names fd's side as "output". */
int addon_export(struct appstate *st, const char *name, int fd,
    const struct addon_opts *o, struct errbuf *e);

/* Replaces the add-on's data with the RDB dump read from fd.  The input
 * goes to a temporary file and is refused unless it starts with "REDIS"
 * and a version and redis-check-rdb accepts it; then a server loads it on
 * a side port and writes it as append-only data, the server is stopped,
 * and the new data directory is swapped for the old one in one rename
 * (RENAME_EXCHANGE) before the server starts again.  On any failure, or a
 * crash at any point before the swap, the old data stay; input that is
 * not a dump gives ADDON_ERR_REFUSED. */
int addon_import(struct appstate *st, const char *name, int fd,
    const struct addon_opts *o, struct errbuf *e);

#endif
