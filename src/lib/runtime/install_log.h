/* runtime/install_log.h - a runtime install as the build log shows it.
 *
 * compile and the benchmark's driver install the runtime through this, so
 * the log a user reads is the one that was measured: a "-----> Installing
 * NAME VERSION" topic (NAME the kind's: Mono, Node.js), ri->note, then
 * indented lines for the cache's verdict and the download, and the
 * download's progress. */
#ifndef SLUGC_RUNTIME_INSTALL_LOG_H
#define SLUGC_RUNTIME_INSTALL_LOG_H

#include <stdio.h>

#include "runtime/runtime.h"

/* runtime_install(rs, ri, e), logging to out; ri's event, progress and arg
 * are ignored (this module supplies its own). */
int runtime_install_logged(const struct runtime_spec *rs,
    const struct runtime_install *ri, FILE *out, struct errbuf *e);

/* Appends to e, after a failed download from buildpack.yml, how to get a
 * runtime of kind k: the URL there is the one to replace when publishing. */
void runtime_hint_append(const struct runtime_kind *k, struct errbuf *e);

#endif
