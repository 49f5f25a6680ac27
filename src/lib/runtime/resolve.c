/* runtime/resolve.c - which runtime an app gets: the spec, from the config
 * vars, a semver range or the buildpack's versions (runtime.h). */
#include "runtime/runtime.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "fsutil.h"
#include "runtime/versions.h"
#include "semver.h"

/* Version labels end up in cache keys and the log. */
static bool
valid_label(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
			    "YZ"
			    "0123456789_.+-",
			*s))
			return false;
	return true;
}

static char *
lowercase(char *s)
{
	for (char *p = s; p != NULL && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

/* The config var <PREFIX>_WHAT, in buf. */
static const char *
var(char buf[64], const struct runtime_kind *k, const char *what)
{
	snprintf(buf, 64, "%s_%s", k->var_prefix, what);
	return buf;
}

/* The entry of cfg that w asks for: the version var's, else the highest
 * that w->range allows, else the default.  NULL when there is none, e
 * (may be NULL) saying why. */
static const struct runtime_version *
pick(const struct runtime_want *w, const struct runtime_versions *cfg,
    const char *version, struct errbuf *e)
{
	char known[ERRBUF_MAX / 2], shown[104];
	const char **names;
	struct errbuf why = {""};
	long i;

	if (version != NULL || w->range == NULL)
		return runtime_versions_lookup(cfg, w->kind->name, version, e);
	if ((names = calloc(cfg->nversions, sizeof *names)) == NULL) {
		errf(e, "runtime:");
		return NULL;
	}
	for (size_t j = 0; j < cfg->nversions; j++)
		names[j] = cfg->versions[j].version;
	i = semver_max_satisfying(w->range, names, cfg->nversions, &why);
	free(names);
	if (i >= 0)
		return &cfg->versions[i];
	if (i == SEMVER_NOMATCH) {
		runtime_versions_known(cfg, known, sizeof known);
		err_printable(shown, sizeof shown, w->range, strlen(w->range));
		errf(e, "%s '%s' matches no %s version known (%s: %s)",
		    w->range_from ? w->range_from : "range", shown,
		    w->kind->name, cfg->name, known);
	} else {
		errf(e, "%s: %s", w->range_from ? w->range_from : "range",
		    why.msg);
	}
	return NULL;
}

int
runtime_resolve(const struct runtime_want *w, struct runtime_spec *rs,
    struct errbuf *e)
{
	char nurl[64], nsha[64], nver[64];
	const struct runtime_kind *k = w->kind;
	const char *url = envdir_get(w->vars, var(nurl, k, "URL"));
	const char *sha = envdir_get(w->vars, var(nsha, k, "SHA256"));
	const char *version = envdir_get(w->vars, var(nver, k, "VERSION"));
	const struct runtime_version *v;
	struct runtime_versions *cfg = NULL;
	int rc = -1;

	rs->version = rs->url = rs->sha256 = NULL;
	rs->local = false;
	rs->kind = k;
	if (version != NULL && !valid_label(version))
		return errf(e,
		    "%s must be letters, digits, '.', "
		    "'_', '+' or '-'",
		    nver);
	if (url != NULL) {
		if (sha == NULL)
			return errf(e,
			    "%s is set but %s is not: "
			    "set it to the tarball's sha256",
			    nurl, nsha);
		if (!digest_hex_valid(sha))
			return errf(e, "%s is not 64 hexadecimal digits", nsha);
		if ((rs->url = strdup(url)) == NULL ||
		    (rs->sha256 = lowercase(strdup(sha))) == NULL ||
		    (rs->version = strdup(version ? version : "custom")) ==
			NULL)
			return errf(e, "runtime:");
		return 0;
	}
	if (sha != NULL)
		return errf(e, "%s is set but %s is not", nsha, nurl);
	if (w->local_path != NULL && fs_exists(w->local_path)) {
		if (runtime_versions_read(w->local_path, &cfg, e) == -1)
			return -1;
		/* This machine's runtime, unless another version is asked
		 * for than it has. */
		if ((v = pick(w, cfg, version, NULL)) != NULL) {
			rs->local = true;
			goto found;
		}
		runtime_versions_free(cfg);
		cfg = NULL;
	}
	if (runtime_versions_read(w->versions_path, &cfg, e) == -1)
		return -1;
	if ((v = pick(w, cfg, version, e)) == NULL)
		goto out;
found:
	if ((rs->url = strdup(v->url)) == NULL ||
	    (rs->sha256 = lowercase(strdup(v->sha256))) == NULL ||
	    (rs->version = strdup(v->version)) == NULL) {
		errf(e, "runtime:");
		goto out;
	}
	rc = 0;
out:
	runtime_versions_free(cfg);
	return rc;
}

void
runtime_spec_free(struct runtime_spec *rs)
{
	if (rs == NULL)
		return;
	free(rs->version);
	free(rs->url);
	free(rs->sha256);
	rs->version = rs->url = rs->sha256 = NULL;
}
