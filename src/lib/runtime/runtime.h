/* runtime/runtime.h - which runtime an app gets, and putting it in the
 * app: one install for any runtime, parameterised by a struct runtime_kind.
 *
 * The words of this folder, one name a thing:
 *   kind        what tells one runtime from another: Mono, Node.js
 *               (struct runtime_kind, kinds.c)
 *   versions    the versions a buildpack knows, each a tarball's URL and
 *               sha256, and its default: the buildpack's buildpack.yml,
 *               and this machine's buildpack.local.yml beside it
 *               (struct runtime_versions, versions.h)
 *   spec        the one version an app gets: from the config vars, a
 *               semver range or the versions (struct runtime_spec,
 *               runtime_resolve, resolve.c)
 *   tarball     the archive at a spec's URL
 *   download    fetching a tarball, hashing and unpacking it in one pass
 *               into a new directory (runtime_download, download.h)
 *   downloader  the download functions as one table: linked, or loaded
 *               from slugc-install.so on a cache miss (struct
 *               runtime_downloader, downloader.h)
 *   cache entry a downloaded runtime kept in CACHE_DIR/<ns>/<key>, sealed
 *               by <key>.ok (struct runtime_cache_entry, cache.h)
 *   place       putting a cache entry into the app by hard links
 *               (runtime_cache_place)
 *   install     making the app's directory hold a spec's runtime: placed
 *               from the cache, downloaded into it first on a miss
 *               (runtime_install, install.c; install_log.h writes it
 *               to the log)
 *
 * The tarball comes from <PREFIX>_URL + <PREFIX>_SHA256 when set, else from
 * the buildpack's buildpack.yml (<PREFIX>_VERSION, else the highest version
 * a semver range such as engines.node allows, else its default version).
 * It is installed once into the build cache (keyed by stack, version and
 * sha256 under the kind's namespace, see cache.h), then placed in the app;
 * without a usable cache it is installed straight into the app. */
#ifndef SLUGC_RUNTIME_RUNTIME_H
#define SLUGC_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "envdir.h"
#include "err.h"
#include "stopflag.h"

/* What tells one runtime from another; the rest of the install is common. */
struct runtime_kind {
	const char *name; /* "Mono": the log's topic and messages */
	const char
	    *var_prefix;      /* "MONO": MONO_URL, MONO_SHA256, MONO_VERSION */
	const char *cache_ns; /* "mono": its entries in CACHE_DIR/mono/ */
	const char *prefix;   /* "vendor/mono": where it goes in BUILD_DIR */
	const char *local_from; /* what writes buildpack.local.yml, for the log:
	                           "make runtime" */
};

#define RUNTIME_MONO_PREFIX "vendor/mono"
#define RUNTIME_NODE_PREFIX ".heroku/node"

extern const struct runtime_kind runtime_mono, runtime_node;

struct runtime_spec {
	char *version; /* from buildpack.yml, <PREFIX>_VERSION, or "custom" */
	char *url;
	char *sha256; /* 64 lowercase hex digits */
	bool local;   /* from this machine's buildpack.local.yml */
	const struct runtime_kind *kind; /* set by runtime_resolve; never NULL
	                                    when installing */
};

/* Which runtime to resolve, and from where. */
struct runtime_want {
	const struct runtime_kind *kind;
	const struct envdir *vars; /* the config vars */
	/* A semver range (npm's rules, semver.h) the version must satisfy,
	 * the highest match winning; NULL: the default version.  The
	 * <PREFIX>_VERSION config var wins over it. */
	const char *range;
	const char *range_from;	   /* the range's origin, for messages:
	                           "package.json engines.node" */
	const char *versions_path; /* the buildpack's buildpack.yml */
	const char *local_path;	   /* buildpack.local.yml, or NULL */
};

/* Fills rs from the config vars and the buildpack.yml at w->versions_path
 * (read only when <PREFIX>_URL is not set).  When w->local_path names a
 * file that exists, a version it lists (and that the version var or range
 * asks for) wins over buildpack.yml's: `make runtime` and `make install`
 * write one beside buildpack.yml, pointing at the tarballs this machine
 * packed (file:// URLs), so a local build needs no <PREFIX>_URL.  Errors
 * name the config var, the file and line, or the range ("package.json
 * engines.node '>=99' matches no Node.js version known (18.20.8, 20.20.2)").
 * rs is freed with runtime_spec_free, even on failure. */
int runtime_resolve(const struct runtime_want *w, struct runtime_spec *rs,
    struct errbuf *e);

void runtime_spec_free(struct runtime_spec *rs);

/* What runtime_install tells its caller while it works, for the log. */
enum runtime_event {
	RUNTIME_EV_CACHE_WAIT,	   /* detail: NULL; another build holds the
	                           cache's lock */
	RUNTIME_EV_CACHE_HIT,	   /* detail: NULL */
	RUNTIME_EV_CACHE_UNUSABLE, /* detail: why; installing without a cache */
	RUNTIME_EV_CACHE_DAMAGED,  /* detail: what is wrong; fetching again */
	RUNTIME_EV_DOWNLOAD,	   /* detail: the URL, credentials removed */
};

struct runtime_downloader; /* downloader.h */

struct runtime_install {
	const char *cache_dir;
	const char *stack;
	const char *dest;	   /* e.g. BUILD_DIR/vendor/mono */
	const char *note;	   /* runtime_install_logged logs it under the
	                              topic (why this version); may be NULL */
	const struct envdir *vars; /* AWS_* and S3_ENDPOINT for s3:// */
	void (*event)(void *arg, enum runtime_event ev, const char *detail);
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *arg;	      /* passed to event and progress */
	const stopflag *stop; /* interrupts a download */
	/* What downloads, verifies and unpacks on a cache miss: NULL loads
	 * slugc-install.so from beside the running executable then, and only
	 * then (downloader.h); &runtime_downloader_linked uses the linked
	 * modules (whose global_init the caller has called). */
	const struct runtime_downloader *downloader;
	/* When not NULL, set on failure: the local file system's error that
	 * failed the install (ENOSPC, EIO... writing dest: compile's exit 4),
	 * or 0 when the runtime could not be downloaded, verified or
	 * unpacked (exit 3). */
	int *local_errno;
};

/* Makes dest hold the runtime rs describes: replaces whatever dest held,
 * takes it from the cache when sealed there and intact (hard links, checked
 * against the seal as they are made), otherwise downloads, verifies and
 * installs it into the cache first.  A cache that cannot be used, or that
 * fails on writing (full, failing, or what was written does not read back:
 * RUNTIME_EV_CACHE_UNUSABLE), is done without: its entry is discarded and the
 * runtime goes straight into dest.  On failure dest does not exist and the
 * cache holds nothing partial; e names the URL without credentials, the
 * path that could not be written, or the downloader's shared object when it
 * cannot be loaded. */
int runtime_install(const struct runtime_spec *rs,
    const struct runtime_install *ri, struct errbuf *e);

#endif
