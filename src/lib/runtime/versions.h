/* runtime/versions.h - the runtime versions a buildpack knows, its
 * buildpack.yml (the runtimes it
 * knows; buildpacks/mono/buildpack.yml, buildpacks/nodejs/buildpack.yml):
 *
 *	default_version: "6.8.0"
 *	versions:
 *	  "6.8.0":
 *	    url: "https://example-bucket.s3.amazonaws.com/mono-6.8.0.tar.gz"
 *	    sha256: "<64 hex digits>"
 *
 * Read with libyaml.  Unknown keys are ignored (room to grow); everything
 * the buildpack needs is checked at load time, so a bad file fails the
 * build with "buildpack.yml:7: ..." before any download. */
#ifndef SLUGC_RUNTIME_VERSIONS_H
#define SLUGC_RUNTIME_VERSIONS_H

#include <stddef.h>

#include "err.h"

/* Largest buildpack.yml runtime_versions_read() accepts. */
#define RUNTIME_VERSIONS_MAX (1024 * 1024)

struct runtime_version {
	char *version; /* [A-Za-z0-9._+-]+, unique */
	char *url;     /* non-empty, as written */
	char *sha256;  /* 64 hex digits, lowercased */
	size_t line;   /* where the version is declared, from 1 */
};

/* Read the fields freely. */
struct runtime_versions {
	char *name;			  /* file name used in messages */
	char *default_version;		  /* always one of versions */
	struct runtime_version *versions; /* in file order, at least one */
	size_t nversions;
};

/* Reads and checks the file at path (at most RUNTIME_VERSIONS_MAX bytes).
 * Returns 0 with *out set (the caller frees it with runtime_versions_free()),
 * or -1 with *out NULL and e holding "PATH:LINE: problem". */
int runtime_versions_read(const char *path, struct runtime_versions **out,
    struct errbuf *e);

/* The same on len bytes of buf (need not be NUL-terminated); name is used
 * in messages.  No I/O, no global state: safe to fuzz. */
int runtime_versions_parse(const char *buf, size_t len, const char *name,
    struct runtime_versions **out, struct errbuf *e);

/* Returns the entry of version (NULL version: the default one); the entry
 * belongs to cfg.  An unknown version gives NULL and e = "NAME: no RUNTIME
 * version X (known: A, B)", RUNTIME being runtime ("Mono"; NULL: none). */
const struct runtime_version *
runtime_versions_lookup(const struct runtime_versions *cfg, const char *runtime,
    const char *version, struct errbuf *e);

/* Fills buf (size > 8) with cfg's versions, "A, B, C", in file order
 * (", ..." when they do not all fit). */
void runtime_versions_known(const struct runtime_versions *cfg, char *buf,
    size_t size);

/* Returns cfg's default version (belongs to cfg). */
const char *runtime_versions_default(const struct runtime_versions *cfg);

/* Frees cfg.  NULL is fine. */
void runtime_versions_free(struct runtime_versions *cfg);

/* The buildpack the running program belongs to (it is BUILDPACK/bin/NAME),
 * where buildpack.yml and the export file live: malloc'd, or NULL with e
 * filled. */
char *runtime_buildpack_dir(struct errbuf *e);

#endif
