/* envv.h - an environment being prepared for a child (envp), built before
 * fork so the child only has to exec. */
#ifndef SLUGC_ENVV_H
#define SLUGC_ENVV_H

#include <stddef.h>

#include "err.h"

struct envv {
	char **v;       /* "NAME=value" strings, NULL-terminated when n > 0 */
	size_t n, cap;
};

#define ENVV_INIT { NULL, 0, 0 }

/* Copies every entry of env (e.g. environ) into a fresh e.  Returns -1 when
 * out of memory. */
int envv_from(struct envv *ev, char *const *env, struct errbuf *e);

/* Sets name to value, replacing an existing entry.  Returns 0 or -1. */
int envv_set(struct envv *ev, const char *name, const char *value,
    struct errbuf *e);

/* Prepends dir to the ':'-separated list in variable name (PATH,
 * LD_LIBRARY_PATH), creating it when unset or empty. */
int envv_prepend_path(struct envv *ev, const char *name, const char *dir,
    struct errbuf *e);

/* The value of name, or NULL.  It belongs to ev. */
const char *envv_get(const struct envv *ev, const char *name);

/* Removes name if present. */
void envv_unset(struct envv *ev, const char *name);

/* The NULL-terminated array for execve/spawn.envp; valid until ev changes. */
char *const *envv_array(struct envv *ev);

/* Frees everything; ev may be reused after. */
void envv_free(struct envv *ev);

#endif
