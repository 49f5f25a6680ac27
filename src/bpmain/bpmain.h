/* bpmain.h - what the buildpacks' mains (src/mono, src/nodejs) share.
 *
 * These print and choose exit codes (exitcode.h), which library code
 * never does: they live beside the mains, not in src/lib. */
#ifndef SLUGC_BPMAIN_H
#define SLUGC_BPMAIN_H

#include "err.h"
#include "manifest.h"

/* compile's start: checks argc (BUILD_DIR CACHE_DIR [ENV_DIR]), makes
 * stdout, the build log, line-buffered and installs spawn's signal
 * handlers.  Returns EXIT_OK, or the exit status after saying why. */
int bpmain_compile_begin(int argc);

/* compile's end, rc being what the build came to and e why it failed:
 * says "Interrupted by SIG..." (and returns 128+N) when a signal stopped
 * the build, else e's message when rc is not EXIT_OK; then closes stdout.
 * Returns the exit status: rc, or EXIT_IO when the log could not be
 * written. */
int bpmain_compile_end(int rc, const struct errbuf *e);

/* Fills m's process types from the app in build_dir. */
typedef int bpmain_types_fn(const char *build_dir, struct manifest *m,
    struct errbuf *e);

/* release's main (release BUILD_DIR [CACHE_DIR]): the release manifest,
 * its process types from types, as YAML on stdout and nothing else there;
 * problems on stderr.  Returns the exit status. */
int bpmain_release(int argc, char **argv, bpmain_types_fn *types);

#endif
