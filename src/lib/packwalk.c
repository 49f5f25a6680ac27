/* packwalk.c - the tar walk. */
#include "packwalk.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slugpolicy.h"

int
packwalk_list_dir(const char *dir, struct strlist *out, struct errbuf *e)
{
	struct dirent *d;
	DIR *dp;
	char *s;

	if ((dp = opendir(dir)) == NULL)
		return errf(e, "open directory %s:", dir);
	for (;;) {
		errno = 0;
		if ((d = readdir(dp)) == NULL)
			break;
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if ((s = strdup(d->d_name)) == NULL ||
		    strlist_push_owned(out, s) == -1) {
			free(s);
			closedir(dp);
			return errf(e, "list %s:", dir);
		}
	}
	if (errno != 0) {
		errf(e, "read directory %s:", dir);
		closedir(dp);
		return -1;
	}
	closedir(dp);
	if (out->n > 1)
		strlist_sort(out);
	return 0;
}

int
packwalk_join(char *buf, size_t size, const char *a, const char *b,
    struct errbuf *e)
{
	int n;

	if (*a == '\0')
		n = snprintf(buf, size, "%s", b);
	else if (*b == '\0')
		n = snprintf(buf, size, "%s", a);
	else
		n = snprintf(buf, size, "%s/%s", a, b);
	if (n < 0 || (size_t)n >= size)
		return errf(e, "path too long: %s/%s", a, b);
	return 0;
}

void
packwalk_free(struct packwalk *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].rel);
		free(s->v[i].target);
	}
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* Appends an entry; target (may be NULL) becomes the entry's. */
static int
push(struct packwalk *s, const char *rel, const struct stat *st, char *target)
{
	struct packwalk_ent *v;
	bool slash = S_ISDIR(st->st_mode) && *rel != '\0';

	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;

		if ((v = realloc(s->v, ncap * sizeof *v)) == NULL)
			return -1;
		s->v = v;
		s->cap = ncap;
	}
	if (asprintf(&s->v[s->n].rel, "%s%s", rel, slash ? "/" : "") == -1)
		return -1;
	s->v[s->n].target = target;
	s->v[s->n].st = *st;
	s->n++;
	return 0;
}

static int
cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct packwalk_ent *)a)->rel,
	    ((const struct packwalk_ent *)b)->rel);
}

int
packwalk_tar_name(char *buf, size_t size, const char *prefix, const char *rel,
    bool dir)
{
	int n = snprintf(buf, size, "%s/%s%s", prefix, rel,
	    dir && *rel != '\0' ? "/" : "");

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* The target of the symlink full, malloc'd into *out. */
static int
read_target(const char *full, char **out, struct errbuf *e)
{
	char target[PATH_MAX];
	ssize_t n;

	if ((n = readlink(full, target, sizeof target)) == -1)
		return errf(e, "readlink %s:", full);
	if ((size_t)n == sizeof target)
		return errf(e, "readlink %s: target too long", full);
	target[n] = '\0';
	if ((*out = strdup(target)) == NULL)
		return errf(e, "readlink %s:", full);
	return 0;
}

/* Whether the slug policy lets rel (struct ent's form) into the slug under
 * its tar name: the very check unpack makes, so that whatever is packed
 * unpacks.  What it refuses (FIFOs, sockets, devices, symlinks that are
 * absolute or leave the slug's root) is left out, each with a warning.
 * Returns 1 (in), 0 (left out) or -1. */
static int
slug_admits(struct packwalk *w, const char *rel, mode_t type,
    const char *target, struct errbuf *e)
{
	char name[PATH_MAX], shown[304];
	struct errbuf why;

	if (packwalk_tar_name(name, sizeof name, w->prefix, rel,
		type == S_IFDIR) == -1)
		return errf(e, "path too long: %s/%s", w->root, rel);
	if (slugpolicy_check(name, type, target, NULL, &why) == 0)
		return 1;
	err_printable(shown, sizeof shown, rel, strlen(rel));
	err_warnf(w->warn, w->warn_arg, "'%s' left out of the slug: %s", shown,
	    why.msg);
	return 0;
}

static int
walk_dir(struct packwalk *w, const char *rel, struct errbuf *e)
{
	char full[PATH_MAX], sub[PATH_MAX];
	struct strlist names = {0};
	struct stat st;
	char *target = NULL;
	size_t i;
	int rc = -1, in;

	if (packwalk_join(full, sizeof full, w->root, rel, e) == -1 ||
	    packwalk_list_dir(full, &names, e) == -1)
		goto out;
	for (i = 0; i < names.n; i++) {
		free(target);
		target = NULL;
		if (w->cancel != NULL && w->cancel()) {
			errf(e, "packing interrupted");
			goto out;
		}
		if (packwalk_join(sub, sizeof sub, rel, names.v[i], e) == -1 ||
		    packwalk_join(full, sizeof full, w->root, sub, e) == -1)
			goto out;
		if (lstat(full, &st) == -1) {
			errf(e, "stat %s:", full);
			goto out;
		}
		if (w->skip != NULL &&
		    w->skip(w->skip_arg, sub, S_ISDIR(st.st_mode))) {
			w->ignored++;
			continue;
		}
		if (S_ISLNK(st.st_mode) && read_target(full, &target, e) == -1)
			goto out;
		if ((in = slug_admits(w, sub, st.st_mode & S_IFMT, target,
			 e)) == -1)
			goto out;
		if (in == 0) {
			w->skipped++;
			continue;
		}
		if (push(w, sub, &st, target) == -1) {
			errf(e, "walk %s:", full);
			goto out;
		}
		target = NULL;
		if (S_ISREG(st.st_mode))
			w->total += (uint64_t)st.st_size;
		if (S_ISDIR(st.st_mode) && walk_dir(w, sub, e) == -1)
			goto out;
	}
	rc = 0;
out:
	free(target);
	strlist_free(&names);
	return rc;
}

int
packwalk_run(struct packwalk *w, struct errbuf *e)
{
	char name[PATH_MAX];
	struct errbuf why;
	struct stat st;

	if (stat(w->root, &st) == -1)
		return errf(e, "%s:", w->root);
	if (!S_ISDIR(st.st_mode))
		return errf(e, "%s: not a directory", w->root);
	/* Every other entry is named below the root's entry. */
	if ((packwalk_tar_name(name, sizeof name, w->prefix, "", true) == -1
		    ? errf(&why, "too long")
		    : slugpolicy_check(name, S_IFDIR, NULL, NULL, &why)) == -1)
		return errf(e, "pack %s: entry prefix '%s' refused: %s",
		    w->root, w->prefix, why.msg);
	if (push(w, "", &st, NULL) == -1)
		return errf(e, "pack %s:", w->root);
	if (walk_dir(w, "", e) == -1) {
		w->cancelled = w->cancel != NULL && w->cancel();
		return -1;
	}
	qsort(w->v, w->n, sizeof *w->v, cmp_ent);
	return 0;
}
