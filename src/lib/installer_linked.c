/* installer_linked.c - the installer table over the linked modules.  Apart
 * from installer.c so that naming it, and nothing else, pulls fetch, install
 * and unpack (and libcurl and libarchive) into a program. */
#include "installer.h"

#include "install.h"
#include "nuget.h"

/* The one symbol slugc-install.so exports (the library is built with hidden
 * visibility). */
__attribute__((visibility("default")))
const struct installer installer_linked = {
    .size = sizeof(struct installer),
    .opts_size = sizeof(struct fetch_opts),
    .limits_size = sizeof(struct unpack_limits),
    .errbuf_size = sizeof(struct errbuf),
    .sum_size = sizeof(struct unpack_sum),
    .global_init = fetch_global_init,
    .global_cleanup = fetch_global_cleanup,
    .opts_init = fetch_opts_init,
    .redact_url = fetch_redact_url,
    .install = install_from_url,
    .nuget_restore = nuget_restore,
};
