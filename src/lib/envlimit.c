/* envlimit.c - execve's limits on argv and envp, checked before a fork. */
#include "envlimit.h"

#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>

/* What Linux's prepare_arg_pages computes (fs/exec.c, since 4.13): a
 * quarter of the stack limit, capped at three quarters of the default 8
 * MiB stack, never below ARG_MAX's 32 pages. */
#define TOTAL_CAP (8 * 1024 * 1024 / 4 * 3)
#define TOTAL_FLOOR (32 * 4096)

size_t
envlimit_value_max(const char *name)
{
	size_t n = strlen(name) + 2; /* '=' and NUL */

	return n < ENVLIMIT_STRLEN ? ENVLIMIT_STRLEN - n : 0;
}

/* The message for a variable too big, its name being nlen bytes at name. */
static int
too_big(const char *kind, const char *name, size_t nlen, size_t value_len,
    struct errbuf *e)
{
	char shown[128], qname[128];

	if (nlen >= sizeof shown)
		nlen = sizeof shown - 1;
	memcpy(shown, name, nlen);
	shown[nlen] = '\0';
	err_printable_name(qname, sizeof qname, shown);
	return errf(e,
	    "%s %s (%zu bytes) is too big for a process's environment: "
	    "Linux takes at most %d bytes per NAME=value (MAX_ARG_STRLEN)",
	    kind, qname, value_len, ENVLIMIT_STRLEN);
}

int
envlimit_check_var(
    const char *kind, const char *name, size_t value_len, struct errbuf *e)
{
	if (value_len <= envlimit_value_max(name))
		return 0;
	return too_big(kind, name, strlen(name), value_len, e);
}

size_t
envlimit_total_max(void)
{
	struct rlimit rl;
	size_t limit = TOTAL_CAP;

	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 4 < limit)
		limit = (size_t)(rl.rlim_cur / 4);
	return limit > TOTAL_FLOOR ? limit : TOTAL_FLOOR;
}

/* Adds up one string array's bytes and pointers into *total; -1 when one of
 * its strings is too long (e filled). */
static int
add_strings(const char *kind, char *const *v, bool env, size_t *total,
    size_t *count, struct errbuf *e)
{
	const char *eq;
	size_t len, nlen;

	for (; v != NULL && *v != NULL; v++) {
		len = strlen(*v) + 1;
		if (len > ENVLIMIT_STRLEN) {
			if (!env)
				return errf(e,
				    "an argument of %zu bytes is too long: "
				    "Linux takes at most %d bytes per "
				    "argument (MAX_ARG_STRLEN)",
				    len - 1, ENVLIMIT_STRLEN);
			eq = strchr(*v, '=');
			nlen = eq != NULL ? (size_t)(eq - *v) : len - 1;
			return too_big(kind, *v, nlen,
			    eq != NULL ? len - 1 - nlen - 1 : 0, e);
		}
		*total += len;
		(*count)++;
	}
	return 0;
}

int
envlimit_check(
    const char *kind, char *const *argv, char *const *envp, struct errbuf *e)
{
	size_t total = 0, count = 0, max = envlimit_total_max();

	if (add_strings(kind, argv, false, &total, &count, e) == -1 ||
	    add_strings(kind, envp, true, &total, &count, e) == -1)
		return -1;
	total += count * sizeof(char *);
	if (total > max)
		return errf(e,
		    "the environment and arguments take %zu bytes, more than "
		    "the %zu a process can be given (a quarter of the stack "
		    "limit, ulimit -s): the config vars are too big together",
		    total, max);
	return 0;
}
