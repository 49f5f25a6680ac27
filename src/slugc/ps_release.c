/* ps_release.c - the releases `slugc ps:start` runs, from the release
 * store (release.h): unpacked, with their release YAML and config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addon.h"
#include "appcmd.h"
#include "fsutil.h"
#include "psd.h"
#include "release.h"
#include "slugc.h"

struct loaded {
	struct psd_release r; /* first: what psd sees */
	struct release rel;
	char *dir; /* the unpacked slug, removed at unload */
	char *home;
	struct manifest *m;
	struct envdir *config;
};

int
ps_current_version(struct appstate *st, unsigned *version, struct errbuf *e)
{
	struct release r = {0};
	int rc;

	*version = 0;
	rc = release_get(st, 0, &r, e);
	if (rc == 0)
		*version = r.version;
	release_clear(&r);
	return rc == 0 || rc == RELEASE_NONE ? 0 : -1;
}

/* "2026-12-06T01:53:27Z" as a time, or 0. */
static time_t
parse_created(const char *s)
{
	struct tm tm = {0};

	if (s == NULL ||
	    sscanf(s, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon,
		&tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* The add-ons' config vars as the app has them now, over the release's
 * snapshot: an add-on whose port was taken when it started moved, and its
 * vars with it (the supervisor starts the add-ons before it loads). */
static int
addon_vars(struct appstate *st, struct envdir *config, struct errbuf *e)
{
	struct addon **v = NULL;
	size_t n = 0, i, k;
	char *value;
	int rc = -1, got;

	if (addon_list(st, &v, &n, e) != ADDON_OK)
		return -1;
	for (i = 0; i < n; i++)
		for (k = 0; k < v[i]->nvars; k++) {
			got = appstate_config_get(st, v[i]->vars[k], &value, e);
			if (got == -1)
				goto out;
			if (got == 0 &&
			    envdir_get(config, v[i]->vars[k]) != NULL &&
			    envdir_set(config, v[i]->vars[k], value, e) == -1)
				got = -1;
			if (value != NULL) {
				explicit_bzero(value, strlen(value));
				free(value);
			}
			if (got == -1)
				goto out;
		}
	rc = 0;
out:
	addon_list_free(v, n);
	return rc;
}

static int
load_parts(struct appstate *st, struct loaded *l, struct errbuf *e)
{
	char *slug = NULL, *yml = NULL;
	int rc = -1;

	if (release_usable(&l->rel, e) != 0)
		return -1;
	if ((slug = release_path(&l->rel, "slug.tgz", e)) == NULL ||
	    (yml = release_path(&l->rel, "release.yml", e)) == NULL)
		goto out;
	if (dyno_unpack(slug, &l->dir, &l->home, e) == -1 ||
	    dyno_load_release(yml, l->home, &l->m, e) == -1 ||
	    release_config(&l->rel, &l->config, e) == -1 ||
	    addon_vars(st, l->config, e) == -1)
		goto out;
	rc = 0;
out:
	free(slug);
	free(yml);
	return rc;
}

void
ps_unload(void *arg, struct psd_release *r)
{
	struct loaded *l = (struct loaded *)r;
	struct errbuf e;

	(void)arg;
	if (l == NULL)
		return;
	if (l->dir != NULL)
		fs_rm_rf(l->dir, &e);
	free(l->dir);
	free(l->home);
	manifest_free(l->m);
	envdir_free(l->config);
	release_clear(&l->rel);
	free(l);
}

int
ps_load(void *arg, unsigned version, struct psd_release **out, struct errbuf *e)
{
	struct appstate *st = arg;
	struct loaded *l;

	*out = NULL;
	if ((l = calloc(1, sizeof *l)) == NULL)
		return errf(e, "v%u:", version);
	if (release_get(st, version, &l->rel, e) != 0 ||
	    load_parts(st, l, e) == -1) {
		ps_unload(NULL, &l->r);
		return -1;
	}
	l->r.version = l->rel.version;
	l->r.home = l->home;
	l->r.release = l->m;
	l->r.config = l->config;
	l->r.commit = l->rel.commit != NULL && l->rel.commit[0] != '\0'
	    ? l->rel.commit
	    : NULL;
	l->r.created = parse_created(l->rel.created);
	*out = &l->r;
	return 0;
}
