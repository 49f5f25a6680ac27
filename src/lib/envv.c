#include "envv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
envv_set(struct envv *ev, const char *name, const char *value,
    struct errbuf *e)
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
	static char *empty[] = { NULL };

	return ev->n == 0 ? empty : ev->v;
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
