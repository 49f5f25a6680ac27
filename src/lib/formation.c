/* formation.c - process counts per type, and formation.yml. */
#include "formation.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appstate.h"
#include "fsutil.h"
#include "procfile.h"

unsigned
formation_get(const struct formation *f, const char *type)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].type, type) == 0)
			return f->v[i].count;
	return strcmp(type, "web") == 0 ? 1 : 0;
}

int
formation_set(struct formation *f, const char *type, unsigned count,
    struct errbuf *e)
{
	struct formation_entry *nv;
	size_t i;

	if (strlen(type) > FORMATION_TYPE_MAX || !procfile_name_ok(type))
		return errf(e, "%s: not a process type name", type);
	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].type, type) == 0) {
			f->v[i].count = count;
			return 0;
		}
	if ((nv = realloc(f->v, (f->n + 1) * sizeof *nv)) == NULL)
		return errf(e, "formation:");
	f->v = nv;
	snprintf(nv[f->n].type, sizeof nv[f->n].type, "%s", type);
	nv[f->n++].count = count;
	return 0;
}

/* One "type=count" (or "type: count") word into f. */
static int
parse_one(const char *word, size_t len, char sep, struct formation *f,
    struct errbuf *e)
{
	char type[FORMATION_TYPE_MAX + 1], *end;
	const char *eq = memchr(word, sep, len);
	unsigned long count;
	size_t tl;

	if (eq == NULL || (tl = (size_t)(eq - word)) == 0 ||
	    tl > FORMATION_TYPE_MAX)
		return errf(e, "%.*s: want TYPE%cCOUNT", (int)len, word, sep);
	memcpy(type, word, tl);
	type[tl] = '\0';
	eq++;
	while (*eq == ' ')
		eq++;
	errno = 0;
	count = strtoul(eq, &end, 10);
	if (end == eq || end != word + len || errno != 0 || *eq == '-' ||
	    count > FORMATION_MAX)
		return errf(e, "%.*s: a count is 0 to %d", (int)len, word,
		    FORMATION_MAX);
	return formation_set(f, type, (unsigned)count, e);
}

int
formation_parse(const char *spec, struct formation *f, struct errbuf *e)
{
	const char *p = spec;
	size_t len;
	bool any = false;

	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		len = strcspn(p, " \t");
		if (parse_one(p, len, '=', f, e) == -1)
			return -1;
		any = true;
		p += len;
	}
	if (!any)
		return errf(e, "no TYPE=COUNT given");
	return 0;
}

int
formation_read(const char *path, struct formation *f, struct errbuf *e)
{
	char *text, *line, *next;
	size_t len, no = 0;
	int rc = 0;

	f->v = NULL;
	f->n = 0;
	if (!fs_exists(path))
		return 0;
	if ((text = fs_read_file(path, 64 * 1024, &len, e)) == NULL)
		return -1;
	for (line = text; rc == 0 && line != NULL && *line != '\0';
	     line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		no++;
		if (*line == '\0' || *line == '#')
			continue;
		if ((rc = parse_one(line, strlen(line), ':', f, e)) == -1)
			errprefix(e, "%s:%zu", path, no);
	}
	free(text);
	if (rc == -1)
		formation_free(f);
	return rc;
}

void
formation_format(const struct formation *f, char *buf, size_t n)
{
	size_t i, at = 0;
	int w;

	if (n > 0)
		buf[0] = '\0';
	for (i = 0; i < f->n && at < n; i++) {
		w = snprintf(buf + at, n - at, "%s%s=%u", i > 0 ? " " : "",
		    f->v[i].type, f->v[i].count);
		if (w < 0)
			break;
		at += (size_t)w;
	}
}

int
formation_write(const char *path, const struct formation *f, struct errbuf *e)
{
	char *buf;
	size_t i, at = 0, cap = f->n * (FORMATION_TYPE_MAX + 16) + 1;
	int rc;

	if ((buf = malloc(cap)) == NULL)
		return errf(e, "%s:", path);
	buf[0] = '\0';
	for (i = 0; i < f->n; i++)
		at += (size_t)snprintf(buf + at, cap - at, "%s: %u\n",
		    f->v[i].type, f->v[i].count);
	rc = appstate_write_file(path, buf, at, 0600, e);
	free(buf);
	return rc;
}

void
formation_free(struct formation *f)
{
	free(f->v);
	f->v = NULL;
	f->n = 0;
}
