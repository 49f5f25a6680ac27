/* release.h - an app's releases: what `git push`, `config:set`,
 * `config:unset` and `rollback` make, and what `slugc ps:start` runs.
 *
 * A release lives in its app's state (appstate.h) as releases/vN/, N = 1,
 * 2, ... with no gaps made by us:
 *	slug.tgz	the slug, a hard link shared by every release of the
 *			same slug (a copy, fsync'd, when the slug given is on
 *			another file system); removed by pruning
 *	release.yml	the release YAML as built (manifest.h)
 *	config.yml	the app's config vars for this release
 *			(appstate_write_map: values never in a message)
 *	meta.yml	a mapping of strings (appstate_read_map's codec):
 *			version, created (UTC, ISO 8601), commit (may be
 *			""), description, slug_size (bytes, decimal),
 *			slug_sha256, and pruned (when pruning removed the
 *			slug: the time it did)
 * A release is made in releases/.new-XXXXXX and published by renaming it to
 * vN: the rename is the commit point, so a crash or a full disk leaves no
 * half release, and a .new-* left by a killed run is removed by the next
 * release_create.  A release is never changed afterwards, except that
 * pruning adds `pruned` to its meta.yml (before it removes slug.tgz).  The
 * current release is the highest vN.
 *
 * Every function that changes releases takes the app's lock (appstate_lock)
 * itself, so two of them never pick the same N.  Nothing here prints. */
#ifndef SLUGC_RELEASE_H
#define SLUGC_RELEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "appstate.h"
#include "digest.h"
#include "envdir.h"
#include "err.h"

#define RELEASE_DIR "releases"

/* How many distinct slugs release_create keeps (release_keep_slugs): the
 * newest ones; older releases keep their metadata but lose slug.tgz. */
#define RELEASE_SLUGS_ENV "SLUGC_RELEASE_SLUGS"
#define RELEASE_SLUGS_DEFAULT 10
#define RELEASE_SLUGS_MAX 100000

/* What release_create makes a release of.  Exactly one of slug and
 * slug_of says where the slug comes from. */
struct release_new {
	/* The slug's path: hard-linked into the release when on the same
	 * file system, else copied (and fsync'd).  The caller must not
	 * change that file in place afterwards (replace it by rename). */
	const char *slug;
	/* The slug's sha256 if the caller knows it (64 hex digits), so a
	 * large slug is not read again; NULL: computed here. */
	const char *sha256;
	/* The release YAML's path (with slug; NULL: an empty mapping). */
	const char *release_yml;
	/* With slug NULL: the version whose slug and release.yml the new
	 * release shares (0: the current release).  It must be usable: not
	 * pruned, not corrupt. */
	unsigned slug_of;
	/* The release's config vars; NULL: the app's config.yml as it is
	 * (read under the lock). */
	const struct envdir *config;
	const char *commit;	 /* the commit deployed, or NULL/"" */
	const char *description; /* "Deploy abc1234", "Set FOO config vars" */
	/* Where a failed pruning after publishing is reported (the release
	 * stands); NULL: not reported. */
	err_warn_fn *warn;
	void *warn_arg;
};

/* One release as read back. */
struct release {
	unsigned version;
	char *dir;	   /* its directory, absolute */
	char *created;	   /* "2026-12-06T01:53:27Z", "" when unknown */
	char *commit;	   /* "" when none */
	char *description; /* "" when unknown */
	uint64_t slug_size;
	char sha256[DIGEST_HEX_SIZE]; /* "" when unknown */
	bool pruned;		      /* its slug was removed by pruning */
	/* NULL when the release is usable; else one line saying why not
	 * ("slug.tgz missing", "meta.yml:3:1: ..."): a corrupt release is
	 * listed, never run or rolled back to. */
	char *corrupt;
};

/* Results besides 0 and -1 (e is filled for each, with one line fit for
 * the user: "v7 not found", "v3's slug was pruned"). */
enum release_rc {
	RELEASE_ERR = -1,     /* an I/O or memory error */
	RELEASE_NONE = -2,    /* the app has no releases yet */
	RELEASE_UNKNOWN = -3, /* no such version */
	RELEASE_PRUNED = -4,  /* the release's slug was pruned */
	RELEASE_CORRUPT = -5, /* the release is corrupt (see corrupt) */
};

/* The number of distinct slugs to keep: $SLUGC_RELEASE_SLUGS (1 to
 * RELEASE_SLUGS_MAX) or RELEASE_SLUGS_DEFAULT when unset or empty.
 * Returns 0, or -1 (e filled) for any other value. */
int release_keep_slugs(unsigned *keep, struct errbuf *e);

/* Makes the app's next release of in, under the lock: removes leftover
 * releases/.new-*, builds the release in a new .new-XXXXXX, fsyncs it and
 * renames it to vN (N = current + 1), then prunes slugs beyond
 * release_keep_slugs (a failure there goes to in->warn; the release
 * stands).  *version (may be NULL) gets N.  Returns 0, -1 (nothing
 * published, no .new-* left), or for in->slug_of RELEASE_NONE,
 * RELEASE_UNKNOWN, RELEASE_PRUNED or RELEASE_CORRUPT. */
int release_create(struct appstate *st, const struct release_new *in,
    unsigned *version, struct errbuf *e);

/* Every release of the app into *v (a malloc'd array of *n; free with
 * release_list_free), newest first.  No releases is an empty list (*v
 * NULL).  A release that cannot be used is listed with r->corrupt set;
 * only failing to read the releases directory is an error (-1).  Names in
 * releases/ other than vN are ignored. */
int release_list(struct appstate *st, struct release **v, size_t *n,
    struct errbuf *e);
void release_list_free(struct release *v, size_t n);

/* The release version (0: the current one) into *out (free its fields
 * with release_clear).  A corrupt or pruned release is returned as it is
 * (0): the caller checks out->corrupt and out->pruned, or uses
 * release_usable.  Returns 0, RELEASE_NONE, RELEASE_UNKNOWN or -1. */
int release_get(struct appstate *st, unsigned version, struct release *out,
    struct errbuf *e);
void release_clear(struct release *r);

/* 0 when r can be run or rolled back to; RELEASE_PRUNED or
 * RELEASE_CORRUPT with e saying why ("v3's slug was pruned ..."). */
int release_usable(const struct release *r, struct errbuf *e);

/* Paths into r's directory, malloc'd (NULL when out of memory, e filled):
 * "slug.tgz", "release.yml", "config.yml". */
char *release_path(const struct release *r, const char *file, struct errbuf *e);

/* r's config vars snapshot into *out (the caller frees it).  Returns 0 or
 * -1. */
int release_config(const struct release *r, struct envdir **out,
    struct errbuf *e);

/* Removes slug.tgz from every release but those holding the newest keep
 * (>= 1) distinct slugs (by sha256), under the lock; each gets `pruned`
 * in its meta.yml first.  The current release's slug is always kept.
 * Corrupt releases are left alone.  *removed (may be NULL) gets how many
 * slugs were removed.  Returns 0 or -1. */
int release_prune(struct appstate *st, unsigned keep, size_t *removed,
    struct errbuf *e);

/* Rolls back to version (0: the one before the current release): under
 * the lock, a new release with that one's slug, release.yml and config
 * vars, described "Rollback to vN", and the app's config.yml replaced by
 * those vars (Heroku's rollback restores config vars too).  *from (may be
 * NULL) gets the version rolled back to, *version (may be NULL) the new
 * one.  Returns 0, -1, RELEASE_NONE (no releases, or only one with
 * version 0), RELEASE_UNKNOWN, RELEASE_PRUNED or RELEASE_CORRUPT. */
int release_rollback(struct appstate *st, unsigned version, unsigned *from,
    unsigned *newv, struct errbuf *e);

#endif
