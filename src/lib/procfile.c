/* procfile.c - Heroku Procfiles and ordered lists of process types. */
#include "procfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beneath.h"
#include "fsutil.h"

static bool
namechar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool
procfile_name_ok(const char *name)
{
	const char *s;

	if (name == NULL || *name == '\0')
		return false;
	for (s = name; *s != '\0'; s++)
		if (!namechar((unsigned char)*s))
			return false;
	return true;
}

struct procfile *
procfile_new(void)
{
	return calloc(1, sizeof(struct procfile));
}

void
procfile_free(struct procfile *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->ntypes; i++) {
		free(p->types[i].name);
		free(p->types[i].command);
	}
	free(p->types);
	free(p);
}

static struct procfile_type *
find(const struct procfile *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->ntypes; i++)
		if (strcmp(p->types[i].name, name) == 0)
			return &p->types[i];
	return NULL;
}

const char *
procfile_get(const struct procfile *p, const char *name)
{
	struct procfile_type *t;

	if (p == NULL || name == NULL)
		return NULL;
	t = find(p, name);
	return t != NULL ? t->command : NULL;
}

/* Takes ownership of name and command whether it succeeds or not, so the
 * parser can hand over strndup'd strings without copying them twice. */
static int
set_owned(struct procfile *p, char *name, char *command, struct errbuf *e)
{
	struct procfile_type *t, *nt;
	size_t ncap;

	if ((t = find(p, name)) != NULL) {
		free(name);
		free(t->command);
		t->command = command;
		return 0;
	}
	if (p->ntypes == p->cap) {
		ncap = p->cap ? p->cap * 2 : 8;
		nt = reallocarray(p->types, ncap, sizeof *nt);
		if (nt == NULL) {
			free(name);
			free(command);
			return errf(e, "process types: out of memory");
		}
		p->types = nt;
		p->cap = ncap;
	}
	p->types[p->ntypes].name = name;
	p->types[p->ntypes].command = command;
	p->ntypes++;
	return 0;
}

int
procfile_set(struct procfile *p, const char *name, const char *command,
    struct errbuf *e)
{
	char *n, *c;

	if (!procfile_name_ok(name)) {
		char shown[104];

		err_printable_name(shown, sizeof shown, name ? name : "");
		return errf(e,
		    "invalid process type name '%s' "
		    "(allowed: letters, digits, '_' and '-')",
		    shown);
	}
	if (command == NULL)
		return errf(e, "process type %s: no command", name);
	n = strdup(name);
	c = strdup(command);
	if (n == NULL || c == NULL) {
		free(n);
		free(c);
		return errf(e, "process types: out of memory");
	}
	return set_owned(p, n, c, e);
}

int
procfile_merge(struct procfile *dst, const struct procfile *src,
    struct errbuf *e)
{
	size_t i;

	if (src == NULL)
		return 0;
	for (i = 0; i < src->ntypes; i++)
		if (procfile_set(dst, src->types[i].name, src->types[i].command,
			e) == -1)
			return -1;
	return 0;
}

struct procfile *
procfile_dup(const struct procfile *p, struct errbuf *e)
{
	struct procfile *d;

	if ((d = procfile_new()) == NULL) {
		errf(e, "process types: out of memory");
		return NULL;
	}
	if (procfile_merge(d, p, e) == -1) {
		procfile_free(d);
		return NULL;
	}
	return d;
}

int
procfile_parse(const char *buf, size_t len, const char *name,
    struct procfile **out, procfile_warn_fn *warn, void *arg, struct errbuf *e)
{
	struct procfile *p;
	const char *line;
	char *tname, *cmd;
	size_t pos = 0, lineno = 0, n, i, j, k;
	const char *nl;

	*out = NULL;
	if (name == NULL)
		name = "Procfile";
	if ((p = procfile_new()) == NULL)
		return errf(e, "%s: out of memory", name);
	/* Editors on Windows like to start files with a BOM. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		lineno++;
		line = buf + pos;
		nl = memchr(line, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - line) : len - pos;
		pos += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;

		for (i = 0; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
			;
		if (i == n || line[i] == '#')
			continue;
		if (memchr(line, '\0', n) != NULL) {
			err_warnf(warn, arg,
			    "%s:%zu: NUL byte in line, skipped", name, lineno);
			continue;
		}
		for (j = 0; j < n && namechar((unsigned char)line[j]); j++)
			;
		if (j == 0 || j == n || line[j] != ':') {
			err_warnf(warn, arg, "%s:%zu: not 'name: command'",
			    name, lineno);
			continue;
		}
		for (k = j + 1; k < n && (line[k] == ' ' || line[k] == '\t');
		     k++)
			;
		if (k == n) {
			err_warnf(warn, arg,
			    "%s:%zu: process type '%.*s' has no "
			    "command",
			    name, lineno, (int)(j > 100 ? 100 : j), line);
			continue;
		}
		tname = strndup(line, j);
		cmd = strndup(line + k, n - k);
		if (tname == NULL || cmd == NULL) {
			free(tname);
			free(cmd);
			procfile_free(p);
			return errf(e, "%s: out of memory", name);
		}
		if (find(p, tname) != NULL)
			err_warnf(warn, arg,
			    "%s:%zu: process type '%.100s' is "
			    "declared again, the last one wins",
			    name, lineno, tname);
		if (set_owned(p, tname, cmd, e) == -1) {
			procfile_free(p);
			return errprefix(e, "%s", name);
		}
	}
	*out = p;
	return 0;
}

/* Parses what a read gave (buf NULL: see errno), for both readers.  A
 * missing file is an empty list; buf is freed. */
static int
parse_read(char *buf, size_t len, const char *name, struct procfile **out,
    bool *absent, procfile_warn_fn *warn, void *arg, struct errbuf *e)
{
	int rc;

	if (buf == NULL) {
		if (errno != ENOENT)
			return -1;
		if ((*out = procfile_new()) == NULL)
			return errf(e, "%s: out of memory", name);
		if (absent != NULL)
			*absent = true;
		return 0;
	}
	rc = procfile_parse(buf, len, name, out, warn, arg, e);
	free(buf);
	return rc;
}

int
procfile_read(const char *path, const char *name, struct procfile **out,
    bool *absent, procfile_warn_fn *warn, void *arg, struct errbuf *e)
{
	char *buf;
	size_t len = 0;

	*out = NULL;
	if (absent != NULL)
		*absent = false;
	buf = fs_read_file(path, PROCFILE_MAX, &len, e);
	return parse_read(buf, len, name != NULL ? name : path, out, absent,
	    warn, arg, e);
}

int
procfile_load_beneath(const char *root, const char *rel, struct procfile **out,
    bool *absent, procfile_warn_fn *warn, void *arg, struct errbuf *e)
{
	char *buf;
	size_t len = 0;

	*out = NULL;
	if (absent != NULL)
		*absent = false;
	buf = beneath_read_file(root, rel, PROCFILE_MAX, &len, e);
	return parse_read(buf, len, rel, out, absent, warn, arg, e);
}

char *
procfile_format(const struct procfile *p, size_t *len, struct errbuf *e)
{
	char *buf = NULL, *nb;
	size_t i, n = 0, need;
	const struct procfile_type *t;

	if ((buf = strdup("")) == NULL)
		goto nomem;
	for (i = 0; p != NULL && i < p->ntypes; i++) {
		t = &p->types[i];
		if (t->command[0] == '\0' || strpbrk(t->command, "\r\n")) {
			free(buf);
			errf(e,
			    "process type %s: a command that is empty or "
			    "spans lines cannot go in a Procfile",
			    t->name);
			return NULL;
		}
		need = strlen(t->name) + 2 + strlen(t->command) + 1;
		if ((nb = realloc(buf, n + need + 1)) == NULL)
			goto nomem;
		buf = nb;
		n += (size_t)snprintf(buf + n, need + 1, "%s: %s\n", t->name,
		    t->command);
	}
	if (len != NULL)
		*len = n;
	return buf;
nomem:
	free(buf);
	errf(e, "Procfile: out of memory");
	return NULL;
}

void
procfile_names(const struct procfile *p, const struct procfile *except,
    char *buf, size_t size)
{
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < p->ntypes && used < size; i++) {
		if (except != NULL &&
		    procfile_get(except, p->types[i].name) != NULL)
			continue;
		n = snprintf(buf + used, size - used, "%s%s",
		    used > 0 ? ", " : "", p->types[i].name);
		if (n > 0)
			used += (size_t)n;
	}
}

/* old (olen bytes, may end without a newline) and then text, into a new
 * buffer of *len bytes. */
static char *
append_text(const char *old, size_t olen, const char *text, size_t tlen,
    size_t *len, struct errbuf *e)
{
	char *buf;

	if ((buf = malloc(olen + tlen + 2)) == NULL) {
		errf(e, "Procfile:");
		return NULL;
	}
	if (olen > 0)
		memcpy(buf, old, olen);
	if (olen > 0 && old[olen - 1] != '\n')
		buf[olen++] = '\n';
	memcpy(buf + olen, text, tlen);
	*len = olen + tlen;
	return buf;
}

int
procfile_complete(const char *root, const char *rel,
    const struct procfile *declared, const struct procfile *all,
    procfile_warn_fn *warn, void *arg, struct errbuf *e)
{
	struct procfile *extra;
	char *path = NULL, *old = NULL, *text = NULL, *buf = NULL;
	size_t i, olen = 0, tlen, len;
	int rc = -1;

	if ((extra = procfile_new()) == NULL)
		return errf(e, "%s:", rel);
	for (i = 0; i < all->ntypes; i++)
		if (procfile_get(declared, all->types[i].name) == NULL &&
		    procfile_set(extra, all->types[i].name,
			all->types[i].command, e) == -1)
			goto out;
	rc = 0;
	if (extra->ntypes == 0)
		goto out;
	if ((text = procfile_format(extra, &tlen, e)) == NULL) {
		err_warnf(warn, arg, "Procfile not completed: %s", e->msg);
		goto out;
	}
	rc = -1;
	old = beneath_read_file(root, rel, PROCFILE_MAX, &olen, e);
	if (old == NULL && errno != ENOENT)
		goto out;
	if (old == NULL)
		olen = 0;
	if ((path = fs_join(root, rel)) == NULL)
		errf(e, "%s:", rel);
	else if ((buf = append_text(old, olen, text, tlen, &len, e)) != NULL)
		rc = fs_write_file_atomic(path, buf, len, 0644, e);
out:
	procfile_free(extra);
	free(path);
	free(old);
	free(text);
	free(buf);
	return rc;
}
