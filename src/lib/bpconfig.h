/* bpconfig.h - a buildpack's own config, its buildpack.yml (the runtimes it
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
#ifndef SLUGC_BPCONFIG_H
#define SLUGC_BPCONFIG_H

#include <stddef.h>

#include "err.h"

/* Largest buildpack.yml bpconfig_read() accepts. */
#define BPCONFIG_MAX (1024 * 1024)

struct bpconfig_version {
	char *version; /* [A-Za-z0-9._+-]+, unique */
	char *url;     /* non-empty, as written */
	char *sha256;  /* 64 hex digits, lowercased */
	size_t line;   /* where the version is declared, from 1 */
};

/* Read the fields freely. */
struct bpconfig {
	char *name;			   /* file name used in messages */
	char *default_version;		   /* always one of versions */
	struct bpconfig_version *versions; /* in file order, at least one */
	size_t nversions;
};

/* Reads and checks the file at path (at most BPCONFIG_MAX bytes).  Returns
 * 0 with *out set (the caller frees it with bpconfig_free()), or -1 with
 * *out NULL and e holding "PATH:LINE: problem". */
int bpconfig_read(const char *path, struct bpconfig **out, struct errbuf *e);

/* The same on len bytes of buf (need not be NUL-terminated); name is used
 * in messages.  No I/O, no global state: safe to fuzz. */
int bpconfig_parse(const char *buf, size_t len, const char *name,
    struct bpconfig **out, struct errbuf *e);

/* Returns the entry of version (NULL version: the default one); the entry
 * belongs to cfg.  An unknown version gives NULL and e = "NAME: no RUNTIME
 * version X (known: A, B)", RUNTIME being runtime ("Mono"; NULL: none). */
const struct bpconfig_version *bpconfig_lookup(const struct bpconfig *cfg,
    const char *runtime, const char *version, struct errbuf *e);

/* Fills buf (size > 8) with cfg's versions, "A, B, C", in file order
 * (", ..." when they do not all fit). */
void bpconfig_known(const struct bpconfig *cfg, char *buf, size_t size);

/* Returns cfg's default version (belongs to cfg). */
const char *bpconfig_default_version(const struct bpconfig *cfg);

/* Frees cfg.  NULL is fine. */
void bpconfig_free(struct bpconfig *cfg);

/* The buildpack the running program belongs to (it is BUILDPACK/bin/NAME),
 * where buildpack.yml and the export file live: malloc'd, or NULL with e
 * filled. */
char *bpconfig_buildpack_dir(struct errbuf *e);

#endif
