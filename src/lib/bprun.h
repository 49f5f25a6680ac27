/* bprun.h - the buildpack runner: finds buildpacks, gives each a copy and a
 * cache of its own, and runs their detect, compile and release over a build
 * directory as a platform does (Heroku's buildpack API):
 *
 *	bin/detect BUILD_DIR                      name on stdout, 0: applies
 *	bin/compile BUILD_DIR CACHE_DIR ENV_DIR   the build log on stdout
 *	bin/release BUILD_DIR                     release YAML on stdout
 *
 * Every child gets an argv, the environment bprun_env made, BUILD_DIR as
 * its working directory and keep_fd.  Nothing here prints: compile's output
 * goes to our stdout as it comes, the rest is reported through an event
 * callback, an outcome and an error buffer. */
#ifndef SLUGC_BPRUN_H
#define SLUGC_BPRUN_H

#include <stdbool.h>
#include <stddef.h>

#include "envv.h"
#include "err.h"
#include "manifest.h"

struct bprun_bp {
	char *src;   /* as given or found */
	char *dir;   /* our copy, where it runs (bprun_place) */
	char *cache; /* its CACHE_DIR */
	char *name;  /* what its detect printed (its directory's name when
			that was nothing); NULL before */
	bool used;   /* compiled: its export and its release count */
};

enum bprun_event {
	BPRUN_DETECTED, /* bp's detect took the app; its compile is next */
	BPRUN_REFUSED	/* a given buildpack's detect did not */
};

typedef void bprun_event_fn(void *arg, enum bprun_event ev,
    const struct bprun_bp *bp);

struct bprun {
	struct bprun_bp *bps;
	size_t nbps;
	bool given; /* bprun_add: every one must detect the app and they
		       all run, in order; bprun_scan: the first that
		       detects it runs alone */
	/* Set by the caller before bprun_place and the runs. */
	const char *build_dir;	  /* BUILD_DIR */
	const char *env_dir;	  /* ENV_DIR */
	const char *copy_root;	  /* buildpack copies go into COPY_ROOT/NAME */
	const char *cache_root;	  /* each CACHE_DIR is CACHE_ROOT/NAME */
	int keep_fd;		  /* spawn's keep_fd; 0: none */
	struct envv env;	  /* the children's environment (bprun_env) */
	bprun_event_fn *on_event; /* may be NULL */
	void *event_arg;
	err_warn_fn *warn; /* warnings about release output; may be NULL */
	void *warn_arg;
};

#define BPRUN_INIT                                                             \
	{                                                                      \
		.bps = NULL, .env = ENVV_INIT                                  \
	}

/* Where a run stopped, when it did not get to the end. */
enum bprun_stop {
	BPRUN_OK,
	BPRUN_ERROR,	      /* could not place, start or read a buildpack;
				status: exec's 126/127, else 0 */
	BPRUN_NO_MATCH,	      /* none of the scanned buildpacks took the app */
	BPRUN_NOT_DETECTED,   /* bp, a given one, did not take it */
	BPRUN_COMPILE_FAILED, /* bp's compile ended with status */
	BPRUN_RELEASE_FAILED, /* bp's release failed (status, or 0 when it
				 could not be run) */
	BPRUN_BAD_RELEASE,    /* bp's release printed what does not parse */
	BPRUN_INTERRUPTED     /* SIGINT or SIGTERM (spawn_interrupted) came:
				 status is 128 + N */
};

struct bprun_outcome {
	enum bprun_stop stop;
	const struct bprun_bp *bp; /* the buildpack it stopped at, or NULL */
	int status; /* the status to leave with: the child's, 128 + N when
		       we were interrupted, 0 when there is none */
};

/* Frees what r holds (the buildpacks and env); r is then BPRUN_INIT. */
void bprun_free(struct bprun *r);

/* Appends the buildpack at dir as given by the user (r->given).  Refused
 * unless dir/bin/detect is executable.  Returns 0 or -1. */
int bprun_add(struct bprun *r, const char *dir, struct errbuf *e);

/* Appends every buildpack directly in root (those with an executable
 * bin/detect, hidden names skipped) in byte order of their names.  None is
 * an error.  Returns 0 or -1. */
int bprun_scan(struct bprun *r, const char *root, struct errbuf *e);

/* The buildpacks directory: $SLUGC_BUILDPACKS, else beside our executable
 * (bin/../buildpacks in the repository, bin/../lib/slugc/buildpacks when
 * installed).  malloc'd, or NULL when there is none. */
char *bprun_default_root(void);

/* Builds r->env as a platform's: PATH a platform's, HOME, TMPDIR, STACK
 * and SOURCE_VERSION (commit, when not NULL or ""), and from our own
 * environment only the locale, the terminal and the network settings a
 * download needs (proxies, CA files).  Config vars are not in it: they go
 * through ENV_DIR.  Returns 0 or -1. */
int bprun_env(struct bprun *r, const char *home, const char *tmp,
    const char *stack, const char *commit, struct errbuf *e);

/* Copies buildpack i to COPY_ROOT/NAME (NAME its directory's name, made
 * unique among the ones before it), so that its export file and anything
 * else it writes belong to this build only, and makes its cache
 * CACHE_ROOT/NAME.  Returns 0 or -1. */
int bprun_place(struct bprun *r, size_t i, struct errbuf *e);

/* Runs buildpack i's detect (placed).  Returns 0 (it took the app; name
 * set), 1 (it did not) or -1 (could not run it, or interrupted). */
int bprun_detect(struct bprun *r, size_t i, struct errbuf *e);

/* Runs buildpack i's compile with its stdout and stderr ours, after
 * sourcing the export files of the buildpacks that compiled before it.
 * Returns 0 (marked used) or -1 with out and e saying why. */
int bprun_compile(struct bprun *r, size_t i, struct bprun_outcome *out,
    struct errbuf *e);

/* Places, detects and compiles: given buildpacks each in turn, each one
 * required to detect the app; scanned ones until the first that detects
 * it.  Reports BPRUN_DETECTED before each compile and BPRUN_REFUSED when a
 * given one refuses.  Returns 0, or -1 with out and e (for BPRUN_ERROR and
 * the failures: how the child ended) saying why. */
int bprun_build(struct bprun *r, struct bprun_outcome *out, struct errbuf *e);

/* Runs the release of every buildpack that compiled (those without one are
 * skipped) and merges their manifests in order (manifest_merge: later
 * config vars and process types win, addons accumulate) into *rel, a new
 * manifest the caller frees.  Returns 0, or -1 with *rel NULL and out and
 * e saying why. */
int bprun_release(struct bprun *r, struct manifest **rel,
    struct bprun_outcome *out, struct errbuf *e);

#endif
