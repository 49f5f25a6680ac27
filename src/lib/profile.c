#include "profile.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "fsutil.h"

/* Project and solution files are a few KB; xbuild reads larger ones, we
 * leave them to it. */
#define PROFILE_MAX_FILE (16u << 20)

#define MAX_PARTS 4

/* Parses "4.5.1" (digits and single dots) into v, zero-filled.  Returns the
 * number of parts, or -1 when s is not such a version. */
static int
parse_version(const char *s, size_t len, long v[MAX_PARTS])
{
	int n = 0;
	size_t i = 0;

	memset(v, 0, MAX_PARTS * sizeof *v);
	while (i < len) {
		long x = 0;
		size_t start = i;

		if (n == MAX_PARTS)
			return -1;
		while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 6)
			x = x * 10 + (s[i++] - '0');
		if (i == start || (i < len && s[i] != '.'))
			return -1;
		v[n++] = x;
		if (i < len && ++i == len)
			return -1; /* a trailing dot */
	}
	return n;
}

static int
cmp_version(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	long vx[MAX_PARTS], vy[MAX_PARTS];

	parse_version(x, strlen(x), vx);
	parse_version(y, strlen(y), vy);
	for (int i = 0; i < MAX_PARTS; i++)
		if (vx[i] != vy[i])
			return vx[i] < vy[i] ? -1 : 1;
	return strcmp(x, y);
}

int
profile_available(const char *runtime_dir, struct strlist *out,
    struct errbuf *e)
{
	char *dir = fs_join(runtime_dir, "lib/mono");
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	int rc = -1;

	if (dir == NULL) {
		errf(e, "%s:", runtime_dir);
		goto out;
	}
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			rc = 0;
		else
			errf(e, "%s:", dir);
		goto out;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		long v[MAX_PARTS];
		char name[sizeof de->d_name];

		if (n <= 4 || strcmp(de->d_name + n - 4, "-api") != 0 ||
		    parse_version(de->d_name, n - 4, v) < 2)
			continue;
		/* A directory, or a link to one. */
		if (fstatat(dirfd(d), de->d_name, &st, 0) == -1 ||
		    !S_ISDIR(st.st_mode))
			continue;
		memcpy(name, de->d_name, n - 4);
		name[n - 4] = '\0';
		if (strlist_push(out, name) == -1) {
			errf(e, "%s:", dir);
			goto out;
		}
	}
	if (errno != 0) {
		errf(e, "read directory %s:", dir);
		goto out;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, cmp_version);
	rc = 0;
out:
	if (rc == -1)
		strlist_free(out);
	if (d != NULL)
		closedir(d);
	free(dir);
	return rc;
}

static bool
has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

bool
profile_has(const struct strlist *available, const char *version)
{
	const char *v = version + (version[0] == 'v' || version[0] == 'V');

	/* xbuild-frameworks/.NETFramework: v3.0 is 2.0-api; v3.5 adds
	 * 3.5-api to v3.0's. */
	if (strcmp(v, "3.0") == 0)
		return has(available, "2.0");
	if (strcmp(v, "3.5") == 0)
		return has(available, "3.5") && has(available, "2.0");
	return has(available, v);
}

/* An element's local name (the namespace is MSBuild's, or none). */
static bool
named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

/* The text of element n, trimmed, malloc'd; NULL with *unknown set when it
 * holds anything but text (an entity reference, an element). */
static char *
element_text(const xmlNode *n, bool *unknown)
{
	size_t len = 0, cap = 64;
	char *s = malloc(cap), *start, *end;

	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (const xmlNode *c = n->children; c != NULL; c = c->next) {
		size_t l;

		if (c->type == XML_COMMENT_NODE)
			continue;
		if ((c->type != XML_TEXT_NODE &&
			c->type != XML_CDATA_SECTION_NODE) ||
		    c->content == NULL) {
			*unknown = true;
			free(s);
			return NULL;
		}
		l = strlen((const char *)c->content);
		if (len + l + 1 > cap) {
			char *t;
			cap = len + l + 1;
			if ((t = realloc(s, cap)) == NULL) {
				free(s);
				return NULL;
			}
			s = t;
		}
		memcpy(s + len, c->content, l + 1);
		len += l;
	}
	for (start = s; *start == ' ' || *start == '\t' || *start == '\r' ||
	     *start == '\n';
	     start++)
		;
	end = start + strlen(start);
	while (end > start &&
	    (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
		end[-1] == '\n'))
		end--;
	*end = '\0';
	memmove(s, start, (size_t)(end - start) + 1);
	return s;
}

/* An Import of MSBuild's own targets and props, which set no
 * TargetFrameworkVersion, unlike a props file of the app's. */
static bool
toolset_import(const xmlNode *n)
{
	static const char *const ours[] = {"$(MSBuildToolsPath)",
	    "$(MSBuildBinPath)", "$(MSBuildExtensionsPath)",
	    "$(MSBuildExtensionsPath32)", "$(VSToolsPath)", NULL};
	xmlChar *p = xmlGetProp(n, (const xmlChar *)"Project");
	bool ok = false;

	for (int i = 0; p != NULL && ours[i] != NULL; i++)
		ok |=
		    strncasecmp((const char *)p, ours[i], strlen(ours[i])) == 0;
	xmlFree(p);
	return ok;
}

/* What the project says, gathered from its PropertyGroups and Imports. */
struct project_info {
	char *version;	 /* the TargetFrameworkVersion, when one */
	bool unknown;	 /* cannot be told */
	bool own_import; /* imports a file of the app's */
};

static int
scan_property_group(const xmlNode *g, struct project_info *pi)
{
	for (const xmlNode *n = g->children; n != NULL; n = n->next) {
		bool tfv = named(n, "TargetFrameworkVersion"), odd = false;
		char *text;

		if (!tfv && !named(n, "TargetFrameworkIdentifier"))
			continue;
		if ((text = element_text(n, &odd)) == NULL) {
			if (!odd)
				return -1; /* out of memory */
			pi->unknown = true;
			continue;
		}
		if (!tfv) {
			/* Silverlight, Xamarin, portable libraries... */
			if (text[0] != '\0' &&
			    strcmp(text, ".NETFramework") != 0)
				pi->unknown = true;
			free(text);
		} else if (text[0] == '\0') {
			free(text); /* empty: the default stands */
		} else if (pi->version == NULL) {
			pi->version = text;
		} else {
			/* Set twice, under conditions we do not evaluate:
			 * fine when both agree. */
			if (strcmp(pi->version, text) != 0)
				pi->unknown = true;
			free(text);
		}
	}
	return 0;
}

static int
scan_project(const xmlNode *root, struct project_info *pi)
{
	xmlChar *sdk;

	if (!named(root, "Project")) {
		pi->unknown = true;
		return 0;
	}
	/* SDK-style projects set TargetFramework(s) and xbuild cannot
	 * build them anyway. */
	if ((sdk = xmlGetProp(root, (const xmlChar *)"Sdk")) != NULL) {
		xmlFree(sdk);
		pi->unknown = true;
		return 0;
	}
	for (const xmlNode *n = root->children; n != NULL; n = n->next) {
		if (named(n, "PropertyGroup")) {
			if (scan_property_group(n, pi) == -1)
				return -1;
		} else if (named(n, "Import")) {
			pi->own_import |= !toolset_import(n);
		} else if (named(n, "ImportGroup")) {
			for (const xmlNode *i = n->children; i; i = i->next)
				if (named(i, "Import"))
					pi->own_import |= !toolset_import(i);
		}
	}
	return 0;
}

int
profile_required(const char *path, char **version, bool *implicit,
    struct errbuf *e)
{
	struct project_info pi = {NULL, false, false};
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	size_t len;
	char *buf;
	long v[MAX_PARTS];
	int rc = -1;

	*version = NULL;
	*implicit = false;
	xmlInitParser(); /* once; cheap after */
	if ((buf = fs_read_file(path, PROFILE_MAX_FILE, &len, e)) == NULL)
		return -1;
	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		errf(e, "%s: out of memory", path);
		goto out;
	}
	/* No network, no DTD loaded, entities left as references (never
	 * XML_PARSE_NOENT), and nothing printed: errors come back in ctxt. */
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, path, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		const xmlError *xe = xmlCtxtGetLastError(ctxt);
		if (xe != NULL && xe->message != NULL) {
			/* libxml2's messages end with a newline. */
			int n = (int)strcspn(xe->message, "\n");
			errf(e, "%s:%d: %.*s", path, xe->line, n, xe->message);
		} else
			errf(e, "%s: not an XML project file", path);
		goto out;
	}
	if (scan_project(xmlDocGetRootElement(doc), &pi) == -1) {
		errf(e, "%s: out of memory", path);
		goto out;
	}
	if (!pi.unknown && pi.version == NULL && !pi.own_import) {
		if ((pi.version = strdup(PROFILE_DEFAULT)) == NULL) {
			errf(e, "%s:", path);
			goto out;
		}
		*implicit = true;
	}
	/* "v4.5.1": what xbuild-frameworks names; anything else ("$(Fx)",
	 * "4.5") is xbuild's to judge. */
	if (!pi.unknown && pi.version != NULL &&
	    (pi.version[0] == 'v' || pi.version[0] == 'V') &&
	    parse_version(pi.version + 1, strlen(pi.version + 1), v) >= 2) {
		*version = pi.version;
		pi.version = NULL;
	} else {
		*implicit = false;
	}
	rc = 0;
out:
	free(pi.version);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	free(buf);
	return rc;
}

static bool
is_project_file(const char *p)
{
	static const char *const exts[] = {".csproj", ".fsproj", ".vbproj",
	    NULL};
	size_t n = strlen(p);

	for (int i = 0; exts[i] != NULL; i++) {
		size_t l = strlen(exts[i]);
		if (n > l && strcasecmp(p + n - l, exts[i]) == 0)
			return true;
	}
	return false;
}

/* Copies the i-th (0-based) double-quoted string of line into buf;
 * returns false when there is none or it does not fit. */
static bool
quoted(const char *line, int i, char *buf, size_t size)
{
	const char *q = line, *end = NULL;

	for (int k = 0; k <= i; k++) {
		if ((q = strchr(q, '"')) == NULL ||
		    (end = strchr(q + 1, '"')) == NULL)
			return false;
		if (k < i)
			q = end + 1;
	}
	if ((size_t)(end - q - 1) >= size)
		return false;
	memcpy(buf, q + 1, (size_t)(end - q - 1));
	buf[end - q - 1] = '\0';
	return true;
}

/* From "{GUID}.Release|Any CPU.Build.0 = Release|Any CPU": true with the
 * GUID in guid when the line builds a project in configuration. */
static bool
build_line(const char *line, const char *configuration, char *guid, size_t size,
    bool *any)
{
	const char *close, *bar, *eq;
	size_t n;

	while (*line == ' ' || *line == '\t')
		line++;
	if (line[0] != '{' || (close = strchr(line, '}')) == NULL ||
	    close[1] != '.' || (eq = strchr(close, '=')) == NULL)
		return false;
	while (eq > close && (eq[-1] == ' ' || eq[-1] == '\t'))
		eq--;
	if ((size_t)(eq - close) < 9 || memcmp(eq - 8, ".Build.0", 8) != 0)
		return false;
	*any = true;
	if ((bar = strchr(close + 2, '|')) == NULL || bar > eq)
		return false;
	n = strlen(configuration);
	if ((size_t)(bar - close - 2) != n ||
	    strncasecmp(close + 2, configuration, n) != 0)
		return false;
	if ((size_t)(close - line + 1) >= size)
		return false;
	memcpy(guid, line, (size_t)(close - line + 1));
	guid[close - line + 1] = '\0';
	return true;
}

int
profile_solution_projects(const char *sln_path, const char *configuration,
    struct strlist *out, struct strlist *skipped, struct errbuf *e)
{
	struct strlist paths = {0}, guids = {0}, built = {0};
	char *buf, *line, *next, field[PATH_MAX];
	bool any_build = false;
	size_t len;
	int rc = -1;

	if ((buf = fs_read_file(sln_path, PROFILE_MAX_FILE, &len, e)) == NULL)
		return -1;
	for (line = buf; line != NULL; line = next) {
		char *cr;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((cr = strchr(line, '\r')) != NULL)
			*cr = '\0';
		/* Project("{TYPE}") = "Name", "Path\To.csproj", "{GUID}" */
		if (strncmp(line, "Project(", 8) == 0) {
			char guid[64];
			char *eq = strchr(line, '=');

			if (eq == NULL || !quoted(eq, 1, field, sizeof field) ||
			    !quoted(eq, 2, guid, sizeof guid) ||
			    !is_project_file(field))
				continue;
			for (char *p = field; *p; p++)
				if (*p == '\\')
					*p = '/';
			if (strlist_push(&paths, field) == -1 ||
			    strlist_push(&guids, guid) == -1)
				goto oom;
		} else if (build_line(line, configuration, field, sizeof field,
			       &any_build)) {
			if (strlist_push(&built, field) == -1)
				goto oom;
		}
	}
	for (size_t i = 0; i < paths.n; i++) {
		bool builds = !any_build;

		for (size_t k = 0; !builds && k < built.n; k++)
			builds = strcasecmp(built.v[k], guids.v[i]) == 0;
		if (builds && strlist_push(out, paths.v[i]) == -1)
			goto oom;
		if (!builds && skipped != NULL &&
		    strlist_push(skipped, paths.v[i]) == -1)
			goto oom;
	}
	rc = 0;
	goto out;
oom:
	errf(e, "%s:", sln_path);
	strlist_free(out);
	strlist_free(skipped);
out:
	strlist_free(&paths);
	strlist_free(&guids);
	strlist_free(&built);
	free(buf);
	return rc;
}

/* "v2.0, v3.5, v4.0" into buf (cut with "..." when long). */
static void
join_profiles(const struct strlist *l, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n && len < size; i++) {
		int n = snprintf(buf + len, size - len, "%sv%s", i ? ", " : "",
		    l->v[i]);
		if (n < 0 || (size_t)n >= size - len) {
			if (size > 4)
				memcpy(buf + size - 4, "...", 4);
			return;
		}
		len += (size_t)n;
	}
}

/* Whether root/rel resolves inside root (whose real path is real_root). */
static bool
inside(const char *real_root, const char *path)
{
	char real[PATH_MAX];
	size_t n = strlen(real_root);

	return realpath(path, real) != NULL &&
	    strncmp(real, real_root, n) == 0 &&
	    (real[n] == '/' || (n == 1 && real_root[0] == '/'));
}

/* The project at rel (relative to build_dir): 1 with e filled when it
 * needs a profile missing from avail, else 0 (also when unreadable). */
static int
check_project(const char *build_dir, const char *real_root, const char *rel,
    const struct strlist *avail, struct errbuf *e)
{
	char *path = fs_join(build_dir, rel), *version = NULL, names[512];
	struct errbuf ignored;
	bool implicit;
	int rc = 0;

	if (path == NULL)
		return errf(e, "%s:", rel);
	if (!inside(real_root, path) ||
	    profile_required(path, &version, &implicit, &ignored) == -1 ||
	    version == NULL || profile_has(avail, version))
		goto out;
	join_profiles(avail, names, sizeof names);
	if (implicit)
		errf(e,
		    "%s sets no TargetFrameworkVersion, so xbuild targets "
		    "%s, but this Mono runtime has the reference assemblies of "
		    "%s only: add <TargetFrameworkVersion> for one of these, "
		    "or "
		    "use a runtime with lib/mono/%s-api (MONO_URL)",
		    rel, version, names, version + 1);
	else
		errf(e,
		    "%s targets TargetFrameworkVersion %s, but this Mono "
		    "runtime has the reference assemblies of %s only: retarget "
		    "the project, or use a runtime with lib/mono/%s-api "
		    "(MONO_URL)",
		    rel, version, names, version + 1);
	rc = 1;
out:
	free(version);
	free(path);
	return rc;
}

int
profile_check(const char *build_dir, const char *solution,
    const char *configuration, const char *runtime_dir, struct errbuf *e)
{
	struct strlist avail = {0}, projects = {0};
	char real_root[PATH_MAX], *sln = NULL, *dir = NULL, *slash;
	struct errbuf ignored;
	int rc = -1;

	if (profile_available(runtime_dir, &avail, e) == -1)
		return -1;
	if (avail.n == 0 || realpath(build_dir, real_root) == NULL) {
		rc = 0; /* a layout we do not know: xbuild judges */
		goto out;
	}
	if (!is_project_file(solution)) {
		if ((sln = fs_join(build_dir, solution)) == NULL) {
			errf(e, "%s:", solution);
			goto out;
		}
		/* An unreadable solution is xbuild's to report. */
		if (profile_solution_projects(sln, configuration, &projects,
			NULL, &ignored) == -1) {
			rc = 0;
			goto out;
		}
		if ((dir = strdup(solution)) == NULL) {
			errf(e, "%s:", solution);
			goto out;
		}
		if ((slash = strrchr(dir, '/')) != NULL)
			slash[1] = '\0';
		else
			dir[0] = '\0';
	} else if (strlist_push(&projects, solution) == -1) {
		errf(e, "%s:", solution);
		goto out;
	}
	rc = 0;
	for (size_t i = 0; rc == 0 && i < projects.n; i++) {
		char *rel = projects.v[i];

		if (rel[0] == '/' || strchr(rel, ':') != NULL)
			continue; /* C:\... or absolute: not in the app */
		if (dir != NULL && dir[0] != '\0' &&
		    asprintf(&rel, "%s%s", dir, projects.v[i]) < 0) {
			rc = errf(e, "%s:", solution);
			break;
		}
		rc = check_project(build_dir, real_root, rel, &avail, e);
		if (rel != projects.v[i])
			free(rel);
	}
out:
	strlist_free(&avail);
	strlist_free(&projects);
	free(sln);
	free(dir);
	return rc;
}
