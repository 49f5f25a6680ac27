/* ps_release.c - the releases `slugc ps:start` runs: read from the app's
 * state (APP/releases/vN/: slug.tgz, release.yml, config.yml, meta.yml),
 * unpacked, with their config. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appcmd.h"
#include "fsutil.h"
#include "psd.h"
#include "slugc.h"

struct loaded {
	struct psd_release r;
	char *dir; /* the unpacked slug, removed at unload */
	char *home;
	struct manifest *m;
	struct envdir *config;
	char *commit;
};

int
ps_current_version(struct appstate *st, unsigned *version, struct errbuf *e)
{
	char *dir;
	struct dirent *de;
	unsigned v;
	char c;
	DIR *dp;

	*version = 0;
	if ((dir = appstate_path(st, "releases", e)) == NULL)
		return -1;
	if ((dp = opendir(dir)) == NULL) {
		free(dir);
		return errno == ENOENT ? 0 : errf(e, "%s/releases:", st->dir);
	}
	while ((de = readdir(dp)) != NULL)
		if (sscanf(de->d_name, "v%u%c", &v, &c) == 1 && v > *version)
			*version = v;
	closedir(dp);
	free(dir);
	return 0;
}

/* meta.yml's commit, if any ("commit: abc..."), into *commit. */
static void
read_commit(const char *meta, char **commit)
{
	struct errbuf e;
	char *text, *p, *end;
	size_t len;

	*commit = NULL;
	if (!fs_exists(meta) ||
	    (text = fs_read_file(meta, 64 * 1024, &len, &e)) == NULL)
		return;
	if ((p = strstr(text, "commit:")) != NULL) {
		p += strlen("commit:");
		p += strspn(p, " \"'");
		end = p + strcspn(p, "\"'\n");
		*end = '\0';
		if (*p != '\0')
			*commit = strdup(p);
	}
	free(text);
}

static int
load_parts(struct appstate *st, const char *rel, struct loaded *l,
    struct errbuf *e)
{
	char path[4096];
	int rc;

	snprintf(path, sizeof path, "%s/slug.tgz", rel);
	if (!fs_exists(path))
		return errf(e, "its slug is missing (pruned?)");
	if (dyno_unpack(path, &l->dir, &l->home, e) == -1)
		return -1;
	snprintf(path, sizeof path, "%s/release.yml", rel);
	if (dyno_load_release(path, l->home, &l->m, e) == -1)
		return -1;
	snprintf(path, sizeof path, "%s/config.yml", rel);
	rc = appstate_read_map(path, &l->config, e);
	if (rc == 1) {
		/* No snapshot: the app's config as it is. */
		envdir_free(l->config);
		l->config = NULL;
		rc = appstate_config_read(st, &l->config, e);
	}
	if (rc == -1)
		return -1;
	snprintf(path, sizeof path, "%s/meta.yml", rel);
	read_commit(path, &l->commit);
	return 0;
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
	free(l->commit);
	free(l);
}

int
ps_load(void *arg, unsigned version, struct psd_release **out,
    struct errbuf *e)
{
	struct appstate *st = arg;
	struct loaded *l;
	char rel[3072];

	*out = NULL;
	if (version == 0 && ps_current_version(st, &version, e) == -1)
		return -1;
	if (version == 0)
		return errf(e, "%s has no release yet", st->name);
	snprintf(rel, sizeof rel, "%s/releases/v%u", st->dir, version);
	if (!fs_is_dir(rel))
		return errf(e, "%s has no release v%u", st->name, version);
	if ((l = calloc(1, sizeof *l)) == NULL)
		return errf(e, "v%u:", version);
	l->r.version = version;
	if (load_parts(st, rel, l, e) == -1) {
		errprefix(e, "v%u", version);
		ps_unload(NULL, &l->r);
		return -1;
	}
	l->r.home = l->home;
	l->r.release = l->m;
	l->r.config = l->config;
	l->r.commit = l->commit;
	*out = &l->r;
	return 0;
}
