/* slugstore.h - the slug store: where slugc keeps what it builds, per app.
 *
 * Each app has a state directory (0700) under the cache home, named by the
 * app directory's name and a hash of its path ("hello-1a2b3c4d").  It holds
 * two locks, the copies of the buildpacks and their caches, the build
 * directory, the default slug, and while a build runs its temporary
 * directory ("tmp.*", with the config vars in ENV_DIR).  The build
 * directory's path is the same for every build of an app, so tools that
 * write absolute paths into their output (xbuild does) produce the same
 * bytes each time.
 *
 * Nothing here prints: waiting and stopping leftovers are reported through
 * an event callback. */
#ifndef SLUGC_SLUGSTORE_H
#define SLUGC_SLUGSTORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* How often slugstore_lock looks again while it waits (and sees a Ctrl-C:
 * flock(2) restarts after SA_RESTART handlers, so a blocking one would
 * never return). */
#define SLUGSTORE_POLL_MS 50

struct slugstore {
	char *dir;   /* the app's state directory */
	int lock_fd; /* "lock": slugc's own */
	int tree_fd; /* "build.lock": shared with the buildpacks (keep_fd) */
	/* Earlier build directories are removed by a thread while a build
	 * runs (slugstore_sweep_dir), so removing ~100 MB is never waited
	 * for; slugstore_close joins it. */
	pthread_t trash_th;
	bool trash_started;
};

#define SLUGSTORE_INIT                                                         \
	{                                                                      \
		.dir = NULL, .lock_fd = -1, .tree_fd = -1                      \
	}

/* The Heroku-style app name (a DNS label: [a-z0-9-], "app" when nothing is
 * left) made of s, a directory's or a file's name, into name (nsize > 0). */
void slugstore_app_label(const char *s, char *name, size_t nsize);

/* The state directory's name for the app at the absolute path app: its last
 * component made of [A-Za-z0-9._-] and the first 8 hex digits of the
 * path's sha256 ("hello-1a2b3c4d"), into key.  Returns 0 or -1. */
int slugstore_app_key(const char *app, char *key, size_t size,
    struct errbuf *e);

/* Makes (0700) and names in s->dir the state directory of the app at the
 * absolute path app: cache_dir/apps/KEY when cache_dir is not NULL (CI
 * points --cache at a directory it throws away: everything the app keeps
 * goes there), else $XDG_CACHE_HOME/slugc/KEY, else $HOME/.cache/slugc/KEY
 * (absolute values only).  s must be SLUGSTORE_INIT.  Returns 0 or -1. */
int slugstore_open(struct slugstore *s, const char *app, const char *cache_dir,
    struct errbuf *e);

enum slugstore_event {
	SLUGSTORE_WAITING,  /* another build of the app holds "lock" */
	SLUGSTORE_STOPPING, /* what an earlier build left holds
			       "build.lock": it is being stopped */
};

typedef void slugstore_event_fn(void *arg, enum slugstore_event ev);

/* Takes the app's two locks (see slugstore.c for why two), waiting for
 * another build of the app to end and stopping what an earlier one left
 * running: SIGTERM to every process holding "build.lock" and its group,
 * SIGKILL from SPAWN_GRACE_MS on.  Each event is reported once (on may be
 * NULL).  Returns 0, or -1 with e filled; e->msg is empty when a SIGINT or
 * SIGTERM (spawn_interrupted) ended the wait. */
int slugstore_lock(struct slugstore *s, slugstore_event_fn *on, void *arg,
    struct errbuf *e);

/* Cleans up after a build killed before its end (call with the locks
 * held, before making a temporary directory): each "tmp.*" left in the
 * state directory loses its ENV_DIR ("env", config vars) at once and goes
 * to the trash, which slugstore_sweep_dir's thread empties.  Returns 0 or
 * -1. */
int slugstore_sweep_tmp(struct slugstore *s, struct errbuf *e);

/* Moves dir (inside the state directory; may be missing) aside into the
 * trash and starts the thread that removes everything in the trash while
 * the build goes on.  At most once per slugstore_open.  Returns 0 or -1. */
int slugstore_sweep_dir(struct slugstore *s, const char *dir, struct errbuf *e);

/* Joins the trash thread, releases the locks and frees s->dir; s is then
 * SLUGSTORE_INIT again.  Fine on a store never opened. */
void slugstore_close(struct slugstore *s);

#endif
