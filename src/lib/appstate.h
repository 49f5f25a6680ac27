/* appstate.h - an app's state: what slugc keeps for it between runs.
 *
 * State lives under $XDG_STATE_HOME/slugc/apps/APP/ ($HOME/.local/state
 * when XDG_STATE_HOME is unset or not absolute): the app's config vars
 * (config.yml), its add-ons (addons/NAME/), and later its releases.  It is
 * not cache: nothing here is touched by --no-cache or by cleaning the build
 * cache.  Directories are made 0700 and files 0600; files are opened with
 * O_NOFOLLOW and replaced atomically (a temporary file, fsync, rename).
 *
 * config.yml is one YAML mapping of double-quoted names to double-quoted
 * values, written with libyaml: any value that is valid UTF-8 round-trips
 * as it is (control characters escaped), and any other byte string goes out
 * as a `!!binary` (base64) scalar, so every value an environment can carry
 * survives.  No function here ever puts a value in a message.
 *
 * Locking: appstate_lock takes an exclusive flock on APP/lock.  Every
 * function below that changes state takes it itself for the time of the
 * change; a caller takes it around a read-modify-write of its own (or
 * around several add-on operations).  It is counted per handle, so calls
 * nest; it is not held between runs, and it must only be held for short
 * work (a server start, not an app's lifetime), since `config:set` in
 * another terminal waits for it.  One handle is for one thread. */
#ifndef SLUGC_APPSTATE_H
#define SLUGC_APPSTATE_H

#include <stdbool.h>
#include <stddef.h>

#include "envdir.h"
#include "err.h"

/* App names are Heroku's, with a leading digit allowed too:
 * [a-z0-9][a-z0-9-]*, at most 30 characters. */
#define APPSTATE_NAME_MAX 30

/* The largest config.yml (or other state file) read back. */
#define APPSTATE_FILE_MAX (4 * 1024 * 1024)

struct appstate {
	char *name; /* the app's name */
	char *dir;  /* its state directory, absolute */

	/* Private. */
	int lockfd_;	/* APP/lock, open for the handle's life */
	int lockdepth_; /* appstate_lock calls not yet undone */
};

/* true if name is a valid app name: [a-z0-9][a-z0-9-]*, at most
 * APPSTATE_NAME_MAX bytes. */
bool appstate_name_ok(const char *name);

/* Derives an app name from text (a directory's base name, say "My App_2"):
 * lower-cased, every run of other characters made one '-', leading and
 * trailing '-' dropped, cut to APPSTATE_NAME_MAX.  Writes it to out
 * (APPSTATE_NAME_MAX + 1 bytes).  Returns 0, or -1 (e filled) when nothing
 * usable is left. */
int appstate_name_from(const char *text, char out[APPSTATE_NAME_MAX + 1],
    struct errbuf *e);

/* The directory holding every app's state, malloc'd (the caller frees it):
 * $XDG_STATE_HOME/slugc/apps, or $HOME/.local/state/slugc/apps.  Not
 * created.  NULL with e filled when neither variable gives an absolute
 * path (and getpwuid has no home either). */
char *appstate_root(struct errbuf *e);

/* Opens app name's state into *out (the caller frees it with
 * appstate_close).  With create, the directories are made (0700) as
 * needed; without, an app with no state is an error with errno ENOENT.
 * Refuses invalid names, and a state directory that is a symlink (errno
 * ELOOP), not a directory (ENOTDIR) or not owned by us (EPERM).  Returns
 * 0 or -1. */
int appstate_open(const char *name, bool create, struct appstate **out,
    struct errbuf *e);

/* Frees st, dropping its lock.  NULL is fine. */
void appstate_close(struct appstate *st);

/* The names of the apps that have state, sorted, into *names (a malloc'd
 * array of *n malloc'd strings; free with appstate_names_free).  No root
 * yet is an empty list.  Entries that are not valid app names are left
 * out.  Returns 0 or -1. */
int appstate_list(char ***names, size_t *n, struct errbuf *e);
void appstate_names_free(char **names, size_t n);

/* Takes the app's lock (exclusive flock, waiting for it), or only counts
 * when this handle holds it already.  Returns 0 or -1. */
int appstate_lock(struct appstate *st, struct errbuf *e);

/* Undoes one appstate_lock; the last one drops the flock. */
void appstate_unlock(struct appstate *st);

/* "st->dir/rel", malloc'd, or NULL when out of memory (e filled). */
char *appstate_path(const struct appstate *st, const char *rel,
    struct errbuf *e);

/* The app's config vars, all of them, into *out (a new set, sorted by
 * name; the caller frees it with envdir_free).  No config.yml yet is an
 * empty set.  Returns 0 or -1. */
int appstate_config_read(struct appstate *st, struct envdir **out,
    struct errbuf *e);

/* The value of one config var into *value (malloc'd; the caller wipes and
 * frees it).  Returns 0 when set, 1 when not set (*value NULL), -1 on
 * error. */
int appstate_config_get(struct appstate *st, const char *name, char **value,
    struct errbuf *e);

/* Sets every var of vars (names as envdir_name_ok; values without NUL)
 * in one atomic replacement of config.yml, under the lock. */
int appstate_config_set(struct appstate *st, const struct envdir *vars,
    struct errbuf *e);

/* Removes the n names given (those not set are ignored), in one atomic
 * replacement, under the lock.  *removed (may be NULL) gets how many
 * were set. */
int appstate_config_unset(struct appstate *st, const char *const *names,
    size_t n, size_t *removed, struct errbuf *e);

/* Replaces config.yml with exactly env.  The caller holds the lock (this
 * is for read-modify-write sequences of its own). */
int appstate_config_write(struct appstate *st, const struct envdir *env,
    struct errbuf *e);

/* The YAML codec of config.yml, for other state files made of names and
 * strings (an add-on's addon.yml): reads path into a new set (1 when the
 * file does not exist: *out is then an empty set) or writes env to path,
 * 0600, atomically.  The messages name path, never a value. */
int appstate_read_map(const char *path, struct envdir **out, struct errbuf *e);
int appstate_write_map(const char *path, const struct envdir *env,
    struct errbuf *e);

/* Writes len bytes to path atomically with mode: a temporary file beside
 * it (O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC), every write checked, fsync,
 * rename over path, fsync of the directory.  Errors name path ("write
 * PATH: No space left on device"); the temporary file never stays. */
int appstate_write_file(const char *path, const void *buf, size_t len,
    unsigned mode, struct errbuf *e);

#endif
