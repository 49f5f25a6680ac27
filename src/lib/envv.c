#include "envv.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Keeps room for the terminating NULL at all times. */
static int
grow(struct envv *ev)
{
	if (ev->n + 1 < ev->cap)
		return 0;
	size_t cap = ev->cap ? ev->cap * 2 : 32;
	char **v = realloc(ev->v, cap * sizeof *v);
	if (v == NULL)
		return -1;
	ev->v = v;
	ev->cap = cap;
	return 0;
}

static long
find(const struct envv *ev, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < ev->n; i++)
		if (strncmp(ev->v[i], name, len) == 0 && ev->v[i][len] == '=')
			return (long)i;
	return -1;
}

static int
put(struct envv *ev, char *entry, const char *name)
{
	long i = find(ev, name);

	if (i >= 0) {
		free(ev->v[i]);
		ev->v[i] = entry;
		return 0;
	}
	if (grow(ev) == -1) {
		free(entry);
		return -1;
	}
	ev->v[ev->n++] = entry;
	ev->v[ev->n] = NULL;
	return 0;
}

int
envv_from(struct envv *ev, char *const *env, struct errbuf *e)
{
	for (; env != NULL && *env != NULL; env++) {
		const char *eq = strchr(*env, '=');
		char *name, *entry;

		if (eq == NULL || eq == *env)
			continue;
		if ((name = strndup(*env, (size_t)(eq - *env))) == NULL ||
		    (entry = strdup(*env)) == NULL ||
		    put(ev, entry, name) == -1) {
			free(name);
			return errf(e, "environment:");
		}
		free(name);
	}
	return 0;
}

int
envv_set(struct envv *ev, const char *name, const char *value, struct errbuf *e)
{
	char *entry;

	if (asprintf(&entry, "%s=%s", name, value) < 0 ||
	    put(ev, entry, name) == -1)
		return errf(e, "environment %s:", name);
	return 0;
}

int
envv_prepend_path(struct envv *ev, const char *name, const char *dir,
    struct errbuf *e)
{
	const char *old = envv_get(ev, name);
	char *value;
	int rc;

	if (old == NULL || *old == '\0')
		return envv_set(ev, name, dir, e);
	if (asprintf(&value, "%s:%s", dir, old) < 0)
		return errf(e, "environment %s:", name);
	rc = envv_set(ev, name, value, e);
	free(value);
	return rc;
}

const char *
envv_get(const struct envv *ev, const char *name)
{
	long i = find(ev, name);

	return i < 0 ? NULL : ev->v[i] + strlen(name) + 1;
}

void
envv_unset(struct envv *ev, const char *name)
{
	long i = find(ev, name);

	if (i < 0)
		return;
	free(ev->v[i]);
	memmove(&ev->v[i], &ev->v[i + 1], (ev->n - (size_t)i) * sizeof *ev->v);
	ev->n--;
}

char *const *
envv_array(struct envv *ev)
{
	static char *empty[] = {NULL};

	return ev->n == 0 ? empty : ev->v;
}

void
envv_exec_limits(struct envv_limits *l)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t stk_cap = 8 * 1024 * 1024 / 4 * 3, floor = 32 * 4096, total;
	struct rlimit rl;

	/* MAX_ARG_STRLEN is PAGE_SIZE * 32; ARG_MAX (the floor) 32 * 4096. */
	l->str_max = (page > 0 ? (size_t)page : 4096) * 32;
	total = stk_cap;
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 4 < total)
		total = (size_t)(rl.rlim_cur / 4);
	if (total < floor)
		total = floor;
	l->total_max = total - 2 * PATH_MAX;
}

size_t
envv_exec_size(const struct envv *ev, const char *const *argv)
{
	size_t n = 0;

	for (; argv != NULL && *argv != NULL; argv++)
		n += strlen(*argv) + 1 + sizeof(char *);
	for (size_t i = 0; i < ev->n; i++)
		n += strlen(ev->v[i]) + 1 + sizeof(char *);
	return n;
}

/* Offers entry i to over; removes it if over agrees.  Returns 1 when it
 * was removed, 0 when it must stay, -1 when out of memory. */
static int
offer(struct envv *ev, size_t i, enum envv_over why,
    const struct envv_limits *l, envv_over_fn *over, void *arg)
{
	const char *eq = strchr(ev->v[i], '=');
	size_t nlen = eq != NULL ? (size_t)(eq - ev->v[i]) : strlen(ev->v[i]);
	char *name;
	bool drop;

	if (over == NULL)
		return 0;
	if ((name = strndup(ev->v[i], nlen)) == NULL)
		return -1;
	drop = over(arg, name, strlen(ev->v[i]) - nlen - (eq != NULL), why, l);
	free(name);
	if (!drop)
		return 0;
	free(ev->v[i]);
	memmove(&ev->v[i], &ev->v[i + 1], (ev->n - i) * sizeof *ev->v);
	ev->n--;
	return 1;
}

int
envv_check_var(const char *kind, const char *name, size_t len,
    const struct envv_limits *l, struct errbuf *e)
{
	char qname[128];

	if (strlen(name) + 1 + len + 1 <= l->str_max)
		return 0;
	err_printable_name(qname, sizeof qname, name);
	return errf(e,
	    "%s %s (%zu bytes) is too big for a process's "
	    "environment: Linux takes at most %zu bytes per NAME=value "
	    "(MAX_ARG_STRLEN)",
	    kind, qname, len, l->str_max);
}

int
envv_fit_exec(struct envv *ev, const char *const *argv,
    const struct envv_limits *l, envv_over_fn *over, void *arg,
    struct errbuf *e)
{
	size_t i, total, best, blen;
	bool *kept = NULL;
	int r, rc = -1;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		if (strlen(argv[i]) + 1 > l->str_max)
			return errf(e,
			    "argument %zu is %zu bytes, over the %zu "
			    "bytes Linux allows one argument",
			    i, strlen(argv[i]) + 1, l->str_max);
	for (i = 0; i < ev->n;) {
		if (strlen(ev->v[i]) + 1 <= l->str_max) {
			i++;
			continue;
		}
		if ((r = offer(ev, i, ENVV_OVER_STRING, l, over, arg)) == -1)
			return errf(e, "environment:");
		if (r == 0) {
			const char *eq = strchr(ev->v[i], '=');
			size_t nlen = eq != NULL ? (size_t)(eq - ev->v[i])
						 : strlen(ev->v[i]);
			char *name = strndup(ev->v[i], nlen);

			if (name == NULL)
				return errf(e, "environment:");
			envv_check_var("variable", name,
			    strlen(ev->v[i]) - nlen - (eq != NULL), l, e);
			free(name);
			return -1;
		}
	}
	/* Largest first: the fewest variables left out. */
	if ((kept = calloc(ev->n + 1, sizeof *kept)) == NULL)
		return errf(e, "environment:");
	while ((total = envv_exec_size(ev, argv)) > l->total_max) {
		best = ev->n;
		blen = 0;
		for (i = 0; i < ev->n; i++)
			if (!kept[i] && strlen(ev->v[i]) >= blen) {
				best = i;
				blen = strlen(ev->v[i]);
			}
		if (best == ev->n) {
			errf(e,
			    "the environment and arguments take %zu bytes, "
			    "over the %zu bytes execve allows (a quarter of "
			    "the "
			    "stack limit, ulimit -s)",
			    total, l->total_max);
			goto out;
		}
		if ((r = offer(ev, best, ENVV_OVER_TOTAL, l, over, arg)) ==
		    -1) {
			errf(e, "environment:");
			goto out;
		}
		if (r == 1)
			memmove(&kept[best], &kept[best + 1],
			    (ev->n - best) * sizeof *kept);
		else
			kept[best] = true;
	}
	rc = 0;
out:
	free(kept);
	return rc;
}

void
envv_free(struct envv *ev)
{
	for (size_t i = 0; i < ev->n; i++)
		free(ev->v[i]);
	free(ev->v);
	ev->v = NULL;
	ev->n = ev->cap = 0;
}
