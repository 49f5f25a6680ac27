/* envdir.h - Heroku's ENV_DIR: one file per config var, the file's name is
 * the variable's name and its contents the value.
 *
 * Trailing newlines: Heroku writes the files without one, and every shell
 * buildpack reads them with `$(cat "$env_dir/$e")` (Heroku's documented
 * export_env_dir, herokuish's procfile-load-env), which drops all trailing
 * newlines.  envdir_read() does the same, so that a compile written in C
 * sees exactly what a shell buildpack next to it sees, and a file made with
 * `echo Release > env/BUILD_CONFIGURATION` means "Release".  Every other
 * byte is kept as is (no trimming of blanks or carriage returns).
 *
 * No function here ever puts a value in a message. */
#ifndef SLUGC_ENVDIR_H
#define SLUGC_ENVDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Files larger than this are skipped with a warning. */
#define ENVDIR_MAX_VALUE (1024 * 1024)

/* Receives one warning line (no trailing newline), valid during the call. */
typedef err_warn_fn envdir_warn_fn;

struct envdir_var {
	char *name;
	char *value; /* NUL-terminated, holds no NUL */
	size_t len;  /* strlen(value) */
};

/* A set of config vars sorted by name (strcmp), names unique.  Read the
 * fields freely; change them through envdir_set(). */
struct envdir {
	struct envdir_var *vars;
	size_t nvars;
	size_t cap;
};

/* Returns an empty set, or NULL when out of memory. */
struct envdir *envdir_new(void);

/* Frees the set, wiping the values first.  NULL is fine. */
void envdir_free(struct envdir *env);

/* true if name is a variable name: [A-Za-z_][A-Za-z0-9_]*. */
bool envdir_name_ok(const char *name);

/* true if name must never be imported from an ENV_DIR into a build's
 * environment: PATH, GIT_DIR, CPATH, CPPATH, LD_PRELOAD, LIBRARY_PATH,
 * LANG, BUILD_DIR (Heroku's list).  The one block-list of every buildpack:
 * envdir_read drops these names, and code that exports a set made another
 * way (npm.c) asks here. */
bool envdir_name_denied(const char *name);

/* Reads the ENV_DIR dir into a new set *out (the caller frees it).  A NULL
 * dir or one that does not exist gives an empty set (compile's ENV_DIR is
 * optional).  Skipped with a warning through warn (may be NULL) naming the
 * entry, never its value: denied names, names that are not variable names,
 * directories, symlinks (never followed), other non-regular files, files
 * over ENVDIR_MAX_VALUE, and files holding a NUL byte (no environment can
 * carry one).  Trailing newlines are dropped (see above).  Returns 0, or -1
 * with *out NULL and e filled when dir cannot be read (not a directory,
 * permission denied, I/O error). */
int envdir_read(const char *dir, struct envdir **out, envdir_warn_fn *warn,
    void *arg, struct errbuf *e);

/* Returns the value of name, or NULL if env (may be NULL) has none.  It
 * belongs to env. */
const char *envdir_get(const struct envdir *env, const char *name);

/* Sets name to value (both copied), keeping the set sorted.  Refuses names
 * that are not variable names (denied names are accepted: PATH is a fine
 * config var at run time, it is only never imported into a build).
 * Returns 0 or -1. */
int envdir_set(struct envdir *env, const char *name, const char *value,
    struct errbuf *e);

/* Writes env into dir as an ENV_DIR for a buildpack: dir is created (0700)
 * if missing, then one file per variable, mode 0600, holding the value's
 * exact bytes.  Files already in dir under other names are left alone; a
 * symlink in the way is never followed.  Returns 0, or -1 with e naming
 * the file. */
int envdir_write(const char *dir, const struct envdir *env, struct errbuf *e);

#endif
