/* slugignore.c - .slugignore patterns: parsing, matching, pruning. */
#include "slugignore.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "beneath.h"
#include "fsutil.h"
#include "packwalk.h"
#include "strlist.h"

struct ipat {
	char *pat;   /* unanchored: the whole pattern */
	char **segs; /* anchored: its '/'-separated segments */
	size_t nsegs;
	bool anchored;
	bool dir_only;
};

struct pack_ignore {
	struct ipat *v;
	size_t n, cap;
	size_t negated;
};

static void
ipat_clear(struct ipat *p)
{
	size_t i;

	free(p->pat);
	for (i = 0; i < p->nsegs; i++)
		free(p->segs[i]);
	free(p->segs);
}

void
pack_ignore_free(struct pack_ignore *ig)
{
	size_t i;

	if (ig == NULL)
		return;
	for (i = 0; i < ig->n; i++)
		ipat_clear(&ig->v[i]);
	free(ig->v);
	free(ig);
}

size_t
pack_ignore_count(const struct pack_ignore *ig)
{
	return ig == NULL ? 0 : ig->n;
}

size_t
pack_ignore_negated(const struct pack_ignore *ig)
{
	return ig == NULL ? 0 : ig->negated;
}

/* Splits an anchored pattern into segments, dropping empty ones ("a//b"). */
static int
ipat_split(struct ipat *p)
{
	const char *s = p->pat, *slash;
	size_t len;
	char **v;

	while (*s != '\0') {
		slash = strchr(s, '/');
		len = slash != NULL ? (size_t)(slash - s) : strlen(s);
		if (len > 0) {
			v = realloc(p->segs, (p->nsegs + 1) * sizeof *v);
			if (v == NULL)
				return -1;
			p->segs = v;
			if ((v[p->nsegs] = strndup(s, len)) == NULL)
				return -1;
			p->nsegs++;
		}
		s += len;
		if (*s == '/')
			s++;
	}
	return 0;
}

/* Adds one line (not NUL-terminated) of a .slugignore. */
static int
ignore_add_line(struct pack_ignore *ig, const char *line, size_t len)
{
	struct ipat p = {0};
	struct ipat *v;
	size_t start = 0;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	/* Trailing blanks go unless escaped with a backslash, as in git. */
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t') &&
	    !(len > 1 && line[len - 2] == '\\'))
		len--;
	if (len == 0 || line[0] == '#')
		return 0;
	if (line[0] == '!') {
		ig->negated++;
		return 0;
	}
	while (len > 0 && line[len - 1] == '/') {
		p.dir_only = true;
		len--;
	}
	while (start < len && line[start] == '/') {
		p.anchored = true;
		start++;
	}
	if (start == len)
		return 0; /* "/" alone names the whole app: ignore it */
	if ((p.pat = strndup(line + start, len - start)) == NULL)
		return -1;
	if (strchr(p.pat, '/') != NULL)
		p.anchored = true;
	if (p.anchored && ipat_split(&p) == -1)
		goto fail;
	if (ig->n == ig->cap) {
		size_t ncap = ig->cap ? ig->cap * 2 : 16;

		if ((v = realloc(ig->v, ncap * sizeof *v)) == NULL)
			goto fail;
		ig->v = v;
		ig->cap = ncap;
	}
	ig->v[ig->n++] = p;
	return 0;
fail:
	ipat_clear(&p);
	return -1;
}

struct pack_ignore *
pack_ignore_parse(const char *text, size_t len, struct errbuf *e)
{
	struct pack_ignore *ig;
	const char *nl, *end = text + len;

	if ((ig = calloc(1, sizeof *ig)) == NULL) {
		errf(e, "parse .slugignore:");
		return NULL;
	}
	while (text < end) {
		nl = memchr(text, '\n', (size_t)(end - text));
		if (nl == NULL)
			nl = end;
		if (ignore_add_line(ig, text, (size_t)(nl - text)) == -1) {
			errf(e, "parse .slugignore:");
			pack_ignore_free(ig);
			return NULL;
		}
		text = nl + 1;
	}
	return ig;
}

struct pack_ignore *
pack_ignore_load(const char *dir, struct errbuf *e)
{
	struct pack_ignore *ig;
	char *text;
	size_t len;

	text = beneath_read_file(dir, ".slugignore", 1 << 20, &len, e);
	if (text == NULL) {
		if (errno == ENOENT)
			return pack_ignore_parse("", 0, e);
		return NULL;
	}
	ig = pack_ignore_parse(text, len, e);
	free(text);
	if (ig == NULL)
		errprefix(e, "%s/.slugignore", dir);
	return ig;
}

/* Matches pattern segments against a '/'-separated path.  A "**" segment
 * matches zero or more segments, except at the end where it needs at least
 * one (a pattern ending in "/" "**" means what is inside, not the dir). */
static bool
segs_match(char *const *segs, size_t n, const char *path)
{
	char seg[NAME_MAX + 1];
	const char *slash;
	size_t len;

	if (n == 0)
		return *path == '\0';
	if (strcmp(segs[0], "**") == 0) {
		if (n == 1)
			return *path != '\0';
		for (;;) {
			if (segs_match(segs + 1, n - 1, path))
				return true;
			if ((slash = strchr(path, '/')) == NULL)
				return false;
			path = slash + 1;
		}
	}
	if (*path == '\0')
		return false;
	slash = strchr(path, '/');
	len = slash != NULL ? (size_t)(slash - path) : strlen(path);
	if (len > NAME_MAX)
		return false;
	memcpy(seg, path, len);
	seg[len] = '\0';
	if (fnmatch(segs[0], seg, 0) != 0)
		return false;
	return segs_match(segs + 1, n - 1, path + len + (slash != NULL));
}

bool
pack_ignore_match(const struct pack_ignore *ig, const char *relpath,
    bool is_dir)
{
	const char *base;
	size_t i;

	if (ig == NULL || *relpath == '\0')
		return false;
	base = strrchr(relpath, '/');
	base = base != NULL ? base + 1 : relpath;
	for (i = 0; i < ig->n; i++) {
		const struct ipat *p = &ig->v[i];

		if (p->dir_only && !is_dir)
			continue;
		if (p->anchored) {
			if (segs_match(p->segs, p->nsegs, relpath))
				return true;
		} else if (fnmatch(p->pat, base, 0) == 0)
			return true;
	}
	return false;
}

static int
prune_walk(const struct pack_ignore *ig, const char *root, const char *rel,
    size_t *removed, struct errbuf *e)
{
	char full[PATH_MAX], sub[PATH_MAX];
	struct strlist names = {0};
	struct stat st;
	size_t i;
	int rc = -1;

	if (packwalk_join(full, sizeof full, root, rel, e) == -1 ||
	    packwalk_list_dir(full, &names, e) == -1)
		goto out;
	for (i = 0; i < names.n; i++) {
		if (packwalk_join(sub, sizeof sub, rel, names.v[i], e) == -1 ||
		    packwalk_join(full, sizeof full, root, sub, e) == -1)
			goto out;
		if (lstat(full, &st) == -1) {
			errf(e, "stat %s:", full);
			goto out;
		}
		if (pack_ignore_match(ig, sub, S_ISDIR(st.st_mode))) {
			if (fs_rm_rf(full, e) == -1)
				goto out;
			(*removed)++;
		} else if (S_ISDIR(st.st_mode) &&
		    prune_walk(ig, root, sub, removed, e) == -1)
			goto out;
	}
	rc = 0;
out:
	strlist_free(&names);
	return rc;
}

int
pack_ignore_prune(const struct pack_ignore *ig, const char *dir,
    size_t *removed, struct errbuf *e)
{
	size_t n = 0;
	int rc = 0;

	if (pack_ignore_count(ig) > 0)
		rc = prune_walk(ig, dir, "", &n, e);
	if (removed != NULL)
		*removed = n;
	return rc;
}