/* runtime/downloader_linked.c - the downloader's table over the linked
 * modules.  Apart from downloader.c so that naming it, and nothing else,
 * pulls fetch, download and unpack (and libcurl and libarchive) into a
 * program. */
#include "runtime/downloader.h"

#include "nuget.h"
#include "runtime/download.h"

/* The one symbol slugc-install.so exports (the library is built with hidden
 * visibility). */
__attribute__((visibility("default")))
const struct runtime_downloader runtime_downloader_linked = {
    .size = sizeof(struct runtime_downloader),
    .opts_size = sizeof(struct fetch_opts),
    .limits_size = sizeof(struct unpack_limits),
    .errbuf_size = sizeof(struct errbuf),
    .sum_size = sizeof(struct unpack_sum),
    .global_init = fetch_global_init,
    .global_cleanup = fetch_global_cleanup,
    .opts_init = fetch_opts_init,
    .redact_url = fetch_redact_url,
    .download = runtime_download,
    .nuget_restore = nuget_restore,
};
