/* beneath.h - opening an app's files without leaving the app.
 *
 * The app's tree is untrusted: a `Procfile -> /etc/shadow` or a
 * `src -> /` must not make a buildpack read (and print, or hand to a
 * build tool) a file outside it.  Every file a buildpack or slugc reads
 * from the app is opened here, relative to the app's root, with every
 * symlink resolved beneath that root: links that stay inside the app
 * (Procfile -> config/Procfile) work, a link or a ".." that leads out is
 * refused with EXDEV.  The root itself is trusted (the platform chose it)
 * and may be reached through links.
 *
 * Linux >= 5.6 does the resolution in the kernel (openat2 with
 * RESOLVE_BENEATH); where openat2 is missing, or refused by a seccomp
 * filter, the same rule is applied by walking the path one component at
 * a time (beneath_open_walk). */
#ifndef SLUGC_BENEATH_H
#define SLUGC_BENEATH_H

#include <stddef.h>
#include <sys/stat.h>

#include "err.h"

/* Opens rel (relative to root, no leading '/') with open(2)'s flags
 * (O_CLOEXEC is added; O_CREAT is not supported), resolving every
 * symlink beneath root.  Returns the fd, or -1 with errno set and e
 * naming rel: EXDEV for a path leading out of root ("Procfile: a symlink
 * out of the app's directory, refused"), ENOENT for a missing file
 * (e.g. the app has no Procfile), ELOOP for too many links, or what
 * open(2) said. */
int beneath_open(const char *root, const char *rel, int flags,
    struct errbuf *e);

/* The same rule without openat2: rel is walked from rootfd one component
 * at a time, each opened with O_NOFOLLOW, a symlink's target read and
 * spliced into what is left of the path, ".." allowed only back up to
 * rootfd.  beneath_open uses it when openat2 is unavailable; it is
 * exported so that tests run every case through both.  Returns the fd or
 * -1 with errno set (EXDEV when the path leads out); fills no errbuf. */
int beneath_open_walk(int rootfd, const char *rel, int flags);

/* Reads the regular file rel beneath root whole, into a malloc'd
 * NUL-terminated buffer (the NUL not counted in *len) the caller frees.
 * A FIFO or device is refused without blocking (EINVAL), and so is a
 * file over max bytes (EFBIG).  Returns NULL with errno set (ENOENT for a
 * missing file, EXDEV for one out of root) and e naming rel. */
char *beneath_read_file(const char *root, const char *rel, size_t max,
    size_t *len, struct errbuf *e);

/* Stats rel beneath root (following links that stay inside) into *st,
 * for a path handed to a child (SOLUTION to xbuild) that must not lead
 * out of root: since every component is resolved beneath root, so is
 * the file's directory.  Returns 0, or -1 as beneath_open. */
int beneath_stat(const char *root, const char *rel, struct stat *st,
    struct errbuf *e);

#endif
