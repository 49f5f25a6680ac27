/* fuzz_runtime_versions.c - runtime_versions_parse on arbitrary bytes.
 *
 * Invariants: a failure leaves *out NULL and a one-line message naming the
 * file; a parsed config has at least one version, every version name is
 * [A-Za-z0-9._+-]+ and unique, every url non-empty, every sha256 64
 * lowercase hex digits, and the default version is one of the versions
 * (runtime_versions_lookup finds it, and finds every version by its name). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "runtime/versions.h"

#define BP "fuzz_runtime_versions"

static bool
bp_version_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
			*s == '+' || *s == '-'))
			return false;
	return true;
}

static bool
bp_sha256_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

static int
bp_check(const struct runtime_versions *cfg)
{
	const struct runtime_version *v, *dv;
	struct errbuf e;
	size_t i, j;

	if (cfg->nversions == 0 || cfg->versions == NULL)
		return fuzz_fail(BP, "no versions");
	for (i = 0; i < cfg->nversions; i++) {
		v = &cfg->versions[i];
		if (v->version == NULL || !bp_version_ok(v->version))
			return fuzz_fail(BP, "version #%zu: bad name", i + 1);
		if (v->url == NULL || v->url[0] == '\0')
			return fuzz_fail(BP, "version %s: no url", v->version);
		if (v->sha256 == NULL || !bp_sha256_ok(v->sha256))
			return fuzz_fail(BP,
			    "version %s: sha256 '%s' is not "
			    "64 lowercase hex digits",
			    v->version, v->sha256 ? v->sha256 : "(null)");
		if (v->line == 0)
			return fuzz_fail(BP, "version %s: line 0", v->version);
		for (j = 0; j < i; j++)
			if (strcmp(cfg->versions[j].version, v->version) == 0)
				return fuzz_fail(BP, "version %s twice",
				    v->version);
		if (runtime_versions_lookup(cfg, NULL, v->version, &e) != v)
			return fuzz_fail(BP, "lookup(%s) is not its entry",
			    v->version);
	}
	if (cfg->default_version == NULL ||
	    runtime_versions_default(cfg) != cfg->default_version)
		return fuzz_fail(BP, "no default version");
	if ((dv = runtime_versions_lookup(cfg, NULL, NULL, &e)) == NULL)
		return fuzz_fail(BP, "default version %s is not a version: %s",
		    cfg->default_version, e.msg);
	if (strcmp(dv->version, cfg->default_version) != 0)
		return fuzz_fail(BP, "lookup(NULL) gives %s, default is %s",
		    dv->version, cfg->default_version);
	/* A name no version can have: the message must stay one line. */
	if (runtime_versions_lookup(cfg, NULL, "no such/version", &e) != NULL ||
	    fuzz_multiline(e.msg))
		return fuzz_fail(BP, "lookup of an unknown version: %s", e.msg);
	return 0;
}

int
fuzz_runtime_versions_one(const uint8_t *data, size_t size)
{
	struct runtime_versions *cfg = NULL;
	struct errbuf e;
	int rc = -1;

	e.msg[0] = '\0';
	if (runtime_versions_parse((const char *)data, size, "buildpack.yml",
		&cfg, &e) == -1) {
		if (cfg != NULL)
			fuzz_fail(BP, "failed but *out is set");
		else if (strncmp(e.msg, "buildpack.yml", 13) != 0 ||
		    fuzz_multiline(e.msg))
			fuzz_fail(BP,
			    "error message is not one "
			    "'buildpack.yml' line: %s",
			    e.msg);
		else
			rc = 0;
		goto out;
	}
	if (cfg == NULL) {
		fuzz_fail(BP, "succeeded with *out NULL");
		goto out;
	}
	rc = bp_check(cfg);
out:
	runtime_versions_free(cfg);
	return rc;
}

#ifndef FUZZ_NO_MAIN
FUZZ_MAIN(fuzz_runtime_versions_one)
#endif
