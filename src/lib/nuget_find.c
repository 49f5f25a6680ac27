/* nuget_find.c - which packages.config files a solution's projects have.
 * libc only: compile links this half of the module (see nuget.h). */
#include "nuget.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "beneath.h"

/* A .sln is text, a few hundred lines at most; this is plenty. */
#define SLN_MAX (16 << 20)

char *
nuget_path_join(const char *dir, const char *rel)
{
	size_t dl = strlen(dir), rl = strlen(rel), o, n;
	const char *p;
	char *s;

	if (rel[0] == '/' || rel[0] == '\\' ||
	    (rl >= 2 && rel[1] == ':')) { /* C:\ */
		errno = EINVAL;
		return NULL;
	}
	if ((s = malloc(dl + rl + 2)) == NULL)
		return NULL;
	memcpy(s, dir, dl);
	o = dl;
	for (p = rel; *p != '\0';) {
		n = strcspn(p, "/\\");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (o == 0) {
				free(s);
				errno = EINVAL;
				return NULL;
			}
			while (o > 0 && s[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* the '/' before the last name */
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o > 0)
				s[o++] = '/';
			memcpy(s + o, p, n);
			o += n;
		}
		p += n;
		if (*p != '\0')
			p++;
	}
	s[o] = '\0';
	return s;
}

/* The value of the next "..."-quoted field at or after *p, copied into a
 * malloc'd string; *p moves past it.  NULL when there is none (or out of
 * memory, *oom set). */
static char *
quoted(const char **p, const char *end, bool *oom)
{
	const char *q = memchr(*p, '"', (size_t)(end - *p)), *r;
	char *s;

	if (q == NULL ||
	    (r = memchr(q + 1, '"', (size_t)(end - q - 1))) == NULL)
		return NULL;
	if ((s = strndup(q + 1, (size_t)(r - q - 1))) == NULL)
		*oom = true;
	*p = r + 1;
	return s;
}

static bool
is_project_file(const char *path)
{
	static const char *const ext[] = {".csproj", ".vbproj", ".fsproj",
	    NULL};
	size_t n = strlen(path), k;

	for (int i = 0; ext[i] != NULL; i++) {
		k = strlen(ext[i]);
		if (n > k && strcasecmp(path + n - k, ext[i]) == 0)
			return true;
	}
	return false;
}

/* Lines of the form
 *	Project("{TYPE-GUID}") = "Name", "Dir\Name.csproj", "{GUID}"
 * Solution folders have the same shape with the folder's name as path,
 * hence the extension check. */
int
nuget_sln_projects(const char *buf, size_t len, struct strlist *out,
    struct errbuf *e)
{
	const char *p = buf, *end = buf + len, *eol, *q;
	bool oom = false;

	for (; p < end; p = eol + 1) {
		char *type = NULL, *name = NULL, *path = NULL;

		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		q = p;
		while (q < eol &&
		    (*q == ' ' || *q == '\t' ||
			(unsigned char)*q >= 0x80)) /* a UTF-8 BOM */
			q++;
		if ((size_t)(eol - q) < 8 || memcmp(q, "Project(", 8) != 0)
			continue;
		q += 8;
		if ((type = quoted(&q, eol, &oom)) != NULL &&
		    (name = quoted(&q, eol, &oom)) != NULL &&
		    (path = quoted(&q, eol, &oom)) != NULL &&
		    is_project_file(path)) {
			for (char *c = path; *c != '\0'; c++)
				if (*c == '\\')
					*c = '/';
			if (strlist_push(out, path) == -1)
				oom = true;
		}
		free(type);
		free(name);
		free(path);
		if (oom)
			return errf(e, "solution:");
		if (eol == end)
			break;
	}
	return 0;
}

/* 1 when rel is a regular file beneath build_dir, 0 when it is missing
 * (or not a file), -1 with e filled when it leads out of the app (EXDEV) or
 * cannot be looked at. */
static int
is_regular(const char *build_dir, const char *rel, struct errbuf *e)
{
	struct stat st;

	if (beneath_stat(build_dir, rel, &st, e) == 0)
		return S_ISREG(st.st_mode);
	return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
}

/* Adds dir's packages.<project>.config or packages.config, if either
 * exists, to out.  dir is relative to build_dir ("" for the root).
 * Returns 0, or -1 with e filled. */
static int
add_config(const char *build_dir, const char *dir, const char *project,
    struct strlist *out, struct errbuf *e)
{
	char *named = NULL, *rel = NULL;
	int r = 0;

	if (project != NULL &&
	    asprintf(&named, "packages.%s.config", project) < 0) {
		named = NULL;
		goto oom;
	}
	for (int i = named != NULL ? 0 : 1; i < 2 && r == 0; i++) {
		free(rel);
		if ((rel = nuget_path_join(dir,
			 i == 0 ? named : "packages.config")) == NULL)
			goto oom;
		if ((r = is_regular(build_dir, rel, e)) == 1 &&
		    strlist_push(out, rel) == -1)
			goto oom;
	}
	free(named);
	free(rel);
	return r == -1 ? -1 : 0;
oom:
	free(named);
	free(rel);
	return errf(e, "packages.config:");
}

/* The project's directory (relative to build_dir) and its name without the
 * extension, from its path relative to the solution's directory. */
static int
project_dir(const char *sln_dir, const char *proj, char **dir, char **name)
{
	char *full = nuget_path_join(sln_dir, proj), *slash, *dot;

	*dir = *name = NULL;
	if (full == NULL)
		return errno == EINVAL ? 0 : -1; /* outside: skipped */
	slash = strrchr(full, '/');
	if ((*name = strdup(slash != NULL ? slash + 1 : full)) == NULL) {
		free(full);
		return -1;
	}
	if ((dot = strrchr(*name, '.')) != NULL)
		*dot = '\0';
	if (slash != NULL)
		*slash = '\0';
	else
		full[0] = '\0';
	*dir = full;
	return 0;
}

int
nuget_find_configs(const char *build_dir, const char *solution,
    struct strlist *out, struct errbuf *e)
{
	struct strlist projects = {0}, found = {0};
	char *sln_dir = NULL, *path = NULL, *buf = NULL, *dir, *name;
	const char *slash = strrchr(solution, '/');
	size_t len;
	int rc = -1;

	if ((sln_dir = strndup(solution,
		 slash != NULL ? (size_t)(slash - solution) : 0)) == NULL)
		goto oom;
	if (is_project_file(solution)) {
		if (strlist_push(&projects,
			slash != NULL ? slash + 1 : solution) == -1)
			goto oom;
	} else {
		if ((buf = beneath_read_file(build_dir, solution, SLN_MAX, &len,
			 e)) == NULL)
			goto out;
		if (nuget_sln_projects(buf, len, &projects, e) == -1)
			goto out;
	}
	for (size_t i = 0; i < projects.n; i++) {
		if (project_dir(sln_dir, projects.v[i], &dir, &name) == -1)
			goto oom;
		rc = dir != NULL ? add_config(build_dir, dir, name, &found, e)
				 : 0;
		free(dir);
		free(name);
		if (rc == -1)
			goto out;
	}
	rc = -1;
	if ((path = nuget_path_join(sln_dir, ".nuget")) == NULL)
		goto oom;
	if (add_config(build_dir, path, NULL, &found, e) == -1)
		goto out;
	strlist_sort(&found);
	for (size_t i = 0; i < found.n; i++)
		if ((i == 0 || strcmp(found.v[i], found.v[i - 1]) != 0) &&
		    strlist_push(out, found.v[i]) == -1)
			goto oom;
	rc = 0;
	goto out;
oom:
	errf(e, "packages.config:");
out:
	strlist_free(&projects);
	strlist_free(&found);
	free(sln_dir);
	free(path);
	free(buf);
	return rc;
}
