/* envlimit.h - what execve(2) takes in argv and envp, checked before a
 * fork, so that a config var too big for a process's environment is named
 * with the limit instead of failing in the child as "Argument list too
 * long" (E2BIG), which names neither. */
#ifndef SLUGC_ENVLIMIT_H
#define SLUGC_ENVLIMIT_H

#include <stddef.h>

#include "err.h"

/* Linux's MAX_ARG_STRLEN: the longest single string of argv or envp, its
 * NUL included (32 pages of 4 KiB). */
#define ENVLIMIT_STRLEN (32 * 4096)

/* The longest value name can have in one environment string: "name=value"
 * and its NUL within ENVLIMIT_STRLEN. */
size_t envlimit_value_max(const char *name);

/* 0 when name=value (value_len bytes) fits in one environment string; else
 * -1 with e saying "KIND NAME (N bytes) is too big for a process's
 * environment: Linux takes at most 131072 bytes per NAME=value
 * (MAX_ARG_STRLEN)", kind being e.g. "config var".  The name is quoted
 * with err_printable_name; the value is never read. */
int envlimit_check_var(
    const char *kind, const char *name, size_t value_len, struct errbuf *e);

/* How many bytes execve takes for argv and envp together, their strings'
 * NULs and one pointer per string included: a quarter of the stack limit
 * (RLIMIT_STACK), at most 6 MiB, at least 128 KiB, as Linux computes it. */
size_t envlimit_total_max(void);

/* 0 when argv and envp (either may be NULL) fit what execve takes: each
 * string within ENVLIMIT_STRLEN, and all of them within
 * envlimit_total_max().  Else -1 with e naming the first string too long
 * (an envp entry by its variable's name, with kind as above), or the total
 * and its limit. */
int envlimit_check(
    const char *kind, char *const *argv, char *const *envp, struct errbuf *e);

#endif
