/* release.c - an app's releases under its state: releases/vN/. */
#include "release.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "manifest.h"
#include "yamldoc.h"

#define NEW_PREFIX ".new-"
#define VERSION_MAX (UINT_MAX / 2)

int
release_keep_slugs(unsigned *keep, struct errbuf *e)
{
	const char *v = getenv(RELEASE_SLUGS_ENV);
	char *end, shown[40];
	unsigned long n;

	*keep = RELEASE_SLUGS_DEFAULT;
	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n < 1 ||
	    n > RELEASE_SLUGS_MAX) {
		err_printable(shown, sizeof shown, v, strlen(v));
		return errf(e, "%s='%s': want a count of slugs from 1 to %d",
		    RELEASE_SLUGS_ENV, shown, RELEASE_SLUGS_MAX);
	}
	*keep = (unsigned)n;
	return 0;
}

/* N for a name "vN" (N >= 1, no leading zero), else 0. */
static unsigned
version_of(const char *name)
{
	unsigned long n;
	char *end;

	if (name[0] != 'v' || name[1] < '1' || name[1] > '9')
		return 0;
	errno = 0;
	n = strtoul(name + 1, &end, 10);
	if (*end != '\0' || errno != 0 || n > VERSION_MAX)
		return 0;
	return (unsigned)n;
}

static int
cmp_desc(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The versions in root into *vs (malloc'd, newest first, *n of them); no
 * root is none.  With sweep, leftover .new-* directories are removed (the
 * caller holds the lock, so nobody is still making them). */
static int
scan(const char *root, bool sweep, unsigned **vs, size_t *n, struct errbuf *e)
{
	unsigned *v = NULL, *nv, ver;
	size_t len = 0, cap = 0;
	struct dirent *d;
	char *p;
	DIR *dp;
	int rc = -1, gone;

	*vs = NULL;
	*n = 0;
	if ((dp = opendir(root)) == NULL)
		return errno == ENOENT ? 0 : errf(e, "open %s:", root);
	for (;;) {
		errno = 0;
		if ((d = readdir(dp)) == NULL) {
			if (errno != 0) {
				errf(e, "read %s:", root);
				goto out;
			}
			break;
		}
		if (sweep &&
		    strncmp(d->d_name, NEW_PREFIX, strlen(NEW_PREFIX)) == 0) {
			if ((p = fs_join(root, d->d_name)) == NULL) {
				errf(e, "%s: out of memory", root);
				goto out;
			}
			gone = fs_rm_rf(p, e);
			free(p);
			if (gone == -1)
				goto out;
			continue;
		}
		if ((ver = version_of(d->d_name)) == 0)
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof *v)) == NULL) {
				errf(e, "%s: out of memory", root);
				goto out;
			}
			v = nv;
		}
		v[len++] = ver;
	}
	if (len > 0)
		qsort(v, len, sizeof *v, cmp_desc);
	*vs = v;
	*n = len;
	v = NULL;
	rc = 0;
out:
	free(v);
	closedir(dp);
	return rc;
}

static char *
root_of(struct appstate *st, struct errbuf *e)
{
	return appstate_path(st, RELEASE_DIR, e);
}

void
release_clear(struct release *r)
{
	if (r == NULL)
		return;
	free(r->dir);
	free(r->created);
	free(r->commit);
	free(r->description);
	free(r->corrupt);
	memset(r, 0, sizeof *r);
}

void
release_list_free(struct release *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		release_clear(&v[i]);
	free(v);
}

char *
release_path(const struct release *r, const char *file, struct errbuf *e)
{
	char *p = fs_join(r->dir, file);

	if (p == NULL)
		errf(e, "%s/%s: out of memory", r->dir, file);
	return p;
}

/* Marks r corrupt with msg, the release's directory cut from its start
 * ("meta.yml:3:1: ...", not the whole path).  Returns 0, or -1 when out
 * of memory. */
static int
set_corrupt(struct release *r, const char *msg)
{
	size_t dl = strlen(r->dir);
	const char *m = msg;

	if (r->corrupt != NULL)
		return 0; /* the first reason is the one shown */
	if (strncmp(m, r->dir, dl) == 0 && m[dl] == '/')
		m += dl + 1;
	else if (strncmp(m, "open ", 5) == 0 &&
	    strncmp(m + 5, r->dir, dl) == 0 && m[5 + dl] == '/') {
		/* "open DIR/x: ..." reads as "x: ..." */
		m += 5 + dl + 1;
	}
	return (r->corrupt = strdup(m)) == NULL ? -1 : 0;
}

/* Copies meta's field name (or "") into *dst. */
static int
meta_str(const struct envdir *meta, const char *name, char **dst)
{
	const char *v = envdir_get(meta, name);

	return (*dst = strdup(v != NULL ? v : "")) == NULL ? -1 : 0;
}

/* The fields of meta.yml into r; what is wrong makes r corrupt.  Returns
 * 0, or -1 when out of memory. */
static int
load_meta(struct release *r, struct errbuf *e)
{
	struct envdir *meta = NULL;
	const char *v;
	char *path, *end, why[80];
	int rc = -1, got;

	if ((path = release_path(r, "meta.yml", e)) == NULL)
		return -1;
	got = appstate_read_map(path, &meta, e);
	free(path);
	if (got != 0) {
		rc = set_corrupt(r, got == 1 ? "meta.yml missing" : e->msg);
		goto out;
	}
	if (meta_str(meta, "created", &r->created) == -1 ||
	    meta_str(meta, "commit", &r->commit) == -1 ||
	    meta_str(meta, "description", &r->description) == -1)
		goto out;
	r->pruned = envdir_get(meta, "pruned") != NULL;
	v = envdir_get(meta, "version");
	snprintf(why, sizeof why, "%u", r->version);
	if (v == NULL || strcmp(v, why) != 0) {
		rc = set_corrupt(r, "meta.yml: version does not match");
		goto out;
	}
	v = envdir_get(meta, "slug_sha256");
	if (v == NULL || !digest_hex_valid(v)) {
		rc = set_corrupt(r, "meta.yml: no slug_sha256");
		goto out;
	}
	snprintf(r->sha256, sizeof r->sha256, "%s", v);
	v = envdir_get(meta, "slug_size");
	errno = 0;
	if (v == NULL || *v < '0' || *v > '9' ||
	    (r->slug_size = strtoull(v, &end, 10), *end != '\0') ||
	    errno != 0) {
		rc = set_corrupt(r, "meta.yml: no slug_size");
		goto out;
	}
	rc = 0;
out:
	envdir_free(meta);
	if (rc == -1)
		errf(e, "%s/meta.yml: out of memory", r->dir);
	return rc;
}

/* Checks that release.yml parses as one YAML mapping (or is empty). */
static int
check_yml(const char *path, struct errbuf *e)
{
	yaml_document_t doc;
	yaml_node_t *root;
	size_t len;
	char *buf;
	int more, rc = 0;

	if ((buf = fs_read_file(path, MANIFEST_MAX, &len, e)) == NULL)
		return -1;
	more = yamldoc_parse(buf, len, path, &doc, NULL, e);
	free(buf);
	if (more == -1)
		return -1;
	root = yaml_document_get_root_node(&doc);
	if (more == 1)
		rc = errf(e, "%s: holds more than one YAML document", path);
	else if (root != NULL && root->type != YAML_MAPPING_NODE)
		rc = errf(e, "%s:%zu: expected a mapping", path,
		    root->start_mark.line + 1);
	yaml_document_delete(&doc);
	return rc;
}

/* Checks release.yml, config.yml and slug.tgz; what is wrong makes r
 * corrupt.  Returns 0, or -1 when out of memory. */
static int
check_files(struct release *r, struct errbuf *e)
{
	struct envdir *cfg = NULL;
	struct stat sb;
	char *p, why[160];
	int got;

	if ((p = release_path(r, "release.yml", e)) == NULL)
		return -1;
	got = check_yml(p, e);
	free(p);
	if (got == -1 && set_corrupt(r, e->msg) == -1)
		return -1;
	if ((p = release_path(r, "config.yml", e)) == NULL)
		return -1;
	got = appstate_read_map(p, &cfg, e);
	free(p);
	envdir_free(cfg);
	if (got != 0 &&
	    set_corrupt(r, got == 1 ? "config.yml missing" : e->msg) == -1)
		return -1;
	if (r->pruned)
		return 0;
	if ((p = release_path(r, "slug.tgz", e)) == NULL)
		return -1;
	got = lstat(p, &sb);
	free(p);
	if (got == -1)
		snprintf(why, sizeof why, "slug.tgz: %s", strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		snprintf(why, sizeof why, "slug.tgz: not a regular file");
	else if ((uint64_t)sb.st_size != r->slug_size)
		snprintf(why, sizeof why,
		    "slug.tgz: %jd bytes, meta.yml says %" PRIu64,
		    (intmax_t)sb.st_size, r->slug_size);
	else
		return 0;
	return set_corrupt(r, why);
}

/* Reads release version from root into r (zeroed first).  Only running
 * out of memory is an error: anything wrong on disk makes r corrupt. */
static int
load(const char *root, unsigned version, struct release *r, struct errbuf *e)
{
	char name[16];
	struct stat sb;

	memset(r, 0, sizeof *r);
	r->version = version;
	snprintf(name, sizeof name, "v%u", version);
	if ((r->dir = fs_join(root, name)) == NULL)
		return errf(e, "%s/%s: out of memory", root, name);
	if (lstat(r->dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		if (set_corrupt(r, "not a directory") == -1)
			goto oom;
	} else if (load_meta(r, e) == -1 || check_files(r, e) == -1)
		goto oom;
	if ((r->created == NULL && (r->created = strdup("")) == NULL) ||
	    (r->commit == NULL && (r->commit = strdup("")) == NULL) ||
	    (r->description == NULL && (r->description = strdup("")) == NULL))
		goto oom;
	return 0;
oom:
	release_clear(r);
	return errf(e, "%s/%s: out of memory", root, name);
}

int
release_list(struct appstate *st, struct release **out, size_t *n,
    struct errbuf *e)
{
	struct release *v = NULL;
	unsigned *vs = NULL;
	size_t i, nv = 0;
	char *root;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if ((root = root_of(st, e)) == NULL)
		return -1;
	if (scan(root, false, &vs, &nv, e) == -1)
		goto out;
	if (nv > 0 && (v = calloc(nv, sizeof *v)) == NULL) {
		errf(e, "%s: out of memory", root);
		goto out;
	}
	for (i = 0; i < nv; i++)
		if (load(root, vs[i], &v[i], e) == -1) {
			release_list_free(v, i);
			goto out;
		}
	*out = v;
	*n = nv;
	rc = 0;
out:
	free(vs);
	free(root);
	return rc;
}

int
release_get(struct appstate *st, unsigned version, struct release *out,
    struct errbuf *e)
{
	unsigned *vs = NULL;
	size_t i, nv = 0;
	char *root;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if ((root = root_of(st, e)) == NULL)
		return -1;
	if (scan(root, false, &vs, &nv, e) == -1)
		goto out;
	if (nv == 0) {
		errf(e, "%s has no releases yet", st->name);
		rc = RELEASE_NONE;
		goto out;
	}
	if (version == 0)
		version = vs[0];
	for (i = 0; i < nv && vs[i] != version; i++)
		;
	if (i == nv) {
		errf(e, "%s has no release v%u (the current one is v%u)",
		    st->name, version, vs[0]);
		rc = RELEASE_UNKNOWN;
		goto out;
	}
	rc = load(root, version, out, e);
out:
	free(vs);
	free(root);
	return rc;
}

int
release_usable(const struct release *r, struct errbuf *e)
{
	if (r->corrupt != NULL) {
		errf(e, "v%u is corrupt: %s", r->version, r->corrupt);
		return RELEASE_CORRUPT;
	}
	if (r->pruned) {
		errf(e,
		    "v%u's slug was pruned (%s keeps the newest slugs); "
		    "its release stays listed",
		    r->version, RELEASE_SLUGS_ENV);
		return RELEASE_PRUNED;
	}
	return 0;
}

int
release_config(const struct release *r, struct envdir **out, struct errbuf *e)
{
	char *p;
	int got;

	*out = NULL;
	if ((p = release_path(r, "config.yml", e)) == NULL)
		return -1;
	got = appstate_read_map(p, out, e);
	if (got == 1) {
		envdir_free(*out);
		*out = NULL;
		errf(e, "%s: missing", p);
	}
	free(p);
	return got == 0 ? 0 : -1;
}

/* Now as "2026-12-06T01:53:27Z" into buf (32 bytes). */
static int
now_utc(char buf[32], struct errbuf *e)
{
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return errf(e, "the time now cannot be written");
	return 0;
}

static int
fsync_dir(const char *dir, struct errbuf *e)
{
	int fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errf(e, "open %s:", dir);
	if (fsync(fd) == -1)
		rc = errf(e, "fsync %s:", dir);
	close(fd);
	return rc;
}

/* Copies src to dst (new, 0600), hashing it on the way, and fsyncs dst.
 * Used when src is on another file system than the state. */
static int
copy_slug(const char *src, const char *dst, char sha[DIGEST_HEX_SIZE],
    struct errbuf *e)
{
	static const size_t bufsz = 1 << 20;
	struct digest *d = NULL;
	char *buf = NULL;
	int in, out = -1, rc = -1;
	ssize_t r;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1)
		return errf(e, "open %s:", src);
	if ((out = open(dst,
		 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) ==
	    -1) {
		errf(e, "create %s:", dst);
		goto out;
	}
	if ((buf = malloc(bufsz)) == NULL) {
		errf(e, "copy %s: out of memory", src);
		goto out;
	}
	if ((d = digest_new(e)) == NULL)
		goto out;
	while ((r = read(in, buf, bufsz)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			errf(e, "read %s:", src);
			goto out;
		}
		if (digest_update(d, buf, (size_t)r, e) == -1)
			goto out;
		if (fs_write_all(out, buf, (size_t)r) == -1) {
			errf(e, "write %s:", dst);
			goto out;
		}
	}
	if (fsync(out) == -1) {
		errf(e, "write %s:", dst);
		goto out;
	}
	rc = digest_final_hex(d, sha, e);
out:
	if (out >= 0 && close(out) == -1 && rc == 0)
		rc = errf(e, "write %s:", dst);
	close(in);
	digest_free(d);
	free(buf);
	return rc;
}

/* Puts the slug src at dst: a hard link on the same file system, else a
 * copy.  sha gets its sha256 unless known is given (then it is copied). */
static int
put_slug(const char *src, const char *dst, const char *known,
    char sha[DIGEST_HEX_SIZE], struct errbuf *e)
{
	struct stat sb;

	if (lstat(src, &sb) == -1)
		return errf(e, "slug %s:", src);
	if (!S_ISREG(sb.st_mode))
		return errf(e, "slug %s: not a regular file", src);
	if (link(src, dst) == -1) {
		if (errno != EXDEV && errno != EPERM && errno != EMLINK)
			return errf(e, "link %s to %s:", src, dst);
		if (known == NULL)
			return copy_slug(src, dst, sha, e);
		if (copy_slug(src, dst, sha, e) == -1)
			return -1;
	} else if (known == NULL)
		return digest_file_hex(dst, sha, e);
	snprintf(sha, DIGEST_HEX_SIZE, "%s", known);
	return 0;
}

/* Copies the release YAML at src (NULL: an empty mapping) to dst, after
 * checking it is a YAML mapping. */
static int
put_yml(const char *src, const char *dst, struct errbuf *e)
{
	size_t len;
	char *buf;
	int rc;

	if (src == NULL)
		return appstate_write_file(dst, "--- {}\n", 7, 0600, e);
	if (check_yml(src, e) == -1)
		return -1;
	if ((buf = fs_read_file(src, MANIFEST_MAX, &len, e)) == NULL)
		return -1;
	rc = appstate_write_file(dst, buf, len, 0600, e);
	free(buf);
	return rc;
}

/* The sources of a new release: where its slug and release.yml come
 * from, and the config vars it gets. */
struct sources {
	const char *slug, *sha256, *yml;
	const struct envdir *config;
	struct release from; /* with slug_of */
	char *from_slug, *from_yml;
	struct envdir *own_config; /* read from config.yml */
};

static void
sources_free(struct sources *s)
{
	release_clear(&s->from);
	free(s->from_slug);
	free(s->from_yml);
	envdir_free(s->own_config);
}

/* Fills s from in (the caller holds the lock). */
static int
sources_get(struct appstate *st, const struct release_new *in,
    struct sources *s, struct errbuf *e)
{
	int rc;

	memset(s, 0, sizeof *s);
	s->slug = in->slug;
	s->sha256 = in->sha256;
	s->yml = in->release_yml;
	if (s->sha256 != NULL && !digest_hex_valid(s->sha256))
		return errf(e, "slug %s: bad sha256 given", in->slug);
	if (in->slug == NULL) {
		if ((rc = release_get(st, in->slug_of, &s->from, e)) != 0)
			return rc;
		if ((rc = release_usable(&s->from, e)) != 0)
			return rc;
		if ((s->from_slug = release_path(&s->from, "slug.tgz", e)) ==
			NULL ||
		    (s->from_yml = release_path(&s->from, "release.yml", e)) ==
			NULL)
			return -1;
		s->slug = s->from_slug;
		s->sha256 = s->from.sha256;
		s->yml = s->from_yml;
	}
	s->config = in->config;
	if (s->config == NULL) {
		if (appstate_config_read(st, &s->own_config, e) == -1)
			return -1;
		s->config = s->own_config;
	}
	return 0;
}

/* Writes meta.yml into dir. */
static int
write_meta(const char *dir, unsigned version, const struct release_new *in,
    uint64_t size, const char *sha, struct errbuf *e)
{
	char num[24], when[32], *path = NULL;
	struct envdir *m;
	int rc = -1;

	if ((m = envdir_new()) == NULL ||
	    (path = fs_join(dir, "meta.yml")) == NULL) {
		errf(e, "%s: out of memory", dir);
		goto out;
	}
	if (now_utc(when, e) == -1)
		goto out;
	snprintf(num, sizeof num, "%u", version);
	if (envdir_set(m, "version", num, e) == -1 ||
	    envdir_set(m, "created", when, e) == -1 ||
	    envdir_set(m, "commit", in->commit ? in->commit : "", e) == -1 ||
	    envdir_set(m, "description", in->description ? in->description : "",
		e) == -1 ||
	    envdir_set(m, "slug_sha256", sha, e) == -1)
		goto out;
	snprintf(num, sizeof num, "%" PRIu64, size);
	if (envdir_set(m, "slug_size", num, e) == -1)
		goto out;
	rc = appstate_write_map(path, m, e);
out:
	free(path);
	envdir_free(m);
	return rc;
}

/* Fills the new release's directory tmp from s. */
static int
fill(const char *tmp, unsigned version, const struct release_new *in,
    const struct sources *s, struct errbuf *e)
{
	char sha[DIGEST_HEX_SIZE], *p;
	struct stat sb;
	int rc;

	if ((p = fs_join(tmp, "slug.tgz")) == NULL)
		return errf(e, "%s: out of memory", tmp);
	rc = put_slug(s->slug, p, s->sha256, sha, e);
	if (rc == 0 && lstat(p, &sb) == -1)
		rc = errf(e, "stat %s:", p);
	free(p);
	if (rc == -1)
		return -1;
	if ((p = fs_join(tmp, "release.yml")) == NULL)
		return errf(e, "%s: out of memory", tmp);
	rc = put_yml(s->yml, p, e);
	free(p);
	if (rc == -1)
		return -1;
	if ((p = fs_join(tmp, "config.yml")) == NULL)
		return errf(e, "%s: out of memory", tmp);
	rc = appstate_write_map(p, s->config, e);
	free(p);
	if (rc == -1)
		return -1;
	/* meta.yml last: appstate_write_file fsyncs tmp, link included. */
	return write_meta(tmp, version, in, (uint64_t)sb.st_size, sha, e);
}

/* Builds release version in a new .new-* in root and renames it to vN. */
static int
publish(const char *root, unsigned version, const struct release_new *in,
    const struct sources *s, struct errbuf *e)
{
	char name[16], *tmp, *dst = NULL;
	struct errbuf ignore;
	int rc = -1;
	bool renamed = false;

	if ((tmp = fs_mkdtemp(root, NEW_PREFIX, e)) == NULL)
		return -1;
	snprintf(name, sizeof name, "v%u", version);
	if ((dst = fs_join(root, name)) == NULL) {
		errf(e, "%s: out of memory", root);
		goto out;
	}
	if (fill(tmp, version, in, s, e) == -1)
		goto out;
	/* rename(2) onto an existing empty directory would succeed: make
	 * sure vN is new (we hold the lock, so it stays so). */
	if (fs_exists(dst)) {
		errf(e, "%s: exists already", dst);
		goto out;
	}
	if (rename(tmp, dst) == -1) {
		errf(e, "rename %s to %s:", tmp, dst);
		goto out;
	}
	renamed = true;
	rc = 0;
	/* Published: a failed fsync now cannot undo that, only warn. */
	if (fsync_dir(root, &ignore) == -1)
		err_warnf(in->warn, in->warn_arg, "%s", ignore.msg);
out:
	if (!renamed)
		(void)fs_rm_rf(tmp, &ignore);
	free(tmp);
	free(dst);
	return rc;
}

/* Creates under the lock; the caller prunes. */
static int
create_locked(struct appstate *st, const struct release_new *in,
    unsigned *version, struct errbuf *e)
{
	struct sources s;
	unsigned *vs = NULL, next;
	size_t nv;
	char *root;
	int rc;

	if ((root = root_of(st, e)) == NULL)
		return -1;
	if ((rc = fs_mkdir_p(root, 0700, e)) == -1 ||
	    (rc = scan(root, true, &vs, &nv, e)) == -1)
		goto out;
	if (nv > 0 && vs[0] >= VERSION_MAX) {
		rc = errf(e, "%s: no version left after v%u", root, vs[0]);
		goto out;
	}
	next = nv > 0 ? vs[0] + 1 : 1;
	rc = sources_get(st, in, &s, e);
	if (rc == 0)
		rc = publish(root, next, in, &s, e);
	sources_free(&s);
	if (rc == 0 && version != NULL)
		*version = next;
out:
	free(vs);
	free(root);
	return rc;
}

int
release_create(struct appstate *st, const struct release_new *in,
    unsigned *version, struct errbuf *e)
{
	struct errbuf pe;
	unsigned keep;
	int rc;

	if (in->slug != NULL && in->slug_of != 0)
		return errf(e, "release: both a slug and a version given");
	if (release_keep_slugs(&keep, e) == -1)
		return -1;
	if (appstate_lock(st, e) == -1)
		return -1;
	rc = create_locked(st, in, version, e);
	if (rc == 0 && release_prune(st, keep, NULL, &pe) == -1)
		err_warnf(in->warn, in->warn_arg, "pruning old slugs: %s",
		    pe.msg);
	appstate_unlock(st);
	return rc;
}

/* Marks r pruned in its meta.yml, then removes its slug. */
static int
prune_one(const struct release *r, struct errbuf *e)
{
	struct envdir *meta = NULL;
	char when[32], *mp, *sp = NULL;
	int rc = -1;

	if ((mp = release_path(r, "meta.yml", e)) == NULL ||
	    (sp = release_path(r, "slug.tgz", e)) == NULL)
		goto out;
	if (now_utc(when, e) == -1 || appstate_read_map(mp, &meta, e) != 0 ||
	    envdir_set(meta, "pruned", when, e) == -1 ||
	    appstate_write_map(mp, meta, e) == -1)
		goto out;
	if (unlink(sp) == -1 && errno != ENOENT) {
		errf(e, "remove %s:", sp);
		goto out;
	}
	rc = 0;
out:
	envdir_free(meta);
	free(mp);
	free(sp);
	return rc;
}

/* Whether sha is one of the n in kept. */
static bool
kept_has(char (*kept)[DIGEST_HEX_SIZE], size_t n, const char *sha)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(kept[i], sha) == 0)
			return true;
	return false;
}

static int
prune_locked(struct appstate *st, unsigned keep, size_t *removed,
    struct errbuf *e)
{
	char(*kept)[DIGEST_HEX_SIZE] = NULL;
	struct release *v = NULL;
	size_t i, n = 0, nk = 0;
	int rc = -1;

	if (release_list(st, &v, &n, e) == -1)
		return -1;
	if (n > 0 && (kept = calloc(n, sizeof *kept)) == NULL) {
		errf(e, "%s: out of memory", st->dir);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (v[i].corrupt != NULL || v[i].pruned)
			continue;
		if (kept_has(kept, nk, v[i].sha256))
			continue;
		if (nk < keep) {
			snprintf(kept[nk++], DIGEST_HEX_SIZE, "%s",
			    v[i].sha256);
			continue;
		}
		if (prune_one(&v[i], e) == -1)
			goto out;
		if (removed != NULL)
			(*removed)++;
	}
	rc = 0;
out:
	free(kept);
	release_list_free(v, n);
	return rc;
}

int
release_prune(struct appstate *st, unsigned keep, size_t *removed,
    struct errbuf *e)
{
	int rc;

	if (removed != NULL)
		*removed = 0;
	if (keep < 1)
		return errf(e, "release_prune: keep must be at least 1");
	if (appstate_lock(st, e) == -1)
		return -1;
	rc = prune_locked(st, keep, removed, e);
	appstate_unlock(st);
	return rc;
}

/* Picks the release to roll back to into *target. */
static int
rollback_target(struct appstate *st, unsigned version, struct release *target,
    struct errbuf *e)
{
	struct release cur;
	int rc;

	memset(target, 0, sizeof *target);
	if ((rc = release_get(st, 0, &cur, e)) != 0)
		return rc;
	if (version == 0 && cur.version == 1) {
		release_clear(&cur);
		errf(e, "%s has only v1: nothing to roll back to", st->name);
		return RELEASE_NONE;
	}
	if (version == 0)
		version = cur.version - 1;
	release_clear(&cur);
	if ((rc = release_get(st, version, target, e)) != 0)
		return rc;
	return release_usable(target, e);
}

static int
rollback_locked(struct appstate *st, unsigned version, unsigned *from,
    unsigned *newv, struct errbuf *e)
{
	struct release_new in = {0};
	struct release target;
	struct envdir *cfg = NULL;
	char desc[40];
	int rc;

	if ((rc = rollback_target(st, version, &target, e)) != 0)
		goto out;
	if ((rc = release_config(&target, &cfg, e)) != 0)
		goto out;
	snprintf(desc, sizeof desc, "Rollback to v%u", target.version);
	in.slug_of = target.version;
	in.config = cfg;
	in.commit = target.commit;
	in.description = desc;
	if ((rc = release_create(st, &in, newv, e)) != 0)
		goto out;
	/* The release is made: now the app's config.yml follows it. */
	if ((rc = appstate_config_write(st, cfg, e)) != 0)
		goto out;
	if (from != NULL)
		*from = target.version;
out:
	envdir_free(cfg);
	release_clear(&target);
	return rc;
}

int
release_rollback(struct appstate *st, unsigned version, unsigned *from,
    unsigned *newv, struct errbuf *e)
{
	int rc;

	if (appstate_lock(st, e) == -1)
		return -1;
	rc = rollback_locked(st, version, from, newv, e);
	appstate_unlock(st);
	return rc;
}
