/* envv.h - an environment being prepared for a child (envp), built before
 * fork so the child only has to exec. */
#ifndef SLUGC_ENVV_H
#define SLUGC_ENVV_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct envv {
	char **v; /* "NAME=value" strings, NULL-terminated when n > 0 */
	size_t n, cap;
};

#define ENVV_INIT                                                              \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

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

/* Linux's execve(2) limits (fs/exec.c).  One argv or envp string, its
 * NUL included, may hold at most MAX_ARG_STRLEN bytes (32 pages: 128 KiB
 * with 4 KiB pages), whatever the stack limit; and all the strings and
 * their pointers together at most a quarter of the stack limit (ulimit
 * -s), capped at 6 MiB and never below 128 KiB.  Past either, execve
 * fails with E2BIG ("Argument list too long"), naming nothing. */
struct envv_limits {
	size_t str_max;	  /* bytes of one "NAME=value" with its NUL */
	size_t total_max; /* argv and envp: strings and pointers */
};

/* Fills l with this system's limits.  total_max keeps a few KiB of slack
 * for what is added on the way (the program's path, which the kernel
 * copies too; a #! interpreter's arguments; a shell launcher's own
 * variables). */
void envv_exec_limits(struct envv_limits *l);

/* 0 when NAME=value, the value being len bytes, fits in one environment
 * string under l; else -1 with e saying "KIND NAME (LEN bytes) is too big
 * for a process's environment: Linux takes at most N bytes per NAME=value
 * (MAX_ARG_STRLEN)", kind being e.g. "config var".  The name is quoted
 * with err_printable_name; the value is never read. */
int envv_check_var(const char *kind, const char *name, size_t len,
    const struct envv_limits *l, struct errbuf *e);

/* The bytes execve counts for argv (NULL-terminated; NULL for none) and
 * ev's entries: every string with its NUL, and a pointer for each. */
size_t envv_exec_size(const struct envv *ev, const char *const *argv);

enum envv_over {
	ENVV_OVER_STRING, /* "NAME=value" alone is over str_max */
	ENVV_OVER_TOTAL	  /* all of it together is over total_max */
};

/* Asked about an entry the limits refuse: name (valid during the call),
 * the length of its value, and why.  Returning true leaves the entry out
 * of ev (the callback says so where the user will see it, never printing
 * the value); false keeps it, and envv_fit_exec then fails naming it. */
typedef bool envv_over_fn(void *arg, const char *name, size_t len,
    enum envv_over why, const struct envv_limits *l);

/* Makes argv and ev fit l for execve: first every entry over str_max,
 * then, while the whole is over total_max, the largest entries first, are
 * offered to over (NULL: none may be left out).  Returns 0 when argv and
 * ev now fit, or -1 with e naming the variable (or argument) that cannot
 * be left out and the limit (for a variable, envv_check_var's message with
 * kind "variable"); ev then may have lost entries already
 * offered.  For a build tool started with the app's config vars: one
 * oversized var must not fail the build with a bare E2BIG. */
int envv_fit_exec(struct envv *ev, const char *const *argv,
    const struct envv_limits *l, envv_over_fn *over, void *arg,
    struct errbuf *e);

/* Frees everything; ev may be reused after. */
void envv_free(struct envv *ev);

#endif
