/* runtime/download.h - a runtime tarball from a URL into a directory:
 * downloaded, hashed and extracted in one pass, and put in place atomically
 * only once verified. */
#ifndef SLUGC_RUNTIME_DOWNLOAD_H
#define SLUGC_RUNTIME_DOWNLOAD_H

#include "err.h"
#include "fetch.h"
#include "unpack.h"

/* Downloads fo->url with fetch_stream, feeding the bytes at once to a
 * SHA-256 and to unpack (through a pipe to the calling thread, so at most a
 * few MiB are ever in memory), into a new temporary directory next to dest
 * (".NAME.part-XXXXXX", mode 0755; dest's parent is created if missing).
 * Only when the download completed, the archive extracted completely and the
 * hash of every byte downloaded equals sha256_hex (64 hex digits, either
 * case) is the temporary directory renamed to dest.  dest must not exist.
 *
 * sum, when not NULL, gets what was unpacked (unpack_from_sum), for a
 * caller that checks the tree on disk later.
 *
 * Any failure (HTTP or network error, truncated or corrupt archive, hash
 * mismatch, an entry refused by unpack's policy or limits, lim NULL meaning
 * the defaults, a write that failed) removes the temporary directory,
 * leaves dest untouched and fills e with one line naming the URL with
 * credentials removed.  When several things fail, a failed write wins (a
 * full disk), then the download's error (a cut connection also truncates
 * the archive), then the archive's, then the hash.  errno then tells the
 * local file system's failures (ENOSPC, EIO, EROFS... writing dest's
 * directory: the path and the error are in e) from the others (0).
 *
 * fo is not modified; its progress callback is called from a download
 * thread.  fo->stop, when set (by the caller's signal handler), interrupts
 * the download and extraction within about a second.  fetch_global_init must
 * have been called. */
int runtime_download(const struct fetch_opts *fo, const char *sha256_hex,
    const char *dest, const struct unpack_limits *lim, struct unpack_sum *sum,
    struct errbuf *e);

#endif
